/* Digit CNN: inference of hand-built models with known outputs, model-file hardening, the
 * trainer's backward pass against finite differences, reproducible training, preprocessing. */
#include "testutil.h"
#include "lib/digits_impl.h" /* both builds of the forward pass, called directly */
#include "rekap/digits.h"
#include "rekap/digits_train.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* 1x1 convolutions with weight 1 make the net a chain of max-pools: p2 holds the maximum of each
 * 4x4 block of the image (7x7 blocks), h = sum of those maxima, logits[j] = f2w[j] * h. */
static void pool_chain(struct rk_digits_model *m, float sign)
{
    struct rk_digits_arch a = {.c1 = 1, .k1 = 1, .c2 = 1, .k2 = 1, .hidden = 1};
    assert_int_equal(rk_digits_model_init(m, &a), RK_OK);
    struct rk_digits_net *n = &m->net[0];
    assert_int_equal(n->flat, 49);
    n->c1w[0] = 1.0f, n->c2w[0] = 1.0f;
    for (int i = 0; i < 49; i++)
        n->f1w[i] = 1.0f;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        n->f2w[j] = sign * (float)j;
}

static void test_known_outputs(void **state)
{
    (void)state;
    struct rk_digits_model m;
    pool_chain(&m, 1.0f);
    size_t slen = rk_digits_scratch_size(&m);
    void *scratch = malloc(slen);
    uint8_t img[RK_DIGITS_PIXELS] = {0};
    float logits[RK_DIGITS_CLASSES];
    /* two bright pixels in one 4x4 block: max-pool keeps one */
    img[0] = 255, img[1 * 28 + 2] = 255;
    assert_int_equal(rk_digits_logits(&m, 0, img, scratch, slen, logits), RK_OK);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        assert_float_equal(logits[j], (float)j, 1e-6);
    /* a third in another block counts; a half-bright pixel alone in a block counts half */
    img[27 * 28 + 27] = 255, img[13 * 28 + 13] = 51;
    assert_int_equal(rk_digits_logits(&m, 0, img, scratch, slen, logits), RK_OK);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        assert_float_equal(logits[j], 2.2f * (float)j, 1e-5);
    /* calibrated probabilities: softmax(logits / T) */
    m.temperature = 2.0f;
    struct rk_digits_result r;
    assert_int_equal(rk_digits_classify(&m, img, scratch, slen, &r), RK_OK);
    double z = 0;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        z += exp(1.1 * j);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        assert_float_equal(r.probs[j], (float)(exp(1.1 * j) / z), 1e-5);
    assert_int_equal(r.cls, RK_DIGITS_NOT_DIGIT);
    assert_int_equal(r.accept, 0); /* class 10 is never accepted, however sure */
    /* too little scratch is refused */
    assert_int_equal(rk_digits_classify(&m, img, scratch, slen - 65, &r), RK_EINVAL);
    rk_digits_model_free(&m);

    /* negated: class 0 wins with probability 1/sum(e^-j) = 0.6321 at h=1, T=1 */
    pool_chain(&m, -1.0f);
    memset(img, 0, sizeof img);
    img[100] = 255;
    m.threshold = 0.6f;
    assert_int_equal(rk_digits_classify(&m, img, scratch, slen, &r), RK_OK);
    z = 0;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        z += exp(-j);
    assert_int_equal(r.cls, 0);
    assert_float_equal(r.prob, (float)(1.0 / z), 1e-5);
    assert_int_equal(r.accept, 1);
    m.threshold = 0.65f;
    assert_int_equal(rk_digits_classify(&m, img, scratch, slen, &r), RK_OK);
    assert_int_equal(r.accept, 0);
    /* blank box: h = 0, all logits 0, uniform */
    memset(img, 0, sizeof img);
    assert_int_equal(rk_digits_classify(&m, img, scratch, slen, &r), RK_OK);
    assert_float_equal(r.prob, 1.0 / 11, 1e-6);
    free(scratch);
    rk_digits_model_free(&m);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void fix_crc(uint8_t *b, size_t len)
{
    put32(b + len - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(len - 4)));
}

static int parse_copy(const uint8_t *b, size_t len)
{
    struct rk_digits_model m;
    uint8_t *c = malloc(len ? len : 1);
    memcpy(c, b, len);
    int rc = rk_digits_model_parse(&m, c, len);
    rk_digits_model_free(&m);
    free(c);
    return rc;
}

/* Every truncation, a trailing byte, a flipped bit, another magic or version fail cleanly; the
 * header fields at bad[] offsets (checksum fixed up) are checked against their caps. */
static void check_hardening(const uint8_t *b, size_t len, size_t weight_off)
{
    for (size_t l = 0; l < len; l++)
        assert_int_equal(parse_copy(b, l), RK_EPARSE);
    uint8_t *c = malloc(len + 1);
    memcpy(c, b, len);
    c[len] = 0; /* trailing byte */
    assert_int_equal(parse_copy(c, len + 1), RK_EPARSE);
    c[weight_off + 5] ^= 0x40; /* a flipped weight bit breaks the checksum */
    assert_int_equal(parse_copy(c, len), RK_EPARSE);
    memcpy(c, b, len);
    c[0] = 'X';
    assert_int_equal(parse_copy(c, len), RK_EPARSE);
    const uint32_t versions[] = {0, 3, 0xffffffffu};
    for (size_t i = 0; i < 3; i++) {
        memcpy(c, b, len);
        put32(c + 8, versions[i]);
        fix_crc(c, len);
        assert_int_equal(parse_copy(c, len), RK_EUNSUPPORTED);
    }
    /* NaN weight */
    memcpy(c, b, len);
    put32(c + weight_off + 8, 0x7fc00000u);
    fix_crc(c, len);
    assert_int_equal(parse_copy(c, len), RK_EPARSE);
    free(c);
}

