/* CSV splitting and quoting, including the malformed records an import must refuse. */
#include "testutil.h"
#include "rekap/csv.h"
#include "rekap/status.h"
#include "rekap/text.h"

#include <string.h>

static int split(const char *in, struct rk_csv_field *f, int cap, int *n, char *buf)
{
    strcpy(buf, in);
    return rk_csv_split(buf, strlen(buf), f, cap, n);
}

static void test_split(void **state)
{
    (void)state;
    char buf[256];
    struct rk_csv_field f[4];
    int n;
    assert_int_equal(split("11,\"ACEH\"", f, 4, &n, buf), RK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(f[0].len, 2);
    assert_memory_equal(f[1].s, "ACEH", 4);
    assert_int_equal(split("a,\"b,\"\"c\"\"\",,d\r", f, 4, &n, buf), RK_OK);
    assert_int_equal(n, 4);
    assert_int_equal(f[1].len, 5);
    assert_memory_equal(f[1].s, "b,\"c\"", 5);
    assert_int_equal(f[2].len, 0);
    assert_int_equal(f[3].len, 1);
    assert_int_equal(split("", f, 4, &n, buf), RK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(split("a,", f, 4, &n, buf), RK_OK);
    assert_int_equal(n, 2);
}

static void test_split_bad(void **state)
{
    (void)state;
    char buf[256];
    struct rk_csv_field f[2];
    int n;
    assert_int_equal(split("\"open", f, 2, &n, buf), RK_EPARSE);
    assert_int_equal(split("\"a\"b", f, 2, &n, buf), RK_EPARSE);
    assert_int_equal(split("a\"b", f, 2, &n, buf), RK_EPARSE);
    assert_int_equal(split("a,b,c", f, 2, &n, buf), RK_ETOOBIG);
    static char big[RK_CSV_LINE_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    assert_int_equal(rk_csv_split(big, sizeof big - 1, f, 2, &n), RK_ETOOBIG);
}

static void test_quote(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(rk_csv_quote("plain", out, sizeof out), 5);
    assert_string_equal(out, "plain");
    assert_true(rk_csv_quote("a,\"b\"", out, sizeof out) > 0);
    assert_string_equal(out, "\"a,\"\"b\"\"\"");
    assert_int_equal(rk_csv_quote("a,b", out, 4), -1);
}

static void test_numbers_text(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(rk_parse_u64("600", 3, 600, &v), RK_OK);
    assert_int_equal(v, 600);
    assert_int_equal(rk_parse_u64("601", 3, 600, &v), RK_ERANGE);
    assert_int_equal(rk_parse_u64("", 0, 600, &v), RK_EINVAL);
    assert_int_equal(rk_parse_u64("-1", 2, 600, &v), RK_EINVAL);
    assert_int_equal(rk_parse_u64("18446744073709551616", 20, UINT64_MAX, &v), RK_ERANGE);
    assert_true(rk_utf8_valid_text("Kepulauan Seribu", 16));
    assert_false(rk_utf8_valid_text("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(rk_utf8_valid_text("\xc0\xaf", 2));     /* overlong */
    assert_false(rk_utf8_valid_text("a\x7f", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_bad),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_numbers_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
