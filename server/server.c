/* The daemon: libmicrohttpd with an internal epoll thread pool, request limits (URL length,
 * body size, connections, timeouts), routing, the store pool, the access log and graceful
 * shutdown. Handlers live in routes.c/static.c and never see libmicrohttpd directly.
 *
 * Request life cycle, as libmicrohttpd drives it:
 *   uri_start()   request line parsed: per-request context, start time, raw target, in-flight++
 *   on_request()  first call (headers only): 414 / route (404, 405) / Content-Length (413) are
 *                 decided here, before any body byte is read, so refusals are cheap;
 *                 body calls: bytes are counted and kept up to max_body; past it the rest is
 *                 drained (bounded) and discarded, because libmicrohttpd cannot queue a reply in
 *                 the middle of a body; final call: dispatch to the handler and queue the reply
 *                 or, for a handler that parked the request (rk_server_park: an upload waiting
 *                 for the group commit), suspend the connection; once the writer unparks it,
 *                 libmicrohttpd calls again and the handler's finish() builds the reply
 *   completed()   access-log line, free the context (a parked handler's state too), in-flight-- */
#include "server/http.h"
#include "rekap/status.h"
#include "rekap/hash.h"
#include "rekap/ratelimit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How far past max_body a chunked upload is drained (then the connection is cut) so the client
 * still gets its 413 for moderately oversized bodies without us reading unbounded data. */
#define DRAIN_MAX ((size_t)4 << 20)

struct store_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rk_store **all;
    struct rk_store **idle;
    unsigned n, nidle;
    struct rk_regcache *regcache; /* shared by all handles: see store/regcache.h */
};

/* Registry rows kept in memory by the pool as it fills lazily: a province's worth of TPS,
 * devices and accounts (3 x ~88,000 at most per province, under 100 MB). The warm-up
 * (warmer()) grows it to the whole registry: national, 1.3 million rows, ~460 MB. */
#define POOL_REGCACHE_ENTRIES (1u << 18)

struct rk_server {
    struct MHD_Daemon *d;
    unsigned short port;
    size_t max_body;
    unsigned grace_s;
    char web_dir[PATH_MAX];
    FILE *log;
    pthread_mutex_t log_mu;
    struct store_pool pool;
    atomic_int inflight;
    atomic_int stopping;
    /* Transparency log: the signing key and the frontier of what was signed so far. */
    struct rk_local_signer signer;
    pthread_mutex_t view_mu;
    struct rk_log_view view;
    struct rk_store *pub_store; /* the publisher's own handle (guarded by view_mu) */
    pthread_t pub;
    int pub_running;
    pthread_mutex_t pub_mu;
    pthread_cond_t pub_cv;
    unsigned publish_ms;
    struct rk_batcher *batcher; /* group-commit writer for submissions */
    /* Registry warm-up (warmer()): its own handle, woken to stop. */
    struct rk_store *warm_store;
    pthread_t warm;
    int warm_running;
    int warm_ok;              /* the last warm-up completed and no registry change came since */
    long long warm_rows;      /* rows it loaded */
    long long warm_clears;    /* the cache's clear count the last warm-up started at (-1: none) */
    pthread_mutex_t warm_mu;
    pthread_cond_t warm_cv;
    int limits_on;
    struct rcache *cache;
    pthread_mutex_t rl_mu;
    struct rk_ratelimit rl_addr, rl_login, rl_write;
    /* The photo reader's read-only parts, shared by every request thread. */
    int reader_on;
    struct rk_digits_model model;
    struct rk_form_template form;
};

/* One per request (not per connection: keep-alive requests each get their own). */
struct req_ctx {
    struct rk_server *srv;
    struct timespec t0; /* CLOCK_MONOTONIC, for dur_ms */
    struct timespec ts; /* CLOCK_REALTIME, for the log's ts */
    char remote[INET6_ADDRSTRLEN];
    char target[RK_SERVER_URL_MAX + 1]; /* raw request target, truncated copy */
    size_t target_len;                  /* its full length */
    char method[16];
    int started;
    int parked; /* the handler parked the request; its finish() is still to run */
    const struct rk_route *route;
    struct rk_req req;
    char *body;
    size_t body_len, body_cap, seen;
    int too_big;
    unsigned status;
    size_t bytes;
};

const char *rk_server_web_dir(const struct rk_server *srv)
{
    return srv->web_dir;
}

unsigned short rk_server_port(const struct rk_server *srv)
{
    return srv->port;
}

