/*
 * state.h: the training state of the M parallel models (weights, optimizer
 * state, per-model best snapshots, scaler, early-stopping counters), one
 * minibatch update, and the checkpoint payload (see state.c, step.c).
 */
#ifndef OPTML_LL_STATE_H
#define OPTML_LL_STATE_H

#include "linear_learner/ll.h"

struct parallel_team;

struct ll_state {
    size_t M, K, D, R;          /* R = M * K output rows */
    float *W, *b;               /* R x D, R: standardised feature space */
    float *bestW, *bestb;       /* each model at its best validation objective */
    double *best_loss;          /* M: that objective (INFINITY: none yet) */
    int *best_epoch;            /* M */
    struct optim_state ow, ob;  /* optimizer state of W and b (models are views) */
    struct optim_cfg *oc;       /* M: per-model optimizer settings */
    long step;                  /* updates done (learning-rate schedule) */
    int epoch;                  /* epochs completed */
    int have_scaler;
    struct ll_scaler sc;
    float class_w[2];           /* binary: weight of label 0 / 1 */
    float *mc_w;                /* multiclass: K class weights */
    double best_obj;            /* early stopping: best objective so far */
    int bad_epochs;
    /* scratch for one update (not checkpointed) */
    float *Weff, *beff, *P, *dP, *G, *gb; /* gb: the R floats after G's R x D */
    double *loss;               /* M */
    size_t scratch_rows;
    struct parallel_team *team; /* runs the second group of models (NULL: one thread) */
};

/* Allocate the state for M models of K outputs over D features, with
 * per-model optimizer settings from cfg (model 0: the given values; the
 * others varied around them).  Weights are initialised from cfg's init
 * method with `seed`.  0 or -1 (OOM). */
int ll_state_init(struct ll_state *st, const struct ll_config *cfg, size_t D);
void ll_state_free(struct ll_state *st);

/* Learning rate, wd and l1 of model m (what ll_state_init used). */
void ll_model_settings(const struct ll_config *cfg, size_t m, float *lr, float *wd, float *l1);

/* Scratch for batches of up to n rows.  0 or -1. */
int ll_state_scratch(struct ll_state *st, size_t n);

/* One minibatch update of every model; adds each model's weighted loss to
 * loss_sum[m] and the batch weight to *wsum.  Labels in `batch` are already
 * in training space (standardised for a regressor); rows carry weights. */
void ll_state_step(struct ll_state *st, const struct ll_config *cfg, const struct ll_rows *batch,
                   double *loss_sum, double *wsum);

/* One synchronous step of a multi-host job (a collective: every host
 * calls it the same number of times, with its own batch, maybe empty):
 * each host's gradient sums and batch weight are added up across hosts and
 * every host applies the same update, that of one minibatch made of all
 * the hosts' batches.  loss_sum / wsum get this host's part only.
 * flags[0]: in, this host still has rows in the pass; out, the number of
 * hosts that have.  flags[1]: in, a stop was requested here; out, on how
 * many hosts.  OPTML_OK or the collective's error.  On one host the same
 * update as ll_state_step. */
optml_status ll_state_step_hosts(struct ll_state *st, const struct ll_config *cfg, const struct ll_rows *batch,
                                 double *loss_sum, double *wsum, optml_ctx *ctx, double flags[2]);

/* How many groups of models a step runs (1 or 2: fixed by the shapes). */
size_t ll_state_groups(const struct ll_state *st);
/* Threads for the steps: with n >= 2 and two groups, the second group runs
 * on a helper thread (returns 1); else the helper is stopped (returns 0).
 * The models are the same bits either way. */
int ll_state_threads(struct ll_state *st, int n);

/* Forward only: P (n x R) for `batch` with the weights W/b given (the
 * state's current ones or its best snapshots).  Uses st->Weff/beff. */
void ll_state_scores(struct ll_state *st, const float *W, const float *b, const struct ll_rows *batch, float *P);
/* Weighted objective of each model on a batch: loss_sum[m] += ...; P as
 * returned by ll_state_scores.  With sq_sum, also sq_sum[m] += the square
 * of each row's weighted loss (for a standard error). */
void ll_state_loss(const struct ll_state *st, const struct ll_config *cfg, const struct ll_rows *batch,
                   const float *P, double *loss_sum, double *sq_sum);

/* Checkpoint payload. */
int ll_state_encode(const struct ll_state *st, unsigned char **out, size_t *len);
/* Restore from a payload into a state built with ll_state_init for the
 * same M, K, D (the payload says which: *D_out is read first by
 * ll_state_peek).  OPTML_E_CLIENT when the shapes differ. */
optml_status ll_state_peek(optml_ctx *ctx, const unsigned char *buf, size_t len, size_t *M, size_t *K, size_t *D);
optml_status ll_state_decode(optml_ctx *ctx, struct ll_state *st, const unsigned char *buf, size_t len);

#endif
