/*
 * test_box.c: algorithms/object_detection/box.c: IoU, encoding against a
 * default box with the variances, decoding back, the decode cap, clipping.
 */
#include <math.h>

#include "object_detection/box.h"
#include "support/harness.h"

TEST(od_iou_hand_cases)
{
    struct od_box a = {0, 0, 0.5f, 0.5f}, b = {0.25f, 0.25f, 0.75f, 0.75f}, c = {0.6f, 0.6f, 1, 1};
    /* intersection 0.0625, union 0.25 + 0.25 - 0.0625 */
    ASSERT_NEAR(od_iou(&a, &b), 0.0625 / 0.4375, 1e-6);
    ASSERT_NEAR(od_iou(&b, &a), 0.0625 / 0.4375, 1e-6);
    ASSERT_NEAR(od_iou(&a, &a), 1.0, 1e-7);
    ASSERT_NEAR(od_iou(&a, &c), 0.0, 0);
    /* touching edges share no area */
    struct od_box d = {0.5f, 0, 1, 0.5f};
    ASSERT_NEAR(od_iou(&a, &d), 0.0, 0);
    /* degenerate boxes: no area, no division by zero */
    struct od_box e = {0.3f, 0.3f, 0.3f, 0.3f};
    ASSERT_NEAR(od_iou(&e, &e), 0.0, 0);
    /* a box inside another: its area over the outer one's */
    struct od_box in = {0.1f, 0.1f, 0.2f, 0.3f};
    ASSERT_NEAR(od_iou(&a, &in), 0.02 / 0.25, 1e-6);
}

TEST(od_encode_decode_hand_and_round_trip)
{
    struct od_box gt = {0.1f, 0.2f, 0.5f, 0.6f};     /* centre (0.3, 0.4), size 0.4 x 0.4 */
    struct od_anchor d = {0.25f, 0.5f, 0.2f, 0.8f};
    float loc[4];
    od_encode(&gt, &d, loc);
    ASSERT_NEAR(loc[0], 0.05 / 0.2 / 0.1, 1e-5);    /* 2.5 */
    ASSERT_NEAR(loc[1], -0.1 / 0.8 / 0.1, 1e-5);    /* -1.25 */
    ASSERT_NEAR(loc[2], log(2.0) / 0.2, 1e-5);
    ASSERT_NEAR(loc[3], log(0.5) / 0.2, 1e-5);
    struct od_box back = od_decode(loc, &d);
    ASSERT_NEAR(back.xmin, 0.1, 1e-6);
    ASSERT_NEAR(back.ymin, 0.2, 1e-6);
    ASSERT_NEAR(back.xmax, 0.5, 1e-6);
    ASSERT_NEAR(back.ymax, 0.6, 1e-6);
    /* a box equal to its anchor encodes to zeros */
    struct od_box same = od_anchor_corners(&d);
    od_encode(&same, &d, loc);
    for (int i = 0; i < 4; i++)
        ASSERT_NEAR(loc[i], 0.0, 1e-5);
    /* a degenerate ground truth still encodes to finite numbers */
    struct od_box flat = {0.3f, 0.3f, 0.3f, 0.5f};
    od_encode(&flat, &d, loc);
    ASSERT(isfinite(loc[2]) && loc[2] < -30.0f);
}

TEST(od_decode_caps_size_and_clip)
{
    struct od_anchor d = {0.5f, 0.5f, 0.1f, 0.1f};
    float loc[4] = {0, 0, 1000.0f, 0};
    struct od_box b = od_decode(loc, &d);
    /* the size offset stops at log(1000/16): 62.5 times the anchor */
    ASSERT_NEAR(b.xmax - b.xmin, 6.25, 1e-4);
    ASSERT(isfinite(b.xmin) && isfinite(b.xmax));
    struct od_box c = od_clip(b);
    ASSERT_NEAR(c.xmin, 0.0, 0);
    ASSERT_NEAR(c.xmax, 1.0, 0);
    ASSERT_NEAR(c.ymin, 0.45, 1e-6);
    ASSERT_NEAR(c.ymax, 0.55, 1e-6);
}
