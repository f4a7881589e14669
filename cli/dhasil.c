/* rekap dhasil: write the D.Hasil recapitulation of one region for one race (JSON or PDF) from
 * the store. The loading and checking live in store/dhasil.c (shared with the server); a store
 * whose tallies do not add up gets an error and no file.
 *
 * Output goes to a temporary file beside the target and is renamed into place, so a failed run
 * never leaves a truncated document behind. */
#include "cli/cli.h"
#include "rekap/dhasil.h"
#include "rekap/form.h"
#include "rekap/status.h"
#include "rekap/text.h"
#include "store/dhasil.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int file_write(void *ud, const unsigned char *data, size_t len)
{
    return fwrite(data, 1, len, ud) == len ? 0 : -1;
}

/* Writes d as fmt ("json"/"pdf") into path ("-" = stdout, JSON only) via path.tmp + rename. */
static int write_doc(const struct rk_dhasil *d, bool pdf, const char *path)
{
    char *json = NULL;
    size_t len = 0;
    int rc = RK_OK;
    if (!pdf && (rc = rk_dhasil_json_dump(d, &json, &len)) != RK_OK) {
        rk_cli_error("dhasil: json", rc);
        return rc;
    }
    if (strcmp(path, "-") == 0) {
        rc = fwrite(json, 1, len, stdout) == len && fflush(stdout) == 0 ? RK_OK : RK_EIO;
        free(json);
        if (rc != RK_OK)
            rk_cli_error("dhasil: stdout", rc);
        return rc;
    }
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        free(json);
        fprintf(stderr, "rekap: dhasil: output path too long / nama berkas terlalu panjang\n");
        return RK_ERANGE;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(json);
        fprintf(stderr, "rekap: dhasil: cannot write %s: %s / tidak dapat menulis berkas\n", path,
                strerror(errno));
        return RK_EIO;
    }
    if (pdf)
        rc = rk_dhasil_render_pdf(d, file_write, f);
    else
        rc = fwrite(json, 1, len, f) == len ? RK_OK : RK_EIO;
    free(json);
    if (fclose(f) != 0 && rc == RK_OK)
        rc = RK_EIO;
    if (rc == RK_OK && rename(tmp, path) != 0)
        rc = RK_EIO;
    if (rc != RK_OK) {
        unlink(tmp);
        fprintf(stderr, "rekap: dhasil: writing %s failed: %s / gagal menulis dokumen: %s\n", path,
                rk_strerror(rc), rk_strerror_id(rc));
        return rc;
    }
    return RK_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int rk_cmd_dhasil(int argc, char **argv)
{
    const char *db = rk_cli_default_db(), *race_arg = NULL, *region_arg = NULL, *out = NULL;
    const char *format = NULL, *ref = NULL;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"race", required_argument, 0, 'r'},
        {"region", required_argument, 0, 'g'}, {"format", required_argument, 0, 'f'},
        {"out", required_argument, 0, 'o'},    {"data-ref", required_argument, 0, 'R'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:r:g:f:o:R:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'r': race_arg = optarg; break;
        case 'g': region_arg = optarg; break;
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 'R': ref = optarg; break;
        default: goto usage;
        }
    }
    if (optind != argc || !race_arg || !region_arg || !out)
        goto usage;
    bool pdf;
    if (format)
        pdf = strcmp(format, "pdf") == 0;
    else
        pdf = ends_with(out, ".pdf");
    if (format && !pdf && strcmp(format, "json") != 0) {
        fprintf(stderr, "rekap: dhasil: --format must be json or pdf / --format harus json atau "
                        "pdf\n");
        return 2;
    }
    if (pdf && strcmp(out, "-") == 0) {
        fprintf(stderr, "rekap: dhasil: a PDF needs --out FILE / PDF harus ditulis ke berkas\n");
        return 2;
    }
    uint64_t race_id;
    if (rk_parse_u64(race_arg, strlen(race_arg), INT64_MAX, &race_id) != RK_OK || race_id == 0) {
        fprintf(stderr, "rekap: dhasil: --race must be a race id (a positive number) / --race "
                        "harus nomor id pemilihan\n");
        return 2;
    }
    char code[RK_CODE_MAX + 1] = "";
    if (strcmp(region_arg, "nasional") != 0 && strcmp(region_arg, "national") != 0 &&
        region_arg[0]) {
        enum rk_level level;
        if (rk_code_parse(region_arg, strlen(region_arg), code, &level) != RK_OK) {
            fprintf(stderr, "rekap: dhasil: '%s' is not a region code / '%s' bukan kode wilayah\n",
                    region_arg, region_arg);
            return 2;
        }
    }
    if (ref && (strlen(ref) > RK_DHASIL_REF_MAX || !rk_utf8_valid_text(ref, strlen(ref)))) {
        fprintf(stderr, "rekap: dhasil: --data-ref must be text of at most %d bytes / --data-ref "
                        "terlalu panjang atau tidak valid\n",
                RK_DHASIL_REF_MAX);
        return 2;
    }
    struct rk_store *s = NULL;
    int rc = rk_store_open(db, &s);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: cannot open store '%s': %s / basis data tidak dapat dibuka\n", db,
                rk_strerror(rc));
        return 1;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    struct rk_dhasil d;
    rk_dhasil_init(&d);
    struct rk_dhasil_error err;
    int status = 1;
    rc = rk_store_dhasil_load(s, (int64_t)race_id, code, ms, ref, &d, &err);
    if (rc != RK_OK) {
        if (err.msg_en[0])
            fprintf(stderr, "rekap: dhasil: %s / %s\n", err.msg_en, err.msg_id);
        else
            rk_cli_error("dhasil", rc);
        goto done;
    }
    if (write_doc(&d, pdf, out) != RK_OK)
        goto done;
    if (strcmp(out, "-") != 0) {
        struct rk_dhasil_progress p;
        rk_dhasil_progress(&d, &p);
        printf("%s: %s %s, %d rows, %lld/%lld TPS received, %lld approved (%s)\n", out,
               rk_dhasil_model(&d), d.h.region.code[0] ? d.h.region.code : "nasional", d.nrows,
               (long long)p.received, (long long)p.expected, (long long)p.approved,
               p.final ? "final" : "sementara");
    }
    status = 0;
done:
    rk_dhasil_free(&d);
    rk_store_close(s);
    if (pdf)
        rk_form_render_shutdown(); /* font caches: leak checkers want a clean exit */
    return status;
usage:
    fprintf(stderr,
            "usage: rekap dhasil [--db FILE] --race ID --region CODE|nasional\n"
            "         [--format json|pdf] [--data-ref TEXT] --out FILE|-\n"
            "  D.Hasil rekapitulasi satu wilayah untuk satu pemilihan / recap document of one\n"
            "  region for one race (format from --out's extension when not given: .pdf or json)\n");
    return 2;
}
