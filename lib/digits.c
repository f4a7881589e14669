/* Digit CNN inference: model file parsing (untrusted input, every size checked before use),
 * the forward pass, calibrated softmax with the accept/reject decision, and the crop-to-MNIST
 * preprocessing. Activations live in caller-provided scratch so the hot path never allocates.
 * Feature maps are stored HWC (channels innermost) so every inner loop runs over contiguous
 * channels and gcc vectorises it without -ffast-math. */
#include "digits_impl.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_C1 64u
#define MAX_C2 128u
#define MAX_K 7u
#define MAX_HIDDEN 1024u
#define T_MIN 0.05f
#define T_MAX 20.0f

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float rdf32(const uint8_t *p)
{
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void wrf32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    wr32(p, u);
}

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

int rk_digits_arch_check(const struct rk_digits_arch *a, size_t *nweights)
{
    if (a->c1 < 1 || a->c1 > MAX_C1 || a->c2 < 1 || a->c2 > MAX_C2 || a->hidden < 1 ||
        a->hidden > MAX_HIDDEN || a->k1 < 1 || a->k1 > MAX_K || a->k2 < 1 || a->k2 > MAX_K ||
        a->k1 % 2 == 0 || a->k2 % 2 == 0)
        return RK_ERANGE;
    uint32_t h1 = RK_DIGITS_SIDE - a->k1 + 1, p1 = h1 / 2;
    if (p1 < a->k2)
        return RK_ERANGE;
    uint32_t h2 = p1 - a->k2 + 1, p2 = h2 / 2;
    if (p2 < 1)
        return RK_ERANGE;
    /* All factors are capped above, so these products cannot overflow size_t. */
    size_t flat = (size_t)p2 * p2 * a->c2;
    size_t n = (size_t)a->k1 * a->k1 * a->c1 + a->c1 + (size_t)a->k2 * a->k2 * a->c1 * a->c2 +
               a->c2 + flat * a->hidden + a->hidden + (size_t)a->hidden * RK_DIGITS_CLASSES +
               RK_DIGITS_CLASSES;
    if (n > RK_DIGITS_MAX_WEIGHTS)
        return RK_ERANGE;
    if (nweights)
        *nweights = n;
    return RK_OK;
}

void rk_digits_bind(struct rk_digits_model *m, float *w)
{
    const struct rk_digits_arch *a = &m->arch;
    m->h1 = RK_DIGITS_SIDE - a->k1 + 1;
    m->p1 = m->h1 / 2;
    m->h2 = m->p1 - a->k2 + 1;
    m->p2 = m->h2 / 2;
    m->flat = m->p2 * m->p2 * a->c2;
    m->w = w;
    float *p = w;
    m->c1w = p, p += a->k1 * a->k1 * a->c1;
    m->c1b = p, p += a->c1;
    m->c2w = p, p += a->k2 * a->k2 * a->c1 * a->c2;
    m->c2b = p, p += a->c2;
    m->f1w = p, p += (size_t)m->flat * a->hidden;
    m->f1b = p, p += a->hidden;
    m->f2w = p, p += a->hidden * RK_DIGITS_CLASSES;
    m->f2b = p;
}

int rk_digits_model_init(struct rk_digits_model *m, const struct rk_digits_arch *a)
{
    size_t n;
    memset(m, 0, sizeof *m);
    int rc = rk_digits_arch_check(a, &n);
    if (rc != RK_OK)
        return rc;
    float *w = calloc(n, sizeof *w);
    if (!w)
        return RK_ENOMEM;
    m->arch = *a;
    m->temperature = 1.0f;
    m->threshold = 0.5f;
    m->nweights = n;
    rk_digits_bind(m, w);
    return RK_OK;
}

void rk_digits_model_free(struct rk_digits_model *m)
{
    free(m->w);
    memset(m, 0, sizeof *m);
}

