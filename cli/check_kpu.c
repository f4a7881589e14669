/* rekap check-kpu: runs the C.Hasil validator over KPU portal per-TPS JSON files, to measure how
 * often the published numbers break the form's arithmetic. The parsing of one document lives in
 * lib/kpu.c (fuzzable); this file only walks paths, counts and prints. */
#include "cli/cli.h"
#include "cli/io.h"
#include "rekap/kpu.h"
#include "rekap/status.h"
#include "rekap/validate.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CAND_IDS_MAX RK_CHASIL_PASLON_MAX
#define FILES_MAX 10000000 /* refuse to walk more than ten million files */

struct paths {
    char **v;
    size_t n, cap;
};

static int paths_add(struct paths *p, const char *s)
{
    if (p->n >= FILES_MAX)
        return RK_ETOOBIG;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        char **nv = realloc(p->v, cap * sizeof *nv);
        if (!nv)
            return RK_ENOMEM;
        p->v = nv, p->cap = cap;
    }
    if (!(p->v[p->n] = strdup(s)))
        return RK_ENOMEM;
    p->n++;
    return RK_OK;
}

static void paths_free(struct paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_json(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Adds path, or every *.json below it when it is a directory (symlinks not followed into
 * directories, so a link loop cannot hang the walk). */
static int collect(struct paths *p, const char *path, int depth)
{
    struct stat st;
    if (depth > 32)
        return RK_OK;
    if ((depth == 0 ? stat(path, &st) : lstat(path, &st)) != 0) {
        fprintf(stderr, "rekap: check-kpu: %s: %s / tidak dapat dibuka\n", path, strerror(errno));
        return RK_EIO;
    }
    if (S_ISREG(st.st_mode))
        return depth == 0 || ends_with_json(path) ? paths_add(p, path) : RK_OK;
    if (!S_ISDIR(st.st_mode))
        return RK_OK;
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "rekap: check-kpu: %s: %s / tidak dapat dibuka\n", path, strerror(errno));
        return RK_EIO;
    }
    int rc = RK_OK;
    struct dirent *e;
    while (rc == RK_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (!child) {
            rc = RK_ENOMEM;
            break;
        }
        snprintf(child, n, "%s/%s", path, e->d_name);
        rc = collect(p, child, depth + 1);
        free(child);
    }
    closedir(d);
    return rc;
}

/* The TPS code from a file name "3173011006272.json", or NULL to let the parser take it from
 * the image URLs. */
static const char *code_from_name(const char *path, char out[RK_CODE_MAX + 1])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strspn(base, "0123456789");
    enum rk_level level;
    if (n != RK_CODE_MAX || strcmp(base + n, ".json") != 0 ||
        rk_code_parse(base, n, out, &level) != RK_OK || level != RK_LEVEL_TPS)
        return NULL;
    return out;
}

static int parse_ids(const char *s, int64_t *ids, int *n)
{
    *n = 0;
    while (*s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || errno || v <= 0 || *n == CAND_IDS_MAX || (*end && *end != ','))
            return RK_EINVAL;
        ids[(*n)++] = v;
        s = *end ? end + 1 : end;
    }
    return *n >= RK_CHASIL_PASLON_MIN ? RK_OK : RK_EINVAL;
}

struct tally {
    long files, checked, complete, partial, not_uploaded, unreadable, failing, flagged;
    long rule_docs[RK_RULE_COUNT];
};

static void print_text_summary(const struct tally *t)
{
    printf("\ncheck-kpu: %ld berkas / files\n", t->files);
    printf("  diperiksa / checked:                   %6ld (lengkap / complete %ld, sebagian / "
           "partial %ld)\n",
           t->checked, t->complete, t->partial);
    printf("  belum diunggah / not uploaded:         %6ld\n", t->not_uploaded);
    printf("  tidak terbaca / unreadable:            %6ld\n", t->unreadable);
    printf("  melanggar aturan wajib / break a hard rule: %ld\n", t->failing);
    printf("  hanya ditandai / flagged only (soft):  %6ld\n\n", t->flagged);
    printf("%-18s %-5s %9s  %s\n", "aturan/rule", "jenis", "dokumen", "keterangan / description");
    for (int r = 0; r < RK_RULE_COUNT; r++) {
        const struct rk_rule_info *ri = rk_rule_get((enum rk_rule)r);
        printf("%-18s %-5s %9ld  %s / %s\n", ri->code, ri->severity == RK_SEV_HARD ? "hard" : "soft",
               t->rule_docs[r], ri->text_id, ri->text_en);
    }
}

