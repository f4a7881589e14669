/* Small text helpers shared by parsers: bounded copies, trimming, UTF-8 checks, number parsing.
 * Every function takes explicit lengths because input comes from files and sockets, not C
 * strings. */
#ifndef REKAP_TEXT_H
#define REKAP_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 with no C0 control characters and no DEL. */
int rk_utf8_valid_text(const char *s, size_t len);

/* Trims ASCII whitespace from both ends; updates *s and *len in place. */
void rk_trim(const char **s, size_t *len);

/* Copies s[0..len) into dst (cap bytes including the terminator) after trimming and checking it
 * is valid text. Returns RK_OK, RK_EINVAL (bad bytes or empty) or RK_ERANGE (too long). */
int rk_text_copy(char *dst, size_t cap, const char *s, size_t len);

/* Parses an unsigned decimal of len bytes, no sign, no spaces, at most max. Returns RK_OK,
 * RK_EINVAL or RK_ERANGE. */
int rk_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/* Writes str as a quoted JSON string exactly as jansson's compact dump does: ", \ and control
 * characters escaped (\b \f \n \r \t, others as \u00XX), every other byte as is (str is
 * trusted to be UTF-8). out must have room for 6 * strlen(str) + 2 bytes; no NUL is written.
 * Returns the bytes written. Lets hot paths write JSON text without building a tree. */
size_t rk_json_quote(char *out, const char *str);

#endif
