/*
 * nn.h: the neural-network layers shared by the modules (news classifier
 * first, then the CIFAR CNN and the SSD detector): initialisers, embedding
 * and embedding-bag lookups, dense layers through OpenBLAS, activations,
 * dropout and sparse (row-wise) optimizer updates for large embedding
 * tables.  Random numbers are common/rng.h, threads common/parallel.h.
 * Softmax cross-entropy is softmax_xent_batch() in losses.h; the dense
 * optimizers are optim_update() in optim.h.  The spatial layers (conv,
 * depthwise, max pooling, batch norm on NHWC) are in cnn.h.
 *
 * Conventions: row-major float arrays; a layer's forward writes its output,
 * its backward ACCUMULATES (+=) into parameter gradients (so several
 * batches or threads can add into the same buffer; the caller zeroes them)
 * and WRITES (=) the gradient of its input.  Every backward pass is checked
 * against finite differences in tests/algorithms/nn/test_layers.c.  No function here
 * allocates unless its comment says so, and none keeps state between calls:
 * all are thread-safe on distinct output buffers.
 */
#ifndef OPTML_NN_NN_H
#define OPTML_NN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "common/rng.h"

/* The hot sparse loops are built twice, for AVX2 and for the baseline, and
 * the loader picks one for the CPU (GCC's target_clones; other compilers
 * build the baseline only). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NN_HOT __attribute__((target_clones("avx2", "default")))
#else
#define NN_HOT
#endif

/* ----------------------------------------------------------- initialisers */

/* w[i] ~ U[lo, hi) for i < n. */
void nn_init_uniform(float *w, size_t n, float lo, float hi, uint64_t *rng);
/* Glorot (Xavier) uniform for a (fan_in, fan_out) matrix: U[-a, a) with
 * a = sqrt(6 / (fan_in + fan_out)); fills fan_in * fan_out floats. */
void nn_init_glorot_uniform(float *w, size_t fan_in, size_t fan_out, uint64_t *rng);
/* He (Kaiming) normal: N(0, 2 / fan_in); fills n floats. */
void nn_init_he_normal(float *w, size_t n, size_t fan_in, uint64_t *rng);

/* ----------------------------------------------------------------- dense */

/* y = x W + b:  x (N, I), W (I, O), b (O) or NULL, y (N, O).  OpenBLAS sgemm
 * (sgemv for N = 1); each dimension must fit in an int (OpenBLAS's blasint).
 * OpenBLAS keeps its own work buffers and, for large products, its own
 * threads: see blas_set_threads() in common/parallel.h. */
void nn_dense_forward(const float *x, const float *W, const float *b, size_t N, size_t I, size_t O,
                      float *y);
/* Given dy (N, O): dW += x^T dy (I, O), db += column sums of dy (O) (db may
 * be NULL), dx = dy W^T (N, I) (dx may be NULL). */
void nn_dense_backward(const float *x, const float *W, const float *dy, size_t N, size_t I, size_t O,
                       float *dW, float *db, float *dx);

/* The same with the batch split over a team (common/parallel.h): share t
 * takes rows [t N / T, (t+1) N / T); the caller sets blas_set_threads(1)
 * (the one threading model, docs/nn.md).  Backward: share 0 adds into dW,
 * db; share t > 0 into its own part of dWs ((T-1) * (I*O + O) floats,
 * zeroed here; NULL when T is 1), added into dW and db at the end.  A NULL
 * team runs on the caller. */
struct parallel_team;
void nn_dense_forward_team(struct parallel_team *team, const float *x, const float *W, const float *b, size_t N,
                           size_t I, size_t O, float *y);
void nn_dense_backward_team(struct parallel_team *team, const float *x, const float *W, const float *dy, size_t N,
                            size_t I, size_t O, float *dW, float *db, float *dx, float *dWs);

/* ----------------------------------------------------------- activations */

enum nn_act { NN_ACT_NONE, NN_ACT_RELU, NN_ACT_TANH, NN_ACT_SIGMOID };

/* y = act(x), elementwise over n values (in place allowed: y == x). */
void nn_act_forward(enum nn_act act, const float *x, float *y, size_t n);
/* dx = dy * act'(.) computed from the forward OUTPUT y (in place allowed:
 * dx == dy).  relu' is 0 where y == 0. */
void nn_act_backward(enum nn_act act, const float *y, const float *dy, float *dx, size_t n);

/* Row-wise softmax of (N, K) logits into probs (in place allowed), stable. */
void nn_softmax(const float *logits, float *probs, size_t N, size_t K);

/* --------------------------------------------------------------- dropout */

/* Inverted dropout in training: each of n values is kept with probability
 * 1 - p and scaled by 1 / (1 - p), else zeroed; mask[i] = 1 when kept.
 * p = 0 copies x and sets every mask byte to 1 (so does p < 0); p >= 1
 * zeroes y and mask.  One rng draw per value when 0 < p < 1, none
 * otherwise.  In place allowed. */
void nn_dropout_forward(const float *x, float *y, uint8_t *mask, size_t n, float p, uint64_t *rng);
/* dx = dy * mask / (1 - p) (in place allowed; 0 everywhere for p >= 1). */
void nn_dropout_backward(const float *dy, const uint8_t *mask, float *dx, size_t n, float p);

/* ------------------------------------------------------------- embedding */

/* Gather: out[i] = E[ids[i]] for i < n (each row D floats).  An id >= V
 * gives a zero row (never an out-of-bounds read). */
void nn_embedding_forward(const float *E, size_t V, size_t D, const uint32_t *ids, size_t n,
                          float *out);
/* Scatter-add: dE[ids[i]] += dout[i] for i < n; ids >= V are skipped. */
void nn_embedding_backward(const uint32_t *ids, size_t n, const float *dout, size_t V, size_t D,
                           float *dE);

/* Embedding bag: for each of N bags, out[r] (D) = sum over j in
 * [off[r], off[r+1]) of wts[j] * E[ids[j]] (wts NULL means 1 / bag size, the
 * mean; an empty bag gives zeros).  off has N + 1 entries.  ids >= V are
 * skipped (contribute nothing) and, for the mean, not counted in the bag
 * size (like a padding id): a bag of only such ids gives zeros. */
void nn_embedding_bag_forward(const float *E, size_t V, size_t D, const uint32_t *ids, const float *wts,
                              const size_t *off, size_t N, float *out);
/* Backward of the bag: dE[ids[j]] += w_j * dout[r] (w_j as in forward). */
void nn_embedding_bag_backward(const uint32_t *ids, const float *wts, const size_t *off, size_t N,
                               const float *dout, size_t V, size_t D, float *dE);

/* ------------------------------------------------- sparse (row) updates */

/* Plain SGD on selected rows of a (V, D) table: for each j < n_rows with
 * rows[j] < V, E[rows[j]] -= lr * G[j] (G is (n_rows, D), one gradient row
 * per listed row; a row may be listed twice, both apply).  For embedding
 * tables too large for dense optimizer state (hashed n-gram buckets). */
void nn_sgd_rows(float *E, size_t V, size_t D, const uint32_t *rows, const float *G, size_t n_rows,
                 float lr);

/* Row-wise Adagrad-free "lazy" Adam is not provided: use optim_update() on
 * dense tables, nn_sgd_rows() on hashed ones. */

#endif
