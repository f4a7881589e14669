/* Verifiable by anyone: a demo election (rekap demo --scale 0.02) gets results through the
 * pipeline (signed uploads for every TPS and race, a second upload, approvals, a correction),
 * a server serves it, and then:
 *   - witness receipts verify (over HTTP, on the file, through GET /api/verify), forged ones do
 *     not, and a superseded one names the later version;
 *   - `rekap audit` passes over HTTP and on the file, and proves append-only growth with --state;
 *   - `rekap export` writes open data that `rekap verify-snapshot` accepts, and refuses once a
 *     byte changes;
 *   - tampering with a published tally, with a race's candidate names (checked against the
 *     race's election_config entry), with a stored version, or with a log entry (triggers
 *     dropped first) makes the audit fail and name the difference. */
#include "demoworld.h"

#include "cli/cli.h"
#include "cli/http.h"
#include "cli/httpsrc.h"
#include "rekap/chasil.h"
#include "rekap/demo.h"
#include "rekap/status.h"
#include "rekap/submission.h"
#include "server/server.h"
#include "store/audit.h"
#include "store/auth.h"
#include "store/pipeline.h"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    char dir[256], db[400], key[420], url[64], state[420], out[420];
    struct rk_dw w; /* tests/demoworld.h */
    struct rk_server *srv;
    uint8_t log_pub[32];
    char log_pub_hex[65];
    struct rk_principal ppk;
    char corrected_tps[RK_CODE_MAX + 1];
    int64_t corrected_race;
} W;

static void submit(const struct rk_dw_device *d, const struct rk_chasil *doc, const uint8_t *prev)
{
    struct rk_submission sub;
    uint8_t photo[1][32];
    crypto_hash_sha256(photo[0], (const unsigned char *)doc, sizeof *doc);
    assert_int_equal(rk_submission_init(&sub, doc, (const uint8_t(*)[32])photo, 1, prev), RK_OK);
    assert_int_equal(rk_submission_sign(&sub, d->sk, d->key_id), RK_OK);
    struct rk_receipt r;
    struct rk_outcome o;
    int rc = rk_pipeline_submit(W.w.s, &d->who, &sub, ++W.w.now, &r, &o);
    if (rc != RK_OK)
        fail_msg("submit %s: %d %s", d->tps, rc, o.message_en);
}

static void publish(void)
{
    assert_int_equal(rk_server_publish(W.srv), RK_OK);
}

static int setup(void **state)
{
    (void)state;
    memset(&W, 0, sizeof W);
    rk_test_tmpdir(W.dir, sizeof W.dir);
    snprintf(W.db, sizeof W.db, "%s/rekap.db", W.dir);
    snprintf(W.key, sizeof W.key, "%s/rekap.db.key", W.dir);
    snprintf(W.state, sizeof W.state, "%s/audit-state.json", W.dir);
    snprintf(W.out, sizeof W.out, "%s/stdout.txt", W.dir);
    rk_dw_init(&W.w, W.db, 11, NULL);
    /* every TPS uploads every race it votes in */
    for (int i = 0; i < W.w.n; i++) {
        const struct rk_race *rs[4];
        int nr = rk_dw_races_of(&W.w, W.w.dev[i].tps, rs);
        for (int k = 0; k < nr; k++) {
            struct rk_chasil doc;
            rk_dw_make_doc(&W.w, &W.w.dev[i], rs[k], 1, &doc);
            submit(&W.w.dev[i], &doc, NULL);
        }
    }
    /* TPS 0 uploads a second version of its first race (so version 1 is superseded) */
    const struct rk_race *rs[4];
    rk_dw_races_of(&W.w, W.w.dev[0].tps, rs);
    struct rk_tps_state st;
    assert_int_equal(rk_store_tps_state(W.w.s, rs[0]->id, W.w.dev[0].tps, &st), RK_OK);
    struct rk_chasil doc2;
    rk_dw_make_doc(&W.w, &W.w.dev[0], rs[0], 2, &doc2);
    submit(&W.w.dev[0], &doc2, st.current_hash);
    /* a PPK approves everything in TPS 1's kecamatan, then corrects TPS 1's first race */
    char kec[RK_CODE_MAX + 1];
    rk_code_ancestor(W.w.dev[1].tps, RK_LEVEL_KECAMATAN, kec);
    struct rk_principal ppk;
    rk_dw_officer(&W.w, RK_ROLE_PPK, kec, &ppk);
    W.ppk = ppk;
    struct rk_receipt r;
    struct rk_outcome o;
    for (int i = 0; i < W.w.n; i++) {
        if (strncmp(W.w.dev[i].tps, kec, strlen(kec)) != 0)
            continue;
        const struct rk_race *x[4];
        int nr = rk_dw_races_of(&W.w, W.w.dev[i].tps, x);
        for (int k = 0; k < nr; k++) {
            assert_int_equal(rk_store_tps_state(W.w.s, x[k]->id, W.w.dev[i].tps, &st), RK_OK);
            assert_int_equal(rk_pipeline_approve(W.w.s, &W.ppk, x[k]->id, W.w.dev[i].tps,
                                                 st.current_version, ++W.w.now, &r, &o),
                             RK_OK);
        }
    }
    rk_dw_races_of(&W.w, W.w.dev[1].tps, rs);
    assert_int_equal(rk_store_tps_state(W.w.s, rs[0]->id, W.w.dev[1].tps, &st), RK_OK);
    rk_dw_make_doc(&W.w, &W.w.dev[1], rs[0], 3, &doc2);
    assert_int_equal(rk_pipeline_correct(W.w.s, &W.ppk, &doc2, st.current_hash,
                                         "Salah baca angka pada pleno kecamatan", ++W.w.now, &r, &o),
                     RK_OK);
    memcpy(W.corrected_tps, W.w.dev[1].tps, sizeof W.corrected_tps);
    W.corrected_race = rs[0]->id;
    /* Bawaslu of that kecamatan objects to the version the PPK replaced, and again to the
     * correction (objections change no number: the audit must replay them, not count them) */
    struct rk_principal bw;
    rk_dw_officer(&W.w, RK_ROLE_BAWASLU, kec, &bw);
    assert_int_equal(rk_pipeline_object(W.w.s, &bw, rs[0]->id, W.w.dev[1].tps, 1,
                                        "Angka di foto C.Hasil berbeda dengan yang diunggah",
                                        ++W.w.now, &r, &o),
                     RK_OK);
    assert_int_equal(rk_pipeline_object(W.w.s, &bw, rs[0]->id, W.w.dev[1].tps, 2,
                                        "Koreksi pleno tanpa berita acara yang ditandatangani saksi",
                                        ++W.w.now, &r, &o),
                     RK_OK);
    /* the log key, and the server signing with it */
    uint8_t seed[32];
    assert_int_equal(rk_signer_seed_generate(seed), RK_OK);
    assert_int_equal(rk_signer_key_save(W.key, seed), RK_OK);
    struct rk_local_signer ls;
    assert_int_equal(rk_local_signer_init(&ls, seed), RK_OK);
    memcpy(W.log_pub, ls.signer.public_key, 32);
    rk_hex(W.log_pub, 32, W.log_pub_hex);
    rk_local_signer_free(&ls);
    /* no cache: the test tampers with the store and expects the next read to show it */
    struct rk_server_config cfg = {.db_uri = W.db, .no_cache = 1,
                                   .bind_addr = "127.0.0.1",
                                   .threads = 2,
                                   .key_file = W.key,
                                   .publish_ms = 3600000};
    assert_int_equal(rk_server_start(&cfg, &W.srv), RK_OK);
    snprintf(W.url, sizeof W.url, "http://127.0.0.1:%u", (unsigned)rk_server_port(W.srv));
    publish();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rk_server_stop(W.srv);
    rk_dw_free(&W.w);
    rk_test_rmtree(W.dir);
    return 0;
}

