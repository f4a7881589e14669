/* Handlers of the results pipeline, accounts and the transparency log. Each one parses and
 * checks its input, authenticates where needed, and calls store/pipeline.c or the store; the
 * rules themselves live there, not here. Shapes are documented in docs/api.md. */
#include "server/http.h"
#include "rekap/status.h"
#include "rekap/text.h"
#include "store/auth.h"
#include "store/dhasil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#define TPS_LIST_MAX 50000 /* rows in one TPS listing; a province has ~30,000 at most */
#define LOG_PAGE_MAX 1000  /* log entries per page */

/* ---- helpers ---- */

static int parse_id(struct rk_req *req, const char *s, int64_t *out)
{
    uint64_t v;
    if (rk_parse_u64(s, strlen(s), INT64_MAX, &v) != RK_OK || v == 0)
        return rk_req_fail(req, RK_EINVAL, "malformed id", "id tidak valid");
    *out = (int64_t)v;
    return RK_OK;
}

static int parse_tps(struct rk_req *req, const char *s, char out[RK_CODE_MAX + 1])
{
    enum rk_level level;
    if (rk_code_parse(s, strlen(s), out, &level) != RK_OK || level != RK_LEVEL_TPS)
        return rk_req_fail(req, RK_EINVAL, "not a 13-digit TPS code", "bukan kode TPS 13 digit");
    return RK_OK;
}

static json_t *body_json(struct rk_req *req, int *rc)
{
    json_error_t jerr;
    if (!req->body) {
        *rc = rk_req_fail(req, RK_EINVAL, "request body required", "isi permintaan diperlukan");
        return NULL;
    }
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        *rc = rk_req_fail(req, RK_EPARSE, "body is not a JSON object",
                          "isi permintaan bukan objek JSON");
        return NULL;
    }
    *rc = RK_OK;
    return j;
}

/* Rejects keys outside allowed (NULL-terminated). */
static int only_keys(struct rk_req *req, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return rk_req_fail(req, RK_EINVAL, "unknown field in body",
                               "ada kolom tak dikenal dalam isi permintaan");
    }
    return RK_OK;
}

/* The caller's principal: the public when no Authorization header, else its session's. */
static int principal(struct rk_req *req, struct rk_principal *who, int required)
{
    const char *h = rk_req_header(req, "Authorization");
    rk_principal_public(who);
    if (!h) {
        if (required)
            return rk_req_fail(req, RK_EAUTH, "log in first (Authorization: Bearer <token>)",
                               "silakan masuk terlebih dahulu");
        return RK_OK;
    }
    if (strncmp(h, "Bearer ", 7) != 0)
        return rk_req_fail(req, RK_EAUTH, "expected Authorization: Bearer <token>",
                           "format otorisasi harus Bearer <token>");
    int rc = rk_auth_session_principal(req->store, h + 7, strlen(h + 7), (int64_t)time(NULL), who);
    if (rc == RK_EAUTH)
        return rk_req_fail(req, rc, "session unknown or expired; log in again",
                           "sesi tidak dikenal atau kedaluwarsa; silakan masuk lagi");
    return rc;
}

static json_t *principal_json(const struct rk_principal *p)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:I}", "username", p->username, "role",
                     rk_role_name(p->role), "role_label", rk_role_label(p->role), "scope", p->scope,
                     "race_id", (json_int_t)p->race_id);
}

static json_t *hexj(const uint8_t *b, size_t n)
{
    char buf[257];
    if (n > 128)
        return json_null();
    rk_hex(b, n, buf);
    return json_string(buf);
}

/* A refusal record on the heap (~50 KiB with its violations array): only the header is reset,
 * the pipeline fills violations when it has some. */
static struct rk_outcome *outcome_new(void)
{
    struct rk_outcome *o = malloc(sizeof *o);
    if (o) {
        o->message_en[0] = o->message_id[0] = o->field[0] = '\0';
        o->n_violations = 0;
    }
    return o;
}

/* The "error" object of an API error body: code, messages, field and rule violations. */
static json_t *outcome_json(int status, const struct rk_outcome *o)
{
    json_t *err = json_pack("{s:s,s:s,s:s}", "code", rk_status_name(status), "message",
                            o->message_en[0] ? o->message_en : rk_strerror(status), "pesan",
                            o->message_id[0] ? o->message_id : rk_strerror_id(status));
    if (!err)
        return NULL;
    if (o->field[0])
        json_object_set_new(err, "field", json_string(o->field));
    if (o->n_violations)
        json_object_set_new(err, "violations", rk_violations_json(o->violations, o->n_violations));
    return err;
}

/* Error replies carrying the pipeline's outcome: field and rule violations. */
static int outcome_error(struct rk_req *req, int status, const struct rk_outcome *o)
{
    json_t *err = outcome_json(status, o);
    if (!err)
        return RK_ENOMEM;
    json_t *root = json_pack("{s:o}", "error", err);
    char *body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!body)
        return RK_ENOMEM;
    rk_reply_take(req, rk_status_http(status), body, strlen(body), "application/json; charset=utf-8",
                  "no-store", 0);
    return RK_OK;
}

/* The receipt names the race as the log entry does; the writer filled it in, so answering
 * costs no further read of the store. Kept as a tree for the answers that are not hot (the
 * officer's corrections and approvals); uploads use rk_receipt_text, which writes the same
 * bytes. */
static json_t *receipt_json(const struct rk_receipt *r)
{
    return json_pack("{s:s,s:I,s:s,s:i,s:I,s:o,s:I,s:b,s:s}", "tps", r->tps, "race_id",
                     (json_int_t)r->race_id, "race_ref", r->race_ref, "version", r->version, "version_id",
                     (json_int_t)r->version_id, "doc_sha256", hexj(r->doc_hash, 32), "log_index",
                     (json_int_t)r->log_index, "duplicate", r->duplicate, "flags", r->flags);
}

size_t rk_receipt_text(const struct rk_receipt *r, char out[RK_RECEIPT_TEXT_MAX])
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, r->doc_hash, 32);
    size_t w = 7;
    memcpy(out, "{\"tps\":", w);
    w += rk_json_quote(out + w, r->tps);
    w += (size_t)snprintf(out + w, RK_RECEIPT_TEXT_MAX - w, ",\"race_id\":%lld,\"race_ref\":",
                          (long long)r->race_id);
    w += rk_json_quote(out + w, r->race_ref);
    w += (size_t)snprintf(out + w, RK_RECEIPT_TEXT_MAX - w,
                          ",\"version\":%d,\"version_id\":%lld,\"doc_sha256\":\"%s\",\"log_index\":"
                          "%lld,\"duplicate\":%s,\"flags\":",
                          r->version, (long long)r->version_id, hex, (long long)r->log_index,
                          r->duplicate ? "true" : "false");
    w += rk_json_quote(out + w, r->flags);
    out[w++] = '}';
    out[w] = '\0';
    return w;
}

