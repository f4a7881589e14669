/* The digit CNN with 8-bit arithmetic (models flagged RK_DIGITS_INT8): weights quantised once,
 * when the model is loaded, to int8 with one scale per output channel; activations quantised
 * per box and layer to uint8 (0 .. the layer's largest value); every dot product is an exact
 * integer sum of uint8 x int8 products, so the result does not depend on the order of the
 * terms or on the instruction set: the AVX-512 VNNI kernel (vpdpbusd, 64 products an
 * instruction, where the float pass does 16 with two instructions), the AVX2 one and the
 * portable C one give the same bits (tests/lib/test_digits_q.c). Only the per-output rescale,
 * bias and relu are float, written once for all three. fc2 (11 outputs) stays float.
 *
 * Why it is safe to pool before the rescale: relu(float(acc) * s + b) with s >= 0 never
 * decreases as acc grows (every step rounds monotonically), so the max of the four rescaled
 * values is the rescale of the max of the four sums, bit for bit; pooling the integer sums does
 * a quarter of the float work. */
#include "digits_impl.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef RK_HAVE_AVX512
#include <immintrin.h>
#define RK_VNNI __attribute__((target("avx512f,avx512vnni")))
#endif

/* The float epilogue is written in 16-lane GNU C vectors: built for AVX-512BW (one register,
 * byte narrowing in one instruction), AVX2 and the baseline; IEEE operations without FMA, so
 * every clone gives the same bits. */
#if defined(RK_HAVE_AVX512)
#define RK_Q_HOT __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define RK_Q_HOT RK_HOT
#endif

#define XROW 32u /* bytes per row of the padded input: a conv1 group may read past column 27 */

static uint32_t up(uint32_t n, uint32_t to)
{
    return (n + to - 1) / to * to;
}

