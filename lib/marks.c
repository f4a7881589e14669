/* Corner-mark detection. The pipeline:
 *   1. shrink the photo to about a megapixel (box average: also removes sensor noise);
 *   2. Sauvola threshold (uneven light) and 8-connected components of the ink;
 *   3. candidate centres: a component shaped like the mark (the two black cells usually merge
 *      into one bow-tie component whose centroid is the touch point), or a pair of square
 *      components of equal size a diagonal apart (when blur or the threshold split them);
 *   4. a model check at each candidate: the four cells and a ring of paper around the mark are
 *      sampled in the candidate's own rotated frame; the black cells must be uniformly darker
 *      than the white cells and the ring; cell size and angle are refined by a small search;
 *   5. the centre is refined as a saddle point (every image gradient near an X-junction is
 *      orthogonal to the line from its pixel to the junction), first on the small image, then
 *      at full resolution;
 *   6. the best four that agree in size, polarity and orientation and form a convex
 *      quadrilateral, preferring larger ones (marks sit at the page's corners, clutter inside).
 * Rotation, scale and lighting are handled by construction (rotated sampling frame, size from
 * the component, local threshold and relative contrast), not by tuned tables. */
#include "hot.h"
#include "image_impl.h"
#include "rekap/marks.h"
#include "rekap/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORK_SIDE 1100     /* longer side of the working image, at most */
#define MIN_CELL 2.5       /* smallest cell side considered, working pixels */
#define MIN_SCORE 0.5      /* model score a candidate needs */
#define MAX_TILT 0.52      /* largest frame angle of a mark, radians (30 degrees) */
#define TOP_CANDIDATES 16  /* best candidates entering the quadrilateral search */
#define MAX_CANDIDATES 4096

struct comp {
    long area;
    int x0, y0, x1, y1;
    double sx, sy, sxx, syy, sxy;
};

struct cand {
    double x, y, cell, theta; /* working-image pixels; theta in [-pi/4, pi/4) */
    double score;
    int pol; /* +1: the cells at (-,-) and (+,+) of the mark's frame are black */
};

/* ---- connected components ---- */

