/* Verification against an untrusted source: the store-backed source and the witness-receipt
 * check (see store/audit.h). */
#include "store/audit.h"
#include "rekap/status.h"
#include "rekap/submission.h"
#include "store/pipeline.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the store as a source ---- */

static int collect_race(void *ud, const struct rk_race *r)
{
    struct rk_audit_store_ctx *c = ud;
    if (c->nraces % 64 == 0) {
        struct rk_audit_race *n = realloc(c->races, (c->nraces + 64) * sizeof *n);
        if (!n)
            return RK_ENOMEM;
        c->races = n;
    }
    struct rk_audit_race *a = &c->races[c->nraces++];
    memset(a, 0, sizeof *a);
    a->id = r->id;
    a->kind = r->kind;
    snprintf(a->region, sizeof a->region, "%s", r->region_code);
    snprintf(a->name, sizeof a->name, "%s", r->name);
    return 0;
}

/* Loads every race once (ids, refs, names, candidates); the visitor only collects, the lookups
 * run after the listing statement is done. */
static int load_races(struct rk_audit_store_ctx *c)
{
    if (c->races_loaded)
        return RK_OK;
    int rc = rk_store_race_list(c->s, 0, "", collect_race, c);
    for (size_t i = 0; rc == RK_OK && i < c->nraces; i++) {
        rc = rk_race_ref(c->s, c->races[i].id, c->races[i].ref);
        if (rc == RK_OK)
            rc = rk_store_candidate_list(c->s, c->races[i].id, c->races[i].cand,
                                         RK_CANDIDATES_MAX, &c->races[i].ncand);
    }
    if (rc != RK_OK) {
        free(c->races);
        c->races = NULL;
        c->nraces = 0;
        return rc;
    }
    c->races_loaded = true;
    return RK_OK;
}

static int find_race(struct rk_audit_store_ctx *c, const char *ref, int64_t *id)
{
    int rc = load_races(c);
    if (rc != RK_OK)
        return rc;
    for (size_t i = 0; i < c->nraces; i++)
        if (strcmp(c->races[i].ref, ref) == 0) {
            *id = c->races[i].id;
            return RK_OK;
        }
    return RK_ENOTFOUND;
}

static int st_sth(void *ctx, struct rk_sth *out, uint8_t pub[RK_ED25519_PUBKEY_LEN])
{
    struct rk_audit_store_ctx *c = ctx;
    struct rk_sth_row row;
    int rc = rk_store_sth_latest(c->s, &row);
    if (rc != RK_OK)
        return rc;
    if ((rc = rk_sth_init(out, c->log_id, (uint64_t)row.size, (uint64_t)row.timestamp_ms,
                          row.root)) != RK_OK)
        return rc;
    memcpy(out->signature, row.sig, 64);
    if (rk_unhex(row.key_id, strlen(row.key_id), out->key_id, RK_KEY_ID_LEN) != RK_OK)
        return RK_EPARSE;
    memcpy(pub, c->pub, RK_ED25519_PUBKEY_LEN);
    return RK_OK;
}

static int st_entry(void *ctx, uint64_t index, uint8_t *buf, size_t cap, size_t *len)
{
    struct rk_audit_store_ctx *c = ctx;
    if (index > (uint64_t)INT64_MAX)
        return RK_ENOTFOUND;
    return rk_store_log_get(c->s, (int64_t)index, buf, cap, len, NULL);
}

static int st_proof(struct rk_audit_store_ctx *c, uint64_t a, uint64_t b, int inclusion,
                    struct rk_merkle_proof *p)
{
    int64_t size;
    int rc = rk_store_log_size(c->s, &size);
    if (rc != RK_OK)
        return rc;
    if (b > (uint64_t)size || (inclusion ? a >= b : a > b))
        return RK_ERANGE;
    struct rk_merkle_source src;
    rk_log_source(c->s, &src);
    return inclusion ? rk_merkle_inclusion_proof(&src, a, b, p)
                     : rk_merkle_consistency_proof(&src, a, b, p);
}

static int st_inclusion(void *ctx, uint64_t index, uint64_t size, struct rk_merkle_proof *p)
{
    return st_proof(ctx, index, size, 1, p);
}

