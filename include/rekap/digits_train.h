/* Training the digit CNN (rekap digits train): seeded held-out split, on-the-fly augmentation
 * (shift, rotation, scale, shear, optional elastic distortion, stroke thickness, blur, box-border
 * remnants) plus synthetic "not a digit" samples, Adam on two threads at most, then temperature
 * scaling and the reject threshold fitted on the held-out split. Same seed and thread count:
 * same model, bit for bit. Also the calibration of ensembles on one range of that split
 * (rk_digits_calibrate) and their measurement on another (rk_digits_measure). */
#ifndef REKAP_DIGITS_TRAIN_H
#define REKAP_DIGITS_TRAIN_H

#include "rekap/digits.h"
#include "rekap/idx.h"

#include <stdio.h>

struct rk_digits_train_opts {
    struct rk_digits_arch arch;
    uint64_t seed;        /* weight init, shuffling, augmentation */
    uint64_t split_seed;  /* held-out split (stored in the model) */
    uint32_t val_count;   /* held-out digits, never trained on (10000) */
    uint32_t max_train;   /* 0: every remaining digit; else at most this many (quick runs) */
    int epochs;
    int batch;
    float lr;             /* Adam peak learning rate, cosine-decayed */
    int threads;          /* 1 or 2 */
    float not_digit_frac; /* share of each epoch replaced by synthetic class-10 samples */
    float elastic;        /* probability of an elastic distortion per sample (0: none) */
    double target_accepted_error; /* threshold choice: accepted error must stay <= this */
    FILE *log;            /* progress lines, or NULL */
    const struct rk_digits_model *init; /* NULL: He-initialised; else fine-tune from this model,
                                           which must share arch and held-out split */
};

struct rk_digits_train_report {
    uint32_t train_count, val_count;
    double val_error;            /* held-out: argmax != label */
    double nll_before, nll_after, ece_before, ece_after; /* before/after temperature */
    double reject_rate, accepted_error_rate;            /* held-out, at the chosen threshold */
    uint32_t accepted_errors;
    double twofold_reject, twofold_accepted_error; /* threshold chosen on one half of the
                                                     held-out, measured on the other, averaged */
    double not_digit_caught;     /* synthetic class-10 held-out samples not accepted */
    double not_digit_as_10;      /* ... and classified as class 10 */
    double seconds;
};

/* Fills o with the shipped recipe (see models/MODEL_CARD.md). */
void rk_digits_train_defaults(struct rk_digits_train_opts *o);

/* Writes a permutation of 0..n-1 determined by seed into perm[n]; the first val_count entries
 * are the held-out split. Returns RK_OK or RK_EINVAL (n == 0). */
int rk_digits_split(uint32_t n, uint64_t seed, uint32_t *perm);

/* Trains a model on images/labels (28x28 ubyte IDX, labels 0..9) holding out o->val_count
 * samples, fits temperature and threshold on them and fills *out (caller frees) and *rep.
 * Returns RK_OK; RK_EINVAL for bad options or images/labels that do not match (count, 28x28,
 * labels > 9, fewer samples than val_count + 1); RK_ENOMEM; RK_EINTERNAL if a thread fails. */
int rk_digits_train(const struct rk_idx *images, const struct rk_idx *labels,
                    const struct rk_digits_train_opts *o, struct rk_digits_model *out,
                    struct rk_digits_train_report *rep);

/* Bytes of work memory rk_digits_loss_grad needs for network m. */
size_t rk_digits_grad_work_size(const struct rk_digits_net *m);

/* Cross-entropy loss (temperature 1) of network m on input x[784] (0..1) with label (0..10);
 * when grad is not NULL adds dloss/dweight to grad[m->nweights] (file order). work holds
 * rk_digits_grad_work_size(m) bytes. Returns the loss, or NAN on bad arguments. This is the
 * exact backward pass the trainer uses; tests check it against finite differences. */
float rk_digits_loss_grad(const struct rk_digits_net *m, const float *x, int label, float *grad,
                          void *work, size_t work_len);

/* Temperature T minimising the mean NLL of softmax(logits/T) over n samples (logits n x 11,
 * labels 0..10), searched in [0.05, 20]. Returns T (1 when n == 0). */
float rk_digits_fit_temperature(const float *logits, const int *labels, size_t n);

