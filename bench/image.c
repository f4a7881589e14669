/* Benchmark: the image front end of the form reader on a synthetic 12 MP phone photo (4032 x
 * 3024 portrait, colour JPEG 4:2:0 at quality 90 with chroma noise, like a phone writes):
 * decode, corner-mark search and perspective warp, on one core. The target for the whole reader
 * is under 50 ms per page; this reports what the front end takes of it.
 *   build/bench_image [runs]      (default 5; the best run of each step is reported) */
#include "rekap/geom.h"
#include "rekap/image.h"
#include "rekap/marks.h"
#include "rekap/photo_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>

#define PX_MM 14.0   /* page render resolution: about what a 12 MP photo of an A4 page gives */
#define READ_MM 8.0  /* rectified resolution the digit reader works at */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Colour JPEG of a gray photo: each channel gets its own small noise, so the chroma planes
 * carry data as a real photo's do. */
static int encode_color(const struct rk_image *img, struct rk_rng *rng, unsigned char **out,
                        unsigned long *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    *out = NULL;
    *len = 0;
    jpeg_mem_dest(&c, out, len);
    c.image_width = (JDIMENSION)img->width;
    c.image_height = (JDIMENSION)img->height;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)img->width * 3);
    if (!row)
        return -1;
    while (c.next_scanline < c.image_height) {
        const uint8_t *s = img->px + (size_t)c.next_scanline * (size_t)img->stride;
        for (int x = 0; x < img->width; x++)
            for (int k = 0; k < 3; k++) {
                int v = s[x] + (int)(rk_rng_next(rng) % 7) - 3;
                row[3 * x + k] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    return 0;
}

/* Reference: libjpeg-turbo alone decoding the same file to gray, with the library's defaults
 * and no checks: the floor for the decode step. */
static int reference_decode(const unsigned char *jpg, unsigned long len, uint8_t *dst)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, jpg, len);
    jpeg_read_header(&c, TRUE);
    c.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&c);
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = dst + (size_t)c.output_scanline * c.output_width;
        jpeg_read_scanlines(&c, &row, 1);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 100)
        runs = 5;
    struct rk_rng rng;
    rk_rng_seed(&rng, 2024);
    /* The template's geometry: A4, 8 mm marks (4 mm cells) 6 mm from the edges. */
    int pw = (int)(210 * PX_MM), ph = (int)(297 * PX_MM);
    double cell = 4 * PX_MM, inset = 6 * PX_MM;
    struct rk_image page, photo;
    struct rk_point centres[4];
    struct rk_homography page_to_photo;
    fprintf(stderr, "synthesising the photo...\n");
    if (rk_sim_page(pw, ph, cell, inset, true, &rng, &page, centres) != 0)
        return 1;
    struct rk_sim_view v = {3024, 4032, 8.0, 0.03, 0.85, 0.92, 90};
    if (rk_sim_view(&page, &v, &rng, &photo, &page_to_photo) != 0)
        return 1;
    rk_image_free(&page);
    rk_sim_blur(&photo, 1);
    rk_sim_gradient(&photo, 30, 0.7, 1.05);
    rk_sim_noise(&photo, &rng, 3);
    unsigned char *jpg;
    unsigned long jlen;
    if (encode_color(&photo, &rng, &jpg, &jlen) != 0)
        return 1;
    rk_image_free(&photo);
    printf("photo: %d x %d (%.1f MP), colour JPEG q90, %.2f MB\n", v.width, v.height,
           v.width * (double)v.height / 1e6, (double)jlen / 1e6);

    uint8_t *refbuf = malloc((size_t)v.width * (size_t)v.height);
    if (!refbuf)
        return 1;
    double t_ref = 1e300;
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        reference_decode(jpg, jlen, refbuf);
        t_ref = fmin(t_ref, now_ms() - t0);
    }
    free(refbuf);
    double t_dec = 1e300, t_dec2 = 1e300, t_marks = 1e300, t_marks2 = 1e300, t_boxes = 1e300,
           t_page = 1e300, err = 0, err2 = 0;
    for (int r = 0; r < runs; r++) {
        struct rk_image img, half, out;
        struct rk_marks m, m2;
        double t0 = now_ms();
        if (rk_image_decode(jpg, jlen, 1, &img) != 0)
            return 1;
        double t1 = now_ms();
        if (rk_marks_find(&img, &m) != 0) {
            fprintf(stderr, "marks not found\n");
            return 1;
        }
        double t2 = now_ms();
        if (rk_image_decode(jpg, jlen, 2, &half) != 0)
            return 1;
        double t3 = now_ms();
        if (rk_marks_find(&half, &m2) != 0) {
            fprintf(stderr, "marks not found at 1/2\n");
            return 1;
        }
        double t4 = now_ms();
        /* Rectified plane at READ_MM px/mm; marks' centres there from the template. */
        double k = READ_MM / PX_MM;
        struct rk_point rect[4];
        for (int i = 0; i < 4; i++) {
            rect[i] = (struct rk_point){(centres[i].x + 0.5) * k - 0.5, (centres[i].y + 0.5) * k - 0.5};
            struct rk_point truth;
            rk_homography_apply(&page_to_photo, centres[i], &truth);
            err = fmax(err, hypot(m.pt[i].x - truth.x, m.pt[i].y - truth.y));
            /* Half-size decode: pixel i covers full pixels 2i, 2i+1, centre 2i + 0.5. */
            err2 = fmax(err2, hypot(m2.pt[i].x * 2 + 0.5 - truth.x, m2.pt[i].y * 2 + 0.5 - truth.y));
        }
        struct rk_homography h;
        if (rk_homography_from_points(rect, m.pt, &h) != 0)
            return 1;
        /* 60 numbers x 3 digit boxes of 7 x 8 mm with a 1 mm margin: what the reader warps. */
        double t5 = now_ms();
        int bw = (int)(9 * READ_MM), bh = (int)(10 * READ_MM);
        for (int b = 0; b < 180; b++) {
            int x = (int)(30 * READ_MM) + (b % 12) * bw, y = (int)(60 * READ_MM) + (b / 12) * bh;
            if (rk_image_warp(&img, &h, x, y, bw, bh, 255, &out) != 0)
                return 1;
            rk_image_free(&out);
        }
        double t6 = now_ms();
        if (rk_image_warp(&img, &h, 0, 0, (int)(210 * READ_MM), (int)(297 * READ_MM), 255, &out) != 0)
            return 1;
        double t7 = now_ms();
        rk_image_free(&out);
        rk_image_free(&img);
        rk_image_free(&half);
        t_dec = fmin(t_dec, t1 - t0);
        t_marks = fmin(t_marks, t2 - t1);
        t_dec2 = fmin(t_dec2, t3 - t2);
        t_marks2 = fmin(t_marks2, t4 - t3);
        t_boxes = fmin(t_boxes, t6 - t5);
        t_page = fmin(t_page, t7 - t6);
    }
    free(jpg);
    printf("best of %d runs, one core:\n", runs);
    printf("  decode full size            %7.1f ms   (reference, bare libjpeg-turbo: %.1f ms)\n",
           t_dec, t_ref);
    printf("  marks on full size          %7.1f ms   (worst centre error %.2f px)\n", t_marks, err);
    printf("  decode at 1/2 (in the DCT)  %7.1f ms\n", t_dec2);
    printf("  marks on 1/2 size           %7.1f ms   (worst centre error %.2f full px)\n", t_marks2,
           err2);
    printf("  warp 180 digit boxes        %7.1f ms   (%.0f px/mm)\n", t_boxes, READ_MM);
    printf("  warp whole page             %7.1f ms   (%d x %d)\n", t_page, (int)(210 * READ_MM),
           (int)(297 * READ_MM));
    printf("front end, full size:  decode + marks + boxes = %.1f ms\n", t_dec + t_marks + t_boxes);
    printf("front end, 1/2 decode: decode + marks + boxes = %.1f ms\n", t_dec2 + t_marks2 + t_boxes);
    return 0;
}
