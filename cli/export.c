/* rekap export --out DIR: open data. Per-TPS current results, the full version history and the
 * objections (keberatan) of saksi and Bawaslu as CSV and JSON Lines (format in
 * docs/open-data.md), plus manifest.json (file names, SHA-256,
 * sizes, row counts, and the signed tree head of the log the data corresponds to) and
 * snapshot.json, which binds the manifest to the transparency log: the manifest's SHA-256 is
 * appended as a "snapshot" log entry, a new head is signed, and snapshot.json carries that
 * entry, the head, an inclusion proof and a consistency proof from the data's head.
 *
 * rekap verify-snapshot DIR checks all of it offline (and, with --url, that the live log still
 * extends the snapshot's head), so a copy downloaded from anywhere can be trusted as much as the
 * log key.
 *
 * The exported data is exactly the log's state at the data head: versions whose log entry lies
 * below its size, approvals replayed from the log (an approval entry after the current version's
 * entry), objections whose `rejection` entry lies below it, so a server accepting uploads meanwhile cannot make the files and the head disagree. */
#include "cli/cli.h"
#include "cli/httpsrc.h"
#include "cli/io.h"
#include "cli/logkey.h"
#include "rekap/chasil.h"
#include "rekap/hash.h"
#include "rekap/logentry.h"
#include "rekap/status.h"
#include "rekap/submission.h"
#include "rekap/tally.h"
#include "rekap/text.h"
#include "store/pipeline.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MANIFEST "manifest.json"
#define PROOF "snapshot.json"
#define FILES_MAX 6

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- output files with a running SHA-256 ---- */

struct out {
    char name[32];
    FILE *f;
    crypto_hash_sha256_state h;
    uint64_t bytes, rows;
    int failed;
};

static int out_open(struct out *o, const char *dir, const char *name)
{
    char path[4200];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    o->f = fopen(path, "wx"); /* never overwrite an earlier snapshot */
    if (!o->f)
        return errno == EEXIST ? RK_EEXIST : RK_EIO;
    crypto_hash_sha256_init(&o->h);
    return RK_OK;
}

static void out_put(struct out *o, const char *s, size_t n)
{
    if (!o->f)
        return;
    if (fwrite(s, 1, n, o->f) != n)
        o->failed = 1;
    crypto_hash_sha256_update(&o->h, (const unsigned char *)s, n);
    o->bytes += n;
}

static void out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

static int out_close(struct out *o, uint8_t hash[32])
{
    if (!o->f)
        return RK_OK;
    crypto_hash_sha256_final(&o->h, hash);
    int bad = fclose(o->f) != 0 || o->failed;
    o->f = NULL;
    return bad ? RK_EIO : RK_OK;
}

/* One CSV field, quoted when it holds a comma, quote or line break (RFC 4180); written in spans
 * up to each quote (a document is quoted and holds ~100 quotes: a write per byte was a sixth of
 * a national export's time). */
static void csv_field(struct out *o, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        out_put(o, "\"", 1);
        for (const char *q; (q = strchr(s, '"')); s = q + 1) {
            out_put(o, s, (size_t)(q - s) + 1);
            out_put(o, "\"", 1); /* quotes are doubled */
        }
        out_str(o, s);
        out_put(o, "\"", 1);
    } else {
        out_str(o, s);
    }
    out_put(o, last ? "\n" : ",", 1);
}

/* ---- rows ---- */

struct cur { /* the current version of one (race, TPS) at the data head */
    int64_t race_id;
    char tps[RK_CODE_MAX + 1];
    int version;
    enum rk_version_kind kind;
    char actor[RK_ACTOR_MAX + 1];
    char flags[RK_FLAGS_MAX + 1];
    uint8_t doc_hash[32];
    int64_t created_ms, log_index;
    bool approved;
    int n_paslon;
    struct rk_tally t;
};

struct race_info {
    int64_t id;
    char ref[RK_LOGENTRY_RACE_MAX + 1];
};

struct pair { /* a (race, TPS) some `rejection` entry below the data head names */
    int64_t race_id;
    char tps[RK_CODE_MAX + 1];
};

struct exp {
    struct rk_store *s;
    int64_t size; /* the data head's size */
    bool csv, jsonl;
    struct out hist_csv, hist_jsonl;
    struct cur *cur;
    size_t ncur, capcur;
    struct race_info *races;
    size_t nraces;
    size_t *idx; /* hash index over cur */
    size_t capidx;
    struct pair *objected;
    size_t nobjected;
    struct line *line; /* one JSON Lines row being written */
    int rc;
};

static const char *race_ref(struct exp *x, int64_t id)
{
    for (size_t i = 0; i < x->nraces; i++)
        if (x->races[i].id == id)
            return x->races[i].ref;
    struct race_info *n = realloc(x->races, (x->nraces + 1) * sizeof *n);
    if (!n)
        return "";
    x->races = n;
    n[x->nraces].id = id;
    if (rk_race_ref(x->s, id, n[x->nraces].ref) != RK_OK)
        snprintf(n[x->nraces].ref, sizeof n[x->nraces].ref, "?");
    return x->races[x->nraces++].ref;
}

static const char *const header_common =
    "race_ref,tps,version,kind,actor,accepted_ms,log_index,doc_sha256,flags,n_paslon,paslon_1,"
    "paslon_2,paslon_3,paslon_4,paslon_5,paslon_6,suara_sah,suara_tidak_sah,suara_total,"
    "pengguna_total,pemilih_dpt";

