/* net_resnet.c: the `resnet-50` backbone of net.h (not yet). */
#include <stdio.h>

#include "net_build.h"

int od_net_build_resnet50(struct od_net *net, int *map_src, char *err, size_t errsz)
{
    (void)net, (void)map_src;
    snprintf(err, errsz, "object detection network: resnet-50 is not available yet");
    return -1;
}
