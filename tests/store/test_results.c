/* Results in the store, run against SQLite and (tests/store/postgres.sh) PostgreSQL: versions
 * numbered with their history kept, per-TPS state, tallies at every level checked against an
 * independent recount after many submissions, corrections and approvals, flagged listings,
 * the transparency log and signed tree heads, and the append-only guarantees enforced by the
 * database itself (raw SQL on the engine's own connection must fail). */
#include "testutil.h"
#include "rekap/status.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NTPS 7

static const char *const tree_codes[] = {
    "11", "1101", "110101", "1101012001", "1101012001001", "1101012001002",
    "1101012002", "1101012002001", "110102", "1101022001", "1101022001001", "1101022001002",
    "12", "1201", "120101", "1201012001", "1201012001001", "1201012001003",
};
#define NCODES (sizeof tree_codes / sizeof tree_codes[0])

static const char *const tps_codes[NTPS] = {
    "1101012001001", "1101012001002", "1101012002001", "1101022001001",
    "1101022001002", "1201012001001", "1201012001003",
};

struct fx {
    char dir[256];
    char path[1200];
    struct rk_store *s;
    int64_t race;
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    rk_test_tmpdir(f.dir, sizeof f.dir);
    rk_test_store_uri(f.dir, f.path, sizeof f.path);
    assert_int_equal(rk_store_open(f.path, &f.s), RK_OK);
    for (size_t i = 0; i < NCODES; i++) {
        struct rk_region r;
        const char *c = tree_codes[i];
        assert_int_equal(rk_region_init(&r, c, strlen(c), "X", 1), RK_OK);
        assert_int_equal(rk_store_region_put(f.s, &r), RK_OK);
    }
    struct rk_election e = {.kind = RK_ELECTION_PEMILU, .year = 2024};
    snprintf(e.slug, sizeof e.slug, "pemilu2024");
    snprintf(e.name, sizeof e.name, "Pemilu 2024");
    assert_int_equal(rk_store_election_put(f.s, &e), RK_OK);
    struct rk_race race = {.election_id = e.id, .kind = RK_RACE_PRESIDENT};
    snprintf(race.name, sizeof race.name, "Presiden");
    assert_int_equal(rk_store_race_put(f.s, &race), RK_OK);
    f.race = race.id;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rk_store_close(f->s);
    rk_test_rmtree(f->dir);
    return 0;
}

static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* What the test believes each TPS holds, kept apart from the store. */
struct model {
    bool has[NTPS];
    struct rk_tally cur[NTPS]; /* current numbers with received/flagged/approved as 0/1 */
    int nver[NTPS];
    int total_versions;
    uint8_t hash[NTPS][32];
};

/* Fills a version with bytes covering 0x00 and 0xff, so blobs must survive intact. */
static void mk_version(struct rk_version *v, int64_t race, const char *tps, int k, bool correction,
                       const char *flags)
{
    memset(v, 0, sizeof *v);
    v->race_id = race;
    snprintf(v->tps, sizeof v->tps, "%s", tps);
    v->kind = correction ? RK_VERSION_CORRECTION : RK_VERSION_UPLOAD;
    snprintf(v->actor, sizeof v->actor, "%s", correction ? "ppk-x" : "kpps-y");
    if (!correction)
        snprintf(v->device, sizeof v->device, "00ff00ff00ff00ff");
    for (int i = 0; i < 32; i++)
        v->doc_hash[i] = (uint8_t)(i * 8 + k + tps[12]);
    v->doc_hash[0] = 0;
    v->doc_hash[31] = 0xff;
    v->n_photos = k % 3;
    for (int p = 0; p < v->n_photos; p++)
        for (int i = 0; i < 32; i++)
            v->photos[p][i] = (uint8_t)(255 - i - p);
    v->has_sig = !correction;
    for (int i = 0; i < 64; i++)
        v->sig[i] = (uint8_t)(i * 4 + k);
    if (correction)
        snprintf(v->reason, sizeof v->reason, "salah hitung suara paslon %d", k);
    snprintf(v->flags, sizeof v->flags, "%s", flags);
    v->created_ms = 1732500000000 + k;
    snprintf(v->doc, sizeof v->doc, "{\"tps\":\"%s\",\"v\":%d,\"note\":\"ü \\u0000 ok\"}", tps, k);
}

/* Submits version k of TPS i with random numbers, updating the model. */
static void submit(struct fx *f, struct model *m, int i, bool correction, const char *flags,
                   struct rk_version *v)
{
    struct rk_tally t;
    memset(&t, 0, sizeof t);
    t.votes[0] = rnd() % 150;
    t.votes[1] = rnd() % 150;
    t.votes[2] = rnd() % 3 == 0 ? 0 : rnd() % 40;
    t.sah = t.votes[0] + t.votes[1] + t.votes[2];
    t.tidak_sah = rnd() % 9;
    t.total = t.sah + t.tidak_sah;
    t.pengguna = t.total + rnd() % 2;
    t.dpt = 250 + i;
    mk_version(v, f->race, tps_codes[i], m->nver[i] + 1, correction, flags);
    int rc = rk_store_version_add(f->s, v, &t);
    if (rc != RK_OK)
        fail_msg("version_add %s: %d (%s)", tps_codes[i], rc, rk_store_errmsg(f->s));
    m->nver[i]++;
    m->total_versions++;
    assert_int_equal(v->version, m->nver[i]);
    assert_true(v->id > 0);
    m->has[i] = true;
    t.received = 1;
    t.flagged = flags[0] != '\0';
    t.approved = 0;
    m->cur[i] = t;
    memcpy(m->hash[i], v->doc_hash, 32);
}

/* The tally of region code recounted from the model, field by field. */
static void recount(const struct model *m, const char *code, struct rk_tally *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(code);
    for (int i = 0; i < NTPS; i++) {
        if (!m->has[i] || strncmp(tps_codes[i], code, n) != 0)
            continue;
        const struct rk_tally *t = &m->cur[i];
        for (int c = 0; c < RK_CANDIDATES_MAX; c++)
            out->votes[c] += t->votes[c];
        out->sah += t->sah;
        out->tidak_sah += t->tidak_sah;
        out->total += t->total;
        out->pengguna += t->pengguna;
        out->dpt += t->dpt;
        out->received += t->received;
        out->flagged += t->flagged;
        out->approved += t->approved;
    }
}

static void tally_eq(const struct rk_tally *got, const struct rk_tally *want, const char *code)
{
#define F(x)                                                                                   \
    if (got->x != want->x)                                                                     \
        fail_msg("region '%s' field %s: store %lld, recount %lld", code, #x, (long long)got->x, \
                 (long long)want->x);
    for (int c = 0; c < RK_CANDIDATES_MAX; c++)
        if (got->votes[c] != want->votes[c])
            fail_msg("region '%s' votes[%d]: store %lld, recount %lld", code, c,
                     (long long)got->votes[c], (long long)want->votes[c]);
    F(sah) F(tidak_sah) F(total) F(pengguna) F(dpt) F(received) F(flagged) F(approved)
#undef F
}

/* Every level (national, provinces, kab/kota, kecamatan, desa, TPS) against the recount. */
static void check_all(struct fx *f, const struct model *m)
{
    struct rk_tally got, want;
    assert_int_equal(rk_store_tally_get(f->s, f->race, "", &got), RK_OK);
    recount(m, "", &want);
    tally_eq(&got, &want, "");
    for (size_t k = 0; k < NCODES; k++) {
        const char *c = tree_codes[k];
        recount(m, c, &want);
        if (strlen(c) == 13) { /* a TPS: its state, not a tally row */
            struct rk_tps_state st;
            int i = 0;
            while (strcmp(tps_codes[i], c) != 0)
                i++;
            int rc = rk_store_tps_state(f->s, f->race, c, &st);
            if (!m->has[i]) {
                assert_int_equal(rc, RK_ENOTFOUND);
                continue;
            }
            assert_int_equal(rc, RK_OK);
            assert_int_equal(st.current_version, m->nver[i]);
            assert_memory_equal(st.current_hash, m->hash[i], 32);
            assert_int_equal(st.approved, m->cur[i].approved != 0);
            tally_eq(&st.tally, &want, c);
            continue;
        }
        assert_int_equal(rk_store_tally_get(f->s, f->race, c, &got), RK_OK);
        tally_eq(&got, &want, c);
    }
}

