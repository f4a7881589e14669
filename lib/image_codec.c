/* JPEG and PNG codecs for untrusted photos. libjpeg and libpng report errors by longjmp; each
 * decoder keeps everything it allocates in a context owned by the caller of the function that
 * calls setjmp, so nothing that longjmp might leave indeterminate is needed for cleanup, and
 * every error path frees through the same code. Neither library may print: their message hooks
 * are replaced with silent ones. */
#include "rekap/exif.h"
#include "image_impl.h"
#include "rekap/image.h"
#include "rekap/status.h"

#include <setjmp.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

/* Progressive JPEGs can hold thousands of tiny scans, each a full pass over the coefficients:
 * a few kilobytes that take minutes. Real encoders write about ten. */
#define JPEG_MAX_SCANS 100
/* libjpeg's working memory beyond the output (progressive coefficient buffers: ~2 bytes a
 * sample for a 16 MP 4:4:4 image is under 100 MB). */
#define JPEG_MAX_MEMORY (256L * 1024 * 1024)
/* Ancillary PNG chunks (iCCP, zTXt...) are decompressed in memory; a form photo needs none. */
#define PNG_CHUNK_MAX (1L * 1024 * 1024)

static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
static const uint8_t jpeg_magic[3] = {0xff, 0xd8, 0xff};

enum rk_image_format rk_image_detect(const uint8_t *data, size_t len)
{
    if (!data)
        return RK_IMAGE_UNKNOWN;
    if (len >= sizeof png_magic && memcmp(data, png_magic, sizeof png_magic) == 0)
        return RK_IMAGE_PNG;
    if (len >= sizeof jpeg_magic && memcmp(data, jpeg_magic, sizeof jpeg_magic) == 0)
        return RK_IMAGE_JPEG;
    return RK_IMAGE_UNKNOWN;
}

/* True when data is a (too short) prefix of a magic: a truncated upload, not a foreign file. */
static bool magic_prefix(const uint8_t *data, size_t len)
{
    if (len == 0)
        return false;
    return (len < sizeof png_magic && memcmp(data, png_magic, len) == 0) ||
           (len < sizeof jpeg_magic && memcmp(data, jpeg_magic, len) == 0);
}

static int check_dims(unsigned long w, unsigned long h)
{
    if (w == 0 || h == 0)
        return RK_EPARSE;
    if (w > RK_IMAGE_MAX_SIDE || h > RK_IMAGE_MAX_SIDE || w * h > (unsigned long)RK_IMAGE_MAX_PIXELS)
        return RK_ETOOBIG;
    return RK_OK;
}

/* ---- JPEG decoding ---- */

struct jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    int status; /* what to return after the longjmp */
};

struct jpeg_ctx {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err err;
    struct jpeg_progress_mgr progress;
    bool created;
    struct rk_image img;
    int orientation;
};

static void jpeg_error_exit(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
    if (e->status == RK_OK)
        e->status = e->pub.msg_code == JERR_OUT_OF_MEMORY ? RK_ENOMEM : RK_EPARSE;
    longjmp(e->jb, 1);
}

static void jpeg_silent(j_common_ptr cinfo)
{
    (void)cinfo;
}

/* Warnings (level -1) signal corrupt or truncated entropy data, which libjpeg papers over with
 * grey; a vote count must not be read from invented pixels, so they become errors. Only header
 * oddities that leave the pixels intact are let through. */
static void jpeg_emit(j_common_ptr cinfo, int level)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
    if (level >= 0)
        return;
    switch (e->pub.msg_code) {
    case JWRN_JFIF_MAJOR:
    case JWRN_ADOBE_XFORM:
        return;
    default:
        e->status = RK_EPARSE;
        longjmp(e->jb, 1);
    }
}

static void jpeg_progress(j_common_ptr cinfo)
{
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > JPEG_MAX_SCANS) {
        struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
        e->status = RK_ETOOBIG;
        longjmp(e->jb, 1);
    }
}

