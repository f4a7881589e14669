/* The route table and the read-only API: health, elections, the region tree and races. Each
 * handler validates its input, reads through its request's store handle and renders JSON; the
 * shapes are documented in docs/api.md. */
#include "server/http.h"
#include "rekap/status.h"
#include "rekap/text.h"

#include <stdlib.h>
#include <string.h>

#define RACES_MAX 100000      /* a listing larger than every race in the country is a bug */
#define LOOKUP_CODES_MAX 1000 /* codes per POST /api/regions/lookup */

/* Machine keys of the per-level counts, stable for clients (unlike the display names). */
static const char *const level_key[RK_LEVEL_COUNT] = {"nasional",  "provinsi", "kabkota",
                                                      "kecamatan", "desa",     "tps"};

json_t *rk_api_region_json(const struct rk_region *r)
{
    json_t *j = json_pack("{s:s,s:s,s:i,s:s}", "code", r->code, "name", r->name, "level",
                          (int)r->level, "level_name", rk_level_name(r->level, 0));
    if (j && r->level == RK_LEVEL_TPS) {
        json_object_set_new(j, "dpt_l", json_integer(r->dpt_l));
        json_object_set_new(j, "dpt_p", json_integer(r->dpt_p));
    }
    return j;
}

json_t *rk_api_election_json(const struct rk_election *e)
{
    return json_pack("{s:I,s:s,s:s,s:i,s:s}", "id", (json_int_t)e->id, "slug", e->slug, "kind",
                     e->kind == RK_ELECTION_PEMILU ? "pemilu" : "pilkada", "year", e->year, "name",
                     e->name);
}

/* ---- /api/health ---- */

static int h_health(struct rk_req *req)
{
    int version = 0;
    int rc = rk_store_schema_version(req->store, &version);
    if (rc != RK_OK)
        return rk_req_fail(req, RK_EDB, "store not reachable", "penyimpanan tidak dapat diakses");
    long long rows = 0;
    const char *warm = rk_server_warm_state(req->srv, &rows);
    return rk_reply_json(req, json_pack("{s:s,s:s,s:s,s:i,s:s,s:I}", "status", "ok", "version",
                                        rk_server_version, "store", rk_store_engine(req->store),
                                        "schema", version, "registry_cache", warm,
                                        "registry_cache_rows", (json_int_t)rows));
}

/* ---- /api/elections ---- */

static int add_election(void *ud, const struct rk_election *e)
{
    return json_array_append_new(ud, rk_api_election_json(e)) == 0 ? 0 : RK_ENOMEM;
}

static int h_elections(struct rk_req *req)
{
    json_t *arr = json_array();
    if (!arr) return RK_ENOMEM;
    int rc = rk_store_election_list(req->store, add_election, arr);
    if (rc != RK_OK) {
        json_decref(arr);
        return rc;
    }
    return rk_reply_json(req, json_pack("{s:o}", "elections", arr));
}

/* ---- /api/regions ---- */

static int add_region(void *ud, const struct rk_region *r)
{
    return json_array_append_new(ud, rk_api_region_json(r)) == 0 ? 0 : RK_ENOMEM;
}

