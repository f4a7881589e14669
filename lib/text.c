/* Text helpers: the only place that decides what a "valid name" is, so CSV, JSON and HTTP
 * inputs are held to the same rules. */
#include "rekap/text.h"
#include "rekap/status.h"

#include <string.h>

int rk_utf8_valid_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        unsigned cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void rk_trim(const char **s, size_t *len)
{
    while (*len && is_space((*s)[0]))
        (*s)++, (*len)--;
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

int rk_text_copy(char *dst, size_t cap, const char *s, size_t len)
{
    rk_trim(&s, &len);
    if (len == 0 || !rk_utf8_valid_text(s, len))
        return RK_EINVAL;
    if (len >= cap)
        return RK_ERANGE;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return RK_OK;
}

int rk_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > 20)
        return len == 0 ? RK_EINVAL : RK_ERANGE;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return RK_EINVAL;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return RK_ERANGE;
        v = v * 10 + d;
    }
    if (v > max)
        return RK_ERANGE;
    *out = v;
    return RK_OK;
}

size_t rk_json_quote(char *out, const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    out[w++] = '"';
    for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
        const char *esc = *c == '"' ? "\\\"" : *c == '\\' ? "\\\\" : *c == '\b' ? "\\b"
                        : *c == '\f' ? "\\f" : *c == '\n' ? "\\n" : *c == '\r' ? "\\r"
                        : *c == '\t' ? "\\t" : NULL;
        if (esc) {
            out[w++] = esc[0];
            out[w++] = esc[1];
        } else if (*c < 0x20) {
            memcpy(out + w, "\\u00", 4);
            out[w + 4] = hex[*c >> 4];
            out[w + 5] = hex[*c & 15];
            w += 6;
        } else {
            out[w++] = (char)*c;
        }
    }
    out[w++] = '"';
    return w;
}
