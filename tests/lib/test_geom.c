/* Homographies (four-point fit, apply, invert, compose; degenerate cases) and the perspective
 * warp: a page photographed under perspective and rectified back matches the page. */
#include "testutil.h"
#include "rekap/geom.h"
#include "rekap/photo_sim.h"
#include "rekap/status.h"

#include <math.h>
#include <string.h>

static void random_quad(struct rk_rng *r, double scale, struct rk_point q[4])
{
    /* A convex-ish quadrilateral: a jittered rectangle, at a random offset and size. */
    double x = rk_rng_uniform(r, -scale, scale), y = rk_rng_uniform(r, -scale, scale);
    double w = rk_rng_uniform(r, 0.2, 1) * scale, h = rk_rng_uniform(r, 0.2, 1) * scale;
    const double cx[4] = {0, 1, 1, 0}, cy[4] = {0, 0, 1, 1};
    for (int i = 0; i < 4; i++) {
        q[i].x = x + cx[i] * w + rk_rng_uniform(r, -0.2, 0.2) * w;
        q[i].y = y + cy[i] * h + rk_rng_uniform(r, -0.2, 0.2) * h;
    }
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct rk_rng r;
    rk_rng_seed(&r, 42);
    for (int it = 0; it < 500; it++) {
        struct rk_point s[4], d[4];
        double ss = it % 3 == 0 ? 1 : it % 3 == 1 ? 300 : 5000; /* mm, px, big photo */
        random_quad(&r, ss, s);
        random_quad(&r, it % 2 ? 4000 : 10, d);
        struct rk_homography h, inv, id;
        int rc = rk_homography_from_points(s, d, &h);
        if (rc != RK_OK)
            fail_msg("it %d: (%g,%g) (%g,%g) (%g,%g) (%g,%g) -> (%g,%g) (%g,%g) (%g,%g) (%g,%g)", it,
                     s[0].x, s[0].y, s[1].x, s[1].y, s[2].x, s[2].y, s[3].x, s[3].y, d[0].x,
                     d[0].y, d[1].x, d[1].y, d[2].x, d[2].y, d[3].x, d[3].y);
        if (rk_homography_invert(&h, &inv) != RK_OK)
            fail_msg("it %d: invert %g %g %g / %g %g %g / %g %g %g", it, h.m[0], h.m[1], h.m[2],
                     h.m[3], h.m[4], h.m[5], h.m[6], h.m[7], h.m[8]);
        double dscale = fabs(d[2].x - d[0].x) + fabs(d[2].y - d[0].y);
        for (int i = 0; i < 4; i++) {
            struct rk_point p, b;
            assert_int_equal(rk_homography_apply(&h, s[i], &p), RK_OK);
            assert_true(hypot(p.x - d[i].x, p.y - d[i].y) < 1e-8 * dscale);
            assert_int_equal(rk_homography_apply(&inv, d[i], &b), RK_OK);
            assert_true(hypot(b.x - s[i].x, b.y - s[i].y) < 1e-8 * ss);
        }
        /* Points inside the quad go there and back too. */
        struct rk_point m = {(s[0].x + s[2].x) / 2, (s[0].y + s[2].y) / 2}, p, b;
        assert_int_equal(rk_homography_apply(&h, m, &p), RK_OK);
        assert_int_equal(rk_homography_apply(&inv, p, &b), RK_OK);
        assert_true(hypot(b.x - m.x, b.y - m.y) < 1e-8 * ss);
        rk_homography_compose(&h, &inv, &id);
        for (int k = 0; k < 9; k++)
            assert_true(fabs(id.m[k] / id.m[8] - (k % 4 == 0 ? 1 : 0)) < 1e-8);
    }
}

