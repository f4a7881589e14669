/* KPU paslon JSON -> races and candidate pairs. Uses jansson with duplicate-key rejection so a
 * file that says two different things about one candidate is refused rather than guessed at. */
#include "rekap/paslon.h"
#include "rekap/status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct rk_paslon_error *err, int status, const char *where, const char *msg)
{
    if (err) {
        snprintf(err->where, sizeof err->where, "%s", where ? where : "");
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return status;
}

static int by_ballot(const void *a, const void *b)
{
    const struct rk_candidate *x = a, *y = b;
    return (x->ballot_no > y->ballot_no) - (x->ballot_no < y->ballot_no);
}

static int parse_race(const char *key, json_t *obj, struct rk_paslon_race *race,
                      struct rk_paslon_error *err)
{
    enum rk_level level;
    memset(race, 0, sizeof *race);
    if (rk_code_parse(key, strlen(key), race->region_code, &level) != RK_OK ||
        (level != RK_LEVEL_PROVINCE && level != RK_LEVEL_KABKOTA))
        return fail(err, RK_EINVAL, key, "key is not a province or kab/kota code");
    rk_race_kind_for_region(race->region_code, &race->kind);
    if (!json_is_object(obj))
        return fail(err, RK_EINVAL, key, "race is not an object of candidates");
    if (json_object_size(obj) > RK_CANDIDATES_MAX)
        return fail(err, RK_EINVAL, key, "more than 6 candidate pairs");
    const char *id;
    json_t *c;
    json_object_foreach(obj, id, c)
    {
        uint64_t idv = 0;
        char *end = NULL;
        idv = strtoull(id, &end, 10);
        if (!id[0] || *end || idv == 0 || idv > INT64_MAX || id[0] == '0')
            return fail(err, RK_EINVAL, id, "candidate id is not a positive integer");
        if (!json_is_object(c))
            return fail(err, RK_EINVAL, id, "candidate is not an object");
        json_t *nama = json_object_get(c, "nama");
        json_t *urut = json_object_get(c, "nomor_urut");
        json_t *warna = json_object_get(c, "warna");
        if (!json_is_string(nama))
            return fail(err, RK_EINVAL, id, "missing string field \"nama\"");
        if (!json_is_integer(urut))
            return fail(err, RK_EINVAL, id, "missing integer field \"nomor_urut\"");
        if (warna && !json_is_string(warna) && !json_is_null(warna))
            return fail(err, RK_EINVAL, id, "field \"warna\" is not a string");
        json_int_t no = json_integer_value(urut);
        if (no < 1 || no > RK_CANDIDATES_MAX)
            return fail(err, RK_EINVAL, id, "nomor_urut outside 1..6");
        struct rk_candidate *cand = &race->cand[race->n];
        int rc = rk_candidate_init(cand, (int64_t)idv, (int)no, json_string_value(nama),
                                   json_is_string(warna) ? json_string_value(warna) : NULL);
        if (rc != RK_OK)
            return fail(err, RK_EINVAL, id, "bad candidate name or colour");
        race->n++;
    }
    qsort(race->cand, (size_t)race->n, sizeof race->cand[0], by_ballot);
    const char *why;
    if (rk_race_check_candidates(race->cand, race->n, &why) != RK_OK)
        return fail(err, RK_EINVAL, key, why);
    return RK_OK;
}

int rk_paslon_parse(const char *json, size_t len,
                    int (*fn)(void *ud, const struct rk_paslon_race *race), void *ud,
                    struct rk_paslon_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (len > RK_PASLON_FILE_MAX)
        return fail(err, RK_ETOOBIG, NULL, "file larger than 64 MiB");
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (err)
            err->line = jerr.line;
        return fail(err, RK_EPARSE, NULL, jerr.text);
    }
    int rc = RK_OK;
    if (!json_is_object(root)) {
        rc = fail(err, RK_EINVAL, NULL, "top level is not an object keyed by region code");
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        struct rk_paslon_race race;
        if ((rc = parse_race(key, val, &race, err)) != RK_OK)
            break;
        if ((rc = fn(ud, &race)) != 0)
            break;
    }
out:
    json_decref(root);
    return rc;
}
