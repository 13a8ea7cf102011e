/*
 * convbench.c: the engine micro-benchmark of issue #15 item 2: the four
 * convolutions of the Keras cifar10_cnn network (ALGORITHMS.md B.1) at
 * batch 128 on 32x32x3, forward (bias + ReLU fused) and backward (dW, db
 * and, except for the first layer, dx), timed
 *   - ours, im2col + OpenBLAS sgemm (algorithms/nn/conv.c):
 *       blas-T:  the whole batch in chunks of NB images, OpenBLAS on T threads
 *       team-T:  the batch split over a T-thread parallel_team, OpenBLAS on 1
 *   - oneDNN (C API, when built with -DWITH_DNNL), its own best layouts
 *     (format "any" for src, weights and dst: the blocked layouts it picks,
 *     with no reorder timed, the most favourable case for it), OpenMP on
 *     OMP_NUM_THREADS threads,
 *   - dnnl-team: our oneDNN engine (algorithms/nn/conv_dnnl.c, what
 *     training runs): NHWC activations in place, weights reordered per
 *     call, the batch split over the team with one OpenMP thread per share;
 *     dnnl-omp: the same engine on the whole batch, OpenMP on T threads,
 * the network's big dense layer (2304 -> 512, nn.h) on OpenBLAS's 1 and 2
 * threads and split over the team, and OpenBLAS's sgemm peak (a 2048^3
 * product) on 1 and T threads, all in one process.  The cases are interleaved: each of REPS rounds times every
 * case once, so that load from elsewhere on a shared machine falls on all
 * engines alike; each figure is the best of the REPS runs (the median next
 * to it), after one warm-up run.  Usage: convbench [threads [reps]]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#undef I

#include "common/parallel.h"
#include "nn/cnn.h"
#include "nn/nn.h"

#ifdef WITH_DNNL
#include <dnnl.h>
#include <omp.h>
#endif

#define BATCH 128
#define MAXREPS 32

struct layer {
    const char *name;
    size_t H, W, C, F;
    enum nn_pad pad;
    int need_dx;
};

static const struct layer layers[] = {
    { "conv1 32x32x3->32 same", 32, 32, 3, 32, NN_PAD_SAME, 0 },
    { "conv2 32x32x32->32 valid", 32, 32, 32, 32, NN_PAD_VALID, 1 },
    { "conv3 15x15x32->64 same", 15, 15, 32, 64, NN_PAD_SAME, 1 },
    { "conv4 15x15x64->64 valid", 15, 15, 64, 64, NN_PAD_VALID, 1 },
};
#define NL (sizeof(layers) / sizeof(layers[0]))

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *xalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64)) {
        fprintf(stderr, "convbench: out of memory\n");
        exit(1);
    }
    memset(p, 0, n ? n : 64);
    return p;
}

static void fill(float *a, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        a[i] = (float)((seed >> 9) & 0xffff) / 65536.0f - 0.5f;
    }
}

/* best and median of reps runs of fn(ctx) after one warm-up */
static void timeit(void (*fn)(void *), void *ctx, int reps, double *best, double *med)
{
    double t[MAXREPS];
    fn(ctx);
    for (int r = 0; r < reps; r++) {
        const double t0 = now();
        fn(ctx);
        t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof(double), cmpd);
    *best = t[0];
    *med = t[reps / 2];
}

static double flops_fwd(const struct nn_win *g)
{
    return 2.0 * BATCH * (double)(g->OH * g->OW) * (double)(g->KH * g->KW * g->C) * (double)g->F;
}

static void report(const char *layer, const char *engine, const char *dir, double fl, double best, double med)
{
    printf("%-26s %-14s %-4s %9.2f ms %9.2f ms %8.0f img/s %7.1f GFLOP/s\n", layer, engine, dir, best * 1e3,
           med * 1e3, BATCH / best, fl / best * 1e-9);
}

/* ----------------------------------------------------------------- cases */

struct bcase {
    const char *layer, *engine, *dir;
    void (*fn)(void *);
    void *ctx;
    double flops;
    int blas_threads; /* set before each run; 0: leave */
    int eng;          /* index into the engine names, for the totals */
    int is_bwd;
    double t[MAXREPS];
};

#define MAXCASES 96
static struct bcase cases[MAXCASES];
static int n_cases;
static const char *eng_names[16];
static int n_eng;

