/* Form template parser, geometry, QR payload and rendering: the layout rules a swapped template
 * must obey, the geometry the reader will rely on, and rendered pages checked against that
 * geometry (QR decoded with zbar, corner marks and bubbles sampled). */
#include "testutil.h"

#include "rekap/form.h"
#include "rekap/status.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

/* ---- helpers ---- */

static json_t *builtin_json(void)
{
    size_t len;
    const char *s = rk_form_builtin_json(&len);
    json_t *j = json_loadb(s, len, 0, NULL);
    assert_non_null(j);
    return j;
}

/* Parses a (mutated) template document; returns the status and the error message. */
static int parse_doc(json_t *doc, struct rk_form_error *err)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    assert_non_null(s);
    struct rk_form_template t;
    int rc = rk_form_template_parse(s, strlen(s), &t, err);
    if (rc == RK_OK)
        rk_form_template_free(&t);
    free(s);
    json_decref(doc);
    return rc;
}

static json_t *items(json_t *doc, size_t page)
{
    return json_object_get(json_array_get(json_object_get(doc, "pages"), page), "items");
}

/* Finds the field item of name on any page; *page gets its page index. */
static json_t *find_field(json_t *doc, const char *name, size_t *page, size_t *index)
{
    json_t *pages = json_object_get(doc, "pages");
    for (size_t p = 0; p < json_array_size(pages); p++) {
        json_t *its = items(doc, p);
        for (size_t i = 0; i < json_array_size(its); i++) {
            json_t *n = json_object_get(json_array_get(its, i), "name");
            if (n && strcmp(json_string_value(n), name) == 0) {
                if (page)
                    *page = p;
                if (index)
                    *index = i;
                return json_array_get(its, i);
            }
        }
    }
    fail_msg("field %s not in the built-in template", name);
    return NULL;
}

static void expect_error(json_t *doc, int status, const char *needle)
{
    struct rk_form_error err;
    int rc = parse_doc(doc, &err);
    if (rc != status || !strstr(err.message, needle))
        fail_msg("expected %d '%s', got %d '%s' at '%s'", status, needle, rc, err.message,
                 err.where);
}

static void make_info(struct rk_form_info *info, int ncand, bool kolom_kosong)
{
    memset(info, 0, sizeof *info);
    snprintf(info->election_slug, sizeof info->election_slug, "pilkada2024");
    info->year = 2024;
    info->kind = RK_RACE_REGENT;
    snprintf(info->race_region, sizeof info->race_region, "1101");
    snprintf(info->race_region_name, sizeof info->race_region_name, "KAB. ACEH SELATAN");
    snprintf(info->provinsi, sizeof info->provinsi, "ACEH");
    snprintf(info->kabkota, sizeof info->kabkota, "KAB. ACEH SELATAN");
    snprintf(info->kecamatan, sizeof info->kecamatan, "Bakongan");
    snprintf(info->desa, sizeof info->desa, "Keude Bakongan");
    snprintf(info->tps, sizeof info->tps, "1101012001003");
    info->ncand = ncand;
    for (int i = 0; i < ncand; i++) {
        char name[64];
        snprintf(name, sizeof name, "CALON %c - WAKIL %c", 'A' + i, 'A' + i);
        const char *nm = kolom_kosong && i == 1 ? "KOLOM KOSONG - " : name;
        assert_int_equal(rk_candidate_init(&info->cand[i], 1000 + i, i + 1, nm, ""), RK_OK);
    }
}

static const char *qr_payload(const struct rk_form_image *img, char *out, size_t cap)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_t *zi = zbar_image_create();
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)img->w, (unsigned)img->h);
    zbar_image_set_data(zi, img->px, (unsigned long)img->w * (unsigned long)img->h, NULL);
    int n = zbar_scan_image(sc, zi);
    out[0] = 0;
    if (n == 1)
        snprintf(out, cap, "%s", zbar_symbol_get_data(zbar_image_first_symbol(zi)));
    zbar_image_destroy(zi);
    zbar_image_scanner_destroy(sc);
    return n == 1 ? out : NULL;
}

/* Mean gray level of the pixels inside a rect given in page mm. */
static double mean_in(const struct rk_form_image *img, struct rk_form_rect r, int dpi)
{
    double k = dpi / 25.4, sum = 0;
    int x0 = (int)ceil(r.x * k), x1 = (int)floor((r.x + r.w) * k);
    int y0 = (int)ceil(r.y * k), y1 = (int)floor((r.y + r.h) * k);
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++)
            sum += img->px[(size_t)y * (size_t)img->w + (size_t)x];
    assert_true(n > 0);
    return sum / (double)n;
}