const char *rk_req_query(const struct rk_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *rk_req_header(const struct rk_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* ---- store pool ---- */

static int pool_open(struct store_pool *p, const char *uri, unsigned n)
{
    p->all = calloc(n, sizeof *p->all);
    p->idle = calloc(n, sizeof *p->idle);
    if (!p->all || !p->idle) return RK_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    int rc = rk_regcache_new(POOL_REGCACHE_ENTRIES, &p->regcache);
    if (rc != RK_OK) return rc;
    for (unsigned i = 0; i < n; i++) {
        rc = rk_store_open(uri, &p->all[i]);
        if (rc != RK_OK) return rc;
        rk_store_attach_cache(p->all[i], p->regcache);
        rk_store_leave_checkpoints(p->all[i]); /* the batcher's thread copies the log back */
        p->n++;
        p->idle[p->nidle++] = p->all[i];
    }
    return RK_OK;
}

static void pool_close(struct store_pool *p)
{
    for (unsigned i = 0; i < p->n; i++)
        rk_store_close(p->all[i]);
    if (p->regcache && getenv("REKAP_SERVE_STATS")) {
        long long h, m, c;
        rk_regcache_stats(p->regcache, &h, &m, &c);
        fprintf(stderr, "regcache: %lld hits, %lld misses, %lld clears\n", h, m, c);
    }
    rk_regcache_free(p->regcache);
    if (p->all) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    }
    free(p->all);
    free(p->idle);
    memset(p, 0, sizeof *p);
}

/* There are as many handles as worker threads and a handler runs to completion on its thread,
 * so the wait is only ever for a handle being given back. */
static struct rk_store *pool_get(struct store_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->nidle == 0)
        pthread_cond_wait(&p->cv, &p->mu);
    struct rk_store *s = p->idle[--p->nidle];
    pthread_mutex_unlock(&p->mu);
    return s;
}

static void pool_put(struct store_pool *p, struct rk_store *s)
{
    pthread_mutex_lock(&p->mu);
    p->idle[p->nidle++] = s;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* ---- routing ---- */

/* Matches path against pattern, capturing {} segments into req. */
static int route_match(const char *pattern, const char *path, struct rk_req *req)
{
    int np = 0;
    const char *p = pattern, *s = path;
    while (*p) {
        if (p[0] == '{' && p[1] == '*' && p[2] == '}' && p[3] == '\0') {
            size_t n = strlen(s);
            if (n == 0 || n > RK_ROUTE_PARAM_LEN || np == RK_ROUTE_PARAMS_MAX) return 0;
            memcpy(req->params[np++], s, n + 1);
            req->nparams = np;
            return 1;
        }
        if (p[0] == '{' && p[1] == '}') {
            size_t n = strcspn(s, "/");
            if (n == 0 || n > RK_ROUTE_PARAM_LEN || np == RK_ROUTE_PARAMS_MAX) return 0;
            memcpy(req->params[np], s, n);
            req->params[np++][n] = '\0';
            s += n;
            p += 2;
            continue;
        }
        if (*p != *s) return 0;
        p++, s++;
    }
    if (*s) return 0;
    req->nparams = np;
    return 1;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
    if (strstr(allow, method)) return;
    size_t n = strlen(allow);
    snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", method);
}

/* Finds the route for method+path. Returns it, or NULL with req->reply.allow filled when the
 * path exists under other methods (405) and empty when it does not exist at all (404). */
static const struct rk_route *route_find(const char *method, const char *path, struct rk_req *req)
{
    int head = strcmp(method, "HEAD") == 0;
    req->reply.allow[0] = '\0';
    for (const struct rk_route *r = rk_routes; r->method; r++) {
        if (!route_match(r->pattern, path, req)) continue;
        if (strcmp(r->method, method) == 0 || (head && strcmp(r->method, "GET") == 0)) return r;
        allow_add(req->reply.allow, sizeof req->reply.allow, r->method);
        if (strcmp(r->method, "GET") == 0)
            allow_add(req->reply.allow, sizeof req->reply.allow, "HEAD");
    }
    req->nparams = 0;
    return NULL;
}

/* ---- replies ---- */

static enum MHD_Result queue(struct MHD_Connection *conn, struct req_ctx *c)
{
    struct rk_reply *rp = &c->req.reply;
    unsigned http = rp->http > 0 ? (unsigned)rp->http : 500;
    char etag[35] = "";
    int not_modified = 0;
    if (rp->etag && http == 200) {
        rk_etag(rp->body ? rp->body : "", rp->len, etag);
        const char *inm =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        not_modified = inm && rk_etag_match(inm, etag) &&
                       (strcmp(c->method, "GET") == 0 || strcmp(c->method, "HEAD") == 0);
    }
    struct MHD_Response *resp;
    if (not_modified) {
        http = MHD_HTTP_NOT_MODIFIED;
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer(rp->len, rp->body, MHD_RESPMEM_MUST_FREE);
        if (resp) rp->body = NULL; /* now owned by libmicrohttpd */
    }
    if (!resp) return MHD_NO;
    if (rp->content_type && !not_modified)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rp->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            rp->cache_control ? rp->cache_control : "no-store");
    if (etag[0]) MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    if (rp->retry_after_s > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", rp->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (rp->allow[0] && http == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rp->allow);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, rk_server_name);
    /* While shutting down, ask clients not to reuse the connection. */
    if (atomic_load(&c->srv->stopping))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    c->status = http;
    c->bytes = not_modified || strcmp(c->method, "HEAD") == 0 ? 0 : rp->len;
    enum MHD_Result ret = MHD_queue_response(conn, http, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result queue_error(struct MHD_Connection *conn, struct req_ctx *c, int http,
                                   int status, const char *code, const char *en, const char *id)
{
    rk_reply_error(&c->req, http, status, code, en, id);
    return queue(conn, c);
}

/* ---- request life cycle ---- */

static void *uri_start(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct rk_server *srv = cls;
    struct req_ctx *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->srv = srv;
    clock_gettime(CLOCK_MONOTONIC, &c->t0);
    clock_gettime(CLOCK_REALTIME, &c->ts);
    c->target_len = strlen(uri);
    /* Logged bytes must be valid JSON text: anything outside printable ASCII becomes '?'. */
    size_t n = c->target_len < RK_SERVER_URL_MAX ? c->target_len : RK_SERVER_URL_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)uri[i];
        c->target[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    c->target[n] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, c->remote,
                      sizeof c->remote);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                      c->remote, sizeof c->remote);
    }
    atomic_fetch_add(&srv->inflight, 1);
    return c;
}

