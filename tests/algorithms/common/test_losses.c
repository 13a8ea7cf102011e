/*
 * test_losses.c: algorithms/common/losses.c and gradcheck.c: known values and
 * kink subgradients of every K = 1 loss, finite-difference checks of
 * loss_grad against loss_value, the batched forms against the scalar ones,
 * softmax cross-entropy (gradient check, probabilities, extreme logits),
 * the stability of the logistic loss and the sigmoid, and gradcheck itself.
 */
#include <math.h>

#include "support/harness.h"
#include "support/gradcheck.h"
#include "common/losses.h"

static const struct loss_params LP = { .eps = 0.3f, .quantile = 0.7f, .huber_delta = 1.5f, .margin = 1.0f };

static const enum loss_kind K1_LOSSES[] = {
    LOSS_SQUARED, LOSS_ABSOLUTE, LOSS_EPS_SQUARED, LOSS_EPS_ABSOLUTE,
    LOSS_QUANTILE, LOSS_HUBER, LOSS_LOGISTIC, LOSS_HINGE,
};
#define N_K1 (sizeof(K1_LOSSES) / sizeof(K1_LOSSES[0]))

static int is_classification(enum loss_kind k)
{
    return k == LOSS_LOGISTIC || k == LOSS_HINGE;
}

/* Within `d` of a point where the loss is not differentiable (or, for
 * Huber, where the second derivative jumps). */
static int near_kink(enum loss_kind k, float p, float y, float d)
{
    float r = p - y;
    switch (k) {
    case LOSS_ABSOLUTE:
    case LOSS_QUANTILE: return fabsf(r) < d;
    case LOSS_EPS_SQUARED:
    case LOSS_EPS_ABSOLUTE: return fabsf(fabsf(r) - LP.eps) < d;
    case LOSS_HUBER: return fabsf(fabsf(r) - LP.huber_delta) < d;
    case LOSS_HINGE: return fabsf(LP.margin - (2.0f * y - 1.0f) * p) < d;
    default: return 0;
    }
}

struct scalar_ctx {
    enum loss_kind kind;
    float y;
};

static double scalar_loss(const float *x, void *ctx)
{
    const struct scalar_ctx *c = ctx;
    return (double)loss_value(c->kind, &LP, x[0], c->y);
}