/* Renders a region (root when r->code is ""), its ancestors, children, counts and DPT sums. */
static int region_reply(struct rk_req *req, const struct rk_region *r)
{
    int64_t counts[RK_LEVEL_COUNT] = {0}, l = 0, p = 0;
    int rc;
    json_t *crumbs = json_array(), *children = json_array(), *cnt = json_object();
    json_t *self = rk_api_region_json(r);
    if (!crumbs || !children || !cnt || !self) {
        rc = RK_ENOMEM;
        goto fail;
    }
    for (int lv = RK_LEVEL_PROVINCE; lv < (int)r->level; lv++) {
        struct rk_region a;
        char code[RK_CODE_MAX + 1];
        if (rk_code_ancestor(r->code, (enum rk_level)lv, code) != RK_OK) continue;
        rc = rk_store_region_get(req->store, code, &a);
        if (rc == RK_ENOTFOUND) continue;
        if (rc != RK_OK || json_array_append_new(crumbs, rk_api_region_json(&a)) != 0) goto fail;
    }
    if ((rc = rk_store_region_children(req->store, r->code, add_region, children)) != RK_OK ||
        (rc = rk_store_region_counts(req->store, r->code, counts)) != RK_OK ||
        (rc = rk_store_region_voters(req->store, r->code, &l, &p)) != RK_OK)
        goto fail;
    for (int lv = (int)r->level + 1; lv < RK_LEVEL_COUNT; lv++)
        json_object_set_new(cnt, level_key[lv], json_integer(counts[lv]));
    return rk_reply_json(req, json_pack("{s:o,s:o,s:o,s:o,s:{s:I,s:I,s:I}}", "region", self,
                                        "breadcrumb", crumbs, "children", children, "counts", cnt,
                                        "dpt", "l", (json_int_t)l, "p", (json_int_t)p, "total",
                                        (json_int_t)(l + p)));
fail:
    json_decref(crumbs);
    json_decref(children);
    json_decref(cnt);
    json_decref(self);
    return rc;
}

void rk_api_root_region(struct rk_region *r)
{
    memset(r, 0, sizeof *r);
    r->level = RK_LEVEL_NATIONAL;
    snprintf(r->name, sizeof r->name, "Indonesia");
}

/* Resolves a region code from the client ("" = national root): 400 malformed, 404 unknown. */
int rk_api_lookup_region(struct rk_req *req, const char *code, struct rk_region *r)
{
    if (!code || !code[0]) {
        rk_api_root_region(r);
        return RK_OK;
    }
    char canon[RK_CODE_MAX + 1];
    enum rk_level level;
    if (rk_code_parse(code, strlen(code), canon, &level) != RK_OK)
        return rk_req_fail(req, RK_EINVAL, "malformed region code", "kode wilayah tidak valid");
    int rc = rk_store_region_get(req->store, canon, r);
    if (rc == RK_ENOTFOUND)
        return rk_req_fail(req, rc, "region not found", "wilayah tidak ditemukan");
    return rc;
}

static int h_regions_root(struct rk_req *req)
{
    struct rk_region r;
    rk_api_root_region(&r);
    return region_reply(req, &r);
}

static int h_region(struct rk_req *req)
{
    struct rk_region r;
    int rc = rk_api_lookup_region(req, req->params[0], &r);
    return rc != RK_OK ? rc : region_reply(req, &r);
}

/* POST /api/regions/lookup {"codes":[...]}: names for many codes in one round trip (a client
 * resolving a list of TPS). Also the first JSON-body endpoint, exercising the body reader. */
static int h_regions_lookup(struct rk_req *req)
{
    const char *ct = rk_req_header(req, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return rk_req_fail(req, RK_EUNSUPPORTED, "Content-Type must be application/json",
                           "Content-Type harus application/json");
    json_error_t jerr;
    json_t *in =
        req->body ? json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    json_t *codes = in ? json_object_get(in, "codes") : NULL;
    if (!in || !json_is_array(codes)) {
        json_decref(in);
        return rk_req_fail(req, RK_EPARSE, "body must be {\"codes\":[...]}",
                           "isi harus {\"codes\":[...]}");
    }
    if (json_array_size(codes) > LOOKUP_CODES_MAX) {
        json_decref(in);
        return rk_req_fail(req, RK_ERANGE, "at most 1000 codes per request",
                           "paling banyak 1000 kode per permintaan");
    }
    json_t *found = json_array(), *missing = json_array();
    int rc = found && missing ? RK_OK : RK_ENOMEM;
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v)
    {
        if (rc != RK_OK) break;
        const char *s = json_string_value(v);
        char canon[RK_CODE_MAX + 1];
        struct rk_region r;
        if (!s || rk_code_parse(s, json_string_length(v), canon, NULL) != RK_OK) {
            rc = rk_req_fail(req, RK_EINVAL, "malformed region code in codes",
                             "kode wilayah tidak valid dalam codes");
            break;
        }
        int g = rk_store_region_get(req->store, canon, &r);
        if (g == RK_OK)
            json_array_append_new(found, rk_api_region_json(&r));
        else if (g == RK_ENOTFOUND)
            json_array_append_new(missing, json_string(canon));
        else
            rc = g;
    }
    json_decref(in);
    if (rc != RK_OK) {
        json_decref(found);
        json_decref(missing);
        return rc;
    }
    return rk_reply_json(req, json_pack("{s:o,s:o}", "regions", found, "missing", missing));
}

