/* Store dispatch: picks the engine from the URI and forwards calls through its ops table. */
#include "store/store_impl.h"
#include "store/fold.h"
#include "store/regcache.h"
#include "rekap/status.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rk_store_open(const char *uri, struct rk_store **out)
{
    *out = NULL;
    if (!uri || !uri[0])
        return RK_EINVAL;
    if (strncmp(uri, "sqlite:", 7) == 0)
        return rk_sqlite_open(uri + 7, out);
    if (strncmp(uri, "postgres:", 9) == 0 || strncmp(uri, "postgresql:", 11) == 0)
        return rk_postgres_open(strchr(uri, ':') + 1, out);
    if (strstr(uri, "://"))
        return RK_EUNSUPPORTED;
    return rk_sqlite_open(uri, out);
}

void rk_store_close(struct rk_store *s)
{
    if (s) {
        rk_fold_free(s->fold_mem);
        s->ops->close(s);
    }
}

const char *rk_store_errmsg(const struct rk_store *s)
{
    return s ? s->errmsg : "";
}

const char *rk_store_engine(const struct rk_store *s)
{
    return s->ops->engine;
}

void rk_store_set_error(struct rk_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
}

int rk_store_schema_version(struct rk_store *s, int *version)
{
    return s->ops->schema_version(s, version);
}

int rk_store_begin(struct rk_store *s)
{
    return s->ops->begin(s);
}

int rk_store_read_begin(struct rk_store *s)
{
    s->cache_on = false;
    bool in_tx = s->ops->in_transaction(s) != 0;
    int rc = s->ops->read_begin ? s->ops->read_begin(s) : RK_OK;
    /* Never inside a write transaction: its own uncommitted changes are not in the cache. */
    if (rc == RK_OK && s->cache && !in_tx && s->ops->registry_gen &&
        s->ops->registry_gen(s, &s->cache_gen) == RK_OK) {
        rk_regcache_sync(s->cache, s->cache_gen);
        s->cache_on = true;
    }
    return rc;
}

void rk_store_read_end(struct rk_store *s)
{
    s->cache_on = false;
    if (s->ops->read_end)
        s->ops->read_end(s);
}

void rk_store_tune_writer(struct rk_store *s, size_t cache_mb, void (*log_grew)(void *ud),
                          void *ud)
{
    if (s->ops->tune_writer)
        s->ops->tune_writer(s, cache_mb, log_grew, ud);
}

void rk_store_leave_checkpoints(struct rk_store *s)
{
    if (s->ops->leave_checkpoints)
        s->ops->leave_checkpoints(s);
}

int rk_store_checkpoint(struct rk_store *s)
{
    return s->ops->checkpoint ? s->ops->checkpoint(s) : RK_EUNSUPPORTED;
}

void rk_store_attach_cache(struct rk_store *s, struct rk_regcache *c)
{
    s->cache = c;
    s->cache_on = false;
}

/* Cached lookups: a hit is a copy of what this snapshot's generation holds. */
static bool cache_get(struct rk_store *s, enum rk_regcache_kind kind, const char *key, void *out,
                      size_t len)
{
    return s->cache_on && rk_regcache_get(s->cache, s->cache_gen, kind, key, out, len);
}

static void cache_put(struct rk_store *s, enum rk_regcache_kind kind, const char *key,
                      const void *val, size_t len)
{
    if (s->cache_on)
        rk_regcache_put(s->cache, s->cache_gen, kind, key, val, len);
}

static void id_key(int64_t id, char key[24])
{
    snprintf(key, 24, "%lld", (long long)id);
}

struct warm_ctx {
    struct rk_store *s;
    struct rk_warm *w;
};

/* One row of a warm-up page into the cache, under the key its getter uses. */
static int warm_row(void *ud, const void *row)
{
    struct rk_store *s = ((struct warm_ctx *)ud)->s;
    struct rk_warm *w = ((struct warm_ctx *)ud)->w;
    char key[24];
    const void *val = row;
    size_t len;
    enum rk_regcache_kind kind;
    switch (w->kind) {
    case RK_REGISTRY_TPS:
        kind = RK_RC_REGION;
        len = sizeof(struct rk_region);
        snprintf(key, sizeof key, "%s", ((const struct rk_region *)row)->code);
        break;
    case RK_REGISTRY_USERS:
        kind = RK_RC_USER;
        len = sizeof(struct rk_user);
        id_key(((const struct rk_user *)row)->p.user_id, key);
        break;
    default:
        kind = RK_RC_DEVICE;
        len = sizeof(struct rk_device_key);
        snprintf(key, sizeof key, "%s", ((const struct rk_device_key *)row)->key_id);
        break;
    }
    if (!rk_regcache_fill(s->cache, s->cache_gen, kind, key, val, len))
        return RK_ECONFLICT;
    memcpy(w->after, key, sizeof w->after);
    w->rows++;
    return 0;
}

