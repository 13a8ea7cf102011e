/*
 * nn_dense.c: the dense (fully connected) layer of nn.h, y = x W + b, and
 * its backward pass, all through OpenBLAS: one sgemm (sgemv / sger for a
 * single row) per product, the bias as a broadcast loop.  Degenerate shapes
 * (a zero dimension) are handled here, not passed to BLAS.  Also the knob
 * for OpenBLAS's own threads.
 */
#include "nn/nn.h"

#include <cblas.h>
#include <string.h>

/* OpenBLAS's cblas.h pulls in <complex.h>, whose macro I would clash with
 * the input-size parameter named I in nn.h. */
#undef I

void nn_dense_forward(const float *x, const float *W, const float *b, size_t N, size_t I, size_t O,
                      float *y)
{
    if (N == 0 || O == 0)
        return;
    /* y = b broadcast (or 0), then y += x W. */
    for (size_t r = 0; r < N; r++) {
        if (b)
            memcpy(y + r * O, b, O * sizeof(float));
        else
            memset(y + r * O, 0, O * sizeof(float));
    }
    if (I == 0)
        return;
    if (N == 1)
        cblas_sgemv(CblasRowMajor, CblasTrans, (blasint)I, (blasint)O, 1.0f, W, (blasint)O, x, 1, 1.0f,
                    y, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)N, (blasint)O, (blasint)I, 1.0f,
                    x, (blasint)I, W, (blasint)O, 1.0f, y, (blasint)O);
}

void nn_dense_backward(const float *x, const float *W, const float *dy, size_t N, size_t I, size_t O,
                       float *dW, float *db, float *dx)
{
    if (dx && N && I) {
        if (O == 0)
            memset(dx, 0, N * I * sizeof(float));
        else if (N == 1) /* dx (I) = W (I, O) dy (O) */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)I, (blasint)O, 1.0f, W, (blasint)O, dy, 1,
                        0.0f, dx, 1);
        else /* dx (N, I) = dy (N, O) W^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)N, (blasint)I, (blasint)O, 1.0f,
                        dy, (blasint)O, W, (blasint)O, 0.0f, dx, (blasint)I);
    }
    if (N == 0 || O == 0)
        return;
    if (I) {
        if (N == 1) /* dW += x (I) outer dy (O) */
            cblas_sger(CblasRowMajor, (blasint)I, (blasint)O, 1.0f, x, 1, dy, 1, dW, (blasint)O);
        else /* dW (I, O) += x^T dy */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)I, (blasint)O, (blasint)N, 1.0f,
                        x, (blasint)I, dy, (blasint)O, 1.0f, dW, (blasint)O);
    }
    if (db)
        for (size_t r = 0; r < N; r++) {
            const float *restrict d = dy + r * O;
            float *restrict g = db;
            for (size_t o = 0; o < O; o++)
                g[o] += d[o];
        }
}
