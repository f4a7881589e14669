/* The digit CNN's 8-bit arithmetic (RK_DIGITS_INT8, lib/digits_q.c): a hand-built net with
 * known outputs, the AVX2 and AVX-512 VNNI kernels against the plain C one (exactly equal), all
 * close
 * to the float pass on every shape the format allows at its extremes, the flag through the
 * model file, and, where MNIST is present, the shipped networks reading as they do in float. */
#include "testutil.h"
#include "lib/digits_impl.h"
#include "rekap/digits.h"
#include "rekap/idx.h"
#include "rekap/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* 1x1 convolutions of weight 1 make the net a chain of max-pools (as in test_digits.c):
 * h = sum of the maxima of the 4x4 blocks, logits[j] = j h. Every value is exact in 8 bits
 * (weights 1 -> 127 / 127; pixels are already 8-bit), so the 8-bit pass must give them. */
static void test_known_outputs(void **state)
{
    (void)state;
    struct rk_digits_model m;
    struct rk_digits_arch a = {.c1 = 1, .k1 = 1, .c2 = 1, .k2 = 1, .hidden = 1};
    assert_int_equal(rk_digits_model_init(&m, &a), RK_OK);
    struct rk_digits_net *n = &m.net[0];
    n->c1w[0] = 1.0f, n->c2w[0] = 1.0f;
    for (int i = 0; i < 49; i++)
        n->f1w[i] = 1.0f;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        n->f2w[j] = (float)j;
    assert_int_equal(rk_digits_model_set_int8(&m, 1), RK_OK);
    assert_true(m.flags & RK_DIGITS_INT8);
    assert_non_null(n->q);
    size_t slen = rk_digits_scratch_size(&m);
    assert_true(slen >= rk_digits_qscratch_size(n));
    void *scratch = malloc(slen);
    uint8_t img[RK_DIGITS_PIXELS] = {0};
    float l[RK_DIGITS_CLASSES];
    img[0] = 255, img[1 * 28 + 2] = 255, img[27 * 28 + 27] = 255, img[13 * 28 + 13] = 51;
    assert_int_equal(rk_digits_logits(&m, 0, img, scratch, slen, l), RK_OK);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        assert_float_equal(l[j], 2.2f * (float)j, 1e-4);
    /* a blank box: every layer all zero, no division by a zero scale */
    memset(img, 0, sizeof img);
    assert_int_equal(rk_digits_logits(&m, 0, img, scratch, slen, l), RK_OK);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        assert_float_equal(l[j], 0.0f, 0.0);
    /* back to float: the flag and the 8-bit weights go */
    assert_int_equal(rk_digits_model_set_int8(&m, 0), RK_OK);
    assert_false(m.flags & RK_DIGITS_INT8);
    assert_null(n->q);
    free(scratch);
    rk_digits_model_free(&m);
}

/* Both kernels give the same bits (integer sums are exact in any order) and stay close to the
 * float pass: within 6 % of the largest logit, and the same top class on most boxes. */
