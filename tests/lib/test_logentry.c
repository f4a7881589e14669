/* Log entry tests: exact byte layout, round trips for every kind, one test per decoder error
 * class, a canonicity sweep over every single-byte change, payload/signature checks, and the
 * committed fuzz corpus. */
#include "testutil.h"

#include "rekap/logentry.h"
#include "rekap/status.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static void base_entry(struct rk_logentry *e, enum rk_logentry_kind kind)
{
    memset(e, 0, sizeof *e);
    e->seq = 41;
    e->timestamp_ms = 1732406400123;
    e->kind = kind;
    strcpy(e->actor, "kpps.3273010001001");
    strcpy(e->region, "3273010001001");
    strcpy(e->race, "pilkada2024.pkwkp.32");
    for (int i = 0; i < RK_MERKLE_HASH_LEN; i++)
        e->payload_hash[i] = (uint8_t)(0xa0 + i);
}

static void add_device(struct rk_logentry *e, int with_sig)
{
    e->has_device = true;
    for (int i = 0; i < RK_KEY_ID_LEN; i++)
        e->device_key_id[i] = (uint8_t)(0x10 + i);
    if (with_sig) {
        e->has_signature = true;
        for (int i = 0; i < RK_ED25519_SIG_LEN; i++)
            e->signature[i] = (uint8_t)i;
    }
}

static size_t encode_ok(const struct rk_logentry *e, uint8_t *buf)
{
    int len = rk_logentry_encode(e, buf, RK_LOGENTRY_MAX_BYTES);
    assert_true(len > 0);
    return (size_t)len;
}

/* Field by field: bytes after a string's terminator are not part of the entry. */
static void assert_entry_eq(const struct rk_logentry *a, const struct rk_logentry *b)
{
    assert_true(a->seq == b->seq && a->timestamp_ms == b->timestamp_ms);
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->actor, b->actor);
    assert_string_equal(a->region, b->region);
    assert_string_equal(a->race, b->race);
    assert_memory_equal(a->payload_hash, b->payload_hash, sizeof a->payload_hash);
    assert_int_equal(a->has_device, b->has_device);
    if (a->has_device)
        assert_memory_equal(a->device_key_id, b->device_key_id, sizeof a->device_key_id);
    assert_int_equal(a->has_signature, b->has_signature);
    if (a->has_signature)
        assert_memory_equal(a->signature, b->signature, sizeof a->signature);
}

static void assert_round_trip(const struct rk_logentry *e)
{
    uint8_t buf[RK_LOGENTRY_MAX_BYTES], again[RK_LOGENTRY_MAX_BYTES];
    size_t len = encode_ok(e, buf);
    struct rk_logentry d;
    assert_int_equal(rk_logentry_decode(buf, len, &d), RK_OK);
    assert_entry_eq(&d, e);
    assert_int_equal(encode_ok(&d, again), len);
    assert_memory_equal(buf, again, len);
}

