/*
 * test_net_backbones.c: SageMaker's backbones of object_detection/net.h,
 * `vgg-16` (SSD300) and `resnet-50` (GluonCV's SSD): the layout at 300 px
 * (feature map sizes, boxes a cell, 8,732 boxes for SSD300, the named
 * layers), the backward along its own gradient against central
 * differences for a few tensors and the input (the wiring: L2 norm,
 * dilated fc6, pools, residual sums, batch norm), and training steps on a
 * repeated batch of Fashion-MNIST scenes (finite outputs, the multibox
 * loss falls).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/od_scenes.h"
#include "object_detection/hparams.h"
#include "object_detection/match.h"
#include "object_detection/multibox.h"
#include "object_detection/net.h"
#include "nn/nn.h"
#include "support/gradcheck.h"
#include "support/harness.h"

static void make(struct od_net *net, enum od_backbone bb, unsigned S, unsigned classes, size_t batch, int train)
{
    char err[200];
    struct od_net_cfg cfg = {S, classes, 0.5f, batch, 7, bb};
    if (od_net_create(net, &cfg, train, err, sizeof(err)) != 0)
        test_fail(__FILE__, __LINE__, "%s", err);
}

static int find_tensor(const struct od_net *net, const char *name)
{
    for (size_t i = 0; i < net->params.n_tensors; i++)
        if (strcmp(nn_params_view(&net->params, (int)i).t->name, name) == 0)
            return (int)i;
    return -1;
}

static int find_op(const struct od_net *net, const char *name)
{
    for (size_t i = 0; i < net->n_ops; i++)
        if (strcmp(net->op[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Weights and biases (tensors that are trained). */
static size_t trained_params(const struct od_net *net)
{
    size_t n = 0;
    for (size_t i = 0; i < net->params.n_tensors; i++)
        if (!(net->params.t[i].opts.flags & NN_PARAM_FROZEN))
            n += net->params.t[i].n;
    return n;
}

static void fill_random(float *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((seed >> 40) & 0xffff) / 32768.0f - 1.0f;
    }
}

TEST(od_net_names_of_backbones)
{
    ASSERT_EQ_INT(od_backbone_parse("vgg-16"), OD_BACKBONE_VGG16);
    ASSERT_EQ_INT(od_backbone_parse("resnet-50"), OD_BACKBONE_RESNET50);
    ASSERT_EQ_INT(od_backbone_parse("mobilenet-ssdlite"), OD_BACKBONE_MOBILENET_SSDLITE);
    ASSERT_EQ_INT(od_backbone_parse("vgg16"), -1);
    ASSERT_EQ_INT(od_backbone_parse(NULL), -1);
    ASSERT_EQ_STR(od_backbone_name(OD_BACKBONE_RESNET50), "resnet-50");
    /* the numbers are hparams.h's base_network values */
    ASSERT_EQ_INT(OD_BACKBONE_MOBILENET_SSDLITE, OD_NET_MOBILENET_SSDLITE);
    ASSERT_EQ_INT(OD_BACKBONE_VGG16, OD_NET_VGG16);
    ASSERT_EQ_INT(OD_BACKBONE_RESNET50, OD_NET_RESNET50);
}

/* SSD300 as the paper: maps 38, 19, 10, 5, 3, 1 with 4, 6, 6, 6, 4, 4
 * boxes a cell (8,732), conv4_3 L2-normalised (scale 20), fc6 dilated 6,
 * pool5 3x3 stride 1; the VOC model's parameter count (21 scores a box). */