/* Expected calibration error (15 equal-width bins of the top probability) of softmax(logits/T). */
double rk_digits_ece(const float *logits, const int *labels, size_t n, float t);

/* Counts of a model's decisions over a range of samples. */
struct rk_digits_rates {
    uint32_t n, wrong, rejected, accepted_wrong;
    uint32_t disagree; /* samples on which some network's own top class differs */
};

/* Fits m's temperature (minimising the NLL of the averaged probabilities) and threshold (the
 * lowest at which accepted errors stay <= target x accepted, lowered if need be until at most
 * max_reject of the samples are rejected; max_reject 1 sets no cap) on samples [lo, hi) of logits
 * (split_count x m->nnets x 11 raw logits, as rk_digits_logits gives them, in held-out order)
 * and labels (0..10), and records [lo, hi) as m's calibration range. m->flags is honoured
 * (a sample whose networks disagree is never accepted under RK_DIGITS_UNANIMOUS). Returns
 * RK_OK; RK_EINVAL (empty range, hi > m->split_count, a label outside 0..10, target not in
 * [0, 1), max_reject not in [0, 1]); RK_ENOMEM. */
int rk_digits_calibrate(struct rk_digits_model *m, const float *logits, const int *labels,
                        uint32_t lo, uint32_t hi, double target, double max_reject);

/* As rk_digits_calibrate, but the threshold spends a reject budget on safety: the highest at
 * which at most budget (0..1) of the samples are rejected, whatever the accepted error there
 * (measure it with rk_digits_measure; the labels only fit the temperature). Where the error
 * target alone would reject less than the budget, this is the safer threshold of the two; where
 * it would reject more, this equals rk_digits_calibrate with max_reject = budget. Same returns
 * (budget outside [0, 1]: RK_EINVAL). */
int rk_digits_calibrate_budget(struct rk_digits_model *m, const float *logits,
                               const int *labels, uint32_t lo, uint32_t hi, double budget);

/* Applies m's decision (its temperature, threshold, flags) to samples [lo, hi) of logits and
 * labels laid out as for rk_digits_calibrate, and counts into *out. A label -1 sets its sample
 * aside (e.g. one a blind review did not confirm, rk_digits_review_apply): out->n and every
 * count leave it out. */
void rk_digits_measure(const struct rk_digits_model *m, const float *logits, const int *labels,
                       uint32_t lo, uint32_t hi, struct rk_digits_rates *out);

/* ---- a blind review of labels (models/heldout-review.tsv) ---- */

#define RK_DIGITS_REVIEW_MAX_BYTES (1u << 20) /* a review file's size cap */
#define RK_DIGITS_REVIEW_MAX_READING 19       /* a reading's length cap ("0/1/.../9") */
#define RK_DIGITS_REVIEW_MAX_READERS 8        /* readings of one digit */

enum rk_digits_review_mark {
    RK_DIGITS_UNREVIEWED = 0, /* not in the review: its label stands */
    RK_DIGITS_CONFIRMED = 1,  /* some reader read exactly its label */
    RK_DIGITS_DISPUTED = 2    /* no reader did (each read something else, or could not
                                 decide): set aside when errors are counted (label -1) */
};

/* Applies a blind review to the labels[count] of a label file. text[len] holds lines
 * "INDEX READING [READING...]", tabs or spaces between, optionally followed by "# comment";
 * blank lines and lines starting with '#' are ignored. INDEX is a sample index (< count), each
 * at most once; each READING (1 to RK_DIGITS_REVIEW_MAX_READERS, one per reader) is what a
 * reader read without seeing the label: a digit, digits joined by '/' (it could be either), or
 * X (not a digit). mark[count], zeroed by the caller, gets RK_DIGITS_CONFIRMED where some
 * reading is exactly the label and RK_DIGITS_DISPUTED elsewhere in the review: a label is set
 * aside only when no reader confirms it. *reviewed and *disputed (each may be NULL) get the two
 * counts. Returns RK_OK; RK_ERANGE (len over RK_DIGITS_REVIEW_MAX_BYTES); RK_EPARSE (a malformed line, an index out of
 * range or repeated; *bad_line, if not NULL, gets its number from 1; marks made before it stay). */
int rk_digits_review_apply(const char *text, size_t len, const uint8_t *labels, uint32_t count,
                           uint8_t *mark, uint32_t *reviewed, uint32_t *disputed,
                           uint32_t *bad_line);

#endif
