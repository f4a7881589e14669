/* A tiny HTTP/1.1 client for tests: raw requests over loopback sockets, so limits and odd
 * paths reach the server exactly as written. Each request closes its connection. */
#ifndef REKAP_TESTHTTP_H
#define REKAP_TESTHTTP_H

#include <jansson.h>
#include <stddef.h>

struct resp {
    int status;
    char head[8192];
    char *body;
    size_t body_len;
};

int rk_thttp_dial(unsigned short port);
void rk_thttp_send_all(int fd, const char *s, size_t n);
void rk_thttp_read_resp(int fd, struct resp *r);
void rk_thttp_raw(unsigned short port, const char *req, struct resp *r);
void rk_thttp_get(unsigned short port, const char *path, const char *extra, struct resp *r);
const char *rk_thttp_header(const struct resp *r, const char *name, char *out, size_t cap);
json_t *rk_thttp_body_json(const struct resp *r);
void rk_thttp_resp_free(struct resp *r);
/* Asserts a JSON error body with the exact code, English and Indonesian messages present. */
void rk_thttp_assert_error(const struct resp *r, int http, const char *code);
/* POST body (Content-Type given) with optional extra header lines ("Name: v\r\n"). */
void rk_thttp_post(unsigned short port, const char *path, const char *type, const char *body,
                  size_t len, const char *extra, struct resp *r);

/* Logs user in with password (POST /api/login, which must answer 200); returns the session
 * token (malloc'd). */
char *rk_thttp_login(unsigned short port, const char *user, const char *password);

#endif
