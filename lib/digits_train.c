/* Digit CNN trainer. Each sample's augmentation is drawn from a generator seeded by
 * (seed, epoch, position), and each thread sums the gradients of a fixed slice of the batch, so
 * the result depends on the seed and thread count only, not on scheduling. Backward loops use
 * transposed weight copies (made once per step) so that they too run over contiguous memory. */
#include "rekap/digits_train.h"
#include "digits_impl.h"
#include "rekap/status.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- random numbers: splitmix64 seeding a xoshiro256** stream ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a ^ (b * 0x9e3779b97f4a7c15ull) ^ (c * 0xc2b2ae3d27d4eb4full);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return res;
}

static float uni(struct rng *r) /* [0,1) */
{
    return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

static float range(struct rng *r, float lo, float hi)
{
    return lo + (hi - lo) * uni(r);
}

static uint32_t below(struct rng *r, uint32_t n)
{
    return (uint32_t)((rng_next(r) >> 32) * n >> 32);
}

static float gauss(struct rng *r)
{
    float u = uni(r), v = uni(r);
    return sqrtf(-2.0f * logf(u + 1e-12f)) * cosf(2.0f * (float)M_PI * v);
}

int rk_digits_split(uint32_t n, uint64_t seed, uint32_t *perm)
{
    if (n == 0)
        return RK_EINVAL;
    struct rng r;
    rng_seed(&r, seed, 0x5917u, 0);
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = below(&r, i + 1), t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
    return RK_OK;
}

/* ---- augmentation ---- */

#define S RK_DIGITS_SIDE

/* Anti-aliased thick segment, max-blended so crossings do not saturate oddly. */
static void draw_line(float *img, float x0, float y0, float x1, float y1, float thick, float amp)
{
    float dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy, r = thick * 0.5f + 1.0f;
    int xa = (int)floorf(fminf(x0, x1) - r), xb = (int)ceilf(fmaxf(x0, x1) + r);
    int ya = (int)floorf(fminf(y0, y1) - r), yb = (int)ceilf(fmaxf(y0, y1) + r);
    xa = xa < 0 ? 0 : xa, ya = ya < 0 ? 0 : ya, xb = xb > S - 1 ? S - 1 : xb, yb = yb > S - 1 ? S - 1 : yb;
    for (int y = ya; y <= yb; y++)
        for (int x = xa; x <= xb; x++) {
            float t = l2 > 0 ? (((float)x - x0) * dx + ((float)y - y0) * dy) / l2 : 0.0f;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            float ex = x0 + t * dx - (float)x, ey = y0 + t * dy - (float)y;
            float v = (thick * 0.5f + 0.5f - sqrtf(ex * ex + ey * ey)) * amp;
            v = v < 0 ? 0 : v > amp ? amp : v;
            if (v > img[y * S + x])
                img[y * S + x] = v;
        }
}

/* Elastic distortion field (Simard et al. 2003): uniform [-1, 1] displacements smoothed by a
 * Gaussian of sigma 4 px and scaled by alpha 34, i.e. about 1.4 px of smooth local wobble, as
 * different hands bend the same stroke. field[0..S*S) is dx, field[S*S..2*S*S) dy. */
static void elastic_field(struct rng *r, float *field)
{
    enum { RAD = 12 };
    const float sigma = 4.0f, alpha = 34.0f;
    float k[2 * RAD + 1], ksum = 0.0f, t[S * S];
    for (int i = -RAD; i <= RAD; i++)
        ksum += k[i + RAD] = expf(-(float)(i * i) / (2.0f * sigma * sigma));
    for (int i = 0; i <= 2 * RAD; i++)
        k[i] *= 1.0f / ksum;
    for (int f = 0; f < 2; f++) {
        float *d = field + f * S * S;
        for (int i = 0; i < S * S; i++)
            d[i] = range(r, -1.0f, 1.0f);
        for (int y = 0; y < S; y++) /* rows, zero outside the frame */
            for (int x = 0; x < S; x++) {
                float acc = 0.0f;
                for (int i = -RAD; i <= RAD; i++)
                    if (x + i >= 0 && x + i < S)
                        acc += k[i + RAD] * d[y * S + x + i];
                t[y * S + x] = acc;
            }
        for (int y = 0; y < S; y++) /* columns */
            for (int x = 0; x < S; x++) {
                float acc = 0.0f;
                for (int i = -RAD; i <= RAD; i++)
                    if (y + i >= 0 && y + i < S)
                        acc += k[i + RAD] * t[(y + i) * S + x];
                d[y * S + x] = alpha * acc;
            }
    }
}

/* Rotation, scale, aspect, shear and shift about the frame centre (drawn from r when affine,
 * else the identity), then the optional elastic field, in one bilinear resampling. */
static void warp(const float *in, float *out, struct rng *r, int affine, const float *field)
{
    float ang = 0.0f, sc = 1.0f, asp = 1.0f, sh = 0.0f, tx = 0.0f, ty = 0.0f;
    if (affine) {
        ang = range(r, -15.0f, 15.0f) * (float)M_PI / 180.0f, sc = range(r, 0.85f, 1.12f);
        asp = range(r, 0.9f, 1.1f), sh = range(r, -0.2f, 0.2f);
        tx = range(r, -2.5f, 2.5f), ty = range(r, -2.5f, 2.5f);
    }
    float c = cosf(ang), s = sinf(ang), sx = sc * asp, sy = sc / asp;
    /* forward A = R * Shear * Scale */
    float a = c * sx, b = (c * sh - s) * sy, d = s * sx, e = (s * sh + c) * sy;
    float det = a * e - b * d, ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
    const float cx = 13.5f, cy = 13.5f;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float u = (float)x - cx - tx, v = (float)y - cy - ty;
            if (field)
                u += field[y * S + x], v += field[S * S + y * S + x];
            float fx = ia * u + ib * v + cx, fy = id * u + ie * v + cy;
            int x0 = (int)floorf(fx), y0 = (int)floorf(fy);
            float wx = fx - (float)x0, wy = fy - (float)y0, acc = 0.0f;
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++) {
                    int xx = x0 + i, yy = y0 + j;
                    if (xx >= 0 && xx < S && yy >= 0 && yy < S)
                        acc += in[yy * S + xx] * (i ? wx : 1 - wx) * (j ? wy : 1 - wy);
                }
            out[y * S + x] = acc;
        }
}