static void test_layout(void **state)
{
    (void)state;
    struct rk_logentry e;
    memset(&e, 0, sizeof e);
    e.seq = 0x0102;
    e.timestamp_ms = 0x0304;
    e.kind = RK_LOGENTRY_APPROVAL;
    strcpy(e.actor, "ppk");
    strcpy(e.region, "32");
    strcpy(e.race, "r");
    memset(e.payload_hash, 0xcc, sizeof e.payload_hash);
    e.has_device = true;
    memset(e.device_key_id, 0xdd, sizeof e.device_key_id);
    uint8_t want[4 + 1 + 8 + 8 + 1 + 1 + 4 + 3 + 2 + 32 + 8];
    size_t o = 0;
    memcpy(want, "RKLE", 4), o += 4;
    want[o++] = 1;
    static const uint8_t nums[16] = {0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 3, 4};
    memcpy(want + o, nums, 16), o += 16;
    want[o++] = 3;    /* kind: approval */
    want[o++] = 0x01; /* flags: device */
    want[o++] = 3, memcpy(want + o, "ppk", 3), o += 3;
    want[o++] = 2, memcpy(want + o, "32", 2), o += 2;
    want[o++] = 1, want[o++] = 'r';
    memset(want + o, 0xcc, 32), o += 32;
    memset(want + o, 0xdd, 8), o += 8;
    assert_int_equal(o, sizeof want);

    uint8_t got[RK_LOGENTRY_MAX_BYTES];
    assert_int_equal(rk_logentry_encode(&e, got, sizeof got), (int)sizeof want);
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(rk_logentry_encode(&e, got, sizeof want - 1), RK_ETOOBIG);

    /* Leaf hash = SHA-256(0x00 || encoding). */
    uint8_t pre[1 + sizeof want], h1[32], h2[32];
    pre[0] = 0;
    memcpy(pre + 1, want, sizeof want);
    crypto_hash_sha256(h1, pre, sizeof pre);
    assert_int_equal(rk_logentry_leaf_hash(&e, h2), RK_OK);
    assert_memory_equal(h1, h2, 32);
}

static void test_round_trip_every_kind(void **state)
{
    (void)state;
    struct rk_logentry e;
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    assert_round_trip(&e);
    add_device(&e, 1);
    assert_round_trip(&e);
    base_entry(&e, RK_LOGENTRY_CORRECTION);
    add_device(&e, 0);
    assert_round_trip(&e);
    base_entry(&e, RK_LOGENTRY_APPROVAL);
    strcpy(e.region, "327301");
    assert_round_trip(&e);
    e.region[0] = '\0'; /* national recap */
    assert_round_trip(&e);
    base_entry(&e, RK_LOGENTRY_REJECTION);
    assert_round_trip(&e);
    base_entry(&e, RK_LOGENTRY_ACCOUNT_CHANGE);
    strcpy(e.actor, "admin@kpu-jabar.go.id");
    strcpy(e.region, "32");
    e.race[0] = '\0';
    assert_round_trip(&e);
    base_entry(&e, RK_LOGENTRY_DEVICE_KEY);
    e.race[0] = '\0';
    add_device(&e, 0);
    assert_round_trip(&e);
    base_entry(&e, RK_LOGENTRY_ELECTION_CONFIG);
    e.region[0] = '\0';
    e.seq = RK_LOGENTRY_NUM_MAX;
    e.timestamp_ms = RK_LOGENTRY_NUM_MAX;
    assert_round_trip(&e);
    base_entry(&e, RK_LOGENTRY_SNAPSHOT); /* open-data snapshot: no race allowed */
    e.region[0] = '\0';
    e.race[0] = '\0';
    assert_round_trip(&e);
    strcpy(e.race, "pilkada2024.pkwkp.32");
    assert_int_equal(rk_logentry_check(&e), RK_EINVAL);

    /* The largest entry: every string at its cap, device and signature: 255 bytes. */
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    memset(e.actor, 'A', RK_LOGENTRY_ACTOR_MAX);
    e.actor[RK_LOGENTRY_ACTOR_MAX] = '\0';
    memset(e.race, 'z', RK_LOGENTRY_RACE_MAX);
    e.race[RK_LOGENTRY_RACE_MAX] = '\0';
    add_device(&e, 1);
    uint8_t buf[RK_LOGENTRY_MAX_BYTES];
    assert_int_equal(encode_ok(&e, buf), 255);
    assert_round_trip(&e);
}

