/* Fuzz target: photo decoding (format sniffing, PNG and JPEG decoders, EXIF orientation and the
 * rotation it triggers) at every reduction, plus the corner-mark search on what decodes. */
#include "rekap/image.h"
#include "rekap/marks.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks the reduction so one corpus exercises all of them. */
    int denom = size ? 1 << (data[0] & 3) : 1;
    struct rk_image img;
    if (rk_image_decode(data, size, denom, &img) != 0)
        return 0;
    /* Keep the detector on small images: it is not what is fuzzed, but it must not crash on
     * whatever the decoders hand it. */
    if ((long)img.width * img.height <= 256L * 256) {
        struct rk_marks m;
        rk_marks_find(&img, &m);
    }
    rk_image_free(&img);
    return 0;
}
