/* Gray image allocation and pixel operations. Everything here runs on whole 12 MP photos, so
 * the loops are written to be O(pixels) with no per-pixel allocation or division where it can
 * be avoided (running sums for blur and for local statistics, integral images for boxes). */
#include "hot.h"
#include "image_impl.h"
#include "rekap/image.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* rk_image_init, with fill -1 for none (rk_image_init_uncleared). */
static int image_init(struct rk_image *img, int width, int height, int fill)
{
    if (!img)
        return RK_EINVAL;
    *img = (struct rk_image){0};
    if (width < 1 || height < 1)
        return RK_EINVAL;
    if (width > RK_IMAGE_MAX_SIDE || height > RK_IMAGE_MAX_SIDE ||
        (long)width * height > RK_IMAGE_MAX_PIXELS)
        return RK_ETOOBIG;
    size_t n = (size_t)width * (size_t)height;
    /* calloc skips the clearing when the memory comes fresh (and zeroed) from the kernel. */
    img->px = fill == 0 ? calloc(n, 1) : malloc(n);
    if (!img->px)
        return RK_ENOMEM;
    if (fill > 0)
        memset(img->px, fill, n);
    img->width = width;
    img->height = height;
    img->stride = width;
    return RK_OK;
}

int rk_image_init(struct rk_image *img, int width, int height, uint8_t value)
{
    return image_init(img, width, height, value);
}

int rk_image_init_uncleared(struct rk_image *img, int width, int height)
{
    return image_init(img, width, height, -1);
}

void rk_image_free(struct rk_image *img)
{
    if (!img)
        return;
    free(img->px);
    *img = (struct rk_image){0};
}

static bool valid(const struct rk_image *img)
{
    return img && img->px && img->width > 0 && img->height > 0 && img->stride >= img->width;
}

RK_HOT double rk_image_sample(const struct rk_image *img, double x, double y)
{
    return rk_image_sample_inline(img, x, y);
}

int rk_image_orient(const struct rk_image *src, int orientation, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!valid(src) || orientation < 1 || orientation > 8)
        return RK_EINVAL;
    int w = src->width, h = src->height;
    bool swap = orientation >= 5;
    int rc = rk_image_init(out, swap ? h : w, swap ? w : h, 0);
    if (rc != RK_OK)
        return rc;
    /* For each output pixel (x, y): source column sx = ax + bx*x + cx*y, row sy likewise. */
    int ax = 0, bx = 1, cx = 0, ay = 0, by = 0, cy = 1;
    switch (orientation) {
    case 2: ax = w - 1, bx = -1; break;                                  /* mirror */
    case 3: ax = w - 1, bx = -1, ay = h - 1, cy = -1; break;             /* 180 */
    case 4: ay = h - 1, cy = -1; break;                                  /* flip */
    case 5: bx = 0, cx = 1, by = 1, cy = 0; break;                       /* transpose */
    case 6: bx = 0, cx = 1, ay = h - 1, by = -1, cy = 0; break;          /* 90 cw */
    case 7: ax = w - 1, bx = 0, cx = -1, ay = h - 1, by = -1, cy = 0; break; /* transverse */
    case 8: ax = w - 1, bx = 0, cx = -1, by = 1, cy = 0; break;          /* 90 ccw */
    default: break;
    }
    /* Tiles keep both the reads and the writes of a transposition within the cache. */
    enum { T = 64 };
    for (int ty = 0; ty < out->height; ty += T)
        for (int tx = 0; tx < out->width; tx += T) {
            int ey = ty + T < out->height ? ty + T : out->height;
            int ex = tx + T < out->width ? tx + T : out->width;
            for (int y = ty; y < ey; y++) {
                uint8_t *d = out->px + (size_t)y * (size_t)out->stride;
                for (int x = tx; x < ex; x++) {
                    int sx = ax + bx * x + cx * y, sy = ay + by * x + cy * y;
                    d[x] = src->px[(size_t)sy * (size_t)src->stride + (size_t)sx];
                }
            }
        }
    return RK_OK;
}

