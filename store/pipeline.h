/* The results pipeline: what happens to a TPS result between an authenticated request and the
 * published totals. Submit, correct and approve each run in ONE transaction that writes the new
 * version (or approval), moves every level's tally, and appends the transparency-log entry, so
 * the log and the result tables can never disagree. The HTTP layer and the CLI both call these;
 * neither repeats the rules. */
#ifndef REKAP_PIPELINE_H
#define REKAP_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "rekap/auth.h"
#include "rekap/logentry.h"
#include "rekap/merkle.h"
#include "rekap/sth.h"
#include "rekap/submission.h"
#include "rekap/validate.h"
#include "store/store.h"

struct rk_receipt {
    int64_t race_id;
    char tps[RK_CODE_MAX + 1];
    int64_t version_id;
    int version;
    uint8_t doc_hash[32];
    int64_t log_index;
    bool duplicate; /* the same document was already current: nothing changed */
    char flags[RK_FLAGS_MAX + 1];
    char race_ref[RK_LOGENTRY_RACE_MAX + 1]; /* election.kind[.region], as in the log entry */
};

/* Why a request was refused, ready for an API error body. */
struct rk_outcome {
    char message_en[240];
    char message_id[240];
    char field[40];
    size_t n_violations;
    struct rk_violation violations[RK_VIOLATIONS_MAX];
};

/* Accepts a KPPS submission. who may be NULL (offline queue: the device signature alone
 * authenticates); when given it must own the device key. Checks, in order: device signature
 * (RK_ESIGNATURE), scope (RK_EFORBIDDEN), race and TPS exist and fit the document
 * (RK_ENOTFOUND / RK_EINVAL), the form's hard rules (RK_EVALIDATION, violations in o), then
 * state: the same document again is RK_OK with r->duplicate; an approved TPS or a prev that is
 * not the current version (a replay or a stale device) is RK_ECONFLICT. */
int rk_pipeline_submit(struct rk_store *s, const struct rk_principal *who,
                       const struct rk_submission *sub, int64_t now_ms, struct rk_receipt *r,
                       struct rk_outcome *o);

/* The two halves of rk_pipeline_submit, so a group-commit writer (store/batch.h) can run many
 * applies in one durable transaction while request threads do the expensive checks. prepare
 * does every check that needs no write lock (signature, scope, subject, rules) with any
 * handle; apply does the state checks and writes, inside the caller's transaction, and writes
 * nothing when it fails or finds a duplicate. */
struct rk_prepared {
    struct rk_version *v; /* malloc'd by prepare */
    struct rk_chasil doc;
    bool has_prev;
    uint8_t prev[32];
    char statement[RK_STATEMENT_MAX];
    size_t slen;
    uint8_t sig[64];
    char race_ref[RK_LOGENTRY_RACE_MAX + 1]; /* looked up by prepare, for the log entry */
};

int rk_pipeline_submit_prepare(struct rk_store *s, const struct rk_principal *who,
                               const struct rk_submission *sub, int64_t now_ms,
                               struct rk_prepared *p, struct rk_outcome *o);
int rk_pipeline_submit_apply(struct rk_store *s, struct rk_prepared *p, struct rk_receipt *r,
                             struct rk_outcome *o);
void rk_pipeline_prepared_free(struct rk_prepared *p);

/* A PPK/KPU correction of (doc->race_id, doc->tps): a new version with a mandatory reason.
 * prev_hash must be the current version's document hash (RK_ECONFLICT otherwise), so two
 * operators correcting at once cannot overwrite each other unseen. */
int rk_pipeline_correct(struct rk_store *s, const struct rk_principal *who,
                        const struct rk_chasil *doc, const uint8_t prev_hash[32],
                        const char *reason, int64_t now_ms, struct rk_receipt *r,
                        struct rk_outcome *o);

/* Approves the current version of (race, tps); version must be the current one. */
int rk_pipeline_approve(struct rk_store *s, const struct rk_principal *who, int64_t race_id,
                        const char *tps, int version, int64_t now_ms, struct rk_receipt *r,
                        struct rk_outcome *o);

