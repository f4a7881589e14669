/* The results API over HTTP, in process: log in, register a device key, upload a photo, submit
 * signed forms (accepted, duplicate, stale, forged, out of scope, arithmetic errors, malformed,
 * oversized), read results at every level and a TPS's history, correct and approve as PPK,
 * download CSV, and check the transparency log's signed head and inclusion proofs. */
#include "testutil.h"
#include "demoworld.h"
#include "testhttp.h"

#include "cli/cli.h"
#include "rekap/demo.h"
#include "rekap/form.h"
#include "rekap/statement.h"
#include "rekap/status.h"
#include "server/server.h"
#include "store/auth.h"
#include "store/pipeline.h"

#include <poll.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

static struct {
    char dir[256], db[600], key[600];
    struct rk_server *srv;
    unsigned short port;
    char tps[RK_CODE_MAX + 1], tps2[RK_CODE_MAX + 1];
    uint32_t l, p;
    int64_t race, race_other;
    int ncand;
    bool kk;
} E;

static int first_two_tps(void *ud, const struct rk_region *r)
{
    (void)ud;
    if (!E.tps[0]) {
        memcpy(E.tps, r->code, sizeof E.tps);
        E.l = r->dpt_l;
        E.p = r->dpt_p;
        return 0;
    }
    memcpy(E.tps2, r->code, sizeof E.tps2);
    return 1;
}

static int pick_race(void *ud, const struct rk_race *r)
{
    (void)ud;
    if (r->kind == RK_RACE_GOVERNOR)
        E.race = r->id;
    else if (!E.race_other && strncmp(E.tps, r->region_code, 4) != 0)
        E.race_other = r->id;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof E);
    rk_test_tmpdir(E.dir, sizeof E.dir);
    snprintf(E.db, sizeof E.db, "%s/t.db", E.dir);
    snprintf(E.key, sizeof E.key, "%s/log.key", E.dir);
    char *argv[] = {"demo", "--db", E.db, "--province", "61", "--scale", "0.01", NULL};
    assert_int_equal(rk_cmd_demo(7, argv), 0);
    struct rk_store *s;
    assert_int_equal(rk_store_open(E.db, &s), RK_OK);
    rk_store_region_at_level(s, "", RK_LEVEL_TPS, first_two_tps, NULL);
    rk_store_race_list(s, 0, "61", pick_race, NULL);
    assert_true(E.race > 0 && E.race_other > 0);
    struct rk_candidate c[RK_CANDIDATES_MAX];
    assert_int_equal(rk_store_candidate_list(s, E.race, c, RK_CANDIDATES_MAX, &E.ncand), RK_OK);
    E.kk = c[E.ncand - 1].kolom_kosong;
    char name[64], kec[RK_CODE_MAX + 1];
    snprintf(name, sizeof name, "kpps-%s", E.tps);
    rk_dw_account(s, name, RK_ROLE_KPPS, E.tps);
    snprintf(name, sizeof name, "kpps-%s", E.tps2);
    rk_dw_account(s, name, RK_ROLE_KPPS, E.tps2);
    rk_code_ancestor(E.tps, RK_LEVEL_KECAMATAN, kec);
    rk_dw_account(s, "ppk-demo", RK_ROLE_PPK, kec);
    rk_store_close(s);
    struct rk_server_config cfg = {.db_uri = E.db, .port = 0, .threads = 8, .key_file = E.key,
                                   .log_id = "rekap.test", .publish_ms = 100000, .no_cache = 1};
    assert_int_equal(rk_server_start(&cfg, &E.srv), RK_OK);
    E.port = rk_server_port(E.srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rk_server_stop(E.srv);
    rk_test_rmtree(E.dir);
    return 0;
}

static json_t *post_json(const char *path, const char *body, const char *token, int want)
{
    char extra[256] = "";
    if (token)
        snprintf(extra, sizeof extra, "Authorization: Bearer %s\r\n", token);
    struct resp r;
    rk_thttp_post(E.port, path, "application/json", body, strlen(body), extra, &r);
    if (r.status != want)
        fail_msg("POST %s: %d (want %d): %.400s", path, r.status, want, r.body);
    json_t *j = rk_thttp_body_json(&r);
    rk_thttp_resp_free(&r);
    return j;
}

static json_t *get_json(const char *path, int want)
{
    struct resp r;
    rk_thttp_get(E.port, path, NULL, &r);
    if (r.status != want)
        fail_msg("GET %s: %d (want %d): %.300s", path, r.status, want, r.body);
    json_t *j = rk_thttp_body_json(&r);
    rk_thttp_resp_free(&r);
    return j;
}

static char *login(const char *user_name)
{
    return rk_thttp_login(E.port, user_name, RK_DW_PASSWORD);
}

static const char *errcode(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "code"));
}

/* GET /api/progress?region=code: every row's progress is what the race's own results page
 * says for the same region (the deeper of the two), and the totals are the rows' sums. Returns
 * the TPS received in all. */
static long long check_progress(const char *code)
{
    char path[256];
    snprintf(path, sizeof path, "/api/progress%s%s", code[0] ? "?region=" : "", code);
    json_t *j = get_json(path, 200);
    json_t *rows = json_object_get(j, "races"), *row;
    assert_true(json_array_size(rows) >= 1);
    static const char *const keys[] = {"tps_expected", "tps_received", "tps_flagged",
                                       "tps_approved"};
    long long sum[4] = {0, 0, 0, 0};
    size_t i;
    json_array_foreach(rows, i, row)
    {
        const char *rc = json_string_value(json_object_get(row, "region_code"));
        snprintf(path, sizeof path, "/api/races/%lld/results?region=%s",
                 (long long)json_integer_value(json_object_get(row, "id")),
                 strlen(code) >= strlen(rc) ? code : rc);
        json_t *res = get_json(path, 200);
        json_t *want = json_object_get(json_object_get(res, "tally"), "progress");
        json_t *got = json_object_get(row, "progress");
        for (int k = 0; k < 4; k++) {
            long long g = json_integer_value(json_object_get(got, keys[k]));
            assert_int_equal(g, json_integer_value(json_object_get(want, keys[k])));
            sum[k] += g;
        }
        json_decref(res);
    }
    json_t *tot = json_object_get(j, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "races")), json_array_size(rows));
    for (int k = 0; k < 4; k++)
        assert_int_equal(json_integer_value(json_object_get(tot, keys[k])), sum[k]);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "region"), "code")),
                        code);
    json_decref(j);
    return sum[1];
}

