/* D.Hasil from a store filled through the results API: every recap level of every race must equal
 * sums computed independently from the generated TPS results (corrections and approvals
 * included), errors must name the problem, a corrupted tally must be refused, and `rekap dhasil`
 * must write JSON and PDF.
 *
 * Also a helper for tests/cli/dhasil.sh: `cli_test_dhasil fill DB SEED` fills results for every
 * race of a store built with the importers and prints the independent sums as JSON
 * ({"<race>": {"<region code>": {...}}}, "" = national, TPS included). */
#include "testutil.h"
#include "cli/cli.h"
#include "cli/import.h"
#include "rekap/chasil.h"
#include "rekap/dhasil.h"
#include "rekap/status.h"
#include "store/dhasil.h"
#include "store/store.h"

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- generating results ---- */

struct rng {
    uint32_t s;
};

static uint32_t next(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 17;
    r->s ^= r->s << 5;
    return r->s;
}

static uint32_t upto(struct rng *r, uint32_t n) /* 0..n */
{
    return next(r) % (n + 1);
}

/* What the generator decided for one (race, TPS): the final current version's numbers. */
struct outcome {
    int64_t race;
    char tps[RK_CODE_MAX + 1];
    struct rk_tally t; /* zero when nothing was sent */
};

struct gen {
    struct rk_store *s;
    struct rng rng;
    struct rk_region *tps; /* every registered TPS */
    int ntps;
    struct outcome *out;
    int nout;
    struct rk_race races[16];
    int nraces;
};

static int collect_tps(void *ud, const struct rk_region *r)
{
    struct gen *g = ud;
    g->tps = realloc(g->tps, (size_t)(g->ntps + 1) * sizeof *g->tps);
    if (!g->tps)
        return RK_ENOMEM;
    g->tps[g->ntps++] = *r;
    return 0;
}

static int collect_race(void *ud, const struct rk_race *r)
{
    struct gen *g = ud;
    if (g->nraces < 16)
        g->races[g->nraces++] = *r;
    return 0;
}

/* A full, arithmetically consistent C.Hasil for one TPS. */
static void make_doc(struct rng *r, const struct rk_election *e, const struct rk_race *race,
                     int ncand, bool kk, const struct rk_region *tps, struct rk_chasil *doc)
{
    rk_chasil_init(doc);
    snprintf(doc->tps, sizeof doc->tps, "%s", tps->code);
    snprintf(doc->election, sizeof doc->election, "%s", e->slug);
    doc->race_id = race->id;
    doc->n_paslon = ncand;
    doc->kolom_kosong = kk;
    uint32_t dl = tps->dpt_l ? tps->dpt_l : 100 + upto(r, 150);
    uint32_t dp = tps->dpt_p ? tps->dpt_p : 100 + upto(r, 150);
    uint32_t ul = upto(r, dl), up = upto(r, dp);
    uint32_t bl = upto(r, 3), bp = upto(r, 3), kl = upto(r, 2), kp = upto(r, 2);
    uint32_t tl = ul + bl + kl, tp = up + bp + kp, tot = tl + tp;
    const struct {
        enum rk_chasil_row row;
        uint32_t l, p;
    } rows[] = {{RK_ROW_PEMILIH_DPT, dl, dp},   {RK_ROW_PENGGUNA_DPT, ul, up},
                {RK_ROW_PENGGUNA_DPTB, bl, bp}, {RK_ROW_PENGGUNA_DPK, kl, kp},
                {RK_ROW_PENGGUNA_TOTAL, tl, tp}, {RK_ROW_DISABILITAS, upto(r, 1), upto(r, 1)}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rk_chasil_set(doc, (enum rk_chasil_field)rows[i].row, rows[i].l);
        rk_chasil_set(doc, (enum rk_chasil_field)(rows[i].row + 1), rows[i].p);
        rk_chasil_set(doc, (enum rk_chasil_field)(rows[i].row + 2), rows[i].l + rows[i].p);
    }
    uint32_t dpt = dl + dp, recv = dpt + (dpt * 25 + 999) / 1000, rusak = upto(r, 2);
    rk_chasil_set(doc, RK_F_SS_DITERIMA, recv);
    rk_chasil_set(doc, RK_F_SS_DIGUNAKAN, tot);
    rk_chasil_set(doc, RK_F_SS_RUSAK, rusak);
    rk_chasil_set(doc, RK_F_SS_SISA, recv >= tot + rusak ? recv - tot - rusak : 0);
    uint32_t ts = upto(r, tot < 6 ? tot : 6), sah = tot - ts, left = sah;
    for (int i = 0; i < ncand; i++) {
        uint32_t v = i == ncand - 1 ? left : upto(r, left);
        rk_chasil_set(doc, (enum rk_chasil_field)(RK_F_SUARA_PASLON_1 + i), v);
        left -= v;
    }
    rk_chasil_set(doc, RK_F_SUARA_SAH, sah);
    rk_chasil_set(doc, RK_F_SUARA_TIDAK_SAH, ts);
    rk_chasil_set(doc, RK_F_SUARA_TOTAL, tot);
}

