/* Looking up the race of a printed form (see form_race.h). */
#include "store/form_race.h"
#include "rekap/status.h"

#include <string.h>

struct pick {
    const struct rk_form_qr *q;
    struct rk_race found;
    int n;
};

static int visit(void *ud, const struct rk_race *r)
{
    struct pick *p = ud;
    if (r->kind == p->q->kind && strcmp(r->region_code, p->q->region) == 0) {
        p->found = *r;
        p->n++;
    }
    return 0;
}

int rk_store_form_race(struct rk_store *s, const struct rk_form_qr *q, struct rk_race *race,
                       int *ncand)
{
    struct rk_election e;
    int rc = rk_store_election_by_slug(s, q->election, &e);
    if (rc != RK_OK)
        return rc;
    struct rk_region tps;
    if ((rc = rk_store_region_get(s, q->tps, &tps)) != RK_OK)
        return rc;
    struct pick p = {.q = q};
    if ((rc = rk_store_race_list(s, e.id, q->tps, visit, &p)) != RK_OK)
        return rc;
    if (p.n != 1)
        return RK_ENOTFOUND;
    struct rk_candidate cand[RK_CANDIDATES_MAX];
    int n = 0;
    if ((rc = rk_store_candidate_list(s, p.found.id, cand, RK_CANDIDATES_MAX, &n)) != RK_OK)
        return rc;
    *race = p.found;
    *ncand = n;
    return RK_OK;
}
