/* Parser for the KPU Pilkada portal's candidate-pair JSON (paslon/pkwkp.json keyed by province
 * code, pkwkk.json keyed by kab/kota code):
 *   {"1101": {"1000105": {"nama": "...", "warna": "#B67352", "nomor_urut": 1, "ts": "..."}}}
 * Each region key becomes one race; the file is untrusted input and every field is checked. */
#ifndef REKAP_PASLON_H
#define REKAP_PASLON_H

#include <stddef.h>

#include "rekap/election.h"

#define RK_PASLON_FILE_MAX (64u << 20) /* refuse files over 64 MiB */

struct rk_paslon_race {
    char region_code[RK_CODE_MAX + 1];
    enum rk_race_kind kind;
    int n;
    struct rk_candidate cand[RK_CANDIDATES_MAX];
};

struct rk_paslon_error {
    int line;          /* JSON syntax errors: line in the file; 0 otherwise */
    char where[64];    /* region key / candidate id the error is about, "" if none */
    char message[160]; /* English */
};

/* Parses json[0..len) and calls fn once per race, in file order, with candidates sorted by
 * ballot number. Stops at the first error (syntax or semantics, with err filled) or when fn
 * returns non-zero (that value is returned). Returns RK_OK, RK_EPARSE, RK_EINVAL, RK_ETOOBIG. */
int rk_paslon_parse(const char *json, size_t len,
                    int (*fn)(void *ud, const struct rk_paslon_race *race), void *ud,
                    struct rk_paslon_error *err);

#endif
