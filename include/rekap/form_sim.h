/* Synthetic phone photos of filled-in C.Hasil-KWK pages, for testing and benchmarking the
 * reader against known truth: a blank rendered page (rk_form_render_gray) gets REAL handwritten
 * digits pasted into its boxes (MNIST digits from the digit model's held-out split, so no digit
 * the model trained on), blackened bubbles (some sloppy), and is then "photographed": placed
 * with rotation and perspective, unevenly lit, folded, partly shadowed, blurred, noised and
 * JPEG-compressed. Deterministic in the seed. */
#ifndef REKAP_FORM_SIM_H
#define REKAP_FORM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "rekap/chasil.h"
#include "rekap/form.h"
#include "rekap/geom.h"
#include "rekap/idx.h"
#include "rekap/image.h"

/* Handwritten digits to paste: per-label lists of item indices into an MNIST image set. */
struct rk_form_sim_digits {
    const struct rk_idx *images; /* 28x28 ubyte */
    uint32_t *by_label[10];
    uint32_t count[10];
};

/* Indexes the pool (item indices into images/labels, e.g. a held-out split) by label. Returns
 * RK_OK, RK_EINVAL (not 28x28 images, counts differ, an index or label out of range, a digit
 * with no sample) or RK_ENOMEM. Free with rk_form_sim_digits_free. */
int rk_form_sim_digits_init(struct rk_form_sim_digits *d, const struct rk_idx *images,
                            const struct rk_idx *labels, const uint32_t *pool, uint32_t npool);

void rk_form_sim_digits_free(struct rk_form_sim_digits *d);

struct rk_form_sim_opts {
    int width, height;        /* photo size in pixels */
    double max_rotate_deg;    /* in-plane rotation, uniform in [-max, max] */
    double perspective;       /* corner jitter as a fraction of the page size */
    double min_fill, max_fill;/* page height / photo height */
    int jpeg_min, jpeg_max;   /* JPEG quality range (1..100); 0: no JPEG, gray photo only */
    double p_sloppy;          /* chance a bubble is filled sloppily (partial, off-centre) */
    double p_leading_blank;   /* chance the leading-zero boxes of a number are left blank */
    double p_fold, p_shadow;  /* chance of a crease / of a partial shadow */
    int blur_max;             /* box-blur radius drawn from 0..blur_max (3 passes) */
    double noise_max;         /* sensor noise sigma drawn from [1, noise_max] */
};

/* Sensible defaults for a photo of width x height: rotation 15 degrees, perspective 0.03,
 * fill 0.8-0.95, JPEG 60-90, 10% sloppy bubbles, 30% blank leading zeros, 30% folds, 30%
 * shadows, blur radius up to 1, noise up to 5. */
void rk_form_sim_defaults(struct rk_form_sim_opts *o, int width, int height);

struct rk_form_sim_photo {
    struct rk_image photo;          /* the gray photo (before JPEG) */
    uint8_t *jpeg;                  /* malloc'd JPEG bytes (NULL when jpeg_max == 0) */
    size_t jpeg_len;
    struct rk_homography page_to_photo; /* page mm -> photo pixels */
};

/* Fills in page `page` (1-based) of a blank rendered page (rendered at dpi with no fill) with
 * vals (fields of other pages are ignored; -1 = left blank) using digits, then photographs it
 * as o says. g is the page's geometry (rk_form_geometry at scale 1 for the race's candidate
 * count). Returns RK_OK, RK_EINVAL (bad arguments) or as the image functions. Free out with
 * rk_form_sim_photo_free (also after a failure). */
int rk_form_sim_photo(const struct rk_form_image *blank, int dpi, const struct rk_form_geometry *g,
                      int page, const struct rk_form_values *vals,
                      const struct rk_form_sim_digits *digits, const struct rk_form_sim_opts *o,
                      uint64_t seed, struct rk_form_sim_photo *out);

void rk_form_sim_photo_free(struct rk_form_sim_photo *p);

/* Copies the numbers of doc into vals (contract names; absent fields blank, values over 999
 * blank). */
void rk_form_values_from_chasil(const struct rk_chasil *doc, struct rk_form_values *vals);

#endif
