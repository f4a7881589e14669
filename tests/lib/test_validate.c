/* Validation rules: one passing and at least one failing case per rule, each asserting the
 * exact list of codes the document produces (so a rule that fires too often fails too), plus
 * boundaries, partial documents, kolom kosong races and the JSON rendering. */
#include "testutil.h"

#include "rekap/chasil.h"
#include "rekap/status.h"
#include "rekap/validate.h"

#include <stdio.h>
#include <string.h>

/* A consistent TPS: DPT 201, 190 voters (185 DPT + 3 DPTb + 2 DPK), 207 ballots received
 * (201 + ceil(2.5% of 201) = 201 + 6), votes 100/60/25, 5 invalid. */
static void base(struct rk_chasil *d)
{
    static const uint32_t vals[RK_F_COUNT] = {
        100, 101, 201, 90, 95, 185, 2, 1, 3, 1, 1, 2, 93, 97, 190, /* I */
        207, 190, 2, 15,                                           /* II */
        1, 2, 3,                                                   /* III */
        100, 60, 25, 0, 0, 0,                                      /* IV */
        185, 5, 190,                                               /* V */
    };
    rk_chasil_init(d);
    strcpy(d->tps, "3173011006272");
    strcpy(d->election, "pilkada2024");
    d->race_id = 1;
    d->n_paslon = 3;
    for (int f = 0; f < RK_F_COUNT; f++)
        if (f < RK_F_SUARA_PASLON_4 || f > RK_F_SUARA_PASLON_6)
            rk_chasil_set(d, (enum rk_chasil_field)f, vals[f]);
}

/* A consistent Pilkada TPS at the 600-voter cap with turnout exactly 95%. */
static void base600(struct rk_chasil *d)
{
    static const uint32_t vals[RK_F_COUNT] = {
        300, 300, 600, 280, 290, 570, 0, 0, 0, 0, 0, 0, 280, 290, 570, /* I */
        615, 570, 0, 45,                                               /* II: 600 + 15 */
        0, 0, 0,                                                       /* III */
        300, 200, 60, 0, 0, 0,                                         /* IV */
        560, 10, 570,                                                  /* V */
    };
    base(d);
    for (int f = 0; f < RK_F_COUNT; f++)
        if (rk_chasil_has(d, (enum rk_chasil_field)f))
            d->v[f] = vals[f];
}

/* A TPS where nobody came: DPT 201, ballots received and all unused, every count zero. */
static void base_empty(struct rk_chasil *d)
{
    base(d);
    for (int f = RK_F_PENGGUNA_DPT_L; f < RK_F_COUNT; f++)
        if (rk_chasil_has(d, (enum rk_chasil_field)f))
            d->v[f] = 0;
    d->v[RK_F_SS_DITERIMA] = 207;
    d->v[RK_F_SS_SISA] = 207;
}

struct edit {
    int field; /* -1 ends the list */
    uint32_t value;
};

#define END {-1, 0}

struct rule_case {
    const char *name;
    void (*make)(struct rk_chasil *);
    struct edit edits[16];
    const char *codes; /* exact comma-separated list in report order, "" for none */
    int status;
};

