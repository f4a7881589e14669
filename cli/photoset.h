/* The synthetic photo test set, shared by the reader's tests, its benchmark and `rekap read`'s
 * self-check: the digit model, MNIST digits of the model's held-out split (never trained on),
 * the built-in form rendered blank once per candidate count and page, and photo number i made
 * from a rule-abiding demo C.Hasil (rk_demo_chasil) through lib/form_sim.c. Case i is the same
 * on every machine. */
#ifndef REKAP_CLI_PHOTOSET_H
#define REKAP_CLI_PHOTOSET_H

#include <stdint.h>

#include "rekap/digits.h"
#include "rekap/form.h"
#include "rekap/form_sim.h"
#include "rekap/idx.h"

struct rk_photoset {
    struct rk_digits_model model;
    struct rk_form_template t;
    uint8_t *ib, *lb;
    struct rk_idx im, lab;
    uint32_t *perm;
    struct rk_form_sim_digits digits;
    int dpi;
    struct rk_form_sim_opts opts;
    struct rk_form_image blank[RK_CANDIDATES_MAX + 1][RK_FORM_PAGES_MAX + 1]; /* [ncand][page] */
};

struct rk_photoset_case {
    int ncand, page;
    struct rk_form_info info;
    struct rk_form_values truth; /* every field; those of other pages are not on the photo */
    struct rk_form_sim_photo photo;
};

/* Loads mnist_dir/train-{images-idx3,labels-idx1}-ubyte.gz and the model at model_path, and
 * sets photos of width x height with pages rendered at dpi (defaults of rk_form_sim_defaults;
 * adjust s->opts after). Returns RK_OK, RK_ENOTFOUND (MNIST files absent: skip), RK_EIO,
 * RK_EPARSE (bad files) or RK_ENOMEM. Close with rk_photoset_close. */
int rk_photoset_open(struct rk_photoset *s, const char *mnist_dir, const char *model_path,
                     int dpi, int width, int height);

/* Makes case i: candidate columns 2..6 and page 1..2 cycle with i, numbers from
 * rk_demo_chasil. Returns RK_OK or a rendering/simulation error; free c with
 * rk_photoset_case_free (also after a failure). */
int rk_photoset_make(struct rk_photoset *s, uint64_t i, struct rk_photoset_case *c);

void rk_photoset_case_free(struct rk_photoset_case *c);

void rk_photoset_close(struct rk_photoset *s);

#endif
