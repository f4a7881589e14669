/* bench_loadgen: the election-night load generator, ingest benchmark and store auditor.
 *
 * Run mode (default): prepares a store with an election (the rk_demo generator, or every real
 * Pemilu 2024 TPS code with the Pilkada 2024 candidates), registers one KPPS account and Ed25519
 * device key per TPS directly through the store, pre-builds every signed submission in memory,
 * starts `rekap serve` (child process) or the server in-process, and replays the submissions over
 * HTTP/1.1 keep-alive connections from a single-threaded epoll client, on an evening arrival
 * curve or at a constant rate, while reader connections hammer the results endpoint. Then, in the
 * same run, two references: raw Ed25519 verification on one core, and nginx serving the very
 * same result bytes to the same reader client. Every figure is printed as "metric value" lines
 * (or one JSON object with --json).
 *
 * Device keys are derived from (seed, TPS code), so a prepared store can be replayed again later
 * (or by the crash test, across server restarts) without keeping secret keys anywhere.
 *
 * Verify mode (--verify DB): audits a store after a load or crash test: every acknowledged
 * submission is in its TPS's history exactly once, version numbers are dense, each version's
 * statement matches its transparency-log entry (and the device signature verifies), tallies at
 * every level equal a recount from the stored documents, every leaf hash recomputes, and the
 * latest signed tree head verifies with inclusion proofs for the entries. */
#define _GNU_SOURCE /* memmem */
#include "cli/cli.h"
#include "cli/import.h"
#include "rekap/demo.h"
#include "rekap/logentry.h"
#include "rekap/merkle.h"
#include "rekap/status.h"
#include "rekap/sth.h"
#include "rekap/submission.h"
#include "rekap/tally.h"
#include "server/server.h"
#include "store/auth.h"
#include "store/pipeline.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLUG "pilkada2024"
#define MAX_RACES 4096
#define RESP_MAX ((size_t)8 << 20)   /* largest response the client accepts */
#define READ_URLS 4096               /* distinct read targets during ingest */
#define REF_URLS 64                  /* result bodies saved for the nginx comparison */
#define VERIFY_SAMPLE 20000          /* statements kept for the raw verify reference */

/* ---------------------------------------------------------------------------------------- */
/* small helpers */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double secs_since(int64_t t0)
{
    return (double)(mono_ns() - t0) / 1e9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_loadgen: %s: %s / %s\n", what, rk_strerror(rc), rk_strerror_id(rc));
    exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "bench_loadgen: kehabisan memori / out of memory\n");
        exit(1);
    }
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fprintf(stderr, "bench_loadgen: kehabisan memori / out of memory\n");
        exit(1);
    }
    return q;
}

/* splitmix64: the client's own cheap randomness (shuffles, read targets). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
    return n ? rng_next(s) % n : 0;
}

/* The Ed25519 key of the KPPS device of tps, derived from the run seed: reproducible, so a
 * prepared store can be replayed without storing secret keys. */
static void device_key(uint64_t seed, const char *tps, uint8_t pk[32], uint8_t sk[64])
{
    uint8_t kseed[32], msg[8 + RK_CODE_MAX + 1];
    memcpy(msg, &seed, 8);
    size_t n = strlen(tps);
    memcpy(msg + 8, tps, n);
    static const uint8_t key[] = "rekap-loadgen-device-v1";
    crypto_generichash(kseed, sizeof kseed, msg, 8 + n, key, sizeof key - 1);
    crypto_sign_seed_keypair(pk, sk, kseed);
    sodium_memzero(kseed, sizeof kseed);
}

/* ---------------------------------------------------------------------------------------- */
/* string-keyed hash map (open addressing), used by the auditor */

struct hmap {
    char (*keys)[96];
    int64_t *vals;
    size_t cap, n;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void hmap_init(struct hmap *m, size_t cap)
{
    size_t c = 64;
    while (c < cap * 2)
        c *= 2;
    m->keys = xcalloc(c, sizeof *m->keys);
    m->vals = xcalloc(c, sizeof *m->vals);
    m->cap = c;
    m->n = 0;
}

static void hmap_free(struct hmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static int64_t *hmap_slot(struct hmap *m, const char *key, bool create);

static void hmap_grow(struct hmap *m)
{
    struct hmap n;
    hmap_init(&n, m->cap);
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i][0])
            *hmap_slot(&n, m->keys[i], true) = m->vals[i];
    hmap_free(m);
    *m = n;
}

/* The value slot of key, created (0) when create, else NULL when absent. Keys are non-empty
 * and shorter than 96 bytes. */
