/* D.Hasil documents: building, checking and JSON. Pure: the numbers come from the caller.
 *
 * The check is deliberately redundant with how the store keeps tallies (incrementally, one
 * difference per accepted version): summing the rows afresh and comparing with the region's
 * stored tally is what catches a tally that drifted, so the document refuses rather than prints
 * numbers that do not add up. */
#include "rekap/dhasil.h"
#include "rekap/status.h"
#include "rekap/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void fail(struct rk_dhasil_error *err, const char *where, const char *fmt_id,
                 const char *fmt_en, ...) __attribute__((format(printf, 3, 5)));

/* Fills err: both messages take the same arguments in the same order. */
static void fail(struct rk_dhasil_error *err, const char *where, const char *fmt_id,
                 const char *fmt_en, ...)
{
    if (!err)
        return;
    snprintf(err->where, sizeof err->where, "%s", where);
    va_list ap;
    va_start(ap, fmt_en);
    va_list aq;
    va_copy(aq, ap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(err->msg_id, sizeof err->msg_id, fmt_id, ap);
    vsnprintf(err->msg_en, sizeof err->msg_en, fmt_en, aq);
#pragma GCC diagnostic pop
    va_end(aq);
    va_end(ap);
}

static void clear_err(struct rk_dhasil_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

void rk_dhasil_init(struct rk_dhasil *d)
{
    memset(d, 0, sizeof *d);
}

void rk_dhasil_free(struct rk_dhasil *d)
{
    if (!d)
        return;
    free(d->rows);
    rk_dhasil_init(d);
}

/* Stable ASCII level names used in JSON. */
static const char *level_key(enum rk_level l)
{
    static const char *const k[RK_LEVEL_COUNT] = {"nasional",  "provinsi", "kabkota",
                                                  "kecamatan", "desa",     "tps"};
    return (unsigned)l < RK_LEVEL_COUNT ? k[l] : "?";
}

static bool text_ok(const char *s, size_t cap, bool may_be_empty)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        return false; /* not terminated */
    if (n == 0)
        return may_be_empty;
    return rk_utf8_valid_text(s, n) != 0;
}

static bool code_ok(const char *code)
{
    size_t n = strnlen(code, RK_CODE_MAX + 1);
    if (n > RK_CODE_MAX)
        return false;
    if (n == 0)
        return true;
    char canon[RK_CODE_MAX + 1];
    enum rk_level lv;
    return rk_code_parse(code, n, canon, &lv) == RK_OK && strcmp(canon, code) == 0;
}

static bool count_ok(int64_t v)
{
    return v >= 0 && v <= RK_DHASIL_VALUE_MAX;
}

int rk_dhasil_begin(struct rk_dhasil *d, const struct rk_dhasil_header *h,
                    struct rk_dhasil_error *err)
{
    clear_err(err);
    d->nrows = 0;
    d->checked = false;
    d->row_level = RK_LEVEL_NATIONAL; /* "not begun" until the header passes */
    memset(&d->h, 0, sizeof d->h);
    if (rk_election_slug_check(h->election_slug) != RK_OK ||
        !text_ok(h->election_name, sizeof h->election_name, true)) {
        fail(err, "election", "pemilihan tidak valid", "invalid election slug or name");
        return RK_EINVAL;
    }
    if (h->year < 1955 || h->year > 9999) {
        fail(err, "election", "tahun pemilihan %d tidak valid", "invalid election year %d",
             h->year);
        return RK_ERANGE;
    }
    const struct rk_race *race = &h->race;
    if (race->kind < RK_RACE_GOVERNOR || race->kind > RK_RACE_PRESIDENT ||
        !code_ok(race->region_code) ||
        rk_code_level(race->region_code) != (int)rk_race_kind_level(race->kind) ||
        !text_ok(race->name, sizeof race->name, true)) {
        fail(err, "race", "data pemilihan (race) tidak valid", "invalid race");
        return RK_EINVAL;
    }
    const char *why = "";
    if (h->ncand < 2 || h->ncand > RK_CANDIDATES_MAX ||
        rk_race_check_candidates(h->cand, h->ncand, &why) != RK_OK) {
        fail(err, "candidates", "daftar paslon tidak valid: %s", "invalid candidate list: %s",
             h->ncand < 2 || h->ncand > RK_CANDIDATES_MAX ? "2..6 pairs" : why);
        return RK_EINVAL;
    }
    for (int i = 0; i < h->ncand; i++) {
        if (h->cand[i].ballot_no != i + 1 ||
            !text_ok(h->cand[i].name, sizeof h->cand[i].name, false)) {
            fail(err, "candidates", "paslon harus urut nomor 1..%d", "candidates must be in "
                 "ballot order 1..%d", h->ncand);
            return RK_EINVAL;
        }
    }
    const struct rk_region *r = &h->region;
    int lv = rk_code_level(r->code);
    if (!code_ok(r->code) || lv < 0 || lv != (int)r->level ||
        !text_ok(r->name, sizeof r->name, lv == RK_LEVEL_NATIONAL)) {
        fail(err, "region", "wilayah tidak valid", "invalid region");
        return RK_EINVAL;
    }
    size_t rl = strlen(race->region_code);
    if (strncmp(r->code, race->region_code, rl) != 0 || lv < (int)rk_race_kind_level(race->kind)) {
        fail(err, "region", "wilayah %s berada di luar wilayah pemilihan %s",
             "region %s is outside the race's region %s", r->code[0] ? r->code : "(nasional)",
             race->region_code[0] ? race->region_code : "(nasional)");
        return RK_EINVAL;
    }
    if (lv > RK_LEVEL_KECAMATAN) {
        fail(err, "region", "tidak ada D.Hasil di tingkat %s; rekapitulasi dimulai di kecamatan",
             "there is no D.Hasil at %s level; recapitulation starts at the kecamatan",
             rk_level_name((enum rk_level)lv, 0));
        return RK_EINVAL;
    }
    if (!text_ok(h->provinsi, sizeof h->provinsi, true) ||
        !text_ok(h->kabkota, sizeof h->kabkota, true) ||
        !text_ok(h->kecamatan, sizeof h->kecamatan, true) ||
        !text_ok(h->data_ref, sizeof h->data_ref, true)) {
        fail(err, "header", "nama wilayah atau referensi data tidak valid",
             "invalid region names or data reference");
        return RK_EINVAL;
    }
    /* Year 9999 ends at 253402300800 s. */
    if (!count_ok(h->tps_expected) || h->generated_ms < 0 ||
        h->generated_ms >= 253402300800000LL) {
        fail(err, "header", "jumlah TPS atau waktu pembuatan di luar batas",
             "TPS count or generation time out of range");
        return RK_ERANGE;
    }
    d->h = *h;
    d->row_level = lv == RK_LEVEL_KECAMATAN ? RK_LEVEL_TPS : (enum rk_level)(lv + 1);
    return RK_OK;
}

int rk_dhasil_add_row(struct rk_dhasil *d, const struct rk_dhasil_row *row,
                      struct rk_dhasil_error *err)
{
    clear_err(err);
    if (d->row_level == RK_LEVEL_NATIONAL) {
        fail(err, "", "dokumen belum dimulai", "document not begun");
        return RK_EINVAL;
    }
    d->checked = false;
    const char *rc_code = d->h.region.code;
    size_t pl = strlen(rc_code);
    if (!code_ok(row->code) || rk_code_level(row->code) != (int)d->row_level ||
        strncmp(row->code, rc_code, pl) != 0) {
        fail(err, row->code, "kode baris %.13s bukan %s di dalam wilayah %s",
             "row code %.13s is not a %s inside region %s", row->code,
             rk_level_name(d->row_level, 0), rc_code[0] ? rc_code : "(nasional)");
        return RK_EINVAL;
    }
    if (d->nrows > 0 && strcmp(d->rows[d->nrows - 1].code, row->code) >= 0) {
        fail(err, row->code, "baris %s tidak urut atau berulang", "row %s out of order or repeated",
             row->code);
        return RK_EINVAL;
    }
    if (!text_ok(row->name, sizeof row->name, false) || !text_ok(row->desa, sizeof row->desa, true)) {
        fail(err, row->code, "nama baris %s tidak valid", "row %s has an invalid name", row->code);
        return RK_EINVAL;
    }
    if (d->nrows >= RK_DHASIL_ROWS_MAX) {
        fail(err, row->code, "lebih dari %d baris", "more than %d rows", RK_DHASIL_ROWS_MAX);
        return RK_ETOOBIG;
    }
    if (d->nrows == d->cap) {
        int ncap = d->cap ? d->cap * 2 : 64;
        if (ncap > RK_DHASIL_ROWS_MAX)
            ncap = RK_DHASIL_ROWS_MAX;
        struct rk_dhasil_row *n = realloc(d->rows, (size_t)ncap * sizeof *n);
        if (!n)
            return RK_ENOMEM;
        d->rows = n;
        d->cap = ncap;
    }
    d->rows[d->nrows++] = *row;
    return RK_OK;
}

/* Column names used in messages (the JSON names). */
static void column_name(int c, char *buf, size_t cap)
{
    static const char *const names[] = {"suara_sah", "suara_tidak_sah", "suara_total", "pengguna",
                                        "dpt", "tps_diterima", "tps_ditandai", "tps_disetujui",
                                        "tps_terdaftar"};
    if (c < RK_CANDIDATES_MAX)
        snprintf(buf, cap, "suara_paslon_%d", c + 1);
    else
        snprintf(buf, cap, "%s", names[c - RK_CANDIDATES_MAX]);
}

#define NCOLS (RK_CANDIDATES_MAX + 9)

static void columns(const struct rk_tally *t, int64_t expected, int64_t v[NCOLS])
{
    for (int i = 0; i < RK_CANDIDATES_MAX; i++)
        v[i] = t->votes[i];
    int k = RK_CANDIDATES_MAX;
    v[k++] = t->sah;
    v[k++] = t->tidak_sah;
    v[k++] = t->total;
    v[k++] = t->pengguna;
    v[k++] = t->dpt;
    v[k++] = t->received;
    v[k++] = t->flagged;
    v[k++] = t->approved;
    v[k++] = expected;
}

/* Checks one line of numbers (a row or the total); label names it in messages. */
static int check_line(const struct rk_dhasil *d, const char *where, const char *label,
                      const struct rk_tally *t, int64_t expected, bool tps_row,
                      struct rk_dhasil_error *err)
{
    int64_t v[NCOLS];
    columns(t, expected, v);
    char col[32];
    for (int c = 0; c < NCOLS; c++) {
        if (!count_ok(v[c])) {
            column_name(c, col, sizeof col);
            fail(err, where, "%s: %s = %lld di luar batas 0..%lld (tally rusak)",
                 "%s: %s = %lld outside 0..%lld (corrupt tally)", label, col, (long long)v[c],
                 (long long)RK_DHASIL_VALUE_MAX);
            return RK_ERANGE;
        }
    }
    int64_t sum = 0;
    for (int i = 0; i < RK_CANDIDATES_MAX; i++) {
        if (i >= d->h.ncand && t->votes[i] != 0) {
            fail(err, where, "%s: suara untuk nomor urut %d padahal hanya ada %d paslon",
                 "%s: votes for ballot number %d but the race has %d pairs", label, i + 1,
                 d->h.ncand);
            return RK_EVALIDATION;
        }
        sum += t->votes[i];
    }
    if (t->sah != sum) {
        fail(err, where, "%s: suara sah %lld tidak sama dengan jumlah suara paslon %lld (R3)",
             "%s: valid votes %lld differ from the pairs' sum %lld (R3)", label,
             (long long)t->sah, (long long)sum);
        return RK_EVALIDATION;
    }
    if (t->total != t->sah + t->tidak_sah) {
        fail(err, where,
             "%s: jumlah suara %lld tidak sama dengan sah %lld + tidak sah %lld (R4)",
             "%s: total votes %lld differ from valid %lld + invalid %lld (R4)", label,
             (long long)t->total, (long long)t->sah, (long long)t->tidak_sah);
        return RK_EVALIDATION;
    }
    if (t->received > expected || (tps_row && expected > 1)) {
        fail(err, where, "%s: %lld TPS masuk dari %lld TPS terdaftar",
             "%s: %lld TPS received of %lld registered", label, (long long)t->received,
             (long long)expected);
        return RK_EVALIDATION;
    }
    if (t->approved > t->received || t->flagged > t->received) {
        fail(err, where, "%s: TPS disetujui (%lld) atau ditandai (%lld) melebihi TPS masuk (%lld)",
             "%s: approved (%lld) or flagged (%lld) TPS exceed received (%lld)", label,
             (long long)t->approved, (long long)t->flagged, (long long)t->received);
        return RK_EVALIDATION;
    }
    return RK_OK;
}

int rk_dhasil_finish(struct rk_dhasil *d, struct rk_dhasil_error *err)
{
    clear_err(err);
    d->checked = false;
    if (d->row_level == RK_LEVEL_NATIONAL) {
        fail(err, "", "dokumen belum dimulai", "document not begun");
        return RK_EINVAL;
    }
    int64_t sum[NCOLS] = {0};
    bool tps = d->row_level == RK_LEVEL_TPS;
    for (int i = 0; i < d->nrows; i++) {
        const struct rk_dhasil_row *r = &d->rows[i];
        char label[RK_CODE_MAX + RK_NAME_MAX + 8];
        snprintf(label, sizeof label, "%s %s", r->code, r->name);
        int rc = check_line(d, r->code, label, &r->tally, r->tps_expected, tps, err);
        if (rc != RK_OK)
            return rc;
        int64_t v[NCOLS];
        columns(&r->tally, r->tps_expected, v);
        for (int c = 0; c < NCOLS; c++)
            sum[c] += v[c]; /* each below 1e12, at most 5000 rows: no overflow */
    }
    int rc = check_line(d, "total", "total", &d->h.total, d->h.tps_expected, false, err);
    if (rc != RK_OK)
        return rc;
    int64_t tot[NCOLS];
    columns(&d->h.total, d->h.tps_expected, tot);
    for (int c = 0; c < NCOLS; c++) {
        if (sum[c] != tot[c]) {
            char col[32];
            column_name(c, col, sizeof col);
            fail(err, "total",
                 "jumlah %d baris untuk %s = %lld, tetapi total wilayah tersimpan = %lld "
                 "(tally tidak konsisten)",
                 "the %d rows sum %s to %lld but the region's stored total is %lld "
                 "(inconsistent tally)",
                 d->nrows, col, (long long)sum[c], (long long)tot[c]);
            return RK_EVALIDATION;
        }
    }
    d->checked = true;
    return RK_OK;
}

int64_t rk_dhasil_bp(int64_t num, int64_t den)
{
    if (den <= 0 || num < 0)
        return 0;
    /* num <= RK_DHASIL_VALUE_MAX (1e12): num * 20000 stays far below 2^63. */
    return (num * 20000 + den) / (2 * den);
}

void rk_dhasil_bp_format(int64_t bp, char sep, char *buf, size_t cap)
{
    if (bp < 0)
        bp = 0;
    snprintf(buf, cap, "%lld%c%02lld", (long long)(bp / 100), sep, (long long)(bp % 100));
}

void rk_dhasil_progress(const struct rk_dhasil *d, struct rk_dhasil_progress *p)
{
    const struct rk_tally *t = &d->h.total;
    p->expected = d->h.tps_expected;
    p->received = t->received;
    p->approved = t->approved;
    p->flagged = t->flagged;
    p->missing = p->expected > p->received ? p->expected - p->received : 0;
    p->unapproved = p->received - p->approved;
    p->final = p->expected > 0 && p->missing == 0 && p->unapproved == 0;
}

const char *rk_dhasil_model(const struct rk_dhasil *d)
{
    bool ppwp = d->h.race.kind == RK_RACE_PRESIDENT;
    switch (d->h.region.level) {
    case RK_LEVEL_NATIONAL:
        return "MODEL D.HASIL NASIONAL-PPWP";
    case RK_LEVEL_PROVINCE:
        return ppwp ? "MODEL D.HASIL PROVINSI-PPWP" : "MODEL D.HASIL PROVINSI-KWK";
    case RK_LEVEL_KABKOTA:
        return ppwp ? "MODEL D.HASIL KABUPATEN/KOTA-PPWP" : "MODEL D.HASIL KABUPATEN/KOTA-KWK";
    default:
        return ppwp ? "MODEL D.HASIL KECAMATAN-PPWP" : "MODEL D.HASIL KECAMATAN-KWK";
    }
}

/* ---- JSON ---- */

/* json_object_set_new that remembers a failure instead of checking every call. */
struct jb {
    bool bad;
};

static void put(struct jb *b, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) != 0)
        b->bad = true;
}

