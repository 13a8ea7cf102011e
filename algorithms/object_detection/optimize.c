/*
 * optimize.c: the object-detection job's parameter updates: the optimizer
 * of the hyperparameters (sgd with momentum and weight decay, adam, rmsprop,
 * MXNet's adadelta), the lr_scheduler_step schedule, and the layers
 * freeze_layer_pattern keeps as they are.
 */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object_detection/job.h"

struct optim_cfg od_optimizer(const struct od_config *c)
{
    struct optim_cfg o = {.lr = (float)c->learning_rate, .eps = 1e-8f};
    switch (c->optimizer) {
    case OD_OPT_SGD:
        o.kind = OPTIM_SGD, o.momentum = (float)c->momentum, o.wd = (float)c->weight_decay;
        break;
    case OD_OPT_RMSPROP:
        o.kind = OPTIM_RMSPROP, o.beta2 = 0.9f, o.wd = (float)c->weight_decay;
        break;
    case OD_OPT_ADADELTA: /* MXNet's AdaDelta: rho 0.9, epsilon 1e-5 */
        o.kind = OPTIM_ADAM, o.beta2 = 0.9f, o.eps = 1e-5f, o.wd = (float)c->weight_decay;
        break;
    default:
        o.kind = OPTIM_ADAM, o.beta1 = 0.9f, o.beta2 = 0.999f;
    }
    return o;
}

/* The learning rate of epoch e (0-based): learning_rate times
 * lr_scheduler_factor for every lr_scheduler_step epoch <= e. */
float od_epoch_lr(const struct od_config *c, int e)
{
    double lr = c->learning_rate;
    for (int i = 0; i < c->n_lr_steps; i++)
        if (e >= c->lr_steps[i])
            lr *= c->lr_scheduler_factor;
    return (float)lr;
}

/* One update of every tensor with a gradient that is not frozen.  The
 * net's state block holds Adam's two moments: SGD uses the first, RMSprop
 * the second, AdaDelta both (E[g^2] and E[dx^2]). */
void od_step(struct od_job *j, float lr)
{
    struct nn_params *p = &j->net.params;
    optim_tick(&p->opt);
    for (size_t i = 0; i < p->n_tensors; i++) {
        const struct nn_tensor *t = &p->t[i];
        if (t->g_off == (size_t)-1 || j->frozen[i])
            continue;
        struct optim_state st = optim_state_view(&p->opt, t->s_off, t->n);
        float *w = p->param + t->p_off, *g = p->grad + t->g_off;
        if (j->cfg->optimizer != OD_OPT_ADADELTA) {
            optim_update(&j->oc, &st, w, g, t->n, lr, t->opts.lr_mult, t->opts.reg_mult);
            continue;
        }
        float rho = j->oc.beta2, eps = j->oc.eps, wd = j->oc.wd * t->opts.reg_mult;
        for (size_t k = 0; k < t->n; k++) {
            float gk = g[k] + wd * w[k];
            st.v[k] = rho * st.v[k] + (1 - rho) * gk * gk;
            float dx = sqrtf(st.m[k] + eps) / sqrtf(st.v[k] + eps) * gk;
            st.m[k] = rho * st.m[k] + (1 - rho) * dx * dx;
            w[k] -= dx;
        }
    }
}

/* freeze_layer_pattern against each tensor's layer (its name without
 * `.kernel` / `.bias`) and the tensor's name: a tensor is frozen when
 * either matches; how many are is logged. */
optml_status od_freeze(struct od_job *j)
{
    const struct nn_params *p = &j->net.params;
    if (!(j->frozen = calloc(p->n_tensors ? p->n_tensors : 1, 1)))
        return od_job_nomem(j->ctx);
    if (!j->cfg->freeze_layer_pattern)
        return OPTML_OK;
    regex_t re;
    if (regcomp(&re, j->cfg->freeze_layer_pattern, REG_EXTENDED | REG_NOSUB) != 0)
        return optml_error(j->ctx, OPTML_E_CLIENT, "Invalid parameter value 'freeze_layer_pattern'");
    size_t n = 0;
    for (size_t i = 0; i < p->n_tensors; i++) {
        char layer[NN_PARAM_NAME_MAX + 1];
        snprintf(layer, sizeof(layer), "%s", p->t[i].name);
        char *dot = strrchr(layer, '.');
        if (dot)
            *dot = 0;
        if (regexec(&re, layer, 0, NULL, 0) == 0 || regexec(&re, p->t[i].name, 0, NULL, 0) == 0) {
            j->frozen[i] = 1;
            n++;
        }
    }
    regfree(&re);
    optml_log(j->ctx, OPTML_LOG_INFO, "freeze_layer_pattern '%s': %zu of %zu parameter tensors frozen",
              j->cfg->freeze_layer_pattern, n, p->n_tensors);
    if (n == p->n_tensors)
        return optml_error(j->ctx, OPTML_E_CLIENT, "Invalid parameter value 'freeze_layer_pattern': '%s' freezes "
                           "every layer, nothing would be trained", j->cfg->freeze_layer_pattern);
    return OPTML_OK;
}

