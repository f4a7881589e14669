/* JSON rendering of a reader result (see reader.h): what the KPPS web app overlays on the photo
 * it just took. Probabilities are rounded to 4 decimals and pixel positions to 0.1 px so the
 * bytes stay small and stable. */
#include "rekap/reader.h"

#include <math.h>
#include <stdio.h>

static json_t *num(double v, double scale)
{
    return json_real(round(v * scale) / scale);
}

static json_t *quad_json(const struct rk_point q[4])
{
    json_t *a = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(a, json_pack("[o,o]", num(q[i].x, 10), num(q[i].y, 10)));
    return a;
}

static json_t *opt_int(int v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static json_t *digit_json(const struct rk_reader_digit *d)
{
    static const char *ink[] = {"blank", "digit", "crossed"};
    json_t *top = json_array();
    for (int k = 0; k < 3 && d->top[k] >= 0; k++)
        json_array_append_new(top, json_pack("{s:i,s:o}", "digit", d->top[k], "p",
                                             num(d->top_p[k], 1e4)));
    const char *bstate = d->bubble >= 0 ? "filled" : d->bubble == -1 ? "none"
                                                   : d->bubble == -2 ? "unclear" : "absent";
    return json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o}", "value", opt_int(d->value),
                     "ink", ink[d->ink], "ink_share", num(d->ink_frac, 1e4), "top", top,
                     "not_digit", num(d->p_not_digit, 1e4), "bubble", opt_int(d->bubble),
                     "bubble_state", bstate, "bubble_confidence", num(d->bubble_conf, 1e4),
                     "confidence", num(d->confidence, 1e4), "box", quad_json(d->quad));
}

static json_t *field_json(const struct rk_reader_field *f)
{
    json_t *flags = json_array(), *digits = json_array();
    for (unsigned b = 1; b <= RK_RF_ARITH_PICK; b <<= 1)
        if (f->flags & b)
            json_array_append_new(flags, json_string(rk_reader_flag_name(b)));
    for (int d = 0; d < RK_FORM_DIGITS; d++)
        json_array_append_new(digits, digit_json(&f->digit[d]));
    return json_pack("{s:s,s:o,s:o,s:b,s:o,s:o,s:o}", "name", rk_form_field_name(f->field),
                     "value", opt_int(f->value), "confidence", num(f->confidence, 1e4),
                     "needs_review", f->needs_review, "flags", flags, "box", quad_json(f->quad),
                     "digits", digits);
}

/* The QR payload's race kinds (docs/forms.md). */
static const char *qr_kind(enum rk_race_kind k)
{
    return k == RK_RACE_GOVERNOR ? "gub" : k == RK_RACE_REGENT ? "bup" : k == RK_RACE_MAYOR ? "wko" : "";
}

json_t *rk_reader_result_json(const struct rk_reader_result *res)
{
    char race[40];
    snprintf(race, sizeof race, "%s-%s", qr_kind(res->qr.kind), res->qr.region);
    json_t *fields = json_array(), *viol = json_array();
    for (int i = 0; i < res->n; i++)
        json_array_append_new(fields, field_json(&res->f[i]));
    for (int i = 0; i < res->n_violations; i++)
        json_array_append_new(viol, json_string(res->violations[i]));
    json_t *form = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s}", "election", res->qr.election,
                             "race", race, "kind", qr_kind(res->qr.kind), "tps",
                             res->qr.tps, "page", res->qr.page, "pages", res->qr.pages,
                             "template", res->qr.template_id);
    json_t *photo = json_pack("{s:i,s:i,s:i,s:o,s:o}", "width", res->width, "height",
                              res->height, "rotation_deg", res->rotation * 90, "px_per_mm",
                              num(res->px_per_mm, 100), "marks_confidence",
                              num(res->marks.confidence, 1e4));
    return json_pack("{s:o,s:o,s:i,s:o,s:i,s:o,s:o}", "form", form, "photo", photo, "ncand",
                     res->ncand, "fields", fields, "needs_review", res->n_review, "violations",
                     viol, "ms", num(res->ms_total, 10));
}
