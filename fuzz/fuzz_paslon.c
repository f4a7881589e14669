/* Fuzz target: the KPU paslon JSON parser (import-candidates input). */
#include "rekap/paslon.h"

#include <stdint.h>

static int sink(void *ud, const struct rk_paslon_race *race)
{
    (void)ud;
    return race->n > RK_CANDIDATES_MAX; /* never true; keeps the race read */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rk_paslon_error err;
    rk_paslon_parse((const char *)data, size, sink, NULL, &err);
    return 0;
}
