/* An audit source reading a rekap server over HTTP (the public, unauthenticated API of
 * docs/api.md). Every answer is parsed strictly into the same structs the store source fills,
 * then checked by store/audit.c and cli/audit.c exactly as if it came from a database file. */
#include "cli/httpsrc.h"
#include "rekap/status.h"
#include "rekap/submission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 1000 /* log entries per request: the server's cap */

static int get(struct rk_http_src *h, const char *path, json_t **out)
{
    int status;
    *out = NULL;
    int rc = h->fetch ? h->fetch(h->fetch_ud, path, out)
                      : rk_http_get_json(&h->url, path, &status, out);
    h->requests++;
    if (rc == RK_OK && !*out)
        rc = RK_EPARSE;
    return rc;
}

static int copy_str(json_t *obj, const char *key, char *out, size_t cap, int required)
{
    json_t *v = json_object_get(obj, key);
    if (!v && !required) {
        out[0] = '\0';
        return RK_OK;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return RK_EPARSE;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return strlen(out) == json_string_length(v) ? RK_OK : RK_EPARSE; /* no NUL inside */
}

static int hex_field(json_t *obj, const char *key, uint8_t *out, size_t n)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || rk_unhex(json_string_value(v), json_string_length(v), out, n) != RK_OK)
        return RK_EPARSE;
    return RK_OK;
}

static int int_field(json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return RK_EPARSE;
    *out = json_integer_value(v);
    return RK_OK;
}

static int load_races(struct rk_http_src *h)
{
    if (h->races)
        return RK_OK;
    json_t *el = NULL, *ra = NULL;
    int rc = get(h, "/api/elections", &el);
    if (rc == RK_OK)
        rc = get(h, "/api/races", &ra);
    json_t *elist = json_object_get(el, "elections"), *rlist = json_object_get(ra, "races");
    if (rc == RK_OK && (!json_is_array(elist) || !json_is_array(rlist)))
        rc = RK_EPARSE;
    size_t n = rc == RK_OK ? json_array_size(rlist) : 0;
    struct rk_audit_race *races = rc == RK_OK ? calloc(n ? n : 1, sizeof *races) : NULL;
    if (rc == RK_OK && !races)
        rc = RK_ENOMEM;
    for (size_t i = 0; rc == RK_OK && i < n; i++) {
        json_t *r = json_array_get(rlist, i);
        int64_t id, eid;
        char kind[16], slug[64] = "";
        if ((rc = int_field(r, "id", 1, INT64_MAX, &id)) != RK_OK ||
            (rc = int_field(r, "election_id", 1, INT64_MAX, &eid)) != RK_OK ||
            (rc = copy_str(r, "kind", kind, sizeof kind, 1)) != RK_OK ||
            (rc = copy_str(r, "region_code", races[i].region, sizeof races[i].region, 1)) !=
                RK_OK)
            break;
        json_t *c = json_object_get(r, "candidates");
        if (!json_is_array(c) || json_array_size(c) > RK_CANDIDATES_MAX) {
            rc = RK_EPARSE;
            break;
        }
        races[i].id = id;
        races[i].ncand = (int)json_array_size(c);
        /* "pkwkk" covers regent and mayor alike; the log's statement holds only that code */
        if (strcmp(kind, "pkwkk") == 0)
            races[i].kind = RK_RACE_REGENT;
        else if (rk_race_kind_parse(kind, &races[i].kind) != RK_OK)
            rc = RK_EPARSE;
        if (rc != RK_OK ||
            (rc = copy_str(r, "name", races[i].name, sizeof races[i].name, 1)) != RK_OK) {
            rc = RK_EPARSE;
            break;
        }
        for (int k = 0; rc == RK_OK && k < races[i].ncand; k++) {
            json_t *cj = json_array_get(c, (size_t)k);
            struct rk_candidate *cd = &races[i].cand[k];
            int64_t no = 0;
            json_t *kk = json_object_get(cj, "kolom_kosong");
            if ((rc = int_field(cj, "ballot_no", 1, RK_CANDIDATES_MAX, &no)) != RK_OK ||
                (rc = copy_str(cj, "name", cd->name, sizeof cd->name, 1)) != RK_OK ||
                !json_is_boolean(kk))
                rc = RK_EPARSE;
            cd->ballot_no = (int)no;
            cd->kolom_kosong = json_is_true(kk);
        }
        if (rc != RK_OK)
            break;
        for (size_t k = 0; k < json_array_size(elist); k++) {
            int64_t x;
            json_t *e = json_array_get(elist, k);
            if (int_field(e, "id", 1, INT64_MAX, &x) == RK_OK && x == eid)
                rc = copy_str(e, "slug", slug, sizeof slug, 1);
        }
        if (rc == RK_OK && !slug[0])
            rc = RK_EPARSE;
        if (rc != RK_OK)
            break;
        int w = races[i].region[0]
                    ? snprintf(races[i].ref, sizeof races[i].ref, "%s.%s.%s", slug, kind,
                               races[i].region)
                    : snprintf(races[i].ref, sizeof races[i].ref, "%s.%s", slug, kind);
        if (w < 0 || (size_t)w >= sizeof races[i].ref)
            rc = RK_EPARSE;
    }
    json_decref(el);
    json_decref(ra);
    if (rc != RK_OK) {
        free(races);
        return rc;
    }
    h->races = races;
    h->nraces = n;
    return RK_OK;
}

