/* rekap form: print C.Hasil-KWK forms for a TPS and race from the store (PDF/PNG, A4/plano,
 * optionally filled in), dump the built-in layout template, and check a custom one.
 *
 * Output is written to a temporary file beside the target and renamed into place, so a failed
 * render never leaves a truncated form behind that someone might print. */
#include "cli/cli.h"
#include "cli/io.h"
#include "rekap/form.h"
#include "rekap/status.h"
#include "rekap/text.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void template_error(const char *path, int rc, const struct rk_form_error *e)
{
    char line[32] = "";
    if (e->line)
        snprintf(line, sizeof line, ":%d", e->line);
    fprintf(stderr, "rekap: template %s%s: %s%s%s / templat formulir tidak valid (%s)\n", path,
            line, e->where, e->where[0] ? ": " : "", e->message, rk_strerror_id(rc));
}

/* Loads the built-in template, or the one in path when non-NULL. */
static int load_template(const char *path, struct rk_form_template *t)
{
    struct rk_form_error e;
    int rc;
    if (!path) {
        rc = rk_form_template_builtin(t, &e);
        if (rc != RK_OK)
            template_error("(built-in)", rc, &e);
        return rc;
    }
    char *buf = NULL;
    size_t len = 0;
    rc = rk_cli_slurp(path, RK_FORM_TEMPLATE_MAX, &buf, &len);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: template %s: %s / %s\n", path, rk_strerror(rc),
                rk_strerror_id(rc));
        return rc;
    }
    rc = rk_form_template_parse(buf, len, t, &e);
    free(buf);
    if (rc != RK_OK)
        template_error(path, rc, &e);
    return rc;
}

/* Copies the name of code's ancestor at level into dst ("" when unknown). */
static void ancestor_name(struct rk_store *s, const char *code, enum rk_level level, char *dst,
                          size_t cap)
{
    char anc[RK_CODE_MAX + 1];
    struct rk_region r;
    dst[0] = 0;
    if (rk_code_ancestor(code, level, anc) == RK_OK && rk_store_region_get(s, anc, &r) == RK_OK)
        snprintf(dst, cap, "%s", r.name);
}

struct race_pick {
    enum rk_race_kind kind;
    const char *tps;
    struct rk_race found;
    int n;
};

static int pick_race(void *ud, const struct rk_race *r)
{
    struct race_pick *p = ud;
    if (r->kind == p->kind && strncmp(p->tps, r->region_code, strlen(r->region_code)) == 0) {
        p->found = *r;
        p->n++;
    }
    return 0;
}

