/*
 * conv_dnnl.c: the oneDNN convolution engine of cnn.h (nn_conv_dnnl_*):
 * Conv2D forward (bias and ReLU fused as oneDNN post-op), backward weights
 * (+ bias) and backward data on oneDNN's JIT kernels, behind the same
 * arguments as the im2col engine of conv.c, which stays the reference and
 * the fallback (a build without oneDNN compiles the stubs at the end).
 *
 * Layouts: activations stay in our NHWC (oneDNN's nhwc tag, read and
 * written in place: no reorder of the large tensors); weights are Keras's
 * (KH, KW, C, F) (oneDNN's hwio) and are reordered into the blocked layout
 * the primitive prefers on each call (a few thousand floats), and the
 * weight gradient is reordered back with a sum post-op, so it ACCUMULATES
 * into dW as cnn.h's convention asks.
 *
 * Threads: the batch is split over our team as conv_team.c does, each
 * share running oneDNN on its own thread with OpenMP at one thread
 * (omp_set_num_threads(1) on every share and on the creating thread: the
 * primitives are built for one thread, so no OpenMP worker is ever
 * started and nothing spins beside the team or OpenBLAS).  Primitives are
 * made for a number of images per share, the first time it is seen, and
 * kept in a few slots (a full batch and the last short one).  Each share
 * has its own stream, scratchpad (user-managed) and weight-gradient
 * buffer; the shares' gradients are summed on the caller in share order,
 * so a result does not depend on thread timing.
 */
#include "nn/cnn.h"

#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"

#ifdef OPTML_WITH_DNNL

#include <dnnl.h>
#include <omp.h>

#define SLOTS 4
#define MAX_SHARES 64

struct slot {
    size_t n; /* images per share; 0: unused */
    unsigned long long used;
    dnnl_memory_desc_t src, dst, wf, wd, dw, bias;
    dnnl_primitive_t fwd, bwd_w, bwd_d;  /* bwd_d NULL when made without */
    dnnl_primitive_t w_to_f, w_to_d;     /* hwio -> wf / wd, NULL when equal */
    dnnl_primitive_t dw_add;             /* dw -> hwio, summing */
    size_t scratch;                      /* bytes, the largest of the three */
};

struct nn_conv_dnnl {
    struct nn_win g;
    int relu, has_bias;
    int omp;                             /* OpenMP threads per share (1 but in the measured alternative) */
    int omp_mode;                        /* OPTML_DNNL_OMP=1: one share, OpenMP on the team's threads */
    dnnl_engine_t eng;
    dnnl_stream_t stream[MAX_SHARES];
    dnnl_memory_desc_t w_user;
    struct slot s[SLOTS];
    unsigned long long tick;
    void *scratch[MAX_SHARES];
    size_t scratch_cap;
    float *wbuf_f, *wbuf_d;              /* reordered weights for the call */
    size_t wbuf_cap;                     /* bytes each */
    float *dwbuf[MAX_SHARES], *dbbuf[MAX_SHARES];
    size_t dw_cap;                       /* bytes per share */
};

int nn_conv_dnnl_available(void)
{
    return 1;
}

static void slot_clear(struct slot *s)
{
    dnnl_primitive_t *p[] = { &s->fwd, &s->bwd_w, &s->bwd_d, &s->w_to_f, &s->w_to_d, &s->dw_add };
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        if (*p[i]) {
            dnnl_primitive_destroy(*p[i]);
            *p[i] = NULL;
        }
    s->n = 0;
}

void nn_conv_dnnl_free(struct nn_conv_dnnl *e)
{
    if (!e)
        return;
    for (int i = 0; i < SLOTS; i++)
        slot_clear(&e->s[i]);
    for (int t = 0; t < MAX_SHARES; t++) {
        if (e->stream[t])
            dnnl_stream_destroy(e->stream[t]);
        free(e->scratch[t]);
        free(e->dwbuf[t]);
        free(e->dbbuf[t]);
    }
    free(e->wbuf_f);
    free(e->wbuf_d);
    if (e->eng)
        dnnl_engine_destroy(e->eng);
    free(e);
}