static int64_t *hmap_slot(struct hmap *m, const char *key, bool create)
{
    if (create && (m->n + 1) * 2 > m->cap)
        hmap_grow(m);
    size_t i = (size_t)fnv1a(key) & (m->cap - 1);
    while (m->keys[i][0]) {
        if (strcmp(m->keys[i], key) == 0)
            return &m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    if (!create)
        return NULL;
    snprintf(m->keys[i], sizeof m->keys[i], "%s", key);
    m->vals[i] = 0;
    m->n++;
    return &m->vals[i];
}

/* ---------------------------------------------------------------------------------------- */
/* the election as the generator sees it */

struct race_info {
    int64_t id;
    char region[RK_CODE_MAX + 1];
    int level; /* level of region: 0 national, 1 province, 2 kab/kota */
    int n_paslon;
    bool kolom_kosong;
};

struct tps_info {
    char code[RK_CODE_MAX + 1];
    uint32_t dpt_l, dpt_p;
};

struct world {
    struct rk_store *s;
    struct race_info races[MAX_RACES];
    int nraces;
    int nat_race[8], n_nat;
    int16_t prov_race[100];
    int16_t kab_race[10000];
    struct tps_info *tps;
    size_t ntps, tps_cap;
};

static int collect_tps(void *ud, const struct rk_region *r)
{
    struct world *w = ud;
    if (w->ntps == w->tps_cap) {
        w->tps_cap = w->tps_cap ? w->tps_cap * 2 : 4096;
        w->tps = xrealloc(w->tps, w->tps_cap * sizeof *w->tps);
    }
    struct tps_info *t = &w->tps[w->ntps++];
    memcpy(t->code, r->code, sizeof t->code);
    t->dpt_l = r->dpt_l;
    t->dpt_p = r->dpt_p;
    return 0;
}

static int collect_race(void *ud, const struct rk_race *r)
{
    struct world *w = ud;
    if (w->nraces >= MAX_RACES)
        return 1;
    struct race_info *ri = &w->races[w->nraces++];
    memset(ri, 0, sizeof *ri);
    ri->id = r->id;
    memcpy(ri->region, r->region_code, sizeof ri->region);
    ri->level = ri->region[0] ? rk_code_level(ri->region) : 0;
    return 0;
}

/* Loads the TPS and races of the store and indexes races by the region they are held in. */
static void world_load(struct world *w)
{
    int rc = rk_store_race_list(w->s, 0, "", collect_race, w);
    if (rc != RK_OK)
        die("race list", rc);
    for (int i = 0; i < 100; i++)
        w->prov_race[i] = -1;
    for (int i = 0; i < 10000; i++)
        w->kab_race[i] = -1;
    for (int i = 0; i < w->nraces; i++) {
        struct race_info *ri = &w->races[i];
        struct rk_candidate c[RK_CANDIDATES_MAX];
        int n = 0;
        if ((rc = rk_store_candidate_list(w->s, ri->id, c, RK_CANDIDATES_MAX, &n)) != RK_OK)
            die("candidate list", rc);
        ri->n_paslon = n;
        ri->kolom_kosong = n > 0 && n <= RK_CANDIDATES_MAX && c[n - 1].kolom_kosong;
        size_t len = strlen(ri->region);
        if (n < 2)
            continue; /* a race without candidates cannot receive results */
        if (len == 0 && w->n_nat < 8)
            w->nat_race[w->n_nat++] = i;
        else if (len == 2)
            w->prov_race[atoi(ri->region)] = (int16_t)i;
        else if (len == 4)
            w->kab_race[atoi(ri->region)] = (int16_t)i;
    }
    if ((rc = rk_store_region_at_level(w->s, "", RK_LEVEL_TPS, collect_tps, w)) != RK_OK)
        die("TPS list", rc);
}

/* The races a TPS votes in (indexes into w->races). */
static int races_of(const struct world *w, const char *tps, int out[10])
{
    int n = 0;
    for (int i = 0; i < w->n_nat; i++)
        out[n++] = w->nat_race[i];
    char p[3] = {tps[0], tps[1], 0}, k[5] = {tps[0], tps[1], tps[2], tps[3], 0};
    int pr = w->prov_race[atoi(p)], kr = w->kab_race[atoi(k)];
    if (pr >= 0)
        out[n++] = pr;
    if (kr >= 0)
        out[n++] = kr;
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* preparing the store */

static int prepare_election(const char *db, const char *demo, double scale, uint64_t seed,
                            bool real, const char *data_dir)
{
    int64_t t0 = mono_ns();
    if (real) {
        char w[4096], t[4096], p1[4096], p2[4096];
        snprintf(w, sizeof w, "%s/wilayah/wilayah_2025.csv.gz", data_dir);
        snprintf(t, sizeof t, "%s/kpu/pemilu2024_tps_codes.txt.gz", data_dir);
        snprintf(p1, sizeof p1, "%s/kpu/pilkada2024/paslon/pkwkp.json", data_dir);
        snprintf(p2, sizeof p2, "%s/kpu/pilkada2024/paslon/pkwkk.json", data_dir);
        if (access(w, R_OK) || access(t, R_OK) || access(p1, R_OK) || access(p2, R_OK)) {
            fprintf(stderr,
                    "bench_loadgen: data referensi tidak ada / reference data not found under "
                    "%s (needs wilayah_2025.csv.gz, pemilu2024_tps_codes.txt.gz, "
                    "pilkada2024/paslon/*.json); skipped\n",
                    data_dir);
            return 77;
        }
        struct rk_store *s;
        int rc = rk_store_open(db, &s);
        if (rc != RK_OK)
            die(db, rc);
        struct rk_import_report rep;
        memset(&rep, 0, sizeof rep);
        if ((rc = rk_import_regions(s, w, stderr, &rep)) != RK_OK)
            die("import regions", rc);
        if ((rc = rk_import_tps(s, t, RK_MISSING_CREATE, stderr, &rep)) != RK_OK)
            die("import TPS", rc);
        if ((rc = rk_import_candidates(s, p1, SLUG, stderr, &rep)) != RK_OK ||
            (rc = rk_import_candidates(s, p2, SLUG, stderr, &rep)) != RK_OK)
            die("import candidates", rc);
        rk_store_close(s);
    } else {
        char seedbuf[32], scalebuf[32];
        snprintf(seedbuf, sizeof seedbuf, "%llu", (unsigned long long)seed);
        snprintf(scalebuf, sizeof scalebuf, "%g", scale > 0 ? scale : 1.0);
        char *argv[12] = {"demo", "--db", (char *)db, "--seed", seedbuf, "--scale", scalebuf};
        int argc = 7;
        if (strcmp(demo, "national") == 0) {
            argv[argc++] = "--national";
        } else {
            argv[argc++] = "--province";
            argv[argc++] = (char *)demo;
        }
        argv[argc] = NULL;
        /* the demo's summary goes to stderr: stdout carries only the report (--json) */
        fflush(stdout);
        int saved = dup(1);
        dup2(2, 1);
        int drc = rk_cmd_demo(argc, argv);
        fflush(stdout);
        dup2(saved, 1);
        close(saved);
        if (drc != 0)
            return 1;
    }
    fprintf(stderr, "bench_loadgen: election prepared in %.1f s\n", secs_since(t0));
    return 0;
}

/* One KPPS account and one device key per TPS, in one transaction (the fast path: no HTTP, no
 * interactive password hashing: generated passwords use the cheap Argon2id profile). Each
 * still goes through store/auth.h, so each adds its account and device-key log entries. */
static void register_devices(struct world *w, uint64_t seed)
{
    int64_t t0 = mono_ns();
    int rc = rk_store_begin(w->s);
    if (rc != RK_OK)
        die("begin", rc);
    for (size_t i = 0; i < w->ntps; i++) {
        struct rk_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.p.username, sizeof u.p.username, "kpps-%s", w->tps[i].code);
        u.p.role = RK_ROLE_KPPS;
        memcpy(u.p.scope, w->tps[i].code, sizeof u.p.scope);
        char pw[RK_GENPW_LEN + 1];
        if ((rc = rk_auth_user_create(w->s, "cli@bench-loadgen", &u, NULL, 0,
                                      INT64_C(1732700000000), pw)) != RK_OK)
            die("create KPPS account", rc);
        uint8_t pk[32], sk[64];
        device_key(seed, w->tps[i].code, pk, sk);
        if ((rc = rk_auth_device_register(w->s, NULL, u.p.user_id, pk, INT64_C(1732700000000),
                                          NULL)) != RK_OK)
            die("register device", rc);
        if (i % 50000 == 49999)
            fprintf(stderr, "bench_loadgen: %zu/%zu devices registered\n", i + 1, w->ntps);
    }
    if ((rc = rk_store_commit(w->s)) != RK_OK)
        die("commit", rc);
    fprintf(stderr, "bench_loadgen: %zu KPPS accounts + device keys in %.1f s\n", w->ntps,
            secs_since(t0));
}

/* ---------------------------------------------------------------------------------------- */
/* pre-built submissions */

struct item {
    char *req;          /* the whole HTTP request: headers and body */
    uint32_t req_len;
    uint32_t tps;       /* index into world.tps */
    int16_t race;       /* index into world.races */
    uint8_t doc_hash[32];
    /* What a request carries: submissions first .. first + nsub - 1 of the client's subs
     * (--per-request: a TPS's races in one JSON array; else just this one). */
    uint32_t first;
    uint8_t nsub;
};

struct sample {
    char statement[RK_STATEMENT_MAX];
    size_t len;
    uint8_t sig[64], pk[32];
};

struct build_job {
    const struct world *w;
    uint64_t seed;
    struct item *items;
    size_t from, to; /* item range */
    struct sample *samples;
    size_t nsamples;
    int rc;
};

static void *build_worker(void *arg)
{
    struct build_job *j = arg;
    struct rk_submission *sub = xcalloc(1, sizeof *sub);
    struct rk_chasil *doc = xcalloc(1, sizeof *doc);
    uint8_t pk[32], sk[64];
    uint32_t key_tps = UINT32_MAX;
    char key_id[17] = "";
    for (size_t i = j->from; i < j->to; i++) {
        struct item *it = &j->items[i];
        const struct tps_info *t = &j->w->tps[it->tps];
        const struct race_info *r = &j->w->races[it->race];
        if (it->tps != key_tps) {
            device_key(j->seed, t->code, pk, sk);
            uint8_t kid[RK_KEY_ID_LEN];
            rk_key_id(pk, kid);
            rk_hex(kid, RK_KEY_ID_LEN, key_id);
            key_tps = it->tps;
        }
        uint32_t dl = t->dpt_l, dp = t->dpt_p;
        if (dl + dp == 0) { /* real codes carry no DPT: a plausible one per TPS */
            uint8_t h[8];
            crypto_generichash(h, sizeof h, (const uint8_t *)t->code, strlen(t->code), NULL, 0);
            dl = 150u + h[0] % 120u;
            dp = 150u + h[1] % 120u;
        }
        int rc = rk_demo_chasil(j->seed, SLUG, t->code, r->id, r->n_paslon, r->kolom_kosong, dl,
                                dp, doc);
        uint8_t photo[2][32];
        crypto_hash_sha256(photo[0], (const uint8_t *)t->code, strlen(t->code));
        crypto_hash_sha256(photo[1], (const uint8_t *)&r->id, sizeof r->id);
        if (rc == RK_OK)
            rc = rk_submission_init(sub, doc, (const uint8_t(*)[32])photo, 2, NULL);
        if (rc == RK_OK)
            rc = rk_submission_sign(sub, sk, key_id);
        if (rc != RK_OK) {
            j->rc = rc;
            break;
        }
        if (i - j->from < j->nsamples) {
            struct sample *sm = &j->samples[i - j->from];
            rk_submission_statement(sub, sm->statement, sizeof sm->statement, &sm->len);
            memcpy(sm->sig, sub->sig, 64);
            memcpy(sm->pk, pk, 32);
        }
        char *body = rk_submission_to_json(sub);
        if (!body) {
            j->rc = RK_ENOMEM;
            break;
        }
        size_t blen = strlen(body);
        char head[256];
        int hl = snprintf(head, sizeof head,
                          "POST /api/submissions HTTP/1.1\r\nHost: rekap\r\n"
                          "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                          blen);
        it->req = xcalloc(1, (size_t)hl + blen + 1);
        memcpy(it->req, head, (size_t)hl);
        memcpy(it->req + hl, body, blen);
        it->req_len = (uint32_t)((size_t)hl + blen);
        memcpy(it->doc_hash, sub->doc_hash, 32);
        free(body);
    }
    sodium_memzero(sk, sizeof sk);
    free(sub);
    free(doc);
    return NULL;
}

/* The requests to send. per == 1: the items themselves. Else consecutive items of one TPS
 * (its races) share a request whose body is the JSON array of their bodies, as a KPPS device
 * uploads all of a TPS's forms at once. */
static struct item *group_requests(struct item *items, size_t n, int per, size_t *nreq)
{
    for (size_t i = 0; i < n; i++) {
        items[i].first = (uint32_t)i;
        items[i].nsub = 1;
    }
    if (per <= 1) {
        *nreq = n;
        return items;
    }
    struct item *reqs = xcalloc(n, sizeof *reqs);
    size_t r = 0;
    for (size_t i = 0; i < n;) {
        size_t k = 1;
        while (i + k < n && k < (size_t)per && items[i + k].tps == items[i].tps)
            k++;
        size_t blen = 2 + k; /* brackets and commas (one spare) */
        const char *body[RK_SUBMISSION_BULK_MAX];
        size_t len[RK_SUBMISSION_BULK_MAX];
        for (size_t m = 0; m < k; m++) {
            const char *b = memmem(items[i + m].req, items[i + m].req_len, "\r\n\r\n", 4);
            body[m] = b + 4;
            len[m] = items[i + m].req_len - (size_t)(body[m] - items[i + m].req);
            blen += len[m];
        }
        char head[256];
        int hl = snprintf(head, sizeof head,
                          "POST /api/submissions HTTP/1.1\r\nHost: rekap\r\n"
                          "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                          blen - 1);
        struct item *q = &reqs[r++];
        *q = items[i];
        q->req = xcalloc(1, (size_t)hl + blen + 1);
        memcpy(q->req, head, (size_t)hl);
        size_t w = (size_t)hl;
        q->req[w++] = '[';
        for (size_t m = 0; m < k; m++) {
            if (m)
                q->req[w++] = ',';
            memcpy(q->req + w, body[m], len[m]);
            w += len[m];
        }
        q->req[w++] = ']';
        q->req_len = (uint32_t)w;
        q->first = (uint32_t)i;
        q->nsub = (uint8_t)k;
        i += k;
    }
    *nreq = r;
    return reqs;
}

/* ---------------------------------------------------------------------------------------- */
/* the HTTP client: one thread, non-blocking sockets, epoll, keep-alive, one request in flight
 * per connection */

enum conn_state { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
    int fd;
    int reader; /* 0: submissions, 1: result reads */
    enum conn_state state;
    const char *out;
    size_t out_len, out_off;
    char *in;
    size_t in_len, in_cap;
    int64_t item;   /* item index (writer) or URL index (reader) */
    int64_t t_sched, t_sent;
    int64_t retry_at;
};

struct stats {
    int64_t ok;
    int64_t by_status[600]; /* [0] = no answer (connection failed or cut) */
    uint32_t *lat_us;
    size_t nlat, cap;
    int64_t bytes;
};

static void stats_add(struct stats *st, int status, int64_t lat_ns)
{
    if (status < 0 || status >= 600)
        status = 599;
    st->by_status[status]++;
    if (status >= 200 && status < 300)
        st->ok++;
    if (status == 0)
        return;
    if (st->nlat == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 65536;
        st->lat_us = xrealloc(st->lat_us, st->cap * sizeof *st->lat_us);
    }
    int64_t us = lat_ns / 1000;
    st->lat_us[st->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

struct pct {
    double p50, p99, max; /* milliseconds */
};

static struct pct stats_pct(struct stats *st)
{
    struct pct p = {0, 0, 0};
    if (!st->nlat)
        return p;
    qsort(st->lat_us, st->nlat, sizeof *st->lat_us, cmp_u32);
    p.p50 = st->lat_us[(st->nlat - 1) / 2] / 1e3;
    p.p99 = st->lat_us[(size_t)((double)(st->nlat - 1) * 0.99)] / 1e3;
    p.max = st->lat_us[st->nlat - 1] / 1e3;
    return p;
}

struct client {
    struct sockaddr_in addr;
    const char *port_file; /* re-read on reconnect (a restarted server) */
    int ep;
    struct conn *conns;
    int nconns, nwriters;
    /* submissions */
    struct item *items; /* what is sent: one request each */
    size_t nitems;
    const struct item *subs; /* every submission, for the receipt check and the ack log */
    uint32_t *order;   /* send order */
    int64_t *sched;    /* intended send time of order[k], ns from start; NULL = at once */
    size_t next;       /* next position in order */
    uint32_t *retry;   /* FIFO of items to send again (connection lost, 5xx) */
    int64_t *retry_at;
    size_t rq_head, rq_tail, rq_cap;
    bool retry_mode;
    size_t done;       /* items answered for good */
    int64_t retries;   /* items sent again */
    FILE *ack;         /* acknowledged submissions, one line each */
    const struct world *w;
    /* reads */
    char **urls;       /* pre-built GET requests */
    size_t nurls;
    int64_t read_until; /* ns from start; readers stop issuing after this */
    bool reads_follow_writes; /* readers stop when the writers are done */
    uint64_t rng;
    int64_t t0;
    struct stats wst, rst;
};

static void conn_close(struct client *c, struct conn *k)
{
    if (k->fd >= 0) {
        epoll_ctl(c->ep, EPOLL_CTL_DEL, k->fd, NULL);
        close(k->fd);
    }
    k->fd = -1;
    k->state = C_DOWN;
    k->in_len = 0;
}

static void reread_port(struct client *c)
{
    if (!c->port_file)
        return;
    FILE *f = fopen(c->port_file, "r");
    unsigned port = 0;
    if (f) {
        if (fscanf(f, "%u", &port) != 1)
            port = 0;
        fclose(f);
    }
    if (port > 0 && port < 65536)
        c->addr.sin_port = htons((uint16_t)port);
}

static void conn_open(struct client *c, struct conn *k, int64_t now)
{
    reread_port(c);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        k->retry_at = now + 100000000;
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *)&c->addr, sizeof c->addr);
    if (rc < 0 && errno != EINPROGRESS) {
        close(fd);
        k->retry_at = now + 50000000;
        return;
    }
    k->fd = fd;
    k->state = C_CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = k};
    epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void retry_push(struct client *c, uint32_t item, int64_t at)
{
    c->retries++;
    if (c->rq_tail - c->rq_head == c->rq_cap) {
        size_t ncap = c->rq_cap ? c->rq_cap * 2 : 1024;
        uint32_t *nr = xcalloc(ncap, sizeof *nr);
        int64_t *na = xcalloc(ncap, sizeof *na);
        for (size_t i = c->rq_head; i < c->rq_tail; i++) {
            nr[i - c->rq_head] = c->retry[i % c->rq_cap];
            na[i - c->rq_head] = c->retry_at[i % c->rq_cap];
        }
        free(c->retry);
        free(c->retry_at);
        c->rq_tail -= c->rq_head;
        c->rq_head = 0;
        c->retry = nr;
        c->retry_at = na;
        c->rq_cap = ncap;
    }
    c->retry[c->rq_tail % c->rq_cap] = item;
    c->retry_at[c->rq_tail % c->rq_cap] = at;
    c->rq_tail++;
}

static void conn_send(struct client *c, struct conn *k, const char *req, size_t len)
{
    k->out = req;
    k->out_len = len;
    k->out_off = 0;
    k->in_len = 0;
    k->state = C_BUSY;
    k->t_sent = mono_ns() - c->t0;
    while (k->out_off < k->out_len) {
        ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            k->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = k};
            epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev);
        }
        return; /* an error shows up as EPOLLERR/HUP or a failed read */
    }
}

