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

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

static sqlite3 *open_db(const char *path, const char *vfs)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    exec_ok(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    return db;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void integrity_ok(sqlite3 *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
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
    exec_ok(w, "PRAGMA cache_size = 20; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB, n INT);");
    exec_ok(w, "BEGIN");
    for (int i = 0; i < 6000; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, zeroblob(%d), %d)", i, 200 + i % 700,
                 i);
        exec_ok(w, sql);
    }
    /* the reader must not see the uncommitted, partly spilled transaction */
    assert_int_equal(scalar(r, "SELECT count(*) FROM t"), 0);
    exec_ok(w, "COMMIT");
    assert_int_equal(scalar(r, "SELECT count(*) FROM t"), 6000);
    /* many small commits with checkpoints between: the log restarts from its start */
    for (int i = 0; i < 300; i++) {
        char sql[160];
        snprintf(sql, sizeof sql, "UPDATE t SET n = n + 1 WHERE k %% 300 = %d", i);
        exec_ok(w, sql);
        if (i % 50 == 49)
            exec_ok(w, "PRAGMA wal_checkpoint(RESTART)");
        assert_int_equal(scalar(r, "SELECT sum(n) FROM t"), 6000LL * 5999 / 2 + 20LL * (i + 1));
    }
    sqlite3_close(w);
    sqlite3_close(r);
    sqlite3 *again = open_db(path, NULL);
    integrity_ok(again);
    assert_int_equal(scalar(again, "SELECT sum(n) FROM t"), 6000LL * 5999 / 2 + 6000);
    assert_int_equal(scalar(again, "SELECT sum(length(v)) FROM t"),
                     scalar(again, "SELECT sum(200 + k % 700) FROM t"));
    sqlite3_close(again);
    rk_test_rmtree(dir);
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
    exec_ok(db, "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)");
    sqlite3_close(db);
    int next = 0;
    for (int round = 0; round < 4; round++) {
        struct writer_arg w = {path, next};
        int stop_after = 200 + round * 137;
        int acked = rk_test_kill_writer(row_writer, &w, stop_after);
        assert_true(acked >= next + stop_after - 1);
        sqlite3 *chk = open_db(path, NULL);
        integrity_ok(chk);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE k <= %d", acked);
        assert_int_equal(scalar(chk, sql), acked + 1); /* none lost, none doubled */
        next = (int)scalar(chk, "SELECT max(k) FROM t") + 1;
        sqlite3_close(chk);
    }
    rk_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_killed_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