static int32_t uf_find(int32_t *parent, int32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

static void uf_union(int32_t *parent, int32_t a, int32_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* Sum of the squares 0^2 + 1^2 + ... + n^2 (n >= -1). */
static int64_t sum_sq(int64_t n)
{
    return n * (n + 1) * (2 * n + 1) / 6;
}

/* Labels the 8-connected ink (0) pixels of bin into *comps (caller frees); returns the count
 * or < 0. Works on runs of ink along rows rather than on pixels: a run touches a run of the
 * row above when they overlap or meet diagonally. Components come in the raster order of
 * their first pixel, and their sums are whole numbers (exact in a double), so the result does
 * not depend on the order they are added in. */
static int components(const struct rk_image *bin, struct comp **comps)
{
    int w = bin->width, h = bin->height;
    size_t cap = (size_t)h * (size_t)((w + 1) / 2); /* runs are at least a pixel apart */
    struct run {
        int y, x0, x1;
    } *runs = malloc(cap * sizeof *runs);
    int32_t *parent = malloc(cap * sizeof *parent);
    size_t *first = malloc(((size_t)h + 1) * sizeof *first); /* first run of each row */
    int rc = RK_ENOMEM;
    *comps = NULL;
    if (!runs || !parent || !first)
        goto out;
    int32_t nr = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = bin->px + (size_t)y * (size_t)bin->stride;
        first[y] = (size_t)nr;
        for (int x = 0; x < w;) {
            while (x < w && row[x])
                x++;
            if (x == w)
                break;
            int x0 = x;
            while (x < w && !row[x])
                x++;
            runs[nr] = (struct run){y, x0, x - 1};
            parent[nr] = nr;
            nr++;
        }
    }
    first[h] = (size_t)nr;
    for (int y = 1; y < h; y++) {
        size_t i = first[y - 1], j = first[y];
        while (i < first[y] && j < first[y + 1]) {
            const struct run *a = &runs[i], *b = &runs[j];
            if (a->x1 + 1 < b->x0) {
                i++;
            } else if (b->x1 + 1 < a->x0) {
                j++;
            } else {
                uf_union(parent, (int32_t)i, (int32_t)j);
                if (a->x1 < b->x1)
                    i++;
                else
                    j++;
            }
        }
    }
    /* Roots are each component's first run: number them in that order. Unions keep every
     * parent no later than its child, so in one pass a run's parent already holds its
     * component's number (stored as -1 - index). */
    int32_t count = 0;
    for (int32_t i = 0; i < nr; i++)
        parent[i] = parent[i] == i ? -1 - count++ : parent[parent[i]];
    struct comp *c = calloc((size_t)count + 1, sizeof *c);
    if (!c)
        goto out;
    for (int32_t i = 0; i < count; i++)
        c[i].x0 = w, c[i].y0 = h, c[i].x1 = -1, c[i].y1 = -1;
    for (int32_t i = 0; i < nr; i++) {
        struct comp *k = &c[-1 - parent[i]];
        const struct run *r = &runs[i];
        int64_t len = r->x1 - r->x0 + 1, sx = (int64_t)(r->x0 + r->x1) * len / 2, y = r->y;
        k->area += (long)len;
        k->sx += (double)sx, k->sy += (double)(y * len);
        k->sxx += (double)(sum_sq(r->x1) - sum_sq(r->x0 - 1));
        k->syy += (double)(y * y * len), k->sxy += (double)(y * sx);
        if (r->x0 < k->x0) k->x0 = r->x0;
        if (r->x1 > k->x1) k->x1 = r->x1;
        if (r->y < k->y0) k->y0 = r->y;
        if (r->y > k->y1) k->y1 = r->y;
    }
    *comps = c;
    rc = count;
out:
    free(runs);
    free(parent);
    free(first);
    return rc;
}

/* ---- the mark model ---- */

/* Score of the mark model centred at (x, y) with cell side s and frame angle theta: the
 * contrast between the darkest "white" region (two white cells, four sides of the surrounding
 * ring) and the lightest black cell, relative to the white level, discounted by the share of
 * single samples on the wrong side of the middle. 0 (no mark) .. 1. */
static RK_HOT double model_score(const struct rk_image *img, double x, double y, double s,
                                 double c, double sn, int *pol)
{
    static const double at[3] = {0.3, 0.5, 0.7};
    double cellv[4][9], mean[4];
    static const int qa[4] = {-1, 1, 1, -1}, qb[4] = {-1, -1, 1, 1}; /* TL TR BR BL */
    for (int q = 0; q < 4; q++) {
        mean[q] = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double a = qa[q] * at[i] * s, b = qb[q] * at[j] * s;
                double v = rk_image_sample_inline(img, x + a * c - b * sn, y + a * sn + b * c);
                cellv[q][3 * i + j] = v;
                mean[q] += v / 9;
            }
    }
    /* Ring of paper at 1.3 cells from the centre, 0.3 cells beyond the mark's edge. */
    double ringv[4][7], ring[4];
    for (int side = 0; side < 4; side++) {
        ring[side] = 0;
        for (int i = 0; i < 7; i++) {
            double t = (i - 3) / 3.0 * 1.1 * s, r = 1.3 * s;
            double a = side == 0 ? t : side == 1 ? r : side == 2 ? -t : -r;
            double b = side == 0 ? -r : side == 1 ? t : side == 2 ? r : -t;
            double v = rk_image_sample_inline(img, x + a * c - b * sn, y + a * sn + b * c);
            ringv[side][i] = v;
            ring[side] += v / 7;
        }
    }
    /* Close to the centre, on each cell's diagonal: the black cells of a mark touch there, which
     * tells a mark from two dark blobs side by side with paper between them (these fit the
     * model turned 45 degrees). */
    double inner[4];
    for (int q = 0; q < 4; q++) {
        double a = qa[q] * 0.2 * s, b = qb[q] * 0.2 * s;
        inner[q] = rk_image_sample_inline(img, x + a * c - b * sn, y + a * sn + b * c);
    }
    *pol = mean[0] + mean[2] >= mean[1] + mean[3] ? -1 : 1;
    int d0 = *pol > 0 ? 0 : 1, d1 = d0 + 2, l0 = *pol > 0 ? 1 : 0, l1 = l0 + 2;
    double dark_max = fmax(mean[d0], mean[d1]);
    double light_min = fmin(mean[l0], mean[l1]), light_max = fmax(mean[l0], mean[l1]);
    for (int k = 0; k < 4; k++) {
        light_min = fmin(light_min, ring[k]);
        light_max = fmax(light_max, ring[k]);
    }
    double contrast = (light_min - dark_max) / fmax(light_max, 24.0);
    if (contrast <= 0)
        return 0;
    double mid = (light_min + dark_max) / 2;
    int bad = 0;
    for (int i = 0; i < 9; i++) {
        bad += cellv[d0][i] > mid;
        bad += cellv[d1][i] > mid;
        bad += cellv[l0][i] < mid;
        bad += cellv[l1][i] < mid;
    }
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 7; i++)
            bad += ringv[k][i] < mid;
    /* The inner samples are few but decisive: each counts as four. */
    bad += 4 * ((inner[d0] > mid) + (inner[d1] > mid) + (inner[l0] < mid) + (inner[l1] < mid));
    double ok = 1 - 2.0 * bad / (36 + 28 + 16);
    return ok > 0 ? fmin(1.0, contrast * ok) : 0;
}