TEST(losses_known_values)
{
    ASSERT_NEAR(loss_value(LOSS_SQUARED, &LP, 3.0f, 1.0f), 2.0, 1e-7);
    ASSERT_NEAR(loss_grad(LOSS_SQUARED, &LP, 3.0f, 1.0f), 2.0, 1e-7);
    ASSERT_NEAR(loss_value(LOSS_ABSOLUTE, &LP, -1.0f, 1.5f), 2.5, 1e-7);
    ASSERT_NEAR(loss_grad(LOSS_ABSOLUTE, &LP, -1.0f, 1.5f), -1.0, 0);
    /* |r| = 1, eps = 0.3 -> a = 0.7 */
    ASSERT_NEAR(loss_value(LOSS_EPS_SQUARED, &LP, 2.0f, 1.0f), 0.5 * 0.7 * 0.7, 1e-6);
    ASSERT_NEAR(loss_grad(LOSS_EPS_SQUARED, &LP, 0.0f, 1.0f), -0.7, 1e-6);
    ASSERT_NEAR(loss_value(LOSS_EPS_ABSOLUTE, &LP, 2.0f, 1.0f), 0.7, 1e-6);
    ASSERT_NEAR(loss_value(LOSS_EPS_ABSOLUTE, &LP, 1.2f, 1.0f), 0.0, 0);
    ASSERT_NEAR(loss_grad(LOSS_EPS_ABSOLUTE, &LP, 1.2f, 1.0f), 0.0, 0);
    /* tau = 0.7: under-prediction costs 0.7 per unit, over-prediction 0.3 */
    ASSERT_NEAR(loss_value(LOSS_QUANTILE, &LP, 0.0f, 2.0f), 1.4, 1e-6);
    ASSERT_NEAR(loss_value(LOSS_QUANTILE, &LP, 2.0f, 0.0f), 0.6, 1e-6);
    ASSERT_NEAR(loss_grad(LOSS_QUANTILE, &LP, 0.0f, 2.0f), -0.7, 1e-6);
    ASSERT_NEAR(loss_grad(LOSS_QUANTILE, &LP, 2.0f, 0.0f), 0.3, 1e-6);
    /* delta = 1.5 */
    ASSERT_NEAR(loss_value(LOSS_HUBER, &LP, 1.0f, 0.0f), 0.5, 1e-7);
    ASSERT_NEAR(loss_value(LOSS_HUBER, &LP, 4.0f, 0.0f), 1.5 * (4.0 - 0.75), 1e-6);
    ASSERT_NEAR(loss_grad(LOSS_HUBER, &LP, -4.0f, 0.0f), -1.5, 0);
    ASSERT_NEAR(loss_value(LOSS_LOGISTIC, &LP, 0.0f, 1.0f), log(2.0), 1e-7);
    ASSERT_NEAR(loss_value(LOSS_LOGISTIC, &LP, 2.0f, 0.0f), log1p(exp(2.0)), 1e-6);
    ASSERT_NEAR(loss_grad(LOSS_LOGISTIC, &LP, 0.0f, 1.0f), -0.5, 1e-7);
    /* hinge: y = 0 -> s = -1; margin 1 */
    ASSERT_NEAR(loss_value(LOSS_HINGE, &LP, 0.5f, 0.0f), 1.5, 1e-7);
    ASSERT_NEAR(loss_grad(LOSS_HINGE, &LP, 0.5f, 0.0f), 1.0, 0);
    ASSERT_NEAR(loss_value(LOSS_HINGE, &LP, 2.0f, 1.0f), 0.0, 0);
    ASSERT_NEAR(loss_grad(LOSS_HINGE, &LP, 2.0f, 1.0f), 0.0, 0);
    /* NULL params are the documented defaults (margin 1, delta 1, ...). */
    ASSERT_NEAR(loss_value(LOSS_HINGE, NULL, 0.0f, 1.0f), 1.0, 0);
    ASSERT_NEAR(loss_value(LOSS_HUBER, NULL, 3.0f, 0.0f), 2.5, 1e-7);
    /* Softmax has no scalar form. */
    ASSERT(isnan(loss_value(LOSS_SOFTMAX, &LP, 0.0f, 0.0f)));
    ASSERT(isnan(loss_grad(LOSS_SOFTMAX, &LP, 0.0f, 0.0f)));
}

TEST(losses_subgradient_zero_at_kinks)
{
    ASSERT(loss_grad(LOSS_ABSOLUTE, &LP, 1.25f, 1.25f) == 0.0f);
    ASSERT(loss_grad(LOSS_QUANTILE, &LP, 1.25f, 1.25f) == 0.0f);
    ASSERT(loss_grad(LOSS_EPS_ABSOLUTE, &LP, 1.0f, 1.0f) == 0.0f);
    ASSERT(loss_grad(LOSS_EPS_SQUARED, &LP, 1.0f, 1.0f) == 0.0f);
    /* exactly on the tube edge |r| = eps (0.5 - 0.25 is exact in float) */
    struct loss_params lp = LP;
    lp.eps = 0.25f;
    ASSERT(loss_grad(LOSS_EPS_ABSOLUTE, &lp, 0.5f, 0.25f) == 0.0f);
    ASSERT(loss_grad(LOSS_EPS_SQUARED, &lp, 0.5f, 0.25f) == 0.0f);
    /* hinge exactly at the margin: y = 1, p = 1 */
    ASSERT(loss_grad(LOSS_HINGE, &LP, 1.0f, 1.0f) == 0.0f);
    ASSERT(loss_grad(LOSS_SQUARED, &LP, 2.0f, 2.0f) == 0.0f);
    ASSERT(loss_grad(LOSS_HUBER, &LP, 2.0f, 2.0f) == 0.0f);
}

/* Finite differences of loss_value against loss_grad at points away from
 * the kinks, for every K = 1 loss. */
