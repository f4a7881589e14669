/* C.Hasil form templates: strict parsing, geometry, QR payload, fill-in values.
 *
 * Geometry is computed here, once, from the template: the renderer draws exactly these rects and
 * the photo reader looks for exactly these rects, so a layout change can never make them disagree.
 * Templates are untrusted (a user may swap one in), so every key is known, every number finite and
 * ranged, and the layout is checked for boxes off the page or on top of each other before use. */
#include "rekap/form.h"
#include "rekap/status.h"
#include "rekap/text.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the field contract ---- */

static const char *const field_names[RK_FORM_FIELDS] = {
    "pemilih_dpt_l",    "pemilih_dpt_p",    "pemilih_dpt_j",    "pengguna_dpt_l",
    "pengguna_dpt_p",   "pengguna_dpt_j",   "pengguna_dptb_l",  "pengguna_dptb_p",
    "pengguna_dptb_j",  "pengguna_dpk_l",   "pengguna_dpk_p",   "pengguna_dpk_j",
    "pengguna_total_l", "pengguna_total_p", "pengguna_total_j", "disabilitas_l",
    "disabilitas_p",    "disabilitas_j",    "ss_diterima",      "ss_digunakan",
    "ss_rusak",         "ss_sisa",          "suara_paslon_1",   "suara_paslon_2",
    "suara_paslon_3",   "suara_paslon_4",   "suara_paslon_5",   "suara_paslon_6",
    "suara_sah",        "suara_tidak_sah",  "suara_total",
};

#define FIELD_PASLON_1 22

const char *rk_form_field_name(int i)
{
    return i >= 0 && i < RK_FORM_FIELDS ? field_names[i] : NULL;
}

int rk_form_field_index(const char *name, size_t len)
{
    for (int i = 0; i < RK_FORM_FIELDS; i++)
        if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0)
            return i;
    return -1;
}

int rk_form_field_paslon(int i)
{
    return i >= FIELD_PASLON_1 && i < FIELD_PASLON_1 + RK_CANDIDATES_MAX ? i - FIELD_PASLON_1 + 1
                                                                          : 0;
}

/* ---- errors ---- */

static int fail(struct rk_form_error *err, int status, const char *where, const char *fmt, ...)
{
    if (err) {
        snprintf(err->where, sizeof err->where, "%s", where ? where : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* ---- strict JSON helpers ---- */

/* Rejects any key of obj not in the NULL-terminated list allowed. */
static int check_keys(json_t *obj, const char *const *allowed, const char *where,
                      struct rk_form_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            ok |= strcmp(*a, key) == 0;
        if (!ok)
            return fail(err, RK_EINVAL, where, "unknown key '%.40s'", key);
    }
    return RK_OK;
}

/* Reads a finite number key in [lo, hi]; absent keys take dflt unless required. */
static int get_num(json_t *obj, const char *key, double lo, double hi, bool required, double dflt,
                   double *out, const char *where, struct rk_form_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return fail(err, RK_EINVAL, where, "missing key '%s'", key);
        *out = dflt;
        return RK_OK;
    }
    if (!json_is_number(v))
        return fail(err, RK_EINVAL, where, "'%s' must be a number", key);
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi)
        return fail(err, RK_ERANGE, where, "'%s' = %g outside %g..%g", key, d, lo, hi);
    *out = d;
    return RK_OK;
}

static int get_bool(json_t *obj, const char *key, bool *out, const char *where,
                    struct rk_form_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        *out = false;
        return RK_OK;
    }
    if (!json_is_boolean(v))
        return fail(err, RK_EINVAL, where, "'%s' must be true or false", key);
    *out = json_is_true(v);
    return RK_OK;
}

/* Copies a string key into dst (cap bytes) after checking it is clean UTF-8 text. */
static int get_str(json_t *obj, const char *key, bool required, char *dst, size_t cap,
                   const char *where, struct rk_form_error *err)
{
    json_t *v = json_object_get(obj, key);
    dst[0] = 0;
    if (!v)
        return required ? fail(err, RK_EINVAL, where, "missing key '%s'", key) : RK_OK;
    if (!json_is_string(v))
        return fail(err, RK_EINVAL, where, "'%s' must be a string", key);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len >= cap)
        return fail(err, RK_ERANGE, where, "'%s' longer than %zu bytes", key, cap - 1);
    if (len == 0 || !rk_utf8_valid_text(s, len))
        return fail(err, RK_EINVAL, where, "'%s' must be non-empty text without control characters",
                    key);
    memcpy(dst, s, len);
    dst[len] = 0;
    return RK_OK;
}

/* ---- ${var} placeholders in text items ---- */

static const char *const text_vars[] = {
    "pemilihan", "tahun",    "jabatan", "jenis", "kode",      "wilayah",        "provinsi",
    "kabkota",   "kecamatan", "desa",   "tps",   "nomor_tps", "halaman", "jumlah_halaman",
    "rumus_sah", NULL,
};