/* A saksi's or Bawaslu's objection (keberatan) to version `version` of (race, tps), with a
 * mandatory reason (rk_auth_reason_check): stored with a `rejection` log entry of the objection
 * statement (rekap/statement.h), in one transaction. It changes no number, flag or approval:
 * it is published with the TPS's history for the PPK, the public and the auditors. r gets the
 * version, its document hash, the entry's log index and the race ref. Returns RK_OK,
 * RK_EFORBIDDEN (no flag right here), RK_EINVAL (reason), RK_ENOTFOUND (no such version),
 * RK_ETOOBIG (RK_OBJECTIONS_MAX reached) or a store error; o says why. */
int rk_pipeline_object(struct rk_store *s, const struct rk_principal *who, int64_t race_id,
                       const char *tps, int version, const char *reason, int64_t now_ms,
                       struct rk_receipt *r, struct rk_outcome *o);

/* The stable, installation-independent name of a race in log entries and exports:
 * "<election slug>.<pkwkp|pkwkk|ppwp>[.<region code>]". */
int rk_race_ref(struct rk_store *s, int64_t race_id, char out[RK_LOGENTRY_RACE_MAX + 1]);

/* Appends one entry to the transparency log at the next index: kind, actor (the username or
 * operator who made the change, [A-Za-z0-9._@+-]), subject region ("" or a canonical code),
 * race_ref ("" or NULL when the kind has no race), the SHA-256 of payload[0..len) (the canonical
 * statement, rekap/statement.h), and optionally the device key id (hex, may be NULL) with its
 * Ed25519 signature (64 bytes, may be NULL). *index gets the entry's index. Run it inside the
 * transaction that makes the change it records, so the two commit or vanish together. Returns
 * RK_OK, RK_EINVAL (a field breaks rk_logentry_check) or a store error. */
int rk_log_append_statement(struct rk_store *s, enum rk_logentry_kind kind, const char *actor,
                            const char *region, const char *race_ref, const char *payload,
                            size_t len, const char *device_hex, const uint8_t *sig,
                            int64_t now_ms, int64_t *index);

/* rk_log_append_statement for a caller that already read the log's size in this transaction
 * (and, say, stored it with a row that names the entry): the entry must get index size, else
 * RK_EINTERNAL (the caller rolls back). */
int rk_log_append_at(struct rk_store *s, enum rk_logentry_kind kind, const char *actor,
                     const char *region, const char *race_ref, const char *payload, size_t len,
                     const char *device_hex, const uint8_t *sig, int64_t now_ms, int64_t size,
                     int64_t *index);

/* Records a race's definition (its stable name, region, kind, name, and every column's ballot
 * number, kolom kosong mark and name: rk_statement_race) as an election_config log entry by
 * actor. Call it in the transaction that stores the race and its candidates, after them, and
 * again after any change to them: an auditor checks that every race's published candidates
 * match its latest such entry, so the columns of a result cannot be renamed or reordered
 * unseen. Returns RK_OK, RK_ENOTFOUND (no such race), RK_EINVAL or a store error. */
int rk_log_race_config(struct rk_store *s, const char *actor, int64_t race_id, int64_t now_ms);

/* A signed view of the log kept by a server process: the frontier of the leaves seen so far. */
struct rk_log_view {
    char log_id[RK_STH_LOG_ID_MAX + 1];
    struct rk_merkle_frontier frontier;
};

/* Starts an empty view of log_id. */
int rk_log_view_init(struct rk_log_view *lv, const char *log_id);

/* Catches the view up with the store, signs a tree head for the current size with signer and
 * records it (unless the latest recorded head already has this size). *out gets the head. */
int rk_log_publish(struct rk_store *s, struct rk_log_view *lv, const struct rk_signer *signer,
                   int64_t now_ms, struct rk_sth *out);

/* A Merkle source reading leaf hashes from the store (inclusion/consistency proofs). */
void rk_log_source(struct rk_store *s, struct rk_merkle_source *src);

#endif
