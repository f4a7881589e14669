/* Image decoding of untrusted photos (PNG of every colour type, gray and colour JPEG, EXIF
 * orientation, size caps checked from the header, truncation at every length, random
 * corruption) and the pixel operations. Test files are built here with libpng/libjpeg so each
 * case says exactly what it contains. */
#include "testutil.h"
#include "rekap/exif.h"
#include "rekap/image.h"
#include "rekap/photo_sim.h"
#include "rekap/status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <jpeglib.h>
#include <png.h>

/* ---- building test files ---- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void png_put(png_structp png, png_bytep data, size_t n)
{
    buf_put(png_get_io_ptr(png), data, n);
}

static void png_nop(png_structp png)
{
    (void)png;
}

/* A w x h PNG of the given colour type and depth; sample(x, y, channel) gives each sample
 * (0..2^depth-1). Palette images get a 4-entry palette of grays 0, 85, 170, 255. */
static struct buf make_png(int w, int h, int ctype, int depth, int interlace,
                           unsigned (*sample)(int x, int y, int c))
{
    struct buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng write failed");
    png_set_write_fn(png, &b, png_put, png_nop);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype, interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4];
        for (int i = 0; i < 4; i++)
            pal[i].red = pal[i].green = pal[i].blue = (png_byte)(85 * i);
        png_set_PLTE(png, info, pal, 4);
    }
    png_write_info(png, info);
    if (depth < 8)
        png_set_packing(png);
    if (depth == 16)
        png_set_swap(png); /* rows below are little-endian uint16 */
    int ch = ctype == PNG_COLOR_TYPE_RGB ? 3 : ctype == PNG_COLOR_TYPE_RGBA ? 4
           : ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
    int bps = depth == 16 ? 2 : 1;
    png_bytep rows = calloc((size_t)w * ch * bps * h, 1);
    png_bytepp rp = calloc((size_t)h, sizeof *rp);
    for (int y = 0; y < h; y++) {
        rp[y] = rows + (size_t)y * w * ch * bps;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++) {
                unsigned v = sample(x, y, c);
                if (bps == 2) {
                    rp[y][(x * ch + c) * 2] = (png_byte)(v & 0xff);
                    rp[y][(x * ch + c) * 2 + 1] = (png_byte)(v >> 8);
                } else {
                    rp[y][x * ch + c] = (png_byte)v;
                }
            }
    }
    png_write_image(png, rp);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    free(rp);
    return b;
}

static unsigned gray8(int x, int y, int c)
{
    (void)c;
    return (unsigned)(x * 7 + y * 13) & 0xff;
}

/* Colour PNG whose three channels are equal: must decode to that gray. */
static unsigned rgb_equal(int x, int y, int c)
{
    (void)c;
    return gray8(x, y, 0);
}

/* Gray + alpha: gray 0 everywhere; alpha 0 in the left half (paper shows through). */
static unsigned ga(int x, int y, int c)
{
    (void)y;
    return c == 0 ? 0 : x < 8 ? 0 : 255;
}

static unsigned gray16(int x, int y, int c)
{
    return gray8(x, y, c) * 257;
}

static unsigned gray1(int x, int y, int c)
{
    (void)c;
    return (unsigned)(x + y) & 1;
}

static unsigned pal2(int x, int y, int c)
{
    (void)c;
    (void)y;
    return (unsigned)x & 3;
}

/* A colour (or CMYK) JPEG encoded with libjpeg: four flat colour blocks repeating every
 * 64 px, optionally progressive. */
static struct buf make_color_jpeg(int w, int h, bool cmyk, bool progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &out, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = cmyk ? 4 : 3;
    c.in_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * 4);
    while (c.next_scanline < c.image_height) {
        for (int x = 0; x < w; x++) {
            /* Flat colour areas in 16 px blocks (so chroma subsampling does not smear). */
            int blk = (x / 16) % 4;
            unsigned char r = (unsigned char)(blk == 0 ? 200 : blk == 1 ? 30 : blk == 2 ? 90 : 250);
            unsigned char g = (unsigned char)(blk == 0 ? 40 : blk == 1 ? 160 : blk == 2 ? 90 : 250);
            unsigned char b = (unsigned char)(blk == 0 ? 40 : blk == 1 ? 60 : blk == 2 ? 220 : 250);
            unsigned char px[4] = {r, g, b, 0};
            memcpy(row + (size_t)x * c.input_components, px, (size_t)c.input_components);
        }
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    return (struct buf){out, len, len};
}

