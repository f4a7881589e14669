/* Fuzz target: the submission envelope (POST /api/submissions body) — strict JSON parse, the
 * embedded C.Hasil document, hex fields, then the signed statement. */
#include "rekap/submission.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rk_submission sub;
    struct rk_chasil_error err;
    if (rk_submission_parse((const char *)data, size, &sub, &err) == 0) {
        char st[RK_STATEMENT_MAX];
        size_t len;
        if (rk_submission_statement(&sub, st, sizeof st, &len) != 0 || len >= sizeof st)
            __builtin_trap();
        /* the canonical document re-decodes to the same document */
        struct rk_chasil again;
        if (rk_chasil_decode(sub.doc_json, sub.doc_len, 0, &again, NULL) != 0 ||
            !rk_chasil_equal(&again, &sub.doc))
            __builtin_trap();
    }
    return 0;
}
