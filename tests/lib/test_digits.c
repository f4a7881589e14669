/* Digit CNN: inference of hand-built models with known outputs, model-file hardening, the
 * trainer's backward pass against finite differences, reproducible training, preprocessing. */
#include "testutil.h"
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
    assert_int_equal(m->flat, 49);
    m->c1w[0] = 1.0f, m->c2w[0] = 1.0f;
    for (int i = 0; i < 49; i++)
        m->f1w[i] = 1.0f;
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        m->f2w[j] = sign * (float)j;
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
    assert_int_equal(rk_digits_logits(&m, img, scratch, slen, logits), RK_OK);
    for (int j = 0; j < RK_DIGITS_CLASSES; j++)
        assert_float_equal(logits[j], (float)j, 1e-6);
    /* a third in another block counts; a half-bright pixel alone in a block counts half */
    img[27 * 28 + 27] = 255, img[13 * 28 + 13] = 51;
    assert_int_equal(rk_digits_logits(&m, img, scratch, slen, logits), RK_OK);
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

static void random_model(struct rk_digits_model *m, const struct rk_digits_arch *a, unsigned seed)
{
    assert_int_equal(rk_digits_model_init(m, a), RK_OK);
    srand(seed);
    for (size_t i = 0; i < m->nweights; i++)
        m->w[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.6f;
    /* positive biases keep most relus alive so the check exercises every path */
    for (uint32_t i = 0; i < a->c1; i++)
        m->c1b[i] = 0.1f;
    for (uint32_t i = 0; i < a->c2; i++)
        m->c2b[i] = 0.1f;
    for (uint32_t i = 0; i < a->hidden; i++)
        m->f1b[i] = 0.1f;
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

static void test_model_file(void **state)
{
    (void)state;
    struct rk_digits_arch a = {.c1 = 2, .k1 = 3, .c2 = 3, .k2 = 3, .hidden = 4};
    struct rk_digits_model m, back;
    random_model(&m, &a, 7);
    m.temperature = 1.5f, m.threshold = 0.9f, m.split_seed = 0x123456789abcull, m.split_count = 10000;
    uint8_t *b;
    size_t len;
    assert_int_equal(rk_digits_model_serialize(&m, &b, &len), RK_OK);
    assert_int_equal(len, RK_DIGITS_HEADER_SIZE + 4 * m.nweights + 4);
    assert_int_equal(rk_digits_model_parse(&back, b, len), RK_OK);
    assert_memory_equal(back.w, m.w, m.nweights * sizeof(float));
    assert_true(back.temperature == 1.5f && back.threshold == 0.9f);
    assert_true(back.split_seed == 0x123456789abcull && back.split_count == 10000);
    rk_digits_model_free(&back);

    /* every truncation fails cleanly */
    for (size_t l = 0; l < len; l++)
        assert_int_equal(parse_copy(b, l), RK_EPARSE);
    uint8_t *c = malloc(len + 1);
    memcpy(c, b, len);
    c[len] = 0; /* trailing byte */
    assert_int_equal(parse_copy(c, len + 1), RK_EPARSE);
    c[RK_DIGITS_HEADER_SIZE + 5] ^= 0x40; /* a flipped weight bit breaks the checksum */
    assert_int_equal(parse_copy(c, len), RK_EPARSE);
    memcpy(c, b, len);
    c[0] = 'X';
    assert_int_equal(parse_copy(c, len), RK_EPARSE);
    memcpy(c, b, len);
    put32(c + 8, 2);
    assert_int_equal(parse_copy(c, len), RK_EUNSUPPORTED);
    /* with a valid checksum, sizes are still checked against their caps */
    const struct {
        size_t off;
        uint32_t v;
        int rc;
    } bad[] = {{20, 1000, RK_ERANGE},        {20, 0, RK_ERANGE},     {24, 4, RK_ERANGE},
               {24, 0xffffffffu, RK_ERANGE}, {36, 1u << 30, RK_ERANGE}, {28, 129, RK_ERANGE},
               {12, 32, RK_ERANGE},          {40, 10, RK_ERANGE},    {32, 9, RK_ERANGE},
               {64, 12345, RK_EPARSE},       {44, 0, RK_ERANGE},     {48, 0x3fc00000u, RK_ERANGE},
               {44, 0x7fc00000u, RK_ERANGE}, {60, 0xffffffffu, RK_ERANGE}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(c, b, len);
        put32(c + bad[i].off, bad[i].v);
        fix_crc(c, len);
        assert_int_equal(parse_copy(c, len), bad[i].rc);
    }
    /* a model of the largest allowed architecture claims more weights than 4M: refused */
    struct rk_digits_arch huge = {.c1 = 64, .k1 = 1, .c2 = 128, .k2 = 1, .hidden = 1024};
    assert_int_equal(rk_digits_arch_check(&huge, NULL), RK_ERANGE);
    /* NaN weight */
    memcpy(c, b, len);
    put32(c + RK_DIGITS_HEADER_SIZE + 8, 0x7fc00000u);
    fix_crc(c, len);
    assert_int_equal(parse_copy(c, len), RK_EPARSE);
    free(c);
    free(b);
    rk_digits_model_free(&m);
}

static void test_gradient_check(void **state)
{
    (void)state;
    struct rk_digits_arch a = {.c1 = 2, .k1 = 3, .c2 = 3, .k2 = 3, .hidden = 6};
    struct rk_digits_model m;
    random_model(&m, &a, 42);
    float x[RK_DIGITS_PIXELS];
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        x[i] = (float)rand() / (float)RAND_MAX;
    size_t wl = rk_digits_grad_work_size(&m);
    void *work = malloc(wl);
    float *g = calloc(m.nweights, sizeof *g);
    int label = 3;
    float loss = rk_digits_loss_grad(&m, x, label, g, work, wl);
    assert_true(isfinite(loss) && loss > 0);
    assert_float_equal(rk_digits_loss_grad(&m, x, label, NULL, work, wl), loss, 1e-6);
    /* Check every weight of the small layers and a stride through fc1. Central differences in
     * float with eps 1e-3: rounding noise stays ~1e-4 and few relu/max-pool kinks are crossed
     * (with eps 1e-2, conv1 weights, which move all 676 positions at once, cross many). */
    int checked = 0, bad = 0;
    double maxerr = 0;
    for (size_t i = 0; i < m.nweights; i++) {
        int in_fc1 = m.w + i >= m.f1w && m.w + i < m.f1b;
        if (in_fc1 && i % 7 != 0)
            continue;
        float keep = m.w[i], eps = 1e-3f;
        m.w[i] = keep + eps;
        float lp = rk_digits_loss_grad(&m, x, label, NULL, work, wl);
        m.w[i] = keep - eps;
        float lm = rk_digits_loss_grad(&m, x, label, NULL, work, wl);
        m.w[i] = keep;
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
    assert_true(isnan(rk_digits_loss_grad(&m, x, 11, g, work, wl)));
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
        assert_memory_equal(m1.w, m2.w, m1.nweights * sizeof(float));
        assert_true(m1.temperature == m2.temperature && m1.threshold == m2.threshold);
        assert_true(r1.val_error == r2.val_error);
        rk_digits_model_free(&m1);
        rk_digits_model_free(&m2);
    }
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
        cmocka_unit_test(test_gradient_check),  cmocka_unit_test(test_training_reproducible),
        cmocka_unit_test(test_split),           cmocka_unit_test(test_temperature),
        cmocka_unit_test(test_preprocess),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