/* Inserts an APP1 segment with payload after the SOI of jpeg. */
static struct buf with_app1(const uint8_t *jpeg, size_t len, const uint8_t *payload, size_t plen)
{
    struct buf b = {0};
    buf_put(&b, jpeg, 2);
    uint8_t hdr[4] = {0xff, 0xe1, (uint8_t)((plen + 2) >> 8), (uint8_t)((plen + 2) & 0xff)};
    buf_put(&b, hdr, 4);
    buf_put(&b, payload, plen);
    buf_put(&b, jpeg + 2, len - 2);
    return b;
}

/* "Exif\0\0" + TIFF with IFD0 holding a dummy tag and the orientation tag. */
static size_t make_exif(uint8_t *p, bool big, int orientation)
{
    uint8_t t[64];
    size_t n = 0;
#define P16(v) (big ? (t[n++] = (uint8_t)((v) >> 8), t[n++] = (uint8_t)(v)) \
                    : (t[n++] = (uint8_t)(v), t[n++] = (uint8_t)((v) >> 8)))
#define P32(v) (big ? (P16((v) >> 16), P16((v) & 0xffff)) : (P16((v) & 0xffff), P16((v) >> 16)))
    memcpy(t, big ? "MM\0*" : "II*\0", 4);
    n = 4;
    P32(8u);
    P16(2u);
    P16(0x010fu), P16(2u), P32(4u), P32(0x41424300u); /* Make, ASCII "ABC" inline */
    P16(0x0112u), P16(3u), P32(1u), P16((unsigned)orientation), P16(0u);
    P32(0u);
#undef P16
#undef P32
    memcpy(p, "Exif\0\0", 6);
    memcpy(p + 6, t, n);
    return n + 6;
}

/* A stored image with a black 8x8 block at stored (0,0) and a gray one at stored top-right. */
static void corner_image(struct rk_image *img)
{
    assert_int_equal(rk_image_init(img, 64, 32, 255), RK_OK);
    rk_sim_fill_rect(img, -0.5, -0.5, 8, 8, 0);
    rk_sim_fill_rect(img, 55.5, -0.5, 8, 8, 128);
}

/* Mean of the 6x6 block at the image's corner (0 TL, 1 TR, 2 BR, 3 BL). */
static double corner_mean(const struct rk_image *img, int corner)
{
    int x0 = corner == 1 || corner == 2 ? img->width - 7 : 1;
    int y0 = corner >= 2 ? img->height - 7 : 1;
    double s = 0;
    for (int y = y0; y < y0 + 6; y++)
        for (int x = x0; x < x0 + 6; x++)
            s += rk_image_at(img, x, y);
    return s / 36;
}

/* ---- tests ---- */

static void test_png_roundtrip(void **state)
{
    (void)state;
    struct rk_image img, back, half, ref;
    assert_int_equal(rk_image_init(&img, 37, 23, 0), RK_OK);
    for (int y = 0; y < 23; y++)
        for (int x = 0; x < 37; x++)
            img.px[y * 37 + x] = (uint8_t)gray8(x, y, 0);
    uint8_t *png;
    size_t len;
    assert_int_equal(rk_image_encode_png(&img, &png, &len), RK_OK);
    assert_int_equal(rk_image_detect(png, len), RK_IMAGE_PNG);
    assert_int_equal(rk_image_decode(png, len, 1, &back), RK_OK);
    assert_int_equal(back.width, 37);
    assert_int_equal(back.height, 23);
    assert_memory_equal(back.px, img.px, 37 * 23);
    /* Reduced decode of a PNG is the box downscale of the full one. */
    assert_int_equal(rk_image_decode(png, len, 2, &half), RK_OK);
    assert_int_equal(rk_image_downscale(&img, 2, &ref), RK_OK);
    assert_int_equal(half.width, 19);
    assert_int_equal(half.height, 12);
    assert_memory_equal(half.px, ref.px, 19 * 12);
    free(png);
    rk_image_free(&img);
    rk_image_free(&back);
    rk_image_free(&half);
    rk_image_free(&ref);
}

