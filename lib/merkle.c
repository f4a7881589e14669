/* RFC 9162 Merkle tree: hashing, the append-only frontier, proof generation from a subtree
 * source, and proof verification written to follow the RFC's numbered steps so a reviewer can
 * check them line by line. No allocation: proofs go into the caller's struct, working hashes live
 * on the stack. */
#include "rekap/merkle.h"
#include "rekap/status.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

#define HLEN RK_MERKLE_HASH_LEN
#define JSON_INT_MAX ((UINT64_C(1) << 53) - 1) /* exact in every JSON implementation */

void rk_merkle_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[HLEN])
{
    static const uint8_t prefix = 0x00;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    if (len > 0)
        crypto_hash_sha256_update(&st, entry, len);
    crypto_hash_sha256_final(&st, out);
}

void rk_merkle_node_hash(const uint8_t left[HLEN], const uint8_t right[HLEN], uint8_t out[HLEN])
{
    /* Copy first: out may alias an input and SHA-256 writes only at the end, but keeping the
     * input in one buffer makes that obviously safe. */
    uint8_t buf[1 + 2 * HLEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, HLEN);
    memcpy(buf + 1 + HLEN, right, HLEN);
    crypto_hash_sha256(out, buf, sizeof buf);
}

void rk_merkle_empty_root(uint8_t out[HLEN])
{
    crypto_hash_sha256(out, NULL, 0);
}

/* ---- frontier ---- */

void rk_merkle_frontier_init(struct rk_merkle_frontier *f)
{
    memset(f, 0, sizeof *f);
}

int rk_merkle_frontier_append(struct rk_merkle_frontier *f, const uint8_t leaf_hash[HLEN])
{
    if (f->size == UINT64_MAX)
        return RK_ERANGE;
    uint8_t carry[HLEN];
    memcpy(carry, leaf_hash, HLEN);
    unsigned l = 0;
    /* Adding 1 to size carries through its trailing one bits: each carry merges two perfect
     * subtrees of 2^l leaves into one of 2^(l+1). */
    while ((f->size >> l) & 1) {
        rk_merkle_node_hash(f->hash[l], carry, carry);
        l++;
    }
    memcpy(f->hash[l], carry, HLEN);
    f->size++;
    return RK_OK;
}

void rk_merkle_frontier_root(const struct rk_merkle_frontier *f, uint8_t out[HLEN])
{
    if (f->size == 0) {
        rk_merkle_empty_root(out);
        return;
    }
    /* Fold from the smallest (rightmost) subtree to the largest: MTH splits off the largest
     * power of two on the left, so the rightmost pieces combine first. */
    uint8_t r[HLEN];
    int have = 0;
    for (unsigned l = 0; l < RK_MERKLE_MAX_PROOF; l++) {
        if (!((f->size >> l) & 1))
            continue;
        if (!have) {
            memcpy(r, f->hash[l], HLEN);
            have = 1;
        } else {
            rk_merkle_node_hash(f->hash[l], r, r);
        }
    }
    memcpy(out, r, HLEN);
}