/* The columns both files share, as CSV fields (without the line end). */
static void csv_common(struct out *o, const char *ref, const struct cur *c)
{
    char b[128], h[65];
    csv_field(o, ref, 0);
    csv_field(o, c->tps, 0);
    snprintf(b, sizeof b, "%d", c->version);
    csv_field(o, b, 0);
    csv_field(o, c->kind == RK_VERSION_UPLOAD ? "upload" : "correction", 0);
    csv_field(o, c->actor, 0);
    snprintf(b, sizeof b, "%lld", (long long)c->created_ms);
    csv_field(o, b, 0);
    snprintf(b, sizeof b, "%lld", (long long)c->log_index);
    csv_field(o, b, 0);
    rk_hex(c->doc_hash, 32, h);
    csv_field(o, h, 0);
    csv_field(o, c->flags, 0);
    snprintf(b, sizeof b, "%d", c->n_paslon);
    csv_field(o, b, 0);
    for (int i = 0; i < RK_CANDIDATES_MAX; i++) {
        if (i < c->n_paslon)
            snprintf(b, sizeof b, "%lld", (long long)c->t.votes[i]);
        else
            b[0] = '\0';
        csv_field(o, b, 0);
    }
    snprintf(b, sizeof b, "%lld,%lld,%lld,%lld,%lld", (long long)c->t.sah,
             (long long)c->t.tidak_sah, (long long)c->t.total, (long long)c->t.pengguna,
             (long long)c->t.dpt);
    out_str(o, b);
}

/* JSON Lines rows are written as text, in exactly the bytes jansson's compact, order-keeping
 * dump of the same objects gives (tests/cli/test_audit.c re-dumps every line): building and
 * dumping a tree per row, and parsing each document into one, took about a third of a national
 * export's time. Every field is capped, so a row fits ROW_MAX; a row that would not is a
 * failed write, never an overflow. */
#define ROW_MAX                                                                                  \
    (4 * RK_CHASIL_JSON_MAX + 6 * (RK_REASON_MAX + RK_ACTOR_MAX + RK_FLAGS_MAX) + 70 * RK_PHOTOS_MAX + 2048)

struct line {
    char p[ROW_MAX];
    size_t n;
    int failed;
};

static void l_put(struct line *l, const char *s)
{
    size_t k = strlen(s);
    if (l->n + k > ROW_MAX) {
        l->failed = 1;
        return;
    }
    memcpy(l->p + l->n, s, k);
    l->n += k;
}

static void l_fmt(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void l_fmt(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->p + l->n, ROW_MAX - l->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= ROW_MAX - l->n)
        l->failed = 1;
    else
        l->n += (size_t)k;
}

/* key, then s as a JSON string: `,"key":"s"` (`{` instead of the comma for the first key) */
static void l_str(struct line *l, const char *key, const char *s)
{
    l_fmt(l, "%c\"%s\":", l->n ? ',' : '{', key);
    if (l->n + 6 * strlen(s) + 2 > ROW_MAX)
        l->failed = 1;
    else
        l->n += rk_json_quote(l->p + l->n, s);
}

static void l_int(struct line *l, const char *key, long long v)
{
    l_fmt(l, "%c\"%s\":%lld", l->n ? ',' : '{', key, v);
}

static void common_json(struct line *l, const char *ref, const struct cur *c)
{
    char h[65];
    rk_hex(c->doc_hash, 32, h);
    l->n = 0;
    l->failed = 0;
    l_str(l, "race_ref", ref);
    l_str(l, "tps", c->tps);
    l_int(l, "version", c->version);
    l_str(l, "kind", c->kind == RK_VERSION_UPLOAD ? "upload" : "correction");
    l_str(l, "actor", c->actor);
    l_int(l, "accepted_ms", (long long)c->created_ms);
    l_int(l, "log_index", (long long)c->log_index);
    l_str(l, "doc_sha256", h);
    l_str(l, "flags", c->flags);
    l_put(l, ",\"votes\":[");
    for (int i = 0; i < c->n_paslon && i < RK_CANDIDATES_MAX; i++)
        l_fmt(l, i ? ",%lld" : "%lld", (long long)c->t.votes[i]);
    l_put(l, "]");
    l_int(l, "suara_sah", (long long)c->t.sah);
    l_int(l, "suara_tidak_sah", (long long)c->t.tidak_sah);
    l_int(l, "suara_total", (long long)c->t.total);
    l_int(l, "pengguna_total", (long long)c->t.pengguna);
    l_int(l, "pemilih_dpt", (long long)c->t.dpt);
}

/* Closes the object and writes it as one line. */
static void jsonl_row(struct out *o, struct line *l)
{
    l_put(l, "}\n");
    if (l->failed) {
        o->failed = 1;
        return;
    }
    out_put(o, l->p, l->n);
    o->rows++;
}

/* (race, TPS) -> row index, open addressing; rebuilt when the rows grow (exports cover up to
 * millions of rows, so no linear search). Slot value 0 = empty, else index + 1. */
static uint64_t cur_hash(int64_t race, const char *tps)
{
    return rk_hash_str((uint64_t)race, tps);
}

static int index_rebuild(struct exp *x)
{
    size_t cap = 1024;
    while (cap < 2 * (x->capcur + 1))
        cap *= 2;
    size_t *idx = calloc(cap, sizeof *idx);
    if (!idx)
        return RK_ENOMEM;
    for (size_t i = 0; i < x->ncur; i++) {
        size_t j = cur_hash(x->cur[i].race_id, x->cur[i].tps) & (cap - 1);
        while (idx[j])
            j = (j + 1) & (cap - 1);
        idx[j] = i + 1;
    }
    free(x->idx);
    x->idx = idx;
    x->capidx = cap;
    return RK_OK;
}

static struct cur *find_cur(struct exp *x, int64_t race, const char *tps)
{
    if (!x->capidx)
        return NULL;
    for (size_t j = cur_hash(race, tps) & (x->capidx - 1); x->idx[j]; j = (j + 1) & (x->capidx - 1)) {
        struct cur *c = &x->cur[x->idx[j] - 1];
        if (c->race_id == race && strcmp(c->tps, tps) == 0)
            return c;
    }
    return NULL;
}