int rk_digits_model_parse(struct rk_digits_model *m, const uint8_t *buf, size_t len)
{
    memset(m, 0, sizeof *m);
    if (len < RK_DIGITS_HEADER_SIZE + 4 || memcmp(buf, RK_DIGITS_MAGIC, 8) != 0)
        return RK_EPARSE;
    if (rd32(buf + 8) != RK_DIGITS_VERSION)
        return RK_EUNSUPPORTED;
    if (rd32(buf + 12) != RK_DIGITS_SIDE || rd32(buf + 16) != RK_DIGITS_SIDE ||
        rd32(buf + 40) != RK_DIGITS_CLASSES)
        return RK_ERANGE;
    struct rk_digits_arch a = {.c1 = rd32(buf + 20), .k1 = rd32(buf + 24), .c2 = rd32(buf + 28),
                               .k2 = rd32(buf + 32), .hidden = rd32(buf + 36)};
    size_t n;
    int rc = rk_digits_arch_check(&a, &n);
    if (rc != RK_OK)
        return rc;
    float t = rdf32(buf + 44), thr = rdf32(buf + 48);
    /* Written so NaN fails every comparison and is rejected. */
    if (!(t >= T_MIN && t <= T_MAX) || !(thr >= 0.0f && thr <= 1.0f))
        return RK_ERANGE;
    uint32_t split_count = rd32(buf + 60);
    if (split_count > 10000000u)
        return RK_ERANGE;
    if (rd32(buf + 64) != n)
        return RK_EPARSE;
    /* n <= 4M so this cannot overflow. */
    if (len != RK_DIGITS_HEADER_SIZE + 4 * n + 4)
        return RK_EPARSE;
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, buf, (uInt)(len - 4));
    if ((uint32_t)crc != rd32(buf + len - 4))
        return RK_EPARSE;
    float *w = malloc(n * sizeof *w);
    if (!w)
        return RK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        w[i] = rdf32(buf + RK_DIGITS_HEADER_SIZE + 4 * i);
        if (!isfinite(w[i])) {
            free(w);
            return RK_EPARSE;
        }
    }
    m->arch = a;
    m->temperature = t;
    m->threshold = thr;
    m->split_seed = (uint64_t)rd32(buf + 52) | (uint64_t)rd32(buf + 56) << 32;
    m->split_count = split_count;
    m->nweights = n;
    rk_digits_bind(m, w);
    return RK_OK;
}

int rk_digits_model_serialize(const struct rk_digits_model *m, uint8_t **out, size_t *len)
{
    size_t n = RK_DIGITS_HEADER_SIZE + 4 * m->nweights + 4;
    uint8_t *b = malloc(n);
    if (!b)
        return RK_ENOMEM;
    memcpy(b, RK_DIGITS_MAGIC, 8);
    wr32(b + 8, RK_DIGITS_VERSION);
    wr32(b + 12, RK_DIGITS_SIDE);
    wr32(b + 16, RK_DIGITS_SIDE);
    wr32(b + 20, m->arch.c1);
    wr32(b + 24, m->arch.k1);
    wr32(b + 28, m->arch.c2);
    wr32(b + 32, m->arch.k2);
    wr32(b + 36, m->arch.hidden);
    wr32(b + 40, RK_DIGITS_CLASSES);
    wrf32(b + 44, m->temperature);
    wrf32(b + 48, m->threshold);
    wr32(b + 52, (uint32_t)m->split_seed);
    wr32(b + 56, (uint32_t)(m->split_seed >> 32));
    wr32(b + 60, m->split_count);
    wr32(b + 64, (uint32_t)m->nweights);
    for (size_t i = 0; i < m->nweights; i++)
        wrf32(b + RK_DIGITS_HEADER_SIZE + 4 * i, m->w[i]);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, b, (uInt)(n - 4));
    wr32(b + n - 4, (uint32_t)crc);
    *out = b;
    *len = n;
    return RK_OK;
}

