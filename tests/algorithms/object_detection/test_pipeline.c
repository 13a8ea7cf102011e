/*
 * test_pipeline.c: the detection core end to end on one image: default
 * boxes, matching, a perfect prediction (the targets themselves) whose loss
 * is near zero, decoding, NMS giving back exactly the ground truths, and
 * mAP 1 under both AP definitions.
 */
#include <math.h>
#include <stdlib.h>

#include "object_detection/anchors.h"
#include "object_detection/map.h"
#include "object_detection/match.h"
#include "object_detection/multibox.h"
#include "object_detection/nms.h"
#include "support/harness.h"

TEST(od_pipeline_perfect_prediction_round_trip)
{
    static const unsigned sizes[3] = {4, 2, 1};
    struct od_anchor_spec spec;
    od_anchor_spec_ssd(&spec, sizes, 3);
    size_t A = od_anchor_count(&spec), K = 3;
    ASSERT_EQ_INT(A, (16 + 4 + 1) * 6);
    struct od_anchor *anchors = malloc(A * sizeof(*anchors));
    char err[200];
    ASSERT_EQ_INT(od_anchors_make(&spec, anchors, err, sizeof(err)), A);
    const struct od_object gt[3] = {
        {0, {0.05f, 0.1f, 0.3f, 0.35f}}, {1, {0.4f, 0.3f, 0.95f, 0.9f}}, {0, {0.6f, 0.02f, 0.8f, 0.2f}}};
    int *cls = malloc(A * sizeof(int));
    float *loc = malloc(A * 4 * sizeof(float)), *conf = malloc(A * K * sizeof(float));
    long matched = od_match(anchors, A, gt, 3, 0.5f, cls, loc, NULL);
    ASSERT(matched >= 3);
    /* the targets as the prediction: confident logits for the target class */
    for (size_t a = 0; a < A; a++)
        for (size_t k = 0; k < K; k++)
            conf[a * K + k] = (int)k == cls[a] ? 12.0f : 0.0f;
    struct od_loss L;
    ASSERT_EQ_INT(od_multibox_loss(loc, conf, loc, cls, 1, A, K, 3.0f, &L, NULL, NULL), 0);
    ASSERT_EQ_INT(L.n_pos, matched);
    ASSERT_NEAR(L.loc, 0.0, 0);
    ASSERT(L.conf < 1e-3);
    /* decode and detect */
    struct od_box *boxes = malloc(A * sizeof(*boxes));
    float *prob = malloc(A * K * sizeof(float));
    for (size_t a = 0; a < A; a++) {
        boxes[a] = od_decode(loc + 4 * a, &anchors[a]);
        double s = 0;
        for (size_t k = 0; k < K; k++)
            s += exp(conf[a * K + k]);
        for (size_t k = 0; k < K; k++)
            prob[a * K + k] = (float)(exp(conf[a * K + k]) / s);
    }
    struct od_nms_params p = {0.45f, 0.01f, 400, 0};
    float rows[400 * OD_DET_COLS];
    size_t n = od_nms(prob, boxes, A, K, &p, rows);
    ASSERT_EQ_INT(n, 3);
    struct od_eval_det dets[3];
    int seen[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        const float *r = rows + 6 * i;
        int hit = -1;
        for (int g = 0; g < 3; g++)
            if (fabsf(r[2] - gt[g].box.xmin) < 1e-5f && fabsf(r[3] - gt[g].box.ymin) < 1e-5f &&
                fabsf(r[4] - gt[g].box.xmax) < 1e-5f && fabsf(r[5] - gt[g].box.ymax) < 1e-5f)
                hit = g;
        ASSERT(hit >= 0);
        ASSERT_EQ_INT((int)r[0], gt[hit].cls);
        seen[hit]++;
        dets[i] = (struct od_eval_det){0, (int)r[0], r[1], {r[2], r[3], r[4], r[5]}};
    }
    ASSERT(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    struct od_eval_gt egt[3];
    for (int g = 0; g < 3; g++)
        egt[g] = (struct od_eval_gt){0, gt[g].cls, gt[g].box};
    double map;
    ASSERT_EQ_INT(od_map(dets, n, egt, 3, 2, 0.5f, OD_AP_VOC07, NULL, &map), 0);
    ASSERT_NEAR(map, 1.0, 1e-9);
    ASSERT_EQ_INT(od_map(dets, n, egt, 3, 2, 0.5f, OD_AP_AREA, NULL, &map), 0);
    ASSERT_NEAR(map, 1.0, 1e-9);
    free(anchors), free(cls), free(loc), free(conf), free(boxes), free(prob);
}