/* "document": the stored document as a JSON object. A canonical one (what the pipeline stores)
 * is its own compact dump; anything else is dumped through jansson as before (and left out, as
 * before, where it does not parse). */
static void document_json(struct line *l, const char *text, const struct rk_chasil *doc)
{
    char canon[RK_CHASIL_JSON_MAX];
    size_t len;
    if (rk_chasil_encode(doc, canon, sizeof canon, &len) == RK_OK && strcmp(canon, text) == 0) {
        l_put(l, ",\"document\":");
        l_put(l, text);
        return;
    }
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    char *dump = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (dump) {
        l_put(l, ",\"document\":");
        l_put(l, dump);
    }
    free(dump);
    json_decref(j);
}

static int history_row(void *ud, const struct rk_version *v)
{
    struct exp *x = ud;
    if (v->log_index < 0 || v->log_index >= x->size)
        return 0; /* accepted after the data head: belongs to the next snapshot */
    struct rk_chasil doc;
    if (rk_chasil_decode(v->doc, strlen(v->doc), 0, &doc, NULL) != RK_OK) {
        x->rc = RK_EPARSE;
        return 1;
    }
    struct cur *c = find_cur(x, v->race_id, v->tps);
    if (!c) {
        if (x->ncur == x->capcur) {
            size_t cap = x->capcur ? x->capcur * 2 : 1024;
            struct cur *n = realloc(x->cur, cap * sizeof *n);
            if (!n) {
                x->rc = RK_ENOMEM;
                return 1;
            }
            x->cur = n;
            x->capcur = cap;
        }
        c = &x->cur[x->ncur++];
        memset(c, 0, sizeof *c);
        c->race_id = v->race_id;
        memcpy(c->tps, v->tps, sizeof c->tps);
        if (x->ncur * 2 > x->capidx) { /* keep the index at most half full */
            if (index_rebuild(x) != RK_OK) {
                x->rc = RK_ENOMEM;
                return 1;
            }
        } else {
            size_t j = cur_hash(c->race_id, c->tps) & (x->capidx - 1);
            while (x->idx[j])
                j = (j + 1) & (x->capidx - 1);
            x->idx[j] = (size_t)(c - x->cur) + 1;
        }
    }
    c->version = v->version;
    c->kind = v->kind;
    snprintf(c->actor, sizeof c->actor, "%s", v->actor);
    snprintf(c->flags, sizeof c->flags, "%s", v->flags);
    memcpy(c->doc_hash, v->doc_hash, 32);
    c->created_ms = v->created_ms;
    c->log_index = v->log_index;
    c->approved = false;
    c->n_paslon = doc.n_paslon;
    rk_tally_from_chasil(&c->t, &doc, v->flags[0] != '\0', false);
    const char *ref = race_ref(x, v->race_id);
    char photos[RK_PHOTOS_MAX * 65 + 1] = "", sig[129] = "";
    for (int i = 0; i < v->n_photos; i++) {
        if (i)
            strcat(photos, ";");
        rk_hex(v->photos[i], 32, photos + strlen(photos));
    }
    if (v->has_sig)
        rk_hex(v->sig, 64, sig);
    if (x->csv) {
        struct out *o = &x->hist_csv;
        csv_common(o, ref, c);
        out_put(o, ",", 1);
        csv_field(o, v->device, 0);
        csv_field(o, sig, 0);
        csv_field(o, photos, 0);
        csv_field(o, v->reason, 0);
        csv_field(o, v->doc, 1);
        o->rows++;
    }
    if (x->jsonl) {
        struct line *l = x->line;
        common_json(l, ref, c);
        l_str(l, "device", v->device);
        if (v->has_sig)
            l_str(l, "signature", sig);
        else
            l_put(l, ",\"signature\":null");
        l_put(l, ",\"photos\":[");
        for (int i = 0; i < v->n_photos; i++) {
            char h[65];
            rk_hex(v->photos[i], 32, h);
            l_fmt(l, i ? ",\"%s\"" : "\"%s\"", h);
        }
        l_put(l, "]");
        l_str(l, "reason", v->reason);
        document_json(l, v->doc, &doc);
        l_str(l, "document_canonical", v->doc);
        jsonl_row(&x->hist_jsonl, l);
    }
    return 0;
}

/* The log below the data head, replayed: an approval of (race, TPS) after the current
 * version's own entry approves it (the pipeline only approves the current version); an objection
 * entry notes its (race, TPS), whose objections are exported after. */
#define LOG_BATCH 4096

static int replay_log(struct exp *x)
{
    for (int64_t i = 0; i < x->size; i++) {
        uint8_t buf[RK_LOG_ENTRY_MAX];
        size_t len;
        struct rk_logentry e;
        /* a read snapshot per LOG_BATCH entries: one lock and WAL look-up instead of one per
         * entry (a national log has ~1.7 million), yet never one snapshot for the whole log */
        if (i % LOG_BATCH == 0) {
            rk_store_read_end(x->s);
            rk_store_read_begin(x->s);
        }
        int rc = rk_store_log_get(x->s, i, buf, sizeof buf, &len, NULL);
        if (rc != RK_OK) {
            rk_store_read_end(x->s);
            return rc;
        }
        if (rk_logentry_decode(buf, len, &e) != RK_OK ||
            (e.kind != RK_LOGENTRY_APPROVAL && e.kind != RK_LOGENTRY_REJECTION))
            continue;
        int64_t race = 0;
        for (size_t k = 0; k < x->nraces && !race; k++)
            if (strcmp(x->races[k].ref, e.race) == 0)
                race = x->races[k].id;
        if (!race) /* no version of that race below the head: nothing to approve or object to */
            continue;
        if (e.kind == RK_LOGENTRY_REJECTION) {
            struct pair *n = realloc(x->objected, (x->nobjected + 1) * sizeof *n);
            if (!n) {
                rk_store_read_end(x->s);
                return RK_ENOMEM;
            }
            x->objected = n;
            n[x->nobjected].race_id = race;
            snprintf(n[x->nobjected].tps, sizeof n->tps, "%s", e.region);
            x->nobjected++;
            continue;
        }
        struct cur *c = find_cur(x, race, e.region);
        if (c && c->log_index < i) {
            c->approved = true;
            c->t.approved = 1;
        }
    }
    rk_store_read_end(x->s);
    return RK_OK;
}

