/* KPU per-TPS portal JSON -> partial C.Hasil document. jansson is fine here (unlike the signed
 * C.Hasil decoder) because nothing is signed: we only need to read the portal's numbers safely
 * and say clearly when a document is not what we expect. Duplicate keys are still refused:
 * a document that states a number twice is not one we can check. */
#include "rekap/kpu.h"
#include "rekap/status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct rk_kpu_error *err, int status, const char *where, const char *msg)
{
    if (err) {
        snprintf(err->where, sizeof err->where, "%s", where ? where : "");
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return status;
}

/* Portal administrasi key -> C.Hasil field. The portal calls the DPK row "non_dpt". */
static const struct {
    const char *key;
    enum rk_chasil_field field;
} admin_map[] = {
    {"pemilih_dpt_l", RK_F_PEMILIH_DPT_L},       {"pemilih_dpt_p", RK_F_PEMILIH_DPT_P},
    {"pemilih_dpt_j", RK_F_PEMILIH_DPT_J},       {"pengguna_dpt_l", RK_F_PENGGUNA_DPT_L},
    {"pengguna_dpt_p", RK_F_PENGGUNA_DPT_P},     {"pengguna_dpt_j", RK_F_PENGGUNA_DPT_J},
    {"pengguna_dptb_l", RK_F_PENGGUNA_DPTB_L},   {"pengguna_dptb_p", RK_F_PENGGUNA_DPTB_P},
    {"pengguna_dptb_j", RK_F_PENGGUNA_DPTB_J},   {"pengguna_non_dpt_l", RK_F_PENGGUNA_DPK_L},
    {"pengguna_non_dpt_p", RK_F_PENGGUNA_DPK_P}, {"pengguna_non_dpt_j", RK_F_PENGGUNA_DPK_J},
    {"pengguna_total_l", RK_F_PENGGUNA_TOTAL_L}, {"pengguna_total_p", RK_F_PENGGUNA_TOTAL_P},
    {"pengguna_total_j", RK_F_PENGGUNA_TOTAL_J}, {"suara_sah", RK_F_SUARA_SAH},
    {"suara_tidak_sah", RK_F_SUARA_TIDAK_SAH},   {"suara_total", RK_F_SUARA_TOTAL},
};

/* Reads a count: null means absent (*present = false); otherwise a non-negative integer no
 * larger than RK_KPU_VALUE_MAX. */
static int read_count(json_t *v, const char *where, bool *present, uint32_t *out,
                      struct rk_kpu_error *err)
{
    *present = false;
    if (json_is_null(v))
        return RK_OK;
    if (!json_is_integer(v))
        return fail(err, RK_EINVAL, where, "value is not an integer");
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return fail(err, RK_ERANGE, where, "negative value");
    if (n > (json_int_t)RK_KPU_VALUE_MAX)
        return fail(err, RK_ERANGE, where, "value over 1000000");
    *present = true;
    *out = (uint32_t)n;
    return RK_OK;
}

/* Parses a decimal candidate id key ("100025"); false for any other key ("null", "persen"). */
static bool candidate_key(const char *key, int64_t *id)
{
    size_t n = strlen(key);
    if (n == 0 || n > 18 || key[0] == '0')
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (key[i] < '0' || key[i] > '9')
            return false;
        v = v * 10 + (key[i] - '0');
    }
    *id = v;
    return true;
}

struct cand {
    int64_t id;
    bool present;
    uint32_t votes;
};

