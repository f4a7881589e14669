/* Log entries: field rules, the canonical binary encoding and its strict decoder. The encoder and
 * the decoder share rk_logentry_check, so nothing that would be refused on the way in can ever be
 * written, and every accepted byte string re-encodes to itself. */
#include "rekap/logentry.h"
#include "rekap/status.h"

#include <string.h>

#include <sodium.h>

static const char *const kind_names[RK_LOGENTRY_KIND_MAX + 1] = {
    [RK_LOGENTRY_SUBMISSION] = "submission",
    [RK_LOGENTRY_CORRECTION] = "correction",
    [RK_LOGENTRY_APPROVAL] = "approval",
    [RK_LOGENTRY_REJECTION] = "rejection",
    [RK_LOGENTRY_ACCOUNT_CHANGE] = "account_change",
    [RK_LOGENTRY_DEVICE_KEY] = "device_key",
    [RK_LOGENTRY_ELECTION_CONFIG] = "election_config",
    [RK_LOGENTRY_SNAPSHOT] = "snapshot",
};

const char *rk_logentry_kind_name(enum rk_logentry_kind kind)
{
    if ((int)kind < 1 || (int)kind > RK_LOGENTRY_KIND_MAX)
        return NULL;
    return kind_names[kind];
}

int rk_logentry_kind_parse(const char *name, enum rk_logentry_kind *kind)
{
    for (int k = 1; k <= RK_LOGENTRY_KIND_MAX; k++) {
        if (strcmp(name, kind_names[k]) == 0) {
            *kind = (enum rk_logentry_kind)k;
            return RK_OK;
        }
    }
    return RK_EINVAL;
}

static int actor_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

static int race_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '/' || c == '-';
}

/* s[0..len) uses only allowed characters. */
static int all_chars(const char *s, size_t len, int (*ok)(char))
{
    for (size_t i = 0; i < len; i++)
        if (!ok(s[i]))
            return 0;
    return 1;
}

/* A region subject is "" or a canonical code: rk_code_parse accepts it and gives it back
 * unchanged (so no dots, no zero groups, a valid length). */
static int region_ok(const char *s, size_t len, enum rk_level *level)
{
    if (len == 0) {
        *level = RK_LEVEL_NATIONAL;
        return 1;
    }
    char canon[RK_CODE_MAX + 1];
    if (len > RK_CODE_MAX || rk_code_parse(s, len, canon, level) != RK_OK)
        return 0;
    return strlen(canon) == len && memcmp(canon, s, len) == 0;
}

/* Rules on already length-checked fields; shared by check and decode. */
static int check_fields(const struct rk_logentry *e, size_t actor_len, size_t region_len,
                        size_t race_len)
{
    if (e->seq > RK_LOGENTRY_NUM_MAX || e->timestamp_ms > RK_LOGENTRY_NUM_MAX)
        return RK_ERANGE;
    if (!rk_logentry_kind_name(e->kind))
        return RK_EINVAL;
    if (actor_len == 0 || !all_chars(e->actor, actor_len, actor_char))
        return RK_EINVAL;
    enum rk_level level;
    if (!region_ok(e->region, region_len, &level))
        return RK_EINVAL;
    if (!all_chars(e->race, race_len, race_char))
        return RK_EINVAL;
    if (e->has_signature && !e->has_device)
        return RK_EINVAL;
    switch (e->kind) {
    case RK_LOGENTRY_SUBMISSION:
    case RK_LOGENTRY_CORRECTION:
        if (region_len == 0 || level != RK_LEVEL_TPS || race_len == 0)
            return RK_EINVAL;
        break;
    case RK_LOGENTRY_APPROVAL:
    case RK_LOGENTRY_REJECTION:
        if (race_len == 0)
            return RK_EINVAL;
        break;
    case RK_LOGENTRY_ACCOUNT_CHANGE:
    case RK_LOGENTRY_SNAPSHOT:
        if (race_len != 0)
            return RK_EINVAL;
        break;
    case RK_LOGENTRY_DEVICE_KEY:
        if (race_len != 0 || !e->has_device)
            return RK_EINVAL;
        break;
    case RK_LOGENTRY_ELECTION_CONFIG:
        break;
    }
    return RK_OK;
}