/* A request failed without an answer. */
static void conn_failed(struct client *c, struct conn *k, int64_t now)
{
    if (k->state == C_BUSY) {
        if (!k->reader) {
            if (c->retry_mode) {
                retry_push(c, (uint32_t)k->item, now + 100000000);
            } else {
                for (unsigned s = 0; s < c->items[k->item].nsub; s++)
                    stats_add(&c->wst, 0, 0);
                c->done++;
            }
        } else {
            stats_add(&c->rst, 0, 0);
        }
    }
    conn_close(c, k);
    k->retry_at = now + (c->retry_mode ? 100000000 : 10000000);
}

/* Parses a complete response in k->in: returns 1 and fills status/body when complete, 0 when
 * more bytes are needed, -1 on a malformed or unsupported response. */
static int parse_response(struct conn *k, int *status, const char **body, size_t *blen,
                          bool *close_after)
{
    char *end = memmem(k->in, k->in_len, "\r\n\r\n", 4);
    if (!end)
        return k->in_len > 65536 ? -1 : 0;
    size_t hlen = (size_t)(end - k->in) + 4;
    if (k->in_len < 12 || memcmp(k->in, "HTTP/1.", 7) != 0)
        return -1;
    *status = atoi(k->in + 9);
    size_t clen = 0;
    bool have_len = false;
    *close_after = false;
    for (char *p = k->in; p < end;) {
        char *eol = memmem(p, (size_t)(end - p) + 2, "\r\n", 2);
        if (!eol)
            break;
        size_t n = (size_t)(eol - p);
        if (n > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
            clen = strtoull(p + 15, NULL, 10);
            have_len = true;
        } else if (n >= 17 && strncasecmp(p, "Connection: close", 17) == 0) {
            *close_after = true;
        } else if (n > 18 && strncasecmp(p, "Transfer-Encoding:", 18) == 0) {
            return -1; /* neither rekap nor nginx chunk these answers */
        }
        p = eol + 2;
    }
    if (!have_len)
        clen = 0;
    if (clen > RESP_MAX)
        return -1;
    if (k->in_len < hlen + clen)
        return 0;
    if (k->in_len > hlen + clen)
        return -1; /* nothing was pipelined */
    *body = k->in + hlen;
    *blen = clen;
    return 1;
}

static void on_response(struct client *c, struct conn *k, int status, const char *body,
                        size_t blen, int64_t now)
{
    if (k->reader) {
        stats_add(&c->rst, status, now - k->t_sent);
        c->rst.bytes += (int64_t)blen;
        return;
    }
    const struct item *it = &c->items[k->item];
    if (!(status == 200 || status == 201) && c->retry_mode && (status >= 500 || status == 0)) {
        retry_push(c, (uint32_t)k->item, now + 100000000);
        return;
    }
    for (unsigned s = 0; s < it->nsub; s++) {
        const struct item *sb = &c->subs[it->first + s];
        int st = status;
        if (st == 200 || st == 201) {
            /* the receipt must name the document we sent */
            char hex[65], needle[90];
            rk_hex(sb->doc_hash, 32, hex);
            snprintf(needle, sizeof needle, "\"doc_sha256\":\"%s\"", hex);
            if (!memmem(body, blen, needle, strlen(needle)))
                st = 598; /* counted as an error: a 2xx without a receipt for this document */
        }
        stats_add(&c->wst, st, now - (c->sched ? k->t_sched : k->t_sent));
        if ((st == 200 || st == 201) && c->ack) {
            char hex[65];
            rk_hex(sb->doc_hash, 32, hex);
            fprintf(c->ack, "%s %lld %s %d\n", c->w->tps[sb->tps].code,
                    (long long)c->w->races[sb->race].id, hex, st);
            fflush(c->ack);
        }
    }
    c->done++;
}

static void conn_readable(struct client *c, struct conn *k, int64_t now)
{
    for (;;) {
        if (k->in_cap - k->in_len < 16384) {
            size_t ncap = k->in_cap ? k->in_cap * 2 : 32768;
            if (ncap > RESP_MAX + 65536) {
                conn_failed(c, k, now);
                return;
            }
            k->in = xrealloc(k->in, ncap);
            k->in_cap = ncap;
        }
        ssize_t n = recv(k->fd, k->in + k->in_len, k->in_cap - k->in_len, 0);
        if (n > 0) {
            k->in_len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        conn_failed(c, k, now); /* closed or reset */
        return;
    }
    if (k->state != C_BUSY) {
        if (k->in_len) /* bytes nobody asked for */
            conn_failed(c, k, now);
        return;
    }
    int status = 0;
    const char *body = NULL;
    size_t blen = 0;
    bool close_after = false;
    int rc = parse_response(k, &status, &body, &blen, &close_after);
    if (rc == 0)
        return;
    if (rc < 0) {
        conn_failed(c, k, now);
        return;
    }
    on_response(c, k, status, body, blen, now);
    k->in_len = 0;
    k->state = C_IDLE;
    if (close_after) {
        conn_close(c, k);
        k->retry_at = now;
    }
}

static void conn_writable(struct client *c, struct conn *k, int64_t now)
{
    if (k->state == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            conn_close(c, k);
            k->retry_at = now + 50000000;
            return;
        }
        k->state = C_IDLE;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};
        epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev);
        return;
    }
    while (k->state == C_BUSY && k->out_off < k->out_len) {
        ssize_t n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            k->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_failed(c, k, now);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};
    epoll_ctl(c->ep, EPOLL_CTL_MOD, k->fd, &ev);
}

static bool writers_finished(const struct client *c)
{
    return c->done >= c->nitems;
}

/* Runs until every item is answered (for good) and the read window is over, or until
 * max_ns. Returns the elapsed time in ns. */
static int64_t client_run(struct client *c, int64_t max_ns)
{
    c->ep = epoll_create1(EPOLL_CLOEXEC);
    if (c->ep < 0) {
        perror("epoll_create1");
        exit(1);
    }
    c->t0 = mono_ns();
    for (int i = 0; i < c->nconns; i++) {
        c->conns[i].fd = -1;
        c->conns[i].state = C_DOWN;
        c->conns[i].retry_at = 0;
    }
    struct epoll_event evs[256];
    for (;;) {
        int64_t now = mono_ns() - c->t0;
        bool wdone = writers_finished(c);
        bool reading = c->nurls && (c->reads_follow_writes ? !wdone : now < c->read_until);
        if ((wdone && !reading) || now > max_ns)
            break;
        int64_t wake = now + 5000000; /* at most 5 ms asleep */
        for (int i = 0; i < c->nconns; i++) {
            struct conn *k = &c->conns[i];
            if (k->reader ? !reading : wdone) {
                if (k->state == C_IDLE || k->state == C_DOWN)
                    conn_close(c, k);
                continue;
            }
            if (k->state == C_DOWN) {
                if (k->retry_at <= now)
                    conn_open(c, k, now);
                else if (k->retry_at < wake)
                    wake = k->retry_at;
                continue;
            }
            if (k->state != C_IDLE)
                continue;
            if (k->reader) {
                size_t u = (size_t)rng_below(&c->rng, c->nurls);
                k->item = (int64_t)u;
                conn_send(c, k, c->urls[u], strlen(c->urls[u]));
                continue;
            }
            /* retries first, then the schedule */
            if (c->rq_head < c->rq_tail && c->retry_at[c->rq_head % c->rq_cap] <= now) {
                uint32_t it = c->retry[c->rq_head % c->rq_cap];
                c->rq_head++;
                k->item = it;
                k->t_sched = now;
                conn_send(c, k, c->items[it].req, c->items[it].req_len);
                continue;
            }
            if (c->rq_head < c->rq_tail && c->retry_at[c->rq_head % c->rq_cap] < wake)
                wake = c->retry_at[c->rq_head % c->rq_cap];
            if (c->next < c->nitems) {
                int64_t due = c->sched ? c->sched[c->next] : 0;
                if (due <= now) {
                    uint32_t it = c->order[c->next++];
                    k->item = it;
                    k->t_sched = due;
                    conn_send(c, k, c->items[it].req, c->items[it].req_len);
                } else if (due < wake) {
                    wake = due;
                }
            }
        }
        int timeout_ms = (int)((wake - (mono_ns() - c->t0)) / 1000000);
        if (timeout_ms < 0)
            timeout_ms = 0;
        int n = epoll_wait(c->ep, evs, 256, timeout_ms);
        now = mono_ns() - c->t0;
        for (int i = 0; i < n; i++) {
            struct conn *k = evs[i].data.ptr;
            if (k->fd < 0)
                continue;
            if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
                if (k->state == C_CONNECTING) {
                    conn_close(c, k);
                    k->retry_at = now + 50000000;
                    continue;
                }
                if (evs[i].events & EPOLLIN)
                    conn_readable(c, k, now);
                if (k->fd >= 0)
                    conn_failed(c, k, now);
                continue;
            }
            if (evs[i].events & EPOLLOUT)
                conn_writable(c, k, now);
            if (k->fd >= 0 && (evs[i].events & EPOLLIN))
                conn_readable(c, k, now);
        }
    }
    int64_t elapsed = mono_ns() - c->t0;
    for (int i = 0; i < c->nconns; i++) {
        /* a read still in flight when its window closes is neither an answer nor an error */
        conn_close(c, &c->conns[i]);
        free(c->conns[i].in);
        c->conns[i].in = NULL;
        c->conns[i].in_cap = 0;
    }
    close(c->ep);
    return elapsed;
}

