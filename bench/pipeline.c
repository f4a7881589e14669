/* Benchmark: in-process ingest through the results pipeline (signature check, validation,
 * versioned write, tallies at five levels, log entry; one durable transaction per submission
 * unless batched), against the raw libsodium verify rate on the same statements in this run.
 *   bench_pipeline [--tps N] [--db PATH] [--batch K]
 * Default: a demo province scaled to about N TPS, 2 races each. */
#include "cli/cli.h"
#include "rekap/demo.h"
#include "rekap/status.h"
#include "store/auth.h"
#include "store/pipeline.h"
#include "store/batch.h"

#include <pthread.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct dev {
    char tps[RK_CODE_MAX + 1];
    uint32_t l, p;
    struct rk_principal who;
    uint8_t sk[64];
    char key_id[17];
};

struct ctx {
    struct dev *d;
    int n, cap;
};

static int on_tps(void *ud, const struct rk_region *r)
{
    struct ctx *c = ud;
    if (c->n >= c->cap)
        return 1;
    struct dev *d = &c->d[c->n++];
    memcpy(d->tps, r->code, sizeof d->tps);
    d->l = r->dpt_l;
    d->p = r->dpt_p;
    return 0;
}

struct races {
    struct rk_race r[64];
    int n;
};

static int on_race(void *ud, const struct rk_race *r)
{
    struct races *x = ud;
    if (x->n < 64)
        x->r[x->n++] = *r;
    return 0;
}

struct worker {
    const char *db;
    struct rk_batcher *b;
    struct rk_submission *subs;
    int from, step, total, accepted;
    pthread_t th;
};

static int apply(struct rk_store *s, void *arg)
{
    struct rk_receipt r;
    struct rk_outcome o;
    return rk_pipeline_submit_apply(s, arg, &r, &o);
}

