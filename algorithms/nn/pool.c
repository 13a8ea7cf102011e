/*
 * pool.c: max pooling of cnn.h, NHWC: per output pixel, the running
 * maximum over the window's real pixels for all C channels at once, with
 * the winner's offset in the image kept for the backward scatter.
 * Windows in SAME padding always hold a real pixel (pad_total < k), so
 * padding is never chosen.
 */
#include "nn/cnn.h"

#include <string.h>
#include <sys/types.h>

void nn_maxpool_forward(const struct nn_win *g, const float *x, size_t N, float *y, uint32_t *arg)
{
    const size_t C = g->C, img = g->H * g->W * C, oimg = g->OH * g->OW * C;
    for (size_t n = 0; n < N; n++) {
        const float *xi = x + n * img;
        for (size_t oh = 0; oh < g->OH; oh++) {
            const ssize_t ih0 = (ssize_t)(oh * g->SH) - (ssize_t)g->PT;
            const size_t kh0 = ih0 < 0 ? (size_t)(-ih0) : 0;
            const size_t kh1 = ih0 + (ssize_t)g->KH > (ssize_t)g->H ? (size_t)((ssize_t)g->H - ih0) : g->KH;
            for (size_t ow = 0; ow < g->OW; ow++) {
                const ssize_t iw0 = (ssize_t)(ow * g->SW) - (ssize_t)g->PL;
                const size_t kw0 = iw0 < 0 ? (size_t)(-iw0) : 0;
                const size_t kw1 =
                    iw0 + (ssize_t)g->KW > (ssize_t)g->W ? (size_t)((ssize_t)g->W - iw0) : g->KW;
                float *restrict yr = y + n * oimg + (oh * g->OW + ow) * C;
                uint32_t *restrict ar = arg + n * oimg + (oh * g->OW + ow) * C;
                int first = 1;
                for (size_t kh = kh0; kh < kh1; kh++)
                    for (size_t kw = kw0; kw < kw1; kw++) {
                        const size_t off =
                            ((size_t)(ih0 + (ssize_t)kh) * g->W + (size_t)(iw0 + (ssize_t)kw)) * C;
                        const float *restrict xr = xi + off;
                        if (first) {
                            memcpy(yr, xr, C * sizeof(float));
                            for (size_t c = 0; c < C; c++)
                                ar[c] = (uint32_t)(off + c);
                            first = 0;
                            continue;
                        }
                        for (size_t c = 0; c < C; c++)
                            if (xr[c] > yr[c]) {
                                yr[c] = xr[c];
                                ar[c] = (uint32_t)(off + c);
                            }
                    }
            }
        }
    }
}

void nn_maxpool_backward(const struct nn_win *g, const uint32_t *arg, const float *dy, size_t N, float *dx)
{
    const size_t img = g->H * g->W * g->C, oimg = g->OH * g->OW * g->C;
    memset(dx, 0, N * img * sizeof(float));
    for (size_t n = 0; n < N; n++) {
        float *dxi = dx + n * img;
        const float *d = dy + n * oimg;
        const uint32_t *a = arg + n * oimg;
        for (size_t i = 0; i < oimg; i++)
            dxi[a[i]] += d[i];
    }
}
