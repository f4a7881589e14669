/* The one storage interface. lib/ never sees it; server/ and cli/ talk only to it, so a second
 * engine (PostgreSQL) is one more file implementing struct rk_store_ops.
 *
 * Handles are not thread-safe: use one per thread (the server keeps a pool). Every write done
 * between rk_store_begin and rk_store_commit is atomic; outside an explicit transaction each call
 * is its own transaction. Errors are enum rk_status; rk_store_errmsg gives the engine's words. */
#ifndef REKAP_STORE_H
#define REKAP_STORE_H

#include <stdint.h>
#include <stddef.h>

#include "rekap/region.h"
#include "rekap/election.h"
#include "rekap/auth.h"

struct rk_store;

/* Visitors return 0 to continue or non-zero to stop; a non-zero value is passed back to the
 * caller of the listing function. */
typedef int (*rk_region_visit)(void *ud, const struct rk_region *r);
typedef int (*rk_election_visit)(void *ud, const struct rk_election *e);
typedef int (*rk_race_visit)(void *ud, const struct rk_race *r);
typedef int (*rk_user_visit)(void *ud, const struct rk_user *u);

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
int rk_store_commit(struct rk_store *s);
int rk_store_rollback(struct rk_store *s);

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

/* Revokes a key at now. RK_ENOTFOUND when absent, RK_ECONFLICT when already revoked. */
int rk_store_device_revoke(struct rk_store *s, const char *key_id, int64_t now);

#endif
