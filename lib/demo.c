/* Demo election generator. Structure and sizes are realistic (see demo.h); the randomness is a
 * xoshiro256** stream per province so that output depends only on (seed, province). */
#include "rekap/demo.h"
#include "rekap/status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Real 2025 Kemendagri counts per province: code, kab/kota, of which kota, kecamatan, desa. */
static const struct province_size {
    const char *code;
    int kabkota, kota, kecamatan, desa;
} sizes[RK_DEMO_PROVINCES] = {
    {"11", 23, 5, 290, 6500},  {"12", 33, 8, 455, 6110},  {"13", 19, 7, 179, 1265},
    {"14", 12, 2, 172, 1862},  {"15", 11, 2, 144, 1585},  {"16", 17, 4, 241, 3259},
    {"17", 10, 1, 129, 1513},  {"18", 15, 2, 229, 2651},  {"19", 7, 1, 47, 393},
    {"21", 7, 2, 80, 419},     {"31", 6, 5, 44, 267},     {"32", 27, 9, 627, 5957},
    {"33", 35, 6, 576, 8563},  {"34", 5, 1, 78, 438},     {"35", 38, 9, 666, 8494},
    {"36", 8, 4, 155, 1552},   {"51", 9, 1, 57, 716},     {"52", 10, 2, 117, 1166},
    {"53", 22, 1, 315, 3442},  {"61", 14, 2, 174, 2145},  {"62", 14, 1, 136, 1571},
    {"63", 13, 2, 156, 2016},  {"64", 10, 3, 105, 1038},  {"65", 5, 1, 55, 482},
    {"71", 15, 4, 171, 1839},  {"72", 13, 1, 177, 2017},  {"73", 24, 3, 313, 3059},
    {"74", 17, 2, 221, 2285},  {"75", 6, 1, 77, 729},     {"76", 6, 0, 69, 648},
    {"81", 11, 2, 119, 1235},  {"82", 10, 2, 118, 1185},  {"91", 9, 1, 105, 999},
    {"92", 7, 0, 91, 824},     {"93", 4, 0, 82, 690},     {"94", 8, 0, 131, 1208},
    {"95", 8, 0, 252, 2627},   {"96", 6, 1, 132, 1013},
};

/* Provinces without a governor race (DIY: the Sultan is governor) and provinces whose kab/kota
 * hold no election (DKI Jakarta's are administrative). */
static int has_governor_race(const char *code)
{
    return strcmp(code, "34") != 0;
}

static int has_kabkota_races(const char *code)
{
    return strcmp(code, "31") != 0;
}

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static void rng_seed(struct rng *r, uint64_t seed, const char *code)
{
    uint64_t x = seed;
    for (const char *p = code; *p; p++)
        x = x * 131 + (uint64_t)(unsigned char)*p;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&x);
}

static double unif(struct rng *r)
{
    return (double)(next(r) >> 11) * 0x1.0p-53;
}

static int range(struct rng *r, int lo, int hi) /* inclusive */
{
    return lo + (int)(unif(r) * (double)(hi - lo + 1));
}