/* JSON body -> reply with an explicit status code. */
static int reply_code(struct rk_req *req, int http, json_t *j)
{
    int rc = rk_reply_json(req, j);
    if (rc == RK_OK)
        req->reply.http = http;
    return rc;
}

/* ---- accounts ---- */

int rk_h_login(struct rk_req *req)
{
    int rc;
    json_t *b = body_json(req, &rc);
    if (!b)
        return rc;
    static const char *const keys[] = {"username", "password", NULL};
    json_t *u = json_object_get(b, "username"), *p = json_object_get(b, "password");
    if ((rc = only_keys(req, b, keys)) != RK_OK)
        goto out;
    if (!json_is_string(u) || !json_is_string(p)) {
        rc = rk_req_fail(req, RK_EINVAL, "username and password required",
                         "nama pengguna dan kata sandi wajib diisi");
        goto out;
    }
    char token[RK_TOKEN_LEN + 1];
    struct rk_principal who;
    if ((rc = rk_server_rate(req, RK_RATE_LOGIN, json_string_value(u))) != RK_OK)
        goto out;
    rc = rk_auth_login(req->store, json_string_value(u), json_string_value(p), json_string_length(p),
                       (int64_t)time(NULL), token, &who);
    if (rc == RK_EAUTH) {
        rc = rk_req_fail(req, rc, "wrong username or password", "nama pengguna atau kata sandi salah");
        goto out;
    }
    if (rc == RK_OK)
        rc = rk_reply_json(req, json_pack("{s:s,s:o}", "token", token, "user", principal_json(&who)));
    if (rc == RK_OK)
        req->reply.cache_control = "no-store";
out:
    json_decref(b);
    return rc;
}

int rk_h_logout(struct rk_req *req)
{
    struct rk_principal who;
    int rc = principal(req, &who, 1);
    if (rc != RK_OK)
        return rc;
    const char *h = rk_req_header(req, "Authorization");
    if ((rc = rk_auth_logout(req->store, h + 7, strlen(h + 7))) != RK_OK)
        return rc;
    return rk_reply_json(req, json_pack("{s:b}", "logged_out", 1));
}

int rk_h_me(struct rk_req *req)
{
    struct rk_principal who;
    int rc = principal(req, &who, 1);
    if (rc != RK_OK)
        return rc;
    rc = rk_reply_json(req, json_pack("{s:o}", "user", principal_json(&who)));
    if (rc == RK_OK)
        req->reply.cache_control = "no-store";
    return rc;
}

int rk_h_device_register(struct rk_req *req)
{
    struct rk_principal who;
    int rc = principal(req, &who, 1);
    if (rc != RK_OK)
        return rc;
    json_t *b = body_json(req, &rc);
    if (!b)
        return rc;
    static const char *const keys[] = {"public_key", NULL};
    json_t *pk = json_object_get(b, "public_key");
    uint8_t pub[RK_DEVICE_PUB_BYTES];
    if ((rc = only_keys(req, b, keys)) != RK_OK)
        goto out;
    if (!json_is_string(pk) ||
        rk_auth_device_pub_parse(json_string_value(pk), json_string_length(pk), pub) != RK_OK) {
        rc = rk_req_fail(req, RK_EINVAL, "public_key must be an Ed25519 public key",
                         "public_key harus kunci publik Ed25519");
        goto out;
    }
    struct rk_device_key key;
    /* Self-registration: the log shows the account itself as the actor. */
    rc = rk_auth_device_register(req->store, who.username, who.user_id, pub, rk_now_ms(), &key);
    if (rc == RK_EEXIST)
        rc = rk_req_fail(req, rc, "this key is already registered", "kunci ini sudah terdaftar");
    if (rc == RK_OK)
        rc = reply_code(req, 201, json_pack("{s:s,s:s}", "key_id", key.key_id, "username",
                                            who.username));
out:
    json_decref(b);
    return rc;
}

/* ---- submissions, corrections, approvals ---- */

struct apply_ctx {
    struct rk_prepared *p;
    struct rk_receipt *r;
    struct rk_outcome *o;
};

/* Runs in the group-commit writer's transaction. */
static int apply_submit(struct rk_store *s, void *arg)
{
    struct apply_ctx *ac = arg;
    return rk_pipeline_submit_apply(s, ac->p, ac->r, ac->o);
}

/* One submission of a request: parsed and checked on the request thread, then written by
 * the group-commit writer. */
struct sub_item {
    struct rk_submission sub;
    struct rk_chasil_error err;
    struct rk_prepared p;
    struct rk_receipt r;
    struct rk_outcome *o;
    struct apply_ctx ac;
    int rc;
};

/* The messages of a parse failure, in the shape of a pipeline outcome. */
static void parse_outcome(struct sub_item *it)
{
    snprintf(it->o->message_en, sizeof it->o->message_en, "%s", it->err.message);
    snprintf(it->o->message_id, sizeof it->o->message_id, "kiriman tidak valid: %s",
             it->err.message);
    snprintf(it->o->field, sizeof it->o->field, "%s", it->err.field);
}

/* Rate limit, signature, authorization, rules: it->rc says how it went; on RK_OK it->p is
 * ready for the writer. */
static void item_prepare(struct rk_req *req, const struct rk_principal *who, struct sub_item *it)
{
    if (it->rc != RK_OK) {
        parse_outcome(it);
        return;
    }
    if ((it->rc = rk_server_rate(req, RK_RATE_WRITE, it->sub.device)) != RK_OK) {
        snprintf(it->o->message_en, sizeof it->o->message_en, "%s", req->err_en);
        snprintf(it->o->message_id, sizeof it->o->message_id, "%s", req->err_id);
        return;
    }
    it->rc = rk_pipeline_submit_prepare(req->store, who->user_id ? who : NULL, &it->sub,
                                        rk_now_ms(), &it->p, it->o);
    it->ac = (struct apply_ctx){&it->p, &it->r, it->o};
}

static void items_free(struct sub_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rk_pipeline_prepared_free(&items[i].p);
        free(items[i].o);
    }
    free(items);
}

static struct sub_item *items_new(size_t n)
{
    struct sub_item *items = calloc(n, sizeof *items);
    for (size_t i = 0; items && i < n; i++)
        if (!(items[i].o = outcome_new())) {
            items_free(items, i);
            return NULL;
        }
    return items;
}

/* Builds {"results":[{"status": 201, "receipt": {...}} | {"status": 4xx, "error": {...}}]}
 * from items[0..n), written directly (rk_receipt_text); a refusal's error object, not hot,
 * still comes from its tree. */
