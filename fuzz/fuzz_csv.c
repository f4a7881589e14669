/* Fuzz target: CSV record splitting and region-row validation (import-regions input). */
#include "rekap/csv.h"
#include "rekap/region.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > RK_CSV_LINE_MAX + 16)
        return 0;
    char *line = malloc(size + 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    struct rk_csv_field f[4];
    int n;
    if (rk_csv_split(line, size, f, 4, &n) == 0 && n >= 2) {
        struct rk_region r;
        rk_region_init(&r, f[0].s, f[0].len, f[1].s, f[1].len);
        char out[64];
        rk_csv_quote(r.name, out, sizeof out);
    }
    free(line);
    return 0;
}
