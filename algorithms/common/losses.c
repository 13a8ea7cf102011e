/*
 * losses.c: the loss functions of losses.h: scalar value and (sub)gradient
 * of every K = 1 loss, their batched forward + backward over (N, M)
 * predictions, softmax cross-entropy over (N, M, K) logits, and a stable
 * sigmoid.  No state, no allocation.
 *
 * Each K = 1 loss is a pair of static inline functions <loss>_val / <loss>_grad
 * of the residual; loss_value, loss_grad and loss_batch switch on the kind
 * once and then run a loop whose body is only those inlines (selects, not
 * branches), so the inner loop over the M models vectorises.
 */
#include "common/losses.h"

#include <math.h>

/* sign(r) in {-1, 0, 1}: the subgradient choice 0 at r = 0. */
static inline float sgn(float r)
{
    return (float)((r > 0.0f) - (r < 0.0f));
}

static inline float relu(float a)
{
    return a > 0.0f ? a : 0.0f;
}

/* Stable sigmoid: e = exp(-|x|) <= 1 never overflows, and the tail x < 0 is
 * e / (1 + e) (full relative precision) rather than 1 - 1 / (1 + e). */
static inline float sigmoid_f(float x)
{
    const float e = expf(-fabsf(x));
    const float inv = 1.0f / (1.0f + e);
    return x >= 0.0f ? inv : e * inv;
}

/* ---- the K = 1 losses; p prediction, y label, r = p - y ---------------- */

static inline float squared_val(float p, float y) { float r = p - y; return 0.5f * r * r; }
static inline float squared_grad(float p, float y) { return p - y; }

static inline float absolute_val(float p, float y) { return fabsf(p - y); }
static inline float absolute_grad(float p, float y) { return sgn(p - y); }

/* a = max(0, |r| - eps): the part of the residual outside the tube. */
static inline float eps_squared_val(float p, float y, float eps)
{
    float a = relu(fabsf(p - y) - eps);
    return 0.5f * a * a;
}
static inline float eps_squared_grad(float p, float y, float eps)
{
    float r = p - y;
    return sgn(r) * relu(fabsf(r) - eps);
}

static inline float eps_absolute_val(float p, float y, float eps) { return relu(fabsf(p - y) - eps); }
static inline float eps_absolute_grad(float p, float y, float eps)
{
    float r = p - y;
    return fabsf(r) > eps ? sgn(r) : 0.0f;
}

/* Pinball loss with d = y - p: tau d if d >= 0 else (tau - 1) d. */
static inline float quantile_val(float p, float y, float tau)
{
    float d = y - p;
    return d >= 0.0f ? tau * d : (tau - 1.0f) * d;
}
static inline float quantile_grad(float p, float y, float tau)
{
    float d = y - p;
    return d > 0.0f ? -tau : (d < 0.0f ? 1.0f - tau : 0.0f);
}

static inline float huber_val(float p, float y, float delta)
{
    float r = p - y, a = fabsf(r);
    return a <= delta ? 0.5f * r * r : delta * (a - 0.5f * delta);
}
static inline float huber_grad(float p, float y, float delta)
{
    float r = p - y;
    return fabsf(r) <= delta ? r : copysignf(delta, r);
}

/* log(1 + e^p) - y p = log1p(e^-|p|) + max(p, 0) - y p: no overflow, and
 * the large-|p| terms cancel exactly before the small one is added. */
static inline float logistic_val(float p, float y)
{
    return (fmaxf(p, 0.0f) - y * p) + log1pf(expf(-fabsf(p)));
}
static inline float logistic_grad(float p, float y) { return sigmoid_f(p) - y; }

/* s = 2y - 1 in {-1, 1}; z = margin - s p. */
static inline float hinge_val(float p, float y, float margin)
{
    return relu(margin - (2.0f * y - 1.0f) * p);
}
static inline float hinge_grad(float p, float y, float margin)
{
    float s = 2.0f * y - 1.0f;
    return margin - s * p > 0.0f ? -s : 0.0f;
}

/* ---- scalar entry points ----------------------------------------------- */