static int many_reply(struct rk_req *req, const struct sub_item *items, size_t n)
{
    size_t cap = 16 + n * (RK_RECEIPT_TEXT_MAX + 32), w = 0;
    char *body = malloc(cap);
    if (body) {
        memcpy(body, "{\"results\":[", 12);
        w = 12;
    }
    for (size_t i = 0; body && i < n; i++) {
        const struct sub_item *it = &items[i];
        bool ok = it->rc == RK_OK;
        w += (size_t)snprintf(body + w, cap - w, "%s{\"status\":%d,\"%s\":", i ? "," : "",
                              ok ? (it->r.duplicate ? 200 : 201) : rk_status_http(it->rc),
                              ok ? "receipt" : "error");
        if (ok) {
            w += rk_receipt_text(&it->r, body + w);
        } else {
            json_t *eo = outcome_json(it->rc, it->o);
            char *e = eo ? json_dumps(eo, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            json_decref(eo);
            size_t elen = e ? strlen(e) : 0;
            char *grown = e ? realloc(body, cap += elen) : NULL;
            if (!grown) {
                free(e);
                free(body);
                body = NULL;
                break;
            }
            body = grown;
            memcpy(body + w, e, elen);
            w += elen;
            free(e);
        }
        body[w++] = '}';
    }
    if (!body)
        return RK_ENOMEM;
    memcpy(body + w, "]}", 3);
    rk_reply_take(req, 200, body, w + 2, "application/json; charset=utf-8", "no-store", 1);
    return RK_OK;
}

/* A single submission's answer: its receipt (201, or 200 for a resend), or its error. */
static int one_reply(struct rk_req *req, const struct sub_item *it)
{
    int rc = it->rc;
    if (rc == RK_OK) {
        char *body = malloc(RK_RECEIPT_TEXT_MAX);
        if (!body)
            return RK_ENOMEM;
        size_t len = rk_receipt_text(&it->r, body);
        rk_reply_take(req, it->r.duplicate ? 200 : 201, body, len,
                      "application/json; charset=utf-8", "no-store", 1);
        return RK_OK;
    }
    return it->o->message_en[0] ? outcome_error(req, rc, it->o) : rc;
}

/* An upload parked while the group-commit writer stores it (rk_server_park): the request
 * thread serves other connections meanwhile. Everything the writer reads lives here. */
struct parked_upload {
    struct sub_item *items;
    size_t n, cap; /* items in use / allocated */
    bool many;     /* a JSON array body: answered {"results": [...]} */
    size_t k, idx[RK_SUBMISSION_BULK_MAX];
    void *args[RK_SUBMISSION_BULK_MAX];
    int rcs[RK_SUBMISSION_BULK_MAX];
};

static void upload_drop(struct rk_req *req)
{
    struct parked_upload *p = req->park;
    req->park = NULL;
    req->finish = NULL;
    req->drop = NULL;
    if (p) {
        items_free(p->items, p->cap);
        free(p);
    }
}

/* Unparked: the writer's statuses into their items, then the answer. */
static int upload_finish(struct rk_req *req)
{
    struct parked_upload *p = req->park;
    for (size_t m = 0; m < p->k; m++)
        p->items[p->idx[m]].rc = p->rcs[m];
    int rc = p->many ? many_reply(req, p->items, p->n) : one_reply(req, &p->items[0]);
    upload_drop(req);
    return rc;
}

/* Hands every prepared item of items[0..n) (allocated: cap) to the writer at once (one
 * transaction, normally) and parks the request until it has run them; takes items. */
static int items_post(struct rk_req *req, struct sub_item *items, size_t n, size_t cap,
                      bool many)
{
    struct parked_upload *p = calloc(1, sizeof *p);
    if (!p) {
        items_free(items, cap);
        return RK_ENOMEM;
    }
    *p = (struct parked_upload){.items = items, .n = n, .cap = cap, .many = many};
    for (size_t i = 0; i < n; i++)
        if (items[i].rc == RK_OK) {
            p->idx[p->k] = i;
            p->args[p->k++] = &items[i].ac;
        }
    req->park = p;
    req->finish = upload_finish;
    req->drop = upload_drop;
    if (p->k == 0)
        return upload_finish(req); /* nothing to write: every item was refused */
    rk_server_park(req);
    int rc = rk_batcher_post(rk_server_batcher(req->srv), p->k, apply_submit, p->args, p->rcs,
                             rk_server_unpark, req);
    if (rc != RK_OK) {
        for (size_t m = 0; m < p->k; m++)
            p->rcs[m] = rc;
        rk_server_unpark(req); /* answered at once, with that error */
    }
    return RK_OK;
}

/* A body that is a JSON array: several submissions (the races of one TPS), each answered on
 * its own in {"results": [...]} under HTTP 200. */
static int submit_many(struct rk_req *req, const struct rk_principal *who)
{
    struct sub_item *items = items_new(RK_SUBMISSION_BULK_MAX);
    struct rk_submission *subs = malloc(RK_SUBMISSION_BULK_MAX * sizeof *subs);
    struct rk_chasil_error errs[RK_SUBMISSION_BULK_MAX], err;
    int status[RK_SUBMISSION_BULK_MAX];
    size_t n = 0;
    int rc = items && subs ? RK_OK : RK_ENOMEM;
    if (rc == RK_OK)
        rc = rk_submission_parse_many(req->body, req->body_len, subs, status, errs,
                                      RK_SUBMISSION_BULK_MAX, &n, &err);
    if (rc != RK_OK) {
        if (rc != RK_ENOMEM) {
            items[0].err = err;
            parse_outcome(&items[0]);
            rc = outcome_error(req, rc, items[0].o);
        }
        free(subs);
        if (items)
            items_free(items, RK_SUBMISSION_BULK_MAX);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        items[i].sub = subs[i];
        items[i].err = errs[i];
        items[i].rc = status[i];
        item_prepare(req, who, &items[i]);
    }
    free(subs);
    return items_post(req, items, n, RK_SUBMISSION_BULK_MAX, true);
}

int rk_h_submit(struct rk_req *req)
{
    struct rk_principal who;
    int rc = principal(req, &who, 0);
    if (rc != RK_OK)
        return rc;
    if (!req->body)
        return rk_req_fail(req, RK_EINVAL, "request body required", "isi permintaan diperlukan");
    size_t lead = 0;
    while (lead < req->body_len && strchr(" \t\r\n", req->body[lead]))
        lead++;
    if (lead < req->body_len && req->body[lead] == '[')
        return submit_many(req, &who);
    struct sub_item *it = items_new(1);
    if (!it)
        return RK_ENOMEM;
    it->rc = rk_submission_parse(req->body, req->body_len, &it->sub, &it->err);
    if (it->rc != RK_OK) {
        parse_outcome(it);
        rc = outcome_error(req, it->rc, it->o);
        items_free(it, 1);
        return rc;
    }
    item_prepare(req, &who, it);
    if (it->rc == RK_ERATELIMIT) {
        items_free(it, 1);
        return RK_ERATELIMIT; /* dispatch answers 429 with Retry-After from req->err_* */
    }
    if (it->rc == RK_OK)
        return items_post(req, it, 1, 1, false);
    rc = one_reply(req, it);
    items_free(it, 1);
    return rc;
}

static int tps_race_params(struct rk_req *req, char tps[RK_CODE_MAX + 1], int64_t *race)
{
    int rc = parse_tps(req, req->params[0], tps);
    if (rc == RK_OK)
        rc = parse_id(req, req->params[1], race);
    return rc;
}

/* What every officer write on /api/tps/{tps}/races/{race}/... starts with: the path's TPS and
 * race, a logged-in principal, and a JSON object body with only the allowed keys. Returns the
 * body (caller json_decref's) or NULL with *rc set. */
static json_t *officer_write(struct rk_req *req, char tps[RK_CODE_MAX + 1], int64_t *race,
                             struct rk_principal *who, const char *const *keys, int *rc)
{
    *rc = tps_race_params(req, tps, race);
    if (*rc == RK_OK)
        *rc = principal(req, who, 1);
    if (*rc != RK_OK)
        return NULL;
    json_t *b = body_json(req, rc);
    if (b && (*rc = only_keys(req, b, keys)) != RK_OK) {
        json_decref(b);
        return NULL;
    }
    return b;
}

int rk_h_correct(struct rk_req *req)
{
    char tps[RK_CODE_MAX + 1];
    int64_t race = 0;
    struct rk_principal who;
    static const char *const keys[] = {"document", "prev", "reason", NULL};
    int rc;
    json_t *b = officer_write(req, tps, &race, &who, keys, &rc);
    if (!b)
        return rc;
    struct rk_outcome *o = outcome_new();
    if (!o) {
        json_decref(b);
        return RK_ENOMEM;
    }
    json_t *d = json_object_get(b, "document"), *p = json_object_get(b, "prev"),
           *why = json_object_get(b, "reason");
    uint8_t prev[32];
    if (!json_is_object(d) || !json_is_string(why) || !json_is_string(p) ||
        rk_unhex(json_string_value(p), json_string_length(p), prev, 32) != RK_OK) {
        rc = rk_req_fail(req, RK_EINVAL, "document, prev (hex) and reason are required",
                         "document, prev (hex) dan reason wajib diisi");
        goto out;
    }
    char *text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct rk_chasil doc;
    struct rk_chasil_error err;
    rc = text ? rk_chasil_decode(text, strlen(text), 0, &doc, &err) : RK_ENOMEM;
    free(text);
    if (rc != RK_OK) {
        snprintf(o->message_en, sizeof o->message_en, "%s", err.message);
        snprintf(o->message_id, sizeof o->message_id, "dokumen tidak valid: %s", err.message);
        snprintf(o->field, sizeof o->field, "%s", err.field);
        rc = outcome_error(req, rc, o);
        goto out;
    }
    if (strcmp(doc.tps, tps) != 0 || doc.race_id != race) {
        rc = rk_req_fail(req, RK_EINVAL, "document is for another TPS or race",
                         "dokumen untuk TPS atau pemilihan lain");
        goto out;
    }
    struct rk_receipt r;
    if ((rc = rk_server_rate(req, RK_RATE_WRITE, who.username)) != RK_OK)
        goto out;
    rc = rk_pipeline_correct(req->store, &who, &doc, prev, json_string_value(why), rk_now_ms(), &r, o);
    if (rc == RK_OK)
        rc = reply_code(req, 201, receipt_json(&r));
    else if (o->message_en[0])
        rc = outcome_error(req, rc, o);
out:
    free(o);
    json_decref(b);
    return rc;
}

int rk_h_approve(struct rk_req *req)
{
    char tps[RK_CODE_MAX + 1];
    int64_t race = 0;
    struct rk_principal who;
    static const char *const keys[] = {"version", NULL};
    int rc;
    json_t *b = officer_write(req, tps, &race, &who, keys, &rc);
    if (!b)
        return rc;
    json_t *v = json_object_get(b, "version");
    struct rk_outcome o;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000) {
        rc = rk_req_fail(req, RK_EINVAL, "version (integer) required", "version (angka) wajib");
        goto out;
    }
    struct rk_receipt r;
    if ((rc = rk_server_rate(req, RK_RATE_WRITE, who.username)) != RK_OK)
        goto out;
    rc = rk_pipeline_approve(req->store, &who, race, tps, (int)json_integer_value(v), rk_now_ms(),
                             &r, &o);
    if (rc == RK_OK)
        rc = reply_code(req, 200, receipt_json(&r));
    else if (o.message_en[0])
        rc = outcome_error(req, rc, &o);
out:
    json_decref(b);
    return rc;
}

