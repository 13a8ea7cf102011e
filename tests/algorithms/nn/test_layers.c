/*
 * test_layers.c: the layers of algorithms/nn/nn.h one at a time:
 * forward results against naive reference loops, every backward pass
 * against central finite differences (gradcheck.h), the accumulate (+=) /
 * write (=) conventions, ids >= V never read (run under ASan: every table is
 * malloc'ed at its exact size), dropout statistics, sparse SGD with repeated
 * rows, OpenBLAS threading.  The generator, initialisers and parallel-for
 * are in tests/algorithms/common/test_rng_parallel.c; the end-to-end network and training in
 * test_nn_net.c.
 *
 * Gradient checks: h = 1e-2 on float inputs of magnitude ~1, loss
 * L = sum_i c_i y_i + 0.5 sum_i y_i^2 over the layer output y (so dy = c + y,
 * not a constant), accumulated in double.  The central-difference truncation
 * error is h^2/6 |f'''| (zero for the linear layers, ~1e-4 relative for
 * tanh), the float rounding error of the forward ~6e-8 |L| / h ~ 1e-5..1e-4;
 * measured worst errors are 6e-4 (tanh), 1e-4 (dense), <1e-5 (the rest).
 * The bound GC_TOL = 2e-3 keeps 3x headroom over the worst, while a wrong
 * factor, index or missing term gives errors of order 1.  Inputs of the
 * kinked layer (relu) are kept at least 0.1 away from the kink (> h).
 */
#include <math.h>
#include <stdint.h>

#include "support/harness.h"
#include "support/gradcheck.h"
#include "common/parallel.h"
#include "nn/nn.h"

#define GC_H 1e-2
#define GC_TOL 2e-3

static void fill(float *w, size_t n, float lo, float hi, uint64_t seed)
{
    uint64_t s = seed;
    nn_init_uniform(w, n, lo, hi, &s);
}




/* ------------------------------------------------------------------ dense */

struct dense_ctx {
    float *x, *W, *b, *y, *c;
    size_t N, I, O;
};

static double dense_loss(const float *unused, void *ctx)
{
    struct dense_ctx *d = ctx;
    nn_dense_forward(d->x, d->W, d->b, d->N, d->I, d->O, d->y);
    return gradcheck_quad_loss(d->y, d->c, d->N * d->O, NULL);
}

TEST(nn_dense_forward_matches_naive)
{
    static const size_t shapes[][3] = { { 5, 7, 3 }, { 1, 6, 4 }, { 9, 1, 2 }, { 2, 3, 1 }, { 33, 17, 12 } };
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        const size_t N = shapes[s][0], I = shapes[s][1], O = shapes[s][2];
        float *x = gradcheck_floats(N * I), *W = gradcheck_floats(I * O), *b = gradcheck_floats(O), *y = gradcheck_floats(N * O), *y0 = gradcheck_floats(N * O);
        fill(x, N * I, -1, 1, 1 + s);
        fill(W, I * O, -1, 1, 2 + s);
        fill(b, O, -1, 1, 3 + s);
        nn_dense_forward(x, W, b, N, I, O, y);
        nn_dense_forward(x, W, NULL, N, I, O, y0);
        for (size_t r = 0; r < N; r++)
            for (size_t o = 0; o < O; o++) {
                double ref = 0.0;
                for (size_t i = 0; i < I; i++)
                    ref += (double)x[r * I + i] * W[i * O + o];
                ASSERT_NEAR(y0[r * O + o], ref, 1e-5 * (1.0 + fabs(ref)));
                ASSERT_NEAR(y[r * O + o], ref + b[o], 1e-5 * (1.0 + fabs(ref)));
            }
        free(x), free(W), free(b), free(y), free(y0);
    }
    /* I = 0: y is the bias (or zeros). */
    float b[2] = { 1.5f, -2.0f }, y[4] = { 9, 9, 9, 9 };
    nn_dense_forward(NULL, NULL, b, 2, 0, 2, y);
    ASSERT(y[0] == 1.5f && y[1] == -2.0f && y[2] == 1.5f && y[3] == -2.0f);
    nn_dense_forward(NULL, NULL, NULL, 2, 0, 2, y);
    ASSERT(y[0] == 0.0f && y[3] == 0.0f);
}

