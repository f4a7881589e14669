/* Printable D.Hasil (PDF via cairo): a paginated table of a checked recap document.
 *
 * Pagination is planned before anything is drawn (plan_pages) so every page can say "x of y"
 * and the layout that rk_dhasil_layout reports is exactly the one rendered. All drawing is in
 * millimetres; one cairo matrix maps them to PDF points. Output goes through a callback: lib/
 * writes no files. Fonts: DejaVu Sans through fontconfig, as lib/form_render.c. */
#include "rekap/dhasil.h"
#include "rekap/status.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MM_PER_PT (25.4 / 72.0)
#define MARGIN 10.0
#define ROW_H 4.6            /* table row */
#define HEAD_FIRST 37.0      /* page heading on page 1 (title, race, region block) */
#define HEAD_OTHER 15.0      /* compact heading on later pages */
#define THEAD_H 13.0         /* table header (repeated on every page) */
#define FOOT_H 11.0          /* footer band */
#define END_BLOCK 34.0       /* totals, shares, participation and status after the last row */
#define SPILL_ROWS 3         /* rows moved along so the totals never stand alone on a page */
#define TEXT_MAX 600

/* ---- text ---- */

static void set_font(cairo_t *cr, double size_pt, bool bold)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size_pt * MM_PER_PT);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

enum align { LEFT, CENTER, RIGHT };

static void show(cairo_t *cr, double x, double y, const char *s, enum align a)
{
    double w = a == LEFT ? 0 : text_width(cr, s);
    cairo_move_to(cr, a == CENTER ? x - w / 2 : a == RIGHT ? x - w : x, y);
    cairo_show_text(cr, s);
}

/* Draws s in a cell [x, x + w) at baseline y, shrinking the font (down to 50%) to fit. */
static void cell(cairo_t *cr, double x, double w, double y, const char *s, enum align a,
                 double size_pt, bool bold)
{
    const double pad = 1.0;
    double sz = size_pt;
    set_font(cr, sz, bold);
    while (text_width(cr, s) > w - 2 * pad && sz > size_pt * 0.5) {
        sz *= 0.92;
        set_font(cr, sz, bold);
    }
    double tx = a == LEFT ? x + pad : a == RIGHT ? x + w - pad : x + w / 2;
    /* Whatever still does not fit is cut at the cell's edges, never drawn over a neighbour. */
    cairo_save(cr);
    cairo_rectangle(cr, x, y - 12, w, 16);
    cairo_clip(cr);
    show(cr, tx, y, s, a);
    cairo_restore(cr);
}

/* Greedy word wrap of s into at most 2 lines fitting width at size_pt: a and b. */
static void wrap2(cairo_t *cr, const char *s, double width, double size_pt, bool bold, char *a,
                  char *b, size_t cap)
{
    set_font(cr, size_pt, bold);
    a[0] = b[0] = 0;
    if (text_width(cr, s) <= width) {
        snprintf(a, cap, "%s", s);
        return;
    }
    /* Prefer the pair separator " - " (CALON - WAKIL), else the last space that fits. */
    const char *sep = strstr(s, " - ");
    if (sep) {
        snprintf(a, cap, "%.*s", (int)(sep - s), s);
        snprintf(b, cap, "%s", sep + 3);
        return;
    }
    size_t best = 0;
    for (size_t i = 1; s[i]; i++) {
        if (s[i] != ' ')
            continue;
        char t[TEXT_MAX];
        snprintf(t, sizeof t, "%.*s", (int)i, s);
        if (text_width(cr, t) <= width)
            best = i;
    }
    if (!best) {
        snprintf(a, cap, "%s", s);
        return;
    }
    snprintf(a, cap, "%.*s", (int)best, s);
    snprintf(b, cap, "%s", s + best + 1);
}

/* 1234567 -> "1.234.567" (Indonesian thousands separator). */
static void group_digits(int64_t v, char *buf, size_t cap)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%lld", (long long)v);
    size_t n = strlen(raw), o = 0;
    size_t start = raw[0] == '-' ? 1 : 0;
    if (start && o + 1 < cap)
        buf[o++] = '-';
    for (size_t i = start; i < n && o + 1 < cap; i++) {
        if (i > start && (n - i) % 3 == 0 && o + 1 < cap)
            buf[o++] = '.';
        if (o + 1 < cap)
            buf[o++] = raw[i];
    }
    buf[o] = 0;
}

