/*
 * nn_act.c: the elementwise activations of nn.h (none, relu, tanh, sigmoid)
 * forward and backward, the backward from the forward output, and a stable
 * row-wise softmax.  One switch per call, outside a plain loop.
 */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

/* Stable sigmoid: exp(-|x|) never overflows; see sigmoid() in losses.c
 * (duplicated so that it inlines into the loop). */
static inline float sigm(float x)
{
    const float e = expf(-fabsf(x));
    const float inv = 1.0f / (1.0f + e);
    return x >= 0.0f ? inv : e * inv;
}

void nn_act_forward(enum nn_act act, const float *x, float *y, size_t n)
{
    switch (act) {
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanhf(x[i]);
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = sigm(x[i]);
        break;
    case NN_ACT_NONE:
    default:
        if (y != x)
            memmove(y, x, n * sizeof(float));
        break;
    }
}

void nn_act_backward(enum nn_act act, const float *y, const float *dy, float *dx, size_t n)
{
    switch (act) {
    case NN_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case NN_ACT_TANH:
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case NN_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case NN_ACT_NONE:
    default:
        if (dx != dy)
            memmove(dx, dy, n * sizeof(float));
        break;
    }
}

void nn_softmax(const float *logits, float *probs, size_t N, size_t K)
{
    for (size_t r = 0; r < N; r++) {
        const float *z = logits + r * K;
        float *p = probs + r * K;
        if (K == 0)
            continue;
        float mx = z[0];
        for (size_t k = 1; k < K; k++)
            mx = z[k] > mx ? z[k] : mx;
        float s = 0.0f;
        for (size_t k = 0; k < K; k++) {
            p[k] = expf(z[k] - mx);
            s += p[k];
        }
        /* s >= 1 (the max term is exp(0)), so the division is safe. */
        const float inv = 1.0f / s;
        for (size_t k = 0; k < K; k++)
            p[k] *= inv;
    }
}
