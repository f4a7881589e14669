/* HTTP server, in process: a temp SQLite store filled through store/store.h, the server on an
 * ephemeral port, and a tiny socket client that speaks raw HTTP/1.1 so limits (413 with and
 * without Content-Length, 414) and odd paths reach the server exactly as written. */
#include "testutil.h"

#include "rekap/status.h"
#include "server/server.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct env {
    char dir[512];
    char db[600];
    char web[600];
    char log[600];
    FILE *logf;
    struct rk_server *srv;
    unsigned short port;
};

/* ---- tiny HTTP client: tests/testhttp.c ---- */
#include "testhttp.h"
#define dial rk_thttp_dial
#define send_all rk_thttp_send_all
#define read_resp rk_thttp_read_resp
#define raw rk_thttp_raw
#define get rk_thttp_get
#define header rk_thttp_header
#define body_json rk_thttp_body_json
#define resp_free rk_thttp_resp_free
#define assert_error rk_thttp_assert_error

/* ---- fixture ---- */

static void put_region(struct rk_store *s, const char *code, const char *name, unsigned l,
                       unsigned p)
{
    struct rk_region r;
    assert_int_equal(rk_region_init(&r, code, strlen(code), name, strlen(name)), RK_OK);
    r.dpt_l = l, r.dpt_p = p;
    assert_int_equal(rk_store_region_put(s, &r), RK_OK);
}

static void put_race(struct rk_store *s, int64_t eid, const char *code, const char *name,
                     const char *const *cands, int n, int64_t *id)
{
    struct rk_race race = {.election_id = eid};
    assert_int_equal(rk_race_kind_for_region(code, &race.kind), RK_OK);
    snprintf(race.region_code, sizeof race.region_code, "%s", code);
    snprintf(race.name, sizeof race.name, "%s", name);
    assert_int_equal(rk_store_race_put(s, &race), RK_OK);
    for (int i = 0; i < n; i++) {
        struct rk_candidate c;
        assert_int_equal(rk_candidate_init(&c, 0, i + 1, cands[i], "#112233"), RK_OK);
        c.race_id = race.id;
        assert_int_equal(rk_store_candidate_put(s, &c), RK_OK);
    }
    *id = race.id;
}

static int64_t race_gov, race_kab;

static void fill_store(const char *db)
{
    struct rk_store *s;
    assert_int_equal(rk_store_open(db, &s), RK_OK);
    put_region(s, "11", "ACEH", 0, 0);
    put_region(s, "1101", "KAB. ACEH SELATAN", 0, 0);
    put_region(s, "110101", "Bakongan", 0, 0);
    put_region(s, "1101012001", "Keude Bakongan", 0, 0);
    put_region(s, "1101012002", "Ujong Mangki", 0, 0);
    put_region(s, "1101012001001", "TPS 001", 150, 160);
    put_region(s, "1101012001002", "TPS 002", 200, 210);
    put_region(s, "1101012002001", "TPS 001", 90, 95);
    put_region(s, "12", "SUMATERA UTARA", 0, 0);
    put_region(s, "1271", "KOTA MEDAN", 0, 0);
    struct rk_election e = {.kind = RK_ELECTION_PILKADA, .year = 2024};
    snprintf(e.slug, sizeof e.slug, "pilkada2024");
    snprintf(e.name, sizeof e.name, "Pemilihan Serentak 2024");
    assert_int_equal(rk_store_election_put(s, &e), RK_OK);
    static const char *const gov[] = {"BUSTAMI - FADHIL", "MUZAKIR - FADHLULLAH"};
    static const char *const kab[] = {"MIRWAN - BAHARUDDIN", "KOLOM KOSONG - "};
    put_race(s, e.id, "11", "Gubernur ACEH", gov, 2, &race_gov);
    put_race(s, e.id, "1101", "Bupati ACEH SELATAN", kab, 2, &race_kab);
    rk_store_close(s);
}

static void make_web(struct env *E)
{
    char p[700];
    snprintf(E->web, sizeof E->web, "%s/web", E->dir);
    assert_int_equal(mkdir(E->web, 0755), 0);
    snprintf(p, sizeof p, "%s/index.html", E->web);
    rk_test_write_file(p, "<!doctype html><title>uji</title>");
    snprintf(p, sizeof p, "%s/a.css", E->web);
    rk_test_write_file(p, "body{color:red}");
    snprintf(p, sizeof p, "%s/secret.txt", E->dir);
    rk_test_write_file(p, "rahasia");
    char link[700];
    snprintf(link, sizeof link, "%s/evil.txt", E->web);
    assert_int_equal(symlink(p, link), 0);
}

