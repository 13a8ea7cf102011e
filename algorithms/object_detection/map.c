/*
 * map.c: VOC-style per-class average precision (11-point and area) and
 * their mean (map.h).
 */
#define _GNU_SOURCE     /* qsort_r */
#include "map.h"

#include <stdlib.h>

/* Ground truths ordered by (class, image, index); detections by (class,
 * score descending, index). */
static int gt_cmp(const void *x, const void *y, void *ctx)
{
    const struct od_eval_gt *gts = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    const struct od_eval_gt *a = &gts[i], *b = &gts[j];
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->image != b->image)
        return a->image < b->image ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int det_cmp(const void *x, const void *y, void *ctx)
{
    const struct od_eval_det *dets = ctx;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    const struct od_eval_det *a = &dets[i], *b = &dets[j];
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* The first position in order[lo..hi) whose ground truth is (cls, image) or
 * after it. */
static size_t gt_lower(const struct od_eval_gt *gts, const size_t *order, size_t lo, size_t hi, int cls, size_t image)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct od_eval_gt *g = &gts[order[mid]];
        if (g->cls < cls || (g->cls == cls && g->image < image))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double ap_from(const double *prec, const double *rec, size_t n, enum od_ap_kind kind)
{
    if (kind == OD_AP_VOC07) {
        double sum = 0.0;
        for (int t = 0; t <= 10; t++) {
            double best = 0.0;
            for (size_t i = 0; i < n; i++)
                if (rec[i] >= t / 10.0 - 1e-12 && prec[i] > best)
                    best = prec[i];
            sum += best;
        }
        return sum / 11.0;
    }
    double area = 0.0, env = 0.0;
    /* Envelope from the right, then the area of the steps where recall grows. */
    for (size_t i = n; i-- > 0;) {
        env = prec[i] > env ? prec[i] : env;
        double r0 = i ? rec[i - 1] : 0.0;
        area += (rec[i] - r0) * env;
    }
    return area;
}

int od_map(const struct od_eval_det *dets, size_t nd, const struct od_eval_gt *gts, size_t ng, int n_classes,
           float iou_threshold, enum od_ap_kind kind, float *ap, double *map)
{
    *map = 0.0;
    size_t *go = malloc((ng ? ng : 1) * sizeof(*go)), *dorder = malloc((nd ? nd : 1) * sizeof(*dorder));
    unsigned char *taken = calloc(ng ? ng : 1, 1);
    double *prec = malloc((nd ? nd : 1) * sizeof(*prec)), *rec = malloc((nd ? nd : 1) * sizeof(*rec));
    if (!go || !dorder || !taken || !prec || !rec) {
        free(go), free(dorder), free(taken), free(prec), free(rec);
        return -1;
    }
    for (size_t i = 0; i < ng; i++)
        go[i] = i;
    for (size_t i = 0; i < nd; i++)
        dorder[i] = i;
    qsort_r(go, ng, sizeof(*go), gt_cmp, (void *)gts);
    qsort_r(dorder, nd, sizeof(*dorder), det_cmp, (void *)dets);
    double sum = 0.0;
    int counted = 0;
    size_t d0 = 0, glo = 0;
    for (int c = 0; c < n_classes; c++) {
        while (glo < ng && gts[go[glo]].cls < c)
            glo++;
        size_t ghi = glo;
        while (ghi < ng && gts[go[ghi]].cls == c)
            ghi++;
        size_t npos = ghi - glo;
        while (d0 < nd && dets[dorder[d0]].cls < c)
            d0++;
        size_t d1 = d0;
        while (d1 < nd && dets[dorder[d1]].cls == c)
            d1++;
        if (npos == 0) {
            if (ap)
                ap[c] = -1.0f;
            d0 = d1;
            glo = ghi;
            continue;
        }
        size_t tp = 0, fp = 0, n = 0;
        for (size_t k = d0; k < d1; k++) {
            const struct od_eval_det *d = &dets[dorder[k]];
            size_t lo = gt_lower(gts, go, glo, ghi, c, d->image), best_i = ng;
            float best = -1.0f;
            for (size_t j = lo; j < ghi && gts[go[j]].image == d->image; j++) {
                float v = od_iou(&d->box, &gts[go[j]].box);
                if (v > best)
                    best = v, best_i = go[j];
            }
            if (best_i < ng && best > iou_threshold && !taken[best_i]) {
                taken[best_i] = 1;
                tp++;
            } else {
                fp++;
            }
            prec[n] = (double)tp / (double)(tp + fp);
            rec[n] = (double)tp / (double)npos;
            n++;
        }
        double a = ap_from(prec, rec, n, kind);
        if (ap)
            ap[c] = (float)a;
        sum += a;
        counted++;
        d0 = d1;
        glo = ghi;
    }
    *map = counted ? sum / counted : 0.0;
    free(go), free(dorder), free(taken), free(prec), free(rec);
    return 0;
}