static void check_png(struct buf b, int w, int h, uint8_t (*expect)(int x, int y))
{
    struct rk_image img;
    assert_int_equal(rk_image_decode(b.p, b.len, 1, &img), RK_OK);
    assert_int_equal(img.width, w);
    assert_int_equal(img.height, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (abs((int)img.px[y * w + x] - (int)expect(x, y)) > 1)
                fail_msg("pixel (%d,%d) = %d, want %d", x, y, img.px[y * w + x], expect(x, y));
    rk_image_free(&img);
    free(b.p);
}

static uint8_t exp_gray8(int x, int y)
{
    return (uint8_t)gray8(x, y, 0);
}

static uint8_t exp_ga(int x, int y)
{
    (void)y;
    return x < 8 ? 255 : 0;
}

static uint8_t exp_gray1(int x, int y)
{
    return (x + y) & 1 ? 255 : 0;
}

static uint8_t exp_pal2(int x, int y)
{
    (void)y;
    return (uint8_t)(85 * (x & 3));
}

static void test_png_color_types(void **state)
{
    (void)state;
    check_png(make_png(16, 9, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, gray8), 16, 9, exp_gray8);
    check_png(make_png(16, 9, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_ADAM7, gray8), 16, 9, exp_gray8);
    check_png(make_png(16, 9, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, rgb_equal), 16, 9,
              exp_gray8);
    check_png(make_png(16, 9, PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE, gray16), 16, 9,
              exp_gray8);
    check_png(make_png(16, 9, PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, ga), 16, 9, exp_ga);
    check_png(make_png(16, 9, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, gray1), 16, 9, exp_gray1);
    check_png(make_png(16, 9, PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE, pal2), 16, 9, exp_pal2);
}

static void test_jpeg(void **state)
{
    (void)state;
    struct rk_image img, back;
    assert_int_equal(rk_image_init(&img, 64, 48, 0), RK_OK);
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 64; x++)
            img.px[y * 64 + x] = (uint8_t)(40 + 2 * x + y);
    uint8_t *jpg;
    size_t len;
    assert_int_equal(rk_image_encode_jpeg(&img, 95, &jpg, &len), RK_OK);
    assert_int_equal(rk_image_detect(jpg, len), RK_IMAGE_JPEG);
    assert_int_equal(rk_image_decode(jpg, len, 1, &back), RK_OK);
    assert_int_equal(back.width, 64);
    assert_int_equal(back.height, 48);
    double err = 0;
    for (int i = 0; i < 64 * 48; i++)
        err += fabs((double)back.px[i] - img.px[i]);
    assert_true(err / (64 * 48) < 2.0);
    rk_image_free(&back);
    /* Reduced decodes in the DCT: ceil(size / denom), same mean brightness. */
    for (int d = 2; d <= 8; d *= 2) {
        assert_int_equal(rk_image_decode(jpg, len, d, &back), RK_OK);
        assert_int_equal(back.width, (64 + d - 1) / d);
        assert_int_equal(back.height, (48 + d - 1) / d);
        assert_true(fabs(rk_image_sample(&back, (back.width - 1) / 2.0, (back.height - 1) / 2.0) -
                         rk_image_sample(&img, 31.5, 23.5)) < 6);
        rk_image_free(&back);
    }
    assert_int_equal(rk_image_decode(jpg, len, 3, &back), RK_EINVAL);
    free(jpg);
    rk_image_free(&img);

    /* Colour JPEG (what phones write): gray is the luma, block by block. */
    struct buf c = make_color_jpeg(64, 16, false, false);
    assert_int_equal(rk_image_decode(c.p, c.len, 1, &back), RK_OK);
    static const double luma[4] = {0.299 * 200 + 0.587 * 40 + 0.114 * 40,
                                   0.299 * 30 + 0.587 * 160 + 0.114 * 60,
                                   0.299 * 90 + 0.587 * 90 + 0.114 * 220, 250};
    for (int blk = 0; blk < 4; blk++)
        assert_true(fabs(rk_image_at(&back, blk * 16 + 8, 8) - luma[blk]) < 4);
    rk_image_free(&back);
    free(c.p);
    /* CMYK is refused as unsupported, not misread. */
    c = make_color_jpeg(16, 16, true, false);
    assert_int_equal(rk_image_decode(c.p, c.len, 1, &back), RK_EUNSUPPORTED);
    assert_null(back.px);
    free(c.p);
}

