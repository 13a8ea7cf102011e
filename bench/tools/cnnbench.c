/*
 * cnnbench.c: the cifar-cnn library figures of bench/cifar_cnn.sh (issue
 * #15, "Benchmarks"), in one process linked with the runtime and the
 * module's objects (no HTTP):
 *   cnnbench infer MODEL_DIR BATCH SECONDS [json|npy [1]]
 *       loads MODEL_DIR/cifar-cnn.model with the module's model_load (a
 *       trailing 1: then drops the model's team, as on one core) and
 *       times its predict() (request parsing, forward, softmax, the JSON
 *       answer) on one body of BATCH random images, called again and again
 *       for SECONDS after 5 warm-up calls; prints the median, p99 and mean
 *       latency and the images/s.
 *   cnnbench http PORT BATCH SECONDS [json|npy]
 *       the same body POSTed to `optml serve` on 127.0.0.1:PORT, one request
 *       at a time on one keep-alive connection (tests/support/http_client.c),
 *       timed from the first byte sent to the last byte of the answer read.
 *   cnnbench train BATCH SECONDS THREADS
 *       keras-cifar10 on 32x32x3, 10 classes, batch BATCH on a THREADS
 *       team as train.c runs it: the training forward, the backward and
 *       the RMSprop update timed apart (medians), their GFLOP/s (2 flops a
 *       multiply-add of the convolutions and dense layers), and OpenBLAS's
 *       sgemm peak (2048^3) on 1 and THREADS threads in the same process.
 * Output lines are "key=value ..." for the script to read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#undef I

#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"
#include "cifar_cnn/request.h"
#include "common/optim.h"
#include "common/parallel.h"
#include "core/ctx.h"
#include "serve/response.h"
#include "support/http_client.h"

#define MAXCALLS 200000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof(double), cmp_double);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double urand(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* {"instances": [HxWxC nested lists]} of values in [0, 1), 4 decimals. */
static char *json_body(const struct cc_shape *s, size_t n, size_t *len)
{
    size_t cap = 64 + n * s->h * s->w * s->c * 10, o = 0;
    char *b = malloc(cap);
    o += (size_t)sprintf(b + o, "{\"instances\": [");
    for (size_t i = 0; i < n; i++) {
        o += (size_t)sprintf(b + o, "%s[", i ? "," : "");
        for (unsigned y = 0; y < s->h; y++) {
            o += (size_t)sprintf(b + o, "%s[", y ? "," : "");
            for (unsigned x = 0; x < s->w; x++) {
                o += (size_t)sprintf(b + o, "%s[", x ? "," : "");
                for (unsigned c = 0; c < s->c; c++)
                    o += (size_t)sprintf(b + o, "%s%.4f", c ? "," : "", urand());
                b[o++] = ']';
            }
            b[o++] = ']';
        }
        b[o++] = ']';
    }
    o += (size_t)sprintf(b + o, "]}");
    *len = o;
    return b;
}

/* A version 1.0 .npy of float32 (n, h, w, c). */
static char *npy_body(const struct cc_shape *s, size_t n, size_t *len)
{
    char hdr[128];
    int hl = snprintf(hdr, sizeof(hdr), "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %u, %u, %u), }", n,
                      s->h, s->w, s->c);
    size_t pad = 64 - (size_t)(10 + hl + 1) % 64, h = (size_t)hl + pad + 1, cnt = n * s->h * s->w * s->c;
    char *b = malloc(10 + h + cnt * 4);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (char)(h & 0xff), b[9] = (char)(h >> 8);
    memcpy(b + 10, hdr, (size_t)hl);
    memset(b + 10 + hl, ' ', pad);
    b[10 + h - 1] = '\n';
    for (size_t i = 0; i < cnt; i++) {
        float v = (float)urand();
        memcpy(b + 10 + h + 4 * i, &v, 4);
    }
    *len = 10 + h + cnt * 4;
    return b;
}

extern const struct optml_algorithm optml_module; /* module.c, linked in */

