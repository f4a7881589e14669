/* Subcommand table and the small helpers every subcommand shares. Adding a subcommand is one
 * row here plus its rk_cmd_* function in its own file. */
#include "cli/cli.h"
#include "rekap/status.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct rk_command rk_commands[] = {
    {"import-regions", rk_cmd_import_regions,
     "impor kode wilayah Kemendagri (CSV kode,nama) / import region codes"},
    {"import-tps", rk_cmd_import_tps, "impor daftar kode TPS 13 digit / import TPS codes"},
    {"import-candidates", rk_cmd_import_candidates,
     "impor paslon Pilkada dari JSON KPU / import KPU candidate pairs"},
    {"demo", rk_cmd_demo, "buat pemilihan contoh / generate a demo election"},
    {"check-kpu", rk_cmd_check_kpu,
     "periksa aritmetika JSON per TPS dari portal KPU / check KPU per-TPS JSON arithmetic"},
    {"digits", rk_cmd_digits,
     "latih/uji pengenal angka tulisan tangan / train or evaluate the digit reader"},
    {"stats", rk_cmd_stats, "ringkasan isi basis data / summarise the store"},
    {"user", rk_cmd_user, "kelola akun petugas (add, list, disable, bulk) / manage accounts"},
    {"form", rk_cmd_form, "cetak formulir C.Hasil-KWK / print C.Hasil-KWK forms"},
    {"read", rk_cmd_read, "baca foto formulir C.Hasil-KWK / read a photo of a C.Hasil-KWK form"},
    {"serve", rk_cmd_serve, "jalankan server HTTP / run the HTTP server"},
    {"dhasil", rk_cmd_dhasil,
     "rekapitulasi D.Hasil satu wilayah (JSON/PDF) / D.Hasil recap of a region"},
    {"verify", rk_cmd_verify,
     "periksa salinan digital (QR) terhadap log / check a witness copy against the log"},
    {"audit", rk_cmd_audit,
     "audit penuh log dan hasil (URL atau berkas) / full audit of the log and results"},
    {"export", rk_cmd_export, "ekspor data terbuka CSV/JSONL / export open data"},
    {"verify-snapshot", rk_cmd_verify_snapshot,
     "periksa snapshot data terbuka / verify an open-data snapshot"},
    {NULL, NULL, NULL},
};

const char *rk_cli_default_db(void)
{
    const char *db = getenv("REKAP_DB");
    return db && db[0] ? db : "rekap.db";
}

void rk_cli_error(const char *what, int status)
{
    fprintf(stderr, "rekap: %s: %s / %s\n", what, rk_strerror(status), rk_strerror_id(status));
}

static int actor_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

int rk_cli_actor(const char *given, char out[RK_CLI_ACTOR_MAX + 1])
{
    if (given) {
        size_t n = strlen(given);
        if (n == 0 || n > RK_CLI_ACTOR_MAX)
            return RK_EINVAL;
        for (size_t i = 0; i < n; i++)
            if (!actor_char(given[i]))
                return RK_EINVAL;
        memcpy(out, given, n + 1);
        return RK_OK;
    }
    struct passwd pw, *res = NULL;
    char buf[1024];
    uid_t uid = geteuid();
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res && res->pw_name[0])
        snprintf(out, RK_CLI_ACTOR_MAX + 1, "cli@%s", res->pw_name);
    else
        snprintf(out, RK_CLI_ACTOR_MAX + 1, "cli@uid%lu", (unsigned long)uid);
    for (char *p = out; *p; p++)
        if (!actor_char(*p))
            *p = '_';
    return RK_OK;
}
