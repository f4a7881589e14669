/* Importers: file -> validated model structs -> store, inside one transaction. Regions are
 * read whole and inserted parents-first, so a file in any order imports, and an orphan is
 * reported against the line that holds it. */
#include "cli/import.h"
#include "cli/cli.h"
#include "cli/io.h"
#include "rekap/csv.h"
#include "rekap/paslon.h"
#include "rekap/status.h"
#include "rekap/text.h"
#include "store/pipeline.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TPS_VOTERS_MAX 600 /* Pilkada 2024 cap per TPS */

struct region_row {
    struct rk_region r;
    long lineno;
};

struct region_load {
    struct region_row *rows;
    size_t n, cap;
    const char *path;
    FILE *err;
};

static int region_line(void *ud, char *line, size_t len, long lineno)
{
    struct region_load *L = ud;
    struct rk_csv_field f[3];
    int nf;
    if (len == 0)
        return RK_OK;
    int rc = rk_csv_split(line, len, f, 3, &nf);
    if (rc != RK_OK || nf != 2) {
        fprintf(L->err, "%s:%ld: expected two fields kode,nama / harus dua kolom kode,nama\n",
                L->path, lineno);
        return rc != RK_OK ? rc : RK_EPARSE;
    }
    if (lineno == 1 && f[0].len == 4 && memcmp(f[0].s, "kode", 4) == 0)
        return RK_OK; /* header */
    if (L->n == L->cap) {
        size_t cap = L->cap ? L->cap * 2 : 1024;
        struct region_row *nr = realloc(L->rows, cap * sizeof *nr);
        if (!nr)
            return RK_ENOMEM;
        L->rows = nr, L->cap = cap;
    }
    struct region_row *row = &L->rows[L->n];
    rc = rk_region_init(&row->r, f[0].s, f[0].len, f[1].s, f[1].len);
    if (rc != RK_OK) {
        fprintf(L->err, "%s:%ld: %s '%.*s' / %s\n", L->path, lineno,
                rk_code_parse(f[0].s, f[0].len, row->r.code, NULL) == RK_OK
                    ? "bad region name"
                    : "bad region code",
                (int)(f[0].len > 20 ? 20 : f[0].len), f[0].s,
                rk_code_parse(f[0].s, f[0].len, row->r.code, NULL) == RK_OK
                    ? "nama wilayah tidak valid"
                    : "kode wilayah tidak valid");
        return rc;
    }
    if (row->r.level == RK_LEVEL_TPS) {
        fprintf(L->err, "%s:%ld: TPS code in a region file, use import-tps / kode TPS, pakai "
                        "import-tps\n",
                L->path, lineno);
        return RK_EINVAL;
    }
    row->lineno = lineno;
    L->n++;
    return RK_OK;
}

static int by_level_then_line(const void *a, const void *b)
{
    const struct region_row *x = a, *y = b;
    if (x->r.level != y->r.level)
        return (int)x->r.level - (int)y->r.level;
    return (x->lineno > y->lineno) - (x->lineno < y->lineno);
}

static void report_put_error(FILE *err, const char *path, long lineno, const char *code, int rc)
{
    if (rc == RK_EEXIST)
        fprintf(err, "%s:%ld: duplicate code %s / kode %s ganda\n", path, lineno, code, code);
    else if (rc == RK_EORPHAN)
        fprintf(err, "%s:%ld: parent of %s does not exist / induk %s tidak ada\n", path, lineno,
                code, code);
    else
        fprintf(err, "%s:%ld: %s: %s\n", path, lineno, code, rk_strerror(rc));
}

int rk_import_regions(struct rk_store *s, const char *path, FILE *err, struct rk_import_report *rep)
{
    struct region_load L = {.path = path, .err = err};
    long bad = 0;
    memset(rep, 0, sizeof *rep);
    int rc = rk_cli_each_line(path, RK_CSV_LINE_MAX, region_line, &L, &bad);
    if (rc == RK_EIO)
        fprintf(err, "%s: cannot read / tidak dapat dibaca\n", path);
    else if (rc == RK_ETOOBIG)
        fprintf(err, "%s:%ld: line too long / baris terlalu panjang\n", path, bad);
    if (rc != RK_OK)
        goto out;
    qsort(L.rows, L.n, sizeof *L.rows, by_level_then_line);
    if ((rc = rk_store_begin(s)) != RK_OK) {
        fprintf(err, "%s: %s\n", path, rk_store_errmsg(s));
        goto out;
    }
    for (size_t i = 0; i < L.n; i++) {
        rc = rk_store_region_put(s, &L.rows[i].r);
        if (rc != RK_OK) {
            report_put_error(err, path, L.rows[i].lineno, L.rows[i].r.code, rc);
            rk_store_rollback(s);
            memset(rep->added, 0, sizeof rep->added);
            goto out;
        }
        rep->added[L.rows[i].r.level]++;
    }
    rep->rows = (int64_t)L.n;
    if ((rc = rk_store_commit(s)) != RK_OK) {
        fprintf(err, "%s: commit: %s\n", path, rk_store_errmsg(s));
        rk_store_rollback(s);
    }
out:
    free(L.rows);
    return rc;
}

