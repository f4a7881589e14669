/* rekap digits: train the digit-box CNN, combine trained networks into one calibrated
 * ensemble, and evaluate a model on any MNIST-format pair.
 *   rekap digits train --images F --labels F --out FILE [--epochs N] [--elastic P] ...
 *   rekap digits ensemble --images F --labels F --out FILE [--calibrate first|second]
 *                         [--any] [--float] [--target X] [--max-reject X | --budget X]
 *                         [--set-aside REVIEW] MODEL...
 *   rekap digits eval IMAGES LABELS [--model FILE] [--held-out | --unseen] [--list]
 *                     [--set-aside REVIEW]
 * --held-out evaluates only the model's own held-out split (rebuilt from the seed stored in the
 * model) of the MNIST training files it was trained from; --unseen only the part of that split
 * the model's temperature and threshold were not fitted on (the honest figure). --list names
 * every digit read wrong or sent to a person (position in the split, index in the files, label,
 * reading, probability, agreement), so anyone can look at the errors a model card cites.
 * --set-aside REVIEW (eval and ensemble) leaves out of the error counts the digits whose label
 * a blind review did not confirm (models/heldout-review.tsv); calibration never uses it.
 * eval's last three lines are machine-readable: error_rate=, reject_rate=,
 * accepted_error_rate= (errors among accepted digits / accepted digits). */
#include "cli/cli.h"
#include "cli/io.h"
#include "rekap/digits.h"
#include "rekap/digits_train.h"
#include "rekap/idx.h"
#include "rekap/status.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef REKAP_MODEL_DIR
#define REKAP_MODEL_DIR "models"
#endif

#define IDX_FILE_MAX ((size_t)256 << 20)
#define MODEL_FILE_MAX RK_DIGITS_MAX_FILE

/* --model, then $REKAP_MODEL, then ./models/digits.bin, then the source tree's model. */
static const char *default_model(void)
{
    const char *env = getenv("REKAP_MODEL");
    if (env && env[0])
        return env;
    if (access("models/digits.bin", R_OK) == 0)
        return "models/digits.bin";
    return REKAP_MODEL_DIR "/digits.bin";
}

static int load_idx(const char *path, uint32_t ndim, char **buf, struct rk_idx *idx)
{
    size_t len;
    int rc = rk_cli_slurp(path, IDX_FILE_MAX, buf, &len);
    if (rc != RK_OK) {
        rk_cli_error(path, rc);
        return rc;
    }
    rc = rk_idx_parse((const uint8_t *)*buf, len, ndim, idx);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: %s: not an MNIST IDX %s file / bukan berkas IDX %s: %s\n", path,
                ndim == 3 ? "image" : "label", ndim == 3 ? "gambar" : "label", rk_strerror(rc));
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

static int load_model(const char *path, struct rk_digits_model *m)
{
    char *buf;
    size_t len;
    int rc = rk_cli_slurp(path, MODEL_FILE_MAX, &buf, &len);
    if (rc != RK_OK) {
        rk_cli_error(path, rc);
        return rc;
    }
    rc = rk_digits_model_parse(m, (const uint8_t *)buf, len);
    free(buf);
    if (rc != RK_OK)
        fprintf(stderr, "rekap: %s: bad model file / berkas model rusak: %s\n", path,
                rk_strerror(rc));
    return rc;
}

/* --set-aside FILE: a blind review of the label file's digits (models/heldout-review.tsv).
 * Returns one rk_digits_review_mark per sample (caller frees), or NULL after saying why. */
static uint8_t *load_review(const char *path, const struct rk_idx *lab, uint32_t *reviewed,
                            uint32_t *disputed)
{
    char *buf;
    size_t len;
    int rc = rk_cli_slurp(path, RK_DIGITS_REVIEW_MAX_BYTES, &buf, &len);
    if (rc != RK_OK) {
        rk_cli_error(path, rc);
        return NULL;
    }
    uint8_t *mark = calloc(lab->count ? lab->count : 1, 1);
    uint32_t line = 0;
    rc = mark ? rk_digits_review_apply(buf, len, lab->data, lab->count, mark, reviewed, disputed,
                                       &line)
              : RK_ENOMEM;
    free(buf);
    if (rc != RK_OK) {
        if (rc == RK_EPARSE)
            fprintf(stderr, "rekap: %s:%u: baris tinjauan salah (INDEKS BACAAN; indeks di luar "
                            "berkas atau berulang) / bad review line (INDEX READING; index out "
                            "of range or repeated)\n",
                    path, line);
        else
            rk_cli_error(path, rc);
        free(mark);
        return NULL;
    }
    return mark;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return RK_ERANGE;
    *out = v;
    return RK_OK;
}

