/* Token buckets in a small open-addressed table; see ratelimit.h for why it is shaped so. */
#include "rekap/ratelimit.h"
#include "rekap/status.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 8

int rk_ratelimit_init(struct rk_ratelimit *rl, size_t n, double rate, double burst,
                      const uint8_t secret[16])
{
    memset(rl, 0, sizeof *rl);
    if (n == 0 || n > ((size_t)1 << 24) || !(rate > 0) || !(burst >= 1))
        return RK_EINVAL;
    rl->slots = calloc(n, sizeof *rl->slots);
    if (!rl->slots)
        return RK_ENOMEM;
    rl->n = n;
    rl->rate = rate;
    rl->burst = burst;
    memcpy(rl->secret, secret, 16);
    return RK_OK;
}

void rk_ratelimit_free(struct rk_ratelimit *rl)
{
    free(rl->slots);
    memset(rl, 0, sizeof *rl);
}

static void refill(const struct rk_ratelimit *rl, struct rk_ratelimit_slot *s, int64_t now_ms)
{
    if (now_ms > s->last_ms) {
        s->tokens += (double)(now_ms - s->last_ms) / 1000.0 * rl->rate;
        if (s->tokens > rl->burst)
            s->tokens = rl->burst;
        s->last_ms = now_ms;
    }
}

bool rk_ratelimit_take(struct rk_ratelimit *rl, const char *key, size_t len, int64_t now_ms,
                       double cost, int64_t *retry_ms)
{
    uint8_t h[8];
    crypto_shorthash(h, (const unsigned char *)key, len, rl->secret);
    uint64_t hash;
    memcpy(&hash, h, 8);
    hash |= 1; /* 0 marks an empty slot */
    size_t klen = len > RK_RATELIMIT_KEY_MAX ? RK_RATELIMIT_KEY_MAX : len;
    struct rk_ratelimit_slot *victim = NULL;
    double victim_fill = -1;
    struct rk_ratelimit_slot *s = NULL;
    for (size_t i = 0; i < PROBES; i++) {
        struct rk_ratelimit_slot *c = &rl->slots[(hash + i) % rl->n];
        if (c->hash == hash && strncmp(c->key, key, klen) == 0 && c->key[klen] == '\0') {
            s = c;
            break;
        }
        if (c->hash == 0) {
            if (!victim || victim_fill < rl->burst * 2) {
                victim = c;
                victim_fill = rl->burst * 2; /* an empty slot beats any bucket */
            }
            continue;
        }
        /* The fullest bucket is the idlest client: evicting it forgives the least. */
        refill(rl, c, now_ms);
        if (c->tokens > victim_fill) {
            victim = c;
            victim_fill = c->tokens;
        }
    }
    if (!s) {
        s = victim;
        s->hash = hash;
        memcpy(s->key, key, klen);
        s->key[klen] = '\0';
        s->tokens = rl->burst;
        s->last_ms = now_ms;
    }
    refill(rl, s, now_ms);
    if (s->tokens >= cost) {
        s->tokens -= cost;
        return true;
    }
    if (retry_ms)
        *retry_ms = (int64_t)((cost - s->tokens) / rl->rate * 1000.0) + 1;
    return false;
}
