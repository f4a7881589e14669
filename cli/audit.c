/* rekap audit URL|FILE: an independent audit of a rekap log and its published results, by
 * anyone, from the public API (or a copy of the database). It trusts nothing it downloads:
 *
 *   1. the latest signed tree head verifies with the pinned log key;
 *   2. every log entry decodes strictly, sits at its own index, and the Merkle root recomputed
 *      over all of them equals the signed root (a changed entry cannot hide);
 *   3. with --state FILE, the head saved by the previous audit is a prefix of this one (the
 *      root recomputed at the old size matches, and the server's consistency proof verifies):
 *      the log only grew;
 *   4. every upload and correction entry is matched with its published version: the document
 *      hashes to its hash, the statement rebuilt from the version hashes to the entry's
 *      payload hash, and an upload's device signature verifies with the published device key;
 *      every approval names the then-current version; every upload's device key was registered
 *      by a device_key entry earlier in the log (not revoked since, its account not disabled),
 *      and every device_key entry rebuilds from the published key and owner, whose creation
 *      was logged before it;
 *   5. replaying the versions in log order gives every TPS's current numbers, summed up to
 *      every desa, kecamatan, kabupaten/kota, province and the nation for every race, and these
 *      are compared with the published results (all of them, or --sample N regions).
 *
 * Every difference is printed precisely (Bahasa Indonesia / English) and the exit status is 1
 * when there is any; 0 means the whole published record is consistent with the signed log. */
#include "cli/cli.h"
#include "cli/httpsrc.h"
#include "cli/io.h"
#include "cli/logkey.h"
#include "rekap/chasil.h"
#include "rekap/hash.h"
#include "rekap/status.h"
#include "rekap/submission.h"
#include "rekap/text.h"
#include "store/audit.h"

#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX 200 /* problem lines printed; the rest are only counted */

/* ---- a small string-keyed hash map (key -> index) ---- */

#define KEY_MAX 80

struct map {
    char (*keys)[KEY_MAX];
    size_t *vals;
    size_t cap, n;
};

static int map_grow(struct map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct map n = {calloc(cap, KEY_MAX), calloc(cap, sizeof(size_t)), cap, 0};
    if (!n.keys || !n.vals) {
        free(n.keys);
        free(n.vals);
        return RK_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i][0])
            continue;
        size_t j = rk_hash_str(0, m->keys[i]) & (cap - 1);
        while (n.keys[j][0])
            j = (j + 1) & (cap - 1);
        memcpy(n.keys[j], m->keys[i], KEY_MAX);
        n.vals[j] = m->vals[i];
        n.n++;
    }
    free(m->keys);
    free(m->vals);
    *m = n;
    return RK_OK;
}

/* Finds key; when absent and insert_val is not SIZE_MAX, inserts it. Returns the value or
 * SIZE_MAX (absent, or out of memory). */
static size_t map_get(struct map *m, const char *key, size_t insert_val)
{
    if (m->cap) {
        for (size_t j = rk_hash_str(0, key) & (m->cap - 1); m->keys[j][0];
             j = (j + 1) & (m->cap - 1))
            if (strcmp(m->keys[j], key) == 0)
                return m->vals[j];
    }
    if (insert_val == SIZE_MAX)
        return SIZE_MAX;
    if ((m->n + 1) * 2 > m->cap && map_grow(m) != RK_OK)
        return SIZE_MAX;
    size_t j = rk_hash_str(0, key) & (m->cap - 1);
    while (m->keys[j][0])
        j = (j + 1) & (m->cap - 1);
    snprintf(m->keys[j], KEY_MAX, "%s", key);
    m->vals[j] = insert_val;
    m->n++;
    return insert_val;
}

/* Sets key to val, inserting it when absent. Returns RK_OK or RK_ENOMEM. */
static int map_set(struct map *m, const char *key, size_t val)
{
    if (m->cap)
        for (size_t j = rk_hash_str(0, key) & (m->cap - 1); m->keys[j][0];
             j = (j + 1) & (m->cap - 1))
            if (strcmp(m->keys[j], key) == 0) {
                m->vals[j] = val;
                return RK_OK;
            }
    return map_get(m, key, val) == val ? RK_OK : RK_ENOMEM;
}

