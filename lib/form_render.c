/* Rendering C.Hasil forms with cairo (PDF, PNG, gray raster) and libqrencode.
 *
 * Everything is drawn in template millimetres; a single cairo matrix maps them to points or pixels
 * and applies the A4/plano scale, so a rendered page matches rk_form_geometry at any scale and DPI.
 * Digit boxes and bubbles are drawn from the geometry itself, never recomputed here. Output goes
 * through a callback: lib/ writes no files. */
#include "rekap/form.h"
#include "rekap/status.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <ctype.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MM_PER_PT (25.4 / 72.0)
#define EXPAND_MAX 640 /* bytes of a text item after ${var} expansion */

/* ---- ${var} values ---- */

struct vars {
    char jabatan[64], jenis[16], wilayah[RK_NAME_MAX + 16], tahun[8], nomor_tps[4];
    char halaman[4], jumlah_halaman[4], rumus_sah[64];
    const char *kode, *pemilihan;
    const struct rk_form_info *info;
};

/* ASCII upper-casing; other bytes (UTF-8) are copied unchanged. */
static void upper_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = 0;
}

static void vars_init(struct vars *v, const struct rk_form_template *t,
                      const struct rk_form_info *info)
{
    memset(v, 0, sizeof *v);
    v->info = info;
    v->kode = t->code;
    v->pemilihan = info->election_slug;
    char region[RK_NAME_MAX + 1];
    upper_copy(region, sizeof region, info->race_region_name);
    switch (info->kind) {
    case RK_RACE_GOVERNOR:
        snprintf(v->jabatan, sizeof v->jabatan, "GUBERNUR DAN WAKIL GUBERNUR");
        snprintf(v->jenis, sizeof v->jenis, "GUBERNUR");
        snprintf(v->wilayah, sizeof v->wilayah, "%s%s",
                 strncmp(region, "PROVINSI ", 9) == 0 ? "" : "PROVINSI ", region);
        break;
    case RK_RACE_REGENT:
        snprintf(v->jabatan, sizeof v->jabatan, "BUPATI DAN WAKIL BUPATI");
        snprintf(v->jenis, sizeof v->jenis, "BUPATI");
        /* Kemendagri spells "KAB. X"; the form spells the word out. */
        if (strncmp(region, "KAB. ", 5) == 0)
            snprintf(v->wilayah, sizeof v->wilayah, "KABUPATEN %s", region + 5);
        else
            snprintf(v->wilayah, sizeof v->wilayah, "%s%s",
                     strncmp(region, "KABUPATEN ", 10) == 0 ? "" : "KABUPATEN ", region);
        break;
    default:
        snprintf(v->jabatan, sizeof v->jabatan, "WALI KOTA DAN WAKIL WALI KOTA");
        snprintf(v->jenis, sizeof v->jenis, "WALIKOTA");
        snprintf(v->wilayah, sizeof v->wilayah, "%s%s",
                 strncmp(region, "KOTA ", 5) == 0 ? "" : "KOTA ", region);
        break;
    }
    snprintf(v->tahun, sizeof v->tahun, "%d", info->year);
    snprintf(v->nomor_tps, sizeof v->nomor_tps, "%s", info->tps + 10);
    snprintf(v->jumlah_halaman, sizeof v->jumlah_halaman, "%d", t->pages);
    size_t off = 0;
    for (int i = 1; i <= info->ncand && off < sizeof v->rumus_sah; i++)
        off += (size_t)snprintf(v->rumus_sah + off, sizeof v->rumus_sah - off, "%sIV.%d",
                                i > 1 ? " + " : "", i);
}

