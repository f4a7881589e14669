/* EXIF orientation: the one EXIF field the form reader needs, so a phone photo taken in portrait
 * comes out upright. A small strict parser of untrusted bytes rather than a full EXIF library. */
#ifndef REKAP_EXIF_H
#define REKAP_EXIF_H

#include <stddef.h>
#include <stdint.h>

/* Largest JPEG APP1 payload (a marker segment's length field is 16 bits). */
#define RK_EXIF_MAX 65533
/* Most IFD0 entries walked; real cameras write about a dozen. */
#define RK_EXIF_MAX_ENTRIES 512

/* Reads the orientation tag (0x0112) from IFD0 of an APP1 payload of len bytes: "Exif\0\0"
 * followed by a TIFF header ("II*\0" or "MM\0*"), IFD0 offset and IFD0. Sets *orientation to
 * 1..8, or to 1 when IFD0 has no orientation tag. Every offset and count is bounds-checked.
 * Returns RK_OK, RK_EINVAL (NULL), RK_ENOTFOUND (not an Exif payload, e.g. XMP in APP1),
 * RK_ETOOBIG (len over RK_EXIF_MAX or too many entries) or RK_EPARSE (malformed TIFF, an
 * orientation tag of the wrong type/count, or a value outside 1..8). */
int rk_exif_orientation(const uint8_t *app1, size_t len, int *orientation);

#endif