/* Checks every "${" in s opens a known variable name closed by "}". */
static int check_vars(const char *s, const char *where, struct rk_form_error *err)
{
    for (const char *p = strstr(s, "${"); p; p = strstr(p, "${")) {
        const char *end = strchr(p, '}');
        if (!end)
            return fail(err, RK_EINVAL, where, "unterminated ${ in text");
        size_t n = (size_t)(end - p - 2);
        int ok = 0;
        for (const char *const *v = text_vars; *v; v++)
            ok |= strlen(*v) == n && memcmp(*v, p + 2, n) == 0;
        if (!ok)
            return fail(err, RK_EINVAL, where, "unknown variable ${%.*s}", (int)(n > 30 ? 30 : n),
                        p + 2);
        p = end + 1;
    }
    return RK_OK;
}

/* ---- items ---- */

static int parse_align(json_t *obj, enum rk_form_align *a, const char *where,
                       struct rk_form_error *err)
{
    json_t *v = json_object_get(obj, "align");
    *a = RK_FORM_LEFT;
    if (!v)
        return RK_OK;
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    if (strcmp(s, "left") == 0)
        *a = RK_FORM_LEFT;
    else if (strcmp(s, "center") == 0)
        *a = RK_FORM_CENTER;
    else if (strcmp(s, "right") == 0)
        *a = RK_FORM_RIGHT;
    else
        return fail(err, RK_EINVAL, where, "'align' must be left, center or right");
    return RK_OK;
}

