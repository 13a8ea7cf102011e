/*
 * test_net.c: the cifar-cnn networks (algorithms/cifar_cnn/net.c): the
 * layer shapes and parameter counts of keras-cifar10 (B.1: 1,250,858 for
 * 32x32x3 and 10 classes) and sagemaker-cifar10 (B.3: 2x2x128 before the
 * head), small inputs refused, the byte form, and the backward pass of
 * each whole network (dropout and batch norm in training mode, the same
 * dropout masks each time) against central finite differences on a tiny
 * batch: for every trained tensor, the loss's derivative along its own
 * gradient g / |g| must be |g|.  A directional derivative, because single
 * elements are unreliable here: h = 1e-2 crosses ReLU and max-pool kinks,
 * and h below 1e-3 drowns in float rounding through six batch norms; along
 * g with h = 1e-3 this measures at most ~1e-2 (the convolution biases
 * before a batch norm, whose true gradient is 0: the relative error has a
 * floor of 0.05 in its divisor), while a wrong factor or a missing term
 * gives O(1).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "support/gradcheck.h"
#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"
#include "common/losses.h"
#include "common/rng.h"

TEST(cifar_net_keras_shapes_and_parameter_count)
{
    struct cc_net net;
    char err[256];
    ASSERT(cc_net_build(&net, CC_ARCH_KERAS, &(struct cc_shape){32, 32, 3}, 10, 0, OPTIM_RMSPROP, err,
                        sizeof(err)) == 0);
    ASSERT_EQ_INT((int)cc_net_count_trained(&net), 1250858);
    ASSERT_EQ_INT((int)cc_net_count_all(&net), 1250858);
    ASSERT_EQ_INT((int)net.n_layers, 11); /* B.1's table less Flatten (NHWC is already flat) */
    /* outputs per image: 32x32x32, 30x30x32, 15x15x32, ..., 13x13x64, 6x6x64, 512, 10 */
    static const size_t OUT[11] = {32 * 32 * 32, 30 * 30 * 32, 15 * 15 * 32, 15 * 15 * 32, 15 * 15 * 64,
                                   13 * 13 * 64, 6 * 6 * 64,   6 * 6 * 64,   512,          512,
                                   10};
    for (int i = 0; i < 11; i++)
        ASSERT_EQ_INT((int)net.L[i].out, (int)OUT[i]);
    ASSERT_EQ_INT((int)net.L[8].in, 2304);
    cc_net_free(&net);

    /* Fashion-MNIST's shape: 28x28x1 -> 5x5x64 = 1600 before the head */
    ASSERT(cc_net_build(&net, CC_ARCH_KERAS, &(struct cc_shape){28, 28, 1}, 10, 0, OPTIM_RMSPROP, err,
                        sizeof(err)) == 0);
    ASSERT_EQ_INT((int)net.L[8].in, 1600);
    ASSERT_EQ_INT((int)cc_net_count_trained(&net), 320 + 9248 + 18496 + 36928 + 1600 * 512 + 512 + 5130);
    cc_net_free(&net);

    ASSERT(cc_net_build(&net, CC_ARCH_KERAS, &(struct cc_shape){9, 9, 1}, 10, 0, OPTIM_RMSPROP, err,
                        sizeof(err)) != 0);
    ASSERT_CONTAINS(err, "too small");
}

TEST(cifar_net_sagemaker_shapes_and_parameter_count)
{
    struct cc_net net;
    char err[256];
    ASSERT(cc_net_build(&net, CC_ARCH_SAGEMAKER, &(struct cc_shape){32, 32, 3}, 10, 0, OPTIM_ADAM, err,
                        sizeof(err)) == 0);
    /* 6 convs with bias, 6 batch norms (gamma, beta trained; 2 moving stats each), 512 -> 512 -> 10 */
    size_t conv = (27 * 32 + 32) + (288 * 32 + 32) + (288 * 64 + 64) + (576 * 64 + 64) + (576 * 128 + 128) +
                  (1152 * 128 + 128);
    size_t bn = 2 * (32 + 32 + 64 + 64 + 128 + 128);
    size_t head = 512 * 512 + 512 + 512 * 10 + 10;
    ASSERT_EQ_INT((int)cc_net_count_trained(&net), (int)(conv + bn + head));
    ASSERT_EQ_INT((int)cc_net_count_all(&net), (int)(conv + 2 * bn + head));
    ASSERT_EQ_INT((int)net.L[net.n_layers - 3].in, 512); /* 2x2x128 flattened */
    cc_net_free(&net);
    ASSERT(cc_net_build(&net, CC_ARCH_SAGEMAKER, &(struct cc_shape){21, 21, 3}, 10, 0, OPTIM_ADAM, err,
                        sizeof(err)) != 0);
    ASSERT(cc_net_build(&net, CC_ARCH_SAGEMAKER, &(struct cc_shape){22, 22, 1}, 3, 0, OPTIM_ADAM, err,
                        sizeof(err)) == 0);
    cc_net_free(&net);
}

struct gc {
    struct cc_net *net;
    struct cc_work *w;
    const float *x;
    const float *y;
    size_t n;
    uint64_t seed;
    float *dl;
};