/* dW, db, dx against finite differences of dense_loss, for a batch (sgemm)
 * and a single row (sgemv / sger), and the += / = conventions. */
TEST(nn_dense_backward_gradcheck)
{
    static const size_t shapes[][3] = { { 4, 5, 3 }, { 1, 6, 4 }, { 7, 2, 5 } };
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        const size_t N = shapes[s][0], I = shapes[s][1], O = shapes[s][2];
        struct dense_ctx d = { gradcheck_floats(N * I), gradcheck_floats(I * O), gradcheck_floats(O), gradcheck_floats(N * O), gradcheck_floats(N * O),
                               N, I, O };
        float *dy = gradcheck_floats(N * O), *dW = gradcheck_floats(I * O), *db = gradcheck_floats(O), *dx = gradcheck_floats(N * I);
        float *dW0 = gradcheck_floats(I * O), *db0 = gradcheck_floats(O);
        fill(d.x, N * I, -1, 1, 10 + s);
        fill(d.W, I * O, -1, 1, 20 + s);
        fill(d.b, O, -1, 1, 30 + s);
        fill(d.c, N * O, -1, 1, 40 + s);
        /* Nonzero starting gradients: backward must add to them. */
        fill(dW0, I * O, -5, 5, 50 + s);
        fill(db0, O, -5, 5, 60 + s);
        memcpy(dW, dW0, I * O * sizeof(float));
        memcpy(db, db0, O * sizeof(float));
        fill(dx, N * I, 100, 200, 70 + s); /* garbage: dx must be overwritten */

        dense_loss(NULL, &d);
        gradcheck_quad_loss(d.y, d.c, N * O, dy);
        nn_dense_backward(d.x, d.W, dy, N, I, O, dW, db, dx);
        for (size_t i = 0; i < I * O; i++)
            dW[i] -= dW0[i];
        for (size_t o = 0; o < O; o++)
            db[o] -= db0[o];
        gradcheck_require(GC_H, "dense dW", dense_loss, &d, d.W, dW, I * O, GC_TOL);
        gradcheck_require(GC_H, "dense db", dense_loss, &d, d.b, db, O, GC_TOL);
        gradcheck_require(GC_H, "dense dx", dense_loss, &d, d.x, dx, N * I, GC_TOL);

        /* NULL db and dx are allowed; dW alone is the same. */
        float *dW2 = gradcheck_floats(I * O);
        memset(dW2, 0, I * O * sizeof(float));
        nn_dense_backward(d.x, d.W, dy, N, I, O, dW2, NULL, NULL);
        for (size_t i = 0; i < I * O; i++)
            ASSERT_NEAR(dW2[i], dW[i], 1e-4 * (1.0 + fabs(dW[i])));
        free(dW2);
        free(d.x), free(d.W), free(d.b), free(d.y), free(d.c);
        free(dy), free(dW), free(db), free(dx), free(dW0), free(db0);
    }
}

/* The backward products against naive loops (not only finite differences). */
TEST(nn_dense_backward_matches_naive)
{
    enum { N = 6, I = 5, O = 4 };
    float x[N * I], W[I * O], dy[N * O], dW[I * O] = { 0 }, db[O] = { 0 }, dx[N * I];
    fill(x, N * I, -1, 1, 1);
    fill(W, I * O, -1, 1, 2);
    fill(dy, N * O, -1, 1, 3);
    nn_dense_backward(x, W, dy, N, I, O, dW, db, dx);
    for (int i = 0; i < I; i++)
        for (int o = 0; o < O; o++) {
            double ref = 0.0;
            for (int r = 0; r < N; r++)
                ref += (double)x[r * I + i] * dy[r * O + o];
            ASSERT_NEAR(dW[i * O + o], ref, 1e-5);
        }
    for (int o = 0; o < O; o++) {
        double ref = 0.0;
        for (int r = 0; r < N; r++)
            ref += dy[r * O + o];
        ASSERT_NEAR(db[o], ref, 1e-5);
    }
    for (int r = 0; r < N; r++)
        for (int i = 0; i < I; i++) {
            double ref = 0.0;
            for (int o = 0; o < O; o++)
                ref += (double)dy[r * O + o] * W[i * O + o];
            ASSERT_NEAR(dx[r * I + i], ref, 1e-5);
        }
}

