/* The registry cache: inside read snapshots a handle with a cache attached serves device keys,
 * accounts, races, elections, candidate lists and regions from memory, yet every change made
 * through another handle, or by raw SQL from another program, is seen at the next snapshot
 * (the database's registry generation moved). Outside snapshots and inside write transactions
 * the cache is not used. Both engines. */
#include "testutil.h"
#include "rekap/status.h"
#include "store/regcache.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *const codes[] = {"11", "1101", "110101", "1101012001", "1101012001001"};
#define TPS "1101012001001"

struct fx {
    char dir[256], uri[1200];
    struct rk_store *w, *r; /* a writer, and a reader with the cache */
    struct rk_regcache *c;
    int64_t race, election, user;
    char key_id[RK_KEY_ID_HEX_LEN + 1];
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    rk_test_tmpdir(f.dir, sizeof f.dir);
    rk_test_store_uri(f.dir, f.uri, sizeof f.uri);
    assert_int_equal(rk_store_open(f.uri, &f.w), RK_OK);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct rk_region g;
        assert_int_equal(rk_region_init(&g, codes[i], strlen(codes[i]), "Lama", 4), RK_OK);
        assert_int_equal(rk_store_region_put(f.w, &g), RK_OK);
    }
    struct rk_election e = {.kind = RK_ELECTION_PILKADA, .year = 2024};
    snprintf(e.slug, sizeof e.slug, "pilkada2024");
    snprintf(e.name, sizeof e.name, "Pilkada 2024");
    assert_int_equal(rk_store_election_put(f.w, &e), RK_OK);
    f.election = e.id;
    struct rk_race race = {.election_id = e.id, .kind = RK_RACE_GOVERNOR};
    snprintf(race.region_code, sizeof race.region_code, "11");
    snprintf(race.name, sizeof race.name, "Gubernur Aceh");
    assert_int_equal(rk_store_race_put(f.w, &race), RK_OK);
    f.race = race.id;
    for (int n = 1; n <= 2; n++) {
        struct rk_candidate c = {.race_id = race.id, .ballot_no = n};
        snprintf(c.name, sizeof c.name, "Paslon %d", n);
        assert_int_equal(rk_store_candidate_put(f.w, &c), RK_OK);
    }
    struct rk_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "kpps-" TPS);
    u.p.role = RK_ROLE_KPPS;
    snprintf(u.p.scope, sizeof u.p.scope, TPS);
    u.created_at = 1732500000;
    snprintf(u.pwhash, sizeof u.pwhash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
    assert_int_equal(rk_store_user_put(f.w, &u), RK_OK);
    f.user = u.p.user_id;
    struct rk_device_key k = {.user_id = u.p.user_id, .created_at = 1732500001};
    for (int i = 0; i < RK_DEVICE_PUB_BYTES; i++)
        k.pub[i] = (uint8_t)(i * 7 + 1);
    rk_auth_device_key_id(k.pub, k.key_id);
    assert_int_equal(rk_store_device_put(f.w, &k), RK_OK);
    memcpy(f.key_id, k.key_id, sizeof f.key_id);
    assert_int_equal(rk_store_open(f.uri, &f.r), RK_OK);
    assert_int_equal(rk_regcache_new(16, &f.c), RK_OK);
    rk_store_attach_cache(f.r, f.c);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rk_store_close(f->r);
    rk_store_close(f->w);
    rk_regcache_free(f->c);
    rk_test_rmtree(f->dir);
    return 0;
}

static long long hits(struct fx *f)
{
    long long h, m, c;
    rk_regcache_stats(f->c, &h, &m, &c);
    return h;
}

