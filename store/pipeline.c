/* Results pipeline: authorization, signature, validation, versioning, tallies and the
 * transparency log, in that order, with every write of one request in one transaction. */
#include "store/pipeline.h"
#include "store/auth.h"
#include "rekap/logentry.h"
#include "rekap/statement.h"
#include "rekap/status.h"
#include "rekap/tally.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Resets an outcome's header. Not the violations array: at ~50 KiB, clearing it on every
 * request showed up in election-night profiles. */
static void outcome_reset(struct rk_outcome *o)
{
    if (o) {
        o->message_en[0] = o->message_id[0] = o->field[0] = '\0';
        o->n_violations = 0;
    }
}

static int refuse(struct rk_outcome *o, int status, const char *field, const char *en,
                  const char *id)
{
    if (o) {
        snprintf(o->message_en, sizeof o->message_en, "%s", en);
        snprintf(o->message_id, sizeof o->message_id, "%s", id);
        snprintf(o->field, sizeof o->field, "%s", field ? field : "");
    }
    return status;
}

static void race_ref_of(const struct rk_race *race, const struct rk_election *e,
                        char out[RK_LOGENTRY_RACE_MAX + 1])
{
    if (race->region_code[0])
        snprintf(out, RK_LOGENTRY_RACE_MAX + 1, "%s.%s.%s", e->slug, rk_race_kind_code(race->kind),
                 race->region_code);
    else
        snprintf(out, RK_LOGENTRY_RACE_MAX + 1, "%s.%s", e->slug, rk_race_kind_code(race->kind));
}

int rk_race_ref(struct rk_store *s, int64_t race_id, char out[RK_LOGENTRY_RACE_MAX + 1])
{
    struct rk_race race;
    struct rk_election e;
    int rc = rk_store_race_get(s, race_id, &race);
    if (rc == RK_OK)
        rc = rk_store_election_get(s, race.election_id, &e);
    if (rc == RK_OK)
        race_ref_of(&race, &e, out);
    return rc;
}

int rk_log_append_at(struct rk_store *s, enum rk_logentry_kind kind, const char *actor,
                     const char *region, const char *race_ref, const char *payload, size_t len,
                     const char *device_hex, const uint8_t *sig, int64_t now_ms, int64_t size,
                     int64_t *index)
{
    struct rk_logentry e;
    memset(&e, 0, sizeof e);
    if (!actor || strlen(actor) > RK_LOGENTRY_ACTOR_MAX ||
        strlen(region ? region : "") > RK_CODE_MAX ||
        strlen(race_ref ? race_ref : "") > RK_LOGENTRY_RACE_MAX || now_ms < 0)
        return RK_EINVAL;
    int rc;
    e.seq = (uint64_t)size;
    e.timestamp_ms = (uint64_t)now_ms;
    e.kind = kind;
    snprintf(e.actor, sizeof e.actor, "%s", actor);
    snprintf(e.region, sizeof e.region, "%s", region ? region : "");
    snprintf(e.race, sizeof e.race, "%s", race_ref ? race_ref : "");
    crypto_hash_sha256(e.payload_hash, (const unsigned char *)payload, len);
    if (device_hex && device_hex[0]) {
        if (rk_unhex(device_hex, strlen(device_hex), e.device_key_id, RK_KEY_ID_LEN) != RK_OK)
            return RK_EINVAL;
        e.has_device = true;
        if (sig) {
            memcpy(e.signature, sig, 64);
            e.has_signature = true;
        }
    }
    uint8_t buf[RK_LOGENTRY_MAX_BYTES], leaf[32];
    int n = rk_logentry_encode(&e, buf, sizeof buf);
    if (n < 0)
        return n;
    rk_merkle_leaf_hash(buf, (size_t)n, leaf);
    if ((rc = rk_store_log_append(s, buf, (size_t)n, leaf, index)) != RK_OK)
        return rc;
    return *index == size ? RK_OK : RK_EINTERNAL;
}

