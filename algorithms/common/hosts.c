/*
 * hosts.c: sums over the hosts of a multi-host job (see hosts.h).
 */
#include <stdlib.h>

#include "common/hosts.h"

optml_status hosts_sum(optml_ctx *ctx, double *v, size_t n)
{
    if (optml_dist_size(ctx) < 2 || n == 0)
        return OPTML_OK;
    return optml_dist_allreduce(ctx, v, n, OPTML_DIST_DOUBLE, OPTML_DIST_SUM);
}

optml_status hosts_sum_counts(optml_ctx *ctx, uint64_t *v, size_t n)
{
    if (optml_dist_size(ctx) < 2 || n == 0)
        return OPTML_OK;
    double *d = malloc(n * sizeof(*d));
    if (!d)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory adding up counts over the hosts");
    for (size_t i = 0; i < n; i++)
        d[i] = (double)v[i];
    optml_status s = hosts_sum(ctx, d, n);
    for (size_t i = 0; s == OPTML_OK && i < n; i++)
        v[i] = (uint64_t)d[i];
    free(d);
    return s;
}