static int st_consistency(void *ctx, uint64_t first, uint64_t second, struct rk_merkle_proof *p)
{
    return st_proof(ctx, first, second, 0, p);
}

static int st_version(void *ctx, const char *ref, const char *tps, int n, struct rk_version *out)
{
    struct rk_audit_store_ctx *c = ctx;
    int64_t id;
    int rc = find_race(c, ref, &id);
    return rc != RK_OK ? rc : rk_store_version_get(c->s, id, tps, n, out);
}

static int st_current(void *ctx, const char *ref, const char *tps, int *n)
{
    struct rk_audit_store_ctx *c = ctx;
    int64_t id;
    struct rk_tps_state st;
    int rc = find_race(c, ref, &id);
    if (rc == RK_OK)
        rc = rk_store_tps_state(c->s, id, tps, &st);
    *n = rc == RK_OK ? st.current_version : 0;
    return rc == RK_ENOTFOUND ? RK_OK : rc;
}

static int st_device(void *ctx, const char *key_id, struct rk_audit_device *out)
{
    struct rk_audit_store_ctx *c = ctx;
    struct rk_device_key k;
    struct rk_user u;
    memset(out, 0, sizeof *out);
    int rc = rk_store_device_get(c->s, key_id, &k);
    if (rc == RK_OK)
        rc = rk_store_user_get(c->s, k.user_id, &u);
    if (rc != RK_OK)
        return rc;
    snprintf(out->key_id, sizeof out->key_id, "%s", k.key_id);
    memcpy(out->pub, k.pub, sizeof out->pub);
    snprintf(out->owner, sizeof out->owner, "%s", u.p.username);
    snprintf(out->scope, sizeof out->scope, "%s", u.p.scope);
    out->created_at = k.created_at;
    out->revoked_at = k.revoked_at;
    out->log_index = k.log_index;
    return RK_OK;
}

static int st_races(void *ctx, struct rk_audit_race **out, size_t *n)
{
    struct rk_audit_store_ctx *c = ctx;
    int rc = load_races(c);
    if (rc != RK_OK)
        return rc;
    *out = malloc((c->nraces ? c->nraces : 1) * sizeof **out);
    if (!*out)
        return RK_ENOMEM;
    if (c->nraces)
        memcpy(*out, c->races, c->nraces * sizeof **out);
    *n = c->nraces;
    return RK_OK;
}

/* Whether region code and a race's region overlap (one contains the other). */
static int overlaps(const char *code, const char *race_region)
{
    size_t a = strlen(code), b = strlen(race_region);
    return strncmp(code, race_region, a < b ? a : b) == 0;
}

struct child_pass {
    const char *race_region;
    rk_audit_tally_fn fn;
    void *ud;
};

static int pass_child(void *ud, const struct rk_region *r, const struct rk_tally *t)
{
    struct child_pass *p = ud;
    if (r->level == RK_LEVEL_TPS || !overlaps(r->code, p->race_region))
        return 0;
    return p->fn(p->ud, r->code, r->level, t);
}

static int st_tally(void *ctx, const struct rk_audit_race *race, const char *code,
                    struct rk_tally *self, rk_audit_tally_fn fn, void *ud)
{
    struct rk_audit_store_ctx *c = ctx;
    int rc = rk_store_tally_get(c->s, race->id, code, self);
    if (rc != RK_OK || !fn)
        return rc;
    struct child_pass p = {race->region, fn, ud};
    return rk_store_tally_children(c->s, race->id, code, pass_child, &p);
}

struct tps_pass {
    rk_audit_tps_fn fn;
    void *ud;
};

static int pass_tps(void *ud, const struct rk_tps_state *st)
{
    struct tps_pass *p = ud;
    struct rk_audit_tps t;
    memset(&t, 0, sizeof t);
    memcpy(t.tps, st->tps, sizeof t.tps);
    t.version = st->current_version;
    t.approved = st->approved;
    t.tally = st->tally;
    t.objections = st->objections;
    return p->fn(p->ud, &t);
}