int rk_log_append_statement(struct rk_store *s, enum rk_logentry_kind kind, const char *actor,
                            const char *region, const char *race_ref, const char *payload,
                            size_t len, const char *device_hex, const uint8_t *sig,
                            int64_t now_ms, int64_t *index)
{
    int64_t size;
    int rc = rk_store_log_size(s, &size);
    if (rc != RK_OK)
        return rc;
    return rk_log_append_at(s, kind, actor, region, race_ref, payload, len, device_hex, sig,
                            now_ms, size, index);
}

int rk_log_race_config(struct rk_store *s, const char *actor, int64_t race_id, int64_t now_ms)
{
    struct rk_race race;
    struct rk_election e;
    struct rk_candidate c[RK_CANDIDATES_MAX];
    int n = 0;
    int rc = rk_store_race_get(s, race_id, &race);
    if (rc == RK_OK)
        rc = rk_store_election_get(s, race.election_id, &e);
    if (rc == RK_OK)
        rc = rk_store_candidate_list(s, race_id, c, RK_CANDIDATES_MAX, &n);
    if (rc != RK_OK)
        return rc;
    char ref[RK_LOGENTRY_RACE_MAX + 1], st[RK_STATEMENT_BUF];
    size_t len;
    race_ref_of(&race, &e, ref);
    if ((rc = rk_statement_race(ref, race.region_code, race.kind, race.name, c, n, st, sizeof st,
                                &len)) != RK_OK)
        return rc;
    int64_t index;
    return rk_log_append_statement(s, RK_LOGENTRY_ELECTION_CONFIG, actor, race.region_code, ref,
                                   st, len, NULL, NULL, now_ms, &index);
}

/* Appends a log entry about a result of race_id at tps; returns its index in *index and the
 * race's reference in ref ("" on entry = look it up). size: the log's size as already read in
 * this transaction, or -1 to read it. */
static int log_entry(struct rk_store *s, enum rk_logentry_kind kind, const char *actor,
                     const char *tps, int64_t race_id, const char *payload, size_t plen,
                     const char *device_hex, const uint8_t *sig, int64_t now_ms, int64_t size,
                     int64_t *index, char ref[RK_LOGENTRY_RACE_MAX + 1])
{
    int rc = ref[0] ? RK_OK : rk_race_ref(s, race_id, ref);
    if (rc == RK_OK && size < 0)
        rc = rk_store_log_size(s, &size);
    if (rc != RK_OK)
        return rc;
    return rk_log_append_at(s, kind, actor, tps, ref, payload, plen, device_hex, sig, now_ms,
                            size, index);
}

/* Checks that the race exists, is held where the TPS is, and matches the document's columns;
 * fills ctx from the registry. */
static int check_subject(struct rk_store *s, const struct rk_chasil *doc,
                         struct rk_validate_ctx *ctx, struct rk_outcome *o,
                         char ref[RK_LOGENTRY_RACE_MAX + 1])
{
    struct rk_race race;
    struct rk_election e;
    struct rk_region tps;
    int rc = rk_store_race_get(s, doc->race_id, &race);
    if (rc == RK_ENOTFOUND)
        return refuse(o, rc, "race", "unknown race", "pemilihan tidak dikenal");
    if (rc != RK_OK)
        return rc;
    if ((rc = rk_store_election_get(s, race.election_id, &e)) != RK_OK)
        return rc;
    if (strcmp(e.slug, doc->election) != 0)
        return refuse(o, RK_EINVAL, "election", "race belongs to another election",
                      "pemilihan ini milik agenda lain");
    rc = rk_store_region_get(s, doc->tps, &tps);
    if (rc == RK_ENOTFOUND)
        return refuse(o, rc, "tps", "unknown TPS", "TPS tidak dikenal");
    if (rc != RK_OK)
        return rc;
    if (strncmp(doc->tps, race.region_code, strlen(race.region_code)) != 0)
        return refuse(o, RK_EINVAL, "race", "this race is not held at this TPS",
                      "pemilihan ini tidak diadakan di TPS ini");
    struct rk_candidate c[RK_CANDIDATES_MAX];
    int n = 0;
    if ((rc = rk_store_candidate_list(s, race.id, c, RK_CANDIDATES_MAX, &n)) != RK_OK)
        return rc;
    bool kk = n > 0 && n <= RK_CANDIDATES_MAX && c[n - 1].kolom_kosong;
    if (n != doc->n_paslon || kk != doc->kolom_kosong)
        return refuse(o, RK_EINVAL, "paslon", "the document's columns do not match the race",
                      "jumlah kolom paslon tidak sesuai dengan pemilihan ini");
    race_ref_of(&race, &e, ref);
    rk_validate_ctx_init(ctx, e.kind);
    if (tps.dpt_l + tps.dpt_p > 0) {
        ctx->dpt_known = true;
        ctx->dpt_l = tps.dpt_l;
        ctx->dpt_p = tps.dpt_p;
    }
    return RK_OK;
}

