/*
 * match.h: SSD matching of ground-truth boxes to default boxes
 * (ALGORITHMS.md D.5).  First each ground truth takes its best default box
 * (bipartite: repeatedly the pair of highest IoU among the ground truths and
 * boxes not yet taken, ties to the lower index; a pair of IoU 0 is never
 * taken), then every other default box whose best IoU with any ground truth
 * is above the threshold takes that ground truth.
 */
#ifndef OPTML_OD_MATCH_H
#define OPTML_OD_MATCH_H

#include <stddef.h>

#include "box.h"

/* For anchors[0..na) and gt[0..ng): cls_target[a] = 0 (background) or
 * gt class + 1; loc_target[4a..4a+4) the od_encode of the matched ground
 * truth (zeros for background); match[a] (may be NULL) the ground-truth
 * index or -1.  Returns the number of matched boxes, or -1 when out of
 * memory. */
long od_match(const struct od_anchor *anchors, size_t na, const struct od_object *gt, size_t ng, float threshold,
              int *cls_target, float *loc_target, int *match);

#endif