static int jpeg_decode_inner(struct jpeg_ctx *c, const uint8_t *data, size_t len, int denom)
{
    if (setjmp(c->err.jb))
        return c->err.status != RK_OK ? c->err.status : RK_EPARSE;
    jpeg_create_decompress(&c->cinfo);
    c->created = true;
    c->cinfo.mem->max_memory_to_use = JPEG_MAX_MEMORY;
    c->progress.progress_monitor = jpeg_progress;
    c->cinfo.progress = &c->progress;
    jpeg_mem_src(&c->cinfo, data, (unsigned long)len);
    jpeg_save_markers(&c->cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&c->cinfo, TRUE);
    int rc = check_dims(c->cinfo.image_width, c->cinfo.image_height);
    if (rc != RK_OK)
        return rc;
    if (c->cinfo.jpeg_color_space == JCS_CMYK || c->cinfo.jpeg_color_space == JCS_YCCK)
        return RK_EUNSUPPORTED;
    for (jpeg_saved_marker_ptr m = c->cinfo.marker_list; m; m = m->next) {
        int o;
        if (m->marker == JPEG_APP0 + 1 &&
            rk_exif_orientation(m->data, m->data_length, &o) != RK_ENOTFOUND) {
            /* The first Exif block decides; a malformed one reads as upright. */
            c->orientation = o;
            break;
        }
    }
    c->cinfo.out_color_space = JCS_GRAYSCALE;
    c->cinfo.scale_num = 1;
    c->cinfo.scale_denom = (unsigned)denom;
    jpeg_start_decompress(&c->cinfo);
    if (c->cinfo.output_components != 1)
        return RK_EINTERNAL;
    /* Not cleared: every row is written below before anything reads it, and clearing a reused
     * 12 MB block cost ~1 ms a photo. */
    rc = rk_image_init_uncleared(&c->img, (int)c->cinfo.output_width,
                                 (int)c->cinfo.output_height);
    if (rc != RK_OK)
        return rc;
    while (c->cinfo.output_scanline < c->cinfo.output_height) {
        JSAMPROW row = c->img.px + (size_t)c->cinfo.output_scanline * (size_t)c->img.stride;
        jpeg_read_scanlines(&c->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&c->cinfo);
    return RK_OK;
}

static int decode_jpeg(const uint8_t *data, size_t len, int denom, struct rk_image *out)
{
    struct jpeg_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return RK_ENOMEM;
    c->cinfo.err = jpeg_std_error(&c->err.pub);
    c->err.pub.error_exit = jpeg_error_exit;
    c->err.pub.output_message = jpeg_silent;
    c->err.pub.emit_message = jpeg_emit;
    c->orientation = 1;
    int rc = jpeg_decode_inner(c, data, len, denom);
    if (c->created)
        jpeg_destroy_decompress(&c->cinfo);
    if (rc == RK_OK && c->orientation != 1) {
        rc = rk_image_orient(&c->img, c->orientation, out);
        rk_image_free(&c->img);
    } else if (rc == RK_OK) {
        *out = c->img;
    } else {
        rk_image_free(&c->img);
    }
    free(c);
    return rc;
}

/* ---- PNG decoding ---- */

struct png_ctx {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t len, pos;
    int status;
    uint8_t *buf;         /* decoded rows before gray+alpha compositing */
    png_bytep *rows;
    struct rk_image img;
};

static void png_error_fn(png_structp png, png_const_charp msg)
{
    (void)msg;
    struct png_ctx *c = png_get_error_ptr(png);
    if (c->status == RK_OK)
        c->status = RK_EPARSE;
    png_longjmp(png, 1);
}

static void png_warning_fn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_read_fn(png_structp png, png_bytep out, size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos)
        png_error(png, "truncated");
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

static int png_decode_inner(struct png_ctx *c)
{
    if (setjmp(png_jmpbuf(c->png)))
        return c->status != RK_OK ? c->status : RK_EPARSE;
    png_set_read_fn(c->png, c, png_read_fn);
    /* libpng's own limit would fail as a parse error; ours below answers RK_ETOOBIG. */
    png_set_user_limits(c->png, 1000000, 1000000);
    png_set_chunk_malloc_max(c->png, PNG_CHUNK_MAX);
    png_set_chunk_cache_max(c->png, 64);
    png_read_info(c->png, c->info);
    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(c->png, c->info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    int rc = check_dims(w, h);
    if (rc != RK_OK)
        return rc;
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(c->png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(c->png);
    if (png_get_valid(c->png, c->info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(c->png);
    if (depth == 16)
        png_set_scale_16(c->png);
    if (ctype & PNG_COLOR_MASK_COLOR || ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_rgb_to_gray_fixed(c->png, 1, -1, -1);
    png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    int channels = png_get_channels(c->png, c->info);
    size_t rowbytes = png_get_rowbytes(c->png, c->info);
    if (png_get_bit_depth(c->png, c->info) != 8 || channels < 1 || channels > 2 ||
        rowbytes != (size_t)w * (size_t)channels)
        return RK_EINTERNAL;
    rc = rk_image_init(&c->img, (int)w, (int)h, 0);
    if (rc != RK_OK)
        return rc;
    uint8_t *dst = c->img.px;
    if (channels == 2) {
        c->buf = malloc(rowbytes * h);
        if (!c->buf)
            return RK_ENOMEM;
        dst = c->buf;
    }
    c->rows = malloc(sizeof *c->rows * h);
    if (!c->rows)
        return RK_ENOMEM;
    for (size_t y = 0; y < h; y++)
        c->rows[y] = dst + y * rowbytes;
    png_read_image(c->png, c->rows);
    png_read_end(c->png, NULL);
    if (channels == 2) {
        /* Transparent means paper: composite onto white. */
        size_t n = (size_t)w * h;
        for (size_t i = 0; i < n; i++) {
            unsigned g = c->buf[2 * i], a = c->buf[2 * i + 1];
            c->img.px[i] = (uint8_t)((g * a + 255u * (255u - a) + 127u) / 255u);
        }
    }
    return RK_OK;
}

static int decode_png(const uint8_t *data, size_t len, int denom, struct rk_image *out)
{
    /* IHDR must come first (right after the signature): check the size it announces before
     * libpng reads on, so an oversized image is refused as such even when its data is cut. */
    if (len >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
        unsigned long w = (unsigned long)data[16] << 24 | (unsigned long)data[17] << 16 |
                          (unsigned long)data[18] << 8 | data[19];
        unsigned long h = (unsigned long)data[20] << 24 | (unsigned long)data[21] << 16 |
                          (unsigned long)data[22] << 8 | data[23];
        if (check_dims(w, h) == RK_ETOOBIG)
            return RK_ETOOBIG;
    }
    struct png_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return RK_ENOMEM;
    c->data = data;
    c->len = len;
    int rc = RK_ENOMEM;
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_error_fn, png_warning_fn);
    if (c->png)
        c->info = png_create_info_struct(c->png);
    if (c->info)
        rc = png_decode_inner(c);
    if (c->png)
        png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
    free(c->rows);
    free(c->buf);
    if (rc == RK_OK && denom > 1) {
        rc = rk_image_downscale(&c->img, denom, out);
        rk_image_free(&c->img);
    } else if (rc == RK_OK) {
        *out = c->img;
    } else {
        rk_image_free(&c->img);
    }
    free(c);
    return rc;
}

int rk_image_decode(const uint8_t *data, size_t len, int denom, struct rk_image *out)
{
    if (!out)
        return RK_EINVAL;
    *out = (struct rk_image){0};
    if (!data || (denom != 1 && denom != 2 && denom != 4 && denom != 8))
        return RK_EINVAL;
    if (len > (size_t)RK_IMAGE_MAX_INPUT)
        return RK_ETOOBIG;
    switch (rk_image_detect(data, len)) {
    case RK_IMAGE_PNG:
        return decode_png(data, len, denom, out);
    case RK_IMAGE_JPEG:
        return decode_jpeg(data, len, denom, out);
    default:
        return magic_prefix(data, len) ? RK_EPARSE : RK_EUNSUPPORTED;
    }
}

/* ---- encoding ---- */

struct png_out {
    uint8_t *buf;
    size_t len, cap;
    int status;
};

static void png_write_fn(png_structp png, png_bytep data, size_t n)
{
    struct png_out *o = png_get_io_ptr(png);
    if (n > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 4096;
        while (n > cap - o->len) {
            if (cap > SIZE_MAX / 2) {
                o->status = RK_ENOMEM;
                png_error(png, "overflow");
            }
            cap *= 2;
        }
        uint8_t *nb = realloc(o->buf, cap);
        if (!nb) {
            o->status = RK_ENOMEM;
            png_error(png, "no memory");
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, data, n);
    o->len += n;
}

static void png_flush_fn(png_structp png)
{
    (void)png;
}

struct png_wctx {
    png_structp png;
    png_infop info;
    struct png_out out;
};

static void png_werror_fn(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static int png_encode_inner(struct png_wctx *c, const struct rk_image *img)
{
    if (setjmp(png_jmpbuf(c->png)))
        return c->out.status != RK_OK ? c->out.status : RK_EINTERNAL;
    png_set_write_fn(c->png, &c->out, png_write_fn, png_flush_fn);
    png_set_IHDR(c->png, c->info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(c->png, c->info);
    for (int y = 0; y < img->height; y++)
        png_write_row(c->png, img->px + (size_t)y * (size_t)img->stride);
    png_write_end(c->png, NULL);
    return RK_OK;
}

int rk_image_encode_png(const struct rk_image *img, uint8_t **out, size_t *out_len)
{
    if (!img || !img->px || img->width < 1 || img->height < 1 || !out || !out_len)
        return RK_EINVAL;
    *out = NULL;
    *out_len = 0;
    struct png_wctx *c = calloc(1, sizeof *c);
    if (!c)
        return RK_ENOMEM;
    int rc = RK_ENOMEM;
    c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, png_werror_fn, png_warning_fn);
    if (c->png)
        c->info = png_create_info_struct(c->png);
    if (c->info)
        rc = png_encode_inner(c, img);
    if (c->png)
        png_destroy_write_struct(&c->png, c->info ? &c->info : NULL);
    if (rc == RK_OK) {
        *out = c->out.buf;
        *out_len = c->out.len;
    } else {
        free(c->out.buf);
    }
    free(c);
    return rc;
}

struct jpeg_wctx {
    struct jpeg_compress_struct cinfo;
    struct jpeg_err err;
    bool created;
    unsigned char *buf;
    unsigned long len;
};

static int jpeg_encode_inner(struct jpeg_wctx *c, const struct rk_image *img, int quality)
{
    if (setjmp(c->err.jb))
        return c->err.status != RK_OK ? c->err.status : RK_EINTERNAL;
    jpeg_create_compress(&c->cinfo);
    c->created = true;
    jpeg_mem_dest(&c->cinfo, &c->buf, &c->len);
    c->cinfo.image_width = (JDIMENSION)img->width;
    c->cinfo.image_height = (JDIMENSION)img->height;
    c->cinfo.input_components = 1;
    c->cinfo.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c->cinfo);
    jpeg_set_quality(&c->cinfo, quality, TRUE);
    jpeg_start_compress(&c->cinfo, TRUE);
    while (c->cinfo.next_scanline < c->cinfo.image_height) {
        JSAMPROW row = img->px + (size_t)c->cinfo.next_scanline * (size_t)img->stride;
        jpeg_write_scanlines(&c->cinfo, &row, 1);
    }
    jpeg_finish_compress(&c->cinfo);
    return RK_OK;
}

int rk_image_encode_jpeg(const struct rk_image *img, int quality, uint8_t **out,
                         size_t *out_len)
{
    if (!img || !img->px || img->width < 1 || img->height < 1 || !out || !out_len ||
        quality < 1 || quality > 100)
        return RK_EINVAL;
    *out = NULL;
    *out_len = 0;
    struct jpeg_wctx *c = calloc(1, sizeof *c);
    if (!c)
        return RK_ENOMEM;
    c->cinfo.err = jpeg_std_error(&c->err.pub);
    c->err.pub.error_exit = jpeg_error_exit;
    c->err.pub.output_message = jpeg_silent;
    int rc = jpeg_encode_inner(c, img, quality);
    if (c->created)
        jpeg_destroy_compress(&c->cinfo);
    if (rc == RK_OK) {
        *out = c->buf;
        *out_len = c->len;
    } else {
        free(c->buf);
    }
    free(c);
    return rc;
}
