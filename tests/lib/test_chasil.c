/* C.Hasil document: canonical encoding (exact bytes), round trips, and every decoder refusal
 * with its exact status and the field it names. */
#include "testutil.h"

#include "rekap/chasil.h"
#include "rekap/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The canonical bytes of full_doc(), written out by hand from the format in docs/chasil.md. */
static const char CANON[] =
    "{\"v\":1,\"type\":\"chasil\",\"election\":\"pilkada2024\",\"race\":42,\"tps\":\"3173011006272\","
    "\"paslon\":3,\"kolom_kosong\":false,"
    "\"pemilih_dpt_l\":100,\"pemilih_dpt_p\":101,\"pemilih_dpt_j\":201,"
    "\"pengguna_dpt_l\":90,\"pengguna_dpt_p\":95,\"pengguna_dpt_j\":185,"
    "\"pengguna_dptb_l\":2,\"pengguna_dptb_p\":1,\"pengguna_dptb_j\":3,"
    "\"pengguna_dpk_l\":1,\"pengguna_dpk_p\":1,\"pengguna_dpk_j\":2,"
    "\"pengguna_total_l\":93,\"pengguna_total_p\":97,\"pengguna_total_j\":190,"
    "\"ss_diterima\":207,\"ss_digunakan\":190,\"ss_rusak\":2,\"ss_sisa\":15,"
    "\"disabilitas_l\":1,\"disabilitas_p\":2,\"disabilitas_j\":3,"
    "\"suara_paslon_1\":100,\"suara_paslon_2\":60,\"suara_paslon_3\":25,"
    "\"suara_sah\":185,\"suara_tidak_sah\":5,\"suara_total\":190}";

static void full_doc(struct rk_chasil *d)
{
    static const uint32_t vals[RK_F_COUNT] = {
        100, 101, 201, 90, 95, 185, 2, 1, 3, 1, 1, 2, 93, 97, 190, /* I */
        207, 190, 2, 15,                                           /* II */
        1, 2, 3,                                                   /* III */
        100, 60, 25, 0, 0, 0,                                      /* IV */
        185, 5, 190,                                               /* V */
    };
    rk_chasil_init(d);
    strcpy(d->tps, "3173011006272");
    strcpy(d->election, "pilkada2024");
    d->race_id = 42;
    d->n_paslon = 3;
    for (int f = 0; f < RK_F_COUNT; f++)
        if (f < RK_F_SUARA_PASLON_4 || f > RK_F_SUARA_PASLON_6)
            rk_chasil_set(d, (enum rk_chasil_field)f, vals[f]);
}

static void test_field_names(void **state)
{
    (void)state;
    assert_int_equal(RK_F_COUNT, 31);
    for (int f = 0; f < RK_F_COUNT; f++) {
        const char *n = rk_chasil_field_name((enum rk_chasil_field)f);
        assert_non_null(n);
        assert_int_equal(rk_chasil_field_find(n, strlen(n)), f);
    }
    assert_string_equal(rk_chasil_field_name(RK_F_PENGGUNA_DPK_J), "pengguna_dpk_j");
    assert_string_equal(rk_chasil_field_name(RK_F_SS_SISA), "ss_sisa");
    assert_string_equal(rk_chasil_field_name(RK_F_SUARA_PASLON_6), "suara_paslon_6");
    assert_null(rk_chasil_field_name(RK_F_COUNT));
    assert_int_equal(rk_chasil_field_find("suara", 5), -1);
    assert_int_equal(rk_chasil_field_find("suara_sahx", 10), -1);
}