TEST(od_net_vgg16_ssd300_layout)
{
    struct od_net net;
    make(&net, OD_BACKBONE_VGG16, 300, 20, 1, 0);
    static const unsigned sizes[6] = {38, 19, 10, 5, 3, 1}, per[6] = {4, 6, 6, 6, 4, 4};
    ASSERT_EQ_INT(net.n_maps, 6);
    for (unsigned k = 0; k < 6; k++) {
        ASSERT_EQ_INT(net.map_size[k], sizes[k]);
        ASSERT_EQ_INT(net.per_cell[k], per[k]);
    }
    ASSERT_EQ_INT(net.A, 8732);
    int n = find_tensor(&net, "conv4_3_norm.scale");
    ASSERT(n >= 0);
    struct nn_view v = nn_params_view(&net.params, n);
    ASSERT_EQ_INT(v.n, 512);
    ASSERT(v.w[0] == 20.0f && v.w[511] == 20.0f);
    int f6 = find_op(&net, "fc6"), p5 = find_op(&net, "pool5");
    ASSERT(f6 >= 0 && p5 >= 0);
    ASSERT_EQ_INT(net.op[f6].dil, 6);
    ASSERT_EQ_INT(net.op[f6].g.F, 1024);
    ASSERT_EQ_INT(net.op[f6].g.OH, 19);
    ASSERT_EQ_INT(net.op[p5].g.KH, 3);
    ASSERT_EQ_INT(net.op[p5].g.SH, 1);
    ASSERT(find_tensor(&net, "conv11_2.kernel") >= 0);
    ASSERT(find_tensor(&net, "head5.cls.kernel") >= 0);
    /* the Caffe SSD300 VOC model's 26,285,486 (conv4_3_norm's 512 scales
     * included) */
    ASSERT_EQ_INT(trained_params(&net), 26285486);
    fprintf(stderr, "    vgg-16 at 300 px: %.1f GMACs an image, %zu parameters\n", od_net_flops(&net) / 1e9,
            trained_params(&net));
    od_net_free(&net);
    /* a small input stops the extra layers at a 1x1 map */
    make(&net, OD_BACKBONE_VGG16, 64, 3, 1, 0);
    ASSERT_EQ_INT(net.n_maps, 4);
    ASSERT_EQ_INT(net.map_size[0], 8);
    ASSERT_EQ_INT(net.map_size[3], 1);
    od_net_free(&net);
}

struct gc_ctx {
    struct od_net *net;
    const float *x;
    size_t N;
    float *loc, *conf, *c;
    float *w, *base, *dir;
    size_t n;
};

static double gc_loss(const float *t, void *vctx)
{
    struct gc_ctx *g = vctx;
    for (size_t i = 0; i < g->n; i++)
        g->w[i] = g->base[i] + t[0] * g->dir[i];
    od_net_forward(g->net, g->x, g->N, g->loc, g->conf);
    size_t nl = g->N * g->net->A * 4, nc = g->N * g->net->A * g->net->K;
    return gradcheck_quad_loss(g->loc, g->c, nl, NULL) + gradcheck_quad_loss(g->conf, g->c + nl, nc, NULL);
}

/* As test_net.c's: the loss's derivative along the analytic gradient of
 * one tensor, scaled to a largest step of 1, against central differences. */
static void check_direction(struct gc_ctx *g, const char *what, float *w, const float *grad, size_t n)
{
    g->w = w, g->n = n;
    g->base = malloc(n * sizeof(float)), g->dir = malloc(n * sizeof(float));
    memcpy(g->base, w, n * sizeof(float));
    double gmax = 0, gd = 0;
    for (size_t i = 0; i < n; i++)
        gmax = fabs(grad[i]) > gmax ? fabs(grad[i]) : gmax;
    ASSERT(gmax > 0);
    for (size_t i = 0; i < n; i++)
        g->dir[i] = (float)(grad[i] / gmax);
    for (size_t i = 0; i < n; i++)
        gd += (double)grad[i] * g->dir[i];
    float t = 0.0f, gdf = (float)gd;
    gradcheck_require(1e-4, what, gc_loss, g, &t, &gdf, 1, 2e-2);
    memcpy(w, g->base, n * sizeof(float));
    free(g->base), free(g->dir);
}

/* The same along one element, the one of the largest gradient: the check
 * for resnet-50, whose convolutions feed batch norms (a whole-tensor step
 * moves a batch's statistics, and with two images a 1x1 map's normalised
 * output is nearly a sign: the loss is too curved along the whole
 * gradient for a finite difference; one weight at a time it is not). */
