/*
 * box.c: IoU, SSD box encoding and decoding with variances, clipping
 * (box.h).
 */
#include "box.h"

#include <math.h>

#define OD_MIN_SIDE 1e-6f
#define OD_MAX_LOG_SCALE 4.1351666f   /* log(1000 / 16) */

static float clamp01(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

float od_iou(const struct od_box *a, const struct od_box *b)
{
    float iw = fminf(a->xmax, b->xmax) - fmaxf(a->xmin, b->xmin);
    float ih = fminf(a->ymax, b->ymax) - fmaxf(a->ymin, b->ymin);
    float inter = iw > 0.0f && ih > 0.0f ? iw * ih : 0.0f;
    float aa = fmaxf(a->xmax - a->xmin, 0.0f) * fmaxf(a->ymax - a->ymin, 0.0f);
    float ab = fmaxf(b->xmax - b->xmin, 0.0f) * fmaxf(b->ymax - b->ymin, 0.0f);
    float uni = aa + ab - inter;
    return uni > 0.0f ? inter / uni : 0.0f;
}

struct od_box od_anchor_corners(const struct od_anchor *d)
{
    struct od_box b = {d->cx - 0.5f * d->w, d->cy - 0.5f * d->h, d->cx + 0.5f * d->w, d->cy + 0.5f * d->h};
    return b;
}

void od_encode(const struct od_box *gt, const struct od_anchor *d, float loc[4])
{
    float gw = fmaxf(gt->xmax - gt->xmin, OD_MIN_SIDE);
    float gh = fmaxf(gt->ymax - gt->ymin, OD_MIN_SIDE);
    float gcx = 0.5f * (gt->xmin + gt->xmax), gcy = 0.5f * (gt->ymin + gt->ymax);
    loc[0] = (gcx - d->cx) / d->w / OD_VAR_CENTER;
    loc[1] = (gcy - d->cy) / d->h / OD_VAR_CENTER;
    loc[2] = logf(gw / d->w) / OD_VAR_SIZE;
    loc[3] = logf(gh / d->h) / OD_VAR_SIZE;
}

struct od_box od_decode(const float loc[4], const struct od_anchor *d)
{
    float cx = d->cx + loc[0] * OD_VAR_CENTER * d->w;
    float cy = d->cy + loc[1] * OD_VAR_CENTER * d->h;
    float w = d->w * expf(fminf(loc[2] * OD_VAR_SIZE, OD_MAX_LOG_SCALE));
    float h = d->h * expf(fminf(loc[3] * OD_VAR_SIZE, OD_MAX_LOG_SCALE));
    struct od_box b = {cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h};
    return b;
}

struct od_box od_clip(struct od_box b)
{
    struct od_box c = {clamp01(b.xmin), clamp01(b.ymin), clamp01(b.xmax), clamp01(b.ymax)};
    return c;
}