static void test_kind_names(void **state)
{
    (void)state;
    for (int k = 1; k <= RK_LOGENTRY_KIND_MAX; k++) {
        const char *name = rk_logentry_kind_name((enum rk_logentry_kind)k);
        assert_non_null(name);
        enum rk_logentry_kind back;
        assert_int_equal(rk_logentry_kind_parse(name, &back), RK_OK);
        assert_int_equal(back, k);
    }
    assert_string_equal(rk_logentry_kind_name(RK_LOGENTRY_ACCOUNT_CHANGE), "account_change");
    assert_null(rk_logentry_kind_name((enum rk_logentry_kind)0));
    assert_null(rk_logentry_kind_name((enum rk_logentry_kind)(RK_LOGENTRY_KIND_MAX + 1)));
    enum rk_logentry_kind k;
    assert_int_equal(rk_logentry_kind_parse("Submission", &k), RK_EINVAL);
    assert_int_equal(rk_logentry_kind_parse("", &k), RK_EINVAL);
}

/* Decodes buf[0..len) expecting rc, and checks nothing is left in the struct on failure. */
static void expect_decode(const uint8_t *buf, size_t len, int rc)
{
    struct rk_logentry d, zero;
    memset(&d, 0x77, sizeof d);
    memset(&zero, 0, sizeof zero);
    assert_int_equal(rk_logentry_decode(buf, len, &d), rc);
    if (rc != RK_OK)
        assert_memory_equal(&d, &zero, sizeof d);
}

/* Offsets in an encoding of base_entry (actor 18 bytes, region 13, race 20). */
#define OFF_VERSION 4
#define OFF_SEQ 5
#define OFF_TS 13
#define OFF_KIND 21
#define OFF_FLAGS 22
#define OFF_ACTOR_LEN 23
#define OFF_REGION_LEN (24 + 18)
#define OFF_RACE_LEN (OFF_REGION_LEN + 1 + 13)