int rk_image_crop(const struct rk_image *src, int x, int y, int w, int h, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!valid(src))
        return RK_EINVAL;
    if (x < 0 || y < 0 || w < 1 || h < 1 || w > src->width - x || h > src->height - y)
        return RK_ERANGE;
    int rc = rk_image_init(out, w, h, 0);
    if (rc != RK_OK)
        return rc;
    for (int r = 0; r < h; r++)
        memcpy(out->px + (size_t)r * (size_t)w,
               src->px + (size_t)(y + r) * (size_t)src->stride + (size_t)x, (size_t)w);
    return RK_OK;
}

int rk_image_resample(const struct rk_image *src, int w, int h, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!valid(src))
        return RK_EINVAL;
    int rc = rk_image_init(out, w, h, 0);
    if (rc != RK_OK)
        return rc;
    double sx = (double)src->width / w, sy = (double)src->height / h;
    for (int y = 0; y < h; y++) {
        double fy = (y + 0.5) * sy - 0.5;
        uint8_t *d = out->px + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            d[x] = (uint8_t)lround(rk_image_sample(src, (x + 0.5) * sx - 0.5, fy));
    }
    return RK_OK;
}

/* m such that div_round(a, n, m) == (a + n / 2) / n for every sum a of at most n bytes and
 * 1 <= n <= 64 * 64: with x = a + n/2 < 256 n and m = ceil(2^40 / n), x m / 2^40 exceeds
 * x / n by less than 256 n / 2^40 < 1 / n, too little to reach the next integer. */
static uint64_t recip(uint32_t n)
{
    return ((UINT64_C(1) << 40) + n - 1) / n;
}

static uint32_t div_round(uint32_t a, uint32_t n, uint64_t m)
{
    return (uint32_t)(((uint64_t)(a + n / 2) * m) >> 40);
}

/* The 4x4 case of rk_image_downscale for one output row of full blocks (the mark search's,
 * on every photo): column sums of the four rows as 16-bit lanes, then each output the rounded
 * mean of four neighbouring column sums, (sum + 8) >> 4, the general path's value for n = 16.
 * Both loops vectorise; the general path's per-pixel reduction over a runtime factor did not,
 * and it was most of the downscale's time. */
static RK_HOT void down4_row(const uint8_t *restrict r0, const uint8_t *restrict r1,
                             const uint8_t *restrict r2, const uint8_t *restrict r3,
                             uint16_t *restrict col, int wfull, uint8_t *restrict d)
{
    int n = 4 * wfull;
    for (int x = 0; x < n; x++)
        col[x] = (uint16_t)(r0[x] + r1[x] + r2[x] + r3[x]);
    for (int ox = 0; ox < wfull; ox++)
        d[ox] = (uint8_t)((col[4 * ox] + col[4 * ox + 1] + col[4 * ox + 2] + col[4 * ox + 3] +
                           8) >> 4);
}

/* acc[i] += s[i]; restrict tells the compiler the bytes are not the sums (a char pointer may
 * alias anything), so it vectorises the loop. */
static void add_row(uint32_t *restrict acc, const uint8_t *restrict s, int n)
{
    for (int i = 0; i < n; i++)
        acc[i] += s[i];
}