/* Runs a subcommand with stdout captured in W.out; returns its exit code and leaves the output
 * in *text (malloc'd). */
static int run(int (*cmd)(int, char **), char **argv, char **text)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    fflush(stdout);
    int saved = dup(1);
    int fd = open(W.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    int rc = cmd(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    FILE *f = fopen(W.out, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    *text = strdup(buf);
    fputs(buf, stderr); /* keep it visible in the test log */
    return rc;
}

static void sql(const char *q)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(W.db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *err = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", q, err);
    sqlite3_close(db);
}

static void receipt_of(const char *tps, int64_t race, int version, struct rk_witness *w,
                       char *text)
{
    struct rk_version *v = malloc(sizeof *v);
    assert_non_null(v);
    assert_int_equal(rk_store_version_get(W.w.s, race, tps, version, v), RK_OK);
    char ref[RK_LOGENTRY_RACE_MAX + 1];
    assert_int_equal(rk_race_ref(W.w.s, race, ref), RK_OK);
    assert_int_equal(rk_witness_from_version(v, ref, w), RK_OK);
    assert_true(rk_witness_format(w, text, RK_WITNESS_MAX + 1) > 0);
    free(v);
}

/* The two sources a witness check can read: the server over HTTP, and the database file. */
struct sources {
    struct rk_http_src hs;
    struct rk_audit_src http;
    struct rk_audit_store_ctx sc;
    struct rk_audit_src file;
};

static void sources_open(struct sources *s)
{
    assert_int_equal(rk_http_src_init(&s->hs, W.url, &s->http), RK_OK);
    s->sc = (struct rk_audit_store_ctx){.s = W.w.s, .log_id = "rekap"};
    memcpy(s->sc.pub, W.log_pub, 32);
    rk_audit_src_store(&s->file, &s->sc);
}

static void sources_close(struct sources *s)
{
    rk_http_src_free(&s->hs);
    rk_audit_store_ctx_free(&s->sc);
}

/* Version 1 of TPS 0's first race (superseded by the device's own version 2). */
static void first_receipt(struct rk_witness *w, char *text)
{
    const struct rk_race *rs[4];
    rk_dw_races_of(&W.w, W.w.dev[0].tps, rs);
    receipt_of(W.w.dev[0].tps, rs[0]->id, 1, w, text);
}

static void test_receipts(void **state)
{
    (void)state;
    struct rk_witness w;
    char text[RK_WITNESS_MAX + 1];
    /* version 1 of TPS 0's first race: valid, superseded by the device's own version 2 */
    first_receipt(&w, text);
    struct sources src;
    sources_open(&src);
    struct rk_audit_src http = src.http, file = src.file;
    struct rk_witness_verdict *v = malloc(sizeof *v);
    assert_non_null(v);
    assert_int_equal(rk_witness_verify(&http, &w, W.log_pub, "rekap", v), RK_OK);
    if (!v->valid)
        fail_msg("%s", v->problem_en);
    assert_true(v->signature_ok && v->entry_ok && v->sth_ok && v->included && v->key_pinned);
    assert_int_equal(v->current_version, 2);
    assert_int_equal(v->n_later, 1);
    assert_int_equal(v->later[0].version, 2);
    assert_int_equal(v->later[0].kind, RK_VERSION_UPLOAD);
    assert_string_equal(v->device.owner, W.w.dev[0].who.username);
    /* the same on the file */
    assert_int_equal(rk_witness_verify(&file, &w, W.log_pub, "rekap", v), RK_OK);
    assert_true(v->valid);
    /* a forged signature, another document, a wrong log index, another log key: invalid */
    struct rk_witness bad = w;
    bad.sig[10] ^= 1;
    assert_int_equal(rk_witness_verify(&http, &bad, W.log_pub, "rekap", v), RK_OK);
    assert_false(v->valid);
    assert_false(v->version_matches);
    bad = w;
    bad.doc_hash[0] ^= 1;
    assert_int_equal(rk_witness_verify(&http, &bad, W.log_pub, "rekap", v), RK_OK);
    assert_false(v->valid);
    bad = w;
    bad.log_index++;
    assert_int_equal(rk_witness_verify(&file, &bad, W.log_pub, "rekap", v), RK_OK);
    assert_false(v->valid);
    uint8_t other[32];
    memcpy(other, W.log_pub, 32);
    other[0] ^= 1;
    assert_int_equal(rk_witness_verify(&http, &w, other, "rekap", v), RK_OK);
    assert_false(v->valid);
    assert_true(v->entry_ok);
    assert_false(v->sth_ok);
    /* a correction is not an upload receipt */
    struct rk_version *ver = malloc(sizeof *ver);
    assert_int_equal(rk_store_version_get(W.w.s, W.corrected_race, W.corrected_tps, 2, ver), RK_OK);
    assert_int_equal(rk_witness_from_version(ver, "x", &bad), RK_EINVAL);
    free(ver);
    free(v);
    sources_close(&src);

    /* the command: exit 0 for the valid copy (with the later version named), 1 for a forgery */
    char *out;
    char *a1[] = {"verify", text, "--url", W.url, "--log-key", W.log_pub_hex, NULL};
    assert_int_equal(run(rk_cmd_verify, a1, &out), 0);
    assert_non_null(strstr(out, "SAH / VALID"));
    assert_non_null(strstr(out, "versi/version 2: unggahan/upload"));
    free(out);
    char *a2[] = {"verify", text, "--db", W.db, NULL}; /* key found as <db>.key */
    assert_int_equal(run(rk_cmd_verify, a2, &out), 0);
    free(out);
    /* the KPPS app's QR is a portal link carrying the copy percent-encoded as r= */
    char link[2048];
    int at = snprintf(link, sizeof link, "https://rekap.example/#/%s/7?doc=ab&sig=cd&r=", w.tps);
    for (const char *c = text; *c && at < (int)sizeof link - 4; c++)
        at += *c == '|' ? snprintf(link + at, sizeof link - (size_t)at, "%%7C")
                        : snprintf(link + at, sizeof link - (size_t)at, "%c", *c);
    char *aq[] = {"verify", link, "--db", W.db, NULL};
    assert_int_equal(run(rk_cmd_verify, aq, &out), 0);
    assert_non_null(strstr(out, "SAH / VALID"));
    free(out);
    char forged[RK_WITNESS_MAX + 1];
    bad = w;
    bad.sig[0] ^= 0x80;
    assert_true(rk_witness_format(&bad, forged, sizeof forged) > 0);
    char *a3[] = {"verify", forged, "--url", W.url, NULL};
    assert_int_equal(run(rk_cmd_verify, a3, &out), 1);
    assert_non_null(strstr(out, "TIDAK SAH / INVALID"));
    free(out);
    char *a4[] = {"verify", "RKW1|junk", "--url", W.url, NULL};
    assert_int_equal(run(rk_cmd_verify, a4, &out), 2);
    free(out);

    /* the portal's endpoints */
    struct rk_http_url u;
    assert_int_equal(rk_http_url_parse(W.url, &u), RK_OK);
    char q[1024], path[1200];
    assert_int_equal(rk_http_query_escape(text, q, sizeof q), RK_OK);
    snprintf(path, sizeof path, "/api/verify?receipt=%s", q);
    int status;
    json_t *j;
    assert_int_equal(rk_http_get_json(&u, path, &status, &j), RK_OK);
    assert_true(json_is_true(json_object_get(j, "valid")));
    assert_true(json_is_true(json_object_get(j, "superseded")));
    assert_int_equal(json_integer_value(json_object_get(j, "current_version")), 2);
    json_decref(j);
    assert_int_equal(rk_http_query_escape(forged, q, sizeof q), RK_OK);
    snprintf(path, sizeof path, "/api/verify?receipt=%s", q);
    assert_int_equal(rk_http_get_json(&u, path, &status, &j), RK_OK);
    assert_true(json_is_false(json_object_get(j, "valid")));
    json_decref(j);
    assert_int_equal(rk_http_get_json(&u, "/api/verify?receipt=RKW1%7Cx", &status, &j), RK_EIO);
    assert_int_equal(status, 400);
    snprintf(path, sizeof path, "/api/devices/%s", W.w.dev[0].key_id);
    assert_int_equal(rk_http_get_json(&u, path, &status, &j), RK_OK);
    struct rk_device_key k;
    assert_int_equal(rk_store_device_get(W.w.s, W.w.dev[0].key_id, &k), RK_OK);
    char pubhex[65];
    rk_hex(k.pub, 32, pubhex);
    assert_string_equal(json_string_value(json_object_get(j, "public_key")), pubhex);
    assert_string_equal(json_string_value(json_object_get(j, "owner")), W.w.dev[0].who.username);
    assert_string_equal(json_string_value(json_object_get(j, "scope")), W.w.dev[0].tps);
    assert_true(json_is_false(json_object_get(j, "revoked")));
    json_decref(j);
    assert_int_equal(rk_http_get_json(&u, "/api/devices/0000000000000000", &status, &j),
                     RK_ENOTFOUND);
    assert_int_equal(rk_http_get_json(&u, "/api/devices/XYZ", &status, &j), RK_EIO);
    assert_int_equal(status, 400);
}

/* A witness check also finds the device key's registration in the log, at the index the key
 * is published with: a wrong index (another key's registration, or the upload itself) makes
 * the copy invalid; a key from before the index was recorded is valid but says it is unchecked. */
static void test_receipt_registration(void **state)
{
    (void)state;
    struct rk_witness w;
    char text[RK_WITNESS_MAX + 1];
    first_receipt(&w, text);
    struct rk_device_key k, k1;
    assert_int_equal(rk_store_device_get(W.w.s, W.w.dev[0].key_id, &k), RK_OK);
    assert_int_equal(rk_store_device_get(W.w.s, W.w.dev[1].key_id, &k1), RK_OK);
    assert_true(k.log_index >= 0 && (uint64_t)k.log_index < w.log_index);
    assert_true(k1.log_index >= 0 && k1.log_index != k.log_index);
    /* the published index is that of a device_key entry for this key */
    uint8_t ebuf[RK_LOG_ENTRY_MAX];
    size_t elen;
    struct rk_logentry e;
    assert_int_equal(rk_store_log_get(W.w.s, k.log_index, ebuf, sizeof ebuf, &elen, NULL), RK_OK);
    assert_int_equal(rk_logentry_decode(ebuf, elen, &e), RK_OK);
    assert_int_equal(e.kind, RK_LOGENTRY_DEVICE_KEY);
    char kid[17];
    rk_hex(e.device_key_id, RK_KEY_ID_LEN, kid);
    assert_string_equal(kid, k.key_id);

    struct sources src;
    sources_open(&src);
    struct rk_audit_src http = src.http, file = src.file;
    struct rk_witness_verdict *v = malloc(sizeof *v);
    assert_non_null(v);
    assert_int_equal(rk_witness_verify(&http, &w, W.log_pub, "rekap", v), RK_OK);
    assert_true(v->valid && v->device_registered);
    assert_int_equal(v->device.log_index, k.log_index);
    assert_int_equal(rk_witness_verify(&file, &w, W.log_pub, "rekap", v), RK_OK);
    assert_true(v->valid && v->device_registered);

    char q[256];
    /* another key's registration entry, then the upload's own entry: invalid */
    snprintf(q, sizeof q, "UPDATE device_keys SET log_index = %lld WHERE key_id = '%s'",
             (long long)k1.log_index, k.key_id);
    sql(q);
    assert_int_equal(rk_witness_verify(&file, &w, W.log_pub, "rekap", v), RK_OK);
    assert_false(v->valid);
    assert_true(v->included);
    assert_false(v->device_registered);
    assert_non_null(strstr(v->problem_en, "registration"));
    snprintf(q, sizeof q, "UPDATE device_keys SET log_index = %llu WHERE key_id = '%s'",
             (unsigned long long)w.log_index, k.key_id);
    sql(q);
    assert_int_equal(rk_witness_verify(&file, &w, W.log_pub, "rekap", v), RK_OK);
    assert_false(v->valid);
    /* not recorded (a key from an older rekap): valid, and the command says it is unchecked */
    snprintf(q, sizeof q, "UPDATE device_keys SET log_index = -1 WHERE key_id = '%s'", k.key_id);
    sql(q);
    assert_int_equal(rk_witness_verify(&file, &w, W.log_pub, "rekap", v), RK_OK);
    assert_true(v->valid);
    assert_false(v->device_registered);
    char *out;
    char *a[] = {"verify", text, "--db", W.db, NULL};
    assert_int_equal(run(rk_cmd_verify, a, &out), 0);
    assert_non_null(strstr(out, "not recorded"));
    free(out);
    snprintf(q, sizeof q, "UPDATE device_keys SET log_index = %lld WHERE key_id = '%s'",
             (long long)k.log_index, k.key_id);
    sql(q);
    assert_int_equal(run(rk_cmd_verify, a, &out), 0);
    assert_non_null(strstr(out, "registered in the log before this upload"));
    free(out);
    free(v);
    sources_close(&src);
}

static void test_audit_passes(void **state)
{
    (void)state;
    char *out;
    /* first audit over HTTP: pins the key, saves the head */
    char *a1[] = {"audit", W.url, "--log-key", W.log_pub_hex, "--state", W.state, NULL};
    assert_int_equal(run(rk_cmd_audit, a1, &out), 0);
    assert_non_null(strstr(out, "AUDIT LULUS / AUDIT PASSED"));
    /* one account entry per KPPS, the PPK and Bawaslu, two objections, one device-key entry
     * per KPPS, one election config entry per race */
    char want[240];
    snprintf(want, sizeof want, "%d perubahan akun/account changes, 2 keberatan/objections, %d "
             "entri kunci perangkat/device-key entries, %d pengumuman pemilihan/election config "
             "entries, 0 entri lain/other entries", W.w.n + 2, W.w.n, W.w.nraces);
    if (!strstr(out, want))
        fail_msg("expected '%s'", want);
    assert_null(strstr(out, "BEDA"));
    free(out);
    assert_int_equal(access(W.state, R_OK), 0);
    /* on the file */
    char *a2[] = {"audit", W.db, NULL};
    assert_int_equal(run(rk_cmd_audit, a2, &out), 0);
    free(out);
    char *a3[] = {"audit", W.db, "--sample", "7", NULL};
    assert_int_equal(run(rk_cmd_audit, a3, &out), 0);
    free(out);
    /* the log grows (another correction); the state proves the old head is a prefix */
    struct rk_tps_state st;
    assert_int_equal(rk_store_tps_state(W.w.s, W.corrected_race, W.corrected_tps, &st), RK_OK);
    struct rk_version *v = malloc(sizeof *v);
    assert_int_equal(rk_store_version_get(W.w.s, W.corrected_race, W.corrected_tps,
                                          st.current_version, v),
                     RK_OK);
    struct rk_chasil doc;
    assert_int_equal(rk_chasil_decode(v->doc, strlen(v->doc), 0, &doc, NULL), RK_OK);
    free(v);
    doc.v[RK_F_SUARA_PASLON_1] += 1; /* one ballot was counted for the wrong pair */
    doc.v[RK_F_SUARA_PASLON_2] -= 1;
    struct rk_receipt r;
    struct rk_outcome o;
    int rc = rk_pipeline_correct(W.w.s, &W.ppk, &doc, st.current_hash,
                                 "Satu surat suara tertukar antara paslon 1 dan 2", ++W.w.now, &r, &o);
    if (rc != RK_OK)
        fail_msg("correct: %d %s", rc, o.message_en);
    publish();
    assert_int_equal(run(rk_cmd_audit, a1, &out), 0);
    assert_non_null(strstr(out, "log hanya bertambah"));
    free(out);
}

/* Every line of a JSON Lines file is what jansson's compact, order-keeping dump of it gives
 * (the export writes them as text, in those bytes), with keys in the order given; returns how
 * many lines there are. */
static int jsonl_canonical(const char *path, const char *const *keys)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char line[1 << 16];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        assert_true(len > 1 && line[len - 1] == '\n');
        line[len - 1] = '\0';
        json_error_t err;
        json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
        if (!j)
            fail_msg("%s line %d: %s", path, n + 1, err.text);
        char *dump = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (strcmp(dump, line) != 0)
            fail_msg("%s line %d is not jansson's dump:\n%s\n%s", path, n + 1, line, dump);
        size_t k = 0;
        for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it), k++)
            if (!keys[k] || strcmp(json_object_iter_key(it), keys[k]) != 0)
                fail_msg("%s line %d: key %zu is %s", path, n + 1, k, json_object_iter_key(it));
        assert_null(keys[k]);
        free(dump);
        json_decref(j);
        n++;
    }
    fclose(f);
    return n;
}

