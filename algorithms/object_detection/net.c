/*
 * net.c: the network of net.h: the mobilenet-ssdlite backbone, the heads
 * on any backbone's maps, the parameter block and buffers, forward into
 * the anchors' order, backward from the multibox loss gradients (every
 * layer kind: conv, dilated conv, depthwise, pool, L2 norm, batch norm,
 * residual sum), threads.  Appending layers is net_build.c's; vgg-16 and
 * resnet-50 are net_vgg.c's and net_resnet.c's.
 */
#include "net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"
#include "net_build.h"
#include "nn/nn.h"

static size_t channels(float width, unsigned base)
{
    long c = (long)(base * width + 4.0f) / 8 * 8;
    return c < 8 ? 8 : (size_t)c;
}

static size_t out_len(const struct nn_win *g) { return g->OH * g->OW * g->F; }

const char *od_backbone_name(enum od_backbone b)
{
    switch (b) {
    case OD_BACKBONE_VGG16:
        return "vgg-16";
    case OD_BACKBONE_RESNET50:
        return "resnet-50";
    default:
        return OD_NET_BACKBONE;
    }
}

int od_backbone_parse(const char *name)
{
    for (int b = OD_BACKBONE_MOBILENET_SSDLITE; b <= OD_BACKBONE_RESNET50; b++)
        if (name && strcmp(name, od_backbone_name((enum od_backbone)b)) == 0)
            return b;
    return -1;
}

static int add_op(struct od_net *net, enum od_op_kind kind, int in, int relu, const char *name, size_t k,
                  size_t stride, size_t F, char *err, size_t errsz)
{
    return od_net_add(net, kind, in, relu, name, k, stride, 1, NN_PAD_SAME, F, 1, err, errsz);
}

/* A separable block: depthwise 3x3 (stride) then pointwise to F. */
static int add_sep(struct od_net *net, int in, const char *name, size_t stride, size_t F, int last_relu, char *err,
                   size_t errsz)
{
    char n1[40], n2[40];
    snprintf(n1, sizeof(n1), "%s.dw", name);
    snprintf(n2, sizeof(n2), "%s.pw", name);
    int d = add_op(net, OD_OP_DW, in, 1, n1, 3, stride, 0, err, errsz);
    return d < 0 ? -1 : add_op(net, OD_OP_CONV, d, last_relu, n2, 1, 1, F, err, errsz);
}