static void test_encode_exact(void **state)
{
    (void)state;
    struct rk_chasil d;
    full_doc(&d);
    char buf[RK_CHASIL_JSON_MAX];
    size_t len;
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_OK);
    assert_int_equal(len, strlen(CANON));
    assert_string_equal(buf, CANON);
    assert_true(rk_chasil_is_canonical(buf, len));

    /* Encoding is a function of the content only: a copy built in another order encodes the
     * same bytes. */
    struct rk_chasil e;
    rk_chasil_init(&e);
    for (int f = RK_F_COUNT - 1; f >= 0; f--)
        if (rk_chasil_has(&d, (enum rk_chasil_field)f))
            rk_chasil_set(&e, (enum rk_chasil_field)f, d.v[f]);
    e.n_paslon = 3;
    e.race_id = 42;
    strcpy(e.election, "pilkada2024");
    strcpy(e.tps, "3173011006272");
    char buf2[RK_CHASIL_JSON_MAX];
    size_t len2;
    assert_int_equal(rk_chasil_encode(&e, buf2, sizeof buf2, &len2), RK_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(buf, buf2, len);
    assert_true(rk_chasil_equal(&d, &e));
}

static void test_encode_errors(void **state)
{
    (void)state;
    struct rk_chasil d;
    full_doc(&d);
    char small[64];
    size_t len = 0;
    assert_int_equal(rk_chasil_encode(&d, small, sizeof small, &len), RK_ETOOBIG);
    assert_int_equal(len, strlen(CANON)); /* tells the caller how much to allocate */
    char buf[RK_CHASIL_JSON_MAX];
    /* Exactly len bytes is one short: the NUL needs a byte. */
    assert_int_equal(rk_chasil_encode(&d, buf, strlen(CANON), &len), RK_ETOOBIG);
    assert_int_equal(rk_chasil_encode(&d, buf, strlen(CANON) + 1, &len), RK_OK);

    full_doc(&d);
    rk_chasil_set(&d, RK_F_SUARA_SAH, 1000);
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_ERANGE);
    full_doc(&d);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_4, 1);
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_EINVAL);
    full_doc(&d);
    d.tps[12] = 'x';
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_EINVAL);
    full_doc(&d);
    strcpy(d.election, "Pilkada 2024");
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_EINVAL);
    full_doc(&d);
    d.race_id = 0;
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_ERANGE);
    full_doc(&d);
    d.n_paslon = 7;
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_ERANGE);
    full_doc(&d);
    d.kolom_kosong = true; /* with 3 columns */
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_EINVAL);
    /* A partial document encodes (portal data); it is only the strict check that refuses. */
    full_doc(&d);
    rk_chasil_unset(&d, RK_F_SS_DITERIMA);
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_OK);
    assert_null(strstr(buf, "ss_diterima"));
    struct rk_chasil_error err;
    assert_int_equal(rk_chasil_check(&d, false, &err), RK_EINVAL);
    assert_string_equal(err.field, "ss_diterima");
    assert_int_equal(rk_chasil_check(&d, true, &err), RK_OK);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct rk_chasil d, back;
    struct rk_chasil_error err;
    assert_int_equal(rk_chasil_decode(CANON, strlen(CANON), RK_CHASIL_CANONICAL, &d, &err), RK_OK);
    struct rk_chasil want;
    full_doc(&want);
    assert_true(rk_chasil_equal(&d, &want));
    char buf[RK_CHASIL_JSON_MAX];
    size_t len;
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_OK);
    assert_int_equal(len, strlen(CANON));
    assert_memory_equal(buf, CANON, len);

    /* Kolom kosong race: two columns, the second is the empty column. */
    rk_chasil_init(&d);
    strcpy(d.tps, "2101010001001");
    strcpy(d.election, "pilkada2024");
    d.race_id = 9007199254740991LL; /* 2^53-1, the largest id */
    d.n_paslon = 2;
    d.kolom_kosong = true;
    rk_chasil_set(&d, RK_F_SUARA_PASLON_1, 0);
    rk_chasil_set(&d, RK_F_SUARA_PASLON_2, 999);
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_OK);
    assert_string_equal(buf, "{\"v\":1,\"type\":\"chasil\",\"election\":\"pilkada2024\","
                             "\"race\":9007199254740991,\"tps\":\"2101010001001\",\"paslon\":2,"
                             "\"kolom_kosong\":true,\"suara_paslon_1\":0,\"suara_paslon_2\":999}");
    assert_int_equal(rk_chasil_decode(buf, len, RK_CHASIL_PARTIAL | RK_CHASIL_CANONICAL, &back,
                                      &err),
                     RK_OK);
    assert_true(rk_chasil_equal(&d, &back));
    /* Strict mode wants every field. */
    assert_int_equal(rk_chasil_decode(buf, len, 0, &back, &err), RK_EINVAL);
    assert_string_equal(err.field, "pemilih_dpt_l");
}