/* Cross-shaped 3x3 dilation (grow = 1) or erosion (grow = 0). */
static void morph(float *img, int grow)
{
    float t[S * S];
    memcpy(t, img, sizeof t);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float v = t[y * S + x];
            const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
            for (int k = 0; k < 4; k++) {
                float n = nx[k] >= 0 && nx[k] < S && ny[k] >= 0 && ny[k] < S ? t[ny[k] * S + nx[k]] : 0;
                v = grow ? (n > v ? n : v) : (n < v ? n : v);
            }
            img[y * S + x] = v;
        }
}

static float peak(const float *img)
{
    float m = 0;
    for (int i = 0; i < S * S; i++)
        m = img[i] > m ? img[i] : m;
    return m;
}

static void scale_to(float *img, float target)
{
    float m = peak(img);
    if (m > 0.05f)
        for (int i = 0; i < S * S; i++)
            img[i] *= target / m;
}

static void blur(float *img)
{
    float t[S * S];
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float l = x > 0 ? img[y * S + x - 1] : 0, rr = x < S - 1 ? img[y * S + x + 1] : 0;
            t[y * S + x] = 0.25f * l + 0.5f * img[y * S + x] + 0.25f * rr;
        }
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float u = y > 0 ? t[(y - 1) * S + x] : 0, dn = y < S - 1 ? t[(y + 1) * S + x] : 0;
            img[y * S + x] = 0.25f * u + 0.5f * t[y * S + x] + 0.25f * dn;
        }
    scale_to(img, 1.0f);
}

/* A remnant of the printed box: a line near one edge, partial or whole, slightly skewed. */
static void border_line(float *img, struct rng *r)
{
    int edge = (int)below(r, 4);
    float o0 = range(r, 0.0f, 2.5f), o1 = o0 + range(r, -1.0f, 1.0f);
    float a0 = range(r, -2.0f, 14.0f), a1 = range(r, 14.0f, 30.0f);
    float th = range(r, 0.8f, 2.2f), amp = range(r, 0.5f, 1.0f);
    float e0 = edge & 1 ? (float)(S - 1) - o0 : o0, e1 = edge & 1 ? (float)(S - 1) - o1 : o1;
    if (edge < 2)
        draw_line(img, a0, e0, a1, e1, th, amp); /* top / bottom */
    else
        draw_line(img, e0, a0, e1, a1, th, amp); /* left / right */
}

/* elastic: probability of an elastic distortion; at 0 no extra number is drawn, so the recipe
 * without it reproduces models trained before it existed. */
static void augment_digit(const float *src, float *x, struct rng *r, float elastic)
{
    float field[2 * S * S];
    int el = elastic > 0.0f && uni(r) < elastic;
    if (el)
        elastic_field(r, field);
    if (uni(r) < 0.9f)
        warp(src, x, r, 1, el ? field : NULL);
    else if (el)
        warp(src, x, r, 0, field);
    else
        memcpy(x, src, S * S * sizeof *x);
    float u = uni(r);
    if (u < 0.15f) {
        morph(x, 1);
    } else if (u < 0.27f) {
        float keep[S * S];
        memcpy(keep, x, sizeof keep);
        morph(x, 0);
        if (peak(x) < 0.3f) /* a thin stroke vanished: keep the original */
            memcpy(x, keep, sizeof keep);
    }
    if (uni(r) < 0.15f)
        blur(x);
    if (uni(r) < 0.2f)
        scale_to(x, range(r, 0.7f, 1.0f));
    if (uni(r) < 0.25f) {
        border_line(x, r);
        if (uni(r) < 0.35f)
            border_line(x, r);
    }
    if (uni(r) < 0.08f) /* specks of dust or paper texture */
        for (int k = (int)below(r, 4) + 1; k > 0; k--) {
            int p = (int)below(r, S * S);
            x[p] = fmaxf(x[p], range(r, 0.3f, 1.0f));
        }
}

/* Synthetic class 10: crossed-out digits, scribbles, inked-over boxes, stray border lines. */
static void make_not_digit(const float *src, float *x, struct rng *r, float elastic)
{
    float u = uni(r), th = range(r, 1.2f, 3.0f), amp = range(r, 0.7f, 1.0f);
    if (u < 0.40f) {
        augment_digit(src, x, r, elastic);
        float v = uni(r);
        if (v < 0.40f) { /* X over the digit */
            draw_line(x, range(r, 2, 8), range(r, 2, 8), range(r, 20, 26), range(r, 20, 26), th, amp);
            draw_line(x, range(r, 20, 26), range(r, 2, 8), range(r, 2, 8), range(r, 20, 26), th, amp);
        } else if (v < 0.60f) { /* one long diagonal stroke */
            if (uni(r) < 0.5f)
                draw_line(x, range(r, 1, 7), range(r, 1, 7), range(r, 21, 27), range(r, 21, 27), th, amp);
            else
                draw_line(x, range(r, 21, 27), range(r, 1, 7), range(r, 1, 7), range(r, 21, 27), th, amp);
        } else if (v < 0.85f) { /* hatching */
            float ang = range(r, 0.0f, (float)M_PI), c = cosf(ang), s = sinf(ang);
            int n = 2 + (int)below(r, 3);
            float gap = range(r, 3.0f, 6.0f), off = -gap * (float)(n - 1) / 2.0f;
            for (int k = 0; k < n; k++, off += gap) {
                float mx = 13.5f - s * off, my = 13.5f + c * off;
                draw_line(x, mx - 12 * c, my - 12 * s, mx + 12 * c, my + 12 * s, th, amp);
            }
        } else { /* strike-through across the whole box */
            float y0 = range(r, 9, 19);
            draw_line(x, range(r, 0, 4), y0, range(r, 24, 28), y0 + range(r, -3, 3), th + 0.5f, amp);
        }
    } else if (u < 0.62f) { /* scribble: a long random walk */
        memset(x, 0, S * S * sizeof *x);
        float px = range(r, 6, 22), py = range(r, 6, 22);
        for (int k = 6 + (int)below(r, 11); k > 0; k--) {
            float ang = range(r, 0.0f, 2.0f * (float)M_PI), len = range(r, 4.0f, 12.0f);
            float nx = fminf(fmaxf(px + len * cosf(ang), 3.0f), 24.0f);
            float ny = fminf(fmaxf(py + len * sinf(ang), 3.0f), 24.0f);
            draw_line(x, px, py, nx, ny, th, amp);
            px = nx, py = ny;
        }
    } else if (u < 0.75f) { /* box inked over */
        float w = range(r, 10, 27), h = range(r, 10, 27);
        float x0 = range(r, 0, (float)S - w), y0 = range(r, 0, (float)S - h);
        for (int y = 0; y < S; y++)
            for (int xx = 0; xx < S; xx++) {
                int in = (float)xx >= x0 && (float)xx < x0 + w && (float)y >= y0 && (float)y < y0 + h;
                x[y * S + xx] = in ? fminf(1.0f, fmaxf(0.0f, amp + 0.1f * gauss(r))) : 0.0f;
            }
    } else { /* empty box: border remnants, specks, or nothing at all */
        memset(x, 0, S * S * sizeof *x);
        for (int k = (int)below(r, 5); k > 0; k--)
            border_line(x, r);
        if (uni(r) < 0.3f)
            for (int k = (int)below(r, 5) + 1; k > 0; k--) {
                int p = (int)below(r, S * S);
                x[p] = fmaxf(x[p], range(r, 0.3f, 1.0f));
            }
    }
}

