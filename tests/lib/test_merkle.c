/* Merkle tree tests: the RFC 6962 reference vectors, then exhaustive property tests against a
 * straightforward recursive transcription of RFC 9162 §2.1 (MTH, PATH, SUBPROOF) kept in this
 * file, independent of the iterative code in lib/merkle.c. */
#include "testutil.h"

#include "rekap/merkle.h"
#include "rekap/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H RK_MERKLE_HASH_LEN
#define NLEAVES 130  /* inclusion proofs: every size up to this, every index */
#define NCONS 70     /* consistency proofs: every 0 <= m <= n up to this */

/* ---- reference vectors ----
 * Source: github.com/transparency-dev/merkle, testonly/constants.go (LeafInputs, NodeHashes,
 * RootHashes) and proof/verify_test.go (inclusionProofs, consistencyProofs); originally the
 * certificate-transparency project's merkle_tree_test vectors. Re-typed by hand. Note that
 * verify_test.go numbers leaves from 1; the indices below are 0-based. */
static const char *const ct_leaves[8] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

static const char *const ct_leaf_hashes[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
};

static const char *const ct_level1[4] = {
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
};

static const char *const ct_level2[2] = {
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
};

static const char *const ct_roots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vec_proof {
    uint64_t a, b; /* inclusion: index, size; consistency: first, second */
    size_t len;
    const char *hash[3];
};