static int parse_item(json_t *obj, const struct rk_form_template *t, struct rk_form_item *it,
                      const char *where, struct rk_form_error *err)
{
    static const char *const text_keys[] = {"type", "x", "y", "text", "size", "bold", "italic",
                                            "align", "width", NULL};
    static const char *const rect_keys[] = {"type", "x", "y", "w", "h", "line", "fill", NULL};
    static const char *const line_keys[] = {"type", "x", "y", "x2", "y2", "line", NULL};
    static const char *const field_keys[] = {"type", "name", "label", "x", "y", "bubbles", NULL};
    static const char *const cand_keys[] = {"type", "mode", "x", "y", "w", "h", "dx", "dy",
                                            "columns", "field_dx", "field_dy", "bubbles", "text",
                                            NULL};
    const double W = t->width, H = t->height;
    int rc;
    memset(it, 0, sizeof *it);
    if (!json_is_object(obj))
        return fail(err, RK_EINVAL, where, "item must be an object");
    json_t *type = json_object_get(obj, "type");
    const char *ty = json_is_string(type) ? json_string_value(type) : "";
    it->field = -1;
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)) != RK_OK)                                                                   \
            return rc;                                                                             \
    } while (0)
    if (strcmp(ty, "text") == 0) {
        it->type = RK_FORM_TEXT;
        TRY(check_keys(obj, text_keys, where, err));
        TRY(get_num(obj, "x", 0, W, true, 0, &it->x, where, err));
        TRY(get_num(obj, "y", 0, H, true, 0, &it->y, where, err));
        TRY(get_num(obj, "size", 3, 36, false, 8, &it->size, where, err));
        TRY(get_num(obj, "width", 0, W, false, 0, &it->w, where, err));
        TRY(get_bool(obj, "bold", &it->bold, where, err));
        TRY(get_bool(obj, "italic", &it->italic, where, err));
        TRY(parse_align(obj, &it->align, where, err));
        TRY(get_str(obj, "text", true, it->text, sizeof it->text, where, err));
        TRY(check_vars(it->text, where, err));
    } else if (strcmp(ty, "rect") == 0) {
        it->type = RK_FORM_RECT;
        TRY(check_keys(obj, rect_keys, where, err));
        TRY(get_num(obj, "x", 0, W, true, 0, &it->x, where, err));
        TRY(get_num(obj, "y", 0, H, true, 0, &it->y, where, err));
        TRY(get_num(obj, "w", 0.1, W, true, 0, &it->w, where, err));
        TRY(get_num(obj, "h", 0.1, H, true, 0, &it->h, where, err));
        TRY(get_num(obj, "line", 0, 3, false, 0.3, &it->line, where, err));
        TRY(get_num(obj, "fill", 0, 1, false, 0, &it->fill, where, err));
        if (it->x + it->w > W + 1e-9 || it->y + it->h > H + 1e-9)
            return fail(err, RK_ERANGE, where, "rect extends past the page");
    } else if (strcmp(ty, "line") == 0) {
        it->type = RK_FORM_LINE;
        TRY(check_keys(obj, line_keys, where, err));
        TRY(get_num(obj, "x", 0, W, true, 0, &it->x, where, err));
        TRY(get_num(obj, "y", 0, H, true, 0, &it->y, where, err));
        TRY(get_num(obj, "x2", 0, W, true, 0, &it->x2, where, err));
        TRY(get_num(obj, "y2", 0, H, true, 0, &it->y2, where, err));
        TRY(get_num(obj, "line", 0.05, 3, false, 0.3, &it->line, where, err));
    } else if (strcmp(ty, "field") == 0) {
        it->type = RK_FORM_FIELD;
        TRY(check_keys(obj, field_keys, where, err));
        char name[40];
        TRY(get_str(obj, "name", true, name, sizeof name, where, err));
        it->field = rk_form_field_index(name, strlen(name));
        if (it->field < 0)
            return fail(err, RK_EINVAL, where, "unknown field name '%s'", name);
        if (rk_form_field_paslon(it->field))
            return fail(err, RK_EINVAL, where,
                        "'%s' comes from the candidates item, not a field item", name);
        TRY(get_str(obj, "label", true, it->label, sizeof it->label, where, err));
        TRY(get_num(obj, "x", 0, W, true, 0, &it->x, where, err));
        TRY(get_num(obj, "y", 0, H, true, 0, &it->y, where, err));
        TRY(get_bool(obj, "bubbles", &it->bubbles, where, err));
    } else if (strcmp(ty, "candidates") == 0) {
        it->type = RK_FORM_CANDIDATES;
        TRY(check_keys(obj, cand_keys, where, err));
        json_t *m = json_object_get(obj, "mode");
        const char *ms = json_is_string(m) ? json_string_value(m) : "";
        if (strcmp(ms, "votes") == 0)
            it->mode = RK_FORM_CAND_VOTES;
        else if (strcmp(ms, "signature") == 0)
            it->mode = RK_FORM_CAND_SIGNATURE;
        else
            return fail(err, RK_EINVAL, where, "'mode' must be votes or signature");
        double cols;
        TRY(get_num(obj, "x", 0, W, true, 0, &it->x, where, err));
        TRY(get_num(obj, "y", 0, H, true, 0, &it->y, where, err));
        TRY(get_num(obj, "w", 5, W, true, 0, &it->w, where, err));
        TRY(get_num(obj, "h", 5, H, true, 0, &it->h, where, err));
        TRY(get_num(obj, "dx", 0, W, true, 0, &it->dx, where, err));
        TRY(get_num(obj, "dy", 0, H, true, 0, &it->dy, where, err));
        TRY(get_num(obj, "columns", 1, RK_CANDIDATES_MAX, true, 0, &cols, where, err));
        if (cols != floor(cols))
            return fail(err, RK_EINVAL, where, "'columns' must be an integer");
        it->columns = (int)cols;
        if (it->mode == RK_FORM_CAND_VOTES) {
            TRY(get_num(obj, "field_dx", 0, it->w, true, 0, &it->field_dx, where, err));
            TRY(get_num(obj, "field_dy", 0, it->h, true, 0, &it->field_dy, where, err));
            TRY(get_bool(obj, "bubbles", &it->bubbles, where, err));
            TRY(get_str(obj, "text", false, it->text, sizeof it->text, where, err));
            TRY(check_vars(it->text, where, err));
        } else if (json_object_get(obj, "field_dx") || json_object_get(obj, "field_dy") ||
                   json_object_get(obj, "bubbles") || json_object_get(obj, "text")) {
            return fail(err, RK_EINVAL, where, "signature cells take no field keys");
        }
        /* Cells must not overlap one another: a grid pitch at least the cell size along the
         * axis that steps. */
        if ((it->columns > 1 && it->dx < it->w - 1e-9) ||
            (it->columns < RK_CANDIDATES_MAX && it->dy < it->h - 1e-9))
            return fail(err, RK_EINVAL, where, "candidate cells overlap (dx < w or dy < h)");
        for (int i = 0; i < RK_CANDIDATES_MAX; i++) {
            double cx = it->x + (i % it->columns) * it->dx;
            double cy = it->y + (i / it->columns) * it->dy;
            if (cx + it->w > W + 1e-9 || cy + it->h > H + 1e-9)
                return fail(err, RK_ERANGE, where, "candidate cell %d extends past the page",
                            i + 1);
        }
    } else {
        return fail(err, RK_EINVAL, where,
                    "'type' must be text, rect, line, field or candidates");
    }
#undef TRY
    return RK_OK;
}

/* ---- geometry ---- */

static struct rk_form_rect rect_scale(double x, double y, double w, double h, double s)
{
    return (struct rk_form_rect){x * s, y * s, w * s, h * s};
}

