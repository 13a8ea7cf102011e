/*
 * nn_sparse.c: row-wise (sparse) optimizer updates of nn.h for embedding
 * tables too large for dense optimizer state: plain SGD on the listed rows.
 */
#include "nn/nn.h"

NN_HOT void nn_sgd_rows(float *E, size_t V, size_t D, const uint32_t *rows, const float *G, size_t n_rows,
                 float lr)
{
    if (D == 1) { /* one weight per row: a sparse axpy */
        for (size_t j = 0; j < n_rows; j++)
            if (rows[j] < V)
                E[rows[j]] -= lr * G[j];
        return;
    }
    for (size_t j = 0; j < n_rows; j++) {
        if (rows[j] >= V)
            continue;
        float *restrict e = E + (size_t)rows[j] * D;
        const float *restrict g = G + j * D;
        for (size_t d = 0; d < D; d++)
            e[d] -= lr * g[d];
    }
}
