/*
 * step.c: one minibatch for all M models at once.  The scaler is folded
 * into the weights (Weff = W * inv_std, beff = b - Weff . mean), so the
 * rows are used as read: forward P = X Weff^T + beff is one sgemm over the
 * (M*K) x D weight block, the loss and its gradient dP come from
 * common/losses.h, and the gradient of the standardised weights is
 *   dW[r, j] = (dP^T X [r, j] - mean_j sum_i dP[i, r]) * inv_std_j / sum(w)
 * (one more sgemm), then each model's rows are updated by common/optim.h
 * with its own learning rate, wd and l1.
 */
#include <string.h>

#include "linear_learner/state.h"

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

void ll_state_step(struct ll_state *st, const struct ll_config *cfg, const struct ll_rows *batch,
                   double *loss_sum, double *wsum)
{
    size_t n = batch->n, R = st->R, D = st->D, K = st->K;
    if (n == 0)
        return;
    /* scratch_rows >= n is the caller's duty (ll_state_scratch). */
    float *P = st->P, *dP = st->dP;
    ll_state_scores(st, st->W, st->b, batch, P);
    if (K > 1)
        softmax_xent_batch(P, batch->y, batch->w, n, st->M, K, dP, NULL, loss_sum);
    else
        loss_batch(cfg->loss, &cfg->lp, P, batch->y, batch->w, n, st->M, dP, loss_sum);
    double sw = 0;
    for (size_t i = 0; i < n; i++)
        sw += batch->w[i];
    *wsum += sw;
    if (!(sw > 0))
        return;
    float inv_sw = (float)(1.0 / sw);

    ll_rows_grad(batch, dP, R, st->G);
    for (size_t r = 0; r < R; r++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += dP[i * R + r];
        st->gb[r] = (float)s * inv_sw;
        float *g = st->G + r * D;
        const float sr = (float)s;
        for (size_t j = 0; j < D; j++)
            g[j] = (g[j] - st->sc.mean[j] * sr) * st->sc.inv_std[j] * inv_sw;
    }

    optim_tick(&st->ow);
    optim_tick(&st->ob);
    for (size_t m = 0; m < st->M; m++) {
        const struct optim_cfg *oc = &st->oc[m];
        float lr = cfg->use_lr_scheduler ? lr_schedule(oc->lr, st->step, cfg->lr_step, cfg->lr_factor, cfg->lr_min)
                                         : oc->lr;
        struct optim_state vw = optim_state_view(&st->ow, m * K * D, K * D);
        optim_update(oc, &vw, st->W + m * K * D, st->G + m * K * D, K * D, lr, 1.0f, 1.0f);
        if (cfg->use_bias) {
            struct optim_state vb = optim_state_view(&st->ob, m * K, K);
            optim_update(oc, &vb, st->b + m * K, st->gb + m * K, K, lr, cfg->bias_lr_mult, cfg->bias_wd_mult);
        }
    }
    st->step++;
}
