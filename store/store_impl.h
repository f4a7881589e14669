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
    int (*savepoint)(struct rk_store *s, int op); /* 0 SAVEPOINT, 1 RELEASE, 2 ROLLBACK TO */
    int (*read_begin)(struct rk_store *s);         /* optional: NULL = no snapshot needed */
    void (*read_end)(struct rk_store *s);
    int (*registry_gen)(struct rk_store *s, int64_t *gen); /* optional: enables the cache */
    void (*tune_writer)(struct rk_store *s, size_t cache_mb, void (*log_grew)(void *ud),
                        void *ud);        /* optional */
    int (*checkpoint)(struct rk_store *s); /* optional */
    void (*leave_checkpoints)(struct rk_store *s); /* optional */
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
    /* results: primitive steps; the version/approval logic lives once, in store.c */
    int (*in_transaction)(struct rk_store *s);
    int (*tps_state_get)(struct rk_store *s, int64_t race_id, const char *tps,
                         struct rk_tps_state *out);
    int (*tps_state_put)(struct rk_store *s, const struct rk_tps_state *st);
    int (*tps_states)(struct rk_store *s, int64_t race_id, const char *code, bool only_flagged,
                      rk_tps_state_visit fn, void *ud);
    int (*version_insert)(struct rk_store *s, struct rk_version *v);
    int (*version_get)(struct rk_store *s, int64_t race_id, const char *tps, int version,
                       struct rk_version *out);
    int (*version_list)(struct rk_store *s, int64_t race_id, const char *tps, int64_t after_id,
                        rk_version_visit fn, void *ud);
    int (*version_set_log)(struct rk_store *s, int64_t version_id, int64_t log_index);
    int (*tally_apply)(struct rk_store *s, int64_t race_id, const char *code,
                       const struct rk_tally *delta);
    int tally_deepest; /* deepest level with stored totals; 0 = desa (deeper are not offered) */
    int (*tally_get)(struct rk_store *s, int64_t race_id, const char *code, struct rk_tally *out);
    int (*tally_children)(struct rk_store *s, int64_t race_id, const char *code, rk_tally_visit fn,
                          void *ud);
    int (*log_append)(struct rk_store *s, const uint8_t *entry, size_t len, const uint8_t leaf[32],
                      int64_t *index);
    int (*log_size)(struct rk_store *s, int64_t *size);
    int (*log_get)(struct rk_store *s, int64_t index, uint8_t *buf, size_t cap, size_t *len,
                   uint8_t leaf[32]);
    int (*log_leaves)(struct rk_store *s, int64_t start, int64_t count, uint8_t (*out)[32]);
    int (*objection_put)(struct rk_store *s, const struct rk_objection *o);
    int (*objection_list)(struct rk_store *s, int64_t race_id, const char *tps,
                          struct rk_objection *out, int cap, int *n);
    int (*sth_put)(struct rk_store *s, const struct rk_sth_row *sth);
    int (*sth_latest)(struct rk_store *s, struct rk_sth_row *out);
    int (*photo_put)(struct rk_store *s, const uint8_t hash[32], const void *data, size_t len,
                     const char *type, const char *uploader, int64_t now_ms);
    int (*photo_get)(struct rk_store *s, const uint8_t hash[32], void **data, size_t *len,
                     char type[32]);
    int (*photo_count)(struct rk_store *s, const char *uploader, int64_t *n);
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
    /* One page of kind's rows (TPS regions, accounts, device keys) whose key (code, decimal
     * id, key id) follows after ("" = from the start), at most limit, in key order; each row
     * (struct rk_region / rk_user / rk_device_key) goes to fn. */
    int (*registry_page)(struct rk_store *s, enum rk_registry_kind kind, const char *after,
                         int limit, int (*fn)(void *ud, const void *row), void *ud);
    int (*device_revoke)(struct rk_store *s, const char *key_id, int64_t now);
};

struct rk_store {
    const struct rk_store_ops *ops;
    char errmsg[256];
    struct rk_tally_fold *fold; /* set between rk_store_fold_begin and _flush/_abort */
    struct rk_tally_fold *fold_mem; /* kept for the next batch; freed by rk_store_close */
    struct rk_regcache *cache;      /* shared, not owned */
    int64_t cache_gen;              /* registry generation of the open read snapshot */
    bool cache_on;                  /* inside a read snapshot whose generation is known */
};

/* Engine constructors: parse their part of the URI and open. */
int rk_sqlite_open(const char *path, struct rk_store **out);
int rk_postgres_open(const char *conninfo, struct rk_store **out);

/* Shared by both engines: photo hash lists are stored as comma-separated lowercase hex. */
void rk_store_photos_format(const struct rk_version *v, char *out, size_t cap);
int rk_store_photos_parse(const char *s, struct rk_version *v);

/* Records the engine's message for rk_store_errmsg. */
void rk_store_set_error(struct rk_store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