static void test_noncanonical_accepted(void **state)
{
    (void)state;
    /* Whitespace, reordered keys and escapes: valid, same content, not canonical. */
    char *a = rk_test_replace(CANON, "{\"v\":1,", "{ \"v\" : 1 ,\n\t");
    char *b = rk_test_replace(a, "\"tps\":\"3173011006272\"", "\"tps\":\"317301100627\\u0032\"");
    char *c = rk_test_replace(b, "\"type\":\"chasil\",", "");
    char *e = rk_test_replace(c, "\"suara_total\":190}", "\"suara_total\":190,\"type\":\"ch\\/asil\"} ");
    /* "ch/asil" is not "chasil": the escape must decode to the same string to pass. */
    struct rk_chasil d;
    struct rk_chasil_error err;
    assert_int_equal(rk_chasil_decode(e, strlen(e), 0, &d, &err), RK_EINVAL);
    assert_string_equal(err.field, "type");
    char *f = rk_test_replace(c, "\"suara_total\":190}", "\"suara_total\":190,\"type\":\"c\\u0068asil\"}\r\n");
    assert_int_equal(rk_chasil_decode(f, strlen(f), 0, &d, &err), RK_OK);
    struct rk_chasil want;
    full_doc(&want);
    assert_true(rk_chasil_equal(&d, &want));
    assert_false(rk_chasil_is_canonical(f, strlen(f)));
    assert_int_equal(rk_chasil_decode(f, strlen(f), RK_CHASIL_CANONICAL, &d, &err), RK_EINVAL);
    assert_string_equal(err.field, "");
    assert_int_equal(err.offset, 1); /* first byte that differs: the space after '{' */
    char buf[RK_CHASIL_JSON_MAX];
    size_t len;
    assert_int_equal(rk_chasil_decode(f, strlen(f), 0, &d, &err), RK_OK);
    assert_int_equal(rk_chasil_encode(&d, buf, sizeof buf, &len), RK_OK);
    assert_string_equal(buf, CANON);
    /* A trailing newline alone also makes it non-canonical. */
    char *g = rk_test_replace(CANON, "\"suara_total\":190}", "\"suara_total\":190}\n");
    assert_int_equal(rk_chasil_decode(g, strlen(g), 0, &d, &err), RK_OK);
    assert_false(rk_chasil_is_canonical(g, strlen(g)));
    free(a), free(b), free(c), free(e), free(f), free(g);
}

struct bad_case {
    const char *find, *repl; /* mutation of CANON; find NULL: repl is the whole input */
    unsigned flags;
    int status;
    const char *field;
};

