/* Internal interface of the HTTP layer: the request a handler sees, the reply it builds, and the
 * route table. Adding an endpoint is one handler plus one row in rk_routes (server/routes.c).
 *
 * A handler either fills req->reply through one of the rk_reply_* helpers and returns RK_OK, or
 * returns a negative rk_status; the dispatcher then answers with the JSON error for it (HTTP code
 * from rk_status_http). rk_req_fail lets a handler give a more precise message than the
 * status's generic one. */
#ifndef REKAP_SERVER_HTTP_H
#define REKAP_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "server/server.h"
#include "store/store.h"
#include "store/pipeline.h"
#include "store/batch.h"
#include "rekap/digits.h"
#include "rekap/form.h"

#define RK_ROUTE_PARAMS_MAX 4
#define RK_ROUTE_PARAM_LEN 255 /* a captured path segment longer than this does not match */

struct rk_server;

/* What a handler answers with. body is malloc'd and owned by the reply. */
struct rk_reply {
    int http; /* 0 = not set */
    char *body;
    size_t len;
    const char *content_type;  /* static string */
    const char *cache_control; /* static string */
    int etag;                  /* add an ETag and honour If-None-Match */
    char allow[64];            /* Allow header for 405, "" otherwise */
    int retry_after_s;         /* Retry-After for 429/503, 0 = none */
};

struct rk_req {
    struct rk_server *srv;
    void *conn;         /* struct MHD_Connection *, opaque to handlers */
    const char *method; /* "GET", "POST", ...; HEAD is routed as GET */
    const char *path;   /* decoded path without the query string */
    char params[RK_ROUTE_PARAMS_MAX][RK_ROUTE_PARAM_LEN + 1]; /* {} segments, in order */
    int nparams;
    const char *body; /* request body, NUL-terminated; NULL when none */
    size_t body_len;
    struct rk_store *store;      /* this request's store handle, exclusive while it runs */
    const char *err_en, *err_id; /* optional precise error text (static strings) */
    struct rk_reply reply;
    /* A handler that parks the request (rk_server_park) sets finish, and drop where it left
     * state in park: finish builds the reply once unparked (no store handle then) and frees
     * that state; drop frees it when the request ends without finishing. */
    int (*finish)(struct rk_req *req);
    void (*drop)(struct rk_req *req);
    void *park;
};

typedef int (*rk_handler)(struct rk_req *req);

/* A route: method ("GET", "POST"...) and a pattern of literal segments and "{}" segments, each
 * "{}" capturing one non-empty path segment into req->params. A pattern ending in "{*}" captures
 * the rest of the path (any number of segments) as its last parameter. */
struct rk_route {
    const char *method;
    const char *pattern;
    rk_handler fn;
    int needs_store; /* 0 for handlers that never touch the store (static files) */
    size_t max_body; /* this route's body cap; 0 = the server's (--max-body) */
};

/* Static-file handlers (server/static.c): GET / and GET /static/{*}; the KPPS app and the
 * recap console under /kpps/ and /console/ (index at the bare prefix, files below it). */
int rk_static_index(struct rk_req *req);
int rk_static_file(struct rk_req *req);
int rk_static_app_index(struct rk_req *req);
int rk_static_app_file(struct rk_req *req);

/* QR codes (server/qr.c). rk_qr_svg renders text[0..len) (1..RK_QR_TEXT_MAX bytes, no NUL)
 * as an SVG QR code (EC level M, 4-module quiet zone, one <path> of dark runs
 * "M<x> <y>h<n>v1h-<n>z" in module units) into a malloc'd *out. Returns RK_OK, RK_EINVAL
 * (empty or embedded NUL), RK_ETOOBIG, RK_ENOMEM. rk_h_qr serves GET /api/qr?text=. */
#define RK_QR_TEXT_MAX 1024
int rk_qr_svg(const char *text, size_t len, char **out, size_t *out_len);
int rk_h_qr(struct rk_req *req);

/* The table, terminated by a row with NULL method (server/routes.c). */
extern const struct rk_route rk_routes[];

/* Shared JSON shapes and lookups of the API (server/routes.c). */
json_t *rk_api_region_json(const struct rk_region *r);
json_t *rk_api_election_json(const struct rk_election *e);
int rk_api_race_json(struct rk_store *s, const struct rk_race *r, json_t **out);
void rk_api_root_region(struct rk_region *r);
/* Resolves a ?region= style code ("" or NULL = national root); 400/404 with messages. */
int rk_api_lookup_region(struct rk_req *req, const char *code, struct rk_region *r);
/* A race's numbers in region code are those of whichever is deeper, the region or the race's
 * own region (a province's governor race seen nationally is its province). *where (may be
 * NULL) gets that code, *tps its TPS count. RK_OK or a store error
 * (server/results.c). */
int rk_api_race_scope(struct rk_store *s, const char *code, const char *race_region,
                      const char **where, int64_t *tps);

