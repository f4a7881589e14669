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
