/* Election model: race kinds per region, candidate-list rules incl. kolom kosong, status table. */
#include "testutil.h"
#include "rekap/election.h"
#include "rekap/status.h"

#include <string.h>

static void make(struct rk_candidate *c, int ballot, const char *name)
{
    assert_int_equal(rk_candidate_init(c, ballot, ballot, name, "#B67352"), RK_OK);
}

static void test_race_kinds(void **state)
{
    (void)state;
    enum rk_race_kind k;
    assert_int_equal(rk_race_kind_for_region("11", &k), RK_OK);
    assert_int_equal(k, RK_RACE_GOVERNOR);
    assert_int_equal(rk_race_kind_for_region("1101", &k), RK_OK);
    assert_int_equal(k, RK_RACE_REGENT);
    assert_int_equal(rk_race_kind_for_region("1171", &k), RK_OK);
    assert_int_equal(k, RK_RACE_MAYOR);
    assert_int_equal(rk_race_kind_for_region("", &k), RK_OK);
    assert_int_equal(k, RK_RACE_PRESIDENT);
    assert_int_equal(rk_race_kind_for_region("110101", &k), RK_EINVAL);
    assert_string_equal(rk_race_kind_code(RK_RACE_MAYOR), "pkwkk");
    assert_int_equal(rk_race_kind_parse("walikota", &k), RK_OK);
    assert_int_equal(k, RK_RACE_MAYOR);
    assert_int_equal(rk_race_kind_parse("emperor", &k), RK_EINVAL);
    assert_int_equal(rk_race_kind_level(RK_RACE_GOVERNOR), RK_LEVEL_PROVINCE);
}

static void test_candidates(void **state)
{
    (void)state;
    struct rk_candidate c[7];
    const char *why;
    make(&c[0], 1, "A - B");
    make(&c[1], 2, "C - D");
    assert_int_equal(rk_race_check_candidates(c, 2, &why), RK_OK);
    assert_int_equal(rk_race_check_candidates(c, 1, &why), RK_EINVAL);
    assert_non_null(why);
    /* single pair vs kolom kosong, as the KPU portal spells it */
    make(&c[1], 2, "KOLOM KOSONG - ");
    assert_true(c[1].kolom_kosong);
    assert_string_equal(c[1].name, "KOLOM KOSONG");
    assert_int_equal(rk_race_check_candidates(c, 2, &why), RK_OK);
    /* kolom kosong beside two pairs is not a thing */
    make(&c[2], 3, "E - F");
    assert_int_equal(rk_race_check_candidates(c, 3, &why), RK_EINVAL);
    /* six pairs fine, seven not */
    for (int i = 0; i < 7; i++)
        make(&c[i], i < 6 ? i + 1 : 6, "X - Y");
    assert_int_equal(rk_race_check_candidates(c, 6, &why), RK_OK);
    assert_int_equal(rk_race_check_candidates(c, 7, &why), RK_EINVAL);
    /* duplicate and gap in ballot numbers */
    make(&c[0], 1, "A");
    make(&c[1], 1, "B");
    assert_int_equal(rk_race_check_candidates(c, 2, &why), RK_EINVAL);
    make(&c[1], 3, "B");
    assert_int_equal(rk_candidate_init(&c[1], 3, 3, "B", NULL), RK_OK);
    assert_int_equal(rk_race_check_candidates(c, 2, &why), RK_EINVAL);
    /* bad inputs */
    assert_int_equal(rk_candidate_init(&c[0], 1, 0, "A", NULL), RK_ERANGE);
    assert_int_equal(rk_candidate_init(&c[0], 1, 7, "A", NULL), RK_ERANGE);
    assert_int_equal(rk_candidate_init(&c[0], 1, 1, "", NULL), RK_EINVAL);
    assert_int_equal(rk_candidate_init(&c[0], 1, 1, "A", "red"), RK_EINVAL);
    assert_int_equal(rk_candidate_init(&c[0], 1, 1, "A", "#GG0000"), RK_EINVAL);
}

static void test_slug_and_status(void **state)
{
    (void)state;
    assert_int_equal(rk_election_slug_check("pilkada2024"), RK_OK);
    assert_int_equal(rk_election_slug_check("Pilkada"), RK_EINVAL);
    assert_int_equal(rk_election_slug_check(""), RK_EINVAL);
    assert_int_equal(rk_election_slug_check("a/b"), RK_EINVAL);
    assert_int_equal(rk_status_http(RK_ENOTFOUND), 404);
    assert_int_equal(rk_status_http(RK_ETOOBIG), 413);
    assert_int_equal(rk_status_http(RK_EVALIDATION), 422);
    assert_int_equal(rk_status_http(-9999), 500);
    assert_string_equal(rk_status_name(RK_EFORBIDDEN), "forbidden");
    assert_string_equal(rk_strerror_id(RK_ENOTFOUND), "tidak ditemukan");
    /* every status has distinct, non-empty names */
    for (int a = RK_EINTERNAL; a <= 0; a++) {
        assert_true(strlen(rk_strerror(a)) > 0);
        for (int b = a + 1; b <= 0; b++)
            assert_string_not_equal(rk_status_name(a), rk_status_name(b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_race_kinds),
        cmocka_unit_test(test_candidates),
        cmocka_unit_test(test_slug_and_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