struct nn_conv_dnnl *nn_conv_dnnl_new(const struct nn_win *g, int relu, int has_bias)
{
    struct nn_conv_dnnl *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->g = *g;
    e->relu = relu;
    e->has_bias = has_bias;
    e->omp = 1;
    const char *m = getenv("OPTML_DNNL_OMP");
    e->omp_mode = m && strcmp(m, "1") == 0;
    dnnl_dims_t wd = { (dnnl_dim_t)g->F, (dnnl_dim_t)g->C, (dnnl_dim_t)g->KH, (dnnl_dim_t)g->KW };
    if (dnnl_engine_create(&e->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&e->w_user, 4, wd, dnnl_f32, dnnl_hwio) != dnnl_success) {
        nn_conv_dnnl_free(e);
        return NULL;
    }
    return e;
}

/* A reorder from md a to md b (NULL when they are equal and sum is 0);
 * sum: b += a.  -1 on failure. */
static int make_reorder(struct nn_conv_dnnl *e, const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b, int sum,
                        dnnl_primitive_t *out)
{
    *out = NULL;
    if (!sum && dnnl_memory_desc_equal(a, b))
        return 0;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int rc = -1;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success)
        return -1;
    if (sum && (dnnl_post_ops_create(&po) != dnnl_success || dnnl_post_ops_append_sum(po, 1.0f) != dnnl_success ||
                dnnl_primitive_attr_set_post_ops(attr, po) != dnnl_success))
        goto done;
    if (dnnl_reorder_primitive_desc_create(&pd, a, e->eng, b, e->eng, attr) != dnnl_success)
        goto done;
    if (dnnl_primitive_create(out, pd) == dnnl_success)
        rc = 0;
done:
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (po)
        dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    return rc;
}

/* oneDNN's reference kernels are slower than im2col: refuse them. */
static int is_ref(const_dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl)
        return 1;
    return strncmp(impl, "ref", 3) == 0;
}

static size_t scratch_of(const_dnnl_primitive_desc_t pd)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    return md ? dnnl_memory_desc_get_size(md) : 0;
}