static int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *review = NULL;
    int held_out = 0, unseen = 0, list = 0;
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"list", no_argument, 0, 'L'},
                                         {"set-aside", required_argument, 0, 'S'},
                                         {"held-out", no_argument, 0, 'H'},
                                         {"unseen", no_argument, 0, 'U'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
        if (c == 'm')
            model = optarg;
        else if (c == 'H')
            held_out = 1;
        else if (c == 'U')
            held_out = unseen = 1;
        else if (c == 'L')
            list = 1;
        else if (c == 'S')
            review = optarg;
        else
            goto usage;
    }
    if (optind != argc - 2)
        goto usage;
    if (!model)
        model = default_model();
    struct rk_digits_model m;
    if (load_model(model, &m) != RK_OK)
        return 1;
    char *ib = NULL, *lb = NULL;
    struct rk_idx im, lab;
    int ret = 1;
    void *scratch = NULL;
    uint32_t *perm = NULL;
    uint8_t *mark = NULL;
    if (load_idx(argv[optind], 3, &ib, &im) != RK_OK || load_idx(argv[optind + 1], 1, &lb, &lab) != RK_OK)
        goto out;
    if (im.rows != RK_DIGITS_SIDE || im.cols != RK_DIGITS_SIDE || lab.count != im.count) {
        fprintf(stderr, "rekap: images must be 28x28 and match the labels in number / gambar harus "
                        "28x28 dan sebanyak label\n");
        goto out;
    }
    if (review && !(mark = load_review(review, &lab, NULL, NULL)))
        goto out;
    uint32_t count = im.count;
    if (held_out) {
        if (m.split_count == 0 || m.split_count >= im.count) {
            fprintf(stderr, "rekap: the model's held-out split (%u) does not fit these files (%u) / "
                            "pemisahan validasi model tidak cocok dengan berkas ini\n",
                    m.split_count, im.count);
            goto out;
        }
        count = m.split_count;
        if (unseen && m.calib_hi - m.calib_lo >= m.split_count) {
            fprintf(stderr, "rekap: model dikalibrasi pada seluruh data validasi; tidak ada sisa yang "
                            "belum dilihat (unseen) / the model was calibrated on its whole held-out "
                            "split; no unseen digits left\n");
            goto out;
        }
    }
    size_t slen = rk_digits_scratch_size(&m);
    if (!(scratch = malloc(slen)) || !(perm = malloc((size_t)im.count * sizeof *perm))) {
        rk_cli_error("eval", RK_ENOMEM);
        goto out;
    }
    if (held_out)
        rk_digits_split(im.count, m.split_seed, perm);
    else
        for (uint32_t i = 0; i < im.count; i++)
            perm[i] = i;
    uint64_t wrong = 0, rejected = 0, acc_wrong = 0, bad_label = 0, aside = 0, aside_fit = 0;
    uint64_t per_wrong[RK_DIGITS_CLASSES] = {0};
    uint64_t disagree = 0;
    for (uint32_t j = 0; j < count; j++) {
        struct rk_digits_result r;
        uint32_t i = perm[j];
        int fitted = j >= m.calib_lo && j < m.calib_hi;
        if (mark && mark[i] == RK_DIGITS_DISPUTED) {
            aside++, aside_fit += unseen && fitted;
            continue; /* the review did not confirm its label */
        }
        if (unseen && fitted)
            continue; /* fitted on: not an honest measurement */
        int l = lab.data[i];
        if (l > RK_DIGITS_NOT_DIGIT) {
            bad_label++;
            continue;
        }
        rk_digits_classify(&m, im.data + (size_t)i * RK_DIGITS_PIXELS, scratch, slen, &r);
        disagree += r.agree != (int)m.nnets;
        wrong += r.cls != l;
        if (!r.accept)
            rejected++;
        else if (r.cls != l)
            acc_wrong++;
        if (r.cls != l)
            per_wrong[l]++;
        if (list && (r.cls != l || !r.accept))
            printf("digit position=%u index=%u label=%d read=%d prob=%.5f agree=%d/%u %s\n", j, i,
                   l, r.cls, (double)r.prob, r.agree, m.nnets,
                   !r.accept ? "to_person" : r.cls != l ? "ACCEPTED_WRONG" : "accepted");
    }
    uint64_t n = count - bad_label - aside, accepted = n - rejected;
    if (unseen)
        n -= m.calib_hi - m.calib_lo - aside_fit, accepted = n - rejected;
    if (n == 0) {
        fprintf(stderr, "rekap: no usable labels (0-10) / tidak ada label yang dapat dipakai\n");
        goto out;
    }
    printf("model=%s networks=%u temperature=%.4f threshold=%.6f unanimous=%d arithmetic=%s\n",
           model, m.nnets, (double)m.temperature, (double)m.threshold,
           (m.flags & RK_DIGITS_UNANIMOUS) != 0, (m.flags & RK_DIGITS_INT8) ? "int8" : "float32");
    printf("samples=%llu wrong=%llu rejected=%llu accepted_wrong=%llu skipped_labels=%llu "
           "disagree=%llu\n",
           (unsigned long long)n, (unsigned long long)wrong, (unsigned long long)rejected,
           (unsigned long long)acc_wrong, (unsigned long long)bad_label,
           (unsigned long long)disagree);
    if (mark)
        printf("set_aside=%llu review=%s\n", (unsigned long long)(aside - aside_fit), review);
    printf("errors_by_true_class=");
    for (int k = 0; k < RK_DIGITS_CLASSES; k++)
        printf("%s%llu", k ? "," : "", (unsigned long long)per_wrong[k]);
    printf("\n");
    printf("error_rate=%.6f\n", (double)wrong / (double)n);
    printf("reject_rate=%.6f\n", (double)rejected / (double)n);
    printf("accepted_error_rate=%.6f\n", accepted ? (double)acc_wrong / (double)accepted : 0.0);
    ret = 0;
