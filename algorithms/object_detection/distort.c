/*
 * distort.c: brightness, contrast, saturation and hue jitter on RGB
 * pixels, and SSD's random chain of them (distort.h).
 */
#include "distort.h"

#include <math.h>

#include "common/rng.h"

static uint8_t clamp_u8(float v)
{
    if (!(v > 0.0f))
        return 0;
    if (v >= 255.0f)
        return 255;
    return (uint8_t)lrintf(v);
}

void od_adjust_brightness(struct img_u8 *img, float delta)
{
    size_t n = img->w * img->h * img->c;
    for (size_t i = 0; i < n; i++)
        img->px[i] = clamp_u8((float)img->px[i] + delta);
}

void od_adjust_contrast(struct img_u8 *img, float factor)
{
    size_t n = img->w * img->h * img->c;
    for (size_t i = 0; i < n; i++)
        img->px[i] = clamp_u8((float)img->px[i] * factor);
}

void od_adjust_saturation(struct img_u8 *img, float factor)
{
    if (img->c != 3)
        return;
    size_t n = img->w * img->h;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = img->px + 3 * i;
        float g = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
        for (int k = 0; k < 3; k++)
            p[k] = clamp_u8(g + factor * ((float)p[k] - g));
    }
}

void od_adjust_hue(struct img_u8 *img, float degrees)
{
    if (img->c != 3)
        return;
    float shift = fmodf(degrees, 360.0f);
    if (shift < 0.0f)
        shift += 360.0f;
    size_t n = img->w * img->h;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = img->px + 3 * i;
        float r = p[0], g = p[1], b = p[2];
        float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
        if (d <= 0.0f)
            continue;
        float h;
        if (mx == r)
            h = 60.0f * fmodf((g - b) / d, 6.0f);
        else if (mx == g)
            h = 60.0f * ((b - r) / d + 2.0f);
        else
            h = 60.0f * ((r - g) / d + 4.0f);
        h += shift;
        h = fmodf(h, 360.0f);
        if (h < 0.0f)
            h += 360.0f;
        /* back from (h, the same max and min) */
        float x = d * (1.0f - fabsf(fmodf(h / 60.0f, 2.0f) - 1.0f));
        float rr, gg, bb;
        int sector = (int)(h / 60.0f) % 6;
        switch (sector) {
        case 0: rr = d, gg = x, bb = 0; break;
        case 1: rr = x, gg = d, bb = 0; break;
        case 2: rr = 0, gg = d, bb = x; break;
        case 3: rr = 0, gg = x, bb = d; break;
        case 4: rr = x, gg = 0, bb = d; break;
        default: rr = d, gg = 0, bb = x; break;
        }
        p[0] = clamp_u8(rr + mn);
        p[1] = clamp_u8(gg + mn);
        p[2] = clamp_u8(bb + mn);
    }
}

static float uniform(uint64_t *rng, float lo, float hi)
{
    return lo + (hi - lo) * rng_uniform(rng);
}

void od_distort(struct img_u8 *img, uint64_t *rng)
{
    if (img->c != 3)
        return;
    if (rng_uniform(rng) < 0.5f)
        od_adjust_brightness(img, uniform(rng, -32.0f, 32.0f));
    int contrast_first = rng_uniform(rng) < 0.5f;
    if (contrast_first && rng_uniform(rng) < 0.5f)
        od_adjust_contrast(img, uniform(rng, 0.5f, 1.5f));
    if (rng_uniform(rng) < 0.5f)
        od_adjust_saturation(img, uniform(rng, 0.5f, 1.5f));
    if (rng_uniform(rng) < 0.5f)
        od_adjust_hue(img, uniform(rng, -18.0f, 18.0f));
    if (!contrast_first && rng_uniform(rng) < 0.5f)
        od_adjust_contrast(img, uniform(rng, 0.5f, 1.5f));
}