size_t rk_digits_acts_floats(const struct rk_digits_model *m)
{
    const struct rk_digits_arch *a = &m->arch;
    return round16(RK_DIGITS_PIXELS) + round16((size_t)m->h1 * m->h1 * a->c1) +
           round16((size_t)m->p1 * m->p1 * a->c1) + round16((size_t)m->h2 * m->h2 * a->c2) +
           round16(m->flat) + round16(a->hidden) + round16(RK_DIGITS_CLASSES);
}

void rk_digits_acts_layout(const struct rk_digits_model *m, float *base, struct rk_digits_acts *a)
{
    const struct rk_digits_arch *r = &m->arch;
    float *p = base;
    a->x = p, p += round16(RK_DIGITS_PIXELS);
    a->a1 = p, p += round16((size_t)m->h1 * m->h1 * r->c1);
    a->p1 = p, p += round16((size_t)m->p1 * m->p1 * r->c1);
    a->a2 = p, p += round16((size_t)m->h2 * m->h2 * r->c2);
    a->p2 = p, p += round16(m->flat);
    a->h = p, p += round16(r->hidden);
    a->logits = p;
}

/* 2x2 max pool, HWC, floor on odd sizes. */
static void pool2(const float *in, uint32_t h, uint32_t c, float *out)
{
    uint32_t p = h / 2;
    for (uint32_t y = 0; y < p; y++)
        for (uint32_t x = 0; x < p; x++) {
            const float *i00 = in + ((size_t)(2 * y) * h + 2 * x) * c, *i01 = i00 + c;
            const float *i10 = i00 + (size_t)h * c, *i11 = i10 + c;
            float *o = out + ((size_t)y * p + x) * c;
            for (uint32_t k = 0; k < c; k++) {
                float a = i00[k] > i01[k] ? i00[k] : i01[k];
                float b = i10[k] > i11[k] ? i10[k] : i11[k];
                o[k] = a > b ? a : b;
            }
        }
}

