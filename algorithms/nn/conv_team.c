/*
 * conv_team.c: nn_conv2d_forward_team / nn_conv2d_backward_team of cnn.h:
 * the batch split into one contiguous share of images per thread of a
 * common/parallel.h team, each share running the single-call conv of
 * conv.c on its own workspace; in the backward, each share but the first
 * accumulates weight gradients into its own scratch, summed into dW and
 * db after the team returns (a fixed order: the result does not depend on
 * thread timing).
 */
#include "nn/cnn.h"

#include <string.h>

#include "common/parallel.h"

struct conv_job {
    const struct nn_win *g;
    const float *x, *Wk, *b, *dy;
    float *y, *dW, *db, *dx, *ws, *dWs;
    size_t N, ws_per_thread, nb;
    int relu;
};

static void share_range(size_t N, int t, int T, size_t *lo, size_t *hi)
{
    *lo = N * (size_t)t / (size_t)T;
    *hi = N * (size_t)(t + 1) / (size_t)T;
}

/* Share t's workspace (none for a pointwise conv: ws may be NULL). */
static float *share_ws(const struct conv_job *j, int t)
{
    return j->ws ? j->ws + (size_t)t * j->ws_per_thread : NULL;
}

static void fwd_share(void *ctx, int t, int T)
{
    const struct conv_job *j = ctx;
    const struct nn_win *g = j->g;
    size_t lo, hi;
    share_range(j->N, t, T, &lo, &hi);
    if (hi > lo)
        nn_conv2d_forward(g, j->x + lo * g->H * g->W * g->C, hi - lo, j->Wk, j->b, j->relu,
                          j->y + lo * g->OH * g->OW * g->F, share_ws(j, t), j->nb);
}

void nn_conv2d_forward_team(struct parallel_team *team, const struct nn_win *g, const float *x, size_t N,
                            const float *Wk, const float *b, int relu, float *y, float *ws,
                            size_t ws_per_thread, size_t nb)
{
    struct conv_job j = { .g = g, .x = x, .Wk = Wk, .b = b, .y = y, .ws = ws, .N = N,
                          .ws_per_thread = ws_per_thread, .nb = nb, .relu = relu };
    parallel_team_for(team, fwd_share, &j);
}

static void bwd_share(void *ctx, int t, int T)
{
    const struct conv_job *j = ctx;
    const struct nn_win *g = j->g;
    const size_t KF = g->KH * g->KW * g->C * g->F;
    float *dW = j->dW, *db = j->db;
    if (t > 0) {
        dW = j->dWs + (size_t)(t - 1) * (KF + g->F);
        memset(dW, 0, (KF + g->F) * sizeof(float));
        db = j->db ? dW + KF : NULL;
    }
    size_t lo, hi;
    share_range(j->N, t, T, &lo, &hi);
    if (hi > lo)
        nn_conv2d_backward(g, j->x + lo * g->H * g->W * g->C, hi - lo, j->Wk,
                           j->dy + lo * g->OH * g->OW * g->F, dW, db,
                           j->dx ? j->dx + lo * g->H * g->W * g->C : NULL,
                           share_ws(j, t), j->nb);
}

void nn_conv2d_backward_team(struct parallel_team *team, const struct nn_win *g, const float *x, size_t N,
                             const float *Wk, const float *dy, float *dW, float *db, float *dx, float *ws,
                             size_t ws_per_thread, size_t nb, float *dWs)
{
    struct conv_job j = { .g = g, .x = x, .Wk = Wk, .dy = dy, .dW = dW, .db = db, .dx = dx, .ws = ws,
                          .dWs = dWs, .N = N, .ws_per_thread = ws_per_thread, .nb = nb };
    parallel_team_for(team, bwd_share, &j);
    const int T = parallel_team_size(team);
    const size_t KF = g->KH * g->KW * g->C * g->F;
    for (int t = 1; t < T; t++) {
        const float *restrict s = dWs + (size_t)(t - 1) * (KF + g->F);
        float *restrict d = dW;
        for (size_t i = 0; i < KF; i++)
            d[i] += s[i];
        if (db)
            for (size_t f = 0; f < g->F; f++)
                db[f] += s[KF + f];
    }
}
