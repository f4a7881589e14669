/* Minimal HTTP/1.1 GET client over sockets (see cli/http.h). */
#include "cli/http.h"
#include "rekap/status.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int rk_http_url_parse(const char *url, struct rk_http_url *u)
{
    memset(u, 0, sizeof *u);
    if (strncmp(url, "http://", 7) != 0)
        return strstr(url, "://") ? RK_EUNSUPPORTED : RK_EINVAL;
    const char *h = url + 7, *end = h + strcspn(h, "/"), *colon = NULL;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close)
            return RK_EINVAL;
        if ((size_t)(close - h - 1) >= sizeof u->host)
            return RK_EINVAL;
        memcpy(u->host, h + 1, (size_t)(close - h - 1));
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (!colon && close + 1 != end)
            return RK_EINVAL;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        size_t hl = (size_t)((colon ? colon : end) - h);
        if (hl == 0 || hl >= sizeof u->host)
            return RK_EINVAL;
        memcpy(u->host, h, hl);
    }
    if (colon) {
        size_t pl = (size_t)(end - colon - 1);
        if (pl == 0 || pl > 5)
            return RK_EINVAL;
        for (size_t i = 0; i < pl; i++)
            if (!isdigit((unsigned char)colon[1 + i]))
                return RK_EINVAL;
        memcpy(u->port, colon + 1, pl);
        if (atoi(u->port) < 1 || atoi(u->port) > 65535)
            return RK_EINVAL;
    } else {
        strcpy(u->port, "80");
    }
    size_t bl = strlen(end);
    while (bl && end[bl - 1] == '/')
        bl--;
    if (bl >= sizeof u->base)
        return RK_EINVAL;
    memcpy(u->base, end, bl);
    for (size_t i = 0; u->host[i]; i++)
        if (isspace((unsigned char)u->host[i]))
            return RK_EINVAL;
    return RK_OK;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sets fd's receive and send timeouts to the silence limit or what is left before deadline,
 * whichever is shorter. Returns false when the deadline has passed. */
static bool set_timeouts(int fd, double deadline)
{
    double left = deadline - mono_s();
    if (left <= 0)
        return false;
    if (left > RK_HTTP_TIMEOUT_S)
        left = RK_HTTP_TIMEOUT_S;
    struct timeval tv = {(time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6)};
    if (tv.tv_sec == 0 && tv.tv_usec == 0)
        tv.tv_usec = 1; /* zero would mean no timeout at all */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return true;
}

static int dial(const struct rk_http_url *u, double deadline)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0)
            continue;
        if (!set_timeouts(fd, deadline) || connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Decodes a chunked body in place; returns the decoded length or -1. */
static long dechunk(char *b, size_t len)
{
    size_t r = 0, w = 0;
    for (;;) {
        char *eol = memchr(b + r, '\n', len - r);
        if (!eol)
            return -1;
        char *endp;
        unsigned long n = strtoul(b + r, &endp, 16);
        if (endp == b + r || n > len)
            return -1;
        r = (size_t)(eol - b) + 1;
        if (n == 0)
            return (long)w;
        if (n > len - r)
            return -1;
        memmove(b + w, b + r, n);
        w += n;
        r += n;
        if (r < len && b[r] == '\r')
            r++;
        if (r < len && b[r] == '\n')
            r++;
    }
}

int rk_http_response_parse(char *buf, size_t got, int *status, char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    *status = 0;
    char *hend = strstr(buf, "\r\n\r\n");
    int code;
    if (!hend || sscanf(buf, "HTTP/1.%*1[01] %3d", &code) != 1 || code < 100 || code > 599)
        return RK_EPARSE;
    *hend = '\0';
    char *b = hend + 4;
    size_t blen = got - (size_t)(b - buf);
    int chunked = 0;
    long clen = -1;
    for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2, *eol = strstr(h, "\r\n"), *c;
        if (strncasecmp(h, "Transfer-Encoding:", 18) == 0 && (c = strstr(h, "chunked")) &&
            (!eol || c < eol)) /* on this header line, not a later one */
            chunked = 1;
        else if (strncasecmp(h, "Content-Length:", 15) == 0)
            clen = strtol(h + 15, NULL, 10);
    }
    if (chunked) {
        long d = dechunk(b, blen);
        if (d < 0)
            return RK_EPARSE;
        blen = (size_t)d;
    } else if (clen >= 0) {
        if ((size_t)clen > blen)
            return RK_EIO; /* cut short */
        blen = (size_t)clen;
    }
    if (blen > RK_HTTP_BODY_MAX)
        return RK_ETOOBIG;
    char *out = malloc(blen + 1);
    if (!out)
        return RK_ENOMEM;
    memcpy(out, b, blen);
    out[blen] = '\0';
    *body = out;
    *len = blen;
    *status = code;
    return RK_OK;
}