static void test_export(void **state)
{
    (void)state;
    char dir[500], *out;
    snprintf(dir, sizeof dir, "%s/open", W.dir);
    char *a1[] = {"export", "--db", W.db, "--out", dir, NULL};
    assert_int_equal(run(rk_cmd_export, a1, &out), 0);
    free(out);
    char *a2[] = {"verify-snapshot", dir, "--log-key", W.log_pub_hex, "--url", W.url, NULL};
    assert_int_equal(run(rk_cmd_verify_snapshot, a2, &out), 0);
    assert_non_null(strstr(out, "SNAPSHOT SAH / SNAPSHOT VALID"));
    free(out);
    /* results.csv: one row per (race, TPS) */
    char path[600], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    int64_t expected = 0;
    for (int i = 0; i < W.w.n; i++) {
        const struct rk_race *rs[4];
        expected += rk_dw_races_of(&W.w, W.w.dev[i].tps, rs);
    }
    assert_int_equal(lines - 1, expected);
    /* approvals and corrections are visible in the JSON Lines */
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    text = malloc(1 << 24);
    len = fread(text, 1, (1 << 24) - 1, f);
    fclose(f);
    text[len] = '\0';
    int64_t approved = 0, exported = 0;
    for (int i = 0; i < W.w.nraces; i++) {
        struct rk_tally t;
        assert_int_equal(rk_store_tally_get(W.w.s, W.w.races[i].id, "", &t), RK_OK);
        approved += t.approved;
    }
    for (const char *p = text; (p = strstr(p, "\"approved\":true")); p++)
        exported++;
    assert_true(approved > 0);
    assert_int_equal(exported, approved); /* replayed from the log = the published state */
    assert_non_null(strstr(text, "\"kind\":\"correction\""));
    free(text);
    /* the two objections, in log order, each with the document hash of the version it names */
    char ref[RK_LOGENTRY_RACE_MAX + 1], line[2][1200];
    assert_int_equal(rk_race_ref(W.w.s, W.corrected_race, ref), RK_OK);
    for (int v = 1; v <= 2; v++) {
        struct rk_version *ver = malloc(sizeof *ver);
        assert_int_equal(rk_store_version_get(W.w.s, W.corrected_race, W.corrected_tps, v, ver),
                         RK_OK);
        char h[65];
        rk_hex(ver->doc_hash, 32, h);
        free(ver);
        struct rk_objection ob[4];
        int n = 0;
        assert_int_equal(rk_store_objection_list(W.w.s, W.corrected_race, W.corrected_tps, ob, 4,
                                                 &n), RK_OK);
        assert_int_equal(n, 2);
        snprintf(line[v - 1], sizeof line[v - 1], "%s,%s,%d,%s,%s,%lld,%lld,%s\n",
                 ref, W.corrected_tps, v, h, ob[v - 1].actor,
                 (long long)ob[v - 1].created_ms, (long long)ob[v - 1].log_index,
                 ob[v - 1].reason);
    }
    snprintf(path, sizeof path, "%s/objections.csv", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    char got[4096];
    len = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[len] = '\0';
    char want[4096];
    snprintf(want, sizeof want, "race_ref,tps,version,doc_sha256,actor,accepted_ms,log_index,"
             "reason\n%s%s", line[0], line[1]);
    assert_string_equal(got, want);
    snprintf(path, sizeof path, "%s/objections.jsonl", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    len = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[len] = '\0';
    assert_non_null(strstr(got, "\"version\":1,"));
    static const char *const obj_keys[] = {"race_ref", "tps", "version", "doc_sha256", "actor",
                                            "accepted_ms", "log_index", "reason", NULL};
#define COMMON_KEYS                                                                              \
    "race_ref", "tps", "version", "kind", "actor", "accepted_ms", "log_index", "doc_sha256",     \
        "flags", "votes", "suara_sah", "suara_tidak_sah", "suara_total", "pengguna_total",      \
        "pemilih_dpt"
    static const char *const res_keys[] = {COMMON_KEYS, "approved", NULL};
    static const char *const hist_keys[] = {COMMON_KEYS, "device", "signature", "photos",
                                             "reason", "document", "document_canonical", NULL};
    assert_int_equal(jsonl_canonical(path, obj_keys), 2);
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    assert_int_equal(jsonl_canonical(path, res_keys), expected);
    snprintf(path, sizeof path, "%s/history.jsonl", dir);
    assert_true(jsonl_canonical(path, hist_keys) > expected);
    assert_non_null(strstr(got, "\"reason\":\"Koreksi pleno tanpa berita acara yang ditandatangani "
                                "saksi\"}\n"));
    /* the audit still passes with the snapshot entry in the log */
    publish();
    char *a3[] = {"audit", W.url, "--log-key", W.log_pub_hex, "--state", W.state, NULL};
    assert_int_equal(run(rk_cmd_audit, a3, &out), 0);
    assert_non_null(
        strstr(out, "pemilihan/election config entries, 1 entri lain/other entries"));
    free(out);
    /* a second export into the same directory is refused; a changed byte is caught */
    assert_int_equal(run(rk_cmd_export, a1, &out), 1);
    free(out);
    snprintf(path, sizeof path, "%s/results.csv", dir);
    f = fopen(path, "r+");
    assert_non_null(f);
    fseek(f, -3, SEEK_END);
    int last = fgetc(f);
    fseek(f, -3, SEEK_END);
    fputc(last == '1' ? '2' : '1', f);
    fclose(f);
    assert_int_equal(run(rk_cmd_verify_snapshot, a2, &out), 1);
    assert_non_null(strstr(out, "results.csv"));
    free(out);
}

/* The province's governor race (the race every TPS votes in) and its stable log name. */
static const struct rk_race *governor(void)
{
    const struct rk_race *gov = NULL;
    for (int i = 0; i < W.w.nraces; i++)
        if (strlen(W.w.races[i].region_code) == 2)
            gov = &W.w.races[i];
    assert_non_null(gov);
    return gov;
}

static void test_tamper_tally(void **state)
{
    (void)state;
    /* an operator silently adds 7 votes to paslon 1 in one kabupaten */
    const struct rk_race *gov = governor();
    char kab[RK_CODE_MAX + 1], q[256], ref[RK_LOGENTRY_RACE_MAX + 1];
    rk_code_ancestor(W.w.dev[5].tps, RK_LEVEL_KABKOTA, kab);
    assert_int_equal(rk_race_ref(W.w.s, gov->id, ref), RK_OK);
    struct rk_tally t;
    assert_int_equal(rk_store_tally_get(W.w.s, gov->id, kab, &t), RK_OK);
    snprintf(q, sizeof q, "UPDATE tally SET v1 = v1 + 7 WHERE race_id = %lld AND region_code = '%s'",
             (long long)gov->id, kab);
    sql(q);
    char *out;
    char *a1[] = {"audit", W.url, "--log-key", W.log_pub_hex, NULL};
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    char want[512];
    snprintf(want, sizeof want,
             "wilayah/region %s pemilihan/race %s: suara paslon 1 diumumkan/published %lld, hitung "
             "ulang/recount %lld",
             kab, ref, (long long)t.votes[0] + 7, (long long)t.votes[0]);
    if (!strstr(out, want))
        fail_msg("expected '%s'", want);
    assert_non_null(strstr(out, "AUDIT GAGAL / AUDIT FAILED: 1 perbedaan"));
    free(out);
    snprintf(q, sizeof q, "UPDATE tally SET v1 = v1 - 7 WHERE race_id = %lld AND region_code = '%s'",
             (long long)gov->id, kab);
    sql(q);
    char *a2[] = {"audit", W.db, NULL};
    assert_int_equal(run(rk_cmd_audit, a2, &out), 0);
    free(out);
}

/* A TPS's current numbers edited in place: kecamatan and desa totals are summed from these
 * rows, so they move with it, and the recount from the signed documents must still catch it. */
static void test_tamper_tps_state(void **state)
{
    (void)state;
    const struct rk_race *gov = governor();
    char desa[RK_CODE_MAX + 1], q[320];
    rk_code_ancestor(W.w.dev[5].tps, RK_LEVEL_DESA, desa);
    snprintf(q, sizeof q,
             "UPDATE tps_state SET v1 = v1 + 7, sah = sah + 7, total = total + 7 "
             "WHERE race_id = %lld AND tps_code = '%s'",
             (long long)gov->id, W.w.dev[5].tps);
    sql(q);
    char *out;
    char *a1[] = {"audit", W.db, NULL};
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    assert_non_null(strstr(out, "AUDIT GAGAL / AUDIT FAILED"));
    char want[64];
    snprintf(want, sizeof want, "wilayah/region %s ", desa);
    if (!strstr(out, want))
        fail_msg("expected '%s' in:\n%s", want, out);
    free(out);
    snprintf(q, sizeof q,
             "UPDATE tps_state SET v1 = v1 - 7, sah = sah - 7, total = total - 7 "
             "WHERE race_id = %lld AND tps_code = '%s'",
             (long long)gov->id, W.w.dev[5].tps);
    sql(q);
    assert_int_equal(run(rk_cmd_audit, a1, &out), 0);
    free(out);
}

static void test_tamper_candidates(void **state)
{
    (void)state;
    /* the classic swap: the two pairs' names trade places, so every published result shows
     * the first pair's votes under the second pair's name */
    const struct rk_race *gov = governor();
    char ref[RK_LOGENTRY_RACE_MAX + 1], want[256];
    assert_int_equal(rk_race_ref(W.w.s, gov->id, ref), RK_OK);
    struct rk_candidate c[RK_CANDIDATES_MAX];
    int n = 0;
    assert_int_equal(rk_store_candidate_list(W.w.s, gov->id, c, RK_CANDIDATES_MAX, &n), RK_OK);
    assert_true(n >= 2 && strcmp(c[0].name, c[1].name) != 0);
    char *swap = sqlite3_mprintf("UPDATE candidate SET name = CASE ballot_no WHEN 1 THEN %Q ELSE "
                                 "%Q END WHERE race_id = %lld AND ballot_no IN (1, 2)",
                                 c[1].name, c[0].name, (long long)gov->id);
    char *back = sqlite3_mprintf("UPDATE candidate SET name = CASE ballot_no WHEN 1 THEN %Q ELSE "
                                 "%Q END WHERE race_id = %lld AND ballot_no IN (1, 2)",
                                 c[0].name, c[1].name, (long long)gov->id);
    sql(swap);
    char *out;
    char *a1[] = {"audit", W.url, "--log-key", W.log_pub_hex, NULL};
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    snprintf(want, sizeof want, "race %s: the published name or candidates differ from log entry #",
             ref);
    if (!strstr(out, want))
        fail_msg("expected '%s' in:\n%s", want, out);
    assert_non_null(strstr(out, "AUDIT GAGAL / AUDIT FAILED: 1 perbedaan"));
    free(out);
    sql(back);
    sqlite3_free(swap);
    sqlite3_free(back);
    char *a2[] = {"audit", W.db, NULL};
    assert_int_equal(run(rk_cmd_audit, a2, &out), 0);
    free(out);
}

/* An objection published other than logged, or logged and not published, is a difference. */
static void test_tamper_objection(void **state)
{
    (void)state;
    char *out;
    char *a1[] = {"audit", W.db, NULL};
    sql("DROP TRIGGER objection_no_update");
    sql("UPDATE objection SET reason = 'Tidak ada keberatan apa pun dari kami' WHERE version = 2");
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    char want[200];
    snprintf(want, sizeof want, "the objection to TPS %s", W.corrected_tps);
    if (!strstr(out, want) || !strstr(out, "differs from the published one"))
        fail_msg("expected '%s ... differs from the published one'", want);
    free(out);
    sql("UPDATE objection SET reason = 'Koreksi pleno tanpa berita acara yang ditandatangani saksi' "
        "WHERE version = 2");
    sql("UPDATE objection SET log_index = log_index + 100000 WHERE version = 1"); /* hidden */
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    assert_non_null(strstr(out, "is not published"));
    free(out);
    sql("UPDATE objection SET log_index = log_index - 100000 WHERE version = 1");
    /* an objection published with no log entry of its own (it borrows the first one's index):
     * found by its count in the TPS list, on the file and over HTTP */
    sql("INSERT INTO objection(race_id, tps_code, version, actor, reason, created_ms, log_index) "
        "SELECT race_id, tps_code, version, actor, 'Keberatan yang tidak pernah dicatat di log', "
        "created_ms, log_index FROM objection WHERE version = 1");
    snprintf(want, sizeof want, "TPS %s pemilihan/race", W.corrected_tps);
    char *a2[] = {"audit", W.url, "--log-key", W.log_pub_hex, NULL};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(run(rk_cmd_audit, k ? a2 : a1, &out), 1);
        const char *p = strstr(out, want);
        if (!p || !strstr(p, "3 objections published, the log has 2"))
            fail_msg("%s: expected '%s ... 3 objections published, the log has 2'",
                     k ? "http" : "file", want);
        free(out);
    }
    sql("DROP TRIGGER objection_no_delete");
    sql("DELETE FROM objection WHERE reason = 'Keberatan yang tidak pernah dicatat di log'");
    run(rk_cmd_audit, a1, &out); /* earlier tests leave differences of their own */
    assert_null(strstr(out, "the objection to TPS"));
    assert_null(strstr(out, "objections published"));
    free(out);
}

static void test_tamper_version(void **state)
{
    (void)state;
    /* the DB admin rewrites a stored version's numbers and its hash (triggers dropped) */
    const struct rk_dw_device *d = &W.w.dev[9];
    const struct rk_race *rs[4];
    rk_dw_races_of(&W.w, d->tps, rs);
    struct rk_version *v = malloc(sizeof *v);
    assert_int_equal(rk_store_version_get(W.w.s, rs[1]->id, d->tps, 1, v), RK_OK);
    struct rk_chasil doc;
    assert_int_equal(rk_chasil_decode(v->doc, strlen(v->doc), 0, &doc, NULL), RK_OK);
    doc.v[RK_F_SUARA_PASLON_1] += 1;
    doc.v[RK_F_SUARA_PASLON_2] -= 1;
    char text[RK_CHASIL_JSON_MAX];
    size_t len;
    assert_int_equal(rk_chasil_encode(&doc, text, sizeof text, &len), RK_OK);
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)text, len);
    char hex[65], orig_hex[65], q[4096];
    rk_hex(h, 32, hex);
    rk_hex(v->doc_hash, 32, orig_hex);
    sql("DROP TRIGGER version_no_update");
    snprintf(q, sizeof q, "UPDATE version SET doc = '%s', doc_hash = x'%s' WHERE id = %lld", text,
             hex, (long long)v->id);
    sql(q);
    char *out;
    char *a1[] = {"audit", W.db, NULL};
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    char want[256];
    snprintf(want, sizeof want, "statement rebuilt from version 1 of TPS %s", d->tps);
    if (!strstr(out, want))
        fail_msg("expected '%s'", want);
    snprintf(want, sizeof want, "TPS %s pemilihan/race", d->tps);
    assert_non_null(strstr(out, want)); /* and its numbers differ from the published state */
    free(out);
    /* its witness copy no longer verifies either */
    char ref[RK_LOGENTRY_RACE_MAX + 1];
    assert_int_equal(rk_race_ref(W.w.s, rs[1]->id, ref), RK_OK);
    struct rk_witness w;
    assert_int_equal(rk_witness_from_version(v, ref, &w), RK_OK);
    char receipt[RK_WITNESS_MAX + 1];
    assert_true(rk_witness_format(&w, receipt, sizeof receipt) > 0);
    char *a2[] = {"verify", receipt, "--url", W.url, NULL};
    assert_int_equal(run(rk_cmd_verify, a2, &out), 1);
    free(out);
    /* put it back: the audit passes again */
    snprintf(q, sizeof q, "UPDATE version SET doc = '%s', doc_hash = x'%s' WHERE id = %lld", v->doc,
             orig_hex, (long long)v->id);
    sql(q);
    assert_int_equal(run(rk_cmd_audit, a1, &out), 0);
    free(out);
    free(v);
}