static void test_exif_orientation(void **state)
{
    (void)state;
    struct rk_image stored;
    corner_image(&stored);
    uint8_t *jpg;
    size_t len;
    assert_int_equal(rk_image_encode_jpeg(&stored, 95, &jpg, &len), RK_OK);
    /* Where stored corner A (black, row 0 col 0) and B (gray, row 0 last col) must appear,
     * from the EXIF definitions: 3 = 0th row at the bottom, 0th column on the right; 6 = 0th
     * row on the right, 0th column at the top; 8 = 0th row on the left, 0th column at the
     * bottom. Corners: 0 TL, 1 TR, 2 BR, 3 BL. */
    static const struct {
        int o, w, h, a, b;
    } cases[] = {{1, 64, 32, 0, 1}, {3, 64, 32, 2, 3}, {6, 32, 64, 1, 2}, {8, 32, 64, 3, 0}};
    for (int big = 0; big < 2; big++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            uint8_t exif[64];
            size_t elen = make_exif(exif, big, cases[i].o);
            int o;
            assert_int_equal(rk_exif_orientation(exif, elen, &o), RK_OK);
            assert_int_equal(o, cases[i].o);
            struct buf b = with_app1(jpg, len, exif, elen);
            struct rk_image img;
            assert_int_equal(rk_image_decode(b.p, b.len, 1, &img), RK_OK);
            assert_int_equal(img.width, cases[i].w);
            assert_int_equal(img.height, cases[i].h);
            for (int k = 0; k < 4; k++) {
                double m = corner_mean(&img, k), want = k == cases[i].a ? 0 : k == cases[i].b ? 128 : 255;
                if (fabs(m - want) > 12)
                    fail_msg("orientation %d: corner %d mean %.0f, want %.0f", cases[i].o, k, m, want);
            }
            rk_image_free(&img);
            /* Reduced decode turns the same way. */
            assert_int_equal(rk_image_decode(b.p, b.len, 2, &img), RK_OK);
            assert_int_equal(img.width, cases[i].w / 2);
            rk_image_free(&img);
            free(b.p);
        }
    /* A broken Exif block does not reject a good photo: it reads as upright. */
    uint8_t exif[64];
    size_t elen = make_exif(exif, false, 6);
    exif[6 + 4] = 200; /* IFD0 offset past the end */
    struct buf b = with_app1(jpg, len, exif, elen);
    struct rk_image img;
    assert_int_equal(rk_image_decode(b.p, b.len, 1, &img), RK_OK);
    assert_int_equal(img.width, 64);
    rk_image_free(&img);
    free(b.p);
    /* XMP in APP1 is skipped: a later Exif block still counts. */
    static const uint8_t xmp[] = "http://ns.adobe.com/xap/1.0/\0<x/>";
    elen = make_exif(exif, true, 8);
    struct buf b1 = with_app1(jpg, len, exif, elen);
    struct buf b2 = with_app1(b1.p, b1.len, xmp, sizeof xmp);
    assert_int_equal(rk_image_decode(b2.p, b2.len, 1, &img), RK_OK);
    assert_int_equal(img.width, 32);
    rk_image_free(&img);
    free(b1.p);
    free(b2.p);
    free(jpg);
    rk_image_free(&stored);
}

static void test_exif_parser(void **state)
{
    (void)state;
    uint8_t e[80];
    int o;
    size_t n = make_exif(e, false, 3);
    /* Every truncation of a valid block is refused, never read past its end. */
    for (size_t k = 0; k < n; k++) {
        int rc = rk_exif_orientation(e, k, &o);
        assert_true(rc == RK_EPARSE || rc == RK_ENOTFOUND);
    }
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_OK);
    assert_int_equal(o, 3);
    /* No orientation tag: upright. */
    n = make_exif(e, true, 3);
    e[6 + 10 + 12] = 0x01, e[6 + 10 + 13] = 0x13; /* retag 0x0112 as 0x0113 */
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_OK);
    assert_int_equal(o, 1);
    /* Bad values, types, counts, offsets and byte orders. */
    n = make_exif(e, false, 9);
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    n = make_exif(e, false, 0);
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    n = make_exif(e, false, 6);
    e[6 + 10 + 12 + 2] = 4; /* LONG */
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    n = make_exif(e, false, 6);
    e[6 + 10 + 12 + 4] = 2; /* count 2 */
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    n = make_exif(e, false, 6);
    e[6 + 4] = 4; /* IFD0 inside the header */
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    n = make_exif(e, false, 6);
    e[6 + 4 + 3] = 0xff; /* IFD0 offset near 4 GiB */
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    n = make_exif(e, false, 6);
    e[6 + 8] = 3; /* three entries announced, two present */
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    n = make_exif(e, false, 6);
    e[6 + 8] = 0xff, e[6 + 9] = 0xff;
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_ETOOBIG);
    n = make_exif(e, false, 6);
    e[6] = 'X';
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    /* Two orientation tags are ambiguous. */
    n = make_exif(e, false, 6);
    memcpy(e + 6 + 10, e + 6 + 22, 12);
    assert_int_equal(rk_exif_orientation(e, n, &o), RK_EPARSE);
    assert_int_equal(rk_exif_orientation((const uint8_t *)"http://ns.adobe", 15, &o), RK_ENOTFOUND);
    assert_int_equal(rk_exif_orientation(e, RK_EXIF_MAX + 1, &o), RK_ETOOBIG);
    assert_int_equal(rk_exif_orientation(NULL, 4, &o), RK_EINVAL);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A PNG signature and an IHDR announcing w x h gray pixels (valid CRC), nothing else. */
