/* Authorization matrix, passwords, sessions and device signatures (lib/auth.c).
 *
 * The matrix test is written independently of the table in lib/auth.c: for each principal and
 * action, one string of expected outcomes over a fixed row of targets ('Y' allowed, '.'
 * forbidden), so a change to the policy must be made twice, here and there, on purpose. */
#include "testutil.h"

#include "rekap/auth.h"
#include "rekap/status.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Targets, in the column order of the expectation strings. */
static const char *const targets[] = {
    "1101012001001", /* 0 TPS A (desa 1101012001, kec 110101, kab 1101, prov 11) */
    "1101012001002", /* 1 TPS B, same desa as A */
    "1101012001",    /* 2 desa of A */
    "110101",        /* 3 kecamatan of A */
    "1101022001001", /* 4 TPS C in another kecamatan (110102) of the same kab */
    "110102",        /* 5 that other kecamatan */
    "1101",          /* 6 kab/kota of A */
    "1201012001001", /* 7 TPS X in another province */
    "11",            /* 8 province of A */
    "",              /* 9 national */
};
#define NT ((int)(sizeof targets / sizeof targets[0]))

#define OWN_RACE 7
#define OTHER_RACE 8

struct who {
    const char *label;
    enum rk_role role;
    const char *scope;
    int64_t race;
    bool disabled;
    int64_t target_race; /* race id passed to rk_auth_check */
};

static const struct who people[] = {
    {"public", RK_ROLE_PUBLIC, "", 0, false, 0},
    {"kpps A", RK_ROLE_KPPS, "1101012001001", 0, false, 0},
    {"pps", RK_ROLE_PPS, "1101012001", 0, false, 0},
    {"ppk", RK_ROLE_PPK, "110101", 0, false, 0},
    {"kpu kab", RK_ROLE_KPU_KABKOTA, "1101", 0, false, 0},
    {"kpu prov", RK_ROLE_KPU_PROVINSI, "11", 0, false, 0},
    {"kpu ri", RK_ROLE_KPU_RI, "", 0, false, 0},
    {"saksi own race", RK_ROLE_SAKSI, "1101", OWN_RACE, false, OWN_RACE},
    {"saksi other race", RK_ROLE_SAKSI, "1101", OWN_RACE, false, OTHER_RACE},
    {"saksi no race", RK_ROLE_SAKSI, "1101", OWN_RACE, false, 0},
    {"bawaslu kec", RK_ROLE_BAWASLU, "110101", 0, false, 0},
    {"bawaslu ri", RK_ROLE_BAWASLU, "", 0, false, 0},
    {"disabled kpu ri", RK_ROLE_KPU_RI, "", 0, true, 0},
    {"disabled kpps A", RK_ROLE_KPPS, "1101012001001", 0, true, 0},
};
#define NP ((int)(sizeof people / sizeof people[0]))

/* expect[person][action]: columns are targets[0..9]. */
#define NONE_ ".........."
#define ALL__ "YYYYYYYYYY"
static const char *const expect[NP][RK_ACTION_COUNT] = {
    /*                 published results   documents audit     submit    approve   correct   flag      manage */
    /* public */      {ALL__, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_},
    /* kpps A */      {ALL__, "Y.........", "Y.........", NONE_, "Y.........", NONE_, NONE_, NONE_,
                       NONE_},
    /* pps */         {ALL__, "YYY.......", "YYY.......", NONE_, NONE_, NONE_, NONE_, NONE_,
                       "YY........"},
    /* ppk */         {ALL__, "YYYY......", "YYYY......", "YYYY......", NONE_, "YY.Y......",
                       "YY........", NONE_, "YYY......."},
    /* kpu kab */     {ALL__, "YYYYYYY...", "YYYYYYY...", "YYYYYYY...", NONE_, "...Y.YY...",
                       "YY.YYYY...", NONE_, "YYYYYYY..."},
    /* kpu prov */    {ALL__, "YYYYYYY.Y.", "YYYYYYY.Y.", "YYYYYYY.Y.", NONE_, "......Y.Y.",
                       "YY.YYYY.Y.", NONE_, "YYYYYYY.Y."},
    /* kpu ri */      {ALL__, ALL__, ALL__, ALL__, NONE_, "........YY", "YY.YYYYYYY", NONE_, ALL__},
    /* saksi own */   {ALL__, "YYYYYYY...", "YYYYYYY...", NONE_, NONE_, NONE_, NONE_, "YYYYYYY...",
                       NONE_},
    /* saksi other */ {ALL__, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_},
    /* saksi none */  {ALL__, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_},
    /* bawaslu kec */ {ALL__, "YYYY......", "YYYY......", "YYYY......", NONE_, NONE_, NONE_,
                       "YYYY......", NONE_},
    /* bawaslu ri */  {ALL__, ALL__, ALL__, ALL__, NONE_, NONE_, NONE_, ALL__, NONE_},
    /* disabled ri */ {NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_},
    /* disabled kpps*/{NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_, NONE_},
};