static int race_id(struct rk_http_src *h, const char *ref, int64_t *id)
{
    int rc = load_races(h);
    if (rc != RK_OK)
        return rc;
    for (size_t i = 0; i < h->nraces; i++)
        if (strcmp(h->races[i].ref, ref) == 0) {
            *id = h->races[i].id;
            return RK_OK;
        }
    return RK_ENOTFOUND;
}

static int h_sth(void *ctx, struct rk_sth *out, uint8_t pub[RK_ED25519_PUBKEY_LEN])
{
    json_t *j;
    int rc = get(ctx, "/api/log/sth", &j);
    if (rc != RK_OK)
        return rc;
    rc = rk_sth_from_json(json_object_get(j, "sth"), out);
    if (rc == RK_OK)
        rc = hex_field(json_object_get(j, "key"), "public_key", pub, RK_ED25519_PUBKEY_LEN);
    json_decref(j);
    return rc == RK_OK ? RK_OK : RK_EPARSE;
}

static int h_entry(void *ctx, uint64_t index, uint8_t *buf, size_t cap, size_t *len)
{
    struct rk_http_src *h = ctx;
    if (!h->page || index < h->page_start || index >= h->page_start + h->page_n) {
        char path[128];
        snprintf(path, sizeof path, "/api/log/entries?start=%llu&count=%d",
                 (unsigned long long)index, PAGE);
        json_t *j;
        int rc = get(h, path, &j);
        if (rc != RK_OK)
            return rc;
        json_t *arr = json_object_get(j, "entries");
        if (!h->page && !(h->page = malloc(PAGE * sizeof *h->page))) {
            json_decref(j);
            return RK_ENOMEM;
        }
        h->page_n = 0;
        h->page_start = index;
        rc = json_is_array(arr) && json_array_size(arr) <= PAGE ? RK_OK : RK_EPARSE;
        for (size_t i = 0; rc == RK_OK && i < json_array_size(arr); i++) {
            json_t *e = json_array_get(arr, i), *hx = json_object_get(e, "entry_hex");
            int64_t at;
            if (int_field(e, "index", 0, INT64_MAX, &at) != RK_OK || (uint64_t)at != index + i ||
                !json_is_string(hx) || json_string_length(hx) % 2 ||
                json_string_length(hx) / 2 > RK_LOGENTRY_MAX_BYTES ||
                rk_unhex(json_string_value(hx), json_string_length(hx), h->page[i].b,
                         json_string_length(hx) / 2) != RK_OK) {
                rc = RK_EPARSE;
                break;
            }
            h->page[i].len = json_string_length(hx) / 2;
            h->page_n++;
        }
        json_decref(j);
        if (rc != RK_OK) {
            h->page_n = 0;
            return rc;
        }
        if (index >= h->page_start + h->page_n)
            return RK_ENOTFOUND;
    }
    const struct rk_http_entry *e = &h->page[index - h->page_start];
    if (e->len > cap)
        return RK_ETOOBIG;
    memcpy(buf, e->b, e->len);
    *len = e->len;
    return RK_OK;
}

