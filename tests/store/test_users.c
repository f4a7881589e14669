/* Accounts, sessions and device keys in the store (SQLite, and PostgreSQL through
 * tests/store/postgres.sh), and the account operations of store/auth.h (login, session lookup,
 * logout, disable, device verification). */
#include "testutil.h"

#include "rekap/auth.h"
#include "rekap/status.h"
#include "rekap/logentry.h"
#include "rekap/statement.h"
#include "store/auth.h"
#include "store/pipeline.h"
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct fx {
    char dir[256];
    char path[1200];
    struct rk_store *s;
    int64_t gov_race;    /* governor race of province 11 */
    int64_t regent_race; /* bupati race of kab 1101 */
};

static void put_region(struct rk_store *s, const char *code, const char *name)
{
    struct rk_region r;
    assert_int_equal(rk_region_init(&r, code, strlen(code), name, strlen(name)), RK_OK);
    assert_int_equal(rk_store_region_put(s, &r), RK_OK);
}

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    rk_test_tmpdir(f.dir, sizeof f.dir);
    rk_test_store_uri(f.dir, f.path, sizeof f.path);
    assert_int_equal(rk_store_open(f.path, &f.s), RK_OK);
    put_region(f.s, "11", "ACEH");
    put_region(f.s, "1101", "KAB. ACEH SELATAN");
    put_region(f.s, "110101", "Bakongan");
    put_region(f.s, "1101012001", "Keude Bakongan");
    put_region(f.s, "1101012001001", "TPS 001");
    put_region(f.s, "1101012001002", "TPS 002");
    put_region(f.s, "12", "SUMATERA UTARA");
    struct rk_election e = {.kind = RK_ELECTION_PILKADA, .year = 2024};
    snprintf(e.slug, sizeof e.slug, "pilkada2024");
    snprintf(e.name, sizeof e.name, "Pilkada 2024");
    assert_int_equal(rk_store_election_put(f.s, &e), RK_OK);
    struct rk_race gov = {.election_id = e.id, .kind = RK_RACE_GOVERNOR};
    snprintf(gov.region_code, sizeof gov.region_code, "11");
    snprintf(gov.name, sizeof gov.name, "Gubernur Aceh");
    assert_int_equal(rk_store_race_put(f.s, &gov), RK_OK);
    struct rk_race reg = {.election_id = e.id, .kind = RK_RACE_REGENT};
    snprintf(reg.region_code, sizeof reg.region_code, "1101");
    snprintf(reg.name, sizeof reg.name, "Bupati Aceh Selatan");
    assert_int_equal(rk_store_race_put(f.s, &reg), RK_OK);
    f.gov_race = gov.id;
    f.regent_race = reg.id;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rk_store_close(f->s);
    rk_test_rmtree(f->dir);
    return 0;
}

/* A cheap valid account (generated-cost hash) for store-level tests. */
static void mk_user(struct rk_user *u, const char *name, enum rk_role role, const char *scope,
                    int64_t race)
{
    char pw[RK_GENPW_LEN + 1];
    memset(u, 0, sizeof *u);
    snprintf(u->p.username, sizeof u->p.username, "%s", name);
    u->p.role = role;
    snprintf(u->p.scope, sizeof u->p.scope, "%s", scope);
    u->p.race_id = race;
    u->created_at = 1732500000;
    assert_int_equal(rk_auth_password_generate(pw, u->pwhash), RK_OK);
}

static void test_schema(void **state)
{
    struct fx *f = *state;
    int v = 0;
    assert_int_equal(rk_store_schema_version(f->s, &v), RK_OK);
    assert_true(v >= 2); /* 2 = accounts; later branches append more */
}

