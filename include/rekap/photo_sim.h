/* Synthetic photos of printed pages, for tests and benchmarks of the form reader: a seeded RNG
 * (reproducible cases, no global state), simple page drawing (filled rectangles with exact
 * sub-pixel coverage, corner marks, text-like clutter) and the distortions a phone camera adds
 * (perspective and rotation, blur, uneven light, sensor noise). Each helper is usable alone so
 * the synthetic-photo generator can compose its own pipeline. */
#ifndef REKAP_PHOTO_SIM_H
#define REKAP_PHOTO_SIM_H

#include "rekap/geom.h"
#include "rekap/image.h"

#include <stdbool.h>
#include <stdint.h>

/* splitmix64: small, fast, and the same sequence on every platform for a given seed. */
struct rk_rng {
    uint64_t s;
};

void rk_rng_seed(struct rk_rng *r, uint64_t seed);
uint64_t rk_rng_next(struct rk_rng *r);
/* Uniform in [lo, hi). */
double rk_rng_uniform(struct rk_rng *r, double lo, double hi);
/* Standard normal (Box-Muller). */
double rk_rng_gauss(struct rk_rng *r);

/* Paints the axis-aligned rectangle [x, x+w) x [y, y+h) with value v, blending edge pixels by
 * their exact covered fraction (so a mark's true centre is known to sub-pixel precision).
 * Parts outside img are clipped. */
void rk_sim_fill_rect(struct rk_image *img, double x, double y, double w, double h, uint8_t v);

/* Outline of a rectangle whose line (width t) is centred on the rectangle's edges. */
void rk_sim_stroke_rect(struct rk_image *img, double x, double y, double w, double h, double t,
                        uint8_t v);

/* A corner registration mark centred at (cx, cy): 2x2 cells of side cell, the top-left and
 * bottom-right cells black (tl_br) or the other diagonal. */
void rk_sim_mark(struct rk_image *img, double cx, double cy, double cell, bool tl_br);

/* A white w x h page with the four marks (cell side cell, mark edge inset from the page edge,
 * top-left/bottom-right cells black), and when clutter is set: lines of word-like blobs, table
 * rules, digit boxes and a QR-like block of random modules, all kept one cell clear of the
 * marks. centres receives the marks' true centres, TL, TR, BR, BL. Returns RK_OK, RK_EINVAL
 * (marks do not fit) or as rk_image_init. */
int rk_sim_page(int w, int h, double cell, double inset, bool clutter, struct rk_rng *rng,
                struct rk_image *page, struct rk_point centres[4]);

/* Where and how the page lands in the photo. */
struct rk_sim_view {
    int width, height;       /* photo size */
    double max_rotate_deg;   /* in-plane rotation, uniform in [-max, max] */
    double perspective;      /* each corner moved by up to this fraction of the page size */
    double min_fill, max_fill; /* page height / photo height, uniform in [min, max] */
    uint8_t background;      /* what lies around the paper */
};

/* Places page in a width x height photo: a random similarity (scale, rotation, shift keeping
 * the page inside) plus independent corner jitter, rendered by bilinear warp. *page_to_photo
 * receives the transform (page pixel centres to photo pixel centres). Returns RK_OK,
 * RK_EINVAL or as rk_image_warp. */
int rk_sim_view(const struct rk_image *page, const struct rk_sim_view *v, struct rk_rng *rng,
                struct rk_image *photo, struct rk_homography *page_to_photo);

/* Approximately Gaussian blur of standard deviation ~sqrt(r (r + 1)): three box passes of
 * radius r, in place. Returns RK_OK, RK_EINVAL or RK_ENOMEM. */
int rk_sim_blur(struct rk_image *img, int r);

/* Multiplies brightness by a linear ramp from lo (at one side) to hi (at the other) along the
 * direction angle_deg: the uneven light of a photo taken under a lamp. */
void rk_sim_gradient(struct rk_image *img, double angle_deg, double lo, double hi);

/* Adds Gaussian noise of standard deviation sigma (clamped to 0..255). */
void rk_sim_noise(struct rk_image *img, struct rk_rng *rng, double sigma);

#endif
