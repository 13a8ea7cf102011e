/*
 * test_net.c: the mobilenet-ssdlite network (object_detection/net.h): map
 * sizes and box counts for several input sizes, outputs in the default
 * boxes' order, a save/load round trip, a finite-difference check of the
 * whole backward pass, and overfitting a handful of Fashion-MNIST scenes
 * (multibox loss down, mAP on them far above chance).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/od_scenes.h"
#include "object_detection/map.h"
#include "object_detection/match.h"
#include "object_detection/multibox.h"
#include "object_detection/net.h"
#include "nn/nn.h"
#include "object_detection/nms.h"
#include "support/gradcheck.h"
#include "support/harness.h"

static void make_net(struct od_net *net, unsigned S, unsigned classes, float width, size_t batch, int train)
{
    char err[200];
    struct od_net_cfg cfg = {S, classes, width, batch, 7, OD_BACKBONE_MOBILENET_SSDLITE};
    if (od_net_create(net, &cfg, train, err, sizeof(err)) != 0)
        test_fail(__FILE__, __LINE__, "%s", err);
}

static void fill_random(float *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((seed >> 40) & 0xffff) / 32768.0f - 1.0f;
    }
}

TEST(od_net_map_sizes_and_box_counts)
{
    static const struct {
        unsigned S, n;
        unsigned sizes[6];
        size_t A;
    } want[3] = {
        {64, 3, {4, 2, 1}, 4 * 4 * 3 + 2 * 2 * 6 + 6},
        {128, 4, {8, 4, 2, 1}, 8 * 8 * 3 + (16 + 4 + 1) * 6},
        {300, 6, {19, 10, 5, 3, 2, 1}, 1917},
    };
    for (int t = 0; t < 3; t++) {
        struct od_net net;
        make_net(&net, want[t].S, 4, 0.25f, 2, 0);
        ASSERT_EQ_INT(net.n_maps, want[t].n);
        for (unsigned k = 0; k < want[t].n; k++)
            ASSERT_EQ_INT(net.map_size[k], want[t].sizes[k]);
        ASSERT_EQ_INT(net.A, want[t].A);
        ASSERT_EQ_INT(od_anchor_count(&net.spec), want[t].A);
        ASSERT_EQ_INT(net.K, 5);
        /* a batch of two gives each image what it gives alone */
        size_t in = (size_t)want[t].S * want[t].S * 3;
        float *x = malloc(2 * in * sizeof(float));
        float *loc = malloc(2 * net.A * 4 * sizeof(float)), *conf = malloc(2 * net.A * 5 * sizeof(float));
        float *loc1 = malloc(net.A * 4 * sizeof(float)), *conf1 = malloc(net.A * 5 * sizeof(float));
        fill_random(x, 2 * in, 3 + t);
        od_net_forward(&net, x, 2, loc, conf);
        od_net_forward(&net, x + in, 1, loc1, conf1);
        int nonzero = 0;
        for (size_t i = 0; i < net.A * 4; i++) {
            ASSERT(isfinite(loc[i]));
            ASSERT_NEAR(loc[net.A * 4 + i], loc1[i], 1e-4 + 1e-4 * fabsf(loc1[i]));
            nonzero += loc1[i] != 0.0f;
        }
        for (size_t i = 0; i < net.A * 5; i++)
            ASSERT_NEAR(conf[net.A * 5 + i], conf1[i], 1e-4 + 1e-4 * fabsf(conf1[i]));
        ASSERT(nonzero > (int)net.A);
        free(x), free(loc), free(conf), free(loc1), free(conf1);
        od_net_free(&net);
    }
    struct od_net bad;
    char err[200];
    struct od_net_cfg small = {48, 4, 0.5f, 1, 1, OD_BACKBONE_MOBILENET_SSDLITE};
    ASSERT_EQ_INT(od_net_create(&bad, &small, 0, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "image size 48");
}