/* Fills one number's boxes and bubbles from its first box's top-left corner (unscaled mm). */
static void number_at(const struct rk_form_template *t, double x, double y, double s, int field,
                      int page, bool bubbles, struct rk_form_number *n)
{
    memset(n, 0, sizeof *n);
    n->field = field;
    n->page = page;
    n->bubbles = bubbles;
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        double bx = x + d * (t->box_w + t->box_gap);
        n->box[d] = rect_scale(bx, y, t->box_w, t->box_h, s);
        if (!bubbles)
            continue;
        double cx = bx + t->box_w / 2;
        for (int k = 0; k < RK_FORM_BUBBLES; k++) {
            double cy = y + t->box_h + t->bubble_gap + t->bubble_pitch * (k + 0.5);
            n->bubble[d][k] = rect_scale(cx - t->bubble_d / 2, cy - t->bubble_d / 2, t->bubble_d,
                                         t->bubble_d, s);
        }
    }
}

int rk_form_geometry(const struct rk_form_template *t, int ncand, double scale,
                     struct rk_form_geometry *g)
{
    if (ncand < 2 || ncand > RK_CANDIDATES_MAX || !isfinite(scale) || scale < 0.1 || scale > 10)
        return RK_ERANGE;
    memset(g, 0, sizeof *g);
    g->scale = scale;
    g->width = t->width * scale;
    g->height = t->height * scale;
    g->pages = t->pages;
    g->ncand = ncand;
    double m = t->mark_size, in = t->mark_inset;
    g->mark[RK_FORM_TL] = rect_scale(in, in, m, m, scale);
    g->mark[RK_FORM_TR] = rect_scale(t->width - in - m, in, m, m, scale);
    g->mark[RK_FORM_BL] = rect_scale(in, t->height - in - m, m, m, scale);
    g->mark[RK_FORM_BR] = rect_scale(t->width - in - m, t->height - in - m, m, m, scale);
    g->qr = rect_scale(t->qr_x, t->qr_y, t->qr_size, t->qr_size, scale);
    /* Numbers in contract order, whatever order the template lists them in. */
    for (int f = 0; f < RK_FORM_FIELDS; f++) {
        int paslon = rk_form_field_paslon(f);
        if (paslon > ncand)
            continue;
        for (int p = 0; p < t->pages; p++) {
            for (int i = 0; i < t->page[p].n; i++) {
                const struct rk_form_item *it = &t->page[p].items[i];
                if (it->type == RK_FORM_FIELD && it->field == f) {
                    number_at(t, it->x, it->y, scale, f, p + 1, it->bubbles, &g->num[g->n++]);
                } else if (paslon && it->type == RK_FORM_CANDIDATES &&
                           it->mode == RK_FORM_CAND_VOTES) {
                    int c = paslon - 1;
                    double cx = it->x + (c % it->columns) * it->dx;
                    double cy = it->y + (c / it->columns) * it->dy;
                    number_at(t, cx + it->field_dx, cy + it->field_dy, scale, f, p + 1,
                              it->bubbles, &g->num[g->n++]);
                }
            }
        }
    }
    return RK_OK;
}

const struct rk_form_number *rk_form_geometry_find(const struct rk_form_geometry *g, int field)
{
    for (int i = 0; i < g->n; i++)
        if (g->num[i].field == field)
            return &g->num[i];
    return NULL;
}

/* ---- layout validation ---- */

static bool rect_inside(struct rk_form_rect r, double W, double H)
{
    return r.x >= -1e-9 && r.y >= -1e-9 && r.x + r.w <= W + 1e-9 && r.y + r.h <= H + 1e-9;
}

static bool rects_overlap(struct rk_form_rect a, struct rk_form_rect b, double pad)
{
    return a.x < b.x + b.w + pad && b.x < a.x + a.w + pad && a.y < b.y + b.h + pad &&
           b.y < a.y + a.h + pad;
}

/* The rects a number occupies: 3 boxes and, with bubbles, one rect around each bubble column. */
static int number_rects(const struct rk_form_number *n, struct rk_form_rect out[6])
{
    int k = 0;
    for (int d = 0; d < RK_FORM_DIGITS; d++) {
        out[k++] = n->box[d];
        if (n->bubbles) {
            struct rk_form_rect a = n->bubble[d][0], z = n->bubble[d][RK_FORM_BUBBLES - 1];
            out[k++] = (struct rk_form_rect){a.x, a.y, a.w, z.y + z.h - a.y};
        }
    }
    return k;
}

