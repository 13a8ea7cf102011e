/*
 * nms.h: SSD detection output (ALGORITHMS.md D.3, D.5): per-box class
 * probabilities and decoded boxes to the rows the built-in answers,
 * [class_id, score, xmin, ymin, xmax, ymax] with class ids from 0, sorted by
 * score (highest first, ties to the lower box index).
 *
 * As MXNet's MultiBoxDetection (the built-in's output layer): each box is a
 * candidate for its most probable non-background class (or, with
 * all_classes, for every class), candidates of score <= score_threshold are
 * dropped, the topk best enter non-maximum suppression, and a candidate is
 * suppressed by a better one of the same class whose IoU with it is above
 * nms_threshold.
 */
#ifndef OPTML_OD_NMS_H
#define OPTML_OD_NMS_H

#include <stddef.h>

#include "box.h"

#define OD_DET_COLS 6

struct od_nms_params {
    float nms_threshold;            /* 0.45 */
    float score_threshold;          /* 0.01 */
    size_t topk;                    /* nms_topk: 400 */
    int all_classes;                /* 0: each box's best class only */
};

/* prob: (A, K) softmax probabilities, column 0 background; boxes: A decoded
 * boxes.  Writes at most params->topk rows of OD_DET_COLS floats to rows and
 * returns their count, or (size_t)-1 when out of memory. */
size_t od_nms(const float *prob, const struct od_box *boxes, size_t A, size_t K, const struct od_nms_params *params,
              float *rows);

#endif
