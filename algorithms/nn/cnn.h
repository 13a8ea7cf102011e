/*
 * cnn.h: the spatial layers of the shared network code (CIFAR CNN, the SSD
 * detector after it): 2-D convolution, depthwise convolution, max pooling
 * and batch normalisation, on NHWC tensors ("channels_last" as Keras): an
 * activation x of N images is x[n][h][w][c], row-major, c fastest.  The
 * dense layer, activations, dropout and initialisers are nn.h's; softmax
 * cross-entropy is softmax_xent_batch() in common/losses.h.
 *
 * Same conventions as nn.h: forward writes its output; backward ACCUMULATES
 * (+=) into parameter gradients and WRITES (=) the input gradient; nothing
 * here allocates, and every scratch buffer is the caller's (a function
 * tells its size); no state between calls; thread-safe on distinct output
 * and scratch buffers.  Every backward pass is checked against finite
 * differences in tests/algorithms/nn/test_cnn.c.
 *
 * Flatten needs no function: an NHWC batch (N, H, W, C) is already the
 * row-major matrix (N, H*W*C) that nn_dense_forward takes, in Keras's
 * Flatten order (h, then w, then c), so a dense layer reads the pooled
 * output in place and its dx is the pooled layer's dy.
 *
 * Engines and threads (docs/nn.md has the measurements): two convolution
 * engines behind the same arguments.  im2col + one OpenBLAS sgemm per
 * chunk of nb images (conv.c, conv_team.c): the reference, gradient-checked
 * against finite differences, and the engine of inference and of builds
 * without oneDNN.  oneDNN's JIT kernels (conv_dnnl.c, nn_conv_dnnl_*):
 * training's engine when the build has it, measured faster on the whole
 * training step.  The one threading model, chosen by bench/conv.sh and
 * bench/cifar_train.sh: the batch split over a parallel_team with
 * blas_set_threads(1) and oneDNN on one OpenMP thread per share, so that
 * OpenBLAS and OpenMP never start threads of their own; it beat OpenBLAS's
 * own threads on whole-batch products by 1.3x, and oneDNN's OpenMP threads
 * on the whole batch.  The single calls are for one thread (a share, a
 * test, inference on a few images).
 */
#ifndef OPTML_NN_CNN_H
#define OPTML_NN_CNN_H

#include <stddef.h>
#include <stdint.h>

/* Padding as Keras/TensorFlow: VALID uses only whole windows,
 * out = floor((in - k) / stride) + 1 (0 when in < k); SAME gives
 * out = ceil(in / stride) and pads pad_total = max((out - 1) * stride + k
 * - in, 0) zeros, pad_total / 2 before and the rest after. */
enum nn_pad { NN_PAD_VALID, NN_PAD_SAME };

/* The geometry of one spatial window op (conv, depthwise, pool) on one
 * image: input H x W x C, window KH x KW, strides SH, SW, output OH x OW,
 * padding before (PT top, PL left).  F is the number of filters of a conv
 * (its output channels); C for depthwise and pool. */
struct nn_win {
    size_t H, W, C;
    size_t KH, KW, SH, SW;
    size_t OH, OW, F;
    size_t PT, PL;
};

/* Fill *g; returns 0, or -1 on a zero size or stride, or an output that
 * would be empty (VALID with in < k). */
int nn_win_init(struct nn_win *g, size_t H, size_t W, size_t C, size_t KH, size_t KW, size_t SH,
                size_t SW, enum nn_pad pad, size_t F);

/* ---------------------------------------------------------------- conv2d */

/* Conv2D, NHWC, weights as Keras's kernel (KH, KW, C, F) row-major, bias
 * (F).  The products run on chunks of `nb` images (nb >= 1; the last chunk
 * may be smaller): the im2col buffer of a chunk is
 * nn_conv2d_workspace(g, nb) floats, given by the caller as ws.  A 1x1
 * stride-1 unpadded conv needs no im2col (its workspace is 0; ws may be
 * NULL).  Chunks of 2-4 images were fastest on the cifar10_cnn layers
 * (docs/nn.md): the buffer stays in cache.  Each product dimension
 * (nb * OH * OW, KH * KW * C, F) must fit in an int (OpenBLAS's blasint). */
size_t nn_conv2d_workspace(const struct nn_win *g, size_t nb);

/* y (N, OH, OW, F) = conv(x (N, H, W, C), Wk) + b (b may be NULL), then
 * ReLU when relu != 0 (fused: applied per chunk while it is in cache). */
void nn_conv2d_forward(const struct nn_win *g, const float *x, size_t N, const float *Wk, const float *b,
                       int relu, float *y, float *ws, size_t nb);

