/* A thin wrapper around SQLite's own page cache that skips truncations with nothing to do
 * (store/pcache.c). Private to store/. */
#ifndef REKAP_STORE_PCACHE_H
#define REKAP_STORE_PCACHE_H

#include <stdint.h>

/* Installs the wrapper once per process, before SQLite initialises; thread-safe. Returns 0,
 * or -1 when SQLite was already initialised by someone else (it then keeps its own cache,
 * which is correct, only slower for a big writer). */
int rk_pcache_install(void);

/* Truncations passed on to SQLite's cache and those skipped as empty, since install. */
void rk_pcache_counts(uint64_t *passed, uint64_t *skipped);

#endif
