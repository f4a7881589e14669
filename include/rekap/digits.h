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
 * An ensemble of up to RK_DIGITS_MAX_NETS independently trained networks may share one file:
 * each network's logits are divided by the one temperature and turned into probabilities, the
 * probabilities are averaged, and a digit is accepted only if the averaged probability of the
 * top class reaches the threshold and (flag RK_DIGITS_UNANIMOUS) every network's own top class
 * is that same digit: members disagreeing is itself a reason to ask a person.
 *
 * Model file format, version 2 (all integers and floats little-endian; models/MODEL_CARD.md):
 *   off  size  field
 *     0     8  magic "RKDIGITS"
 *     8     4  u32 version (2)
 *    12     4  u32 input height (28)         16  4  u32 input width (28)
 *    20     4  u32 classes (11)              24  4  u32 networks N (1..RK_DIGITS_MAX_NETS)
 *    28     4  f32 temperature (0.05..20)    32  4  f32 reject threshold (0..1)
 *    36     8  u64 seed of the held-out split 44  4  u32 held-out count
 *    48     4  u32 calibration range start   52  4  u32 calibration range end: temperature and
 *              threshold were fitted on held-out positions [start, end) (end <= count)
 *    56     4  u32 flags (bit 0: RK_DIGITS_UNANIMOUS, bit 1: RK_DIGITS_INT8; others 0)
 *    60        N network records, each:
 *              6 x u32: conv1 channels (1..64), conv1 kernel (odd, 1..7), conv2 channels
 *              (1..128), conv2 kernel (odd, 1..7), hidden units (1..1024), weight count n (must
 *              equal what the dims imply); then n f32 weights: conv1 w[k][k][c1] b[c1];
 *              conv2 w[k][k][c1][c2] b[c2]; fc1 w[in][hidden] b[hidden] (in = pooled conv2
 *              output, HWC order); fc2 w[hidden][classes] b[classes]
 *   end     4  u32 CRC-32 (zlib) of every byte before it
 * The weights of all networks together are capped at RK_DIGITS_MAX_WEIGHTS. The file must be
 * exactly as long as its header says; every weight must be finite.
 *
 * Version 1 (one network, still read, and written back as version 1): magic, u32 version 1,
 * height 28, width 28, c1, k1, c2, k2, hidden, classes 11 (offsets 12..40), f32 temperature
 * (44), f32 threshold (48), u64 split seed (52), u32 held-out count (60), u32 weight count (64),
 * weights from offset 68 in the order above, CRC-32. Its calibration range is the whole held-out
 * split and it has no flags. Other versions are refused with RK_EUNSUPPORTED. */
#ifndef REKAP_DIGITS_H
#define REKAP_DIGITS_H

#include <stddef.h>
#include <stdint.h>

#define RK_DIGITS_SIDE 28
#define RK_DIGITS_PIXELS (RK_DIGITS_SIDE * RK_DIGITS_SIDE)
#define RK_DIGITS_CLASSES 11
#define RK_DIGITS_NOT_DIGIT 10
#define RK_DIGITS_MAGIC "RKDIGITS"
#define RK_DIGITS_VERSION 2u        /* written by rk_digits_model_init models */
#define RK_DIGITS_V1_HEADER_SIZE 68u /* version 1: header before the weights */
#define RK_DIGITS_HEADER_SIZE 60u    /* version 2: header before the network records */
#define RK_DIGITS_NET_HEADER_SIZE 24u
#define RK_DIGITS_MAX_NETS 5u
#define RK_DIGITS_MAX_WEIGHTS (4u * 1024u * 1024u) /* all networks together */
#define RK_DIGITS_UNANIMOUS 1u /* flag: accept only if every network's top class agrees */
/* flag: run the networks in 8-bit arithmetic (weights int8 per output channel, quantised at
 * load; activations uint8 per box and layer; exact integer sums); the file's temperature and
 * threshold were fitted on that arithmetic. Without it, float32. */
#define RK_DIGITS_INT8 2u
/* Largest well-formed model file: every caller reading one may refuse anything longer. */
#define RK_DIGITS_MAX_FILE                                                                     \
    ((size_t)RK_DIGITS_HEADER_SIZE + RK_DIGITS_MAX_NETS * RK_DIGITS_NET_HEADER_SIZE +           \
     4u * (size_t)RK_DIGITS_MAX_WEIGHTS + 4u)
#define RK_DIGITS_MAX_CROP 4096 /* largest crop side rk_digits_preprocess accepts */

/* Architecture: conv(k1,c1)-relu-maxpool2, conv(k2,c2)-relu-maxpool2, fc(hidden)-relu, fc(11).
 * Convolutions are "valid" (no padding); pooling floors odd sizes. */
struct rk_digits_arch {
    uint32_t c1, k1, c2, k2, hidden;
};

/* One network of a model. */
struct rk_digits_net {
    struct rk_digits_arch arch;
    size_t nweights;
    float *w;                /* owned, nweights floats in file order */
    struct rk_digits_qnet *q; /* owned: its 8-bit form, while the model has RK_DIGITS_INT8 */
    /* views into w */
    float *c1w, *c1b, *c2w, *c2b, *f1w, *f1b, *f2w, *f2b;
    /* derived sizes */
    uint32_t h1, p1, h2, p2, flat;
};

