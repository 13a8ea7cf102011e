/*
 * test_params.c: the parameter block of algorithms/nn/params.h: layout
 * (declaration order, 64-byte alignment of every slice in every family,
 * slices that neither overlap nor leave more than padding uncovered, zero
 * padding), misuse refused with messages naming the tensor, zero-grad in one
 * call, one optimizer step equal bit for bit to optim_update per tensor with
 * its lr_mult / reg_mult, a tiny dense-relu-dense network built from the
 * block that learns, save -> load round trips bit-exact with and without
 * optimizer state, resume-exactness (k steps, save with state, load into a
 * fresh block, k more == 2k straight, bit for bit, for SGD, Adam and
 * RMSprop), and corrupt input refused: every truncation, bad magic, version,
 * flags, counts, names, shapes, non-finite values, trailing bytes, each with
 * the block left unchanged.  Inputs are exact-size heap copies, so `make
 * asan` sees any read outside them.
 */
#include <math.h>
#include <stdint.h>

#include "support/harness.h"
#include "common/losses.h"
#include "common/optim.h"
#include "nn/nn.h"
#include "nn/params.h"

#define ALIGNED(ptr) ((((uintptr_t)(ptr)) % NN_PARAMS_ALIGN) == 0)
#define AF (NN_PARAMS_ALIGN / sizeof(float))

static struct optim_cfg cfg_of(enum optim_kind kind, float lr)
{
    return (struct optim_cfg){
        .kind = kind, .lr = lr, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f, .wd = 0.01f,
    };
}

static void fill(float *w, size_t n, float lo, float hi, uint64_t seed)
{
    uint64_t s = seed;
    nn_init_uniform(w, n, lo, hi, &s);
}

/* ------------------------------------------------------------- layout */

/* Odd sizes, every flag: a (3,5) trained, b (7) bias, c (1), e (4,3) frozen,
 * s (6,2) sparse, z (2,2,2,2). */
static void build_odd(struct nn_params *p, unsigned what, enum optim_kind kind)
{
    char err[256];
    nn_params_init(p);
    ASSERT_EQ_INT(nn_params_add(p, "a.kernel", 2, (size_t[]){3, 5}, NULL, err, sizeof(err)), 0);
    ASSERT_EQ_INT(nn_params_add(p, "a.bias", 1, (size_t[]){7}, NN_PARAM_BIAS, err, sizeof(err)), 1);
    ASSERT_EQ_INT(nn_params_add(p, "c", 1, (size_t[]){1}, NULL, err, sizeof(err)), 2);
    ASSERT_EQ_INT(nn_params_add(p, "frozen/emb", 2, (size_t[]){4, 3}, NN_PARAM_FROZEN_OPTS, err, sizeof(err)), 3);
    ASSERT_EQ_INT(nn_params_add(p, "sparse:emb", 2, (size_t[]){6, 2}, NN_PARAM_SPARSE_OPTS, err, sizeof(err)), 4);
    ASSERT_EQ_INT(nn_params_add(p, "z-4d", 4, (size_t[]){2, 2, 2, 2}, NULL, err, sizeof(err)), 5);
    ASSERT_EQ_INT(nn_params_alloc(p, what, kind, err, sizeof(err)), NN_PARAMS_OK);
}

/* The slices [off, off + n) of one family: inside [0, total), in
 * declaration order, no overlap, each followed only by padding to the next
 * aligned offset, and the padding zero. */
static void check_family(const char *fam, const float *base, size_t total, const size_t *off, const size_t *n,
                         size_t cnt)
{
    size_t end = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (off[i] % AF != 0 || off[i] < end || off[i] - end >= AF || off[i] + n[i] > total)
            test_fail(__FILE__, __LINE__, "%s slice %zu at %zu (+%zu) after end %zu of %zu", fam, i, off[i], n[i],
                      end, total);
        for (size_t j = end; j < off[i]; j++)
            ASSERT(base[j] == 0.0f);
        end = off[i] + n[i];
    }
    ASSERT(total >= end && total - end < AF);
    for (size_t j = end; j < total; j++)
        ASSERT(base[j] == 0.0f);
}