void rk_store_warm_begin(struct rk_warm *w)
{
    memset(w, 0, sizeof *w);
    w->gen = -1;
    w->kind = RK_REGISTRY_TPS;
}

int rk_store_warm_step(struct rk_store *s, struct rk_warm *w, int max_rows)
{
    if (!s->cache || s->ops->in_transaction(s))
        return RK_EUNSUPPORTED;
    if (max_rows < 1)
        return RK_EINVAL;
    if (w->done)
        return RK_OK;
    int rc = rk_store_read_begin(s);
    if (rc == RK_OK && !s->cache_on)
        rc = RK_EUNSUPPORTED;
    if (rc == RK_OK && w->gen >= 0 && s->cache_gen != w->gen)
        rc = RK_ECONFLICT;
    if (rc == RK_OK && w->gen < 0) {
        int64_t counts[RK_LEVEL_COUNT];
        w->gen = s->cache_gen;
        /* Room for it all at once: TPS, their KPPS accounts and device keys. */
        if ((rc = s->ops->region_counts(s, "", counts)) == RK_OK)
            rk_regcache_reserve(s->cache, (size_t)counts[RK_LEVEL_TPS] * 3);
    }
    if (rc == RK_OK) {
        int64_t before = w->rows;
        struct warm_ctx ctx = {s, w};
        rc = s->ops->registry_page(s, w->kind, w->after, max_rows, warm_row, &ctx);
        if (rc == RK_OK && w->rows - before < max_rows) { /* that scan is over */
            w->after[0] = '\0';
            if (w->kind == RK_REGISTRY_DEVICES)
                w->done = true;
            else
                w->kind = w->kind == RK_REGISTRY_TPS ? RK_REGISTRY_USERS : RK_REGISTRY_DEVICES;
        }
    }
    rk_store_read_end(s);
    return rc;
}

int rk_store_warm_cache(struct rk_store *s, int64_t *rows)
{
    struct rk_warm w;
    rk_store_warm_begin(&w);
    int rc;
    while ((rc = rk_store_warm_step(s, &w, 5000)) == RK_OK && !w.done)
        ;
    if (rows)
        *rows = w.rows;
    return rc;
}

/* The body of a cached getter: out from the cache, else from the engine's lookup (an
 * expression giving a status), which is then cached. */
#define CACHED(s, kind, key, out, len, lookup)                                                 \
    do {                                                                                       \
        if (cache_get(s, kind, key, out, len))                                                 \
            return RK_OK;                                                                      \
        int rc_ = (lookup);                                                                    \
        if (rc_ == RK_OK)                                                                      \
            cache_put(s, kind, key, out, len);                                                 \
        return rc_;                                                                            \
    } while (0)

bool rk_store_in_transaction(struct rk_store *s)
{
    return s->ops->in_transaction(s) != 0;
}

int rk_store_commit(struct rk_store *s)
{
    if (s->fold) {
        int rc = rk_store_fold_flush(s);
        if (rc != RK_OK)
            return rc; /* the caller rolls back: the sums were not all written */
    }
    return s->ops->commit(s);
}

int rk_store_rollback(struct rk_store *s)
{
    rk_store_fold_abort(s);
    return s->ops->rollback(s);
}

int rk_store_savepoint(struct rk_store *s)
{
    if (!s->ops->savepoint)
        return RK_EUNSUPPORTED;
    if (s->fold)
        rk_fold_accept(s->fold); /* deltas before the savepoint belong to the transaction */
    return s->ops->in_transaction(s) ? s->ops->savepoint(s, 0) : RK_ECONFLICT;
}

int rk_store_release(struct rk_store *s)
{
    if (!s->ops->savepoint)
        return RK_EUNSUPPORTED;
    int rc = s->ops->savepoint(s, 1);
    if (s->fold) {
        if (rc == RK_OK)
            rk_fold_accept(s->fold);
        else
            rk_fold_drop(s->fold);
    }
    return rc;
}

