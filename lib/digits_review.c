/* A blind review of labelled digits: which labels the second readers, shown the digits without
 * their labels, did not confirm. Evaluation sets those digits aside, so that a mislabelled
 * training-set digit (MNIST has some) is not counted as the reader's error. */
#include "rekap/digits_train.h"
#include "rekap/status.h"

#include <string.h>

/* One reading at q: X, or a digit, then '/' and a digit any number of times (at most
 * RK_DIGITS_REVIEW_MAX_READING characters). Returns its end, or NULL if malformed. */
static const char *parse_reading(const char *q, const char *e)
{
    const char *r = q;
    if (q < e && *q == 'X')
        return q + 1;
    for (;;) {
        if (q == e || *q < '0' || *q > '9')
            return NULL;
        q++;
        if (q < e && *q == '/' && q - r < RK_DIGITS_REVIEW_MAX_READING)
            q++;
        else
            return q;
    }
}

/* Parses "INDEX READING [READING...] [# comment]" from line [p, e): *index (< count), and
 * whether some reading is exactly its label alone. Returns 0, or -1 if the line is malformed. */
static int parse_line(const char *p, const char *e, const uint8_t *labels, uint32_t count,
                      uint32_t *index, int *confirmed)
{
    uint64_t v = 0;
    const char *q = p;
    while (q < e && *q >= '0' && *q <= '9' && q - p < 10)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q == p || v >= count)
        return -1;
    uint8_t label = labels[v];
    int n = 0;
    *confirmed = 0;
    for (;;) {
        const char *s = q;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q == e || *q == '#')
            break;
        if (q == s || n == RK_DIGITS_REVIEW_MAX_READERS)
            return -1; /* no separator, or too many readings */
        const char *r = q;
        if (!(q = parse_reading(q, e)))
            return -1;
        *confirmed |= q - r == 1 && label <= 9 && *r == (char)('0' + label);
        n++;
    }
    if (n == 0)
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
            uint32_t idx = 0;
            int ok = 0;
            if (parse_line(s, e, labels, count, &idx, &ok) != 0 ||
                mark[idx] != RK_DIGITS_UNREVIEWED) {
                if (bad_line)
                    *bad_line = line;
                return RK_EPARSE;
            }
            mark[idx] = ok ? RK_DIGITS_CONFIRMED : RK_DIGITS_DISPUTED;
            nrev++;
            ndis += !ok;
        }
        p = e < end ? e + 1 : end;
    }
    if (reviewed)
        *reviewed = nrev;
    if (disputed)
        *disputed = ndis;
    return RK_OK;
}