static void env_start_with(struct env *E, size_t max_body, unsigned timeout_s, unsigned conn_limit)
{
    rk_test_tmpdir(E->dir, sizeof E->dir);
    snprintf(E->db, sizeof E->db, "%s/t.db", E->dir);
    snprintf(E->log, sizeof E->log, "%s/access.log", E->dir);
    fill_store(E->db);
    make_web(E);
    E->logf = fopen(E->log, "w");
    assert_non_null(E->logf);
    struct rk_server_config cfg = {.db_uri = E->db,
                                   .bind_addr = "127.0.0.1",
                                   .threads = 2,
                                   .max_body = max_body,
                                   .access_log = E->logf,
                                   .web_dir = E->web,
                                   .timeout_s = timeout_s,
                                   .conn_limit = conn_limit};
    assert_int_equal(rk_server_start(&cfg, &E->srv), RK_OK);
    E->port = rk_server_port(E->srv);
    assert_true(E->port > 0);
}

static void env_start(struct env *E, size_t max_body)
{
    env_start_with(E, max_body, 5, 0);
}

static void env_stop(struct env *E)
{
    rk_server_stop(E->srv);
    E->srv = NULL;
    fclose(E->logf);
    rk_test_rmtree(E->dir);
}

static int setup(void **state)
{
    struct env *E = calloc(1, sizeof *E);
    env_start(E, 1000);
    *state = E;
    return 0;
}

static int teardown(void **state)
{
    struct env *E = *state;
    if (E->srv) env_stop(E);
    free(E);
    return 0;
}

/* ---- tests ---- */

static void test_health(void **state)
{
    struct env *E = *state;
    struct resp r;
    get(E->port, "/api/health", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    assert_string_equal(json_string_value(json_object_get(j, "store")), "sqlite");
    assert_string_equal(json_string_value(json_object_get(j, "version")), rk_server_version);
    assert_true(json_integer_value(json_object_get(j, "schema")) >= 1);
    json_decref(j);
    char v[128];
    assert_non_null(header(&r, "Cache-Control", v, sizeof v));
    assert_non_null(header(&r, "ETag", v, sizeof v));
    resp_free(&r);

    /* HEAD is routed as GET and carries no body. */
    raw(E->port, "HEAD /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    resp_free(&r);
}

static void test_region_tree(void **state)
{
    struct env *E = *state;
    struct resp r;
    get(E->port, "/api/regions", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *kids = json_object_get(j, "children");
    assert_int_equal(json_array_size(kids), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 0), "code")), "11");
    assert_string_equal(json_string_value(json_object_get(json_array_get(kids, 1), "name")),
                        "SUMATERA UTARA");
    json_t *c = json_object_get(j, "counts");
    assert_int_equal(json_integer_value(json_object_get(c, "provinsi")), 2);
    assert_int_equal(json_integer_value(json_object_get(c, "kabkota")), 2);
    assert_int_equal(json_integer_value(json_object_get(c, "desa")), 2);
    assert_int_equal(json_integer_value(json_object_get(c, "tps")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "dpt"), "total")),
                     150 + 160 + 200 + 210 + 90 + 95);
    json_decref(j);
    resp_free(&r);

    /* Dotted spelling accepted; breadcrumb lists ancestors top-down. */
    get(E->port, "/api/regions/11.01.01.2001", NULL, &r);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    json_t *self = json_object_get(j, "region");
    assert_string_equal(json_string_value(json_object_get(self, "code")), "1101012001");
    assert_int_equal(json_integer_value(json_object_get(self, "level")), RK_LEVEL_DESA);
    json_t *bc = json_object_get(j, "breadcrumb");
    assert_int_equal(json_array_size(bc), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(bc, 0), "code")), "11");
    assert_string_equal(json_string_value(json_object_get(json_array_get(bc, 2), "code")),
                        "110101");
    kids = json_object_get(j, "children");
    assert_int_equal(json_array_size(kids), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(kids, 1), "dpt_p")), 210);
    c = json_object_get(j, "counts");
    assert_int_equal(json_integer_value(json_object_get(c, "tps")), 2);
    assert_null(json_object_get(c, "kecamatan"));
    json_t *d = json_object_get(j, "dpt");
    assert_int_equal(json_integer_value(json_object_get(d, "l")), 350);
    assert_int_equal(json_integer_value(json_object_get(d, "p")), 370);
    json_decref(j);
    resp_free(&r);

    get(E->port, "/api/regions/1101", NULL, &r);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    c = json_object_get(j, "counts");
    assert_int_equal(json_integer_value(json_object_get(c, "kecamatan")), 1);
    assert_int_equal(json_integer_value(json_object_get(c, "desa")), 2);
    assert_int_equal(json_integer_value(json_object_get(c, "tps")), 3);
    json_decref(j);
    resp_free(&r);
}

