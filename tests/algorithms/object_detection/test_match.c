/*
 * test_match.c: algorithms/object_detection/match.c: bipartite matching
 * (each ground truth gets a box even under the threshold, a box taken once),
 * threshold matching, the class and encoded box targets.
 */
#include <stdlib.h>

#include "object_detection/match.h"
#include "support/harness.h"

/* [0,0,.5,.5], [.5,.5,1,1], [.05,.05,.55,.55], [.4,.4,.6,.6] */
static const struct od_anchor anchors[4] = {
    {0.25f, 0.25f, 0.5f, 0.5f}, {0.75f, 0.75f, 0.5f, 0.5f}, {0.3f, 0.3f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.2f, 0.2f}};

TEST(od_match_bipartite_then_threshold)
{
    const struct od_object gt[2] = {{2, {0, 0, 0.5f, 0.5f}}, {0, {0.45f, 0.45f, 0.65f, 0.65f}}};
    int cls[4], m[4];
    float loc[16];
    /* gt 0: IoU 1 with box 0, 0.68 with box 2 (above 0.5); gt 1: best box 3
     * at IoU 0.39, below the threshold, taken by the bipartite step */
    ASSERT_EQ_INT(od_match(anchors, 4, gt, 2, 0.5f, cls, loc, m), 3);
    ASSERT_EQ_INT(cls[0], 3);
    ASSERT_EQ_INT(cls[1], 0);
    ASSERT_EQ_INT(cls[2], 3);
    ASSERT_EQ_INT(cls[3], 1);
    ASSERT_EQ_INT(m[0], 0);
    ASSERT_EQ_INT(m[1], -1);
    ASSERT_EQ_INT(m[2], 0);
    ASSERT_EQ_INT(m[3], 1);
    for (int i = 0; i < 4; i++) {
        ASSERT_NEAR(loc[i], 0.0, 1e-6);          /* gt 0 is box 0 exactly */
        ASSERT_NEAR(loc[4 + i], 0.0, 0);         /* background */
    }
    /* gt 1 against box 3: centre 0.05 off on a 0.2 box, same size */
    ASSERT_NEAR(loc[12], 2.5, 1e-5);
    ASSERT_NEAR(loc[13], 2.5, 1e-5);
    ASSERT_NEAR(loc[14], 0.0, 1e-5);
    ASSERT_NEAR(loc[15], 0.0, 1e-5);
    /* box 2 encodes gt 0 against itself: (0.25 - 0.3) / 0.5 / 0.1 */
    ASSERT_NEAR(loc[8], -1.0, 1e-5);
    /* a higher threshold leaves only the bipartite pairs */
    ASSERT_EQ_INT(od_match(anchors, 4, gt, 2, 0.7f, cls, loc, NULL), 2);
    ASSERT_EQ_INT(cls[2], 0);
}

TEST(od_match_each_ground_truth_gets_its_own_box)
{
    /* both prefer box 0; the better pair takes it, the other its next best */
    const struct od_object gt[2] = {{1, {0, 0, 0.5f, 0.45f}}, {0, {0, 0, 0.5f, 0.5f}}};
    int cls[4], m[4];
    float loc[16];
    ASSERT_EQ_INT(od_match(anchors, 4, gt, 2, 0.99f, cls, loc, m), 2);
    ASSERT_EQ_INT(m[0], 1);
    ASSERT_EQ_INT(m[2], 0);
    ASSERT_EQ_INT(cls[0], 1);
    ASSERT_EQ_INT(cls[2], 2);
}

TEST(od_match_no_objects_or_no_overlap)
{
    int cls[4] = {9, 9, 9, 9};
    float loc[16];
    ASSERT_EQ_INT(od_match(anchors, 4, NULL, 0, 0.5f, cls, loc, NULL), 0);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ_INT(cls[i], 0);
    /* a ground truth touching no box is matched to none */
    const struct od_object far[1] = {{0, {0.9f, 0.0f, 1.0f, 0.05f}}};
    ASSERT_EQ_INT(od_match(anchors, 3, far, 1, 0.5f, cls, loc, NULL), 0);
}
