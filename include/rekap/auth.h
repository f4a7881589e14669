/* Accounts, roles and authorization: who may do what, where.
 *
 * A principal is a role plus a scope: a region code (its level fixed by the role for election
 * officials, free for saksi and Bawaslu) and, for a saksi, one race. Every right is checked by
 * rk_auth_check against ONE table (lib/auth.c, documented in docs/roles.md): for each role and
 * action, the levels of target regions allowed and whether the target must lie inside the
 * principal's scope (code prefix = ancestor-or-self) and, for saksi, in its own race.
 *
 * Credentials: passwords are Argon2id strings (libsodium); sessions are random 32-byte tokens of
 * which only a BLAKE2b hash is stored; KPPS devices sign uploads with Ed25519 keys registered to
 * their account. Everything here is pure: time comes in as `now` (Unix seconds), randomness from
 * libsodium, and storage is done by store/auth.h. */
#ifndef REKAP_AUTH_H
#define REKAP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/region.h"

#define RK_USERNAME_MIN 3
#define RK_USERNAME_MAX 64
#define RK_PASSWORD_MIN 10      /* bytes, human-chosen passwords */
#define RK_PASSWORD_MAX 1024    /* bytes; caps the work an attacker can make us hash */
#define RK_PWHASH_MAX 127       /* an Argon2id string, without terminator */
#define RK_GENPW_LEN 26         /* generated password: 128 random bits in Crockford base32 */
#define RK_TOKEN_LEN 43         /* session token: 32 random bytes, base64url without padding */
#define RK_TOKEN_HASH_BYTES 32  /* BLAKE2b-256 of the token's bytes, what the store keeps */
#define RK_DEVICE_PUB_BYTES 32  /* Ed25519 public key */
#define RK_DEVICE_SIG_BYTES 64  /* Ed25519 detached signature */
#define RK_KEY_ID_HEX_LEN 16        /* hex of the first 8 bytes of SHA-256(public key) */
#define RK_SESSION_TTL_DEFAULT (12 * 3600) /* one polling day: voting, count, upload */
#define RK_SESSION_TTL_MAX (7 * 86400)
#define RK_REASON_MIN 10        /* bytes in a correction reason */
#define RK_REASON_MAX 1000

/* Roles. The numbers are stored in databases: never renumber, only append. */
enum rk_role {
    RK_ROLE_PUBLIC = 0,       /* anonymous reader; never an account */
    RK_ROLE_KPPS = 1,         /* one TPS: submits its C.Hasil */
    RK_ROLE_PPS = 2,          /* one desa/kelurahan: registers its KPPS */
    RK_ROLE_PPK = 3,          /* one kecamatan: approves/corrects TPS results in plenary */
    RK_ROLE_KPU_KABKOTA = 4,  /* one kabupaten/kota */
    RK_ROLE_KPU_PROVINSI = 5, /* one province */
    RK_ROLE_KPU_RI = 6,       /* national */
    RK_ROLE_SAKSI = 7,        /* witness of one race, reading within a region */
    RK_ROLE_BAWASLU = 8,      /* election supervisor of a region (any level): read + flag */
};
#define RK_ROLE_COUNT 9

enum rk_action {
    RK_ACT_READ_PUBLISHED = 0, /* published results and form images: everyone, everywhere */
    RK_ACT_READ_RESULTS,       /* working results: pending submissions, readings, drafts */
    RK_ACT_READ_DOCUMENTS,     /* original uploads with device signatures, incident forms */
    RK_ACT_READ_AUDIT,         /* who did what: the account/action log of a region */
    RK_ACT_SUBMIT,             /* write the C.Hasil of a TPS */
    RK_ACT_APPROVE,            /* accept a result into the next recap tier */
    RK_ACT_CORRECT,            /* change a submitted result, with a reason */
    RK_ACT_FLAG,               /* raise an objection/anomaly on a result */
    RK_ACT_MANAGE_USERS,       /* create/disable accounts scoped at the target */
};
#define RK_ACTION_COUNT 9

/* What an authorization decision needs to know about the caller. */
struct rk_principal {
    int64_t user_id;                      /* 0 for the public */
    char username[RK_USERNAME_MAX + 1];   /* "" for the public */
    enum rk_role role;
    char scope[RK_CODE_MAX + 1];          /* canonical region code, "" = national */
    int64_t race_id;                      /* saksi only; 0 otherwise */
    bool disabled;
};