/* Runs the form's rules; hard violations refuse, soft ones become flags. */
static int check_rules(const struct rk_chasil *doc, const struct rk_validate_ctx *ctx,
                       struct rk_outcome *o, char flags[RK_FLAGS_MAX + 1])
{
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n = 0;
    int rc = rk_validate(doc, ctx, v, RK_VIOLATIONS_MAX, &n);
    flags[0] = '\0';
    if (n > RK_VIOLATIONS_MAX)
        n = RK_VIOLATIONS_MAX;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].severity != RK_SEV_SOFT)
            continue;
        size_t len = strlen(v[i].code);
        if (w + len + 2 > RK_FLAGS_MAX + 1)
            break;
        if (w)
            flags[w++] = ',';
        memcpy(flags + w, v[i].code, len + 1);
        w += len;
    }
    if (rc == RK_EVALIDATION) {
        if (o) {
            o->n_violations = n;
            memcpy(o->violations, v, n * sizeof v[0]);
        }
        return refuse(o, rc, "document", "the form's numbers do not add up",
                      "angka pada formulir tidak sesuai aturan");
    }
    return rc;
}

/* The receipt of an act on version `version` (id version_id, document doc) of (race, tps): an
 * approval or an objection, whose own log entry is idx. No flags: the act raises none. */
static void act_receipt(struct rk_receipt *r, int64_t race_id, const char *tps, int64_t version_id,
                        int version, const uint8_t doc[32], int64_t idx,
                        const char ref[RK_LOGENTRY_RACE_MAX + 1])
{
    if (!r)
        return;
    memset(r, 0, sizeof *r);
    r->race_id = race_id;
    snprintf(r->tps, sizeof r->tps, "%s", tps);
    r->version_id = version_id;
    r->version = version;
    memcpy(r->doc_hash, doc, 32);
    r->log_index = idx;
    memcpy(r->race_ref, ref, sizeof r->race_ref);
}

static void fill_receipt(struct rk_receipt *r, const struct rk_version *v)
{
    if (!r)
        return;
    memset(r, 0, sizeof *r);
    r->race_id = v->race_id;
    memcpy(r->tps, v->tps, sizeof r->tps);
    r->version_id = v->id;
    r->version = v->version;
    memcpy(r->doc_hash, v->doc_hash, 32);
    r->log_index = v->log_index;
    memcpy(r->flags, v->flags, sizeof r->flags);
}

/* The duplicate answer: the current version as it stands. */
static int duplicate(struct rk_store *s, const struct rk_tps_state *st, struct rk_receipt *r)
{
    struct rk_version *v = malloc(sizeof *v);
    if (!v)
        return RK_ENOMEM;
    int rc = rk_store_version_get(s, st->race_id, st->tps, st->current_version, v);
    if (rc == RK_OK) {
        fill_receipt(r, v);
        if (r) {
            r->duplicate = true;
            rc = rk_race_ref(s, st->race_id, r->race_ref);
        }
    }
    free(v);
    return rc;
}

/* Writes a new version and its log entry; the caller holds the transaction. cur: the TPS's
 * state as read in it (current_version 0 = none yet); ref: the race's reference if known
 * ("" = look it up). The version row is written knowing the index its log entry gets next,
 * and the append checks it got exactly that index. */