static const char *var_value(const struct vars *v, const char *name, size_t n)
{
#define IS(s) (strlen(s) == n && memcmp(s, name, n) == 0)
    if (IS("pemilihan"))
        return v->pemilihan;
    if (IS("tahun"))
        return v->tahun;
    if (IS("jabatan"))
        return v->jabatan;
    if (IS("jenis"))
        return v->jenis;
    if (IS("kode"))
        return v->kode;
    if (IS("wilayah"))
        return v->wilayah;
    if (IS("provinsi"))
        return v->info->provinsi;
    if (IS("kabkota"))
        return v->info->kabkota;
    if (IS("kecamatan"))
        return v->info->kecamatan;
    if (IS("desa"))
        return v->info->desa;
    if (IS("tps"))
        return v->info->tps;
    if (IS("nomor_tps"))
        return v->nomor_tps;
    if (IS("halaman"))
        return v->halaman;
    if (IS("jumlah_halaman"))
        return v->jumlah_halaman;
    if (IS("rumus_sah"))
        return v->rumus_sah;
#undef IS
    return "";
}

/* Expands ${var} in src into dst (EXPAND_MAX), cutting at a UTF-8 boundary when too long. */
static void expand(const struct vars *v, const char *src, char *dst)
{
    size_t o = 0;
    for (const char *p = src; *p && o + 1 < EXPAND_MAX;) {
        const char *end;
        if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}'))) {
            const char *val = var_value(v, p + 2, (size_t)(end - p - 2));
            for (; *val && o + 1 < EXPAND_MAX; val++)
                dst[o++] = *val;
            p = end + 1;
        } else {
            dst[o++] = *p++;
        }
    }
    while (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
        o--; /* drop a possibly cut multi-byte sequence tail ... */
    if (o > 0 && ((unsigned char)dst[o - 1] & 0xC0) == 0xC0)
        o--; /* ... and its lead byte */
    dst[o] = 0;
}

/* ---- text ---- */

static void set_font(cairo_t *cr, double size_pt, bool bold, bool italic)
{
    cairo_select_font_face(cr, "DejaVu Sans",
                           italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size_pt * MM_PER_PT);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

static void show_at(cairo_t *cr, double x, double y, const char *s, enum rk_form_align a)
{
    double w = a == RK_FORM_LEFT ? 0 : text_width(cr, s);
    cairo_move_to(cr, a == RK_FORM_CENTER ? x - w / 2 : a == RK_FORM_RIGHT ? x - w : x, y);
    cairo_show_text(cr, s);
}

/* Draws s at (x, y) (baseline), greedily wrapped at width mm when width > 0. */
static void draw_text(cairo_t *cr, double x, double y, double width, double size_pt,
                      const char *s, enum rk_form_align a)
{
    if (width <= 0) {
        show_at(cr, x, y, s, a);
        return;
    }
    char line[EXPAND_MAX];
    size_t n = 0;
    const char *p = s;
    double lh = size_pt * MM_PER_PT * 1.25;
    while (*p) {
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t wl = (size_t)(p - word);
        char trial[EXPAND_MAX];
        if (n + 1 + wl + 1 > sizeof trial)
            break;
        memcpy(trial, line, n);
        size_t tn = n;
        if (tn)
            trial[tn++] = ' ';
        memcpy(trial + tn, word, wl);
        trial[tn + wl] = 0;
        if (n && text_width(cr, trial) > width) {
            line[n] = 0;
            show_at(cr, x, y, line, a);
            y += lh;
            memcpy(line, word, wl);
            n = wl;
        } else {
            memcpy(line, trial, tn + wl);
            n = tn + wl;
        }
        while (*p == ' ')
            p++;
    }
    if (n) {
        line[n] = 0;
        show_at(cr, x, y, line, a);
    }
}

/* Draws s centred at x, shrinking the font until it fits width (down to 45%). */
static void draw_fit(cairo_t *cr, double x, double y, double width, double size_pt, bool bold,
                     const char *s)
{
    double sz = size_pt;
    set_font(cr, sz, bold, false);
    while (text_width(cr, s) > width && sz > size_pt * 0.45) {
        sz *= 0.92;
        set_font(cr, sz, bold, false);
    }
    show_at(cr, x, y, s, RK_FORM_CENTER);
}

/* ---- handwriting-like digits (filled-in specimens) ---- */

struct rng {
    uint32_t s;
};

static double rnd(struct rng *r) /* uniform in [-1, 1) */
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 17;
    r->s ^= r->s << 5;
    return (double)(r->s & 0xFFFFFF) / (double)0x800000 - 1.0;
}

