/* Tally folding: an open-addressed table of (race, region) -> summed delta, with a list of
 * the slots the current job touched so a rolled-back job can be undone. Fixed capacity: when
 * it is three quarters full, further deltas are written directly by the caller. */
#include "store/fold.h"
#include "rekap/hash.h"
#include "rekap/region.h"

#include <stdlib.h>
#include <string.h>

#define FOLD_SLOTS 4096u /* power of two */
#define FOLD_LIMIT (FOLD_SLOTS / 4u * 3u)

struct slot {
    int64_t race_id;
    char code[RK_CODE_MAX + 1];
    bool used, dirty;
    struct rk_tally sum, pending;
};

struct rk_tally_fold {
    struct slot slots[FOLD_SLOTS];
    uint32_t order[FOLD_LIMIT]; /* used slots, in insertion order */
    uint32_t n_used;
    uint32_t touched[FOLD_LIMIT]; /* slots with pending deltas */
    uint32_t n_touched;
};

struct rk_tally_fold *rk_fold_new(void)
{
    return calloc(1, sizeof(struct rk_tally_fold));
}

void rk_fold_free(struct rk_tally_fold *f)
{
    free(f);
}

static uint32_t hash(int64_t race_id, const char *code)
{
    uint64_t h = rk_hash_str((uint64_t)race_id, code);
    return (uint32_t)(h ^ (h >> 32));
}

bool rk_fold_add(struct rk_tally_fold *f, int64_t race_id, const char *code,
                 const struct rk_tally *delta)
{
    if (strlen(code) > RK_CODE_MAX) return false;
    uint32_t i = hash(race_id, code) & (FOLD_SLOTS - 1);
    for (;; i = (i + 1) & (FOLD_SLOTS - 1)) {
        struct slot *s = &f->slots[i];
        if (!s->used) {
            if (f->n_used >= FOLD_LIMIT) return false;
            s->used = true;
            s->race_id = race_id;
            strcpy(s->code, code);
            rk_tally_zero(&s->sum);
            rk_tally_zero(&s->pending);
            f->order[f->n_used++] = i;
        } else if (s->race_id != race_id || strcmp(s->code, code) != 0) {
            continue;
        }
        if (!s->dirty) {
            s->dirty = true;
            f->touched[f->n_touched++] = i;
        }
        rk_tally_add(&s->pending, delta, 1);
        return true;
    }
}

void rk_fold_accept(struct rk_tally_fold *f)
{
    for (uint32_t k = 0; k < f->n_touched; k++) {
        struct slot *s = &f->slots[f->touched[k]];
        rk_tally_add(&s->sum, &s->pending, 1);
        rk_tally_zero(&s->pending);
        s->dirty = false;
    }
    f->n_touched = 0;
}

void rk_fold_drop(struct rk_tally_fold *f)
{
    /* A slot created by the dropped job stays, with a zero sum that rk_fold_each skips. */
    for (uint32_t k = 0; k < f->n_touched; k++) {
        struct slot *s = &f->slots[f->touched[k]];
        rk_tally_zero(&s->pending);
        s->dirty = false;
    }
    f->n_touched = 0;
}

int rk_fold_each(const struct rk_tally_fold *f,
                 int (*write)(void *ctx, int64_t race_id, const char *code,
                              const struct rk_tally *sum),
                 void *ctx)
{
    for (uint32_t k = 0; k < f->n_used; k++) {
        const struct slot *s = &f->slots[f->order[k]];
        if (rk_tally_is_zero(&s->sum)) continue;
        int rc = write(ctx, s->race_id, s->code, &s->sum);
        if (rc != 0) return rc;
    }
    return 0;
}

void rk_fold_clear(struct rk_tally_fold *f)
{
    for (uint32_t k = 0; k < f->n_used; k++)
        f->slots[f->order[k]].used = f->slots[f->order[k]].dirty = false;
    f->n_used = f->n_touched = 0;
}
