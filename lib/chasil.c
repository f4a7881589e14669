/* C.Hasil document model, canonical encoder and strict decoder.
 *
 * The decoder is a hand-written JSON reader rather than jansson because the document is what a
 * KPPS device signs: we must name the offending key for every refusal (jansson does not report
 * which key is duplicated), refuse floats and exponents that a generic parser silently accepts
 * as integers, and never allocate on untrusted input. It reads the whole input in one pass:
 * syntax errors anywhere win over field errors (a document that is not JSON is "unparseable",
 * not "has an unknown field"), then the first field error in document order, then the
 * whole-document checks (missing fields, columns). */
#include "rekap/chasil.h"
#include "rekap/status.h"

#include <stdio.h>
#include <string.h>

static const char *const field_names[RK_F_COUNT] = {
    "pemilih_dpt_l", "pemilih_dpt_p", "pemilih_dpt_j",
    "pengguna_dpt_l", "pengguna_dpt_p", "pengguna_dpt_j",
    "pengguna_dptb_l", "pengguna_dptb_p", "pengguna_dptb_j",
    "pengguna_dpk_l", "pengguna_dpk_p", "pengguna_dpk_j",
    "pengguna_total_l", "pengguna_total_p", "pengguna_total_j",
    "ss_diterima", "ss_digunakan", "ss_rusak", "ss_sisa",
    "disabilitas_l", "disabilitas_p", "disabilitas_j",
    "suara_paslon_1", "suara_paslon_2", "suara_paslon_3",
    "suara_paslon_4", "suara_paslon_5", "suara_paslon_6",
    "suara_sah", "suara_tidak_sah", "suara_total",
};

/* Envelope keys, numbered after the form fields so one bitmask tracks every key seen. */
enum meta_key {
    K_V = RK_F_COUNT, K_TYPE, K_ELECTION, K_RACE, K_TPS, K_PASLON, K_KOLOM_KOSONG, K_COUNT
};
static const char *const meta_names[K_COUNT - RK_F_COUNT] = {
    "v", "type", "election", "race", "tps", "paslon", "kolom_kosong",
};
#define TYPE_NAME "chasil"

_Static_assert(K_COUNT <= 64, "keys must fit the seen-mask");

static const char *key_name(int k)
{
    return k < RK_F_COUNT ? field_names[k] : meta_names[k - RK_F_COUNT];
}

void rk_chasil_init(struct rk_chasil *doc)
{
    memset(doc, 0, sizeof *doc);
}

const char *rk_chasil_field_name(enum rk_chasil_field field)
{
    if ((int)field < 0 || field >= RK_F_COUNT)
        return NULL;
    return field_names[field];
}

int rk_chasil_field_find(const char *name, size_t len)
{
    for (int f = 0; f < RK_F_COUNT; f++)
        if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
            return f;
    return -1;
}

static int key_find(const char *name, size_t len)
{
    int f = rk_chasil_field_find(name, len);
    if (f >= 0)
        return f;
    for (int k = RK_F_COUNT; k < K_COUNT; k++)
        if (strlen(key_name(k)) == len && memcmp(key_name(k), name, len) == 0)
            return k;
    return -1;
}

void rk_chasil_set(struct rk_chasil *doc, enum rk_chasil_field field, uint32_t value)
{
    doc->v[field] = value;
    doc->present |= UINT64_C(1) << field;
}

void rk_chasil_unset(struct rk_chasil *doc, enum rk_chasil_field field)
{
    doc->v[field] = 0;
    doc->present &= ~(UINT64_C(1) << field);
}

bool rk_chasil_has(const struct rk_chasil *doc, enum rk_chasil_field field)
{
    return (doc->present >> field) & 1u;
}

bool rk_chasil_field_applies(const struct rk_chasil *doc, enum rk_chasil_field field)
{
    if (field >= RK_F_SUARA_PASLON_1 && field <= RK_F_SUARA_PASLON_6)
        return (int)(field - RK_F_SUARA_PASLON_1) < doc->n_paslon;
    return true;
}