struct bad_field {
    size_t off;
    uint32_t v;
    int rc;
};

static void check_fields(const uint8_t *b, size_t len, const struct bad_field *bad, size_t n)
{
    uint8_t *c = malloc(len);
    for (size_t i = 0; i < n; i++) {
        memcpy(c, b, len);
        put32(c + bad[i].off, bad[i].v);
        fix_crc(c, len);
        if (parse_copy(c, len) != bad[i].rc)
            print_message("field at %zu = %u: expected %d\n", bad[i].off, bad[i].v, bad[i].rc);
        assert_int_equal(parse_copy(c, len), bad[i].rc);
    }
    free(c);
}

static void test_model_file(void **state)
{
    (void)state;
    struct rk_digits_arch a = {.c1 = 2, .k1 = 3, .c2 = 3, .k2 = 3, .hidden = 4};
    struct rk_digits_model m, back;
    rk_test_digits_random(&m, &a, 7, 0);
    m.temperature = 1.5f, m.threshold = 0.9f, m.split_seed = 0x123456789abcull, m.split_count = 10000;
    m.calib_lo = 0, m.calib_hi = 5000, m.flags = RK_DIGITS_UNANIMOUS;
    assert_int_equal(m.version, 2);
    const size_t nw = m.net[0].nweights;
    uint8_t *b;
    size_t len;
    assert_int_equal(rk_digits_model_serialize(&m, &b, &len), RK_OK);
    assert_int_equal(len, RK_DIGITS_HEADER_SIZE + RK_DIGITS_NET_HEADER_SIZE + 4 * nw + 4);
    assert_int_equal(rk_digits_model_parse(&back, b, len), RK_OK);
    assert_int_equal(back.version, 2);
    assert_int_equal(back.nnets, 1);
    assert_memory_equal(&back.net[0].arch, &a, sizeof a);
    assert_memory_equal(back.net[0].w, m.net[0].w, nw * sizeof(float));
    assert_true(back.temperature == 1.5f && back.threshold == 0.9f);
    assert_true(back.split_seed == 0x123456789abcull && back.split_count == 10000);
    assert_true(back.calib_lo == 0 && back.calib_hi == 5000 && back.flags == RK_DIGITS_UNANIMOUS);
    rk_digits_model_free(&back);
    check_hardening(b, len, RK_DIGITS_HEADER_SIZE + RK_DIGITS_NET_HEADER_SIZE);
    const struct bad_field bad2[] = {
        {12, 32, RK_ERANGE},          {16, 27, RK_ERANGE},         {20, 10, RK_ERANGE},
        {24, 0, RK_ERANGE},           {24, 6, RK_ERANGE},          {24, 2, RK_EPARSE},
        {28, 0, RK_ERANGE},           {28, 0x7fc00000u, RK_ERANGE}, {32, 0x3fc00000u, RK_ERANGE},
        {44, 0xffffffffu, RK_ERANGE}, {44, 4999, RK_ERANGE},       {48, 5001, RK_ERANGE},
        {52, 10001, RK_ERANGE},       {56, 4, RK_ERANGE},          {60, 1000, RK_ERANGE},
        {60, 0, RK_ERANGE},           {64, 4, RK_ERANGE},          {64, 0xffffffffu, RK_ERANGE},
        {68, 129, RK_ERANGE},         {72, 9, RK_ERANGE},          {76, 1u << 30, RK_ERANGE},
        {80, 12345, RK_EPARSE},       {80, 0xffffffffu, RK_EPARSE}};
    check_fields(b, len, bad2, sizeof bad2 / sizeof bad2[0]);
    free(b);

    /* Version 1 files (one network, no calibration range or flags) are still read, as calibrated
     * on their whole split, and written back byte for byte. */
    m.version = 1;
    assert_int_equal(rk_digits_model_serialize(&m, &b, &len), RK_EINVAL); /* flags in v1 */
    m.flags = 0;
    assert_int_equal(rk_digits_model_serialize(&m, &b, &len), RK_OK);
    assert_int_equal(len, RK_DIGITS_V1_HEADER_SIZE + 4 * nw + 4);
    assert_int_equal(rk_digits_model_parse(&back, b, len), RK_OK);
    assert_int_equal(back.version, 1);
    assert_true(back.nnets == 1 && back.calib_lo == 0 && back.calib_hi == 10000 && back.flags == 0);
    assert_memory_equal(back.net[0].w, m.net[0].w, nw * sizeof(float));
    uint8_t *b2;
    size_t len2;
    assert_int_equal(rk_digits_model_serialize(&back, &b2, &len2), RK_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(b2, b, len);
    free(b2);
    rk_digits_model_free(&back);
    check_hardening(b, len, RK_DIGITS_V1_HEADER_SIZE);
    const struct bad_field bad1[] = {
        {20, 1000, RK_ERANGE},        {20, 0, RK_ERANGE},          {24, 4, RK_ERANGE},
        {24, 0xffffffffu, RK_ERANGE}, {36, 1u << 30, RK_ERANGE},   {28, 129, RK_ERANGE},
        {12, 32, RK_ERANGE},          {40, 10, RK_ERANGE},         {32, 9, RK_ERANGE},
        {64, 12345, RK_EPARSE},       {44, 0, RK_ERANGE},          {48, 0x3fc00000u, RK_ERANGE},
        {44, 0x7fc00000u, RK_ERANGE}, {60, 0xffffffffu, RK_ERANGE}};
    check_fields(b, len, bad1, sizeof bad1 / sizeof bad1[0]);
    free(b);
    /* a model of the largest allowed architecture claims more weights than 4M: refused */
    struct rk_digits_arch huge = {.c1 = 64, .k1 = 1, .c2 = 128, .k2 = 1, .hidden = 1024};
    assert_int_equal(rk_digits_arch_check(&huge, NULL), RK_ERANGE);
    rk_digits_model_free(&m);
}

/* An ensemble averages its networks' calibrated probabilities; with RK_DIGITS_UNANIMOUS a digit
 * its networks disagree on goes to a person however confident the average; the file keeps every
 * network; merging refuses other splits and too many networks. */
/* The network as the header defines it, in textbook loops over every term (zeros included):
 * bias, then kernel row, kernel column, input channel; fc: input index. */
static void reference_logits(const struct rk_digits_net *n, const uint8_t *img, float *logits)
{
    const uint32_t c1 = n->arch.c1, k1 = n->arch.k1, c2 = n->arch.c2, k2 = n->arch.k2;
    const uint32_t hid = n->arch.hidden, h1 = n->h1, p1 = n->p1, h2 = n->h2, p2 = n->p2;
    float *a1 = calloc((size_t)h1 * h1 * c1, sizeof *a1), *q1 = calloc((size_t)p1 * p1 * c1, 4);
    float *a2 = calloc((size_t)h2 * h2 * c2, sizeof *a2), *q2 = calloc(n->flat, sizeof *q2);
    float *h = calloc(hid, sizeof *h);
    assert_non_null(a1), assert_non_null(q1), assert_non_null(a2), assert_non_null(q2);
    assert_non_null(h);
    for (uint32_t y = 0; y < h1; y++)
        for (uint32_t x = 0; x < h1; x++)
            for (uint32_t c = 0; c < c1; c++) {
                float s = n->c1b[c];
                for (uint32_t ky = 0; ky < k1; ky++)
                    for (uint32_t kx = 0; kx < k1; kx++)
                        s += (float)img[(y + ky) * 28 + x + kx] * (1.0f / 255.0f) *
                             n->c1w[(ky * k1 + kx) * c1 + c];
                a1[(y * h1 + x) * c1 + c] = s > 0.0f ? s : 0.0f;
            }
    for (uint32_t y = 0; y < p1; y++)
        for (uint32_t x = 0; x < p1; x++)
            for (uint32_t c = 0; c < c1; c++) {
                float v = a1[((2 * y) * h1 + 2 * x) * c1 + c];
                for (uint32_t d = 1; d < 4; d++) {
                    float u = a1[((2 * y + d / 2) * h1 + 2 * x + d % 2) * c1 + c];
                    v = u > v ? u : v;
                }
                q1[(y * p1 + x) * c1 + c] = v;
            }
    for (uint32_t y = 0; y < h2; y++)
        for (uint32_t x = 0; x < h2; x++)
            for (uint32_t c = 0; c < c2; c++) {
                float s = n->c2b[c];
                for (uint32_t ky = 0; ky < k2; ky++)
                    for (uint32_t kx = 0; kx < k2; kx++)
                        for (uint32_t ci = 0; ci < c1; ci++)
                            s += q1[((y + ky) * p1 + x + kx) * c1 + ci] *
                                 n->c2w[((ky * k2 + kx) * c1 + ci) * c2 + c];
                a2[(y * h2 + x) * c2 + c] = s > 0.0f ? s : 0.0f;
            }
    for (uint32_t y = 0; y < p2; y++)
        for (uint32_t x = 0; x < p2; x++)
            for (uint32_t c = 0; c < c2; c++) {
                float v = a2[((2 * y) * h2 + 2 * x) * c2 + c];
                for (uint32_t d = 1; d < 4; d++) {
                    float u = a2[((2 * y + d / 2) * h2 + 2 * x + d % 2) * c2 + c];
                    v = u > v ? u : v;
                }
                q2[(y * p2 + x) * c2 + c] = v;
            }
    for (uint32_t j = 0; j < hid; j++) {
        float s = n->f1b[j];
        for (uint32_t i = 0; i < n->flat; i++)
            s += q2[i] * n->f1w[(size_t)i * hid + j];
        h[j] = s > 0.0f ? s : 0.0f;
    }
    for (uint32_t j = 0; j < RK_DIGITS_CLASSES; j++) {
        float s = n->f2b[j];
        for (uint32_t i = 0; i < hid; i++)
            s += h[i] * n->f2w[i * RK_DIGITS_CLASSES + j];
        logits[j] = s;
    }
    free(a1), free(q1), free(a2), free(q2), free(h);
}

/* The vectorised, zero-skipping forward pass gives exactly (==, not approximately) the
 * reference's logits: same terms in the same order, no fused multiply-add. Shapes cover
 * channel counts that are and are not multiples of the vector width, the caps (64 conv1
 * channels: a full 64-bit mask; 7x7 windows) and 1x1 everything. */
static void test_matches_reference(void **state)
{
    (void)state;
    const struct rk_digits_arch archs[] = {
        {.c1 = 32, .k1 = 5, .c2 = 64, .k2 = 3, .hidden = 256}, /* the shipped shape */
        {.c1 = 5, .k1 = 3, .c2 = 13, .k2 = 5, .hidden = 37},
        {.c1 = 64, .k1 = 7, .c2 = 128, .k2 = 7, .hidden = 100},
        {.c1 = 40, .k1 = 1, .c2 = 72, .k2 = 3, .hidden = 9},
        {.c1 = 1, .k1 = 1, .c2 = 1, .k2 = 1, .hidden = 1},
    };
    uint8_t img[4][RK_DIGITS_PIXELS];
    unsigned s = 99;
    for (int i = 0; i < RK_DIGITS_PIXELS; i++) {
        s = s * 1103515245u + 12345u;
        int v = (int)((s >> 16) % 512) - 300; /* about 60 % background, like a digit box */
        img[0][i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        img[1][i] = 0;
        img[2][i] = 255;
        img[3][i] = (uint8_t)((i % 28 > 10 && i % 28 < 14) ? 200 : 0); /* a vertical bar */
    }
    for (size_t k = 0; k < sizeof archs / sizeof archs[0]; k++) {
        struct rk_digits_model m;
        /* biases of both signs, so relu zeroes a share of every layer */
        rk_test_digits_random(&m, &archs[k], (unsigned)(k + 11), 1);
        struct rk_digits_net *n = &m.net[0];
        size_t slen = rk_digits_scratch_size(&m);
        void *scratch = malloc(slen);
        float *acts = malloc(rk_digits_acts_floats(n) * sizeof *acts);
        assert_non_null(scratch);
        assert_non_null(acts);
        for (int t = 0; t < 4; t++) {
            float got[3][RK_DIGITS_CLASSES], want[RK_DIGITS_CLASSES];
            reference_logits(n, img[t], want);
            /* the pass rk_digits_logits picks for this machine, then each build directly */
            assert_int_equal(rk_digits_logits(&m, 0, img[t], scratch, slen, got[0]), RK_OK);
            int builds = 1;
            void (*fwd[2])(const struct rk_digits_net *, const struct rk_digits_acts *) = {
                rk_digits_forward_v8, NULL};
#ifdef RK_HAVE_AVX512
            if (__builtin_cpu_supports("avx512f"))
                fwd[1] = rk_digits_forward_v16;
#endif
            for (int b = 0; b < 2 && fwd[b]; b++, builds++) {
                struct rk_digits_acts a;
                rk_digits_acts_layout(n, acts, &a);
                for (int i = 0; i < RK_DIGITS_PIXELS; i++)
                    a.x[i] = (float)img[t][i] * (1.0f / 255.0f);
                fwd[b](n, &a);
                memcpy(got[1 + b], a.logits, sizeof got[1 + b]);
            }
            for (int b = 0; b < builds; b++)
                for (int j = 0; j < RK_DIGITS_CLASSES; j++)
                    if (!(got[b][j] == want[j]))
                        fail_msg("arch %zu image %d pass %d logit %d: %.9g, reference %.9g", k, t,
                                 b, j, (double)got[b][j], (double)want[j]);
        }
        free(acts);
        free(scratch);
        rk_digits_model_free(&m);
    }
}

static void test_ensemble(void **state)
{
    (void)state;
    struct rk_digits_model a, b, e, back;
    pool_chain(&a, -1.0f); /* one bright pixel: h = 1, logits -j: class 0 */
    pool_chain(&b, 1.0f);  /* logits +j: class 10 */
    struct rk_digits_arch arch2 = {.c1 = 2, .k1 = 3, .c2 = 3, .k2 = 3, .hidden = 4};
    struct rk_digits_model c;
    rk_test_digits_random(&c, &arch2, 3, 0);
    a.split_seed = b.split_seed = c.split_seed = 77;
    a.split_count = b.split_count = c.split_count = 100;
    const struct rk_digits_model *parts[] = {&a, &b, &c};
    assert_int_equal(rk_digits_model_merge(&e, parts, 3), RK_OK);
    assert_int_equal(e.nnets, 3);
    assert_true(e.split_seed == 77 && e.split_count == 100 && e.version == 2);
    size_t slen = rk_digits_scratch_size(&e);
    assert_true(slen >= rk_digits_scratch_size(&c) && slen >= rk_digits_scratch_size(&a));
    void *scratch = malloc(slen);
    uint8_t img[RK_DIGITS_PIXELS] = {0};
    img[100] = 255;
    float l[3][RK_DIGITS_CLASSES];
    struct rk_digits_result r, ra, rb, rc;
    for (uint32_t k = 0; k < 3; k++)
        assert_int_equal(rk_digits_logits(&e, k, img, scratch, slen, l[k]), RK_OK);
    assert_int_equal(rk_digits_logits(&e, 3, img, scratch, slen, l[0]), RK_EINVAL);
    e.temperature = 1.3f;
    a.temperature = b.temperature = c.temperature = 1.3f;
    assert_int_equal(rk_digits_classify(&e, img, scratch, slen, &r), RK_OK);
    assert_int_equal(rk_digits_classify(&a, img, scratch, slen, &ra), RK_OK);
    assert_int_equal(rk_digits_classify(&b, img, scratch, slen, &rb), RK_OK);
    assert_int_equal(rk_digits_classify(&c, img, scratch, slen, &rc), RK_OK);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        assert_float_equal(r.probs[j], (ra.probs[j] + rb.probs[j] + rc.probs[j]) / 3, 1e-6);
    /* Two copies of a and one of b: the average picks class 0, b disagrees. */
    const struct rk_digits_model *aab[] = {&a, &a, &b};
    rk_digits_model_free(&e);
    assert_int_equal(rk_digits_model_merge(&e, aab, 3), RK_OK);
    e.temperature = 1.0f;
    e.threshold = 0.3f;
    assert_int_equal(rk_digits_classify(&e, img, scratch, slen, &r), RK_OK);
    assert_int_equal(r.cls, 0);
    assert_int_equal(r.agree, 2);
    assert_true(r.prob >= 0.3f);
    assert_int_equal(r.accept, 1);
    e.flags = RK_DIGITS_UNANIMOUS;
    assert_int_equal(rk_digits_classify(&e, img, scratch, slen, &r), RK_OK);
    assert_int_equal(r.accept, 0);
    /* rk_digits_decide on precomputed logits is the same rule */
    float la[3][RK_DIGITS_CLASSES];
    for (uint32_t k = 0; k < 3; k++)
        assert_int_equal(rk_digits_logits(&e, k, img, scratch, slen, la[k]), RK_OK);
    struct rk_digits_result rd;
    rk_digits_decide(&e, &la[0][0], e.temperature, e.threshold, &rd);
    assert_memory_equal(&rd, &r, sizeof r);
    /* round trip of a three-network file */
    uint8_t *buf;
    size_t len;
    assert_int_equal(rk_digits_model_serialize(&e, &buf, &len), RK_OK);
    assert_int_equal(len, RK_DIGITS_HEADER_SIZE + 3 * RK_DIGITS_NET_HEADER_SIZE +
                              4 * (2 * a.net[0].nweights + b.net[0].nweights) + 4);
    assert_int_equal(rk_digits_model_parse(&back, buf, len), RK_OK);
    assert_int_equal(back.nnets, 3);
    for (uint32_t k = 0; k < 3; k++)
        assert_memory_equal(back.net[k].w, e.net[k].w, e.net[k].nweights * sizeof(float));
    assert_int_equal(rk_digits_classify(&back, img, scratch, slen, &rd), RK_OK);
    assert_memory_equal(&rd, &r, sizeof r);
    rk_digits_model_free(&back);
    /* a file claiming three networks but cut after two records' worth is refused */
    assert_int_equal(parse_copy(buf, len - 8), RK_EPARSE);
    free(buf);
    /* merging: other split, too many networks, nothing */
    b.split_seed = 78;
    struct rk_digits_model bad;
    assert_int_equal(rk_digits_model_merge(&bad, parts, 3), RK_EINVAL);
    b.split_seed = 77;
    /* RK_DIGITS_MAX_NETS (5) networks merge and survive a round trip; one more is refused */
    const struct rk_digits_model *six[] = {&a, &b, &c, &a, &b, &c};
    assert_int_equal(RK_DIGITS_MAX_NETS, 5);
    assert_int_equal(rk_digits_model_merge(&bad, six, 5), RK_OK);
    assert_int_equal(bad.nnets, 5);
    assert_int_equal(rk_digits_model_serialize(&bad, &buf, &len), RK_OK);
    rk_digits_model_free(&bad);
    assert_int_equal(rk_digits_model_parse(&back, buf, len), RK_OK);
    assert_int_equal(back.nnets, 5);
    assert_memory_equal(back.net[4].w, b.net[0].w, b.net[0].nweights * sizeof(float));
    rk_digits_model_free(&back);
    free(buf);
    assert_int_equal(rk_digits_model_merge(&bad, six, 6), RK_ERANGE);
    assert_int_equal(rk_digits_model_merge(&bad, six, 0), RK_EINVAL);
    rk_digits_model_free(&bad);
    free(scratch);
    rk_digits_model_free(&e);
    rk_digits_model_free(&a);
    rk_digits_model_free(&b);
    rk_digits_model_free(&c);
}

/* Calibration on one range, measurement on another: the threshold is the lowest confidence with
 * no accepted error (target 0) on the calibration range, disagreement is never accepted. */
static void test_calibrate(void **state)
{
    (void)state;
    struct rk_digits_model m, two;
    pool_chain(&m, 1.0f);
    m.split_count = 8;
    const struct rk_digits_model *parts[] = {&m, &m};
    assert_int_equal(rk_digits_model_merge(&two, parts, 2), RK_OK);
    two.flags = RK_DIGITS_UNANIMOUS;
    enum { N = 8 };
    /* logits per sample and network: a confident "c" (margin d) for each network */
    static const struct {
        int c0, c1;
        float d;
        int label;
    } s[N] = {{1, 1, 9, 1}, {2, 2, 8, 2}, {3, 3, 3, 4}, {4, 4, 2, 4},
              {5, 5, 9, 5}, {6, 7, 9, 6}, {7, 7, 1, 7}, {8, 8, 7, 8}};
    float l[N][2][RK_DIGITS_CLASSES];
    int lab[N];
    memset(l, 0, sizeof l);
    for (int i = 0; i < N; i++) {
        l[i][0][s[i].c0] = s[i].d, l[i][1][s[i].c1] = s[i].d;
        lab[i] = s[i].label;
    }
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 1.0), RK_OK);
    assert_true(two.calib_lo == 0 && two.calib_hi == 4);
    assert_true(two.temperature >= 0.05f && two.temperature <= 20.0f);
    /* sample 2 (margin 3, wrong) must be rejected, sample 1 (margin 8) accepted */
    struct rk_digits_result r2, r1;
    rk_digits_decide(&two, &l[2][0][0], two.temperature, 0.0f, &r2);
    rk_digits_decide(&two, &l[1][0][0], two.temperature, 0.0f, &r1);
    assert_true(two.threshold > r2.prob && two.threshold <= r1.prob);
    struct rk_digits_rates rt;
    rk_digits_measure(&two, &l[0][0][0], lab, 4, 8, &rt);
    assert_int_equal(rt.n, 4);
    assert_int_equal(rt.disagree, 1);  /* sample 5 */
    assert_int_equal(rt.wrong, 0);     /* 6 and 7 tie; the first, 6, is the label */
    assert_true(rt.rejected >= 2);     /* disagreement and the margin-1 sample */
    assert_int_equal(rt.accepted_wrong, 0);
    /* A reject budget lowers the threshold: at most 1 of 4 rejected accepts the wrong sample 2
     * (margin 3) and rejects only sample 3 (margin 2); 2 of 4 changes nothing; 0 accepts all. */
    struct rk_digits_result r3;
    rk_digits_decide(&two, &l[3][0][0], two.temperature, 0.0f, &r3);
    float t0 = two.threshold;
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 0.5), RK_OK);
    assert_true(two.threshold == t0);
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 0.25), RK_OK);
    rk_digits_decide(&two, &l[2][0][0], two.temperature, 0.0f, &r2);
    rk_digits_decide(&two, &l[3][0][0], two.temperature, 0.0f, &r3);
    assert_true(two.threshold == r2.prob && r3.prob < two.threshold);
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 0.0), RK_OK);
    assert_true(two.threshold == r3.prob);
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 1.5), RK_EINVAL);
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 4, 4, 0.0, 1.0), RK_EINVAL);
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 9, 0.0, 1.0), RK_EINVAL);
    /* Spending a budget: the highest threshold rejecting at most that share. At 1 of 4 it is
     * the capped threshold above; at 3 of 4 it rises above t0 (only sample 0 accepted), where
     * --max-reject keeps t0; at 4 of 4 nothing is accepted. */
    struct rk_digits_result r0;
    assert_int_equal(rk_digits_calibrate_budget(&two, &l[0][0][0], lab, 0, 4, 0.25), RK_OK);
    assert_true(two.threshold == r2.prob);
    assert_int_equal(rk_digits_calibrate_budget(&two, &l[0][0][0], lab, 0, 4, 0.75), RK_OK);
    rk_digits_decide(&two, &l[0][0][0], two.temperature, 0.0f, &r0);
    assert_true(two.threshold == r0.prob && two.threshold > t0);
    assert_true(two.calib_lo == 0 && two.calib_hi == 4);
    rk_digits_measure(&two, &l[0][0][0], lab, 0, 4, &rt);
    assert_true(rt.n == 4 && rt.rejected == 3 && rt.accepted_wrong == 0);
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 0.75), RK_OK);
    assert_true(two.threshold == t0);
    assert_int_equal(rk_digits_calibrate_budget(&two, &l[0][0][0], lab, 0, 4, 1.0), RK_OK);
    rk_digits_measure(&two, &l[0][0][0], lab, 0, 4, &rt);
    assert_true(two.threshold > r0.prob && rt.rejected == 4);
    assert_int_equal(rk_digits_calibrate_budget(&two, &l[0][0][0], lab, 0, 4, 1.5), RK_EINVAL);
    assert_int_equal(rk_digits_calibrate_budget(&two, &l[0][0][0], lab, 0, 4, -0.1), RK_EINVAL);
    /* A set-aside sample (label -1) counts nowhere: the wrong sample 2 set aside at a threshold
     * that accepts it leaves no accepted error; the disagreeing sample 5 set aside leaves none. */
    assert_int_equal(rk_digits_calibrate_budget(&two, &l[0][0][0], lab, 0, 4, 0.25), RK_OK);
    rk_digits_measure(&two, &l[0][0][0], lab, 0, 4, &rt);
    assert_true(rt.n == 4 && rt.accepted_wrong == 1 && rt.wrong == 1);
    lab[2] = -1;
    rk_digits_measure(&two, &l[0][0][0], lab, 0, 4, &rt);
    assert_true(rt.n == 3 && rt.accepted_wrong == 0 && rt.wrong == 0 && rt.rejected == 1);
    lab[5] = -1;
    rk_digits_measure(&two, &l[0][0][0], lab, 4, 8, &rt);
    assert_true(rt.n == 3 && rt.disagree == 0);
    /* but calibration takes labels as given only */
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 1.0), RK_EINVAL);
    lab[2] = 4;
    lab[0] = 11;
    assert_int_equal(rk_digits_calibrate(&two, &l[0][0][0], lab, 0, 4, 0.0, 1.0), RK_EINVAL);
    assert_int_equal(rk_digits_calibrate_budget(&two, &l[0][0][0], lab, 0, 4, 0.5), RK_EINVAL);
    rk_digits_model_free(&two);
    rk_digits_model_free(&m);
}

