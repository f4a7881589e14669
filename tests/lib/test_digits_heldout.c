/* The shipped model (models/digits.bin) on its held-out split, rebuilt from the seed stored in
 * the model: the split of the MNIST training set it never trained on. Skips (77) when
 * ../shared/data/mnist is absent. $REKAP_MODEL, when set, names another model to check. The
 * bounds below are the figures the model card reports: the whole split for the error, and the
 * half the threshold was NOT chosen on for the reject and accepted-error rates, counted against
 * the MNIST labels as given and against the blind review (models/heldout-review.tsv), which
 * sets aside the digits whose label it did not confirm. */
#include "testutil.h"
#include "rekap/digits.h"
#include "rekap/digits_train.h"
#include "rekap/idx.h"
#include "rekap/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* What the shipped model truly reaches on its 10,000 held-out digits (models/MODEL_CARD.md),
 * with a hair of slack for libm differences. Its temperature and threshold were fitted on the
 * first half of the split (calib range [0, 5000); threshold: at most 1.67 % of it rejected, i.e.
 * 2 % less a one-sided 95 % sampling margin for 5,000 digits); the
 * second half is the honest measurement. Targets (issue 7.3): error <= 0.4 %; fewer than 1 in
 * 10,000 accepted digits wrong with at most 2 % sent to a person. Retrain and tighten these when
 * a better model ships. */
#define NETS 5
#define MAX_WRONG 40                 /* whole split: reached 39 / 10,000; target 40 */
#define MAX_REJECTED_UNSEEN 100      /* second half, every digit: reached 97 / 5,000 (1.94 %);
                                        target 100 (2 %) */
#define MAX_ACCEPTED_WRONG_UNSEEN 3  /* second half, labels as given: reached 3, all disputed */
#define MAX_ACCEPTED_WRONG_FIT 4     /* first half, labels as given: reached 4, all disputed */
#define MAX_ACCEPTED_WRONG_REVIEWED 0 /* either half, disputed labels set aside: reached 0 */

static uint8_t *slurp_gz(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    assert_non_null(f);
    size_t cap = 64u << 20, n = 0;
    uint8_t *b = malloc(cap);
    int r;
    while ((r = gzread(f, b + n, (unsigned)(cap - n))) > 0)
        n += (size_t)r;
    assert_true(r == 0 && n < cap);
    gzclose(f);
    *len = n;
    return b;
}

static struct {
    struct rk_digits_model m;
    uint8_t *ib, *lb;
    struct rk_idx im, lab;
    uint32_t *perm;
    uint8_t *mark; /* the blind review: enum rk_digits_review_mark per MNIST index */
} D;