/* One snapshot reading all six kinds through the cached handle; checks the answers. */
static void read_all(struct fx *f, const char *want_name, int64_t want_revoked, bool want_disabled)
{
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    struct rk_race race;
    struct rk_election e;
    struct rk_region g;
    struct rk_candidate c[RK_CANDIDATES_MAX];
    struct rk_user u;
    struct rk_device_key k;
    int n = 0;
    assert_int_equal(rk_store_race_get(f->r, f->race, &race), RK_OK);
    assert_string_equal(race.name, "Gubernur Aceh");
    assert_int_equal(rk_store_election_get(f->r, f->election, &e), RK_OK);
    assert_string_equal(e.slug, "pilkada2024");
    assert_int_equal(rk_store_region_get(f->r, "11", &g), RK_OK);
    assert_string_equal(g.name, want_name);
    assert_int_equal(rk_store_candidate_list(f->r, f->race, c, RK_CANDIDATES_MAX, &n), RK_OK);
    assert_int_equal(n, 2);
    assert_string_equal(c[1].name, "Paslon 2");
    assert_int_equal(rk_store_user_get(f->r, f->user, &u), RK_OK);
    assert_int_equal(u.p.disabled, want_disabled);
    assert_int_equal(rk_store_device_get(f->r, f->key_id, &k), RK_OK);
    assert_int_equal(k.revoked_at, want_revoked);
    assert_int_equal(rk_store_region_get(f->r, "19", &g), RK_ENOTFOUND); /* misses stay misses */
    rk_store_read_end(f->r);
}

static void test_hits_and_staleness(void **state)
{
    struct fx *f = *state;
    read_all(f, "Lama", 0, false);
    long long h0 = hits(f);
    read_all(f, "Lama", 0, false);
    /* Six lookups answered from memory. */
    assert_int_equal(hits(f) - h0, 6);

    /* Changes through another handle: seen at once. */
    assert_int_equal(rk_store_device_revoke(f->w, f->key_id, 1732600000), RK_OK);
    read_all(f, "Lama", 1732600000, false);
    assert_int_equal(rk_store_user_set_disabled(f->w, f->user, true), RK_OK);
    read_all(f, "Lama", 1732600000, true);

    /* A change by another program, in raw SQL: the triggers move the generation too. */
    if (rk_test_store_is_pg()) {
        rk_test_pg_exec("UPDATE region SET name = 'Baru' WHERE code = '11'");
        read_all(f, "Baru", 1732600000, true);
    } else {
        char path[1300];
        snprintf(path, sizeof path, "%s", f->uri);
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(
            sqlite3_exec(db, "UPDATE region SET name = 'Baru' WHERE code = '11'", NULL, NULL, NULL),
            SQLITE_OK);
        sqlite3_close(db);
        read_all(f, "Baru", 1732600000, true);
    }
}

/* TPS counts per subtree (the results pages' "expected") are cached too, and a region added
 * by another handle is counted at the next snapshot. */
static void test_counts(void **state)
{
    struct fx *f = *state;
    int64_t counts[RK_LEVEL_COUNT];
    for (int round = 0; round < 2; round++) {
        assert_int_equal(rk_store_read_begin(f->r), RK_OK);
        assert_int_equal(rk_store_region_counts(f->r, "11", counts), RK_OK);
        rk_store_read_end(f->r);
        assert_int_equal(counts[RK_LEVEL_TPS], 1);
    }
    long long h0 = hits(f);
    struct rk_region g;
    assert_int_equal(rk_region_init(&g, "1101012001002", 13, "TPS 2", 5), RK_OK);
    assert_int_equal(rk_store_region_put(f->w, &g), RK_OK);
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    assert_int_equal(rk_store_region_counts(f->r, "11", counts), RK_OK);
    assert_int_equal(rk_store_region_counts(f->r, "11", counts), RK_OK);
    rk_store_read_end(f->r);
    assert_int_equal(counts[RK_LEVEL_TPS], 2);
    assert_int_equal(hits(f) - h0, 1);
}

