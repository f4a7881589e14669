/* A demo election to submit into, shared by the store, audit and server tests: a generated
 * province (`rekap demo --province 61 --scale 0.02`), its TPS, its races, and one KPPS account
 * with a registered Ed25519 device key per TPS, so a test can sign real uploads for any TPS. */
#ifndef REKAP_DEMOWORLD_H
#define REKAP_DEMOWORLD_H

#include "testutil.h"
#include "rekap/chasil.h"
#include "rekap/election.h"
#include "store/auth.h"
#include "store/store.h"

#define RK_DW_MAX_TPS 4000
#define RK_DW_MAX_RACES 64

struct rk_dw_device {
    char tps[RK_CODE_MAX + 1];
    struct rk_principal who; /* its KPPS account */
    uint8_t sk[64];          /* its device's secret key */
    char key_id[17];
    uint32_t dpt_l, dpt_p;
};

struct rk_dw {
    struct rk_store *s;
    struct rk_dw_device *dev; /* n of them, in TPS code order */
    int n;
    struct rk_race races[RK_DW_MAX_RACES];
    int nraces;
    int64_t now; /* the tests' clock: accounts are created at its start value */
};

/* Generates the demo election into the store at uri (with seed), opens it into w, and creates
 * the accounts and device keys. after(w, i, key), when given, runs once device i is registered
 * (a test can inspect the log entries that made). Fails the test on any error. */
void rk_dw_init(struct rk_dw *w, const char *uri, unsigned seed,
                void (*after)(struct rk_dw *w, int i, const struct rk_device_key *key));

/* Closes the store and frees the devices. */
void rk_dw_free(struct rk_dw *w);

/* The races a TPS votes in (governor + its kab/kota) into out (room for 4); returns how many. */
int rk_dw_races_of(const struct rk_dw *w, const char *tps, const struct rk_race **out);

/* A generated, rule-abiding C.Hasil of device d for race r (seed varies the numbers). */
void rk_dw_make_doc(const struct rk_dw *w, const struct rk_dw_device *d, const struct rk_race *r,
                    uint64_t seed, struct rk_chasil *doc);

/* The password of rk_dw_account's accounts (tests log in over HTTP with it). */
#define RK_DW_PASSWORD "rahasia-sekali-123"

/* Creates account name (role, scope) with RK_DW_PASSWORD in store s; fails the test on error. */
void rk_dw_account(struct rk_store *s, const char *name, enum rk_role role, const char *scope);

/* rk_dw_account for a saksi of race (0 for any other role). */
void rk_dw_account_race(struct rk_store *s, const char *name, enum rk_role role,
                        const char *scope, int64_t race);

/* An official's account "<role>-<scope>" (e.g. ppk-610101) in w's store at w->now, with a
 * generated password, its principal into out; fails the test on error. */
void rk_dw_officer(struct rk_dw *w, enum rk_role role, const char *scope,
                   struct rk_principal *out);

#endif