static void approve(struct fx *f, struct model *m, int i)
{
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    int rc =
        rk_store_approve(f->s, f->race, tps_codes[i], m->nver[i], "ppk-bakongan", 1732600000000);
    if (rc != RK_OK)
        fail_msg("approve %s: %d (%s)", tps_codes[i], rc, rk_store_errmsg(f->s));
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    m->cur[i].approved = 1;
}

static void test_recount_every_level(void **state)
{
    struct fx *f = *state;
    struct model m;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    check_all(f, &m);
    for (int step = 0; step < 60; step++) {
        int i = (int)(rnd() % NTPS);
        const char *flags = rnd() % 4 == 0 ? "SUM_MISMATCH,DPT" : "";
        assert_int_equal(rk_store_begin(f->s), RK_OK);
        submit(f, &m, i, m.has[i] && rnd() % 2, flags, &v);
        if (step % 7 == 3) {
            /* Two submissions in one transaction, the second for the same TPS: the state it
             * reads must be the one just written. */
            submit(f, &m, i, true, "", &v);
            submit(f, &m, (i + 3) % NTPS, false, flags, &v);
        }
        assert_int_equal(rk_store_commit(f->s), RK_OK);
        if (step % 3 == 2) {
            int j = (int)(rnd() % NTPS);
            if (m.has[j] && !m.cur[j].approved)
                approve(f, &m, j);
        }
        if (step % 5 == 4)
            check_all(f, &m);
    }
    check_all(f, &m);
    for (int i = 0; i < NTPS; i++)
        if (m.has[i] && !m.cur[i].approved)
            approve(f, &m, i);
    check_all(f, &m);
    struct rk_tally t;
    assert_int_equal(rk_store_tally_get(f->s, f->race, "", &t), RK_OK);
    assert_int_equal(t.approved, t.received);
    /* A resubmission takes the approval away again, at every level. */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    submit(f, &m, 0, true, "", &v);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    check_all(f, &m);
    assert_int_equal(rk_store_tally_get(f->s, f->race, "", &t), RK_OK);
    assert_int_equal(t.approved, t.received - 1);
    /* Nothing at all in another race. */
    assert_int_equal(rk_store_tally_get(f->s, f->race + 1, "", &t), RK_OK);
    assert_int_equal(t.received, 0);
}

/* Group commit's folded tallies: many jobs per transaction, each under a savepoint, some rolled
 * back after writing (their deltas must vanish), approvals folded too; every level must still
 * equal the recount after each commit. */
static void test_recount_folded(void **state)
{
    struct fx *f = *state;
    struct model m, before;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    int rolled = 0, kept = 0;
    for (int step = 0; step < 40; step++) {
        assert_int_equal(rk_store_begin(f->s), RK_OK);
        assert_int_equal(rk_store_fold_begin(f->s), RK_OK);
        assert_int_equal(rk_store_fold_begin(f->s), RK_ECONFLICT); /* one fold at a time */
        for (int job = 0; job < 5; job++) {
            int i = (int)(rnd() % NTPS);
            before = m;
            assert_int_equal(rk_store_savepoint(f->s), RK_OK);
            submit(f, &m, i, m.has[i] && rnd() % 2, rnd() % 3 == 0 ? "DPT" : "", &v);
            if (job % 2 == 1 && m.has[(i + 1) % NTPS] && !m.cur[(i + 1) % NTPS].approved) {
                int j = (i + 1) % NTPS;
                assert_int_equal(rk_store_approve(f->s, f->race, tps_codes[j], m.nver[j], "ppk",
                                                  1732600000000),
                                 RK_OK);
                m.cur[j].approved = 1;
            }
            if (rnd() % 4 == 0) {
                assert_int_equal(rk_store_rollback_to(f->s), RK_OK);
                m = before;
                rolled++;
            } else {
                assert_int_equal(rk_store_release(f->s), RK_OK);
                kept++;
            }
        }
        if (step % 2)
            assert_int_equal(rk_store_fold_flush(f->s), RK_OK); /* else commit flushes */
        assert_int_equal(rk_store_commit(f->s), RK_OK);
        check_all(f, &m);
    }
    assert_true(rolled > 0 && kept > 0);
    /* A rolled-back transaction drops its folded deltas with it. */
    before = m;
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_fold_begin(f->s), RK_OK);
    submit(f, &m, 2, m.has[2], "", &v);
    assert_int_equal(rk_store_rollback(f->s), RK_OK);
    m = before;
    check_all(f, &m);
    assert_int_equal(rk_store_fold_flush(f->s), RK_ECONFLICT); /* nothing open any more */
    assert_int_equal(rk_store_fold_begin(f->s), RK_ECONFLICT); /* not in a transaction */
}

struct vlist {
    int n;
    int64_t ids[256];
    int versions[256];
    char docs[8][RK_CHASIL_JSON_MAX];
    int stop_after;
};

static int collect_v(void *ud, const struct rk_version *v)
{
    struct vlist *L = ud;
    assert_true(L->n < 256);
    if (L->n < 8)
        memcpy(L->docs[L->n], v->doc, sizeof L->docs[0]);
    L->ids[L->n] = v->id;
    L->versions[L->n] = v->version;
    L->n++;
    return L->stop_after && L->n == L->stop_after ? 42 : 0;
}

static void test_versions_history(void **state)
{
    struct fx *f = *state;
    struct model m;
    struct rk_version v, got;
    memset(&m, 0, sizeof m);
    const char *tps = tps_codes[1];
    struct rk_version first;
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    submit(f, &m, 1, false, "", &first);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    assert_int_equal(first.version, 1);
    assert_int_equal(first.log_index, -1);
    for (int k = 2; k <= 4; k++) {
        assert_int_equal(rk_store_begin(f->s), RK_OK);
        submit(f, &m, 1, true, "", &v);
        assert_int_equal(rk_store_commit(f->s), RK_OK);
        assert_int_equal(v.version, k);
    }
    /* Every version stays readable, bytes and text intact. */
    assert_int_equal(rk_store_version_get(f->s, f->race, tps, 1, &got), RK_OK);
    assert_int_equal(got.id, first.id);
    assert_int_equal(got.kind, RK_VERSION_UPLOAD);
    assert_string_equal(got.tps, tps);
    assert_string_equal(got.actor, "kpps-y");
    assert_string_equal(got.device, "00ff00ff00ff00ff");
    assert_memory_equal(got.doc_hash, first.doc_hash, 32);
    assert_int_equal(got.n_photos, first.n_photos);
    assert_true(got.has_sig);
    assert_memory_equal(got.sig, first.sig, 64);
    assert_string_equal(got.doc, first.doc);
    assert_int_equal(got.created_ms, first.created_ms);
    assert_int_equal(got.log_index, -1);
    assert_int_equal(rk_store_version_get(f->s, f->race, tps, 3, &got), RK_OK);
    assert_int_equal(got.kind, RK_VERSION_CORRECTION);
    assert_false(got.has_sig);
    assert_string_equal(got.reason, "salah hitung suara paslon 3");
    assert_int_equal(got.n_photos, 0);
    assert_int_equal(rk_store_version_get(f->s, f->race, tps, 2, &got), RK_OK);
    assert_int_equal(got.n_photos, 2);
    uint8_t photo1[32];
    for (int i = 0; i < 32; i++)
        photo1[i] = (uint8_t)(255 - i - 1);
    assert_memory_equal(got.photos[1], photo1, 32);
    assert_int_equal(rk_store_version_get(f->s, f->race, tps, 5, &got), RK_ENOTFOUND);

    struct vlist *L = calloc(1, sizeof *L);
    assert_non_null(L);
    assert_int_equal(rk_store_version_list(f->s, f->race, tps, collect_v, L), RK_OK);
    assert_int_equal(L->n, 4);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(L->versions[k], k + 1);
        if (k)
            assert_true(L->ids[k] > L->ids[k - 1]);
    }
    assert_string_equal(L->docs[3], v.doc);

    /* Scan across TPS in id order; after_id skips; a visitor's non-zero stops the scan. */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    submit(f, &m, 4, false, "", &v);
    submit(f, &m, 6, false, "", &v);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    memset(L, 0, sizeof *L);
    assert_int_equal(rk_store_version_scan(f->s, 0, collect_v, L), RK_OK);
    assert_int_equal(L->n, 6);
    for (int k = 1; k < L->n; k++)
        assert_true(L->ids[k] > L->ids[k - 1]);
    assert_int_equal(L->ids[5], v.id);
    int64_t mid = L->ids[2];
    memset(L, 0, sizeof *L);
    assert_int_equal(rk_store_version_scan(f->s, mid, collect_v, L), RK_OK);
    assert_int_equal(L->n, 3);
    assert_true(L->ids[0] > mid);
    memset(L, 0, sizeof *L);
    L->stop_after = 2;
    assert_int_equal(rk_store_version_scan(f->s, 0, collect_v, L), 42);
    assert_int_equal(L->n, 2);
    free(L);

    /* The log link is filled in once. */
    assert_int_equal(rk_store_version_set_log(f->s, first.id, 0), RK_OK);
    assert_int_equal(rk_store_version_set_log(f->s, first.id, 1), RK_ECONFLICT);
    assert_int_equal(rk_store_version_set_log(f->s, 999999, 1), RK_ECONFLICT);
    assert_int_equal(rk_store_version_get(f->s, f->race, tps, 1, &got), RK_OK);
    assert_int_equal(got.log_index, 0);
}