int rk_image_downscale(const struct rk_image *src, int factor, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!valid(src) || factor < 1 || factor > 64)
        return RK_EINVAL;
    int w = (src->width + factor - 1) / factor, h = (src->height + factor - 1) / factor;
    int rc = rk_image_init(out, w, h, 0);
    if (rc != RK_OK)
        return rc;
    uint32_t *acc = calloc((size_t)src->width, sizeof *acc);
    if (!acc) {
        rk_image_free(out);
        return RK_ENOMEM;
    }
    /* Rows are summed column-wise first (a loop the compiler vectorises), then each output
     * pixel adds factor neighbouring column sums. The rounded mean (a + n/2) / n is taken by a
     * multiply and shift: a division per pixel cost more than all the rest. */
    int wfull = src->width / factor; /* output columns with a full block */
    for (int oy = 0; oy < h; oy++) {
        int y0 = oy * factor, y1 = y0 + factor < src->height ? y0 + factor : src->height;
        uint8_t *d = out->px + (size_t)oy * (size_t)w;
        int done = 0; /* outputs of this row already written */
        if (factor == 4 && y1 - y0 == 4 && wfull > 0) {
            const uint8_t *r0 = src->px + (size_t)y0 * (size_t)src->stride;
            size_t st = (size_t)src->stride;
            down4_row(r0, r0 + st, r0 + 2 * st, r0 + 3 * st, (uint16_t *)(void *)acc, wfull, d);
            done = wfull;
        }
        if (done == w)
            continue;
        /* column sums from the first column the outputs left need (the partial block at the
         * right edge, after down4_row) */
        int c0 = done * factor;
        memset(acc + c0, 0, (size_t)(src->width - c0) * sizeof *acc);
        for (int y = y0; y < y1; y++)
            add_row(acc + c0, src->px + (size_t)y * (size_t)src->stride + c0, src->width - c0);
        uint32_t n = (uint32_t)(factor * (y1 - y0));
        uint64_t m = recip(n);
        const uint32_t *a = acc + c0;
        for (int ox = done; ox < wfull; ox++, a += factor) {
            uint32_t sum = 0;
            for (int i = 0; i < factor; i++)
                sum += a[i];
            d[ox] = (uint8_t)div_round(sum, n, m);
        }
        for (int ox = wfull; ox < w; ox++) {
            int x0 = ox * factor, x1 = x0 + factor < src->width ? x0 + factor : src->width;
            uint32_t sum = 0;
            for (int x = x0; x < x1; x++)
                sum += acc[x];
            uint32_t np = (uint32_t)((x1 - x0) * (y1 - y0));
            d[ox] = (uint8_t)((sum + np / 2) / np);
        }
    }
    free(acc);
    return RK_OK;
}

/* One pass of a running-sum box filter along a line of n samples at the given step, with the
 * edge sample repeated outward. */
static void box_line(const uint8_t *s, size_t step, int n, int r, uint8_t *d, size_t dstep)
{
    uint32_t win = (uint32_t)(2 * r + 1);
    uint32_t sum = 0;
    for (int i = -r; i <= r; i++)
        sum += s[(size_t)(i < 0 ? 0 : i >= n ? n - 1 : i) * step];
    for (int i = 0; i < n; i++) {
        d[(size_t)i * dstep] = (uint8_t)((sum + win / 2) / win);
        int add = i + r + 1, sub = i - r;
        sum += s[(size_t)(add >= n ? n - 1 : add) * step];
        sum -= s[(size_t)(sub < 0 ? 0 : sub) * step];
    }
}

int rk_image_box_blur(const struct rk_image *src, int r, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!valid(src) || r < 0 || r > 1024)
        return RK_EINVAL;
    struct rk_image tmp;
    int rc = rk_image_init(&tmp, src->width, src->height, 0);
    if (rc == RK_OK)
        rc = rk_image_init(out, src->width, src->height, 0);
    if (rc != RK_OK) {
        rk_image_free(&tmp);
        return rc;
    }
    int w = src->width, h = src->height;
    for (int y = 0; y < h; y++)
        box_line(src->px + (size_t)y * (size_t)src->stride, 1, w, r,
                 tmp.px + (size_t)y * (size_t)w, 1);
    /* Columns in strips of rows would be faster; column-at-a-time keeps this simple and is
     * only used on working images of about a megapixel. */
    for (int x = 0; x < w; x++)
        box_line(tmp.px + x, (size_t)w, h, r, out->px + x, (size_t)w);
    rk_image_free(&tmp);
    return RK_OK;
}

