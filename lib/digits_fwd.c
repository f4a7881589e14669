/* The digit CNN's forward pass (see digits_impl.h). Each output keeps a block of its channels in
 * vector registers, not memory, while it walks only the nonzero inputs, found from bit masks
 * built as the previous layer is written: MNIST boxes are mostly background and relu zeroes
 * about half of every later layer. Every output still sums its bias, then its inputs in the
 * textbook order (kernel row, kernel column, input channel; fc: input index) with a separate
 * multiply and add (no FMA), so the result is bit-identical to the plain loops at any vector
 * width and with or without the zeros (tests/lib/test_digits.c checks it against them).
 *
 * Built twice from this one source: on its own, with 8-float vectors (one AVX register, or two
 * SSE ones in the baseline clone) in blocks of up to 8 (64 channels; AVX2 has 16 registers);
 * and included by digits_fwd512.c with 16-float vectors in blocks of up to 16 (AVX-512 has 32
 * registers: fc1's 256 hidden units in one pass over its weights, and four conv pixels at a
 * time). GNU C vector extensions
 * (gcc, clang); a vector the target cannot hold in registers would be kept in memory, hence
 * the two builds rather than one wide one. */
#include "digits_impl.h"

#include <string.h>

#if !defined(__GNUC__)
#error "lib/digits_fwd.c needs GNU C vector extensions (gcc or clang)"
#endif

#ifndef RK_FWD_VL /* built on its own: the 8-float instance */
#define RK_FWD_VL 8
#define RK_FWD_MAXV 8
#define RK_FWD_MAXP 1
#define RK_FWD_FN rk_digits_forward_v8
#define RK_FWD_ATTR RK_HOT
#endif

typedef float rk_vec __attribute__((vector_size(RK_FWD_VL * sizeof(float))));
typedef int32_t rk_veci __attribute__((vector_size(RK_FWD_VL * sizeof(int32_t))));
#define VL RK_FWD_VL
#define MAXV RK_FWD_MAXV
/* output pixels of a conv row computed side by side (bits_gemv_n) */
#define MAXP RK_FWD_MAXP
#define RK_INLINE static inline __attribute__((always_inline))
#define MAX_P1 (RK_DIGITS_SIDE / 2)
/* bits of the largest pooled map, and of the largest conv2 window */
#define NZ_WORDS ((MAX_P1 * MAX_P1 * RK_DIGITS_CAP_C1 + 63) / 64)
#define WIN_WORDS ((RK_DIGITS_CAP_K * RK_DIGITS_CAP_K * RK_DIGITS_CAP_C1 + 63) / 64)

/* No vector is passed or returned by value: the baseline clone has no AVX ABI for it. */
RK_INLINE void ld(rk_vec *v, const float *p)
{
    memcpy(v, p, sizeof *v);
}

/* acc[0..nv) and tail[0..ns) = b[0 .. VL nv + ns) */
RK_INLINE void acc_init(rk_vec *acc, float *tail, int nv, int ns, const float *b)
{
    for (int i = 0; i < nv; i++)
        ld(&acc[i], b + VL * i);
    for (int j = 0; j < ns; j++)
        tail[j] = b[VL * nv + j];
}

/* acc and tail += v * w[0 .. VL nv + ns) */
RK_INLINE void acc_axpy(rk_vec *acc, float *tail, int nv, int ns, float v, const float *w)
{
    for (int i = 0; i < nv; i++) {
        rk_vec wv;
        ld(&wv, w + VL * i);
        acc[i] += v * wv;
    }
    for (int j = 0; j < ns; j++)
        tail[j] += v * w[VL * nv + j];
}

/* o[0 .. VL nv + ns) = relu(acc, tail): x > 0 ? x : 0, as the scalar code (-0 becomes +0). */
RK_INLINE void acc_store_relu(float *o, const rk_vec *acc, const float *tail, int nv, int ns)
{
    const rk_vec zero = {0};
    for (int i = 0; i < nv; i++) {
        rk_vec r = (rk_vec)((rk_veci)acc[i] & (rk_veci)(acc[i] > zero));
        memcpy(o + VL * i, &r, sizeof r);
    }
    for (int j = 0; j < ns; j++)
        o[VL * nv + j] = tail[j] > 0.0f ? tail[j] : 0.0f;
}

/* Calls KERNEL(..., co, nv, ns) for output channel blocks covering [0, n): mv vectors at a
 * time (a constant power of two, at most MAXV), then halves down to one vector, then a scalar
 * tail of ns < VL. nv and ns are constants in all but the tail call, so each call inlines to a
 * fully unrolled block held in registers. */
