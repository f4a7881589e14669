/* Account, device and race statements: exact bytes, and fields that could forge extra lines
 * are refused rather than written. */
#include "testutil.h"

#include "rekap/statement.h"
#include "rekap/status.h"

#include <sodium.h>
#include <stdio.h>
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

static void test_objection(void **state)
{
    (void)state;
    char st[RK_STATEMENT_BUF], want[RK_STATEMENT_BUF], rh[65];
    size_t len;
    uint8_t doc[32], h[32];
    memset(doc, 0xab, sizeof doc);
    const char *why = "angka suara paslon 1 tidak sesuai foto C.Hasil";
    crypto_hash_sha256(h, (const unsigned char *)why, strlen(why));
    for (int i = 0; i < 32; i++)
        snprintf(rh + 2 * i, 3, "%02x", h[i]);
    assert_int_equal(rk_statement_objection("6101012001001", 2, doc, why, st, sizeof st, &len),
                     RK_OK);
    snprintf(want, sizeof want,
             "rekap-objection-v1\ntps=6101012001001\nversion=2\ndoc=%s\nreason=%s\n",
             "abababababababababababababababababababababababababababababababab", rh);
    assert_string_equal(st, want);
    assert_int_equal(len, strlen(want));
    /* the reason is bound by its hash, so a line break in it forges nothing */
    assert_int_equal(rk_statement_objection("6101012001001", 2, doc, "x\nversion=9", st, sizeof st,
                                            &len),
                     RK_OK);
    assert_null(strstr(st, "version=9"));
    assert_int_equal(rk_statement_objection("6101012001001", 2, doc, why, st, 40, &len),
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

static void sha_hex(const char *s, char out[65])
{
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void test_race(void **state)
{
    (void)state;
    /* given out of ballot order: the statement lists ballot order */
    struct rk_candidate c[2];
    memset(c, 0, sizeof c);
    c[0].ballot_no = 2;
    c[0].kolom_kosong = true;
    snprintf(c[0].name, sizeof c[0].name, "KOLOM KOSONG");
    c[1].ballot_no = 1;
    snprintf(c[1].name, sizeof c[1].name, "MIRWAN - BAHARUDDIN");
    char st[RK_STATEMENT_BUF], want[RK_STATEMENT_BUF], hn[65], h1[65], h2[65];
    size_t len;
    assert_int_equal(rk_statement_race("pilkada2024.pkwkk.1101", "1101", RK_RACE_REGENT,
                                       "Bupati KAB. ACEH SELATAN", c, 2, st, sizeof st, &len),
                     RK_OK);
    sha_hex("Bupati KAB. ACEH SELATAN", hn);
    sha_hex("MIRWAN - BAHARUDDIN", h1);
    sha_hex("KOLOM KOSONG", h2);
    snprintf(want, sizeof want,
             "rekap-race-v1\nrace=pilkada2024.pkwkk.1101\nregion=1101\nkind=pkwkk\nname=%s\n"
             "candidates=2\ncandidate=1,0,%s\ncandidate=2,1,%s\n",
             hn, h1, h2);
    assert_string_equal(st, want);
    assert_int_equal(len, strlen(st));
    /* a renamed pair is a different statement */
    snprintf(c[1].name, sizeof c[1].name, "MIRWAN - BAHARUDIN");
    char st2[RK_STATEMENT_BUF];
    assert_int_equal(rk_statement_race("pilkada2024.pkwkk.1101", "1101", RK_RACE_REGENT,
                                       "Bupati KAB. ACEH SELATAN", c, 2, st2, sizeof st2, &len),
                     RK_OK);
    assert_true(strcmp(st, st2) != 0);
    /* six columns fit the common buffer */
    struct rk_candidate six[RK_CANDIDATES_MAX];
    memset(six, 0, sizeof six);
    for (int i = 0; i < RK_CANDIDATES_MAX; i++) {
        six[i].ballot_no = i + 1;
        snprintf(six[i].name, sizeof six[i].name, "PASLON %d", i + 1);
    }
    assert_int_equal(rk_statement_race("pilkada2024.pkwkk.1101", "1101", RK_RACE_MAYOR, "x", six,
                                       RK_CANDIDATES_MAX, st, sizeof st, &len),
                     RK_OK);
    /* refused: a ballot number twice or out of range, no columns, a ref that could break a
     * line, an unknown kind, a buffer too small */
    six[1].ballot_no = 1;
    assert_int_equal(rk_statement_race("p.pkwkk.1101", "1101", RK_RACE_REGENT, "x", six, 2, st,
                                       sizeof st, &len),
                     RK_EINVAL);
    six[1].ballot_no = 3;
    assert_int_equal(rk_statement_race("p.pkwkk.1101", "1101", RK_RACE_REGENT, "x", six, 2, st,
                                       sizeof st, &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_race("p.pkwkk.1101", "1101", RK_RACE_REGENT, "x", c, 0, st,
                                       sizeof st, &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_race("p pkwkk", "1101", RK_RACE_REGENT, "x", c, 2, st,
                                       sizeof st, &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_race("p.x.1101", "1101", (enum rk_race_kind)9, "x", c, 2, st,
                                       sizeof st, &len),
                     RK_EINVAL);
    assert_int_equal(rk_statement_race("p.pkwkk.1101", "1101", RK_RACE_REGENT, "x", c, 2, st, 40,
                                       &len),
                     RK_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_device),
        cmocka_unit_test(test_objection),
        cmocka_unit_test(test_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
