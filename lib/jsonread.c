/* Strict JSON reader shared by the C.Hasil decoder and the submission envelope parser (see
 * jsonread.h for why it is not jansson). */
#include "jsonread.h"
#include "rekap/status.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static void set_error(struct rk_chasil_error *err, long offset, const char *msg)
{
    if (err) {
        err->field[0] = '\0';
        err->offset = offset;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
}

int rk_jr_syntax_error(struct rk_jr *r, const char *msg)
{
    if (r->syntax == RK_OK) {
        r->syntax = RK_EPARSE;
        set_error(r->err, (long)r->i, msg);
    }
    return RK_EPARSE;
}

void rk_jr_skip_ws(struct rk_jr *r)
{
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' ||
                           r->s[r->i] == '\r'))
        r->i++;
}

static int hex4(struct rk_jr *r, unsigned *out)
{
    unsigned v = 0;
    if (r->n - r->i < 4)
        return rk_jr_syntax_error(r, "truncated \\u escape");
    for (int k = 0; k < 4; k++) {
        unsigned char c = r->s[r->i++];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10u;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10u;
        else
            return rk_jr_syntax_error(r, "bad hex digit in \\u escape");
        v = v << 4 | d;
    }
    *out = v;
    return RK_OK;
}

static void emit(char *dst, size_t cap, size_t *len, unsigned char c)
{
    if (*len < cap)
        dst[*len] = (char)c;
    (*len)++;
}