static int st_tps_states(void *ctx, const struct rk_audit_race *race, const char *code,
                         rk_audit_tps_fn fn, void *ud)
{
    struct rk_audit_store_ctx *c = ctx;
    struct tps_pass p = {fn, ud};
    return rk_store_tps_states(c->s, race->id, code, false, pass_tps, &p);
}

static int st_objections(void *ctx, const char *ref, const char *tps, struct rk_objection *out,
                         int cap, int *n)
{
    struct rk_audit_store_ctx *c = ctx;
    int64_t id;
    *n = 0;
    int rc = find_race(c, ref, &id);
    return rc != RK_OK ? rc : rk_store_objection_list(c->s, id, tps, out, cap, n);
}

void rk_audit_src_store(struct rk_audit_src *src, struct rk_audit_store_ctx *ctx)
{
    memset(src, 0, sizeof *src);
    src->ctx = ctx;
    src->sth = st_sth;
    src->entry = st_entry;
    src->inclusion = st_inclusion;
    src->consistency = st_consistency;
    src->version = st_version;
    src->current = st_current;
    src->device = st_device;
    src->races = st_races;
    src->tally = st_tally;
    src->tps_states = st_tps_states;
    src->objections = st_objections;
}

void rk_audit_store_ctx_free(struct rk_audit_store_ctx *ctx)
{
    free(ctx->races);
    ctx->races = NULL;
    ctx->nraces = 0;
    ctx->races_loaded = false;
}

/* ---- witness receipts ---- */

int rk_witness_from_version(const struct rk_version *v, const char *race_ref,
                            struct rk_witness *w)
{
    memset(w, 0, sizeof *w);
    if (v->kind != RK_VERSION_UPLOAD || !v->has_sig || v->log_index < 0 ||
        strlen(race_ref) > RK_LOGENTRY_RACE_MAX ||
        rk_unhex(v->device, strlen(v->device), w->device, RK_KEY_ID_LEN) != RK_OK)
        return RK_EINVAL;
    snprintf(w->tps, sizeof w->tps, "%s", v->tps);
    snprintf(w->race, sizeof w->race, "%s", race_ref);
    w->version = v->version;
    memcpy(w->doc_hash, v->doc_hash, 32);
    memcpy(w->sig, v->sig, 64);
    w->log_index = (uint64_t)v->log_index;
    return RK_OK;
}

static int verdict_fail(struct rk_witness_verdict *v, int status, const char *en, const char *id)
{
    v->valid = false;
    v->status = status;
    snprintf(v->problem_en, sizeof v->problem_en, "%s", en);
    snprintf(v->problem_id, sizeof v->problem_id, "%s", id);
    return RK_OK;
}

/* verdict_fail for something the source could not give: what, and why when it is not plain
 * absence (a malformed answer from a server, one that could not be reached or was too large),
 * so a witness can tell a missing record from a server that answers nonsense. */
static int fetch_fail(struct rk_witness_verdict *v, int status, const char *en, const char *id)
{
    const char *why_en = NULL, *why_id = NULL;
    switch (status) {
    case RK_ENOTFOUND: break;
    case RK_EPARSE: why_en = "the answer is malformed", why_id = "jawabannya rusak"; break;
    case RK_ETOOBIG: why_en = "the answer is too large", why_id = "jawabannya terlalu besar"; break;
    case RK_EIO:
        why_en = "the server could not be reached, timed out or answered with an error";
        why_id = "server tidak dapat dihubungi, terlalu lama, atau menjawab dengan galat";
        break;
    default: why_en = why_id = rk_strerror(status); break;
    }
    if (!why_en)
        return verdict_fail(v, status, en, id);
    char e[320], i[320];
    snprintf(e, sizeof e, "%s (%s)", en, why_en);
    snprintf(i, sizeof i, "%s (%s)", id, why_id);
    return verdict_fail(v, status, e, i);
}

/* Lists the versions after the receipt's; failures here do not change the verdict on the
 * receipt itself, only what is known about its currency. */