static size_t up64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static size_t max3(size_t a, size_t b, size_t c)
{
    size_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* Sizes every part of the 8-bit net of m; shared by the quantiser and the scratch layout. */
struct qdims {
    uint32_t c1r, c2r, hr, c1p, flatp, gr1, g1, g2, g3;
};

static void qdims(const struct rk_digits_net *m, struct qdims *d)
{
    const struct rk_digits_arch *a = &m->arch;
    d->c1r = up(a->c1, 16), d->c2r = up(a->c2, 16), d->hr = up(a->hidden, 16);
    d->c1p = up(a->c1, 4), d->flatp = up(m->flat, 4);
    d->gr1 = (a->k1 + 3) / 4;           /* groups of 4 taps per kernel row */
    d->g1 = a->k1 * d->gr1;             /* per conv1 window */
    d->g2 = a->k2 * a->k2 * d->c1p / 4; /* per conv2 window */
    d->g3 = d->flatp / 4;               /* fc1 */
}

/* Quantises the weights of one layer: out[g][o][t] (outputs rounded up to nor) from the float
 * weight of input index in_of(g, t) (or none: -1) for output o, scale per output
 * (max |w| / 127, 0 for an all-zero or padded output). src is [inputs][nout]. */
static void quant_layer(const float *src, uint32_t nout, uint32_t nor, uint32_t ng,
                        const int32_t *in_of, int8_t *out, float *scale)
{
    for (uint32_t o = 0; o < nor; o++) {
        float amax = 0.0f;
        if (o < nout)
            for (uint32_t i = 0; i < ng * 4; i++)
                if (in_of[i] >= 0) {
                    float v = fabsf(src[(size_t)in_of[i] * nout + o]);
                    amax = v > amax ? v : amax;
                }
        scale[o] = amax / 127.0f;
        for (uint32_t i = 0; i < ng * 4; i++) {
            int8_t q = 0;
            if (o < nout && amax > 0.0f && in_of[i] >= 0) {
                float r = roundf(src[(size_t)in_of[i] * nout + o] * (127.0f / amax));
                q = (int8_t)(r > 127.0f ? 127 : r < -127.0f ? -127 : (int)r);
            }
            out[((size_t)(i / 4) * nor + o) * 4 + i % 4] = q;
        }
    }
}

int rk_digits_quantize(const struct rk_digits_net *m, struct rk_digits_qnet **out)
{
    const struct rk_digits_arch *a = &m->arch;
    struct qdims d;
    qdims(m, &d);
    size_t n_w1 = (size_t)d.g1 * d.c1r * 4, n_w2 = (size_t)d.g2 * d.c2r * 4,
           n_w3 = (size_t)d.g3 * d.hr * 4;
    size_t bytes = up64(sizeof(struct rk_digits_qnet)) + up64(n_w1) + up64(n_w2) + up64(n_w3) +
                   up64((size_t)(d.c1r + d.c2r + d.hr) * sizeof(float)) +
                   up64((size_t)(d.c1r + d.c2r) * sizeof(float)) +
                   up64((size_t)(d.g1 + d.g2) * sizeof(uint32_t));
    uint8_t *base = aligned_alloc(64, bytes);
    /* the float input behind each 8-bit input slot of a layer: needed only while quantising */
    int32_t *in_of = malloc(max3(d.g1, d.g2, d.g3) * 4 * sizeof *in_of);
    if (!base || !in_of) {
        free(base), free(in_of);
        return RK_ENOMEM;
    }
    struct rk_digits_qnet *q = (struct rk_digits_qnet *)(void *)base;
    uint8_t *p = base + up64(sizeof *q);
    q->c1r = d.c1r, q->c2r = d.c2r, q->hr = d.hr, q->c1p = d.c1p, q->flatp = d.flatp;
    q->g1 = d.g1, q->g2 = d.g2, q->g3 = d.g3;
    q->w1 = (int8_t *)p, p += up64(n_w1);
    q->w2 = (int8_t *)p, p += up64(n_w2);
    q->w3 = (int8_t *)p, p += up64(n_w3);
    q->s1 = (float *)(void *)p, q->s2 = q->s1 + d.c1r, q->s3 = q->s2 + d.c2r;
    p += up64((size_t)(d.c1r + d.c2r + d.hr) * sizeof(float));
    q->b1 = (float *)(void *)p, q->b2 = q->b1 + d.c1r;
    p += up64((size_t)(d.c1r + d.c2r) * sizeof(float));
    memset(q->b1, 0, (size_t)(d.c1r + d.c2r) * sizeof(float));
    memcpy(q->b1, m->c1b, a->c1 * sizeof(float));
    memcpy(q->b2, m->c2b, a->c2 * sizeof(float));
    q->o1 = (uint32_t *)(void *)p, q->o2 = q->o1 + d.g1;
    /* conv1: group (ky, j) holds taps kx = 4j .. 4j + 3 of kernel row ky; float w[ky][kx][c1] */
    for (uint32_t ky = 0; ky < a->k1; ky++)
        for (uint32_t j = 0; j < d.gr1; j++) {
            uint32_t g = ky * d.gr1 + j;
            q->o1[g] = ky * XROW + 4 * j;
            for (uint32_t t = 0; t < 4; t++) {
                uint32_t kx = 4 * j + t;
                in_of[g * 4 + t] = kx < a->k1 ? (int32_t)(ky * a->k1 + kx) : -1;
            }
        }
    quant_layer(m->c1w, a->c1, d.c1r, d.g1, in_of, q->w1, q->s1);
    /* conv2: group (ky, kx, cg) holds channels 4cg .. 4cg + 3 of window pixel (ky, kx); float
     * w[ky][kx][c1][c2] */
    uint32_t cg = d.c1p / 4;
    for (uint32_t ky = 0; ky < a->k2; ky++)
        for (uint32_t kx = 0; kx < a->k2; kx++)
            for (uint32_t c = 0; c < cg; c++) {
                uint32_t g = (ky * a->k2 + kx) * cg + c;
                q->o2[g] = (ky * m->p1 + kx) * d.c1p + 4 * c;
                for (uint32_t t = 0; t < 4; t++) {
                    uint32_t ci = 4 * c + t;
                    in_of[g * 4 + t] = ci < a->c1 ? (int32_t)((ky * a->k2 + kx) * a->c1 + ci) : -1;
                }
            }
    quant_layer(m->c2w, a->c2, d.c2r, d.g2, in_of, q->w2, q->s2);
    /* fc1: group g holds flat inputs 4g .. 4g + 3; float w[flat][hidden] */
    for (uint32_t i = 0; i < d.g3 * 4; i++)
        in_of[i] = i < m->flat ? (int32_t)i : -1;
    quant_layer(m->f1w, a->hidden, d.hr, d.g3, in_of, q->w3, q->s3);
    free(in_of);
    *out = q;
    return RK_OK;
}

void rk_digits_qnet_free(struct rk_digits_qnet *q)
{
    free(q);
}

/* The 8-bit pass's working memory, carved from the caller's scratch (64-byte aligned). */
struct qacts {
    uint8_t *x;            /* 28 rows of XROW bytes, zero-padded */
    int32_t *acc;          /* a conv's sums for its whole map, outputs rounded up */
    float *v;              /* a pooled map, rescaled: the values being quantised */
    uint8_t *q1, *q2;      /* pooled conv1 (p1 x p1 x c1p) and conv2 (flatp) maps, 8-bit */
    float *sc;             /* per output: weight scale x input scale */
};

static size_t qacts_layout(const struct rk_digits_net *m, uint8_t *base, struct qacts *a)
{
    struct qdims d;
    qdims(m, &d);
    size_t o = 0;
#define CARVE(field, type, n)                                                                  \
    do {                                                                                       \
        if (a)                                                                                 \
            a->field = (type *)(void *)(base + o);                                             \
        o += up64((n) * sizeof(type));                                                         \
    } while (0)
    CARVE(x, uint8_t, (size_t)RK_DIGITS_SIDE * XROW);
    /* acc and v hold one layer at a time: conv1's, conv2's or fc1's */
    CARVE(acc, int32_t, max3((size_t)m->h1 * m->h1 * d.c1r, (size_t)m->h2 * m->h2 * d.c2r, d.hr));
    CARVE(v, float, max3((size_t)m->p1 * m->p1 * d.c1r, (size_t)m->p2 * m->p2 * d.c2r, d.hr));
    CARVE(q1, uint8_t, (size_t)m->p1 * m->p1 * d.c1p);
    CARVE(q2, uint8_t, (size_t)d.flatp);
    CARVE(sc, float, max3(d.c1r, d.c2r, d.hr));
#undef CARVE
    return o;
}

size_t rk_digits_qscratch_size(const struct rk_digits_net *m)
{
    return qacts_layout(m, NULL, NULL);
}

/* The input offset of group g: off[g], or 4g for a flat input (fc1, off NULL). */
static inline __attribute__((always_inline)) uint32_t goff(const uint32_t *off, uint32_t g)
{
    return off ? off[g] : 4 * g;
}

/* out[p ostride + o] = sum over groups g < ng, t < 4 of in[p pstep + goff(g) + t] x
 * w[(g nor + o) 4 + t], for p < np and o < nor: the portable kernel. Written for the
 * vectoriser (SSE2, AVX2 clone, or another architecture's): each group adds its four inputs
 * times the weights as laid out, into four partial sums per output, added at the end. */
static RK_HOT void gemv_c(const uint8_t *in, size_t pstep, uint32_t np, const uint32_t *off,
                          uint32_t ng, const int8_t *w, uint32_t nor, int32_t *out,
                          size_t ostride)
{
    int32_t part[4 * RK_DIGITS_Q_MAX_OUT];
    const uint32_t n4 = 4 * nor;
    for (uint32_t p = 0; p < np; p++) {
        memset(part, 0, n4 * sizeof *part);
        for (uint32_t g = 0; g < ng; g++) {
            const uint8_t *x = in + (size_t)p * pstep + goff(off, g);
            int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
            if ((x0 | x1 | x2 | x3) == 0)
                continue;
            const int8_t *wg = w + (size_t)g * n4;
            for (uint32_t j = 0; j < n4; j += 4) {
                part[j] += x0 * wg[j];
                part[j + 1] += x1 * wg[j + 1];
                part[j + 2] += x2 * wg[j + 2];
                part[j + 3] += x3 * wg[j + 3];
            }
        }
        int32_t *o = out + (size_t)p * ostride;
        for (uint32_t c = 0; c < nor; c++)
            o[c] = part[4 * c] + part[4 * c + 1] + part[4 * c + 2] + part[4 * c + 3];
    }
}

#ifdef RK_HAVE_AVX512
#define RK_Q_AVX2 __attribute__((target("avx2")))

/* Outputs [co, co + 16 nb) of one pixel with AVX2's vpmaddwd (int16 pairs into int32: exact,
 * unlike vpmaddubsw, which saturates): each group's 16 nb x 4 weights widened to int16, times
 * the group's four inputs, gives two partial sums per output, added at the end. */
static inline __attribute__((always_inline)) RK_Q_AVX2 void
avx2_block(const uint8_t *in, const uint32_t *off, uint32_t ng, const int8_t *w, uint32_t nor,
           uint32_t co, int32_t *out, const int nb)
{
    __m256i acc[8];
    for (int i = 0; i < 4 * nb; i++)
        acc[i] = _mm256_setzero_si256();
    for (uint32_t g = 0; g < ng; g++) {
        const uint8_t *x = in + goff(off, g);
        uint32_t b;
        memcpy(&b, x, 4);
        if (b == 0)
            continue;
        __m256i xv = _mm256_set1_epi64x((long long)((uint64_t)x[0] | (uint64_t)x[1] << 16 |
                                                    (uint64_t)x[2] << 32 | (uint64_t)x[3] << 48));
        const int8_t *wg = w + ((size_t)g * nor + co) * 4;
        for (int i = 0; i < 4 * nb; i++) {
            __m128i wb = _mm_loadu_si128((const __m128i *)(const void *)(wg + 16 * i));
            acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_cvtepi8_epi16(wb), xv));
        }
    }
    int32_t t[64];
    for (int i = 0; i < 4 * nb; i++)
        _mm256_storeu_si256((__m256i *)(void *)(t + 8 * i), acc[i]);
    for (int o = 0; o < 16 * nb; o++)
        out[co + (uint32_t)o] = t[2 * o] + t[2 * o + 1];
}

