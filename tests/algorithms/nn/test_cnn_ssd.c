/*
 * test_cnn_ssd.c: the layers of algorithms/nn/cnn.h that SSD's VGG-16
 * needs: the dilated conv2d (geometry, forward against naive loops and
 * against nn_conv2d_forward at dilation 1, backward against central finite
 * differences with the += / = conventions) and the L2 normalisation with
 * its learned scale (forward by hand, backward by finite differences).
 * Same gradient-check budget as test_cnn.c (h = 1e-2, loss
 * L = sum c_i y_i + 0.5 y_i^2, bound 2e-3; the dilated conv is linear in
 * each argument, the L2 norm's inputs are kept away from 0 so that its
 * third derivative stays small).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "support/harness.h"
#include "support/gradcheck.h"
#include "nn/cnn.h"
#include "nn/nn.h"

#define GC_H 1e-2
#define GC_TOL 2e-3

static void fill(float *w, size_t n, float lo, float hi, uint64_t seed)
{
    uint64_t s = seed;
    nn_init_uniform(w, n, lo, hi, &s);
}

TEST(nn_dilated_geometry_as_caffe_fc6)
{
    struct nn_win g;
    /* SSD300's fc6: 19 x 19 x 512, 3x3 dilation 6, pad 6: 19 x 19 */
    ASSERT_EQ_INT(nn_win_init_dilated(&g, 19, 19, 512, 3, 1, 6, NN_PAD_SAME, 1024), 0);
    ASSERT_EQ_INT(g.OH, 19);
    ASSERT_EQ_INT(g.OW, 19);
    ASSERT_EQ_INT(g.PT, 6);
    ASSERT_EQ_INT(g.PL, 6);
    ASSERT_EQ_INT(g.KH, 3);
    ASSERT_EQ_INT(nn_conv2d_workspace(&g, 2), 2 * 19 * 19 * 9 * 512);
    /* VALID: the effective 13 x 13 window */
    ASSERT_EQ_INT(nn_win_init_dilated(&g, 19, 19, 4, 3, 1, 6, NN_PAD_VALID, 8), 0);
    ASSERT_EQ_INT(g.OH, 7);
    ASSERT(nn_win_init_dilated(&g, 12, 12, 4, 3, 1, 6, NN_PAD_VALID, 8) != 0);
    ASSERT(nn_win_init_dilated(&g, 12, 12, 4, 3, 1, 0, NN_PAD_SAME, 8) != 0);
}

struct dil_shape {
    size_t N, H, W, C, K, S, d, F;
    enum nn_pad pad;
};
static const struct dil_shape dil_shapes[] = {
    {2, 7, 7, 2, 3, 1, 3, 3, NN_PAD_SAME},
    {1, 10, 8, 2, 3, 2, 2, 3, NN_PAD_SAME},
    {3, 11, 11, 2, 3, 1, 2, 2, NN_PAD_VALID},
    {2, 5, 5, 3, 3, 1, 6, 2, NN_PAD_SAME}, /* dilation past the image: only the centre tap is inside */
    {2, 5, 4, 3, 1, 1, 3, 2, NN_PAD_SAME}, /* 1x1: no workspace, the plain conv */
};
#define N_DIL (sizeof(dil_shapes) / sizeof(dil_shapes[0]))

static void dil_naive(const struct nn_win *g, size_t d, const float *x, size_t N, const float *Wk, const float *b,
                      float *y)
{
    for (size_t n = 0; n < N; n++)
        for (size_t oh = 0; oh < g->OH; oh++)
            for (size_t ow = 0; ow < g->OW; ow++)
                for (size_t f = 0; f < g->F; f++) {
                    double s = b[f];
                    for (size_t kh = 0; kh < g->KH; kh++)
                        for (size_t kw = 0; kw < g->KW; kw++) {
                            long ih = (long)(oh * g->SH + kh * d) - (long)g->PT;
                            long iw = (long)(ow * g->SW + kw * d) - (long)g->PL;
                            if (ih < 0 || iw < 0 || ih >= (long)g->H || iw >= (long)g->W)
                                continue;
                            for (size_t c = 0; c < g->C; c++)
                                s += (double)x[((n * g->H + (size_t)ih) * g->W + (size_t)iw) * g->C + c] *
                                     Wk[((kh * g->KW + kw) * g->C + c) * g->F + f];
                        }
                    y[((n * g->OH + oh) * g->OW + ow) * g->F + f] = (float)s;
                }
}

