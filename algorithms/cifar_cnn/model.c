/*
 * model.c: what cifar-cnn keeps on disk and serves.  The model file
 * (model/cifar-cnn.model, through the runtime's versioned, atomically
 * written model file) is the network's byte form (net.c) without optimizer
 * state; a checkpoint adds the optimizer state, the dropout stream and the
 * update count.  Serving: model_load reads the model file once; predict
 * parses the request (request.c) against the model's input shape, scales
 * decoded PNG / JPEG pixels as the training images were, runs the
 * inference network in chunks on a workspace borrowed from the model's
 * pool, its images split over the model's team of the cores when no other
 * request has it (requests run concurrently on the read-only network),
 * and writes the softmax rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"
#include "cifar_cnn/request.h"
#include "common/parallel.h"
#include "nn/nn.h"

#define CKPT_MAGIC "CCCK"
#define CKPT_HEADER 20 /* magic, u64 rng, u64 iterations */
#define PREDICT_CHUNK 64

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

optml_status cc_checkpoint(optml_ctx *ctx, const struct cc_net *net, const struct cc_train_state *st,
                           uint64_t epochs)
{
    if (!optml_checkpoint_enabled(ctx))
        return OPTML_OK;
    struct nn_buf b = {0};
    char err[256];
    b.data = malloc(CKPT_HEADER);
    if (!b.data)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory writing a checkpoint");
    b.cap = b.len = CKPT_HEADER;
    memcpy(b.data, CKPT_MAGIC, 4);
    put64(b.data + 4, st->rng);
    put64(b.data + 12, st->iterations);
    if (cc_net_save(net, NN_PARAMS_OPTIM, &b, err, sizeof(err)) != 0) {
        free(b.data);
        return optml_error(ctx, OPTML_E_NOMEM, "writing a checkpoint: %s", err);
    }
    optml_status s = optml_checkpoint_save(ctx, epochs, b.data, b.len);
    free(b.data);
    return s;
}

optml_status cc_resume(optml_ctx *ctx, struct cc_net *net, struct cc_train_state *st, int *epoch)
{
    void *data = NULL;
    size_t len = 0;
    uint64_t step = 0;
    optml_status s = optml_checkpoint_load(ctx, &step, &data, &len);
    if (s == OPTML_E_NOT_FOUND)
        return OPTML_OK;
    if (s != OPTML_OK)
        return s;
    const unsigned char *p = data;
    char err[256] = "";
    int arch;
    struct cc_shape in;
    size_t classes, hdr;
    int ok = len >= CKPT_HEADER && memcmp(p, CKPT_MAGIC, 4) == 0 &&
             cc_net_peek(p + CKPT_HEADER, len - CKPT_HEADER, &arch, &in, &classes, &hdr, err, sizeof(err)) == 0;
    if (ok && (arch != net->arch || in.h != net->in.h || in.w != net->in.w || in.c != net->in.c ||
               classes != net->classes)) {
        snprintf(err, sizeof(err), "it is of another network (%ux%ux%u images, %zu classes)", in.h, in.w, in.c,
                 classes);
        ok = 0;
    }
    if (ok && nn_params_load(&net->p, p + CKPT_HEADER + hdr, len - CKPT_HEADER - hdr, NN_PARAMS_OPTIM, err,
                             sizeof(err)) != 0)
        ok = 0;
    if (!ok) {
        optml_log(ctx, OPTML_LOG_WARNING, "the newest checkpoint is not used (%s); starting afresh",
                  err[0] ? err : "not a cifar-cnn checkpoint");
        free(data);
        return OPTML_OK;
    }
    st->rng = get64(p + 4);
    st->iterations = get64(p + 12);
    free(data);
    *epoch = (int)step;
    optml_log(ctx, OPTML_LOG_INFO, "Resuming from the checkpoint after epoch %llu", (unsigned long long)step);
    return OPTML_OK;
}

