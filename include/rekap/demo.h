/* Demo election generator: a realistic Pilkada (region tree, TPS with registered voters, one
 * governor race per province, one bupati/walikota race per kab/kota, 2-6 pairs or a single pair
 * against kolom kosong), seeded and reproducible. Sizes follow the real 2024 figures: the real
 * number of kab/kota, kecamatan and desa per province (Kemendagri 2025), about 5.2 TPS per desa,
 * about 450 voters per TPS (max 600), 37 governor races (DIY has none), 508 kab/kota races (DKI
 * Jakarta's kab/kota are administrative), about 7% single-candidate races. Names are generated.
 *
 * Each province uses its own random stream derived from (seed, province code), so a one-province
 * demo is exactly that province of the national demo. */
#ifndef REKAP_DEMO_H
#define REKAP_DEMO_H

#include <stdint.h>

#include "rekap/election.h"

#define RK_DEMO_PROVINCES 38

struct rk_demo_opts {
    uint64_t seed;
    /* Province codes to generate ("61"); n_provinces == 0 means the default single province. */
    const char *const *provinces;
    int n_provinces;
    /* 0 < scale <= 1 shrinks kecamatan and desa counts (tests); 0 means 1. */
    double scale;
};

/* Receives what the generator makes, in parent-before-child order. Each callback returns RK_OK
 * to go on or a status to stop the generation with. race() gets the race with id 0 and its
 * candidates with race_id 0: the sink assigns ids. */
struct rk_demo_sink {
    void *ud;
    int (*election)(void *ud, struct rk_election *e);
    int (*region)(void *ud, const struct rk_region *r);
    int (*race)(void *ud, struct rk_race *r, struct rk_candidate *c, int n);
};

/* Writes the 38 real province codes, in order, into codes (static strings). Returns 38. */
int rk_demo_province_codes(const char *codes[RK_DEMO_PROVINCES]);

/* The province a default demo generates (a mid-sized one). */
const char *rk_demo_default_province(void);

/* Generates the election. Returns RK_OK, RK_EINVAL (unknown province code, bad scale) or the
 * first non-OK status a sink callback returned. */
int rk_demo_generate(const struct rk_demo_opts *opts, const struct rk_demo_sink *sink);



#include "rekap/chasil.h"

/* Fills doc with a plausible, rule-abiding C.Hasil for one TPS and race: turnout 55-90% of
 * its DPT, a few DPTb/DPK voters, 2.5% spare ballots, 1-4% invalid votes, votes split by
 * per-race candidate strengths (derived from race_id, so neighbouring TPS lean the same way).
 * Deterministic in (seed, tps, race_id). n_paslon counts the kolom kosong column when
 * kolom_kosong. Returns RK_OK or RK_EINVAL (bad code, columns or DPT over the Pilkada cap). */
int rk_demo_chasil(uint64_t seed, const char *election, const char *tps, int64_t race_id,
                   int n_paslon, bool kolom_kosong, uint32_t dpt_l, uint32_t dpt_p,
                   struct rk_chasil *doc);

#endif
