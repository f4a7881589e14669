/* libFuzzer target: rk_digits_model_parse on arbitrary bytes. Each input is tried as is and
 * again with its trailing CRC-32 recomputed, so the fuzzer also reaches the checks behind the
 * checksum. A model that parses must classify without fault and round-trip byte for byte. */
#include "rekap/digits.h"
#include "rekap/status.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *buf, size_t len)
{
    struct rk_digits_model m;
    if (rk_digits_model_parse(&m, buf, len) != RK_OK)
        return;
    size_t slen = rk_digits_scratch_size(&m);
    void *scratch = malloc(slen);
    uint8_t img[RK_DIGITS_PIXELS];
    for (int i = 0; i < RK_DIGITS_PIXELS; i++)
        img[i] = (uint8_t)(len > 0 ? buf[(size_t)i % len] : 0);
    struct rk_digits_result r;
    if (!scratch || rk_digits_classify(&m, img, scratch, slen, &r) != RK_OK)
        abort();
    if (r.cls < 0 || r.cls >= RK_DIGITS_CLASSES)
        abort();
    uint8_t *out;
    size_t olen;
    if (rk_digits_model_serialize(&m, &out, &olen) != RK_OK || olen != len || memcmp(out, buf, len) != 0)
        abort();
    free(out);
    free(scratch);
    rk_digits_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size < 8 || size > (8u << 20))
        return 0;
    uint8_t *c = malloc(size);
    if (!c)
        return 0;
    memcpy(c, data, size);
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), c, (uInt)(size - 4));
    c[size - 4] = (uint8_t)crc, c[size - 3] = (uint8_t)(crc >> 8);
    c[size - 2] = (uint8_t)(crc >> 16), c[size - 1] = (uint8_t)(crc >> 24);
    check(c, size);
    free(c);
    return 0;
}
