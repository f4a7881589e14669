/* The one storage interface. lib/ never sees it; server/ and cli/ talk only to it, so a second
 * engine (PostgreSQL) is one more file implementing struct rk_store_ops.
 *
 * Handles are not thread-safe: use one per thread (the server keeps a pool). Every write done
 * between rk_store_begin and rk_store_commit is atomic; outside an explicit transaction each call
 * is its own transaction. Errors are enum rk_status; rk_store_errmsg gives the engine's words. */
#ifndef REKAP_STORE_H
#define REKAP_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "rekap/region.h"
#include "rekap/election.h"
#include "rekap/chasil.h"
#include "rekap/tally.h"
#include "rekap/auth.h"

struct rk_store;

/* Visitors return 0 to continue or non-zero to stop; a non-zero value is passed back to the
 * caller of the listing function. */
typedef int (*rk_region_visit)(void *ud, const struct rk_region *r);
typedef int (*rk_election_visit)(void *ud, const struct rk_election *e);
typedef int (*rk_race_visit)(void *ud, const struct rk_race *r);
typedef int (*rk_user_visit)(void *ud, const struct rk_user *u);
typedef int (*rk_device_visit)(void *ud, const struct rk_device_key *k);

/* Opens (creating and migrating when needed) the store named by uri: "sqlite:PATH", a bare
 * PATH (SQLite), or "postgres:CONNINFO". On success *out owns the handle. Returns RK_OK,
 * RK_EUNSUPPORTED (unknown scheme), RK_EDB or RK_ENOMEM. */
int rk_store_open(const char *uri, struct rk_store **out);

/* Closes the handle, rolling back an open transaction. NULL is a no-op. */
void rk_store_close(struct rk_store *s);

/* The engine's last error message ("" if none); valid until the next call on s. */
const char *rk_store_errmsg(const struct rk_store *s);

/* "sqlite" or "postgres". */
const char *rk_store_engine(const struct rk_store *s);

/* Schema version the store is migrated to. */
int rk_store_schema_version(struct rk_store *s, int *version);

int rk_store_begin(struct rk_store *s);

/* Hints for the process's one busy writer (the group-commit writer): a page cache of about
 * cache_mb MiB (0 = the engine's default), which stays valid because nobody else writes.
 * On SQLite, when log_grew is NULL the writer itself copies its write-ahead log back into the
 * database every ~40 MB (a checkpoint, inside the commit that crossed the mark). When it is
 * given, the writer calls log_grew(ud) after each commit that leaves another ~20 MB of log
 * (and after every commit in the last ~20 MB before ~120 MB) for someone else to copy
 * (rk_store_checkpoint on another handle, another thread), and checkpoints itself only past
 * ~120 MB, as a backstop that copies the remainder and lets the log restart.
 * log_grew runs on the writer's thread inside its commit: it must only signal. Engines
 * without such knobs ignore all of it. */
void rk_store_tune_writer(struct rk_store *s, size_t cache_mb, void (*log_grew)(void *ud),
                          void *ud);

/* For a handle that writes now and then beside a group-commit writer running the checkpoint
 * thread (the server's request handles: photos, approvals, corrections, sessions): its own
 * commits leave copying the write-ahead log back to that thread, except past the writer's
 * backstop (SQLite: ~120 MB). SQLite's default (every commit past 4 MB of log copies it) made
 * such a request pay for a checkpoint of what the uploads wrote. Ignored by other engines. */
void rk_store_leave_checkpoints(struct rk_store *s);

/* Copies what the write-ahead log holds back into the database without blocking the writer
 * or readers (SQLite: a PASSIVE checkpoint), durably. RK_OK (also when another checkpoint
 * was running), RK_EUNSUPPORTED on engines without one, RK_EDB. */
int rk_store_checkpoint(struct rk_store *s);

