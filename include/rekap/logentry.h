/* Entries of the rekap transparency log: one per accepted submission, correction, approval,
 * rejection, account or device-key change, election configuration change, or open-data
 * snapshot.
 *
 * An entry is stored and hashed in one canonical, versioned binary encoding (layout in
 * docs/audit-log.md); its Merkle leaf hash is rk_merkle_leaf_hash over exactly those bytes. The
 * entry does not carry the document itself, only the SHA-256 of its canonical bytes (for a
 * submission, the canonical C.Hasil JSON) and, where the KPPS device signed it, the device's
 * key id and Ed25519 signature over those same bytes, so auditors can check a published
 * document against the log.
 *
 * The decoder reads bytes downloaded by auditors from a server they do not trust: it is strict
 * (exactly one accepted encoding per entry, so decode then encode gives back the input), capped,
 * and fuzzed (fuzz/fuzz_logentry.c). */
#ifndef REKAP_LOGENTRY_H
#define REKAP_LOGENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rekap/merkle.h"
#include "rekap/region.h"
#include "rekap/sth.h"

#define RK_LOGENTRY_MAGIC "RKLE"
#define RK_LOGENTRY_VERSION 1
#define RK_LOGENTRY_ACTOR_MAX 64   /* bytes of a username: [A-Za-z0-9._@+-] */
#define RK_LOGENTRY_RACE_MAX 48    /* bytes of a race id: [a-z0-9._:/-] */
#define RK_LOGENTRY_NUM_MAX ((UINT64_C(1) << 53) - 1) /* seq and timestamp, exact in JSON */
#define RK_LOGENTRY_MAX_BYTES 256  /* the largest valid encoding is 255 bytes */

/* Flag bits of the encoding. */
#define RK_LOGENTRY_F_DEVICE 0x01u
#define RK_LOGENTRY_F_SIGNATURE 0x02u

/* The values are the encoding's kind byte: never renumber, only append. */
enum rk_logentry_kind {
    RK_LOGENTRY_SUBMISSION = 1,      /* C.Hasil result for one TPS and race */
    RK_LOGENTRY_CORRECTION = 2,      /* a corrected result replacing an earlier one */
    RK_LOGENTRY_APPROVAL = 3,        /* a reviewer approves a result / recap */
    RK_LOGENTRY_REJECTION = 4,       /* a reviewer rejects one */
    RK_LOGENTRY_ACCOUNT_CHANGE = 5,  /* account created, disabled/enabled, password set */
    RK_LOGENTRY_DEVICE_KEY = 6,      /* KPPS device key registered or revoked */
    RK_LOGENTRY_ELECTION_CONFIG = 7, /* election, race or candidate list published/changed */
    RK_LOGENTRY_SNAPSHOT = 8,        /* an open-data snapshot: payload is its manifest */
};
#define RK_LOGENTRY_KIND_MAX 8

struct rk_logentry {
    uint64_t seq;           /* position in the log (its leaf index), <= RK_LOGENTRY_NUM_MAX */
    uint64_t timestamp_ms;  /* Unix ms when the log accepted it, <= RK_LOGENTRY_NUM_MAX */
    enum rk_logentry_kind kind;
    char actor[RK_LOGENTRY_ACTOR_MAX + 1]; /* username that acted, non-empty */
    char region[RK_CODE_MAX + 1];          /* subject region code (canonical, no dots) or "" */
    char race[RK_LOGENTRY_RACE_MAX + 1];   /* subject race id, e.g. "pilkada2024.pkwkp.32", or "" */
    uint8_t payload_hash[RK_MERKLE_HASH_LEN]; /* SHA-256 of the canonical payload bytes */
    bool has_device;                       /* device_key_id is meaningful */
    uint8_t device_key_id[RK_KEY_ID_LEN];  /* KPPS device key that acted / is the subject */
    bool has_signature;                    /* signature is meaningful (needs has_device) */
    uint8_t signature[RK_ED25519_SIG_LEN]; /* Ed25519 by that device over the payload bytes */
};

/* Static lowercase name of kind ("submission", "account_change", ...) or NULL if unknown. */
const char *rk_logentry_kind_name(enum rk_logentry_kind kind);

/* Parses a kind name. Returns RK_OK or RK_EINVAL. */
int rk_logentry_kind_parse(const char *name, enum rk_logentry_kind *kind);

/* Checks every field rule (docs/audit-log.md): character sets and lengths, numbers within
 * RK_LOGENTRY_NUM_MAX, and per kind: submission/correction need a TPS code and a race;
 * approval/rejection need a race; account_change, device_key and snapshot have no race; device_key needs
 * a device; a signature needs a device. Returns RK_OK, RK_EINVAL or RK_ERANGE. */
int rk_logentry_check(const struct rk_logentry *e);

/* Writes the canonical encoding of e to out. Returns its length (<= RK_LOGENTRY_MAX_BYTES),
 * the error of rk_logentry_check, or RK_ETOOBIG when cap is too small. */
int rk_logentry_encode(const struct rk_logentry *e, uint8_t *out, size_t cap);

/* Parses one entry of exactly len bytes. Returns RK_OK or, with e zeroed:
 *   RK_ETOOBIG      len > RK_LOGENTRY_MAX_BYTES
 *   RK_EPARSE       wrong magic, truncated, or bytes left over
 *   RK_EUNSUPPORTED a version other than RK_LOGENTRY_VERSION
 *   RK_ERANGE       a length byte or number over its cap
 *   RK_EINVAL       unknown kind, reserved flag bits, bad characters, non-canonical region
 *                   code, or a kind rule broken (see rk_logentry_check) */
int rk_logentry_decode(const uint8_t *in, size_t len, struct rk_logentry *e);

/* Leaf hash of e as the Merkle tree stores it: rk_merkle_leaf_hash(encoding). Returns RK_OK or
 * the error of rk_logentry_check. */
int rk_logentry_leaf_hash(const struct rk_logentry *e, uint8_t out[RK_MERKLE_HASH_LEN]);

/* Checks a published payload against the entry: SHA-256(payload) must equal payload_hash, and
 * when the entry carries a signature, device_public_key (may be NULL only when it does not)
 * must have the entry's device key id and its Ed25519 signature over the payload bytes must
 * verify. Returns RK_OK, RK_EVALIDATION (hash mismatch), RK_ESIGNATURE or RK_EINVAL (signature
 * present but no key given). */
int rk_logentry_verify_payload(const struct rk_logentry *e, const uint8_t *payload, size_t len,
                               const uint8_t *device_public_key);

/* Readable JSON view for auditors and the web UI (the binary form stays authoritative):
 * {"seq", "timestamp", "kind", "actor", "region", "race", "payload_sha256"} plus
 * "device_key_id" and "signature" when present; hex is lowercase. Returns a new reference or
 * NULL (out of memory, or e fails rk_logentry_check). */
json_t *rk_logentry_to_json(const struct rk_logentry *e);

#endif