static const struct rule_case cases[] = {
    {"consistent", base, {END}, "", RK_OK},
    {"consistent at 600", base600, {END}, "", RK_OK},
    /* R1: L + P = J per row */
    {"R1 DPT", base, {{RK_F_PEMILIH_DPT_J, 202}, END}, "R1_DPT_LP", RK_EVALIDATION},
    {"R1 B1", base, {{RK_F_PENGGUNA_DPT_L, 91}, END}, "R1_B1_LP,R2_B4_L", RK_EVALIDATION},
    {"R1 B2", base, {{RK_F_PENGGUNA_DPTB_J, 4}, END}, "R1_B2_LP,R2_B4_J", RK_EVALIDATION},
    {"R1 B3", base, {{RK_F_PENGGUNA_DPK_P, 2}, END}, "R1_B3_LP,R2_B4_P", RK_EVALIDATION},
    {"R1 B4", base, {{RK_F_PENGGUNA_TOTAL_J, 191}, END}, "R1_B4_LP,R2_B4_J,R5_TOTAL_B4",
     RK_EVALIDATION},
    {"R1 disability", base, {{RK_F_DISABILITAS_J, 4}, END}, "R1_DIS_LP", RK_EVALIDATION},
    /* R2: B4 = B1 + B2 + B3 (rows consistent, columns not) */
    {"R2 L and P", base, {{RK_F_PENGGUNA_DPT_L, 91}, {RK_F_PENGGUNA_DPT_P, 94}, END},
     "R2_B4_L,R2_B4_P", RK_EVALIDATION},
    /* R3: valid = sum of columns */
    {"R3", base, {{RK_F_SUARA_PASLON_1, 101}, END}, "R3_SAH_SUM", RK_EVALIDATION},
    /* R4: total = valid + invalid */
    {"R4", base, {{RK_F_SUARA_TIDAK_SAH, 6}, END}, "R4_TOTAL_SUM", RK_EVALIDATION},
    /* R5: total = voters (R6 follows because ballots used still says 190) */
    {"R5", base, {{RK_F_SUARA_TOTAL, 189}, {RK_F_SUARA_TIDAK_SAH, 4}, END},
     "R5_TOTAL_B4,R6_USED_TOTAL", RK_EVALIDATION},
    /* R6: ballots used = total */
    {"R6", base, {{RK_F_SS_DIGUNAKAN, 191}, {RK_F_SS_SISA, 14}, END}, "R6_USED_TOTAL",
     RK_EVALIDATION},
    /* R7: received = used + damaged + unused */
    {"R7", base, {{RK_F_SS_SISA, 16}, END}, "R7_BALLOTS_SUM", RK_EVALIDATION},
    /* R8: 201 + ceil(5.025) = 207 is the most allowed (base); 208 is over */
    {"R8 over by one", base, {{RK_F_SS_DITERIMA, 208}, {RK_F_SS_SISA, 16}, END},
     "R8_RESERVE_OVER", RK_EVALIDATION},
    {"R8 exactly DPT", base, {{RK_F_SS_DITERIMA, 201}, {RK_F_SS_SISA, 9}, END}, "", RK_OK},
    {"R8 under DPT", base, {{RK_F_SS_DITERIMA, 200}, {RK_F_SS_SISA, 8}, END},
     "R8_RESERVE_UNDER", RK_OK},
    /* DPT 200: 2.5% is exactly 5, so 205 passes and 206 does not */
    {"R8 exact 2.5%", base, {{RK_F_PEMILIH_DPT_P, 100}, {RK_F_PEMILIH_DPT_J, 200},
                             {RK_F_SS_DITERIMA, 205}, {RK_F_SS_SISA, 13}, END}, "", RK_OK},
    {"R8 exact 2.5% + 1", base, {{RK_F_PEMILIH_DPT_P, 100}, {RK_F_PEMILIH_DPT_J, 200},
                                 {RK_F_SS_DITERIMA, 206}, {RK_F_SS_SISA, 14}, END},
     "R8_RESERVE_OVER", RK_EVALIDATION},
    /* R9: DPT voters <= DPT (lowering DPT to 181 also breaks R8 and R11, and turnout flags) */
    {"R9 B1 > DPT", base, {{RK_F_PEMILIH_DPT_L, 80}, {RK_F_PEMILIH_DPT_J, 181}, END},
     "R8_RESERVE_OVER,R9_B1_DPT,R9_B1_DPT,R11_B4_MAX,A1_TURNOUT_FULL", RK_EVALIDATION},
    {"R9 disability > voters", base, {{RK_F_DISABILITAS_L, 94}, {RK_F_DISABILITAS_J, 96}, END},
     "R9_DIS_B4", RK_EVALIDATION},
    {"R9 disability = voters", base, {{RK_F_DISABILITAS_L, 93}, {RK_F_DISABILITAS_J, 95}, END},
     "", RK_OK},
    /* R10: three boxes */
    {"R10 1000", base, {{RK_F_SUARA_PASLON_1, 1000}, END}, "R3_SAH_SUM,R10_RANGE,R11_VOTE_B4",
     RK_EVALIDATION},
    {"R10 DPT over the cap", base600, {{RK_F_PEMILIH_DPT_L, 301}, {RK_F_PEMILIH_DPT_J, 601}, END},
     "R10_DPT_CAP", RK_EVALIDATION},
    /* Soft anomalies */
    {"A1 everyone voted", base, {{RK_F_PEMILIH_DPT_L, 90}, {RK_F_PEMILIH_DPT_P, 95},
                                 {RK_F_PEMILIH_DPT_J, 185}, {RK_F_SS_DITERIMA, 190},
                                 {RK_F_SS_RUSAK, 0}, {RK_F_SS_SISA, 0}, END},
     "A1_TURNOUT_FULL", RK_OK},
    {"A2 over 95%", base, {{RK_F_PEMILIH_DPT_L, 95}, {RK_F_PEMILIH_DPT_P, 98},
                           {RK_F_PEMILIH_DPT_J, 193}, {RK_F_SS_DITERIMA, 198},
                           {RK_F_SS_SISA, 6}, END},
     "A2_TURNOUT_HIGH", RK_OK},
    {"A3 one column", base, {{RK_F_SUARA_PASLON_1, 185}, {RK_F_SUARA_PASLON_2, 0},
                             {RK_F_SUARA_PASLON_3, 0}, END},
     "A3_ONE_COLUMN_ALL", RK_OK},
    {"A4 invalid 10.5%", base, {{RK_F_SUARA_TIDAK_SAH, 20}, {RK_F_SUARA_SAH, 170},
                                {RK_F_SUARA_PASLON_2, 45}, END},
     "A4_INVALID_HIGH", RK_OK},
    {"A4 invalid exactly 10%", base, {{RK_F_SUARA_TIDAK_SAH, 19}, {RK_F_SUARA_SAH, 171},
                                      {RK_F_SUARA_PASLON_2, 46}, END},
     "", RK_OK},
    {"A5 no votes", base_empty, {END}, "A5_NO_VOTES", RK_OK},
    {"A5 votes missing", base_empty, {{RK_F_PENGGUNA_DPTB_L, 3}, {RK_F_PENGGUNA_DPTB_J, 3},
                                      {RK_F_PENGGUNA_TOTAL_L, 3}, {RK_F_PENGGUNA_TOTAL_J, 3}, END},
     /* three DPTb voters but no ballot counted */
     "R5_TOTAL_B4,A5_NO_VOTES", RK_EVALIDATION},
    {"A5 empty TPS without voters", base_empty, {{RK_F_PEMILIH_DPT_L, 0}, {RK_F_PEMILIH_DPT_P, 0},
                                                 {RK_F_PEMILIH_DPT_J, 0}, {RK_F_SS_DITERIMA, 0},
                                                 {RK_F_SS_SISA, 0}, END},
     "", RK_OK},
};