/* Box a of the outputs is default box a.  With every depthwise kernel
 * reduced to its centre tap, the pixels that can move an output (the
 * support of d output / d x) are the 3 x 3 window of the stem under one
 * cell of its map: its centre must lie in the cell of the anchor of the
 * same index, for every box of every map, offsets and class scores. */
TEST(od_net_outputs_in_anchor_order)
{
    enum { S = 64 };
    struct od_net net;
    make_net(&net, S, 3, 0.5f, 1, 1);
    ASSERT_EQ_INT(net.n_maps, 3); /* 4, 2, 1 */
    for (size_t i = 0; i < net.n_ops; i++)
        if (net.op[i].kind == OD_OP_DW) {
            struct nn_view v = nn_params_view(&net.params, net.op[i].hW);
            size_t C = net.op[i].g.C;
            for (size_t j = 0; j < v.n; j++)
                if (j / C != 4)
                    v.w[j] = 0.0f;
        }
    struct od_anchor *anc = malloc(net.A * sizeof(*anc));
    ASSERT_EQ_INT(od_net_anchors(&net, anc), net.A);
    size_t in = S * S * 3;
    float *x = malloc(in * sizeof(float)), *dx = malloc(in * sizeof(float));
    float *loc = malloc(net.A * 4 * sizeof(float)), *conf = malloc(net.A * net.K * sizeof(float));
    float *dloc = calloc(net.A * 4, sizeof(float)), *dconf = calloc(net.A * net.K, sizeof(float));
    fill_random(x, in, 11);
    od_net_forward(&net, x, 1, loc, conf);
    size_t checked = 0;
    for (size_t a = 0; a < net.A; a++)
        for (int head = 0; head < 2; head++) {
            float *d = head == 0 ? dloc + 4 * a + a % 4 : dconf + net.K * a + a % net.K;
            *d = 1.0f;
            od_net_backward(&net, dloc, dconf, dx);
            *d = 0.0f;
            int x0 = S, x1 = -1, y0 = S, y1 = -1;
            for (int p = 0; p < S * S; p++)
                if (dx[3 * p] != 0.0f || dx[3 * p + 1] != 0.0f || dx[3 * p + 2] != 0.0f) {
                    int px = p % S, py = p / S;
                    x0 = px < x0 ? px : x0, x1 = px > x1 ? px : x1;
                    y0 = py < y0 ? py : y0, y1 = py > y1 ? py : y1;
                }
            if (x1 < 0)
                continue; /* every path through a ReLU closed */
            ASSERT(x1 - x0 <= 2 && y1 - y0 <= 2);
            size_t k = 0;
            while (k + 1 < net.n_maps && a >= net.map_off[k + 1])
                k++;
            double cell = (double)S / net.map_size[k], mx = 0.5 * (x0 + x1) + 0.5, my = 0.5 * (y0 + y1) + 0.5;
            if (!(fabs(mx - anc[a].cx * S) <= 0.5 * cell && fabs(my - anc[a].cy * S) <= 0.5 * cell))
                test_fail(__FILE__, __LINE__, "output %zu (map %zu): pixels %d..%d x %d..%d, anchor centre %.1f, %.1f",
                          a, k, x0, x1, y0, y1, anc[a].cx * S, anc[a].cy * S);
            checked++;
        }
    ASSERT(checked > net.A); /* most outputs have a live path */
    free(anc), free(x), free(dx), free(loc), free(conf), free(dloc), free(dconf);
    od_net_free(&net);
}

