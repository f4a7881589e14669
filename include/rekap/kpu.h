/* Parser for the KPU portal's per-TPS result JSON (sirekap-obj-data, DOMAIN.md 4.1/4.2):
 *   {"chart": {"null": null, "100025": 202, ...}, "images": [...],
 *    "administrasi": {"pemilih_dpt_j": 293, ..., "pengguna_non_dpt_j": 4, ...,
 *                     "suara_sah": 247, "suara_tidak_sah": 6, "suara_total": 253},
 *    "psu": null, "ts": "...", "status_suara": true, "status_adm": true}
 * Pilkada 2024 nests chart and administrasi under "tungsura". The portal's numbers become a
 * partial C.Hasil document (no ballot or disability fields exist there) so the same validator
 * checks them. The input is untrusted third-party data: every value is type- and range-checked,
 * unknown keys are ignored (the portal adds fields), known keys with wrong types are errors. */
#ifndef REKAP_KPU_H
#define REKAP_KPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/chasil.h"

#define RK_KPU_DOC_MAX (1u << 20) /* a TPS document is ~1 KiB; refuse over 1 MiB */
#define RK_KPU_VALUE_MAX 1000000u  /* portal values over 999 are kept for the validator to flag;
                                      beyond this the document is refused */

enum rk_kpu_state {
    RK_KPU_EMPTY = 0,   /* not yet uploaded: neither votes nor administration data */
    RK_KPU_PARTIAL = 1, /* only one of votes (chart) and administration data */
    RK_KPU_FULL = 2,    /* both */
};

struct rk_kpu_opts {
    const char *tps_code;   /* the TPS (e.g. from the file name); NULL: from the image URLs */
    const char *election;   /* slug for the document; NULL: "pemilu2024" */
    int64_t race_id;        /* 0 when the race is not in a store */
    const int64_t *cand_ids;/* candidate ids in ballot order; NULL: ascending id order, which is
                               ballot order for the 2024 presidential race (100025..100027) */
    int n_cand;
    bool kolom_kosong;      /* the last of cand_ids is the kolom kosong */
};

struct rk_kpu_error {
    char where[48];    /* the key the error is about, "" if none */
    char message[160]; /* English */
};

/* Parses one per-TPS document of len bytes into doc (identity from opts, fields present only
 * where the portal has them; chart candidates map to suara_paslon_1..n and pengguna_non_dpt_*
 * to pengguna_dpk_*) and reports how complete the upload is in *state. opts may be NULL.
 * doc->n_paslon is the candidate list's length, else the chart's, else 0 (unknown).
 * Returns RK_OK (also for a not-yet-uploaded document: *state = RK_KPU_EMPTY), RK_ETOOBIG,
 * RK_EPARSE (not JSON), RK_EINVAL (wrong shape or types, no usable TPS code, a chart with
 * fewer than 2 or more than 6 candidates or ids not in opts), RK_ERANGE (negative or huge
 * values). */
int rk_kpu_parse_tps(const char *json, size_t len, const struct rk_kpu_opts *opts,
                     struct rk_chasil *doc, enum rk_kpu_state *state, struct rk_kpu_error *err);

#endif