out:
    free(scratch), free(perm), free(ib), free(lb), free(mark);
    rk_digits_model_free(&m);
    return ret;
usage:
    fprintf(stderr, "Pemakaian / usage: rekap digits eval GAMBAR LABEL [--model BERKAS] [--held-out|--unseen]\n"
                    "         [--list] [--set-aside TINJAUAN]\n"
                    "  GAMBAR/LABEL: MNIST IDX (gzip atau biasa / gzip or plain)\n"
                    "  --list: satu baris per angka yang salah dibaca atau dikirim ke petugas /\n"
                    "          one line per digit read wrong or sent to a person\n"
                    "  --set-aside: lewati angka yang labelnya tidak dikonfirmasi tinjauan buta /\n"
                    "               skip the digits a blind review did not confirm the label of\n"
                    "               (models/heldout-review.tsv)\n"
                    "  --held-out: hanya data validasi model / only the model's held-out split\n"
                    "  --unseen: hanya bagian validasi yang tidak dipakai kalibrasi /\n"
                    "            only the held-out digits not used to calibrate the model\n"
                    "  model bawaan / default model: $REKAP_MODEL, ./models/digits.bin, %s/digits.bin\n",
            REKAP_MODEL_DIR);
    return 2;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return RK_ERANGE;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return RK_EIO;
    int ok = fwrite(buf, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return RK_EIO;
    }
    return RK_OK;
}