/* ------------------------------------------------------------ activations */

static double act_ref(enum nn_act a, double x)
{
    switch (a) {
    case NN_ACT_RELU: return x > 0 ? x : 0;
    case NN_ACT_TANH: return tanh(x);
    case NN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    default: return x;
    }
}

struct act_ctx {
    enum nn_act act;
    float *y, *c;
    size_t n;
};

static double act_loss(const float *x, void *ctx)
{
    struct act_ctx *a = ctx;
    nn_act_forward(a->act, x, a->y, a->n);
    return gradcheck_quad_loss(a->y, a->c, a->n, NULL);
}

TEST(nn_act_forward_matches_reference)
{
    enum { n = 64 };
    static const enum nn_act acts[] = { NN_ACT_NONE, NN_ACT_RELU, NN_ACT_TANH, NN_ACT_SIGMOID };
    float x[n], y[n], z[n];
    fill(x, n, -6, 6, 5);
    x[0] = 0.0f;
    x[1] = -0.0f;
    for (size_t k = 0; k < 4; k++) {
        nn_act_forward(acts[k], x, y, n);
        for (int i = 0; i < n; i++)
            ASSERT_NEAR(y[i], act_ref(acts[k], x[i]), 2e-7 * (1.0 + fabs(act_ref(acts[k], x[i]))));
        memcpy(z, x, sizeof(z));
        nn_act_forward(acts[k], z, z, n); /* in place */
        ASSERT(memcmp(z, y, sizeof(z)) == 0);
    }
    /* Saturation: finite, in range, no NaN. */
    const float big[4] = { 1e4f, -1e4f, 100.0f, -100.0f };
    float out[4];
    nn_act_forward(NN_ACT_SIGMOID, big, out, 4);
    ASSERT(out[0] == 1.0f && out[1] == 0.0f && out[2] == 1.0f && out[3] >= 0.0f && out[3] < 1e-40f);
    nn_act_forward(NN_ACT_TANH, big, out, 4);
    ASSERT(out[0] == 1.0f && out[1] == -1.0f);
}

TEST(nn_act_backward_gradcheck)
{
    enum { n = 40 };
    static const enum nn_act acts[] = { NN_ACT_NONE, NN_ACT_RELU, NN_ACT_TANH, NN_ACT_SIGMOID };
    static const char *names[] = { "none", "relu", "tanh", "sigmoid" };
    float x[n], y[n], c[n], dy[n], dx[n], inplace[n];
    for (size_t k = 0; k < 4; k++) {
        fill(x, n, -3, 3, 7 + k);
        fill(c, n, -1, 1, 17 + k);
        for (int i = 0; i < n; i++) /* away from the relu kink */
            if (fabsf(x[i]) < 0.1f)
                x[i] = x[i] < 0 ? -0.1f - x[i] : 0.1f + x[i];
        struct act_ctx a = { acts[k], y, c, n };
        act_loss(x, &a);
        gradcheck_quad_loss(y, c, n, dy);
        nn_act_backward(acts[k], y, dy, dx, n);
        gradcheck_require(GC_H, names[k], act_loss, &a, x, dx, n, GC_TOL);
        memcpy(inplace, dy, sizeof(dy));
        act_loss(x, &a); /* y again (gradcheck leaves the last perturbed y) */
        nn_act_backward(acts[k], y, inplace, inplace, n);
        ASSERT(memcmp(inplace, dx, sizeof(dx)) == 0);
    }
    /* relu' is 0 where y == 0, 1 where y > 0. */
    const float ry[3] = { 0.0f, 2.0f, 0.0f }, rdy[3] = { 5.0f, 5.0f, -5.0f };
    float rdx[3];
    nn_act_backward(NN_ACT_RELU, ry, rdy, rdx, 3);
    ASSERT(rdx[0] == 0.0f && rdx[1] == 5.0f && rdx[2] == 0.0f);
}

