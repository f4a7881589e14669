/* POST /api/read: the KPPS web app sends the photo it just took (raw JPEG/PNG body, Bearer
 * session) and gets back what the reader made of it — every number with its digits, their
 * probabilities, boxes in photo pixels to draw over the photo, and what a person must check —
 * before the officer confirms and submits. Nothing is stored: a photo is kept only when it is
 * uploaded to /api/photos with the submission.
 *
 * Query parameters (optional): page=N and tps=CODE say what the officer meant to photograph; a
 * photo of something else is refused with 409 and a message saying what it is. An officer
 * whose scope does not cover the form's TPS gets 403. */
#include "server/http.h"
#include "rekap/reader.h"
#include "rekap/status.h"
#include "store/auth.h"
#include "store/form_race.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int caller(struct rk_req *req, struct rk_principal *who)
{
    const char *h = rk_req_header(req, "Authorization");
    if (!h)
        return rk_req_fail(req, RK_EAUTH, "log in first (Authorization: Bearer <token>)",
                           "silakan masuk terlebih dahulu");
    if (strncmp(h, "Bearer ", 7) != 0)
        return rk_req_fail(req, RK_EAUTH, "expected Authorization: Bearer <token>",
                           "format otorisasi harus Bearer <token>");
    int rc = rk_auth_session_principal(req->store, h + 7, strlen(h + 7), (int64_t)time(NULL), who);
    if (rc == RK_EAUTH)
        return rk_req_fail(req, rc, "session unknown or expired; log in again",
                           "sesi tidak dikenal atau kedaluwarsa; silakan masuk lagi");
    return rc;
}

int rk_h_read(struct rk_req *req)
{
    struct rk_principal who;
    int rc = caller(req, &who);
    if (rc != RK_OK)
        return rc;
    if (who.role == RK_ROLE_PUBLIC || who.role == RK_ROLE_SAKSI || who.role == RK_ROLE_BAWASLU)
        return rk_req_fail(req, RK_EFORBIDDEN, "only election officers read form photos",
                           "hanya petugas yang dapat membaca foto formulir");
    const struct rk_digits_model *m;
    const struct rk_form_template *t;
    if (rk_server_reader_parts(req->srv, &m, &t) != RK_OK)
        return rk_req_fail(req, RK_EUNSUPPORTED, "the photo reader is not configured on this server",
                           "pembaca foto tidak diaktifkan di server ini");
    if (!req->body || req->body_len < 8)
        return rk_req_fail(req, RK_EINVAL, "photo bytes required", "isi foto diperlukan");
    struct rk_reader_expect exp = {0};
    const char *page = rk_req_query(req, "page"), *tps = rk_req_query(req, "tps");
    if (page) {
        if (strlen(page) != 1 || page[0] < '1' || page[0] > '0' + RK_FORM_PAGES_MAX)
            return rk_req_fail(req, RK_EINVAL, "page must be 1..4", "halaman harus 1..4");
        exp.page = page[0] - '0';
    }
    exp.tps = tps;
    struct rk_reader r;
    struct rk_reader_result *res = malloc(sizeof *res);
    if (!res)
        return RK_ENOMEM;
    if ((rc = rk_reader_init(&r, t, m)) != RK_OK) {
        free(res);
        return rc;
    }
    const uint8_t *b = (const uint8_t *)req->body;
    rc = rk_reader_read(&r, b, req->body_len, &exp, res);
    struct rk_race race = {0};
    int ncand = 0;
    if (rc == RK_OK && strncmp(res->qr.tps, who.scope, strlen(who.scope)) != 0) {
        rc = rk_req_fail(req, RK_EFORBIDDEN, "this form belongs to a TPS outside your area",
                         "formulir ini milik TPS di luar wilayah Anda");
        goto out;
    }
    if (rc == RK_OK) {
        int frc = rk_store_form_race(req->store, &res->qr, &race, &ncand);
        if (frc != RK_OK && frc != RK_ENOTFOUND) {
            rc = frc;
            goto out;
        }
        if (frc == RK_OK && ncand >= 2 && ncand != res->ncand) {
            exp.ncand = ncand; /* the store knows the columns: read again with them */
            rc = rk_reader_read(&r, b, req->body_len, &exp, res);
        }
    }
    if (rc != RK_OK) {
        if (res->error != RK_READ_OK)
            rc = rk_req_fail(req, rc, rk_reader_error_message(res->error, false),
                             rk_reader_error_message(res->error, true));
        goto out;
    }
    json_t *j = rk_reader_result_json(res);
    if (!j) {
        rc = RK_ENOMEM;
        goto out;
    }
    json_object_set_new(j, "race_id", race.id ? json_integer(race.id) : json_null());
    rc = rk_reply_json(req, j);
out:
    rk_reader_free(&r);
    free(res);
    return rc;
}
