/*
 * test_rng_parallel.c: the generator, initialisers and parallel-for of
 * algorithms/nn/nn.h: splitmix64 reference values and determinism,
 * uniform range and moments, rng_below without modulo bias, normal
 * moments, shuffles are uniform permutations, initialiser bounds and
 * variances, and parallel_for running every share exactly once.
 * Every statistical bound is at least 5 standard deviations wide and the
 * seeds are fixed, so the tests are deterministic.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "support/harness.h"
#include "common/parallel.h"
#include "nn/nn.h"

TEST(rng_splitmix64_reference_and_determinism)
{
    /* The reference splitmix64 stream from seed 0 (Vigna's splitmix64.c). */
    uint64_t s = 0;
    ASSERT(rng_next(&s) == 0xE220A8397B1DCDAFull);
    ASSERT(rng_next(&s) == 0x6E789E6AA1B965F4ull);
    ASSERT(rng_next(&s) == 0x06C45D188009454Full);

    uint64_t a = 12345, b = 12345, c = 12346;
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        const uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
        ASSERT(x == y);
        differ += x != z;
    }
    ASSERT(a == b);
    ASSERT(differ == 1000);
    /* the derived draws are deterministic too */
    a = b = 77;
    for (int i = 0; i < 100; i++) {
        ASSERT(rng_uniform(&a) == rng_uniform(&b));
        ASSERT(rng_normal(&a) == rng_normal(&b));
        ASSERT(rng_below(&a, 1000003) == rng_below(&b, 1000003));
    }
}

TEST(rng_uniform_range_and_moments)
{
    enum { n = 200000 };
    uint64_t s = 1;
    double sum = 0.0, sq = 0.0;
    float lo = 1.0f, hi = 0.0f;
    for (int i = 0; i < n; i++) {
        const float u = rng_uniform(&s);
        ASSERT(u >= 0.0f && u < 1.0f);
        /* 24 bits: u * 2^24 is an integer */
        ASSERT(u * 16777216.0f == floorf(u * 16777216.0f));
        lo = fminf(lo, u), hi = fmaxf(hi, u);
        sum += u;
        sq += (double)u * u;
    }
    const double mean = sum / n, var = sq / n - mean * mean;
    /* sd of the mean: sqrt(1/12 / n) ~ 6.5e-4 */
    ASSERT_NEAR(mean, 0.5, 0.004);
    ASSERT_NEAR(var, 1.0 / 12.0, 0.002);
    ASSERT(lo < 1e-4f && hi > 1.0f - 1e-4f);
}

TEST(rng_below_uniform_without_bias)
{
    uint64_t s = 3;
    ASSERT(rng_below(&s, 1) == 0);
    /* chi-square over 7 cells, 70000 draws: 6 dof, P(chi2 > 30) ~ 4e-5 */
    enum { cells = 7, draws = 70000 };
    size_t cnt[cells] = { 0 };
    for (int i = 0; i < draws; i++) {
        const uint64_t v = rng_below(&s, cells);
        ASSERT(v < cells);
        cnt[v]++;
    }
    double chi2 = 0.0;
    for (int k = 0; k < cells; k++) {
        const double e = (double)draws / cells;
        chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
    }
    ASSERT(chi2 < 30.0);

    /* n = 3 * 2^62, where 2^64 mod n = n / 3 makes either shortcut visibly
     * biased: plain `next % n` puts half of the draws below n / 3 (the
     * values in [n, 2^64) wrap onto [0, 2^62)), and multiply-shift without
     * the rejection step (floor(3 next / 4)) makes half of them multiples
     * of 3.  Unbiased, both are 1/3. */
    const uint64_t big = 3ull << 62;
    size_t low = 0, mult3 = 0;
    enum { bd = 30000 };
    for (int i = 0; i < bd; i++) {
        const uint64_t v = rng_below(&s, big);
        ASSERT(v < big);
        low += v < (big / 3);
        mult3 += v % 3 == 0;
    }
    /* sd = sqrt(30000 * 2/9) / 30000 ~ 0.0027 */
    ASSERT_NEAR((double)low / bd, 1.0 / 3.0, 0.015);
    ASSERT_NEAR((double)mult3 / bd, 1.0 / 3.0, 0.015);
}