static void push(struct jb *b, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) != 0)
        b->bad = true;
}

/* Sets "bp" and "percent" of num/den on o. */
static void add_percent(struct jb *b, json_t *o, int64_t num, int64_t den)
{
    int64_t bp = rk_dhasil_bp(num, den);
    char s[32];
    rk_dhasil_bp_format(bp, '.', s, sizeof s);
    put(b, o, "bp", json_integer(bp));
    put(b, o, "percent", json_string(s));
}

static json_t *percent_obj(struct jb *b, int64_t num, int64_t den)
{
    json_t *o = json_object();
    if (!o) {
        b->bad = true;
        return NULL;
    }
    add_percent(b, o, num, den);
    return o;
}

static json_t *numbers(struct jb *b, const struct rk_dhasil *d, const struct rk_tally *t,
                       int64_t expected)
{
    json_t *o = json_object(), *votes = json_array(), *tps = json_object();
    if (!o || !votes || !tps) {
        json_decref(o), json_decref(votes), json_decref(tps);
        b->bad = true;
        return NULL;
    }
    for (int i = 0; i < d->h.ncand; i++)
        push(b, votes, json_integer(t->votes[i]));
    put(b, o, "votes", votes);
    put(b, o, "suara_sah", json_integer(t->sah));
    put(b, o, "suara_tidak_sah", json_integer(t->tidak_sah));
    put(b, o, "suara_total", json_integer(t->total));
    put(b, o, "pengguna", json_integer(t->pengguna));
    put(b, o, "dpt", json_integer(t->dpt));
    put(b, tps, "expected", json_integer(expected));
    put(b, tps, "received", json_integer(t->received));
    put(b, tps, "approved", json_integer(t->approved));
    put(b, tps, "flagged", json_integer(t->flagged));
    put(b, o, "tps", tps);
    return o;
}

