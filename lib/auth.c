/* Authorization matrix, credential hashing, session tokens and device signatures.
 *
 * The whole access policy is the `roles` table below: one row per role, one cell per action.
 * rk_auth_check reads it and nothing else, so reviewing who may do what means reading one table
 * (mirrored in docs/roles.md; tests/lib/test_auth.c walks it role by role). */
#include "rekap/auth.h"
#include "rekap/status.h"
#include "rekap/text.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- the matrix ---- */

/* Bit sets of region levels. */
#define LV(l) (1u << (l))
#define NAT LV(RK_LEVEL_NATIONAL)
#define PROV LV(RK_LEVEL_PROVINCE)
#define KAB LV(RK_LEVEL_KABKOTA)
#define KEC LV(RK_LEVEL_KECAMATAN)
#define DESA LV(RK_LEVEL_DESA)
#define TPS LV(RK_LEVEL_TPS)
#define ALL (NAT | PROV | KAB | KEC | DESA | TPS)
/* A level and every level below it. */
#define FROM(l) (ALL & ~(LV(l) - 1u))

/* Bit sets of roles (for provisioning). */
#define RL(r) (1u << (r))

/* Where an allowed action may land relative to the principal's scope. */
enum reach {
    NONE = 0,    /* forbidden (the zero value, so an unlisted cell is closed) */
    ANYWHERE,    /* any target of the listed levels */
    IN_SCOPE,    /* target code has the principal's scope code as prefix (ancestor-or-self) */
    IN_RACE,     /* IN_SCOPE and the target race is the principal's own race */
};

struct cell {
    enum reach reach;
    unsigned levels; /* levels of target codes allowed */
};

struct role_row {
    const char *name;    /* stable identifier (CLI, JSON, docs) */
    const char *label;   /* Bahasa Indonesia */
    int scope_level;     /* level its scope code must have, -1 = any */
    unsigned provisions; /* roles whose accounts it may manage (with RK_ACT_MANAGE_USERS) */
    struct cell may[RK_ACTION_COUNT];
};

#define C(reach, levels) {reach, levels}
#define PUBLISHED [RK_ACT_READ_PUBLISHED] = C(ANYWHERE, ALL)