static void upper_copy(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = 0;
}

/* "PEMILIHAN BUPATI DAN WAKIL BUPATI KABUPATEN ACEH SELATAN TAHUN 2024". */
static void race_title(const struct rk_dhasil_header *h, char *buf, size_t cap)
{
    char region[RK_NAME_MAX + 1];
    char name[RK_NAME_MAX + 16];
    const struct rk_region *rr = &h->region;
    /* The race's region name: the recap region itself or the matching ancestor. */
    const char *rn = h->race.kind == RK_RACE_GOVERNOR ? h->provinsi : h->kabkota;
    if (rk_code_level(rr->code) == (int)rk_race_kind_level(h->race.kind))
        rn = rr->name;
    upper_copy(region, sizeof region, rn);
    switch (h->race.kind) {
    case RK_RACE_GOVERNOR:
        snprintf(name, sizeof name, "%s%s", strncmp(region, "PROVINSI ", 9) == 0 ? "" : "PROVINSI ",
                 region);
        snprintf(buf, cap, "PEMILIHAN GUBERNUR DAN WAKIL GUBERNUR %s TAHUN %d", name, h->year);
        break;
    case RK_RACE_REGENT:
        if (strncmp(region, "KAB. ", 5) == 0)
            snprintf(name, sizeof name, "KABUPATEN %s", region + 5);
        else
            snprintf(name, sizeof name, "%s%s",
                     strncmp(region, "KABUPATEN ", 10) == 0 ? "" : "KABUPATEN ", region);
        snprintf(buf, cap, "PEMILIHAN BUPATI DAN WAKIL BUPATI %s TAHUN %d", name, h->year);
        break;
    case RK_RACE_MAYOR:
        snprintf(name, sizeof name, "%s%s", strncmp(region, "KOTA ", 5) == 0 ? "" : "KOTA ",
                 region);
        snprintf(buf, cap, "PEMILIHAN WALI KOTA DAN WAKIL WALI KOTA %s TAHUN %d", name, h->year);
        break;
    default:
        snprintf(buf, cap, "PEMILIHAN UMUM PRESIDEN DAN WAKIL PRESIDEN TAHUN %d", h->year);
        break;
    }
}

static const char *level_upper(enum rk_level l)
{
    switch (l) {
    case RK_LEVEL_NATIONAL:
        return "NASIONAL";
    case RK_LEVEL_PROVINCE:
        return "PROVINSI";
    case RK_LEVEL_KABKOTA:
        return "KABUPATEN/KOTA";
    default:
        return "KECAMATAN";
    }
}

/* ---- layout ---- */

enum col_kind { C_NO, C_A, C_B, C_VOTE, C_SAH, C_TS, C_TOT, C_PENGGUNA, C_PROG };

struct col {
    enum col_kind kind;
    int cand; /* C_VOTE: 0-based */
    double x, w;
};

#define COLS_MAX (8 + RK_CANDIDATES_MAX)

struct plan {
    struct rk_dhasil_layout lay;
    int ncols;
    struct col col[COLS_MAX];
    int *start; /* lay.pages + 1 entries: rows [start[p], start[p+1]) on page p */
};

static void place_columns(const struct rk_dhasil *d, struct plan *pl)
{
    bool tps = d->row_level == RK_LEVEL_TPS;
    double usable = pl->lay.width - 2 * MARGIN;
    double wa = tps ? 36 : 14, wb = tps ? 10 : 38;
    const double fixed_rest = 7 + 19 + 16 + 19 + 18 + 22;
    double wv = (usable - fixed_rest - wa - wb) / d->h.ncand;
    if (wv > 30) { /* wide page, few pairs: give the names the room */
        double extra = (wv - 30) * d->h.ncand;
        wv = 30;
        if (tps)
            wa += extra;
        else
            wb += extra;
    }
    struct {
        enum col_kind k;
        double w;
    } spec[] = {{C_NO, 7}, {C_A, wa}, {C_B, wb}};
    int n = 0;
    double x = MARGIN;
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        pl->col[n] = (struct col){spec[i].k, 0, x, spec[i].w};
        x += spec[i].w;
        n++;
    }
    for (int c = 0; c < d->h.ncand; c++) {
        pl->col[n++] = (struct col){C_VOTE, c, x, wv};
        x += wv;
    }
    const struct {
        enum col_kind k;
        double w;
    } tail[] = {{C_SAH, 19}, {C_TS, 16}, {C_TOT, 19}, {C_PENGGUNA, 18}, {C_PROG, 22}};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++) {
        pl->col[n++] = (struct col){tail[i].k, 0, x, tail[i].w};
        x += tail[i].w;
    }
    pl->ncols = n;
}