static void test_version_errors(void **state)
{
    struct fx *f = *state;
    struct rk_version v;
    struct rk_tally t;
    struct rk_tps_state st;
    memset(&t, 0, sizeof t);
    t.votes[0] = 10;
    mk_version(&v, f->race, tps_codes[0], 1, false, "");
    assert_int_equal(rk_store_version_add(f->s, &v, &t), RK_ECONFLICT); /* no transaction */

    assert_int_equal(rk_store_begin(f->s), RK_OK);
    struct rk_version bad = v;
    snprintf(bad.tps, sizeof bad.tps, "1101012001"); /* a desa, not a TPS */
    assert_int_equal(rk_store_version_add(f->s, &bad, &t), RK_EINVAL);
    mk_version(&bad, f->race, tps_codes[0], 1, true, "");
    bad.reason[0] = '\0'; /* a correction always says why */
    assert_int_equal(rk_store_version_add(f->s, &bad, &t), RK_EINVAL);
    assert_int_equal(rk_store_commit(f->s), RK_OK);

    /* A race or TPS unknown to the store: refused; the caller rolls back, nothing is left. */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    mk_version(&bad, 4242, tps_codes[0], 1, false, "");
    assert_int_equal(rk_store_version_add(f->s, &bad, &t), RK_EORPHAN);
    assert_int_equal(rk_store_rollback(f->s), RK_OK);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    mk_version(&bad, f->race, "1101012001009", 1, false, "");
    assert_int_equal(rk_store_version_add(f->s, &bad, &t), RK_EORPHAN);
    assert_int_equal(rk_store_rollback(f->s), RK_OK);

    /* A rolled-back submission leaves no version, state or tally behind. */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_version_add(f->s, &v, &t), RK_OK);
    assert_int_equal(rk_store_rollback(f->s), RK_OK);
    assert_int_equal(rk_store_tps_state(f->s, f->race, tps_codes[0], &st), RK_ENOTFOUND);
    struct rk_version got;
    assert_int_equal(rk_store_version_get(f->s, f->race, tps_codes[0], 1, &got), RK_ENOTFOUND);
    struct rk_tally tt;
    assert_int_equal(rk_store_tally_get(f->s, f->race, "", &tt), RK_OK);
    assert_int_equal(tt.received + tt.votes[0], 0);
    /* ...and the next one is version 1. */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_version_add(f->s, &v, &t), RK_OK);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    assert_int_equal(v.version, 1);
    assert_int_equal(rk_store_tally_get(f->s, f->race, "11", &tt), RK_OK);
    assert_int_equal(tt.votes[0], 10);
    assert_int_equal(tt.received, 1);
}

static void test_approve(void **state)
{
    struct fx *f = *state;
    struct model m;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    const char *tps = tps_codes[2];
    assert_int_equal(rk_store_approve(f->s, f->race, tps, 1, "ppk", 1), RK_ECONFLICT); /* no tx */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_approve(f->s, f->race, tps, 1, "ppk", 1), RK_ENOTFOUND);
    submit(f, &m, 2, false, "", &v);
    submit(f, &m, 2, true, "", &v);
    assert_int_equal(rk_store_commit(f->s), RK_OK);

    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_approve(f->s, f->race, tps, 1, "ppk", 5), RK_ECONFLICT); /* old */
    assert_int_equal(rk_store_approve(f->s, f->race, tps, 3, "ppk", 5), RK_ECONFLICT); /* future */
    assert_int_equal(rk_store_approve(f->s, f->race, tps, 2, "", 5), RK_EINVAL);
    assert_int_equal(rk_store_approve(f->s, f->race, tps, 2, "ppk-bakongan", 1732600000123), RK_OK);
    assert_int_equal(rk_store_approve(f->s, f->race, tps, 2, "ppk-bakongan", 1732600000124),
                     RK_ECONFLICT); /* not twice */
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    m.cur[2].approved = 1;

    struct rk_tps_state st;
    assert_int_equal(rk_store_tps_state(f->s, f->race, tps, &st), RK_OK);
    assert_true(st.approved);
    assert_string_equal(st.approved_by, "ppk-bakongan");
    assert_int_equal(st.approved_ms, 1732600000123);
    assert_int_equal(st.current_version, 2);
    check_all(f, &m);
    static const char *const up[] = {"", "11", "1101", "110101", "1101012002"};
    for (size_t k = 0; k < sizeof up / sizeof up[0]; k++) {
        struct rk_tally t;
        assert_int_equal(rk_store_tally_get(f->s, f->race, up[k], &t), RK_OK);
        assert_int_equal(t.approved, 1);
        assert_int_equal(t.received, 1);
    }
    struct rk_tally other;
    assert_int_equal(rk_store_tally_get(f->s, f->race, "110102", &other), RK_OK);
    assert_int_equal(other.approved, 0);
}

struct slist {
    int n;
    char codes[NTPS][RK_CODE_MAX + 1];
    int flagged[NTPS];
};

static int collect_state(void *ud, const struct rk_tps_state *st)
{
    struct slist *L = ud;
    assert_true(L->n < NTPS);
    snprintf(L->codes[L->n], sizeof L->codes[0], "%s", st->tps);
    L->flagged[L->n] = (int)st->tally.flagged;
    L->n++;
    return 0;
}

struct tlist {
    int n;
    char codes[8][RK_CODE_MAX + 1];
    struct rk_tally t[8];
};

static int collect_tally(void *ud, const struct rk_region *r, const struct rk_tally *t)
{
    struct tlist *L = ud;
    assert_true(L->n < 8);
    snprintf(L->codes[L->n], sizeof L->codes[0], "%s", r->code);
    L->t[L->n] = *t;
    L->n++;
    return 0;
}

