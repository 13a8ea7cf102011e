/*
 * odnetbench.c: the network of the detector
 * (algorithms/object_detection/net.h) timed on this machine: forward
 * latency at batch 1 (the serving case) and training images/s at batch
 * BATCH (environment, default 8)
 * (forward, multibox loss with matching, backward, Adam step) for a list of
 * input sizes and width multipliers, 20 classes (VOC) or CLASSES (environment).  Random pixels and
 * two ground-truth boxes an image: the cost does not depend on the values.
 * Each figure is the median of REPS runs after one warm-up.  The net runs on
 * a team of THREADS threads (environment, default 2; od_net_set_threads).
 * Usage: odnetbench reps size:width[:backbone] ...  (backbone: mobilenet-ssdlite,
 * the default, vgg-16 or resnet-50; their width is ignored)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "object_detection/match.h"
#include "object_detection/multibox.h"
#include "object_detection/net.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    const char *te = getenv("THREADS");
    int threads = te ? atoi(te) : 2;
    const char *ce = getenv("CLASSES");
    unsigned C = ce && atoi(ce) > 0 ? (unsigned)atoi(ce) : 20;
    if (reps < 1 || reps > 1000)
        reps = 9;
    const char *be = getenv("BATCH");
    size_t B = be && atoi(be) > 0 && atoi(be) <= 64 ? (size_t)atoi(be) : 8;
    printf("%-18s %-6s %-6s %8s %7s %10s %10s %12s\n", "backbone", "size", "width", "MMAC", "boxes", "fwd b1 ms",
           "train ms", "train img/s");
    printf("# train: batch %zu\n", B);
    for (int a = 2; a < argc; a++) {
        unsigned S = 0;
        float w = 0;
        char bname[32] = OD_NET_BACKBONE;
        if (sscanf(argv[a], "%u:%f:%31s", &S, &w, bname) < 2)
            continue;
        int bb = od_backbone_parse(bname);
        if (bb < 0) {
            fprintf(stderr, "unknown backbone %s\n", bname);
            return 1;
        }
        char err[200];
        struct od_net net;
        struct od_net_cfg cfg = {S, C, w, B, 1, (enum od_backbone)bb};
        if (od_net_create(&net, &cfg, 1, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        if (od_net_set_threads(&net, threads, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        size_t A = net.A, K = net.K, in = (size_t)S * S * 3;
        float *x = malloc(B * in * sizeof(float)), *loc = malloc(B * A * 4 * sizeof(float));
        float *conf = malloc(B * A * K * sizeof(float)), *dloc = malloc(B * A * 4 * sizeof(float));
        float *dconf = malloc(B * A * K * sizeof(float)), *lt = malloc(B * A * 4 * sizeof(float));
        int *ct = malloc(B * A * sizeof(int));
        struct od_anchor *anc = malloc(A * sizeof(*anc));
        od_net_anchors(&net, anc);
        uint64_t s = 9;
        for (size_t i = 0; i < B * in; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            x[i] = (float)((s >> 40) & 0xffff) / 32768.0f - 1.0f;
        }
        struct od_object gt[2] = {{(int)(3 % C), {0.1f, 0.2f, 0.4f, 0.6f}}, {(int)(7 % C), {0.5f, 0.4f, 0.9f, 0.95f}}};
        struct optim_cfg oc = {OPTIM_ADAM, 1e-3f, 0, 0.9f, 0.999f, 1e-7f, 0, 0};
        double *t1 = malloc((size_t)reps * sizeof(double)), *t8 = malloc((size_t)reps * sizeof(double));
        for (int r = -1; r < reps; r++) {
            double t0 = now_ms();
            od_net_forward(&net, x, 1, loc, conf);
            if (r >= 0)
                t1[r] = now_ms() - t0;
        }
        for (int r = -1; r < reps; r++) {
            double t0 = now_ms();
            for (size_t n = 0; n < B; n++)
                od_match(anc, A, gt, 2, 0.5f, ct + n * A, lt + n * A * 4, NULL);
            od_net_forward(&net, x, B, loc, conf);
            struct od_loss L;
            od_multibox_loss(loc, conf, lt, ct, B, A, K, 3.0f, &L, dloc, dconf);
            nn_params_zero_grad(&net.params);
            od_net_backward(&net, dloc, dconf, NULL);
            nn_params_step(&net.params, &oc, oc.lr);
            if (r >= 0)
                t8[r] = now_ms() - t0;
        }
        double m1 = median(t1, reps), m8 = median(t8, reps);
        printf("%-18s %-6u %-6.2f %8.1f %7zu %10.2f %10.1f %12.1f\n", bname, S, (double)w, od_net_flops(&net) / 1e6, A,
               m1, m8, B * 1000.0 / m8);
        fflush(stdout);
        free(x), free(loc), free(conf), free(dloc), free(dconf), free(lt), free(ct), free(anc), free(t1), free(t8);
        od_net_free(&net);
    }
    return 0;
}
