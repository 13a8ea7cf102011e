/*
 * detect.c: the detector's output on one image, shared by validation
 * (train.c) and serving (request.c): the network's box offsets decoded
 * against the default boxes, softmax over the class logits, then per-class
 * NMS (nms.h) into rows [class_id, score, xmin, ymin, xmax, ymax] with
 * normalised corners.
 */
#include <math.h>

#include "object_detection/od.h"
#include "object_detection/nms.h"

size_t od_detect(const struct od_net *net, const struct od_anchor *anchors, const float *loc, const float *conf,
                 size_t i, float nms_threshold, size_t topk, float *prob, struct od_box *boxes, float *rows)
{
    size_t A = net->A, K = net->K;
    for (size_t a = 0; a < A; a++) {
        boxes[a] = od_clip(od_decode(loc + (i * A + a) * 4, &anchors[a]));
        const float *z = conf + (i * A + a) * K;
        float mx = z[0];
        for (size_t k = 1; k < K; k++)
            mx = z[k] > mx ? z[k] : mx;
        float sum = 0;
        for (size_t k = 0; k < K; k++)
            sum += prob[a * K + k] = expf(z[k] - mx);
        for (size_t k = 0; k < K; k++)
            prob[a * K + k] /= sum;
    }
    struct od_nms_params np = {nms_threshold, OD_SCORE_THRESHOLD, topk, 0};
    size_t n = od_nms(prob, boxes, A, K, &np, rows);
    return n == (size_t)-1 ? 0 : n;
}