static void test_states_and_children(void **state)
{
    struct fx *f = *state;
    struct model m;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    /* Submitted out of code order; flagged: 1101022001002, 1101012001001 (then cleared),
     * 1201012001003. */
    submit(f, &m, 4, false, "SUM_MISMATCH", &v);
    submit(f, &m, 0, false, "DPT", &v);
    submit(f, &m, 1, false, "", &v);
    submit(f, &m, 6, false, "SUM_MISMATCH", &v);
    submit(f, &m, 3, false, "", &v);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    submit(f, &m, 0, true, "", &v); /* the correction clears the flag */
    assert_int_equal(rk_store_commit(f->s), RK_OK);

    struct slist L;
    memset(&L, 0, sizeof L);
    assert_int_equal(rk_store_tps_states(f->s, f->race, "", false, collect_state, &L), RK_OK);
    assert_int_equal(L.n, 5);
    assert_string_equal(L.codes[0], "1101012001001");
    assert_string_equal(L.codes[1], "1101012001002");
    assert_string_equal(L.codes[2], "1101022001001");
    assert_string_equal(L.codes[3], "1101022001002");
    assert_string_equal(L.codes[4], "1201012001003");
    memset(&L, 0, sizeof L);
    assert_int_equal(rk_store_tps_states(f->s, f->race, "", true, collect_state, &L), RK_OK);
    assert_int_equal(L.n, 2);
    assert_string_equal(L.codes[0], "1101022001002");
    assert_string_equal(L.codes[1], "1201012001003");
    assert_int_equal(L.flagged[0] + L.flagged[1], 2);
    memset(&L, 0, sizeof L);
    assert_int_equal(rk_store_tps_states(f->s, f->race, "1101", true, collect_state, &L), RK_OK);
    assert_int_equal(L.n, 1);
    assert_string_equal(L.codes[0], "1101022001002");
    memset(&L, 0, sizeof L);
    assert_int_equal(rk_store_tps_states(f->s, f->race, "1101012001", false, collect_state, &L),
                     RK_OK);
    assert_int_equal(L.n, 2);
    memset(&L, 0, sizeof L);
    assert_int_equal(rk_store_tps_states(f->s, f->race + 1, "", false, collect_state, &L), RK_OK);
    assert_int_equal(L.n, 0);

    /* Children with their tallies, zero where nothing arrived. */
    struct tlist T;
    struct rk_tally want;
    memset(&T, 0, sizeof T);
    assert_int_equal(rk_store_tally_children(f->s, f->race, "", collect_tally, &T), RK_OK);
    assert_int_equal(T.n, 2);
    assert_string_equal(T.codes[0], "11");
    assert_string_equal(T.codes[1], "12");
    recount(&m, "12", &want);
    tally_eq(&T.t[1], &want, "12");
    assert_int_equal(T.t[1].flagged, 1);
    memset(&T, 0, sizeof T);
    assert_int_equal(rk_store_tally_children(f->s, f->race, "1101", collect_tally, &T), RK_OK);
    assert_int_equal(T.n, 2);
    assert_string_equal(T.codes[0], "110101");
    assert_string_equal(T.codes[1], "110102");
    for (int k = 0; k < 2; k++) {
        recount(&m, T.codes[k], &want);
        tally_eq(&T.t[k], &want, T.codes[k]);
    }
    memset(&T, 0, sizeof T);
    assert_int_equal(rk_store_tally_children(f->s, f->race, "110101", collect_tally, &T), RK_OK);
    assert_int_equal(T.n, 2);
    assert_string_equal(T.codes[1], "1101012002");
    assert_int_equal(T.t[1].received, 0); /* its one TPS sent nothing */
    assert_int_equal(T.t[1].votes[0] + T.t[1].sah, 0);
    check_all(f, &m);
}

struct rlist {
    int n;
    char codes[8][RK_CODE_MAX + 1];
};

static int collect_region(void *ud, const struct rk_region *r)
{
    struct rlist *L = ud;
    assert_true(L->n < 8);
    snprintf(L->codes[L->n++], RK_CODE_MAX + 1, "%s", r->code);
    return 0;
}

static void test_region_at_level(void **state)
{
    struct fx *f = *state;
    struct rlist L = {0};
    assert_int_equal(rk_store_region_at_level(f->s, "11", RK_LEVEL_TPS, collect_region, &L), RK_OK);
    assert_int_equal(L.n, 5);
    assert_string_equal(L.codes[0], "1101012001001");
    assert_string_equal(L.codes[4], "1101022001002");
    memset(&L, 0, sizeof L);
    assert_int_equal(rk_store_region_at_level(f->s, "", RK_LEVEL_KECAMATAN, collect_region, &L),
                     RK_OK);
    assert_int_equal(L.n, 3);
    assert_string_equal(L.codes[2], "120101");
    memset(&L, 0, sizeof L);
    /* code itself, when of that level */
    assert_int_equal(rk_store_region_at_level(f->s, "1101", RK_LEVEL_KABKOTA, collect_region, &L),
                     RK_OK);
    assert_int_equal(L.n, 1);
    assert_string_equal(L.codes[0], "1101");
    memset(&L, 0, sizeof L);
    assert_int_equal(rk_store_region_at_level(f->s, "13", RK_LEVEL_TPS, collect_region, &L), RK_OK);
    assert_int_equal(L.n, 0);
}

static void test_log(void **state)
{
    struct fx *f = *state;
    static uint8_t entry[5][RK_LOG_ENTRY_MAX];
    static const size_t lens[5] = {1, 2, 255, 300, RK_LOG_ENTRY_MAX};
    uint8_t leaf[5][32];
    int64_t idx, size;
    for (int e = 0; e < 5; e++) {
        for (size_t i = 0; i < lens[e]; i++)
            entry[e][i] = (uint8_t)(i * 7 + (size_t)e); /* every byte value, NUL included */
        for (int i = 0; i < 32; i++)
            leaf[e][i] = (uint8_t)(255 - i * 3 - e);
    }
    assert_int_equal(rk_store_log_size(f->s, &size), RK_OK);
    assert_int_equal(size, 0);
    assert_int_equal(rk_store_log_append(f->s, entry[0], 1, leaf[0], &idx), RK_ECONFLICT);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_log_append(f->s, entry[0], 0, leaf[0], &idx), RK_ETOOBIG);
    assert_int_equal(rk_store_log_append(f->s, entry[0], RK_LOG_ENTRY_MAX + 1, leaf[0], &idx),
                     RK_ETOOBIG);
    for (int e = 0; e < 3; e++) {
        assert_int_equal(rk_store_log_append(f->s, entry[e], lens[e], leaf[e], &idx), RK_OK);
        assert_int_equal(idx, e);
    }
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    /* A rolled-back append gives its index back: the log stays dense. */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    assert_int_equal(rk_store_log_append(f->s, entry[4], lens[4], leaf[4], &idx), RK_OK);
    assert_int_equal(idx, 3);
    assert_int_equal(rk_store_rollback(f->s), RK_OK);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    for (int e = 3; e < 5; e++) {
        assert_int_equal(rk_store_log_append(f->s, entry[e], lens[e], leaf[e], &idx), RK_OK);
        assert_int_equal(idx, e);
    }
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    assert_int_equal(rk_store_log_size(f->s, &size), RK_OK);
    assert_int_equal(size, 5);

    static uint8_t buf[RK_LOG_ENTRY_MAX];
    uint8_t got_leaf[32];
    size_t len;
    for (int e = 0; e < 5; e++) {
        memset(buf, 0xaa, sizeof buf);
        assert_int_equal(rk_store_log_get(f->s, e, buf, sizeof buf, &len, got_leaf), RK_OK);
        assert_int_equal(len, lens[e]);
        assert_memory_equal(buf, entry[e], lens[e]);
        assert_memory_equal(got_leaf, leaf[e], 32);
    }
    assert_int_equal(rk_store_log_get(f->s, 2, buf, sizeof buf, &len, NULL), RK_OK);
    assert_int_equal(rk_store_log_get(f->s, 5, buf, sizeof buf, &len, NULL), RK_ENOTFOUND);
    assert_int_equal(rk_store_log_get(f->s, -1, buf, sizeof buf, &len, NULL), RK_ENOTFOUND);
    memset(buf, 0, 16);
    assert_int_equal(rk_store_log_get(f->s, 3, buf, 16, &len, NULL), RK_ETOOBIG);
    assert_int_equal(len, 300);

    uint8_t leaves[6][32];
    assert_int_equal(rk_store_log_leaves(f->s, 0, 5, leaves), RK_OK);
    for (int e = 0; e < 5; e++)
        assert_memory_equal(leaves[e], leaf[e], 32);
    assert_int_equal(rk_store_log_leaves(f->s, 3, 2, leaves), RK_OK);
    assert_memory_equal(leaves[0], leaf[3], 32);
    assert_int_equal(rk_store_log_leaves(f->s, 0, 0, leaves), RK_OK);
    assert_int_equal(rk_store_log_leaves(f->s, 3, 3, leaves), RK_ERANGE);
    assert_int_equal(rk_store_log_leaves(f->s, 5, 1, leaves), RK_ERANGE);
    assert_int_equal(rk_store_log_leaves(f->s, -1, 1, leaves), RK_ERANGE);
}