/* gemv_c with AVX2, for machines without AVX-512 VNNI (the same sums). */
static RK_Q_AVX2 void gemv_avx2(const uint8_t *in, size_t pstep, uint32_t np,
                                const uint32_t *off, uint32_t ng, const int8_t *w, uint32_t nor,
                                int32_t *out, size_t ostride)
{
    for (uint32_t p = 0; p < np; p++) {
        const uint8_t *i = in + p * pstep;
        int32_t *o = out + p * ostride;
        uint32_t co = 0;
        for (; co + 32 <= nor; co += 32)
            avx2_block(i, off, ng, w, nor, co, o, 2);
        if (co < nor)
            avx2_block(i, off, ng, w, nor, co, o, 1);
    }
}

#define MAX_GROUPS 1568u /* fc1 of the largest allowed net: 7 x 7 x 128 inputs / 4 */

/* Outputs [co, co + 16 nv) of np pixels over the groups gl[0..ngl). */
static inline __attribute__((always_inline)) RK_VNNI void
vnni_block(const uint8_t *in, size_t pstep, const uint32_t *off, const uint16_t *gl, uint32_t ngl,
           const int8_t *w, uint32_t nor, uint32_t co, int32_t *out, size_t ostride, const int np,
           const int nv)
{
    __m512i acc[4][16];
    for (int p = 0; p < np; p++)
        for (int v = 0; v < nv; v++)
            acc[p][v] = _mm512_setzero_si512();
    for (uint32_t i = 0; i < ngl; i++) {
        uint32_t g = gl[i], go = goff(off, g);
        const int8_t *wg = w + ((size_t)g * nor + co) * 4;
        __m512i x[4];
        for (int p = 0; p < np; p++) {
            int32_t b;
            memcpy(&b, in + (size_t)p * pstep + go, 4);
            x[p] = _mm512_set1_epi32(b);
        }
        for (int v = 0; v < nv; v++) {
            __m512i wv = _mm512_loadu_si512((const void *)(wg + 64 * v));
            for (int p = 0; p < np; p++)
                acc[p][v] = _mm512_dpbusd_epi32(acc[p][v], x[p], wv);
        }
    }
    for (int p = 0; p < np; p++)
        for (int v = 0; v < nv; v++)
            _mm512_storeu_si512((void *)(out + (size_t)p * ostride + co + 16 * v), acc[p][v]);
}

