/*
 * conv.c: Conv2D of cnn.h on NHWC tensors, as im2col + one OpenBLAS sgemm
 * per chunk of images (the window geometry, nn_win_init, lives here too).
 * A chunk's im2col matrix has one row per output pixel (n, oh, ow) and one
 * column per kernel tap (kh, kw, c), the order of Keras's kernel
 * (KH, KW, C, F), so the product col (M, K) x Wk (K, F) is the NHWC output
 * (M, F) directly and the backward products are its two transposes.  In
 * NHWC the KW taps of one kernel row are KW * C contiguous floats of the
 * input, so im2col is one memcpy per kernel row away from the borders.
 * The team variants (batch split over common/parallel.h) are in
 * conv_team.c.
 */
#include "nn/cnn.h"

#include <cblas.h>
#include <string.h>
#include <sys/types.h>

#undef I /* <complex.h> from cblas.h */

int nn_win_init(struct nn_win *g, size_t H, size_t W, size_t C, size_t KH, size_t KW, size_t SH,
                size_t SW, enum nn_pad pad, size_t F)
{
    memset(g, 0, sizeof(*g));
    if (!H || !W || !C || !KH || !KW || !SH || !SW || !F)
        return -1;
    size_t OH, OW, PT = 0, PL = 0;
    if (pad == NN_PAD_SAME) {
        OH = (H + SH - 1) / SH;
        OW = (W + SW - 1) / SW;
        const size_t th = (OH - 1) * SH + KH, tw = (OW - 1) * SW + KW;
        PT = th > H ? (th - H) / 2 : 0;
        PL = tw > W ? (tw - W) / 2 : 0;
    } else {
        if (H < KH || W < KW)
            return -1;
        OH = (H - KH) / SH + 1;
        OW = (W - KW) / SW + 1;
    }
    *g = (struct nn_win){ H, W, C, KH, KW, SH, SW, OH, OW, F, PT, PL };
    return 0;
}

/* A 1x1 kernel at stride 1 without padding reads the input as it is. */
static int conv_is_pointwise(const struct nn_win *g)
{
    return g->KH == 1 && g->KW == 1 && g->SH == 1 && g->SW == 1 && g->PT == 0 && g->PL == 0;
}

size_t nn_conv2d_workspace(const struct nn_win *g, size_t nb)
{
    if (conv_is_pointwise(g))
        return 0;
    return nb * g->OH * g->OW * g->KH * g->KW * g->C;
}

/* col (nb * OH * OW, KH * KW * C) from x (nb, H, W, C); zeros for padding. */
static void im2col(const struct nn_win *g, const float *x, size_t nb, float *col)
{
    const size_t C = g->C, KWC = g->KW * C, K = g->KH * KWC;
    const ssize_t H = (ssize_t)g->H, W = (ssize_t)g->W, KW = (ssize_t)g->KW;
    float *row = col;
    for (size_t n = 0; n < nb; n++) {
        const float *xi = x + n * g->H * g->W * C;
        for (size_t oh = 0; oh < g->OH; oh++) {
            const ssize_t ih0 = (ssize_t)(oh * g->SH) - (ssize_t)g->PT;
            for (size_t ow = 0; ow < g->OW; ow++, row += K) {
                const ssize_t iw0 = (ssize_t)(ow * g->SW) - (ssize_t)g->PL;
                const int inside_w = iw0 >= 0 && iw0 + KW <= W;
                for (size_t kh = 0; kh < g->KH; kh++) {
                    const ssize_t ih = ih0 + (ssize_t)kh;
                    float *dst = row + kh * KWC;
                    if (ih < 0 || ih >= H) {
                        memset(dst, 0, KWC * sizeof(float));
                    } else if (inside_w) {
                        memcpy(dst, xi + ((size_t)ih * g->W + (size_t)iw0) * C, KWC * sizeof(float));
                    } else {
                        for (ssize_t kw = 0; kw < KW; kw++) {
                            const ssize_t iw = iw0 + kw;
                            if (iw < 0 || iw >= W)
                                memset(dst + kw * (ssize_t)C, 0, C * sizeof(float));
                            else
                                memcpy(dst + kw * (ssize_t)C, xi + ((size_t)ih * g->W + (size_t)iw) * C,
                                       C * sizeof(float));
                        }
                    }
                }
            }
        }
    }
}

