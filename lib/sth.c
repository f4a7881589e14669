/* Signed tree heads: the signed byte layout, Ed25519 signing through struct rk_signer, the JSON
 * form, and the in-process signer with its key file. The secret key never leaves
 * struct rk_local_signer and is wiped when done. */
#include "rekap/sth.h"
#include "rekap/status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define JSON_INT_MAX ((UINT64_C(1) << 53) - 1)
#define KEY_FILE_MAGIC "rekap-ed25519-seed-v1\n"
#define KEY_FILE_LEN (sizeof KEY_FILE_MAGIC - 1 + 2 * RK_ED25519_SEED_LEN + 1)

_Static_assert(crypto_sign_PUBLICKEYBYTES == RK_ED25519_PUBKEY_LEN, "ed25519 public key size");
_Static_assert(crypto_sign_SEEDBYTES == RK_ED25519_SEED_LEN, "ed25519 seed size");
_Static_assert(crypto_sign_BYTES == RK_ED25519_SIG_LEN, "ed25519 signature size");
_Static_assert(crypto_sign_SECRETKEYBYTES == sizeof ((struct rk_local_signer *)0)->secret,
               "ed25519 secret key size");
_Static_assert(sizeof RK_STH_CONTEXT == 13, "context string is 12 bytes plus its NUL");

int rk_sth_log_id_valid(const char *s)
{
    size_t n = strnlen(s, RK_STH_LOG_ID_MAX + 1);
    if (n == 0 || n > RK_STH_LOG_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

void rk_key_id(const uint8_t public_key[RK_ED25519_PUBKEY_LEN], uint8_t out[RK_KEY_ID_LEN])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, public_key, RK_ED25519_PUBKEY_LEN);
    memcpy(out, h, RK_KEY_ID_LEN);
}

int rk_sth_init(struct rk_sth *sth, const char *log_id, uint64_t tree_size,
                uint64_t timestamp_ms, const uint8_t root[RK_MERKLE_HASH_LEN])
{
    memset(sth, 0, sizeof *sth);
    if (!rk_sth_log_id_valid(log_id))
        return RK_EINVAL;
    memcpy(sth->log_id, log_id, strlen(log_id) + 1);
    sth->tree_size = tree_size;
    sth->timestamp_ms = timestamp_ms;
    memcpy(sth->root, root, RK_MERKLE_HASH_LEN);
    return RK_OK;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

int rk_sth_signed_bytes(const struct rk_sth *sth, uint8_t *out, size_t cap)
{
    if (!rk_sth_log_id_valid(sth->log_id))
        return RK_EINVAL;
    size_t l = strlen(sth->log_id);
    size_t need = sizeof RK_STH_CONTEXT + 1 + l + 8 + 8 + RK_MERKLE_HASH_LEN;
    if (cap < need)
        return RK_ETOOBIG;
    size_t off = 0;
    memcpy(out, RK_STH_CONTEXT, sizeof RK_STH_CONTEXT); /* includes the 0x00 */
    off += sizeof RK_STH_CONTEXT;
    out[off++] = (uint8_t)l;
    memcpy(out + off, sth->log_id, l);
    off += l;
    put_u64(out + off, sth->tree_size);
    off += 8;
    put_u64(out + off, sth->timestamp_ms);
    off += 8;
    memcpy(out + off, sth->root, RK_MERKLE_HASH_LEN);
    off += RK_MERKLE_HASH_LEN;
    return (int)off;
}

int rk_sth_sign(struct rk_sth *sth, const struct rk_signer *signer)
{
    uint8_t msg[RK_STH_SIGNED_MAX];
    memset(sth->key_id, 0, sizeof sth->key_id);
    memset(sth->signature, 0, sizeof sth->signature);
    int len = rk_sth_signed_bytes(sth, msg, sizeof msg);
    if (len < 0)
        return len;
    int rc = signer->sign(signer, msg, (size_t)len, sth->signature);
    if (rc != RK_OK) {
        memset(sth->signature, 0, sizeof sth->signature);
        return rc;
    }
    memcpy(sth->key_id, signer->key_id, RK_KEY_ID_LEN);
    return RK_OK;
}

int rk_sth_verify(const struct rk_sth *sth, const uint8_t public_key[RK_ED25519_PUBKEY_LEN])
{
    uint8_t msg[RK_STH_SIGNED_MAX];
    int len = rk_sth_signed_bytes(sth, msg, sizeof msg);
    if (len < 0)
        return len;
    uint8_t kid[RK_KEY_ID_LEN];
    rk_key_id(public_key, kid);
    if (memcmp(kid, sth->key_id, RK_KEY_ID_LEN) != 0)
        return RK_ESIGNATURE;
    if (sodium_init() < 0)
        return RK_EINTERNAL;
    if (crypto_sign_verify_detached(sth->signature, msg, (unsigned long long)len, public_key) != 0)
        return RK_ESIGNATURE;
    return RK_OK;
}

/* ---- JSON ---- */

static void hex_encode(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0xf];
    }
    out[2 * n] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Exactly 2n lowercase hex digits. */
