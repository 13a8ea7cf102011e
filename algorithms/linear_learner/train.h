/*
 * train.h: the state of one training job shared by train.c (epochs and
 * passes), finish.c (model selection, the final model, final metrics) and
 * holdout.c (which rows are held out).  In a multi-host job every host
 * runs the same loop on its own rows (data.c splits them), in step with the
 * others: see train.c.
 */
#ifndef OPTML_LL_TRAIN_H
#define OPTML_LL_TRAIN_H

#include "linear_learner/data.h"
#include "linear_learner/ll.h"
#include "linear_learner/state.h"

struct ll_trainer {
    optml_ctx *ctx;
    const struct ll_config *cfg; /* the runtime's (optml_config), resolved */
    size_t D;                    /* shared by the channels' parsers */
    struct ll_state st;
    int st_ready;
    struct ll_source *train, *val, *test;
    struct ll_rows batch;        /* the minibatch being filled */
    struct ll_rows scal;         /* first rows, until the scaler is fitted */
    struct ll_rows sel;          /* selection / calibration sample (raw labels) */
    struct ll_rows shuf;         /* shuffle buffer of the current pass */
    size_t *perm;                /* shuf_cap indices */
    uint64_t shuf_rng;
    int rows_ready;
    size_t scal_cap, sel_cap, shuf_cap; /* rows */
    int holdout;                 /* no validation channel: hold out train rows */
    uint64_t row_index;          /* rows read in the current train pass */
    uint64_t skipped;            /* held-out rows skipped in it (re-read) */
    int train_passes;            /* train passes begun by this process */
    int val_loaded;              /* the validation sample is in sel */
    double *ep_loss;             /* M: weighted train loss of the epoch */
    double ep_wsum;
    uint64_t ep_rows;
    float *P;                    /* scratch for evaluation batches (eval_rows x R) */
    size_t eval_rows;
    uint64_t *class_rows;        /* classifiers: train rows per class (first pass) */
    size_t n_classes;
    int classes_checked;
    /* Multi-host jobs (hosts.h): this host's rank and the number of hosts
     * (1: a single-host job, no collectives); whether sel holds every
     * host's sample yet (ll_finish gathers it). */
    int rank, world;
    int sel_gathered;
    int stop_agreed;             /* a step returned the stop of every host */
};

/* A log line of the job as a whole: printed by rank 0 only (every rank's
 * output reaches the leader's log, and the others would repeat it). */
#define LL_LOG0(t, ...)                                                                            \
    do {                                                                                           \
        if ((t)->rank == 0)                                                                        \
            optml_log((t)->ctx, __VA_ARGS__);                                                      \
    } while (0)

/* holdout.c.  The first pass, row by row (the caller counts row_index):
 * whether this row goes into the held-out sample (about 10 % of the rows,
 * while the sample has room). */
int ll_trainer_held_out(const struct ll_trainer *t);

/* A pass over train that re-reads the channel (not the cache), row by row
 * from row_index 0 and skipped 0: whether this row was held out in the
 * first pass (then it is not trained on nor counted as train). */
int ll_trainer_skip_held(struct ll_trainer *t);

/* Choose the best model on the selection sample, build it, write the model
 * files; with `final`, also report the final train / validation / test
 * metrics. */
optml_status ll_finish(struct ll_trainer *t, int final);

#endif