TEST(nn_softmax_matches_reference)
{
    enum { N = 4, K = 5 };
    float z[N * K], p[N * K];
    fill(z, N * K, -4, 4, 9);
    /* a row of huge logits: stable, no overflow */
    static const float huge[K] = { 1000.0f, -1000.0f, 999.0f, 0.0f, 1000.0f };
    memcpy(z + 3 * K, huge, sizeof(huge));
    nn_softmax(z, p, N, K);
    for (int r = 0; r < N; r++) {
        double mx = -INFINITY, s = 0.0, ps = 0.0;
        for (int k = 0; k < K; k++)
            mx = fmax(mx, z[r * K + k]);
        for (int k = 0; k < K; k++)
            s += exp(z[r * K + k] - mx);
        for (int k = 0; k < K; k++) {
            const double ref = exp(z[r * K + k] - mx) / s;
            ASSERT(isfinite(p[r * K + k]));
            ASSERT_NEAR(p[r * K + k], ref, 1e-6);
            ps += p[r * K + k];
        }
        ASSERT_NEAR(ps, 1.0, 1e-6);
    }
    float q[N * K];
    memcpy(q, z, sizeof(q));
    nn_softmax(q, q, N, K); /* in place */
    ASSERT(memcmp(q, p, sizeof(q)) == 0);
}

/* ---------------------------------------------------------------- dropout */

TEST(nn_dropout_p0_is_identity)
{
    enum { n = 100 };
    float x[n], y[n];
    uint8_t mask[n];
    memset(mask, 0, sizeof(mask));
    fill(x, n, -3, 3, 1);
    uint64_t rng = 5;
    nn_dropout_forward(x, y, mask, n, 0.0f, &rng);
    ASSERT(memcmp(x, y, sizeof(x)) == 0);
    for (int i = 0; i < n; i++)
        ASSERT(mask[i] == 1);
    float dx[n];
    nn_dropout_backward(x, mask, dx, n, 0.0f);
    ASSERT(memcmp(x, dx, sizeof(x)) == 0);
}

TEST(nn_dropout_keep_rate_and_scale)
{
    enum { n = 200000 };
    const float p = 0.3f;
    float *x = gradcheck_floats(n), *y = gradcheck_floats(n);
    uint8_t *mask = malloc(n);
    ASSERT(mask);
    fill(x, n, 0.5f, 1.5f, 3);
    uint64_t rng = 11;
    nn_dropout_forward(x, y, mask, n, p, &rng);
    size_t kept = 0;
    double sx = 0.0, sy = 0.0;
    for (int i = 0; i < n; i++) {
        ASSERT(mask[i] == 0 || mask[i] == 1);
        if (mask[i]) {
            kept++;
            ASSERT(y[i] == x[i] * (1.0f / (1.0f - p)));
        } else {
            ASSERT(y[i] == 0.0f);
        }
        sx += x[i];
        sy += y[i];
    }
    /* Binomial(n, 0.7): sd = sqrt(n 0.21) ~ 205, i.e. 0.001 of n; 0.005 is ~5 sd. */
    ASSERT_NEAR((double)kept / n, 1.0 - p, 0.005);
    /* Inverted dropout keeps the expectation. */
    ASSERT_NEAR(sy / sx, 1.0, 0.01);

    /* The same seed gives the same mask; in place gives the same values. */
    uint8_t *mask2 = malloc(n);
    ASSERT(mask2);
    rng = 11;
    nn_dropout_forward(x, x, mask2, n, p, &rng);
    ASSERT(memcmp(mask, mask2, n) == 0);
    ASSERT(memcmp(x, y, n * sizeof(float)) == 0);

    /* Over many draws every unit is kept about (1 - p) of the time. */
    enum { units = 8, draws = 20000 };
    size_t cnt[units] = { 0 };
    float ux[units], uy[units];
    uint8_t um[units];
    fill(ux, units, 1, 2, 4);
    for (int d = 0; d < draws; d++) {
        nn_dropout_forward(ux, uy, um, units, 0.5f, &rng);
        for (int u = 0; u < units; u++)
            cnt[u] += um[u];
    }
    for (int u = 0; u < units; u++) /* sd = sqrt(20000 / 4) ~ 71 -> 0.0035 */
        ASSERT_NEAR((double)cnt[u] / draws, 0.5, 0.02);

    /* p = 1 drops everything (no infinite scale). */
    nn_dropout_forward(ux, uy, um, units, 1.0f, &rng);
    for (int u = 0; u < units; u++)
        ASSERT(uy[u] == 0.0f && um[u] == 0);
    free(x), free(y), free(mask), free(mask2);
}

