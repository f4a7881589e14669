/* Fuzz target: region/TPS code parsing (URLs, import files, QR payloads all carry codes). */
#include "rekap/region.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[RK_CODE_MAX + 1], parent[RK_CODE_MAX + 1];
    enum rk_level level;
    if (rk_code_parse((const char *)data, size, out, &level) == 0) {
        if (strlen(out) != rk_level_digits(level))
            __builtin_trap();
        rk_code_parent(out, parent);
    }
    return 0;
}