int rk_store_rollback_to(struct rk_store *s)
{
    if (!s->ops->savepoint)
        return RK_EUNSUPPORTED;
    if (s->fold)
        rk_fold_drop(s->fold);
    int rc = s->ops->savepoint(s, 2);
    return rc == RK_OK ? s->ops->savepoint(s, 1) : rc;
}

int rk_store_fold_begin(struct rk_store *s)
{
    if (!s->ops->in_transaction(s) || s->fold)
        return RK_ECONFLICT;
    if (!s->fold_mem && !(s->fold_mem = rk_fold_new()))
        return RK_ENOMEM;
    rk_fold_clear(s->fold_mem);
    s->fold = s->fold_mem;
    return RK_OK;
}

static int fold_write(void *ctx, int64_t race_id, const char *code, const struct rk_tally *sum)
{
    struct rk_store *s = ctx;
    return s->ops->tally_apply(s, race_id, code, sum);
}

int rk_store_fold_flush(struct rk_store *s)
{
    struct rk_tally_fold *f = s->fold;
    if (!f)
        return RK_ECONFLICT;
    s->fold = NULL;
    rk_fold_accept(f);
    int rc = rk_fold_each(f, fold_write, s);
    rk_fold_clear(f);
    return rc;
}

void rk_store_fold_abort(struct rk_store *s)
{
    if (s->fold)
        rk_fold_clear(s->fold);
    s->fold = NULL;
}

int rk_store_region_put(struct rk_store *s, const struct rk_region *r)
{
    return s->ops->region_put(s, r);
}

int rk_store_region_get(struct rk_store *s, const char *code, struct rk_region *out)
{
    if (!code)
        return s->ops->region_get(s, code, out);
    CACHED(s, RK_RC_REGION, code, out, sizeof *out, s->ops->region_get(s, code, out));
}

int rk_store_region_children(struct rk_store *s, const char *code, rk_region_visit fn, void *ud)
{
    return s->ops->region_children(s, code, fn, ud);
}

int rk_store_region_at_level(struct rk_store *s, const char *code, enum rk_level level,
                             rk_region_visit fn, void *ud)
{
    if (!code || (unsigned)level >= RK_LEVEL_COUNT)
        return RK_EINVAL;
    return s->ops->region_at_level(s, code, level, fn, ud);
}

int rk_store_region_counts(struct rk_store *s, const char *code, int64_t counts[RK_LEVEL_COUNT])
{
    /* A count over a subtree scans it (a province: ~20,000 rows); the results pages ask for
     * one per child region, every time. */
    CACHED(s, RK_RC_COUNTS, code ? code : "", counts, sizeof(int64_t) * RK_LEVEL_COUNT,
           s->ops->region_counts(s, code, counts));
}

int rk_store_region_voters(struct rk_store *s, const char *code, int64_t *dpt_l, int64_t *dpt_p)
{
    return s->ops->region_voters(s, code, dpt_l, dpt_p);
}

int rk_store_election_put(struct rk_store *s, struct rk_election *e)
{
    return s->ops->election_put(s, e);
}

int rk_store_election_get(struct rk_store *s, int64_t id, struct rk_election *out)
{
    char key[24];
    id_key(id, key);
    CACHED(s, RK_RC_ELECTION, key, out, sizeof *out, s->ops->election_get(s, id, NULL, out));
}

int rk_store_election_by_slug(struct rk_store *s, const char *slug, struct rk_election *out)
{
    return s->ops->election_get(s, 0, slug, out);
}

int rk_store_election_list(struct rk_store *s, rk_election_visit fn, void *ud)
{
    return s->ops->election_list(s, fn, ud);
}

int rk_store_race_put(struct rk_store *s, struct rk_race *r)
{
    return s->ops->race_put(s, r);
}

int rk_store_race_get(struct rk_store *s, int64_t id, struct rk_race *out)
{
    char key[24];
    id_key(id, key);
    CACHED(s, RK_RC_RACE, key, out, sizeof *out, s->ops->race_get(s, id, out));
}

int rk_store_race_list(struct rk_store *s, int64_t election_id, const char *code, rk_race_visit fn,
                       void *ud)
{
    return s->ops->race_list(s, election_id, code, fn, ud);
}

