/* KPU portal per-TPS JSON -> C.Hasil: field mapping, candidate ordering, upload states, the
 * Pilkada layout, and refusals of malformed documents. */
#include "testutil.h"

#include "rekap/kpu.h"
#include "rekap/status.h"
#include "rekap/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The DOMAIN.md 4.1 example (ridwaanhall/pemilu2024.kpu.go.id, TPS 1101012001003), keys
 * shuffled as the portal does. */
static const char EXAMPLE[] =
    "{\"mode\":\"hhcw\",\"chart\":{\"null\":null,\"100027\":7,\"100025\":202,\"100026\":38},"
    "\"images\":[\"https://sirekap-obj-formc.kpu.go.id/c688/pemilu/ppwp/11/01/01/20/01/"
    "1101012001003-20240218-163000--d645cb66.jpg\",null,null],"
    "\"administrasi\":{\"suara_sah\":247,\"suara_total\":253,"
    "\"pemilih_dpt_j\":293,\"pemilih_dpt_l\":138,\"pemilih_dpt_p\":155,"
    "\"pengguna_dpt_j\":248,\"pengguna_dpt_l\":118,\"pengguna_dpt_p\":130,"
    "\"pengguna_dptb_j\":1,\"pengguna_dptb_l\":0,\"pengguna_dptb_p\":1,"
    "\"pengguna_non_dpt_j\":4,\"pengguna_non_dpt_l\":2,\"pengguna_non_dpt_p\":2,"
    "\"pengguna_total_j\":253,\"pengguna_total_l\":120,\"pengguna_total_p\":133,"
    "\"suara_tidak_sah\":6},"
    "\"psu\":null,\"ts\":\"2024-02-22 17:00:00\",\"status_suara\":true,\"status_adm\":true}";

static char *mutate(const char *src, const char *find, const char *repl)
{
    const char *at = strstr(src, find);
    if (!at)
        fail_msg("mutation target '%s' not in input", find);
    char *out = malloc(strlen(src) - strlen(find) + strlen(repl) + 1);
    assert_non_null(out);
    memcpy(out, src, (size_t)(at - src));
    strcpy(out + (at - src), repl);
    strcat(out, at + strlen(find));
    return out;
}

static void test_example(void **state)
{
    (void)state;
    struct rk_chasil d;
    enum rk_kpu_state st;
    struct rk_kpu_error err;
    assert_int_equal(rk_kpu_parse_tps(EXAMPLE, strlen(EXAMPLE), NULL, &d, &st, &err), RK_OK);
    assert_int_equal(st, RK_KPU_FULL);
    assert_string_equal(d.tps, "1101012001003"); /* from the image URL */
    assert_string_equal(d.election, "pemilu2024");
    assert_int_equal(d.n_paslon, 3);
    assert_false(d.kolom_kosong);
    /* Ascending candidate id = ballot number: 100025 -> 1, 100026 -> 2, 100027 -> 3. */
    assert_int_equal(d.v[RK_F_SUARA_PASLON_1], 202);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_2], 38);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_3], 7);
    assert_int_equal(d.v[RK_F_PENGGUNA_DPK_L], 2); /* pengguna_non_dpt_* is the DPK row */
    assert_int_equal(d.v[RK_F_PENGGUNA_DPK_J], 4);
    assert_int_equal(d.v[RK_F_PENGGUNA_TOTAL_P], 133);
    assert_int_equal(d.v[RK_F_PEMILIH_DPT_P], 155);
    assert_int_equal(d.v[RK_F_SUARA_TIDAK_SAH], 6);
    /* No ballot or disability numbers on the portal. */
    for (int f = RK_F_SS_DITERIMA; f <= RK_F_DISABILITAS_J; f++)
        assert_false(rk_chasil_has(&d, (enum rk_chasil_field)f));
    int present = 0;
    for (int f = 0; f < RK_F_COUNT; f++)
        present += rk_chasil_has(&d, (enum rk_chasil_field)f);
    assert_int_equal(present, 15 + 3 + 3);
    /* The example is consistent: no rule breaks. */
    struct rk_validate_ctx ctx;
    rk_validate_ctx_init(&ctx, RK_ELECTION_PEMILU);
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n;
    assert_int_equal(rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);

    /* Given a code, it wins over the URL; the partial document encodes. */
    struct rk_kpu_opts o = {.tps_code = "3173011006272", .race_id = 7};
    assert_int_equal(rk_kpu_parse_tps(EXAMPLE, strlen(EXAMPLE), &o, &d, &st, &err), RK_OK);
    assert_string_equal(d.tps, "3173011006272");
    char buf[RK_CHASIL_JSON_MAX];
    size_t len;
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_OK);
    assert_non_null(strstr(buf, "\"pengguna_dpk_j\":4,"));
    assert_null(strstr(buf, "ss_"));
}