static void find_later(const struct rk_audit_src *src, const struct rk_witness *w,
                       struct rk_version *tmp, struct rk_witness_verdict *v)
{
    int cur = 0;
    if (src->current(src->ctx, w->race, w->tps, &cur) != RK_OK)
        return;
    v->current_version = cur;
    v->n_later = cur > w->version ? cur - w->version : 0;
    for (int n = w->version + 1, i = 0; n <= cur && i < RK_WITNESS_LATER_MAX; n++, i++) {
        if (src->version(src->ctx, w->race, w->tps, n, tmp) != RK_OK)
            break;
        struct rk_witness_later *l = &v->later[i];
        l->version = tmp->version;
        l->kind = tmp->kind;
        snprintf(l->actor, sizeof l->actor, "%s", tmp->actor);
        snprintf(l->reason, sizeof l->reason, "%s", tmp->reason);
        memcpy(l->doc_hash, tmp->doc_hash, 32);
        l->created_ms = tmp->created_ms;
        l->log_index = tmp->log_index;
    }
}

/* Log entry index from src, raw (ebuf, RK_LOG_ENTRY_MAX bytes) and decoded. */
static int entry_read(const struct rk_audit_src *src, uint64_t index, uint8_t *ebuf,
                      size_t *elen, struct rk_logentry *e)
{
    int rc = src->entry(src->ctx, index, ebuf, RK_LOG_ENTRY_MAX, elen);
    return rc == RK_OK ? rk_logentry_decode(ebuf, *elen, e) : rc;
}

/* Whether raw entry index is included under sth: RK_OK or RK_EPROOF. */
static int entry_included(const struct rk_audit_src *src, uint64_t index, const uint8_t *ebuf,
                          size_t elen, const struct rk_sth *sth)
{
    struct rk_merkle_proof proof;
    uint8_t leaf[32];
    rk_merkle_leaf_hash(ebuf, elen, leaf);
    if (src->inclusion(src->ctx, index, sth->tree_size, &proof) != RK_OK ||
        rk_merkle_verify_inclusion(index, sth->tree_size, leaf, &proof, sth->root) != RK_OK)
        return RK_EPROOF;
    return RK_OK;
}

/* The entry at the device's published log index registers exactly this key for its published
 * owner, comes before the upload, and is included under the head v->sth (already verified). */
static int registration_check(const struct rk_audit_src *src, const struct rk_witness *w,
                              const struct rk_witness_verdict *v)
{
    const struct rk_audit_device *d = &v->device;
    uint64_t at = (uint64_t)d->log_index;
    if (at >= w->log_index)
        return RK_EVALIDATION;
    uint8_t ebuf[RK_LOG_ENTRY_MAX];
    size_t elen;
    struct rk_logentry e;
    int rc = entry_read(src, at, ebuf, &elen, &e);
    if (rc != RK_OK)
        return rc;
    char st[RK_STATEMENT_BUF];
    size_t slen;
    if (e.seq != at || e.kind != RK_LOGENTRY_DEVICE_KEY || !e.has_device ||
        memcmp(e.device_key_id, w->device, RK_KEY_ID_LEN) != 0 ||
        rk_statement_device(d->owner, d->key_id, d->pub, RK_DEVICE_REGISTER, st, sizeof st,
                            &slen) != RK_OK ||
        rk_logentry_verify_payload(&e, (const uint8_t *)st, slen, NULL) != RK_OK)
        return RK_EVALIDATION;
    return entry_included(src, at, ebuf, elen, &v->sth);
}

