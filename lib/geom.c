/* Homographies and perspective warp. The four-point fit normalises both point sets first
 * (Hartley): photo coordinates in the thousands would otherwise square into an 8x8 system whose
 * pivots differ by twelve orders of magnitude. */
#include "rekap/geom.h"
#include "rekap/status.h"

#include <math.h>
#include <string.h>
#include <stdbool.h>
#include <stdlib.h>

/* Similarity that moves the points' centroid to 0 and their mean distance to sqrt(2). Fails on
 * non-finite input or when all points coincide. */
static bool normaliser(const struct rk_point p[4], struct rk_homography *t)
{
    double cx = 0, cy = 0;
    for (int i = 0; i < 4; i++) {
        if (!isfinite(p[i].x) || !isfinite(p[i].y))
            return false;
        cx += p[i].x / 4;
        cy += p[i].y / 4;
    }
    double d = 0;
    for (int i = 0; i < 4; i++)
        d += hypot(p[i].x - cx, p[i].y - cy) / 4;
    if (!(d > 0) || !isfinite(d))
        return false;
    double s = sqrt(2.0) / d;
    *t = (struct rk_homography){{s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1}};
    return true;
}

/* No three of the (normalised, mean radius sqrt 2) points may be collinear: a triangle of area
 * this small would make the fit hinge on rounding noise. */
static bool general_position(const struct rk_point q[4])
{
    static const int tri[4][3] = {{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}};
    for (int t = 0; t < 4; t++) {
        struct rk_point a = q[tri[t][0]], b = q[tri[t][1]], c = q[tri[t][2]];
        double area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
        if (fabs(area) < 1e-6)
            return false;
    }
    return true;
}

static struct rk_point map_affine(const struct rk_homography *t, struct rk_point p)
{
    return (struct rk_point){t->m[0] * p.x + t->m[1] * p.y + t->m[2],
                             t->m[3] * p.x + t->m[4] * p.y + t->m[5]};
}

static bool normalise(struct rk_homography *h)
{
    double s = h->m[8];
    if (fabs(s) < 1e-12) {
        s = 0;
        for (int i = 0; i < 9; i++)
            s += h->m[i] * h->m[i];
        s = sqrt(s);
    }
    if (!(fabs(s) > 0) || !isfinite(s))
        return false;
    for (int i = 0; i < 9; i++) {
        h->m[i] /= s;
        if (!isfinite(h->m[i]))
            return false;
    }
    return true;
}

int rk_homography_from_points(const struct rk_point src[4], const struct rk_point dst[4],
                              struct rk_homography *h)
{
    if (!src || !dst || !h)
        return RK_EINVAL;
    struct rk_homography ts, td;
    if (!normaliser(src, &ts) || !normaliser(dst, &td))
        return RK_EINVAL;
    struct rk_point s[4], d[4];
    for (int i = 0; i < 4; i++) {
        s[i] = map_affine(&ts, src[i]);
        d[i] = map_affine(&td, dst[i]);
    }
    if (!general_position(s) || !general_position(d))
        return RK_EINVAL;
    /* A h = b with h = (m0..m7), m8 = 1. */
    double a[8][9];
    for (int i = 0; i < 4; i++) {
        double x = s[i].x, y = s[i].y, u = d[i].x, v = d[i].y;
        double r0[9] = {x, y, 1, 0, 0, 0, -x * u, -y * u, u};
        double r1[9] = {0, 0, 0, x, y, 1, -x * v, -y * v, v};
        for (int k = 0; k < 9; k++) {
            a[2 * i][k] = r0[k];
            a[2 * i + 1][k] = r1[k];
        }
    }
    for (int col = 0; col < 8; col++) {
        int piv = col;
        for (int r = col + 1; r < 8; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col]))
                piv = r;
        if (fabs(a[piv][col]) < 1e-10)
            return RK_EINVAL;
        if (piv != col)
            for (int k = 0; k < 9; k++) {
                double t = a[col][k];
                a[col][k] = a[piv][k];
                a[piv][k] = t;
            }
        for (int r = col + 1; r < 8; r++) {
            double f = a[r][col] / a[col][col];
            for (int k = col; k < 9; k++)
                a[r][k] -= f * a[col][k];
        }
    }
    double m[9];
    m[8] = 1;
    for (int r = 7; r >= 0; r--) {
        double v = a[r][8];
        for (int k = r + 1; k < 8; k++)
            v -= a[r][k] * m[k];
        m[r] = v / a[r][r];
    }
    struct rk_homography hn, tdi, tmp;
    for (int i = 0; i < 9; i++)
        hn.m[i] = m[i];
    /* H = Td^-1 * Hn * Ts; Td is a similarity, so its inverse is exact. */
    if (rk_homography_invert(&td, &tdi) != RK_OK)
        return RK_EINVAL;
    rk_homography_compose(&hn, &ts, &tmp);
    rk_homography_compose(&tdi, &tmp, h);
    return normalise(h) ? RK_OK : RK_EINVAL;
}