static void test_decoder_errors(void **state)
{
    (void)state;
    struct rk_logentry e;
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    add_device(&e, 1);
    uint8_t good[RK_LOGENTRY_MAX_BYTES + 2], b[RK_LOGENTRY_MAX_BYTES + 2];
    size_t len = encode_ok(&e, good);
    assert_int_equal(good[OFF_ACTOR_LEN], 18);
    assert_int_equal(good[OFF_REGION_LEN], 13);
    assert_int_equal(good[OFF_RACE_LEN], 20);
    expect_decode(good, len, RK_OK);

    /* RK_ETOOBIG: over the cap, whatever the content. */
    memset(b, 0, sizeof b);
    expect_decode(b, RK_LOGENTRY_MAX_BYTES + 1, RK_ETOOBIG);

    /* RK_EPARSE: every strict prefix is truncated; one byte more is trailing garbage. */
    for (size_t n = 0; n < len; n++)
        expect_decode(good, n, RK_EPARSE);
    memcpy(b, good, len);
    b[len] = 0;
    expect_decode(b, len + 1, RK_EPARSE);
    memcpy(b, good, len);
    b[0] = 'r';
    expect_decode(b, len, RK_EPARSE);
    expect_decode(NULL, 0, RK_EPARSE);

    /* RK_EUNSUPPORTED: other versions. */
    static const uint8_t versions[] = {0, 2, 255};
    for (size_t i = 0; i < sizeof versions; i++) {
        memcpy(b, good, len);
        b[OFF_VERSION] = versions[i];
        expect_decode(b, len, RK_EUNSUPPORTED);
    }

    /* RK_ERANGE: numbers and length bytes over their caps. */
    memcpy(b, good, len);
    b[OFF_SEQ + 1] = 0x20; /* seq = 2^53 + 41 */
    expect_decode(b, len, RK_ERANGE);
    memcpy(b, good, len);
    b[OFF_TS] = 0x80;
    expect_decode(b, len, RK_ERANGE);
    memcpy(b, good, len);
    b[OFF_ACTOR_LEN] = RK_LOGENTRY_ACTOR_MAX + 1;
    expect_decode(b, len, RK_ERANGE);
    memcpy(b, good, len);
    b[OFF_REGION_LEN] = RK_CODE_MAX + 1;
    expect_decode(b, len, RK_ERANGE);
    memcpy(b, good, len);
    b[OFF_RACE_LEN] = RK_LOGENTRY_RACE_MAX + 1;
    expect_decode(b, len, RK_ERANGE);

    /* RK_EINVAL: kind, flags, characters, codes, kind rules. */
    static const uint8_t kinds[] = {0, RK_LOGENTRY_KIND_MAX + 1, 255};
    for (size_t i = 0; i < sizeof kinds; i++) {
        memcpy(b, good, len);
        b[OFF_KIND] = kinds[i];
        expect_decode(b, len, RK_EINVAL);
    }
    static const uint8_t flags[] = {0x04, 0x07, 0x80};
    for (size_t i = 0; i < sizeof flags; i++) {
        memcpy(b, good, len);
        b[OFF_FLAGS] = flags[i];
        expect_decode(b, len, RK_EINVAL);
    }
    static const char bad_actor_chars[] = {' ', '\0', '/', '\n', '"', (char)0xc3};
    for (size_t i = 0; i < sizeof bad_actor_chars; i++) {
        memcpy(b, good, len);
        b[OFF_ACTOR_LEN + 5] = (uint8_t)bad_actor_chars[i];
        expect_decode(b, len, RK_EINVAL);
    }
    static const char bad_race_chars[] = {'A', ' ', '\0', '@'};
    for (size_t i = 0; i < sizeof bad_race_chars; i++) {
        memcpy(b, good, len);
        b[OFF_RACE_LEN + 3] = (uint8_t)bad_race_chars[i];
        expect_decode(b, len, RK_EINVAL);
    }
    memcpy(b, good, len);
    b[OFF_REGION_LEN + 13] = 'x'; /* TPS code with a non-digit */
    expect_decode(b, len, RK_EINVAL);
    memcpy(b, good, len);
    memcpy(b + OFF_REGION_LEN + 11, "00", 2);
    b[OFF_REGION_LEN + 13] = '0'; /* TPS number 000 */
    expect_decode(b, len, RK_EINVAL);

    /* Rules that need a different byte layout: encode a valid neighbour, then rebuild it. */
    /* Signature flag without the device flag: drop the device id bytes and clear its flag. */
    struct rk_logentry s;
    base_entry(&s, RK_LOGENTRY_SUBMISSION);
    add_device(&s, 1);
    size_t slen = encode_ok(&s, b);
    size_t dev = slen - RK_ED25519_SIG_LEN - RK_KEY_ID_LEN;
    memmove(b + dev, b + dev + RK_KEY_ID_LEN, RK_ED25519_SIG_LEN);
    b[OFF_FLAGS] = RK_LOGENTRY_F_SIGNATURE;
    expect_decode(b, slen - RK_KEY_ID_LEN, RK_EINVAL);
    /* ... which the struct-level check refuses too. */
    s.has_device = false;
    assert_int_equal(rk_logentry_encode(&s, b, sizeof b), RK_EINVAL);

    /* Empty actor: encode with actor "x", then rebuild without it. */
    base_entry(&s, RK_LOGENTRY_SUBMISSION);
    strcpy(s.actor, "x");
    slen = encode_ok(&s, b);
    b[OFF_ACTOR_LEN] = 0;
    memmove(b + OFF_ACTOR_LEN + 1, b + OFF_ACTOR_LEN + 2, slen - OFF_ACTOR_LEN - 2);
    expect_decode(b, slen - 1, RK_EINVAL);
}