static int add_version(struct rk_store *s, const struct rk_chasil *doc, bool correction,
                       bool flagged, struct rk_tally *t)
{
    struct rk_version *v = calloc(1, sizeof *v);
    if (!v)
        return RK_ENOMEM;
    v->race_id = doc->race_id;
    snprintf(v->tps, sizeof v->tps, "%s", doc->tps);
    v->kind = correction ? RK_VERSION_CORRECTION : RK_VERSION_UPLOAD;
    snprintf(v->actor, sizeof v->actor, correction ? "ppk-%.6s" : "kpps-%.13s", doc->tps);
    if (correction)
        snprintf(v->reason, sizeof v->reason, "koreksi pleno PPK");
    if (flagged)
        snprintf(v->flags, sizeof v->flags, "A2_TURNOUT_HIGH");
    v->created_ms = 1732700000000LL;
    size_t len;
    int rc = rk_chasil_encode(doc, v->doc, sizeof v->doc, &len);
    if (rc == RK_OK) {
        crypto_hash_sha256(v->doc_hash, (const unsigned char *)v->doc, len);
        rk_tally_from_chasil(t, doc, flagged, false);
        rc = rk_store_begin(s);
        if (rc == RK_OK) {
            rc = rk_store_version_add(s, v, t);
            rc = rc == RK_OK ? rk_store_commit(s) : (rk_store_rollback(s), rc);
        }
    }
    free(v);
    return rc;
}

/* Fills every race of g->s; the outcomes are what the store should sum. */
static int fill(struct gen *g, uint32_t seed)
{
    g->rng.s = seed ? seed : 1;
    int rc = rk_store_region_at_level(g->s, "", RK_LEVEL_TPS, collect_tps, g);
    if (rc == RK_OK)
        rc = rk_store_race_list(g->s, 0, "", collect_race, g);
    for (int ri = 0; rc == RK_OK && ri < g->nraces; ri++) {
        const struct rk_race *race = &g->races[ri];
        struct rk_election e;
        struct rk_candidate c[RK_CANDIDATES_MAX];
        int n = 0;
        if ((rc = rk_store_election_get(g->s, race->election_id, &e)) != RK_OK ||
            (rc = rk_store_candidate_list(g->s, race->id, c, RK_CANDIDATES_MAX, &n)) != RK_OK)
            break;
        bool kk = n == 2 && c[1].kolom_kosong;
        size_t pl = strlen(race->region_code);
        for (int i = 0; rc == RK_OK && i < g->ntps; i++) {
            if (strncmp(g->tps[i].code, race->region_code, pl) != 0)
                continue;
            struct outcome *o = realloc(g->out, (size_t)(g->nout + 1) * sizeof *o);
            if (!o)
                return RK_ENOMEM;
            g->out = o;
            o = &g->out[g->nout++];
            memset(o, 0, sizeof *o);
            o->race = race->id;
            snprintf(o->tps, sizeof o->tps, "%s", g->tps[i].code);
            if (upto(&g->rng, 99) < 15)
                continue; /* not yet received */
            struct rk_chasil doc;
            make_doc(&g->rng, &e, race, n, kk, &g->tps[i], &doc);
            bool flagged = upto(&g->rng, 99) < 10;
            if ((rc = add_version(g->s, &doc, false, flagged, &o->t)) != RK_OK)
                break;
            int version = 1;
            if (upto(&g->rng, 99) < 25) { /* a correction replaces the numbers */
                make_doc(&g->rng, &e, race, n, kk, &g->tps[i], &doc);
                flagged = upto(&g->rng, 99) < 10;
                if ((rc = add_version(g->s, &doc, true, flagged, &o->t)) != RK_OK)
                    break;
                version = 2;
            }
            o->t.received = 1;
            o->t.flagged = flagged;
            if (upto(&g->rng, 99) < 60) {
                if ((rc = rk_store_begin(g->s)) != RK_OK)
                    break;
                rc = rk_store_approve(g->s, race->id, o->tps, version, "ppk", 1732800000000LL);
                rc = rc == RK_OK ? rk_store_commit(g->s) : (rk_store_rollback(g->s), rc);
                o->t.approved = 1;
            }
        }
    }
    return rc;
}