static void to_float(const uint8_t *img, float *x)
{
    for (int i = 0; i < S * S; i++)
        x[i] = (float)img[i] * (1.0f / 255.0f);
}

/* ---- backward pass ---- */

struct bufs {
    struct rk_digits_acts a;
    float *da1, *dp1, *da2, *dp2, *dh, *dl;
    uint8_t *m1, *m2; /* positions of a1/a2 that received any gradient from pooling */
};

struct tw { /* transposed weights for the backward pass */
    float *c2wT; /* [ky][kx][c2][c1] */
    float *f1wT; /* [hidden][flat] */
};

static size_t r16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static size_t bufs_floats(const struct rk_digits_net *m)
{
    const struct rk_digits_arch *a = &m->arch;
    return rk_digits_acts_floats(m) + r16((size_t)m->h1 * m->h1 * a->c1) +
           r16((size_t)m->p1 * m->p1 * a->c1) + r16((size_t)m->h2 * m->h2 * a->c2) + r16(m->flat) +
           r16(a->hidden) + 16 + r16((size_t)m->h1 * m->h1) / 4 + r16((size_t)m->h2 * m->h2) / 4;
}

static void bufs_layout(const struct rk_digits_net *m, float *base, struct bufs *b)
{
    const struct rk_digits_arch *a = &m->arch;
    rk_digits_acts_layout(m, base, &b->a);
    float *p = base + rk_digits_acts_floats(m);
    b->da1 = p, p += r16((size_t)m->h1 * m->h1 * a->c1);
    b->dp1 = p, p += r16((size_t)m->p1 * m->p1 * a->c1);
    b->da2 = p, p += r16((size_t)m->h2 * m->h2 * a->c2);
    b->dp2 = p, p += r16(m->flat);
    b->dh = p, p += r16(a->hidden);
    b->dl = p, p += 16;
    b->m1 = (uint8_t *)p, p += r16((size_t)m->h1 * m->h1) / 4;
    b->m2 = (uint8_t *)p;
}

static size_t tw_floats(const struct rk_digits_net *m)
{
    return r16((size_t)m->arch.k2 * m->arch.k2 * m->arch.c1 * m->arch.c2) +
           r16((size_t)m->flat * m->arch.hidden);
}

static void tw_fill(const struct rk_digits_net *m, float *base, struct tw *t)
{
    const uint32_t c1 = m->arch.c1, c2 = m->arch.c2, kk = m->arch.k2 * m->arch.k2;
    const uint32_t hid = m->arch.hidden, flat = m->flat;
    t->c2wT = base;
    t->f1wT = base + r16((size_t)kk * c1 * c2);
    for (uint32_t k = 0; k < kk; k++)
        for (uint32_t ci = 0; ci < c1; ci++)
            for (uint32_t co = 0; co < c2; co++)
                t->c2wT[((size_t)k * c2 + co) * c1 + ci] = m->c2w[((size_t)k * c1 + ci) * c2 + co];
    for (uint32_t i = 0; i < flat; i++)
        for (uint32_t j = 0; j < hid; j++)
            t->f1wT[(size_t)j * flat + i] = m->f1w[(size_t)i * hid + j];
}

/* Routes pooled gradients dp to the argmax of each 2x2 window (first maximum on ties, as in
 * the forward pass) into da (zeroed here) and marks positions that got any into mask. */
static void unpool(const float *a, const float *dp, uint32_t h, uint32_t c, float *da, uint8_t *mask)
{
    uint32_t p = h / 2;
    memset(da, 0, (size_t)h * h * c * sizeof *da);
    memset(mask, 0, (size_t)h * h);
    for (uint32_t y = 0; y < p; y++)
        for (uint32_t x = 0; x < p; x++) {
            size_t pos[4] = {(size_t)(2 * y) * h + 2 * x, (size_t)(2 * y) * h + 2 * x + 1,
                             (size_t)(2 * y + 1) * h + 2 * x, (size_t)(2 * y + 1) * h + 2 * x + 1};
            const float *g = dp + ((size_t)y * p + x) * c;
            for (uint32_t k = 0; k < c; k++) {
                if (g[k] == 0.0f)
                    continue;
                float v0 = a[pos[0] * c + k], v1 = a[pos[1] * c + k];
                float v2 = a[pos[2] * c + k], v3 = a[pos[3] * c + k];
                float top = v0 > v1 ? v0 : v1, bot = v2 > v3 ? v2 : v3;
                int w = top > bot ? (v0 > v1 ? 0 : 1) : bot > top ? (v2 > v3 ? 2 : 3)
                                                               : (v0 > v1 ? 0 : 1);
                if ((w == 0 ? v0 : w == 1 ? v1 : w == 2 ? v2 : v3) <= 0.0f)
                    continue; /* relu'd: no gradient */
                da[pos[w] * c + k] = g[k];
                mask[pos[w]] = 1;
            }
        }
}

