/*
 * nn_embedding.c: embedding lookups of nn.h: gather (one row per id) and its
 * scatter-add backward, and the embedding bag (a weighted or mean sum of
 * rows per bag, the fastText / news-classifier input layer) with its
 * backward.  Ids >= V are never dereferenced.  The per-row loops are axpy
 * over D floats on restrict pointers, which GCC vectorises at -O3; the bag
 * prefetches rows a few ids ahead, since on a large hashed table each row
 * is a cache miss (3x the rows per second on a 2M x 64 table).
 */
#include "nn/nn.h"

#include <string.h>

/* y[0..D) += a * x[0..D) */
static inline void axpy(float *restrict y, const float *restrict x, float a, size_t D)
{
    for (size_t d = 0; d < D; d++)
        y[d] += a * x[d];
}

void nn_embedding_forward(const float *E, size_t V, size_t D, const uint32_t *ids, size_t n,
                          float *out)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < V)
            memcpy(out + i * D, E + (size_t)ids[i] * D, D * sizeof(float));
        else
            memset(out + i * D, 0, D * sizeof(float));
    }
}

void nn_embedding_backward(const uint32_t *ids, size_t n, const float *dout, size_t V, size_t D,
                           float *dE)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] < V)
            axpy(dE + (size_t)ids[i] * D, dout + i * D, 1.0f, D);
}

/* Rows of a large table are cache misses: bring in the row PREFETCH_AHEAD
 * entries ahead (all its cache lines) while the current one is added. */
#define PREFETCH_AHEAD 4
static inline void prefetch_row(const float *E, size_t V, size_t D, const uint32_t *ids, size_t j, size_t e,
                                int rw)
{
    if (j + PREFETCH_AHEAD < e && ids[j + PREFETCH_AHEAD] < V) {
        const float *row = E + (size_t)ids[j + PREFETCH_AHEAD] * D;
        for (size_t c = 0; c < D; c += 64 / sizeof(float)) {
            if (rw)
                __builtin_prefetch(row + c, 1);
            else
                __builtin_prefetch(row + c, 0);
        }
    }
}

/* The weight of entry j of bag [b, e): wts[j], or 1 / (number of ids < V in
 * the bag) for the mean. */
static float mean_weight(const uint32_t *ids, size_t b, size_t e, size_t V)
{
    size_t cnt = 0;
    for (size_t j = b; j < e; j++)
        cnt += ids[j] < V;
    return cnt ? 1.0f / (float)cnt : 0.0f;
}

NN_HOT void nn_embedding_bag_forward(const float *E, size_t V, size_t D, const uint32_t *ids, const float *wts,
                              const size_t *off, size_t N, float *out)
{
    if (D == 1 && wts) { /* a linear model's scores: a sparse dot product per bag, summed in
                            order (the same sums as any D > 1 column gets) */
        for (size_t r = 0; r < N; r++) {
            float acc = 0.0f;
            for (size_t j = off[r]; j < off[r + 1]; j++)
                if (ids[j] < V)
                    acc += wts[j] * E[ids[j]];
            out[r] = acc;
        }
        return;
    }
    for (size_t r = 0; r < N; r++) {
        float *o = out + r * D;
        memset(o, 0, D * sizeof(float));
        const size_t b = off[r], e = off[r + 1];
        const float mw = wts ? 0.0f : mean_weight(ids, b, e, V);
        for (size_t j = b; j < e; j++) {
            prefetch_row(E, V, D, ids, j, e, 0);
            if (ids[j] < V)
                axpy(o, E + (size_t)ids[j] * D, wts ? wts[j] : mw, D);
        }
    }
}

void nn_embedding_bag_backward(const uint32_t *ids, const float *wts, const size_t *off, size_t N,
                               const float *dout, size_t V, size_t D, float *dE)
{
    for (size_t r = 0; r < N; r++) {
        const float *g = dout + r * D;
        const size_t b = off[r], e = off[r + 1];
        const float mw = wts ? 0.0f : mean_weight(ids, b, e, V);
        for (size_t j = b; j < e; j++) {
            prefetch_row(dE, V, D, ids, j, e, 1);
            if (ids[j] < V)
                axpy(dE + (size_t)ids[j] * D, g, wts ? wts[j] : mw, D);
        }
    }
}