static int write_version(struct rk_store *s, struct rk_version *v, const struct rk_chasil *doc,
                         const struct rk_tps_state *cur, const char *known_ref,
                         enum rk_logentry_kind kind, const char *payload, size_t plen,
                         const uint8_t *sig, struct rk_receipt *r)
{
    struct rk_tally t;
    rk_tally_from_chasil(&t, doc, v->flags[0] != '\0', false);
    int64_t size, idx;
    int rc = rk_store_log_size(s, &size);
    if (rc == RK_OK)
        rc = rk_store_version_add_at(s, v, &t, cur, size);
    if (rc != RK_OK)
        return rc;
    char ref[RK_LOGENTRY_RACE_MAX + 1];
    snprintf(ref, sizeof ref, "%s", known_ref);
    /* rk_log_append_at refuses any index but size: the one the version row already names */
    rc = log_entry(s, kind, v->actor, v->tps, v->race_id, payload, plen,
                   v->kind == RK_VERSION_UPLOAD ? v->device : NULL, sig, v->created_ms, size,
                   &idx, ref);
    if (rc != RK_OK)
        return rc;
    fill_receipt(r, v);
    if (r)
        memcpy(r->race_ref, ref, sizeof r->race_ref);
    return RK_OK;
}

static int prepare(struct rk_store *s, const struct rk_principal *who,
                   const struct rk_submission *sub, int64_t now_ms, struct rk_prepared *p,
                   struct rk_outcome *o)
{
    int rc = rk_submission_statement(sub, p->statement, sizeof p->statement, &p->slen);
    if (rc != RK_OK)
        return rc;
    struct rk_principal owner;
    rc = rk_auth_device_verify(s, sub->device, p->statement, p->slen, sub->sig, &owner);
    if (rc == RK_ESIGNATURE)
        return refuse(o, rc, "signature", "the device signature does not verify",
                      "tanda tangan perangkat tidak sah");
    if (rc == RK_EFORBIDDEN)
        return refuse(o, rc, "device", "the device's account is disabled",
                      "akun perangkat ini dinonaktifkan");
    if (rc != RK_OK)
        return rc;
    if (who && who->user_id != owner.user_id)
        return refuse(o, RK_EFORBIDDEN, "device", "this device belongs to another account",
                      "perangkat ini milik akun lain");
    if (rk_auth_check(&owner, RK_ACT_SUBMIT, sub->doc.tps, sub->doc.race_id) != RK_OK)
        return refuse(o, RK_EFORBIDDEN, "tps", "you may not submit for this TPS",
                      "Anda tidak berwenang mengirim hasil TPS ini");
    struct rk_validate_ctx ctx;
    if ((rc = check_subject(s, &sub->doc, &ctx, o, p->race_ref)) != RK_OK)
        return rc;
    struct rk_version *v = calloc(1, sizeof *v);
    if (!v)
        return RK_ENOMEM;
    if ((rc = check_rules(&sub->doc, &ctx, o, v->flags)) != RK_OK) {
        free(v);
        return rc;
    }
    v->race_id = sub->doc.race_id;
    memcpy(v->tps, sub->doc.tps, sizeof v->tps);
    v->kind = RK_VERSION_UPLOAD;
    snprintf(v->actor, sizeof v->actor, "%s", owner.username);
    memcpy(v->device, sub->device, sizeof v->device);
    memcpy(v->doc_hash, sub->doc_hash, 32);
    v->n_photos = sub->n_photos;
    memcpy(v->photos, sub->photos, sizeof v->photos);
    v->has_sig = true;
    memcpy(v->sig, sub->sig, 64);
    v->created_ms = now_ms;
    memcpy(v->doc, sub->doc_json, sub->doc_len);
    v->doc[sub->doc_len] = '\0';
    p->v = v;
    p->doc = sub->doc;
    p->has_prev = sub->has_prev;
    memcpy(p->prev, sub->prev, 32);
    memcpy(p->sig, sub->sig, 64);
    return RK_OK;
}