/* Stroke paths of block-ish handwritten digits in a unit box (x right, y down), -1 ends a
 * stroke, -2 ends the digit. Smoothed through Catmull-Rom curves when drawn. */
static const double digit_pts[10][40] = {
    {0.50, 0.05, 0.20, 0.20, 0.14, 0.55, 0.28, 0.90, 0.55, 0.96, 0.80, 0.75, 0.86, 0.40, 0.72,
     0.12, 0.50, 0.05, 0.40, 0.10, -2},
    {0.30, 0.22, 0.56, 0.04, 0.54, 0.50, 0.55, 0.96, -2},
    {0.15, 0.25, 0.40, 0.05, 0.75, 0.10, 0.80, 0.35, 0.50, 0.65, 0.14, 0.95, 0.50, 0.93, 0.88,
     0.94, -2},
    {0.15, 0.12, 0.55, 0.04, 0.82, 0.20, 0.45, 0.47, 0.82, 0.65, 0.75, 0.90, 0.40, 0.96, 0.12,
     0.85, -2},
    {0.62, 0.04, 0.35, 0.40, 0.12, 0.66, 0.55, 0.66, 0.90, 0.64, -1, 0.70, 0.35, 0.70, 0.65, 0.68,
     0.97, -2},
    {0.82, 0.06, 0.50, 0.06, 0.24, 0.07, 0.20, 0.45, 0.55, 0.40, 0.82, 0.60, 0.75, 0.88, 0.45,
     0.97, 0.14, 0.86, -2},
    {0.75, 0.06, 0.40, 0.25, 0.18, 0.62, 0.30, 0.93, 0.65, 0.94, 0.82, 0.70, 0.60, 0.50, 0.30,
     0.56, 0.20, 0.66, -2},
    {0.12, 0.10, 0.50, 0.07, 0.88, 0.08, 0.62, 0.50, 0.42, 0.96, -1, 0.35, 0.52, 0.75, 0.50, -2},
    {0.50, 0.48, 0.20, 0.30, 0.35, 0.06, 0.68, 0.08, 0.78, 0.28, 0.50, 0.48, 0.18, 0.70, 0.35,
     0.95, 0.70, 0.94, 0.82, 0.70, 0.50, 0.48, -2},
    {0.80, 0.30, 0.55, 0.48, 0.22, 0.38, 0.28, 0.08, 0.62, 0.05, 0.80, 0.25, 0.78, 0.60, 0.70,
     0.96, -2},
};

static void stroke_smooth(cairo_t *cr, const double *px, const double *py, int n)
{
    cairo_move_to(cr, px[0], py[0]);
    for (int i = 0; i + 1 < n; i++) {
        double x0 = px[i > 0 ? i - 1 : i], y0 = py[i > 0 ? i - 1 : i];
        double x3 = px[i + 2 < n ? i + 2 : i + 1], y3 = py[i + 2 < n ? i + 2 : i + 1];
        cairo_curve_to(cr, px[i] + (px[i + 1] - x0) / 6, py[i] + (py[i + 1] - y0) / 6,
                       px[i + 1] - (x3 - px[i]) / 6, py[i + 1] - (y3 - py[i]) / 6, px[i + 1],
                       py[i + 1]);
    }
    cairo_stroke(cr);
}