static void map_free(struct map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- audit state ---- */

struct slot { /* one (race, TPS) as replayed from the log */
    size_t race;
    char tps[RK_CODE_MAX + 1];
    int version;
    int objections; /* `rejection` entries naming it */
    uint8_t doc[32];
    bool approved, seen;
    struct rk_tally t;
};

struct sum { /* one (race, region) recounted */
    size_t race;
    char code[RK_CODE_MAX + 1];
    struct rk_tally t;
    bool seen;
};

struct dev {
    int status; /* RK_OK when the key was published and its id matches */
    uint8_t pub[32];
    int64_t revoked_at;
    int64_t log_index; /* its registration entry as published; -1 not recorded */
    char owner[RK_ACTOR_MAX + 1], scope[RK_CODE_MAX + 1]; /* as published */
    int role;             /* the owner's role, once its logged creation is found; -1 before */
    bool registered;      /* a device_key entry so far registered exactly this key */
    bool revoked;         /* a device_key entry so far revoked it */
};

struct config { /* a race's latest election_config entry, as replayed */
    bool seen;
    uint64_t index;
    uint8_t hash[32];
};

struct audit {
    const struct rk_audit_src *src;
    long problems, printed;
    struct rk_audit_race *races;
    size_t nraces;
    struct config *configs; /* per race */
    struct map race_by_ref;
    struct slot *slots;
    size_t nslots, capslots;
    struct map slot_by_key;
    struct sum *sums;
    size_t nsums, capsums;
    struct map sum_by_key;
    struct dev *devs;
    size_t ndevs, capdevs;
    struct map dev_by_id;
    struct map acct_by_hash; /* account_change payload hash (hex) -> latest log index */
    struct rk_version *v; /* scratch */
    /* counters for the summary */
    long objections;
    long versions, signatures, approvals, other_entries, regions, tps_checked, accounts, devkeys,
        configs_seen;
};

static void problem(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct audit *a, const char *fmt, ...)
{
    a->problems++;
    if (a->printed >= REPORT_MAX)
        return;
    a->printed++;
    va_list ap;
    va_start(ap, fmt);
    fputs("BEDA / MISMATCH: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 256;
    void *q = realloc(p, c * size);
    if (q)
        *cap = c;
    return q;
}

static struct slot *slot_for(struct audit *a, size_t race, const char *tps, bool create)
{
    char key[KEY_MAX];
    snprintf(key, sizeof key, "%zu|%s", race, tps);
    size_t i = map_get(&a->slot_by_key, key, SIZE_MAX);
    if (i != SIZE_MAX)
        return &a->slots[i];
    if (!create)
        return NULL;
    struct slot *s = grow(a->slots, a->nslots, &a->capslots, sizeof *s);
    if (!s)
        return NULL;
    a->slots = s;
    if (map_get(&a->slot_by_key, key, a->nslots) != a->nslots)
        return NULL;
    s = &a->slots[a->nslots++];
    memset(s, 0, sizeof *s);
    s->race = race;
    snprintf(s->tps, sizeof s->tps, "%s", tps);
    return s;
}

static struct sum *sum_for(struct audit *a, size_t race, const char *code, bool create)
{
    char key[KEY_MAX];
    snprintf(key, sizeof key, "%zu|%s", race, code);
    size_t i = map_get(&a->sum_by_key, key, SIZE_MAX);
    if (i != SIZE_MAX)
        return &a->sums[i];
    if (!create)
        return NULL;
    struct sum *s = grow(a->sums, a->nsums, &a->capsums, sizeof *s);
    if (!s)
        return NULL;
    a->sums = s;
    if (map_get(&a->sum_by_key, key, a->nsums) != a->nsums)
        return NULL;
    s = &a->sums[a->nsums++];
    memset(s, 0, sizeof *s);
    s->race = race;
    snprintf(s->code, sizeof s->code, "%s", code);
    return s;
}

static struct dev *device(struct audit *a, const uint8_t id[RK_KEY_ID_LEN])
{
    char hex[17];
    rk_hex(id, RK_KEY_ID_LEN, hex);
    size_t i = map_get(&a->dev_by_id, hex, SIZE_MAX);
    if (i != SIZE_MAX)
        return &a->devs[i];
    struct dev *d = grow(a->devs, a->ndevs, &a->capdevs, sizeof *d);
    if (!d)
        return NULL;
    a->devs = d;
    if (map_get(&a->dev_by_id, hex, a->ndevs) != a->ndevs)
        return NULL;
    d = &a->devs[a->ndevs++];
    memset(d, 0, sizeof *d);
    d->role = -1;
    struct rk_audit_device ad;
    d->status = a->src->device(a->src->ctx, hex, &ad);
    if (d->status == RK_OK) {
        uint8_t kid[RK_KEY_ID_LEN];
        rk_key_id(ad.pub, kid);
        if (memcmp(kid, id, RK_KEY_ID_LEN) != 0)
            d->status = RK_ESIGNATURE; /* the published key is not the one with this id */
        memcpy(d->pub, ad.pub, 32);
        d->revoked_at = ad.revoked_at;
        d->log_index = ad.log_index;
        snprintf(d->owner, sizeof d->owner, "%s", ad.owner);
        snprintf(d->scope, sizeof d->scope, "%s", ad.scope);
    }
    return d;
}

/* ---- account and device-key entries ---- */

/* Hex SHA-256 of the account statement (user, role, scope, no race) for action; "" when it
 * cannot be built. */
static void account_hash(const char *user, int role, const char *scope,
                         enum rk_account_action action, char hex[65])
{
    char st[RK_STATEMENT_BUF];
    size_t len;
    uint8_t h[32];
    hex[0] = '\0';
    if (rk_statement_account(user, rk_role_name((enum rk_role)role), scope, NULL, action, st,
                             sizeof st, &len) != RK_OK)
        return;
    crypto_hash_sha256(h, (const unsigned char *)st, len);
    rk_hex(h, 32, hex);
}

/* Log index of the latest account entry so far with this statement, or -1. */
static long long account_seen(struct audit *a, const char *user, int role, const char *scope,
                              enum rk_account_action action)
{
    char hex[65];
    account_hash(user, role, scope, action, hex);
    size_t i = hex[0] ? map_get(&a->acct_by_hash, hex, SIZE_MAX) : SIZE_MAX;
    return i == SIZE_MAX ? -1 : (long long)i;
}

/* An account entry: its subject is only in the hashed statement, so remember the hash; device
 * entries and uploads later look up the statements of the accounts they name. */
static void replay_account(struct audit *a, uint64_t index, const struct rk_logentry *e)
{
    char hex[65];
    rk_hex(e->payload_hash, 32, hex);
    if (map_set(&a->acct_by_hash, hex, (size_t)index) != RK_OK) /* the latest index wins */
        problem(a, "kehabisan memori / out of memory");
    a->accounts++;
}

/* An election_config entry: the race it names must exist; its statement is checked against
 * the race as published once the whole log is replayed (check_configs), since a later entry
 * may redefine the race. */
static void replay_config(struct audit *a, uint64_t index, const struct rk_logentry *e)
{
    a->configs_seen++;
    size_t race = map_get(&a->race_by_ref, e->race, SIZE_MAX);
    if (race == SIZE_MAX) {
        problem(a, "entri log #%llu mengumumkan pemilihan tak dikenal %s / log entry #%llu "
                   "publishes an unknown race %s",
                (unsigned long long)index, e->race, (unsigned long long)index, e->race);
        return;
    }
    a->configs[race] = (struct config){.seen = true, .index = index};
    memcpy(a->configs[race].hash, e->payload_hash, 32);
}

/* Every race's published name and columns must rebuild its latest election_config statement:
 * otherwise a column was renamed, reordered or added after the log recorded it. */
static void check_configs(struct audit *a)
{
    for (size_t i = 0; i < a->nraces; i++) {
        const struct rk_audit_race *r = &a->races[i];
        if (!a->configs[i].seen) {
            problem(a, "pemilihan %s tidak pernah diumumkan di log (tidak ada entri "
                       "election_config) / race %s was never published in the log (no "
                       "election_config entry)",
                    r->ref, r->ref);
            continue;
        }
        char st[RK_STATEMENT_BUF];
        size_t len;
        uint8_t h[32];
        if (rk_statement_race(r->ref, r->region, r->kind, r->name, r->cand, r->ncand, st,
                              sizeof st, &len) != RK_OK) {
            problem(a, "pemilihan %s: nama atau daftar paslon yang diumumkan tidak sah / race %s: "
                       "the published name or candidate list is malformed",
                    r->ref, r->ref);
            continue;
        }
        crypto_hash_sha256(h, (const unsigned char *)st, len);
        if (memcmp(h, a->configs[i].hash, 32) != 0)
            problem(a, "pemilihan %s: nama atau paslon yang diumumkan berbeda dari entri log #%llu "
                       "/ race %s: the published name or candidates differ from log entry #%llu",
                    r->ref, (unsigned long long)a->configs[i].index, r->ref,
                    (unsigned long long)a->configs[i].index);
    }
}

/* A device-key entry: the published key with this id, its owner and public key must rebuild
 * the logged statement (register or revoke), and the owner's creation must be logged before. */
static void replay_device(struct audit *a, uint64_t index, const struct rk_logentry *e)
{
    char kid[17];
    rk_hex(e->device_key_id, RK_KEY_ID_LEN, kid);
    a->devkeys++;
    struct dev *d = device(a, e->device_key_id);
    if (!d || d->status != RK_OK) {
        problem(a, "entri log #%llu: kunci perangkat %s tidak dipublikasikan dengan benar / log "
                   "entry #%llu: device key %s is not properly published",
                (unsigned long long)index, kid, (unsigned long long)index, kid);
        return;
    }
    char st[RK_STATEMENT_BUF];
    size_t len;
    uint8_t h[32];
    int action = -1;
    for (int act = RK_DEVICE_REGISTER; act <= RK_DEVICE_REVOKE && action < 0; act++) {
        if (rk_statement_device(d->owner, kid, d->pub, (enum rk_device_action)act, st, sizeof st,
                                &len) != RK_OK)
            continue;
        crypto_hash_sha256(h, (const unsigned char *)st, len);
        if (memcmp(h, e->payload_hash, 32) == 0)
            action = act;
    }
    if (action < 0) {
        problem(a, "entri log #%llu: pernyataan kunci perangkat %s tidak cocok dengan kunci publik "
                   "dan pemilik yang dipublikasikan (%s) / log entry #%llu: the statement of "
                   "device key %s does not match the published public key and owner (%s)",
                (unsigned long long)index, kid, d->owner, (unsigned long long)index, kid,
                d->owner);
        return;
    }
    if (action == RK_DEVICE_REGISTER) {
        if (d->registered)
            problem(a, "entri log #%llu: kunci perangkat %s didaftarkan dua kali / log entry "
                       "#%llu: device key %s is registered twice",
                    (unsigned long long)index, kid, (unsigned long long)index, kid);
        d->registered = true;
        /* witnesses look the registration up where the server says it is (rekap verify) */
        if (d->log_index >= 0 && (uint64_t)d->log_index != index)
            problem(a, "kunci perangkat %s: indeks pendaftaran yang dipublikasikan (%lld) bukan "
                       "entri log #%llu yang mendaftarkannya / device key %s: the published "
                       "registration index (%lld) is not log entry #%llu, which registered it",
                    kid, (long long)d->log_index, (unsigned long long)index, kid,
                    (long long)d->log_index, (unsigned long long)index);
        for (int r = 1; r < RK_ROLE_COUNT && d->role < 0; r++)
            if (account_seen(a, d->owner, r, d->scope, RK_ACCOUNT_CREATE) >= 0)
                d->role = r;
        if (d->role < 0)
            problem(a, "entri log #%llu: akun %s pemilik kunci %s tidak pernah tercatat dibuat "
                       "sebelumnya / log entry #%llu: account %s, owner of key %s, has no earlier "
                       "logged creation",
                    (unsigned long long)index, d->owner, kid, (unsigned long long)index,
                    d->owner, kid);
        return;
    }
    if (!d->registered || d->revoked)
        problem(a, "entri log #%llu: pencabutan kunci perangkat %s yang tidak terdaftar atau sudah "
                   "dicabut / log entry #%llu: revocation of device key %s that is not registered "
                   "or already revoked",
                (unsigned long long)index, kid, (unsigned long long)index, kid);
    if (d->revoked_at == 0)
        problem(a, "entri log #%llu: log mencabut kunci perangkat %s tetapi kunci itu diumumkan "
                   "masih berlaku / log entry #%llu: the log revokes device key %s but it is "
                   "published as valid",
                (unsigned long long)index, kid, (unsigned long long)index, kid);
    d->revoked = true;
}

/* For an upload signed by d: the log must have registered the key before, not revoked it, and
 * not have disabled its owner since the owner's last enabling. */
static void check_signer(struct audit *a, uint64_t index, const struct dev *d, const char *kid)
{
    if (!d->registered)
        problem(a, "entri log #%llu: kunci perangkat %s menandatangani unggahan tetapi tidak "
                   "pernah didaftarkan di log sebelumnya / log entry #%llu: device key %s signed "
                   "an upload but the log never registered it before",
                (unsigned long long)index, kid, (unsigned long long)index, kid);
    else if (d->revoked)
        problem(a, "entri log #%llu: kunci perangkat %s menandatangani unggahan setelah log "
                   "mencabutnya / log entry #%llu: device key %s signed an upload after the log "
                   "revoked it",
                (unsigned long long)index, kid, (unsigned long long)index, kid);
    else if (d->role >= 0 &&
             account_seen(a, d->owner, d->role, d->scope, RK_ACCOUNT_DISABLE) >
                 account_seen(a, d->owner, d->role, d->scope, RK_ACCOUNT_ENABLE))
        problem(a, "entri log #%llu: unggahan oleh akun %s yang dinonaktifkan di log / log entry "
                   "#%llu: upload by account %s, which the log shows disabled",
                (unsigned long long)index, d->owner, (unsigned long long)index, d->owner);
}

/* ---- 4. replaying one log entry ---- */

static void replay_version(struct audit *a, uint64_t index, const struct rk_logentry *e,
                           size_t race)
{
    const char *ref = a->races[race].ref;
    struct slot *s = slot_for(a, race, e->region, true);
    if (!s) {
        problem(a, "kehabisan memori / out of memory");
        return;
    }
    int n = s->version + 1;
    struct rk_version *v = a->v;
    int rc = a->src->version(a->src->ctx, ref, e->region, n, v);
    if (rc != RK_OK) {
        problem(a, "entri log #%llu: versi %d TPS %s pemilihan %s tidak dipublikasikan / log "
                   "entry #%llu: version %d of TPS %s race %s is not published (%s)",
                (unsigned long long)index, n, e->region, ref, (unsigned long long)index, n,
                e->region, ref, rk_strerror(rc));
        s->version = n; /* keep counting so later versions line up */
        return;
    }
    a->versions++;
    bool upload = e->kind == RK_LOGENTRY_SUBMISSION;
    if (v->log_index != (int64_t)index || v->version != n || strcmp(v->tps, e->region) != 0 ||
        (v->kind == RK_VERSION_UPLOAD) != upload)
        problem(a, "versi %d TPS %s pemilihan %s tidak sesuai entri log #%llu (indeks log %lld, "
                   "jenis) / version %d of TPS %s race %s does not match log entry #%llu (log "
                   "index %lld, kind)",
                n, e->region, ref, (unsigned long long)index, (long long)v->log_index, n,
                e->region, ref, (unsigned long long)index, (long long)v->log_index);
    uint8_t h[32];
    size_t dlen = strlen(v->doc);
    crypto_hash_sha256(h, (const unsigned char *)v->doc, dlen);
    struct rk_chasil doc;
    char canon[RK_CHASIL_JSON_MAX];
    size_t clen = 0;
    bool doc_ok = memcmp(h, v->doc_hash, 32) == 0 &&
                  rk_chasil_decode(v->doc, dlen, 0, &doc, NULL) == RK_OK &&
                  rk_chasil_encode(&doc, canon, sizeof canon, &clen) == RK_OK && clen == dlen &&
                  memcmp(canon, v->doc, dlen) == 0 && strcmp(doc.tps, e->region) == 0;
    if (!doc_ok)
        problem(a, "versi %d TPS %s pemilihan %s: dokumen tidak cocok dengan hash-nya atau tidak "
                   "kanonis / version %d of TPS %s race %s: the document does not match its hash "
                   "or is not canonical",
                n, e->region, ref, n, e->region, ref);
    char st[RK_STATEMENT_BUF];
    size_t slen = 0;
    if (upload)
        rc = rk_statement_upload(e->region, v->doc_hash, n > 1 ? s->doc : NULL,
                                 (const uint8_t(*)[32])v->photos, v->n_photos, st, sizeof st,
                                 &slen);
    else
        rc = n > 1 ? rk_statement_correction(e->region, v->doc_hash, s->doc, v->reason, st,
                                             sizeof st, &slen)
                   : RK_EINVAL;
    crypto_hash_sha256(h, (const unsigned char *)st, slen);
    if (rc != RK_OK || memcmp(h, e->payload_hash, 32) != 0)
        problem(a, "entri log #%llu: pernyataan yang disusun dari versi %d TPS %s pemilihan %s "
                   "tidak cocok dengan hash di log / log entry #%llu: the statement rebuilt from "
                   "version %d of TPS %s race %s does not match the logged hash",
                (unsigned long long)index, n, e->region, ref, (unsigned long long)index, n,
                e->region, ref);
    else if (upload) {
        char dev[17];
        rk_hex(e->device_key_id, RK_KEY_ID_LEN, dev);
        const struct dev *d = e->has_signature ? device(a, e->device_key_id) : NULL;
        if (!e->has_signature || !v->has_sig || memcmp(v->sig, e->signature, 64) != 0 ||
            strcmp(v->device, dev) != 0)
            problem(a, "entri log #%llu: tanda tangan/perangkat versi %d TPS %s berbeda dengan log "
                       "/ log entry #%llu: the signature or device of version %d of TPS %s differs "
                       "from the log",
                    (unsigned long long)index, n, e->region, (unsigned long long)index, n,
                    e->region);
        else if (!d || d->status != RK_OK)
            problem(a, "entri log #%llu: kunci perangkat %s tidak dipublikasikan dengan benar / "
                       "log entry #%llu: device key %s is not properly published",
                    (unsigned long long)index, dev, (unsigned long long)index, dev);
        else if (rk_logentry_verify_payload(e, (const uint8_t *)st, slen, d->pub) != RK_OK)
            problem(a, "entri log #%llu: tanda tangan perangkat %s atas versi %d TPS %s tidak sah "
                       "/ log entry #%llu: the signature of device %s over version %d of TPS %s "
                       "does not verify",
                    (unsigned long long)index, dev, n, e->region, (unsigned long long)index, dev,
                    n, e->region);
        /* revoked_at is in whole seconds: only a revocation a full second before the upload is
         * certain from the clock; the log order (check_signer) settles the rest */
        else if (d->revoked_at && ((uint64_t)d->revoked_at + 1) * 1000 <= e->timestamp_ms)
            problem(a, "entri log #%llu: kunci perangkat %s sudah dicabut sebelum unggahan ini / "
                       "log entry #%llu: device key %s was revoked before this upload",
                    (unsigned long long)index, dev, (unsigned long long)index, dev);
        else {
            long before = a->problems;
            check_signer(a, index, d, dev);
            if (a->problems == before)
                a->signatures++;
        }
    }
    s->version = n;
    memcpy(s->doc, v->doc_hash, 32);
    s->approved = false;
    if (doc_ok)
        rk_tally_from_chasil(&s->t, &doc, v->flags[0] != '\0', false);
    else
        rk_tally_zero(&s->t), s->t.received = 1, s->t.flagged = v->flags[0] != '\0';
}

static void replay_approval(struct audit *a, uint64_t index, const struct rk_logentry *e,
                            size_t race)
{
    a->approvals++;
    if (rk_code_level(e->region) != RK_LEVEL_TPS)
        return; /* recap-level approvals carry no per-TPS state */
    struct slot *s = slot_for(a, race, e->region, false);
    char st[RK_STATEMENT_BUF];
    size_t slen;
    uint8_t h[32];
    if (!s || s->version == 0 || s->approved ||
        rk_statement_approval(e->region, s->version, s->doc, st, sizeof st, &slen) != RK_OK) {
        problem(a, "entri log #%llu: persetujuan TPS %s tanpa versi terkini yang belum disetujui / "
                   "log entry #%llu: approval of TPS %s without an unapproved current version",
                (unsigned long long)index, e->region, (unsigned long long)index, e->region);
        return;
    }
    crypto_hash_sha256(h, (const unsigned char *)st, slen);
    if (memcmp(h, e->payload_hash, 32) != 0)
        problem(a, "entri log #%llu: persetujuan TPS %s tidak menyebut versi terkini (%d) / log "
                   "entry #%llu: the approval of TPS %s does not name the current version (%d)",
                (unsigned long long)index, e->region, s->version, (unsigned long long)index,
                e->region, s->version);
    s->approved = true;
    s->t.approved = 1;
}

/* Whether objection o of a version with document hash doc rebuilds e's statement. */
static bool objection_is(const struct rk_logentry *e, const struct rk_objection *o,
                         const uint8_t doc[32])
{
    char st[RK_STATEMENT_BUF];
    size_t len;
    uint8_t h[32];
    if (rk_statement_objection(e->region, o->version, doc, o->reason, st, sizeof st, &len) !=
        RK_OK)
        return false;
    crypto_hash_sha256(h, (const unsigned char *)st, len);
    return memcmp(h, e->payload_hash, 32) == 0;
}

/* A `rejection` entry: a saksi's or Bawaslu's objection to a version of a TPS result. The
 * published objection at this log index (GET /api/tps/{tps}/races/{race}: "objections") must
 * be by the entry's actor at its time, name a version the log had recorded by then, and rebuild
 * the entry's statement with that version's document hash and the published reason. */
static void replay_objection(struct audit *a, uint64_t index, const struct rk_logentry *e,
                             size_t race)
{
    a->objections++;
    const char *ref = a->races[race].ref;
    struct slot *s = rk_code_level(e->region) == RK_LEVEL_TPS
                         ? slot_for(a, race, e->region, false) : NULL;
    if (s)
        s->objections++;
    struct rk_objection *ob = malloc(RK_OBJECTIONS_MAX * sizeof *ob);
    struct rk_version *v = malloc(sizeof *v);
    int n = 0, found = -1;
    int rc = ob && v ? a->src->objections(a->src->ctx, ref, e->region, ob, RK_OBJECTIONS_MAX, &n)
                     : RK_ENOMEM;
    for (int i = 0; rc == RK_OK && i < n; i++)
        if (ob[i].log_index == (int64_t)index)
            found = i;
    if (!s || s->version == 0 || found < 0) {
        problem(a, "entri log #%llu: keberatan atas TPS %s pemilihan %s tidak dipublikasikan / log "
                   "entry #%llu: the objection to TPS %s race %s is not published (%s)",
                (unsigned long long)index, e->region, ref, (unsigned long long)index, e->region,
                ref, rc == RK_OK ? "not found" : rk_strerror(rc));
    } else if (ob[found].version > s->version || strcmp(ob[found].actor, e->actor) != 0 ||
               ob[found].created_ms != (int64_t)e->timestamp_ms ||
               a->src->version(a->src->ctx, ref, e->region, ob[found].version, v) != RK_OK ||
               !objection_is(e, &ob[found], v->doc_hash)) {
        problem(a, "entri log #%llu: keberatan atas TPS %s pemilihan %s berbeda dari yang "
                   "dipublikasikan (versi, pengaju, waktu atau alasan) / log entry #%llu: the "
                   "objection to TPS %s race %s differs from the published one (version, actor, "
                   "time or reason)",
                (unsigned long long)index, e->region, ref, (unsigned long long)index, e->region,
                ref);
    }
    free(ob);
    free(v);
}

/* ---- 5. comparing with the published results ---- */

static const char *const field_name[] = {"paslon 1", "paslon 2", "paslon 3", "paslon 4",
                                         "paslon 5", "paslon 6"};

static void compare(struct audit *a, size_t race, const char *what, const char *code,
                    const struct rk_tally *pub, const struct rk_tally *want)
{
    const char *ref = a->races[race].ref;
    const char *where = code[0] ? code : "nasional/national";
    for (int i = 0; i < a->races[race].ncand && i < RK_CANDIDATES_MAX; i++)
        if (pub->votes[i] != want->votes[i])
            problem(a, "%s %s pemilihan/race %s: suara %s diumumkan/published %lld, hitung "
                       "ulang/recount %lld",
                    what, where, ref, field_name[i], (long long)pub->votes[i],
                    (long long)want->votes[i]);
    struct {
        const char *name;
        int64_t p, w;
    } f[] = {{"suara_sah", pub->sah, want->sah},
             {"suara_tidak_sah", pub->tidak_sah, want->tidak_sah},
             {"suara_total", pub->total, want->total},
             {"pengguna_total", pub->pengguna, want->pengguna},
             {"pemilih_dpt", pub->dpt, want->dpt},
             {"tps_received", pub->received, want->received},
             {"tps_flagged", pub->flagged, want->flagged},
             {"tps_approved", pub->approved, want->approved}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].p != f[i].w)
            problem(a, "%s %s pemilihan/race %s: %s diumumkan/published %lld, hitung "
                       "ulang/recount %lld",
                    what, where, ref, f[i].name, (long long)f[i].p, (long long)f[i].w);
}

static void recount(struct audit *a)
{
    for (size_t i = 0; i < a->nslots; i++) {
        const struct slot *s = &a->slots[i];
        for (int level = RK_LEVEL_DESA; level >= RK_LEVEL_NATIONAL; level--) {
            char code[RK_CODE_MAX + 1];
            if (rk_code_ancestor(s->tps, (enum rk_level)level, code) != RK_OK)
                continue;
            struct sum *u = sum_for(a, s->race, code, true);
            if (u)
                rk_tally_add(&u->t, &s->t, 1);
        }
    }
}

struct walk {
    struct audit *a;
    size_t race;
    char (*next)[RK_CODE_MAX + 1]; /* regions still to visit (full walk) */
    size_t nnext, capnext;
    bool collect;
};

static void compare_region(struct audit *a, size_t race, const char *code,
                           const struct rk_tally *pub)
{
    struct sum *u = sum_for(a, race, code, false);
    struct rk_tally zero;
    rk_tally_zero(&zero);
    compare(a, race, "wilayah/region", code, pub, u ? &u->t : &zero);
    if (u)
        u->seen = true;
    a->regions++;
}

/* A published child region: compare it (t NULL: only enqueue) and queue it when its own
 * children are regions. */
static int walk_child(void *ud, const char *code, enum rk_level level, const struct rk_tally *t)
{
    struct walk *w = ud;
    if (t)
        compare_region(w->a, w->race, code, t);
    if (level < RK_LEVEL_DESA && w->collect) {
        char(*n)[RK_CODE_MAX + 1] = grow(w->next, w->nnext, &w->capnext, sizeof *n);
        if (!n)
            return RK_ENOMEM;
        w->next = n;
        snprintf(w->next[w->nnext++], RK_CODE_MAX + 1, "%s", code);
    }
    return 0;
}

static int tps_seen(void *ud, const struct rk_audit_tps *t)
{
    struct walk *w = ud;
    struct audit *a = w->a;
    struct slot *s = slot_for(a, w->race, t->tps, false);
    a->tps_checked++;
    if (!s) {
        problem(a, "TPS %s pemilihan/race %s: diumumkan versi %d tetapi tidak ada di log / "
                   "published as version %d but absent from the log",
                t->tps, a->races[w->race].ref, t->version, t->version);
        return 0;
    }
    s->seen = true;
    if (t->version != s->version || t->approved != s->approved)
        problem(a, "TPS %s pemilihan/race %s: diumumkan versi %d%s, log: versi %d%s / published "
                   "version %d%s, log: version %d%s",
                t->tps, a->races[w->race].ref, t->version, t->approved ? " disetujui" : "",
                s->version, s->approved ? " disetujui" : "", t->version,
                t->approved ? " approved" : "", s->version, s->approved ? " approved" : "");
    /* each logged objection was found where the log put it (replay_objection); a count above
     * the log's is one published without a log entry */
    if (t->objections != s->objections)
        problem(a, "TPS %s pemilihan/race %s: diumumkan %d keberatan, log: %d / %d objections "
                   "published, the log has %d",
                t->tps, a->races[w->race].ref, t->objections, s->objections, t->objections,
                s->objections);
    compare(a, w->race, "TPS", t->tps, &t->tally, &s->t);
    return 0;
}

/* Full comparison of one race: every region from the national root down to desa (breadth
 * first, the queue grows as children are published), then every TPS, then anything the recount
 * has that was never published. */
static int check_race_full(struct audit *a, size_t race)
{
    const struct rk_audit_race *r = &a->races[race];
    struct walk w = {a, race, NULL, 0, 0, true};
    int rc = walk_child(&w, "", RK_LEVEL_NATIONAL, NULL); /* enqueue the root */
    for (size_t qi = 0; rc == RK_OK && qi < w.nnext; qi++) {
        char code[RK_CODE_MAX + 1];
        memcpy(code, w.next[qi], sizeof code); /* the queue may move while we walk */
        struct rk_tally self;
        rc = a->src->tally(a->src->ctx, r, code, &self, walk_child, &w);
        if (rc == RK_OK && !code[0])
            compare_region(a, race, "", &self); /* children compare themselves */
    }
    free(w.next);
    w.next = NULL;
    w.collect = false;
    if (rc == RK_OK)
        rc = a->src->tps_states(a->src->ctx, r, r->region, tps_seen, &w);
    if (rc != RK_OK)
        return rc;
    for (size_t i = 0; i < a->nsums; i++)
        if (a->sums[i].race == race && !a->sums[i].seen)
            problem(a, "wilayah/region %s pemilihan/race %s: log berisi hasil tetapi tidak "
                       "diumumkan / the log has results but none are published",
                    a->sums[i].code[0] ? a->sums[i].code : "nasional", r->ref);
    for (size_t i = 0; i < a->nslots; i++)
        if (a->slots[i].race == race && !a->slots[i].seen)
            problem(a, "TPS %s pemilihan/race %s: versi %d ada di log tetapi tidak diumumkan / "
                       "version %d is in the log but not published",
                    a->slots[i].tps, r->ref, a->slots[i].version, a->slots[i].version);
    return RK_OK;
}

/* --sample N: N random (race, region) pairs among the regions with results; each is compared
 * with its published tally, its children, and its TPS. */
static int check_sample(struct audit *a, long n)
{
    for (long k = 0; k < n && a->nsums; k++) {
        const struct sum *u = &a->sums[randombytes_uniform((uint32_t)a->nsums)];
        size_t race = u->race;
        char code[RK_CODE_MAX + 1];
        snprintf(code, sizeof code, "%s", u->code);
        struct walk w = {a, race, NULL, 0, 0, false};
        struct rk_tally self;
        int rc = a->src->tally(a->src->ctx, &a->races[race], code, &self, walk_child, &w);
        if (rc == RK_OK) {
            compare_region(a, race, code, &self);
            rc = a->src->tps_states(a->src->ctx, &a->races[race], code, tps_seen, &w);
        }
        if (rc != RK_OK)
            return rc;
    }
    return RK_OK;
}

/* ---- the state file: the last head this auditor verified ---- */

struct state {
    bool have;
    char log_id[RK_STH_LOG_ID_MAX + 1];
    uint8_t pub[32];
    struct rk_sth sth;
};

static int state_load(const char *path, struct state *st)
{
    memset(st, 0, sizeof *st);
    char *text;
    size_t len;
    int rc = rk_cli_slurp(path, 1 << 16, &text, &len);
    if (rc == RK_EIO) {
        FILE *f = fopen(path, "r");
        if (!f)
            return RK_OK; /* first audit */
        fclose(f);
        return rc;
    }
    if (rc != RK_OK)
        return rc;
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    json_t *id = json_object_get(j, "log_id"), *key = json_object_get(j, "log_key");
    rc = json_is_object(j) && json_object_size(j) == 4 && json_is_string(id) &&
                 json_is_string(key) &&
                 json_string_length(id) <= RK_STH_LOG_ID_MAX &&
                 json_is_string(json_object_get(j, "format")) &&
                 strcmp(json_string_value(json_object_get(j, "format")), "rekap-audit-state-v1") ==
                     0 &&
                 rk_unhex(json_string_value(key), json_string_length(key), st->pub, 32) == RK_OK &&
                 rk_sth_from_json(json_object_get(j, "sth"), &st->sth) == RK_OK
             ? RK_OK
             : RK_EPARSE;
    if (rc == RK_OK) {
        snprintf(st->log_id, sizeof st->log_id, "%s", json_string_value(id));
        st->have = true;
    }
    json_decref(j);
    return rc;
}

static int state_save(const char *path, const struct rk_sth *sth, const uint8_t pub[32])
{
    char key[65], tmp[4200];
    rk_hex(pub, 32, key);
    json_t *j = json_pack("{s:s,s:s,s:s,s:o}", "format", "rekap-audit-state-v1", "log_id",
                          sth->log_id, "log_key", key, "sth", rk_sth_to_json(sth));
    if (!j)
        return RK_ENOMEM;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? RK_OK : RK_EIO;
    json_decref(j);
    if (rc == RK_OK && rename(tmp, path) != 0)
        rc = RK_EIO;
    if (rc != RK_OK)
        remove(tmp);
    return rc;
}

/* ---- the command ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: rekap audit URL|FILE [--log-key HEX] [--key FILE] [--log-id NAME]\n"
               "                   [--state FILE] [--sample N] [--timeout SECONDS]\n"
               "  URL: http://HOST:PORT dari server rekap / of a rekap server; FILE: salinan basis\n"
               "       data / a copy of the database\n"
               "  --log-key: kunci publik log yang disematkan / pinned log public key (hex)\n"
               "  --state: simpan kepala pohon terakhir untuk membuktikan log hanya bertambah /\n"
               "           keep the last verified head to prove the log only grows\n"
               "  --sample N: bandingkan N wilayah acak saja / compare N random regions only\n"
               "  --timeout S: batas per permintaan HTTP / limit per HTTP request (default 120)\n");
}

static void audit_free(struct audit *a)
{
    free(a->races);
    free(a->configs);
    free(a->slots);
    free(a->sums);
    free(a->devs);
    free(a->v);
    map_free(&a->race_by_ref);
    map_free(&a->slot_by_key);
    map_free(&a->sum_by_key);
    map_free(&a->dev_by_id);
    map_free(&a->acct_by_hash);
}

/* Runs steps 1-5 on src. pinned (may be NULL) is the log key given by the user. Returns RK_OK
 * when the audit ran to the end (a->problems says what it found) or the error that stopped it. */
static int run_audit(struct audit *a, const uint8_t *pinned, const char *log_id,
                     const char *state_path, long sample)
{
    const struct rk_audit_src *src = a->src;
    struct state st;
    int rc = RK_OK;
    if (state_path && (rc = state_load(state_path, &st)) != RK_OK) {
        fprintf(stderr, "rekap audit: berkas status tidak terbaca / unreadable state file %s: %s\n",
                state_path, rk_strerror(rc));
        return rc;
    }
    if (!state_path)
        memset(&st, 0, sizeof st);
    /* 1. the head */
    struct rk_sth sth;
    uint8_t src_pub[32], pub[32];
    if ((rc = src->sth(src->ctx, &sth, src_pub)) != RK_OK) {
        fprintf(stderr, "rekap audit: kepala pohon tidak dapat diambil / cannot fetch the signed "
                        "tree head: %s\n", rk_strerror(rc));
        return rc;
    }
    if (pinned)
        memcpy(pub, pinned, 32);
    else if (st.have)
        memcpy(pub, st.pub, 32);
    else {
        memcpy(pub, src_pub, 32);
        char kid[17];
        uint8_t k[RK_KEY_ID_LEN];
        rk_key_id(pub, k);
        rk_hex(k, RK_KEY_ID_LEN, kid);
        printf("PERINGATAN / WARNING: kunci log tidak disematkan; memakai kunci dari sumber (id "
               "%s) — bandingkan dengan yang diumumkan / log key not pinned; using the source's "
               "key (id %s) — compare it with the published one\n",
               kid, kid);
    }
    if (memcmp(pub, src_pub, 32) != 0)
        problem(a, "sumber mengaku kunci log lain dari yang disematkan / the source claims another "
                   "log key than the pinned one");
    const char *want_id = log_id ? log_id : st.have ? st.log_id : NULL;
    if (want_id && strcmp(want_id, sth.log_id) != 0)
        problem(a, "nama log %s, diharapkan %s / log id %s, expected %s", sth.log_id, want_id,
                sth.log_id, want_id);
    if (rk_sth_verify(&sth, pub) != RK_OK) {
        problem(a, "tanda tangan kepala pohon (ukuran %llu) tidak sah / the signed tree head (size "
                   "%llu) does not verify",
                (unsigned long long)sth.tree_size, (unsigned long long)sth.tree_size);
        return RK_OK;
    }
    char root_hex[65];
    rk_hex(sth.root, 32, root_hex);
    printf("kepala pohon / tree head: log %s, ukuran/size %llu, akar/root %s: tanda tangan sah / "
           "signature valid\n",
           sth.log_id, (unsigned long long)sth.tree_size, root_hex);

    /* races, for the replay */
    if ((rc = src->races(src->ctx, &a->races, &a->nraces)) != RK_OK) {
        fprintf(stderr, "rekap audit: daftar pemilihan tidak dapat diambil / cannot fetch the "
                        "races: %s\n", rk_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < a->nraces; i++)
        if (map_get(&a->race_by_ref, a->races[i].ref, i) != i)
            return RK_ENOMEM;
    if (!(a->configs = calloc(a->nraces ? a->nraces : 1, sizeof *a->configs)))
        return RK_ENOMEM;

    /* 2 + 4. every entry, in order */
    struct rk_merkle_frontier f;
    rk_merkle_frontier_init(&f);
    uint8_t old_root[32];
    bool have_old = false;
    uint64_t last_ts = 0;
    for (uint64_t i = 0; i < sth.tree_size; i++) {
        if (st.have && i == st.sth.tree_size) {
            rk_merkle_frontier_root(&f, old_root);
            have_old = true;
        }
        uint8_t buf[RK_LOG_ENTRY_MAX], leaf[32];
        size_t len;
        struct rk_logentry e;
        if ((rc = src->entry(src->ctx, i, buf, sizeof buf, &len)) != RK_OK) {
            fprintf(stderr, "rekap audit: entri log #%llu tidak dapat diambil / cannot fetch log "
                            "entry #%llu: %s\n",
                    (unsigned long long)i, (unsigned long long)i, rk_strerror(rc));
            return rc;
        }
        rk_merkle_leaf_hash(buf, len, leaf);
        rk_merkle_frontier_append(&f, leaf);
        if ((rc = rk_logentry_decode(buf, len, &e)) != RK_OK || e.seq != i) {
            problem(a, "entri log #%llu rusak atau salah tempat (%s) / log entry #%llu is malformed "
                       "or misplaced (%s)",
                    (unsigned long long)i, rc ? rk_strerror(rc) : "seq",
                    (unsigned long long)i, rc ? rk_strerror(rc) : "seq");
            continue;
        }
        if (e.timestamp_ms < last_ts)
            printf("CATATAN / NOTE: waktu entri #%llu mundur / entry #%llu's timestamp goes "
                   "backwards\n",
                   (unsigned long long)i, (unsigned long long)i);
        last_ts = e.timestamp_ms;
        size_t race = SIZE_MAX;
        bool versioned = e.kind == RK_LOGENTRY_SUBMISSION || e.kind == RK_LOGENTRY_CORRECTION;
        if (versioned || e.kind == RK_LOGENTRY_APPROVAL || e.kind == RK_LOGENTRY_REJECTION) {
            race = map_get(&a->race_by_ref, e.race, SIZE_MAX);
            if (race == SIZE_MAX) {
                problem(a, "entri log #%llu menyebut pemilihan tak dikenal %s / log entry #%llu "
                           "names an unknown race %s",
                        (unsigned long long)i, e.race, (unsigned long long)i, e.race);
                continue;
            }
            if (!a->configs[race].seen)
                problem(a, "entri log #%llu: hasil pemilihan %s sebelum pemilihan itu diumumkan di "
                           "log / log entry #%llu: a result of race %s before the log published "
                           "that race",
                        (unsigned long long)i, e.race, (unsigned long long)i, e.race);
        }
        if (versioned)
            replay_version(a, i, &e, race);
        else if (e.kind == RK_LOGENTRY_APPROVAL)
            replay_approval(a, i, &e, race);
        else if (e.kind == RK_LOGENTRY_REJECTION)
            replay_objection(a, i, &e, race);
        else if (e.kind == RK_LOGENTRY_ACCOUNT_CHANGE)
            replay_account(a, i, &e);
        else if (e.kind == RK_LOGENTRY_DEVICE_KEY)
            replay_device(a, i, &e);
        else if (e.kind == RK_LOGENTRY_ELECTION_CONFIG)
            replay_config(a, i, &e);
        else
            a->other_entries++;
    }
    check_configs(a);
    /* a key published as revoked must have its revocation in the log */
    for (size_t i = 0; i < a->ndevs; i++)
        if (a->devs[i].status == RK_OK && a->devs[i].revoked_at && !a->devs[i].revoked) {
            char kid[17];
            uint8_t id[RK_KEY_ID_LEN];
            rk_key_id(a->devs[i].pub, id);
            rk_hex(id, RK_KEY_ID_LEN, kid);
            problem(a, "kunci perangkat %s diumumkan dicabut tetapi pencabutannya tidak ada di log "
                       "/ device key %s is published as revoked but the log has no revocation",
                    kid, kid);
        }
    uint8_t root[32];
    rk_merkle_frontier_root(&f, root);
    if (memcmp(root, sth.root, 32) != 0)
        problem(a, "akar Merkle yang dihitung ulang dari %llu entri tidak sama dengan akar yang "
                   "ditandatangani: log telah diubah / the Merkle root recomputed over %llu entries "
                   "differs from the signed root: the log was altered",
                (unsigned long long)sth.tree_size, (unsigned long long)sth.tree_size);
    else
        printf("akar Merkle dari %llu entri cocok / Merkle root over %llu entries matches\n",
               (unsigned long long)sth.tree_size, (unsigned long long)sth.tree_size);

    /* 3. append-only since the last audit */
    if (st.have) {
        if (sth.tree_size == st.sth.tree_size) {
            rk_merkle_frontier_root(&f, old_root);
            have_old = true;
        }
        char oid[65];
        rk_hex(st.sth.root, 32, oid);
        struct rk_merkle_proof p;
        if (st.sth.tree_size > sth.tree_size)
            problem(a, "log menyusut dari %llu ke %llu entri / the log shrank from %llu to %llu "
                       "entries",
                    (unsigned long long)st.sth.tree_size, (unsigned long long)sth.tree_size,
                    (unsigned long long)st.sth.tree_size, (unsigned long long)sth.tree_size);
        else if (!have_old || memcmp(old_root, st.sth.root, 32) != 0)
            problem(a, "sejarah log ditulis ulang sejak audit terakhir (ukuran %llu, akar %s) / log "
                       "history was rewritten since the last audit (size %llu, root %s)",
                    (unsigned long long)st.sth.tree_size, oid,
                    (unsigned long long)st.sth.tree_size, oid);
        else if ((rc = src->consistency(src->ctx, st.sth.tree_size, sth.tree_size, &p)) !=
                     RK_OK ||
                 rk_merkle_verify_consistency(st.sth.tree_size, sth.tree_size, st.sth.root,
                                              sth.root, &p) != RK_OK)
            problem(a, "bukti konsistensi %llu -> %llu dari sumber tidak sah / the source's "
                       "consistency proof %llu -> %llu does not verify",
                    (unsigned long long)st.sth.tree_size, (unsigned long long)sth.tree_size,
                    (unsigned long long)st.sth.tree_size, (unsigned long long)sth.tree_size);
        else
            printf("log hanya bertambah sejak audit terakhir (%llu -> %llu) / the log only grew "
                   "since the last audit (%llu -> %llu)\n",
                   (unsigned long long)st.sth.tree_size, (unsigned long long)sth.tree_size,
                   (unsigned long long)st.sth.tree_size, (unsigned long long)sth.tree_size);
        rc = RK_OK;
    }

    /* 5. recount and compare */
    recount(a);
    for (size_t i = 0; rc == RK_OK && sample <= 0 && i < a->nraces; i++)
        rc = check_race_full(a, i);
    if (rc == RK_OK && sample > 0)
        rc = check_sample(a, sample);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap audit: hasil tidak dapat diambil / cannot fetch the results: %s\n",
                rk_strerror(rc));
        return rc;
    }
    printf("diperiksa / checked: %llu entri/entries, %ld versi/versions, %ld tanda tangan "
           "perangkat/device signatures, %ld persetujuan/approvals, %ld perubahan akun/account "
           "changes, %ld keberatan/objections, %ld entri kunci perangkat/device-key entries, "
           "%ld pengumuman pemilihan/election config entries, %ld entri lain/other entries, %zu "
           "pemilihan/races, %ld wilayah/regions, %ld TPS\n",
           (unsigned long long)sth.tree_size, a->versions, a->signatures, a->approvals,
           a->accounts, a->objections, a->devkeys, a->configs_seen, a->other_entries, a->nraces,
           a->regions, a->tps_checked);
    if (a->problems == 0 && state_path && (rc = state_save(state_path, &sth, pub)) != RK_OK) {
        fprintf(stderr, "rekap audit: berkas status tidak dapat ditulis / cannot write the state "
                        "file %s\n", state_path);
        return rc;
    }
    return RK_OK;
}