/* A blind review of labels: what it confirms, what it sets aside, and what it refuses. */
static void test_review(void **state)
{
    (void)state;
    static const uint8_t labels[7] = {3, 7, 1, 0, 9, 10, 4};
    uint8_t mark[7];
    uint32_t rev = 99, dis = 99, line = 99;
    static const char good[] = "# a comment\n\n0\t3\n1 7/1\n2\tX 1/7  # a blob\r\n  4 9 4/9\r\n"
                               "5 X X\n6 9/4\t4\n";
    memset(mark, 0, sizeof mark);
    assert_int_equal(rk_digits_review_apply(good, strlen(good), labels, 7, mark, &rev, &dis, &line),
                     RK_OK);
    assert_true(rev == 6 && dis == 3 && line == 0);
    assert_int_equal(mark[0], RK_DIGITS_CONFIRMED);
    assert_int_equal(mark[1], RK_DIGITS_DISPUTED); /* "either 7 or 1" is not 7 alone */
    assert_int_equal(mark[2], RK_DIGITS_DISPUTED); /* neither of two readers read 1 alone */
    assert_int_equal(mark[3], RK_DIGITS_UNREVIEWED);
    assert_int_equal(mark[4], RK_DIGITS_CONFIRMED); /* one reader of two is enough */
    assert_int_equal(mark[5], RK_DIGITS_DISPUTED); /* label 10 is no digit a reader confirms */
    assert_int_equal(mark[6], RK_DIGITS_CONFIRMED); /* the second reader confirms */
    memset(mark, 0, sizeof mark);
    assert_int_equal(rk_digits_review_apply("", 0, labels, 7, mark, NULL, NULL, NULL), RK_OK);
    static const struct {
        const char *text;
        uint32_t line;
    } bad[] = {{"7 3\n", 1},          {"0 3\n1 7\n0 3\n", 3}, {"0\n", 1},
               {"0 \n", 1},           {"0 3/\n", 1},           {"0 33\n", 1},
               {"0 3 x\n", 1},        {"a 3\n", 1},            {"0x 3\n", 1},
               {"\n12345678901 3\n", 2}, {"0 /3\n", 1},        {"0 XX\n", 1},
               {"0 -3\n", 1},         {"0 0/1/2/3/4/5/6/7/8/9/0\n", 1},
               {"0 3 X 4\n1 1 2 3 4 5 6 7 8 9\n", 2}, {"0 3X\n", 1}, {"0 3 #\n1 #\n", 2},
               {"0 3 4 #\n8 1\n", 2}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(mark, 0, sizeof mark);
        line = 0;
        assert_int_equal(rk_digits_review_apply(bad[k].text, strlen(bad[k].text), labels, 7, mark,
                                                &rev, &dis, &line),
                         RK_EPARSE);
        if (line != bad[k].line)
            fail_msg("review line %zu: '%s' at line %u, expected %u", k, bad[k].text, line,
                     bad[k].line);
    }
    assert_int_equal(rk_digits_review_apply(good, RK_DIGITS_REVIEW_MAX_BYTES + 1, labels, 7, mark,
                                            NULL, NULL, NULL),
                     RK_ERANGE);
}