static void test_decode_errors(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        /* malformed JSON */
        {NULL, "", 0, RK_EPARSE, ""},
        {NULL, "   ", 0, RK_EPARSE, ""},
        {NULL, "{", 0, RK_EPARSE, ""},
        {NULL, "{\"v\":1,}", 0, RK_EPARSE, ""},
        {NULL, "{\"v\" 1}", 0, RK_EPARSE, ""},
        {NULL, "{v:1}", 0, RK_EPARSE, ""},
        {NULL, "\xef\xbb\xbf{}", 0, RK_EPARSE, ""}, /* BOM */
        {"\"suara_total\":190}", "\"suara_total\":190}x", 0, RK_EPARSE, ""},
        {"\"suara_total\":190}", "\"suara_total\":190}{}", 0, RK_EPARSE, ""},
        {"\"suara_sah\":185", "\"suara_sah\":0185", 0, RK_EPARSE, ""},
        {"\"suara_sah\":185", "\"suara_sah\":185.", 0, RK_EPARSE, ""},
        {"\"suara_sah\":185", "\"suara_sah\":-", 0, RK_EPARSE, ""},
        {"\"suara_sah\":185", "\"suara_sah\":+185", 0, RK_EPARSE, ""},
        {"\"suara_sah\":185", "\"suara_sah\":tru", 0, RK_EPARSE, ""},
        {"pilkada2024", "pilkada\\x2024", 0, RK_EPARSE, ""},
        {"pilkada2024", "pilkada\\ud800", 0, RK_EPARSE, ""},
        {"pilkada2024", "pilkada\\u0000", 0, RK_EPARSE, ""},
        {"pilkada2024", "pilkada\xc3(", 0, RK_EPARSE, ""},
        {"pilkada2024", "pilkada\t2024", 0, RK_EPARSE, ""},
        {"\"suara_total\":190}", "\"suara_total\":190", 0, RK_EPARSE, ""},
        /* a field error alone is reported; a later syntax error wins over it */
        {"\"v\":1,", "\"bogus\":1,\"v\":1,", 0, RK_EINVAL, "bogus"},
        {"\"suara_total\":190}", "\"suara_total\":190,\"bogus\":1,}", 0, RK_EPARSE, ""},
        /* top level */
        {NULL, "[]", 0, RK_EINVAL, ""},
        {NULL, "185", 0, RK_EINVAL, ""},
        {NULL, "null", 0, RK_EINVAL, ""},
        /* unknown and duplicate keys */
        {"\"v\":1,", "\"v\":1,\"photo\":\"abc\",", 0, RK_EINVAL, "photo"},
        {"\"v\":1,", "\"v\":1,\"Suara_sah\":1,", 0, RK_EINVAL, "Suara_sah"},
        {"\"v\":1,", "\"v\":1,\"suara_paslon_7\":1,", 0, RK_EINVAL, "suara_paslon_7"},
        {"\"v\":1,", "\"v\":1,\"a\\nb\":1,", 0, RK_EINVAL, "a?b"},
        {"\"suara_total\":190}", "\"suara_total\":190,\"suara_sah\":185}", 0, RK_EINVAL,
         "suara_sah"},
        {"\"suara_total\":190}", "\"suara_total\":190,\"v\":1}", 0, RK_EINVAL, "v"},
        /* missing required: envelope always, form fields unless partial */
        {"\"race\":42,", "", 0, RK_EINVAL, "race"},
        {"\"race\":42,", "", RK_CHASIL_PARTIAL, RK_EINVAL, "race"},
        {"\"v\":1,", "", RK_CHASIL_PARTIAL, RK_EINVAL, "v"},
        {"\"kolom_kosong\":false,", "", RK_CHASIL_PARTIAL, RK_EINVAL, "kolom_kosong"},
        {",\"suara_total\":190", "", 0, RK_EINVAL, "suara_total"},
        {"\"ss_rusak\":2,", "", 0, RK_EINVAL, "ss_rusak"},
        {"\"disabilitas_p\":2,", "", 0, RK_EINVAL, "disabilitas_p"},
        {"\"suara_paslon_3\":25,", "", 0, RK_EINVAL, "suara_paslon_3"},
        /* wrong types */
        {"\"suara_sah\":185", "\"suara_sah\":\"185\"", 0, RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":null", 0, RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":true", 0, RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":[185]", 0, RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":{\"n\":185}", 0, RK_EINVAL, "suara_sah"},
        {"\"kolom_kosong\":false", "\"kolom_kosong\":0", 0, RK_EINVAL, "kolom_kosong"},
        {"\"tps\":\"3173011006272\"", "\"tps\":3173011006272", 0, RK_EINVAL, "tps"},
        {"\"v\":1", "\"v\":\"1\"", 0, RK_EINVAL, "v"},
        {"\"type\":\"chasil\"", "\"type\":1", 0, RK_EINVAL, "type"},
        {"\"race\":42", "\"race\":\"42\"", 0, RK_EINVAL, "race"},
        /* non-integers */
        {"\"suara_sah\":185", "\"suara_sah\":185.0", 0, RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":1.85e2", 0, RK_EINVAL, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":185e0", 0, RK_EINVAL, "suara_sah"},
        {"\"v\":1", "\"v\":1.0", 0, RK_EINVAL, "v"},
        /* negatives and ranges */
        {"\"suara_sah\":185", "\"suara_sah\":-185", 0, RK_ERANGE, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":-0", 0, RK_ERANGE, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":1000", 0, RK_ERANGE, "suara_sah"},
        {"\"suara_sah\":185", "\"suara_sah\":99999999999999999999999999", 0, RK_ERANGE,
         "suara_sah"},
        {"\"race\":42", "\"race\":0", 0, RK_ERANGE, "race"},
        {"\"race\":42", "\"race\":9007199254740992", 0, RK_ERANGE, "race"},
        {"\"race\":42", "\"race\":-42", 0, RK_ERANGE, "race"},
        {"\"paslon\":3", "\"paslon\":1", 0, RK_ERANGE, "paslon"},
        {"\"paslon\":3", "\"paslon\":7", 0, RK_ERANGE, "paslon"},
        /* strings too long, bad identity */
        {"pilkada2024", "pilkada2024-aaaaaaaaaaaaaaaaaaaaa", 0, RK_ERANGE, "election"},
        {"\"3173011006272\"", "\"31730110062720\"", 0, RK_ERANGE, "tps"},
        {"\"3173011006272\"", "\"31.73.01.1006.272\"", 0, RK_ERANGE, "tps"},
        {"\"3173011006272\"", "\"3173011006000\"", 0, RK_EINVAL, "tps"},
        {"\"3173011006272\"", "\"317301100627\"", 0, RK_EINVAL, "tps"},
        {"\"3173011006272\"", "\"317301100627a\"", 0, RK_EINVAL, "tps"},
        {"pilkada2024", "Pilkada2024", 0, RK_EINVAL, "election"},
        {"pilkada2024", "", 0, RK_EINVAL, "election"},
        {"\"chasil\"", "\"dhasil\"", 0, RK_EINVAL, "type"},
        {"\"chasil\"", "\"chasil-with-a-long-tail\"", 0, RK_ERANGE, "type"},
        {"\"v\":1", "\"v\":2", 0, RK_EUNSUPPORTED, "v"},
        {"\"v\":1", "\"v\":0", 0, RK_EUNSUPPORTED, "v"},
        /* columns */
        {"\"suara_total\":190}", "\"suara_total\":190,\"suara_paslon_4\":0}", 0, RK_EINVAL,
         "suara_paslon_4"},
        {"\"kolom_kosong\":false", "\"kolom_kosong\":true", 0, RK_EINVAL, "kolom_kosong"},
        {"\"paslon\":3", "\"paslon\":2", 0, RK_EINVAL, "suara_paslon_3"},
        /* canonical form required */
        {"{\"v\":1,", "{\"v\":1, ", RK_CHASIL_CANONICAL, RK_EINVAL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct bad_case *c = &cases[i];
        char *in = c->find ? rk_test_replace(CANON, c->find, c->repl) : strdup(c->repl);
        struct rk_chasil d;
        struct rk_chasil_error err;
        memset(&d, 0x5a, sizeof d);
        int rc = rk_chasil_decode(in, strlen(in), c->flags, &d, &err);
        if (rc != c->status || strcmp(err.field, c->field) != 0)
            fail_msg("case %zu (%s): got %s field '%s' (%s), want %s field '%s'", i, in,
                     rk_status_name(rc), err.field, err.message, rk_status_name(c->status),
                     c->field);
        assert_true(err.message[0] != '\0');
        /* A refused document leaves nothing behind. */
        struct rk_chasil zero;
        rk_chasil_init(&zero);
        assert_memory_equal(&d, &zero, sizeof d);
        free(in);
    }
}

