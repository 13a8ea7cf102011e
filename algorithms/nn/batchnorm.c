/*
 * batchnorm.c: batch normalisation of cnn.h over the last (channel) axis
 * of an (M, C) view of any NHWC tensor: training mode (batch statistics,
 * moving averages updated as Keras does), inference mode (moving
 * statistics) and the training-mode backward.  Per-channel sums over the
 * M rows are taken in double, BN_BLOCK channels at a time on the stack, so
 * that a large batch (M = 128 * 32 * 32) keeps its statistics exact to
 * float precision without a scratch buffer.
 */
#include "nn/cnn.h"

#include <math.h>

#define BN_BLOCK 64

/* s1[c] = sum_r a[r, c] for c in [c0, c0 + nc). */
static void col_sum(const float *a, size_t M, size_t C, size_t c0, size_t nc, double *s1)
{
    for (size_t c = 0; c < nc; c++)
        s1[c] = 0.0;
    for (size_t r = 0; r < M; r++) {
        const float *restrict ar = a + r * C + c0;
        for (size_t c = 0; c < nc; c++)
            s1[c] += ar[c];
    }
}

void nn_batchnorm_forward_train(const float *x, size_t M, size_t C, const float *gamma, const float *beta,
                                float eps, float momentum, float *moving_mean, float *moving_var,
                                float *save_mean, float *save_invstd, float *y)
{
    if (M == 0)
        return;
    double s[BN_BLOCK], q[BN_BLOCK];
    for (size_t c0 = 0; c0 < C; c0 += BN_BLOCK) {
        const size_t nc = C - c0 < BN_BLOCK ? C - c0 : BN_BLOCK;
        col_sum(x, M, C, c0, nc, s);
        float mean[BN_BLOCK];
        for (size_t c = 0; c < nc; c++) {
            mean[c] = (float)(s[c] / (double)M);
            q[c] = 0.0;
        }
        /* Two passes: the variance about the mean, not E[x^2] - mean^2. */
        for (size_t r = 0; r < M; r++) {
            const float *restrict xr = x + r * C + c0;
            for (size_t c = 0; c < nc; c++) {
                const double d = (double)xr[c] - (double)mean[c];
                q[c] += d * d;
            }
        }
        for (size_t c = 0; c < nc; c++) {
            const double var = q[c] / (double)M;
            save_mean[c0 + c] = mean[c];
            save_invstd[c0 + c] = (float)(1.0 / sqrt(var + (double)eps));
            if (moving_mean)
                moving_mean[c0 + c] = moving_mean[c0 + c] * momentum + mean[c] * (1.0f - momentum);
            if (moving_var) {
                const double unbiased = M > 1 ? q[c] / (double)(M - 1) : var;
                moving_var[c0 + c] = moving_var[c0 + c] * momentum + (float)unbiased * (1.0f - momentum);
            }
        }
    }
    for (size_t r = 0; r < M; r++) {
        const float *restrict xr = x + r * C;
        float *restrict yr = y + r * C;
        for (size_t c = 0; c < C; c++)
            yr[c] = gamma[c] * ((xr[c] - save_mean[c]) * save_invstd[c]) + beta[c];
    }
}

void nn_batchnorm_forward_infer(const float *x, size_t M, size_t C, const float *gamma, const float *beta,
                                const float *moving_mean, const float *moving_var, float eps, float *y)
{
    /* y = x * scale + shift per channel; scale and shift computed per block. */
    for (size_t c0 = 0; c0 < C; c0 += BN_BLOCK) {
        const size_t nc = C - c0 < BN_BLOCK ? C - c0 : BN_BLOCK;
        float scale[BN_BLOCK], shift[BN_BLOCK];
        for (size_t c = 0; c < nc; c++) {
            scale[c] = gamma[c0 + c] / sqrtf(moving_var[c0 + c] + eps);
            shift[c] = beta[c0 + c] - moving_mean[c0 + c] * scale[c];
        }
        for (size_t r = 0; r < M; r++) {
            const float *restrict xr = x + r * C + c0;
            float *restrict yr = y + r * C + c0;
            for (size_t c = 0; c < nc; c++)
                yr[c] = xr[c] * scale[c] + shift[c];
        }
    }
}

void nn_batchnorm_backward_train(const float *x, const float *dy, size_t M, size_t C, const float *gamma,
                                 const float *save_mean, const float *save_invstd, float *dgamma,
                                 float *dbeta, float *dx, float *tmp)
{
    if (M == 0)
        return;
    float *sdy = tmp, *sdyx = tmp + C; /* sum dy, sum dy * xhat */
    for (size_t c0 = 0; c0 < C; c0 += BN_BLOCK) {
        const size_t nc = C - c0 < BN_BLOCK ? C - c0 : BN_BLOCK;
        double s[BN_BLOCK], q[BN_BLOCK];
        col_sum(dy, M, C, c0, nc, s);
        for (size_t c = 0; c < nc; c++)
            q[c] = 0.0;
        for (size_t r = 0; r < M; r++) {
            const float *restrict xr = x + r * C + c0;
            const float *restrict dr = dy + r * C + c0;
            for (size_t c = 0; c < nc; c++)
                q[c] += (double)dr[c] * (double)((xr[c] - save_mean[c0 + c]) * save_invstd[c0 + c]);
        }
        for (size_t c = 0; c < nc; c++) {
            sdy[c0 + c] = (float)s[c];
            sdyx[c0 + c] = (float)q[c];
            dgamma[c0 + c] += (float)q[c];
            dbeta[c0 + c] += (float)s[c];
        }
    }
    const float invM = 1.0f / (float)M;
    for (size_t r = 0; r < M; r++) {
        const float *xr = x + r * C;
        const float *dr = dy + r * C;
        float *gx = dx + r * C;
        for (size_t c = 0; c < C; c++) {
            const float xhat = (xr[c] - save_mean[c]) * save_invstd[c];
            gx[c] = gamma[c] * save_invstd[c] * (dr[c] - invM * (sdy[c] + xhat * sdyx[c]));
        }
    }
}
