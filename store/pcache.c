/* SQLite's default page cache, wrapped to skip the truncations that cannot remove anything.
 *
 * Why: at the end of every write transaction SQLite truncates the connection's page cache to
 * the database's size. Its cache (pcache1) decides whether that has work to do from the
 * largest page number it held since its last truncation, and when that lies far above the
 * limit it walks its whole hash table, touching every cached page. A B-tree page split
 * (balance_nonroot) swaps the new pages' numbers through a temporary one, the 1 GiB lock page
 * (262,145 with 4 KiB pages), so in any database under 1 GiB every commit that split a page
 * walked the writer's whole 128 MB cache: ~8 % of a national night's CPU samples, on the one
 * writer thread every upload waits for (docs/benchmarks.md).
 *
 * The wrapper remembers, per cache, the page numbers at or above the last truncation's limit
 * that entered the cache since (created by a fetch or given by a renumbering), and passes a
 * truncation on only when one of them is at or above the new limit, when the limit went down,
 * or when it lost count. A page number can only enter a cache through xFetch with create or
 * through xRekey, so a skipped truncation never leaves behind a page it had to remove (which
 * matters after a rollback: a stale page past the end would be reused as it was). */
#include "store/pcache.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* Page numbers tracked per cache between truncations: a commit appends a few dozen pages; past
 * this the next truncation is simply passed on. */
#define TRACK_MAX 256

struct wcache {
    sqlite3_pcache *inner;
    unsigned limit; /* the last truncation's limit */
    bool exact;     /* every page numbered limit or more is in keys[] (false before the first
                       truncation and after an overflow) */
    unsigned n;
    unsigned keys[TRACK_MAX];
};

static sqlite3_pcache_methods2 inner;
static atomic_uint_fast64_t n_passed, n_skipped;

static struct wcache *W(sqlite3_pcache *p)
{
    return (struct wcache *)(void *)p;
}

static void track(struct wcache *w, unsigned key)
{
    if (!w->exact || key < w->limit)
        return;
    for (unsigned i = 0; i < w->n; i++)
        if (w->keys[i] == key)
            return;
    if (w->n == TRACK_MAX)
        w->exact = false;
    else
        w->keys[w->n++] = key;
}

static void untrack(struct wcache *w, unsigned key)
{
    for (unsigned i = 0; i < w->n; i++)
        if (w->keys[i] == key) {
            w->keys[i] = w->keys[--w->n];
            return;
        }
}

static int w_init(void *arg)
{
    (void)arg;
    return inner.xInit ? inner.xInit(inner.pArg) : SQLITE_OK;
}

static void w_shutdown(void *arg)
{
    (void)arg;
    if (inner.xShutdown)
        inner.xShutdown(inner.pArg);
}

static sqlite3_pcache *w_create(int page_size, int extra, int purgeable)
{
    struct wcache *w = sqlite3_malloc((int)sizeof *w);
    if (!w)
        return NULL;
    w->inner = inner.xCreate(page_size, extra, purgeable);
    if (!w->inner) {
        sqlite3_free(w);
        return NULL;
    }
    w->limit = 0;
    w->exact = false;
    w->n = 0;
    return (sqlite3_pcache *)(void *)w;
}

static void w_cachesize(sqlite3_pcache *p, int n)
{
    inner.xCachesize(W(p)->inner, n);
}

static int w_pagecount(sqlite3_pcache *p)
{
    return inner.xPagecount(W(p)->inner);
}

static sqlite3_pcache_page *w_fetch(sqlite3_pcache *p, unsigned key, int create)
{
    struct wcache *w = W(p);
    sqlite3_pcache_page *pg = inner.xFetch(w->inner, key, create);
    if (pg && create)
        track(w, key); /* a page found rather than made is tracked too: harmless */
    return pg;
}

static void w_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
    inner.xUnpin(W(p)->inner, pg, discard);
}

static void w_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned old_key, unsigned key)
{
    struct wcache *w = W(p);
    inner.xRekey(w->inner, pg, old_key, key);
    untrack(w, old_key);
    track(w, key);
}

static void w_truncate(sqlite3_pcache *p, unsigned limit)
{
    struct wcache *w = W(p);
    bool pass = !w->exact || limit < w->limit;
    for (unsigned i = 0; i < w->n && !pass; i++)
        pass = w->keys[i] >= limit;
    if (pass) {
        inner.xTruncate(w->inner, limit);
        atomic_fetch_add_explicit(&n_passed, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&n_skipped, 1, memory_order_relaxed);
    }
    /* Either way no page numbered limit or more is left: start counting afresh from it. */
    w->limit = limit;
    w->n = 0;
    w->exact = true;
}

static void w_destroy(sqlite3_pcache *p)
{
    struct wcache *w = W(p);
    inner.xDestroy(w->inner);
    sqlite3_free(w);
}

static void w_shrink(sqlite3_pcache *p)
{
    if (inner.xShrink)
        inner.xShrink(W(p)->inner);
}

static int installed = -1;

static void do_install(void)
{
    /* Both calls fail with SQLITE_MISUSE once SQLite is initialised: then nothing changes. */
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK || !inner.xCreate ||
        !inner.xFetch || !inner.xTruncate)
        return;
    /* SQLite keeps its own copy of the methods */
    sqlite3_pcache_methods2 wrapped = {
        .iVersion = 1,         .pArg = NULL,         .xInit = w_init,
        .xShutdown = w_shutdown, .xCreate = w_create, .xCachesize = w_cachesize,
        .xPagecount = w_pagecount, .xFetch = w_fetch, .xUnpin = w_unpin,
        .xRekey = w_rekey,     .xTruncate = w_truncate, .xDestroy = w_destroy,
        .xShrink = w_shrink,
    };
    if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapped) == SQLITE_OK)
        installed = 0;
}

int rk_pcache_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, do_install);
    return installed;
}

void rk_pcache_counts(uint64_t *passed, uint64_t *skipped)
{
    *passed = atomic_load(&n_passed);
    *skipped = atomic_load(&n_skipped);
}