static void test_api_flow(void **state)
{
    (void)state;
    char kpps[64];
    snprintf(kpps, sizeof kpps, "kpps-%s", E.tps);
    json_t *j = post_json("/api/login", "{\"username\":\"nobody\",\"password\":\"x\"}", NULL, 401);
    json_decref(j);
    char *tok = login(kpps);
    j = get_json("/api/me", 401); /* no token */
    json_decref(j);

    /* device key */
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    char hex[65], body[512];
    rk_hex(pk, 32, hex);
    snprintf(body, sizeof body, "{\"public_key\":\"%s\"}", hex);
    j = post_json("/api/devices", body, tok, 201);
    char key_id[17];
    snprintf(key_id, sizeof key_id, "%s", json_string_value(json_object_get(j, "key_id")));
    json_decref(j);
    j = post_json("/api/devices", body, tok, 409);
    json_decref(j);

    /* a photo: JPEG magic + bytes; not an image is refused */
    unsigned char jpeg[600];
    memset(jpeg, 0x42, sizeof jpeg);
    jpeg[0] = 0xff, jpeg[1] = 0xd8, jpeg[2] = 0xff;
    char extra[256];
    snprintf(extra, sizeof extra, "Authorization: Bearer %s\r\n", tok);
    struct resp r;
    rk_thttp_post(E.port, "/api/photos", "image/jpeg", (const char *)jpeg, sizeof jpeg, extra, &r);
    assert_int_equal(r.status, 201);
    j = rk_thttp_body_json(&r);
    char photo[65];
    snprintf(photo, sizeof photo, "%s", json_string_value(json_object_get(j, "sha256")));
    json_decref(j);
    rk_thttp_resp_free(&r);
    rk_thttp_post(E.port, "/api/photos", "image/gif", "GIF89a....", 10, extra, &r);
    rk_thttp_assert_error(&r, 415, "unsupported");
    rk_thttp_resp_free(&r);
    char path[512];
    snprintf(path, sizeof path, "/api/photos/%s", photo);
    rk_thttp_get(E.port, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, sizeof jpeg);
    assert_memory_equal(r.body, jpeg, sizeof jpeg);
    rk_thttp_resp_free(&r);

    /* submit */
    struct rk_chasil doc;
    assert_int_equal(rk_demo_chasil(9, "pilkada2024", E.tps, E.race, E.ncand, E.kk, E.l, E.p, &doc),
                     RK_OK);
    uint8_t ph[1][32];
    assert_int_equal(rk_unhex(photo, 64, ph[0], 32), RK_OK);
    struct rk_submission sub;
    assert_int_equal(rk_submission_init(&sub, &doc, (const uint8_t(*)[32])ph, 1, NULL), RK_OK);
    assert_int_equal(rk_submission_sign(&sub, sk, key_id), RK_OK);
    char *req = rk_submission_to_json(&sub);
    j = post_json("/api/submissions", req, NULL, 201); /* device signature alone suffices */
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    char doc_hex[65];
    snprintf(doc_hex, sizeof doc_hex, "%s", json_string_value(json_object_get(j, "doc_sha256")));
    json_decref(j);
    j = post_json("/api/submissions", req, tok, 200); /* resend: duplicate */
    assert_true(json_is_true(json_object_get(j, "duplicate")));
    json_decref(j);
    free(req);

    /* forged: flip a signature byte */
    sub.sig[0] ^= 0x80;
    req = rk_submission_to_json(&sub);
    j = post_json("/api/submissions", req, NULL, 401);
    assert_string_equal(errcode(j), "bad_signature");
    json_decref(j);
    free(req);
    sub.sig[0] ^= 0x80;

    /* out of scope: this device's account writing the other TPS */
    struct rk_chasil other;
    assert_int_equal(rk_demo_chasil(9, "pilkada2024", E.tps2, E.race, E.ncand, E.kk, 200, 200,
                                    &other),
                     RK_OK);
    struct rk_submission s2;
    assert_int_equal(rk_submission_init(&s2, &other, NULL, 0, NULL), RK_OK);
    assert_int_equal(rk_submission_sign(&s2, sk, key_id), RK_OK);
    req = rk_submission_to_json(&s2);
    j = post_json("/api/submissions", req, NULL, 403);
    json_decref(j);
    free(req);

    /* arithmetic: 422 with the violated rules */
    struct rk_chasil bad = doc;
    bad.v[RK_F_SUARA_TIDAK_SAH] += 7;
    assert_int_equal(rk_submission_init(&s2, &bad, NULL, 0, sub.doc_hash), RK_OK);
    assert_int_equal(rk_submission_sign(&s2, sk, key_id), RK_OK);
    req = rk_submission_to_json(&s2);
    j = post_json("/api/submissions", req, NULL, 422);
    json_t *viol = json_object_get(json_object_get(j, "error"), "violations");
    assert_true(json_array_size(viol) >= 1);
    json_decref(j);
    free(req);

    /* malformed, unknown field, oversized */
    j = post_json("/api/submissions", "{\"document\":", NULL, 400);
    assert_string_equal(errcode(j), "parse_error");
    json_decref(j);
    j = post_json("/api/submissions", "{\"documentx\":{}}", NULL, 400);
    json_decref(j);
    size_t big = 40000;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    j = post_json("/api/submissions", huge, NULL, 413);
    json_decref(j);
    free(huge);

    /* results: national, province, the TPS's desa (children are TPS) */
    j = get_json("/api/races/1/results", 200);
    json_decref(j);
    snprintf(path, sizeof path, "/api/races/%lld/results", (long long)E.race);
    j = get_json(path, 200);
    json_t *t = json_object_get(j, "tally");
    assert_int_equal(json_integer_value(json_object_get(t, "sah")), doc.v[RK_F_SUARA_SAH]);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(t, "votes"), 0)),
                     doc.v[RK_F_SUARA_PASLON_1]);
    json_t *prog = json_object_get(t, "progress");
    assert_int_equal(json_integer_value(json_object_get(prog, "tps_received")), 1);
    assert_true(json_integer_value(json_object_get(prog, "tps_expected")) > 50);
    json_decref(j);
    char desa[RK_CODE_MAX + 1];
    rk_code_ancestor(E.tps, RK_LEVEL_DESA, desa);
    snprintf(path, sizeof path, "/api/races/%lld/results?region=%s", (long long)E.race, desa);
    j = get_json(path, 200);
    json_t *kids = json_object_get(j, "children");
    assert_true(json_array_size(kids) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 0), "code")), E.tps);
    json_decref(j);
    snprintf(path, sizeof path, "/api/races/%lld/results?region=62", (long long)E.race);
    j = get_json(path, 404); /* not this race's province */
    json_decref(j);

    /* PPK approves then corrects; history keeps both */
    char *ppk = login("ppk-demo");
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld/approve", E.tps, (long long)E.race);
    j = post_json(path, "{\"version\":1}", tok, 403); /* KPPS may not approve */
    json_decref(j);
    j = post_json(path, "{\"version\":1}", ppk, 200);
    json_decref(j);
    j = post_json(path, "{\"version\":1}", ppk, 409); /* not twice */
    json_decref(j);
    struct rk_chasil fixed = doc;
    fixed.v[RK_F_SUARA_PASLON_1] -= 1;
    fixed.v[RK_F_SUARA_SAH] -= 1;
    fixed.v[RK_F_SUARA_TIDAK_SAH] += 1;
    char dj[RK_CHASIL_JSON_MAX];
    size_t dl;
    assert_int_equal(rk_chasil_encode(&fixed, dj, sizeof dj, &dl), RK_OK);
    char cbody[4096];
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld/corrections", E.tps, (long long)E.race);
    snprintf(cbody, sizeof cbody, "{\"document\":%s,\"prev\":\"%s\",\"reason\":\"\"}", dj, doc_hex);
    j = post_json(path, cbody, ppk, 400);
    json_decref(j);
    snprintf(cbody, sizeof cbody,
             "{\"document\":%s,\"prev\":\"%s\",\"reason\":\"Satu suara paslon 1 ternyata tidak "
             "sah pada pleno\"}",
             dj, doc_hex);
    j = post_json(path, cbody, tok, 403);
    json_decref(j);
    j = post_json(path, cbody, ppk, 201);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
    json_decref(j);
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld", E.tps, (long long)E.race);
    j = get_json(path, 200);
    json_t *hist = json_object_get(j, "history");
    assert_int_equal(json_array_size(hist), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "kind")),
                        "correction");
    assert_false(json_is_true(json_object_get(json_object_get(j, "state"), "approved")));
    json_decref(j);
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld/versions/1", E.tps, (long long)E.race);
    j = get_json(path, 200);
    assert_string_equal(json_string_value(json_object_get(j, "device")), key_id);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "photos"), 0)), photo);
    json_decref(j);
    snprintf(path, sizeof path, "/api/races/%lld/results", (long long)E.race);
    j = get_json(path, 200);
    t = json_object_get(j, "tally");
    assert_int_equal(json_integer_value(json_object_get(t, "tidak_sah")),
                     fixed.v[RK_F_SUARA_TIDAK_SAH]);
    json_decref(j);

    /* CSV of the kecamatan */
    char kec[RK_CODE_MAX + 1];
    rk_code_ancestor(E.tps, RK_LEVEL_KECAMATAN, kec);
    snprintf(path, sizeof path, "/api/races/%lld/results.csv?region=%s", (long long)E.race, kec);
    rk_thttp_get(E.port, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "tps,version,approved,flagged,paslon_1"));
    char line[64];
    snprintf(line, sizeof line, "\n%s,2,0,", E.tps);
    assert_non_null(strstr(r.body, line));
    rk_thttp_resp_free(&r);

    /* D.Hasil of the kecamatan: JSON and PDF; a desa has no recap level */
    snprintf(path, sizeof path, "/api/races/%lld/regions/%s/dhasil.json", (long long)E.race, kec);
    j = get_json(path, 200);
    assert_non_null(strstr(json_string_value(json_object_get(j, "model")), "KECAMATAN"));
    json_decref(j);
    snprintf(path, sizeof path, "/api/races/%lld/regions/%s/dhasil.pdf", (long long)E.race, kec);
    rk_thttp_get(E.port, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 1000 && memcmp(r.body, "%PDF", 4) == 0);
    rk_thttp_resp_free(&r);
    snprintf(path, sizeof path, "/api/races/%lld/regions/%s/dhasil.json", (long long)E.race, desa);
    rk_thttp_get(E.port, path, NULL, &r);
    assert_true(r.status == 400 || r.status == 404);
    rk_thttp_resp_free(&r);

    /* counting progress, race by race: nationally every race (here the province's), each as
     * its results page has it; in the kecamatan, the races held there; a TPS has none */
    j = get_json("/api/races", 200);
    size_t all_races = json_array_size(json_object_get(j, "races"));
    json_decref(j);
    j = get_json("/api/progress", 200);
    assert_int_equal(json_array_size(json_object_get(j, "races")), all_races);
    json_decref(j);
    assert_true(check_progress("") >= 1);
    assert_true(check_progress(kec) >= 1);
    static const struct {
        const char *query;
        int status;
        const char *code;
    } bad_progress[] = {
        {"?region=99", 404, "not_found"},
        {"?election=Bad!", 400, "invalid"},
        {"?election=nope2099", 404, "not_found"},
        {"?region=11.0x", 400, "invalid"},
    };
    snprintf(path, sizeof path, "/api/progress?region=%s", E.tps);
    j = get_json(path, 400);
    assert_string_equal(errcode(j), "invalid");
    json_decref(j);
    for (size_t i = 0; i < sizeof bad_progress / sizeof bad_progress[0]; i++) {
        snprintf(path, sizeof path, "/api/progress%s", bad_progress[i].query);
        j = get_json(path, bad_progress[i].status);
        assert_string_equal(errcode(j), bad_progress[i].code);
        json_decref(j);
    }

    /* the log: one election_config entry per race (the demo), 3 account entries (setup), the
     * device key the KPPS registered itself (the refused duplicate adds nothing), then upload,
     * approval, correction; a signed head, proofs verify */
    j = get_json("/api/races", 200);
    size_t nr = json_array_size(json_object_get(j, "races"));
    json_decref(j);
    assert_true(nr >= 2);
    assert_int_equal(rk_server_publish(E.srv), RK_OK);
    j = get_json("/api/log/sth", 200);
    json_t *sthj = json_object_get(j, "sth");
    struct rk_sth sth;
    assert_int_equal(rk_sth_from_json(sthj, &sth), RK_OK);
    uint8_t pub[32];
    const char *pubhex = json_string_value(json_object_get(json_object_get(j, "key"), "public_key"));
    assert_int_equal(rk_unhex(pubhex, strlen(pubhex), pub, 32), RK_OK);
    assert_int_equal(rk_sth_verify(&sth, pub), RK_OK);
    assert_int_equal(sth.tree_size, nr + 7);
    json_decref(j);

    /* Once a head is signed the D.Hasil JSON is dated by it, not by the clock: asked again in
     * a later second it is the same bytes, so its ETag answers 304 (clock-dated, every answer
     * after the read cache's second was new). */
    snprintf(path, sizeof path, "/api/races/%lld/regions/%s/dhasil.json", (long long)E.race, kec);
    struct resp r1, r2;
    rk_thttp_get(E.port, path, NULL, &r1);
    assert_int_equal(r1.status, 200);
    char etag[128], when[32];
    assert_non_null(rk_thttp_header(&r1, "ETag", etag, sizeof etag));
    time_t head_s = (time_t)(sth.timestamp_ms / 1000);
    strftime(when, sizeof when, "\"generated_at\":\"%Y-%m-%dT%H:%M:%SZ\"", gmtime(&head_s));
    assert_non_null(strstr(r1.body, when));
    struct timespec nap = {1, 100 * 1000 * 1000};
    nanosleep(&nap, NULL); /* into the next second of the clock */
    rk_thttp_get(E.port, path, NULL, &r2);
    assert_int_equal(r2.status, 200);
    assert_int_equal(r1.body_len, r2.body_len);
    assert_memory_equal(r1.body, r2.body, r1.body_len);
    char inm[200];
    snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", etag);
    rk_thttp_resp_free(&r2);
    rk_thttp_get(E.port, path, inm, &r2);
    assert_int_equal(r2.status, 304);
    rk_thttp_resp_free(&r1);
    rk_thttp_resp_free(&r2);
    snprintf(path, sizeof path, "/api/log/entries?start=0&count=%zu", nr + 10);
    j = get_json(path, 200);
    json_t *ents = json_object_get(j, "entries");
    assert_int_equal(json_array_size(ents), nr + 7);
    static const char *const kinds[7] = {"account_change", "account_change", "account_change",
                                         "device_key",     "submission",     "approval",
                                         "correction"};
    char kpps_name[64];
    snprintf(kpps_name, sizeof kpps_name, "kpps-%s", E.tps);
    for (size_t i = 0; i < nr + 7; i++) {
        json_t *ent = json_array_get(ents, i);
        json_t *view = json_object_get(ent, "entry");
        const char *kind = json_string_value(json_object_get(view, "kind"));
        assert_non_null(kind);
        assert_string_equal(kind, i < nr ? "election_config" : kinds[i - nr]);
        if (i < nr)
            assert_non_null(strstr(json_string_value(json_object_get(view, "race")), "pilkada"));
        else if (i < nr + 3)
            assert_string_equal(json_string_value(json_object_get(view, "actor")), "cli@test");
        else if (i == nr + 3)
            assert_string_equal(json_string_value(json_object_get(view, "actor")), kpps_name);
        const char *leafhex = json_string_value(json_object_get(ent, "leaf"));
        uint8_t leaf[32];
        assert_int_equal(rk_unhex(leafhex, 64, leaf, 32), RK_OK);
        snprintf(path, sizeof path, "/api/log/proof/inclusion?index=%zu&size=%zu", i, nr + 7);
        json_t *pj = get_json(path, 200);
        uint64_t idx, size;
        struct rk_merkle_proof proof;
        assert_int_equal(rk_merkle_inclusion_from_json(pj, &idx, &size, &proof), RK_OK);
        assert_int_equal(rk_merkle_verify_inclusion(idx, size, leaf, &proof, sth.root), RK_OK);
        json_decref(pj);
    }
    json_decref(j);
    snprintf(path, sizeof path, "/api/log/proof/inclusion?index=%zu&size=%zu", nr + 9, nr + 7);
    j = get_json(path, 400);
    json_decref(j);
    free(tok);
    free(ppk);
}