/* Rows that fit under a heading of head mm. */
static int rows_fit(double page_h, double head)
{
    double body = page_h - MARGIN - head - THEAD_H - FOOT_H - MARGIN;
    return body > ROW_H ? (int)floor(body / ROW_H) : 1;
}

static int plan_pages(const struct rk_dhasil *d, struct plan *pl)
{
    memset(pl, 0, sizeof *pl);
    struct rk_dhasil_layout *lay = &pl->lay;
    lay->landscape = d->h.ncand > 2;
    lay->width = lay->landscape ? 297 : 210;
    lay->height = lay->landscape ? 210 : 297;
    lay->rows_first = rows_fit(lay->height, HEAD_FIRST);
    lay->rows_other = rows_fit(lay->height, HEAD_OTHER);
    place_columns(d, pl);
    int block = (int)ceil(END_BLOCK / ROW_H);
    /* At worst every page holds rows_other - SPILL_ROWS rows, plus the totals' own page. */
    int maxpages = d->nrows / (lay->rows_other > SPILL_ROWS + 1 ? lay->rows_other - SPILL_ROWS : 1)
                   + 3;
    pl->start = malloc((size_t)(maxpages + 1) * sizeof *pl->start);
    if (!pl->start)
        return RK_ENOMEM;
    int p = 0, i = 0;
    for (;;) {
        int cap = p == 0 ? lay->rows_first : lay->rows_other;
        int left = d->nrows - i;
        pl->start[p] = i;
        if (left + block <= cap) {
            i = d->nrows;
            p++;
            break;
        }
        /* Not all of it fits with the totals: fill the page, but when the rest would fit
         * except for the totals, hold a few rows back to keep them company. */
        int take = left <= cap ? (left > SPILL_ROWS ? left - SPILL_ROWS : 0) : cap;
        i += take;
        p++;
        if (p >= maxpages)
            return RK_EINTERNAL; /* cannot happen: maxpages bounds the loop above */
    }
    pl->start[p] = i;
    lay->pages = p;
    return RK_OK;
}

int rk_dhasil_layout(const struct rk_dhasil *d, struct rk_dhasil_layout *lay)
{
    memset(lay, 0, sizeof *lay);
    if (!d->checked)
        return RK_EINVAL;
    struct plan pl;
    int rc = plan_pages(d, &pl);
    if (rc == RK_OK)
        *lay = pl.lay;
    free(pl.start);
    return rc;
}

/* ---- drawing ---- */

static void hline(cairo_t *cr, double x0, double x1, double y, double lw)
{
    cairo_set_line_width(cr, lw);
    cairo_move_to(cr, x0, y);
    cairo_line_to(cr, x1, y);
    cairo_stroke(cr);
}