/* Saddle-point refinement around *x, *y within radius r (pixels of img): solves
 * sum(g g^T) q = sum(g g^T p) over the gradients g at pixels p, Gaussian-weighted. Leaves the
 * point unchanged and returns false when the system is flat or the point wanders off by more
 * than max_move. */
static bool saddle_refine(const struct rk_image *img, double *x, double *y, int r,
                          double max_move)
{
    double qx = *x, qy = *y, sig2 = 2.0 * (r / 2.0 + 0.5) * (r / 2.0 + 0.5);
    for (int it = 0; it < 10; it++) {
        int cx = (int)lround(qx), cy = (int)lround(qy);
        double a = 0, b = 0, cc = 0, bx = 0, by = 0;
        for (int dy = -r; dy <= r; dy++) {
            int py = cy + dy;
            if (py < 1 || py >= img->height - 1)
                continue;
            const uint8_t *row = img->px + (size_t)py * (size_t)img->stride;
            for (int dx = -r; dx <= r; dx++) {
                int px = cx + dx;
                if (px < 1 || px >= img->width - 1)
                    continue;
                double gx = (double)row[px + 1] - row[px - 1];
                double gy = (double)row[px + img->stride] - row[px - img->stride];
                double ex = px - qx, ey = py - qy;
                double wgt = exp(-(ex * ex + ey * ey) / sig2);
                double gxx = wgt * gx * gx, gxy = wgt * gx * gy, gyy = wgt * gy * gy;
                a += gxx, b += gxy, cc += gyy;
                bx += gxx * px + gxy * py;
                by += gxy * px + gyy * py;
            }
        }
        double det = a * cc - b * b;
        if (!(det > 1e-9 * (a + cc) * (a + cc)) || a + cc <= 0)
            return false;
        double nx = (cc * bx - b * by) / det, ny = (a * by - b * bx) / det;
        if (!isfinite(nx) || !isfinite(ny) || hypot(nx - *x, ny - *y) > max_move)
            return false;
        double step = hypot(nx - qx, ny - qy);
        qx = nx, qy = ny;
        if (step < 0.01)
            break;
    }
    *x = qx;
    *y = qy;
    return true;
}

static double wrap45(double t)
{
    t = fmod(t + M_PI / 4, M_PI / 2);
    if (t < 0)
        t += M_PI / 2;
    return t - M_PI / 4;
}

