/*
 * state.c: the training state of the parallel models: allocation, the
 * per-model optimizer settings (model 0 exactly as configured, the others
 * varied around it), weight initialisation, and the checkpoint payload.
 *
 * Checkpoint payload (native byte order: it only goes back to this build):
 *   "LLCKPT01" u64 M K D epoch step bad_epochs have_scaler optim_t
 *   f64 best_obj  f32 y_mean y_std class_w[2]
 *   f32 W[R*D] b[R] bestW[R*D] bestb[R]  f64 best_loss[M]  i32 best_epoch[M]
 *   f32 ow.m ow.v (R*D each, when the optimizer has them) ob.m ob.v (R)
 *   f32 mean[D] inv_std[D] mc_w[K]
 */
#include "linear_learner/state.h"

#include "common/parallel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"

void ll_model_settings(const struct ll_config *c, size_t m, float *lr, float *wd, float *l1)
{
    *lr = c->learning_rate;
    *wd = c->wd_auto ? 0.0f : c->wd;
    *l1 = c->l1_auto ? 0.0f : c->l1;
    if (m == 0)
        return;
    /* Seven variations per round: the step size around the given one, and
     * regularisation levels from none to strong; later rounds shrink the
     * step further and regularise more. */
    static const float lr_f[7] = {0.3f, 3.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0.3f};
    static const int level[7] = {0, 0, 1, 2, 3, 4, 2};
    static const float wd_auto[5] = {0.0f, 1e-4f, 1e-3f, 3e-3f, 1e-2f};
    static const float wd_mult[5] = {1.0f, 0.1f, 10.0f, 100.0f, 0.01f};
    static const float l1_auto[5] = {0.0f, 0.0f, 1e-6f, 1e-5f, 1e-4f};
    static const float l1_mult[5] = {1.0f, 10.0f, 0.1f, 0.01f, 100.0f};
    size_t j = (m - 1) % 7, round = (m - 1) / 7;
    int lv = level[j] + (int)round;
    if (lv > 4)
        lv = 4;
    *lr = c->learning_rate * lr_f[j] * powf(0.7f, (float)round);
    *wd = c->wd_auto ? wd_auto[lv] : c->wd * wd_mult[lv];
    *l1 = c->l1_auto ? l1_auto[lv] : c->l1 * l1_mult[lv];
}

void ll_state_free(struct ll_state *st)
{
    parallel_team_free(st->team);
    st->team = NULL;
    free(st->W);
    free(st->b);
    free(st->bestW);
    free(st->bestb);
    free(st->best_loss);
    free(st->best_epoch);
    optim_state_free(&st->ow);
    optim_state_free(&st->ob);
    free(st->oc);
    ll_scaler_free(&st->sc);
    free(st->mc_w);
    free(st->Weff);
    free(st->beff);
    free(st->P);
    free(st->dP);
    free(st->G); /* gb lives at its end */
    free(st->loss);
    memset(st, 0, sizeof(*st));
}

