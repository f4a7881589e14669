/* Loading a D.Hasil recap document from the store: everything the pure builder (rekap/dhasil.h)
 * needs — race, election, candidates, the region and its ancestors' names, its stored tally and
 * TPS count, and one row per child region (per TPS for a kecamatan) — in one call, so the CLI
 * and the HTTP server (GET /api/races/{id}/regions/{code}/dhasil.{json,pdf}) share the queries. */
#ifndef REKAP_STORE_DHASIL_H
#define REKAP_STORE_DHASIL_H

#include "rekap/dhasil.h"
#include "store/store.h"

/* Loads and checks (rk_dhasil_finish) the D.Hasil of race race_id over region code (canonical,
 * "" = national) into d (initialised with rk_dhasil_init; previous rows are dropped, d keeps
 * its allocation until rk_dhasil_free). generated_ms is the caller's clock; data_ref the text
 * for the footer, or NULL to describe the latest signed tree head of the transparency log.
 * Returns RK_OK or, with err filled (both languages, ready for a user):
 *   RK_ENOTFOUND  no such race or region;
 *   RK_EINVAL     the region lies outside the race or is not a recap level (desa, TPS), or the
 *                 race's candidate list is incomplete;
 *   RK_EVALIDATION / RK_ERANGE  the stored tallies do not add up (corrupt; nothing to print);
 *   RK_ETOOBIG    more than RK_DHASIL_ROWS_MAX rows;
 *   RK_EDB, RK_ENOMEM. */
int rk_store_dhasil_load(struct rk_store *s, int64_t race_id, const char *code,
                         int64_t generated_ms, const char *data_ref, struct rk_dhasil *d,
                         struct rk_dhasil_error *err);

#endif