/* The primitives for n images per share into *s.  -1 on failure. */
static int slot_make(struct nn_conv_dnnl *e, struct slot *s, size_t n)
{
    const struct nn_win *g = &e->g;
    const dnnl_dim_t N = (dnnl_dim_t)n;
    dnnl_dims_t sd = { N, (dnnl_dim_t)g->C, (dnnl_dim_t)g->H, (dnnl_dim_t)g->W };
    dnnl_dims_t wd = { (dnnl_dim_t)g->F, (dnnl_dim_t)g->C, (dnnl_dim_t)g->KH, (dnnl_dim_t)g->KW };
    dnnl_dims_t bd = { (dnnl_dim_t)g->F };
    dnnl_dims_t dd = { N, (dnnl_dim_t)g->F, (dnnl_dim_t)g->OH, (dnnl_dim_t)g->OW };
    dnnl_dims_t strides = { (dnnl_dim_t)g->SH, (dnnl_dim_t)g->SW };
    const size_t th = (g->OH - 1) * g->SH + g->KH, tw = (g->OW - 1) * g->SW + g->KW;
    const size_t padh = th > g->H ? th - g->H : 0, padw = tw > g->W ? tw - g->W : 0;
    dnnl_dims_t pl = { (dnnl_dim_t)g->PT, (dnnl_dim_t)g->PL };
    dnnl_dims_t pr = { (dnnl_dim_t)(padh - g->PT), (dnnl_dim_t)(padw - g->PL) };
    dnnl_memory_desc_t w_any;
    dnnl_primitive_attr_t attr = NULL, attr_plain = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t fpd = NULL, wpd = NULL, dpd = NULL;
    dnnl_convolution_desc_t fd, bwd, bdd;
    int rc = -1;
    memset(s, 0, sizeof(*s));
    if (dnnl_memory_desc_init_by_tag(&s->src, 4, sd, dnnl_f32, dnnl_nhwc) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&s->dst, 4, dd, dnnl_f32, dnnl_nhwc) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any) != dnnl_success ||
        dnnl_memory_desc_init_by_tag(&s->bias, 1, bd, dnnl_f32, dnnl_x) != dnnl_success)
        return -1;
    const dnnl_memory_desc_t *bmd = e->has_bias ? &s->bias : NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success || dnnl_primitive_attr_create(&attr_plain) != dnnl_success)
        goto done;
    if (dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success ||
        dnnl_primitive_attr_set_scratchpad_mode(attr_plain, dnnl_scratchpad_mode_user) != dnnl_success)
        goto done;
    if (e->relu && (dnnl_post_ops_create(&po) != dnnl_success ||
                    dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) != dnnl_success ||
                    dnnl_primitive_attr_set_post_ops(attr, po) != dnnl_success))
        goto done;
    if (dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &s->src, &w_any, bmd,
                                           &s->dst, strides, pl, pr) != dnnl_success ||
        dnnl_primitive_desc_create(&fpd, &fd, attr, e->eng, NULL) != dnnl_success || is_ref(fpd))
        goto done;
    if (dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &s->src, &w_any, bmd, &s->dst,
                                                    strides, pl, pr) != dnnl_success ||
        dnnl_primitive_desc_create(&wpd, &bwd, attr_plain, e->eng, fpd) != dnnl_success || is_ref(wpd))
        goto done;
    if (dnnl_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct, &s->src, &w_any, &s->dst, strides, pl,
                                                 pr) != dnnl_success ||
        dnnl_primitive_desc_create(&dpd, &bdd, attr_plain, e->eng, fpd) != dnnl_success || is_ref(dpd))
        goto done;
    s->wf = *dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0);
    s->dw = *dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_weights_md, 0);
    s->wd = *dnnl_primitive_desc_query_md(dpd, dnnl_query_weights_md, 0);
    s->scratch = scratch_of(fpd);
    if (scratch_of(wpd) > s->scratch)
        s->scratch = scratch_of(wpd);
    if (scratch_of(dpd) > s->scratch)
        s->scratch = scratch_of(dpd);
    if (dnnl_primitive_create(&s->fwd, fpd) != dnnl_success || dnnl_primitive_create(&s->bwd_w, wpd) != dnnl_success ||
        dnnl_primitive_create(&s->bwd_d, dpd) != dnnl_success ||
        make_reorder(e, &e->w_user, &s->wf, 0, &s->w_to_f) != 0 ||
        make_reorder(e, &e->w_user, &s->wd, 0, &s->w_to_d) != 0 || make_reorder(e, &s->dw, &e->w_user, 1, &s->dw_add) != 0)
        goto done;
    s->n = n;
    rc = 0;
done:
    if (fpd)
        dnnl_primitive_desc_destroy(fpd);
    if (wpd)
        dnnl_primitive_desc_destroy(wpd);
    if (dpd)
        dnnl_primitive_desc_destroy(dpd);
    if (po)
        dnnl_post_ops_destroy(po);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (attr_plain)
        dnnl_primitive_attr_destroy(attr_plain);
    if (rc != 0)
        slot_clear(s);
    return rc;
}

/* The slot for n images per share, made when missing (the least recently
 * used one replaced); NULL on failure. */