int rk_pipeline_submit_prepare(struct rk_store *s, const struct rk_principal *who,
                               const struct rk_submission *sub, int64_t now_ms,
                               struct rk_prepared *p, struct rk_outcome *o)
{
    memset(p, 0, sizeof *p);
    outcome_reset(o);
    /* Five registry reads (device, race, election, TPS, candidates) from one snapshot. */
    int rc = rk_store_read_begin(s);
    if (rc == RK_OK)
        rc = prepare(s, who, sub, now_ms, p, o);
    rk_store_read_end(s);
    if (rc != RK_OK)
        rk_pipeline_prepared_free(p);
    return rc;
}

void rk_pipeline_prepared_free(struct rk_prepared *p)
{
    free(p->v);
    p->v = NULL;
}

int rk_pipeline_submit_apply(struct rk_store *s, struct rk_prepared *p, struct rk_receipt *r,
                             struct rk_outcome *o)
{
    struct rk_version *v = p->v;
    struct rk_tps_state st;
    int rc = rk_store_tps_state(s, v->race_id, v->tps, &st);
    if (rc == RK_OK && memcmp(st.current_hash, v->doc_hash, 32) == 0)
        return duplicate(s, &st, r);
    if (rc == RK_OK && st.approved)
        return refuse(o, RK_ECONFLICT, "tps",
                      "this TPS's result is already approved; ask the PPK to correct it",
                      "hasil TPS ini sudah disetujui; minta PPK untuk mengoreksi");
    if (rc != RK_OK && rc != RK_ENOTFOUND)
        return rc;
    bool stale = rc == RK_OK ? (!p->has_prev || memcmp(p->prev, st.current_hash, 32) != 0)
                             : p->has_prev;
    if (stale)
        return refuse(o, RK_ECONFLICT, "prev",
                      "this submission does not replace the current version (replayed or stale)",
                      "kiriman ini tidak menggantikan versi terkini (dikirim ulang atau usang)");
    if (rc == RK_ENOTFOUND) {
        memset(&st, 0, sizeof st);
        st.race_id = v->race_id;
        memcpy(st.tps, v->tps, sizeof st.tps);
    }
    return write_version(s, v, &p->doc, &st, p->race_ref, RK_LOGENTRY_SUBMISSION, p->statement,
                         p->slen, p->sig, r);
}

int rk_pipeline_submit(struct rk_store *s, const struct rk_principal *who,
                       const struct rk_submission *sub, int64_t now_ms, struct rk_receipt *r,
                       struct rk_outcome *o)
{
    struct rk_prepared p;
    int rc = rk_pipeline_submit_prepare(s, who, sub, now_ms, &p, o);
    if (rc != RK_OK)
        return rc;
    if ((rc = rk_store_begin(s)) == RK_OK) {
        struct rk_receipt tmp;
        if (!r)
            r = &tmp;
        rc = rk_pipeline_submit_apply(s, &p, r, o);
        if (rc == RK_OK && !r->duplicate)
            rc = rk_store_commit(s);
        else
            rk_store_rollback(s);
    }
    rk_pipeline_prepared_free(&p);
    return rc;
}

