/* Registry cache (private to store/): the read-mostly rows every upload looks up (device key,
 * account, race, election, candidates, TPS) kept in memory for all of a server's store
 * handles. SQLite throws away a connection's page cache whenever another connection has
 * committed, which on election night is hundreds of times a second, so without this each
 * upload re-reads the same B-tree pages from the kernel. The public results pages use it too,
 * for the number of TPS expected in each region (a count over the region's subtree). Exactness
 * comes from a generation number in the database that triggers bump on every change to those tables
 * (migration 6): an entry is only ever served to a reader whose snapshot has the generation it was
 * read at. A server warms it at start with every TPS, account and device key
 * (rk_store_warm_cache), since an upload's own rows are each looked up once and a lazily
 * filled cache never hits on them. */
#ifndef REKAP_STORE_REGCACHE_H
#define REKAP_STORE_REGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rk_regcache;

enum rk_regcache_kind {
    RK_RC_RACE = 1,
    RK_RC_ELECTION,
    RK_RC_CANDIDATES,
    RK_RC_REGION,
    RK_RC_USER,
    RK_RC_DEVICE,
    RK_RC_COUNTS, /* regions per level in a subtree */
};

/* Brings the cache to generation gen: a different generation empties it first. */
void rk_regcache_sync(struct rk_regcache *c, int64_t gen);

/* Copies the value stored for (kind, key) at generation gen into out (len bytes, which must be
 * the stored length); false on a miss. */
bool rk_regcache_get(struct rk_regcache *c, int64_t gen, enum rk_regcache_kind kind,
                     const char *key, void *out, size_t len);

/* Stores a copy of val for (kind, key), read in a snapshot of generation gen; ignored when the
 * cache has moved to another generation meanwhile. A full cache is emptied first. */
void rk_regcache_put(struct rk_regcache *c, int64_t gen, enum rk_regcache_kind kind,
                     const char *key, const void *val, size_t len);

/* As put, for a warm-up (rk_store_warm_cache): a full cache grows (doubling, up to ~4 million
 * entries) instead of being emptied. true when the value is now held; false when the cache
 * moved to another generation, cannot grow or memory ran out (the warm-up then stops). */
bool rk_regcache_fill(struct rk_regcache *c, int64_t gen, enum rk_regcache_kind kind,
                      const char *key, const void *val, size_t len);

/* Grows the cache (as fill would) to hold at least more entries beyond those it holds, in
 * one go rather than by doubling under the fills: each growth rehashes under the lock that
 * every request thread's lookup takes. */
void rk_regcache_reserve(struct rk_regcache *c, size_t more);

/* Entries held now. */
size_t rk_regcache_size(struct rk_regcache *c);

#endif