/* ---- reading results ---- */

static json_t *tally_json(const struct rk_tally *t, int ncand, int64_t expected)
{
    json_t *votes = json_array();
    for (int i = 0; i < ncand && i < RK_CANDIDATES_MAX; i++)
        json_array_append_new(votes, json_integer(t->votes[i]));
    return json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}", "votes", votes, "sah",
                     (json_int_t)t->sah, "tidak_sah", (json_int_t)t->tidak_sah, "total",
                     (json_int_t)t->total, "pengguna", (json_int_t)t->pengguna, "dpt",
                     (json_int_t)t->dpt, "progress", "tps_expected", (json_int_t)expected,
                     "tps_received", (json_int_t)t->received, "tps_flagged",
                     (json_int_t)t->flagged, "tps_approved", (json_int_t)t->approved);
}

/* Loads race (from params[0]) and its candidate count. */
static int load_race(struct rk_req *req, struct rk_race *race, int *ncand)
{
    int64_t id = 0;
    int rc = parse_id(req, req->params[0], &id);
    if (rc != RK_OK)
        return rc;
    rc = rk_store_race_get(req->store, id, race);
    if (rc == RK_ENOTFOUND)
        return rk_req_fail(req, rc, "race not found", "pemilihan tidak ditemukan");
    struct rk_candidate c[RK_CANDIDATES_MAX];
    if (rc == RK_OK)
        rc = rk_store_candidate_list(req->store, id, c, RK_CANDIDATES_MAX, ncand);
    return rc;
}

/* Whether region code and the race's region overlap (one contains the other). */
static int overlaps(const char *code, const char *race_region)
{
    size_t a = strlen(code), b = strlen(race_region);
    return strncmp(code, race_region, a < b ? a : b) == 0;
}

int rk_api_race_scope(struct rk_store *s, const char *code, const char *race_region,
                      const char **where, int64_t *tps)
{
    const char *w = strlen(code) >= strlen(race_region) ? code : race_region;
    if (where)
        *where = w;
    int64_t counts[RK_LEVEL_COUNT];
    int rc = rk_store_region_counts(s, w, counts);
    *tps = counts[RK_LEVEL_TPS];
    return rc;
}