/* Checks and refines a candidate; returns true (and fills *out) if it looks like a mark. */
static bool verify(const struct rk_image *work, double x, double y, double cell, double theta,
                   struct cand *out)
{
    if (!(cell >= MIN_CELL))
        return false;
    int pol;
    theta = wrap45(theta);
    if (model_score(work, x, y, cell, cos(theta), sin(theta), &pol) < 0.15)
        return false;
    int r = (int)fmax(2, floor(0.6 * cell));
    saddle_refine(work, &x, &y, r, 0.5 * cell);
    double best = -1, bs = cell, bt = theta;
    double ta[5], ct[5], st[5]; /* the five angles, their cosines and sines: once, not per scale */
    for (int j = 0; j < 5; j++) {
        ta[j] = theta + (j - 2) * (3.0 * M_PI / 180);
        ct[j] = cos(ta[j]), st[j] = sin(ta[j]);
    }
    for (int i = -2; i <= 2; i++)
        for (int j = 0; j < 5; j++) {
            double s = cell * pow(1.12, i);
            int p;
            double sc = model_score(work, x, y, s, ct[j], st[j], &p);
            if (sc > best)
                best = sc, bs = s, bt = ta[j], pol = p;
        }
    /* Marks turned by more than MAX_TILT are not read (the page would be rotated past the
     * +-20 degrees a photo is allowed, plus perspective); near 45 degrees the model is
     * ambiguous anyway. */
    if (best < MIN_SCORE || fabs(wrap45(bt)) > MAX_TILT)
        return false;
    *out = (struct cand){x, y, bs, wrap45(bt), best, pol};
    return true;
}

static int add_cand(struct cand *c, int n, const struct cand *k)
{
    /* Two hypotheses of one mark (bow-tie and square pair) land on the same spot: keep one. */
    for (int i = 0; i < n; i++)
        if (hypot(c[i].x - k->x, c[i].y - k->y) < 0.5 * fmin(c[i].cell, k->cell)) {
            if (k->score > c[i].score)
                c[i] = *k;
            return n;
        }
    if (n >= MAX_CANDIDATES)
        return n;
    c[n] = *k;
    return n + 1;
}

static int by_score(const void *a, const void *b)
{
    double d = ((const struct cand *)b)->score - ((const struct cand *)a)->score;
    return d > 0 ? 1 : d < 0 ? -1 : 0;
}

struct sq {
    double x, y, side;
};

static int by_x(const void *a, const void *b)
{
    double d = ((const struct sq *)a)->x - ((const struct sq *)b)->x;
    return d > 0 ? 1 : d < 0 ? -1 : 0;
}