struct drop_ctx {
    float *y, *c;
    uint8_t *mask;
    size_t n;
    float p;
    uint64_t seed;
};

static double drop_loss(const float *x, void *ctx)
{
    struct drop_ctx *d = ctx;
    uint64_t rng = d->seed; /* the same mask every call */
    nn_dropout_forward(x, d->y, d->mask, d->n, d->p, &rng);
    return gradcheck_quad_loss(d->y, d->c, d->n, NULL);
}

TEST(nn_dropout_backward_gradcheck)
{
    enum { n = 50 };
    float x[n], y[n], c[n], dy[n], dx[n];
    uint8_t mask[n];
    fill(x, n, -2, 2, 21);
    fill(c, n, -1, 1, 22);
    struct drop_ctx d = { y, c, mask, n, 0.4f, 99 };
    drop_loss(x, &d);
    size_t kept = 0;
    for (int i = 0; i < n; i++)
        kept += mask[i];
    ASSERT(kept > 10 && kept < 45); /* both kinds of unit are checked */
    gradcheck_quad_loss(y, c, n, dy);
    nn_dropout_backward(dy, mask, dx, n, d.p);
    gradcheck_require(GC_H, "dropout dx", drop_loss, &d, x, dx, n, GC_TOL);
    /* in place */
    nn_dropout_backward(dy, mask, dy, n, d.p);
    ASSERT(memcmp(dy, dx, sizeof(dx)) == 0);
}

/* -------------------------------------------------------------- embedding */

TEST(nn_embedding_forward_gather_and_bad_ids)
{
    enum { V = 6, D = 5, n = 7 };
    /* exact-size heap table: ASan reports any read past row V - 1 */
    float *E = gradcheck_floats(V * D), out[n * D];
    fill(E, V * D, -1, 1, 1);
    const uint32_t ids[n] = { 3, 0, 5, 6, UINT32_MAX, 3, 1000 };
    fill(out, n * D, 7, 8, 2);
    nn_embedding_forward(E, V, D, ids, n, out);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < D; d++)
            ASSERT(out[i * D + d] == (ids[i] < V ? E[ids[i] * D + d] : 0.0f));
    free(E);
}

struct emb_ctx {
    size_t V, D, n, N;
    const uint32_t *ids;
    const float *wts;
    const size_t *off;
    float *out, *c;
};

static double emb_loss(const float *E, void *ctx)
{
    struct emb_ctx *e = ctx;
    nn_embedding_forward(E, e->V, e->D, e->ids, e->n, e->out);
    return gradcheck_quad_loss(e->out, e->c, e->n * e->D, NULL);
}

TEST(nn_embedding_backward_gradcheck)
{
    enum { V = 5, D = 3, n = 8 };
    float *E = gradcheck_floats(V * D), *dE = gradcheck_floats(V * D), *dE0 = gradcheck_floats(V * D), out[n * D], c[n * D], dout[n * D];
    const uint32_t ids[n] = { 1, 4, 1, 7, 0, 1, UINT32_MAX, 2 }; /* repeats, bad ids, row 3 unused */
    fill(E, V * D, -1, 1, 3);
    fill(c, n * D, -1, 1, 4);
    fill(dE0, V * D, -2, 2, 5);
    memcpy(dE, dE0, V * D * sizeof(float));
    struct emb_ctx e = { V, D, n, 0, ids, NULL, NULL, out, c };
    emb_loss(E, &e);
    gradcheck_quad_loss(out, c, n * D, dout);
    nn_embedding_backward(ids, n, dout, V, D, dE);
    for (int i = 0; i < V * D; i++)
        dE[i] -= dE0[i];
    for (int d = 0; d < D; d++) /* row 3 is never looked up */
        ASSERT(dE[3 * D + d] == 0.0f);
    gradcheck_require(GC_H, "embedding dE", emb_loss, &e, E, dE, V * D, GC_TOL);
    free(E), free(dE), free(dE0);
}

static double bag_loss(const float *E, void *ctx)
{
    struct emb_ctx *e = ctx;
    nn_embedding_bag_forward(E, e->V, e->D, e->ids, e->wts, e->off, e->N, e->out);
    return gradcheck_quad_loss(e->out, e->c, e->N * e->D, NULL);
}

