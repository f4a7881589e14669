/* The race a printed form's QR code names (election slug, race kind, race region), looked up
 * in the store: what `rekap read` and POST /api/read need to know how many candidate columns
 * the form has and which race id its numbers belong to. */
#ifndef REKAP_STORE_FORM_RACE_H
#define REKAP_STORE_FORM_RACE_H

#include "rekap/form.h"
#include "store/store.h"

/* Finds the race of q (kind and region in election q->election) covering TPS q->tps, with its
 * candidate count in *ncand. Returns RK_OK, RK_ENOTFOUND (no such election, TPS or race) or a
 * store error. */
int rk_store_form_race(struct rk_store *s, const struct rk_form_qr *q, struct rk_race *race,
                       int *ncand);

#endif
