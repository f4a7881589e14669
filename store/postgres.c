/* PostgreSQL engine (libpq): the scale-out store, with the same behaviour as sqlite.c. One
 * connection per handle; statements are prepared once per connection; the schema is migrated
 * forward in numbered steps recorded in rekap_meta, under an advisory lock so several rekap
 * instances starting together do not race. Codes use the "C" collation so the subtree range
 * trick ([P, P || ':')) means the same thing as in SQLite. */
#include "store/store_impl.h"
#include "rekap/status.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pq_stmt {
    PQ_REGION_PUT,
    PQ_REGION_GET,
    PQ_REGION_CHILDREN_ROOT,
    PQ_REGION_CHILDREN,
    PQ_REGION_COUNTS,
    PQ_REGION_VOTERS,
    PQ_ELECTION_PUT,
    PQ_ELECTION_GET,
    PQ_ELECTION_BY_SLUG,
    PQ_ELECTION_LIST,
    PQ_RACE_PUT,
    PQ_RACE_GET,
    PQ_RACE_LIST,
    PQ_CANDIDATE_PUT,
    PQ_CANDIDATE_LIST,
    PQ_COUNT
};

static const char *const pq_sql[PQ_COUNT] = {
    [PQ_REGION_PUT] = "INSERT INTO region(code, parent, level, name, dpt_l, dpt_p) "
                      "VALUES($1, $2, $3::int, $4, $5::int, $6::int)",
    [PQ_REGION_GET] = "SELECT code, name, level, dpt_l, dpt_p FROM region WHERE code = $1",
    [PQ_REGION_CHILDREN_ROOT] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                                "WHERE parent IS NULL ORDER BY code",
    [PQ_REGION_CHILDREN] = "SELECT code, name, level, dpt_l, dpt_p FROM region "
                           "WHERE parent = $1 ORDER BY code",
    [PQ_REGION_COUNTS] = "SELECT level, count(*) FROM region "
                         "WHERE code >= $1 AND code < $1 || ':' GROUP BY level",
    [PQ_REGION_VOTERS] = "SELECT coalesce(sum(dpt_l), 0), coalesce(sum(dpt_p), 0) FROM region "
                         "WHERE code >= $1 AND code < $1 || ':' AND level = 5",
    [PQ_ELECTION_PUT] = "INSERT INTO election(id, slug, kind, year, name) "
                        "VALUES(coalesce($1::bigint, nextval('election_id_seq')), $2, $3::int, "
                        "$4::int, $5) RETURNING id",
    [PQ_ELECTION_GET] = "SELECT id, slug, kind, year, name FROM election WHERE id = $1::bigint",
    [PQ_ELECTION_BY_SLUG] = "SELECT id, slug, kind, year, name FROM election WHERE slug = $1",
    [PQ_ELECTION_LIST] = "SELECT id, slug, kind, year, name FROM election ORDER BY id",
    [PQ_RACE_PUT] = "INSERT INTO race(id, election_id, kind, region_code, name) "
                    "VALUES(coalesce($1::bigint, nextval('race_id_seq')), $2::bigint, $3::int, $4, "
                    "$5) RETURNING id",
    [PQ_RACE_GET] = "SELECT id, election_id, kind, coalesce(region_code, ''), name FROM race "
                    "WHERE id = $1::bigint",
    [PQ_RACE_LIST] = "SELECT id, election_id, kind, coalesce(region_code, ''), name FROM race "
                     "WHERE ($1::bigint = 0 OR election_id = $1::bigint) AND (region_code IS NULL "
                     "  OR region_code = substr($2, 1, length(region_code)) "
                     "  OR (region_code >= $2 AND region_code < $2 || ':')) "
                     "ORDER BY kind, region_code",
    [PQ_CANDIDATE_PUT] = "INSERT INTO candidate(id, race_id, ballot_no, name, color, kolom_kosong) "
                         "VALUES(coalesce($1::bigint, nextval('candidate_id_seq')), $2::bigint, "
                         "$3::int, $4, $5, $6::boolean) RETURNING id",
    [PQ_CANDIDATE_LIST] = "SELECT id, race_id, ballot_no, name, color, kolom_kosong::int FROM "
                          "candidate WHERE race_id = $1::bigint ORDER BY ballot_no",
};