/* The groups of ng whose input is nonzero for some of np pixels, into gl; their count. A zero
 * group adds nothing to any sum, and most of a digit box is background (no branch: every group
 * is written, the count moves only past nonzero ones). */
static inline __attribute__((always_inline)) uint32_t
nonzero_groups(const uint8_t *in, size_t pstep, uint32_t np, const uint32_t *off, uint32_t ng,
               uint16_t *gl)
{
    uint32_t n = 0;
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t any = 0, go = goff(off, g);
        for (uint32_t p = 0; p < np; p++) {
            uint32_t b;
            memcpy(&b, in + p * pstep + go, 4);
            any |= b;
        }
        gl[n] = (uint16_t)g;
        n += any != 0;
    }
    return n;
}

/* gemv_c with vpdpbusd, over the nonzero groups only if skip (fc1: each zero group is 4 x
 * hidden weight bytes not read; for the convolutions, four pixels' groups, the list costs
 * more than it saves, measured): four pixels at a time where the outputs
 * fit four vectors (each weight vector loaded once for four pixels), else one pixel in blocks
 * of up to sixteen vectors. */
static RK_VNNI void gemv_vnni(const uint8_t *in, size_t pstep, uint32_t np, const uint32_t *off,
                              uint32_t ng, int skip, const int8_t *w, uint32_t nor, int32_t *out,
                              size_t ostride)
{
    uint16_t gl[MAX_GROUPS];
    uint32_t nv = nor / 16, p = 0;
    for (uint32_t g = 0; !skip && g < ng; g++)
        gl[g] = (uint16_t)g;
    if (nv <= 4)
        for (; p + 4 <= np; p += 4) {
            const uint8_t *i = in + p * pstep;
            int32_t *o = out + p * ostride;
            uint32_t n = skip ? nonzero_groups(i, pstep, 4, off, ng, gl) : ng;
            switch (nv) {
            case 1: vnni_block(i, pstep, off, gl, n, w, nor, 0, o, ostride, 4, 1); break;
            case 2: vnni_block(i, pstep, off, gl, n, w, nor, 0, o, ostride, 4, 2); break;
            case 3: vnni_block(i, pstep, off, gl, n, w, nor, 0, o, ostride, 4, 3); break;
            default: vnni_block(i, pstep, off, gl, n, w, nor, 0, o, ostride, 4, 4); break;
            }
        }
    for (; p < np; p++) {
        const uint8_t *i = in + p * pstep;
        int32_t *o = out + p * ostride;
        uint32_t n = skip ? nonzero_groups(i, 0, 1, off, ng, gl) : ng, v = 0;
        for (; v + 16 <= nv; v += 16)
            vnni_block(i, 0, off, gl, n, w, nor, 16 * v, o, 0, 1, 16);
        if (nv - v >= 8)
            vnni_block(i, 0, off, gl, n, w, nor, 16 * v, o, 0, 1, 8), v += 8;
        if (nv - v >= 4)
            vnni_block(i, 0, off, gl, n, w, nor, 16 * v, o, 0, 1, 4), v += 4;
        if (nv - v >= 2)
            vnni_block(i, 0, off, gl, n, w, nor, 16 * v, o, 0, 1, 2), v += 2;
        if (nv - v >= 1)
            vnni_block(i, 0, off, gl, n, w, nor, 16 * v, o, 0, 1, 1);
    }
}
#endif