static struct slot *slot_get(struct nn_conv_dnnl *e, size_t n)
{
    struct slot *lru = &e->s[0];
    for (int i = 0; i < SLOTS; i++) {
        if (e->s[i].n == n) {
            e->s[i].used = ++e->tick;
            return &e->s[i];
        }
        if (e->s[i].used < lru->used)
            lru = &e->s[i];
    }
    slot_clear(lru);
    omp_set_num_threads(e->omp); /* the primitives are built for the threads of the creating thread */
    if (slot_make(e, lru, n) != 0)
        return NULL;
    lru->used = ++e->tick;
    return lru;
}

static int grow(void **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    void *q = NULL;
    if (posix_memalign(&q, 64, need))
        return -1;
    free(*p);
    *p = q;
    return 0;
}

/* Per-share resources for T shares and the slots in use: streams,
 * scratchpads, gradient buffers, reordered weights.  -1 on failure. */
static int ensure(struct nn_conv_dnnl *e, int T, struct slot *const *sl, int nsl)
{
    size_t scr = 64, wb = 64, dwb = 64;
    for (int i = 0; i < nsl; i++) {
        if (sl[i]->scratch > scr)
            scr = sl[i]->scratch;
        size_t a = dnnl_memory_desc_get_size(&sl[i]->wf), b = dnnl_memory_desc_get_size(&sl[i]->wd),
               c = dnnl_memory_desc_get_size(&sl[i]->dw);
        if (a > wb)
            wb = a;
        if (b > wb)
            wb = b;
        if (c > dwb)
            dwb = c;
    }
    for (int t = 0; t < T; t++)
        if (!e->stream[t] && dnnl_stream_create(&e->stream[t], e->eng, dnnl_stream_default_flags) != dnnl_success)
            return -1;
    if (scr > e->scratch_cap) {
        for (int t = 0; t < MAX_SHARES; t++) {
            free(e->scratch[t]);
            e->scratch[t] = NULL;
        }
        e->scratch_cap = scr;
    }
    for (int t = 0; t < T; t++) {
        size_t zero = 0;
        if (!e->scratch[t] && grow(&e->scratch[t], &zero, e->scratch_cap) != 0)
            return -1;
    }
    if (wb > e->wbuf_cap) {
        size_t c1 = e->wbuf_cap, c2 = e->wbuf_cap;
        if (grow((void **)&e->wbuf_f, &c1, wb) != 0 || grow((void **)&e->wbuf_d, &c2, wb) != 0)
            return -1;
        e->wbuf_cap = wb;
    }
    if (dwb > e->dw_cap) {
        for (int t = 0; t < MAX_SHARES; t++) {
            free(e->dwbuf[t]);
            e->dwbuf[t] = NULL;
        }
        e->dw_cap = dwb;
    }
    for (int t = 0; t < T; t++) {
        size_t zero = 0;
        if (!e->dwbuf[t] && grow((void **)&e->dwbuf[t], &zero, e->dw_cap) != 0)
            return -1;
        if (!e->dbbuf[t] && !(e->dbbuf[t] = malloc((e->g.F ? e->g.F : 1) * sizeof(float))))
            return -1;
    }
    return 0;
}

static dnnl_memory_t mem(struct nn_conv_dnnl *e, const dnnl_memory_desc_t *md, const void *p)
{
    dnnl_memory_t m = NULL;
    if (dnnl_memory_create(&m, md, e->eng, (void *)p) != dnnl_success)
        return NULL;
    return m;
}

static int run(dnnl_primitive_t p, dnnl_stream_t s, int nargs, const dnnl_exec_arg_t *args)
{
    if (dnnl_primitive_execute(p, s, nargs, args) != dnnl_success)
        return -1;
    return dnnl_stream_wait(s) == dnnl_success ? 0 : -1;
}

/* Reorders Wk (hwio) into the slot's layout for the forward (data 0) or
 * backward data (data 1); returns the buffer the primitive reads. */
