/* Demo results: after `rekap demo` builds the election, --results F makes a fraction F of the
 * TPS report through the real pipeline (one KPPS account and Ed25519 device key per TPS, signed
 * submissions, validation, tallies, transparency log), so the demo portal shows live numbers
 * and an auditable log. Several threads prepare while one group-commit writer stores. Also
 * creates the demo logins printed at the end. */
#include "cli/demo_results.h"
#include "rekap/demo.h"
#include "rekap/status.h"
#include "store/auth.h"
#include "store/batch.h"
#include "store/pipeline.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_THREADS 16

struct tps_item {
    char code[RK_CODE_MAX + 1];
    uint32_t l, p;
};

struct plan {
    struct tps_item *tps;
    size_t n, cap;
    struct rk_race races[600];
    int nraces;
};

static int add_tps(void *ud, const struct rk_region *r)
{
    struct plan *p = ud;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        struct tps_item *nt = realloc(p->tps, cap * sizeof *nt);
        if (!nt)
            return RK_ENOMEM;
        p->tps = nt, p->cap = cap;
    }
    memcpy(p->tps[p->n].code, r->code, sizeof p->tps[p->n].code);
    p->tps[p->n].l = r->dpt_l;
    p->tps[p->n].p = r->dpt_p;
    p->n++;
    return 0;
}

static int add_race(void *ud, const struct rk_race *r)
{
    struct plan *p = ud;
    if (p->nraces < 600)
        p->races[p->nraces++] = *r;
    return 0;
}

struct work {
    const char *db;
    struct rk_batcher *b;
    struct plan *plan;
    struct rk_submission *subs;
    size_t from, to;
    long accepted, refused;
    pthread_t th;
};

static int apply(struct rk_store *s, void *arg)
{
    struct rk_receipt r;
    struct rk_outcome *o = malloc(sizeof *o);
    if (!o)
        return RK_ENOMEM;
    o->n_violations = 0;
    int rc = rk_pipeline_submit_apply(s, arg, &r, o);
    free(o);
    return rc;
}

static void *worker(void *arg)
{
    struct work *w = arg;
    struct rk_store *s;
    if (rk_store_open(w->db, &s) != RK_OK)
        return NULL;
    struct rk_outcome *o = malloc(sizeof *o);
    for (size_t i = w->from; o && i < w->to; i++) {
        if (!w->subs[i].device[0])
            continue;
        struct rk_prepared p;
        int rc = rk_pipeline_submit_prepare(s, NULL, &w->subs[i], 1732690800000 + (int64_t)i, &p, o);
        if (rc == RK_OK) {
            rc = rk_batcher_run(w->b, apply, &p);
            rk_pipeline_prepared_free(&p);
        }
        if (rc == RK_OK)
            w->accepted++;
        else
            w->refused++;
    }
    free(o);
    rk_store_close(s);
    return NULL;
}

/* Who the demo's account changes are logged as: an operator, like `rekap user` run by hand. */
#define DEMO_ACTOR "cli@rekap-demo"
#define DEMO_NOW_MS INT64_C(1732690800000)

static int demo_user(struct rk_store *s, const char *name, enum rk_role role, const char *scope,
                     const char *password)
{
    struct rk_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "%s", name);
    u.p.role = role;
    snprintf(u.p.scope, sizeof u.p.scope, "%s", scope);
    return rk_auth_user_create(s, DEMO_ACTOR, &u, password, strlen(password), DEMO_NOW_MS, NULL);
}