TEST(rng_normal_moments)
{
    enum { n = 200000 };
    uint64_t s = 4;
    double sum = 0.0, sq = 0.0;
    size_t within1 = 0;
    for (int i = 0; i < n; i++) {
        const float z = rng_normal(&s);
        ASSERT(isfinite(z));
        sum += z;
        sq += (double)z * z;
        within1 += fabsf(z) < 1.0f;
    }
    const double mean = sum / n, var = sq / n - mean * mean;
    ASSERT_NEAR(mean, 0.0, 0.012);       /* sd 2.2e-3 */
    ASSERT_NEAR(var, 1.0, 0.02);         /* sd 3.2e-3 */
    ASSERT_NEAR((double)within1 / n, 0.682689, 0.006); /* sd 1e-3 */
}

TEST(rng_shuffle_is_uniform_permutation)
{
    uint64_t s = 5;
    enum { n = 100 };
    uint32_t idx[n], again[n];
    for (uint32_t i = 0; i < n; i++)
        idx[i] = again[i] = i;
    uint64_t s2 = s;
    rng_shuffle_u32(idx, n, &s);
    rng_shuffle_u32(again, n, &s2);
    ASSERT(memcmp(idx, again, sizeof(idx)) == 0); /* deterministic */
    int seen[n] = { 0 }, moved = 0;
    for (int i = 0; i < n; i++) {
        ASSERT(idx[i] < n);
        seen[idx[i]]++;
        moved += idx[i] != (uint32_t)i;
    }
    for (int i = 0; i < n; i++)
        ASSERT_EQ_INT(seen[i], 1);
    ASSERT(moved > 80);

    /* All 6 orders of 3 elements equally likely: 60000 shuffles, sd of
     * each count ~ 91; bound 600. */
    size_t cnt[6] = { 0 };
    for (int t = 0; t < 60000; t++) {
        uint32_t a[3] = { 0, 1, 2 };
        rng_shuffle_u32(a, 3, &s);
        cnt[a[0] * 2 + (a[1] > a[2])]++;
    }
    for (int k = 0; k < 6; k++)
        ASSERT_NEAR((double)cnt[k], 10000.0, 600.0);
    rng_shuffle_u32(NULL, 0, &s); /* n = 0 touches nothing */
    uint32_t one = 7;
    rng_shuffle_u32(&one, 1, &s);
    ASSERT(one == 7);
}

TEST(nn_init_bounds_and_variance)
{
    enum { fi = 300, fo = 200, n = fi * fo };
    float *w = malloc(n * sizeof(float));
    ASSERT(w);
    uint64_t s = 6;
    nn_init_glorot_uniform(w, fi, fo, &s);
    const float a = sqrtf(6.0f / (fi + fo));
    float lo = 0, hi = 0;
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        ASSERT(w[i] >= -a && w[i] < a);
        lo = fminf(lo, w[i]), hi = fmaxf(hi, w[i]);
        sum += w[i];
        sq += (double)w[i] * w[i];
    }
    ASSERT(lo < -0.99f * a && hi > 0.99f * a);
    ASSERT_NEAR(sum / n, 0.0, 0.005);
    ASSERT_NEAR(sq / n, (double)a * a / 3.0, 0.02 * a * a / 3.0);

    /* uniform [lo, hi), including a range where lo + span * u rounds to hi */
    nn_init_uniform(w, n, 2.0f, 5.0f, &s);
    for (int i = 0; i < n; i++)
        ASSERT(w[i] >= 2.0f && w[i] < 5.0f);
    nn_init_uniform(w, n, 1.0f, nextafterf(1.0f, 2.0f), &s);
    for (int i = 0; i < n; i++)
        ASSERT(w[i] == 1.0f);

    /* He normal: variance 2 / fan_in */
    nn_init_he_normal(w, n, 50, &s);
    sum = sq = 0;
    for (int i = 0; i < n; i++) {
        sum += w[i];
        sq += (double)w[i] * w[i];
    }
    ASSERT_NEAR(sum / n, 0.0, 0.005);
    ASSERT_NEAR(sq / n, 2.0 / 50.0, 0.04 * 2.0 / 50.0);
    free(w);
}

/* ----------------------------------------------------------- parallel for */

enum { MAX_SHARES = 128 };
struct par_ctx {
    atomic_int runs[MAX_SHARES];
    atomic_int bad_n;
    pthread_t caller;
    atomic_int t0_on_caller, others_on_caller;
};

static void par_fn(void *ctx, int t, int n)
{
    struct par_ctx *c = ctx;
    if (t < 0 || t >= MAX_SHARES)
        return;
    atomic_fetch_add(&c->runs[t], 1);
    if (t == 0)
        atomic_store(&c->t0_on_caller, pthread_equal(pthread_self(), c->caller) != 0);
    else if (pthread_equal(pthread_self(), c->caller))
        atomic_fetch_add(&c->others_on_caller, 1);
    (void)n;
}

