/*
 * net_build.h: what the backbone builders (net.c's mobilenet-ssdlite,
 * net_vgg.c, net_resnet.c) share, internal to the network: appending a
 * layer to the net's list (net_build.c).  Not part of net.h's API.
 */
#ifndef OPTML_OD_NET_BUILD_H
#define OPTML_OD_NET_BUILD_H

#include "net.h"

/* A message into err (err may be NULL), printf-style. */
void od_net_seterr(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Appends a layer reading layer `in` (-1: the image): a k x k window at
 * `stride` (dilation `dil` for a conv), padding `pad`, F filters for a
 * conv (a depthwise conv, pool, L2 norm or BN keeps the channels); `bias`
 * 0 gives a conv no bias.  Returns its index, or -1 with a message. */
int od_net_add(struct od_net *net, enum od_op_kind kind, int in, int relu, const char *name, size_t k,
               size_t stride, size_t dil, enum nn_pad pad, size_t F, int bias, char *err, size_t errsz);

/* Appends relu(layer a + layer b) (same shapes); returns its index or -1. */
int od_net_add_sum(struct od_net *net, int a, int b, int relu, const char *name, char *err, size_t errsz);

/* The backbones: append their layers and set net->n_maps and map_src[k],
 * the layers the heads read.  0, or -1 with a message. */
int od_net_build_vgg16(struct od_net *net, int *map_src, char *err, size_t errsz);
int od_net_build_resnet50(struct od_net *net, int *map_src, char *err, size_t errsz);

#endif