int rk_pipeline_correct(struct rk_store *s, const struct rk_principal *who,
                        const struct rk_chasil *doc, const uint8_t prev_hash[32],
                        const char *reason, int64_t now_ms, struct rk_receipt *r,
                        struct rk_outcome *o)
{
    outcome_reset(o);
    if (!who || rk_auth_check(who, RK_ACT_CORRECT, doc->tps, doc->race_id) != RK_OK)
        return refuse(o, RK_EFORBIDDEN, "tps", "you may not correct this TPS",
                      "Anda tidak berwenang mengoreksi TPS ini");
    if (!reason || rk_auth_reason_check(reason, strlen(reason)) != RK_OK)
        return refuse(o, RK_EINVAL, "reason", "a correction needs a reason (at least a sentence)",
                      "koreksi wajib disertai alasan");
    int rc = rk_chasil_check(doc, false, NULL);
    if (rc != RK_OK)
        return refuse(o, rc, "document", "the document is incomplete or malformed",
                      "dokumen tidak lengkap atau tidak valid");
    struct rk_validate_ctx ctx;
    char ref[RK_LOGENTRY_RACE_MAX + 1];
    if ((rc = check_subject(s, doc, &ctx, o, ref)) != RK_OK)
        return rc;
    struct rk_version *v = calloc(1, sizeof *v);
    if (!v)
        return RK_ENOMEM;
    if ((rc = check_rules(doc, &ctx, o, v->flags)) != RK_OK)
        goto out;
    size_t len;
    if ((rc = rk_chasil_encode(doc, v->doc, sizeof v->doc, &len)) != RK_OK)
        goto out;
    crypto_hash_sha256(v->doc_hash, (const unsigned char *)v->doc, len);
    v->race_id = doc->race_id;
    memcpy(v->tps, doc->tps, sizeof v->tps);
    v->kind = RK_VERSION_CORRECTION;
    snprintf(v->actor, sizeof v->actor, "%s", who->username);
    snprintf(v->reason, sizeof v->reason, "%s", reason);
    v->created_ms = now_ms;

    if ((rc = rk_store_begin(s)) != RK_OK)
        goto out;
    struct rk_tps_state st;
    rc = rk_store_tps_state(s, v->race_id, v->tps, &st);
    if (rc == RK_ENOTFOUND) {
        rk_store_rollback(s);
        rc = refuse(o, RK_ECONFLICT, "tps", "nothing to correct: no result received yet",
                    "belum ada hasil yang diterima untuk dikoreksi");
        goto out;
    }
    if (rc != RK_OK || memcmp(st.current_hash, prev_hash, 32) != 0) {
        rk_store_rollback(s);
        if (rc == RK_OK)
            rc = refuse(o, RK_ECONFLICT, "prev", "the result changed meanwhile; reload it",
                        "hasil sudah berubah; muat ulang");
        goto out;
    }
    if (memcmp(st.current_hash, v->doc_hash, 32) == 0) {
        rk_store_rollback(s);
        rc = refuse(o, RK_ECONFLICT, "document", "the correction changes nothing",
                    "koreksi tidak mengubah apa pun");
        goto out;
    }
    char statement[RK_STATEMENT_MAX];
    size_t slen;
    if ((rc = rk_statement_correction(v->tps, v->doc_hash, prev_hash, reason, statement,
                                   sizeof statement, &slen)) == RK_OK)
        rc = write_version(s, v, doc, &st, ref, RK_LOGENTRY_CORRECTION, statement, slen, NULL, r);
    if (rc == RK_OK)
        rc = rk_store_commit(s);
    if (rc != RK_OK)
        rk_store_rollback(s);
out:
    free(v);
    return rc;
}

int rk_pipeline_approve(struct rk_store *s, const struct rk_principal *who, int64_t race_id,
                        const char *tps, int version, int64_t now_ms, struct rk_receipt *r,
                        struct rk_outcome *o)
{
    outcome_reset(o);
    if (!who || rk_auth_check(who, RK_ACT_APPROVE, tps, race_id) != RK_OK)
        return refuse(o, RK_EFORBIDDEN, "tps", "you may not approve this TPS",
                      "Anda tidak berwenang menyetujui TPS ini");
    int rc = rk_store_begin(s);
    if (rc != RK_OK)
        return rc;
    struct rk_tps_state st;
    rc = rk_store_tps_state(s, race_id, tps, &st);
    if (rc == RK_OK && (st.current_version != version || st.approved)) {
        rc = refuse(o, RK_ECONFLICT, "version",
                    st.approved ? "already approved" : "not the current version; reload it",
                    st.approved ? "sudah disetujui" : "bukan versi terkini; muat ulang");
    } else if (rc == RK_ENOTFOUND) {
        rc = refuse(o, rc, "tps", "no result received for this TPS", "belum ada hasil TPS ini");
    }
    if (rc == RK_OK)
        rc = rk_store_approve(s, race_id, tps, version, who->username, now_ms);
    char statement[RK_STATEMENT_MAX];
    size_t slen;
    int64_t idx = -1;
    char ref[RK_LOGENTRY_RACE_MAX + 1] = "";
    if (rc == RK_OK)
        rc = rk_statement_approval(tps, version, st.current_hash, statement, sizeof statement, &slen);
    if (rc == RK_OK)
        rc = log_entry(s, RK_LOGENTRY_APPROVAL, who->username, tps, race_id, statement, slen, NULL,
                       NULL, now_ms, -1, &idx, ref);
    if (rc == RK_OK)
        rc = rk_store_commit(s);
    if (rc != RK_OK) {
        rk_store_rollback(s);
        return rc;
    }
    act_receipt(r, race_id, tps, st.current_id, version, st.current_hash, idx, ref);
    return RK_OK;
}