static int infer(const char *dir, size_t batch, double seconds, int npy, int one_thread)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ctx.alg = &optml_module;
    blas_set_threads(1); /* as optml serve runs its workers */
    void *model = NULL;
    if (cc_model_load(&ctx, dir, &model) != OPTML_OK) {
        fprintf(stderr, "cnnbench: %s\n", optml_error_message(&ctx));
        return 1;
    }
    const struct cc_net *net = model;
    struct cc_served *sv = model;
    if (one_thread) { /* as on a one-core machine: no team */
        parallel_team_free(sv->team);
        sv->team = NULL;
    }
    size_t len;
    char *body = npy ? npy_body(&net->in, batch, &len) : json_body(&net->in, batch, &len);
    struct optml_request req = {.body = (const unsigned char *)body, .len = len,
                                .content_index = npy ? CC_IN_NPY : CC_IN_JSON, .accept_index = CC_OUT_JSON,
                                .content_type = {cc_request_types[npy ? CC_IN_NPY : CC_IN_JSON], ""},
                                .accept = {"application/json", ""}};
    double *t = malloc(MAXCALLS * sizeof(double));
    size_t calls = 0, resp_len = 0;
    double t0 = 0;
    for (int k = -5; calls < MAXCALLS; k++) {
        struct optml_response resp;
        rt_response_init(&resp);
        double a = now();
        optml_status s = cc_predict(&ctx, model, &req, &resp);
        double b = now();
        resp_len = resp.len;
        rt_response_deinit(&resp);
        if (s != OPTML_OK) {
            fprintf(stderr, "cnnbench: predict: %s\n", optml_error_message(&ctx));
            return 1;
        }
        if (k < 0)
            continue;
        if (k == 0)
            t0 = a;
        t[calls++] = b - a;
        if (b - t0 >= seconds && calls >= 20)
            break;
    }
    double wall = now() - t0, sum = 0;
    for (size_t i = 0; i < calls; i++)
        sum += t[i];
    double med = quantile(t, calls, 0.5), p99 = quantile(t, calls, 0.99);
    printf("infer threads=%d batch=%zu body=%s body_bytes=%zu answer_bytes=%zu calls=%zu median_ms=%.3f p99_ms=%.3f "
           "mean_ms=%.3f img_per_s=%.0f\n", one_thread ? 1 : parallel_team_size(sv->team), batch, npy ? "npy" : "json", len, resp_len, calls, med * 1e3,
           p99 * 1e3, sum / (double)calls * 1e3, (double)(calls * batch) / wall);
    free(t);
    free(body);
    cc_model_free(model);
    return 0;
}

static int http(int port, size_t batch, double seconds, int npy)
{
    struct cc_shape s = {32, 32, 3};
    size_t len;
    char *body = npy ? npy_body(&s, batch, &len) : json_body(&s, batch, &len);
    const char *hdrs[] = {npy ? "Content-Type: application/x-npy" : "Content-Type: application/json",
                          "Accept: application/json", NULL};
    struct http_conn *c = http_connect(port, 2000);
    if (!c) {
        fprintf(stderr, "cnnbench: cannot connect to 127.0.0.1:%d\n", port);
        return 1;
    }
    double *t = malloc(MAXCALLS * sizeof(double)), t0 = 0;
    size_t calls = 0;
    for (int k = -5; calls < MAXCALLS; k++) {
        struct http_response r = {0};
        double a = now();
        int rc = http_conn_request(c, "POST", "/invocations", hdrs, body, len, 30000, &r);
        double b = now();
        if (rc != 0 || r.status != 200) {
            fprintf(stderr, "cnnbench: HTTP %d %s %.200s\n", r.status, r.error, r.body ? r.body : "");
            return 1;
        }
        http_response_clear(&r);
        if (k < 0)
            continue;
        if (k == 0)
            t0 = a;
        t[calls++] = b - a;
        if (b - t0 >= seconds && calls >= 20)
            break;
    }
    double wall = now() - t0, sum = 0;
    for (size_t i = 0; i < calls; i++)
        sum += t[i];
    double med = quantile(t, calls, 0.5), p99 = quantile(t, calls, 0.99);
    printf("http batch=%zu body=%s body_bytes=%zu calls=%zu median_ms=%.3f p99_ms=%.3f mean_ms=%.3f img_per_s=%.0f\n",
           batch, npy ? "npy" : "json", len, calls, med * 1e3, p99 * 1e3, sum / (double)calls * 1e3,
           (double)(calls * batch) / wall);
    http_close(c);
    free(t);
    free(body);
    return 0;
}

/* Multiply-adds x 2 of one image's forward (convolutions, dense), and of
 * its backward (dW of each, dx of each but the first layer). */
static void flops(const struct cc_net *net, double *fwd, double *bwd)
{
    *fwd = *bwd = 0;
    int first = 1;
    for (size_t i = 0; i < net->n_layers; i++) {
        const struct cc_layer *l = &net->L[i];
        double f;
        if (l->kind == CC_L_CONV)
            f = 2.0 * (double)(l->g.OH * l->g.OW * l->g.F * l->g.KH * l->g.KW * l->g.C);
        else if (l->kind == CC_L_DENSE)
            f = 2.0 * (double)(l->in * l->out);
        else
            continue;
        *fwd += f;
        *bwd += first ? f : 2 * f;
        first = 0;
    }
}