static void gen_free(struct gen *g)
{
    free(g->tps);
    free(g->out);
    memset(g, 0, sizeof *g);
}

/* Independent sum over the outcomes of race within code (a prefix), and the TPS count there. */
static void expect(const struct gen *g, int64_t race, const char *code, struct rk_tally *t,
                   int64_t *expected)
{
    rk_tally_zero(t);
    *expected = 0;
    size_t n = strlen(code);
    for (int i = 0; i < g->ntps; i++)
        *expected += strncmp(g->tps[i].code, code, n) == 0;
    for (int i = 0; i < g->nout; i++) {
        const struct outcome *o = &g->out[i];
        if (o->race != race || strncmp(o->tps, code, n) != 0)
            continue;
        for (int k = 0; k < RK_CANDIDATES_MAX; k++)
            t->votes[k] += o->t.votes[k];
        t->sah += o->t.sah;
        t->tidak_sah += o->t.tidak_sah;
        t->total += o->t.total;
        t->pengguna += o->t.pengguna;
        t->dpt += o->t.dpt;
        t->received += o->t.received;
        t->flagged += o->t.flagged;
        t->approved += o->t.approved;
    }
}

/* ---- helper mode for tests/cli/dhasil.sh ---- */

static json_t *tally_json(const struct rk_tally *t, int64_t expected, int ncand)
{
    json_t *o = json_object(), *v = json_array();
    for (int i = 0; i < ncand; i++)
        json_array_append_new(v, json_integer(t->votes[i]));
    json_object_set_new(o, "votes", v);
    json_object_set_new(o, "suara_sah", json_integer(t->sah));
    json_object_set_new(o, "suara_tidak_sah", json_integer(t->tidak_sah));
    json_object_set_new(o, "suara_total", json_integer(t->total));
    json_object_set_new(o, "pengguna", json_integer(t->pengguna));
    json_object_set_new(o, "dpt", json_integer(t->dpt));
    json_object_set_new(o, "expected", json_integer(expected));
    json_object_set_new(o, "received", json_integer(t->received));
    json_object_set_new(o, "approved", json_integer(t->approved));
    json_object_set_new(o, "flagged", json_integer(t->flagged));
    return o;
}

static int helper_fill(const char *db, const char *seed)
{
    struct gen g;
    memset(&g, 0, sizeof g);
    if (sodium_init() < 0 || rk_store_open(db, &g.s) != RK_OK)
        return 1;
    int rc = fill(&g, (uint32_t)strtoul(seed, NULL, 10));
    if (rc != RK_OK) {
        fprintf(stderr, "fill: %s\n", rk_strerror(rc));
        return 1;
    }
    json_t *all = json_object();
    for (int ri = 0; ri < g.nraces; ri++) {
        const struct rk_race *race = &g.races[ri];
        struct rk_candidate c[RK_CANDIDATES_MAX];
        int n = 0;
        rk_store_candidate_list(g.s, race->id, c, RK_CANDIDATES_MAX, &n);
        json_t *codes = json_object();
        size_t pl = strlen(race->region_code);
        for (int i = 0; i < g.ntps; i++) {
            if (strncmp(g.tps[i].code, race->region_code, pl) != 0)
                continue;
            /* The TPS and each ancestor from the race's region down. */
            for (int lv = (int)rk_race_kind_level(race->kind); lv <= RK_LEVEL_TPS; lv++) {
                char code[RK_CODE_MAX + 1];
                rk_code_ancestor(g.tps[i].code, (enum rk_level)lv, code);
                if (json_object_get(codes, code))
                    continue;
                struct rk_tally t;
                int64_t ex;
                expect(&g, race->id, code, &t, &ex);
                json_object_set_new(codes, code, tally_json(&t, ex, n));
            }
        }
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)race->id);
        json_object_set_new(all, id, codes);
    }
    char *s = json_dumps(all, JSON_SORT_KEYS | JSON_INDENT(1));
    printf("%s\n", s);
    free(s);
    json_decref(all);
    rk_store_close(g.s);
    gen_free(&g);
    return 0;
}

