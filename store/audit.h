/* Checking the published record without trusting whoever publishes it.
 *
 * struct rk_audit_src is where a verifier reads the log and the results from: a store opened
 * directly (rk_audit_src_store, for a copy of the database or the server's own /api/verify) or
 * a server over HTTP (cli/httpsrc.c). Every check is written once, against this interface, so
 * the command-line verifier, the auditor and the portal's endpoint cannot disagree.
 *
 * rk_witness_verify checks one witness receipt (rekap/witness.h): the stored version matches
 * it, the device signature over the upload statement is valid for the registered device key,
 * the log entry commits to that statement, the entry is included under a signed tree head
 * whose signature verifies, the device key's own registration entry is in the log before it
 * (where the store recorded its index), and whether later versions replaced it. */
#ifndef REKAP_AUDIT_H
#define REKAP_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rekap/logentry.h"
#include "rekap/merkle.h"
#include "rekap/statement.h"
#include "rekap/sth.h"
#include "rekap/tally.h"
#include "rekap/witness.h"
#include "store/store.h"

/* A race as an auditor sees it: its stable log name and where it is held. */
struct rk_audit_race {
    int64_t id;                            /* the installation's number (URLs) */
    char ref[RK_LOGENTRY_RACE_MAX + 1];    /* stable name used in the log */
    char region[RK_CODE_MAX + 1];          /* "" = national */
    int ncand;                             /* columns on the form, kolom kosong included */
    /* as published, for the election_config entries (rk_statement_race) */
    enum rk_race_kind kind;
    char name[RK_NAME_MAX + 1];
    struct rk_candidate cand[RK_CANDIDATES_MAX]; /* ncand of them: ballot_no, name, kk */
};

/* A device key as published (GET /api/devices/{key_id}). */
struct rk_audit_device {
    char key_id[17];
    uint8_t pub[RK_ED25519_PUBKEY_LEN];
    char owner[RK_ACTOR_MAX + 1];
    char scope[RK_CODE_MAX + 1];
    int64_t created_at; /* Unix seconds */
    int64_t revoked_at; /* Unix seconds, 0 = valid */
    int64_t log_index;  /* its registration's log entry; -1 = not recorded (older store) */
};

/* One published TPS state of a race (GET /api/races/{id}/tps). */
struct rk_audit_tps {
    char tps[RK_CODE_MAX + 1];
    int version;
    bool approved;
    struct rk_tally tally;
    int objections; /* how many objections to its versions are published */
};

typedef int (*rk_audit_tally_fn)(void *ud, const char *code, enum rk_level level,
                                 const struct rk_tally *t);
typedef int (*rk_audit_tps_fn)(void *ud, const struct rk_audit_tps *t);

/* Every function returns RK_OK, RK_ENOTFOUND where said, or the source's error (RK_EIO,
 * RK_EPARSE for a malformed answer, ...). Nothing a source returns is trusted: the checks
 * below verify it. */
struct rk_audit_src {
    void *ctx;
    /* Latest signed tree head; pub gets the key the source says it signs with (an auditor pins
     * its own copy and compares). RK_ENOTFOUND before the first head. */
    int (*sth)(void *ctx, struct rk_sth *out, uint8_t pub[RK_ED25519_PUBKEY_LEN]);
    /* Entry index's bytes (at most cap). */
    int (*entry)(void *ctx, uint64_t index, uint8_t *buf, size_t cap, size_t *len);
    int (*inclusion)(void *ctx, uint64_t index, uint64_t size, struct rk_merkle_proof *p);
    int (*consistency)(void *ctx, uint64_t first, uint64_t second, struct rk_merkle_proof *p);
    /* Version n of (race ref, tps); out->race_id is the installation's id. RK_ENOTFOUND. */
    int (*version)(void *ctx, const char *race_ref, const char *tps, int n, struct rk_version *out);
    /* Current version number of (race ref, tps); 0 when nothing was received. */
    int (*current)(void *ctx, const char *race_ref, const char *tps, int *n);
    /* A device key by id. RK_ENOTFOUND. */
    int (*device)(void *ctx, const char *key_id, struct rk_audit_device *out);
    /* Every race; *out is malloc'd (caller frees). */
    int (*races)(void *ctx, struct rk_audit_race **out, size_t *n);
    /* Published tally of race over region code ("" = national) as *self, and fn for each
     * direct child region (TPS children excluded: see tps_states). */
    int (*tally)(void *ctx, const struct rk_audit_race *race, const char *code,
                 struct rk_tally *self, rk_audit_tally_fn fn, void *ud);
    /* Published current state of every TPS of race under region code. */
    int (*tps_states)(void *ctx, const struct rk_audit_race *race, const char *code,
                      rk_audit_tps_fn fn, void *ud);
    /* Published objections to (race ref, tps), oldest first: at most cap into out, *n. */
    int (*objections)(void *ctx, const char *race_ref, const char *tps,
                      struct rk_objection *out, int cap, int *n);
};