static int fail(struct rk_chasil_error *err, int status, const char *field, long offset,
                const char *msg)
{
    if (err) {
        snprintf(err->field, sizeof err->field, "%s", field ? field : "");
        err->offset = offset;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return status;
}

static bool tps_code_ok(const char *s, size_t len)
{
    char code[RK_CODE_MAX + 1];
    enum rk_level level;
    if (len != RK_CODE_MAX)
        return false; /* canonical codes only: no dots */
    return rk_code_parse(s, len, code, &level) == RK_OK && level == RK_LEVEL_TPS;
}

int rk_chasil_check(const struct rk_chasil *doc, bool partial, struct rk_chasil_error *err)
{
    if (!tps_code_ok(doc->tps, strnlen(doc->tps, sizeof doc->tps)))
        return fail(err, RK_EINVAL, "tps", -1, "tps is not a 13-digit TPS code");
    if (strnlen(doc->election, sizeof doc->election) == sizeof doc->election ||
        rk_election_slug_check(doc->election) != RK_OK)
        return fail(err, RK_EINVAL, "election", -1, "election is not a valid slug");
    if (doc->race_id < 1 || doc->race_id > RK_CHASIL_RACE_MAX)
        return fail(err, RK_ERANGE, "race", -1, "race id outside 1..2^53-1");
    if (doc->n_paslon < RK_CHASIL_PASLON_MIN || doc->n_paslon > RK_CHASIL_PASLON_MAX)
        return fail(err, RK_ERANGE, "paslon", -1, "paslon outside 2..6");
    if (doc->kolom_kosong && doc->n_paslon != 2)
        return fail(err, RK_EINVAL, "kolom_kosong", -1,
                    "a kolom kosong race has exactly 2 columns");
    if (doc->present >> RK_F_COUNT)
        return fail(err, RK_EINVAL, "", -1, "presence mask names no field");
    for (int f = 0; f < RK_F_COUNT; f++) {
        bool has = rk_chasil_has(doc, (enum rk_chasil_field)f);
        bool applies = rk_chasil_field_applies(doc, (enum rk_chasil_field)f);
        if (has && !applies)
            return fail(err, RK_EINVAL, field_names[f], -1, "vote field past the race's columns");
        if (has && doc->v[f] > RK_CHASIL_VALUE_MAX)
            return fail(err, RK_ERANGE, field_names[f], -1, "value over 999");
        if (!has && applies && !partial)
            return fail(err, RK_EINVAL, field_names[f], -1, "required field missing");
    }
    return RK_OK;
}

/* Bounded appender: counts what would be written so the caller learns the needed size. */
struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n < o->cap)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_u64(struct out *o, uint64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    put(o, tmp);
}

int rk_chasil_encode(const struct rk_chasil *doc, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    int rc = rk_chasil_check(doc, true, NULL);
    if (rc != RK_OK)
        return rc;
    struct out o = {.buf = buf, .cap = cap, .len = 0};
    put(&o, "{\"v\":");
    put_u64(&o, RK_CHASIL_VERSION);
    put(&o, ",\"type\":\"" TYPE_NAME "\",\"election\":\"");
    put(&o, doc->election); /* slug charset [a-z0-9-] needs no escaping */
    put(&o, "\",\"race\":");
    put_u64(&o, (uint64_t)doc->race_id);
    put(&o, ",\"tps\":\"");
    put(&o, doc->tps);
    put(&o, "\",\"paslon\":");
    put_u64(&o, (uint64_t)doc->n_paslon);
    put(&o, doc->kolom_kosong ? ",\"kolom_kosong\":true" : ",\"kolom_kosong\":false");
    for (int f = 0; f < RK_F_COUNT; f++) {
        if (!rk_chasil_has(doc, (enum rk_chasil_field)f))
            continue;
        put(&o, ",\"");
        put(&o, field_names[f]);
        put(&o, "\":");
        put_u64(&o, doc->v[f]);
    }
    put(&o, "}");
    *len = o.len;
    if (!buf || o.len + 1 > cap)
        return RK_ETOOBIG;
    buf[o.len] = '\0';
    return RK_OK;
}

bool rk_chasil_equal(const struct rk_chasil *a, const struct rk_chasil *b)
{
    if (strcmp(a->tps, b->tps) != 0 || strcmp(a->election, b->election) != 0 ||
        a->race_id != b->race_id || a->n_paslon != b->n_paslon ||
        a->kolom_kosong != b->kolom_kosong || a->present != b->present)
        return false;
    for (int f = 0; f < RK_F_COUNT; f++)
        if (rk_chasil_has(a, (enum rk_chasil_field)f) && a->v[f] != b->v[f])
            return false;
    return true;
}

