/* Benchmark: the photo reader on 12 MP synthetic photos (3024 x 4032, page rendered at 300 dpi,
 * real held-out MNIST digits, rotation, perspective, light, folds, shadows, blur, noise, JPEG
 * 60-90; cli/photoset.h), on one core: time per page (decode included, and without it), field
 * accuracy, and — on the very same digit-box crops the reader classifies — its CNN against
 * Tesseract (`tesseract CROP.png stdout --psm 10 -c tessedit_char_whitelist=0123456789`).
 *   build/bench_reader [--photos N] [--tesseract M] [--reps R] [--data DIR] [--model FILE]
 * Defaults: 20 photos, 300 crops for Tesseract (0 skips it), best of R = 3 timed reads per
 * photo (more filters out other jobs on a shared machine), DIR = $REKAP_SHARED_DATA or
 * ../shared/data, FILE = models/digits.bin. Run from the source tree. BENCH_READER_EACH=1 in
 * the environment also prints each photo's JPEG size and times (stderr). */
#define _GNU_SOURCE
#include "cli/photoset.h"
#include "rekap/image.h"
#include "rekap/reader.h"
#include "rekap/status.h"

#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct crop {
    int field, digit, truth;
    int cnn, cnn_accept;
    struct rk_image img;
};

struct crops {
    struct crop *c;
    int n, cap;
    const struct rk_photoset_case *cs;
};

static void on_crop(void *ud, int field, int digit, const uint8_t *px, int w, int h,
                    size_t stride)
{
    struct crops *k = ud;
    if (k->n >= k->cap)
        return;
    struct crop *c = &k->c[k->n];
    int pad = 8; /* white margin: Tesseract wants some paper around a glyph */
    if (rk_image_init(&c->img, w + 2 * pad, h + 2 * pad, 255) != RK_OK)
        return;
    for (int j = 0; j < h; j++)
        memcpy(c->img.px + (size_t)(j + pad) * (size_t)c->img.stride + pad,
               px + (size_t)j * stride, (size_t)w);
    int v = k->cs->truth.v[field];
    static const int p10[3] = {100, 10, 1};
    c->field = field, c->digit = digit, c->truth = v / p10[digit] % 10;
    c->cnn = -1;
    k->n++;
}

/* Tesseract's reading of one crop: a digit, or -1 for no (or more than one) character. */
static int tesseract_digit(const struct rk_image *img, const char *dir)
{
    /* Tesseract reads glyphs of ~30+ px best: give it the crop at 3x, on a wide margin. */
    struct rk_image big, pad;
    if (rk_image_resample(img, img->width * 3, img->height * 3, &big) != RK_OK)
        return -1;
    if (rk_image_init(&pad, big.width + 60, big.height + 60, 255) != RK_OK) {
        rk_image_free(&big);
        return -1;
    }
    for (int j = 0; j < big.height; j++)
        memcpy(pad.px + (size_t)(j + 30) * (size_t)pad.stride + 30,
               big.px + (size_t)j * (size_t)big.stride, (size_t)big.width);
    rk_image_free(&big);
    uint8_t *png;
    size_t len;
    int erc = rk_image_encode_png(&pad, &png, &len);
    rk_image_free(&pad);
    if (erc != RK_OK)
        return -1;
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/crop.png", dir);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(png);
        return -1;
    }
    fwrite(png, 1, len, f);
    fclose(f);
    free(png);
    snprintf(cmd, sizeof cmd,
             "tesseract '%s' stdout --psm 10 -c tessedit_char_whitelist=0123456789 2>/dev/null",
             path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char out[64] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    pclose(p);
    out[n] = 0;
    int d = -1, count = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i] >= '0' && out[i] <= '9')
            d = out[i] - '0', count++;
    return count == 1 ? d : -1;
}

