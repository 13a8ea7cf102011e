/*
 * net.h: the SSD network of the detector (ALGORITHMS.md D.5, D.6).  Three
 * backbones (cfg.backbone): the default `mobilenet-ssdlite` below, and
 * SageMaker's `vgg-16` (net_vgg.c) and `resnet-50` (net_resnet.c), whose
 * layers are listed there and in README.md.  The default: a MobileNet-v1 stack of depthwise-separable
 * convolutions (width multiplier `width`) with SSDLite heads (depthwise 3x3
 * + pointwise 1x1, one pair for the box offsets and one for the class
 * scores) on feature maps of 1/16 and 1/32 of the input and extra layers
 * halving the map down to 1x1 (at most OD_NET_MAX_MAPS maps; 300 px: 19, 10,
 * 5, 3, 2, 1, the TF MobileNet-SSD sizes).  The default boxes are
 * od_anchor_spec_ssdlite on those sizes; the outputs are laid out in their
 * order (layers, cells row by row, boxes of a cell), so that loc (N, A, 4)
 * and conf (N, A, K) go straight into od_multibox_loss and od_decode.
 *
 * Layers and their parameter tensors (names for freeze_layer_pattern; each
 * layer has `<layer>.kernel` and `<layer>.bias`):
 *   stem                  conv 3x3 stride 2, 32 channels
 *   block1 .. block13     MobileNet's separable blocks, each `blockN.dw`
 *                         (depthwise 3x3, stride 2 in blocks 2, 4, 6, 12)
 *                         and `blockN.pw` (pointwise, 64 .. 1024 channels);
 *                         block11 feeds map 0, block13 map 1
 *   extra1 .. extra4      `extraN.reduce` (1x1), `extraN.dw` (3x3 stride 2),
 *                         `extraN.pw` (1x1, 512, 256, 256, 128): maps 2 ..
 *   head<k>.loc.dw, head<k>.loc.pw, head<k>.cls.dw, head<k>.cls.pw
 *                         the SSDLite predictors on map k
 * Channel counts are multiplied by `width` and rounded to a multiple of 8
 * (at least 8); width 0.5 at 300 px is the measured default (README.md).
 * Every layer but the heads' pointwise ones has a ReLU; there is no batch
 * normalisation (training and inference run the same graph).
 * Input: N images of S x S x 3 floats, NHWC, any S >= OD_NET_MIN_SIZE.
 *
 * All parameters live in one nn_params block (net->params): save and load
 * with nn_params_save / nn_params_load.  A net holds its activations for up
 * to max_batch images.  Threads: by default everything runs on the calling
 * thread (and the threads OpenBLAS has); od_net_set_threads(net, T) gives
 * the net a team of T threads: a batch of two images or more is split
 * between them, each share running every layer on its images with
 * OpenBLAS on one thread (blas_set_threads(1), the shares' parameter
 * gradients summed at the end of the backward), and a single image runs on
 * the caller with OpenBLAS on T threads.  One net is not thread-safe.
 */
#ifndef OPTML_OD_NET_H
#define OPTML_OD_NET_H

#include <stddef.h>
#include <stdint.h>

#include "anchors.h"
#include "nn/cnn.h"
#include "nn/params.h"

#define OD_NET_BACKBONE "mobilenet-ssdlite"
#define OD_NET_MIN_SIZE 64
#define OD_NET_MAX_MAPS 6
#define OD_NET_MAX_OPS 192

/* cfg.backbone; the zero value is the default network. */
enum od_backbone { OD_BACKBONE_MOBILENET_SSDLITE = 0, OD_BACKBONE_VGG16, OD_BACKBONE_RESNET50 };

struct od_net_cfg {
    unsigned image_size;            /* S (>= 64) */
    unsigned num_classes;           /* object classes; K = num_classes + 1 scores a box */
    float width;                    /* MobileNet width multiplier, (0, 1]: 1, 0.5, 0.25 */
    size_t max_batch;               /* images a forward may take (>= 1) */
    uint64_t seed;                  /* initialisation */
    enum od_backbone backbone;      /* 0: mobilenet-ssdlite; vgg-16 and resnet-50 ignore `width` */
};

/* The network's name for base_network ("mobilenet-ssdlite", "vgg-16",
 * "resnet-50"), and back (-1 for an unknown name). */
const char *od_backbone_name(enum od_backbone b);
int od_backbone_parse(const char *name);

/* Layer kinds: convolution (dilated when dil > 1), depthwise convolution,
 * max pooling, L2 normalisation with a learned scale (`<layer>.scale`),
 * batch normalisation (`<layer>.gamma`, `.beta`, and the frozen
 * `.moving_mean`, `.moving_var`), and the sum of two layers (a residual). */
