/*
 * optim.c: the optimizers of optim.h (SGD with momentum, Adam, RMSprop),
 * L2 as a gradient term, L1 as a proximal soft threshold after the step, and
 * the step and time-based (Keras `decay`) learning-rate schedules.  Owns the optimizer state arrays, the only
 * allocation here (optim_state_init); an update allocates nothing.
 *
 * Each update is one switch on the kind outside a single elementwise loop,
 * followed (only when L1 is on) by a soft-threshold pass.
 */
#include "common/optim.h"

#include <math.h>
#include <stdlib.h>

int optim_state_init(struct optim_state *s, enum optim_kind kind, size_t n)
{
    *s = (struct optim_state){ 0 };
    /* calloc(0) may return NULL: allocate at least one element. */
    const size_t cap = n ? n : 1;
    const int need_m = kind == OPTIM_SGD || kind == OPTIM_ADAM;
    const int need_v = kind == OPTIM_ADAM || kind == OPTIM_RMSPROP;
    if (need_m && !(s->m = calloc(cap, sizeof(float))))
        goto fail;
    if (need_v && !(s->v = calloc(cap, sizeof(float))))
        goto fail;
    s->n = n;
    s->owned = 1;
    return 0;
fail:
    free(s->m);
    *s = (struct optim_state){ 0 };
    return -1;
}

void optim_state_free(struct optim_state *s)
{
    if (!s)
        return;
    if (s->owned) {
        free(s->m);
        free(s->v);
    }
    *s = (struct optim_state){ 0 };
}

struct optim_state optim_state_view(const struct optim_state *s, size_t off, size_t n)
{
    struct optim_state view = { 0 };
    if (off > s->n)
        off = s->n;
    if (n > s->n - off)
        n = s->n - off;
    view.m = s->m ? s->m + off : NULL;
    view.v = s->v ? s->v + off : NULL;
    view.n = n;
    view.t = s->t;
    view.owned = 0;
    return view;
}

void optim_tick(struct optim_state *s)
{
    s->t++;
}

/* p = sign(p) max(0, |p| - thr) for thr > 0.  "a < 0 ? 0 : a" keeps a NaN
 * parameter NaN instead of quietly zeroing it.
 *   param: (n) */
static void soft_threshold(float *param, size_t n, float thr)
{
    for (size_t i = 0; i < n; i++) {
        const float a = fabsf(param[i]) - thr;
        param[i] = copysignf(a < 0.0f ? 0.0f : a, param[i]);
    }
}

/*
 * param, grad: (n)   s->m, s->v: (>= n)
 * g = grad + wd_eff p is formed per element, never stored, so grad stays
 * const.  Adam's bias corrections are folded into a step size and a scale of
 * sqrt(v) (as PyTorch does): lr_eff / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
 */
void optim_update(const struct optim_cfg *c, struct optim_state *s, float *param, const float *grad,
                  size_t n, float lr, float lr_mult, float reg_mult)
{
    if (n > s->n)
        n = s->n;
    const float lr_eff = lr * lr_mult;
    const float wd = c->wd * reg_mult;
    const float l1 = c->l1 * reg_mult;

    switch (c->kind) {
    case OPTIM_SGD: {
        float *m = s->m;
        const float mu = c->momentum;
        if (!m)
            return;
        for (size_t i = 0; i < n; i++) {
            const float g = grad[i] + wd * param[i];
            m[i] = mu * m[i] + g;
            param[i] -= lr_eff * m[i];
        }
        break;
    }
    case OPTIM_ADAM: {
        float *m = s->m, *v = s->v;
        if (!m || !v)
            return;
        const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
        const double t = (double)(s->t < 1 ? 1 : s->t);
        const double bc1 = 1.0 - pow((double)b1, t);
        const double bc2 = 1.0 - pow((double)b2, t);
        /* b1 or b2 = 1 would divide by zero: no bias correction then. */
        const float step = (float)(bc1 > 0.0 ? (double)lr_eff / bc1 : (double)lr_eff);
        const float vscale = (float)(bc2 > 0.0 ? 1.0 / sqrt(bc2) : 1.0);
        for (size_t i = 0; i < n; i++) {
            const float g = grad[i] + wd * param[i];
            m[i] = b1 * m[i] + (1.0f - b1) * g;
            v[i] = b2 * v[i] + (1.0f - b2) * g * g;
            param[i] -= step * m[i] / (sqrtf(v[i]) * vscale + eps);
        }
        break;
    }
    case OPTIM_RMSPROP: {
        float *v = s->v;
        if (!v)
            return;
        const float rho = c->beta2, eps = c->eps;
        for (size_t i = 0; i < n; i++) {
            const float g = grad[i] + wd * param[i];
            v[i] = rho * v[i] + (1.0f - rho) * g * g;
            param[i] -= lr_eff * g / (sqrtf(v[i]) + eps);
        }
        break;
    }
    default:
        return;
    }

    const float thr = lr_eff * l1;
    if (thr > 0.0f)
        soft_threshold(param, n, thr);
}

float lr_schedule(float base_lr, long step, long step_every, float factor, float min_lr)
{
    if (step_every <= 0 || step < 0)
        return base_lr;
    const double k = (double)(step / step_every);
    double lr = (double)base_lr * pow((double)factor, k);
    const double floor_lr = min_lr < base_lr ? (double)min_lr : (double)base_lr;
    if (!(lr >= floor_lr))
        lr = floor_lr;
    return (float)lr;
}

float lr_time_decay(float lr, float decay, long iterations)
{
    if (!(decay > 0.0f) || iterations < 0)
        return lr;
    return (float)((double)lr / (1.0 + (double)decay * (double)iterations));
}