int rk_homography_apply(const struct rk_homography *h, struct rk_point p, struct rk_point *out)
{
    if (!h || !out)
        return RK_EINVAL;
    const double *m = h->m;
    double w = m[6] * p.x + m[7] * p.y + m[8];
    if (!(fabs(w) > 1e-12))
        return RK_ERANGE;
    struct rk_point r = {(m[0] * p.x + m[1] * p.y + m[2]) / w, (m[3] * p.x + m[4] * p.y + m[5]) / w};
    if (!isfinite(r.x) || !isfinite(r.y))
        return RK_ERANGE;
    *out = r;
    return RK_OK;
}

int rk_homography_invert(const struct rk_homography *h, struct rk_homography *inv)
{
    if (!h || !inv)
        return RK_EINVAL;
    const double *m = h->m;
    double c[9] = {
        m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
        m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
        m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
    };
    double det = m[0] * c[0] + m[1] * c[3] + m[2] * c[6];
    /* Singular when det is lost in the rounding of its own terms (a scale-free test: the
     * entries of a homography differ by many orders of magnitude). */
    double mag = fabs(m[0] * c[0]) + fabs(m[1] * c[3]) + fabs(m[2] * c[6]);
    if (!isfinite(det) || !(fabs(det) > 1e-10 * mag))
        return RK_EINVAL;
    struct rk_homography r;
    for (int i = 0; i < 9; i++)
        r.m[i] = c[i] / det;
    if (!normalise(&r))
        return RK_EINVAL;
    *inv = r;
    return RK_OK;
}

void rk_homography_compose(const struct rk_homography *a, const struct rk_homography *b,
                           struct rk_homography *out)
{
    struct rk_homography r;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r.m[3 * i + j] = a->m[3 * i] * b->m[j] + a->m[3 * i + 1] * b->m[3 + j] +
                             a->m[3 * i + 2] * b->m[6 + j];
    *out = r;
}

int rk_image_warp(const struct rk_image *photo, const struct rk_homography *to_photo, int x0,
                  int y0, int w, int h, uint8_t fill, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!photo || !photo->px || photo->width < 1 || photo->height < 1 || !to_photo)
        return RK_EINVAL;
    int rc = rk_image_init(out, w, h, fill);
    if (rc != RK_OK)
        return rc;
    rc = rk_image_warp_into(photo, to_photo, x0, y0, fill, out);
    if (rc != RK_OK)
        rk_image_free(out);
    return rc;
}

