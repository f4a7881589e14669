/* Merkle tree of the rekap transparency log, hashed exactly as RFC 9162 (RFC 6962) with SHA-256:
 *
 *   leaf hash   = SHA-256(0x00 || entry bytes)
 *   node hash   = SHA-256(0x01 || left || right)
 *   empty tree  = SHA-256("")
 *
 * The tree over n leaves is the RFC's MTH(D[n]): split at the largest power of two k < n, left
 * subtree D[0:k], right subtree D[k:n].
 *
 * Nothing here allocates or keeps global state. Proofs and roots of past sizes are built from a
 * caller-supplied source that answers "the hash of the perfect subtree [start, start + 2^level)"
 * so the storage layer can serve stored leaf hashes or cached interior hashes as it sees fit; the
 * append path keeps only a frontier of at most 64 hashes (one per set bit of the tree size). */
#ifndef REKAP_MERKLE_H
#define REKAP_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define RK_MERKLE_HASH_LEN 32
/* Inclusion proofs have at most ceil(log2 n) hashes, consistency proofs one more, so 64 covers
 * every inclusion proof and every consistency proof up to 2^63 leaves. */
#define RK_MERKLE_MAX_PROOF 64
#define RK_MERKLE_MAX_LEVEL 63  /* perfect subtrees have at most 2^63 leaves */
/* Encoded frontier: 8-byte size + one hash per set bit of the size. */
#define RK_MERKLE_FRONTIER_MAX_BYTES (8 + RK_MERKLE_MAX_PROOF * RK_MERKLE_HASH_LEN)

/* A proof: up to RK_MERKLE_MAX_PROOF hashes, bottom-up (closest to the leaf first), in the
 * order RFC 9162 calls inclusion_path / consistency_path. */
struct rk_merkle_proof {
    size_t len;
    uint8_t hash[RK_MERKLE_MAX_PROOF][RK_MERKLE_HASH_LEN];
};

/* Append-only compact range [0, size): hash[l] is the root of the perfect subtree of 2^l leaves
 * that ends the prefix of size made of its bits above l; it is meaningful only where bit l of
 * size is set. This is the whole state a log server needs to extend the tree and compute its
 * current root. Initialise with rk_merkle_frontier_init (a zeroed struct is also empty). */
struct rk_merkle_frontier {
    uint64_t size;
    uint8_t hash[RK_MERKLE_MAX_PROOF][RK_MERKLE_HASH_LEN];
};

/* Where proofs get their hashes. subtree() must write the hash of the perfect subtree of leaves
 * [start, start + 2^level) to out; the library only asks for aligned subtrees (start is a
 * multiple of 2^level) that lie within the tree size it was given. Level 0 is a leaf hash
 * (already hashed with the 0x00 prefix, not raw entry bytes). Return RK_OK or a negative status,
 * which is passed through to the caller unchanged. */
struct rk_merkle_source {
    int (*subtree)(void *ctx, uint64_t start, unsigned level, uint8_t out[RK_MERKLE_HASH_LEN]);
    void *ctx;
};

/* out = SHA-256(0x00 || entry[0..len)). entry may be NULL when len is 0. */
void rk_merkle_leaf_hash(const uint8_t *entry, size_t len, uint8_t out[RK_MERKLE_HASH_LEN]);

/* out = SHA-256(0x01 || left || right). out may alias left or right. */
void rk_merkle_node_hash(const uint8_t left[RK_MERKLE_HASH_LEN],
                         const uint8_t right[RK_MERKLE_HASH_LEN], uint8_t out[RK_MERKLE_HASH_LEN]);

/* out = SHA-256(""), the root of the empty tree. */
void rk_merkle_empty_root(uint8_t out[RK_MERKLE_HASH_LEN]);

/* Makes f the empty tree. */
void rk_merkle_frontier_init(struct rk_merkle_frontier *f);

/* Appends one leaf (its leaf hash, see rk_merkle_leaf_hash) in O(log n). Returns RK_OK, or
 * RK_ERANGE (f unchanged) when the tree already holds 2^64 - 1 leaves. */
int rk_merkle_frontier_append(struct rk_merkle_frontier *f,
                              const uint8_t leaf_hash[RK_MERKLE_HASH_LEN]);

/* Writes the root of the tree of f->size leaves (the empty-tree hash for size 0). */
void rk_merkle_frontier_root(const struct rk_merkle_frontier *f, uint8_t out[RK_MERKLE_HASH_LEN]);

/* Rebuilds the frontier of a tree of size leaves from a source (e.g. after a restart, when only
 * the stored leaf hashes are trusted). Asks the source for one subtree per set bit of size.
 * Returns RK_OK or the source's error (f is then left empty). */
int rk_merkle_frontier_from_source(struct rk_merkle_frontier *f, uint64_t size,
                                   const struct rk_merkle_source *src);

