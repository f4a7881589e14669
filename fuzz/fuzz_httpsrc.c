/* Fuzz target: every parser of the audit source over HTTP (cli/httpsrc.c), fed answers a
 * lying server could give: the input is cut at each "\n\n" into JSON texts, and request k gets
 * text k (cycling), so one input answers the head, a log page, the elections and races, a
 * version, a TPS's state, a region's results, its TPS list, a TPS's objections and a device
 * key in turn. Besides
 * not crashing: what is accepted is within its bounds (versions 1..1,000,000, a page's entries
 * within their cap, the candidates of a race within RK_CANDIDATES_MAX). */
#define _GNU_SOURCE /* memmem */
#include "cli/httpsrc.h"
#include "rekap/status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct answers {
    const char *p[16];
    size_t len[16];
    int n, next;
};

static int fetch(void *ud, const char *path, json_t **out)
{
    (void)path;
    struct answers *a = ud;
    int k = a->next++ % a->n;
    json_error_t err;
    *out = json_loadb(a->p[k], a->len[k], JSON_REJECT_DUPLICATES, &err);
    return *out ? RK_OK : RK_EPARSE;
}

static int on_tally(void *ud, const char *code, enum rk_level level, const struct rk_tally *t)
{
    (void)ud, (void)t;
    if (!code || level < RK_LEVEL_NATIONAL || level > RK_LEVEL_TPS)
        __builtin_trap();
    return RK_OK;
}

static int on_tps(void *ud, const struct rk_audit_tps *t)
{
    (void)ud;
    if (!memchr(t->tps, 0, sizeof t->tps) || t->objections < 0 ||
        t->objections > RK_OBJECTIONS_MAX)
        __builtin_trap();
    return RK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct answers a = {.n = 0};
    const char *s = (const char *)data, *end = s + size;
    while (a.n < 16) {
        const char *cut = memmem(s, (size_t)(end - s), "\n\n", 2);
        a.p[a.n] = s;
        a.len[a.n] = (size_t)((cut ? cut : end) - s);
        a.n++;
        if (!cut)
            break;
        s = cut + 2;
    }
    struct rk_http_src h;
    struct rk_audit_src src;
    if (rk_http_src_init(&h, "http://127.0.0.1:9", &src) != RK_OK)
        __builtin_trap();
    h.fetch = fetch, h.fetch_ud = &a;
    struct rk_sth sth;
    uint8_t pub[32], buf[RK_LOGENTRY_MAX_BYTES];
    size_t len;
    src.sth(src.ctx, &sth, pub);
    if (src.entry(src.ctx, 0, buf, sizeof buf, &len) == RK_OK && len > sizeof buf)
        __builtin_trap();
    struct rk_audit_race *races = NULL;
    size_t nr = 0;
    if (src.races(src.ctx, &races, &nr) == RK_OK) {
        for (size_t i = 0; i < nr; i++)
            if (races[i].ncand < 0 || races[i].ncand > RK_CANDIDATES_MAX)
                __builtin_trap();
        struct rk_version *v = malloc(sizeof *v);
        int cur;
        if (v && nr > 0) {
            if (src.version(src.ctx, races[0].ref, "6101012001001", 1, v) == RK_OK &&
                (v->version < 1 || v->version > 1000000 || v->n_photos > RK_PHOTOS_MAX))
                __builtin_trap();
            if (src.current(src.ctx, races[0].ref, "6101012001001", &cur) == RK_OK &&
                (cur < 0 || cur > 1000000))
                __builtin_trap();
            struct rk_tally t;
            src.tally(src.ctx, &races[0], "61", &t, on_tally, NULL);
            src.tps_states(src.ctx, &races[0], "61", on_tps, NULL);
            struct rk_objection *ob = malloc(RK_OBJECTIONS_MAX * sizeof *ob);
            int no = 0;
            if (ob && src.objections(src.ctx, races[0].ref, "6101012001001", ob,
                                     RK_OBJECTIONS_MAX, &no) == RK_OK) {
                if (no < 0 || no > RK_OBJECTIONS_MAX)
                    __builtin_trap();
                for (int i = 0; i < no; i++)
                    if (ob[i].version < 1 || ob[i].log_index < 0 ||
                        !memchr(ob[i].reason, 0, sizeof ob[i].reason))
                        __builtin_trap();
            }
            free(ob);
        }
        free(v);
    }
    free(races);
    struct rk_audit_device d;
    src.device(src.ctx, "961f565e95c16e61", &d);
    rk_http_src_free(&h);
    return 0;
}