int rk_logentry_check(const struct rk_logentry *e)
{
    size_t a = strnlen(e->actor, sizeof e->actor);
    size_t r = strnlen(e->region, sizeof e->region);
    size_t c = strnlen(e->race, sizeof e->race);
    /* An unterminated array is a field over its cap. */
    if (a == sizeof e->actor || r == sizeof e->region || c == sizeof e->race)
        return RK_ERANGE;
    return check_fields(e, a, r, c);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int rk_logentry_encode(const struct rk_logentry *e, uint8_t *out, size_t cap)
{
    int rc = rk_logentry_check(e);
    if (rc != RK_OK)
        return rc;
    size_t a = strlen(e->actor), r = strlen(e->region), c = strlen(e->race);
    size_t need = 4 + 1 + 8 + 8 + 1 + 1 + 1 + a + 1 + r + 1 + c + RK_MERKLE_HASH_LEN +
                  (e->has_device ? RK_KEY_ID_LEN : 0) +
                  (e->has_signature ? RK_ED25519_SIG_LEN : 0);
    if (need > cap)
        return RK_ETOOBIG;
    size_t off = 0;
    memcpy(out, RK_LOGENTRY_MAGIC, 4);
    off += 4;
    out[off++] = RK_LOGENTRY_VERSION;
    put_u64(out + off, e->seq);
    off += 8;
    put_u64(out + off, e->timestamp_ms);
    off += 8;
    out[off++] = (uint8_t)e->kind;
    out[off++] = (uint8_t)((e->has_device ? RK_LOGENTRY_F_DEVICE : 0) |
                           (e->has_signature ? RK_LOGENTRY_F_SIGNATURE : 0));
    out[off++] = (uint8_t)a;
    memcpy(out + off, e->actor, a);
    off += a;
    out[off++] = (uint8_t)r;
    memcpy(out + off, e->region, r);
    off += r;
    out[off++] = (uint8_t)c;
    memcpy(out + off, e->race, c);
    off += c;
    memcpy(out + off, e->payload_hash, RK_MERKLE_HASH_LEN);
    off += RK_MERKLE_HASH_LEN;
    if (e->has_device) {
        memcpy(out + off, e->device_key_id, RK_KEY_ID_LEN);
        off += RK_KEY_ID_LEN;
    }
    if (e->has_signature) {
        memcpy(out + off, e->signature, RK_ED25519_SIG_LEN);
        off += RK_ED25519_SIG_LEN;
    }
    return (int)off;
}

/* A bounds-checked cursor over the input. */
struct reader {
    const uint8_t *p;
    size_t len, off;
};

static const uint8_t *take(struct reader *rd, size_t n)
{
    if (rd->len - rd->off < n)
        return NULL;
    const uint8_t *p = rd->p + rd->off;
    rd->off += n;
    return p;
}

/* Reads a length byte (<= max) and that many bytes into dst (NUL-terminated). */
static int take_str(struct reader *rd, char *dst, size_t max, size_t *len)
{
    const uint8_t *l = take(rd, 1);
    if (!l)
        return RK_EPARSE;
    if (*l > max)
        return RK_ERANGE;
    const uint8_t *s = take(rd, *l);
    if (!s)
        return RK_EPARSE;
    memcpy(dst, s, *l);
    dst[*l] = '\0';
    *len = *l;
    return RK_OK;
}

static int decode(struct reader *rd, struct rk_logentry *e)
{
    const uint8_t *p;
    if (!(p = take(rd, 4)) || memcmp(p, RK_LOGENTRY_MAGIC, 4) != 0)
        return RK_EPARSE;
    if (!(p = take(rd, 1)))
        return RK_EPARSE;
    if (*p != RK_LOGENTRY_VERSION)
        return RK_EUNSUPPORTED;
    if (!(p = take(rd, 8 + 8 + 1 + 1)))
        return RK_EPARSE;
    e->seq = get_u64(p);
    e->timestamp_ms = get_u64(p + 8);
    uint8_t kind = p[16], flags = p[17];
    if (kind < 1 || kind > RK_LOGENTRY_KIND_MAX)
        return RK_EINVAL;
    e->kind = (enum rk_logentry_kind)kind;
    if (flags & ~(RK_LOGENTRY_F_DEVICE | RK_LOGENTRY_F_SIGNATURE))
        return RK_EINVAL;
    e->has_device = (flags & RK_LOGENTRY_F_DEVICE) != 0;
    e->has_signature = (flags & RK_LOGENTRY_F_SIGNATURE) != 0;
    size_t a, r, c;
    int rc;
    if ((rc = take_str(rd, e->actor, RK_LOGENTRY_ACTOR_MAX, &a)) != RK_OK ||
        (rc = take_str(rd, e->region, RK_CODE_MAX, &r)) != RK_OK ||
        (rc = take_str(rd, e->race, RK_LOGENTRY_RACE_MAX, &c)) != RK_OK)
        return rc;
    if (!(p = take(rd, RK_MERKLE_HASH_LEN)))
        return RK_EPARSE;
    memcpy(e->payload_hash, p, RK_MERKLE_HASH_LEN);
    if (e->has_device) {
        if (!(p = take(rd, RK_KEY_ID_LEN)))
            return RK_EPARSE;
        memcpy(e->device_key_id, p, RK_KEY_ID_LEN);
    }
    if (e->has_signature) {
        if (!(p = take(rd, RK_ED25519_SIG_LEN)))
            return RK_EPARSE;
        memcpy(e->signature, p, RK_ED25519_SIG_LEN);
    }
    if (rd->off != rd->len)
        return RK_EPARSE;
    /* Strings were taken by length, so a NUL inside one would make the struct disagree with the
     * bytes; the character rules below refuse it along with everything else. */
    return check_fields(e, a, r, c);
}

int rk_logentry_decode(const uint8_t *in, size_t len, struct rk_logentry *e)
{
    memset(e, 0, sizeof *e);
    if (len > RK_LOGENTRY_MAX_BYTES)
        return RK_ETOOBIG;
    struct reader rd = {.p = in, .len = len, .off = 0};
    int rc = decode(&rd, e);
    if (rc != RK_OK)
        memset(e, 0, sizeof *e);
    return rc;
}

int rk_logentry_leaf_hash(const struct rk_logentry *e, uint8_t out[RK_MERKLE_HASH_LEN])
{
    uint8_t buf[RK_LOGENTRY_MAX_BYTES];
    int len = rk_logentry_encode(e, buf, sizeof buf);
    if (len < 0)
        return len;
    rk_merkle_leaf_hash(buf, (size_t)len, out);
    return RK_OK;
}

int rk_logentry_verify_payload(const struct rk_logentry *e, const uint8_t *payload, size_t len,
                               const uint8_t *device_public_key)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, payload, (unsigned long long)len);
    if (sodium_memcmp(h, e->payload_hash, sizeof h) != 0)
        return RK_EVALIDATION;
    if (!e->has_signature)
        return RK_OK;
    if (!e->has_device || !device_public_key)
        return RK_EINVAL;
    uint8_t kid[RK_KEY_ID_LEN];
    rk_key_id(device_public_key, kid);
    if (memcmp(kid, e->device_key_id, RK_KEY_ID_LEN) != 0)
        return RK_ESIGNATURE;
    if (sodium_init() < 0)
        return RK_EINTERNAL;
    if (crypto_sign_verify_detached(e->signature, payload, (unsigned long long)len,
                                    device_public_key) != 0)
        return RK_ESIGNATURE;
    return RK_OK;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0xf];
    }
    out[2 * n] = '\0';
}

json_t *rk_logentry_to_json(const struct rk_logentry *e)
{
    if (rk_logentry_check(e) != RK_OK)
        return NULL;
    char ph[2 * RK_MERKLE_HASH_LEN + 1];
    hex(e->payload_hash, RK_MERKLE_HASH_LEN, ph);
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)e->seq,
                          "timestamp", (json_int_t)e->timestamp_ms, "kind",
                          rk_logentry_kind_name(e->kind), "actor", e->actor, "region",
                          e->region, "race", e->race, "payload_sha256", ph);
    if (!o)
        return NULL;
    if (e->has_device) {
        char kid[2 * RK_KEY_ID_LEN + 1];
        hex(e->device_key_id, RK_KEY_ID_LEN, kid);
        if (json_object_set_new(o, "device_key_id", json_string(kid)) != 0)
            goto fail;
    }
    if (e->has_signature) {
        char sig[2 * RK_ED25519_SIG_LEN + 1];
        hex(e->signature, RK_ED25519_SIG_LEN, sig);
        if (json_object_set_new(o, "signature", json_string(sig)) != 0)
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}