static int cmd_train(int argc, char **argv)
{
    const char *images = NULL, *labels = NULL, *outp = NULL, *init = NULL;
    struct rk_digits_model initm = {0};
    struct rk_digits_train_opts o;
    rk_digits_train_defaults(&o);
    o.log = stderr;
    static const struct option opts[] = {
        {"images", required_argument, 0, 'i'}, {"labels", required_argument, 0, 'l'},
        {"out", required_argument, 0, 'o'},    {"epochs", required_argument, 0, 'e'},
        {"seed", required_argument, 0, 's'},   {"threads", required_argument, 0, 't'},
        {"batch", required_argument, 0, 'b'},  {"max-train", required_argument, 0, 'n'},
        {"init", required_argument, 0, 'I'},   {"lr", required_argument, 0, 'r'},
        {"elastic", required_argument, 0, 'E'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    unsigned long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:l:o:e:s:t:b:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': images = optarg; break;
        case 'l': labels = optarg; break;
        case 'o': outp = optarg; break;
        case 'e':
            if (parse_num(optarg, 1000, &v) != RK_OK || v < 1)
                goto usage;
            o.epochs = (int)v;
            break;
        case 's':
            if (parse_num(optarg, 0xffffffffUL, &v) != RK_OK)
                goto usage;
            o.seed = v;
            break;
        case 't':
            if (parse_num(optarg, 2, &v) != RK_OK || v < 1)
                goto usage;
            o.threads = (int)v;
            break;
        case 'b':
            if (parse_num(optarg, 4096, &v) != RK_OK || v < 1)
                goto usage;
            o.batch = (int)v;
            break;
        case 'n':
            if (parse_num(optarg, RK_IDX_MAX_COUNT, &v) != RK_OK)
                goto usage;
            o.max_train = (uint32_t)v;
            break;
        case 'I': init = optarg; break;
        case 'r': {
            char *end;
            o.lr = strtof(optarg, &end);
            if (*end || !(o.lr > 0.0f && o.lr < 1.0f))
                goto usage;
            break;
        }
        case 'E': {
            char *end;
            o.elastic = strtof(optarg, &end);
            if (end == optarg || *end || !(o.elastic >= 0.0f && o.elastic <= 1.0f))
                goto usage;
            break;
        }
        default: goto usage;
        }
    }
    if (!images || !labels || !outp || optind != argc)
        goto usage;
    char *ib = NULL, *lb = NULL;
    struct rk_idx im, lab;
    int ret = 1;
    if (load_idx(images, 3, &ib, &im) != RK_OK || load_idx(labels, 1, &lb, &lab) != RK_OK)
        goto out;
    if (init) {
        if (load_model(init, &initm) != RK_OK)
            goto out;
        o.arch = initm.net[0].arch; /* must also share the held-out split, checked by the trainer */
        o.init = &initm;
    }
    struct rk_digits_model m;
    struct rk_digits_train_report r;
    int rc = rk_digits_train(&im, &lab, &o, &m, &r);
    if (rc != RK_OK) {
        rk_cli_error("train", rc);
        goto out;
    }
    uint8_t *buf;
    size_t len;
    if ((rc = rk_digits_model_serialize(&m, &buf, &len)) == RK_OK) {
        rc = write_file(outp, buf, len);
        free(buf);
    }
    if (rc != RK_OK)
        rk_cli_error(outp, rc);
    else {
        printf("model=%s bytes=%zu train=%u held_out=%u seconds=%.0f\n", outp, len, r.train_count,
               r.val_count, r.seconds);
        printf("held_out_error=%.6f\n", r.val_error);
        printf("nll_before=%.5f nll_after=%.5f ece_before=%.5f ece_after=%.5f temperature=%.4f\n",
               r.nll_before, r.nll_after, r.ece_before, r.ece_after, (double)m.temperature);
        printf("threshold=%.6f reject_rate=%.6f accepted_error_rate=%.6f accepted_errors=%u\n",
               (double)m.threshold, r.reject_rate, r.accepted_error_rate, r.accepted_errors);
        printf("twofold_reject_rate=%.6f twofold_accepted_error_rate=%.6f\n", r.twofold_reject,
               r.twofold_accepted_error);
        printf("synthetic_not_digit_not_accepted=%.4f classified_as_10=%.4f\n", r.not_digit_caught,
               r.not_digit_as_10);
        ret = 0;
    }
    rk_digits_model_free(&m);
out:
    free(ib), free(lb);
    rk_digits_model_free(&initm);
    return ret;
usage:
    fprintf(stderr, "Pemakaian / usage: rekap digits train --images GAMBAR --labels LABEL --out BERKAS\n"
                    "  [--epochs N] [--seed N] [--threads 1|2] [--batch N] [--max-train N]\n"
                    "  [--lr X] [--init MODEL]  (lanjutkan dari model / fine-tune a model)\n"
                    "  [--elastic P]  (peluang distorsi elastis / elastic distortion probability)\n"
                    "  Memisahkan 10.000 sampel validasi (benih tetap) yang tidak pernah dilatih /\n"
                    "  holds out a seeded validation split of 10,000 that is never trained on.\n");
    return 2;
}

