/*
 * match.c: bipartite then threshold matching of ground truths to default
 * boxes, with the class and encoded box targets (match.h).
 */
#include "match.h"

#include <stdlib.h>
#include <string.h>

long od_match(const struct od_anchor *anchors, size_t na, const struct od_object *gt, size_t ng, float threshold,
              int *cls_target, float *loc_target, int *match)
{
    int *m = match ? match : malloc((na ? na : 1) * sizeof(*m));
    float *iou = ng && na ? malloc(ng * na * sizeof(*iou)) : NULL;
    char *gt_done = ng ? calloc(ng, 1) : NULL;
    if (!m || (ng && na && (!iou || !gt_done))) {
        if (!match)
            free(m);
        free(iou);
        free(gt_done);
        return -1;
    }
    for (size_t a = 0; a < na; a++)
        m[a] = -1;
    for (size_t g = 0; g < ng && na; g++)
        for (size_t a = 0; a < na; a++) {
            struct od_box ab = od_anchor_corners(&anchors[a]);
            iou[g * na + a] = od_iou(&gt[g].box, &ab);
        }
    /* Bipartite: the best remaining pair, once per ground truth. */
    for (size_t round = 0; round < ng && na; round++) {
        float best = 0.0f;
        size_t bg = 0, ba = 0;
        for (size_t g = 0; g < ng; g++) {
            if (gt_done[g])
                continue;
            const float *row = iou + g * na;
            for (size_t a = 0; a < na; a++)
                if (m[a] < 0 && row[a] > best)
                    best = row[a], bg = g, ba = a;
        }
        if (!(best > 0.0f))
            break;
        gt_done[bg] = 1;
        m[ba] = (int)bg;
    }
    /* Every other box above the threshold: its best ground truth. */
    for (size_t a = 0; a < na && ng; a++) {
        if (m[a] >= 0)
            continue;
        float best = 0.0f;
        int bg = -1;
        for (size_t g = 0; g < ng; g++)
            if (iou[g * na + a] > best)
                best = iou[g * na + a], bg = (int)g;
        if (bg >= 0 && best > threshold)
            m[a] = bg;
    }
    long matched = 0;
    for (size_t a = 0; a < na; a++) {
        float *loc = loc_target + 4 * a;
        if (m[a] >= 0) {
            cls_target[a] = gt[m[a]].cls + 1;
            od_encode(&gt[m[a]].box, &anchors[a], loc);
            matched++;
        } else {
            cls_target[a] = 0;
            memset(loc, 0, 4 * sizeof(*loc));
        }
    }
    if (!match)
        free(m);
    free(iou);
    free(gt_done);
    return matched;
}