struct child_acc {
    struct rk_store *s;
    const char *race_region;
    int ncand;
    json_t *arr;
};

static int child_row(void *ud, const struct rk_region *r, const struct rk_tally *t)
{
    struct child_acc *c = ud;
    if (!overlaps(r->code, c->race_region))
        return 0;
    int64_t expected = 0;
    if (r->level == RK_LEVEL_TPS)
        expected = 1;
    else if (rk_api_race_scope(c->s, r->code, c->race_region, NULL, &expected) != RK_OK)
        return RK_EDB;
    json_t *row = rk_api_region_json(r);
    json_object_set_new(row, "tally", tally_json(t, c->ncand, expected));
    return json_array_append_new(c->arr, row) == 0 ? 0 : RK_ENOMEM;
}

/* The tally table holds regions from the desa up; a TPS's own numbers live in its state. So the
 * children of a desa (its TPS) get their tallies from the TPS states of the race. */
static int tps_child_tally(void *ud, const struct rk_tps_state *st)
{
    struct child_acc *c = ud;
    size_t i;
    json_t *row;
    json_array_foreach(c->arr, i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "code")), st->tps) == 0)
            return json_object_set_new(row, "tally", tally_json(&st->tally, c->ncand, 1)) == 0
                       ? 0
                       : RK_ENOMEM;
    }
    return 0;
}

static int results(struct rk_req *req);

/* One snapshot for the whole page: consistent numbers, and registry rows (the race, the
 * region, TPS counts per child) from the shared cache. */
int rk_h_results(struct rk_req *req)
{
    int rc = rk_store_read_begin(req->store);
    if (rc == RK_OK)
        rc = results(req);
    rk_store_read_end(req->store);
    return rc;
}

static int results(struct rk_req *req)
{
    struct rk_race race;
    int ncand = 0;
    int rc = load_race(req, &race, &ncand);
    if (rc != RK_OK)
        return rc;
    struct rk_region region;
    if ((rc = rk_api_lookup_region(req, rk_req_query(req, "region"), &region)) != RK_OK)
        return rc;
    if (!overlaps(region.code, race.region_code))
        return rk_req_fail(req, RK_ENOTFOUND, "this race is not held in this region",
                           "pemilihan ini tidak diadakan di wilayah ini");
    struct rk_tally t;
    int64_t expected = 0;
    if (region.level == RK_LEVEL_TPS) {
        /* as for a desa's children: a TPS's numbers are its state's */
        struct rk_tps_state st;
        rc = rk_store_tps_state(req->store, race.id, region.code, &st);
        if (rc == RK_ENOTFOUND)
            rk_tally_zero(&t);
        else if (rc != RK_OK)
            return rc;
        else
            t = st.tally;
        expected = 1;
    } else if ((rc = rk_store_tally_get(req->store, race.id, region.code, &t)) != RK_OK ||
               (rc = rk_api_race_scope(req->store, region.code, race.region_code, NULL,
                                       &expected)) != RK_OK) {
        return rc;
    }
    json_t *rj = NULL;
    if ((rc = rk_api_race_json(req->store, &race, &rj)) != RK_OK)
        return rc;
    struct child_acc acc = {req->store, race.region_code, ncand, json_array()};
    if (region.level < RK_LEVEL_TPS)
        rc = rk_store_tally_children(req->store, race.id, region.code, child_row, &acc);
    if (rc == RK_OK && region.level == RK_LEVEL_DESA)
        rc = rk_store_tps_states(req->store, race.id, region.code, false, tps_child_tally, &acc);
    if (rc != RK_OK) {
        json_decref(rj);
        json_decref(acc.arr);
        return rc;
    }
    json_t *reg = rk_api_region_json(&region);
    return rk_reply_json(req, json_pack("{s:o,s:o,s:o,s:o}", "race", rj, "region", reg, "tally",
                                        tally_json(&t, ncand, expected), "children", acc.arr));
}

struct tps_acc {
    int ncand;
    int64_t n;
    json_t *arr;      /* JSON listing */
    char *csv;        /* or CSV text */
    size_t len, cap;
};