static size_t png_header(uint8_t *p, uint32_t w, uint32_t h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(p, sig, 8);
    put_be32(p + 8, 13);
    memcpy(p + 12, "IHDR", 4);
    put_be32(p + 16, w);
    put_be32(p + 20, h);
    p[24] = 8, p[25] = 0, p[26] = 0, p[27] = 0, p[28] = 0;
    put_be32(p + 29, (uint32_t)crc32(0, p + 12, 17));
    return 33;
}

static void test_too_big(void **state)
{
    (void)state;
    struct rk_image img;
    uint8_t hdr[64];
    /* 5000 x 5000 = 25 MP and a 20000 px side: refused from the header alone (the file has no
     * pixel data, so any attempt to decode would have failed as a parse error instead). */
    size_t n = png_header(hdr, 5000, 5000);
    assert_int_equal(rk_image_decode(hdr, n, 1, &img), RK_ETOOBIG);
    n = png_header(hdr, 20000, 10);
    assert_int_equal(rk_image_decode(hdr, n, 1, &img), RK_ETOOBIG);
    n = png_header(hdr, 4000, 4000); /* 16 MP: allowed, then the missing data fails */
    assert_int_equal(rk_image_decode(hdr, n, 1, &img), RK_EPARSE);
    /* JPEG: patch the SOF of a real file to 5000 x 5000, then cut it after the header. */
    struct rk_image small;
    assert_int_equal(rk_image_init(&small, 16, 16, 128), RK_OK);
    uint8_t *jpg;
    size_t len;
    assert_int_equal(rk_image_encode_jpeg(&small, 90, &jpg, &len), RK_OK);
    size_t sof = 0;
    for (size_t i = 2; i + 9 < len; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
            sof = i;
            break;
        }
    assert_true(sof > 0);
    jpg[sof + 5] = 5000 >> 8, jpg[sof + 6] = 5000 & 0xff;
    jpg[sof + 7] = 5000 >> 8, jpg[sof + 8] = 5000 & 0xff;
    assert_int_equal(rk_image_decode(jpg, len, 1, &img), RK_ETOOBIG);
    assert_null(img.px);
    free(jpg);
    rk_image_free(&small);
    /* Input over 32 MiB is refused before looking at it. */
    size_t big = (size_t)RK_IMAGE_MAX_INPUT + 1;
    uint8_t *huge = calloc(big, 1);
    assert_non_null(huge);
    memcpy(huge, hdr, 8);
    assert_int_equal(rk_image_decode(huge, big, 1, &img), RK_ETOOBIG);
    free(huge);
    /* Allocation caps. */
    assert_int_equal(rk_image_init(&img, RK_IMAGE_MAX_SIDE + 1, 1, 0), RK_ETOOBIG);
    assert_int_equal(rk_image_init(&img, 5000, 5000, 0), RK_ETOOBIG);
    assert_int_equal(rk_image_init(&img, 0, 5, 0), RK_EINVAL);
    assert_null(img.px);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct rk_image img;
    assert_int_equal(rk_image_decode((const uint8_t *)"GIF89a\1\0\1\0", 10, 1, &img),
                     RK_EUNSUPPORTED);
    assert_int_equal(rk_image_decode((const uint8_t *)"", 0, 1, &img), RK_EUNSUPPORTED);
    assert_int_equal(rk_image_decode(NULL, 10, 1, &img), RK_EINVAL);
    assert_int_equal(rk_image_decode((const uint8_t *)"x", 1, 1, NULL), RK_EINVAL);
    /* A valid PNG signature with a corrupt IHDR CRC. */
    uint8_t hdr[64];
    size_t n = png_header(hdr, 10, 10);
    hdr[30] ^= 1;
    assert_int_equal(rk_image_decode(hdr, n, 1, &img), RK_EPARSE);
}

