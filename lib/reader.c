/* The photo reader (see reader.h). Pipeline: decode -> corner marks -> for each of the four ways
 * the page may lie, a homography from the template's mark centres and an attempt to decode the
 * QR square through it (the one that decodes says which way up the page is) -> geometry of the
 * page's numbers -> per number: warp the three boxes at RK_READER_PX_PER_MM, find each printed
 * border by local search, measure the ink inside it, classify it with the CNN; warp each bubble
 * column and find the blackened bubble -> combine both encodings per digit -> settle doubtful
 * digits with the page's sums (R1, R2, R3, R4, R7) -> flag whatever is still doubtful.
 *
 * Thresholds here were set on synthetic photos (lib/form_sim.c) and are documented in
 * docs/reader.md; they favour asking a person over guessing. */
#include "rekap/reader.h"
#include "rekap/chasil.h"
#include "rekap/status.h"
#include "rekap/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zbar.h>

#define R_PPM RK_READER_PX_PER_MM
#define QR_PPM 10        /* the QR square is resampled finer: modules are ~0.6 mm */
#define NUM_MARGIN 1.2   /* mm around a number's boxes in its warp */
#define COL_MARGIN 0.8   /* mm around a bubble column */
#define BOX_INSET 0.6    /* mm from a border's centre line to the interior read */
#define BOX_FOUND 0.08   /* refinement contrast below this: no border there */
#define INK_CONTRAST 0.35 /* darkest ink this much below the paper, or the box is faint ... */
#define INK_FAINT 0.2     /* ... and below this, blank */
#define INK_BLANK 0.012  /* ink share of the interior below which a box is blank */
#define INK_FULL 0.55    /* ... above which it is inked over */
#define BUBBLE_FILLED 0.2 /* bubble darkness over the column's median: filled */
#define BUBBLE_CLEAR 0.6 /* bubble_conf at or above which a fill is unambiguous */
#define CAND_MIN_P 0.02f /* alternatives to a doubtful digit: CNN probability at least this */
#define SEARCH_BUDGET 100000L
#define PICK_MARGIN 4.6  /* ln(100): the sums' choice must beat any other consistent one 100:1 */

/* ---- names and messages ---- */

static const struct {
    const char *name, *id, *en;
} errors[] = {
    [RK_READ_OK] = {"ok", "", ""},
    [RK_READ_BAD_IMAGE] = {"bad_image", "Berkas bukan foto JPEG/PNG yang utuh",
                           "Not a complete JPEG or PNG photo"},
    [RK_READ_TOO_SMALL] = {"too_small",
                           "Foto terlalu kecil atau formulir terlalu jauh; foto ulang lebih dekat",
                           "Photo too small or the form too far away; retake it closer"},
    [RK_READ_NO_MARKS] = {"no_marks",
                          "Keempat tanda sudut formulir tidak terlihat; foto ulang seluruh halaman",
                          "The four corner marks are not all visible; retake the whole page"},
    [RK_READ_NO_QR] = {"no_qr",
                       "Kode QR tidak terbaca (buram, terpotong atau tertutup); foto ulang",
                       "QR code unreadable (blurred, cut off or covered); retake the photo"},
    [RK_READ_BAD_QR] = {"bad_qr", "Kode QR bukan kode formulir rekap",
                        "The QR code is not a rekap form code"},
    [RK_READ_TEMPLATE] = {"template", "Tata letak formulir ini tidak dikenal",
                          "This form's layout is not the one this reader knows"},
    [RK_READ_BLURRED] = {"blurred", "Kotak angka tidak terlihat jelas (buram atau gelap); foto ulang",
                         "Digit boxes are not clearly visible (blurred or dark); retake the photo"},
    [RK_READ_WRONG_ELECTION] = {"wrong_election", "Formulir ini untuk pemilihan lain",
                                "This form belongs to another election"},
    [RK_READ_WRONG_RACE] = {"wrong_race", "Formulir ini untuk jenis pemilihan/wilayah lain",
                            "This form belongs to another race"},
    [RK_READ_WRONG_TPS] = {"wrong_tps", "Formulir ini untuk TPS lain",
                           "This form belongs to another TPS"},
    [RK_READ_WRONG_PAGE] = {"wrong_page", "Ini halaman lain dari formulir",
                            "This is another page of the form"},
};

const char *rk_reader_error_name(enum rk_reader_error e)
{
    if ((int)e < 0 || (size_t)e >= sizeof errors / sizeof errors[0])
        return "unknown";
    return errors[e].name;
}

const char *rk_reader_flag_name(unsigned flag)
{
    switch (flag) {
    case RK_RF_LOW_CONFIDENCE: return "low_confidence";
    case RK_RF_DISAGREE: return "digit_bubble_disagree";
    case RK_RF_CROSSED: return "crossed_out";
    case RK_RF_BLANK: return "blank";
    case RK_RF_BUBBLE_UNCLEAR: return "bubble_unclear";
    case RK_RF_ARITHMETIC: return "sum_mismatch";
    case RK_RF_BOX_NOT_FOUND: return "box_not_found";
    case RK_RF_FAINT: return "faint_ink";
    case RK_RF_ARITH_PICK: return "settled_by_sums";
    default: return "unknown";
    }
}

const char *rk_reader_error_message(enum rk_reader_error e, bool indonesian)
{
    if ((int)e < 0 || (size_t)e >= sizeof errors / sizeof errors[0])
        return "";
    return indonesian ? errors[e].id : errors[e].en;
}

static int fail(struct rk_reader_result *res, enum rk_reader_error e, int status)
{
    res->error = e;
    snprintf(res->msg_id, sizeof res->msg_id, "%s", errors[e].id);
    snprintf(res->msg_en, sizeof res->msg_en, "%s", errors[e].en);
    return status;
}

/* ---- setup ---- */