static int pixel(const struct rk_form_image *img, double x_mm, double y_mm, int dpi)
{
    int x = (int)(x_mm * dpi / 25.4), y = (int)(y_mm * dpi / 25.4);
    assert_true(x >= 0 && y >= 0 && x < img->w && y < img->h);
    return img->px[(size_t)y * (size_t)img->w + (size_t)x];
}

struct membuf {
    unsigned char *data;
    size_t len, cap;
    int fail_after; /* reject writes after this many bytes (0 = never) */
};

static int mem_write(void *ud, const unsigned char *d, size_t n)
{
    struct membuf *m = ud;
    if (m->fail_after && m->len + n > (size_t)m->fail_after)
        return -1;
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->data = realloc(m->data, m->cap);
        assert_non_null(m->data);
    }
    memcpy(m->data + m->len, d, n);
    m->len += n;
    return 0;
}

/* Counts "/Type /Page" objects (not "/Type /Pages") in a PDF. */
static int pdf_pages(const struct membuf *m)
{
    int n = 0;
    const char *key = "/Type /Page";
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl < m->len; i++)
        if (memcmp(m->data + i, key, kl) == 0 && m->data[i + kl] != 's')
            n++;
    return n;
}

/* ---- template ---- */

static void test_builtin_parses(void **state)
{
    (void)state;
    struct rk_form_template t;
    struct rk_form_error err;
    int rc = rk_form_template_builtin(&t, &err);
    if (rc != RK_OK)
        fail_msg("built-in template: %s at %s", err.message, err.where);
    assert_string_equal(t.id, "chasil-kwk-v1");
    assert_int_equal(t.pages, 2);
    assert_true(fabs(t.width - 210) < 1e-9 && fabs(t.height - 297) < 1e-9);
    int fields = 0;
    for (int p = 0; p < t.pages; p++)
        for (int i = 0; i < t.page[p].n; i++)
            fields += t.page[p].items[i].type == RK_FORM_FIELD;
    assert_int_equal(fields, RK_FORM_FIELDS - RK_CANDIDATES_MAX);
    rk_form_template_free(&t);
    rk_form_template_free(&t); /* idempotent */
}

static void test_field_contract(void **state)
{
    (void)state;
    assert_int_equal(rk_form_field_index("pengguna_total_j", 16), 14);
    assert_int_equal(rk_form_field_index("suara_paslon_7", 14), -1);
    assert_int_equal(rk_form_field_index("ss_rusak", 3), -1); /* length matters */
    assert_int_equal(rk_form_field_paslon(rk_form_field_index("suara_paslon_6", 14)), 6);
    assert_int_equal(rk_form_field_paslon(rk_form_field_index("suara_sah", 9)), 0);
    assert_null(rk_form_field_name(RK_FORM_FIELDS));
    for (int i = 0; i < RK_FORM_FIELDS; i++)
        assert_int_equal(rk_form_field_index(rk_form_field_name(i), strlen(rk_form_field_name(i))),
                         i);
}

static void test_errors_keys_and_syntax(void **state)
{
    (void)state;
    json_t *d = builtin_json();
    json_object_set_new(d, "colour", json_string("red"));
    expect_error(d, RK_EINVAL, "unknown key 'colour'");

    d = builtin_json();
    json_object_set_new(json_array_get(items(d, 0), 0), "font", json_string("Comic"));
    expect_error(d, RK_EINVAL, "unknown key 'font'");

    d = builtin_json();
    json_object_set_new(json_object_get(d, "box"), "depth", json_real(1));
    expect_error(d, RK_EINVAL, "unknown key 'depth'");

    d = builtin_json();
    json_object_set_new(d, "version", json_integer(2));
    expect_error(d, RK_EUNSUPPORTED, "version 2");

    d = builtin_json();
    json_object_set_new(json_array_get(items(d, 0), 0), "text", json_string("TAHUN ${umur}"));
    expect_error(d, RK_EINVAL, "unknown variable ${umur}");

    d = builtin_json();
    json_object_set_new(json_array_get(items(d, 0), 0), "type", json_string("circle"));
    expect_error(d, RK_EINVAL, "'type' must be");

    d = builtin_json();
    json_object_set_new(json_object_get(d, "bubble"), "diameter", json_real(-3));
    expect_error(d, RK_ERANGE, "'diameter'");

    struct rk_form_template t;
    struct rk_form_error err;
    const char *bad = "{\n\"format\": \"rekap-form-template\",\n\"version\": 1,,\n}";
    assert_int_equal(rk_form_template_parse(bad, strlen(bad), &t, &err), RK_EPARSE);
    assert_int_equal(err.line, 3);
    const char *dup = "{\"format\": \"rekap-form-template\", \"format\": \"x\"}";
    assert_int_equal(rk_form_template_parse(dup, strlen(dup), &t, &err), RK_EPARSE);
    assert_int_equal(rk_form_template_parse("{}", RK_FORM_TEMPLATE_MAX + 1, &t, &err),
                     RK_ETOOBIG);
}

