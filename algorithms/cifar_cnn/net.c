/*
 * net.c: the cifar-cnn networks (net.h): the layer lists of keras-cifar10
 * (B.1) and sagemaker-cifar10 (B.3), their parameters on one block, the
 * forward passes (training and inference), the backward pass, and the byte
 * form of a network.  Shapes are NHWC; a layer's output is act[i + 1].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"
#include "common/parallel.h"
#include "nn/nn.h"

#define NET_MAGIC "CCNN"
#define NET_VERSION 1u

struct builder {
    struct cc_net *net;
    size_t H, W, C;       /* the current activation */
    int n_conv, n_bn, n_dense;
    char *err;
    size_t errsz;
    int failed;
};

static struct cc_layer *push(struct builder *b, int kind)
{
    if (b->failed)
        return NULL;
    if (b->net->n_layers >= CC_MAX_LAYERS) {
        snprintf(b->err, b->errsz, "too many layers");
        b->failed = 1;
        return NULL;
    }
    struct cc_layer *l = &b->net->L[b->net->n_layers++];
    memset(l, 0, sizeof(*l));
    l->kind = kind;
    l->in = b->H * b->W * b->C;
    l->hW = l->hb = l->hm = l->hv = -1;
    return l;
}

static int add(struct builder *b, const char *name, size_t ndim, const size_t *shape,
               const struct nn_param_opts *o)
{
    int h = nn_params_add(&b->net->p, name, ndim, shape, o, b->err, b->errsz);
    if (h < 0)
        b->failed = 1;
    return h;
}

static void conv(struct builder *b, size_t F, enum nn_pad pad, int relu)
{
    struct cc_layer *l = push(b, CC_L_CONV);
    if (!l)
        return;
    if (nn_win_init(&l->g, b->H, b->W, b->C, 3, 3, 1, 1, pad, F) != 0) {
        snprintf(b->err, b->errsz, "a %zux%zu input is too small for the %s network's convolution %d", b->H, b->W,
                 b->net->arch == CC_ARCH_KERAS ? "keras-cifar10" : "sagemaker-cifar10", b->n_conv + 1);
        b->failed = 1;
        return;
    }
    l->relu = relu;
    char name[64];
    b->n_conv++;
    snprintf(name, sizeof(name), "conv2d_%d.kernel", b->n_conv);
    l->hW = add(b, name, 4, (size_t[]){3, 3, b->C, F}, NULL);
    snprintf(name, sizeof(name), "conv2d_%d.bias", b->n_conv);
    l->hb = add(b, name, 1, (size_t[]){F}, NN_PARAM_BIAS);
    size_t np = 9 * b->C * F + F;
    if (np > b->net->max_conv_params)
        b->net->max_conv_params = np;
    b->H = l->g.OH, b->W = l->g.OW, b->C = F;
    l->out = b->H * b->W * b->C;
}

static void bn(struct builder *b, int relu)
{
    struct cc_layer *l = push(b, CC_L_BN);
    if (!l)
        return;
    l->relu = relu;
    l->C = b->C;
    l->out = l->in;
    char name[64];
    b->n_bn++;
    snprintf(name, sizeof(name), "batch_normalization_%d.gamma", b->n_bn);
    l->hW = add(b, name, 1, (size_t[]){b->C}, NN_PARAM_BIAS);
    snprintf(name, sizeof(name), "batch_normalization_%d.beta", b->n_bn);
    l->hb = add(b, name, 1, (size_t[]){b->C}, NN_PARAM_BIAS);
    snprintf(name, sizeof(name), "batch_normalization_%d.moving_mean", b->n_bn);
    l->hm = add(b, name, 1, (size_t[]){b->C}, NN_PARAM_FROZEN_OPTS);
    snprintf(name, sizeof(name), "batch_normalization_%d.moving_variance", b->n_bn);
    l->hv = add(b, name, 1, (size_t[]){b->C}, NN_PARAM_FROZEN_OPTS);
}

