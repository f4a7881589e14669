/* C.Hasil arithmetic rules. Messages are written for a KPPS officer at the end of a long day:
 * name the place on the form (section numbers as printed), give the numbers and the sum they
 * should make, Bahasa Indonesia first. Arithmetic is done in 64 bits so portal values over 999
 * cannot overflow a sum. */
#include "rekap/validate.h"
#include "rekap/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct rk_rule_info rules[RK_RULE_COUNT] = {
    [RK_R1_DPT_LP] = {"R1_DPT_LP", RK_SEV_HARD, "Pemilih DPT (I.A): L + P = jumlah",
                      "Registered voters (I.A): men + women = total"},
    [RK_R1_B1_LP] = {"R1_B1_LP", RK_SEV_HARD, "Pengguna hak pilih DPT (I.B.1): L + P = jumlah",
                     "DPT voters (I.B.1): men + women = total"},
    [RK_R1_B2_LP] = {"R1_B2_LP", RK_SEV_HARD, "Pengguna hak pilih DPTb (I.B.2): L + P = jumlah",
                     "DPTb voters (I.B.2): men + women = total"},
    [RK_R1_B3_LP] = {"R1_B3_LP", RK_SEV_HARD, "Pengguna hak pilih DPK (I.B.3): L + P = jumlah",
                     "DPK voters (I.B.3): men + women = total"},
    [RK_R1_B4_LP] = {"R1_B4_LP", RK_SEV_HARD, "Jumlah pengguna hak pilih (I.B.4): L + P = jumlah",
                     "Total voters (I.B.4): men + women = total"},
    [RK_R1_DIS_LP] = {"R1_DIS_LP", RK_SEV_HARD, "Pemilih disabilitas (III): L + P = jumlah",
                      "Voters with disabilities (III): men + women = total"},
    [RK_R2_B4_L] = {"R2_B4_L", RK_SEV_HARD, "B.4 = B.1 + B.2 + B.3 (laki-laki)",
                    "B.4 = B.1 + B.2 + B.3 (men)"},
    [RK_R2_B4_P] = {"R2_B4_P", RK_SEV_HARD, "B.4 = B.1 + B.2 + B.3 (perempuan)",
                    "B.4 = B.1 + B.2 + B.3 (women)"},
    [RK_R2_B4_J] = {"R2_B4_J", RK_SEV_HARD, "B.4 = B.1 + B.2 + B.3 (jumlah)",
                    "B.4 = B.1 + B.2 + B.3 (total)"},
    [RK_R3_SAH_SUM] = {"R3_SAH_SUM", RK_SEV_HARD, "Suara sah (V.A) = jumlah suara semua kolom (IV)",
                       "Valid votes (V.A) = sum of all columns' votes (IV)"},
    [RK_R4_TOTAL_SUM] = {"R4_TOTAL_SUM", RK_SEV_HARD, "V.C = suara sah + suara tidak sah",
                         "V.C = valid + invalid votes"},
    [RK_R5_TOTAL_B4] = {"R5_TOTAL_B4", RK_SEV_HARD, "V.C = jumlah pengguna hak pilih (I.B.4)",
                        "V.C = total voters (I.B.4)"},
    [RK_R6_USED_TOTAL] = {"R6_USED_TOTAL", RK_SEV_HARD, "Surat suara digunakan (II.2) = V.C",
                          "Ballots used (II.2) = V.C"},
    [RK_R7_BALLOTS_SUM] = {"R7_BALLOTS_SUM", RK_SEV_HARD,
                           "Surat suara diterima (II.1) = digunakan + rusak + sisa",
                           "Ballots received (II.1) = used + damaged + unused"},
    [RK_R8_RESERVE_OVER] = {"R8_RESERVE_OVER", RK_SEV_HARD,
                            "Surat suara diterima <= DPT + cadangan (dibulatkan ke atas)",
                            "Ballots received <= DPT + reserve (rounded up)"},
    [RK_R8_RESERVE_UNDER] = {"R8_RESERVE_UNDER", RK_SEV_SOFT,
                             "Surat suara diterima kurang dari DPT",
                             "Fewer ballots received than registered voters"},
    [RK_R9_B1_DPT] = {"R9_B1_DPT", RK_SEV_HARD, "Pengguna hak pilih DPT (I.B.1) <= DPT (I.A)",
                      "DPT voters (I.B.1) <= registered voters (I.A)"},
    [RK_R9_DIS_B4] = {"R9_DIS_B4", RK_SEV_HARD,
                      "Pemilih disabilitas (III) <= jumlah pengguna hak pilih (I.B.4)",
                      "Voters with disabilities (III) <= total voters (I.B.4)"},
    [RK_R10_RANGE] = {"R10_RANGE", RK_SEV_HARD, "Setiap angka 0..999 (tiga kotak)",
                      "Every number 0..999 (three boxes)"},
    [RK_R10_DPT_CAP] = {"R10_DPT_CAP", RK_SEV_HARD, "DPT (I.A) <= batas pemilih per TPS",
                        "Registered voters (I.A) <= per-TPS voter cap"},
    [RK_R11_VOTE_B4] = {"R11_VOTE_B4", RK_SEV_HARD,
                        "Suara satu kolom <= jumlah pengguna hak pilih (I.B.4)",
                        "One column's votes <= total voters (I.B.4)"},
    [RK_R11_B4_MAX] = {"R11_B4_MAX", RK_SEV_HARD, "Pengguna hak pilih (I.B.4) <= DPT + DPTb + DPK",
                       "Total voters (I.B.4) <= DPT + DPTb + DPK"},
    [RK_A1_TURNOUT_FULL] = {"A1_TURNOUT_FULL", RK_SEV_SOFT, "Partisipasi pemilih DPT 100% atau lebih (I.B.1 >= I.A)",
                            "Turnout of registered voters 100% or more (I.B.1 >= I.A)"},
    [RK_A2_TURNOUT_HIGH] = {"A2_TURNOUT_HIGH", RK_SEV_SOFT, "Partisipasi pemilih DPT di atas 95%",
                            "Turnout of registered voters above 95%"},
    [RK_A3_ONE_COLUMN_ALL] = {"A3_ONE_COLUMN_ALL", RK_SEV_SOFT,
                              "Semua suara sah untuk satu kolom",
                              "One column has every valid vote"},
    [RK_A4_INVALID_HIGH] = {"A4_INVALID_HIGH", RK_SEV_SOFT, "Suara tidak sah di atas 10%",
                            "Invalid votes above 10%"},
    [RK_A5_NO_VOTES] = {"A5_NO_VOTES", RK_SEV_SOFT, "Tidak ada suara di TPS yang memiliki pemilih",
                        "No votes at a TPS with registered voters"},
    [RK_A6_DPT_REGISTRY] = {"A6_DPT_REGISTRY", RK_SEV_SOFT,
                            "DPT di formulir berbeda dengan DPT terdaftar",
                            "DPT on the form differs from the registry"},
};

