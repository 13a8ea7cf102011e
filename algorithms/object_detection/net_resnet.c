/*
 * net_resnet.c: the `resnet-50` backbone of net.h, the SSD of GluonCV's
 * ssd_512_resnet50_v1 (the MXNet model SageMaker's resnet-50 network is):
 * ResNet-50 v1 (7x7 stride-2 stem conv1 + bn_conv1 + 3x3 stride-2 pool1;
 * stages res2 .. res5 of 3, 4, 6, 3 bottleneck blocks, 256 .. 2048
 * channels, each block 1x1 (the stage's stride on it, as v1) -> 3x3 -> 1x1
 * with batch norm after every conv, a 1x1 projection `down` on the first
 * block of a stage, the sum then ReLU); feature maps from the end of res4
 * (1/16, 1024 channels) and of res5 (1/32, 2048), then four extra layers
 * (1x1 reduce to n/2 and 3x3 stride 2 to n, n = 512, 512, 256, 256, each
 * with batch norm and ReLU) halving the map until it is 1x1.  300 px: 19,
 * 10, 5, 3, 2, 1 (the SSD boxes 4, 6, 6, 6, 4, 4 a cell: 2,268); 512 px:
 * 32, 16, 8, 4, 2, 1.  Convolutions before a batch norm have no bias.
 * Layer names: conv1, bn_conv1, pool1; res<s><b>.conv1/.bn1/.conv2/.bn2/
 * .conv3/.bn3 (s = 2 .. 5, b = a, b, c ...), res<s>a.down, res<s>a.down_bn,
 * the sum res<s><b>; extra<k>.reduce, .reduce_bn, .conv, .conv_bn.
 */
#include <stdio.h>

#include "net_build.h"

static int conv_bn(struct od_net *net, int in, const char *conv, const char *bn, size_t k, size_t stride, size_t F,
                   int relu, char *err, size_t errsz)
{
    int c = od_net_add(net, OD_OP_CONV, in, 0, conv, k, stride, 1, NN_PAD_SAME, F, 0, err, errsz);
    return c < 0 ? -1 : od_net_add(net, OD_OP_BN, c, relu, bn, 1, 1, 1, NN_PAD_VALID, 0, 0, err, errsz);
}

/* A v1 bottleneck block named `nm` of F output channels. */
static int bottleneck(struct od_net *net, int in, const char *nm, size_t F, size_t stride, int project, char *err,
                      size_t errsz)
{
    char a[32], b[32];
    int x = in, sc = in;
    static const size_t ks[3] = {1, 3, 1};
    for (int i = 0; i < 3; i++) {
        snprintf(a, sizeof(a), "%s.conv%d", nm, i + 1);
        snprintf(b, sizeof(b), "%s.bn%d", nm, i + 1);
        if ((x = conv_bn(net, x, a, b, ks[i], i == 0 ? stride : 1, i == 2 ? F : F / 4, i < 2, err, errsz)) < 0)
            return -1;
    }
    if (project) {
        snprintf(a, sizeof(a), "%s.down", nm);
        snprintf(b, sizeof(b), "%s.down_bn", nm);
        if ((sc = conv_bn(net, in, a, b, 1, stride, F, 0, err, errsz)) < 0)
            return -1;
    }
    return od_net_add_sum(net, x, sc, 1, nm, err, errsz);
}

int od_net_build_resnet50(struct od_net *net, int *map_src, char *err, size_t errsz)
{
    int cur = conv_bn(net, -1, "conv1", "bn_conv1", 7, 2, 64, 1, err, errsz);
    if (cur < 0 || (cur = od_net_add(net, OD_OP_POOL, cur, 0, "pool1", 3, 2, 1, NN_PAD_SAME, 0, 0, err, errsz)) < 0)
        return -1;
    static const unsigned blocks[4] = {3, 4, 6, 3}, chans[4] = {256, 512, 1024, 2048}, stride[4] = {1, 2, 2, 2};
    for (unsigned s = 0; s < 4; s++) {
        for (unsigned b = 0; b < blocks[s]; b++) {
            char nm[16];
            snprintf(nm, sizeof(nm), "res%u%c", s + 2, 'a' + b);
            if ((cur = bottleneck(net, cur, nm, chans[s], b == 0 ? stride[s] : 1, b == 0, err, errsz)) < 0)
                return -1;
        }
        if (s >= 2)
            map_src[net->n_maps++] = cur;
    }
    static const unsigned ex_c[4] = {512, 512, 256, 256};
    for (unsigned e = 0; e < 4 && net->n_maps < OD_NET_MAX_MAPS && net->op[cur].g.OH > 1; e++) {
        char a[24], b[24];
        snprintf(a, sizeof(a), "extra%u.reduce", e + 1);
        snprintf(b, sizeof(b), "extra%u.reduce_bn", e + 1);
        if ((cur = conv_bn(net, cur, a, b, 1, 1, ex_c[e] / 2, 1, err, errsz)) < 0)
            return -1;
        snprintf(a, sizeof(a), "extra%u.conv", e + 1);
        snprintf(b, sizeof(b), "extra%u.conv_bn", e + 1);
        if ((cur = conv_bn(net, cur, a, b, 3, 2, ex_c[e], 1, err, errsz)) < 0)
            return -1;
        map_src[net->n_maps++] = cur;
    }
    return 0;
}
