/* Strict, allocation-free JSON reading for untrusted bytes (internal to lib/): the C.Hasil
 * decoder and the submission envelope parser share it. Unlike a generic parser it never
 * allocates, refuses invalid UTF-8, NUL characters and nesting deeper than RK_JR_DEPTH_MAX,
 * and reports the byte offset of the first syntax error. Not a public header: callers outside
 * lib/ use the parsers built on it. */
#ifndef REKAP_LIB_JSONREAD_H
#define REKAP_LIB_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rekap/chasil.h"

#define RK_JR_DEPTH_MAX 16
#define RK_JR_STR_CAP 40 /* string bytes a value keeps (longest C.Hasil string: a 31-byte slug) */

enum rk_jr_kind { RK_JR_STRING, RK_JR_NUMBER, RK_JR_BOOL, RK_JR_NULL, RK_JR_OBJECT, RK_JR_ARRAY };

/* One scalar value (containers are read and discarded, only their kind is kept). */
struct rk_jr_value {
    enum rk_jr_kind kind;
    long offset;
    /* RK_JR_NUMBER */
    bool negative, fraction, exponent, overflow;
    uint64_t mag; /* integer magnitude (when !fraction && !exponent && !overflow) */
    /* RK_JR_STRING: decoded bytes, len is the full decoded length even when truncated */
    char str[RK_JR_STR_CAP];
    size_t len;
    /* RK_JR_BOOL */
    bool b;
};

/* Reading position in s[0..n). The first syntax error is recorded in *err (when not NULL) with
 * its offset, and syntax becomes RK_EPARSE; later errors do not overwrite it. */
struct rk_jr {
    const unsigned char *s;
    size_t n, i;
    struct rk_chasil_error *err;
    int syntax; /* RK_OK or RK_EPARSE once a syntax error is recorded */
};

/* Records a syntax error at the current position; returns RK_EPARSE. */
int rk_jr_syntax_error(struct rk_jr *r, const char *msg);

/* Advances over JSON whitespace. */
void rk_jr_skip_ws(struct rk_jr *r);

/* Reads the string whose opening quote is at r->i, decoding escapes into dst (cap bytes, not
 * terminated; dst may be NULL with cap 0); *len gets the full decoded length even when it
 * exceeds cap. Returns RK_OK or RK_EPARSE. */
int rk_jr_string(struct rk_jr *r, char *dst, size_t cap, size_t *len);

/* Reads one value (after optional whitespace) at nesting depth depth; objects and arrays are
 * checked and skipped. Returns RK_OK or RK_EPARSE. */
int rk_jr_value(struct rk_jr *r, struct rk_jr_value *v, int depth);

#endif