RK_HOT static float backward(const struct rk_digits_net *m, const struct tw *t,
                             const struct bufs *b, int label, struct rk_digits_net *g)
{
    const uint32_t c1 = m->arch.c1, k1 = m->arch.k1, c2 = m->arch.c2, k2 = m->arch.k2;
    const uint32_t hid = m->arch.hidden, h1 = m->h1, h2 = m->h2, p1 = m->p1, flat = m->flat;
    const struct rk_digits_acts *a = &b->a;
    float mx = a->logits[0], sum = 0.0f;
    for (int j = 1; j < RK_DIGITS_CLASSES; j++)
        mx = a->logits[j] > mx ? a->logits[j] : mx;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        sum += b->dl[j] = expf(a->logits[j] - mx);
    float loss = logf(sum) - (a->logits[label] - mx);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        b->dl[j] = b->dl[j] / sum - (j == label ? 1.0f : 0.0f);
    /* fc2 */
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        g->f2b[j] += b->dl[j];
    for (uint32_t i = 0; i < hid; i++) {
        b->dh[i] = 0.0f;
        if (a->h[i] == 0.0f)
            continue;
        const float *w = m->f2w + (size_t)i * RK_DIGITS_CLASSES;
        float *gw = g->f2w + (size_t)i * RK_DIGITS_CLASSES, acc = 0.0f;
        for (int j = 0; j < RK_DIGITS_CLASSES; j++) {
            gw[j] += a->h[i] * b->dl[j];
            acc += w[j] * b->dl[j];
        }
        b->dh[i] = acc;
    }
    /* fc1 */
    for (uint32_t j = 0; j < hid; j++)
        g->f1b[j] += b->dh[j];
    for (uint32_t i = 0; i < flat; i++) {
        float v = a->p2[i];
        if (v == 0.0f)
            continue;
        float *gw = g->f1w + (size_t)i * hid;
        for (uint32_t j = 0; j < hid; j++)
            gw[j] += v * b->dh[j];
    }
    memset(b->dp2, 0, flat * sizeof *b->dp2);
    for (uint32_t j = 0; j < hid; j++) {
        float d = b->dh[j];
        if (d == 0.0f)
            continue;
        const float *w = t->f1wT + (size_t)j * flat;
        for (uint32_t i = 0; i < flat; i++)
            b->dp2[i] += w[i] * d;
    }
    /* conv2 */
    unpool(a->a2, b->dp2, h2, c2, b->da2, b->m2);
    memset(b->dp1, 0, (size_t)p1 * p1 * c1 * sizeof *b->dp1);
    for (uint32_t y = 0; y < h2; y++)
        for (uint32_t x = 0; x < h2; x++) {
            if (!b->m2[y * h2 + x])
                continue;
            const float *gr = b->da2 + ((size_t)y * h2 + x) * c2;
            for (uint32_t co = 0; co < c2; co++)
                g->c2b[co] += gr[co];
            for (uint32_t ky = 0; ky < k2; ky++)
                for (uint32_t kx = 0; kx < k2; kx++) {
                    size_t ip = ((size_t)(y + ky) * p1 + x + kx) * c1;
                    const float *in = a->p1 + ip;
                    float *gw = g->c2w + ((size_t)ky * k2 + kx) * c1 * c2;
                    for (uint32_t ci = 0; ci < c1; ci++) {
                        float v = in[ci];
                        if (v == 0.0f)
                            continue;
                        float *gwr = gw + (size_t)ci * c2;
                        for (uint32_t co = 0; co < c2; co++)
                            gwr[co] += v * gr[co];
                    }
                    const float *wT = t->c2wT + ((size_t)ky * k2 + kx) * c2 * c1;
                    float *dp = b->dp1 + ip;
                    for (uint32_t co = 0; co < c2; co++) {
                        float d = gr[co];
                        if (d == 0.0f)
                            continue;
                        const float *wr = wT + (size_t)co * c1;
                        for (uint32_t ci = 0; ci < c1; ci++)
                            dp[ci] += d * wr[ci];
                    }
                }
        }
    /* conv1 (no input gradient needed) */
    unpool(a->a1, b->dp1, h1, c1, b->da1, b->m1);
    for (uint32_t y = 0; y < h1; y++)
        for (uint32_t x = 0; x < h1; x++) {
            if (!b->m1[y * h1 + x])
                continue;
            const float *gr = b->da1 + ((size_t)y * h1 + x) * c1;
            for (uint32_t c = 0; c < c1; c++)
                g->c1b[c] += gr[c];
            for (uint32_t ky = 0; ky < k1; ky++)
                for (uint32_t kx = 0; kx < k1; kx++) {
                    float v = a->x[(y + ky) * S + x + kx];
                    if (v == 0.0f)
                        continue;
                    float *gw = g->c1w + ((size_t)ky * k1 + kx) * c1;
                    for (uint32_t c = 0; c < c1; c++)
                        gw[c] += v * gr[c];
                }
        }
    return loss;
}

size_t rk_digits_grad_work_size(const struct rk_digits_net *m)
{
    return (bufs_floats(m) + tw_floats(m)) * sizeof(float) + 64;
}

float rk_digits_loss_grad(const struct rk_digits_net *m, const float *x, int label, float *grad,
                          void *work, size_t work_len)
{
    if (!m->w || !x || !work || label < 0 || label >= RK_DIGITS_CLASSES ||
        work_len < rk_digits_grad_work_size(m))
        return NAN;
    float *base = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    struct bufs b;
    struct tw t;
    bufs_layout(m, base, &b);
    memcpy(b.a.x, x, S * S * sizeof *x);
    rk_digits_forward(m, &b.a);
    if (!grad) {
        float mx = b.a.logits[0], sum = 0.0f;
        for (int j = 1; j < RK_DIGITS_CLASSES; j++)
            mx = b.a.logits[j] > mx ? b.a.logits[j] : mx;
        for (int j = 0; j < RK_DIGITS_CLASSES; j++)
            sum += expf(b.a.logits[j] - mx);
        return logf(sum) - (b.a.logits[label] - mx);
    }
    tw_fill(m, base + bufs_floats(m), &t);
    struct rk_digits_net g = *m;
    rk_digits_bind(&g, grad);
    return backward(m, &t, &b, label, &g);
}

/* ---- calibration ---- */