int ll_state_init(struct ll_state *st, const struct ll_config *cfg, size_t D)
{
    memset(st, 0, sizeof(*st));
    st->M = cfg->num_models;
    st->K = cfg->K;
    st->D = D;
    st->R = st->M * st->K;
    size_t RD = st->R * D;
    if (D == 0 || RD / D != st->R)
        return -1;
    st->W = malloc(RD * sizeof(float));
    st->b = malloc(st->R * sizeof(float));
    st->bestW = malloc(RD * sizeof(float));
    st->bestb = malloc(st->R * sizeof(float));
    st->best_loss = malloc(st->M * sizeof(double));
    st->best_epoch = calloc(st->M, sizeof(int));
    st->oc = calloc(st->M, sizeof(*st->oc));
    st->mc_w = malloc(st->K * sizeof(float));
    st->Weff = malloc(RD * sizeof(float));
    st->beff = malloc(st->R * sizeof(float));
    /* gb right after G: one block, added up across hosts in one call. */
    st->G = malloc((RD + st->R) * sizeof(float));
    st->gb = st->G ? st->G + RD : NULL;
    st->loss = calloc(st->M, sizeof(double));
    if (!st->W || !st->b || !st->bestW || !st->bestb || !st->best_loss || !st->best_epoch || !st->oc ||
        !st->mc_w || !st->Weff || !st->beff || !st->G || !st->gb || !st->loss ||
        optim_state_init(&st->ow, cfg->optimizer, RD) != 0 || optim_state_init(&st->ob, cfg->optimizer, st->R) != 0 ||
        ll_scaler_identity(&st->sc, D) != 0) {
        ll_state_free(st);
        return -1;
    }
    for (size_t m = 0; m < st->M; m++) {
        float lr, wd, l1;
        ll_model_settings(cfg, m, &lr, &wd, &l1);
        st->oc[m] = (struct optim_cfg){.kind = cfg->optimizer, .lr = lr, .momentum = cfg->momentum,
                                       .beta1 = cfg->beta_1, .beta2 = cfg->beta_2, .eps = cfg->eps,
                                       .wd = wd, .l1 = l1};
        st->best_loss[m] = INFINITY;
    }
    uint64_t rng = rng_mix64((uint64_t)cfg->seed ^ 0x5eedULL);
    for (size_t i = 0; i < RD; i++)
        st->W[i] = cfg->init_method == LL_INIT_NORMAL ? (float)(cfg->init_sigma * rng_normal_double(&rng))
                                    : (float)(cfg->init_scale * (2.0 * rng_uniform_double(&rng) - 1.0));
    for (size_t r = 0; r < st->R; r++)
        st->b[r] = cfg->use_bias ? cfg->init_bias : 0.0f;
    memcpy(st->bestW, st->W, RD * sizeof(float));
    memcpy(st->bestb, st->b, st->R * sizeof(float));
    st->class_w[0] = st->class_w[1] = 1.0f;
    for (size_t k = 0; k < st->K; k++)
        st->mc_w[k] = 1.0f;
    st->best_obj = INFINITY;
    return 0;
}

int ll_state_scratch(struct ll_state *st, size_t n)
{
    if (n <= st->scratch_rows)
        return 0;
    free(st->P);
    free(st->dP);
    st->P = malloc(n * st->R * sizeof(float));
    st->dP = malloc(n * st->R * sizeof(float));
    if (!st->P || !st->dP) {
        st->scratch_rows = 0;
        return -1;
    }
    st->scratch_rows = n;
    return 0;
}

/* ---- checkpoint payload ---- */

#define CK_MAGIC "LLCKPT01"

struct ck_head {
    char magic[8];
    uint64_t M, K, D, epoch, step, bad_epochs, have_scaler, optim_t;
    double best_obj;
    float y_mean, y_std, class_w[2];
};

struct wbuf {
    unsigned char *p;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
    if (n)
        memcpy(w->p, src, n);
    w->p += n;
}

static size_t ck_len(const struct ll_state *st)
{
    size_t RD = st->R * st->D, n = sizeof(struct ck_head);
    n += (2 * RD + 2 * st->R) * sizeof(float) + st->M * (sizeof(double) + sizeof(int32_t));
    n += ((st->ow.m ? 1 : 0) + (st->ow.v ? 1 : 0)) * (RD + st->R) * sizeof(float);
    n += (2 * st->D + st->K) * sizeof(float);
    return n;
}

int ll_state_encode(const struct ll_state *st, unsigned char **out, size_t *len)
{
    size_t n = ck_len(st), RD = st->R * st->D;
    unsigned char *buf = malloc(n);
    if (!buf)
        return -1;
    struct ck_head h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, CK_MAGIC, 8);
    h.M = st->M;
    h.K = st->K;
    h.D = st->D;
    h.epoch = (uint64_t)st->epoch;
    h.step = (uint64_t)st->step;
    h.bad_epochs = (uint64_t)st->bad_epochs;
    h.have_scaler = (uint64_t)st->have_scaler;
    h.optim_t = (uint64_t)st->ow.t;
    h.best_obj = st->best_obj;
    h.y_mean = st->sc.y_mean;
    h.y_std = st->sc.y_std;
    h.class_w[0] = st->class_w[0];
    h.class_w[1] = st->class_w[1];
    struct wbuf w = {buf};
    put(&w, &h, sizeof(h));
    put(&w, st->W, RD * sizeof(float));
    put(&w, st->b, st->R * sizeof(float));
    put(&w, st->bestW, RD * sizeof(float));
    put(&w, st->bestb, st->R * sizeof(float));
    put(&w, st->best_loss, st->M * sizeof(double));
    for (size_t m = 0; m < st->M; m++) {
        int32_t e = st->best_epoch[m];
        put(&w, &e, sizeof(e));
    }
    if (st->ow.m) {
        put(&w, st->ow.m, RD * sizeof(float));
        put(&w, st->ob.m, st->R * sizeof(float));
    }
    if (st->ow.v) {
        put(&w, st->ow.v, RD * sizeof(float));
        put(&w, st->ob.v, st->R * sizeof(float));
    }
    put(&w, st->sc.mean, st->D * sizeof(float));
    put(&w, st->sc.inv_std, st->D * sizeof(float));
    put(&w, st->mc_w, st->K * sizeof(float));
    *out = buf;
    *len = n;
    return 0;
}