static void check_element(struct gc_ctx *g, const char *what, float *w, const float *grad, size_t n)
{
    size_t im = 0;
    for (size_t i = 0; i < n; i++)
        im = fabs(grad[i]) > fabs(grad[im]) ? i : im;
    ASSERT(grad[im] != 0.0f);
    g->w = w, g->n = n;
    g->base = malloc(n * sizeof(float)), g->dir = calloc(n, sizeof(float));
    memcpy(g->base, w, n * sizeof(float));
    g->dir[im] = 1.0f;
    float t = 0.0f, gd = grad[im];
    gradcheck_require(1e-4, what, gc_loss, g, &t, &gd, 1, 5e-2);
    memcpy(w, g->base, n * sizeof(float));
    free(g->base), free(g->dir);
}

static void gradient_directions(enum od_backbone bb, const char *const *names)
{
    void (*check)(struct gc_ctx *, const char *, float *, const float *, size_t) =
        bb == OD_BACKBONE_RESNET50 ? check_element : check_direction;
    struct od_net net;
    make(&net, bb, 64, 2, 2, 1);
    size_t N = 2, in = 64 * 64 * 3, nl = N * net.A * 4, nc = N * net.A * net.K;
    float *x = malloc(N * in * sizeof(float)), *dx = malloc(N * in * sizeof(float));
    struct gc_ctx g = {&net, x, N, malloc(nl * sizeof(float)), malloc(nc * sizeof(float)),
                       malloc((nl + nc) * sizeof(float)), NULL, NULL, NULL, 0};
    float *dloc = malloc(nl * sizeof(float)), *dconf = malloc(nc * sizeof(float));
    fill_random(x, N * in, 21);
    fill_random(g.c, nl + nc, 22);
    /* biases off zero, as test_net.c's check (He-normal kernels keep the
     * activations of order 1 through the depth; batch norm's are 0 and 1) */
    uint64_t rng = 5;
    for (size_t i = 0; i < net.n_ops; i++)
        if (net.op[i].kind == OD_OP_CONV && net.op[i].hb >= 0) {
            struct nn_view b = nn_params_view(&net.params, net.op[i].hb);
            nn_init_uniform(b.w, b.n, -0.05f, 0.05f, &rng);
        }
    od_net_forward(&net, x, N, g.loc, g.conf);
    gradcheck_quad_loss(g.loc, g.c, nl, dloc);
    gradcheck_quad_loss(g.conf, g.c + nl, nc, dconf);
    nn_params_zero_grad(&net.params);
    od_net_backward(&net, dloc, dconf, dx);
    for (int i = 0; names[i]; i++) {
        int h = find_tensor(&net, names[i]);
        if (h < 0)
            test_fail(__FILE__, __LINE__, "no tensor %s", names[i]);
        struct nn_view v = nn_params_view(&net.params, h);
        check(&g, names[i], v.w, v.g, v.n);
    }
    check(&g, "input", x, dx, N * in);
    if (bb == OD_BACKBONE_VGG16) {
        /* a team of two threads (one image each, the shares' gradients
         * summed) gives the same outputs and gradients; not so for
         * resnet-50, whose batch norm takes each share's statistics */
        float *g1 = malloc(net.params.n_grad * sizeof(float)), *loc1 = malloc(nl * sizeof(float));
        od_net_forward(&net, x, N, loc1, g.conf);
        nn_params_zero_grad(&net.params);
        od_net_backward(&net, dloc, dconf, NULL);
        memcpy(g1, net.params.grad, net.params.n_grad * sizeof(float));
        char err[200];
        ASSERT_EQ_INT(od_net_set_threads(&net, 2, err, sizeof(err)), 0);
        od_net_forward(&net, x, N, g.loc, g.conf);
        for (size_t i = 0; i < nl; i++)
            ASSERT_NEAR(g.loc[i], loc1[i], 1e-4 + 1e-4 * fabsf(loc1[i]));
        nn_params_zero_grad(&net.params);
        od_net_backward(&net, dloc, dconf, NULL);
        for (size_t i = 0; i < net.params.n_grad; i++)
            ASSERT_NEAR(net.params.grad[i], g1[i], 1e-3 + 1e-3 * fabsf(g1[i]));
        free(g1), free(loc1);
    }
    free(x), free(dx), free(g.loc), free(g.conf), free(g.c), free(dloc), free(dconf);
    od_net_free(&net);
}

