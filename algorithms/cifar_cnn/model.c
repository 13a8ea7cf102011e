/*
 * model.c: what cifar-cnn keeps on disk and serves.  The model file
 * (model/cifar-cnn.model, through the runtime's versioned, atomically
 * written model file) is the network's byte form (net.c) without optimizer
 * state; a checkpoint adds the optimizer state, the dropout stream and the
 * update count.  Serving: model_load reads the model file once; predict
 * parses the request (request.c) against the model's input shape, scales
 * decoded PNG / JPEG pixels as the training images were, runs the
 * inference network in chunks on the request's own buffers (requests run
 * concurrently on the read-only model) and writes the softmax rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"
#include "cifar_cnn/request.h"
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

optml_status cc_model_load(optml_ctx *ctx, const char *model_dir, void **out)
{
    void *data;
    size_t len;
    optml_status s = optml_model_read(ctx, model_dir, CC_MODEL_FILE, &data, &len);
    if (s != OPTML_OK)
        return s;
    struct cc_net *net = calloc(1, sizeof(*net));
    char err[256];
    int arch;
    struct cc_shape in;
    size_t classes, hdr;
    if (!net) {
        free(data);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory loading the model");
    }
    if (cc_net_peek(data, len, &arch, &in, &classes, &hdr, err, sizeof(err)) != 0 ||
        cc_net_build(net, arch, &in, classes, 0, OPTIM_ADAM, err, sizeof(err)) != 0 ||
        nn_params_load(&net->p, (const unsigned char *)data + hdr, len - hdr, 0, err, sizeof(err)) != 0) {
        free(data);
        cc_net_free(net);
        free(net);
        return optml_error(ctx, OPTML_E_MODEL, "%s: %s", CC_MODEL_FILE, err);
    }
    free(data);
    optml_log(ctx, OPTML_LOG_INFO, "cifar-cnn model: %s, %ux%ux%u images, %zu classes",
              arch == CC_ARCH_KERAS ? "keras-cifar10" : "sagemaker-cifar10", in.h, in.w, in.c, classes);
    *out = net;
    return OPTML_OK;
}

void cc_model_free(void *model)
{
    if (!model)
        return;
    cc_net_free(model);
    free(model);
}

optml_status cc_predict(optml_ctx *ctx, const void *model, const struct optml_request *req, optml_response *resp)
{
    struct cc_net *net = (struct cc_net *)model; /* read only: the inference forward changes nothing in it */
    struct cc_inputs in;
    optml_status s = cc_parse_request(ctx, req, &net->in, &in);
    if (s != OPTML_OK)
        return s;
    size_t per = (size_t)net->in.h * net->in.w * net->in.c, k = net->classes;
    if (in.pixels && net->arch == CC_ARCH_KERAS)
        for (size_t i = 0; i < in.n * per; i++)
            in.x[i] *= 1.0f / 255.0f;
    size_t cap = in.n < PREDICT_CHUNK ? (in.n ? in.n : 1) : PREDICT_CHUNK;
    struct cc_work w;
    float *probs = malloc((in.n ? in.n : 1) * k * sizeof(float));
    if (!probs || cc_work_init(&w, net, cap, 0, NULL) != 0) {
        if (probs)
            cc_work_free(&w);
        free(probs);
        cc_inputs_free(&in);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory for %zu images", in.n);
    }
    for (size_t r0 = 0; r0 < in.n; r0 += cap) {
        size_t n = in.n - r0 < cap ? in.n - r0 : cap;
        const float *z = cc_net_forward(net, &w, in.x + r0 * per, n, 0, NULL);
        nn_softmax(z, probs + r0 * k, n, k);
    }
    s = cc_write_predictions(resp, req->accept_index, in.columnar, probs, in.n, k);
    cc_work_free(&w);
    free(probs);
    cc_inputs_free(&in);
    return s;
}