static void test_sth(void **state)
{
    struct fx *f = *state;
    struct rk_sth_row h, got;
    assert_int_equal(rk_store_sth_latest(f->s, &got), RK_ENOTFOUND);
    memset(&h, 0, sizeof h);
    snprintf(h.key_id, sizeof h.key_id, "0123456789abcdef");
    for (int i = 0; i < 64; i++)
        h.sig[i] = (uint8_t)(i ? 255 - i : 0);
    for (int64_t size = 1; size <= 3; size++) {
        h.size = size * 10;
        h.timestamp_ms = 1732500000000 + size;
        memset(h.root, (int)size, 32);
        h.root[5] = 0;
        assert_int_equal(rk_store_sth_put(f->s, &h), RK_OK);
    }
    h.size = 20;
    assert_int_equal(rk_store_sth_put(f->s, &h), RK_EEXIST);
    assert_int_equal(rk_store_sth_latest(f->s, &got), RK_OK);
    assert_int_equal(got.size, 30);
    assert_int_equal(got.timestamp_ms, 1732500000003);
    assert_string_equal(got.key_id, "0123456789abcdef");
    uint8_t root[32];
    memset(root, 3, 32);
    root[5] = 0;
    assert_memory_equal(got.root, root, 32);
    assert_memory_equal(got.sig, h.sig, 64);
    /* Inside a transaction a duplicate is refused and the transaction carries on. */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    h.size = 10;
    assert_int_equal(rk_store_sth_put(f->s, &h), RK_EEXIST);
    h.size = 40;
    assert_int_equal(rk_store_sth_put(f->s, &h), RK_OK);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    assert_int_equal(rk_store_sth_latest(f->s, &got), RK_OK);
    assert_int_equal(got.size, 40);
}

/* Runs raw SQL on the store's database through the engine's own client library, bypassing
 * rekap. Returns 0 on success, -1 when the database refused it. */