TEST(od_net_parameters_save_and_load)
{
    struct od_net a, b;
    make_net(&a, 64, 2, 0.25f, 1, 0);
    char err[200];
    struct od_net_cfg cfg = {64, 2, 0.25f, 1, 99, OD_BACKBONE_MOBILENET_SSDLITE};
    ASSERT_EQ_INT(od_net_create(&b, &cfg, 1, err, sizeof(err)), 0);
    struct nn_buf buf = {0};
    ASSERT_EQ_INT(nn_params_save(&a.params, 0, &buf, err, sizeof(err)), 0);
    ASSERT_EQ_INT(nn_params_load(&b.params, buf.data, buf.len, 0, err, sizeof(err)), 0);
    float x[64 * 64 * 3], la[2000], lb[2000], ca[2000], cb[2000];
    ASSERT(a.A * 4 <= 2000 && a.A * 3 <= 2000);
    fill_random(x, sizeof(x) / sizeof(x[0]), 5);
    od_net_forward(&a, x, 1, la, ca);
    od_net_forward(&b, x, 1, lb, cb);
    ASSERT(memcmp(la, lb, a.A * 4 * sizeof(float)) == 0);
    ASSERT(memcmp(ca, cb, a.A * 3 * sizeof(float)) == 0);
    /* another width is another network: refused, naming a tensor */
    struct od_net c;
    struct od_net_cfg cfg2 = {64, 2, 0.5f, 1, 1, OD_BACKBONE_MOBILENET_SSDLITE};
    ASSERT_EQ_INT(od_net_create(&c, &cfg2, 0, err, sizeof(err)), 0);
    ASSERT(nn_params_load(&c.params, buf.data, buf.len, 0, err, sizeof(err)) != 0);
    ASSERT_CONTAINS(err, "stem.kernel");
    free(buf.data);
    od_net_free(&a), od_net_free(&b), od_net_free(&c);
}