static int cmp_pair(const void *pa, const void *pb)
{
    const struct pair *a = pa, *b = pb;
    if (a->race_id != b->race_id)
        return a->race_id < b->race_id ? -1 : 1;
    return strcmp(a->tps, b->tps);
}

static int cmp_objection(const void *pa, const void *pb)
{
    const struct rk_objection *a = pa, *b = pb;
    return a->log_index < b->log_index ? -1 : a->log_index > b->log_index;
}

static const char *const header_objections =
    "race_ref,tps,version,doc_sha256,actor,accepted_ms,log_index,reason\n";

/* objections.csv / .jsonl: every objection whose log entry lies below the data head, in log
 * order, with the document hash of the version it objects to (what its log statement names). */
static int export_objections(struct exp *x, struct out *csv, struct out *jsonl)
{
    if (x->nobjected) /* qsort's base may not be NULL, even for no elements */
        qsort(x->objected, x->nobjected, sizeof *x->objected, cmp_pair);
    struct rk_objection *all = NULL, *got = malloc(RK_OBJECTIONS_MAX * sizeof *got);
    struct rk_version *v = malloc(sizeof *v);
    size_t nall = 0;
    int rc = got && v ? RK_OK : RK_ENOMEM;
    for (size_t i = 0; rc == RK_OK && i < x->nobjected; i++) {
        if (i && cmp_pair(&x->objected[i - 1], &x->objected[i]) == 0)
            continue; /* several objections to one TPS: listed once */
        int n = 0;
        rc = rk_store_objection_list(x->s, x->objected[i].race_id, x->objected[i].tps, got,
                                     RK_OBJECTIONS_MAX, &n);
        struct rk_objection *grown = rc == RK_OK ? realloc(all, (nall + (size_t)n + 1) * sizeof *all)
                                                 : NULL;
        if (rc == RK_OK && !grown)
            rc = RK_ENOMEM;
        if (rc != RK_OK)
            break;
        all = grown;
        for (int k = 0; k < n; k++)
            if (got[k].log_index >= 0 && got[k].log_index < x->size)
                all[nall++] = got[k];
    }
    if (nall)
        qsort(all, nall, sizeof *all, cmp_objection);
    for (size_t i = 0; rc == RK_OK && i < nall; i++) {
        const struct rk_objection *o = &all[i];
        rc = rk_store_version_get(x->s, o->race_id, o->tps, o->version, v);
        if (rc != RK_OK)
            break;
        char ver[16], ms[24], idx[24], h[65];
        const char *ref = race_ref(x, o->race_id);
        snprintf(ver, sizeof ver, "%d", o->version);
        snprintf(ms, sizeof ms, "%lld", (long long)o->created_ms);
        snprintf(idx, sizeof idx, "%lld", (long long)o->log_index);
        rk_hex(v->doc_hash, 32, h);
        if (csv->f) {
            const char *f[] = {ref, o->tps, ver, h, o->actor, ms, idx, o->reason};
            for (size_t k = 0; k < sizeof f / sizeof *f; k++)
                csv_field(csv, f[k], k + 1 == sizeof f / sizeof *f);
            csv->rows++;
        }
        if (jsonl->f) {
            struct line *l = x->line;
            l->n = 0;
            l->failed = 0;
            l_str(l, "race_ref", ref);
            l_str(l, "tps", o->tps);
            l_int(l, "version", o->version);
            l_str(l, "doc_sha256", h);
            l_str(l, "actor", o->actor);
            l_int(l, "accepted_ms", (long long)o->created_ms);
            l_int(l, "log_index", (long long)o->log_index);
            l_str(l, "reason", o->reason);
            jsonl_row(jsonl, l);
        }
    }
    free(all);
    free(got);
    free(v);
    return rc;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct cur *a = pa, *b = pb;
    if (a->race_id != b->race_id)
        return a->race_id < b->race_id ? -1 : 1;
    return strcmp(a->tps, b->tps);
}

/* Appends the snapshot entry for the manifest hash, in its own transaction. */
static int append_snapshot(struct rk_store *s, const char *actor, const uint8_t hash[32],
                           int64_t ts, int64_t *index, uint8_t *ebuf, size_t *elen)
{
    int rc = rk_store_begin(s);
    if (rc != RK_OK)
        return rc;
    struct rk_logentry e;
    memset(&e, 0, sizeof e);
    int64_t size;
    if ((rc = rk_store_log_size(s, &size)) == RK_OK) {
        e.seq = (uint64_t)size;
        e.timestamp_ms = (uint64_t)ts;
        e.kind = RK_LOGENTRY_SNAPSHOT;
        snprintf(e.actor, sizeof e.actor, "%s", actor);
        memcpy(e.payload_hash, hash, 32);
        int n = rk_logentry_encode(&e, ebuf, RK_LOGENTRY_MAX_BYTES);
        uint8_t leaf[32];
        if (n < 0) {
            rc = n;
        } else {
            *elen = (size_t)n;
            rk_merkle_leaf_hash(ebuf, *elen, leaf);
            rc = rk_store_log_append(s, ebuf, *elen, leaf, index);
        }
    }
    if (rc == RK_OK)
        rc = rk_store_commit(s);
    else
        rk_store_rollback(s);
    return rc;
}