static const struct role_row roles[RK_ROLE_COUNT] = {
    [RK_ROLE_PUBLIC] = {"public", "Publik", RK_LEVEL_NATIONAL, 0, {PUBLISHED}},
    [RK_ROLE_KPPS] = {"kpps", "KPPS", RK_LEVEL_TPS, 0,
                      {PUBLISHED,
                       [RK_ACT_READ_RESULTS] = C(IN_SCOPE, TPS),
                       [RK_ACT_READ_DOCUMENTS] = C(IN_SCOPE, TPS),
                       [RK_ACT_SUBMIT] = C(IN_SCOPE, TPS)}},
    [RK_ROLE_PPS] = {"pps", "PPS", RK_LEVEL_DESA, RL(RK_ROLE_KPPS),
                     {PUBLISHED,
                      [RK_ACT_READ_RESULTS] = C(IN_SCOPE, FROM(RK_LEVEL_DESA)),
                      [RK_ACT_READ_DOCUMENTS] = C(IN_SCOPE, FROM(RK_LEVEL_DESA)),
                      [RK_ACT_MANAGE_USERS] = C(IN_SCOPE, TPS)}},
    [RK_ROLE_PPK] = {"ppk", "PPK", RK_LEVEL_KECAMATAN, RL(RK_ROLE_KPPS) | RL(RK_ROLE_PPS),
                     {PUBLISHED,
                      [RK_ACT_READ_RESULTS] = C(IN_SCOPE, FROM(RK_LEVEL_KECAMATAN)),
                      [RK_ACT_READ_DOCUMENTS] = C(IN_SCOPE, FROM(RK_LEVEL_KECAMATAN)),
                      [RK_ACT_READ_AUDIT] = C(IN_SCOPE, FROM(RK_LEVEL_KECAMATAN)),
                      [RK_ACT_APPROVE] = C(IN_SCOPE, TPS | KEC),
                      [RK_ACT_CORRECT] = C(IN_SCOPE, TPS),
                      [RK_ACT_MANAGE_USERS] = C(IN_SCOPE, DESA | TPS)}},
    [RK_ROLE_KPU_KABKOTA] = {"kpu-kabkota", "KPU Kabupaten/Kota", RK_LEVEL_KABKOTA,
                             RL(RK_ROLE_KPPS) | RL(RK_ROLE_PPS) | RL(RK_ROLE_PPK) |
                                 RL(RK_ROLE_SAKSI) | RL(RK_ROLE_BAWASLU),
                             {PUBLISHED,
                              [RK_ACT_READ_RESULTS] = C(IN_SCOPE, FROM(RK_LEVEL_KABKOTA)),
                              [RK_ACT_READ_DOCUMENTS] = C(IN_SCOPE, FROM(RK_LEVEL_KABKOTA)),
                              [RK_ACT_READ_AUDIT] = C(IN_SCOPE, FROM(RK_LEVEL_KABKOTA)),
                              [RK_ACT_APPROVE] = C(IN_SCOPE, KEC | KAB),
                              [RK_ACT_CORRECT] = C(IN_SCOPE, TPS | KEC | KAB),
                              [RK_ACT_MANAGE_USERS] = C(IN_SCOPE, FROM(RK_LEVEL_KABKOTA))}},
    [RK_ROLE_KPU_PROVINSI] = {"kpu-provinsi", "KPU Provinsi", RK_LEVEL_PROVINCE,
                              RL(RK_ROLE_KPPS) | RL(RK_ROLE_PPS) | RL(RK_ROLE_PPK) |
                                  RL(RK_ROLE_KPU_KABKOTA) | RL(RK_ROLE_SAKSI) |
                                  RL(RK_ROLE_BAWASLU),
                              {PUBLISHED,
                               [RK_ACT_READ_RESULTS] = C(IN_SCOPE, FROM(RK_LEVEL_PROVINCE)),
                               [RK_ACT_READ_DOCUMENTS] = C(IN_SCOPE, FROM(RK_LEVEL_PROVINCE)),
                               [RK_ACT_READ_AUDIT] = C(IN_SCOPE, FROM(RK_LEVEL_PROVINCE)),
                               [RK_ACT_APPROVE] = C(IN_SCOPE, KAB | PROV),
                               [RK_ACT_CORRECT] = C(IN_SCOPE, TPS | KEC | KAB | PROV),
                               [RK_ACT_MANAGE_USERS] = C(IN_SCOPE, FROM(RK_LEVEL_PROVINCE))}},
    [RK_ROLE_KPU_RI] = {"kpu-ri", "KPU RI", RK_LEVEL_NATIONAL,
                        RL(RK_ROLE_KPPS) | RL(RK_ROLE_PPS) | RL(RK_ROLE_PPK) |
                            RL(RK_ROLE_KPU_KABKOTA) | RL(RK_ROLE_KPU_PROVINSI) |
                            RL(RK_ROLE_SAKSI) | RL(RK_ROLE_BAWASLU),
                        {PUBLISHED,
                         [RK_ACT_READ_RESULTS] = C(IN_SCOPE, ALL),
                         [RK_ACT_READ_DOCUMENTS] = C(IN_SCOPE, ALL),
                         [RK_ACT_READ_AUDIT] = C(IN_SCOPE, ALL),
                         [RK_ACT_APPROVE] = C(IN_SCOPE, PROV | NAT),
                         [RK_ACT_CORRECT] = C(IN_SCOPE, TPS | KEC | KAB | PROV | NAT),
                         [RK_ACT_MANAGE_USERS] = C(IN_SCOPE, ALL)}},
    [RK_ROLE_SAKSI] = {"saksi", "Saksi Pasangan Calon", -1, 0,
                       {PUBLISHED,
                        [RK_ACT_READ_RESULTS] = C(IN_RACE, ALL),
                        [RK_ACT_READ_DOCUMENTS] = C(IN_RACE, ALL),
                        [RK_ACT_FLAG] = C(IN_RACE, ALL)}},
    [RK_ROLE_BAWASLU] = {"bawaslu", "Bawaslu / Pengawas", -1, 0,
                         {PUBLISHED,
                          [RK_ACT_READ_RESULTS] = C(IN_SCOPE, ALL),
                          [RK_ACT_READ_DOCUMENTS] = C(IN_SCOPE, ALL),
                          [RK_ACT_READ_AUDIT] = C(IN_SCOPE, ALL),
                          [RK_ACT_FLAG] = C(IN_SCOPE, ALL)}},
};