static int setup(void **state)
{
    (void)state;
    char ip[4096], lp[4096], mp[4096];
    if (!rk_test_data("mnist/train-images-idx3-ubyte.gz", ip, sizeof ip) ||
        !rk_test_data("mnist/train-labels-idx1-ubyte.gz", lp, sizeof lp)) {
        fprintf(stderr, "SKIP: ../shared/data/mnist absent; held-out evaluation not run\n");
        exit(77);
    }
    const char *env = getenv("REKAP_MODEL"); /* as the cli: a model under evaluation */
    if (env && env[0])
        snprintf(mp, sizeof mp, "%s", env);
    else
        snprintf(mp, sizeof mp, "%s/models/digits.bin", REKAP_SOURCE_DIR);
    FILE *f = fopen(mp, "rb");
    assert_non_null(f);
    uint8_t *mb = malloc(RK_DIGITS_MAX_FILE + 1);
    assert_non_null(mb);
    size_t ml = fread(mb, 1, RK_DIGITS_MAX_FILE + 1, f);
    fclose(f);
    assert_int_equal(rk_digits_model_parse(&D.m, mb, ml), RK_OK);
    free(mb);
    size_t il, ll;
    D.ib = slurp_gz(ip, &il);
    D.lb = slurp_gz(lp, &ll);
    assert_int_equal(rk_idx_parse(D.ib, il, 3, &D.im), RK_OK);
    assert_int_equal(rk_idx_parse(D.lb, ll, 1, &D.lab), RK_OK);
    assert_int_equal(D.m.split_count, 10000);
    D.perm = malloc(D.im.count * sizeof *D.perm);
    assert_int_equal(rk_digits_split(D.im.count, D.m.split_seed, D.perm), RK_OK);
    snprintf(mp, sizeof mp, "%s/models/heldout-review.tsv", REKAP_SOURCE_DIR);
    f = fopen(mp, "rb");
    assert_non_null(f);
    char *rv = malloc(RK_DIGITS_REVIEW_MAX_BYTES + 1);
    size_t rl = fread(rv, 1, RK_DIGITS_REVIEW_MAX_BYTES + 1, f);
    fclose(f);
    D.mark = calloc(D.lab.count, 1);
    uint32_t reviewed, disputed;
    assert_int_equal(rk_digits_review_apply(rv, rl, D.lab.data, D.lab.count, D.mark, &reviewed,
                                            &disputed, NULL),
                     RK_OK);
    assert_true(reviewed == 200 && disputed == 30);
    free(rv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rk_digits_model_free(&D.m);
    free(D.ib), free(D.lb), free(D.perm), free(D.mark);
    return 0;
}

static void test_heldout(void **state)
{
    (void)state;
    size_t slen = rk_digits_scratch_size(&D.m);
    void *scratch = malloc(slen);
    uint32_t n = D.m.split_count, wrong = 0;
    uint32_t seen = 0, rej[2] = {0}, acc_wrong[2] = {0}, disagree = 0; /* [0] fitted on, [1] not */
    uint32_t acc_wrong_rev[2] = {0}, aside[2] = {0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = D.perm[i];
        struct rk_digits_result r;
        assert_int_equal(rk_digits_classify(&D.m, D.im.data + (size_t)k * 784, scratch, slen, &r), RK_OK);
        int l = D.lab.data[k], u = !(i >= D.m.calib_lo && i < D.m.calib_hi);
        seen += !u;
        wrong += r.cls != l;
        rej[u] += !r.accept;
        acc_wrong[u] += r.accept && r.cls != l;
        int disputed = D.mark[k] == RK_DIGITS_DISPUTED;
        aside[u] += disputed;
        acc_wrong_rev[u] += r.accept && r.cls != l && !disputed;
        disagree += r.agree != (int)D.m.nnets;
        assert_true(r.agree >= 1 && r.agree <= (int)D.m.nnets);
    }
    uint32_t unseen = n - seen;
    print_message("held-out %u: networks=%u error_rate=%.5f disagree=%u\n", n, D.m.nnets,
                  (double)wrong / n, disagree);
    print_message("calibration half %u: reject_rate=%.5f accepted_wrong=%u\n", seen,
                  (double)rej[0] / seen, acc_wrong[0]);
    print_message("unseen half %u: reject_rate=%.5f accepted_wrong=%u accepted_error_rate=%.6f\n",
                  unseen, (double)rej[1] / unseen, acc_wrong[1],
                  (double)acc_wrong[1] / (double)(unseen - rej[1]));
    print_message("disputed labels set aside (%u / %u): accepted_wrong=%u / %u\n", aside[0],
                  aside[1], acc_wrong_rev[0], acc_wrong_rev[1]);
    assert_int_equal(D.m.nnets, NETS);
    assert_true(D.m.flags & RK_DIGITS_UNANIMOUS);
    assert_true(D.m.calib_lo == 0 && D.m.calib_hi == n / 2);
    assert_true(wrong <= MAX_WRONG);
    assert_true(rej[1] <= MAX_REJECTED_UNSEEN);
    assert_true(acc_wrong[1] <= MAX_ACCEPTED_WRONG_UNSEEN);
    assert_true(acc_wrong[0] <= MAX_ACCEPTED_WRONG_FIT);
    assert_true(rej[0] * 10000 <= seen * 167); /* the budget, spent on the half fitted on */
    assert_true(acc_wrong_rev[0] <= MAX_ACCEPTED_WRONG_REVIEWED);
    assert_true(acc_wrong_rev[1] <= MAX_ACCEPTED_WRONG_REVIEWED);
    free(scratch);
}

/* The reader's path: a held-out digit as it would be cut from a scan (dark ink on light paper,
 * 3x larger, off-centre in a bigger box) goes through rk_digits_preprocess and must still read. */
static void test_preprocessed_crops(void **state)
{
    (void)state;
    enum { W = 110, H = 120, N = 500 };
    size_t slen = rk_digits_scratch_size(&D.m);
    void *scratch = malloc(slen);
    uint8_t *crop = malloc(W * H), box[784];
    uint32_t right = 0, wrong_accepted = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t k = D.perm[i];
        const uint8_t *src = D.im.data + (size_t)k * 784;
        memset(crop, 235, W * H);
        int ox = 5 + (int)(i % 17), oy = 3 + (int)(i % 23);
        for (int y = 0; y < 84; y++)
            for (int x = 0; x < 84; x++)
                crop[(oy + y) * W + ox + x] = (uint8_t)(235 - src[(y / 3) * 28 + x / 3] * 215 / 255);
        int rc = rk_digits_preprocess(crop, W, H, W, 1, box);
        assert_int_equal(rc, RK_OK);
        struct rk_digits_result r;
        assert_int_equal(rk_digits_classify(&D.m, box, scratch, slen, &r), RK_OK);
        right += r.cls == D.lab.data[k];
        wrong_accepted += r.accept && r.cls != D.lab.data[k];
    }
    print_message("preprocessed crops: %u/%u right, %u wrong and accepted\n", right, N, wrong_accepted);
    assert_true(right >= N * 98 / 100);
    assert_true(wrong_accepted <= 1);
    free(crop);
    free(scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_heldout),
                                       cmocka_unit_test(test_preprocessed_crops)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
