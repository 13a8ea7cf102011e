/*
 * anchors.c: SSD default boxes for a list of feature maps, the paper's and
 * the small-SSD variants (anchors.h).
 */
#include "anchors.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void spec_init(struct od_anchor_spec *spec, const unsigned *sizes, unsigned n, float s_min, float s_max)
{
    memset(spec, 0, sizeof(*spec));
    spec->n_layers = n;
    spec->s_min = s_min;
    spec->s_max = s_max;
    for (unsigned k = 0; k < n && k < OD_MAX_LAYERS; k++) {
        spec->layer[k].size = sizes[k];
        spec->layer[k].n_ratios = 2;
        spec->layer[k].ratios[0] = 2.0f;
        spec->layer[k].ratios[1] = 3.0f;
        spec->layer[k].extra_square = 1;
    }
}

void od_anchor_spec_ssd(struct od_anchor_spec *spec, const unsigned *sizes, unsigned n)
{
    spec_init(spec, sizes, n, 0.2f, 0.9f);
    if (n == 6) {
        spec->layer[0].n_ratios = 1;
        spec->layer[4].n_ratios = 1;
        spec->layer[5].n_ratios = 1;
    }
}

void od_anchor_spec_ssdlite(struct od_anchor_spec *spec, const unsigned *sizes, unsigned n)
{
    spec_init(spec, sizes, n, 0.2f, 0.95f);
    spec->reduce_lowest = 1;
    spec->lowest_scale = 0.1f;
}

int od_anchor_spec_check(const struct od_anchor_spec *spec, char *err, size_t errsz)
{
    unsigned m = spec->n_layers;
    if (m == 0 || m > OD_MAX_LAYERS) {
        snprintf(err, errsz, "anchors: %u feature maps (1 to %d)", m, OD_MAX_LAYERS);
        return -1;
    }
    if (!(spec->s_min > 0.0f && spec->s_min <= spec->s_max && spec->s_max <= 1.0f)) {
        snprintf(err, errsz, "anchors: scales %g to %g (0 < s_min <= s_max <= 1)", spec->s_min, spec->s_max);
        return -1;
    }
    if (!(spec->first_scale >= 0.0f && spec->first_scale <= 1.0f) ||
        !(spec->lowest_scale >= 0.0f && spec->lowest_scale <= 1.0f)) {
        snprintf(err, errsz, "anchors: a first or lowest scale outside [0, 1]");
        return -1;
    }
    for (unsigned k = 0; k < m; k++) {
        const struct od_anchor_layer *L = &spec->layer[k];
        if (L->size == 0 || L->size > 4096) {
            snprintf(err, errsz, "anchors: feature map %u has side %u (1 to 4096)", k, L->size);
            return -1;
        }
        if (L->n_ratios > OD_MAX_RATIOS) {
            snprintf(err, errsz, "anchors: feature map %u has %u ratios (at most %d)", k, L->n_ratios,
                     OD_MAX_RATIOS);
            return -1;
        }
        for (unsigned r = 0; r < L->n_ratios; r++)
            if (!(L->ratios[r] > 1.0f && L->ratios[r] <= 100.0f)) {
                snprintf(err, errsz, "anchors: feature map %u ratio %g (above 1, at most 100)", k, L->ratios[r]);
                return -1;
            }
    }
    return 0;
}

float od_anchor_scale(const struct od_anchor_spec *spec, unsigned k)
{
    unsigned m = spec->n_layers;
    if (k >= m)
        return 1.0f;
    if (spec->first_scale > 0.0f) {
        if (k == 0)
            return spec->first_scale;
        return m <= 2 ? spec->s_min : spec->s_min + (spec->s_max - spec->s_min) * (float)(k - 1) / (float)(m - 2);
    }
    return m <= 1 ? spec->s_min : spec->s_min + (spec->s_max - spec->s_min) * (float)k / (float)(m - 1);
}

unsigned od_anchor_per_cell(const struct od_anchor_spec *spec, unsigned k)
{
    if (k >= spec->n_layers || k >= OD_MAX_LAYERS)
        return 0;
    if (k == 0 && spec->reduce_lowest)
        return 3;
    const struct od_anchor_layer *L = &spec->layer[k];
    unsigned nr = L->n_ratios > OD_MAX_RATIOS ? OD_MAX_RATIOS : L->n_ratios;
    return 1 + (L->extra_square ? 1 : 0) + 2 * nr;
}

size_t od_anchor_count(const struct od_anchor_spec *spec)
{
    char err[8];
    if (od_anchor_spec_check(spec, err, sizeof(err)) != 0)
        return 0;
    size_t n = 0;
    for (unsigned k = 0; k < spec->n_layers; k++)
        n += (size_t)spec->layer[k].size * spec->layer[k].size * od_anchor_per_cell(spec, k);
    return n;
}

size_t od_anchors_make(const struct od_anchor_spec *spec, struct od_anchor *out, char *err, size_t errsz)
{
    if (od_anchor_spec_check(spec, err, errsz) != 0)
        return 0;
    size_t n = 0;
    for (unsigned k = 0; k < spec->n_layers; k++) {
        const struct od_anchor_layer *L = &spec->layer[k];
        float s = od_anchor_scale(spec, k);
        /* The shapes of one cell: (w, h) pairs. */
        float wh[2 * (2 + 2 * OD_MAX_RATIOS)];
        unsigned nb = 0;
        if (k == 0 && spec->reduce_lowest) {
            float s0 = spec->lowest_scale > 0.0f ? spec->lowest_scale : s, r = sqrtf(2.0f);
            wh[0] = s0, wh[1] = s0;
            wh[2] = s * r, wh[3] = s / r;
            wh[4] = s / r, wh[5] = s * r;
            nb = 3;
        } else {
            wh[0] = s, wh[1] = s;
            nb = 1;
            if (L->extra_square) {
                float e = sqrtf(s * od_anchor_scale(spec, k + 1));
                wh[2 * nb] = e, wh[2 * nb + 1] = e;
                nb++;
            }
            for (unsigned r = 0; r < L->n_ratios; r++) {
                float q = sqrtf(L->ratios[r]);
                wh[2 * nb] = s * q, wh[2 * nb + 1] = s / q;
                nb++;
                wh[2 * nb] = s / q, wh[2 * nb + 1] = s * q;
                nb++;
            }
        }
        float f = (float)L->size;
        for (unsigned i = 0; i < L->size; i++)
            for (unsigned j = 0; j < L->size; j++)
                for (unsigned b = 0; b < nb; b++) {
                    struct od_anchor a = {((float)j + 0.5f) / f, ((float)i + 0.5f) / f, wh[2 * b], wh[2 * b + 1]};
                    if (spec->clip) {
                        struct od_box c = od_clip(od_anchor_corners(&a));
                        a.cx = 0.5f * (c.xmin + c.xmax), a.cy = 0.5f * (c.ymin + c.ymax);
                        a.w = c.xmax - c.xmin, a.h = c.ymax - c.ymin;
                    }
                    out[n++] = a;
                }
    }
    return n;
}