static void test_user_put_get(void **state)
{
    struct fx *f = *state;
    struct rk_user u, got;
    mk_user(&u, "kpps-1101012001001", RK_ROLE_KPPS, "1101012001001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    assert_true(u.p.user_id > 0);

    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_string_equal(got.p.username, "kpps-1101012001001");
    assert_int_equal(got.p.role, RK_ROLE_KPPS);
    assert_string_equal(got.p.scope, "1101012001001");
    assert_int_equal(got.p.race_id, 0);
    assert_false(got.p.disabled);
    assert_int_equal(got.created_at, 1732500000);
    assert_string_equal(got.pwhash, u.pwhash);
    memset(&got, 0, sizeof got);
    assert_int_equal(rk_store_user_by_name(f->s, "kpps-1101012001001", &got), RK_OK);
    assert_int_equal(got.p.user_id, u.p.user_id);
    assert_int_equal(rk_store_user_by_name(f->s, "nobody", &got), RK_ENOTFOUND);
    assert_int_equal(rk_store_user_get(f->s, 9999, &got), RK_ENOTFOUND);

    /* National scope is stored and read back as "". */
    struct rk_user ri;
    mk_user(&ri, "admin", RK_ROLE_KPU_RI, "", 0);
    assert_int_equal(rk_store_user_put(f->s, &ri), RK_OK);
    assert_int_equal(rk_store_user_by_name(f->s, "admin", &got), RK_OK);
    assert_string_equal(got.p.scope, "");
    assert_int_equal(got.p.role, RK_ROLE_KPU_RI);
}

static void test_user_put_errors(void **state)
{
    struct fx *f = *state;
    struct rk_user u;
    mk_user(&u, "ppk-bakongan", RK_ROLE_PPK, "110101", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);

    /* Duplicate username, whatever else differs. */
    mk_user(&u, "ppk-bakongan", RK_ROLE_KPU_KABKOTA, "1101", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EEXIST);
    /* Scope region not in the store. */
    mk_user(&u, "kpps-x", RK_ROLE_KPPS, "1101012001009", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EORPHAN);
    /* Saksi of a race that does not exist. */
    mk_user(&u, "saksi-x", RK_ROLE_SAKSI, "1101", 4242);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EORPHAN);
    /* Saksi reading outside the race's region: governor of 11, scope in province 12. */
    mk_user(&u, "saksi-y", RK_ROLE_SAKSI, "12", f->gov_race);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    /* Saksi of the bupati race scoped to the whole province: wider than the race. */
    mk_user(&u, "saksi-z", RK_ROLE_SAKSI, "11", f->regent_race);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    /* Role/scope mismatch, missing race, stray race, public role, bad hash, preset id. */
    mk_user(&u, "kpps-y", RK_ROLE_KPPS, "110101", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    mk_user(&u, "saksi-w", RK_ROLE_SAKSI, "1101", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    mk_user(&u, "ppk-w", RK_ROLE_PPK, "110101", f->gov_race);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    mk_user(&u, "anon", RK_ROLE_PUBLIC, "", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    mk_user(&u, "ppk-v", RK_ROLE_PPK, "110101", 0);
    snprintf(u.pwhash, sizeof u.pwhash, "plaintext-password");
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    mk_user(&u, "Bad Name", RK_ROLE_PPK, "110101", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);
    mk_user(&u, "ppk-u", RK_ROLE_PPK, "110101", 0);
    u.p.user_id = 5;
    assert_int_equal(rk_store_user_put(f->s, &u), RK_EINVAL);

    /* None of the failures left a row behind. */
    struct rk_user got;
    static const char *const names[] = {"kpps-x", "saksi-x", "saksi-y", "saksi-z", "kpps-y",
                                        "saksi-w", "ppk-w",   "anon",    "ppk-v",   "ppk-u"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_int_equal(rk_store_user_by_name(f->s, names[i], &got), RK_ENOTFOUND);
    assert_int_equal(rk_store_user_by_name(f->s, "ppk-bakongan", &got), RK_OK);
    assert_int_equal(got.p.role, RK_ROLE_PPK);

    /* A valid saksi: governor race, scoped to one kab/kota. */
    mk_user(&u, "saksi-1", RK_ROLE_SAKSI, "1101", f->gov_race);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    assert_int_equal(rk_store_user_by_name(f->s, "saksi-1", &got), RK_OK);
    assert_int_equal(got.p.race_id, f->gov_race);
}

struct names {
    char list[16][RK_USERNAME_MAX + 1];
    int n;
};

static int collect(void *ud, const struct rk_user *u)
{
    struct names *N = ud;
    assert_true(N->n < 16);
    snprintf(N->list[N->n++], RK_USERNAME_MAX + 1, "%s", u->p.username);
    return 0;
}

/* Checks a listing is strictly increasing by (scope, username) and counts it. */
static int check_order(void *ud, const struct rk_user *u)
{
    struct {
        int n;
        char prev_scope[RK_CODE_MAX + 1];
        char prev_name[RK_USERNAME_MAX + 1];
    } *B = ud;
    int c = strcmp(u->p.scope, B->prev_scope);
    if (B->n && (c < 0 || (c == 0 && strcmp(u->p.username, B->prev_name) <= 0)))
        fail_msg("out of order: %s/%s after %s/%s", u->p.scope, u->p.username, B->prev_scope,
                 B->prev_name);
    snprintf(B->prev_scope, sizeof B->prev_scope, "%s", u->p.scope);
    snprintf(B->prev_name, sizeof B->prev_name, "%s", u->p.username);
    B->n++;
    return 0;
}

static void test_user_list(void **state)
{
    struct fx *f = *state;
    struct rk_user u;
    mk_user(&u, "kpps-b", RK_ROLE_KPPS, "1101012001002", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    mk_user(&u, "kpps-a", RK_ROLE_KPPS, "1101012001001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    mk_user(&u, "pps", RK_ROLE_PPS, "1101012001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    mk_user(&u, "prov12", RK_ROLE_KPU_PROVINSI, "12", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    mk_user(&u, "kpu-ri", RK_ROLE_KPU_RI, "", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);

    struct names N = {0};
    assert_int_equal(rk_store_user_list(f->s, "1101012001", collect, &N), RK_OK);
    assert_int_equal(N.n, 3);
    assert_string_equal(N.list[0], "pps"); /* ordered by scope code, then name */
    assert_string_equal(N.list[1], "kpps-a");
    assert_string_equal(N.list[2], "kpps-b");

    memset(&N, 0, sizeof N);
    assert_int_equal(rk_store_user_list(f->s, "1101012001002", collect, &N), RK_OK);
    assert_int_equal(N.n, 1);
    assert_string_equal(N.list[0], "kpps-b");

    memset(&N, 0, sizeof N);
    assert_int_equal(rk_store_user_list(f->s, "", collect, &N), RK_OK);
    assert_int_equal(N.n, 5);
    assert_string_equal(N.list[0], "kpu-ri"); /* national first */
    assert_string_equal(N.list[4], "prov12");

    memset(&N, 0, sizeof N);
    assert_int_equal(rk_store_user_list(f->s, "12", collect, &N), RK_OK);
    assert_int_equal(N.n, 1);
}

/* More accounts than one page of the PostgreSQL listing (1,000), many sharing one scope: every
 * account comes once, ordered by scope then username. */
static void test_user_list_long(void **state)
{
    struct fx *f = *state;
    struct rk_user u;
    char name[32];
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    for (int i = 0; i < 1100; i++) {
        snprintf(name, sizeof name, "kpps-%04d", (i * 7919) % 1100); /* not in order */
        mk_user(&u, name, RK_ROLE_KPPS, i % 3 ? "1101012001001" : "1101012001002", 0);
        assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    }
    mk_user(&u, "admin", RK_ROLE_KPU_RI, "", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    struct big {
        int n;
        char prev_scope[RK_CODE_MAX + 1];
        char prev_name[RK_USERNAME_MAX + 1];
    } B;
    memset(&B, 0, sizeof B);
    assert_int_equal(rk_store_user_list(f->s, "", check_order, &B), RK_OK);
    assert_int_equal(B.n, 1101);
    memset(&B, 0, sizeof B);
    assert_int_equal(rk_store_user_list(f->s, "1101012001001", check_order, &B), RK_OK);
    assert_int_equal(B.n, 733);
}

static void test_user_updates(void **state)
{
    struct fx *f = *state;
    struct rk_user u, got;
    mk_user(&u, "pps", RK_ROLE_PPS, "1101012001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    assert_int_equal(rk_store_user_set_disabled(f->s, u.p.user_id, true), RK_OK);
    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_true(got.p.disabled);
    assert_int_equal(rk_store_user_set_disabled(f->s, u.p.user_id, false), RK_OK);
    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_false(got.p.disabled);
    assert_int_equal(rk_store_user_set_disabled(f->s, 777, true), RK_ENOTFOUND);

    char pw[RK_GENPW_LEN + 1], h[RK_PWHASH_MAX + 1];
    assert_int_equal(rk_auth_password_generate(pw, h), RK_OK);
    assert_int_equal(rk_store_user_set_password(f->s, u.p.user_id, h), RK_OK);
    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_string_equal(got.pwhash, h);
    assert_int_equal(rk_store_user_set_password(f->s, u.p.user_id, "not-a-hash"), RK_EINVAL);
    assert_int_equal(rk_store_user_set_password(f->s, 777, h), RK_ENOTFOUND);
    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_string_equal(got.pwhash, h);
}

static void test_sessions(void **state)
{
    struct fx *f = *state;
    struct rk_user u;
    mk_user(&u, "pps", RK_ROLE_PPS, "1101012001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    char tok[RK_TOKEN_LEN + 1];
    struct rk_session a, b, c, got;
    assert_int_equal(rk_auth_session_new(u.p.user_id, 1000, 100, tok, &a), RK_OK);
    assert_int_equal(rk_auth_session_new(u.p.user_id, 1000, 500, tok, &b), RK_OK);
    assert_int_equal(rk_store_session_put(f->s, &a), RK_OK);
    assert_int_equal(rk_store_session_put(f->s, &b), RK_OK);
    assert_int_equal(rk_store_session_put(f->s, &a), RK_EEXIST);
    assert_int_equal(rk_store_session_get(f->s, a.token_hash, &got), RK_OK);
    assert_memory_equal(got.token_hash, a.token_hash, RK_TOKEN_HASH_BYTES);
    assert_int_equal(got.user_id, u.p.user_id);
    assert_int_equal(got.created_at, 1000);
    assert_int_equal(got.expires_at, 1100);

    /* A session of a user that does not exist. */
    assert_int_equal(rk_auth_session_new(999, 1000, 100, tok, &c), RK_OK);
    assert_int_equal(rk_store_session_put(f->s, &c), RK_EORPHAN);

    /* Purge removes only expired ones. */
    int64_t n = -1;
    assert_int_equal(rk_store_session_purge(f->s, 1200, &n), RK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rk_store_session_get(f->s, a.token_hash, &got), RK_ENOTFOUND);
    assert_int_equal(rk_store_session_get(f->s, b.token_hash, &got), RK_OK);

    assert_int_equal(rk_store_session_delete(f->s, b.token_hash), RK_OK);
    assert_int_equal(rk_store_session_delete(f->s, b.token_hash), RK_ENOTFOUND);

    assert_int_equal(rk_store_session_put(f->s, &a), RK_OK);
    assert_int_equal(rk_store_session_put(f->s, &b), RK_OK);
    assert_int_equal(rk_store_session_delete_user(f->s, u.p.user_id, &n), RK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rk_store_session_get(f->s, a.token_hash, &got), RK_ENOTFOUND);
}

static void test_devices(void **state)
{
    struct fx *f = *state;
    struct rk_user u;
    mk_user(&u, "kpps-a", RK_ROLE_KPPS, "1101012001001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    uint8_t pk[32], sk[64], pk2[32], sk2[64];
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);
    struct rk_device_key k, got;
    assert_int_equal(rk_auth_device_key_init(&k, u.p.user_id, pk, 2000), RK_OK);
    assert_int_equal(rk_store_device_put(f->s, &k), RK_OK);
    assert_int_equal(rk_store_device_put(f->s, &k), RK_EEXIST);
    assert_int_equal(rk_store_device_get(f->s, k.key_id, &got), RK_OK);
    assert_string_equal(got.key_id, k.key_id);
    assert_int_equal(got.user_id, u.p.user_id);
    assert_memory_equal(got.pub, pk, 32);
    assert_int_equal(got.created_at, 2000);
    assert_int_equal(got.revoked_at, 0);
    assert_int_equal(rk_store_device_get(f->s, "0000000000000000", &got), RK_ENOTFOUND);

    /* Key id must be the one derived from the key. */
    struct rk_device_key forged;
    assert_int_equal(rk_auth_device_key_init(&forged, u.p.user_id, pk2, 2000), RK_OK);
    memcpy(forged.key_id, k.key_id, sizeof forged.key_id);
    assert_int_equal(rk_store_device_put(f->s, &forged), RK_EINVAL);
    /* Unknown user. */
    assert_int_equal(rk_auth_device_key_init(&forged, 4242, pk2, 2000), RK_OK);
    assert_int_equal(rk_store_device_put(f->s, &forged), RK_EORPHAN);

    assert_int_equal(rk_store_device_revoke(f->s, k.key_id, 3000), RK_OK);
    assert_int_equal(rk_store_device_get(f->s, k.key_id, &got), RK_OK);
    assert_int_equal(got.revoked_at, 3000);
    assert_int_equal(rk_store_device_revoke(f->s, k.key_id, 4000), RK_ECONFLICT);
    assert_int_equal(rk_store_device_get(f->s, k.key_id, &got), RK_OK);
    assert_int_equal(got.revoked_at, 3000);
    assert_int_equal(rk_store_device_revoke(f->s, "0000000000000000", 4000), RK_ENOTFOUND);
}

/* ---- account operations ---- */

static void test_login_flow(void **state)
{
    struct fx *f = *state;
    struct rk_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "ppk-bakongan");
    u.p.role = RK_ROLE_PPK;
    snprintf(u.p.scope, sizeof u.p.scope, "110101");
    const char *pw = "rahasia pleno kecamatan";
    assert_int_equal(rk_auth_user_create(f->s, "cli@test", &u, pw, strlen(pw), 5000, NULL), RK_OK);
    enum rk_pw_profile prof;
    assert_int_equal(rk_auth_password_profile(u.pwhash, &prof), RK_OK);
    assert_int_equal(prof, RK_PW_INTERACTIVE);
    /* Too short a password creates nothing. */
    struct rk_user v = u, got;
    v.p.user_id = 0;
    snprintf(v.p.username, sizeof v.p.username, "ppk-2");
    assert_int_equal(rk_auth_user_create(f->s, "cli@test", &v, "pendek", 6, 5000, NULL), RK_ERANGE);
    assert_int_equal(rk_store_user_by_name(f->s, "ppk-2", &got), RK_ENOTFOUND);

    char tok[RK_TOKEN_LEN + 1];
    struct rk_principal who;
    assert_int_equal(rk_auth_login(f->s, "ppk-bakongan", pw, strlen(pw), 6000, tok, &who), RK_OK);
    assert_int_equal(who.user_id, u.p.user_id);
    assert_int_equal(who.role, RK_ROLE_PPK);
    assert_string_equal(who.scope, "110101");
    assert_int_equal(rk_auth_login(f->s, "ppk-bakongan", "salah sandi!!", 13, 6000, tok, &who),
                     RK_EAUTH);
    assert_int_equal(rk_auth_login(f->s, "ppk-tidak-ada", pw, strlen(pw), 6000, tok, &who),
                     RK_EAUTH);
    assert_int_equal(rk_auth_login(f->s, "Not A Name", pw, strlen(pw), 6000, tok, &who), RK_EAUTH);

    /* The session resolves to the principal until it expires or is logged out. */
    char tok2[RK_TOKEN_LEN + 1];
    assert_int_equal(rk_auth_login(f->s, "ppk-bakongan", pw, strlen(pw), 6000, tok2, NULL), RK_OK);
    memset(&who, 0, sizeof who);
    assert_int_equal(rk_auth_session_principal(f->s, tok, strlen(tok), 6001, &who), RK_OK);
    assert_string_equal(who.username, "ppk-bakongan");
    assert_int_equal(rk_auth_check(&who, RK_ACT_APPROVE, "1101012001001", 0), RK_OK);
    assert_int_equal(rk_auth_logout(f->s, tok, strlen(tok)), RK_OK);
    assert_int_equal(rk_auth_session_principal(f->s, tok, strlen(tok), 6002, &who), RK_EAUTH);
    assert_int_equal(rk_auth_logout(f->s, tok, strlen(tok)), RK_EAUTH);
    assert_int_equal(rk_auth_session_principal(f->s, "garbage", 7, 6002, &who), RK_EAUTH);
    int64_t expiry = 6000 + RK_SESSION_TTL_DEFAULT;
    assert_int_equal(rk_auth_session_principal(f->s, tok2, strlen(tok2), expiry - 1, &who), RK_OK);
    assert_int_equal(rk_auth_session_principal(f->s, tok2, strlen(tok2), expiry, &who), RK_EAUTH);
    /* The expired session was deleted on sight. */
    uint8_t h[RK_TOKEN_HASH_BYTES];
    struct rk_session se;
    assert_int_equal(rk_auth_token_hash(tok2, strlen(tok2), h), RK_OK);
    assert_int_equal(rk_store_session_get(f->s, h, &se), RK_ENOTFOUND);

    /* Disabling ends sessions and blocks login; re-enabling restores login. */
    assert_int_equal(rk_auth_login(f->s, "ppk-bakongan", pw, strlen(pw), 7000, tok, NULL), RK_OK);
    assert_int_equal(rk_auth_user_disable(f->s, "cli@test", u.p.user_id, true, 6000), RK_OK);
    assert_int_equal(rk_auth_session_principal(f->s, tok, strlen(tok), 7001, &who), RK_EAUTH);
    assert_int_equal(rk_auth_login(f->s, "ppk-bakongan", pw, strlen(pw), 7002, tok, NULL),
                     RK_EFORBIDDEN);
    assert_int_equal(rk_auth_user_disable(f->s, "cli@test", u.p.user_id, false, 6000), RK_OK);
    assert_int_equal(rk_auth_login(f->s, "ppk-bakongan", pw, strlen(pw), 7003, tok, NULL), RK_OK);
    assert_int_equal(rk_auth_session_principal(f->s, tok, strlen(tok), 7004, &who), RK_OK);
}

static void test_generated_and_rehash(void **state)
{
    struct fx *f = *state;
    struct rk_user u, got;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "kpps-1101012001002");
    u.p.role = RK_ROLE_KPPS;
    snprintf(u.p.scope, sizeof u.p.scope, "1101012001002");
    char gen[RK_GENPW_LEN + 1];
    assert_int_equal(rk_auth_user_create(f->s, "cli@test", &u, NULL, 0, 5000, gen), RK_OK);
    enum rk_pw_profile prof;
    assert_int_equal(rk_auth_password_profile(u.pwhash, &prof), RK_OK);
    assert_int_equal(prof, RK_PW_GENERATED);
    char tok[RK_TOKEN_LEN + 1];
    struct rk_principal who;
    assert_int_equal(rk_auth_login(f->s, u.p.username, gen, strlen(gen), 5001, tok, &who), RK_OK);
    assert_int_equal(rk_auth_check(&who, RK_ACT_SUBMIT, "1101012001002", 0), RK_OK);
    assert_int_equal(rk_auth_check(&who, RK_ACT_SUBMIT, "1101012001001", 0), RK_EFORBIDDEN);
    /* The generated-cost hash is current: login leaves it alone. */
    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_string_equal(got.pwhash, u.pwhash);

    /* An outdated interactive-class hash is upgraded on a successful login. */
    const char *pw = "sandi lama yang masih benar";
    char old[crypto_pwhash_STRBYTES];
    assert_int_equal(crypto_pwhash_str_alg(old, pw, strlen(pw), 2, 8u << 20,
                                           crypto_pwhash_ALG_ARGON2ID13),
                     0);
    assert_int_equal(rk_store_user_set_password(f->s, u.p.user_id, old), RK_OK);
    assert_int_equal(rk_auth_login(f->s, u.p.username, gen, strlen(gen), 5002, tok, NULL),
                     RK_EAUTH);
    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_string_equal(got.pwhash, old); /* failed login changes nothing */
    assert_int_equal(rk_auth_login(f->s, u.p.username, pw, strlen(pw), 5003, tok, NULL), RK_OK);
    assert_int_equal(rk_store_user_get(f->s, u.p.user_id, &got), RK_OK);
    assert_string_not_equal(got.pwhash, old);
    assert_int_equal(rk_auth_password_needs_rehash(got.pwhash), 0);
    assert_int_equal(rk_auth_password_verify(got.pwhash, pw, strlen(pw)), RK_OK);

    /* Setting a new password ends existing sessions. */
    assert_int_equal(rk_auth_session_principal(f->s, tok, strlen(tok), 5004, &who), RK_OK);
    const char *npw = "sandi baru setelah lupa";
    assert_int_equal(rk_auth_password_set(f->s, NULL, u.p.user_id, npw, strlen(npw), 6000), RK_OK);
    assert_int_equal(rk_auth_session_principal(f->s, tok, strlen(tok), 5005, &who), RK_EAUTH);
    assert_int_equal(rk_auth_password_set(f->s, NULL, u.p.user_id, "short", 5, 6000), RK_ERANGE);
}

static void test_device_flow(void **state)
{
    struct fx *f = *state;
    struct rk_user u;
    mk_user(&u, "kpps-a", RK_ROLE_KPPS, "1101012001001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    uint8_t pk[32], sk[64], pk2[32], sk2[64], sig[64];
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);
    struct rk_device_key k;
    int64_t size0;
    assert_int_equal(rk_store_log_size(f->s, &size0), RK_OK);
    assert_int_equal(rk_auth_device_register(f->s, NULL, u.p.user_id, pk, 100000, &k), RK_OK);
    /* stored with the index of its registration entry, which is that entry */
    assert_int_equal(k.log_index, size0);
    struct rk_device_key got;
    assert_int_equal(rk_store_device_get(f->s, k.key_id, &got), RK_OK);
    assert_int_equal(got.log_index, size0);
    uint8_t ebuf[RK_LOG_ENTRY_MAX];
    size_t elen;
    struct rk_logentry e;
    assert_int_equal(rk_store_log_get(f->s, size0, ebuf, sizeof ebuf, &elen, NULL), RK_OK);
    assert_int_equal(rk_logentry_decode(ebuf, elen, &e), RK_OK);
    assert_int_equal(e.kind, RK_LOGENTRY_DEVICE_KEY);
    char kid[17];
    rk_hex(e.device_key_id, RK_KEY_ID_LEN, kid);
    assert_string_equal(kid, k.key_id);
    assert_int_equal(rk_auth_device_register(f->s, NULL, u.p.user_id, pk, 100000, NULL), RK_EEXIST);
    uint8_t zero[32] = {0};
    assert_int_equal(rk_auth_device_register(f->s, NULL, u.p.user_id, zero, 100000, NULL),
                     RK_EINVAL);

    const char msg[] = "upload 1101012001001 sha256=abc";
    crypto_sign_detached(sig, NULL, (const uint8_t *)msg, sizeof msg - 1, sk);
    struct rk_principal who;
    assert_int_equal(rk_auth_device_verify(f->s, k.key_id, msg, sizeof msg - 1, sig, &who), RK_OK);
    assert_int_equal(who.user_id, u.p.user_id);
    assert_int_equal(rk_auth_check(&who, RK_ACT_SUBMIT, "1101012001001", 0), RK_OK);
    /* Signed by another key, for an unknown key id, altered message. */
    uint8_t sig2[64];
    crypto_sign_detached(sig2, NULL, (const uint8_t *)msg, sizeof msg - 1, sk2);
    assert_int_equal(rk_auth_device_verify(f->s, k.key_id, msg, sizeof msg - 1, sig2, &who),
                     RK_ESIGNATURE);
    assert_int_equal(rk_auth_device_verify(f->s, "ffffffffffffffff", msg, sizeof msg - 1, sig,
                                           &who),
                     RK_ESIGNATURE);
    assert_int_equal(rk_auth_device_verify(f->s, k.key_id, msg, sizeof msg - 2, sig, &who),
                     RK_ESIGNATURE);
    /* Disabled account, then revoked key. */
    assert_int_equal(rk_auth_user_disable(f->s, "cli@test", u.p.user_id, true, 6000), RK_OK);
    assert_int_equal(rk_auth_device_verify(f->s, k.key_id, msg, sizeof msg - 1, sig, &who),
                     RK_EFORBIDDEN);
    assert_int_equal(rk_auth_user_disable(f->s, "cli@test", u.p.user_id, false, 6000), RK_OK);
    assert_int_equal(rk_store_device_revoke(f->s, k.key_id, 200), RK_OK);
    assert_int_equal(rk_auth_device_verify(f->s, k.key_id, msg, sizeof msg - 1, sig, &who),
                     RK_ESIGNATURE);
}

static void test_reopen_persists(void **state)
{
    struct fx *f = *state;
    struct rk_user u, got;
    mk_user(&u, "pps", RK_ROLE_PPS, "1101012001", 0);
    assert_int_equal(rk_store_user_put(f->s, &u), RK_OK);
    rk_store_close(f->s);
    assert_int_equal(rk_store_open(f->path, &f->s), RK_OK);
    int v = 0;
    assert_int_equal(rk_store_schema_version(f->s, &v), RK_OK);
    assert_true(v >= 2); /* 2 = accounts; later branches append more */
    assert_int_equal(rk_store_user_by_name(f->s, "pps", &got), RK_OK);
    assert_string_equal(got.pwhash, u.pwhash);
}

/* The log's size now. */
static int64_t log_size(struct rk_store *s)
{
    int64_t n;
    assert_int_equal(rk_store_log_size(s, &n), RK_OK);
    return n;
}

/* Checks that the log has grown by exactly one entry since before, of kind, by actor, about
 * region, device key (may be NULL), committing to statement st. */
static void expect_one_entry(struct rk_store *s, int64_t before, enum rk_logentry_kind kind,
                             const char *actor, const char *region, const char *key_id,
                             const char *st, size_t len)
{
    assert_int_equal(log_size(s), before + 1);
    uint8_t buf[RK_LOGENTRY_MAX_BYTES], h[32];
    size_t n;
    struct rk_logentry e;
    assert_int_equal(rk_store_log_get(s, before, buf, sizeof buf, &n, NULL), RK_OK);
    assert_int_equal(rk_logentry_decode(buf, n, &e), RK_OK);
    assert_int_equal(e.seq, (uint64_t)before);
    assert_int_equal(e.kind, kind);
    assert_string_equal(e.actor, actor);
    assert_string_equal(e.region, region);
    assert_string_equal(e.race, "");
    crypto_hash_sha256(h, (const unsigned char *)st, len);
    assert_memory_equal(e.payload_hash, h, 32);
    assert_false(e.has_signature);
    assert_int_equal(e.has_device, key_id != NULL);
    if (key_id) {
        uint8_t id[RK_KEY_ID_LEN];
        assert_int_equal(rk_unhex(key_id, strlen(key_id), id, RK_KEY_ID_LEN), RK_OK);
        assert_memory_equal(e.device_key_id, id, RK_KEY_ID_LEN);
    }
}

static void test_account_log(void **state)
{
    struct fx *f = *state;
    char st[RK_STATEMENT_BUF], gen[RK_GENPW_LEN + 1];
    size_t len;
    int64_t n0 = log_size(f->s);
    assert_int_equal(n0, 0);

    /* create: one entry, the statement names the account, never its password */
    struct rk_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "kpps-1101012001001");
    u.p.role = RK_ROLE_KPPS;
    snprintf(u.p.scope, sizeof u.p.scope, "1101012001001");
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &u, NULL, 0, 1000000, gen), RK_OK);
    assert_int_equal(rk_statement_account("kpps-1101012001001", "kpps", "1101012001001", NULL,
                                          RK_ACCOUNT_CREATE, st, sizeof st, &len),
                     RK_OK);
    assert_string_equal(st, "rekap-account-v1\nuser=kpps-1101012001001\nrole=kpps\n"
                            "scope=1101012001001\nrace=-\naction=create\n");
    expect_one_entry(f->s, n0, RK_LOGENTRY_ACCOUNT_CHANGE, "cli@root", "1101012001001", NULL, st,
                     len);

    /* a failed change adds nothing: duplicate name, bad actor, policy */
    struct rk_user dup = u;
    dup.p.user_id = 0;
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &dup, NULL, 0, 1000001, gen), RK_EEXIST);
    dup.p.user_id = 0;
    snprintf(dup.p.username, sizeof dup.p.username, "kpps-baru");
    assert_int_equal(rk_auth_user_create(f->s, "bad actor", &dup, NULL, 0, 1000001, gen),
                     RK_EINVAL);
    assert_int_equal(rk_auth_user_create(f->s, NULL, &dup, NULL, 0, 1000001, gen), RK_EINVAL);
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &dup, "pendek", 6, 1000001, NULL),
                     RK_ERANGE);
    struct rk_user got;
    assert_int_equal(rk_store_user_by_name(f->s, "kpps-baru", &got), RK_ENOTFOUND);
    assert_int_equal(log_size(f->s), n0 + 1);

    /* a saksi's statement names its race by its stable log name */
    struct rk_user sk;
    memset(&sk, 0, sizeof sk);
    snprintf(sk.p.username, sizeof sk.p.username, "saksi-1");
    sk.p.role = RK_ROLE_SAKSI;
    snprintf(sk.p.scope, sizeof sk.p.scope, "1101");
    sk.p.race_id = f->regent_race;
    int64_t n1 = log_size(f->s);
    assert_int_equal(rk_auth_user_create(f->s, "kpu-ri.admin", &sk, NULL, 0, 1000002, gen), RK_OK);
    assert_int_equal(rk_statement_account("saksi-1", "saksi", "1101", "pilkada2024.pkwkk.1101",
                                          RK_ACCOUNT_CREATE, st, sizeof st, &len),
                     RK_OK);
    expect_one_entry(f->s, n1, RK_LOGENTRY_ACCOUNT_CHANGE, "kpu-ri.admin", "1101", NULL, st, len);

    /* disable, enable, password: one entry each; unknown account: none */
    int64_t n = log_size(f->s);
    assert_int_equal(rk_auth_user_disable(f->s, "cli@root", u.p.user_id, true, 1000003), RK_OK);
    assert_int_equal(rk_statement_account(u.p.username, "kpps", u.p.scope, NULL,
                                          RK_ACCOUNT_DISABLE, st, sizeof st, &len),
                     RK_OK);
    expect_one_entry(f->s, n, RK_LOGENTRY_ACCOUNT_CHANGE, "cli@root", u.p.scope, NULL, st, len);
    n = log_size(f->s);
    assert_int_equal(rk_auth_user_disable(f->s, "cli@root", u.p.user_id, false, 1000004), RK_OK);
    assert_int_equal(rk_statement_account(u.p.username, "kpps", u.p.scope, NULL,
                                          RK_ACCOUNT_ENABLE, st, sizeof st, &len),
                     RK_OK);
    expect_one_entry(f->s, n, RK_LOGENTRY_ACCOUNT_CHANGE, "cli@root", u.p.scope, NULL, st, len);
    n = log_size(f->s);
    assert_int_equal(rk_auth_user_disable(f->s, "cli@root", 9999, true, 1000005), RK_ENOTFOUND);
    assert_int_equal(log_size(f->s), n);
    const char *npw = "sandi baru yang panjang";
    assert_int_equal(rk_auth_password_set(f->s, NULL, u.p.user_id, npw, strlen(npw), 1000006),
                     RK_OK);
    assert_int_equal(rk_statement_account(u.p.username, "kpps", u.p.scope, NULL,
                                          RK_ACCOUNT_PASSWORD, st, sizeof st, &len),
                     RK_OK);
    assert_null(strstr(st, "argon2"));
    expect_one_entry(f->s, n, RK_LOGENTRY_ACCOUNT_CHANGE, u.p.username, u.p.scope, NULL, st, len);
}

static void test_device_log(void **state)
{
    struct fx *f = *state;
    char st[RK_STATEMENT_BUF], gen[RK_GENPW_LEN + 1];
    size_t len;
    struct rk_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "kpps-1101012001002");
    u.p.role = RK_ROLE_KPPS;
    snprintf(u.p.scope, sizeof u.p.scope, "1101012001002");
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &u, NULL, 0, 1000000, gen), RK_OK);
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);

    /* self-registration: the account is the actor; the statement holds the public key */
    int64_t n = log_size(f->s);
    struct rk_device_key k;
    assert_int_equal(rk_auth_device_register(f->s, NULL, u.p.user_id, pk, 1000001, &k), RK_OK);
    assert_int_equal(k.created_at, 1000);
    assert_int_equal(rk_statement_device(u.p.username, k.key_id, pk, RK_DEVICE_REGISTER, st,
                                         sizeof st, &len),
                     RK_OK);
    char pkhex[65], want[300];
    rk_hex(pk, 32, pkhex);
    snprintf(want, sizeof want,
             "rekap-device-v1\nuser=%s\nkey=%s\npublic_key=%s\naction=register\n",
             u.p.username, k.key_id, pkhex);
    assert_string_equal(st, want);
    expect_one_entry(f->s, n, RK_LOGENTRY_DEVICE_KEY, u.p.username, u.p.scope, k.key_id, st, len);

    /* refused registrations add nothing */
    n = log_size(f->s);
    assert_int_equal(rk_auth_device_register(f->s, NULL, u.p.user_id, pk, 1000002, NULL),
                     RK_EEXIST);
    uint8_t pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    assert_int_equal(rk_auth_device_register(f->s, NULL, 9999, pk2, 1000002, NULL), RK_EORPHAN);
    assert_int_equal(log_size(f->s), n);

    /* revoke by an operator: one entry; again: refused, nothing */
    assert_int_equal(rk_auth_device_revoke(f->s, "cli@root", k.key_id, 1000003), RK_OK);
    assert_int_equal(rk_statement_device(u.p.username, k.key_id, pk, RK_DEVICE_REVOKE, st,
                                         sizeof st, &len),
                     RK_OK);
    expect_one_entry(f->s, n, RK_LOGENTRY_DEVICE_KEY, "cli@root", u.p.scope, k.key_id, st, len);
    n = log_size(f->s);
    assert_int_equal(rk_auth_device_revoke(f->s, "cli@root", k.key_id, 1000004), RK_ECONFLICT);
    assert_int_equal(rk_auth_device_revoke(f->s, "cli@root", "0000000000000000", 1000004),
                     RK_ENOTFOUND);
    assert_int_equal(log_size(f->s), n);
    struct rk_device_key got;
    assert_int_equal(rk_store_device_get(f->s, k.key_id, &got), RK_OK);
    assert_int_equal(got.revoked_at, 1000);
}