TEST(losses_grad_matches_finite_differences)
{
    static const float preds[] = { -3.1f, -1.7f, -0.6f, -0.15f, 0.2f, 0.45f, 1.3f, 2.2f, 4.0f };
    static const float yreg[] = { -1.2f, 0.0f, 0.5f, 1.0f, 2.7f };
    static const float ycls[] = { 0.0f, 1.0f };
    const double h = 1e-2;
    for (size_t k = 0; k < N_K1; k++) {
        const enum loss_kind kind = K1_LOSSES[k];
        const float *ys = is_classification(kind) ? ycls : yreg;
        const size_t ny = is_classification(kind) ? 2 : sizeof(yreg) / sizeof(yreg[0]);
        int checked = 0;
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < sizeof(preds) / sizeof(preds[0]); i++) {
                if (near_kink(kind, preds[i], ys[j], 0.05f))
                    continue;
                struct scalar_ctx c = { kind, ys[j] };
                float x = preds[i];
                const float g = loss_grad(kind, &LP, x, ys[j]);
                const double err = gradcheck(scalar_loss, &c, &x, &g, 1, h);
                if (!(err < 1e-3))
                    test_fail(__FILE__, __LINE__, "loss %d at p=%g y=%g: grad %g, rel err %g", (int)kind,
                              (double)preds[i], (double)ys[j], (double)g, err);
                ASSERT(x == preds[i]);
                checked++;
            }
        ASSERT(checked >= 8);
    }
}

/* A deterministic pseudo-random float in [lo, hi). */
static float frand(unsigned *st, float lo, float hi)
{
    *st = *st * 1103515245u + 12345u;
    return lo + (hi - lo) * (float)((*st >> 8) & 0xFFFF) / 65536.0f;
}

TEST(losses_batch_equals_scalar)
{
    enum { N = 7, M = 3 };
    float pred[N * M], y[N], w[N], dpred[N * M], dpred_nw[N * M], inplace[N * M];
    unsigned st = 7;
    for (size_t k = 0; k < N_K1; k++) {
        const enum loss_kind kind = K1_LOSSES[k];
        for (int i = 0; i < N; i++) {
            y[i] = is_classification(kind) ? (float)(i % 2) : frand(&st, -2.0f, 2.0f);
            w[i] = frand(&st, 0.1f, 2.0f);
            for (int m = 0; m < M; m++)
                pred[i * M + m] = frand(&st, -3.0f, 3.0f);
        }
        /* one residual exactly at zero, to compare the kink choice too */
        pred[1 * M + 2] = y[1];

        double sum[M] = { 0.5, -1.0, 2.0 }, sum_nw[M] = { 0 }, sum_fwd[M] = { 0 };
        loss_batch(kind, &LP, pred, y, w, N, M, dpred, sum);
        loss_batch(kind, &LP, pred, y, NULL, N, M, dpred_nw, sum_nw);
        loss_batch(kind, &LP, pred, y, w, N, M, NULL, sum_fwd);
        memcpy(inplace, pred, sizeof(pred));
        loss_batch(kind, &LP, inplace, y, w, N, M, inplace, NULL);

        for (int m = 0; m < M; m++) {
            double ref = 0.0, ref_nw = 0.0;
            for (int i = 0; i < N; i++) {
                const float p = pred[i * M + m];
                const float v = loss_value(kind, &LP, p, y[i]);
                const float g = loss_grad(kind, &LP, p, y[i]);
                ref += (double)w[i] * v;
                ref_nw += v;
                ASSERT_NEAR(dpred[i * M + m], w[i] * g, 1e-6 * (1.0 + fabs(g)));
                ASSERT_NEAR(dpred_nw[i * M + m], g, 1e-6 * (1.0 + fabs(g)));
                ASSERT_NEAR(inplace[i * M + m], w[i] * g, 1e-6 * (1.0 + fabs(g)));
            }
            const double init[M] = { 0.5, -1.0, 2.0 };
            ASSERT_NEAR(sum[m] - init[m], ref, 1e-5 * (1.0 + fabs(ref)));
            ASSERT_NEAR(sum_nw[m], ref_nw, 1e-5 * (1.0 + fabs(ref_nw)));
            ASSERT_NEAR(sum_fwd[m], ref, 1e-5 * (1.0 + fabs(ref)));
        }
    }
}