static int csv_add(struct tps_acc *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int csv_add(struct tps_acc *a, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(a->csv + a->len, a->cap - a->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return RK_EINTERNAL;
        if ((size_t)n < a->cap - a->len) {
            a->len += (size_t)n;
            return RK_OK;
        }
        size_t cap = a->cap * 2 + (size_t)n;
        char *nc = realloc(a->csv, cap);
        if (!nc)
            return RK_ENOMEM;
        a->csv = nc;
        a->cap = cap;
    }
}

static int tps_row(void *ud, const struct rk_tps_state *st)
{
    struct tps_acc *a = ud;
    if (++a->n > TPS_LIST_MAX)
        return RK_ETOOBIG;
    const struct rk_tally *t = &st->tally;
    if (a->arr) {
        json_t *row = json_pack("{s:s,s:i,s:b,s:b,s:i,s:o}", "tps", st->tps, "version",
                                st->current_version, "approved", (int)st->approved, "flagged",
                                (int)(t->flagged != 0), "objections", st->objections, "tally",
                                tally_json(t, a->ncand, 1));
        return json_array_append_new(a->arr, row) == 0 ? 0 : RK_ENOMEM;
    }
    int rc = csv_add(a, "%s,%d,%d,%d", st->tps, st->current_version, (int)st->approved,
                     (int)(t->flagged != 0));
    for (int i = 0; rc == RK_OK && i < a->ncand; i++)
        rc = csv_add(a, ",%lld", (long long)t->votes[i]);
    if (rc == RK_OK)
        rc = csv_add(a, ",%lld,%lld,%lld,%lld,%lld,%d\n", (long long)t->sah,
                     (long long)t->tidak_sah, (long long)t->total, (long long)t->pengguna,
                     (long long)t->dpt, st->objections);
    return rc;
}

static int race_tps_common(struct rk_req *req, struct tps_acc *a, struct rk_race *race,
                           struct rk_region *region)
{
    int rc = load_race(req, race, &a->ncand);
    if (rc == RK_OK)
        rc = rk_api_lookup_region(req, rk_req_query(req, "region"), region);
    if (rc != RK_OK)
        return rc;
    if (!overlaps(region->code, race->region_code))
        return rk_req_fail(req, RK_ENOTFOUND, "this race is not held in this region",
                           "pemilihan ini tidak diadakan di wilayah ini");
    const char *f = rk_req_query(req, "flagged");
    bool only_flagged = f && strcmp(f, "1") == 0;
    rc = rk_store_tps_states(req->store, race->id, region->code, only_flagged, tps_row, a);
    if (rc == RK_ETOOBIG)
        return rk_req_fail(req, rc, "too many TPS; ask for a smaller region",
                           "terlalu banyak TPS; pilih wilayah yang lebih kecil");
    return rc;
}

int rk_h_race_tps(struct rk_req *req)
{
    struct tps_acc a = {.arr = json_array()};
    struct rk_race race;
    struct rk_region region;
    int rc = race_tps_common(req, &a, &race, &region);
    if (rc != RK_OK) {
        json_decref(a.arr);
        return rc;
    }
    return rk_reply_json(req, json_pack("{s:I,s:s,s:o}", "race_id", (json_int_t)race.id, "region",
                                        region.code, "tps", a.arr));
}

int rk_h_results_csv(struct rk_req *req)
{
    struct tps_acc a = {.cap = 1 << 16};
    a.csv = malloc(a.cap);
    if (!a.csv)
        return RK_ENOMEM;
    a.csv[0] = '\0';
    int rc = csv_add(&a, "tps,version,approved,flagged");
    struct rk_race race;
    struct rk_region region;
    /* header needs the candidate count: load the race first */
    int ncand = 0;
    if (rc == RK_OK)
        rc = load_race(req, &race, &ncand);
    for (int i = 0; rc == RK_OK && i < ncand; i++)
        rc = csv_add(&a, ",paslon_%d", i + 1);
    if (rc == RK_OK)
        rc = csv_add(&a, ",suara_sah,suara_tidak_sah,suara_total,pengguna_total,pemilih_dpt,"
                         "objections\n");
    if (rc == RK_OK)
        rc = race_tps_common(req, &a, &race, &region);
    if (rc != RK_OK) {
        free(a.csv);
        return rc;
    }
    rk_reply_take(req, 200, a.csv, a.len, "text/csv; charset=utf-8", "no-cache", 1);
    return RK_OK;
}

/* ---- one TPS ---- */

static json_t *version_summary(const struct rk_version *v)
{
    json_t *j = json_pack("{s:i,s:s,s:s,s:I,s:o,s:s,s:s,s:I}", "version", v->version, "kind",
                          v->kind == RK_VERSION_UPLOAD ? "upload" : "correction", "actor",
                          v->actor, "created_ms", (json_int_t)v->created_ms, "doc_sha256",
                          hexj(v->doc_hash, 32), "reason", v->reason, "flags", v->flags,
                          "log_index", (json_int_t)v->log_index);
    return j;
}

static int add_version(void *ud, const struct rk_version *v)
{
    return json_array_append_new(ud, version_summary(v)) == 0 ? 0 : RK_ENOMEM;
}

/* The objections to (race, tps), oldest first: [{version, actor, reason, created_ms,
 * log_index}]. */
static int objections_json(struct rk_store *s, int64_t race_id, const char *tps, json_t **out)
{
    *out = NULL;
    struct rk_objection *ob = malloc(RK_OBJECTIONS_MAX * sizeof *ob);
    int n = 0;
    int rc = ob ? rk_store_objection_list(s, race_id, tps, ob, RK_OBJECTIONS_MAX, &n) : RK_ENOMEM;
    json_t *arr = rc == RK_OK ? json_array() : NULL;
    if (rc == RK_OK && !arr)
        rc = RK_ENOMEM;
    for (int i = 0; rc == RK_OK && i < n; i++) {
        json_t *o = json_pack("{s:i,s:s,s:s,s:I,s:I}", "version", ob[i].version, "actor",
                              ob[i].actor, "reason", ob[i].reason, "created_ms",
                              (json_int_t)ob[i].created_ms, "log_index",
                              (json_int_t)ob[i].log_index);
        if (!o || json_array_append_new(arr, o) != 0)
            rc = RK_ENOMEM;
    }
    free(ob);
    if (rc != RK_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return RK_OK;
}

int rk_h_tps_race(struct rk_req *req)
{
    char tps[RK_CODE_MAX + 1];
    int64_t race_id = 0;
    int rc = tps_race_params(req, tps, &race_id);
    if (rc != RK_OK)
        return rc;
    struct rk_region region;
    struct rk_race race;
    rc = rk_store_region_get(req->store, tps, &region);
    if (rc == RK_ENOTFOUND)
        return rk_req_fail(req, rc, "TPS not found", "TPS tidak ditemukan");
    if (rc == RK_OK)
        rc = rk_store_race_get(req->store, race_id, &race);
    if (rc == RK_ENOTFOUND || (rc == RK_OK && !overlaps(tps, race.region_code)))
        return rk_req_fail(req, RK_ENOTFOUND, "race not held at this TPS",
                           "pemilihan ini tidak diadakan di TPS ini");
    if (rc != RK_OK)
        return rc;
    struct rk_tps_state st;
    rc = rk_store_tps_state(req->store, race_id, tps, &st);
    if (rc != RK_OK && rc != RK_ENOTFOUND)
        return rc;
    json_t *state = json_null();
    json_t *current = json_null();
    json_t *history = json_array();
    if (rc == RK_OK) {
        struct rk_version *v = malloc(sizeof *v);
        if (!v)
            return RK_ENOMEM;
        rc = rk_store_version_get(req->store, race_id, tps, st.current_version, v);
        if (rc == RK_OK) {
            json_error_t jerr;
            current = json_pack("{s:i,s:o,s:s}", "version", v->version, "document",
                                json_loads(v->doc, 0, &jerr), "flags", v->flags);
            state = json_pack("{s:i,s:b,s:s,s:I,s:b}", "current_version", st.current_version,
                              "approved", (int)st.approved, "approved_by", st.approved_by,
                              "approved_ms", (json_int_t)st.approved_ms, "flagged",
                              (int)(st.tally.flagged != 0));
            rc = rk_store_version_list(req->store, race_id, tps, add_version, history);
        }
        free(v);
        if (rc != RK_OK) {
            json_decref(state);
            json_decref(current);
            json_decref(history);
            return rc;
        }
    }
    json_t *objections = NULL;
    if (rc == RK_OK || rc == RK_ENOTFOUND)
        rc = objections_json(req->store, race_id, tps, &objections);
    json_t *rj = NULL;
    if (rc == RK_OK)
        rc = rk_api_race_json(req->store, &race, &rj);
    if (rc != RK_OK) {
        json_decref(state), json_decref(current), json_decref(history), json_decref(objections);
        return rc;
    }
    return rk_reply_json(req, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "tps",
                                        rk_api_region_json(&region), "race", rj, "state", state,
                                        "current", current, "history", history, "objections",
                                        objections));
}

/* POST /api/tps/{tps}/races/{race}/objections: a saksi's or Bawaslu's objection. */
int rk_h_object(struct rk_req *req)
{
    char tps[RK_CODE_MAX + 1];
    int64_t race = 0;
    struct rk_principal who;
    static const char *const keys[] = {"version", "reason", NULL};
    int rc;
    json_t *b = officer_write(req, tps, &race, &who, keys, &rc);
    if (!b)
        return rc;
    json_t *v = json_object_get(b, "version"), *why = json_object_get(b, "reason");
    struct rk_outcome o;
    struct rk_receipt r;
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000 ||
        !json_is_string(why)) {
        rc = rk_req_fail(req, RK_EINVAL, "version (integer) and reason (text) are required",
                         "version (angka) dan reason (teks) wajib diisi");
    } else if ((rc = rk_server_rate(req, RK_RATE_WRITE, who.username)) == RK_OK) {
        rc = rk_pipeline_object(req->store, &who, race, tps, (int)json_integer_value(v),
                                json_string_value(why), rk_now_ms(), &r, &o);
        if (rc == RK_OK)
            rc = reply_code(req, 201, receipt_json(&r));
        else if (o.message_en[0])
            rc = outcome_error(req, rc, &o);
    }
    json_decref(b);
    return rc;
}