optml_status ll_state_peek(optml_ctx *ctx, const unsigned char *buf, size_t len, size_t *M, size_t *K, size_t *D)
{
    struct ck_head h;
    if (len < sizeof(h))
        return optml_error(ctx, OPTML_E_CLIENT, "the checkpoint is not a linear-learner checkpoint");
    memcpy(&h, buf, sizeof(h));
    if (memcmp(h.magic, CK_MAGIC, 8) != 0 || h.D == 0 || h.D > LL_MAX_DIM || h.K == 0 || h.K > 1000000 ||
        h.M == 0 || h.M > 256)
        return optml_error(ctx, OPTML_E_CLIENT, "the checkpoint is not a linear-learner checkpoint");
    *M = h.M;
    *K = h.K;
    *D = h.D;
    return OPTML_OK;
}

optml_status ll_state_decode(optml_ctx *ctx, struct ll_state *st, const unsigned char *buf, size_t len)
{
    struct ck_head h;
    size_t M = 0, K = 0, D = 0;
    optml_status s = ll_state_peek(ctx, buf, len, &M, &K, &D);
    if (s != OPTML_OK)
        return s;
    if (M != st->M || K != st->K || D != st->D)
        return optml_error(ctx, OPTML_E_CLIENT, "the checkpoint holds %zu models of %zu outputs over %zu features; "
                           "this job has %zu, %zu and %zu (num_models, num_classes, feature_dim changed?)",
                           M, K, D, st->M, st->K, st->D);
    if (len != ck_len(st))
        return optml_error(ctx, OPTML_E_CLIENT, "the checkpoint has %zu bytes, expected %zu (optimizer changed?)",
                           len, ck_len(st));
    memcpy(&h, buf, sizeof(h));
    const unsigned char *p = buf + sizeof(h);
    size_t RD = st->R * st->D;
#define GET(dst, n)                                                            \
    do {                                                                       \
        memcpy((dst), p, (n));                                                 \
        p += (n);                                                              \
    } while (0)
    GET(st->W, RD * sizeof(float));
    GET(st->b, st->R * sizeof(float));
    GET(st->bestW, RD * sizeof(float));
    GET(st->bestb, st->R * sizeof(float));
    GET(st->best_loss, st->M * sizeof(double));
    for (size_t m = 0; m < st->M; m++) {
        int32_t e;
        GET(&e, sizeof(e));
        st->best_epoch[m] = e;
    }
    if (st->ow.m) {
        GET(st->ow.m, RD * sizeof(float));
        GET(st->ob.m, st->R * sizeof(float));
    }
    if (st->ow.v) {
        GET(st->ow.v, RD * sizeof(float));
        GET(st->ob.v, st->R * sizeof(float));
    }
    GET(st->sc.mean, st->D * sizeof(float));
    GET(st->sc.inv_std, st->D * sizeof(float));
    GET(st->mc_w, st->K * sizeof(float));
#undef GET
    st->epoch = (int)h.epoch;
    st->step = (long)h.step;
    st->bad_epochs = (int)h.bad_epochs;
    st->have_scaler = (int)h.have_scaler;
    st->ow.t = st->ob.t = (long)h.optim_t;
    st->best_obj = h.best_obj;
    st->sc.y_mean = h.y_mean;
    st->sc.y_std = h.y_std;
    st->class_w[0] = h.class_w[0];
    st->class_w[1] = h.class_w[1];
    return OPTML_OK;
}