static int http_get_once(const struct rk_http_url *u, const char *path, double deadline,
                         int *status, char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    *status = 0;
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "GET %s%s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: rekap-audit\r\n"
                     "Accept: application/json\r\nConnection: close\r\n\r\n",
                     u->base, path, strchr(u->host, ':') ? "[" : "", u->host,
                     strchr(u->host, ':') ? "]" : "", u->port);
    if (n < 0 || (size_t)n >= sizeof req)
        return RK_ETOOBIG;
    int fd = dial(u, deadline);
    if (fd < 0)
        return RK_EIO;
    for (size_t off = 0; off < (size_t)n;) {
        ssize_t s = send(fd, req + off, (size_t)n - off, MSG_NOSIGNAL);
        if (s <= 0) {
            close(fd);
            return RK_EIO;
        }
        off += (size_t)s;
    }
    size_t cap = 65536, got = 0, max = RK_HTTP_BODY_MAX + 65536;
    char *buf = malloc(cap);
    int rc = buf ? RK_OK : RK_ENOMEM;
    while (rc == RK_OK) {
        if (got + 1 >= cap) {
            if (cap >= max) {
                rc = RK_ETOOBIG;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = RK_ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        if (!set_timeouts(fd, deadline)) {
            rc = RK_EIO; /* past the deadline */
            break;
        }
        ssize_t r = recv(fd, buf + got, cap - got - 1, 0);
        if (r < 0)
            rc = RK_EIO;
        else if (r == 0)
            break;
        else
            got += (size_t)r;
    }
    close(fd);
    if (rc != RK_OK) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    rc = rk_http_response_parse(buf, got, status, body, len);
    free(buf);
    return rc;
}

int rk_http_get_json(const struct rk_http_url *u, const char *path, int *status, json_t **out)
{
    char *body;
    size_t len;
    *out = NULL;
    int rc = rk_http_get(u, path, status, &body, &len);
    if (rc != RK_OK)
        return rc;
    if (*status != 200) {
        free(body);
        return *status == 404 ? RK_ENOTFOUND : RK_EIO;
    }
    json_error_t jerr;
    *out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    free(body);
    return *out ? RK_OK : RK_EPARSE;
}

int rk_http_deadline_parse(const char *cmd, const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > RK_HTTP_DEADLINE_MAX) {
        fprintf(stderr, "%s: --timeout harus 1..%d detik / must be 1..%d seconds\n", cmd,
                RK_HTTP_DEADLINE_MAX, RK_HTTP_DEADLINE_MAX);
        return RK_EINVAL;
    }
    *out = (int)v;
    return RK_OK;
}

int rk_http_query_escape(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || strchr("-._~", c)) {
            if (w + 1 >= cap)
                return RK_ETOOBIG;
            out[w++] = (char)c;
        } else {
            if (w + 3 >= cap)
                return RK_ETOOBIG;
            out[w++] = '%';
            out[w++] = hex[c >> 4];
            out[w++] = hex[c & 15];
        }
    }
    if (w >= cap)
        return RK_ETOOBIG;
    out[w] = '\0';
    return RK_OK;
}

/* A public server rate-limits each address (429) and may shed load (503): an auditor
 * downloading a whole log waits and tries again rather than reporting a difference. */
int rk_http_get(const struct rk_http_url *u, const char *path, int *status, char **body,
                size_t *len)
{
    long wait_ms = 100;
    int limit = u->deadline_s > 0 && u->deadline_s <= RK_HTTP_DEADLINE_MAX ? u->deadline_s
                                                                            : RK_HTTP_DEADLINE_S;
    double deadline = mono_s() + limit;
    for (int attempt = 0;; attempt++) {
        int rc = http_get_once(u, path, deadline, status, body, len);
        if (rc != RK_OK || (*status != 429 && *status != 503) || attempt >= 30)
            return rc;
        free(*body);
        *body = NULL;
        if (mono_s() + (double)wait_ms / 1000 >= deadline)
            return RK_EIO; /* still busy at the deadline */
        struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (wait_ms < 2000)
            wait_ms *= 2;
    }
}