static void test_errors_fields(void **state)
{
    (void)state;
    size_t p, i;
    json_t *d = builtin_json();
    find_field(d, "ss_rusak", &p, &i);
    json_array_remove(items(d, p), i);
    expect_error(d, RK_EINVAL, "missing field 'ss_rusak'");

    d = builtin_json();
    json_t *f = find_field(d, "suara_sah", &p, NULL);
    json_t *copy = json_deep_copy(f);
    json_object_set_new(copy, "y", json_real(280));
    json_array_append_new(items(d, p), copy);
    expect_error(d, RK_EINVAL, "'suara_sah' appears twice");

    d = builtin_json();
    json_object_set_new(find_field(d, "ss_sisa", NULL, NULL), "name", json_string("ss_hilang"));
    expect_error(d, RK_EINVAL, "unknown field name 'ss_hilang'");

    d = builtin_json();
    json_object_set_new(find_field(d, "ss_sisa", NULL, NULL), "name",
                        json_string("suara_paslon_2"));
    expect_error(d, RK_EINVAL, "candidates item");

    d = builtin_json();
    json_object_del(find_field(d, "ss_sisa", NULL, NULL), "label");
    expect_error(d, RK_EINVAL, "missing key 'label'");

    /* Too many items on a page. */
    d = builtin_json();
    for (int k = 0; k <= RK_FORM_ITEMS_MAX; k++) {
        json_t *it = json_pack("{s:s, s:f, s:f, s:s}", "type", "text", "x", 20.0, "y", 20.0,
                               "text", "x");
        json_array_append_new(items(d, 0), it);
    }
    expect_error(d, RK_ETOOBIG, "more than 300 items");

    /* Too many pages. */
    d = builtin_json();
    json_t *pages = json_object_get(d, "pages");
    while (json_array_size(pages) <= RK_FORM_PAGES_MAX)
        json_array_append_new(pages, json_pack("{s:[]}", "items"));
    expect_error(d, RK_ETOOBIG, "more than 4 pages");

    /* No votes-mode candidates item: suara_paslon_N would have nowhere to go. */
    d = builtin_json();
    json_t *its = items(d, 1);
    for (size_t k = 0; k < json_array_size(its); k++) {
        json_t *m = json_object_get(json_array_get(its, k), "mode");
        if (m && strcmp(json_string_value(m), "votes") == 0) {
            json_array_remove(its, k);
            break;
        }
    }
    expect_error(d, RK_EINVAL, "missing candidates item");
}