/* Serialises f for persistence: 8-byte big-endian size, then hash[l] for each set bit l of size
 * in increasing l. Returns the number of bytes written (<= RK_MERKLE_FRONTIER_MAX_BYTES), or
 * RK_ETOOBIG when cap is too small. */
int rk_merkle_frontier_encode(const struct rk_merkle_frontier *f, uint8_t *out, size_t cap);

/* Parses what rk_merkle_frontier_encode wrote; the length must match the size exactly. Returns
 * RK_OK or RK_EPARSE (f then left empty). */
int rk_merkle_frontier_decode(struct rk_merkle_frontier *f, const uint8_t *in, size_t len);

/* Root of the tree made of the first size leaves of src (MTH(D[size])). Returns RK_OK or the
 * source's error. */
int rk_merkle_root(const struct rk_merkle_source *src, uint64_t size,
                   uint8_t out[RK_MERKLE_HASH_LEN]);

/* Inclusion proof (RFC 9162 PATH(index, D[size])) of leaf index in the tree of size leaves.
 * Returns RK_OK, RK_ERANGE when index >= size, or the source's error. */
int rk_merkle_inclusion_proof(const struct rk_merkle_source *src, uint64_t index, uint64_t size,
                              struct rk_merkle_proof *proof);

/* Consistency proof (RFC 9162 PROOF(first, D[second])) between the trees of first and second
 * leaves. Empty when first is 0 or first == second. Returns RK_OK, RK_ERANGE when first >
 * second (or, beyond 2^63 leaves, when the proof would exceed RK_MERKLE_MAX_PROOF), or the
 * source's error. */
int rk_merkle_consistency_proof(const struct rk_merkle_source *src, uint64_t first,
                                uint64_t second, struct rk_merkle_proof *proof);

/* Verifies that leaf_hash is leaf index of the tree of size leaves with root, following RFC 9162
 * §2.1.3.2 step by step. Returns RK_OK or RK_EPROOF (any mismatch, index >= size, a proof of
 * the wrong length). */
int rk_merkle_verify_inclusion(uint64_t index, uint64_t size,
                               const uint8_t leaf_hash[RK_MERKLE_HASH_LEN],
                               const struct rk_merkle_proof *proof,
                               const uint8_t root[RK_MERKLE_HASH_LEN]);

/* Verifies that the tree of second leaves with second_root extends the tree of first leaves
 * with first_root, following RFC 9162 §2.1.4.2 for 0 < first < second. The edge cases the RFC
 * leaves out: first == second needs an empty proof and equal roots; first == 0 needs an empty
 * proof and first_root equal to the empty-tree hash (the only root a tree of 0 leaves has).
 * Returns RK_OK or RK_EPROOF (also for first > second). */
int rk_merkle_verify_consistency(uint64_t first, uint64_t second,
                                 const uint8_t first_root[RK_MERKLE_HASH_LEN],
                                 const uint8_t second_root[RK_MERKLE_HASH_LEN],
                                 const struct rk_merkle_proof *proof);

/* ---- JSON forms (docs/audit-log.md). Hashes are lowercase hex, 64 characters. ---- */

/* Writes the 64 lowercase hex digits of h and a terminator to out. */
void rk_merkle_hex(const uint8_t h[RK_MERKLE_HASH_LEN], char out[2 * RK_MERKLE_HASH_LEN + 1]);

/* Parses exactly 64 lowercase hex digits. Returns RK_OK or RK_EPARSE. */
int rk_merkle_unhex(const char *s, size_t len, uint8_t out[RK_MERKLE_HASH_LEN]);

/* {"leaf_index": index, "tree_size": size, "inclusion_path": ["hex", ...]}. Returns a new
 * reference (caller json_decref) or NULL when out of memory or a number exceeds 2^53 - 1. */
json_t *rk_merkle_inclusion_to_json(uint64_t index, uint64_t size,
                                    const struct rk_merkle_proof *proof);

/* Strict inverse of rk_merkle_inclusion_to_json: exactly those three keys, integers in
 * [0, 2^53 - 1], at most RK_MERKLE_MAX_PROOF well-formed hashes. Returns RK_OK, RK_EPARSE (shape,
 * types, hex) or RK_ERANGE (numbers, too many hashes). The proof is not verified here. */
int rk_merkle_inclusion_from_json(const json_t *j, uint64_t *index, uint64_t *size,
                                  struct rk_merkle_proof *proof);

/* {"first": first, "second": second, "consistency_path": ["hex", ...]}; as above. */
json_t *rk_merkle_consistency_to_json(uint64_t first, uint64_t second,
                                      const struct rk_merkle_proof *proof);

/* Strict inverse of rk_merkle_consistency_to_json, same rules as the inclusion parser. */
int rk_merkle_consistency_from_json(const json_t *j, uint64_t *first, uint64_t *second,
                                    struct rk_merkle_proof *proof);

#endif