static void test_known(void **state)
{
    (void)state;
    const struct rk_point s[4] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
    struct rk_point d[4];
    struct rk_homography h;
    /* Identity, then translation + scale: exact coefficients. */
    assert_int_equal(rk_homography_from_points(s, s, &h), RK_OK);
    for (int k = 0; k < 9; k++)
        assert_true(fabs(h.m[k] - (k % 4 == 0 ? 1 : 0)) < 1e-12);
    for (int i = 0; i < 4; i++)
        d[i] = (struct rk_point){3 * s[i].x + 7, 2 * s[i].y - 5};
    assert_int_equal(rk_homography_from_points(s, d, &h), RK_OK);
    const double want[9] = {3, 0, 7, 0, 2, -5, 0, 0, 1};
    for (int k = 0; k < 9; k++)
        assert_true(fabs(h.m[k] - want[k]) < 1e-12);
    /* A true perspective: the square onto a trapezoid; the centre maps to the diagonals'
     * crossing, not the trapezoid's centroid. */
    const struct rk_point t[4] = {{0, 0}, {10, 0}, {8, 5}, {2, 5}};
    assert_int_equal(rk_homography_from_points(s, t, &h), RK_OK);
    struct rk_point c;
    assert_int_equal(rk_homography_apply(&h, (struct rk_point){5, 5}, &c), RK_OK);
    assert_true(fabs(c.x - 5) < 1e-9);
    assert_true(fabs(c.y - 50.0 / 16) < 1e-9); /* diagonals (0,0)-(8,5) and (10,0)-(2,5) */
}

static void test_degenerate(void **state)
{
    (void)state;
    const struct rk_point s[4] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};
    struct rk_homography h;
    struct rk_point d[4];
    memcpy(d, s, sizeof d);
    d[2] = d[1]; /* two points coincide */
    assert_int_equal(rk_homography_from_points(s, d, &h), RK_EINVAL);
    memcpy(d, s, sizeof d);
    d[2] = (struct rk_point){20, 0}; /* 0, 1, 2 collinear */
    assert_int_equal(rk_homography_from_points(s, d, &h), RK_EINVAL);
    assert_int_equal(rk_homography_from_points(d, s, &h), RK_EINVAL);
    memcpy(d, s, sizeof d);
    d[3] = (struct rk_point){5, 5 + 1e-9}; /* 0, 2, 3 nearly collinear */
    assert_int_equal(rk_homography_from_points(s, d, &h), RK_EINVAL);
    const struct rk_point all[4] = {{1, 1}, {1, 1}, {1, 1}, {1, 1}};
    assert_int_equal(rk_homography_from_points(s, all, &h), RK_EINVAL);
    memcpy(d, s, sizeof d);
    d[1].x = NAN;
    assert_int_equal(rk_homography_from_points(s, d, &h), RK_EINVAL);
    d[1].x = INFINITY;
    assert_int_equal(rk_homography_from_points(d, s, &h), RK_EINVAL);
    assert_int_equal(rk_homography_from_points(NULL, s, &h), RK_EINVAL);
    /* Singular matrix; a point on the line at infinity. */
    struct rk_homography sing = {{1, 2, 3, 2, 4, 6, 0, 0, 1}}, inv;
    assert_int_equal(rk_homography_invert(&sing, &inv), RK_EINVAL);
    struct rk_homography persp = {{1, 0, 0, 0, 1, 0, 1, 0, 1}};
    struct rk_point out;
    assert_int_equal(rk_homography_apply(&persp, (struct rk_point){-1, 3}, &out), RK_ERANGE);
    assert_int_equal(rk_homography_apply(&persp, (struct rk_point){1, 3}, &out), RK_OK);
    assert_true(fabs(out.x - 0.5) < 1e-12 && fabs(out.y - 1.5) < 1e-12);
}