/* Rate limits: a burst per address, then 429 with Retry-After; login guessing per username. */
static void test_rate_limits(void **state)
{
    (void)state;
    struct rk_server *srv;
    struct rk_server_config cfg = {.db_uri = E.db, .port = 0, .threads = 4, .key_file = E.key,
                                   .rate_addr = 5};
    assert_int_equal(rk_server_start(&cfg, &srv), RK_OK);
    unsigned short port = rk_server_port(srv);
    int ok = 0, limited = 0;
    struct resp r;
    for (int i = 0; i < 30; i++) {
        rk_thttp_get(port, "/api/health", NULL, &r);
        if (r.status == 200) {
            ok++;
        } else {
            rk_thttp_assert_error(&r, 429, "rate_limited");
            char ra[16];
            assert_non_null(rk_thttp_header(&r, "Retry-After", ra, sizeof ra));
            assert_true(atoi(ra) >= 1);
            limited++;
        }
        rk_thttp_resp_free(&r);
    }
    assert_true(ok >= 10 && ok < 30); /* burst of 10 (2x rate), a little refill */
    assert_true(limited > 0);
    rk_server_stop(srv);

    /* public reads are answered from memory for cache_ms: same bytes until it expires, then the
     * new numbers; a logged-in reader is never served from the cache */
    cfg.rate_addr = 100000;
    cfg.cache_ms = 300;
    assert_int_equal(rk_server_start(&cfg, &srv), RK_OK);
    port = rk_server_port(srv);
    char path[128];
    snprintf(path, sizeof path, "/api/races/%lld/results", (long long)E.race);
    struct resp a, b;
    rk_thttp_get(port, path, NULL, &a);
    assert_int_equal(a.status, 200);
    struct rk_store *s;
    assert_int_equal(rk_store_open(E.db, &s), RK_OK);
    struct rk_chasil doc;
    assert_int_equal(rk_demo_chasil(3, "pilkada2024", E.tps, E.race, E.ncand, E.kk, E.l, E.p, &doc),
                     RK_OK);
    struct rk_version *v = calloc(1, sizeof *v);
    v->race_id = E.race;
    memcpy(v->tps, E.tps, sizeof v->tps);
    v->kind = RK_VERSION_UPLOAD;
    strcpy(v->actor, "tester");
    size_t len;
    assert_int_equal(rk_chasil_encode(&doc, v->doc, sizeof v->doc, &len), RK_OK);
    struct rk_tally t;
    rk_tally_from_chasil(&t, &doc, false, false);
    assert_int_equal(rk_store_begin(s), RK_OK);
    assert_int_equal(rk_store_version_add(s, v, &t), RK_OK);
    assert_int_equal(rk_store_commit(s), RK_OK);
    free(v);
    rk_store_close(s);
    rk_thttp_get(port, path, NULL, &b); /* within 300 ms: the cached bytes */
    assert_int_equal(b.status, 200);
    assert_int_equal(a.body_len, b.body_len);
    assert_memory_equal(a.body, b.body, a.body_len);
    rk_thttp_resp_free(&b);
    rk_thttp_get(port, path, "Authorization: Bearer x\r\n", &b); /* bypasses the cache */
    assert_true(b.status != 200 || strstr(b.body, "\"tps_received\":1") != NULL);
    rk_thttp_resp_free(&b);
    struct timespec nap = {0, 350 * 1000 * 1000};
    nanosleep(&nap, NULL);
    rk_thttp_get(port, path, NULL, &b);
    assert_int_equal(b.status, 200);
    json_t *jb = rk_thttp_body_json(&b);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(jb, "tally"), "sah")),
                     doc.v[RK_F_SUARA_SAH]);
    json_decref(jb);
    rk_thttp_resp_free(&a);
    rk_thttp_resp_free(&b);
    rk_server_stop(srv);

    /* guessing passwords: 10 attempts a minute per username, then 429 even for the right one */
    cfg.rate_addr = 100000;
    assert_int_equal(rk_server_start(&cfg, &srv), RK_OK);
    port = rk_server_port(srv);
    const char *bad = "{\"username\":\"ppk-demo\",\"password\":\"salah-salah-salah\"}";
    int unauthorized = 0, throttled = 0;
    for (int i = 0; i < 14; i++) {
        rk_thttp_post(port, "/api/login", "application/json", bad, strlen(bad), NULL, &r);
        unauthorized += r.status == 401;
        throttled += r.status == 429;
        rk_thttp_resp_free(&r);
    }
    assert_int_equal(unauthorized, 10);
    assert_int_equal(throttled, 4);
    const char *good = "{\"username\":\"ppk-demo\",\"password\":\"rahasia-sekali-123\"}";
    rk_thttp_post(port, "/api/login", "application/json", good, strlen(good), NULL, &r);
    assert_int_equal(r.status, 429);
    rk_thttp_resp_free(&r);
    rk_server_stop(srv);
}