static int engine_index(const char *name)
{
    for (int e = 0; e < n_eng; e++)
        if (!strcmp(eng_names[e], name))
            return e;
    eng_names[n_eng] = name;
    return n_eng++;
}

static void add_case(const char *layer, const char *engine, const char *dir, void (*fn)(void *), void *ctx,
                     double flops, int blas_threads)
{
    if (n_cases == MAXCASES) {
        fprintf(stderr, "convbench: too many cases\n");
        exit(1);
    }
    cases[n_cases++] = (struct bcase){ .layer = layer, .engine = engine, .dir = dir, .fn = fn, .ctx = ctx,
                                       .flops = flops, .blas_threads = blas_threads,
                                       .eng = engine_index(engine), .is_bwd = dir[0] == 'b' };
}

/* ------------------------------------------------------------------ ours */

struct ours {
    const struct nn_win *g;
    float *x, *Wk, *b, *y, *dy, *dW, *db, *dx, *ws, *dWs;
    size_t nb, ws_per;
    struct parallel_team *team; /* NULL: OpenBLAS threads */
    int need_dx;
};

static void ours_fwd(void *ctx)
{
    struct ours *o = ctx;
    if (o->team)
        nn_conv2d_forward_team(o->team, o->g, o->x, BATCH, o->Wk, o->b, 1, o->y, o->ws, o->ws_per, o->nb);
    else
        nn_conv2d_forward(o->g, o->x, BATCH, o->Wk, o->b, 1, o->y, o->ws, o->nb);
}

static void ours_bwd(void *ctx)
{
    struct ours *o = ctx;
    float *dx = o->need_dx ? o->dx : NULL;
    if (o->team)
        nn_conv2d_backward_team(o->team, o->g, o->x, BATCH, o->Wk, o->dy, o->dW, o->db, dx, o->ws, o->ws_per,
                                o->nb, o->dWs);
    else
        nn_conv2d_backward(o->g, o->x, BATCH, o->Wk, o->dy, o->dW, o->db, dx, o->ws, o->nb);
}

/* the network's big dense layer, 2304 -> 512 at batch 128 (nn.h) */
struct dense {
    float *x, *W, *b, *y, *dy, *dW, *db, *dx, *dWs;
    struct parallel_team *team; /* NULL: OpenBLAS threads on the whole batch */
};

static void dense_fwd(void *ctx)
{
    struct dense *d = ctx;
    if (d->team)
        nn_dense_forward_team(d->team, d->x, d->W, d->b, BATCH, 2304, 512, d->y);
    else
        nn_dense_forward(d->x, d->W, d->b, BATCH, 2304, 512, d->y);
}

static void dense_bwd(void *ctx)
{
    struct dense *d = ctx;
    if (d->team)
        nn_dense_backward_team(d->team, d->x, d->W, d->dy, BATCH, 2304, 512, d->dW, d->db, d->dx, d->dWs);
    else
        nn_dense_backward(d->x, d->W, d->dy, BATCH, 2304, 512, d->dW, d->db, d->dx);
}

static void sgemm_run(void *ctx)
{
    float **m = ctx;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2048, 2048, 2048, 1.0f, m[0], 2048, m[1], 2048, 0.0f,
                m[2], 2048);
}

#ifdef WITH_DNNL
/* ---------------------------------------------------------------- oneDNN */