/* ---- cmocka tests ---- */

static const char wilayah[] = "kode,nama\n"
                              "11,ACEH\n"
                              "11.01,KAB. ACEH SELATAN\n"
                              "11.01.01,Bakongan\n"
                              "11.01.01.2001,Keude Bakongan\n"
                              "11.01.01.2002,Ujong Mangki\n"
                              "11.01.02,Kluet Utara\n"
                              "11.01.02.2001,Fajar Harapan\n"
                              "11.71,KOTA BANDA ACEH\n"
                              "11.71.01,Meuraxa\n"
                              "11.71.01.1001,Deah Glumpang\n"
                              "21,KEPULAUAN RIAU\n"
                              "21.01,KAB. BINTAN\n"
                              "21.01.01,Teluk Bintan\n"
                              "21.01.01.2001,Pengujan\n";
static const char tps[] = "1101012001001,210,225\n1101012001002,200,190\n1101012001003\n"
                          "1101012001004\n1101012001005\n1101012001006\n"
                          "1101012002001,150,160\n1101012002002\n1101012002003\n"
                          "1101022001001\n1101022001002\n1101022001003\n"
                          "1171011001001\n1171011001002\n"
                          "2101012001001,100,101\n2101012001002\n";
static const char gub[] = "{\"11\": {\"1\": {\"nama\": \"CALON SATU - WAKIL SATU\", \"nomor_urut\": 1},"
                          " \"2\": {\"nama\": \"CALON DUA - WAKIL DUA\", \"nomor_urut\": 2},"
                          " \"3\": {\"nama\": \"CALON TIGA - WAKIL TIGA\", \"nomor_urut\": 3}}}";
static const char kab[] =
    "{\"1101\": {\"11\": {\"nama\": \"DARMANSAH - SUDIRMAN\", \"nomor_urut\": 1},"
    "            \"12\": {\"nama\": \"AMRAN - AKMAL\", \"nomor_urut\": 2}},"
    " \"1171\": {\"21\": {\"nama\": \"WALI A - WAKIL A\", \"nomor_urut\": 1},"
    "            \"22\": {\"nama\": \"WALI B - WAKIL B\", \"nomor_urut\": 2}},"
    " \"2101\": {\"31\": {\"nama\": \"ROBY KURNIAWAN - DEBY MARYANTI\", \"nomor_urut\": 1},"
    "            \"32\": {\"nama\": \"KOLOM KOSONG - \", \"nomor_urut\": 2}}}";

