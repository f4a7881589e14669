/* A small non-cryptographic string hash (FNV-1a, 64-bit) for in-memory tables: the result
 * cache, the registry cache, the tally fold, the audit's and export's indexes. Not for
 * anything an adversary could aim at where collisions would cost more than a longer probe. */
#ifndef REKAP_HASH_H
#define REKAP_HASH_H

#include <stdint.h>

/* FNV-1a of the NUL-terminated s, starting from the offset basis XOR seed (a number the key
 * has besides the string, e.g. a race id; 0 for none). */
static inline uint64_t rk_hash_str(uint64_t seed, const char *s)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

#endif