static void log_request(struct rk_server *srv, const struct req_ctx *c)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dur =
        (double)(t1.tv_sec - c->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - c->t0.tv_nsec) / 1e6;
    struct tm tm;
    gmtime_r(&c->ts.tv_sec, &tm);
    char ts[40];
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, c->ts.tv_nsec / 1000000);
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:f}", "ts", ts, "remote", c->remote, "method",
                          c->method[0] ? c->method : "-", "path", c->target, "status",
                          (int)c->status, "bytes", (json_int_t)c->bytes, "dur_ms",
                          (double)(long long)(dur * 1000.0) / 1000.0);
    char *line =
        j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(j);
    if (!line) return;
    pthread_mutex_lock(&srv->log_mu);
    fputs(line, srv->log);
    fputc('\n', srv->log);
    fflush(srv->log);
    pthread_mutex_unlock(&srv->log_mu);
    free(line);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct rk_server *srv = cls;
    struct req_ctx *c = *con_cls;
    if (!c) return;
    if (srv->log) log_request(srv, c);
    if (c->req.drop) c->req.drop(&c->req); /* parked, and never finished (connection cut) */
    free(c->body);
    free(c->req.reply.body);
    free(c);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* Parses a Content-Length value; returns 0 and sets *out, or -1 when absent/odd (then the
 * byte count while reading is the only guard, which is enough). */
static int content_length(struct MHD_Connection *conn, uint64_t *out)
{
    const char *v =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!v) return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || *end || errno) return -1;
    *out = n;
    return 0;
}

/* First call: everything that can be refused without reading the body is refused here. */
/* The body cap of this request: its route's own, else the server's. */
static size_t body_cap(const struct req_ctx *c)
{
    return c->route && c->route->max_body ? c->route->max_body : c->srv->max_body;
}

static enum MHD_Result on_headers(struct MHD_Connection *conn, struct req_ctx *c, const char *url,
                                  const char *method)
{
    snprintf(c->method, sizeof c->method, "%s", method);
    c->req.srv = c->srv;
    c->req.conn = conn;
    c->req.method = c->method;
    c->req.path = url;
    if (c->target_len > RK_SERVER_URL_MAX)
        return queue_error(conn, c, 414, RK_ERANGE, "uri_too_long", "request URI too long",
                           "alamat permintaan terlalu panjang");
    c->route = route_find(method, url, &c->req);
    if (!c->route && c->req.reply.allow[0])
        return queue_error(conn, c, 405, RK_EINVAL, "method_not_allowed", "method not allowed",
                           "metode tidak diizinkan");
    if (!c->route)
        return queue_error(conn, c, 404, RK_ENOTFOUND, NULL, "no such endpoint",
                           "alamat tidak ditemukan");
    int64_t wait_ms = 0;
    if (c->srv->limits_on) {
        pthread_mutex_lock(&c->srv->rl_mu);
        bool ok = rk_ratelimit_take(&c->srv->rl_addr, c->remote, strlen(c->remote), rk_now_ms(), 1,
                                    &wait_ms);
        pthread_mutex_unlock(&c->srv->rl_mu);
        if (!ok) {
            c->req.reply.retry_after_s = (int)(wait_ms / 1000) + 1;
            return queue_error(conn, c, 429, RK_ERATELIMIT, NULL,
                               "too many requests from your address; wait a moment",
                               "terlalu banyak permintaan dari alamat Anda; tunggu sebentar");
        }
    }
    uint64_t clen;
    if (content_length(conn, &clen) == 0 && clen > body_cap(c))
        return queue_error(conn, c, 0, RK_ETOOBIG, NULL, "request body too large",
                           "isi permintaan terlalu besar");
    return MHD_YES;
}

