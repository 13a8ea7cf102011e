/*
 * nms.c: candidates by score, top k, per-class greedy non-maximum
 * suppression into detection rows (nms.h).
 */
#include "nms.h"

#include <stdlib.h>

struct cand {
    float score;
    unsigned cls;                   /* 1 .. K-1 */
    size_t a;
};

static int cand_cmp(const void *x, const void *y)
{
    const struct cand *p = x, *q = y;
    if (p->score != q->score)
        return p->score > q->score ? -1 : 1;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->cls < q->cls ? -1 : p->cls > q->cls;
}

size_t od_nms(const float *prob, const struct od_box *boxes, size_t A, size_t K, const struct od_nms_params *params,
              float *rows)
{
    if (K < 2 || A == 0 || params->topk == 0)
        return 0;
    size_t cap = params->all_classes ? A * (K - 1) : A;
    struct cand *c = malloc(cap * sizeof(*c));
    if (!c)
        return (size_t)-1;
    size_t n = 0;
    for (size_t a = 0; a < A; a++) {
        const float *p = prob + a * K;
        if (params->all_classes) {
            for (size_t k = 1; k < K; k++)
                if (p[k] > params->score_threshold)
                    c[n++] = (struct cand){p[k], (unsigned)k, a};
        } else {
            size_t best = 1;
            for (size_t k = 2; k < K; k++)
                if (p[k] > p[best])
                    best = k;
            if (p[best] > params->score_threshold)
                c[n++] = (struct cand){p[best], (unsigned)best, a};
        }
    }
    qsort(c, n, sizeof(*c), cand_cmp);
    if (n > params->topk)
        n = params->topk;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].score < 0.0f)      /* suppressed */
            continue;
        const struct od_box *b = &boxes[c[i].a];
        float *r = rows + OD_DET_COLS * out++;
        r[0] = (float)(c[i].cls - 1);
        r[1] = c[i].score;
        r[2] = b->xmin, r[3] = b->ymin, r[4] = b->xmax, r[5] = b->ymax;
        for (size_t j = i + 1; j < n; j++)
            if (c[j].score >= 0.0f && c[j].cls == c[i].cls && od_iou(b, &boxes[c[j].a]) > params->nms_threshold)
                c[j].score = -1.0f;
    }
    free(c);
    return out;
}