/* Bags: {2, 0, 2}, {}, {1, 9(bad)}, {3}, {bad}, {4, 4, 0, 1} */
enum { BV = 5, BD = 4, BN = 6, BNIDS = 11 };
static const uint32_t BAG_IDS[BNIDS] = { 2, 0, 2, 1, 9, 3, UINT32_MAX, 4, 4, 0, 1 };
static const size_t BAG_OFF[BN + 1] = { 0, 3, 3, 5, 6, 7, 11 };

TEST(nn_embedding_bag_forward_matches_naive)
{
    float *E = gradcheck_floats(BV * BD), out[BN * BD], wts[BNIDS];
    fill(E, BV * BD, -1, 1, 6);
    fill(wts, BNIDS, -2, 2, 7);
    for (int mode = 0; mode < 2; mode++) {
        const float *w = mode ? wts : NULL;
        fill(out, BN * BD, 50, 60, 8); /* garbage: must be overwritten */
        nn_embedding_bag_forward(E, BV, BD, BAG_IDS, w, BAG_OFF, BN, out);
        for (int r = 0; r < BN; r++) {
            size_t valid = 0;
            for (size_t j = BAG_OFF[r]; j < BAG_OFF[r + 1]; j++)
                valid += BAG_IDS[j] < BV;
            for (int d = 0; d < BD; d++) {
                double ref = 0.0;
                for (size_t j = BAG_OFF[r]; j < BAG_OFF[r + 1]; j++)
                    if (BAG_IDS[j] < BV)
                        ref += (w ? (double)w[j] : 1.0 / (double)valid) * E[BAG_IDS[j] * BD + d];
                ASSERT_NEAR(out[r * BD + d], ref, 1e-6);
            }
        }
        /* the empty bag and the bag of only bad ids are zeros */
        for (int d = 0; d < BD; d++)
            ASSERT(out[1 * BD + d] == 0.0f && out[4 * BD + d] == 0.0f);
    }
    /* the mean of {1, bad} is row 1 itself: bad ids do not count */
    nn_embedding_bag_forward(E, BV, BD, BAG_IDS, NULL, BAG_OFF, BN, out);
    for (int d = 0; d < BD; d++) {
        ASSERT(out[2 * BD + d] == E[1 * BD + d]);
        ASSERT(out[3 * BD + d] == E[3 * BD + d]);
    }
    free(E);
}

TEST(nn_embedding_bag_backward_gradcheck)
{
    float *E = gradcheck_floats(BV * BD), *dE = gradcheck_floats(BV * BD), *dE0 = gradcheck_floats(BV * BD);
    float out[BN * BD], c[BN * BD], dout[BN * BD], wts[BNIDS];
    fill(E, BV * BD, -1, 1, 9);
    fill(c, BN * BD, -1, 1, 10);
    fill(wts, BNIDS, -2, 2, 11);
    for (int mode = 0; mode < 2; mode++) {
        struct emb_ctx e = { BV, BD, 0, BN, BAG_IDS, mode ? wts : NULL, BAG_OFF, out, c };
        fill(dE0, BV * BD, -2, 2, 12);
        memcpy(dE, dE0, BV * BD * sizeof(float));
        bag_loss(E, &e);
        gradcheck_quad_loss(out, c, BN * BD, dout);
        nn_embedding_bag_backward(BAG_IDS, e.wts, BAG_OFF, BN, dout, BV, BD, dE);
        for (int i = 0; i < BV * BD; i++)
            dE[i] -= dE0[i];
        gradcheck_require(GC_H, mode ? "bag dE (weights)" : "bag dE (mean)", bag_loss, &e, E, dE, BV * BD, GC_TOL);
    }
    free(E), free(dE), free(dE0);
}

/* ------------------------------------------------------------- sparse SGD */

TEST(nn_sgd_rows_duplicates_apply_twice)
{
    enum { V = 4, D = 3, n = 5 };
    float *E = gradcheck_floats(V * D), E0[V * D], G[n * D];
    fill(E, V * D, -1, 1, 13);
    memcpy(E0, E, sizeof(E0));
    const uint32_t rows[n] = { 2, 0, 2, 4, UINT32_MAX }; /* 2 twice, two bad rows */
    for (int j = 0; j < n * D; j++)
        G[j] = (float)(j + 1);
    const float lr = 0.5f;
    nn_sgd_rows(E, V, D, rows, G, n, lr);
    for (int d = 0; d < D; d++) {
        ASSERT(E[0 * D + d] == E0[0 * D + d] - lr * G[1 * D + d]);
        ASSERT_NEAR(E[2 * D + d], E0[2 * D + d] - lr * G[0 * D + d] - lr * G[2 * D + d], 1e-6);
        ASSERT(E[1 * D + d] == E0[1 * D + d]);
        ASSERT(E[3 * D + d] == E0[3 * D + d]);
    }
    free(E);
}

