/*
 * anchors.h: SSD default boxes (ALGORITHMS.md D.5, D.6) for a list of
 * square feature maps.  Layer k of m has scale
 *     s_k = s_min + (s_max - s_min) k / (m - 1)      (k = 0 .. m-1)
 * and, in each cell (i, j) of its f_k x f_k map, boxes centred at
 * ((j + 0.5) / f_k, (i + 0.5) / f_k) in this order: the square of scale s_k,
 * the extra square of scale sqrt(s_k s_{k+1}) (s_m = 1), then for each
 * listed ratio r the boxes (s_k sqrt(r), s_k / sqrt(r)) and (s_k / sqrt(r),
 * s_k sqrt(r)).  Cells run row by row, layers in order: the prediction
 * heads lay their outputs out the same way.
 *
 * Two small-SSD variants (D.6): `first_scale` > 0 gives layer 0 that scale
 * and spaces s_min .. s_max over the other layers (the conv4_3 = 0.1 of
 * common SSD300 implementations); `reduce_lowest` gives layer 0 exactly three
 * boxes, a square of scale `lowest_scale` (0: s_0) and ratios 2 and 1/2 at
 * s_0 (TF MobileNet-SSD: 0.1, 0.2, 0.2; the Caffe MobileNet-SSD: 0.2 for all).
 */
#ifndef OPTML_OD_ANCHORS_H
#define OPTML_OD_ANCHORS_H

#include <stddef.h>

#include "box.h"

#define OD_MAX_LAYERS 8
#define OD_MAX_RATIOS 4

struct od_anchor_layer {
    unsigned size;                  /* feature map side f_k (>= 1) */
    unsigned n_ratios;              /* ratios besides 1, each adding r and 1/r */
    float ratios[OD_MAX_RATIOS];    /* > 1: 2 and 3 in the paper */
    int extra_square;               /* 1: the sqrt(s_k s_k+1) square */
};

struct od_anchor_spec {
    unsigned n_layers;
    struct od_anchor_layer layer[OD_MAX_LAYERS];
    float s_min, s_max;             /* 0 < s_min <= s_max <= 1 */
    float first_scale;              /* > 0: layer 0's scale, the others from s_min */
    int reduce_lowest;              /* 1: layer 0 has the three boxes above */
    float lowest_scale;             /* its square's scale; 0: s_0 */
    int clip;                       /* 1: corners clipped to [0, 1] */
};

/* The SSD paper's boxes on the given maps: s 0.2 .. 0.9, ratios {2} on the
 * first and the last two maps and {2, 3} on the others when n = 6 (SSD300
 * with sizes 38, 19, 10, 5, 3, 1: 8,732 boxes), {2, 3} everywhere otherwise;
 * extra squares everywhere, no clipping. */
void od_anchor_spec_ssd(struct od_anchor_spec *spec, const unsigned *sizes, unsigned n);

/* The TF MobileNet-SSD / SSDLite boxes: s 0.2 .. 0.95, the first map reduced
 * to (0.1, 1), (0.2, 2), (0.2, 1/2), the others ratios {2, 3} and the extra
 * square (sizes 19, 10, 5, 3, 2, 1 at 300 pixels: 1,917 boxes). */
void od_anchor_spec_ssdlite(struct od_anchor_spec *spec, const unsigned *sizes, unsigned n);

/* Boxes per cell of layer k, and in all layers (0 when the spec is invalid). */
unsigned od_anchor_per_cell(const struct od_anchor_spec *spec, unsigned k);
size_t od_anchor_count(const struct od_anchor_spec *spec);

/* The scale of layer k (k = n_layers gives 1, the extra square's partner of
 * the last layer). */
float od_anchor_scale(const struct od_anchor_spec *spec, unsigned k);

/* Writes od_anchor_count(spec) boxes to out; returns that count, or 0 with a
 * message in err when the spec is invalid (no layers, more than
 * OD_MAX_LAYERS, a zero size, scales outside (0, 1] or s_min > s_max, a
 * ratio not above 1 or not finite). */
size_t od_anchors_make(const struct od_anchor_spec *spec, struct od_anchor *out, char *err, size_t errsz);

/* 0 when the spec is valid, or -1 with the same messages. */
int od_anchor_spec_check(const struct od_anchor_spec *spec, char *err, size_t errsz);

#endif
