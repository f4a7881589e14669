/* The results pipeline end to end on a generated demo election: every TPS submits every race
 * through signed submissions, PPK approve, one TPS is corrected, and every level's tally is
 * checked against an independent recount from the stored documents; replayed, forged,
 * out-of-scope and arithmetically wrong submissions change nothing; the transparency log holds
 * one entry per accepted write, with valid inclusion proofs under a signed tree head. */
#include "demoworld.h"
#include "cli/cli.h"
#include "rekap/demo.h"
#include "rekap/status.h"
#include "store/auth.h"
#include "store/pipeline.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The demo world (tests/demoworld.h) plus this test's scratch directory and store URI. */
static struct {
    char dir[256], db[1200];
    struct rk_dw w;
} W;

/* Each account and device key went into the log at once: an account entry, then a
 * device-key entry naming the key, self-registered by the account. */
static void check_registration(struct rk_dw *w, int i, const struct rk_device_key *key)
{
    int64_t size;
    uint8_t buf[RK_LOGENTRY_MAX_BYTES], leaf[32], id[RK_KEY_ID_LEN];
    size_t len;
    struct rk_logentry e;
    assert_int_equal(rk_store_log_size(w->s, &size), RK_OK);
    assert_int_equal(size, w->nraces + 2 * (int64_t)(i + 1)); /* after the races' own entries */
    assert_int_equal(rk_store_log_get(w->s, size - 2, buf, sizeof buf, &len, leaf), RK_OK);
    assert_int_equal(rk_logentry_decode(buf, len, &e), RK_OK);
    assert_int_equal(e.kind, RK_LOGENTRY_ACCOUNT_CHANGE);
    assert_string_equal(e.actor, "cli@test");
    assert_string_equal(e.region, w->dev[i].tps);
    assert_int_equal(rk_store_log_get(w->s, size - 1, buf, sizeof buf, &len, leaf), RK_OK);
    assert_int_equal(rk_logentry_decode(buf, len, &e), RK_OK);
    assert_int_equal(e.kind, RK_LOGENTRY_DEVICE_KEY);
    assert_string_equal(e.actor, w->dev[i].who.username);
    assert_true(e.has_device && !e.has_signature);
    assert_int_equal(rk_unhex(key->key_id, 16, id, RK_KEY_ID_LEN), RK_OK);
    assert_memory_equal(e.device_key_id, id, RK_KEY_ID_LEN);
}

static int setup(void **state)
{
    memset(&W, 0, sizeof W);
    rk_test_tmpdir(W.dir, sizeof W.dir);
    rk_test_store_uri(W.dir, W.db, sizeof W.db);
    rk_dw_init(&W.w, W.db, 5, check_registration);
    *state = &W;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rk_dw_free(&W.w);
    rk_test_rmtree(W.dir);
    return 0;
}

static int submit(const struct rk_dw_device *d, const struct rk_chasil *doc, const uint8_t *prev,
                  struct rk_receipt *r, struct rk_outcome *o)
{
    struct rk_submission sub;
    uint8_t photo[2][32];
    crypto_hash_sha256(photo[0], (const unsigned char *)d->tps, 13);
    crypto_hash_sha256(photo[1], (const unsigned char *)doc, sizeof *doc);
    assert_int_equal(rk_submission_init(&sub, doc, (const uint8_t(*)[32])photo, 2, prev), RK_OK);
    assert_int_equal(rk_submission_sign(&sub, d->sk, d->key_id), RK_OK);
    /* through the wire format, as a device would send it */
    char *json = rk_submission_to_json(&sub);
    assert_non_null(json);
    struct rk_submission parsed;
    struct rk_chasil_error err;
    int rc = rk_submission_parse(json, strlen(json), &parsed, &err);
    free(json);
    if (rc != RK_OK)
        fail_msg("parse: %s (%s)", err.message, err.field);
    return rk_pipeline_submit(W.w.s, &d->who, &parsed, ++W.w.now, r, o);
}

/* ---- independent recount: latest version per (race, tps), summed up every level ---- */

struct recount {
    int64_t race_id[20000];
    char tps[20000][RK_CODE_MAX + 1];
    int version[20000];
    char doc[20000][RK_CHASIL_JSON_MAX];
    int n;
};

static int keep_latest(void *ud, const struct rk_version *v)
{
    struct recount *rc = ud;
    for (int i = 0; i < rc->n; i++) {
        if (rc->race_id[i] == v->race_id && strcmp(rc->tps[i], v->tps) == 0) {
            assert_true(v->version == rc->version[i] + 1); /* scan is in acceptance order */
            rc->version[i] = v->version;
            strcpy(rc->doc[i], v->doc);
            return 0;
        }
    }
    assert_true(rc->n < 20000);
    rc->race_id[rc->n] = v->race_id;
    strcpy(rc->tps[rc->n], v->tps);
    rc->version[rc->n] = v->version;
    strcpy(rc->doc[rc->n], v->doc);
    rc->n++;
    return 0;
}

