/* The page-cache wrapper (store/pcache.c): a truncation is skipped only when no page at or
 * above its limit can be in the cache, checked on the cache methods themselves (pages made,
 * renumbered through the lock page the way a B-tree split does, rolled back, overflowing the
 * count) and through SQLite (random-key inserts that split pages, rollbacks of growth, and a
 * database that checks out intact with every committed row). */
#include "testutil.h"
#include "store/pcache.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static sqlite3_pcache_methods2 m; /* the installed methods, taken before SQLite starts */

static void make(sqlite3_pcache *c, unsigned key)
{
    sqlite3_pcache_page *pg = m.xFetch(c, key, 2);
    assert_non_null(pg);
    m.xUnpin(c, pg, 0);
}

static int has(sqlite3_pcache *c, unsigned key)
{
    sqlite3_pcache_page *pg = m.xFetch(c, key, 0);
    if (pg)
        m.xUnpin(c, pg, 0);
    return pg != NULL;
}

static void rekey(sqlite3_pcache *c, unsigned from, unsigned to)
{
    sqlite3_pcache_page *pg = m.xFetch(c, from, 0);
    assert_non_null(pg);
    m.xRekey(c, pg, from, to);
    m.xUnpin(c, pg, 0);
}

/* Truncates and says whether the call reached SQLite's own cache. */
static int truncated(sqlite3_pcache *c, unsigned limit)
{
    uint64_t p0, s0, p1, s1;
    rk_pcache_counts(&p0, &s0);
    m.xTruncate(c, limit);
    rk_pcache_counts(&p1, &s1);
    assert_int_equal(p1 - p0 + s1 - s0, 1);
    return p1 > p0;
}

static void test_methods(void **state)
{
    (void)state;
    assert_int_equal(sqlite3_initialize(), SQLITE_OK);
    sqlite3_pcache *c = m.xCreate(4096, 64, 1);
    assert_non_null(c);
    m.xCachesize(c, 2000);
    for (unsigned k = 1; k <= 10; k++)
        make(c, k);
    assert_true(truncated(c, 11)); /* the first one always goes through */
    /* a transaction appends 11..15 and a split swaps 12 and 13 through the lock page */
    for (unsigned k = 11; k <= 15; k++)
        make(c, k);
    rekey(c, 12, 262145);
    rekey(c, 13, 12);
    rekey(c, 262145, 13);
    assert_false(truncated(c, 16)); /* its commit: nothing at 16 or above */
    for (unsigned k = 1; k <= 15; k++)
        assert_true(has(c, k));
    /* a page left at a number past the end must go */
    make(c, 16);
    rekey(c, 16, 262145);
    assert_true(truncated(c, 17));
    assert_false(has(c, 262145));
    assert_true(has(c, 15));
    /* a rolled-back growth: pages past the old end go */
    make(c, 17);
    make(c, 18);
    assert_true(truncated(c, 17));
    assert_false(has(c, 17));
    assert_false(has(c, 18));
    /* a page renumbered from below the limit to above it */
    rekey(c, 5, 40);
    assert_true(truncated(c, 17));
    assert_false(has(c, 40));
    /* a lower limit than the last one always goes through */
    assert_true(truncated(c, 10));
    assert_false(has(c, 12));
    assert_true(has(c, 9));
    /* more new pages than are counted: the next truncation goes through */
    for (unsigned k = 10; k < 10 + 600; k++)
        make(c, k);
    assert_true(truncated(c, 10 + 600));
    assert_true(has(c, 609));
    m.xDestroy(c);
}

static void insert_rows(sqlite3_stmt *st, unsigned *seed, int n, int64_t *sum)
{
    for (int i = 0; i < n; i++) {
        unsigned char key[16], val[300];
        for (size_t b = 0; b < sizeof key; b++) {
            *seed = *seed * 1103515245u + 12345u;
            key[b] = (unsigned char)(*seed >> 16);
        }
        int len = 100 + (int)(key[0] % 200);
        memset(val, key[1], (size_t)len);
        sqlite3_bind_blob(st, 1, key, sizeof key, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 2, val, len, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
        if (sum)
            *sum += len;
    }
}

static void test_through_sqlite(void **state)
{
    (void)state;
    char dir[256], path[400];
    rk_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/p.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    rk_test_sqlite_exec(db, "PRAGMA journal_mode = WAL; PRAGMA cache_size = -8000;"
                            "CREATE TABLE t(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;"
                            "CREATE TABLE a(id INTEGER PRIMARY KEY, v BLOB NOT NULL);");
    sqlite3_stmt *ins, *app;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(k, v) VALUES(?1, ?2)", -1, &ins, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO a(v) VALUES(?2)", -1, &app, NULL),
                     SQLITE_OK);
    uint64_t p0, s0, p1, s1;
    rk_pcache_counts(&p0, &s0);
    unsigned seed = 7, dead = 99;
    int64_t sum = 0, rows = 0, rollbacks = 0, passed_by_rollback = 0;
    for (int tx = 0; tx < 400; tx++) {
        rk_test_sqlite_exec(db, "BEGIN IMMEDIATE");
        if (tx % 9 == 4) { /* grow the file by a few hundred pages, then take it back */
            insert_rows(ins, &dead, 400, NULL);
            insert_rows(app, &dead, 400, NULL);
            uint64_t a, b, c, d;
            rk_pcache_counts(&a, &b);
            rk_test_sqlite_exec(db, "ROLLBACK");
            rk_pcache_counts(&c, &d);
            passed_by_rollback += c > a;
            rollbacks++;
            continue;
        }
        insert_rows(ins, &seed, 25, &sum);
        insert_rows(app, &seed, 5, NULL);
        rows += 25;
        rk_test_sqlite_exec(db, "COMMIT");
    }
    rk_pcache_counts(&p1, &s1);
    sqlite3_finalize(ins);
    sqlite3_finalize(app);
    /* Most commits skip the walk; every rollback of growth went through. */
    assert_true(s1 - s0 > 300);
    assert_int_equal(passed_by_rollback, rollbacks);
    assert_int_equal(rk_test_sqlite_int(db, "SELECT count(*) FROM t"), rows);
    assert_int_equal(rk_test_sqlite_int(db, "SELECT sum(length(v)) FROM t"), sum);
    assert_int_equal(rk_test_sqlite_int(db, "SELECT count(*) FROM t WHERE length(v) < 100"), 0);
    rk_test_sqlite_integrity(db);
    sqlite3_close(db);
    /* and a fresh connection reads the same */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(rk_test_sqlite_int(db, "SELECT count(*) FROM t"), rows);
    assert_int_equal(rk_test_sqlite_int(db, "SELECT sum(length(v)) FROM t"), sum);
    sqlite3_close(db);
    rk_test_rmtree(dir);
}

int main(void)
{
    /* The wrapper must go in before anything starts SQLite, and the methods be read then. */
    assert_int_equal(rk_pcache_install(), 0);
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &m), SQLITE_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_through_sqlite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