static const char *const prefix[] = {
    "Suka",   "Karang", "Tanjung", "Sungai", "Batu",  "Bukit", "Pasir",   "Muara", "Sido",
    "Mekar",  "Sumber", "Tegal",   "Cempaka", "Teluk", "Pulau", "Air",    "Rawa",  "Lubuk",
    "Padang", "Kampung", "Ujung",  "Gunung", "Labuhan", "Talang", "Simpang", "Koto", "Lembah",
};
static const char *const suffix[] = {
    "jaya",  "makmur", "maju",  "sari",    "rejo",  "mulya",  "indah",  "baru",  "asri",
    "harjo", "wangi",  "mekar", "raya",    "agung", "tengah", "lestari", "damai", "sentosa",
    "timur", "barat",  "permai", "kencana", "utama", "rahayu", "subur",  "mandiri",
};
static const char *const given[] = {
    "Ahmad", "Budi",  "Siti",   "Dewi",   "Agus",  "Rina",   "Hendra", "Yusuf", "Fitri",
    "Andi",  "Made",  "Nyoman", "Rahmat", "Sri",   "Bambang", "Wahyu", "Indah", "Joko",
    "Putri", "Eko",   "Ratna",  "Hasan",  "Teguh", "Maria",  "Yohanes", "Ketut", "Dedi",
    "Nurul", "Irwan", "Lukas",  "Fransiska", "Abdul", "Rudi", "Yanti", "Arif",  "Wayan",
};
static const char *const family[] = {
    "Saputra", "Wijaya",  "Hidayat", "Siregar", "Nasution", "Pratama", "Santoso",
    "Kusuma",  "Hasibuan", "Lubis",  "Sihombing", "Harahap", "Simanjuntak", "Gunawan",
    "Setiawan", "Rahman", "Halim",   "Wibowo",  "Purnomo", "Tambunan", "Pattiasina",
    "Manurung", "Daulay", "Rumbewas", "Mandagi", "Sitompul", "Lumbantobing", "Effendi",
};
static const char *const colors[] = {"#B67352", "#8CB9BD", "#ECB159", "#9BB0C1",
                                     "#C39898", "#748E63", "#7F669D", "#E76161"};

#define PICK(r, arr) arr[next(r) % (sizeof arr / sizeof arr[0])]