void rk_validate_ctx_init(struct rk_validate_ctx *ctx, enum rk_election_kind kind)
{
    memset(ctx, 0, sizeof *ctx);
    if (kind == RK_ELECTION_PEMILU) {
        ctx->voter_cap = 300;
        ctx->reserve_permille = 20;
    } else {
        ctx->voter_cap = 600;
        ctx->reserve_permille = 25;
    }
}

const struct rk_rule_info *rk_rule_get(enum rk_rule rule)
{
    if ((int)rule < 0 || rule >= RK_RULE_COUNT)
        return NULL;
    return &rules[rule];
}

int rk_rule_find(const char *code)
{
    for (int r = 0; r < RK_RULE_COUNT; r++)
        if (strcmp(rules[r].code, code) == 0)
            return r;
    return -1;
}

/* ---- labels ------------------------------------------------------------------------------ */

static const char *const col_id[3] = {"laki-laki", "perempuan", "jumlah"};
static const char *const col_en[3] = {"men", "women", "total"};

struct row_label {
    const char *id, *en;
};

static struct row_label row_label(int row_first)
{
    switch (row_first) {
    case RK_ROW_PEMILIH_DPT: return (struct row_label){"Pemilih DPT (I.A)", "Registered voters, DPT (I.A)"};
    case RK_ROW_PENGGUNA_DPT: return (struct row_label){"Pengguna hak pilih DPT (I.B.1)", "DPT voters who voted (I.B.1)"};
    case RK_ROW_PENGGUNA_DPTB: return (struct row_label){"Pengguna hak pilih DPTb (I.B.2)", "DPTb voters who voted (I.B.2)"};
    case RK_ROW_PENGGUNA_DPK: return (struct row_label){"Pengguna hak pilih DPK (I.B.3)", "DPK voters who voted (I.B.3)"};
    case RK_ROW_PENGGUNA_TOTAL: return (struct row_label){"Jumlah pengguna hak pilih (I.B.4)", "Total voters who voted (I.B.4)"};
    default: return (struct row_label){"Pemilih disabilitas yang memilih (III)", "Voters with disabilities who voted (III)"};
    }
}

/* Human name of a column of section IV: "paslon 2" or "kolom kosong". */
static void column_label(const struct rk_chasil *doc, int i, char *id, size_t idcap, char *en,
                         size_t encap)
{
    if (doc->kolom_kosong && i == doc->n_paslon - 1) {
        snprintf(id, idcap, "kolom kosong");
        snprintf(en, encap, "the empty column (kolom kosong)");
    } else {
        snprintf(id, idcap, "paslon %d", i + 1);
        snprintf(en, encap, "pair %d", i + 1);
    }
}

