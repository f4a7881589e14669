/* Corner-mark detection on synthetic photos: a cluttered page with four marks, placed in the
 * frame with random rotation and perspective, then blurred, unevenly lit and noised (the
 * photo_sim helpers); the found centres must be within a few pixels of the truth. Pages without
 * marks, or with only half the page in the photo, must give RK_ENOTFOUND. Set
 * REKAP_TEST_DUMP=dir to write every synthetic photo there as PNG. */
#include "testutil.h"
#include "rekap/marks.h"
#include "rekap/photo_sim.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A4 at 4 px/mm with the template's 8 mm marks (4 mm cells) 6 mm from the edge. */
#define PAGE_W 840
#define PAGE_H 1188
#define CELL 16.0
#define INSET 24.0

static void dump(const struct rk_image *img, const char *name, unsigned seed)
{
    const char *dir = getenv("REKAP_TEST_DUMP");
    if (!dir)
        return;
    uint8_t *png;
    size_t len;
    if (rk_image_encode_png(img, &png, &len) != RK_OK)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s-%u.png", dir, name, seed);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(png, 1, len, f);
        fclose(f);
    }
    free(png);
}

struct shot {
    struct rk_image photo;
    struct rk_point truth[4];
};

/* A distorted photo of a page (with marks when marks is set) for seed. */
static void make_photo(unsigned seed, bool marks, bool clutter, struct shot *s)
{
    struct rk_rng rng;
    rk_rng_seed(&rng, seed * 7919u + 17);
    struct rk_image page;
    struct rk_point c[4];
    assert_int_equal(rk_sim_page(PAGE_W, PAGE_H, CELL, INSET, clutter, &rng, &page, c), RK_OK);
    if (!marks) {
        /* Paint the marks over: same page, nothing to find. */
        for (int i = 0; i < 4; i++)
            rk_sim_fill_rect(&page, c[i].x - CELL - 1, c[i].y - CELL - 1, 2 * CELL + 2,
                             2 * CELL + 2, 255);
    }
    /* Photo sizes around the working resolution and above it (downscaled by 2). */
    static const int sizes[3][2] = {{900, 1200}, {1000, 1300}, {1500, 2000}};
    const int *sz = sizes[seed % 3];
    struct rk_sim_view v = {sz[0], sz[1], 15.0, 0.04, 0.7, 0.95,
                            (uint8_t)rk_rng_uniform(&rng, 30, 140)};
    struct rk_homography h;
    assert_int_equal(rk_sim_view(&page, &v, &rng, &s->photo, &h), RK_OK);
    rk_image_free(&page);
    for (int i = 0; i < 4; i++)
        assert_int_equal(rk_homography_apply(&h, c[i], &s->truth[i]), RK_OK);
    assert_int_equal(rk_sim_blur(&s->photo, (int)rk_rng_uniform(&rng, 0, 2.99)), RK_OK);
    rk_sim_gradient(&s->photo, rk_rng_uniform(&rng, 0, 360), rk_rng_uniform(&rng, 0.45, 0.8),
                    rk_rng_uniform(&rng, 0.95, 1.1));
    rk_sim_noise(&s->photo, &rng, rk_rng_uniform(&rng, 1, 8));
}

static void test_found_within_pixels(void **state)
{
    (void)state;
    double worst = 0;
    for (unsigned seed = 1; seed <= 36; seed++) {
        struct shot s;
        make_photo(seed, true, true, &s);
        dump(&s.photo, "marks", seed);
        struct rk_marks m;
        int rc = rk_marks_find(&s.photo, &m);
        if (rc != RK_OK)
            fail_msg("seed %u: %s (%d candidates)", seed, rk_strerror(rc), m.candidates);
        for (int i = 0; i < 4; i++) {
            double e = hypot(m.pt[i].x - s.truth[i].x, m.pt[i].y - s.truth[i].y);
            if (e > 2.5)
                fail_msg("seed %u mark %d: found (%.1f, %.1f), truth (%.1f, %.1f)", seed, i,
                         m.pt[i].x, m.pt[i].y, s.truth[i].x, s.truth[i].y);
            worst = fmax(worst, e);
            assert_true(m.score[i] > 0.35 && m.score[i] <= 1);
            /* The estimated cell is the printed 4 mm in photo pixels, roughly. */
            assert_true(m.cell[i] > 0.5 * CELL && m.cell[i] < 2.5 * CELL);
        }
        assert_true(m.confidence > 0.35);
        rk_image_free(&s.photo);
    }
    print_message("worst mark error over 36 photos: %.2f px\n", worst);
}

