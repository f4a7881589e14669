/* D.Hasil documents: building, the arithmetic check (rows vs stored total, R3/R4, progress),
 * integer shares, JSON fields, and PDF rendering (pagination grows with rows). */
#include "testutil.h"
#include "rekap/dhasil.h"
#include "rekap/form.h"
#include "rekap/status.h"

#include <stdlib.h>
#include <string.h>

/* ---- fixtures ---- */

static void header(struct rk_dhasil_header *h, int ncand, bool kolom_kosong, const char *region,
                   enum rk_level level)
{
    memset(h, 0, sizeof *h);
    snprintf(h->election_slug, sizeof h->election_slug, "pilkada2024");
    snprintf(h->election_name, sizeof h->election_name, "Pemilihan Serentak 2024");
    h->year = 2024;
    h->race.id = 7;
    h->race.election_id = 1;
    h->race.kind = RK_RACE_REGENT;
    snprintf(h->race.region_code, sizeof h->race.region_code, "1101");
    snprintf(h->race.name, sizeof h->race.name, "Bupati KAB. ACEH SELATAN");
    h->ncand = ncand;
    for (int i = 0; i < ncand; i++) {
        struct rk_candidate *c = &h->cand[i];
        c->id = 100 + i;
        c->race_id = 7;
        c->ballot_no = i + 1;
        c->kolom_kosong = kolom_kosong && i == 1;
        snprintf(c->name, sizeof c->name, c->kolom_kosong ? "KOLOM KOSONG" : "CALON %c - WAKIL %c",
                 'A' + i, 'A' + i);
    }
    snprintf(h->region.code, sizeof h->region.code, "%s", region);
    h->region.level = level;
    snprintf(h->region.name, sizeof h->region.name, "Bakongan");
    snprintf(h->provinsi, sizeof h->provinsi, "ACEH");
    snprintf(h->kabkota, sizeof h->kabkota, "KAB. ACEH SELATAN");
    if (level >= RK_LEVEL_KECAMATAN)
        snprintf(h->kecamatan, sizeof h->kecamatan, "Bakongan");
    h->generated_ms = 1732790405000LL; /* 2024-11-28T10:40:05Z */
    snprintf(h->data_ref, sizeof h->data_ref, "STH size 42 root abcd");
}

/* One TPS's tally with consistent R3/R4. */
static struct rk_tally tps_tally(const int *votes, int ncand, int invalid, bool approved)
{
    struct rk_tally t;
    rk_tally_zero(&t);
    for (int i = 0; i < ncand; i++) {
        t.votes[i] = votes[i];
        t.sah += votes[i];
    }
    t.tidak_sah = invalid;
    t.total = t.sah + invalid;
    t.pengguna = t.total;
    t.dpt = t.total + 40;
    t.received = 1;
    t.approved = approved;
    return t;
}

static struct rk_dhasil_row tps_row(int n, const struct rk_tally *t)
{
    struct rk_dhasil_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.code, sizeof r.code, "1101012001%03d", n);
    snprintf(r.name, sizeof r.name, "TPS %03d", n);
    snprintf(r.desa, sizeof r.desa, "Keude Bakongan");
    if (t)
        r.tally = *t;
    r.tps_expected = 1;
    return r;
}

