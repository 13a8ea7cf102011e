/*
 * dense_team.c: nn_dense_forward_team / nn_dense_backward_team of nn.h,
 * the dense layer with the batch split into one contiguous share of rows
 * per thread of a common/parallel.h team (the threading model docs/nn.md
 * chose: OpenBLAS on one thread, the team on the cores).  In the backward
 * each share but the first accumulates dW, db into its own scratch, summed
 * into dW and db after the team returns, in share order.
 */
#include "nn/nn.h"

#include <string.h>

#include "common/parallel.h"

struct dense_job {
    const float *x, *W, *b, *dy;
    float *y, *dW, *db, *dx, *dWs;
    size_t N, in, out;
};

static void rows_of(size_t N, int t, int T, size_t *lo, size_t *hi)
{
    *lo = N * (size_t)t / (size_t)T;
    *hi = N * (size_t)(t + 1) / (size_t)T;
}

static void fwd_share(void *ctx, int t, int T)
{
    const struct dense_job *j = ctx;
    size_t lo, hi;
    rows_of(j->N, t, T, &lo, &hi);
    if (hi > lo)
        nn_dense_forward(j->x + lo * j->in, j->W, j->b, hi - lo, j->in, j->out, j->y + lo * j->out);
}

void nn_dense_forward_team(struct parallel_team *team, const float *x, const float *W, const float *b, size_t N,
                           size_t in, size_t out, float *y)
{
    struct dense_job j = { .x = x, .W = W, .b = b, .y = y, .N = N, .in = in, .out = out };
    parallel_team_for(team, fwd_share, &j);
}

static void bwd_share(void *ctx, int t, int T)
{
    const struct dense_job *j = ctx;
    float *dW = j->dW, *db = j->db;
    if (t > 0) {
        dW = j->dWs + (size_t)(t - 1) * (j->in * j->out + j->out);
        memset(dW, 0, (j->in * j->out + j->out) * sizeof(float));
        db = j->db ? dW + j->in * j->out : NULL;
    }
    size_t lo, hi;
    rows_of(j->N, t, T, &lo, &hi);
    if (hi > lo)
        nn_dense_backward(j->x + lo * j->in, j->W, j->dy + lo * j->out, hi - lo, j->in, j->out, dW, db,
                          j->dx ? j->dx + lo * j->in : NULL);
}

void nn_dense_backward_team(struct parallel_team *team, const float *x, const float *W, const float *dy, size_t N,
                            size_t in, size_t out, float *dW, float *db, float *dx, float *dWs)
{
    struct dense_job j = { .x = x, .W = W, .dy = dy, .dW = dW, .db = db, .dx = dx, .dWs = dWs, .N = N,
                           .in = in, .out = out };
    parallel_team_for(team, bwd_share, &j);
    const int T = parallel_team_size(team);
    const size_t n = in * out;
    for (int t = 1; t < T; t++) {
        const float *restrict s = dWs + (size_t)(t - 1) * (n + out);
        float *restrict d = dW;
        for (size_t i = 0; i < n; i++)
            d[i] += s[i];
        if (db)
            for (size_t o = 0; o < out; o++)
                db[o] += s[n + o];
    }
}
