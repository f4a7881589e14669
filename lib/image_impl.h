/* Internal to lib/: image helpers the decoders share with image.c. Not a public API. */
#ifndef REKAP_IMAGE_IMPL_H
#define REKAP_IMAGE_IMPL_H

#include "rekap/image.h"

/* rk_image_init without the fill: the pixels are whatever the allocator returns, for a caller
 * that writes every row before anything reads one (a decoder; on failure it frees the image
 * unread). Same caps and statuses as rk_image_init. */
int rk_image_init_uncleared(struct rk_image *img, int width, int height);

#endif
