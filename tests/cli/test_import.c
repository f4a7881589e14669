/* Importers: happy paths, any-order region files, and that every bad row names file and line
 * and leaves the store exactly as it was. */
#include "testutil.h"
#include "cli/import.h"
#include "rekap/status.h"

#include <stdlib.h>
#include <string.h>

struct fx {
    char dir[256];
    char db[1200];
    struct rk_store *s;
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    rk_test_tmpdir(f.dir, sizeof f.dir);
    rk_test_store_uri(f.dir, f.db, sizeof f.db);
    assert_int_equal(rk_store_open(f.db, &f.s), RK_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rk_store_close(f->s);
    rk_test_rmtree(f->dir);
    return 0;
}

static const char *file(struct fx *f, const char *name, const char *content)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    rk_test_write_file(path, content);
    return path;
}

/* Runs an import capturing its error text. */
static char errbuf[4096];
static FILE *errfile(void)
{
    memset(errbuf, 0, sizeof errbuf);
    FILE *e = fmemopen(errbuf, sizeof errbuf - 1, "w");
    assert_non_null(e);
    return e;
}

static const char regions[] = "kode,nama\n"
                              "1101012001,\"Keude Bakongan\"\n" /* child before parents */
                              "11,\"ACEH\"\n"
                              "1101,\"KAB. ACEH SELATAN\"\n"
                              "110101,\"Bakongan\"\n"
                              "1101012002,\"Ujong Mangki\"\n"
                              "12,\"SUMATERA UTARA\"\n";

static int64_t total(struct rk_store *s, enum rk_level level)
{
    int64_t c[RK_LEVEL_COUNT];
    assert_int_equal(rk_store_region_counts(s, "", c), RK_OK);
    return c[level];
}

static void test_regions_any_order(void **state)
{
    struct fx *f = *state;
    struct rk_import_report rep;
    FILE *e = errfile();
    assert_int_equal(rk_import_regions(f->s, file(f, "w.csv", regions), e, &rep), RK_OK);
    fclose(e);
    assert_int_equal(rep.rows, 6);
    assert_int_equal(rep.added[RK_LEVEL_PROVINCE], 2);
    assert_int_equal(rep.added[RK_LEVEL_DESA], 2);
    assert_int_equal(total(f->s, RK_LEVEL_DESA), 2);
}

static void expect_region_error(struct fx *f, const char *content, const char *needle)
{
    struct rk_import_report rep;
    FILE *e = errfile();
    int rc = rk_import_regions(f->s, file(f, "bad.csv", content), e, &rep);
    fclose(e);
    assert_true(rc < 0);
    if (!strstr(errbuf, needle))
        fail_msg("error text '%s' lacks '%s'", errbuf, needle);
    /* nothing half-imported */
    assert_int_equal(total(f->s, RK_LEVEL_PROVINCE), 0);
}

static void test_region_errors(void **state)
{
    struct fx *f = *state;
    expect_region_error(f, "11,ACEH\n1101,KAB\n1101,DUP\n", "bad.csv:3: duplicate code 1101");
    expect_region_error(f, "11,ACEH\n1301,KAB\n", "bad.csv:2: parent of 1301");
    expect_region_error(f, "11,ACEH\n11X1,KAB\n", "bad.csv:2: bad region code");
    expect_region_error(f, "11,ACEH\n1101\n", "bad.csv:2: expected two fields");
    expect_region_error(f, "11,ACEH\n1101,\"KAB\n", "bad.csv:2:");
    expect_region_error(f, "11,ACEH\n1101,\n", "bad.csv:2: bad region name");
    expect_region_error(f, "11,ACEH\n1101012001001,TPS\n", "bad.csv:2: TPS code");
    struct rk_import_report rep;
    FILE *e = errfile();
    assert_int_equal(rk_import_regions(f->s, "/nonexistent/x.csv", e, &rep), RK_EIO);
    fclose(e);
    assert_non_null(strstr(errbuf, "cannot read"));
}

