/* Elections, races and candidate pairs (paslon).
 *
 * Pilkada: one governor race per province and one bupati/walikota race per kab/kota, each with
 * 2..6 candidate pairs, or a single pair against the "kolom kosong" (empty column), which is
 * modelled as a pseudo-candidate with its own ballot number so forms and totals treat it like any
 * column. Pemilu: a presidential race over the whole country. */
#ifndef REKAP_ELECTION_H
#define REKAP_ELECTION_H

#include <stdint.h>
#include <stdbool.h>

#include "rekap/region.h"

#define RK_CANDIDATES_MAX 6   /* largest Pilkada 2024 race had 6 pairs */
#define RK_CANDIDATE_NAME_MAX 255
#define RK_ELECTION_SLUG_MAX 31

enum rk_election_kind {
    RK_ELECTION_PILKADA = 1,
    RK_ELECTION_PEMILU = 2,
};

enum rk_race_kind {
    RK_RACE_GOVERNOR = 1,  /* pkwkp: gubernur, per province */
    RK_RACE_REGENT = 2,    /* pkwkk: bupati, per kabupaten */
    RK_RACE_MAYOR = 3,     /* pkwkk: walikota, per kota */
    RK_RACE_PRESIDENT = 4, /* ppwp: presiden, national */
};

struct rk_election {
    int64_t id;
    enum rk_election_kind kind;
    int year;
    char slug[RK_ELECTION_SLUG_MAX + 1]; /* "pilkada2024": [a-z0-9-], used in URLs */
    char name[RK_NAME_MAX + 1];
};

struct rk_race {
    int64_t id;
    int64_t election_id;
    enum rk_race_kind kind;
    char region_code[RK_CODE_MAX + 1]; /* province, kab/kota or "" (national) */
    char name[RK_NAME_MAX + 1];
};

struct rk_candidate {
    int64_t id; /* KPU paslon id when imported, else assigned by the store */
    int64_t race_id;
    int ballot_no; /* nomor urut, 1-based */
    bool kolom_kosong;
    char name[RK_CANDIDATE_NAME_MAX + 1];
    char color[8]; /* "#RRGGBB" or "" */
};

/* Returns the race kind that belongs to a region code: governor for a province, bupati or
 * walikota for a kab/kota, president for the national root; RK_EINVAL for other levels. */
int rk_race_kind_for_region(const char *code, enum rk_race_kind *kind);

/* Returns the level at which races of kind are held. */
enum rk_level rk_race_kind_level(enum rk_race_kind kind);

/* Returns a static short code for kind ("pkwkp", "pkwkk", "ppwp") and a human label in
 * Bahasa Indonesia ("Gubernur", "Bupati", "Wali Kota", "Presiden"). */
const char *rk_race_kind_code(enum rk_race_kind kind);
const char *rk_race_kind_label(enum rk_race_kind kind);

/* Parses a race-kind string ("governor"/"gubernur"/"pkwkp", "regent"/"bupati", "mayor"/
 * "walikota", "president"/"ppwp"). Returns RK_OK or RK_EINVAL. */
int rk_race_kind_parse(const char *s, enum rk_race_kind *kind);

/* Checks that a race's candidate list is well formed: 2..RK_CANDIDATES_MAX pairs with ballot
 * numbers 1..n each exactly once, at most one kolom kosong and only opposite exactly one real
 * pair, names non-empty. Returns RK_OK or RK_EINVAL; *why gets a static English reason. */
int rk_race_check_candidates(const struct rk_candidate *c, int n, const char **why);

/* Validates a candidate name/colour and fills the fields. A name of "KOLOM KOSONG" (any case,
 * trailing " -" allowed, as the KPU portal spells it) marks the empty column. Returns RK_OK,
 * RK_EINVAL or RK_ERANGE. */
int rk_candidate_init(struct rk_candidate *c, int64_t id, int ballot_no, const char *name,
                      const char *color);

/* Validates an election slug ([a-z0-9-], 1..RK_ELECTION_SLUG_MAX). Returns RK_OK or RK_EINVAL. */
int rk_election_slug_check(const char *slug);

#endif
