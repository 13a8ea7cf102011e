/*
 * test_optim.c: algorithms/common/optim.c: state allocation and views, each
 * optimizer minimising a small quadratic, the exact first steps (SGD with
 * momentum, Adam's bias-corrected step of size lr, RMSprop), L2 and L1
 * (exact zeros from the proximal step), reg_mult = 0 groups, lr_mult, and
 * the step schedule.
 */
#include <math.h>

#include "support/harness.h"
#include "common/optim.h"

static struct optim_cfg cfg(enum optim_kind kind, float lr)
{
    return (struct optim_cfg){
        .kind = kind, .lr = lr, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
    };
}

TEST(optim_state_init_and_free)
{
    struct optim_state s;
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_SGD, 5), 0);
    ASSERT(s.m && !s.v && s.n == 5 && s.t == 0);
    for (int i = 0; i < 5; i++)
        ASSERT(s.m[i] == 0.0f);
    optim_state_free(&s);
    ASSERT(!s.m && !s.v && s.n == 0);
    optim_state_free(&s); /* twice is harmless */

    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_ADAM, 4), 0);
    ASSERT(s.m && s.v);
    for (int i = 0; i < 4; i++)
        ASSERT(s.m[i] == 0.0f && s.v[i] == 0.0f);
    optim_state_free(&s);

    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_RMSPROP, 4), 0);
    ASSERT(!s.m && s.v);
    optim_state_free(&s);

    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_ADAM, 0), 0);
    ASSERT(s.n == 0);
    optim_state_free(&s);

    struct optim_state z = { 0 };
    optim_state_free(&z);
    optim_state_free(NULL);
}

/* f(p) = sum_i a_i (p_i - c_i)^2 / 2 with curvatures from 0.25 to 4. */
enum { QN = 4 };
static const float QA[QN] = { 1.0f, 4.0f, 0.25f, 2.0f };
static const float QC[QN] = { 1.5f, -2.0f, 0.5f, 3.0f };

static void quad_grad(const float *p, float *g)
{
    for (int i = 0; i < QN; i++)
        g[i] = QA[i] * (p[i] - QC[i]);
}

/* Runs the optimizer from p = 0 with the given schedule for at most
 * max_steps and returns the number of steps until every |p_i - c_i| < tol
 * (max_steps + 1 when it never got there). */
static long minimise(const struct optim_cfg *c, long max_steps, long every, float factor, float tol)
{
    struct optim_state s;
    float p[QN] = { 0 }, g[QN];
    ASSERT_EQ_INT(optim_state_init(&s, c->kind, QN), 0);
    long steps = max_steps + 1;
    for (long t = 0; t < max_steps; t++) {
        quad_grad(p, g);
        optim_tick(&s);
        optim_update(c, &s, p, g, QN, lr_schedule(c->lr, t, every, factor, 0.0f), 1.0f, 1.0f);
        int done = 1;
        for (int i = 0; i < QN; i++)
            done &= fabsf(p[i] - QC[i]) < tol;
        if (done) {
            steps = t + 1;
            break;
        }
    }
    for (int i = 0; i < QN; i++)
        ASSERT(isfinite(p[i]));
    optim_state_free(&s);
    return steps;
}

TEST(optim_sgd_minimises_quadratic)
{
    struct optim_cfg c = cfg(OPTIM_SGD, 0.05f);
    c.momentum = 0.0f;
    ASSERT(minimise(&c, 2000, 0, 1.0f, 1e-4f) <= 2000);
    c.momentum = 0.9f;
    ASSERT(minimise(&c, 1000, 0, 1.0f, 1e-4f) <= 1000);
}

TEST(optim_adam_minimises_quadratic)
{
    struct optim_cfg c = cfg(OPTIM_ADAM, 0.05f);
    /* Adam's steps stay ~lr near the minimum, so decay the rate. */
    ASSERT(minimise(&c, 3000, 200, 0.5f, 1e-3f) <= 3000);
}

TEST(optim_rmsprop_minimises_quadratic)
{
    struct optim_cfg c = cfg(OPTIM_RMSPROP, 0.01f);
    c.beta2 = 0.9f;
    ASSERT(minimise(&c, 3000, 300, 0.5f, 1e-3f) <= 3000);
}