optml_status cc_model_save(optml_ctx *ctx, const struct cc_net *net)
{
    struct nn_buf b = {0};
    char err[256];
    if (cc_net_save(net, 0, &b, err, sizeof(err)) != 0) {
        free(b.data);
        return optml_error(ctx, OPTML_E_NOMEM, "writing the model: %s", err);
    }
    optml_status s = optml_model_write(ctx, CC_MODEL_FILE, b.data, b.len);
    free(b.data);
    return s;
}

/* ---------------------------------------------------------------- serving */

/* Images per forward: PREDICT_CHUNK, fewer when their activations would
 * pass WORK_BYTES (a model of large images), at least 1. */
#define WORK_BYTES ((size_t)256 << 20)

static size_t chunk_cap(const struct cc_net *net)
{
    size_t per = 0;
    for (size_t i = 0; i < net->n_layers; i++)
        per += net->L[i].out * (net->L[i].kind == CC_L_POOL ? 8 : 4);
    size_t cap = per ? WORK_BYTES / per : PREDICT_CHUNK;
    return cap < 1 ? 1 : cap > PREDICT_CHUNK ? PREDICT_CHUNK : cap;
}

/* An idle workspace of at least `cap` images (the smallest such), else a
 * new one; one smaller idle workspace is dropped then, so that the pool
 * grows to the batches it serves rather than keeping small ones.  NULL on
 * out of memory. */
static struct cc_work *work_take(struct cc_served *sv, size_t cap)
{
    struct cc_work *w = NULL, *drop = NULL;
    pthread_mutex_lock(&sv->mu);
    size_t best = sv->n_idle;
    for (size_t i = 0; i < sv->n_idle; i++)
        if (sv->idle[i]->cap >= cap && (best == sv->n_idle || sv->idle[i]->cap < sv->idle[best]->cap))
            best = i;
    if (best == sv->n_idle && sv->n_idle > 0)
        drop = sv->idle[--sv->n_idle];
    else if (best < sv->n_idle) {
        w = sv->idle[best];
        sv->idle[best] = sv->idle[--sv->n_idle];
    }
    pthread_mutex_unlock(&sv->mu);
    if (drop) {
        cc_work_free(drop);
        free(drop);
    }
    if (w)
        return w;
    w = malloc(sizeof(*w));
    if (!w)
        return NULL;
    /* sized for the team's shares, whether or not a call gets the team */
    if (cc_work_init(w, &sv->net, cap, 0, sv->team) != 0) {
        cc_work_free(w); /* a failed cc_work_init leaves it freeable */
        free(w);
        return NULL;
    }
    return w;
}

static void work_give(struct cc_served *sv, struct cc_work *w)
{
    w->team = NULL;
    pthread_mutex_lock(&sv->mu);
    if (sv->n_idle < CC_POOL_KEEP) {
        sv->idle[sv->n_idle++] = w;
        w = NULL;
    }
    pthread_mutex_unlock(&sv->mu);
    if (w) {
        cc_work_free(w);
        free(w);
    }
}

/* The team when no other request has it, else NULL (run on the caller). */
static struct parallel_team *team_take(struct cc_served *sv)
{
    struct parallel_team *t = NULL;
    pthread_mutex_lock(&sv->mu);
    if (sv->team && !sv->team_busy) {
        sv->team_busy = 1;
        t = sv->team;
    }
    pthread_mutex_unlock(&sv->mu);
    return t;
}

static void team_give(struct cc_served *sv, struct parallel_team *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&sv->mu);
    sv->team_busy = 0;
    pthread_mutex_unlock(&sv->mu);
}