int rk_image_warp_into(const struct rk_image *photo, const struct rk_homography *to_photo, int x0,
                       int y0, uint8_t fill, struct rk_image *out)
{
    if (!out || !out->px || out->width < 1 || out->height < 1 || out->stride < out->width ||
        !photo || !photo->px || photo->width < 1 || photo->height < 1 || !to_photo)
        return RK_EINVAL;
    for (int i = 0; i < 9; i++)
        if (!isfinite(to_photo->m[i]))
            return RK_EINVAL;
    const int w = out->width, h = out->height;
    for (int j = 0; j < h; j++)
        memset(out->px + (size_t)j * (size_t)out->stride, fill, (size_t)w);
    const double *m = to_photo->m;
    const int pw = photo->width, ph = photo->height;
    const size_t stride = (size_t)photo->stride;
    /* Rows are done in spans of SPAN pixels. Within a span the exact source positions of its
     * two ends are computed, and when both lie inside the photo the pixels between follow by
     * linear interpolation in 16.16 fixed point: the homography's curvature over 16 pixels is
     * far below 1/256 pixel for any photo of a page, and this path has no division, no
     * floating point and no clamping. Elsewhere (near the photo's edges) pixels are mapped
     * exactly, one division each. Bilinear weights in 8-bit fixed point throughout. */
    enum { SPAN = 16 };
    const double lim_x = pw - 1.0 - 1e-6, lim_y = ph - 1.0 - 1e-6;
    for (int j = 0; j < h; j++) {
        double yy = (double)(y0 + j);
        uint8_t *d = out->px + (size_t)j * (size_t)out->stride;
        for (int i0 = 0; i0 < w; i0 += SPAN) {
            int n = w - i0 < SPAN ? w - i0 : SPAN;
            double xa = (double)(x0 + i0), xb = xa + n;
            double Wa = m[6] * xa + m[7] * yy + m[8], Wb = m[6] * xb + m[7] * yy + m[8];
            if (Wa > 1e-12 || Wa < -1e-12) {
                double sxa = (m[0] * xa + m[1] * yy + m[2]) / Wa, sya = (m[3] * xa + m[4] * yy + m[5]) / Wa;
                double sxb = (m[0] * xb + m[1] * yy + m[2]) / Wb, syb = (m[3] * xb + m[4] * yy + m[5]) / Wb;
                /* Same sign of W at both ends: the span does not cross the horizon. */
                if (Wa * Wb > 0 && sxa >= 0 && sya >= 0 && sxb >= 0 && syb >= 0 && sxa <= lim_x &&
                    sya <= lim_y && sxb <= lim_x && syb <= lim_y) {
                    int32_t fx = (int32_t)(sxa * 65536.0), fy = (int32_t)(sya * 65536.0);
                    int32_t fxb = (int32_t)(sxb * 65536.0), fyb = (int32_t)(syb * 65536.0);
                    int32_t dx = (fxb - fx) / n, dy = (fyb - fy) / n;
                    for (int k = 0; k < n; k++, fx += dx, fy += dy) {
                        int ix = fx >> 16, iy = fy >> 16;
                        unsigned ax = (unsigned)(fx >> 8) & 255u, ay = (unsigned)(fy >> 8) & 255u;
                        const uint8_t *r0 = photo->px + (size_t)iy * stride + ix;
                        /* ix + 1 and iy + 1 stay inside: positions are <= lim < size - 1, or
                         * exactly on the last row/column with a zero weight for the next. */
                        const uint8_t *r1 = iy + 1 < ph ? r0 + stride : r0;
                        unsigned nx = ix + 1 < pw ? 1u : 0u;
                        unsigned top = r0[0] * (256 - ax) + r0[nx] * ax;
                        unsigned bot = r1[0] * (256 - ax) + r1[nx] * ax;
                        d[i0 + k] = (uint8_t)((top * (256 - ay) + bot * ay + 32768) >> 16);
                    }
                    continue;
                }
            }
            for (int i = i0; i < i0 + n; i++) {
                double xx = (double)(x0 + i);
                double W = m[6] * xx + m[7] * yy + m[8];
                if (!(fabs(W) > 1e-12))
                    continue;
                double sx = (m[0] * xx + m[1] * yy + m[2]) / W, sy = (m[3] * xx + m[4] * yy + m[5]) / W;
                if (!(sx > -0.5 && sy > -0.5 && sx < pw - 0.5 && sy < ph - 0.5))
                    continue; /* also catches NaN */
                /* sx, sy > -0.5 here, so truncation of x + 1 is floor + 1 (floor() is a libm
                 * call on baseline x86-64). */
                int ix = (int)(sx + 1.0) - 1, iy = (int)(sy + 1.0) - 1;
                unsigned ax = (unsigned)((sx - ix) * 256.0), ay = (unsigned)((sy - iy) * 256.0);
                int ix1 = ix + 1, iy1 = iy + 1;
                if (ix < 0)
                    ix = 0;
                if (iy < 0)
                    iy = 0;
                if (ix1 >= pw)
                    ix1 = pw - 1;
                if (iy1 >= ph)
                    iy1 = ph - 1;
                const uint8_t *r0 = photo->px + (size_t)iy * stride, *r1 = photo->px + (size_t)iy1 * stride;
                unsigned top = r0[ix] * (256 - ax) + r0[ix1] * ax;
                unsigned bot = r1[ix] * (256 - ax) + r1[ix1] * ax;
                d[i] = (uint8_t)((top * (256 - ay) + bot * ay + 32768) >> 16);
            }
        }
    }
    return RK_OK;
}
