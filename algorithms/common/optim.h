/*
 * optim.h: first-order optimizers shared by the modules: SGD with momentum,
 * Adam and RMSprop, with L2 (weight decay) and L1 (proximal soft
 * threshold) regularisation, per-parameter-group learning-rate and decay
 * multipliers (for biases), and a step learning-rate schedule.
 *
 * A parameter group is a contiguous float array; its optimizer state lives
 * in struct optim_state, allocated to the same length.  A model that keeps
 * all its parameters in one block (STYLE.md 4.4) allocates one state for the
 * block and updates each group through optim_state_view().
 *
 * The update rules, with g the gradient after L2 (g += wd * reg_mult * p) and
 * lr_eff = lr * lr_mult:
 *   SGD      m = momentum m + g;                 p -= lr_eff m
 *   Adam     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *            p -= lr_eff (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 *   RMSprop  v = rho v + (1-rho) g^2 (rho = beta2); p -= lr_eff g / (sqrt(v) + eps)
 * then, when l1 * reg_mult > 0, p = sign(p) max(0, |p| - lr_eff l1 reg_mult).
 * RMSprop is Keras's (rho 0.9, eps K.epsilon() = 1e-7 by default there; eps
 * outside the square root).  Keras's SGD folds lr into the velocity
 * (v = mu v - lr g; p += v), the same update as here while lr is constant;
 * Keras's Adam adds eps to sqrt(v) before the bias correction of v (here:
 * after), a difference of order eps.  Keras's `decay` is lr_time_decay().
 * No function here allocates except optim_state_init; none is thread-safe on
 * the same state.
 */
#ifndef OPTML_COMMON_OPTIM_H
#define OPTML_COMMON_OPTIM_H

#include <stddef.h>

enum optim_kind { OPTIM_SGD, OPTIM_ADAM, OPTIM_RMSPROP };

struct optim_cfg {
    enum optim_kind kind;
    float lr;        /* base learning rate (the caller schedules it, see lr_schedule) */
    float momentum;  /* SGD: momentum in [0, 1) */
    float beta1;     /* Adam */
    float beta2;     /* Adam; RMSprop decay rho */
    float eps;       /* Adam / RMSprop denominator epsilon */
    float wd;        /* L2 strength: adds wd * param to the gradient */
    float l1;        /* L1 strength: soft threshold lr * l1 after the step */
};

struct optim_state {
    float *m;        /* momentum / first moment (n); NULL for RMSprop */
    float *v;        /* second moment (n); NULL for SGD */
    size_t n;
    long t;          /* steps taken (Adam bias correction) */
    int owned;       /* 1 when m and v belong to this struct (optim_state_init) */
};

/* Allocate zeroed state for n parameters (n may be 0); returns 0, or -1 on
 * OOM with *s left empty (safe to optim_state_free). */
int optim_state_init(struct optim_state *s, enum optim_kind kind, size_t n);
/* Free what optim_state_init allocated and empty *s.  Accepts an empty or
 * zeroed struct and views (which own nothing and are only emptied). */
void optim_state_free(struct optim_state *s);

/* A view of elements [off, off + n) of s, sharing its arrays and, as a
 * snapshot, its step count: take views after optim_tick(s).  n is clamped to
 * what s holds.  A view owns nothing; dropping it needs no call. */
struct optim_state optim_state_view(const struct optim_state *s, size_t off, size_t n);

/* One update of `param` (n floats) from `grad` (n floats, already averaged
 * over the batch).  `lr` is the current learning rate (c->lr, possibly
 * through lr_schedule); the effective learning rate is lr * lr_mult and the
 * L2/L1 strengths are multiplied by reg_mult (e.g. bias_wd_mult; 0 turns
 * regularisation off for that group).  Call optim_tick(s) once per step
 * before the groups that share a step count (Adam treats t < 1 as 1).  n
 * larger than s->n is clamped to s->n; param and grad must not overlap. */
void optim_update(const struct optim_cfg *c, struct optim_state *s, float *param, const float *grad,
                  size_t n, float lr, float lr_mult, float reg_mult);
void optim_tick(struct optim_state *s);

/* Step schedule: lr * factor^(step / step_every) (integer division), not
 * below min_lr (nor raised to it when base_lr is already smaller).
 * step_every <= 0 or step < 0 means no decay. */
float lr_schedule(float base_lr, long step, long step_every, float factor, float min_lr);

/* Keras's optimizer `decay` (time-based decay, SGD / RMSprop / Adam):
 * lr / (1 + decay * iterations), iterations = the updates already applied
 * (0 for the first).  decay <= 0 or iterations < 0 give lr. */
float lr_time_decay(float lr, float decay, long iterations);

#endif