static void place_name(struct rng *r, char *out, size_t cap, const char *before, int upper)
{
    const char *a = PICK(r, prefix), *b = PICK(r, suffix);
    int joined = unif(r) < 0.5;
    snprintf(out, cap, "%s%s%s%c%s", before, a, joined ? "" : " ",
             joined ? b[0] : (char)(b[0] - 'a' + 'A'), b + 1);
    if (upper)
        for (char *p = out; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
}

static void person(struct rng *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s", PICK(r, given), PICK(r, family));
}

/* Splits total into n positive parts with random weights in [0.5, 1.5). */
static void split(struct rng *r, int total, int n, int *parts)
{
    double w[64], sum = 0;
    if (total < n)
        total = n;
    for (int i = 0; i < n; i++)
        sum += (w[i] = 0.5 + unif(r));
    int used = 0;
    for (int i = 0; i < n; i++) {
        parts[i] = (int)floor((double)total * w[i] / sum);
        if (parts[i] < 1)
            parts[i] = 1;
        used += parts[i];
    }
    for (int i = 0; used < total; i = (i + 1) % n, used++)
        parts[i]++;
    for (int i = 0; used > total; i = (i + 1) % n)
        if (parts[i] > 1)
            parts[i]--, used--;
}

static int make_race(struct rng *r, const struct rk_demo_sink *sink, int64_t election_id,
                     const struct rk_region *reg)
{
    struct rk_race race = {.election_id = election_id};
    struct rk_candidate c[RK_CANDIDATES_MAX];
    rk_race_kind_for_region(reg->code, &race.kind);
    memcpy(race.region_code, reg->code, sizeof race.region_code);
    snprintf(race.name, sizeof race.name, "%s %s", rk_race_kind_label(race.kind), reg->name);
    /* 2024 distribution of pairs per race: 2:40% 3:27% 4:18% 5:7% 6:1%, single ~7%. */
    double u = unif(r);
    int n = u < 0.07 ? 1 : u < 0.47 ? 2 : u < 0.74 ? 3 : u < 0.92 ? 4 : u < 0.99 ? 5 : 6;
    int cols = n == 1 ? 2 : n;
    memset(c, 0, sizeof c);
    for (int i = 0; i < cols; i++) {
        char a[64], b[64], name[160];
        if (n == 1 && i == 1) {
            snprintf(name, sizeof name, "KOLOM KOSONG");
        } else {
            person(r, a, sizeof a);
            person(r, b, sizeof b);
            snprintf(name, sizeof name, "%s - %s", a, b);
        }
        int rc = rk_candidate_init(&c[i], 0, i + 1, name, colors[i % 8]);
        if (rc != RK_OK)
            return rc;
    }
    return sink->race(sink->ud, &race, c, cols);
}

static int gen_province(const struct province_size *ps, uint64_t seed, double scale,
                        const struct rk_demo_sink *sink, int64_t election_id)
{
    struct rng r;
    rng_seed(&r, seed, ps->code);
    struct rk_region prov = {.level = RK_LEVEL_PROVINCE};
    memcpy(prov.code, ps->code, 3);
    place_name(&r, prov.name, sizeof prov.name, "", 1);
    int rc = sink->region(sink->ud, &prov);
    if (rc != RK_OK)
        return rc;
    if (has_governor_race(ps->code) && (rc = make_race(&r, sink, election_id, &prov)) != RK_OK)
        return rc;

    int nkab = ps->kabkota, nkota = ps->kota;
    int kec_per_kab[64], kec_total = (int)lround(ps->kecamatan * scale);
    int desa_total = (int)lround(ps->desa * scale);
    split(&r, kec_total, nkab, kec_per_kab);
    int kec_seen = 0;
    for (int k = 0; k < nkab; k++) {
        int is_kota = k >= nkab - nkota;
        int num = is_kota ? 71 + (k - (nkab - nkota)) : k + 1;
        struct rk_region kab = {.level = RK_LEVEL_KABKOTA};
        snprintf(kab.code, sizeof kab.code, "%s%02d", ps->code, num);
        place_name(&r, kab.name, sizeof kab.name, is_kota ? "KOTA " : "KAB. ", 1);
        if ((rc = sink->region(sink->ud, &kab)) != RK_OK)
            return rc;
        if (has_kabkota_races(ps->code) && (rc = make_race(&r, sink, election_id, &kab)) != RK_OK)
            return rc;
        /* This kab's share of the province's desa, in proportion to its kecamatan. */
        int nkec = kec_per_kab[k] > 99 ? 99 : kec_per_kab[k];
        int desa_here = (int)lround((double)desa_total * kec_per_kab[k] / (kec_total ? kec_total : 1));
        int desa_per_kec[99];
        split(&r, desa_here, nkec, desa_per_kec);
        kec_seen += nkec;
        for (int c = 0; c < nkec; c++) {
            struct rk_region kec = {.level = RK_LEVEL_KECAMATAN};
            snprintf(kec.code, sizeof kec.code, "%s%02d", kab.code, c + 1);
            place_name(&r, kec.name, sizeof kec.name, "", 0);
            if ((rc = sink->region(sink->ud, &kec)) != RK_OK)
                return rc;
            int nd = desa_per_kec[c] > 999 ? 999 : desa_per_kec[c];
            for (int d = 0; d < nd; d++) {
                struct rk_region desa = {.level = RK_LEVEL_DESA};
                /* Kemendagri: 1xxx kelurahan (urban), 2xxx desa. */
                snprintf(desa.code, sizeof desa.code, "%s%d%03d", kec.code, is_kota ? 1 : 2, d + 1);
                place_name(&r, desa.name, sizeof desa.name, "", 0);
                if ((rc = sink->region(sink->ud, &desa)) != RK_OK)
                    return rc;
                /* About 5.2 TPS per desa (435,296 TPS / 83,762 desa), at least one. */
                int ntps = 1 + (int)(0.5 + unif(&r) * 3.2 + unif(&r) * 3.2 + unif(&r) * 2.0);
                for (int t = 0; t < ntps; t++) {
                    struct rk_region tps = {.level = RK_LEVEL_TPS};
                    snprintf(tps.code, sizeof tps.code, "%s%03d", desa.code, t + 1);
                    snprintf(tps.name, sizeof tps.name, "TPS %03d", t + 1);
                    /* Registered voters: mostly 300-600, a few small TPS. */
                    int total = unif(&r) < 0.05 ? range(&r, 60, 299)
                                                : 320 + (int)((unif(&r) + unif(&r)) * 150.0);
                    if (total > 600)
                        total = 600;
                    int men = (int)lround(total * (0.48 + 0.04 * unif(&r)));
                    tps.dpt_l = (uint32_t)men;
                    tps.dpt_p = (uint32_t)(total - men);
                    if ((rc = sink->region(sink->ud, &tps)) != RK_OK)
                        return rc;
                }
            }
        }
    }
    (void)kec_seen;
    return RK_OK;
}

int rk_demo_province_codes(const char *codes[RK_DEMO_PROVINCES])
{
    for (int i = 0; i < RK_DEMO_PROVINCES; i++)
        codes[i] = sizes[i].code;
    return RK_DEMO_PROVINCES;
}

const char *rk_demo_default_province(void)
{
    return "61";
}

int rk_demo_generate(const struct rk_demo_opts *opts, const struct rk_demo_sink *sink)
{
    double scale = opts->scale > 0 ? opts->scale : 1.0;
    if (scale > 1.0 || opts->n_provinces < 0 || opts->n_provinces > RK_DEMO_PROVINCES)
        return RK_EINVAL;
    const char *def = rk_demo_default_province();
    const char *const *codes = opts->n_provinces ? opts->provinces : &def;
    int n = opts->n_provinces ? opts->n_provinces : 1;
    const struct province_size *chosen[RK_DEMO_PROVINCES];
    for (int i = 0; i < n; i++) {
        chosen[i] = NULL;
        for (int j = 0; j < RK_DEMO_PROVINCES; j++)
            if (strcmp(codes[i], sizes[j].code) == 0)
                chosen[i] = &sizes[j];
        if (!chosen[i])
            return RK_EINVAL;
        for (int j = 0; j < i; j++)
            if (chosen[j] == chosen[i])
                return RK_EINVAL;
    }
    struct rk_election e = {.kind = RK_ELECTION_PILKADA, .year = 2024};
    snprintf(e.slug, sizeof e.slug, "pilkada2024");
    snprintf(e.name, sizeof e.name, "Pemilihan Serentak 2024 (demo)");
    int rc = sink->election(sink->ud, &e);
    if (rc != RK_OK)
        return rc;
    for (int i = 0; i < n; i++)
        if ((rc = gen_province(chosen[i], opts->seed, scale, sink, e.id)) != RK_OK)
            return rc;
    return RK_OK;
}

/* Split total into n parts proportional to w (largest remainder), exact sum. */
static void apportion(uint32_t total, const double *w, int n, uint32_t *out)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += w[i];
    uint32_t used = 0;
    double rem[RK_CANDIDATES_MAX];
    for (int i = 0; i < n; i++) {
        double exact = sum > 0 ? (double)total * w[i] / sum : 0;
        out[i] = (uint32_t)exact;
        rem[i] = exact - out[i];
        used += out[i];
    }
    while (used < total) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (rem[i] > rem[best])
                best = i;
        out[best]++;
        rem[best] = -1;
        used++;
    }
}