static int find_candidates(const struct rk_image *work, struct cand *cands)
{
    struct rk_image bin;
    int side = work->width > work->height ? work->width : work->height;
    int minside = work->width < work->height ? work->width : work->height;
    int rc = rk_image_threshold_sauvola(work, side / 14 > 8 ? side / 14 : 8, 0.25, &bin);
    if (rc != RK_OK)
        return rc;
    struct comp *comp;
    int nc = components(&bin, &comp);
    rk_image_free(&bin);
    if (nc < 0)
        return nc;
    double max_cell = minside / 8.0;
    struct sq *sqs = malloc(((size_t)nc + 1) * sizeof *sqs);
    if (!sqs) {
        free(comp);
        return RK_ENOMEM;
    }
    int nsq = 0, n = 0;
    for (int i = 0; i < nc; i++) {
        const struct comp *k = &comp[i];
        double a = (double)k->area;
        int bw = k->x1 - k->x0 + 1, bh = k->y1 - k->y0 + 1;
        if (a < MIN_CELL * MIN_CELL || bw > 3 * max_cell || bh > 3 * max_cell ||
            bw > 2.5 * bh || bh > 2.5 * bw)
            continue;
        double mx = k->sx / a, my = k->sy / a;
        double mu20 = k->sxx / a - mx * mx, mu02 = k->syy / a - my * my,
               mu11 = k->sxy / a - mx * my;
        double fill = a / ((double)bw * bh);
        /* Bow-tie: the principal axis joins the two black cells, 45 degrees off the frame. */
        double phi = 0.5 * atan2(2 * mu11, mu20 - mu02);
        struct cand c;
        if (fill < 0.75 && sqrt(a / 2) <= max_cell &&
            verify(work, mx, my, sqrt(a / 2), phi - M_PI / 4, &c))
            n = add_cand(cands, n, &c);
        if (fill >= 0.45 && sqrt(a) <= max_cell)
            sqs[nsq++] = (struct sq){mx, my, sqrt(a)};
    }
    free(comp);
    /* Pairs of equal squares a diagonal apart: the two cells of a mark split by the threshold. */
    qsort(sqs, (size_t)nsq, sizeof *sqs, by_x);
    for (int i = 0; i < nsq; i++)
        for (int j = i + 1; j < nsq && sqs[j].x - sqs[i].x < 2 * sqs[i].side; j++) {
            double s = (sqs[i].side + sqs[j].side) / 2;
            double ratio = sqs[i].side / sqs[j].side;
            double d = hypot(sqs[j].x - sqs[i].x, sqs[j].y - sqs[i].y);
            if (ratio < 0.7 || ratio > 1.43 || d < 1.1 * s || d > 1.8 * s)
                continue;
            double phi = atan2(sqs[j].y - sqs[i].y, sqs[j].x - sqs[i].x);
            struct cand c;
            if (verify(work, (sqs[i].x + sqs[j].x) / 2, (sqs[i].y + sqs[j].y) / 2, s,
                       phi - M_PI / 4, &c))
                n = add_cand(cands, n, &c);
        }
    free(sqs);
    return n;
}

/* ---- choosing the four ---- */

static double angle_diff90(double a, double b)
{
    return fabs(wrap45(a - b));
}

/* Scores the quadrilateral of the candidates idx[] (any order); on success writes them
 * ordered TL, TR, BR, BL into ord[] and returns a score > 0. */
static double quad_score(const struct cand *c, const int idx[4], double img_area, int ord[4])
{
    double cx = 0, cy = 0;
    for (int i = 0; i < 4; i++) {
        cx += c[idx[i]].x / 4;
        cy += c[idx[i]].y / 4;
    }
    /* Angles around the centroid in image coordinates (y down): TL near -135 degrees, then
     * TR, BR, BL clockwise on the page. */
    double ang[4];
    int o[4] = {idx[0], idx[1], idx[2], idx[3]};
    for (int i = 0; i < 4; i++)
        ang[i] = atan2(c[o[i]].y - cy, c[o[i]].x - cx);
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && ang[j] < ang[j - 1]; j--) {
            double ta = ang[j];
            ang[j] = ang[j - 1], ang[j - 1] = ta;
            int ti = o[j];
            o[j] = o[j - 1], o[j - 1] = ti;
        }
    int start = 0;
    for (int i = 1; i < 4; i++)
        if (fabs(ang[i] + 3 * M_PI / 4) < fabs(ang[start] + 3 * M_PI / 4))
            start = i;
    for (int i = 0; i < 4; i++)
        ord[i] = o[(start + i) % 4];
    const struct cand *m[4] = {&c[ord[0]], &c[ord[1]], &c[ord[2]], &c[ord[3]]};
    /* TL must be the top-left one: rotations beyond 45 degrees are not read. */
    if (fabs(ang[start] + 3 * M_PI / 4) > M_PI / 4)
        return 0;
    double minc = 1e300, maxc = 0, area = 0, sum = 0;
    for (int i = 0; i < 4; i++) {
        if (m[i]->pol != m[0]->pol)
            return 0;
        minc = fmin(minc, m[i]->cell);
        maxc = fmax(maxc, m[i]->cell);
        sum += m[i]->score;
        const struct cand *p = m[(i + 3) % 4], *q = m[(i + 1) % 4];
        double ax = p->x - m[i]->x, ay = p->y - m[i]->y, bx = q->x - m[i]->x, by = q->y - m[i]->y;
        double la = hypot(ax, ay), lb = hypot(bx, by);
        /* Convex, clockwise on screen, corner angles 30..150 degrees. */
        double cross = bx * ay - by * ax, cosang = (ax * bx + ay * by) / (la * lb);
        if (!(cross > 0) || cosang > 0.866 || cosang < -0.866)
            return 0;
        /* The mark's frame lies along the sides that meet at it. */
        if (angle_diff90(m[i]->theta, atan2(ay, ax)) > 0.26 ||
            angle_diff90(m[i]->theta, atan2(by, bx)) > 0.26)
            return 0;
        /* Sides are at least a few marks long. */
        if (la < 4 * m[i]->cell || lb < 4 * m[i]->cell)
            return 0;
        area += m[i]->x * q->y - q->x * m[i]->y;
    }
    area = fabs(area) / 2;
    if (maxc > 2.0 * minc || area < 0.05 * img_area)
        return 0;
    return sum + area / img_area;
}