static void test_inconsistent_portal_numbers(void **state)
{
    (void)state;
    /* Valid votes off by two, as in hundreds of published TPS. */
    char *in = mutate(EXAMPLE, "\"suara_sah\":247", "\"suara_sah\":245");
    struct rk_chasil d;
    enum rk_kpu_state st;
    struct rk_kpu_error err;
    assert_int_equal(rk_kpu_parse_tps(in, strlen(in), NULL, &d, &st, &err), RK_OK);
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n;
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].code, "R3_SAH_SUM");
    assert_string_equal(v[1].code, "R4_TOTAL_SUM");
    free(in);
    /* Over 999 is kept (the validator flags it) up to the parser's own cap. */
    in = mutate(EXAMPLE, "\"100025\":202", "\"100025\":1202");
    assert_int_equal(rk_kpu_parse_tps(in, strlen(in), NULL, &d, &st, &err), RK_OK);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_1], 1202);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    int range = 0;
    for (size_t i = 0; i < n; i++)
        range += strcmp(v[i].code, "R10_RANGE") == 0;
    assert_int_equal(range, 1);
    free(in);
}

static void test_states(void **state)
{
    (void)state;
    struct rk_chasil d;
    enum rk_kpu_state st;
    struct rk_kpu_error err;
    struct rk_kpu_opts o = {.tps_code = "3173011006272"};
    static const char *empty[] = {
        "{\"chart\":null,\"images\":[null,null,null],\"administrasi\":null,\"psu\":null,"
        "\"ts\":\"2024-02-15 07:00:44\",\"status_suara\":false,\"status_adm\":false}",
        "{\"chart\":{\"null\":null},\"administrasi\":null,\"status_suara\":true}",
        "{\"chart\":{\"100025\":null,\"100026\":null},\"administrasi\":{}}",
        "{}",
    };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        st = RK_KPU_FULL;
        assert_int_equal(rk_kpu_parse_tps(empty[i], strlen(empty[i]), &o, &d, &st, &err), RK_OK);
        assert_int_equal(st, RK_KPU_EMPTY);
        assert_int_equal(d.present, 0);
    }
    char *chart_only = mutate(EXAMPLE, "\"administrasi\":{", "\"administrasi\":null,\"x\":{");
    assert_int_equal(rk_kpu_parse_tps(chart_only, strlen(chart_only), &o, &d, &st, &err), RK_OK);
    assert_int_equal(st, RK_KPU_PARTIAL);
    assert_true(rk_chasil_has(&d, RK_F_SUARA_PASLON_1));
    assert_false(rk_chasil_has(&d, RK_F_SUARA_SAH));
    char *admin_only = mutate(EXAMPLE, "\"chart\":{\"null\":null,\"100027\":7,\"100025\":202,"
                                       "\"100026\":38}",
                              "\"chart\":null");
    assert_int_equal(rk_kpu_parse_tps(admin_only, strlen(admin_only), &o, &d, &st, &err), RK_OK);
    assert_int_equal(st, RK_KPU_PARTIAL);
    assert_false(rk_chasil_has(&d, RK_F_SUARA_PASLON_1));
    assert_int_equal(d.n_paslon, 0); /* unknown without a chart or a candidate list */
    assert_int_equal(d.v[RK_F_SUARA_SAH], 247);
    free(chart_only), free(admin_only);
}

static void test_candidate_list_and_pilkada(void **state)
{
    (void)state;
    struct rk_chasil d;
    enum rk_kpu_state st;
    struct rk_kpu_error err;
    /* Ballot order given explicitly (Pilkada ids need not ascend with ballot numbers). */
    static const int64_t ids[3] = {100026, 100027, 100025};
    struct rk_kpu_opts o = {.cand_ids = ids, .n_cand = 3, .election = "pilkada2024"};
    assert_int_equal(rk_kpu_parse_tps(EXAMPLE, strlen(EXAMPLE), &o, &d, &st, &err), RK_OK);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_1], 38);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_2], 7);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_3], 202);
    assert_string_equal(d.election, "pilkada2024");
    static const int64_t two[2] = {100025, 100026};
    o.cand_ids = two, o.n_cand = 2;
    assert_int_equal(rk_kpu_parse_tps(EXAMPLE, strlen(EXAMPLE), &o, &d, &st, &err), RK_EINVAL);
    assert_string_equal(err.where, "100027");

    /* Pilkada 2024 nests the numbers under "tungsura"; a kolom kosong race. */
    static const char pilkada[] =
        "{\"mode\":\"hhcw\",\"tungsura\":{\"chart\":{\"1000530\":150,\"1000531\":40},"
        "\"administrasi\":{\"suara_sah\":190,\"suara_tidak_sah\":3,\"suara_total\":193,"
        "\"pemilih_dpt_j\":250,\"pemilih_dpt_l\":120,\"pemilih_dpt_p\":130}},"
        "\"images\":[],\"psu\":\"Reguler\",\"ts\":\"2024-11-28 10:00:05\"}";
    static const int64_t kk[2] = {1000530, 1000531};
    struct rk_kpu_opts ok = {.tps_code = "2101010001001", .cand_ids = kk, .n_cand = 2,
                             .kolom_kosong = true, .election = "pilkada2024", .race_id = 3};
    assert_int_equal(rk_kpu_parse_tps(pilkada, strlen(pilkada), &ok, &d, &st, &err), RK_OK);
    assert_int_equal(st, RK_KPU_FULL);
    assert_true(d.kolom_kosong);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_2], 40);
    assert_int_equal(rk_chasil_check(&d, true, NULL), RK_OK);
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n;
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);
}