static void pool(struct builder *b)
{
    struct cc_layer *l = push(b, CC_L_POOL);
    if (!l)
        return;
    if (nn_win_init(&l->g, b->H, b->W, b->C, 2, 2, 2, 2, NN_PAD_VALID, b->C) != 0) {
        snprintf(b->err, b->errsz, "a %zux%zu activation is too small for 2x2 max pooling: the images are too small "
                 "for this architecture", b->H, b->W);
        b->failed = 1;
        return;
    }
    b->H = l->g.OH, b->W = l->g.OW;
    l->out = b->H * b->W * b->C;
}

static void drop(struct builder *b, float p)
{
    struct cc_layer *l = push(b, CC_L_DROP);
    if (!l)
        return;
    l->p = p;
    l->out = l->in;
}

static void dense(struct builder *b, size_t O, int relu)
{
    struct cc_layer *l = push(b, CC_L_DENSE);
    if (!l)
        return;
    l->relu = relu;
    l->out = O;
    char name[64];
    b->n_dense++;
    snprintf(name, sizeof(name), "dense_%d.kernel", b->n_dense);
    l->hW = add(b, name, 2, (size_t[]){l->in, O}, NULL);
    snprintf(name, sizeof(name), "dense_%d.bias", b->n_dense);
    l->hb = add(b, name, 1, (size_t[]){O}, NN_PARAM_BIAS);
    if (l->in * O + O > b->net->max_dense_params)
        b->net->max_dense_params = l->in * O + O;
    b->H = 1, b->W = 1, b->C = O;
}

int cc_net_build(struct cc_net *net, int arch, const struct cc_shape *in, size_t classes, unsigned what,
                 enum optim_kind kind, char *err, size_t errsz)
{
    memset(net, 0, sizeof(*net));
    nn_params_init(&net->p);
    net->arch = arch;
    net->in = *in;
    net->classes = classes;
    struct builder b = {net, in->h, in->w, in->c, 0, 0, 0, err, errsz, 0};
    if (arch == CC_ARCH_KERAS) {
        conv(&b, 32, NN_PAD_SAME, 1);
        conv(&b, 32, NN_PAD_VALID, 1);
        pool(&b);
        drop(&b, 0.25f);
        conv(&b, 64, NN_PAD_SAME, 1);
        conv(&b, 64, NN_PAD_VALID, 1);
        pool(&b);
        drop(&b, 0.25f);
    } else {
        static const size_t F[3] = {32, 64, 128};
        static const float P[3] = {0.2f, 0.3f, 0.4f};
        for (int k = 0; k < 3; k++) {
            conv(&b, F[k], NN_PAD_SAME, 0);
            bn(&b, 1);
            conv(&b, F[k], NN_PAD_VALID, 0);
            bn(&b, 1);
            pool(&b);
            drop(&b, P[k]);
        }
    }
    dense(&b, 512, 1);
    drop(&b, 0.5f);
    dense(&b, classes, 0);
    if (!b.failed && nn_params_alloc(&net->p, what, kind, err, errsz) != 0)
        b.failed = 1;
    if (b.failed) {
        nn_params_free(&net->p);
        return -1;
    }
    net->max_act = in->h * in->w * in->c;
    for (size_t i = 0; i < net->n_layers; i++)
        if (net->L[i].out > net->max_act)
            net->max_act = net->L[i].out;
    return 0;
}

void cc_net_init(struct cc_net *net, uint64_t *rng)
{
    for (size_t i = 0; i < net->n_layers; i++) {
        const struct cc_layer *l = &net->L[i];
        if (l->kind == CC_L_CONV) {
            struct nn_view v = nn_params_view(&net->p, l->hW);
            size_t fan_in = 9 * l->g.C, fan_out = 9 * l->g.F;
            float a = sqrtf(6.0f / (float)(fan_in + fan_out));
            nn_init_uniform(v.w, v.n, -a, a, rng);
        } else if (l->kind == CC_L_DENSE) {
            nn_init_glorot_uniform(nn_params_view(&net->p, l->hW).w, l->in, l->out, rng);
        } else if (l->kind == CC_L_BN) {
            struct nn_view g = nn_params_view(&net->p, l->hW), v = nn_params_view(&net->p, l->hv);
            for (size_t c = 0; c < l->C; c++)
                g.w[c] = 1.0f, v.w[c] = 1.0f;
        }
    }
}