int rk_witness_verify(const struct rk_audit_src *src, const struct rk_witness *w,
                      const uint8_t *log_pub, const char *log_id, struct rk_witness_verdict *v)
{
    memset(v, 0, sizeof *v);
    struct rk_version *ver = malloc(sizeof *ver);
    if (!ver)
        return RK_ENOMEM;
    char dev[17];
    rk_hex(w->device, RK_KEY_ID_LEN, dev);

    /* 1. the stored version is the one on the receipt */
    int rc = src->version(src->ctx, w->race, w->tps, w->version, ver);
    if (rc != RK_OK) {
        fetch_fail(v, rc, "no such version of this TPS and race is published",
                   "versi TPS dan pemilihan ini tidak dipublikasikan");
        goto out;
    }
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)ver->doc, strlen(ver->doc));
    if (ver->kind != RK_VERSION_UPLOAD || memcmp(ver->doc_hash, w->doc_hash, 32) != 0 ||
        memcmp(h, ver->doc_hash, 32) != 0 || strcmp(ver->device, dev) != 0 || !ver->has_sig ||
        memcmp(ver->sig, w->sig, 64) != 0 || ver->log_index != (int64_t)w->log_index ||
        strcmp(ver->tps, w->tps) != 0) {
        verdict_fail(v, RK_EVALIDATION,
                     "the published version differs from the receipt (document, device, "
                     "signature or log index)",
                     "versi yang dipublikasikan berbeda dengan salinan (dokumen, perangkat, tanda "
                     "tangan atau indeks log)");
        goto out;
    }
    v->version_matches = true;

    /* 2. the device signed this upload statement */
    uint8_t prev[32];
    bool has_prev = w->version > 1;
    if (has_prev) {
        struct rk_version *p = malloc(sizeof *p);
        rc = p ? src->version(src->ctx, w->race, w->tps, w->version - 1, p) : RK_ENOMEM;
        if (rc == RK_OK)
            memcpy(prev, p->doc_hash, 32);
        free(p);
        if (rc != RK_OK) {
            fetch_fail(v, rc, "the version this one replaced is not published",
                       "versi yang digantikan tidak dipublikasikan");
            goto out;
        }
    }
    size_t slen;
    if ((rc = rk_statement_upload(w->tps, w->doc_hash, has_prev ? prev : NULL,
                                  (const uint8_t(*)[32])ver->photos, ver->n_photos, v->statement,
                                  sizeof v->statement, &slen)) != RK_OK) {
        verdict_fail(v, rc, "cannot rebuild the signed statement",
                     "pernyataan yang ditandatangani tidak dapat disusun ulang");
        goto out;
    }
    rc = src->device(src->ctx, dev, &v->device);
    if (rc != RK_OK) {
        fetch_fail(v, rc, "the device key is not published", "kunci perangkat tidak dipublikasikan");
        goto out;
    }
    v->device_found = true;
    uint8_t kid[RK_KEY_ID_LEN];
    rk_key_id(v->device.pub, kid);
    if (memcmp(kid, w->device, RK_KEY_ID_LEN) != 0 ||
        crypto_sign_verify_detached(w->sig, (const unsigned char *)v->statement, slen,
                                    v->device.pub) != 0) {
        verdict_fail(v, RK_ESIGNATURE, "the device signature does not verify",
                     "tanda tangan perangkat tidak sah");
        goto out;
    }
    v->signature_ok = true;

    /* 3. the log entry commits to exactly that */
    uint8_t ebuf[RK_LOG_ENTRY_MAX];
    size_t elen;
    struct rk_logentry e;
    rc = entry_read(src, w->log_index, ebuf, &elen, &e);
    if (rc != RK_OK) {
        fetch_fail(v, rc, "the log entry is missing or malformed",
                   "entri log tidak ada atau rusak");
        goto out;
    }
    if (e.seq != w->log_index || e.kind != RK_LOGENTRY_SUBMISSION || strcmp(e.region, w->tps) ||
        strcmp(e.race, w->race) || !e.has_device || !e.has_signature ||
        memcmp(e.device_key_id, w->device, RK_KEY_ID_LEN) != 0 ||
        memcmp(e.signature, w->sig, 64) != 0 ||
        rk_logentry_verify_payload(&e, (const uint8_t *)v->statement, slen, v->device.pub) !=
            RK_OK) {
        verdict_fail(v, RK_EVALIDATION, "the log entry does not record this upload",
                     "entri log tidak mencatat unggahan ini");
        goto out;
    }
    if (v->device.revoked_at && (uint64_t)v->device.revoked_at * 1000 <= e.timestamp_ms) {
        verdict_fail(v, RK_ESIGNATURE, "the device key was revoked before this upload",
                     "kunci perangkat sudah dicabut sebelum unggahan ini");
        goto out;
    }
    v->entry_ok = true;

    /* 4. a signed tree head includes the entry */
    uint8_t src_pub[RK_ED25519_PUBKEY_LEN];
    rc = src->sth(src->ctx, &v->sth, src_pub);
    if (rc != RK_OK) {
        fetch_fail(v, rc, "no signed tree head is available",
                   "kepala pohon bertanda tangan tidak tersedia");
        goto out;
    }
    v->key_pinned = log_pub != NULL;
    memcpy(v->log_pub, log_pub ? log_pub : src_pub, RK_ED25519_PUBKEY_LEN);
    if ((log_id && strcmp(log_id, v->sth.log_id) != 0) ||
        rk_sth_verify(&v->sth, v->log_pub) != RK_OK) {
        verdict_fail(v, RK_ESIGNATURE, "the signed tree head does not verify with the log key",
                     "tanda tangan kepala pohon tidak sah untuk kunci log");
        goto out;
    }
    v->sth_ok = true;
    if (v->sth.tree_size <= w->log_index) {
        verdict_fail(v, RK_EPROOF, "the latest signed tree head does not cover this entry yet",
                     "kepala pohon terakhir belum mencakup entri ini");
        goto out;
    }
    if (entry_included(src, w->log_index, ebuf, elen, &v->sth) != RK_OK) {
        verdict_fail(v, RK_EPROOF, "the entry is not included under the signed tree head",
                     "entri tidak termasuk dalam kepala pohon bertanda tangan");
        goto out;
    }
    v->included = true;

    /* 5. the device key was registered in the log before the upload, under the same head */
    if (v->device.log_index >= 0) {
        rc = registration_check(src, w, v);
        if (rc != RK_OK) {
            verdict_fail(v, rc, "the device key's registration is not in the log where published",
                         "pendaftaran kunci perangkat tidak ada di log pada posisi yang "
                         "dipublikasikan");
            goto out;
        }
        v->device_registered = true;
    }
    v->valid = true;
    v->status = RK_OK;
