/* CSV record splitting. Quoted fields are unescaped in place so a whole import reads each byte
 * once and never allocates. */
#include "rekap/csv.h"
#include "rekap/status.h"

#include <string.h>

int rk_csv_split(char *line, size_t len, struct rk_csv_field *fields, int cap, int *n)
{
    *n = 0;
    if (len > RK_CSV_LINE_MAX)
        return RK_ETOOBIG;
    if (len && line[len - 1] == '\r')
        len--;
    size_t i = 0;
    for (;;) {
        if (*n >= cap)
            return RK_ETOOBIG;
        struct rk_csv_field *f = &fields[(*n)++];
        if (i < len && line[i] == '"') {
            size_t w = ++i;
            f->s = line + w;
            for (;;) {
                if (i >= len)
                    return RK_EPARSE; /* unterminated */
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        line[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                line[w++] = line[i++];
            }
            f->len = w - (size_t)(f->s - line);
            if (i < len && line[i] != ',')
                return RK_EPARSE; /* text after closing quote */
        } else {
            f->s = line + i;
            while (i < len && line[i] != ',') {
                if (line[i] == '"')
                    return RK_EPARSE; /* quote inside unquoted field */
                i++;
            }
            f->len = (size_t)(line + i - f->s);
        }
        if (i >= len)
            return RK_OK;
        i++; /* the comma */
    }
}

long rk_csv_quote(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    int need = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !need; i++)
        need = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    size_t w = 0;
    if (!need) {
        if (n + 1 > cap)
            return -1;
        memcpy(out, s, n + 1);
        return (long)n;
    }
    if (cap < 3)
        return -1;
    out[w++] = '"';
    for (size_t i = 0; i < n; i++) {
        size_t need_bytes = s[i] == '"' ? 2 : 1;
        if (w + need_bytes + 2 > cap)
            return -1;
        if (s[i] == '"')
            out[w++] = '"';
        out[w++] = s[i];
    }
    out[w++] = '"';
    out[w] = '\0';
    return (long)w;
}
