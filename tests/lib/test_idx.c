/* IDX parser: valid image and label files, and every malformed header refused with its status. */
#include "testutil.h"
#include "rekap/idx.h"
#include "rekap/status.h"

#include <stdlib.h>
#include <string.h>

static size_t header(uint8_t *b, uint8_t type, uint8_t ndim, const uint32_t *d)
{
    b[0] = 0, b[1] = 0, b[2] = type, b[3] = ndim;
    for (int i = 0; i < ndim; i++) {
        b[4 + 4 * i] = (uint8_t)(d[i] >> 24), b[5 + 4 * i] = (uint8_t)(d[i] >> 16);
        b[6 + 4 * i] = (uint8_t)(d[i] >> 8), b[7 + 4 * i] = (uint8_t)d[i];
    }
    return 4 + 4 * (size_t)ndim;
}

static void test_valid(void **state)
{
    (void)state;
    uint8_t b[16 + 3 * 4 * 5];
    const uint32_t d[3] = {3, 4, 5};
    size_t h = header(b, 8, 3, d);
    for (size_t i = 0; i < 60; i++)
        b[h + i] = (uint8_t)i;
    struct rk_idx x;
    assert_int_equal(rk_idx_parse(b, sizeof b, 3, &x), RK_OK);
    assert_int_equal(x.count, 3);
    assert_int_equal(x.rows, 4);
    assert_int_equal(x.cols, 5);
    assert_int_equal(x.item_size, 20);
    assert_int_equal(x.data[2 * 20 + 7], 47);
    assert_ptr_equal(x.data, b + 16);

    uint8_t l[8 + 4] = {0};
    const uint32_t n[1] = {4};
    h = header(l, 8, 1, n);
    l[h + 3] = 9;
    assert_int_equal(rk_idx_parse(l, sizeof l, 1, &x), RK_OK);
    assert_int_equal(x.count, 4);
    assert_int_equal(x.item_size, 1);
    assert_int_equal(x.data[3], 9);
    /* a label file is not an image file, and the reverse */
    assert_int_equal(rk_idx_parse(l, sizeof l, 3, &x), RK_EPARSE);
    assert_int_equal(x.count, 0);
    assert_int_equal(rk_idx_parse(b, sizeof b, 1, &x), RK_EPARSE);
    assert_int_equal(rk_idx_parse(b, sizeof b, 2, &x), RK_EINVAL);
}

static void test_errors(void **state)
{
    (void)state;
    uint8_t b[64] = {0};
    struct rk_idx x;
    const uint32_t d[3] = {2, 2, 2};
    size_t h = header(b, 8, 3, d);
    assert_int_equal(rk_idx_parse(b, h + 8, 3, &x), RK_OK);
    for (size_t len = 0; len < h + 8; len++) /* every truncation */
        assert_int_equal(rk_idx_parse(b, len, 3, &x), RK_EPARSE);
    assert_int_equal(rk_idx_parse(b, h + 9, 3, &x), RK_EPARSE); /* trailing byte */
    assert_int_equal(rk_idx_parse(NULL, 0, 3, &x), RK_EPARSE);
    b[0] = 1;
    assert_int_equal(rk_idx_parse(b, h + 8, 3, &x), RK_EPARSE);
    b[0] = 0;
    b[2] = 0x0d; /* float32 elements */
    assert_int_equal(rk_idx_parse(b, h + 8, 3, &x), RK_EUNSUPPORTED);

    const struct {
        uint32_t d[3];
        int rc;
    } bad[] = {{{0, 2, 2}, RK_ERANGE},
               {{2, 0, 2}, RK_ERANGE},
               {{2, 2, 1025}, RK_ERANGE},
               {{RK_IDX_MAX_COUNT + 1, 1, 1}, RK_ERANGE},
               {{0xffffffffu, 1024, 1024}, RK_ERANGE},
               /* within caps but far more data than present */
               {{RK_IDX_MAX_COUNT, 1024, 1024}, RK_EPARSE},
               {{3, 2, 2}, RK_EPARSE}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        h = header(b, 8, 3, bad[i].d);
        assert_int_equal(rk_idx_parse(b, h + 8, 3, &x), bad[i].rc);
        assert_null(x.data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_valid), cmocka_unit_test(test_errors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