/* dx (nb, H, W, C) += the columns of dcol scattered back (padding dropped). */
static void col2im_add(const struct nn_win *g, const float *dcol, size_t nb, float *dx)
{
    const size_t C = g->C, KWC = g->KW * C, K = g->KH * KWC;
    const ssize_t H = (ssize_t)g->H, W = (ssize_t)g->W, KW = (ssize_t)g->KW;
    const float *row = dcol;
    for (size_t n = 0; n < nb; n++) {
        float *xi = dx + n * g->H * g->W * C;
        for (size_t oh = 0; oh < g->OH; oh++) {
            const ssize_t ih0 = (ssize_t)(oh * g->SH) - (ssize_t)g->PT;
            for (size_t ow = 0; ow < g->OW; ow++, row += K) {
                const ssize_t iw0 = (ssize_t)(ow * g->SW) - (ssize_t)g->PL;
                for (size_t kh = 0; kh < g->KH; kh++) {
                    const ssize_t ih = ih0 + (ssize_t)kh;
                    if (ih < 0 || ih >= H)
                        continue;
                    const float *src = row + kh * KWC;
                    const ssize_t kw0 = iw0 < 0 ? -iw0 : 0;
                    const ssize_t kw1 = iw0 + KW > W ? W - iw0 : KW;
                    if (kw1 <= kw0)
                        continue;
                    float *restrict d = xi + ((size_t)ih * g->W + (size_t)(iw0 + kw0)) * C;
                    const float *restrict s = src + (size_t)kw0 * C;
                    const size_t len = (size_t)(kw1 - kw0) * C;
                    for (size_t i = 0; i < len; i++)
                        d[i] += s[i];
                }
            }
        }
    }
}

void nn_conv2d_forward(const struct nn_win *g, const float *x, size_t N, const float *Wk, const float *b,
                       int relu, float *y, float *ws, size_t nb)
{
    const size_t K = g->KH * g->KW * g->C, F = g->F, P = g->OH * g->OW;
    const size_t in_img = g->H * g->W * g->C, out_img = P * F;
    const int pw = conv_is_pointwise(g);
    if (nb == 0)
        nb = 1;
    for (size_t n0 = 0; n0 < N; n0 += nb) {
        const size_t cnb = N - n0 < nb ? N - n0 : nb, M = cnb * P;
        float *yc = y + n0 * out_img;
        const float *A = x + n0 * in_img;
        if (!pw) {
            im2col(g, A, cnb, ws);
            A = ws;
        }
        if (b)
            for (size_t r = 0; r < M; r++)
                memcpy(yc + r * F, b, F * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)M, (blasint)F, (blasint)K, 1.0f, A,
                    (blasint)K, Wk, (blasint)F, b ? 1.0f : 0.0f, yc, (blasint)F);
        if (relu)
            for (size_t i = 0; i < M * F; i++)
                yc[i] = yc[i] > 0.0f ? yc[i] : 0.0f;
    }
}

void nn_conv2d_backward(const struct nn_win *g, const float *x, size_t N, const float *Wk, const float *dy,
                        float *dW, float *db, float *dx, float *ws, size_t nb)
{
    const size_t K = g->KH * g->KW * g->C, F = g->F, P = g->OH * g->OW;
    const size_t in_img = g->H * g->W * g->C, out_img = P * F;
    const int pw = conv_is_pointwise(g);
    if (nb == 0)
        nb = 1;
    for (size_t n0 = 0; n0 < N; n0 += nb) {
        const size_t cnb = N - n0 < nb ? N - n0 : nb, M = cnb * P;
        const float *dyc = dy + n0 * out_img;
        const float *A = x + n0 * in_img;
        if (dW) {
            if (!pw) {
                im2col(g, A, cnb, ws);
                A = ws;
            }
            /* dW (K, F) += col^T (K, M) dy (M, F) */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)K, (blasint)F, (blasint)M, 1.0f, A,
                        (blasint)K, dyc, (blasint)F, 1.0f, dW, (blasint)F);
        }
        if (db)
            for (size_t r = 0; r < M; r++) {
                const float *restrict d = dyc + r * F;
                float *restrict gb = db;
                for (size_t f = 0; f < F; f++)
                    gb[f] += d[f];
            }
        if (dx) {
            float *dxc = dx + n0 * in_img;
            if (pw) { /* dx (M, C) = dy (M, F) Wk^T */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)M, (blasint)K, (blasint)F, 1.0f,
                            dyc, (blasint)F, Wk, (blasint)F, 0.0f, dxc, (blasint)K);
            } else { /* dcol (M, K) = dy Wk^T, reusing the im2col buffer */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)M, (blasint)K, (blasint)F, 1.0f,
                            dyc, (blasint)F, Wk, (blasint)F, 0.0f, ws, (blasint)K);
                memset(dxc, 0, cnb * in_img * sizeof(float));
                col2im_add(g, ws, cnb, dxc);
            }
        }
    }
}
