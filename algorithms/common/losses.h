/*
 * losses.h: the loss functions shared by the algorithm modules, with their
 * gradients.  Batched over N rows and M models that share the labels: the
 * linear learner trains M models in one pass, the neural modules use M = 1.
 * Shapes: pred (N, M) row-major, or (N, M, K) for softmax; y (N); w (N) row
 * weights or NULL for 1.  Backward passes write (not accumulate) dpred,
 * scaled by w[i]; the caller divides by the batch weight.
 *
 * Every function here is pure (no state, no allocation) and thread-safe.
 * Labels are the caller's to validate (0/1 for logistic and hinge, an
 * integer in [0, K) for softmax): a bad label never causes an out-of-bounds
 * access, at worst a meaningless or NaN loss.
 */
#ifndef OPTML_COMMON_LOSSES_H
#define OPTML_COMMON_LOSSES_H

#include <stddef.h>

/* r = p - y is the residual.  Where a loss has a kink the gradient is the
 * subgradient 0 exactly at it (r = 0 for absolute and quantile, |r| = eps for
 * the eps-insensitive losses, s p = margin for hinge). */
enum loss_kind {
    LOSS_SQUARED,            /* (p - y)^2 / 2 */
    LOSS_ABSOLUTE,           /* |p - y| */
    LOSS_EPS_SQUARED,        /* max(0, |p - y| - eps)^2 / 2 */
    LOSS_EPS_ABSOLUTE,       /* max(0, |p - y| - eps) */
    LOSS_QUANTILE,           /* tau (y - p) if y >= p else (1 - tau)(p - y) */
    LOSS_HUBER,              /* (p-y)^2/2 if |p-y| <= delta else delta(|p-y| - delta/2) */
    LOSS_LOGISTIC,           /* y in {0,1}, p a logit: log(1 + e^p) - y p, computed stably */
    LOSS_HINGE,              /* y in {0,1} -> s = 2y-1: max(0, margin - s p) */
    LOSS_SOFTMAX             /* y in {0..K-1}, p K logits: -log softmax(p)[y]; only softmax_xent_batch */
};

/* The parameters of the K = 1 losses; a NULL pointer means eps 0,
 * quantile 0.5, huber_delta 1, margin 1. */
struct loss_params {
    float eps;          /* eps-insensitive losses, >= 0 */
    float quantile;     /* tau in (0, 1) */
    float huber_delta;  /* > 0 */
    float margin;       /* hinge */
};

/* Loss of one prediction (K = 1 losses).  LOSS_SOFTMAX (or an unknown kind)
 * has no scalar form and returns NaN. */
float loss_value(enum loss_kind kind, const struct loss_params *lp, float pred, float y);
/* d loss / d pred of one prediction (K = 1 losses; a subgradient at kinks,
 * see enum loss_kind).  NaN for LOSS_SOFTMAX. */
float loss_grad(enum loss_kind kind, const struct loss_params *lp, float pred, float y);

/* Batched forward + backward for K = 1 losses: for each row i and model m,
 * loss_sum[m] += w_i * loss(pred[i*M+m], y[i]) and
 * dpred[i*M+m] = w_i * dloss/dpred.
 *   pred: (N, M)   y: (N)   w: (N) or NULL   dpred: (N, M) or NULL
 *   loss_sum: (M), accumulated in double, or NULL
 * dpred may be NULL (forward only), loss_sum may be NULL (backward only);
 * dpred may equal pred (in place).  The per-kind switch is outside the
 * loops; the inner loop over M is branch-free.  LOSS_SOFTMAX is a caller
 * error: dpred is filled with NaN and NaN is added to loss_sum. */
void loss_batch(enum loss_kind kind, const struct loss_params *lp, const float *pred, const float *y,
                const float *w, size_t N, size_t M, float *dpred, double *loss_sum);

/* Softmax cross-entropy for N rows, M models, K classes: logits (N, M, K);
 * loss_sum[m] += w_i * -log softmax(logits_im)[y_i]; dlogits = w_i * (p - onehot)
 * (may be NULL); probs (N, M, K) receives the probabilities when not NULL.
 * Numerically stable (max subtracted): logits of any finite size give finite
 * losses, gradients and probabilities.
 *   logits: (N, M, K)   y: (N) class index as float (truncated)   w: (N) or NULL
 *   dlogits: (N, M, K) or NULL   probs: (N, M, K) or NULL   loss_sum: (M) or NULL
 * A label outside [0, K) adds NaN to loss_sum and no one-hot term to
 * dlogits.  dlogits and probs may be the same buffer as logits, but not as
 * each other. */
void softmax_xent_batch(const float *logits, const float *y, const float *w, size_t N, size_t M,
                        size_t K, float *dlogits, float *probs, double *loss_sum);

/* Logistic sigmoid 1 / (1 + e^-x), stable for large |x| (no overflow; the
 * small tail is exp(x) / (1 + exp(x)) rather than 1 - something). */
float sigmoid(float x);

#endif
