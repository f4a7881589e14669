/* Signed tree head tests: the exact signed byte layout, an Ed25519 known answer, sign/verify and
 * every tampering, the signer interface, JSON form, and the key file's permissions and format. */
#include "testutil.h"

#include "rekap/sth.h"
#include "rekap/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static void unhex(const char *s, uint8_t *out, size_t n)
{
    assert_int_equal(strlen(s), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* RFC 8032 §7.1, TEST 1 (empty message). */
static const char *const kat_seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *const kat_pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *const kat_sig =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
    "d25bf5f0595bbe24655141438e7a100b";

static void seed_of(uint8_t seed[RK_ED25519_SEED_LEN], uint8_t fill)
{
    memset(seed, fill, RK_ED25519_SEED_LEN);
}

static void sample_sth(struct rk_sth *sth)
{
    uint8_t root[RK_MERKLE_HASH_LEN];
    for (int i = 0; i < RK_MERKLE_HASH_LEN; i++)
        root[i] = (uint8_t)i;
    assert_int_equal(rk_sth_init(sth, "rekap.test", UINT64_C(0x0102030405060708),
                                 UINT64_C(0x1112131415161718), root),
                     RK_OK);
}

static void test_signed_bytes_layout(void **state)
{
    (void)state;
    struct rk_sth sth;
    sample_sth(&sth);
    static const uint8_t want[] = {
        'r', 'e', 'k', 'a', 'p', '-', 's', 't', 'h', '-', 'v', '1', 0x00, /* context */
        10, 'r', 'e', 'k', 'a', 'p', '.', 't', 'e', 's', 't',               /* log id */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,                     /* tree size */
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,                     /* timestamp */
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,     /* root */
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    };
    uint8_t got[RK_STH_SIGNED_MAX];
    int len = rk_sth_signed_bytes(&sth, got, sizeof got);
    assert_int_equal(len, sizeof want);
    assert_int_equal(len, 62 + 10);
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(rk_sth_signed_bytes(&sth, got, sizeof want - 1), RK_ETOOBIG);

    /* The longest log id still fits the documented maximum. */
    char id[RK_STH_LOG_ID_MAX + 1];
    memset(id, 'a', RK_STH_LOG_ID_MAX);
    id[RK_STH_LOG_ID_MAX] = '\0';
    assert_int_equal(rk_sth_init(&sth, id, 1, 2, want), RK_OK);
    assert_int_equal(rk_sth_signed_bytes(&sth, got, sizeof got), RK_STH_SIGNED_MAX);
}

static void test_log_id_rules(void **state)
{
    (void)state;
    assert_true(rk_sth_log_id_valid("rekap"));
    assert_true(rk_sth_log_id_valid("rekap.pilkada2024_jabar-1"));
    assert_true(rk_sth_log_id_valid("0"));
    assert_false(rk_sth_log_id_valid(""));
    assert_false(rk_sth_log_id_valid(".rekap"));
    assert_false(rk_sth_log_id_valid("-rekap"));
    assert_false(rk_sth_log_id_valid("Rekap"));
    assert_false(rk_sth_log_id_valid("rekap log"));
    assert_false(rk_sth_log_id_valid("rekap/log"));
    assert_false(rk_sth_log_id_valid("rékap"));
    char id[RK_STH_LOG_ID_MAX + 2];
    memset(id, 'a', RK_STH_LOG_ID_MAX + 1);
    id[RK_STH_LOG_ID_MAX + 1] = '\0';
    assert_false(rk_sth_log_id_valid(id));
    struct rk_sth sth;
    uint8_t root[RK_MERKLE_HASH_LEN] = {0};
    assert_int_equal(rk_sth_init(&sth, "Bad Id", 0, 0, root), RK_EINVAL);
}

static void test_ed25519_known_answer(void **state)
{
    (void)state;
    uint8_t seed[32], pub[32], sig[64], got[64];
    unhex(kat_seed, seed, 32);
    unhex(kat_pub, pub, 32);
    unhex(kat_sig, sig, 64);
    struct rk_local_signer ls;
    assert_int_equal(rk_local_signer_init(&ls, seed), RK_OK);
    assert_memory_equal(ls.signer.public_key, pub, 32);
    assert_int_equal(ls.signer.sign(&ls.signer, (const uint8_t *)"", 0, got), RK_OK);
    assert_memory_equal(got, sig, 64);
    /* Key id: the first 8 bytes of SHA-256(public key), cross-checked with libsodium here. */
    uint8_t kid[RK_KEY_ID_LEN];
    rk_key_id(pub, kid);
    assert_memory_equal(ls.signer.key_id, kid, RK_KEY_ID_LEN);
    uint8_t full[32];
    crypto_hash_sha256(full, pub, 32);
    assert_memory_equal(kid, full, RK_KEY_ID_LEN);
    rk_local_signer_free(&ls);
    uint8_t zero[64] = {0};
    assert_memory_equal(ls.secret, zero, 64);
}

static void test_sign_verify_and_tamper(void **state)
{
    (void)state;
    uint8_t seed[32], other_seed[32];
    seed_of(seed, 7);
    seed_of(other_seed, 8);
    struct rk_local_signer ls, other;
    assert_int_equal(rk_local_signer_init(&ls, seed), RK_OK);
    assert_int_equal(rk_local_signer_init(&other, other_seed), RK_OK);
    const uint8_t *pub = ls.signer.public_key;

    struct rk_sth sth;
    sample_sth(&sth);
    assert_int_equal(rk_sth_sign(&sth, &ls.signer), RK_OK);
    assert_memory_equal(sth.key_id, ls.signer.key_id, RK_KEY_ID_LEN);
    assert_int_equal(rk_sth_verify(&sth, pub), RK_OK);

    /* Deterministic: the same head signs to the same bytes. */
    struct rk_sth again;
    sample_sth(&again);
    assert_int_equal(rk_sth_sign(&again, &ls.signer), RK_OK);
    assert_memory_equal(again.signature, sth.signature, RK_ED25519_SIG_LEN);

    struct rk_sth t;
    t = sth;
    t.tree_size++;
    assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);
    t = sth;
    t.tree_size ^= UINT64_C(1) << 63;
    assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);
    t = sth;
    t.timestamp_ms--;
    assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);
    for (int bit = 0; bit < RK_MERKLE_HASH_LEN * 8; bit += 37) {
        t = sth;
        t.root[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);
    }
    t = sth;
    t.log_id[5] = '-';
    assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);
    t = sth;
    strcpy(t.log_id, "rekap.tes"); /* a shorter id must not be a prefix attack */
    assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);
    t = sth;
    t.log_id[0] = 'R'; /* invalid id: refused before any crypto */
    assert_int_equal(rk_sth_verify(&t, pub), RK_EINVAL);
    for (int i = 0; i < RK_ED25519_SIG_LEN; i += 9) {
        t = sth;
        t.signature[i] ^= 0x40;
        assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);
    }
    t = sth;
    t.key_id[0] ^= 1;
    assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);

    /* Wrong key: the key id does not match, and claiming its id does not help. */
    assert_int_equal(rk_sth_verify(&sth, other.signer.public_key), RK_ESIGNATURE);
    t = sth;
    memcpy(t.key_id, other.signer.key_id, RK_KEY_ID_LEN);
    assert_int_equal(rk_sth_verify(&t, other.signer.public_key), RK_ESIGNATURE);
    /* Signed by the other key: verifies with it only. */
    t = sth;
    assert_int_equal(rk_sth_sign(&t, &other.signer), RK_OK);
    assert_int_equal(rk_sth_verify(&t, other.signer.public_key), RK_OK);
    assert_int_equal(rk_sth_verify(&t, pub), RK_ESIGNATURE);

    rk_local_signer_free(&ls);
    rk_local_signer_free(&other);
}