int main(int argc, char **argv)
{
    int photos = 20, tess = 300, reps = 3;
    const char *data = getenv("REKAP_SHARED_DATA"), *model = "models/digits.bin";
    static const struct option opts[] = {{"photos", required_argument, 0, 'n'},
                                         {"tesseract", required_argument, 0, 't'},
                                         {"reps", required_argument, 0, 'r'},
                                         {"data", required_argument, 0, 'd'},
                                         {"model", required_argument, 0, 'm'},
                                         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': photos = atoi(optarg); break;
        case 't': tess = atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'd': data = optarg; break;
        case 'm': model = optarg; break;
        default:
            fprintf(stderr, "usage: bench_reader [--photos N] [--tesseract M] [--reps R] "
                            "[--data DIR] [--model FILE]\n");
            return 2;
        }
    }
    if (photos < 1 || photos > 1000 || tess < 0 || reps < 1 || reps > 100)
        return 2;
    /* One core: the figure is per page per core. */
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);
    char mnist[4096];
    snprintf(mnist, sizeof mnist, "%s/mnist", data && data[0] ? data : "../shared/data");
    struct rk_photoset S;
    int rc = rk_photoset_open(&S, mnist, model, 300, 3024, 4032);
    if (rc != RK_OK) {
        fprintf(stderr, "bench_reader: cannot open the photo set (%s in %s, model %s)\n",
                rk_strerror(rc), mnist, model);
        return rc == RK_ENOTFOUND ? 77 : 1;
    }
    struct rk_reader r;
    if (rk_reader_init(&r, &S.t, &S.model) != RK_OK)
        return 1;
    struct crops k = {calloc(20000, sizeof(struct crop)), 0, 20000, NULL};
    double *t_all = calloc((size_t)photos, sizeof(double)),
           *t_read = calloc((size_t)photos, sizeof(double));
    int fields = 0, right_auto = 0, flagged = 0, wrong_auto = 0, unreadable = 0;
    size_t bytes = 0;
    for (int i = 0; i < photos; i++) {
        struct rk_photoset_case cs;
        if (rk_photoset_make(&S, (uint64_t)(1000 + i), &cs) != RK_OK) {
            fprintf(stderr, "bench_reader: photo %d failed to generate\n", i);
            return 1;
        }
        bytes += cs.photo.jpeg_len;
        struct rk_reader_result res;
        /* Timing: best of reps reads of the JPEG, then of the decoded image (no crop copies). */
        r.on_crop = NULL;
        double best = 1e300, best_img = 1e300;
        for (int rep = 0; rep < reps; rep++) {
            double t0 = now_ms();
            rc = rk_reader_read(&r, cs.photo.jpeg, cs.photo.jpeg_len, NULL, &res);
            double t1 = now_ms();
            best = t1 - t0 < best ? t1 - t0 : best;
        }
        struct rk_image img;
        if (rk_image_decode(cs.photo.jpeg, cs.photo.jpeg_len, 1, &img) == RK_OK) {
            for (int rep = 0; rep < reps; rep++) {
                double t0 = now_ms();
                rk_reader_read_image(&r, &img, NULL, &res);
                double t1 = now_ms();
                best_img = t1 - t0 < best_img ? t1 - t0 : best_img;
            }
            rk_image_free(&img);
        }
        t_all[i] = best, t_read[i] = best_img;
        if (getenv("BENCH_READER_EACH"))
            fprintf(stderr, "photo %d: %zu KB, %.1f ms (%.1f from pixels), %d fields\n", i,
                    cs.photo.jpeg_len / 1024, best, best_img, res.n);
        /* Accuracy pass, collecting the crops the CNN sees. */
        k.cs = &cs;
        r.on_crop = on_crop, r.crop_ud = &k;
        int first = k.n;
        rc = rk_reader_read(&r, cs.photo.jpeg, cs.photo.jpeg_len, NULL, &res);
        if (rc != RK_OK) {
            unreadable++;
            k.n = first;
        } else {
            for (int f = 0; f < res.n; f++) {
                const struct rk_reader_field *fl = &res.f[f];
                int truth = cs.truth.v[fl->field];
                fields++;
                if (fl->needs_review)
                    flagged++;
                else if (fl->value == truth)
                    right_auto++;
                else
                    wrong_auto++;
                for (int j = first; j < k.n; j++)
                    if (k.c[j].field == fl->field) {
                        const struct rk_reader_digit *dg = &fl->digit[k.c[j].digit];
                        k.c[j].cnn = dg->ink == RK_INK_DIGIT ? dg->top[0] : -1;
                        k.c[j].cnn_accept = dg->ink == RK_INK_DIGIT &&
                                            dg->top_p[0] >= S.model.threshold;
                    }
            }
        }
        rk_photoset_case_free(&cs);
    }
    qsort(t_all, (size_t)photos, sizeof(double), cmp_double);
    qsort(t_read, (size_t)photos, sizeof(double), cmp_double);
    printf("photos: %d of 3024x4032 (12.2 MP), mean JPEG %.0f KB; unreadable %d\n", photos,
           (double)bytes / photos / 1024, unreadable);
    printf("time per page, one core (best of %d per photo): median %.1f ms (min %.1f, max %.1f) "
           "incl. JPEG decode; %.1f ms (min %.1f, max %.1f) from decoded pixels\n",
           reps, t_all[photos / 2], t_all[0], t_all[photos - 1], t_read[photos / 2], t_read[0],
           t_read[photos - 1]);
    printf("fields: %d; right and accepted %d (%.2f%%); flagged for a person %d (%.2f%%); "
           "wrong and NOT flagged %d\n",
           fields, right_auto, 100.0 * right_auto / (fields ? fields : 1), flagged,
           100.0 * flagged / (fields ? fields : 1), wrong_auto);
    int cnn_right = 0, cnn_acc = 0, cnn_acc_wrong = 0;
    for (int j = 0; j < k.n; j++) {
        cnn_right += k.c[j].cnn == k.c[j].truth;
        cnn_acc += k.c[j].cnn_accept;
        cnn_acc_wrong += k.c[j].cnn_accept && k.c[j].cnn != k.c[j].truth;
    }
    printf("digit boxes with ink: %d; CNN top-1 right %.2f%%; accepted alone (p >= %.6f) %.2f%% "
           "with %d wrong\n",
           k.n, 100.0 * cnn_right / (k.n ? k.n : 1), (double)S.model.threshold,
           100.0 * cnn_acc / (k.n ? k.n : 1), cnn_acc_wrong);
    if (tess > 0 && k.n > 0) {
        char dir[] = "/tmp/rekap-bench-XXXXXX";
        if (!mkdtemp(dir))
            return 1;
        int m = tess < k.n ? tess : k.n, t_right = 0, t_none = 0, c_right = 0;
        /* Every (k.n / m)-th crop, so both readers see the same spread of photos. */
        double t0 = now_ms();
        for (int s = 0; s < m; s++) {
            const struct crop *cp = &k.c[(size_t)s * (size_t)k.n / (size_t)m];
            int d = tesseract_digit(&cp->img, dir);
            t_right += d == cp->truth;
            t_none += d < 0;
            c_right += cp->cnn == cp->truth;
        }
        double ms = (now_ms() - t0) / m;
        char path[600];
        snprintf(path, sizeof path, "%s/crop.png", dir);
        unlink(path);
        rmdir(dir);
        printf("same %d crops: CNN right %.2f%%; Tesseract (--psm 10, digits only) right %.2f%%, "
               "no single digit %.2f%%, %.0f ms per crop (process start included)\n",
               m, 100.0 * c_right / m, 100.0 * t_right / m, 100.0 * t_none / m, ms);
    }
    for (int j = 0; j < k.n; j++)
        rk_image_free(&k.c[j].img);
    free(k.c);
    free(t_all);
    free(t_read);
    rk_reader_free(&r);
    rk_photoset_close(&S);
    return 0;
}