#include "jsonread.h"


/* Decoding state beyond the reader: the first field error and what has been seen. */
struct decode {
    struct rk_chasil *doc;
    uint64_t seen;
    int status; /* first field error, RK_OK if none */
    struct rk_chasil_error ferr;
};

static void field_error(struct decode *d, int status, const char *field, long offset,
                        const char *msg)
{
    if (d->status == RK_OK)
        d->status = fail(&d->ferr, status, field, offset, msg);
}

/* Checks that v is a non-negative integer no larger than max; returns it in *out. */
static bool want_uint(struct decode *d, const char *name, const struct rk_jr_value *v, uint64_t max,
                      uint64_t *out)
{
    if (v->kind != RK_JR_NUMBER) {
        field_error(d, RK_EINVAL, name, v->offset, "wrong type: expected an integer");
        return false;
    }
    if (v->fraction || v->exponent) {
        field_error(d, RK_EINVAL, name, v->offset, "not an integer");
        return false;
    }
    if (v->negative) {
        field_error(d, RK_ERANGE, name, v->offset, "negative number");
        return false;
    }
    if (v->overflow || v->mag > max) {
        char msg[64];
        snprintf(msg, sizeof msg, "number over %llu", (unsigned long long)max);
        field_error(d, RK_ERANGE, name, v->offset, msg);
        return false;
    }
    *out = v->mag;
    return true;
}

static bool want_string(struct decode *d, const char *name, const struct rk_jr_value *v, size_t max)
{
    if (v->kind != RK_JR_STRING) {
        field_error(d, RK_EINVAL, name, v->offset, "wrong type: expected a string");
        return false;
    }
    if (v->len > max) {
        field_error(d, RK_ERANGE, name, v->offset, "string too long");
        return false;
    }
    return true;
}

static void apply(struct decode *d, int key, const char *keytext, const struct rk_jr_value *v)
{
    struct rk_chasil *doc = d->doc;
    uint64_t u;
    if (key < 0) {
        char shown[RK_JR_KEY_CAP];
        rk_jr_printable(keytext, strlen(keytext), shown, sizeof shown);
        field_error(d, RK_EINVAL, shown, v->offset, "unknown field");
        return;
    }
    const char *name = key_name(key);
    if (d->seen >> key & 1u) {
        field_error(d, RK_EINVAL, name, v->offset, "duplicate key");
        return;
    }
    d->seen |= UINT64_C(1) << key;
    if (key < RK_F_COUNT) {
        if (want_uint(d, name, v, RK_CHASIL_VALUE_MAX, &u))
            rk_chasil_set(doc, (enum rk_chasil_field)key, (uint32_t)u);
        return;
    }
    switch ((enum meta_key)key) {
    case K_V:
        if (v->kind != RK_JR_NUMBER || v->fraction || v->exponent)
            field_error(d, RK_EINVAL, name, v->offset, "wrong type: expected an integer");
        else if (v->negative || v->overflow || v->mag != RK_CHASIL_VERSION)
            field_error(d, RK_EUNSUPPORTED, name, v->offset, "unsupported format version");
        break;
    case K_TYPE:
        if (want_string(d, name, v, 16) &&
            (v->len != sizeof TYPE_NAME - 1 || memcmp(v->str, TYPE_NAME, v->len) != 0))
            field_error(d, RK_EINVAL, name, v->offset, "type must be \"chasil\"");
        break;
    case K_ELECTION:
        if (!want_string(d, name, v, RK_ELECTION_SLUG_MAX))
            break;
        memcpy(doc->election, v->str, v->len);
        doc->election[v->len] = '\0';
        if (strlen(doc->election) != v->len || rk_election_slug_check(doc->election) != RK_OK)
            field_error(d, RK_EINVAL, name, v->offset, "not a valid election slug");
        break;
    case K_RACE:
        if (want_uint(d, name, v, RK_CHASIL_RACE_MAX, &u)) {
            if (u == 0)
                field_error(d, RK_ERANGE, name, v->offset, "race id must be positive");
            doc->race_id = (int64_t)u;
        }
        break;
    case K_TPS:
        if (!want_string(d, name, v, RK_CODE_MAX))
            break;
        if (!tps_code_ok(v->str, v->len)) {
            field_error(d, RK_EINVAL, name, v->offset, "not a 13-digit TPS code");
            break;
        }
        memcpy(doc->tps, v->str, v->len);
        doc->tps[v->len] = '\0';
        break;
    case K_PASLON:
        if (want_uint(d, name, v, UINT64_MAX, &u)) {
            if (u < RK_CHASIL_PASLON_MIN || u > RK_CHASIL_PASLON_MAX)
                field_error(d, RK_ERANGE, name, v->offset, "paslon must be 2..6");
            else
                doc->n_paslon = (int)u;
        }
        break;
    case K_KOLOM_KOSONG:
        if (v->kind != RK_JR_BOOL)
            field_error(d, RK_EINVAL, name, v->offset, "wrong type: expected true or false");
        else
            doc->kolom_kosong = v->b;
        break;
    case K_COUNT:
        break;
    }
}