/* The training loss (mean cross-entropy) with the same dropout masks each time. */
static double loss_of(const float *unused, void *vctx)
{
    (void)unused;
    struct gc *g = vctx;
    uint64_t rng = g->seed;
    const float *z = cc_net_forward(g->net, g->w, g->x, g->n, 1, &rng);
    double l = 0;
    softmax_xent_batch(z, g->y, NULL, g->n, 1, g->net->classes, NULL, NULL, &l);
    return l / (double)g->n;
}

static void check_network(int arch, struct cc_shape s, size_t n, size_t k, double bound)
{
    struct cc_net net;
    struct cc_work w;
    char err[256];
    ASSERT(cc_net_build(&net, arch, &s, k, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_ADAM, err, sizeof(err)) == 0);
    uint64_t rng = 7;
    cc_net_init(&net, &rng);
    /* non-trivial biases and batch-norm parameters */
    for (size_t t = 0; t < net.p.n_tensors; t++)
        if (net.p.t[t].ndim == 1 && !(net.p.t[t].opts.flags & NN_PARAM_FROZEN)) {
            struct nn_view v = nn_params_view(&net.p, (int)t);
            for (size_t i = 0; i < v.n; i++)
                v.w[i] += 0.1f * (rng_uniform(&rng) - 0.5f);
        }
    ASSERT(cc_work_init(&w, &net, n, 1, NULL) == 0);
    size_t in = s.h * s.w * s.c;
    float *x = malloc(n * in * sizeof(float)), y[16];
    for (size_t i = 0; i < n * in; i++)
        x[i] = rng_uniform(&rng);
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(i % k);
    struct gc g = {&net, &w, x, y, n, 99, NULL};
    /* analytic gradients */
    uint64_t r = g.seed;
    float *z = cc_net_forward(&net, &w, x, n, 1, &r);
    float *dl = malloc(n * k * sizeof(float));
    softmax_xent_batch(z, y, NULL, n, 1, k, dl, NULL, NULL);
    for (size_t i = 0; i < n * k; i++)
        dl[i] /= (float)n;
    nn_params_zero_grad(&net.p);
    cc_net_backward(&net, &w, dl, n);
    /* per trained tensor, the derivative along its own gradient g / |g| against |g| */
    double worst = 0;
    for (size_t t = 0; t < net.p.n_tensors; t++) {
        struct nn_view v = nn_params_view(&net.p, (int)t);
        if (!v.g)
            continue;
        double norm = 0;
        for (size_t i = 0; i < v.n; i++)
            norm += (double)v.g[i] * v.g[i];
        norm = sqrt(norm);
        float *w0 = malloc(v.n * sizeof(float));
        memcpy(w0, v.w, v.n * sizeof(float));
        double h = 1e-3, l[2];
        for (int side = 0; side < 2; side++) {
            for (size_t i = 0; i < v.n; i++)
                v.w[i] = w0[i] + (float)((side ? -h : h) * v.g[i] / (norm > 0 ? norm : 1));
            l[side] = loss_of(NULL, &g);
        }
        memcpy(v.w, w0, v.n * sizeof(float));
        free(w0);
        double num = (l[0] - l[1]) / (2 * h), e = fabs(num - norm) / fmax(fabs(num) + norm, 0.05);
        if (!(e <= bound))
            test_fail(__FILE__, __LINE__, "tensor %s: |g| %g, the loss's derivative along g %g: relative error %g "
                      "(bound %g)", net.p.t[t].name, norm, num, e, bound);
        if (e > worst)
            worst = e;
    }
    ASSERT(worst > 0);
    free(x);
    free(dl);
    cc_work_free(&w);
    cc_net_free(&net);
}

TEST(cifar_net_keras_gradient_check)
{
    check_network(CC_ARCH_KERAS, (struct cc_shape){10, 10, 2}, 3, 3, 3e-2);
}

TEST(cifar_net_sagemaker_gradient_check)
{
    check_network(CC_ARCH_SAGEMAKER, (struct cc_shape){30, 30, 1}, 8, 4, 3e-2);
}

TEST(cifar_net_byte_form_round_trip)
{
    struct cc_net a, b;
    char err[256];
    struct cc_shape s = {28, 28, 1};
    ASSERT(cc_net_build(&a, CC_ARCH_SAGEMAKER, &s, 5, 0, OPTIM_ADAM, err, sizeof(err)) == 0);
    uint64_t rng = 3;
    cc_net_init(&a, &rng);
    struct nn_buf buf = {0};
    ASSERT(cc_net_save(&a, 0, &buf, err, sizeof(err)) == 0);
    int arch;
    struct cc_shape got;
    size_t k, hdr;
    ASSERT(cc_net_peek(buf.data, buf.len, &arch, &got, &k, &hdr, err, sizeof(err)) == 0);
    ASSERT_EQ_INT(arch, CC_ARCH_SAGEMAKER);
    ASSERT_EQ_INT((int)got.h, 28);
    ASSERT_EQ_INT((int)k, 5);
    ASSERT(cc_net_build(&b, arch, &got, k, 0, OPTIM_ADAM, err, sizeof(err)) == 0);
    ASSERT(nn_params_load(&b.p, buf.data + hdr, buf.len - hdr, 0, err, sizeof(err)) == 0);
    ASSERT(memcmp(a.p.param, b.p.param, a.p.n_param * sizeof(float)) == 0);
    buf.data[0] = 'X';
    ASSERT(cc_net_peek(buf.data, buf.len, &arch, &got, &k, &hdr, err, sizeof(err)) != 0);
    free(buf.data);
    cc_net_free(&a);
    cc_net_free(&b);
}