int rk_pipeline_object(struct rk_store *s, const struct rk_principal *who, int64_t race_id,
                       const char *tps, int version, const char *reason, int64_t now_ms,
                       struct rk_receipt *r, struct rk_outcome *o)
{
    outcome_reset(o);
    if (!who || rk_auth_check(who, RK_ACT_FLAG, tps, race_id) != RK_OK)
        return refuse(o, RK_EFORBIDDEN, "tps", "you may not object to results of this TPS",
                      "Anda tidak berwenang mengajukan keberatan atas TPS ini");
    if (!reason || rk_auth_reason_check(reason, strlen(reason)) != RK_OK)
        return refuse(o, RK_EINVAL, "reason", "an objection needs a reason (at least a sentence)",
                      "keberatan wajib disertai alasan");
    struct rk_version *v = malloc(sizeof *v);
    struct rk_objection *old = malloc(RK_OBJECTIONS_MAX * sizeof *old);
    int rc = v && old ? rk_store_begin(s) : RK_ENOMEM;
    if (rc != RK_OK) {
        free(v), free(old);
        return rc;
    }
    int n = 0;
    rc = rk_store_version_get(s, race_id, tps, version, v);
    if (rc == RK_ENOTFOUND)
        rc = refuse(o, rc, "version", "no such version of this TPS's result",
                    "versi hasil TPS ini tidak ada");
    if (rc == RK_OK)
        rc = rk_store_objection_list(s, race_id, tps, old, RK_OBJECTIONS_MAX, &n);
    if (rc == RK_OK && n >= RK_OBJECTIONS_MAX)
        rc = refuse(o, RK_ETOOBIG, "tps", "this TPS's result has as many objections as it may hold",
                    "keberatan atas hasil TPS ini sudah mencapai batas");
    char statement[RK_STATEMENT_MAX];
    size_t slen;
    int64_t idx = -1;
    char ref[RK_LOGENTRY_RACE_MAX + 1] = "";
    if (rc == RK_OK)
        rc = rk_statement_objection(tps, version, v->doc_hash, reason, statement,
                                    sizeof statement, &slen);
    if (rc == RK_OK)
        rc = log_entry(s, RK_LOGENTRY_REJECTION, who->username, tps, race_id, statement, slen,
                       NULL, NULL, now_ms, -1, &idx, ref);
    if (rc == RK_OK) {
        struct rk_objection ob = {.race_id = race_id, .version = version, .created_ms = now_ms,
                                  .log_index = idx};
        snprintf(ob.tps, sizeof ob.tps, "%s", tps);
        snprintf(ob.actor, sizeof ob.actor, "%s", who->username);
        snprintf(ob.reason, sizeof ob.reason, "%s", reason);
        rc = rk_store_objection_put(s, &ob);
    }
    if (rc == RK_OK)
        rc = rk_store_commit(s);
    if (rc != RK_OK)
        rk_store_rollback(s);
    else
        act_receipt(r, race_id, tps, v->id, version, v->doc_hash, idx, ref);
    free(v), free(old);
    return rc;
}

/* ---- log publishing ---- */