/* A request thread: prepare with its own handle, then hand the write to the batcher. */
static void *work(void *arg)
{
    struct worker *w = arg;
    struct rk_store *s;
    if (rk_store_open(w->db, &s) != RK_OK)
        return NULL;
    for (int i = w->from; i < w->total; i += w->step) {
        struct rk_prepared p;
        struct rk_outcome o;
        if (rk_pipeline_submit_prepare(s, NULL, &w->subs[i], 1732700000000 + i, &p, &o) != RK_OK)
            continue;
        w->accepted += rk_batcher_run(w->b, apply, &p) == RK_OK;
        rk_pipeline_prepared_free(&p);
    }
    rk_store_close(s);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int want = 5000, threads = 0;
    char db[512] = "";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tps") == 0 && i + 1 < argc)
            want = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            snprintf(db, sizeof db, "%s", argv[++i]);
    }
    if (sodium_init() < 0)
        return 1;
    char dir[] = "/tmp/rekap-bench-XXXXXX";
    if (!db[0]) {
        if (!mkdtemp(dir))
            return 1;
        snprintf(db, sizeof db, "%s/bench.db", dir);
    }
    char scale[32];
    snprintf(scale, sizeof scale, "%.4f", want / 10000.0 > 1 ? 1.0 : want / 10000.0);
    char *dargv[] = {"demo", "--db", db, "--province", "61", "--scale", scale, "--replace", NULL};
    if (rk_cmd_demo(8, dargv) != 0)
        return 1;
    struct rk_store *s;
    if (rk_store_open(db, &s) != RK_OK)
        return 1;
    struct ctx c = {calloc((size_t)want + 1, sizeof(struct dev)), 0, want};
    rk_store_region_at_level(s, "", RK_LEVEL_TPS, on_tps, &c);
    struct races rs = {0};
    rk_store_race_list(s, 0, "61", on_race, &rs);
    for (int i = 0; i < c.n; i++) {
        struct rk_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.p.username, sizeof u.p.username, "kpps-%s", c.d[i].tps);
        u.p.role = RK_ROLE_KPPS;
        memcpy(u.p.scope, c.d[i].tps, sizeof u.p.scope);
        char pw[RK_GENPW_LEN + 1];
        uint8_t pk[32];
        struct rk_device_key key;
        crypto_sign_keypair(pk, c.d[i].sk);
        if (rk_auth_user_create(s, "cli@bench", &u, NULL, 0, 1000, pw) != RK_OK ||
            rk_auth_device_register(s, NULL, u.p.user_id, pk, 1000, &key) != RK_OK)
            return 1;
        c.d[i].who = u.p;
        memcpy(c.d[i].key_id, key.key_id, 17);
    }
    /* pre-build every signed submission */
    int total = 0;
    struct rk_submission *subs = calloc((size_t)c.n * 2, sizeof *subs);
    for (int i = 0; i < c.n; i++) {
        for (int k = 0; k < rs.n; k++) {
            if (strncmp(c.d[i].tps, rs.r[k].region_code, strlen(rs.r[k].region_code)) != 0)
                continue;
            struct rk_candidate cand[RK_CANDIDATES_MAX];
            int nc = 0;
            rk_store_candidate_list(s, rs.r[k].id, cand, RK_CANDIDATES_MAX, &nc);
            struct rk_chasil doc;
            rk_demo_chasil(1, "pilkada2024", c.d[i].tps, rs.r[k].id, nc, cand[nc - 1].kolom_kosong,
                           c.d[i].l, c.d[i].p, &doc);
            rk_submission_init(&subs[total], &doc, NULL, 0, NULL);
            rk_submission_sign(&subs[total], c.d[i].sk, c.d[i].key_id);
            total++;
        }
    }
    /* reference: raw verify rate of the same statements */
    double t0 = now_s();
    int ok = 0;
    for (int i = 0; i < total; i++) {
        char st[RK_STATEMENT_MAX];
        size_t len;
        rk_submission_statement(&subs[i], st, sizeof st, &len);
        uint8_t pk[32];
        crypto_sign_ed25519_sk_to_pk(pk, c.d[i / 2 < c.n ? i / 2 : 0].sk);
        ok += crypto_sign_verify_detached(subs[i].sig, (const unsigned char *)st, len, pk) == 0;
    }
    double verify_s = now_s() - t0;
    (void)ok;
    t0 = now_s();
    int accepted = 0;
    if (threads <= 0) {
        for (int i = 0; i < total; i++) {
            struct rk_receipt r;
            struct rk_outcome o;
            accepted += rk_pipeline_submit(s, NULL, &subs[i], 1732700000000 + i, &r, &o) == RK_OK;
        }
    } else {
        struct rk_batcher *b;
        if (rk_batcher_start(db, 0, &b) != RK_OK)
            return 1;
        struct worker w[64];
        if (threads > 64)
            threads = 64;
        for (int t = 0; t < threads; t++) {
            w[t] = (struct worker){.db = db, .b = b, .subs = subs, .from = t, .step = threads,
                                   .total = total};
            pthread_create(&w[t].th, NULL, work, &w[t]);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(w[t].th, NULL);
            accepted += w[t].accepted;
        }
        long long jobs, commits;
        rk_batcher_stats(b, &jobs, &commits, NULL);
        printf("threads=%d commits=%lld jobs_per_commit=%.1f\n", threads, commits,
               commits ? (double)jobs / (double)commits : 0.0);
        rk_batcher_stop(b);
    }
    double ingest_s = now_s() - t0;
    printf("submissions=%d accepted=%d\n", total, accepted);
    printf("pipeline_s=%.2f pipeline_per_s=%.0f\n", ingest_s, total / ingest_s);
    printf("libsodium_verify_per_s=%.0f\n", total / verify_s);
    printf("ratio_pipeline_vs_verify=%.3f\n", (total / ingest_s) / (total / verify_s));
    rk_store_close(s);
    free(subs);
    free(c.d);
    return accepted == total ? 0 : 1;
}
