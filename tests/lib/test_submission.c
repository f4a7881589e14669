/* The submission envelope parser (lib/submission.c) against the jansson-based parser it
 * replaced, kept here verbatim as the reference: hand-picked cases must get the same status,
 * field and result, and no mutant of a valid body may be accepted by the new parser unless the
 * reference accepts it too, with the same document, hashes, device and signature. */
#include "testutil.h"

#include "rekap/status.h"
#include "rekap/submission.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- the reference: lib/submission.c as of 803ed84 ---------------------------------------- */

static int ref_bad(struct rk_chasil_error *err, int status, const char *field, const char *msg)
{
    if (err) {
        snprintf(err->field, sizeof err->field, "%s", field);
        err->offset = -1;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return status;
}

static int ref_hex_field(json_t *v, uint8_t *out, size_t n, struct rk_chasil_error *err,
                     const char *name)
{
    if (!json_is_string(v))
        return ref_bad(err, RK_EINVAL, name, "must be a hex string");
    if (rk_unhex(json_string_value(v), json_string_length(v), out, n) != RK_OK)
        return ref_bad(err, RK_EINVAL, name, "wrong length or not hex");
    return RK_OK;
}

static int ref_finish_doc(struct rk_submission *sub)
{
    int rc = rk_chasil_encode(&sub->doc, sub->doc_json, sizeof sub->doc_json, &sub->doc_len);
    if (rc != RK_OK)
        return rc;
    crypto_hash_sha256(sub->doc_hash, (const unsigned char *)sub->doc_json, sub->doc_len);
    return RK_OK;
}

/* One submission object, already parsed by jansson (not consumed). */
static int ref_parse_object(json_t *root, struct rk_submission *sub, struct rk_chasil_error *err)
{
    memset(sub, 0, sizeof *sub);
    if (err)
        memset(err, 0, sizeof *err);
    int rc = RK_OK;
    if (!json_is_object(root)) {
        rc = ref_bad(err, RK_EINVAL, "", "body must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "document") && strcmp(key, "photos") && strcmp(key, "prev") &&
            strcmp(key, "device") && strcmp(key, "signature")) {
            rc = ref_bad(err, RK_EINVAL, key, "unknown field");
            goto out;
        }
    }
    json_t *doc = json_object_get(root, "document");
    if (!json_is_object(doc)) {
        rc = ref_bad(err, RK_EINVAL, "document", "missing or not an object");
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
    if ((rc = ref_finish_doc(sub)) != RK_OK)
        goto out;
    json_t *photos = json_object_get(root, "photos");
    if (!json_is_array(photos)) {
        rc = ref_bad(err, RK_EINVAL, "photos", "missing or not an array");
        goto out;
    }
    if (json_array_size(photos) > RK_SUBMISSION_PHOTOS_MAX) {
        rc = ref_bad(err, RK_ERANGE, "photos", "more than 8 photos");
        goto out;
    }
    size_t i;
    json_array_foreach(photos, i, val)
    {
        if ((rc = ref_hex_field(val, sub->photos[i], 32, err, "photos")) != RK_OK)
            goto out;
        sub->n_photos++;
    }
    json_t *prev = json_object_get(root, "prev");
    if (prev && !json_is_null(prev)) {
        if ((rc = ref_hex_field(prev, sub->prev, 32, err, "prev")) != RK_OK)
            goto out;
        sub->has_prev = true;
    }
    json_t *dev = json_object_get(root, "device");
    uint8_t id[8];
    if ((rc = ref_hex_field(dev, id, 8, err, "device")) != RK_OK)
        goto out;
    rk_hex(id, 8, sub->device);
    if ((rc = ref_hex_field(json_object_get(root, "signature"), sub->sig, 64, err, "signature")) !=
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
static json_t *ref_load(const char *body, size_t len, size_t cap, int *status,
                    struct rk_chasil_error *err)
{
    if (len > cap) {
        *status = ref_bad(err, RK_ETOOBIG, "", "request body too large");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        *status = ref_bad(err, RK_EPARSE, "", jerr.text);
        if (err)
            err->offset = jerr.position;
    }
    return root;
}

static int ref_parse(const char *body, size_t len, struct rk_submission *sub,
                        struct rk_chasil_error *err)
{
    memset(sub, 0, sizeof *sub);
    if (err)
        memset(err, 0, sizeof *err);
    int rc = RK_OK;
    json_t *root = ref_load(body, len, RK_SUBMISSION_BODY_MAX, &rc, err);
    if (!root)
        return rc;
    rc = ref_parse_object(root, sub, err);
    json_decref(root);
    return rc;
}

static int ref_parse_many(const char *body, size_t len, struct rk_submission *subs,
                             int *status, struct rk_chasil_error *errs, size_t cap, size_t *n,
                             struct rk_chasil_error *err)
{
    *n = 0;
    if (err)
        memset(err, 0, sizeof *err);
    int rc = RK_OK;
    json_t *root = ref_load(body, len, RK_SUBMISSION_BULK_BODY_MAX, &rc, err);
    if (!root)
        return rc;
    if (!json_is_array(root))
        rc = ref_bad(err, RK_EINVAL, "", "body must be a JSON array of submissions");
    else if (json_array_size(root) == 0)
        rc = ref_bad(err, RK_EINVAL, "", "empty array");
    else if (json_array_size(root) > cap || json_array_size(root) > RK_SUBMISSION_BULK_MAX)
        rc = ref_bad(err, RK_ERANGE, "", "too many submissions in one request");
    for (size_t i = 0; rc == RK_OK && i < json_array_size(root); i++) {
        status[i] = ref_parse_object(json_array_get(root, i), &subs[i], errs ? &errs[i] : NULL);
        *n = i + 1;
    }
    json_decref(root);
    return rc;
}


/* ---- the comparison ----------------------------------------------------------------------- */

static const char OK_BODY[] =
    "{\"document\":{\"v\":1,\"type\":\"chasil\",\"election\":\"pilkada2024\",\"race\":3,"
    "\"tps\":\"6101012001001\",\"paslon\":2,\"kolom_kosong\":true,\"pemilih_dpt_l\":200,"
    "\"pemilih_dpt_p\":210,\"pemilih_dpt_j\":410,\"pengguna_dpt_l\":117,\"pengguna_dpt_p\":160,"
    "\"pengguna_dpt_j\":277,\"pengguna_dptb_l\":0,\"pengguna_dptb_p\":0,\"pengguna_dptb_j\":0,"
    "\"pengguna_dpk_l\":0,\"pengguna_dpk_p\":0,\"pengguna_dpk_j\":0,\"pengguna_total_l\":117,"
    "\"pengguna_total_p\":160,\"pengguna_total_j\":277,\"ss_diterima\":421,\"ss_digunakan\":277,"
    "\"ss_rusak\":0,\"ss_sisa\":144,\"disabilitas_l\":1,\"disabilitas_p\":0,\"disabilitas_j\":1,"
    "\"suara_paslon_1\":188,\"suara_paslon_2\":79,\"suara_sah\":267,\"suara_tidak_sah\":10,"
    "\"suara_total\":277},"
    "\"photos\":[\"0100000000000000000000000000000000000000000000000000000000000000\","
    "\"0200000000000000000000000000000000000000000000000000000000000000\"],"
    "\"prev\":\"0900000000000000000000000000000000000000000000000000000000000000\","
    "\"device\":\"0123456789abcdef\",\"signature\":\"fa1f25eed4fe18fa58c942a78e14b30359e104a8"
    "74ec00fc0466f5bfd62f72abf1fee04be93e4f9f4f6da7be5b605b4061b588bdb5a58895140ef612dbc65d0f\"}";

static const char HEX64[] = "\"0300000000000000000000000000000000000000000000000000000000000000\"";

static void same_result(const struct rk_submission *a, const struct rk_submission *b)
{
    assert_int_equal(a->doc_len, b->doc_len);
    assert_memory_equal(a->doc_json, b->doc_json, a->doc_len);
    assert_memory_equal(a->doc_hash, b->doc_hash, 32);
    assert_true(rk_chasil_equal(&a->doc, &b->doc));
    assert_int_equal(a->n_photos, b->n_photos);
    assert_memory_equal(a->photos, b->photos, sizeof a->photos);
    assert_int_equal(a->has_prev, b->has_prev);
    assert_memory_equal(a->prev, b->prev, 32);
    assert_string_equal(a->device, b->device);
    assert_memory_equal(a->sig, b->sig, 64);
}

/* Both parsers on body: same status, same refused field, same result when accepted. */
static int both(const char *body, size_t len)
{
    static struct rk_submission a, b;
    struct rk_chasil_error ea, eb;
    int ra = rk_submission_parse(body, len, &a, &ea);
    int rb = ref_parse(body, len, &b, &eb);
    if (ra != rb)
        fail_msg("status %d, reference %d (%s / %s) for: %.*s", ra, rb, ea.message, eb.message,
                 (int)(len > 300 ? 300 : len), body);
    if (ra == RK_OK)
        same_result(&a, &b);
    else if (ra != RK_EPARSE) /* syntax messages are worded differently */
        assert_string_equal(ea.field, eb.field);
    return ra;
}

/* OK_BODY with the first occurrence of find replaced by repl. */
static char *edit(const char *find, const char *repl)
{
    return rk_test_replace(OK_BODY, find, repl);
}

static int both_edit(const char *find, const char *repl)
{
    char *b = edit(find, repl);
    int rc = both(b, strlen(b));
    free(b);
    return rc;
}

static void test_cases(void **state)
{
    (void)state;
    assert_int_equal(both(OK_BODY, strlen(OK_BODY)), RK_OK);
    /* spacing, order, escapes and null prev are the client's business */
    assert_int_equal(both_edit("{\"document\":", " \n{ \"document\" :\t"), RK_OK);
    assert_int_equal(both_edit("\"device\":\"0123", "\"device\":\"\\u0030123"), RK_OK);
    assert_int_equal(both_edit("\"election\":\"pilkada2024\"",
                               "\"election\":\"pil\\u006bada2024\""), RK_OK);
    assert_int_equal(both_edit("\"prev\":\"09", "\"prev\":null,\"x\":\"09"), RK_EINVAL);
    assert_int_equal(both_edit("\"prev\":\"0900000000000000000000000000000000000000000000000000"
                               "000000000000\",", ""), RK_OK);
    assert_int_equal(both_edit("\"prev\":\"0900000000000000000000000000000000000000000000000000"
                               "000000000000\"", "\"prev\":null"), RK_OK);
    assert_int_equal(both_edit("\"photos\":[", "\"photos\":[],\"y\":["), RK_EINVAL);
    /* key order: signature first */
    {
        const char *sig = strstr(OK_BODY, ",\"signature\"");
        char body[4096];
        int n = snprintf(body, sizeof body, "{%.*s,%.*s}", (int)(strlen(sig) - 2), sig + 1,
                         (int)(sig - OK_BODY - 1), OK_BODY + 1);
        assert_true(n > 0 && (size_t)n < sizeof body);
        assert_int_equal(both(body, (size_t)n), RK_OK);
    }
    /* photos: none, eight, nine (the count wins over a bad ninth element) */
    assert_int_equal(both_edit("\"photos\":[\"01", "\"photos\":[],\"q\":[\"01"), RK_EINVAL);
    {
        char eight[1024] = "\"photos\":[", nine[1024];
        for (int i = 0; i < 8; i++)
            strcat(strcat(eight, i ? "," : ""), HEX64);
        snprintf(nine, sizeof nine, "%s,1", eight);
        strcat(eight, "],\"unused\":[");
        strcat(nine, "],\"unused\":[");
        assert_int_equal(both_edit("\"photos\":[", eight), RK_EINVAL); /* unknown key */
        assert_int_equal(both_edit("\"photos\":[", nine), RK_EINVAL);
        /* without the unknown key: eight are fine, nine are too many */
        static const char two[] =
            "\"photos\":[\"0100000000000000000000000000000000000000000000000000000000000000\","
            "\"0200000000000000000000000000000000000000000000000000000000000000\"]";
        *strstr(eight, ",\"unused\":[") = '\0';
        *strstr(nine, ",\"unused\":[") = '\0';
        assert_int_equal(both_edit(two, eight), RK_OK);
        assert_int_equal(both_edit(two, nine), RK_ERANGE);
    }
    /* the reference's order of refusals */
    assert_int_equal(both_edit("\"device\":", "\"extra\":1,\"device\":"), RK_EINVAL);
    assert_int_equal(both_edit("\"race\":3", "\"race\":-3"), RK_ERANGE);
    assert_int_equal(both_edit("\"race\":3,", "\"race\":3,\"nope\":1,"), RK_EINVAL);
    assert_int_equal(both_edit("\"suara_sah\":267", "\"suara_sah\":1267"), RK_ERANGE);
    assert_int_equal(both_edit("\"v\":1", "\"v\":2"), RK_EUNSUPPORTED);
    assert_int_equal(both_edit("\"device\":\"0123456789abcdef\"", "\"device\":\"0123\""),
                     RK_EINVAL);
    assert_int_equal(both_edit("\"device\":\"0123456789abcdef\"", "\"device\":7"), RK_EINVAL);
    assert_int_equal(both_edit("\"device\":\"0123456789abcdef\",", ""), RK_EINVAL);
    assert_int_equal(both_edit("\"device\":\"0123456789abcdef\"", "\"device\":\"0123456789abcdeg\""),
                     RK_EINVAL);
    assert_int_equal(both_edit(",\"signature\":\"fa", ",\"sig\":\"fa"), RK_EINVAL);
    assert_int_equal(both_edit("\"signature\":\"fa", "\"signature\":\"fafa"), RK_EINVAL);
    assert_int_equal(both_edit("\"prev\":\"09", "\"prev\":\"0"), RK_EINVAL);
    assert_int_equal(both_edit("\"prev\":\"09", "\"prev\":true,\"p\":\"09"), RK_EINVAL);
    assert_int_equal(both_edit("\"photos\":[\"01", "\"photos\":[1,\"01"), RK_EINVAL);
    assert_int_equal(both_edit("\"photos\":[", "\"photos\":{\"a\":[}"), RK_EPARSE);
    assert_int_equal(both_edit("\"photos\":[\"0100000000000000000000000000000000000000000000000"
                               "000000000000000\",", "\"photos\":{\"a\":"), RK_EPARSE);
    assert_int_equal(both_edit("{\"document\":{", "{\"document\":7,\"d\":{"), RK_EINVAL);
    assert_int_equal(both_edit("{\"document\":{", "{\"document\":[],\"d\":{"), RK_EINVAL);
    /* syntax anywhere wins, duplicates are syntax errors */
    assert_int_equal(both_edit("\"device\":", "\"device\":\"00\",\"device\":"), RK_EPARSE);
    /* Deliberate difference: a key repeated inside the document is the document decoder's
     * field error, naming the key, where jansson called the whole body unparseable. */
    {
        char *dup = edit("\"race\":3", "\"race\":3,\"race\":3");
        struct rk_submission a;
        struct rk_chasil_error ea;
        assert_int_equal(rk_submission_parse(dup, strlen(dup), &a, &ea), RK_EINVAL);
        assert_string_equal(ea.field, "race");
        assert_string_equal(ea.message, "duplicate key");
        assert_int_equal(ref_parse(dup, strlen(dup), &a, &ea), RK_EPARSE);
        free(dup);
    }
    /* a nested container's syntax error says what was expected there, at that byte */
    {
        static const char *const cases[][3] = {
            {"\"extra\":[1 2],\"device\":", "expected ',' or ']'", "2],"},
            {"\"extra\":{\"a\":{\"b\":1 \"c\":2}},\"device\":", "expected ',' or '}'", "\"c\""},
            {"\"extra\":[[1,2}],\"device\":", "expected ',' or ']'", "}]"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            char *bad = edit("\"device\":", cases[i][0]);
            struct rk_submission a;
            struct rk_chasil_error ea;
            assert_int_equal(rk_submission_parse(bad, strlen(bad), &a, &ea), RK_EPARSE);
            assert_string_equal(ea.message, cases[i][1]);
            assert_int_equal(ea.offset, (long)(strstr(bad, cases[i][2]) - bad));
            assert_int_equal(ref_parse(bad, strlen(bad), &a, &ea), RK_EPARSE);
            free(bad);
        }
    }
    assert_int_equal(both_edit("\"race\":3", "\"race\":3 3"), RK_EPARSE);
    assert_int_equal(both_edit("\"race\":3", "\"race\":03"), RK_EPARSE);
    assert_int_equal(both_edit("\"device\":", "\"extra\":[1,}\"device\":"), RK_EPARSE);
    assert_int_equal(both_edit("\"device\":", "\"extra\":\"\\u0000\",\"device\":"), RK_EPARSE);
    assert_int_equal(both_edit("\"device\":", "\"extra\":\"\xc3\x28\",\"device\":"), RK_EPARSE);
    assert_int_equal(both_edit("\"device\":", "\"extra\":\"\\ud800\",\"device\":"), RK_EPARSE);
    assert_int_equal(both_edit("\"device\":", "\"extra\":\"\x01\",\"device\":"), RK_EPARSE);
    assert_int_equal(both_edit("\"device\":", "\"ex\xff\":1,\"device\":"), RK_EPARSE);
    assert_int_equal(both_edit("\"device\":", "\"extra\":tru,\"device\":"), RK_EPARSE);
    /* the body as a whole */
    assert_int_equal(both("", 0), RK_EPARSE);
    assert_int_equal(both("   ", 3), RK_EPARSE);
    assert_int_equal(both("\"x\"", 3), RK_EPARSE);
    assert_int_equal(both("7", 1), RK_EPARSE);
    assert_int_equal(both("[]", 2), RK_EINVAL);
    assert_int_equal(both("[1,2]", 5), RK_EINVAL);
    assert_int_equal(both("{}", 2), RK_EINVAL);
    assert_int_equal(both("{} {}", 5), RK_EPARSE);
    assert_int_equal(both(OK_BODY, strlen(OK_BODY) - 1), RK_EPARSE);
    {
        char body[4096];
        int n = snprintf(body, sizeof body, "%s \r\n\t", OK_BODY);
        assert_int_equal(both(body, (size_t)n), RK_OK);
        n = snprintf(body, sizeof body, "%s x", OK_BODY);
        assert_int_equal(both(body, (size_t)n), RK_EPARSE);
        /* a NUL byte inside the body */
        n = snprintf(body, sizeof body, "%s", OK_BODY);
        body[40] = '\0';
        assert_int_equal(both(body, (size_t)n), RK_EPARSE);
    }
    /* too large */
    size_t big = RK_SUBMISSION_BODY_MAX + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, OK_BODY, strlen(OK_BODY));
    assert_int_equal(both(huge, big), RK_ETOOBIG);
    assert_int_equal(both(huge, big - 1), RK_OK);
    free(huge);
}

/* Both bulk parsers: same array-level status, and per element the same status and result. */
static void both_many(const char *body, size_t len, int want)
{
    static struct rk_submission a[RK_SUBMISSION_BULK_MAX], b[RK_SUBMISSION_BULK_MAX];
    int sa[RK_SUBMISSION_BULK_MAX], sb[RK_SUBMISSION_BULK_MAX];
    struct rk_chasil_error ea[RK_SUBMISSION_BULK_MAX], eb[RK_SUBMISSION_BULK_MAX], e1, e2;
    size_t na = 99, nb = 99;
    int ra = rk_submission_parse_many(body, len, a, sa, ea, RK_SUBMISSION_BULK_MAX, &na, &e1);
    int rb = ref_parse_many(body, len, b, sb, eb, RK_SUBMISSION_BULK_MAX, &nb, &e2);
    assert_int_equal(ra, want);
    assert_int_equal(ra, rb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(sa[i], sb[i]);
        if (sa[i] == RK_OK)
            same_result(&a[i], &b[i]);
        else if (sa[i] != RK_EPARSE)
            assert_string_equal(ea[i].field, eb[i].field);
    }
}

static void test_many(void **state)
{
    (void)state;
    char body[4 * 4096];
    char *bad = edit("\"v\":1", "\"v\":2");
    snprintf(body, sizeof body, "[%s, %s ,{\"document\":1},[]]", OK_BODY, bad);
    both_many(body, strlen(body), RK_OK);
    both_many("[1, \"x\" ,null,true]", strlen("[1, \"x\" ,null,true]"), RK_OK);
    both_many("[[{}]]", 6, RK_OK);
    snprintf(body, sizeof body, " [ %s ] ", OK_BODY);
    both_many(body, strlen(body), RK_OK);
    snprintf(body, sizeof body, "[%s,%s,%s,%s,%s]", OK_BODY, OK_BODY, OK_BODY, OK_BODY, OK_BODY);
    both_many(body, strlen(body), RK_ERANGE);
    both_many("[]", 2, RK_EINVAL);
    both_many("[ ]", 3, RK_EINVAL);
    both_many(OK_BODY, strlen(OK_BODY), RK_EINVAL);
    both_many("[1,", 3, RK_EPARSE);
    both_many("[1 2]", 5, RK_EPARSE);
    both_many("[1],", 4, RK_EPARSE);
    both_many("x", 1, RK_EPARSE);
    both_many("", 0, RK_EPARSE);
    /* Deliberate difference: a repeated key spoils only its own element (jansson refused the
     * whole body), so one broken submission does not hold back the TPS's other race. */
    snprintf(body, sizeof body, "[%s,{\"device\":1,\"device\":1}]", OK_BODY);
    {
        static struct rk_submission subs[RK_SUBMISSION_BULK_MAX];
        int st[RK_SUBMISSION_BULK_MAX];
        size_t n = 0;
        struct rk_chasil_error e;
        assert_int_equal(rk_submission_parse_many(body, strlen(body), subs, st, NULL,
                                                  RK_SUBMISSION_BULK_MAX, &n, &e), RK_OK);
        assert_int_equal(n, 2);
        assert_int_equal(st[0], RK_OK);
        assert_int_equal(st[1], RK_EPARSE);
        assert_int_equal(ref_parse_many(body, strlen(body), subs, st, NULL,
                                        RK_SUBMISSION_BULK_MAX, &n, &e), RK_EPARSE);
    }
    free(bad);
}

/* xorshift64*: a fixed sequence of mutations, the same on every run. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static void test_mutants(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]\":,\\ 0123456789-.eE+abcdefnulltrue\x01\x80\xff";
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    size_t len0 = strlen(OK_BODY), accepted = 0, agreed = 0, total = 30000;
    char *buf = malloc(len0 + 64);
    assert_non_null(buf);
    for (size_t t = 0; t < total; t++) {
        memcpy(buf, OK_BODY, len0);
        size_t len = len0;
        int edits = 1 + (int)(next(&seed) % 3);
        for (int k = 0; k < edits; k++) {
            size_t at = (size_t)(next(&seed) % len);
            char c = alphabet[next(&seed) % (sizeof alphabet - 1)];
            switch (next(&seed) % 3) {
            case 0: /* replace */
                buf[at] = c;
                break;
            case 1: /* delete */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            default: /* insert */
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
            }
        }
        static struct rk_submission a, b;
        struct rk_chasil_error ea, eb;
        int ra = rk_submission_parse(buf, len, &a, &ea);
        int rb = ref_parse(buf, len, &b, &eb);
        if (ra == RK_OK) {
            /* never accept what the reference refused, and accept it as the same thing */
            if (rb != RK_OK)
                fail_msg("accepted what the reference refused (%d: %s): %.*s", rb, eb.message,
                         (int)len, buf);
            same_result(&a, &b);
            accepted++;
        }
        agreed += (ra == RK_OK) == (rb == RK_OK);
    }
    free(buf);
    print_message("%zu mutants: %zu accepted, %zu agreed with the reference on accept/refuse\n",
                  total, accepted, agreed);
    assert_true(accepted > 0);        /* some mutants are harmless (e.g. whitespace, digits) */
    assert_true(agreed * 1000 >= total * 999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_mutants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