struct tps_load {
    struct rk_store *s;
    const char *path;
    FILE *err;
    enum rk_missing_policy missing;
    struct rk_import_report *rep;
};

/* Creates every missing ancestor of code, top-down, as a placeholder named by its code. */
static int create_ancestors(struct tps_load *T, const char *code)
{
    int level = rk_code_level(code);
    for (int l = RK_LEVEL_PROVINCE; l < level; l++) {
        struct rk_region r;
        memset(&r, 0, sizeof r);
        rk_code_ancestor(code, (enum rk_level)l, r.code);
        if (rk_store_region_get(T->s, r.code, &r) == RK_OK)
            continue;
        r.level = (enum rk_level)l;
        snprintf(r.name, sizeof r.name, "(%s)", r.code);
        int rc = rk_store_region_put(T->s, &r);
        if (rc != RK_OK)
            return rc;
        T->rep->added[l]++;
    }
    return RK_OK;
}

static int tps_line(void *ud, char *line, size_t len, long lineno)
{
    struct tps_load *T = ud;
    struct rk_csv_field f[4];
    int nf;
    if (len == 0)
        return RK_OK;
    int rc = rk_csv_split(line, len, f, 4, &nf);
    if (rc != RK_OK || (nf != 1 && nf != 3)) {
        fprintf(T->err, "%s:%ld: expected CODE or CODE,DPT_L,DPT_P / harus KODE atau "
                        "KODE,DPT_L,DPT_P\n",
                T->path, lineno);
        return rc != RK_OK ? rc : RK_EPARSE;
    }
    if (lineno == 1 && f[0].len == 4 && memcmp(f[0].s, "kode", 4) == 0)
        return RK_OK;
    struct rk_region r;
    memset(&r, 0, sizeof r);
    if (rk_code_parse(f[0].s, f[0].len, r.code, &r.level) != RK_OK || r.level != RK_LEVEL_TPS) {
        fprintf(T->err, "%s:%ld: not a 13-digit TPS code: '%.*s' / bukan kode TPS 13 digit\n",
                T->path, lineno, (int)(f[0].len > 20 ? 20 : f[0].len), f[0].s);
        return RK_EINVAL;
    }
    snprintf(r.name, sizeof r.name, "TPS %s", r.code + 10);
    if (nf == 3) {
        uint64_t l, p;
        if (rk_parse_u64(f[1].s, f[1].len, TPS_VOTERS_MAX, &l) != RK_OK ||
            rk_parse_u64(f[2].s, f[2].len, TPS_VOTERS_MAX, &p) != RK_OK ||
            l + p > TPS_VOTERS_MAX) {
            fprintf(T->err, "%s:%ld: voters must be 0..600 per TPS / pemilih harus 0..600 per "
                            "TPS\n",
                    T->path, lineno);
            return RK_ERANGE;
        }
        r.dpt_l = (uint32_t)l, r.dpt_p = (uint32_t)p;
    }
    T->rep->rows++;
    rc = rk_store_region_put(T->s, &r);
    if (rc == RK_EORPHAN && T->missing == RK_MISSING_SKIP) {
        T->rep->skipped++;
        return RK_OK;
    }
    if (rc == RK_EORPHAN && T->missing == RK_MISSING_CREATE) {
        if ((rc = create_ancestors(T, r.code)) == RK_OK)
            rc = rk_store_region_put(T->s, &r);
    }
    if (rc != RK_OK) {
        report_put_error(T->err, T->path, lineno, r.code, rc);
        return rc;
    }
    T->rep->added[RK_LEVEL_TPS]++;
    return RK_OK;
}