#define CHK(call)                                                                                        \
    do {                                                                                                 \
        dnnl_status_t st_ = (call);                                                                      \
        if (st_ != dnnl_success) {                                                                       \
            fprintf(stderr, "convbench: %s: oneDNN status %d\n", #call, (int)st_);                       \
            exit(1);                                                                                     \
        }                                                                                                \
    } while (0)

struct dnn_prim {
    dnnl_primitive_t p;
    dnnl_exec_arg_t args[5];
    int nargs;
    dnnl_stream_t s;
};

/* our oneDNN engine (algorithms/nn/conv_dnnl.c): NHWC in place, the batch
 * split over the team, oneDNN on one OpenMP thread per share; it sets the
 * caller's OpenMP threads to 1, restored for the whole-batch cases */
struct ours_dnnl {
    struct ours o;
    struct nn_conv_dnnl *e;
    int T;
};

static void ours_dnnl_fwd(void *ctx)
{
    struct ours_dnnl *d = ctx;
    if (nn_conv_dnnl_forward(d->e, d->o.team, d->o.x, BATCH, d->o.Wk, d->o.b, d->o.y) != 0) {
        fprintf(stderr, "convbench: nn_conv_dnnl_forward failed\n");
        exit(1);
    }
    omp_set_num_threads(d->T);
}

static void ours_dnnl_bwd(void *ctx)
{
    struct ours_dnnl *d = ctx;
    if (nn_conv_dnnl_backward(d->e, d->o.team, d->o.x, BATCH, d->o.Wk, d->o.dy, d->o.dW, d->o.db,
                              d->o.need_dx ? d->o.dx : NULL) != 0) {
        fprintf(stderr, "convbench: nn_conv_dnnl_backward failed\n");
        exit(1);
    }
    omp_set_num_threads(d->T);
}

static void dnn_run(void *ctx)
{
    struct dnn_prim *d = ctx;
    CHK(dnnl_primitive_execute(d->p, d->s, d->nargs, d->args));
    CHK(dnnl_stream_wait(d->s));
}

/* the backward: weights (+ bias), then data unless d.p is NULL */
struct dnn_bwd {
    struct dnn_prim w, d;
};

static void dnn_run_bwd(void *ctx)
{
    struct dnn_bwd *b = ctx;
    dnn_run(&b->w);
    if (b->d.p)
        dnn_run(&b->d);
}

/* A memory for the md the primitive asks for, filled with small values. */
static dnnl_memory_t dnn_mem_i(dnnl_engine_t eng, const_dnnl_primitive_desc_t pd, dnnl_query_t q, int idx,
                               unsigned seed)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, q, idx);
    dnnl_memory_t m;
    CHK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
    void *h = NULL;
    CHK(dnnl_memory_get_data_handle(m, &h));
    fill(h, dnnl_memory_desc_get_size(md) / sizeof(float), seed);
    return m;
}

static dnnl_memory_t dnn_mem(dnnl_engine_t eng, const_dnnl_primitive_desc_t pd, dnnl_query_t q, unsigned seed)
{
    return dnn_mem_i(eng, pd, q, 0, seed);
}

/* Builds the layer's primitives (kept for the process) and adds its cases;
 * prints the implementation oneDNN chose. */