/* Builds a kecamatan document of nrows TPS (received ones first), summing the total itself. */
static int build(struct rk_dhasil *d, int ncand, bool kk, int nrows, int received, int approved,
                 struct rk_dhasil_error *err)
{
    struct rk_dhasil_header *h = malloc(sizeof *h);
    assert_non_null(h);
    header(h, ncand, kk, "110101", RK_LEVEL_KECAMATAN);
    h->tps_expected = nrows;
    struct rk_dhasil_row *rows = calloc((size_t)nrows + 1, sizeof *rows);
    assert_non_null(rows);
    for (int i = 0; i < nrows; i++) {
        int v[RK_CANDIDATES_MAX];
        for (int c = 0; c < ncand; c++)
            v[c] = (i * 37 + c * 53) % 150 + c;
        struct rk_tally t = tps_tally(v, ncand, i % 7, i < approved);
        rows[i] = tps_row(i + 1, i < received ? &t : NULL);
        rk_tally_add(&h->total, &rows[i].tally, 1);
    }
    int rc = rk_dhasil_begin(d, h, err);
    for (int i = 0; rc == RK_OK && i < nrows; i++)
        rc = rk_dhasil_add_row(d, &rows[i], err);
    if (rc == RK_OK)
        rc = rk_dhasil_finish(d, err);
    free(rows);
    free(h);
    return rc;
}

/* ---- arithmetic helpers ---- */

static void test_bp(void **state)
{
    (void)state;
    assert_int_equal(rk_dhasil_bp(1, 3), 3333);
    assert_int_equal(rk_dhasil_bp(2, 3), 6667);
    assert_int_equal(rk_dhasil_bp(1, 8), 1250);
    assert_int_equal(rk_dhasil_bp(1, 20000), 1); /* exactly half a basis point rounds up */
    assert_int_equal(rk_dhasil_bp(1, 20001), 0);
    assert_int_equal(rk_dhasil_bp(5, 5), 10000);
    assert_int_equal(rk_dhasil_bp(5, 0), 0);
    /* National scale: 96,214,691 of 164,227,475 is 58.5866...% */
    assert_int_equal(rk_dhasil_bp(96214691, 164227475), 5859);
    char s[24];
    rk_dhasil_bp_format(5, '.', s, sizeof s);
    assert_string_equal(s, "0.05");
    rk_dhasil_bp_format(10000, ',', s, sizeof s);
    assert_string_equal(s, "100,00");
    rk_dhasil_bp_format(5859, ',', s, sizeof s);
    assert_string_equal(s, "58,59");
}

/* ---- building and JSON ---- */

static json_t *dump(const struct rk_dhasil *d)
{
    char *buf;
    size_t len;
    assert_int_equal(rk_dhasil_json_dump(d, &buf, &len), RK_OK);
    assert_int_equal(strlen(buf), len);
    assert_int_equal(buf[len - 1], '\n');
    json_error_t je;
    json_t *o = json_loads(buf, 0, &je);
    free(buf);
    assert_non_null(o);
    return o;
}

static json_int_t jint(json_t *o, const char *path)
{
    /* path: "a.b" (objects only) */
    char key[64];
    const char *p = path;
    json_t *cur = o;
    while (*p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        cur = json_object_get(cur, key);
        assert_non_null(cur);
        p += n + (p[n] == '.');
    }
    assert_true(json_is_integer(cur));
    return json_integer_value(cur);
}