TEST(optim_sgd_momentum_first_steps_exact)
{
    struct optim_cfg c = cfg(OPTIM_SGD, 0.1f);
    c.momentum = 0.5f;
    struct optim_state s;
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_SGD, 1), 0);
    float p[1] = { 1.0f };
    const float g[1] = { 2.0f };
    optim_tick(&s);
    optim_update(&c, &s, p, g, 1, c.lr, 1.0f, 1.0f);   /* m = 2, p = 1 - 0.2 */
    ASSERT_NEAR(p[0], 0.8, 1e-7);
    optim_tick(&s);
    optim_update(&c, &s, p, g, 1, c.lr, 1.0f, 1.0f);   /* m = 3, p = 0.8 - 0.3 */
    ASSERT_NEAR(p[0], 0.5, 1e-7);
    /* lr_mult scales the step: m = 3.5, p = 0.5 - 0.1 * 2 * 3.5 */
    optim_tick(&s);
    optim_update(&c, &s, p, g, 1, c.lr, 2.0f, 1.0f);
    ASSERT_NEAR(p[0], -0.2, 1e-6);
    optim_state_free(&s);
}

TEST(optim_adam_first_step_is_lr)
{
    const float lr = 0.01f;
    struct optim_cfg c = cfg(OPTIM_ADAM, lr);
    struct optim_state s;
    enum { N = 5 };
    float p[N] = { 1.0f, -2.0f, 0.5f, 0.0f, 3.0f };
    const float p0[N] = { 1.0f, -2.0f, 0.5f, 0.0f, 3.0f };
    const float g[N] = { 0.3f, -5.0f, 1e-3f, 100.0f, -0.02f };
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_ADAM, N), 0);
    optim_tick(&s);
    optim_update(&c, &s, p, g, N, lr, 1.0f, 1.0f);
    for (int i = 0; i < N; i++)
        ASSERT_NEAR(p0[i] - p[i], (g[i] > 0 ? lr : -lr), 1e-5 * lr + 1e-7);
    /* With a constant gradient every bias-corrected step is lr too. */
    for (int t = 0; t < 5; t++) {
        float before[N];
        memcpy(before, p, sizeof(p));
        optim_tick(&s);
        optim_update(&c, &s, p, g, N, lr, 1.0f, 1.0f);
        for (int i = 0; i < N; i++)
            ASSERT_NEAR(before[i] - p[i], (g[i] > 0 ? lr : -lr), 1e-4 * lr + 1e-7);
    }
    optim_state_free(&s);

    /* t = 0 (no tick) behaves as the first step. */
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_ADAM, N), 0);
    memcpy(p, p0, sizeof(p));
    optim_update(&c, &s, p, g, N, lr, 1.0f, 1.0f);
    for (int i = 0; i < N; i++)
        ASSERT_NEAR(p0[i] - p[i], (g[i] > 0 ? lr : -lr), 1e-5 * lr + 1e-7);
    optim_state_free(&s);
}

TEST(optim_rmsprop_first_step_exact)
{
    struct optim_cfg c = cfg(OPTIM_RMSPROP, 0.01f);
    c.beta2 = 0.9f;
    struct optim_state s;
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_RMSPROP, 1), 0);
    float p[1] = { 0.0f };
    const float g[1] = { 2.0f };
    optim_tick(&s);
    optim_update(&c, &s, p, g, 1, c.lr, 1.0f, 1.0f);
    /* v = 0.1 * 4 = 0.4; step = 0.01 * 2 / sqrt(0.4) */
    ASSERT_NEAR(s.v[0], 0.4, 1e-7);
    ASSERT_NEAR(p[0], -0.01 * 2.0 / sqrt(0.4), 1e-6);
    optim_state_free(&s);
}

TEST(optim_l2_adds_decay_to_gradient)
{
    struct optim_cfg c = cfg(OPTIM_SGD, 0.5f);
    c.momentum = 0.0f;
    c.wd = 0.1f;
    struct optim_state s;
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_SGD, 2), 0);
    float p[2] = { 1.0f, -2.0f };
    const float g[2] = { 0.0f, 1.0f };
    optim_update(&c, &s, p, g, 2, c.lr, 1.0f, 1.0f);
    ASSERT_NEAR(p[0], 1.0 - 0.5 * 0.1 * 1.0, 1e-7);
    ASSERT_NEAR(p[1], -2.0 - 0.5 * (1.0 + 0.1 * -2.0), 1e-6);
    /* reg_mult scales the decay */
    p[0] = 1.0f;
    s.m[0] = 0.0f;
    optim_update(&c, &s, p, g, 1, c.lr, 1.0f, 0.5f);
    ASSERT_NEAR(p[0], 1.0 - 0.5 * 0.05, 1e-7);
    optim_state_free(&s);
}