/* Applies a case's edits after its base. */
static void build(const struct rule_case *c, struct rk_chasil *d)
{
    c->make(d);
    for (const struct edit *e = c->edits; e->field >= 0; e++)
        rk_chasil_set(d, (enum rk_chasil_field)e->field, e->value);
}

static void codes_of(const struct rk_violation *v, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, v[i].code, cap - strlen(out) - 1);
    }
}

static void test_rule_table(void **state)
{
    (void)state;
    struct rk_validate_ctx ctx;
    rk_validate_ctx_init(&ctx, RK_ELECTION_PILKADA);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rk_chasil d;
        build(&cases[i], &d);
        struct rk_violation v[RK_VIOLATIONS_MAX];
        size_t n = 0;
        int rc = rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n);
        char got[1024];
        codes_of(v, n, got, sizeof got);
        if (strcmp(got, cases[i].codes) != 0 || rc != cases[i].status)
            fail_msg("%s: got [%s] %s, want [%s] %s", cases[i].name, got, rk_status_name(rc),
                     cases[i].codes, rk_status_name(cases[i].status));
        for (size_t k = 0; k < n; k++) {
            /* Every violation is complete: severity from the catalogue, fields, both texts. */
            assert_int_equal(v[k].severity, rk_rule_get(v[k].rule)->severity);
            assert_string_equal(v[k].code, rk_rule_get(v[k].rule)->code);
            assert_true(v[k].n_fields >= 1);
            assert_true(strlen(v[k].msg_id) > 20);
            assert_true(strlen(v[k].msg_en) > 20);
        }
    }
}