static int document_member(void *ud, struct rk_jr *r, const struct rk_jr_item *it)
{
    (void)r;
    /* A key with an embedded NUL or over the cap can only be unknown. */
    int k = strlen(it->key) == it->klen ? key_find(it->key, it->klen) : -1;
    apply(ud, k, it->key, &it->v);
    return RK_OK;
}

static int read_document(struct rk_jr *r, struct decode *d)
{
    rk_jr_skip_ws(r);
    if (r->i >= r->n)
        return rk_jr_syntax_error(r, "empty document");
    if (r->s[r->i] != '{') {
        struct rk_jr_value top;
        if (rk_jr_value(r, &top, 1) != RK_OK ||
            rk_jr_end(r, "trailing bytes after the document") != RK_OK)
            return RK_EPARSE;
        field_error(d, RK_EINVAL, "", 0, "document is not a JSON object");
        return RK_OK;
    }
    if (rk_jr_container(r, 2, document_member, d) != RK_OK)
        return RK_EPARSE;
    return rk_jr_end(r, "trailing bytes after the document");
}

int rk_chasil_decode(const char *json, size_t len, unsigned flags, struct rk_chasil *doc,
                     struct rk_chasil_error *err)
{
    rk_chasil_init(doc);
    if (err)
        fail(err, RK_OK, "", -1, "");
    if (len > RK_CHASIL_DOC_MAX)
        return fail(err, RK_ETOOBIG, "", (long)RK_CHASIL_DOC_MAX, "document over 16 KiB");
    struct rk_jr r = {.s = (const unsigned char *)json, .n = len, .err = err, .syntax = RK_OK};
    struct decode d = {.doc = doc, .status = RK_OK};
    int rc = read_document(&r, &d);
    if (rc == RK_OK && d.status != RK_OK) {
        rc = d.status;
        if (err)
            *err = d.ferr;
    }
    if (rc == RK_OK) {
        /* Whole-document checks, in a fixed order so the same input always names the same
         * field. */
        for (int k = RK_F_COUNT; k < K_COUNT && rc == RK_OK; k++)
            if (!(d.seen >> k & 1u))
                rc = fail(err, RK_EINVAL, key_name(k), -1, "required field missing");
        if (rc == RK_OK)
            rc = rk_chasil_check(doc, (flags & RK_CHASIL_PARTIAL) != 0, err);
    }
    if (rc == RK_OK && (flags & RK_CHASIL_CANONICAL)) {
        char buf[RK_CHASIL_JSON_MAX];
        size_t n;
        rc = rk_chasil_encode(doc, buf, sizeof buf, &n);
        if (rc == RK_OK && (n != len || memcmp(buf, json, n) != 0)) {
            size_t at = 0;
            while (at < n && at < len && buf[at] == json[at])
                at++;
            rc = fail(err, RK_EINVAL, "", (long)at, "document is not in canonical form");
        }
    }
    if (rc != RK_OK)
        rk_chasil_init(doc);
    return rc;
}

bool rk_chasil_is_canonical(const char *json, size_t len)
{
    struct rk_chasil doc;
    return rk_chasil_decode(json, len, RK_CHASIL_PARTIAL | RK_CHASIL_CANONICAL, &doc, NULL) ==
           RK_OK;
}