static void test_errors_layout(void **state)
{
    (void)state;
    /* Box past the right edge. */
    json_t *d = builtin_json();
    json_object_set_new(find_field(d, "pemilih_dpt_j", NULL, NULL), "x", json_real(195));
    expect_error(d, RK_ERANGE, "extend past the page");

    /* Bubbles past the bottom edge. */
    d = builtin_json();
    json_object_set_new(find_field(d, "suara_total", NULL, NULL), "y", json_real(270));
    expect_error(d, RK_ERANGE, "extend past the page");

    /* Two numbers on the same spot. */
    d = builtin_json();
    json_t *a = find_field(d, "pemilih_dpt_l", NULL, NULL);
    json_t *b = find_field(d, "pemilih_dpt_p", NULL, NULL);
    json_object_set_new(b, "x", json_real(json_number_value(json_object_get(a, "x")) + 5));
    expect_error(d, RK_EINVAL, "pemilih_dpt_p overlaps pemilih_dpt_l");

    /* A number under the QR code. */
    d = builtin_json();
    a = find_field(d, "ss_sisa", NULL, NULL);
    json_object_set_new(a, "x", json_real(172));
    json_object_set_new(a, "y", json_real(20));
    expect_error(d, RK_EINVAL, "overlaps the QR code");

    /* A number on a corner mark. */
    d = builtin_json();
    a = find_field(d, "ss_sisa", NULL, NULL);
    json_object_set_new(a, "x", json_real(3));
    json_object_set_new(a, "y", json_real(5));
    expect_error(d, RK_EINVAL, "overlaps a corner mark");

    /* The QR code on a corner mark. */
    d = builtin_json();
    json_object_set_new(json_object_get(d, "qr"), "x", json_real(185));
    json_object_set_new(json_object_get(d, "qr"), "y", json_real(2));
    expect_error(d, RK_EINVAL, "QR code overlaps a corner mark");

    /* Candidate vote cells stepping less than their width overlap each other. */
    d = builtin_json();
    json_t *its = items(d, 1);
    for (size_t k = 0; k < json_array_size(its); k++) {
        json_t *m = json_object_get(json_array_get(its, k), "mode");
        if (m && strcmp(json_string_value(m), "votes") == 0)
            json_object_set_new(json_array_get(its, k), "dx", json_real(30));
    }
    expect_error(d, RK_EINVAL, "candidate cells overlap");

    /* Rect past the page. */
    d = builtin_json();
    json_array_append_new(items(d, 0), json_pack("{s:s,s:f,s:f,s:f,s:f}", "type", "rect", "x",
                                                 150.0, "y", 10.0, "w", 80.0, "h", 5.0));
    expect_error(d, RK_ERANGE, "rect extends past the page");
}

/* Every truncation of the template must fail cleanly (and not crash under ASan). */
static void test_truncations_fail(void **state)
{
    (void)state;
    size_t len;
    const char *s = rk_form_builtin_json(&len);
    for (size_t n = 0; n < len; n += 53) {
        struct rk_form_template t;
        struct rk_form_error err;
        int rc = rk_form_template_parse(s, n, &t, &err);
        assert_int_not_equal(rc, RK_OK);
        assert_int_equal(t.pages, 0);
    }
}

/* ---- geometry ---- */

static void test_geometry(void **state)
{
    (void)state;
    struct rk_form_template t;
    assert_int_equal(rk_form_template_builtin(&t, NULL), RK_OK);
    struct rk_form_geometry g, gp;
    for (int nc = 2; nc <= RK_CANDIDATES_MAX; nc++) {
        assert_int_equal(rk_form_geometry(&t, nc, 1.0, &g), RK_OK);
        assert_int_equal(g.n, RK_FORM_FIELDS - RK_CANDIDATES_MAX + nc);
        assert_int_equal(g.pages, 2);
        for (int i = 0; i < g.n; i++) {
            const struct rk_form_number *n = &g.num[i];
            int paslon = rk_form_field_paslon(n->field);
            assert_true(paslon <= nc);
            for (int d = 0; d < RK_FORM_DIGITS; d++) {
                assert_true(fabs(n->box[d].w - t.box_w) < 1e-9);
                assert_true(fabs(n->box[d].h - t.box_h) < 1e-9);
                assert_true(fabs(n->box[d].y - n->box[0].y) < 1e-9);
                if (d)
                    assert_true(fabs(n->box[d].x - n->box[d - 1].x - t.box_w - t.box_gap) < 1e-9);
                if (!n->bubbles)
                    continue;
                for (int k = 0; k < RK_FORM_BUBBLES; k++) {
                    struct rk_form_rect c = n->bubble[d][k];
                    /* centred under its box, stacked downwards 0..9 below the box */
                    assert_true(fabs(c.x + c.w / 2 - (n->box[d].x + n->box[d].w / 2)) < 1e-9);
                    assert_true(fabs(c.w - t.bubble_d) < 1e-9);
                    assert_true(c.y > n->box[d].y + n->box[d].h);
                    if (k)
                        assert_true(fabs(c.y - n->bubble[d][k - 1].y - t.bubble_pitch) < 1e-9);
                }
            }
            /* Page 2 carries the vote numbers with bubbles; page 1 the rest, without. */
            bool votes = paslon || n->field >= rk_form_field_index("suara_sah", 9);
            assert_int_equal(n->page, votes ? 2 : 1);
            assert_int_equal(n->bubbles, votes);
        }
        const struct rk_form_number *p6 =
            rk_form_geometry_find(&g, rk_form_field_index("suara_paslon_6", 14));
        assert_true((p6 != NULL) == (nc == 6));
    }
    /* Four marks in the four corners, inset as the template says. */
    assert_int_equal(rk_form_geometry(&t, 3, 1.0, &g), RK_OK);
    assert_true(fabs(g.mark[RK_FORM_TL].x - t.mark_inset) < 1e-9);
    assert_true(fabs(g.mark[RK_FORM_TL].y - t.mark_inset) < 1e-9);
    assert_true(fabs(g.mark[RK_FORM_TR].x + g.mark[RK_FORM_TR].w - (210 - t.mark_inset)) < 1e-9);
    assert_true(fabs(g.mark[RK_FORM_BL].y + g.mark[RK_FORM_BL].h - (297 - t.mark_inset)) < 1e-9);
    assert_true(fabs(g.mark[RK_FORM_BR].x - g.mark[RK_FORM_TR].x) < 1e-9);
    assert_true(fabs(g.mark[RK_FORM_BR].y - g.mark[RK_FORM_BL].y) < 1e-9);
    /* Plano is the same layout scaled. */
    assert_int_equal(rk_form_geometry(&t, 3, t.plano_scale, &gp), RK_OK);
    assert_true(gp.width > 590 && gp.width < 610);
    for (int i = 0; i < g.n; i++)
        assert_true(fabs(gp.num[i].box[2].x - g.num[i].box[2].x * t.plano_scale) < 1e-9);
    assert_true(fabs(gp.qr.w - g.qr.w * t.plano_scale) < 1e-9);
    assert_int_equal(rk_form_geometry(&t, 1, 1.0, &g), RK_ERANGE);
    assert_int_equal(rk_form_geometry(&t, 7, 1.0, &g), RK_ERANGE);
    assert_int_equal(rk_form_geometry(&t, 3, 0.0, &g), RK_ERANGE);
    rk_form_template_free(&t);
}