static const char *const action_names[RK_ACTION_COUNT] = {
    [RK_ACT_READ_PUBLISHED] = "read_published", [RK_ACT_READ_RESULTS] = "read_results",
    [RK_ACT_READ_DOCUMENTS] = "read_documents", [RK_ACT_READ_AUDIT] = "read_audit",
    [RK_ACT_SUBMIT] = "submit",                 [RK_ACT_APPROVE] = "approve",
    [RK_ACT_CORRECT] = "correct",               [RK_ACT_FLAG] = "flag",
    [RK_ACT_MANAGE_USERS] = "manage_users",
};

/* ---- names ---- */

const char *rk_role_name(enum rk_role role)
{
    return (unsigned)role < RK_ROLE_COUNT ? roles[role].name : "?";
}

const char *rk_role_label(enum rk_role role)
{
    return (unsigned)role < RK_ROLE_COUNT ? roles[role].label : "?";
}

int rk_role_scope_level(enum rk_role role)
{
    return (unsigned)role < RK_ROLE_COUNT ? roles[role].scope_level : -2;
}

/* Lowercases s into buf with '_' read as '-'; fails when s does not fit. */
static int normalize(const char *s, char *buf, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0 || n >= cap)
        return RK_EINVAL;
    for (size_t i = 0; i <= n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        buf[i] = c == '_' ? '-' : c;
    }
    return RK_OK;
}

int rk_role_parse(const char *s, enum rk_role *out)
{
    static const struct {
        const char *alias;
        enum rk_role role;
    } aliases[] = {
        {"kpu-kab", RK_ROLE_KPU_KABKOTA},  {"kpu-kota", RK_ROLE_KPU_KABKOTA},
        {"kpu-prov", RK_ROLE_KPU_PROVINSI}, {"kpu", RK_ROLE_KPU_RI},
        {"witness", RK_ROLE_SAKSI},         {"publik", RK_ROLE_PUBLIC},
    };
    char buf[32];
    if (!s || normalize(s, buf, sizeof buf) != RK_OK)
        return RK_EINVAL;
    for (int r = 0; r < RK_ROLE_COUNT; r++)
        if (strcmp(buf, roles[r].name) == 0) {
            *out = (enum rk_role)r;
            return RK_OK;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(buf, aliases[i].alias) == 0) {
            *out = aliases[i].role;
            return RK_OK;
        }
    return RK_EINVAL;
}

const char *rk_action_name(enum rk_action what)
{
    return (unsigned)what < RK_ACTION_COUNT ? action_names[what] : "?";
}

int rk_action_parse(const char *s, enum rk_action *out)
{
    for (int a = 0; s && a < RK_ACTION_COUNT; a++)
        if (strcmp(s, action_names[a]) == 0) {
            *out = (enum rk_action)a;
            return RK_OK;
        }
    return RK_EINVAL;
}

int rk_username_check(const char *s)
{
    size_t n = strnlen(s, RK_USERNAME_MAX + 1);
    if (n < RK_USERNAME_MIN || n > RK_USERNAME_MAX)
        return RK_ERANGE;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return RK_EINVAL;
    }
    return RK_OK;
}

/* Level of a canonical code ("" = national), or -1 when s is not one. */
static int code_level(const char *s)
{
    if (!s)
        return -1;
    if (!s[0])
        return RK_LEVEL_NATIONAL;
    char canon[RK_CODE_MAX + 1];
    enum rk_level level;
    size_t n = strnlen(s, RK_CODE_MAX + 1);
    if (n > RK_CODE_MAX || memchr(s, '.', n) || rk_code_parse(s, n, canon, &level) != RK_OK)
        return -1;
    return (int)level;
}

int rk_principal_check(const struct rk_principal *p)
{
    if (!p || (unsigned)p->role >= RK_ROLE_COUNT)
        return RK_EINVAL;
    int level = code_level(p->scope);
    int want = roles[p->role].scope_level;
    if (level < 0 || (want >= 0 && level != want))
        return RK_EINVAL;
    /* A race binds saksi rights; on any other role it would be a silent no-op, so refuse it. */
    if ((p->role == RK_ROLE_SAKSI) != (p->race_id > 0) || p->race_id < 0)
        return RK_EINVAL;
    return RK_OK;
}

int rk_user_check(const struct rk_user *u)
{
    if (rk_principal_check(&u->p) != RK_OK || u->p.role == RK_ROLE_PUBLIC)
        return RK_EINVAL;
    if (rk_username_check(u->p.username) != RK_OK)
        return RK_EINVAL;
    enum rk_pw_profile prof;
    if (rk_auth_password_profile(u->pwhash, &prof) != RK_OK)
        return RK_EINVAL;
    return RK_OK;
}