/* What a NULL struct loss_params means (see losses.h). */
static const struct loss_params loss_params_default = {
    .eps = 0.0f, .quantile = 0.5f, .huber_delta = 1.0f, .margin = 1.0f,
};

float loss_value(enum loss_kind kind, const struct loss_params *lp, float pred, float y)
{
    if (!lp)
        lp = &loss_params_default;
    switch (kind) {
    case LOSS_SQUARED: return squared_val(pred, y);
    case LOSS_ABSOLUTE: return absolute_val(pred, y);
    case LOSS_EPS_SQUARED: return eps_squared_val(pred, y, lp->eps);
    case LOSS_EPS_ABSOLUTE: return eps_absolute_val(pred, y, lp->eps);
    case LOSS_QUANTILE: return quantile_val(pred, y, lp->quantile);
    case LOSS_HUBER: return huber_val(pred, y, lp->huber_delta);
    case LOSS_LOGISTIC: return logistic_val(pred, y);
    case LOSS_HINGE: return hinge_val(pred, y, lp->margin);
    case LOSS_SOFTMAX: break;
    }
    return NAN;
}

float loss_grad(enum loss_kind kind, const struct loss_params *lp, float pred, float y)
{
    if (!lp)
        lp = &loss_params_default;
    switch (kind) {
    case LOSS_SQUARED: return squared_grad(pred, y);
    case LOSS_ABSOLUTE: return absolute_grad(pred, y);
    case LOSS_EPS_SQUARED: return eps_squared_grad(pred, y, lp->eps);
    case LOSS_EPS_ABSOLUTE: return eps_absolute_grad(pred, y, lp->eps);
    case LOSS_QUANTILE: return quantile_grad(pred, y, lp->quantile);
    case LOSS_HUBER: return huber_grad(pred, y, lp->huber_delta);
    case LOSS_LOGISTIC: return logistic_grad(pred, y);
    case LOSS_HINGE: return hinge_grad(pred, y, lp->margin);
    case LOSS_SOFTMAX: break;
    }
    return NAN;
}

float sigmoid(float x)
{
    return sigmoid_f(x);
}

/* ---- batched K = 1 losses ---------------------------------------------- */

/*
 * The loop of loss_batch for one kind.  VAL and GRAD are expressions of the
 * prediction `p` and the row's label `yi`.  Which of dpred / loss_sum is
 * wanted is decided once per row, so the inner loop over M is straight-line.
 *   pred, dpred: (N, M)   y, w: (N)   loss_sum: (M)
 */
#define LOSS_BATCH_LOOP(VAL, GRAD)                                             \
    for (size_t i = 0; i < N; i++) {                                           \
        const float wi = w ? w[i] : 1.0f;                                      \
        const float yi = y[i];                                                 \
        const float *pi = pred + i * M;                                        \
        float *di = dpred ? dpred + i * M : NULL;                              \
        if (di && loss_sum) {                                                  \
            for (size_t m = 0; m < M; m++) {                                   \
                const float p = pi[m];                                         \
                loss_sum[m] += (double)(wi * (VAL));                           \
                di[m] = wi * (GRAD);                                           \
            }                                                                  \
        } else if (di) {                                                       \
            for (size_t m = 0; m < M; m++) {                                   \
                const float p = pi[m];                                         \
                di[m] = wi * (GRAD);                                           \
            }                                                                  \
        } else if (loss_sum) {                                                 \
            for (size_t m = 0; m < M; m++) {                                   \
                const float p = pi[m];                                         \
                loss_sum[m] += (double)(wi * (VAL));                           \
            }                                                                  \
        }                                                                      \
    }