static int by_id(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int parse_chart(json_t *chart, const struct rk_kpu_opts *o, struct rk_chasil *doc,
                       bool *any, struct rk_kpu_error *err)
{
    struct cand c[RK_CHASIL_PASLON_MAX];
    int n = 0;
    const char *key;
    json_t *val;
    *any = false;
    if (!json_is_object(chart))
        return fail(err, RK_EINVAL, "chart", "chart is not an object");
    json_object_foreach(chart, key, val)
    {
        int64_t id;
        if (!candidate_key(key, &id))
            continue;
        if (n == RK_CHASIL_PASLON_MAX)
            return fail(err, RK_EINVAL, key, "chart has more than 6 candidates");
        c[n].id = id;
        int rc = read_count(val, key, &c[n].present, &c[n].votes, err);
        if (rc != RK_OK)
            return rc;
        n++;
    }
    if (n == 0)
        return RK_OK; /* {"null": null}: page 2 not digitised */
    if (o->cand_ids) {
        for (int i = 0; i < n; i++) {
            int k = 0;
            while (k < o->n_cand && o->cand_ids[k] != c[i].id)
                k++;
            if (k == o->n_cand) {
                char id[24];
                snprintf(id, sizeof id, "%lld", (long long)c[i].id);
                return fail(err, RK_EINVAL, id, "chart candidate is not in this race");
            }
            if (c[i].present)
                rk_chasil_set(doc, (enum rk_chasil_field)(RK_F_SUARA_PASLON_1 + k), c[i].votes);
            *any = *any || c[i].present;
        }
        return RK_OK;
    }
    if (n < RK_CHASIL_PASLON_MIN)
        return fail(err, RK_EINVAL, "chart", "chart has fewer than 2 candidates");
    qsort(c, (size_t)n, sizeof c[0], by_id);
    doc->n_paslon = n;
    for (int i = 0; i < n; i++) {
        if (c[i].present)
            rk_chasil_set(doc, (enum rk_chasil_field)(RK_F_SUARA_PASLON_1 + i), c[i].votes);
        *any = *any || c[i].present;
    }
    return RK_OK;
}

static int parse_admin(json_t *adm, struct rk_chasil *doc, bool *any, struct rk_kpu_error *err)
{
    *any = false;
    if (!json_is_object(adm))
        return fail(err, RK_EINVAL, "administrasi", "administrasi is not an object");
    for (size_t i = 0; i < sizeof admin_map / sizeof admin_map[0]; i++) {
        json_t *v = json_object_get(adm, admin_map[i].key);
        if (!v)
            continue;
        bool present;
        uint32_t n = 0;
        int rc = read_count(v, admin_map[i].key, &present, &n, err);
        if (rc != RK_OK)
            return rc;
        if (present) {
            rk_chasil_set(doc, admin_map[i].field, n);
            *any = true;
        }
    }
    return RK_OK;
}

/* Finds the TPS code in the first image URL that has one: ".../{TPS13}-{date}-...jpg". */
static bool code_from_images(json_t *images, char out[RK_CODE_MAX + 1])
{
    size_t i;
    json_t *u;
    if (!json_is_array(images))
        return false;
    json_array_foreach(images, i, u)
    {
        if (!json_is_string(u))
            continue;
        const char *s = json_string_value(u);
        const char *base = strrchr(s, '/');
        base = base ? base + 1 : s;
        if (strlen(base) <= RK_CODE_MAX || base[RK_CODE_MAX] != '-')
            continue;
        char code[RK_CODE_MAX + 1];
        enum rk_level level;
        if (rk_code_parse(base, RK_CODE_MAX, code, &level) == RK_OK && level == RK_LEVEL_TPS) {
            memcpy(out, code, sizeof code);
            return true;
        }
    }
    return false;
}

int rk_kpu_parse_tps(const char *json, size_t len, const struct rk_kpu_opts *opts,
                     struct rk_chasil *doc, enum rk_kpu_state *state, struct rk_kpu_error *err)
{
    static const struct rk_kpu_opts defaults = {0};
    const struct rk_kpu_opts *o = opts ? opts : &defaults;
    rk_chasil_init(doc);
    *state = RK_KPU_EMPTY;
    fail(err, RK_OK, "", "");
    if (len > RK_KPU_DOC_MAX)
        return fail(err, RK_ETOOBIG, "", "document over 1 MiB");
    if (o->cand_ids && (o->n_cand < RK_CHASIL_PASLON_MIN || o->n_cand > RK_CHASIL_PASLON_MAX))
        return fail(err, RK_EINVAL, "", "candidate list must have 2..6 ids");

    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char msg[160];
        snprintf(msg, sizeof msg, "line %d: %s", jerr.line, jerr.text);
        return fail(err, RK_EPARSE, "", msg);
    }
    int rc = RK_OK;
    if (!json_is_object(root)) {
        rc = fail(err, RK_EINVAL, "", "document is not a JSON object");
        goto out;
    }
    json_t *body = root;
    json_t *tungsura = json_object_get(root, "tungsura");
    if (tungsura && !json_is_null(tungsura)) {
        if (!json_is_object(tungsura)) {
            rc = fail(err, RK_EINVAL, "tungsura", "tungsura is not an object");
            goto out;
        }
        body = tungsura; /* Pilkada 2024 layout */
    }

    if (o->tps_code && o->tps_code[0]) {
        enum rk_level level;
        if (rk_code_parse(o->tps_code, strlen(o->tps_code), doc->tps, &level) != RK_OK ||
            level != RK_LEVEL_TPS) {
            rc = fail(err, RK_EINVAL, "", "given TPS code is not a 13-digit TPS code");
            goto out;
        }
    } else if (!code_from_images(json_object_get(root, "images"), doc->tps)) {
        rc = fail(err, RK_EINVAL, "images", "no TPS code given and none in the image URLs");
        goto out;
    }
    snprintf(doc->election, sizeof doc->election, "%s",
             o->election && o->election[0] ? o->election : "pemilu2024");
    doc->race_id = o->race_id;
    if (o->cand_ids) {
        doc->n_paslon = o->n_cand;
        doc->kolom_kosong = o->kolom_kosong;
    }

    bool votes = false, admin = false;
    json_t *chart = json_object_get(body, "chart");
    if (chart && !json_is_null(chart) && (rc = parse_chart(chart, o, doc, &votes, err)) != RK_OK)
        goto out;
    json_t *adm = json_object_get(body, "administrasi");
    if (adm && !json_is_null(adm) && (rc = parse_admin(adm, doc, &admin, err)) != RK_OK)
        goto out;
    *state = votes && admin ? RK_KPU_FULL : votes || admin ? RK_KPU_PARTIAL : RK_KPU_EMPTY;
out:
    json_decref(root);
    if (rc != RK_OK) {
        char tps[RK_CODE_MAX + 1];
        memcpy(tps, doc->tps, sizeof tps);
        rk_chasil_init(doc);
        memcpy(doc->tps, tps, sizeof tps); /* keep the code: callers report errors by TPS */
        *state = RK_KPU_EMPTY;
    }
    return rc;
}