static int num_region(const struct rk_form_template *t, int *w, int *h)
{
    double mw = 3 * t->box_w + 2 * t->box_gap + 2 * NUM_MARGIN, mh = t->box_h + 2 * NUM_MARGIN;
    double cw = t->bubble_d + 2 * COL_MARGIN,
           ch = RK_FORM_BUBBLES * t->bubble_pitch + t->bubble_d + 2 * COL_MARGIN;
    double ww = fmax(mw, cw) * R_PPM + 4, hh = fmax(mh, ch) * R_PPM + 4;
    if (!(ww < 4096 && hh < 4096))
        return RK_ERANGE;
    *w = (int)ww, *h = (int)hh;
    return RK_OK;
}

/* zbar scans every d-th row and column of an image. */
static void scan_density(zbar_image_scanner_t *sc, int d)
{
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_X_DENSITY, d);
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_Y_DENSITY, d);
}

int rk_reader_init(struct rk_reader *r, const struct rk_form_template *t,
                   const struct rk_digits_model *m)
{
    if (!r)
        return RK_EINVAL;
    memset(r, 0, sizeof *r);
    if (!t || !m || t->pages < 1 || m->nnets == 0)
        return RK_EINVAL;
    int w, h;
    int rc = num_region(t, &w, &h);
    if (rc != RK_OK)
        return rc;
    r->t = t, r->m = m;
    double qs = (t->qr_size + 2) * QR_PPM + 4;
    size_t q = (size_t)(qs * qs);
    r->buf_len = (size_t)w * (size_t)h > q ? (size_t)w * (size_t)h : q;
    r->scratch_len = rk_digits_scratch_size(m);
    r->work_len = rk_marks_refine_work_size(0, 0, fmax(4, t->box_w * R_PPM),
                                            fmax(4, t->box_h * R_PPM), 12);
    r->norm_len = (size_t)(t->box_w * R_PPM + 2) * (size_t)(t->box_h * R_PPM + 2);
    r->norm = malloc(r->norm_len);
    r->buf = malloc(r->buf_len);
    r->scratch = malloc(r->scratch_len);
    r->work = malloc(r->work_len ? r->work_len : 1);
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    r->zbar = sc;
    if (!r->buf || !r->norm || !r->scratch || !r->work || !sc || !r->work_len) {
        rk_reader_free(r);
        return RK_ENOMEM;
    }
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    scan_density(sc, 2); /* see scan_qr */
    return RK_OK;
}

void rk_reader_free(struct rk_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->norm);
    free(r->scratch);
    free(r->work);
    if (r->zbar)
        zbar_image_scanner_destroy(r->zbar);
    memset(r, 0, sizeof *r);
}

/* ---- geometry helpers ---- */

/* page_to_photo composed with "rectified pixel X at ppm pixels per mm -> mm (X + 0.5) / ppm". */
static void rect_to_photo(const struct rk_homography *h, double ppm, struct rk_homography *out)
{
    struct rk_homography s = {{1 / ppm, 0, 0.5 / ppm, 0, 1 / ppm, 0.5 / ppm, 0, 0, 1}};
    rk_homography_compose(h, &s, out);
}

static struct rk_point mm_to_photo(const struct rk_homography *h, double x, double y)
{
    struct rk_point o = {0, 0};
    rk_homography_apply(h, (struct rk_point){x, y}, &o);
    return o;
}

static struct rk_point rect_centre(struct rk_form_rect r)
{
    return (struct rk_point){r.x + r.w / 2, r.y + r.h / 2};
}

/* Decodes one QR code in the rectified square; *payload gets its bytes. */
static int scan_qr(struct rk_reader *r, const struct rk_image *sq, char *payload, size_t cap)
{
    zbar_image_t *zi = zbar_image_create();
    if (!zi)
        return RK_ENOMEM;
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)sq->width, (unsigned)sq->height);
    zbar_image_set_data(zi, sq->px, (unsigned long)sq->width * (unsigned long)sq->height, NULL);
    /* Every second row and column first (half the scanning; a QR's finder patterns span many
     * rows), then, only if that finds nothing, every one. A decoded payload is the same either
     * way: its Reed-Solomon check leaves no room for a different reading. */
    int n = zbar_scan_image(r->zbar, zi);
    if (n < 1) {
        scan_density(r->zbar, 1);
        n = zbar_scan_image(r->zbar, zi);
        scan_density(r->zbar, 2);
    }
    int rc = RK_ENOTFOUND;
    if (n >= 1) {
        const zbar_symbol_t *s = zbar_image_first_symbol(zi);
        const char *d = s ? zbar_symbol_get_data(s) : NULL;
        unsigned len = s ? zbar_symbol_get_data_length(s) : 0;
        if (d && len < cap) {
            memcpy(payload, d, len);
            payload[len] = 0;
            rc = RK_OK;
        } else {
            rc = RK_EINVAL;
        }
    }
    zbar_image_destroy(zi);
    return rc;
}

/* ---- one digit box ---- */

static void histogram(const uint8_t *px, int w, int h, size_t stride, uint32_t hist[256])
{
    memset(hist, 0, 256 * sizeof *hist);
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            hist[px[(size_t)j * stride + (size_t)i]]++;
}

/* The level below which a share q of the histogram's n pixels lie. */
static int hist_quantile(const uint32_t hist[256], uint32_t n, double q)
{
    uint32_t want = (uint32_t)(q * n), acc = 0;
    for (int v = 0; v < 256; v++) {
        acc += hist[v];
        if (acc > want)
            return v;
    }
    return 255;
}

static int percentile(const uint8_t *px, int w, int h, size_t stride, double q)
{
    uint32_t hist[256];
    histogram(px, w, h, stride, hist);
    return hist_quantile(hist, (uint32_t)(w * h), q);
}

/* Per-digit alternatives the page's sums may choose from. */
struct dcand {
    int n;
    int v[4];
    float lp[4];
};

struct num_ctx {
    struct rk_point shift[RK_FORM_DIGITS]; /* refined box offset, rectified pixels */
    double score[RK_FORM_DIGITS];
    struct dcand cand[RK_FORM_DIGITS];
};

