/*
 * test_map.c: algorithms/object_detection/map.c on hand-computed cases:
 * VOC07 11-point and area AP with a false positive and a duplicate, the
 * mean over classes with ground truth, the strict IoU threshold, no
 * detections.
 */
#include "object_detection/map.h"
#include "support/harness.h"

/* Class 0: two objects in image 0, one in image 1.  Detections by score:
 * TP (p 1, r 1/3), FP elsewhere (1/2, 1/3), TP (2/3, 2/3), duplicate FP
 * (1/2, 2/3). */
static const struct od_eval_gt gts[4] = {
    {0, 0, {0, 0, 0.5f, 0.5f}}, {0, 0, {0.5f, 0.5f, 1, 1}}, {1, 0, {0, 0, 1, 1}}, {0, 1, {0.2f, 0.2f, 0.4f, 0.4f}}};
static const struct od_eval_det dets[6] = {
    {0, 0, 0.6f, {0, 0, 0.5f, 0.5f}},        /* the duplicate, listed first: order is by score */
    {0, 0, 0.9f, {0, 0, 0.5f, 0.5f}},
    {0, 0, 0.8f, {0.6f, 0, 1, 0.4f}},
    {1, 0, 0.7f, {0, 0, 1, 1}},
    {0, 1, 0.5f, {0.2f, 0.2f, 0.4f, 0.4f}},  /* class 1: one exact hit */
    {0, 2, 0.9f, {0, 0, 1, 1}}};             /* class 2: no ground truth */

TEST(od_map_voc07_and_area)
{
    float ap[3];
    double map;
    ASSERT_EQ_INT(od_map(dets, 4, gts, 3, 1, 0.5f, OD_AP_VOC07, ap, &map), 0);
    /* recall >= 0 .. 0.3: precision 1; 0.4 .. 0.6: 2/3; 0.7 .. 1: none */
    ASSERT_NEAR(ap[0], (4 * 1.0 + 3 * 2.0 / 3.0) / 11.0, 1e-6);
    ASSERT_NEAR(map, 6.0 / 11.0, 1e-6);
    ASSERT_EQ_INT(od_map(dets, 4, gts, 3, 1, 0.5f, OD_AP_AREA, ap, &map), 0);
    /* 1/3 at precision 1, then 1/3 at the envelope's 2/3 */
    ASSERT_NEAR(ap[0], 1.0 / 3.0 + 2.0 / 9.0, 1e-6);
}

TEST(od_map_mean_over_classes_with_ground_truth)
{
    float ap[3];
    double map;
    ASSERT_EQ_INT(od_map(dets, 6, gts, 4, 3, 0.5f, OD_AP_VOC07, ap, &map), 0);
    ASSERT_NEAR(ap[0], 6.0 / 11.0, 1e-6);
    ASSERT_NEAR(ap[1], 1.0, 1e-6);
    ASSERT_NEAR(ap[2], -1.0, 0);
    ASSERT_NEAR(map, (6.0 / 11.0 + 1.0) / 2.0, 1e-6);
    /* no detections: AP 0 where there is ground truth */
    ASSERT_EQ_INT(od_map(dets, 0, gts, 4, 3, 0.5f, OD_AP_AREA, ap, &map), 0);
    ASSERT_NEAR(ap[0], 0.0, 0);
    ASSERT_NEAR(map, 0.0, 0);
    /* nothing at all */
    ASSERT_EQ_INT(od_map(NULL, 0, NULL, 0, 2, 0.5f, OD_AP_VOC07, ap, &map), 0);
    ASSERT_NEAR(ap[0], -1.0, 0);
    ASSERT_NEAR(map, 0.0, 0);
}

TEST(od_map_iou_threshold_is_strict)
{
    const struct od_eval_gt g[1] = {{0, 0, {0, 0, 1, 1}}};
    const struct od_eval_det half[1] = {{0, 0, 0.9f, {0, 0, 0.5f, 1}}};   /* IoU exactly 0.5 */
    double map;
    ASSERT_EQ_INT(od_map(half, 1, g, 1, 1, 0.5f, OD_AP_AREA, NULL, &map), 0);
    ASSERT_NEAR(map, 0.0, 0);
    ASSERT_EQ_INT(od_map(half, 1, g, 1, 1, 0.49f, OD_AP_AREA, NULL, &map), 0);
    ASSERT_NEAR(map, 1.0, 1e-9);
    /* a detection in another image does not hit */
    const struct od_eval_det other[1] = {{1, 0, 0.9f, {0, 0, 1, 1}}};
    ASSERT_EQ_INT(od_map(other, 1, g, 1, 1, 0.5f, OD_AP_VOC07, NULL, &map), 0);
    ASSERT_NEAR(map, 0.0, 0);
}
