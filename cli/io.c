/* zlib's gz* API reads plain files transparently, so one code path serves .csv and .csv.gz. */
#include "cli/io.h"
#include "rekap/status.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int rk_cli_each_line(const char *path, size_t max,
                     int (*fn)(void *ud, char *line, size_t len, long lineno), void *ud,
                     long *bad_line)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return RK_EIO;
    gzbuffer(f, 1 << 17);
    char *buf = malloc(max + 2);
    if (!buf) {
        gzclose(f);
        return RK_ENOMEM;
    }
    long lineno = 0;
    int rc = RK_OK;
    while (gzgets(f, buf, (int)max + 2)) {
        lineno++;
        size_t len = strlen(buf);
        if (len && buf[len - 1] == '\n') {
            buf[--len] = '\0';
        } else if (!gzeof(f)) {
            rc = RK_ETOOBIG;
            if (bad_line)
                *bad_line = lineno;
            break;
        }
        if ((rc = fn(ud, buf, len, lineno)) != RK_OK) {
            if (bad_line)
                *bad_line = lineno;
            break;
        }
    }
    int errnum = 0;
    if (rc == RK_OK) {
        gzerror(f, &errnum);
        if (errnum != Z_OK && errnum != Z_STREAM_END)
            rc = RK_EIO;
    }
    free(buf);
    gzclose(f);
    return rc;
}

int rk_cli_slurp(const char *path, size_t max, char **out, size_t *out_len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return RK_EIO;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    int rc = RK_OK;
    while (buf) {
        if (len == cap) {
            if (cap >= max + 1) {
                rc = RK_ETOOBIG;
                break;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                rc = RK_ENOMEM;
                break;
            }
            buf = nb;
        }
        int n = gzread(f, buf + len, (unsigned)(cap - len));
        if (n < 0) {
            rc = RK_EIO;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    gzclose(f);
    if (!buf)
        return RK_ENOMEM;
    if (rc == RK_OK && len > max)
        rc = RK_ETOOBIG;
    if (rc != RK_OK) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return RK_OK;
}
