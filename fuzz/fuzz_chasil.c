/* libFuzzer target for the C.Hasil decoder: arbitrary bytes must be refused cleanly or decode
 * to a document whose canonical encoding round-trips byte for byte. Any broken invariant
 * aborts so the fuzzer reports it. */
#include "rekap/chasil.h"
#include "rekap/status.h"
#include "rekap/validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_error(const struct rk_chasil_error *err)
{
    size_t n = strnlen(err->field, sizeof err->field);
    if (n == sizeof err->field || strnlen(err->message, sizeof err->message) == 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (err->field[i] < 0x20 || err->field[i] > 0x7e)
            abort(); /* error text goes to logs and JSON bodies: printable only */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned flags[] = {0, RK_CHASIL_PARTIAL};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        struct rk_chasil doc, back;
        struct rk_chasil_error err;
        int rc = rk_chasil_decode((const char *)data, size, flags[k], &doc, &err);
        if (rc != RK_OK) {
            check_error(&err);
            continue;
        }
        char buf[RK_CHASIL_JSON_MAX];
        size_t len;
        if (rk_chasil_encode(&doc, buf, sizeof buf, &len) != RK_OK)
            abort();
        if (rk_chasil_decode(buf, len, flags[k] | RK_CHASIL_CANONICAL, &back, &err) != RK_OK)
            abort();
        if (!rk_chasil_equal(&doc, &back))
            abort();
        bool canonical = len == size && memcmp(buf, data, size) == 0;
        if (rk_chasil_is_canonical((const char *)data, size) != canonical)
            abort();
        struct rk_violation v[RK_VIOLATIONS_MAX];
        size_t n = 0;
        int vrc = rk_validate(&doc, NULL, v, RK_VIOLATIONS_MAX, &n);
        if ((vrc != RK_OK && vrc != RK_EVALIDATION) || n > RK_VIOLATIONS_MAX)
            abort();
    }
    return 0;
}
