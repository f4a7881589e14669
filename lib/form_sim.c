/* Synthetic photos of filled-in forms (see form_sim.h). Page pixel i covers page mm
 * [i, i + 1) * 25.4 / dpi, as rk_form_render_gray draws them; the photo transform works on
 * pixel centres, so mm m sits at page pixel m * dpi / 25.4 - 0.5. */
#include "rekap/form_sim.h"
#include "rekap/photo_sim.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rk_form_sim_digits_init(struct rk_form_sim_digits *d, const struct rk_idx *images,
                            const struct rk_idx *labels, const uint32_t *pool, uint32_t npool)
{
    if (!d)
        return RK_EINVAL;
    memset(d, 0, sizeof *d);
    if (!images || !labels || !pool || images->rows != 28 || images->cols != 28 ||
        images->count != labels->count || labels->item_size != 1)
        return RK_EINVAL;
    d->images = images;
    for (uint32_t i = 0; i < npool; i++) {
        if (pool[i] >= images->count || labels->data[pool[i]] > 9)
            return RK_EINVAL;
        d->count[labels->data[pool[i]]]++;
    }
    for (int k = 0; k < 10; k++) {
        if (d->count[k] == 0 || !(d->by_label[k] = malloc(d->count[k] * sizeof(uint32_t)))) {
            int rc = d->count[k] == 0 ? RK_EINVAL : RK_ENOMEM;
            rk_form_sim_digits_free(d);
            return rc;
        }
        d->count[k] = 0;
    }
    for (uint32_t i = 0; i < npool; i++) {
        int k = labels->data[pool[i]];
        d->by_label[k][d->count[k]++] = pool[i];
    }
    return RK_OK;
}

void rk_form_sim_digits_free(struct rk_form_sim_digits *d)
{
    if (!d)
        return;
    for (int k = 0; k < 10; k++)
        free(d->by_label[k]);
    memset(d, 0, sizeof *d);
}

void rk_form_sim_defaults(struct rk_form_sim_opts *o, int width, int height)
{
    *o = (struct rk_form_sim_opts){
        .width = width, .height = height, .max_rotate_deg = 15, .perspective = 0.03,
        .min_fill = 0.8, .max_fill = 0.95, .jpeg_min = 60, .jpeg_max = 90, .p_sloppy = 0.1,
        .p_leading_blank = 0.3, .p_fold = 0.3, .p_shadow = 0.3, .blur_max = 1, .noise_max = 5,
    };
}

void rk_form_values_from_chasil(const struct rk_chasil *doc, struct rk_form_values *vals)
{
    rk_form_values_clear(vals);
    for (int i = 0; i < RK_FORM_FIELDS; i++) {
        const char *name = rk_form_field_name(i);
        int f = rk_chasil_field_find(name, strlen(name));
        if (f >= 0 && rk_chasil_has(doc, (enum rk_chasil_field)f) && doc->v[f] <= 999)
            vals->v[i] = (int)doc->v[f];
    }
}

/* ---- drawing on the page ---- */

static void blend(struct rk_image *img, int x, int y, double a, double ink)
{
    if (x < 0 || y < 0 || x >= img->width || y >= img->height || a <= 0)
        return;
    uint8_t *p = img->px + (size_t)y * (size_t)img->stride + (size_t)x;
    double v = *p * (1 - a) + ink * a;
    if (v < *p) /* ink only darkens */
        *p = (uint8_t)lround(v);
}

/* Pastes MNIST item idx (ink bright on black) as dark ink centred at (cx, cy) page pixels,
 * digit height hpx (the 20-pixel MNIST ink box), rotated by rot radians and slanted. */
static void paste_digit(struct rk_image *img, const uint8_t *mn, double cx, double cy, double hpx,
                        double rot, double shear, double ink, double strength)
{
    double s = hpx / 20.0; /* page pixels per MNIST pixel */
    double c = cos(rot), sn = sin(rot);
    double half = 14 * s * 1.5;
    int x0 = (int)floor(cx - half), x1 = (int)ceil(cx + half);
    int y0 = (int)floor(cy - half), y1 = (int)ceil(cy + half);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            double dx = (x - cx) / s, dy = (y - cy) / s;
            /* inverse rotation and shear into MNIST coordinates (centre 13.5, 13.5) */
            double u = c * dx + sn * dy, v = -sn * dx + c * dy;
            u -= shear * v;
            u += 13.5, v += 13.5;
            if (u < 0 || v < 0 || u > 27 || v > 27)
                continue;
            int iu = (int)u, iv = (int)v;
            double fu = u - iu, fv = v - iv;
            int iu1 = iu < 27 ? iu + 1 : iu, iv1 = iv < 27 ? iv + 1 : iv;
            double a = (mn[iv * 28 + iu] * (1 - fu) + mn[iv * 28 + iu1] * fu) * (1 - fv) +
                       (mn[iv1 * 28 + iu] * (1 - fu) + mn[iv1 * 28 + iu1] * fu) * fv;
            blend(img, x, y, a / 255.0 * strength, ink);
        }
}