static int find_at(const struct rk_image *photo, int f, struct rk_marks *out);

int rk_marks_find(const struct rk_image *photo, struct rk_marks *out)
{
    if (!out)
        return RK_EINVAL;
    memset(out, 0, sizeof *out);
    if (!photo || !photo->px || photo->width < 16 || photo->height < 16)
        return RK_EINVAL;
    int side = photo->width > photo->height ? photo->width : photo->height;
    int f = (side + WORK_SIDE - 1) / WORK_SIDE;
    int rc = find_at(photo, f, out);
    /* Small marks (a page far from the camera) may vanish at the working size: look once more
     * at twice the resolution before giving up. */
    if (rc == RK_ENOTFOUND && f > 1) {
        int n = out->candidates;
        rc = find_at(photo, f / 2, out);
        out->candidates += n;
    }
    return rc;
}

static int find_at(const struct rk_image *photo, int f, struct rk_marks *out)
{
    memset(out, 0, sizeof *out);
    struct rk_image work;
    int rc = rk_image_downscale(photo, f, &work);
    if (rc != RK_OK)
        return rc;
    struct cand *c = malloc(MAX_CANDIDATES * sizeof *c);
    if (!c) {
        rk_image_free(&work);
        return RK_ENOMEM;
    }
    int n = find_candidates(&work, c);
    double img_area = (double)work.width * work.height;
    rk_image_free(&work);
    if (n < 0) {
        free(c);
        return n;
    }
    out->candidates = n;
    qsort(c, (size_t)n, sizeof *c, by_score);
#ifdef RK_MARKS_DEBUG
    for (int i = 0; i < n; i++)
        fprintf(stderr, "cand %d: (%.1f,%.1f) cell %.1f theta %.1f pol %d score %.3f\n", i,
                c[i].x * f, c[i].y * f, c[i].cell * f, c[i].theta * 180 / M_PI, c[i].pol, c[i].score);
#endif
    if (n > TOP_CANDIDATES)
        n = TOP_CANDIDATES;
    double best = 0;
    int bord[4] = {0};
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            for (int d = b + 1; d < n; d++)
                for (int e = d + 1; e < n; e++) {
                    int idx[4] = {a, b, d, e}, ord[4];
                    double s = quad_score(c, idx, img_area, ord);
                    if (s > best) {
                        best = s;
                        memcpy(bord, ord, sizeof bord);
                    }
                }
    if (best <= 0) {
        free(c);
        return RK_ENOTFOUND;
    }
    double conf = 1;
    for (int i = 0; i < 4; i++) {
        const struct cand *k = &c[bord[i]];
        /* Working pixel i covers photo pixels [i f, i f + f - 1]. */
        double x = k->x * f + (f - 1) / 2.0, y = k->y * f + (f - 1) / 2.0, cell = k->cell * f;
        int r = (int)fmin(48, fmax(2, floor(0.6 * cell)));
        saddle_refine(photo, &x, &y, r, fmax(1.5 * f, 0.3 * cell));
        out->pt[i] = (struct rk_point){x, y};
        out->cell[i] = cell;
        out->score[i] = k->score;
        conf = fmin(conf, k->score);
    }
    out->confidence = conf;
    free(c);
    return RK_OK;
}

