/* Result tallies: the numbers that add up the hierarchy. One struct serves a single TPS (one
 * version of its C.Hasil) and any region (the sum over its TPS), so recapitulation at every
 * level is the same addition, applied incrementally as a difference when a TPS's current version
 * changes. Pure arithmetic; storage lives in store/. */
#ifndef REKAP_TALLY_H
#define REKAP_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#include "rekap/chasil.h"

struct rk_tally {
    int64_t votes[RK_CANDIDATES_MAX]; /* by ballot number - 1 (kolom kosong included) */
    int64_t sah, tidak_sah, total;    /* section V */
    int64_t pengguna;                 /* voters who voted, B4 (J) */
    int64_t dpt;                      /* registered voters written on the form, A (J) */
    /* Progress, in TPS: a region sums its TPS; a TPS row is 0 or 1 in each. */
    int64_t received, flagged, approved;
};

/* Zeroes t. */
void rk_tally_zero(struct rk_tally *t);

/* Fills t with one TPS's numbers from doc (absent fields count 0); received = 1, flagged =
 * has_flags, approved = approved. */
void rk_tally_from_chasil(struct rk_tally *t, const struct rk_chasil *doc, bool has_flags,
                          bool approved);

/* acc += sign * t, field by field (sign is +1 or -1). */
void rk_tally_add(struct rk_tally *acc, const struct rk_tally *t, int sign);

/* out = a - b. */
void rk_tally_diff(struct rk_tally *out, const struct rk_tally *a, const struct rk_tally *b);

/* True when every field is equal. */
bool rk_tally_equal(const struct rk_tally *a, const struct rk_tally *b);

/* True when every field is 0 (a difference that changes nothing). */
bool rk_tally_is_zero(const struct rk_tally *t);

#endif