static int check_layout(const struct rk_form_template *t, struct rk_form_error *err)
{
    struct rk_form_geometry *g = malloc(sizeof *g);
    if (!g)
        return RK_ENOMEM;
    int rc = rk_form_geometry(t, RK_CANDIDATES_MAX, 1.0, g);
    if (rc != RK_OK)
        goto out;
    /* Marks and QR: on the page and apart (a reader finds them by their surroundings). */
    for (int c = 0; c < 4; c++) {
        if (!rect_inside(g->mark[c], g->width, g->height)) {
            rc = fail(err, RK_ERANGE, "marks", "corner marks do not fit on the page");
            goto out;
        }
        if (rects_overlap(g->mark[c], g->qr, 1.0)) {
            rc = fail(err, RK_EINVAL, "qr", "QR code overlaps a corner mark");
            goto out;
        }
    }
    if (rects_overlap(g->mark[RK_FORM_TL], g->mark[RK_FORM_TR], 1.0) ||
        rects_overlap(g->mark[RK_FORM_TL], g->mark[RK_FORM_BL], 1.0)) {
        rc = fail(err, RK_EINVAL, "marks", "corner marks overlap each other");
        goto out;
    }
    if (!rect_inside(g->qr, g->width, g->height)) {
        rc = fail(err, RK_ERANGE, "qr", "QR code extends past the page");
        goto out;
    }
    for (int i = 0; i < g->n; i++) {
        const char *name = rk_form_field_name(g->num[i].field);
        struct rk_form_rect a[6];
        int na = number_rects(&g->num[i], a);
        for (int k = 0; k < na; k++) {
            if (!rect_inside(a[k], g->width, g->height)) {
                rc = fail(err, RK_ERANGE, name, "boxes or bubbles of %s extend past the page", name);
                goto out;
            }
            for (int c = 0; c < 4; c++) {
                if (rects_overlap(a[k], g->mark[c], 0.5)) {
                    rc = fail(err, RK_EINVAL, name, "%s overlaps a corner mark", name);
                    goto out;
                }
            }
            if (rects_overlap(a[k], g->qr, 0.5)) {
                rc = fail(err, RK_EINVAL, name, "%s overlaps the QR code", name);
                goto out;
            }
        }
        for (int j = 0; j < i; j++) {
            if (g->num[j].page != g->num[i].page)
                continue;
            struct rk_form_rect b[6];
            int nb = number_rects(&g->num[j], b);
            for (int k = 0; k < na; k++) {
                for (int l = 0; l < nb; l++) {
                    if (rects_overlap(a[k], b[l], 0.0)) {
                        rc = fail(err, RK_EINVAL, name, "%s overlaps %s", name,
                                  rk_form_field_name(g->num[j].field));
                        goto out;
                    }
                }
            }
        }
    }
out:
    free(g);
    return rc;
}

/* ---- template ---- */

void rk_form_template_free(struct rk_form_template *t)
{
    if (!t)
        return;
    for (int p = 0; p < RK_FORM_PAGES_MAX; p++)
        free(t->page[p].items);
    memset(t, 0, sizeof *t);
}

static int parse_header(json_t *root, struct rk_form_template *t, struct rk_form_error *err)
{
    static const char *const root_keys[] = {"format", "version", "id", "code", "page", "marks",
                                            "qr", "box", "bubble", "pages", NULL};
    static const char *const page_keys[] = {"width", "height", "plano_scale", NULL};
    static const char *const mark_keys[] = {"size", "inset", NULL};
    static const char *const qr_keys[] = {"x", "y", "size", NULL};
    static const char *const box_keys[] = {"width", "height", "gap", NULL};
    static const char *const bubble_keys[] = {"diameter", "pitch", "gap", NULL};
    int rc;
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((rc = (x)) != RK_OK)                                                                   \
            return rc;                                                                             \
    } while (0)
    if (!json_is_object(root))
        return fail(err, RK_EINVAL, "", "template must be a JSON object");
    TRY(check_keys(root, root_keys, "", err));
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "rekap-form-template") != 0)
        return fail(err, RK_EINVAL, "format", "'format' must be \"rekap-form-template\"");
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver))
        return fail(err, RK_EINVAL, "version", "'version' must be an integer");
    if (json_integer_value(ver) != 1)
        return fail(err, RK_EUNSUPPORTED, "version", "template version %lld not supported (1)",
                    (long long)json_integer_value(ver));
    TRY(get_str(root, "id", true, t->id, sizeof t->id, "id", err));
    if (rk_election_slug_check(t->id) != RK_OK)
        return fail(err, RK_EINVAL, "id", "'id' must be [a-z0-9-]");
    TRY(get_str(root, "code", true, t->code, sizeof t->code, "code", err));
    json_t *o;
    static const struct {
        const char *key;
        const char *const *keys;
    } objs[] = {{"page", page_keys}, {"marks", mark_keys}, {"qr", qr_keys},
                {"box", box_keys},   {"bubble", bubble_keys}};
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        o = json_object_get(root, objs[i].key);
        if (!json_is_object(o))
            return fail(err, RK_EINVAL, objs[i].key, "'%s' must be an object", objs[i].key);
        TRY(check_keys(o, objs[i].keys, objs[i].key, err));
    }
    o = json_object_get(root, "page");
    TRY(get_num(o, "width", 50, 1000, true, 0, &t->width, "page", err));
    TRY(get_num(o, "height", 50, 1000, true, 0, &t->height, "page", err));
    TRY(get_num(o, "plano_scale", 1, 5, true, 0, &t->plano_scale, "page", err));
    o = json_object_get(root, "marks");
    TRY(get_num(o, "size", 3, 30, true, 0, &t->mark_size, "marks", err));
    TRY(get_num(o, "inset", 0, 30, true, 0, &t->mark_inset, "marks", err));
    o = json_object_get(root, "qr");
    TRY(get_num(o, "x", 0, t->width, true, 0, &t->qr_x, "qr", err));
    TRY(get_num(o, "y", 0, t->height, true, 0, &t->qr_y, "qr", err));
    TRY(get_num(o, "size", 12, 80, true, 0, &t->qr_size, "qr", err));
    o = json_object_get(root, "box");
    TRY(get_num(o, "width", 3, 40, true, 0, &t->box_w, "box", err));
    TRY(get_num(o, "height", 3, 40, true, 0, &t->box_h, "box", err));
    TRY(get_num(o, "gap", 0, 20, true, 0, &t->box_gap, "box", err));
    o = json_object_get(root, "bubble");
    TRY(get_num(o, "diameter", 1.5, 20, true, 0, &t->bubble_d, "bubble", err));
    TRY(get_num(o, "pitch", 1.5, 30, true, 0, &t->bubble_pitch, "bubble", err));
    TRY(get_num(o, "gap", 0, 20, true, 0, &t->bubble_gap, "bubble", err));
    if (t->bubble_pitch < t->bubble_d + 0.3)
        return fail(err, RK_EINVAL, "bubble", "bubble pitch must exceed the diameter by 0.3 mm");
    if (t->bubble_d > t->box_w + t->box_gap - 0.3)
        return fail(err, RK_EINVAL, "bubble", "bubbles wider than a box column");
