/* Fuzz target: the log entry decoder, which auditors run on bytes downloaded from a server they
 * do not trust. Besides not crashing, an accepted input must re-encode to exactly itself (the
 * encoding is canonical) and yield a leaf hash and a JSON view. */
#include "rekap/logentry.h"
#include "rekap/status.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rk_logentry e;
    if (rk_logentry_decode(data, size, &e) != RK_OK)
        return 0;
    uint8_t again[RK_LOGENTRY_MAX_BYTES];
    int len = rk_logentry_encode(&e, again, sizeof again);
    if (len < 0 || (size_t)len != size || memcmp(again, data, size) != 0)
        __builtin_trap();
    uint8_t h[RK_MERKLE_HASH_LEN];
    if (rk_logentry_leaf_hash(&e, h) != RK_OK)
        __builtin_trap();
    json_t *j = rk_logentry_to_json(&e);
    if (!j)
        __builtin_trap();
    json_decref(j);
    return 0;
}