/* MobileNet v1 (stem, 13 separable blocks) and the extra layers. */
static int build_mobilenet(struct od_net *net, int *map_src, char *err, size_t errsz)
{
    float w = net->cfg.width;
    static const unsigned blk_c[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    static const unsigned blk_s[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    int cur = add_op(net, OD_OP_CONV, -1, 1, "stem", 3, 2, channels(w, 32), err, errsz);
    for (int b = 0; b < 13 && cur >= 0; b++) {
        char nm[16];
        snprintf(nm, sizeof(nm), "block%d", b + 1);
        cur = add_sep(net, cur, nm, blk_s[b], channels(w, blk_c[b]), 1, err, errsz);
        if (b == 10 && cur >= 0)
            map_src[net->n_maps++] = cur;
    }
    if (cur < 0)
        return -1;
    map_src[net->n_maps++] = cur;
    static const unsigned ex_c[4] = {512, 256, 256, 128};
    for (int e = 0; e < 4 && net->n_maps < OD_NET_MAX_MAPS && net->op[cur].g.OH > 1; e++) {
        char nm[24];
        snprintf(nm, sizeof(nm), "extra%d.reduce", e + 1);
        cur = add_op(net, OD_OP_CONV, cur, 1, nm, 1, 1, channels(w, ex_c[e] / 2), err, errsz);
        snprintf(nm, sizeof(nm), "extra%d", e + 1);
        if (cur < 0 || (cur = add_sep(net, cur, nm, 2, channels(w, ex_c[e]), 1, err, errsz)) < 0)
            return -1;
        map_src[net->n_maps++] = cur;
    }
    return 0;
}

int od_net_create(struct od_net *net, const struct od_net_cfg *cfg, int train, char *err, size_t errsz)
{
    memset(net, 0, sizeof(*net));
    nn_params_init(&net->params);
    net->cfg = *cfg;
    if (cfg->image_size < OD_NET_MIN_SIZE || cfg->image_size > 4096) {
        od_net_seterr(err, errsz, "object detection network: image size %u is outside %d .. 4096", cfg->image_size,
               OD_NET_MIN_SIZE);
        return -1;
    }
    int mobile = cfg->backbone == OD_BACKBONE_MOBILENET_SSDLITE;
    if (cfg->backbone != OD_BACKBONE_MOBILENET_SSDLITE && cfg->backbone != OD_BACKBONE_VGG16 &&
        cfg->backbone != OD_BACKBONE_RESNET50) {
        od_net_seterr(err, errsz, "object detection network: unknown backbone %d", (int)cfg->backbone);
        return -1;
    }
    if (mobile && !(cfg->width > 0.0f && cfg->width <= 1.0f)) {
        od_net_seterr(err, errsz, "object detection network: width multiplier %g is outside (0, 1]", (double)cfg->width);
        return -1;
    }
    if (cfg->num_classes < 1 || cfg->num_classes > 10000 || cfg->max_batch < 1) {
        od_net_seterr(err, errsz, "object detection network: needs at least one class and a batch of at least one");
        return -1;
    }
    net->K = cfg->num_classes + 1;
    net->bn_train = train != 0;
    int map_src[OD_NET_MAX_MAPS];
    int rc = cfg->backbone == OD_BACKBONE_VGG16      ? od_net_build_vgg16(net, map_src, err, errsz)
             : cfg->backbone == OD_BACKBONE_RESNET50 ? od_net_build_resnet50(net, map_src, err, errsz)
                                                     : build_mobilenet(net, map_src, err, errsz);
    if (rc != 0)
        goto fail;
    for (unsigned k = 0; k < net->n_maps; k++)
        net->map_size[k] = (unsigned)net->op[map_src[k]].g.OH;
    if (mobile) {
        od_anchor_spec_ssdlite(&net->spec, net->map_size, net->n_maps);
    } else { /* the SSD paper's boxes, the first map (conv4_3 or stage 3) at scale 0.1 as Caffe's SSD300 */
        od_anchor_spec_ssd(&net->spec, net->map_size, net->n_maps);
        net->spec.first_scale = 0.1f;
    }
    if (od_anchor_spec_check(&net->spec, err, errsz) != 0)
        goto fail;
    net->A = 0;
    for (unsigned k = 0; k < net->n_maps; k++) {
        net->per_cell[k] = od_anchor_per_cell(&net->spec, k);
        net->map_off[k] = net->A;
        net->A += (size_t)net->map_size[k] * net->map_size[k] * net->per_cell[k];
        char nm[24];
        if (mobile) { /* SSDLite: depthwise 3x3 + pointwise 1x1 */
            snprintf(nm, sizeof(nm), "head%u.loc", k);
            if ((net->loc_op[k] = add_sep(net, map_src[k], nm, 1, net->per_cell[k] * 4, 0, err, errsz)) < 0)
                goto fail;
            snprintf(nm, sizeof(nm), "head%u.cls", k);
            if ((net->cls_op[k] = add_sep(net, map_src[k], nm, 1, net->per_cell[k] * net->K, 0, err, errsz)) < 0)
                goto fail;
        } else { /* SSD: a 3x3 conv each */
            snprintf(nm, sizeof(nm), "head%u.loc", k);
            if ((net->loc_op[k] = add_op(net, OD_OP_CONV, map_src[k], 0, nm, 3, 1, net->per_cell[k] * 4, err, errsz)) < 0)
                goto fail;
            snprintf(nm, sizeof(nm), "head%u.cls", k);
            if ((net->cls_op[k] =
                     add_op(net, OD_OP_CONV, map_src[k], 0, nm, 3, 1, net->per_cell[k] * net->K, err, errsz)) < 0)
                goto fail;
        }
    }
    if (net->A != od_anchor_count(&net->spec)) {
        od_net_seterr(err, errsz, "object detection network: %zu outputs for %zu default boxes", net->A,
               od_anchor_count(&net->spec));
        goto fail;
    }
    /* the last reader of each layer writes its gradient, the others add */
    for (size_t i = net->n_ops; i-- > 0;) {
        int seen = 0, seen2 = 0;
        for (size_t j = i + 1; j < net->n_ops; j++) {
            seen |= net->op[j].in == net->op[i].in || net->op[j].in2 == net->op[i].in;
            seen2 |= net->op[j].in == net->op[i].in2 || net->op[j].in2 == net->op[i].in2;
        }
        net->op[i].first_grad = !seen;
        net->op[i].first_grad2 = net->op[i].kind == OD_OP_ADD && !seen2 && net->op[i].in2 != net->op[i].in;
    }
    if (nn_params_alloc(&net->params, train ? NN_PARAMS_GRADS | NN_PARAMS_OPTIM : 0, OPTIM_ADAM, err, errsz) != 0)
        goto fail;
    uint64_t rng = cfg->seed ? cfg->seed : 0x55d;
    for (size_t i = 0; i < net->n_ops; i++) {
        const struct od_net_op *o = &net->op[i];
        const struct nn_win *g = &o->g;
        if (o->kind == OD_OP_CONV || o->kind == OD_OP_DW) {
            struct nn_view v = nn_params_view(&net->params, o->hW);
            size_t fan_in = g->KH * g->KW * (o->kind == OD_OP_CONV ? g->C : 1);
            nn_init_he_normal(v.w, v.n, fan_in, &rng);
        } else if (o->kind == OD_OP_L2N || o->kind == OD_OP_BN) {
            struct nn_view v = nn_params_view(&net->params, o->hW);
            for (size_t c = 0; c < v.n; c++)
                v.w[c] = o->kind == OD_OP_L2N ? 20.0f : 1.0f; /* SSD's conv4_3_norm scale; BN's gamma */
            if (o->kind == OD_OP_BN) {
                struct nn_view mv = nn_params_view(&net->params, o->hv);
                for (size_t c = 0; c < mv.n; c++)
                    mv.w[c] = 1.0f;
            }
        }
    }
    /* buffers */
    size_t B = cfg->max_batch, in_max = (size_t)cfg->image_size * cfg->image_size * 3;
    /* im2col chunks of up to 4 images, fewer when one image's largest
     * workspace is big (VGG's conv1_2 at 300 px: 207 million floats an
     * image), so that a thread's workspace stays near 64 MB */
    size_t ws1 = 1;
    for (size_t i = 0; i < net->n_ops; i++)
        if (net->op[i].kind == OD_OP_CONV && nn_conv2d_workspace(&net->op[i].g, 1) > ws1)
            ws1 = nn_conv2d_workspace(&net->op[i].g, 1);
    size_t nb = ((size_t)16 << 20) / ws1;
    net->ws_nb = nb < 1 ? 1 : nb > 4 ? 4 : nb;
    if (net->ws_nb > B)
        net->ws_nb = B;
    size_t ws = 0;
    net->act = calloc(net->n_ops, sizeof(float *));
    net->dact = calloc(net->n_ops, sizeof(float *));
    net->aux = calloc(net->n_ops, sizeof(void *));
    if (!net->act || !net->dact || !net->aux)
        goto oom;
    for (size_t i = 0; i < net->n_ops; i++) {
        const struct od_net_op *o = &net->op[i];
        const struct nn_win *g = &o->g;
        if (g->H * g->W * g->C > in_max)
            in_max = g->H * g->W * g->C;
        if (o->kind == OD_OP_CONV && nn_conv2d_workspace(g, net->ws_nb) > ws)
            ws = nn_conv2d_workspace(g, net->ws_nb);
        if (!(net->act[i] = malloc(B * out_len(g) * sizeof(float))))
            goto oom;
        if (train && !(net->dact[i] = malloc(B * out_len(g) * sizeof(float))))
            goto oom;
        size_t aux = o->kind == OD_OP_POOL ? B * out_len(g) * sizeof(uint32_t)
                     : o->kind == OD_OP_L2N ? B * g->OH * g->OW * sizeof(float)
                     : o->kind == OD_OP_BN  ? B * 4 * g->C * sizeof(float) /* per share: mean, invstd, scratch */
                                            : 0;
        if (aux && !(net->aux[i] = malloc(aux)))
            goto oom;
    }
    net->in_max = in_max;
    net->ws_per = ws;
    if (train && !(net->dtmp = malloc(B * in_max * sizeof(float))))
        goto oom;
    if (od_net_set_threads(net, 1, err, errsz) != 0)
        goto fail;
    return 0;
oom:
    od_net_seterr(err, errsz, "object detection network: out of memory");
fail:
    od_net_free(net);
    return -1;
}

void od_net_set_training(struct od_net *net, int on) { net->bn_train = on != 0; }

void od_net_free(struct od_net *net)
{
    if (net->act)
        for (size_t i = 0; i < net->n_ops; i++)
            free(net->act[i]);
    if (net->dact)
        for (size_t i = 0; i < net->n_ops; i++)
            free(net->dact[i]);
    if (net->aux)
        for (size_t i = 0; i < net->n_ops; i++)
            free(net->aux[i]);
    parallel_team_free(net->team);
    free(net->act), free(net->dact), free(net->dtmp), free(net->ws), free(net->gshare), free(net->aux);
    nn_params_free(&net->params);
    memset(net, 0, sizeof(*net));
}

size_t od_net_anchors(const struct od_net *net, struct od_anchor *out)
{
    return od_anchors_make(&net->spec, out, NULL, 0);
}

/* The input of layer o for images from n0 (the image or a layer's output). */
static const float *op_input(const struct od_net *net, int in, size_t n0)
{
    size_t S = net->cfg.image_size;
    return in < 0 ? net->x + n0 * S * S * 3 : net->act[in] + n0 * out_len(&net->op[in].g);
}

/* Layers of images [n0, n1) of the batch, one thread: ws is this share's
 * im2col workspace; share0 says whether this share updates BN's moving
 * averages. */
static void forward_range(struct od_net *net, size_t n0, size_t n1, float *ws, int share0)
{
    size_t N = n1 - n0;
    for (size_t i = 0; i < net->n_ops; i++) {
        const struct od_net_op *o = &net->op[i];
        const struct nn_win *g = &o->g;
        const float *in = op_input(net, o->in, n0);
        float *y = net->act[i] + n0 * out_len(g);
        const float *W = o->hW >= 0 ? nn_params_view(&net->params, o->hW).w : NULL;
        const float *b = o->hb >= 0 ? nn_params_view(&net->params, o->hb).w : NULL;
        size_t M = N * g->OH * g->OW, m = M * g->F;
        switch (o->kind) {
        case OD_OP_CONV:
            if (o->dil > 1)
                nn_conv2d_dilated_forward(g, o->dil, in, N, W, b, o->relu, y, ws, net->ws_nb);
            else
                nn_conv2d_forward(g, in, N, W, b, o->relu, y, ws, net->ws_nb);
            continue;
        case OD_OP_DW:
            nn_depthwise_forward(g, in, N, W, b, o->relu, y);
            continue;
        case OD_OP_POOL:
            nn_maxpool_forward(g, in, N, y, (uint32_t *)net->aux[i] + n0 * out_len(g));
            break;
        case OD_OP_L2N:
            nn_l2norm_forward(in, M, g->C, W, y, (float *)net->aux[i] + n0 * g->OH * g->OW);
            break;
        case OD_OP_BN: {
            float *st = (float *)net->aux[i] + n0 * 4 * g->C;
            float *mm = nn_params_view(&net->params, o->hm).w, *mv = nn_params_view(&net->params, o->hv).w;
            if (net->bn_train)
                nn_batchnorm_forward_train(in, M, g->C, W, b, NN_BN_EPS, NN_BN_MOMENTUM, share0 ? mm : NULL,
                                           share0 ? mv : NULL, st, st + g->C, y);
            else
                nn_batchnorm_forward_infer(in, M, g->C, W, b, mm, mv, NN_BN_EPS, y);
            break;
        }
        case OD_OP_ADD: {
            const float *in2 = op_input(net, o->in2, n0);
            for (size_t j = 0; j < m; j++)
                y[j] = in[j] + in2[j];
            break;
        }
        }
        if (o->relu)
            for (size_t j = 0; j < m; j++)
                y[j] = y[j] > 0.0f ? y[j] : 0.0f;
    }
}

/* The backward of images [n0, n1): parameter gradients accumulated into
 * the gradient family laid out at gbase (the block's own, or a share's
 * copy), input gradient into dx (already offset, may be NULL). */
static void backward_range(struct od_net *net, size_t n0, size_t n1, const float *dloc, const float *dconf,
                           float *dx, float *gbase, float *ws, float *dtmp)
{
    size_t N = n1 - n0;
    for (size_t n = n0; n < n1; n++)
        for (unsigned k = 0; k < net->n_maps; k++) {
            size_t cells = (size_t)net->map_size[k] * net->map_size[k], P = net->per_cell[k];
            size_t nl = cells * P * 4, nc = cells * P * net->K;
            memcpy(net->dact[net->loc_op[k]] + n * nl, dloc + (n * net->A + net->map_off[k]) * 4, nl * sizeof(float));
            memcpy(net->dact[net->cls_op[k]] + n * nc, dconf + (n * net->A + net->map_off[k]) * net->K,
                   nc * sizeof(float));
        }
    for (size_t i = net->n_ops; i-- > 0;) {
        const struct od_net_op *o = &net->op[i];
        const struct nn_win *g = &o->g;
        float *dy = net->dact[i] + n0 * out_len(g);
        const float *y = net->act[i] + n0 * out_len(g);
        size_t m = N * out_len(g), per_in = g->H * g->W * g->C, M = N * g->OH * g->OW;
        if (o->relu)
            for (size_t j = 0; j < m; j++)
                dy[j] = y[j] > 0.0f ? dy[j] : 0.0f;
        const float *in = op_input(net, o->in, n0);
        /* the last reader of a layer (the first here) writes its gradient,
         * the others add theirs */
        float *dxo = o->in < 0 ? dx : o->first_grad ? net->dact[o->in] + n0 * per_in : dtmp;
        float *dW = NULL, *db = NULL;
        const float *W = NULL;
        if (o->hW >= 0) {
            struct nn_view v = nn_params_view(&net->params, o->hW);
            W = v.w;
            dW = v.g ? gbase + (v.g - net->params.grad) : NULL;
        }
        if (o->hb >= 0) {
            struct nn_view v = nn_params_view(&net->params, o->hb);
            db = v.g ? gbase + (v.g - net->params.grad) : NULL;
        }
        switch (o->kind) {
        case OD_OP_CONV:
            if (o->dil > 1)
                nn_conv2d_dilated_backward(g, o->dil, in, N, W, dy, dW, db, dxo, ws, net->ws_nb);
            else
                nn_conv2d_backward(g, in, N, W, dy, dW, db, dxo, ws, net->ws_nb);
            break;
        case OD_OP_DW:
            nn_depthwise_backward(g, in, N, W, dy, dW, db, dxo);
            break;
        case OD_OP_POOL:
            if (dxo)
                nn_maxpool_backward(g, (const uint32_t *)net->aux[i] + n0 * out_len(g), dy, N, dxo);
            break;
        case OD_OP_L2N:
            nn_l2norm_backward(in, dy, M, g->C, W, (const float *)net->aux[i] + n0 * g->OH * g->OW, dW, dxo);
            break;
        case OD_OP_BN: {
            float *st = (float *)net->aux[i] + n0 * 4 * g->C;
            if (dxo && dW && db)
                nn_batchnorm_backward_train(in, dy, M, g->C, W, st, st + g->C, dW, db, dxo, st + 2 * g->C);
            break;
        }
        case OD_OP_ADD: {
            if (dxo)
                memcpy(dxo, dy, m * sizeof(float));
            float *d2 = net->dact[o->in2] + n0 * per_in;
            if (o->first_grad2)
                memcpy(d2, dy, m * sizeof(float));
            else
                for (size_t j = 0; j < m; j++)
                    d2[j] += dy[j];
            break;
        }
        }
        if (o->in >= 0 && !o->first_grad) {
            float *d = net->dact[o->in] + n0 * per_in;
            for (size_t j = 0; j < N * per_in; j++)
                d[j] += dtmp[j];
        }
    }
}

struct share_ctx {
    struct od_net *net;
    size_t N;
    const float *dloc, *dconf;
    float *dx;
    int backward;
};

static void share_run(void *vctx, int t, int T)
{
    struct share_ctx *c = vctx;
    struct od_net *net = c->net;
    size_t n0 = c->N * (size_t)t / (size_t)T, n1 = c->N * (size_t)(t + 1) / (size_t)T;
    float *gbase = net->params.grad;
    if (c->backward && t > 0) {
        gbase = net->gshare + (size_t)(t - 1) * net->params.n_grad;
        memset(gbase, 0, net->params.n_grad * sizeof(float));
    }
    if (n0 == n1)
        return;
    float *ws = net->ws ? net->ws + (size_t)t * net->ws_per : NULL;
    if (!c->backward) {
        forward_range(net, n0, n1, ws, t == 0);
        return;
    }
    size_t S = net->cfg.image_size;
    backward_range(net, n0, n1, c->dloc, c->dconf, c->dx ? c->dx + n0 * S * S * 3 : NULL, gbase, ws,
                   net->dtmp + n0 * net->in_max);
}

/* Runs the shares: over the team when it has one and the batch has two
 * images or more (OpenBLAS on one thread each), else inline (OpenBLAS on
 * the team's threads). */
static void run_shares(struct od_net *net, struct share_ctx *c)
{
    int T = parallel_team_size(net->team);
    if (net->team && c->N >= 2) {
        blas_set_threads(1);
        parallel_team_for(net->team, share_run, c);
        if (c->backward)
            for (int t = 1; t < T; t++) {
                const float *g = net->gshare + (size_t)(t - 1) * net->params.n_grad;
                for (size_t j = 0; j < net->params.n_grad; j++)
                    net->params.grad[j] += g[j];
            }
    } else {
        if (net->team)
            blas_set_threads(T);
        share_run(c, 0, 1);
    }
}

void od_net_forward(struct od_net *net, const float *x, size_t N, float *loc, float *conf)
{
    net->x = x, net->N = N;
    struct share_ctx c = {net, N, NULL, NULL, NULL, 0};
    run_shares(net, &c);
    for (size_t n = 0; n < N; n++)
        for (unsigned k = 0; k < net->n_maps; k++) {
            size_t cells = (size_t)net->map_size[k] * net->map_size[k], P = net->per_cell[k];
            size_t nl = cells * P * 4, nc = cells * P * net->K;
            memcpy(loc + (n * net->A + net->map_off[k]) * 4, net->act[net->loc_op[k]] + n * nl, nl * sizeof(float));
            memcpy(conf + (n * net->A + net->map_off[k]) * net->K, net->act[net->cls_op[k]] + n * nc,
                   nc * sizeof(float));
        }
}

void od_net_backward(struct od_net *net, const float *dloc, const float *dconf, float *dx)
{
    struct share_ctx c = {net, net->N, dloc, dconf, dx, 1};
    run_shares(net, &c);
}

int od_net_set_threads(struct od_net *net, int n_threads, char *err, size_t errsz)
{
    parallel_team_free(net->team);
    net->team = NULL;
    free(net->ws), free(net->gshare);
    net->ws = NULL, net->gshare = NULL;
    int T = 1;
    if (n_threads > 1 && (net->team = parallel_team_new(n_threads)) != NULL)
        T = parallel_team_size(net->team);
    if (net->ws_per && !(net->ws = malloc((size_t)T * net->ws_per * sizeof(float))))
        goto oom;
    if (T > 1 && net->params.grad &&
        !(net->gshare = malloc((size_t)(T - 1) * net->params.n_grad * sizeof(float))))
        goto oom;
    return 0;
oom:
    parallel_team_free(net->team);
    net->team = NULL;
    free(net->gshare);
    net->gshare = NULL;
    od_net_seterr(err, errsz, "object detection network: out of memory");
    return -1;
}

double od_net_flops(const struct od_net *net)
{
    double f = 0;
    for (size_t i = 0; i < net->n_ops; i++) {
        const struct nn_win *g = &net->op[i].g;
        if (net->op[i].kind == OD_OP_CONV || net->op[i].kind == OD_OP_DW)
            f += (double)g->OH * g->OW * g->KH * g->KW * g->F * (net->op[i].kind == OD_OP_CONV ? g->C : 1);
    }
    return f;
}