/* ---- box refinement ---- */

/* Window geometry shared by the work-size computation and the search. */
struct refine_win {
    int band, ox, oy, ww, wh, side;
};

static int refine_win(double x, double y, double w, double h, int search, struct refine_win *rw)
{
    if (search < 0 || search > 64 || !isfinite(x) || !isfinite(y) || !isfinite(w) || !isfinite(h))
        return RK_EINVAL;
    if (w < 4 || h < 4 || w > RK_IMAGE_MAX_SIDE || h > RK_IMAGE_MAX_SIDE ||
        fabs(x) > 4.0 * RK_IMAGE_MAX_SIDE || fabs(y) > 4.0 * RK_IMAGE_MAX_SIDE)
        return RK_ERANGE;
    rw->band = (int)fmax(2, fmin(w, h) / 10);
    rw->ox = (int)floor(x) - search - rw->band - 1;
    rw->oy = (int)floor(y) - search - rw->band - 1;
    rw->ww = (int)ceil(w) + 2 * (search + rw->band + 2);
    rw->wh = (int)ceil(h) + 2 * (search + rw->band + 2);
    rw->side = 2 * search + 1;
    /* The integral image is 32-bit, exact up to RK_IMAGE_MAX_PIXELS (like rk_integral). */
    if ((double)rw->ww * rw->wh > (double)RK_IMAGE_MAX_PIXELS)
        return RK_ETOOBIG;
    return RK_OK;
}

/* Integral entries, rounded up to even so the doubles after them stay 8-byte aligned. */
static size_t refine_cells(const struct refine_win *rw)
{
    return (((size_t)rw->ww + 1) * ((size_t)rw->wh + 1) + 1) & ~(size_t)1;
}

static size_t refine_bytes(const struct refine_win *rw)
{
    return refine_cells(rw) * sizeof(uint32_t) +
           (size_t)rw->side * (size_t)rw->side * sizeof(double);
}

size_t rk_marks_refine_work_size(double x, double y, double w, double h, int search)
{
    struct refine_win rw;
    if (refine_win(x, y, w, h, search, &rw) != RK_OK)
        return 0;
    return refine_bytes(&rw);
}

int rk_marks_refine_box(const struct rk_image *img, double x, double y, double w, double h,
                        int search, struct rk_point *shift, double *score)
{
    size_t n = rk_marks_refine_work_size(x, y, w, h, search);
    if (n == 0) {
        struct refine_win rw;
        int rc = refine_win(x, y, w, h, search, &rw);
        return rc != RK_OK ? rc : RK_EINVAL;
    }
    void *work = malloc(n);
    if (!work)
        return RK_ENOMEM;
    int rc = rk_marks_refine_box_work(img, x, y, w, h, search, work, n, shift, score);
    free(work);
    return rc;
}

