/* Fuzz target: the submission envelope (POST /api/submissions body) — strict JSON parse, the
 * embedded C.Hasil document, hex fields, then the signed statement; and the same bytes as a
 * bulk body (a JSON array of submissions), whose elements must parse exactly as alone. */
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
    static struct rk_submission subs[RK_SUBMISSION_BULK_MAX];
    int status[RK_SUBMISSION_BULK_MAX];
    size_t n = 0;
    if (rk_submission_parse_many((const char *)data, size, subs, status, NULL,
                                 RK_SUBMISSION_BULK_MAX, &n, &err) == 0) {
        if (n < 1 || n > RK_SUBMISSION_BULK_MAX)
            __builtin_trap();
        for (size_t i = 0; i < n; i++)
            if (status[i] == 0 && subs[i].doc_len == 0)
                __builtin_trap();
    } else if (n != 0) {
        __builtin_trap();
    }
    return 0;
}