static void test_device_keys(void **state)
{
    (void)state;
    char *out;
    char *a1[] = {"audit", W.db, NULL};
    /* a key revoked the proper way: one logged revocation, the audit still passes */
    struct rk_dw_device *d = &W.w.dev[30];
    int64_t size0, size;
    assert_int_equal(rk_store_log_size(W.w.s, &size0), RK_OK);
    assert_int_equal(rk_auth_device_revoke(W.w.s, "cli@test", d->key_id, ++W.w.now), RK_OK);
    assert_int_equal(rk_auth_device_revoke(W.w.s, "cli@test", d->key_id, ++W.w.now), RK_ECONFLICT);
    assert_int_equal(rk_store_log_size(W.w.s, &size), RK_OK);
    assert_int_equal(size, size0 + 1);
    publish();
    assert_int_equal(run(rk_cmd_audit, a1, &out), 0);
    free(out);

    /* the DB admin revokes a key behind the log's back: published revoked, never logged */
    struct rk_dw_device *d2 = &W.w.dev[31];
    assert_int_equal(rk_store_device_revoke(W.w.s, d2->key_id, W.w.now / 1000), RK_OK);
    publish();
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    char want[200];
    snprintf(want, sizeof want, "device key %s is published as revoked but the log has no "
             "revocation", d2->key_id);
    if (!strstr(out, want))
        fail_msg("expected '%s'", want);
    free(out);
    char q[160];
    snprintf(q, sizeof q, "UPDATE device_keys SET revoked_at = NULL WHERE key_id = '%s'",
             d2->key_id);
    sql(q); /* undo (the admin again): the audit passes once more */
    assert_int_equal(run(rk_cmd_audit, a1, &out), 0);
    free(out);

    /* ...or registers a key straight into the database, bypassing the log, and signs an
     * upload with it: the pipeline accepts it (the key is in the table), the audit does not */
    char kec[RK_CODE_MAX + 1];
    rk_code_ancestor(W.w.dev[1].tps, RK_LEVEL_KECAMATAN, kec);
    int pick = W.w.n - 1; /* a TPS the PPK did not approve: it still takes uploads */
    while (pick > 40 && strncmp(W.w.dev[pick].tps, kec, strlen(kec)) == 0)
        pick--;
    struct rk_dw_device rogue = W.w.dev[pick];
    uint8_t pk[32];
    crypto_sign_keypair(pk, rogue.sk);
    struct rk_device_key k;
    assert_int_equal(rk_auth_device_key_init(&k, rogue.who.user_id, pk, W.w.now / 1000), RK_OK);
    assert_int_equal(rk_store_log_size(W.w.s, &size0), RK_OK);
    assert_int_equal(rk_store_device_put(W.w.s, &k), RK_OK);
    assert_int_equal(rk_store_log_size(W.w.s, &size), RK_OK);
    assert_int_equal(size, size0); /* nothing logged */
    memcpy(rogue.key_id, k.key_id, 17);
    const struct rk_race *rs[4];
    rk_dw_races_of(&W.w, rogue.tps, rs);
    struct rk_tps_state st;
    assert_int_equal(rk_store_tps_state(W.w.s, rs[0]->id, rogue.tps, &st), RK_OK);
    struct rk_chasil doc;
    rk_dw_make_doc(&W.w, &rogue, rs[0], 77, &doc);
    submit(&rogue, &doc, st.current_hash);
    publish();
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    snprintf(want, sizeof want, "device key %s signed an upload but the log never registered it",
             k.key_id);
    if (!strstr(out, want))
        fail_msg("expected '%s'", want);
    assert_non_null(strstr(out, "AUDIT GAGAL / AUDIT FAILED: 1 perbedaan"));
    free(out);
}

