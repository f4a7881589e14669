/* Fuzz target: the whole photo reader (decode, size checks, mark search, QR decode through each
 * page orientation, box warps, digit and bubble reading, the page's sums) on arbitrary bytes.
 * The digit model is a tiny zero-weight one: the CNN's numbers do not matter here, only that no
 * input crashes, hangs or reads out of bounds. */
#include "rekap/digits.h"
#include "rekap/form.h"
#include "rekap/reader.h"
#include "rekap/status.h"

#include <stdint.h>
#include <stdlib.h>

static struct rk_reader *reader(void)
{
    static struct rk_digits_model m;
    static struct rk_form_template t;
    static struct rk_reader r;
    static int ready;
    if (!ready) {
        struct rk_digits_arch a = {2, 3, 2, 3, 4};
        struct rk_form_error err;
        if (rk_digits_model_init(&m, &a) != RK_OK || rk_form_template_builtin(&t, &err) != RK_OK ||
            rk_reader_init(&r, &t, &m) != RK_OK)
            abort();
        ready = 1;
    }
    return &r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rk_reader_result *res = malloc(sizeof *res);
    if (!res)
        return 0;
    rk_reader_read(reader(), data, size, NULL, res);
    free(res);
    return 0;
}