static void shade(cairo_t *cr, double x, double y, double w, double h, double gray)
{
    cairo_set_source_rgb(cr, gray, gray, gray);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

static double table_x0(const struct plan *pl)
{
    return pl->col[0].x;
}

static double table_x1(const struct plan *pl)
{
    const struct col *c = &pl->col[pl->ncols - 1];
    return c->x + c->w;
}

/* Vertical rules of the table between y0 and y1. */
static void vrules(cairo_t *cr, const struct plan *pl, double y0, double y1)
{
    cairo_set_line_width(cr, 0.15);
    for (int c = 1; c < pl->ncols; c++) {
        cairo_move_to(cr, pl->col[c].x, y0);
        cairo_line_to(cr, pl->col[c].x, y1);
    }
    cairo_stroke(cr);
}

static void region_line(char *buf, size_t cap, const char *label, const char *name,
                        const char *code)
{
    char up[RK_NAME_MAX + 1];
    upper_copy(up, sizeof up, name);
    snprintf(buf, cap, "%s: %s (%s)", label, up[0] ? up : "-", code);
}

static void draw_heading(cairo_t *cr, const struct rk_dhasil *d, const struct plan *pl, int page,
                         const struct rk_dhasil_progress *pr)
{
    const struct rk_dhasil_header *h = &d->h;
    double W = pl->lay.width, cx = W / 2, y = MARGIN + 4;
    char title[TEXT_MAX], s[TEXT_MAX];
    race_title(h, title, sizeof title);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (page > 0) {
        /* Compact heading: form name, race and region on two lines. */
        snprintf(s, sizeof s, "%s — %s", rk_dhasil_model(d), title);
        cell(cr, MARGIN, W - 2 * MARGIN - 30, y, s, LEFT, 8, true);
        char up[RK_NAME_MAX + 1];
        upper_copy(up, sizeof up, h->region.code[0] ? h->region.name : "INDONESIA");
        snprintf(s, sizeof s, "%s %s (%s) — lanjutan / continued", level_upper(h->region.level),
                 up, h->region.code[0] ? h->region.code : "-");
        cell(cr, MARGIN, W - 2 * MARGIN - 30, y + 4.5, s, LEFT, 7, false);
    } else {
        set_font(cr, 11, true);
        show(cr, cx, y, rk_dhasil_model(d), CENTER);
        cell(cr, MARGIN + 30, W - 2 * MARGIN - 60, y + 4.8,
             "BERITA ACARA DAN SERTIFIKAT REKAPITULASI HASIL PENGHITUNGAN PEROLEHAN SUARA", CENTER,
             9, true);
        snprintf(s, sizeof s, "%s DI TINGKAT %s", title, level_upper(h->region.level));
        cell(cr, MARGIN + 30, W - 2 * MARGIN - 60, y + 9.2, s, CENTER, 8, true);
        hline(cr, MARGIN, W - MARGIN, y + 11.5, 0.4);
        /* Two columns of particulars. */
        double ly = y + 16, lx = MARGIN, rx = W / 2 + 4, cw = W / 2 - MARGIN - 6;
        char lines[4][TEXT_MAX];
        int n = 0;
        char code[RK_CODE_MAX + 1];
        if (h->region.level >= RK_LEVEL_PROVINCE) {
            rk_code_ancestor(h->region.code, RK_LEVEL_PROVINCE, code);
            region_line(lines[n++], TEXT_MAX, "PROVINSI", h->provinsi, code);
        }
        if (h->region.level >= RK_LEVEL_KABKOTA) {
            rk_code_ancestor(h->region.code, RK_LEVEL_KABKOTA, code);
            region_line(lines[n++], TEXT_MAX, "KABUPATEN/KOTA", h->kabkota, code);
        }
        if (h->region.level >= RK_LEVEL_KECAMATAN) {
            rk_code_ancestor(h->region.code, RK_LEVEL_KECAMATAN, code);
            region_line(lines[n++], TEXT_MAX, "KECAMATAN", h->kecamatan, code);
        }
        if (n == 0)
            snprintf(lines[n++], TEXT_MAX, "WILAYAH: INDONESIA (nasional)");
        for (int i = 0; i < n; i++)
            cell(cr, lx, cw, ly + 4.2 * i, lines[i], LEFT, 7.5, false);
        snprintf(s, sizeof s, "PEMILIHAN: %s (%s)", h->election_name, h->election_slug);
        cell(cr, rx, cw, ly, s, LEFT, 7.5, false);
        snprintf(s, sizeof s, "RACE: %s (id %lld, %s)", h->race.name, (long long)h->race.id,
                 rk_race_kind_code(h->race.kind));
        cell(cr, rx, cw, ly + 4.2, s, LEFT, 7.5, false);
        snprintf(s, sizeof s, "RINCIAN: per %s, %d baris / rows",
                 d->row_level == RK_LEVEL_TPS ? "TPS" : rk_level_name(d->row_level, 0), d->nrows);
        cell(cr, rx, cw, ly + 8.4, s, LEFT, 7.5, false);
    }
    /* Status badge, top right, on every page. */
    double bw = 30, bh = 7, bx = W - MARGIN - bw, by = MARGIN;
    cairo_set_line_width(cr, 0.4);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_stroke(cr);
    cell(cr, bx, bw, by + 4.9, pr->final ? "FINAL" : "SEMENTARA", CENTER, 9, true);
}

static void draw_table_header(cairo_t *cr, const struct rk_dhasil *d, const struct plan *pl,
                              double y)
{
    double x0 = table_x0(pl), x1 = table_x1(pl), band = 4.0;
    bool tps = d->row_level == RK_LEVEL_TPS;
    shade(cr, x0, y, x1 - x0, THEAD_H, 0.88);
    const char *child = d->row_level == RK_LEVEL_PROVINCE  ? "PROVINSI"
                        : d->row_level == RK_LEVEL_KABKOTA ? "KABUPATEN/KOTA"
                                                           : "KECAMATAN";
    double vx0 = 0, vx1 = 0;
    for (int c = 0; c < pl->ncols; c++) {
        const struct col *k = &pl->col[c];
        double mid = y + THEAD_H / 2 + 1.2;
        switch (k->kind) {
        case C_NO:
            cell(cr, k->x, k->w, mid, "NO", CENTER, 6.5, true);
            break;
        case C_A:
            cell(cr, k->x, k->w, mid, tps ? "DESA/KELURAHAN" : "KODE", CENTER, 6.5, true);
            break;
        case C_B:
            cell(cr, k->x, k->w, mid, tps ? "TPS" : child, CENTER, 6.5, true);
            break;
        case C_VOTE: {
            if (k->cand == 0)
                vx0 = k->x;
            vx1 = k->x + k->w;
            const struct rk_candidate *cd = &d->h.cand[k->cand];
            char num[8], a[TEXT_MAX], b[TEXT_MAX];
            snprintf(num, sizeof num, "%d", cd->ballot_no);
            cell(cr, k->x, k->w, y + band + 3.1, num, CENTER, 7.5, true);
            const char *nm = cd->kolom_kosong ? "KOLOM KOSONG" : cd->name;
            wrap2(cr, nm, k->w - 2, 5.8, false, a, b, sizeof a);
            if (b[0]) {
                cell(cr, k->x, k->w, y + band + 5.9, a, CENTER, 5.8, false);
                cell(cr, k->x, k->w, y + band + 8.2, b, CENTER, 5.8, false);
            } else {
                cell(cr, k->x, k->w, y + band + 6.9, a, CENTER, 5.8, false);
            }
            break;
        }
        case C_SAH:
            cell(cr, k->x, k->w, mid - 1.3, "SUARA", CENTER, 6.5, true);
            cell(cr, k->x, k->w, mid + 1.5, "SAH", CENTER, 6.5, true);
            break;
        case C_TS:
            cell(cr, k->x, k->w, mid - 1.3, "TIDAK", CENTER, 6.5, true);
            cell(cr, k->x, k->w, mid + 1.5, "SAH", CENTER, 6.5, true);
            break;
        case C_TOT:
            cell(cr, k->x, k->w, mid - 2.6, "JUMLAH", CENTER, 6.5, true);
            cell(cr, k->x, k->w, mid + 0.2, "SUARA", CENTER, 6.5, true);
            cell(cr, k->x, k->w, mid + 2.8, "(SAH+TS)", CENTER, 5.5, false);
            break;
        case C_PENGGUNA:
            cell(cr, k->x, k->w, mid - 1.3, "PENGGUNA", CENTER, 6.5, true);
            cell(cr, k->x, k->w, mid + 1.5, "HAK PILIH", CENTER, 6.5, true);
            break;
        case C_PROG:
            cell(cr, k->x, k->w, mid - 1.3, "PROGRES TPS", CENTER, 6.5, true);
            cell(cr, k->x, k->w, mid + 1.5, tps ? "status" : "masuk/total (setuju)", CENTER, 5.2,
                 false);
            break;
        }
    }
    /* "PEROLEHAN SUARA PASANGAN CALON" band over the vote columns. */
    cell(cr, vx0, vx1 - vx0, y + 3.0,
         vx1 - vx0 < 50 ? "PEROLEHAN SUARA PASLON" : "PEROLEHAN SUARA PASANGAN CALON", CENTER, 6.5,
         true);
    cairo_set_line_width(cr, 0.15);
    cairo_move_to(cr, vx0, y + band);
    cairo_line_to(cr, vx1, y + band);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.15);
    for (int c = 1; c < pl->ncols; c++) {
        const struct col *k = &pl->col[c];
        double top = k->kind == C_VOTE && k->cand > 0 ? y + band : y;
        cairo_move_to(cr, k->x, top);
        cairo_line_to(cr, k->x, y + THEAD_H);
    }
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.4);
    cairo_rectangle(cr, x0, y, x1 - x0, THEAD_H);
    cairo_stroke(cr);
}

