/* The C.Hasil document: the numbers one TPS wrote on its form for one race, and their canonical
 * JSON encoding — the exact bytes a KPPS device signs.
 *
 * Field names follow the shared contract (docs/chasil.md): section I rows pemilih_dpt,
 * pengguna_dpt (B1), pengguna_dptb (B2), pengguna_dpk (B3), pengguna_total (B4), and section III
 * disabilitas, each with _l/_p/_j; section II ss_diterima, ss_digunakan, ss_rusak, ss_sisa;
 * section IV suara_paslon_1..6; section V suara_sah, suara_tidak_sah, suara_total.
 *
 * A field may be absent (the presence mask): the KPU portal publishes no ballot or disability
 * numbers, and an upload may carry only one page. A KPPS submission must carry them all; the
 * strict decoder enforces that unless RK_CHASIL_PARTIAL is given. Photo hashes are not part of
 * the document: the submission envelope binds them to these bytes. */
#ifndef REKAP_CHASIL_H
#define REKAP_CHASIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/election.h"
#include "rekap/region.h"

#define RK_CHASIL_VERSION 1
#define RK_CHASIL_VALUE_MAX 999u       /* three digit boxes */
#define RK_CHASIL_PASLON_MIN 2         /* a single pair runs against the kolom kosong */
#define RK_CHASIL_PASLON_MAX RK_CANDIDATES_MAX
#define RK_CHASIL_DOC_MAX 16384u       /* decoder refuses larger input: RK_ETOOBIG */
#define RK_CHASIL_JSON_MAX 1536u       /* the canonical encoding never exceeds this (incl. NUL) */
#define RK_CHASIL_RACE_MAX 9007199254740991LL /* 2^53-1: exact in every JSON implementation */

/* Form fields in form order; the canonical encoding emits present fields in this order. */
enum rk_chasil_field {
    RK_F_PEMILIH_DPT_L, RK_F_PEMILIH_DPT_P, RK_F_PEMILIH_DPT_J,         /* I.A */
    RK_F_PENGGUNA_DPT_L, RK_F_PENGGUNA_DPT_P, RK_F_PENGGUNA_DPT_J,      /* I.B.1 */
    RK_F_PENGGUNA_DPTB_L, RK_F_PENGGUNA_DPTB_P, RK_F_PENGGUNA_DPTB_J,   /* I.B.2 */
    RK_F_PENGGUNA_DPK_L, RK_F_PENGGUNA_DPK_P, RK_F_PENGGUNA_DPK_J,      /* I.B.3 */
    RK_F_PENGGUNA_TOTAL_L, RK_F_PENGGUNA_TOTAL_P, RK_F_PENGGUNA_TOTAL_J,/* I.B.4 */
    RK_F_SS_DITERIMA, RK_F_SS_DIGUNAKAN, RK_F_SS_RUSAK, RK_F_SS_SISA,   /* II */
    RK_F_DISABILITAS_L, RK_F_DISABILITAS_P, RK_F_DISABILITAS_J,         /* III */
    RK_F_SUARA_PASLON_1, RK_F_SUARA_PASLON_2, RK_F_SUARA_PASLON_3,      /* IV */
    RK_F_SUARA_PASLON_4, RK_F_SUARA_PASLON_5, RK_F_SUARA_PASLON_6,
    RK_F_SUARA_SAH, RK_F_SUARA_TIDAK_SAH, RK_F_SUARA_TOTAL,             /* V */
    RK_F_COUNT
};

/* The six L/P/J rows of sections I and III, by the field of their _l column (_p is +1, _j +2). */
enum rk_chasil_row {
    RK_ROW_PEMILIH_DPT = RK_F_PEMILIH_DPT_L,
    RK_ROW_PENGGUNA_DPT = RK_F_PENGGUNA_DPT_L,
    RK_ROW_PENGGUNA_DPTB = RK_F_PENGGUNA_DPTB_L,
    RK_ROW_PENGGUNA_DPK = RK_F_PENGGUNA_DPK_L,
    RK_ROW_PENGGUNA_TOTAL = RK_F_PENGGUNA_TOTAL_L,
    RK_ROW_DISABILITAS = RK_F_DISABILITAS_L,
};