int rk_import_tps(struct rk_store *s, const char *path, enum rk_missing_policy missing, FILE *err,
                  struct rk_import_report *rep)
{
    struct tps_load T = {.s = s, .path = path, .err = err, .missing = missing, .rep = rep};
    memset(rep, 0, sizeof *rep);
    int rc = rk_store_begin(s);
    if (rc != RK_OK) {
        fprintf(err, "%s: %s\n", path, rk_store_errmsg(s));
        return rc;
    }
    long bad = 0;
    rc = rk_cli_each_line(path, RK_CSV_LINE_MAX, tps_line, &T, &bad);
    if (rc == RK_EIO)
        fprintf(err, "%s: cannot read / tidak dapat dibaca\n", path);
    else if (rc == RK_ETOOBIG)
        fprintf(err, "%s:%ld: line too long / baris terlalu panjang\n", path, bad);
    if (rc == RK_OK)
        rc = rk_store_commit(s);
    if (rc != RK_OK) {
        rk_store_rollback(s);
        memset(rep->added, 0, sizeof rep->added);
    }
    return rc;
}

int rk_ensure_election(struct rk_store *s, const char *slug, struct rk_election *out)
{
    int rc = rk_store_election_by_slug(s, slug, out);
    if (rc != RK_ENOTFOUND)
        return rc;
    memset(out, 0, sizeof *out);
    if (rk_election_slug_check(slug) != RK_OK)
        return RK_EINVAL;
    snprintf(out->slug, sizeof out->slug, "%s", slug);
    out->kind = strncmp(slug, "pemilu", 6) == 0 ? RK_ELECTION_PEMILU : RK_ELECTION_PILKADA;
    const char *digits = slug + strcspn(slug, "0123456789");
    out->year = *digits ? atoi(digits) : 2024;
    snprintf(out->name, sizeof out->name, "%s %d",
             out->kind == RK_ELECTION_PILKADA ? "Pemilihan Serentak" : "Pemilihan Umum", out->year);
    return rk_store_election_put(s, out);
}

struct cand_load {
    struct rk_store *s;
    const struct rk_election *e;
    const char *path;
    FILE *err;
    struct rk_import_report *rep;
};

static int cand_race(void *ud, const struct rk_paslon_race *pr)
{
    struct cand_load *C = ud;
    struct rk_region reg;
    int rc = rk_store_region_get(C->s, pr->region_code, &reg);
    if (rc != RK_OK) {
        fprintf(C->err, "%s: race %s: region not imported / wilayah belum diimpor\n", C->path,
                pr->region_code);
        return rc == RK_ENOTFOUND ? RK_EORPHAN : rc;
    }
    struct rk_race race = {.election_id = C->e->id, .kind = pr->kind};
    memcpy(race.region_code, pr->region_code, sizeof race.region_code);
    snprintf(race.name, sizeof race.name, "%s %s", rk_race_kind_label(pr->kind), reg.name);
    if ((rc = rk_store_race_put(C->s, &race)) != RK_OK) {
        fprintf(C->err, "%s: race %s: %s\n", C->path, pr->region_code,
                rc == RK_EEXIST ? "already imported / sudah diimpor" : rk_strerror(rc));
        return rc;
    }
    C->rep->races++;
    for (int i = 0; i < pr->n; i++) {
        struct rk_candidate c = pr->cand[i];
        c.race_id = race.id;
        if ((rc = rk_store_candidate_put(C->s, &c)) != RK_OK) {
            fprintf(C->err, "%s: candidate %lld: %s\n", C->path, (long long)c.id,
                    rc == RK_EEXIST ? "duplicate id / id ganda" : rk_strerror(rc));
            return rc;
        }
        C->rep->candidates++;
    }
    /* The race and its columns go into the transparency log in the same transaction, so a
     * result's columns can always be checked against what was published on election day. */
    char actor[RK_CLI_ACTOR_MAX + 1];
    if ((rc = rk_cli_actor(NULL, actor)) != RK_OK)
        return rc;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if ((rc = rk_log_race_config(C->s, actor, race.id,
                                 (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000)) != RK_OK)
        fprintf(C->err, "%s: race %s: log: %s\n", C->path, pr->region_code, rk_strerror(rc));
    return rc;
}

int rk_import_candidates(struct rk_store *s, const char *path, const char *election_slug, FILE *err,
                         struct rk_import_report *rep)
{
    char *buf = NULL;
    size_t len = 0;
    memset(rep, 0, sizeof *rep);
    int rc = rk_cli_slurp(path, RK_PASLON_FILE_MAX, &buf, &len);
    if (rc != RK_OK) {
        fprintf(err, "%s: %s\n", path, rk_strerror(rc));
        return rc;
    }
    if ((rc = rk_store_begin(s)) != RK_OK) {
        free(buf);
        return rc;
    }
    struct rk_election e;
    if ((rc = rk_ensure_election(s, election_slug, &e)) != RK_OK) {
        fprintf(err, "%s: election '%s': %s\n", path, election_slug, rk_strerror(rc));
        goto fail;
    }
    struct cand_load C = {.s = s, .e = &e, .path = path, .err = err, .rep = rep};
    struct rk_paslon_error perr;
    rc = rk_paslon_parse(buf, len, cand_race, &C, &perr);
    if (rc != RK_OK) {
        if (perr.message[0]) {
            if (perr.line)
                fprintf(err, "%s:%d: %s\n", path, perr.line, perr.message);
            else
                fprintf(err, "%s: %s: %s\n", path, perr.where, perr.message);
        }
        goto fail;
    }
    if ((rc = rk_store_commit(s)) != RK_OK)
        goto fail;
    free(buf);
    return RK_OK;
fail:
    rk_store_rollback(s);
    rep->races = rep->candidates = 0;
    free(buf);
    return rc;
}

/* ---- subcommands ---- */

static int open_store(const char *db, struct rk_store **s)
{
    int rc = rk_store_open(db, s);
    if (rc != RK_OK)
        fprintf(stderr, "rekap: cannot open store '%s': %s / basis data tidak dapat dibuka\n", db,
                rk_strerror(rc));
    return rc;
}

static void print_added(const struct rk_import_report *rep)
{
    for (int l = RK_LEVEL_PROVINCE; l < RK_LEVEL_COUNT; l++)
        if (rep->added[l])
            printf("%s=%lld ", rk_level_name((enum rk_level)l, 1), (long long)rep->added[l]);
}

int rk_cmd_import_regions(int argc, char **argv)
{
    const char *db = rk_cli_default_db();
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else
            goto usage;
    }
    if (optind != argc - 1)
        goto usage;
    struct rk_store *s;
    if (open_store(db, &s) != RK_OK)
        return 1;
    struct rk_import_report rep;
    int rc = rk_import_regions(s, argv[optind], stderr, &rep);
    rk_store_close(s);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: import-regions: nothing imported / tidak ada yang diimpor\n");
        return 1;
    }
    printf("imported %lld regions: ", (long long)rep.rows);
    print_added(&rep);
    printf("\n");
    return 0;