/* Slowloris: one address may hold only conn_per_addr connections, however slowly it talks. */
static void test_connections_per_address(void **state)
{
    (void)state;
    struct rk_server *srv;
    struct rk_server_config cfg = {.db_uri = E.db, .port = 0, .threads = 4, .key_file = E.key,
                                   .conn_per_addr = 4, .timeout_s = 30};
    assert_int_equal(rk_server_start(&cfg, &srv), RK_OK);
    unsigned short port = rk_server_port(srv);
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = rk_thttp_dial(port);
        assert_true(fds[i] >= 0);
        rk_thttp_send_all(fds[i], "GET /api/health HTTP/1.1\r\nHost: t\r\n", 35); /* trickling */
    }
    struct timespec nap = {0, 200 * 1000 * 1000};
    nanosleep(&nap, NULL);
    /* a fifth connection from the same address is closed without an answer */
    int fd = rk_thttp_dial(port);
    if (fd >= 0) {
        const char *req = "GET /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        send(fd, req, strlen(req), MSG_NOSIGNAL);
        char buf[64];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        assert_true(n <= 0);
        close(fd);
    }
    /* the slow ones finish their request and are answered; then there is room again */
    for (int i = 0; i < 4; i++) {
        rk_thttp_send_all(fds[i], "Connection: close\r\n\r\n", 21);
        struct resp r;
        rk_thttp_read_resp(fds[i], &r);
        assert_int_equal(r.status, 200);
        rk_thttp_resp_free(&r);
    }
    struct resp r;
    rk_thttp_get(port, "/api/health", NULL, &r);
    assert_int_equal(r.status, 200);
    rk_thttp_resp_free(&r);
    rk_server_stop(srv);
}