void cc_net_free(struct cc_net *net)
{
    nn_params_free(&net->p);
}

size_t cc_net_count_all(const struct cc_net *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->p.n_tensors; i++)
        n += net->p.t[i].n;
    return n;
}

size_t cc_net_count_trained(const struct cc_net *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->p.n_tensors; i++)
        if (!(net->p.t[i].opts.flags & NN_PARAM_FROZEN))
            n += net->p.t[i].n;
    return n;
}

/* ------------------------------------------------------------------ work */

#define CHUNK 2 /* images per sgemm in a share (docs/nn.md) */

void cc_work_free(struct cc_work *w)
{
    for (size_t i = 0; i < CC_MAX_LAYERS; i++) {
        free(w->act[i + 1]);
        free(w->arg[i]);
        free(w->mask[i]);
        free(w->bn_mean[i]);
        free(w->bn_inv[i]);
    }
    free(w->d[0]);
    free(w->d[1]);
    free(w->ws);
    free(w->dWs);
    free(w->tmp);
    for (size_t i = 0; i < CC_MAX_LAYERS; i++)
        nn_conv_dnnl_free(w->eng[i]);
    memset(w, 0, sizeof(*w));
}

int cc_work_init(struct cc_work *w, const struct cc_net *net, size_t cap, int train, struct parallel_team *team)
{
    memset(w, 0, sizeof(*w));
    w->cap = cap;
    w->team = team;
    w->threads = parallel_team_size(team);
    w->nb = CHUNK;
    int ok = 1;
    const char *engine = getenv("OPTML_CONV_ENGINE");
    const int dnnl = train && nn_conv_dnnl_available() && !(engine && strcmp(engine, "im2col") == 0);
    for (size_t i = 0; i < net->n_layers; i++) {
        const struct cc_layer *l = &net->L[i];
        ok &= (w->act[i + 1] = malloc(cap * l->out * sizeof(float))) != NULL;
        if (l->kind == CC_L_CONV && dnnl)
            w->eng[i] = nn_conv_dnnl_new(&l->g, l->relu, 1); /* NULL (no CPU engine): im2col */
        if (l->kind == CC_L_CONV) {
            size_t s = nn_conv2d_workspace(&l->g, CHUNK);
            if (s > w->ws_per)
                w->ws_per = s;
        } else if (l->kind == CC_L_POOL) {
            ok &= (w->arg[i] = malloc(cap * l->out * sizeof(uint32_t))) != NULL;
        } else if (l->kind == CC_L_DROP && train) {
            ok &= (w->mask[i] = malloc(cap * l->out)) != NULL;
        } else if (l->kind == CC_L_BN && train) {
            ok &= (w->bn_mean[i] = malloc(l->C * sizeof(float))) != NULL;
            ok &= (w->bn_inv[i] = malloc(l->C * sizeof(float))) != NULL;
        }
    }
    w->ws_per = (w->ws_per + 15) & ~(size_t)15;
    ok &= (w->ws = malloc((w->ws_per ? w->ws_per : 1) * (size_t)w->threads * sizeof(float))) != NULL;
    if (train) {
        size_t big = net->max_conv_params > net->max_dense_params ? net->max_conv_params : net->max_dense_params;
        ok &= (w->d[0] = malloc(cap * net->max_act * sizeof(float))) != NULL;
        ok &= (w->d[1] = malloc(cap * net->max_act * sizeof(float))) != NULL;
        ok &= (w->tmp = malloc(2 * net->max_act * sizeof(float))) != NULL;
        if (w->threads > 1)
            ok &= (w->dWs = malloc((size_t)(w->threads - 1) * big * sizeof(float))) != NULL;
    }
    return ok ? 0 : -1;
}

/* ------------------------------------------------- element-wise on the team */

/* ReLU backward and max pooling split over the team by images (profiled:
 * on one thread they took a sixth of a keras-cifar10 step at batch 128,
 * while the other cores waited).  Bit for bit the same on any team size. */
/* dy = 0 where y = 0 (nn_act_backward's ReLU in place), without a branch:
 * half the values of a ReLU are zero in no order, which a branch predicts
 * badly (it took a tenth of a step). */