int rk_h_tps_version(struct rk_req *req)
{
    char tps[RK_CODE_MAX + 1];
    int64_t race_id = 0, n = 0;
    int rc = tps_race_params(req, tps, &race_id);
    if (rc == RK_OK)
        rc = parse_id(req, req->params[2], &n);
    if (rc != RK_OK)
        return rc;
    if (n > 1000000)
        return rk_req_fail(req, RK_ENOTFOUND, "version not found", "versi tidak ditemukan");
    struct rk_version *v = malloc(sizeof *v);
    if (!v)
        return RK_ENOMEM;
    rc = rk_store_version_get(req->store, race_id, tps, (int)n, v);
    if (rc == RK_ENOTFOUND) {
        free(v);
        return rk_req_fail(req, rc, "version not found", "versi tidak ditemukan");
    }
    if (rc != RK_OK) {
        free(v);
        return rc;
    }
    json_error_t jerr;
    json_t *j = version_summary(v);
    json_t *photos = json_array();
    for (int i = 0; i < v->n_photos; i++)
        json_array_append_new(photos, hexj(v->photos[i], 32));
    json_object_set_new(j, "tps", json_string(v->tps));
    json_object_set_new(j, "race_id", json_integer(v->race_id));
    json_object_set_new(j, "document", json_loads(v->doc, 0, &jerr));
    json_object_set_new(j, "document_canonical", json_string(v->doc));
    json_object_set_new(j, "photos", photos);
    json_object_set_new(j, "device", json_string(v->device));
    json_object_set_new(j, "signature", v->has_sig ? hexj(v->sig, 64) : json_null());
    free(v);
    rc = rk_reply_json(req, j);
    if (rc == RK_OK)
        req->reply.cache_control = "public, max-age=31536000, immutable"; /* versions never change */
    return rc;
}

/* ---- transparency log ---- */

static int query_u64(struct rk_req *req, const char *name, uint64_t max, uint64_t *out, int required)
{
    const char *v = rk_req_query(req, name);
    if (!v) {
        if (required)
            return rk_req_fail(req, RK_EINVAL, "missing query parameter", "parameter kueri hilang");
        return RK_ENOTFOUND;
    }
    if (rk_parse_u64(v, strlen(v), max, out) != RK_OK)
        return rk_req_fail(req, RK_EINVAL, "malformed number in query", "angka kueri tidak valid");
    return RK_OK;
}

int rk_h_log_sth(struct rk_req *req)
{
    struct rk_sth_row row;
    const struct rk_signer *signer = rk_server_signer(req->srv);
    char pub[65], kid[17];
    rk_hex(signer->public_key, 32, pub);
    rk_hex(signer->key_id, RK_KEY_ID_LEN, kid);
    int rc = rk_store_sth_latest(req->store, &row);
    if (rc == RK_ENOTFOUND)
        return rk_req_fail(req, rc, "no signed tree head yet", "belum ada kepala pohon bertanda tangan");
    if (rc != RK_OK)
        return rc;
    struct rk_sth sth;
    if ((rc = rk_sth_init(&sth, rk_server_log_id(req->srv), (uint64_t)row.size,
                          (uint64_t)row.timestamp_ms, row.root)) != RK_OK)
        return rc;
    memcpy(sth.signature, row.sig, 64);
    rk_unhex(row.key_id, strlen(row.key_id), sth.key_id, RK_KEY_ID_LEN);
    return rk_reply_json(req, json_pack("{s:o,s:{s:s,s:s}}", "sth", rk_sth_to_json(&sth), "key",
                                        "key_id", kid, "public_key", pub));
}

int rk_h_log_entries(struct rk_req *req)
{
    uint64_t start = 0, count = 100;
    int rc = query_u64(req, "start", INT64_MAX, &start, 0);
    if (rc != RK_OK && rc != RK_ENOTFOUND)
        return rc;
    rc = query_u64(req, "count", LOG_PAGE_MAX, &count, 0);
    if (rc != RK_OK && rc != RK_ENOTFOUND)
        return rc;
    int64_t size;
    if ((rc = rk_store_log_size(req->store, &size)) != RK_OK)
        return rc;
    json_t *arr = json_array();
    for (uint64_t i = start; i < start + count && (int64_t)i < size; i++) {
        uint8_t buf[RK_LOG_ENTRY_MAX], leaf[32];
        size_t len;
        if ((rc = rk_store_log_get(req->store, (int64_t)i, buf, sizeof buf, &len, leaf)) != RK_OK) {
            json_decref(arr);
            return rc;
        }
        struct rk_logentry e;
        json_t *dec = rk_logentry_decode(buf, len, &e) == RK_OK ? rk_logentry_to_json(&e) : json_null();
        char *hex = malloc(2 * len + 1);
        if (!hex) {
            json_decref(arr);
            json_decref(dec);
            return RK_ENOMEM;
        }
        rk_hex(buf, len, hex);
        json_array_append_new(arr, json_pack("{s:I,s:o,s:s,s:o}", "index", (json_int_t)i, "leaf",
                                             hexj(leaf, 32), "entry_hex", hex, "entry", dec));
        free(hex);
    }
    return rk_reply_json(req, json_pack("{s:I,s:I,s:o}", "size", (json_int_t)size, "start",
                                        (json_int_t)start, "entries", arr));
}

int rk_h_log_inclusion(struct rk_req *req)
{
    uint64_t index, size;
    int rc = query_u64(req, "index", INT64_MAX, &index, 1);
    if (rc == RK_OK)
        rc = query_u64(req, "size", INT64_MAX, &size, 1);
    if (rc != RK_OK)
        return rc;
    int64_t have;
    if ((rc = rk_store_log_size(req->store, &have)) != RK_OK)
        return rc;
    if (size > (uint64_t)have || index >= size)
        return rk_req_fail(req, RK_ERANGE, "index/size outside the log", "indeks/ukuran di luar log");
    struct rk_merkle_source src;
    struct rk_merkle_proof p;
    rk_log_source(req->store, &src);
    if ((rc = rk_merkle_inclusion_proof(&src, index, size, &p)) != RK_OK)
        return rc;
    return rk_reply_json(req, rk_merkle_inclusion_to_json(index, size, &p));
}