/* Fills info from the store. race_arg is a race id or a race kind (gubernur/bupati/walikota). */
static int load_info(struct rk_store *s, const char *tps_arg, const char *race_arg,
                     const char *election_slug, struct rk_form_info *info)
{
    memset(info, 0, sizeof *info);
    enum rk_level level;
    char tps[RK_CODE_MAX + 1];
    if (rk_code_parse(tps_arg, strlen(tps_arg), tps, &level) != RK_OK || level != RK_LEVEL_TPS) {
        fprintf(stderr, "rekap: form: '%s' is not a 13-digit TPS code / bukan kode TPS 13 digit\n",
                tps_arg);
        return RK_EINVAL;
    }
    struct rk_region tr;
    int rc = rk_store_region_get(s, tps, &tr);
    if (rc != RK_OK) {
        if (rc == RK_ENOTFOUND)
            fprintf(stderr, "rekap: form: TPS %s not in the store / TPS %s tidak ada di basis "
                            "data\n",
                    tps, tps);
        else
            rk_cli_error("form", rc);
        return rc;
    }
    struct rk_race race;
    uint64_t id;
    enum rk_race_kind kind;
    if (rk_parse_u64(race_arg, strlen(race_arg), INT64_MAX, &id) == RK_OK) {
        rc = rk_store_race_get(s, (int64_t)id, &race);
        if (rc == RK_ENOTFOUND) {
            fprintf(stderr, "rekap: form: race %s not found / pemilihan %s tidak ditemukan\n",
                    race_arg, race_arg);
            return rc;
        }
        if (rc != RK_OK) {
            rk_cli_error("form", rc);
            return rc;
        }
    } else if (rk_race_kind_parse(race_arg, &kind) == RK_OK) {
        struct rk_election e;
        rc = rk_store_election_by_slug(s, election_slug, &e);
        if (rc != RK_OK) {
            fprintf(stderr, "rekap: form: election '%s' not found / pemilihan '%s' tidak ada\n",
                    election_slug, election_slug);
            return rc;
        }
        struct race_pick p = {.kind = kind, .tps = tps};
        rc = rk_store_race_list(s, e.id, tps, pick_race, &p);
        if (rc != RK_OK) {
            rk_cli_error("form", rc);
            return rc;
        }
        if (p.n != 1) {
            fprintf(stderr, "rekap: form: no %s race covers TPS %s in %s / tidak ada pemilihan "
                            "%s untuk TPS ini\n",
                    race_arg, tps, election_slug, race_arg);
            return RK_ENOTFOUND;
        }
        race = p.found;
    } else {
        fprintf(stderr, "rekap: form: --race must be a race id or gubernur/bupati/walikota / "
                        "--race harus id pemilihan atau gubernur/bupati/walikota\n");
        return RK_EINVAL;
    }
    if (race.kind == RK_RACE_PRESIDENT) {
        fprintf(stderr, "rekap: form: race %lld is not a Pilkada race; C.Hasil-KWK covers "
                        "gubernur/bupati/walikota / bukan pemilihan kepala daerah\n",
                (long long)race.id);
        return RK_EUNSUPPORTED;
    }
    if (strncmp(tps, race.region_code, strlen(race.region_code)) != 0) {
        fprintf(stderr, "rekap: form: race %lld (%s) does not cover TPS %s / pemilihan ini tidak "
                        "mencakup TPS %s\n",
                (long long)race.id, race.name, tps, tps);
        return RK_EINVAL;
    }
    struct rk_election e;
    if ((rc = rk_store_election_get(s, race.election_id, &e)) != RK_OK) {
        rk_cli_error("form: election", rc);
        return rc;
    }
    snprintf(info->election_slug, sizeof info->election_slug, "%s", e.slug);
    info->year = e.year;
    info->kind = race.kind;
    snprintf(info->race_region, sizeof info->race_region, "%s", race.region_code);
    snprintf(info->tps, sizeof info->tps, "%s", tps);
    struct rk_region rr;
    if (rk_store_region_get(s, race.region_code, &rr) == RK_OK)
        snprintf(info->race_region_name, sizeof info->race_region_name, "%s", rr.name);
    ancestor_name(s, tps, RK_LEVEL_PROVINCE, info->provinsi, sizeof info->provinsi);
    ancestor_name(s, tps, RK_LEVEL_KABKOTA, info->kabkota, sizeof info->kabkota);
    ancestor_name(s, tps, RK_LEVEL_KECAMATAN, info->kecamatan, sizeof info->kecamatan);
    ancestor_name(s, tps, RK_LEVEL_DESA, info->desa, sizeof info->desa);
    int n = 0;
    rc = rk_store_candidate_list(s, race.id, info->cand, RK_CANDIDATES_MAX, &n);
    if (rc != RK_OK) {
        rk_cli_error("form: candidates", rc);
        return rc;
    }
    info->ncand = n;
    const char *why = "";
    if ((rc = rk_form_info_check(info, &why)) != RK_OK) {
        fprintf(stderr, "rekap: form: race %lld cannot be printed: %s / data pemilihan tidak "
                        "lengkap (%d paslon)\n",
                (long long)race.id, why, n);
        return rc;
    }
    return RK_OK;
}

static int file_write(void *ud, const unsigned char *data, size_t len)
{
    return fwrite(data, 1, len, ud) == len ? 0 : -1;
}