TEST_TIMEOUT(od_net_vgg16_gradient_directions, 120)
{
    static const char *const names[] = {"conv1_1.kernel", "conv4_3.bias", "conv4_3_norm.scale", "fc6.kernel",
                                        "fc7.bias", "conv9_2.kernel", "head0.loc.kernel", "head1.cls.bias",
                                        NULL};
    gradient_directions(OD_BACKBONE_VGG16, names);
}

/* A few training steps (forward, multibox loss, backward, Adam) on one
 * repeated batch of two 96 px scenes: every output finite, the loss falls. */
static void train_steps(enum od_backbone bb, int steps, float lr)
{
    enum { NS = 2, S = 96, C = 10 };
    struct od_fixture_items items;
    if (od_fixture_items_load(OD_FIXTURE_FMNIST, "train", 50, &items) != 0)
        test_fail(__FILE__, __LINE__, "dataset-fashion-mnist is not installed (bash .ci/deps.sh)");
    struct od_net net;
    make(&net, bb, S, C, NS, 1);
    size_t A = net.A, K = net.K, in = (size_t)S * S * 3;
    struct od_anchor *anc = malloc(A * sizeof(*anc));
    ASSERT_EQ_INT(od_net_anchors(&net, anc), A);
    float *x = malloc(NS * in * sizeof(float)), *lt = malloc(NS * A * 4 * sizeof(float));
    int *ct = malloc(NS * A * sizeof(int));
    uint64_t rng = 1616;
    for (int s = 0; s < NS; s++) {
        struct od_fixture_scene sc;
        ASSERT_EQ_INT(od_fixture_scene(&rng, &items, S, 3, &sc), 0);
        for (size_t p = 0; p < in; p++)
            x[s * in + p] = sc.img.px[p] / 127.5f - 1.0f;
        ASSERT(od_match(anc, A, sc.obj, sc.n, 0.5f, ct + s * A, lt + s * A * 4, NULL) >= (long)sc.n);
        od_fixture_scene_free(&sc);
    }
    float *loc = malloc(NS * A * 4 * sizeof(float)), *conf = malloc(NS * A * K * sizeof(float));
    float *dloc = malloc(NS * A * 4 * sizeof(float)), *dconf = malloc(NS * A * K * sizeof(float));
    struct optim_cfg oc = {OPTIM_ADAM, lr, 0, 0.9f, 0.999f, 1e-7f, 0, 0};
    double first = 0, last = 0;
    for (int it = 0; it < steps; it++) {
        od_net_forward(&net, x, NS, loc, conf);
        for (size_t i = 0; i < NS * A * 4; i++)
            ASSERT(isfinite(loc[i]));
        for (size_t i = 0; i < NS * A * K; i++)
            ASSERT(isfinite(conf[i]));
        struct od_loss L;
        ASSERT_EQ_INT(od_multibox_loss(loc, conf, lt, ct, NS, A, K, 3.0f, &L, dloc, dconf), 0);
        double l = L.loc + L.conf;
        ASSERT(isfinite(l));
        if (it == 0)
            first = l;
        last = l;
        nn_params_zero_grad(&net.params);
        od_net_backward(&net, dloc, dconf, NULL);
        ASSERT_EQ_INT(nn_params_step(&net.params, &oc, oc.lr), 0);
        for (size_t t = 0; t < net.params.n_tensors; t++) {
            struct nn_view v = nn_params_view(&net.params, (int)t);
            for (size_t i = 0; i < v.n; i++)
                if (!isfinite(v.w[i]))
                    test_fail(__FILE__, __LINE__, "%s is not finite after step %d", v.t->name, it);
        }
    }
    fprintf(stderr, "    %s: multibox loss %.3f -> %.3f over %d steps (%zu boxes, %.2f GMACs an image)\n",
            od_backbone_name(bb), first, last, steps, A, od_net_flops(&net) / 1e9);
    ASSERT(last < 0.8 * first);
    free(anc), free(x), free(lt), free(ct), free(loc), free(conf), free(dloc), free(dconf);
    od_fixture_items_free(&items);
    od_net_free(&net);
}