struct fx {
    char dir[256];
    char db[1200];
    struct gen g;
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    assert_true(sodium_init() >= 0);
    rk_test_tmpdir(f.dir, sizeof f.dir);
    rk_test_store_uri(f.dir, f.db, sizeof f.db);
    assert_int_equal(rk_store_open(f.db, &f.g.s), RK_OK);
    char p[400];
    FILE *err = stderr;
    struct rk_import_report rep;
    snprintf(p, sizeof p, "%s/w.csv", f.dir);
    rk_test_write_file(p, wilayah);
    assert_int_equal(rk_import_regions(f.g.s, p, err, &rep), RK_OK);
    snprintf(p, sizeof p, "%s/tps.txt", f.dir);
    rk_test_write_file(p, tps);
    assert_int_equal(rk_import_tps(f.g.s, p, RK_MISSING_ERROR, err, &rep), RK_OK);
    snprintf(p, sizeof p, "%s/gub.json", f.dir);
    rk_test_write_file(p, gub);
    assert_int_equal(rk_import_candidates(f.g.s, p, "pilkada2024", err, &rep), RK_OK);
    snprintf(p, sizeof p, "%s/kab.json", f.dir);
    rk_test_write_file(p, kab);
    assert_int_equal(rk_import_candidates(f.g.s, p, "pilkada2024", err, &rep), RK_OK);
    assert_int_equal(fill(&f.g, 12345), RK_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rk_store_close(f->g.s);
    gen_free(&f->g);
    rk_test_rmtree(f->dir);
    return 0;
}

static void assert_tally(const struct rk_tally *got, const struct rk_tally *want)
{
    for (int k = 0; k < RK_CANDIDATES_MAX; k++)
        assert_int_equal(got->votes[k], want->votes[k]);
    assert_int_equal(got->sah, want->sah);
    assert_int_equal(got->tidak_sah, want->tidak_sah);
    assert_int_equal(got->total, want->total);
    assert_int_equal(got->pengguna, want->pengguna);
    assert_int_equal(got->dpt, want->dpt);
    assert_int_equal(got->received, want->received);
    assert_int_equal(got->flagged, want->flagged);
    assert_int_equal(got->approved, want->approved);
}

static const struct rk_race *race_of(const struct gen *g, const char *region)
{
    for (int i = 0; i < g->nraces; i++)
        if (strcmp(g->races[i].region_code, region) == 0)
            return &g->races[i];
    fail_msg("no race for %s", region);
    return NULL;
}

/* Every recap level of every race equals the independent sums, row by row. */
static void test_levels_match(void **state)
{
    struct fx *f = *state;
    assert_int_equal(f->g.nraces, 4);
    const struct {
        const char *race, *region;
        int rows;
    } cases[] = {
        {"11", "11", 2},       {"11", "1101", 2},     {"11", "110101", 9}, {"11", "110102", 3},
        {"11", "1171", 1},     {"11", "117101", 2},   {"1101", "1101", 2},  {"1101", "110101", 9},
        {"1171", "117101", 2}, {"2101", "2101", 1},   {"2101", "210101", 2},
    };
    int received = 0, total_rows = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const struct rk_race *race = race_of(&f->g, cases[k].race);
        struct rk_dhasil d;
        rk_dhasil_init(&d);
        struct rk_dhasil_error err;
        int rc = rk_store_dhasil_load(f->g.s, race->id, cases[k].region, 1732900000000LL, "ref",
                                      &d, &err);
        if (rc != RK_OK)
            fail_msg("%s/%s: %s", cases[k].race, cases[k].region, err.msg_en);
        assert_true(d.checked);
        struct rk_tally want;
        int64_t ex;
        expect(&f->g, race->id, cases[k].region, &want, &ex);
        assert_tally(&d.h.total, &want);
        assert_int_equal(d.h.tps_expected, ex);
        assert_int_equal(d.nrows, cases[k].rows);
        for (int i = 0; i < d.nrows; i++) {
            expect(&f->g, race->id, d.rows[i].code, &want, &ex);
            assert_tally(&d.rows[i].tally, &want);
            assert_int_equal(d.rows[i].tps_expected, ex);
            total_rows++;
        }
        received += (int)d.h.total.received;
        if (strlen(cases[k].region) == 6) {
            assert_int_equal(d.row_level, RK_LEVEL_TPS);
            assert_true(d.rows[0].desa[0] != 0); /* TPS rows carry their desa's name */
        }
        rk_dhasil_free(&d);
    }
    assert_true(received > 10); /* the generator really sent results */
    assert_true(total_rows > 30);
}

static void test_errors(void **state)
{
    struct fx *f = *state;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    const struct rk_race *gub11 = race_of(&f->g, "11"), *bup = race_of(&f->g, "1101");
    assert_int_equal(rk_store_dhasil_load(f->g.s, 999, "11", 0, NULL, &d, &err), RK_ENOTFOUND);
    assert_non_null(strstr(err.msg_en, "race 999 not found"));
    assert_int_equal(rk_store_dhasil_load(f->g.s, gub11->id, "1102", 0, NULL, &d, &err),
                     RK_ENOTFOUND);
    assert_non_null(strstr(err.msg_id, "wilayah 1102 tidak ditemukan"));
    assert_int_equal(rk_store_dhasil_load(f->g.s, gub11->id, "2101", 0, NULL, &d, &err),
                     RK_EINVAL);
    assert_non_null(strstr(err.msg_en, "outside race"));
    assert_int_equal(rk_store_dhasil_load(f->g.s, bup->id, "11", 0, NULL, &d, &err), RK_EINVAL);
    assert_int_equal(rk_store_dhasil_load(f->g.s, bup->id, "", 0, NULL, &d, &err), RK_EINVAL);
    assert_int_equal(rk_store_dhasil_load(f->g.s, bup->id, "1101012001", 0, NULL, &d, &err),
                     RK_EINVAL);
    assert_non_null(strstr(err.msg_en, "no D.Hasil at"));
    assert_false(d.checked);
    /* Without a data reference the footer describes the log (none signed here). */
    assert_int_equal(rk_store_dhasil_load(f->g.s, bup->id, "1101", 0, NULL, &d, &err), RK_OK);
    assert_non_null(strstr(d.h.data_ref, "no signed tree head"));
    rk_dhasil_free(&d);
}