static enum MHD_Result on_body(struct req_ctx *c, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    c->seen += n;
    if (c->too_big || c->seen > body_cap(c)) {
        free(c->body);
        c->body = NULL;
        c->body_len = 0;
        c->too_big = 1;
        /* Drained enough: cut the connection rather than read an unbounded upload. */
        return c->seen - body_cap(c) > DRAIN_MAX ? MHD_NO : MHD_YES;
    }
    if (c->body_len + n + 1 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 4096;
        while (cap < c->body_len + n + 1)
            cap *= 2;
        if (cap > body_cap(c) + 1) cap = body_cap(c) + 1;
        char *nb = realloc(c->body, cap);
        if (!nb) return MHD_NO;
        c->body = nb;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, data, n);
    c->body_len += n;
    c->body[c->body_len] = '\0';
    return MHD_YES;
}

/* ---- response cache for public reads ---- */

#define RCACHE_SLOTS 8192
#define RCACHE_BODY_MAX ((size_t)4 << 20)

struct rcache_entry {
    uint64_t hash;
    char *key;
    char *body;
    size_t len;
    const char *type;  /* static strings from handlers */
    const char *cache_control;
    int etag;
    int64_t at_ms;
};

struct rcache {
    pthread_mutex_t mu;
    unsigned ttl_ms;
    struct rcache_entry e[RCACHE_SLOTS];
};

/* Whether this request may be answered from / stored in the cache. */
static int cacheable(struct MHD_Connection *conn, const struct req_ctx *c)
{
    return c->srv->cache && strcmp(c->method, "GET") == 0 && c->route->needs_store &&
           !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
}

static int rcache_get(struct rcache *rc, const char *key, struct rk_reply *out)
{
    uint64_t h = rk_hash_str(0, key);
    struct rcache_entry *e = &rc->e[h % RCACHE_SLOTS];
    int hit = 0;
    pthread_mutex_lock(&rc->mu);
    if (e->key && e->hash == h && strcmp(e->key, key) == 0 && rk_now_ms() - e->at_ms < rc->ttl_ms) {
        char *copy = malloc(e->len ? e->len : 1);
        if (copy) {
            memcpy(copy, e->body, e->len);
            out->http = 200;
            out->body = copy;
            out->len = e->len;
            out->content_type = e->type;
            out->cache_control = e->cache_control;
            out->etag = e->etag;
            hit = 1;
        }
    }
    pthread_mutex_unlock(&rc->mu);
    return hit;
}

static void rcache_put(struct rcache *rc, const char *key, const struct rk_reply *r)
{
    if (r->http != 200 || !r->body || r->len > RCACHE_BODY_MAX ||
        (r->cache_control && strstr(r->cache_control, "no-store")))
        return;
    char *k = strdup(key), *b = malloc(r->len ? r->len : 1);
    if (!k || !b) {
        free(k);
        free(b);
        return;
    }
    memcpy(b, r->body, r->len);
    uint64_t h = rk_hash_str(0, key);
    struct rcache_entry *e = &rc->e[h % RCACHE_SLOTS];
    pthread_mutex_lock(&rc->mu);
    free(e->key);
    free(e->body);
    *e = (struct rcache_entry){h, k, b, r->len, r->content_type, r->cache_control, r->etag,
                               rk_now_ms()};
    pthread_mutex_unlock(&rc->mu);
}

static void rcache_free(struct rcache *rc)
{
    if (!rc)
        return;
    for (size_t i = 0; i < RCACHE_SLOTS; i++) {
        free(rc->e[i].key);
        free(rc->e[i].body);
    }
    pthread_mutex_destroy(&rc->mu);
    free(rc);
}

void rk_server_park(struct rk_req *req)
{
    MHD_suspend_connection(req->conn);
}

void rk_server_unpark(void *req)
{
    MHD_resume_connection(((struct rk_req *)req)->conn);
}

/* The handler's return, then its reply (or the error for rc) queued; or, when it parked the
 * request, nothing yet: the connection stays suspended until unparked. */
static enum MHD_Result answer(struct MHD_Connection *conn, struct req_ctx *c, int rc)
{
    struct rk_req *req = &c->req;
    if (rc == RK_OK && req->finish && req->reply.http == 0) {
        c->parked = 1;
        return MHD_YES;
    }
    if (rc != RK_OK)
        rk_reply_error(req, 0, rc, NULL, req->err_en, req->err_id);
    else if (req->reply.http == 0)
        rk_reply_error(req, 0, RK_EINTERNAL, NULL, NULL, NULL);
    return queue(conn, c);
}

