/* Internal to lib/digits*.c: the activation layout shared by inference and the trainer, so the
 * trainer backpropagates through exactly the forward pass that ships. Not a public API. */
#ifndef REKAP_DIGITS_IMPL_H
#define REKAP_DIGITS_IMPL_H

#include "hot.h"
#include "rekap/digits.h"

/* Caps rk_digits_arch_check enforces that the forward pass sizes its stack arrays by. */
#define RK_DIGITS_CAP_C1 64u
#define RK_DIGITS_CAP_K 7u

struct rk_digits_acts {
    float *x;      /* 28*28 input, 0..1 */
    float *a1;     /* h1*h1*c1 conv1 after relu (HWC) */
    float *p1;     /* p1*p1*c1 after pool */
    float *a2;     /* h2*h2*c2 conv2 after relu */
    float *p2;     /* flat = p2*p2*c2 after pool */
    float *h;      /* hidden after relu */
    float *logits; /* classes */
    uint32_t *off; /* forward pass's table: input offset of each term of a conv window */
};

/* Floats of activation storage rk_digits_acts_layout carves (each array rounded to 16). */
size_t rk_digits_acts_floats(const struct rk_digits_net *m);

/* Points a at consecutive arrays of base (base holds rk_digits_acts_floats(m) floats). */
void rk_digits_acts_layout(const struct rk_digits_net *m, float *base, struct rk_digits_acts *a);

/* Forward pass from a->x to a->logits, keeping every intermediate activation: the widest of
 * the builds below that the machine runs. */
void rk_digits_forward(const struct rk_digits_net *m, const struct rk_digits_acts *a);

/* The same pass with 8-float vectors (AVX2 clone or baseline) and, where RK_HAVE_AVX512, with
 * 16-float ones (only on a machine with AVX-512F). Bit-identical results; tests call both. */
void rk_digits_forward_v8(const struct rk_digits_net *m, const struct rk_digits_acts *a);
void rk_digits_forward_v16(const struct rk_digits_net *m, const struct rk_digits_acts *a);

#define RK_DIGITS_Q_MAX_OUT 1024u /* outputs of a layer, rounded up to 16: hidden's cap */

/* The 8-bit form of one network (RK_DIGITS_INT8, lib/digits_q.c): per layer, weights as
 * [input group of 4][output, rounded up to 16][4] int8 and one float scale per output. */
struct rk_digits_qnet {
    uint32_t c1r, c2r, hr;   /* outputs of conv1, conv2, fc1 rounded up to 16 */
    uint32_t c1p, flatp;     /* conv1 channels and fc1 inputs rounded up to 4 */
    uint32_t g1, g2, g3;     /* input groups per output: conv1 window, conv2 window, fc1 */
    int8_t *w1, *w2, *w3;
    float *s1, *s2, *s3;     /* per output: max |w| / 127 (0 where padded) */
    float *b1, *b2;          /* conv biases, zero-padded to c1r, c2r */
    uint32_t *o1, *o2;       /* input offset of each conv group from its window's first byte */
};

/* Quantises network m into one allocation *out (free with rk_digits_qnet_free). RK_OK or
 * RK_ENOMEM. Deterministic: the same weights give the same bytes on every machine. */
int rk_digits_quantize(const struct rk_digits_net *m, struct rk_digits_qnet **out);
void rk_digits_qnet_free(struct rk_digits_qnet *q);

/* Bytes of scratch rk_digits_forward_q needs for m (64-byte aligned scratch). */
size_t rk_digits_qscratch_size(const struct rk_digits_net *m);

/* The 8-bit kernels: plain C, AVX2, and AVX-512 VNNI where the machine has it. Same bits. */
#define RK_DIGITS_Q_C 0
#define RK_DIGITS_Q_VNNI 1
#define RK_DIGITS_Q_AVX2 2
int rk_digits_q_kernel(void); /* the fastest kernel this machine runs */

/* Logits of network m (8-bit form q) for the 28x28 box img, with kernel (RK_DIGITS_Q_*). */
void rk_digits_forward_q(const struct rk_digits_net *m, const struct rk_digits_qnet *q,
                         int kernel, const uint8_t *img, void *scratch, float *logits);

/* fc2 of both passes, in float32: logits = f2b + the hidden units h times f2w, the terms in
 * the order of h, zeros skipped (eleven outputs: too few to block). */
static inline void rk_digits_fc2(const struct rk_digits_net *m, const float *h, float *logits)
{
    for (uint32_t j = 0; j < RK_DIGITS_CLASSES; j++)
        logits[j] = m->f2b[j];
    for (uint32_t i = 0; i < m->arch.hidden; i++) {
        float v = h[i];
        if (v == 0.0f)
            continue;
        const float *wr = m->f2w + (size_t)i * RK_DIGITS_CLASSES;
        for (uint32_t j = 0; j < RK_DIGITS_CLASSES; j++)
            logits[j] += v * wr[j];
    }
}

/* Points m's layer views into w and sets the derived sizes (m->arch must be set). */
void rk_digits_bind(struct rk_digits_net *m, float *w);

#endif