static void sgemm_peak(int threads, double *gflops)
{
    const int n = 2048;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++)
        a[i] = (float)urand(), b[i] = (float)urand();
    blas_set_threads(threads);
    double best = 1e9;
    for (int r = 0; r < 4; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double dt = now() - t0;
        if (r > 0 && dt < best)
            best = dt;
    }
    *gflops = 2.0 * n * (double)n * n / best / 1e9;
    free(a), free(b), free(c);
}

static int train(size_t batch, double seconds, int threads)
{
    double peak1, peakT;
    sgemm_peak(1, &peak1);
    sgemm_peak(threads, &peakT);
    blas_set_threads(1);
    struct cc_net net;
    char err[256];
    struct cc_shape in = {32, 32, 3};
    if (cc_net_build(&net, CC_ARCH_KERAS, &in, 10, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_RMSPROP, err,
                     sizeof(err)) != 0) {
        fprintf(stderr, "cnnbench: %s\n", err);
        return 1;
    }
    uint64_t rng = 1;
    cc_net_init(&net, &rng);
    struct parallel_team *team = threads > 1 ? parallel_team_new(threads) : NULL;
    struct cc_work w;
    float *x = malloc(batch * 3072 * sizeof(float)), *dl = malloc(batch * 10 * sizeof(float));
    if (cc_work_init(&w, &net, batch, 1, team) != 0 || !x || !dl) {
        fprintf(stderr, "cnnbench: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < batch * 3072; i++)
        x[i] = (float)urand();
    struct optim_cfg oc = {.kind = OPTIM_RMSPROP, .lr = 1e-4f, .beta2 = 0.9f, .eps = 1e-7f};
    size_t cap = 4096, n = 0;
    double *tf = malloc(cap * sizeof(double)), *tb = malloc(cap * sizeof(double)), *ts = malloc(cap * sizeof(double));
    double t0 = 0;
    for (int k = -2; n < cap; k++) {
        double a = now();
        const float *z = cc_net_forward(&net, &w, x, batch, 1, &rng);
        for (size_t i = 0; i < batch * 10; i++)
            dl[i] = (z[i] - (i % 10 == 3)) / (float)batch;
        double b = now();
        nn_params_zero_grad(&net.p);
        cc_net_backward(&net, &w, dl, batch);
        double c = now();
        nn_params_step(&net.p, &oc, 1e-4f);
        double d = now();
        if (k < 0)
            continue;
        if (k == 0)
            t0 = a;
        tf[n] = b - a, tb[n] = c - b, ts[n] = d - c;
        n++;
        if (d - t0 >= seconds && n >= 5)
            break;
    }
    double f_img, b_img;
    flops(&net, &f_img, &b_img);
    double mf = quantile(tf, n, 0.5), mb = quantile(tb, n, 0.5), mu = quantile(ts, n, 0.5), step = mf + mb + mu;
    double gf = f_img * (double)batch / mf / 1e9, gb = b_img * (double)batch / mb / 1e9,
           gs = (f_img + b_img) * (double)batch / step / 1e9;
    printf("peak sgemm2048_1thr_gflops=%.1f sgemm2048_%dthr_gflops=%.1f\n", peak1, threads, peakT);
    printf("train batch=%zu threads=%d steps=%zu mflop_fwd_per_img=%.1f mflop_bwd_per_img=%.1f\n", batch, threads, n,
           f_img / 1e6, b_img / 1e6);
    printf("phase fwd ms=%.2f gflops=%.1f share_of_peak=%.2f\n", mf * 1e3, gf, gf / peakT);
    printf("phase bwd ms=%.2f gflops=%.1f share_of_peak=%.2f\n", mb * 1e3, gb, gb / peakT);
    printf("phase update ms=%.2f\n", mu * 1e3);
    printf("phase step ms=%.2f gflops=%.1f share_of_peak=%.2f img_per_s=%.0f\n", step * 1e3, gs, gs / peakT,
           (double)batch / step);
    free(tf), free(tb), free(ts), free(x), free(dl);
    cc_work_free(&w);
    parallel_team_free(team);
    cc_net_free(&net);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "infer") == 0)
        return infer(argv[2], (size_t)atol(argv[3]), atof(argv[4]), argc > 5 && strcmp(argv[5], "npy") == 0,
                     argc > 6 && strcmp(argv[6], "1") == 0);
    if (argc >= 5 && strcmp(argv[1], "http") == 0)
        return http(atoi(argv[2]), (size_t)atol(argv[3]), atof(argv[4]), argc > 5 && strcmp(argv[5], "npy") == 0);
    if (argc >= 5 && strcmp(argv[1], "train") == 0)
        return train((size_t)atol(argv[2]), atof(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: cnnbench infer MODEL_DIR BATCH SECONDS [json|npy [1]]\n"
                    "       cnnbench http PORT BATCH SECONDS [json|npy]\n"
                    "       cnnbench train BATCH SECONDS THREADS\n");
    return 2;
}
