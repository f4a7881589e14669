/* GET /api/races/{id}/results over HTTP after real pipeline writes: totals at every level, and
 * the children of a desa — its TPS — carry each TPS's own numbers (they live in the TPS state,
 * not in the per-region tally table, and the public portal's desa table needs them). */
#include "testutil.h"
#include "cli/cli.h"
#include "rekap/demo.h"
#include "rekap/status.h"
#include "server/http.h"
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

/* ---- the upload receipt written as text ---- */

/* The tree the receipt used to be built as (server/results.c receipt_json), dumped the way
 * replies are: the reference rk_receipt_text must match byte for byte. */
static char *receipt_reference(const struct rk_receipt *r)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, r->doc_hash, 32);
    json_t *j = json_pack("{s:s,s:I,s:s,s:i,s:I,s:s,s:I,s:b,s:s}", "tps", r->tps, "race_id",
                          (json_int_t)r->race_id, "race_ref", r->race_ref, "version", r->version,
                          "version_id", (json_int_t)r->version_id, "doc_sha256", hex, "log_index",
                          (json_int_t)r->log_index, "duplicate", r->duplicate, "flags", r->flags);
    assert_non_null(j);
    char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    assert_non_null(out);
    return out;
}

static void receipt_same(const struct rk_receipt *r)
{
    char text[RK_RECEIPT_TEXT_MAX];
    size_t len = rk_receipt_text(r, text);
    char *want = receipt_reference(r);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    free(want);
}

static uint64_t next(uint64_t *x) /* splitmix64 */
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill(char *dst, size_t cap, uint64_t *seed)
{
    size_t n = (size_t)(next(seed) % cap);
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)(1 + next(seed) % 127); /* every ASCII byte but NUL */
    dst[n] = '\0';
}

static void test_receipt_text(void **state)
{
    (void)state;
    struct rk_receipt r;
    memset(&r, 0, sizeof r);
    snprintf(r.tps, sizeof r.tps, "3204051001001");
    snprintf(r.race_ref, sizeof r.race_ref, "pilkada-2024.gub.32");
    r.race_id = 7;
    r.version = 1;
    r.version_id = 123456;
    r.log_index = 98765;
    for (int i = 0; i < 32; i++)
        r.doc_hash[i] = (uint8_t)(i * 37);
    receipt_same(&r); /* no flags */
    snprintf(r.flags, sizeof r.flags, "S1_TURNOUT_100,S2_ONE_PAIR_ALL");
    r.duplicate = true;
    receipt_same(&r);
    /* what the escaper must get right, and the extremes of every number */
    snprintf(r.flags, sizeof r.flags, "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f end");
    r.race_id = INT64_MAX;
    r.version_id = INT64_MIN;
    r.log_index = -1;
    r.version = INT32_MIN;
    receipt_same(&r);
    memset(r.flags, '\n', RK_FLAGS_MAX); /* the longest escaped flags fit the bound */
    r.flags[RK_FLAGS_MAX] = '\0';
    memset(r.race_ref, '\x02', RK_LOGENTRY_RACE_MAX);
    r.race_ref[RK_LOGENTRY_RACE_MAX] = '\0';
    memset(r.tps, '"', RK_CODE_MAX);
    r.tps[RK_CODE_MAX] = '\0';
    receipt_same(&r);
    uint64_t seed = 20261206;
    for (int i = 0; i < 3000; i++) {
        fill(r.tps, sizeof r.tps, &seed);
        fill(r.race_ref, sizeof r.race_ref, &seed);
        fill(r.flags, sizeof r.flags, &seed);
        r.race_id = (int64_t)next(&seed);
        r.version_id = (int64_t)next(&seed);
        r.log_index = (int64_t)next(&seed);
        r.version = (int)next(&seed);
        r.duplicate = next(&seed) & 1;
        randombytes_buf(r.doc_hash, 32);
        receipt_same(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_desa_children_have_tps_tallies),
        cmocka_unit_test(test_receipt_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