static void test_region_errors(void **state)
{
    struct env *E = *state;
    struct resp r;
    get(E->port, "/api/regions/99", NULL, &r);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    get(E->port, "/api/regions/12a", NULL, &r);
    assert_error(&r, 400, "invalid");
    resp_free(&r);
    get(E->port, "/api/regions/00", NULL, &r);
    assert_error(&r, 400, "invalid");
    resp_free(&r);
    get(E->port, "/api/nothing-here", NULL, &r);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
}

static void test_races(void **state)
{
    struct env *E = *state;
    struct resp r;
    /* A desa in Aceh Selatan takes part in the governor and the bupati race. */
    get(E->port, "/api/races?region=1101012001&election=pilkada2024", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *races = json_object_get(j, "races");
    assert_int_equal(json_array_size(races), 2);
    json_t *gov = json_array_get(races, 0), *kab = json_array_get(races, 1);
    assert_int_equal(json_integer_value(json_object_get(gov, "id")), race_gov);
    assert_string_equal(json_string_value(json_object_get(gov, "kind")), "pkwkp");
    assert_false(json_is_true(json_object_get(gov, "single_candidate")));
    assert_true(json_is_true(json_object_get(kab, "single_candidate")));
    json_t *kk = json_array_get(json_object_get(kab, "candidates"), 1);
    assert_true(json_is_true(json_object_get(kk, "kolom_kosong")));
    assert_int_equal(json_integer_value(json_object_get(kk, "ballot_no")), 2);
    json_decref(j);
    resp_free(&r);

    /* Sumatera Utara has no race in this store. */
    get(E->port, "/api/races?region=12", NULL, &r);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "races")), 0);
    json_decref(j);
    resp_free(&r);

    get(E->port, "/api/races?region=77", NULL, &r);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    get(E->port, "/api/races?region=1x", NULL, &r);
    assert_error(&r, 400, "invalid");
    resp_free(&r);
    get(E->port, "/api/races?region=11&election=pemilu2099", NULL, &r);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    get(E->port, "/api/races?region=11&election=Bad!Slug", NULL, &r);
    assert_error(&r, 400, "invalid");
    resp_free(&r);

    char path[64];
    snprintf(path, sizeof path, "/api/races/%lld", (long long)race_kab);
    get(E->port, path, NULL, &r);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    json_t *race = json_object_get(j, "race");
    json_t *cands = json_object_get(race, "candidates");
    assert_int_equal(json_array_size(cands), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(cands, 0), "name")),
                        "MIRWAN - BAHARUDDIN");
    assert_false(json_is_true(json_object_get(json_array_get(cands, 0), "kolom_kosong")));
    assert_true(json_is_true(json_object_get(json_array_get(cands, 1), "kolom_kosong")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "election"), "slug")),
                        "pilkada2024");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "region"), "code")),
                        "1101");
    json_decref(j);
    resp_free(&r);

    get(E->port, "/api/races/999999", NULL, &r);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
    get(E->port, "/api/races/-1", NULL, &r);
    assert_error(&r, 400, "invalid");
    resp_free(&r);
    get(E->port, "/api/races/0", NULL, &r);
    assert_error(&r, 400, "invalid");
    resp_free(&r);
}

static void test_elections(void **state)
{
    struct env *E = *state;
    struct resp r;
    get(E->port, "/api/elections", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *e = json_array_get(json_object_get(j, "elections"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "slug")), "pilkada2024");
    assert_string_equal(json_string_value(json_object_get(e, "kind")), "pilkada");
    assert_int_equal(json_integer_value(json_object_get(e, "year")), 2024);
    json_decref(j);
    resp_free(&r);
}

