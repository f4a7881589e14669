/* A blind review of labelled digits: which labels a second reader, shown the digits without
 * their labels, did not confirm. Calibration and evaluation set those digits aside, so that a
 * mislabelled training-set digit (MNIST has some) does not decide the reader's threshold. */
#include "rekap/digits_train.h"
#include "rekap/status.h"

#include <string.h>

/* Parses "INDEX READING [# comment]" from line [p, e); returns 0 on success. */
static int parse_line(const char *p, const char *e, uint32_t count, uint32_t *index,
                      const char **rd, size_t *rdlen)
{
    uint64_t v = 0;
    const char *q = p;
    while (q < e && *q >= '0' && *q <= '9' && q - p < 10)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q == p || v >= count || q == e || (*q != ' ' && *q != '\t'))
        return -1;
    while (q < e && (*q == ' ' || *q == '\t'))
        q++;
    const char *r = q;
    if (q < e && *q == 'X') {
        q++;
    } else {
        /* a digit, then '/' and a digit any number of times */
        for (;;) {
            if (q == e || *q < '0' || *q > '9')
                return -1;
            q++;
            if (q < e && *q == '/' && q - r < RK_DIGITS_REVIEW_MAX_READING)
                q++;
            else
                break;
        }
    }
    *rd = r, *rdlen = (size_t)(q - r);
    while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
        q++;
    if (q < e && *q != '#')
        return -1;
    *index = (uint32_t)v;
    return 0;
}

int rk_digits_review_apply(const char *text, size_t len, const uint8_t *labels, uint32_t count,
                           uint8_t *mark, uint32_t *reviewed, uint32_t *disputed,
                           uint32_t *bad_line)
{
    uint32_t nrev = 0, ndis = 0, line = 0;
    if (bad_line)
        *bad_line = 0;
    if (len > RK_DIGITS_REVIEW_MAX_BYTES)
        return RK_ERANGE;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        e = e ? e : end;
        line++;
        const char *s = p;
        while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
            s++;
        if (s < e && *s != '#') {
            uint32_t idx;
            const char *rd;
            size_t rl;
            if (parse_line(s, e, count, &idx, &rd, &rl) != 0 || mark[idx] != RK_DIGITS_UNREVIEWED) {
                if (bad_line)
                    *bad_line = line;
                return RK_EPARSE;
            }
            int same = rl == 1 && labels[idx] <= 9 && rd[0] == (char)('0' + labels[idx]);
            mark[idx] = same ? RK_DIGITS_CONFIRMED : RK_DIGITS_DISPUTED;
            nrev++;
            ndis += !same;
        }
        p = e < end ? e + 1 : end;
    }
    if (reviewed)
        *reviewed = nrev;
    if (disputed)
        *disputed = ndis;
    return RK_OK;
}