/* A read snapshot around several reads (the checks of one submission): on SQLite one shared
 * lock and one look at the write-ahead log instead of one per statement, which is what each
 * autocommit read costs while a writer commits hundreds of times a second. Writes are not
 * allowed until rk_store_read_end. Inside rk_store_begin's transaction, or on an engine that
 * needs none, both are no-ops. rk_store_read_end is safe to call after a failed begin. */
int rk_store_read_begin(struct rk_store *s);
void rk_store_read_end(struct rk_store *s);

/* A registry cache shared by several handles of one process (store/regcache.h says why):
 * inside rk_store_read_begin/_end on an attached handle, device keys, accounts, races,
 * elections, candidate lists, regions and region counts are served from memory when the
 * database's registry generation (bumped by triggers on every change to those tables) is the
 * one they were read at, so answers stay exactly those of the database. Outside
 * rk_store_read_begin/_end, or inside a write transaction, the handle reads the database as
 * always. max_entries bounds memory (the cache empties itself when full; only the warm-up,
 * rk_store_warm_step, grows it): 16 .. 16,777,216. */
struct rk_regcache;
int rk_regcache_new(size_t max_entries, struct rk_regcache **out);
void rk_regcache_free(struct rk_regcache *c);
void rk_regcache_stats(struct rk_regcache *c, long long *hits, long long *misses,
                       long long *clears);
/* Attaches c (NULL detaches). c must outlive the handle's use of it. */
void rk_store_attach_cache(struct rk_store *s, struct rk_regcache *c);

/* Warming the attached cache with every TPS, account and device key: what an upload looks
 * up, so that on election night no request thread reads those rows from the database (each
 * is needed once, so a lazily filled cache never hits on them). The cache grows past its
 * limit for this (see rk_regcache_fill). The work is cut in steps, each one short read
 * snapshot over at most max_rows rows in key order: a snapshot held for the whole scan
 * (seconds at national scale) would keep SQLite from recycling its write-ahead log while
 * uploads pour in, and steps let a server pace the warm-up around live traffic. Every step
 * checks that the registry generation is still the first step's; rows read in different
 * snapshots of one generation are all exact (only inserts, which no cached row depends on,
 * leave it unchanged). Initialise the cursor with rk_store_warm_begin, then call
 * rk_store_warm_step until w->done. Returns RK_OK; RK_EUNSUPPORTED without an attached cache
 * or a registry generation, or inside a write transaction; RK_ECONFLICT when the registry
 * changed since the first step or the cache could not grow (what was put stays valid: it was
 * read at the cache's generation; begin again later); a store error. */
enum rk_registry_kind { RK_REGISTRY_TPS, RK_REGISTRY_USERS, RK_REGISTRY_DEVICES };
struct rk_warm {
    int64_t gen;                   /* registry generation of the first step; -1 before it */
    enum rk_registry_kind kind;    /* the scan in progress */
    char after[24];                /* last key visited in it ("" = none yet) */
    int64_t rows;                  /* rows put in so far */
    bool done;
};
void rk_store_warm_begin(struct rk_warm *w);
int rk_store_warm_step(struct rk_store *s, struct rk_warm *w, int max_rows);

/* The whole warm-up in steps of 5,000 rows, back to back (tests and tools; the server paces
 * its own). *rows (may be NULL) gets the rows put in. Costs about 0.6 s of one core per 100,000
 * TPS on an idle machine (national: 2.7 s, docs/operations.md). Returns as
 * rk_store_warm_step. */
int rk_store_warm_cache(struct rk_store *s, int64_t *rows);

/* Whether an explicit transaction (rk_store_begin) is open on s: lets a function that must be
 * atomic join its caller's transaction (with a savepoint) instead of starting its own. */
bool rk_store_in_transaction(struct rk_store *s);

/* Savepoints inside a transaction, so one job of a batched transaction can fail alone:
 * rk_store_savepoint, then rk_store_release on success or rk_store_rollback_to on failure. */
int rk_store_savepoint(struct rk_store *s);
int rk_store_release(struct rk_store *s);
int rk_store_rollback_to(struct rk_store *s);
int rk_store_commit(struct rk_store *s);
int rk_store_rollback(struct rk_store *s);