static void read_box(struct rk_reader *r, const struct rk_image *crop, double bx, double by,
                     double bw, double bh, int field, int d, struct rk_reader_digit *dg)
{
    const int inset = (int)lround(BOX_INSET * R_PPM);
    int x0 = (int)lround(bx) + inset, y0 = (int)lround(by) + inset;
    int x1 = (int)lround(bx + bw) - inset, y1 = (int)lround(by + bh) - inset;
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > crop->width ? crop->width : x1, y1 = y1 > crop->height ? crop->height : y1;
    dg->ink = RK_INK_BLANK;
    dg->faint = false;
    dg->value = -1;
    for (int k = 0; k < 3; k++)
        dg->top[k] = -1, dg->top_p[k] = 0;
    if (x1 - x0 < 6 || y1 - y0 < 6)
        return;
    const uint8_t *px = crop->px + (size_t)y0 * (size_t)crop->stride + (size_t)x0;
    int w = x1 - x0, h = y1 - y0;
    size_t stride = (size_t)crop->stride;
    if ((size_t)w * (size_t)h > r->norm_len)
        return;
    /* Contrast-normalise: paper (90th percentile) to 255, the darkest ink (1st) to 0, so that
     * faint ink in a shadow reads like dark ink in full light. */
    uint32_t hist[256];
    histogram(px, w, h, stride, hist);
    int paper = hist_quantile(hist, (uint32_t)(w * h), 0.9);
    int lo = hist_quantile(hist, (uint32_t)(w * h), 0.01);
    if (paper < 40) {
        dg->ink = RK_INK_CROSSED; /* black box: inked over (or a photo too dark to tell) */
        return;
    }
    double contrast = (double)(paper - lo) / paper;
    int thr = paper - (paper - lo) / 2, ink = 0;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            ink += px[(size_t)j * stride + (size_t)i] < thr;
    /* Pale ink (under INK_CONTRAST) is read, not taken for a blank box: a pale leading "1"
     * read as blank turns 156 into 56 with nothing to flag it. But a crease or a shadow's edge
     * across a blank box is just as pale and the CNN can take it for a "1", so such a box
     * always sends its number to a person. */
    dg->ink_frac = contrast < INK_FAINT ? 0 : (float)ink / (float)(w * h);
    if (dg->ink_frac < INK_BLANK)
        return;
    dg->faint = contrast < INK_CONTRAST;
    if (dg->ink_frac > INK_FULL) {
        dg->ink = RK_INK_CROSSED;
        return;
    }
    uint8_t *nb = r->norm;
    double gain = 255.0 / (paper - lo);
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            double v = (px[(size_t)j * stride + (size_t)i] - lo) * gain;
            nb[(size_t)j * (size_t)w + (size_t)i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    px = nb, stride = (size_t)w;
    if (r->on_crop)
        r->on_crop(r->crop_ud, field, d, px, w, h, stride);
    uint8_t in[RK_DIGITS_PIXELS];
    struct rk_digits_result cr;
    if (rk_digits_preprocess(px, w, h, stride, 1, in) != RK_OK ||
        rk_digits_classify(r->m, in, r->scratch, r->scratch_len, &cr) != RK_OK) {
        dg->ink = RK_INK_BLANK; /* too little contrast for the preprocessor: no ink after all */
        dg->faint = false;
        return;
    }
    float p[10];
    memcpy(p, cr.probs, sizeof p);
    for (int k = 0; k < 3; k++) {
        int best = 0;
        for (int c = 1; c < 10; c++)
            if (p[c] > p[best])
                best = c;
        dg->top[k] = best, dg->top_p[k] = p[best];
        p[best] = -1;
    }
    dg->p_not_digit = cr.probs[RK_DIGITS_NOT_DIGIT];
    dg->ink = cr.cls == RK_DIGITS_NOT_DIGIT ? RK_INK_CROSSED : RK_INK_DIGIT;
}

/* Darkness of each bubble of one column relative to the column's paper. */
static void read_bubbles(const struct rk_image *col, const struct rk_form_number *n, int d,
                         int X0, int Y0, struct rk_point shift, struct rk_reader_digit *dg)
{
    int paper = percentile(col->px, col->width, col->height, (size_t)col->stride, 0.9);
    if (paper < 40) {
        dg->bubble = -2;
        return;
    }
    double dark[RK_FORM_BUBBLES];
    for (int k = 0; k < RK_FORM_BUBBLES; k++) {
        struct rk_point c = rect_centre(n->bubble[d][k]);
        double cx = c.x * R_PPM - 0.5 - X0 + shift.x, cy = c.y * R_PPM - 0.5 - Y0 + shift.y;
        double rr = 0.7 * n->bubble[d][k].w / 2 * R_PPM;
        double sum = 0, cnt = 0;
        for (int y = (int)floor(cy - rr); y <= (int)ceil(cy + rr); y++)
            for (int x = (int)floor(cx - rr); x <= (int)ceil(cx + rr); x++) {
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > rr * rr)
                    continue;
                sum += rk_image_at(col, x, y);
                cnt++;
            }
        dark[k] = cnt > 0 ? fmax(0, 1 - sum / cnt / paper) : 0;
    }
    double s[RK_FORM_BUBBLES];
    memcpy(s, dark, sizeof s);
    for (int i = 1; i < RK_FORM_BUBBLES; i++) /* insertion sort, descending */
        for (int j = i; j > 0 && s[j] > s[j - 1]; j--) {
            double t = s[j];
            s[j] = s[j - 1], s[j - 1] = t;
        }
    int k1 = 0;
    for (int k = 1; k < RK_FORM_BUBBLES; k++)
        if (dark[k] > dark[k1])
            k1 = k;
    double med = (s[4] + s[5]) / 2, f1 = s[0] - med, f2 = s[1] - med;
    if (f1 < BUBBLE_FILLED) {
        dg->bubble = -1;
        return;
    }
    dg->bubble_conf = (float)fmin(1, fmax(0, (f1 - f2) / 0.5));
    dg->bubble = f2 > 0.5 * f1 ? -2 : k1;
}