static double nll_at(const float *logits, const int *labels, size_t n, double t)
{
    double tot = 0;
    for (size_t i = 0; i < n; i++) {
        const float *l = logits + i * RK_DIGITS_CLASSES;
        double mx = l[0], s = 0;
        for (int j = 1; j < RK_DIGITS_CLASSES; j++)
            mx = l[j] > mx ? l[j] : mx;
        for (int j = 0; j < RK_DIGITS_CLASSES; j++)
            s += exp((l[j] - mx) / t);
        tot += log(s) - (l[labels[i]] - mx) / t;
    }
    return n ? tot / (double)n : 0.0;
}

float rk_digits_fit_temperature(const float *logits, const int *labels, size_t n)
{
    if (n == 0)
        return 1.0f;
    /* NLL is unimodal in log T for this family; golden-section search on log T. */
    double lo = log(0.05), hi = log(20.0), g = (sqrt(5.0) - 1) / 2;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = nll_at(logits, labels, n, exp(a)), fb = nll_at(logits, labels, n, exp(b));
    for (int it = 0; it < 60; it++) {
        if (fa < fb)
            hi = b, b = a, fb = fa, a = hi - g * (hi - lo), fa = nll_at(logits, labels, n, exp(a));
        else
            lo = a, a = b, fa = fb, b = lo + g * (hi - lo), fb = nll_at(logits, labels, n, exp(b));
    }
    return (float)exp((lo + hi) / 2);
}

static void softmax_t(const float *l, float t, float *p)
{
    float mx = l[0], s = 0;
    for (int j = 1; j < RK_DIGITS_CLASSES; j++)
        mx = l[j] > mx ? l[j] : mx;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        s += p[j] = expf((l[j] - mx) / t);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        p[j] /= s;
}

static int top(const float *p, float *prob)
{
    int c = 0;
    for (int j = 1; j < RK_DIGITS_CLASSES; j++)
        if (p[j] > p[c])
            c = j;
    *prob = p[c];
    return c;
}

double rk_digits_ece(const float *logits, const int *labels, size_t n, float t)
{
    enum { BINS = 15 };
    double conf[BINS] = {0}, acc[BINS] = {0}, cnt[BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        float p[RK_DIGITS_CLASSES], pr;
        softmax_t(logits + i * RK_DIGITS_CLASSES, t, p);
        int c = top(p, &pr);
        int k = (int)(pr * BINS);
        k = k >= BINS ? BINS - 1 : k;
        conf[k] += pr, acc[k] += c == labels[i], cnt[k] += 1;
    }
    double e = 0;
    for (int k = 0; k < BINS; k++)
        e += fabs(acc[k] - conf[k]);
    return n ? e / (double)n : 0.0;
}

/* ---- threshold choice ---- */

struct scored {
    float prob;
    int cls, wrong;
    int eligible; /* accepted at a low enough threshold: a digit (and networks agree if asked) */
};

/* Smallest threshold among the observed confidences such that errors among accepted samples
 * (eligible, prob >= threshold) are at most target * accepted. */
static float choose_threshold(const struct scored *s, size_t n, double target)
{
    float best = 1.0f;
    /* Sweep from the highest confidence down, accumulating accepted and errors. */
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx)
        return best;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i].eligible)
            idx[m++] = i;
    /* shell sort by prob descending (no comparator globals needed) */
    for (size_t gap = m / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < m; i++) {
            size_t t = idx[i], j = i;
            while (j >= gap && s[idx[j - gap]].prob < s[t].prob)
                idx[j] = idx[j - gap], j -= gap;
            idx[j] = t;
        }
    size_t acc = 0, err = 0;
    for (size_t i = 0; i < m;) {
        float pr = s[idx[i]].prob;
        size_t j = i;
        for (; j < m && s[idx[j]].prob == pr; j++)
            acc++, err += (size_t)s[idx[j]].wrong;
        if ((double)err > target * (double)acc)
            break;
        best = pr;
        i = j;
    }
    free(idx);
    return best;
}

static void rate_at(const struct scored *s, size_t n, float thr, double *reject, double *acc_err,
                    uint32_t *nerr)
{
    size_t acc = 0, err = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i].eligible && s[i].prob >= thr)
            acc++, err += (size_t)s[i].wrong;
    *reject = n ? 1.0 - (double)acc / (double)n : 0.0;
    *acc_err = acc ? (double)err / (double)acc : 0.0;
    if (nerr)
        *nerr = (uint32_t)err;
}

/* ---- ensembles: calibration on one range of the held-out split, measurement on another ---- */

/* Mean NLL of the averaged calibrated probabilities at temperature t. */
static double ens_nll(const struct rk_digits_model *m, const float *logits, const int *labels,
                      uint32_t lo, uint32_t hi, float t)
{
    double tot = 0;
    size_t stride = (size_t)m->nnets * RK_DIGITS_CLASSES;
    for (uint32_t i = lo; i < hi; i++) {
        struct rk_digits_result r;
        rk_digits_decide(m, logits + i * stride, t, 1.0f, &r);
        tot -= log(fmax((double)r.probs[labels[i]], 1e-30));
    }
    return hi > lo ? tot / (double)(hi - lo) : 0.0;
}

/* Highest threshold among the observed confidences at which at most max_reject x n samples
 * are rejected (ineligible samples always are); 0 if even accepting every eligible sample
 * rejects more. */
static float budget_threshold(const struct scored *s, size_t n, double max_reject)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return 0.0f;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i].eligible)
            p[m++] = s[i].prob;
    for (size_t gap = m / 2; gap > 0; gap /= 2) /* shell sort, descending */
        for (size_t i = gap; i < m; i++) {
            float t = p[i];
            size_t j = i;
            while (j >= gap && p[j - gap] < t)
                p[j] = p[j - gap], j -= gap;
            p[j] = t;
        }
    /* Accepting the k most confident rejects n - k: need k >= n - max_reject * n. */
    double need = (double)n - max_reject * (double)n;
    size_t k = need <= 0 ? 0 : (size_t)ceil(need - 1e-9);
    float thr = 0.0f;
    if (k == 0)
        thr = m ? nextafterf(p[0], 2.0f) : 1.0f;
    else if (k <= m)
        thr = p[k - 1]; /* ties with p[k-1] are accepted too, which only lowers the reject */
    free(p);
    return thr > 1.0f ? 1.0f : thr;
}

/* Both calibration rules: the temperature, then the threshold by the error target (capped by
 * max_reject) or, with spend, the highest threshold within the reject budget max_reject. */