int rk_demo_chasil(uint64_t seed, const char *election, const char *tps, int64_t race_id,
                   int n_paslon, bool kolom_kosong, uint32_t dpt_l, uint32_t dpt_p,
                   struct rk_chasil *doc)
{
    if (rk_code_level(tps) != RK_LEVEL_TPS || n_paslon < 2 || n_paslon > RK_CANDIDATES_MAX ||
        (kolom_kosong && n_paslon != 2) || dpt_l + dpt_p > 600 || race_id <= 0)
        return RK_EINVAL;
    rk_chasil_init(doc);
    snprintf(doc->tps, sizeof doc->tps, "%s", tps);
    snprintf(doc->election, sizeof doc->election, "%s", election);
    doc->race_id = race_id;
    doc->n_paslon = n_paslon;
    doc->kolom_kosong = kolom_kosong;

    /* Candidate strengths: per race (stable across its TPS), perturbed per TPS. */
    struct rng race_rng, r;
    char race_key[32];
    snprintf(race_key, sizeof race_key, "race%lld", (long long)race_id);
    rng_seed(&race_rng, seed, race_key);
    rng_seed(&r, seed ^ (uint64_t)race_id * 0x9e3779b97f4a7c15ull, tps);
    double w[RK_CANDIDATES_MAX];
    for (int i = 0; i < n_paslon; i++) {
        double base = 0.3 + 2.0 * unif(&race_rng);
        w[i] = base * (0.7 + 0.6 * unif(&r));
    }
    if (kolom_kosong)
        w[1] *= 0.4; /* the empty column usually loses */