/* Races held at E.tps (governor and bupati/walikota), with their paslon columns. */
struct tps_races {
    int n;
    int64_t id[4];
    int ncand[4];
    bool kk[4];
};

static int races_at_tps(void *ud, const struct rk_race *r)
{
    struct tps_races *t = ud;
    if (t->n < 4 && strncmp(E.tps, r->region_code, strlen(r->region_code)) == 0)
        t->id[t->n++] = r->id;
    return 0;
}

/* A signed submission of race k at E.tps as a request body (malloc'd). */
static char *signed_body(const struct tps_races *t, int k, const uint8_t *sk, const char *key_id,
                         int tweak, uint8_t doc_hash[32])
{
    struct rk_chasil doc;
    assert_int_equal(rk_demo_chasil(11, "pilkada2024", E.tps, t->id[k], t->ncand[k], t->kk[k],
                                    E.l, E.p, &doc),
                     RK_OK);
    doc.v[RK_F_SUARA_TIDAK_SAH] += (uint32_t)tweak; /* tweak > 0 breaks the sums */
    struct rk_submission sub;
    assert_int_equal(rk_submission_init(&sub, &doc, NULL, 0, NULL), RK_OK);
    assert_int_equal(rk_submission_sign(&sub, sk, key_id), RK_OK);
    if (doc_hash)
        memcpy(doc_hash, sub.doc_hash, 32);
    return rk_submission_to_json(&sub);
}