static int h_inclusion(void *ctx, uint64_t index, uint64_t size, struct rk_merkle_proof *p)
{
    char path[128];
    snprintf(path, sizeof path, "/api/log/proof/inclusion?index=%llu&size=%llu",
             (unsigned long long)index, (unsigned long long)size);
    json_t *j;
    int rc = get(ctx, path, &j);
    if (rc != RK_OK)
        return rc;
    uint64_t i, s;
    rc = rk_merkle_inclusion_from_json(j, &i, &s, p);
    json_decref(j);
    return rc == RK_OK && i == index && s == size ? RK_OK : RK_EPARSE;
}

static int h_consistency(void *ctx, uint64_t first, uint64_t second, struct rk_merkle_proof *p)
{
    char path[128];
    snprintf(path, sizeof path, "/api/log/proof/consistency?first=%llu&second=%llu",
             (unsigned long long)first, (unsigned long long)second);
    json_t *j;
    int rc = get(ctx, path, &j);
    if (rc != RK_OK)
        return rc;
    uint64_t a, b;
    rc = rk_merkle_consistency_from_json(j, &a, &b, p);
    json_decref(j);
    return rc == RK_OK && a == first && b == second ? RK_OK : RK_EPARSE;
}

static int h_version(void *ctx, const char *ref, const char *tps, int n, struct rk_version *out)
{
    struct rk_http_src *h = ctx;
    int64_t id;
    int rc = race_id(h, ref, &id);
    if (rc != RK_OK)
        return rc;
    char path[256];
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld/versions/%d", tps, (long long)id, n);
    json_t *j;
    if ((rc = get(h, path, &j)) != RK_OK)
        return rc;
    memset(out, 0, sizeof *out);
    char kind[16];
    int64_t num, created, idx;
    json_t *photos = json_object_get(j, "photos"), *sig = json_object_get(j, "signature");
    if (int_field(j, "version", 1, 1000000, &num) != RK_OK ||
        int_field(j, "created_ms", 0, INT64_MAX, &created) != RK_OK ||
        int_field(j, "log_index", -1, INT64_MAX, &idx) != RK_OK ||
        copy_str(j, "kind", kind, sizeof kind, 1) != RK_OK ||
        copy_str(j, "actor", out->actor, sizeof out->actor, 1) != RK_OK ||
        copy_str(j, "tps", out->tps, sizeof out->tps, 1) != RK_OK ||
        copy_str(j, "reason", out->reason, sizeof out->reason, 1) != RK_OK ||
        copy_str(j, "flags", out->flags, sizeof out->flags, 1) != RK_OK ||
        copy_str(j, "device", out->device, sizeof out->device, 1) != RK_OK ||
        copy_str(j, "document_canonical", out->doc, sizeof out->doc, 1) != RK_OK ||
        hex_field(j, "doc_sha256", out->doc_hash, 32) != RK_OK || !json_is_array(photos) ||
        json_array_size(photos) > RK_PHOTOS_MAX ||
        (strcmp(kind, "upload") != 0 && strcmp(kind, "correction") != 0)) {
        json_decref(j);
        return RK_EPARSE;
    }
    out->race_id = id;
    out->version = (int)num;
    out->created_ms = created;
    out->log_index = idx;
    out->kind = strcmp(kind, "upload") == 0 ? RK_VERSION_UPLOAD : RK_VERSION_CORRECTION;
    for (size_t i = 0; i < json_array_size(photos); i++) {
        json_t *p = json_array_get(photos, i);
        if (!json_is_string(p) ||
            rk_unhex(json_string_value(p), json_string_length(p), out->photos[i], 32) != RK_OK) {
            json_decref(j);
            return RK_EPARSE;
        }
        out->n_photos++;
    }
    if (json_is_string(sig)) {
        if (hex_field(j, "signature", out->sig, 64) != RK_OK) {
            json_decref(j);
            return RK_EPARSE;
        }
        out->has_sig = true;
    } else if (!json_is_null(sig)) {
        json_decref(j);
        return RK_EPARSE;
    }
    json_decref(j);
    return RK_OK;
}

