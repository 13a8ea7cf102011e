/*
 * l2norm.c: SSD's L2 normalisation layer of cnn.h (ParseNet; on VGG's
 * conv4_3): each pixel's channel vector divided by its L2 norm, then
 * multiplied by a learned scale per channel.
 */
#include "nn/cnn.h"

#include <math.h>

void nn_l2norm_forward(const float *x, size_t M, size_t C, const float *scale, float *y, float *inv_norm)
{
    for (size_t r = 0; r < M; r++) {
        const float *xr = x + r * C;
        float *yr = y + r * C;
        double s = 0;
        for (size_t c = 0; c < C; c++)
            s += (double)xr[c] * xr[c];
        const float inv = (float)(1.0 / sqrt(s + NN_L2NORM_EPS));
        inv_norm[r] = inv;
        for (size_t c = 0; c < C; c++)
            yr[c] = xr[c] * inv * scale[c];
    }
}

void nn_l2norm_backward(const float *x, const float *dy, size_t M, size_t C, const float *scale,
                        const float *inv_norm, float *dscale, float *dx)
{
    for (size_t r = 0; r < M; r++) {
        const float *xr = x + r * C, *dr = dy + r * C;
        const float inv = inv_norm[r];
        double dot = 0; /* sum_c (dy scale)_c xhat_c */
        for (size_t c = 0; c < C; c++) {
            const float xh = xr[c] * inv;
            if (dscale)
                dscale[c] += dr[c] * xh;
            dot += (double)dr[c] * scale[c] * xh;
        }
        if (dx) {
            float *o = dx + r * C;
            for (size_t c = 0; c < C; c++)
                o[c] = (dr[c] * scale[c] - xr[c] * inv * (float)dot) * inv;
        }
    }
}
