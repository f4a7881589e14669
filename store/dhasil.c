/* D.Hasil from the store: gathers race, region, tallies and TPS counts into the pure document and
 * checks it. Lists are collected first and the per-row queries made afterwards, because visitors
 * must not run other queries on the handle while a listing is in progress (PostgreSQL). */
#include "store/dhasil.h"
#include "rekap/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(struct rk_dhasil_error *err, const char *where, const char *fmt_id,
                const char *fmt_en, ...) __attribute__((format(printf, 3, 5)));

static void say(struct rk_dhasil_error *err, const char *where, const char *fmt_id,
                const char *fmt_en, ...)
{
    if (!err)
        return;
    snprintf(err->where, sizeof err->where, "%s", where);
    va_list ap, aq;
    va_start(ap, fmt_en);
    va_copy(aq, ap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(err->msg_id, sizeof err->msg_id, fmt_id, ap);
    vsnprintf(err->msg_en, sizeof err->msg_en, fmt_en, aq);
#pragma GCC diagnostic pop
    va_end(aq);
    va_end(ap);
}

static int db_error(struct rk_dhasil_error *err, int rc, const char *what)
{
    say(err, what, "gagal membaca %s dari basis data: %s", "reading %s from the store failed: %s",
        what, rk_strerror(rc));
    return rc;
}

/* A growable array of fixed-size items, capped. */
struct vec {
    void *items;
    int n, cap, max;
    size_t size;
    bool overflow;
};

static void *vec_push(struct vec *v)
{
    if (v->n >= v->max) {
        v->overflow = true;
        return NULL;
    }
    if (v->n == v->cap) {
        int ncap = v->cap ? v->cap * 2 : 64;
        void *p = realloc(v->items, (size_t)ncap * v->size);
        if (!p)
            return NULL;
        v->items = p;
        v->cap = ncap;
    }
    return (char *)v->items + (size_t)v->n++ * v->size;
}

/* Visitors return RK_ETOOBIG / RK_ENOMEM (negative) to stop the listing. */
static int push_or_stop(struct vec *v, void **slot)
{
    *slot = vec_push(v);
    return *slot ? 0 : v->overflow ? RK_ETOOBIG : RK_ENOMEM;
}

static int collect_region(void *ud, const struct rk_region *r)
{
    void *slot;
    int rc = push_or_stop(ud, &slot);
    if (rc == 0)
        memcpy(slot, r, sizeof *r);
    return rc;
}

struct child {
    struct rk_region r;
    struct rk_tally t;
};

static int collect_child(void *ud, const struct rk_region *r, const struct rk_tally *t)
{
    void *slot;
    int rc = push_or_stop(ud, &slot);
    if (rc == 0) {
        struct child *c = slot;
        c->r = *r;
        c->t = *t;
    }
    return rc;
}

struct state {
    char tps[RK_CODE_MAX + 1];
    struct rk_tally t;
};

static int collect_state(void *ud, const struct rk_tps_state *st)
{
    void *slot;
    int rc = push_or_stop(ud, &slot);
    if (rc == 0) {
        struct state *x = slot;
        memcpy(x->tps, st->tps, sizeof x->tps);
        x->t = st->tally;
    }
    return rc;
}

static int list_error(struct rk_dhasil_error *err, int rc, const char *what)
{
    if (rc == RK_ETOOBIG) {
        say(err, what, "terlalu banyak baris (%s lebih dari %d)",
            "too many rows (%s over %d)", what, RK_DHASIL_ROWS_MAX);
        return rc;
    }
    return db_error(err, rc, what);
}

static void ancestor_name(struct rk_store *s, const char *code, enum rk_level level, char *dst,
                          size_t cap)
{
    char anc[RK_CODE_MAX + 1];
    struct rk_region r;
    dst[0] = 0;
    if (rk_code_level(code) >= (int)level && rk_code_ancestor(code, level, anc) == RK_OK &&
        rk_store_region_get(s, anc, &r) == RK_OK)
        snprintf(dst, cap, "%s", r.name);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

/* "STH 1234 root 9f2c...e1 (2024-11-28T10:00:05Z)" or a note that there is none yet. */
static void describe_sth(struct rk_store *s, char *buf, size_t cap)
{
    struct rk_sth_row sth;
    int64_t size = 0;
    if (rk_store_sth_latest(s, &sth) == RK_OK) {
        char root[65];
        hex(sth.root, 32, root);
        snprintf(buf, cap, "STH size %lld root %s ts %lld", (long long)sth.size, root,
                 (long long)sth.timestamp_ms);
    } else if (rk_store_log_size(s, &size) == RK_OK) {
        snprintf(buf, cap, "log %lld entri, belum ada STH / %lld log entries, no signed tree head",
                 (long long)size, (long long)size);
    } else {
        snprintf(buf, cap, "-");
    }
}

static int load_header(struct rk_store *s, int64_t race_id, const char *code,
                       int64_t generated_ms, const char *data_ref, struct rk_dhasil_header *h,
                       struct rk_dhasil_error *err)
{
    memset(h, 0, sizeof *h);
    int rc = rk_store_race_get(s, race_id, &h->race);
    if (rc == RK_ENOTFOUND) {
        say(err, "race", "pemilihan (race) %lld tidak ditemukan", "race %lld not found",
            (long long)race_id);
        return rc;
    }
    if (rc != RK_OK)
        return db_error(err, rc, "race");
    if (code[0]) {
        rc = rk_store_region_get(s, code, &h->region);
        if (rc == RK_ENOTFOUND) {
            say(err, "region", "wilayah %s tidak ditemukan", "region %s not found", code);
            return rc;
        }
        if (rc != RK_OK)
            return db_error(err, rc, "region");
    } else {
        h->region.level = RK_LEVEL_NATIONAL;
        snprintf(h->region.name, sizeof h->region.name, "INDONESIA");
    }
    /* Say "outside the race" before anything else is read: the commonest mistake. */
    size_t rl = strlen(h->race.region_code);
    if (strncmp(code, h->race.region_code, rl) != 0 ||
        (int)h->region.level < (int)rk_race_kind_level(h->race.kind)) {
        say(err, "region",
            "wilayah %s (%s) berada di luar wilayah pemilihan %lld (%s, wilayah %s)",
            "region %s (%s) is outside race %lld (%s, region %s)",
            code[0] ? code : "nasional", h->region.name, (long long)race_id, h->race.name,
            h->race.region_code[0] ? h->race.region_code : "nasional");
        return RK_EINVAL;
    }
    struct rk_election e;
    if ((rc = rk_store_election_get(s, h->race.election_id, &e)) != RK_OK)
        return db_error(err, rc, "election");
    snprintf(h->election_slug, sizeof h->election_slug, "%s", e.slug);
    snprintf(h->election_name, sizeof h->election_name, "%s", e.name);
    h->year = e.year;
    int n = 0;
    if ((rc = rk_store_candidate_list(s, race_id, h->cand, RK_CANDIDATES_MAX, &n)) != RK_OK)
        return db_error(err, rc, "candidates");
    h->ncand = n > RK_CANDIDATES_MAX ? RK_CANDIDATES_MAX + 1 : n; /* begin refuses > max */
    ancestor_name(s, code, RK_LEVEL_PROVINCE, h->provinsi, sizeof h->provinsi);
    ancestor_name(s, code, RK_LEVEL_KABKOTA, h->kabkota, sizeof h->kabkota);
    ancestor_name(s, code, RK_LEVEL_KECAMATAN, h->kecamatan, sizeof h->kecamatan);
    if ((rc = rk_store_tally_get(s, race_id, code, &h->total)) != RK_OK)
        return db_error(err, rc, "tally");
    int64_t counts[RK_LEVEL_COUNT];
    if ((rc = rk_store_region_counts(s, code, counts)) != RK_OK)
        return db_error(err, rc, "region counts");
    h->tps_expected = counts[RK_LEVEL_TPS];
    h->generated_ms = generated_ms;
    if (data_ref)
        snprintf(h->data_ref, sizeof h->data_ref, "%s", data_ref);
    else
        describe_sth(s, h->data_ref, sizeof h->data_ref);
    return RK_OK;
}

/* Rows of a kab/kota, provinsi or national recap: one per child region. */
static int load_children(struct rk_store *s, int64_t race_id, const char *code,
                         struct rk_dhasil *d, struct rk_dhasil_error *err)
{
    struct vec v = {.size = sizeof(struct child), .max = RK_DHASIL_ROWS_MAX};
    int rc = rk_store_tally_children(s, race_id, code, collect_child, &v);
    if (rc != RK_OK) {
        free(v.items);
        return list_error(err, rc, "children");
    }
    const struct child *c = v.items;
    for (int i = 0; i < v.n && rc == RK_OK; i++) {
        struct rk_dhasil_row row;
        memset(&row, 0, sizeof row);
        memcpy(row.code, c[i].r.code, sizeof row.code);
        memcpy(row.name, c[i].r.name, sizeof row.name);
        row.tally = c[i].t;
        int64_t counts[RK_LEVEL_COUNT];
        if ((rc = rk_store_region_counts(s, row.code, counts)) != RK_OK) {
            db_error(err, rc, "region counts");
            break;
        }
        row.tps_expected = counts[RK_LEVEL_TPS];
        rc = rk_dhasil_add_row(d, &row, err);
    }
    free(v.items);
    return rc;
}

/* Rows of a kecamatan recap: every registered TPS and every TPS with results, merged by code. */
static int load_tps(struct rk_store *s, int64_t race_id, const char *code, struct rk_dhasil *d,
                    struct rk_dhasil_error *err)
{
    struct vec desa = {.size = sizeof(struct rk_region), .max = RK_DHASIL_ROWS_MAX};
    struct vec tps = {.size = sizeof(struct rk_region), .max = RK_DHASIL_ROWS_MAX};
    struct vec st = {.size = sizeof(struct state), .max = RK_DHASIL_ROWS_MAX};
    int rc = rk_store_region_children(s, code, collect_region, &desa);
    if (rc != RK_OK) {
        list_error(err, rc, "desa");
        goto out;
    }
    if ((rc = rk_store_region_at_level(s, code, RK_LEVEL_TPS, collect_region, &tps)) != RK_OK) {
        list_error(err, rc, "TPS");
        goto out;
    }
    if ((rc = rk_store_tps_states(s, race_id, code, false, collect_state, &st)) != RK_OK) {
        list_error(err, rc, "TPS states");
        goto out;
    }
    const struct rk_region *D = desa.items, *T = tps.items;
    const struct state *S = st.items;
    int i = 0, j = 0, k = 0;
    while (rc == RK_OK && (i < tps.n || j < st.n)) {
        int cmp = i >= tps.n ? 1 : j >= st.n ? -1 : strcmp(T[i].code, S[j].tps);
        struct rk_dhasil_row row;
        memset(&row, 0, sizeof row);
        if (cmp <= 0) {
            memcpy(row.code, T[i].code, sizeof row.code);
            memcpy(row.name, T[i].name, sizeof row.name);
            row.tps_expected = 1;
            i++;
        } else {
            /* Results for a TPS missing from the region list: shown, and refused by the check
             * (received > registered), rather than silently dropped from the sum. */
            memcpy(row.code, S[j].tps, sizeof row.code);
            snprintf(row.name, sizeof row.name, "TPS %s", S[j].tps + 10);
        }
        if (cmp >= 0) {
            row.tally = S[j].t;
            j++;
        }
        while (k < desa.n && strncmp(D[k].code, row.code, 10) < 0)
            k++;
        if (k < desa.n && strncmp(D[k].code, row.code, 10) == 0)
            memcpy(row.desa, D[k].name, sizeof row.desa);
        rc = rk_dhasil_add_row(d, &row, err);
    }
out:
    free(desa.items);
    free(tps.items);
    free(st.items);
    return rc;
}

int rk_store_dhasil_load(struct rk_store *s, int64_t race_id, const char *code,
                         int64_t generated_ms, const char *data_ref, struct rk_dhasil *d,
                         struct rk_dhasil_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (rk_code_level(code) < 0) {
        say(err, "region", "kode wilayah '%.20s' tidak valid", "invalid region code '%.20s'",
            code);
        return RK_EINVAL;
    }
    struct rk_dhasil_header *h = malloc(sizeof *h);
    if (!h)
        return RK_ENOMEM;
    int rc = load_header(s, race_id, code, generated_ms, data_ref, h, err);
    if (rc == RK_OK)
        rc = rk_dhasil_begin(d, h, err);
    free(h);
    if (rc != RK_OK)
        return rc;
    if (d->row_level == RK_LEVEL_TPS)
        rc = load_tps(s, race_id, code, d, err);
    else
        rc = load_children(s, race_id, code, d, err);
    if (rc == RK_OK)
        rc = rk_dhasil_finish(d, err);
    return rc;
}
