/*
 * test_multibox.c: algorithms/object_detection/multibox.c: the loss parts
 * on a hand-computed case, hard negative mining counts (3:1, capped by the
 * negatives, none without positives), and the gradients against finite
 * differences.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "object_detection/multibox.h"
#include "support/gradcheck.h"
#include "support/harness.h"

TEST(od_multibox_hand_case)
{
    /* 4 boxes, 1 class: box 0 positive; negatives' background losses
     * log(1 + e^2) = 2.1269, log(1 + e^-1) = 0.3133, log(1 + e) = 1.3133 */
    const float conf[8] = {0, 0, 0, 2, 0, -1, 0, 1};
    const float loc[16] = {0.5f, -2.0f, 0, 0};
    const float target[16] = {0};
    const int cls[4] = {1, 0, 0, 0};
    float dloc[16], dconf[8];
    struct od_loss L;
    /* ratio 1: one negative, the hardest (box 1) */
    ASSERT_EQ_INT(od_multibox_loss(loc, conf, target, cls, 1, 4, 2, 1.0f, &L, dloc, dconf), 0);
    ASSERT_EQ_INT(L.n_pos, 1);
    ASSERT_EQ_INT(L.n_neg, 1);
    ASSERT_NEAR(L.loc, 0.125 + 1.5, 1e-6);                   /* 0.5 * 0.5^2 + (2 - 0.5) */
    ASSERT_NEAR(L.conf, log(2.0) + log(1.0 + exp(2.0)), 1e-6);
    ASSERT_NEAR(dloc[0], 0.5, 1e-6);
    ASSERT_NEAR(dloc[1], -1.0, 1e-6);
    ASSERT_NEAR(dloc[2], 0.0, 0);
    ASSERT_NEAR(dconf[0], 0.5, 1e-6);
    ASSERT_NEAR(dconf[1], -0.5, 1e-6);
    double p1 = exp(2.0) / (1.0 + exp(2.0));
    ASSERT_NEAR(dconf[2], -p1, 1e-6);
    ASSERT_NEAR(dconf[3], p1, 1e-6);
    for (int i = 4; i < 8; i++)
        ASSERT_NEAR(dconf[i], 0.0, 0);                       /* not mined */
    /* ratio 3: all three negatives */
    ASSERT_EQ_INT(od_multibox_loss(loc, conf, target, cls, 1, 4, 2, 3.0f, &L, NULL, NULL), 0);
    ASSERT_EQ_INT(L.n_neg, 3);
    ASSERT_NEAR(L.conf, log(2.0) + log(1.0 + exp(2.0)) + log(1.0 + exp(-1.0)) + log(1.0 + exp(1.0)), 1e-5);
}