/* The races at E.tps with their columns, and a device key of its KPPS registered behind the
 * running server's back (its registry cache must see it at once). Returns the store, open. */
static struct rk_store *tps_and_device(struct tps_races *t, uint8_t sk[64],
                                       char key_id[RK_KEY_ID_HEX_LEN + 1])
{
    uint8_t pk[32];
    crypto_sign_keypair(pk, sk);
    struct rk_store *s;
    assert_int_equal(rk_store_open(E.db, &s), RK_OK);
    rk_store_race_list(s, 0, E.tps, races_at_tps, t);
    assert_true(t->n >= 2);
    for (int k = 0; k < t->n; k++) {
        struct rk_candidate c[RK_CANDIDATES_MAX];
        assert_int_equal(rk_store_candidate_list(s, t->id[k], c, RK_CANDIDATES_MAX, &t->ncand[k]),
                         RK_OK);
        t->kk[k] = c[t->ncand[k] - 1].kolom_kosong;
    }
    struct rk_user u;
    char name[64];
    snprintf(name, sizeof name, "kpps-%s", E.tps);
    assert_int_equal(rk_store_user_by_name(s, name, &u), RK_OK);
    struct rk_device_key key;
    assert_int_equal(rk_auth_device_register(s, NULL, u.p.user_id, pk, 1732700000000, &key),
                     RK_OK);
    memcpy(key_id, key.key_id, RK_KEY_ID_HEX_LEN + 1);
    return s;
}

/* Races 0..n-1 at E.tps each have exactly one version. */
static void assert_one_version(const struct tps_races *t, int n)
{
    for (int k = 0; k < n; k++) {
        char path[96];
        snprintf(path, sizeof path, "/api/tps/%s/races/%lld", E.tps, (long long)t->id[k]);
        json_t *j = get_json(path, 200);
        assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
        json_decref(j);
    }
}

static json_t *result_at(json_t *j, size_t i, int want_status)
{
    json_t *one = json_array_get(json_object_get(j, "results"), i);
    assert_non_null(one);
    if (json_integer_value(json_object_get(one, "status")) != want_status)
        fail_msg("result %zu: %s", i, json_dumps(one, JSON_COMPACT));
    return one;
}

/* Several submissions in one request (a KPPS device sends its TPS's races at once): each is
 * checked and answered on its own, one bad element spoils nothing else, and the array itself
 * is bounded. */
static void test_bulk_submissions(void **state)
{
    (void)state;
    struct tps_races t = {0};
    uint8_t sk[64];
    char key_id[RK_KEY_ID_HEX_LEN + 1];
    struct rk_store *s = tps_and_device(&t, sk, key_id);
    rk_store_close(s);
    uint8_t h0[32], h1[32];
    char *b0 = signed_body(&t, 0, sk, key_id, 0, h0), *b1 = signed_body(&t, 1, sk, key_id, 0, h1);
    size_t cap = strlen(b0) + strlen(b1) + 16;
    char *both = malloc(cap);
    snprintf(both, cap, " [%s,%s]", b0, b1);
    json_t *j = post_json("/api/submissions", both, NULL, 200);
    char hex[65];
    rk_hex(h0, 32, hex);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(result_at(j, 0, 201), "receipt"), "doc_sha256")),
                        hex);
    rk_hex(h1, 32, hex);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(result_at(j, 1, 201), "receipt"), "doc_sha256")),
                        hex);
    json_decref(j);
    /* the same request again: both duplicates, nothing new */
    j = post_json("/api/submissions", both, NULL, 200);
    assert_true(json_is_true(
        json_object_get(json_object_get(result_at(j, 0, 200), "receipt"), "duplicate")));
    assert_true(json_is_true(
        json_object_get(json_object_get(result_at(j, 1, 200), "receipt"), "duplicate")));
    json_decref(j);
    assert_one_version(&t, 2);
    free(both);
    free(b0);
    free(b1);

    /* one element breaks the form's sums, one is not even a submission, one is fine (a new
     * version of race 0, so it must name the current one: a plain first upload is refused as
     * stale): each gets its own answer */
    b0 = signed_body(&t, 0, sk, key_id, 5, NULL);
    cap = strlen(b0) + 64;
    both = malloc(cap);
    snprintf(both, cap, "[%s,{\"document\":1},%s]", b0, "{\"documentx\":{}}");
    j = post_json("/api/submissions", both, NULL, 200);
    json_t *e0 = json_object_get(result_at(j, 0, 422), "error");
    assert_true(json_array_size(json_object_get(e0, "violations")) >= 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(result_at(j, 1, 400), "error"), "field")),
        "document");
    result_at(j, 2, 400);
    assert_int_equal(json_array_size(json_object_get(j, "results")), 3);
    json_decref(j);
    free(both);
    free(b0);

    /* the array itself: malformed, empty, too long, not an array of objects */
    j = post_json("/api/submissions", "[{\"document\":", NULL, 400);
    assert_string_equal(errcode(j), "parse_error");
    json_decref(j);
    j = post_json("/api/submissions", "[]", NULL, 400);
    assert_string_equal(errcode(j), "invalid");
    json_decref(j);
    j = post_json("/api/submissions", "[{},{},{},{},{}]", NULL, 400);
    assert_string_equal(errcode(j), "out_of_range");
    json_decref(j);
    j = post_json("/api/submissions", "[1]", NULL, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(result_at(j, 0, 400), "error"), "code")),
        "invalid");
    json_decref(j);
    /* over 4 x 32 KiB: refused whole, before any element is looked at */
    size_t big = 4 * 32768 + 100;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '[';
    huge[big - 1] = ']';
    huge[big] = '\0';
    j = post_json("/api/submissions", huge, NULL, 413);
    assert_string_equal(errcode(j), "too_big");
    json_decref(j);
    free(huge);
}

