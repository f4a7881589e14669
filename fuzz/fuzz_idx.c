/* libFuzzer target: rk_idx_parse on arbitrary bytes, as images and as labels. Whatever it
 * accepts must describe exactly the bytes present. */
#include "rekap/idx.h"
#include "rekap/status.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (uint32_t ndim = 1; ndim <= 3; ndim += 2) {
        struct rk_idx x;
        if (rk_idx_parse(data, size, ndim, &x) != RK_OK)
            continue;
        size_t hdr = 4 + 4 * (size_t)ndim;
        if (x.data != data + hdr || hdr + (size_t)x.count * x.item_size != size)
            abort();
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < (size_t)x.count * x.item_size; i++)
            sink ^= x.data[i];
        (void)sink;
    }
    return 0;
}