optml_status cc_model_load(optml_ctx *ctx, const char *model_dir, void **out)
{
    void *data;
    size_t len;
    optml_status s = optml_model_read(ctx, model_dir, CC_MODEL_FILE, &data, &len);
    if (s != OPTML_OK)
        return s;
    struct cc_served *sv = calloc(1, sizeof(*sv));
    char err[256];
    int arch;
    struct cc_shape in;
    size_t classes, hdr;
    if (!sv) {
        free(data);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory loading the model");
    }
    struct cc_net *net = &sv->net;
    if (cc_net_peek(data, len, &arch, &in, &classes, &hdr, err, sizeof(err)) != 0 ||
        cc_net_build(net, arch, &in, classes, 0, OPTIM_ADAM, err, sizeof(err)) != 0 ||
        nn_params_load(&net->p, (const unsigned char *)data + hdr, len - hdr, 0, err, sizeof(err)) != 0) {
        free(data);
        cc_net_free(net);
        free(sv);
        return optml_error(ctx, OPTML_E_MODEL, "%s: %s", CC_MODEL_FILE, err);
    }
    free(data);
    /* OpenBLAS runs on one thread here: `optml serve` sets that for the
     * module's own OpenBLAS before any model loads (serve.c), as the
     * workers and this model's team are the parallelism. */
    pthread_mutex_init(&sv->mu, NULL);
    /* NULL on one core, or when its threads cannot start: requests then
     * run on their worker alone */
    sv->team = parallel_team_new(optml_cpu_count());
    optml_log(ctx, OPTML_LOG_INFO, "cifar-cnn model: %s, %ux%ux%u images, %zu classes; a request's images run on %d "
              "thread%s", arch == CC_ARCH_KERAS ? "keras-cifar10" : "sagemaker-cifar10", in.h, in.w, in.c, classes,
              parallel_team_size(sv->team), sv->team ? "s" : "");
    *out = sv;
    return OPTML_OK;
}

void cc_model_free(void *model)
{
    struct cc_served *sv = model;
    if (!sv)
        return;
    for (size_t i = 0; i < sv->n_idle; i++) {
        cc_work_free(sv->idle[i]);
        free(sv->idle[i]);
    }
    parallel_team_free(sv->team);
    pthread_mutex_destroy(&sv->mu);
    cc_net_free(&sv->net);
    free(sv);
}

optml_status cc_predict(optml_ctx *ctx, const void *model, const struct optml_request *req, optml_response *resp)
{
    /* the network is read only: the inference forward changes nothing in
     * it; the pool and the team are taken under sv->mu */
    struct cc_served *sv = (struct cc_served *)model;
    struct cc_net *net = &sv->net;
    struct cc_inputs in;
    optml_status s = cc_parse_request(ctx, req, &net->in, &in);
    if (s != OPTML_OK)
        return s;
    size_t per = (size_t)net->in.h * net->in.w * net->in.c, k = net->classes, chunk = chunk_cap(net);
    if (in.pixels && net->arch == CC_ARCH_KERAS)
        for (size_t i = 0; i < in.n * per; i++)
            in.x[i] *= 1.0f / 255.0f;
    size_t cap = in.n < chunk ? (in.n ? in.n : 1) : chunk;
    float *probs = malloc((in.n ? in.n : 1) * k * sizeof(float));
    struct cc_work *w = probs ? work_take(sv, cap) : NULL;
    if (!w) {
        free(probs);
        cc_inputs_free(&in);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory for %zu images", in.n);
    }
    /* The team splits the images; a request of fewer images than threads
     * runs on its worker alone (measured: splitting one image's rows and
     * columns over the team, eight team calls a forward, was slower on this
     * shared 2-core machine, 1.2-2.1 ms against 1.1-1.5 ms, the helpers
     * waiting for a core at every call). */
    w->team = in.n >= (size_t)parallel_team_size(sv->team) ? team_take(sv) : NULL;
    for (size_t r0 = 0; r0 < in.n; r0 += cap) {
        size_t n = in.n - r0 < cap ? in.n - r0 : cap;
        const float *z = cc_net_forward(net, w, in.x + r0 * per, n, 0, NULL);
        nn_softmax(z, probs + r0 * k, n, k);
    }
    team_give(sv, w->team);
    work_give(sv, w);
    s = cc_write_predictions(resp, req->accept_index, in.columnar, probs, in.n, k);
    free(probs);
    cc_inputs_free(&in);
    return s;
}