/* A signer that forwards to another through ctx, as a separate signer process would, and one
 * that is unreachable. */
static int forward_sign(const struct rk_signer *self, const uint8_t *msg, size_t len,
                        uint8_t sig[RK_ED25519_SIG_LEN])
{
    const struct rk_signer *inner = self->ctx;
    return inner->sign(inner, msg, len, sig);
}

static int down_sign(const struct rk_signer *self, const uint8_t *msg, size_t len,
                     uint8_t sig[RK_ED25519_SIG_LEN])
{
    (void)self;
    (void)msg;
    (void)len;
    memset(sig, 0x5a, RK_ED25519_SIG_LEN); /* garbage must not leak into the STH */
    return RK_EIO;
}

static void test_signer_interface(void **state)
{
    (void)state;
    uint8_t seed[32];
    seed_of(seed, 3);
    struct rk_local_signer ls;
    assert_int_equal(rk_local_signer_init(&ls, seed), RK_OK);
    struct rk_signer fwd = ls.signer;
    fwd.sign = forward_sign;
    fwd.ctx = &ls.signer;
    struct rk_sth a, b;
    sample_sth(&a);
    sample_sth(&b);
    assert_int_equal(rk_sth_sign(&a, &fwd), RK_OK);
    assert_int_equal(rk_sth_sign(&b, &ls.signer), RK_OK);
    assert_memory_equal(a.signature, b.signature, RK_ED25519_SIG_LEN);
    assert_int_equal(rk_sth_verify(&a, ls.signer.public_key), RK_OK);

    struct rk_signer down = ls.signer;
    down.sign = down_sign;
    uint8_t zero[RK_ED25519_SIG_LEN] = {0};
    assert_int_equal(rk_sth_sign(&a, &down), RK_EIO);
    assert_memory_equal(a.signature, zero, RK_ED25519_SIG_LEN);
    assert_memory_equal(a.key_id, zero, RK_KEY_ID_LEN);
    assert_int_equal(rk_sth_verify(&a, ls.signer.public_key), RK_ESIGNATURE);

    /* An STH with an invalid log id is never signed. */
    a = b;
    a.log_id[0] = '\0';
    assert_int_equal(rk_sth_sign(&a, &ls.signer), RK_EINVAL);
    rk_local_signer_free(&ls);
}