static void make(const struct who *w, struct rk_principal *p)
{
    memset(p, 0, sizeof *p);
    p->user_id = w->role == RK_ROLE_PUBLIC ? 0 : 42;
    p->role = w->role;
    snprintf(p->scope, sizeof p->scope, "%s", w->scope);
    p->race_id = w->race;
    p->disabled = w->disabled;
}

static void test_matrix(void **state)
{
    (void)state;
    int failures = 0, checked = 0;
    for (int i = 0; i < NP; i++) {
        struct rk_principal p;
        make(&people[i], &p);
        if (!people[i].disabled)
            assert_int_equal(rk_principal_check(&p), RK_OK);
        for (int a = 0; a < RK_ACTION_COUNT; a++) {
            assert_int_equal((int)strlen(expect[i][a]), NT);
            for (int t = 0; t < NT; t++) {
                int want = expect[i][a][t] == 'Y' ? RK_OK : RK_EFORBIDDEN;
                int got = rk_auth_check(&p, (enum rk_action)a, targets[t], people[i].target_race);
                checked++;
                if (got != want) {
                    failures++;
                    fprintf(stderr, "MISMATCH %s %s '%s': want %s got %s\n", people[i].label,
                            rk_action_name((enum rk_action)a), targets[t], rk_status_name(want),
                            rk_status_name(got));
                }
            }
        }
    }
    assert_int_equal(checked, NP * RK_ACTION_COUNT * NT);
    assert_int_equal(failures, 0);
}

