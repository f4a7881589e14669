/* Fuzz target: the EXIF orientation parser on raw APP1 payloads. */
#include "rekap/exif.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int o = 0;
    if (rk_exif_orientation(data, size, &o) == 0 && (o < 1 || o > 8))
        abort(); /* the contract: a successful parse yields 1..8 */
    return 0;
}
