/* GET /api/qr?text=...: a QR code as SVG, made with libqrencode (already linked for the printed
 * forms). The KPPS app shows it on its receipt so a witness's phone can scan the link to the
 * public TPS page with the document hash and device signature; doing it server-side keeps a
 * hand-written QR encoder out of the browser. The text is public data the client already has,
 * so the endpoint needs no login and no store. */
#include "server/http.h"
#include "rekap/status.h"

#include <qrencode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QR_QUIET 4 /* modules of white margin the QR standard asks for */

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np, b->cap = cap;
    }
}

int rk_qr_svg(const char *text, size_t len, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len == 0 || strlen(text) != len) return RK_EINVAL;
    if (len > RK_QR_TEXT_MAX) return RK_ETOOBIG;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q) return RK_ENOMEM;
    int w = q->width, size = w + 2 * QR_QUIET;
    struct sbuf b = {malloc(4096), 0, 4096, 0};
    if (!b.p) {
        QRcode_free(q);
        return RK_ENOMEM;
    }
    sb_add(&b,
           "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
           "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
           "<path fill=\"#000\" d=\"",
           size, size, size, size);
    /* One subpath per horizontal run of dark modules keeps the file a few KiB. */
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w;) {
            if (!(q->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < w && (q->data[y * w + x + run] & 1)) run++;
            sb_add(&b, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
            x += run;
        }
    }
    sb_add(&b, "\"/></svg>\n");
    QRcode_free(q);
    if (b.oom) {
        free(b.p);
        return RK_ENOMEM;
    }
    *out = b.p;
    *out_len = b.len;
    return RK_OK;
}

int rk_h_qr(struct rk_req *req)
{
    const char *text = rk_req_query(req, "text");
    if (!text || !text[0])
        return rk_req_fail(req, RK_EINVAL, "text is required", "parameter text wajib diisi");
    char *svg;
    size_t n;
    int rc = rk_qr_svg(text, strlen(text), &svg, &n);
    if (rc == RK_ETOOBIG)
        return rk_req_fail(req, RK_ETOOBIG, "text too long for a QR code (at most 1024 bytes)",
                           "teks terlalu panjang untuk kode QR (paling banyak 1024 byte)");
    if (rc != RK_OK) return rc;
    /* The same text always gives the same picture. */
    rk_reply_take(req, 200, svg, n, "image/svg+xml", "public, max-age=31536000, immutable", 1);
    return RK_OK;
}
