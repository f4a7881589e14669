/* Test HTTP client (see testhttp.h). */
#include "testutil.h"
#include "testhttp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int rk_thttp_dial(unsigned short port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void rk_thttp_send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

/* Reads until the server closes (requests carry Connection: close) and splits the response. */
void rk_thttp_read_resp(int fd, struct resp *r)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    memset(r, 0, sizeof *r);
    char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    size_t hl = (size_t)(sep - buf);
    assert_true(hl < sizeof r->head);
    memcpy(r->head, buf, hl);
    r->head[hl] = '\0';
    assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &r->status), 1);
    r->body_len = len - hl - 4;
    r->body = malloc(r->body_len + 1);
    assert_non_null(r->body);
    memcpy(r->body, sep + 4, r->body_len + 1);
    free(buf);
}

void rk_thttp_raw(unsigned short port, const char *req, struct resp *r)
{
    int fd = rk_thttp_dial(port);
    assert_true(fd >= 0);
    rk_thttp_send_all(fd, req, strlen(req));
    rk_thttp_read_resp(fd, r);
}

void rk_thttp_get(unsigned short port, const char *path, const char *extra, struct resp *r)
{
    char req[8192];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n", path,
             extra ? extra : "");
    rk_thttp_raw(port, req, r);
}

/* Header value (case-insensitive name) copied into out, or NULL. */
const char *rk_thttp_header(const struct resp *r, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n;
            while (*v == ' ')
                v++;
            size_t l = strcspn(v, "\r");
            snprintf(out, cap, "%.*s", (int)l, v);
            return out;
        }
    }
    return NULL;
}

json_t *rk_thttp_body_json(const struct resp *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    if (!j) fail_msg("body is not JSON (%s): %.200s", e.text, r->body);
    return j;
}

void rk_thttp_resp_free(struct resp *r)
{
    free(r->body);
}

/* Asserts a JSON error body with the exact code, English and Indonesian messages present. */
void rk_thttp_assert_error(const struct resp *r, int http, const char *code)
{
    assert_int_equal(r->status, http);
    char ct[128];
    assert_non_null(rk_thttp_header(r, "Content-Type", ct, sizeof ct));
    assert_non_null(strstr(ct, "application/json"));
    json_t *j = rk_thttp_body_json(r);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_string_length(json_object_get(e, "message")) > 0);
    assert_true(json_string_length(json_object_get(e, "pesan")) > 0);
    json_decref(j);
}

void rk_thttp_post(unsigned short port, const char *path, const char *type, const char *body,
                  size_t len, const char *extra, struct resp *r)
{
    char head[4096];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "%sConnection: close\r\n\r\n",
                     path, type, len, extra ? extra : "");
    int fd = rk_thttp_dial(port);
    assert_true(fd >= 0);
    rk_thttp_send_all(fd, head, (size_t)n);
    if (len)
        rk_thttp_send_all(fd, body, len);
    rk_thttp_read_resp(fd, r);
}

char *rk_thttp_login(unsigned short port, const char *user, const char *password)
{
    json_t *req = json_pack("{s:s,s:s}", "username", user, "password", password);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    assert_non_null(body);
    struct resp r;
    rk_thttp_post(port, "/api/login", "application/json", body, strlen(body), NULL, &r);
    free(body);
    if (r.status != 200)
        fail_msg("login %s: %d %.300s", user, r.status, r.body);
    json_t *j = rk_thttp_body_json(&r);
    char *tok = strdup(json_string_value(json_object_get(j, "token")));
    json_decref(j);
    rk_thttp_resp_free(&r);
    return tok;
}