/* Blocking GET used to fetch the bodies served to nginx. Returns the status, *body malloc'd. */
static int http_get(const struct sockaddr_in *addr, const char *path, char **body, size_t *len)
{
    *body = NULL;
    *len = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: rekap\r\nConnection: close\r\n\r\n",
                     path);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return 0;
    }
    size_t cap = 65536, used = 0;
    char *buf = xcalloc(1, cap);
    for (;;) {
        if (cap - used < 4096) {
            if (cap > RESP_MAX)
                break;
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = recv(fd, buf + used, cap - used - 1, 0);
        if (r <= 0)
            break;
        used += (size_t)r;
    }
    close(fd);
    buf[used] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    int status = used > 12 ? atoi(buf + 9) : 0;
    if (!end) {
        free(buf);
        return 0;
    }
    *len = used - (size_t)(end + 4 - buf);
    *body = xcalloc(1, *len + 1);
    memcpy(*body, end + 4, *len);
    free(buf);
    return status;
}

/* ---------------------------------------------------------------------------------------- */
/* arrival schedules */

/* Relative submission rate per half hour from 14:00 to 24:00: counting ends from 13:00, the
 * first uploads arrive mid-afternoon, the peak is 17:00-20:00, a tail runs to midnight. */
static const double EVENING[20] = {0.2, 0.4, 0.7, 1.0, 1.5, 2.0, 3.0, 3.5, 3.8, 4.0,
                                   3.8, 3.4, 2.6, 2.0, 1.5, 1.1, 0.8, 0.5, 0.3, 0.2};

/* Intended send times (ns from start) of n submissions over duration_s on the evening curve. */
static int64_t *schedule_evening(size_t n, double duration_s, double *peak_rate)
{
    int64_t *t = xcalloc(n, sizeof *t);
    double cdf[21] = {0}, sum = 0, wmax = 0;
    for (int i = 0; i < 20; i++) {
        sum += EVENING[i];
        cdf[i + 1] = sum;
        if (EVENING[i] > wmax)
            wmax = EVENING[i];
    }
    int bin = 0;
    for (size_t k = 0; k < n; k++) {
        double q = ((double)k + 0.5) / (double)n * sum;
        while (bin < 19 && cdf[bin + 1] < q)
            bin++;
        double frac = (q - cdf[bin]) / EVENING[bin];
        double x = ((double)bin + frac) / 20.0; /* 0..1 of the evening */
        t[k] = (int64_t)(x * duration_s * 1e9);
    }
    *peak_rate = (double)n / duration_s * wmax / (sum / 20.0);
    return t;
}

static int64_t *schedule_constant(size_t n, double rate)
{
    int64_t *t = xcalloc(n, sizeof *t);
    for (size_t k = 0; k < n; k++)
        t[k] = (int64_t)((double)k / rate * 1e9);
    return t;
}

/* ---------------------------------------------------------------------------------------- */
/* the server under test and nginx */

static pid_t spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static unsigned wait_port_file(const char *path, pid_t pid, double max_s)
{
    int64_t t0 = mono_ns();
    while (secs_since(t0) < max_s) {
        FILE *f = fopen(path, "r");
        unsigned port = 0;
        if (f) {
            if (fscanf(f, "%u", &port) != 1)
                port = 0;
            fclose(f);
            if (port)
                return port;
        }
        int st;
        if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid)
            return 0;
        usleep(20000);
    }
    return 0;
}

/* Polls GET /api/health until the server says its registry cache is warm (or off, or the
 * server has none), as an operator waits before the polls close (docs/operations.md): every
 * TPS, account and device key in memory. Returns the seconds waited, or -1 after max_s or
 * when the server stops answering. */
static double wait_warm(const struct sockaddr_in *addr, double max_s)
{
    int64_t t0 = mono_ns();
    while (secs_since(t0) < max_s) {
        char *body;
        size_t len;
        int status = http_get(addr, "/api/health", &body, &len);
        const char *k = body ? strstr(body, "\"registry_cache\"") : NULL;
        bool ready = false;
        if (status == 200 && !k) {
            ready = true; /* a server without the cache */
        } else if (status == 200) {
            k += strlen("\"registry_cache\"");
            while (*k == ' ' || *k == ':')
                k++;
            ready = strncmp(k, "\"warm\"", 6) == 0 || strncmp(k, "\"off\"", 5) == 0;
        }
        free(body);
        if (status == 0)
            return -1;
        if (ready)
            return secs_since(t0);
        usleep(100000);
    }
    return -1;
}

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool port_answers(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static long proc_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t fl = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, fl) == 0 && line[fl] == ':')
            kb = atol(line + fl + 1);
    if (f)
        fclose(f);
    return kb;
}

/* Starts nginx serving dir on a free loopback port with as many workers as the server has
 * threads. Returns its pid (0 when nginx is missing or fails) and the port. */