struct dil_ctx {
    struct nn_win g;
    size_t d, N, nb;
    float *x, *Wk, *b, *y, *c, *ws;
};

static double dil_loss(const float *unused, void *ctx)
{
    (void)unused;
    struct dil_ctx *d = ctx;
    nn_conv2d_dilated_forward(&d->g, d->d, d->x, d->N, d->Wk, d->b, 0, d->y, d->ws, d->nb);
    return gradcheck_quad_loss(d->y, d->c, d->N * d->g.OH * d->g.OW * d->g.F, NULL);
}

TEST(nn_dilated_conv_naive_and_gradcheck)
{
    for (size_t s = 0; s < N_DIL; s++) {
        const struct dil_shape *cs = &dil_shapes[s];
        struct dil_ctx d = {.d = cs->d, .N = cs->N, .nb = cs->N > 1 ? cs->N - 1 : 1};
        ASSERT_EQ_INT(nn_win_init_dilated(&d.g, cs->H, cs->W, cs->C, cs->K, cs->S, cs->d, cs->pad, cs->F), 0);
        const size_t nx = cs->N * cs->H * cs->W * cs->C, ny = cs->N * d.g.OH * d.g.OW * cs->F;
        const size_t nw = cs->K * cs->K * cs->C * cs->F, F = cs->F;
        d.x = gradcheck_floats(nx), d.Wk = gradcheck_floats(nw), d.b = gradcheck_floats(F);
        d.y = gradcheck_floats(ny), d.c = gradcheck_floats(ny);
        d.ws = gradcheck_floats(nn_conv2d_workspace(&d.g, d.nb));
        float *yr = gradcheck_floats(ny), *dy = gradcheck_floats(ny), *dW = gradcheck_floats(nw);
        float *db = gradcheck_floats(F), *dx = gradcheck_floats(nx), *dW0 = gradcheck_floats(nw);
        fill(d.x, nx, -1, 1, 10 + s);
        const float a = 1.0f / sqrtf((float)(cs->K * cs->K * cs->C));
        fill(d.Wk, nw, -a, a, 20 + s);
        fill(d.b, F, -1, 1, 30 + s);
        fill(d.c, ny, -1, 1, 40 + s);
        dil_loss(NULL, &d);
        dil_naive(&d.g, d.d, d.x, d.N, d.Wk, d.b, yr);
        for (size_t i = 0; i < ny; i++)
            ASSERT_NEAR(d.y[i], yr[i], 1e-5 * (1.0 + fabs(yr[i])));
        /* fused ReLU */
        nn_conv2d_dilated_forward(&d.g, d.d, d.x, d.N, d.Wk, d.b, 1, d.y, d.ws, d.nb);
        for (size_t i = 0; i < ny; i++)
            ASSERT_NEAR(d.y[i], yr[i] > 0 ? yr[i] : 0.0f, 1e-5 * (1.0 + fabs(yr[i])));
        dil_loss(NULL, &d);
        gradcheck_quad_loss(d.y, d.c, ny, dy);
        fill(dW0, nw, -5, 5, 50 + s); /* backward adds to these */
        memcpy(dW, dW0, nw * sizeof(float));
        memset(db, 0, F * sizeof(float));
        fill(dx, nx, 100, 200, 70 + s); /* must be overwritten */
        nn_conv2d_dilated_backward(&d.g, d.d, d.x, d.N, d.Wk, dy, dW, db, dx, d.ws, d.nb);
        for (size_t i = 0; i < nw; i++)
            dW[i] -= dW0[i];
        char what[64];
        snprintf(what, sizeof(what), "dilated shape %zu dW", s);
        gradcheck_require(GC_H, what, dil_loss, &d, d.Wk, dW, nw, GC_TOL);
        snprintf(what, sizeof(what), "dilated shape %zu db", s);
        gradcheck_require(GC_H, what, dil_loss, &d, d.b, db, F, GC_TOL);
        snprintf(what, sizeof(what), "dilated shape %zu dx", s);
        gradcheck_require(GC_H, what, dil_loss, &d, d.x, dx, nx, GC_TOL);
        free(d.x), free(d.Wk), free(d.b), free(d.y), free(d.c), free(d.ws);
        free(yr), free(dy), free(dW), free(db), free(dx), free(dW0);
    }
}