static int raw_sql(const struct fx *f, const char *sql)
{
    if (rk_test_store_is_pg()) {
        PGconn *c = PQconnectdb(getenv("REKAP_TEST_PG"));
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PQclear(PQexec(c, "SET client_min_messages = warning"));
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        PQfinish(c);
        return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* SQLite only: the first column of the first row of a query on a connection of its own. */
static int64_t raw_int(const struct fx *f, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    int64_t v = rk_test_sqlite_int(db, sql);
    sqlite3_close(db);
    return v;
}

/* Objections: kept in order, listed up to a cap, and never changed or removed. */
struct counts {
    int rows, objections[NTPS];
};

static int count_objections(void *ud, const struct rk_tps_state *st)
{
    struct counts *c = ud;
    if (c->rows == NTPS)
        return RK_ERANGE;
    c->objections[c->rows++] = st->objections;
    return 0;
}

static void test_objections(void **state)
{
    struct fx *f = *state;
    struct rk_objection o, got[4];
    memset(&o, 0, sizeof o);
    o.race_id = f->race;
    snprintf(o.tps, sizeof o.tps, "%s", tps_codes[1]);
    snprintf(o.actor, sizeof o.actor, "bawaslu-1101");
    struct model m;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    for (int i = 0; i < 3; i++) /* results for the desa's two TPS and one elsewhere */
        submit(f, &m, i, false, "", &v);
    for (int i = 0; i < 3; i++) {
        o.version = i + 1;
        snprintf(o.reason, sizeof o.reason, "Keberatan nomor %d atas hasil TPS ini", i + 1);
        o.created_ms = 1732700000000 + i;
        o.log_index = 40 + i;
        assert_int_equal(rk_store_objection_put(f->s, &o), RK_OK);
    }
    o.reason[0] = '\0';
    assert_int_equal(rk_store_objection_put(f->s, &o), RK_EINVAL);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    int n = -1;
    assert_int_equal(rk_store_objection_list(f->s, f->race, tps_codes[1], got, 4, &n), RK_OK);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        char want[64];
        snprintf(want, sizeof want, "Keberatan nomor %d atas hasil TPS ini", i + 1);
        assert_int_equal(got[i].version, i + 1);
        assert_string_equal(got[i].reason, want);
        assert_string_equal(got[i].actor, "bawaslu-1101");
        assert_string_equal(got[i].tps, tps_codes[1]);
        assert_int_equal(got[i].created_ms, 1732700000000 + i);
        assert_int_equal(got[i].log_index, 40 + i);
    }
    assert_int_equal(rk_store_objection_list(f->s, f->race, tps_codes[1], got, 2, &n), RK_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rk_store_objection_list(f->s, f->race, tps_codes[2], got, 4, &n), RK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(raw_sql(f, "UPDATE objection SET reason = 'tidak ada'"), -1);
    assert_int_equal(raw_sql(f, "DELETE FROM objection"), -1);
    if (rk_test_store_is_pg())
        assert_int_equal(raw_sql(f, "TRUNCATE objection"), -1);
    assert_int_equal(rk_store_objection_list(f->s, f->race, tps_codes[1], got, 4, &n), RK_OK);
    assert_int_equal(n, 3);
    /* a region's TPS list counts each TPS's objections */
    struct counts c = {0};
    assert_int_equal(rk_store_tps_states(f->s, f->race, "1101012001", false, count_objections, &c),
                     RK_OK);
    assert_int_equal(c.rows, 2);
    assert_int_equal(c.objections[0], 0);
    assert_int_equal(c.objections[1], 3);
}

static void test_append_only(void **state)
{
    struct fx *f = *state;
    struct model m;
    struct rk_version v1, v2, got;
    memset(&m, 0, sizeof m);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    submit(f, &m, 0, false, "", &v1);
    submit(f, &m, 0, true, "", &v2);
    uint8_t leaf[32] = {1, 2, 3};
    int64_t idx;
    assert_int_equal(rk_store_log_append(f->s, (const uint8_t *)"entry", 5, leaf, &idx), RK_OK);
    assert_int_equal(rk_store_commit(f->s), RK_OK);

    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE version SET doc = 'forged' WHERE id = %lld",
             (long long)v1.id);
    assert_int_equal(raw_sql(f, sql), -1);
    snprintf(sql, sizeof sql, "UPDATE version SET version = 9 WHERE id = %lld", (long long)v1.id);
    assert_int_equal(raw_sql(f, sql), -1);
    snprintf(sql, sizeof sql, "UPDATE version SET log_index = 5, doc = 'forged' WHERE id = %lld",
             (long long)v1.id);
    assert_int_equal(raw_sql(f, sql), -1);
    snprintf(sql, sizeof sql, "DELETE FROM version WHERE id = %lld", (long long)v1.id);
    assert_int_equal(raw_sql(f, sql), -1);
    assert_int_equal(raw_sql(f, "DELETE FROM version"), -1);
    assert_int_equal(raw_sql(f, "UPDATE log_entry SET leaf = leaf"), -1);
    assert_int_equal(raw_sql(f, "DELETE FROM log_entry"), -1);
    if (rk_test_store_is_pg()) {
        /* TRUNCATE skips row triggers in PostgreSQL; a statement trigger refuses it. */
        assert_int_equal(raw_sql(f, "TRUNCATE log_entry"), -1);
        assert_int_equal(raw_sql(f, "TRUNCATE version CASCADE"), -1);
    }
    /* The one permitted update must leave every other column as it was (both engines; SQLite
     * since migration 5). */
    static const char *const sneaky[] = {"device = 'x'", "photos = ''", "signature = NULL",
                                         "created_ms = 1", "actor = 'someone'"};
    for (size_t i = 0; i < sizeof sneaky / sizeof sneaky[0]; i++) {
        snprintf(sql, sizeof sql, "UPDATE version SET log_index = 5, %s WHERE id = %lld",
                 sneaky[i], (long long)v1.id);
        assert_int_equal(raw_sql(f, sql), -1);
    }
    /* The one change allowed: filling in the log index, once. */
    snprintf(sql, sizeof sql, "UPDATE version SET log_index = %lld WHERE id = %lld",
             (long long)idx, (long long)v2.id);
    assert_int_equal(raw_sql(f, sql), 0);
    snprintf(sql, sizeof sql, "UPDATE version SET log_index = 7 WHERE id = %lld", (long long)v2.id);
    assert_int_equal(raw_sql(f, sql), -1);

    /* A version follows its TPS's current one: a second version 2 is refused on both engines
     * (PostgreSQL: the key; SQLite: the version_follows trigger, as there is no key index),
     * and on SQLite also a number that skips one, a wrong or missing link to the version
     * before, and any change to that link. */
    const char *blob = rk_test_store_is_pg() ? "decode(repeat('ab', 32), 'hex')" : "randomblob(32)";
    const char *ins = "INSERT INTO version(race_id, tps_code, version, kind, actor, doc_hash, "
                      "created_ms, doc%s) VALUES(%lld, '%s', %d, 1, 'x', %s, 1, '{}'%s)";
    snprintf(sql, sizeof sql, ins, "", (long long)f->race, tps_codes[0], 2, blob, "");
    assert_int_equal(raw_sql(f, sql), -1);
    if (!rk_test_store_is_pg()) {
        char link[64];
        snprintf(link, sizeof link, ", %lld", (long long)v1.id); /* not the current one */
        snprintf(sql, sizeof sql, ins, "", (long long)f->race, tps_codes[0], 4, blob, "");
        assert_int_equal(raw_sql(f, sql), -1);
        snprintf(sql, sizeof sql, ins, ", prev_id", (long long)f->race, tps_codes[0], 3, blob,
                 link);
        assert_int_equal(raw_sql(f, sql), -1);
        snprintf(sql, sizeof sql, ins, "", (long long)f->race, tps_codes[0], 3, blob, "");
        assert_int_equal(raw_sql(f, sql), -1); /* no link at all */
        snprintf(sql, sizeof sql, ins, "", (long long)f->race, tps_codes[1], 2, blob, "");
        assert_int_equal(raw_sql(f, sql), -1); /* a TPS with nothing yet starts at 1 */
        snprintf(sql, sizeof sql, "UPDATE version SET prev_id = NULL WHERE id = %lld",
                 (long long)v2.id);
        assert_int_equal(raw_sql(f, sql), -1);
        /* and the right one is accepted, which shows the refusals above were about the chain */
        snprintf(link, sizeof link, ", %lld", (long long)v2.id);
        snprintf(sql, sizeof sql, ins, ", prev_id", (long long)f->race, tps_codes[0], 3, blob,
                 link);
        assert_int_equal(raw_sql(f, sql), 0);
        assert_int_equal(rk_store_version_get(f->s, f->race, tps_codes[0], 3, &got),
                         RK_ENOTFOUND); /* the TPS's state still names version 2 */
    }

    /* Everything is as it was. */
    assert_int_equal(rk_store_version_get(f->s, f->race, tps_codes[0], 1, &got), RK_OK);
    assert_string_equal(got.doc, v1.doc);
    assert_string_equal(got.device, v1.device);
    assert_int_equal(got.log_index, -1);
    assert_int_equal(rk_store_version_get(f->s, f->race, tps_codes[0], 2, &got), RK_OK);
    assert_int_equal(got.log_index, idx);
    int64_t size;
    assert_int_equal(rk_store_log_size(f->s, &size), RK_OK);
    assert_int_equal(size, 1);
    uint8_t buf[16], lf[32];
    size_t len;
    assert_int_equal(rk_store_log_get(f->s, 0, buf, sizeof buf, &len, lf), RK_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "entry", 5);
    assert_memory_equal(lf, leaf, 32);
    check_all(f, &m);
}

/* A second writer on its own handle, run in a thread while the main one holds a transaction. */
struct writer {
    const struct fx *f;
    int tps;
    struct rk_version v;
    struct rk_tally t;
    int64_t idx;
    int rc;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct rk_store *s;
    int64_t idx = -1;
    uint8_t leaf[32] = {9};
    w->rc = rk_store_open(w->f->path, &s);
    if (w->rc != RK_OK)
        return NULL;
    if ((w->rc = rk_store_begin(s)) == RK_OK &&
        (w->rc = rk_store_version_add(s, &w->v, &w->t)) == RK_OK &&
        (w->rc = rk_store_log_append(s, (const uint8_t *)"B", 1, leaf, &idx)) == RK_OK)
        w->rc = rk_store_commit(s);
    w->idx = idx;
    rk_store_close(s);
    return NULL;
}

/* Two handles submitting the same TPS at once (first submission, then a correction) take
 * turns: the later one becomes the next version, the tallies count only the current one, and
 * the log stays dense. With SQLite the second BEGIN waits; with PostgreSQL the per-TPS lock and
 * the log lock do. */
static void test_concurrent_writers(void **state)
{
    struct fx *f = *state;
    struct model m;
    memset(&m, 0, sizeof m);
    for (int round = 0; round < 2; round++) {
        struct writer w;
        memset(&w, 0, sizeof w);
        w.f = f;
        w.tps = 3;
        w.t.votes[0] = 100 + round;
        w.t.votes[1] = 7;
        w.t.sah = w.t.votes[0] + w.t.votes[1];
        w.t.total = w.t.sah;
        mk_version(&w.v, f->race, tps_codes[3], 9, round > 0, "");

        struct rk_version mine;
        uint8_t leaf[32] = {8};
        int64_t idx;
        assert_int_equal(rk_store_begin(f->s), RK_OK);
        submit(f, &m, 3, round > 0, "", &mine);
        assert_int_equal(rk_store_log_append(f->s, (const uint8_t *)"A", 1, leaf, &idx), RK_OK);
        assert_int_equal(idx, 2 * round);
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
        struct timespec pause = {0, 300 * 1000 * 1000};
        nanosleep(&pause, NULL); /* let it reach the lock and wait there */
        assert_int_equal(rk_store_commit(f->s), RK_OK);
        assert_int_equal(pthread_join(th, NULL), 0);
        if (w.rc != RK_OK)
            fail_msg("second writer: %s", rk_strerror(w.rc));
        assert_int_equal(w.v.version, mine.version + 1);
        assert_int_equal(w.idx, 2 * round + 1);
        /* The model follows the store: the second writer's numbers are now current. */
        m.nver[3]++;
        m.cur[3] = w.t;
        m.cur[3].received = 1;
        memcpy(m.hash[3], w.v.doc_hash, 32);
        check_all(f, &m);
    }
    int64_t size;
    assert_int_equal(rk_store_log_size(f->s, &size), RK_OK);
    assert_int_equal(size, 4);
}

static int count_region(void *ud, const struct rk_region *r)
{
    struct { int n; char last[RK_CODE_MAX + 1]; } *c = ud;
    assert_true(strcmp(r->code, c->last) > 0); /* strictly increasing: no repeats across pages */
    snprintf(c->last, sizeof c->last, "%s", r->code);
    c->n++;
    return 0;
}

static int count_state(void *ud, const struct rk_tps_state *st)
{
    struct { int n; char last[RK_CODE_MAX + 1]; } *c = ud;
    assert_true(strcmp(st->tps, c->last) > 0);
    snprintf(c->last, sizeof c->last, "%s", st->tps);
    c->n++;
    return 0;
}

static int count_version(void *ud, const struct rk_version *v)
{
    int64_t *c = ud; /* c[0] count, c[1] last id */
    assert_true(v->id > c[1]);
    c[1] = v->id;
    c[0]++;
    return 0;
}

struct late {
    struct fx *f;
    int64_t n, last, added_id;
};

/* SQLite: whether a checkpoint from another connection can copy the whole write-ahead log back
 * and truncate it now, which no reader holding a snapshot allows. */
static bool log_truncates(const struct fx *f)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL),
                     SQLITE_OK);
    bool ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