/* Decides a digit from its two readings; returns flags and fills its alternatives. */
static unsigned combine(const struct rk_digits_model *m, struct rk_reader_digit *dg,
                        struct dcand *c)
{
    c->n = 0;
    unsigned fl = 0;
    float thr = m->threshold;
    int b = dg->bubble;
    bool cnn = dg->ink == RK_INK_DIGIT;
    if (dg->ink == RK_INK_CROSSED) {
        dg->value = b >= 0 ? b : -1;
        dg->confidence = 0;
        return RK_RF_CROSSED;
    }
    if (cnn) {
        float p = dg->top_p[0];
        dg->value = dg->top[0];
        dg->confidence = p;
        if (b >= 0 && b == dg->top[0]) {
            dg->confidence = 1 - (1 - p) * (1 - 0.99f * dg->bubble_conf);
            if (p < 0.5f || dg->bubble_conf < 0.5f)
                fl |= RK_RF_LOW_CONFIDENCE;
        } else if (b >= 0) {
            fl |= RK_RF_DISAGREE;
            dg->value = p >= thr ? dg->top[0] : b;
            dg->confidence = 0.5f * (p >= thr ? p : dg->bubble_conf);
        } else {
            if (p < thr)
                fl |= RK_RF_LOW_CONFIDENCE;
            if (b == -2 && p < thr)
                fl |= RK_RF_BUBBLE_UNCLEAR;
        }
        if (!fl) {
            c->n = 1, c->v[0] = dg->value, c->lp[0] = 0;
            return 0;
        }
        /* Alternatives: the CNN's likely digits, and the bubble's. */
        for (int k = 0; k < 3; k++)
            if (dg->top_p[k] >= CAND_MIN_P || k == 0) {
                c->v[c->n] = dg->top[k];
                c->lp[c->n++] = logf(fmaxf(dg->top_p[k], 1e-6f));
            }
        if (b >= 0) {
            bool have = false;
            for (int k = 0; k < c->n; k++)
                if (c->v[k] == b) {
                    have = true;
                    c->lp[k] = fmaxf(c->lp[k], logf(0.5f * fmaxf(dg->bubble_conf, 0.02f)));
                }
            if (!have) {
                c->v[c->n] = b;
                c->lp[c->n++] = logf(0.5f * fmaxf(dg->bubble_conf, 0.02f));
            }
        }
        return fl;
    }
    /* No handwriting. */
    if (b >= 0) {
        dg->value = b;
        dg->confidence = dg->bubble_conf;
        c->n = 1, c->v[0] = b, c->lp[0] = 0;
        if (dg->bubble_conf < BUBBLE_CLEAR) {
            fl |= RK_RF_BUBBLE_UNCLEAR;
            c->lp[0] = logf(fmaxf(dg->bubble_conf, 0.02f));
        }
        return fl;
    }
    dg->value = -1;
    dg->confidence = 1;
    if (b == -2)
        return RK_RF_BUBBLE_UNCLEAR;
    return 0;
}

/* Reads one number (three boxes and their bubbles) of the page. */
static int read_number(struct rk_reader *r, const struct rk_image *img,
                       const struct rk_homography *h_mm, const struct rk_homography *h_rect,
                       const struct rk_form_number *n, struct rk_reader_field *f,
                       struct num_ctx *nc)
{
    const struct rk_form_template *t = r->t;
    memset(f, 0, sizeof *f);
    f->field = n->field;
    double x0 = n->box[0].x - NUM_MARGIN, y0 = n->box[0].y - NUM_MARGIN;
    double x1 = n->box[2].x + n->box[2].w + NUM_MARGIN, y1 = n->box[0].y + n->box[0].h + NUM_MARGIN;
    int X0 = (int)floor(x0 * R_PPM), Y0 = (int)floor(y0 * R_PPM);
    struct rk_image crop = {(int)ceil(x1 * R_PPM) - X0, (int)ceil(y1 * R_PPM) - Y0, 0, r->buf};
    crop.stride = crop.width;
    if ((size_t)crop.width * (size_t)crop.height > r->buf_len)
        return RK_EINTERNAL;
    int rc = rk_image_warp_into(img, h_rect, X0, Y0, 255, &crop);
    if (rc != RK_OK)
        return rc;
    int search = (int)fmin(12, fmax(1, floor(t->box_gap * R_PPM / 2) - 1));
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        struct rk_form_rect b = n->box[d];
        double bx = b.x * R_PPM - 0.5 - X0, by = b.y * R_PPM - 0.5 - Y0;
        double bw = b.w * R_PPM, bh = b.h * R_PPM;
        struct rk_point sh = {0, 0};
        double score = 0;
        rc = rk_marks_refine_box_work(&crop, bx, by, bw, bh, search, r->work, r->work_len, &sh,
                                      &score);
        if (rc != RK_OK)
            return rc;
        nc->score[d] = score;
        if (score < BOX_FOUND) {
            f->flags |= RK_RF_BOX_NOT_FOUND;
            sh = (struct rk_point){0, 0};
        }
        nc->shift[d] = sh;
        struct rk_reader_digit *dg = &f->digit[d];
        read_box(r, &crop, bx + sh.x, by + sh.y, bw, bh, n->field, d, dg);
        double mx = sh.x / R_PPM, my = sh.y / R_PPM;
        dg->quad[0] = mm_to_photo(h_mm, b.x + mx, b.y + my);
        dg->quad[1] = mm_to_photo(h_mm, b.x + b.w + mx, b.y + my);
        dg->quad[2] = mm_to_photo(h_mm, b.x + b.w + mx, b.y + b.h + my);
        dg->quad[3] = mm_to_photo(h_mm, b.x + mx, b.y + b.h + my);
        dg->bubble = -3;
    }
    if (n->bubbles) {
        for (int d = 0; d < RK_FORM_DIGITS; d++) {
            struct rk_form_rect top = n->bubble[d][0], bot = n->bubble[d][RK_FORM_BUBBLES - 1];
            int CX0 = (int)floor((top.x - COL_MARGIN) * R_PPM);
            int CY0 = (int)floor((top.y - COL_MARGIN) * R_PPM);
            struct rk_image col = {(int)ceil((top.x + top.w + COL_MARGIN) * R_PPM) - CX0,
                                   (int)ceil((bot.y + bot.h + COL_MARGIN) * R_PPM) - CY0, 0,
                                   r->buf};
            col.stride = col.width;
            if ((size_t)col.width * (size_t)col.height > r->buf_len)
                return RK_EINTERNAL;
            /* Where the box was found, the bubbles below it are too: same local offset. */
            struct rk_point sh = nc->shift[d];
            if ((rc = rk_image_warp_into(img, h_rect, CX0, CY0, 255, &col)) != RK_OK)
                return rc;
            read_bubbles(&col, n, d, CX0, CY0, sh, &f->digit[d]);
        }
    }
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        f->flags |= combine(r->m, &f->digit[d], &nc->cand[d]);
        if (f->digit[d].faint)
            f->flags |= RK_RF_FAINT;
    }
    f->quad[0] = f->digit[0].quad[0];
    f->quad[1] = f->digit[2].quad[1];
    f->quad[2] = f->digit[2].quad[2];
    f->quad[3] = f->digit[0].quad[3];
    /* The number: leading blank boxes count as 0; a blank after a digit is an error. */
    int v = 0;
    bool seen = false, broken = false;
    float conf = 1;
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        const struct rk_reader_digit *dg = &f->digit[d];
        if (dg->value < 0) {
            if (dg->ink == RK_INK_CROSSED) {
                broken = true;
            } else if (seen || d == RK_FORM_DIGITS - 1) {
                f->flags |= RK_RF_BLANK;
                broken = true;
            }
            if (nc->cand[d].n == 0) { /* a leading blank is a zero for the sums */
                nc->cand[d].n = 1, nc->cand[d].v[0] = 0, nc->cand[d].lp[0] = 0;
            }
            v *= 10;
            continue;
        }
        seen = true;
        v = v * 10 + dg->value;
        conf *= dg->confidence;
    }
    f->value = broken ? -1 : v;
    f->confidence = broken ? 0 : conf;
    return RK_OK;
}