/* An account as stored. */
struct rk_user {
    struct rk_principal p;
    int64_t created_at;                   /* Unix seconds */
    char pwhash[RK_PWHASH_MAX + 1];       /* Argon2id string ("$argon2id$v=19$m=...") */
};

/* A login session. The token itself is given to the client once and never stored. */
struct rk_session {
    uint8_t token_hash[RK_TOKEN_HASH_BYTES];
    int64_t user_id;
    int64_t created_at;
    int64_t expires_at;                   /* valid while now < expires_at */
};

/* An upload device's signing key, registered to one account. */
struct rk_device_key {
    char key_id[RK_KEY_ID_HEX_LEN + 1];
    int64_t user_id;
    uint8_t pub[RK_DEVICE_PUB_BYTES];
    int64_t created_at;
    int64_t revoked_at;                   /* 0 while the key is valid */
    int64_t log_index; /* the registration's log entry; -1 when registered before it was kept */
};

/* Cost profile of a stored password hash. */
enum rk_pw_profile {
    RK_PW_INTERACTIVE = 0, /* human-chosen: libsodium's INTERACTIVE limits (64 MiB, t=2) */
    RK_PW_GENERATED = 1,   /* 128-bit random secret: Argon2id minimum limits (8 KiB, t=1) */
};

/* ---- roles, actions, names ---- */

/* Stable lowercase identifier of role ("kpps", "kpu-kabkota"), "?" when out of range. */
const char *rk_role_name(enum rk_role role);

/* Human label in Bahasa Indonesia ("KPU Kabupaten/Kota"), "?" when out of range. */
const char *rk_role_label(enum rk_role role);

/* Parses a role name: the identifiers of rk_role_name, any case, '_' for '-', plus the aliases
 * "kpu-kab", "kpu-kota", "kpu-prov", "kpu", "witness", "publik". Returns RK_OK or RK_EINVAL. */
int rk_role_parse(const char *s, enum rk_role *out);

/* Returns the level a scope of role must have, or -1 when any level is allowed (saksi,
 * Bawaslu). Returns -2 for an out-of-range role. */
int rk_role_scope_level(enum rk_role role);

/* Stable identifier of action ("read_results"), "?" when out of range. */
const char *rk_action_name(enum rk_action what);

/* Parses an action identifier. Returns RK_OK or RK_EINVAL. */
int rk_action_parse(const char *s, enum rk_action *out);

/* Checks a username: RK_USERNAME_MIN..MAX bytes of [a-z0-9._-], starting with a letter or
 * digit. Lowercase only, so uniqueness cannot be dodged by case. Returns RK_OK, RK_EINVAL or
 * RK_ERANGE. */
int rk_username_check(const char *s);

/* Checks that a principal is consistent: a known role, a canonical scope code of the level the
 * role needs, a race id exactly for saksi. Returns RK_OK or RK_EINVAL. */
int rk_principal_check(const struct rk_principal *p);

/* Checks an account before it is stored: rk_principal_check, a valid username, not the public
 * role, and an Argon2id hash string. Returns RK_OK or RK_EINVAL. */
int rk_user_check(const struct rk_user *u);

/* Fills out with the anonymous public principal (national scope, read-only). */
void rk_principal_public(struct rk_principal *out);

/* ---- authorization ---- */

/* Decides whether who may perform what on the region target_code (canonical, "" = national)
 * in race target_race_id (0 when the action concerns no race). Saksi rights need
 * target_race_id equal to the saksi's race; other roles ignore it (the caller checks the race
 * is held where target_code votes). A disabled or inconsistent principal may do nothing.
 * Returns RK_OK, RK_EFORBIDDEN, or RK_EINVAL for a malformed target code or action. */
int rk_auth_check(const struct rk_principal *who, enum rk_action what, const char *target_code,
                  int64_t target_race_id);

/* Decides whether who may create, disable or reset an account of target_role scoped at
 * target_scope: RK_ACT_MANAGE_USERS on target_scope, target_role among those who's role
 * provisions (see docs/roles.md), and target_scope of the level target_role needs.
 * Returns RK_OK, RK_EFORBIDDEN or RK_EINVAL. */
int rk_auth_check_manage(const struct rk_principal *who, enum rk_role target_role,
                         const char *target_scope);

/* Checks the reason that must accompany a correction: valid UTF-8 text without control
 * characters, RK_REASON_MIN..RK_REASON_MAX bytes after trimming. Returns RK_OK, RK_EINVAL or
 * RK_ERANGE. */
