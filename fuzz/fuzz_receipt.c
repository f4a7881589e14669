/* Fuzz target: the witness-receipt parser, which reads text scanned from a QR code on somebody
 * else's phone. Besides not crashing, an accepted receipt must format back to exactly itself
 * (one spelling per receipt). */
#include "rekap/status.h"
#include "rekap/witness.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rk_witness w;
    if (rk_witness_parse((const char *)data, size, &w) != RK_OK)
        return 0;
    char again[RK_WITNESS_MAX + 1];
    int n = rk_witness_format(&w, again, sizeof again);
    if (n < 0 || (size_t)n != size || memcmp(again, data, size) != 0)
        __builtin_trap();
    return 0;
}
