/* Registry cache (private to store/): the read-mostly rows every upload looks up (device key,
 * account, race, election, candidates, TPS) kept in memory for all of a server's store
 * handles. SQLite throws away a connection's page cache whenever another connection has
 * committed, which on election night is hundreds of times a second, so without this each
 * upload re-reads the same B-tree pages from the kernel. The public results pages use it too,
 * for the number of TPS expected in each region (a count over the region's subtree). Exactness
 * comes from a generation number in the database that triggers bump on every change to those tables
 * (migration 6): an entry is only ever served to a reader whose snapshot has the generation it was
 * read at. */
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

#endif