TEST(losses_batch_softmax_kind_is_nan)
{
    float pred[2] = { 0.0f, 1.0f }, y[2] = { 0.0f, 1.0f }, d[2] = { 0 };
    double sum[1] = { 0 };
    loss_batch(LOSS_SOFTMAX, &LP, pred, y, NULL, 2, 1, d, sum);
    ASSERT(isnan(d[0]) && isnan(d[1]) && isnan(sum[0]));
}

TEST(losses_logistic_large_logits_finite)
{
    const float ps[] = { 100.0f, -100.0f, 1e4f, -1e4f, 88.0f, -88.0f };
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        for (int y = 0; y <= 1; y++) {
            const float v = loss_value(LOSS_LOGISTIC, &LP, ps[i], (float)y);
            const float g = loss_grad(LOSS_LOGISTIC, &LP, ps[i], (float)y);
            ASSERT(isfinite(v) && v >= 0.0f);
            ASSERT(isfinite(g) && g >= -1.0f && g <= 1.0f);
        }
    /* wrong side: loss ~ |p|; right side: loss ~ e^-|p| */
    ASSERT_NEAR(loss_value(LOSS_LOGISTIC, &LP, 100.0f, 0.0f), 100.0, 1e-4);
    ASSERT_NEAR(loss_value(LOSS_LOGISTIC, &LP, -100.0f, 1.0f), 100.0, 1e-4);
    ASSERT(loss_value(LOSS_LOGISTIC, &LP, 100.0f, 1.0f) < 1e-30f);
    ASSERT(loss_value(LOSS_LOGISTIC, &LP, -100.0f, 0.0f) < 1e-30f);
    ASSERT_NEAR(loss_grad(LOSS_LOGISTIC, &LP, 100.0f, 0.0f), 1.0, 1e-7);
    ASSERT_NEAR(loss_grad(LOSS_LOGISTIC, &LP, -100.0f, 1.0f), -1.0, 1e-7);
    /* batched too */
    float p[2] = { 100.0f, -100.0f }, y[1] = { 0.0f }, d[2];
    double sum[2] = { 0 };
    loss_batch(LOSS_LOGISTIC, &LP, p, y, NULL, 1, 2, d, sum);
    ASSERT_NEAR(sum[0], 100.0, 1e-4);
    ASSERT(sum[1] >= 0.0 && sum[1] < 1e-30);
    ASSERT(isfinite(d[0]) && isfinite(d[1]));
}

TEST(losses_sigmoid_stable)
{
    ASSERT_NEAR(sigmoid(0.0f), 0.5, 0);
    ASSERT_NEAR(sigmoid(2.0f), 1.0 / (1.0 + exp(-2.0)), 1e-7);
    ASSERT_NEAR(sigmoid(-2.0f), 1.0 / (1.0 + exp(2.0)), 1e-7);
    const float xs[] = { 1e4f, -1e4f, 100.0f, -100.0f, 1e30f, -1e30f, INFINITY, -INFINITY };
    for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
        const float s = sigmoid(xs[i]);
        ASSERT(isfinite(s) && s >= 0.0f && s <= 1.0f);
    }
    ASSERT(sigmoid(100.0f) == 1.0f);
    ASSERT(sigmoid(-100.0f) > 0.0f); /* e^-100: the tail keeps its precision */
    ASSERT_NEAR(sigmoid(-50.0f) / exp(-50.0), 1.0, 1e-5);
    for (float x = -20.0f; x <= 20.0f; x += 0.37f)
        ASSERT_NEAR(sigmoid(x) + sigmoid(-x), 1.0, 1e-6);
}

/* ---- softmax cross-entropy ---------------------------------------------- */

enum { SN = 3, SM = 2, SK = 4 };

struct xent_ctx {
    const float *y, *w;
};

static double xent_total(const float *logits, void *ctx)
{
    const struct xent_ctx *c = ctx;
    double sum[SM] = { 0 };
    softmax_xent_batch(logits, c->y, c->w, SN, SM, SK, NULL, NULL, sum);
    return sum[0] + sum[1];
}