static void print_rates(const char *what, const struct rk_digits_rates *r)
{
    uint32_t acc = r->n - r->rejected;
    printf("%s: samples=%u wrong=%u rejected=%u accepted_wrong=%u disagree=%u error_rate=%.6f "
           "reject_rate=%.6f accepted_error_rate=%.6f\n",
           what, r->n, r->wrong, r->rejected, r->accepted_wrong, r->disagree,
           r->n ? (double)r->wrong / r->n : 0.0, r->n ? (double)r->rejected / r->n : 0.0,
           acc ? (double)r->accepted_wrong / acc : 0.0);
}

/* How cmd_ensemble picks the threshold: the error target (capped by max_reject), or, when
 * budget >= 0, the highest threshold within that reject budget. */
struct calib_rule {
    double target, max_reject, budget;
};

static int calibrate(struct rk_digits_model *m, const float *logits, const int *labels,
                     uint32_t lo, uint32_t hi, const struct calib_rule *c)
{
    return c->budget >= 0 ? rk_digits_calibrate_budget(m, logits, labels, lo, hi, c->budget)
                          : rk_digits_calibrate(m, logits, labels, lo, hi, c->target,
                                                c->max_reject);
}

/* Prints what m did on [lo, hi) into *out as "what: ..." (digits a review disputes, label -1 in
 * lv, left out), and with a review also against the labels as given (lraw). */
static void measure_print(const char *what, const struct rk_digits_model *m, const float *logits,
                          const int *lv, const int *lraw, int review, uint32_t lo, uint32_t hi,
                          struct rk_digits_rates *out)
{
    rk_digits_measure(m, logits, lv, lo, hi, out);
    print_rates(what, out);
    if (review) {
        struct rk_digits_rates raw;
        char label[64];
        rk_digits_measure(m, logits, lraw, lo, hi, &raw);
        snprintf(label, sizeof label, "%s, labels as given", what);
        print_rates(label, &raw);
    }
}

/* Combines trained networks into one file and calibrates it on one half of the shared held-out
 * split, measuring on the other half (and, for the record, the reverse fold). */
