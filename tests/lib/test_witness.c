/* Witness receipts and log statements: exact format, round trips, one test per parser error,
 * and the upload statement built from stored fields equals the one a device signs. */
#include "testutil.h"

#include "rekap/statement.h"
#include "rekap/status.h"
#include "rekap/submission.h"
#include "rekap/witness.h"

#include <sodium.h>
#include <string.h>

static void sample(struct rk_witness *w)
{
    memset(w, 0, sizeof *w);
    strcpy(w->tps, "6101010001001");
    strcpy(w->race, "pilkada2024.pkwkp.61");
    w->version = 2;
    for (int i = 0; i < 32; i++)
        w->doc_hash[i] = (uint8_t)(0xa0 + i);
    for (int i = 0; i < 8; i++)
        w->device[i] = (uint8_t)(0x10 * i + 1);
    for (int i = 0; i < 64; i++)
        w->sig[i] = (uint8_t)(255 - 3 * i);
    w->log_index = 1234;
}

static void test_format_exact(void **state)
{
    (void)state;
    struct rk_witness w, back;
    sample(&w);
    char out[RK_WITNESS_MAX + 1];
    int n = rk_witness_format(&w, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(out));
    /* signature bytes 255, 252, 249, ...: base64url (unpadded) computed independently */
    char sig[100];
    sodium_bin2base64(sig, sizeof sig, w.sig, 64, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char want[400];
    snprintf(want, sizeof want,
             "RKW1|6101010001001|pilkada2024.pkwkp.61|2|"
             "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf|"
             "0111213141516171|%s|1234",
             sig);
    assert_string_equal(out, want);
    assert_int_equal(strlen(sig), RK_WITNESS_SIG_B64_LEN);
    assert_int_equal(rk_witness_parse(out, (size_t)n, &back), RK_OK);
    assert_memory_equal(&w, &back, sizeof w);
    /* too small a buffer */
    assert_int_equal(rk_witness_format(&w, out, 20), RK_ETOOBIG);
}

static void test_longest(void **state)
{
    (void)state;
    struct rk_witness w, back;
    sample(&w);
    memset(w.race, 'z', RK_LOGENTRY_RACE_MAX);
    w.race[RK_LOGENTRY_RACE_MAX] = '\0';
    w.version = RK_WITNESS_VERSION_MAX;
    w.log_index = RK_LOGENTRY_NUM_MAX;
    char out[RK_WITNESS_MAX + 1];
    int n = rk_witness_format(&w, out, sizeof out);
    assert_true(n > 250 && n <= RK_WITNESS_MAX);
    assert_int_equal(rk_witness_parse(out, (size_t)n, &back), RK_OK);
    assert_memory_equal(&w, &back, sizeof w);
    w.version = RK_WITNESS_VERSION_MAX + 1;
    assert_int_equal(rk_witness_format(&w, out, sizeof out), RK_ERANGE);
    w.version = 0;
    assert_int_equal(rk_witness_format(&w, out, sizeof out), RK_ERANGE);
    w.version = 1;
    strcpy(w.tps, "61010100010");
    assert_int_equal(rk_witness_format(&w, out, sizeof out), RK_EINVAL);
}

/* Replaces the first occurrence of from by to in a valid receipt and expects status. */
static void expect_bad(const char *from, const char *to, int status)
{
    struct rk_witness w;
    sample(&w);
    char ok[RK_WITNESS_MAX + 1], bad[2 * RK_WITNESS_MAX];
    rk_witness_format(&w, ok, sizeof ok);
    const char *p = strstr(ok, from);
    assert_non_null(p);
    snprintf(bad, sizeof bad, "%.*s%s%s", (int)(p - ok), ok, to, p + strlen(from));
    struct rk_witness out;
    memset(&out, 0x55, sizeof out);
    int rc = rk_witness_parse(bad, strlen(bad), &out);
    if (rc != status)
        fail_msg("'%s' -> '%s': got %d, want %d", from, to, rc, status);
    /* a refused receipt leaves nothing half-filled */
    struct rk_witness zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&out, &zero, sizeof out);
}