enum od_op_kind { OD_OP_CONV, OD_OP_DW, OD_OP_POOL, OD_OP_L2N, OD_OP_BN, OD_OP_ADD };

/* One layer: reads the output of layer `in` (-1: the input image), and for
 * OD_OP_ADD also of layer `in2`. */
struct od_net_op {
    enum od_op_kind kind;
    int in;
    int relu;
    struct nn_win g;
    int hW, hb;                     /* parameter handles (-1: none); BN: gamma, beta */
    int first_grad;                 /* the last layer reading `in`: writes its gradient, not adds */
    char name[32];
    int in2, first_grad2;           /* OD_OP_ADD's second input */
    size_t dil;                     /* OD_OP_CONV: dilation (0 or 1: none) */
    int hm, hv;                     /* OD_OP_BN: moving mean and variance */
};

struct parallel_team;

struct od_net {
    struct od_net_cfg cfg;
    size_t K;                       /* num_classes + 1 */
    size_t n_ops;
    struct od_net_op op[OD_NET_MAX_OPS];
    unsigned n_maps;
    unsigned map_size[OD_NET_MAX_MAPS];
    unsigned per_cell[OD_NET_MAX_MAPS];
    int loc_op[OD_NET_MAX_MAPS], cls_op[OD_NET_MAX_MAPS];   /* the heads' pointwise layers */
    size_t map_off[OD_NET_MAX_MAPS];                        /* first box of map k */
    struct od_anchor_spec spec;
    size_t A;                       /* default boxes */
    struct nn_params params;
    /* buffers for max_batch images */
    const float *x;                 /* the input of the last forward (the caller's) */
    size_t N;
    float **act;                    /* per layer: its output (N, OH, OW, F) */
    float **dact;                   /* per layer: the gradient of its output */
    float *dtmp;                    /* a layer's input gradient before it is added (in_max an image) */
    size_t in_max;                  /* floats of the largest layer input of one image */
    float *ws;                      /* im2col workspaces, ws_per floats a thread */
    size_t ws_per, ws_nb;
    struct parallel_team *team;     /* od_net_set_threads; NULL: the caller's thread */
    float *gshare;                  /* gradient families of shares 1 .. T-1 */
    void **aux;                     /* per layer: pooling's argmax, L2 norm's and BN's statistics */
    int bn_train;                   /* batch norm from the batch's statistics (od_net_set_training) */
};

/* Builds the net, parameters initialised (He-normal kernels, zero biases).
 * train = 0 allocates the parameters and forward buffers only (inference);
 * otherwise also the gradients, Adam state (nn_params_step with OPTIM_ADAM)
 * and the backward buffers.  Returns 0, or -1 with a message in err (a size
 * below 64, a width outside (0, 1], no classes, no batch, out of memory). */
int od_net_create(struct od_net *net, const struct od_net_cfg *cfg, int train, char *err, size_t errsz);
void od_net_free(struct od_net *net);

/* Batch normalisation (resnet-50 only) in training mode (on = 1: each
 * share of a batch normalised by its own images' statistics, the moving
 * averages updated from share 0's, as per-device BN) or inference mode
 * (the moving averages).  A net made with train = 1 starts in training
 * mode, else in inference mode; evaluate with it off, and switch it back
 * on before a forward whose backward is wanted (the backward is training
 * mode's).  The other networks have no batch norm: this changes nothing
 * there. */
void od_net_set_training(struct od_net *net, int on);

/* Runs the net on a team of n_threads (<= 1: the caller only; see above).
 * Returns 0, or -1 when out of memory (the net then runs on the caller). */
int od_net_set_threads(struct od_net *net, int n_threads, char *err, size_t errsz);

/* Writes the net's od_anchor_count boxes (in the order of its outputs). */
size_t od_net_anchors(const struct od_net *net, struct od_anchor *out);

/* Forward on x (N, S, S, 3), N <= max_batch: loc (N, A, 4) box offsets,
 * conf (N, A, K) class logits (0: background).  Keeps x (not copied) and
 * the activations for od_net_backward. */
void od_net_forward(struct od_net *net, const float *x, size_t N, float *loc, float *conf);

/* Backward of the last forward from dloc (N, A, 4) and dconf (N, A, K):
 * accumulates (+=) into the parameter gradients; dx (N, S, S, 3), when not
 * NULL, receives the input's gradient. */
void od_net_backward(struct od_net *net, const float *dloc, const float *dconf, float *dx);

/* Multiply-adds of one image's forward pass. */
double od_net_flops(const struct od_net *net);

#endif
