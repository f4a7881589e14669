/* Token-bucket rate limiting keyed by short strings (an IP address, a username, a device key).
 * A fixed table: memory never grows with the number of clients, and a flood of new keys only
 * evicts the idlest buckets. Keys are hashed with a secret key (SipHash via libsodium) so an
 * attacker cannot aim many keys at one slot. Not thread-safe: the caller locks. */
#ifndef REKAP_RATELIMIT_H
#define REKAP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RK_RATELIMIT_KEY_MAX 63

struct rk_ratelimit_slot {
    uint64_t hash;
    char key[RK_RATELIMIT_KEY_MAX + 1];
    double tokens;
    int64_t last_ms;
};

struct rk_ratelimit {
    struct rk_ratelimit_slot *slots;
    size_t n;
    double rate;  /* tokens added per second */
    double burst; /* bucket size */
    uint8_t secret[16];
};

/* Allocates n slots (1..1<<24). rate > 0 tokens/s, burst >= 1. secret keys the hash (16 bytes
 * of randomness from the caller). Returns RK_OK, RK_EINVAL or RK_ENOMEM. */
int rk_ratelimit_init(struct rk_ratelimit *rl, size_t n, double rate, double burst,
                      const uint8_t secret[16]);

void rk_ratelimit_free(struct rk_ratelimit *rl);

/* Takes cost tokens from key's bucket at now_ms. Returns true when allowed; when refused,
 * *retry_ms (may be NULL) gets how long until cost tokens are available. Keys longer than
 * RK_RATELIMIT_KEY_MAX are truncated (still hashed whole). */
bool rk_ratelimit_take(struct rk_ratelimit *rl, const char *key, size_t len, int64_t now_ms,
                       double cost, int64_t *retry_ms);

#endif