struct cmp_ctx {
    struct recount *rc;
    int64_t race_id;
    int checked;
};

static void expect_equal_sum(struct cmp_ctx *c, const char *code)
{
    struct rk_tally want, got;
    rk_tally_zero(&want);
    for (int i = 0; i < c->rc->n; i++) {
        if (c->rc->race_id[i] != c->race_id || strncmp(c->rc->tps[i], code, strlen(code)) != 0)
            continue;
        struct rk_chasil doc;
        assert_int_equal(rk_chasil_decode(c->rc->doc[i], strlen(c->rc->doc[i]), 0, &doc, NULL),
                         RK_OK);
        struct rk_tally t;
        rk_tally_from_chasil(&t, &doc, false, false);
        t.flagged = 0;
        t.approved = 0;
        rk_tally_add(&want, &t, 1);
    }
    assert_int_equal(rk_store_tally_get(W.w.s, c->race_id, code, &got), RK_OK);
    got.flagged = 0;
    got.approved = 0;
    if (!rk_tally_equal(&want, &got))
        fail_msg("race %lld region '%s': stored sah=%lld total=%lld received=%lld, recount "
                 "sah=%lld total=%lld received=%lld",
                 (long long)c->race_id, code, (long long)got.sah, (long long)got.total,
                 (long long)got.received, (long long)want.sah, (long long)want.total,
                 (long long)want.received);
    c->checked++;
}

struct kids {
    struct rk_region r[4096];
    int n;
};

static int collect_kid(void *ud, const struct rk_region *r)
{
    struct kids *k = ud;
    if (k->n < 4096)
        k->r[k->n++] = *r;
    return 0;
}

/* Checks every region below code; children are collected before descending, because a
 * store listing cannot be re-entered from its own visitor. */
static void cmp_below(struct cmp_ctx *c, const char *code)
{
    struct kids *k = malloc(sizeof *k);
    assert_non_null(k);
    k->n = 0;
    assert_int_equal(rk_store_region_children(W.w.s, code, collect_kid, k), RK_OK);
    for (int i = 0; i < k->n; i++) {
        expect_equal_sum(c, k->r[i].code);
        if (k->r[i].level < RK_LEVEL_DESA)
            cmp_below(c, k->r[i].code);
    }
    free(k);
}

static void recount_all(void)
{
    struct recount *rc = calloc(1, sizeof *rc);
    assert_non_null(rc);
    assert_int_equal(rk_store_version_scan(W.w.s, 0, keep_latest, rc), RK_OK);
    for (int i = 0; i < W.w.nraces; i++) {
        struct cmp_ctx c = {rc, W.w.races[i].id, 0};
        expect_equal_sum(&c, "");
        cmp_below(&c, "");
        assert_true(c.checked > 10);
    }
    free(rc);
}

