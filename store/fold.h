/* Tally folding for group commit (private to store/). A batch of a few hundred uploads from
 * one province touches the same national, province and regency tally rows hundreds of times;
 * summing the deltas in memory and writing each row once before the commit turns five
 * UPSERTs per upload into a handful per batch. */
#ifndef REKAP_STORE_FOLD_H
#define REKAP_STORE_FOLD_H

#include "rekap/tally.h"

#include <stdbool.h>
#include <stdint.h>

struct rk_tally_fold;

/* Allocates an empty fold (about 1 MiB); NULL when out of memory. */
struct rk_tally_fold *rk_fold_new(void);
void rk_fold_free(struct rk_tally_fold *f);

/* Adds delta to the pending sum of (race_id, code). Returns false when the fold is full: the
 * caller then writes that delta itself (always correct, only slower). */
bool rk_fold_add(struct rk_tally_fold *f, int64_t race_id, const char *code,
                 const struct rk_tally *delta);

/* Savepoint semantics for one job: accept folds the pending deltas into the batch's sums;
 * drop forgets them (the job was rolled back). */
void rk_fold_accept(struct rk_tally_fold *f);
void rk_fold_drop(struct rk_tally_fold *f);

/* Calls write(ctx, race_id, code, sum) for every accepted non-zero sum, in insertion order,
 * stopping at the first status other than 0 and returning it. Does not clear. */
int rk_fold_each(const struct rk_tally_fold *f,
                 int (*write)(void *ctx, int64_t race_id, const char *code,
                              const struct rk_tally *sum),
                 void *ctx);

/* Forgets everything (pending and accepted). */
void rk_fold_clear(struct rk_tally_fold *f);

#endif
