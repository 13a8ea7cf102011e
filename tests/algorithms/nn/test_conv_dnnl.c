/*
 * test_conv_dnnl.c: the oneDNN convolution engine (algorithms/nn/conv_dnnl.c)
 * against the im2col engine it stands in for (conv.c, itself checked
 * against naive loops and finite differences in test_cnn.c): forward with
 * and without the fused ReLU, backward with the += / = conventions, on one
 * thread and split over a team (an odd batch: shares of two sizes), on the
 * cifar-cnn layer shapes and a few others; and its own finite-difference
 * check of dW, db and dx.  A build without oneDNN checks that the engine
 * says so (nn_conv_dnnl_new gives NULL, the calls refuse).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "support/harness.h"
#include "support/gradcheck.h"
#include "common/parallel.h"
#include "nn/cnn.h"
#include "nn/nn.h"

static void fill(float *w, size_t n, float lo, float hi, uint64_t seed)
{
    uint64_t s = seed;
    nn_init_uniform(w, n, lo, hi, &s);
}

struct shape {
    size_t N, H, W, C, K, S, F;
    enum nn_pad pad;
    int must; /* oneDNN must take it (the cifar-cnn layers) */
};

static const struct shape shapes[] = {
    { 5, 32, 32, 3, 3, 1, 32, NN_PAD_SAME, 1 },  /* keras-cifar10 conv1 */
    { 5, 32, 32, 32, 3, 1, 32, NN_PAD_VALID, 1 }, /* conv2 */
    { 5, 15, 15, 32, 3, 1, 64, NN_PAD_SAME, 1 },  /* conv3 */
    { 3, 6, 6, 64, 3, 1, 128, NN_PAD_VALID, 1 },  /* sagemaker-cifar10's last */
    { 3, 28, 28, 1, 3, 1, 32, NN_PAD_SAME, 1 },   /* Fashion-MNIST conv1 */
    { 3, 7, 9, 5, 3, 2, 6, NN_PAD_SAME, 0 },      /* stride 2, odd sizes */
    { 2, 5, 5, 3, 1, 1, 4, NN_PAD_VALID, 0 },     /* 1x1 */
};
#define N_SHAPES (sizeof(shapes) / sizeof(shapes[0]))

static double rel(double a, double b)
{
    return fabs(a - b) / (1.0 + fabs(b));
}

TEST(nn_conv_dnnl_matches_im2col)
{
    struct nn_win g0;
    ASSERT_EQ_INT(nn_win_init(&g0, 8, 8, 3, 3, 3, 1, 1, NN_PAD_SAME, 4), 0);
    if (!nn_conv_dnnl_available()) {
        ASSERT(nn_conv_dnnl_new(&g0, 1, 1) == NULL);
        float v = 0;
        ASSERT_EQ_INT(nn_conv_dnnl_forward(NULL, NULL, &v, 1, &v, &v, &v), -1);
        return;
    }
    struct parallel_team *team = parallel_team_new(2);
    ASSERT(team);
    blas_set_threads(1);
    for (size_t s = 0; s < N_SHAPES; s++) {
        const struct shape *sh = &shapes[s];
        struct nn_win g;
        ASSERT_EQ_INT(nn_win_init(&g, sh->H, sh->W, sh->C, sh->K, sh->K, sh->S, sh->S, sh->pad, sh->F), 0);
        const size_t N = sh->N, nx = N * sh->H * sh->W * sh->C, ny = N * g.OH * g.OW * sh->F;
        const size_t nw = sh->K * sh->K * sh->C * sh->F, F = sh->F, nb = 2;
        float *x = gradcheck_floats(nx), *Wk = gradcheck_floats(nw), *b = gradcheck_floats(F);
        float *dy = gradcheck_floats(ny), *y1 = gradcheck_floats(ny), *y2 = gradcheck_floats(ny);
        float *ws = gradcheck_floats(nn_conv2d_workspace(&g, nb));
        float *dW1 = gradcheck_floats(nw), *dW2 = gradcheck_floats(nw), *db1 = gradcheck_floats(F),
              *db2 = gradcheck_floats(F), *dx1 = gradcheck_floats(nx), *dx2 = gradcheck_floats(nx);
        fill(x, nx, -1, 1, 1 + s);
        fill(Wk, nw, -0.3f, 0.3f, 2 + s);
        fill(b, F, -1, 1, 3 + s);
        fill(dy, ny, -1, 1, 4 + s);
        for (int relu = 0; relu <= 1; relu++) {
            for (int use_team = 0; use_team <= 1; use_team++) {
                struct nn_conv_dnnl *e = nn_conv_dnnl_new(&g, relu, 1);
                ASSERT(e);
                nn_conv2d_forward(&g, x, N, Wk, b, relu, y1, ws, nb);
                fill(y2, ny, 100, 200, 9); /* must be overwritten */
                int rc = nn_conv_dnnl_forward(e, use_team ? team : NULL, x, N, Wk, b, y2);
                if (rc != 0) {
                    if (sh->must)
                        test_fail(__FILE__, __LINE__, "oneDNN refused cifar-cnn layer shape %zu", s);
                    nn_conv_dnnl_free(e);
                    continue;
                }
                for (size_t i = 0; i < ny; i++)
                    if (rel(y2[i], y1[i]) > 1e-4)
                        test_fail(__FILE__, __LINE__, "shape %zu relu %d team %d: y[%zu] %g, im2col %g", s, relu, use_team, i, y2[i], y1[i]);
                /* backward: dW, db accumulate onto the same start; dx is overwritten */
                fill(dW1, nw, -1, 1, 5);
                memcpy(dW2, dW1, nw * sizeof(float));
                fill(db1, F, -1, 1, 6);
                memcpy(db2, db1, F * sizeof(float));
                fill(dx2, nx, 100, 200, 7);
                nn_conv2d_backward(&g, x, N, Wk, dy, dW1, db1, dx1, ws, nb);
                ASSERT_EQ_INT(nn_conv_dnnl_backward(e, use_team ? team : NULL, x, N, Wk, dy, dW2, db2, dx2), 0);
                for (size_t i = 0; i < nw; i++)
                    if (rel(dW2[i], dW1[i]) > 1e-4)
                        test_fail(__FILE__, __LINE__, "shape %zu team %d: dW[%zu] %g, im2col %g", s, use_team, i, dW2[i], dW1[i]);
                for (size_t f = 0; f < F; f++)
                    ASSERT_NEAR(db2[f], db1[f], 1e-4 * (1.0 + fabs(db1[f])));
                for (size_t i = 0; i < nx; i++)
                    if (rel(dx2[i], dx1[i]) > 1e-4)
                        test_fail(__FILE__, __LINE__, "shape %zu team %d: dx[%zu] %g, im2col %g", s, use_team, i, dx2[i], dx1[i]);
                /* dx NULL (a first layer): dW alone, the same */
                memcpy(dW2, dW1, nw * sizeof(float));
                nn_conv2d_backward(&g, x, N, Wk, dy, dW1, NULL, NULL, ws, nb);
                ASSERT_EQ_INT(nn_conv_dnnl_backward(e, use_team ? team : NULL, x, N, Wk, dy, dW2, NULL, NULL), 0);
                for (size_t i = 0; i < nw; i++)
                    if (rel(dW2[i], dW1[i]) > 1e-4)
                        test_fail(__FILE__, __LINE__, "shape %zu team %d (no dx): dW[%zu] %g, im2col %g", s, use_team, i, dW2[i], dW1[i]);
                /* another batch size on the same engine (a short last batch), then the first again */
                const size_t n2 = N - 1, ny2 = n2 * g.OH * g.OW * F;
                nn_conv2d_forward(&g, x, n2, Wk, b, relu, y1, ws, nb);
                ASSERT_EQ_INT(nn_conv_dnnl_forward(e, use_team ? team : NULL, x, n2, Wk, b, y2), 0);
                for (size_t i = 0; i < ny2; i++)
                    if (rel(y2[i], y1[i]) > 1e-4)
                        test_fail(__FILE__, __LINE__, "shape %zu, %zu images: y[%zu] %g, im2col %g", s, n2, i, y2[i], y1[i]);
                nn_conv_dnnl_free(e);
            }
        }
        free(x), free(Wk), free(b), free(dy), free(y1), free(y2), free(ws);
        free(dW1), free(dW2), free(db1), free(db2), free(dx1), free(dx2);
    }
    parallel_team_free(team);
}