static pid_t nginx_start(const char *work, const char *www, unsigned workers, unsigned *port_out)
{
    const char *bin = access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : NULL;
    if (!bin)
        return 0;
    unsigned port = free_port();
    char conf[4200], errlog[4200];
    snprintf(conf, sizeof conf, "%s/nginx.conf", work);
    snprintf(errlog, sizeof errlog, "%s/nginx-error.log", work);
    FILE *f = fopen(conf, "w");
    if (!f)
        return 0;
    fprintf(f,
            "daemon off;\nmaster_process on;\nworker_processes %u;\npid %s/nginx.pid;\n"
            "error_log %s warn;\nevents { worker_connections 4096; }\n"
            "http {\n  access_log off;\n  client_body_temp_path %s/nginx-tmp;\n"
            "  proxy_temp_path %s/nginx-tmp;\n  fastcgi_temp_path %s/nginx-tmp;\n"
            "  uwsgi_temp_path %s/nginx-tmp;\n  scgi_temp_path %s/nginx-tmp;\n"
            "  keepalive_requests 100000000;\n  keepalive_timeout 60s;\n"
            "  server {\n    listen 127.0.0.1:%u;\n    root %s;\n"
            "    location / { default_type application/json; etag on; }\n  }\n}\n",
            workers, work, errlog, work, work, work, work, work, port, www);
    fclose(f);
    char *argv[] = {(char *)bin, "-e", errlog, "-c", conf, "-p", (char *)work, NULL};
    char log[4200];
    snprintf(log, sizeof log, "%s/nginx.out", work);
    pid_t pid = spawn(argv, log);
    for (int i = 0; i < 200; i++) {
        if (port_answers(port)) {
            *port_out = port;
            return pid;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return 0;
        usleep(20000);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the auditor (--verify) */

struct vrec { /* one (race, TPS) with results */
    int64_t race;
    char tps[RK_CODE_MAX + 1];
    int last;
    uint8_t last_hash[32];
    struct rk_tally t;
    bool seen_state;
};

struct audit {
    struct rk_store *s, *s2; /* s2: lookups made while s is scanning */
    struct hmap keys;        /* "race/tps" -> index into recs */
    struct vrec *recs;
    size_t nrecs, cap;
    struct hmap docs;        /* "race/tps/dochash" -> number of versions with that document */
    uint8_t *log_used;       /* per log index: referenced by a version */
    int64_t log_size;
    int64_t versions, uploads, errors;
    struct rk_submission *sub;
};

#define AUDIT_FAIL(a, ...)                                                                      \
    do {                                                                                        \
        if ((a)->errors++ < 20)                                                                 \
            fprintf(stderr, "verify: " __VA_ARGS__);                                            \
    } while (0)

static int audit_version(void *ud, const struct rk_version *v)
{
    struct audit *a = ud;
    a->versions++;
    char key[96], hex[65];
    snprintf(key, sizeof key, "%lld/%s", (long long)v->race_id, v->tps);
    int64_t *slot = hmap_slot(&a->keys, key, false);
    if (!slot) {
        if (a->nrecs == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 4096;
            a->recs = xrealloc(a->recs, a->cap * sizeof *a->recs);
        }
        struct vrec *r = &a->recs[a->nrecs];
        memset(r, 0, sizeof *r);
        r->race = v->race_id;
        memcpy(r->tps, v->tps, sizeof r->tps);
        slot = hmap_slot(&a->keys, key, true);
        *slot = (int64_t)a->nrecs++;
    }
    struct vrec *r = &a->recs[*slot];
    if (v->version != r->last + 1)
        AUDIT_FAIL(a, "%s: version %d follows %d\n", key, v->version, r->last);
    rk_hex(v->doc_hash, 32, hex);
    char dkey[96];
    snprintf(dkey, sizeof dkey, "%s/%.16s", key, hex); /* 64 bits of the hash are plenty here */
    int64_t *dn = hmap_slot(&a->docs, dkey, true);
    if (++*dn > 1)
        AUDIT_FAIL(a, "%s: document %s appears %lld times in the history\n", key, hex,
                   (long long)*dn);
    /* the document's bytes hash to doc_hash and decode */
    uint8_t h[32];
    crypto_hash_sha256(h, (const uint8_t *)v->doc, strlen(v->doc));
    struct rk_chasil doc;
    if (memcmp(h, v->doc_hash, 32) != 0)
        AUDIT_FAIL(a, "%s v%d: stored document does not hash to doc_sha256\n", key, v->version);
    else if (rk_chasil_decode(v->doc, strlen(v->doc), 0, &doc, NULL) != RK_OK)
        AUDIT_FAIL(a, "%s v%d: stored document does not decode\n", key, v->version);
    else
        rk_tally_from_chasil(&r->t, &doc, v->flags[0] != '\0', false);
    /* the statement this version stands for, and its log entry */
    char st[RK_STATEMENT_MAX + 256];
    size_t slen = 0;
    enum rk_logentry_kind kind;
    if (v->kind == RK_VERSION_UPLOAD) {
        a->uploads++;
        kind = RK_LOGENTRY_SUBMISSION;
        struct rk_submission *sub = a->sub;
        memset(&sub->doc, 0, sizeof sub->doc);
        snprintf(sub->doc.tps, sizeof sub->doc.tps, "%s", v->tps);
        memcpy(sub->doc_hash, v->doc_hash, 32);
        sub->has_prev = r->last > 0;
        memcpy(sub->prev, r->last_hash, 32);
        sub->n_photos = v->n_photos;
        memcpy(sub->photos, v->photos, sizeof v->photos);
        rk_submission_statement(sub, st, sizeof st, &slen);
    } else {
        kind = RK_LOGENTRY_CORRECTION;
        char d[65], p[65], rh_hex[65];
        uint8_t rh[32];
        crypto_hash_sha256(rh, (const uint8_t *)v->reason, strlen(v->reason));
        rk_hex(v->doc_hash, 32, d);
        rk_hex(r->last_hash, 32, p);
        rk_hex(rh, 32, rh_hex);
        slen = (size_t)snprintf(st, sizeof st,
                                "rekap-correction-v1\ntps=%s\ndoc=%s\nprev=%s\nreason=%s\n",
                                v->tps, d, p, rh_hex);
    }
    if (v->log_index < 0 || v->log_index >= a->log_size) {
        AUDIT_FAIL(a, "%s v%d: log index %lld outside the log\n", key, v->version,
                   (long long)v->log_index);
    } else {
        if (a->log_used[v->log_index]++)
            AUDIT_FAIL(a, "log entry %lld is claimed by two versions\n", (long long)v->log_index);
        uint8_t buf[RK_LOG_ENTRY_MAX];
        size_t len;
        struct rk_logentry e;
        uint8_t pub[32];
        const uint8_t *pk = NULL;
        if (v->kind == RK_VERSION_UPLOAD) {
            struct rk_device_key dk;
            if (rk_store_device_get(a->s2, v->device, &dk) == RK_OK) {
                memcpy(pub, dk.pub, 32);
                pk = pub;
            }
        }
        if (rk_store_log_get(a->s2, v->log_index, buf, sizeof buf, &len, NULL) != RK_OK ||
            rk_logentry_decode(buf, len, &e) != RK_OK)
            AUDIT_FAIL(a, "log entry %lld unreadable\n", (long long)v->log_index);
        else if (e.kind != kind || strcmp(e.region, v->tps) != 0)
            AUDIT_FAIL(a, "log entry %lld is not this version's\n", (long long)v->log_index);
        else if (rk_logentry_verify_payload(&e, (const uint8_t *)st, slen, pk) != RK_OK)
            AUDIT_FAIL(a, "%s v%d: log entry %lld does not match the statement or signature\n",
                       key, v->version, (long long)v->log_index);
    }
    r->last = v->version;
    memcpy(r->last_hash, v->doc_hash, 32);
    return 0;
}

static int audit_state(void *ud, const struct rk_tps_state *st)
{
    struct audit *a = ud;
    char key[96];
    snprintf(key, sizeof key, "%lld/%s", (long long)st->race_id, st->tps);
    int64_t *slot = hmap_slot(&a->keys, key, false);
    if (!slot) {
        AUDIT_FAIL(a, "%s: state without versions\n", key);
        return 0;
    }
    struct vrec *r = &a->recs[*slot];
    r->seen_state = true;
    if (st->current_version != r->last || memcmp(st->current_hash, r->last_hash, 32) != 0)
        AUDIT_FAIL(a, "%s: current version %d is not the latest (%d)\n", key,
                   st->current_version, r->last);
    r->t.approved = st->approved ? 1 : 0;
    return 0;
}

struct child_tally {
    char code[RK_CODE_MAX + 1];
    struct rk_tally t;
};

struct child_list {
    struct child_tally *v;
    size_t n, cap;
};

static int collect_child(void *ud, const struct rk_region *r, const struct rk_tally *t)
{
    struct child_list *l = ud;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    memcpy(l->v[l->n].code, r->code, sizeof l->v[l->n].code);
    l->v[l->n].t = *t;
    l->n++;
    return 0;
}

/* Compares the stored tally of (race, code) and, recursively, of its children down to the desa
 * with the recount in agg; descends only where either side is non-zero. */
static void audit_compare(struct audit *a, struct hmap *agg, struct rk_tally *sums, int64_t race,
                          const char *code, const struct rk_tally *stored, int64_t *compared)
{
    char key[96];
    snprintf(key, sizeof key, "%lld/%s", (long long)race, code);
    int64_t *slot = hmap_slot(agg, key, false);
    struct rk_tally zero;
    rk_tally_zero(&zero);
    const struct rk_tally *want = slot ? &sums[*slot] : &zero;
    (*compared)++;
    if (!rk_tally_equal(want, stored))
        AUDIT_FAIL(a,
                   "race %lld region '%s': stored sah=%lld total=%lld received=%lld flagged=%lld, "
                   "recount sah=%lld total=%lld received=%lld flagged=%lld\n",
                   (long long)race, code, (long long)stored->sah, (long long)stored->total,
                   (long long)stored->received, (long long)stored->flagged, (long long)want->sah,
                   (long long)want->total, (long long)want->received, (long long)want->flagged);
    if (rk_tally_is_zero(want) && rk_tally_is_zero(stored))
        return;
    if (code[0] && rk_code_level(code) >= RK_LEVEL_DESA)
        return;
    struct child_list l = {0};
    int rc = rk_store_tally_children(a->s, race, code, collect_child, &l);
    if (rc != RK_OK)
        AUDIT_FAIL(a, "tally children of '%s': %s\n", code, rk_strerror(rc));
    for (size_t i = 0; i < l.n; i++)
        audit_compare(a, agg, sums, race, l.v[i].code, &l.v[i].t, compared);
    free(l.v);
}

static int run_verify(const char *db, const char *ack_path, const char *key_path,
                      const char *log_id, bool exact, bool json_out)
{
    int64_t t0 = mono_ns();
    struct audit a;
    memset(&a, 0, sizeof a);
    int rc;
    if ((rc = rk_store_open(db, &a.s)) != RK_OK || (rc = rk_store_open(db, &a.s2)) != RK_OK)
        die(db, rc);
    a.sub = xcalloc(1, sizeof *a.sub);
    hmap_init(&a.keys, 1024);
    hmap_init(&a.docs, 1024);
    if ((rc = rk_store_log_size(a.s, &a.log_size)) != RK_OK)
        die("log size", rc);
    a.log_used = xcalloc((size_t)a.log_size + 1, 1);

    /* 1. every version, in acceptance order */
    if ((rc = rk_store_version_scan(a.s, 0, audit_version, &a)) != RK_OK)
        die("version scan", rc);
    /* 2. per-TPS state agrees with the latest version */
    struct world *w = xcalloc(1, sizeof *w);
    w->s = a.s;
    if ((rc = rk_store_race_list(a.s, 0, "", collect_race, w)) != RK_OK)
        die("race list", rc);
    for (int i = 0; i < w->nraces; i++)
        if ((rc = rk_store_tps_states(a.s, w->races[i].id, "", false, audit_state, &a)) != RK_OK)
            die("TPS states", rc);
    for (size_t i = 0; i < a.nrecs; i++)
        if (!a.recs[i].seen_state)
            AUDIT_FAIL(&a, "%lld/%s: versions but no current state\n", (long long)a.recs[i].race,
                       a.recs[i].tps);
    /* 3. recount every level from the latest documents and compare with the stored tallies */
    struct hmap agg;
    hmap_init(&agg, a.nrecs * 4 + 64);
    size_t nsums = 0, capsums = 1024;
    struct rk_tally *sums = xcalloc(capsums, sizeof *sums);
    static const size_t cut[] = {0, 2, 4, 6, 10};
    for (size_t i = 0; i < a.nrecs; i++) {
        struct vrec *r = &a.recs[i];
        r->t.received = 1;
        for (size_t l = 0; l < 5; l++) {
            char key[96];
            snprintf(key, sizeof key, "%lld/%.*s", (long long)r->race, (int)cut[l], r->tps);
            int64_t *slot = hmap_slot(&agg, key, false);
            if (!slot) {
                if (nsums == capsums) {
                    capsums *= 2;
                    sums = xrealloc(sums, capsums * sizeof *sums);
                }
                rk_tally_zero(&sums[nsums]);
                slot = hmap_slot(&agg, key, true);
                *slot = (int64_t)nsums++;
            }
            rk_tally_add(&sums[*slot], &r->t, 1);
        }
    }
    int64_t compared = 0;
    for (int i = 0; i < w->nraces; i++) {
        struct rk_tally nat;
        if ((rc = rk_store_tally_get(a.s, w->races[i].id, "", &nat)) != RK_OK)
            die("tally", rc);
        audit_compare(&a, &agg, sums, w->races[i].id, "", &nat, &compared);
    }
    /* 4. the transparency log: leaves recompute, versions claim their entries, the latest head
     * verifies and covers the log, inclusion proofs hold */
    int64_t claimed_kinds = 0;
    for (int64_t i = 0; i < a.log_size; i++) {
        uint8_t buf[RK_LOG_ENTRY_MAX], leaf[32], check[32];
        size_t len;
        struct rk_logentry e;
        if ((rc = rk_store_log_get(a.s, i, buf, sizeof buf, &len, leaf)) != RK_OK) {
            AUDIT_FAIL(&a, "log entry %lld: %s\n", (long long)i, rk_strerror(rc));
            continue;
        }
        rk_merkle_leaf_hash(buf, len, check);
        if (memcmp(check, leaf, 32) != 0)
            AUDIT_FAIL(&a, "log entry %lld: leaf hash does not recompute\n", (long long)i);
        if (rk_logentry_decode(buf, len, &e) != RK_OK || e.seq != (uint64_t)i)
            AUDIT_FAIL(&a, "log entry %lld: undecodable or wrong seq\n", (long long)i);
        else if ((e.kind == RK_LOGENTRY_SUBMISSION || e.kind == RK_LOGENTRY_CORRECTION)) {
            claimed_kinds++;
            if (!a.log_used[i])
                AUDIT_FAIL(&a, "log entry %lld records a version that does not exist\n",
                           (long long)i);
        }
    }
    struct rk_sth_row row;
    int64_t proofs = 0;
    int64_t sth_size = -1;
    rc = rk_store_sth_latest(a.s, &row);
    if (rc == RK_ENOTFOUND) {
        if (a.log_size > 0)
            AUDIT_FAIL(&a, "no signed tree head for a log of %lld entries\n",
                       (long long)a.log_size);
    } else if (rc != RK_OK) {
        die("latest STH", rc);
    } else {
        sth_size = row.size;
        struct rk_sth sth;
        memset(&sth, 0, sizeof sth);
        snprintf(sth.log_id, sizeof sth.log_id, "%s", log_id);
        sth.tree_size = (uint64_t)row.size;
        sth.timestamp_ms = (uint64_t)row.timestamp_ms;
        memcpy(sth.root, row.root, 32);
        rk_unhex(row.key_id, 16, sth.key_id, RK_KEY_ID_LEN);
        memcpy(sth.signature, row.sig, 64);
        if (key_path) {
            struct rk_local_signer ls;
            if ((rc = rk_local_signer_load(&ls, key_path)) != RK_OK)
                die(key_path, rc);
            if (rk_sth_verify(&sth, ls.signer.public_key) != RK_OK)
                AUDIT_FAIL(&a, "the latest tree head's signature does not verify\n");
            rk_local_signer_free(&ls);
        }
        if (row.size > a.log_size)
            AUDIT_FAIL(&a, "tree head of size %lld for a log of %lld\n", (long long)row.size,
                       (long long)a.log_size);
        if (exact && row.size != a.log_size)
            AUDIT_FAIL(&a, "the latest tree head covers %lld of %lld entries\n",
                       (long long)row.size, (long long)a.log_size);
        struct rk_merkle_source src;
        rk_log_source(a.s, &src);
        uint8_t root[32];
        if (row.size <= a.log_size &&
            (rk_merkle_root(&src, (uint64_t)row.size, root) != RK_OK ||
             memcmp(root, row.root, 32) != 0))
            AUDIT_FAIL(&a, "the log's first %lld leaves do not hash to the signed root\n",
                       (long long)row.size);
        int64_t step = row.size > 4000 ? row.size / 4000 : 1;
        for (int64_t i = 0; i < row.size && row.size <= a.log_size; i += step) {
            struct rk_merkle_proof p;
            uint8_t buf[RK_LOG_ENTRY_MAX], leaf[32];
            size_t len;
            if (rk_store_log_get(a.s, i, buf, sizeof buf, &len, leaf) != RK_OK ||
                rk_merkle_inclusion_proof(&src, (uint64_t)i, (uint64_t)row.size, &p) != RK_OK ||
                rk_merkle_verify_inclusion((uint64_t)i, (uint64_t)row.size, leaf, &p, row.root) !=
                    RK_OK)
                AUDIT_FAIL(&a, "inclusion proof of entry %lld fails\n", (long long)i);
            proofs++;
        }
    }
    /* 5. every acknowledged submission is in its history exactly once */
    int64_t acked = 0, acked_distinct = 0;
    if (ack_path) {
        FILE *f = fopen(ack_path, "r");
        if (!f) {
            fprintf(stderr, "verify: cannot read %s\n", ack_path);
            return 1;
        }
        struct hmap seen;
        hmap_init(&seen, 1024);
        char tps[64], hex[80];
        long long race;
        int status;
        while (fscanf(f, "%63s %lld %79s %d", tps, &race, hex, &status) == 4) {
            acked++;
            char dkey[96];
            snprintf(dkey, sizeof dkey, "%lld/%s/%.16s", race, tps, hex);
            int64_t *sn = hmap_slot(&seen, dkey, true);
            if ((*sn)++ == 0)
                acked_distinct++;
            int64_t *dn = hmap_slot(&a.docs, dkey, false);
            if (!dn || *dn != 1)
                AUDIT_FAIL(&a, "acknowledged %s race %lld doc %s found %lld times\n", tps, race,
                           hex, dn ? (long long)*dn : 0LL);
        }
        fclose(f);
        hmap_free(&seen);
        if (exact && acked_distinct != a.uploads)
            AUDIT_FAIL(&a, "%lld distinct acknowledged submissions but %lld uploads stored\n",
                       (long long)acked_distinct, (long long)a.uploads);
    }
    double el = secs_since(t0);
    if (json_out) {
        json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:b}", "versions",
                              (json_int_t)a.versions, "uploads", (json_int_t)a.uploads,
                              "tps_races", (json_int_t)a.nrecs, "tallies_compared",
                              (json_int_t)compared, "log_size", (json_int_t)a.log_size,
                              "sth_size", (json_int_t)sth_size, "inclusion_proofs",
                              (json_int_t)proofs, "acked", (json_int_t)acked, "acked_distinct",
                              (json_int_t)acked_distinct, "errors", (json_int_t)a.errors,
                              "seconds", el, "ok", a.errors == 0);
        char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(j);
    } else {
        printf("verify_versions %lld\nverify_uploads %lld\nverify_tps_races %zu\n"
               "verify_tallies_compared %lld\nverify_log_size %lld\nverify_log_versions %lld\n"
               "verify_sth_size %lld\nverify_inclusion_proofs %lld\nverify_acked %lld\n"
               "verify_acked_distinct %lld\nverify_errors %lld\nverify_seconds %.2f\n",
               (long long)a.versions, (long long)a.uploads, a.nrecs, (long long)compared,
               (long long)a.log_size, (long long)claimed_kinds, (long long)sth_size,
               (long long)proofs, (long long)acked, (long long)acked_distinct,
               (long long)a.errors, el);
        printf("verify: %s\n", a.errors ? "GAGAL / FAILED" : "OK");
    }
    free(sums);
    hmap_free(&agg);
    hmap_free(&a.keys);
    hmap_free(&a.docs);
    free(a.recs);
    free(a.log_used);
    free(a.sub);
    free(w);
    rk_store_close(a.s2);
    rk_store_close(a.s);
    return a.errors ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* the run */

struct opts {
    const char *db, *workdir, *demo, *data, *rekap, *target, *port_file, *ack_log, *key,
        *log_id, *verify;
    double scale, duration, rate, read_secs, max_time;
    bool rate_max, real, inproc, no_nginx, retry, prepare_only, json, exact, cold;
    uint64_t seed;
    unsigned threads;
    int conns, readers, per_request;
    size_t limit;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_loadgen [--db URI] [--workdir DIR] [--demo PROV|national [--scale F]\n"
            "                     | --national-real [--data DIR]] [--seed N]\n"
            "                     [--rekap PATH | --inproc | --target HOST:PORT [--port-file F]]\n"
            "                     [--threads N] [--conns N] [--readers N] [--read-secs S]\n"
            "                     [--rate R|max | --duration S] [--limit N] [--no-nginx]\n"
            "                     [--ack-log FILE] [--retry] [--max-time S] [--prepare-only]\n"
            "                     [--per-request N] [--cold] [--json]\n"
            "       bench_loadgen --verify DB [--ack-log FILE] [--key FILE] [--log-id ID]\n"
            "                     [--exact] [--json]\n"
            "  Menyiapkan pemilihan, akun KPPS dan kunci perangkat, lalu mengirim semua C.Hasil\n"
            "  bertanda tangan lewat HTTP. / Prepares an election, KPPS accounts and device keys,\n"
            "  then replays every signed C.Hasil over HTTP (default: the evening curve over\n"
            "  --duration 60 s; --rate max = as fast as the server answers). The clock starts\n"
            "  once the server's registry cache is warm, as docs/operations.md has operators\n"
            "  wait for; --cold starts at once (a server restarted mid-evening). A --target\n"
            "  server is not waited for.\n");
}

static double parse_pos(const char *s, const char *name)
{
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0) || v > 1e9) {
        fprintf(stderr, "bench_loadgen: --%s: angka tidak valid / invalid number: %s\n", name, s);
        exit(2);
    }
    return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->demo = NULL;
    o->scale = 1.0;
    o->duration = 60;
    o->read_secs = 5;
    o->max_time = 3600;
    o->seed = 2024;
    o->conns = 64;
    o->readers = 8;
    o->log_id = "rekap";
    const char *d = getenv("REKAP_SHARED_DATA");
    o->data = d && d[0] ? d : "../shared/data";
    static const struct option lo[] = {
        {"db", required_argument, 0, 'd'},        {"workdir", required_argument, 0, 'W'},
        {"demo", required_argument, 0, 'D'},      {"scale", required_argument, 0, 'S'},
        {"national-real", no_argument, 0, 'N'},   {"data", required_argument, 0, 'A'},
        {"seed", required_argument, 0, 's'},      {"rekap", required_argument, 0, 'R'},
        {"inproc", no_argument, 0, 'I'},          {"target", required_argument, 0, 'T'},
        {"port-file", required_argument, 0, 'P'}, {"threads", required_argument, 0, 't'},
        {"conns", required_argument, 0, 'c'},     {"readers", required_argument, 0, 'r'},
        {"read-secs", required_argument, 0, 'x'}, {"rate", required_argument, 0, 'q'},
        {"duration", required_argument, 0, 'u'},  {"limit", required_argument, 0, 'l'},
        {"no-nginx", no_argument, 0, 'n'},        {"ack-log", required_argument, 0, 'a'},
        {"retry", no_argument, 0, 'y'},           {"max-time", required_argument, 0, 'm'},
        {"prepare-only", no_argument, 0, 'p'},    {"json", no_argument, 0, 'j'},
        {"verify", required_argument, 0, 'V'},    {"key", required_argument, 0, 'k'},
        {"log-id", required_argument, 0, 'L'},    {"exact", no_argument, 0, 'e'},
        {"per-request", required_argument, 0, 'G'}, {"cold", no_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'W': o->workdir = optarg; break;
        case 'D': o->demo = optarg; break;
        case 'S':
            o->scale = parse_pos(optarg, "scale");
            if (o->scale > 1) {
                fprintf(stderr, "bench_loadgen: --scale must be in (0, 1]\n");
                exit(2);
            }
            break;
        case 'N': o->real = true; break;
        case 'A': o->data = optarg; break;
        case 's': o->seed = strtoull(optarg, NULL, 10); break;
        case 'R': o->rekap = optarg; break;
        case 'I': o->inproc = true; break;
        case 'T': o->target = optarg; break;
        case 'P': o->port_file = optarg; break;
        case 't': o->threads = (unsigned)parse_pos(optarg, "threads"); break;
        case 'c': o->conns = (int)parse_pos(optarg, "conns"); break;
        case 'r': o->readers = atoi(optarg); break;
        case 'x': o->read_secs = atof(optarg); break;
        case 'q':
            if (strcmp(optarg, "max") == 0)
                o->rate_max = true;
            else
                o->rate = parse_pos(optarg, "rate");
            break;
        case 'u': o->duration = parse_pos(optarg, "duration"); break;
        case 'l': o->limit = (size_t)parse_pos(optarg, "limit"); break;
        case 'G':
            o->per_request = (int)parse_pos(optarg, "per-request");
            if (o->per_request > RK_SUBMISSION_BULK_MAX) {
                fprintf(stderr, "bench_loadgen: --per-request: 1 .. %d\n", RK_SUBMISSION_BULK_MAX);
                exit(2);
            }
            break;
        case 'n': o->no_nginx = true; break;
        case 'a': o->ack_log = optarg; break;
        case 'y': o->retry = true; break;
        case 'm': o->max_time = parse_pos(optarg, "max-time"); break;
        case 'p': o->prepare_only = true; break;
        case 'j': o->json = true; break;
        case 'V': o->verify = optarg; break;
        case 'k': o->key = optarg; break;
        case 'L': o->log_id = optarg; break;
        case 'e': o->exact = true; break;
        case 'C': o->cold = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind != argc || o->conns > 10000 || o->readers < 0 || o->readers > 10000 ||
        (o->real && o->demo)) {
        usage(stderr);
        exit(2);
    }
    if (!o->demo)
        o->demo = "61";
}

static void rmtree(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* Output: one "metric value" line each, or one JSON object. */
static json_t *report;
static bool report_json;

static void metric(const char *name, double v, const char *fmt)
{
    json_object_set_new(report, name, json_real(v));
    if (!report_json) {
        printf("%-34s ", name);
        printf(fmt, v);
        putchar('\n');
    }
}

static void metric_s(const char *name, const char *v)
{
    json_object_set_new(report, name, json_string(v));
    if (!report_json)
        printf("%-34s %s\n", name, v);
}

/* p99 of each tenth of the answers in the order they came: where in the night a tail formed
 * (late, as the store grows, or at every checkpoint). Before stats_pct sorts them. */
static void report_tenths(const char *prefix, const struct stats *st)
{
    if (st->nlat < 1000)
        return;
    size_t per = st->nlat / 10;
    uint32_t *tmp = xcalloc(per, sizeof *tmp);
    char out[200], name[96];
    size_t w = 0;
    for (int t = 0; t < 10; t++) {
        memcpy(tmp, st->lat_us + (size_t)t * per, per * sizeof *tmp);
        qsort(tmp, per, sizeof *tmp, cmp_u32);
        w += (size_t)snprintf(out + w, sizeof out - w, "%s%.1f", t ? " " : "",
                              tmp[(size_t)((double)(per - 1) * 0.99)] / 1e3);
    }
    free(tmp);
    snprintf(name, sizeof name, "%s_p99_ms_by_tenth", prefix);
    metric_s(name, out);
}

static void report_stats(const char *prefix, struct stats *st, double secs)
{
    char name[96];
    report_tenths(prefix, st);
    struct pct p = stats_pct(st);
    int64_t total = 0;
    for (int i = 0; i < 600; i++)
        total += st->by_status[i];
    snprintf(name, sizeof name, "%s_requests", prefix);
    metric(name, (double)total, "%.0f");
    snprintf(name, sizeof name, "%s_per_s", prefix);
    metric(name, secs > 0 ? (double)st->ok / secs : 0, "%.1f");
    snprintf(name, sizeof name, "%s_p50_ms", prefix);
    metric(name, p.p50, "%.2f");
    snprintf(name, sizeof name, "%s_p99_ms", prefix);
    metric(name, p.p99, "%.2f");
    snprintf(name, sizeof name, "%s_max_ms", prefix);
    metric(name, p.max, "%.2f");
    snprintf(name, sizeof name, "%s_errors", prefix);
    metric(name, (double)(total - st->ok), "%.0f");
    for (int i = 0; i < 600; i++) {
        if (!st->by_status[i] || (i >= 200 && i < 300))
            continue;
        snprintf(name, sizeof name, "%s_status_%s%d", prefix, i == 0 ? "noanswer_" : "", i);
        metric(name, (double)st->by_status[i], "%.0f");
    }
}

/* Reads a fixed set of URLs as fast as `readers` closed-loop connections go for secs. */
static double read_phase(unsigned port, char **urls, size_t nurls, int readers, double secs,
                         struct stats *out)
{
    struct client c;
    memset(&c, 0, sizeof c);
    c.addr.sin_family = AF_INET;
    c.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c.addr.sin_port = htons((uint16_t)port);
    c.nconns = readers;
    c.conns = xcalloc((size_t)readers, sizeof *c.conns);
    for (int i = 0; i < readers; i++)
        c.conns[i].reader = 1;
    c.urls = urls;
    c.nurls = nurls;
    c.read_until = (int64_t)(secs * 1e9);
    c.rng = 42;
    int64_t el = client_run(&c, (int64_t)(secs * 1e9) + 5000000000);
    free(c.conns);
    *out = c.rst;
    return (double)el / 1e9;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    struct opts o;
    parse_args(argc, argv, &o);
    if (o.verify)
        return run_verify(o.verify, o.ack_log, o.key, o.log_id, o.exact, o.json);
    report = json_object();
    report_json = o.json;

    char work[4096];
    bool own_work = !o.workdir;
    if (o.workdir) {
        snprintf(work, sizeof work, "%s", o.workdir);
        mkdir(work, 0755);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(work, sizeof work, "%s/rekap-loadgen-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(work)) {
            perror("mkdtemp");
            return 1;
        }
    }
    chmod(work, 0755); /* nginx workers run as an unprivileged user */
    char dbbuf[4200];
    if (!o.db) {
        snprintf(dbbuf, sizeof dbbuf, "%s/load.db", work);
        o.db = dbbuf;
    }

    /* 1. the election, the accounts and the device keys */
    int64_t t_prep = mono_ns();
    const char *election_label = o.real ? "national-real" : o.demo;
    struct rk_store *s;
    int rc = rk_store_open(o.db, &s);
    if (rc != RK_OK)
        die(o.db, rc);
    struct rk_election e;
    rc = rk_store_election_by_slug(s, SLUG, &e);
    rk_store_close(s);
    if (rc == RK_ENOTFOUND) {
        int prc = prepare_election(o.db, o.demo, o.scale, o.seed, o.real, o.data);
        if (prc)
            return prc;
    } else if (rc != RK_OK) {
        die("election", rc);
    } else {
        election_label = "existing";
    }
    struct world *w = xcalloc(1, sizeof *w);
    if ((rc = rk_store_open(o.db, &w->s)) != RK_OK)
        die(o.db, rc);
    world_load(w);
    if (w->ntps == 0 || w->nraces == 0) {
        fprintf(stderr, "bench_loadgen: the store holds no TPS or races\n");
        return 1;
    }
    struct rk_user u;
    char uname[80];
    snprintf(uname, sizeof uname, "kpps-%s", w->tps[0].code);
    rc = rk_store_user_by_name(w->s, uname, &u);
    if (rc == RK_ENOTFOUND)
        register_devices(w, o.seed);
    else if (rc != RK_OK)
        die("account", rc);
    double prep_s = secs_since(t_prep);
    if (o.prepare_only) {
        printf("prepared %s: %zu TPS, %d races, %.1f s\n", o.db, w->ntps, w->nraces, prep_s);
        rk_store_close(w->s);
        return 0;
    }

    /* 2. every signed submission, built in memory */
    size_t ntps = o.limit && o.limit < w->ntps ? o.limit : w->ntps;
    size_t cap = ntps * 3, nitems = 0;
    struct item *items = xcalloc(cap, sizeof *items);
    for (size_t k = 0; k < ntps; k++) {
        size_t i = ntps == w->ntps ? k : (size_t)((double)k * (double)w->ntps / (double)ntps);
        int rs[10];
        int nr = races_of(w, w->tps[i].code, rs);
        for (int j = 0; j < nr && j < 3; j++) {
            items[nitems].tps = (uint32_t)i;
            items[nitems].race = (int16_t)rs[j];
            nitems++;
        }
    }
    if (nitems == 0) {
        fprintf(stderr, "bench_loadgen: no race is held at these TPS\n");
        return 1;
    }
    int64_t t_build = mono_ns();
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;
    struct build_job jobs[8];
    pthread_t th[8];
    size_t nsamples = nitems < VERIFY_SAMPLE ? nitems : VERIFY_SAMPLE;
    struct sample *samples = xcalloc(nsamples, sizeof *samples);
    for (int t = 0; t < nthreads; t++) {
        size_t from = nitems * (size_t)t / (size_t)nthreads;
        size_t to = nitems * (size_t)(t + 1) / (size_t)nthreads;
        jobs[t] = (struct build_job){.w = w, .seed = o.seed, .items = items, .from = from,
                                     .to = to};
        if (t == 0) { /* the verify reference uses the first statements */
            jobs[t].samples = samples;
            jobs[t].nsamples = nsamples < to - from ? nsamples : to - from;
        }
        pthread_create(&th[t], NULL, build_worker, &jobs[t]);
    }
    for (int t = 0; t < nthreads; t++) {
        pthread_join(th[t], NULL);
        if (jobs[t].rc != RK_OK)
            die("building submissions", jobs[t].rc);
    }
    nsamples = jobs[0].nsamples;
    double build_s = secs_since(t_build);
    int64_t body_bytes = 0;
    for (size_t i = 0; i < nitems; i++)
        body_bytes += items[i].req_len;
    fprintf(stderr, "bench_loadgen: %zu submissions built in %.1f s (%.0f bytes each)\n", nitems,
            build_s, (double)body_bytes / (double)nitems);
    size_t nreq = 0;
    struct item *reqs = group_requests(items, nitems, o.per_request > 1 ? o.per_request : 1, &nreq);

    /* 3. reference (a): raw Ed25519 verification of the same statements, one core */
    int64_t nver = 0, t_ver = mono_ns();
    while (nver == 0 || secs_since(t_ver) < 1.0) {
        for (size_t i = 0; i < nsamples; i++) {
            const struct sample *sm = &samples[i];
            if (crypto_sign_verify_detached(sm->sig, (const uint8_t *)sm->statement, sm->len,
                                            sm->pk) != 0) {
                fprintf(stderr, "bench_loadgen: a statement does not verify\n");
                return 1;
            }
            nver++;
            if ((nver & 1023) == 0 && secs_since(t_ver) >= 1.0)
                break;
        }
    }
    double verify_rate = (double)nver / secs_since(t_ver);
    rk_store_close(w->s);
    w->s = NULL;

    /* 4. the server */
    /* Server worker threads: 0 lets the server pick (many: submissions wait in its group
     * commit, so the batch size is the number of requests in flight). */
    unsigned threads = o.threads;
    pid_t server = 0;
    struct rk_server *srv = NULL;
    unsigned port = 0;
    char port_file[4200], key_file[4200], serve_log[4200];
    snprintf(port_file, sizeof port_file, "%s/port", work);
    snprintf(key_file, sizeof key_file, "%s/server.key", work);
    snprintf(serve_log, sizeof serve_log, "%s/serve.log", work);
    if (o.target) {
        const char *colon = strrchr(o.target, ':');
        port = colon ? (unsigned)atoi(colon + 1) : 0;
        if (!port) {
            fprintf(stderr, "bench_loadgen: --target must be 127.0.0.1:PORT\n");
            return 2;
        }
    } else if (o.inproc) {
        struct rk_server_config cfg = {.db_uri = o.db, .threads = threads,
                                       .conn_limit = (unsigned)(o.conns + o.readers + 64),
                                       .key_file = key_file, .no_rate_limit = 1};
        if ((rc = rk_server_start(&cfg, &srv)) != RK_OK)
            die("server start", rc);
        port = rk_server_port(srv);
    } else {
        char rekap[4200];
        if (o.rekap) {
            snprintf(rekap, sizeof rekap, "%s", o.rekap);
        } else { /* the build directory's rekap, next to bench_loadgen */
            char self[4096];
            ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
            self[n > 0 ? n : 0] = '\0';
            char *slash = strrchr(self, '/');
            if (slash)
                *slash = '\0';
            snprintf(rekap, sizeof rekap, "%s/rekap", self);
        }
        char tbuf[16], cbuf[16];
        snprintf(tbuf, sizeof tbuf, "%u", threads);
        snprintf(cbuf, sizeof cbuf, "%d", o.conns + o.readers + 64);
        unlink(port_file);
        /* One client address sends everything here, so per-address limits are off. */
        char *sargv[] = {rekap,        "serve",       "--db",      (char *)o.db,
                         "--listen",   "127.0.0.1:0", "--port-file", port_file,
                         "--key",      key_file,      "--max-conn", cbuf,
                         "--no-rate-limit", threads ? "--threads" : NULL, tbuf, NULL};
        server = spawn(sargv, serve_log);
        port = wait_port_file(port_file, server, 60);
        if (!port) {
            fprintf(stderr, "bench_loadgen: %s serve did not start (see %s)\n", rekap, serve_log);
            return 1;
        }
    }

    /* 5. read targets: results of a race for a region inside it, down to the desa */
    uint64_t rng = o.seed ^ 0x5eed;
    char **urls = xcalloc(READ_URLS, sizeof *urls);
    for (size_t i = 0; i < READ_URLS; i++) {
        const struct item *it = &items[rng_below(&rng, nitems)];
        const struct race_info *r = &w->races[it->race];
        int lvl = r->level + (int)rng_below(&rng, (uint64_t)(RK_LEVEL_DESA - r->level + 1));
        char region[RK_CODE_MAX + 1] = "";
        if (lvl > 0)
            rk_code_ancestor(w->tps[it->tps].code, (enum rk_level)lvl, region);
        char buf[256];
        snprintf(buf, sizeof buf, "GET /api/races/%lld/results%s%s HTTP/1.1\r\nHost: rekap\r\n\r\n",
                 (long long)r->id, region[0] ? "?region=" : "", region);
        urls[i] = strdup(buf);
    }

    /* 6. ingest, with readers alongside */
    struct client c;
    memset(&c, 0, sizeof c);
    c.addr.sin_family = AF_INET;
    c.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c.addr.sin_port = htons((uint16_t)port);
    c.port_file = o.port_file;
    c.nwriters = o.conns;
    c.nconns = o.conns + o.readers;
    c.conns = xcalloc((size_t)c.nconns, sizeof *c.conns);
    for (int i = o.conns; i < c.nconns; i++)
        c.conns[i].reader = 1;
    c.items = reqs;
    c.nitems = nreq;
    c.subs = items;
    c.order = xcalloc(nreq, sizeof *c.order);
    for (size_t i = 0; i < nreq; i++)
        c.order[i] = (uint32_t)i;
    for (size_t i = nreq - 1; i > 0; i--) { /* TPS report in no particular order */
        size_t j = (size_t)rng_below(&rng, i + 1);
        uint32_t t = c.order[i];
        c.order[i] = c.order[j];
        c.order[j] = t;
    }
    double peak = 0;
    const char *mode;
    if (o.rate_max) {
        mode = "max";
    } else if (o.rate > 0) {
        mode = "constant";
        c.sched = schedule_constant(nreq, o.rate * (double)nreq / (double)nitems);
        peak = o.rate;
    } else {
        mode = "evening";
        c.sched = schedule_evening(nreq, o.duration, &peak);
        peak *= (double)nitems / (double)nreq; /* in submissions per second */
    }
    c.retry_mode = o.retry;
    c.w = w;
    c.urls = urls;
    c.nurls = o.readers ? READ_URLS : 0;
    c.reads_follow_writes = true;
    c.rng = rng;
    if (o.ack_log && !(c.ack = fopen(o.ack_log, "a"))) {
        fprintf(stderr, "bench_loadgen: cannot write %s\n", o.ack_log);
        return 1;
    }
    double warm_s = 0;
    if (!o.cold && !o.target) { /* a --target server is its runner's to warm */
        fprintf(stderr, "bench_loadgen: waiting for the server's registry cache to be warm\n");
        if ((warm_s = wait_warm(&c.addr, 600)) < 0) {
            fprintf(stderr, "bench_loadgen: the server did not report a warm cache\n");
            return 1;
        }
    }
    fprintf(stderr, "bench_loadgen: replaying %zu submissions (%s) to 127.0.0.1:%u\n", nitems,
            mode, port);
    double ingest_s = (double)client_run(&c, (int64_t)(o.max_time * 1e9)) / 1e9;
    if (c.ack)
        fclose(c.ack);
    long rss_kb = server ? proc_kb(server, "VmHWM") : -1;

    /* 7. reads alone: rekap, then nginx serving the very same bytes */
    struct stats rb, nb;
    memset(&rb, 0, sizeof rb);
    memset(&nb, 0, sizeof nb);
    double rb_s = 0, nb_s = 0;
    bool have_nginx = false;
    if (o.readers > 0 && o.read_secs > 0) {
        char www[4200], dir[4300];
        snprintf(www, sizeof www, "%s/www", work);
        snprintf(dir, sizeof dir, "%s/r", www);
        mkdir(www, 0755);
        mkdir(dir, 0755);
        char **rurls = xcalloc(REF_URLS, sizeof *rurls), **nurls = xcalloc(REF_URLS, sizeof *nurls);
        size_t nref = 0;
        for (size_t i = 0; i < READ_URLS && nref < REF_URLS; i++) {
            char path[256];
            sscanf(urls[i] + 4, "%255s", path);
            char *body;
            size_t blen;
            int st = http_get(&c.addr, path, &body, &blen);
            if (st != 200) {
                free(body);
                continue;
            }
            char file[4400];
            snprintf(file, sizeof file, "%s/%zu.json", dir, nref);
            FILE *f = fopen(file, "w");
            if (f) {
                fwrite(body, 1, blen, f);
                fclose(f);
                chmod(file, 0644);
            }
            free(body);
            rurls[nref] = urls[i];
            char buf[128];
            snprintf(buf, sizeof buf, "GET /r/%zu.json HTTP/1.1\r\nHost: nginx\r\n\r\n", nref);
            nurls[nref++] = strdup(buf);
        }
        if (nref) {
            rb_s = read_phase(port, rurls, nref, o.readers, o.read_secs, &rb);
            unsigned nport = 0;
            /* nginx: one worker per core, its own best setting */
            pid_t ng = o.no_nginx ? 0
                                  : nginx_start(work, www, (unsigned)(ncpu > 0 ? ncpu : 1), &nport);
            if (ng > 0) {
                have_nginx = true;
                nb_s = read_phase(nport, nurls, nref, o.readers, o.read_secs, &nb);
                kill(ng, SIGTERM);
                waitpid(ng, NULL, 0);
            } else if (!o.no_nginx) {
                fprintf(stderr, "bench_loadgen: nginx tidak ada / not available: no reference "
                                "(apt-get install nginx)\n");
            }
        }
        for (size_t i = 0; i < nref; i++)
            free(nurls[i]);
        free(rurls);
        free(nurls);
    }

    /* 8. stop the server */
    if (server) {
        kill(server, SIGTERM);
        int st;
        waitpid(server, &st, 0);
    }
    rk_server_stop(srv);

    /* 9. the report */
    metric_s("store", strncmp(o.db, "postgres", 8) == 0 ? "postgres" : "sqlite");
    metric_s("election", election_label);
    metric_s("arrival", mode);
    metric("server_threads", threads, "%.0f");
    metric("warm_wait_s", warm_s, "%.1f"); /* before the clock started; 0 with --cold */
    metric("tps", (double)(ntps), "%.0f");
    metric("tps_in_store", (double)w->ntps, "%.0f");
    metric("races", w->nraces, "%.0f");
    metric("submissions", (double)nitems, "%.0f");
    metric("prepare_s", prep_s, "%.1f");
    metric("build_s", build_s, "%.1f");
    metric("request_bytes_avg", (double)body_bytes / (double)nitems, "%.0f");
    metric("submissions_per_request", (double)nitems / (double)nreq, "%.2f");
    if (peak > 0)
        metric("target_peak_per_s", peak, "%.0f");
    metric("ingest_s", ingest_s, "%.2f");
    report_stats("sub", &c.wst, ingest_s);
    if (o.retry)
        metric("sub_retries", (double)c.retries, "%.0f");
    report_stats("read_during_ingest", &c.rst, ingest_s);
    if (rss_kb >= 0)
        metric("server_rss_peak_kb", (double)rss_kb, "%.0f");
    if (rb_s > 0)
        report_stats("read_rekap", &rb, rb_s);
    if (have_nginx)
        report_stats("read_nginx", &nb, nb_s);
    metric("verify_per_s_1core", verify_rate, "%.0f");
    double ingest_rate = ingest_s > 0 ? (double)c.wst.ok / ingest_s : 0;
    double rr = rb_s > 0 ? (double)rb.ok / rb_s : 0, nr = nb_s > 0 ? (double)nb.ok / nb_s : 0;
    metric("ratio_ingest_vs_verify", ingest_rate / verify_rate, "%.3f");
    if (have_nginx && nr > 0)
        metric("ratio_reads_rekap_vs_nginx", rr / nr, "%.3f");
    int64_t sub_err = 0;
    for (int i = 0; i < 600; i++)
        if (i < 200 || i >= 300)
            sub_err += c.wst.by_status[i];
    struct pct sp = stats_pct(&c.wst);
    char summary[512];
    snprintf(summary, sizeof summary,
             "%zu submissions in %.1f s = %.0f/s (p99 %.1f ms, %lld errors); reads %.0f/s%s%.0f/s"
             " (ratio %.2f); verify %.0f/s on one core; %s",
             nitems, ingest_s, ingest_rate, sp.p99, (long long)sub_err, rr,
             have_nginx ? " vs nginx " : " (no nginx) ", nr, nr > 0 ? rr / nr : 0, verify_rate,
             o.cold ? "cold start" : o.target ? "external server" : "warm server");
    metric_s("summary", summary);
    if (o.json) {
        char *js = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        puts(js);
        free(js);
    }
    json_decref(report);

    if (reqs != items) {
        for (size_t i = 0; i < nreq; i++)
            free(reqs[i].req);
        free(reqs);
    }
    for (size_t i = 0; i < nitems; i++)
        free(items[i].req);
    free(items);
    for (size_t i = 0; i < READ_URLS; i++)
        free(urls[i]);
    free(urls);
    free(samples);
    free(c.order);
    free(c.sched);
    free(c.conns);
    free(c.retry);
    free(c.retry_at);
    free(c.wst.lat_us);
    free(c.rst.lat_us);
    free(rb.lat_us);
    free(nb.lat_us);
    free(w->tps);
    free(w);
    if (own_work)
        rmtree(work);
    return sub_err ? 3 : 0;
}
