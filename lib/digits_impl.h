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

/* Points m's layer views into w and sets the derived sizes (m->arch must be set). */
void rk_digits_bind(struct rk_digits_net *m, float *w);

#endif