/* Kind rules through the struct check (the decoder runs the same function). */
static void test_kind_rules(void **state)
{
    (void)state;
    struct rk_logentry e;
    uint8_t buf[RK_LOGENTRY_MAX_BYTES];
    struct {
        enum rk_logentry_kind kind;
        const char *region, *race;
        int device;
        int rc;
    } const cases[] = {
        {RK_LOGENTRY_SUBMISSION, "327301", "r", 0, RK_EINVAL},       /* not a TPS */
        {RK_LOGENTRY_SUBMISSION, "", "r", 0, RK_EINVAL},
        {RK_LOGENTRY_SUBMISSION, "3273010001001", "", 0, RK_EINVAL}, /* no race */
        {RK_LOGENTRY_CORRECTION, "3273010001", "r", 0, RK_EINVAL},
        {RK_LOGENTRY_CORRECTION, "3273010001001", "r", 0, RK_OK},
        {RK_LOGENTRY_APPROVAL, "3273", "", 0, RK_EINVAL},
        {RK_LOGENTRY_APPROVAL, "3273", "r", 0, RK_OK},
        {RK_LOGENTRY_REJECTION, "3273010001001", "", 0, RK_EINVAL},
        {RK_LOGENTRY_ACCOUNT_CHANGE, "32", "r", 0, RK_EINVAL},
        {RK_LOGENTRY_ACCOUNT_CHANGE, "", "", 0, RK_OK},
        {RK_LOGENTRY_DEVICE_KEY, "3273010001001", "", 0, RK_EINVAL}, /* which device? */
        {RK_LOGENTRY_DEVICE_KEY, "3273010001001", "", 1, RK_OK},
        {RK_LOGENTRY_DEVICE_KEY, "3273010001001", "r", 1, RK_EINVAL},
        {RK_LOGENTRY_ELECTION_CONFIG, "", "pilkada2024.pkwkk.3273", 0, RK_OK},
        {RK_LOGENTRY_ELECTION_CONFIG, "32.73", "", 0, RK_EINVAL},     /* dotted: not canonical */
        {RK_LOGENTRY_ELECTION_CONFIG, "3", "", 0, RK_EINVAL},
        {RK_LOGENTRY_ELECTION_CONFIG, "00", "", 0, RK_EINVAL},
        {(enum rk_logentry_kind)0, "", "", 0, RK_EINVAL},
        {RK_LOGENTRY_SNAPSHOT, "", "", 0, RK_OK},
        {RK_LOGENTRY_SNAPSHOT, "", "r", 0, RK_EINVAL},
        {(enum rk_logentry_kind)(RK_LOGENTRY_KIND_MAX + 1), "", "", 0, RK_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        base_entry(&e, RK_LOGENTRY_SUBMISSION);
        e.kind = cases[i].kind;
        strcpy(e.region, cases[i].region);
        strcpy(e.race, cases[i].race);
        if (cases[i].device)
            add_device(&e, 0);
        assert_int_equal(rk_logentry_check(&e), cases[i].rc);
        int len = rk_logentry_encode(&e, buf, sizeof buf);
        if (cases[i].rc == RK_OK)
            assert_true(len > 0);
        else
            assert_int_equal(len, cases[i].rc);
    }

    /* Unterminated fields and numbers past 2^53 - 1 are over their caps. */
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    memset(e.actor, 'a', sizeof e.actor);
    assert_int_equal(rk_logentry_check(&e), RK_ERANGE);
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    memset(e.race, 'a', sizeof e.race);
    assert_int_equal(rk_logentry_check(&e), RK_ERANGE);
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    e.seq = RK_LOGENTRY_NUM_MAX + 1;
    assert_int_equal(rk_logentry_encode(&e, buf, sizeof buf), RK_ERANGE);
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    e.actor[0] = '\0';
    assert_int_equal(rk_logentry_check(&e), RK_EINVAL);
    uint8_t h[32];
    assert_int_equal(rk_logentry_leaf_hash(&e, h), RK_EINVAL);
    assert_null(rk_logentry_to_json(&e));
}

/* Every single-byte change of a valid encoding is refused, or decodes to an entry that encodes
 * back to exactly the changed bytes: no two byte strings mean the same entry. */
static void test_canonical_under_mutation(void **state)
{
    (void)state;
    struct rk_logentry e, d;
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    add_device(&e, 1);
    uint8_t good[RK_LOGENTRY_MAX_BYTES], b[RK_LOGENTRY_MAX_BYTES], again[RK_LOGENTRY_MAX_BYTES];
    size_t len = encode_ok(&e, good);
    unsigned accepted = 0, refused = 0;
    for (size_t pos = 0; pos < len; pos++) {
        for (unsigned v = 0; v < 256; v++) {
            if (v == good[pos])
                continue;
            memcpy(b, good, len);
            b[pos] = (uint8_t)v;
            int rc = rk_logentry_decode(b, len, &d);
            if (rc == RK_OK) {
                assert_int_equal(rk_logentry_encode(&d, again, sizeof again), (int)len);
                assert_memory_equal(again, b, len);
                accepted++;
            } else {
                assert_true(rc == RK_EPARSE || rc == RK_EINVAL || rc == RK_ERANGE ||
                            rc == RK_EUNSUPPORTED);
                refused++;
            }
        }
    }
    /* Both outcomes happen: hashes and ids take any byte, structure bytes almost none. */
    assert_true(accepted > 0 && refused > 0);
}

static void test_payload_and_signature(void **state)
{
    (void)state;
    uint8_t seed[32], seed2[32];
    memset(seed, 1, 32);
    memset(seed2, 2, 32);
    struct rk_local_signer dev, other;
    assert_int_equal(rk_local_signer_init(&dev, seed), RK_OK);
    assert_int_equal(rk_local_signer_init(&other, seed2), RK_OK);
    static const char payload[] = "{\"tps\":\"3273010001001\",\"suara\":[120,98]}";
    size_t plen = sizeof payload - 1;

    struct rk_logentry e;
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    crypto_hash_sha256(e.payload_hash, (const uint8_t *)payload, plen);
    /* No signature: only the hash is checked. */
    assert_int_equal(rk_logentry_verify_payload(&e, (const uint8_t *)payload, plen, NULL), RK_OK);
    assert_int_equal(rk_logentry_verify_payload(&e, (const uint8_t *)payload, plen - 1, NULL),
                     RK_EVALIDATION);

    e.has_device = true;
    memcpy(e.device_key_id, dev.signer.key_id, RK_KEY_ID_LEN);
    e.has_signature = true;
    assert_int_equal(dev.signer.sign(&dev.signer, (const uint8_t *)payload, plen, e.signature),
                     RK_OK);
    assert_round_trip(&e);
    const uint8_t *pub = dev.signer.public_key;
    assert_int_equal(rk_logentry_verify_payload(&e, (const uint8_t *)payload, plen, pub), RK_OK);
    assert_int_equal(rk_logentry_verify_payload(&e, (const uint8_t *)payload, plen, NULL),
                     RK_EINVAL);
    assert_int_equal(rk_logentry_verify_payload(&e, (const uint8_t *)payload, plen,
                                                other.signer.public_key),
                     RK_ESIGNATURE);
    struct rk_logentry t = e;
    t.signature[10] ^= 1;
    assert_int_equal(rk_logentry_verify_payload(&t, (const uint8_t *)payload, plen, pub),
                     RK_ESIGNATURE);
    /* The other device's signature under this device's id. */
    t = e;
    assert_int_equal(other.signer.sign(&other.signer, (const uint8_t *)payload, plen, t.signature),
                     RK_OK);
    assert_int_equal(rk_logentry_verify_payload(&t, (const uint8_t *)payload, plen, pub),
                     RK_ESIGNATURE);
    char changed[sizeof payload];
    memcpy(changed, payload, sizeof payload);
    changed[30] = '9';
    assert_int_equal(rk_logentry_verify_payload(&e, (const uint8_t *)changed, plen, pub),
                     RK_EVALIDATION);
    rk_local_signer_free(&dev);
    rk_local_signer_free(&other);
}

static void test_json_view(void **state)
{
    (void)state;
    struct rk_logentry e;
    base_entry(&e, RK_LOGENTRY_SUBMISSION);
    json_t *j = rk_logentry_to_json(&e);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 7);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "submission");
    assert_string_equal(json_string_value(json_object_get(j, "region")), "3273010001001");
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), 41);
    assert_string_equal(json_string_value(json_object_get(j, "payload_sha256")),
                        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
    json_decref(j);
    add_device(&e, 1);
    j = rk_logentry_to_json(&e);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 9);
    assert_string_equal(json_string_value(json_object_get(j, "device_key_id")),
                        "1011121314151617");
    assert_int_equal(json_string_length(json_object_get(j, "signature")), 128);
    json_decref(j);
}