static void test_tamper_log(void **state)
{
    (void)state;
    /* rewriting history: one log entry's payload hash changed in place (an upload's: the
     * accounts and device keys come first) */
    int64_t idx = 2 * W.w.n + 17;
    uint8_t buf[RK_LOG_ENTRY_MAX];
    size_t len;
    assert_int_equal(rk_store_log_get(W.w.s, idx, buf, sizeof buf, &len, NULL), RK_OK);
    buf[len - 64 - 8 - 1] ^= 0x01; /* last byte of the payload hash (signed entry) */
    char hex[2 * RK_LOG_ENTRY_MAX + 1], q[2 * RK_LOG_ENTRY_MAX + 100];
    rk_hex(buf, len, hex);
    sql("DROP TRIGGER log_no_update");
    snprintf(q, sizeof q, "UPDATE log_entry SET entry = x'%s' WHERE idx = %lld", hex,
             (long long)idx);
    sql(q);
    char *out;
    char *a1[] = {"audit", W.url, "--log-key", W.log_pub_hex, "--state", W.state, NULL};
    assert_int_equal(run(rk_cmd_audit, a1, &out), 1);
    assert_non_null(strstr(out, "the Merkle root recomputed over"));
    assert_non_null(strstr(out, "log history was rewritten since the last audit"));
    char want[80];
    snprintf(want, sizeof want, "log entry #%lld: the statement rebuilt", (long long)idx);
    assert_non_null(strstr(out, want));
    free(out);
    char *a2[] = {"audit", W.db, NULL};
    assert_int_equal(run(rk_cmd_audit, a2, &out), 1);
    snprintf(want, sizeof want, "log entry #%lld", (long long)idx);
    assert_non_null(strstr(out, want));
    free(out);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipts),
        cmocka_unit_test(test_receipt_registration),      cmocka_unit_test(test_audit_passes),
        cmocka_unit_test(test_export),        cmocka_unit_test(test_tamper_tally),
        cmocka_unit_test(test_tamper_tps_state),
        cmocka_unit_test(test_tamper_candidates),
        cmocka_unit_test(test_tamper_version), cmocka_unit_test(test_device_keys),
        cmocka_unit_test(test_tamper_objection),
        cmocka_unit_test(test_tamper_log),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