/* ---- /api/races ---- */

struct race_buf {
    struct rk_race *v;
    size_t n, cap;
};

static int add_race(void *ud, const struct rk_race *r)
{
    struct race_buf *b = ud;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        if (cap > RACES_MAX) return RK_ETOOBIG;
        struct rk_race *nv = realloc(b->v, cap * sizeof *nv);
        if (!nv) return RK_ENOMEM;
        b->v = nv, b->cap = cap;
    }
    b->v[b->n++] = *r;
    return 0;
}

/* A race with its candidates; kolom kosong is flagged per candidate and on the race. */
int rk_api_race_json(struct rk_store *s, const struct rk_race *r, json_t **out)
{
    struct rk_candidate c[RK_CANDIDATES_MAX];
    int n = 0;
    int rc = rk_store_candidate_list(s, r->id, c, RK_CANDIDATES_MAX, &n);
    if (rc != RK_OK) return rc;
    if (n > RK_CANDIDATES_MAX) n = RK_CANDIDATES_MAX;
    json_t *cands = json_array();
    int single = 0;
    for (int i = 0; cands && i < n; i++) {
        single |= c[i].kolom_kosong;
        json_array_append_new(cands,
                              json_pack("{s:I,s:i,s:s,s:s,s:b}", "id", (json_int_t)c[i].id,
                                        "ballot_no", c[i].ballot_no, "name", c[i].name, "color",
                                        c[i].color, "kolom_kosong", (int)c[i].kolom_kosong));
    }
    *out = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:b,s:o}", "id", (json_int_t)r->id, "election_id",
                     (json_int_t)r->election_id, "kind", rk_race_kind_code(r->kind), "kind_label",
                     rk_race_kind_label(r->kind), "region_code", r->region_code, "name", r->name,
                     "single_candidate", single, "candidates", cands);
    return *out ? RK_OK : RK_ENOMEM;
}

/* The races of ?election= (all when absent) concerning ?region=, for GET /api/races and
 * GET /api/progress. The caller frees b->v. */
static int races_query(struct rk_req *req, struct rk_region *region, const char **slug,
                       struct race_buf *b)
{
    int rc = rk_api_lookup_region(req, rk_req_query(req, "region"), region);
    if (rc != RK_OK) return rc;
    *slug = rk_req_query(req, "election");
    struct rk_election e = {0};
    if (*slug) {
        if (rk_election_slug_check(*slug) != RK_OK)
            return rk_req_fail(req, RK_EINVAL, "malformed election slug",
                               "slug pemilihan tidak valid");
        rc = rk_store_election_by_slug(req->store, *slug, &e);
        if (rc == RK_ENOTFOUND)
            return rk_req_fail(req, rc, "election not found", "pemilihan tidak ditemukan");
        if (rc != RK_OK) return rc;
    }
    return rk_store_race_list(req->store, e.id, region->code, add_race, b);
}

static int h_races(struct rk_req *req)
{
    struct rk_region region;
    const char *slug = NULL;
    struct race_buf b = {0};
    int rc = races_query(req, &region, &slug, &b);
    json_t *arr = json_array();
    if (rc == RK_OK && !arr) rc = RK_ENOMEM;
    for (size_t i = 0; rc == RK_OK && i < b.n; i++) {
        json_t *rj = NULL;
        if ((rc = rk_api_race_json(req->store, &b.v[i], &rj)) == RK_OK &&
            json_array_append_new(arr, rj) != 0)
            rc = RK_ENOMEM;
    }
    free(b.v);
    if (rc != RK_OK) {
        json_decref(arr);
        return rc;
    }
    return rk_reply_json(
        req, json_pack("{s:s,s:s?,s:o}", "region", region.code, "election", slug, "races", arr));
}

