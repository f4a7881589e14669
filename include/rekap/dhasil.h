/* D.Hasil recapitulation documents: one region's result for one race, summed over its children
 * (kab/kota, provinsi and national recaps) or listed per TPS (the kecamatan recap, as the 2024
 * practice lists each TPS), with the region's totals, shares and TPS progress.
 *
 * The document is built in memory from numbers the caller passes (the store keeps a tally per
 * region; store/dhasil.h loads it) and checked before anything is printed: the rows must add up
 * to the region's stored tally column by column and R3 (sah = sum of votes) and R4 (total = sah +
 * tidak sah) must hold on every row and on the totals, so a corrupt tally is reported, never
 * published. Shares are integer arithmetic (basis points, half rounded up) so every rendering of
 * the same numbers prints the same digits. Rendered as JSON (docs/dhasil.md) or as a printable
 * PDF (lib/dhasil_render.c, cairo). */
#ifndef REKAP_DHASIL_H
#define REKAP_DHASIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/election.h"
#include "rekap/region.h"
#include "rekap/tally.h"

#define RK_DHASIL_VERSION 1
#define RK_DHASIL_ROWS_MAX 5000          /* rows of one document (largest kecamatan: ~1,000 TPS) */
#define RK_DHASIL_VALUE_MAX 1000000000000LL /* any count above this is corrupt (national DPT ~2e8) */
#define RK_DHASIL_REF_MAX 255            /* bytes of the caller's data reference (tree head) */
#define RK_DHASIL_MSG_MAX 320

/* One row: a child region with its tally and TPS counts, or (kecamatan recap) one TPS. */
struct rk_dhasil_row {
    char code[RK_CODE_MAX + 1];
    char name[RK_NAME_MAX + 1];   /* region name, or "TPS 001" */
    char desa[RK_NAME_MAX + 1];   /* TPS rows: the desa/kelurahan name ("" when unknown) */
    struct rk_tally tally;        /* received/flagged/approved are TPS counts (0/1 for a TPS) */
    int64_t tps_expected;         /* registered TPS in the row's region (1 for a registered TPS,
                                     0 for results from a TPS missing from the region list) */
};

/* Who and what the document is about; copied in by rk_dhasil_begin. */
struct rk_dhasil_header {
    char election_slug[RK_ELECTION_SLUG_MAX + 1];
    char election_name[RK_NAME_MAX + 1];
    int year;
    struct rk_race race;
    int ncand;
    struct rk_candidate cand[RK_CANDIDATES_MAX]; /* by ballot number 1..ncand */
    struct rk_region region;                     /* the recap region (code "" = national) */
    /* Names of region's ancestors (and region itself) for the heading; "" when not applicable. */
    char provinsi[RK_NAME_MAX + 1], kabkota[RK_NAME_MAX + 1], kecamatan[RK_NAME_MAX + 1];
    struct rk_tally total;   /* region's tally as stored (the sum the rows are checked against) */
    int64_t tps_expected;    /* registered TPS in region */
    int64_t generated_ms;    /* when the document was made, ms since the epoch (caller's clock) */
    char data_ref[RK_DHASIL_REF_MAX + 1]; /* e.g. "STH 1234 root 9f2c..." printed in the footer */
};

struct rk_dhasil {
    struct rk_dhasil_header h;
    enum rk_level row_level; /* TPS for a kecamatan recap, else the region's child level */
    int nrows, cap;
    struct rk_dhasil_row *rows; /* by code, owned */
    bool checked;               /* rk_dhasil_finish succeeded: renderable */
};

/* Why a document was refused: where (row code, "total" or a header field) and what, in Bahasa
 * Indonesia and English, with the numbers. */
struct rk_dhasil_error {
    char where[40];
    char msg_id[RK_DHASIL_MSG_MAX];
    char msg_en[RK_DHASIL_MSG_MAX];
};

/* Zeroes d (no allocation). */
void rk_dhasil_init(struct rk_dhasil *d);

/* Frees d's rows; d becomes empty (as after rk_dhasil_init). NULL-safe, idempotent. */
void rk_dhasil_free(struct rk_dhasil *d);

/* Starts a document for h, dropping any rows. Checks the header: a valid slug and year, a
 * well-formed candidate list of the race, a recap region inside the race's region at a recap
 * level (kecamatan up to the race's own level: governor provinsi/kab-kota/kecamatan, bupati and
 * walikota kab-kota/kecamatan, president also national), counts within 0..RK_DHASIL_VALUE_MAX,
 * data_ref NUL-terminated. Returns RK_OK, RK_EINVAL or RK_ERANGE with err filled (may be NULL). */