/* GET /api/tps/{tps}/races/{race} of the race named ref: its id into *id, the answer into *out
 * (the caller's to release). */
static int tps_page(struct rk_http_src *h, const char *ref, const char *tps, int64_t *id,
                    json_t **out)
{
    int rc = race_id(h, ref, id);
    if (rc != RK_OK)
        return rc;
    char path[128];
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld", tps, (long long)*id);
    return get(h, path, out);
}

static int h_current(void *ctx, const char *ref, const char *tps, int *n)
{
    int64_t id;
    json_t *j;
    *n = 0;
    int rc = tps_page(ctx, ref, tps, &id, &j);
    if (rc != RK_OK)
        return rc;
    json_t *st = json_object_get(j, "state");
    int64_t v = 0;
    if (json_is_object(st))
        rc = int_field(st, "current_version", 1, 1000000, &v);
    else if (!json_is_null(st))
        rc = RK_EPARSE;
    *n = (int)v;
    json_decref(j);
    return rc;
}

/* The "objections" of GET /api/tps/{tps}/races/{race}. */
static int h_objections(void *ctx, const char *ref, const char *tps, struct rk_objection *out,
                        int cap, int *n)
{
    int64_t id;
    json_t *j;
    *n = 0;
    int rc = tps_page(ctx, ref, tps, &id, &j);
    if (rc != RK_OK)
        return rc;
    json_t *arr = json_object_get(j, "objections");
    if (!json_is_array(arr) || json_array_size(arr) > (size_t)cap)
        rc = RK_EPARSE;
    for (size_t i = 0; rc == RK_OK && i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        struct rk_objection *ob = &out[*n];
        int64_t v, at, li;
        memset(ob, 0, sizeof *ob);
        ob->race_id = id;
        snprintf(ob->tps, sizeof ob->tps, "%s", tps);
        if (int_field(o, "version", 1, 1000000, &v) != RK_OK ||
            int_field(o, "created_ms", 0, INT64_MAX, &at) != RK_OK ||
            int_field(o, "log_index", 0, INT64_MAX, &li) != RK_OK ||
            copy_str(o, "actor", ob->actor, sizeof ob->actor, 1) != RK_OK ||
            copy_str(o, "reason", ob->reason, sizeof ob->reason, 1) != RK_OK) {
            rc = RK_EPARSE;
            break;
        }
        ob->version = (int)v;
        ob->created_ms = at;
        ob->log_index = li;
        (*n)++;
    }
    json_decref(j);
    return rc;
}