TEST_TIMEOUT(od_net_vgg16_trains_on_a_repeated_batch, 300)
{
    train_steps(OD_BACKBONE_VGG16, 8, 1e-4f);
}

/* GluonCV's ResNet-50 SSD: maps from res4 (1/16) and res5 (1/32) then the
 * extra layers (300 px: 19, 10, 5, 3, 2, 1); the backbone's weights are
 * ResNet-50's 23,508,032 (its 25,557,032 without the 1000-class layer),
 * batch norm's moving averages frozen and saved. */
TEST(od_net_resnet50_layout)
{
    struct od_net net;
    make(&net, OD_BACKBONE_RESNET50, 300, 20, 1, 0);
    static const unsigned sizes[6] = {19, 10, 5, 3, 2, 1}, per[6] = {4, 6, 6, 6, 4, 4};
    ASSERT_EQ_INT(net.n_maps, 6);
    size_t A = 0;
    for (unsigned k = 0; k < 6; k++) {
        ASSERT_EQ_INT(net.map_size[k], sizes[k]);
        ASSERT_EQ_INT(net.per_cell[k], per[k]);
        A += (size_t)sizes[k] * sizes[k] * per[k];
    }
    ASSERT_EQ_INT(net.A, A);
    size_t backbone = 0;
    for (size_t i = 0; i < net.params.n_tensors; i++) {
        const struct nn_tensor *t = &net.params.t[i];
        int frozen = (t->opts.flags & NN_PARAM_FROZEN) != 0;
        ASSERT_EQ_INT(frozen, strstr(t->name, ".moving_") != NULL);
        if (!frozen && (strncmp(t->name, "res", 3) == 0 || strncmp(t->name, "conv1.", 6) == 0 ||
                        strncmp(t->name, "bn_conv1.", 9) == 0))
            backbone += t->n;
    }
    ASSERT_EQ_INT(backbone, 23508032);
    int r4 = find_op(&net, "res4f"), r5 = find_op(&net, "res5c");
    ASSERT(r4 >= 0 && r5 >= 0);
    ASSERT_EQ_INT(net.op[r4].kind, OD_OP_ADD);
    ASSERT_EQ_INT(net.op[r4].g.F, 1024);
    ASSERT_EQ_INT(net.op[r5].g.F, 2048);
    ASSERT_EQ_INT(net.op[r5].g.OH, 10);
    ASSERT(find_tensor(&net, "res3a.down.kernel") >= 0);
    ASSERT(find_tensor(&net, "res3b.down.kernel") < 0);
    ASSERT(find_tensor(&net, "res2a.conv1.bias") < 0);
    ASSERT(find_tensor(&net, "extra4.conv_bn.gamma") >= 0);
    fprintf(stderr, "    resnet-50 at 300 px: %.1f GMACs an image, %zu boxes, %zu trained parameters\n",
            od_net_flops(&net) / 1e9, net.A, trained_params(&net));
    od_net_free(&net);
}

TEST_TIMEOUT(od_net_resnet50_gradient_elements, 120)
{
    static const char *const names[] = {"conv1.kernel", "bn_conv1.gamma", "res2a.down.kernel", "res2b.bn2.beta",
                                        "res4a.conv1.kernel", "res5c.bn3.gamma", "extra1.conv.kernel",
                                        "head0.loc.kernel", "head2.cls.bias", NULL};
    gradient_directions(OD_BACKBONE_RESNET50, names);
}