void loss_batch(enum loss_kind kind, const struct loss_params *lp, const float *pred, const float *y,
                const float *w, size_t N, size_t M, float *dpred, double *loss_sum)
{
    if (!lp)
        lp = &loss_params_default;
    const float eps = lp->eps, tau = lp->quantile, delta = lp->huber_delta, margin = lp->margin;

    switch (kind) {
    case LOSS_SQUARED:
        LOSS_BATCH_LOOP(squared_val(p, yi), squared_grad(p, yi));
        return;
    case LOSS_ABSOLUTE:
        LOSS_BATCH_LOOP(absolute_val(p, yi), absolute_grad(p, yi));
        return;
    case LOSS_EPS_SQUARED:
        LOSS_BATCH_LOOP(eps_squared_val(p, yi, eps), eps_squared_grad(p, yi, eps));
        return;
    case LOSS_EPS_ABSOLUTE:
        LOSS_BATCH_LOOP(eps_absolute_val(p, yi, eps), eps_absolute_grad(p, yi, eps));
        return;
    case LOSS_QUANTILE:
        LOSS_BATCH_LOOP(quantile_val(p, yi, tau), quantile_grad(p, yi, tau));
        return;
    case LOSS_HUBER:
        LOSS_BATCH_LOOP(huber_val(p, yi, delta), huber_grad(p, yi, delta));
        return;
    case LOSS_LOGISTIC:
        LOSS_BATCH_LOOP(logistic_val(p, yi), logistic_grad(p, yi));
        return;
    case LOSS_HINGE:
        LOSS_BATCH_LOOP(hinge_val(p, yi, margin), hinge_grad(p, yi, margin));
        return;
    case LOSS_SOFTMAX:
        break;
    }
    /* No K = 1 form: make the misuse visible rather than silently zero. */
    if (dpred)
        for (size_t j = 0; j < N * M; j++)
            dpred[j] = NAN;
    if (loss_sum && N > 0)
        for (size_t m = 0; m < M; m++)
            loss_sum[m] += (double)NAN;
}

#undef LOSS_BATCH_LOOP

/* ---- softmax cross-entropy --------------------------------------------- */

/*
 * For each row i and model m, with z = logits[i, m, :] (K), mx = max z and
 * S = sum_k exp(z_k - mx):
 *   loss = log S + mx - z_y        (>= 0, finite for any finite z)
 *   p_k  = exp(z_k - mx) / S
 *   dz_k = w_i (p_k - [k == y])
 * The exponentials go into probs (or dlogits) on the way, so each is
 * computed once; with neither buffer the loss needs only S.
 *   logits, dlogits, probs: (N, M, K)   y, w: (N)   loss_sum: (M)
 */
void softmax_xent_batch(const float *logits, const float *y, const float *w, size_t N, size_t M,
                        size_t K, float *dlogits, float *probs, double *loss_sum)
{
    if (K == 0)
        return;
    for (size_t i = 0; i < N; i++) {
        const float wi = w ? w[i] : 1.0f;
        /* A label is valid when it is in [0, K) (comparisons reject NaN). */
        const float yf = y[i];
        const int valid = yf >= 0.0f && yf < (float)K;
        const size_t yi = valid ? (size_t)yf : 0;
        for (size_t m = 0; m < M; m++) {
            const size_t off = (i * M + m) * K;
            const float *z = logits + off;
            float *e = probs ? probs + off : dlogits ? dlogits + off : NULL;

            float mx = z[0];
            for (size_t k = 1; k < K; k++)
                mx = z[k] > mx ? z[k] : mx;
            /* Read z_y before e (which may alias z) is written. */
            const float zy = z[yi];

            double S = 0.0;
            if (e) {
                for (size_t k = 0; k < K; k++) {
                    const float ek = expf(z[k] - mx);
                    e[k] = ek;
                    S += (double)ek;
                }
            } else {
                for (size_t k = 0; k < K; k++)
                    S += (double)expf(z[k] - mx);
            }

            if (loss_sum) {
                const double l = log(S) + ((double)mx - (double)zy);
                loss_sum[m] += valid ? (double)wi * l : (double)NAN;
            }
            if (!e)
                continue;

            const float inv = (float)(1.0 / S);
            if (probs)
                for (size_t k = 0; k < K; k++)
                    probs[off + k] = e[k] * inv;
            if (dlogits) {
                /* e == probs (already normalised) or e == dlogits (not yet). */
                const float scale = probs ? wi : wi * inv;
                const float *src = probs ? probs + off : e;
                float *d = dlogits + off;
                for (size_t k = 0; k < K; k++)
                    d[k] = scale * src[k];
                if (valid)
                    d[yi] -= wi;
            }
        }
    }
}
