/* rekap stats: counts per level, elections and races in a store, for operators and tests. */
#include "cli/cli.h"
#include "rekap/status.h"
#include "store/store.h"

#include <getopt.h>
#include <string.h>

struct race_tally {
    struct rk_store *s;
    int64_t races, candidates, single;
};

static int tally_race(void *ud, const struct rk_race *r)
{
    struct race_tally *t = ud;
    struct rk_candidate c[RK_CANDIDATES_MAX];
    int n = 0;
    t->races++;
    if (rk_store_candidate_list(t->s, r->id, c, RK_CANDIDATES_MAX, &n) == RK_OK) {
        t->candidates += n;
        for (int i = 0; i < n && i < RK_CANDIDATES_MAX; i++)
            t->single += c[i].kolom_kosong;
    }
    return 0;
}

static int print_election(void *ud, const struct rk_election *e)
{
    struct race_tally t = {.s = ud};
    rk_store_race_list(ud, e->id, "", tally_race, &t);
    printf("election %s (%s, %d): races=%lld candidates=%lld single_candidate=%lld\n", e->slug,
           e->name, e->year, (long long)t.races, (long long)t.candidates, (long long)t.single);
    return 0;
}

int rk_cmd_stats(int argc, char **argv)
{
    const char *db = rk_cli_default_db();
    const char *region = "";
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"region", required_argument, 0, 'r'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:r:h", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'r') {
            region = optarg;
        } else {
            fprintf(stderr, "usage: rekap stats [--db FILE] [--region CODE]\n");
            return 2;
        }
    }
    struct rk_store *s;
    int rc = rk_store_open(db, &s);
    if (rc != RK_OK) {
        rk_cli_error(db, rc);
        return 1;
    }
    int64_t counts[RK_LEVEL_COUNT], l = 0, p = 0;
    if ((rc = rk_store_region_counts(s, region, counts)) != RK_OK ||
        (rc = rk_store_region_voters(s, region, &l, &p)) != RK_OK) {
        rk_cli_error("stats", rc);
        rk_store_close(s);
        return 1;
    }
    printf("provinces=%lld kabkota=%lld kecamatan=%lld desa=%lld tps=%lld dpt=%lld dpt_l=%lld "
           "dpt_p=%lld\n",
           (long long)counts[1], (long long)counts[2], (long long)counts[3], (long long)counts[4],
           (long long)counts[5], (long long)(l + p), (long long)l, (long long)p);
    rk_store_election_list(s, print_election, s);
    rk_store_close(s);
    return 0;
}
