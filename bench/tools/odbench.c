/*
 * odbench.c: the cost of the SSD detection core (algorithms/object_detection/)
 * per image at SSD300's 8,732 default boxes (and SSDLite's 1,917), 21 scores
 * a box (VOC's 20 classes + background), 5 objects an image: default boxes,
 * matching, the multibox loss forward + backward over a batch of 8, decoding
 * every box, NMS (nms_topk 400, threshold 0.45, score 0.01) on random
 * probabilities (every box a candidate: the worst case), and VOC07 mAP over
 * 1,000 images of 100 detections.  One thread; each figure is the best of
 * REPS runs, the median next to it.  Usage: odbench [reps]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "object_detection/anchors.h"
#include "object_detection/map.h"
#include "object_detection/match.h"
#include "object_detection/multibox.h"
#include "object_detection/nms.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t seed = 42;
static float uni(void)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((seed >> 40) / (double)(1ull << 24));
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int reps, const char *unit, double per)
{
    qsort(t, (size_t)reps, sizeof(*t), cmp_d);
    printf("%-44s best %9.3f ms   median %9.3f ms   %s\n", what, t[0] / per, t[reps / 2] / per, unit);
}

static struct od_box rand_box(void)
{
    float w = 0.1f + 0.4f * uni(), h = 0.1f + 0.4f * uni();
    float x = uni() * (1 - w), y = uni() * (1 - h);
    return (struct od_box){x, y, x + w, y + h};
}

static void run(const char *name, const struct od_anchor_spec *spec, int reps)
{
    enum { B = 8, G = 5, K = 21 };
    char err[200];
    size_t A = od_anchor_count(spec);
    struct od_anchor *anc = malloc(A * sizeof(*anc));
    int *cls = malloc(B * A * sizeof(int));
    float *loct = malloc(B * A * 4 * sizeof(float)), *locp = malloc(B * A * 4 * sizeof(float));
    float *conf = malloc(B * A * K * sizeof(float)), *dloc = malloc(B * A * 4 * sizeof(float));
    float *dconf = malloc(B * A * K * sizeof(float)), *prob = malloc(A * K * sizeof(float));
    struct od_box *boxes = malloc(A * sizeof(*boxes));
    float *rows = malloc(400 * OD_DET_COLS * sizeof(float));
    double *t = malloc((size_t)reps * sizeof(double));
    struct od_object gt[B][G];
    for (int b = 0; b < B; b++)
        for (int g = 0; g < G; g++)
            gt[b][g] = (struct od_object){(int)(uni() * 20), rand_box()};
    for (size_t i = 0; i < B * A * 4; i++)
        locp[i] = uni() - 0.5f;
    for (size_t i = 0; i < B * A * K; i++)
        conf[i] = 4 * uni() - 2;
    for (size_t a = 0; a < A; a++) {
        float s = 0;
        for (int k = 0; k < K; k++)
            s += prob[a * K + k] = expf(conf[a * K + k]);
        for (int k = 0; k < K; k++)
            prob[a * K + k] /= s;
    }
    printf("%s: %zu default boxes, %d scores a box\n", name, A, K);
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        od_anchors_make(spec, anc, err, sizeof(err));
        t[r] = now_ms() - t0;
    }
    report("  default boxes (once per job)", t, reps, "", 1);
    long pos = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        pos = 0;
        for (int b = 0; b < B; b++)
            pos += od_match(anc, A, gt[b], G, 0.5f, cls + b * A, loct + b * A * 4, NULL);
        t[r] = now_ms() - t0;
    }
    report("  matching, 5 objects", t, reps, "per image", B);
    printf("    (%.1f matched boxes an image)\n", (double)pos / B);
    struct od_loss L;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        od_multibox_loss(locp, conf, loct, cls, B, A, K, 3.0f, &L, dloc, dconf);
        t[r] = now_ms() - t0;
    }
    report("  multibox loss + gradients, batch of 8", t, reps, "per image", B);
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        for (size_t a = 0; a < A; a++)
            boxes[a] = od_clip(od_decode(locp + 4 * a, &anc[a]));
        t[r] = now_ms() - t0;
    }
    report("  decode + clip every box", t, reps, "per image", 1);
    struct od_nms_params p = {0.45f, 0.01f, 400, 0};
    size_t n = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        n = od_nms(prob, boxes, A, K, &p, rows);
        t[r] = now_ms() - t0;
    }
    report("  NMS, every box a candidate, top 400", t, reps, "per image", 1);
    printf("    (%zu rows kept)\n", n);
    free(anc), free(cls), free(loct), free(locp), free(conf), free(dloc), free(dconf), free(prob), free(boxes);
    free(rows), free(t);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    if (reps < 1)
        reps = 1;
    static const unsigned ssd300[6] = {38, 19, 10, 5, 3, 1}, lite[6] = {19, 10, 5, 3, 2, 1};
    struct od_anchor_spec spec;
    od_anchor_spec_ssd(&spec, ssd300, 6);
    run("SSD300", &spec, reps);
    od_anchor_spec_ssdlite(&spec, lite, 6);
    run("SSDLite 300", &spec, reps);
    /* mAP: 1,000 images, 5 objects and 100 detections each, 20 classes */
    enum { NI = 1000, NG = 5, ND = 100 };
    struct od_eval_gt *g = malloc(NI * NG * sizeof(*g));
    struct od_eval_det *d = malloc(NI * ND * sizeof(*d));
    for (size_t i = 0; i < NI * NG; i++)
        g[i] = (struct od_eval_gt){i / NG, (int)(uni() * 20), rand_box()};
    for (size_t i = 0; i < NI * ND; i++) {
        const struct od_eval_gt *near = &g[(i / ND) * NG + i % NG];
        d[i] = (struct od_eval_det){i / ND, i % 4 ? (int)(uni() * 20) : near->cls, uni(),
                                    i % 4 ? rand_box() : near->box};
    }
    double *t = malloc((size_t)reps * sizeof(double)), map = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        od_map(d, NI * ND, g, NI * NG, 20, 0.5f, OD_AP_VOC07, NULL, &map);
        t[r] = now_ms() - t0;
    }
    report("VOC07 mAP, 1,000 images x 100 detections", t, reps, "per validation pass", 1);
    free(g), free(d), free(t);
    return 0;
}