static int hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != 2 * n)
        return RK_EPARSE;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return RK_EPARSE;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return RK_OK;
}

json_t *rk_sth_to_json(const struct rk_sth *sth)
{
    if (!rk_sth_log_id_valid(sth->log_id) || sth->tree_size > JSON_INT_MAX ||
        sth->timestamp_ms > JSON_INT_MAX)
        return NULL;
    char root[2 * RK_MERKLE_HASH_LEN + 1], kid[2 * RK_KEY_ID_LEN + 1],
        sig[2 * RK_ED25519_SIG_LEN + 1];
    hex_encode(sth->root, RK_MERKLE_HASH_LEN, root);
    hex_encode(sth->key_id, RK_KEY_ID_LEN, kid);
    hex_encode(sth->signature, RK_ED25519_SIG_LEN, sig);
    return json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "log_id", sth->log_id, "tree_size",
                     (json_int_t)sth->tree_size, "timestamp", (json_int_t)sth->timestamp_ms,
                     "root_hash", root, "key_id", kid, "signature", sig);
}

static int get_u53(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return RK_EPARSE;
    json_int_t x = json_integer_value(v);
    if (x < 0 || (uint64_t)x > JSON_INT_MAX)
        return RK_ERANGE;
    *out = (uint64_t)x;
    return RK_OK;
}

static int get_hex(const json_t *o, const char *key, uint8_t *out, size_t n)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return RK_EPARSE;
    return hex_decode(json_string_value(v), json_string_length(v), out, n);
}

int rk_sth_from_json(const json_t *j, struct rk_sth *sth)
{
    memset(sth, 0, sizeof *sth);
    if (!json_is_object(j) || json_object_size(j) != 6)
        return RK_EPARSE;
    const json_t *id = json_object_get(j, "log_id");
    if (!json_is_string(id))
        return RK_EPARSE;
    int rc;
    if ((rc = get_u53(j, "tree_size", &sth->tree_size)) != RK_OK ||
        (rc = get_u53(j, "timestamp", &sth->timestamp_ms)) != RK_OK ||
        (rc = get_hex(j, "root_hash", sth->root, RK_MERKLE_HASH_LEN)) != RK_OK ||
        (rc = get_hex(j, "key_id", sth->key_id, RK_KEY_ID_LEN)) != RK_OK ||
        (rc = get_hex(j, "signature", sth->signature, RK_ED25519_SIG_LEN)) != RK_OK)
        goto fail;
    /* Length first: a NUL inside the JSON string would otherwise hide trailing bytes. */
    size_t idlen = json_string_length(id);
    if (idlen > RK_STH_LOG_ID_MAX || strlen(json_string_value(id)) != idlen ||
        !rk_sth_log_id_valid(json_string_value(id))) {
        rc = RK_EINVAL;
        goto fail;
    }
    memcpy(sth->log_id, json_string_value(id), idlen + 1);
    return RK_OK;
fail:
    memset(sth, 0, sizeof *sth);
    return rc;
}

/* ---- in-process signer ---- */

