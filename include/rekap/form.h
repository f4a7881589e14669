/* Printable C.Hasil-KWK forms: the layout template, the geometry derived from it, the QR payload,
 * and rendering (PDF/PNG via cairo).
 *
 * The layout is data (forms/chasil-kwk.json, built into the binary; see docs/forms.md) so that the
 * printer and the reader of photographed forms use the very same numbers: rk_form_geometry turns a
 * template plus a candidate count into page coordinates (mm) of every digit box, bubble, corner
 * mark and QR code. A template is untrusted input (a user can swap it) and is parsed strictly:
 * unknown keys, missing or duplicate fields, boxes off the page or overlapping are all errors. */
#ifndef REKAP_FORM_H
#define REKAP_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/election.h"
#include "rekap/region.h"

#define RK_FORM_TEMPLATE_MAX (256u * 1024u) /* bytes of template JSON */
#define RK_FORM_PAGES_MAX 4
#define RK_FORM_ITEMS_MAX 300   /* drawing items per page */
#define RK_FORM_TEXT_MAX 200    /* bytes of one text item (after ${var} expansion too) */
#define RK_FORM_LABEL_MAX 95    /* bytes of a field's label */
#define RK_FORM_ID_MAX 31       /* template id: [a-z0-9-] */
#define RK_FORM_DIGITS 3        /* digit boxes per number (0..999) */
#define RK_FORM_BUBBLES 10      /* bubbles 0..9 under a digit box */
#define RK_FORM_QR_MAX 128      /* bytes of a QR payload incl. terminator */
#define RK_FORM_VALUE_MAX 999

/* ---- the C.Hasil field contract (shared with the document model and the reader) ---- */

/* Number of C.Hasil numeric fields: I (6 rows x L/P/J), II (4), IV (6 candidates), V (3). */
#define RK_FORM_FIELDS 31

/* Returns the contract name of field index i (0..RK_FORM_FIELDS-1), e.g. "pemilih_dpt_l",
 * "suara_paslon_3"; NULL when out of range. */
const char *rk_form_field_name(int i);

/* Returns the index of a field name of len bytes, or -1 when it is not a contract name. */
int rk_form_field_index(const char *name, size_t len);

/* Returns the ballot number (1..6) when field i is suara_paslon_N, else 0. */
int rk_form_field_paslon(int i);

/* ---- template ---- */

enum rk_form_item_type {
    RK_FORM_TEXT = 1,  /* static text, ${var} expanded at render time */
    RK_FORM_RECT,      /* frame, optionally shaded */
    RK_FORM_LINE,      /* straight rule */
    RK_FORM_FIELD,     /* one number: 3 digit boxes (+ bubble columns) */
    RK_FORM_CANDIDATES /* one cell per candidate pair, repeated on a grid */
};

enum rk_form_align { RK_FORM_LEFT = 0, RK_FORM_CENTER, RK_FORM_RIGHT };

enum rk_form_cand_mode { RK_FORM_CAND_VOTES = 1, RK_FORM_CAND_SIGNATURE };

struct rk_form_item {
    enum rk_form_item_type type;
    double x, y;       /* mm from the top-left corner (text: baseline of the first line) */
    double w, h;       /* rect/candidate cell size; text: wrap width (0 = no wrap) */
    double x2, y2;     /* line end */
    double size;       /* text size in pt */
    double line;       /* stroke width in mm */
    double fill;       /* rect shade: 0 = none, else gray level 0..1 (1 = white) */
    bool bold, italic;
    enum rk_form_align align;
    char text[RK_FORM_TEXT_MAX + 1];   /* text; candidates: caption above the boxes */
    int field;                          /* RK_FORM_FIELD: contract index */
    char label[RK_FORM_LABEL_MAX + 1];  /* RK_FORM_FIELD: what the number is */
    bool bubbles;                       /* field / candidate votes: print bubble columns */
    /* RK_FORM_CANDIDATES: cell i (0-based) sits at (x + (i % columns) * dx, y + (i / columns) * dy)
     * and, in votes mode, its number's first box at (cell + field_dx, cell + field_dy). */
    enum rk_form_cand_mode mode;
    int columns;
    double dx, dy, field_dx, field_dy;
};

struct rk_form_page {
    int n;
    struct rk_form_item *items; /* n items, owned by the template */
};