TEST(nn_params_layout_alignment_and_coverage)
{
    struct nn_params p;
    build_odd(&p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_ADAM);
    ASSERT(ALIGNED(p.param) && ALIGNED(p.grad) && ALIGNED(p.opt.m) && ALIGNED(p.opt.v));
    ASSERT_EQ_INT(p.opt.owned, 0);
    ASSERT_EQ_INT(nn_params_find(&p, "sparse:emb"), 4);
    ASSERT_EQ_INT(nn_params_find(&p, "nope"), -1);

    size_t po[8], pn[8], go[8], gn[8], so[8], sn[8], np = 0, ng = 0, ns = 0;
    for (int h = 0; h < (int)p.n_tensors; h++) {
        struct nn_view v = nn_params_view(&p, h);
        const unsigned fl = v.t->opts.flags;
        ASSERT(v.w && ALIGNED(v.w) && v.n == v.t->n);
        size_t prod = 1;
        for (uint32_t d = 0; d < v.t->ndim; d++)
            prod *= v.t->shape[d];
        ASSERT_EQ_INT(prod, v.n);
        po[np] = (size_t)(v.w - p.param), pn[np++] = v.n;
        if (fl & (NN_PARAM_FROZEN | NN_PARAM_SPARSE)) {
            ASSERT(v.g == NULL);
        } else {
            ASSERT(v.g && ALIGNED(v.g));
            go[ng] = (size_t)(v.g - p.grad), gn[ng++] = v.n;
        }
        if (fl & NN_PARAM_FROZEN) {
            ASSERT(v.opt.n == 0 && v.opt.m == NULL && v.opt.v == NULL);
        } else {
            ASSERT(v.opt.n == v.n && ALIGNED(v.opt.m) && ALIGNED(v.opt.v) && v.opt.owned == 0);
            ASSERT(v.opt.v - p.opt.v == v.opt.m - p.opt.m);
            so[ns] = (size_t)(v.opt.m - p.opt.m), sn[ns++] = v.n;
        }
    }
    ASSERT_EQ_INT(np, 6);
    ASSERT_EQ_INT(ng, 4);
    ASSERT_EQ_INT(ns, 5);
    check_family("param", p.param, p.n_param, po, pn, np);
    check_family("grad", p.grad, p.n_grad, go, gn, ng);
    check_family("m", p.opt.m, p.n_state, so, sn, ns);
    check_family("v", p.opt.v, p.n_state, so, sn, ns);
    ASSERT_EQ_INT(p.opt.n, p.n_state);

    /* writing every element through its own view touches nothing else */
    for (int h = 0; h < (int)p.n_tensors; h++) {
        struct nn_view v = nn_params_view(&p, h);
        for (size_t i = 0; i < v.n; i++) {
            v.w[i] = (float)(h + 1);
            if (v.g)
                v.g[i] = (float)(h + 1);
            if (v.opt.n)
                v.opt.m[i] = v.opt.v[i] = (float)(h + 1);
        }
    }
    for (int h = 0; h < (int)p.n_tensors; h++) {
        struct nn_view v = nn_params_view(&p, h);
        for (size_t i = 0; i < v.n; i++)
            ASSERT(v.w[i] == (float)(h + 1) && (!v.g || v.g[i] == (float)(h + 1)) &&
                   (!v.opt.n || (v.opt.m[i] == (float)(h + 1) && v.opt.v[i] == (float)(h + 1))));
    }
    check_family("param after writes", p.param, p.n_param, po, pn, np); /* padding still zero */

    /* invalid handles give empty views */
    struct nn_view e = nn_params_view(&p, -1);
    ASSERT(!e.w && !e.g && e.n == 0 && !e.t);
    e = nn_params_view(&p, 6);
    ASSERT(!e.w && e.n == 0);
    nn_params_free(&p);
    ASSERT(!p.param && !p.t && p.n_tensors == 0);
    nn_params_free(&p); /* twice is harmless */

    /* parameters only (serving): no gradient, no state */
    build_odd(&p, 0, OPTIM_SGD);
    ASSERT(p.param && !p.grad && !p.opt.m && !p.opt.v && p.n_grad == 0 && p.n_state == 0);
    for (int h = 0; h < 6; h++) {
        struct nn_view v = nn_params_view(&p, h);
        ASSERT(v.w && !v.g && v.opt.n == 0);
    }
    nn_params_free(&p);
    /* RMSprop has v only, SGD m only */
    build_odd(&p, NN_PARAMS_OPTIM, OPTIM_RMSPROP);
    ASSERT(!p.opt.m && p.opt.v && !p.grad);
    nn_params_free(&p);
    build_odd(&p, NN_PARAMS_OPTIM | NN_PARAMS_GRADS, OPTIM_SGD);
    ASSERT(p.opt.m && !p.opt.v);
    nn_params_free(&p);
    /* an empty block allocates and serialises */
    nn_params_init(&p);
    ASSERT_EQ_INT(nn_params_alloc(&p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_ADAM, NULL, 0), 0);
    ASSERT_EQ_INT(nn_params_save_size(&p, 0), 28);
    nn_params_free(&p);
}