static void test_tps(void **state)
{
    struct fx *f = *state;
    struct rk_import_report rep;
    FILE *e = errfile();
    assert_int_equal(rk_import_regions(f->s, file(f, "w.csv", regions), e, &rep), RK_OK);
    /* bad row 3: nothing of rows 1-2 stays */
    int rc = rk_import_tps(f->s, file(f, "t1.txt", "1101012001001\n1101012001002,200,210\n"
                                                   "110101200100\n"),
                           RK_MISSING_ERROR, e, &rep);
    fflush(e);
    assert_int_equal(rc, RK_EINVAL);
    assert_non_null(strstr(errbuf, "t1.txt:3: not a 13-digit TPS code"));
    assert_int_equal(total(f->s, RK_LEVEL_TPS), 0);
    rc = rk_import_tps(f->s, file(f, "t2.txt", "1101012001001,400,300\n"), RK_MISSING_ERROR, e,
                       &rep);
    assert_int_equal(rc, RK_ERANGE); /* 700 voters > 600 */
    rc = rk_import_tps(f->s, file(f, "t3.txt", "1101012001001\n1101012001001\n"),
                       RK_MISSING_ERROR, e, &rep);
    assert_int_equal(rc, RK_EEXIST);
    const char *list = "1101012001001,200,210\n1101012002001\n1201019999001\n";
    rc = rk_import_tps(f->s, file(f, "t4.txt", list), RK_MISSING_ERROR, e, &rep);
    fflush(e);
    assert_int_equal(rc, RK_EORPHAN);
    assert_non_null(strstr(errbuf, "t4.txt:3: parent of 1201019999001"));
    assert_int_equal(total(f->s, RK_LEVEL_TPS), 0);
    /* skip policy: two imported, one skipped */
    assert_int_equal(rk_import_tps(f->s, file(f, "t5.txt", list), RK_MISSING_SKIP, e, &rep), RK_OK);
    assert_int_equal(rep.added[RK_LEVEL_TPS], 2);
    assert_int_equal(rep.skipped, 1);
    int64_t l, p;
    assert_int_equal(rk_store_region_voters(f->s, "11", &l, &p), RK_OK);
    assert_int_equal(l, 200);
    assert_int_equal(p, 210);
    /* create policy: placeholders for 1201, 120101, 1201019999 */
    assert_int_equal(rk_import_tps(f->s, file(f, "t6.txt", "1201019999001\n"), RK_MISSING_CREATE,
                                   e, &rep),
                     RK_OK);
    assert_int_equal(rep.added[RK_LEVEL_KABKOTA], 1);
    assert_int_equal(rep.added[RK_LEVEL_DESA], 1);
    struct rk_region r;
    assert_int_equal(rk_store_region_get(f->s, "120101", &r), RK_OK);
    assert_string_equal(r.name, "(120101)");
    fclose(e);
}

static void test_candidates(void **state)
{
    struct fx *f = *state;
    struct rk_import_report rep;
    FILE *e = errfile();
    assert_int_equal(rk_import_regions(f->s, file(f, "w.csv", regions), e, &rep), RK_OK);
    const char *good = "{\"11\": {\"1000001\": {\"nama\": \"A - B\", \"warna\": \"#B67352\", "
                       "\"nomor_urut\": 1}, \"1000002\": {\"nama\": \"C - D\", \"nomor_urut\": 2}},"
                       "\"1101\": {\"1000105\": {\"nama\": \"E - F\", \"nomor_urut\": 1},"
                       "\"1000106\": {\"nama\": \"KOLOM KOSONG - \", \"nomor_urut\": 2}}}";
    assert_int_equal(rk_import_candidates(f->s, file(f, "p.json", good), "pilkada2024", e, &rep),
                     RK_OK);
    assert_int_equal(rep.races, 2);
    assert_int_equal(rep.candidates, 4);
    /* importing again: duplicate race, rolled back whole */
    assert_int_equal(rk_import_candidates(f->s, file(f, "p.json", good), "pilkada2024", e, &rep),
                     RK_EEXIST);
    /* a race for an unknown region: nothing of the file stays */
    const char *orphan = "{\"12\": {\"7\": {\"nama\": \"A\", \"nomor_urut\": 1}, \"8\": {\"nama\": "
                         "\"B\", \"nomor_urut\": 2}}, \"13\": {\"9\": {\"nama\": \"A\", "
                         "\"nomor_urut\": 1}, \"10\": {\"nama\": \"B\", \"nomor_urut\": 2}}}";
    assert_int_equal(rk_import_candidates(f->s, file(f, "o.json", orphan), "pilkada2024", e, &rep),
                     RK_EORPHAN);
    fflush(e);
    assert_non_null(strstr(errbuf, "o.json: race 13: region not imported"));
    struct rk_candidate c[6];
    int n = 0;
    assert_int_equal(rk_store_candidate_list(f->s, 7, c, 6, &n), RK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rk_import_candidates(f->s, file(f, "x.json", "{\"11\": ["), "pilkada2024", e,
                                          &rep),
                     RK_EPARSE);
    fflush(e);
    assert_non_null(strstr(errbuf, "x.json:1:"));
    fclose(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_regions_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_candidates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
