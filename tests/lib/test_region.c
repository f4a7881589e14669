/* Region codes: parsing (plain and dotted), levels, ancestry, and every way a code is wrong. */
#include "testutil.h"
#include "rekap/region.h"
#include "rekap/status.h"

#include <string.h>

static void parse_ok(const char *in, const char *want, enum rk_level level)
{
    char out[RK_CODE_MAX + 1];
    enum rk_level got;
    assert_int_equal(rk_code_parse(in, strlen(in), out, &got), RK_OK);
    assert_string_equal(out, want);
    assert_int_equal(got, level);
}

static void test_parse_levels(void **state)
{
    (void)state;
    parse_ok("11", "11", RK_LEVEL_PROVINCE);
    parse_ok("1101", "1101", RK_LEVEL_KABKOTA);
    parse_ok("110101", "110101", RK_LEVEL_KECAMATAN);
    parse_ok("1101012001", "1101012001", RK_LEVEL_DESA);
    parse_ok("1101012001003", "1101012001003", RK_LEVEL_TPS);
    parse_ok("11.01.01.2001", "1101012001", RK_LEVEL_DESA);
    parse_ok("11.01", "1101", RK_LEVEL_KABKOTA);
    parse_ok("11.01.01.2001.003", "1101012001003", RK_LEVEL_TPS);
}

static void test_parse_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          "1",        "111",        "11011",          "11010120011",
        "110101200100", "11010120010034", "1a01",  "11 01",       " 11",
        "00",        "0101",     "1100",       "110100",         "1101010000",
        "1101012001000", "11.0101", "11..01",   "11.01.",         ".11",
        "110.1",     "11.01.01.20010", "-1",      "+11",            "11.01.01.2001.03",
        "99999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[RK_CODE_MAX + 1];
        enum rk_level level;
        int rc = rk_code_parse(bad[i], strlen(bad[i]), out, &level);
        if (rc != RK_EINVAL)
            fail_msg("code '%s' accepted", bad[i]);
    }
}

static void test_ancestry(void **state)
{
    (void)state;
    char out[RK_CODE_MAX + 1];
    assert_int_equal(rk_code_parent("1101012001003", out), RK_OK);
    assert_string_equal(out, "1101012001");
    assert_int_equal(rk_code_parent("11", out), RK_OK);
    assert_string_equal(out, "");
    assert_int_equal(rk_code_parent("", out), RK_EINVAL);
    assert_int_equal(rk_code_ancestor("1101012001003", RK_LEVEL_KECAMATAN, out), RK_OK);
    assert_string_equal(out, "110101");
    assert_int_equal(rk_code_ancestor("1101", RK_LEVEL_DESA, out), RK_EINVAL);
    assert_int_equal(rk_code_level("12345"), -1);
    assert_int_equal(rk_level_digits(RK_LEVEL_TPS), 13);
    assert_true(rk_code_is_kota("1171"));
    assert_false(rk_code_is_kota("1101"));
    assert_false(rk_code_is_kota("11"));
}

static void test_region_init(void **state)
{
    (void)state;
    struct rk_region r;
    assert_int_equal(rk_region_init(&r, "1101", 4, "  KAB. ACEH SELATAN ", 20), RK_OK);
    assert_string_equal(r.name, "KAB. ACEH SELATAN");
    assert_int_equal(r.level, RK_LEVEL_KABKOTA);
    assert_int_equal(rk_region_init(&r, "1101", 4, "", 0), RK_EINVAL);
    assert_int_equal(rk_region_init(&r, "1101", 4, "a\tb", 3), RK_EINVAL);
    assert_int_equal(rk_region_init(&r, "1101", 4, "\xc3\x28", 2), RK_EINVAL); /* bad UTF-8 */
    assert_int_equal(rk_region_init(&r, "1101", 4, "Bel\xc3\xa9m", 6), RK_OK);
    char longname[RK_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname);
    assert_int_equal(rk_region_init(&r, "11", 2, longname, sizeof longname), RK_ERANGE);
    assert_int_equal(rk_region_init(&r, "1", 1, "X", 1), RK_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_levels),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_ancestry),
        cmocka_unit_test(test_region_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