static void relu_mask(const float *restrict y, float *restrict dy, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &dy[i], sizeof(b));
        b &= 0u - (uint32_t)(y[i] > 0.0f);
        memcpy(&dy[i], &b, sizeof(b));
    }
}

struct ew_job {
    int op;                   /* 0 ReLU backward (in place on dy), 1 pool forward, 2 pool backward */
    const struct cc_layer *l;
    const float *x, *y;
    float *out;
    uint32_t *arg;
    size_t n;
};

static void ew_share(void *ctx, int t, int T)
{
    const struct ew_job *j = ctx;
    size_t lo = j->n * (size_t)t / (size_t)T, hi = j->n * (size_t)(t + 1) / (size_t)T, in = j->l->in,
           out = j->l->out;
    if (hi <= lo)
        return;
    if (j->op == 0)
        relu_mask(j->y + lo * out, j->out + lo * out, (hi - lo) * out);
    else if (j->op == 1)
        nn_maxpool_forward(&j->l->g, j->x + lo * in, hi - lo, j->out + lo * out, j->arg + lo * out);
    else
        nn_maxpool_backward(&j->l->g, j->arg + lo * out, j->y + lo * out, hi - lo, j->out + lo * in);
}

static void relu_backward(struct cc_work *w, const struct cc_layer *l, const float *y, float *dy, size_t n)
{
    struct ew_job j = {0, l, NULL, y, dy, NULL, n};
    parallel_team_for(w->team, ew_share, &j);
}

/* --------------------------------------------------------------- forward */

float *cc_net_forward(struct cc_net *net, struct cc_work *w, const float *x, size_t n, int train, uint64_t *rng)
{
    w->act[0] = (float *)x;
    for (size_t i = 0; i < net->n_layers; i++) {
        const struct cc_layer *l = &net->L[i];
        const float *in = w->act[i];
        float *out = w->act[i + 1];
        struct nn_view W = nn_params_view(&net->p, l->hW), B = nn_params_view(&net->p, l->hb);
        switch (l->kind) {
        case CC_L_CONV:
            if (w->eng[i] && nn_conv_dnnl_forward(w->eng[i], w->team, in, n, W.w, B.w, out) != 0) {
                nn_conv_dnnl_free(w->eng[i]); /* refused: im2col from now on */
                w->eng[i] = NULL;
            }
            if (!w->eng[i])
                nn_conv2d_forward_team(w->team, &l->g, in, n, W.w, B.w, l->relu, out, w->ws, w->ws_per, w->nb);
            break;
        case CC_L_BN: {
            struct nn_view M = nn_params_view(&net->p, l->hm), V = nn_params_view(&net->p, l->hv);
            size_t rows = n * (l->in / l->C);
            if (train)
                nn_batchnorm_forward_train(in, rows, l->C, W.w, B.w, NN_BN_EPS, NN_BN_MOMENTUM, M.w, V.w,
                                           w->bn_mean[i], w->bn_inv[i], out);
            else
                nn_batchnorm_forward_infer(in, rows, l->C, W.w, B.w, M.w, V.w, NN_BN_EPS, out);
            if (l->relu)
                nn_act_forward(NN_ACT_RELU, out, out, n * l->out);
            break;
        }
        case CC_L_POOL: {
            struct ew_job j = {1, l, in, NULL, out, w->arg[i], n};
            parallel_team_for(w->team, ew_share, &j);
            break;
        }
        case CC_L_DROP:
            if (train)
                nn_dropout_forward(in, out, w->mask[i], n * l->out, l->p, rng);
            else
                memcpy(out, in, n * l->out * sizeof(float));
            break;
        case CC_L_DENSE:
            nn_dense_forward_team(w->team, in, W.w, B.w, n, l->in, l->out, out);
            if (l->relu)
                nn_act_forward(NN_ACT_RELU, out, out, n * l->out);
            break;
        }
    }
    return w->act[net->n_layers];
}

/* -------------------------------------------------------------- backward */

