/* Account and device statements: exact bytes, and fields that could forge extra lines are
 * refused rather than written. */
#include "testutil.h"

#include "rekap/statement.h"
#include "rekap/status.h"

#include <string.h>

static void test_account(void **state)
{
    (void)state;
    char st[RK_STATEMENT_BUF];
    size_t len;
    assert_int_equal(rk_statement_account("ppk-110101", "ppk", "110101", NULL, RK_ACCOUNT_DISABLE,
                                          st, sizeof st, &len),
                     RK_OK);
    assert_string_equal(st, "rekap-account-v1\nuser=ppk-110101\nrole=ppk\nscope=110101\nrace=-\n"
                            "action=disable\n");
    assert_int_equal(len, strlen(st));
    assert_int_equal(rk_statement_account("kpu-ri", "kpu-ri", "", "", RK_ACCOUNT_ENABLE, st,
                                          sizeof st, &len),
                     RK_OK);
    assert_non_null(strstr(st, "scope=-\nrace=-\naction=enable\n"));
    /* a line break or '=' would let one field forge another line */
    assert_int_equal(rk_statement_account("a\nrole=kpu-ri", "ppk", "11", NULL, RK_ACCOUNT_CREATE,
                                          st, sizeof st, &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_account("abc", "ppk", "11", "x=y", RK_ACCOUNT_CREATE, st,
                                          sizeof st, &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_account("", "ppk", "11", NULL, RK_ACCOUNT_CREATE, st, sizeof st,
                                          &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_account("abc", "ppk", "11", NULL, (enum rk_account_action)9, st,
                                          sizeof st, &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_account("abc", "ppk", "11", NULL, RK_ACCOUNT_CREATE, st, 20,
                                          &len),
                     RK_ETOOBIG);
}

static void test_device(void **state)
{
    (void)state;
    char st[RK_STATEMENT_BUF];
    size_t len;
    uint8_t pk[32];
    for (int i = 0; i < 32; i++)
        pk[i] = (uint8_t)i;
    assert_int_equal(rk_statement_device("kpps-1", "00112233aabbccdd", pk, RK_DEVICE_REVOKE, st,
                                         sizeof st, &len),
                     RK_OK);
    assert_string_equal(st, "rekap-device-v1\nuser=kpps-1\nkey=00112233aabbccdd\npublic_key="
                            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
                            "action=revoke\n");
    assert_int_equal(rk_statement_device("kpps 1", "00", pk, RK_DEVICE_REGISTER, st, sizeof st,
                                         &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_device("kpps-1", "00", NULL, RK_DEVICE_REGISTER, st, sizeof st,
                                         &len),
                     RK_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
