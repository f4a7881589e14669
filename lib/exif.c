/* EXIF orientation parser. Only IFD0 is read (the orientation tag lives there); the TIFF
 * structure is untrusted, so every read goes through a bounds-checked accessor and offsets are
 * compared in size_t without any addition that could wrap. */
#include "rekap/exif.h"
#include "rekap/status.h"

#include <stdbool.h>
#include <string.h>

struct tiff {
    const uint8_t *p;
    size_t len;
    bool big; /* "MM": Motorola byte order */
};

static bool rd16(const struct tiff *t, size_t off, unsigned *v)
{
    if (off > t->len || t->len - off < 2)
        return false;
    const uint8_t *b = t->p + off;
    *v = t->big ? (unsigned)b[0] << 8 | b[1] : (unsigned)b[1] << 8 | b[0];
    return true;
}

static bool rd32(const struct tiff *t, size_t off, uint32_t *v)
{
    if (off > t->len || t->len - off < 4)
        return false;
    const uint8_t *b = t->p + off;
    *v = t->big ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
    return true;
}

int rk_exif_orientation(const uint8_t *app1, size_t len, int *orientation)
{
    if (!app1 || !orientation)
        return RK_EINVAL;
    *orientation = 1;
    if (len > RK_EXIF_MAX)
        return RK_ETOOBIG;
    static const uint8_t magic[6] = {'E', 'x', 'i', 'f', 0, 0};
    if (len < sizeof magic || memcmp(app1, magic, sizeof magic) != 0)
        return RK_ENOTFOUND;
    struct tiff t = {app1 + sizeof magic, len - sizeof magic, false};
    if (t.len < 8)
        return RK_EPARSE;
    if (memcmp(t.p, "II*\0", 4) == 0)
        t.big = false;
    else if (memcmp(t.p, "MM\0*", 4) == 0)
        t.big = true;
    else
        return RK_EPARSE;
    uint32_t ifd;
    unsigned n;
    if (!rd32(&t, 4, &ifd) || ifd < 8 || !rd16(&t, ifd, &n))
        return RK_EPARSE;
    if (n > RK_EXIF_MAX_ENTRIES)
        return RK_ETOOBIG;
    /* The whole IFD (entries and the next-IFD offset) must be present: a truncated IFD is a
     * broken block even if the orientation entry happens to come first. */
    if (t.len - ifd - 2 < 4 || (t.len - ifd - 2 - 4) / 12 < n)
        return RK_EPARSE;
    bool seen = false;
    for (unsigned i = 0; i < n; i++) {
        size_t e = (size_t)ifd + 2 + (size_t)i * 12;
        unsigned tag, type, value;
        uint32_t count;
        if (!rd16(&t, e, &tag) || !rd16(&t, e + 2, &type) || !rd32(&t, e + 4, &count) ||
            !rd16(&t, e + 8, &value))
            return RK_EPARSE;
        if (tag != 0x0112)
            continue;
        /* A second orientation tag is ambiguous; SHORT (3) with count 1 is the only valid
         * encoding, and its value sits in the first two bytes of the value field. */
        if (seen || type != 3 || count != 1 || value < 1 || value > 8)
            return RK_EPARSE;
        seen = true;
        *orientation = (int)value;
    }
    return RK_OK;
}
