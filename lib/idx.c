/* IDX parser: MNIST's container. Sizes come from the file, so each is capped and the total is
 * checked against the bytes actually present before anything points into the data. */
#include "rekap/idx.h"
#include "rekap/status.h"

#include <string.h>

static uint32_t rd32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int rk_idx_parse(const uint8_t *buf, size_t len, uint32_t ndim, struct rk_idx *out)
{
    memset(out, 0, sizeof *out);
    if (ndim != 1 && ndim != 3)
        return RK_EINVAL;
    if (!buf || len < 4 || buf[0] != 0 || buf[1] != 0)
        return RK_EPARSE;
    if (buf[2] != 0x08)
        return RK_EUNSUPPORTED;
    if (buf[3] != ndim)
        return RK_EPARSE;
    size_t hdr = 4 + 4 * (size_t)ndim;
    if (len < hdr)
        return RK_EPARSE;
    uint32_t d[3] = {1, 1, 1};
    for (uint32_t i = 0; i < ndim; i++)
        d[i] = rd32be(buf + 4 + 4 * i);
    if (d[0] == 0 || d[0] > RK_IDX_MAX_COUNT)
        return RK_ERANGE;
    for (uint32_t i = 1; i < ndim; i++)
        if (d[i] == 0 || d[i] > RK_IDX_MAX_DIM)
            return RK_ERANGE;
    size_t item = (size_t)d[1] * d[2];
    if (item > RK_IDX_MAX_ITEM)
        return RK_ERANGE;
    /* count <= 1e7 and item <= 2^20: the product fits in 64 bits. */
    uint64_t body = (uint64_t)d[0] * item;
    if (body > SIZE_MAX - hdr || len != hdr + (size_t)body)
        return RK_EPARSE;
    out->ndim = ndim;
    out->count = d[0];
    out->rows = d[1];
    out->cols = d[2];
    out->item_size = item;
    out->data = buf + hdr;
    return RK_OK;
}