TEST(losses_softmax_xent_gradcheck)
{
    float logits[SN * SM * SK], d[SN * SM * SK], probs[SN * SM * SK];
    const float y[SN] = { 2.0f, 0.0f, 3.0f }, w[SN] = { 0.5f, 1.0f, 1.7f };
    unsigned st = 42;
    for (size_t j = 0; j < sizeof(logits) / sizeof(logits[0]); j++)
        logits[j] = frand(&st, -1.0f, 1.0f);
    double sum[SM] = { 0 };
    softmax_xent_batch(logits, y, w, SN, SM, SK, d, probs, sum);

    struct xent_ctx c = { y, w };
    size_t wi = 0;
    double wn = 0;
    const double err = gradcheck_worst(xent_total, &c, logits, d, SN * SM * SK, 1e-2, &wi, &wn);
    if (!(err < 1e-3))
        test_fail(__FILE__, __LINE__, "rel err %g at %zu: analytic %g numerical %g", err, wi, (double)d[wi], wn);

    /* loss and gradient against a direct double-precision evaluation */
    for (int i = 0; i < SN; i++)
        for (int m = 0; m < SM; m++) {
            const float *z = logits + (i * SM + m) * SK;
            double S = 0;
            for (int k = 0; k < SK; k++)
                S += exp((double)z[k]);
            for (int k = 0; k < SK; k++) {
                const double p = exp((double)z[k]) / S;
                ASSERT_NEAR(probs[(i * SM + m) * SK + k], p, 1e-6);
                ASSERT_NEAR(d[(i * SM + m) * SK + k], w[i] * (p - (k == (int)y[i])), 1e-6);
            }
        }
    double ref[SM] = { 0 };
    for (int i = 0; i < SN; i++)
        for (int m = 0; m < SM; m++) {
            const float *z = logits + (i * SM + m) * SK;
            double S = 0;
            for (int k = 0; k < SK; k++)
                S += exp((double)z[k]);
            ref[m] += w[i] * (log(S) - z[(int)y[i]]);
        }
    ASSERT_NEAR(sum[0], ref[0], 1e-5);
    ASSERT_NEAR(sum[1], ref[1], 1e-5);

    /* The gradient alone (no probs buffer) is the same. */
    float d_only[SN * SM * SK];
    softmax_xent_batch(logits, y, w, SN, SM, SK, d_only, NULL, NULL);
    for (size_t j = 0; j < sizeof(d_only) / sizeof(d_only[0]); j++)
        ASSERT_NEAR(d_only[j], d[j], 1e-6 * (1.0 + fabs(d[j])));
}

TEST(losses_softmax_xent_extreme_logits)
{
    enum { N = 4, K = 5 };
    float logits[N * K] = {
        1e4f, -1e4f, 0.0f, -1e4f, 1e4f,      /* two tied maxima */
        -1e4f, -1e4f, -1e4f, -1e4f, 1e4f,
        -1e4f, -1e4f, -1e4f, -1e4f, -1e4f,   /* all equal and very negative */
        1e4f, 1e4f - 1.0f, 0.0f, 3.0f, -2.0f,
    };
    const float y[N] = { 1.0f, 4.0f, 2.0f, 0.0f };
    float probs[N * K], d[N * K];
    double sum[1] = { 0 };
    softmax_xent_batch(logits, y, NULL, N, 1, K, d, probs, sum);
    ASSERT(isfinite(sum[0]));
    for (int i = 0; i < N; i++) {
        double total = 0;
        for (int k = 0; k < K; k++) {
            ASSERT(isfinite(probs[i * K + k]) && probs[i * K + k] >= 0.0f);
            ASSERT(isfinite(d[i * K + k]));
            total += probs[i * K + k];
        }
        ASSERT_NEAR(total, 1.0, 1e-6);
    }
    ASSERT_NEAR(probs[0], 0.5, 1e-7);
    ASSERT_NEAR(probs[4], 0.5, 1e-7);
    ASSERT_NEAR(probs[2 * K + 3], 0.2, 1e-7);
    /* row 0: label at -1e4 with max 1e4 and two maxima: 2e4 + log 2;
     * row 1: label is the max (~0); row 2: log 5; row 3: log(1 + e^-1) */
    const double expect = (2e4 + log(2.0)) + 0.0 + log(5.0) + log1p(exp(-1.0));
    ASSERT_NEAR(sum[0], expect, 1e-2);

    /* Loss only (no output buffers) gives the same sum. */
    double sum2[1] = { 0 };
    softmax_xent_batch(logits, y, NULL, N, 1, K, NULL, NULL, sum2);
    ASSERT_NEAR(sum2[0], sum[0], 1e-9);
}

