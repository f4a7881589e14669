/* Election model rules: which race belongs to which region, and what makes a candidate list
 * well formed (including the single-pair-vs-kolom-kosong case). */
#include "rekap/election.h"
#include "rekap/status.h"
#include "rekap/text.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

int rk_race_kind_for_region(const char *code, enum rk_race_kind *kind)
{
    switch (rk_code_level(code)) {
    case RK_LEVEL_NATIONAL:
        *kind = RK_RACE_PRESIDENT;
        return RK_OK;
    case RK_LEVEL_PROVINCE:
        *kind = RK_RACE_GOVERNOR;
        return RK_OK;
    case RK_LEVEL_KABKOTA:
        *kind = rk_code_is_kota(code) ? RK_RACE_MAYOR : RK_RACE_REGENT;
        return RK_OK;
    default:
        return RK_EINVAL;
    }
}

enum rk_level rk_race_kind_level(enum rk_race_kind kind)
{
    switch (kind) {
    case RK_RACE_GOVERNOR:
        return RK_LEVEL_PROVINCE;
    case RK_RACE_REGENT:
    case RK_RACE_MAYOR:
        return RK_LEVEL_KABKOTA;
    case RK_RACE_PRESIDENT:
    default:
        return RK_LEVEL_NATIONAL;
    }
}

const char *rk_race_kind_code(enum rk_race_kind kind)
{
    switch (kind) {
    case RK_RACE_GOVERNOR:
        return "pkwkp";
    case RK_RACE_REGENT:
    case RK_RACE_MAYOR:
        return "pkwkk";
    case RK_RACE_PRESIDENT:
        return "ppwp";
    }
    return "?";
}

const char *rk_race_kind_label(enum rk_race_kind kind)
{
    switch (kind) {
    case RK_RACE_GOVERNOR:
        return "Gubernur";
    case RK_RACE_REGENT:
        return "Bupati";
    case RK_RACE_MAYOR:
        return "Wali Kota";
    case RK_RACE_PRESIDENT:
        return "Presiden";
    }
    return "?";
}

int rk_race_kind_parse(const char *s, enum rk_race_kind *kind)
{
    static const struct {
        const char *name;
        enum rk_race_kind kind;
    } names[] = {
        {"governor", RK_RACE_GOVERNOR}, {"gubernur", RK_RACE_GOVERNOR}, {"pkwkp", RK_RACE_GOVERNOR},
        {"regent", RK_RACE_REGENT},     {"bupati", RK_RACE_REGENT},     {"mayor", RK_RACE_MAYOR},
        {"walikota", RK_RACE_MAYOR},    {"president", RK_RACE_PRESIDENT}, {"presiden", RK_RACE_PRESIDENT},
        {"ppwp", RK_RACE_PRESIDENT},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *kind = names[i].kind;
            return RK_OK;
        }
    }
    return RK_EINVAL;
}

int rk_race_check_candidates(const struct rk_candidate *c, int n, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (n < 2) {
        *why = "a race needs at least two columns (two pairs, or one pair and kolom kosong)";
        return RK_EINVAL;
    }
    if (n > RK_CANDIDATES_MAX) {
        *why = "a race has at most 6 candidate pairs";
        return RK_EINVAL;
    }
    int seen[RK_CANDIDATES_MAX + 1] = {0};
    int empty = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].ballot_no < 1 || c[i].ballot_no > n) {
            *why = "ballot numbers must run from 1 to the number of columns";
            return RK_EINVAL;
        }
        if (seen[c[i].ballot_no]++) {
            *why = "duplicate ballot number";
            return RK_EINVAL;
        }
        if (c[i].name[0] == '\0') {
            *why = "candidate pair without a name";
            return RK_EINVAL;
        }
        empty += c[i].kolom_kosong;
    }
    if (empty > 1 || (empty == 1 && n != 2)) {
        *why = "kolom kosong only appears opposite a single candidate pair";
        return RK_EINVAL;
    }
    return RK_OK;
}

static int is_kolom_kosong(const char *name)
{
    static const char kk[] = "KOLOM KOSONG";
    size_t n = strlen(name);
    while (n && (name[n - 1] == ' ' || name[n - 1] == '-'))
        n--;
    return n == sizeof kk - 1 && strncasecmp(name, kk, n) == 0;
}

int rk_candidate_init(struct rk_candidate *c, int64_t id, int ballot_no, const char *name,
                      const char *color)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    if (ballot_no < 1 || ballot_no > RK_CANDIDATES_MAX)
        return RK_ERANGE;
    c->ballot_no = ballot_no;
    int rc = rk_text_copy(c->name, sizeof c->name, name, strlen(name));
    if (rc != RK_OK)
        return rc;
    c->kolom_kosong = is_kolom_kosong(c->name);
    if (c->kolom_kosong)
        strcpy(c->name, "KOLOM KOSONG");
    if (color && color[0]) {
        if (strlen(color) != 7 || color[0] != '#')
            return RK_EINVAL;
        for (int i = 1; i < 7; i++)
            if (!isxdigit((unsigned char)color[i]))
                return RK_EINVAL;
        memcpy(c->color, color, 8);
    }
    return RK_OK;
}

int rk_election_slug_check(const char *slug)
{
    size_t n = strnlen(slug, RK_ELECTION_SLUG_MAX + 1);
    if (n == 0 || n > RK_ELECTION_SLUG_MAX)
        return RK_EINVAL;
    for (size_t i = 0; i < n; i++) {
        char ch = slug[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return RK_EINVAL;
    }
    return RK_OK;
}