static json_t *json_summary(const struct tally *t, json_t *docs, json_t *errors)
{
    json_t *rules = json_array();
    for (int r = 0; rules && r < RK_RULE_COUNT; r++) {
        const struct rk_rule_info *ri = rk_rule_get((enum rk_rule)r);
        json_array_append_new(rules, json_pack("{s:s, s:s, s:I}", "code", ri->code, "severity",
                                               ri->severity == RK_SEV_HARD ? "hard" : "soft",
                                               "documents", (json_int_t)t->rule_docs[r]));
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "files",
                     (json_int_t)t->files, "checked", (json_int_t)t->checked, "complete",
                     (json_int_t)t->complete, "partial", (json_int_t)t->partial, "not_uploaded",
                     (json_int_t)t->not_uploaded, "unreadable", (json_int_t)t->unreadable,
                     "failing", (json_int_t)t->failing, "flagged", (json_int_t)t->flagged,
                     "rules", rules, "documents", docs, "errors", errors);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rekap check-kpu [--json] [--election SLUG] [--candidates ID,ID[,...]] PATH...\n"
            "  Memeriksa aritmetika dokumen JSON per TPS dari portal KPU (berkas atau direktori\n"
            "  berisi *.json) / checks the arithmetic of KPU portal per-TPS JSON documents.\n"
            "  --election SLUG     pemilu2024 (default: 300 voters/TPS, 2%% reserve) or a pilkada\n"
            "                      slug (600 voters/TPS, 2.5%% reserve)\n"
            "  --candidates IDS    candidate ids in ballot order (default: ascending id order,\n"
            "                      right for the 2024 presidential race 100025,100026,100027)\n"
            "  --json              machine-readable output\n"
            "  Exit: 0 no document breaks a hard rule, 1 some do or a file is unreadable, 2 usage.\n");
}