/* ---- /api/progress ---- */

/* One race's counting progress inside region code: the TPS of whichever of the two (the
 * region, the race's own region) is deeper. */
static json_t *progress_json(struct rk_req *req, const struct rk_race *r, const char *code,
                             int64_t sums[4], int *rc)
{
    const char *where;
    int64_t expected;
    struct rk_tally t;
    if ((*rc = rk_api_race_scope(req->store, code, r->region_code, &where, &expected)) != RK_OK ||
        (*rc = rk_store_tally_get(req->store, r->id, where, &t)) != RK_OK)
        return NULL;
    int64_t v[4] = {expected, t.received, t.flagged, t.approved};
    for (int i = 0; i < 4; i++)
        sums[i] += v[i];
    json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:{s:I,s:I,s:I,s:I}}", "id", (json_int_t)r->id,
                          "kind", rk_race_kind_code(r->kind), "region_code", r->region_code,
                          "name", r->name, "progress", "tps_expected", (json_int_t)v[0],
                          "tps_received", (json_int_t)v[1], "tps_flagged", (json_int_t)v[2],
                          "tps_approved", (json_int_t)v[3]);
    if (!j) *rc = RK_ENOMEM;
    return j;
}

/* How far the count has come in a region, race by race: for a journalist's overview of the
 * whole country (no race is national in a Pilkada) or of one province. One read snapshot, so
 * the rows and their sum agree. */
static int h_progress(struct rk_req *req)
{
    int rc = rk_store_read_begin(req->store);
    struct rk_region region;
    const char *slug = NULL;
    struct race_buf b = {0};
    if (rc == RK_OK) rc = races_query(req, &region, &slug, &b);
    if (rc == RK_OK && region.level == RK_LEVEL_TPS)
        rc = rk_req_fail(req, RK_EINVAL, "a TPS has no progress; see /api/tps/{tps}/races/{race}",
                         "TPS tidak punya progres; lihat /api/tps/{tps}/races/{race}");
    json_t *arr = rc == RK_OK ? json_array() : NULL;
    if (rc == RK_OK && !arr) rc = RK_ENOMEM;
    int64_t sums[4] = {0, 0, 0, 0};
    for (size_t i = 0; rc == RK_OK && i < b.n; i++) {
        json_t *row = progress_json(req, &b.v[i], region.code, sums, &rc);
        if (row && json_array_append_new(arr, row) != 0) rc = RK_ENOMEM;
    }
    rk_store_read_end(req->store);
    free(b.v);
    if (rc != RK_OK) {
        json_decref(arr);
        return rc;
    }
    return rk_reply_json(
        req, json_pack("{s:o,s:s?,s:{s:I,s:I,s:I,s:I,s:I},s:o}", "region",
                       rk_api_region_json(&region), "election", slug, "totals", "races",
                       (json_int_t)b.n, "tps_expected", (json_int_t)sums[0], "tps_received",
                       (json_int_t)sums[1], "tps_flagged", (json_int_t)sums[2], "tps_approved",
                       (json_int_t)sums[3], "races", arr));
}

static int h_race(struct rk_req *req)
{
    uint64_t id;
    const char *p = req->params[0];
    if (rk_parse_u64(p, strlen(p), INT64_MAX, &id) != RK_OK || id == 0)
        return rk_req_fail(req, RK_EINVAL, "malformed race id", "id kontestasi tidak valid");
    struct rk_race r;
    int rc = rk_store_race_get(req->store, (int64_t)id, &r);
    if (rc == RK_ENOTFOUND)
        return rk_req_fail(req, rc, "race not found", "kontestasi tidak ditemukan");
    if (rc != RK_OK) return rc;
    struct rk_election e;
    struct rk_region reg;
    if ((rc = rk_store_election_get(req->store, r.election_id, &e)) != RK_OK) return rc;
    if (r.region_code[0])
        rc = rk_store_region_get(req->store, r.region_code, &reg);
    else
        rk_api_root_region(&reg);
    if (rc != RK_OK) return rc;
    json_t *rj = NULL;
    if ((rc = rk_api_race_json(req->store, &r, &rj)) != RK_OK) return rc;
    return rk_reply_json(req, json_pack("{s:o,s:o,s:o}", "race", rj, "election", rk_api_election_json(&e),
                                        "region", rk_api_region_json(&reg)));
}