/* Given dy (N, OH, OW, F) (for a fused ReLU, pass the ReLU's dx:
 * nn_act_backward(NN_ACT_RELU, y, dy, ...)): dW += (KH, KW, C, F), db +=
 * (F) (db may be NULL), dx = (N, H, W, C) (dx may be NULL). */
void nn_conv2d_backward(const struct nn_win *g, const float *x, size_t N, const float *Wk, const float *dy,
                        float *dW, float *db, float *dx, float *ws, size_t nb);

/* The same over a team (common/parallel.h): share t takes images
 * [t N / T, (t+1) N / T) with its own workspace ws + t * ws_per_thread
 * (ws_per_thread >= nn_conv2d_workspace(g, nb)); the caller sets
 * blas_set_threads(1) so that the shares do not oversubscribe the cores.
 * Backward: share 0 accumulates into dW, db; share t > 0 into its own
 * scratch part (dWs + (t-1) * (KH*KW*C*F + F), zeroed here), added into
 * dW and db at the end (dWs: (T-1) * (KH*KW*C*F + F) floats; NULL when T is
 * 1).  A NULL team runs on the caller. */
struct parallel_team;
void nn_conv2d_forward_team(struct parallel_team *team, const struct nn_win *g, const float *x, size_t N,
                            const float *Wk, const float *b, int relu, float *y, float *ws,
                            size_t ws_per_thread, size_t nb);
void nn_conv2d_backward_team(struct parallel_team *team, const struct nn_win *g, const float *x, size_t N,
                             const float *Wk, const float *dy, float *dW, float *db, float *dx, float *ws,
                             size_t ws_per_thread, size_t nb, float *dWs);

/* The oneDNN engine (conv_dnnl.c; Debian's libdnnl, JIT kernels): the same
 * convolution as nn_conv2d_*_team, measured faster on the cifar-cnn
 * layers (docs/nn.md, bench/results/conv-engine.txt).  One engine per
 * layer: its geometry, whether a ReLU is fused into the forward and
 * whether the layer has a bias; it builds and caches oneDNN's primitives
 * per number of images per share.  The batch is split over the team as
 * the im2col team functions do, oneDNN on one OpenMP thread in each share
 * (no OpenMP worker is started: the team is the only threading).  Same
 * conventions: y written, dW and db ACCUMULATED (+=), dx written (dx may
 * be NULL; db is ignored for a layer without bias).  nn_conv_dnnl_new
 * returns NULL when the build has no oneDNN (nn_conv_dnnl_available() is
 * 0) or out of memory; forward and backward return 0, or -1 when oneDNN
 * refuses the shape (or offers only its slow reference kernel; nothing is
 * written then) or fails: the caller then runs the im2col engine.  Not
 * reentrant: one call at a time per engine. */
struct nn_conv_dnnl;
int nn_conv_dnnl_available(void);
struct nn_conv_dnnl *nn_conv_dnnl_new(const struct nn_win *g, int relu, int has_bias);
void nn_conv_dnnl_free(struct nn_conv_dnnl *e);
int nn_conv_dnnl_forward(struct nn_conv_dnnl *e, struct parallel_team *team, const float *x, size_t N,
                         const float *Wk, const float *b, float *y);
int nn_conv_dnnl_backward(struct nn_conv_dnnl *e, struct parallel_team *team, const float *x, size_t N,
                          const float *Wk, const float *dy, float *dW, float *db, float *dx);

/* ------------------------------------------------------------- depthwise */

/* Depthwise conv, channel multiplier 1 (Keras DepthwiseConv2D,
 * depth_multiplier 1): y[n,oh,ow,c] = sum_{kh,kw} x[n,ih,iw,c] Wk[kh,kw,c]
 * + b[c]; weights (KH, KW, C) (Keras's (KH, KW, C, 1)), bias (C) or NULL,
 * g->F must equal g->C.  Direct loops vectorised over c; no workspace. */
void nn_depthwise_forward(const struct nn_win *g, const float *x, size_t N, const float *Wk,
                          const float *b, int relu, float *y);
/* dW += (KH, KW, C), db += (C) (may be NULL), dx = (N, H, W, C) (may be
 * NULL). */
void nn_depthwise_backward(const struct nn_win *g, const float *x, size_t N, const float *Wk,
                           const float *dy, float *dW, float *db, float *dx);

/* ---------------------------------------------------------------- maxpool */

/* Max pooling, per channel, over KH x KW windows (Keras MaxPooling2D: the
 * pool size is the stride by default).  SAME padding pads with -infinity
 * (a window's max is over its real pixels only).  y (N, OH, OW, C);
 * arg (N, OH, OW, C) receives, for each output, the offset of the chosen
 * input inside its image (h * W * C + w * C + c; the first maximum wins;
 * an image must hold fewer than 2^32 values). */