int rk_cmd_audit(int argc, char **argv)
{
    const char *key_hex = NULL, *key_file = NULL, *log_id = NULL, *state = NULL;
    long sample = 0;
    int deadline = 0;
    static const struct option opts[] = {{"log-key", required_argument, 0, 'K'},
                                         {"timeout", required_argument, 0, 't'},
                                         {"key", required_argument, 0, 'k'},
                                         {"log-id", required_argument, 0, 'L'},
                                         {"state", required_argument, 0, 's'},
                                         {"sample", required_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    uint64_t n;
    optind = 1;
    while ((c = getopt_long(argc, argv, "K:k:L:s:n:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'K': key_hex = optarg; break;
        case 't':
            if (rk_http_deadline_parse("rekap audit", optarg, &deadline) != RK_OK)
                return 2;
            break;
        case 'k': key_file = optarg; break;
        case 'L': log_id = optarg; break;
        case 's': state = optarg; break;
        case 'n':
            if (rk_parse_u64(optarg, strlen(optarg), 1000000, &n) != RK_OK || n == 0) {
                fprintf(stderr, "rekap audit: --sample harus 1..1000000 / must be 1..1000000\n");
                return 2;
            }
            sample = (long)n;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    const char *target = argv[optind];
    bool http = strncmp(target, "http://", 7) == 0 || strstr(target, "://") != NULL;
    uint8_t pub[32];
    bool have = false;
    if (rk_cli_log_key(key_hex, key_file, http ? NULL : target, pub, &have) != RK_OK)
        return 2;
    struct audit a;
    memset(&a, 0, sizeof a);
    struct rk_audit_src src;
    struct rk_http_src hs;
    struct rk_audit_store_ctx sc;
    struct rk_store *s = NULL;
    memset(&sc, 0, sizeof sc);
    int rc;
    if (http) {
        if ((rc = rk_http_src_init(&hs, target, &src)) != RK_OK) {
            fprintf(stderr, "rekap audit: URL harus http://HOST:PORT / URL must be "
                            "http://HOST:PORT: %s\n", target);
            return 2;
        }
        hs.url.deadline_s = deadline;
    } else {
        if (!have) {
            fprintf(stderr, "rekap audit: kunci log tidak diketahui; beri --log-key atau --key / "
                            "the log key is unknown; give --log-key or --key\n");
            return 2;
        }
        if (rk_cli_store_exists(target) != RK_OK)
            return 1;
        if ((rc = rk_store_open(target, &s)) != RK_OK) {
            rk_cli_error(target, rc);
            return 1;
        }
        sc.s = s;
        snprintf(sc.log_id, sizeof sc.log_id, "%s", log_id ? log_id : "rekap");
        memcpy(sc.pub, pub, 32);
        rk_audit_src_store(&src, &sc);
    }
    a.src = &src;
    a.v = malloc(sizeof *a.v);
    rc = a.v ? run_audit(&a, have ? pub : NULL, log_id, state, sample) : RK_ENOMEM;
    int exit_code;
    if (rc != RK_OK) {
        exit_code = 1;
        if (rc == RK_ENOMEM)
            rk_cli_error("audit", rc);
    } else if (a.problems) {
        if (a.printed < a.problems)
            printf("... dan %ld perbedaan lain / and %ld more differences\n",
                   a.problems - a.printed, a.problems - a.printed);
        printf("AUDIT GAGAL / AUDIT FAILED: %ld perbedaan / %ld differences\n", a.problems,
               a.problems);
        exit_code = 1;
    } else {
        printf("AUDIT LULUS / AUDIT PASSED: hasil yang diumumkan sesuai log yang ditandatangani / "
               "the published results match the signed log\n");
        exit_code = 0;
    }
    if (http) {
        printf("(%ld permintaan HTTP / HTTP requests)\n", hs.requests);
        rk_http_src_free(&hs);
    }
    audit_free(&a);
    rk_audit_store_ctx_free(&sc);
    rk_store_close(s);
    return exit_code;
}