static void usage_export(FILE *f)
{
    fprintf(f, "usage: rekap export [--db FILE] --out DIR [--format csv,jsonl] [--key FILE]\n"
               "                    [--log-id NAME] [--actor NAME]\n"
               "  --key: kunci log server (bawaan <db>.key) / the server's log key (default "
               "<db>.key)\n"
               "  --log-id: nama log seperti pada rekap serve / the log id as given to rekap "
               "serve (default rekap)\n");
}

static int write_json_file(const char *dir, const char *name, json_t *j, uint8_t hash[32])
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (!text)
        return RK_ENOMEM;
    FILE *f = fopen(path, "wx");
    int rc = f ? RK_OK : errno == EEXIST ? RK_EEXIST : RK_EIO;
    if (f) {
        size_t n = strlen(text);
        if (fwrite(text, 1, n, f) != n || fputc('\n', f) == EOF)
            rc = RK_EIO;
        if (fclose(f) != 0)
            rc = RK_EIO;
        if (hash) {
            crypto_hash_sha256_state h;
            crypto_hash_sha256_init(&h);
            crypto_hash_sha256_update(&h, (const unsigned char *)text, n);
            crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
            crypto_hash_sha256_final(&h, hash);
        }
    }
    free(text);
    return rc;
}

int rk_cmd_export(int argc, char **argv)
{
    const char *db = rk_cli_default_db(), *dir = NULL, *format = "csv,jsonl", *key = NULL,
               *log_id = "rekap", *actor = "rekap-export";
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"out", required_argument, 0, 'o'},
                                         {"format", required_argument, 0, 'f'},
                                         {"key", required_argument, 0, 'k'},
                                         {"log-id", required_argument, 0, 'L'},
                                         {"actor", required_argument, 0, 'a'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:o:f:k:L:a:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'o': dir = optarg; break;
        case 'f': format = optarg; break;
        case 'k': key = optarg; break;
        case 'L': log_id = optarg; break;
        case 'a': actor = optarg; break;
        case 'h': usage_export(stdout); return 0;
        default: usage_export(stderr); return 2;
        }
    }
    struct exp x;
    memset(&x, 0, sizeof x);
    /* --format: a comma list of csv and jsonl, nothing else */
    for (const char *p = format; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 3 && strncmp(p, "csv", 3) == 0)
            x.csv = true;
        else if (n == 5 && strncmp(p, "jsonl", 5) == 0)
            x.jsonl = true;
        else {
            fprintf(stderr, "rekap export: --format hanya csv,jsonl / --format takes csv,jsonl\n");
            return 2;
        }
        p += n + (p[n] == ',');
    }
    if (!dir || optind != argc || (!x.csv && !x.jsonl) || !rk_sth_log_id_valid(log_id)) {
        usage_export(stderr);
        return 2;
    }
    struct rk_logentry probe = {.kind = RK_LOGENTRY_SNAPSHOT, .seq = 0};
    snprintf(probe.actor, sizeof probe.actor, "%s", actor);
    if (strlen(actor) > RK_LOGENTRY_ACTOR_MAX || rk_logentry_check(&probe) != RK_OK) {
        fprintf(stderr, "rekap export: --actor tidak valid / invalid --actor\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    /* The server's log key: a snapshot signed by any other key would not verify. */
    char keypath[4200];
    if (!key) {
        if (strncmp(db, "postgres", 8) == 0) {
            fprintf(stderr, "rekap export: --key wajib untuk PostgreSQL / --key is required with "
                            "PostgreSQL\n");
            return 2;
        }
        snprintf(keypath, sizeof keypath, "%s.key", strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db);
        key = keypath;
    }
    if (rk_cli_store_exists(db) != RK_OK)
        return 1;
    struct rk_local_signer ls;
    int rc = rk_local_signer_load(&ls, key);
    if (rc != RK_OK) {
        rk_cli_error(key, rc);
        return 1;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "rekap export: direktori tidak dapat dibuat / cannot create %s\n", dir);
        rk_local_signer_free(&ls);
        return 1;
    }
    if ((rc = rk_store_open(db, &x.s)) != RK_OK) {
        rk_cli_error(db, rc);
        rk_local_signer_free(&ls);
        return 1;
    }
    struct rk_log_view lv;
    struct rk_sth data_sth, snap_sth;
    struct out res_csv = {0}, res_jsonl = {0};
    uint8_t ebuf[RK_LOGENTRY_MAX_BYTES];
    size_t elen = 0;
    int64_t index = -1;
    json_t *files = json_array();
    /* 1. the head the data corresponds to */
    x.line = malloc(sizeof *x.line);
    rc = x.line ? rk_log_view_init(&lv, log_id) : RK_ENOMEM;
    if (rc == RK_OK)
        rc = rk_log_publish(x.s, &lv, &ls.signer, now_ms(), &data_sth);
    x.size = (int64_t)data_sth.tree_size;
    /* 2. history, streamed; current versions collected */
    if (rc == RK_OK && x.csv && (rc = out_open(&x.hist_csv, dir, "history.csv")) == RK_OK) {
        out_str(&x.hist_csv, header_common);
        out_str(&x.hist_csv, ",device,signature,photos,reason,document\n");
    }
    if (rc == RK_OK && x.jsonl)
        rc = out_open(&x.hist_jsonl, dir, "history.jsonl");
    if (rc == RK_OK)
        rc = rk_store_version_scan(x.s, 0, history_row, &x);
    if (rc == RK_OK && x.rc != RK_OK)
        rc = x.rc;
    if (rc == RK_OK)
        rc = replay_log(&x);
    /* 3. current results, sorted by race and TPS */
    if (rc == RK_OK)
        qsort(x.cur, x.ncur, sizeof *x.cur, cmp_rows);
    if (rc == RK_OK && x.csv && (rc = out_open(&res_csv, dir, "results.csv")) == RK_OK) {
        out_str(&res_csv, header_common);
        out_str(&res_csv, ",approved\n");
        for (size_t i = 0; i < x.ncur; i++) {
            csv_common(&res_csv, race_ref(&x, x.cur[i].race_id), &x.cur[i]);
            out_str(&res_csv, x.cur[i].approved ? ",true\n" : ",false\n");
            res_csv.rows++;
        }
    }
    if (rc == RK_OK && x.jsonl && (rc = out_open(&res_jsonl, dir, "results.jsonl")) == RK_OK) {
        for (size_t i = 0; i < x.ncur; i++) {
            common_json(x.line, race_ref(&x, x.cur[i].race_id), &x.cur[i]);
            l_put(x.line, x.cur[i].approved ? ",\"approved\":true" : ",\"approved\":false");
            jsonl_row(&res_jsonl, x.line);
        }
    }
    /* 4. objections */
    struct out obj_csv = {0}, obj_jsonl = {0};
    if (rc == RK_OK && x.csv && (rc = out_open(&obj_csv, dir, "objections.csv")) == RK_OK)
        out_str(&obj_csv, header_objections);
    if (rc == RK_OK && x.jsonl)
        rc = out_open(&obj_jsonl, dir, "objections.jsonl");
    if (rc == RK_OK)
        rc = export_objections(&x, &obj_csv, &obj_jsonl);
    /* 5. the manifest */
    struct out *all[FILES_MAX] = {&res_csv, &res_jsonl, &x.hist_csv, &x.hist_jsonl, &obj_csv,
                                  &obj_jsonl};
    for (int i = 0; i < FILES_MAX; i++) {
        uint8_t h[32];
        char hex[65];
        if (!all[i]->f)
            continue;
        int r2 = out_close(all[i], h);
        if (rc == RK_OK)
            rc = r2;
        rk_hex(h, 32, hex);
        json_array_append_new(files, json_pack("{s:s,s:s,s:I,s:I}", "name", all[i]->name,
                                               "sha256", hex, "bytes",
                                               (json_int_t)all[i]->bytes, "rows",
                                               (json_int_t)all[i]->rows));
    }
    uint8_t mhash[32];
    if (rc == RK_OK) {
        json_t *m = json_pack("{s:s,s:s,s:I,s:o,s:o}", "format", "rekap-open-data-v1", "log_id",
                              log_id, "created_ms", (json_int_t)now_ms(), "sth",
                              rk_sth_to_json(&data_sth), "files", json_incref(files));
        rc = write_json_file(dir, MANIFEST, m, mhash);
        json_decref(m);
    }
    /* 6. bind it to the log: entry, new head, proofs */
    if (rc == RK_OK)
        rc = append_snapshot(x.s, actor, mhash, now_ms(), &index, ebuf, &elen);
    if (rc == RK_OK)
        rc = rk_log_publish(x.s, &lv, &ls.signer, now_ms(), &snap_sth);
    struct rk_merkle_proof inc, con;
    struct rk_merkle_source src;
    rk_log_source(x.s, &src);
    if (rc == RK_OK)
        rc = rk_merkle_inclusion_proof(&src, (uint64_t)index, snap_sth.tree_size, &inc);
    if (rc == RK_OK)
        rc = rk_merkle_consistency_proof(&src, data_sth.tree_size, snap_sth.tree_size, &con);
    if (rc == RK_OK) {
        char ehex[2 * RK_LOGENTRY_MAX_BYTES + 1], mh[65], pub[65];
        rk_hex(ebuf, elen, ehex);
        rk_hex(mhash, 32, mh);
        rk_hex(ls.signer.public_key, 32, pub);
        json_t *p = json_pack("{s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:s}", "format",
                              "rekap-snapshot-proof-v1", "manifest_sha256", mh, "log_index",
                              (json_int_t)index, "entry_hex", ehex, "sth",
                              rk_sth_to_json(&snap_sth), "inclusion",
                              rk_merkle_inclusion_to_json((uint64_t)index, snap_sth.tree_size, &inc),
                              "consistency",
                              rk_merkle_consistency_to_json(data_sth.tree_size, snap_sth.tree_size,
                                                            &con),
                              "log_key", pub);
        rc = write_json_file(dir, PROOF, p, NULL);
        json_decref(p);
    }
    int code = 0;
    if (rc != RK_OK) {
        for (int i = 0; i < FILES_MAX; i++)
            if (all[i]->f)
                out_close(all[i], (uint8_t[32]){0});
        if (rc == RK_EEXIST)
            fprintf(stderr, "rekap export: %s sudah berisi snapshot; pakai direktori baru / %s "
                            "already holds a snapshot; use a new directory\n", dir, dir);
        else
            rk_cli_error("export", rc);
        code = 1;
    } else {
        unsigned long long nobj = x.csv ? obj_csv.rows : obj_jsonl.rows;
        printf("snapshot data terbuka di %s: %zu baris hasil TPS, %llu keberatan, log %s ukuran "
               "%llu; manifest dicatat di log #%lld (kepala %llu) / open-data snapshot in %s: %zu "
               "TPS result rows, %llu objections, log %s size %llu; manifest logged as entry "
               "#%lld (head %llu)\n",
               dir, x.ncur, nobj, log_id, (unsigned long long)data_sth.tree_size,
               (long long)index, (unsigned long long)snap_sth.tree_size, dir, x.ncur, nobj, log_id,
               (unsigned long long)data_sth.tree_size, (long long)index,
               (unsigned long long)snap_sth.tree_size);
    }
    json_decref(files);
    free(x.cur);
    free(x.idx);
    free(x.races);
    free(x.objected);
    free(x.line);
    rk_store_close(x.s);
    rk_local_signer_free(&ls);
    return code;
}