/* Forward-only migrations, same numbering as sqlite.c. */
static const char *const pq_migrations[] = {
    "CREATE TABLE region("
    "  code TEXT COLLATE \"C\" PRIMARY KEY,"
    "  parent TEXT COLLATE \"C\" REFERENCES region(code),"
    "  level INTEGER NOT NULL CHECK(level BETWEEN 1 AND 5),"
    "  name TEXT NOT NULL,"
    "  dpt_l INTEGER NOT NULL DEFAULT 0 CHECK(dpt_l BETWEEN 0 AND 999),"
    "  dpt_p INTEGER NOT NULL DEFAULT 0 CHECK(dpt_p BETWEEN 0 AND 999));"
    "CREATE INDEX region_parent ON region(parent, code);"
    "CREATE SEQUENCE election_id_seq;"
    "CREATE TABLE election("
    "  id BIGINT PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL,"
    "  year INTEGER NOT NULL,"
    "  name TEXT NOT NULL);"
    "CREATE SEQUENCE race_id_seq;"
    "CREATE TABLE race("
    "  id BIGINT PRIMARY KEY,"
    "  election_id BIGINT NOT NULL REFERENCES election(id),"
    "  kind INTEGER NOT NULL,"
    "  region_code TEXT COLLATE \"C\" REFERENCES region(code),"
    "  name TEXT NOT NULL,"
    "  UNIQUE NULLS NOT DISTINCT (election_id, kind, region_code));"
    "CREATE INDEX race_region ON race(region_code);"
    "CREATE SEQUENCE candidate_id_seq;"
    "CREATE TABLE candidate("
    "  id BIGINT PRIMARY KEY,"
    "  race_id BIGINT NOT NULL REFERENCES race(id),"
    "  ballot_no INTEGER NOT NULL CHECK(ballot_no BETWEEN 1 AND 6),"
    "  name TEXT NOT NULL,"
    "  color TEXT NOT NULL DEFAULT '',"
    "  kolom_kosong BOOLEAN NOT NULL DEFAULT false,"
    "  UNIQUE(race_id, ballot_no));",
};
#define PQ_MIGRATION_COUNT ((int)(sizeof pq_migrations / sizeof pq_migrations[0]))

struct pg_store {
    struct rk_store base;
    PGconn *conn;
    unsigned char prepared[PQ_COUNT];
    int in_tx;
};

static struct pg_store *P(struct rk_store *s)
{
    return (struct pg_store *)s;
}

/* Maps a failed result to a status by SQLSTATE class, keeping the server's message. */
static int pfail(struct pg_store *q, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(q->conn);
    rk_store_set_error(&q->base, "%s", msg && msg[0] ? msg : "postgres error");
    size_t n = strlen(q->base.errmsg);
    while (n && (q->base.errmsg[n - 1] == '\n'))
        q->base.errmsg[--n] = '\0';
    int status = RK_EDB;
    if (state) {
        if (strcmp(state, "23505") == 0)
            status = RK_EEXIST;
        else if (strcmp(state, "23503") == 0)
            status = RK_EORPHAN;
        else if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
                 strcmp(state, "22P02") == 0 || strcmp(state, "22003") == 0)
            status = RK_EINVAL;
    }
    PQclear(res);
    return status;
}

