/* Private contract between store.c (dispatch) and each engine. An engine allocates a struct
 * that starts with struct rk_store and fills in ops; store.c forwards every public call. */
#ifndef REKAP_STORE_IMPL_H
#define REKAP_STORE_IMPL_H

#include "store/store.h"

struct rk_store_ops {
    const char *engine;
    void (*close)(struct rk_store *s);
    int (*schema_version)(struct rk_store *s, int *version);
    int (*begin)(struct rk_store *s);
    int (*commit)(struct rk_store *s);
    int (*rollback)(struct rk_store *s);
    int (*region_put)(struct rk_store *s, const struct rk_region *r);
    int (*region_get)(struct rk_store *s, const char *code, struct rk_region *out);
    int (*region_children)(struct rk_store *s, const char *code, rk_region_visit fn, void *ud);
    int (*region_at_level)(struct rk_store *s, const char *code, enum rk_level level,
                           rk_region_visit fn, void *ud);
    int (*region_counts)(struct rk_store *s, const char *code, int64_t counts[RK_LEVEL_COUNT]);
    int (*region_voters)(struct rk_store *s, const char *code, int64_t *l, int64_t *p);
    int (*election_put)(struct rk_store *s, struct rk_election *e);
    int (*election_get)(struct rk_store *s, int64_t id, const char *slug, struct rk_election *out);
    int (*election_list)(struct rk_store *s, rk_election_visit fn, void *ud);
    int (*race_put)(struct rk_store *s, struct rk_race *r);
    int (*race_get)(struct rk_store *s, int64_t id, struct rk_race *out);
    int (*race_list)(struct rk_store *s, int64_t election_id, const char *code, rk_race_visit fn,
                     void *ud);
    int (*candidate_put)(struct rk_store *s, struct rk_candidate *c);
    int (*candidate_list)(struct rk_store *s, int64_t race_id, struct rk_candidate *out, int cap,
                          int *n);
    int (*user_put)(struct rk_store *s, struct rk_user *u);
    int (*user_get)(struct rk_store *s, int64_t id, const char *username, struct rk_user *out);
    int (*user_list)(struct rk_store *s, const char *code, rk_user_visit fn, void *ud);
    int (*user_set_disabled)(struct rk_store *s, int64_t id, bool disabled);
    int (*user_set_password)(struct rk_store *s, int64_t id, const char *pwhash);
    int (*session_put)(struct rk_store *s, const struct rk_session *se);
    int (*session_get)(struct rk_store *s, const uint8_t *hash, struct rk_session *out);
    int (*session_delete)(struct rk_store *s, const uint8_t *hash);
    int (*session_delete_user)(struct rk_store *s, int64_t user_id, int64_t *n);
    int (*session_purge)(struct rk_store *s, int64_t now, int64_t *n);
    int (*device_put)(struct rk_store *s, const struct rk_device_key *k);
    int (*device_get)(struct rk_store *s, const char *key_id, struct rk_device_key *out);
    int (*device_revoke)(struct rk_store *s, const char *key_id, int64_t now);
};

struct rk_store {
    const struct rk_store_ops *ops;
    char errmsg[256];
};

/* Engine constructors: parse their part of the URI and open. */
int rk_sqlite_open(const char *path, struct rk_store **out);
int rk_postgres_open(const char *conninfo, struct rk_store **out);

/* Records the engine's message for rk_store_errmsg. */
void rk_store_set_error(struct rk_store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