static void test_other_diagonal_and_clean_page(void **state)
{
    (void)state;
    /* Marks with the other diagonal black, on an undistorted uncluttered page: still found,
     * sub-pixel exact. */
    struct rk_image page;
    assert_int_equal(rk_image_init(&page, 600, 800, 250), RK_OK);
    struct rk_point c[4] = {{40.3, 40.7}, {560.2, 41.1}, {559.6, 760.4}, {39.8, 759.9}};
    for (int i = 0; i < 4; i++)
        rk_sim_mark(&page, c[i].x, c[i].y, 12, false);
    struct rk_marks m;
    assert_int_equal(rk_marks_find(&page, &m), RK_OK);
    for (int i = 0; i < 4; i++) {
        assert_true(fabs(m.pt[i].x - c[i].x) < 0.3);
        assert_true(fabs(m.pt[i].y - c[i].y) < 0.3);
    }
    assert_true(m.confidence > 0.8);
    rk_image_free(&page);
}

static void test_not_found(void **state)
{
    (void)state;
    for (unsigned seed = 100; seed < 106; seed++) {
        struct shot s;
        struct rk_marks m;
        /* A blank page, and a page of clutter without marks. */
        make_photo(seed, false, seed & 1, &s);
        dump(&s.photo, "nomarks", seed);
        assert_int_equal(rk_marks_find(&s.photo, &m), RK_ENOTFOUND);
        rk_image_free(&s.photo);
        /* A page with marks of which the photo holds only the top or bottom half. */
        make_photo(seed, true, true, &s);
        struct rk_image half;
        int top = seed & 2;
        assert_int_equal(rk_image_crop(&s.photo, 0, top ? 0 : s.photo.height / 2, s.photo.width,
                                       s.photo.height / 2, &half),
                         RK_OK);
        dump(&half, "half", seed);
        assert_int_equal(rk_marks_find(&half, &m), RK_ENOTFOUND);
        /* The whole photo is found: the refusal is about the half, not this page. */
        assert_int_equal(rk_marks_find(&s.photo, &m), RK_OK);
        rk_image_free(&half);
        rk_image_free(&s.photo);
    }
    struct rk_image white;
    struct rk_marks m;
    assert_int_equal(rk_image_init(&white, 400, 300, 255), RK_OK);
    assert_int_equal(rk_marks_find(&white, &m), RK_ENOTFOUND);
    rk_image_free(&white);
    assert_int_equal(rk_marks_find(NULL, &m), RK_EINVAL);
}

static void test_refine_box(void **state)
{
    (void)state;
    struct rk_image img;
    assert_int_equal(rk_image_init(&img, 300, 200, 240), RK_OK);
    /* Three digit boxes 56 x 64 px with a 3 px border, 12 px apart, printed 4 px right and
     * 3 px up of where the template expects them; a digit-like stroke inside the middle one. */
    for (int b = 0; b < 3; b++)
        rk_sim_stroke_rect(&img, 44 + b * 68, 57, 56, 64, 3, 20);
    rk_sim_fill_rect(&img, 44 + 68 + 20, 70, 6, 40, 40);
    for (int b = 0; b < 3; b++) {
        struct rk_point shift;
        double score;
        assert_int_equal(rk_marks_refine_box(&img, 40 + b * 68, 60, 56, 64, 8, &shift, &score),
                         RK_OK);
        if (fabs(shift.x - 4) > 0.01 || fabs(shift.y + 3) > 0.01)
            fail_msg("box %d: shift (%.0f, %.0f) score %.2f", b, shift.x, shift.y, score);
        assert_true(fabs(shift.x - 4) < 0.01);
        assert_true(fabs(shift.y + 3) < 0.01);
        assert_true(score > 0.5);
    }
    /* Nothing printed: low score. Bad arguments refused. */
    struct rk_image blank;
    assert_int_equal(rk_image_init(&blank, 100, 100, 240), RK_OK);
    struct rk_point shift;
    double score;
    assert_int_equal(rk_marks_refine_box(&blank, 20, 20, 40, 40, 5, &shift, &score), RK_OK);
    assert_true(score < 0.05);
    assert_int_equal(rk_marks_refine_box(&blank, 20, 20, 2, 40, 5, &shift, &score), RK_ERANGE);
    assert_int_equal(rk_marks_refine_box(&blank, 20, 20, 40, 40, 65, &shift, &score), RK_EINVAL);
    assert_int_equal(rk_marks_refine_box(&blank, NAN, 20, 40, 40, 5, &shift, &score), RK_EINVAL);
    /* A box hanging over the image edge is still searched (edge pixels extend outward). */
    assert_int_equal(rk_marks_refine_box(&img, 250, 150, 80, 80, 10, &shift, &score), RK_OK);
    rk_image_free(&blank);
    rk_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_within_pixels),
        cmocka_unit_test(test_other_diagonal_and_clean_page),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_refine_box),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