/* The engine's own gradients against central finite differences (the
 * bounds of test_cnn.c: h = 1e-2, tolerance 2e-3). */
struct dctx {
    struct nn_conv_dnnl *e;
    size_t N, ny;
    float *x, *Wk, *b, *y, *c;
};

static double dloss(const float *unused, void *ctx)
{
    struct dctx *d = ctx;
    if (nn_conv_dnnl_forward(d->e, NULL, d->x, d->N, d->Wk, d->b, d->y) != 0)
        return NAN;
    return gradcheck_quad_loss(d->y, d->c, d->ny, NULL);
}

TEST(nn_conv_dnnl_backward_gradcheck)
{
    struct nn_win g;
    ASSERT_EQ_INT(nn_win_init(&g, 5, 6, 3, 3, 3, 1, 1, NN_PAD_SAME, 8), 0);
    struct nn_conv_dnnl *e = nn_conv_dnnl_new(&g, 0, 1);
    if (!nn_conv_dnnl_available()) {
        ASSERT(e == NULL);
        return;
    }
    ASSERT(e);
    const size_t N = 2, nx = N * 5 * 6 * 3, ny = N * g.OH * g.OW * 8, nw = 9 * 3 * 8, F = 8;
    struct dctx d = { e, N, ny, gradcheck_floats(nx), gradcheck_floats(nw), gradcheck_floats(F),
                      gradcheck_floats(ny), gradcheck_floats(ny) };
    float *dy = gradcheck_floats(ny), *dW = gradcheck_floats(nw), *db = gradcheck_floats(F),
          *dx = gradcheck_floats(nx);
    fill(d.x, nx, -1, 1, 11);
    fill(d.Wk, nw, -1.0f / sqrtf(27.0f), 1.0f / sqrtf(27.0f), 12); /* outputs of order 1 */
    fill(d.b, F, -1, 1, 13);
    fill(d.c, ny, -1, 1, 14);
    memset(dW, 0, nw * sizeof(float));
    memset(db, 0, F * sizeof(float));
    ASSERT(!isnan(dloss(NULL, &d)));
    gradcheck_quad_loss(d.y, d.c, ny, dy);
    ASSERT_EQ_INT(nn_conv_dnnl_backward(e, NULL, d.x, N, d.Wk, dy, dW, db, dx), 0);
    gradcheck_require(1e-2, "oneDNN conv dW", dloss, &d, d.Wk, dW, nw, 2e-3);
    gradcheck_require(1e-2, "oneDNN conv db", dloss, &d, d.b, db, F, 2e-3);
    gradcheck_require(1e-2, "oneDNN conv dx", dloss, &d, d.x, dx, nx, 2e-3);
    nn_conv_dnnl_free(e);
    free(d.x), free(d.Wk), free(d.b), free(d.y), free(d.c), free(dy), free(dW), free(db), free(dx);
}