/* Human name of any field, for messages about a single number. */
static void field_label(const struct rk_chasil *doc, int f, char *id, size_t idcap, char *en,
                        size_t encap)
{
    static const char *const ss_id[4] = {"Surat suara diterima (II.1)", "Surat suara digunakan (II.2)",
                                         "Surat suara rusak/keliru coblos (II.3)",
                                         "Surat suara tidak digunakan (II.4)"};
    static const char *const ss_en[4] = {"Ballots received (II.1)", "Ballots used (II.2)",
                                         "Ballots damaged/mis-marked (II.3)",
                                         "Ballots not used (II.4)"};
    static const char *const v_id[3] = {"Jumlah suara sah (V.A)", "Jumlah suara tidak sah (V.B)",
                                        "Jumlah suara sah dan tidak sah (V.C)"};
    static const char *const v_en[3] = {"Valid votes (V.A)", "Invalid votes (V.B)",
                                        "Total votes (V.C)"};
    if (f >= RK_F_SS_DITERIMA && f <= RK_F_SS_SISA) {
        snprintf(id, idcap, "%s", ss_id[f - RK_F_SS_DITERIMA]);
        snprintf(en, encap, "%s", ss_en[f - RK_F_SS_DITERIMA]);
    } else if (f >= RK_F_SUARA_PASLON_1 && f <= RK_F_SUARA_PASLON_6) {
        char ci[32], ce[40];
        column_label(doc, f - RK_F_SUARA_PASLON_1, ci, sizeof ci, ce, sizeof ce);
        snprintf(id, idcap, "Suara %s (IV)", ci);
        snprintf(en, encap, "Votes for %s (IV)", ce);
    } else if (f >= RK_F_SUARA_SAH) {
        snprintf(id, idcap, "%s", v_id[f - RK_F_SUARA_SAH]);
        snprintf(en, encap, "%s", v_en[f - RK_F_SUARA_SAH]);
    } else {
        /* Section I rows are 3-aligned; section II sits between them and the disability row. */
        int first = f >= RK_F_DISABILITAS_L ? RK_F_DISABILITAS_L : f - f % 3;
        struct row_label rl = row_label(first);
        snprintf(id, idcap, "%s, %s", rl.id, col_id[f - first]);
        snprintf(en, encap, "%s, %s", rl.en, col_en[f - first]);
    }
}

/* ---- collecting violations ---------------------------------------------------------------- */

struct sink {
    struct rk_violation *out;
    size_t cap, n;
    bool hard;
};

static void add(struct sink *s, enum rk_rule rule, const int *fields, int nf, const char *id,
                const char *en)
{
    if (rules[rule].severity == RK_SEV_HARD)
        s->hard = true;
    if (s->n < s->cap) {
        struct rk_violation *v = &s->out[s->n];
        memset(v, 0, sizeof *v);
        v->rule = rule;
        v->code = rules[rule].code;
        v->severity = rules[rule].severity;
        for (int i = 0; i < nf && i < RK_VIOLATION_FIELDS_MAX; i++)
            v->fields[v->n_fields++] = (enum rk_chasil_field)fields[i];
        snprintf(v->msg_id, sizeof v->msg_id, "%s", id);
        snprintf(v->msg_en, sizeof v->msg_en, "%s", en);
    }
    s->n++;
}

