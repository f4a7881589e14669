/* POST /api/read over HTTP, in process: a KPPS officer sends a photo (a filled page printed by
 * `rekap form print`) and gets every number with digits, probabilities, boxes and flags; the
 * race and its columns come from the store. Refused: no session, an officer of another TPS,
 * a supervisor, a photo of another page, a body that is no photo, and a server run without the model. */
#include "testutil.h"
#include "demoworld.h"
#include "testhttp.h"

#include "cli/cli.h"
#include "rekap/status.h"
#include "server/server.h"
#include "store/auth.h"

#include <stdlib.h>
#include <string.h>

static struct {
    char dir[256], db[600], key[600], png[700];
    struct rk_server *srv;
    unsigned short port;
    char tps[RK_CODE_MAX + 1], tps2[RK_CODE_MAX + 1];
    int64_t race;
    int ncand;
    int truth[RK_CANDIDATES_MAX + 3];
    uint8_t *photo;
    size_t photo_len;
} E;

static int first_two_tps(void *ud, const struct rk_region *r)
{
    (void)ud;
    if (!E.tps[0]) {
        memcpy(E.tps, r->code, sizeof E.tps);
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
    assert_true(E.race > 0);
    struct rk_candidate c[RK_CANDIDATES_MAX];
    assert_int_equal(rk_store_candidate_list(s, E.race, c, RK_CANDIDATES_MAX, &E.ncand), RK_OK);
    char name[64];
    snprintf(name, sizeof name, "kpps-%s", E.tps);
    rk_dw_account(s, name, RK_ROLE_KPPS, E.tps);
    snprintf(name, sizeof name, "kpps-%s", E.tps2);
    rk_dw_account(s, name, RK_ROLE_KPPS, E.tps2);
    rk_dw_account(s, "bawaslu-demo", RK_ROLE_BAWASLU, "61");
    rk_store_close(s);
    /* Page 2 of the governor race, filled in: votes per column and section V. */
    char vals[700], path[700], race[32];
    int n = snprintf(vals, sizeof vals, "{"), sah = 0;
    for (int i = 0; i < E.ncand; i++) {
        E.truth[i] = 150 - 37 * i;
        sah += E.truth[i];
        n += snprintf(vals + n, sizeof vals - (size_t)n, "\"suara_paslon_%d\":%d,", i + 1,
                      E.truth[i]);
    }
    E.truth[E.ncand] = sah, E.truth[E.ncand + 1] = 9, E.truth[E.ncand + 2] = sah + 9;
    snprintf(vals + n, sizeof vals - (size_t)n,
             "\"suara_sah\":%d,\"suara_tidak_sah\":9,\"suara_total\":%d}", sah, sah + 9);
    snprintf(path, sizeof path, "%s/vals.json", E.dir);
    rk_test_write_file(path, vals);
    snprintf(E.png, sizeof E.png, "%s/p2.png", E.dir);
    snprintf(race, sizeof race, "%lld", (long long)E.race);
    char *fargv[] = {"form", "print", "--db", E.db, "--tps", E.tps, "--race", race, "--format",
                     "png", "--dpi", "150", "--page", "2", "--fill", path, "--out", E.png, NULL};
    assert_int_equal(rk_cmd_form(18, fargv), 0);
    FILE *f = fopen(E.png, "rb");
    assert_non_null(f);
    E.photo = malloc(8 << 20);
    E.photo_len = fread(E.photo, 1, 8 << 20, f);
    fclose(f);
    assert_true(E.photo_len > 1000);
    char model[4096];
    snprintf(model, sizeof model, "%s/models/digits.bin", REKAP_SOURCE_DIR);
    struct rk_server_config cfg = {.db_uri = E.db, .port = 0, .threads = 4, .key_file = E.key,
                                   .log_id = "rekap.test", .publish_ms = 100000,
                                   .model_file = model};
    assert_int_equal(rk_server_start(&cfg, &E.srv), RK_OK);
    E.port = rk_server_port(E.srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rk_server_stop(E.srv);
    rk_test_rmtree(E.dir);
    free(E.photo);
    return 0;
}

static char *login(const char *user_name)
{
    return rk_thttp_login(E.port, user_name, RK_DW_PASSWORD);
}

static void post_photo(unsigned short port, const char *path, const char *token,
                       const uint8_t *b, size_t n, struct resp *r)
{
    char extra[256] = "";
    if (token)
        snprintf(extra, sizeof extra, "Authorization: Bearer %s\r\n", token);
    rk_thttp_post(port, path, "image/png", (const char *)b, n, extra, r);
}

static void test_read(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "kpps-%s", E.tps);
    char *tok = login(name);
    struct resp r;
    post_photo(E.port, "/api/read?page=2", tok, E.photo, E.photo_len, &r);
    if (r.status != 200)
        fail_msg("POST /api/read: %d %.300s", r.status, r.body);
    json_t *j = rk_thttp_body_json(&r);
    rk_thttp_resp_free(&r);
    json_t *form = json_object_get(j, "form");
    assert_string_equal(json_string_value(json_object_get(form, "tps")), E.tps);
    assert_int_equal(json_integer_value(json_object_get(form, "page")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "race_id")), E.race);
    assert_int_equal(json_integer_value(json_object_get(j, "ncand")), E.ncand);
    json_t *fields = json_object_get(j, "fields");
    assert_int_equal(json_array_size(fields), (size_t)E.ncand + 3);
    int accepted = 0;
    for (size_t i = 0; i < json_array_size(fields); i++) {
        json_t *f = json_array_get(fields, i);
        json_t *v = json_object_get(f, "value");
        bool review = json_is_true(json_object_get(f, "needs_review"));
        if (!review) {
            assert_true(json_is_integer(v));
            assert_int_equal(json_integer_value(v), E.truth[i]);
            accepted++;
        } else {
            assert_true(json_array_size(json_object_get(f, "flags")) > 0);
        }
        json_t *digits = json_object_get(f, "digits");
        assert_int_equal(json_array_size(digits), 3);
        json_t *d0 = json_array_get(digits, 0);
        assert_int_equal(json_array_size(json_object_get(d0, "box")), 4);
        assert_true(json_is_string(json_object_get(d0, "bubble_state")));
    }
    /* Printed digits and blackened bubbles agree: the page is read, not sent back. */
    assert_true(accepted * 10 >= (E.ncand + 3) * 8);
    json_decref(j);

    /* A photo of page 2 sent as page 1: 409 with the reason. */
    post_photo(E.port, "/api/read?page=1", tok, E.photo, E.photo_len, &r);
    rk_thttp_assert_error(&r, 409, "conflict");
    rk_thttp_resp_free(&r);
    /* Not a photo of a form. */
    static const uint8_t junk[64] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3};
    post_photo(E.port, "/api/read", tok, junk, sizeof junk, &r);
    rk_thttp_assert_error(&r, 422, "unreadable");
    rk_thttp_resp_free(&r);
    post_photo(E.port, "/api/read?page=x", tok, E.photo, E.photo_len, &r);
    rk_thttp_assert_error(&r, 400, "invalid");
    rk_thttp_resp_free(&r);
    free(tok);

    /* No session; an officer of another TPS; a supervisor (reads, does not enter numbers). */
    post_photo(E.port, "/api/read", NULL, E.photo, E.photo_len, &r);
    rk_thttp_assert_error(&r, 401, "unauthenticated");
    rk_thttp_resp_free(&r);
    snprintf(name, sizeof name, "kpps-%s", E.tps2);
    tok = login(name);
    post_photo(E.port, "/api/read", tok, E.photo, E.photo_len, &r);
    rk_thttp_assert_error(&r, 403, "forbidden");
    rk_thttp_resp_free(&r);
    free(tok);
    tok = login("bawaslu-demo");
    post_photo(E.port, "/api/read", tok, E.photo, E.photo_len, &r);
    rk_thttp_assert_error(&r, 403, "forbidden");
    rk_thttp_resp_free(&r);
    free(tok);
}

static void test_reader_off(void **state)
{
    (void)state;
    char key[700];
    snprintf(key, sizeof key, "%s/log2.key", E.dir);
    struct rk_server_config cfg = {.db_uri = E.db, .port = 0, .threads = 2, .key_file = key,
                                   .publish_ms = 100000};
    struct rk_server *srv;
    assert_int_equal(rk_server_start(&cfg, &srv), RK_OK);
    char name[64];
    snprintf(name, sizeof name, "kpps-%s", E.tps);
    unsigned short keep = E.port;
    E.port = rk_server_port(srv);
    char *tok = login(name);
    struct resp r;
    post_photo(E.port, "/api/read", tok, E.photo, E.photo_len, &r);
    rk_thttp_assert_error(&r, 415, "unsupported");
    rk_thttp_resp_free(&r);
    free(tok);
    E.port = keep;
    rk_server_stop(srv);
    /* A model file that is not a model: the server does not start. */
    cfg.model_file = E.png;
    assert_int_equal(rk_server_start(&cfg, &srv), RK_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_reader_off),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