/* A filled ellipse with 4x4 supersampled coverage. */
static void fill_disc(struct rk_image *img, double cx, double cy, double rx, double ry,
                      double ink, double strength)
{
    int x0 = (int)floor(cx - rx - 1), x1 = (int)ceil(cx + rx + 1);
    int y0 = (int)floor(cy - ry - 1), y1 = (int)ceil(cy + ry + 1);
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            int in = 0;
            for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++) {
                    double px = x - 0.375 + sx * 0.25 - cx, py = y - 0.375 + sy * 0.25 - cy;
                    in += (px * px) / (rx * rx) + (py * py) / (ry * ry) <= 1;
                }
            blend(img, x, y, in / 16.0 * strength, ink);
        }
}

static void fill_number(struct rk_image *img, double k, const struct rk_form_number *n, int val,
                        const struct rk_form_sim_digits *digits, const struct rk_form_sim_opts *o,
                        struct rk_rng *rng)
{
    int dig[RK_FORM_DIGITS] = {val / 100, val / 10 % 10, val % 10};
    int lead = val < 10 ? 2 : val < 100 ? 1 : 0;
    bool blank_lead = rk_rng_uniform(rng, 0, 1) < o->p_leading_blank;
    double ink = rk_rng_uniform(rng, 15, 70);
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        struct rk_form_rect b = n->box[d];
        if (!(blank_lead && d < lead)) {
            uint32_t cnt = digits->count[dig[d]];
            uint32_t idx = digits->by_label[dig[d]][rk_rng_next(rng) % cnt];
            const uint8_t *mn = digits->images->data + (size_t)idx * 784;
            double hmm = b.h * rk_rng_uniform(rng, 0.5, 0.7);
            double cx = (b.x + b.w / 2 + rk_rng_uniform(rng, -0.4, 0.4)) * k - 0.5;
            double cy = (b.y + b.h / 2 + rk_rng_uniform(rng, -0.4, 0.4)) * k - 0.5;
            paste_digit(img, mn, cx, cy, hmm * k, rk_rng_uniform(rng, -0.14, 0.14),
                        rk_rng_uniform(rng, -0.15, 0.15), ink, rk_rng_uniform(rng, 0.85, 1.0));
        }
        if (!n->bubbles)
            continue;
        struct rk_form_rect c = n->bubble[d][dig[d]];
        double r = c.w / 2 * rk_rng_uniform(rng, 0.85, 1.05);
        double ox = rk_rng_uniform(rng, -0.2, 0.2), oy = rk_rng_uniform(rng, -0.2, 0.2);
        double strength = rk_rng_uniform(rng, 0.85, 1.0);
        if (rk_rng_uniform(rng, 0, 1) < o->p_sloppy) {
            /* Sloppy: a smaller, off-centre or fainter fill. */
            r *= rk_rng_uniform(rng, 0.55, 0.8);
            ox = rk_rng_uniform(rng, -0.5, 0.5), oy = rk_rng_uniform(rng, -0.5, 0.5);
            strength = rk_rng_uniform(rng, 0.6, 0.9);
        }
        fill_disc(img, (c.x + c.w / 2 + ox) * k - 0.5, (c.y + c.h / 2 + oy) * k - 0.5, r * k,
                  r * k * rk_rng_uniform(rng, 0.85, 1.1), ink, strength);
    }
}

/* ---- photo effects ---- */

/* A crease: a thin darker line along a random line, one side a little darker than the other. */
static void fold(struct rk_image *img, struct rk_rng *rng)
{
    double W = img->width, H = img->height;
    double px = rk_rng_uniform(rng, 0.2, 0.8) * W, py = rk_rng_uniform(rng, 0.2, 0.8) * H;
    double a = rk_rng_uniform(rng, 0, M_PI), nx = -sin(a), ny = cos(a);
    double depth = rk_rng_uniform(rng, 0.08, 0.2), width = rk_rng_uniform(rng, 2, 6);
    double side = rk_rng_uniform(rng, 0, 0.08);
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = img->px + (size_t)y * (size_t)img->stride;
        for (int x = 0; x < img->width; x++) {
            double d = (x - px) * nx + (y - py) * ny;
            double f = 1 - depth * exp(-(d / width) * (d / width)) - (d > 0 ? side : 0);
            row[x] = (uint8_t)lround(row[x] * f);
        }
    }
}