int rk_demo_results(const char *db, double fraction, uint64_t seed, FILE *out)
{
    if (!(fraction >= 0 && fraction <= 1))
        return RK_EINVAL;
    if (sodium_init() < 0)
        return RK_EINTERNAL;
    struct rk_store *s;
    int rc = rk_store_open(db, &s);
    if (rc != RK_OK)
        return rc;
    struct plan plan = {0};
    struct rk_election e;
    if ((rc = rk_store_election_by_slug(s, "pilkada2024", &e)) != RK_OK ||
        (rc = rk_store_region_at_level(s, "", RK_LEVEL_TPS, add_tps, &plan)) != RK_OK ||
        (rc = rk_store_race_list(s, e.id, "", add_race, &plan)) != RK_OK || plan.n < 2) {
        rk_store_close(s);
        free(plan.tps);
        return rc != RK_OK ? rc : RK_ENOTFOUND;
    }
    /* Which TPS report: a deterministic, evenly spread choice. The last TPS never reports, so
     * the demo KPPS login has a form left to send. */
    size_t reporting = (size_t)((double)(plan.n - 1) * fraction);
    struct rk_submission *subs = calloc(reporting * 2 + 2, sizeof *subs);
    if (!subs) {
        rk_store_close(s);
        free(plan.tps);
        return RK_ENOMEM;
    }
    size_t nsubs = 0;
    rc = rk_store_begin(s);
    for (size_t k = 0; rc == RK_OK && k < reporting; k++) {
        const struct tps_item *t = &plan.tps[(size_t)((double)k / fraction) % (plan.n - 1)];
        struct rk_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.p.username, sizeof u.p.username, "kpps-%s", t->code);
        u.p.role = RK_ROLE_KPPS;
        memcpy(u.p.scope, t->code, sizeof u.p.scope);
        char pw[RK_GENPW_LEN + 1];
        if ((rc = rk_auth_user_create(s, DEMO_ACTOR, &u, NULL, 0, DEMO_NOW_MS, pw)) == RK_EEXIST) {
            rc = RK_OK; /* the spread picked this TPS already */
            continue;
        }
        uint8_t pk[32], sk[64], dseed[32];
        crypto_generichash(dseed, sizeof dseed, (const unsigned char *)t->code, 13,
                           (const unsigned char *)&seed, sizeof seed);
        crypto_sign_seed_keypair(pk, sk, dseed);
        struct rk_device_key key;
        if (rc != RK_OK || (rc = rk_auth_device_register(s, NULL, u.p.user_id, pk, DEMO_NOW_MS,
                                                     &key)) != RK_OK)
            break;
        for (int r = 0; r < plan.nraces; r++) {
            const struct rk_race *race = &plan.races[r];
            if (strncmp(t->code, race->region_code, strlen(race->region_code)) != 0)
                continue;
            struct rk_candidate c[RK_CANDIDATES_MAX];
            int nc = 0;
            struct rk_chasil doc;
            if ((rc = rk_store_candidate_list(s, race->id, c, RK_CANDIDATES_MAX, &nc)) != RK_OK ||
                nc < 2 || nc > RK_CANDIDATES_MAX ||
                (rc = rk_demo_chasil(seed, e.slug, t->code, race->id, nc, c[nc - 1].kolom_kosong,
                                     t->l, t->p, &doc)) != RK_OK ||
                (rc = rk_submission_init(&subs[nsubs], &doc, NULL, 0, NULL)) != RK_OK ||
                (rc = rk_submission_sign(&subs[nsubs], sk, key.key_id)) != RK_OK)
                break;
            nsubs++;
        }
        sodium_memzero(sk, sizeof sk);
    }
    /* Demo logins for the web pages: a KPPS whose TPS has not reported, its PPK, the KPU of
     * the province. */
    static const char demo_pw[] = "rekap-demo-2024";
    const char *last = plan.tps[plan.n - 1].code;
    char kec[RK_CODE_MAX + 1], prov[RK_CODE_MAX + 1];
    rk_code_ancestor(last, RK_LEVEL_KECAMATAN, kec);
    rk_code_ancestor(last, RK_LEVEL_PROVINCE, prov);
    if (rc == RK_OK)
        rc = demo_user(s, "kpps-demo", RK_ROLE_KPPS, last, demo_pw);
    if (rc == RK_OK)
        rc = demo_user(s, "ppk-demo", RK_ROLE_PPK, kec, demo_pw);
    if (rc == RK_OK)
        rc = demo_user(s, "kpu-demo", RK_ROLE_KPU_PROVINSI, prov, demo_pw);
    if (rc == RK_OK)
        rc = rk_store_commit(s);
    else
        rk_store_rollback(s);
    rk_store_close(s);
    long accepted = 0, refused = 0;
    if (rc == RK_OK && nsubs) {
        struct rk_batcher *b;
        if ((rc = rk_batcher_start(db, 0, &b)) == RK_OK) {
            struct work w[DEMO_THREADS];
            for (int i = 0; i < DEMO_THREADS; i++) {
                w[i] = (struct work){.db = db, .b = b, .plan = &plan, .subs = subs,
                                     .from = nsubs * (size_t)i / DEMO_THREADS,
                                     .to = nsubs * (size_t)(i + 1) / DEMO_THREADS};
                pthread_create(&w[i].th, NULL, worker, &w[i]);
            }
            for (int i = 0; i < DEMO_THREADS; i++) {
                pthread_join(w[i].th, NULL);
                accepted += w[i].accepted;
                refused += w[i].refused;
            }
            rk_batcher_stop(b);
        }
    }
    if (rc == RK_OK && out)
        fprintf(out,
                "  results: %ld of %zu TPS-race forms submitted through the signed pipeline "
                "(%ld refused)\n"
                "  demo logins (password %s): kpps-demo (TPS %s), ppk-demo (kecamatan %s), "
                "kpu-demo (provinsi %s)\n",
                accepted, nsubs, refused, demo_pw, last, kec, prov);
    free(subs);
    free(plan.tps);
    return rc == RK_OK && refused ? RK_EINTERNAL : rc;
}