/* The fields of a published device key (GET /api/devices/{id}). */
static int parse_device(json_t *j, struct rk_audit_device *out)
{
    int rc = RK_OK;
    int64_t c = 0, r = 0;
    if (!json_is_object(j) ||
        copy_str(j, "key_id", out->key_id, sizeof out->key_id, 1) != RK_OK ||
        copy_str(j, "owner", out->owner, sizeof out->owner, 1) != RK_OK ||
        copy_str(j, "scope", out->scope, sizeof out->scope, 1) != RK_OK ||
        hex_field(j, "public_key", out->pub, 32) != RK_OK ||
        int_field(j, "created_at", 0, INT64_MAX, &c) != RK_OK ||
        int_field(j, "revoked_at", 0, INT64_MAX, &r) != RK_OK)
        rc = RK_EPARSE;
    /* "revoked" must agree with "revoked_at": a key said to be revoked at no time, or revoked
     * at a time but not revoked, is an answer no honest server gives */
    json_t *rv = json_object_get(j, "revoked");
    if (rv && (!json_is_boolean(rv) || json_is_true(rv) != (r > 0)))
        rc = RK_EPARSE;
    out->created_at = c;
    out->revoked_at = r;
    /* absent or null from a server that does not record it (older rekap): not recorded */
    int64_t li = -1;
    if (json_object_get(j, "log_index") && !json_is_null(json_object_get(j, "log_index")) &&
        int_field(j, "log_index", 0, INT64_MAX, &li) != RK_OK)
        rc = RK_EPARSE;
    out->log_index = li;
    return rc;
}

int rk_http_src_parse_device(const char *json, size_t len, struct rk_audit_device *out)
{
    memset(out, 0, sizeof *out);
    json_error_t err;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return RK_EPARSE;
    int rc = parse_device(j, out);
    json_decref(j);
    return rc;
}

static int h_device(void *ctx, const char *key_id, struct rk_audit_device *out)
{
    char path[64];
    memset(out, 0, sizeof *out);
    if (strlen(key_id) != 16)
        return RK_EINVAL;
    snprintf(path, sizeof path, "/api/devices/%s", key_id);
    json_t *j;
    int rc = get(ctx, path, &j);
    if (rc != RK_OK)
        return rc;
    rc = parse_device(j, out);
    json_decref(j);
    return rc;
}

static int h_races(void *ctx, struct rk_audit_race **out, size_t *n)
{
    struct rk_http_src *h = ctx;
    int rc = load_races(h);
    if (rc != RK_OK)
        return rc;
    *out = malloc((h->nraces ? h->nraces : 1) * sizeof **out);
    if (!*out)
        return RK_ENOMEM;
    if (h->nraces)
        memcpy(*out, h->races, h->nraces * sizeof **out);
    *n = h->nraces;
    return RK_OK;
}

/* The tally shape of docs/api.md: votes[], sah, tidak_sah, total, pengguna, dpt, progress. */
static int parse_tally(json_t *j, int ncand, struct rk_tally *t)
{
    rk_tally_zero(t);
    json_t *votes = json_object_get(j, "votes"), *pr = json_object_get(j, "progress");
    if (!json_is_array(votes) || (int)json_array_size(votes) != ncand || !json_is_object(pr))
        return RK_EPARSE;
    for (int i = 0; i < ncand; i++) {
        json_t *v = json_array_get(votes, (size_t)i);
        if (!json_is_integer(v))
            return RK_EPARSE;
        t->votes[i] = json_integer_value(v);
    }
    if (int_field(j, "sah", INT64_MIN, INT64_MAX, &t->sah) != RK_OK ||
        int_field(j, "tidak_sah", INT64_MIN, INT64_MAX, &t->tidak_sah) != RK_OK ||
        int_field(j, "total", INT64_MIN, INT64_MAX, &t->total) != RK_OK ||
        int_field(j, "pengguna", INT64_MIN, INT64_MAX, &t->pengguna) != RK_OK ||
        int_field(j, "dpt", INT64_MIN, INT64_MAX, &t->dpt) != RK_OK ||
        int_field(pr, "tps_received", INT64_MIN, INT64_MAX, &t->received) != RK_OK ||
        int_field(pr, "tps_flagged", INT64_MIN, INT64_MAX, &t->flagged) != RK_OK ||
        int_field(pr, "tps_approved", INT64_MIN, INT64_MAX, &t->approved) != RK_OK)
        return RK_EPARSE;
    return RK_OK;
}