/* Tally folding for a group commit (store/batch.c). Inside a transaction, between
 * rk_store_fold_begin and rk_store_fold_flush, the tally deltas of every new version and
 * approval are summed in memory per (race, region) instead of written row by row; savepoints
 * keep their meaning (a job rolled back with rk_store_rollback_to loses its deltas).
 * rk_store_fold_flush writes each sum once (rk_store_commit calls it when the caller has not);
 * on its failure the caller rolls the transaction back, which also forgets the sums.
 * Tallies read inside the fold do not yet include the folded deltas. */
int rk_store_fold_begin(struct rk_store *s);
int rk_store_fold_flush(struct rk_store *s);
void rk_store_fold_abort(struct rk_store *s);

/* Inserts a region. Its parent (by code prefix) must exist: RK_EORPHAN otherwise; a second
 * region with the same code is RK_EEXIST. */
int rk_store_region_put(struct rk_store *s, const struct rk_region *r);

/* Looks a region up by canonical code. RK_ENOTFOUND when absent. */
int rk_store_region_get(struct rk_store *s, const char *code, struct rk_region *out);

/* Visits the direct children of code ("" = provinces), ordered by code. */
int rk_store_region_children(struct rk_store *s, const char *code, rk_region_visit fn, void *ud);

/* Visits the regions of level within code's subtree (code itself included when it is of that
 * level), ordered by code. The visitor must not call rk_store_region_* on the same handle. */
int rk_store_region_at_level(struct rk_store *s, const char *code, enum rk_level level,
                             rk_region_visit fn, void *ud);

/* Counts regions at each level within code's subtree (code itself included); counts[level]. */
int rk_store_region_counts(struct rk_store *s, const char *code, int64_t counts[RK_LEVEL_COUNT]);

/* Sums registered voters (DPT) over the TPS within code's subtree. */
int rk_store_region_voters(struct rk_store *s, const char *code, int64_t *dpt_l, int64_t *dpt_p);

/* Inserts an election; e->id is assigned when 0. Duplicate slug: RK_EEXIST. */
int rk_store_election_put(struct rk_store *s, struct rk_election *e);
int rk_store_election_get(struct rk_store *s, int64_t id, struct rk_election *out);
int rk_store_election_by_slug(struct rk_store *s, const char *slug, struct rk_election *out);
int rk_store_election_list(struct rk_store *s, rk_election_visit fn, void *ud);

/* Inserts a race; r->id assigned when 0. The region must exist (RK_EORPHAN) and be of the
 * level the race kind needs (RK_EINVAL); one race per (election, kind, region): RK_EEXIST. */
int rk_store_race_put(struct rk_store *s, struct rk_race *r);
int rk_store_race_get(struct rk_store *s, int64_t id, struct rk_race *out);

/* Visits the races of election (0 = every election) that concern region code: races held in
 * code or one of its ancestors (those a voter there takes part in) and races held inside its
 * subtree. Ordered by kind, then region code. */
int rk_store_race_list(struct rk_store *s, int64_t election_id, const char *code, rk_race_visit fn,
                       void *ud);

/* Inserts a candidate pair; c->id assigned when 0. Race must exist (RK_EORPHAN); a ballot
 * number used twice in a race is RK_EEXIST. */
int rk_store_candidate_put(struct rk_store *s, struct rk_candidate *c);

/* Copies the candidates of a race, ordered by ballot number, into out[0..cap); *n gets the
 * number of candidates (which may exceed cap; then only cap are copied). */
int rk_store_candidate_list(struct rk_store *s, int64_t race_id, struct rk_candidate *out, int cap,
                            int *n);

/* ---- Results: versions of each TPS's C.Hasil, per-TPS state, tallies at every level ---- */

#define RK_PHOTOS_MAX 8
#define RK_ACTOR_MAX 63
#define RK_FLAGS_MAX 255

