/* Synthetic page photos for tests and benchmarks (see photo_sim.h). Coordinates follow the rest
 * of the image code: pixel centres at integers, so pixel i covers [i - 0.5, i + 0.5). */
#include "rekap/photo_sim.h"
#include "rekap/status.h"

#include <math.h>
#include <string.h>

void rk_rng_seed(struct rk_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t rk_rng_next(struct rk_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double rk_rng_uniform(struct rk_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(rk_rng_next(r) >> 11) * 0x1.0p-53);
}

double rk_rng_gauss(struct rk_rng *r)
{
    double u = rk_rng_uniform(r, 0x1.0p-53, 1.0), v = rk_rng_uniform(r, 0, 1);
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double overlap(double a0, double a1, double b0, double b1)
{
    double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

void rk_sim_fill_rect(struct rk_image *img, double x, double y, double w, double h, uint8_t v)
{
    if (!img || !img->px || !(w > 0) || !(h > 0))
        return;
    double x1 = x + w, y1 = y + h;
    int ix0 = (int)fmax(0, floor(x + 0.5)), ix1 = (int)fmin(img->width - 1, ceil(x1 - 0.5));
    int iy0 = (int)fmax(0, floor(y + 0.5)), iy1 = (int)fmin(img->height - 1, ceil(y1 - 0.5));
    for (int py = iy0; py <= iy1; py++) {
        double cy = overlap(py - 0.5, py + 0.5, y, y1);
        if (cy <= 0)
            continue;
        uint8_t *row = img->px + (size_t)py * (size_t)img->stride;
        for (int px = ix0; px <= ix1; px++) {
            double a = cy * overlap(px - 0.5, px + 0.5, x, x1);
            if (a > 0)
                row[px] = (uint8_t)lround(row[px] * (1 - a) + v * a);
        }
    }
}

void rk_sim_stroke_rect(struct rk_image *img, double x, double y, double w, double h, double t,
                        uint8_t v)
{
    double ht = t / 2;
    rk_sim_fill_rect(img, x - ht, y - ht, w + t, t, v);     /* top */
    rk_sim_fill_rect(img, x - ht, y + h - ht, w + t, t, v); /* bottom */
    rk_sim_fill_rect(img, x - ht, y + ht, t, h - t, v);     /* left */
    rk_sim_fill_rect(img, x + w - ht, y + ht, t, h - t, v); /* right */
}

void rk_sim_mark(struct rk_image *img, double cx, double cy, double cell, bool tl_br)
{
    if (tl_br) {
        rk_sim_fill_rect(img, cx - cell, cy - cell, cell, cell, 0);
        rk_sim_fill_rect(img, cx, cy, cell, cell, 0);
    } else {
        rk_sim_fill_rect(img, cx, cy - cell, cell, cell, 0);
        rk_sim_fill_rect(img, cx - cell, cy, cell, cell, 0);
    }
}

struct keepout {
    double x0, y0, x1, y1;
};

static bool clear_of(const struct keepout *k, int n, double x, double y, double w, double h)
{
    for (int i = 0; i < n; i++)
        if (x < k[i].x1 && x + w > k[i].x0 && y < k[i].y1 && y + h > k[i].y0)
            return false;
    return true;
}

static void fill_clear(struct rk_image *img, const struct keepout *k, int n, double x, double y,
                       double w, double h, uint8_t v)
{
    if (clear_of(k, n, x, y, w, h))
        rk_sim_fill_rect(img, x, y, w, h, v);
}

/* Word-like blobs, table rules, digit boxes and a QR-like block: the things a form has that a
 * mark detector must not take for a mark. */
static void clutter(struct rk_image *p, double cell, double inset, struct rk_rng *rng,
                    const struct keepout *k, int nk)
{
    double W = p->width, H = p->height;
    double margin = inset + 2 * cell;
    /* A QR-like block of random modules with finder squares, left of the top-right mark. */
    double qs = 6 * cell, qm = qs / 25, qx = W - margin - cell - qs, qy = inset;
    if (clear_of(k, nk, qx, qy, qs, qs)) {
        for (int my = 0; my < 25; my++)
            for (int mx = 0; mx < 25; mx++) {
                bool finder = (mx < 7 && my < 7) || (mx >= 18 && my < 7) || (mx < 7 && my >= 18);
                if (!finder && (rk_rng_next(rng) & 1))
                    rk_sim_fill_rect(p, qx + mx * qm, qy + my * qm, qm, qm, 0);
            }
        const double fx[3] = {0, 18, 0}, fy[3] = {0, 0, 18};
        for (int f = 0; f < 3; f++) {
            double x = qx + fx[f] * qm, y = qy + fy[f] * qm;
            rk_sim_stroke_rect(p, x + 0.5 * qm, y + 0.5 * qm, 6 * qm, 6 * qm, qm, 0);
            rk_sim_fill_rect(p, x + 2 * qm, y + 2 * qm, 3 * qm, 3 * qm, 0);
        }
    }
    /* Lines of text: letters 0.25..0.6 cell wide, some hollow like 'o', some thin like 'l'. */
    double lh = 0.9 * cell;
    for (double y = margin + qs * 0.2; y + lh < H - margin; y += lh * rk_rng_uniform(rng, 1.6, 3.0)) {
        double x = margin + rk_rng_uniform(rng, 0, 4 * cell);
        double xend = W - margin - rk_rng_uniform(rng, 0, W / 2);
        uint8_t ink = (uint8_t)rk_rng_uniform(rng, 0, 70);
        while (x < xend) {
            int letters = 2 + (int)rk_rng_uniform(rng, 0, 7);
            for (int l = 0; l < letters && x < xend; l++) {
                double lw = rk_rng_uniform(rng, 0.25, 0.6) * cell;
                double th = rk_rng_uniform(rng, 0.45, 1.0) * lh;
                double ly = y + lh - th;
                int kind = (int)(rk_rng_next(rng) % 3);
                if (kind == 0)
                    fill_clear(p, k, nk, x, ly, lw, th, ink);
                else if (kind == 1 && clear_of(k, nk, x, ly, lw, th))
                    rk_sim_stroke_rect(p, x + lw * 0.15, ly + lw * 0.15, lw * 0.7, th - lw * 0.3,
                                       lw * 0.3, ink);
                else
                    fill_clear(p, k, nk, x + lw * 0.35, ly, lw * 0.3, th, ink);
                x += lw + 0.12 * cell;
            }
            x += rk_rng_uniform(rng, 0.4, 1.0) * cell;
        }
    }
    /* Table rules and rows of digit boxes (3 boxes, like the form's number fields). */
    for (int i = 0; i < 4; i++) {
        double y = rk_rng_uniform(rng, margin, H - margin);
        fill_clear(p, k, nk, margin, y, W - 2 * margin, 0.08 * cell, 0);
        double x = rk_rng_uniform(rng, margin, W - margin);
        fill_clear(p, k, nk, x, margin + qs, 0.08 * cell, (H - 2 * margin - qs) / 3, 0);
    }
    for (int i = 0; i < 6; i++) {
        double x = rk_rng_uniform(rng, margin, W - margin - 6 * cell);
        double y = rk_rng_uniform(rng, margin, H - margin - 2 * cell);
        for (int b = 0; b < 3; b++)
            if (clear_of(k, nk, x + b * 2.1 * cell - cell, y - cell, 3.75 * cell, 4 * cell))
                rk_sim_stroke_rect(p, x + b * 2.1 * cell, y, 1.75 * cell, 2 * cell, 0.1 * cell, 0);
    }
}

int rk_sim_page(int w, int h, double cell, double inset, bool with_clutter, struct rk_rng *rng,
                struct rk_image *page, struct rk_point centres[4])
{
    if (!page || !centres || !rng || !(cell >= 1) || !(inset >= 0))
        return RK_EINVAL;
    *page = (struct rk_image){0};
    if (2 * (inset + 2 * cell) + cell > (w < h ? w : h))
        return RK_EINVAL;
    int rc = rk_image_init(page, w, h, 255);
    if (rc != RK_OK)
        return rc;
    /* Edges of the page run through the outer pixels' outer sides. */
    double lo = -0.5 + inset + cell, hx = w - 0.5 - inset - cell, hy = h - 0.5 - inset - cell;
    centres[0] = (struct rk_point){lo, lo};
    centres[1] = (struct rk_point){hx, lo};
    centres[2] = (struct rk_point){hx, hy};
    centres[3] = (struct rk_point){lo, hy};
    struct keepout k[4];
    for (int i = 0; i < 4; i++) {
        rk_sim_mark(page, centres[i].x, centres[i].y, cell, true);
        k[i] = (struct keepout){centres[i].x - 2.2 * cell, centres[i].y - 2.2 * cell,
                                centres[i].x + 2.2 * cell, centres[i].y + 2.2 * cell};
    }
    if (with_clutter)
        clutter(page, cell, inset, rng, k, 4);
    return RK_OK;
}

int rk_sim_view(const struct rk_image *page, const struct rk_sim_view *v, struct rk_rng *rng,
                struct rk_image *photo, struct rk_homography *page_to_photo)
{
    if (!photo)
        return RK_EINVAL;
    *photo = (struct rk_image){0};
    if (!page || !page->px || !v || !rng || !page_to_photo || v->width < 8 || v->height < 8 ||
        !(v->min_fill > 0) || !(v->max_fill >= v->min_fill) || !(v->perspective >= 0))
        return RK_EINVAL;
    double pw = page->width, ph = page->height;
    const struct rk_point pc[4] = {{-0.5, -0.5}, {pw - 0.5, -0.5}, {pw - 0.5, ph - 0.5},
                                   {-0.5, ph - 0.5}};
    double fill = rk_rng_uniform(rng, v->min_fill, v->max_fill);
    double rot = rk_rng_uniform(rng, -v->max_rotate_deg, v->max_rotate_deg) * M_PI / 180;
    double jit[4][2];
    for (int i = 0; i < 4; i++) {
        jit[i][0] = rk_rng_uniform(rng, -v->perspective, v->perspective);
        jit[i][1] = rk_rng_uniform(rng, -v->perspective, v->perspective);
    }
    double ux = rk_rng_uniform(rng, 0, 1), uy = rk_rng_uniform(rng, 0, 1);
    struct rk_point q[4];
    /* Shrink until the distorted page fits in the frame, then shift it at random within it. */
    for (int tries = 0;; tries++) {
        if (tries > 60)
            return RK_EINVAL;
        double s = fill * v->height / ph;
        double minx = 1e300, miny = 1e300, maxx = -1e300, maxy = -1e300;
        for (int i = 0; i < 4; i++) {
            double dx = (pc[i].x - pw / 2 + jit[i][0] * pw) * s,
                   dy = (pc[i].y - ph / 2 + jit[i][1] * ph) * s;
            q[i].x = dx * cos(rot) - dy * sin(rot);
            q[i].y = dx * sin(rot) + dy * cos(rot);
            minx = fmin(minx, q[i].x), maxx = fmax(maxx, q[i].x);
            miny = fmin(miny, q[i].y), maxy = fmax(maxy, q[i].y);
        }
        if (maxx - minx < v->width - 2 && maxy - miny < v->height - 2) {
            double tx = -minx + ux * (v->width - 1 - (maxx - minx)),
                   ty = -miny + uy * (v->height - 1 - (maxy - miny));
            for (int i = 0; i < 4; i++) {
                q[i].x += tx;
                q[i].y += ty;
            }
            break;
        }
        fill *= 0.95;
    }
    struct rk_homography inv;
    int rc = rk_homography_from_points(pc, q, page_to_photo);
    if (rc == RK_OK)
        rc = rk_homography_invert(page_to_photo, &inv);
    if (rc != RK_OK)
        return rc;
    return rk_image_warp(page, &inv, 0, 0, v->width, v->height, v->background, photo);
}

int rk_sim_blur(struct rk_image *img, int r)
{
    if (!img || !img->px || r < 0)
        return RK_EINVAL;
    for (int pass = 0; pass < 3 && r > 0; pass++) {
        struct rk_image t;
        int rc = rk_image_box_blur(img, r, &t);
        if (rc != RK_OK)
            return rc;
        rk_image_free(img);
        *img = t;
    }
    return RK_OK;
}

void rk_sim_gradient(struct rk_image *img, double angle_deg, double lo, double hi)
{
    if (!img || !img->px)
        return;
    double a = angle_deg * M_PI / 180, dx = cos(a), dy = sin(a);
    /* Project the corners to find the ramp's extent along the direction. */
    double pmin = 1e300, pmax = -1e300;
    for (int c = 0; c < 4; c++) {
        double p = (c & 1 ? img->width - 1 : 0) * dx + (c & 2 ? img->height - 1 : 0) * dy;
        pmin = fmin(pmin, p), pmax = fmax(pmax, p);
    }
    double span = pmax - pmin > 0 ? pmax - pmin : 1;
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = img->px + (size_t)y * (size_t)img->stride;
        for (int x = 0; x < img->width; x++) {
            double t = (x * dx + y * dy - pmin) / span;
            double v = row[x] * (lo + (hi - lo) * t);
            row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    }
}

void rk_sim_noise(struct rk_image *img, struct rk_rng *rng, double sigma)
{
    if (!img || !img->px || !rng || !(sigma > 0))
        return;
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = img->px + (size_t)y * (size_t)img->stride;
        for (int x = 0; x < img->width; x++) {
            double v = row[x] + sigma * rk_rng_gauss(rng);
            row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    }
}