/* Bulk provisioning holds one transaction: each change joins it under a savepoint, a failed
 * one is undone alone, and nothing is visible (or logged) until the caller commits. */
static void test_account_log_in_transaction(void **state)
{
    struct fx *f = *state;
    char gen[RK_GENPW_LEN + 1];
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    struct rk_user a, b;
    memset(&a, 0, sizeof a);
    snprintf(a.p.username, sizeof a.p.username, "kpps-1101012001001");
    a.p.role = RK_ROLE_KPPS;
    snprintf(a.p.scope, sizeof a.p.scope, "1101012001001");
    b = a;
    snprintf(b.p.username, sizeof b.p.username, "kpps-1101012001002");
    snprintf(b.p.scope, sizeof b.p.scope, "1101012001002");
    struct rk_user dup = a;
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &a, NULL, 0, 1000, gen), RK_OK);
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &dup, NULL, 0, 1000, gen), RK_EEXIST);
    assert_true(rk_store_in_transaction(f->s)); /* the caller's transaction goes on */
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &b, NULL, 0, 1000, gen), RK_OK);
    assert_int_equal(log_size(f->s), 2);
    assert_int_equal(rk_store_rollback(f->s), RK_OK);
    assert_int_equal(log_size(f->s), 0);
    struct rk_user got;
    assert_int_equal(rk_store_user_by_name(f->s, "kpps-1101012001001", &got), RK_ENOTFOUND);
    /* and committed, both with exactly their two entries */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    a.p.user_id = b.p.user_id = 0;
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &a, NULL, 0, 1000, gen), RK_OK);
    assert_int_equal(rk_auth_user_create(f->s, "cli@root", &b, NULL, 0, 1000, gen), RK_OK);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    assert_false(rk_store_in_transaction(f->s));
    assert_int_equal(log_size(f->s), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_schema),     T(test_user_put_get), T(test_user_put_errors),
        T(test_user_list),  T(test_user_list_long), T(test_user_updates), T(test_sessions),
        T(test_devices),    T(test_login_flow),   T(test_generated_and_rehash),
        T(test_device_flow), T(test_reopen_persists), T(test_account_log),
        T(test_device_log), T(test_account_log_in_transaction),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