static void test_errors(void **state)
{
    (void)state;
    expect_bad("RKW1", "RKW2", RK_EPARSE);
    expect_bad("RKW1|", "rkw1|", RK_EPARSE);
    expect_bad("|1234", "|1234|5", RK_EPARSE);      /* nine fields */
    expect_bad("|1234", "", RK_EPARSE);             /* seven fields */
    expect_bad("|1234", "|1234\n", RK_EINVAL);      /* trailing newline */
    expect_bad("|1234", "|01234", RK_EINVAL);       /* leading zero */
    expect_bad("|1234", "|+1234", RK_EINVAL);
    expect_bad("|1234", "|9007199254740992", RK_ERANGE);
    expect_bad("|2|", "|0|", RK_EINVAL);            /* versions start at 1 */
    expect_bad("|2|", "|02|", RK_EINVAL);
    expect_bad("|2|", "|1000001|", RK_ERANGE);
    expect_bad("|2|", "||", RK_EINVAL);
    expect_bad("6101010001001", "61.01.01.0001.001", RK_EINVAL);
    expect_bad("6101010001001", "6101010001000", RK_EINVAL); /* TPS 000 */
    expect_bad("6101010001001", "610101000100", RK_EINVAL);
    expect_bad("pilkada2024.pkwkp.61", "Pilkada2024.pkwkp.61", RK_EINVAL);
    expect_bad("pilkada2024.pkwkp.61", "", RK_EINVAL);
    expect_bad("pilkada2024.pkwkp.61", "a b", RK_EINVAL);
    expect_bad("a0a1a2", "A0a1a2", RK_EINVAL);       /* uppercase hex */
    expect_bad("a0a1a2", "a0a1a", RK_EINVAL);        /* 63 digits */
    expect_bad("0111213141516171", "0111213141516171ff", RK_EINVAL);
    expect_bad("0111213141516171", "011121314151617g", RK_EINVAL);
    /* the signature: padding, wrong alphabet, stray low bits (non-canonical) */
    struct rk_witness w;
    sample(&w);
    char sig[100];
    sodium_bin2base64(sig, sizeof sig, w.sig, 64, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char padded[110], plus[100], stray[100];
    snprintf(padded, sizeof padded, "%s==", sig);
    expect_bad(sig, padded, RK_EINVAL);
    strcpy(plus, sig);
    plus[0] = '+';
    expect_bad(sig, plus, RK_EINVAL);
    strcpy(stray, sig);
    stray[85] = stray[85] == 'B' ? 'C' : 'B'; /* sets bits past the 64th byte */
    expect_bad(sig, stray, RK_EINVAL);
    sig[85] = '\0';
    expect_bad(sig, "", RK_EINVAL); /* 85 characters: truncated signature */
    /* length cap before anything else */
    char big[RK_WITNESS_MAX + 2];
    memset(big, '1', sizeof big);
    struct rk_witness out;
    assert_int_equal(rk_witness_parse(big, sizeof big, &out), RK_ETOOBIG);
    assert_int_equal(rk_witness_parse("", 0, &out), RK_EPARSE);
}

/* The upload statement rebuilt from stored fields is the one the device signed. */
static void test_statements(void **state)
{
    (void)state;
    struct rk_submission sub;
    memset(&sub, 0, sizeof sub);
    strcpy(sub.doc.tps, "6101010001001");
    memset(sub.doc_hash, 0xab, 32);
    char a[RK_STATEMENT_BUF], b[RK_STATEMENT_BUF];
    size_t la, lb;
    assert_int_equal(rk_submission_statement(&sub, a, sizeof a, &la), RK_OK);
    assert_string_equal(a, "rekap-submission-v1\ntps=6101010001001\ndoc="
                           "abababababababababababababababababababababababababababababababab\n"
                           "prev=-\nphotos=-\n");
    sub.has_prev = true;
    memset(sub.prev, 0x01, 32);
    sub.n_photos = 2;
    memset(sub.photos[0], 0x02, 32);
    memset(sub.photos[1], 0x03, 32);
    assert_int_equal(rk_submission_statement(&sub, a, sizeof a, &la), RK_OK);
    assert_int_equal(rk_statement_upload(sub.doc.tps, sub.doc_hash, sub.prev,
                                         (const uint8_t(*)[32])sub.photos, 2, b, sizeof b, &lb),
                     RK_OK);
    assert_int_equal(la, lb);
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "\nphotos=0202020202020202020202020202020202020202020202020202020202"
                              "020202,03030303"));
    assert_int_equal(a[la - 1], '\n');
    /* eight photos fit; nine are refused; a tiny buffer is RK_ETOOBIG */
    uint8_t ph[9][32];
    memset(ph, 7, sizeof ph);
    assert_int_equal(rk_statement_upload("6101010001001", sub.doc_hash, NULL,
                                         (const uint8_t(*)[32])ph, 8, b, sizeof b, &lb),
                     RK_OK);
    assert_int_equal(rk_statement_upload("6101010001001", sub.doc_hash, NULL,
                                         (const uint8_t(*)[32])ph, 9, b, sizeof b, &lb),
                     RK_ERANGE);
    assert_int_equal(rk_statement_upload("6101010001001", sub.doc_hash, NULL, NULL, 0, b, 40, &lb),
                     RK_ETOOBIG);
    /* correction binds the reason by its hash; approval names the version */
    assert_int_equal(rk_statement_correction("6101010001001", sub.doc_hash, sub.prev, "abc", b,
                                             sizeof b, &lb),
                     RK_OK);
    assert_non_null(strstr(b, "\nreason=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"));
    assert_true(strncmp(b, "rekap-correction-v1\n", 20) == 0);
    assert_int_equal(rk_statement_approval("6101010001001", 3, sub.doc_hash, b, sizeof b, &lb),
                     RK_OK);
    assert_string_equal(b, "rekap-approval-v1\ntps=6101010001001\nversion=3\ndoc="
                           "abababababababababababababababababababababababababababababababab\n");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_longest),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_statements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