static void par_n_fn(void *ctx, int t, int n)
{
    struct par_ctx *c = ctx;
    par_fn(ctx, t, n);
    atomic_store(&c->bad_n, n); /* every share sees the same n */
}

TEST(parallel_for_runs_every_share_once)
{
    static const int counts[] = { 1, 2, 8, 100 };
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        const int n = counts[k];
        struct par_ctx *c = calloc(1, sizeof(*c));
        ASSERT(c);
        c->caller = pthread_self();
        ASSERT_EQ_INT(parallel_for(n, par_n_fn, c), 0);
        for (int t = 0; t < MAX_SHARES; t++)
            ASSERT_EQ_INT(atomic_load(&c->runs[t]), t < n ? 1 : 0);
        ASSERT_EQ_INT(atomic_load(&c->bad_n), n);
        ASSERT(atomic_load(&c->t0_on_caller));
        ASSERT_EQ_INT(atomic_load(&c->others_on_caller), 0);
        free(c);
    }
    /* n_threads <= 1 runs fn(ctx, 0, 1) inline */
    for (int n = -1; n <= 0; n++) {
        struct par_ctx *c = calloc(1, sizeof(*c));
        ASSERT(c);
        c->caller = pthread_self();
        ASSERT_EQ_INT(parallel_for(n, par_n_fn, c), 0);
        ASSERT_EQ_INT(atomic_load(&c->runs[0]), 1);
        ASSERT_EQ_INT(atomic_load(&c->runs[1]), 0);
        ASSERT_EQ_INT(atomic_load(&c->bad_n), 1);
        free(c);
    }
}

/* Shares really run concurrently: each of 4 shares waits at a barrier
 * that opens only when all 4 have arrived. */
static void barrier_fn(void *ctx, int t, int n)
{
    pthread_barrier_wait(ctx);
}

TEST_TIMEOUT(parallel_for_shares_are_concurrent, 20)
{
    pthread_barrier_t b;
    ASSERT_EQ_INT(pthread_barrier_init(&b, NULL, 4), 0);
    ASSERT_EQ_INT(parallel_for(4, barrier_fn, &b), 0);
    pthread_barrier_destroy(&b);
}

/* A team runs every share once per call, t = 0 on the caller, over many
 * calls (helpers sleep and wake each time); a NULL team runs inline. */
TEST(parallel_team_runs_every_share_once_per_call)
{
    for (int n = 2; n <= 5; n++) {
        struct parallel_team *team = parallel_team_new(n);
        ASSERT(team != NULL);
        ASSERT_EQ_INT(parallel_team_size(team), n);
        for (int call = 0; call < 500; call++) {
            struct par_ctx *c = calloc(1, sizeof(*c));
            ASSERT(c);
            c->caller = pthread_self();
            parallel_team_for(team, par_n_fn, c);
            for (int t = 0; t < MAX_SHARES; t++)
                ASSERT_EQ_INT(atomic_load(&c->runs[t]), t < n ? 1 : 0);
            ASSERT_EQ_INT(atomic_load(&c->bad_n), n);
            ASSERT(atomic_load(&c->t0_on_caller));
            ASSERT_EQ_INT(atomic_load(&c->others_on_caller), 0);
            free(c);
        }
        parallel_team_free(team);
    }
    ASSERT(parallel_team_new(1) == NULL);
    ASSERT_EQ_INT(parallel_team_size(NULL), 1);
    struct par_ctx *c = calloc(1, sizeof(*c));
    ASSERT(c);
    c->caller = pthread_self();
    parallel_team_for(NULL, par_n_fn, c);
    ASSERT_EQ_INT(atomic_load(&c->runs[0]), 1);
    ASSERT_EQ_INT(atomic_load(&c->runs[1]), 0);
    ASSERT_EQ_INT(atomic_load(&c->bad_n), 1);
    free(c);
    parallel_team_free(NULL);
}

TEST_TIMEOUT(parallel_team_shares_are_concurrent, 20)
{
    struct parallel_team *team = parallel_team_new(4);
    ASSERT(team != NULL);
    pthread_barrier_t b;
    ASSERT_EQ_INT(pthread_barrier_init(&b, NULL, 4), 0);
    for (int i = 0; i < 50; i++)
        parallel_team_for(team, barrier_fn, &b);
    pthread_barrier_destroy(&b);
    parallel_team_free(team);
}