static void dnn_layer(dnnl_engine_t eng, dnnl_stream_t s, const struct layer *L, const struct nn_win *g)
{
    const dnnl_dim_t N = BATCH;
    dnnl_dims_t sd = { N, (dnnl_dim_t)g->C, (dnnl_dim_t)g->H, (dnnl_dim_t)g->W };
    dnnl_dims_t wd = { (dnnl_dim_t)g->F, (dnnl_dim_t)g->C, (dnnl_dim_t)g->KH, (dnnl_dim_t)g->KW };
    dnnl_dims_t bd = { (dnnl_dim_t)g->F };
    dnnl_dims_t dd = { N, (dnnl_dim_t)g->F, (dnnl_dim_t)g->OH, (dnnl_dim_t)g->OW };
    dnnl_dims_t strides = { (dnnl_dim_t)g->SH, (dnnl_dim_t)g->SW };
    const size_t th = (g->OH - 1) * g->SH + g->KH, tw = (g->OW - 1) * g->SW + g->KW;
    const size_t padh = th > g->H ? th - g->H : 0, padw = tw > g->W ? tw - g->W : 0;
    dnnl_dims_t pl = { (dnnl_dim_t)g->PT, (dnnl_dim_t)g->PL };
    dnnl_dims_t pr = { (dnnl_dim_t)(padh - g->PT), (dnnl_dim_t)(padw - g->PL) };
    dnnl_memory_desc_t src_md, w_md, b_md, dst_md;
    CHK(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_f32, dnnl_format_tag_any));
    CHK(dnnl_memory_desc_init_by_tag(&w_md, 4, wd, dnnl_f32, dnnl_format_tag_any));
    CHK(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    CHK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_f32, dnnl_format_tag_any));

    /* forward training with ReLU as a post-op */
    dnnl_convolution_desc_t fd;
    CHK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_md, &w_md,
                                           &b_md, &dst_md, strides, pl, pr));
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    CHK(dnnl_primitive_attr_create(&attr));
    CHK(dnnl_post_ops_create(&po));
    CHK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
    CHK(dnnl_primitive_attr_set_post_ops(attr, po));
    dnnl_primitive_desc_t fpd;
    CHK(dnnl_primitive_desc_create(&fpd, &fd, attr, eng, NULL));
    const char *impl = NULL;
    CHK(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl));
    printf("%-26s oneDNN implementation: %s\n", L->name, impl ? impl : "?");
    struct dnn_prim *f = calloc(1, sizeof(*f));
    struct dnn_bwd *b = calloc(1, sizeof(*b));
    if (!f || !b)
        exit(1);
    *f = (struct dnn_prim){ .s = s, .nargs = 4 };
    CHK(dnnl_primitive_create(&f->p, fpd));
    f->args[0] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, dnn_mem(eng, fpd, dnnl_query_src_md, 1) };
    f->args[1] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, dnn_mem(eng, fpd, dnnl_query_weights_md, 2) };
    /* the bias is the second weights md */
    f->args[2] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, dnn_mem_i(eng, fpd, dnnl_query_weights_md, 1, 3) };
    f->args[3] = (dnnl_exec_arg_t){ DNNL_ARG_DST, dnn_mem(eng, fpd, dnnl_query_dst_md, 4) };
    const double fl = flops_fwd(g);
    add_case(L->name, "onednn", "fwd", dnn_run, f, fl, 0);

    /* backward weights (+ bias) */
    dnnl_convolution_desc_t wdesc;
    CHK(dnnl_convolution_backward_weights_desc_init(&wdesc, dnnl_convolution_direct, &src_md, &w_md, &b_md,
                                                    &dst_md, strides, pl, pr));
    dnnl_primitive_desc_t wpd;
    CHK(dnnl_primitive_desc_create(&wpd, &wdesc, NULL, eng, fpd));
    b->w = (struct dnn_prim){ .s = s, .nargs = 4 };
    CHK(dnnl_primitive_create(&b->w.p, wpd));
    b->w.args[0] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, dnn_mem(eng, wpd, dnnl_query_src_md, 5) };
    b->w.args[1] = (dnnl_exec_arg_t){ DNNL_ARG_DIFF_DST, dnn_mem(eng, wpd, dnnl_query_diff_dst_md, 6) };
    b->w.args[2] = (dnnl_exec_arg_t){ DNNL_ARG_DIFF_WEIGHTS, dnn_mem(eng, wpd, dnnl_query_diff_weights_md, 7) };
    b->w.args[3] = (dnnl_exec_arg_t){ DNNL_ARG_DIFF_BIAS, dnn_mem_i(eng, wpd, dnnl_query_diff_weights_md, 1, 0) };
    /* backward data */
    if (L->need_dx) {
        dnnl_convolution_desc_t ddesc;
        CHK(dnnl_convolution_backward_data_desc_init(&ddesc, dnnl_convolution_direct, &src_md, &w_md, &dst_md,
                                                     strides, pl, pr));
        dnnl_primitive_desc_t dpd;
        CHK(dnnl_primitive_desc_create(&dpd, &ddesc, NULL, eng, fpd));
        b->d = (struct dnn_prim){ .s = s, .nargs = 3 };
        CHK(dnnl_primitive_create(&b->d.p, dpd));
        b->d.args[0] = (dnnl_exec_arg_t){ DNNL_ARG_DIFF_DST, dnn_mem(eng, dpd, dnnl_query_diff_dst_md, 8) };
        b->d.args[1] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, dnn_mem(eng, dpd, dnnl_query_weights_md, 9) };
        b->d.args[2] = (dnnl_exec_arg_t){ DNNL_ARG_DIFF_SRC, dnn_mem(eng, dpd, dnnl_query_diff_src_md, 10) };
    }
    add_case(L->name, "onednn", "bwd", dnn_run_bwd, b, fl * (L->need_dx ? 2 : 1), 0);
}
#endif

