/* Plane projective geometry for reading photographed forms: the homography that maps the
 * template's rectified page onto the photo, found from the four corner marks, and the warp that
 * "corrects perspective" by resampling the photo through it. */
#ifndef REKAP_GEOM_H
#define REKAP_GEOM_H

#include "rekap/image.h"

struct rk_point {
    double x, y;
};

/* A 3x3 projective transform, row-major, normalised so that m[8] == 1 where possible:
 * (x', y') = ((m0 x + m1 y + m2) / w, (m3 x + m4 y + m5) / w), w = m6 x + m7 y + m8. */
struct rk_homography {
    double m[9];
};

/* Finds the homography mapping src[i] to dst[i] for the four pairs (an exact fit: 8 equations,
 * 8 unknowns, solved by Gaussian elimination with partial pivoting on Hartley-normalised
 * points). Returns RK_OK; RK_EINVAL when a pointer is NULL, a coordinate is not finite, or
 * either quadruple is degenerate (two points coincide or three are collinear, within a
 * tolerance relative to the points' spread). */
int rk_homography_from_points(const struct rk_point src[4], const struct rk_point dst[4],
                              struct rk_homography *h);

/* Maps p through h into *out. Returns RK_OK, or RK_ERANGE when p maps to (or within 1e-12 of)
 * the line at infinity or a coordinate is not finite. */
int rk_homography_apply(const struct rk_homography *h, struct rk_point p, struct rk_point *out);

/* Inverts h (normalised as above). Returns RK_OK or RK_EINVAL when h is singular. */
int rk_homography_invert(const struct rk_homography *h, struct rk_homography *inv);

/* Product a * b: the transform that applies b first, then a. */
void rk_homography_compose(const struct rk_homography *a, const struct rk_homography *b,
                           struct rk_homography *out);

/* Warps the rectified region [x0, x0 + w) x [y0, y0 + h) into out (w x h): out pixel (i, j)
 * is the photo sampled bilinearly at to_photo(x0 + i, y0 + j), or fill where that falls outside
 * the photo. to_photo maps rectified coordinates to photo pixels (pixel centres at integers).
 * Warping only the regions that are read (digit boxes, bubbles) instead of the whole page keeps
 * the per-page cost small. Returns RK_OK, RK_EINVAL, RK_ETOOBIG or RK_ENOMEM. */
int rk_image_warp(const struct rk_image *photo, const struct rk_homography *to_photo, int x0,
                  int y0, int w, int h, uint8_t fill, struct rk_image *out);

/* As rk_image_warp, into the caller's image out (its width, height and stride give the region
 * size; px must hold height rows of stride bytes): no allocation, for the reader's per-digit
 * path. Returns RK_OK or RK_EINVAL. */
int rk_image_warp_into(const struct rk_image *photo, const struct rk_homography *to_photo, int x0,
                       int y0, uint8_t fill, struct rk_image *out);

#endif