/* Every prefix of a valid file fails cleanly with a status; the full file decodes. */
static void truncations(const uint8_t *p, size_t len)
{
    struct rk_image img;
    for (size_t k = 0; k < len; k++) {
        int rc = rk_image_decode(p, k, 1, &img);
        if (rc != RK_EPARSE && rc != RK_EUNSUPPORTED)
            fail_msg("prefix of %zu/%zu bytes: %s", k, len, rk_strerror(rc));
        assert_null(img.px);
    }
    assert_int_equal(rk_image_decode(p, len, 1, &img), RK_OK);
    rk_image_free(&img);
}

static void flips(const uint8_t *p, size_t len, uint64_t seed)
{
    struct rk_rng rng;
    rk_rng_seed(&rng, seed);
    uint8_t *c = malloc(len);
    int ok = 0;
    for (int it = 0; it < 400; it++) {
        memcpy(c, p, len);
        int nf = 1 + (int)(rk_rng_next(&rng) % 4);
        for (int f = 0; f < nf; f++)
            c[rk_rng_next(&rng) % len] ^= (uint8_t)(1 + rk_rng_next(&rng) % 255);
        struct rk_image img;
        int rc = rk_image_decode(c, len, 1 << (it % 4), &img);
        if (rc == RK_OK) {
            ok++;
            assert_true(img.width > 0 && img.height > 0);
            assert_true((long)img.width * img.height <= RK_IMAGE_MAX_PIXELS);
            rk_image_free(&img);
        } else {
            assert_true(rc == RK_EPARSE || rc == RK_EUNSUPPORTED || rc == RK_ETOOBIG);
            assert_null(img.px);
        }
    }
    free(c);
    print_message("random flips: %d of 400 still decoded\n", ok);
}

static void test_truncated_and_flipped(void **state)
{
    (void)state;
    struct rk_image img;
    assert_int_equal(rk_image_init(&img, 24, 16, 0), RK_OK);
    for (int i = 0; i < 24 * 16; i++)
        img.px[i] = (uint8_t)(i * 37);
    uint8_t *png, *jpg;
    size_t plen, jlen;
    assert_int_equal(rk_image_encode_png(&img, &png, &plen), RK_OK);
    assert_int_equal(rk_image_encode_jpeg(&img, 80, &jpg, &jlen), RK_OK);
    truncations(png, plen);
    truncations(jpg, jlen);
    /* With EXIF, and a colour progressive JPEG (multi-scan: truncation inside later scans). */
    uint8_t exif[64];
    size_t elen = make_exif(exif, false, 6);
    struct buf b = with_app1(jpg, jlen, exif, elen);
    truncations(b.p, b.len);
    struct buf prog = make_color_jpeg(48, 32, false, true);
    truncations(prog.p, prog.len);
    flips(png, plen, 1);
    flips(jpg, jlen, 2);
    flips(b.p, b.len, 3);
    flips(prog.p, prog.len, 4);
    free(prog.p);
    free(b.p);
    free(png);
    free(jpg);
    rk_image_free(&img);
}

static void test_orient_all(void **state)
{
    (void)state;
    struct rk_image s, a, b;
    corner_image(&s);
    /* Inverse pairs: 6 then 8, 3 then 3, each mirror twice, 5 and 7 twice: identity. */
    static const int pairs[][2] = {{6, 8}, {8, 6}, {3, 3}, {2, 2}, {4, 4}, {5, 5}, {7, 7}, {1, 1}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        assert_int_equal(rk_image_orient(&s, pairs[i][0], &a), RK_OK);
        assert_int_equal(rk_image_orient(&a, pairs[i][1], &b), RK_OK);
        assert_int_equal(b.width, s.width);
        assert_memory_equal(b.px, s.px, (size_t)s.width * s.height);
        rk_image_free(&a);
        rk_image_free(&b);
    }
    /* Mirrors: 2 puts A top-right, 4 bottom-left, 5 (transpose) top-left, 7 bottom-right. */
    static const int where[][2] = {{2, 1}, {4, 3}, {5, 0}, {7, 2}};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rk_image_orient(&s, where[i][0], &a), RK_OK);
        assert_true(corner_mean(&a, where[i][1]) < 10);
        rk_image_free(&a);
    }
    assert_int_equal(rk_image_orient(&s, 9, &a), RK_EINVAL);
    assert_int_equal(rk_image_orient(&s, 0, &a), RK_EINVAL);
    rk_image_free(&s);
}