/* ---- rekap verify-snapshot DIR ---- */

static int vfail(int *bad, const char *id, const char *en, const char *what)
{
    printf("GAGAL / FAILED: %s / %s%s%s\n", id, en, what ? ": " : "", what ? what : "");
    (*bad)++;
    return 0;
}

/* Records in a CSV text (line breaks inside quotes do not count), header excluded. */
static uint64_t csv_records(const char *s, size_t n)
{
    uint64_t lines = 0;
    int q = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            q = !q;
        else if (s[i] == '\n' && !q)
            lines++;
    }
    return lines ? lines - 1 : 0;
}

static void usage_vs(FILE *f)
{
    fprintf(f, "usage: rekap verify-snapshot DIR [--log-key HEX] [--url URL]\n"
               "  --log-key: kunci publik log yang disematkan / pinned log public key (hex)\n"
               "  --url: periksa juga bahwa log server masih memuat snapshot ini / also check the\n"
               "         live log still contains this snapshot\n");
}

int rk_cmd_verify_snapshot(int argc, char **argv)
{
    const char *key_hex = NULL, *url = NULL;
    static const struct option opts[] = {{"log-key", required_argument, 0, 'K'},
                                         {"url", required_argument, 0, 'u'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "K:u:h", opts, NULL)) != -1) {
        switch (c) {
        case 'K': key_hex = optarg; break;
        case 'u': url = optarg; break;
        case 'h': usage_vs(stdout); return 0;
        default: usage_vs(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        usage_vs(stderr);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    const char *dir = argv[optind];
    uint8_t pub[32];
    bool pinned = false;
    if (rk_cli_log_key(key_hex, NULL, NULL, pub, &pinned) != RK_OK)
        return 2;
    char path[4200];
    char *mtext = NULL, *ptext = NULL;
    size_t mlen = 0, plen = 0;
    int bad = 0;
    snprintf(path, sizeof path, "%s/%s", dir, MANIFEST);
    if (rk_cli_slurp(path, 1 << 20, &mtext, &mlen) != RK_OK) {
        fprintf(stderr, "rekap verify-snapshot: %s tidak terbaca / unreadable\n", path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, PROOF);
    if (rk_cli_slurp(path, 1 << 20, &ptext, &plen) != RK_OK) {
        fprintf(stderr, "rekap verify-snapshot: %s tidak terbaca / unreadable\n", path);
        free(mtext);
        return 1;
    }
    json_error_t jerr;
    json_t *m = json_loadb(mtext, mlen, JSON_REJECT_DUPLICATES, &jerr);
    json_t *p = json_loadb(ptext, plen, JSON_REJECT_DUPLICATES, &jerr);
    uint8_t mhash[32], want[32];
    crypto_hash_sha256(mhash, (const unsigned char *)mtext, mlen);
    struct rk_sth data_sth, snap_sth;
    struct rk_merkle_proof inc, con;
    uint64_t ii, is, cf, cs;
    json_t *ehex = json_object_get(p, "entry_hex"), *pk = json_object_get(p, "log_key"),
           *mh = json_object_get(p, "manifest_sha256");
    uint8_t ebuf[RK_LOGENTRY_MAX_BYTES], file_pub[32];
    size_t elen = json_is_string(ehex) ? json_string_length(ehex) / 2 : 0;
    struct rk_logentry e;
    if (!json_is_object(m) || !json_is_object(p) ||
        !json_is_string(json_object_get(m, "format")) ||
        strcmp(json_string_value(json_object_get(m, "format")), "rekap-open-data-v1") != 0 ||
        rk_sth_from_json(json_object_get(m, "sth"), &data_sth) != RK_OK ||
        rk_sth_from_json(json_object_get(p, "sth"), &snap_sth) != RK_OK ||
        rk_merkle_inclusion_from_json(json_object_get(p, "inclusion"), &ii, &is, &inc) != RK_OK ||
        rk_merkle_consistency_from_json(json_object_get(p, "consistency"), &cf, &cs, &con) !=
            RK_OK ||
        !json_is_string(ehex) || elen > RK_LOGENTRY_MAX_BYTES ||
        rk_unhex(json_string_value(ehex), json_string_length(ehex), ebuf, elen) != RK_OK ||
        !json_is_string(pk) ||
        rk_unhex(json_string_value(pk), json_string_length(pk), file_pub, 32) != RK_OK ||
        !json_is_string(mh) ||
        rk_unhex(json_string_value(mh), json_string_length(mh), want, 32) != RK_OK ||
        rk_logentry_decode(ebuf, elen, &e) != RK_OK) {
        printf("GAGAL / FAILED: %s atau %s rusak / %s or %s is malformed\n", MANIFEST, PROOF,
               MANIFEST, PROOF);
        json_decref(m);
        json_decref(p);
        free(mtext);
        free(ptext);
        return 1;
    }
    if (!pinned) {
        memcpy(pub, file_pub, 32);
        uint8_t k[RK_KEY_ID_LEN];
        char kid[17];
        rk_key_id(pub, k);
        rk_hex(k, RK_KEY_ID_LEN, kid);
        printf("PERINGATAN / WARNING: kunci log tidak disematkan; memakai kunci dalam %s (id %s) "
               "— bandingkan dengan yang diumumkan / log key not pinned; using the key in %s (id "
               "%s) — compare it with the published one\n",
               PROOF, kid, PROOF, kid);
    }
    /* every file: bytes, hash, rows */
    json_t *files = json_object_get(m, "files");
    size_t i;
    json_t *f;
    if (!json_is_array(files) || json_array_size(files) == 0)
        vfail(&bad, "manifest tanpa berkas", "manifest lists no files", NULL);
    json_array_foreach(files, i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        json_t *hs = json_object_get(f, "sha256"), *by = json_object_get(f, "bytes"),
               *rows = json_object_get(f, "rows");
        uint8_t fh[32], h[32];
        if (!name || strchr(name, '/') || name[0] == '.' || !json_is_string(hs) ||
            rk_unhex(json_string_value(hs), json_string_length(hs), fh, 32) != RK_OK ||
            !json_is_integer(by) || !json_is_integer(rows)) {
            vfail(&bad, "entri berkas rusak di manifest", "malformed file entry in the manifest",
                  name);
            continue;
        }
        char *text;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (rk_cli_slurp(path, (size_t)1 << 32, &text, &len) != RK_OK) {
            vfail(&bad, "berkas hilang", "file missing", name);
            continue;
        }
        crypto_hash_sha256(h, (const unsigned char *)text, len);
        uint64_t n = 0;
        if (strstr(name, ".csv"))
            n = csv_records(text, len);
        else
            for (size_t k = 0; k < len; k++)
                n += text[k] == '\n';
        free(text);
        if (memcmp(h, fh, 32) != 0 || (json_int_t)len != json_integer_value(by))
            vfail(&bad, "isi berkas berbeda dengan manifest (SHA-256)",
                  "file content differs from the manifest (SHA-256)", name);
        else if ((json_int_t)n != json_integer_value(rows))
            vfail(&bad, "jumlah baris berbeda dengan manifest", "row count differs from the "
                  "manifest", name);
        else
            printf("  [ok] %s: %llu baris/rows, SHA-256 cocok/matches\n", name,
                   (unsigned long long)n);
    }
    /* the binding to the log */
    uint8_t leaf[32];
    rk_merkle_leaf_hash(ebuf, elen, leaf);
    if (memcmp(mhash, want, 32) != 0 || e.kind != RK_LOGENTRY_SNAPSHOT ||
        memcmp(e.payload_hash, mhash, 32) != 0)
        vfail(&bad, "entri log snapshot tidak memuat hash manifest ini",
              "the snapshot log entry does not carry this manifest's hash", NULL);
    else if (rk_sth_verify(&snap_sth, pub) != RK_OK || rk_sth_verify(&data_sth, pub) != RK_OK ||
             strcmp(snap_sth.log_id, data_sth.log_id) != 0)
        vfail(&bad, "tanda tangan kepala pohon tidak sah", "a signed tree head does not verify",
              NULL);
    else if (ii != e.seq || is != snap_sth.tree_size ||
             rk_merkle_verify_inclusion(ii, is, leaf, &inc, snap_sth.root) != RK_OK)
        vfail(&bad, "bukti inklusi entri snapshot tidak sah",
              "the snapshot entry's inclusion proof does not verify", NULL);
    else if (data_sth.tree_size > e.seq || cf != data_sth.tree_size || cs != snap_sth.tree_size ||
             rk_merkle_verify_consistency(cf, cs, data_sth.root, snap_sth.root, &con) != RK_OK)
        vfail(&bad, "kepala data bukan awalan kepala snapshot",
              "the data's head is not a prefix of the snapshot's head", NULL);
    else
        printf("  [ok] manifest tercatat di log %s #%llu, kepala %llu bertanda tangan sah; data "
               "sesuai kepala %llu / manifest logged in %s as #%llu under a validly signed head "
               "of %llu; data matches head %llu\n",
               snap_sth.log_id, (unsigned long long)e.seq,
               (unsigned long long)snap_sth.tree_size, (unsigned long long)data_sth.tree_size,
               snap_sth.log_id, (unsigned long long)e.seq,
               (unsigned long long)snap_sth.tree_size, (unsigned long long)data_sth.tree_size);
    /* optionally: the live log still extends the snapshot's head */
    if (url && !bad) {
        struct rk_http_src hs;
        struct rk_audit_src src;
        struct rk_sth live;
        uint8_t live_pub[32];
        struct rk_merkle_proof lp;
        int rc = rk_http_src_init(&hs, url, &src);
        if (rc == RK_OK)
            rc = src.sth(src.ctx, &live, live_pub);
        if (rc != RK_OK)
            vfail(&bad, "server tidak dapat dihubungi", "cannot reach the server", url);
        else if (rk_sth_verify(&live, pub) != RK_OK || strcmp(live.log_id, snap_sth.log_id) != 0 ||
                 live.tree_size < snap_sth.tree_size ||
                 src.consistency(src.ctx, snap_sth.tree_size, live.tree_size, &lp) != RK_OK ||
                 rk_merkle_verify_consistency(snap_sth.tree_size, live.tree_size, snap_sth.root,
                                              live.root, &lp) != RK_OK)
            vfail(&bad, "log server tidak memuat kepala snapshot ini",
                  "the server's log does not extend this snapshot's head", url);
        else
            printf("  [ok] log server (ukuran %llu) memuat snapshot ini / the server's log (size "
                   "%llu) extends this snapshot\n",
                   (unsigned long long)live.tree_size, (unsigned long long)live.tree_size);
        rk_http_src_free(&hs);
    }
    json_decref(m);
    json_decref(p);
    free(mtext);
    free(ptext);
    if (bad) {
        printf("SNAPSHOT TIDAK SAH / SNAPSHOT INVALID\n");
        return 1;
    }
    printf("SNAPSHOT SAH / SNAPSHOT VALID\n");
    return 0;
}