usage:
    fprintf(stderr, "usage: rekap import-regions [--db FILE] WILAYAH.csv[.gz]\n");
    return 2;
}

int rk_cmd_import_tps(int argc, char **argv)
{
    const char *db = rk_cli_default_db();
    enum rk_missing_policy missing = RK_MISSING_ERROR;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"missing", required_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:m:h", opts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'm') {
            if (strcmp(optarg, "error") == 0)
                missing = RK_MISSING_ERROR;
            else if (strcmp(optarg, "skip") == 0)
                missing = RK_MISSING_SKIP;
            else if (strcmp(optarg, "create") == 0)
                missing = RK_MISSING_CREATE;
            else
                goto usage;
        } else {
            goto usage;
        }
    }
    if (optind != argc - 1)
        goto usage;
    struct rk_store *s;
    if (open_store(db, &s) != RK_OK)
        return 1;
    struct rk_import_report rep;
    int rc = rk_import_tps(s, argv[optind], missing, stderr, &rep);
    rk_store_close(s);
    if (rc != RK_OK) {
        fprintf(stderr, "rekap: import-tps: nothing imported / tidak ada yang diimpor\n");
        return 1;
    }
    printf("imported %lld TPS (%lld skipped, unknown desa): ", (long long)rep.added[RK_LEVEL_TPS],
           (long long)rep.skipped);
    print_added(&rep);
    printf("\n");
    return 0;
usage:
    fprintf(stderr, "usage: rekap import-tps [--db FILE] [--missing error|skip|create] "
                    "TPS.txt[.gz]\n");
    return 2;
}

int rk_cmd_import_candidates(int argc, char **argv)
{
    const char *db = rk_cli_default_db();
    const char *slug = "pilkada2024";
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"election", required_argument, 0, 'e'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:e:h", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'e')
            slug = optarg;
        else
            goto usage;
    }
    if (optind >= argc)
        goto usage;
    struct rk_store *s;
    if (open_store(db, &s) != RK_OK)
        return 1;
    int status = 0;
    for (int i = optind; i < argc && status == 0; i++) {
        struct rk_import_report rep;
        if (rk_import_candidates(s, argv[i], slug, stderr, &rep) != RK_OK) {
            fprintf(stderr, "rekap: import-candidates: %s: nothing imported / tidak ada yang "
                            "diimpor\n",
                    argv[i]);
            status = 1;
        } else {
            printf("%s: imported %lld races, %lld candidate pairs into %s\n", argv[i],
                   (long long)rep.races, (long long)rep.candidates, slug);
        }
    }
    rk_store_close(s);
    return status;
usage:
    fprintf(stderr, "usage: rekap import-candidates [--db FILE] [--election SLUG] "
                    "PASLON.json...\n");
    return 2;
}
