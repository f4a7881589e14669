/* 8-bit grayscale images: decoding of untrusted JPEG/PNG photos (with EXIF orientation), PNG and
 * JPEG encoding, and the small pixel operations the form reader is built from (crop, resample,
 * blur, integral image, global and adaptive threshold). Photos of forms are read in gray only:
 * ink on paper carries no information in colour, and one byte a pixel keeps a 12 MP page at 12 MB. */
#ifndef REKAP_IMAGE_H
#define REKAP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps on untrusted input. A 16 MP (4608x3456 or 4920x3264) phone photo fits; the pixel cap is
 * checked from the file header before any pixel memory is allocated. */
#define RK_IMAGE_MAX_PIXELS (16L * 1024 * 1024)
#define RK_IMAGE_MAX_SIDE 16384
#define RK_IMAGE_MAX_INPUT (32L * 1024 * 1024)

/* A row-major gray image; px holds height rows of stride bytes (stride == width for every image
 * this module makes). 0 is black ink, 255 white paper. */
struct rk_image {
    int width, height, stride;
    uint8_t *px;
};

enum rk_image_format { RK_IMAGE_UNKNOWN = 0, RK_IMAGE_PNG, RK_IMAGE_JPEG };

/* Allocates a width x height image filled with value. Returns RK_OK, RK_EINVAL (a side < 1),
 * RK_ETOOBIG (a side over RK_IMAGE_MAX_SIDE or more than RK_IMAGE_MAX_PIXELS) or RK_ENOMEM.
 * On failure img is left empty ({0}) so rk_image_free is always safe. */
int rk_image_init(struct rk_image *img, int width, int height, uint8_t value);

/* Frees the pixels and empties img. NULL-safe and idempotent. */
void rk_image_free(struct rk_image *img);

/* Pixel (x, y) with coordinates clamped to the image (edge pixels repeat outward). */
static inline uint8_t rk_image_at(const struct rk_image *img, int x, int y)
{
    x = x < 0 ? 0 : x >= img->width ? img->width - 1 : x;
    y = y < 0 ? 0 : y >= img->height ? img->height - 1 : y;
    return img->px[(size_t)y * (size_t)img->stride + (size_t)x];
}

/* Bilinear sample at (x, y) in pixel coordinates (pixel centres at integers), clamped at the
 * borders. Returns 0..255 as a double. */
double rk_image_sample(const struct rk_image *img, double x, double y);

/* ---- codecs ---- */

/* Recognises a format from its magic bytes (PNG signature, JPEG SOI + marker). */
enum rk_image_format rk_image_detect(const uint8_t *data, size_t len);

/* Decodes a JPEG or PNG photo of len bytes into out (8-bit gray; colour is converted by luma,
 * alpha composited onto white), turned upright by the JPEG's EXIF orientation tag when it has
 * one. denom in {1, 2, 4, 8} decodes at 1/denom of the size (JPEG: in the DCT, which is much
 * faster; PNG: by box averaging after decoding). Never writes to stderr and never aborts on bad
 * input. Returns RK_OK; RK_EINVAL (NULL or bad denom); RK_EUNSUPPORTED (not PNG/JPEG, or a
 * CMYK JPEG); RK_ETOOBIG (len over RK_IMAGE_MAX_INPUT, or the header announces more than
 * RK_IMAGE_MAX_PIXELS / RK_IMAGE_MAX_SIDE — checked before allocating pixels — or a
 * progressive JPEG of more than 100 scans, a known way to make a tiny file cost minutes); RK_EPARSE
 * (corrupt or truncated data, including any libjpeg corrupt-data warning: a cut-off upload
 * must be retaken, not read half grey); RK_ENOMEM. On failure out is left empty. A malformed
 * EXIF block is ignored (orientation 1): the pixels are still good. */
int rk_image_decode(const uint8_t *data, size_t len, int denom, struct rk_image *out);

/* Encodes img as an 8-bit gray PNG into a malloc'ed buffer (*out, *out_len; caller frees with
 * free()). Returns RK_OK, RK_EINVAL or RK_ENOMEM. For debugging artefacts and tests. */
int rk_image_encode_png(const struct rk_image *img, uint8_t **out, size_t *out_len);