static int count_and_add(void *ud, const struct rk_version *v)
{
    struct late *L = ud;
    L->n++;
    L->last = v->id;
    /* the scan holds no read snapshot while the caller works on its rows (an export's writing
     * and hashing), so the log can be checkpointed and restart meanwhile */
    if (!rk_test_store_is_pg() && (L->n == 1 || L->n == 1234) && !log_truncates(L->f))
        fail_msg("a checkpoint could not truncate the log while row %lld was visited",
                 (long long)L->n);
    if (L->n == 1) {
        struct rk_store *other;
        struct rk_version nv;
        struct rk_tally t;
        memset(&t, 0, sizeof t);
        t.votes[0] = 2;
        assert_int_equal(rk_store_open(L->f->path, &other), RK_OK);
        mk_version(&nv, L->f->race, "1101012003101", 2, true, "");
        assert_int_equal(rk_store_begin(other), RK_OK);
        assert_int_equal(rk_store_version_add(other, &nv, &t), RK_OK);
        assert_int_equal(rk_store_commit(other), RK_OK);
        rk_store_close(other);
        L->added_id = nv.id;
    }
    return 0;
}

/* Listings longer than one page (PostgreSQL's 1,000 rows, SQLite's version scan 500; here
 * 2,400 TPS and 2,640 versions) come out whole, in order, without repeats. */
static void test_long_listings(void **state)
{
    struct fx *f = *state;
    char code[RK_CODE_MAX + 1];
    struct rk_region r;
    struct rk_version v;
    struct rk_tally t;
    memset(&t, 0, sizeof t);
    t.votes[0] = 1;
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    for (int d = 3; d <= 4; d++) {
        snprintf(code, sizeof code, "110101200%d", d);
        assert_int_equal(rk_region_init(&r, code, 10, "Y", 1), RK_OK);
        assert_int_equal(rk_store_region_put(f->s, &r), RK_OK);
    }
    int n = 0;
    for (int d = 2; d <= 4; d++) {
        for (int k = 100; k < 900; k++, n++) {
            snprintf(code, sizeof code, "110101200%d%03d", d, k);
            assert_int_equal(rk_region_init(&r, code, 13, "TPS", 3), RK_OK);
            assert_int_equal(rk_store_region_put(f->s, &r), RK_OK);
            mk_version(&v, f->race, code, 1, false, k % 2 ? "F" : "");
            assert_int_equal(rk_store_version_add(f->s, &v, &t), RK_OK);
            if (k % 10 == 0) {
                mk_version(&v, f->race, code, 2, true, "");
                assert_int_equal(rk_store_version_add(f->s, &v, &t), RK_OK);
            }
        }
    }
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    struct { int n; char last[RK_CODE_MAX + 1]; } c;
    memset(&c, 0, sizeof c);
    assert_int_equal(rk_store_region_at_level(f->s, "", RK_LEVEL_TPS, count_region, &c), RK_OK);
    assert_int_equal(c.n, n + NTPS);
    memset(&c, 0, sizeof c);
    assert_int_equal(rk_store_tps_states(f->s, f->race, "11", false, count_state, &c), RK_OK);
    assert_int_equal(c.n, n);
    memset(&c, 0, sizeof c);
    /* flagged: odd k without a correction (k % 10 == 0 is even anyway) */
    assert_int_equal(rk_store_tps_states(f->s, f->race, "", true, count_state, &c), RK_OK);
    assert_int_equal(c.n, n / 2);
    int64_t cv[2] = {0, 0};
    assert_int_equal(rk_store_version_scan(f->s, 0, count_version, cv), RK_OK);
    assert_int_equal(cv[0], n + n / 10);
    struct rk_tally tot;
    assert_int_equal(rk_store_tally_get(f->s, f->race, "", &tot), RK_OK);
    assert_int_equal(tot.received, n);
    assert_int_equal(tot.flagged, n / 2);
    /* The scan is paged (SQLite 500 rows, PostgreSQL 1,000), each page its own read snapshot,
     * so it never pins one for a whole export: a version committed through another handle
     * while the first page is visited is visited by a later page. */
    struct late L = {.f = f};
    assert_int_equal(rk_store_version_scan(f->s, 0, count_and_add, &L), RK_OK);
    assert_true(L.added_id > 0);
    assert_int_equal(L.n, n + n / 10 + 1);
    assert_int_equal(L.last, L.added_id);
}

/* PostgreSQL only: the server ends the connection (restart, failover) in the middle of a
 * transaction with queued writes. Every call then fails with RK_EDB instead of hanging or
 * crashing, and nothing half-done was committed. */
static void test_connection_lost(void **state)
{
    struct fx *f = *state;
    if (!rk_test_store_is_pg()) {
        skip();
        return;
    }
    struct model m;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    submit(f, &m, 5, false, "", &v); /* its state and tallies are still queued here */
    assert_int_equal(raw_sql(f, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                                "AND backend_type = 'client backend'"),
                     0);
    struct rk_tally t;
    assert_int_equal(rk_store_tally_get(f->s, f->race, "", &t), RK_EDB);
    assert_int_equal(rk_store_commit(f->s), RK_EDB);
    struct rk_region r;
    assert_int_equal(rk_store_region_get(f->s, "11", &r), RK_EDB);
    assert_true(rk_store_errmsg(f->s)[0] != '\0');
    assert_int_equal(rk_store_begin(f->s), RK_EDB);
    assert_int_equal(rk_store_rollback(f->s), RK_ECONFLICT);
    rk_store_close(f->s);
    assert_int_equal(rk_store_open(f->path, &f->s), RK_OK);
    assert_int_equal(rk_store_tally_get(f->s, f->race, "", &t), RK_OK);
    assert_int_equal(t.received, 0);
    struct rk_version got;
    assert_int_equal(rk_store_version_get(f->s, f->race, tps_codes[5], 1, &got), RK_ENOTFOUND);
}

/* A whole-race listing ("") visits exactly the race's own TPS, in TPS order, and a region
 * outside the race's visits none: SQLite keeps every race of a TPS side by side (migration
 * 10), so the listing is narrowed to the race's region (rk_store_tps_states). */
struct listed {
    int n;
    char tps[NTPS][RK_CODE_MAX + 1];
};

static int list_tps(void *ud, const struct rk_tps_state *st)
{
    struct listed *l = ud;
    if (l->n == NTPS)
        return RK_ERANGE;
    snprintf(l->tps[l->n++], sizeof l->tps[0], "%s", st->tps);
    return 0;
}