/* Draws one line of numbers (a row or the totals) at baseline y. */
static void draw_numbers(cairo_t *cr, const struct plan *pl, double y,
                         const struct rk_tally *t, int64_t expected, bool bold, bool blank,
                         const char *prog)
{
    char s[48];
    for (int c = 0; c < pl->ncols; c++) {
        const struct col *k = &pl->col[c];
        int64_t v;
        switch (k->kind) {
        case C_VOTE: v = t->votes[k->cand]; break;
        case C_SAH: v = t->sah; break;
        case C_TS: v = t->tidak_sah; break;
        case C_TOT: v = t->total; break;
        case C_PENGGUNA: v = t->pengguna; break;
        case C_PROG:
            if (prog) {
                cell(cr, k->x, k->w, y, prog, CENTER, 6.5, bold);
            } else {
                char a[24], b[24], cc[24];
                group_digits(t->received, a, sizeof a);
                group_digits(expected, b, sizeof b);
                group_digits(t->approved, cc, sizeof cc);
                snprintf(s, sizeof s, "%s/%s (%s)", a, b, cc);
                cell(cr, k->x, k->w, y, s, CENTER, 6.5, bold);
            }
            continue;
        default:
            continue;
        }
        if (blank)
            snprintf(s, sizeof s, "–");
        else
            group_digits(v, s, sizeof s);
        cell(cr, k->x, k->w, y, s, blank ? CENTER : RIGHT, 7, bold);
    }
}