enum rk_version_kind {
    RK_VERSION_UPLOAD = 1,     /* a KPPS upload, signed by the device */
    RK_VERSION_CORRECTION = 2, /* a PPK/KPU correction, with a mandatory reason */
};

/* One version of one TPS's form for one race. Versions are never updated or deleted: a
 * correction is a new version and the history stays readable. */
struct rk_version {
    int64_t id;      /* assigned by the store, increasing in acceptance order */
    int64_t race_id;
    char tps[RK_CODE_MAX + 1];
    int version;     /* 1, 2, ... per (race, tps); assigned by the store */
    enum rk_version_kind kind;
    char actor[RK_ACTOR_MAX + 1];  /* username */
    char device[17];               /* device key id (hex) of an upload, "" otherwise */
    uint8_t doc_hash[32];          /* SHA-256 of doc */
    int n_photos;
    uint8_t photos[RK_PHOTOS_MAX][32]; /* SHA-256 of each page photo */
    bool has_sig;
    uint8_t sig[64];               /* device Ed25519 signature of an upload */
    char reason[RK_REASON_MAX + 1];/* why a correction was made */
    char flags[RK_FLAGS_MAX + 1];  /* soft rule codes raised, comma-separated; "" = clean */
    int64_t created_ms;            /* server time of acceptance, ms since the epoch */
    int64_t log_index;             /* transparency-log entry, -1 if none */
    char doc[RK_CHASIL_JSON_MAX];  /* canonical C.Hasil JSON, NUL-terminated */
};

/* The current state of one (race, TPS). */
struct rk_tps_state {
    int64_t race_id;
    char tps[RK_CODE_MAX + 1];
    int current_version;  /* 0 = nothing received yet */
    int64_t current_id;   /* rk_version.id of the current version */
    uint8_t current_hash[32];
    bool approved;        /* the current version is approved */
    char approved_by[RK_ACTOR_MAX + 1];
    int64_t approved_ms;
    struct rk_tally tally; /* of the current version (received/flagged/approved 0 or 1) */
    int objections; /* objections to any of its versions: counted by rk_store_tps_states only
                     * (rk_store_tps_state, on the upload path, leaves 0) */
};

typedef int (*rk_version_visit)(void *ud, const struct rk_version *v);
typedef int (*rk_tps_state_visit)(void *ud, const struct rk_tps_state *st);
typedef int (*rk_tally_visit)(void *ud, const struct rk_region *r, const struct rk_tally *t);

/* Accepts v as the new current version of (v->race_id, v->tps) with numbers t: assigns v->id
 * and v->version (previous + 1), keeps every earlier version, resets approval, and moves every
 * level's tally (desa, kecamatan, kab/kota, provinsi, national) by the difference to the
 * previous current version. Must run inside rk_store_begin/commit (RK_ECONFLICT otherwise) so
 * the version, the tallies and the log entry land together or not at all. */
int rk_store_version_add(struct rk_store *s, struct rk_version *v, const struct rk_tally *t);

/* As rk_store_version_add, for a caller that already knows two things: cur, the TPS's state
 * read in this same transaction (NULL = read it; a state with current_version 0 = no result
 * yet), and log_index, the index the version's log entry is about to get in this transaction
 * (>= 0; it is stored with the version, so no later rk_store_version_set_log is needed). The
 * results pipeline uses it to save two statements per upload. */
int rk_store_version_add_at(struct rk_store *s, struct rk_version *v, const struct rk_tally *t,
                            const struct rk_tps_state *cur, int64_t log_index);

/* Approves version of (race, tps); it must be the current one (RK_ECONFLICT otherwise, also when
 * already approved). Moves the approved counts of every level. Inside a transaction. */
int rk_store_approve(struct rk_store *s, int64_t race_id, const char *tps, int version,
                     const char *actor, int64_t now_ms);

/* Current state of (race, tps); RK_ENOTFOUND when nothing was received. */
int rk_store_tps_state(struct rk_store *s, int64_t race_id, const char *tps, struct rk_tps_state *out);

