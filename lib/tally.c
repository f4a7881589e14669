/* Tally arithmetic. Kept field-explicit rather than memcmp/loops over the struct so adding a
 * field is a compile-time-visible change everywhere it matters. */
#include "rekap/tally.h"

#include <string.h>

void rk_tally_zero(struct rk_tally *t)
{
    memset(t, 0, sizeof *t);
}

static int64_t val(const struct rk_chasil *doc, enum rk_chasil_field f)
{
    return rk_chasil_has(doc, f) ? (int64_t)doc->v[f] : 0;
}

void rk_tally_from_chasil(struct rk_tally *t, const struct rk_chasil *doc, bool has_flags,
                          bool approved)
{
    rk_tally_zero(t);
    for (int i = 0; i < RK_CANDIDATES_MAX && i < doc->n_paslon; i++)
        t->votes[i] = val(doc, (enum rk_chasil_field)(RK_F_SUARA_PASLON_1 + i));
    t->sah = val(doc, RK_F_SUARA_SAH);
    t->tidak_sah = val(doc, RK_F_SUARA_TIDAK_SAH);
    t->total = val(doc, RK_F_SUARA_TOTAL);
    t->pengguna = val(doc, RK_F_PENGGUNA_TOTAL_J);
    t->dpt = val(doc, RK_F_PEMILIH_DPT_J);
    t->received = 1;
    t->flagged = has_flags;
    t->approved = approved;
}

void rk_tally_add(struct rk_tally *acc, const struct rk_tally *t, int sign)
{
    for (int i = 0; i < RK_CANDIDATES_MAX; i++)
        acc->votes[i] += sign * t->votes[i];
    acc->sah += sign * t->sah;
    acc->tidak_sah += sign * t->tidak_sah;
    acc->total += sign * t->total;
    acc->pengguna += sign * t->pengguna;
    acc->dpt += sign * t->dpt;
    acc->received += sign * t->received;
    acc->flagged += sign * t->flagged;
    acc->approved += sign * t->approved;
}

void rk_tally_diff(struct rk_tally *out, const struct rk_tally *a, const struct rk_tally *b)
{
    struct rk_tally d = *a;
    rk_tally_add(&d, b, -1);
    *out = d;
}

bool rk_tally_equal(const struct rk_tally *a, const struct rk_tally *b)
{
    struct rk_tally d;
    rk_tally_diff(&d, a, b);
    return rk_tally_is_zero(&d);
}

bool rk_tally_is_zero(const struct rk_tally *t)
{
    for (int i = 0; i < RK_CANDIDATES_MAX; i++)
        if (t->votes[i])
            return false;
    return !t->sah && !t->tidak_sah && !t->total && !t->pengguna && !t->dpt && !t->received &&
           !t->flagged && !t->approved;
}