static int local_sign(const struct rk_signer *self, const uint8_t *msg, size_t len,
                      uint8_t sig[RK_ED25519_SIG_LEN])
{
    /* self is the first member of struct rk_local_signer. */
    const struct rk_local_signer *ls = (const struct rk_local_signer *)self;
    if (crypto_sign_detached(sig, NULL, msg, (unsigned long long)len, ls->secret) != 0)
        return RK_EINTERNAL;
    return RK_OK;
}

int rk_local_signer_init(struct rk_local_signer *ls, const uint8_t seed[RK_ED25519_SEED_LEN])
{
    memset(ls, 0, sizeof *ls);
    if (sodium_init() < 0)
        return RK_EINTERNAL;
    if (crypto_sign_seed_keypair(ls->signer.public_key, ls->secret, seed) != 0) {
        sodium_memzero(ls, sizeof *ls);
        return RK_EINTERNAL;
    }
    rk_key_id(ls->signer.public_key, ls->signer.key_id);
    ls->signer.sign = local_sign;
    ls->signer.ctx = NULL;
    return RK_OK;
}

void rk_local_signer_free(struct rk_local_signer *ls)
{
    sodium_memzero(ls, sizeof *ls);
}

int rk_signer_seed_generate(uint8_t seed[RK_ED25519_SEED_LEN])
{
    if (sodium_init() < 0)
        return RK_EINTERNAL;
    randombytes_buf(seed, RK_ED25519_SEED_LEN);
    return RK_OK;
}

int rk_signer_key_save(const char *path, const uint8_t seed[RK_ED25519_SEED_LEN])
{
    char buf[KEY_FILE_LEN + 1];
    memcpy(buf, KEY_FILE_MAGIC, sizeof KEY_FILE_MAGIC - 1);
    hex_encode(seed, RK_ED25519_SEED_LEN, buf + sizeof KEY_FILE_MAGIC - 1);
    buf[KEY_FILE_LEN - 1] = '\n';

    /* O_EXCL: an existing key is the log's identity; replacing it is never an accident we
     * want to allow. The mode is set at creation so the secret is never briefly readable. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        sodium_memzero(buf, sizeof buf);
        return errno == EEXIST ? RK_EEXIST : RK_EIO;
    }
    int rc = RK_OK;
    /* The umask may have narrowed 0600 but never widened it; still make it exact. */
    if (fchmod(fd, 0600) != 0)
        rc = RK_EIO;
    size_t off = 0;
    while (rc == RK_OK && off < KEY_FILE_LEN) {
        ssize_t w = write(fd, buf + off, KEY_FILE_LEN - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = RK_EIO;
        else
            off += (size_t)w;
    }
    if (rc == RK_OK && fsync(fd) != 0)
        rc = RK_EIO;
    if (close(fd) != 0)
        rc = RK_EIO;
    if (rc != RK_OK)
        unlink(path);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int rk_signer_key_load(const char *path, uint8_t seed[RK_ED25519_SEED_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? RK_ENOTFOUND : RK_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return RK_EIO;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        close(fd);
        return RK_EFORBIDDEN;
    }
    /* Read one byte more than a valid file holds so an over-long file is detected. */
    char buf[KEY_FILE_LEN + 1];
    size_t got = 0;
    int rc = RK_OK;
    while (got < sizeof buf) {
        ssize_t r = read(fd, buf + got, sizeof buf - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = RK_EIO;
            break;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (rc == RK_OK) {
        if (got != KEY_FILE_LEN || memcmp(buf, KEY_FILE_MAGIC, sizeof KEY_FILE_MAGIC - 1) != 0 ||
            buf[KEY_FILE_LEN - 1] != '\n' ||
            hex_decode(buf + sizeof KEY_FILE_MAGIC - 1, 2 * RK_ED25519_SEED_LEN, seed,
                       RK_ED25519_SEED_LEN) != RK_OK)
            rc = RK_EPARSE;
    }
    if (rc != RK_OK)
        sodium_memzero(seed, RK_ED25519_SEED_LEN);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int rk_local_signer_load(struct rk_local_signer *ls, const char *path)
{
    uint8_t seed[RK_ED25519_SEED_LEN];
    memset(ls, 0, sizeof *ls);
    int rc = rk_signer_key_load(path, seed);
    if (rc == RK_OK)
        rc = rk_local_signer_init(ls, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}
