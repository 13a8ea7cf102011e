/*
 * conv_dilated.c: the dilated ("atrous") Conv2D of cnn.h (SSD's fc6: 3x3,
 * dilation 6), NHWC, as im2col + one OpenBLAS sgemm per chunk of images,
 * like conv.c: kernel tap (kh, kw) reads input pixel (oh SH - PT + kh d,
 * ow SW - PL + kw d).  The geometry is an nn_win whose KH x KW are the
 * taps and whose output size and padding are those of the effective
 * (K - 1) d + 1 window (nn_win_init_dilated).
 */
#include "nn/cnn.h"

#include <cblas.h>
#include <string.h>
#include <sys/types.h>

#undef I /* <complex.h> from cblas.h */

int nn_win_init_dilated(struct nn_win *g, size_t H, size_t W, size_t C, size_t K, size_t S, size_t dil,
                        enum nn_pad pad, size_t F)
{
    if (!K || !dil || dil > 4096 || K > 4096) {
        memset(g, 0, sizeof(*g));
        return -1;
    }
    const size_t ke = (K - 1) * dil + 1;
    if (nn_win_init(g, H, W, C, ke, ke, S, S, pad, F) != 0)
        return -1;
    g->KH = g->KW = K;
    return 0;
}

/* col (nb * OH * OW, KH * KW * C) from x; zeros where a tap is outside. */
static void im2col_dil(const struct nn_win *g, size_t d, const float *x, size_t nb, float *col)
{
    const size_t C = g->C, K = g->KH * g->KW * C;
    const ssize_t H = (ssize_t)g->H, W = (ssize_t)g->W;
    float *row = col;
    for (size_t n = 0; n < nb; n++) {
        const float *xi = x + n * g->H * g->W * C;
        for (size_t oh = 0; oh < g->OH; oh++) {
            const ssize_t ih0 = (ssize_t)(oh * g->SH) - (ssize_t)g->PT;
            for (size_t ow = 0; ow < g->OW; ow++, row += K) {
                const ssize_t iw0 = (ssize_t)(ow * g->SW) - (ssize_t)g->PL;
                float *dst = row;
                for (size_t kh = 0; kh < g->KH; kh++) {
                    const ssize_t ih = ih0 + (ssize_t)(kh * d);
                    for (size_t kw = 0; kw < g->KW; kw++, dst += C) {
                        const ssize_t iw = iw0 + (ssize_t)(kw * d);
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                            memset(dst, 0, C * sizeof(float));
                        else
                            memcpy(dst, xi + ((size_t)ih * g->W + (size_t)iw) * C, C * sizeof(float));
                    }
                }
            }
        }
    }
}

/* dx += the columns of dcol scattered back (taps outside dropped). */
static void col2im_dil_add(const struct nn_win *g, size_t d, const float *dcol, size_t nb, float *dx)
{
    const size_t C = g->C, K = g->KH * g->KW * C;
    const ssize_t H = (ssize_t)g->H, W = (ssize_t)g->W;
    const float *row = dcol;
    for (size_t n = 0; n < nb; n++) {
        float *xi = dx + n * g->H * g->W * C;
        for (size_t oh = 0; oh < g->OH; oh++) {
            const ssize_t ih0 = (ssize_t)(oh * g->SH) - (ssize_t)g->PT;
            for (size_t ow = 0; ow < g->OW; ow++, row += K) {
                const ssize_t iw0 = (ssize_t)(ow * g->SW) - (ssize_t)g->PL;
                const float *src = row;
                for (size_t kh = 0; kh < g->KH; kh++) {
                    const ssize_t ih = ih0 + (ssize_t)(kh * d);
                    for (size_t kw = 0; kw < g->KW; kw++, src += C) {
                        const ssize_t iw = iw0 + (ssize_t)(kw * d);
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                            continue;
                        float *restrict o = xi + ((size_t)ih * g->W + (size_t)iw) * C;
                        const float *restrict s = src;
                        for (size_t c = 0; c < C; c++)
                            o[c] += s[c];
                    }
                }
            }
        }
    }
}

void nn_conv2d_dilated_forward(const struct nn_win *g, size_t dil, const float *x, size_t N, const float *Wk,
                               const float *b, int relu, float *y, float *ws, size_t nb)
{
    if (nn_conv2d_workspace(g, 1) == 0) { /* 1x1 unpadded: dilation changes nothing */
        nn_conv2d_forward(g, x, N, Wk, b, relu, y, ws, nb);
        return;
    }
    const size_t K = g->KH * g->KW * g->C, F = g->F, P = g->OH * g->OW;
    const size_t in_img = g->H * g->W * g->C, out_img = P * F;
    if (nb == 0)
        nb = 1;
    for (size_t n0 = 0; n0 < N; n0 += nb) {
        const size_t cnb = N - n0 < nb ? N - n0 : nb, M = cnb * P;
        float *yc = y + n0 * out_img;
        im2col_dil(g, dil, x + n0 * in_img, cnb, ws);
        if (b)
            for (size_t r = 0; r < M; r++)
                memcpy(yc + r * F, b, F * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)M, (blasint)F, (blasint)K, 1.0f, ws,
                    (blasint)K, Wk, (blasint)F, b ? 1.0f : 0.0f, yc, (blasint)F);
        if (relu)
            for (size_t i = 0; i < M * F; i++)
                yc[i] = yc[i] > 0.0f ? yc[i] : 0.0f;
    }
}

void nn_conv2d_dilated_backward(const struct nn_win *g, size_t dil, const float *x, size_t N, const float *Wk,
                                const float *dy, float *dW, float *db, float *dx, float *ws, size_t nb)
{
    if (nn_conv2d_workspace(g, 1) == 0) {
        nn_conv2d_backward(g, x, N, Wk, dy, dW, db, dx, ws, nb);
        return;
    }
    const size_t K = g->KH * g->KW * g->C, F = g->F, P = g->OH * g->OW;
    const size_t in_img = g->H * g->W * g->C, out_img = P * F;
    if (nb == 0)
        nb = 1;
    for (size_t n0 = 0; n0 < N; n0 += nb) {
        const size_t cnb = N - n0 < nb ? N - n0 : nb, M = cnb * P;
        const float *dyc = dy + n0 * out_img;
        if (dW) {
            im2col_dil(g, dil, x + n0 * in_img, cnb, ws);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)K, (blasint)F, (blasint)M, 1.0f, ws,
                        (blasint)K, dyc, (blasint)F, 1.0f, dW, (blasint)F);
        }
        if (db)
            for (size_t r = 0; r < M; r++) {
                const float *restrict dr = dyc + r * F;
                for (size_t f = 0; f < F; f++)
                    db[f] += dr[f];
            }
        if (dx) {
            float *dxc = dx + n0 * in_img;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)M, (blasint)K, (blasint)F, 1.0f, dyc,
                        (blasint)F, Wk, (blasint)F, 0.0f, ws, (blasint)K);
            memset(dxc, 0, cnb * in_img * sizeof(float));
            col2im_dil_add(g, dil, ws, cnb, dxc);
        }
    }
}