/* ---- QR payload ---- */

static void test_qr_payload(void **state)
{
    (void)state;
    struct rk_form_qr q = {.version = 1, .kind = RK_RACE_MAYOR, .page = 2, .pages = 2};
    strcpy(q.election, "pilkada2024");
    strcpy(q.region, "3171");
    strcpy(q.tps, "3171011001012");
    strcpy(q.template_id, "chasil-kwk-v1");
    char buf[RK_FORM_QR_MAX];
    assert_int_equal(rk_form_qr_format(&q, buf, sizeof buf), RK_OK);
    assert_string_equal(buf, "RK1|pilkada2024|wko-3171|3171011001012|2/2|chasil-kwk-v1");
    struct rk_form_qr r;
    assert_int_equal(rk_form_qr_parse(buf, strlen(buf), &r), RK_OK);
    assert_int_equal(r.kind, RK_RACE_MAYOR);
    assert_string_equal(r.tps, "3171011001012");
    assert_int_equal(r.page, 2);
    assert_string_equal(r.template_id, "chasil-kwk-v1");

    static const struct {
        const char *s;
        int rc;
    } bad[] = {
        {"RK2|pilkada2024|wko-3171|3171011001012|2/2|chasil-kwk-v1", RK_EUNSUPPORTED},
        {"XX1|pilkada2024|wko-3171|3171011001012|2/2|chasil-kwk-v1", RK_EINVAL},
        {"RK1|pilkada2024|wko-3171|3171011001012|3/2|chasil-kwk-v1", RK_EINVAL},
        {"RK1|pilkada2024|wko-3171|3171011001012|02/2|chasil-kwk-v1", RK_EINVAL},
        {"RK1|pilkada2024|wko-3171|3172011001012|2/2|chasil-kwk-v1", RK_EINVAL}, /* TPS outside */
        {"RK1|pilkada2024|bup-3171|3171011001012|2/2|chasil-kwk-v1", RK_EINVAL}, /* kota */
        {"RK1|pilkada2024|gub-3171|3171011001012|2/2|chasil-kwk-v1", RK_EINVAL}, /* not prov */
        {"RK1|pilkada2024|xyz-3171|3171011001012|2/2|chasil-kwk-v1", RK_EINVAL},
        {"RK1|pilkada2024|wko-3171|3171011001012|2/2|chasil-kwk-v1|x", RK_EINVAL},
        {"RK1|pilkada2024|wko-3171|3171011001012|2/2", RK_EINVAL},
        {"RK1|Pilkada 2024|wko-3171|3171011001012|2/2|chasil-kwk-v1", RK_EINVAL},
        {"RK1||wko-3171|3171011001012|2/2|chasil-kwk-v1", RK_EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = rk_form_qr_parse(bad[i].s, strlen(bad[i].s), &r);
        if (rc != bad[i].rc)
            fail_msg("%s: expected %d got %d", bad[i].s, bad[i].rc, rc);
    }
    q.page = 3;
    assert_int_equal(rk_form_qr_format(&q, buf, sizeof buf), RK_ERANGE);
}

/* ---- info, values ---- */

static void test_info_and_values(void **state)
{
    (void)state;
    struct rk_form_info info;
    const char *why = NULL;
    make_info(&info, 2, true);
    assert_int_equal(rk_form_info_check(&info, &why), RK_OK);
    info.kind = RK_RACE_PRESIDENT;
    assert_int_equal(rk_form_info_check(&info, &why), RK_EUNSUPPORTED);
    make_info(&info, 3, false);
    strcpy(info.tps, "1102012001003"); /* another kabupaten */
    assert_int_equal(rk_form_info_check(&info, &why), RK_EINVAL);
    make_info(&info, 3, false);
    info.ncand = 1;
    assert_int_equal(rk_form_info_check(&info, &why), RK_EINVAL);

    struct rk_form_values v;
    struct rk_form_error err;
    const char *ok = "{\"suara_sah\": 300, \"pemilih_dpt_l\": 0}";
    assert_int_equal(rk_form_values_parse(ok, strlen(ok), &v, &err), RK_OK);
    assert_int_equal(v.v[rk_form_field_index("suara_sah", 9)], 300);
    assert_int_equal(v.v[0], 0);
    assert_int_equal(v.v[1], -1);
    const char *big = "{\"suara_sah\": 1000}";
    assert_int_equal(rk_form_values_parse(big, strlen(big), &v, &err), RK_ERANGE);
    assert_int_equal(v.v[rk_form_field_index("suara_sah", 9)], -1);
    const char *unk = "{\"suara_batal\": 1}";
    assert_int_equal(rk_form_values_parse(unk, strlen(unk), &v, &err), RK_EINVAL);
    const char *flt = "{\"suara_sah\": 1.5}";
    assert_int_equal(rk_form_values_parse(flt, strlen(flt), &v, &err), RK_EINVAL);
}

/* ---- rendering ---- */

static void test_render_png_qr_and_marks(void **state)
{
    (void)state;
    struct rk_form_template t;
    assert_int_equal(rk_form_template_builtin(&t, NULL), RK_OK);
    struct rk_form_info info;
    make_info(&info, 4, false);
    struct rk_form_geometry g;
    assert_int_equal(rk_form_geometry(&t, 4, 1.0, &g), RK_OK);
    const int dpi = 150;
    for (int page = 1; page <= 2; page++) {
        struct rk_form_render_opts o = {.format = RK_FORM_PNG, .scale = 1, .dpi = dpi,
                                        .page = page};
        struct rk_form_image img;
        assert_int_equal(rk_form_render_gray(&t, &info, &o, &img), RK_OK);
        assert_int_equal(img.w, 1240);
        assert_int_equal(img.h, 1754);
        char got[RK_FORM_QR_MAX], want[RK_FORM_QR_MAX];
        snprintf(want, sizeof want, "RK1|pilkada2024|bup-1101|1101012001003|%d/2|chasil-kwk-v1",
                 page);
        assert_non_null(qr_payload(&img, got, sizeof got));
        assert_string_equal(got, want);
        /* Corner marks: filled cells black, the other two cells white, just outside white. */
        for (int c = 0; c < 4; c++) {
            struct rk_form_rect m = g.mark[c];
            double q = m.w / 4;
            assert_true(pixel(&img, m.x + q, m.y + q, dpi) < 40);
            assert_true(pixel(&img, m.x + 3 * q, m.y + 3 * q, dpi) < 40);
            assert_true(pixel(&img, m.x + 3 * q, m.y + q, dpi) > 215);
            assert_true(pixel(&img, m.x + q, m.y + 3 * q, dpi) > 215);
            assert_true(pixel(&img, m.x - 1.0, m.y + q, dpi) > 215);
            assert_true(pixel(&img, m.x + m.w + 1.0, m.y + 3 * q, dpi) > 215);
        }
        /* Digit boxes: a dark frame around a blank inside, where the geometry says. */
        for (int i = 0; i < g.n; i++) {
            if (g.num[i].page != page)
                continue;
            struct rk_form_rect b = g.num[i].box[1];
            assert_true(pixel(&img, b.x + b.w / 2, b.y, dpi) < 100);
            assert_true(pixel(&img, b.x, b.y + b.h / 2, dpi) < 100);
            struct rk_form_rect in = {b.x + 1, b.y + 1, b.w - 2, b.h - 2};
            assert_true(mean_in(&img, in, dpi) > 250);
        }
        rk_form_image_free(&img);
    }
    rk_form_template_free(&t);
}

/* Plano: the same page scaled up; the QR still decodes and the marks sit at the scaled spots. */
static void test_render_plano(void **state)
{
    (void)state;
    struct rk_form_template t;
    assert_int_equal(rk_form_template_builtin(&t, NULL), RK_OK);
    struct rk_form_info info;
    make_info(&info, 3, false);
    info.kind = RK_RACE_GOVERNOR;
    strcpy(info.race_region, "11");
    strcpy(info.race_region_name, "ACEH");
    struct rk_form_geometry g;
    assert_int_equal(rk_form_geometry(&t, 3, t.plano_scale, &g), RK_OK);
    const int dpi = 50;
    struct rk_form_render_opts o = {.format = RK_FORM_PNG, .scale = t.plano_scale, .dpi = dpi,
                                    .page = 2};
    struct rk_form_image img;
    assert_int_equal(rk_form_render_gray(&t, &info, &o, &img), RK_OK);
    assert_int_equal(img.w, (int)lround(g.width * dpi / 25.4));
    char got[RK_FORM_QR_MAX];
    assert_non_null(qr_payload(&img, got, sizeof got));
    assert_string_equal(got, "RK1|pilkada2024|gub-11|1101012001003|2/2|chasil-kwk-v1");
    for (int c = 0; c < 4; c++) {
        struct rk_form_rect m = g.mark[c];
        assert_true(pixel(&img, m.x + m.w / 4, m.y + m.h / 4, dpi) < 40);
        assert_true(pixel(&img, m.x + m.w * 0.75, m.y + m.h / 4, dpi) > 215);
    }
    rk_form_image_free(&img);
    rk_form_template_free(&t);
}

static void test_render_filled_bubbles(void **state)
{
    (void)state;
    struct rk_form_template t;
    assert_int_equal(rk_form_template_builtin(&t, NULL), RK_OK);
    struct rk_form_info info;
    make_info(&info, 2, true); /* single candidate vs kolom kosong */
    struct rk_form_geometry g;
    assert_int_equal(rk_form_geometry(&t, 2, 1.0, &g), RK_OK);
    struct rk_form_values v;
    rk_form_values_clear(&v);
    int f1 = rk_form_field_index("suara_paslon_1", 14), f2 = rk_form_field_index("suara_paslon_2", 14);
    int ft = rk_form_field_index("suara_tidak_sah", 15), fd = 0;
    v.v[f1] = 207, v.v[f2] = 58, v.v[ft] = 9, v.v[fd] = 431;
    const int dpi = 200;
    struct rk_form_render_opts o = {.format = RK_FORM_PNG, .scale = 1, .dpi = dpi, .page = 2,
                                    .fill = &v, .seed = 7};
    struct rk_form_image img;
    assert_int_equal(rk_form_render_gray(&t, &info, &o, &img), RK_OK);
    int fields[] = {f1, f2, ft};
    for (size_t k = 0; k < 3; k++) {
        const struct rk_form_number *n = rk_form_geometry_find(&g, fields[k]);
        assert_non_null(n);
        int val = v.v[fields[k]], dig[3] = {val / 100, val / 10 % 10, val % 10};
        for (int d = 0; d < 3; d++) {
            for (int b = 0; b < RK_FORM_BUBBLES; b++) {
                struct rk_form_rect c = n->bubble[d][b];
                struct rk_form_rect core = {c.x + c.w * 0.25, c.y + c.h * 0.25, c.w * 0.5,
                                            c.h * 0.5};
                double m = mean_in(&img, core, dpi);
                if (b == dig[d] ? m > 60 : m < 120)
                    fail_msg("field %d digit %d bubble %d mean %.0f", fields[k], d, b, m);
                /* an empty bubble is still printed: its ring and digit darken its square */
                assert_true(mean_in(&img, c, dpi) < 235);
            }
            /* the handwritten digit darkens its box */
            struct rk_form_rect bx = n->box[d];
            struct rk_form_rect in = {bx.x + 0.8, bx.y + 0.8, bx.w - 1.6, bx.h - 1.6};
            assert_true(mean_in(&img, in, dpi) < 240);
        }
    }
    /* A number left blank keeps empty boxes and bubbles. */
    const struct rk_form_number *s = rk_form_geometry_find(&g, rk_form_field_index("suara_sah", 9));
    struct rk_form_rect in = {s->box[0].x + 1, s->box[0].y + 1, s->box[0].w - 2, s->box[0].h - 2};
    assert_true(mean_in(&img, in, dpi) > 250);
    rk_form_image_free(&img);
    /* Page 1 filled: bubble-less boxes get digits too. */
    o.page = 1;
    assert_int_equal(rk_form_render_gray(&t, &info, &o, &img), RK_OK);
    const struct rk_form_number *n0 = rk_form_geometry_find(&g, fd);
    struct rk_form_rect in0 = {n0->box[0].x + 0.8, n0->box[0].y + 0.8, n0->box[0].w - 1.6,
                               n0->box[0].h - 1.6};
    assert_true(mean_in(&img, in0, dpi) < 240);
    rk_form_image_free(&img);
    rk_form_template_free(&t);
}

static void test_render_pdf_and_png_bytes(void **state)
{
    (void)state;
    struct rk_form_template t;
    assert_int_equal(rk_form_template_builtin(&t, NULL), RK_OK);
    struct rk_form_info info;
    make_info(&info, 6, false);
    struct membuf m = {0};
    struct rk_form_render_opts o = {.format = RK_FORM_PDF, .scale = 1, .page = 0};
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_OK);
    assert_true(m.len > 1000 && memcmp(m.data, "%PDF", 4) == 0);
    assert_int_equal(pdf_pages(&m), 2);
    m.len = 0;
    o.page = 2;
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_OK);
    assert_int_equal(pdf_pages(&m), 1);
    /* Plano PDF: a page about 600 mm (1700 pt) wide. */
    m.len = 0;
    o.scale = t.plano_scale;
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_OK);
    const char *mb = NULL;
    for (size_t i = 0; i + 11 < m.len && !mb; i++)
        if (memcmp(m.data + i, "/MediaBox [", 11) == 0)
            mb = (const char *)m.data + i;
    assert_non_null(mb);
    double x0, y0, w, h;
    assert_int_equal(sscanf(mb + 11, "%lf %lf %lf %lf", &x0, &y0, &w, &h), 4);
    assert_true(fabs(w - 210 * t.plano_scale * 72 / 25.4) < 1);
    /* PNG: magic and IHDR size at 100 dpi on plano. */
    m.len = 0;
    o = (struct rk_form_render_opts){.format = RK_FORM_PNG, .scale = t.plano_scale, .dpi = 50,
                                     .page = 1};
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_OK);
    assert_memory_equal(m.data, "\x89PNG", 4);
    unsigned pw = (unsigned)m.data[16] << 24 | (unsigned)m.data[17] << 16 |
                  (unsigned)m.data[18] << 8 | m.data[19];
    assert_int_equal(pw, (unsigned)lround(210 * t.plano_scale * 50 / 25.4));
    /* Bad options and a failing writer. */
    o.page = 0; /* PNG needs a page */
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_ERANGE);
    o.page = 3;
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_ERANGE);
    o.page = 1, o.dpi = 10;
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_ERANGE);
    o.dpi = 600; /* plano at 600 dpi is over the pixel cap */
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_ERANGE);
    o.dpi = 50;
    struct membuf failing = {.fail_after = 100};
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &failing), RK_EIO);
    info.kind = RK_RACE_PRESIDENT;
    assert_int_equal(rk_form_render(&t, &info, &o, mem_write, &m), RK_EINVAL);
    free(failing.data);
    free(m.data);
    rk_form_template_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_parses),
        cmocka_unit_test(test_field_contract),
        cmocka_unit_test(test_errors_keys_and_syntax),
        cmocka_unit_test(test_errors_fields),
        cmocka_unit_test(test_errors_layout),
        cmocka_unit_test(test_truncations_fail),
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_qr_payload),
        cmocka_unit_test(test_info_and_values),
        cmocka_unit_test(test_render_png_qr_and_marks),
        cmocka_unit_test(test_render_plano),
        cmocka_unit_test(test_render_filled_bubbles),
        cmocka_unit_test(test_render_pdf_and_png_bytes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rk_form_render_shutdown();
    return rc;
}