/* The cases the brief names, spelled out so a reader finds them without decoding the strings. */
static void test_named_cases(void **state)
{
    (void)state;
    struct rk_principal kpps_a, ppk, saksi, pub, dis;
    make(&people[1], &kpps_a);
    make(&people[3], &ppk);
    make(&people[7], &saksi);
    make(&people[0], &pub);
    make(&people[12], &dis);
    /* KPPS of TPS A writes A, never B. */
    assert_int_equal(rk_auth_check(&kpps_a, RK_ACT_SUBMIT, "1101012001001", 0), RK_OK);
    assert_int_equal(rk_auth_check(&kpps_a, RK_ACT_SUBMIT, "1101012001002", 0), RK_EFORBIDDEN);
    /* A KPPS submits a TPS, not its desa. */
    assert_int_equal(rk_auth_check(&kpps_a, RK_ACT_SUBMIT, "1101012001", 0), RK_EFORBIDDEN);
    /* PPK approves TPS of its kecamatan only. */
    assert_int_equal(rk_auth_check(&ppk, RK_ACT_APPROVE, "1101012001001", 0), RK_OK);
    assert_int_equal(rk_auth_check(&ppk, RK_ACT_APPROVE, "1101022001001", 0), RK_EFORBIDDEN);
    /* Saksi reads its race only. */
    assert_int_equal(rk_auth_check(&saksi, RK_ACT_READ_RESULTS, "1101012001001", OWN_RACE), RK_OK);
    assert_int_equal(rk_auth_check(&saksi, RK_ACT_READ_RESULTS, "1101012001001", OTHER_RACE),
                     RK_EFORBIDDEN);
    /* Public never writes. */
    for (int a = RK_ACT_SUBMIT; a <= RK_ACT_MANAGE_USERS; a++)
        assert_int_equal(rk_auth_check(&pub, (enum rk_action)a, "1101012001001", 0),
                         RK_EFORBIDDEN);
    /* Disabled: nothing at all. */
    assert_int_equal(rk_auth_check(&dis, RK_ACT_READ_PUBLISHED, "", 0), RK_EFORBIDDEN);
    assert_int_equal(rk_auth_check(NULL, RK_ACT_READ_PUBLISHED, "", 0), RK_EFORBIDDEN);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    struct rk_principal ri, p;
    make(&people[6], &ri);
    static const char *const bad[] = {"1", "110", "11.01", "ab", "00", "1100", "11010120010011",
                                      " 11"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rk_auth_check(&ri, RK_ACT_READ_RESULTS, bad[i], 0), RK_EINVAL);
    assert_int_equal(rk_auth_check(&ri, RK_ACT_READ_RESULTS, NULL, 0), RK_EINVAL);
    assert_int_equal(rk_auth_check(&ri, (enum rk_action)RK_ACTION_COUNT, "11", 0), RK_EINVAL);
    /* Inconsistent principals fail closed. */
    make(&people[1], &p);
    snprintf(p.scope, sizeof p.scope, "110101"); /* KPPS scoped to a kecamatan */
    assert_int_equal(rk_principal_check(&p), RK_EINVAL);
    assert_int_equal(rk_auth_check(&p, RK_ACT_SUBMIT, "1101012001001", 0), RK_EFORBIDDEN);
    make(&people[1], &p);
    p.race_id = 3; /* a race on a non-saksi */
    assert_int_equal(rk_auth_check(&p, RK_ACT_SUBMIT, "1101012001001", 0), RK_EFORBIDDEN);
    make(&people[7], &p);
    p.race_id = 0; /* saksi without race */
    assert_int_equal(rk_principal_check(&p), RK_EINVAL);
    assert_int_equal(rk_auth_check(&p, RK_ACT_READ_RESULTS, "1101", 0), RK_EFORBIDDEN);
    make(&people[6], &p);
    p.role = (enum rk_role)RK_ROLE_COUNT;
    assert_int_equal(rk_auth_check(&p, RK_ACT_READ_PUBLISHED, "", 0), RK_EFORBIDDEN);
}

struct manage_case {
    int who;               /* index into people */
    enum rk_role role;
    const char *scope;
    int want;
};

static void test_manage(void **state)
{
    (void)state;
    static const struct manage_case cases[] = {
        {2, RK_ROLE_KPPS, "1101012001002", RK_OK},          /* PPS registers KPPS of its desa */
        {2, RK_ROLE_KPPS, "1101012002001", RK_EFORBIDDEN},  /* ... not of another desa */
        {2, RK_ROLE_PPS, "1101012001", RK_EFORBIDDEN},      /* ... nor a peer PPS */
        {2, RK_ROLE_KPPS, "1101012001", RK_EFORBIDDEN},     /* desa level not manageable by PPS */
        {3, RK_ROLE_PPS, "1101012001", RK_OK},              /* PPK registers PPS of its kec */
        {3, RK_ROLE_KPPS, "1101012001001", RK_OK},
        {3, RK_ROLE_KPPS, "1101012001", RK_EINVAL},         /* KPPS needs a TPS scope */
        {3, RK_ROLE_SAKSI, "1101012001", RK_EFORBIDDEN},    /* saksi come from KPU */
        {4, RK_ROLE_PPK, "110102", RK_OK},
        {4, RK_ROLE_SAKSI, "1101", RK_OK},
        {4, RK_ROLE_BAWASLU, "110101", RK_OK},
        {4, RK_ROLE_KPU_KABKOTA, "1101", RK_EFORBIDDEN},    /* no peers */
        {4, RK_ROLE_PPK, "120101", RK_EFORBIDDEN},          /* outside its kab */
        {5, RK_ROLE_KPU_KABKOTA, "1101", RK_OK},
        {5, RK_ROLE_KPU_PROVINSI, "11", RK_EFORBIDDEN},
        {6, RK_ROLE_KPU_PROVINSI, "12", RK_OK},
        {6, RK_ROLE_KPU_RI, "", RK_EFORBIDDEN},             /* KPU RI accounts: CLI only */
        {6, RK_ROLE_SAKSI, "", RK_OK},                      /* presidential-race witness */
        {1, RK_ROLE_KPPS, "1101012001001", RK_EFORBIDDEN},  /* KPPS manages nobody */
        {10, RK_ROLE_BAWASLU, "1101012001", RK_EFORBIDDEN}, /* Bawaslu is provisioned by KPU */
        {12, RK_ROLE_KPPS, "1101012001001", RK_EFORBIDDEN}, /* disabled */
        {0, RK_ROLE_KPPS, "1101012001001", RK_EFORBIDDEN},  /* public */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rk_principal p;
        make(&people[cases[i].who], &p);
        int got = rk_auth_check_manage(&p, cases[i].role, cases[i].scope);
        if (got != cases[i].want)
            fprintf(stderr, "case %zu: %s -> %s %s: got %s\n", i, people[cases[i].who].label,
                    rk_role_name(cases[i].role), cases[i].scope, rk_status_name(got));
        assert_int_equal(got, cases[i].want);
    }
}