int rk_marks_refine_box_work(const struct rk_image *img, double x, double y, double w, double h,
                             int search, void *work, size_t work_len, struct rk_point *shift,
                             double *score)
{
    if (!img || !img->px || !shift || !score || !work)
        return RK_EINVAL;
    struct refine_win W;
    int rc = refine_win(x, y, w, h, search, &W);
    if (rc != RK_OK)
        return rc;
    if (work_len < refine_bytes(&W))
        return RK_EINVAL;
    int band = W.band, ox = W.ox, oy = W.oy, ww = W.ww, wh = W.wh, side = W.side;
    /* Line means come from an integral image of the searched window; pixels outside the
     * image read as the nearest edge pixel (rk_image_at), like the rest of the module. */
    struct rk_integral ii = {ww, wh, work, NULL};
    double *sc = (double *)(void *)((uint32_t *)work + refine_cells(&W));
    size_t iw = (size_t)ww + 1;
    memset(ii.sum, 0, iw * sizeof *ii.sum);
    for (int j = 0; j < wh; j++) {
        uint32_t acc = 0;
        uint32_t *row = ii.sum + (size_t)(j + 1) * iw, *prev = row - iw;
        row[0] = 0;
        for (int i = 0; i < ww; i++) {
            acc += rk_image_at(img, ox + i, oy + j);
            row[i + 1] = prev[i + 1] + acc;
        }
    }
    int bx = (int)lround(x) - ox, by = (int)lround(y) - oy; /* rectangle in window coords */
    int rw = (int)lround(w), rh = (int)lround(h);
    double best = -1e300;
    int bdx = 0, bdy = 0;
    for (int dy = -search; dy <= search; dy++)
        for (int dx = -search; dx <= search; dx++) {
            int x0 = bx + dx, y0 = by + dy, x1 = x0 + rw, y1 = y0 + rh;
            /* The four 1-pixel sides of the outline, and the same rectangle grown and shrunk
             * by band for the paper on either side. */
            double line = (double)rk_integral_sum(&ii, x0, y0, x1 + 1, y0 + 1) +
                          rk_integral_sum(&ii, x0, y1, x1 + 1, y1 + 1) +
                          rk_integral_sum(&ii, x0, y0 + 1, x0 + 1, y1) +
                          rk_integral_sum(&ii, x1, y0 + 1, x1 + 1, y1);
            double nline = 2.0 * (rw + 1) + 2.0 * (rh - 1);
            int o0x = x0 - band, o0y = y0 - band, o1x = x1 + band, o1y = y1 + band;
            int i0x = x0 + band, i0y = y0 + band, i1x = x1 - band, i1y = y1 - band;
            double outer = (double)rk_integral_sum(&ii, o0x, o0y, o1x + 1, o0y + 1) +
                           rk_integral_sum(&ii, o0x, o1y, o1x + 1, o1y + 1) +
                           rk_integral_sum(&ii, o0x, o0y + 1, o0x + 1, o1y) +
                           rk_integral_sum(&ii, o1x, o0y + 1, o1x + 1, o1y);
            double nouter = 2.0 * (o1x - o0x + 1) + 2.0 * (o1y - o0y - 1);
            double inner = 0, ninner = 0;
            if (i1x > i0x && i1y > i0y) {
                inner = (double)rk_integral_sum(&ii, i0x, i0y, i1x + 1, i0y + 1) +
                        rk_integral_sum(&ii, i0x, i1y, i1x + 1, i1y + 1) +
                        rk_integral_sum(&ii, i0x, i0y + 1, i0x + 1, i1y) +
                        rk_integral_sum(&ii, i1x, i0y + 1, i1x + 1, i1y);
                ninner = 2.0 * (i1x - i0x + 1) + 2.0 * (i1y - i0y - 1);
            }
            double paper = (outer + inner) / (nouter + ninner);
            double s = (paper - line / nline) / fmax(paper, 24.0);
            sc[(size_t)(dy + search) * (size_t)side + (size_t)(dx + search)] = s;
            /* Ties go to the smaller shift: the template's position is the prior. */
            if (s > best + 1e-9 || (fabs(s - best) <= 1e-9 && abs(dx) + abs(dy) < abs(bdx) + abs(bdy))) {
                best = s;
                bdx = dx, bdy = dy;
            }
        }
    /* A printed line thicker than a pixel scores the same at several shifts: report the centre
     * of the plateau around the best, which also makes the shift sub-pixel. */
    double sx = 0, sy = 0, n = 0;
    for (int dy = bdy - 3; dy <= bdy + 3; dy++)
        for (int dx = bdx - 3; dx <= bdx + 3; dx++) {
            if (dx < -search || dx > search || dy < -search || dy > search)
                continue;
            if (sc[(size_t)(dy + search) * (size_t)side + (size_t)(dx + search)] >=
                best - 0.02 * fabs(best)) {
                sx += dx, sy += dy, n++;
            }
        }
    *shift = (struct rk_point){sx / n, sy / n};
    *score = best > 0 ? fmin(1.0, best) : 0;
    return RK_OK;
}