static void test_decode_values_boundaries(void **state)
{
    (void)state;
    struct rk_chasil d;
    struct rk_chasil_error err;
    char *in = rk_test_replace(CANON, "\"suara_sah\":185", "\"suara_sah\":999");
    assert_int_equal(rk_chasil_decode(in, strlen(in), 0, &d, &err), RK_OK);
    assert_int_equal(d.v[RK_F_SUARA_SAH], 999);
    free(in);
    in = rk_test_replace(CANON, "\"suara_sah\":185", "\"suara_sah\":0");
    assert_int_equal(rk_chasil_decode(in, strlen(in), RK_CHASIL_CANONICAL, &d, &err), RK_OK);
    assert_true(rk_chasil_has(&d, RK_F_SUARA_SAH));
    assert_int_equal(d.v[RK_F_SUARA_SAH], 0);
    free(in);
    /* Paslon 6 with all six columns present. */
    in = rk_test_replace(CANON, "\"paslon\":3", "\"paslon\":6");
    char *in2 = rk_test_replace(in, "\"suara_paslon_3\":25,",
                       "\"suara_paslon_3\":25,\"suara_paslon_4\":1,\"suara_paslon_5\":2,"
                       "\"suara_paslon_6\":3,");
    assert_int_equal(rk_chasil_decode(in2, strlen(in2), RK_CHASIL_CANONICAL, &d, &err), RK_OK);
    assert_int_equal(d.n_paslon, 6);
    assert_int_equal(d.v[RK_F_SUARA_PASLON_6], 3);
    free(in), free(in2);
    /* Offsets point into the input: at the offending value. */
    in = rk_test_replace(CANON, "\"suara_sah\":185", "\"suara_sah\":1000");
    assert_int_equal(rk_chasil_decode(in, strlen(in), 0, &d, &err), RK_ERANGE);
    assert_true(err.offset > 0);
    assert_memory_equal(in + err.offset, "1000", 4);
    free(in);
}