struct rk_form_template {
    char id[RK_FORM_ID_MAX + 1];       /* "chasil-kwk-v1": goes into the QR payload */
    char code[RK_FORM_LABEL_MAX + 1];  /* "MODEL C.HASIL-KWK" */
    double width, height;              /* page size in mm at scale 1 (A4) */
    double plano_scale;                /* factor for the plano print */
    double mark_size, mark_inset;      /* corner mark side and distance from the page edge */
    double qr_x, qr_y, qr_size;        /* QR square incl. its quiet zone */
    double box_w, box_h, box_gap;      /* one digit box; gap between the 3 boxes */
    double bubble_d, bubble_pitch, bubble_gap; /* bubble diameter, row pitch, gap below box */
    int pages;
    struct rk_form_page page[RK_FORM_PAGES_MAX];
};

struct rk_form_error {
    int line;          /* JSON syntax error line, 0 otherwise */
    char where[64];    /* "pages[1].items[4]" or "" */
    char message[200]; /* English */
};

/* Parses and validates a template of len bytes. On success t owns allocations (free with
 * rk_form_template_free); on failure t is left empty and err says where and why. Checks: known
 * keys only, every number finite and within its range, every contract field exactly once
 * (suara_paslon_* come from the single votes-mode candidates item), every box and bubble inside the
 * page, clear of the corner marks and the QR code, and no two numbers' boxes/bubbles overlapping
 * (with the maximum of RK_CANDIDATES_MAX candidates). Returns RK_OK, RK_EPARSE (bad JSON),
 * RK_EINVAL (bad content), RK_ERANGE (value outside its range), RK_ETOOBIG or RK_ENOMEM. */
int rk_form_template_parse(const char *json, size_t len, struct rk_form_template *t,
                           struct rk_form_error *err);

/* Parses the built-in C.Hasil-KWK template (forms/chasil-kwk.json). Returns as above. */
int rk_form_template_builtin(struct rk_form_template *t, struct rk_form_error *err);

/* The built-in template's JSON text (not NUL-terminated) and its length. */
const char *rk_form_builtin_json(size_t *len);

/* Frees what rk_form_template_parse allocated; t becomes empty. NULL-safe, idempotent. */
void rk_form_template_free(struct rk_form_template *t);

/* ---- geometry ---- */

struct rk_form_rect {
    double x, y, w, h; /* mm, top-left origin */
};

struct rk_form_number {
    int field;  /* contract index */
    int page;   /* 1-based */
    bool bubbles;
    struct rk_form_rect box[RK_FORM_DIGITS];                       /* hundreds, tens, units */
    struct rk_form_rect bubble[RK_FORM_DIGITS][RK_FORM_BUBBLES];   /* square around bubble d */
};

/* Corner marks: a square of side mark_size split 2x2; the top-left and bottom-right cells are
 * black (same orientation in all four corners, like the official form). */
enum rk_form_corner { RK_FORM_TL = 0, RK_FORM_TR, RK_FORM_BL, RK_FORM_BR };

struct rk_form_geometry {
    double scale;          /* 1 = A4 */
    double width, height;  /* page size in mm after scaling */
    int pages;
    int ncand;
    struct rk_form_rect mark[4]; /* by enum rk_form_corner; same on every page */
    struct rk_form_rect qr;      /* same on every page */
    int n;                       /* numbers in num[] */
    struct rk_form_number num[RK_FORM_FIELDS];
};

/* Computes the geometry of every mark, QR and number of t for a race with ncand candidate
 * pairs (2..RK_CANDIDATES_MAX), scaled by scale (1 or t->plano_scale; 0.1..10). Numbers appear
 * in contract order; suara_paslon_N for N > ncand are absent. Returns RK_OK or RK_ERANGE. */
int rk_form_geometry(const struct rk_form_template *t, int ncand, double scale,
                     struct rk_form_geometry *g);

/* Returns the geometry entry of contract field index, or NULL when it is not on the form. */
const struct rk_form_number *rk_form_geometry_find(const struct rk_form_geometry *g, int field);

/* ---- QR payload ----
 * "RK1|<election slug>|<race>|<tps13>|<page>/<pages>|<template id>", race = "<kind>-<region>"
 * with kind gub|bup|wko (governor/regent/mayor) and the race's region code, e.g.
 * "RK1|pilkada2024|bup-1101|1101012001001|1/2|chasil-kwk-v1". */
struct rk_form_qr {
    int version; /* 1 */
    char election[RK_ELECTION_SLUG_MAX + 1];
    enum rk_race_kind kind;
    char region[RK_CODE_MAX + 1];
    char tps[RK_CODE_MAX + 1];
    int page, pages;
    char template_id[RK_FORM_ID_MAX + 1];
};

/* Writes the payload of q into buf (cap >= RK_FORM_QR_MAX). Validates every part. Returns RK_OK,
 * RK_EINVAL or RK_ERANGE. */
int rk_form_qr_format(const struct rk_form_qr *q, char *buf, size_t cap);

