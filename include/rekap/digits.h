/* Handwritten digit recognition for the digit boxes of a C.Hasil form: a small CNN with
 * calibrated probabilities and an explicit "send to a person" decision, because a misread digit
 * published unchecked (SIREKAP's 17 read as 817) is worse than a digit a person has to type.
 *
 * Input convention (MNIST): a 28x28 8-bit grayscale box, row-major, INK BRIGHT (255) ON BLACK
 * (0), the digit's ink scaled into a 20x20 box and its centre of mass at the centre of the 28x28
 * frame. rk_digits_preprocess() turns an arbitrary crop (dark ink on paper) into that.
 *
 * Classes: 0-9 are the digits; RK_DIGITS_NOT_DIGIT (10) is "not a digit": crossed out,
 * scribble, inked-over box, stray lines. Class 10 is never accepted automatically.
 *
 * Model file format (all integers and floats little-endian; see docs in models/MODEL_CARD.md):
 *   off  size  field
 *     0     8  magic "RKDIGITS"
 *     8     4  u32 version (1)
 *    12     4  u32 input height (28)         16  4  u32 input width (28)
 *    20     4  u32 conv1 channels (1..64)    24  4  u32 conv1 kernel (odd, 1..7)
 *    28     4  u32 conv2 channels (1..128)   32  4  u32 conv2 kernel (odd, 1..7)
 *    36     4  u32 hidden units (1..1024)    40  4  u32 classes (11)
 *    44     4  f32 temperature (0.05..20)    48  4  f32 reject threshold (0..1)
 *    52     8  u64 seed of the held-out split 60  4  u32 held-out count
 *    64     4  u32 number of float32 weights n (must equal what the dims imply; <= 4M)
 *    68   4*n  f32 weights: conv1 w[k][k][c1] b[c1]; conv2 w[k][k][c1][c2] b[c2];
 *              fc1 w[in][hidden] b[hidden] (in = pooled conv2 output, HWC order);
 *              fc2 w[hidden][classes] b[classes]
 *  68+4n    4  u32 CRC-32 (zlib) of every byte before it
 * The file must be exactly that long; every weight must be finite. */
#ifndef REKAP_DIGITS_H
#define REKAP_DIGITS_H

#include <stddef.h>
#include <stdint.h>

#define RK_DIGITS_SIDE 28
#define RK_DIGITS_PIXELS (RK_DIGITS_SIDE * RK_DIGITS_SIDE)
#define RK_DIGITS_CLASSES 11
#define RK_DIGITS_NOT_DIGIT 10
#define RK_DIGITS_MAGIC "RKDIGITS"
#define RK_DIGITS_VERSION 1u
#define RK_DIGITS_HEADER_SIZE 68u
#define RK_DIGITS_MAX_WEIGHTS (4u * 1024u * 1024u)
#define RK_DIGITS_MAX_CROP 4096 /* largest crop side rk_digits_preprocess accepts */

/* Architecture: conv(k1,c1)-relu-maxpool2, conv(k2,c2)-relu-maxpool2, fc(hidden)-relu, fc(11).
 * Convolutions are "valid" (no padding); pooling floors odd sizes. */
struct rk_digits_arch {
    uint32_t c1, k1, c2, k2, hidden;
};

struct rk_digits_model {
    struct rk_digits_arch arch;
    float temperature;       /* logits are divided by this before softmax */
    float threshold;         /* accept a digit only if its calibrated probability >= this */
    uint64_t split_seed;     /* seed of the held-out split the model never trained on */
    uint32_t split_count;    /* size of that split */
    size_t nweights;
    float *w;                /* owned, nweights floats in file order */
    /* views into w */
    float *c1w, *c1b, *c2w, *c2b, *f1w, *f1b, *f2w, *f2b;
    /* derived sizes */
    uint32_t h1, p1, h2, p2, flat;
};

struct rk_digits_result {
    int cls;                          /* argmax class, 0..10 */
    float prob;                       /* calibrated probability of cls */
    int accept;                       /* 1: cls is a digit and prob >= threshold; 0: to a person */
    float probs[RK_DIGITS_CLASSES];   /* calibrated probabilities, sum to 1 */
};

/* Checks an architecture and computes the number of weights it needs into *nweights.
 * Returns RK_OK or RK_ERANGE (a dimension outside its cap or giving an empty feature map). */
int rk_digits_arch_check(const struct rk_digits_arch *a, size_t *nweights);

/* Allocates a zero-weight model of architecture a (temperature 1, threshold 0.5) so a trainer
 * or test can fill m->w. Returns RK_OK, RK_ERANGE or RK_ENOMEM. Free with rk_digits_model_free. */
int rk_digits_model_init(struct rk_digits_model *m, const struct rk_digits_arch *a);

/* Parses a model file image buf[0..len) (format above) into m, which the caller frees with
 * rk_digits_model_free. Returns RK_OK; RK_EPARSE for bad magic, truncation, trailing bytes,
 * checksum mismatch, weight count not matching the dims or non-finite numbers; RK_ERANGE for a
 * dimension, temperature or threshold outside its cap; RK_EUNSUPPORTED for another version;
 * RK_ENOMEM. On error m is left empty (safe to free). Never trusts any size in the file. */
int rk_digits_model_parse(struct rk_digits_model *m, const uint8_t *buf, size_t len);

/* Serialises m into a malloc'd buffer *out of *len bytes (caller frees). RK_OK or RK_ENOMEM. */
int rk_digits_model_serialize(const struct rk_digits_model *m, uint8_t **out, size_t *len);

/* Releases m's weights; m may be zeroed or already freed. */
void rk_digits_model_free(struct rk_digits_model *m);

/* Bytes of scratch rk_digits_classify needs for model m (activations; no allocation happens in
 * the classifier itself). Aligned to 64 bytes internally, so pass any buffer of this size. */
size_t rk_digits_scratch_size(const struct rk_digits_model *m);

/* Classifies one 28x28 box img (MNIST convention, see top) using scratch[0..scratch_len) as
 * working memory. Fills out with calibrated probabilities, argmax and the accept decision.
 * Returns RK_OK, or RK_EINVAL if scratch_len < rk_digits_scratch_size(m). Thread-safe as long
 * as each thread has its own scratch. */
int rk_digits_classify(const struct rk_digits_model *m, const uint8_t *img, void *scratch,
                       size_t scratch_len, struct rk_digits_result *out);

/* Raw (uncalibrated, temperature 1) logits of img into logits[11]; same contract as
 * rk_digits_classify. Used to fit the temperature and by tests. */
int rk_digits_logits(const struct rk_digits_model *m, const uint8_t *img, void *scratch,
                     size_t scratch_len, float *logits);

/* Turns an arbitrary grayscale crop (w x h pixels, rows stride bytes apart) into the 28x28
 * MNIST-style box out: ink found by an Otsu threshold, background set to 0, the ink's bounding
 * box scaled (area averaging, aspect kept) to fit 20x20, then placed so its centre of mass sits
 * at the centre of the 28x28 frame. dark_ink: 1 for dark ink on light paper (a photo or scan),
 * 0 if the crop is already bright-on-dark. Returns RK_OK; RK_ERANGE for w or h outside
 * 1..RK_DIGITS_MAX_CROP or stride < w; RK_ENOTFOUND when the crop holds no ink (blank box:
 * too little contrast) — out is then all zero. */
int rk_digits_preprocess(const uint8_t *gray, int w, int h, size_t stride, int dark_ink,
                         uint8_t *out);

#endif