/* Least squares y = 2 x0 (x1 irrelevant) with L1: the proximal step puts
 * the irrelevant weight at exactly 0 and keeps it there. */
TEST(optim_l1_zeroes_irrelevant_weight)
{
    enum { NR = 64 };
    float x[NR][2], y[NR];
    unsigned st = 3;
    for (int i = 0; i < NR; i++) {
        for (int j = 0; j < 2; j++) {
            st = st * 1103515245u + 12345u;
            x[i][j] = (float)((st >> 8) & 0xFFFF) / 32768.0f - 1.0f;
        }
        y[i] = 2.0f * x[i][0];
    }
    struct optim_cfg c = cfg(OPTIM_SGD, 0.1f);
    c.momentum = 0.0f;
    c.l1 = 0.05f;
    struct optim_state s;
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_SGD, 2), 0);
    float p[2] = { 0.0f, 0.8f };
    for (int t = 0; t < 500; t++) {
        float g[2] = { 0 };
        for (int i = 0; i < NR; i++) {
            const float r = p[0] * x[i][0] + p[1] * x[i][1] - y[i];
            g[0] += r * x[i][0] / NR;
            g[1] += r * x[i][1] / NR;
        }
        optim_tick(&s);
        optim_update(&c, &s, p, g, 2, c.lr, 1.0f, 1.0f);
    }
    ASSERT(p[1] == 0.0f);
    ASSERT(fabsf(p[0] - 2.0f) < 0.3f);
    ASSERT(p[0] < 2.0f); /* shrunk towards 0 */
    optim_state_free(&s);
}

/* A weight group regularised and a bias group with reg_mult 0, sharing one
 * state through views: with a zero data gradient only the weights move. */
TEST(optim_reg_mult_zero_leaves_group_unregularised)
{
    const enum optim_kind kinds[] = { OPTIM_SGD, OPTIM_ADAM, OPTIM_RMSPROP };
    for (size_t k = 0; k < 3; k++) {
        struct optim_cfg c = cfg(kinds[k], 0.05f);
        c.beta2 = kinds[k] == OPTIM_RMSPROP ? 0.9f : 0.999f;
        c.wd = 0.5f;
        c.l1 = 0.2f;
        struct optim_state s;
        ASSERT_EQ_INT(optim_state_init(&s, kinds[k], 5), 0);
        float block[5] = { 1.0f, -1.5f, 2.0f, 0.75f, -0.25f }; /* 3 weights, 2 biases */
        const float g[5] = { 0 };
        for (int t = 0; t < 20; t++) {
            optim_tick(&s);
            struct optim_state sw = optim_state_view(&s, 0, 3), sb = optim_state_view(&s, 3, 2);
            optim_update(&c, &sw, block, g, 3, c.lr, 1.0f, 1.0f);
            optim_update(&c, &sb, block + 3, g + 3, 2, c.lr, 1.0f, 0.0f);
        }
        ASSERT(block[3] == 0.75f && block[4] == -0.25f);
        ASSERT(fabsf(block[0]) < 1.0f && fabsf(block[1]) < 1.5f && fabsf(block[2]) < 2.0f);
        optim_state_free(&s);
    }
}

TEST(optim_state_view_bounds)
{
    struct optim_state s;
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_ADAM, 10), 0);
    optim_tick(&s);
    optim_tick(&s);
    struct optim_state v = optim_state_view(&s, 4, 3);
    ASSERT(v.m == s.m + 4 && v.v == s.v + 4 && v.n == 3 && v.t == 2 && !v.owned);
    v = optim_state_view(&s, 8, 5);
    ASSERT(v.n == 2);
    v = optim_state_view(&s, 12, 1);
    ASSERT(v.n == 0);
    optim_state_free(&v); /* a view frees nothing */
    ASSERT(s.m && s.v);
    /* n beyond the state is clamped: nothing past s.n is touched */
    struct optim_cfg c = cfg(OPTIM_ADAM, 0.1f);
    float p[12] = { 0 }, g[12];
    for (int i = 0; i < 12; i++)
        g[i] = 1.0f;
    optim_update(&c, &s, p, g, 12, c.lr, 1.0f, 1.0f);
    ASSERT(p[9] != 0.0f && p[10] == 0.0f && p[11] == 0.0f);
    optim_state_free(&s);
}