static void test_not_outside_snapshots(void **state)
{
    struct fx *f = *state;
    read_all(f, "Lama", 0, false); /* fill */
    long long h0 = hits(f);
    struct rk_race race;
    /* Plain autocommit reads: straight to the database. */
    assert_int_equal(rk_store_race_get(f->r, f->race, &race), RK_OK);
    /* Inside a write transaction (read_begin is then a no-op): straight to the database. */
    assert_int_equal(rk_store_begin(f->r), RK_OK);
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    assert_int_equal(rk_store_race_get(f->r, f->race, &race), RK_OK);
    rk_store_read_end(f->r);
    assert_int_equal(rk_store_commit(f->r), RK_OK);
    assert_int_equal(hits(f), h0);
}

static void test_bounded(void **state)
{
    struct fx *f = *state;
    /* 16 entries at most: reading 20 regions empties the cache at least once. */
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    for (int i = 0; i < 20; i++) {
        struct rk_region g;
        char code[8];
        snprintf(code, sizeof code, "%d", 11 + i);
        int rc = rk_store_region_get(f->r, code, &g);
        assert_true(rc == RK_OK || rc == RK_ENOTFOUND);
    }
    for (int i = 0; i < 20; i++) {
        struct rk_race race;
        assert_int_equal(rk_store_race_get(f->r, f->race, &race), RK_OK);
        struct rk_device_key k;
        assert_int_equal(rk_store_device_get(f->r, f->key_id, &k), RK_OK);
    }
    rk_store_read_end(f->r);
    long long h, m, c;
    rk_regcache_stats(f->c, &h, &m, &c);
    assert_true(h >= 30);
    struct rk_regcache *bad;
    assert_int_equal(rk_regcache_new(4, &bad), RK_EINVAL);
}

/* Adds TPS 1101012001002.. with a KPPS account and a device key each (n in all). */
static void add_tps(struct fx *f, int n)
{
    for (int i = 2; i < 2 + n; i++) {
        char code[16];
        snprintf(code, sizeof code, "1101012001%03d", i);
        struct rk_region g;
        assert_int_equal(rk_region_init(&g, code, 13, "TPS", 3), RK_OK);
        g.dpt_l = (uint32_t)(100 + i);
        g.dpt_p = (uint32_t)(200 + i);
        assert_int_equal(rk_store_region_put(f->w, &g), RK_OK);
        struct rk_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.p.username, sizeof u.p.username, "kpps-%s", code);
        u.p.role = RK_ROLE_KPPS;
        snprintf(u.p.scope, sizeof u.p.scope, "%s", code);
        u.created_at = 1732500000 + i;
        snprintf(u.pwhash, sizeof u.pwhash,
                 "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
        assert_int_equal(rk_store_user_put(f->w, &u), RK_OK);
        struct rk_device_key k = {.user_id = u.p.user_id, .created_at = 1732500100 + i};
        for (int b = 0; b < RK_DEVICE_PUB_BYTES; b++)
            k.pub[b] = (uint8_t)(b * 13 + i);
        rk_auth_device_key_id(k.pub, k.key_id);
        assert_int_equal(rk_store_device_put(f->w, &k), RK_OK);
    }
}

struct keys {
    int n;
    char id[64][RK_KEY_ID_HEX_LEN + 1];
    int64_t user[64];
};

static int collect_key(void *ud, const struct rk_device_key *k)
{
    struct keys *ks = ud;
    assert_true(ks->n < 64);
    memcpy(ks->id[ks->n], k->key_id, sizeof ks->id[0]);
    ks->user[ks->n++] = k->user_id;
    return 0;
}

static long long misses(struct fx *f)
{
    long long h, m, c;
    rk_regcache_stats(f->c, &h, &m, &c);
    return m;
}

/* The warm-up puts every TPS, account and device key in, growing the cache past its limit
 * (16 here); afterwards an upload's lookups are all hits with the database's exact answers,
 * and a change still reaches the next snapshot. */