/* A product large enough for OpenBLAS to split across its threads gives the
 * same result with 1 and 2 BLAS threads, and matches a naive loop. */
TEST(nn_dense_same_result_with_blas_threads)
{
    enum { N = 192, I = 160, O = 128 };
    float *x = gradcheck_floats(N * I), *W = gradcheck_floats(I * O), *y1 = gradcheck_floats(N * O), *y2 = gradcheck_floats(N * O);
    fill(x, N * I, -1, 1, 31);
    fill(W, I * O, -1, 1, 32);
    blas_set_threads(1);
    nn_dense_forward(x, W, NULL, N, I, O, y1);
    blas_set_threads(2);
    nn_dense_forward(x, W, NULL, N, I, O, y2);
    for (int r = 0; r < N; r += 17)
        for (int o = 0; o < O; o++) {
            double ref = 0.0;
            for (int i = 0; i < I; i++)
                ref += (double)x[r * I + i] * W[i * O + o];
            ASSERT_NEAR(y1[r * O + o], ref, 1e-4);
            ASSERT_NEAR(y2[r * O + o], ref, 1e-4);
        }
    free(x), free(W), free(y1), free(y2);
}

/* The dense layer split over a 2-thread team (OpenBLAS on 1) gives the
 * single call's results, the weight gradients summed over the shares. */
TEST(nn_dense_team_matches_single)
{
    enum { N = 7, I = 9, O = 5 };
    float x[N * I], W[I * O], b[O], dy[N * O], y1[N * O], y2[N * O];
    float dW1[I * O], dW2[I * O], db1[O], db2[O], dx1[N * I], dx2[N * I], dWs[I * O + O];
    fill(x, N * I, -1, 1, 1);
    fill(W, I * O, -1, 1, 2);
    fill(b, O, -1, 1, 3);
    fill(dy, N * O, -1, 1, 4);
    float dW0[I * O], dW3[I * O];
    fill(dW0, I * O, -1, 1, 5); /* the backward adds to these */
    memcpy(dW1, dW0, sizeof(dW0));
    memcpy(dW2, dW0, sizeof(dW0));
    memcpy(dW3, dW0, sizeof(dW0));
    fill(db1, O, -1, 1, 6);
    memcpy(db2, db1, sizeof(db1));
    struct parallel_team *team = parallel_team_new(2);
    ASSERT(team);
    blas_set_threads(1);
    nn_dense_forward(x, W, b, N, I, O, y1);
    nn_dense_forward_team(team, x, W, b, N, I, O, y2);
    for (int i = 0; i < N * O; i++)
        ASSERT_NEAR(y2[i], y1[i], 1e-5 * (1.0 + fabs(y1[i])));
    nn_dense_backward(x, W, dy, N, I, O, dW1, db1, dx1);
    nn_dense_backward_team(team, x, W, dy, N, I, O, dW2, db2, dx2, dWs);
    for (int i = 0; i < I * O; i++)
        ASSERT_NEAR(dW2[i], dW1[i], 1e-5 * (1.0 + fabs(dW1[i])));
    for (int o = 0; o < O; o++)
        ASSERT_NEAR(db2[o], db1[o], 1e-5 * (1.0 + fabs(db1[o])));
    for (int i = 0; i < N * I; i++)
        ASSERT_NEAR(dx2[i], dx1[i], 1e-5 * (1.0 + fabs(dx1[i])));
    /* a NULL team runs on the caller; NULL db and dx are allowed */
    nn_dense_backward_team(NULL, x, W, dy, N, I, O, dW3, NULL, NULL, NULL);
    for (int i = 0; i < I * O; i++)
        ASSERT_NEAR(dW3[i], dW1[i], 1e-5 * (1.0 + fabs(dW1[i])));
    parallel_team_free(team);
}
