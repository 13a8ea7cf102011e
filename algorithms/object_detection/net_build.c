/*
 * net_build.c: appending a layer to the network's list (net_build.h): its
 * window geometry from the layer it reads, and its parameter tensors in
 * the net's block, for every backbone's builder.
 */
#include "net_build.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void od_net_seterr(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

static int too_many(struct od_net *net, char *err, size_t errsz)
{
    if (net->n_ops < OD_NET_MAX_OPS)
        return 0;
    od_net_seterr(err, errsz, "object detection network: too many layers");
    return 1;
}

int od_net_add(struct od_net *net, enum od_op_kind kind, int in, int relu, const char *name, size_t k,
               size_t stride, size_t dil, enum nn_pad pad, size_t F, int bias, char *err, size_t errsz)
{
    if (too_many(net, err, errsz))
        return -1;
    size_t H, W, C;
    if (in < 0)
        H = W = net->cfg.image_size, C = 3;
    else
        H = net->op[in].g.OH, W = net->op[in].g.OW, C = net->op[in].g.F;
    struct od_net_op *o = &net->op[net->n_ops];
    memset(o, 0, sizeof(*o));
    o->kind = kind, o->in = in, o->relu = relu, o->in2 = -2, o->dil = dil > 1 ? dil : 1;
    o->hW = o->hb = o->hm = o->hv = -1;
    size_t nl = strnlen(name, sizeof(o->name) - 1);
    memcpy(o->name, name, nl); /* names are short; cut to fit */
    if (kind != OD_OP_CONV)
        F = C;
    if (kind == OD_OP_L2N || kind == OD_OP_BN)
        k = stride = 1, pad = NN_PAD_VALID;
    int rc = o->dil > 1 ? nn_win_init_dilated(&o->g, H, W, C, k, stride, o->dil, pad, F)
                        : nn_win_init(&o->g, H, W, C, k, k, stride, stride, pad, F);
    if (rc != 0) {
        od_net_seterr(err, errsz, "object detection network: layer %s has no output", name);
        return -1;
    }
    char tn[NN_PARAM_NAME_MAX + 1];
    switch (kind) {
    case OD_OP_CONV:
    case OD_OP_DW:
        snprintf(tn, sizeof(tn), "%s.kernel", name);
        if (kind == OD_OP_CONV)
            o->hW = nn_params_add(&net->params, tn, 4, (size_t[]){k, k, C, F}, NULL, err, errsz);
        else
            o->hW = nn_params_add(&net->params, tn, 3, (size_t[]){k, k, C}, NULL, err, errsz);
        if (o->hW < 0)
            return -1;
        if (bias || kind == OD_OP_DW) {
            snprintf(tn, sizeof(tn), "%s.bias", name);
            if ((o->hb = nn_params_add(&net->params, tn, 1, (size_t[]){F}, NN_PARAM_BIAS, err, errsz)) < 0)
                return -1;
        }
        break;
    case OD_OP_L2N:
        snprintf(tn, sizeof(tn), "%s.scale", name);
        if ((o->hW = nn_params_add(&net->params, tn, 1, (size_t[]){C}, NN_PARAM_BIAS, err, errsz)) < 0)
            return -1;
        break;
    case OD_OP_BN:
        snprintf(tn, sizeof(tn), "%s.gamma", name);
        o->hW = nn_params_add(&net->params, tn, 1, (size_t[]){C}, NN_PARAM_BIAS, err, errsz);
        snprintf(tn, sizeof(tn), "%s.beta", name);
        o->hb = nn_params_add(&net->params, tn, 1, (size_t[]){C}, NN_PARAM_BIAS, err, errsz);
        snprintf(tn, sizeof(tn), "%s.moving_mean", name);
        o->hm = nn_params_add(&net->params, tn, 1, (size_t[]){C}, NN_PARAM_FROZEN_OPTS, err, errsz);
        snprintf(tn, sizeof(tn), "%s.moving_var", name);
        o->hv = nn_params_add(&net->params, tn, 1, (size_t[]){C}, NN_PARAM_FROZEN_OPTS, err, errsz);
        if (o->hW < 0 || o->hb < 0 || o->hm < 0 || o->hv < 0)
            return -1;
        break;
    default:
        break;
    }
    return (int)net->n_ops++;
}

int od_net_add_sum(struct od_net *net, int a, int b, int relu, const char *name, char *err, size_t errsz)
{
    if (too_many(net, err, errsz))
        return -1;
    const struct nn_win *ga = &net->op[a].g, *gb = &net->op[b].g;
    if (ga->OH != gb->OH || ga->OW != gb->OW || ga->F != gb->F) {
        od_net_seterr(err, errsz, "object detection network: layer %s adds different shapes", name);
        return -1;
    }
    struct od_net_op *o = &net->op[net->n_ops];
    memset(o, 0, sizeof(*o));
    o->kind = OD_OP_ADD, o->in = a, o->in2 = b, o->relu = relu, o->dil = 1;
    o->hW = o->hb = o->hm = o->hv = -1;
    size_t nl = strnlen(name, sizeof(o->name) - 1);
    memcpy(o->name, name, nl);
    nn_win_init(&o->g, ga->OH, ga->OW, ga->F, 1, 1, 1, 1, NN_PAD_VALID, ga->F);
    return (int)net->n_ops++;
}