/* Encodes img as a baseline gray JPEG of quality 1..100 into a malloc'ed buffer (free()).
 * Returns RK_OK, RK_EINVAL or RK_ENOMEM. */
int rk_image_encode_jpeg(const struct rk_image *img, int quality, uint8_t **out,
                         size_t *out_len);

/* Applies EXIF orientation 1..8 (1 upright, 3 rotate 180, 6 rotate 90 clockwise, 8 rotate 90
 * counter-clockwise, 2/4/5/7 their mirrors) to src, into a new image out. Returns RK_OK,
 * RK_EINVAL (orientation outside 1..8) or RK_ENOMEM. */
int rk_image_orient(const struct rk_image *src, int orientation, struct rk_image *out);

/* ---- pixel operations (all write a new image into out; src is unchanged) ---- */

/* Copies the w x h rectangle at (x, y). Returns RK_OK, RK_ERANGE (not inside src) or
 * RK_ENOMEM. */
int rk_image_crop(const struct rk_image *src, int x, int y, int w, int h, struct rk_image *out);

/* Resizes to w x h by bilinear interpolation (pixel centres aligned). Bilinear aliases when
 * shrinking by more than 2x: use rk_image_downscale for that. Returns RK_OK, RK_EINVAL,
 * RK_ETOOBIG or RK_ENOMEM. */
int rk_image_resample(const struct rk_image *src, int w, int h, struct rk_image *out);

/* Shrinks by an integer factor (1..64) by averaging factor x factor blocks (partial blocks at
 * the right/bottom edge are averaged over what exists). Returns RK_OK, RK_EINVAL or RK_ENOMEM. */
int rk_image_downscale(const struct rk_image *src, int factor, struct rk_image *out);

/* Mean over the (2r+1) x (2r+1) window around each pixel (edges clamped), r in 0..1024, in time
 * independent of r. Returns RK_OK, RK_EINVAL or RK_ENOMEM. */
int rk_image_box_blur(const struct rk_image *src, int r, struct rk_image *out);

/* Summed-area table: sum[(y) * (width + 1) + x] is the sum of pixels above and left of (x, y),
 * with a zero first row and column. sq (optional) holds the sums of squares. uint32_t suffices
 * for the sum because RK_IMAGE_MAX_PIXELS * 255 < 2^32. */
struct rk_integral {
    int width, height;
    uint32_t *sum;
    uint64_t *sq;
};

/* Computes the integral image of src, with squares when squares is true. Returns RK_OK,
 * RK_EINVAL or RK_ENOMEM; free with rk_integral_free. */
int rk_integral_init(struct rk_integral *ii, const struct rk_image *src, bool squares);

/* Frees ii; NULL-safe and idempotent. */
void rk_integral_free(struct rk_integral *ii);

/* Sum of pixels in [x0, x1) x [y0, y1), which the caller clamps to the image. */
static inline uint32_t rk_integral_sum(const struct rk_integral *ii, int x0, int y0, int x1,
                                       int y1)
{
    size_t w = (size_t)ii->width + 1;
    return ii->sum[(size_t)y1 * w + (size_t)x1] - ii->sum[(size_t)y0 * w + (size_t)x1] -
           ii->sum[(size_t)y1 * w + (size_t)x0] + ii->sum[(size_t)y0 * w + (size_t)x0];
}

/* Otsu's global threshold of src: the level t (0..255) that best separates pixels <= t from
 * pixels > t. A uniform image gives its own level. */
int rk_image_otsu(const struct rk_image *src);

/* Binarises: 0 (ink) where src <= t, else 255. Returns RK_OK, RK_EINVAL or RK_ENOMEM. */
int rk_image_threshold(const struct rk_image *src, int t, struct rk_image *out);

/* Sauvola's adaptive threshold over a (2r+1)^2 window: ink where
 * src <= mean * (1 + k * (stddev / 128 - 1)). Copes with shadows and uneven light that defeat a
 * global threshold; k around 0.2..0.35 (0 < k < 1), r in 1..1024. Output as rk_image_threshold.
 * Returns RK_OK, RK_EINVAL or RK_ENOMEM. */
int rk_image_threshold_sauvola(const struct rk_image *src, int r, double k,
                               struct rk_image *out);

#endif