static void test_pixel_ops(void **state)
{
    (void)state;
    struct rk_image img, out;
    assert_int_equal(rk_image_init(&img, 50, 40, 0), RK_OK);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 50; x++)
            img.px[y * 50 + x] = (uint8_t)(x * 5 + (y & 1));
    /* Crop copies exactly; out of range is refused. */
    assert_int_equal(rk_image_crop(&img, 10, 5, 20, 30, &out), RK_OK);
    assert_int_equal(out.px[0], img.px[5 * 50 + 10]);
    assert_int_equal(out.px[29 * 20 + 19], img.px[34 * 50 + 29]);
    rk_image_free(&out);
    assert_int_equal(rk_image_crop(&img, 40, 0, 11, 5, &out), RK_ERANGE);
    assert_int_equal(rk_image_crop(&img, -1, 0, 5, 5, &out), RK_ERANGE);
    /* Bilinear: halfway between pixels is the mean; 2x upsampling of a ramp stays a ramp. */
    assert_true(fabs(rk_image_sample(&img, 10.5, 0) - 52.5) < 1e-9);
    assert_true(fabs(rk_image_sample(&img, 10, 0.5) - 50.5) < 1e-9);
    assert_true(fabs(rk_image_sample(&img, -5, -5) - img.px[0]) < 1e-9);
    assert_int_equal(rk_image_resample(&img, 100, 80, &out), RK_OK);
    for (int x = 2; x < 97; x++) {
        int d = (int)out.px[10 * 100 + x + 1] - (int)out.px[10 * 100 + x];
        assert_true(d >= 2 && d <= 3);
    }
    rk_image_free(&out);
    /* Downscale averages blocks, partial edge blocks included. */
    assert_int_equal(rk_image_downscale(&img, 3, &out), RK_OK);
    assert_int_equal(out.width, 17);
    assert_int_equal(out.height, 14);
    assert_int_equal(out.px[0], 5); /* x 0..2 -> 0,5,10; rows 0,1,0 add 1/3 -> 5.33 */
    assert_int_equal(out.px[16], 243); /* last column holds x 48, 49 -> 242.5 + 1/3 */
    rk_image_free(&out);
    /* Box blur keeps a constant, spreads an impulse over the window. */
    struct rk_image dot;
    assert_int_equal(rk_image_init(&dot, 21, 21, 0), RK_OK);
    dot.px[10 * 21 + 10] = 225;
    assert_int_equal(rk_image_box_blur(&dot, 1, &out), RK_OK);
    assert_int_equal(out.px[9 * 21 + 9], 25);
    assert_int_equal(out.px[11 * 21 + 11], 25);
    assert_int_equal(out.px[8 * 21 + 10], 0);
    rk_image_free(&out);
    rk_image_free(&dot);
    /* Integral image against brute force. */
    struct rk_integral ii;
    assert_int_equal(rk_integral_init(&ii, &img, true), RK_OK);
    uint32_t brute = 0;
    uint64_t brute_sq = 0;
    for (int y = 3; y < 17; y++)
        for (int x = 7; x < 31; x++) {
            brute += img.px[y * 50 + x];
            brute_sq += (uint64_t)img.px[y * 50 + x] * img.px[y * 50 + x];
        }
    assert_int_equal(rk_integral_sum(&ii, 7, 3, 31, 17), brute);
    size_t w1 = 51;
    assert_int_equal(ii.sq[17 * w1 + 31] - ii.sq[3 * w1 + 31] - ii.sq[17 * w1 + 7] + ii.sq[3 * w1 + 7],
                     brute_sq);
    rk_integral_free(&ii);
    rk_integral_free(&ii);
    rk_image_free(&img);
}

static void test_thresholds(void **state)
{
    (void)state;
    /* Dark text strokes on paper lit from one side: paper goes from 90 (left) to 240 (right),
     * ink is 40% of the local paper. Otsu finds the two modes of a plain bimodal image but
     * cuts the lit page in half; Sauvola gets ink and paper right everywhere. */
    struct rk_image img, bin;
    assert_int_equal(rk_image_init(&img, 200, 100, 0), RK_OK);
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 200; x++) {
            double paper = 90 + 150.0 * x / 199;
            bool ink = (x % 20 < 3) && y > 20 && y < 80;
            img.px[y * 200 + x] = (uint8_t)lround(ink ? 0.4 * paper : paper);
        }
    assert_int_equal(rk_image_threshold_sauvola(&img, 15, 0.25, &bin), RK_OK);
    int wrong = 0;
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 200; x++) {
            bool ink = (x % 20 < 3) && y > 20 && y < 80;
            wrong += (bin.px[y * 200 + x] == 0) != ink;
        }
    assert_true(wrong < 200 * 100 / 100);
    rk_image_free(&bin);
    int t = rk_image_otsu(&img);
    assert_int_equal(rk_image_threshold(&img, t, &bin), RK_OK);
    int paper_as_ink = 0;
    for (int x = 0; x < 200; x++)
        paper_as_ink += x % 20 >= 3 && bin.px[10 * 200 + x] == 0;
    assert_true(paper_as_ink > 20); /* the dim side is lost by a global threshold */
    rk_image_free(&bin);
    rk_image_free(&img);
    /* Otsu on a clean bimodal image lands between the modes; a flat image gives its level. */
    assert_int_equal(rk_image_init(&img, 10, 10, 200), RK_OK);
    assert_int_equal(rk_image_otsu(&img), 200);
    for (int i = 0; i < 30; i++)
        img.px[i] = 30;
    t = rk_image_otsu(&img);
    assert_true(t >= 30 && t < 200);
    assert_int_equal(rk_image_threshold(&img, t, &bin), RK_OK);
    assert_int_equal(bin.px[0], 0);
    assert_int_equal(bin.px[99], 255);
    rk_image_free(&bin);
    assert_int_equal(rk_image_threshold_sauvola(&img, 0, 0.25, &bin), RK_EINVAL);
    assert_int_equal(rk_image_threshold_sauvola(&img, 3, 1.5, &bin), RK_EINVAL);
    rk_image_free(&img);
}