static const float *weights_for(struct nn_conv_dnnl *e, struct slot *s, const float *Wk, int data, int *err)
{
    dnnl_primitive_t r = data ? s->w_to_d : s->w_to_f;
    if (!r)
        return Wk;
    float *dst = data ? e->wbuf_d : e->wbuf_f;
    dnnl_memory_t a = mem(e, &e->w_user, Wk), b = mem(e, data ? &s->wd : &s->wf, dst);
    dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, a }, { DNNL_ARG_TO, b } };
    if (!a || !b || run(r, e->stream[0], 2, args) != 0)
        *err = 1;
    if (a)
        dnnl_memory_destroy(a);
    if (b)
        dnnl_memory_destroy(b);
    return dst;
}

/* ------------------------------------------------------------ the shares */

struct djob {
    struct nn_conv_dnnl *e;
    struct slot *sl[MAX_SHARES];
    const float *x, *w, *b, *dy, *wd;
    float *y, *dx;
    size_t N;
    int want_db;
    int failed[MAX_SHARES];
};

static void range(size_t N, int t, int T, size_t *lo, size_t *hi)
{
    *lo = N * (size_t)t / (size_t)T;
    *hi = N * (size_t)(t + 1) / (size_t)T;
}

/* Share t's scratchpad as a oneDNN memory object (NULL on failure). */
static dnnl_memory_t scratch_mem(struct nn_conv_dnnl *e, int t)
{
    dnnl_memory_desc_t smd;
    dnnl_dims_t sz = { (dnnl_dim_t)e->scratch_cap };
    dnnl_memory_desc_init_by_tag(&smd, 1, sz, dnnl_u8, dnnl_x);
    return mem(e, &smd, e->scratch[t]);
}

static void fwd_share(void *ctx, int t, int T)
{
    struct djob *j = ctx;
    struct nn_conv_dnnl *e = j->e;
    const struct nn_win *g = &e->g;
    size_t lo, hi;
    range(j->N, t, T, &lo, &hi);
    if (hi <= lo)
        return;
    struct slot *s = j->sl[t];
    omp_set_num_threads(e->omp);
    dnnl_memory_t m[5] = { mem(e, &s->src, j->x + lo * g->H * g->W * g->C), mem(e, &s->wf, j->w),
                           e->has_bias ? mem(e, &s->bias, j->b) : NULL, mem(e, &s->dst, j->y + lo * g->OH * g->OW * g->F),
                           NULL };
    m[4] = scratch_mem(e, t);
    int bad = !m[0] || !m[1] || (e->has_bias && !m[2]) || !m[3] || !m[4];
    dnnl_exec_arg_t args[5] = { { DNNL_ARG_SRC, m[0] }, { DNNL_ARG_WEIGHTS, m[1] }, { DNNL_ARG_DST, m[3] },
                                { DNNL_ARG_SCRATCHPAD, m[4] }, { DNNL_ARG_BIAS, m[2] } };
    if (!bad && run(s->fwd, e->stream[t], e->has_bias ? 5 : 4, args) != 0)
        bad = 1;
    for (int i = 0; i < 5; i++)
        if (m[i])
            dnnl_memory_destroy(m[i]);
    j->failed[t] = bad;
}