static void test_names(void **state)
{
    (void)state;
    for (int r = 0; r < RK_ROLE_COUNT; r++) {
        enum rk_role back;
        assert_int_equal(rk_role_parse(rk_role_name((enum rk_role)r), &back), RK_OK);
        assert_int_equal(back, r);
        assert_string_not_equal(rk_role_label((enum rk_role)r), "?");
    }
    enum rk_role role;
    assert_int_equal(rk_role_parse("KPU_KABKOTA", &role), RK_OK);
    assert_int_equal(role, RK_ROLE_KPU_KABKOTA);
    assert_int_equal(rk_role_parse("kpu-prov", &role), RK_OK);
    assert_int_equal(role, RK_ROLE_KPU_PROVINSI);
    assert_int_equal(rk_role_parse("witness", &role), RK_OK);
    assert_int_equal(role, RK_ROLE_SAKSI);
    assert_int_equal(rk_role_parse("admin", &role), RK_EINVAL);
    assert_int_equal(rk_role_parse("", &role), RK_EINVAL);
    assert_int_equal(rk_role_parse("kpu-kabkota-and-a-very-long-tail-xxxxxxxx", &role), RK_EINVAL);
    assert_string_equal(rk_role_name((enum rk_role)99), "?");
    assert_int_equal(rk_role_scope_level(RK_ROLE_KPPS), RK_LEVEL_TPS);
    assert_int_equal(rk_role_scope_level(RK_ROLE_SAKSI), -1);
    for (int a = 0; a < RK_ACTION_COUNT; a++) {
        enum rk_action back;
        assert_int_equal(rk_action_parse(rk_action_name((enum rk_action)a), &back), RK_OK);
        assert_int_equal(back, a);
    }
    enum rk_action act;
    assert_int_equal(rk_action_parse("delete_everything", &act), RK_EINVAL);

    assert_int_equal(rk_username_check("kpps-1101012001001"), RK_OK);
    assert_int_equal(rk_username_check("budi.s_01"), RK_OK);
    assert_int_equal(rk_username_check("ab"), RK_ERANGE);
    assert_int_equal(rk_username_check(
                         "a234567890123456789012345678901234567890123456789012345678901234x"),
                     RK_ERANGE);
    assert_int_equal(rk_username_check("Budi"), RK_EINVAL);
    assert_int_equal(rk_username_check("-budi"), RK_EINVAL);
    assert_int_equal(rk_username_check("bu di"), RK_EINVAL);
    assert_int_equal(rk_username_check("budi@kpu"), RK_EINVAL);

    assert_int_equal(rk_auth_reason_check("salah baca angka 7 sebagai 1", 28), RK_OK);
    assert_int_equal(rk_auth_reason_check("   typo    ", 11), RK_ERANGE);
    assert_int_equal(rk_auth_reason_check("bad\x01 control chars", 19), RK_EINVAL);

    struct rk_principal pub;
    rk_principal_public(&pub);
    assert_int_equal(pub.role, RK_ROLE_PUBLIC);
    assert_int_equal(rk_principal_check(&pub), RK_OK);
}