static void test_method_not_allowed(void **state)
{
    struct env *E = *state;
    struct resp r;
    raw(E->port, "DELETE /api/regions/11 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_error(&r, 405, "method_not_allowed");
    char allow[64];
    assert_non_null(header(&r, "Allow", allow, sizeof allow));
    assert_string_equal(allow, "GET, HEAD");
    resp_free(&r);
    raw(E->port, "GET /api/regions/lookup/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
}

static void post(unsigned short port, const char *body, struct resp *r)
{
    char req[4096];
    snprintf(req, sizeof req,
             "POST /api/regions/lookup HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(body), body);
    raw(port, req, r);
}

static void test_post_json(void **state)
{
    struct env *E = *state;
    struct resp r;
    post(E->port, "{\"codes\":[\"11.01\",\"1101012001002\",\"13\"]}", &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *found = json_object_get(j, "regions");
    assert_int_equal(json_array_size(found), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(found, 0), "code")),
                        "1101");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "missing"), 0)), "13");
    json_decref(j);
    resp_free(&r);
    post(E->port, "{\"codes\":", &r);
    assert_error(&r, 400, "parse_error");
    resp_free(&r);
    post(E->port, "{\"codes\":[\"1\"]}", &r);
    assert_error(&r, 400, "invalid");
    resp_free(&r);
    raw(E->port,
        "POST /api/regions/lookup HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
        &r);
    assert_error(&r, 415, "unsupported");
    resp_free(&r);
}

static void test_body_too_big(void **state)
{
    struct env *E = *state;
    struct resp r;
    /* Announced oversize: answered from the headers alone, the body is never sent. */
    raw(E->port,
        "POST /api/regions/lookup HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Content-Length: 100000000\r\nConnection: close\r\n\r\n",
        &r);
    assert_error(&r, 413, "too_big");
    resp_free(&r);

    /* Chunked: only counting while reading can catch it. 5 x 300 bytes > 1000. */
    int fd = dial(E->port);
    assert_true(fd >= 0);
    const char *h = "POST /api/regions/lookup HTTP/1.1\r\nHost: t\r\nContent-Type: "
                    "application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    send_all(fd, h, strlen(h));
    char chunk[400];
    char pad[301];
    memset(pad, ' ', 300);
    pad[300] = '\0';
    snprintf(chunk, sizeof chunk, "12c\r\n%s\r\n", pad);
    for (int i = 0; i < 5; i++)
        send_all(fd, chunk, strlen(chunk));
    send_all(fd, "0\r\n\r\n", 5);
    read_resp(fd, &r);
    assert_error(&r, 413, "too_big");
    resp_free(&r);

    /* The same chunked framing under the cap is read whole and parsed. */
    fd = dial(E->port);
    assert_true(fd >= 0);
    send_all(fd, h, strlen(h));
    const char *part1 = "{\"codes\":", *part2 = "[\"11\"]}";
    snprintf(chunk, sizeof chunk, "%zx\r\n%s\r\n%zx\r\n%s\r\n0\r\n\r\n", strlen(part1), part1,
             strlen(part2), part2);
    send_all(fd, chunk, strlen(chunk));
    read_resp(fd, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"ACEH\""));
    resp_free(&r);
}

