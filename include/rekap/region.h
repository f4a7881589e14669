/* Kemendagri region codes and the region hierarchy.
 *
 * A code is a string of digits whose length gives its level: province 2, kabupaten/kota 4,
 * kecamatan 6, desa/kelurahan 10, TPS 13 (desa code + 3-digit TPS number). The canonical form
 * has no dots; rk_code_parse also accepts the dotted Kemendagri spelling ("11.01.01.2001"). The
 * empty code "" is the national root. */
#ifndef REKAP_REGION_H
#define REKAP_REGION_H

#include <stddef.h>
#include <stdint.h>

#define RK_CODE_MAX 13     /* digits in the longest code (TPS) */
#define RK_NAME_MAX 127    /* bytes in a region name, excluding the terminator */
#define RK_TPS_VOTERS_MAX 999 /* three digit boxes on the form; Pilkada caps a TPS at 600 */

enum rk_level {
    RK_LEVEL_NATIONAL = 0,
    RK_LEVEL_PROVINCE = 1,
    RK_LEVEL_KABKOTA = 2,
    RK_LEVEL_KECAMATAN = 3,
    RK_LEVEL_DESA = 4,
    RK_LEVEL_TPS = 5,
};
#define RK_LEVEL_COUNT 6

struct rk_region {
    char code[RK_CODE_MAX + 1];
    char name[RK_NAME_MAX + 1];
    enum rk_level level;
    /* Registered voters (DPT) by sex; only meaningful for TPS, 0 elsewhere. */
    uint32_t dpt_l;
    uint32_t dpt_p;
};

/* Parses a code of len bytes (dots allowed between groups, surrounding spaces not) into its
 * canonical dotless form in out (RK_CODE_MAX+1 bytes) and its level. Rejects wrong lengths,
 * non-digits, misplaced dots and zero groups (province 00, TPS 000 ...). Returns RK_OK or
 * RK_EINVAL. */
int rk_code_parse(const char *s, size_t len, char out[RK_CODE_MAX + 1], enum rk_level *level);

/* Returns the level of a canonical code by its length, or -1 if the length matches none. */
int rk_code_level(const char *code);

/* Returns the number of digits of a code at level (0 for national, 13 for TPS). */
size_t rk_level_digits(enum rk_level level);

/* Writes the canonical code of the ancestor of code at level into out (which may alias code).
 * level must not be deeper than code's own. Returns RK_OK or RK_EINVAL. */
int rk_code_ancestor(const char *code, enum rk_level level, char out[RK_CODE_MAX + 1]);

/* Writes the parent code of code into out ("" for a province). Returns RK_OK or RK_EINVAL
 * for the national root or a malformed code. */
int rk_code_parent(const char *code, char out[RK_CODE_MAX + 1]);

/* True when code is a kota (city) kab/kota code: Kemendagri numbers cities 71..99 within a
 * province. Used to choose between a walikota and a bupati race. */
int rk_code_is_kota(const char *kabkota_code);

/* Returns a static name of level in Bahasa Indonesia ("provinsi") or English ("province"). */
const char *rk_level_name(enum rk_level level, int english);

/* Fills r from a code and a name, validating both (name: 1..RK_NAME_MAX bytes of valid UTF-8
 * without control characters, whitespace trimmed). Returns RK_OK, RK_EINVAL or RK_ERANGE. */
int rk_region_init(struct rk_region *r, const char *code, size_t code_len, const char *name,
                   size_t name_len);

#endif