static const struct vec_proof ct_inclusion[] = {
    {0, 1, 0, {NULL}},
    {0, 8, 3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5, 8, 3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1, 5, 3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const struct vec_proof ct_consistency[] = {
    {1, 1, 0, {NULL}},
    {1, 8, 3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8, 3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5, 2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7, 3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void unhex_any(const char *s, uint8_t *out, size_t *len)
{
    size_t n = strlen(s);
    assert_int_equal(n % 2, 0);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
}

static void h_of(const char *hex, uint8_t out[H])
{
    assert_int_equal(rk_merkle_unhex(hex, strlen(hex), out), RK_OK);
}

static void assert_hash_hex(const uint8_t h[H], const char *hex)
{
    char got[2 * H + 1];
    rk_merkle_hex(h, got);
    assert_string_equal(got, hex);
}

/* ---- a tree of leaf hashes and a reference implementation over it ---- */

struct tree {
    uint8_t leaf[NLEAVES][H];
    size_t n;
    /* MTH of [start, start+len), memoised: the reference recursion revisits ranges a lot. */
    uint8_t memo[NLEAVES + 1][NLEAVES + 1][H];
    uint8_t have[NLEAVES + 1][NLEAVES + 1];
};

static struct tree T; /* too large for the stack */

static void tree_fill_ct(void)
{
    memset(&T, 0, sizeof T);
    for (size_t i = 0; i < 8; i++) {
        uint8_t in[16];
        size_t len;
        unhex_any(ct_leaves[i], in, &len);
        rk_merkle_leaf_hash(in, len, T.leaf[i]);
    }
    T.n = 8;
}

static void tree_fill_synthetic(size_t n)
{
    memset(&T, 0, sizeof T);
    for (size_t i = 0; i < n; i++) {
        char in[32];
        int len = snprintf(in, sizeof in, "rekap leaf %zu", i);
        rk_merkle_leaf_hash((const uint8_t *)in, (size_t)len, T.leaf[i]);
    }
    T.n = n;
}

static size_t largest_pow2_below(size_t n)
{
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

/* RFC 9162 §2.1.1, verbatim recursion. */
static void ref_mth(size_t start, size_t len, uint8_t out[H])
{
    if (T.have[start][len]) {
        memcpy(out, T.memo[start][len], H);
        return;
    }
    if (len == 0) {
        rk_merkle_empty_root(out);
    } else if (len == 1) {
        memcpy(out, T.leaf[start], H);
    } else {
        size_t k = largest_pow2_below(len);
        uint8_t l[H], r[H];
        ref_mth(start, k, l);
        ref_mth(start + k, len - k, r);
        rk_merkle_node_hash(l, r, out);
    }
    memcpy(T.memo[start][len], out, H);
    T.have[start][len] = 1;
}

/* RFC 9162 §2.1.3.1 PATH(m, D[start:start+n]). */
static void ref_path(size_t m, size_t start, size_t n, struct rk_merkle_proof *p)
{
    if (n <= 1)
        return;
    size_t k = largest_pow2_below(n);
    if (m < k) {
        ref_path(m, start, k, p);
        ref_mth(start + k, n - k, p->hash[p->len++]);
    } else {
        ref_path(m - k, start + k, n - k, p);
        ref_mth(start, k, p->hash[p->len++]);
    }
}

/* RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:start+n], b). */
static void ref_subproof(size_t m, size_t start, size_t n, int b, struct rk_merkle_proof *p)
{
    if (m == n) {
        if (!b)
            ref_mth(start, n, p->hash[p->len++]);
        return;
    }
    size_t k = largest_pow2_below(n);
    if (m <= k) {
        ref_subproof(m, start, k, b, p);
        ref_mth(start + k, n - k, p->hash[p->len++]);
    } else {
        ref_subproof(m - k, start + k, n - k, 0, p);
        ref_mth(start, k, p->hash[p->len++]);
    }
}

/* The source the library reads: perfect subtrees of T, limited to the first `size` leaves, and
 * strict about the contract (aligned, in range) so a library bug shows as a failure. */
struct tsrc {
    uint64_t size;
    unsigned calls;
    unsigned fail_at; /* 1-based call number that returns RK_EIO; 0 never */
    unsigned bad;     /* requests that broke the contract */
};

static int tsrc_subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[H])
{
    struct tsrc *s = ctx;
    s->calls++;
    if (level > 30 || start % (UINT64_C(1) << level) != 0 ||
        start + (UINT64_C(1) << level) > s->size) {
        s->bad++;
        return RK_EINTERNAL;
    }
    if (s->fail_at && s->calls == s->fail_at)
        return RK_EIO;
    ref_mth((size_t)start, (size_t)1 << level, out);
    return RK_OK;
}

static struct rk_merkle_source source_of(struct tsrc *s, uint64_t size)
{
    memset(s, 0, sizeof *s);
    s->size = size;
    return (struct rk_merkle_source){.subtree = tsrc_subtree, .ctx = s};
}

static void assert_proof_eq(const struct rk_merkle_proof *a, const struct rk_merkle_proof *b)
{
    assert_int_equal(a->len, b->len);
    for (size_t i = 0; i < a->len; i++)
        assert_memory_equal(a->hash[i], b->hash[i], H);
}

/* ---- vectors ---- */

static void test_hashes_match_vectors(void **state)
{
    (void)state;
    tree_fill_ct();
    for (size_t i = 0; i < 8; i++)
        assert_hash_hex(T.leaf[i], ct_leaf_hashes[i]);
    uint8_t h[H];
    for (size_t i = 0; i < 4; i++) {
        rk_merkle_node_hash(T.leaf[2 * i], T.leaf[2 * i + 1], h);
        assert_hash_hex(h, ct_level1[i]);
    }
    for (size_t i = 0; i < 2; i++) {
        uint8_t l[H], r[H];
        h_of(ct_level1[2 * i], l);
        h_of(ct_level1[2 * i + 1], r);
        rk_merkle_node_hash(l, r, h);
        assert_hash_hex(h, ct_level2[i]);
    }
    rk_merkle_empty_root(h);
    assert_hash_hex(h, ct_roots[0]);
    /* node_hash may write over its own input. */
    uint8_t a[H], b[H], c[H];
    memcpy(a, T.leaf[0], H);
    memcpy(b, T.leaf[1], H);
    rk_merkle_node_hash(a, b, c);
    rk_merkle_node_hash(a, b, a);
    assert_memory_equal(a, c, H);
}

static void test_roots_match_vectors(void **state)
{
    (void)state;
    tree_fill_ct();
    struct rk_merkle_frontier f;
    rk_merkle_frontier_init(&f);
    for (uint64_t n = 0; n <= 8; n++) {
        uint8_t h[H];
        struct tsrc s;
        struct rk_merkle_source src = source_of(&s, n);
        assert_int_equal(rk_merkle_root(&src, n, h), RK_OK);
        assert_hash_hex(h, ct_roots[n]);
        assert_int_equal(s.bad, 0);
        rk_merkle_frontier_root(&f, h);
        assert_hash_hex(h, ct_roots[n]);
        if (n < 8)
            assert_int_equal(rk_merkle_frontier_append(&f, T.leaf[n]), RK_OK);
    }
    /* The compact range of size 7 holds exactly level2[0], level1[2] and leaf 6. */
    struct tsrc s;
    struct rk_merkle_source src = source_of(&s, 7);
    assert_int_equal(rk_merkle_frontier_from_source(&f, 7, &src), RK_OK);
    assert_hash_hex(f.hash[2], ct_level2[0]);
    assert_hash_hex(f.hash[1], ct_level1[2]);
    assert_hash_hex(f.hash[0], ct_leaf_hashes[6]);
}

static void vec_to_proof(const struct vec_proof *v, struct rk_merkle_proof *p)
{
    p->len = v->len;
    for (size_t i = 0; i < v->len; i++)
        h_of(v->hash[i], p->hash[i]);
}

static void test_inclusion_vectors(void **state)
{
    (void)state;
    tree_fill_ct();
    for (size_t t = 0; t < sizeof ct_inclusion / sizeof ct_inclusion[0]; t++) {
        const struct vec_proof *v = &ct_inclusion[t];
        struct rk_merkle_proof want, got;
        vec_to_proof(v, &want);
        struct tsrc s;
        struct rk_merkle_source src = source_of(&s, v->b);
        assert_int_equal(rk_merkle_inclusion_proof(&src, v->a, v->b, &got), RK_OK);
        assert_int_equal(s.bad, 0);
        assert_proof_eq(&got, &want);
        uint8_t root[H];
        h_of(ct_roots[v->b], root);
        assert_int_equal(rk_merkle_verify_inclusion(v->a, v->b, T.leaf[v->a], &want, root),
                         RK_OK);
    }
}

static void test_consistency_vectors(void **state)
{
    (void)state;
    tree_fill_ct();
    for (size_t t = 0; t < sizeof ct_consistency / sizeof ct_consistency[0]; t++) {
        const struct vec_proof *v = &ct_consistency[t];
        struct rk_merkle_proof want, got;
        vec_to_proof(v, &want);
        struct tsrc s;
        struct rk_merkle_source src = source_of(&s, v->b);
        assert_int_equal(rk_merkle_consistency_proof(&src, v->a, v->b, &got), RK_OK);
        assert_int_equal(s.bad, 0);
        assert_proof_eq(&got, &want);
        uint8_t r1[H], r2[H];
        h_of(ct_roots[v->a], r1);
        h_of(ct_roots[v->b], r2);
        assert_int_equal(rk_merkle_verify_consistency(v->a, v->b, r1, r2, &want), RK_OK);
    }
}

/* ---- properties ---- */

/* Deterministic bit choice so failures reproduce. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void flip(uint8_t h[H])
{
    uint32_t bit = rng() % (H * 8);
    h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void test_frontier_matches_recursive_root(void **state)
{
    (void)state;
    tree_fill_synthetic(NLEAVES);
    struct rk_merkle_frontier f;
    rk_merkle_frontier_init(&f);
    for (size_t n = 0; n <= NLEAVES; n++) {
        uint8_t want[H], got[H];
        ref_mth(0, n, want);
        rk_merkle_frontier_root(&f, got);
        assert_memory_equal(got, want, H);
        assert_int_equal(f.size, n);

        struct tsrc s;
        struct rk_merkle_source src = source_of(&s, n);
        assert_int_equal(rk_merkle_root(&src, n, got), RK_OK);
        assert_memory_equal(got, want, H);
        assert_int_equal(s.bad, 0);

        /* Persisted form round-trips and rebuilding from the store gives the same state. */
        uint8_t buf[RK_MERKLE_FRONTIER_MAX_BYTES];
        int len = rk_merkle_frontier_encode(&f, buf, sizeof buf);
        assert_true(len >= 8);
        struct rk_merkle_frontier g, r;
        assert_int_equal(rk_merkle_frontier_decode(&g, buf, (size_t)len), RK_OK);
        rk_merkle_frontier_root(&g, got);
        assert_memory_equal(got, want, H);
        assert_int_equal(rk_merkle_frontier_from_source(&r, n, &src), RK_OK);
        rk_merkle_frontier_root(&r, got);
        assert_memory_equal(got, want, H);
        if (n > 0) {
            /* A wrong length (one byte short / long) is refused. */
            struct rk_merkle_frontier bad;
            assert_int_equal(rk_merkle_frontier_decode(&bad, buf, (size_t)len - 1), RK_EPARSE);
            assert_int_equal(bad.size, 0);
            buf[len] = 0;
            assert_int_equal(rk_merkle_frontier_decode(&bad, buf, (size_t)len + 1), RK_EPARSE);
            assert_int_equal(rk_merkle_frontier_encode(&f, buf, (size_t)len - 1), RK_ETOOBIG);
        }
        if (n < NLEAVES) {
            /* Appending to the decoded copy behaves like appending to the original. */
            assert_int_equal(rk_merkle_frontier_append(&f, T.leaf[n]), RK_OK);
            assert_int_equal(rk_merkle_frontier_append(&g, T.leaf[n]), RK_OK);
            uint8_t a[H], b[H];
            rk_merkle_frontier_root(&f, a);
            rk_merkle_frontier_root(&g, b);
            assert_memory_equal(a, b, H);
        }
    }
    uint8_t tiny[4] = {0};
    struct rk_merkle_frontier g;
    assert_int_equal(rk_merkle_frontier_decode(&g, tiny, sizeof tiny), RK_EPARSE);
}

static void test_frontier_full(void **state)
{
    (void)state;
    struct rk_merkle_frontier f;
    rk_merkle_frontier_init(&f);
    f.size = UINT64_MAX; /* pretend: every level holds a (zero) hash */
    uint8_t leaf[H] = {1};
    assert_int_equal(rk_merkle_frontier_append(&f, leaf), RK_ERANGE);
    assert_true(f.size == UINT64_MAX);
    uint8_t buf[RK_MERKLE_FRONTIER_MAX_BYTES];
    assert_int_equal(rk_merkle_frontier_encode(&f, buf, sizeof buf), 8 + 64 * H);
}

static void check_inclusion_rejects(uint64_t i, uint64_t n, const uint8_t leaf[H],
                                    const struct rk_merkle_proof *good, const uint8_t root[H])
{
    struct rk_merkle_proof p;
    uint8_t h[H];

    memcpy(h, leaf, H);
    flip(h);
    assert_int_equal(rk_merkle_verify_inclusion(i, n, h, good, root), RK_EPROOF);
    memcpy(h, root, H);
    flip(h);
    assert_int_equal(rk_merkle_verify_inclusion(i, n, leaf, good, h), RK_EPROOF);
    for (size_t k = 0; k < good->len; k++) {
        p = *good;
        flip(p.hash[k]);
        assert_int_equal(rk_merkle_verify_inclusion(i, n, leaf, &p, root), RK_EPROOF);
    }
    /* Wrong position or size, the same proof. Some are genuinely valid (a leaf that is both
     * the last one and a left child of a perfect subtree has the same path in a neighbour
     * tree size), so only the cases that must change the answer are checked. */
    assert_int_equal(rk_merkle_verify_inclusion(n, n, leaf, good, root), RK_EPROOF);
    assert_int_equal(rk_merkle_verify_inclusion(i, 0, leaf, good, root), RK_EPROOF);
    if (i + 1 < n)
        assert_int_equal(rk_merkle_verify_inclusion(i + 1, n, leaf, good, root), RK_EPROOF);
    if (i > 0)
        assert_int_equal(rk_merkle_verify_inclusion(i - 1, n, leaf, good, root), RK_EPROOF);
    if (n > 1)
        assert_int_equal(rk_merkle_verify_inclusion(i, 2 * n, leaf, good, root), RK_EPROOF);
    /* The path claimed for a lower tree: the hashes still chain up to the real root when every
     * sibling is on the left (say the last leaf of a power-of-two tree as leaf 0 of a tree of
     * one), so only RFC step 4a (the path outgrows the tree) stops it. */
    if (good->len > 0)
        assert_int_equal(rk_merkle_verify_inclusion(0, 1, leaf, good, root), RK_EPROOF);
    /* Truncated, extended, and prefixed proofs. */
    if (good->len > 0) {
        p = *good;
        p.len--;
        assert_int_equal(rk_merkle_verify_inclusion(i, n, leaf, &p, root), RK_EPROOF);
    }
    if (good->len < RK_MERKLE_MAX_PROOF) {
        p = *good;
        memcpy(p.hash[p.len++], root, H);
        assert_int_equal(rk_merkle_verify_inclusion(i, n, leaf, &p, root), RK_EPROOF);
        p = *good;
        memmove(p.hash[1], p.hash[0], p.len * H);
        memcpy(p.hash[0], leaf, H);
        p.len++;
        assert_int_equal(rk_merkle_verify_inclusion(i, n, leaf, &p, root), RK_EPROOF);
    }
    p = *good;
    p.len = RK_MERKLE_MAX_PROOF + 1;
    assert_int_equal(rk_merkle_verify_inclusion(i, n, leaf, &p, root), RK_EPROOF);
}

static void test_inclusion_all_sizes(void **state)
{
    (void)state;
    tree_fill_synthetic(NLEAVES);
    unsigned checked = 0;
    for (uint64_t n = 1; n <= NLEAVES; n++) {
        uint8_t root[H];
        ref_mth(0, n, root);
        for (uint64_t i = 0; i < n; i++) {
            struct rk_merkle_proof got, want = {0};
            struct tsrc s;
            struct rk_merkle_source src = source_of(&s, n);
            assert_int_equal(rk_merkle_inclusion_proof(&src, i, n, &got), RK_OK);
            assert_int_equal(s.bad, 0);
            ref_path(i, 0, n, &want);
            assert_proof_eq(&got, &want);
            assert_int_equal(rk_merkle_verify_inclusion(i, n, T.leaf[i], &got, root), RK_OK);
            check_inclusion_rejects(i, n, T.leaf[i], &got, root);
            checked++;
        }
        struct rk_merkle_proof p;
        struct tsrc s;
        struct rk_merkle_source src = source_of(&s, n);
        assert_int_equal(rk_merkle_inclusion_proof(&src, n, n, &p), RK_ERANGE);
        assert_int_equal(p.len, 0);
    }
    assert_int_equal(checked, NLEAVES * (NLEAVES + 1) / 2);
}

static void check_consistency_rejects(uint64_t m, uint64_t n, const uint8_t r1[H],
                                      const uint8_t r2[H], const struct rk_merkle_proof *good)
{
    struct rk_merkle_proof p;
    uint8_t h[H];

    memcpy(h, r1, H);
    flip(h);
    assert_int_equal(rk_merkle_verify_consistency(m, n, h, r2, good), RK_EPROOF);
    if (m > 0) { /* every tree extends the empty tree, whatever its root */
        memcpy(h, r2, H);
        flip(h);
        assert_int_equal(rk_merkle_verify_consistency(m, n, r1, h, good), RK_EPROOF);
    }
    if (m != n) /* equal sizes with equal roots verify either way round */
        assert_int_equal(rk_merkle_verify_consistency(m, n, r2, r1, good), RK_EPROOF);
    for (size_t k = 0; k < good->len; k++) {
        p = *good;
        flip(p.hash[k]);
        assert_int_equal(rk_merkle_verify_consistency(m, n, r1, r2, &p), RK_EPROOF);
    }
    if (good->len > 0) {
        p = *good;
        p.len--;
        assert_int_equal(rk_merkle_verify_consistency(m, n, r1, r2, &p), RK_EPROOF);
    }
    p = *good;
    memcpy(p.hash[p.len++], r2, H);
    assert_int_equal(rk_merkle_verify_consistency(m, n, r1, r2, &p), RK_EPROOF);
    p = *good;
    memmove(p.hash[1], p.hash[0], p.len * H);
    memcpy(p.hash[0], r1, H);
    p.len++;
    assert_int_equal(rk_merkle_verify_consistency(m, n, r1, r2, &p), RK_EPROOF);
    /* The same proof claimed for a tree one level taller: only the size check catches the
     * cases where the hash directions happen to coincide. */
    if (m > 0 && m < n)
        assert_int_equal(rk_merkle_verify_consistency(m, 2 * n, r1, r2, good), RK_EPROOF);
    /* Sizes re-based into the right subtree: when both trees share the left subtree D[0:k],
     * the proof's last hash is that subtree and fr, sr chain up to the real roots, so only RFC
     * step 6a (the path outgrows the tree) stops the claim for (m - k, n - k). */
    if (m > 1 && m < n) {
        uint64_t k = 1;
        while (k * 2 < n)
            k *= 2;
        if (m > k)
            assert_int_equal(rk_merkle_verify_consistency(m - k, n - k, r1, r2, good), RK_EPROOF);
    }
    /* Travelling back in time never verifies. */
    if (m != n)
        assert_int_equal(rk_merkle_verify_consistency(n, m, r2, r1, good), RK_EPROOF);
    p = *good;
    p.len = RK_MERKLE_MAX_PROOF + 1;
    assert_int_equal(rk_merkle_verify_consistency(m, n, r1, r2, &p), RK_EPROOF);
}

static void test_consistency_all_sizes(void **state)
{
    (void)state;
    tree_fill_synthetic(NCONS);
    unsigned checked = 0;
    for (uint64_t n = 0; n <= NCONS; n++) {
        uint8_t r2[H];
        ref_mth(0, n, r2);
        for (uint64_t m = 0; m <= n; m++) {
            uint8_t r1[H];
            ref_mth(0, m, r1);
            struct rk_merkle_proof got, want = {0};
            struct tsrc s;
            struct rk_merkle_source src = source_of(&s, n);
            assert_int_equal(rk_merkle_consistency_proof(&src, m, n, &got), RK_OK);
            assert_int_equal(s.bad, 0);
            if (m > 0)
                ref_subproof(m, 0, n, 1, &want);
            assert_proof_eq(&got, &want);
            assert_int_equal(rk_merkle_verify_consistency(m, n, r1, r2, &got), RK_OK);
            check_consistency_rejects(m, n, r1, r2, &got);
            /* A neighbouring old size with the same proof and roots must not verify. */
            if (m > 0 && m < n) {
                uint8_t other[H];
                ref_mth(0, m + 1, other);
                assert_int_equal(rk_merkle_verify_consistency(m + 1, n, other, r2, &got),
                                 RK_EPROOF);
                if (m > 1) {
                    ref_mth(0, m - 1, other);
                    assert_int_equal(rk_merkle_verify_consistency(m - 1, n, other, r2, &got),
                                     RK_EPROOF);
                }
            }
            checked++;
        }
        struct rk_merkle_proof p;
        struct tsrc s;
        struct rk_merkle_source src = source_of(&s, n);
        assert_int_equal(rk_merkle_consistency_proof(&src, n + 1, n, &p), RK_ERANGE);
    }
    assert_int_equal(checked, (NCONS + 1) * (NCONS + 2) / 2);
}

static void test_consistency_edge_cases(void **state)
{
    (void)state;
    uint8_t empty[H], a[H], b[H];
    rk_merkle_empty_root(empty);
    memset(a, 0xaa, H);
    memset(b, 0xbb, H);
    struct rk_merkle_proof none = {0}, one = {.len = 1};
    memcpy(one.hash[0], empty, H);
    /* 0 -> n: nothing to prove, but the old root must be the empty tree's. */
    assert_int_equal(rk_merkle_verify_consistency(0, 5, empty, b, &none), RK_OK);
    assert_int_equal(rk_merkle_verify_consistency(0, 5, a, b, &none), RK_EPROOF);
    assert_int_equal(rk_merkle_verify_consistency(0, 5, empty, b, &one), RK_EPROOF);
    assert_int_equal(rk_merkle_verify_consistency(0, 0, empty, empty, &none), RK_OK);
    /* n -> n: same root, empty proof. */
    assert_int_equal(rk_merkle_verify_consistency(3, 3, a, a, &none), RK_OK);
    assert_int_equal(rk_merkle_verify_consistency(3, 3, a, b, &none), RK_EPROOF);
    assert_int_equal(rk_merkle_verify_consistency(3, 3, a, a, &one), RK_EPROOF);
    /* m < n with an empty proof never verifies (RFC step 1). */
    assert_int_equal(rk_merkle_verify_consistency(1, 2, a, b, &none), RK_EPROOF);
    assert_int_equal(rk_merkle_verify_consistency(2, 1, a, b, &none), RK_EPROOF);
    /* Inclusion in an empty tree or past the end. */
    assert_int_equal(rk_merkle_verify_inclusion(0, 0, a, &none, empty), RK_EPROOF);
    assert_int_equal(rk_merkle_verify_inclusion(1, 1, a, &none, a), RK_EPROOF);
    assert_int_equal(rk_merkle_verify_inclusion(0, 1, a, &none, a), RK_OK);
    /* Huge sizes are arithmetic, not memory: a short proof for a huge tree just fails. */
    assert_int_equal(rk_merkle_verify_inclusion(UINT64_MAX - 1, UINT64_MAX, a, &one, b),
                     RK_EPROOF);
    assert_int_equal(rk_merkle_verify_consistency(UINT64_MAX - 1, UINT64_MAX, a, b, &one),
                     RK_EPROOF);
}

/* A tree of 2^64 - 1 identical leaves costs nothing to hash: a perfect subtree's hash depends
 * only on its level. That exercises the 64-bit arithmetic (sizes past 2^32, 2^53, 2^63) and the
 * source contract at huge offsets; correctness of the hashing itself is covered above. */
struct usrc {
    uint8_t level[64][H];
    uint64_t size;
    unsigned bad;
};

static int usrc_subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[H])
{
    struct usrc *u = ctx;
    uint64_t len = UINT64_C(1) << level;
    if (level > 63 || start % len != 0 || len > u->size || start > u->size - len) {
        u->bad++;
        return RK_EINTERNAL;
    }
    memcpy(out, u->level[level], H);
    return RK_OK;
}

static void test_large_trees(void **state)
{
    (void)state;
    static struct usrc u;
    rk_merkle_leaf_hash((const uint8_t *)"same", 4, u.level[0]);
    for (int l = 1; l < 64; l++)
        rk_merkle_node_hash(u.level[l - 1], u.level[l - 1], u.level[l]);
    struct rk_merkle_source src = {.subtree = usrc_subtree, .ctx = &u};
    static const uint64_t sizes[] = {
        (UINT64_C(1) << 32) + 1, (UINT64_C(1) << 40) + 12345, (UINT64_C(1) << 53) - 1,
        UINT64_C(1) << 63, (UINT64_C(1) << 63) + 1, UINT64_MAX,
    };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t n = sizes[s];
        u.size = n;
        u.bad = 0;
        uint8_t root[H], froot[H];
        assert_int_equal(rk_merkle_root(&src, n, root), RK_OK);
        struct rk_merkle_frontier f;
        assert_int_equal(rk_merkle_frontier_from_source(&f, n, &src), RK_OK);
        rk_merkle_frontier_root(&f, froot);
        assert_memory_equal(root, froot, H);
        const uint64_t idx[] = {0, 1, n / 2, n / 3, n - 2, n - 1};
        for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
            struct rk_merkle_proof p;
            assert_int_equal(rk_merkle_inclusion_proof(&src, idx[i], n, &p), RK_OK);
            assert_true(p.len <= 64);
            assert_int_equal(rk_merkle_verify_inclusion(idx[i], n, u.level[0], &p, root), RK_OK);
            p.hash[p.len / 2][3] ^= 1;
            assert_int_equal(rk_merkle_verify_inclusion(idx[i], n, u.level[0], &p, root),
                             RK_EPROOF);
        }
        const uint64_t olds[] = {1, 3, n / 2 + 1, n - 1};
        for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
            struct rk_merkle_proof p;
            uint8_t old_root[H];
            u.size = olds[i];
            assert_int_equal(rk_merkle_root(&src, olds[i], old_root), RK_OK);
            u.size = n;
            int rc = rk_merkle_consistency_proof(&src, olds[i], n, &p);
            if (rc == RK_ERANGE) {
                /* Only past 2^63 leaves may a consistency proof need 65 hashes. */
                assert_true(n > (UINT64_C(1) << 63));
                assert_int_equal(p.len, 0);
                continue;
            }
            assert_int_equal(rc, RK_OK);
            assert_int_equal(rk_merkle_verify_consistency(olds[i], n, old_root, root, &p), RK_OK);
            p.hash[0][0] ^= 1;
            assert_int_equal(rk_merkle_verify_consistency(olds[i], n, old_root, root, &p),
                             RK_EPROOF);
        }
        assert_int_equal(u.bad, 0);
    }
}