struct rk_chasil {
    char tps[RK_CODE_MAX + 1];                  /* 13-digit TPS code */
    char election[RK_ELECTION_SLUG_MAX + 1];    /* election slug, e.g. "pilkada2024" */
    int64_t race_id;                            /* 1..RK_CHASIL_RACE_MAX */
    int n_paslon;                               /* columns incl. kolom kosong: 2..6 (0: unknown,
                                                   portal data without a chart) */
    bool kolom_kosong;                          /* column n_paslon is the kolom kosong */
    uint64_t present;                           /* bit f set: v[f] holds a number */
    uint32_t v[RK_F_COUNT];                     /* 0 when absent */
};

/* Decoder flags. */
#define RK_CHASIL_PARTIAL 1u   /* form fields may be absent (portal data); default: all required */
#define RK_CHASIL_CANONICAL 2u /* also require the input to be byte-identical to its encoding */

struct rk_chasil_error {
    char field[40];    /* the offending key (truncated), "" when the error is not about one */
    long offset;       /* byte offset of the error in the input, -1 if not applicable */
    char message[160]; /* English, for logs and API error bodies */
};

/* Zeroes doc: no fields present, no identity. */
void rk_chasil_init(struct rk_chasil *doc);

/* Returns the contract name of field ("pengguna_dpk_j"), or NULL for a value out of range. */
const char *rk_chasil_field_name(enum rk_chasil_field field);

/* Looks up a field by its contract name of len bytes. Returns the field or -1. */
int rk_chasil_field_find(const char *name, size_t len);

/* Sets field to value and marks it present (no range check: the validator reports values over
 * 999, which the KPU portal does publish). */
void rk_chasil_set(struct rk_chasil *doc, enum rk_chasil_field field, uint32_t value);

/* Marks field absent and zeroes it. */
void rk_chasil_unset(struct rk_chasil *doc, enum rk_chasil_field field);

/* True when field is present. */
bool rk_chasil_has(const struct rk_chasil *doc, enum rk_chasil_field field);

/* True when field is one the document can hold: suara_paslon_k only for k <= n_paslon. */
bool rk_chasil_field_applies(const struct rk_chasil *doc, enum rk_chasil_field field);

/* Checks that doc is encodable: TPS code of 13 digits, valid slug, race id in range, 2..6
 * columns, kolom kosong only as the 2nd of exactly 2 columns, no vote field past n_paslon, every
 * present value 0..999, and (unless partial) every applicable field present. On failure fills
 * err (may be NULL) and returns RK_EINVAL or RK_ERANGE. */
int rk_chasil_check(const struct rk_chasil *doc, bool partial, struct rk_chasil_error *err);

/* Writes the canonical JSON of doc into buf: one object, no whitespace, keys in the fixed order
 * v, type, election, race, tps, paslon, kolom_kosong, then present fields in form order, integers
 * in shortest decimal form, ASCII only, followed by a NUL that *len does not count. *len is set
 * to the encoded length even when buf is too small. Equal documents encode to equal bytes.
 * Returns RK_OK, RK_EINVAL/RK_ERANGE (doc fails rk_chasil_check with partial = true) or
 * RK_ETOOBIG (cap < *len + 1). */
int rk_chasil_encode(const struct rk_chasil *doc, char *buf, size_t cap, size_t *len);

/* Strictly decodes a C.Hasil JSON document of len bytes (need not be NUL-terminated). Rejects,
 * with err naming the field where there is one:
 *   RK_ETOOBIG   input over RK_CHASIL_DOC_MAX bytes;
 *   RK_EPARSE    malformed JSON (syntax, bad UTF-8, raw control characters, trailing bytes,
 *                nesting deeper than 16);
 *   RK_EINVAL    top level not an object, unknown field, duplicate key, missing required field,
 *                wrong type, non-integer number, bad TPS code or slug, wrong "type",
 *                suara_paslon_k past the race's columns, kolom kosong without exactly 2 columns,
 *                non-canonical input under RK_CHASIL_CANONICAL;
 *   RK_ERANGE    negative number, value over 999 (race over 2^53-1, paslon outside 2..6),
 *                string longer than its cap;
 *   RK_EUNSUPPORTED  "v" other than 1.
 * On success doc is filled; on failure doc is zeroed. Decoding canonical bytes and re-encoding
 * them yields the same bytes. */
int rk_chasil_decode(const char *json, size_t len, unsigned flags, struct rk_chasil *doc,
                     struct rk_chasil_error *err);

/* True when json[0..len) decodes (partial allowed) and is byte-identical to its encoding. */
bool rk_chasil_is_canonical(const char *json, size_t len);

/* True when a and b hold the same identity, columns and present values. */
bool rk_chasil_equal(const struct rk_chasil *a, const struct rk_chasil *b);

#endif
