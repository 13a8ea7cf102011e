/*
 * ctx.h: the runtime's private view of a context (struct optml_ctx): one
 * training job, or one prediction request while serving.  Each part of the
 * runtime owns the state it keeps here (paths: core/paths.h, hyperparameters:
 * config/hparams.h, channels: data/channel.h, the job: train/job.h); this
 * header names them only as pointers, so nothing below train/ depends on it.
 * Modules never see it (they get the opaque types of algorithm.h).
 */
#ifndef OPTML_CTX_H
#define OPTML_CTX_H

#include <stdint.h>

#include "optml/algorithm.h"

struct rt_job;
struct rt_paths;
struct rt_hparams;

struct optml_ctx {
    struct rt_job *job;        /* the training job (train/job.h); NULL
                                  outside training */
    const struct rt_paths *paths;     /* training: the job's directories */
    const struct rt_hparams *hp;      /* training: validated hyperparameters */
    struct optml_channel *channels;   /* training: one per configured channel */
    size_t n_channels;
    uint64_t hp_hash;                 /* hash of OPTML_HP_SHAPES_MODEL values */
    int keep_checkpoints;             /* newest N kept (0: the default, 3) */
    /* Training on several hosts (set by train/ once this rank joined):
     * this host's rank, and a collective that replaces `bytes` bytes at
     * buf by rank 0's.  Rank 0 alone writes model/ and checkpoints, and
     * a checkpoint loaded on resume is rank 0's, shared with this hook.
     * One host: rank 0 and no hook. */
    int rank;
    optml_status (*share_from_leader)(struct optml_ctx *ctx, void *buf, size_t bytes);
    const struct optml_algorithm *alg; /* the module (training and serving) */
    int cancelled;             /* serving: set (atomically) when the request's
                                  deadline passed; optml_should_stop reads it */
    optml_status errcode;      /* of the first optml_error() */
    char errmsg[2048];
};

/* Initialise a context with no job (tests, serving requests). */
void rt_ctx_init(struct optml_ctx *ctx);
/* Forget the recorded error. */
void rt_ctx_clear_error(struct optml_ctx *ctx);

#endif