static enum MHD_Result dispatch(struct MHD_Connection *conn, struct req_ctx *c)
{
    if (c->parked) {
        /* unparked: the finish frees what the handler left, and is not run twice */
        int (*finish)(struct rk_req *) = c->req.finish;
        c->req.finish = NULL;
        c->req.drop = NULL;
        c->parked = 0;
        return answer(conn, c, finish(&c->req));
    }
    if (c->too_big)
        return queue_error(conn, c, 0, RK_ETOOBIG, NULL, "request body too large",
                           "isi permintaan terlalu besar");
    struct rk_req *req = &c->req;
    req->body = c->body;
    req->body_len = c->body_len;
    int use_cache = cacheable(conn, c);
    if (use_cache && rcache_get(c->srv->cache, c->target, &req->reply))
        return queue(conn, c);
    if (c->route->needs_store) req->store = pool_get(&c->srv->pool);
    int rc = c->route->fn(req);
    if (req->store) {
        /* A handler that failed mid-transaction must not leave it open for the next user. */
        if (rc != RK_OK) rk_store_rollback(req->store);
        pool_put(&c->srv->pool, req->store);
        req->store = NULL;
    }
    if (rc == RK_OK && use_cache && req->reply.http != 0)
        rcache_put(c->srv->cache, c->target, &req->reply);
    return answer(conn, c, rc);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct req_ctx *c = *con_cls;
    if (!c) return MHD_NO; /* context allocation failed in uri_start */
    if (!c->started) {
        c->started = 1;
        return on_headers(conn, c, url, method);
    }
    if (*upload_data_size) return on_body(c, upload_data, upload_data_size);
    return dispatch(conn, c);
}

/* ---- start / stop ---- */

static int parse_bind(const char *addr, unsigned short port, struct sockaddr_storage *ss, int *v6)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *v6 = 0;
        return RK_OK;
    }
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *v6 = 1;
        return RK_OK;
    }
    return RK_EINVAL;
}

/* Stops a background thread that loops while *running (under mu) and waits on cv; true
 * when there was one to stop. */
static bool stop_thread(pthread_mutex_t *mu, pthread_cond_t *cv, int *running, pthread_t t)
{
    if (!*running)
        return false;
    pthread_mutex_lock(mu);
    *running = 0;
    pthread_cond_signal(cv);
    pthread_mutex_unlock(mu);
    pthread_join(t, NULL);
    return true;
}

static void server_free(struct rk_server *srv)
{
    stop_thread(&srv->warm_mu, &srv->warm_cv, &srv->warm_running, srv->warm);
    rk_store_close(srv->warm_store);
    pthread_mutex_destroy(&srv->warm_mu);
    pthread_cond_destroy(&srv->warm_cv);
    if (stop_thread(&srv->pub_mu, &srv->pub_cv, &srv->pub_running, srv->pub))
        rk_server_publish(srv); /* a last head covering everything accepted */
    if (srv->batcher && getenv("REKAP_SERVE_STATS")) {
        long long jobs, commits, checkpoints;
        rk_batcher_stats(srv->batcher, &jobs, &commits, &checkpoints);
        fprintf(stderr, "batcher: %lld jobs, %lld commits, %lld checkpoints beside the writer\n",
                jobs, commits, checkpoints);
    }
    rk_batcher_stop(srv->batcher);
    rcache_free(srv->cache);
    rk_ratelimit_free(&srv->rl_addr);
    rk_ratelimit_free(&srv->rl_login);
    rk_ratelimit_free(&srv->rl_write);
    pthread_mutex_destroy(&srv->rl_mu);
    rk_store_close(srv->pub_store);
    rk_local_signer_free(&srv->signer);
    pthread_mutex_destroy(&srv->view_mu);
    pthread_mutex_destroy(&srv->pub_mu);
    pthread_cond_destroy(&srv->pub_cv);
    pool_close(&srv->pool);
    pthread_mutex_destroy(&srv->log_mu);
    rk_digits_model_free(&srv->model);
    rk_form_template_free(&srv->form);
    free(srv);
}

int rk_server_rate(struct rk_req *req, enum rk_rate_kind kind, const char *key)
{
    struct rk_server *srv = req->srv;
    if (!srv->limits_on)
        return RK_OK;
    struct rk_ratelimit *rl = kind == RK_RATE_LOGIN ? &srv->rl_login : &srv->rl_write;
    int64_t wait_ms = 0;
    pthread_mutex_lock(&srv->rl_mu);
    bool ok = rk_ratelimit_take(rl, key, strlen(key), rk_now_ms(), 1, &wait_ms);
    pthread_mutex_unlock(&srv->rl_mu);
    if (ok)
        return RK_OK;
    req->reply.retry_after_s = (int)(wait_ms / 1000) + 1;
    return kind == RK_RATE_LOGIN
               ? rk_req_fail(req, RK_ERATELIMIT, "too many login attempts; wait a minute",
                             "terlalu banyak percobaan masuk; tunggu satu menit")
               : rk_req_fail(req, RK_ERATELIMIT, "too many writes from this account; slow down",
                             "terlalu banyak kiriman dari akun ini; pelan-pelan");
}

