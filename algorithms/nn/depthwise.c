/*
 * depthwise.c: the depthwise convolution of cnn.h (channel multiplier 1),
 * NHWC, as direct loops: for each output pixel, each kernel tap inside the
 * image adds C products, a loop over contiguous channels that GCC
 * vectorises.  No workspace; the backward scatters into dx directly.
 */
#include "nn/cnn.h"

#include <string.h>
#include <sys/types.h>

/* The taps [k0, k1) of a window starting at i0 that fall inside [0, n). */
static void tap_range(ssize_t i0, size_t k, size_t n, size_t *k0, size_t *k1)
{
    *k0 = i0 < 0 ? (size_t)(-i0) : 0;
    *k1 = i0 + (ssize_t)k > (ssize_t)n ? (size_t)((ssize_t)n - i0) : k;
    if (*k1 < *k0)
        *k1 = *k0;
}

void nn_depthwise_forward(const struct nn_win *g, const float *x, size_t N, const float *Wk,
                          const float *b, int relu, float *y)
{
    const size_t C = g->C;
    for (size_t n = 0; n < N; n++) {
        const float *xi = x + n * g->H * g->W * C;
        float *yi = y + n * g->OH * g->OW * C;
        for (size_t oh = 0; oh < g->OH; oh++) {
            const ssize_t ih0 = (ssize_t)(oh * g->SH) - (ssize_t)g->PT;
            size_t kh0, kh1;
            tap_range(ih0, g->KH, g->H, &kh0, &kh1);
            for (size_t ow = 0; ow < g->OW; ow++) {
                const ssize_t iw0 = (ssize_t)(ow * g->SW) - (ssize_t)g->PL;
                size_t kw0, kw1;
                tap_range(iw0, g->KW, g->W, &kw0, &kw1);
                float *restrict yr = yi + (oh * g->OW + ow) * C;
                if (b)
                    memcpy(yr, b, C * sizeof(float));
                else
                    memset(yr, 0, C * sizeof(float));
                for (size_t kh = kh0; kh < kh1; kh++)
                    for (size_t kw = kw0; kw < kw1; kw++) {
                        const float *restrict xr =
                            xi + ((size_t)(ih0 + (ssize_t)kh) * g->W + (size_t)(iw0 + (ssize_t)kw)) * C;
                        const float *restrict wr = Wk + (kh * g->KW + kw) * C;
                        for (size_t c = 0; c < C; c++)
                            yr[c] += xr[c] * wr[c];
                    }
                if (relu)
                    for (size_t c = 0; c < C; c++)
                        yr[c] = yr[c] > 0.0f ? yr[c] : 0.0f;
            }
        }
    }
}

void nn_depthwise_backward(const struct nn_win *g, const float *x, size_t N, const float *Wk,
                           const float *dy, float *dW, float *db, float *dx)
{
    const size_t C = g->C;
    if (dx)
        memset(dx, 0, N * g->H * g->W * C * sizeof(float));
    for (size_t n = 0; n < N; n++) {
        const float *xi = x + n * g->H * g->W * C;
        float *dxi = dx ? dx + n * g->H * g->W * C : NULL;
        const float *dyi = dy + n * g->OH * g->OW * C;
        for (size_t oh = 0; oh < g->OH; oh++) {
            const ssize_t ih0 = (ssize_t)(oh * g->SH) - (ssize_t)g->PT;
            size_t kh0, kh1;
            tap_range(ih0, g->KH, g->H, &kh0, &kh1);
            for (size_t ow = 0; ow < g->OW; ow++) {
                const ssize_t iw0 = (ssize_t)(ow * g->SW) - (ssize_t)g->PL;
                size_t kw0, kw1;
                tap_range(iw0, g->KW, g->W, &kw0, &kw1);
                const float *restrict d = dyi + (oh * g->OW + ow) * C;
                if (db)
                    for (size_t c = 0; c < C; c++)
                        db[c] += d[c];
                for (size_t kh = kh0; kh < kh1; kh++)
                    for (size_t kw = kw0; kw < kw1; kw++) {
                        const size_t off =
                            ((size_t)(ih0 + (ssize_t)kh) * g->W + (size_t)(iw0 + (ssize_t)kw)) * C;
                        const float *restrict xr = xi + off;
                        const float *restrict wr = Wk + (kh * g->KW + kw) * C;
                        float *restrict gw = dW + (kh * g->KW + kw) * C;
                        for (size_t c = 0; c < C; c++)
                            gw[c] += xr[c] * d[c];
                        if (dxi) {
                            float *restrict gx = dxi + off;
                            for (size_t c = 0; c < C; c++)
                                gx[c] += wr[c] * d[c];
                        }
                    }
            }
        }
    }
}