static void draw_row(cairo_t *cr, const struct rk_dhasil *d, const struct plan *pl, int i,
                     double y)
{
    const struct rk_dhasil_row *r = &d->rows[i];
    bool tps = d->row_level == RK_LEVEL_TPS;
    if (i % 2)
        shade(cr, table_x0(pl), y, table_x1(pl) - table_x0(pl), ROW_H, 0.955);
    double base = y + ROW_H - 1.3;
    char s[TEXT_MAX];
    for (int c = 0; c < 3; c++) {
        const struct col *k = &pl->col[c];
        if (k->kind == C_NO) {
            snprintf(s, sizeof s, "%d", i + 1);
            cell(cr, k->x, k->w, base, s, RIGHT, 6.5, false);
        } else if (k->kind == C_A) {
            cell(cr, k->x, k->w, base, tps ? (r->desa[0] ? r->desa : r->code) : r->code, LEFT,
                 6.5, false);
        } else {
            /* TPS rows print the TPS number; region rows the name. */
            cell(cr, k->x, k->w, base, tps ? r->code + 10 : r->name, tps ? CENTER : LEFT, 6.5,
                 false);
        }
    }
    const char *prog = NULL;
    if (tps) {
        prog = r->tps_expected == 0   ? "tak terdaftar"
               : !r->tally.received   ? "belum masuk"
               : r->tally.approved    ? (r->tally.flagged ? "disetujui (!)" : "disetujui")
               : r->tally.flagged     ? "masuk (!)"
                                      : "masuk";
    }
    draw_numbers(cr, pl, base, &r->tally, r->tps_expected, false, r->tally.received == 0,
                 prog);
}

static void draw_footer(cairo_t *cr, const struct rk_dhasil *d, const struct plan *pl, int page)
{
    double W = pl->lay.width, H = pl->lay.height, y = H - MARGIN - FOOT_H + 3;
    hline(cr, MARGIN, W - MARGIN, y - 2.5, 0.25);
    char ts[40] = "?", s[TEXT_MAX];
    time_t sec = (time_t)(d->h.generated_ms / 1000);
    struct tm tm;
    if (gmtime_r(&sec, &tm))
        strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S UTC", &tm);
    snprintf(s, sizeof s, "Dibuat / generated: %s · Data: %s", ts,
             d->h.data_ref[0] ? d->h.data_ref : "-");
    cell(cr, MARGIN, W - 2 * MARGIN - 40, y + 1, s, LEFT, 6.5, false);
    snprintf(s, sizeof s, "Halaman %d dari %d / page %d of %d", page + 1, pl->lay.pages, page + 1,
             pl->lay.pages);
    cell(cr, W - MARGIN - 40, 40, y + 1, s, RIGHT, 6.5, false);
    cell(cr, MARGIN, W - 2 * MARGIN, y + 4.5,
         "Dokumen ini dibuat otomatis oleh rekap dari data yang tersimpan; cocokkan dengan log "
         "transparansi. / Generated by rekap from stored data; verify against the transparency log.",
         LEFT, 5.5, false);
}