/* ---- the page's sums ---- */

struct equation {
    enum rk_rule rule;
    int lhs;      /* index into res->f */
    int rhs[RK_CHASIL_PASLON_MAX];
    int nr;
};

static int field_slot(const struct rk_reader_result *res, const char *name)
{
    int fi = rk_form_field_index(name, strlen(name));
    for (int i = 0; i < res->n; i++)
        if (res->f[i].field == fi)
            return i;
    return -1;
}

static int add_eq(struct equation *eq, int n, const struct rk_reader_result *res,
                  enum rk_rule rule, const char *lhs, const char *const *rhs, int nr)
{
    struct equation e = {rule, field_slot(res, lhs), {0}, nr};
    if (e.lhs < 0)
        return n;
    for (int i = 0; i < nr; i++)
        if ((e.rhs[i] = field_slot(res, rhs[i])) < 0)
            return n;
    eq[n] = e;
    return n + 1;
}

static int page_equations(const struct rk_reader_result *res, struct equation *eq)
{
    int n = 0;
    static const char *rows[6] = {"pemilih_dpt", "pengguna_dpt", "pengguna_dptb", "pengguna_dpk",
                                  "pengguna_total", "disabilitas"};
    static const enum rk_rule r1[6] = {RK_R1_DPT_LP, RK_R1_B1_LP, RK_R1_B2_LP,
                                       RK_R1_B3_LP, RK_R1_B4_LP, RK_R1_DIS_LP};
    char a[40], b[40], c[40], d[40];
    for (int i = 0; i < 6; i++) {
        snprintf(a, sizeof a, "%s_j", rows[i]);
        snprintf(b, sizeof b, "%s_l", rows[i]);
        snprintf(c, sizeof c, "%s_p", rows[i]);
        const char *rhs[2] = {b, c};
        n = add_eq(eq, n, res, r1[i], a, rhs, 2);
    }
    static const char *sx[3] = {"l", "p", "j"};
    static const enum rk_rule r2[3] = {RK_R2_B4_L, RK_R2_B4_P, RK_R2_B4_J};
    for (int i = 0; i < 3; i++) {
        snprintf(a, sizeof a, "pengguna_total_%s", sx[i]);
        snprintf(b, sizeof b, "pengguna_dpt_%s", sx[i]);
        snprintf(c, sizeof c, "pengguna_dptb_%s", sx[i]);
        snprintf(d, sizeof d, "pengguna_dpk_%s", sx[i]);
        const char *rhs[3] = {b, c, d};
        n = add_eq(eq, n, res, r2[i], a, rhs, 3);
    }
    const char *r7[3] = {"ss_digunakan", "ss_rusak", "ss_sisa"};
    n = add_eq(eq, n, res, RK_R7_BALLOTS_SUM, "ss_diterima", r7, 3);
    char pn[RK_CHASIL_PASLON_MAX][24];
    const char *ps[RK_CHASIL_PASLON_MAX];
    for (int i = 0; i < res->ncand && i < RK_CHASIL_PASLON_MAX; i++) {
        snprintf(pn[i], sizeof pn[i], "suara_paslon_%d", i + 1);
        ps[i] = pn[i];
    }
    if (res->ncand >= 2)
        n = add_eq(eq, n, res, RK_R3_SAH_SUM, "suara_sah", ps, res->ncand);
    const char *r4[2] = {"suara_sah", "suara_tidak_sah"};
    n = add_eq(eq, n, res, RK_R4_TOTAL_SUM, "suara_total", r4, 2);
    return n;
}

/* A doubtful field's candidate values, best first. */
#define FCAND_MAX 16
struct fcand {
    int slot;
    int n;
    int v[FCAND_MAX];
    float lp[FCAND_MAX];
    float best_any[FCAND_MAX]; /* best consistent total with this value (search output) */
};