#define FOR_BLOCKS_OF(mv, n, KERNEL, ...)                                                      \
    do {                                                                                       \
        uint32_t co_ = 0;                                                                      \
        for (; co_ + (mv) * VL <= (n); co_ += (mv) * VL)                                       \
            KERNEL(__VA_ARGS__, co_, (mv), 0);                                                 \
        if ((mv) > 8 && (n) - co_ >= 8 * VL)                                                   \
            KERNEL(__VA_ARGS__, co_, 8, 0), co_ += 8 * VL;                                     \
        if ((mv) > 4 && (n) - co_ >= 4 * VL)                                                   \
            KERNEL(__VA_ARGS__, co_, 4, 0), co_ += 4 * VL;                                     \
        if ((mv) > 2 && (n) - co_ >= 2 * VL)                                                   \
            KERNEL(__VA_ARGS__, co_, 2, 0), co_ += 2 * VL;                                     \
        if ((mv) > 1 && (n) - co_ >= VL)                                                       \
            KERNEL(__VA_ARGS__, co_, 1, 0), co_ += VL;                                         \
        if (co_ < (n))                                                                         \
            KERNEL(__VA_ARGS__, co_, 0, (int)((n) - co_));                                     \
    } while (0)
#define FOR_BLOCKS(n, KERNEL, ...) FOR_BLOCKS_OF(MAXV, n, KERNEL, __VA_ARGS__)

/* The one kernel of every layer: channels [co, co + VL nv + ns) of np outputs side by side,
 *   o[p ostep] = relu(b + sum over the set bits k of bits[0..nw), increasing,
 *                     of in[off[k] + p istep] * w[k * stride])
 * (off NULL: in[k]); term k uses weight row k. A conv window's terms are one run of bits
 * rather than a loop per kernel row or pixel, since every loop exit is a mispredicted branch.
 * np > 1 takes pixels x .. x + np - 1 of a conv row at once, bits the union of their masks:
 * a pixel also adds terms whose input is zero. 0 * w is a zero, and adding a zero leaves a sum
 * as it was but for the sign of a zero sum, which relu maps to +0 either way (weights are
 * finite), so each output keeps the bits of its own pass. What it buys: each weight vector is
 * loaded once for np pixels, and np times as many independent sums keep the adders busy where
 * one pixel's chain of adds waits on itself. Only with 32 vector registers (AVX-512): with 16,
 * the extra sums spill and the one-pixel pass is faster. */
RK_INLINE void bits_gemv_n(const float *b, const float *w, size_t stride, const float *in,
                           size_t istep, const uint32_t *off, const uint64_t *bits, uint32_t nw,
                           float *o, size_t ostep, int np, uint32_t co, int nv, int ns)
{
    rk_vec acc[MAXP][MAXV];
    float tail[MAXP][VL];
    for (int p = 0; p < np; p++)
        acc_init(acc[p], tail[p], nv, ns, b + co);
    for (uint32_t i = 0; i < nw; i++)
        for (uint64_t m = bits[i]; m; m &= m - 1) {
            uint32_t k = i * 64 + (uint32_t)__builtin_ctzll(m);
            const float *wk = w + (size_t)k * stride + co, *ik = in + (off ? off[k] : k);
            float v[MAXP];
            for (int p = 0; p < np; p++)
                v[p] = ik[(size_t)p * istep];
            for (int j = 0; j < nv; j++) {
                rk_vec wv;
                ld(&wv, wk + VL * j);
                for (int p = 0; p < np; p++)
                    acc[p][j] += v[p] * wv;
            }
            for (int j = 0; j < ns; j++)
                for (int p = 0; p < np; p++)
                    tail[p][j] += v[p] * wk[VL * nv + j];
        }
    for (int p = 0; p < np; p++)
        acc_store_relu(o + (size_t)p * ostep + co, acc[p], tail[p], nv, ns);
}

/* How many pixels of a conv row the next pass takes, of the left ones: MAXP while it can. */
RK_INLINE uint32_t pixels(uint32_t left)
{
    return left >= MAXP ? MAXP : left >= 2 ? 2 : 1;
}

/* bits_gemv_n over all n output channels of np (MAXP, 2 or 1) pixels, in blocks of at most
 * MAXV / np vectors a pixel, so that the sums of all np pixels stay in registers. */
#define MID_P (MAXP >= 2 ? 2 : 1)
#define CONV_PIXELS(np, n, ...)                                                                 \
    do {                                                                                       \
        if ((np) == MAXP)                                                                      \
            FOR_BLOCKS_OF(MAXV / MAXP, n, bits_gemv_n, __VA_ARGS__, MAXP);                     \
        else if ((np) == MID_P)                                                                \
            FOR_BLOCKS_OF(MAXV / MID_P, n, bits_gemv_n, __VA_ARGS__, MID_P);                   \
        else                                                                                   \
            FOR_BLOCKS_OF(MAXV, n, bits_gemv_n, __VA_ARGS__, 1);                               \
    } while (0)

/* Bits [off, off + n) of the bit array src, 1 <= n <= 64, in the low bits. */
RK_INLINE uint64_t bits_at(const uint64_t *src, size_t off, uint32_t n)
{
    size_t w = off / 64;
    unsigned s = (unsigned)(off % 64);
    uint64_t v = src[w] >> s;
    if (s != 0 && s + n > 64)
        v |= src[w + 1] << (64 - s);
    return n == 64 ? v : v & ((UINT64_C(1) << n) - 1);
}