out:
    /* 5. still current? (also useful when something above failed) */
    find_later(src, w, ver, v);
    free(ver);
    return RK_OK;
}

static json_t *hexj(const uint8_t *b, size_t n)
{
    char buf[129];
    rk_hex(b, n, buf);
    return json_string(buf);
}

json_t *rk_witness_verdict_json(const struct rk_witness *w, const struct rk_witness_verdict *v)
{
    char receipt[RK_WITNESS_MAX + 1] = "";
    rk_witness_format(w, receipt, sizeof receipt);
    json_t *checks = json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "version_matches",
                               v->version_matches, "device_signature", v->signature_ok,
                               "log_entry", v->entry_ok, "sth_signature", v->sth_ok, "inclusion",
                               v->included, "device_registered", v->device_registered,
                               "key_pinned", v->key_pinned);
    json_t *later = json_array();
    for (int i = 0; later && i < v->n_later && i < RK_WITNESS_LATER_MAX; i++) {
        const struct rk_witness_later *l = &v->later[i];
        json_array_append_new(
            later, json_pack("{s:i,s:s,s:s,s:s,s:o,s:I,s:I}", "version", l->version, "kind",
                             l->kind == RK_VERSION_UPLOAD ? "upload" : "correction", "actor",
                             l->actor, "reason", l->reason, "doc_sha256", hexj(l->doc_hash, 32),
                             "created_ms", (json_int_t)l->created_ms, "log_index",
                             (json_int_t)l->log_index));
    }
    json_t *j = json_pack("{s:b,s:s,s:s,s:o,s:i,s:b,s:i,s:o}", "valid", v->valid, "receipt", receipt,
                          "status", rk_status_name(v->status), "checks", checks, "current_version",
                          v->current_version, "superseded", v->n_later > 0, "later_versions",
                          v->n_later, "later", later);
    if (!j)
        return NULL;
    if (!v->valid)
        json_object_set_new(j, "problem", json_pack("{s:s,s:s}", "message", v->problem_en,
                                                     "pesan", v->problem_id));
    if (v->device_found)
        json_object_set_new(
            j, "device",
            json_pack("{s:s,s:o,s:s,s:s,s:b}", "key_id", v->device.key_id, "public_key",
                      hexj(v->device.pub, 32), "owner", v->device.owner, "scope", v->device.scope,
                      "revoked", v->device.revoked_at != 0));
    if (v->sth_ok) {
        json_object_set_new(j, "sth", rk_sth_to_json(&v->sth));
        json_object_set_new(j, "log_key", hexj(v->log_pub, 32));
    }
    return j;
}