static void test_warm(void **state)
{
    struct fx *f = *state;
    add_tps(f, 30); /* 31 TPS, 31 accounts, 31 keys */
    struct keys ks = {0};
    assert_int_equal(rk_store_device_list(f->w, collect_key, &ks), RK_OK);
    assert_int_equal(ks.n, 31);
    for (int i = 1; i < ks.n; i++)
        assert_true(strcmp(ks.id[i - 1], ks.id[i]) < 0);

    /* Not without a cache, not inside a write transaction. */
    assert_int_equal(rk_store_warm_cache(f->w, NULL), RK_EUNSUPPORTED);
    assert_int_equal(rk_store_begin(f->r), RK_OK);
    assert_int_equal(rk_store_warm_cache(f->r, NULL), RK_EUNSUPPORTED);
    assert_int_equal(rk_store_rollback(f->r), RK_OK);

    int64_t rows = 0;
    assert_int_equal(rk_store_warm_cache(f->r, &rows), RK_OK);
    assert_int_equal(rows, 93);
    assert_int_equal(rk_regcache_size(f->c), 93);

    long long h0 = hits(f), m0 = misses(f);
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    for (int i = 0; i < ks.n; i++) {
        struct rk_device_key k, k2;
        assert_int_equal(rk_store_device_get(f->r, ks.id[i], &k), RK_OK);
        assert_int_equal(rk_store_device_get(f->w, ks.id[i], &k2), RK_OK); /* uncached */
        assert_string_equal(k.key_id, k2.key_id);
        assert_int_equal(k.user_id, k2.user_id);
        assert_memory_equal(k.pub, k2.pub, RK_DEVICE_PUB_BYTES);
        assert_int_equal(k.created_at, k2.created_at);
        assert_int_equal(k.revoked_at, 0);
        struct rk_user u, u2;
        assert_int_equal(rk_store_user_get(f->r, k.user_id, &u), RK_OK);
        assert_int_equal(rk_store_user_get(f->w, k.user_id, &u2), RK_OK);
        assert_string_equal(u.p.username, u2.p.username);
        assert_string_equal(u.p.scope, u2.p.scope);
        assert_int_equal(u.p.role, u2.p.role);
        assert_string_equal(u.pwhash, u2.pwhash);
        assert_int_equal(u.created_at, u2.created_at);
        struct rk_region g, g2;
        assert_int_equal(rk_store_region_get(f->r, u.p.scope, &g), RK_OK);
        assert_int_equal(rk_store_region_get(f->w, u.p.scope, &g2), RK_OK);
        assert_string_equal(g.code, g2.code);
        assert_string_equal(g.name, g2.name);
        assert_int_equal(g.level, RK_LEVEL_TPS);
        assert_int_equal(g.dpt_l, g2.dpt_l);
        assert_int_equal(g.dpt_p, g2.dpt_p);
    }
    rk_store_read_end(f->r);
    assert_int_equal(hits(f) - h0, 93);
    assert_int_equal(misses(f) - m0, 0);

    /* A key revoked through another handle: the next snapshot reads it afresh. */
    assert_int_equal(rk_store_device_revoke(f->w, ks.id[3], 1732600000), RK_OK);
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    struct rk_device_key k;
    assert_int_equal(rk_store_device_get(f->r, ks.id[3], &k), RK_OK);
    assert_int_equal(k.revoked_at, 1732600000);
    rk_store_read_end(f->r);
    assert_int_equal(rk_regcache_size(f->c), 1);
    /* Warming again serves the revocation too. */
    assert_int_equal(rk_store_warm_cache(f->r, &rows), RK_OK);
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    h0 = hits(f);
    assert_int_equal(rk_store_device_get(f->r, ks.id[3], &k), RK_OK);
    assert_int_equal(k.revoked_at, 1732600000);
    assert_int_equal(hits(f) - h0, 1);
    rk_store_read_end(f->r);
}

/* The warm-up in small steps, each its own snapshot: it visits every row once across many
 * steps; an account added meanwhile (an insert, which moves no generation) neither stops it
 * nor is missed; a revocation between steps (the generation moved) stops it with
 * RK_ECONFLICT, and what it had put is not served at the new generation. */