int main(int argc, char **argv)
{
    const int T = argc > 1 ? atoi(argv[1]) : 2;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1 || reps > MAXREPS)
        reps = 5;
    printf("convbench: batch %d, %d threads, best of %d runs (median next to it)\n", BATCH, T, reps);

    /* sgemm peak */
    float *m[3] = { xalloc(2048u * 2048u * 4), xalloc(2048u * 2048u * 4), xalloc(2048u * 2048u * 4) };
    fill(m[0], 2048u * 2048u, 1);
    fill(m[1], 2048u * 2048u, 2);
    for (int t = 1; t <= T; t += (T > 1 ? T - 1 : 1)) {
        blas_set_threads(t);
        double best, med;
        timeit(sgemm_run, m, reps, &best, &med);
        char e[32];
        snprintf(e, sizeof(e), "sgemm-%dthr", t);
        printf("%-26s %-14s %-4s %9.2f ms %9.2f ms %14s %7.1f GFLOP/s\n", "sgemm 2048^3", e, "", best * 1e3,
               med * 1e3, "", 2.0 * 2048 * 2048 * 2048 / best * 1e-9);
        if (T == 1)
            break;
    }
    free(m[0]), free(m[1]), free(m[2]);

    struct parallel_team *team = parallel_team_new(T);
    /* engines: OpenBLAS's threads on chunks of nb images of the whole batch, or the team, each share on
       chunks of nb images of its part */
    static const struct { const char *name; int team; size_t nb; } cfg[] = {
        { "team-nb1", 1, 1 }, { "team-nb2", 1, 2 }, { "team-nb4", 1, 4 }, { "team-nb16", 1, 16 },
        { "blas-nb2", 0, 2 }, { "blas-nb8", 0, 8 }, { "blas-nb32", 0, 32 },
    };
    static struct nn_win wins[NL];
    for (size_t l = 0; l < NL; l++) {
        const struct layer *L = &layers[l];
        struct nn_win *g = &wins[l];
        if (nn_win_init(g, L->H, L->W, L->C, 3, 3, 1, 1, L->pad, L->F)) {
            fprintf(stderr, "convbench: bad layer\n");
            return 1;
        }
        const size_t nx = BATCH * L->H * L->W * L->C, ny = BATCH * g->OH * g->OW * g->F, nw = 9 * L->C * L->F;
        struct ours base = { .g = g, .x = xalloc(nx * 4), .Wk = xalloc(nw * 4), .b = xalloc(g->F * 4),
                             .y = xalloc(ny * 4), .dy = xalloc(ny * 4), .dW = xalloc(nw * 4),
                             .db = xalloc(g->F * 4), .dx = xalloc(nx * 4),
                             .dWs = xalloc((size_t)T * (nw + g->F) * 4), .need_dx = L->need_dx };
        fill(base.x, nx, 11);
        fill(base.Wk, nw, 12);
        fill(base.b, g->F, 13);
        fill(base.dy, ny, 14);
        const double fl = flops_fwd(g);
        for (size_t c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++) {
            if (cfg[c].team && !team)
                continue;
            struct ours *o = malloc(sizeof(*o));
            if (!o)
                return 1;
            *o = base;
            o->nb = cfg[c].nb;
            o->ws_per = nn_conv2d_workspace(g, o->nb);
            o->ws = xalloc((cfg[c].team ? (size_t)T : 1) * o->ws_per * 4 + 64);
            o->team = cfg[c].team ? team : NULL;
            add_case(L->name, cfg[c].name, "fwd", ours_fwd, o, fl, cfg[c].team ? 1 : T);
            add_case(L->name, cfg[c].name, "bwd", ours_bwd, o, fl * (L->need_dx ? 2 : 1), cfg[c].team ? 1 : T);
        }
    }
    {
        struct dense *d = malloc(sizeof(*d));
        if (!d)
            return 1;
        *d = (struct dense){ xalloc(BATCH * 2304 * 4), xalloc(2304 * 512 * 4), xalloc(512 * 4), xalloc(BATCH * 512 * 4),
                             xalloc(BATCH * 512 * 4), xalloc(2304 * 512 * 4), xalloc(512 * 4), xalloc(BATCH * 2304 * 4),
                             xalloc((size_t)T * (2304 * 512 + 512) * 4), NULL };
        fill(d->x, BATCH * 2304, 21);
        fill(d->W, 2304 * 512, 22);
        fill(d->dy, BATCH * 512, 23);
        const double fl = 2.0 * BATCH * 2304 * 512;
        static char names[2][16];
        for (int t = 1; t <= T && t <= 2; t++) {
            snprintf(names[t - 1], sizeof(names[0]), "blas-%dthr", t);
            add_case("dense 2304->512", names[t - 1], "fwd", dense_fwd, d, fl, t);
            add_case("dense 2304->512", names[t - 1], "bwd", dense_bwd, d, 2 * fl, t);
        }
        if (team) {
            struct dense *dt = malloc(sizeof(*dt));
            if (!dt)
                return 1;
            *dt = *d;
            dt->team = team;
            add_case("dense 2304->512", "team", "fwd", dense_fwd, dt, fl, 1);
            add_case("dense 2304->512", "team", "bwd", dense_bwd, dt, 2 * fl, 1);
        }
    }