void cc_net_backward(struct cc_net *net, struct cc_work *w, float *dlogits, size_t n)
{
    float *dy = dlogits;
    int next = 0;
    for (size_t k = net->n_layers; k-- > 0;) {
        const struct cc_layer *l = &net->L[k];
        const float *x = w->act[k], *y = w->act[k + 1];
        float *dx = k > 0 ? w->d[next] : NULL;
        struct nn_view W = nn_params_view(&net->p, l->hW), B = nn_params_view(&net->p, l->hb);
        switch (l->kind) {
        case CC_L_CONV:
            if (l->relu)
                relu_backward(w, l, y, dy, n);
            if (w->eng[k] && nn_conv_dnnl_backward(w->eng[k], w->team, x, n, W.w, dy, W.g, B.g, dx) != 0) {
                nn_conv_dnnl_free(w->eng[k]);
                w->eng[k] = NULL;
            }
            if (!w->eng[k])
                nn_conv2d_backward_team(w->team, &l->g, x, n, W.w, dy, W.g, B.g, dx, w->ws, w->ws_per, w->nb,
                                        w->dWs);
            break;
        case CC_L_BN:
            if (l->relu)
                relu_backward(w, l, y, dy, n);
            nn_batchnorm_backward_train(x, dy, n * (l->in / l->C), l->C, W.w, w->bn_mean[k], w->bn_inv[k], W.g, B.g,
                                        dx ? dx : w->d[next], w->tmp);
            break;
        case CC_L_POOL:
            if (dx) {
                struct ew_job j = {2, l, NULL, dy, dx, w->arg[k], n};
                parallel_team_for(w->team, ew_share, &j);
            }
            break;
        case CC_L_DROP:
            if (dx)
                nn_dropout_backward(dy, w->mask[k], dx, n * l->out, l->p);
            break;
        case CC_L_DENSE:
            if (l->relu)
                relu_backward(w, l, y, dy, n);
            nn_dense_backward_team(w->team, x, W.w, dy, n, l->in, l->out, W.g, B.g, dx, w->dWs);
            break;
        }
        if (!dx)
            break;
        dy = dx;
        next ^= 1;
    }
}

/* ------------------------------------------------------------- byte form */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define HEADER 28

int cc_net_save(const struct cc_net *net, unsigned flags, struct nn_buf *out, char *err, size_t errsz)
{
    unsigned char h[HEADER];
    memcpy(h, NET_MAGIC, 4);
    put32(h + 4, NET_VERSION);
    put32(h + 8, (uint32_t)net->arch);
    put32(h + 12, net->in.h);
    put32(h + 16, net->in.w);
    put32(h + 20, net->in.c);
    put32(h + 24, (uint32_t)net->classes);
    if (out->cap - out->len < HEADER) {
        size_t cap = out->len + HEADER + 4096;
        unsigned char *d = realloc(out->data, cap);
        if (!d) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
        out->data = d, out->cap = cap;
    }
    memcpy(out->data + out->len, h, HEADER);
    out->len += HEADER;
    return nn_params_save(&net->p, flags, out, err, errsz) == 0 ? 0 : -1;
}

int cc_net_peek(const void *data, size_t len, int *arch, struct cc_shape *in, size_t *classes, size_t *header,
                char *err, size_t errsz)
{
    const unsigned char *p = data;
    if (len < HEADER || memcmp(p, NET_MAGIC, 4) != 0) {
        snprintf(err, errsz, "not a cifar-cnn network (no %s header)", NET_MAGIC);
        return -1;
    }
    if (get32(p + 4) != NET_VERSION) {
        snprintf(err, errsz, "cifar-cnn network version %u, this build reads %u", get32(p + 4), NET_VERSION);
        return -1;
    }
    uint32_t a = get32(p + 8), h = get32(p + 12), w = get32(p + 16), c = get32(p + 20), k = get32(p + 24);
    if (a > CC_ARCH_SAGEMAKER || h < 1 || h > CC_MAX_SIDE || w < 1 || w > CC_MAX_SIDE || c < 1 ||
        c > CC_MAX_CHANNELS || k < 2 || k > CC_MAX_CLASSES) {
        snprintf(err, errsz, "cifar-cnn network header out of range");
        return -1;
    }
    *arch = (int)a;
    in->h = h, in->w = w, in->c = c;
    *classes = k;
    *header = HEADER;
    return 0;
}