static void test_warp(void **state)
{
    (void)state;
    struct rk_image img, out, part;
    assert_int_equal(rk_image_init(&img, 64, 48, 0), RK_OK);
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++)
            img.px[y * 64 + x] = (uint8_t)((x * 3) ^ (y * 5));
    /* Integer translation: an exact copy; outside gets the fill. */
    struct rk_homography t = {{1, 0, 5, 0, 1, 3, 0, 0, 1}};
    assert_int_equal(rk_image_warp(&img, &t, 0, 0, 64, 48, 7, &out), RK_OK);
    for (int y = 0; y < 45; y++)
        for (int x = 0; x < 59; x++)
            assert_int_equal(out.px[y * 64 + x], img.px[(y + 3) * 64 + x + 5]);
    assert_int_equal(out.px[47 * 64 + 63], 7);
    /* A sub-region of the rectified plane is the same pixels as the full warp's crop. */
    assert_int_equal(rk_image_warp(&img, &t, 10, 20, 30, 15, 7, &part), RK_OK);
    for (int y = 0; y < 15; y++)
        assert_memory_equal(part.px + y * 30, out.px + (y + 20) * 64 + 10, 30);
    rk_image_free(&part);
    rk_image_free(&out);
    /* Half-pixel shift: bilinear mean of neighbours (within fixed-point rounding). */
    struct rk_homography half = {{1, 0, 0.5, 0, 1, 0, 0, 0, 1}};
    assert_int_equal(rk_image_warp(&img, &half, 0, 0, 60, 48, 0, &out), RK_OK);
    for (int x = 0; x < 60; x++)
        assert_true(fabs(out.px[10 * 60 + x] -
                         (img.px[10 * 64 + x] + img.px[10 * 64 + x + 1]) / 2.0) <= 1.0);
    rk_image_free(&out);
    struct rk_homography bad = {{NAN, 0, 0, 0, 1, 0, 0, 0, 1}};
    assert_int_equal(rk_image_warp(&img, &bad, 0, 0, 10, 10, 0, &out), RK_EINVAL);
    assert_int_equal(rk_image_warp(&img, &t, 0, 0, 0, 10, 0, &out), RK_EINVAL);
    rk_image_free(&img);
}

static void test_rectify_roundtrip(void **state)
{
    (void)state;
    /* A page photographed under rotation and perspective, then rectified from the true corner
     * positions: the interior matches the page (edges blur under two resamplings). */
    struct rk_rng r;
    rk_rng_seed(&r, 7);
    struct rk_image page, photo, back;
    struct rk_point c[4];
    assert_int_equal(rk_sim_page(300, 420, 10, 10, true, &r, &page, c), RK_OK);
    struct rk_sim_view v = {500, 600, 12, 0.05, 0.85, 0.9, 60};
    struct rk_homography to_photo;
    assert_int_equal(rk_sim_view(&page, &v, &r, &photo, &to_photo), RK_OK);
    /* Rebuild the transform from four point pairs, as the reader does from the marks. */
    struct rk_point ph[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(rk_homography_apply(&to_photo, c[i], &ph[i]), RK_OK);
    struct rk_homography h;
    assert_int_equal(rk_homography_from_points(c, ph, &h), RK_OK);
    assert_int_equal(rk_image_warp(&photo, &h, 0, 0, 300, 420, 0, &back), RK_OK);
    double err = 0;
    int n = 0;
    for (int y = 20; y < 400; y++)
        for (int x = 20; x < 280; x++, n++)
            err += fabs((double)back.px[y * 300 + x] - page.px[y * 300 + x]);
    print_message("rectified page: mean abs error %.2f\n", err / n);
    assert_true(err / n < 12);
    /* Against a blank page the same comparison is far off: the check has teeth. */
    double blank = 0;
    for (int y = 20; y < 400; y++)
        for (int x = 20; x < 280; x++)
            blank += fabs(255.0 - page.px[y * 300 + x]);
    assert_true(blank / n > 2 * err / n);
    rk_image_free(&page);
    rk_image_free(&photo);
    rk_image_free(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_warp),
        cmocka_unit_test(test_rectify_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