static void test_gradient_check(void **state)
{
    (void)state;
    struct rk_digits_arch a = {.c1 = 2, .k1 = 3, .c2 = 3, .k2 = 3, .hidden = 6};
    struct rk_digits_model m;
    rk_test_digits_random(&m, &a, 42, 0);
    float x[RK_DIGITS_PIXELS];
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        x[i] = (float)rand() / (float)RAND_MAX;
    struct rk_digits_net *n = &m.net[0];
    size_t wl = rk_digits_grad_work_size(n);
    void *work = malloc(wl);
    float *g = calloc(n->nweights, sizeof *g);
    int label = 3;
    float loss = rk_digits_loss_grad(n, x, label, g, work, wl);
    assert_true(isfinite(loss) && loss > 0);
    assert_float_equal(rk_digits_loss_grad(n, x, label, NULL, work, wl), loss, 1e-6);
    /* Check every weight of the small layers and a stride through fc1. Central differences in
     * float with eps 1e-3: rounding noise stays ~1e-4 and few relu/max-pool kinks are crossed
     * (with eps 1e-2, conv1 weights, which move all 676 positions at once, cross many). */
    int checked = 0, bad = 0;
    double maxerr = 0;
    for (size_t i = 0; i < n->nweights; i++) {
        int in_fc1 = n->w + i >= n->f1w && n->w + i < n->f1b;
        if (in_fc1 && i % 7 != 0)
            continue;
        float keep = n->w[i], eps = 1e-3f;
        n->w[i] = keep + eps;
        float lp = rk_digits_loss_grad(n, x, label, NULL, work, wl);
        n->w[i] = keep - eps;
        float lm = rk_digits_loss_grad(n, x, label, NULL, work, wl);
        n->w[i] = keep;
        double num = ((double)lp - lm) / (2.0 * eps), err = fabs(num - g[i]);
        double tol = 1e-3 + 1e-2 * fabs(num);
        checked++;
        if (err > tol) {
            bad++;
            print_message("  weight %zu: analytic %.5f numeric %.5f\n", i, (double)g[i], num);
        }
        if (err > maxerr)
            maxerr = err;
    }
    /* A perturbation can flip a max-pool winner; allow at most 1% such kinks, no more. */
    print_message("gradient check: %d weights, %d beyond tolerance, max abs error %.2e\n", checked,
                  bad, maxerr);
    assert_true(checked > 200);
    assert_true(bad <= checked / 100);
    /* the label out of range is refused */
    assert_true(isnan(rk_digits_loss_grad(n, x, 11, g, work, wl)));
    free(work);
    free(g);
    rk_digits_model_free(&m);
}

