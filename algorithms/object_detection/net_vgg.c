/*
 * net_vgg.c: the `vgg-16` backbone of net.h, SSD300 as the SSD paper's
 * Caffe model and SageMaker's built-in build it: VGG-16's conv1_1 ..
 * conv5_3 (3x3, ReLU; 2x2 max pools, pool5 3x3 stride 1), fc6 as a 3x3
 * conv of dilation 6 (1024) and fc7 1x1 (1024), the extra layers conv8_1
 * .. conv11_2 (1x1 reduce then 3x3: stride 2 for conv8_2 and conv9_2,
 * unpadded for conv10_2 and conv11_2), conv4_3 L2-normalised with a
 * learned scale (conv4_3_norm, initialised to 20).  Feature maps:
 * conv4_3_norm, fc7, conv8_2, conv9_2, conv10_2, conv11_2 (38, 19, 10, 5,
 * 3, 1 at 300 px; the SSD boxes 4, 6, 6, 6, 4, 4 a cell: 8,732).  Pools
 * round up (Caffe's ceil mode: 75 -> 38).  A smaller input stops the
 * extra layers at a 1x1 map (64 px: 8, 4, 2, 1); conv10_2 and conv11_2
 * become stride-2 convs when their input is under 3 pixels.
 */
#include <stdio.h>

#include "net_build.h"

int od_net_build_vgg16(struct od_net *net, int *map_src, char *err, size_t errsz)
{
    static const unsigned convs[5] = {2, 2, 3, 3, 3}, chans[5] = {64, 128, 256, 512, 512};
    int cur = -1;
    char nm[24];
    for (unsigned s = 0; s < 5; s++) {
        for (unsigned c = 0; c < convs[s]; c++) {
            snprintf(nm, sizeof(nm), "conv%u_%u", s + 1, c + 1);
            if ((cur = od_net_add(net, OD_OP_CONV, cur, 1, nm, 3, 1, 1, NN_PAD_SAME, chans[s], 1, err, errsz)) < 0)
                return -1;
        }
        if (s == 3) { /* conv4_3: map 0 through the L2 normalisation */
            int n = od_net_add(net, OD_OP_L2N, cur, 0, "conv4_3_norm", 1, 1, 1, NN_PAD_VALID, 0, 0, err, errsz);
            if (n < 0)
                return -1;
            map_src[net->n_maps++] = n;
        }
        snprintf(nm, sizeof(nm), "pool%u", s + 1);
        size_t k = s == 4 ? 3 : 2, st = s == 4 ? 1 : 2;
        if ((cur = od_net_add(net, OD_OP_POOL, cur, 0, nm, k, st, 1, NN_PAD_SAME, 0, 0, err, errsz)) < 0)
            return -1;
    }
    if ((cur = od_net_add(net, OD_OP_CONV, cur, 1, "fc6", 3, 1, 6, NN_PAD_SAME, 1024, 1, err, errsz)) < 0 ||
        (cur = od_net_add(net, OD_OP_CONV, cur, 1, "fc7", 1, 1, 1, NN_PAD_SAME, 1024, 1, err, errsz)) < 0)
        return -1;
    map_src[net->n_maps++] = cur;
    static const unsigned ex_c[4] = {512, 256, 256, 256}, ex_r[4] = {256, 128, 128, 128};
    for (unsigned e = 0; e < 4 && net->n_maps < OD_NET_MAX_MAPS && net->op[cur].g.OH > 1; e++) {
        snprintf(nm, sizeof(nm), "conv%u_1", e + 8);
        if ((cur = od_net_add(net, OD_OP_CONV, cur, 1, nm, 1, 1, 1, NN_PAD_SAME, ex_r[e], 1, err, errsz)) < 0)
            return -1;
        int valid = e >= 2 && net->op[cur].g.OH >= 3;
        snprintf(nm, sizeof(nm), "conv%u_2", e + 8);
        if ((cur = od_net_add(net, OD_OP_CONV, cur, 1, nm, 3, valid ? 1 : 2, 1, valid ? NN_PAD_VALID : NN_PAD_SAME,
                              ex_c[e], 1, err, errsz)) < 0)
            return -1;
        map_src[net->n_maps++] = cur;
    }
    return 0;
}
