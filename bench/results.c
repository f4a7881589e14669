/* Benchmark: election-night submissions into a store, the way the server records one — a
 * transaction holding rk_store_version_add (state read, version insert, state write, five
 * tally levels), the transparency-log append and the version's log link. Reports submissions
 * per second for a first upload of every TPS and for corrections of a quarter of them.
 *   bench_results [STORE-URI] [N-TPS]     (default: a fresh SQLite file in /tmp, 20000 TPS)
 * For PostgreSQL pass "postgres:CONNINFO" of an EMPTY database (tables are created). */
#include "rekap/status.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int put(struct rk_store *s, const char *code)
{
    struct rk_region r;
    int rc = rk_region_init(&r, code, strlen(code), "X", 1);
    return rc == RK_OK ? rk_store_region_put(s, &r) : rc;
}

/* TPS i lives in province 11..(11+i/…): 10 TPS per desa, 10 desa per kecamatan, 10
 * kecamatan per kab, kabs spread over 10 provinces, so tally rows are shared as in reality. */
static void tps_code(long i, char out[RK_CODE_MAX + 1])
{
    long tps = i % 10 + 1, desa = i / 10 % 10 + 1, kec = i / 100 % 10 + 1, kab = i / 1000 % 90 + 1;
    long prov = 11 + i / 90000 % 10;
    snprintf(out, RK_CODE_MAX + 1, "%02ld%02ld%02ld2%03ld%03ld", prov, kab, kec, desa, tps);
}

static int submit(struct rk_store *s, int64_t race, const char *tps, int k, int correction)
{
    static struct rk_version v;
    struct rk_tally t;
    memset(&v, 0, sizeof v);
    memset(&t, 0, sizeof t);
    v.race_id = race;
    snprintf(v.tps, sizeof v.tps, "%s", tps);
    v.kind = correction ? RK_VERSION_CORRECTION : RK_VERSION_UPLOAD;
    snprintf(v.actor, sizeof v.actor, "kpps-%s", tps);
    if (correction)
        snprintf(v.reason, sizeof v.reason, "koreksi pleno kecamatan");
    else
        v.has_sig = true;
    memset(v.doc_hash, k, 32);
    memset(v.sig, 7, 64);
    v.n_photos = 1;
    v.created_ms = 1732500000000 + k;
    snprintf(v.doc, sizeof v.doc, "{\"tps\":\"%s\",\"suara\":[%d,%d]}", tps, 100 + k, 90);
    t.votes[0] = 100 + k;
    t.votes[1] = 90;
    t.sah = t.votes[0] + t.votes[1];
    t.total = t.sah + 3;
    t.tidak_sah = 3;
    t.pengguna = t.total;
    t.dpt = 300;
    uint8_t entry[200], leaf[32];
    memset(entry, k, sizeof entry);
    memset(leaf, k, sizeof leaf);
    int64_t idx;
    int rc = rk_store_begin(s);
    if (rc == RK_OK && (rc = rk_store_version_add(s, &v, &t)) == RK_OK &&
        (rc = rk_store_log_append(s, entry, sizeof entry, leaf, &idx)) == RK_OK &&
        (rc = rk_store_version_set_log(s, v.id, idx)) == RK_OK)
        rc = rk_store_commit(s);
    if (rc != RK_OK) {
        fprintf(stderr, "submit %s: %s (%s)\n", tps, rk_strerror(rc), rk_store_errmsg(s));
        rk_store_rollback(s);
    }
    return rc;
}

int main(int argc, char **argv)
{
    char tmp[64] = "";
    const char *uri = argc > 1 && argv[1][0] ? argv[1] : NULL;
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    if (n < 1 || n > 900000) {
        fprintf(stderr, "N-TPS must be 1..900000\n");
        return 2;
    }
    if (!uri) {
        snprintf(tmp, sizeof tmp, "/tmp/rekap-bench-%ld.db", (long)getpid());
        uri = tmp;
    }
    struct rk_store *s;
    int rc = rk_store_open(uri, &s);
    if (rc != RK_OK) {
        fprintf(stderr, "open %s: %s\n", uri, rk_strerror(rc));
        return 1;
    }
    double t0 = now();
    char code[RK_CODE_MAX + 1], prev[RK_CODE_MAX + 1] = "";
    rc = rk_store_begin(s);
    for (long i = 0; i < n && rc == RK_OK; i++) {
        tps_code(i, code);
        /* Put every ancestor not yet put (codes come in order, so compare prefixes). */
        static const int lens[] = {2, 4, 6, 10, 13};
        for (int l = 0; l < 5 && rc == RK_OK; l++) {
            if (strncmp(prev, code, (size_t)lens[l]) == 0 && prev[0])
                continue;
            char part[RK_CODE_MAX + 1];
            snprintf(part, sizeof part, "%.*s", lens[l], code);
            rc = put(s, part);
        }
        memcpy(prev, code, sizeof prev);
    }
    struct rk_election e = {.kind = RK_ELECTION_PEMILU, .year = 2024};
    snprintf(e.slug, sizeof e.slug, "bench");
    snprintf(e.name, sizeof e.name, "bench");
    struct rk_race race = {.kind = RK_RACE_PRESIDENT};
    snprintf(race.name, sizeof race.name, "Presiden");
    if (rc == RK_OK && (rc = rk_store_election_put(s, &e)) == RK_OK) {
        race.election_id = e.id;
        rc = rk_store_race_put(s, &race);
    }
    if (rc == RK_OK)
        rc = rk_store_commit(s);
    if (rc != RK_OK) {
        fprintf(stderr, "setup: %s (%s)\n", rk_strerror(rc), rk_store_errmsg(s));
        return 1;
    }
    double t1 = now();
    for (long i = 0; i < n && rc == RK_OK; i++) {
        tps_code(i, code);
        rc = submit(s, race.id, code, 1, 0);
    }
    double t2 = now();
    long nc = 0;
    for (long i = 0; i < n && rc == RK_OK; i += 4, nc++) {
        tps_code(i, code);
        rc = submit(s, race.id, code, 2, 1);
    }
    double t3 = now();
    struct rk_tally tot;
    if (rc == RK_OK)
        rc = rk_store_tally_get(s, race.id, "", &tot);
    printf("%s store, %ld TPS (setup %.1f s)\n", rk_store_engine(s), n, t1 - t0);
    if (rc == RK_OK) {
        printf("  first uploads: %8.0f /s  (%.3f ms each)\n", (double)n / (t2 - t1),
               (t2 - t1) * 1e3 / (double)n);
        printf("  corrections:   %8.0f /s  (%.3f ms each)\n", (double)nc / (t3 - t2),
               (t3 - t2) * 1e3 / (double)nc);
        printf("  national tally: received %lld, votes[0] %lld\n", (long long)tot.received,
               (long long)tot.votes[0]);
    }
    rk_store_close(s);
    if (tmp[0]) {
        char p[80];
        unlink(tmp);
        snprintf(p, sizeof p, "%s-wal", tmp);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", tmp);
        unlink(p);
    }
    return rc == RK_OK ? 0 : 1;
}
