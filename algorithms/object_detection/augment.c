/*
 * augment.c: SSD's random crop sampler, object cropping and flipping, and
 * the same on pixels (augment.h).
 */
#include "augment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

void od_crop_params_default(struct od_crop_params *p)
{
    p->min_scale = 0.3f;
    p->max_scale = 1.0f;
    p->min_aspect = 0.5f;
    p->max_aspect = 2.0f;
    p->max_trials = 50;
}

static float uniform(uint64_t *rng, float lo, float hi)
{
    return lo + (hi - lo) * rng_uniform(rng);
}

static int centre_in(const struct od_box *b, const struct od_box *crop)
{
    float cx = 0.5f * (b->xmin + b->xmax), cy = 0.5f * (b->ymin + b->ymax);
    return cx >= crop->xmin && cx < crop->xmax && cy >= crop->ymin && cy < crop->ymax;
}

struct od_box od_crop_sample(uint64_t *rng, const struct od_object *obj, size_t n, const struct od_crop_params *p)
{
    static const float MIN_IOU[5] = {0.1f, 0.3f, 0.5f, 0.7f, 0.9f};
    const struct od_box whole = {0, 0, 1, 1};
    unsigned option = (unsigned)rng_below(rng, 7);   /* 0 whole, 1-5 min IoU, 6 any */
    if (option == 0)
        return whole;
    float smin = p->min_scale > 0.0f && p->min_scale <= 1.0f ? p->min_scale : 0.3f;
    float smax = p->max_scale >= smin && p->max_scale <= 1.0f ? p->max_scale : 1.0f;
    for (unsigned t = 0; t < p->max_trials; t++) {
        float s = uniform(rng, smin, smax);
        float lo = fmaxf(p->min_aspect, s * s), hi = fminf(p->max_aspect, 1.0f / (s * s));
        float a = lo <= hi ? uniform(rng, lo, hi) : 1.0f;
        float w = fminf(s * sqrtf(a), 1.0f), h = fminf(s / sqrtf(a), 1.0f);
        float x = uniform(rng, 0.0f, 1.0f - w), y = uniform(rng, 0.0f, 1.0f - h);
        struct od_box c = {x, y, x + w, y + h};
        if (n == 0) {
            if (option == 6)
                return c;
            continue;
        }
        int keeps = 0, overlaps = option == 6;
        for (size_t i = 0; i < n; i++) {
            keeps |= centre_in(&obj[i].box, &c);
            if (option < 6 && od_iou(&obj[i].box, &c) >= MIN_IOU[option - 1])
                overlaps = 1;
        }
        if (keeps && overlaps)
            return c;
    }
    return whole;
}

size_t od_crop_objects(const struct od_object *in, size_t n, const struct od_box *crop, struct od_object *out)
{
    float cw = crop->xmax - crop->xmin, ch = crop->ymax - crop->ymin;
    if (!(cw > 0.0f && ch > 0.0f))
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!centre_in(&in[i].box, crop))
            continue;
        struct od_box b = {(fmaxf(in[i].box.xmin, crop->xmin) - crop->xmin) / cw,
                           (fmaxf(in[i].box.ymin, crop->ymin) - crop->ymin) / ch,
                           (fminf(in[i].box.xmax, crop->xmax) - crop->xmin) / cw,
                           (fminf(in[i].box.ymax, crop->ymax) - crop->ymin) / ch};
        out[k].cls = in[i].cls;
        out[k].box = od_clip(b);
        k++;
    }
    return k;
}

void od_flip_objects(struct od_object *obj, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x0 = obj[i].box.xmin;
        obj[i].box.xmin = 1.0f - obj[i].box.xmax;
        obj[i].box.xmax = 1.0f - x0;
    }
}

/* The pixel span [*a, *b] of [lo, hi) on n pixels, at least one pixel. */
static void span(float lo, float hi, size_t n, size_t *a, size_t *b)
{
    double p0 = floor((double)lo * (double)n + 1e-3), p1 = ceil((double)hi * (double)n - 1e-3) - 1.0;
    if (!(p0 >= 0.0))
        p0 = 0.0;
    if (p0 > (double)n - 1)
        p0 = (double)n - 1;
    if (!(p1 >= p0))
        p1 = p0;
    if (p1 > (double)n - 1)
        p1 = (double)n - 1;
    *a = (size_t)p0;
    *b = (size_t)p1;
}

int od_crop_image(const struct img_u8 *src, const struct od_box *crop, size_t w, size_t h, struct img_u8 *dst)
{
    memset(dst, 0, sizeof(*dst));
    if (src->w == 0 || src->h == 0 || w == 0 || h == 0)
        return -1;
    size_t x0, x1, y0, y1;
    span(crop->xmin, crop->xmax, src->w, &x0, &x1);
    span(crop->ymin, crop->ymax, src->h, &y0, &y1);
    size_t cw = x1 - x0 + 1, chh = y1 - y0 + 1, c = src->c;
    struct img_u8 part = {malloc(cw * chh * c), cw, chh, c};
    if (!part.px)
        return -1;
    for (size_t y = 0; y < chh; y++)
        memcpy(part.px + y * cw * c, src->px + ((y0 + y) * src->w + x0) * c, cw * c);
    int rc = img_resize_bilinear(&part, w, h, dst);
    img_free(&part);
    return rc;
}

void od_flip_image(struct img_u8 *img)
{
    size_t c = img->c;
    for (size_t y = 0; y < img->h; y++) {
        uint8_t *row = img->px + y * img->w * c;
        for (size_t l = 0, r = img->w; l + 1 < r; l++, r--)
            for (size_t k = 0; k < c; k++) {
                uint8_t t = row[l * c + k];
                row[l * c + k] = row[(r - 1) * c + k];
                row[(r - 1) * c + k] = t;
            }
    }
}
