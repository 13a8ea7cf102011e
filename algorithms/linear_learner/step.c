/*
 * step.c: one minibatch for all M models at once.  The scaler is folded
 * into the weights (Weff = W * inv_std, beff = b - Weff . mean), so the
 * rows are used as read: forward P = X Weff^T + beff is one sgemm over the
 * (M*K) x D weight block, the loss and its gradient dP come from
 * common/losses.h, and the gradient of the standardised weights is
 *   dW[r, j] = (dP^T X [r, j] - mean_j sum_i dP[i, r]) * inv_std_j / sum(w)
 * (one more sgemm), then each model's rows are updated by common/optim.h
 * with its own learning rate, wd and l1.  In a multi-host job the raw sums
 * (dP^T X, the column sums of dP, the batch weight) are added up across
 * hosts between the two halves, so every host applies the same update.  With large enough products the
 * models run in two groups, on two cores when the trainer asks for it
 * (a team of common/parallel.h).
 */
#include <string.h>

#include "linear_learner/state.h"

#include "common/parallel.h"

void ll_state_scores(struct ll_state *st, const float *W, const float *b, const struct ll_rows *batch, float *P)
{
    ll_scaler_fold(&st->sc, W, b, st->R, st->Weff, st->beff);
    ll_rows_scores(batch, st->Weff, st->beff, st->R, P);
}

void ll_state_loss(const struct ll_state *st, const struct ll_config *cfg, const struct ll_rows *batch,
                   const float *P, double *loss_sum, double *sq_sum)
{
    if (sq_sum) {
        /* Row by row: each row's loss for every model, then its square. */
        double one[256];
        size_t M = st->M < 256 ? st->M : 256;
        for (size_t i = 0; i < batch->n; i++) {
            memset(one, 0, M * sizeof(double));
            if (st->K > 1)
                softmax_xent_batch(P + i * st->R, batch->y + i, batch->w + i, 1, M, st->K, NULL, NULL, one);
            else
                loss_batch(cfg->loss, &cfg->lp, P + i * st->R, batch->y + i, batch->w + i, 1, M, NULL, one);
            for (size_t m = 0; m < M; m++) {
                loss_sum[m] += one[m];
                sq_sum[m] += one[m] * one[m];
            }
        }
        return;
    }
    if (st->K > 1)
        softmax_xent_batch(P, batch->y, batch->w, batch->n, st->M, st->K, NULL, NULL, loss_sum);
    else
        loss_batch(cfg->loss, &cfg->lp, P, batch->y, batch->w, batch->n, st->M, NULL, loss_sum);
}

/* The models split in groups for ll_state_step: two when the products are
 * big enough to be worth a second core, else one.  The split depends on
 * the shapes only, never on the threads, so a model is the same bits
 * whether the groups run on two cores or one after the other. */
size_t ll_state_groups(const struct ll_state *st)
{
    return st->M >= 2 && st->R * st->D >= 16384 ? 2 : 1;
}

int ll_state_threads(struct ll_state *st, int n)
{
    if (n >= 2 && ll_state_groups(st) == 2) {
        if (!st->team)
            st->team = parallel_team_new(2);
        return st->team != NULL;
    }
    parallel_team_free(st->team);
    st->team = NULL;
    return 0;
}

struct group_job {
    struct ll_state *st;
    const struct ll_config *cfg;
    const struct ll_rows *batch;
    double *loss_sum;
    size_t m0, m1;               /* models [m0, m1) */
    double sw;                   /* the batch's weight */
};

/* Forward and raw gradient sums of models [m0, m1): their rows of W are
 * R_g = (m1 - m0) K consecutive rows, their scores and gradients an
 * n x R_g block of the scratch; nothing is shared with the other group but
 * the batch. */
static void group_grad(const struct group_job *j)
{
    struct ll_state *st = j->st;
    const struct ll_config *cfg = j->cfg;
    const struct ll_rows *batch = j->batch;
    size_t n = batch->n, K = st->K, D = st->D, Mg = j->m1 - j->m0, r0 = j->m0 * K, Rg = Mg * K;
    float *P = st->P + n * r0, *dP = st->dP + n * r0;
    ll_scaler_fold(&st->sc, st->W + r0 * D, st->b + r0, Rg, st->Weff + r0 * D, st->beff + r0);
    ll_rows_scores(batch, st->Weff + r0 * D, st->beff + r0, Rg, P);
    if (K > 1)
        softmax_xent_batch(P, batch->y, batch->w, n, Mg, K, dP, NULL, j->loss_sum + j->m0);
    else
        loss_batch(cfg->loss, &cfg->lp, P, batch->y, batch->w, n, Mg, dP, j->loss_sum + j->m0);
    if (!(j->sw > 0))
        return;
    /* Raw sums: G = dP^T X, gb = the column sums of dP. */
    ll_rows_grad(batch, dP, Rg, st->G + r0 * D);
    for (size_t r = 0; r < Rg; r++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += dP[i * Rg + r];
        st->gb[r0 + r] = (float)s;
    }
}

/* Update models [m0, m1) from the raw sums in G / gb over a minibatch of
 * weight j->sw: the standardised weights' gradient (scaler folded in),
 * divided by the weight, then each model's optimizer step. */
