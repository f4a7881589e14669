/* The WAL-gathering VFS (store/walbuf.c): what it writes is what SQLite wrote. Large
 * transactions that spill the page cache, many small commits, checkpoints and a log restart
 * read back intact through a plain connection; and a writer killed at random moments after
 * its commits returned never loses one of them (the premise: synchronous=FULL syncs, and so
 * writes out, every commit before it is published). */
#include "testutil.h"

#include "store/walbuf.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sqlite3 *open_db(const char *path, const char *vfs)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    rk_test_sqlite_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    return db;
}

static void test_roundtrip(void **state)
{
    (void)state;
    assert_int_equal(rk_walbuf_register(), 0);
    assert_non_null(sqlite3_vfs_find(RK_WALBUF_VFS));
    assert_true(sqlite3_vfs_find(NULL) != sqlite3_vfs_find(RK_WALBUF_VFS)); /* not the default */
    char dir[256], path[300];
    rk_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/w.db", dir);
    sqlite3 *w = open_db(path, RK_WALBUF_VFS), *r = open_db(path, NULL);
    /* a tiny page cache: the big transaction spills frames before its commit */
    rk_test_sqlite_exec(
        w, "PRAGMA cache_size = 20; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB, n INT);");
    rk_test_sqlite_exec(w, "BEGIN");
    for (int i = 0; i < 6000; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, zeroblob(%d), %d)", i, 200 + i % 700,
                 i);
        rk_test_sqlite_exec(w, sql);
    }
    /* the reader must not see the uncommitted, partly spilled transaction */
    assert_int_equal(rk_test_sqlite_int(r, "SELECT count(*) FROM t"), 0);
    rk_test_sqlite_exec(w, "COMMIT");
    assert_int_equal(rk_test_sqlite_int(r, "SELECT count(*) FROM t"), 6000);
    /* many small commits with checkpoints between: the log restarts from its start */
    for (int i = 0; i < 300; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "UPDATE t SET n = n + 1 WHERE k %% 300 = %d", i);
        rk_test_sqlite_exec(w, sql);
        if (i % 50 == 49)
            rk_test_sqlite_exec(w, "PRAGMA wal_checkpoint(RESTART)");
        assert_int_equal(rk_test_sqlite_int(r, "SELECT sum(n) FROM t"),
                         6000LL * 5999 / 2 + 20LL * (i + 1));
    }
    sqlite3_close(w);
    sqlite3_close(r);
    sqlite3 *again = open_db(path, NULL);
    rk_test_sqlite_integrity(again);
    assert_int_equal(rk_test_sqlite_int(again, "SELECT sum(n) FROM t"), 6000LL * 5999 / 2 + 6000);
    assert_int_equal(rk_test_sqlite_int(again, "SELECT sum(length(v)) FROM t"),
                     rk_test_sqlite_int(again, "SELECT sum(200 + k % 700) FROM t"));
    sqlite3_close(again);
    rk_test_rmtree(dir);
}

/* Writes ~2 MB of new rows in one transaction, checkpoints them into the database, and returns
 * how many writebacks that connection's checkpoints have issued so far. */
static long long fill_and_checkpoint(sqlite3 *db, int first)
{
    rk_test_sqlite_exec(db, "BEGIN");
    for (int i = first; i < first + 500; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, randomblob(4000), %d)", i, i);
        rk_test_sqlite_exec(db, sql);
    }
    rk_test_sqlite_exec(db, "COMMIT");
    rk_test_sqlite_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    long long n = -1;
    assert_int_equal(sqlite3_file_control(db, "main", RK_WALBUF_FCNTL_WRITEBACKS, &n), SQLITE_OK);
    return n;
}

/* The checkpoint writeback: on by default for a database opened through the VFS, counted, off
 * when asked (the store's writer), unavailable through the plain VFS; and a checkpoint written
 * back as it goes leaves the database what SQLite wrote. */
static void test_checkpoint_writeback(void **state)
{
    (void)state;
#if defined(__linux__)
    assert_int_equal(rk_walbuf_register(), 0);
    char dir[256], path[300];
    rk_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/c.db", dir);
    sqlite3 *w = open_db(path, RK_WALBUF_VFS), *plain = open_db(path, NULL);
    int on = -1;
    assert_int_equal(sqlite3_file_control(w, "main", RK_WALBUF_FCNTL_WRITEBACK, &on), SQLITE_OK);
    assert_int_equal(on, 1);
    on = -1;
    assert_int_equal(sqlite3_file_control(plain, "main", RK_WALBUF_FCNTL_WRITEBACK, &on),
                     SQLITE_NOTFOUND);
    rk_test_sqlite_exec(w, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB, n INT)");
    /* ~500 pages copied: one writeback per 64 pages, give or take the table's interior pages */
    long long first = fill_and_checkpoint(w, 0);
    assert_in_range(first, 6, 10);
    on = 0;
    assert_int_equal(sqlite3_file_control(w, "main", RK_WALBUF_FCNTL_WRITEBACK, &on), SQLITE_OK);
    on = -1;
    assert_int_equal(sqlite3_file_control(w, "main", RK_WALBUF_FCNTL_WRITEBACK, &on), SQLITE_OK);
    assert_int_equal(on, 0);
    assert_int_equal(fill_and_checkpoint(w, 500), first); /* off: no more */
    sqlite3_close(w);
    rk_test_sqlite_integrity(plain);
    assert_int_equal(rk_test_sqlite_int(plain, "SELECT count(*) FROM t"), 1000);
    assert_int_equal(rk_test_sqlite_int(plain, "SELECT sum(n) FROM t"), 999LL * 1000 / 2);
    assert_int_equal(rk_test_sqlite_int(plain, "SELECT sum(length(v)) FROM t"), 4000LL * 1000);
    sqlite3_close(plain);
    rk_test_rmtree(dir);
#endif
}

/* A child commits rows through the VFS and reports each one the moment its COMMIT returned;
 * the parent kills it with SIGKILL at a pseudo-random moment. Every reported row is there. */
struct writer_arg {
    const char *path;
    int first;
};

/* The crash test's child: rows from first on through the gathering VFS, each acknowledged. */
static void row_writer(void *arg, int fd)
{
    const struct writer_arg *a = arg;
    if (rk_walbuf_register() != 0)
        return;
    sqlite3 *w = open_db(a->path, RK_WALBUF_VFS);
    for (int k = a->first;; k++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, randomblob(%d))", k, 100 + k % 3000);
        if (sqlite3_exec(w, sql, NULL, NULL, NULL) != SQLITE_OK)
            return;
        rk_test_ack(fd, k);
    }
}

static void test_killed_writer(void **state)
{
    (void)state;
    char dir[256], path[300];
    rk_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/k.db", dir);
    sqlite3 *db = open_db(path, NULL);
    rk_test_sqlite_exec(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)");
    sqlite3_close(db);
    int next = 0;
    for (int round = 0; round < 4; round++) {
        struct writer_arg w = {path, next};
        int stop_after = 200 + round * 137;
        int acked = rk_test_kill_writer(row_writer, &w, stop_after);
        assert_true(acked >= next + stop_after - 1);
        sqlite3 *chk = open_db(path, NULL);
        rk_test_sqlite_integrity(chk);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE k <= %d", acked);
        assert_int_equal(rk_test_sqlite_int(chk, sql), acked + 1); /* none lost, none doubled */
        next = (int)rk_test_sqlite_int(chk, "SELECT max(k) FROM t") + 1;
        sqlite3_close(chk);
    }
    rk_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_killed_writer),
        cmocka_unit_test(test_checkpoint_writeback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