static void bwd_share(void *ctx, int t, int T)
{
    struct djob *j = ctx;
    struct nn_conv_dnnl *e = j->e;
    const struct nn_win *g = &e->g;
    size_t lo, hi;
    range(j->N, t, T, &lo, &hi);
    if (hi <= lo)
        return;
    struct slot *s = j->sl[t];
    omp_set_num_threads(e->omp);
    const float *xs = j->x + lo * g->H * g->W * g->C, *dys = j->dy + lo * g->OH * g->OW * g->F;
    dnnl_memory_t m[7] = { mem(e, &s->src, xs), mem(e, &s->dst, dys), mem(e, &s->dw, e->dwbuf[t]),
                           e->has_bias ? mem(e, &s->bias, e->dbbuf[t]) : NULL, scratch_mem(e, t),
                           j->dx ? mem(e, &s->wd, j->wd) : NULL,
                           j->dx ? mem(e, &s->src, j->dx + lo * g->H * g->W * g->C) : NULL };
    int bad = !m[0] || !m[1] || !m[2] || (e->has_bias && !m[3]) || !m[4] || (j->dx && (!m[5] || !m[6]));
    if (!bad) {
        dnnl_exec_arg_t args[5] = { { DNNL_ARG_SRC, m[0] }, { DNNL_ARG_DIFF_DST, m[1] },
                                    { DNNL_ARG_DIFF_WEIGHTS, m[2] }, { DNNL_ARG_SCRATCHPAD, m[4] },
                                    { DNNL_ARG_DIFF_BIAS, m[3] } };
        bad = run(s->bwd_w, e->stream[t], e->has_bias ? 5 : 4, args) != 0;
    }
    if (!bad && j->dx) {
        dnnl_exec_arg_t args[4] = { { DNNL_ARG_DIFF_DST, m[1] }, { DNNL_ARG_WEIGHTS, m[5] },
                                    { DNNL_ARG_DIFF_SRC, m[6] }, { DNNL_ARG_SCRATCHPAD, m[4] } };
        bad = run(s->bwd_d, e->stream[t], 4, args) != 0;
    }
    for (int i = 0; i < 7; i++)
        if (m[i])
            dnnl_memory_destroy(m[i]);
    j->failed[t] = bad;
}

/* The slots of the T shares of N images; -1 on failure. */
static int prepare(struct nn_conv_dnnl *e, struct djob *j, size_t N, int T)
{
    struct slot *used[2];
    int nused = 0;
    for (int t = 0; t < T; t++) {
        size_t lo, hi;
        range(N, t, T, &lo, &hi);
        j->sl[t] = NULL;
        if (hi <= lo)
            continue;
        if (!(j->sl[t] = slot_get(e, hi - lo)))
            return -1;
    }
    /* a call has at most two share sizes and the slot replaced is the
       least recently used, so the first loop's slots all survive; checked
       anyway, then the distinct slots collected for ensure() */
    for (int t = 0; t < T; t++) {
        if (!j->sl[t])
            continue;
        size_t lo, hi;
        range(N, t, T, &lo, &hi);
        if (j->sl[t]->n != hi - lo && !(j->sl[t] = slot_get(e, hi - lo)))
            return -1;
        int seen = 0;
        for (int k = 0; k < nused; k++)
            seen |= used[k] == j->sl[t];
        if (!seen && nused < 2)
            used[nused++] = j->sl[t];
    }
    return ensure(e, T, used, nused);
}

static int team_threads(struct nn_conv_dnnl *e, struct parallel_team *team, size_t N)
{
    int T = parallel_team_size(team);
    if (e->omp_mode) {
        if (e->omp != T) { /* primitives built for another thread count */
            for (int i = 0; i < SLOTS; i++)
                slot_clear(&e->s[i]);
            e->omp = T;
        }
        omp_set_num_threads(T);
        return 1;
    }
    if (T > MAX_SHARES)
        T = MAX_SHARES;
    if ((size_t)T > N)
        T = (int)(N ? N : 1);
    return T;
}

/* parallel_team_for on a team of T threads where only the first
 * team_threads() shares have work: shares past it return at once. */
struct wrap {
    void (*fn)(void *, int, int);
    void *ctx;
    int T;
};

static void wrap_share(void *ctx, int t, int n)
{
    const struct wrap *w = ctx;
    if (t < w->T)
        w->fn(w->ctx, t, w->T);
}

static void team_run(struct parallel_team *team, int T, void (*fn)(void *, int, int), void *ctx)
{
    struct wrap w = { fn, ctx, T };
    if (T <= 1)
        fn(ctx, 0, 1);
    else
        parallel_team_for(team, wrap_share, &w);
}

/* A job for N images split over the team's threads (*T set), its slots
 * prepared; NULL when out of memory or a primitive cannot be made. */
