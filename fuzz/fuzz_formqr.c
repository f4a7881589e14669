/* Fuzz target: the QR payload printed on every form page (read back from photos). A parsed
 * payload must format back to exactly the input. */
#include "rekap/form.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rk_form_qr q;
    if (rk_form_qr_parse((const char *)data, size, &q) == 0) {
        char back[512];
        if (rk_form_qr_format(&q, back, sizeof back) < 0 || strlen(back) != size ||
            memcmp(back, data, size) != 0)
            __builtin_trap();
    }
    return 0;
}
