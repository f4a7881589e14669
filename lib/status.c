/* Status codes: names, bilingual messages and HTTP mapping, in one table so they cannot drift. */
#include "rekap/status.h"

#include <stddef.h>

struct status_row {
    int status;
    int http;
    const char *name;
    const char *en;
    const char *id;
};

static const struct status_row rows[] = {
    {RK_OK, 200, "ok", "success", "berhasil"},
    {RK_EINVAL, 400, "invalid", "invalid input", "masukan tidak valid"},
    {RK_ENOMEM, 503, "no_memory", "out of memory", "memori habis"},
    {RK_ERANGE, 400, "out_of_range", "value out of range", "nilai di luar batas"},
    {RK_ENOTFOUND, 404, "not_found", "not found", "tidak ditemukan"},
    {RK_EEXIST, 409, "exists", "already exists", "sudah ada"},
    {RK_EPARSE, 400, "parse_error", "cannot parse input", "masukan tidak dapat dibaca"},
    {RK_ETOOBIG, 413, "too_big", "input too large", "masukan terlalu besar"},
    {RK_EIO, 500, "io_error", "input/output error", "galat baca/tulis"},
    {RK_EDB, 503, "storage_error", "storage error", "galat penyimpanan"},
    {RK_EAUTH, 401, "unauthenticated", "authentication required or failed",
     "autentikasi diperlukan atau gagal"},
    {RK_EFORBIDDEN, 403, "forbidden", "outside your permitted scope", "di luar wewenang Anda"},
    {RK_ECONFLICT, 409, "conflict", "conflicts with current state", "bertentangan dengan keadaan saat ini"},
    {RK_ESIGNATURE, 401, "bad_signature", "signature does not verify", "tanda tangan tidak sah"},
    {RK_EVALIDATION, 422, "validation_failed", "document breaks the form's rules",
     "dokumen melanggar aturan formulir"},
    {RK_EORPHAN, 422, "orphan", "parent region does not exist", "wilayah induk tidak ada"},
    {RK_EUNSUPPORTED, 415, "unsupported", "unsupported format or feature",
     "format atau fitur tidak didukung"},
    {RK_ERATELIMIT, 429, "rate_limited", "too many requests", "terlalu banyak permintaan"},
    {RK_EINTERNAL, 500, "internal", "internal error", "galat internal"},
    {RK_EPROOF, 422, "bad_proof", "Merkle proof does not verify", "bukti Merkle tidak sah"},
    {RK_EUNREADABLE, 422, "unreadable", "photo of the form cannot be read",
     "foto formulir tidak dapat dibaca"},
};

static const struct status_row *find(int status)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].status == status)
            return &rows[i];
    return NULL;
}

const char *rk_strerror(int status)
{
    const struct status_row *r = find(status);
    return r ? r->en : "unknown error";
}

const char *rk_strerror_id(int status)
{
    const struct status_row *r = find(status);
    return r ? r->id : "galat tidak dikenal";
}

const char *rk_status_name(int status)
{
    const struct status_row *r = find(status);
    return r ? r->name : "unknown";
}

int rk_status_http(int status)
{
    const struct status_row *r = find(status);
    return r ? r->http : 500;
}
