/* Statements recorded in the transparency log (see rekap/statement.h). */
#include "rekap/statement.h"
#include "rekap/status.h"
#include "rekap/submission.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int done(int n, size_t cap, size_t *len)
{
    if (n < 0 || (size_t)n >= cap)
        return RK_ETOOBIG;
    *len = (size_t)n;
    return RK_OK;
}

int rk_statement_upload(const char *tps, const uint8_t doc[32], const uint8_t *prev,
                        const uint8_t (*photos)[32], int n_photos, char *buf, size_t cap,
                        size_t *len)
{
    if (n_photos < 0 || n_photos > RK_STATEMENT_PHOTOS_MAX)
        return RK_ERANGE;
    char d[65], p[65], ph[RK_STATEMENT_PHOTOS_MAX * 65 + 2];
    rk_hex(doc, 32, d);
    if (prev)
        rk_hex(prev, 32, p);
    else
        strcpy(p, "-");
    strcpy(ph, "-");
    for (int i = 0; i < n_photos; i++)
        rk_hex(photos[i], 32, ph + 65 * i), ph[65 * i + 64] = ',';
    if (n_photos)
        ph[65 * n_photos - 1] = '\0';
    return done(snprintf(buf, cap, "rekap-submission-v1\ntps=%s\ndoc=%s\nprev=%s\nphotos=%s\n", tps,
                         d, p, ph),
                cap, len);
}

int rk_statement_correction(const char *tps, const uint8_t doc[32], const uint8_t prev[32],
                            const char *reason, char *buf, size_t cap, size_t *len)
{
    char d[65], p[65], r[65];
    uint8_t rh[32];
    crypto_hash_sha256(rh, (const unsigned char *)reason, strlen(reason));
    rk_hex(doc, 32, d);
    rk_hex(prev, 32, p);
    rk_hex(rh, 32, r);
    return done(snprintf(buf, cap, "rekap-correction-v1\ntps=%s\ndoc=%s\nprev=%s\nreason=%s\n", tps,
                         d, p, r),
                cap, len);
}

int rk_statement_approval(const char *tps, int version, const uint8_t doc[32], char *buf,
                          size_t cap, size_t *len)
{
    char d[65];
    rk_hex(doc, 32, d);
    return done(snprintf(buf, cap, "rekap-approval-v1\ntps=%s\nversion=%d\ndoc=%s\n", tps, version,
                         d),
                cap, len);
}

int rk_statement_objection(const char *tps, int version, const uint8_t doc[32],
                           const char *reason, char *buf, size_t cap, size_t *len)
{
    char d[65], r[65];
    uint8_t rh[32];
    crypto_hash_sha256(rh, (const unsigned char *)reason, strlen(reason));
    rk_hex(doc, 32, d);
    rk_hex(rh, 32, r);
    return done(snprintf(buf, cap, "rekap-objection-v1\ntps=%s\nversion=%d\ndoc=%s\nreason=%s\n",
                         tps, version, d, r),
                cap, len);
}

/* A value that cannot break the line format: non-empty, printable, no '=' or space. */
static int field_ok(const char *v)
{
    if (!v || !v[0])
        return 0;
    for (const char *p = v; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '=')
            return 0;
    return 1;
}

int rk_statement_account(const char *user, const char *role, const char *scope,
                         const char *race_ref, enum rk_account_action action, char *buf,
                         size_t cap, size_t *len)
{
    static const char *const names[] = {"create", "disable", "enable", "password"};
    if ((unsigned)action >= sizeof names / sizeof names[0])
        return RK_EINVAL;
    const char *sc = scope && scope[0] ? scope : "-";
    const char *ra = race_ref && race_ref[0] ? race_ref : "-";
    if (!field_ok(user) || !field_ok(role) || !field_ok(sc) || !field_ok(ra))
        return RK_EINVAL;
    return done(snprintf(buf, cap, "rekap-account-v1\nuser=%s\nrole=%s\nscope=%s\nrace=%s\n"
                                   "action=%s\n",
                         user, role, sc, ra, names[action]),
                cap, len);
}

int rk_statement_device(const char *user, const char *key_id, const uint8_t public_key[32],
                        enum rk_device_action action, char *buf, size_t cap, size_t *len)
{
    if (action != RK_DEVICE_REGISTER && action != RK_DEVICE_REVOKE)
        return RK_EINVAL;
    if (!field_ok(user) || !field_ok(key_id) || !public_key)
        return RK_EINVAL;
    char pk[65];
    rk_hex(public_key, 32, pk);
    return done(snprintf(buf, cap, "rekap-device-v1\nuser=%s\nkey=%s\npublic_key=%s\naction=%s\n",
                         user, key_id, pk, action == RK_DEVICE_REGISTER ? "register" : "revoke"),
                cap, len);
}

int rk_statement_race(const char *race_ref, const char *region, enum rk_race_kind kind,
                      const char *name, const struct rk_candidate *c, int n, char *buf,
                      size_t cap, size_t *len)
{
    const char *rg = region && region[0] ? region : "-";
    const char *kc = rk_race_kind_code(kind);
    if (!field_ok(race_ref) || !field_ok(rg) || strcmp(kc, "?") == 0 || !name || !c || n < 1 ||
        n > RK_CANDIDATES_MAX)
        return RK_EINVAL;
    /* ballot order, whatever order the caller holds them in */
    const struct rk_candidate *by_no[RK_CANDIDATES_MAX] = {0};
    for (int i = 0; i < n; i++) {
        if (c[i].ballot_no < 1 || c[i].ballot_no > n || by_no[c[i].ballot_no - 1])
            return RK_EINVAL;
        by_no[c[i].ballot_no - 1] = &c[i];
    }
    uint8_t h[32];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)name, strlen(name));
    rk_hex(h, 32, hex);
    int w = snprintf(buf, cap, "rekap-race-v1\nrace=%s\nregion=%s\nkind=%s\nname=%s\n"
                               "candidates=%d\n",
                     race_ref, rg, kc, hex, n);
    for (int i = 0; i < n && w >= 0 && (size_t)w < cap; i++) {
        crypto_hash_sha256(h, (const unsigned char *)by_no[i]->name, strlen(by_no[i]->name));
        rk_hex(h, 32, hex);
        int k = snprintf(buf + w, cap - (size_t)w, "candidate=%d,%d,%s\n", by_no[i]->ballot_no,
                         by_no[i]->kolom_kosong ? 1 : 0, hex);
        w = k < 0 ? k : w + k;
    }
    return done(w, cap, len);
}