/* Sends body as an upload on a new connection and returns it without reading the answer. */
static int upload_start(unsigned short port, const char *body)
{
    int fd = rk_thttp_dial(port);
    assert_true(fd >= 0);
    char head[256];
    snprintf(head, sizeof head,
             "POST /api/submissions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             strlen(body));
    rk_thttp_send_all(fd, head, strlen(head));
    rk_thttp_send_all(fd, body, strlen(body));
    return fd;
}

/* An upload waiting for the group commit holds no request thread. With one request thread,
 * while the writer is locked out of the database (another connection holds its write lock),
 * two uploads wait, one of them abandoned by its client, and a third connection is still
 * answered; once the lock goes, both are stored and the waiting one gets its receipt. (With a
 * thread blocked per upload, the third connection waited for the lock.) */
static void test_parked_upload(void **state)
{
    (void)state;
    struct tps_races t = {0};
    uint8_t sk[64], h0[32];
    char key_id[RK_KEY_ID_HEX_LEN + 1];
    rk_store_close(tps_and_device(&t, sk, key_id));
    char *b0 = signed_body(&t, 0, sk, key_id, 0, h0), *b1 = signed_body(&t, 1, sk, key_id, 0, NULL);
    struct rk_server_config cfg = {.db_uri = E.db, .port = 0, .threads = 1, .key_file = E.key,
                                   .log_id = "rekap.test", .publish_ms = 100000, .no_cache = 1};
    struct rk_server *srv;
    assert_int_equal(rk_server_start(&cfg, &srv), RK_OK);
    unsigned short port = rk_server_port(srv);
    sqlite3 *lock;
    assert_int_equal(sqlite3_open(E.db, &lock), SQLITE_OK);
    rk_test_sqlite_exec(lock, "BEGIN IMMEDIATE");
    int waiting = upload_start(port, b0), gone = upload_start(port, b1);
    struct pollfd pf = {.fd = waiting, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, 300), 0); /* no answer while the writer cannot write */
    close(gone);                            /* this client gives up */
    struct resp r;
    rk_thttp_get(port, "/api/health", NULL, &r);
    assert_int_equal(r.status, 200);
    rk_thttp_resp_free(&r);
    assert_int_equal(poll(&pf, 1, 0), 0); /* still waiting */
    rk_test_sqlite_exec(lock, "ROLLBACK");
    sqlite3_close(lock);
    rk_thttp_read_resp(waiting, &r);
    close(waiting);
    assert_int_equal(r.status, 201);
    json_t *j = rk_thttp_body_json(&r);
    char hex[65];
    rk_hex(h0, 32, hex);
    assert_string_equal(json_string_value(json_object_get(j, "doc_sha256")), hex);
    json_decref(j);
    rk_thttp_resp_free(&r);
    rk_server_stop(srv);
    assert_one_version(&t, 2); /* the abandoned upload was stored all the same */
    free(b0);
    free(b1);
}

static int other_kab(void *ud, const struct rk_region *r)
{
    if (strncmp(r->code, E.tps, 4) == 0)
        return 0;
    snprintf(ud, RK_CODE_MAX + 1, "%s", r->code);
    return 1;
}

/* POST /api/tps/{tps}/races/{race}/objections: a saksi of that race or Bawaslu over the TPS may
 * object to a version, with a reason; nobody else. Each objection is published with the TPS,
 * logged as a `rejection` entry of the objection statement, and changes no number or state. */