int rk_store_candidate_put(struct rk_store *s, struct rk_candidate *c)
{
    return s->ops->candidate_put(s, c);
}

/* A race's whole candidate list, as cached. */
struct cand_list {
    int n;
    struct rk_candidate c[RK_CANDIDATES_MAX];
};

int rk_store_candidate_list(struct rk_store *s, int64_t race_id, struct rk_candidate *out, int cap,
                            int *n)
{
    char key[24];
    id_key(race_id, key);
    struct cand_list l;
    if (cap >= RK_CANDIDATES_MAX && cache_get(s, RK_RC_CANDIDATES, key, &l, sizeof l)) {
        memcpy(out, l.c, (size_t)l.n * sizeof l.c[0]);
        *n = l.n;
        return RK_OK;
    }
    int rc = s->ops->candidate_list(s, race_id, out, cap, n);
    if (rc == RK_OK && cap >= RK_CANDIDATES_MAX && *n >= 0 && *n <= RK_CANDIDATES_MAX) {
        memset(&l, 0, sizeof l);
        l.n = *n;
        memcpy(l.c, out, (size_t)l.n * sizeof l.c[0]);
        cache_put(s, RK_RC_CANDIDATES, key, &l, sizeof l);
    }
    return rc;
}

/* ---- results: the version/approval logic, once for every engine ---- */