/* Finds the first violation of rule; fails if there is none. */
static const struct rk_violation *find(const struct rk_violation *v, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].code, code) == 0)
            return &v[i];
    static const struct rk_violation none;
    fail_msg("no %s", code);
    return &none;
}

static void test_messages_and_fields(void **state)
{
    (void)state;
    struct rk_chasil d;
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n;
    base(&d);
    rk_chasil_set(&d, RK_F_SUARA_SAH, 245);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_1, 162);
    rk_chasil_set(&d, RK_F_SUARA_TOTAL, 250);
    rk_chasil_set(&d, RK_F_PENGGUNA_TOTAL_J, 250);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    const struct rk_violation *r3 = find(v, n, "R3_SAH_SUM");
    assert_non_null(strstr(r3->msg_id, "Jumlah suara sah (245) harus sama dengan jumlah suara "
                                       "semua paslon (247 = 162 + 60 + 25)"));
    assert_non_null(strstr(r3->msg_en, "Valid votes (245) must equal"));
    assert_int_equal(r3->n_fields, 4);
    assert_int_equal(r3->fields[0], RK_F_SUARA_SAH);
    assert_int_equal(r3->fields[3], RK_F_SUARA_PASLON_3);
    const struct rk_violation *r1 = find(v, n, "R1_B4_LP");
    assert_non_null(strstr(r1->msg_id, "laki-laki 93 + perempuan 97 = 190, tetapi kolom jumlah "
                                       "berisi 250"));
    assert_non_null(strstr(r1->msg_en, "men 93 + women 97 = 190, but the total column says 250"));

    /* R8 message shows the reserve arithmetic. */
    base(&d);
    rk_chasil_set(&d, RK_F_SS_DITERIMA, 208);
    rk_chasil_set(&d, RK_F_SS_SISA, 16);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    assert_non_null(strstr(find(v, n, "R8_RESERVE_OVER")->msg_id,
                           "208 melebihi DPT 201 + cadangan 2,5% (6) = 207"));
    assert_non_null(strstr(find(v, n, "R8_RESERVE_OVER")->msg_en,
                           "208 exceed DPT 201 + the 2.5% reserve (6) = 207"));
}

static void test_kolom_kosong(void **state)
{
    (void)state;
    struct rk_chasil d;
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n;
    base(&d);
    d.n_paslon = 2;
    d.kolom_kosong = true;
    rk_chasil_unset(&d, RK_F_SUARA_PASLON_3);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_1, 120);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_2, 65);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rk_chasil_check(&d, false, NULL), RK_OK);
    /* The sum covers exactly two columns, and messages name the empty column. */
    rk_chasil_set(&d, RK_F_SUARA_PASLON_2, 66);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].code, "R3_SAH_SUM");
    assert_int_equal(v[0].n_fields, 3);
    assert_non_null(strstr(v[0].msg_id, "semua kolom (186 = 120 + 66)"));
    rk_chasil_set(&d, RK_F_SUARA_PASLON_1, 0);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_2, 185);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].code, "A3_ONE_COLUMN_ALL");
    assert_non_null(strstr(v[0].msg_id, "kolom kosong"));
    rk_chasil_set(&d, RK_F_SUARA_PASLON_2, 999);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    assert_non_null(strstr(find(v, n, "R11_VOTE_B4")->msg_en, "the empty column (kolom kosong)"));
}

