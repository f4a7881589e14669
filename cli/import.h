/* Importers of reference data into a store. Each import is one transaction: on the first bad
 * row it rolls back, writes "FILE:LINE: reason" to err and returns the row's status, so a store
 * is never left half-imported. */
#ifndef REKAP_CLI_IMPORT_H
#define REKAP_CLI_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

enum rk_missing_policy {
    RK_MISSING_ERROR = 0, /* a TPS whose desa is unknown is a bad row */
    RK_MISSING_SKIP,      /* skip it and count it */
    RK_MISSING_CREATE,    /* create placeholder ancestors named "(KODE)" */
};

struct rk_import_report {
    int64_t rows;                 /* data rows read */
    int64_t added[RK_LEVEL_COUNT];/* regions added per level (incl. placeholders) */
    int64_t skipped;              /* rows skipped by policy */
    int64_t races, candidates;    /* import-candidates */
};

/* Kemendagri CSV "kode,nama" (header optional, gzip allowed, any order of levels). */
int rk_import_regions(struct rk_store *s, const char *path, FILE *err, struct rk_import_report *rep);

/* One TPS per line: "CODE" or "CODE,DPT_L,DPT_P" (13-digit code; voters 0..600 each). */
int rk_import_tps(struct rk_store *s, const char *path, enum rk_missing_policy missing, FILE *err,
                  struct rk_import_report *rep);

/* KPU paslon JSON into election slug (created as Pilkada <year> when absent). */
int rk_import_candidates(struct rk_store *s, const char *path, const char *election_slug, FILE *err,
                         struct rk_import_report *rep);

/* Creates the Pilkada election slug if it does not exist and returns it in *out. */
int rk_ensure_election(struct rk_store *s, const char *slug, struct rk_election *out);

#endif