void rk_store_photos_format(const struct rk_version *v, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < v->n_photos && i < RK_PHOTOS_MAX; i++) {
        if (w + 66 > cap)
            break;
        if (i)
            out[w++] = ',';
        for (int k = 0; k < 32; k++) {
            out[w++] = hex[v->photos[i][k] >> 4];
            out[w++] = hex[v->photos[i][k] & 15];
        }
        out[w] = '\0';
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int rk_store_photos_parse(const char *s, struct rk_version *v)
{
    v->n_photos = 0;
    while (*s) {
        if (v->n_photos >= RK_PHOTOS_MAX)
            return RK_ERANGE;
        for (int k = 0; k < 32; k++) {
            int hi = hexval(s[2 * k]), lo = hi < 0 ? -1 : hexval(s[2 * k + 1]);
            if (hi < 0 || lo < 0)
                return RK_EINVAL;
            v->photos[v->n_photos][k] = (uint8_t)(hi << 4 | lo);
        }
        v->n_photos++;
        s += 64;
        if (*s == ',')
            s++;
        else if (*s)
            return RK_EINVAL;
    }
    return RK_OK;
}

/* Applies delta to the stored tally of every ancestor of a TPS, from the deepest level the
 * engine stores (desa, or kab/kota on SQLite) up to the national root. */
static int apply_up(struct rk_store *s, int64_t race_id, const char *tps, const struct rk_tally *d)
{
    if (rk_tally_is_zero(d))
        return RK_OK;
    int deepest = s->ops->tally_deepest ? s->ops->tally_deepest : RK_LEVEL_DESA;
    for (int level = deepest; level >= RK_LEVEL_NATIONAL; level--) {
        char code[RK_CODE_MAX + 1];
        int rc = rk_code_ancestor(tps, (enum rk_level)level, code);
        if (rc == RK_OK && !(s->fold && rk_fold_add(s->fold, race_id, code, d)))
            rc = s->ops->tally_apply(s, race_id, code, d);
        if (rc != RK_OK)
            return rc;
    }
    return RK_OK;
}

int rk_store_version_add(struct rk_store *s, struct rk_version *v, const struct rk_tally *t)
{
    return rk_store_version_add_at(s, v, t, NULL, -1);
}

int rk_store_version_add_at(struct rk_store *s, struct rk_version *v, const struct rk_tally *t,
                            const struct rk_tps_state *cur, int64_t log_index)
{
    if (!s->ops->in_transaction(s))
        return RK_ECONFLICT;
    if (rk_code_level(v->tps) != RK_LEVEL_TPS || v->n_photos < 0 || v->n_photos > RK_PHOTOS_MAX ||
        (v->kind != RK_VERSION_UPLOAD && v->kind != RK_VERSION_CORRECTION) || !v->actor[0] ||
        !v->doc[0])
        return RK_EINVAL;
    if (v->kind == RK_VERSION_CORRECTION && !v->reason[0])
        return RK_EINVAL; /* a correction always says why */
    struct rk_tps_state st;
    int rc = RK_OK;
    if (cur && (cur->race_id != v->race_id || strcmp(cur->tps, v->tps) != 0))
        return RK_EINVAL;
    if (cur)
        st = *cur;
    else
        rc = s->ops->tps_state_get(s, v->race_id, v->tps, &st);
    if (rc == RK_ENOTFOUND || (rc == RK_OK && st.current_version == 0)) {
        memset(&st, 0, sizeof st);
        st.race_id = v->race_id;
        memcpy(st.tps, v->tps, sizeof st.tps);
    } else if (rc != RK_OK) {
        return rc;
    }
    v->version = st.current_version + 1;
    v->log_index = log_index < 0 ? -1 : log_index;
    if ((rc = s->ops->version_insert(s, v)) != RK_OK)
        return rc;
    struct rk_tally now = *t, delta;
    now.received = 1;
    now.flagged = v->flags[0] != '\0';
    now.approved = 0; /* a new version needs its own approval */
    rk_tally_diff(&delta, &now, &st.tally);
    st.current_version = v->version;
    st.current_id = v->id;
    memcpy(st.current_hash, v->doc_hash, 32);
    st.approved = false;
    st.approved_by[0] = '\0';
    st.approved_ms = 0;
    st.tally = now;
    if ((rc = s->ops->tps_state_put(s, &st)) != RK_OK)
        return rc;
    return apply_up(s, v->race_id, v->tps, &delta);
}

int rk_store_approve(struct rk_store *s, int64_t race_id, const char *tps, int version,
                     const char *actor, int64_t now_ms)
{
    if (!s->ops->in_transaction(s))
        return RK_ECONFLICT;
    if (!actor || !actor[0] || strlen(actor) > RK_ACTOR_MAX)
        return RK_EINVAL;
    struct rk_tps_state st;
    int rc = s->ops->tps_state_get(s, race_id, tps, &st);
    if (rc != RK_OK)
        return rc;
    if (st.current_version != version || st.approved)
        return RK_ECONFLICT;
    st.approved = true;
    snprintf(st.approved_by, sizeof st.approved_by, "%s", actor);
    st.approved_ms = now_ms;
    st.tally.approved = 1;
    if ((rc = s->ops->tps_state_put(s, &st)) != RK_OK)
        return rc;
    struct rk_tally delta;
    rk_tally_zero(&delta);
    delta.approved = 1;
    return apply_up(s, race_id, tps, &delta);
}

int rk_store_tps_state(struct rk_store *s, int64_t race_id, const char *tps, struct rk_tps_state *out)
{
    return s->ops->tps_state_get(s, race_id, tps, out);
}

int rk_store_tps_states(struct rk_store *s, int64_t race_id, const char *code, bool only_flagged,
                        rk_tps_state_visit fn, void *ud)
{
    /* A race's TPS all lie in its region, so a wider code (a whole-race listing passes "") is
     * narrowed to it: SQLite keys TPS rows by TPS first (every race of a TPS together), and an
     * unnarrowed listing would read every race's rows. A region outside the race has none. */
    struct rk_race race;
    int rc = rk_store_race_get(s, race_id, &race);
    if (rc == RK_ENOTFOUND)
        return RK_OK;
    if (rc != RK_OK)
        return rc;
    size_t n = strlen(code), rn = strlen(race.region_code);
    if (n < rn && strncmp(race.region_code, code, n) == 0)
        code = race.region_code;
    else if (strncmp(race.region_code, code, rn) != 0)
        return RK_OK;
    return s->ops->tps_states(s, race_id, code, only_flagged, fn, ud);
}

int rk_store_version_get(struct rk_store *s, int64_t race_id, const char *tps, int version,
                         struct rk_version *out)
{
    return s->ops->version_get(s, race_id, tps, version, out);
}

int rk_store_version_list(struct rk_store *s, int64_t race_id, const char *tps, rk_version_visit fn,
                          void *ud)
{
    return s->ops->version_list(s, race_id, tps, 0, fn, ud);
}

int rk_store_version_scan(struct rk_store *s, int64_t after_id, rk_version_visit fn, void *ud)
{
    return s->ops->version_list(s, 0, NULL, after_id, fn, ud);
}

int rk_store_version_set_log(struct rk_store *s, int64_t version_id, int64_t log_index)
{
    return s->ops->version_set_log(s, version_id, log_index);
}

int rk_store_tally_get(struct rk_store *s, int64_t race_id, const char *code, struct rk_tally *out)
{
    return s->ops->tally_get(s, race_id, code, out);
}

int rk_store_tally_children(struct rk_store *s, int64_t race_id, const char *code, rk_tally_visit fn,
                            void *ud)
{
    return s->ops->tally_children(s, race_id, code, fn, ud);
}

int rk_store_log_append(struct rk_store *s, const uint8_t *entry, size_t len,
                        const uint8_t leaf[32], int64_t *index)
{
    if (len == 0 || len > RK_LOG_ENTRY_MAX)
        return RK_ETOOBIG;
    if (!s->ops->in_transaction(s))
        return RK_ECONFLICT;
    return s->ops->log_append(s, entry, len, leaf, index);
}

int rk_store_log_size(struct rk_store *s, int64_t *size)
{
    return s->ops->log_size(s, size);
}

int rk_store_log_get(struct rk_store *s, int64_t index, uint8_t *buf, size_t cap, size_t *len,
                     uint8_t leaf[32])
{
    return s->ops->log_get(s, index, buf, cap, len, leaf);
}

int rk_store_log_leaves(struct rk_store *s, int64_t start, int64_t count, uint8_t (*out)[32])
{
    if (start < 0 || count < 0)
        return RK_ERANGE;
    return s->ops->log_leaves(s, start, count, out);
}

int rk_store_objection_put(struct rk_store *s, const struct rk_objection *o)
{
    if (!o || !o->tps[0] || o->version < 1 || !o->actor[0] || !o->reason[0] || o->log_index < 0)
        return RK_EINVAL;
    return s->ops->objection_put(s, o);
}

int rk_store_objection_list(struct rk_store *s, int64_t race_id, const char *tps,
                            struct rk_objection *out, int cap, int *n)
{
    *n = 0;
    if (!tps || cap < 0 || (cap > 0 && !out))
        return RK_EINVAL;
    return s->ops->objection_list(s, race_id, tps, out, cap, n);
}

int rk_store_sth_put(struct rk_store *s, const struct rk_sth_row *sth)
{
    return s->ops->sth_put(s, sth);
}

int rk_store_sth_latest(struct rk_store *s, struct rk_sth_row *out)
{
    return s->ops->sth_latest(s, out);
}

/* ---- accounts ---- */

/* Engine-independent checks, done here once so every engine refuses the same accounts. */
int rk_store_user_put(struct rk_store *s, struct rk_user *u)
{
    if (u->p.user_id != 0 || rk_user_check(u) != RK_OK) {
        rk_store_set_error(s, "invalid account / akun tidak valid");
        return RK_EINVAL;
    }
    if (u->p.role == RK_ROLE_SAKSI) {
        struct rk_race race;
        int rc = rk_store_race_get(s, u->p.race_id, &race);
        if (rc == RK_ENOTFOUND) {
            rk_store_set_error(s, "race %lld does not exist / kontestasi tidak ada",
                               (long long)u->p.race_id);
            return RK_EORPHAN;
        }
        if (rc != RK_OK)
            return rc;
        /* A witness of a race reads only where that race is voted on. */
        size_t n = strlen(race.region_code);
        if (strncmp(race.region_code, u->p.scope, n) != 0) {
            rk_store_set_error(s, "scope %s is outside race %lld (%s) / cakupan di luar wilayah "
                                  "kontestasi",
                               u->p.scope[0] ? u->p.scope : "national", (long long)race.id,
                               race.region_code[0] ? race.region_code : "national");
            return RK_EINVAL;
        }
    }
    return s->ops->user_put(s, u);
}

int rk_store_user_get(struct rk_store *s, int64_t id, struct rk_user *out)
{
    char key[24];
    id_key(id, key);
    CACHED(s, RK_RC_USER, key, out, sizeof *out, s->ops->user_get(s, id, NULL, out));
}

int rk_store_user_by_name(struct rk_store *s, const char *username, struct rk_user *out)
{
    if (!username)
        return RK_EINVAL;
    return s->ops->user_get(s, 0, username, out);
}

int rk_store_user_list(struct rk_store *s, const char *code, rk_user_visit fn, void *ud)
{
    return s->ops->user_list(s, code ? code : "", fn, ud);
}

int rk_store_user_set_disabled(struct rk_store *s, int64_t id, bool disabled)
{
    return s->ops->user_set_disabled(s, id, disabled);
}

int rk_store_user_set_password(struct rk_store *s, int64_t id, const char *pwhash)
{
    enum rk_pw_profile prof;
    if (rk_auth_password_profile(pwhash, &prof) != RK_OK)
        return RK_EINVAL;
    return s->ops->user_set_password(s, id, pwhash);
}

int rk_store_session_put(struct rk_store *s, const struct rk_session *se)
{
    if (se->user_id <= 0 || se->expires_at <= se->created_at)
        return RK_EINVAL;
    return s->ops->session_put(s, se);
}

int rk_store_session_get(struct rk_store *s, const uint8_t hash[RK_TOKEN_HASH_BYTES],
                         struct rk_session *out)
{
    return s->ops->session_get(s, hash, out);
}

int rk_store_session_delete(struct rk_store *s, const uint8_t hash[RK_TOKEN_HASH_BYTES])
{
    return s->ops->session_delete(s, hash);
}

int rk_store_session_delete_user(struct rk_store *s, int64_t user_id, int64_t *n)
{
    int64_t dummy;
    return s->ops->session_delete_user(s, user_id, n ? n : &dummy);
}

int rk_store_session_purge(struct rk_store *s, int64_t now, int64_t *n)
{
    int64_t dummy;
    return s->ops->session_purge(s, now, n ? n : &dummy);
}

int rk_store_device_put(struct rk_store *s, const struct rk_device_key *k)
{
    char id[RK_KEY_ID_HEX_LEN + 1];
    if (k->user_id <= 0 || k->revoked_at != 0)
        return RK_EINVAL;
    /* The id is derived from the key; a mismatch would let one key shadow another's id. */
    rk_auth_device_key_id(k->pub, id);
    if (strcmp(id, k->key_id) != 0)
        return RK_EINVAL;
    return s->ops->device_put(s, k);
}

int rk_store_device_get(struct rk_store *s, const char *key_id, struct rk_device_key *out)
{
    if (!key_id)
        return RK_EINVAL;
    CACHED(s, RK_RC_DEVICE, key_id, out, sizeof *out, s->ops->device_get(s, key_id, out));
}

struct device_pages {
    rk_device_visit fn;
    void *ud;
    char after[RK_KEY_ID_HEX_LEN + 1];
    int n;
};

static int device_page_row(void *ud, const void *row)
{
    struct device_pages *d = ud;
    const struct rk_device_key *k = row;
    memcpy(d->after, k->key_id, sizeof d->after);
    d->n++;
    return d->fn(d->ud, k);
}

int rk_store_device_list(struct rk_store *s, rk_device_visit fn, void *ud)
{
    struct device_pages d = {.fn = fn, .ud = ud};
    for (;;) {
        d.n = 0;
        int rc = s->ops->registry_page(s, RK_REGISTRY_DEVICES, d.after, 1000, device_page_row, &d);
        if (rc != RK_OK || d.n < 1000)
            return rc;
    }
}

int rk_store_device_revoke(struct rk_store *s, const char *key_id, int64_t now)
{
    if (!key_id || now <= 0)
        return RK_EINVAL;
    return s->ops->device_revoke(s, key_id, now);
}

int rk_store_photo_put(struct rk_store *s, const uint8_t hash[32], const void *data, size_t len,
                       const char *type, const char *uploader, int64_t now_ms)
{
    uint8_t check[32];
    if (len == 0 || len > RK_PHOTO_MAX)
        return RK_ETOOBIG;
    if (strcmp(type, "image/jpeg") != 0 && strcmp(type, "image/png") != 0)
        return RK_EUNSUPPORTED;
    crypto_hash_sha256(check, data, len);
    if (memcmp(check, hash, 32) != 0)
        return RK_EINVAL;
    if (!s->ops->photo_put)
        return RK_EUNSUPPORTED;
    return s->ops->photo_put(s, hash, data, len, type, uploader, now_ms);
}

int rk_store_photo_get(struct rk_store *s, const uint8_t hash[32], void **data, size_t *len,
                       char type[32])
{
    if (!s->ops->photo_get)
        return RK_EUNSUPPORTED;
    return s->ops->photo_get(s, hash, data, len, type);
}

int rk_store_photo_count(struct rk_store *s, const char *uploader, int64_t *n)
{
    if (!s->ops->photo_count)
        return RK_EUNSUPPORTED;
    return s->ops->photo_count(s, uploader, n);
}