static void test_decode_size_cap(void **state)
{
    (void)state;
    /* Exactly at the cap (padding is whitespace): accepted. One byte over: RK_ETOOBIG. */
    size_t cap = RK_CHASIL_DOC_MAX;
    char *in = malloc(cap + 2);
    assert_non_null(in);
    size_t n = strlen(CANON);
    memcpy(in, CANON, n);
    memset(in + n, ' ', cap + 1 - n);
    struct rk_chasil d;
    struct rk_chasil_error err;
    assert_int_equal(rk_chasil_decode(in, cap, 0, &d, &err), RK_OK);
    assert_int_equal(rk_chasil_decode(in, cap + 1, 0, &d, &err), RK_ETOOBIG);
    assert_string_equal(err.field, "");
    /* Deep nesting inside a value: a parse error, not a crash. */
    char deep[200];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 40; i++)
        deep[k++] = '[';
    for (int i = 0; i < 40; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    assert_int_equal(rk_chasil_decode(deep, k, 0, &d, &err), RK_EPARSE);
    /* Input need not be NUL-terminated: decoding stops at len. */
    memcpy(in, CANON, n);
    in[n] = 'x';
    assert_int_equal(rk_chasil_decode(in, n, RK_CHASIL_CANONICAL, &d, &err), RK_OK);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_noncanonical_accepted),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_values_boundaries),
        cmocka_unit_test(test_decode_size_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