/* Renders into path via path.tmp + rename. */
static int render_to(const char *path, const struct rk_form_template *t,
                     const struct rk_form_info *info, const struct rk_form_render_opts *o)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "rekap: form: output path too long / nama berkas terlalu panjang\n");
        return RK_ERANGE;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "rekap: form: cannot write %s: %s / tidak dapat menulis berkas\n", path,
                strerror(errno));
        return RK_EIO;
    }
    int rc = rk_form_render(t, info, o, file_write, f);
    if (fclose(f) != 0 && rc == RK_OK)
        rc = RK_EIO;
    if (rc == RK_OK && rename(tmp, path) != 0)
        rc = RK_EIO;
    if (rc != RK_OK) {
        unlink(tmp);
        fprintf(stderr, "rekap: form: rendering %s failed: %s / gagal membuat formulir: %s\n",
                path, rk_strerror(rc), rk_strerror_id(rc));
        return rc;
    }
    printf("%s\n", path);
    return RK_OK;
}

/* Parses an integer option within [lo, hi]. */
static int int_opt(const char *s, int lo, int hi, int *out)
{
    uint64_t v;
    if (rk_parse_u64(s, strlen(s), (uint64_t)hi, &v) != RK_OK || v < (uint64_t)lo)
        return RK_EINVAL;
    *out = (int)v;
    return RK_OK;
}

static int load_fill(const char *path, int ncand, struct rk_form_values *vals)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = rk_cli_slurp(path, RK_FORM_TEMPLATE_MAX, &buf, &len);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: form: %s: %s / %s\n", path, rk_strerror(rc), rk_strerror_id(rc));
        return rc;
    }
    struct rk_form_error e;
    rc = rk_form_values_parse(buf, len, vals, &e);
    free(buf);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: form: %s: %s%s%s / isian tidak valid\n", path, e.where,
                e.where[0] ? ": " : "", e.message);
        return rc;
    }
    for (int f = 0; f < RK_FORM_FIELDS; f++) {
        int p = rk_form_field_paslon(f);
        if (p > ncand && vals->v[f] >= 0) {
            fprintf(stderr, "rekap: form: %s: %s but the race has %d candidates / paslon nomor "
                            "%d tidak ada\n",
                    path, rk_form_field_name(f), ncand, p);
            return RK_EINVAL;
        }
    }
    return RK_OK;
}

