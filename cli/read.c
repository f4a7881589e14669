/* rekap read: read a photographed C.Hasil-KWK page (lib/reader.c) and print every number with
 * its confidence and the reasons a person must check it.
 *   rekap read PHOTO [--db FILE] [--json] [--model FILE] [--tps CODE] [--page N]
 * With --db the form's race is looked up in the store (its candidate count, and a form of a
 * TPS or race the store does not know is refused). Exit status: 0 when the page was read (even
 * with numbers to check), 1 when the photo was refused, 2 for usage errors. */
#include "cli/cli.h"
#include "cli/io.h"
#include "rekap/reader.h"
#include "rekap/status.h"
#include "store/form_race.h"
#include "store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef REKAP_MODEL_DIR
#define REKAP_MODEL_DIR "models"
#endif

#define MODEL_FILE_MAX ((size_t)RK_DIGITS_MAX_FILE)

static const char *default_model(void)
{
    const char *env = getenv("REKAP_MODEL");
    if (env && env[0])
        return env;
    if (access("models/digits.bin", R_OK) == 0)
        return "models/digits.bin";
    return REKAP_MODEL_DIR "/digits.bin";
}

static void usage(void)
{
    fprintf(stderr, "usage: rekap read PHOTO [--db FILE] [--json] [--model FILE] [--tps CODE] "
                    "[--page N]\n");
}

static void print_text(const struct rk_reader_result *res, int64_t race_id)
{
    printf("formulir / form: %s %s-%s TPS %s halaman/page %d/%d (%s)", res->qr.election,
           res->qr.kind == RK_RACE_GOVERNOR ? "gub" : res->qr.kind == RK_RACE_REGENT ? "bup" : "wko",
           res->qr.region, res->qr.tps, res->qr.page, res->qr.pages, res->qr.template_id);
    if (race_id)
        printf(" race %lld", (long long)race_id);
    printf("\nfoto / photo: %dx%d, %.1f px/mm, diputar / turned %d deg, %d paslon\n", res->width,
           res->height, res->px_per_mm, res->rotation * 90, res->ncand);
    for (int i = 0; i < res->n; i++) {
        const struct rk_reader_field *f = &res->f[i];
        char v[8];
        if (f->value >= 0)
            snprintf(v, sizeof v, "%d", f->value);
        else
            snprintf(v, sizeof v, "?");
        printf("%-18s %4s  %.4f  %s%s\n", rk_form_field_name(f->field), v, (double)f->confidence,
               f->needs_review ? "PERIKSA/CHECK " : "", f->reason);
    }
    for (int i = 0; i < res->n_violations; i++)
        printf("jumlah tidak cocok / sum does not add up: %s\n", res->violations[i]);
    printf("%d dari %d angka perlu diperiksa / %d of %d numbers need a person (%.1f ms)\n",
           res->n_review, res->n, res->n_review, res->n, res->ms_total);
}

int rk_cmd_read(int argc, char **argv)
{
    const char *db = NULL, *model_path = NULL, *tps = NULL;
    int json = 0, page = 0;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, 'j'},
                                         {"model", required_argument, 0, 'm'},
                                         {"tps", required_argument, 0, 't'},
                                         {"page", required_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': json = 1; break;
        case 'm': model_path = optarg; break;
        case 't': tps = optarg; break;
        case 'p':
            page = atoi(optarg);
            if (page < 1 || page > RK_FORM_PAGES_MAX) {
                fprintf(stderr, "rekap: read: --page must be 1..%d / --page harus 1..%d\n",
                        RK_FORM_PAGES_MAX, RK_FORM_PAGES_MAX);
                return 2;
            }
            break;
        default: usage(); return 2;
        }
    }
    if (optind != argc - 1) {
        usage();
        return 2;
    }
    const char *path = argv[optind];
    if (!model_path)
        model_path = default_model();
    char *mbuf = NULL, *photo = NULL;
    size_t mlen = 0, plen = 0;
    int rc = rk_cli_slurp(model_path, MODEL_FILE_MAX, &mbuf, &mlen);
    struct rk_digits_model m = {0};
    if (rc == RK_OK) {
        rc = rk_digits_model_parse(&m, (const uint8_t *)mbuf, mlen);
        free(mbuf);
    }
    if (rc != RK_OK) {
        rk_cli_error(model_path, rc);
        return 1;
    }
    rc = rk_cli_slurp(path, (size_t)RK_IMAGE_MAX_INPUT, &photo, &plen);
    if (rc != RK_OK) {
        rk_cli_error(path, rc);
        rk_digits_model_free(&m);
        return 1;
    }
    struct rk_form_template t;
    struct rk_form_error ferr;
    struct rk_reader r = {0};
    struct rk_reader_result *res = malloc(sizeof *res);
    struct rk_store *s = NULL;
    int exit_code = 1;
    int64_t race_id = 0;
    if (!res || (rc = rk_form_template_builtin(&t, &ferr)) != RK_OK) {
        rk_cli_error("read", res ? rc : RK_ENOMEM);
        goto out_model;
    }
    if ((rc = rk_reader_init(&r, &t, &m)) != RK_OK) {
        rk_cli_error("read", rc);
        goto out;
    }
    struct rk_reader_expect exp = {.tps = tps, .page = page};
    rc = rk_reader_read(&r, (const uint8_t *)photo, plen, &exp, res);
    if (rc == RK_OK && db) {
        struct rk_race race;
        int ncand = 0;
        if ((rc = rk_store_open(db, &s)) != RK_OK) {
            rk_cli_error(db, rc);
            goto out;
        }
        rc = rk_store_form_race(s, &res->qr, &race, &ncand);
        if (rc == RK_ENOTFOUND) {
            fprintf(stderr, "rekap: read: the form's TPS %s or race is not in the store / TPS atau "
                            "pemilihan pada formulir ini tidak ada di basis data\n",
                    res->qr.tps);
            goto out;
        }
        if (rc != RK_OK) {
            rk_cli_error("read: store", rc);
            goto out;
        }
        race_id = race.id;
        if (ncand != res->ncand && ncand >= 2) {
            /* The store knows the candidate count: read again with it rather than the guess. */
            exp.ncand = ncand;
            rc = rk_reader_read(&r, (const uint8_t *)photo, plen, &exp, res);
        }
    }
    if (rc != RK_OK) {
        if (res->error != RK_READ_OK) {
            if (json) {
                json_t *e = json_pack("{s:{s:s,s:s,s:s,s:s}}", "error", "code",
                                      rk_status_name(rc), "reason",
                                      rk_reader_error_name(res->error), "message",
                                      res->msg_en, "pesan", res->msg_id);
                json_dumpf(e, stdout, JSON_COMPACT);
                printf("\n");
                json_decref(e);
            }
            fprintf(stderr, "rekap: read: %s / %s\n", res->msg_id, res->msg_en);
        } else {
            rk_cli_error("read", rc);
        }
        goto out;
    }
    if (json) {
        json_t *j = rk_reader_result_json(res);
        if (!j) {
            rk_cli_error("read", RK_ENOMEM);
            goto out;
        }
        if (race_id)
            json_object_set_new(j, "race_id", json_integer(race_id));
        json_dumpf(j, stdout, JSON_COMPACT);
        printf("\n");
        json_decref(j);
    } else {
        print_text(res, race_id);
    }
    exit_code = fflush(stdout) == 0 ? 0 : 1;
out:
    rk_store_close(s);
    rk_reader_free(&r);
    rk_form_template_free(&t);
out_model:
    free(res);
    free(photo);
    rk_digits_model_free(&m);
    return exit_code;
}