static void test_race_listing(void **state)
{
    struct fx *f = *state;
    struct rk_race gov = {.election_id = 1, .kind = RK_RACE_GOVERNOR};
    snprintf(gov.name, sizeof gov.name, "Gubernur Aceh");
    snprintf(gov.region_code, sizeof gov.region_code, "11");
    struct rk_race race;
    assert_int_equal(rk_store_race_get(f->s, f->race, &race), RK_OK);
    gov.election_id = race.election_id;
    assert_int_equal(rk_store_race_put(f->s, &gov), RK_OK);
    struct model m;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    for (int i = 0; i < NTPS; i++)
        submit(f, &m, i, false, "", &v); /* the national race, every TPS */
    for (int i = 0; i < NTPS; i++) {
        if (tps_codes[i][1] != '1')
            continue; /* Aceh's TPS only */
        struct rk_tally t;
        memset(&t, 0, sizeof t);
        t.dpt = 100;
        mk_version(&v, gov.id, tps_codes[i], 1, false, "");
        assert_int_equal(rk_store_version_add(f->s, &v, &t), RK_OK);
        assert_int_equal(v.version, 1);
    }
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    struct listed l = {0};
    assert_int_equal(rk_store_tps_states(f->s, gov.id, "", false, list_tps, &l), RK_OK);
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.tps[i], tps_codes[i]);
    memset(&l, 0, sizeof l);
    assert_int_equal(rk_store_tps_states(f->s, gov.id, "12", false, list_tps, &l), RK_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(rk_store_tps_states(f->s, gov.id, "1101022001", false, list_tps, &l), RK_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.tps[0], tps_codes[3]);
    memset(&l, 0, sizeof l);
    assert_int_equal(rk_store_tps_states(f->s, f->race, "", false, list_tps, &l), RK_OK);
    assert_int_equal(l.n, NTPS);
    assert_string_equal(l.tps[6], tps_codes[6]);
    memset(&l, 0, sizeof l);
    assert_int_equal(rk_store_tps_states(f->s, 999, "", false, list_tps, &l), RK_OK);
    assert_int_equal(l.n, 0);
}

/* SQLite only: a store of schema 9 (versions keyed by race, TPS and number; tps_state by race
 * first) is rebuilt by migration 10 without losing or reordering anything: every TPS's history
 * reads back as before, each version links to the one before it, foreign keys are enforced
 * again afterwards, and the next version continues the numbering. */
struct hist {
    int n;
    int64_t id[8];
    int version[8];
    uint8_t hash[8][32];
};

static int take_hist(void *ud, const struct rk_version *v)
{
    struct hist *h = ud;
    if (h->n == 8)
        return RK_ERANGE;
    h->id[h->n] = v->id;
    h->version[h->n] = v->version;
    memcpy(h->hash[h->n++], v->doc_hash, 32);
    return 0;
}

static const char schema9[] =
    "PRAGMA foreign_keys = OFF; BEGIN;"
    "CREATE TABLE v9(id INTEGER PRIMARY KEY, race_id INTEGER NOT NULL REFERENCES race(id),"
    "  tps_code TEXT NOT NULL REFERENCES region(code), version INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL, actor TEXT NOT NULL, device TEXT NOT NULL DEFAULT '',"
    "  doc_hash BLOB NOT NULL, photos TEXT NOT NULL DEFAULT '', signature BLOB,"
    "  reason TEXT NOT NULL DEFAULT '', flags TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL, log_index INTEGER NOT NULL DEFAULT -1, doc TEXT NOT NULL,"
    "  UNIQUE(race_id, tps_code, version));"
    "INSERT INTO v9 SELECT id, race_id, tps_code, version, kind, actor, device, doc_hash, photos,"
    "  signature, reason, flags, created_ms, log_index, doc FROM version;"
    "DROP TABLE version; ALTER TABLE v9 RENAME TO version;"
    "CREATE TRIGGER version_no_delete BEFORE DELETE ON version BEGIN "
    "  SELECT RAISE(ABORT, 'versions are append-only'); END;"
    "CREATE TRIGGER version_no_update BEFORE UPDATE ON version WHEN OLD.log_index <> -1 BEGIN "
    "  SELECT RAISE(ABORT, 'versions are append-only'); END;"
    "CREATE TABLE s9(race_id INTEGER NOT NULL, tps_code TEXT NOT NULL,"
    "  current_version INTEGER NOT NULL, current_id INTEGER NOT NULL REFERENCES version(id),"
    "  current_hash BLOB NOT NULL, approved_by TEXT NOT NULL DEFAULT '',"
    "  approved_ms INTEGER NOT NULL DEFAULT 0, v1 INTEGER NOT NULL, v2 INTEGER NOT NULL,"
    "  v3 INTEGER NOT NULL, v4 INTEGER NOT NULL, v5 INTEGER NOT NULL, v6 INTEGER NOT NULL,"
    "  sah INTEGER NOT NULL, tidak_sah INTEGER NOT NULL, total INTEGER NOT NULL,"
    "  pengguna INTEGER NOT NULL, dpt INTEGER NOT NULL, received INTEGER NOT NULL,"
    "  flagged INTEGER NOT NULL, approved INTEGER NOT NULL,"
    "  PRIMARY KEY(race_id, tps_code)) WITHOUT ROWID;"
    "INSERT INTO s9 SELECT * FROM tps_state; DROP TABLE tps_state;"
    "ALTER TABLE s9 RENAME TO tps_state;"
    "PRAGMA user_version = 9; COMMIT;";

static void test_migrate_from_9(void **state)
{
    struct fx *f = *state;
    if (rk_test_store_is_pg()) {
        skip();
        return;
    }
    struct model m;
    struct rk_version v;
    memset(&m, 0, sizeof m);
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < NTPS; i++)
            if (round == 0 || (i + round) % 3 == 0)
                submit(f, &m, i, round > 0, "", &v);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    approve(f, &m, 2);
    struct hist before[NTPS], after[NTPS];
    memset(before, 0, sizeof before);
    memset(after, 0, sizeof after);
    for (int i = 0; i < NTPS; i++)
        assert_int_equal(rk_store_version_list(f->s, f->race, tps_codes[i], take_hist, &before[i]),
                         RK_OK);
    rk_store_close(f->s);
    f->s = NULL;
    assert_int_equal(raw_sql(f, schema9), 0);
    assert_int_equal(rk_store_open(f->path, &f->s), RK_OK);
    int schema = 0;
    assert_int_equal(rk_store_schema_version(f->s, &schema), RK_OK);
    assert_true(schema >= 10);
    int multi = 0;
    for (int i = 0; i < NTPS; i++) {
        assert_int_equal(rk_store_version_list(f->s, f->race, tps_codes[i], take_hist, &after[i]),
                         RK_OK);
        assert_int_equal(after[i].n, m.nver[i]);
        assert_memory_equal(&after[i], &before[i], sizeof after[i]);
        multi += after[i].n > 1;
        for (int k = 0; k < after[i].n; k++) {
            struct rk_version got;
            assert_int_equal(
                rk_store_version_get(f->s, f->race, tps_codes[i], k + 1, &got), RK_OK);
            assert_int_equal(got.id, after[i].id[k]);
            char sql[200];
            snprintf(sql, sizeof sql, "SELECT coalesce(prev_id, 0) FROM version WHERE id = %lld",
                     (long long)after[i].id[k]);
            assert_int_equal(raw_int(f, sql), k > 0 ? after[i].id[k - 1] : 0);
        }
    }
    assert_true(multi >= 3);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM version WHERE prev_id IS NOT NULL"),
                     m.total_versions - NTPS);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    check_all(f, &m);
    /* foreign keys are on again on the store's connection */
    struct rk_region r;
    assert_int_equal(rk_region_init(&r, "1301", 4, "X", 1), RK_OK);
    assert_int_equal(rk_store_region_put(f->s, &r), RK_EORPHAN);
    /* and the numbering goes on */
    assert_int_equal(rk_store_begin(f->s), RK_OK);
    submit(f, &m, 0, true, "", &v);
    assert_int_equal(rk_store_commit(f->s), RK_OK);
    assert_int_equal(v.version, before[0].n + 1);
    struct hist h = {0};
    assert_int_equal(rk_store_version_list(f->s, f->race, tps_codes[0], take_hist, &h), RK_OK);
    assert_int_equal(h.n, before[0].n + 1);
    assert_int_equal(h.id[h.n - 1], v.id);
    check_all(f, &m);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_recount_every_level), T(test_recount_folded),  T(test_versions_history),
        T(test_version_errors),
        T(test_approve),             T(test_states_and_children), T(test_region_at_level),
        T(test_log),                 T(test_sth),                 T(test_append_only),
        T(test_objections),
        T(test_concurrent_writers),  T(test_connection_lost),     T(test_long_listings),
        T(test_race_listing),        T(test_migrate_from_9),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
