/* The shared demo election of the store, audit and server tests (see demoworld.h). */
#include "demoworld.h"
#include "cli/cli.h"
#include "rekap/demo.h"
#include "rekap/status.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int collect_tps(void *ud, const struct rk_region *r)
{
    struct rk_dw *w = ud;
    if (w->n >= RK_DW_MAX_TPS)
        return 1;
    struct rk_dw_device *d = &w->dev[w->n++];
    memset(d, 0, sizeof *d);
    memcpy(d->tps, r->code, sizeof d->tps);
    d->dpt_l = r->dpt_l;
    d->dpt_p = r->dpt_p;
    return 0;
}

static int collect_race(void *ud, const struct rk_race *r)
{
    struct rk_dw *w = ud;
    if (w->nraces < RK_DW_MAX_RACES)
        w->races[w->nraces++] = *r;
    return 0;
}

void rk_dw_init(struct rk_dw *w, const char *uri, unsigned seed,
                void (*after)(struct rk_dw *w, int i, const struct rk_device_key *key))
{
    memset(w, 0, sizeof *w);
    char seed_s[16];
    snprintf(seed_s, sizeof seed_s, "%u", seed);
    char *argv[] = {"demo", "--db", (char *)uri, "--province", "61", "--scale", "0.02",
                    "--seed", seed_s, NULL};
    assert_int_equal(rk_cmd_demo(9, argv), 0);
    assert_int_equal(rk_store_open(uri, &w->s), RK_OK);
    w->dev = calloc(RK_DW_MAX_TPS, sizeof *w->dev);
    assert_non_null(w->dev);
    assert_int_equal(rk_store_region_at_level(w->s, "", RK_LEVEL_TPS, collect_tps, w), RK_OK);
    assert_true(w->n > 100);
    assert_int_equal(rk_store_race_list(w->s, 0, "61", collect_race, w), RK_OK);
    assert_int_equal(w->nraces, 15);
    w->now = 1732700000000;
    for (int i = 0; i < w->n; i++) {
        struct rk_dw_device *d = &w->dev[i];
        struct rk_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.p.username, sizeof u.p.username, "kpps-%s", d->tps);
        u.p.role = RK_ROLE_KPPS;
        memcpy(u.p.scope, d->tps, sizeof u.p.scope);
        char pw[RK_GENPW_LEN + 1];
        assert_int_equal(rk_auth_user_create(w->s, "cli@test", &u, NULL, 0, w->now, pw), RK_OK);
        d->who = u.p;
        uint8_t pk[32];
        crypto_sign_keypair(pk, d->sk);
        struct rk_device_key key;
        assert_int_equal(rk_auth_device_register(w->s, NULL, u.p.user_id, pk, w->now, &key),
                         RK_OK);
        memcpy(d->key_id, key.key_id, 17);
        if (after)
            after(w, i, &key);
    }
}

void rk_dw_free(struct rk_dw *w)
{
    rk_store_close(w->s);
    free(w->dev);
    w->s = NULL;
    w->dev = NULL;
}

int rk_dw_races_of(const struct rk_dw *w, const char *tps, const struct rk_race **out)
{
    int n = 0;
    for (int i = 0; i < w->nraces && n < 4; i++)
        if (strncmp(tps, w->races[i].region_code, strlen(w->races[i].region_code)) == 0)
            out[n++] = &w->races[i];
    return n;
}

void rk_dw_make_doc(const struct rk_dw *w, const struct rk_dw_device *d, const struct rk_race *r,
                    uint64_t seed, struct rk_chasil *doc)
{
    struct rk_candidate c[RK_CANDIDATES_MAX];
    int n = 0;
    assert_int_equal(rk_store_candidate_list(w->s, r->id, c, RK_CANDIDATES_MAX, &n), RK_OK);
    assert_int_equal(rk_demo_chasil(seed, "pilkada2024", d->tps, r->id, n, c[n - 1].kolom_kosong,
                                    d->dpt_l, d->dpt_p, doc),
                     RK_OK);
}

void rk_dw_account_race(struct rk_store *s, const char *name, enum rk_role role,
                        const char *scope, int64_t race)
{
    struct rk_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "%s", name);
    u.p.role = role;
    snprintf(u.p.scope, sizeof u.p.scope, "%s", scope);
    u.p.race_id = race;
    int rc = rk_auth_user_create(s, "cli@test", &u, RK_DW_PASSWORD, sizeof RK_DW_PASSWORD - 1,
                                 INT64_C(1700000000000), NULL);
    if (rc != RK_OK)
        fail_msg("account %s (%s): %s", name, scope, rk_strerror(rc));
}

void rk_dw_account(struct rk_store *s, const char *name, enum rk_role role, const char *scope)
{
    rk_dw_account_race(s, name, role, scope, 0);
}

void rk_dw_officer(struct rk_dw *w, enum rk_role role, const char *scope,
                   struct rk_principal *out)
{
    struct rk_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.p.username, sizeof u.p.username, "%s-%s", rk_role_name(role), scope);
    u.p.role = role;
    snprintf(u.p.scope, sizeof u.p.scope, "%s", scope);
    char pw[RK_GENPW_LEN + 1];
    assert_int_equal(rk_auth_user_create(w->s, "cli@test", &u, NULL, 0, w->now, pw), RK_OK);
    *out = u.p;
}