static int pexec(struct pg_store *q, const char *sql)
{
    PGresult *res = PQexec(q->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pfail(q, res);
    PQclear(res);
    return RK_OK;
}

/* Runs prepared statement id with text parameters (NULL = SQL NULL). On success *out holds the
 * result (caller PQclear's) when out is non-NULL. */
static int run(struct pg_store *q, enum pq_stmt id, int n, const char *const *params,
               PGresult **out)
{
    char name[16];
    snprintf(name, sizeof name, "rk%d", (int)id);
    if (!q->prepared[id]) {
        PGresult *res = PQprepare(q->conn, name, pq_sql[id], 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return pfail(q, res);
        PQclear(res);
        q->prepared[id] = 1;
    }
    PGresult *res = PQexecPrepared(q->conn, name, n, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pfail(q, res);
    if (out)
        *out = res;
    else
        PQclear(res);
    return RK_OK;
}

static void copy_val(char *dst, size_t cap, PGresult *res, int row, int col)
{
    const char *v = PQgetvalue(res, row, col);
    snprintf(dst, cap, "%s", v ? v : "");
}

static long long ival(PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void pg_close(struct rk_store *s)
{
    struct pg_store *q = P(s);
    if (q->conn && q->in_tx)
        pexec(q, "ROLLBACK");
    PQfinish(q->conn);
    free(q);
}

static int pg_schema_version(struct rk_store *s, int *version)
{
    struct pg_store *q = P(s);
    PGresult *res = PQexec(q->conn, "SELECT value FROM rekap_meta WHERE key = 'schema_version'");
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return pfail(q, res);
    *version = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return RK_OK;
}

static int pg_migrate(struct pg_store *q)
{
    int rc, v;
    /* Quiet the NOTICE that IF NOT EXISTS raises on every start. */
    if ((rc = pexec(q, "SET client_min_messages = warning")) != RK_OK ||
        (rc = pexec(q, "BEGIN")) != RK_OK)
        return rc;
    if ((rc = pexec(q, "SELECT pg_advisory_xact_lock(7231884)")) != RK_OK ||
        (rc = pexec(q, "CREATE TABLE IF NOT EXISTS rekap_meta(key TEXT PRIMARY KEY, value TEXT "
                       "NOT NULL)")) != RK_OK ||
        (rc = pg_schema_version(&q->base, &v)) != RK_OK)
        goto fail;
    if (v > PQ_MIGRATION_COUNT) {
        rk_store_set_error(&q->base, "database schema %d is newer than this rekap (%d)", v,
                           PQ_MIGRATION_COUNT);
        rc = RK_EUNSUPPORTED;
        goto fail;
    }
    for (; v < PQ_MIGRATION_COUNT; v++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "INSERT INTO rekap_meta VALUES('schema_version', '%d') ON CONFLICT(key) DO "
                 "UPDATE SET value = excluded.value",
                 v + 1);
        if ((rc = pexec(q, pq_migrations[v])) != RK_OK || (rc = pexec(q, sql)) != RK_OK)
            goto fail;
    }
    return pexec(q, "COMMIT");
fail:
    pexec(q, "ROLLBACK");
    return rc;
}

static int pg_begin(struct rk_store *s)
{
    struct pg_store *q = P(s);
    if (q->in_tx)
        return RK_ECONFLICT;
    int rc = pexec(q, "BEGIN");
    q->in_tx = rc == RK_OK;
    return rc;
}

static int pg_commit(struct rk_store *s)
{
    struct pg_store *q = P(s);
    if (!q->in_tx)
        return RK_ECONFLICT;
    q->in_tx = 0;
    return pexec(q, "COMMIT");
}

static int pg_rollback(struct rk_store *s)
{
    struct pg_store *q = P(s);
    if (!q->in_tx)
        return RK_ECONFLICT;
    q->in_tx = 0;
    return pexec(q, "ROLLBACK");
}

/* Inside an explicit transaction a failed statement aborts the whole transaction in
 * PostgreSQL; SQLite keeps it usable. To behave the same (a caller may try an insert, get
 * RK_EEXIST and go on), each write inside a transaction runs under a savepoint. */
static int guarded(struct pg_store *q, enum pq_stmt id, int n, const char *const *params,
                   PGresult **out)
{
    if (!q->in_tx)
        return run(q, id, n, params, out);
    int rc = pexec(q, "SAVEPOINT rk_sp");
    if (rc != RK_OK)
        return rc;
    rc = run(q, id, n, params, out);
    if (rc != RK_OK) {
        char keep[sizeof q->base.errmsg];
        memcpy(keep, q->base.errmsg, sizeof keep);
        pexec(q, "ROLLBACK TO SAVEPOINT rk_sp");
        memcpy(q->base.errmsg, keep, sizeof keep);
        return rc;
    }
    return pexec(q, "RELEASE SAVEPOINT rk_sp");
}

static int pg_region_put(struct rk_store *s, const struct rk_region *r)
{
    struct pg_store *q = P(s);
    char parent[RK_CODE_MAX + 1], level[8], l[16], p[16];
    if (rk_code_level(r->code) != (int)r->level || r->level < RK_LEVEL_PROVINCE)
        return RK_EINVAL;
    if (rk_code_parent(r->code, parent) != RK_OK)
        return RK_EINVAL;
    snprintf(level, sizeof level, "%d", (int)r->level);
    snprintf(l, sizeof l, "%u", r->dpt_l);
    snprintf(p, sizeof p, "%u", r->dpt_p);
    const char *params[6] = {r->code, parent[0] ? parent : NULL, level, r->name, l, p};
    return guarded(q, PQ_REGION_PUT, 6, params, NULL);
}

static void read_region(PGresult *res, int row, struct rk_region *r)
{
    memset(r, 0, sizeof *r);
    copy_val(r->code, sizeof r->code, res, row, 0);
    copy_val(r->name, sizeof r->name, res, row, 1);
    r->level = (enum rk_level)ival(res, row, 2);
    r->dpt_l = (uint32_t)ival(res, row, 3);
    r->dpt_p = (uint32_t)ival(res, row, 4);
}

static int pg_region_get(struct rk_store *s, const char *code, struct rk_region *out)
{
    struct pg_store *q = P(s);
    PGresult *res;
    const char *params[1] = {code};
    int rc = run(q, PQ_REGION_GET, 1, params, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_region(res, 0, out);
    PQclear(res);
    return rc;
}

static int pg_region_children(struct rk_store *s, const char *code, rk_region_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    PGresult *res;
    const char *params[1] = {code};
    int rc = code[0] ? run(q, PQ_REGION_CHILDREN, 1, params, &res)
                     : run(q, PQ_REGION_CHILDREN_ROOT, 0, NULL, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        struct rk_region r;
        read_region(res, i, &r);
        rc = fn(ud, &r);
    }
    PQclear(res);
    return rc;
}

static int pg_region_counts(struct rk_store *s, const char *code, int64_t counts[RK_LEVEL_COUNT])
{
    struct pg_store *q = P(s);
    PGresult *res;
    const char *params[1] = {code};
    memset(counts, 0, sizeof(int64_t) * RK_LEVEL_COUNT);
    int rc = run(q, PQ_REGION_COUNTS, 1, params, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res); i++) {
        long long level = ival(res, i, 0);
        if (level > 0 && level < RK_LEVEL_COUNT)
            counts[level] = ival(res, i, 1);
    }
    PQclear(res);
    if (!code[0])
        counts[RK_LEVEL_NATIONAL] = 1;
    return RK_OK;
}

static int pg_region_voters(struct rk_store *s, const char *code, int64_t *l, int64_t *p)
{
    struct pg_store *q = P(s);
    PGresult *res;
    const char *params[1] = {code};
    int rc = run(q, PQ_REGION_VOTERS, 1, params, &res);
    if (rc != RK_OK)
        return rc;
    *l = ival(res, 0, 0);
    *p = ival(res, 0, 1);
    PQclear(res);
    return RK_OK;
}

/* Runs an INSERT ... RETURNING id and stores the id. */
static int put_returning(struct pg_store *q, enum pq_stmt id, int n, const char *const *params,
                         int64_t *out_id)
{
    PGresult *res;
    int rc = guarded(q, id, n, params, &res);
    if (rc != RK_OK)
        return rc;
    *out_id = ival(res, 0, 0);
    PQclear(res);
    return RK_OK;
}

static int pg_election_put(struct rk_store *s, struct rk_election *e)
{
    struct pg_store *q = P(s);
    if (rk_election_slug_check(e->slug) != RK_OK || !e->name[0])
        return RK_EINVAL;
    char id[24], kind[8], year[12];
    snprintf(id, sizeof id, "%lld", (long long)e->id);
    snprintf(kind, sizeof kind, "%d", (int)e->kind);
    snprintf(year, sizeof year, "%d", e->year);
    const char *params[5] = {e->id ? id : NULL, e->slug, kind, year, e->name};
    return put_returning(q, PQ_ELECTION_PUT, 5, params, &e->id);
}

static void read_election(PGresult *res, int row, struct rk_election *e)
{
    memset(e, 0, sizeof *e);
    e->id = ival(res, row, 0);
    copy_val(e->slug, sizeof e->slug, res, row, 1);
    e->kind = (enum rk_election_kind)ival(res, row, 2);
    e->year = (int)ival(res, row, 3);
    copy_val(e->name, sizeof e->name, res, row, 4);
}

static int pg_election_get(struct rk_store *s, int64_t id, const char *slug, struct rk_election *out)
{
    struct pg_store *q = P(s);
    char idbuf[24];
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
    const char *params[1] = {slug ? slug : idbuf};
    PGresult *res;
    int rc = run(q, slug ? PQ_ELECTION_BY_SLUG : PQ_ELECTION_GET, 1, params, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_election(res, 0, out);
    PQclear(res);
    return rc;
}

static int pg_election_list(struct rk_store *s, rk_election_visit fn, void *ud)
{
    struct pg_store *q = P(s);
    PGresult *res;
    int rc = run(q, PQ_ELECTION_LIST, 0, NULL, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        struct rk_election e;
        read_election(res, i, &e);
        rc = fn(ud, &e);
    }
    PQclear(res);
    return rc;
}

static int pg_race_put(struct rk_store *s, struct rk_race *r)
{
    struct pg_store *q = P(s);
    if ((int)rk_race_kind_level(r->kind) != rk_code_level(r->region_code) || !r->name[0])
        return RK_EINVAL;
    char id[24], eid[24], kind[8];
    snprintf(id, sizeof id, "%lld", (long long)r->id);
    snprintf(eid, sizeof eid, "%lld", (long long)r->election_id);
    snprintf(kind, sizeof kind, "%d", (int)r->kind);
    const char *params[5] = {r->id ? id : NULL, eid, kind,
                             r->region_code[0] ? r->region_code : NULL, r->name};
    return put_returning(q, PQ_RACE_PUT, 5, params, &r->id);
}

static void read_race(PGresult *res, int row, struct rk_race *r)
{
    memset(r, 0, sizeof *r);
    r->id = ival(res, row, 0);
    r->election_id = ival(res, row, 1);
    r->kind = (enum rk_race_kind)ival(res, row, 2);
    copy_val(r->region_code, sizeof r->region_code, res, row, 3);
    copy_val(r->name, sizeof r->name, res, row, 4);
}

static int pg_race_get(struct rk_store *s, int64_t id, struct rk_race *out)
{
    struct pg_store *q = P(s);
    char idbuf[24];
    snprintf(idbuf, sizeof idbuf, "%lld", (long long)id);
    const char *params[1] = {idbuf};
    PGresult *res;
    int rc = run(q, PQ_RACE_GET, 1, params, &res);
    if (rc != RK_OK)
        return rc;
    rc = PQntuples(res) ? RK_OK : RK_ENOTFOUND;
    if (rc == RK_OK)
        read_race(res, 0, out);
    PQclear(res);
    return rc;
}

static int pg_race_list(struct rk_store *s, int64_t election_id, const char *code, rk_race_visit fn,
                        void *ud)
{
    struct pg_store *q = P(s);
    char eid[24];
    snprintf(eid, sizeof eid, "%lld", (long long)election_id);
    const char *params[2] = {eid, code};
    PGresult *res;
    int rc = run(q, PQ_RACE_LIST, 2, params, &res);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        struct rk_race r;
        read_race(res, i, &r);
        rc = fn(ud, &r);
    }
    PQclear(res);
    return rc;
}

static int pg_candidate_put(struct rk_store *s, struct rk_candidate *c)
{
    struct pg_store *q = P(s);
    if (c->ballot_no < 1 || c->ballot_no > RK_CANDIDATES_MAX || !c->name[0])
        return RK_EINVAL;
    char id[24], rid[24], no[8];
    snprintf(id, sizeof id, "%lld", (long long)c->id);
    snprintf(rid, sizeof rid, "%lld", (long long)c->race_id);
    snprintf(no, sizeof no, "%d", c->ballot_no);
    const char *params[6] = {c->id ? id : NULL, rid, no, c->name, c->color,
                             c->kolom_kosong ? "true" : "false"};
    return put_returning(q, PQ_CANDIDATE_PUT, 6, params, &c->id);
}

static int pg_candidate_list(struct rk_store *s, int64_t race_id, struct rk_candidate *out, int cap,
                             int *n)
{
    struct pg_store *q = P(s);
    char rid[24];
    snprintf(rid, sizeof rid, "%lld", (long long)race_id);
    const char *params[1] = {rid};
    PGresult *res;
    int rc = run(q, PQ_CANDIDATE_LIST, 1, params, &res);
    if (rc != RK_OK)
        return rc;
    *n = PQntuples(res);
    for (int i = 0; i < *n && i < cap; i++) {
        struct rk_candidate *c = &out[i];
        memset(c, 0, sizeof *c);
        c->id = ival(res, i, 0);
        c->race_id = ival(res, i, 1);
        c->ballot_no = (int)ival(res, i, 2);
        copy_val(c->name, sizeof c->name, res, i, 3);
        copy_val(c->color, sizeof c->color, res, i, 4);
        c->kolom_kosong = ival(res, i, 5) != 0;
    }
    PQclear(res);
    return RK_OK;
}

static const struct rk_store_ops pg_ops = {
    .engine = "postgres",
    .close = pg_close,
    .schema_version = pg_schema_version,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .region_put = pg_region_put,
    .region_get = pg_region_get,
    .region_children = pg_region_children,
    .region_counts = pg_region_counts,
    .region_voters = pg_region_voters,
    .election_put = pg_election_put,
    .election_get = pg_election_get,
    .election_list = pg_election_list,
    .race_put = pg_race_put,
    .race_get = pg_race_get,
    .race_list = pg_race_list,
    .candidate_put = pg_candidate_put,
    .candidate_list = pg_candidate_list,
};

int rk_postgres_open(const char *conninfo, struct rk_store **out)
{
    *out = NULL;
    struct pg_store *q = calloc(1, sizeof *q);
    if (!q)
        return RK_ENOMEM;
    q->base.ops = &pg_ops;
    q->conn = PQconnectdb(conninfo);
    if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
        pg_close(&q->base);
        return RK_EDB;
    }
    int rc = pg_migrate(q);
    if (rc != RK_OK) {
        pg_close(&q->base);
        return rc;
    }
    *out = &q->base;
    return RK_OK;
}