static int cmd_ensemble(int argc, char **argv)
{
    const char *images = NULL, *labels = NULL, *outp = NULL, *review = NULL;
    int second = 0, unanimous = 1, int8 = 1;
    struct calib_rule rule = {.target = 1e-4, .max_reject = 1.0, .budget = -1.0};
    static const struct option opts[] = {
        {"images", required_argument, 0, 'i'}, {"labels", required_argument, 0, 'l'},
        {"out", required_argument, 0, 'o'},    {"calibrate", required_argument, 0, 'c'},
        {"any", no_argument, 0, 'a'},          {"target", required_argument, 0, 't'},
        {"max-reject", required_argument, 0, 'r'}, {"float", no_argument, 0, 'f'},
        {"budget", required_argument, 0, 'b'},     {"set-aside", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:l:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': images = optarg; break;
        case 'l': labels = optarg; break;
        case 'o': outp = optarg; break;
        case 'c':
            if (strcmp(optarg, "first") == 0)
                second = 0;
            else if (strcmp(optarg, "second") == 0)
                second = 1;
            else
                goto usage;
            break;
        case 'a': unanimous = 0; break;
        case 'f': int8 = 0; break;
        case 't': {
            char *end;
            rule.target = strtod(optarg, &end);
            if (end == optarg || *end || !(rule.target >= 0.0 && rule.target < 1.0))
                goto usage;
            break;
        }
        case 'r':
        case 'b': {
            char *end;
            double v = strtod(optarg, &end);
            if (end == optarg || *end || !(v >= 0.0 && v <= 1.0))
                goto usage;
            *(c == 'r' ? &rule.max_reject : &rule.budget) = v;
            break;
        }
        case 'S': review = optarg; break;
        default: goto usage;
        }
    }
    int nparts = argc - optind;
    if (!images || !labels || !outp || nparts < 1 || nparts > (int)RK_DIGITS_MAX_NETS ||
        (rule.budget >= 0 && rule.max_reject < 1))
        goto usage;
    struct rk_digits_model parts[RK_DIGITS_MAX_NETS], m = {0};
    const struct rk_digits_model *pp[RK_DIGITS_MAX_NETS];
    memset(parts, 0, sizeof parts);
    char *ib = NULL, *lb = NULL;
    struct rk_idx im, lab;
    float *logits = NULL;
    int *lv = NULL, *lraw = NULL, ret = 1, rc;
    uint32_t *perm = NULL, reviewed = 0, disputed = 0, aside = 0;
    uint8_t *mark = NULL;
    void *scratch = NULL;
    for (int k = 0; k < nparts; k++) {
        if (load_model(argv[optind + k], &parts[k]) != RK_OK)
            goto out;
        pp[k] = &parts[k];
    }
    if ((rc = rk_digits_model_merge(&m, pp, (size_t)nparts)) != RK_OK) {
        fprintf(stderr, "rekap: model tidak dapat digabung: harus berbagi satu pemisahan validasi "
                        "dan paling banyak %u jaringan / cannot combine these models: they must "
                        "share one held-out split and hold at most %u networks (%s)\n",
                RK_DIGITS_MAX_NETS, RK_DIGITS_MAX_NETS, rk_strerror(rc));
        goto out;
    }
    m.flags = unanimous ? RK_DIGITS_UNANIMOUS : 0;
    if ((rc = rk_digits_model_set_int8(&m, int8)) != RK_OK) {
        rk_cli_error("ensemble", rc);
        goto out;
    }
    if (load_idx(images, 3, &ib, &im) != RK_OK || load_idx(labels, 1, &lb, &lab) != RK_OK)
        goto out;
    if (im.rows != RK_DIGITS_SIDE || im.cols != RK_DIGITS_SIDE || lab.count != im.count ||
        m.split_count < 2 || m.split_count >= im.count) {
        fprintf(stderr, "rekap: berkas ini tidak memuat data validasi model / these files do not "
                        "hold the models' held-out split (%u of %u)\n",
                m.split_count, im.count);
        goto out;
    }
    if (review && !(mark = load_review(review, &lab, &reviewed, &disputed)))
        goto out;
    uint32_t n = m.split_count, nn = m.nnets, half = n / 2;
    size_t slen = rk_digits_scratch_size(&m);
    logits = malloc((size_t)n * nn * RK_DIGITS_CLASSES * sizeof *logits);
    lv = malloc((size_t)n * sizeof *lv);
    lraw = malloc((size_t)n * sizeof *lraw);
    perm = malloc((size_t)im.count * sizeof *perm);
    scratch = malloc(slen);
    if (!logits || !lv || !lraw || !perm || !scratch) {
        rk_cli_error("ensemble", RK_ENOMEM);
        goto out;
    }
    rk_digits_split(im.count, m.split_seed, perm);
    uint32_t net_wrong[RK_DIGITS_MAX_NETS] = {0};
    for (uint32_t j = 0; j < n; j++) {
        lv[j] = lraw[j] = lab.data[perm[j]];
        if (lv[j] > 9) {
            fprintf(stderr, "rekap: label %d bukan angka / label %d is not a digit\n", lv[j], lv[j]);
            goto out;
        }
        for (uint32_t k = 0; k < nn; k++) {
            float *l = logits + ((size_t)j * nn + k) * RK_DIGITS_CLASSES;
            rk_digits_logits(&m, k, im.data + (size_t)perm[j] * RK_DIGITS_PIXELS, scratch, slen, l);
            int top = 0;
            for (int q = 1; q < RK_DIGITS_CLASSES; q++)
                top = l[q] > l[top] ? q : top;
            net_wrong[k] += top != lv[j];
        }
        if (mark && mark[perm[j]] == RK_DIGITS_DISPUTED)
            lv[j] = -1, aside++; /* the review disputes its label: left out of the error counts */
    }
    for (uint32_t k = 0; k < nn; k++)
        printf("network %u: held_out_error=%.6f (%u of %u)\n", k, (double)net_wrong[k] / n,
               net_wrong[k], n);
    if (mark)
        printf("review %s: %u digits reviewed, %u disputed; set aside: %u of the split's %u "
               "(calibration uses the labels as given; the measurements below leave them out "
               "unless they say \"labels as given\")\n",
               review, reviewed, disputed, aside, n);
    /* The reverse fold first, for the record only: calibrate on the half that will be reported
     * on, measure on the half that will be shipped as the calibration set. */
    struct rk_digits_rates rev, fit, test;
    uint32_t clo = second ? half : 0, chi = second ? n : half;
    uint32_t tlo = second ? 0 : half, thi = second ? half : n;
    if ((rc = calibrate(&m, logits, lraw, tlo, thi, &rule)) != RK_OK) {
        rk_cli_error("ensemble", rc);
        goto out;
    }
    printf("reverse fold: calibrated on [%u,%u) temperature=%.4f threshold=%.6f\n", tlo, thi,
           (double)m.temperature, (double)m.threshold);
    measure_print("reverse fold measured", &m, logits, lv, lraw, mark != NULL, clo, chi, &rev);
    if ((rc = calibrate(&m, logits, lraw, clo, chi, &rule)) != RK_OK) {
        rk_cli_error("ensemble", rc);
        goto out;
    }
    printf("shipped: calibrated on [%u,%u) temperature=%.4f threshold=%.6f unanimous=%d\n", clo,
           chi, (double)m.temperature, (double)m.threshold, unanimous);
    measure_print("calibration half (optimistic)", &m, logits, lv, lraw, 0, clo, chi, &fit);
    measure_print("other half", &m, logits, lv, lraw, mark != NULL, tlo, thi, &test);
    uint32_t racc = rev.n - rev.rejected, tacc = test.n - test.rejected;
    printf("twofold: error_rate=%.6f reject_rate=%.6f accepted_wrong=%u accepted_error_rate=%.6f\n",
           (double)(rev.wrong + test.wrong) / (rev.n + test.n),
           (double)(rev.rejected + test.rejected) / (rev.n + test.n),
           rev.accepted_wrong + test.accepted_wrong,
           racc + tacc ? (double)(rev.accepted_wrong + test.accepted_wrong) / (racc + tacc) : 0.0);
    uint8_t *buf;
    size_t len;
    if ((rc = rk_digits_model_serialize(&m, &buf, &len)) == RK_OK) {
        rc = write_file(outp, buf, len);
        free(buf);
    }
    if (rc != RK_OK) {
        rk_cli_error(outp, rc);
        goto out;
    }
    printf("model=%s networks=%u bytes=%zu\n", outp, nn, len);
    ret = 0;
out:
    for (int k = 0; k < nparts; k++)
        rk_digits_model_free(&parts[k]);
    rk_digits_model_free(&m);
    free(ib), free(lb), free(logits), free(lv), free(lraw), free(perm), free(scratch), free(mark);
    return ret;
usage:
    fprintf(stderr,
            "Pemakaian / usage: rekap digits ensemble --images GAMBAR --labels LABEL --out BERKAS\n"
            "  [--calibrate first|second] [--any] [--float] [--target X] [--max-reject X]\n"
            "  [--budget X] [--set-aside TINJAUAN] MODEL...\n"
            "  Menggabungkan 1-%u jaringan (pemisahan validasi sama), kalibrasi pada separuh data\n"
            "  validasi, ukur pada separuh lainnya / combines 1-%u networks sharing one held-out\n"
            "  split, calibrates on one half of it and measures on the other.\n"
            "  --any: terima tanpa kesepakatan semua jaringan / accept without unanimity\n"
            "  --float: hitung dengan float32, bukan 8 bit / run the networks in float32, not in\n"
            "           8-bit arithmetic (the default, RK_DIGITS_INT8)\n"
            "  --target: batas galat yang diterima / accepted-error bound (1e-4)\n"
            "  --max-reject: batas bagian yang ditolak, mengalahkan --target / reject budget,\n"
            "                overrides --target (1: tanpa batas / none)\n"
            "  --budget: ambang tertinggi yang menolak paling banyak X / the highest threshold\n"
            "            rejecting at most X (the whole reject budget spent on safety; not with\n"
            "            --max-reject)\n"
            "  --set-aside: ukur tanpa angka yang labelnya tidak dikonfirmasi tinjauan buta /\n"
            "               measure without the digits a blind review did not confirm the\n"
            "               label of (calibration still uses every label as given)\n",
            RK_DIGITS_MAX_NETS, RK_DIGITS_MAX_NETS);
    return 2;
}

int rk_cmd_digits(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "ensemble") == 0)
        return cmd_ensemble(argc - 1, argv + 1);
    fprintf(stderr, "Pemakaian / usage: rekap digits train|ensemble|eval ...\n"
                    "  train  latih model angka tulisan tangan / train the handwritten-digit model\n"
                    "  ensemble  gabung dan kalibrasi beberapa model / combine and calibrate models\n"
                    "  eval   uji model pada berkas MNIST / evaluate a model on MNIST files\n");
    return 2;
}