/* Inference mode uses the moving averages: after training steps they have
 * moved, and a net switched to inference gives each image of a batch what
 * it gives alone (training mode's statistics depend on the batch). */
TEST(od_net_resnet50_batch_norm_modes)
{
    struct od_net net;
    make(&net, OD_BACKBONE_RESNET50, 64, 2, 2, 1);
    size_t in = 64 * 64 * 3, A = net.A, K = net.K;
    float *x = malloc(2 * in * sizeof(float)), *loc = malloc(2 * A * 4 * sizeof(float));
    float *conf = malloc(2 * A * K * sizeof(float)), *loc1 = malloc(A * 4 * sizeof(float));
    float *conf1 = malloc(A * K * sizeof(float));
    fill_random(x, 2 * in, 8);
    int h = find_tensor(&net, "bn_conv1.moving_mean");
    ASSERT(h >= 0);
    struct nn_view mm = nn_params_view(&net.params, h);
    ASSERT(mm.w[0] == 0.0f);
    od_net_forward(&net, x, 2, loc, conf);
    ASSERT(mm.w[0] != 0.0f);
    od_net_set_training(&net, 0);
    float m0 = mm.w[0];
    od_net_forward(&net, x, 2, loc, conf);
    od_net_forward(&net, x + in, 1, loc1, conf1);
    ASSERT(mm.w[0] == m0);
    for (size_t i = 0; i < A * 4; i++) {
        ASSERT(isfinite(loc1[i]));
        ASSERT_NEAR(loc[A * 4 + i], loc1[i], 1e-4 + 1e-4 * fabsf(loc1[i]));
    }
    free(x), free(loc), free(conf), free(loc1), free(conf1);
    od_net_free(&net);
}

TEST_TIMEOUT(od_net_resnet50_trains_on_a_repeated_batch, 300)
{
    train_steps(OD_BACKBONE_RESNET50, 8, 1e-3f);
}

/* A trained resnet-50's parameter block, saved as a model and loaded into
 * an inference net, gives the same detections: batch norm's moving
 * averages travel with the weights.  A vgg-16 block does not load into it. */
TEST(od_net_resnet50_saves_and_loads_with_batch_norm_statistics)
{
    struct od_net a, b, v;
    make(&a, OD_BACKBONE_RESNET50, 64, 2, 2, 1);
    make(&b, OD_BACKBONE_RESNET50, 64, 2, 1, 0);
    size_t in = 64 * 64 * 3, A = a.A, K = a.K;
    float *x = malloc(2 * in * sizeof(float)), *loc = malloc(2 * A * 4 * sizeof(float));
    float *conf = malloc(2 * A * K * sizeof(float)), *lb = malloc(A * 4 * sizeof(float));
    float *cb = malloc(A * K * sizeof(float));
    fill_random(x, 2 * in, 31);
    for (int i = 0; i < 3; i++)
        od_net_forward(&a, x, 2, loc, conf); /* moves the moving averages */
    od_net_set_training(&a, 0);
    od_net_forward(&a, x, 1, loc, conf);
    char err[200];
    struct nn_buf buf = {0};
    ASSERT_EQ_INT(nn_params_save(&a.params, 0, &buf, err, sizeof(err)), 0);
    ASSERT_EQ_INT(nn_params_load(&b.params, buf.data, buf.len, 0, err, sizeof(err)), 0);
    od_net_forward(&b, x, 1, lb, cb);
    ASSERT(memcmp(loc, lb, A * 4 * sizeof(float)) == 0);
    ASSERT(memcmp(conf, cb, A * K * sizeof(float)) == 0);
    make(&v, OD_BACKBONE_VGG16, 64, 2, 1, 0);
    ASSERT(nn_params_load(&v.params, buf.data, buf.len, 0, err, sizeof(err)) != 0);
    free(buf.data);
    free(x), free(loc), free(conf), free(lb), free(cb);
    od_net_free(&a), od_net_free(&b), od_net_free(&v);
}