static void draw_watermark(cairo_t *cr, const struct plan *pl)
{
    cairo_save(cr);
    cairo_translate(cr, pl->lay.width / 2, pl->lay.height / 2);
    cairo_rotate(cr, -atan2(pl->lay.height, pl->lay.width));
    set_font(cr, pl->lay.landscape ? 110 : 95, true);
    cairo_set_source_rgba(cr, 0.75, 0.1, 0.1, 0.12);
    cairo_text_extents_t e;
    cairo_text_extents(cr, "SEMENTARA", &e);
    cairo_move_to(cr, -e.x_advance / 2, e.height / 2);
    cairo_show_text(cr, "SEMENTARA");
    cairo_restore(cr);
}

/* Totals, shares, participation and status after the last row, starting at y. */
static void draw_end(cairo_t *cr, const struct rk_dhasil *d, const struct plan *pl, double y,
                     const struct rk_dhasil_progress *pr)
{
    const struct rk_dhasil_header *h = &d->h;
    double x0 = table_x0(pl), x1 = table_x1(pl), th = ROW_H * 1.2;
    shade(cr, x0, y, x1 - x0, th + ROW_H, 0.88);
    const struct col *a = &pl->col[0], *b = &pl->col[2];
    double lw = b->x + b->w - a->x;
    cell(cr, a->x, lw, y + th - 1.5, "JUMLAH / TOTAL", CENTER, 7, true);
    draw_numbers(cr, pl, y + th - 1.5, &h->total, h->tps_expected, true, false, NULL);
    hline(cr, x0, x1, y + th, 0.15);
    double py = y + th + ROW_H - 1.3;
    cell(cr, a->x, lw, py, "PERSENTASE DARI SUARA SAH", CENTER, 6.5, true);
    char s[TEXT_MAX], p[32];
    for (int c = 0; c < pl->ncols; c++) {
        const struct col *k = &pl->col[c];
        if (k->kind != C_VOTE)
            continue;
        rk_dhasil_bp_format(rk_dhasil_bp(h->total.votes[k->cand], h->total.sah), ',', p,
                            sizeof p);
        snprintf(s, sizeof s, "%s%%", p);
        cell(cr, k->x, k->w, py, s, RIGHT, 7, true);
    }
    double yb = y + th + ROW_H;
    /* Frame and rules of the whole end block. */
    cairo_set_line_width(cr, 0.4);
    cairo_rectangle(cr, x0, y, x1 - x0, yb - y);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.15);
    for (int c = 1; c < pl->ncols; c++) {
        if (c < 3)
            continue; /* the label spans No..name */
        cairo_move_to(cr, pl->col[c].x, y);
        cairo_line_to(cr, pl->col[c].x, yb);
    }
    cairo_stroke(cr);

    char pv[32], dp[32], ps[32], e1[24], e2[24], e3[24], e4[24];
    group_digits(h->total.pengguna, pv, sizeof pv);
    group_digits(h->total.dpt, dp, sizeof dp);
    rk_dhasil_bp_format(rk_dhasil_bp(h->total.pengguna, h->total.dpt), ',', ps, sizeof ps);
    snprintf(s, sizeof s,
             "Partisipasi / turnout: %s pengguna hak pilih dari %s pemilih DPT pada formulir yang "
             "masuk (%s%%).",
             pv, dp, ps);
    cell(cr, x0, x1 - x0, yb + 5, s, LEFT, 7, false);
    group_digits(pr->expected, e1, sizeof e1);
    group_digits(pr->missing, e2, sizeof e2);
    group_digits(pr->unapproved, e3, sizeof e3);
    group_digits(pr->flagged, e4, sizeof e4);
    if (pr->final) {
        snprintf(s, sizeof s, "STATUS: FINAL — seluruh %s TPS telah masuk dan disetujui.", e1);
        cell(cr, x0, x1 - x0, yb + 9.5, s, LEFT, 8, true);
        snprintf(s, sizeof s, "Final: all %s polling stations received and approved.", e1);
    } else {
        snprintf(s, sizeof s,
                 "STATUS: SEMENTARA — %s dari %s TPS belum masuk, %s TPS belum disetujui, %s TPS "
                 "ditandai.",
                 e2, e1, e3, e4);
        cell(cr, x0, x1 - x0, yb + 9.5, s, LEFT, 8, true);
        snprintf(s, sizeof s,
                 "Provisional: %s of %s polling stations not yet received, %s not yet approved, "
                 "%s flagged for review.",
                 e2, e1, e3, e4);
    }
    cell(cr, x0, x1 - x0, yb + 13.2, s, LEFT, 7, false);
    bool kk = false;
    for (int i = 0; i < h->ncand; i++)
        kk = kk || h->cand[i].kolom_kosong;
    snprintf(s, sizeof s, "Progres TPS: masuk/terdaftar (disetujui) / received/registered "
             "(approved).%s – = belum ada data / no data yet.",
             d->row_level == RK_LEVEL_TPS ? " (!) = ditandai untuk diperiksa / flagged for review."
                                          : "");
    cell(cr, x0, x1 - x0, yb + 17.5, s, LEFT, 6, false);
    if (kk)
        cell(cr, x0, x1 - x0, yb + 20.6,
             "Calon tunggal melawan kolom kosong: paslon menang bila memperoleh lebih dari 50% "
             "suara sah (UU 10/2016 Pasal 54D). / Single pair: wins with over 50% of valid votes.",
             LEFT, 6, false);
}

