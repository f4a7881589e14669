/* rk_qr_svg: the SVG the KPPS receipt shows must scan back to exactly the text it was made from.
 * The test rasterises the SVG's path itself (it only ever holds "M<x> <y>h<n>v1h-<n>z" runs)
 * and decodes the bitmap with zbar, the same decoder the printed-form tests use. */
#include "testutil.h"

#include "rekap/status.h"
#include "server/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#define PX 4 /* pixels per module */

/* Rasterises svg into a fresh 8-bit gray image; returns it and its side in pixels. */
static unsigned char *raster(const char *svg, int *side)
{
    int w = 0;
    const char *vb = strstr(svg, "viewBox=\"0 0 ");
    assert_non_null(vb);
    assert_int_equal(sscanf(vb, "viewBox=\"0 0 %d", &w), 1);
    assert_true(w > 8 && w < 200);
    *side = w * PX;
    unsigned char *px = malloc((size_t)*side * (size_t)*side);
    assert_non_null(px);
    memset(px, 255, (size_t)*side * (size_t)*side);
    const char *d = strstr(svg, " d=\"");
    assert_non_null(d);
    d += 4;
    int runs = 0;
    while (*d == 'M') {
        int x, y, n, n2, used = 0;
        assert_int_equal(sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &n2, &used), 4);
        assert_int_equal(n, n2);
        assert_true(x >= 4 && y >= 4 && x + n <= w - 4 && y < w - 4); /* quiet zone kept */
        for (int yy = y * PX; yy < (y + 1) * PX; yy++)
            memset(px + (size_t)yy * (size_t)*side + (size_t)x * PX, 0, (size_t)n * PX);
        d += used;
        runs++;
    }
    assert_true(runs > 20);
    assert_int_equal(strncmp(d, "\"/></svg>", 9), 0);
    return px;
}

static void decode(const char *text)
{
    char *svg = NULL;
    size_t n = 0;
    assert_int_equal(rk_qr_svg(text, strlen(text), &svg, &n), RK_OK);
    assert_int_equal(strlen(svg), n);
    int side = 0;
    unsigned char *px = raster(svg, &side);
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_t *zi = zbar_image_create();
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)side, (unsigned)side);
    zbar_image_set_data(zi, px, (unsigned long)side * (unsigned long)side, NULL);
    assert_int_equal(zbar_scan_image(sc, zi), 1);
    assert_string_equal(zbar_symbol_get_data(zbar_image_first_symbol(zi)), text);
    zbar_image_destroy(zi);
    zbar_image_scanner_destroy(sc);
    free(px);
    free(svg);
}

static void test_qr_roundtrip(void **state)
{
    (void)state;
    decode("rekap");
    /* What a KPPS receipt holds: the public TPS page, document hash and device signature. */
    decode("https://rekap.example/#/6101012001001/1?v=1&doc="
           "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08&sig="
           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

static void test_qr_limits(void **state)
{
    (void)state;
    char *svg = (char *)1;
    size_t n = 7;
    assert_int_equal(rk_qr_svg("", 0, &svg, &n), RK_EINVAL);
    assert_null(svg);
    assert_int_equal(n, 0);
    assert_int_equal(rk_qr_svg("a\0b", 3, &svg, &n), RK_EINVAL);
    char big[RK_QR_TEXT_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(rk_qr_svg(big, strlen(big), &svg, &n), RK_ETOOBIG);
    assert_null(svg);
    big[RK_QR_TEXT_MAX] = '\0'; /* exactly at the cap: still a (large) code */
    assert_int_equal(rk_qr_svg(big, strlen(big), &svg, &n), RK_OK);
    assert_non_null(svg);
    free(svg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_roundtrip),
        cmocka_unit_test(test_qr_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