static void test_totals_and_shares(void **state)
{
    (void)state;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_header h;
    header(&h, 3, false, "110101", RK_LEVEL_KECAMATAN);
    h.tps_expected = 3;
    int v1[] = {100, 50, 50}, v2[] = {0, 100, 0};
    struct rk_tally t1 = tps_tally(v1, 3, 4, true), t2 = tps_tally(v2, 3, 0, false);
    t2.flagged = 1;
    rk_tally_add(&h.total, &t1, 1);
    rk_tally_add(&h.total, &t2, 1);
    struct rk_dhasil_error err;
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_OK);
    struct rk_dhasil_row r1 = tps_row(1, &t1), r2 = tps_row(2, &t2), r3 = tps_row(3, NULL);
    assert_int_equal(rk_dhasil_add_row(&d, &r1, &err), RK_OK);
    assert_int_equal(rk_dhasil_add_row(&d, &r2, &err), RK_OK);
    assert_int_equal(rk_dhasil_add_row(&d, &r3, &err), RK_OK);
    assert_int_equal(rk_dhasil_finish(&d, &err), RK_OK);
    assert_string_equal(rk_dhasil_model(&d), "MODEL D.HASIL KECAMATAN-KWK");

    json_t *o = dump(&d);
    assert_string_equal(json_string_value(json_object_get(o, "type")), "dhasil");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "kecamatan");
    assert_string_equal(json_string_value(json_object_get(o, "row_level")), "tps");
    assert_int_equal(jint(o, "race.id"), 7);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "race"), "kind")),
                        "pkwkk");
    assert_int_equal(jint(o, "total.suara_sah"), 300);
    assert_int_equal(jint(o, "total.suara_tidak_sah"), 4);
    assert_int_equal(jint(o, "total.suara_total"), 304);
    assert_int_equal(jint(o, "total.tps.received"), 2);
    assert_int_equal(jint(o, "total.tps.approved"), 1);
    assert_int_equal(jint(o, "total.tps.flagged"), 1);
    json_t *votes = json_object_get(json_object_get(o, "total"), "votes");
    assert_int_equal(json_array_size(votes), 3);
    assert_int_equal(json_integer_value(json_array_get(votes, 1)), 150);
    /* shares: 100/300, 150/300, 50/300 */
    json_t *sh = json_object_get(o, "shares");
    assert_int_equal(json_array_size(sh), 3);
    assert_int_equal(jint(json_array_get(sh, 0), "bp"), 3333);
    assert_string_equal(json_string_value(json_object_get(json_array_get(sh, 1), "percent")),
                        "50.00");
    assert_int_equal(jint(json_array_get(sh, 2), "bp"), 1667);
    assert_int_equal(jint(json_array_get(sh, 2), "ballot_no"), 3);
    json_t *rows = json_object_get(o, "rows");
    assert_int_equal(json_array_size(rows), 3);
    json_t *row2 = json_array_get(rows, 1);
    assert_string_equal(json_string_value(json_object_get(row2, "code")), "1101012001002");
    assert_string_equal(json_string_value(json_object_get(row2, "desa")), "Keude Bakongan");
    assert_int_equal(jint(row2, "suara_sah"), 100);
    assert_int_equal(jint(row2, "tps.flagged"), 1);
    assert_int_equal(jint(json_array_get(rows, 2), "tps.received"), 0);
    assert_int_equal(jint(o, "progress.missing"), 1);
    assert_int_equal(jint(o, "progress.unapproved"), 1);
    assert_int_equal(jint(o, "progress.received_share.bp"), 6667);
    assert_false(json_is_true(json_object_get(json_object_get(o, "progress"), "final")));
    assert_string_equal(json_string_value(json_object_get(o, "status")), "sementara");
    assert_string_equal(json_string_value(json_object_get(o, "generated_at")),
                        "2024-11-28T10:40:05Z");
    assert_string_equal(json_string_value(json_object_get(o, "data_ref")), "STH size 42 root abcd");
    /* participation = pengguna / dpt = 304 / 384 */
    assert_int_equal(jint(o, "participation.bp"), rk_dhasil_bp(304, 384));
    json_decref(o);
    rk_dhasil_free(&d);
}

static void test_kolom_kosong(void **state)
{
    (void)state;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    assert_int_equal(build(&d, 2, true, 4, 4, 4, &err), RK_OK);
    json_t *o = dump(&d);
    json_t *c = json_object_get(o, "candidates");
    assert_int_equal(json_array_size(c), 2);
    assert_false(json_is_true(json_object_get(json_array_get(c, 0), "kolom_kosong")));
    assert_true(json_is_true(json_object_get(json_array_get(c, 1), "kolom_kosong")));
    assert_int_equal(json_array_size(json_object_get(json_object_get(o, "total"), "votes")), 2);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "final");
    json_decref(o);
    /* A third column's votes cannot appear in a two-column race. */
    struct rk_dhasil_header h = d.h;
    h.total.votes[2] = 1;
    h.total.sah += 1;
    h.total.total += 1;
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_OK);
    assert_int_equal(rk_dhasil_finish(&d, &err), RK_EVALIDATION);
    assert_string_equal(err.where, "total");
    assert_non_null(strstr(err.msg_en, "ballot number 3"));
    rk_dhasil_free(&d);
}