static int cmd_print(int argc, char **argv)
{
    const char *db = rk_cli_default_db(), *tps = NULL, *race = NULL, *out = NULL;
    const char *tpl_path = NULL, *fill_path = NULL, *election = "pilkada2024";
    struct rk_form_render_opts o = {.format = RK_FORM_PDF, .scale = 1, .dpi = 150};
    bool plano = false;
    int seed = 1;
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},       {"tps", required_argument, 0, 't'},
        {"race", required_argument, 0, 'r'},     {"election", required_argument, 0, 'e'},
        {"format", required_argument, 0, 'f'},   {"scale", required_argument, 0, 's'},
        {"dpi", required_argument, 0, 'D'},      {"page", required_argument, 0, 'p'},
        {"out", required_argument, 0, 'o'},      {"template", required_argument, 0, 'T'},
        {"fill", required_argument, 0, 'F'},     {"seed", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:t:r:e:f:s:D:p:o:T:F:S:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 't': tps = optarg; break;
        case 'r': race = optarg; break;
        case 'e': election = optarg; break;
        case 'o': out = optarg; break;
        case 'T': tpl_path = optarg; break;
        case 'F': fill_path = optarg; break;
        case 'f':
            if (strcmp(optarg, "pdf") == 0)
                o.format = RK_FORM_PDF;
            else if (strcmp(optarg, "png") == 0)
                o.format = RK_FORM_PNG;
            else
                goto usage;
            break;
        case 's':
            if (strcmp(optarg, "a4") == 0)
                plano = false;
            else if (strcmp(optarg, "plano") == 0)
                plano = true;
            else
                goto usage;
            break;
        case 'D':
            if (int_opt(optarg, RK_FORM_DPI_MIN, RK_FORM_DPI_MAX, &o.dpi) != RK_OK) {
                fprintf(stderr, "rekap: form: --dpi must be %d..%d / --dpi harus %d..%d\n",
                        RK_FORM_DPI_MIN, RK_FORM_DPI_MAX, RK_FORM_DPI_MIN, RK_FORM_DPI_MAX);
                return 2;
            }
            break;
        case 'p':
            if (int_opt(optarg, 1, RK_FORM_PAGES_MAX, &o.page) != RK_OK)
                goto usage;
            break;
        case 'S':
            if (int_opt(optarg, 0, 1000000000, &seed) != RK_OK)
                goto usage;
            break;
        default:
            goto usage;
        }
    }
    if (optind != argc || !tps || !race || !out)
        goto usage;
    o.seed = (uint32_t)seed;
    struct rk_form_template t;
    if (load_template(tpl_path, &t) != RK_OK)
        return 1;
    int status = 1;
    struct rk_store *s = NULL;
    struct rk_form_info info;
    struct rk_form_values vals;
    if (o.page > t.pages) {
        fprintf(stderr, "rekap: form: --page %d but the form has %d pages / formulir hanya %d "
                        "halaman\n",
                o.page, t.pages, t.pages);
        goto done;
    }
    int rc = rk_store_open(db, &s);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: cannot open store '%s': %s / basis data tidak dapat dibuka\n", db,
                rk_strerror(rc));
        goto done;
    }
    if (load_info(s, tps, race, election, &info) != RK_OK)
        goto done;
    if (fill_path) {
        if (load_fill(fill_path, info.ncand, &vals) != RK_OK)
            goto done;
        o.fill = &vals;
    }
    if (plano)
        o.scale = t.plano_scale;
    if (o.format == RK_FORM_PNG && o.page == 0) {
        /* One PNG per page: OUT.png becomes OUT-1.png, OUT-2.png ... */
        const char *dot = strrchr(out, '.');
        size_t stem = dot && !strchr(dot, '/') ? (size_t)(dot - out) : strlen(out);
        for (int p = 1; p <= t.pages; p++) {
            char path[4096];
            if (snprintf(path, sizeof path, "%.*s-%d%s", (int)stem, out, p, out + stem) >=
                (int)sizeof path)
                goto done;
            o.page = p;
            if (render_to(path, &t, &info, &o) != RK_OK)
                goto done;
        }
    } else if (render_to(out, &t, &info, &o) != RK_OK) {
        goto done;
    }
    status = 0;
done:
    rk_store_close(s);
    rk_form_template_free(&t);
    rk_form_render_shutdown(); /* font caches: leak checkers want a clean exit */
    return status;
usage:
    fprintf(stderr,
            "usage: rekap form print [--db FILE] --tps CODE --race ID|gubernur|bupati|walikota\n"
            "         [--election SLUG] [--format pdf|png] [--scale a4|plano] [--dpi N]\n"
            "         [--page N] [--template FILE] [--fill VALUES.json] [--seed N] --out FILE\n");
    return 2;
}

static int cmd_template(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: rekap form template > layout.json\n");
        return 2;
    }
    size_t len;
    const char *json = rk_form_builtin_json(&len);
    return fwrite(json, 1, len, stdout) == len ? 0 : 1;
}

static int cmd_check(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: rekap form check TEMPLATE.json\n");
        return 2;
    }
    struct rk_form_template t;
    if (load_template(argv[1], &t) != RK_OK)
        return 1;
    int fields = 0;
    for (int p = 0; p < t.pages; p++)
        for (int i = 0; i < t.page[p].n; i++)
            fields += t.page[p].items[i].type == RK_FORM_FIELD;
    printf("%s: ok: id %s, %d pages, %d fields + candidate votes / templat valid\n", argv[1], t.id,
           t.pages, fields);
    rk_form_template_free(&t);
    return 0;
}

int rk_cmd_form(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "print") == 0)
        return cmd_print(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "template") == 0)
        return cmd_template(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    fprintf(stderr, "usage: rekap form print|template|check ...\n"
                    "  print     cetak formulir C.Hasil-KWK / print a C.Hasil-KWK form\n"
                    "  template  tampilkan templat bawaan / print the built-in layout JSON\n"
                    "  check     periksa templat / validate a layout template\n");
    return 2;
}
