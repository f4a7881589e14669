/* rekap demo: writes a generated, realistic Pilkada into a store in one transaction. */
#include "cli/cli.h"
#include "cli/demo_results.h"
#include "rekap/demo.h"
#include "rekap/status.h"
#include "store/pipeline.h"
#include "store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct demo_sink_state {
    struct rk_store *s;
    int64_t regions[RK_LEVEL_COUNT];
    int64_t races, candidates, single;
    int64_t voters;
};

static int sink_election(void *ud, struct rk_election *e)
{
    struct demo_sink_state *st = ud;
    return rk_store_election_put(st->s, e);
}

static int sink_region(void *ud, const struct rk_region *r)
{
    struct demo_sink_state *st = ud;
    st->regions[r->level]++;
    st->voters += r->dpt_l + r->dpt_p;
    return rk_store_region_put(st->s, r);
}

static int sink_race(void *ud, struct rk_race *r, struct rk_candidate *c, int n)
{
    struct demo_sink_state *st = ud;
    const char *why;
    int rc = rk_race_check_candidates(c, n, &why);
    if (rc != RK_OK)
        return rc;
    if ((rc = rk_store_race_put(st->s, r)) != RK_OK)
        return rc;
    st->races++;
    for (int i = 0; i < n; i++) {
        c[i].race_id = r->id;
        if ((rc = rk_store_candidate_put(st->s, &c[i])) != RK_OK)
            return rc;
        st->candidates++;
        st->single += c[i].kolom_kosong;
    }
    /* published in the log with its columns, like a real import */
    char actor[RK_CLI_ACTOR_MAX + 1];
    if ((rc = rk_cli_actor(NULL, actor)) != RK_OK)
        return rc;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return rk_log_race_config(st->s, actor, r->id,
                              (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

static void remove_db(const char *db)
{
    const char *path = strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db;
    char buf[4096];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: rekap demo [--db FILE] [--seed N] [--province CODE]... [--provinces N]\n"
            "                  [--national] [--scale F] [--replace]\n"
            "  default: one whole province (%s) with realistic kab/kota, kecamatan, desa and TPS\n"
            "  --national      all 38 provinces (~435,000 TPS, 545 races)\n"
            "  --provinces N   the first N provinces (by code)\n"
            "  --scale F       shrink kecamatan/desa counts by F (0 < F <= 1), for tests\n"
            "  --replace       delete an existing store file first\n"
            "  --results F     a fraction F (0..1) of the TPS report, signed, through the real\n"
            "                  pipeline; also creates demo logins (printed)\n",
            rk_demo_default_province());
}

int rk_cmd_demo(int argc, char **argv)
{
    const char *db = rk_cli_default_db();
    const char *codes[RK_DEMO_PROVINCES], *all[RK_DEMO_PROVINCES];
    int ncodes = 0, replace = 0;
    double results = 0;
    struct rk_demo_opts opts = {.seed = 2024};
    rk_demo_province_codes(all);
    static const struct option lo[] = {
        {"db", required_argument, 0, 'd'},        {"seed", required_argument, 0, 's'},
        {"province", required_argument, 0, 'p'},  {"provinces", required_argument, 0, 'n'},
        {"national", no_argument, 0, 'N'},        {"scale", required_argument, 0, 'S'},
        {"replace", no_argument, 0, 'R'},         {"help", no_argument, 0, 'h'},
        {"results", required_argument, 0, 'r'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:s:p:n:NS:Rr:h", lo, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 's':
            opts.seed = strtoull(optarg, &end, 10);
            if (*end || !optarg[0])
                goto bad;
            break;
        case 'p':
            if (ncodes >= RK_DEMO_PROVINCES)
                goto bad;
            codes[ncodes++] = optarg;
            break;
        case 'n': {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > RK_DEMO_PROVINCES)
                goto bad;
            for (ncodes = 0; ncodes < n; ncodes++)
                codes[ncodes] = all[ncodes];
            break;
        }
        case 'N':
            for (ncodes = 0; ncodes < RK_DEMO_PROVINCES; ncodes++)
                codes[ncodes] = all[ncodes];
            break;
        case 'S':
            opts.scale = strtod(optarg, &end);
            if (*end || opts.scale <= 0 || opts.scale > 1)
                goto bad;
            break;
        case 'R':
            replace = 1;
            break;
        case 'r':
            results = strtod(optarg, &end);
            if (*end || results < 0 || results > 1)
                goto bad;
            break;
        default:
            usage();
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc)
        goto bad;
    opts.provinces = codes;
    opts.n_provinces = ncodes;
    if (replace)
        remove_db(db);

    struct rk_store *s;
    int rc = rk_store_open(db, &s);
    if (rc != RK_OK) {
        rk_cli_error(db, rc);
        return 1;
    }
    struct rk_election existing;
    if (rk_store_election_by_slug(s, "pilkada2024", &existing) == RK_OK) {
        fprintf(stderr, "rekap: %s already holds election pilkada2024; use --replace / basis data "
                        "sudah berisi pemilihan, pakai --replace\n",
                db);
        rk_store_close(s);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct demo_sink_state st = {.s = s};
    struct rk_demo_sink sink = {
        .ud = &st, .election = sink_election, .region = sink_region, .race = sink_race};
    if ((rc = rk_store_begin(s)) == RK_OK) {
        rc = rk_demo_generate(&opts, &sink);
        if (rc == RK_OK)
            rc = rk_store_commit(s);
        else
            rk_store_rollback(s);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: demo: %s (%s)\n", rk_strerror(rc), rk_store_errmsg(s));
        rk_store_close(s);
        return 1;
    }
    rk_store_close(s);
    printf("demo election pilkada2024 in %s (seed %llu, %.1f s):\n"
           "  provinsi=%lld kabkota=%lld kecamatan=%lld desa=%lld tps=%lld dpt=%lld\n"
           "  races=%lld candidate_columns=%lld single_candidate=%lld\n",
           db, (unsigned long long)opts.seed,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (long long)st.regions[1], (long long)st.regions[2], (long long)st.regions[3],
           (long long)st.regions[4], (long long)st.regions[5], (long long)st.voters,
           (long long)st.races, (long long)st.candidates, (long long)st.single);
    if (results > 0) {
        rc = rk_demo_results(db, results, opts.seed, stdout);
        if (rc != RK_OK) {
            rk_cli_error("demo --results", rc);
            return 1;
        }
    }
    return 0;
bad:
    usage();
    return 2;
}
