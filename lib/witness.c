/* Witness receipts (see rekap/witness.h): strict parser and the one formatter. Canonical form is
 * enforced by formatting what was parsed and comparing with the input, so no rule can be
 * forgotten on one side only. */
#include "rekap/witness.h"
#include "rekap/status.h"
#include "rekap/submission.h"

#include <stdio.h>
#include <string.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Unpadded base64url of n bytes; out needs 4 * n / 3 + 2 bytes. Returns the length. */
static size_t b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64url, c) : NULL;
    return p ? (int)(p - b64url) : -1;
}

/* Decodes exactly the unpadded base64url of n bytes. Leftover bits are checked by the caller's
 * re-encoding, so only the alphabet and the length are checked here. */
static int b64_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != (4 * n + 2) / 3)
        return RK_EINVAL;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(s[i]);
        if (v < 0)
            return RK_EINVAL;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < n)
                out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o == n ? RK_OK : RK_EINVAL;
}

static int is_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Decimal without sign or leading zeros, at most max. */
static int parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > 16 || (len > 1 && s[0] == '0'))
        return RK_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return RK_EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return RK_ERANGE;
    *out = v;
    return RK_OK;
}

static int race_ok(const char *s, size_t len)
{
    if (len == 0 || len > RK_LOGENTRY_RACE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("._:/-", c)))
            return 0;
    }
    return 1;
}

static int tps_ok(const char *s, size_t len)
{
    char canon[RK_CODE_MAX + 1];
    enum rk_level level;
    if (len != 13)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return rk_code_parse(s, len, canon, &level) == RK_OK && level == RK_LEVEL_TPS &&
           memcmp(canon, s, 13) == 0;
}

int rk_witness_format(const struct rk_witness *w, char *out, size_t cap)
{
    size_t rl = strnlen(w->race, sizeof w->race);
    if (!tps_ok(w->tps, strnlen(w->tps, sizeof w->tps)) || !race_ok(w->race, rl))
        return RK_EINVAL;
    if (w->version < 1 || w->version > RK_WITNESS_VERSION_MAX ||
        w->log_index > RK_LOGENTRY_NUM_MAX)
        return RK_ERANGE;
    char doc[65], dev[17], sig[RK_WITNESS_SIG_B64_LEN + 2];
    rk_hex(w->doc_hash, 32, doc);
    rk_hex(w->device, RK_KEY_ID_LEN, dev);
    b64_encode(w->sig, RK_ED25519_SIG_LEN, sig);
    int n = snprintf(out, cap, "%s|%s|%s|%d|%s|%s|%s|%llu", RK_WITNESS_TAG, w->tps, w->race,
                     w->version, doc, dev, sig, (unsigned long long)w->log_index);
    if (n < 0 || (size_t)n >= cap)
        return RK_ETOOBIG;
    return n;
}

int rk_witness_parse(const char *s, size_t len, struct rk_witness *w)
{
    memset(w, 0, sizeof *w);
    if (len > RK_WITNESS_MAX)
        return RK_ETOOBIG;
    /* Split on '|': exactly 8 fields. */
    const char *f[8];
    size_t fl[8], nf = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '|')
            continue;
        if (nf == 8)
            return RK_EPARSE;
        f[nf] = s + start;
        fl[nf++] = i - start;
        start = i + 1;
    }
    if (nf != 8 || fl[0] != 4 || memcmp(f[0], RK_WITNESS_TAG, 4) != 0)
        return RK_EPARSE;
    int rc = RK_EINVAL;
    uint64_t version, index;
    if (!tps_ok(f[1], fl[1]) || !race_ok(f[2], fl[2]))
        goto fail;
    memcpy(w->tps, f[1], 13);
    memcpy(w->race, f[2], fl[2]);
    if ((rc = parse_dec(f[3], fl[3], RK_WITNESS_VERSION_MAX, &version)) != RK_OK ||
        (rc = parse_dec(f[7], fl[7], RK_LOGENTRY_NUM_MAX, &index)) != RK_OK)
        goto fail;
    rc = RK_EINVAL;
    if (version == 0)
        goto fail;
    w->version = (int)version;
    w->log_index = index;
    if (fl[4] != 64 || !is_lower_hex(f[4], 64) || rk_unhex(f[4], 64, w->doc_hash, 32) != RK_OK)
        goto fail;
    if (fl[5] != 16 || !is_lower_hex(f[5], 16) ||
        rk_unhex(f[5], 16, w->device, RK_KEY_ID_LEN) != RK_OK)
        goto fail;
    if (b64_decode(f[6], fl[6], w->sig, RK_ED25519_SIG_LEN) != RK_OK)
        goto fail;
    /* Canonical: the one spelling (this also rejects base64 with stray low bits). */
    char again[RK_WITNESS_MAX + 1];
    int n = rk_witness_format(w, again, sizeof again);
    if (n < 0 || (size_t)n != len || memcmp(again, s, len) != 0)
        goto fail;
    return RK_OK;
fail:
    memset(w, 0, sizeof *w);
    return rc;
}