int rk_server_publish(struct rk_server *srv)
{
    pthread_mutex_lock(&srv->view_mu);
    struct rk_sth sth;
    int rc = rk_log_publish(srv->pub_store, &srv->view, &srv->signer.signer, rk_now_ms(), &sth);
    pthread_mutex_unlock(&srv->view_mu);
    return rc;
}

struct rk_batcher *rk_server_batcher(const struct rk_server *srv)
{
    return srv->batcher;
}

const struct rk_signer *rk_server_signer(const struct rk_server *srv)
{
    return &srv->signer.signer;
}

const char *rk_server_log_id(const struct rk_server *srv)
{
    return srv->view.log_id;
}

int64_t rk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits on cv (mu held) for at most ms milliseconds. */
static void wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cv, mu, &until);
}

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One warm-up (rk_store_warm_step), paced: after each step of WARM_STEP_ROWS rows it sleeps
 * three times as long as the step took, so it takes at most a quarter of one core from the
 * uploads (after a restart in the middle of the night they come first). Not by a lower nice
 * value: the warm-up takes the cache's lock for every row, and a thread the scheduler puts
 * off while holding it would stall every request thread behind it. Called and returns with
 * warm_mu held; stops early when the server stops. */
#define WARM_STEP_ROWS 2000
static void warm_once(struct rk_server *srv, bool stats)
{
    struct rk_warm w;
    rk_store_warm_begin(&w);
    double t0 = mono_ms(), busy = 0;
    int rc = RK_OK;
    while (srv->warm_running && !w.done) {
        pthread_mutex_unlock(&srv->warm_mu);
        double s0 = mono_ms();
        rc = rk_store_warm_step(srv->warm_store, &w, WARM_STEP_ROWS);
        double took = mono_ms() - s0;
        busy += took;
        pthread_mutex_lock(&srv->warm_mu);
        if (rc != RK_OK)
            break;
        if (srv->warm_running && !w.done)
            wait_ms(&srv->warm_cv, &srv->warm_mu, (unsigned)(3 * took) + 1);
    }
    if (rc == RK_OK && w.done) {
        srv->warm_ok = 1;
        srv->warm_rows = (long long)w.rows;
    }
    if (stats)
        fprintf(stderr, "regcache: warmed with %lld rows in %.0f ms (%.0f ms working, %s)\n",
                (long long)w.rows, mono_ms() - t0, busy, rk_strerror(rc));
}

const char *rk_server_warm_state(struct rk_server *srv, long long *rows)
{
    if (!srv->warm_store || !srv->pool.regcache) {
        *rows = 0;
        return "off";
    }
    long long hits, misses, clears;
    rk_regcache_stats(srv->pool.regcache, &hits, &misses, &clears);
    pthread_mutex_lock(&srv->warm_mu);
    *rows = srv->warm_rows;
    /* a registry change since emptied the cache: cold until the next warm-up */
    bool warm = srv->warm_ok && clears == srv->warm_clears;
    pthread_mutex_unlock(&srv->warm_mu);
    return warm ? "warm" : "warming";
}

/* Fills the registry cache with every TPS, account and device key, at start and again (at
 * most once a minute) after a registry change emptied it: an upload then reads none of those
 * rows from the database (store/regcache.h, rk_store_warm_step). Runs beside the request
 * threads, which meanwhile fill the cache as before. */
static void *warmer(void *arg)
{
    struct rk_server *srv = arg;
    bool stats = getenv("REKAP_SERVE_STATS") != NULL;
    pthread_mutex_lock(&srv->warm_mu);
    while (srv->warm_running) {
        long long hits, misses, clears;
        rk_regcache_stats(srv->pool.regcache, &hits, &misses, &clears);
        if (clears != srv->warm_clears) {
            srv->warm_ok = 0;
            srv->warm_clears = clears;
            warm_once(srv, stats);
        }
        if (srv->warm_running)
            wait_ms(&srv->warm_cv, &srv->warm_mu, 60000);
    }
    pthread_mutex_unlock(&srv->warm_mu);
    return NULL;
}

/* Background publisher: a signed tree head at most publish_ms after the log grows, so a
 * witness's receipt is covered by a head within a second or so. */