/* A soft-edged shadow over the part of the photo beyond a random line near one side. */
static void shadow(struct rk_image *img, struct rk_rng *rng)
{
    double W = img->width, H = img->height;
    double a = rk_rng_uniform(rng, 0, 2 * M_PI), nx = cos(a), ny = sin(a);
    /* The line's offset: the shadow covers 15-45% of the photo along its normal. */
    double pmin = 1e300, pmax = -1e300;
    for (int c = 0; c < 4; c++) {
        double p = (c & 1 ? W : 0) * nx + (c & 2 ? H : 0) * ny;
        pmin = fmin(pmin, p), pmax = fmax(pmax, p);
    }
    double off = pmax - rk_rng_uniform(rng, 0.15, 0.45) * (pmax - pmin);
    double dark = rk_rng_uniform(rng, 0.6, 0.8), soft = rk_rng_uniform(rng, 0.01, 0.04) * (W + H);
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = img->px + (size_t)y * (size_t)img->stride;
        for (int x = 0; x < img->width; x++) {
            double t = (x * nx + y * ny - off) / soft; /* > 0 inside the shadow */
            double s = t <= -1 ? 0 : t >= 1 ? 1 : (t + 1) / 2;
            row[x] = (uint8_t)lround(row[x] * (1 - (1 - dark) * s));
        }
    }
}

int rk_form_sim_photo(const struct rk_form_image *blank, int dpi, const struct rk_form_geometry *g,
                      int page, const struct rk_form_values *vals,
                      const struct rk_form_sim_digits *digits, const struct rk_form_sim_opts *o,
                      uint64_t seed, struct rk_form_sim_photo *out)
{
    if (!out)
        return RK_EINVAL;
    memset(out, 0, sizeof *out);
    if (!blank || !blank->px || !g || !vals || !digits || !digits->images || !o || dpi < 10 ||
        page < 1 || page > g->pages || (o->jpeg_max && (o->jpeg_min < 1 || o->jpeg_max > 100 ||
                                                        o->jpeg_min > o->jpeg_max)))
        return RK_EINVAL;
    struct rk_rng rng;
    rk_rng_seed(&rng, seed);
    struct rk_image pg;
    int rc = rk_image_init(&pg, blank->w, blank->h, 255);
    if (rc != RK_OK)
        return rc;
    memcpy(pg.px, blank->px, (size_t)blank->w * (size_t)blank->h);
    double k = dpi / 25.4;
    for (int i = 0; i < g->n; i++) {
        const struct rk_form_number *n = &g->num[i];
        int v = vals->v[n->field];
        if (n->page == page && v >= 0 && v <= RK_FORM_VALUE_MAX)
            fill_number(&pg, k, n, v, digits, o, &rng);
    }
    struct rk_sim_view view = {o->width, o->height, o->max_rotate_deg, o->perspective,
                               o->min_fill, o->max_fill,
                               (uint8_t)rk_rng_uniform(&rng, 40, 140)};
    struct rk_homography px_to_photo;
    rc = rk_sim_view(&pg, &view, &rng, &out->photo, &px_to_photo);
    rk_image_free(&pg);
    if (rc != RK_OK)
        return rc;
    struct rk_homography mm_to_px = {{k, 0, -0.5, 0, k, -0.5, 0, 0, 1}};
    rk_homography_compose(&px_to_photo, &mm_to_px, &out->page_to_photo);
    rk_sim_gradient(&out->photo, rk_rng_uniform(&rng, 0, 360), rk_rng_uniform(&rng, 0.6, 0.9),
                    rk_rng_uniform(&rng, 0.95, 1.1));
    if (rk_rng_uniform(&rng, 0, 1) < o->p_fold)
        fold(&out->photo, &rng);
    if (rk_rng_uniform(&rng, 0, 1) < o->p_shadow)
        shadow(&out->photo, &rng);
    int blur = o->blur_max > 0 ? (int)(rk_rng_next(&rng) % (uint64_t)(o->blur_max + 1)) : 0;
    if (blur > 0 && (rc = rk_sim_blur(&out->photo, blur)) != RK_OK)
        return rc;
    if (o->noise_max >= 1)
        rk_sim_noise(&out->photo, &rng, rk_rng_uniform(&rng, 1, o->noise_max));
    if (o->jpeg_max) {
        int q = o->jpeg_min + (int)(rk_rng_next(&rng) % (uint64_t)(o->jpeg_max - o->jpeg_min + 1));
        rc = rk_image_encode_jpeg(&out->photo, q, &out->jpeg, &out->jpeg_len);
    }
    return rc;
}

void rk_form_sim_photo_free(struct rk_form_sim_photo *p)
{
    if (!p)
        return;
    rk_image_free(&p->photo);
    free(p->jpeg);
    memset(p, 0, sizeof *p);
}
