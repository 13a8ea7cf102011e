/*
 * net.h: the two cifar-cnn networks as a small list of layers on one
 * parameter block (nn/params.h): keras-cifar10 (ALGORITHMS.md B.1) and
 * sagemaker-cifar10 (B.3, with batch norm), built for any input H x W x C
 * and any number of classes; the training and inference forward passes,
 * the backward pass into the block's gradients, and the byte form of a
 * network (its shape, then the block) for the model file and checkpoints.
 * The layers are nn/cnn.h's and nn/nn.h's; the batch is split over a team
 * (common/parallel.h) for convolutions and dense layers, OpenBLAS at one
 * thread (docs/nn.md).
 */
#ifndef OPTML_CIFAR_CNN_NET_H
#define OPTML_CIFAR_CNN_NET_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cifar_cnn/data.h"
#include "nn/cnn.h"
#include "nn/params.h"

enum cc_layer_kind { CC_L_CONV, CC_L_BN, CC_L_POOL, CC_L_DROP, CC_L_DENSE };

struct cc_layer {
    int kind;             /* enum cc_layer_kind */
    int relu;             /* conv, bn, dense: followed by a ReLU */
    struct nn_win g;      /* conv, pool: the window geometry */
    size_t in, out;       /* floats per image in and out */
    size_t C;             /* bn: channels */
    float p;              /* dropout rate */
    int hW, hb, hm, hv;   /* parameter handles: kernel / gamma, bias / beta, moving mean, moving var */
};

#define CC_MAX_LAYERS 32

struct cc_net {
    int arch;             /* enum cc_arch */
    struct cc_shape in;
    size_t classes;
    struct cc_layer L[CC_MAX_LAYERS];
    size_t n_layers;
    size_t max_act;       /* the largest activation, floats per image */
    size_t max_conv_params, max_dense_params; /* kernel + bias of the largest conv / dense layer */
    struct nn_params p;
};

/* Declares the network of `arch` for images of shape *in and `classes`
 * classes, and allocates its block (what: NN_PARAMS_GRADS | NN_PARAMS_OPTIM
 * for training, 0 to serve).  The parameters are zero; cc_net_init draws
 * them.  -1 with a message (an input too small for the architecture, out
 * of memory). */
int cc_net_build(struct cc_net *net, int arch, const struct cc_shape *in, size_t classes, unsigned what,
                 enum optim_kind kind, char *err, size_t errsz);
/* Keras's defaults: Glorot-uniform kernels, zero biases, batch norm gamma 1,
 * beta 0, moving mean 0 and variance 1. */
void cc_net_init(struct cc_net *net, uint64_t *rng);
void cc_net_free(struct cc_net *net);
/* Trained parameters (Keras's "Total params" less the moving statistics). */
size_t cc_net_count_trained(const struct cc_net *net);
size_t cc_net_count_all(const struct cc_net *net);

/* The buffers of a forward and backward pass of up to `cap` images, and
 * the team the batch is split over (NULL: the calling thread). */
struct parallel_team;
struct cc_work {
    size_t cap;
    float *act[CC_MAX_LAYERS + 1];   /* act[0] points at the input */
    uint32_t *arg[CC_MAX_LAYERS];
    uint8_t *mask[CC_MAX_LAYERS];
    float *bn_mean[CC_MAX_LAYERS], *bn_inv[CC_MAX_LAYERS];
    float *d[2];                     /* backward ping-pong */
    float *ws, *dWs, *tmp;
    size_t ws_per, nb;
    int threads;
    struct parallel_team *team;
    /* training: the oneDNN engine of each conv layer (nn/cnn.h), NULL for
     * the im2col one (no oneDNN in the build, OPTML_CONV_ENGINE=im2col, or
     * oneDNN refused the shape); inference keeps im2col. */
    struct nn_conv_dnnl *eng[CC_MAX_LAYERS];
};
/* train: with the backward buffers and the conv engines (the environment's
 * OPTML_CONV_ENGINE: "onednn", the default when built in, or "im2col").
 * -1 on out of memory (w is freeable). */
int cc_work_init(struct cc_work *w, const struct cc_net *net, size_t cap, int train, struct parallel_team *team);
void cc_work_free(struct cc_work *w);

/* Logits (n, classes) of n <= w->cap images x (n, H, W, C); returns them
 * (w->act[n_layers]).  train: batch statistics (moving ones updated) and
 * dropout drawn from *rng; else the inference network. */
float *cc_net_forward(struct cc_net *net, struct cc_work *w, const float *x, size_t n, int train, uint64_t *rng);
/* After a training forward of the same n images: dlogits (n, classes),
 * already divided by the batch, are overwritten; the gradients of every
 * parameter are ADDED into the block's gradients. */
void cc_net_backward(struct cc_net *net, struct cc_work *w, float *dlogits, size_t n);

/* The byte form: "CCNN" u32 version, u32 arch, u32 h, w, c, u32 classes,
 * then the parameter block (nn_params_save with `flags`). */
int cc_net_save(const struct cc_net *net, unsigned flags, struct nn_buf *out, char *err, size_t errsz);
/* The header of a byte form: arch, shape, classes, and where the block
 * starts.  -1 with a message when it is not one. */
int cc_net_peek(const void *data, size_t len, int *arch, struct cc_shape *in, size_t *classes, size_t *header,
                char *err, size_t errsz);

/* ---------------------------------------------------------------- model.c */

#define CC_MODEL_FILE "cifar-cnn.model"

/* What a checkpoint keeps besides the network: the dropout stream and the
 * updates applied (Keras's `iterations`, for the learning-rate decay). */
struct cc_train_state {
    uint64_t rng;
    uint64_t iterations;
};
/* A checkpoint after `epochs` epochs: the network with its optimizer
 * state, and *st (a no-op when checkpointing is off). */
optml_status cc_checkpoint(optml_ctx *ctx, const struct cc_net *net, const struct cc_train_state *st,
                           uint64_t epochs);
/* Loads the newest checkpoint into net and *st, and *epoch the epochs it
 * had done; leaves them as they are when there is none, or when it is of
 * another network (a warning). */
optml_status cc_resume(optml_ctx *ctx, struct cc_net *net, struct cc_train_state *st, int *epoch);
/* model/cifar-cnn.model: the network without optimizer state. */
optml_status cc_model_save(optml_ctx *ctx, const struct cc_net *net);

/* Serving (the module table's model_load, predict, model_free).  The
 * loaded model is a struct cc_served: the network, read only while
 * serving, and what requests borrow (model.c): a pool of workspaces (taken
 * and given back under a lock, grown when a bigger batch arrives, at most
 * CC_POOL_KEEP kept idle) and one team over the cores that splits a
 * request's images, used by one request at a time (a request that finds
 * it busy, or has fewer images than threads, runs on its worker thread). */
#define CC_POOL_KEEP 8
struct cc_served {
    struct cc_net net;            /* first: the model pointer is also the network's */
    pthread_mutex_t mu;
    struct parallel_team *team;   /* NULL on one core */
    int team_busy;
    struct cc_work *idle[CC_POOL_KEEP];
    size_t n_idle;
};
optml_status cc_model_load(optml_ctx *ctx, const char *model_dir, void **model);
optml_status cc_predict(optml_ctx *ctx, const void *model, const struct optml_request *req, optml_response *resp);
void cc_model_free(void *model);

#endif
