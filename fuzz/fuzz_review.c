/* libFuzzer target: rk_digits_review_apply (a blind review of labels, `--set-aside FILE`) on
 * arbitrary bytes against 64 labels. What it accepts must add up: every listed index marked
 * once, the counts equal to the marks; what it refuses names a line. */
#include "rekap/digits_train.h"
#include "rekap/status.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { N = 64 };
    uint8_t labels[N], mark[N] = {0};
    for (int i = 0; i < N; i++)
        labels[i] = (uint8_t)(i % 11); /* 0..9 and 10, "not a digit" */
    uint32_t reviewed = 0, disputed = 0, line = 0;
    int rc = rk_digits_review_apply((const char *)data, size, labels, N, mark, &reviewed,
                                    &disputed, &line);
    if (rc == RK_OK) {
        uint32_t r = 0, d = 0;
        for (int i = 0; i < N; i++) {
            if (mark[i] > RK_DIGITS_DISPUTED)
                abort();
            r += mark[i] != RK_DIGITS_UNREVIEWED;
            d += mark[i] == RK_DIGITS_DISPUTED;
        }
        if (r != reviewed || d != disputed || line != 0)
            abort();
    } else if (rc != RK_EPARSE || line == 0) {
        abort(); /* nothing here is over the size cap */
    }
    return 0;
}