void rk_principal_public(struct rk_principal *out)
{
    memset(out, 0, sizeof *out);
    out->role = RK_ROLE_PUBLIC;
}

/* ---- authorization ---- */

/* Codes are fixed-width digit groups, so a prefix is exactly an ancestor-or-self. */
static int within(const char *scope, const char *target)
{
    size_t n = strlen(scope);
    return strlen(target) >= n && memcmp(scope, target, n) == 0;
}

int rk_auth_check(const struct rk_principal *who, enum rk_action what, const char *target_code,
                  int64_t target_race_id)
{
    if ((unsigned)what >= RK_ACTION_COUNT)
        return RK_EINVAL;
    int level = code_level(target_code);
    if (level < 0)
        return RK_EINVAL;
    /* Fail closed: an account in a state the table does not describe gets nothing. */
    if (!who || who->disabled || rk_principal_check(who) != RK_OK)
        return RK_EFORBIDDEN;
    const struct cell *c = &roles[who->role].may[what];
    if (c->reach == NONE || !(c->levels & LV(level)))
        return RK_EFORBIDDEN;
    if (c->reach != ANYWHERE && !within(who->scope, target_code))
        return RK_EFORBIDDEN;
    if (c->reach == IN_RACE && (who->race_id <= 0 || target_race_id != who->race_id))
        return RK_EFORBIDDEN;
    return RK_OK;
}

int rk_auth_check_manage(const struct rk_principal *who, enum rk_role target_role,
                         const char *target_scope)
{
    if ((unsigned)target_role >= RK_ROLE_COUNT)
        return RK_EINVAL;
    int rc = rk_auth_check(who, RK_ACT_MANAGE_USERS, target_scope, 0);
    if (rc != RK_OK)
        return rc;
    if (!(roles[who->role].provisions & RL(target_role)))
        return RK_EFORBIDDEN;
    int want = roles[target_role].scope_level;
    if (want >= 0 && code_level(target_scope) != want)
        return RK_EINVAL;
    return RK_OK;
}

int rk_auth_reason_check(const char *reason, size_t len)
{
    if (!reason)
        return RK_EINVAL;
    rk_trim(&reason, &len);
    if (len < RK_REASON_MIN || len > RK_REASON_MAX)
        return RK_ERANGE;
    return rk_utf8_valid_text(reason, len) ? RK_OK : RK_EINVAL;
}

/* ---- passwords ---- */

/* libsodium must be initialised once; sodium_init is idempotent and thread-safe. */
static int sodium_ready(void)
{
    return sodium_init() >= 0 ? RK_OK : RK_EINTERNAL;
}

#define PW_OPS_GENERATED crypto_pwhash_argon2id_OPSLIMIT_MIN
#define PW_MEM_GENERATED crypto_pwhash_argon2id_MEMLIMIT_MIN
#define PW_OPS_INTERACTIVE crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define PW_MEM_INTERACTIVE crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE
/* Verification refuses costs above these: a hash string is data, and data can be tampered. */
#define PW_OPS_CEILING (4u * PW_OPS_INTERACTIVE)
#define PW_MEM_CEILING (4u * (uint64_t)PW_MEM_INTERACTIVE)

struct pw_params {
    uint64_t mem_kib, ops, lanes;
};

/* Reads a decimal of at most 10 digits at *p, advancing it. */
static int read_num(const char **p, uint64_t *out)
{
    uint64_t v = 0;
    int n = 0;
    while (**p >= '0' && **p <= '9' && n < 10) {
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++, n++;
    }
    if (n == 0 || (**p >= '0' && **p <= '9'))
        return RK_EINVAL;
    *out = v;
    return RK_OK;
}

/* Parses "$argon2id$v=19$m=M,t=T,p=P$salt$hash" far enough to know its cost. */
static int pw_parse(const char *h, struct pw_params *out)
{
    static const char head[] = "$argon2id$v=19$m=";
    uint64_t v;
    if (!h || strnlen(h, RK_PWHASH_MAX + 1) > RK_PWHASH_MAX ||
        strncmp(h, head, sizeof head - 1) != 0)
        return RK_EINVAL;
    const char *p = h + sizeof head - 1;
    if (read_num(&p, &v) != RK_OK || strncmp(p, ",t=", 3) != 0)
        return RK_EINVAL;
    out->mem_kib = v;
    p += 3;
    if (read_num(&p, &v) != RK_OK || strncmp(p, ",p=", 3) != 0)
        return RK_EINVAL;
    out->ops = v;
    p += 3;
    if (read_num(&p, &v) != RK_OK || *p != '$')
        return RK_EINVAL;
    out->lanes = v;
    if (out->lanes != 1 || out->ops < PW_OPS_GENERATED || out->ops > PW_OPS_CEILING ||
        out->mem_kib * 1024u < PW_MEM_GENERATED || out->mem_kib * 1024u > PW_MEM_CEILING)
        return RK_EINVAL;
    return RK_OK;
}

