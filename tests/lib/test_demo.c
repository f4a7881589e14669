/* Demo generator: reproducible, realistic sizes, structurally valid output. */
#include "testutil.h"
#include "rekap/demo.h"
#include "rekap/status.h"

#include <string.h>

struct tally {
    int64_t level[RK_LEVEL_COUNT];
    int64_t voters, races, single, max_tps_voters, bad;
    uint64_t hash;
    char last_code[RK_CODE_MAX + 1];
};

static void mix(struct tally *t, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        t->hash = (t->hash ^ b[i]) * 1099511628211ull;
}

static int on_election(void *ud, struct rk_election *e)
{
    (void)ud;
    e->id = 1;
    return RK_OK;
}

static int on_region(void *ud, const struct rk_region *r)
{
    struct tally *t = ud;
    char parent[RK_CODE_MAX + 1];
    enum rk_level level;
    t->level[r->level]++;
    /* every code valid, of its level, and its parent already emitted */
    if (rk_code_parse(r->code, strlen(r->code), parent, &level) != RK_OK || level != r->level)
        t->bad++;
    rk_code_parent(r->code, parent);
    if (r->level > RK_LEVEL_PROVINCE && strncmp(parent, t->last_code, strlen(parent)) != 0)
        t->bad++;
    memcpy(t->last_code, r->code, sizeof t->last_code);
    int64_t v = r->dpt_l + r->dpt_p;
    t->voters += v;
    if (r->level == RK_LEVEL_TPS && (v > t->max_tps_voters))
        t->max_tps_voters = v;
    if (r->level != RK_LEVEL_TPS && v)
        t->bad++;
    mix(t, r, sizeof *r);
    return RK_OK;
}

static int on_race(void *ud, struct rk_race *r, struct rk_candidate *c, int n)
{
    struct tally *t = ud;
    const char *why;
    if (rk_race_check_candidates(c, n, &why) != RK_OK)
        t->bad++;
    t->races++;
    t->single += c[n - 1].kolom_kosong;
    mix(t, r->name, strlen(r->name));
    return RK_OK;
}

static void run(struct tally *t, const struct rk_demo_opts *o)
{
    memset(t, 0, sizeof *t);
    struct rk_demo_sink sink = {.ud = t, .election = on_election, .region = on_region,
                                .race = on_race};
    assert_int_equal(rk_demo_generate(o, &sink), RK_OK);
    assert_int_equal(t->bad, 0);
}

static void test_default_province(void **state)
{
    (void)state;
    struct tally a, b;
    struct rk_demo_opts o = {.seed = 7};
    run(&a, &o);
    run(&b, &o);
    assert_int_equal(a.hash, b.hash); /* reproducible */
    o.seed = 8;
    run(&b, &o);
    assert_int_not_equal(a.hash, b.hash);
    /* Kalimantan Barat: 14 kab/kota, 174 kecamatan, ~2,145 desa, ~5.2 TPS per desa */
    assert_int_equal(a.level[RK_LEVEL_PROVINCE], 1);
    assert_int_equal(a.level[RK_LEVEL_KABKOTA], 14);
    assert_int_equal(a.level[RK_LEVEL_KECAMATAN], 174);
    assert_in_range(a.level[RK_LEVEL_DESA], 2100, 2200);
    double per_desa = (double)a.level[RK_LEVEL_TPS] / (double)a.level[RK_LEVEL_DESA];
    assert_true(per_desa > 4.6 && per_desa < 5.8);
    assert_true(a.max_tps_voters <= 600);
    double per_tps = (double)a.voters / (double)a.level[RK_LEVEL_TPS];
    assert_true(per_tps > 400 && per_tps < 520);
    assert_int_equal(a.races, 15); /* governor + 14 kab/kota */
}

static void test_province_is_slice_of_national(void **state)
{
    (void)state;
    const char *codes[RK_DEMO_PROVINCES];
    int n = rk_demo_province_codes(codes);
    assert_int_equal(n, 38);
    struct tally one, many;
    const char *p61[] = {"61"};
    struct rk_demo_opts o1 = {.seed = 3, .provinces = p61, .n_provinces = 1, .scale = 0.1};
    run(&one, &o1);
    /* provinces 61 and 62 together: 61 contributes exactly what it does alone */
    const char *p2[] = {"62", "61"};
    struct rk_demo_opts o2 = {.seed = 3, .provinces = p2, .n_provinces = 2, .scale = 0.1};
    run(&many, &o2);
    struct tally only62;
    const char *p62[] = {"62"};
    struct rk_demo_opts o3 = {.seed = 3, .provinces = p62, .n_provinces = 1, .scale = 0.1};
    run(&only62, &o3);
    for (int l = 1; l < RK_LEVEL_COUNT; l++)
        assert_int_equal(many.level[l], one.level[l] + only62.level[l]);
}

static void test_rules_and_errors(void **state)
{
    (void)state;
    struct tally t;
    /* DIY (34) has no governor race; DKI (31) has no kab/kota races */
    const char *p[] = {"34", "31"};
    struct rk_demo_opts o = {.seed = 1, .provinces = p, .n_provinces = 2, .scale = 0.2};
    run(&t, &o);
    assert_int_equal(t.races, 5 /* DIY kab/kota */ + 1 /* DKI governor */);
    const char *bad[] = {"00"};
    struct rk_demo_opts ob = {.seed = 1, .provinces = bad, .n_provinces = 1};
    struct rk_demo_sink sink = {.ud = &t, .election = on_election, .region = on_region,
                                .race = on_race};
    assert_int_equal(rk_demo_generate(&ob, &sink), RK_EINVAL);
    const char *dup[] = {"61", "61"};
    struct rk_demo_opts od = {.seed = 1, .provinces = dup, .n_provinces = 2};
    assert_int_equal(rk_demo_generate(&od, &sink), RK_EINVAL);
    struct rk_demo_opts os = {.seed = 1, .scale = 2.0};
    assert_int_equal(rk_demo_generate(&os, &sink), RK_EINVAL);
}

static void test_national(void **state)
{
    (void)state;
    struct tally t;
    const char *codes[RK_DEMO_PROVINCES];
    rk_demo_province_codes(codes);
    struct rk_demo_opts o = {.seed = 2024, .provinces = codes, .n_provinces = 38};
    run(&t, &o);
    /* Pilkada 2024: 545 races (37 governor + 508 kab/kota), 435,296 TPS, 514 kab/kota */
    assert_int_equal(t.races, 545);
    assert_int_equal(t.level[RK_LEVEL_KABKOTA], 514);
    assert_int_equal(t.level[RK_LEVEL_KECAMATAN], 7285);
    assert_in_range(t.level[RK_LEVEL_TPS], 400000, 470000);
    assert_in_range(t.single, 20, 60); /* 37 in 2024 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_province),
        cmocka_unit_test(test_province_is_slice_of_national),
        cmocka_unit_test(test_rules_and_errors),
        cmocka_unit_test(test_national),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