struct rk_digits_model {
    uint32_t version;        /* file version it came from (1 or 2); serialised back as such */
    uint32_t nnets;          /* 1..RK_DIGITS_MAX_NETS networks whose probabilities are averaged */
    struct rk_digits_net net[RK_DIGITS_MAX_NETS];
    float temperature;       /* every network's logits are divided by this before softmax */
    float threshold;         /* accept a digit only if its calibrated probability >= this */
    uint32_t flags;          /* RK_DIGITS_UNANIMOUS, RK_DIGITS_INT8 (set with
                                rk_digits_model_set_int8, which builds the 8-bit weights) */
    uint64_t split_seed;     /* seed of the held-out split the model never trained on */
    uint32_t split_count;    /* size of that split */
    uint32_t calib_lo, calib_hi; /* held-out positions temperature and threshold were fitted on */
};

struct rk_digits_result {
    int cls;                          /* argmax class of the averaged probabilities, 0..10 */
    float prob;                       /* calibrated probability of cls */
    int accept;                       /* 1: cls is a digit, prob >= threshold and (unanimous
                                         models) every network agrees; 0: to a person */
    int agree;                        /* networks whose own top class is cls (1..nnets) */
    float probs[RK_DIGITS_CLASSES];   /* calibrated probabilities, sum to 1 */
};

/* Checks an architecture and computes the number of weights it needs into *nweights.
 * Returns RK_OK or RK_ERANGE (a dimension outside its cap or giving an empty feature map). */
int rk_digits_arch_check(const struct rk_digits_arch *a, size_t *nweights);

/* Allocates a one-network, zero-weight model of architecture a (version 2, temperature 1,
 * threshold 0.5, no flags, calibration range empty) so a trainer or test can fill m->net[0].w.
 * Returns RK_OK, RK_ERANGE or RK_ENOMEM. Free with rk_digits_model_free. */
int rk_digits_model_init(struct rk_digits_model *m, const struct rk_digits_arch *a);

/* Builds into out an ensemble holding deep copies of every network of parts[0..n) (which must
 * all share the held-out split: same seed and count), version 2, with parts[0]'s temperature,
 * threshold and calibration range and no flags: the caller recalibrates it. Returns RK_OK;
 * RK_EINVAL (n == 0 or the splits differ); RK_ERANGE (more than RK_DIGITS_MAX_NETS networks or
 * RK_DIGITS_MAX_WEIGHTS weights in all); RK_ENOMEM. On error out is left empty. */
int rk_digits_model_merge(struct rk_digits_model *out, const struct rk_digits_model *const *parts,
                          size_t n);

/* Parses a model file image buf[0..len) (version 2 or 1, format above) into m, which the caller
 * frees with rk_digits_model_free. Returns RK_OK; RK_EPARSE for bad magic, truncation, trailing
 * bytes, checksum mismatch, weight count not matching the dims or non-finite numbers; RK_ERANGE
 * for a dimension, network count, temperature, threshold, calibration range or flag outside its
 * cap; RK_EUNSUPPORTED for another version; RK_ENOMEM. On error m is left empty (safe to free).
 * Never trusts any size in the file. */
int rk_digits_model_parse(struct rk_digits_model *m, const uint8_t *buf, size_t len);

/* Serialises m into a malloc'd buffer *out of *len bytes (caller frees), in m->version's format
 * (version 1 only for a single network without flags). RK_OK, RK_EINVAL (m cannot be written
 * in its version) or RK_ENOMEM. */
int rk_digits_model_serialize(const struct rk_digits_model *m, uint8_t **out, size_t *len);

/* Switches m to 8-bit arithmetic (on: sets RK_DIGITS_INT8 and quantises every network's
 * weights, kept beside the float ones) or back to float (off: clears the flag, frees them).
 * RK_OK, RK_EINVAL (on, for a version 1 model: that format has no flags) or RK_ENOMEM (m then
 * unchanged). rk_digits_model_parse calls it for files with the flag. */
int rk_digits_model_set_int8(struct rk_digits_model *m, int on);

/* Releases m's weights; m may be zeroed or already freed. */
void rk_digits_model_free(struct rk_digits_model *m);

/* Bytes of scratch rk_digits_classify needs for model m (activations of its largest network,
 * reused network after network; no allocation happens in the classifier itself). Aligned to 64
 * bytes internally, so pass any buffer of this size. */
size_t rk_digits_scratch_size(const struct rk_digits_model *m);

/* Classifies one 28x28 box img (MNIST convention, see top) using scratch[0..scratch_len) as
 * working memory. Fills out with calibrated probabilities, argmax and the accept decision.
 * Returns RK_OK, or RK_EINVAL if scratch_len < rk_digits_scratch_size(m). Thread-safe as long
 * as each thread has its own scratch. */
int rk_digits_classify(const struct rk_digits_model *m, const uint8_t *img, void *scratch,
                       size_t scratch_len, struct rk_digits_result *out);

/* Raw (uncalibrated, temperature 1) logits of network net (< m->nnets) for img into
 * logits[11], in the model's arithmetic (8-bit with RK_DIGITS_INT8, else float32); same
 * contract as rk_digits_classify, plus RK_EINVAL for net out of range or for RK_DIGITS_INT8 set
 * without rk_digits_model_set_int8 (no 8-bit weights). Used to fit the temperature and the
 * threshold, and by tests. */
int rk_digits_logits(const struct rk_digits_model *m, uint32_t net, const uint8_t *img,
                     void *scratch, size_t scratch_len, float *logits);

/* The decision rule of rk_digits_classify applied to precomputed raw logits of every network
 * (logits[m->nnets][11], as rk_digits_logits gives them) with temperature t and threshold thr
 * in place of the model's own: averaged probabilities, argmax, agreement, accept. Lets a
 * calibrator try temperatures and thresholds without rerunning the networks. */
void rk_digits_decide(const struct rk_digits_model *m, const float *logits, float t, float thr,
                      struct rk_digits_result *out);

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