static void field_candidates(const struct num_ctx *nc, struct fcand *fc)
{
    fc->n = 0;
    const struct dcand *c = nc->cand;
    for (int a = 0; a < c[0].n; a++)
        for (int b = 0; b < c[1].n; b++)
            for (int d = 0; d < c[2].n; d++) {
                float lp = c[0].lp[a] + c[1].lp[b] + c[2].lp[d];
                int v = c[0].v[a] * 100 + c[1].v[b] * 10 + c[2].v[d];
                /* Insert keeping the FCAND_MAX best, sorted. */
                int pos = fc->n < FCAND_MAX ? fc->n : FCAND_MAX;
                while (pos > 0 && fc->lp[pos - 1] < lp)
                    pos--;
                if (pos >= FCAND_MAX)
                    continue;
                int last = fc->n < FCAND_MAX ? fc->n : FCAND_MAX - 1;
                for (int k = last; k > pos; k--)
                    fc->v[k] = fc->v[k - 1], fc->lp[k] = fc->lp[k - 1];
                fc->v[pos] = v, fc->lp[pos] = lp;
                if (fc->n < FCAND_MAX)
                    fc->n++;
            }
}

static bool eq_holds(const struct equation *e, const int *val)
{
    int s = 0;
    for (int i = 0; i < e->nr; i++)
        s += val[e->rhs[i]];
    return s == val[e->lhs];
}

static void settle(struct rk_reader_result *res, struct num_ctx *nc)
{
    struct equation eq[16];
    int ne = page_equations(res, eq);
    const unsigned soft = RK_RF_LOW_CONFIDENCE | RK_RF_DISAGREE | RK_RF_BUBBLE_UNCLEAR;
    int val[RK_FORM_FIELDS];
    int known[RK_FORM_FIELDS]; /* 1 fixed, 2 doubtful (searched), 0 unknown */
    for (int i = 0; i < res->n; i++) {
        const struct rk_reader_field *f = &res->f[i];
        val[i] = f->value;
        /* A faint number's value takes part in the sums like any other; its flag stays. */
        unsigned rev = f->flags & RK_RF_REVIEW_MASK & ~RK_RF_FAINT;
        if (f->value >= 0 && !rev)
            known[i] = 1;
        else if (f->value >= 0 && !(rev & ~soft))
            known[i] = 2;
        else
            known[i] = 0;
    }
    bool checkable[16];
    for (int e = 0; e < ne; e++) {
        checkable[e] = known[eq[e].lhs] != 0;
        for (int k = 0; k < eq[e].nr; k++)
            checkable[e] = checkable[e] && known[eq[e].rhs[k]] != 0;
    }
    struct fcand fc[RK_FORM_FIELDS];
    int nd = 0;
    for (int i = 0; i < res->n; i++) {
        if (known[i] != 2)
            continue;
        bool in_eq = false;
        for (int e = 0; e < ne && !in_eq; e++) {
            if (!checkable[e])
                continue;
            in_eq = eq[e].lhs == i;
            for (int k = 0; k < eq[e].nr; k++)
                in_eq = in_eq || eq[e].rhs[k] == i;
        }
        if (!in_eq)
            continue;
        fc[nd].slot = i;
        field_candidates(&nc[i], &fc[nd]);
        if (fc[nd].n > 0)
            nd++;
    }
    if (nd > 0) {
        /* Shrink the largest candidate lists until the product fits the budget. */
        for (;;) {
            double prod = 1;
            int big = 0;
            for (int k = 0; k < nd; k++) {
                prod *= fc[k].n;
                if (fc[k].n > fc[big].n)
                    big = k;
            }
            if (prod <= SEARCH_BUDGET || fc[big].n <= 1)
                break;
            fc[big].n = fc[big].n / 2 > 0 ? fc[big].n / 2 : 1;
        }
        int idx[RK_FORM_FIELDS] = {0};
        int best[RK_FORM_FIELDS] = {0};
        double best_lp = -INFINITY;
        for (int k = 0; k < nd; k++)
            for (int c = 0; c < fc[k].n; c++)
                fc[k].best_any[c] = -INFINITY;
        for (;;) {
            double lp = 0;
            for (int k = 0; k < nd; k++) {
                val[fc[k].slot] = fc[k].v[idx[k]];
                lp += fc[k].lp[idx[k]];
            }
            bool ok = true;
            for (int e = 0; e < ne && ok; e++)
                if (checkable[e])
                    ok = eq_holds(&eq[e], val);
            if (ok) {
                for (int k = 0; k < nd; k++)
                    if (lp > fc[k].best_any[idx[k]])
                        fc[k].best_any[idx[k]] = (float)lp;
                if (lp > best_lp) {
                    best_lp = lp;
                    memcpy(best, idx, sizeof best);
                }
            }
            int k = 0;
            while (k < nd && ++idx[k] >= fc[k].n)
                idx[k++] = 0;
            if (k == nd)
                break;
        }
        for (int k = 0; k < nd; k++) {
            struct rk_reader_field *f = &res->f[fc[k].slot];
            if (best_lp == -INFINITY) {
                val[fc[k].slot] = f->value;
                continue;
            }
            double alt = -INFINITY;
            for (int c = 0; c < fc[k].n; c++)
                if (c != best[k] && fc[k].v[c] != fc[k].v[best[k]] && fc[k].best_any[c] > alt)
                    alt = fc[k].best_any[c];
            int v = fc[k].v[best[k]];
            val[fc[k].slot] = v;
            if (best_lp - alt >= PICK_MARGIN) {
                f->flags = (f->flags & ~soft) | RK_RF_ARITH_PICK;
                if (v != f->value) {
                    f->value = v;
                    for (int d = 0, p = 100; d < RK_FORM_DIGITS; d++, p /= 10)
                        f->digit[d].value = v / p % 10;
                }
                f->confidence = (float)(1 - exp(alt - best_lp));
            } else {
                val[fc[k].slot] = f->value;
            }
        }
    }
    /* Whatever still does not add up goes to a person, every number in it. */
    for (int i = 0; i < res->n; i++)
        val[i] = res->f[i].value;
    for (int e = 0; e < ne; e++) {
        bool have = val[eq[e].lhs] >= 0;
        for (int k = 0; k < eq[e].nr; k++)
            have = have && val[eq[e].rhs[k]] >= 0;
        if (!have || eq_holds(&eq[e], val))
            continue;
        res->f[eq[e].lhs].flags |= RK_RF_ARITHMETIC;
        for (int k = 0; k < eq[e].nr; k++)
            res->f[eq[e].rhs[k]].flags |= RK_RF_ARITHMETIC;
        if (res->n_violations < RK_READER_VIOLATIONS_MAX)
            res->violations[res->n_violations++] = rk_rule_get(eq[e].rule)->code;
    }
}