static void test_objections(void **state)
{
    (void)state;
    struct tps_races t = {0};
    uint8_t sk[64];
    char key_id[RK_KEY_ID_HEX_LEN + 1], kab2[RK_CODE_MAX + 1] = "", kec[RK_CODE_MAX + 1];
    {
        struct rk_store *s = tps_and_device(&t, sk, key_id);
        rk_store_region_at_level(s, "61", RK_LEVEL_KABKOTA, other_kab, kab2);
        assert_true(kab2[0]);
        rk_code_ancestor(E.tps, RK_LEVEL_KECAMATAN, kec);
        char kab[RK_CODE_MAX + 1];
        rk_code_ancestor(E.tps, RK_LEVEL_KABKOTA, kab);
        rk_dw_account_race(s, "saksi-1", RK_ROLE_SAKSI, "61", t.id[0]);
        rk_dw_account_race(s, "saksi-2", RK_ROLE_SAKSI, kab, t.id[1]); /* the other race here */
        rk_dw_account(s, "bawaslu-kec", RK_ROLE_BAWASLU, kec);
        rk_dw_account(s, "bawaslu-lain", RK_ROLE_BAWASLU, kab2);
        rk_store_close(s);
    }
    uint8_t h0[32];
    char *b0 = signed_body(&t, 0, sk, key_id, 0, h0);
    json_t *j = post_json("/api/submissions", b0, NULL, 201);
    json_decref(j);
    free(b0);
    char path[128], kpps[64];
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld/objections", E.tps, (long long)t.id[0]);
    snprintf(kpps, sizeof kpps, "kpps-%s", E.tps);
    const char *why = "{\"version\":1,\"reason\":\"Jumlah suara paslon 1 tidak sesuai foto C.Hasil\"}";
    char *tk = login(kpps), *s1 = login("saksi-1"), *s2 = login("saksi-2"),
         *bw = login("bawaslu-kec"), *bx = login("bawaslu-lain");
    j = post_json(path, why, NULL, 401);
    json_decref(j);
    struct {
        const char *tok;
        int want;
    } refused[] = {{tk, 403}, {s2, 403}, {bx, 403}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        j = post_json(path, why, refused[i].tok, refused[i].want);
        assert_string_equal(errcode(j), "forbidden");
        json_decref(j);
    }
    j = post_json(path, "{\"version\":1,\"reason\":\"x\"}", s1, 400);
    json_decref(j);
    j = post_json(path, "{\"version\":9,\"reason\":\"Jumlah suara paslon 1 tidak sesuai\"}", s1,
                  404);
    json_decref(j);
    j = post_json(path, "{\"version\":1,\"reason\":\"Jumlah suara tidak sesuai\",\"x\":1}", s1,
                  400);
    json_decref(j);
    j = post_json(path, why, s1, 201);
    int64_t idx1 = json_integer_value(json_object_get(j, "log_index"));
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
    json_decref(j);
    j = post_json(path, "{\"version\":1,\"reason\":\"PTPS mencatat kejadian khusus saat penghitungan\"}",
                  bw, 201);
    int64_t idx2 = json_integer_value(json_object_get(j, "log_index"));
    json_decref(j);
    assert_true(idx1 >= 0 && idx2 > idx1);

    /* published with the TPS, oldest first; nothing else about the TPS changed */
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld", E.tps, (long long)t.id[0]);
    j = get_json(path, 200);
    json_t *ob = json_object_get(j, "objections");
    assert_int_equal(json_array_size(ob), 2);
    json_t *o1 = json_array_get(ob, 0), *o2 = json_array_get(ob, 1);
    assert_string_equal(json_string_value(json_object_get(o1, "actor")), "saksi-1");
    assert_string_equal(json_string_value(json_object_get(o1, "reason")),
                        "Jumlah suara paslon 1 tidak sesuai foto C.Hasil");
    assert_int_equal(json_integer_value(json_object_get(o1, "version")), 1);
    assert_int_equal(json_integer_value(json_object_get(o1, "log_index")), idx1);
    assert_string_equal(json_string_value(json_object_get(o2, "actor")), "bawaslu-kec");
    assert_int_equal(json_integer_value(json_object_get(o2, "log_index")), idx2);
    json_t *st = json_object_get(j, "state");
    assert_int_equal(json_integer_value(json_object_get(st, "current_version")), 1);
    assert_false(json_is_true(json_object_get(st, "approved")));
    assert_int_equal(json_array_size(json_object_get(j, "history")), 1);
    json_decref(j);
    snprintf(path, sizeof path, "/api/tps/%s/races/%lld", E.tps, (long long)t.id[1]);
    j = get_json(path, 200);
    assert_int_equal(json_array_size(json_object_get(j, "objections")), 0);
    json_decref(j);
    /* the desa's TPS list and CSV count them (the list is what `rekap audit` compares) */
    char desa_of[RK_CODE_MAX + 1];
    rk_code_ancestor(E.tps, RK_LEVEL_DESA, desa_of);
    snprintf(path, sizeof path, "/api/races/%lld/tps?region=%s", (long long)t.id[0], desa_of);
    j = get_json(path, 200);
    int listed = 0;
    for (size_t i = 0; i < json_array_size(json_object_get(j, "tps")); i++) {
        json_t *row = json_array_get(json_object_get(j, "tps"), i);
        bool mine = strcmp(json_string_value(json_object_get(row, "tps")), E.tps) == 0;
        assert_int_equal(json_integer_value(json_object_get(row, "objections")), mine ? 2 : 0);
        listed += mine;
    }
    assert_int_equal(listed, 1);
    json_decref(j);
    snprintf(path, sizeof path, "/api/races/%lld/results.csv?region=%s", (long long)t.id[0],
             desa_of);
    struct resp r;
    rk_thttp_get(E.port, path, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, ",pemilih_dpt,objections\n"));
    const char *row = strstr(r.body, E.tps);
    assert_non_null(row);
    const char *eol = strchr(row, '\n');
    assert_true(eol && eol - row > 2 && memcmp(eol - 2, ",2", 2) == 0);
    rk_thttp_resp_free(&r);

    /* the log entry commits to the objection statement */
    snprintf(path, sizeof path, "/api/log/entries?start=%lld&count=1", (long long)idx1);
    j = get_json(path, 200);
    json_t *e = json_object_get(json_array_get(json_object_get(j, "entries"), 0), "entry");
    assert_string_equal(json_string_value(json_object_get(e, "kind")), "rejection");
    assert_string_equal(json_string_value(json_object_get(e, "actor")), "saksi-1");
    assert_string_equal(json_string_value(json_object_get(e, "region")), E.tps);
    char stmt[RK_STATEMENT_BUF], hex[65];
    size_t slen;
    assert_int_equal(rk_statement_objection(E.tps, 1, h0,
                                            "Jumlah suara paslon 1 tidak sesuai foto C.Hasil", stmt,
                                            sizeof stmt, &slen),
                     RK_OK);
    uint8_t sh[32];
    crypto_hash_sha256(sh, (const unsigned char *)stmt, slen);
    rk_hex(sh, 32, hex);
    assert_string_equal(json_string_value(json_object_get(e, "payload_sha256")), hex);
    json_decref(j);
    free(tk), free(s1), free(s2), free(bw), free(bx);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_api_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connections_per_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_submissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parked_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_objections, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rk_form_render_shutdown(); /* the D.Hasil PDF warmed cairo/fontconfig caches */
    return failed;
}
