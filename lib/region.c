/* Region codes: parsing and hierarchy arithmetic. The level of a code is its length, and the
 * parent of a code is its prefix, so the whole tree can be walked without a lookup. */
#include "rekap/region.h"
#include "rekap/status.h"
#include "rekap/text.h"

#include <string.h>

/* Digits per group: province, kab/kota, kecamatan, desa, TPS. */
static const size_t group_len[5] = {2, 2, 2, 4, 3};
static const size_t level_len[RK_LEVEL_COUNT] = {0, 2, 4, 6, 10, 13};

size_t rk_level_digits(enum rk_level level)
{
    return (unsigned)level < RK_LEVEL_COUNT ? level_len[level] : 0;
}

int rk_code_level(const char *code)
{
    size_t n = strnlen(code, RK_CODE_MAX + 1);
    for (int l = 0; l < RK_LEVEL_COUNT; l++)
        if (level_len[l] == n)
            return l;
    return -1;
}

static int group_is_zero(const char *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (g[i] != '0')
            return 0;
    return 1;
}

int rk_code_parse(const char *s, size_t len, char out[RK_CODE_MAX + 1], enum rk_level *level)
{
    char buf[RK_CODE_MAX + 1];
    size_t n = 0;
    int dotted = memchr(s, '.', len) != NULL;
    size_t pos = 0;
    int groups = 0;

    if (len == 0 || len > RK_CODE_MAX + 4)
        return RK_EINVAL;
    if (dotted) {
        /* Dotted form: groups separated by single dots, each of its exact width. */
        while (pos < len) {
            if (groups >= 5)
                return RK_EINVAL;
            size_t g = group_len[groups];
            if (len - pos < g)
                return RK_EINVAL;
            for (size_t i = 0; i < g; i++) {
                char c = s[pos + i];
                if (c < '0' || c > '9')
                    return RK_EINVAL;
                buf[n++] = c;
            }
            pos += g;
            groups++;
            if (pos < len) {
                if (s[pos] != '.' || pos + 1 == len)
                    return RK_EINVAL;
                pos++;
            }
        }
    } else {
        if (len > RK_CODE_MAX)
            return RK_EINVAL;
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return RK_EINVAL;
            buf[n++] = s[i];
        }
    }
    buf[n] = '\0';
    int l = rk_code_level(buf);
    if (l <= 0)
        return RK_EINVAL;
    size_t off = 0;
    for (int g = 0; g < l; g++) {
        if (group_is_zero(buf + off, group_len[g]))
            return RK_EINVAL;
        off += group_len[g];
    }
    if (buf[0] == '0') /* provinces are 11..99 */
        return RK_EINVAL;
    memcpy(out, buf, n + 1);
    if (level)
        *level = (enum rk_level)l;
    return RK_OK;
}

int rk_code_ancestor(const char *code, enum rk_level level, char out[RK_CODE_MAX + 1])
{
    int own = rk_code_level(code);
    if (own < 0 || (unsigned)level >= RK_LEVEL_COUNT || (int)level > own)
        return RK_EINVAL;
    size_t n = level_len[level];
    memmove(out, code, n);
    out[n] = '\0';
    return RK_OK;
}

int rk_code_parent(const char *code, char out[RK_CODE_MAX + 1])
{
    int own = rk_code_level(code);
    if (own <= 0)
        return RK_EINVAL;
    return rk_code_ancestor(code, (enum rk_level)(own - 1), out);
}

int rk_code_is_kota(const char *kabkota_code)
{
    if (rk_code_level(kabkota_code) < RK_LEVEL_KABKOTA)
        return 0;
    return kabkota_code[2] >= '7';
}

const char *rk_level_name(enum rk_level level, int english)
{
    static const char *const id[RK_LEVEL_COUNT] = {"nasional",  "provinsi",       "kabupaten/kota",
                                                   "kecamatan", "desa/kelurahan", "TPS"};
    static const char *const en[RK_LEVEL_COUNT] = {"national", "province", "regency/city",
                                                   "district", "village",  "polling station"};
    if ((unsigned)level >= RK_LEVEL_COUNT)
        return "?";
    return english ? en[level] : id[level];
}

int rk_region_init(struct rk_region *r, const char *code, size_t code_len, const char *name,
                   size_t name_len)
{
    memset(r, 0, sizeof *r);
    int rc = rk_code_parse(code, code_len, r->code, &r->level);
    if (rc != RK_OK)
        return rc;
    return rk_text_copy(r->name, sizeof r->name, name, name_len);
}