static void finish_field(struct rk_reader_field *f)
{
    f->needs_review = (f->flags & RK_RF_REVIEW_MASK) != 0;
    f->reason[0] = 0;
    size_t len = 0;
    for (unsigned b = 1; b <= RK_RF_ARITH_PICK; b <<= 1) {
        if (!(f->flags & b))
            continue;
        int w = snprintf(f->reason + len, sizeof f->reason - len, "%s%s", len ? "," : "",
                         rk_reader_flag_name(b));
        if (w < 0 || (size_t)w >= sizeof f->reason - len)
            break;
        len += (size_t)w;
    }
    if (f->needs_review)
        f->confidence = fminf(f->confidence, 0.5f);
}

/* ---- the page ---- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int check_expect(const struct rk_form_qr *q, const struct rk_reader_expect *exp,
                        struct rk_reader_result *res)
{
    if (!exp)
        return RK_OK;
    if (exp->election && exp->election[0] && strcmp(exp->election, q->election) != 0)
        return fail(res, RK_READ_WRONG_ELECTION, RK_ECONFLICT);
    if ((exp->kind && exp->kind != q->kind) ||
        (exp->race_region && exp->race_region[0] && strcmp(exp->race_region, q->region) != 0))
        return fail(res, RK_READ_WRONG_RACE, RK_ECONFLICT);
    if (exp->tps && exp->tps[0] && strcmp(exp->tps, q->tps) != 0)
        return fail(res, RK_READ_WRONG_TPS, RK_ECONFLICT);
    if (exp->page && exp->page != q->page)
        return fail(res, RK_READ_WRONG_PAGE, RK_ECONFLICT);
    return RK_OK;
}

/* Finds which way up the page lies by decoding the QR through each of the four assignments
 * of the found marks to the template's corners. */
static int find_qr(struct rk_reader *r, const struct rk_image *img, const struct rk_form_geometry *g,
                   struct rk_reader_result *res)
{
    static const int cyc[4] = {RK_FORM_TL, RK_FORM_TR, RK_FORM_BR, RK_FORM_BL};
    static const int order[4] = {0, 2, 1, 3};
    struct rk_point src[4];
    for (int i = 0; i < 4; i++)
        src[i] = rect_centre(g->mark[cyc[i]]);
    double side = 0, mm = 0;
    for (int i = 0; i < 4; i++) {
        struct rk_point a = res->marks.pt[i], b = res->marks.pt[(i + 1) % 4];
        side += hypot(a.x - b.x, a.y - b.y);
    }
    mm = 2 * (hypot(src[0].x - src[1].x, src[0].y - src[1].y) +
              hypot(src[1].x - src[2].x, src[1].y - src[2].y));
    res->px_per_mm = side / mm;
    if (res->px_per_mm < RK_READER_MIN_PX_PER_MM)
        return fail(res, RK_READ_TOO_SMALL, RK_EUNREADABLE);
    const double m = 1.0;
    int X0 = (int)floor((g->qr.x - m) * QR_PPM), Y0 = (int)floor((g->qr.y - m) * QR_PPM);
    struct rk_image sq = {(int)ceil((g->qr.x + g->qr.w + m) * QR_PPM) - X0,
                          (int)ceil((g->qr.y + g->qr.h + m) * QR_PPM) - Y0, 0, r->buf};
    sq.stride = sq.width;
    if ((size_t)sq.width * (size_t)sq.height > r->buf_len)
        return RK_EINTERNAL;
    bool decoded_other = false;
    for (int o = 0; o < 4; o++) {
        int k = order[o];
        struct rk_point dst[4];
        for (int i = 0; i < 4; i++)
            dst[i] = res->marks.pt[(i + k) % 4];
        struct rk_homography h, hq;
        if (rk_homography_from_points(src, dst, &h) != RK_OK)
            continue;
        rect_to_photo(&h, QR_PPM, &hq);
        int rc = rk_image_warp_into(img, &hq, X0, Y0, 255, &sq);
        if (rc != RK_OK)
            return rc;
        char payload[RK_FORM_QR_MAX];
        rc = scan_qr(r, &sq, payload, sizeof payload);
        if (rc == RK_ENOTFOUND) {
            /* Blurred modules defeat zbar's own binariser; a local-mean threshold at about a
             * module's scale restores them. Only tried when the plain square fails. */
            struct rk_image bin;
            int brc = rk_image_threshold_sauvola(&sq, QR_PPM, 0.05, &bin);
            if (brc == RK_ENOMEM)
                return brc;
            if (brc == RK_OK) {
                rc = scan_qr(r, &bin, payload, sizeof payload);
                rk_image_free(&bin);
            }
        }
        if (rc == RK_ENOMEM)
            return rc;
        if (rc != RK_OK)
            continue;
        if (rk_form_qr_parse(payload, strlen(payload), &res->qr) != RK_OK) {
            decoded_other = true;
            continue;
        }
        res->qr_read = true;
        res->rotation = k;
        res->page_to_photo = h;
        return RK_OK;
    }
    return decoded_other ? fail(res, RK_READ_BAD_QR, RK_EUNREADABLE)
                         : fail(res, RK_READ_NO_QR, RK_EUNREADABLE);
}