static void test_kernels_and_float(void **state)
{
    (void)state;
    const struct rk_digits_arch archs[] = {
        {.c1 = 32, .k1 = 5, .c2 = 64, .k2 = 3, .hidden = 256}, /* the shipped shape */
        {.c1 = 5, .k1 = 3, .c2 = 13, .k2 = 5, .hidden = 37},  /* nothing a multiple of 4 */
        {.c1 = 64, .k1 = 7, .c2 = 128, .k2 = 7, .hidden = 100}, /* conv caps: 8 vectors */
        {.c1 = 40, .k1 = 1, .c2 = 128, .k2 = 1, .hidden = 600}, /* fc1: 6,272 in (the most) */
        {.c1 = 1, .k1 = 1, .c2 = 1, .k2 = 1, .hidden = 1},
    };
    enum { NIMG = 24 };
    static uint8_t img[NIMG][RK_DIGITS_PIXELS];
    unsigned s = 7;
    for (int t = 0; t < NIMG; t++)
        for (int i = 0; i < RK_DIGITS_PIXELS; i++) {
            s = s * 1103515245u + 12345u;
            int v = (int)((s >> 16) % 512) - 300 + 8 * t; /* 40-60 % background */
            img[t][i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    memset(img[0], 0, sizeof img[0]);
    memset(img[1], 255, sizeof img[1]);
    /* every kernel this machine runs, the plain C one first */
    int kern[3] = {RK_DIGITS_Q_C}, kernels = 1;
#ifdef RK_HAVE_AVX512
    if (__builtin_cpu_supports("avx2"))
        kern[kernels++] = RK_DIGITS_Q_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni"))
        kern[kernels++] = RK_DIGITS_Q_VNNI;
#endif
    printf("%d 8-bit kernel(s) compared\n", kernels);
    for (size_t k = 0; k < sizeof archs / sizeof archs[0]; k++) {
        struct rk_digits_model m;
        rk_test_digits_random(&m, &archs[k], (unsigned)(k + 31), 1);
        size_t slen = rk_digits_scratch_size(&m);
        void *fs = malloc(slen);
        assert_int_equal(rk_digits_model_set_int8(&m, 1), RK_OK);
        size_t qlen = rk_digits_scratch_size(&m);
        void *qs = malloc(qlen);
        assert_non_null(fs);
        assert_non_null(qs);
        int same_top = 0;
        double worst = 0.0;
        for (int t = 0; t < NIMG; t++) {
            float q[3][RK_DIGITS_CLASSES], f[RK_DIGITS_CLASSES];
            /* rk_digits_logits takes the 64-byte-aligned part of scratch: do the same */
            void *al = (void *)(((uintptr_t)qs + 63) & ~(uintptr_t)63);
            for (int kr = 0; kr < kernels; kr++) {
                rk_digits_forward_q(&m.net[0], m.net[0].q, kern[kr], img[t], al, q[kr]);
                if (memcmp(q[0], q[kr], sizeof q[0]) != 0)
                    fail_msg("arch %zu image %d: kernel %d's logits differ from C's", k, t,
                             kern[kr]);
            }
            float via[RK_DIGITS_CLASSES];
            assert_int_equal(rk_digits_logits(&m, 0, img[t], qs, qlen, via), RK_OK);
            assert_memory_equal(via, q[0], sizeof via);
            m.flags &= ~RK_DIGITS_INT8; /* the float pass of the same weights */
            assert_int_equal(rk_digits_logits(&m, 0, img[t], fs, slen, f), RK_OK);
            m.flags |= RK_DIGITS_INT8;
            float big = 0.0f;
            int tq = 0, tf = 0;
            for (int j = 0; j < RK_DIGITS_CLASSES; j++) {
                big = fabsf(f[j]) > big ? fabsf(f[j]) : big;
                tq = q[0][j] > q[0][tq] ? j : tq;
                tf = f[j] > f[tf] ? j : tf;
            }
            for (int j = 0; j < RK_DIGITS_CLASSES; j++) {
                double e = fabs((double)q[0][j] - (double)f[j]) / (big > 0.0f ? big : 1.0f);
                worst = e > worst ? e : worst;
            }
            same_top += tq == tf;
        }
        printf("arch %zu: worst logit error %.2f %% of the largest, same top class %d of %d\n",
               k, 100.0 * worst, same_top, NIMG);
        if (!(worst < 0.06))
            fail_msg("arch %zu: 8-bit logits off by %.1f %% of the largest", k, 100.0 * worst);
        assert_true(same_top >= NIMG - 2);
        free(fs), free(qs);
        rk_digits_model_free(&m);
    }
}

/* The flag travels through the file: written, read back (8-bit weights rebuilt, same logits),
 * an unknown flag bit refused; version 1 has no flags; a flag set by hand without the 8-bit
 * weights is refused rather than read as float. */
static void test_model_file(void **state)
{
    (void)state;
    struct rk_digits_model m, back;
    struct rk_digits_arch a = {.c1 = 6, .k1 = 3, .c2 = 10, .k2 = 3, .hidden = 20};
    rk_test_digits_random(&m, &a, 5, 1);
    m.flags = RK_DIGITS_UNANIMOUS;
    assert_int_equal(rk_digits_model_set_int8(&m, 1), RK_OK);
    assert_int_equal(m.flags, RK_DIGITS_UNANIMOUS | RK_DIGITS_INT8);
    uint8_t *b;
    size_t len;
    assert_int_equal(rk_digits_model_serialize(&m, &b, &len), RK_OK);
    assert_int_equal(rk_digits_model_parse(&back, b, len), RK_OK);
    assert_int_equal(back.flags, RK_DIGITS_UNANIMOUS | RK_DIGITS_INT8);
    assert_non_null(back.net[0].q);
    size_t slen = rk_digits_scratch_size(&m);
    void *scratch = malloc(slen);
    uint8_t img[RK_DIGITS_PIXELS];
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        img[i] = (uint8_t)(i * 37 % 256);
    float l1[RK_DIGITS_CLASSES], l2[RK_DIGITS_CLASSES];
    assert_int_equal(rk_digits_logits(&m, 0, img, scratch, slen, l1), RK_OK);
    assert_int_equal(rk_digits_logits(&back, 0, img, scratch, slen, l2), RK_OK);
    assert_memory_equal(l1, l2, sizeof l1);
    rk_digits_model_free(&back);
    /* bit 2 is no flag: refused */
    b[56] |= 4;
    uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(len - 4));
    for (int i = 0; i < 4; i++)
        b[len - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
    assert_int_equal(rk_digits_model_parse(&back, b, len), RK_ERANGE);
    free(b);
    /* by hand, without rk_digits_model_set_int8: no 8-bit weights, refused */
    assert_int_equal(rk_digits_model_set_int8(&m, 0), RK_OK);
    m.flags |= RK_DIGITS_INT8;
    assert_int_equal(rk_digits_logits(&m, 0, img, scratch, slen, l1), RK_EINVAL);
    m.flags &= ~RK_DIGITS_INT8;
    /* version 1 cannot say int8 */
    m.version = 1;
    assert_int_equal(rk_digits_model_set_int8(&m, 1), RK_EINVAL);
    assert_false(m.flags & RK_DIGITS_INT8);
    free(scratch);
    rk_digits_model_free(&m);
}

/* The shipped networks on the first 2,000 MNIST training digits: the 8-bit pass picks the
 * float pass's top class on all but a handful (it is the same networks, rounded). */
static void test_shipped_networks(void **state)
{
    (void)state;
    char mp[4096], ip[4096];
    snprintf(mp, sizeof mp, "%s/models/digits.bin", REKAP_SOURCE_DIR);
    if (!rk_test_data("mnist/train-images-idx3-ubyte.gz", ip, sizeof ip)) {
        printf("SKIP: ../shared/data/mnist absent; shipped networks not compared\n");
        skip();
    }
    gzFile g = gzopen(ip, "rb");
    FILE *f = fopen(mp, "rb");
    assert_non_null(g);
    assert_non_null(f);
    enum { N = 2000 };
    uint8_t *img = malloc(16 + (size_t)N * RK_DIGITS_PIXELS);
    uint8_t *buf = malloc(RK_DIGITS_MAX_FILE);
    assert_int_equal(gzread(g, img, 16 + N * RK_DIGITS_PIXELS), 16 + N * RK_DIGITS_PIXELS);
    size_t len = fread(buf, 1, RK_DIGITS_MAX_FILE, f);
    gzclose(g), fclose(f);
    struct rk_digits_model m;
    assert_int_equal(rk_digits_model_parse(&m, buf, len), RK_OK);
    assert_true(m.flags & RK_DIGITS_INT8); /* the shipped model runs in 8 bits */
    size_t slen = rk_digits_scratch_size(&m);
    void *scratch = malloc(slen);
    for (uint32_t k = 0; k < m.nnets; k++) {
        int differ = 0;
        for (int i = 0; i < N; i++) {
            const uint8_t *x = img + 16 + (size_t)i * RK_DIGITS_PIXELS;
            float q[RK_DIGITS_CLASSES], fl[RK_DIGITS_CLASSES];
            assert_int_equal(rk_digits_logits(&m, k, x, scratch, slen, q), RK_OK);
            m.flags &= ~RK_DIGITS_INT8;
            assert_int_equal(rk_digits_logits(&m, k, x, scratch, slen, fl), RK_OK);
            m.flags |= RK_DIGITS_INT8;
            int tq = 0, tf = 0;
            for (int j = 1; j < RK_DIGITS_CLASSES; j++)
                tq = q[j] > q[tq] ? j : tq, tf = fl[j] > fl[tf] ? j : tf;
            differ += tq != tf;
        }
        printf("network %u: 8-bit and float top classes differ on %d of %d\n", k, differ, N);
        assert_true(differ <= N / 500); /* at most 0.2 % */
    }
    free(scratch), free(img), free(buf);
    rk_digits_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_outputs),
        cmocka_unit_test(test_kernels_and_float),
        cmocka_unit_test(test_model_file),
        cmocka_unit_test(test_shipped_networks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