static void *publisher(void *arg)
{
    struct rk_server *srv = arg;
    pthread_mutex_lock(&srv->pub_mu);
    while (srv->pub_running) {
        wait_ms(&srv->pub_cv, &srv->pub_mu, srv->publish_ms);
        if (!srv->pub_running)
            break;
        pthread_mutex_unlock(&srv->pub_mu);
        rk_server_publish(srv);
        pthread_mutex_lock(&srv->pub_mu);
    }
    pthread_mutex_unlock(&srv->pub_mu);
    return NULL;
}

/* Loads the signing key, creating it (0600) on first start. */
static int load_key(struct rk_server *srv, const char *path)
{
    uint8_t seed[32];
    int rc;
    if (!path) {
        rk_signer_seed_generate(seed);
    } else if ((rc = rk_signer_key_load(path, seed)) == RK_ENOTFOUND || rc == RK_EIO) {
        if (access(path, F_OK) == 0)
            return rc; /* exists but unreadable: never replace a key */
        rk_signer_seed_generate(seed);
        if ((rc = rk_signer_key_save(path, seed)) != RK_OK)
            return rc;
    } else if (rc != RK_OK) {
        return rc;
    }
    rc = rk_local_signer_init(&srv->signer, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

/* Loads the digit model and the built-in form layout for POST /api/read. */
static int load_reader(struct rk_server *srv, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return RK_EIO;
    size_t cap = RK_DIGITS_MAX_FILE + 1u;
    uint8_t *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (!buf)
        return RK_ENOMEM;
    int rc = n < cap ? rk_digits_model_parse(&srv->model, buf, n) : RK_ETOOBIG;
    free(buf);
    struct rk_form_error err;
    if (rc == RK_OK)
        rc = rk_form_template_builtin(&srv->form, &err);
    srv->reader_on = rc == RK_OK;
    return rc;
}

int rk_server_reader_parts(const struct rk_server *srv, const struct rk_digits_model **m,
                           const struct rk_form_template **t)
{
    if (!srv->reader_on)
        return RK_EUNSUPPORTED;
    *m = &srv->model;
    *t = &srv->form;
    return RK_OK;
}

int rk_server_start(const struct rk_server_config *cfg, struct rk_server **out)
{
    *out = NULL;
    if (!cfg || !cfg->db_uri) return RK_EINVAL;
    if (sodium_init() < 0) return RK_EINTERNAL;
    struct sockaddr_storage ss;
    int v6 = 0;
    if (parse_bind(cfg->bind_addr ? cfg->bind_addr : "127.0.0.1", cfg->port, &ss, &v6) != RK_OK)
        return RK_EINVAL;
    struct rk_server *srv = calloc(1, sizeof *srv);
    if (!srv) return RK_ENOMEM;
    pthread_mutex_init(&srv->log_mu, NULL);
    pthread_mutex_init(&srv->view_mu, NULL);
    pthread_mutex_init(&srv->pub_mu, NULL);
    pthread_cond_init(&srv->pub_cv, NULL);
    pthread_mutex_init(&srv->warm_mu, NULL);
    pthread_cond_init(&srv->warm_cv, NULL);
    srv->publish_ms = cfg->publish_ms ? cfg->publish_ms : 1000;
    pthread_mutex_init(&srv->rl_mu, NULL);
    uint8_t secret[16];
    randombytes_buf(secret, sizeof secret);
    double addr_rate = cfg->rate_addr ? cfg->rate_addr : 200;
    if (rk_ratelimit_init(&srv->rl_addr, 1 << 16, addr_rate, 2 * addr_rate, secret) != RK_OK ||
        rk_ratelimit_init(&srv->rl_login, 1 << 14, 10.0 / 60.0, 10, secret) != RK_OK ||
        rk_ratelimit_init(&srv->rl_write, 1 << 18, 2.0, 60, secret) != RK_OK) {
        server_free(srv);
        return RK_ENOMEM;
    }
    srv->limits_on = !cfg->no_rate_limit;
    if (!cfg->no_cache) {
        srv->cache = calloc(1, sizeof *srv->cache);
        if (!srv->cache) {
            server_free(srv);
            return RK_ENOMEM;
        }
        pthread_mutex_init(&srv->cache->mu, NULL);
        srv->cache->ttl_ms = cfg->cache_ms ? cfg->cache_ms : 1000;
    }
    if (load_key(srv, cfg->key_file) != RK_OK ||
        rk_log_view_init(&srv->view, cfg->log_id ? cfg->log_id : "rekap") != RK_OK) {
        server_free(srv);
        return RK_EINVAL;
    }
    if (rk_store_open(cfg->db_uri, &srv->pub_store) != RK_OK ||
        rk_batcher_start(cfg->db_uri, 0, &srv->batcher) != RK_OK) {
        server_free(srv);
        return RK_EDB;
    }
    rk_store_leave_checkpoints(srv->pub_store); /* as the request handles (pool_open) */
    if (cfg->model_file && load_reader(srv, cfg->model_file) != RK_OK) {
        server_free(srv);
        return RK_EPARSE;
    }
    srv->max_body = cfg->max_body ? cfg->max_body : RK_SERVER_MAX_BODY_DEFAULT;
    srv->grace_s = cfg->grace_s ? cfg->grace_s : RK_SERVER_GRACE_DEFAULT;
    srv->log = cfg->access_log;
    const char *web = cfg->web_dir ? cfg->web_dir : REKAP_WEB_DIR;
    /* Canonical web root: static.c compares resolved file paths against it. A missing default
     * only disables the pages; a missing directory the operator named is an error. */
    if (!realpath(web, srv->web_dir)) {
        if (cfg->web_dir) {
            server_free(srv);
            return RK_EINVAL;
        }
        srv->web_dir[0] = '\0';
    }
    unsigned threads = cfg->threads;
    if (threads == 0) {
        /* An upload waiting for the group commit parks its request (rk_server_park) and
         * holds no thread, so the batch is every upload in flight whatever this number. The
         * other writes (corrections, approvals, photos, logins with their Argon2id) still
         * block a thread each, and each thread also serves the connections that landed on it:
         * 32 per core keeps those from queueing behind one another. (Before parking, 64
         * threads on 2 cores took 33 % more uploads a second than 32; with it, 8 threads gave
         * the same p99 at 5,000 uploads/s as 64, docs/benchmarks.md.) */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n * 32 : 32;
        if (threads < 32)
            threads = 32;
    }
    if (threads > RK_SERVER_THREADS_MAX) threads = RK_SERVER_THREADS_MAX;
    int rc = pool_open(&srv->pool, cfg->db_uri, threads);
    if (rc != RK_OK) {
        server_free(srv);
        return rc == RK_ENOMEM ? rc : RK_EDB;
    }
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (v6) flags |= MHD_USE_IPv6;
    srv->d = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        cfg->conn_limit ? cfg->conn_limit : RK_SERVER_CONN_LIMIT_DEFAULT,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s ? cfg->timeout_s : RK_SERVER_TIMEOUT_DEFAULT,
        MHD_OPTION_URI_LOG_CALLBACK, uri_start, srv, MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
        /* A client trickling bytes keeps resetting the idle timeout, so slowloris is bounded by
         * how many connections one address may hold instead (0 = no per-address cap). */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)(cfg->no_rate_limit ? 0
                   : cfg->conn_per_addr ? cfg->conn_per_addr : RK_SERVER_CONN_PER_ADDR_DEFAULT),
        MHD_OPTION_END);
    if (!srv->d) {
        server_free(srv);
        return RK_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : cfg->port;
    srv->pub_running = 1;
    if (pthread_create(&srv->pub, NULL, publisher, srv) != 0)
        srv->pub_running = 0;
    /* A cold cache only costs speed, so a failure here is not one to refuse to start over. */
    if (!cfg->no_warm && rk_store_open(cfg->db_uri, &srv->warm_store) == RK_OK) {
        rk_store_attach_cache(srv->warm_store, srv->pool.regcache);
        rk_store_leave_checkpoints(srv->warm_store);
        srv->warm_running = 1;
        srv->warm_clears = -1; /* never warmed */
        if (pthread_create(&srv->warm, NULL, warmer, srv) != 0) {
            srv->warm_running = 0;
            rk_store_close(srv->warm_store);
            srv->warm_store = NULL;
        }
    }
    *out = srv;
    return RK_OK;
}

void rk_server_stop(struct rk_server *srv)
{
    if (!srv) return;
    atomic_store(&srv->stopping, 1);
    /* The listening socket is refused new connections at once (shutdown) but closed only after
     * MHD_stop_daemon: each pool thread takes it out of its own epoll set when it notices the
     * quiesce, and closing it before that made epoll_ctl fail, which libmicrohttpd answers with
     * abort() ("Failed to remove listen FD from epoll set", seen once at the end of a
     * benchmark run) and the last signed tree head was never published. */
    MHD_socket lfd = MHD_quiesce_daemon(srv->d);
    if (lfd != MHD_INVALID_SOCKET) shutdown(lfd, SHUT_RDWR);
    /* In-flight = request line received and not yet completed. Idle keep-alive connections do
     * not count: they are closed by MHD_stop_daemon. */
    struct timespec nap = {0, 10 * 1000 * 1000};
    for (unsigned waited = 0; atomic_load(&srv->inflight) > 0 && waited < srv->grace_s * 100;
         waited++)
        nanosleep(&nap, NULL);
    /* libmicrohttpd aborts when stopped with a connection still suspended: run every queued
     * upload first, which unparks each; later ones are refused and unpark themselves. */
    rk_batcher_drain(srv->batcher);
    MHD_stop_daemon(srv->d);
    if (lfd != MHD_INVALID_SOCKET) close(lfd);
    server_free(srv);
}
