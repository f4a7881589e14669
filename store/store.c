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

int rk_store_region_at_level(struct rk_store *s, const char *code, enum rk_level level,
                             rk_region_visit fn, void *ud)
{
    if (!code || (unsigned)level >= RK_LEVEL_COUNT)
        return RK_EINVAL;
    return s->ops->region_at_level(s, code, level, fn, ud);
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
    return s->ops->user_get(s, id, NULL, out);
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
    char id[RK_KEY_ID_LEN + 1];
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
    return s->ops->device_get(s, key_id, out);
}

int rk_store_device_revoke(struct rk_store *s, const char *key_id, int64_t now)
{
    if (!key_id || now <= 0)
        return RK_EINVAL;
    return s->ops->device_revoke(s, key_id, now);
}