int rk_auth_password_policy(const char *pw, size_t len)
{
    if (!pw)
        return RK_EINVAL;
    if (len < RK_PASSWORD_MIN || len > RK_PASSWORD_MAX)
        return RK_ERANGE;
    return rk_utf8_valid_text(pw, len) ? RK_OK : RK_EINVAL;
}

static int pw_hash(const char *pw, size_t len, unsigned long long ops, size_t mem,
                   char out[RK_PWHASH_MAX + 1])
{
    char buf[crypto_pwhash_STRBYTES];
    int rc = sodium_ready();
    if (rc != RK_OK)
        return rc;
    /* The only failure crypto_pwhash_str reports for valid limits is running out of memory. */
    if (crypto_pwhash_str_alg(buf, pw, len, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return RK_ENOMEM;
    size_t n = strnlen(buf, sizeof buf);
    if (n > RK_PWHASH_MAX)
        return RK_EINTERNAL;
    memcpy(out, buf, n + 1);
    return RK_OK;
}

int rk_auth_password_hash(const char *pw, size_t len, char out[RK_PWHASH_MAX + 1])
{
    int rc = rk_auth_password_policy(pw, len);
    if (rc != RK_OK)
        return rc;
    return pw_hash(pw, len, PW_OPS_INTERACTIVE, PW_MEM_INTERACTIVE, out);
}

/* Crockford's base32 alphabet, lowercase: no i, l, o, u, so a password read off paper by a
 * tired KPPS officer at night has no look-alike characters. */
static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";

int rk_auth_password_generate(char pw[RK_GENPW_LEN + 1], char hash[RK_PWHASH_MAX + 1])
{
    uint8_t raw[16];
    int rc = sodium_ready();
    if (rc != RK_OK)
        return rc;
    randombytes_buf(raw, sizeof raw);
    /* 128 bits, five at a time: 26 characters, the last carrying the 3 remaining bits. */
    unsigned acc = 0, bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            pw[n++] = b32[(acc >> bits) & 31u];
        }
    }
    if (bits)
        pw[n++] = b32[(acc << (5 - bits)) & 31u];
    pw[n] = '\0';
    sodium_memzero(raw, sizeof raw);
    if (n != RK_GENPW_LEN)
        return RK_EINTERNAL;
    rc = pw_hash(pw, n, PW_OPS_GENERATED, PW_MEM_GENERATED, hash);
    if (rc != RK_OK)
        sodium_memzero(pw, RK_GENPW_LEN + 1);
    return rc;
}

int rk_auth_password_verify(const char *hash, const char *pw, size_t len)
{
    struct pw_params par;
    if (!pw || len > RK_PASSWORD_MAX || pw_parse(hash, &par) != RK_OK || sodium_ready() != RK_OK)
        return RK_EAUTH;
    return crypto_pwhash_str_verify(hash, pw, len) == 0 ? RK_OK : RK_EAUTH;
}

int rk_auth_password_profile(const char *hash, enum rk_pw_profile *out)
{
    struct pw_params par;
    if (pw_parse(hash, &par) != RK_OK)
        return RK_EINVAL;
    *out = par.ops == PW_OPS_GENERATED && par.mem_kib * 1024u == PW_MEM_GENERATED
               ? RK_PW_GENERATED
               : RK_PW_INTERACTIVE;
    return RK_OK;
}

int rk_auth_password_needs_rehash(const char *hash)
{
    enum rk_pw_profile prof;
    if (rk_auth_password_profile(hash, &prof) != RK_OK || sodium_ready() != RK_OK)
        return RK_EINVAL;
    int r = prof == RK_PW_GENERATED
                ? crypto_pwhash_str_needs_rehash(hash, PW_OPS_GENERATED, PW_MEM_GENERATED)
                : crypto_pwhash_str_needs_rehash(hash, PW_OPS_INTERACTIVE, PW_MEM_INTERACTIVE);
    return r < 0 ? RK_EINVAL : r;
}

