/* Registry cache: one open-addressed table under one mutex; values are malloc'd copies. The
 * critical sections are a hash probe and a memcpy, tiny next to the B-tree walks they save. */
#include "store/regcache.h"
#include "rekap/hash.h"
#include "store/store.h"
#include "rekap/status.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 24
/* The most entries a warm-up may grow the table to (~1.3 GB at ~380 bytes an entry). */
#define REGCACHE_HARD_MAX ((size_t)1 << 22)

struct entry {
    uint64_t hash;
    uint8_t kind; /* 0 = empty */
    char key[KEY_MAX];
    uint32_t len;
    void *val;
};

struct rk_regcache {
    pthread_mutex_t mu;
    int64_t gen;
    size_t n, max, mask;
    struct entry *slots;
    long long hits, misses, clears;
};

int rk_regcache_new(size_t max_entries, struct rk_regcache **out)
{
    *out = NULL;
    if (max_entries < 16 || max_entries > ((size_t)1 << 24)) return RK_EINVAL;
    size_t cap = 32;
    while (cap < max_entries * 2)
        cap *= 2; /* at most half full: short probes */
    struct rk_regcache *c = calloc(1, sizeof *c);
    if (!c || !(c->slots = calloc(cap, sizeof *c->slots))) {
        free(c);
        return RK_ENOMEM;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->gen = -1;
    c->max = max_entries;
    c->mask = cap - 1;
    *out = c;
    return RK_OK;
}

static void clear_locked(struct rk_regcache *c)
{
    for (size_t i = 0; i <= c->mask; i++)
        if (c->slots[i].kind) {
            free(c->slots[i].val);
            memset(&c->slots[i], 0, sizeof c->slots[i]);
        }
    c->n = 0;
    c->clears++;
}

void rk_regcache_free(struct rk_regcache *c)
{
    if (!c) return;
    clear_locked(c);
    pthread_mutex_destroy(&c->mu);
    free(c->slots);
    free(c);
}

void rk_regcache_stats(struct rk_regcache *c, long long *hits, long long *misses, long long *clears)
{
    pthread_mutex_lock(&c->mu);
    *hits = c->hits;
    *misses = c->misses;
    *clears = c->clears;
    pthread_mutex_unlock(&c->mu);
}

void rk_regcache_sync(struct rk_regcache *c, int64_t gen)
{
    pthread_mutex_lock(&c->mu);
    if (gen != c->gen) {
        if (c->n) clear_locked(c);
        c->gen = gen;
    }
    pthread_mutex_unlock(&c->mu);
}

static uint64_t hash(enum rk_regcache_kind kind, const char *key)
{
    uint64_t h = rk_hash_str((uint64_t)kind, key);
    return h ^ (h >> 29);
}

/* The slot holding (kind, key), or the empty slot where it would go. */
static struct entry *probe(struct rk_regcache *c, uint64_t h, enum rk_regcache_kind kind,
                           const char *key)
{
    for (size_t i = (size_t)h & c->mask;; i = (i + 1) & c->mask) {
        struct entry *e = &c->slots[i];
        if (!e->kind || (e->hash == h && e->kind == kind && strcmp(e->key, key) == 0)) return e;
    }
}

bool rk_regcache_get(struct rk_regcache *c, int64_t gen, enum rk_regcache_kind kind,
                     const char *key, void *out, size_t len)
{
    if (strlen(key) >= KEY_MAX) return false;
    uint64_t h = hash(kind, key);
    bool hit = false;
    pthread_mutex_lock(&c->mu);
    if (gen == c->gen) {
        struct entry *e = probe(c, h, kind, key);
        if (e->kind && e->len == len) {
            memcpy(out, e->val, len);
            hit = true;
        }
    }
    if (hit)
        c->hits++;
    else
        c->misses++;
    pthread_mutex_unlock(&c->mu);
    return hit;
}

/* Moves every entry into slots (cap entries, zeroed) and makes it the table. */
static void rehash_locked(struct rk_regcache *c, struct entry *slots, size_t cap, size_t max)
{
    struct entry *old = c->slots;
    size_t old_cap = c->mask + 1;
    c->slots = slots;
    c->mask = cap - 1;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].kind) {
            size_t j = (size_t)old[i].hash & c->mask;
            while (slots[j].kind)
                j = (j + 1) & c->mask;
            slots[j] = old[i];
        }
    free(old);
    c->max = max;
}

/* Doubles the table (and the entry limit): the warm-up fills past the lazy limit. */
static bool grow_locked(struct rk_regcache *c)
{
    size_t cap = (c->mask + 1) * 2;
    if (c->max * 2 > REGCACHE_HARD_MAX) return false;
    struct entry *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    rehash_locked(c, slots, cap, c->max * 2);
    return true;
}

/* put (grow = false) or fill (grow = true): true when the value is (or already was) held. */
static bool store_value(struct rk_regcache *c, int64_t gen, enum rk_regcache_kind kind,
                        const char *key, const void *val, size_t len, bool grow)
{
    if (strlen(key) >= KEY_MAX || len == 0 || len > UINT32_MAX) return false;
    void *copy = malloc(len);
    if (!copy) return false;
    memcpy(copy, val, len);
    uint64_t h = hash(kind, key);
    bool held = false;
    pthread_mutex_lock(&c->mu);
    bool room = gen == c->gen;
    if (room && c->n >= c->max) {
        if (!grow)
            clear_locked(c);
        else
            room = grow_locked(c);
    }
    if (room) {
        struct entry *e = probe(c, h, kind, key);
        if (!e->kind) {
            e->hash = h;
            e->kind = (uint8_t)kind;
            strcpy(e->key, key);
            e->len = (uint32_t)len;
            e->val = copy;
            copy = NULL;
            c->n++;
        }
        held = true;
    }
    pthread_mutex_unlock(&c->mu);
    free(copy);
    return held;
}

void rk_regcache_put(struct rk_regcache *c, int64_t gen, enum rk_regcache_kind kind,
                     const char *key, const void *val, size_t len)
{
    (void)store_value(c, gen, kind, key, val, len, false);
}

bool rk_regcache_fill(struct rk_regcache *c, int64_t gen, enum rk_regcache_kind kind,
                      const char *key, const void *val, size_t len)
{
    return store_value(c, gen, kind, key, val, len, true);
}

void rk_regcache_reserve(struct rk_regcache *c, size_t more)
{
    pthread_mutex_lock(&c->mu);
    size_t need = c->n + more, max = c->max, cap = c->mask + 1, old_max = max;
    pthread_mutex_unlock(&c->mu);
    while (max < need && max * 2 <= REGCACHE_HARD_MAX) {
        max *= 2;
        cap *= 2;
    }
    if (max == old_max) return;
    /* Allocated and touched outside the lock: the page faults of a table of millions of slots
     * would otherwise stall every request thread's lookup behind it. */
    struct entry *slots = malloc(cap * sizeof *slots);
    if (!slots) return;
    memset(slots, 0, cap * sizeof *slots);
    pthread_mutex_lock(&c->mu);
    if (cap > c->mask + 1)
        rehash_locked(c, slots, cap, max);
    else
        free(slots);
    pthread_mutex_unlock(&c->mu);
}

size_t rk_regcache_size(struct rk_regcache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}