/* Parses a payload of len bytes (as decoded from a photo: untrusted). Returns RK_OK, RK_EINVAL
 * (malformed, wrong prefix, bad code, page out of range) or RK_EUNSUPPORTED (RK<n> with n != 1). */
int rk_form_qr_parse(const char *s, size_t len, struct rk_form_qr *q);

/* ---- what a printed form is about ---- */

struct rk_form_info {
    char election_slug[RK_ELECTION_SLUG_MAX + 1];
    int year;
    enum rk_race_kind kind;                /* governor, regent or mayor */
    char race_region[RK_CODE_MAX + 1];     /* province or kab/kota code */
    char race_region_name[RK_NAME_MAX + 1];
    char provinsi[RK_NAME_MAX + 1], kabkota[RK_NAME_MAX + 1];
    char kecamatan[RK_NAME_MAX + 1], desa[RK_NAME_MAX + 1];
    char tps[RK_CODE_MAX + 1];             /* 13-digit TPS code */
    int ncand;
    struct rk_candidate cand[RK_CANDIDATES_MAX]; /* by ballot number */
};

/* Checks info is printable: a Pilkada race kind whose region is of the right level and an
 * ancestor of the TPS, a 13-digit TPS code, a valid slug and year, a well-formed candidate list.
 * Returns RK_OK, RK_EINVAL or RK_EUNSUPPORTED (president race); *why gets a static English
 * reason. */
int rk_form_info_check(const struct rk_form_info *info, const char **why);

/* ---- filled-in values (for specimens and synthetic photos) ---- */

struct rk_form_values {
    int v[RK_FORM_FIELDS]; /* 0..999, or -1 = left blank */
};

/* Sets every value to -1 (blank). */
void rk_form_values_clear(struct rk_form_values *vals);

/* Parses {"pemilih_dpt_l": 120, ...}: contract names only, integers 0..999, each at most once,
 * at most RK_FORM_TEMPLATE_MAX bytes. Fields not given stay blank. Returns RK_OK, RK_EPARSE,
 * RK_EINVAL, RK_ERANGE or RK_ETOOBIG; err says which. */
int rk_form_values_parse(const char *json, size_t len, struct rk_form_values *vals,
                         struct rk_form_error *err);

/* ---- rendering (lib/form_render.c, cairo + libqrencode; writes only through callbacks) ---- */

enum rk_form_format { RK_FORM_PDF = 1, RK_FORM_PNG };

#define RK_FORM_DPI_MIN 50
#define RK_FORM_DPI_MAX 600
#define RK_FORM_PIXELS_MAX (120u * 1000u * 1000u) /* refuse rasters over 120 Mpx */

struct rk_form_render_opts {
    enum rk_form_format format;
    double scale;    /* 1 = A4, t->plano_scale = plano */
    int dpi;         /* PNG / raster: RK_FORM_DPI_MIN..MAX */
    int page;        /* 1-based; 0 = every page (PDF only) */
    const struct rk_form_values *fill; /* NULL: blank form; else digits and bubbles filled in */
    uint32_t seed;   /* handwriting jitter of filled-in digits */
};

/* Receives output bytes; returns 0 to go on, non-zero to abort (rendering then fails RK_EIO). */
typedef int (*rk_form_write_fn)(void *ud, const unsigned char *data, size_t len);

/* Renders info's form with template t (validated) as PDF (one or every page) or PNG (one page),
 * streaming the bytes to write. Returns RK_OK, RK_EINVAL (bad options or info, see
 * rk_form_info_check), RK_ERANGE (dpi/page/scale/size out of range), RK_ENOMEM, RK_EIO (write
 * failed) or RK_EINTERNAL (cairo/qrencode failure). */
int rk_form_render(const struct rk_form_template *t, const struct rk_form_info *info,
                   const struct rk_form_render_opts *o, rk_form_write_fn write, void *ud);

/* An 8-bit grayscale raster (0 = black), rows of w bytes. */
struct rk_form_image {
    int w, h;
    unsigned char *px;
};

/* Renders one page (o->page >= 1; o->format ignored) into img (caller frees with
 * rk_form_image_free). Pixel (i, j) covers page mm [i, i+1) * 25.4 / dpi. Returns as
 * rk_form_render. */
int rk_form_render_gray(const struct rk_form_template *t, const struct rk_form_info *info,
                        const struct rk_form_render_opts *o, struct rk_form_image *img);

void rk_form_image_free(struct rk_form_image *img);

/* Releases the process-wide font caches cairo and fontconfig keep after rendering, so leak
 * checkers see a clean exit. Call at most once, at exit, when no rendering runs or will run. */
void rk_form_render_shutdown(void);

#endif
