/*
 * hosts.h: the linear learner's sums and gathers across the hosts of a
 * multi-host job (see hosts.c).  Each is a collective: every host calls it
 * at the same point; on one host each returns OPTML_OK leaving its
 * arguments as they are.
 */
#ifndef OPTML_LL_HOSTS_H
#define OPTML_LL_HOSTS_H

#include "common/hosts.h" /* hosts_sum */
#include "linear_learner/eval.h"
#include "linear_learner/ll.h"

/* `rows` becomes every host's rows, host 0's first, up to `cap` rows (the
 * selection sample: each host keeps its own, then all choose on all). */
optml_status ll_hosts_gather_rows(optml_ctx *ctx, struct ll_rows *rows, size_t cap);

/* A split's metrics over every host's rows: the sums added up, a binary
 * split's scores and labels gathered (for the AUC and the confusion). */
optml_status ll_hosts_merge_eval(optml_ctx *ctx, struct ll_eval *e);

#endif