struct bad {
    const char *find, *repl; /* mutation of EXAMPLE; find NULL: repl is the input */
    int status;
    const char *where;
};

static void test_errors(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {NULL, "", RK_EPARSE, ""},
        {NULL, "{\"chart\":", RK_EPARSE, ""},
        {NULL, "[1,2]", RK_EINVAL, ""},
        {"\"ts\":", "\"ts\":1,\"ts\":", RK_EPARSE, ""}, /* duplicate key */
        {"\"suara_sah\":247", "\"suara_sah\":\"247\"", RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":247", "\"suara_sah\":247.0", RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":247", "\"suara_sah\":-1", RK_ERANGE, "suara_sah"},
        {"\"suara_sah\":247", "\"suara_sah\":1000001", RK_ERANGE, "suara_sah"},
        {"\"pengguna_non_dpt_l\":2", "\"pengguna_non_dpt_l\":[2]", RK_EINVAL,
         "pengguna_non_dpt_l"},
        {"\"100025\":202", "\"100025\":true", RK_EINVAL, "100025"},
        {"\"100025\":202", "\"100025\":-3", RK_ERANGE, "100025"},
        {"\"100026\":38}", "\"100026\":38,\"100028\":1,\"100029\":1,\"100030\":1,\"100031\":1}",
         RK_EINVAL, "100031"},
        {"\"100027\":7,\"100025\":202,\"100026\":38", "\"100025\":202", RK_EINVAL, "chart"},
        {"\"chart\":{", "\"chart\":[{", RK_EPARSE, ""},
        {"\"chart\":{\"null\":null,\"100027\":7,\"100025\":202,\"100026\":38}", "\"chart\":7",
         RK_EINVAL, "chart"},
        {"\"administrasi\":{", "\"administrasi\":\"x\",\"y\":{", RK_EINVAL, "administrasi"},
        {"\"mode\":\"hhcw\"", "\"mode\":\"hhcw\",\"tungsura\":5", RK_EINVAL, "tungsura"},
        {"/1101012001003-", "/x-", RK_EINVAL, "images"},
        {"/1101012001003-", "/1101012001000-", RK_EINVAL, "images"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *in = cases[i].find ? mutate(EXAMPLE, cases[i].find, cases[i].repl)
                                 : strdup(cases[i].repl);
        struct rk_chasil d;
        enum rk_kpu_state st = RK_KPU_FULL;
        struct rk_kpu_error err;
        int rc = rk_kpu_parse_tps(in, strlen(in), NULL, &d, &st, &err);
        if (rc != cases[i].status || strcmp(err.where, cases[i].where) != 0)
            fail_msg("case %zu: got %s '%s' (%s), want %s '%s'", i, rk_status_name(rc), err.where,
                     err.message, rk_status_name(cases[i].status), cases[i].where);
        assert_int_equal(st, RK_KPU_EMPTY);
        assert_int_equal(d.present, 0);
        free(in);
    }
    /* Options are checked too. */
    struct rk_chasil d;
    enum rk_kpu_state st;
    struct rk_kpu_error err;
    struct rk_kpu_opts bad_code = {.tps_code = "31730110062"};
    assert_int_equal(rk_kpu_parse_tps(EXAMPLE, strlen(EXAMPLE), &bad_code, &d, &st, &err),
                     RK_EINVAL);
    static const int64_t one[1] = {100025};
    struct rk_kpu_opts bad_list = {.cand_ids = one, .n_cand = 1};
    assert_int_equal(rk_kpu_parse_tps(EXAMPLE, strlen(EXAMPLE), &bad_list, &d, &st, &err),
                     RK_EINVAL);
    /* Size cap. */
    size_t big = RK_KPU_DOC_MAX + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, EXAMPLE, strlen(EXAMPLE));
    assert_int_equal(rk_kpu_parse_tps(huge, big, NULL, &d, &st, &err), RK_ETOOBIG);
    assert_int_equal(rk_kpu_parse_tps(huge, big - 1, NULL, &d, &st, &err), RK_OK);
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_inconsistent_portal_numbers),
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_candidate_list_and_pilkada),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
