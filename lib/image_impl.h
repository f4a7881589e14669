/* Internal to lib/: image helpers the decoders share with image.c. Not a public API. */
#ifndef REKAP_IMAGE_IMPL_H
#define REKAP_IMAGE_IMPL_H

#include "rekap/image.h"

#include <math.h>

/* rk_image_init without the fill: the pixels are whatever the allocator returns, for a caller
 * that writes every row before anything reads one (a decoder; on failure it frees the image
 * unread). Same caps and statuses as rk_image_init. */
int rk_image_init_uncleared(struct rk_image *img, int width, int height);

/* fmax(lo, fmin(v, hi)) for lo <= hi (NaN gives hi), without the libm calls. */
static inline double rk_image_clamp_to(double v, double lo, double hi)
{
    return v >= lo ? (v <= hi ? v : hi) : v < lo ? lo : hi;
}

/* rk_image_sample's body, for loops that call it many times (the mark search's model): inlined
 * there, the same arithmetic gives the same values without a call per sample. */
static inline double rk_image_sample_inline(const struct rk_image *img, double x, double y)
{
    double fx = floor(x), fy = floor(y);
    int x0 = (int)rk_image_clamp_to(fx, -1.0, (double)img->width),
        y0 = (int)rk_image_clamp_to(fy, -1.0, (double)img->height);
    double ax = x - fx, ay = y - fy;
    if (x0 < 0 || x0 >= img->width - 1)
        ax = 0; /* outside or on the last column: clamp, no neighbour to blend with */
    if (y0 < 0 || y0 >= img->height - 1)
        ay = 0;
    double p00 = rk_image_at(img, x0, y0), p10 = rk_image_at(img, x0 + 1, y0),
           p01 = rk_image_at(img, x0, y0 + 1), p11 = rk_image_at(img, x0 + 1, y0 + 1);
    double top = p00 + (p10 - p00) * ax, bot = p01 + (p11 - p01) * ax;
    return top + (bot - top) * ay;
}

#endif