/* ---- passwords ---- */

static void test_password_interactive(void **state)
{
    (void)state;
    char h[RK_PWHASH_MAX + 1];
    const char *pw = "kata sandi yang panjang";
    assert_int_equal(rk_auth_password_hash(pw, strlen(pw), h), RK_OK);
    assert_true(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
    enum rk_pw_profile prof;
    assert_int_equal(rk_auth_password_profile(h, &prof), RK_OK);
    assert_int_equal(prof, RK_PW_INTERACTIVE);
    assert_int_equal(rk_auth_password_needs_rehash(h), 0);
    assert_int_equal(rk_auth_password_verify(h, pw, strlen(pw)), RK_OK);
    assert_int_equal(rk_auth_password_verify(h, "kata sandi yang panjanG", strlen(pw)), RK_EAUTH);
    assert_int_equal(rk_auth_password_verify(h, pw, strlen(pw) - 1), RK_EAUTH);

    /* Tampered strings: a flipped hash byte, a cheaper cost, a huge cost, another algorithm. */
    char t[RK_PWHASH_MAX + 1];
    memcpy(t, h, sizeof t);
    size_t n = strlen(t);
    t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(rk_auth_password_verify(t, pw, strlen(pw)), RK_EAUTH);
    memcpy(t, h, sizeof t);
    memcpy(t + 17, "65535", 5); /* m=65535: parses, but the digest no longer matches */
    assert_int_equal(rk_auth_password_verify(t, pw, strlen(pw)), RK_EAUTH);
    char huge[RK_PWHASH_MAX + 1];
    snprintf(huge, sizeof huge, "$argon2id$v=19$m=4194304,t=2,p=1$%s", h + 31);
    assert_int_equal(rk_auth_password_profile(huge, &prof), RK_EINVAL);
    assert_int_equal(rk_auth_password_verify(huge, pw, strlen(pw)), RK_EAUTH);
    memcpy(t, h, sizeof t);
    memcpy(t, "$argon2i$", 9);
    assert_int_equal(rk_auth_password_verify(t, pw, strlen(pw)), RK_EAUTH);
    assert_int_equal(rk_auth_password_verify("", pw, strlen(pw)), RK_EAUTH);
    assert_int_equal(rk_auth_password_verify("$argon2id$v=19$m=65536,t=2,p=1$", pw, strlen(pw)),
                     RK_EAUTH);
    assert_int_equal(rk_auth_password_verify(NULL, pw, strlen(pw)), RK_EAUTH);

    /* Policy: too short, too long, control bytes. */
    assert_int_equal(rk_auth_password_hash("pendek", 6, h), RK_ERANGE);
    static char longpw[RK_PASSWORD_MAX + 2];
    memset(longpw, 'a', sizeof longpw - 1);
    assert_int_equal(rk_auth_password_hash(longpw, RK_PASSWORD_MAX + 1, h), RK_ERANGE);
    assert_int_equal(rk_auth_password_hash("abc\ndefghijk", 12, h), RK_EINVAL);
}

static void test_password_generated(void **state)
{
    (void)state;
    char pw[RK_GENPW_LEN + 1], pw2[RK_GENPW_LEN + 1];
    char h[RK_PWHASH_MAX + 1], h2[RK_PWHASH_MAX + 1];
    assert_int_equal(rk_auth_password_generate(pw, h), RK_OK);
    assert_int_equal(rk_auth_password_generate(pw2, h2), RK_OK);
    assert_int_equal(strlen(pw), RK_GENPW_LEN);
    assert_string_not_equal(pw, pw2);
    assert_int_equal(strspn(pw, "0123456789abcdefghjkmnpqrstvwxyz"), RK_GENPW_LEN);
    assert_true(strncmp(h, "$argon2id$v=19$m=8,t=1,p=1$", 27) == 0);
    enum rk_pw_profile prof;
    assert_int_equal(rk_auth_password_profile(h, &prof), RK_OK);
    assert_int_equal(prof, RK_PW_GENERATED);
    assert_int_equal(rk_auth_password_needs_rehash(h), 0);
    assert_int_equal(rk_auth_password_verify(h, pw, RK_GENPW_LEN), RK_OK);
    assert_int_equal(rk_auth_password_verify(h, pw2, RK_GENPW_LEN), RK_EAUTH);
    assert_int_equal(rk_auth_password_verify(h2, pw2, RK_GENPW_LEN), RK_OK);
    /* Tampered: the same digest claimed under the interactive cost no longer verifies. */
    char t[RK_PWHASH_MAX + 1];
    snprintf(t, sizeof t, "$argon2id$v=19$m=65536,t=2,p=1$%s", h + 27);
    assert_int_equal(rk_auth_password_verify(t, pw, RK_GENPW_LEN), RK_EAUTH);

    /* A hash made at an older/other cost verifies and asks to be redone. */
    char old[crypto_pwhash_STRBYTES];
    assert_int_equal(crypto_pwhash_str_alg(old, pw, RK_GENPW_LEN, 2, 8u << 20,
                                           crypto_pwhash_ALG_ARGON2ID13),
                     0);
    assert_int_equal(rk_auth_password_verify(old, pw, RK_GENPW_LEN), RK_OK);
    assert_int_equal(rk_auth_password_profile(old, &prof), RK_OK);
    assert_int_equal(prof, RK_PW_INTERACTIVE);
    assert_int_equal(rk_auth_password_needs_rehash(old), 1);
}

/* ---- sessions ---- */

static void test_sessions(void **state)
{
    (void)state;
    char tok[RK_TOKEN_LEN + 1], tok2[RK_TOKEN_LEN + 1];
    struct rk_session se, se2;
    const int64_t now = 1732500000;
    assert_int_equal(rk_auth_session_new(5, now, 3600, tok, &se), RK_OK);
    assert_int_equal(rk_auth_session_new(5, now, 3600, tok2, &se2), RK_OK);
    assert_int_equal(strlen(tok), RK_TOKEN_LEN);
    assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     RK_TOKEN_LEN);
    assert_string_not_equal(tok, tok2);
    assert_memory_not_equal(se.token_hash, se2.token_hash, RK_TOKEN_HASH_BYTES);
    assert_int_equal(se.user_id, 5);
    assert_int_equal(se.expires_at, now + 3600);

    /* The stored hash is BLAKE2b-256 of the token's 32 bytes, and only that. */
    uint8_t h[RK_TOKEN_HASH_BYTES], raw[32], direct[RK_TOKEN_HASH_BYTES];
    size_t n;
    assert_int_equal(rk_auth_token_hash(tok, strlen(tok), h), RK_OK);
    assert_memory_equal(h, se.token_hash, RK_TOKEN_HASH_BYTES);
    assert_int_equal(sodium_base642bin(raw, sizeof raw, tok, strlen(tok), NULL, &n, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(n, 32);
    crypto_generichash(direct, sizeof direct, raw, sizeof raw, NULL, 0);
    assert_memory_equal(direct, se.token_hash, RK_TOKEN_HASH_BYTES);

    /* Expiry: live in [created, expires), not after, not before. */
    assert_int_equal(rk_auth_session_live(&se, now), RK_OK);
    assert_int_equal(rk_auth_session_live(&se, now + 3599), RK_OK);
    assert_int_equal(rk_auth_session_live(&se, now + 3600), RK_EAUTH);
    assert_int_equal(rk_auth_session_live(&se, now + 86400), RK_EAUTH);
    assert_int_equal(rk_auth_session_live(&se, now - 1), RK_EAUTH);

    assert_int_equal(rk_auth_session_new(5, now, 0, tok, &se), RK_ERANGE);
    assert_int_equal(rk_auth_session_new(5, now, RK_SESSION_TTL_MAX + 1, tok, &se), RK_ERANGE);
    assert_int_equal(rk_auth_session_new(0, now, 60, tok, &se), RK_ERANGE);

    /* Malformed tokens. */
    char bad[RK_TOKEN_LEN + 2];
    memcpy(bad, tok2, sizeof tok2);
    assert_int_equal(rk_auth_token_hash(bad, RK_TOKEN_LEN - 1, h), RK_EAUTH);
    bad[5] = '+';
    assert_int_equal(rk_auth_token_hash(bad, RK_TOKEN_LEN, h), RK_EAUTH);
    memcpy(bad, tok2, sizeof tok2);
    bad[RK_TOKEN_LEN] = '=';
    assert_int_equal(rk_auth_token_hash(bad, RK_TOKEN_LEN + 1, h), RK_EAUTH);
    assert_int_equal(rk_auth_token_hash(NULL, 0, h), RK_EAUTH);
}

/* ---- device keys ---- */

static void test_device(void **state)
{
    (void)state;
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    uint8_t pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
    assert_int_equal(sodium_init() >= 0, 1);
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);

    char id[RK_KEY_ID_HEX_LEN + 1], want[RK_KEY_ID_HEX_LEN + 1];
    uint8_t digest[crypto_hash_sha256_BYTES];
    rk_auth_device_key_id(pk, id);
    crypto_hash_sha256(digest, pk, sizeof pk);
    for (int i = 0; i < 8; i++)
        snprintf(want + 2 * i, 3, "%02x", digest[i]);
    assert_string_equal(id, want);

    const char msg[] = "C.Hasil TPS 1101012001001: 01=120 02=95 sah=215";
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)msg, sizeof msg - 1, sk);
    assert_int_equal(rk_auth_verify_device_sig(pk, msg, sizeof msg - 1, sig), RK_OK);
    assert_int_equal(rk_auth_verify_device_sig(pk2, msg, sizeof msg - 1, sig), RK_ESIGNATURE);
    char altered[sizeof msg];
    memcpy(altered, msg, sizeof msg);
    altered[30] = '9';
    assert_int_equal(rk_auth_verify_device_sig(pk, altered, sizeof msg - 1, sig), RK_ESIGNATURE);
    assert_int_equal(rk_auth_verify_device_sig(pk, msg, sizeof msg - 2, sig), RK_ESIGNATURE);
    sig[10] ^= 1;
    assert_int_equal(rk_auth_verify_device_sig(pk, msg, sizeof msg - 1, sig), RK_ESIGNATURE);
    /* Empty message signs and verifies too. */
    crypto_sign_detached(sig, NULL, (const uint8_t *)"", 0, sk);
    assert_int_equal(rk_auth_verify_device_sig(pk, NULL, 0, sig), RK_OK);

    /* Public key text forms. */
    char hex[65], b64[64];
    uint8_t back[32];
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    assert_int_equal(rk_auth_device_pub_parse(hex, 64, back), RK_OK);
    assert_memory_equal(back, pk, 32);
    sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(rk_auth_device_pub_parse(b64, strlen(b64), back), RK_OK);
    assert_memory_equal(back, pk, 32);
    assert_int_equal(rk_auth_device_pub_parse(hex, 63, back), RK_EINVAL);
    hex[3] = 'g';
    assert_int_equal(rk_auth_device_pub_parse(hex, 64, back), RK_EINVAL);
    static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(rk_auth_device_pub_parse(zeros, 64, back), RK_EINVAL); /* small order */

    struct rk_device_key k;
    assert_int_equal(rk_auth_device_key_init(&k, 9, pk, 1000), RK_OK);
    assert_string_equal(k.key_id, id);
    assert_int_equal(k.revoked_at, 0);
    uint8_t zero[32] = {0};
    assert_int_equal(rk_auth_device_key_init(&k, 9, zero, 1000), RK_EINVAL);
    assert_int_equal(rk_auth_device_key_init(&k, 0, pk, 1000), RK_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),           cmocka_unit_test(test_named_cases),
        cmocka_unit_test(test_bad_inputs),       cmocka_unit_test(test_manage),
        cmocka_unit_test(test_names),            cmocka_unit_test(test_password_interactive),
        cmocka_unit_test(test_password_generated), cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