static void test_progress(void **state)
{
    (void)state;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    struct rk_dhasil_progress p;
    /* Nothing received: zero totals, all missing, shares 0 (no division by zero). */
    assert_int_equal(build(&d, 3, false, 5, 0, 0, &err), RK_OK);
    rk_dhasil_progress(&d, &p);
    assert_int_equal(p.expected, 5);
    assert_int_equal(p.received, 0);
    assert_int_equal(p.missing, 5);
    assert_false(p.final);
    json_t *o = dump(&d);
    assert_int_equal(jint(json_array_get(json_object_get(o, "shares"), 0), "bp"), 0);
    assert_int_equal(jint(o, "total.suara_sah"), 0);
    json_decref(o);
    /* Partial: 3 of 5 received, 2 approved. */
    assert_int_equal(build(&d, 3, false, 5, 3, 2, &err), RK_OK);
    rk_dhasil_progress(&d, &p);
    assert_int_equal(p.received, 3);
    assert_int_equal(p.missing, 2);
    assert_int_equal(p.unapproved, 1);
    assert_false(p.final);
    /* Everything received and approved. */
    assert_int_equal(build(&d, 3, false, 5, 5, 5, &err), RK_OK);
    rk_dhasil_progress(&d, &p);
    assert_true(p.final);
    /* A region without TPS is never final. */
    assert_int_equal(build(&d, 3, false, 0, 0, 0, &err), RK_OK);
    rk_dhasil_progress(&d, &p);
    assert_false(p.final);
    assert_int_equal(d.nrows, 0);
    rk_dhasil_free(&d);
}

/* Rebuilds a 3-row document after mutate() changed its rows or header; returns finish's rc. */
static int corrupt(void (*mutate)(struct rk_dhasil_header *, struct rk_dhasil_row *),
                   struct rk_dhasil_error *err)
{
    struct rk_dhasil_header h;
    header(&h, 3, false, "110101", RK_LEVEL_KECAMATAN);
    h.tps_expected = 3;
    struct rk_dhasil_row rows[3];
    for (int i = 0; i < 3; i++) {
        int v[] = {10 + i, 20, 30};
        struct rk_tally t = tps_tally(v, 3, 2, false);
        rows[i] = tps_row(i + 1, &t);
        rk_tally_add(&h.total, &t, 1);
    }
    mutate(&h, rows);
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    int rc = rk_dhasil_begin(&d, &h, err);
    for (int i = 0; rc == RK_OK && i < 3; i++)
        rc = rk_dhasil_add_row(&d, &rows[i], err);
    if (rc == RK_OK)
        rc = rk_dhasil_finish(&d, err);
    if (rc != RK_OK) {
        assert_false(d.checked);
        json_t *o;
        assert_int_equal(rk_dhasil_to_json(&d, &o), RK_EINVAL);
        assert_null(o);
    }
    rk_dhasil_free(&d);
    return rc;
}

static void m_none(struct rk_dhasil_header *h, struct rk_dhasil_row *r) { (void)h, (void)r; }
static void m_total_drift(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    (void)r; /* the stored total moved without its rows: consistent in itself, wrong sum */
    h->total.votes[0] += 5;
    h->total.sah += 5;
    h->total.total += 5;
}
static void m_row_r3(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    r[1].tally.votes[2] += 1; /* and the total too, so only R3 on the row fails */
    h->total.votes[2] += 1;
}
static void m_row_r4(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    r[2].tally.tidak_sah += 1;
    h->total.tidak_sah += 1;
}
static void m_negative(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    (void)h;
    r[0].tally.dpt = -3;
}
static void m_received(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    r[0].tps_expected = 0; /* results from an unregistered TPS */
    h->tps_expected = 2;
}
static void m_approved(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    r[0].tally.received = 0;
    r[0].tally.approved = 1;
    h->total.received -= 1;
    h->total.approved += 1;
}
static void m_expected(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    (void)r;
    h->tps_expected = 4; /* the region counts a TPS no row has */
}
static void m_pengguna(struct rk_dhasil_header *h, struct rk_dhasil_row *r)
{
    (void)r;
    h->total.pengguna += 1;
}

