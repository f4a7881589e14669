/* Submission envelope: strict parsing, the signed statement, and client-side helpers. The
 * document is re-encoded canonically, so what is hashed and signed never depends on how the
 * client spaced or ordered its JSON. */
#include "rekap/submission.h"
#include "rekap/statement.h"
#include "rekap/status.h"
#include "jsonread.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rk_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int rk_unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return RK_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return RK_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return RK_OK;
}

static int bad(struct rk_chasil_error *err, int status, const char *field, const char *msg)
{
    if (err) {
        snprintf(err->field, sizeof err->field, "%s", field);
        err->offset = -1;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return status;
}

static int finish_doc(struct rk_submission *sub)
{
    int rc = rk_chasil_encode(&sub->doc, sub->doc_json, sizeof sub->doc_json, &sub->doc_len);
    if (rc != RK_OK)
        return rc;
    crypto_hash_sha256(sub->doc_hash, (const unsigned char *)sub->doc_json, sub->doc_len);
    return RK_OK;
}

/* ---- envelope parsing ---------------------------------------------------------------------
 *
 * The envelope is read with the same strict, allocation-free reader as the document (not
 * jansson): this is the hottest path of election night, and building a tree of the whole body,
 * printing the document back to text and reading it again cost more than checking its
 * signature. The checks and their order are those of the jansson version this replaces, which
 * tests/lib/test_submission.c keeps as a reference and compares against: syntax errors anywhere
 * first, then an unknown key, then document, photos, prev, device, signature in that order. */

enum env_key { E_DOCUMENT, E_PHOTOS, E_PREV, E_DEVICE, E_SIGNATURE, E_COUNT };
static const char *const env_names[E_COUNT] = {"document", "photos", "prev", "device",
                                               "signature"};

/* Where each member's value lies in the body, found by one syntax pass. */
struct envelope {
    bool seen[E_COUNT];
    size_t at[E_COUNT], end[E_COUNT];
    enum rk_jr_kind kind[E_COUNT];
    bool unknown;
    char unknown_key[RK_JR_KEY_CAP];
};

/* One member of the envelope: its span kept, duplicate keys refused as syntax errors. */
static int envelope_member(void *ud, struct rk_jr *r, const struct rk_jr_item *it)
{
    struct envelope *e = ud;
    int k = -1;
    for (int j = 0; j < E_COUNT; j++)
        if (strlen(env_names[j]) == it->klen && memcmp(env_names[j], it->key, it->klen) == 0)
            k = j;
    if (k < 0) {
        if (!e->unknown)
            rk_jr_printable(it->key, it->klen, e->unknown_key, sizeof e->unknown_key);
        e->unknown = true;
        return RK_OK;
    }
    if (e->seen[k]) {
        r->i = it->key_at;
        return rk_jr_syntax_error(r, "duplicate object key");
    }
    e->seen[k] = true;
    e->at[k] = (size_t)it->v.offset;
    e->end[k] = it->end;
    e->kind[k] = it->v.kind;
    return RK_OK;
}

/* The items of an array: where the first SPANS_CAP lie, and how many there are. */
#define SPANS_CAP RK_SUBMISSION_PHOTOS_MAX
_Static_assert(SPANS_CAP >= RK_SUBMISSION_BULK_MAX, "a bulk array's elements must fit");
struct spans {
    size_t n;
    size_t at[SPANS_CAP], end[SPANS_CAP];
    enum rk_jr_kind kind[SPANS_CAP];
};

static int span_item(void *ud, struct rk_jr *r, const struct rk_jr_item *it)
{
    (void)r;
    struct spans *s = ud;
    if (s->n < SPANS_CAP) {
        s->at[s->n] = (size_t)it->v.offset;
        s->end[s->n] = it->end;
        s->kind[s->n] = it->v.kind;
    }
    s->n++;
    return RK_OK;
}

/* A hex string value at body[at..) of exactly 2n digits into out[n]. */
static int hex_at(const char *body, size_t at, size_t end, enum rk_jr_kind kind, uint8_t *out,
                  size_t n, struct rk_chasil_error *err, const char *name)
{
    if (kind != RK_JR_STRING)
        return bad(err, RK_EINVAL, name, "must be a hex string");
    char text[128];
    size_t len;
    struct rk_jr r = {.s = (const unsigned char *)body, .n = end, .i = at, .syntax = RK_OK};
    if (rk_jr_string(&r, text, sizeof text, &len) != RK_OK || len > sizeof text ||
        rk_unhex(text, len, out, n) != RK_OK)
        return bad(err, RK_EINVAL, name, "wrong length or not hex");
    return RK_OK;
}

/* The members of a scanned envelope, checked in the reference order. */
static int parse_members(const char *body, const struct envelope *e, struct rk_submission *sub,
                         struct rk_chasil_error *err)
{
    if (e->unknown)
        return bad(err, RK_EINVAL, e->unknown_key, "unknown field");
    if (!e->seen[E_DOCUMENT] || e->kind[E_DOCUMENT] != RK_JR_OBJECT)
        return bad(err, RK_EINVAL, "document", "missing or not an object");
    size_t at = e->at[E_DOCUMENT];
    int rc = rk_chasil_decode(body + at, e->end[E_DOCUMENT] - at, 0, &sub->doc, err);
    if (rc != RK_OK) {
        if (err && err->offset >= 0)
            err->offset += (long)at; /* offsets name a byte of the request body */
        return rc;
    }
    if ((rc = finish_doc(sub)) != RK_OK)
        return rc;
    if (!e->seen[E_PHOTOS] || e->kind[E_PHOTOS] != RK_JR_ARRAY)
        return bad(err, RK_EINVAL, "photos", "missing or not an array");
    /* Count first: "more than 8 photos" wins over a bad element, as it always has. */
    struct spans photos = {0};
    struct rk_jr r = {.s = (const unsigned char *)body, .n = e->end[E_PHOTOS],
                      .i = e->at[E_PHOTOS], .syntax = RK_OK};
    if (rk_jr_container(&r, 2, span_item, &photos) != RK_OK)
        return RK_EPARSE; /* cannot happen: the scan read it */
    if (photos.n > RK_SUBMISSION_PHOTOS_MAX)
        return bad(err, RK_ERANGE, "photos", "more than 8 photos");
    for (size_t i = 0; i < photos.n; i++) {
        if ((rc = hex_at(body, photos.at[i], photos.end[i], photos.kind[i], sub->photos[i], 32,
                         err, "photos")) != RK_OK)
            return rc;
        sub->n_photos++;
    }
    if (e->seen[E_PREV] && e->kind[E_PREV] != RK_JR_NULL) {
        if ((rc = hex_at(body, e->at[E_PREV], e->end[E_PREV], e->kind[E_PREV], sub->prev, 32,
                         err, "prev")) != RK_OK)
            return rc;
        sub->has_prev = true;
    }
    uint8_t id[8];
    if (!e->seen[E_DEVICE])
        return bad(err, RK_EINVAL, "device", "must be a hex string");
    if ((rc = hex_at(body, e->at[E_DEVICE], e->end[E_DEVICE], e->kind[E_DEVICE], id, 8, err,
                     "device")) != RK_OK)
        return rc;
    rk_hex(id, 8, sub->device);
    if (!e->seen[E_SIGNATURE])
        return bad(err, RK_EINVAL, "signature", "must be a hex string");
    return hex_at(body, e->at[E_SIGNATURE], e->end[E_SIGNATURE], e->kind[E_SIGNATURE], sub->sig,
                  64, err, "signature");
}

/* Reads a whole body: the container opened by `open` through fn, else (when any, or for the
 * other bracket) any one value, and nothing after it. *opened tells which. RK_OK or RK_EPARSE,
 * described in r->err. */
static int read_body(struct rk_jr *r, char open,
                     int (*fn)(void *ud, struct rk_jr *r, const struct rk_jr_item *it), void *ud,
                     bool any, bool *opened)
{
    rk_jr_skip_ws(r);
    *opened = r->i < r->n && r->s[r->i] == open;
    int rc;
    if (*opened) {
        rc = rk_jr_container(r, 1, fn, ud);
    } else if (any || (r->i < r->n && (r->s[r->i] == '[' || r->s[r->i] == '{'))) {
        struct rk_jr_value v;
        rc = rk_jr_value(r, &v, 0);
    } else {
        rc = rk_jr_syntax_error(r, "'[' or '{' expected");
    }
    return rc == RK_OK ? rk_jr_end(r, "end of file expected") : RK_EPARSE;
}

/* One envelope in body[0..len): a whole request, or (element) one value of a bulk array,
 * whose syntax the array's scan has checked, so anything but an object is a wrong type. */
static int parse_one(const char *body, size_t len, bool element, struct rk_submission *sub,
                     struct rk_chasil_error *err)
{
    memset(sub, 0, sizeof *sub);
    if (err)
        memset(err, 0, sizeof *err);
    struct rk_jr r = {.s = (const unsigned char *)body, .n = len, .err = err, .syntax = RK_OK};
    struct envelope e;
    memset(&e, 0, sizeof e);
    bool object;
    if (read_body(&r, '{', envelope_member, &e, element, &object) != RK_OK)
        return RK_EPARSE;
    if (!object)
        return bad(err, RK_EINVAL, "", "body must be a JSON object");
    int rc = parse_members(body, &e, sub, err);
    if (rc != RK_OK) {
        struct rk_chasil_error keep;
        if (err)
            keep = *err;
        memset(sub, 0, sizeof *sub);
        if (err)
            *err = keep;
    }
    return rc;
}

int rk_submission_parse(const char *body, size_t len, struct rk_submission *sub,
                        struct rk_chasil_error *err)
{
    memset(sub, 0, sizeof *sub);
    if (err)
        memset(err, 0, sizeof *err);
    if (len > RK_SUBMISSION_BODY_MAX)
        return bad(err, RK_ETOOBIG, "", "request body too large");
    return parse_one(body, len, false, sub, err);
}

int rk_submission_parse_many(const char *body, size_t len, struct rk_submission *subs,
                             int *status, struct rk_chasil_error *errs, size_t cap, size_t *n,
                             struct rk_chasil_error *err)
{
    *n = 0;
    if (err)
        memset(err, 0, sizeof *err);
    if (len > RK_SUBMISSION_BULK_BODY_MAX)
        return bad(err, RK_ETOOBIG, "", "request body too large");
    struct rk_jr r = {.s = (const unsigned char *)body, .n = len, .err = err, .syntax = RK_OK};
    struct spans items = {0};
    bool array;
    if (read_body(&r, '[', span_item, &items, false, &array) != RK_OK)
        return RK_EPARSE;
    if (!array)
        return bad(err, RK_EINVAL, "", "body must be a JSON array of submissions");
    if (items.n == 0)
        return bad(err, RK_EINVAL, "", "empty array");
    if (items.n > cap || items.n > RK_SUBMISSION_BULK_MAX)
        return bad(err, RK_ERANGE, "", "too many submissions in one request");
    for (size_t i = 0; i < items.n; i++) {
        status[i] = parse_one(body + items.at[i], items.end[i] - items.at[i], true, &subs[i],
                              errs ? &errs[i] : NULL);
        *n = i + 1;
    }
    return RK_OK;
}

int rk_submission_statement(const struct rk_submission *sub, char *buf, size_t cap, size_t *len)
{
    return rk_statement_upload(sub->doc.tps, sub->doc_hash, sub->has_prev ? sub->prev : NULL,
                               (const uint8_t(*)[32])sub->photos, sub->n_photos, buf, cap, len);
}

int rk_submission_init(struct rk_submission *sub, const struct rk_chasil *doc,
                       const uint8_t (*photos)[32], int n_photos, const uint8_t *prev)
{
    memset(sub, 0, sizeof *sub);
    if (n_photos < 0 || n_photos > RK_SUBMISSION_PHOTOS_MAX)
        return RK_ERANGE;
    sub->doc = *doc;
    int rc = rk_chasil_check(doc, false, NULL);
    if (rc != RK_OK)
        return rc;
    if ((rc = finish_doc(sub)) != RK_OK)
        return rc;
    for (int i = 0; i < n_photos; i++)
        memcpy(sub->photos[i], photos[i], 32);
    sub->n_photos = n_photos;
    if (prev) {
        memcpy(sub->prev, prev, 32);
        sub->has_prev = true;
    }
    return RK_OK;
}

int rk_submission_sign(struct rk_submission *sub, const uint8_t secret_key[64],
                       const char device_key_id[17])
{
    char st[RK_STATEMENT_MAX];
    size_t len;
    int rc = rk_submission_statement(sub, st, sizeof st, &len);
    if (rc != RK_OK)
        return rc;
    crypto_sign_detached(sub->sig, NULL, (const unsigned char *)st, len, secret_key);
    memcpy(sub->device, device_key_id, 16);
    sub->device[16] = '\0';
    return RK_OK;
}

char *rk_submission_to_json(const struct rk_submission *sub)
{
    json_error_t jerr;
    json_t *doc = json_loadb(sub->doc_json, sub->doc_len, 0, &jerr);
    if (!doc)
        return NULL;
    json_t *photos = json_array();
    for (int i = 0; i < sub->n_photos; i++) {
        char h[65];
        rk_hex(sub->photos[i], 32, h);
        json_array_append_new(photos, json_string(h));
    }
    char prev[65], sig[129];
    rk_hex(sub->prev, 32, prev);
    rk_hex(sub->sig, 64, sig);
    json_t *root = json_pack("{s:o, s:o, s:o, s:s, s:s}", "document", doc, "photos", photos, "prev",
                             sub->has_prev ? json_string(prev) : json_null(), "device", sub->device,
                             "signature", sig);
    if (!root)
        return NULL;
    char *out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    return out;
}
