/* The reader on the synthetic photo test set (cli/photoset.h): N photos of filled-in pages with
 * real handwritten digits from the digit model's held-out MNIST split, photographed with
 * rotation up to 15 degrees, perspective, uneven light, folds, shadows, blur, noise and JPEG
 * quality 60-90. Reports field-level accuracy and asserts the reader's promise: EVERY value it
 * got wrong is flagged for a person. Skips (77) when ../shared/data/mnist is absent.
 * $REKAP_READER_PHOTOS sets N (default 200). */
#include "testutil.h"

#include "cli/photoset.h"
#include "rekap/reader.h"
#include "rekap/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rk_photoset S;

struct tally {
    int photos, unreadable, fields, correct_auto, correct_flagged, wrong_flagged, wrong_auto;
    int digits, digits_right, picks;
    double ms;
};

static void read_one(struct rk_reader *r, uint64_t i, struct tally *t, bool verbose)
{
    struct rk_photoset_case c;
    assert_int_equal(rk_photoset_make(&S, i, &c), RK_OK);
    struct rk_reader_result res;
    struct rk_reader_expect exp = {.tps = c.info.tps, .page = c.page};
    int rc = rk_reader_read(r, c.photo.jpeg, c.photo.jpeg_len, &exp, &res);
    t->photos++;
    t->ms += res.ms_total;
    if (rc != RK_OK) {
        /* Refusing a photo is safe (the officer retakes it) but must be rare and explained. */
        if (rc != RK_EUNREADABLE)
            fprintf(stderr, "photo %llu: rc %d (%s) qr %s page %d tps %s\n", (unsigned long long)i,
                    rc, rk_reader_error_name(res.error), res.qr.tps, res.qr.page, res.qr.election);
        assert_int_equal(rc, RK_EUNREADABLE);
        assert_true(res.msg_id[0] && res.msg_en[0]);
        t->unreadable++;
        if (verbose) {
            fprintf(stderr, "photo %llu: unreadable (%s)\n", (unsigned long long)i,
                    rk_reader_error_name(res.error));
            char path[64];
            snprintf(path, sizeof path, "/tmp/rk-unreadable-%llu.jpg", (unsigned long long)i);
            FILE *fp = fopen(path, "wb");
            if (fp) {
                fwrite(c.photo.jpeg, 1, c.photo.jpeg_len, fp);
                fclose(fp);
            }
        }
        rk_photoset_case_free(&c);
        return;
    }
    assert_int_equal(res.qr.page, c.page);
    assert_string_equal(res.qr.tps, c.info.tps);
    if (c.page == 2) /* the candidate columns are printed on page 2 only */
        assert_int_equal(res.ncand, c.ncand);
    int expect_n = 0;
    for (int k = 0; k < res.n; k++) {
        const struct rk_reader_field *f = &res.f[k];
        int truth = c.truth.v[f->field];
        assert_true(truth >= 0);
        expect_n++;
        t->fields++;
        for (int d = 0, p = 100; d < 3; d++, p /= 10) {
            t->digits++;
            t->digits_right += f->digit[d].value == truth / p % 10 ||
                               (f->digit[d].value < 0 && truth < p && d < 2);
        }
        t->picks += (f->flags & RK_RF_ARITH_PICK) != 0;
        bool right = f->value == truth;
        if (right && !f->needs_review)
            t->correct_auto++;
        else if (right)
            t->correct_flagged++;
        else if (f->needs_review)
            t->wrong_flagged++;
        else {
            t->wrong_auto++;
            fprintf(stderr, "UNFLAGGED MISREAD photo %llu %s: read %d, truth %d (conf %.4f, %s) "
                            "digits %d/%d/%d top %d:%.4f %d:%.4f %d:%.4f bubbles %d %d %d\n",
                    (unsigned long long)i, rk_form_field_name(f->field), f->value, truth,
                    (double)f->confidence, f->reason, f->digit[0].value, f->digit[1].value,
                    f->digit[2].value, f->digit[0].top[0], (double)f->digit[0].top_p[0],
                    f->digit[1].top[0], (double)f->digit[1].top_p[0], f->digit[2].top[0],
                    (double)f->digit[2].top_p[0], f->digit[0].bubble, f->digit[1].bubble,
                    f->digit[2].bubble);
        }
        if (verbose && (!right || f->needs_review))
            fprintf(stderr, "photo %llu p%d %s: read %d truth %d [%s]\n", (unsigned long long)i,
                    c.page, rk_form_field_name(f->field), f->value, truth, f->reason);
    }
    /* Every number of the page was read: page 1 has 22, page 2 has the columns + 3. */
    assert_int_equal(expect_n, c.page == 1 ? 22 : c.ncand + 3);
    rk_photoset_case_free(&c);
}

static void test_photo_set(void **state)
{
    (void)state;
    const char *env = getenv("REKAP_READER_PHOTOS");
    int n = env && atoi(env) > 0 ? atoi(env) : 200;
    bool verbose = getenv("REKAP_READER_VERBOSE") != NULL;
    struct rk_reader r;
    assert_int_equal(rk_reader_init(&r, &S.t, &S.model), RK_OK);
    struct tally t = {0};
    for (int i = 0; i < n; i++)
        read_one(&r, (uint64_t)i, &t, verbose);
    rk_reader_free(&r);
    int readable = t.photos - t.unreadable;
    fprintf(stderr,
            "reader on %d synthetic photos (%dx%d, page at %d dpi): %d unreadable; %d fields: "
            "%d right and accepted (%.2f%%), %d right but flagged, %d wrong and flagged, "
            "%d WRONG AND NOT FLAGGED; digits right %.2f%%; %d settled by the sums; "
            "%.1f ms per photo\n",
            t.photos, S.opts.width, S.opts.height, S.dpi, t.unreadable, t.fields, t.correct_auto,
            t.fields ? 100.0 * t.correct_auto / t.fields : 0, t.correct_flagged, t.wrong_flagged,
            t.wrong_auto, t.digits ? 100.0 * t.digits_right / t.digits : 0, t.picks,
            readable ? t.ms / readable : 0);
    /* The promise: no wrong value slips through unflagged. */
    assert_int_equal(t.wrong_auto, 0);
    /* And the reader is useful: it reads nearly every photo and accepts most fields (measured
     * figures are in docs/reader.md; these floors leave room for libm/libjpeg differences). */
    assert_true(t.unreadable * 50 <= t.photos);
    assert_true(t.correct_auto * 100 >= 90 * t.fields);
}

static int setup(void **state)
{
    (void)state;
    char dir[4096], model[4096];
    if (!rk_test_data("mnist", dir, sizeof dir)) {
        fprintf(stderr, "SKIP: ../shared/data/mnist absent; synthetic photo set not run\n");
        exit(77);
    }
    snprintf(model, sizeof model, "%s/models/digits.bin", REKAP_SOURCE_DIR);
    int rc = rk_photoset_open(&S, dir, model, 150, 1500, 2000);
    if (rc == RK_ENOTFOUND) {
        fprintf(stderr, "SKIP: MNIST training files absent in %s\n", dir);
        exit(77);
    }
    assert_int_equal(rc, RK_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rk_photoset_close(&S);
    rk_form_render_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_photo_set),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
