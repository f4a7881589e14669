/* Store dispatch: picks the engine from the URI and forwards calls through its ops table. */
#include "store/store_impl.h"
#include "rekap/status.h"

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
    if (s)
        s->ops->close(s);
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

int rk_store_commit(struct rk_store *s)
{
    return s->ops->commit(s);
}

int rk_store_rollback(struct rk_store *s)
{
    return s->ops->rollback(s);
}

int rk_store_region_put(struct rk_store *s, const struct rk_region *r)
{
    return s->ops->region_put(s, r);
}

int rk_store_region_get(struct rk_store *s, const char *code, struct rk_region *out)
{
    return s->ops->region_get(s, code, out);
}

int rk_store_region_children(struct rk_store *s, const char *code, rk_region_visit fn, void *ud)
{
    return s->ops->region_children(s, code, fn, ud);
}

int rk_store_region_counts(struct rk_store *s, const char *code, int64_t counts[RK_LEVEL_COUNT])
{
    return s->ops->region_counts(s, code, counts);
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
    return s->ops->election_get(s, id, NULL, out);
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
    return s->ops->race_get(s, id, out);
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

int rk_store_candidate_list(struct rk_store *s, int64_t race_id, struct rk_candidate *out, int cap,
                            int *n)
{
    return s->ops->candidate_list(s, race_id, out, cap, n);
}