/* Tiny synthetic "dataset": blobs whose position encodes the label. */
static void fake_data(uint8_t **ibuf, uint8_t **lbuf, struct rk_idx *im, struct rk_idx *lab, uint32_t n)
{
    *ibuf = calloc(n, RK_DIGITS_PIXELS);
    *lbuf = calloc(n, 1);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t l = (uint8_t)(i % 10);
        (*lbuf)[i] = l;
        for (int y = 8; y < 20; y++)
            for (int x = 4 + l; x < 8 + l; x++)
                (*ibuf)[i * RK_DIGITS_PIXELS + y * 28 + x] = (uint8_t)(200 + (i * 7) % 56);
    }
    *im = (struct rk_idx){.ndim = 3, .count = n, .rows = 28, .cols = 28, .item_size = 784, .data = *ibuf};
    *lab = (struct rk_idx){.ndim = 1, .count = n, .rows = 1, .cols = 1, .item_size = 1, .data = *lbuf};
}

static void test_training_reproducible(void **state)
{
    (void)state;
    uint8_t *ib, *lb;
    struct rk_idx im, lab;
    fake_data(&ib, &lb, &im, &lab, 400);
    struct rk_digits_train_opts o;
    rk_digits_train_defaults(&o);
    o.arch = (struct rk_digits_arch){.c1 = 4, .k1 = 5, .c2 = 4, .k2 = 3, .hidden = 16};
    o.val_count = 100;
    o.epochs = 2;
    o.batch = 16;
    for (int threads = 1; threads <= 2; threads++) {
        o.threads = threads;
        struct rk_digits_model m1, m2;
        struct rk_digits_train_report r1, r2;
        assert_int_equal(rk_digits_train(&im, &lab, &o, &m1, &r1), RK_OK);
        assert_int_equal(rk_digits_train(&im, &lab, &o, &m2, &r2), RK_OK);
        assert_int_equal(r1.train_count, 300);
        assert_memory_equal(m1.net[0].w, m2.net[0].w, m1.net[0].nweights * sizeof(float));
        assert_true(m1.temperature == m2.temperature && m1.threshold == m2.threshold);
        assert_true(r1.val_error == r2.val_error);
        rk_digits_model_free(&m1);
        rk_digits_model_free(&m2);
    }
    /* elastic distortion: reproducible too, and it changes what is trained (at 0 it draws
     * nothing, which keeps models trained before it reproducible) */
    struct rk_digits_model e1, e2, plain;
    struct rk_digits_train_report re;
    o.threads = 2;
    assert_int_equal(rk_digits_train(&im, &lab, &o, &plain, &re), RK_OK);
    o.elastic = 0.5f;
    assert_int_equal(rk_digits_train(&im, &lab, &o, &e1, &re), RK_OK);
    assert_int_equal(rk_digits_train(&im, &lab, &o, &e2, &re), RK_OK);
    assert_memory_equal(e1.net[0].w, e2.net[0].w, e1.net[0].nweights * sizeof(float));
    assert_memory_not_equal(e1.net[0].w, plain.net[0].w, e1.net[0].nweights * sizeof(float));
    rk_digits_model_free(&e1);
    rk_digits_model_free(&e2);
    rk_digits_model_free(&plain);
    o.elastic = 1.5f;
    struct rk_digits_model bad;
    assert_int_equal(rk_digits_train(&im, &lab, &o, &bad, &re), RK_EINVAL);
    o.elastic = 0.0f;
    /* bad inputs are refused */
    lb[5] = 11;
    struct rk_digits_model m;
    struct rk_digits_train_report r;
    assert_int_equal(rk_digits_train(&im, &lab, &o, &m, &r), RK_EINVAL);
    lb[5] = 5;
    o.val_count = 400;
    assert_int_equal(rk_digits_train(&im, &lab, &o, &m, &r), RK_EINVAL);
    free(ib);
    free(lb);
}