const struct rk_route rk_routes[] = {
    {"GET", "/", rk_static_index, 0, 0},
    {"GET", "/static/{*}", rk_static_file, 0, 0},
    {"GET", "/kpps", rk_static_app_index, 0, 0},
    {"GET", "/kpps/", rk_static_app_index, 0, 0},
    {"GET", "/kpps/{*}", rk_static_app_file, 0, 0},
    {"GET", "/console", rk_static_app_index, 0, 0},
    {"GET", "/console/", rk_static_app_index, 0, 0},
    {"GET", "/console/{*}", rk_static_app_file, 0, 0},
    {"GET", "/api/qr", rk_h_qr, 0, 0},
    {"GET", "/api/health", h_health, 1, 0},
    {"GET", "/api/elections", h_elections, 1, 0},
    {"GET", "/api/regions", h_regions_root, 1, 0},
    {"POST", "/api/regions/lookup", h_regions_lookup, 1, 0},
    {"GET", "/api/regions/{}", h_region, 1, 0},
    {"GET", "/api/races", h_races, 1, 0},
    {"GET", "/api/progress", h_progress, 1, 0},
    {"GET", "/api/races/{}", h_race, 1, 0},
    {"GET", "/api/races/{}/results", rk_h_results, 1, 0},
    {"GET", "/api/races/{}/results.csv", rk_h_results_csv, 1, 0},
    {"GET", "/api/races/{}/tps", rk_h_race_tps, 1, 0},
    {"GET", "/api/races/{}/regions/{}/dhasil.json", rk_h_dhasil_json, 1, 0},
    {"GET", "/api/races/{}/regions/{}/dhasil.pdf", rk_h_dhasil_pdf, 1, 0},
    {"POST", "/api/login", rk_h_login, 1, 0},
    {"POST", "/api/logout", rk_h_logout, 1, 0},
    {"GET", "/api/me", rk_h_me, 1, 0},
    {"POST", "/api/devices", rk_h_device_register, 1, 0},
    {"POST", "/api/submissions", rk_h_submit, 1, 0},
    {"GET", "/api/tps/{}/races/{}", rk_h_tps_race, 1, 0},
    {"GET", "/api/tps/{}/races/{}/versions/{}", rk_h_tps_version, 1, 0},
    {"POST", "/api/tps/{}/races/{}/corrections", rk_h_correct, 1, 0},
    {"POST", "/api/tps/{}/races/{}/approve", rk_h_approve, 1, 0},
    {"POST", "/api/tps/{}/races/{}/objections", rk_h_object, 1, 0},
    {"GET", "/api/log/sth", rk_h_log_sth, 1, 0},
    {"POST", "/api/photos", rk_h_photo_put, 1, RK_PHOTO_MAX},
    {"GET", "/api/photos/{}", rk_h_photo_get, 1, 0},
    {"POST", "/api/read", rk_h_read, 1, RK_PHOTO_MAX},
    {"GET", "/api/log/entries", rk_h_log_entries, 1, 0},
    {"GET", "/api/log/proof/inclusion", rk_h_log_inclusion, 1, 0},
    {"GET", "/api/log/proof/consistency", rk_h_log_consistency, 1, 0},
    {"GET", "/api/verify", rk_h_verify, 1, 0},
    {"GET", "/api/devices/{}", rk_h_device_get, 1, 0},
    {NULL, NULL, NULL, 0, 0},
};
