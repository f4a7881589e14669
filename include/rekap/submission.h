/* A KPPS submission as it arrives over the network: the C.Hasil document, the hashes of the
 * page photos, the hash of the version it replaces, and the device's Ed25519 signature.
 *
 * What the device signs is a short, line-oriented statement (easy to rebuild in a browser with
 * WebCrypto, readable by a witness):
 *
 *   rekap-submission-v1\n
 *   tps=<13-digit TPS code>\n
 *   doc=<SHA-256 of the canonical C.Hasil JSON, lowercase hex>\n
 *   prev=<SHA-256 of the version this one replaces, or "-" for the first>\n
 *   photos=<comma-separated SHA-256 of the page photos, in page order, or "-">\n
 *
 * Binding prev makes an old signed submission useless once a newer version exists (a replay
 * cannot roll a TPS back), while sending the very same submission twice stays harmless. The
 * statement is also the payload whose hash the transparency log records. */
#ifndef REKAP_SUBMISSION_H
#define REKAP_SUBMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/chasil.h"

#define RK_SUBMISSION_BODY_MAX 32768u /* request bodies over this are RK_ETOOBIG */
#define RK_SUBMISSION_BULK_MAX 4      /* submissions in one request: a TPS's races */
#define RK_SUBMISSION_BULK_BODY_MAX (RK_SUBMISSION_BULK_MAX * RK_SUBMISSION_BODY_MAX)
#define RK_SUBMISSION_PHOTOS_MAX 8
#define RK_STATEMENT_MAX 768          /* longest statement, bytes incl. NUL */

struct rk_submission {
    struct rk_chasil doc;
    char doc_json[RK_CHASIL_JSON_MAX]; /* canonical encoding of doc */
    size_t doc_len;
    uint8_t doc_hash[32];              /* SHA-256 of doc_json */
    int n_photos;
    uint8_t photos[RK_SUBMISSION_PHOTOS_MAX][32];
    bool has_prev;
    uint8_t prev[32];
    char device[17];                   /* device key id, 16 lowercase hex digits */
    uint8_t sig[64];
};

/* Parses a submission request body:
 *   {"document": {C.Hasil}, "photos": ["<hex64>", ...], "prev": "<hex64>" | null,
 *    "device": "<hex16>", "signature": "<hex128>"}
 * Strict: unknown or duplicate keys, wrong types, bad hex, more than 8 photos, an incomplete or
 * invalid document are refused; err names the field (offsets count bytes of body). Parsed in
 * place, without allocating. Fills sub including the canonical document
 * bytes and hash. Returns RK_OK, RK_ETOOBIG, RK_EPARSE, RK_EINVAL, RK_ERANGE, RK_EUNSUPPORTED. */
int rk_submission_parse(const char *body, size_t len, struct rk_submission *sub,
                        struct rk_chasil_error *err);

/* Parses a request body that is a JSON array of 1 .. min(cap, RK_SUBMISSION_BULK_MAX)
 * submission objects (a KPPS device sends all the races of its TPS at once: one round trip on
 * a poor connection). Each element is parsed as rk_submission_parse would: subs[i] and
 * status[i] (and errs[i], when errs is not NULL) get its own result, so one bad element does
 * not spoil the others (a repeated key in one element refuses that element alone). Returns RK_OK when the array itself is acceptable (*n elements), else
 * RK_ETOOBIG (over RK_SUBMISSION_BULK_BODY_MAX), RK_EPARSE, RK_EINVAL (not an array, empty) or
 * RK_ERANGE (too many), with err describing it. */
int rk_submission_parse_many(const char *body, size_t len, struct rk_submission *subs,
                             int *status, struct rk_chasil_error *errs, size_t cap, size_t *n,
                             struct rk_chasil_error *err);

/* Writes the statement the device signs (see above) into buf (cap bytes, NUL-terminated);
 * *len gets its length without the NUL. Returns RK_OK or RK_ETOOBIG. */
int rk_submission_statement(const struct rk_submission *sub, char *buf, size_t cap, size_t *len);

/* Builds a complete submission from a document and photo hashes (clients and tests): encodes
 * the document canonically and hashes it. prev may be NULL. Does not sign. */
int rk_submission_init(struct rk_submission *sub, const struct rk_chasil *doc,
                       const uint8_t (*photos)[32], int n_photos, const uint8_t *prev);

/* Signs the statement with an Ed25519 secret key (libsodium's 64-byte form) and sets device
 * and sig (clients and tests; the server never holds device keys). */
int rk_submission_sign(struct rk_submission *sub, const uint8_t secret_key[64],
                       const char device_key_id[17]);

/* Renders the request body for sub into a malloc'd string (clients and tests). */
char *rk_submission_to_json(const struct rk_submission *sub);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void rk_hex(const uint8_t *in, size_t n, char *out);

/* Parses exactly 2n lowercase-or-uppercase hex digits into out. Returns RK_OK or RK_EINVAL. */
int rk_unhex(const char *s, size_t len, uint8_t *out, size_t n);

#endif