/* ORs bits [off, off + n) of src into dst from bit pos on (dst zeroed beforehand). */
RK_INLINE void bits_copy(uint64_t *dst, size_t pos, const uint64_t *src, size_t off, size_t n)
{
    while (n > 0) {
        uint32_t c = n < 64 ? (uint32_t)n : 64;
        uint64_t v = bits_at(src, off, c);
        size_t w = pos / 64;
        unsigned s = (unsigned)(pos % 64);
        dst[w] |= v << s;
        if (s != 0 && s + c > 64)
            dst[w + 1] |= v >> (64 - s);
        pos += c, off += c, n -= c;
    }
}

/* 2x2 max pool, HWC, floor on odd sizes; nz gets one bit per output value (flat index), set
 * where it is nonzero. */
RK_INLINE void pool2(const float *in, uint32_t h, uint32_t c, float *out, uint64_t *nz)
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
    size_t n = (size_t)p * p * c;
    for (size_t w = 0; w * 64 < n; w++) {
        const float *o = out + w * 64;
        size_t len = n - w * 64 < 64 ? n - w * 64 : 64;
        uint64_t bits = 0;
        for (size_t j = 0; j < len; j++)
            bits |= (uint64_t)(o[j] != 0.0f) << j;
        nz[w] = bits;
    }
}

RK_FWD_ATTR void RK_FWD_FN(const struct rk_digits_net *m, const struct rk_digits_acts *a)
{
    const uint32_t c1 = m->arch.c1, k1 = m->arch.k1, c2 = m->arch.c2, k2 = m->arch.k2;
    const uint32_t hid = m->arch.hidden, h1 = m->h1, h2 = m->h2, p1 = m->p1;
    uint32_t *off = a->off;
    uint64_t nz[NZ_WORDS], win[WIN_WORDS];
    /* conv1: bit ky * k1 + kx of a window's mask is its input (y + ky, x + kx) being nonzero;
     * rows[r] has bit c set where input pixel (r, c) is. */
    uint32_t rows[RK_DIGITS_SIDE];
    for (uint32_t y = 0; y < RK_DIGITS_SIDE; y++) {
        uint32_t r = 0;
        for (uint32_t x = 0; x < RK_DIGITS_SIDE; x++)
            r |= (uint32_t)(a->x[y * RK_DIGITS_SIDE + x] != 0.0f) << x;
        rows[y] = r;
    }
    for (uint32_t ky = 0; ky < k1; ky++)
        for (uint32_t kx = 0; kx < k1; kx++)
            off[ky * k1 + kx] = ky * RK_DIGITS_SIDE + kx;
    for (uint32_t y = 0; y < h1; y++)
        for (uint32_t x = 0, np; x < h1; x += np) {
            np = pixels(h1 - x);
            uint64_t mk = 0;
            for (uint32_t p = 0; p < np; p++)
                for (uint32_t ky = 0; ky < k1; ky++)
                    mk |= (uint64_t)((rows[y + ky] >> (x + p)) & ((1u << k1) - 1)) << (ky * k1);
            const float *in = a->x + y * RK_DIGITS_SIDE + x;
            float *o = a->a1 + ((size_t)y * h1 + x) * c1;
            CONV_PIXELS(np, c1, m->c1b, m->c1w, c1, in, 1, off, &mk, 1, o, c1);
        }
    pool2(a->a1, h1, c1, a->p1, nz);
    /* conv2: bit (ky * k2 + kx) * c1 + ci of a window's mask is channel ci of its input pixel
     * (y + ky, x + kx); each kernel row is one run of k2 * c1 bits of the pooled map's. */
    const uint32_t run = k2 * c1, nw = (k2 * run + 63) / 64;
    for (uint32_t ky = 0; ky < k2; ky++)
        for (uint32_t i = 0; i < run; i++)
            off[ky * run + i] = ky * p1 * c1 + i;
    for (uint32_t y = 0; y < h2; y++)
        for (uint32_t x = 0, np; x < h2; x += np) {
            np = pixels(h2 - x);
            memset(win, 0, nw * sizeof *win);
            for (uint32_t p = 0; p < np; p++)
                for (uint32_t ky = 0; ky < k2; ky++)
                    bits_copy(win, (size_t)ky * run, nz, ((size_t)(y + ky) * p1 + x + p) * c1, run);
            const float *in = a->p1 + ((size_t)y * p1 + x) * c1;
            float *o = a->a2 + ((size_t)y * h2 + x) * c2;
            CONV_PIXELS(np, c2, m->c2b, m->c2w, c2, in, c1, off, win, nw, o, c2);
        }
    pool2(a->a2, h2, c2, a->p2, nz);
    /* fc1, weights [in][hidden] */
    FOR_BLOCKS(hid, bits_gemv_n, m->f1b, m->f1w, hid, a->p2, 0, NULL, nz, (m->flat + 63) / 64,
               a->h, 0, 1);
    rk_digits_fc2(m, a->h, a->logits);
}