static int draw_page(cairo_t *cr, const struct rk_dhasil *d, const struct plan *pl, int page,
                     const struct rk_dhasil_progress *pr)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    draw_heading(cr, d, pl, page, pr);
    double y = MARGIN + (page == 0 ? HEAD_FIRST : HEAD_OTHER);
    draw_table_header(cr, d, pl, y);
    y += THEAD_H;
    double y0 = y;
    for (int i = pl->start[page]; i < pl->start[page + 1]; i++) {
        draw_row(cr, d, pl, i, y);
        y += ROW_H;
    }
    if (y > y0) {
        vrules(cr, pl, y0, y);
        cairo_set_line_width(cr, 0.4);
        cairo_rectangle(cr, table_x0(pl), y0, table_x1(pl) - table_x0(pl), y - y0);
        cairo_stroke(cr);
    }
    if (page == pl->lay.pages - 1)
        draw_end(cr, d, pl, y, pr);
    draw_footer(cr, d, pl, page);
    if (!pr->final)
        draw_watermark(cr, pl);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return cairo_status(cr) == CAIRO_STATUS_NO_MEMORY ? RK_ENOMEM : RK_EINTERNAL;
    return RK_OK;
}

struct sink {
    rk_dhasil_write_fn write;
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

int rk_dhasil_render_pdf(const struct rk_dhasil *d, rk_dhasil_write_fn write, void *ud)
{
    if (!d->checked)
        return RK_EINVAL;
    struct plan pl;
    int rc = plan_pages(d, &pl);
    if (rc != RK_OK) {
        free(pl.start);
        return rc;
    }
    struct rk_dhasil_progress pr;
    rk_dhasil_progress(d, &pr);
    struct sink sink = {write, ud, false};
    const double k = 72.0 / 25.4;
    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(sink_write, &sink,
                                                                pl.lay.width * k,
                                                                pl.lay.height * k);
    char title[TEXT_MAX];
    snprintf(title, sizeof title, "%s %s %s", rk_dhasil_model(d),
             d->h.region.code[0] ? d->h.region.code : "nasional", d->h.region.name);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "rekap");
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, k, k);
    for (int p = 0; p < pl.lay.pages && rc == RK_OK; p++) {
        rc = draw_page(cr, d, &pl, p, &pr);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    if (rc == RK_OK && cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
        rc = RK_EINTERNAL;
    if (sink.failed)
        rc = RK_EIO; /* cairo reports a failed write as a drawing error mid-document */
    cairo_surface_destroy(surf);
    free(pl.start);
    return rc;
}