/* Results, accounts and log handlers (server/results.c). */
int rk_h_login(struct rk_req *req);
int rk_h_logout(struct rk_req *req);
int rk_h_me(struct rk_req *req);
int rk_h_device_register(struct rk_req *req);
int rk_h_submit(struct rk_req *req);
int rk_h_tps_race(struct rk_req *req);
int rk_h_tps_version(struct rk_req *req);
int rk_h_correct(struct rk_req *req);
int rk_h_approve(struct rk_req *req);
int rk_h_object(struct rk_req *req);
int rk_h_results(struct rk_req *req);
int rk_h_results_csv(struct rk_req *req);
int rk_h_race_tps(struct rk_req *req);
int rk_h_log_sth(struct rk_req *req);
int rk_h_photo_put(struct rk_req *req);
int rk_h_photo_get(struct rk_req *req);
int rk_h_dhasil_json(struct rk_req *req);
int rk_h_dhasil_pdf(struct rk_req *req);
int rk_h_read(struct rk_req *req); /* server/read.c */
int rk_h_log_entries(struct rk_req *req);
int rk_h_log_inclusion(struct rk_req *req);
int rk_h_log_consistency(struct rk_req *req);

/* Public verification (server/verify.c). */
int rk_h_verify(struct rk_req *req);
int rk_h_device_get(struct rk_req *req);

/* Server-side accessors for handlers. */
const struct rk_signer *rk_server_signer(const struct rk_server *srv);

/* Rate limits beyond the per-address one: login attempts per username, writes per account or
 * device key. Returns RK_OK, or RK_ERATELIMIT with the reply's Retry-After and message set. */
enum rk_rate_kind { RK_RATE_LOGIN, RK_RATE_WRITE };
int rk_server_rate(struct rk_req *req, enum rk_rate_kind kind, const char *key);
struct rk_batcher *rk_server_batcher(const struct rk_server *srv);
/* Parking: a handler waiting for something another thread finishes (the group commit) gives
 * its request thread back instead of blocking it, so the other connections that thread serves
 * do not wait behind it. rk_server_park suspends the request's connection; the handler then
 * hands its work over and returns RK_OK with req->finish set and no reply. rk_server_unpark
 * (any thread, exactly once per park, req as a void * to serve as a callback argument) lets
 * the connection go on: finish then runs on a request thread and answers. */
void rk_server_park(struct rk_req *req);
void rk_server_unpark(void *req);
/* The registry warm-up for GET /api/health: "off" (--no-warm), "warming" (running, or waiting
 * to run again after a registry change emptied the cache) or "warm"; *rows the rows the last
 * complete warm-up loaded (0 before one). */
const char *rk_server_warm_state(struct rk_server *srv, long long *rows);
const char *rk_server_log_id(const struct rk_server *srv);
int64_t rk_now_ms(void);
const char *rk_server_web_dir(const struct rk_server *srv);
/* The photo reader's model and form layout; RK_EUNSUPPORTED when the server runs without. */
int rk_server_reader_parts(const struct rk_server *srv, const struct rk_digits_model **m,
                           const struct rk_form_template **t);
extern const char rk_server_name[];

/* Value of query parameter name, or NULL. */
const char *rk_req_query(const struct rk_req *req, const char *name);

/* Value of request header name (case-insensitive), or NULL. */
const char *rk_req_header(const struct rk_req *req, const char *name);

/* Records a precise bilingual message for the error about to be returned; returns status so a
 * handler can write `return rk_req_fail(req, RK_EINVAL, "...", "...");`. */
int rk_req_fail(struct rk_req *req, int status, const char *en, const char *id);

/* Renders json (reference stolen, also on failure) as the 200 reply with an ETag and
 * "Cache-Control: no-cache". Returns RK_OK or RK_ENOMEM. */
int rk_reply_json(struct rk_req *req, json_t *json);

/* An upload's receipt {"tps",...,"flags"} as JSON text into out, NUL-terminated; returns its
 * length. The same bytes as the compact, key-ordered jansson dump of the receipt (the officer
 * endpoints still build that tree), written directly because every accepted upload is answered
 * with one. RK_RECEIPT_TEXT_MAX bounds it: its strings escaped at 6 bytes a byte, the rest. */
#define RK_RECEIPT_TEXT_MAX (320 + 6 * (RK_CODE_MAX + RK_LOGENTRY_RACE_MAX + RK_FLAGS_MAX))
size_t rk_receipt_text(const struct rk_receipt *r, char out[RK_RECEIPT_TEXT_MAX]);

/* Takes ownership of body[0..len) (malloc'd) as a reply of the given type and caching. */
void rk_reply_take(struct rk_req *req, int http, char *body, size_t len, const char *type,
                   const char *cache_control, int etag);

/* Builds the JSON error body {"error":{"code","message","pesan"}} for status into the reply,
 * with the given HTTP code (0 = rk_status_http(status)). code_name overrides
 * rk_status_name(status) when non-NULL (405/414 have no rk_status). */
void rk_reply_error(struct rk_req *req, int http, int status, const char *code_name, const char *en,
                    const char *id);

/* Writes the quoted strong ETag of body (BLAKE2b-128, hex) into out (at least 35 bytes). */
void rk_etag(const char *body, size_t len, char out[35]);

/* True when an If-None-Match header value matches etag (list, weak prefix and "*" handled). */
int rk_etag_match(const char *if_none_match, const char *etag);

#endif