static void test_split(void **state)
{
    (void)state;
    uint32_t *p = malloc(1000 * sizeof *p), *q = malloc(1000 * sizeof *q);
    unsigned char seen[1000] = {0};
    assert_int_equal(rk_digits_split(1000, 99, p), RK_OK);
    assert_int_equal(rk_digits_split(1000, 99, q), RK_OK);
    assert_memory_equal(p, q, 1000 * sizeof *p);
    for (int i = 0; i < 1000; i++)
        seen[p[i]]++;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(rk_digits_split(1000, 100, q), RK_OK);
    assert_memory_not_equal(p, q, 1000 * sizeof *p);
    assert_int_equal(rk_digits_split(0, 1, q), RK_EINVAL);
    free(p);
    free(q);
}

static void test_temperature(void **state)
{
    (void)state;
    /* Overconfident logits (x5) for a 70%-correct classifier: the fit must soften them (T > 1)
     * and lower the ECE. */
    enum { N = 1000 };
    float *l = calloc(N * RK_DIGITS_CLASSES, sizeof *l);
    int *lab = calloc(N, sizeof *lab);
    for (int i = 0; i < N; i++) {
        int pred = i % 10;
        lab[i] = i % 10 < 7 ? pred : (pred + 1) % 10;
        l[i * RK_DIGITS_CLASSES + pred] = 5.0f;
    }
    float t = rk_digits_fit_temperature(l, lab, N);
    assert_true(t > 1.5f);
    assert_true(rk_digits_ece(l, lab, N, t) < rk_digits_ece(l, lab, N, 1.0f));
    /* the optimum is where the top probability equals the accuracy, 0.7 */
    double e = exp(5.0 / t);
    assert_float_equal((float)(e / (e + 10)), 0.7f, 0.01f);
    free(l);
    free(lab);
}