int rk_h_log_consistency(struct rk_req *req)
{
    uint64_t first, second;
    int rc = query_u64(req, "first", INT64_MAX, &first, 1);
    if (rc == RK_OK)
        rc = query_u64(req, "second", INT64_MAX, &second, 1);
    if (rc != RK_OK)
        return rc;
    int64_t have;
    if ((rc = rk_store_log_size(req->store, &have)) != RK_OK)
        return rc;
    if (second > (uint64_t)have || first > second)
        return rk_req_fail(req, RK_ERANGE, "sizes outside the log", "ukuran di luar log");
    struct rk_merkle_source src;
    struct rk_merkle_proof p;
    rk_log_source(req->store, &src);
    if ((rc = rk_merkle_consistency_proof(&src, first, second, &p)) != RK_OK)
        return rc;
    return rk_reply_json(req, rk_merkle_consistency_to_json(first, second, &p));
}

/* ---- form photos ---- */

#define PHOTOS_PER_USER_MAX 64 /* quota: 2 races x 2-3 pages, retakes included, with margin */

int rk_h_photo_put(struct rk_req *req)
{
    struct rk_principal who;
    int rc = principal(req, &who, 1);
    if (rc != RK_OK)
        return rc;
    if (who.role == RK_ROLE_PUBLIC || who.role == RK_ROLE_SAKSI || who.role == RK_ROLE_BAWASLU)
        return rk_req_fail(req, RK_EFORBIDDEN, "only election officers upload form photos",
                           "hanya petugas yang dapat mengunggah foto formulir");
    if (!req->body || req->body_len < 8)
        return rk_req_fail(req, RK_EINVAL, "photo bytes required", "isi foto diperlukan");
    const unsigned char *b = (const unsigned char *)req->body;
    const char *type = NULL;
    if (b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        type = "image/jpeg";
    else if (memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        type = "image/png";
    else
        return rk_req_fail(req, RK_EUNSUPPORTED, "only JPEG or PNG photos",
                           "foto harus JPEG atau PNG");
    int64_t n = 0;
    if ((rc = rk_store_photo_count(req->store, who.username, &n)) != RK_OK)
        return rc;
    if ((rc = rk_server_rate(req, RK_RATE_WRITE, who.username)) != RK_OK)
        return rc;
    if (n >= PHOTOS_PER_USER_MAX)
        return rk_req_fail(req, RK_ERATELIMIT, "photo quota for this account reached",
                           "kuota foto akun ini sudah habis");
    uint8_t hash[32];
    crypto_hash_sha256(hash, b, req->body_len);
    rc = rk_store_photo_put(req->store, hash, b, req->body_len, type, who.username, rk_now_ms());
    if (rc != RK_OK && rc != RK_EEXIST)
        return rc;
    return reply_code(req, rc == RK_OK ? 201 : 200,
                      json_pack("{s:o,s:s,s:I}", "sha256", hexj(hash, 32), "type", type, "bytes",
                                (json_int_t)req->body_len));
}

int rk_h_photo_get(struct rk_req *req)
{
    uint8_t hash[32];
    const char *p = req->params[0];
    if (rk_unhex(p, strlen(p), hash, 32) != RK_OK)
        return rk_req_fail(req, RK_EINVAL, "photo id is a SHA-256 hex", "id foto harus SHA-256 hex");
    void *data;
    size_t len;
    char type[32];
    int rc = rk_store_photo_get(req->store, hash, &data, &len, type);
    if (rc == RK_ENOTFOUND)
        return rk_req_fail(req, rc, "photo not found", "foto tidak ditemukan");
    if (rc != RK_OK)
        return rc;
    rk_reply_take(req, 200, data, len, strcmp(type, "image/png") == 0 ? "image/png" : "image/jpeg",
                  "public, max-age=31536000, immutable", 0);
    return RK_OK;
}

/* ---- D.Hasil recapitulation documents ---- */

struct membuf {
    char *p;
    size_t len, cap;
};

static int membuf_write(void *ud, const unsigned char *data, size_t len)
{
    struct membuf *m = ud;
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 65536;
        while (cap < m->len + len)
            cap *= 2;
        char *np = realloc(m->p, cap);
        if (!np)
            return RK_ENOMEM;
        m->p = np;
        m->cap = cap;
    }
    memcpy(m->p + m->len, data, len);
    m->len += len;
    return RK_OK;
}

static int dhasil(struct rk_req *req, int pdf)
{
    int64_t race = 0;
    int rc = parse_id(req, req->params[0], &race);
    if (rc != RK_OK)
        return rc;
    const char *code = req->params[1];
    char canon[RK_CODE_MAX + 1] = "";
    if (strcmp(code, "nasional") != 0) {
        enum rk_level level;
        if (rk_code_parse(code, strlen(code), canon, &level) != RK_OK)
            return rk_req_fail(req, RK_EINVAL, "malformed region code", "kode wilayah tidak valid");
    }
    /* The JSON is dated by the latest signed tree head (the one its data_ref names), not by the
     * clock: an unchanged recap then keeps its bytes and its ETag, so a client polling with
     * If-None-Match gets 304 (dated by the clock, every answer older than the read cache's
     * second was new). The printed PDF keeps the time it was made. */
    int64_t when = rk_now_ms();
    struct rk_sth_row sth;
    if (!pdf && rk_store_sth_latest(req->store, &sth) == RK_OK)
        when = sth.timestamp_ms;
    struct rk_dhasil d;
    struct rk_dhasil_error err;
    rk_dhasil_init(&d);
    rc = rk_store_dhasil_load(req->store, race, canon, when, NULL, &d, &err);
    if (rc != RK_OK) {
        rk_dhasil_free(&d);
        struct rk_outcome o;
        memset(&o, 0, sizeof o);
        snprintf(o.message_en, sizeof o.message_en, "%s", err.msg_en);
        snprintf(o.message_id, sizeof o.message_id, "%s", err.msg_id);
        return outcome_error(req, rc, &o);
    }
    if (!pdf) {
        json_t *j = NULL;
        rc = rk_dhasil_to_json(&d, &j);
        rk_dhasil_free(&d);
        return rc == RK_OK ? rk_reply_json(req, j) : rc;
    }
    struct membuf m = {0};
    rc = rk_dhasil_render_pdf(&d, membuf_write, &m);
    rk_dhasil_free(&d);
    if (rc != RK_OK) {
        free(m.p);
        return rc;
    }
    rk_reply_take(req, 200, m.p, m.len, "application/pdf", "no-cache", 1);
    return RK_OK;
}

int rk_h_dhasil_json(struct rk_req *req)
{
    return dhasil(req, 0);
}

int rk_h_dhasil_pdf(struct rk_req *req)
{
    return dhasil(req, 1);
}