static void test_sth_json(void **state)
{
    (void)state;
    uint8_t seed[32];
    unhex(kat_seed, seed, 32);
    struct rk_local_signer ls;
    assert_int_equal(rk_local_signer_init(&ls, seed), RK_OK);
    struct rk_sth sth, back;
    uint8_t root[RK_MERKLE_HASH_LEN];
    rk_merkle_empty_root(root);
    assert_int_equal(rk_sth_init(&sth, "rekap.pilkada2024", 12345, 1732406400123, root), RK_OK);
    assert_int_equal(rk_sth_sign(&sth, &ls.signer), RK_OK);
    json_t *j = rk_sth_to_json(&sth);
    assert_non_null(j);
    assert_int_equal(rk_sth_from_json(j, &back), RK_OK);
    assert_memory_equal(&back, &sth, sizeof sth);
    assert_int_equal(rk_sth_verify(&back, ls.signer.public_key), RK_OK);
    assert_string_equal(json_string_value(json_object_get(j, "root_hash")),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(json_string_length(json_object_get(j, "key_id")), 16);
    assert_int_equal(json_string_length(json_object_get(j, "signature")), 128);
    assert_int_equal(json_integer_value(json_object_get(j, "timestamp")), 1732406400123);

    /* Each mutation of a good document and the status it must give. */
    static const struct {
        const char *key;
        const char *json_value; /* NULL: delete the key */
        int rc;
    } bad[] = {
        {"log_id", NULL, RK_EPARSE},
        {"log_id", "7", RK_EPARSE},
        {"log_id", "\"Rekap\"", RK_EINVAL},
        {"log_id", "\"\"", RK_EINVAL},
        {"log_id", "\"rekap\\u0000x\"", RK_EINVAL},
        {"tree_size", "\"5\"", RK_EPARSE},
        {"tree_size", "5.0", RK_EPARSE},
        {"tree_size", "-1", RK_ERANGE},
        {"tree_size", "9007199254740992", RK_ERANGE},
        {"timestamp", "null", RK_EPARSE},
        {"root_hash", "\"e3b0\"", RK_EPARSE},
        {"root_hash", "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"",
         RK_EPARSE},
        {"key_id", "\"00112233445566\"", RK_EPARSE},
        {"signature", "[]", RK_EPARSE},
        {"extra", "1", RK_EPARSE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *c = json_deep_copy(j);
        if (bad[i].json_value) {
            json_error_t err;
            json_t *v = json_loads(bad[i].json_value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
            assert_non_null(v);
            json_object_set_new(c, bad[i].key, v);
        } else {
            json_object_del(c, bad[i].key);
        }
        assert_int_equal(rk_sth_from_json(c, &back), bad[i].rc);
        assert_int_equal(back.tree_size, 0); /* nothing half-filled */
        json_decref(c);
    }
    json_t *arr = json_array();
    assert_int_equal(rk_sth_from_json(arr, &back), RK_EPARSE);
    json_decref(arr);
    json_decref(j);

    sth.tree_size = UINT64_C(1) << 53;
    assert_null(rk_sth_to_json(&sth));
    rk_local_signer_free(&ls);
}

/* The worked example of docs/audit-log.md §6 (signature cross-checked with Python's
 * cryptography package when written). */
static void test_doc_example(void **state)
{
    (void)state;
    uint8_t seed[32], root[32], want_sig[64], kid[8];
    unhex(kat_seed, seed, 32);
    unhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", root, 32);
    unhex("20c4eda5dba5620890256ded033f18f24f80dce081ccb533c849ce750ae07cdfd7a6801da60f264c6e255ff0ba48b25a2dad27d9e1529212695c83fdfd6ac20b",
          want_sig, 64);
    unhex("21fe31dfa154a261", kid, 8);
    struct rk_local_signer ls;
    assert_int_equal(rk_local_signer_init(&ls, seed), RK_OK);
    struct rk_sth sth;
    assert_int_equal(rk_sth_init(&sth, "rekap.example", 8, 1732406400000, root), RK_OK);
    assert_int_equal(rk_sth_sign(&sth, &ls.signer), RK_OK);
    assert_memory_equal(sth.key_id, kid, 8);
    assert_memory_equal(sth.signature, want_sig, 64);
    uint8_t msg[RK_STH_SIGNED_MAX], want_msg[75];
    unhex("72656b61702d7374682d7631000d72656b61702e6578616d706c650000000000000008000001935b77d400"
          "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
          want_msg, sizeof want_msg);
    assert_int_equal(rk_sth_signed_bytes(&sth, msg, sizeof msg), 75);
    assert_memory_equal(msg, want_msg, 75);
    rk_local_signer_free(&ls);
}

static void test_key_file(void **state)
{
    (void)state;
    char dir[256], path[512], other[512];
    rk_test_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/log.key", dir);
    snprintf(other, sizeof other, "%s/other.key", dir);

    uint8_t seed[32], loaded[32];
    assert_int_equal(rk_signer_seed_generate(seed), RK_OK);
    uint8_t seed2[32];
    assert_int_equal(rk_signer_seed_generate(seed2), RK_OK);
    assert_memory_not_equal(seed, seed2, 32);

    assert_int_equal(rk_signer_key_load(path, loaded), RK_ENOTFOUND);
    assert_int_equal(rk_signer_key_save(path, seed), RK_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 22 + 64 + 1);
    assert_int_equal(rk_signer_key_load(path, loaded), RK_OK);
    assert_memory_equal(seed, loaded, 32);
    /* Never overwrites. */
    assert_int_equal(rk_signer_key_save(path, seed2), RK_EEXIST);
    assert_int_equal(rk_signer_key_load(path, loaded), RK_OK);
    assert_memory_equal(seed, loaded, 32);

    /* The loaded signer is the same key as the one made from the seed. */
    struct rk_local_signer a, b;
    assert_int_equal(rk_local_signer_load(&a, path), RK_OK);
    assert_int_equal(rk_local_signer_init(&b, seed), RK_OK);
    assert_memory_equal(a.signer.public_key, b.signer.public_key, 32);
    struct rk_sth sth;
    sample_sth(&sth);
    assert_int_equal(rk_sth_sign(&sth, &a.signer), RK_OK);
    assert_int_equal(rk_sth_verify(&sth, b.signer.public_key), RK_OK);
    rk_local_signer_free(&a);
    rk_local_signer_free(&b);

    /* Too open: refused, for group and for others, read or write. */
    static const mode_t open_modes[] = {0640, 0604, 0620, 0660, 0644};
    for (size_t i = 0; i < sizeof open_modes / sizeof open_modes[0]; i++) {
        assert_int_equal(chmod(path, open_modes[i]), 0);
        assert_int_equal(rk_signer_key_load(path, loaded), RK_EFORBIDDEN);
        assert_int_equal(rk_local_signer_load(&a, path), RK_EFORBIDDEN);
    }
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(rk_signer_key_load(path, loaded), RK_OK);
    /* A directory is not a key file. */
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(rk_signer_key_load(dir, loaded), RK_EFORBIDDEN);

    /* Format errors. */
    static const char *const bad[] = {
        "",
        "rekap-ed25519-seed-v1\n",
        "rekap-ed25519-seed-v2\n0000000000000000000000000000000000000000000000000000000000000000\n",
        "rekap-ed25519-seed-v1\n000000000000000000000000000000000000000000000000000000000000000\n",
        "rekap-ed25519-seed-v1\n00000000000000000000000000000000000000000000000000000000000000000\n",
        "rekap-ed25519-seed-v1\n0000000000000000000000000000000000000000000000000000000000000000",
        "rekap-ed25519-seed-v1\n0000000000000000000000000000000000000000000000000000000000000000\n\n",
        "rekap-ed25519-seed-v1\n000000000000000000000000000000000000000000000000000000000000000G\n",
        "rekap-ed25519-seed-v1\n000000000000000000000000000000000000000000000000000000000000000A\n",
        "rekap-ed25519-seed-v1\r\n000000000000000000000000000000000000000000000000000000000000000\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unlink(other);
        rk_test_write_file(other, bad[i]);
        assert_int_equal(chmod(other, 0600), 0);
        memset(loaded, 0xee, sizeof loaded);
        assert_int_equal(rk_signer_key_load(other, loaded), RK_EPARSE);
        uint8_t zero[32] = {0};
        assert_memory_equal(loaded, zero, 32); /* no partial key left behind */
    }
    /* And the good form written by hand loads. */
    unlink(other);
    rk_test_write_file(other, "rekap-ed25519-seed-v1\n"
                              "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n");
    assert_int_equal(chmod(other, 0600), 0);
    assert_int_equal(rk_local_signer_load(&a, other), RK_OK);
    uint8_t pub[32];
    unhex(kat_pub, pub, 32);
    assert_memory_equal(a.signer.public_key, pub, 32);
    rk_local_signer_free(&a);

    /* Saving into a missing directory is an I/O error. */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nope/log.key", dir);
    assert_int_equal(rk_signer_key_save(missing, seed), RK_EIO);
    rk_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_bytes_layout),
        cmocka_unit_test(test_log_id_rules),
        cmocka_unit_test(test_ed25519_known_answer),
        cmocka_unit_test(test_sign_verify_and_tamper),
        cmocka_unit_test(test_signer_interface),
        cmocka_unit_test(test_sth_json),
        cmocka_unit_test(test_doc_example),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
