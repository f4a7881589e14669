/* One-line CSV records (RFC 4180 quoting, no line breaks inside fields): what region and TPS
 * lists are. Parsing is in place and allocation-free; fields point into the caller's buffer. */
#ifndef REKAP_CSV_H
#define REKAP_CSV_H

#include <stddef.h>

#define RK_CSV_LINE_MAX 4096 /* longest accepted record, bytes */

struct rk_csv_field {
    const char *s; /* start of the unquoted field (inside the caller's buffer) */
    size_t len;
};

/* Splits line[0..len) (no trailing newline; a trailing CR is ignored) into at most cap fields,
 * unquoting quoted fields in place ("" -> "). *n gets the field count. Returns RK_OK, RK_EPARSE
 * (stray quote, unterminated quote), RK_ETOOBIG (more than cap fields or len over
 * RK_CSV_LINE_MAX). */
int rk_csv_split(char *line, size_t len, struct rk_csv_field *fields, int cap, int *n);

/* Quotes s for a CSV field into out (cap bytes incl. terminator) when it contains a comma,
 * quote or leading/trailing space; else copies it. Returns the length written, or -1 if it does
 * not fit. */
long rk_csv_quote(const char *s, char *out, size_t cap);

#endif