#undef TRY
    return RK_OK;
}

int rk_form_template_parse(const char *json, size_t len, struct rk_form_template *t,
                           struct rk_form_error *err)
{
    memset(t, 0, sizeof *t);
    if (err)
        memset(err, 0, sizeof *err);
    if (len > RK_FORM_TEMPLATE_MAX)
        return fail(err, RK_ETOOBIG, "", "template larger than %u bytes", RK_FORM_TEMPLATE_MAX);
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (err)
            err->line = jerr.line;
        return fail(err, RK_EPARSE, "", "JSON: %s", jerr.text);
    }
    int rc = parse_header(root, t, err);
    if (rc != RK_OK)
        goto out;
    json_t *pages = json_object_get(root, "pages");
    if (!json_is_array(pages) || json_array_size(pages) < 1) {
        rc = fail(err, RK_EINVAL, "pages", "'pages' must be a non-empty array");
        goto out;
    }
    if (json_array_size(pages) > RK_FORM_PAGES_MAX) {
        rc = fail(err, RK_ETOOBIG, "pages", "more than %d pages", RK_FORM_PAGES_MAX);
        goto out;
    }
    t->pages = (int)json_array_size(pages);
    int seen[RK_FORM_FIELDS] = {0};
    int votes_items = 0;
    for (int p = 0; p < t->pages; p++) {
        char where[64];
        snprintf(where, sizeof where, "pages[%d]", p);
        json_t *pg = json_array_get(pages, (size_t)p);
        static const char *const pg_keys[] = {"items", NULL};
        if (!json_is_object(pg)) {
            rc = fail(err, RK_EINVAL, where, "page must be an object");
            goto out;
        }
        if ((rc = check_keys(pg, pg_keys, where, err)) != RK_OK)
            goto out;
        json_t *items = json_object_get(pg, "items");
        if (!json_is_array(items)) {
            rc = fail(err, RK_EINVAL, where, "'items' must be an array");
            goto out;
        }
        size_t n = json_array_size(items);
        if (n > RK_FORM_ITEMS_MAX) {
            rc = fail(err, RK_ETOOBIG, where, "more than %d items on a page", RK_FORM_ITEMS_MAX);
            goto out;
        }
        t->page[p].items = calloc(n ? n : 1, sizeof *t->page[p].items);
        if (!t->page[p].items) {
            rc = RK_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            snprintf(where, sizeof where, "pages[%d].items[%zu]", p, i);
            struct rk_form_item *it = &t->page[p].items[i];
            if ((rc = parse_item(json_array_get(items, i), t, it, where, err)) != RK_OK)
                goto out;
            t->page[p].n++;
            if (it->type == RK_FORM_FIELD && seen[it->field]++) {
                rc = fail(err, RK_EINVAL, where, "field '%s' appears twice",
                          rk_form_field_name(it->field));
                goto out;
            }
            if (it->type == RK_FORM_CANDIDATES && it->mode == RK_FORM_CAND_VOTES &&
                votes_items++) {
                rc = fail(err, RK_EINVAL, where, "more than one candidates item in votes mode");
                goto out;
            }
        }
    }
    for (int f = 0; f < RK_FORM_FIELDS; f++) {
        if (!rk_form_field_paslon(f) && !seen[f]) {
            rc = fail(err, RK_EINVAL, "pages", "missing field '%s'", rk_form_field_name(f));
            goto out;
        }
    }
    if (!votes_items) {
        rc = fail(err, RK_EINVAL, "pages", "missing candidates item in votes mode "
                                           "(suara_paslon_N)");
        goto out;
    }
    rc = check_layout(t, err);