/* The worked example of docs/audit-log.md §6 (leaf hash cross-checked with Python's hashlib). */
static void test_doc_example(void **state)
{
    (void)state;
    static const char want_hex[] =
        "524b4c45010000000000000000000001935b77d47b0100126b7070732e333237333031303030313030310d"
        "333237333031303030313030311470696c6b616461323032342e706b776b702e3332bba2d36669004a3ef1"
        "6764b0dfe370dfc0c22263976dfd3d896370b3fa39be0d";
    struct rk_logentry e;
    memset(&e, 0, sizeof e);
    e.timestamp_ms = 1732406400123;
    e.kind = RK_LOGENTRY_SUBMISSION;
    strcpy(e.actor, "kpps.3273010001001");
    strcpy(e.region, "3273010001001");
    strcpy(e.race, "pilkada2024.pkwkp.32");
    crypto_hash_sha256(e.payload_hash, (const uint8_t *)"{\"example\":true}", 16);
    uint8_t buf[RK_LOGENTRY_MAX_BYTES], want[109], h[32];
    assert_int_equal(strlen(want_hex), 2 * sizeof want);
    for (size_t i = 0; i < sizeof want; i++) {
        unsigned v;
        assert_int_equal(sscanf(want_hex + 2 * i, "%2x", &v), 1);
        want[i] = (uint8_t)v;
    }
    assert_int_equal(rk_logentry_encode(&e, buf, sizeof buf), 109);
    assert_memory_equal(buf, want, 109);
    assert_int_equal(rk_logentry_leaf_hash(&e, h), RK_OK);
    char hex[65];
    rk_merkle_hex(h, hex);
    assert_string_equal(hex, "0a8bf8ab58647c0f680733c4383260e1ebab9521c58ec8b203495f27845f2c3b");
}

