/* A minimal HTTP/1.1 client for the auditor and the receipt verifier: GET only, plain http://
 * (put TLS in front with a local proxy or use the portal), one connection per request with
 * "Connection: close", bodies capped. Enough to mirror a rekap server without a new
 * dependency; not a general-purpose client. */
#ifndef REKAP_CLI_HTTP_H
#define REKAP_CLI_HTTP_H

#include <stddef.h>

#include <jansson.h>

#define RK_HTTP_BODY_MAX ((size_t)64 << 20) /* largest response body accepted */
#define RK_HTTP_TIMEOUT_S 30   /* longest silence on a connection */
#define RK_HTTP_DEADLINE_S 120 /* default for a whole GET, its retries included */
#define RK_HTTP_DEADLINE_MAX 86400

struct rk_http_url {
    char host[256];
    char port[8];
    char base[512]; /* path prefix without trailing '/', "" for the root */
    int deadline_s; /* a whole GET's limit, 1..RK_HTTP_DEADLINE_MAX; 0: RK_HTTP_DEADLINE_S */
};

/* Parses "http://HOST[:PORT][/PREFIX]" (HOST may be a [v6] literal). Returns RK_OK, RK_EINVAL
 * or RK_EUNSUPPORTED (https:// and other schemes). */
int rk_http_url_parse(const char *url, struct rk_http_url *u);

/* GETs base + path (path starts with '/', already percent-encoded). On RK_OK *status is the
 * HTTP status and *body a malloc'd, NUL-terminated body of *len bytes (caller frees). Returns
 * RK_EIO (cannot connect, timeout, connection cut), RK_EPARSE (not HTTP), RK_ETOOBIG or
 * RK_ENOMEM. Chunked and Content-Length bodies are both understood. A 429 or 503 is retried
 * with growing waits; the whole GET, retries included, ends with RK_EIO at u->deadline_s, so a
 * server that answers a byte at a time (or "busy" forever) cannot hold the caller. */
int rk_http_get(const struct rk_http_url *u, const char *path, int *status, char **body,
                size_t *len);

/* Parses a whole HTTP/1.x response of got bytes in buf (buf[got] must be '\0'; buf is changed:
 * chunks are decoded in place). On RK_OK *status is the status code and *body a malloc'd,
 * NUL-terminated copy of the body, *len bytes (caller frees). Returns RK_EPARSE (no status line
 * or header end, bad chunking), RK_EIO (shorter than its Content-Length), RK_ETOOBIG or
 * RK_ENOMEM. The bytes come from whatever answered: fuzz/fuzz_httpanswer.c. */
int rk_http_response_parse(char *buf, size_t got, int *status, char **body, size_t *len);

/* rk_http_get, then parses a JSON body of a 200 answer. Other statuses give RK_ENOTFOUND (404)
 * or RK_EIO (anything else), with *status set. */
int rk_http_get_json(const struct rk_http_url *u, const char *path, int *status, json_t **out);

/* Parses a --timeout value: whole seconds, 1..RK_HTTP_DEADLINE_MAX. Returns RK_OK or
 * RK_EINVAL, then with a bilingual message on stderr naming cmd ("rekap verify", ...). */
int rk_http_deadline_parse(const char *cmd, const char *s, int *out);

/* Percent-encodes s for a query value into out (cap bytes). Returns RK_OK or RK_ETOOBIG. */
int rk_http_query_escape(const char *s, char *out, size_t cap);

#endif