TEST(optim_lr_schedule_values)
{
    ASSERT_NEAR(lr_schedule(0.1f, 0, 10, 0.5f, 0.0f), 0.1, 1e-8);
    ASSERT_NEAR(lr_schedule(0.1f, 9, 10, 0.5f, 0.0f), 0.1, 1e-8);
    ASSERT_NEAR(lr_schedule(0.1f, 10, 10, 0.5f, 0.0f), 0.05, 1e-8);
    ASSERT_NEAR(lr_schedule(0.1f, 25, 10, 0.5f, 0.0f), 0.025, 1e-8);
    ASSERT_NEAR(lr_schedule(0.1f, 100, 10, 0.5f, 1e-3f), 1e-3, 1e-10);
    ASSERT_NEAR(lr_schedule(0.1f, 1000000, 1, 0.5f, 1e-3f), 1e-3, 1e-10);
    ASSERT_NEAR(lr_schedule(0.1f, 50, 0, 0.5f, 0.0f), 0.1, 1e-8);   /* no decay */
    ASSERT_NEAR(lr_schedule(0.1f, -5, 10, 0.5f, 0.0f), 0.1, 1e-8);
    ASSERT_NEAR(lr_schedule(0.1f, 50, 10, 1.0f, 0.0f), 0.1, 1e-8);
    /* a min_lr above base_lr does not raise it */
    ASSERT_NEAR(lr_schedule(1e-4f, 50, 10, 0.5f, 1e-3f), 1e-4, 1e-11);
    ASSERT(lr_schedule(0.1f, 1000000, 1, 0.5f, 0.0f) == 0.0f);
}

/* Keras's `decay`: lr / (1 + decay * iterations), iterations counted from 0. */
TEST(optim_lr_time_decay_values)
{
    ASSERT(lr_time_decay(1e-4f, 1e-6f, 0) == 1e-4f);
    ASSERT_NEAR(lr_time_decay(1e-4f, 1e-6f, 1000000), 5e-5, 1e-10);
    ASSERT_NEAR(lr_time_decay(1e-3f, 2e-4f, 5000), 5e-4, 1e-10);
    ASSERT_NEAR(lr_time_decay(0.01f, 0.1f, 30), 0.0025, 1e-9);
    ASSERT(lr_time_decay(0.01f, 0.0f, 12345) == 0.01f);  /* no decay */
    ASSERT(lr_time_decay(0.01f, -1.0f, 12345) == 0.01f);
    ASSERT(lr_time_decay(0.01f, 0.1f, -3) == 0.01f);
}

/* Keras 2 RMSprop(lr, rho 0.9, epsilon 1e-7, decay) for three steps, against
 * its update written out in double: a = rho a + (1 - rho) g^2;
 * p -= lr / (1 + decay it) * g / (sqrt(a) + eps). */
TEST(optim_rmsprop_matches_keras_with_decay)
{
    struct optim_cfg c = { .kind = OPTIM_RMSPROP, .lr = 1e-2f, .beta2 = 0.9f, .eps = 1e-7f };
    const float decay = 0.5f;
    struct optim_state s;
    ASSERT_EQ_INT(optim_state_init(&s, OPTIM_RMSPROP, 2), 0);
    float p[2] = { 1.0f, -2.0f };
    double rp[2] = { 1.0, -2.0 }, ra[2] = { 0.0, 0.0 };
    for (long it = 0; it < 3; it++) {
        const float g[2] = { 0.5f * p[0] + 0.1f, -0.25f * p[1] };
        optim_tick(&s);
        optim_update(&c, &s, p, g, 2, lr_time_decay(c.lr, decay, it), 1.0f, 1.0f);
        for (int i = 0; i < 2; i++) {
            const double gi = i == 0 ? 0.5 * rp[0] + 0.1 : -0.25 * rp[1];
            ra[i] = 0.9 * ra[i] + 0.1 * gi * gi;
            rp[i] -= 1e-2 / (1.0 + 0.5 * (double)it) * gi / (sqrt(ra[i]) + 1e-7);
        }
        ASSERT_NEAR(p[0], rp[0], 1e-6);
        ASSERT_NEAR(p[1], rp[1], 1e-6);
    }
    optim_state_free(&s);
}