/* A TPS's current numbers changed behind the store's back (tps_state, from which kecamatan and
 * desa totals are summed) are refused at the first level with a stored total above it. */
static void test_corrupt_tally(void **state)
{
    struct fx *f = *state;
    if (rk_test_store_is_pg())
        skip();
    const struct rk_race *bup = race_of(&f->g, "1101");
    rk_store_close(f->g.s);
    f->g.s = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE tps_state SET v1 = v1 + 7, sah = sah + 7, total = total + 7 "
             "WHERE race_id = %lld AND tps_code = (SELECT min(tps_code) FROM tps_state "
             "WHERE race_id = %lld AND tps_code LIKE '110102%%')",
             (long long)bup->id, (long long)bup->id);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
    assert_int_equal(rk_store_open(f->db, &f->g.s), RK_OK);
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    /* Kab/kota: its kecamatan rows no longer sum to its stored tally. */
    assert_int_equal(rk_store_dhasil_load(f->g.s, bup->id, "1101", 0, "x", &d, &err),
                     RK_EVALIDATION);
    assert_string_equal(err.where, "total");
    assert_non_null(strstr(err.msg_en, "suara_paslon_1"));
    /* The kecamatan's own total is the sum of the same rows, so only `rekap audit`'s recount
     * from the signed documents (test_audit) can tell which TPS row was changed. */
    assert_int_equal(rk_store_dhasil_load(f->g.s, bup->id, "110102", 0, "x", &d, &err), RK_OK);
    rk_dhasil_free(&d);
    rk_dhasil_init(&d);
    /* The untouched kecamatan is still fine. */
    assert_int_equal(rk_store_dhasil_load(f->g.s, bup->id, "110101", 0, "x", &d, &err), RK_OK);
    rk_dhasil_free(&d);
}

static int run_cli(char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return rk_cmd_dhasil(argc, argv);
}

static void test_cli(void **state)
{
    struct fx *f = *state;
    if (rk_test_store_is_pg())
        skip();
    const struct rk_race *gub11 = race_of(&f->g, "11");
    char race[24], json[400], pdf[400];
    snprintf(race, sizeof race, "%lld", (long long)gub11->id);
    snprintf(json, sizeof json, "%s/d.json", f->dir);
    snprintf(pdf, sizeof pdf, "%s/d.pdf", f->dir);
    char *a1[] = {"dhasil", "--db", f->db, "--race", race, "--region", "11.01", "--out", json,
                  NULL};
    assert_int_equal(run_cli(a1), 0);
    json_error_t je;
    json_t *o = json_load_file(json, 0, &je);
    assert_non_null(o);
    struct rk_tally want;
    int64_t ex;
    expect(&f->g, gub11->id, "1101", &want, &ex);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "total"), "suara_sah")),
                     want.sah);
    assert_string_equal(json_string_value(json_object_get(o, "model")),
                        "MODEL D.HASIL KABUPATEN/KOTA-KWK");
    json_decref(o);
    char *a2[] = {"dhasil", "--db", f->db, "--race", race, "--region", "110101", "--format", "pdf",
                  "--out", pdf, NULL};
    assert_int_equal(run_cli(a2), 0);
    FILE *pf = fopen(pdf, "rb");
    assert_non_null(pf);
    char head[5] = {0};
    assert_int_equal(fread(head, 1, 4, pf), 4);
    fclose(pf);
    assert_string_equal(head, "%PDF");
    /* Usage errors are 2, refused documents 1, and neither leaves a file. */
    char bad[400];
    snprintf(bad, sizeof bad, "%s/bad.json", f->dir);
    char *a3[] = {"dhasil", "--db", f->db, "--race", "x", "--region", "11", "--out", bad, NULL};
    assert_int_equal(run_cli(a3), 2);
    char *a4[] = {"dhasil", "--db", f->db, "--race", race, "--region", "21", "--out", bad, NULL};
    assert_int_equal(run_cli(a4), 1);
    char *a5[] = {"dhasil", "--db", f->db, "--race", race, "--region", "11", "--format", "xml",
                  "--out", bad, NULL};
    assert_int_equal(run_cli(a5), 2);
    assert_int_equal(access(bad, F_OK), -1);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "fill") == 0)
        return helper_fill(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_levels_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_tally, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