    uint32_t b1l = (uint32_t)lround(dpt_l * (0.55 + 0.35 * unif(&r)));
    uint32_t b1p = (uint32_t)lround(dpt_p * (0.55 + 0.35 * unif(&r)));
    uint32_t b2l = unif(&r) < 0.3 ? (uint32_t)range(&r, 0, 3) : 0;
    uint32_t b2p = unif(&r) < 0.3 ? (uint32_t)range(&r, 0, 3) : 0;
    uint32_t b3l = unif(&r) < 0.2 ? (uint32_t)range(&r, 0, 2) : 0;
    uint32_t b3p = unif(&r) < 0.2 ? (uint32_t)range(&r, 0, 2) : 0;
    uint32_t b4l = b1l + b2l + b3l, b4p = b1p + b2p + b3p, b4 = b4l + b4p;
    uint32_t dl = (uint32_t)range(&r, 0, 3), dp = (uint32_t)range(&r, 0, 3);
    if (dl > b4l)
        dl = b4l;
    if (dp > b4p)
        dp = b4p;
    uint32_t dpt = dpt_l + dpt_p;
    uint32_t received = dpt + (dpt * 25 + 999) / 1000; /* DPT + 2.5% reserve, rounded up */
    uint32_t invalid = (uint32_t)lround(b4 * (0.01 + 0.03 * unif(&r)));
    uint32_t valid = b4 - invalid;
    uint32_t damaged = unif(&r) < 0.3 ? (uint32_t)range(&r, 0, 2) : 0;
    if (damaged + b4 > received)
        damaged = 0;
    uint32_t votes[RK_CANDIDATES_MAX];
    apportion(valid, w, n_paslon, votes);

    rk_chasil_set(doc, RK_F_PEMILIH_DPT_L, dpt_l);
    rk_chasil_set(doc, RK_F_PEMILIH_DPT_P, dpt_p);
    rk_chasil_set(doc, RK_F_PEMILIH_DPT_J, dpt);
    const uint32_t rows[4][2] = {{b1l, b1p}, {b2l, b2p}, {b3l, b3p}, {b4l, b4p}};
    const enum rk_chasil_field first[4] = {RK_F_PENGGUNA_DPT_L, RK_F_PENGGUNA_DPTB_L,
                                           RK_F_PENGGUNA_DPK_L, RK_F_PENGGUNA_TOTAL_L};
    for (int i = 0; i < 4; i++) {
        rk_chasil_set(doc, first[i], rows[i][0]);
        rk_chasil_set(doc, (enum rk_chasil_field)(first[i] + 1), rows[i][1]);
        rk_chasil_set(doc, (enum rk_chasil_field)(first[i] + 2), rows[i][0] + rows[i][1]);
    }
    rk_chasil_set(doc, RK_F_SS_DITERIMA, received);
    rk_chasil_set(doc, RK_F_SS_DIGUNAKAN, b4);
    rk_chasil_set(doc, RK_F_SS_RUSAK, damaged);
    rk_chasil_set(doc, RK_F_SS_SISA, received - b4 - damaged);
    rk_chasil_set(doc, RK_F_DISABILITAS_L, dl);
    rk_chasil_set(doc, RK_F_DISABILITAS_P, dp);
    rk_chasil_set(doc, RK_F_DISABILITAS_J, dl + dp);
    for (int i = 0; i < n_paslon; i++)
        rk_chasil_set(doc, (enum rk_chasil_field)(RK_F_SUARA_PASLON_1 + i), votes[i]);
    rk_chasil_set(doc, RK_F_SUARA_SAH, valid);
    rk_chasil_set(doc, RK_F_SUARA_TIDAK_SAH, invalid);
    rk_chasil_set(doc, RK_F_SUARA_TOTAL, b4);
    return RK_OK;
}
