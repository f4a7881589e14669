/* Public verification endpoints for the portal: GET /api/verify?receipt=RKW1|... checks a
 * witness copy against this server's own store and log (the same checks `rekap verify` runs
 * from outside, store/audit.c), and GET /api/devices/{key_id} publishes a KPPS device's public
 * key so anyone can check its signatures. Shapes in docs/api.md. */
#include "server/http.h"
#include "rekap/status.h"
#include "rekap/submission.h"
#include "store/audit.h"

#include <stdlib.h>
#include <string.h>

static int key_id_ok(const char *s)
{
    if (strlen(s) != 16)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int rk_h_device_get(struct rk_req *req)
{
    const char *id = req->params[0];
    if (!key_id_ok(id))
        return rk_req_fail(req, RK_EINVAL, "a device key id is 16 lowercase hex digits",
                           "id kunci perangkat harus 16 digit heksadesimal huruf kecil");
    struct rk_audit_store_ctx ctx = {.s = req->store};
    struct rk_audit_src src;
    struct rk_audit_device d;
    rk_audit_src_store(&src, &ctx);
    int rc = src.device(src.ctx, id, &d);
    rk_audit_store_ctx_free(&ctx);
    if (rc == RK_ENOTFOUND)
        return rk_req_fail(req, rc, "device key not found", "kunci perangkat tidak ditemukan");
    if (rc != RK_OK)
        return rc;
    char pub[65];
    rk_hex(d.pub, 32, pub);
    return rk_reply_json(req, json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:I,s:o}", "key_id", d.key_id,
                                        "public_key", pub, "owner", d.owner, "scope", d.scope,
                                        "created_at", (json_int_t)d.created_at, "revoked",
                                        d.revoked_at != 0, "revoked_at",
                                        (json_int_t)d.revoked_at, "log_index",
                                        d.log_index >= 0 ? json_integer(d.log_index)
                                                         : json_null()));
}

int rk_h_verify(struct rk_req *req)
{
    const char *r = rk_req_query(req, "receipt");
    if (!r)
        return rk_req_fail(req, RK_EINVAL, "missing ?receipt=RKW1|...",
                           "parameter ?receipt=RKW1|... tidak ada");
    struct rk_witness w;
    int rc = rk_witness_parse(r, strlen(r), &w);
    if (rc != RK_OK)
        return rk_req_fail(req, rc == RK_ETOOBIG ? RK_ETOOBIG : RK_EINVAL,
                           "not a valid witness receipt (RKW1|tps|race|version|doc|device|"
                           "signature|log index)",
                           "bukan salinan digital yang sah (RKW1|tps|pemilihan|versi|dokumen|"
                           "perangkat|tanda tangan|indeks log)");
    const struct rk_signer *signer = rk_server_signer(req->srv);
    struct rk_audit_store_ctx ctx = {.s = req->store};
    snprintf(ctx.log_id, sizeof ctx.log_id, "%s", rk_server_log_id(req->srv));
    memcpy(ctx.pub, signer->public_key, sizeof ctx.pub);
    struct rk_audit_src src;
    rk_audit_src_store(&src, &ctx);
    struct rk_witness_verdict *v = malloc(sizeof *v);
    if (!v) {
        rk_audit_store_ctx_free(&ctx);
        return RK_ENOMEM;
    }
    rc = rk_witness_verify(&src, &w, signer->public_key, ctx.log_id, v);
    json_t *j = rc == RK_OK ? rk_witness_verdict_json(&w, v) : NULL;
    free(v);
    rk_audit_store_ctx_free(&ctx);
    if (rc != RK_OK)
        return rc;
    return j ? rk_reply_json(req, j) : RK_ENOMEM;
}