/* A source reading store s directly. log_id and pub describe the log's signing key (what the
 * server signs heads with); the sth function reports them. ctx must outlive src. */
struct rk_audit_store_ctx {
    struct rk_store *s;
    char log_id[RK_STH_LOG_ID_MAX + 1];
    uint8_t pub[RK_ED25519_PUBKEY_LEN];
    /* cache of every race, filled on first use (private) */
    struct rk_audit_race *races;
    size_t nraces;
    bool races_loaded;
};

/* Sets src up to read ctx->s; fill ctx (zeroed, then s, log_id, pub) first. */
void rk_audit_src_store(struct rk_audit_src *src, struct rk_audit_store_ctx *ctx);

/* Frees the cache of ctx (not the store). */
void rk_audit_store_ctx_free(struct rk_audit_store_ctx *ctx);

#define RK_WITNESS_LATER_MAX 8

/* A later version that replaced the one a receipt names. */
struct rk_witness_later {
    int version;
    enum rk_version_kind kind;
    char actor[RK_ACTOR_MAX + 1];
    char reason[RK_REASON_MAX + 1];
    uint8_t doc_hash[32];
    int64_t created_ms;
    int64_t log_index;
};

struct rk_witness_verdict {
    bool valid;        /* every check below passed */
    int status;        /* RK_OK, or why not (RK_ENOTFOUND, RK_ESIGNATURE, RK_EPROOF, ...) */
    char problem_en[320], problem_id[320]; /* the first failed check, "" when valid */
    /* What was established, in check order (each needs the ones before). */
    bool version_matches;  /* the stored version has this document, device, signature, index */
    bool signature_ok;     /* the device signature over the upload statement verifies */
    bool entry_ok;         /* log entry index commits to that statement and signature */
    bool sth_ok;           /* the tree head's signature verifies with the log key */
    bool included;         /* the entry's inclusion proof verifies against that head */
    bool device_registered; /* the device key's registration entry (at its published index)
                               names this key and owner, precedes the upload and is included
                               under the same head; false when the store did not record the
                               index (keys registered before it did): then not checked */
    bool key_pinned;       /* the log key was given by the caller, not taken from the source */
    struct rk_audit_device device;
    bool device_found;
    struct rk_sth sth;
    uint8_t log_pub[RK_ED25519_PUBKEY_LEN];
    char statement[RK_STATEMENT_BUF];
    /* Whether it is still the current result. */
    int current_version; /* 0 when unknown */
    int n_later;         /* versions after the receipt's (at most RK_WITNESS_LATER_MAX listed) */
    struct rk_witness_later later[RK_WITNESS_LATER_MAX];
};

/* Checks receipt w against src. log_pub (may be NULL: then the key the source reports is used,
 * and v->key_pinned is false) is the log's public key; log_id (may be NULL: not checked) the
 * log's name. Fills v; returns RK_OK when the checks could run (v->valid says the verdict) or
 * RK_ENOMEM. A source failure is a verdict (v->status), not an error of this function. */
int rk_witness_verify(const struct rk_audit_src *src, const struct rk_witness *w,
                      const uint8_t *log_pub, const char *log_id, struct rk_witness_verdict *v);

/* JSON form of a verdict for GET /api/verify (documented in docs/api.md). New reference or
 * NULL. */
json_t *rk_witness_verdict_json(const struct rk_witness *w, const struct rk_witness_verdict *v);

/* Builds the receipt of an accepted upload: version v of race ref. Returns RK_OK or RK_EINVAL
 * (v is not a signed upload linked to the log). */
int rk_witness_from_version(const struct rk_version *v, const char *race_ref,
                            struct rk_witness *w);

#endif