/* The fast paths (block sums without division, sliding column sums, vectorised spans) give
 * exactly what the definitions give, computed here the slow way: rounded block means, and
 * Sauvola's formula on window sums added pixel by pixel. Random images of many sizes, window
 * radii from 1 to past the image's sides, and downscale factors up to the cap. */
static void test_match_definitions(void **state)
{
    (void)state;
    unsigned s = 12345;
    for (int t = 0; t < 300; t++) {
        s = s * 1103515245u + 12345u;
        int w = 1 + (int)((s >> 8) % 90), h = 1 + (int)((s >> 16) % 70);
        struct rk_image img, out;
        assert_int_equal(rk_image_init(&img, w, h, 0), RK_OK);
        for (int i = 0; i < w * h; i++) {
            s = s * 1103515245u + 12345u;
            /* noise; dark strokes on uneven paper; black beside flat gray (ties: a window
             * of zeros is ink, a flat one has no variance) */
            unsigned v = t % 3 == 0   ? (s >> 24) & 255u
                         : t % 3 == 1 ? ((i % w) % 9 < 2 ? 40u + (s >> 28)
                                                         : 150u + (unsigned)(i % w) + (s >> 29))
                                      : ((i % w) < w / 2 ? 0u : 128u);
            img.px[i] = (uint8_t)v;
        }
        /* every fourth image at factor 4, which has its own path (the mark search's) */
        int f = t % 4 == 0 ? 4 : 1 + (int)((s >> 3) % 64);
        assert_int_equal(rk_image_downscale(&img, f, &out), RK_OK);
        for (int oy = 0; oy < out.height; oy++)
            for (int ox = 0; ox < out.width; ox++) {
                unsigned sum = 0, n = 0;
                for (int y = oy * f; y < oy * f + f && y < h; y++)
                    for (int x = ox * f; x < ox * f + f && x < w; x++)
                        sum += img.px[y * w + x], n++;
                assert_int_equal(out.px[oy * out.width + ox], (sum + n / 2) / n);
            }
        rk_image_free(&out);
        int r = 1 + (int)((s >> 9) % 50);
        double k = 0.05 + (double)((s >> 20) % 90) / 100.0;
        assert_int_equal(rk_image_threshold_sauvola(&img, r, k, &out), RK_OK);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint64_t sum = 0, sq = 0;
                int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
                int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
                for (int j = y0; j < y1; j++)
                    for (int i = x0; i < x1; i++)
                        sum += img.px[j * w + i], sq += (uint64_t)img.px[j * w + i] * img.px[j * w + i];
                double n = (double)((x1 - x0) * (y1 - y0));
                double mean = (double)sum / n, var = (double)sq / n - mean * mean;
                double lhs = img.px[y * w + x] - mean * (1 - k), g = mean * k / 128.0;
                bool ink = lhs <= 0 || (var > 0 && lhs * lhs <= g * g * var);
                assert_int_equal(out.px[y * w + x], ink ? 0 : 255);
            }
        rk_image_free(&out);
        rk_image_free(&img);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_roundtrip),
        cmocka_unit_test(test_png_color_types),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_exif_orientation),
        cmocka_unit_test(test_exif_parser),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_truncated_and_flipped),
        cmocka_unit_test(test_orient_all),
        cmocka_unit_test(test_pixel_ops),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_match_definitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