/* The kernel chosen (RK_DIGITS_Q_*): the same sums either way. */
static void gemv(int kernel, const uint8_t *in, size_t pstep, uint32_t np, const uint32_t *off,
                 uint32_t ng, int skip, const int8_t *w, uint32_t nor, int32_t *out,
                 size_t ostride)
{
#ifdef RK_HAVE_AVX512
    if (kernel == RK_DIGITS_Q_VNNI) {
        gemv_vnni(in, pstep, np, off, ng, skip, w, nor, out, ostride);
        return;
    }
    if (kernel == RK_DIGITS_Q_AVX2) {
        gemv_avx2(in, pstep, np, off, ng, w, nor, out, ostride);
        return;
    }
#endif
    (void)kernel, (void)skip;
    gemv_c(in, pstep, np, off, ng, w, nor, out, ostride);
}

int rk_digits_q_kernel(void)
{
#ifdef RK_HAVE_AVX512
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni"))
        return RK_DIGITS_Q_VNNI;
    if (__builtin_cpu_supports("avx2"))
        return RK_DIGITS_Q_AVX2;
#endif
    return RK_DIGITS_Q_C;
}

typedef int32_t v16i __attribute__((vector_size(64)));
typedef float v16f __attribute__((vector_size(64)));
typedef uint8_t v16b __attribute__((vector_size(16)));