static void group_update(const struct group_job *j)
{
    struct ll_state *st = j->st;
    const struct ll_config *cfg = j->cfg;
    size_t K = st->K, D = st->D, r0 = j->m0 * K, Rg = (j->m1 - j->m0) * K;
    float inv_sw = (float)(1.0 / j->sw);
    float *G = st->G + r0 * D;
    for (size_t r = 0; r < Rg; r++) {
        const float sr = st->gb[r0 + r];
        st->gb[r0 + r] = sr * inv_sw;
        float *g = G + r * D;
        for (size_t jj = 0; jj < D; jj++)
            g[jj] = (g[jj] - st->sc.mean[jj] * sr) * st->sc.inv_std[jj] * inv_sw;
    }

    for (size_t m = j->m0; m < j->m1; m++) {
        const struct optim_cfg *oc = &st->oc[m];
        float lr = cfg->use_lr_scheduler ? lr_schedule(oc->lr, st->step, (long)cfg->lr_scheduler_step,
                                                       cfg->lr_scheduler_factor, cfg->lr_scheduler_minimum_lr)
                                         : oc->lr;
        struct optim_state vw = optim_state_view(&st->ow, m * K * D, K * D);
        optim_update(oc, &vw, st->W + m * K * D, st->G + m * K * D, K * D, lr, 1.0f, 1.0f);
        if (cfg->use_bias) {
            struct optim_state vb = optim_state_view(&st->ob, m * K, K);
            optim_update(oc, &vb, st->b + m * K, st->gb + m * K, K, lr, cfg->bias_lr_mult, cfg->bias_wd_mult);
        }
    }
}

/* One minibatch for models [m0, m1). */
static void group_step(void *arg)
{
    const struct group_job *j = arg;
    group_grad(j);
    if (j->sw > 0)
        group_update(j);
}

/* Multi-host steps: the forward half, then the update half. */
static void group_grad_one(void *arg)
{
    group_grad(arg);
}

static void group_update_one(void *arg)
{
    group_update(arg);
}

/* Share t of parallel_team_for: group t of the two. */
struct group_pair {
    struct group_job *g;
    void (*fn)(void *);
};

static void group_share(void *arg, int t, int n_threads)
{
    struct group_pair *p = arg;
    if (n_threads >= 2) {
        p->fn(&p->g[t]);
    } else {            /* no team: both groups here, in order */
        p->fn(&p->g[0]);
        p->fn(&p->g[1]);
    }
}

/* fn on each group of g (one or two), on the team when there is one. */
static void run_groups(struct ll_state *st, struct group_job *g, void (*fn)(void *))
{
    if (g[0].m1 < st->M) {
        struct group_pair p = {g, fn};
        parallel_team_for(st->team, group_share, &p);
    } else {
        fn(&g[0]);
    }
}

void ll_state_step(struct ll_state *st, const struct ll_config *cfg, const struct ll_rows *batch,
                   double *loss_sum, double *wsum)
{
    size_t n = batch->n;
    if (n == 0)
        return;
    /* scratch_rows >= n is the caller's duty (ll_state_scratch). */
    double sw = 0;
    for (size_t i = 0; i < n; i++)
        sw += batch->w[i];
    *wsum += sw;
    if (sw > 0) {
        /* The optimizers' step count, shared by every model: before. */
        optim_tick(&st->ow);
        optim_tick(&st->ob);
    }
    struct group_job g[2];
    size_t half = ll_state_groups(st) == 2 ? st->M / 2 : st->M;
    g[0] = (struct group_job){st, cfg, batch, loss_sum, 0, half, sw};
    g[1] = (struct group_job){st, cfg, batch, loss_sum, half, st->M, sw};
    run_groups(st, g, group_step);
    if (sw > 0)
        st->step++;
}

optml_status ll_state_step_hosts(struct ll_state *st, const struct ll_config *cfg, const struct ll_rows *batch,
                                 double *loss_sum, double *wsum, optml_ctx *ctx, double flags[2])
{
    if (optml_dist_size(ctx) < 2) {
        ll_state_step(st, cfg, batch, loss_sum, wsum);
        flags[0] = flags[0] > 0;
        flags[1] = flags[1] > 0;
        return OPTML_OK;
    }
    size_t n = batch->n;
    double sw = 0;
    for (size_t i = 0; i < n; i++)
        sw += batch->w[i];
    *wsum += sw;
    struct group_job g[2];
    size_t half = ll_state_groups(st) == 2 ? st->M / 2 : st->M;
    g[0] = (struct group_job){st, cfg, batch, loss_sum, 0, half, sw};
    g[1] = (struct group_job){st, cfg, batch, loss_sum, half, st->M, sw};
    if (n > 0 && sw > 0)
        run_groups(st, g, group_grad_one);
    else /* nothing from this host: zeros to the sums */
        memset(st->G, 0, (st->R * st->D + st->R) * sizeof(float));
    double glob[3] = {sw, flags[0] > 0, flags[1] > 0};
    optml_status s = optml_dist_allreduce(ctx, glob, 3, OPTML_DIST_DOUBLE, OPTML_DIST_SUM);
    if (s == OPTML_OK)
        s = optml_dist_allreduce(ctx, st->G, st->R * st->D + st->R, OPTML_DIST_FLOAT, OPTML_DIST_SUM);
    if (s != OPTML_OK)
        return s;
    flags[0] = glob[1];
    flags[1] = glob[2];
    if (!(glob[0] > 0))
        return OPTML_OK;
    optim_tick(&st->ow);
    optim_tick(&st->ob);
    g[0].sw = g[1].sw = glob[0];
    run_groups(st, g, group_update_one);
    st->step++;
    return OPTML_OK;
}