void nn_maxpool_forward(const struct nn_win *g, const float *x, size_t N, float *y, uint32_t *arg);
/* dx = 0, then dx[n, arg] += dy (N, H, W, C). */
void nn_maxpool_backward(const struct nn_win *g, const uint32_t *arg, const float *dy, size_t N, float *dx);

/* -------------------------------------------------------------- batchnorm */

/* Batch normalisation over the channel axis (Keras BatchNormalization,
 * axis -1): x is (M, C) with M = N*H*W rows (any NHWC tensor).
 * y = gamma (x - mean) / sqrt(var + eps) + beta.  Keras defaults:
 * momentum 0.99, eps 1e-3.  gamma, beta: trained parameters (C);
 * moving_mean, moving_var: (C), not trained (NN_PARAM_FROZEN in the
 * parameter block, so that they are saved with the model), initialised to
 * 0 and 1. */
#define NN_BN_MOMENTUM 0.99f
#define NN_BN_EPS 1e-3f

/* Training mode: mean and var are the batch's (biased, over M); saves mean
 * and 1 / sqrt(var + eps) in save_mean, save_invstd (C each) for the
 * backward, and updates moving = moving * momentum + batch * (1 - momentum),
 * with the batch variance unbiased (M / (M - 1)) there as TensorFlow's fused
 * kernel does.  moving_* may be NULL (no update). */
void nn_batchnorm_forward_train(const float *x, size_t M, size_t C, const float *gamma, const float *beta,
                                float eps, float momentum, float *moving_mean, float *moving_var,
                                float *save_mean, float *save_invstd, float *y);
/* Inference mode: the moving statistics. */
void nn_batchnorm_forward_infer(const float *x, size_t M, size_t C, const float *gamma, const float *beta,
                                const float *moving_mean, const float *moving_var, float eps, float *y);
/* Backward of the training mode: dgamma += sum dy xhat, dbeta += sum dy,
 * dx = gamma invstd / M (M dy - sum dy - xhat sum dy xhat) (dx may alias
 * dy).  Needs x and the saved statistics; tmp: 2 * C floats of scratch. */
void nn_batchnorm_backward_train(const float *x, const float *dy, size_t M, size_t C, const float *gamma,
                                 const float *save_mean, const float *save_invstd, float *dgamma,
                                 float *dbeta, float *dx, float *tmp);

/* ------------------------------------------------------- dilated conv2d */

/* Dilated ("atrous") Conv2D, as SSD's fc6 on VGG-16 (3x3, dilation 6):
 * tap (kh, kw) of output (oh, ow) reads input (oh SH - PT + kh dil,
 * ow SW - PL + kw dil).  nn_win_init_dilated gives the geometry: a square
 * K x K kernel, stride S, whose output size and padding are those of the
 * effective window (K - 1) dil + 1 under `pad` (so SAME at stride 1 keeps
 * the size); its KH, KW are the K taps, so the weights are (K, K, C, F)
 * and the workspace is nn_conv2d_workspace(g, nb).  Such a g is for the
 * dilated functions only (nn_conv2d_* would read it as undilated).  Same
 * conventions as nn_conv2d_forward / backward (dilation 1 gives their
 * results). */
int nn_win_init_dilated(struct nn_win *g, size_t H, size_t W, size_t C, size_t K, size_t S, size_t dil,
                        enum nn_pad pad, size_t F);
void nn_conv2d_dilated_forward(const struct nn_win *g, size_t dil, const float *x, size_t N, const float *Wk,
                               const float *b, int relu, float *y, float *ws, size_t nb);
void nn_conv2d_dilated_backward(const struct nn_win *g, size_t dil, const float *x, size_t N, const float *Wk,
                                const float *dy, float *dW, float *db, float *dx, float *ws, size_t nb);

/* ---------------------------------------------------------------- l2norm */

/* L2 normalisation over the channel axis with a learned scale per channel
 * (ParseNet; SSD's conv4_3_norm, scale initialised to 20): x is (M, C)
 * with M = N*H*W rows; y = scale * x / sqrt(sum_c x^2 + eps).  inv_norm
 * (M) receives 1 / sqrt(sum_c x^2 + eps) for the backward.  Backward:
 * dscale += sum over rows of dy xhat; dx = (dy scale - xhat
 * sum_c(dy scale xhat)) inv_norm (dscale and dx may be NULL; dx must not
 * alias dy). */
#define NN_L2NORM_EPS 1e-10f
void nn_l2norm_forward(const float *x, size_t M, size_t C, const float *scale, float *y, float *inv_norm);
void nn_l2norm_backward(const float *x, const float *dy, size_t M, size_t C, const float *scale,
                        const float *inv_norm, float *dscale, float *dx);

#endif