static void test_corrupt(void **state)
{
    (void)state;
    struct rk_dhasil_error err;
    assert_int_equal(corrupt(m_none, &err), RK_OK);
    assert_int_equal(corrupt(m_total_drift, &err), RK_EVALIDATION);
    assert_string_equal(err.where, "total");
    assert_non_null(strstr(err.msg_en, "suara_paslon_1"));
    assert_non_null(strstr(err.msg_id, "tally tidak konsisten"));
    assert_int_equal(corrupt(m_row_r3, &err), RK_EVALIDATION);
    assert_string_equal(err.where, "1101012001002");
    assert_non_null(strstr(err.msg_en, "(R3)"));
    assert_int_equal(corrupt(m_row_r4, &err), RK_EVALIDATION);
    assert_string_equal(err.where, "1101012001003");
    assert_non_null(strstr(err.msg_en, "(R4)"));
    assert_int_equal(corrupt(m_negative, &err), RK_ERANGE);
    assert_non_null(strstr(err.msg_en, "dpt = -3"));
    assert_int_equal(corrupt(m_received, &err), RK_EVALIDATION);
    assert_non_null(strstr(err.msg_en, "1 TPS received of 0 registered"));
    assert_int_equal(corrupt(m_approved, &err), RK_EVALIDATION);
    assert_non_null(strstr(err.msg_en, "approved"));
    assert_int_equal(corrupt(m_expected, &err), RK_EVALIDATION);
    assert_non_null(strstr(err.msg_en, "tps_terdaftar"));
    assert_int_equal(corrupt(m_pengguna, &err), RK_EVALIDATION);
    assert_non_null(strstr(err.msg_en, "pengguna"));
}