TEST(nn_params_misuse_is_refused_with_a_message)
{
    struct nn_params p;
    char err[256];
    nn_params_init(&p);
    static const char *const bad_names[] = {"", "has space", "tab\t", "\xc3\xa9",
                                            "a234567890123456789012345678901234567890123456789012345678901234"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
        ASSERT_EQ_INT(nn_params_add(&p, bad_names[i], 1, (size_t[]){1}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_CONTAINS(err, "is not 1..63 characters");
    ASSERT_EQ_INT(nn_params_add(&p, NULL, 1, (size_t[]){1}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    /* 63 characters is fine */
    ASSERT_EQ_INT(nn_params_add(&p, "a23456789012345678901234567890123456789012345678901234567890123", 1,
                                (size_t[]){2}, NULL, err, sizeof(err)),
                  0);
    ASSERT_EQ_INT(nn_params_add(&p, "w", 2, (size_t[]){2, 3}, NULL, err, sizeof(err)), 1);
    ASSERT_EQ_INT(nn_params_add(&p, "w", 1, (size_t[]){6}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_CONTAINS(err, "'w' added twice");
    ASSERT_EQ_INT(nn_params_add(&p, "x", 0, (size_t[]){1}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_CONTAINS(err, "'x'");
    ASSERT_EQ_INT(nn_params_add(&p, "x", 5, (size_t[]){1, 1, 1, 1, 1}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_add(&p, "x", 2, (size_t[]){3, 0}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_CONTAINS(err, "dimension 1 is 0");
    ASSERT_EQ_INT(nn_params_add(&p, "x", 2, (size_t[]){SIZE_MAX / 2, 4}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_add(&p, "x", 3, (size_t[]){1u << 20, 1u << 20, 1u << 20}, NULL, err, sizeof(err)),
                  NN_PARAMS_E_USAGE);
    const struct nn_param_opts both = {1, 1, NN_PARAM_FROZEN | NN_PARAM_SPARSE}, unknown = {1, 1, 8};
    ASSERT_EQ_INT(nn_params_add(&p, "x", 1, (size_t[]){1}, &both, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_add(&p, "x", 1, (size_t[]){1}, &unknown, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(p.n_tensors, 2); /* the refused ones left nothing */
    ASSERT_EQ_INT(nn_params_alloc(&p, NN_PARAMS_OPTIM, (enum optim_kind)7, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_alloc(&p, 4, OPTIM_SGD, err, sizeof(err)), NN_PARAMS_E_USAGE);
    /* nothing but the parameters: no step, no state to save */
    struct nn_buf buf = {0};
    ASSERT_EQ_INT(nn_params_save(&p, 0, &buf, err, sizeof(err)), NN_PARAMS_E_USAGE); /* before alloc */
    ASSERT_EQ_INT(nn_params_load(&p, "", 0, 0, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_alloc(&p, 0, OPTIM_SGD, err, sizeof(err)), NN_PARAMS_OK);
    ASSERT_EQ_INT(nn_params_alloc(&p, 0, OPTIM_SGD, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_add(&p, "late", 1, (size_t[]){1}, NULL, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_CONTAINS(err, "'late' added after");
    struct optim_cfg c = cfg_of(OPTIM_SGD, 0.1f);
    ASSERT_EQ_INT(nn_params_step(&p, &c, c.lr), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_save(&p, NN_PARAMS_OPTIM, &buf, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_save(&p, 0, &buf, err, sizeof(err)), NN_PARAMS_OK);
    ASSERT_EQ_INT(nn_params_load(&p, buf.data, buf.len, NN_PARAMS_OPTIM, err, sizeof(err)), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(nn_params_load(&p, buf.data, buf.len, 0, err, sizeof(err)), NN_PARAMS_OK);
    nn_params_free(&p);
    /* a step with another optimizer than the state's */
    build_odd(&p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_ADAM);
    ASSERT_EQ_INT(nn_params_step(&p, &c, c.lr), NN_PARAMS_E_USAGE);
    ASSERT_EQ_INT(p.opt.t, 0);
    nn_params_free(&p);
    free(buf.data);
}

TEST(nn_params_zero_grad_zeroes_every_gradient)
{
    struct nn_params p;
    build_odd(&p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_SGD);
    for (size_t i = 0; i < p.n_grad; i++)
        p.grad[i] = 1.5f;
    nn_params_zero_grad(&p);
    for (size_t i = 0; i < p.n_grad; i++)
        ASSERT(p.grad[i] == 0.0f);
    nn_params_free(&p);
    build_odd(&p, 0, OPTIM_SGD);
    nn_params_zero_grad(&p); /* no gradients: nothing to do */
    nn_params_free(&p);
}

/* One nn_params_step is optim_tick + optim_update per tensor with a gradient,
 * with that tensor's lr_mult and reg_mult, bit for bit; frozen and sparse
 * tensors stay put; lr_mult 0 freezes a tensor. */
TEST(nn_params_step_is_optim_update_per_tensor)
{
    const enum optim_kind kinds[] = {OPTIM_SGD, OPTIM_ADAM, OPTIM_RMSPROP};
    for (size_t k = 0; k < 3; k++) {
        struct nn_params p;
        char err[256];
        nn_params_init(&p);
        const struct nn_param_opts half = {0.5f, 2.0f, 0}, still = {0.0f, 1.0f, 0};
        ASSERT(nn_params_add(&p, "w", 2, (size_t[]){5, 3}, NULL, err, sizeof(err)) == 0);
        ASSERT(nn_params_add(&p, "b", 1, (size_t[]){3}, NN_PARAM_BIAS, err, sizeof(err)) == 1);
        ASSERT(nn_params_add(&p, "half", 1, (size_t[]){9}, &half, err, sizeof(err)) == 2);
        ASSERT(nn_params_add(&p, "still", 1, (size_t[]){4}, &still, err, sizeof(err)) == 3);
        ASSERT(nn_params_add(&p, "frozen", 1, (size_t[]){4}, NN_PARAM_FROZEN_OPTS, err, sizeof(err)) == 4);
        ASSERT(nn_params_add(&p, "sparse", 1, (size_t[]){4}, NN_PARAM_SPARSE_OPTS, err, sizeof(err)) == 5);
        ASSERT_EQ_INT(nn_params_alloc(&p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, kinds[k], err, sizeof(err)), 0);
        fill(p.param, p.n_param, -1, 1, 11);
        /* the reference: separate arrays and states */
        float *ref[6];
        struct optim_state st[6];
        for (int h = 0; h < 6; h++) {
            struct nn_view v = nn_params_view(&p, h);
            ref[h] = malloc(v.n * sizeof(float));
            memcpy(ref[h], v.w, v.n * sizeof(float));
            ASSERT_EQ_INT(optim_state_init(&st[h], kinds[k], v.n), 0);
        }
        const struct optim_cfg c = {.kind = kinds[k], .lr = 0.05f, .momentum = 0.9f, .beta1 = 0.9f,
                                    .beta2 = 0.99f, .eps = 1e-7f, .wd = 0.1f, .l1 = 0.01f};
        float alt[3];
        struct optim_state alt_st;
        memcpy(alt, ref[1], sizeof(alt));
        ASSERT_EQ_INT(optim_state_init(&alt_st, kinds[k], 3), 0);
        for (int step = 0; step < 5; step++) {
            nn_params_zero_grad(&p);
            for (int h = 0; h < 6; h++) {
                struct nn_view v = nn_params_view(&p, h);
                if (v.g)
                    fill(v.g, v.n, -1, 1, 100 + (uint64_t)step * 10 + (uint64_t)h);
            }
            ASSERT_EQ_INT(nn_params_step(&p, &c, c.lr), 0);
            for (int h = 0; h < 4; h++) {
                struct nn_view v = nn_params_view(&p, h);
                optim_tick(&st[h]);
                optim_update(&c, &st[h], ref[h], v.g, v.n, c.lr, v.t->opts.lr_mult, v.t->opts.reg_mult);
            }
            optim_tick(&alt_st);
            optim_update(&c, &alt_st, alt, nn_params_view(&p, 1).g, 3, c.lr, 1.0f, 1.0f);
        }
        ASSERT_EQ_INT(p.opt.t, 5);
        for (int h = 0; h < 6; h++) {
            struct nn_view v = nn_params_view(&p, h);
            if (memcmp(v.w, ref[h], v.n * sizeof(float)) != 0)
                test_fail(__FILE__, __LINE__, "kind %d tensor %s differs from optim_update", (int)kinds[k], v.t->name);
            if (h < 4 && v.opt.m)
                ASSERT(memcmp(v.opt.m, st[h].m, v.n * sizeof(float)) == 0);
            if (h < 4 && v.opt.v)
                ASSERT(memcmp(v.opt.v, st[h].v, v.n * sizeof(float)) == 0);
            ASSERT(v.opt.n == 0 || v.opt.t == 5); /* views after the step carry its count */
        }
        /* "still" (lr_mult 0), frozen and sparse never moved (ref[4], ref[5]
         * are their initial values) */
        for (int h = 3; h < 6; h++) {
            struct nn_view v = nn_params_view(&p, h);
            ASSERT(memcmp(v.w, ref[h], v.n * sizeof(float)) == 0);
        }
        /* the multipliers matter: the bias with reg_mult 1 would differ */
        ASSERT(memcmp(nn_params_view(&p, 1).w, alt, sizeof(alt)) != 0);
        optim_state_free(&alt_st);
        for (int h = 0; h < 6; h++) {
            free(ref[h]);
            optim_state_free(&st[h]);
        }
        nn_params_free(&p);
    }
}

/* ---------------------------------------------------- a tiny network */

/* dense(I -> H) + relu + dense(H -> K), softmax cross-entropy, built from the
 * block. */
enum { NI = 6, NH = 8, NK = 3, NN = 24 };
struct tiny {
    struct nn_params p;
    int hW1, hb1, hW2, hb2;
    float h[NN * NH], z[NN * NK], dz[NN * NK], dh[NN * NH];
};

static void tiny_build(struct tiny *t, enum optim_kind kind, uint64_t seed)
{
    char err[256];
    nn_params_init(&t->p);
    t->hW1 = nn_params_add(&t->p, "dense_1.kernel", 2, (size_t[]){NI, NH}, NULL, err, sizeof(err));
    t->hb1 = nn_params_add(&t->p, "dense_1.bias", 1, (size_t[]){NH}, NN_PARAM_BIAS, err, sizeof(err));
    t->hW2 = nn_params_add(&t->p, "dense_2.kernel", 2, (size_t[]){NH, NK}, NULL, err, sizeof(err));
    t->hb2 = nn_params_add(&t->p, "dense_2.bias", 1, (size_t[]){NK}, NN_PARAM_BIAS, err, sizeof(err));
    ASSERT(t->hW1 >= 0 && t->hb1 >= 0 && t->hW2 >= 0 && t->hb2 >= 0);
    ASSERT_EQ_INT(nn_params_alloc(&t->p, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, kind, err, sizeof(err)), 0);
    uint64_t rng = seed;
    nn_init_glorot_uniform(nn_params_view(&t->p, t->hW1).w, NI, NH, &rng);
    nn_init_glorot_uniform(nn_params_view(&t->p, t->hW2).w, NH, NK, &rng);
}

/* A fixed data set: class = argmax of three fixed projections of x. */
struct tiny_data {
    float x[NN * NI], y[NN];
};

static void tiny_data(struct tiny_data *d)
{
    fill(d->x, NN * NI, -1, 1, 99);
    for (size_t r = 0; r < NN; r++) {
        const float *x = d->x + r * NI;
        float s[NK] = {x[0] + x[1] - x[2], x[3] - x[4] + 0.5f * x[5], -x[0] + x[5]};
        int best = 0;
        for (int k = 1; k < NK; k++)
            best = s[k] > s[best] ? k : best;
        d->y[r] = (float)best;
    }
}

/* Mean loss of rows [r0, r0 + n); with grads, the gradients are zeroed and
 * filled. */
static double tiny_loss(struct tiny *t, const struct tiny_data *d, size_t r0, size_t n, int grads)
{
    struct nn_view W1 = nn_params_view(&t->p, t->hW1), b1 = nn_params_view(&t->p, t->hb1);
    struct nn_view W2 = nn_params_view(&t->p, t->hW2), b2 = nn_params_view(&t->p, t->hb2);
    const float *x = d->x + r0 * NI;
    nn_dense_forward(x, W1.w, b1.w, n, NI, NH, t->h);
    nn_act_forward(NN_ACT_RELU, t->h, t->h, n * NH);
    nn_dense_forward(t->h, W2.w, b2.w, n, NH, NK, t->z);
    double loss = 0;
    softmax_xent_batch(t->z, d->y + r0, NULL, n, 1, NK, grads ? t->dz : NULL, NULL, &loss);
    if (grads) {
        for (size_t i = 0; i < n * NK; i++)
            t->dz[i] /= (float)n;
        nn_params_zero_grad(&t->p);
        nn_dense_backward(t->h, W2.w, t->dz, n, NH, NK, W2.g, b2.g, t->dh);
        nn_act_backward(NN_ACT_RELU, t->h, t->dh, t->dh, n * NH);
        nn_dense_backward(x, W1.w, t->dh, n, NI, NH, W1.g, b1.g, NULL);
    }
    return loss / (double)n;
}

/* Step s trains on a batch of 8 rows that depends on s only. */
static void tiny_train(struct tiny *t, const struct tiny_data *d, const struct optim_cfg *c, long s0, long s1)
{
    for (long s = s0; s < s1; s++) {
        tiny_loss(t, d, (size_t)(s % 3) * 8, 8, 1);
        ASSERT_EQ_INT(nn_params_step(&t->p, c, lr_schedule(c->lr, s, 7, 0.5f, 0)), 0);
    }
}

TEST(nn_params_tiny_net_learns)
{
    struct tiny *t = calloc(1, sizeof(*t));
    struct tiny_data d;
    tiny_data(&d);
    tiny_build(t, OPTIM_ADAM, 5);
    const struct optim_cfg c = cfg_of(OPTIM_ADAM, 0.05f);
    const double l0 = tiny_loss(t, &d, 0, NN, 0);
    double prev = l0;
    for (int round = 0; round < 4; round++) {
        tiny_train(t, &d, &c, round * 15, (round + 1) * 15);
        const double l = tiny_loss(t, &d, 0, NN, 0);
        ASSERT(isfinite(l));
        if (round == 0)
            ASSERT(l < prev);
        prev = l;
    }
    if (!(prev < 0.5 * l0))
        test_fail(__FILE__, __LINE__, "loss %g after 60 steps, from %g", prev, l0);
    nn_params_free(&t->p);
    free(t);
}

/* ------------------------------------------------------- save and load */

static unsigned char *dup_bytes(const unsigned char *b, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    ASSERT(c);
    memcpy(c, b, n);
    return c;
}

static void same_block(const struct nn_params *a, const struct nn_params *b, int state)
{
    ASSERT_EQ_INT(a->n_tensors, b->n_tensors);
    for (int h = 0; h < (int)a->n_tensors; h++) {
        struct nn_view x = nn_params_view(a, h), y = nn_params_view(b, h);
        ASSERT(memcmp(x.w, y.w, x.n * sizeof(float)) == 0);
        if (state && x.opt.m)
            ASSERT(memcmp(x.opt.m, y.opt.m, x.n * sizeof(float)) == 0);
        if (state && x.opt.v)
            ASSERT(memcmp(x.opt.v, y.opt.v, x.n * sizeof(float)) == 0);
    }
    if (state)
        ASSERT_EQ_INT(a->opt.t, b->opt.t);
}

TEST(nn_params_save_load_round_trip_bit_exact)
{
    const enum optim_kind kinds[] = {OPTIM_SGD, OPTIM_ADAM, OPTIM_RMSPROP};
    struct tiny_data d;
    tiny_data(&d);
    for (size_t k = 0; k < 3; k++)
        for (unsigned flags = 0; flags <= NN_PARAMS_OPTIM; flags += NN_PARAMS_OPTIM) {
            struct tiny *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
            tiny_build(a, kinds[k], 1);
            tiny_build(b, kinds[k], 2); /* other values, to be overwritten */
            const struct optim_cfg c = cfg_of(kinds[k], 0.05f);
            tiny_train(a, &d, &c, 0, 4);
            /* appends after what the buffer holds */
            struct nn_buf buf = {0};
            buf.data = malloc(3);
            memcpy(buf.data, "abc", 3);
            buf.len = buf.cap = 3;
            char err[256];
            ASSERT_EQ_INT(nn_params_save(&a->p, flags, &buf, err, sizeof(err)), 0);
            ASSERT(memcmp(buf.data, "abc", 3) == 0);
            ASSERT_EQ_INT(buf.len - 3, nn_params_save_size(&a->p, flags));
            ASSERT(memcmp(buf.data + 3, "NNPB", 4) == 0);
            unsigned char *bytes = dup_bytes(buf.data + 3, buf.len - 3);
            const size_t len = buf.len - 3;
            if (nn_params_load(&b->p, bytes, len, flags, err, sizeof(err)) != 0)
                test_fail(__FILE__, __LINE__, "load: %s", err);
            same_block(&a->p, &b->p, flags != 0);
            if (!flags)
                ASSERT_EQ_INT(b->p.opt.t, 0); /* a model file leaves the state alone */
            /* saving the loaded block gives the same bytes */
            struct nn_buf again = {0};
            ASSERT_EQ_INT(nn_params_save(&b->p, flags, &again, err, sizeof(err)), 0);
            ASSERT_EQ_INT(again.len, len);
            ASSERT(memcmp(again.data, bytes, len) == 0);
            /* the model file is the parameters' bytes: header + table + data */
            if (!flags)
                ASSERT_EQ_INT(len, 28 + (12 + 14 + 16) + (12 + 12 + 8) + (12 + 14 + 16) + (12 + 12 + 8) +
                                       4 * (NI * NH + NH + NH * NK + NK));
            free(again.data);
            free(bytes);
            free(buf.data);
            nn_params_free(&a->p);
            nn_params_free(&b->p);
            free(a);
            free(b);
        }
}

/* Train 2k steps straight through == train k, save with state, load into a
 * fresh block, train k more: parameters and state bit for bit. */
TEST(nn_params_resume_is_exact)
{
    const enum optim_kind kinds[] = {OPTIM_SGD, OPTIM_ADAM, OPTIM_RMSPROP};
    struct tiny_data d;
    tiny_data(&d);
    const long k = 10;
    for (size_t i = 0; i < 3; i++) {
        const struct optim_cfg c = cfg_of(kinds[i], 0.03f);
        struct tiny *straight = calloc(1, sizeof(*straight)), *first = calloc(1, sizeof(*first)),
                    *resumed = calloc(1, sizeof(*resumed));
        tiny_build(straight, kinds[i], 3);
        tiny_train(straight, &d, &c, 0, 2 * k);

        tiny_build(first, kinds[i], 3);
        tiny_train(first, &d, &c, 0, k);
        struct nn_buf buf = {0};
        char err[256];
        ASSERT_EQ_INT(nn_params_save(&first->p, NN_PARAMS_OPTIM, &buf, err, sizeof(err)), 0);
        nn_params_free(&first->p);

        tiny_build(resumed, kinds[i], 77); /* a fresh block, other initial values */
        unsigned char *bytes = dup_bytes(buf.data, buf.len);
        if (nn_params_load(&resumed->p, bytes, buf.len, NN_PARAMS_OPTIM, err, sizeof(err)) != 0)
            test_fail(__FILE__, __LINE__, "load: %s", err);
        ASSERT_EQ_INT(resumed->p.opt.t, k);
        tiny_train(resumed, &d, &c, k, 2 * k);
        same_block(&straight->p, &resumed->p, 1);

        /* without the state, resuming is NOT exact (the check has teeth) */
        {
            struct tiny *cold = calloc(1, sizeof(*cold));
            tiny_build(cold, kinds[i], 3);
            tiny_train(cold, &d, &c, 0, k);
            struct nn_buf pb = {0};
            ASSERT_EQ_INT(nn_params_save(&cold->p, 0, &pb, err, sizeof(err)), 0);
            nn_params_free(&cold->p);
            tiny_build(cold, kinds[i], 3);
            ASSERT_EQ_INT(nn_params_load(&cold->p, pb.data, pb.len, 0, err, sizeof(err)), 0);
            tiny_train(cold, &d, &c, k, 2 * k);
            struct nn_view a = nn_params_view(&straight->p, straight->hW1), b = nn_params_view(&cold->p, cold->hW1);
            ASSERT(memcmp(a.w, b.w, a.n * sizeof(float)) != 0);
            free(pb.data);
            nn_params_free(&cold->p);
            free(cold);
        }
        free(bytes);
        free(buf.data);
        nn_params_free(&straight->p);
        nn_params_free(&resumed->p);
        free(straight);
        free(first);
        free(resumed);
    }
}

/* -------------------------------------------------------- corrupt input */

/* Load `bytes` (copied to an exact-size buffer) into p; the result code, the
 * message in err, and p's parameters and state unchanged on failure. */
static int try_load(struct nn_params *p, const unsigned char *bytes, size_t len, unsigned flags, char *err,
                    size_t errsz)
{
    unsigned char *cut = dup_bytes(bytes, len);
    float *before = malloc(p->n_param * sizeof(float)), *mb = NULL, *vb = NULL;
    ASSERT(before);
    memcpy(before, p->param, p->n_param * sizeof(float));
    if (p->opt.m) {
        mb = malloc(p->n_state * sizeof(float));
        memcpy(mb, p->opt.m, p->n_state * sizeof(float));
    }
    if (p->opt.v) {
        vb = malloc(p->n_state * sizeof(float));
        memcpy(vb, p->opt.v, p->n_state * sizeof(float));
    }
    const long t0 = p->opt.t;
    err[0] = 0;
    const int rc = nn_params_load(p, cut, len, flags, err, errsz);
    if (rc != 0) {
        ASSERT(err[0]);
        ASSERT(memcmp(before, p->param, p->n_param * sizeof(float)) == 0);
        ASSERT(!mb || memcmp(mb, p->opt.m, p->n_state * sizeof(float)) == 0);
        ASSERT(!vb || memcmp(vb, p->opt.v, p->n_state * sizeof(float)) == 0);
        ASSERT_EQ_INT(p->opt.t, t0);
    }
    free(before);
    free(mb);
    free(vb);
    free(cut);
    return rc;
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

/* Expect the damaged copy refused as a format error whose message has `what`. */
static void expect_bad(struct nn_params *p, const unsigned char *orig, size_t len, unsigned flags, size_t at,
                       const void *patch, size_t plen, const char *what)
{
    unsigned char *b = dup_bytes(orig, len);
    memcpy(b + at, patch, plen);
    char err[512];
    const int rc = try_load(p, b, len, flags, err, sizeof(err));
    if (rc != NN_PARAMS_E_FORMAT || !strstr(err, what))
        test_fail(__FILE__, __LINE__, "patch at %zu: rc %d, message \"%s\", wanted \"%s\"", at, rc, err, what);
    free(b);
}

TEST(nn_params_load_refuses_corrupt_input)
{
    struct tiny_data d;
    tiny_data(&d);
    struct tiny *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    tiny_build(a, OPTIM_ADAM, 1);
    tiny_build(b, OPTIM_ADAM, 2);
    const struct optim_cfg c = cfg_of(OPTIM_ADAM, 0.05f);
    tiny_train(a, &d, &c, 0, 3);
    tiny_train(b, &d, &c, 0, 1); /* b has state of its own to keep */
    char err[512];
    for (unsigned flags = 0; flags <= NN_PARAMS_OPTIM; flags += NN_PARAMS_OPTIM) {
        struct nn_buf buf = {0};
        ASSERT_EQ_INT(nn_params_save(&a->p, flags, &buf, err, sizeof(err)), 0);
        const unsigned char *s = buf.data;
        const size_t len = buf.len;
        /* every truncation */
        for (size_t n = 0; n < len; n++)
            if (try_load(&b->p, s, n, flags, err, sizeof(err)) != NN_PARAMS_E_FORMAT ||
                !strstr(err, "truncated"))
                test_fail(__FILE__, __LINE__, "prefix of %zu of %zu bytes: \"%s\"", n, len, err);
        /* one byte too many */
        unsigned char *longer = malloc(len + 1);
        memcpy(longer, s, len);
        longer[len] = 0;
        ASSERT_EQ_INT(try_load(&b->p, longer, len + 1, flags, err, sizeof(err)), NN_PARAMS_E_FORMAT);
        ASSERT_CONTAINS(err, "trailing bytes");
        free(longer);
        /* the header */
        expect_bad(&b->p, s, len, flags, 0, "NNPC", 4, "not a parameter block");
        expect_bad(&b->p, s, len, flags, 4, "\x02\0\0\0", 4, "version 2");
        expect_bad(&b->p, s, len, flags, 8, "\x04\0\0\0", 4, "flags 0x4");
        expect_bad(&b->p, s, len, flags, 8, flags ? "\0\0\0\0" : "\x01\0\0\0", 4, "optimizer state");
        expect_bad(&b->p, s, len, flags, 12, "\xff\xff\xff\xff", 4, "has 4294967295 tensors but the network has 4");
        expect_bad(&b->p, s, len, flags, 12, "\x03\0\0\0", 4, "has 3 tensors");
        expect_bad(&b->p, s, len, flags, 16, flags ? "\x02\0\0\0" : "\x01\0\0\0", 4,
                   flags ? "RMSprop's (kind 2) but the network trains with Adam" : "without optimizer state");
        expect_bad(&b->p, s, len, flags, 16, "\x09\0\0\0", 4, flags ? "unknown's (kind 9)" : "kind 9");
        unsigned char big[8];
        put_u64(big, flags ? (uint64_t)INT64_MAX + 1 : 1);
        expect_bad(&b->p, s, len, flags, 20, big, 8, "step count");
        /* the first tensor's entry at 28: name length, name, flags, ndim, shape */
        unsigned char u[4];
        put_u32(u, 0xffffffffu);
        expect_bad(&b->p, s, len, flags, 28, u, 4, "'dense_1.kernel' in the network): a name of 4294967295 bytes");
        put_u32(u, 0);
        expect_bad(&b->p, s, len, flags, 28, u, 4, "a name of 0 bytes");
        expect_bad(&b->p, s, len, flags, 32, "dense_9", 7, "tensor 0 is 'dense_9.kernel' in the data but 'dense_1.kernel'");
        expect_bad(&b->p, s, len, flags, 32, "\x01\n", 2, "tensor 0 is '??nse_1.kernel'");
        put_u32(u, 13); /* "dense_1.kerne" + 'l' read as the flags */
        expect_bad(&b->p, s, len, flags, 28, u, 4, "tensor 0 is 'dense_1.kerne' in the data");
        const size_t fl = 32 + 14, nd = fl + 4, sh = nd + 4;
        put_u32(u, 2);
        expect_bad(&b->p, s, len, flags, fl, u, 4, "unknown flags 0x2");
        put_u32(u, flags ? 0 : 1);
        expect_bad(&b->p, s, len, flags, fl, u, 4, "'dense_1.kernel': optimizer state");
        put_u32(u, 1000);
        expect_bad(&b->p, s, len, flags, nd, u, 4, "'dense_1.kernel': 1000 dimensions");
        put_u32(u, 1);
        expect_bad(&b->p, s, len, flags, nd, u, 4, "shape (6) in the data but (6, 8) in the network");
        put_u64(big, 7);
        expect_bad(&b->p, s, len, flags, sh + 8, big, 8, "'dense_1.kernel': shape (6, 7) in the data but (6, 8)");
        put_u64(big, UINT64_MAX);
        expect_bad(&b->p, s, len, flags, sh, big, 8, "shape (18446744073709551615, 8)");
        /* the second tensor's name (a bias) */
        expect_bad(&b->p, s, len, flags, sh + 16 + 4, "dense_1.BIAS", 12, "'dense_1.BIAS' in the data but 'dense_1.bias'");
        /* values: a NaN parameter in the last tensor, an infinite first one */
        const size_t pdata = nn_params_save_size(&a->p, 0) - 4 * (NI * NH + NH + NH * NK + NK);
        const float nan = NAN, inf = -INFINITY, neg = -1e-3f;
        expect_bad(&b->p, s, len, flags, pdata, &inf, 4, "'dense_1.kernel': parameter 0 is not finite");
        expect_bad(&b->p, s, len, flags, pdata + 4 * (NI * NH + NH + NH * NK + NK - 1), &nan, 4,
                   "'dense_2.bias': parameter 2 is not finite");
        if (flags) {
            /* state: m of dense_1.kernel then its v, ...; a NaN m, a negative v */
            const size_t sdata = pdata + 4 * (NI * NH + NH + NH * NK + NK);
            expect_bad(&b->p, s, len, flags, sdata + 4, &nan, 4, "'dense_1.kernel': optimizer moment m 1 is not finite");
            expect_bad(&b->p, s, len, flags, sdata + 4 * NI * NH, &neg, 4,
                       "'dense_1.kernel': optimizer moment v 0 is not finite or is negative");
            expect_bad(&b->p, s, len, flags, len - 4, &inf, 4, "'dense_2.bias': optimizer moment v 2");
            /* a negative zero second moment is fine */
            unsigned char *z = dup_bytes(s, len);
            const float nz = -0.0f;
            memcpy(z + len - 4, &nz, 4);
            ASSERT_EQ_INT(try_load(&b->p, z, len, flags, err, sizeof(err)), 0);
            free(z);
        }
        /* the wrong flag for what the bytes hold */
        ASSERT_EQ_INT(try_load(&b->p, s, len, flags ^ NN_PARAMS_OPTIM, err, sizeof(err)), NN_PARAMS_E_FORMAT);
        ASSERT_CONTAINS(err, "optimizer state");
        /* and the bytes themselves load */
        ASSERT_EQ_INT(try_load(&b->p, s, len, flags, err, sizeof(err)), 0);
        same_block(&a->p, &b->p, flags != 0);
        free(buf.data);
    }

    /* a network with another layout: the shape difference is named */
    struct nn_params q;
    nn_params_init(&q);
    ASSERT(nn_params_add(&q, "dense_1.kernel", 2, (size_t[]){NI, NH + 1}, NULL, err, sizeof(err)) == 0);
    ASSERT(nn_params_add(&q, "dense_1.bias", 1, (size_t[]){NH}, NULL, err, sizeof(err)) == 1);
    ASSERT(nn_params_add(&q, "dense_2.kernel", 2, (size_t[]){NH, NK}, NULL, err, sizeof(err)) == 2);
    ASSERT(nn_params_add(&q, "dense_2.bias", 1, (size_t[]){NK}, NULL, err, sizeof(err)) == 3);
    ASSERT_EQ_INT(nn_params_alloc(&q, NN_PARAMS_OPTIM, OPTIM_ADAM, err, sizeof(err)), 0);
    struct nn_buf buf = {0};
    ASSERT_EQ_INT(nn_params_save(&a->p, 0, &buf, err, sizeof(err)), 0);
    ASSERT_EQ_INT(try_load(&q, buf.data, buf.len, 0, err, sizeof(err)), NN_PARAMS_E_FORMAT);
    ASSERT_CONTAINS(err, "'dense_1.kernel': shape (6, 8) in the data but (6, 9) in the network");
    free(buf.data);
    nn_params_free(&q);
    /* a checkpoint of a network whose embedding was frozen, into one that trains it */
    struct nn_params f, g;
    nn_params_init(&f);
    nn_params_init(&g);
    ASSERT(nn_params_add(&f, "emb", 2, (size_t[]){4, 2}, NN_PARAM_FROZEN_OPTS, err, sizeof(err)) == 0);
    ASSERT(nn_params_add(&g, "emb", 2, (size_t[]){4, 2}, NN_PARAM_SPARSE_OPTS, err, sizeof(err)) == 0);
    ASSERT_EQ_INT(nn_params_alloc(&f, NN_PARAMS_OPTIM, OPTIM_RMSPROP, err, sizeof(err)), 0);
    ASSERT_EQ_INT(nn_params_alloc(&g, NN_PARAMS_OPTIM, OPTIM_RMSPROP, err, sizeof(err)), 0);
    buf = (struct nn_buf){0};
    ASSERT_EQ_INT(nn_params_save(&f, NN_PARAMS_OPTIM, &buf, err, sizeof(err)), 0);
    ASSERT_EQ_INT(try_load(&g, buf.data, buf.len, NN_PARAMS_OPTIM, err, sizeof(err)), NN_PARAMS_E_FORMAT);
    ASSERT_CONTAINS(err, "'emb': optimizer state absent in the data, but the network trains it");
    /* the model file (no state) loads either way */
    buf.len = 0;
    ASSERT_EQ_INT(nn_params_save(&f, 0, &buf, err, sizeof(err)), 0);
    ASSERT_EQ_INT(try_load(&g, buf.data, buf.len, 0, err, sizeof(err)), 0);
    free(buf.data);
    nn_params_free(&f);
    nn_params_free(&g);
    nn_params_free(&a->p);
    nn_params_free(&b->p);
    free(a);
    free(b);
}
