/* Finding a printed form in a photo: its four corner registration marks (each a 2x2
 * checkerboard square with two diagonal cells black; the centre, where the black cells touch,
 * is the reference point), and refining where a printed box border actually is in the
 * rectified page. Generic over the template: nothing here knows the page's size or layout. */
#ifndef REKAP_MARKS_H
#define REKAP_MARKS_H

#include "rekap/geom.h"
#include "rekap/image.h"

/* The marks in photo pixel coordinates (pixel centres at integers), ordered TL, TR, BR, BL as
 * they appear in the photo (a page photographed upside down comes back in photo order; the
 * page's QR code tells which way up it is). */
struct rk_marks {
    struct rk_point pt[4];
    double cell[4];      /* estimated cell side in photo pixels */
    double score[4];     /* per-mark match quality, 0..1 */
    double confidence;   /* 0..1: the weakest mark's score; below ~0.4 ask for a retake */
    int candidates;      /* mark-like spots considered (diagnostics) */
};

/* Finds the four corner marks in photo (any size up to the image caps; it works on a reduced
 * copy of about a megapixel and refines each centre to sub-pixel precision at full
 * resolution). Marks may be rotated up to about +-20 degrees, under perspective, blurred and
 * unevenly lit; the cell side must be at least ~0.5% of the photo's longer side, and each mark
 * needs about half a cell of clear paper around it. The four chosen are the mark-like spots of
 * matching size, polarity and orientation that form the largest plausible convex quadrilateral.
 * Returns RK_OK, RK_EINVAL (bad image), RK_ENOTFOUND (no such four: no page, or part of it
 * outside the photo) or RK_ENOMEM. */
int rk_marks_find(const struct rk_image *photo, struct rk_marks *out);

/* Refines the position of a printed rectangle outline (a digit box's border) in a rectified
 * image: the rectangle [x, x + w] x [y, y + h] is where the border's centre line is expected;
 * every integer shift within +-search pixels (0..64) is tried and the one whose outline is
 * darkest relative to the bands just inside and outside is kept. *shift receives that offset
 * (the centre of the plateau of equally good shifts when the line is thicker than a pixel, so
 * it can be fractional) and *score its contrast, 0..1 (around 0 when no border is there). Keep
 * search under half the gap between neighbouring boxes, or a neighbour's border may win. Returns RK_OK, RK_EINVAL,
 * RK_ERANGE (w or h under 4 px) or RK_ENOMEM. */
int rk_marks_refine_box(const struct rk_image *img, double x, double y, double w, double h,
                        int search, struct rk_point *shift, double *score);

/* Bytes of work memory rk_marks_refine_box_work needs for these arguments; 0 when they are
 * invalid (rk_marks_refine_box then says why). */
size_t rk_marks_refine_work_size(double x, double y, double w, double h, int search);

/* rk_marks_refine_box without allocating: work holds at least rk_marks_refine_work_size bytes,
 * suitably aligned for double (malloc'd or a double array). Returns as rk_marks_refine_box,
 * RK_EINVAL also when work is too small. */
int rk_marks_refine_box_work(const struct rk_image *img, double x, double y, double w, double h,
                             int search, void *work, size_t work_len, struct rk_point *shift,
                             double *score);

#endif