static int calibrate_ens(struct rk_digits_model *m, const float *logits, const int *labels,
                         uint32_t lo, uint32_t hi, double target, double max_reject, int spend)
{
    if (m->nnets < 1 || m->nnets > RK_DIGITS_MAX_NETS || hi <= lo || hi > m->split_count ||
        !(target >= 0 && target < 1) || !(max_reject >= 0 && max_reject <= 1))
        return RK_EINVAL;
    for (uint32_t i = lo; i < hi; i++)
        if (labels[i] < 0 || labels[i] >= RK_DIGITS_CLASSES)
            return RK_EINVAL;
    uint32_t n = hi - lo;
    struct scored *sc = calloc(n, sizeof *sc);
    if (!sc)
        return RK_ENOMEM;
    /* Golden-section search on log T, as rk_digits_fit_temperature. */
    double a0 = log(0.05), b0 = log(20.0), g = (sqrt(5.0) - 1) / 2;
    double a = b0 - g * (b0 - a0), b = a0 + g * (b0 - a0);
    double fa = ens_nll(m, logits, labels, lo, hi, (float)exp(a));
    double fb = ens_nll(m, logits, labels, lo, hi, (float)exp(b));
    for (int it = 0; it < 40; it++) {
        if (fa < fb)
            b0 = b, b = a, fb = fa, a = b0 - g * (b0 - a0),
            fa = ens_nll(m, logits, labels, lo, hi, (float)exp(a));
        else
            a0 = a, a = b, fa = fb, b = a0 + g * (b0 - a0),
            fb = ens_nll(m, logits, labels, lo, hi, (float)exp(b));
    }
    m->temperature = (float)exp((a0 + b0) / 2);
    size_t stride = (size_t)m->nnets * RK_DIGITS_CLASSES;
    for (uint32_t i = 0; i < n; i++) {
        struct rk_digits_result r;
        rk_digits_decide(m, logits + (lo + i) * stride, m->temperature, 0.0f, &r);
        sc[i] = (struct scored){.prob = r.prob, .cls = r.cls, .wrong = r.cls != labels[lo + i],
                                .eligible = r.accept};
    }
    if (spend) {
        m->threshold = budget_threshold(sc, n, max_reject);
    } else {
        m->threshold = choose_threshold(sc, n, target);
        if (max_reject < 1) {
            float cap = budget_threshold(sc, n, max_reject);
            m->threshold = cap < m->threshold ? cap : m->threshold;
        }
    }
    m->calib_lo = lo, m->calib_hi = hi;
    free(sc);
    return RK_OK;
}

int rk_digits_calibrate(struct rk_digits_model *m, const float *logits, const int *labels,
                        uint32_t lo, uint32_t hi, double target, double max_reject)
{
    return calibrate_ens(m, logits, labels, lo, hi, target, max_reject, 0);
}

int rk_digits_calibrate_budget(struct rk_digits_model *m, const float *logits,
                               const int *labels, uint32_t lo, uint32_t hi, double budget)
{
    return calibrate_ens(m, logits, labels, lo, hi, 0.0, budget, 1);
}

void rk_digits_measure(const struct rk_digits_model *m, const float *logits, const int *labels,
                       uint32_t lo, uint32_t hi, struct rk_digits_rates *out)
{
    memset(out, 0, sizeof *out);
    size_t stride = (size_t)m->nnets * RK_DIGITS_CLASSES;
    for (uint32_t i = lo; i < hi; i++) {
        if (labels[i] < 0)
            continue; /* set aside: counted nowhere */
        struct rk_digits_result r;
        rk_digits_decide(m, logits + i * stride, m->temperature, m->threshold, &r);
        out->n++;
        out->wrong += r.cls != labels[i];
        out->rejected += !r.accept;
        out->accepted_wrong += r.accept && r.cls != labels[i];
        out->disagree += r.agree != (int)m->nnets;
    }
}

/* ---- training loop ---- */

struct trainer {
    const struct rk_digits_train_opts *o;
    struct rk_digits_net *m;
    const uint8_t *images;
    const uint8_t *labels;
    const uint32_t *order; /* this epoch's sample order (indices into images) */
    float *grads;          /* threads x nweights */
    float *bufmem;         /* threads x bufs_floats */
    float *twmem;
    struct tw t;
    uint32_t epoch, step, batch_n;
    double loss[2];
    uint32_t correct[2], seen[2];
    pthread_barrier_t start, done;
    int stop;
};

struct worker {
    struct trainer *T;
    int id;
};

