/* Reply helpers: JSON bodies, the one error format, ETags. Kept apart from the daemon so a
 * handler never needs libmicrohttpd to answer. */
#include "server/http.h"
#include "rekap/status.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void rk_reply_take(struct rk_req *req, int http, char *body, size_t len, const char *type,
                   const char *cache_control, int etag)
{
    free(req->reply.body);
    req->reply.http = http;
    req->reply.body = body;
    req->reply.len = len;
    req->reply.content_type = type;
    req->reply.cache_control = cache_control;
    req->reply.etag = etag;
}

int rk_reply_json(struct rk_req *req, json_t *json)
{
    if (!json) return RK_ENOMEM;
    /* Compact, key order as built: stable bytes make stable ETags. */
    char *s = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(json);
    if (!s) return RK_ENOMEM;
    rk_reply_take(req, 200, s, strlen(s), "application/json; charset=utf-8", "no-cache", 1);
    return RK_OK;
}

int rk_req_fail(struct rk_req *req, int status, const char *en, const char *id)
{
    req->err_en = en;
    req->err_id = id;
    return status;
}

void rk_reply_error(struct rk_req *req, int http, int status, const char *code_name, const char *en,
                    const char *id)
{
    json_t *err = json_pack(
        "{s:{s:s,s:s,s:s}}", "error", "code", code_name ? code_name : rk_status_name(status),
        "message", en ? en : rk_strerror(status), "pesan", id ? id : rk_strerror_id(status));
    char *s = err ? json_dumps(err, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(err);
    if (!s) {
        /* Out of memory while reporting an error: a fixed body still tells the client. */
        static const char fixed[] = "{\"error\":{\"code\":\"no_memory\",\"message\":\"out of "
                                    "memory\",\"pesan\":\"memori habis\"}}";
        s = malloc(sizeof fixed);
        if (s) memcpy(s, fixed, sizeof fixed);
        http = 503;
    }
    rk_reply_take(req, http ? http : rk_status_http(status), s, s ? strlen(s) : 0,
                  "application/json; charset=utf-8", "no-store", 0);
}

void rk_etag(const char *body, size_t len, char out[35])
{
    unsigned char h[16];
    crypto_generichash(h, sizeof h, (const unsigned char *)body, len, NULL, 0);
    out[0] = '"';
    sodium_bin2hex(out + 1, 33, h, sizeof h);
    out[33] = '"';
    out[34] = '\0';
}

int rk_etag_match(const char *inm, const char *etag)
{
    size_t elen = strlen(etag);
    const char *p = inm;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p) break;
        if (*p == '*') return 1;
        /* Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored for If-None-Match. */
        if (p[0] == 'W' && p[1] == '/') p += 2;
        size_t n = strcspn(p, ",");
        size_t t = n;
        while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        if (t == elen && memcmp(p, etag, elen) == 0) return 1;
        p += n;
    }
    return 0;
}