static void emit_cp(char *dst, size_t cap, size_t *len, unsigned cp)
{
    if (cp < 0x80) {
        emit(dst, cap, len, (unsigned char)cp);
    } else if (cp < 0x800) {
        emit(dst, cap, len, (unsigned char)(0xc0 | cp >> 6));
        emit(dst, cap, len, (unsigned char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        emit(dst, cap, len, (unsigned char)(0xe0 | cp >> 12));
        emit(dst, cap, len, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
        emit(dst, cap, len, (unsigned char)(0x80 | (cp & 0x3f)));
    } else {
        emit(dst, cap, len, (unsigned char)(0xf0 | cp >> 18));
        emit(dst, cap, len, (unsigned char)(0x80 | ((cp >> 12) & 0x3f)));
        emit(dst, cap, len, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
        emit(dst, cap, len, (unsigned char)(0x80 | (cp & 0x3f)));
    }
}

/* Length of the well-formed UTF-8 sequence at s[0..avail), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned c = s[0], cp, min;
    size_t n;
    if ((c & 0xe0) == 0xc0)
        n = 2, min = 0x80, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 3, min = 0x800, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        n = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (avail < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Reads a string at r->i (on the opening quote), decoding escapes into dst (cap bytes, not
 * terminated); *len gets the full decoded length. */
int rk_jr_string(struct rk_jr *r, char *dst, size_t cap, size_t *len)
{
    *len = 0;
    r->i++; /* opening quote */
    for (;;) {
        if (r->i >= r->n)
            return rk_jr_syntax_error(r, "unterminated string");
        unsigned char c = r->s[r->i];
        if (c == '"') {
            r->i++;
            return RK_OK;
        }
        if (c < 0x20)
            return rk_jr_syntax_error(r, "control character in string");
        if (c >= 0x80) {
            size_t k = utf8_seq(r->s + r->i, r->n - r->i);
            if (k == 0)
                return rk_jr_syntax_error(r, "invalid UTF-8 in string");
            for (size_t j = 0; j < k; j++)
                emit(dst, cap, len, r->s[r->i + j]);
            r->i += k;
            continue;
        }
        if (c != '\\') {
            emit(dst, cap, len, c);
            r->i++;
            continue;
        }
        r->i++;
        if (r->i >= r->n)
            return rk_jr_syntax_error(r, "unterminated escape");
        c = r->s[r->i++];
        switch (c) {
        case '"': case '\\': case '/':
            emit(dst, cap, len, c);
            break;
        case 'b': emit(dst, cap, len, '\b'); break;
        case 'f': emit(dst, cap, len, '\f'); break;
        case 'n': emit(dst, cap, len, '\n'); break;
        case 'r': emit(dst, cap, len, '\r'); break;
        case 't': emit(dst, cap, len, '\t'); break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(r, &cp) != RK_OK)
                return RK_EPARSE;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return rk_jr_syntax_error(r, "lone low surrogate");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (r->n - r->i < 2 || r->s[r->i] != '\\' || r->s[r->i + 1] != 'u')
                    return rk_jr_syntax_error(r, "lone high surrogate");
                r->i += 2;
                if (hex4(r, &lo) != RK_OK)
                    return RK_EPARSE;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return rk_jr_syntax_error(r, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0)
                return rk_jr_syntax_error(r, "NUL character in string");
            emit_cp(dst, cap, len, cp);
            break;
        }
        default:
            return rk_jr_syntax_error(r, "bad escape in string");
        }
    }
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int read_number(struct rk_jr *r, struct rk_jr_value *v)
{
    v->kind = RK_JR_NUMBER;
    if (r->s[r->i] == '-') {
        v->negative = true;
        r->i++;
    }
    if (r->i >= r->n || !is_digit(r->s[r->i]))
        return rk_jr_syntax_error(r, "bad number");
    if (r->s[r->i] == '0') {
        r->i++;
        if (r->i < r->n && is_digit(r->s[r->i]))
            return rk_jr_syntax_error(r, "leading zero in number");
    } else {
        while (r->i < r->n && is_digit(r->s[r->i])) {
            unsigned d = r->s[r->i++] - '0';
            if (v->mag > (UINT64_MAX - d) / 10)
                v->overflow = true;
            else
                v->mag = v->mag * 10 + d;
        }
    }
    if (r->i < r->n && r->s[r->i] == '.') {
        v->fraction = true;
        r->i++;
        if (r->i >= r->n || !is_digit(r->s[r->i]))
            return rk_jr_syntax_error(r, "bad fraction");
        while (r->i < r->n && is_digit(r->s[r->i]))
            r->i++;
    }
    if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
        v->exponent = true;
        r->i++;
        if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-'))
            r->i++;
        if (r->i >= r->n || !is_digit(r->s[r->i]))
            return rk_jr_syntax_error(r, "bad exponent");
        while (r->i < r->n && is_digit(r->s[r->i]))
            r->i++;
    }
    return RK_OK;
}

static int read_literal(struct rk_jr *r, const char *lit)
{
    size_t n = strlen(lit);
    if (r->n - r->i < n || memcmp(r->s + r->i, lit, n) != 0)
        return rk_jr_syntax_error(r, "unexpected character");
    r->i += n;
    return RK_OK;
}


/* Reads (and discards) the members of a nested object or the items of an array: the walker
 * with nobody to hand them to, one level deeper. */
static int read_container(struct rk_jr *r, int depth)
{
    if (depth > RK_JR_DEPTH_MAX)
        return rk_jr_syntax_error(r, "nesting too deep");
    return rk_jr_container(r, depth + 1, NULL, NULL);
}

int rk_jr_value(struct rk_jr *r, struct rk_jr_value *v, int depth)
{
    memset(v, 0, sizeof *v);
    rk_jr_skip_ws(r);
    v->offset = (long)r->i;
    if (r->i >= r->n)
        return rk_jr_syntax_error(r, "expected a value");
    unsigned char c = r->s[r->i];
    switch (c) {
    case '"':
        v->kind = RK_JR_STRING;
        return rk_jr_string(r, v->str, sizeof v->str, &v->len);
    case '{':
        v->kind = RK_JR_OBJECT;
        return read_container(r, depth);
    case '[':
        v->kind = RK_JR_ARRAY;
        return read_container(r, depth);
    case 't':
        v->kind = RK_JR_BOOL, v->b = true;
        return read_literal(r, "true");
    case 'f':
        v->kind = RK_JR_BOOL, v->b = false;
        return read_literal(r, "false");
    case 'n':
        v->kind = RK_JR_NULL;
        return read_literal(r, "null");
    default:
        if (c == '-' || is_digit(c))
            return read_number(r, v);
        return rk_jr_syntax_error(r, "unexpected character");
    }
}

int rk_jr_container(struct rk_jr *r, int depth,
                    int (*fn)(void *ud, struct rk_jr *r, const struct rk_jr_item *item), void *ud)
{
    assert(r->i < r->n && (r->s[r->i] == '{' || r->s[r->i] == '['));
    bool object = r->s[r->i] == '{';
    char close = object ? '}' : ']';
    r->i++;
    rk_jr_skip_ws(r);
    if (r->i < r->n && r->s[r->i] == close) {
        r->i++;
        return RK_OK;
    }
    for (;;) {
        struct rk_jr_item it;
        it.key[0] = '\0';
        it.klen = 0;
        rk_jr_skip_ws(r);
        it.key_at = r->i;
        if (object) {
            if (r->i >= r->n || r->s[r->i] != '"')
                return rk_jr_syntax_error(r, "expected a key");
            if (rk_jr_string(r, it.key, sizeof it.key - 1, &it.klen) != RK_OK)
                return RK_EPARSE;
            it.key[it.klen < sizeof it.key - 1 ? it.klen : sizeof it.key - 1] = '\0';
            rk_jr_skip_ws(r);
            if (r->i >= r->n || r->s[r->i] != ':')
                return rk_jr_syntax_error(r, "expected ':'");
            r->i++;
        }
        if (rk_jr_value(r, &it.v, depth) != RK_OK)
            return RK_EPARSE;
        it.end = r->i;
        if (fn) {
            int rc = fn(ud, r, &it);
            if (rc != RK_OK)
                return rc;
        }
        rk_jr_skip_ws(r);
        if (r->i >= r->n)
            return rk_jr_syntax_error(r, object ? "unterminated object" : "unterminated array");
        if (r->s[r->i] == close) {
            r->i++;
            return RK_OK;
        }
        if (r->s[r->i] != ',')
            return rk_jr_syntax_error(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
        r->i++;
    }
}

int rk_jr_end(struct rk_jr *r, const char *msg)
{
    rk_jr_skip_ws(r);
    return r->i == r->n ? RK_OK : rk_jr_syntax_error(r, msg);
}

void rk_jr_printable(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (; k < n && s[k] && k + 1 < cap; k++)
        out[k] = s[k] >= 0x20 && s[k] < 0x7f ? s[k] : '?';
    if (cap)
        out[k] = '\0';
}