static void test_full_flow(void **state)
{
    (void)state;
    struct rk_receipt r;
    struct rk_outcome o;
    int accepted = W.w.nraces + 2 * W.w.n; /* the races, accounts and device keys come first */
    /* 1. every TPS submits every race it votes in */
    for (int i = 0; i < W.w.n; i++) {
        const struct rk_race *rs[4];
        int nr = rk_dw_races_of(&W.w, W.w.dev[i].tps, rs);
        assert_int_equal(nr, 2);
        for (int k = 0; k < nr; k++) {
            struct rk_chasil doc;
            rk_dw_make_doc(&W.w, &W.w.dev[i], rs[k], 1, &doc);
            int rc = submit(&W.w.dev[i], &doc, NULL, &r, &o);
            if (rc != RK_OK)
                fail_msg("submit %s race %lld: %d %s", W.w.dev[i].tps, (long long)rs[k]->id, rc,
                         o.message_en);
            assert_int_equal(r.version, 1);
            assert_false(r.duplicate);
            assert_int_equal(r.log_index, accepted);
            accepted++;
        }
    }
    /* progress at the national root equals the number of TPS for each race's region */
    for (int i = 0; i < W.w.nraces; i++) {
        struct rk_tally t;
        int64_t counts[RK_LEVEL_COUNT];
        assert_int_equal(rk_store_tally_get(W.w.s, W.w.races[i].id, "", &t), RK_OK);
        assert_int_equal(rk_store_region_counts(W.w.s, W.w.races[i].region_code, counts), RK_OK);
        assert_int_equal(t.received, counts[RK_LEVEL_TPS]);
    }
    recount_all();

    /* 2. the same submission again: idempotent, nothing changes */
    const struct rk_dw_device *d0 = &W.w.dev[0];
    const struct rk_race *rs[4];
    rk_dw_races_of(&W.w, d0->tps, rs);
    struct rk_chasil doc1;
    rk_dw_make_doc(&W.w, d0, rs[0], 1, &doc1);
    assert_int_equal(submit(d0, &doc1, NULL, &r, &o), RK_OK);
    assert_true(r.duplicate);
    assert_int_equal(r.version, 1);
    int64_t size;
    assert_int_equal(rk_store_log_size(W.w.s, &size), RK_OK);
    assert_int_equal(size, accepted);

    /* 3. a new version before approval: keeps the old one, needs prev */
    struct rk_chasil doc2;
    rk_dw_make_doc(&W.w, d0, rs[0], 2, &doc2);
    assert_int_equal(submit(d0, &doc2, NULL, &r, &o), RK_ECONFLICT); /* no prev: stale */
    uint8_t h1[32];
    struct rk_tps_state st;
    assert_int_equal(rk_store_tps_state(W.w.s, rs[0]->id, d0->tps, &st), RK_OK);
    memcpy(h1, st.current_hash, 32);
    assert_int_equal(submit(d0, &doc2, h1, &r, &o), RK_OK);
    assert_int_equal(r.version, 2);
    accepted++;
    /* replaying version 1 (prev = none) cannot roll it back */
    assert_int_equal(submit(d0, &doc1, NULL, &r, &o), RK_ECONFLICT);
    struct rk_version v;
    assert_int_equal(rk_store_version_get(W.w.s, rs[0]->id, d0->tps, 1, &v), RK_OK);

    /* 4. hostile submissions change nothing */
    const struct rk_dw_device *d1 = &W.w.dev[1];
    const struct rk_race *rs1[4];
    rk_dw_races_of(&W.w, d1->tps, rs1);
    struct rk_chasil other;
    rk_dw_make_doc(&W.w, d1, rs1[1], 1, &other);
    /* KPPS of TPS 0 signing TPS 1's form */
    assert_int_equal(submit(d0, &other, NULL, &r, &o), RK_EFORBIDDEN);
    /* forged signature */
    struct rk_submission sub;
    assert_int_equal(rk_submission_init(&sub, &other, NULL, 0, NULL), RK_OK);
    assert_int_equal(rk_submission_sign(&sub, d1->sk, d1->key_id), RK_OK);
    sub.sig[5] ^= 1;
    assert_int_equal(rk_pipeline_submit(W.w.s, NULL, &sub, ++W.w.now, &r, &o), RK_ESIGNATURE);
    /* right key, tampered document */
    assert_int_equal(rk_submission_init(&sub, &other, NULL, 0, NULL), RK_OK);
    assert_int_equal(rk_submission_sign(&sub, d1->sk, d1->key_id), RK_OK);
    sub.doc_hash[0] ^= 1;
    assert_int_equal(rk_pipeline_submit(W.w.s, NULL, &sub, ++W.w.now, &r, &o), RK_ESIGNATURE);
    /* numbers that do not add up: 422 with the rule */
    struct rk_chasil broken;
    rk_dw_make_doc(&W.w, d1, rs1[1], 3, &broken);
    broken.v[RK_F_SUARA_PASLON_1] += 100;
    assert_int_equal(submit(d1, &broken, NULL, &r, &o), RK_EVALIDATION);
    assert_true(o.n_violations > 0);
    int has_r3 = 0;
    for (size_t i = 0; i < o.n_violations; i++)
        has_r3 |= strncmp(o.violations[i].code, "R3", 2) == 0;
    assert_true(has_r3);
    /* wrong race for this TPS (a kab race elsewhere) */
    const struct rk_race *foreign = NULL;
    for (int i = 0; i < W.w.nraces && !foreign; i++)
        if (strncmp(d1->tps, W.w.races[i].region_code, strlen(W.w.races[i].region_code)) != 0)
            foreign = &W.w.races[i];
    assert_non_null(foreign);
    struct rk_chasil wrong = other;
    wrong.race_id = foreign->id;
    assert_int_equal(submit(d1, &wrong, NULL, &r, &o), RK_EINVAL);
    assert_int_equal(rk_store_log_size(W.w.s, &size), RK_OK);
    assert_int_equal(size, accepted);
    recount_all();

    /* 5. PPK approval of every TPS in one kecamatan; KPPS cannot approve */
    char kec[RK_CODE_MAX + 1];
    rk_code_ancestor(d0->tps, RK_LEVEL_KECAMATAN, kec);
    struct rk_principal ppk;
    rk_dw_officer(&W.w, RK_ROLE_PPK, kec, &ppk);
    accepted++; /* its account entry */
    assert_int_equal(rk_pipeline_approve(W.w.s, &d0->who, rs[0]->id, d0->tps, 2, ++W.w.now, &r, &o),
                     RK_EFORBIDDEN);
    assert_int_equal(rk_pipeline_approve(W.w.s, &ppk, rs[0]->id, d0->tps, 1, ++W.w.now, &r, &o),
                     RK_ECONFLICT); /* not the current version */
    int approved = 0;
    for (int i = 0; i < W.w.n; i++) {
        if (strncmp(W.w.dev[i].tps, kec, strlen(kec)) != 0) {
            /* outside the PPK's kecamatan */
            const struct rk_race *x[4];
            rk_dw_races_of(&W.w, W.w.dev[i].tps, x);
            assert_int_equal(rk_pipeline_approve(W.w.s, &ppk, x[0]->id, W.w.dev[i].tps, 1, ++W.w.now,
                                                 &r, &o),
                             RK_EFORBIDDEN);
            continue;
        }
        const struct rk_race *x[4];
        int nr = rk_dw_races_of(&W.w, W.w.dev[i].tps, x);
        for (int k = 0; k < nr; k++) {
            assert_int_equal(rk_store_tps_state(W.w.s, x[k]->id, W.w.dev[i].tps, &st), RK_OK);
            assert_int_equal(rk_pipeline_approve(W.w.s, &ppk, x[k]->id, W.w.dev[i].tps,
                                                 st.current_version, ++W.w.now, &r, &o),
                             RK_OK);
            approved++;
            accepted++;
        }
    }
    assert_true(approved >= 2);
    struct rk_tally kt;
    assert_int_equal(rk_store_tally_get(W.w.s, rs[0]->id, kec, &kt), RK_OK);
    assert_true(kt.approved > 0 && kt.approved == kt.received);
    /* 5b. Bawaslu of the kecamatan objects to version 1 (one log entry, no number moves); a
     * KPPS may not, a reason is required, the version must exist: refusals write nothing */
    struct rk_principal bw;
    rk_dw_officer(&W.w, RK_ROLE_BAWASLU, kec, &bw);
    accepted++; /* its account entry */
    const char *why = "Saksi paslon 2 tidak menerima salinan C.Hasil";
    int64_t before;
    assert_int_equal(rk_store_log_size(W.w.s, &before), RK_OK);
    assert_int_equal(rk_pipeline_object(W.w.s, &d0->who, rs[0]->id, d0->tps, 1, why, ++W.w.now,
                                        &r, &o),
                     RK_EFORBIDDEN);
    assert_int_equal(rk_pipeline_object(W.w.s, &bw, rs[0]->id, d0->tps, 1, "singkat",
                                        ++W.w.now, &r, &o),
                     RK_EINVAL);
    assert_int_equal(rk_pipeline_object(W.w.s, &bw, rs[0]->id, d0->tps, 99, why, ++W.w.now,
                                        &r, &o),
                     RK_ENOTFOUND);
    int64_t after;
    assert_int_equal(rk_store_log_size(W.w.s, &after), RK_OK);
    assert_int_equal(after, before);
    assert_int_equal(rk_pipeline_object(W.w.s, &bw, rs[0]->id, d0->tps, 1, why, ++W.w.now, &r,
                                        &o),
                     RK_OK);
    accepted++;
    assert_int_equal(r.log_index, before);
    assert_int_equal(r.version, 1);
    struct rk_objection ob[2];
    int nob = 0;
    assert_int_equal(rk_store_objection_list(W.w.s, rs[0]->id, d0->tps, ob, 2, &nob), RK_OK);
    assert_int_equal(nob, 1);
    assert_string_equal(ob[0].reason, why);
    assert_string_equal(ob[0].actor, bw.username);
    assert_int_equal(ob[0].log_index, before);
    struct rk_tally kt2;
    assert_int_equal(rk_store_tally_get(W.w.s, rs[0]->id, kec, &kt2), RK_OK);
    assert_memory_equal(&kt2, &kt, sizeof kt);
    /* approved: the KPPS can no longer replace it */
    assert_int_equal(rk_store_tps_state(W.w.s, rs[0]->id, d0->tps, &st), RK_OK);
    struct rk_chasil doc3;
    rk_dw_make_doc(&W.w, d0, rs[0], 3, &doc3);
    assert_int_equal(submit(d0, &doc3, st.current_hash, &r, &o), RK_ECONFLICT);

    /* 6. the PPK corrects it with a reason: a new version, history kept, approval reset */
    assert_int_equal(rk_pipeline_correct(W.w.s, &ppk, &doc3, st.current_hash, "", ++W.w.now, &r, &o),
                     RK_EINVAL);
    uint8_t stale[32] = {0};
    assert_int_equal(rk_pipeline_correct(W.w.s, &ppk, &doc3, stale,
                                         "Salah baca angka pada pleno kecamatan", ++W.w.now, &r, &o),
                     RK_ECONFLICT);
    assert_int_equal(rk_pipeline_correct(W.w.s, &ppk, &doc3, st.current_hash,
                                         "Salah baca angka pada pleno kecamatan", ++W.w.now, &r, &o),
                     RK_OK);
    accepted++;
    assert_int_equal(r.version, 3);
    assert_int_equal(rk_store_version_get(W.w.s, rs[0]->id, d0->tps, 3, &v), RK_OK);
    assert_int_equal(v.kind, RK_VERSION_CORRECTION);
    assert_string_equal(v.reason, "Salah baca angka pada pleno kecamatan");
    assert_int_equal(rk_store_version_get(W.w.s, rs[0]->id, d0->tps, 1, &v), RK_OK);
    assert_int_equal(rk_store_tps_state(W.w.s, rs[0]->id, d0->tps, &st), RK_OK);
    assert_false(st.approved);
    assert_int_equal(rk_store_tally_get(W.w.s, rs[0]->id, kec, &kt), RK_OK);
    assert_int_equal(kt.approved, kt.received - 1);
    recount_all();

    /* 7. the log: one entry per accepted write, a signed head, proofs that verify */
    assert_int_equal(rk_store_log_size(W.w.s, &size), RK_OK);
    assert_int_equal(size, accepted);
    struct rk_local_signer ls;
    uint8_t seed[32] = {7};
    assert_int_equal(rk_local_signer_init(&ls, seed), RK_OK);
    struct rk_log_view lv;
    assert_int_equal(rk_log_view_init(&lv, "rekap.test"), RK_OK);
    struct rk_sth sth;
    assert_int_equal(rk_log_publish(W.w.s, &lv, &ls.signer, W.w.now, &sth), RK_OK);
    assert_int_equal(sth.tree_size, (uint64_t)size);
    assert_int_equal(rk_sth_verify(&sth, ls.signer.public_key), RK_OK);
    struct rk_merkle_source src;
    rk_log_source(W.w.s, &src);
    uint8_t root[32];
    assert_int_equal(rk_merkle_root(&src, (uint64_t)size, root), RK_OK);
    assert_memory_equal(root, sth.root, 32);
    for (int64_t i = 0; i < size; i += 1 + size / 17) {
        struct rk_merkle_proof p;
        uint8_t leaf[32], buf[RK_LOG_ENTRY_MAX];
        size_t len;
        assert_int_equal(rk_store_log_get(W.w.s, i, buf, sizeof buf, &len, leaf), RK_OK);
        uint8_t check[32];
        rk_merkle_leaf_hash(buf, len, check);
        assert_memory_equal(check, leaf, 32);
        struct rk_logentry e;
        assert_int_equal(rk_logentry_decode(buf, len, &e), RK_OK);
        assert_int_equal(e.seq, (uint64_t)i);
        assert_int_equal(rk_merkle_inclusion_proof(&src, (uint64_t)i, (uint64_t)size, &p), RK_OK);
        assert_int_equal(rk_merkle_verify_inclusion((uint64_t)i, (uint64_t)size, leaf, &p, sth.root),
                         RK_OK);
    }
    /* the first upload's entry carries the device signature over the statement */
    uint8_t buf[RK_LOG_ENTRY_MAX];
    size_t len;
    assert_int_equal(rk_store_log_get(W.w.s, W.w.nraces + 2 * W.w.n, buf, sizeof buf, &len, NULL), RK_OK);
    struct rk_logentry e0;
    assert_int_equal(rk_logentry_decode(buf, len, &e0), RK_OK);
    assert_true(e0.has_signature);
    assert_int_equal(e0.kind, RK_LOGENTRY_SUBMISSION);
    /* publishing again without growth returns the same head */
    struct rk_sth again;
    assert_int_equal(rk_log_publish(W.w.s, &lv, &ls.signer, W.w.now + 5, &again), RK_OK);
    assert_memory_equal(again.root, sth.root, 32);
    rk_local_signer_free(&ls);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_flow, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