int rk_cmd_check_kpu(int argc, char **argv)
{
    bool as_json = false;
    const char *election = "pemilu2024";
    int64_t ids[CAND_IDS_MAX];
    int n_ids = 0;
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"election", required_argument, 0, 'e'},
                                         {"candidates", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "je:c:h", opts, NULL)) != -1) {
        if (c == 'j') {
            as_json = true;
        } else if (c == 'e') {
            election = optarg;
            if (rk_election_slug_check(election) != RK_OK) {
                fprintf(stderr, "rekap: check-kpu: bad election slug / slug pemilihan tidak "
                                "valid: %s\n", election);
                return 2;
            }
        } else if (c == 'c') {
            if (parse_ids(optarg, ids, &n_ids) != RK_OK) {
                fprintf(stderr, "rekap: check-kpu: --candidates needs 2..6 positive ids / perlu "
                                "2..6 id paslon\n");
                return 2;
            }
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }

    struct paths files = {0};
    int rc = RK_OK;
    for (int i = optind; i < argc && rc != RK_ENOMEM && rc != RK_ETOOBIG; i++)
        rc = collect(&files, argv[i], 0);
    if (rc != RK_OK) {
        if (rc != RK_EIO)
            rk_cli_error("check-kpu", rc);
        paths_free(&files);
        return 1;
    }
    qsort(files.v, files.n, sizeof files.v[0], by_str);

    struct rk_validate_ctx base;
    rk_validate_ctx_init(&base, strncmp(election, "pilkada", 7) == 0 ? RK_ELECTION_PILKADA
                                                                     : RK_ELECTION_PEMILU);
    struct rk_kpu_opts kopts = {.election = election,
                                .cand_ids = n_ids ? ids : NULL,
                                .n_cand = n_ids};
    struct tally t = {0};
    json_t *docs = as_json ? json_array() : NULL;
    json_t *errors = as_json ? json_array() : NULL;
    struct rk_violation *viol = malloc(RK_VIOLATIONS_MAX * sizeof *viol);
    if (!viol || (as_json && (!docs || !errors))) {
        rk_cli_error("check-kpu", RK_ENOMEM);
        free(viol);
        json_decref(docs);
        json_decref(errors);
        paths_free(&files);
        return 1;
    }

    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.v[i];
        t.files++;
        char *buf = NULL;
        size_t len = 0;
        char code[RK_CODE_MAX + 1];
        struct rk_chasil doc;
        enum rk_kpu_state state = RK_KPU_EMPTY;
        struct rk_kpu_error kerr = {{0}, {0}};
        kopts.tps_code = code_from_name(path, code);
        rc = rk_cli_slurp(path, RK_KPU_DOC_MAX, &buf, &len);
        if (rc == RK_OK)
            rc = rk_kpu_parse_tps(buf, len, &kopts, &doc, &state, &kerr);
        else
            snprintf(kerr.message, sizeof kerr.message, "%s", rk_strerror(rc));
        free(buf);
        if (rc != RK_OK) {
            t.unreadable++;
            fprintf(stderr, "rekap: check-kpu: %s: %s%s%s / dokumen tidak dapat dibaca (%s)\n",
                    path, kerr.where, kerr.where[0] ? ": " : "", kerr.message,
                    rk_strerror_id(rc));
            if (errors)
                json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:s}", "file", path,
                                                        "status", rk_status_name(rc), "where",
                                                        kerr.where, "message", kerr.message));
            continue;
        }
        if (state == RK_KPU_EMPTY) {
            t.not_uploaded++;
            continue;
        }
        t.checked++;
        if (state == RK_KPU_FULL)
            t.complete++;
        else
            t.partial++;
        struct rk_validate_ctx ctx = base;
        if (strncmp(doc.tps, "99", 2) == 0)
            ctx.voter_cap = 0; /* abroad TPS/KSK/Pos have no in-country cap */
        size_t n = 0;
        int vrc = rk_validate(&doc, &ctx, viol, RK_VIOLATIONS_MAX, &n);
        if (n > RK_VIOLATIONS_MAX)
            n = RK_VIOLATIONS_MAX;
        if (n == 0)
            continue;
        bool seen[RK_RULE_COUNT] = {false};
        for (size_t k = 0; k < n; k++) {
            if (!seen[viol[k].rule])
                t.rule_docs[viol[k].rule]++;
            seen[viol[k].rule] = true;
        }
        if (vrc == RK_EVALIDATION)
            t.failing++;
        else
            t.flagged++;
        if (as_json) {
            json_t *v = rk_violations_json(viol, n);
            json_array_append_new(docs, json_pack("{s:s, s:s, s:s, s:o*}", "tps", doc.tps, "file",
                                                  path, "state",
                                                  state == RK_KPU_FULL ? "complete" : "partial",
                                                  "violations", v));
            continue;
        }
        printf("%s %s", vrc == RK_EVALIDATION ? "GAGAL/FAIL" : "TANDA/FLAG", doc.tps);
        for (int sev = RK_SEV_HARD; sev <= RK_SEV_SOFT; sev++) {
            bool first = true;
            for (int r = 0; r < RK_RULE_COUNT; r++) {
                if (!seen[r] || rk_rule_get((enum rk_rule)r)->severity != (enum rk_severity)sev)
                    continue;
                printf("%s%s", first ? (sev == RK_SEV_HARD ? " " : " soft: ") : ",",
                       rk_rule_get((enum rk_rule)r)->code);
                first = false;
            }
        }
        printf("\n");
    }
    free(viol);
    paths_free(&files);

    if (as_json) {
        json_t *out = json_summary(&t, docs, errors);
        if (!out || json_dumpf(out, stdout, JSON_INDENT(1)) != 0) {
            json_decref(out);
            rk_cli_error("check-kpu", RK_ENOMEM);
            return 1;
        }
        printf("\n");
        json_decref(out);
    } else {
        print_text_summary(&t);
    }
    return t.failing || t.unreadable ? 1 : 0;
}