/* Visits the states of the TPS of race under region code (prefix), by TPS code; only flagged
 * ones when only_flagged. A code wider than the race's region ("" = all) means its region; a
 * region outside it visits nothing. */
int rk_store_tps_states(struct rk_store *s, int64_t race_id, const char *code, bool only_flagged,
                        rk_tps_state_visit fn, void *ud);

/* Reads one version; RK_ENOTFOUND when absent. */
int rk_store_version_get(struct rk_store *s, int64_t race_id, const char *tps, int version,
                         struct rk_version *out);

/* Visits every version of (race, tps), oldest first. */
int rk_store_version_list(struct rk_store *s, int64_t race_id, const char *tps, rk_version_visit fn,
                          void *ud);

/* Visits every version of every TPS with id > after_id in id order (exports, audits). */
int rk_store_version_scan(struct rk_store *s, int64_t after_id, rk_version_visit fn, void *ud);

/* An objection (keberatan) of a saksi or Bawaslu to version `version` of a TPS result: kept and
 * published as made, never changed or removed (a later objection is a new row). */
struct rk_objection {
    int64_t race_id;
    char tps[RK_CODE_MAX + 1];
    int version;
    char actor[RK_ACTOR_MAX + 1];
    char reason[RK_REASON_MAX + 1];
    int64_t created_ms;
    int64_t log_index; /* its `rejection` entry in the transparency log */
};
#define RK_OBJECTIONS_MAX 100 /* per TPS and race: past it, RK_ETOOBIG */

/* Stores o (inside a transaction). Returns RK_OK or a store error. */
int rk_store_objection_put(struct rk_store *s, const struct rk_objection *o);

/* The objections to (race, tps), oldest first: at most cap into out, *n of them. */
int rk_store_objection_list(struct rk_store *s, int64_t race_id, const char *tps,
                            struct rk_objection *out, int cap, int *n);

/* Sets version's log_index once its transparency-log entry is appended. */
int rk_store_version_set_log(struct rk_store *s, int64_t version_id, int64_t log_index);

/* Tally of race over region code ("" = national); all zero when nothing was received there. */
int rk_store_tally_get(struct rk_store *s, int64_t race_id, const char *code, struct rk_tally *out);

/* Visits each direct child region of code with its tally for race (zero when none). */
int rk_store_tally_children(struct rk_store *s, int64_t race_id, const char *code, rk_tally_visit fn,
                            void *ud);

/* ---- Form photos, content-addressed by SHA-256 ---- */

#define RK_PHOTO_MAX ((size_t)12 << 20) /* a 16 MP phone JPEG fits */

/* Stores a photo under its SHA-256 (computed by the caller and checked here). A photo already
 * stored is RK_EEXIST (and harmless: same bytes). type is "image/jpeg" or "image/png". */
int rk_store_photo_put(struct rk_store *s, const uint8_t hash[32], const void *data, size_t len,
                       const char *type, const char *uploader, int64_t now_ms);

/* Reads a photo: *data is malloc'd (caller frees), type gets its media type. RK_ENOTFOUND. */
int rk_store_photo_get(struct rk_store *s, const uint8_t hash[32], void **data, size_t *len,
                       char type[32]);

/* Number of photos uploaded by uploader (quota checks). */
int rk_store_photo_count(struct rk_store *s, const char *uploader, int64_t *n);

/* ---- Transparency log storage (format and hashing live in lib/) ---- */

#define RK_LOG_ENTRY_MAX 8192

struct rk_sth_row {
    int64_t size;
    uint8_t root[32];
    int64_t timestamp_ms;
    char key_id[17];
    uint8_t sig[64];
};

/* Appends an entry (at most RK_LOG_ENTRY_MAX bytes) with its leaf hash; *index gets its
 * position (0-based, dense). Inside the same transaction as what it records. */
int rk_store_log_append(struct rk_store *s, const uint8_t *entry, size_t len,
                        const uint8_t leaf[32], int64_t *index);

/* Number of log entries. */
int rk_store_log_size(struct rk_store *s, int64_t *size);