/* Formats both messages into fixed buffers; a helper keeps every rule to a few lines. */
struct msg {
    char id[RK_VIOLATION_MSG_MAX];
    char en[RK_VIOLATION_MSG_MAX];
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void fmt(char *dst, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(dst, RK_VIOLATION_MSG_MAX, f, ap);
    va_end(ap);
}

static bool has(const struct rk_chasil *d, int f)
{
    return rk_chasil_has(d, (enum rk_chasil_field)f);
}

static bool has_all(const struct rk_chasil *d, const int *f, int n)
{
    for (int i = 0; i < n; i++)
        if (!has(d, f[i]))
            return false;
    return true;
}

static unsigned long long val(const struct rk_chasil *d, int f)
{
    return d->v[f];
}

#define U(x) ((unsigned long long)(x))

static void rule_r1(const struct rk_chasil *d, struct sink *s)
{
    static const struct {
        int first;
        enum rk_rule rule;
    } rows[] = {
        {RK_ROW_PEMILIH_DPT, RK_R1_DPT_LP},     {RK_ROW_PENGGUNA_DPT, RK_R1_B1_LP},
        {RK_ROW_PENGGUNA_DPTB, RK_R1_B2_LP},    {RK_ROW_PENGGUNA_DPK, RK_R1_B3_LP},
        {RK_ROW_PENGGUNA_TOTAL, RK_R1_B4_LP},   {RK_ROW_DISABILITAS, RK_R1_DIS_LP},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int f[3] = {rows[i].first, rows[i].first + 1, rows[i].first + 2};
        if (!has_all(d, f, 3))
            continue;
        unsigned long long l = val(d, f[0]), p = val(d, f[1]), j = val(d, f[2]);
        if (l + p == j)
            continue;
        struct row_label rl = row_label(rows[i].first);
        struct msg m;
        fmt(m.id, "%s: laki-laki %llu + perempuan %llu = %llu, tetapi kolom jumlah berisi %llu. "
                  "Periksa ketiga angka.",
            rl.id, l, p, l + p, j);
        fmt(m.en, "%s: men %llu + women %llu = %llu, but the total column says %llu. Check all "
                  "three numbers.",
            rl.en, l, p, l + p, j);
        add(s, rows[i].rule, f, 3, m.id, m.en);
    }
}

static void rule_r2(const struct rk_chasil *d, struct sink *s)
{
    static const enum rk_rule r[3] = {RK_R2_B4_L, RK_R2_B4_P, RK_R2_B4_J};
    for (int c = 0; c < 3; c++) {
        int f[4] = {RK_ROW_PENGGUNA_TOTAL + c, RK_ROW_PENGGUNA_DPT + c, RK_ROW_PENGGUNA_DPTB + c,
                    RK_ROW_PENGGUNA_DPK + c};
        if (!has_all(d, f, 4))
            continue;
        unsigned long long b4 = val(d, f[0]), b1 = val(d, f[1]), b2 = val(d, f[2]),
                           b3 = val(d, f[3]);
        if (b1 + b2 + b3 == b4)
            continue;
        struct msg m;
        fmt(m.id, "Jumlah pengguna hak pilih (I.B.4, %s) %llu harus sama dengan B.1 + B.2 + B.3 "
                  "= %llu + %llu + %llu = %llu. Periksa bagian I.B.",
            col_id[c], b4, b1, b2, b3, b1 + b2 + b3);
        fmt(m.en, "Total voters (I.B.4, %s) %llu must equal B.1 + B.2 + B.3 = %llu + %llu + %llu "
                  "= %llu. Check section I.B.",
            col_en[c], b4, b1, b2, b3, b1 + b2 + b3);
        add(s, r[c], f, 4, m.id, m.en);
    }
}

static void rule_r3(const struct rk_chasil *d, struct sink *s)
{
    int f[RK_VIOLATION_FIELDS_MAX];
    int nf = 0;
    f[nf++] = RK_F_SUARA_SAH;
    for (int i = 0; i < d->n_paslon && i < RK_CHASIL_PASLON_MAX; i++)
        f[nf++] = RK_F_SUARA_PASLON_1 + i;
    if (d->n_paslon < 1 || !has_all(d, f, nf))
        return;
    unsigned long long sum = 0;
    char parts[128] = "";
    size_t pl = 0;
    for (int i = 1; i < nf; i++) {
        sum += val(d, f[i]);
        int w = snprintf(parts + pl, sizeof parts - pl, "%s%llu", i > 1 ? " + " : "",
                         val(d, f[i]));
        if (w > 0 && (size_t)w < sizeof parts - pl)
            pl += (size_t)w;
    }
    unsigned long long sah = val(d, RK_F_SUARA_SAH);
    if (sum == sah)
        return;
    struct msg m;
    fmt(m.id, "Jumlah suara sah (%llu) harus sama dengan jumlah suara semua %s (%llu = %s). "
              "Periksa bagian IV dan V.A.",
        sah, d->kolom_kosong ? "kolom" : "paslon", sum, parts);
    fmt(m.en, "Valid votes (%llu) must equal the votes of all %s together (%llu = %s). Check "
              "sections IV and V.A.",
        sah, d->kolom_kosong ? "columns" : "pairs", sum, parts);
    add(s, RK_R3_SAH_SUM, f, nf, m.id, m.en);
}

static void rule_r4_r5_r6(const struct rk_chasil *d, struct sink *s)
{
    struct msg m;
    int f4[3] = {RK_F_SUARA_TOTAL, RK_F_SUARA_SAH, RK_F_SUARA_TIDAK_SAH};
    if (has_all(d, f4, 3)) {
        unsigned long long tot = val(d, f4[0]), sah = val(d, f4[1]), ts = val(d, f4[2]);
        if (sah + ts != tot) {
            fmt(m.id, "Jumlah suara sah dan tidak sah (V.C) %llu harus sama dengan suara sah %llu "
                      "+ suara tidak sah %llu = %llu. Periksa bagian V.",
                tot, sah, ts, sah + ts);
            fmt(m.en, "Total votes (V.C) %llu must equal valid %llu + invalid %llu = %llu. Check "
                      "section V.",
                tot, sah, ts, sah + ts);
            add(s, RK_R4_TOTAL_SUM, f4, 3, m.id, m.en);
        }
    }
    int f5[2] = {RK_F_SUARA_TOTAL, RK_F_PENGGUNA_TOTAL_J};
    if (has_all(d, f5, 2) && val(d, f5[0]) != val(d, f5[1])) {
        fmt(m.id, "Jumlah suara sah dan tidak sah (V.C) %llu harus sama dengan jumlah pengguna hak "
                  "pilih (I.B.4) %llu: setiap pemilih memasukkan satu surat suara.",
            val(d, f5[0]), val(d, f5[1]));
        fmt(m.en, "Total votes (V.C) %llu must equal the number of voters (I.B.4) %llu: every "
                  "voter casts one ballot.",
            val(d, f5[0]), val(d, f5[1]));
        add(s, RK_R5_TOTAL_B4, f5, 2, m.id, m.en);
    }
    int f6[2] = {RK_F_SS_DIGUNAKAN, RK_F_SUARA_TOTAL};
    if (has_all(d, f6, 2) && val(d, f6[0]) != val(d, f6[1])) {
        fmt(m.id, "Surat suara yang digunakan (II.2) %llu harus sama dengan jumlah suara sah dan "
                  "tidak sah (V.C) %llu.",
            val(d, f6[0]), val(d, f6[1]));
        fmt(m.en, "Ballots used (II.2) %llu must equal total votes (V.C) %llu.", val(d, f6[0]),
            val(d, f6[1]));
        add(s, RK_R6_USED_TOTAL, f6, 2, m.id, m.en);
    }
}

/* DPT total for ballot and turnout rules: the form's, else the registry's. */
static bool dpt_total(const struct rk_chasil *d, const struct rk_validate_ctx *ctx,
                      unsigned long long *dpt, bool *from_form)
{
    if (has(d, RK_F_PEMILIH_DPT_J)) {
        *dpt = val(d, RK_F_PEMILIH_DPT_J);
        *from_form = true;
        return true;
    }
    if (ctx->dpt_known) {
        *dpt = U(ctx->dpt_l) + ctx->dpt_p;
        *from_form = false;
        return true;
    }
    return false;
}

static void rule_r7_r8(const struct rk_chasil *d, const struct rk_validate_ctx *ctx,
                       struct sink *s)
{
    struct msg m;
    int f7[4] = {RK_F_SS_DITERIMA, RK_F_SS_DIGUNAKAN, RK_F_SS_RUSAK, RK_F_SS_SISA};
    if (has_all(d, f7, 4)) {
        unsigned long long recv = val(d, f7[0]), used = val(d, f7[1]), bad = val(d, f7[2]),
                           left = val(d, f7[3]);
        if (used + bad + left != recv) {
            fmt(m.id, "Surat suara diterima (II.1) %llu harus sama dengan digunakan %llu + "
                      "rusak/keliru coblos %llu + sisa %llu = %llu. Periksa bagian II.",
                recv, used, bad, left, used + bad + left);
            fmt(m.en, "Ballots received (II.1) %llu must equal used %llu + damaged/mis-marked "
                      "%llu + unused %llu = %llu. Check section II.",
                recv, used, bad, left, used + bad + left);
            add(s, RK_R7_BALLOTS_SUM, f7, 4, m.id, m.en);
        }
    }
    unsigned long long dpt = 0;
    bool from_form = false;
    if (!has(d, RK_F_SS_DITERIMA) || !dpt_total(d, ctx, &dpt, &from_form))
        return;
    unsigned long long recv = val(d, RK_F_SS_DITERIMA);
    /* Reserve rounded up: a TPS of 201 voters gets ceil(5.025) = 6 spares at 2.5%. */
    unsigned long long reserve = (dpt * ctx->reserve_permille + 999) / 1000;
    unsigned pm = ctx->reserve_permille;
    int f8[2] = {RK_F_SS_DITERIMA, RK_F_PEMILIH_DPT_J};
    int nf = from_form ? 2 : 1;
    if (recv > dpt + reserve) {
        fmt(m.id, "Surat suara diterima (II.1) %llu melebihi DPT %llu + cadangan %u,%u%% (%llu) = "
                  "%llu. Periksa angka surat suara diterima.",
            recv, dpt, pm / 10, pm % 10, reserve, dpt + reserve);
        fmt(m.en, "Ballots received (II.1) %llu exceed DPT %llu + the %u.%u%% reserve (%llu) = "
                  "%llu. Check the number of ballots received.",
            recv, dpt, pm / 10, pm % 10, reserve, dpt + reserve);
        add(s, RK_R8_RESERVE_OVER, f8, nf, m.id, m.en);
    } else if (recv < dpt) {
        fmt(m.id, "Surat suara diterima (II.1) %llu lebih sedikit dari pemilih DPT %llu. Pastikan "
                  "angka ini benar dan catat kekurangan surat suara.",
            recv, dpt);
        fmt(m.en, "Ballots received (II.1) %llu are fewer than the %llu registered voters. Make "
                  "sure the number is right and record the shortage.",
            recv, dpt);
        add(s, RK_R8_RESERVE_UNDER, f8, nf, m.id, m.en);
    }
}

static void rule_r9(const struct rk_chasil *d, struct sink *s)
{
    struct msg m;
    for (int c = 0; c < 3; c++) {
        int f[2] = {RK_ROW_PENGGUNA_DPT + c, RK_ROW_PEMILIH_DPT + c};
        if (has_all(d, f, 2) && val(d, f[0]) > val(d, f[1])) {
            fmt(m.id, "Pengguna hak pilih DPT (I.B.1, %s) %llu tidak mungkin lebih dari pemilih DPT "
                      "(I.A, %s) %llu. Periksa kedua angka.",
                col_id[c], val(d, f[0]), col_id[c], val(d, f[1]));
            fmt(m.en, "DPT voters who voted (I.B.1, %s) %llu cannot exceed registered voters "
                      "(I.A, %s) %llu. Check both numbers.",
                col_en[c], val(d, f[0]), col_en[c], val(d, f[1]));
            add(s, RK_R9_B1_DPT, f, 2, m.id, m.en);
        }
    }
    for (int c = 0; c < 3; c++) {
        int f[2] = {RK_ROW_DISABILITAS + c, RK_ROW_PENGGUNA_TOTAL + c};
        if (has_all(d, f, 2) && val(d, f[0]) > val(d, f[1])) {
            fmt(m.id, "Pemilih disabilitas yang memilih (III, %s) %llu tidak mungkin lebih dari "
                      "jumlah pengguna hak pilih (I.B.4, %s) %llu.",
                col_id[c], val(d, f[0]), col_id[c], val(d, f[1]));
            fmt(m.en, "Voters with disabilities who voted (III, %s) %llu cannot exceed all voters "
                      "who voted (I.B.4, %s) %llu.",
                col_en[c], val(d, f[0]), col_en[c], val(d, f[1]));
            add(s, RK_R9_DIS_B4, f, 2, m.id, m.en);
        }
    }
}

static void rule_r10(const struct rk_chasil *d, const struct rk_validate_ctx *ctx,
                     struct sink *s)
{
    struct msg m;
    for (int f = 0; f < RK_F_COUNT; f++) {
        if (!has(d, f) || val(d, f) <= RK_CHASIL_VALUE_MAX)
            continue;
        char li[96], le[96];
        field_label(d, f, li, sizeof li, le, sizeof le);
        fmt(m.id, "%s tertulis %llu, padahal setiap angka di formulir paling besar 999 (tiga "
                  "kotak). Periksa angka ini.",
            li, val(d, f));
        fmt(m.en, "%s reads %llu, but every number on the form is at most 999 (three boxes). "
                  "Check this number.",
            le, val(d, f));
        add(s, RK_R10_RANGE, &f, 1, m.id, m.en);
    }
    int fc = RK_F_PEMILIH_DPT_J;
    if (ctx->voter_cap && has(d, fc) && val(d, fc) > ctx->voter_cap) {
        fmt(m.id, "Pemilih DPT (I.A) %llu melebihi batas %u pemilih per TPS. Periksa angka DPT.",
            val(d, fc), ctx->voter_cap);
        fmt(m.en, "Registered voters (I.A) %llu exceed the cap of %u voters per TPS. Check the "
                  "DPT number.",
            val(d, fc), ctx->voter_cap);
        add(s, RK_R10_DPT_CAP, &fc, 1, m.id, m.en);
    }
}

static void rule_r11(const struct rk_chasil *d, struct sink *s)
{
    struct msg m;
    if (has(d, RK_F_PENGGUNA_TOTAL_J)) {
        unsigned long long b4 = val(d, RK_F_PENGGUNA_TOTAL_J);
        for (int i = 0; i < d->n_paslon && i < RK_CHASIL_PASLON_MAX; i++) {
            int f[2] = {RK_F_SUARA_PASLON_1 + i, RK_F_PENGGUNA_TOTAL_J};
            if (!has(d, f[0]) || val(d, f[0]) <= b4)
                continue;
            char ci[32], ce[40];
            column_label(d, i, ci, sizeof ci, ce, sizeof ce);
            fmt(m.id, "Suara %s (IV) %llu melebihi jumlah pengguna hak pilih (I.B.4) %llu. "
                      "Periksa angka suara %s.",
                ci, val(d, f[0]), b4, ci);
            fmt(m.en, "Votes for %s (IV) %llu exceed the number of voters (I.B.4) %llu. Check "
                      "the votes for %s.",
                ce, val(d, f[0]), b4, ce);
            add(s, RK_R11_VOTE_B4, f, 2, m.id, m.en);
        }
    }
    int f[4] = {RK_F_PENGGUNA_TOTAL_J, RK_F_PEMILIH_DPT_J, RK_F_PENGGUNA_DPTB_J,
                RK_F_PENGGUNA_DPK_J};
    if (has_all(d, f, 4)) {
        unsigned long long b4 = val(d, f[0]), dpt = val(d, f[1]), b2 = val(d, f[2]),
                           b3 = val(d, f[3]);
        if (b4 > dpt + b2 + b3) {
            fmt(m.id, "Jumlah pengguna hak pilih (I.B.4) %llu melebihi DPT %llu + DPTb %llu + DPK "
                      "%llu = %llu. Periksa bagian I.",
                b4, dpt, b2, b3, dpt + b2 + b3);
            fmt(m.en, "Total voters (I.B.4) %llu exceed DPT %llu + DPTb %llu + DPK %llu = %llu. "
                      "Check section I.",
                b4, dpt, b2, b3, dpt + b2 + b3);
            add(s, RK_R11_B4_MAX, f, 4, m.id, m.en);
        }
    }
}

static void anomalies(const struct rk_chasil *d, const struct rk_validate_ctx *ctx,
                      struct sink *s)
{
    struct msg m;
    unsigned long long dpt = 0;
    bool from_form = false;
    bool have_dpt = dpt_total(d, ctx, &dpt, &from_form);
    /* Turnout of the registered: DPT voters who voted (I.B.1) over DPT. DPTb/DPK voters are
     * left out because a TPS near a campus or hospital legitimately exceeds its DPT with them.
     * Without I.B.1 (only some pages arrived), fall back to I.B.4, then to the ballots counted. */
    int vf = has(d, RK_F_PENGGUNA_DPT_J)     ? RK_F_PENGGUNA_DPT_J
             : has(d, RK_F_PENGGUNA_TOTAL_J) ? RK_F_PENGGUNA_TOTAL_J
             : has(d, RK_F_SUARA_TOTAL)      ? RK_F_SUARA_TOTAL
                                             : -1;
    if (have_dpt && dpt > 0 && vf >= 0) {
        unsigned long long voters = val(d, vf);
        unsigned long long pct = voters * 100 / dpt;
        int f[2] = {vf, RK_F_PEMILIH_DPT_J};
        int nf = from_form ? 2 : 1;
        char li[96], le[96];
        field_label(d, vf, li, sizeof li, le, sizeof le);
        if (voters >= dpt) {
            fmt(m.id, "Partisipasi %llu%%: %s %llu, sama dengan atau lebih dari DPT %llu. "
                      "Diterima, tetapi ditandai untuk diperiksa.",
                pct, li, voters, dpt);
            fmt(m.en, "Turnout %llu%%: %s %llu, as many as or more than the %llu registered. "
                      "Accepted, but flagged for review.",
                pct, le, voters, dpt);
            add(s, RK_A1_TURNOUT_FULL, f, nf, m.id, m.en);
        } else if (voters * 100 > dpt * 95) {
            fmt(m.id, "Partisipasi sangat tinggi (%llu%%): %s %llu dari DPT %llu. Diterima, tetapi "
                      "ditandai untuk diperiksa.",
                pct, li, voters, dpt);
            fmt(m.en, "Very high turnout (%llu%%): %s %llu of %llu registered. Accepted, but "
                      "flagged for review.",
                pct, le, voters, dpt);
            add(s, RK_A2_TURNOUT_HIGH, f, nf, m.id, m.en);
        }
    }
    if (has(d, RK_F_SUARA_SAH) && val(d, RK_F_SUARA_SAH) > 0) {
        unsigned long long sah = val(d, RK_F_SUARA_SAH);
        for (int i = 0; i < d->n_paslon && i < RK_CHASIL_PASLON_MAX; i++) {
            int f[2] = {RK_F_SUARA_PASLON_1 + i, RK_F_SUARA_SAH};
            if (!has(d, f[0]) || val(d, f[0]) != sah)
                continue;
            /* Only when every other column is known to be zero. */
            bool others_zero = true;
            for (int k = 0; k < d->n_paslon; k++)
                if (k != i && (!has(d, RK_F_SUARA_PASLON_1 + k) || val(d, RK_F_SUARA_PASLON_1 + k)))
                    others_zero = false;
            if (!others_zero)
                continue;
            char ci[32], ce[40];
            column_label(d, i, ci, sizeof ci, ce, sizeof ce);
            fmt(m.id, "Semua %llu suara sah untuk %s; kolom lain nol. Diterima, tetapi ditandai "
                      "untuk diperiksa.",
                sah, ci);
            fmt(m.en, "All %llu valid votes went to %s; every other column is zero. Accepted, "
                      "but flagged for review.",
                sah, ce);
            add(s, RK_A3_ONE_COLUMN_ALL, f, 2, m.id, m.en);
            break;
        }
    }
    int f4[2] = {RK_F_SUARA_TIDAK_SAH, RK_F_SUARA_TOTAL};
    if (has_all(d, f4, 2) && val(d, f4[1]) > 0 && val(d, f4[0]) * 10 > val(d, f4[1])) {
        unsigned long long ts = val(d, f4[0]), tot = val(d, f4[1]);
        fmt(m.id, "Suara tidak sah %llu dari %llu (%llu%%), lebih dari 10%%. Pastikan angka suara "
                  "tidak sah (V.B) benar.",
            ts, tot, ts * 100 / tot);
        fmt(m.en, "Invalid votes are %llu of %llu (%llu%%), more than 10%%. Make sure the invalid "
                  "vote count (V.B) is right.",
            ts, tot, ts * 100 / tot);
        add(s, RK_A4_INVALID_HIGH, f4, 2, m.id, m.en);
    }
    /* No votes: the ballots counted (V.C), else all voters (I.B.4). */
    int zf = has(d, RK_F_SUARA_TOTAL)        ? RK_F_SUARA_TOTAL
             : has(d, RK_F_PENGGUNA_TOTAL_J) ? RK_F_PENGGUNA_TOTAL_J
                                             : -1;
    if (have_dpt && dpt > 0 && zf >= 0 && val(d, zf) == 0) {
        int f[2] = {zf, RK_F_PEMILIH_DPT_J};
        fmt(m.id, "Tidak ada suara tercatat, padahal TPS ini memiliki %llu pemilih DPT. Pastikan "
                  "formulir sudah diisi lengkap.",
            dpt);
        fmt(m.en, "No votes recorded although this TPS has %llu registered voters. Make sure the "
                  "form is filled in completely.",
            dpt);
        add(s, RK_A5_NO_VOTES, f, from_form ? 2 : 1, m.id, m.en);
    }
    if (ctx->dpt_known) {
        int f[3] = {RK_F_PEMILIH_DPT_L, RK_F_PEMILIH_DPT_P, RK_F_PEMILIH_DPT_J};
        uint32_t reg[3] = {ctx->dpt_l, ctx->dpt_p, ctx->dpt_l + ctx->dpt_p};
        int nf = 0, bad[3];
        for (int c = 0; c < 3; c++)
            if (has(d, f[c]) && val(d, f[c]) != reg[c])
                bad[nf++] = f[c];
        if (nf > 0) {
            /* The numbers the form holds, "-" where absent. */
            char fv[3][12];
            for (int c = 0; c < 3; c++) {
                if (has(d, f[c]))
                    snprintf(fv[c], sizeof fv[c], "%llu", val(d, f[c]));
                else
                    snprintf(fv[c], sizeof fv[c], "-");
            }
            fmt(m.id, "DPT di formulir (laki-laki %s, perempuan %s, jumlah %s) berbeda dengan DPT "
                      "terdaftar untuk TPS ini (%u, %u, %u). Periksa salinan DPT (Model A).",
                fv[0], fv[1], fv[2], reg[0], reg[1], reg[2]);
            fmt(m.en, "DPT on the form (men %s, women %s, total %s) differs from the registered "
                      "DPT of this TPS (%u, %u, %u). Check the DPT copy (Model A).",
                fv[0], fv[1], fv[2], reg[0], reg[1], reg[2]);
            add(s, RK_A6_DPT_REGISTRY, bad, nf, m.id, m.en);
        }
    }
}

int rk_validate(const struct rk_chasil *doc, const struct rk_validate_ctx *ctx,
                struct rk_violation *out, size_t cap, size_t *n)
{
    struct rk_validate_ctx dflt = {.reserve_permille = 25};
    if (!ctx)
        ctx = &dflt;
    struct sink s = {.out = out, .cap = out ? cap : 0};
    rule_r1(doc, &s);
    rule_r2(doc, &s);
    rule_r3(doc, &s);
    rule_r4_r5_r6(doc, &s);
    rule_r7_r8(doc, ctx, &s);
    rule_r9(doc, &s);
    rule_r10(doc, ctx, &s);
    rule_r11(doc, &s);
    anomalies(doc, ctx, &s);
    if (n)
        *n = s.n;
    return s.hard ? RK_EVALIDATION : RK_OK;
}

json_t *rk_violations_json(const struct rk_violation *v, size_t n)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *fields = json_array();
        json_t *obj = NULL;
        if (!fields)
            goto oom;
        for (int k = 0; k < v[i].n_fields; k++)
            if (json_array_append_new(fields, json_string(rk_chasil_field_name(v[i].fields[k]))))
                goto oom_fields;
        obj = json_pack("{s:s, s:s, s:o, s:{s:s, s:s}}", "code", v[i].code, "severity",
                        v[i].severity == RK_SEV_HARD ? "hard" : "soft", "fields", fields,
                        "message", "id", v[i].msg_id, "en", v[i].msg_en);
        if (!obj || json_array_append_new(arr, obj))
            goto oom; /* json_pack's "o" stole fields (also on failure) */
        continue;
    oom_fields:
        json_decref(fields);
    oom:
        json_decref(arr);
        return NULL;
    }
    return arr;
}