static void iso_time(int64_t ms, char *buf, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&s, &tm)) {
        snprintf(buf, cap, "?");
        return;
    }
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int rk_dhasil_to_json(const struct rk_dhasil *d, json_t **out)
{
    *out = NULL;
    if (!d->checked)
        return RK_EINVAL;
    struct jb b = {false};
    json_t *o = json_object();
    if (!o)
        return RK_ENOMEM;
    const struct rk_dhasil_header *h = &d->h;
    put(&b, o, "v", json_integer(RK_DHASIL_VERSION));
    put(&b, o, "type", json_string("dhasil"));
    put(&b, o, "model", json_string(rk_dhasil_model(d)));
    put(&b, o, "level", json_string(level_key(h->region.level)));
    put(&b, o, "row_level", json_string(level_key(d->row_level)));

    json_t *e = json_object();
    if (e) {
        put(&b, e, "slug", json_string(h->election_slug));
        put(&b, e, "name", json_string(h->election_name));
        put(&b, e, "year", json_integer(h->year));
    }
    put(&b, o, "election", e);

    json_t *r = json_object();
    if (r) {
        put(&b, r, "id", json_integer(h->race.id));
        put(&b, r, "kind", json_string(rk_race_kind_code(h->race.kind)));
        put(&b, r, "label", json_string(rk_race_kind_label(h->race.kind)));
        put(&b, r, "region", json_string(h->race.region_code));
        put(&b, r, "name", json_string(h->race.name));
    }
    put(&b, o, "race", r);

    json_t *g = json_object();
    if (g) {
        put(&b, g, "code", json_string(h->region.code));
        put(&b, g, "name", json_string(h->region.name));
        put(&b, g, "provinsi", json_string(h->provinsi));
        put(&b, g, "kabkota", json_string(h->kabkota));
        put(&b, g, "kecamatan", json_string(h->kecamatan));
    }
    put(&b, o, "region", g);

    json_t *cands = json_array();
    for (int i = 0; cands && i < h->ncand; i++) {
        json_t *c = json_object();
        if (c) {
            put(&b, c, "ballot_no", json_integer(h->cand[i].ballot_no));
            put(&b, c, "id", json_integer(h->cand[i].id));
            put(&b, c, "name", json_string(h->cand[i].name));
            put(&b, c, "kolom_kosong", json_boolean(h->cand[i].kolom_kosong));
        }
        push(&b, cands, c);
    }
    put(&b, o, "candidates", cands);

    json_t *rows = json_array();
    for (int i = 0; rows && i < d->nrows; i++) {
        const struct rk_dhasil_row *row = &d->rows[i];
        json_t *x = json_object();
        if (x) {
            put(&b, x, "code", json_string(row->code));
            put(&b, x, "name", json_string(row->name));
            if (d->row_level == RK_LEVEL_TPS)
                put(&b, x, "desa", json_string(row->desa));
            json_t *n = numbers(&b, d, &row->tally, row->tps_expected);
            if (n)
                json_object_update(x, n); /* flatten: the row's numbers sit beside its name */
            json_decref(n);
        }
        push(&b, rows, x);
    }
    put(&b, o, "rows", rows);
    put(&b, o, "total", numbers(&b, d, &h->total, h->tps_expected));

    json_t *shares = json_array();
    for (int i = 0; shares && i < h->ncand; i++) {
        json_t *s = json_object();
        if (s) {
            put(&b, s, "ballot_no", json_integer(i + 1));
            put(&b, s, "votes", json_integer(h->total.votes[i]));
            add_percent(&b, s, h->total.votes[i], h->total.sah);
        }
        push(&b, shares, s);
    }
    put(&b, o, "shares", shares);
    put(&b, o, "participation", percent_obj(&b, h->total.pengguna, h->total.dpt));

    struct rk_dhasil_progress p;
    rk_dhasil_progress(d, &p);
    json_t *pr = json_object();
    if (pr) {
        put(&b, pr, "expected", json_integer(p.expected));
        put(&b, pr, "received", json_integer(p.received));
        put(&b, pr, "approved", json_integer(p.approved));
        put(&b, pr, "flagged", json_integer(p.flagged));
        put(&b, pr, "missing", json_integer(p.missing));
        put(&b, pr, "unapproved", json_integer(p.unapproved));
        put(&b, pr, "received_share", percent_obj(&b, p.received, p.expected));
        put(&b, pr, "approved_share", percent_obj(&b, p.approved, p.expected));
        put(&b, pr, "final", json_boolean(p.final));
    }
    put(&b, o, "progress", pr);
    put(&b, o, "status", json_string(p.final ? "final" : "sementara"));
    char ts[32];
    iso_time(h->generated_ms, ts, sizeof ts);
    put(&b, o, "generated_at", json_string(ts));
    put(&b, o, "data_ref", json_string(h->data_ref));
    if (b.bad) {
        json_decref(o);
        return RK_ENOMEM;
    }
    *out = o;
    return RK_OK;
}

int rk_dhasil_json_dump(const struct rk_dhasil *d, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    json_t *o;
    int rc = rk_dhasil_to_json(d, &o);
    if (rc != RK_OK)
        return rc;
    char *s = json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(o);
    if (!s)
        return RK_ENOMEM;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return RK_ENOMEM;
    }
    t[n] = '\n';
    t[n + 1] = 0;
    *buf = t;
    *len = n + 1;
    return RK_OK;
}