static struct djob *job_begin(struct nn_conv_dnnl *e, struct parallel_team *team, size_t N, int *T)
{
    *T = team_threads(e, team, N);
    struct djob *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    if (prepare(e, j, N, *T) != 0) {
        free(j);
        return NULL;
    }
    return j;
}

int nn_conv_dnnl_forward(struct nn_conv_dnnl *e, struct parallel_team *team, const float *x, size_t N,
                         const float *Wk, const float *b, float *y)
{
    if (!e || N == 0)
        return N == 0 ? 0 : -1;
    int T;
    struct djob *j = job_begin(e, team, N, &T);
    if (!j)
        return -1;
    int err = 0;
    /* every slot of one layer has the same weight layout in practice; reorder per slot anyway */
    j->e = e, j->x = x, j->b = b, j->y = y, j->N = N;
    j->w = weights_for(e, j->sl[0], Wk, 0, &err);
    for (int t = 1; t < T && !err; t++)
        if (!dnnl_memory_desc_equal(&j->sl[t]->wf, &j->sl[0]->wf))
            err = 1;
    if (!err)
        team_run(team, T, fwd_share, j);
    for (int t = 0; t < T; t++)
        err |= j->failed[t];
    free(j);
    return err ? -1 : 0;
}

int nn_conv_dnnl_backward(struct nn_conv_dnnl *e, struct parallel_team *team, const float *x, size_t N,
                          const float *Wk, const float *dy, float *dW, float *db, float *dx)
{
    if (!e || N == 0)
        return N == 0 ? 0 : -1;
    int T;
    struct djob *j = job_begin(e, team, N, &T);
    if (!j)
        return -1;
    int err = 0;
    j->e = e, j->x = x, j->dy = dy, j->dx = dx, j->N = N;
    if (dx) {
        j->wd = weights_for(e, j->sl[0], Wk, 1, &err);
        for (int t = 1; t < T && !err; t++)
            if (!dnnl_memory_desc_equal(&j->sl[t]->wd, &j->sl[0]->wd))
                err = 1;
    }
    for (int t = 1; t < T && !err; t++)
        if (!dnnl_memory_desc_equal(&j->sl[t]->dw, &j->sl[0]->dw))
            err = 1;
    if (!err)
        team_run(team, T, bwd_share, j);
    for (int t = 0; t < T; t++)
        err |= j->failed[t];
    /* dW += each share's gradient, in share order */
    for (int t = 0; t < T && !err; t++) {
        struct slot *s = j->sl[t];
        dnnl_memory_t a = mem(e, &s->dw, e->dwbuf[t]), c = mem(e, &e->w_user, dW);
        dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, a }, { DNNL_ARG_TO, c } };
        if (!a || !c || run(s->dw_add, e->stream[0], 2, args) != 0)
            err = 1;
        if (a)
            dnnl_memory_destroy(a);
        if (c)
            dnnl_memory_destroy(c);
        if (db && e->has_bias)
            for (size_t f = 0; f < e->g.F; f++)
                db[f] += e->dbbuf[t][f];
    }
    free(j);
    return err ? -1 : 0;
}

#else /* no oneDNN at build time: the im2col engine is the only one */

int nn_conv_dnnl_available(void)
{
    return 0;
}

struct nn_conv_dnnl *nn_conv_dnnl_new(const struct nn_win *g, int relu, int has_bias)
{
    return NULL;
}

void nn_conv_dnnl_free(struct nn_conv_dnnl *e)
{
}

int nn_conv_dnnl_forward(struct nn_conv_dnnl *e, struct parallel_team *team, const float *x, size_t N,
                         const float *Wk, const float *b, float *y)
{
    return -1;
}

int nn_conv_dnnl_backward(struct nn_conv_dnnl *e, struct parallel_team *team, const float *x, size_t N,
                          const float *Wk, const float *dy, float *dW, float *db, float *dx)
{
    return -1;
}

#endif
