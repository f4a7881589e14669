/* KPU paslon JSON parser: the real shape, kolom kosong, and malformed or hostile files. */
#include "testutil.h"
#include "rekap/paslon.h"
#include "rekap/status.h"

#include <string.h>

struct seen {
    int races;
    struct rk_paslon_race last;
};

static int collect(void *ud, const struct rk_paslon_race *r)
{
    struct seen *s = ud;
    s->races++;
    s->last = *r;
    return 0;
}

static int parse(const char *json, struct seen *s, struct rk_paslon_error *err)
{
    memset(s, 0, sizeof *s);
    return rk_paslon_parse(json, strlen(json), collect, s, err);
}

static void test_real_shape(void **state)
{
    (void)state;
    struct seen s;
    struct rk_paslon_error err;
    const char *json =
        "{\"2101\": {\"1000531\": {\"ts\": \"x\", \"nama\": \"KOLOM KOSONG - \", \"warna\": "
        "\"#8CB9BD\", \"nomor_urut\": 2},"
        "\"1000530\": {\"ts\": \"x\", \"nama\": \"ROBY - DEBY\", \"warna\": \"#B67352\", "
        "\"nomor_urut\": 1}}}";
    assert_int_equal(parse(json, &s, &err), RK_OK);
    assert_int_equal(s.races, 1);
    assert_string_equal(s.last.region_code, "2101");
    assert_int_equal(s.last.kind, RK_RACE_REGENT);
    assert_int_equal(s.last.n, 2);
    assert_int_equal(s.last.cand[0].id, 1000530);
    assert_int_equal(s.last.cand[0].ballot_no, 1);
    assert_false(s.last.cand[0].kolom_kosong);
    assert_true(s.last.cand[1].kolom_kosong);
}

static void expect_error(const char *json, int status, const char *where)
{
    struct seen s;
    struct rk_paslon_error err;
    int rc = parse(json, &s, &err);
    if (rc != status)
        fail_msg("%s: got %d want %d (%s)", json, rc, status, err.message);
    assert_true(err.message[0] != '\0');
    if (where)
        assert_string_equal(err.where, where);
    assert_int_equal(s.races, 0);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("{", RK_EPARSE, NULL);
    expect_error("[]", RK_EINVAL, NULL);
    expect_error("{\"1x\": {}}", RK_EINVAL, "1x");
    expect_error("{\"110101\": {}}", RK_EINVAL, "110101");
    expect_error("{\"11\": {}}", RK_EINVAL, "11"); /* no candidates */
    expect_error("{\"11\": {\"1\": {\"nama\": \"A\", \"nomor_urut\": 1}}}", RK_EINVAL, "11");
    expect_error("{\"11\": {\"1\": {\"nama\": \"A\", \"nomor_urut\": 1},"
                 "\"2\": {\"nama\": \"B\", \"nomor_urut\": 1}}}",
                 RK_EINVAL, "11"); /* duplicate ballot number */
    expect_error("{\"11\": {\"1\": {\"nama\": 5, \"nomor_urut\": 1}}}", RK_EINVAL, "1");
    expect_error("{\"11\": {\"x\": {\"nama\": \"A\", \"nomor_urut\": 1}}}", RK_EINVAL, "x");
    expect_error("{\"11\": {\"1\": {\"nama\": \"A\", \"nomor_urut\": 9}}}", RK_EINVAL, "1");
    expect_error("{\"11\": {\"1\": {\"nama\": \"A\", \"nomor_urut\": 1, \"warna\": \"red\"}}}",
                 RK_EINVAL, "1");
    /* duplicate keys are refused, not silently merged */
    expect_error("{\"11\": {}, \"11\": {}}", RK_EPARSE, NULL);
}

static int stop_after_first(void *ud, const struct rk_paslon_race *r)
{
    (void)r;
    (*(int *)ud)++;
    return 42;
}

static void test_stop(void **state)
{
    (void)state;
    const char *json = "{\"11\": {\"1\": {\"nama\": \"A\", \"nomor_urut\": 1},"
                       "\"2\": {\"nama\": \"B\", \"nomor_urut\": 2}},"
                       "\"12\": {\"3\": {\"nama\": \"C\", \"nomor_urut\": 1},"
                       "\"4\": {\"nama\": \"D\", \"nomor_urut\": 2}}}";
    int calls = 0;
    assert_int_equal(rk_paslon_parse(json, strlen(json), stop_after_first, &calls, NULL), 42);
    assert_int_equal(calls, 1);
}

static void test_real_files(void **state)
{
    (void)state;
    char path[512];
    if (!rk_test_data("kpu/pilkada2024/paslon/pkwkk.json", path, sizeof path)) {
        print_message("skipped: ../shared/data/kpu/pilkada2024/paslon absent\n");
        skip();
    }
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(rk_paslon_parse(buf, n, collect, &s, NULL), RK_OK);
    assert_int_equal(s.races, 508); /* 508 bupati/walikota races in Pilkada 2024 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_shape),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_real_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