static void test_partial_documents(void **state)
{
    (void)state;
    struct rk_chasil d;
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n = 99;
    /* Nothing present: nothing to break. */
    rk_chasil_init(&d);
    d.n_paslon = 3;
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);
    /* Portal-shaped: no ballots, no disability; inconsistent votes still caught. */
    base(&d);
    for (int f = RK_F_SS_DITERIMA; f <= RK_F_DISABILITAS_J; f++)
        rk_chasil_unset(&d, (enum rk_chasil_field)f);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_2, 61);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    assert_int_equal(n, 1);
    /* One missing column: R3 is skipped (cannot be judged), R11 still applies per column. */
    rk_chasil_unset(&d, RK_F_SUARA_PASLON_3);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);
    /* R11 alone: one column more than the voters, nothing else known. */
    rk_chasil_init(&d);
    d.n_paslon = 2;
    rk_chasil_set(&d, RK_F_PENGGUNA_TOTAL_J, 190);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_1, 191);
    char got[256];
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    codes_of(v, n, got, sizeof got);
    assert_string_equal(got, "R11_VOTE_B4");
    rk_chasil_set(&d, RK_F_SUARA_PASLON_1, 190);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);
    /* R11 B4 <= DPT + DPTb + DPK, with only those four totals known. */
    rk_chasil_init(&d);
    d.n_paslon = 2;
    rk_chasil_set(&d, RK_F_PEMILIH_DPT_J, 201);
    rk_chasil_set(&d, RK_F_PENGGUNA_DPTB_J, 3);
    rk_chasil_set(&d, RK_F_PENGGUNA_DPK_J, 2);
    rk_chasil_set(&d, RK_F_PENGGUNA_TOTAL_J, 206);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    codes_of(v, n, got, sizeof got);
    assert_string_equal(got, "A1_TURNOUT_FULL"); /* no I.B.1: turnout falls back to I.B.4 */
    rk_chasil_set(&d, RK_F_PENGGUNA_TOTAL_J, 207);
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    codes_of(v, n, got, sizeof got);
    assert_string_equal(got, "R11_B4_MAX,A1_TURNOUT_FULL");
}