static void work_slice(struct trainer *T, int id)
{
    const struct rk_digits_net *m = T->m;
    int nt = T->o->threads;
    uint32_t lo = T->batch_n * (uint32_t)id / (uint32_t)nt, hi = T->batch_n * (uint32_t)(id + 1) / (uint32_t)nt;
    float *gmem = T->grads + (size_t)id * m->nweights;
    struct rk_digits_net g = *m;
    rk_digits_bind(&g, gmem);
    memset(gmem, 0, m->nweights * sizeof *gmem);
    struct bufs b;
    bufs_layout(m, T->bufmem + (size_t)id * r16(bufs_floats(m)), &b);
    float src[S * S];
    for (uint32_t i = lo; i < hi; i++) {
        size_t pos = (size_t)T->step * (size_t)T->o->batch + i;
        uint32_t idx = T->order[pos];
        struct rng r;
        rng_seed(&r, T->o->seed, T->epoch + 1, pos + 1);
        to_float(T->images + (size_t)idx * S * S, src);
        int label = T->labels[idx];
        if (uni(&r) < T->o->not_digit_frac) {
            make_not_digit(src, b.a.x, &r, T->o->elastic);
            label = RK_DIGITS_NOT_DIGIT;
        } else {
            augment_digit(src, b.a.x, &r, T->o->elastic);
        }
        rk_digits_forward(m, &b.a);
        int pred = 0;
        for (int j = 1; j < RK_DIGITS_CLASSES; j++)
            if (b.a.logits[j] > b.a.logits[pred])
                pred = j;
        T->correct[id] += pred == label;
        T->seen[id]++;
        T->loss[id] += backward(m, &T->t, &b, label, &g);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct trainer *T = w->T;
    for (;;) {
        pthread_barrier_wait(&T->start);
        if (T->stop)
            break;
        work_slice(T, w->id);
        pthread_barrier_wait(&T->done);
    }
    return NULL;
}

void rk_digits_train_defaults(struct rk_digits_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->arch = (struct rk_digits_arch){.c1 = 32, .k1 = 5, .c2 = 64, .k2 = 3, .hidden = 256};
    o->seed = 20240214;
    o->split_seed = 20240214;
    o->val_count = 10000;
    o->epochs = 45;
    o->batch = 64;
    o->lr = 2e-3f;
    o->threads = 2;
    o->not_digit_frac = 0.12f;
    o->target_accepted_error = 1e-4;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Held-out evaluation, temperature, threshold; fills the report and the model's calibration. */
static int calibrate(struct rk_digits_model *m, const struct rk_idx *images, const uint8_t *labels,
                     const uint32_t *val, uint32_t nval, const struct rk_digits_train_opts *o,
                     struct rk_digits_train_report *rep)
{
    int rc = RK_ENOMEM;
    size_t scratch_len = rk_digits_scratch_size(m);
    void *scratch = malloc(scratch_len);
    float *logits = malloc((size_t)nval * RK_DIGITS_CLASSES * sizeof *logits);
    int *lab = calloc(nval, sizeof *lab);
    struct scored *sc = calloc(nval, sizeof *sc);
    if (!scratch || !logits || !lab || !sc)
        goto out;
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < nval; i++) {
        float *l = logits + (size_t)i * RK_DIGITS_CLASSES;
        rk_digits_logits(m, 0, images->data + (size_t)val[i] * S * S, scratch, scratch_len, l);
        lab[i] = labels[val[i]];
        int c = 0;
        for (int j = 1; j < RK_DIGITS_CLASSES; j++)
            if (l[j] > l[c])
                c = j;
        wrong += c != lab[i];
    }
    rep->val_error = (double)wrong / nval;
    rep->nll_before = nll_at(logits, lab, nval, 1.0);
    rep->ece_before = rk_digits_ece(logits, lab, nval, 1.0f);
    m->temperature = rk_digits_fit_temperature(logits, lab, nval);
    rep->nll_after = nll_at(logits, lab, nval, m->temperature);
    rep->ece_after = rk_digits_ece(logits, lab, nval, m->temperature);
    for (uint32_t i = 0; i < nval; i++) {
        float p[RK_DIGITS_CLASSES];
        softmax_t(logits + (size_t)i * RK_DIGITS_CLASSES, m->temperature, p);
        sc[i].cls = top(p, &sc[i].prob);
        sc[i].wrong = sc[i].cls != lab[i];
        sc[i].eligible = sc[i].cls != RK_DIGITS_NOT_DIGIT;
    }
    m->threshold = choose_threshold(sc, nval, o->target_accepted_error);
    m->calib_lo = 0, m->calib_hi = nval;
    rate_at(sc, nval, m->threshold, &rep->reject_rate, &rep->accepted_error_rate,
            &rep->accepted_errors);
    /* Two-fold check of how optimistic choosing the threshold on the same data is. */
    uint32_t half = nval / 2;
    double r0, e0, r1, e1;
    rate_at(sc + half, nval - half, choose_threshold(sc, half, o->target_accepted_error), &r0, &e0, NULL);
    rate_at(sc, half, choose_threshold(sc + half, nval - half, o->target_accepted_error), &r1, &e1, NULL);
    rep->twofold_reject = (r0 + r1) / 2, rep->twofold_accepted_error = (e0 + e1) / 2;
    /* Synthetic not-digit samples made from held-out digits with a separate seed. */
    uint32_t nnd = nval < 2000 ? nval : 2000, caught = 0, as10 = 0;
    uint8_t img[S * S];
    float x[S * S], src[S * S];
    for (uint32_t i = 0; i < nnd; i++) {
        struct rng r;
        rng_seed(&r, o->seed ^ 0xabcdef12345ull, 0, i);
        to_float(images->data + (size_t)val[i] * S * S, src);
        make_not_digit(src, x, &r, 0.0f);
        for (int k = 0; k < S * S; k++)
            img[k] = (uint8_t)lrintf(fminf(fmaxf(x[k], 0.0f), 1.0f) * 255.0f);
        struct rk_digits_result res;
        rk_digits_classify(m, img, scratch, scratch_len, &res);
        caught += !res.accept;
        as10 += res.cls == RK_DIGITS_NOT_DIGIT;
    }
    rep->not_digit_caught = nnd ? (double)caught / nnd : 0;
    rep->not_digit_as_10 = nnd ? (double)as10 / nnd : 0;
    rc = RK_OK;
out:
    free(scratch), free(logits), free(lab), free(sc);
    return rc;
}

int rk_digits_train(const struct rk_idx *images, const struct rk_idx *labels,
                    const struct rk_digits_train_opts *o, struct rk_digits_model *out,
                    struct rk_digits_train_report *rep)
{
    memset(rep, 0, sizeof *rep);
    memset(out, 0, sizeof *out);
    if (images->ndim != 3 || images->rows != S || images->cols != S || labels->ndim != 1 ||
        labels->count != images->count || images->count <= o->val_count || o->epochs < 1 ||
        o->epochs > 1000 || o->batch < 1 || o->batch > 4096 || o->threads < 1 || o->threads > 2 ||
        !(o->lr > 0 && o->lr < 1) || !(o->not_digit_frac >= 0 && o->not_digit_frac < 1) || !(o->elastic >= 0 && o->elastic <= 1))
        return RK_EINVAL;
    for (uint32_t i = 0; i < labels->count; i++)
        if (labels->data[i] > 9)
            return RK_EINVAL;
    if (o->init && (o->init->nnets != 1 || memcmp(&o->init->net[0].arch, &o->arch, sizeof o->arch) != 0 ||
                    o->init->split_seed != o->split_seed || o->init->split_count != o->val_count))
        return RK_EINVAL;
    double t0 = now();
    int rc = rk_digits_model_init(out, &o->arch);
    if (rc != RK_OK)
        return rc;
    out->split_seed = o->split_seed;
    out->split_count = o->val_count;
    struct rk_digits_net *net = &out->net[0];
    uint32_t n = images->count;
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    struct trainer T = {.o = o, .m = net, .images = images->data, .labels = labels->data};
    size_t nw = net->nweights;
    float *adam_m = calloc(nw, sizeof *adam_m), *adam_v = calloc(nw, sizeof *adam_v);
    uint32_t ntrain = n - o->val_count;
    if (o->max_train && o->max_train < ntrain)
        ntrain = o->max_train;
    uint32_t *order = malloc((size_t)ntrain * sizeof *order);
    T.grads = malloc((size_t)o->threads * nw * sizeof *T.grads);
    T.bufmem = malloc((size_t)o->threads * r16(bufs_floats(net)) * sizeof *T.bufmem);
    T.twmem = malloc(tw_floats(net) * sizeof *T.twmem);
    pthread_t th = 0;
    struct worker w1 = {.T = &T, .id = 1};
    int barriers = 0, started = 0;
    rc = RK_ENOMEM;
    if (!perm || !adam_m || !adam_v || !order || !T.grads || !T.bufmem || !T.twmem)
        goto out;
    rk_digits_split(n, o->split_seed, perm);
    if (o->init) {
        /* Fine-tuning: start from a model trained on the same split, so the held-out samples
         * stay unseen. */
        memcpy(net->w, o->init->net[0].w, nw * sizeof *net->w);
    } else { /* He initialisation, seeded. */
        struct rng r;
        rng_seed(&r, o->seed, 0, 0);
        const struct rk_digits_arch *a = &o->arch;
        struct {
            float *w;
            size_t n;
            float fan;
        } L[4] = {{net->c1w, (size_t)a->k1 * a->k1 * a->c1, (float)(a->k1 * a->k1)},
                  {net->c2w, (size_t)a->k2 * a->k2 * a->c1 * a->c2, (float)(a->k2 * a->k2 * a->c1)},
                  {net->f1w, (size_t)net->flat * a->hidden, (float)net->flat},
                  {net->f2w, (size_t)a->hidden * RK_DIGITS_CLASSES, (float)a->hidden}};
        for (int l = 0; l < 4; l++)
            for (size_t i = 0; i < L[l].n; i++)
                L[l].w[i] = gauss(&r) * sqrtf(2.0f / L[l].fan);
    }
    if (pthread_barrier_init(&T.start, NULL, (unsigned)o->threads) != 0)
        goto out;
    if (pthread_barrier_init(&T.done, NULL, (unsigned)o->threads) != 0) {
        pthread_barrier_destroy(&T.start);
        goto out;
    }
    barriers = 1;
    rc = RK_EINTERNAL;
    if (o->threads == 2) {
        if (pthread_create(&th, NULL, worker_main, &w1) != 0)
            goto out;
        started = 1;
    }
    uint32_t steps_per_epoch = (ntrain + (uint32_t)o->batch - 1) / (uint32_t)o->batch;
    uint64_t total = (uint64_t)steps_per_epoch * (uint64_t)o->epochs, gstep = 0;
    const float b1 = 0.9f, b2 = 0.999f;
    double b1t = 1, b2t = 1;
    for (int ep = 0; ep < o->epochs; ep++) {
        double te = now();
        struct rng r;
        rng_seed(&r, o->seed, 0x0e90c4, (uint64_t)ep);
        for (uint32_t i = 0; i < ntrain; i++)
            order[i] = perm[o->val_count + i];
        for (uint32_t i = ntrain - 1; i > 0; i--) {
            uint32_t j = below(&r, i + 1), t = order[i];
            order[i] = order[j], order[j] = t;
        }
        T.order = order;
        T.epoch = (uint32_t)ep;
        memset(T.loss, 0, sizeof T.loss), memset(T.correct, 0, sizeof T.correct), memset(T.seen, 0, sizeof T.seen);
        for (uint32_t st = 0; st < steps_per_epoch; st++, gstep++) {
            T.step = st;
            uint32_t left = ntrain - st * (uint32_t)o->batch;
            T.batch_n = left < (uint32_t)o->batch ? left : (uint32_t)o->batch;
            tw_fill(net, T.twmem, &T.t);
            if (o->threads == 2)
                pthread_barrier_wait(&T.start);
            work_slice(&T, 0);
            if (o->threads == 2)
                pthread_barrier_wait(&T.done);
            /* Sum thread gradients in a fixed order, then Adam with warmup + cosine decay. */
            float *g = T.grads;
            for (int k = 1; k < o->threads; k++) {
                const float *gk = T.grads + (size_t)k * nw;
                for (size_t i = 0; i < nw; i++)
                    g[i] += gk[i];
            }
            double frac = (double)gstep / (double)total;
            double lr = o->lr * (0.02 + 0.98 * 0.5 * (1 + cos(M_PI * frac)));
            if (gstep < 300)
                lr *= (double)(gstep + 1) / 300.0;
            b1t *= b1, b2t *= b2;
            float step = (float)(lr * sqrt(1 - b2t) / (1 - b1t)), inv = 1.0f / (float)T.batch_n;
            for (size_t i = 0; i < nw; i++) {
                float gi = g[i] * inv;
                adam_m[i] = b1 * adam_m[i] + (1 - b1) * gi;
                adam_v[i] = b2 * adam_v[i] + (1 - b2) * gi * gi;
                net->w[i] -= step * adam_m[i] / (sqrtf(adam_v[i]) + 1e-8f);
            }
        }
        if (o->log) {
            uint32_t seen = T.seen[0] + T.seen[1];
            fprintf(o->log, "epoch %d/%d: loss %.4f train-acc %.4f (%.1f s)\n", ep + 1, o->epochs,
                    (T.loss[0] + T.loss[1]) / seen, (double)(T.correct[0] + T.correct[1]) / seen,
                    now() - te);
            fflush(o->log);
        }
    }
    if (started) {
        T.stop = 1;
        pthread_barrier_wait(&T.start);
        pthread_join(th, NULL);
        started = 0;
    }
    rc = calibrate(out, images, labels->data, perm, o->val_count, o, rep);
    rep->train_count = ntrain;
    rep->val_count = o->val_count;
    rep->seconds = now() - t0;
out:
    if (started) {
        T.stop = 1;
        pthread_barrier_wait(&T.start);
        pthread_join(th, NULL);
    }
    if (barriers) {
        pthread_barrier_destroy(&T.start);
        pthread_barrier_destroy(&T.done);
    }
    free(perm), free(adam_m), free(adam_v), free(order), free(T.grads), free(T.bufmem), free(T.twmem);
    if (rc != RK_OK)
        rk_digits_model_free(out);
    return rc;
}
