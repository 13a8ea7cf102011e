/*
 * box.h: box geometry for SSD detection (ALGORITHMS.md D.5).  Boxes are
 * corners normalised to the image, [0, 1] with the origin top-left; default
 * boxes (anchors) are centre + size.  A ground-truth box is encoded against
 * a default box as SSD's offsets divided by the variances (0.1 for the
 * centre, 0.2 for the size), and decoded back.
 */
#ifndef OPTML_OD_BOX_H
#define OPTML_OD_BOX_H

#define OD_VAR_CENTER 0.1f
#define OD_VAR_SIZE 0.2f

struct od_box {
    float xmin, ymin, xmax, ymax;   /* normalised corners */
};

/* A labelled ground-truth object. */
struct od_object {
    int cls;                        /* class id from 0 */
    struct od_box box;
};

struct od_anchor {
    float cx, cy, w, h;             /* normalised centre and size */
};

/* Intersection over union; 0 when the union is empty (both degenerate). */
float od_iou(const struct od_box *a, const struct od_box *b);

/* The anchor's corners. */
struct od_box od_anchor_corners(const struct od_anchor *d);

/* Encodes gt against d: loc = ((gcx - dcx) / dw / 0.1, (gcy - dcy) / dh / 0.1,
 * log(gw / dw) / 0.2, log(gh / dh) / 0.2).  A degenerate gt side counts as
 * 1e-6 wide, so the result is always finite. */
void od_encode(const struct od_box *gt, const struct od_anchor *d, float loc[4]);

/* The inverse of od_encode; the size offsets are capped at log(1000 / 16)
 * after the variance (as common SSD decoders do), so no box becomes
 * infinite.  The result is not clipped. */
struct od_box od_decode(const float loc[4], const struct od_anchor *d);

/* Each corner clamped to [0, 1]. */
struct od_box od_clip(struct od_box b);

#endif