TEST(od_multibox_mining_counts_and_normalisation)
{
    enum { N = 3, A = 10, K = 3 };
    float conf[N * A * K], loc[N * A * 4] = {0}, target[N * A * 4] = {0};
    int cls[N * A] = {0};
    uint64_t seed = 5;
    for (size_t i = 0; i < N * A * K; i++)
        conf[i] = rng_normal(&seed);
    cls[0] = 1;                      /* image 0: 1 positive -> 3 negatives */
    cls[2 * A + 0] = 2;              /* image 2: 4 positives -> 6 negatives, all */
    cls[2 * A + 3] = 1;
    cls[2 * A + 5] = 1;
    cls[2 * A + 9] = 2;              /* image 1: none -> none mined */
    loc[0] = 3.0f;                   /* |d| = 3: 2.5 */
    struct od_loss L;
    ASSERT_EQ_INT(od_multibox_loss(loc, conf, target, cls, N, A, K, 3.0f, &L, NULL, NULL), 0);
    ASSERT_EQ_INT(L.n_pos, 5);
    ASSERT_EQ_INT(L.n_neg, 3 + 6);
    ASSERT_NEAR(L.loc, 2.5 / 5, 1e-6);
    /* the three mined negatives of image 0 are those of largest background loss */
    float dconf[N * A * K];
    ASSERT_EQ_INT(od_multibox_loss(loc, conf, target, cls, N, A, K, 3.0f, &L, NULL, dconf), 0);
    double bg[A];
    for (int a = 0; a < A; a++) {
        const float *z = conf + a * K;
        bg[a] = log(exp(z[0]) + exp(z[1]) + exp(z[2])) - z[0];
    }
    int mined = 0;
    for (int a = 1; a < A; a++) {
        int used = dconf[a * K] != 0.0f;
        mined += used;
        int harder = 0;
        for (int b = 1; b < A; b++)
            harder += bg[b] > bg[a];
        ASSERT_EQ_INT(used, harder < 3);
    }
    ASSERT_EQ_INT(mined, 3);
    for (int i = A * K; i < 2 * A * K; i++)
        ASSERT_NEAR(dconf[i], 0.0, 0);
    /* equal background losses: the lowest indices are mined */
    float flat[A * K] = {0};
    int one[A] = {0};
    one[5] = 1;
    float dflat[A * K];
    ASSERT_EQ_INT(od_multibox_loss(loc, flat, target, one, 1, A, K, 3.0f, &L, NULL, dflat), 0);
    ASSERT_EQ_INT(L.n_neg, 3);
    for (int a = 0; a < A; a++)
        ASSERT_EQ_INT(dflat[a * K] != 0.0f, a <= 2 || a == 5);
    ASSERT_NEAR(L.conf, 4 * log(3.0), 1e-6);
    /* no positives at all: zero loss and gradients */
    memset(cls, 0, sizeof(cls));
    ASSERT_EQ_INT(od_multibox_loss(loc, conf, target, cls, N, A, K, 3.0f, &L, NULL, dconf), 0);
    ASSERT_NEAR(L.loc + L.conf, 0.0, 0);
    ASSERT_EQ_INT(L.n_neg, 0);
    for (int i = 0; i < N * A * K; i++)
        ASSERT_NEAR(dconf[i], 0.0, 0);
}

struct mb {
    float *loc, *conf, *target;
    int *cls;
    size_t N, A, K;
};

static double mb_loss(const float *x, void *ctx)
{
    (void)x;
    struct mb *m = ctx;
    struct od_loss L;
    if (od_multibox_loss(m->loc, m->conf, m->target, m->cls, m->N, m->A, m->K, 3.0f, &L, NULL, NULL) != 0)
        abort();
    return L.loc + L.conf;
}

TEST(od_multibox_gradcheck)
{
    enum { N = 2, A = 12, K = 4 };
    struct mb m = {gradcheck_floats(N * A * 4), gradcheck_floats(N * A * K), gradcheck_floats(N * A * 4),
                   calloc(N * A, sizeof(int)), N, A, K};
    uint64_t seed = 11;
    for (size_t i = 0; i < N * A * K; i++)
        m.conf[i] = 1.5f * rng_normal(&seed);
    for (size_t i = 0; i < N * A * 4; i++) {
        m.target[i] = rng_normal(&seed);
        /* differences kept away from smooth L1's kink at |d| = 1 */
        float d = 0.2f + 1.6f * rng_uniform(&seed);
        if (fabsf(d - 1.0f) < 0.1f)
            d += 0.3f;
        m.loc[i] = m.target[i] + (rng_uniform(&seed) < 0.5f ? -d : d);
    }
    const int pos[][2] = {{0, 1}, {0, 7}, {1, 2}};
    for (size_t i = 0; i < 3; i++)
        m.cls[pos[i][0] * A + pos[i][1]] = 1 + (int)i;
    float *dloc = gradcheck_floats(N * A * 4), *dconf = gradcheck_floats(N * A * K);
    struct od_loss L;
    ASSERT_EQ_INT(od_multibox_loss(m.loc, m.conf, m.target, m.cls, N, A, K, 3.0f, &L, dloc, dconf), 0);
    ASSERT_EQ_INT(L.n_pos, 3);
    ASSERT_EQ_INT(L.n_neg, 9);
    gradcheck_require(1e-2, "multibox dloc", mb_loss, &m, m.loc, dloc, N * A * 4, 2e-3);
    gradcheck_require(1e-2, "multibox dconf", mb_loss, &m, m.conf, dconf, N * A * K, 2e-3);
    free(m.loc), free(m.conf), free(m.target), free(m.cls), free(dloc), free(dconf);
}
