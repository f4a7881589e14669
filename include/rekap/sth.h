/* Signed tree heads (STH) of the rekap transparency log, and the log's signing key.
 *
 * An STH commits the log, at one moment, to a tree size and root hash. It is signed with Ed25519
 * over a fixed byte layout (rk_sth_signed_bytes, documented in docs/audit-log.md) so any
 * verifier can rebuild the exact signed message without a JSON canonicaliser.
 *
 * The private key sits behind struct rk_signer: callers only see the public key, its id and a
 * sign function, so the key can later move to a separate signer process (or an HSM) by
 * providing another implementation. rk_local_signer is the in-process one. */
#ifndef REKAP_STH_H
#define REKAP_STH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rekap/merkle.h"

#define RK_STH_LOG_ID_MAX 64     /* bytes of a log id: [a-z0-9][a-z0-9._-]* */
#define RK_ED25519_PUBKEY_LEN 32
#define RK_ED25519_SEED_LEN 32
#define RK_ED25519_SIG_LEN 64
#define RK_KEY_ID_LEN 8          /* first 8 bytes of SHA-256(public key) */
#define RK_STH_CONTEXT "rekap-sth-v1" /* signed-bytes prefix, followed by one 0x00 byte */
#define RK_STH_SIGNED_MAX (13 + 1 + RK_STH_LOG_ID_MAX + 8 + 8 + RK_MERKLE_HASH_LEN)

struct rk_sth {
    char log_id[RK_STH_LOG_ID_MAX + 1]; /* names the log, e.g. "rekap.pilkada2024" */
    uint64_t tree_size;
    uint64_t timestamp_ms;              /* Unix time in milliseconds when the head was signed */
    uint8_t root[RK_MERKLE_HASH_LEN];
    uint8_t key_id[RK_KEY_ID_LEN];      /* set by rk_sth_sign */
    uint8_t signature[RK_ED25519_SIG_LEN];
};

/* A signing key seen from outside: its public half, its id, and a way to sign. sign() gets the
 * complete message (not a hash) and writes a 64-byte Ed25519 signature; it returns RK_OK or a
 * negative status (e.g. RK_EIO when a remote signer is unreachable). ctx is the
 * implementation's. */
struct rk_signer {
    uint8_t public_key[RK_ED25519_PUBKEY_LEN];
    uint8_t key_id[RK_KEY_ID_LEN];
    int (*sign)(const struct rk_signer *self, const uint8_t *msg, size_t len,
                uint8_t sig[RK_ED25519_SIG_LEN]);
    void *ctx;
};

/* In-process signer: the secret key lives in this struct. Pass &ls->signer wherever a struct
 * rk_signer is wanted (its sign() finds the secret from that pointer, so it must be that
 * member, not a copy of it). rk_local_signer_free wipes the secret. */
struct rk_local_signer {
    struct rk_signer signer;
    uint8_t secret[64]; /* libsodium's seed || public key form */
};

/* True when s is a valid log id: 1..RK_STH_LOG_ID_MAX bytes of [a-z0-9._-], starting with a
 * letter or digit. */
int rk_sth_log_id_valid(const char *s);

/* Writes the key id of an Ed25519 public key: the first 8 bytes of its SHA-256. */
void rk_key_id(const uint8_t public_key[RK_ED25519_PUBKEY_LEN], uint8_t out[RK_KEY_ID_LEN]);

/* Fills the unsigned part of sth (key id and signature zeroed). Returns RK_OK or RK_EINVAL for
 * a bad log id. */
int rk_sth_init(struct rk_sth *sth, const char *log_id, uint64_t tree_size,
                uint64_t timestamp_ms, const uint8_t root[RK_MERKLE_HASH_LEN]);

/* Writes the exact bytes that are signed (layout in docs/audit-log.md) to out. Returns their
 * length (62 + strlen(log_id), at most RK_STH_SIGNED_MAX), RK_EINVAL for a bad log id or
 * RK_ETOOBIG when cap is too small. */
int rk_sth_signed_bytes(const struct rk_sth *sth, uint8_t *out, size_t cap);

/* Signs sth with signer, setting key_id and signature. Returns RK_OK, RK_EINVAL (bad log id) or
 * the signer's error (sth's key id and signature then zeroed). */
int rk_sth_sign(struct rk_sth *sth, const struct rk_signer *signer);

/* Checks that sth was signed by public_key: key_id must be that key's id and the signature must
 * verify over rk_sth_signed_bytes. Returns RK_OK, RK_EINVAL (bad log id) or RK_ESIGNATURE. */
int rk_sth_verify(const struct rk_sth *sth, const uint8_t public_key[RK_ED25519_PUBKEY_LEN]);

/* JSON form: {"log_id": s, "tree_size": n, "timestamp": ms, "root_hash": hex64,
 * "key_id": hex16, "signature": hex128}, lowercase hex. Returns a new reference (caller
 * json_decref) or NULL when out of memory, tree_size or timestamp exceed 2^53 - 1, or the log id
 * is invalid. */
json_t *rk_sth_to_json(const struct rk_sth *sth);

/* Strict inverse of rk_sth_to_json: exactly those six keys, integers in [0, 2^53 - 1], hex of
 * the exact length in lowercase. Returns RK_OK, RK_EPARSE (shape, types, hex), RK_ERANGE
 * (numbers) or RK_EINVAL (log id). Does not verify the signature. */
int rk_sth_from_json(const json_t *j, struct rk_sth *sth);

/* Sets up an in-process signer from a 32-byte Ed25519 seed (the same seed always gives the same
 * key). Returns RK_OK or RK_EINTERNAL when libsodium cannot initialise. */
int rk_local_signer_init(struct rk_local_signer *ls, const uint8_t seed[RK_ED25519_SEED_LEN]);

/* Wipes the secret key. Safe on a zeroed or already freed struct. */
void rk_local_signer_free(struct rk_local_signer *ls);

/* Fills seed with 32 bytes from the operating system's CSPRNG. Returns RK_OK or RK_EINTERNAL. */
int rk_signer_seed_generate(uint8_t seed[RK_ED25519_SEED_LEN]);

/* Writes a new key file holding seed: "rekap-ed25519-seed-v1\n" then 64 lowercase hex digits and
 * "\n", created with mode 0600. Never overwrites: RK_EEXIST when path exists, RK_EIO on other
 * failures (a partial file is removed). */
int rk_signer_key_save(const char *path, const uint8_t seed[RK_ED25519_SEED_LEN]);

/* Reads a key file written by rk_signer_key_save into seed. Returns RK_OK, RK_ENOTFOUND,
 * RK_EIO, RK_EFORBIDDEN (not a regular file, or readable/writable by group or others: a leaked
 * key cannot be un-leaked, so we refuse rather than warn), or RK_EPARSE (wrong format). */
int rk_signer_key_load(const char *path, uint8_t seed[RK_ED25519_SEED_LEN]);

/* rk_signer_key_load then rk_local_signer_init; the seed is wiped from the stack. */
int rk_local_signer_load(struct rk_local_signer *ls, const char *path);

#endif
