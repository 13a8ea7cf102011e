/*
 * test_nms.c: algorithms/object_detection/nms.c: per-class suppression, the
 * row layout and order, the score threshold, nms_topk before suppression,
 * every class as a candidate.
 */
#include "object_detection/nms.h"
#include "support/harness.h"

/* b1 overlaps b0 at IoU 0.818; b3 is b0 again. */
static const struct od_box boxes[4] = {
    {0, 0, 0.5f, 0.5f}, {0.05f, 0, 0.55f, 0.5f}, {0.5f, 0.5f, 1, 1}, {0, 0, 0.5f, 0.5f}};
static const float prob[12] = {0.1f, 0.8f, 0.1f, 0.2f, 0.7f, 0.1f, 0.3f, 0.1f, 0.6f, 0.4f, 0.05f, 0.55f};

static void row_is(const float *r, float cls, float score, const struct od_box *b)
{
    ASSERT_NEAR(r[0], cls, 0);
    ASSERT_NEAR(r[1], score, 1e-7);
    ASSERT_NEAR(r[2], b->xmin, 0);
    ASSERT_NEAR(r[3], b->ymin, 0);
    ASSERT_NEAR(r[4], b->xmax, 0);
    ASSERT_NEAR(r[5], b->ymax, 0);
}

TEST(od_nms_per_class)
{
    struct od_nms_params p = {0.45f, 0.01f, 400, 0};
    float rows[12 * OD_DET_COLS];
    /* b1 (class 0, 0.7) falls to b0 (0.8); b3 is b0's box but class 1: kept */
    ASSERT_EQ_INT(od_nms(prob, boxes, 4, 3, &p, rows), 3);
    row_is(rows, 0, 0.8f, &boxes[0]);
    row_is(rows + 6, 1, 0.6f, &boxes[2]);
    row_is(rows + 12, 1, 0.55f, &boxes[3]);
    /* a looser threshold keeps b1 */
    p.nms_threshold = 0.9f;
    ASSERT_EQ_INT(od_nms(prob, boxes, 4, 3, &p, rows), 4);
    row_is(rows + 6, 0, 0.7f, &boxes[1]);
}

TEST(od_nms_topk_and_score_threshold)
{
    struct od_nms_params p = {0.45f, 0.01f, 2, 0};
    float rows[12 * OD_DET_COLS];
    /* the best two candidates (0.8, 0.7) enter suppression; 0.7 falls */
    ASSERT_EQ_INT(od_nms(prob, boxes, 4, 3, &p, rows), 1);
    row_is(rows, 0, 0.8f, &boxes[0]);
    p.topk = 400;
    p.score_threshold = 0.6f;        /* strictly above */
    ASSERT_EQ_INT(od_nms(prob, boxes, 4, 3, &p, rows), 1);
    p.topk = 0;
    ASSERT_EQ_INT(od_nms(prob, boxes, 4, 3, &p, rows), 0);
    /* background only: nothing */
    ASSERT_EQ_INT(od_nms(prob, boxes, 4, 1, &p, rows), 0);
}

TEST(od_nms_all_classes)
{
    struct od_nms_params p = {0.45f, 0.05f, 400, 1};
    float rows[12 * OD_DET_COLS];
    /* candidates over 0.05: 0.8 b0/0, 0.7 b1/0, 0.6 b2/1, 0.55 b3/1, 0.1 b0/1,
     * 0.1 b1/1, 0.1 b2/0; b1/0 falls to b0/0, b0/1 and b1/1 to b3/1 */
    ASSERT_EQ_INT(od_nms(prob, boxes, 4, 3, &p, rows), 4);
    row_is(rows, 0, 0.8f, &boxes[0]);
    row_is(rows + 6, 1, 0.6f, &boxes[2]);
    row_is(rows + 12, 1, 0.55f, &boxes[3]);
    row_is(rows + 18, 0, 0.1f, &boxes[2]);
}