out:
    json_decref(root);
    if (rc != RK_OK)
        rk_form_template_free(t);
    return rc;
}

/* The generated build file (CMake, from forms/chasil-kwk.json) provides these. */
extern const unsigned char rk_form_builtin_data[];
extern const size_t rk_form_builtin_size;

const char *rk_form_builtin_json(size_t *len)
{
    *len = rk_form_builtin_size;
    return (const char *)rk_form_builtin_data;
}

int rk_form_template_builtin(struct rk_form_template *t, struct rk_form_error *err)
{
    size_t len;
    const char *json = rk_form_builtin_json(&len);
    return rk_form_template_parse(json, len, t, err);
}

/* ---- QR payload ---- */

static const struct {
    enum rk_race_kind kind;
    const char *code;
} race_codes[] = {{RK_RACE_GOVERNOR, "gub"}, {RK_RACE_REGENT, "bup"}, {RK_RACE_MAYOR, "wko"}};

static const char *race_code(enum rk_race_kind k)
{
    for (size_t i = 0; i < sizeof race_codes / sizeof race_codes[0]; i++)
        if (race_codes[i].kind == k)
            return race_codes[i].code;
    return NULL;
}

/* A race's region must be of the race's level and contain the TPS. */
static int check_race_tps(enum rk_race_kind kind, const char *region, const char *tps)
{
    char c[RK_CODE_MAX + 1];
    enum rk_level level;
    if (!race_code(kind))
        return RK_EINVAL;
    if (rk_code_parse(region, strlen(region), c, &level) != RK_OK || strcmp(c, region) != 0 ||
        level != rk_race_kind_level(kind))
        return RK_EINVAL;
    if (rk_code_parse(tps, strlen(tps), c, &level) != RK_OK || strcmp(c, tps) != 0 ||
        level != RK_LEVEL_TPS)
        return RK_EINVAL;
    if (strncmp(tps, region, strlen(region)) != 0)
        return RK_EINVAL;
    /* A regent race is held in a kabupaten, a mayor race in a kota. */
    if (kind != RK_RACE_GOVERNOR && (kind == RK_RACE_MAYOR) != (rk_code_is_kota(region) != 0))
        return RK_EINVAL;
    return RK_OK;
}

int rk_form_qr_format(const struct rk_form_qr *q, char *buf, size_t cap)
{
    if (q->version != 1 || rk_election_slug_check(q->election) != RK_OK ||
        rk_election_slug_check(q->template_id) != RK_OK ||
        check_race_tps(q->kind, q->region, q->tps) != RK_OK)
        return RK_EINVAL;
    if (q->pages < 1 || q->pages > RK_FORM_PAGES_MAX || q->page < 1 || q->page > q->pages)
        return RK_ERANGE;
    int n = snprintf(buf, cap, "RK1|%s|%s-%s|%s|%d/%d|%s", q->election, race_code(q->kind),
                     q->region, q->tps, q->page, q->pages, q->template_id);
    return n < 0 || (size_t)n >= cap ? RK_ERANGE : RK_OK;
}

/* Splits s[0..len) at '|' into at most max parts; returns the count or -1 when over max. */
static int split_bar(const char *s, size_t len, const char **part, size_t *plen, int max)
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '|') {
            if (n == max)
                return -1;
            part[n] = s + start;
            plen[n++] = i - start;
            start = i + 1;
        }
    }
    return n;
}

/* Copies a part into dst (cap) if it fits and is non-empty. */
static int part_copy(char *dst, size_t cap, const char *s, size_t len)
{
    if (len == 0 || len >= cap)
        return RK_EINVAL;
    memcpy(dst, s, len);
    dst[len] = 0;
    return RK_OK;
}

