/* libFuzzer target for the KPU portal per-TPS parser: arbitrary bytes must be refused cleanly
 * or yield a document the validator can check; when the document has an identity, its
 * canonical encoding must round-trip. */
#include "rekap/kpu.h"
#include "rekap/status.h"
#include "rekap/validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rk_chasil doc, back;
    enum rk_kpu_state state;
    struct rk_kpu_error err;
    int rc = rk_kpu_parse_tps((const char *)data, size, NULL, &doc, &state, &err);
    if (rc != RK_OK) {
        if (state != RK_KPU_EMPTY || doc.present != 0 || err.message[0] == '\0')
            abort();
        return 0;
    }
    struct rk_violation v[RK_VIOLATIONS_MAX];
    size_t n = 0;
    int vrc = rk_validate(&doc, NULL, v, RK_VIOLATIONS_MAX, &n);
    if ((vrc != RK_OK && vrc != RK_EVALIDATION) || n > RK_VIOLATIONS_MAX)
        abort();
    json_t *j = rk_violations_json(v, n);
    if (!j || json_array_size(j) != n)
        abort();
    json_decref(j);
    /* Portal values over 999 cannot be encoded (the form has three boxes): skip those. */
    doc.race_id = 1;
    if (rk_chasil_check(&doc, true, NULL) != RK_OK)
        return 0;
    char buf[RK_CHASIL_JSON_MAX];
    size_t len;
    struct rk_chasil_error cerr;
    if (rk_chasil_encode(&doc, buf, sizeof buf, &len) != RK_OK ||
        rk_chasil_decode(buf, len, RK_CHASIL_PARTIAL | RK_CHASIL_CANONICAL, &back, &cerr) !=
            RK_OK ||
        !rk_chasil_equal(&doc, &back))
        abort();
    return 0;
}
