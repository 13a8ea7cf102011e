/*
 * hosts.h: sums over the hosts of a multi-host job, for any module (module
 * API 4.4 collectives).  Each is a collective: every host calls it at the
 * same point with the same n; on one host it returns OPTML_OK leaving the
 * values as they are.
 */
#ifndef OPTML_COMMON_HOSTS_H
#define OPTML_COMMON_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"

/* v[0..n) becomes its sum over every host. */
optml_status hosts_sum(optml_ctx *ctx, double *v, size_t n);

/* Counts v[0..n) become their sums over every host (exact below 2^53). */
optml_status hosts_sum_counts(optml_ctx *ctx, uint64_t *v, size_t n);

#endif