static void relu(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

RK_HOT void rk_digits_forward(const struct rk_digits_model *m, const struct rk_digits_acts *a)
{
    const uint32_t c1 = m->arch.c1, k1 = m->arch.k1, c2 = m->arch.c2, k2 = m->arch.k2;
    const uint32_t hid = m->arch.hidden, h1 = m->h1, h2 = m->h2, p1 = m->p1;
    /* conv1: one input channel, so the inner loop runs over the c1 output channels. */
    for (uint32_t y = 0; y < h1; y++)
        for (uint32_t x = 0; x < h1; x++) {
            float *o = a->a1 + ((size_t)y * h1 + x) * c1;
            memcpy(o, m->c1b, c1 * sizeof *o);
            for (uint32_t ky = 0; ky < k1; ky++)
                for (uint32_t kx = 0; kx < k1; kx++) {
                    float v = a->x[(y + ky) * RK_DIGITS_SIDE + x + kx];
                    if (v == 0.0f)
                        continue; /* MNIST boxes are mostly background */
                    const float *wk = m->c1w + ((size_t)ky * k1 + kx) * c1;
                    for (uint32_t c = 0; c < c1; c++)
                        o[c] += v * wk[c];
                }
        }
    relu(a->a1, (size_t)h1 * h1 * c1);
    pool2(a->a1, h1, c1, a->p1);
    /* conv2: inner loop over the c2 output channels; zero inputs (relu) are skipped. */
    for (uint32_t y = 0; y < h2; y++)
        for (uint32_t x = 0; x < h2; x++) {
            float *o = a->a2 + ((size_t)y * h2 + x) * c2;
            memcpy(o, m->c2b, c2 * sizeof *o);
            for (uint32_t ky = 0; ky < k2; ky++)
                for (uint32_t kx = 0; kx < k2; kx++) {
                    const float *in = a->p1 + ((size_t)(y + ky) * p1 + x + kx) * c1;
                    const float *wk = m->c2w + ((size_t)ky * k2 + kx) * c1 * c2;
                    for (uint32_t ci = 0; ci < c1; ci++) {
                        float v = in[ci];
                        if (v == 0.0f)
                            continue;
                        const float *wr = wk + (size_t)ci * c2;
                        for (uint32_t co = 0; co < c2; co++)
                            o[co] += v * wr[co];
                    }
                }
        }
    relu(a->a2, (size_t)h2 * h2 * c2);
    pool2(a->a2, h2, c2, a->p2);
    /* fc1 with weights [in][hidden]: axpy form vectorises, a dot-product form would not. */
    memcpy(a->h, m->f1b, hid * sizeof *a->h);
    for (uint32_t i = 0; i < m->flat; i++) {
        float v = a->p2[i];
        if (v == 0.0f)
            continue;
        const float *wr = m->f1w + (size_t)i * hid;
        for (uint32_t j = 0; j < hid; j++)
            a->h[j] += v * wr[j];
    }
    relu(a->h, hid);
    memcpy(a->logits, m->f2b, RK_DIGITS_CLASSES * sizeof *a->logits);
    for (uint32_t i = 0; i < hid; i++) {
        float v = a->h[i];
        if (v == 0.0f)
            continue;
        const float *wr = m->f2w + (size_t)i * RK_DIGITS_CLASSES;
        for (uint32_t j = 0; j < RK_DIGITS_CLASSES; j++)
            a->logits[j] += v * wr[j];
    }
}

size_t rk_digits_scratch_size(const struct rk_digits_model *m)
{
    return rk_digits_acts_floats(m) * sizeof(float) + 64;
}

static int setup(const struct rk_digits_model *m, const uint8_t *img, void *scratch,
                 size_t scratch_len, struct rk_digits_acts *a)
{
    if (!m->w || !img || !scratch || scratch_len < rk_digits_scratch_size(m))
        return RK_EINVAL;
    uintptr_t p = ((uintptr_t)scratch + 63) & ~(uintptr_t)63;
    rk_digits_acts_layout(m, (float *)p, a);
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        a->x[i] = (float)img[i] * (1.0f / 255.0f);
    rk_digits_forward(m, a);
    return RK_OK;
}

int rk_digits_logits(const struct rk_digits_model *m, const uint8_t *img, void *scratch,
                     size_t scratch_len, float *logits)
{
    struct rk_digits_acts a;
    int rc = setup(m, img, scratch, scratch_len, &a);
    if (rc == RK_OK)
        memcpy(logits, a.logits, RK_DIGITS_CLASSES * sizeof *logits);
    return rc;
}

int rk_digits_classify(const struct rk_digits_model *m, const uint8_t *img, void *scratch,
                       size_t scratch_len, struct rk_digits_result *out)
{
    struct rk_digits_acts a;
    int rc = setup(m, img, scratch, scratch_len, &a);
    if (rc != RK_OK)
        return rc;
    float mx = -INFINITY, sum = 0.0f;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++) {
        out->probs[j] = a.logits[j] / m->temperature;
        mx = out->probs[j] > mx ? out->probs[j] : mx;
    }
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        sum += out->probs[j] = expf(out->probs[j] - mx);
    out->cls = 0;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++) {
        out->probs[j] /= sum;
        if (out->probs[j] > out->probs[out->cls])
            out->cls = j;
    }
    out->prob = out->probs[out->cls];
    out->accept = out->cls != RK_DIGITS_NOT_DIGIT && out->prob >= m->threshold;
    return RK_OK;
}

/* ---- preprocessing ---- */

struct crop {
    const uint8_t *g;
    size_t stride;
    int dark;
    float lo, scale; /* ink value = clamp((v - lo) * scale, 0, 1) */
};

static float ink_at(const struct crop *c, int x, int y)
{
    int v = c->g[(size_t)y * c->stride + (size_t)x];
    if (c->dark)
        v = 255 - v;
    float f = ((float)v - c->lo) * c->scale;
    return f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
}