static void draw_digit(cairo_t *cr, int d, struct rk_form_rect box, struct rng *r)
{
    /* Writers leave a margin and lean a little; both vary per digit. */
    double mx = box.w * (0.2 + 0.05 * rnd(r)), my = box.h * (0.14 + 0.04 * rnd(r));
    double w = box.w - 2 * mx, h = box.h - 2 * my, slant = 0.12 + 0.08 * rnd(r);
    double ox = box.x + mx + 0.04 * box.w * rnd(r), oy = box.y + my + 0.03 * box.h * rnd(r);
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.07, 0.08, 0.22);
    cairo_set_line_width(cr, 0.45 + 0.1 * rnd(r));
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    double px[24], py[24];
    int n = 0;
    for (const double *p = digit_pts[d];; p += 2) {
        if (*p < 0) {
            if (n > 1)
                stroke_smooth(cr, px, py, n);
            n = 0;
            if (*p < -1.5)
                break;
            p--; /* a -1 marker is one slot, not a pair */
            continue;
        }
        if (n < 24) {
            double u = p[0] + 0.035 * rnd(r), v = p[1] + 0.035 * rnd(r);
            px[n] = ox + u * w + (1 - v) * h * slant * 0.3;
            py[n] = oy + v * h;
            n++;
        }
    }
    cairo_restore(cr);
}

/* ---- page parts ---- */

static void draw_marks(cairo_t *cr, const struct rk_form_geometry *g)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int c = 0; c < 4; c++) {
        struct rk_form_rect m = g->mark[c];
        cairo_rectangle(cr, m.x, m.y, m.w / 2, m.h / 2);
        cairo_rectangle(cr, m.x + m.w / 2, m.y + m.h / 2, m.w / 2, m.h / 2);
    }
    cairo_fill(cr);
}

static int draw_qr(cairo_t *cr, struct rk_form_rect r, const char *payload)
{
    QRcode *q = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return RK_EINTERNAL;
    double mod = r.w / (q->width + 8); /* 4-module quiet zone each side, inside r */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int y = 0; y < q->width; y++)
        for (int x = 0; x < q->width; x++)
            if (q->data[y * q->width + x] & 1)
                cairo_rectangle(cr, r.x + (x + 4) * mod, r.y + (y + 4) * mod, mod, mod);
    cairo_fill(cr);
    QRcode_free(q);
    return RK_OK;
}

static void draw_number(cairo_t *cr, const struct rk_form_number *n,
                        const struct rk_form_values *fill, struct rng *r)
{
    int val = fill ? fill->v[n->field] : -1;
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.35);
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        struct rk_form_rect b = n->box[d];
        cairo_rectangle(cr, b.x, b.y, b.w, b.h);
    }
    cairo_stroke(cr);
    if (n->bubbles) {
        cairo_set_line_width(cr, 0.18);
        set_font(cr, 5.5, false, false);
        for (int d = 0; d < RK_FORM_DIGITS; d++) {
            for (int k = 0; k < RK_FORM_BUBBLES; k++) {
                struct rk_form_rect c = n->bubble[d][k];
                cairo_new_sub_path(cr);
                cairo_arc(cr, c.x + c.w / 2, c.y + c.h / 2, c.w / 2, 0, 2 * M_PI);
                cairo_stroke(cr);
                char s[2] = {(char)('0' + k), 0};
                show_at(cr, c.x + c.w / 2, c.y + c.h / 2 + c.h * 0.22, s, RK_FORM_CENTER);
            }
        }
    }
    if (val < 0)
        return;
    int digits[RK_FORM_DIGITS] = {val / 100, val / 10 % 10, val % 10};
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        draw_digit(cr, digits[d], n->box[d], r);
        if (!n->bubbles)
            continue;
        struct rk_form_rect c = n->bubble[d][digits[d]];
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.12);
        cairo_new_sub_path(cr);
        cairo_arc(cr, c.x + c.w / 2 + 0.15 * rnd(r), c.y + c.h / 2 + 0.15 * rnd(r),
                  c.w / 2 * (0.95 + 0.08 * rnd(r)), 0, 2 * M_PI);
        cairo_fill(cr);
    }
}