/* Reads entry index into buf (cap bytes); *len gets its length; leaf (may be NULL) its hash. */
int rk_store_log_get(struct rk_store *s, int64_t index, uint8_t *buf, size_t cap, size_t *len,
                     uint8_t leaf[32]);

/* Copies the leaf hashes of entries [start, start + count) into out. RK_ERANGE past the end. */
int rk_store_log_leaves(struct rk_store *s, int64_t start, int64_t count, uint8_t (*out)[32]);

/* Records a signed tree head; a second head of the same size is RK_EEXIST. */
int rk_store_sth_put(struct rk_store *s, const struct rk_sth_row *sth);

/* The signed tree head of the largest size; RK_ENOTFOUND when none. */
int rk_store_sth_latest(struct rk_store *s, struct rk_sth_row *out);

/* ---- accounts, sessions, device keys (see include/rekap/auth.h, store/auth.h) ---- */

/* Inserts an account; u->p.user_id is assigned (must be 0 on entry). The account must pass
 * rk_user_check (RK_EINVAL), its scope region must exist (RK_EORPHAN), a saksi's race must exist
 * (RK_EORPHAN) and be held in or above its scope (RK_EINVAL); a taken username is RK_EEXIST. */
int rk_store_user_put(struct rk_store *s, struct rk_user *u);

/* Looks an account up by id or by username. RK_ENOTFOUND when absent. */
int rk_store_user_get(struct rk_store *s, int64_t id, struct rk_user *out);
int rk_store_user_by_name(struct rk_store *s, const char *username, struct rk_user *out);

/* Visits the accounts whose scope lies within code's subtree ("" = every account, including
 * national ones), ordered by scope code then username. */
int rk_store_user_list(struct rk_store *s, const char *code, rk_user_visit fn, void *ud);

/* Sets or clears an account's disabled flag. RK_ENOTFOUND when absent. */
int rk_store_user_set_disabled(struct rk_store *s, int64_t id, bool disabled);

/* Replaces an account's password hash (an Argon2id string: RK_EINVAL otherwise).
 * RK_ENOTFOUND when absent. */
int rk_store_user_set_password(struct rk_store *s, int64_t id, const char *pwhash);

/* Stores a session; its user must exist (RK_EORPHAN); a repeated token hash is RK_EEXIST. */
int rk_store_session_put(struct rk_store *s, const struct rk_session *se);

/* Looks a session up by token hash, expired or not. RK_ENOTFOUND when absent. */
int rk_store_session_get(struct rk_store *s, const uint8_t hash[RK_TOKEN_HASH_BYTES],
                         struct rk_session *out);

/* Deletes one session (logout). RK_ENOTFOUND when absent. */
int rk_store_session_delete(struct rk_store *s, const uint8_t hash[RK_TOKEN_HASH_BYTES]);

/* Deletes every session of user_id (on disable or password change); *n gets how many (may be
 * NULL). */
int rk_store_session_delete_user(struct rk_store *s, int64_t user_id, int64_t *n);

/* Deletes the sessions expired at now; *n gets how many (may be NULL). */
int rk_store_session_purge(struct rk_store *s, int64_t now, int64_t *n);

/* Registers a device key (fill it with rk_auth_device_key_init). Its user must exist
 * (RK_EORPHAN); a key id or public key already registered, to anyone, is RK_EEXIST. */
int rk_store_device_put(struct rk_store *s, const struct rk_device_key *k);

/* Looks a device key up by key id, revoked or not. RK_ENOTFOUND when absent. */
int rk_store_device_get(struct rk_store *s, const char *key_id, struct rk_device_key *out);

/* Visits every device key, revoked or not, in key id order. */
int rk_store_device_list(struct rk_store *s, rk_device_visit fn, void *ud);

/* Revokes a key at now. RK_ENOTFOUND when absent, RK_ECONFLICT when already revoked. */
int rk_store_device_revoke(struct rk_store *s, const char *key_id, int64_t now);

#endif
