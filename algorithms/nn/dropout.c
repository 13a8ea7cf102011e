/*
 * nn_dropout.c: inverted dropout of nn.h: a keep mask drawn from the
 * caller's common/rng.h stream (one draw per value, so a seed reproduces the mask)
 * with the kept values scaled by 1 / (1 - p), and its backward pass.
 */
#include "nn/nn.h"

#include <string.h>

void nn_dropout_forward(const float *x, float *y, uint8_t *mask, size_t n, float p, uint64_t *rng)
{
    if (!(p > 0.0f)) { /* p <= 0 (or NaN): identity */
        if (y != x)
            memmove(y, x, n * sizeof(float));
        memset(mask, 1, n);
        return;
    }
    if (p >= 1.0f) { /* everything dropped; the scale would be infinite */
        memset(y, 0, n * sizeof(float));
        memset(mask, 0, n);
        return;
    }
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        const uint8_t keep = rng_uniform(rng) >= p;
        mask[i] = keep;
        y[i] = keep ? x[i] * scale : 0.0f;
    }
}

void nn_dropout_backward(const float *dy, const uint8_t *mask, float *dx, size_t n, float p)
{
    const float scale = p > 0.0f ? (p < 1.0f ? 1.0f / (1.0f - p) : 0.0f) : 1.0f;
    for (size_t i = 0; i < n; i++)
        dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}