struct gc_ctx {
    struct od_net *net;
    const float *x;
    size_t N;
    float *loc, *conf, *c;
    float *w, *base, *dir;          /* the tensor moved along dir: w = base + t dir */
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

/* The derivative of the loss along the analytic gradient of one tensor
 * (every element moved at once, scaled to a largest step of 1: the few
 * ReLUs a step flips and float rounding average out, and the derivative,
 * |g|^2 / max |g|, is never a cancellation) against central differences.
 * A wrong gradient (a missing ReLU mask, a misplaced head) moves it by far
 * more than the tolerance. */
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

/* The whole backward against finite differences: every tensor (kernel and
 * bias of each layer) and the input, on two 64 x 64 images at width 0.25,
 * the loss gradcheck's quadratic on every output; then the same batch on
 * two and three threads gives the same outputs and gradients. */
TEST(od_net_gradient_check)
{
    struct od_net net;
    make_net(&net, 64, 2, 0.25f, 2, 1);
    size_t N = 2, in = 64 * 64 * 3, nl = N * net.A * 4, nc = N * net.A * net.K;
    float *x = malloc(N * in * sizeof(float)), *dx = malloc(N * in * sizeof(float));
    struct gc_ctx g = {&net, x, N, malloc(nl * sizeof(float)), malloc(nc * sizeof(float)),
                       malloc((nl + nc) * sizeof(float)), NULL, NULL, NULL, 0};
    float *dloc = malloc(nl * sizeof(float)), *dconf = malloc(nc * sizeof(float));
    fill_random(x, N * in, 21);
    fill_random(g.c, nl + nc, 22);
    uint64_t rng = 5;
    for (size_t i = 0; i < net.n_ops; i++) {
        struct nn_view b = nn_params_view(&net.params, net.op[i].hb);
        nn_init_uniform(b.w, b.n, -0.05f, 0.05f, &rng);
    }
    od_net_forward(&net, x, N, g.loc, g.conf);
    gradcheck_quad_loss(g.loc, g.c, nl, dloc);
    gradcheck_quad_loss(g.conf, g.c + nl, nc, dconf);
    nn_params_zero_grad(&net.params);
    od_net_backward(&net, dloc, dconf, dx);
    for (size_t i = 0; i < net.params.n_tensors; i++) {
        struct nn_view v = nn_params_view(&net.params, (int)i);
        check_direction(&g, v.t->name, v.w, v.g, v.n);
    }
    check_direction(&g, "input", x, dx, N * in);
    ASSERT_EQ_INT(net.params.n_tensors, 2 * net.n_ops);
    /* on a team of two threads (one image each, the shares' gradients
     * summed): the same outputs and gradients */
    float *g1 = malloc(net.params.n_grad * sizeof(float)), *dx1 = malloc(N * in * sizeof(float));
    memcpy(g1, net.params.grad, net.params.n_grad * sizeof(float));
    memcpy(dx1, dx, N * in * sizeof(float));
    float *loc1 = malloc(nl * sizeof(float));
    od_net_forward(&net, x, N, loc1, g.conf);
    char err[200];
    ASSERT_EQ_INT(od_net_set_threads(&net, 2, err, sizeof(err)), 0);
    od_net_forward(&net, x, N, g.loc, g.conf);
    for (size_t i = 0; i < nl; i++)
        ASSERT_NEAR(g.loc[i], loc1[i], 1e-5 + 1e-5 * fabsf(loc1[i]));
    nn_params_zero_grad(&net.params);
    od_net_backward(&net, dloc, dconf, dx);
    for (size_t i = 0; i < net.params.n_grad; i++)
        ASSERT_NEAR(net.params.grad[i], g1[i], 1e-4 + 1e-4 * fabsf(g1[i]));
    for (size_t i = 0; i < N * in; i++)
        ASSERT_NEAR(dx[i], dx1[i], 1e-5 + 1e-4 * fabsf(dx1[i]));
    /* more threads than images: the empty shares add nothing */
    ASSERT_EQ_INT(od_net_set_threads(&net, 3, err, sizeof(err)), 0);
    od_net_forward(&net, x, N, g.loc, g.conf);
    nn_params_zero_grad(&net.params);
    od_net_backward(&net, dloc, dconf, dx);
    for (size_t i = 0; i < net.params.n_grad; i++)
        ASSERT_NEAR(net.params.grad[i], g1[i], 1e-4 + 1e-4 * fabsf(g1[i]));
    free(g1), free(dx1), free(loc1);
    free(x), free(dx), free(g.loc), free(g.conf), free(g.c), free(dloc), free(dconf);
    od_net_free(&net);
}

/* Overfitting: 8 Fashion-MNIST scenes of 96 px (1 to 3 items, 10 classes),
 * batch 8, Adam; the multibox loss falls far and the VOC07 mAP@0.5 of the
 * detections (decoded, per-class NMS) on those scenes is far above the
 * near-zero of an untrained net.  About 10 s; skipped under ASan. */
TEST_TIMEOUT(od_net_overfits_fashion_mnist_scenes, 120)
{
#ifdef __SANITIZE_ADDRESS__
    fprintf(stderr, "    SKIP under ASan: hundreds of training steps are too slow there; covered by `make test`\n");
#else
    enum { NS = 8, S = 96, C = 10, STEPS = 150 };
    struct od_fixture_items items;
    if (od_fixture_items_load(OD_FIXTURE_FMNIST, "train", 100, &items) != 0)
        test_fail(__FILE__, __LINE__, "dataset-fashion-mnist is not installed (bash .ci/deps.sh)");
    struct od_net net;
    make_net(&net, S, C, 0.25f, NS, 1);
    size_t A = net.A, K = net.K, in = (size_t)S * S * 3;
    struct od_anchor *anc = malloc(A * sizeof(*anc));
    ASSERT_EQ_INT(od_net_anchors(&net, anc), A);
    float *x = malloc(NS * in * sizeof(float));
    float *lt = malloc(NS * A * 4 * sizeof(float));
    int *ct = malloc(NS * A * sizeof(int));
    struct od_fixture_scene sc[NS];
    uint64_t rng = 1616;
    size_t n_gt = 0;
    for (int s = 0; s < NS; s++) {
        ASSERT_EQ_INT(od_fixture_scene(&rng, &items, S, 3, &sc[s]), 0);
        for (size_t p = 0; p < in; p++)
            x[s * in + p] = sc[s].img.px[p] / 127.5f - 1.0f;
        ASSERT(od_match(anc, A, sc[s].obj, sc[s].n, 0.5f, ct + s * A, lt + s * A * 4, NULL) >= (long)sc[s].n);
        n_gt += sc[s].n;
    }
    float *loc = malloc(NS * A * 4 * sizeof(float)), *conf = malloc(NS * A * K * sizeof(float));
    float *dloc = malloc(NS * A * 4 * sizeof(float)), *dconf = malloc(NS * A * K * sizeof(float));
    struct optim_cfg oc = {OPTIM_ADAM, 3e-3f, 0, 0.9f, 0.999f, 1e-7f, 0, 0};
    double first = 0, last = 0;
    for (int it = 0; it < STEPS; it++) {
        od_net_forward(&net, x, NS, loc, conf);
        struct od_loss L;
        ASSERT_EQ_INT(od_multibox_loss(loc, conf, lt, ct, NS, A, K, 3.0f, &L, dloc, dconf), 0);
        double l = L.loc + L.conf;
        ASSERT(isfinite(l));
        if (it == 0)
            first = l;
        last = it >= STEPS - 10 ? last + l / 10 : 0;
        nn_params_zero_grad(&net.params);
        od_net_backward(&net, dloc, dconf, NULL);
        ASSERT_EQ_INT(nn_params_step(&net.params, &oc, oc.lr), 0);
    }
    fprintf(stderr, "    multibox loss %.3f -> %.3f over %d steps\n", first, last, STEPS);
    ASSERT(last < 0.1 * first);
    /* detections on the training scenes */
    od_net_forward(&net, x, NS, loc, conf);
    struct od_box *boxes = malloc(A * sizeof(*boxes));
    float *prob = malloc(A * K * sizeof(float)), *rows = malloc(100 * OD_DET_COLS * sizeof(float));
    struct od_eval_det *dets = malloc(NS * 100 * sizeof(*dets));
    struct od_eval_gt gts[NS * 3];
    size_t nd = 0, ng = 0;
    struct od_nms_params np = {0.45f, 0.01f, 100, 0};
    for (int s = 0; s < NS; s++) {
        for (size_t a = 0; a < A; a++) {
            boxes[a] = od_decode(loc + (s * A + a) * 4, &anc[a]);
            const float *z = conf + (s * A + a) * K;
            float mx = z[0];
            for (size_t k = 1; k < K; k++)
                mx = z[k] > mx ? z[k] : mx;
            double sum = 0;
            for (size_t k = 0; k < K; k++)
                sum += exp(z[k] - mx);
            for (size_t k = 0; k < K; k++)
                prob[a * K + k] = (float)(exp(z[k] - mx) / sum);
        }
        size_t n = od_nms(prob, boxes, A, K, &np, rows);
        ASSERT(n != (size_t)-1);
        for (size_t r = 0; r < n; r++) {
            const float *w = rows + r * OD_DET_COLS;
            dets[nd++] = (struct od_eval_det){(size_t)s, (int)w[0], w[1], {w[2], w[3], w[4], w[5]}};
        }
        for (size_t i = 0; i < sc[s].n; i++)
            gts[ng++] = (struct od_eval_gt){(size_t)s, sc[s].obj[i].cls, sc[s].obj[i].box};
    }
    double map;
    ASSERT_EQ_INT(od_map(dets, nd, gts, ng, C, 0.5f, OD_AP_VOC07, NULL, &map), 0);
    fprintf(stderr, "    mAP@0.5 (VOC07) on the %d training scenes (%zu objects): %.3f\n", NS, n_gt, map);
    ASSERT(map > 0.6);
    for (int s = 0; s < NS; s++)
        od_fixture_scene_free(&sc[s]);
    free(anc), free(x), free(lt), free(ct), free(loc), free(conf), free(dloc), free(dconf), free(boxes), free(prob);
    free(rows), free(dets);
    od_fixture_items_free(&items);
    od_net_free(&net);
#endif
}