int rk_auth_reason_check(const char *reason, size_t len);

/* ---- passwords ---- */

/* Checks a human-chosen password: RK_PASSWORD_MIN..RK_PASSWORD_MAX bytes of valid UTF-8
 * without control characters. Returns RK_OK, RK_ERANGE (length) or RK_EINVAL. */
int rk_auth_password_policy(const char *pw, size_t len);

/* Hashes a human-chosen password (policy enforced) with Argon2id at the INTERACTIVE limits
 * into out. Takes about 0.1 s and 64 MiB. Returns RK_OK, RK_ERANGE, RK_EINVAL or RK_ENOMEM. */
int rk_auth_password_hash(const char *pw, size_t len, char out[RK_PWHASH_MAX + 1]);

/* Generates a random password (128 bits, RK_GENPW_LEN lowercase Crockford base32 characters,
 * no i/l/o/u) into pw and its Argon2id hash at the minimum limits into hash. The cheap profile
 * is reachable only through here, so a human-chosen password can never get it. Returns RK_OK,
 * RK_ENOMEM or RK_EINTERNAL. */
int rk_auth_password_generate(char pw[RK_GENPW_LEN + 1], char hash[RK_PWHASH_MAX + 1]);

/* Verifies pw against a stored hash string of either profile (the string carries its own
 * parameters). Hash strings that are not Argon2id, are malformed, or ask for more than
 * 4x the INTERACTIVE limits (a tampered row must not make us allocate gigabytes) fail.
 * Returns RK_OK, or RK_EAUTH for a mismatch or an unusable hash. */
int rk_auth_password_verify(const char *hash, const char *pw, size_t len);

/* Classifies a hash string by its parameters: exactly the minimum limits is the generated
 * profile, anything else interactive. Returns RK_OK or RK_EINVAL (not a usable Argon2id
 * string). */
int rk_auth_password_profile(const char *hash, enum rk_pw_profile *out);

/* Returns 1 when hash should be recomputed at its profile's current limits (after a successful
 * verify, while the password is at hand), 0 when not, RK_EINVAL for an unusable string. */
int rk_auth_password_needs_rehash(const char *hash);

/* ---- sessions ---- */

/* Starts a session for user_id at now, lasting ttl seconds (1..RK_SESSION_TTL_MAX): writes the
 * token for the client into token (NUL-terminated) and the record to store into out. Returns
 * RK_OK, RK_ERANGE (ttl) or RK_EINTERNAL. */
int rk_auth_session_new(int64_t user_id, int64_t now, int64_t ttl, char token[RK_TOKEN_LEN + 1],
                        struct rk_session *out);

/* Hashes a client's token of len bytes for lookup. Returns RK_OK, or RK_EAUTH when it is not a
 * well-formed token (wrong length or alphabet). */
int rk_auth_token_hash(const char *token, size_t len, uint8_t out[RK_TOKEN_HASH_BYTES]);

/* Returns RK_OK while se is valid at now, RK_EAUTH once expired (or not yet started). */
int rk_auth_session_live(const struct rk_session *se, int64_t now);

/* ---- device keys ---- */

/* Writes the key id of an Ed25519 public key: lowercase hex of the first 8 bytes of its
 * SHA-256. */
void rk_auth_device_key_id(const uint8_t pub[RK_DEVICE_PUB_BYTES], char out[RK_KEY_ID_HEX_LEN + 1]);

/* Parses a public key given as 64 hex digits or 43 base64url characters (padding optional)
 * and checks it is a usable Ed25519 point (not of small order). Returns RK_OK or RK_EINVAL. */
int rk_auth_device_pub_parse(const char *s, size_t len, uint8_t out[RK_DEVICE_PUB_BYTES]);

/* Fills k for a new key of user_id (key id computed, not revoked). Returns RK_OK or RK_EINVAL
 * (not a usable Ed25519 point). */
int rk_auth_device_key_init(struct rk_device_key *k, int64_t user_id,
                            const uint8_t pub[RK_DEVICE_PUB_BYTES], int64_t now);

/* Verifies an Ed25519 detached signature of msg[0..len) by pub. Returns RK_OK or
 * RK_ESIGNATURE. */
int rk_auth_verify_device_sig(const uint8_t pub[RK_DEVICE_PUB_BYTES], const void *msg, size_t len,
                              const uint8_t sig[RK_DEVICE_SIG_BYTES]);

#endif