struct leaf_src {
    struct rk_store *s;
};

/* Hash of the perfect subtree [start, start + 2^level): read its leaves and fold them. */
static int subtree(void *ctx, uint64_t start, unsigned level, uint8_t out[RK_MERKLE_HASH_LEN])
{
    struct rk_store *s = ctx;
    if (level > 40)
        return RK_ERANGE;
    uint64_t n = (uint64_t)1 << level;
    uint8_t(*h)[32] = malloc((size_t)n * 32);
    if (!h)
        return RK_ENOMEM;
    int rc = rk_store_log_leaves(s, (int64_t)start, (int64_t)n, h);
    if (rc == RK_OK) {
        for (uint64_t width = n; width > 1; width /= 2)
            for (uint64_t i = 0; i < width / 2; i++)
                rk_merkle_node_hash(h[2 * i], h[2 * i + 1], h[i]);
        memcpy(out, h[0], 32);
    }
    free(h);
    return rc;
}

void rk_log_source(struct rk_store *s, struct rk_merkle_source *src)
{
    src->subtree = subtree;
    src->ctx = s;
}

int rk_log_view_init(struct rk_log_view *lv, const char *log_id)
{
    memset(lv, 0, sizeof *lv);
    if (!rk_sth_log_id_valid(log_id))
        return RK_EINVAL;
    snprintf(lv->log_id, sizeof lv->log_id, "%s", log_id);
    rk_merkle_frontier_init(&lv->frontier);
    return RK_OK;
}

int rk_log_publish(struct rk_store *s, struct rk_log_view *lv, const struct rk_signer *signer,
                   int64_t now_ms, struct rk_sth *out)
{
    int64_t size;
    int rc = rk_store_log_size(s, &size);
    if (rc != RK_OK)
        return rc;
    /* Catch up in chunks of leaves seen since the last publish. */
    uint8_t(*chunk)[32] = malloc(4096 * 32);
    if (!chunk)
        return RK_ENOMEM;
    while ((int64_t)lv->frontier.size < size && rc == RK_OK) {
        int64_t start = (int64_t)lv->frontier.size;
        int64_t n = size - start > 4096 ? 4096 : size - start;
        rc = rk_store_log_leaves(s, start, n, chunk);
        for (int64_t i = 0; rc == RK_OK && i < n; i++)
            rc = rk_merkle_frontier_append(&lv->frontier, chunk[i]);
    }
    free(chunk);
    if (rc != RK_OK)
        return rc;
    uint8_t root[32];
    rk_merkle_frontier_root(&lv->frontier, root);
    struct rk_sth_row latest;
    rc = rk_store_sth_latest(s, &latest);
    if (rc == RK_OK && latest.size == size && memcmp(latest.root, root, 32) == 0) {
        /* Already published: hand back the recorded head. */
        rk_sth_init(out, lv->log_id, (uint64_t)size, (uint64_t)latest.timestamp_ms, root);
        memcpy(out->signature, latest.sig, 64);
        rk_unhex(latest.key_id, strlen(latest.key_id), out->key_id, RK_KEY_ID_LEN);
        return RK_OK;
    }
    if (rc == RK_OK && latest.size == size)
        return RK_EINTERNAL; /* same size, different root: the log was rewritten */
    if (rc != RK_OK && rc != RK_ENOTFOUND)
        return rc;
    if ((rc = rk_sth_init(out, lv->log_id, (uint64_t)size, (uint64_t)now_ms, root)) != RK_OK ||
        (rc = rk_sth_sign(out, signer)) != RK_OK)
        return rc;
    struct rk_sth_row row;
    memset(&row, 0, sizeof row);
    row.size = size;
    memcpy(row.root, root, 32);
    row.timestamp_ms = now_ms;
    rk_hex(out->key_id, RK_KEY_ID_LEN, row.key_id);
    memcpy(row.sig, out->signature, 64);
    rc = rk_store_sth_put(s, &row);
    return rc == RK_EEXIST ? RK_OK : rc; /* another process published the same size */
}