int rk_form_qr_parse(const char *s, size_t len, struct rk_form_qr *q)
{
    memset(q, 0, sizeof *q);
    if (len >= RK_FORM_QR_MAX || len < 4 || memcmp(s, "RK", 2) != 0)
        return RK_EINVAL;
    if (s[2] != '1' || s[3] != '|')
        return s[2] >= '0' && s[2] <= '9' ? RK_EUNSUPPORTED : RK_EINVAL;
    const char *part[7];
    size_t plen[7];
    if (split_bar(s, len, part, plen, 6) != 6)
        return RK_EINVAL;
    q->version = 1;
    char race[40], pg[16];
    if (part_copy(q->election, sizeof q->election, part[1], plen[1]) != RK_OK ||
        part_copy(race, sizeof race, part[2], plen[2]) != RK_OK ||
        part_copy(q->tps, sizeof q->tps, part[3], plen[3]) != RK_OK ||
        part_copy(pg, sizeof pg, part[4], plen[4]) != RK_OK ||
        part_copy(q->template_id, sizeof q->template_id, part[5], plen[5]) != RK_OK)
        goto bad;
    char *dash = strchr(race, '-');
    if (!dash || dash - race != 3)
        goto bad;
    *dash = 0;
    bool found = false;
    for (size_t i = 0; i < sizeof race_codes / sizeof race_codes[0]; i++)
        if (strcmp(race, race_codes[i].code) == 0)
            q->kind = race_codes[i].kind, found = true;
    if (!found || part_copy(q->region, sizeof q->region, dash + 1, strlen(dash + 1)) != RK_OK)
        goto bad;
    char *slash = strchr(pg, '/');
    uint64_t a, b;
    if (!slash || rk_parse_u64(pg, (size_t)(slash - pg), RK_FORM_PAGES_MAX, &a) != RK_OK ||
        rk_parse_u64(slash + 1, strlen(slash + 1), RK_FORM_PAGES_MAX, &b) != RK_OK)
        goto bad;
    q->page = (int)a, q->pages = (int)b;
    char check[RK_FORM_QR_MAX];
    /* Re-formatting validates every part and rejects non-canonical spellings (leading zeros). */
    if (rk_form_qr_format(q, check, sizeof check) != RK_OK || strlen(check) != len ||
        memcmp(check, s, len) != 0)
        goto bad;
    return RK_OK;
bad:
    memset(q, 0, sizeof *q);
    return RK_EINVAL;
}

/* ---- form info ---- */

int rk_form_info_check(const struct rk_form_info *info, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (info->kind == RK_RACE_PRESIDENT) {
        *why = "the C.Hasil-KWK form is for Pilkada races (governor, regent, mayor)";
        return RK_EUNSUPPORTED;
    }
    if (rk_election_slug_check(info->election_slug) != RK_OK) {
        *why = "bad election slug";
        return RK_EINVAL;
    }
    if (info->year < 2000 || info->year > 2200) {
        *why = "election year out of range";
        return RK_EINVAL;
    }
    if (check_race_tps(info->kind, info->race_region, info->tps) != RK_OK) {
        *why = "race region does not contain the TPS or does not match the race kind";
        return RK_EINVAL;
    }
    if (info->ncand < 2 || info->ncand > RK_CANDIDATES_MAX) {
        *why = "a race needs 2..6 candidate columns";
        return RK_EINVAL;
    }
    for (int i = 0; i < info->ncand; i++) {
        if (info->cand[i].ballot_no != i + 1) {
            *why = "candidates must be sorted by ballot number 1..n";
            return RK_EINVAL;
        }
    }
    return rk_race_check_candidates(info->cand, info->ncand, why);
}

/* ---- fill-in values ---- */

void rk_form_values_clear(struct rk_form_values *vals)
{
    for (int i = 0; i < RK_FORM_FIELDS; i++)
        vals->v[i] = -1;
}

int rk_form_values_parse(const char *json, size_t len, struct rk_form_values *vals,
                         struct rk_form_error *err)
{
    rk_form_values_clear(vals);
    if (err)
        memset(err, 0, sizeof *err);
    if (len > RK_FORM_TEMPLATE_MAX)
        return fail(err, RK_ETOOBIG, "", "values file too large");
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (err)
            err->line = jerr.line;
        return fail(err, RK_EPARSE, "", "JSON: %s", jerr.text);
    }
    int rc = RK_OK;
    if (!json_is_object(root)) {
        rc = fail(err, RK_EINVAL, "", "values must be a JSON object {\"field\": number}");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        int f = rk_form_field_index(key, strlen(key));
        if (f < 0) {
            rc = fail(err, RK_EINVAL, key, "unknown field '%.40s'", key);
            goto out;
        }
        if (!json_is_integer(v)) {
            rc = fail(err, RK_EINVAL, key, "value must be an integer");
            goto out;
        }
        json_int_t n = json_integer_value(v);
        if (n < 0 || n > RK_FORM_VALUE_MAX) {
            rc = fail(err, RK_ERANGE, key, "value must be 0..999");
            goto out;
        }
        vals->v[f] = (int)n;
    }
out:
    json_decref(root);
    if (rc != RK_OK)
        rk_form_values_clear(vals);
    return rc;
}
