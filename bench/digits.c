/* Digit CNN speed on one core: per-digit classification time and digits per second, and the
 * cost of preprocessing a scanned crop. Usage: bench_digits [MODEL] (default models/digits.bin,
 * or $REKAP_MODEL). Inputs are the first MNIST images from $REKAP_SHARED_DATA (or
 * ../shared/data) when present, else synthetic strokes; the model's speed does not depend on
 * which beyond the share of zero pixels it skips. */
#include "rekap/digits.h"
#include "rekap/idx.h"
#include "rekap/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define NIMG 2000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int load_mnist(uint8_t *imgs)
{
    const char *root = getenv("REKAP_SHARED_DATA");
    char path[4096];
    snprintf(path, sizeof path, "%s/mnist/train-images-idx3-ubyte.gz", root && root[0] ? root : "../shared/data");
    gzFile f = gzopen(path, "rb");
    if (!f)
        return 0;
    uint8_t hdr[16];
    int ok = gzread(f, hdr, 16) == 16 && gzread(f, imgs, NIMG * 784) == NIMG * 784;
    gzclose(f);
    return ok;
}

static void synthetic(uint8_t *imgs)
{
    unsigned s = 12345;
    memset(imgs, 0, (size_t)NIMG * 784);
    for (int i = 0; i < NIMG; i++)
        for (int k = 0; k < 150; k++) { /* a random walk of ink */
            s = s * 1103515245u + 12345u;
            int x = 6 + (int)((s >> 16) % 16), y = 4 + (int)((s >> 8) % 20);
            imgs[i * 784 + y * 28 + x] = 255;
        }
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : getenv("REKAP_MODEL");
    if (!path || !path[0])
        path = "models/digits.bin";
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_digits: cannot open %s / tidak dapat membuka %s\n", path, path);
        return 1;
    }
    uint8_t *buf = malloc(RK_DIGITS_MAX_FILE + 1);
    size_t len = buf ? fread(buf, 1, RK_DIGITS_MAX_FILE + 1, f) : 0;
    fclose(f);
    struct rk_digits_model m;
    int rc = rk_digits_model_parse(&m, buf, len);
    free(buf);
    if (rc != RK_OK) {
        fprintf(stderr, "bench_digits: %s: %s\n", path, rk_strerror(rc));
        return 1;
    }
    uint8_t *imgs = malloc((size_t)NIMG * 784);
    int real = load_mnist(imgs);
    if (!real)
        synthetic(imgs);
    size_t slen = rk_digits_scratch_size(&m);
    void *scratch = malloc(slen);
    struct rk_digits_result r;
    unsigned sink = 0;
    for (int i = 0; i < 200; i++) /* warm up */
        rk_digits_classify(&m, imgs + (size_t)(i % NIMG) * 784, scratch, slen, &r);
    int n = 0;
    double t0 = now(), t1;
    do {
        for (int i = 0; i < NIMG; i++, n++) {
            rk_digits_classify(&m, imgs + (size_t)i * 784, scratch, slen, &r);
            sink += (unsigned)r.cls;
        }
        t1 = now();
    } while (t1 - t0 < 2.0);
    double per = (t1 - t0) / n;
    size_t nw = 0;
    for (uint32_t k = 0; k < m.nnets; k++)
        nw += m.net[k].nweights;
    printf("model=%s networks=%u weights=%zu scratch_bytes=%zu inputs=%s\n", path, m.nnets, nw,
           slen, real ? "mnist" : "synthetic");
    printf("classify: %d digits in %.3f s, %.1f us/digit, %.0f digits/s (one core); "
           "a 90-digit page: %.1f ms\n",
           n, t1 - t0, per * 1e6, 1.0 / per, per * 90 * 1e3);
    /* preprocessing a 3x scan-like crop, dark ink on paper */
    enum { W = 110, H = 120 };
    uint8_t *crop = malloc(W * H), box[784];
    memset(crop, 235, W * H);
    for (int y = 0; y < 84; y++)
        for (int x = 0; x < 84; x++)
            crop[(10 + y) * W + 12 + x] = (uint8_t)(235 - imgs[(y / 3) * 28 + x / 3] * 215 / 255);
    n = 0;
    t0 = now();
    do {
        for (int i = 0; i < 500; i++, n++)
            sink += (unsigned)rk_digits_preprocess(crop, W, H, W, 1, box);
        t1 = now();
    } while (t1 - t0 < 1.0);
    printf("preprocess %dx%d crop: %.1f us/crop\n", W, H, (t1 - t0) / n * 1e6);
    printf("(checksum %u)\n", sink);
    free(crop), free(imgs), free(scratch);
    rk_digits_model_free(&m);
    return 0;
}