static void test_source_errors_propagate(void **state)
{
    (void)state;
    tree_fill_synthetic(NLEAVES);
    for (unsigned fail = 1; fail <= 3; fail++) {
        struct rk_merkle_proof p;
        uint8_t h[H];
        struct tsrc s;
        struct rk_merkle_source src = source_of(&s, 100);
        s.fail_at = fail;
        assert_int_equal(rk_merkle_inclusion_proof(&src, 37, 100, &p), RK_EIO);
        assert_int_equal(p.len, 0);
        src = source_of(&s, 100);
        s.fail_at = fail;
        assert_int_equal(rk_merkle_consistency_proof(&src, 37, 100, &p), RK_EIO);
        assert_int_equal(p.len, 0);
        src = source_of(&s, 100); /* 100 = 64 + 32 + 4: three subtrees */
        s.fail_at = fail;
        assert_int_equal(rk_merkle_root(&src, 100, h), RK_EIO);
        struct rk_merkle_frontier f;
        src = source_of(&s, 100);
        s.fail_at = fail;
        assert_int_equal(rk_merkle_frontier_from_source(&f, 100, &src), RK_EIO);
        assert_int_equal(f.size, 0);
    }
}

static void test_proof_json(void **state)
{
    (void)state;
    tree_fill_ct();
    struct rk_merkle_proof p, q;
    vec_to_proof(&ct_inclusion[2], &p);
    json_t *j = rk_merkle_inclusion_to_json(5, 8, &p);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(s);
    assert_string_equal(
        s, "{\"inclusion_path\":[\"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b\","
           "\"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0\","
           "\"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7\"],"
           "\"leaf_index\":5,\"tree_size\":8}");
    free(s);
    uint64_t a, b;
    assert_int_equal(rk_merkle_inclusion_from_json(j, &a, &b, &q), RK_OK);
    assert_true(a == 5 && b == 8);
    assert_proof_eq(&p, &q);
    /* The consistency parser does not accept the inclusion shape. */
    assert_int_equal(rk_merkle_consistency_from_json(j, &a, &b, &q), RK_EPARSE);
    json_decref(j);

    vec_to_proof(&ct_consistency[3], &p);
    j = rk_merkle_consistency_to_json(2, 5, &p);
    assert_non_null(j);
    assert_int_equal(rk_merkle_consistency_from_json(j, &a, &b, &q), RK_OK);
    assert_true(a == 2 && b == 5);
    assert_proof_eq(&p, &q);
    json_decref(j);

    /* Numbers beyond 2^53 - 1 are not written. */
    assert_null(rk_merkle_inclusion_to_json(UINT64_C(1) << 53, UINT64_C(1) << 53, &p));

    static const struct {
        const char *json;
        int rc;
    } bad[] = {
        {"[]", RK_EPARSE},
        {"{\"first\":1,\"second\":2}", RK_EPARSE},
        {"{\"first\":1,\"second\":2,\"consistency_path\":[],\"x\":1}", RK_EPARSE},
        {"{\"first\":\"1\",\"second\":2,\"consistency_path\":[]}", RK_EPARSE},
        {"{\"first\":1.0,\"second\":2,\"consistency_path\":[]}", RK_EPARSE},
        {"{\"first\":-1,\"second\":2,\"consistency_path\":[]}", RK_ERANGE},
        {"{\"first\":9007199254740992,\"second\":2,\"consistency_path\":[]}", RK_ERANGE},
        {"{\"first\":1,\"second\":2,\"consistency_path\":{}}", RK_EPARSE},
        {"{\"first\":1,\"second\":2,\"consistency_path\":[1]}", RK_EPARSE},
        {"{\"first\":1,\"second\":2,\"consistency_path\":[\"abc\"]}", RK_EPARSE},
        {"{\"first\":1,\"second\":2,\"consistency_path\":"
         "[\"5F083F0A1A33CA076A95279832580DB3E0EF4584BDFF1F54C8A360F50DE3031E\"]}",
         RK_EPARSE},
        {"{\"first\":1,\"second\":2,\"consistency_path\":"
         "[\"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031g\"]}",
         RK_EPARSE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t err;
        json_t *k = json_loads(bad[i].json, 0, &err);
        assert_non_null(k);
        assert_int_equal(rk_merkle_consistency_from_json(k, &a, &b, &q), bad[i].rc);
        json_decref(k);
    }
    /* 65 hashes: over the cap. */
    json_t *path = json_array();
    char hex[2 * H + 1];
    rk_merkle_hex(T.leaf[0], hex);
    for (int i = 0; i < RK_MERKLE_MAX_PROOF + 1; i++)
        json_array_append_new(path, json_string(hex));
    j = json_pack("{s:i,s:i,s:o}", "first", 1, "second", 2, "consistency_path", path);
    assert_int_equal(rk_merkle_consistency_from_json(j, &a, &b, &q), RK_ERANGE);
    json_array_remove(path, 0);
    assert_int_equal(rk_merkle_consistency_from_json(j, &a, &b, &q), RK_OK);
    assert_int_equal(q.len, RK_MERKLE_MAX_PROOF);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes_match_vectors),
        cmocka_unit_test(test_roots_match_vectors),
        cmocka_unit_test(test_inclusion_vectors),
        cmocka_unit_test(test_consistency_vectors),
        cmocka_unit_test(test_frontier_matches_recursive_root),
        cmocka_unit_test(test_frontier_full),
        cmocka_unit_test(test_inclusion_all_sizes),
        cmocka_unit_test(test_consistency_all_sizes),
        cmocka_unit_test(test_consistency_edge_cases),
        cmocka_unit_test(test_large_trees),
        cmocka_unit_test(test_source_errors_propagate),
        cmocka_unit_test(test_proof_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