static void test_uri_too_long(void **state)
{
    struct env *E = *state;
    struct resp r;
    char path[RK_SERVER_URL_MAX + 64];
    snprintf(path, sizeof path, "/api/regions?x=");
    size_t n = strlen(path);
    memset(path + n, 'a', RK_SERVER_URL_MAX);
    path[n + RK_SERVER_URL_MAX] = '\0';
    get(E->port, path, NULL, &r);
    assert_error(&r, 414, "uri_too_long");
    resp_free(&r);
    /* Just under the cap is served. */
    path[RK_SERVER_URL_MAX] = '\0';
    get(E->port, path, NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

static void test_static(void **state)
{
    struct env *E = *state;
    struct resp r;
    char v[128];
    get(E->port, "/", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<!doctype html><title>uji</title>");
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/html; charset=utf-8");
    resp_free(&r);
    get(E->port, "/static/a.css", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "body{color:red}");
    assert_string_equal(header(&r, "Content-Type", v, sizeof v), "text/css; charset=utf-8");
    resp_free(&r);

    static const char *const bad[] = {"/static/../secret.txt",   "/static/%2e%2e/secret.txt",
                                      "/static/..%2fsecret.txt", "/static/a/../../secret.txt",
                                      "/static/.hidden",         "/static//etc/passwd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        get(E->port, bad[i], NULL, &r);
        if (r.status != 400) fail_msg("%s: status %d", bad[i], r.status);
        assert_null(strstr(r.body, "rahasia"));
        resp_free(&r);
    }
    /* A symlink out of the web root is not followed. */
    get(E->port, "/static/evil.txt", NULL, &r);
    assert_error(&r, 404, "not_found");
    assert_null(strstr(r.body, "rahasia"));
    resp_free(&r);
    get(E->port, "/static/missing.js", NULL, &r);
    assert_error(&r, 404, "not_found");
    resp_free(&r);
}

static void test_etag(void **state)
{
    struct env *E = *state;
    struct resp r;
    char etag[64], hdr[128];
    get(E->port, "/api/regions/11", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(header(&r, "ETag", etag, sizeof etag));
    assert_int_equal(strlen(etag), 34);
    resp_free(&r);

    snprintf(hdr, sizeof hdr, "If-None-Match: %s\r\n", etag);
    get(E->port, "/api/regions/11", hdr, &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    char again[64];
    assert_string_equal(header(&r, "ETag", again, sizeof again), etag);
    resp_free(&r);

    snprintf(hdr, sizeof hdr, "If-None-Match: \"x\", W/%s\r\n", etag);
    get(E->port, "/api/regions/11", hdr, &r);
    assert_int_equal(r.status, 304);
    resp_free(&r);

    /* Another resource's ETag does not match. */
    get(E->port, "/api/regions/12", hdr, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    get(E->port, "/api/regions/11", "If-None-Match: \"0000\"\r\n", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

/* Runs last in the group: stops the server, then checks every access-log line. */
static void test_access_log(void **state)
{
    struct env *E = *state;
    struct resp r;
    get(E->port, "/api/regions/99?probe=log", NULL, &r);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    rk_server_stop(E->srv);
    E->srv = NULL;
    fflush(E->logf);
    FILE *f = fopen(E->log, "r");
    assert_non_null(f);
    char line[8192];
    int lines = 0, found = 0, saw413 = 0, saw304 = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        if (!j) fail_msg("log line %d is not JSON: %s", lines + 1, line);
        const char *ts = json_string_value(json_object_get(j, "ts"));
        assert_non_null(ts);
        assert_int_equal(strlen(ts), 24); /* 2024-11-27T10:00:00.000Z */
        assert_int_equal(ts[23], 'Z');
        assert_string_equal(json_string_value(json_object_get(j, "remote")), "127.0.0.1");
        assert_non_null(json_string_value(json_object_get(j, "method")));
        assert_true(json_is_integer(json_object_get(j, "status")));
        assert_true(json_is_integer(json_object_get(j, "bytes")));
        assert_true(json_is_number(json_object_get(j, "dur_ms")));
        const char *path = json_string_value(json_object_get(j, "path"));
        json_int_t st = json_integer_value(json_object_get(j, "status"));
        if (strcmp(path, "/api/regions/99?probe=log") == 0) {
            found++;
            assert_int_equal(st, 404);
            assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
            assert_true(json_integer_value(json_object_get(j, "bytes")) > 0);
        }
        saw413 += st == 413;
        saw304 += st == 304;
        json_decref(j);
        lines++;
    }
    fclose(f);
    assert_int_equal(found, 1);
    assert_true(lines >= 20);
    assert_true(saw413 >= 2);
    assert_true(saw304 >= 2);
}

/* ---- graceful shutdown ---- */

struct stopper {
    struct rk_server *srv;
    atomic_int done;
};

static void *stop_thread(void *arg)
{
    struct stopper *s = arg;
    rk_server_stop(s->srv);
    atomic_store(&s->done, 1);
    return NULL;
}

static void test_graceful_stop(void **state)
{
    (void)state;
    struct env E;
    memset(&E, 0, sizeof E);
    env_start(&E, 0);
    /* A slow client: request line and part of the headers, then a pause. */
    int fd = dial(E.port);
    assert_true(fd >= 0);
    const char *part = "GET /api/regions/11 HTTP/1.1\r\nHost: t\r\n";
    send_all(fd, part, strlen(part));
    usleep(200 * 1000);
    struct stopper st = {.srv = E.srv};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stop_thread, &st), 0);
    usleep(300 * 1000);
    /* Stopping waits for the request in flight, and no longer accepts new connections. */
    assert_int_equal(atomic_load(&st.done), 0);
    int fd2 = dial(E.port);
    assert_int_equal(fd2, -1);
    send_all(fd, "Connection: close\r\n\r\n", 21);
    struct resp r;
    read_resp(fd, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"ACEH\""));
    resp_free(&r);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&st.done), 1);
    E.srv = NULL;
    fclose(E.logf);
    rk_test_rmtree(E.dir);
}

/* Slow clients are cut off by the per-connection timeout, and while the connection limit is
 * reached a new client waits (in the listen backlog) instead of being served. */
static void test_slow_client_and_conn_limit(void **state)
{
    (void)state;
    struct env E;
    memset(&E, 0, sizeof E);
    env_start_with(&E, 0, 1, 2);
    int a = dial(E.port), b = dial(E.port);
    assert_true(a >= 0 && b >= 0);
    send_all(a, "GET /api/health HTTP/1.1\r\n", 27);
    send_all(b, "GET /api/health HTTP/1.1\r\n", 27);
    usleep(100 * 1000);
    int c = dial(E.port);
    assert_true(c >= 0);
    const char *req = "GET /api/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    send_all(c, req, strlen(req));
    struct timeval shortwait = {0, 400 * 1000};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &shortwait, sizeof shortwait);
    char buf[256];
    assert_true(recv(c, buf, sizeof buf, 0) < 0); /* not served while at the limit */
    struct timeval longwait = {5, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &longwait, sizeof longwait);
    /* The trickling clients are dropped after about a second, freeing the slots for c. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(recv(a, buf, sizeof buf, 0), 0);
    assert_int_equal(recv(b, buf, sizeof buf, 0), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 4);
    close(a);
    close(b);
    struct resp r;
    read_resp(c, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    env_stop(&E);
}

static void test_start_errors(void **state)
{
    (void)state;
    struct rk_server *srv;
    struct rk_server_config cfg = {.db_uri = "/nonexistent-dir/x/y.db"};
    assert_int_equal(rk_server_start(&cfg, &srv), RK_EDB);
    assert_null(srv);
    cfg.db_uri = ":memory:";
    cfg.bind_addr = "not-an-address";
    assert_int_equal(rk_server_start(&cfg, &srv), RK_EINVAL);
    cfg.bind_addr = NULL;
    cfg.web_dir = "/nonexistent-web-dir";
    assert_int_equal(rk_server_start(&cfg, &srv), RK_EINVAL);
    rk_server_stop(NULL);

    /* A port already bound is an I/O error, not a crash or a silent success. */
    char dir[512], db[600];
    rk_test_tmpdir(dir, sizeof dir);
    snprintf(db, sizeof db, "%s/t.db", dir);
    struct rk_server_config ok = {.db_uri = db, .threads = 1};
    struct rk_server *first;
    assert_int_equal(rk_server_start(&ok, &first), RK_OK);
    ok.port = rk_server_port(first);
    assert_int_equal(rk_server_start(&ok, &srv), RK_EIO);
    assert_null(srv);
    rk_server_stop(first);
    rk_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest group[] = {
        cmocka_unit_test(test_health),       cmocka_unit_test(test_elections),
        cmocka_unit_test(test_region_tree),  cmocka_unit_test(test_region_errors),
        cmocka_unit_test(test_races),        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_post_json),    cmocka_unit_test(test_body_too_big),
        cmocka_unit_test(test_uri_too_long), cmocka_unit_test(test_static),
        cmocka_unit_test(test_etag),         cmocka_unit_test(test_access_log),
    };
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_graceful_stop),
        cmocka_unit_test(test_slow_client_and_conn_limit),
        cmocka_unit_test(test_start_errors),
    };
    int failed = cmocka_run_group_tests_name("server", group, setup, teardown);
    failed += cmocka_run_group_tests_name("server-lifecycle", alone, NULL, NULL);
    return failed;
}
