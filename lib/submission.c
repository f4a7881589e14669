/* Submission envelope: strict parsing, the signed statement, and client-side helpers. The
 * document is re-encoded canonically, so what is hashed and signed never depends on how the
 * client spaced or ordered its JSON. */
#include "rekap/submission.h"
#include "rekap/statement.h"
#include "rekap/status.h"

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

static int hex_field(json_t *v, uint8_t *out, size_t n, struct rk_chasil_error *err,
                     const char *name)
{
    if (!json_is_string(v))
        return bad(err, RK_EINVAL, name, "must be a hex string");
    if (rk_unhex(json_string_value(v), json_string_length(v), out, n) != RK_OK)
        return bad(err, RK_EINVAL, name, "wrong length or not hex");
    return RK_OK;
}

static int finish_doc(struct rk_submission *sub)
{
    int rc = rk_chasil_encode(&sub->doc, sub->doc_json, sizeof sub->doc_json, &sub->doc_len);
    if (rc != RK_OK)
        return rc;
    crypto_hash_sha256(sub->doc_hash, (const unsigned char *)sub->doc_json, sub->doc_len);
    return RK_OK;
}

/* One submission object, already parsed by jansson (not consumed). */
static int parse_object(json_t *root, struct rk_submission *sub, struct rk_chasil_error *err)
{
    memset(sub, 0, sizeof *sub);
    if (err)
        memset(err, 0, sizeof *err);
    int rc = RK_OK;
    if (!json_is_object(root)) {
        rc = bad(err, RK_EINVAL, "", "body must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "document") && strcmp(key, "photos") && strcmp(key, "prev") &&
            strcmp(key, "device") && strcmp(key, "signature")) {
            rc = bad(err, RK_EINVAL, key, "unknown field");
            goto out;
        }
    }
    json_t *doc = json_object_get(root, "document");
    if (!json_is_object(doc)) {
        rc = bad(err, RK_EINVAL, "document", "missing or not an object");
        goto out;
    }
    char *doc_text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!doc_text) {
        rc = RK_ENOMEM;
        goto out;
    }
    rc = rk_chasil_decode(doc_text, strlen(doc_text), 0, &sub->doc, err);
    free(doc_text);
    if (rc != RK_OK)
        goto out;
    if ((rc = finish_doc(sub)) != RK_OK)
        goto out;
    json_t *photos = json_object_get(root, "photos");
    if (!json_is_array(photos)) {
        rc = bad(err, RK_EINVAL, "photos", "missing or not an array");
        goto out;
    }
    if (json_array_size(photos) > RK_SUBMISSION_PHOTOS_MAX) {
        rc = bad(err, RK_ERANGE, "photos", "more than 8 photos");
        goto out;
    }
    size_t i;
    json_array_foreach(photos, i, val)
    {
        if ((rc = hex_field(val, sub->photos[i], 32, err, "photos")) != RK_OK)
            goto out;
        sub->n_photos++;
    }
    json_t *prev = json_object_get(root, "prev");
    if (prev && !json_is_null(prev)) {
        if ((rc = hex_field(prev, sub->prev, 32, err, "prev")) != RK_OK)
            goto out;
        sub->has_prev = true;
    }
    json_t *dev = json_object_get(root, "device");
    uint8_t id[8];
    if ((rc = hex_field(dev, id, 8, err, "device")) != RK_OK)
        goto out;
    rk_hex(id, 8, sub->device);
    if ((rc = hex_field(json_object_get(root, "signature"), sub->sig, 64, err, "signature")) !=
        RK_OK)
        goto out;
out:
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

/* Parses a body of at most cap bytes; NULL with *status and err set when it is not JSON. */
static json_t *load(const char *body, size_t len, size_t cap, int *status,
                    struct rk_chasil_error *err)
{
    if (len > cap) {
        *status = bad(err, RK_ETOOBIG, "", "request body too large");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        *status = bad(err, RK_EPARSE, "", jerr.text);
        if (err)
            err->offset = jerr.position;
    }
    return root;
}

int rk_submission_parse(const char *body, size_t len, struct rk_submission *sub,
                        struct rk_chasil_error *err)
{
    memset(sub, 0, sizeof *sub);
    if (err)
        memset(err, 0, sizeof *err);
    int rc = RK_OK;
    json_t *root = load(body, len, RK_SUBMISSION_BODY_MAX, &rc, err);
    if (!root)
        return rc;
    rc = parse_object(root, sub, err);
    json_decref(root);
    return rc;
}

int rk_submission_parse_many(const char *body, size_t len, struct rk_submission *subs,
                             int *status, struct rk_chasil_error *errs, size_t cap, size_t *n,
                             struct rk_chasil_error *err)
{
    *n = 0;
    if (err)
        memset(err, 0, sizeof *err);
    int rc = RK_OK;
    json_t *root = load(body, len, RK_SUBMISSION_BULK_BODY_MAX, &rc, err);
    if (!root)
        return rc;
    if (!json_is_array(root))
        rc = bad(err, RK_EINVAL, "", "body must be a JSON array of submissions");
    else if (json_array_size(root) == 0)
        rc = bad(err, RK_EINVAL, "", "empty array");
    else if (json_array_size(root) > cap || json_array_size(root) > RK_SUBMISSION_BULK_MAX)
        rc = bad(err, RK_ERANGE, "", "too many submissions in one request");
    for (size_t i = 0; rc == RK_OK && i < json_array_size(root); i++) {
        status[i] = parse_object(json_array_get(root, i), &subs[i], errs ? &errs[i] : NULL);
        *n = i + 1;
    }
    json_decref(root);
    return rc;
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