static int h_tally(void *ctx, const struct rk_audit_race *race, const char *code,
                   struct rk_tally *self, rk_audit_tally_fn fn, void *ud)
{
    char path[128];
    snprintf(path, sizeof path, "/api/races/%lld/results?region=%s", (long long)race->id, code);
    json_t *j;
    int rc = get(ctx, path, &j);
    if (rc != RK_OK)
        return rc;
    rc = parse_tally(json_object_get(j, "tally"), race->ncand, self);
    json_t *children = json_object_get(j, "children");
    if (rc == RK_OK && !json_is_array(children))
        rc = RK_EPARSE;
    for (size_t i = 0; rc == RK_OK && fn && i < json_array_size(children); i++) {
        json_t *c = json_array_get(children, i);
        char cc[RK_CODE_MAX + 1];
        int64_t level;
        struct rk_tally t;
        if ((rc = copy_str(c, "code", cc, sizeof cc, 1)) != RK_OK ||
            (rc = int_field(c, "level", 1, RK_LEVEL_TPS, &level)) != RK_OK)
            break;
        if (level == RK_LEVEL_TPS)
            continue; /* TPS are checked through their states */
        if ((rc = parse_tally(json_object_get(c, "tally"), race->ncand, &t)) != RK_OK)
            break;
        rc = fn(ud, cc, (enum rk_level)level, &t);
    }
    json_decref(j);
    return rc;
}

static int h_tps_states(void *ctx, const struct rk_audit_race *race, const char *code,
                        rk_audit_tps_fn fn, void *ud)
{
    char path[128];
    snprintf(path, sizeof path, "/api/races/%lld/tps?region=%s", (long long)race->id, code);
    json_t *j;
    int rc = get(ctx, path, &j);
    if (rc != RK_OK)
        return rc;
    json_t *arr = json_object_get(j, "tps");
    if (!json_is_array(arr))
        rc = RK_EPARSE;
    for (size_t i = 0; rc == RK_OK && i < json_array_size(arr); i++) {
        json_t *r = json_array_get(arr, i), *ap = json_object_get(r, "approved");
        struct rk_audit_tps t;
        int64_t v, nobj;
        memset(&t, 0, sizeof t);
        if ((rc = copy_str(r, "tps", t.tps, sizeof t.tps, 1)) != RK_OK ||
            (rc = int_field(r, "version", 1, 1000000, &v)) != RK_OK || !json_is_boolean(ap) ||
            (rc = int_field(r, "objections", 0, RK_OBJECTIONS_MAX, &nobj)) != RK_OK ||
            (rc = parse_tally(json_object_get(r, "tally"), race->ncand, &t.tally)) != RK_OK) {
            rc = RK_EPARSE;
            break;
        }
        t.version = (int)v;
        t.objections = (int)nobj;
        t.approved = json_is_true(ap);
        rc = fn(ud, &t);
    }
    json_decref(j);
    return rc;
}

int rk_http_src_init(struct rk_http_src *h, const char *url, struct rk_audit_src *src)
{
    memset(h, 0, sizeof *h);
    int rc = rk_http_url_parse(url, &h->url);
    if (rc != RK_OK)
        return rc;
    memset(src, 0, sizeof *src);
    src->ctx = h;
    src->sth = h_sth;
    src->entry = h_entry;
    src->inclusion = h_inclusion;
    src->consistency = h_consistency;
    src->version = h_version;
    src->current = h_current;
    src->device = h_device;
    src->races = h_races;
    src->tally = h_tally;
    src->tps_states = h_tps_states;
    src->objections = h_objections;
    return RK_OK;
}

void rk_http_src_free(struct rk_http_src *h)
{
    free(h->races);
    free(h->page);
    h->races = NULL;
    h->page = NULL;
}
