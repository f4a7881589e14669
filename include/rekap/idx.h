/* MNIST IDX files (unsigned-byte images and labels), parsed from memory as a view: no copy,
 * the caller keeps the buffer alive. Reading gzip or plain files is the cli's job
 * (cli/io.h rk_cli_slurp). */
#ifndef REKAP_IDX_H
#define REKAP_IDX_H

#include <stddef.h>
#include <stdint.h>

#define RK_IDX_MAX_COUNT 10000000u /* items (first dimension) */
#define RK_IDX_MAX_DIM 1024u       /* any later dimension */
#define RK_IDX_MAX_ITEM (1024u * 1024u) /* bytes per item (product of later dimensions) */

struct rk_idx {
    uint32_t ndim;          /* 1 (labels) or 3 (images) */
    uint32_t count;         /* first dimension */
    uint32_t rows, cols;    /* 1 for labels */
    size_t item_size;       /* rows * cols */
    const uint8_t *data;    /* count * item_size bytes inside the parsed buffer */
};

/* Parses an IDX file image buf[0..len) that must have ndim dimensions (1 or 3) of unsigned
 * bytes: magic 00 00 08 ndim, ndim big-endian u32 sizes, then the data, nothing after it.
 * Returns RK_OK; RK_EPARSE for a bad magic, wrong ndim, truncated or trailing bytes;
 * RK_EUNSUPPORTED for a non-ubyte element type; RK_ERANGE for a zero dimension or one over its
 * cap (RK_IDX_MAX_*). On error *out is zeroed. */
int rk_idx_parse(const uint8_t *buf, size_t len, uint32_t ndim, struct rk_idx *out);

#endif
