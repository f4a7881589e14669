/* Digit CNN speed on one core: per-digit classification time and digits per second, and the
 * cost of preprocessing a scanned crop. Usage: bench_digits [MODEL] (default models/digits.bin,
 * or $REKAP_MODEL). Inputs are the first MNIST images from $REKAP_SHARED_DATA (or
 * ../shared/data) when present, else synthetic strokes; the model's speed does not depend on
 * which beyond the share of zero pixels it skips.
 * A model flagged RK_DIGITS_INT8 (the shipped one, since 2026-12-07) is timed as shipped, in
 * 8-bit arithmetic, and again through the float32 pass of the same networks, and with the
 * AVX2 8-bit kernel (what a machine without AVX-512 VNNI runs; its logits must equal the
 * VNNI kernel's bit for bit).
 * Reference, in the same run: the same networks through the kernel rekap shipped until
 * 2026-11-23 (plain loops over the nonzero inputs, accumulators in memory, built like the
 * library: -O3 and an AVX2 clone), whose logits must equal the library's float32 pass bit for
 * bit. On a
 * machine with AVX-512, where the library runs its 16-float build, the 8-float build (what a
 * machine with AVX2 only runs) is timed alongside too. */
#include "lib/digits_impl.h"
#include "lib/hot.h"
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

/* The reference forward pass of network n on img: plain loops, feature maps HWC in buf
 * (ref_floats(n) floats), logits into out[RK_DIGITS_CLASSES]. */
static size_t ref_floats(const struct rk_digits_net *n)
{
    return RK_DIGITS_PIXELS + (size_t)n->h1 * n->h1 * n->arch.c1 +
           (size_t)n->p1 * n->p1 * n->arch.c1 + (size_t)n->h2 * n->h2 * n->arch.c2 + n->flat +
           n->arch.hidden;
}

static void ref_pool(const float *in, uint32_t h, uint32_t c, float *out)
{
    uint32_t p = h / 2;
    for (uint32_t y = 0; y < p; y++)
        for (uint32_t x = 0; x < p; x++) {
            const float *i00 = in + ((size_t)(2 * y) * h + 2 * x) * c, *i01 = i00 + c;
            const float *i10 = i00 + (size_t)h * c, *i11 = i10 + c;
            float *o = out + ((size_t)y * p + x) * c;
            for (uint32_t k = 0; k < c; k++) {
                float a = i00[k] > i01[k] ? i00[k] : i01[k];
                float b = i10[k] > i11[k] ? i10[k] : i11[k];
                o[k] = a > b ? a : b;
            }
        }
}

static void ref_relu(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] > 0.0f ? v[i] : 0.0f;
}

/* Built as the library built it (-O3, AVX2 clone), so the comparison is of the code alone. */
RK_HOT static void ref_logits(const struct rk_digits_net *m, const uint8_t *img, float *buf,
                              float *out)
{
    const uint32_t c1 = m->arch.c1, k1 = m->arch.k1, c2 = m->arch.c2, k2 = m->arch.k2;
    const uint32_t hid = m->arch.hidden, h1 = m->h1, h2 = m->h2, p1 = m->p1;
    float *x = buf, *a1 = x + RK_DIGITS_PIXELS, *q1 = a1 + (size_t)h1 * h1 * c1;
    float *a2 = q1 + (size_t)p1 * p1 * c1, *q2 = a2 + (size_t)h2 * h2 * c2, *h = q2 + m->flat;
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        x[i] = (float)img[i] * (1.0f / 255.0f);
    for (uint32_t y = 0; y < h1; y++)
        for (uint32_t xx = 0; xx < h1; xx++) {
            float *o = a1 + ((size_t)y * h1 + xx) * c1;
            memcpy(o, m->c1b, c1 * sizeof *o);
            for (uint32_t ky = 0; ky < k1; ky++)
                for (uint32_t kx = 0; kx < k1; kx++) {
                    float v = x[(y + ky) * RK_DIGITS_SIDE + xx + kx];
                    if (v == 0.0f)
                        continue;
                    const float *wk = m->c1w + ((size_t)ky * k1 + kx) * c1;
                    for (uint32_t c = 0; c < c1; c++)
                        o[c] += v * wk[c];
                }
        }
    ref_relu(a1, (size_t)h1 * h1 * c1);
    ref_pool(a1, h1, c1, q1);
    for (uint32_t y = 0; y < h2; y++)
        for (uint32_t xx = 0; xx < h2; xx++) {
            float *o = a2 + ((size_t)y * h2 + xx) * c2;
            memcpy(o, m->c2b, c2 * sizeof *o);
            for (uint32_t ky = 0; ky < k2; ky++)
                for (uint32_t kx = 0; kx < k2; kx++) {
                    const float *in = q1 + ((size_t)(y + ky) * p1 + xx + kx) * c1;
                    const float *wk = m->c2w + ((size_t)ky * k2 + kx) * c1 * c2;
                    for (uint32_t ci = 0; ci < c1; ci++) {
                        float v = in[ci];
                        if (v == 0.0f)
                            continue;
                        const float *wr = wk + (size_t)ci * c2;
                        for (uint32_t co = 0; co < c2; co++)
                            o[co] += v * wr[co];
                    }
                }
        }
    ref_relu(a2, (size_t)h2 * h2 * c2);
    ref_pool(a2, h2, c2, q2);
    memcpy(h, m->f1b, hid * sizeof *h);
    for (uint32_t i = 0; i < m->flat; i++) {
        float v = q2[i];
        if (v == 0.0f)
            continue;
        const float *wr = m->f1w + (size_t)i * hid;
        for (uint32_t j = 0; j < hid; j++)
            h[j] += v * wr[j];
    }
    ref_relu(h, hid);
    memcpy(out, m->f2b, RK_DIGITS_CLASSES * sizeof *out);
    for (uint32_t i = 0; i < hid; i++) {
        float v = h[i];
        if (v == 0.0f)
            continue;
        const float *wr = m->f2w + (size_t)i * RK_DIGITS_CLASSES;
        for (uint32_t j = 0; j < RK_DIGITS_CLASSES; j++)
            out[j] += v * wr[j];
    }
}