/* No vector is passed or returned by value (the baseline clone has no ABI for them). */
static inline __attribute__((always_inline)) void max16(v16i *a, const int32_t *p)
{
    v16i b, gt;
    memcpy(&b, p, sizeof b);
    gt = *a > b;
    *a = (*a & gt) | (b & ~gt);
}

/* v[(y p + x) nor + o] = relu(float(max of the 2x2 sums) x (s[o] x in_scale) + b[o]) for the
 * p x p pooled map of an h x h map of sums, all nor (a multiple of 16) outputs (padded ones
 * have zero sums, scale and bias: +0); returns the largest value. Sixteen outputs at a time
 * in GNU C vectors (one AVX-512 register, two AVX2 or four SSE ones: the same bits). The
 * values are >= +0, so their bit patterns order as the floats do: relu and the running max
 * are integer operations. */
static inline __attribute__((always_inline)) float
pool_rescale(const int32_t *acc, uint32_t h, uint32_t nor, const float *s, float in_scale,
             const float *b, float *sc, float *v)
{
    uint32_t p = h / 2;
    for (uint32_t o = 0; o < nor; o++)
        sc[o] = s[o] * in_scale;
    v16i vmax = {0};
    for (uint32_t y = 0; y < p; y++)
        for (uint32_t x = 0; x < p; x++) {
            const int32_t *a00 = acc + ((size_t)(2 * y) * h + 2 * x) * nor, *a01 = a00 + nor;
            const int32_t *a10 = a00 + (size_t)h * nor, *a11 = a10 + nor;
            float *o = v + ((size_t)y * p + x) * nor;
            for (uint32_t k = 0; k < nor; k += 16) {
                v16i m;
                memcpy(&m, a00 + k, sizeof m);
                max16(&m, a01 + k), max16(&m, a10 + k), max16(&m, a11 + k);
                v16f scv, bv;
                memcpy(&scv, sc + k, sizeof scv);
                memcpy(&bv, b + k, sizeof bv);
                v16f r = __builtin_convertvector(m, v16f) * scv + bv;
                v16i bits = (v16i)r;
                bits &= ~(bits >> 31); /* relu: any negative (and -0) becomes +0 */
                v16i gt = bits > vmax;
                vmax = (bits & gt) | (vmax & ~gt);
                memcpy(o + k, &bits, sizeof bits);
            }
        }
    int32_t mx = 0;
    for (int i = 0; i < 16; i++)
        mx = vmax[i] > mx ? vmax[i] : mx;
    float f;
    memcpy(&f, &mx, sizeof f);
    return f;
}