static void test_preprocess(void **state)
{
    (void)state;
    enum { W = 60, H = 90 };
    uint8_t *crop = malloc(W * H), out[RK_DIGITS_PIXELS];
    memset(crop, 230, W * H); /* paper */
    /* a dark bar 8 wide, 40 tall, off-centre: like a "1" */
    for (int y = 5; y < 45; y++)
        for (int x = 40; x < 48; x++)
            crop[y * W + x] = 20;
    assert_int_equal(rk_digits_preprocess(crop, W, H, W, 1, out), RK_OK);
    int x0 = 28, x1 = -1, y0 = 28, y1 = -1;
    double mass = 0, mx = 0, my = 0;
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
            if (out[y * 28 + x]) {
                x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1, y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
                mass += out[y * 28 + x], mx += out[y * 28 + x] * (x + 0.5), my += out[y * 28 + x] * (y + 0.5);
            }
    assert_int_equal(y1 - y0 + 1, 20); /* the long side scaled to 20 */
    assert_int_equal(x1 - x0 + 1, 4);  /* aspect kept: 8/40 * 20 */
    assert_true(fabs(mx / mass - 14) <= 0.5 && fabs(my / mass - 14) <= 0.5);
    assert_int_equal(out[(y0 + 10) * 28 + x0 + 1], 255); /* solid ink stays full */
    /* blank paper, or paper with faint texture, has no ink */
    memset(crop, 230, W * H);
    assert_int_equal(rk_digits_preprocess(crop, W, H, W, 1, out), RK_ENOTFOUND);
    for (int i = 0; i < W * H; i += 3)
        crop[i] = 215;
    assert_int_equal(rk_digits_preprocess(crop, W, H, W, 1, out), RK_ENOTFOUND);
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        assert_int_equal(out[i], 0);
    assert_int_equal(rk_digits_preprocess(crop, 0, H, W, 1, out), RK_ERANGE);
    assert_int_equal(rk_digits_preprocess(crop, W, RK_DIGITS_MAX_CROP + 1, W, 1, out), RK_ERANGE);
    assert_int_equal(rk_digits_preprocess(crop, W, H, W - 1, 1, out), RK_ERANGE);
    /* a one-pixel crop of ink on black (already MNIST polarity) */
    uint8_t one[4] = {0, 0, 0, 255};
    assert_int_equal(rk_digits_preprocess(one, 2, 2, 2, 0, out), RK_OK);
    int lit = 0;
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        lit += out[i] == 255;
    assert_int_equal(lit, 400); /* 1x1 ink scaled to a 20x20 square */
    free(crop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_outputs),   cmocka_unit_test(test_model_file),
        cmocka_unit_test(test_ensemble),        cmocka_unit_test(test_calibrate),
        cmocka_unit_test(test_review),
        cmocka_unit_test(test_gradient_check),  cmocka_unit_test(test_training_reproducible),
        cmocka_unit_test(test_split),           cmocka_unit_test(test_temperature),
        cmocka_unit_test(test_preprocess),      cmocka_unit_test(test_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