int rk_merkle_frontier_from_source(struct rk_merkle_frontier *f, uint64_t size,
                                   const struct rk_merkle_source *src)
{
    rk_merkle_frontier_init(f);
    uint64_t pos = size;
    for (unsigned l = 0; l < RK_MERKLE_MAX_PROOF; l++) {
        if (!((size >> l) & 1))
            continue;
        pos -= UINT64_C(1) << l;
        int rc = src->subtree(src->ctx, pos, l, f->hash[l]);
        if (rc != RK_OK) {
            rk_merkle_frontier_init(f);
            return rc;
        }
    }
    f->size = size;
    return RK_OK;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static unsigned popcount64(uint64_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

int rk_merkle_frontier_encode(const struct rk_merkle_frontier *f, uint8_t *out, size_t cap)
{
    size_t need = 8 + (size_t)popcount64(f->size) * HLEN;
    if (cap < need)
        return RK_ETOOBIG;
    put_u64(out, f->size);
    size_t off = 8;
    for (unsigned l = 0; l < RK_MERKLE_MAX_PROOF; l++) {
        if ((f->size >> l) & 1) {
            memcpy(out + off, f->hash[l], HLEN);
            off += HLEN;
        }
    }
    return (int)off;
}

int rk_merkle_frontier_decode(struct rk_merkle_frontier *f, const uint8_t *in, size_t len)
{
    rk_merkle_frontier_init(f);
    if (len < 8)
        return RK_EPARSE;
    uint64_t size = get_u64(in);
    if (len != 8 + (size_t)popcount64(size) * HLEN)
        return RK_EPARSE;
    size_t off = 8;
    for (unsigned l = 0; l < RK_MERKLE_MAX_PROOF; l++) {
        if ((size >> l) & 1) {
            memcpy(f->hash[l], in + off, HLEN);
            off += HLEN;
        }
    }
    f->size = size;
    return RK_OK;
}

/* ---- proofs from a source ---- */

/* Largest power of two strictly below n (n >= 2), and its exponent. */
static uint64_t split_point(uint64_t n, unsigned *level)
{
    assert(n >= 2);
    unsigned l = 0;
    while (l + 1 < 64 && (UINT64_C(1) << (l + 1)) < n)
        l++;
    *level = l;
    return UINT64_C(1) << l;
}

/* MTH of leaves [start, start + len), len >= 1, where start is a multiple of the smallest power
 * of two >= len (true of every range the RFC's recursion visits). The range is the perfect
 * subtrees of len's set bits, largest first; fold them right to left. */
static int range_root(const struct rk_merkle_source *src, uint64_t start, uint64_t len,
                      uint8_t out[HLEN])
{
    assert(len >= 1);
    uint64_t pos = start + len;
    uint8_t r[HLEN], h[HLEN];
    int have = 0;
    for (unsigned l = 0; l < RK_MERKLE_MAX_PROOF; l++) {
        if (!((len >> l) & 1))
            continue;
        pos -= UINT64_C(1) << l;
        int rc = src->subtree(src->ctx, pos, l, h);
        if (rc != RK_OK)
            return rc;
        if (!have) {
            memcpy(r, h, HLEN);
            have = 1;
        } else {
            rk_merkle_node_hash(h, r, r);
        }
    }
    memcpy(out, r, HLEN);
    return RK_OK;
}

int rk_merkle_root(const struct rk_merkle_source *src, uint64_t size, uint8_t out[HLEN])
{
    if (size == 0) {
        rk_merkle_empty_root(out);
        return RK_OK;
    }
    return range_root(src, 0, size, out);
}

/* The RFC builds proofs top-down and emits them bottom-up; we collect top-down then reverse. */
static void reverse_proof(struct rk_merkle_proof *p)
{
    uint8_t t[HLEN];
    for (size_t i = 0, j = p->len; i + 1 < j; i++, j--) {
        memcpy(t, p->hash[i], HLEN);
        memcpy(p->hash[i], p->hash[j - 1], HLEN);
        memcpy(p->hash[j - 1], t, HLEN);
    }
}

int rk_merkle_inclusion_proof(const struct rk_merkle_source *src, uint64_t index, uint64_t size,
                              struct rk_merkle_proof *proof)
{
    proof->len = 0;
    if (index >= size)
        return RK_ERANGE;
    uint64_t lo = 0, hi = size;
    while (hi - lo > 1) {
        if (proof->len >= RK_MERKLE_MAX_PROOF)
            return RK_EINTERNAL;
        unsigned kl;
        uint64_t k = split_point(hi - lo, &kl);
        int rc;
        if (index < lo + k) {
            /* PATH(m, D[0:k]) : MTH(D[k:n]) */
            rc = range_root(src, lo + k, hi - lo - k, proof->hash[proof->len]);
            hi = lo + k;
        } else {
            /* PATH(m - k, D[k:n]) : MTH(D[0:k]) */
            rc = src->subtree(src->ctx, lo, kl, proof->hash[proof->len]);
            lo += k;
        }
        if (rc != RK_OK) {
            proof->len = 0;
            return rc;
        }
        proof->len++;
    }
    reverse_proof(proof);
    return RK_OK;
}

int rk_merkle_consistency_proof(const struct rk_merkle_source *src, uint64_t first,
                                uint64_t second, struct rk_merkle_proof *proof)
{
    proof->len = 0;
    if (first > second)
        return RK_ERANGE;
    if (first == 0 || first == second)
        return RK_OK;
    /* SUBPROOF(m, D[lo:hi], complete): m counts leaves from lo. */
    uint64_t lo = 0, hi = second, m = first;
    int complete = 1;
    for (;;) {
        /* Consistency proofs can be one longer than the tree is high, so only trees of more
         * than 2^63 leaves can need 65 hashes; refuse those rather than overflow. */
        if (proof->len >= RK_MERKLE_MAX_PROOF) {
            proof->len = 0;
            return RK_ERANGE;
        }
        uint64_t size = hi - lo;
        int rc = RK_OK;
        if (m == size) {
            /* SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])} */
            if (!complete) {
                rc = range_root(src, lo, size, proof->hash[proof->len]);
                if (rc == RK_OK)
                    proof->len++;
            }
            if (rc != RK_OK) {
                proof->len = 0;
                return rc;
            }
            break;
        }
        unsigned kl;
        uint64_t k = split_point(size, &kl);
        if (m <= k) {
            /* SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) */
            rc = range_root(src, lo + k, size - k, proof->hash[proof->len]);
            hi = lo + k;
        } else {
            /* SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) */
            rc = src->subtree(src->ctx, lo, kl, proof->hash[proof->len]);
            lo += k;
            m -= k;
            complete = 0;
        }
        if (rc != RK_OK) {
            proof->len = 0;
            return rc;
        }
        proof->len++;
    }
    reverse_proof(proof);
    return RK_OK;
}

/* ---- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ---- */

static int hash_eq(const uint8_t a[HLEN], const uint8_t b[HLEN])
{
    return sodium_memcmp(a, b, HLEN) == 0;
}

int rk_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[HLEN],
                               const struct rk_merkle_proof *proof, const uint8_t root[HLEN])
{
    if (proof->len > RK_MERKLE_MAX_PROOF)
        return RK_EPROOF;
    /* 1. leaf_index >= tree_size fails. */
    if (index >= size)
        return RK_EPROOF;
    /* 2. fn = leaf_index, sn = tree_size - 1. 3. r = hash. */
    uint64_t fn = index, sn = size - 1;
    uint8_t r[HLEN];
    memcpy(r, leaf_hash, HLEN);
    /* 4. For each p in inclusion_path: */
    for (size_t i = 0; i < proof->len; i++) {
        const uint8_t *p = proof->hash[i];
        /* a. sn == 0: the path is longer than the tree is high. */
        if (sn == 0)
            return RK_EPROOF;
        /* b. */
        if ((fn & 1) || fn == sn) {
            rk_merkle_node_hash(p, r, r);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            rk_merkle_node_hash(r, p, r);
        }
        /* c. */
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. sn == 0 and r == root_hash. */
    return sn == 0 && hash_eq(r, root) ? RK_OK : RK_EPROOF;
}

int rk_merkle_verify_consistency(uint64_t first, uint64_t second,
                                 const uint8_t first_root[HLEN], const uint8_t second_root[HLEN],
                                 const struct rk_merkle_proof *proof)
{
    if (proof->len > RK_MERKLE_MAX_PROOF || first > second)
        return RK_EPROOF;
    if (first == second)
        return proof->len == 0 && hash_eq(first_root, second_root) ? RK_OK : RK_EPROOF;
    if (first == 0) {
        uint8_t empty[HLEN];
        rk_merkle_empty_root(empty);
        return proof->len == 0 && hash_eq(first_root, empty) ? RK_OK : RK_EPROOF;
    }
    /* 1. An empty consistency_path fails. */
    if (proof->len == 0)
        return RK_EPROOF;
    /* 2. If first is an exact power of 2, prepend first_hash: the old tree is then a perfect
     * subtree the proof does not repeat. We walk a virtual path instead of copying. */
    int prepend = (first & (first - 1)) == 0;
    size_t n = proof->len + (prepend ? 1 : 0);
#define PATH(i) (prepend ? ((i) == 0 ? first_root : proof->hash[(i) - 1]) : proof->hash[(i)])
    /* 3. fn = first - 1, sn = second - 1. */
    uint64_t fn = first - 1, sn = second - 1;
    /* 4. If LSB(fn) is set, right-shift both until it is not. */
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. fr = sr = first value of the path. */
    uint8_t fr[HLEN], sr[HLEN];
    memcpy(fr, PATH(0), HLEN);
    memcpy(sr, PATH(0), HLEN);
    /* 6. For each subsequent value c: */
    for (size_t i = 1; i < n; i++) {
        const uint8_t *c = PATH(i);
        /* a. */
        if (sn == 0)
            return RK_EPROOF;
        /* b. */
        if ((fn & 1) || fn == sn) {
            rk_merkle_node_hash(c, fr, fr);
            rk_merkle_node_hash(c, sr, sr);
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            rk_merkle_node_hash(sr, c, sr);
        }
        /* c. */
        fn >>= 1;
        sn >>= 1;
    }
#undef PATH
    /* 7. fr == first_hash, sr == second_hash and sn == 0. */
    return hash_eq(fr, first_root) && hash_eq(sr, second_root) && sn == 0 ? RK_OK : RK_EPROOF;
}

/* ---- JSON ---- */

void rk_merkle_hex(const uint8_t h[HLEN], char out[2 * HLEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < HLEN; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 0xf];
    }
    out[2 * HLEN] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int rk_merkle_unhex(const char *s, size_t len, uint8_t out[HLEN])
{
    if (len != 2 * HLEN)
        return RK_EPARSE;
    for (size_t i = 0; i < HLEN; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return RK_EPARSE;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return RK_OK;
}

static json_t *proof_to_json(const char *ka, uint64_t a, const char *kb, uint64_t b,
                             const char *kpath, const struct rk_merkle_proof *proof)
{
    if (a > JSON_INT_MAX || b > JSON_INT_MAX || proof->len > RK_MERKLE_MAX_PROOF)
        return NULL;
    json_t *path = json_array();
    if (!path)
        return NULL;
    for (size_t i = 0; i < proof->len; i++) {
        char hex[2 * HLEN + 1];
        rk_merkle_hex(proof->hash[i], hex);
        if (json_array_append_new(path, json_string(hex)) != 0) {
            json_decref(path);
            return NULL;
        }
    }
    json_t *o = json_object();
    if (!o) {
        json_decref(path);
        return NULL;
    }
    /* json_object_set_new consumes the value even when it fails, so path is set first. */
    if (json_object_set_new(o, kpath, path) != 0 ||
        json_object_set_new(o, ka, json_integer((json_int_t)a)) != 0 ||
        json_object_set_new(o, kb, json_integer((json_int_t)b)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int json_u53(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!v || !json_is_integer(v))
        return RK_EPARSE;
    json_int_t x = json_integer_value(v);
    if (x < 0 || (uint64_t)x > JSON_INT_MAX)
        return RK_ERANGE;
    *out = (uint64_t)x;
    return RK_OK;
}

static int proof_from_json(const json_t *j, const char *ka, uint64_t *a, const char *kb,
                           uint64_t *b, const char *kpath, struct rk_merkle_proof *proof)
{
    proof->len = 0;
    if (!json_is_object(j) || json_object_size(j) != 3)
        return RK_EPARSE;
    int rc = json_u53(j, ka, a);
    if (rc == RK_OK)
        rc = json_u53(j, kb, b);
    if (rc != RK_OK)
        return rc;
    const json_t *path = json_object_get(j, kpath);
    if (!json_is_array(path))
        return RK_EPARSE;
    size_t n = json_array_size(path);
    if (n > RK_MERKLE_MAX_PROOF)
        return RK_ERANGE;
    for (size_t i = 0; i < n; i++) {
        const json_t *h = json_array_get(path, i);
        if (!json_is_string(h) ||
            rk_merkle_unhex(json_string_value(h), json_string_length(h), proof->hash[i]) != RK_OK) {
            proof->len = 0;
            return RK_EPARSE;
        }
    }
    proof->len = n;
    return RK_OK;
}

json_t *rk_merkle_inclusion_to_json(uint64_t index, uint64_t size,
                                    const struct rk_merkle_proof *proof)
{
    return proof_to_json("leaf_index", index, "tree_size", size, "inclusion_path", proof);
}

int rk_merkle_inclusion_from_json(const json_t *j, uint64_t *index, uint64_t *size,
                                  struct rk_merkle_proof *proof)
{
    return proof_from_json(j, "leaf_index", index, "tree_size", size, "inclusion_path", proof);
}

json_t *rk_merkle_consistency_to_json(uint64_t first, uint64_t second,
                                      const struct rk_merkle_proof *proof)
{
    return proof_to_json("first", first, "second", second, "consistency_path", proof);
}

int rk_merkle_consistency_from_json(const json_t *j, uint64_t *first, uint64_t *second,
                                    struct rk_merkle_proof *proof)
{
    return proof_from_json(j, "first", first, "second", second, "consistency_path", proof);
}
