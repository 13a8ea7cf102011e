/*
 * step.c: one minibatch for all M models at once.  The scaler is folded
 * into the weights (Weff = W * inv_std, beff = b - Weff . mean), so the
 * rows are used as read: forward P = X Weff^T + beff is one sgemm over the
 * (M*K) x D weight block, the loss and its gradient dP come from
 * common/losses.h, and the gradient of the standardised weights is
 *   dW[r, j] = (dP^T X [r, j] - mean_j sum_i dP[i, r]) * inv_std_j / sum(w)
 * (one more sgemm), then each model's rows are updated by common/optim.h
 * with its own learning rate, wd and l1.  With large enough products the
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

/* One minibatch for models [m0, m1): their rows of W are R_g = (m1 - m0) K
 * consecutive rows, their scores and gradients an n x R_g block of the
 * scratch; nothing is shared with the other group but the batch. */
static void group_step(void *arg)
{
    const struct group_job *j = arg;
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
    float inv_sw = (float)(1.0 / j->sw);

    float *G = st->G + r0 * D;
    ll_rows_grad(batch, dP, Rg, G);
    for (size_t r = 0; r < Rg; r++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += dP[i * Rg + r];
        st->gb[r0 + r] = (float)s * inv_sw;
        float *g = G + r * D;
        const float sr = (float)s;
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

/* Share t of parallel_team_for: group t of the two. */
static void group_share(void *arg, int t, int n_threads)
{
    struct group_job *g = arg;
    if (n_threads >= 2) {
        group_step(&g[t]);
    } else {            /* no team: both groups here, in order */
        group_step(&g[0]);
        group_step(&g[1]);
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
    if (half < st->M)
        parallel_team_for(st->team, group_share, g);
    else
        group_step(&g[0]);
    if (sw > 0)
        st->step++;
}