/* Otsu's threshold: the split of the histogram maximising between-class variance. */
static int otsu(const uint32_t *hist, uint64_t total)
{
    double sum = 0.0, sumb = 0.0, wb = 0.0, best = -1.0;
    int t = 0;
    for (int i = 0; i < 256; i++)
        sum += (double)i * hist[i];
    for (int i = 0; i < 256; i++) {
        wb += hist[i];
        if (wb == 0.0)
            continue;
        double wf = (double)total - wb;
        if (wf == 0.0)
            break;
        sumb += (double)i * hist[i];
        double mb = sumb / wb, mf = (sum - sumb) / wf;
        double between = wb * wf * (mb - mf) * (mb - mf);
        if (between > best)
            best = between, t = i;
    }
    return t;
}

int rk_digits_preprocess(const uint8_t *gray, int w, int h, size_t stride, int dark_ink,
                         uint8_t *out)
{
    if (w < 1 || h < 1 || w > RK_DIGITS_MAX_CROP || h > RK_DIGITS_MAX_CROP || stride < (size_t)w)
        return RK_ERANGE;
    memset(out, 0, RK_DIGITS_PIXELS);
    uint32_t hist[256] = {0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = gray[(size_t)y * stride + (size_t)x];
            hist[dark_ink ? 255 - v : v]++;
        }
    uint64_t total = (uint64_t)w * (uint64_t)h;
    int t = otsu(hist, total);
    double nb = 0, sb = 0, nf = 0, sf = 0;
    for (int i = 0; i < 256; i++) {
        if (i <= t)
            nb += hist[i], sb += (double)i * hist[i];
        else
            nf += hist[i], sf += (double)i * hist[i];
    }
    if (nf == 0)
        return RK_ENOTFOUND;
    double bg = nb > 0 ? sb / nb : 0.0, fg = sf / nf;
    if (fg - bg < 40.0) /* paper texture or sensor noise, not ink */
        return RK_ENOTFOUND;
    /* Pixels halfway between paper and threshold count as background; the ramp up to the mean
     * ink level keeps the anti-aliased edges MNIST digits have. */
    struct crop c = {.g = gray, .stride = stride, .dark = dark_ink};
    c.lo = (float)((bg + t) / 2.0);
    c.scale = 1.0f / (float)(fg - c.lo > 1.0 ? fg - c.lo : 1.0);
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = gray[(size_t)y * stride + (size_t)x];
            if ((dark_ink ? 255 - v : v) > t) {
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
            }
        }
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    double step = (double)(bw > bh ? bw : bh) / 20.0; /* source pixels per output pixel */
    int ow = (int)lround(bw / step), oh = (int)lround(bh / step);
    ow = ow < 1 ? 1 : ow > 20 ? 20 : ow;
    oh = oh < 1 ? 1 : oh > 20 ? 20 : oh;
    float box[20 * 20];
    double mass = 0, mx = 0, my = 0;
    for (int oy = 0; oy < oh; oy++) {
        double sy0 = y0 + oy * step, sy1 = sy0 + step;
        for (int ox = 0; ox < ow; ox++) {
            double sx0 = x0 + ox * step, sx1 = sx0 + step, acc = 0;
            for (int iy = (int)sy0; iy < (int)ceil(sy1) && iy < h; iy++) {
                double wy = fmin(iy + 1, sy1) - fmax(iy, sy0);
                for (int ix = (int)sx0; ix < (int)ceil(sx1) && ix < w; ix++) {
                    double wx = fmin(ix + 1, sx1) - fmax(ix, sx0);
                    acc += wy * wx * ink_at(&c, ix, iy);
                }
            }
            float v = (float)(acc / (step * step));
            box[oy * 20 + ox] = v;
            mass += v, mx += v * (ox + 0.5), my += v * (oy + 0.5);
        }
    }
    if (mass <= 0)
        return RK_ENOTFOUND;
    int dx = (int)lround(14.0 - mx / mass), dy = (int)lround(14.0 - my / mass);
    dx = dx < 0 ? 0 : dx > 28 - ow ? 28 - ow : dx;
    dy = dy < 0 ? 0 : dy > 28 - oh ? 28 - oh : dy;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            out[(oy + dy) * 28 + ox + dx] = (uint8_t)lroundf(box[oy * 20 + ox] * 255.0f);
    return RK_OK;
}