/* The reference's buffer: room for the largest network's maps. */
static float *ref_buf(const struct rk_digits_model *m)
{
    size_t nf = 0;
    for (uint32_t k = 0; k < m->nnets; k++)
        nf = ref_floats(&m->net[k]) > nf ? ref_floats(&m->net[k]) : nf;
    return malloc(nf * sizeof(float));
}

/* What a timing round runs. */
enum how { LIB, V8, REF, QC };

/* Seconds for classifying imgs[first, first + n) with model m (LIB), for the logits of every
 * network through the 8-float forward pass alone (V8, with acts as its working memory), the
 * reference (REF, buf) or the AVX2 8-bit kernel (QC, scratch); sink collects a result so
 * nothing is optimised away. */
static double round_time(const struct rk_digits_model *m, const uint8_t *imgs, int first, int n,
                         void *scratch, size_t slen, float *acts, float *buf, enum how how,
                         double *sink)
{
    double t0 = now();
    for (int i = first; i < first + n; i++) {
        const uint8_t *img = imgs + (size_t)(i % NIMG) * 784;
        if (how == V8) {
            for (uint32_t k = 0; k < m->nnets; k++) {
                struct rk_digits_acts a;
                rk_digits_acts_layout(&m->net[k], acts, &a);
                for (int j = 0; j < RK_DIGITS_PIXELS; j++)
                    a.x[j] = (float)img[j] * (1.0f / 255.0f);
                rk_digits_forward_v8(&m->net[k], &a);
                *sink += a.logits[0];
            }
        } else if (how == LIB) {
            struct rk_digits_result r;
            rk_digits_classify(m, img, scratch, slen, &r);
            *sink += r.cls;
        } else if (how == QC) {
            void *al = (void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
            for (uint32_t k = 0; k < m->nnets; k++) {
                float a[RK_DIGITS_CLASSES];
                rk_digits_forward_q(&m->net[k], m->net[k].q, RK_DIGITS_Q_AVX2, img, al, a);
                *sink += a[0];
            }
        } else {
            for (uint32_t k = 0; k < m->nnets; k++) {
                float a[RK_DIGITS_CLASSES];
                ref_logits(&m->net[k], img, buf, a);
                *sink += a[0];
            }
        }
    }
    return now() - t0;
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
    struct rk_digits_model m, fm; /* as the file says, and its float32 pass */
    int rc = rk_digits_model_parse(&m, buf, len);
    if (rc == RK_OK && (rc = rk_digits_model_parse(&fm, buf, len)) == RK_OK)
        rc = rk_digits_model_set_int8(&fm, 0);
    free(buf);
    if (rc != RK_OK) {
        fprintf(stderr, "bench_digits: %s: %s\n", path, rk_strerror(rc));
        return 1;
    }
    const int q8 = (m.flags & RK_DIGITS_INT8) != 0;
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
    float *rbuf = ref_buf(&m);
    if (!rbuf || !scratch)
        return 1;
    /* The reference's logits must equal the library's float32 pass on every image, bit for
     * bit; and the plain C 8-bit kernel's the shipped kernel's. */
    int same = 1, same_q = 1;
    for (int i = 0; i < NIMG; i++)
        for (uint32_t k = 0; k < m.nnets; k++) {
            const uint8_t *img = imgs + (size_t)i * 784;
            float a[RK_DIGITS_CLASSES], b[RK_DIGITS_CLASSES];
            ref_logits(&fm.net[k], img, rbuf, a);
            if (rk_digits_logits(&fm, k, img, scratch, slen, b) != RK_OK ||
                memcmp(a, b, sizeof a) != 0)
                same = 0;
            if (q8) {
                void *al = (void *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
                rk_digits_forward_q(&m.net[k], m.net[k].q, RK_DIGITS_Q_AVX2, img, al, a);
                if (rk_digits_logits(&m, k, img, scratch, slen, b) != RK_OK ||
                    memcmp(a, b, sizeof a) != 0)
                    same_q = 0;
            }
        }
    /* Rounds of ROUND digits, each pass in turn on the same digits, for about 8 s: all see
     * the same machine, and the best round of each shows the code with the least disturbance
     * from other jobs on a shared machine; the means include it. */
    enum { ROUND = 100 };
    int wide = 0;
#ifdef RK_HAVE_AVX512
    wide = __builtin_cpu_supports("avx512f");
#endif
    size_t af = 0;
    for (uint32_t k = 0; k < m.nnets; k++)
        af = rk_digits_acts_floats(&m.net[k]) > af ? rk_digits_acts_floats(&m.net[k]) : af;
    float *acts = wide ? malloc(af * sizeof *acts) : NULL;
    double best_lib = 1e300, best_ref = 1e300, best_v8 = 1e300, best_f = 1e300, best_qc = 1e300;
    double all_lib = 0, all_ref = 0, dsink = 0;
    int rounds = 0;
    double start = now();
    do {
        int first = rounds * ROUND;
        double tl = round_time(&m, imgs, first, ROUND, scratch, slen, NULL, NULL, LIB, &dsink);
        double tr = round_time(&m, imgs, first, ROUND, scratch, slen, NULL, rbuf, REF, &dsink);
        if (acts) {
            double t8 = round_time(&m, imgs, first, ROUND, scratch, slen, acts, NULL, V8, &dsink);
            best_v8 = t8 < best_v8 ? t8 : best_v8;
        }
        if (q8) {
            double tf = round_time(&fm, imgs, first, ROUND, scratch, slen, NULL, NULL, LIB, &dsink);
            double tq = round_time(&m, imgs, first, ROUND, scratch, slen, NULL, NULL, QC, &dsink);
            best_f = tf < best_f ? tf : best_f;
            best_qc = tq < best_qc ? tq : best_qc;
        }
        best_lib = tl < best_lib ? tl : best_lib, all_lib += tl;
        best_ref = tr < best_ref ? tr : best_ref, all_ref += tr;
        rounds++;
    } while (now() - start < 8.0);
    free(acts);
    sink += dsink == dsink; /* (a NaN would be a broken model) */
    double per = best_lib / ROUND, ref = best_ref / ROUND;
    int n = rounds * ROUND;
    size_t nw = 0;
    for (uint32_t k = 0; k < m.nnets; k++)
        nw += m.net[k].nweights;
    printf("model=%s networks=%u weights=%zu arithmetic=%s scratch_bytes=%zu inputs=%s\n", path,
           m.nnets, nw, q8 ? "int8" : "float32", slen, real ? "mnist" : "synthetic");
    printf("classify (best %d-digit round of %d): %.1f us/digit, %.0f digits/s (one core); "
           "a 90-digit page: %.1f ms; mean over all %d digits %.1f us\n",
           ROUND, rounds, per * 1e6, 1.0 / per, per * 90 * 1e3, n, all_lib / n * 1e6);
    if (q8)
        printf("the same networks in float32 (rk_digits_model_set_int8 off), same rounds: best "
               "%.1f us/digit; 8-bit %.2fx faster. AVX2 8-bit kernel (no AVX-512 VNNI): "
               "best %.1f us/digit (forward passes only); its logits equal the shipped "
               "kernel's on all %d images: %s\n",
               best_f / ROUND * 1e6, best_f / best_lib, best_qc / ROUND * 1e6, NIMG,
               same_q ? "yes" : "NO");
    printf("reference (the float kernel before 2026-11-23, same networks, same rounds): best "
           "%.1f us/digit, mean %.1f us; %s %.2fx faster (best rounds); float32 logits "
           "bit-identical on all %d images: %s\n",
           ref * 1e6, all_ref / n * 1e6, q8 ? "shipped model" : "library", ref / per, NIMG,
           same ? "yes" : "NO");
    if (wide)
        printf("this machine runs the AVX-512 build; the 8-float (AVX2) float32 build alone, "
               "same rounds: best %.1f us/digit (forward passes only)\n",
               best_v8 / ROUND * 1e6);
    free(rbuf);
    rk_digits_model_free(&fm);
    double t0, t1;
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
