/* Arithmetic validation of a C.Hasil document: the rules printed on the form and those that
 * follow from it (DOMAIN.md 2.3: R1..R11), plus soft anomalies worth a second look.
 *
 * Each violation carries a stable code ("R3_SAH_SUM"), a severity (hard: the document cannot be
 * accepted as is; soft: accepted and flagged), the fields involved and a message in Bahasa
 * Indonesia and English that says what to check, with the numbers. A rule whose fields are
 * absent from the document is skipped, not violated: portal data lacks whole sections. */
#ifndef REKAP_VALIDATE_H
#define REKAP_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/chasil.h"
#include "rekap/election.h"

enum rk_severity {
    RK_SEV_HARD = 1, /* blocks acceptance: RK_EVALIDATION */
    RK_SEV_SOFT = 2, /* accepted and flagged for review */
};

/* Every rule, in report order. The codes are stable API: clients and reports key on them. */
enum rk_rule {
    RK_R1_DPT_LP,      /* I.A: L + P = J */
    RK_R1_B1_LP,       /* I.B.1 */
    RK_R1_B2_LP,       /* I.B.2 */
    RK_R1_B3_LP,       /* I.B.3 */
    RK_R1_B4_LP,       /* I.B.4 */
    RK_R1_DIS_LP,      /* III */
    RK_R2_B4_L,        /* B4 = B1 + B2 + B3, men */
    RK_R2_B4_P,        /* women */
    RK_R2_B4_J,        /* total */
    RK_R3_SAH_SUM,     /* suara_sah = sum of suara_paslon_i */
    RK_R4_TOTAL_SUM,   /* suara_total = suara_sah + suara_tidak_sah */
    RK_R5_TOTAL_B4,    /* suara_total = pengguna_total_j */
    RK_R6_USED_TOTAL,  /* ss_digunakan = suara_total */
    RK_R7_BALLOTS_SUM, /* ss_diterima = ss_digunakan + ss_rusak + ss_sisa */
    RK_R8_RESERVE_OVER,  /* ss_diterima > DPT + reserve (rounded up) */
    RK_R8_RESERVE_UNDER, /* soft: ss_diterima < DPT */
    RK_R9_B1_DPT,      /* pengguna_dpt_x <= pemilih_dpt_x */
    RK_R9_DIS_B4,      /* disabilitas_x <= pengguna_total_x */
    RK_R10_RANGE,      /* every number 0..999 */
    RK_R10_DPT_CAP,    /* pemilih_dpt_j <= per-TPS voter cap */
    RK_R11_VOTE_B4,    /* suara_paslon_i <= pengguna_total_j */
    RK_R11_B4_MAX,     /* pengguna_total_j <= pemilih_dpt_j + pengguna_dptb_j + pengguna_dpk_j */
    RK_A1_TURNOUT_FULL,  /* soft: voters >= DPT */
    RK_A2_TURNOUT_HIGH,  /* soft: voters > 95% of DPT */
    RK_A3_ONE_COLUMN_ALL,/* soft: one column has every valid vote */
    RK_A4_INVALID_HIGH,  /* soft: invalid votes > 10% of votes */
    RK_A5_NO_VOTES,      /* soft: no votes at a TPS with voters */
    RK_A6_DPT_REGISTRY,  /* soft: DPT on the form differs from the registry's */
    RK_RULE_COUNT
};

struct rk_rule_info {
    const char *code; /* "R3_SAH_SUM" */
    enum rk_severity severity;
    const char *text_id; /* the rule in words, Bahasa Indonesia */
    const char *text_en; /* English */
};

#define RK_VIOLATION_FIELDS_MAX 8
#define RK_VIOLATION_MSG_MAX 320
#define RK_VIOLATIONS_MAX 96 /* no document can break more; size out[] with it */

struct rk_violation {
    enum rk_rule rule;
    const char *code; /* static, = rk_rule_get(rule)->code */
    enum rk_severity severity;
    int n_fields;
    enum rk_chasil_field fields[RK_VIOLATION_FIELDS_MAX];
    char msg_id[RK_VIOLATION_MSG_MAX];
    char msg_en[RK_VIOLATION_MSG_MAX];
};

/* What the server knows beyond the form itself. */
struct rk_validate_ctx {
    bool dpt_known;            /* the registry holds this TPS's DPT */
    uint32_t dpt_l, dpt_p;     /* registered voters by sex, when dpt_known */
    uint32_t voter_cap;        /* most registered voters a TPS may have; 0: no cap */
    uint32_t reserve_permille; /* spare ballots as a share of DPT: 25 = 2.5% */
};

/* Fills ctx with the election's rules and no registry data: Pilkada 2024 caps a TPS at 600
 * voters with a 2.5% reserve; Pemilu 2024 (in-country) at 300 with 2%. */
void rk_validate_ctx_init(struct rk_validate_ctx *ctx, enum rk_election_kind kind);

/* Returns the catalogue entry of rule (never NULL for a valid rule). */
const struct rk_rule_info *rk_rule_get(enum rk_rule rule);

/* Looks a rule up by its code. Returns the rule or -1. */
int rk_rule_find(const char *code);

/* Checks doc against every rule. Writes up to cap violations to out, in rule order, and the
 * total found to *n (which may exceed cap; RK_VIOLATIONS_MAX always suffices). ctx may be NULL:
 * no registry data, no voter cap, 2.5% reserve. Returns RK_EVALIDATION when any violation is
 * hard, else RK_OK (soft flags alone do not block). */
int rk_validate(const struct rk_chasil *doc, const struct rk_validate_ctx *ctx,
                struct rk_violation *out, size_t cap, size_t *n);

/* Renders violations as a JSON array for the API:
 *   [{"code":"R3_SAH_SUM","severity":"hard","fields":["suara_sah",...],
 *     "message":{"id":"...","en":"..."}}, ...]
 * Returns a new reference (caller json_decref's it) or NULL when out of memory. */
json_t *rk_violations_json(const struct rk_violation *v, size_t n);

#endif
