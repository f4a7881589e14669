/* Token buckets: burst, refill, independence of keys, bounded memory under a flood of keys. */
#include "testutil.h"
#include "rekap/ratelimit.h"
#include "rekap/status.h"

#include <stdio.h>
#include <string.h>

static const uint8_t secret[16] = {1, 2, 3};

static void test_burst_and_refill(void **state)
{
    (void)state;
    struct rk_ratelimit rl;
    assert_int_equal(rk_ratelimit_init(&rl, 64, 2.0, 5, secret), RK_OK);
    int64_t retry = 0;
    for (int i = 0; i < 5; i++)
        assert_true(rk_ratelimit_take(&rl, "10.0.0.1", 8, 1000, 1, &retry));
    assert_false(rk_ratelimit_take(&rl, "10.0.0.1", 8, 1000, 1, &retry));
    assert_true(retry > 0 && retry <= 501); /* 2 tokens/s: one token in 500 ms */
    assert_true(rk_ratelimit_take(&rl, "10.0.0.2", 8, 1000, 1, NULL)); /* other key unaffected */
    assert_false(rk_ratelimit_take(&rl, "10.0.0.1", 8, 1400, 1, NULL));
    assert_true(rk_ratelimit_take(&rl, "10.0.0.1", 8, 1500, 1, NULL));
    /* never above burst after a long idle */
    for (int i = 0; i < 5; i++)
        assert_true(rk_ratelimit_take(&rl, "10.0.0.1", 8, 100000, 1, NULL));
    assert_false(rk_ratelimit_take(&rl, "10.0.0.1", 8, 100000, 1, NULL));
    rk_ratelimit_free(&rl);
    assert_int_equal(rk_ratelimit_init(&rl, 0, 1, 1, secret), RK_EINVAL);
    assert_int_equal(rk_ratelimit_init(&rl, 8, 0, 1, secret), RK_EINVAL);
    assert_int_equal(rk_ratelimit_init(&rl, 8, 1, 0.5, secret), RK_EINVAL);
}

static void test_flood_keeps_busy_client_limited(void **state)
{
    (void)state;
    struct rk_ratelimit rl;
    assert_int_equal(rk_ratelimit_init(&rl, 256, 1.0, 3, secret), RK_OK);
    /* an abusive client drains its bucket */
    for (int i = 0; i < 3; i++)
        assert_true(rk_ratelimit_take(&rl, "attacker", 8, 0, 1, NULL));
    /* a flood of fresh keys (spoofed or many clients) cannot reset the drained bucket: new keys
     * evict full (idle) buckets first, and the drained one is the emptiest */
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        rk_ratelimit_take(&rl, key, strlen(key), 10, 1, NULL);
    }
    int allowed = rk_ratelimit_take(&rl, "attacker", 8, 20, 1, NULL);
    assert_false(allowed);
    rk_ratelimit_free(&rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_and_refill),
        cmocka_unit_test(test_flood_keeps_busy_client_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