int rk_integral_init(struct rk_integral *ii, const struct rk_image *src, bool squares)
{
    if (!ii)
        return RK_EINVAL;
    *ii = (struct rk_integral){0};
    if (!valid(src))
        return RK_EINVAL;
    size_t w1 = (size_t)src->width + 1, n = w1 * ((size_t)src->height + 1);
    ii->sum = calloc(n, sizeof *ii->sum);
    if (squares)
        ii->sq = calloc(n, sizeof *ii->sq);
    if (!ii->sum || (squares && !ii->sq)) {
        rk_integral_free(ii);
        return RK_ENOMEM;
    }
    ii->width = src->width;
    ii->height = src->height;
    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = src->px + (size_t)y * (size_t)src->stride;
        uint32_t *row = ii->sum + (size_t)(y + 1) * w1, *above = row - w1;
        uint32_t acc = 0;
        for (int x = 0; x < src->width; x++) {
            acc += s[x];
            row[x + 1] = above[x + 1] + acc;
        }
        if (squares) {
            uint64_t *qrow = ii->sq + (size_t)(y + 1) * w1, *qabove = qrow - w1;
            uint64_t qacc = 0;
            for (int x = 0; x < src->width; x++) {
                qacc += (uint64_t)s[x] * s[x];
                qrow[x + 1] = qabove[x + 1] + qacc;
            }
        }
    }
    return RK_OK;
}

void rk_integral_free(struct rk_integral *ii)
{
    if (!ii)
        return;
    free(ii->sum);
    free(ii->sq);
    *ii = (struct rk_integral){0};
}

int rk_image_otsu(const struct rk_image *src)
{
    if (!valid(src))
        return 0;
    uint64_t hist[256] = {0};
    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = src->px + (size_t)y * (size_t)src->stride;
        for (int x = 0; x < src->width; x++)
            hist[s[x]]++;
    }
    double total = (double)src->width * src->height, sum_all = 0;
    for (int i = 0; i < 256; i++)
        sum_all += (double)i * (double)hist[i];
    double w0 = 0, sum0 = 0, best = -1;
    int t = 0, lo = -1, hi = -1;
    for (int i = 0; i < 256; i++) {
        if (hist[i]) {
            hi = i;
            if (lo < 0)
                lo = i;
        }
    }
    if (lo == hi)
        return lo; /* uniform: nothing to separate */
    for (int i = 0; i < 255; i++) {
        w0 += (double)hist[i];
        sum0 += (double)i * (double)hist[i];
        double w1 = total - w0;
        if (w0 == 0 || w1 == 0)
            continue;
        double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
        double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best) {
            best = between;
            t = i;
        }
    }
    return t;
}

int rk_image_threshold(const struct rk_image *src, int t, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!valid(src))
        return RK_EINVAL;
    int rc = rk_image_init(out, src->width, src->height, 0);
    if (rc != RK_OK)
        return rc;
    for (int y = 0; y < src->height; y++) {
        const uint8_t *s = src->px + (size_t)y * (size_t)src->stride;
        uint8_t *d = out->px + (size_t)y * (size_t)out->stride;
        for (int x = 0; x < src->width; x++)
            d[x] = s[x] <= t ? 0 : 255;
    }
    return RK_OK;
}

/* u as a double, exactly, for u < 2^52: u in the mantissa of 2^52, minus 2^52. Plain bit and
 * floating operations, so it vectorises where a 64-bit integer conversion (none in AVX2) would
 * not. */
static inline double u52_to_double(uint64_t u)
{
    uint64_t b = u | UINT64_C(0x4330000000000000);
    double d;
    memcpy(&d, &b, sizeof d);
    return d - 4503599627370496.0;
}

/* Sauvola's test for pixels [xa, xb) of one row. ps[i], pq[i]: sums of the column sums (of
 * pixels and their squares over the window's rows) left of column i; the window of x spans
 * columns [x + lo_off, x + hi_off), cnt[x] of them, and ny rows. Every sum is a whole number
 * turned exactly into a double, so the arithmetic is the textbook formula's, operation for
 * operation. */