/* ---- sessions ---- */

int rk_auth_session_new(int64_t user_id, int64_t now, int64_t ttl, char token[RK_TOKEN_LEN + 1],
                        struct rk_session *out)
{
    uint8_t raw[32];
    if (ttl < 1 || ttl > RK_SESSION_TTL_MAX || now < 0 || user_id <= 0)
        return RK_ERANGE;
    int rc = sodium_ready();
    if (rc != RK_OK)
        return rc;
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, RK_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    memset(out, 0, sizeof *out);
    crypto_generichash(out->token_hash, sizeof out->token_hash, raw, sizeof raw, NULL, 0);
    sodium_memzero(raw, sizeof raw);
    out->user_id = user_id;
    out->created_at = now;
    out->expires_at = now + ttl;
    return RK_OK;
}

int rk_auth_token_hash(const char *token, size_t len, uint8_t out[RK_TOKEN_HASH_BYTES])
{
    uint8_t raw[32];
    size_t n = 0;
    const char *end = NULL;
    if (!token || len != RK_TOKEN_LEN || sodium_ready() != RK_OK)
        return RK_EAUTH;
    if (sodium_base642bin(raw, sizeof raw, token, len, NULL, &n, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != sizeof raw || end != token + len)
        return RK_EAUTH;
    crypto_generichash(out, RK_TOKEN_HASH_BYTES, raw, sizeof raw, NULL, 0);
    sodium_memzero(raw, sizeof raw);
    return RK_OK;
}

int rk_auth_session_live(const struct rk_session *se, int64_t now)
{
    return se && now >= se->created_at && now < se->expires_at ? RK_OK : RK_EAUTH;
}

/* ---- device keys ---- */

void rk_auth_device_key_id(const uint8_t pub[RK_DEVICE_PUB_BYTES], char out[RK_KEY_ID_HEX_LEN + 1])
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, pub, RK_DEVICE_PUB_BYTES);
    sodium_bin2hex(out, RK_KEY_ID_HEX_LEN + 1, digest, RK_KEY_ID_HEX_LEN / 2);
}

int rk_auth_device_pub_parse(const char *s, size_t len, uint8_t out[RK_DEVICE_PUB_BYTES])
{
    uint8_t buf[RK_DEVICE_PUB_BYTES];
    size_t n = 0;
    const char *end = NULL;
    if (!s || sodium_ready() != RK_OK)
        return RK_EINVAL;
    if (len == 2 * RK_DEVICE_PUB_BYTES) {
        if (sodium_hex2bin(buf, sizeof buf, s, len, NULL, &n, &end) != 0)
            return RK_EINVAL;
    } else {
        if (len == 44 && s[43] == '=')
            len = 43;
        if (len != 43 || sodium_base642bin(buf, sizeof buf, s, len, NULL, &n, &end,
                                           sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
            return RK_EINVAL;
    }
    if (n != sizeof buf || end != s + len || !crypto_core_ed25519_is_valid_point(buf))
        return RK_EINVAL;
    memcpy(out, buf, sizeof buf);
    return RK_OK;
}

int rk_auth_device_key_init(struct rk_device_key *k, int64_t user_id,
                            const uint8_t pub[RK_DEVICE_PUB_BYTES], int64_t now)
{
    memset(k, 0, sizeof *k);
    if (user_id <= 0 || sodium_ready() != RK_OK || !crypto_core_ed25519_is_valid_point(pub))
        return RK_EINVAL;
    k->user_id = user_id;
    memcpy(k->pub, pub, RK_DEVICE_PUB_BYTES);
    rk_auth_device_key_id(pub, k->key_id);
    k->created_at = now;
    k->log_index = -1; /* rk_auth_device_register sets it */
    return RK_OK;
}

int rk_auth_verify_device_sig(const uint8_t pub[RK_DEVICE_PUB_BYTES], const void *msg, size_t len,
                              const uint8_t sig[RK_DEVICE_SIG_BYTES])
{
    if (!pub || !sig || (!msg && len) || sodium_ready() != RK_OK)
        return RK_ESIGNATURE;
    const unsigned char *m = len ? msg : (const unsigned char *)"";
    return crypto_sign_verify_detached(sig, m, len, pub) == 0 ? RK_OK : RK_ESIGNATURE;
}