#ifdef WITH_DNNL
    {
        dnnl_engine_t eng;
        dnnl_stream_t s;
        CHK(dnnl_engine_create(&eng, dnnl_cpu, 0));
        CHK(dnnl_stream_create(&s, eng, dnnl_stream_default_flags));
        const dnnl_version_t *v = dnnl_version();
        printf("oneDNN %d.%d.%d (OpenMP threads: OMP_NUM_THREADS=%s)\n", v->major, v->minor, v->patch,
               getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset");
        for (size_t l = 0; l < NL; l++)
            dnn_layer(eng, s, &layers[l], &wins[l]);
        for (size_t l = 0; l < 2 * NL && team; l++) {
            /* dnnl-team, then dnnl-omp: the same engine on the whole batch with OpenMP on T threads
               (OPTML_DNNL_OMP=1, read when an engine is made) */
            if (l == NL)
                setenv("OPTML_DNNL_OMP", "1", 1);
            const char *ename = l < NL ? "dnnl-team" : "dnnl-omp";
            const struct layer *L = &layers[l % NL];
            const struct nn_win *g = &wins[l % NL];
            const size_t nx = BATCH * L->H * L->W * L->C, ny = BATCH * g->OH * g->OW * g->F, nw = 9 * L->C * L->F;
            struct ours_dnnl *d = calloc(1, sizeof(*d));
            if (!d)
                return 1;
            d->o = (struct ours){ .g = g, .x = xalloc(nx * 4), .Wk = xalloc(nw * 4), .b = xalloc(g->F * 4),
                                  .y = xalloc(ny * 4), .dy = xalloc(ny * 4), .dW = xalloc(nw * 4),
                                  .db = xalloc(g->F * 4), .dx = xalloc(nx * 4), .team = team,
                                  .need_dx = L->need_dx };
            fill(d->o.x, nx, 11);
            fill(d->o.Wk, nw, 12);
            fill(d->o.b, g->F, 13);
            fill(d->o.dy, ny, 14);
            d->T = T;
            if (!(d->e = nn_conv_dnnl_new(g, 1, 1))) {
                fprintf(stderr, "convbench: nn_conv_dnnl_new failed (a build without oneDNN?)\n");
                return 1;
            }
            const double fl = flops_fwd(g);
            add_case(L->name, ename, "fwd", ours_dnnl_fwd, d, fl, 1);
            add_case(L->name, ename, "bwd", ours_dnnl_bwd, d, fl * (L->need_dx ? 2 : 1), 1);
        }
        unsetenv("OPTML_DNNL_OMP");
    }
#endif
    /* one warm-up run of each case, then the rounds; a 30 ms pause before
       each run lets the threads of the previous case (OpenBLAS's spin after
       a threaded product) go idle, so that each engine is timed alone */
    for (int r = -1; r < reps; r++)
        for (int c = 0; c < n_cases; c++) {
            struct bcase *k = &cases[c];
            if (k->blas_threads)
                blas_set_threads(k->blas_threads);
            nanosleep(&(struct timespec){ 0, 30000000 }, NULL);
            const double t0 = now();
            k->fn(k->ctx);
            if (r >= 0)
                k->t[r] = now() - t0;
        }
    double tot[16][2] = { { 0 } };
    printf("%-26s %-14s %-4s %12s %12s\n", "layer", "engine", "dir", "best", "median");
    for (int c = 0; c < n_cases; c++) {
        struct bcase *k = &cases[c];
        qsort(k->t, (size_t)reps, sizeof(double), cmpd);
        report(k->layer, k->engine, k->dir, k->flops, k->t[0], k->t[reps / 2]);
        if (strncmp(k->layer, "conv", 4) == 0)
            tot[k->eng][k->is_bwd] += k->t[0];
    }
    parallel_team_free(team);
    printf("\ntotals over the four layers (sums of the best runs), one forward + backward of the convs:\n");
    for (int e = 0; e < n_eng; e++)
        if (tot[e][0] > 0)
            printf("  %-12s fwd %7.2f ms  bwd %7.2f ms  fwd+bwd %7.2f ms  %6.0f img/s\n", eng_names[e],
               tot[e][0] * 1e3, tot[e][1] * 1e3, (tot[e][0] + tot[e][1]) * 1e3,
               BATCH / (tot[e][0] + tot[e][1]));
    return 0;
}
