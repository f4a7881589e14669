/* The tally fold itself: per-job accept/drop, sums per (race, region), rows visited in first-
 * seen order with zero sums skipped, and the capacity limit after which the caller writes
 * directly (the store-level recount with folding is in test_results.c). */
#include "testutil.h"
#include "store/fold.h"

#include <stdio.h>
#include <string.h>

struct seen {
    int n;
    int64_t race[8];
    char code[8][16];
    int64_t sah[8];
};

static int visit(void *ctx, int64_t race_id, const char *code, const struct rk_tally *sum)
{
    struct seen *s = ctx;
    if (s->n >= 8) return -1;
    s->race[s->n] = race_id;
    snprintf(s->code[s->n], sizeof s->code[0], "%s", code);
    s->sah[s->n] = sum->sah;
    s->n++;
    return 0;
}

static struct rk_tally sah(int64_t n)
{
    struct rk_tally t;
    rk_tally_zero(&t);
    t.sah = n;
    t.received = 1;
    return t;
}

static void test_accept_drop(void **state)
{
    (void)state;
    struct rk_tally_fold *f = rk_fold_new();
    assert_non_null(f);
    struct rk_tally a = sah(10), b = sah(5), minus;
    rk_tally_zero(&minus);
    rk_tally_add(&minus, &a, -1);
    assert_true(rk_fold_add(f, 1, "11", &a));
    assert_true(rk_fold_add(f, 1, "", &a));
    rk_fold_accept(f);
    assert_true(rk_fold_add(f, 1, "11", &b));
    assert_true(rk_fold_add(f, 2, "11", &b)); /* same region, another race: its own row */
    rk_fold_drop(f);                          /* that job was rolled back */
    assert_true(rk_fold_add(f, 1, "12", &b));
    assert_true(rk_fold_add(f, 1, "", &minus)); /* national back to zero: skipped */
    rk_fold_accept(f);
    struct seen s = {0};
    assert_int_equal(rk_fold_each(f, visit, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.code[0], "11");
    assert_int_equal(s.sah[0], 10);
    assert_string_equal(s.code[1], "12");
    assert_int_equal(s.sah[1], 5);
    /* A writer's failure stops the walk and is returned. */
    struct seen full = {.n = 8};
    assert_int_equal(rk_fold_each(f, visit, &full), -1);
    rk_fold_clear(f);
    memset(&s, 0, sizeof s);
    assert_int_equal(rk_fold_each(f, visit, &s), 0);
    assert_int_equal(s.n, 0);
    rk_fold_free(f);
}

static void test_capacity(void **state)
{
    (void)state;
    struct rk_tally_fold *f = rk_fold_new();
    assert_non_null(f);
    struct rk_tally one = sah(1);
    char code[16];
    int accepted = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(code, sizeof code, "%010d", i);
        if (!rk_fold_add(f, 7, code, &one)) break;
        accepted++;
    }
    assert_true(accepted >= 1024 && accepted < 5000); /* bounded, and not tiny */
    /* Existing rows still take deltas when the fold is full. */
    assert_true(rk_fold_add(f, 7, "0000000000", &one));
    snprintf(code, sizeof code, "%010d", accepted);
    assert_false(rk_fold_add(f, 7, code, &one));
    assert_false(rk_fold_add(f, 7, "12345678901234567890", &one)); /* longer than any code */
    rk_fold_clear(f);
    assert_true(rk_fold_add(f, 7, code, &one)); /* room again */
    rk_fold_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_drop),
        cmocka_unit_test(test_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