static void test_header_and_rows(void **state)
{
    (void)state;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    struct rk_dhasil_header h;
    /* A kecamatan of another kab/kota is outside a bupati race. */
    header(&h, 2, false, "110201", RK_LEVEL_KECAMATAN);
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_EINVAL);
    assert_string_equal(err.where, "region");
    assert_non_null(strstr(err.msg_en, "outside"));
    /* The province above a bupati race is outside it too. */
    header(&h, 2, false, "11", RK_LEVEL_PROVINCE);
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_EINVAL);
    /* No desa-level recap. */
    header(&h, 2, false, "1101012001", RK_LEVEL_DESA);
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_EINVAL);
    assert_non_null(strstr(err.msg_id, "kecamatan"));
    /* Level must match the code. */
    header(&h, 2, false, "110101", RK_LEVEL_KABKOTA);
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_EINVAL);
    /* One candidate is not a race. */
    header(&h, 1, false, "110101", RK_LEVEL_KECAMATAN);
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_EINVAL);
    assert_string_equal(err.where, "candidates");
    /* Adding rows before a successful begin fails. */
    struct rk_dhasil_row r = tps_row(1, NULL);
    assert_int_equal(rk_dhasil_add_row(&d, &r, &err), RK_EINVAL);

    /* Kab/kota recap: rows are kecamatan of that kab/kota, in order, once each. */
    header(&h, 2, false, "1101", RK_LEVEL_KABKOTA);
    snprintf(h.region.name, sizeof h.region.name, "KAB. ACEH SELATAN");
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_OK);
    assert_int_equal(d.row_level, RK_LEVEL_KECAMATAN);
    assert_string_equal(rk_dhasil_model(&d), "MODEL D.HASIL KABUPATEN/KOTA-KWK");
    struct rk_dhasil_row k;
    memset(&k, 0, sizeof k);
    snprintf(k.name, sizeof k.name, "Bakongan");
    snprintf(k.code, sizeof k.code, "1101012001001"); /* a TPS is not a direct child */
    assert_int_equal(rk_dhasil_add_row(&d, &k, &err), RK_EINVAL);
    snprintf(k.code, sizeof k.code, "110201"); /* another kab/kota's kecamatan */
    assert_int_equal(rk_dhasil_add_row(&d, &k, &err), RK_EINVAL);
    snprintf(k.code, sizeof k.code, "110102");
    assert_int_equal(rk_dhasil_add_row(&d, &k, &err), RK_OK);
    assert_int_equal(rk_dhasil_add_row(&d, &k, &err), RK_EINVAL); /* repeated */
    snprintf(k.code, sizeof k.code, "110101");
    assert_int_equal(rk_dhasil_add_row(&d, &k, &err), RK_EINVAL); /* out of order */
    snprintf(k.code, sizeof k.code, "110103");
    k.name[0] = 0;
    assert_int_equal(rk_dhasil_add_row(&d, &k, &err), RK_EINVAL); /* nameless */
    assert_int_equal(d.nrows, 1);
    assert_int_equal(rk_dhasil_finish(&d, &err), RK_OK);

    /* Presidential race: national and provincial recaps. */
    header(&h, 3, false, "", RK_LEVEL_NATIONAL);
    h.race.kind = RK_RACE_PRESIDENT;
    h.race.region_code[0] = 0;
    snprintf(h.region.name, sizeof h.region.name, "INDONESIA");
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_OK);
    assert_string_equal(rk_dhasil_model(&d), "MODEL D.HASIL NASIONAL-PPWP");
    snprintf(k.code, sizeof k.code, "11");
    snprintf(k.name, sizeof k.name, "ACEH");
    assert_int_equal(rk_dhasil_add_row(&d, &k, &err), RK_OK);
    assert_int_equal(rk_dhasil_finish(&d, &err), RK_OK);
    header(&h, 3, false, "11", RK_LEVEL_PROVINCE);
    h.race.kind = RK_RACE_PRESIDENT;
    h.race.region_code[0] = 0;
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_OK);
    assert_string_equal(rk_dhasil_model(&d), "MODEL D.HASIL PROVINSI-PPWP");
    /* A governor race is not national. */
    header(&h, 3, false, "", RK_LEVEL_NATIONAL);
    h.race.kind = RK_RACE_GOVERNOR;
    snprintf(h.race.region_code, sizeof h.race.region_code, "11");
    assert_int_equal(rk_dhasil_begin(&d, &h, &err), RK_EINVAL);
    rk_dhasil_free(&d);
}

/* ---- PDF ---- */

struct buf {
    unsigned char *p;
    size_t n, cap;
    size_t fail_after; /* 0 = never */
};