/* The fuzz seeds: ok-* decode and re-encode to themselves, bad-* are refused. */
static void test_fuzz_corpus(void **state)
{
    (void)state;
    const char *dir = REKAP_SOURCE_DIR "/fuzz/corpus/logentry";
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned ok = 0, bad = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t buf[RK_LOGENTRY_MAX_BYTES + 64], again[RK_LOGENTRY_MAX_BYTES];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        struct rk_logentry e;
        int rc = rk_logentry_decode(buf, len, &e);
        if (strncmp(de->d_name, "ok-", 3) == 0) {
            if (rc != RK_OK)
                fail_msg("%s: %s", de->d_name, rk_strerror(rc));
            assert_int_equal(rk_logentry_encode(&e, again, sizeof again), (int)len);
            assert_memory_equal(again, buf, len);
            ok++;
        } else {
            if (rc == RK_OK)
                fail_msg("%s decoded but should not", de->d_name);
            bad++;
        }
    }
    closedir(d);
    assert_true(ok >= 3 && bad >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_round_trip_every_kind),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_decoder_errors),
        cmocka_unit_test(test_kind_rules),
        cmocka_unit_test(test_canonical_under_mutation),
        cmocka_unit_test(test_payload_and_signature),
        cmocka_unit_test(test_json_view),
        cmocka_unit_test(test_doc_example),
        cmocka_unit_test(test_fuzz_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