static void test_registry_context(void **state)
{
    (void)state;
    struct rk_chasil d;
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n;
    struct rk_validate_ctx ctx;
    rk_validate_ctx_init(&ctx, RK_ELECTION_PILKADA);
    assert_int_equal(ctx.voter_cap, 600);
    assert_int_equal(ctx.reserve_permille, 25);
    ctx.dpt_known = true;
    ctx.dpt_l = 100, ctx.dpt_p = 101;
    base(&d);
    assert_int_equal(rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 0);
    ctx.dpt_p = 102;
    assert_int_equal(rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n), RK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].code, "A6_DPT_REGISTRY");
    assert_int_equal(v[0].severity, RK_SEV_SOFT);
    assert_int_equal(v[0].n_fields, 2); /* _p and _j differ, _l agrees */
    assert_int_equal(v[0].fields[0], RK_F_PEMILIH_DPT_P);
    assert_non_null(strstr(v[0].msg_id, "(100, 102, 202)"));
    /* Without DPT on the form the registry's DPT drives the ballot rule. */
    rk_chasil_unset(&d, RK_F_PEMILIH_DPT_L);
    rk_chasil_unset(&d, RK_F_PEMILIH_DPT_P);
    rk_chasil_unset(&d, RK_F_PEMILIH_DPT_J);
    ctx.dpt_p = 90; /* 190 registered: 207 ballots is more than 190 + 5 */
    assert_int_equal(rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    char got[256];
    codes_of(v, n, got, sizeof got);
    assert_string_equal(got, "R8_RESERVE_OVER,A2_TURNOUT_HIGH");
    assert_int_equal(find(v, n, "R8_RESERVE_OVER")->n_fields, 1);
    /* Pemilu: 300 cap, 2% reserve. */
    rk_validate_ctx_init(&ctx, RK_ELECTION_PEMILU);
    assert_int_equal(ctx.voter_cap, 300);
    assert_int_equal(ctx.reserve_permille, 20);
    base(&d); /* 201 + ceil(4.02) = 206 < 207 */
    assert_int_equal(rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    codes_of(v, n, got, sizeof got);
    assert_string_equal(got, "R8_RESERVE_OVER");
    /* Cap boundary: a 600-voter TPS passes Pilkada, breaks Pemilu. */
    base600(&d);
    assert_int_equal(rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    assert_non_null(strstr(find(v, n, "R10_DPT_CAP")->msg_id, "600 melebihi batas 300"));
    ctx.voter_cap = 0; /* abroad: no cap */
    assert_int_equal(rk_validate(&d, &ctx, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    codes_of(v, n, got, sizeof got);
    assert_string_equal(got, "R8_RESERVE_OVER"); /* 615 > 600 + 12 at 2% */
}

static void test_output_cap(void **state)
{
    (void)state;
    /* Everything over 999: every field breaks R10, plus sums. n counts all, out holds cap. */
    struct rk_chasil d;
    base(&d);
    d.n_paslon = 6;
    for (int f = 0; f < RK_F_COUNT; f++)
        rk_chasil_set(&d, (enum rk_chasil_field)f, 1000u + (uint32_t)f * 7u);
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n = 0, n_small = 0;
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    assert_true(n > RK_F_COUNT);
    assert_true(n <= RK_VIOLATIONS_MAX);
    struct rk_violation few[3];
    assert_int_equal(rk_validate(&d, NULL, few, 3, &n_small), RK_EVALIDATION);
    assert_int_equal(n_small, n);
    assert_string_equal(few[0].code, v[0].code);
    assert_string_equal(few[2].code, v[2].code);
    /* out may be NULL to just ask "does it pass". */
    assert_int_equal(rk_validate(&d, NULL, NULL, 0, &n_small), RK_EVALIDATION);
    assert_int_equal(n_small, n);
}

static void test_catalogue_and_json(void **state)
{
    (void)state;
    for (int r = 0; r < RK_RULE_COUNT; r++) {
        const struct rk_rule_info *ri = rk_rule_get((enum rk_rule)r);
        assert_non_null(ri);
        assert_non_null(ri->code);
        assert_int_equal(rk_rule_find(ri->code), r);
        assert_true(ri->text_id[0] && ri->text_en[0]);
        assert_true(ri->severity == RK_SEV_HARD || ri->severity == RK_SEV_SOFT);
        /* Anomalies (A*) and the ballot shortage are the soft ones. */
        assert_int_equal(ri->severity == RK_SEV_SOFT,
                         ri->code[0] == 'A' || strcmp(ri->code, "R8_RESERVE_UNDER") == 0);
    }
    assert_null(rk_rule_get(RK_RULE_COUNT));
    assert_int_equal(rk_rule_find("R99"), -1);

    struct rk_chasil d;
    base(&d);
    rk_chasil_set(&d, RK_F_SUARA_TIDAK_SAH, 6); /* R4 hard */
    rk_chasil_set(&d, RK_F_SS_DITERIMA, 200);   /* R7 hard, R8 under soft */
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n;
    assert_int_equal(rk_validate(&d, NULL, v, RK_VIOLATIONS_MAX, &n), RK_EVALIDATION);
    json_t *arr = rk_violations_json(v, n);
    assert_non_null(arr);
    assert_int_equal(json_array_size(arr), n);
    char got[256];
    codes_of(v, n, got, sizeof got);
    assert_string_equal(got, "R4_TOTAL_SUM,R7_BALLOTS_SUM,R8_RESERVE_UNDER");
    json_t *first = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(first, "code")), "R4_TOTAL_SUM");
    assert_string_equal(json_string_value(json_object_get(first, "severity")), "hard");
    json_t *fields = json_object_get(first, "fields");
    assert_int_equal(json_array_size(fields), 3);
    assert_string_equal(json_string_value(json_array_get(fields, 0)), "suara_total");
    assert_string_equal(json_string_value(json_array_get(fields, 2)), "suara_tidak_sah");
    json_t *msg = json_object_get(first, "message");
    assert_string_equal(json_string_value(json_object_get(msg, "id")), v[0].msg_id);
    assert_string_equal(json_string_value(json_object_get(msg, "en")), v[0].msg_en);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 2), "severity")),
                        "soft");
    json_decref(arr);
    arr = rk_violations_json(v, 0);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_table),
        cmocka_unit_test(test_messages_and_fields),
        cmocka_unit_test(test_kolom_kosong),
        cmocka_unit_test(test_partial_documents),
        cmocka_unit_test(test_registry_context),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_catalogue_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
