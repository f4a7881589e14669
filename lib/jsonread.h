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
#define RK_JR_KEY_CAP 40 /* key bytes an item keeps, NUL included; longer keys are truncated */

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

/* A member of an object or an item of an array, as rk_jr_container hands it over. */
struct rk_jr_item {
    char key[RK_JR_KEY_CAP]; /* members: the decoded key, truncated to fit, NUL-terminated */
    size_t klen;             /* members: the key's full decoded length */
    size_t key_at;           /* members: offset of the key's opening quote */
    struct rk_jr_value v;    /* the value; v.offset is where it starts */
    size_t end;              /* offset just past the value */
};

/* Reads the object or array whose opening bracket is at r->i, its values at nesting depth
 * depth, and calls fn (when not NULL) for each member or item in order, after reading it. fn
 * returns RK_OK to go on; any other status stops the reading and is returned. Returns RK_OK,
 * RK_EPARSE, or fn's status. */
int rk_jr_container(struct rk_jr *r, int depth,
                    int (*fn)(void *ud, struct rk_jr *r, const struct rk_jr_item *item), void *ud);

/* Skips whitespace and records msg as a syntax error unless the input ends there. Returns
 * RK_OK or RK_EPARSE. */
int rk_jr_end(struct rk_jr *r, const char *msg);

/* Copies at most n bytes of untrusted text s (stopping at a NUL) into out (cap bytes,
 * NUL-terminated), each byte outside printable ASCII as '?': keys headed for logs and error
 * bodies. */
void rk_jr_printable(const char *s, size_t n, char *out, size_t cap);

#endif
