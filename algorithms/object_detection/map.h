/*
 * map.h: mean average precision over a validation set (ALGORITHMS.md D.4),
 * as the PASCAL VOC evaluation computes it, without "difficult" objects.
 * Per class, detections are taken by score (highest first, ties in input
 * order); a detection is a true positive when its best-IoU ground truth of
 * the same class in the same image has IoU > iou_threshold (strictly, as
 * the VOC devkit) and was not matched by an earlier detection, a false
 * positive otherwise.  AP is then
 *   OD_AP_VOC07: the mean over recall t = 0, 0.1, ..., 1 of the highest
 *                precision at recall >= t (0 when none), VOC2007's 11 points;
 *   OD_AP_AREA:  the area under the precision envelope (precision made
 *                non-increasing from the right), VOC2010 onwards.
 * mAP is the mean over the classes that have ground truth.
 */
#ifndef OPTML_OD_MAP_H
#define OPTML_OD_MAP_H

#include <stddef.h>

#include "box.h"

enum od_ap_kind { OD_AP_VOC07 = 0, OD_AP_AREA };

struct od_eval_det {
    size_t image;
    int cls;                        /* from 0 */
    float score;
    struct od_box box;
};

struct od_eval_gt {
    size_t image;
    int cls;
    struct od_box box;
};

/* ap (n_classes values, may be NULL): each class's AP, -1 for a class
 * without ground truth.  Detections and ground truths of a class outside
 * [0, n_classes) are ignored.  Writes mAP to *map (0 when no class has
 * ground truth).  Returns 0, or -1 when out of memory. */
int od_map(const struct od_eval_det *dets, size_t nd, const struct od_eval_gt *gts, size_t ng, int n_classes,
           float iou_threshold, enum od_ap_kind kind, float *ap, double *map);

#endif
