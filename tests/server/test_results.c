/* GET /api/races/{id}/results over HTTP after real pipeline writes: totals at every level, and
 * the children of a desa — its TPS — carry each TPS's own numbers (they live in the TPS state,
 * not in the per-region tally table, and the public portal's desa table needs them). */
#include "testutil.h"
#include "cli/cli.h"
#include "rekap/demo.h"
#include "rekap/status.h"
#include "server/server.h"
#include "store/auth.h"
#include "store/pipeline.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define DESA "6101012001"

/* GET path on 127.0.0.1:port; returns the parsed JSON body (asserting status 200). */
static json_t *get_json(unsigned short port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    ssize_t got;
    while (len < cap - 1 && (got = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)got;
    close(fd);
    buf[len] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    char *body = strstr(buf, "\r\n\r\n");
    assert_non_null(body);
    json_error_t err;
    json_t *j = json_loads(body + 4, 0, &err);
    free(buf);
    assert_non_null(j);
    return j;
}

static json_t *child(json_t *children, const char *code)
{
    size_t i;
    json_t *c;
    json_array_foreach(children, i, c)
        if (strcmp(json_string_value(json_object_get(c, "code")), code) == 0)
            return c;
    fail_msg("no child %s", code);
    return NULL;
}

struct tps_list {
    char code[8][RK_CODE_MAX + 1];
    uint32_t dpt_l[8], dpt_p[8];
    int n;
};

static int add_tps(void *ud, const struct rk_region *r)
{
    struct tps_list *l = ud;
    if (l->n < 8) {
        memcpy(l->code[l->n], r->code, sizeof l->code[0]);
        l->dpt_l[l->n] = r->dpt_l;
        l->dpt_p[l->n++] = r->dpt_p;
    }
    return 0;
}

static void test_desa_children_have_tps_tallies(void **state)
{
    (void)state;
    char dir[256], db[1200];
    rk_test_tmpdir(dir, sizeof dir);
    rk_test_store_uri(dir, db, sizeof db);
    char *argv[] = {"demo", "--db", db, "--province", "61", "--scale", "0.02", NULL};
    assert_int_equal(rk_cmd_demo(7, argv), 0);
    struct rk_store *s;
    assert_int_equal(rk_store_open(db, &s), RK_OK);
    struct tps_list tl = {0};
    assert_int_equal(rk_store_region_children(s, DESA, add_tps, &tl), RK_OK);
    assert_true(tl.n >= 3);
    struct rk_race race;
    assert_int_equal(rk_store_race_get(s, 1, &race), RK_OK);
    assert_string_equal(race.region_code, "61");

    /* Two of the desa's TPS submit (the second one flagged by a very high turnout); the rest
     * stay empty. */
    int64_t sah[2] = {0, 0}, now = 1732700000000;
    for (int i = 0; i < 2; i++) {
        struct rk_user u;
        memset(&u, 0, sizeof u);
        snprintf(u.p.username, sizeof u.p.username, "kpps-%s", tl.code[i]);
        u.p.role = RK_ROLE_KPPS;
        memcpy(u.p.scope, tl.code[i], sizeof u.p.scope);
        char pw[RK_GENPW_LEN + 1];
        assert_int_equal(rk_auth_user_create(s, "cli@test", &u, NULL, 0, now, pw), RK_OK);
        uint8_t pk[32], sk[64];
        crypto_sign_keypair(pk, sk);
        struct rk_device_key key;
        assert_int_equal(rk_auth_device_register(s, NULL, u.p.user_id, pk, now, &key), RK_OK);
        struct rk_chasil doc;
        assert_int_equal(rk_demo_chasil(7, "pilkada2024", tl.code[i], 1, 2, false, tl.dpt_l[i],
                                        tl.dpt_p[i], &doc),
                         RK_OK);
        sah[i] = doc.v[RK_F_SUARA_SAH];
        struct rk_submission sub;
        assert_int_equal(rk_submission_init(&sub, &doc, NULL, 0, NULL), RK_OK);
        assert_int_equal(rk_submission_sign(&sub, sk, key.key_id), RK_OK);
        struct rk_receipt r;
        struct rk_outcome o;
        memset(&o, 0, sizeof o);
        assert_int_equal(rk_pipeline_submit(s, &u.p, &sub, ++now, &r, &o), RK_OK);
    }
    rk_store_close(s);

    struct rk_server_config cfg = {.db_uri = db, .bind_addr = "127.0.0.1", .threads = 2};
    struct rk_server *srv;
    assert_int_equal(rk_server_start(&cfg, &srv), RK_OK);
    unsigned short port = rk_server_port(srv);

    json_t *d = get_json(port, "/api/races/1/results?region=" DESA);
    json_t *kids = json_object_get(d, "children");
    assert_int_equal((int)json_array_size(kids), tl.n);
    for (int i = 0; i < tl.n; i++) {
        json_t *t = json_object_get(child(kids, tl.code[i]), "tally");
        json_t *p = json_object_get(t, "progress");
        assert_int_equal(json_integer_value(json_object_get(p, "tps_expected")), 1);
        assert_int_equal(json_integer_value(json_object_get(p, "tps_received")), i < 2);
        assert_int_equal(json_integer_value(json_object_get(t, "sah")), i < 2 ? sah[i] : 0);
        assert_int_equal((int)json_array_size(json_object_get(t, "votes")), 2);
    }
    /* The desa's own tally is the sum of its TPS. */
    json_t *t = json_object_get(d, "tally");
    assert_int_equal(json_integer_value(json_object_get(t, "sah")), sah[0] + sah[1]);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(t, "progress"), "tps_received")), 2);
    json_decref(d);

    /* One level up the desa is a child with the same numbers. */
    d = get_json(port, "/api/races/1/results?region=610101");
    t = json_object_get(child(json_object_get(d, "children"), DESA), "tally");
    assert_int_equal(json_integer_value(json_object_get(t, "sah")), sah[0] + sah[1]);
    json_decref(d);

    /* A TPS page of the result has no children. */
    char path[128];
    snprintf(path, sizeof path, "/api/races/1/results?region=%s", tl.code[0]);
    d = get_json(port, path);
    assert_int_equal((int)json_array_size(json_object_get(d, "children")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "tally"), "sah")), sah[0]);
    json_decref(d);

    rk_server_stop(srv);
    rk_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desa_children_have_tps_tallies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