/* Candidate name lines: "CALON - WAKIL" is printed as two lines; the empty column as one. */
static void name_lines(const struct rk_candidate *c, char a[RK_CANDIDATE_NAME_MAX + 1],
                       char b[RK_CANDIDATE_NAME_MAX + 1])
{
    a[0] = b[0] = 0;
    if (c->kolom_kosong) {
        snprintf(a, RK_CANDIDATE_NAME_MAX + 1, "KOLOM KOSONG");
        return;
    }
    const char *sep = strstr(c->name, " - ");
    if (!sep) {
        snprintf(a, RK_CANDIDATE_NAME_MAX + 1, "%s", c->name);
        return;
    }
    snprintf(a, RK_CANDIDATE_NAME_MAX + 1, "%.*s", (int)(sep - c->name), c->name);
    snprintf(b, RK_CANDIDATE_NAME_MAX + 1, "%s", sep + 3);
}

static void draw_candidates(cairo_t *cr, const struct rk_form_item *it,
                            const struct rk_form_info *info, const struct vars *v)
{
    for (int i = 0; i < info->ncand; i++) {
        double x = it->x + (i % it->columns) * it->dx, y = it->y + (i / it->columns) * it->dy;
        const struct rk_candidate *c = &info->cand[i];
        char a[RK_CANDIDATE_NAME_MAX + 1], b[RK_CANDIDATE_NAME_MAX + 1];
        name_lines(c, a, b);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, it->mode == RK_FORM_CAND_VOTES ? 0.4 : 0.3);
        cairo_rectangle(cr, x, y, it->w, it->h);
        cairo_stroke(cr);
        char num[8];
        snprintf(num, sizeof num, "%d", c->ballot_no);
        if (it->mode == RK_FORM_CAND_VOTES) {
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_rectangle(cr, x, y, it->w, 15);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_set_line_width(cr, 0.2);
            cairo_move_to(cr, x, y + 15);
            cairo_line_to(cr, x + it->w, y + 15);
            cairo_stroke(cr);
            set_font(cr, 20, true, false);
            show_at(cr, x + 6, y + 11, num, RK_FORM_CENTER);
            double nx = x + 12 + (it->w - 13) / 2, nw = it->w - 14;
            if (b[0]) {
                draw_fit(cr, nx, y + 6, nw, 6.5, true, a);
                draw_fit(cr, nx, y + 11.5, nw, 6.5, true, b);
            } else {
                draw_fit(cr, nx, y + 9, nw, 7.5, true, a);
            }
            if (it->text[0]) {
                char cap[EXPAND_MAX];
                expand(v, it->text, cap);
                set_font(cr, 6.5, true, false);
                show_at(cr, x + it->w / 2, y + it->field_dy - 2, cap, RK_FORM_CENTER);
            }
        } else {
            char label[RK_CANDIDATE_NAME_MAX + 8];
            snprintf(label, sizeof label, "%s. %s", num, a);
            draw_fit(cr, x + it->w / 2, y + 3.5, it->w - 2, 5.5, true, label);
            set_font(cr, 5.5, false, false);
            show_at(cr, x + it->w / 2, y + it->h - 1.5, "( .................. )", RK_FORM_CENTER);
        }
    }
}

struct page_ctx {
    const struct rk_form_template *t;
    const struct rk_form_info *info;
    const struct rk_form_geometry *g; /* at scale 1: the cairo matrix applies the scale */
    const struct rk_form_values *fill;
    uint32_t seed;
};