static int buf_write(void *ud, const unsigned char *data, size_t len)
{
    struct buf *b = ud;
    if (b->fail_after && b->n + len > b->fail_after)
        return -1;
    if (b->n + len > b->cap) {
        b->cap = (b->n + len) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return 0;
}

/* Counts "/Type /Page" objects (not "/Pages"). */
static int pdf_pages(const struct buf *b)
{
    static const char pat[] = "/Type /Page";
    size_t m = sizeof pat - 1;
    int n = 0;
    for (size_t i = 0; i + m < b->n; i++)
        if (memcmp(b->p + i, pat, m) == 0 && b->p[i + m] != 's')
            n++;
    return n;
}

static bool contains(const struct buf *b, const char *s)
{
    size_t m = strlen(s);
    for (size_t i = 0; i + m <= b->n; i++)
        if (memcmp(b->p + i, s, m) == 0)
            return true;
    return false;
}

static int render(const struct rk_dhasil *d, struct buf *b)
{
    memset(b, 0, sizeof *b);
    return rk_dhasil_render_pdf(d, buf_write, b);
}

static void test_render_pages(void **state)
{
    (void)state;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    struct rk_dhasil_layout lay;
    struct buf b;
    /* Unchecked documents are not rendered. */
    assert_int_equal(render(&d, &b), RK_EINVAL);
    assert_int_equal(rk_dhasil_layout(&d, &lay), RK_EINVAL);

    int prev_pages = 0;
    const int sizes[] = {5, 60, 150, 400};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        assert_int_equal(build(&d, 2, false, sizes[k], sizes[k] - 2, sizes[k] / 2, &err), RK_OK);
        assert_int_equal(rk_dhasil_layout(&d, &lay), RK_OK);
        assert_false(lay.landscape); /* two columns: portrait */
        assert_int_equal(render(&d, &b), RK_OK);
        assert_true(b.n > 1000);
        assert_memory_equal(b.p, "%PDF", 4);
        assert_int_equal(pdf_pages(&b), lay.pages);
        assert_true(lay.pages >= prev_pages);
        /* Every row has a place: pages hold at most rows_first + (pages - 1) * rows_other. */
        assert_true(sizes[k] <= lay.rows_first + (lay.pages - 1) * lay.rows_other);
        prev_pages = lay.pages;
        free(b.p);
    }
    assert_true(prev_pages >= 8); /* 400 TPS rows cannot fit on few pages */
    /* Few rows fit on one page. */
    assert_int_equal(build(&d, 2, false, 5, 5, 5, &err), RK_OK);
    assert_int_equal(rk_dhasil_layout(&d, &lay), RK_OK);
    assert_int_equal(lay.pages, 1);

    /* Six pairs: landscape A4. */
    assert_int_equal(build(&d, 6, false, 40, 40, 0, &err), RK_OK);
    assert_int_equal(rk_dhasil_layout(&d, &lay), RK_OK);
    assert_true(lay.landscape);
    assert_int_equal(render(&d, &b), RK_OK);
    assert_int_equal(pdf_pages(&b), lay.pages);
    assert_true(contains(&b, "/MediaBox [ 0 0 841.8"));
    free(b.p);

    /* A failing writer is RK_EIO, not a silent short file. */
    memset(&b, 0, sizeof b);
    b.fail_after = 100;
    assert_int_equal(rk_dhasil_render_pdf(&d, buf_write, &b), RK_EIO);
    free(b.p);
    rk_dhasil_free(&d);
}

/* Rows that fit exactly, or all but the totals: the totals never stand alone, no row is lost. */
static void test_render_boundaries(void **state)
{
    (void)state;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    struct rk_dhasil_layout lay;
    assert_int_equal(build(&d, 3, false, 1, 1, 1, &err), RK_OK);
    assert_int_equal(rk_dhasil_layout(&d, &lay), RK_OK);
    int first = lay.rows_first;
    for (int n = first - 8; n <= first + 2; n++) {
        assert_int_equal(build(&d, 3, false, n, n, n, &err), RK_OK);
        assert_int_equal(rk_dhasil_layout(&d, &lay), RK_OK);
        assert_true(lay.pages == 1 || lay.pages == 2);
        struct buf b;
        assert_int_equal(render(&d, &b), RK_OK);
        assert_int_equal(pdf_pages(&b), lay.pages);
        free(b.p);
    }
    rk_dhasil_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bp),
        cmocka_unit_test(test_totals_and_shares),
        cmocka_unit_test(test_kolom_kosong),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_header_and_rows),
        cmocka_unit_test(test_render_pages),
        cmocka_unit_test(test_render_boundaries),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rk_form_render_shutdown(); /* cairo/fontconfig caches, for leak checkers */
    return rc;
}