/* Candidate columns printed on the page: the highest suara_paslon_k whose box border is there. */
static int detect_ncand(struct rk_reader *r, const struct rk_image *img,
                        const struct rk_form_geometry *g6, const struct rk_homography *h_rect,
                        int page)
{
    for (int k = RK_CHASIL_PASLON_MAX; k > 2; k--) {
        char name[24];
        snprintf(name, sizeof name, "suara_paslon_%d", k);
        const struct rk_form_number *n =
            rk_form_geometry_find(g6, rk_form_field_index(name, strlen(name)));
        if (!n || n->page != page)
            return 2;
        struct rk_form_rect b = n->box[1];
        int X0 = (int)floor((b.x - NUM_MARGIN) * R_PPM), Y0 = (int)floor((b.y - NUM_MARGIN) * R_PPM);
        struct rk_image crop = {(int)ceil((b.x + b.w + NUM_MARGIN) * R_PPM) - X0,
                                (int)ceil((b.y + b.h + NUM_MARGIN) * R_PPM) - Y0, 0, r->buf};
        crop.stride = crop.width;
        if (rk_image_warp_into(img, h_rect, X0, Y0, 255, &crop) != RK_OK)
            return 2;
        struct rk_point sh;
        double score = 0;
        int search = (int)fmin(12, fmax(1, floor(r->t->box_gap * R_PPM / 2) - 1));
        if (rk_marks_refine_box_work(&crop, b.x * R_PPM - 0.5 - X0, b.y * R_PPM - 0.5 - Y0,
                                     b.w * R_PPM, b.h * R_PPM, search, r->work, r->work_len, &sh,
                                     &score) == RK_OK &&
            score >= 2 * BOX_FOUND)
            return k;
    }
    return 2;
}

int rk_reader_read_image(struct rk_reader *r, const struct rk_image *img,
                         const struct rk_reader_expect *exp, struct rk_reader_result *res)
{
    if (!res)
        return RK_EINVAL;
    memset(res, 0, sizeof *res);
    if (!r || !r->t || !img || !img->px)
        return RK_EINVAL;
    double t0 = now_ms();
    res->width = img->width, res->height = img->height;
    if (img->width < RK_READER_MIN_SIDE || img->height < RK_READER_MIN_SIDE)
        return fail(res, RK_READ_TOO_SMALL, RK_EUNREADABLE);
    int rc = rk_marks_find(img, &res->marks);
    if (rc == RK_ENOTFOUND || rc == RK_EINVAL)
        return fail(res, RK_READ_NO_MARKS, RK_EUNREADABLE);
    if (rc != RK_OK)
        return rc;
    struct rk_form_geometry *g = malloc(sizeof *g);
    struct num_ctx *nc = malloc(RK_FORM_FIELDS * sizeof *nc);
    if (!g || !nc) {
        free(g);
        free(nc);
        return RK_ENOMEM;
    }
    if ((rc = rk_form_geometry(r->t, RK_CHASIL_PASLON_MAX, 1.0, g)) != RK_OK)
        goto out;
    if ((rc = find_qr(r, img, g, res)) != RK_OK)
        goto out;
    if (strcmp(res->qr.template_id, r->t->id) != 0 || res->qr.pages != r->t->pages) {
        rc = fail(res, RK_READ_TEMPLATE, RK_EUNSUPPORTED);
        goto out;
    }
    if ((rc = check_expect(&res->qr, exp, res)) != RK_OK)
        goto out;
    struct rk_homography h_rect;
    rect_to_photo(&res->page_to_photo, R_PPM, &h_rect);
    int page = res->qr.page;
    res->ncand = exp && exp->ncand >= 2 && exp->ncand <= RK_CHASIL_PASLON_MAX
                     ? exp->ncand
                     : detect_ncand(r, img, g, &h_rect, page);
    if ((rc = rk_form_geometry(r->t, res->ncand, 1.0, g)) != RK_OK)
        goto out;
    int boxes = 0, lost = 0;
    for (int i = 0; i < g->n; i++) {
        if (g->num[i].page != page)
            continue;
        struct rk_reader_field *f = &res->f[res->n];
        rc = read_number(r, img, &res->page_to_photo, &h_rect, &g->num[i], f, &nc[res->n]);
        if (rc != RK_OK)
            goto out;
        for (int d = 0; d < RK_FORM_DIGITS; d++)
            lost += nc[res->n].score[d] < BOX_FOUND;
        boxes += RK_FORM_DIGITS;
        res->n++;
    }
    if (boxes > 0 && lost * 2 > boxes) {
        rc = fail(res, RK_READ_BLURRED, RK_EUNREADABLE);
        goto out;
    }
    settle(res, nc);
    for (int i = 0; i < res->n; i++) {
        finish_field(&res->f[i]);
        res->n_review += res->f[i].needs_review;
    }
    rc = RK_OK;
out:
    free(g);
    free(nc);
    res->ms_total = now_ms() - t0;
    return rc;
}

int rk_reader_read(struct rk_reader *r, const uint8_t *photo, size_t len,
                   const struct rk_reader_expect *exp, struct rk_reader_result *res)
{
    if (!res)
        return RK_EINVAL;
    memset(res, 0, sizeof *res);
    if (!r || !photo)
        return RK_EINVAL;
    double t0 = now_ms();
    struct rk_image img;
    int rc = rk_image_decode(photo, len, 1, &img);
    if (rc == RK_ENOMEM)
        return rc;
    if (rc == RK_ETOOBIG)
        return fail(res, RK_READ_BAD_IMAGE, RK_ETOOBIG);
    if (rc != RK_OK)
        return fail(res, RK_READ_BAD_IMAGE, RK_EUNREADABLE);
    rc = rk_reader_read_image(r, &img, exp, res);
    rk_image_free(&img);
    res->ms_total = now_ms() - t0;
    return rc;
}