static void test_warm_steps(void **state)
{
    struct fx *f = *state;
    add_tps(f, 30);
    struct rk_warm w;
    rk_store_warm_begin(&w);
    int steps = 0;
    assert_int_equal(rk_store_warm_step(f->r, &w, 0), RK_EINVAL);
    while (!w.done) {
        assert_int_equal(rk_store_warm_step(f->r, &w, 4), RK_OK);
        steps++;
        if (steps == 12) { /* in the accounts' scan: one more account, inserted */
            assert_int_equal(w.kind, RK_REGISTRY_USERS);
            struct rk_user u;
            memset(&u, 0, sizeof u);
            snprintf(u.p.username, sizeof u.p.username, "saksi-baru");
            u.p.role = RK_ROLE_BAWASLU;
            snprintf(u.p.scope, sizeof u.p.scope, "11");
            u.created_at = 1732500000;
            snprintf(u.pwhash, sizeof u.pwhash,
                     "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
            assert_int_equal(rk_store_user_put(f->w, &u), RK_OK);
        }
    }
    /* 31 TPS, 32 accounts, 31 keys; each scan ends with a short (or empty) page */
    assert_int_equal(w.rows, 94);
    assert_true(steps >= 94 / 4);
    assert_int_equal(rk_regcache_size(f->c), 94);
    assert_int_equal(rk_store_warm_step(f->r, &w, 4), RK_OK); /* done stays done */
    assert_int_equal(w.rows, 94);

    rk_store_warm_begin(&w);
    assert_int_equal(rk_store_warm_step(f->r, &w, 4), RK_OK);
    assert_int_equal(rk_store_device_revoke(f->w, f->key_id, 1732600000), RK_OK);
    assert_int_equal(rk_store_warm_step(f->r, &w, 4), RK_ECONFLICT);
    assert_false(w.done);
    assert_int_equal(rk_store_read_begin(f->r), RK_OK);
    struct rk_device_key k;
    assert_int_equal(rk_store_device_get(f->r, f->key_id, &k), RK_OK);
    assert_int_equal(k.revoked_at, 1732600000);
    rk_store_read_end(f->r);
}

/* The cache itself: fill grows a full cache (keeping every entry), put empties it, reserve
 * makes room in one step, and a fill at a stale generation is refused. */
static void test_fill_grows(void **state)
{
    (void)state;
    struct rk_regcache *c;
    assert_int_equal(rk_regcache_new(16, &c), RK_OK);
    rk_regcache_sync(c, 7);
    char key[24];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_true(rk_regcache_fill(c, 7, RK_RC_USER, key, &i, sizeof i));
    }
    assert_int_equal(rk_regcache_size(c), 100);
    for (int i = 0; i < 100; i++) {
        int v = -1;
        snprintf(key, sizeof key, "k%d", i);
        assert_true(rk_regcache_get(c, 7, RK_RC_USER, key, &v, sizeof v));
        assert_int_equal(v, i);
    }
    assert_false(rk_regcache_fill(c, 6, RK_RC_USER, "old", &c, sizeof c)); /* stale */
    rk_regcache_reserve(c, 1000);
    assert_int_equal(rk_regcache_size(c), 100);
    for (int i = 100; i < 1100; i++) { /* no growth needed now, and no clearing */
        snprintf(key, sizeof key, "k%d", i);
        rk_regcache_put(c, 7, RK_RC_USER, key, &i, sizeof i);
    }
    assert_int_equal(rk_regcache_size(c), 1100);
    int v = -1;
    assert_true(rk_regcache_get(c, 7, RK_RC_USER, "k3", &v, sizeof v));
    assert_int_equal(v, 3);
    /* Lazy puts past the limit empty the cache instead of growing it. */
    for (int i = 1100; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        rk_regcache_put(c, 7, RK_RC_USER, key, &i, sizeof i);
    }
    assert_true(rk_regcache_size(c) < 2048);
    long long h, m, cl;
    rk_regcache_stats(c, &h, &m, &cl);
    assert_true(cl >= 1);
    rk_regcache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hits_and_staleness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_outside_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warm_steps, setup, teardown),
        cmocka_unit_test(test_fill_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