static int draw_page(cairo_t *cr, const struct page_ctx *pc, int page)
{
    const struct rk_form_template *t = pc->t;
    struct vars v;
    vars_init(&v, t, pc->info);
    snprintf(v.halaman, sizeof v.halaman, "%d", page);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    const struct rk_form_page *pg = &t->page[page - 1];
    for (int i = 0; i < pg->n; i++) {
        const struct rk_form_item *it = &pg->items[i];
        cairo_set_source_rgb(cr, 0, 0, 0);
        switch (it->type) {
        case RK_FORM_TEXT: {
            char s[EXPAND_MAX];
            expand(&v, it->text, s);
            set_font(cr, it->size, it->bold, it->italic);
            draw_text(cr, it->x, it->y, it->w, it->size, s, it->align);
            break;
        }
        case RK_FORM_RECT:
            cairo_rectangle(cr, it->x, it->y, it->w, it->h);
            if (it->fill > 0) {
                cairo_set_source_rgb(cr, it->fill, it->fill, it->fill);
                cairo_fill_preserve(cr);
                cairo_set_source_rgb(cr, 0, 0, 0);
            }
            if (it->line > 0) {
                cairo_set_line_width(cr, it->line);
                cairo_stroke(cr);
            }
            cairo_new_path(cr);
            break;
        case RK_FORM_LINE:
            cairo_set_line_width(cr, it->line);
            cairo_move_to(cr, it->x, it->y);
            cairo_line_to(cr, it->x2, it->y2);
            cairo_stroke(cr);
            break;
        case RK_FORM_CANDIDATES:
            draw_candidates(cr, it, pc->info, &v);
            break;
        case RK_FORM_FIELD:
            break; /* drawn from the geometry below */
        }
    }
    struct rng r = {pc->seed * 2654435761u + (uint32_t)page * 40503u + 1u};
    for (int i = 0; i < pc->g->n; i++)
        if (pc->g->num[i].page == page)
            draw_number(cr, &pc->g->num[i], pc->fill, &r);
    draw_marks(cr, pc->g);
    struct rk_form_qr q = {.version = 1, .kind = pc->info->kind, .page = page, .pages = t->pages};
    memcpy(q.election, pc->info->election_slug, sizeof q.election);
    memcpy(q.region, pc->info->race_region, sizeof q.region);
    memcpy(q.tps, pc->info->tps, sizeof q.tps);
    memcpy(q.template_id, t->id, sizeof q.template_id);
    char payload[RK_FORM_QR_MAX];
    int rc = rk_form_qr_format(&q, payload, sizeof payload);
    if (rc == RK_OK)
        rc = draw_qr(cr, pc->g->qr, payload);
    if (rc == RK_OK && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rc = cairo_status(cr) == CAIRO_STATUS_NO_MEMORY ? RK_ENOMEM : RK_EINTERNAL;
    return rc;
}

/* ---- entry points ---- */

struct sink {
    rk_form_write_fn write;
    void *ud;
    bool failed;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
    struct sink *s = closure;
    if (s->failed || s->write(s->ud, data, len) != 0) {
        s->failed = true;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

static int check_opts(const struct rk_form_template *t, const struct rk_form_info *info,
                      const struct rk_form_render_opts *o, bool raster, struct page_ctx *pc,
                      struct rk_form_geometry *g, int *w, int *h)
{
    if (!t->pages || rk_form_info_check(info, NULL) != RK_OK)
        return RK_EINVAL;
    if (o->page < 0 || o->page > t->pages || (raster && o->page == 0))
        return RK_ERANGE;
    int rc = rk_form_geometry(t, info->ncand, 1.0, g);
    if (rc != RK_OK)
        return rc;
    if (!isfinite(o->scale) || o->scale < 0.1 || o->scale > 10)
        return RK_ERANGE;
    if (raster) {
        if (o->dpi < RK_FORM_DPI_MIN || o->dpi > RK_FORM_DPI_MAX)
            return RK_ERANGE;
        double pw = t->width * o->scale * o->dpi / 25.4, ph = t->height * o->scale * o->dpi / 25.4;
        if (pw < 1 || ph < 1 || pw * ph > (double)RK_FORM_PIXELS_MAX)
            return RK_ERANGE;
        *w = (int)lround(pw);
        *h = (int)lround(ph);
    }
    *pc = (struct page_ctx){t, info, g, o->fill, o->seed};
    return RK_OK;
}

/* Renders one page onto a fresh RGB image surface. */
static int raster_page(const struct page_ctx *pc, const struct rk_form_render_opts *o, int w,
                       int h, cairo_surface_t **out)
{
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        return RK_ENOMEM;
    }
    cairo_t *cr = cairo_create(surf);
    double k = o->dpi / 25.4 * o->scale;
    cairo_scale(cr, k, k);
    int rc = draw_page(cr, pc, o->page);
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    if (rc != RK_OK) {
        cairo_surface_destroy(surf);
        return rc;
    }
    *out = surf;
    return RK_OK;
}

int rk_form_render(const struct rk_form_template *t, const struct rk_form_info *info,
                   const struct rk_form_render_opts *o, rk_form_write_fn write, void *ud)
{
    struct rk_form_geometry *g = malloc(sizeof *g);
    if (!g)
        return RK_ENOMEM;
    struct page_ctx pc;
    struct sink sink = {write, ud, false};
    int w = 0, h = 0, rc;
    if (o->format == RK_FORM_PNG) {
        rc = check_opts(t, info, o, true, &pc, g, &w, &h);
        cairo_surface_t *surf = NULL;
        if (rc == RK_OK)
            rc = raster_page(&pc, o, w, h, &surf);
        if (rc == RK_OK) {
            if (cairo_surface_write_to_png_stream(surf, sink_write, &sink) != CAIRO_STATUS_SUCCESS)
                rc = sink.failed ? RK_EIO : RK_EINTERNAL;
            cairo_surface_destroy(surf);
        }
    } else if (o->format == RK_FORM_PDF) {
        rc = check_opts(t, info, o, false, &pc, g, &w, &h);
        if (rc == RK_OK) {
            double k = 72.0 / 25.4 * o->scale;
            cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(
                sink_write, &sink, t->width * k, t->height * k);
            cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, t->code);
            cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "rekap");
            cairo_t *cr = cairo_create(surf);
            cairo_scale(cr, k, k);
            for (int p = 1; p <= t->pages && rc == RK_OK; p++) {
                if (o->page && p != o->page)
                    continue;
                rc = draw_page(cr, &pc, p);
                cairo_show_page(cr);
            }
            cairo_destroy(cr);
            cairo_surface_finish(surf);
            if (rc == RK_OK && cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
                rc = sink.failed ? RK_EIO : RK_EINTERNAL;
            cairo_surface_destroy(surf);
        }
    } else {
        rc = RK_EINVAL;
    }
    free(g);
    return rc;
}

int rk_form_render_gray(const struct rk_form_template *t, const struct rk_form_info *info,
                        const struct rk_form_render_opts *o, struct rk_form_image *img)
{
    memset(img, 0, sizeof *img);
    struct rk_form_geometry *g = malloc(sizeof *g);
    if (!g)
        return RK_ENOMEM;
    struct page_ctx pc;
    int w = 0, h = 0;
    cairo_surface_t *surf = NULL;
    int rc = check_opts(t, info, o, true, &pc, g, &w, &h);
    if (rc == RK_OK)
        rc = raster_page(&pc, o, w, h, &surf);
    if (rc == RK_OK) {
        img->px = malloc((size_t)w * (size_t)h);
        if (!img->px) {
            rc = RK_ENOMEM;
        } else {
            img->w = w, img->h = h;
            const unsigned char *data = cairo_image_surface_get_data(surf);
            int stride = cairo_image_surface_get_stride(surf);
            for (int y = 0; y < h; y++) {
                const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
                for (int x = 0; x < w; x++) {
                    uint32_t p = row[x];
                    unsigned r = p >> 16 & 0xFF, gg = p >> 8 & 0xFF, b = p & 0xFF;
                    img->px[(size_t)y * (size_t)w + (size_t)x] =
                        (unsigned char)((r * 299 + gg * 587 + b * 114 + 500) / 1000);
                }
            }
        }
        cairo_surface_destroy(surf);
    }
    free(g);
    return rc;
}

void rk_form_image_free(struct rk_form_image *img)
{
    if (!img)
        return;
    free(img->px);
    memset(img, 0, sizeof *img);
}

void rk_form_render_shutdown(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
