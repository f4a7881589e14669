/* The synthetic photo test set (see photoset.h). */
#include "cli/photoset.h"
#include "cli/io.h"
#include "rekap/demo.h"
#include "rekap/digits_train.h"
#include "rekap/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MNIST_MAX ((size_t)64 << 20)

int rk_photoset_open(struct rk_photoset *s, const char *mnist_dir, const char *model_path,
                     int dpi, int width, int height)
{
    memset(s, 0, sizeof *s);
    char ip[4096], lp[4096];
    snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte.gz", mnist_dir);
    snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte.gz", mnist_dir);
    if (access(ip, R_OK) != 0 || access(lp, R_OK) != 0)
        return RK_ENOTFOUND;
    s->dpi = dpi;
    rk_form_sim_defaults(&s->opts, width, height);
    char *mb = NULL;
    size_t ml = 0, il = 0, ll = 0;
    int rc = rk_cli_slurp(model_path, (size_t)16 << 20, &mb, &ml);
    if (rc == RK_OK) {
        rc = rk_digits_model_parse(&s->model, (const uint8_t *)mb, ml);
        free(mb);
    }
    if (rc == RK_OK)
        rc = rk_cli_slurp(ip, MNIST_MAX, (char **)&s->ib, &il);
    if (rc == RK_OK)
        rc = rk_cli_slurp(lp, MNIST_MAX, (char **)&s->lb, &ll);
    if (rc == RK_OK)
        rc = rk_idx_parse(s->ib, il, 3, &s->im);
    if (rc == RK_OK)
        rc = rk_idx_parse(s->lb, ll, 1, &s->lab);
    if (rc == RK_OK && (s->model.split_count == 0 || s->model.split_count > s->im.count))
        rc = RK_EPARSE;
    if (rc == RK_OK && !(s->perm = malloc(s->im.count * sizeof *s->perm)))
        rc = RK_ENOMEM;
    /* The model's own held-out split: rebuilt from the seed it stores. */
    if (rc == RK_OK)
        rc = rk_digits_split(s->im.count, s->model.split_seed, s->perm);
    if (rc == RK_OK)
        rc = rk_form_sim_digits_init(&s->digits, &s->im, &s->lab, s->perm, s->model.split_count);
    struct rk_form_error err;
    if (rc == RK_OK)
        rc = rk_form_template_builtin(&s->t, &err);
    if (rc != RK_OK)
        rk_photoset_close(s);
    return rc;
}

static void make_info(struct rk_form_info *info, int ncand, uint64_t i)
{
    memset(info, 0, sizeof *info);
    snprintf(info->election_slug, sizeof info->election_slug, "pilkada2024");
    info->year = 2024;
    info->kind = RK_RACE_REGENT;
    snprintf(info->race_region, sizeof info->race_region, "3204");
    snprintf(info->race_region_name, sizeof info->race_region_name, "KABUPATEN BANDUNG");
    snprintf(info->provinsi, sizeof info->provinsi, "JAWA BARAT");
    snprintf(info->kabkota, sizeof info->kabkota, "KABUPATEN BANDUNG");
    snprintf(info->kecamatan, sizeof info->kecamatan, "Cileunyi");
    snprintf(info->desa, sizeof info->desa, "Cibiru Wetan");
    snprintf(info->tps, sizeof info->tps, "3204052001011");
    (void)i;
    info->ncand = ncand;
    for (int k = 0; k < ncand; k++) {
        char name[64];
        snprintf(name, sizeof name, "CALON %c - WAKIL %c", 'A' + k, 'A' + k);
        rk_candidate_init(&info->cand[k], 1000 + k, k + 1, name, "");
    }
}

int rk_photoset_make(struct rk_photoset *s, uint64_t i, struct rk_photoset_case *c)
{
    memset(c, 0, sizeof *c);
    c->ncand = 2 + (int)(i % 5);
    c->page = 1 + (int)(i / 5 % 2);
    make_info(&c->info, c->ncand, i);
    struct rk_form_image *blank = &s->blank[c->ncand][c->page];
    int rc = RK_OK;
    if (!blank->px) {
        struct rk_form_render_opts ro = {.format = RK_FORM_PNG, .scale = 1, .dpi = s->dpi,
                                         .page = c->page};
        if ((rc = rk_form_render_gray(&s->t, &c->info, &ro, blank)) != RK_OK)
            return rc;
    }
    struct rk_chasil doc;
    uint32_t dpt_l = 120 + (uint32_t)(i * 37 % 170), dpt_p = 120 + (uint32_t)(i * 53 % 170);
    rc = rk_demo_chasil(20241127 + i, "pilkada2024", c->info.tps, 77, c->ncand, false, dpt_l,
                        dpt_p, &doc);
    if (rc != RK_OK)
        return rc;
    rk_form_values_from_chasil(&doc, &c->truth);
    struct rk_form_geometry *g = malloc(sizeof *g);
    if (!g)
        return RK_ENOMEM;
    rc = rk_form_geometry(&s->t, c->ncand, 1.0, g);
    if (rc == RK_OK)
        rc = rk_form_sim_photo(blank, s->dpi, g, c->page, &c->truth, &s->digits, &s->opts,
                               0x5eed0000ULL + i, &c->photo);
    free(g);
    return rc;
}

void rk_photoset_case_free(struct rk_photoset_case *c)
{
    if (c)
        rk_form_sim_photo_free(&c->photo);
}

void rk_photoset_close(struct rk_photoset *s)
{
    if (!s)
        return;
    rk_digits_model_free(&s->model);
    rk_form_template_free(&s->t);
    rk_form_sim_digits_free(&s->digits);
    for (int n = 0; n <= RK_CANDIDATES_MAX; n++)
        for (int p = 0; p <= RK_FORM_PAGES_MAX; p++)
            rk_form_image_free(&s->blank[n][p]);
    free(s->ib);
    free(s->lb);
    free(s->perm);
    memset(s, 0, sizeof *s);
}