RK_HOT static void sauvola_span(const uint8_t *restrict s, uint8_t *restrict d,
                                const uint64_t *restrict ps, const uint64_t *restrict pq,
                                const double *restrict cnt, int lo_off, int hi_off, int xa,
                                int xb, double ny, double k)
{
    for (int x = xa; x < xb; x++) {
        double n = cnt[x] * ny;
        /* at most 2049^2 * 255 < 2^31 and 2049^2 * 255^2 < 2^52 */
        double sum = (int32_t)(ps[x + hi_off] - ps[x + lo_off]);
        double sq = u52_to_double(pq[x + hi_off] - pq[x + lo_off]);
        /* s <= m (1 - k) + (m k / 128) sd, without the square root: when the left side
         * minus the first term is positive, compare squares against the variance. */
        double mean = sum / n, var = sq / n - mean * mean;
        double lhs = s[x] - mean * (1 - k), g = mean * k / 128.0;
        bool ink = (lhs <= 0) | ((var > 0) & (lhs * lhs <= g * g * var));
        d[x] = ink ? 0 : 255;
    }
}

/* cs[x] += sign * a[x], cq[x] += sign * a[x]^2 (sign +1 or -1, unsigned wrap-around) */
static void add_col_row(uint32_t *restrict cs, uint32_t *restrict cq, const uint8_t *restrict a,
                        int w, uint32_t sign)
{
    for (int x = 0; x < w; x++) {
        uint32_t v = a[x];
        cs[x] += sign * v, cq[x] += sign * v * v;
    }
}

int rk_image_threshold_sauvola(const struct rk_image *src, int r, double k,
                               struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!valid(src) || r < 1 || r > 1024 || !(k > 0 && k < 1))
        return RK_EINVAL;
    int w = src->width, h = src->height;
    /* A window of rows slides down the image as column sums (at most 2049 * 255^2 < 2^32);
     * each row's window sums are differences of prefix sums of those. A few rows of memory
     * instead of two whole integral images. */
    size_t wz = (size_t)w;
    uint64_t *ps = malloc((2 * (wz + 1)) * sizeof *ps);
    uint32_t *cs = calloc(2 * wz, sizeof *cs);
    double *cnt = malloc(wz * sizeof *cnt);
    int rc = ps && cs && cnt ? rk_image_init(out, w, h, 0) : RK_ENOMEM;
    if (rc != RK_OK) {
        free(ps), free(cs), free(cnt);
        return rc;
    }
    uint64_t *pq = ps + wz + 1;
    uint32_t *cq = cs + wz;
    for (int x = 0; x < w; x++) {
        int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
        cnt[x] = x1 - x0;
    }
    for (int y = 0; y < r && y < h; y++)
        add_col_row(cs, cq, src->px + (size_t)y * (size_t)src->stride, w, 1);
    for (int y = 0; y < h; y++) {
        /* rows [y - r, y + r] of the image, as far as they exist */
        if (y + r < h)
            add_col_row(cs, cq, src->px + (size_t)(y + r) * (size_t)src->stride, w, 1);
        if (y - r - 1 >= 0)
            add_col_row(cs, cq, src->px + (size_t)(y - r - 1) * (size_t)src->stride, w,
                        UINT32_MAX);
        uint64_t a = 0, b = 0;
        ps[0] = pq[0] = 0;
        for (int x = 0; x < w; x++) {
            a += cs[x], b += cq[x];
            ps[x + 1] = a, pq[x + 1] = b;
        }
        int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
        double ny = y1 - y0;
        const uint8_t *s = src->px + (size_t)y * (size_t)src->stride;
        uint8_t *d = out->px + (size_t)y * (size_t)out->stride;
        /* columns whose window is whole, [r, w - r), in one vectorised span; the edges clamp */
        int xa = r < w ? r : w, xb = w - r > xa ? w - r : xa;
        for (int x = 0; x < xa; x++) {
            int x1 = x + r + 1 > w ? w : x + r + 1;
            sauvola_span(s, d, ps, pq, cnt, -x, x1 - x, x, x + 1, ny, k);
        }
        sauvola_span(s, d, ps, pq, cnt, -r, r + 1, xa, xb, ny, k);
        for (int x = xb; x < w; x++) {
            int x0 = x - r < 0 ? 0 : x - r;
            sauvola_span(s, d, ps, pq, cnt, x0 - x, w - x, x, x + 1, ny, k);
        }
    }
    free(ps), free(cs), free(cnt);
    return RK_OK;
}