TEST(losses_softmax_xent_in_place_and_bad_labels)
{
    enum { K = 3 };
    const float z[K] = { 0.3f, -1.0f, 2.0f };
    float ref_d[K], ref_p[K], buf[K];
    const float y[1] = { 1.0f };
    double s0[1] = { 0 }, s1[1] = { 0 }, s2[1] = { 0 };
    softmax_xent_batch(z, y, NULL, 1, 1, K, ref_d, ref_p, s0);

    /* dlogits written over the logits, probs elsewhere */
    memcpy(buf, z, sizeof(z));
    float p[K];
    softmax_xent_batch(buf, y, NULL, 1, 1, K, buf, p, s1);
    for (int k = 0; k < K; k++) {
        ASSERT_NEAR(buf[k], ref_d[k], 1e-7);
        ASSERT_NEAR(p[k], ref_p[k], 1e-7);
    }
    ASSERT_NEAR(s1[0], s0[0], 1e-12);
    /* probs written over the logits, no gradient */
    memcpy(buf, z, sizeof(z));
    softmax_xent_batch(buf, y, NULL, 1, 1, K, NULL, buf, s2);
    for (int k = 0; k < K; k++)
        ASSERT_NEAR(buf[k], ref_p[k], 1e-7);
    ASSERT_NEAR(s2[0], s0[0], 1e-12);

    /* Labels outside [0, K) (and NaN): NaN loss, no out-of-bounds write. */
    const float bad[3] = { -1.0f, 3.0f, NAN };
    for (int b = 0; b < 3; b++) {
        float d[K + 2] = { 0 };
        double s[1] = { 0 };
        softmax_xent_batch(z, &bad[b], NULL, 1, 1, K, d + 1, NULL, s);
        ASSERT(isnan(s[0]));
        ASSERT(d[0] == 0.0f && d[K + 1] == 0.0f);
        for (int k = 0; k < K; k++)
            ASSERT_NEAR(d[1 + k], ref_p[k], 1e-7);
    }
}

/* ---- gradcheck itself --------------------------------------------------- */

static double cubic_sum(const float *x, void *ctx)
{
    (void)ctx;
    double s = 0;
    for (int i = 0; i < 3; i++)
        s += (double)x[i] * x[i] * x[i];
    return s;
}

TEST(losses_gradcheck_detects_wrong_gradient_and_restores_x)
{
    float x[3] = { 0.5f, -1.25f, 2.0f };
    const float x0[3] = { 0.5f, -1.25f, 2.0f };
    float good[3], bad[3];
    for (int i = 0; i < 3; i++)
        good[i] = bad[i] = 3.0f * x[i] * x[i];
    bad[1] *= 1.1f;
    ASSERT(gradcheck(cubic_sum, NULL, x, good, 3, 1e-3) < 1e-4);
    ASSERT(memcmp(x, x0, sizeof(x)) == 0);
    size_t wi = 99;
    double wn = 0;
    const double err = gradcheck_worst(cubic_sum, NULL, x, bad, 3, 1e-3, &wi, &wn);
    ASSERT(err > 0.01);
    ASSERT_EQ_INT(wi, 1);
    ASSERT_NEAR(wn, 3.0 * 1.25 * 1.25, 1e-3);
    ASSERT(memcmp(x, x0, sizeof(x)) == 0);
    bad[2] = NAN;
    ASSERT(isnan(gradcheck(cubic_sum, NULL, x, bad, 3, 1e-3)));
    ASSERT(gradcheck(cubic_sum, NULL, x, good, 0, 1e-3) == 0.0);
}