int rk_dhasil_begin(struct rk_dhasil *d, const struct rk_dhasil_header *h,
                    struct rk_dhasil_error *err);

/* Appends a row. Its code must be a direct child of the region (a TPS inside it for a kecamatan
 * recap), in increasing code order, and its name valid text. Returns RK_OK, RK_EINVAL (wrong
 * code, order, or no rk_dhasil_begin), RK_ETOOBIG (over RK_DHASIL_ROWS_MAX) or RK_ENOMEM. */
int rk_dhasil_add_row(struct rk_dhasil *d, const struct rk_dhasil_row *row,
                      struct rk_dhasil_error *err);

/* Checks the document's arithmetic and marks it renderable. Every count of every row and of the
 * totals within 0..RK_DHASIL_VALUE_MAX; per row and total: sah = sum of votes (R3), total = sah +
 * tidak sah (R4), approved <= received <= TPS expected, flagged <= received, no votes past the
 * race's columns; the rows' sums equal the stored total in every column and the TPS expected.
 * Returns RK_OK, RK_ERANGE or RK_EVALIDATION with err naming the first failure. */
int rk_dhasil_finish(struct rk_dhasil *d, struct rk_dhasil_error *err);

/* ---- derived numbers (integer arithmetic, exact) ---- */

/* num/den in basis points (1/100 of a percent), rounded half up; 0 when den <= 0. */
int64_t rk_dhasil_bp(int64_t num, int64_t den);

/* Writes bp as a percentage with two decimals and the given decimal separator ('.' for JSON,
 * ',' for print): 5860 -> "58.60". buf of at least 24 bytes. */
void rk_dhasil_bp_format(int64_t bp, char sep, char *buf, size_t cap);

/* Progress of a checked document. */
struct rk_dhasil_progress {
    int64_t expected, received, approved, flagged;
    int64_t missing;    /* expected - received (not below 0) */
    int64_t unapproved; /* received - approved */
    bool final;         /* every expected TPS received and approved (and at least one TPS) */
};
void rk_dhasil_progress(const struct rk_dhasil *d, struct rk_dhasil_progress *p);

/* The form's name for d's level and race kind, e.g. "MODEL D.HASIL KECAMATAN-KWK",
 * "MODEL D.HASIL KABUPATEN/KOTA-KWK", "MODEL D.HASIL PROVINSI-PPWP". Static. */
const char *rk_dhasil_model(const struct rk_dhasil *d);

/* ---- JSON (docs/dhasil.md) ---- */

/* Builds the JSON object of a checked document into *out (caller json_decref's). Returns RK_OK,
 * RK_EINVAL (not checked) or RK_ENOMEM. */
int rk_dhasil_to_json(const struct rk_dhasil *d, json_t **out);

/* The same, serialised (indented, keys in document order, trailing newline) into a malloc'd
 * NUL-terminated *buf of *len bytes. */
int rk_dhasil_json_dump(const struct rk_dhasil *d, char **buf, size_t *len);

/* ---- PDF (lib/dhasil_render.c) ---- */

/* Receives output bytes; returns 0 to go on, non-zero to abort (rendering then fails RK_EIO). */
typedef int (*rk_dhasil_write_fn)(void *ud, const unsigned char *data, size_t len);

/* Page layout of a checked document: A4 portrait for up to 2 candidate columns, else landscape;
 * rows per page, and the number of pages the PDF will have. */
struct rk_dhasil_layout {
    bool landscape;
    double width, height; /* mm */
    int rows_first, rows_other; /* rows on a page (the same heading repeats on every page) */
    int pages;
};
int rk_dhasil_layout(const struct rk_dhasil *d, struct rk_dhasil_layout *lay);

/* Renders a checked document as a PDF, streaming the bytes to write: heading (form name,
 * election, race, region names and codes), one table row per child or TPS with each pair's
 * votes, sah, tidak sah, total, voters and progress, the header repeated on every page, a totals
 * row with each pair's share, a status line (TPS missing / unapproved), a "SEMENTARA" watermark
 * until every TPS is approved, and a footer with the generation time, the caller's data
 * reference and page x of y. Returns RK_OK, RK_EINVAL (not checked), RK_ENOMEM, RK_EIO (write
 * failed) or RK_EINTERNAL (cairo failure). */
int rk_dhasil_render_pdf(const struct rk_dhasil *d, rk_dhasil_write_fn write, void *ud);

#endif
