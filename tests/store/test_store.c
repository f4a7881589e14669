/* Store behaviour, run against SQLite and (tests/store/postgres.sh) PostgreSQL: schema migration, referential rules, listings, transactions, persistence. */
#include "testutil.h"
#include "rekap/status.h"
#include "store/store.h"

#include <sqlite3.h>
#include <string.h>

struct fixture {
    char dir[256];
    char path[1200];
    struct rk_store *s;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    rk_test_tmpdir(f.dir, sizeof f.dir);
    rk_test_store_uri(f.dir, f.path, sizeof f.path);
    assert_int_equal(rk_store_open(f.path, &f.s), RK_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rk_store_close(f->s);
    rk_test_rmtree(f->dir);
    return 0;
}

static void put(struct rk_store *s, const char *code, const char *name, int expect)
{
    struct rk_region r;
    assert_int_equal(rk_region_init(&r, code, strlen(code), name, strlen(name)), RK_OK);
    if (r.level == RK_LEVEL_TPS)
        r.dpt_l = 100, r.dpt_p = 120;
    int rc = rk_store_region_put(s, &r);
    if (rc != expect)
        fail_msg("put %s: got %d want %d (%s)", code, rc, expect, rk_store_errmsg(s));
}

static void tree(struct rk_store *s)
{
    put(s, "11", "ACEH", RK_OK);
    put(s, "1101", "KAB. ACEH SELATAN", RK_OK);
    put(s, "1171", "KOTA BANDA ACEH", RK_OK);
    put(s, "110101", "Bakongan", RK_OK);
    put(s, "1101012001", "Keude Bakongan", RK_OK);
    put(s, "1101012001001", "TPS 001", RK_OK);
    put(s, "1101012001002", "TPS 002", RK_OK);
    put(s, "12", "SUMATERA UTARA", RK_OK);
}

static int count_cb(void *ud, const struct rk_region *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

static void test_schema_and_regions(void **state)
{
    struct fixture *f = *state;
    int v = 0;
    assert_int_equal(rk_store_schema_version(f->s, &v), RK_OK);
    assert_true(v >= 1);
    assert_string_equal(rk_store_engine(f->s), rk_test_store_is_pg() ? "postgres" : "sqlite");
    tree(f->s);
    put(f->s, "11", "DUP", RK_EEXIST);
    put(f->s, "1301", "orphan kab", RK_EORPHAN);
    put(f->s, "1101019999001", "orphan TPS", RK_EORPHAN);
    struct rk_region r;
    assert_int_equal(rk_store_region_get(f->s, "1101012001002", &r), RK_OK);
    assert_int_equal(r.level, RK_LEVEL_TPS);
    assert_int_equal(r.dpt_p, 120);
    assert_int_equal(rk_store_region_get(f->s, "99", &r), RK_ENOTFOUND);
    /* level must match the code */
    memset(&r, 0, sizeof r);
    strcpy(r.code, "13");
    r.level = RK_LEVEL_DESA;
    strcpy(r.name, "x");
    assert_int_equal(rk_store_region_put(f->s, &r), RK_EINVAL);

    int n = 0;
    assert_int_equal(rk_store_region_children(f->s, "", count_cb, &n), RK_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(rk_store_region_children(f->s, "11", count_cb, &n), RK_OK);
    assert_int_equal(n, 2);
    int64_t c[RK_LEVEL_COUNT];
    assert_int_equal(rk_store_region_counts(f->s, "", c), RK_OK);
    assert_int_equal(c[RK_LEVEL_PROVINCE], 2);
    assert_int_equal(c[RK_LEVEL_KABKOTA], 2);
    assert_int_equal(c[RK_LEVEL_TPS], 2);
    assert_int_equal(rk_store_region_counts(f->s, "1171", c), RK_OK);
    assert_int_equal(c[RK_LEVEL_KABKOTA], 1);
    assert_int_equal(c[RK_LEVEL_TPS], 0);
    /* "1" is a prefix of "11" and "12" but not a region: range must not leak */
    assert_int_equal(rk_store_region_counts(f->s, "110101", c), RK_OK);
    assert_int_equal(c[RK_LEVEL_DESA], 1);
    int64_t l, p;
    assert_int_equal(rk_store_region_voters(f->s, "11", &l, &p), RK_OK);
    assert_int_equal(l, 200);
    assert_int_equal(p, 240);
    assert_int_equal(rk_store_region_voters(f->s, "12", &l, &p), RK_OK);
    assert_int_equal(l + p, 0);
}

static int race_cb(void *ud, const struct rk_race *r)
{
    char *out = ud;
    strcat(out, r->region_code[0] ? r->region_code : "-");
    strcat(out, " ");
    return 0;
}

static void test_races(void **state)
{
    struct fixture *f = *state;
    tree(f->s);
    struct rk_election e = {.kind = RK_ELECTION_PILKADA, .year = 2024};
    strcpy(e.slug, "pilkada2024");
    strcpy(e.name, "Pilkada 2024");
    assert_int_equal(rk_store_election_put(f->s, &e), RK_OK);
    assert_true(e.id > 0);
    struct rk_election e2 = e;
    e2.id = 0;
    assert_int_equal(rk_store_election_put(f->s, &e2), RK_EEXIST);
    struct rk_election got;
    assert_int_equal(rk_store_election_by_slug(f->s, "pilkada2024", &got), RK_OK);
    assert_int_equal(got.id, e.id);
    assert_int_equal(rk_store_election_get(f->s, 999, &got), RK_ENOTFOUND);

    struct rk_race gov = {.election_id = e.id, .kind = RK_RACE_GOVERNOR};
    strcpy(gov.region_code, "11");
    strcpy(gov.name, "Gubernur ACEH");
    assert_int_equal(rk_store_race_put(f->s, &gov), RK_OK);
    struct rk_race reg = {.election_id = e.id, .kind = RK_RACE_REGENT};
    strcpy(reg.region_code, "1101");
    strcpy(reg.name, "Bupati ACEH SELATAN");
    assert_int_equal(rk_store_race_put(f->s, &reg), RK_OK);
    struct rk_race mayor = {.election_id = e.id, .kind = RK_RACE_MAYOR};
    strcpy(mayor.region_code, "1171");
    strcpy(mayor.name, "Wali Kota BANDA ACEH");
    assert_int_equal(rk_store_race_put(f->s, &mayor), RK_OK);
    struct rk_race dup = gov;
    dup.id = 0;
    assert_int_equal(rk_store_race_put(f->s, &dup), RK_EEXIST);
    struct rk_race wrong = {.election_id = e.id, .kind = RK_RACE_GOVERNOR};
    strcpy(wrong.region_code, "1101");
    strcpy(wrong.name, "x");
    assert_int_equal(rk_store_race_put(f->s, &wrong), RK_EINVAL);
    struct rk_race orphan = {.election_id = e.id, .kind = RK_RACE_GOVERNOR};
    strcpy(orphan.region_code, "13");
    strcpy(orphan.name, "x");
    assert_int_equal(rk_store_race_put(f->s, &orphan), RK_EORPHAN);

    char out[128] = "";
    /* a TPS takes part in its province's and its kab's races, not the kota's */
    assert_int_equal(rk_store_race_list(f->s, e.id, "1101012001001", race_cb, out), RK_OK);
    assert_string_equal(out, "11 1101 ");
    out[0] = '\0';
    assert_int_equal(rk_store_race_list(f->s, 0, "11", race_cb, out), RK_OK);
    assert_string_equal(out, "11 1101 1171 ");
    out[0] = '\0';
    assert_int_equal(rk_store_race_list(f->s, e.id, "12", race_cb, out), RK_OK);
    assert_string_equal(out, "");

    struct rk_candidate c;
    assert_int_equal(rk_candidate_init(&c, 1000001, 1, "A - B", "#B67352"), RK_OK);
    c.race_id = gov.id;
    assert_int_equal(rk_store_candidate_put(f->s, &c), RK_OK);
    assert_int_equal(rk_candidate_init(&c, 1000002, 2, "KOLOM KOSONG - ", NULL), RK_OK);
    c.race_id = gov.id;
    assert_int_equal(rk_store_candidate_put(f->s, &c), RK_OK);
    assert_int_equal(rk_candidate_init(&c, 1000003, 2, "C - D", NULL), RK_OK);
    c.race_id = gov.id;
    assert_int_equal(rk_store_candidate_put(f->s, &c), RK_EEXIST); /* ballot 2 taken */
    c.race_id = 4242;
    c.ballot_no = 3;
    assert_int_equal(rk_store_candidate_put(f->s, &c), RK_EORPHAN);
    struct rk_candidate list[1];
    int n;
    assert_int_equal(rk_store_candidate_list(f->s, gov.id, list, 1, &n), RK_OK);
    assert_int_equal(n, 2); /* reports the true count even past cap */
    assert_int_equal(list[0].id, 1000001);
}

static void test_transactions_and_reopen(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_begin(f->s), RK_ECONFLICT);
    put(f->s, "11", "ACEH", RK_OK);
    assert_int_equal(rk_store_rollback(f->s), RK_OK);
    struct rk_region r;
    assert_int_equal(rk_store_region_get(f->s, "11", &r), RK_ENOTFOUND);
    assert_int_equal(rk_store_commit(f->s), RK_ECONFLICT);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    put(f->s, "11", "ACEH", RK_OK);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    rk_store_close(f->s);
    assert_int_equal(rk_store_open(f->path, &f->s), RK_OK);
    assert_int_equal(rk_store_region_get(f->s, "11", &r), RK_OK);
    assert_string_equal(r.name, "ACEH");
}

static void test_open_errors(void **state)
{
    struct fixture *f = *state;
    struct rk_store *s = NULL;
    assert_int_equal(rk_store_open("mysql://x", &s), RK_EUNSUPPORTED);
    assert_null(s);
    assert_int_equal(rk_store_open("", &s), RK_EINVAL);
    assert_int_equal(rk_store_open("/nonexistent-dir/x/y.db", &s), RK_EDB);
    /* a database from a newer rekap is refused, not silently downgraded */
    if (rk_test_store_is_pg()) {
        int v = 0;
        char sql[128];
        assert_int_equal(rk_store_schema_version(f->s, &v), RK_OK);
        rk_store_close(f->s);
        f->s = NULL;
        rk_test_pg_exec("UPDATE rekap_meta SET value = '999' WHERE key = 'schema_version'");
        assert_int_equal(rk_store_open(f->path, &s), RK_EUNSUPPORTED);
        assert_null(s);
        snprintf(sql, sizeof sql,
                 "UPDATE rekap_meta SET value = '%d' WHERE key = 'schema_version'", v);
        rk_test_pg_exec(sql);
        assert_int_equal(rk_store_open(f->path, &f->s), RK_OK);
        assert_int_equal(rk_store_open("postgres:host=127.0.0.1 port=1 connect_timeout=2", &s),
                         RK_EDB);
        return;
    }
    char path[320];
    snprintf(path, sizeof path, "%s/newer.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(rk_store_open(path, &s), RK_EUNSUPPORTED);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_and_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_races, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