/* q[i cp + k] = round(v[i nor + k] x 255 / vmax) for pix pixels of c channels (v nor apart,
 * q cp apart, zero between); returns the scale back to real values, vmax / 255. */
static inline __attribute__((always_inline)) float
quant_act(const float *v, size_t pix, uint32_t nor, uint32_t c, uint32_t cp, float vmax,
          uint8_t *q)
{
    if (cp != c || !(vmax > 0.0f))
        memset(q, 0, pix * cp);
    if (!(vmax > 0.0f))
        return 0.0f;
    const float inv = 255.0f / vmax;
    const v16f invv = inv - (v16f){0}, half = 0.5f - (v16f){0}, top = 255.0f - (v16f){0};
    for (size_t i = 0; i < pix; i++) {
        const float *vi = v + i * nor;
        uint8_t *qi = q + i * cp;
        uint32_t k = 0;
        for (; k + 16 <= c; k += 16) {
            v16f r;
            memcpy(&r, vi + k, sizeof r);
            r = r * invv + half;
            v16i lt = r < top;
            r = (v16f)(((v16i)r & lt) | ((v16i)top & ~lt));
            v16b qb = __builtin_convertvector(__builtin_convertvector(r, v16i), v16b);
            memcpy(qi + k, &qb, sizeof qb);
        }
        for (; k < c; k++) {
            float r = vi[k] * inv + 0.5f;
            r = r < 255.0f ? r : 255.0f;
            qi[k] = (uint8_t)(int32_t)r;
        }
    }
    return vmax / 255.0f;
}

RK_Q_HOT void rk_digits_forward_q(const struct rk_digits_net *m, const struct rk_digits_qnet *q,
                                int kernel, const uint8_t *img, void *scratch, float *logits)
{
    const struct rk_digits_arch *ar = &m->arch;
    struct qacts a;
    qacts_layout(m, scratch, &a);
    memset(a.x, 0, (size_t)RK_DIGITS_SIDE * XROW);
    for (uint32_t y = 0; y < RK_DIGITS_SIDE; y++)
        memcpy(a.x + y * XROW, img + y * RK_DIGITS_SIDE, RK_DIGITS_SIDE);
    /* conv1 over the padded input (pixels: real value x / 255) */
    for (uint32_t y = 0; y < m->h1; y++)
        gemv(kernel, a.x + y * XROW, 1, m->h1, q->o1, q->g1, 0, q->w1, q->c1r,
             a.acc + (size_t)y * m->h1 * q->c1r, q->c1r);
    float vmax = pool_rescale(a.acc, m->h1, q->c1r, q->s1, 1.0f / 255.0f, q->b1, a.sc, a.v);
    float s_in = quant_act(a.v, (size_t)m->p1 * m->p1, q->c1r, ar->c1, q->c1p, vmax, a.q1);
    /* conv2 */
    for (uint32_t y = 0; y < m->h2; y++)
        gemv(kernel, a.q1 + (size_t)y * m->p1 * q->c1p, q->c1p, m->h2, q->o2, q->g2, 0, q->w2,
             q->c2r, a.acc + (size_t)y * m->h2 * q->c2r, q->c2r);
    vmax = pool_rescale(a.acc, m->h2, q->c2r, q->s2, s_in, q->b2, a.sc, a.v);
    s_in = quant_act(a.v, (size_t)m->p2 * m->p2, q->c2r, ar->c2, ar->c2, vmax, a.q2);
    if (q->flatp != m->flat)
        memset(a.q2 + m->flat, 0, q->flatp - m->flat);
    /* fc1 (its zero input groups, often most, are skipped: 4 x hidden weight bytes each) */
    int32_t *h = a.acc;
    gemv(kernel, a.q2, 0, 1, NULL, q->g3, 1, q->w3, q->hr, h, 0);
    float *hid = a.v;
    for (uint32_t o = 0; o < ar->hidden; o++) {
        float r = (float)h[o] * (q->s3[o] * s_in) + m->f1b[o];
        hid[o] = r > 0.0f ? r : 0.0f;
    }
    rk_digits_fc2(m, hid, logits);
}