TEST(nn_dilated_conv_at_dilation_1_is_conv2d)
{
    struct nn_win g, g1;
    ASSERT_EQ_INT(nn_win_init_dilated(&g, 7, 6, 3, 3, 2, 1, NN_PAD_SAME, 5), 0);
    ASSERT_EQ_INT(nn_win_init(&g1, 7, 6, 3, 3, 3, 2, 2, NN_PAD_SAME, 5), 0);
    ASSERT(memcmp(&g, &g1, sizeof(g)) == 0);
    const size_t nx = 2 * 7 * 6 * 3, nw = 9 * 3 * 5, ny = 2 * g.OH * g.OW * 5;
    float *x = gradcheck_floats(nx), *W = gradcheck_floats(nw), *b = gradcheck_floats(5);
    float *y = gradcheck_floats(ny), *y1 = gradcheck_floats(ny), *ws = gradcheck_floats(nn_conv2d_workspace(&g, 2));
    fill(x, nx, -1, 1, 1), fill(W, nw, -1, 1, 2), fill(b, 5, -1, 1, 3);
    nn_conv2d_dilated_forward(&g, 1, x, 2, W, b, 0, y, ws, 2);
    nn_conv2d_forward(&g1, x, 2, W, b, 0, y1, ws, 2);
    for (size_t i = 0; i < ny; i++)
        ASSERT_NEAR(y[i], y1[i], 1e-5 * (1.0 + fabs(y1[i])));
    free(x), free(W), free(b), free(y), free(y1), free(ws);
}

struct l2n_ctx {
    size_t M, C;
    float *x, *scale, *y, *c, *inv;
};

static double l2n_loss(const float *unused, void *ctx)
{
    (void)unused;
    struct l2n_ctx *d = ctx;
    nn_l2norm_forward(d->x, d->M, d->C, d->scale, d->y, d->inv);
    return gradcheck_quad_loss(d->y, d->c, d->M * d->C, NULL);
}

TEST(nn_l2norm_forward_and_gradcheck)
{
    /* by hand: (3, 4) has norm 5; scale (20, 10) */
    float x0[2] = {3, 4}, sc0[2] = {20, 10}, y0[2], inv0[1];
    nn_l2norm_forward(x0, 1, 2, sc0, y0, inv0);
    ASSERT_NEAR(y0[0], 12.0f, 1e-5);
    ASSERT_NEAR(y0[1], 8.0f, 1e-5);
    ASSERT_NEAR(inv0[0], 0.2f, 1e-7);
    /* an all-zero pixel gives zeros, not NaN */
    float z[2] = {0, 0};
    nn_l2norm_forward(z, 1, 2, sc0, y0, inv0);
    ASSERT(y0[0] == 0.0f && y0[1] == 0.0f);

    struct l2n_ctx d = {.M = 6, .C = 5};
    const size_t n = d.M * d.C;
    d.x = gradcheck_floats(n), d.scale = gradcheck_floats(d.C), d.y = gradcheck_floats(n);
    d.c = gradcheck_floats(n), d.inv = gradcheck_floats(d.M);
    fill(d.x, n, 0.5f, 1.5f, 1);
    for (size_t i = 0; i < n; i += 3)
        d.x[i] = -d.x[i];
    fill(d.scale, d.C, 0.5f, 2.0f, 2);
    fill(d.c, n, -1, 1, 3);
    float *dy = gradcheck_floats(n), *dx = gradcheck_floats(n), *ds = gradcheck_floats(d.C);
    float *ds0 = gradcheck_floats(d.C);
    l2n_loss(NULL, &d);
    gradcheck_quad_loss(d.y, d.c, n, dy);
    fill(ds0, d.C, -3, 3, 4); /* backward adds to these */
    memcpy(ds, ds0, d.C * sizeof(float));
    fill(dx, n, 100, 200, 5); /* must be overwritten */
    nn_l2norm_backward(d.x, dy, d.M, d.C, d.scale, d.inv, ds, dx);
    for (size_t c = 0; c < d.C; c++)
        ds[c] -= ds0[c];
    gradcheck_require(GC_H, "l2norm dscale", l2n_loss, &d, d.scale, ds, d.C, GC_TOL);
    gradcheck_require(GC_H, "l2norm dx", l2n_loss, &d, d.x, dx, n, GC_TOL);
    /* each output row has the norm of its scale */
    for (size_t r = 0; r < d.M; r++) {
        double s = 0;
        for (size_t c = 0; c < d.C; c++)
            s += pow(d.y[r * d.C + c] / d.scale[c], 2);
        ASSERT_NEAR(s, 1.0, 1e-5);
    }
    free(d.x), free(d.scale), free(d.y), free(d.c), free(d.inv), free(dy), free(dx), free(ds), free(ds0);
}
