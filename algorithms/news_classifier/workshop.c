/*
 * workshop.c: the workshop's network (ALGORITHMS.md A.2-A.3), so its users
 * can compare like with like: Keras tokenizer fitted on the normalised
 * titles, sequences of max_len (pre-padded), an embedding initialised from
 * GloVe and frozen when GloVe is given (trainable, U(-0.05, 0.05), when
 * not), flatten, dense(dense_units, relu), dense(k, softmax), categorical
 * cross-entropy, RMSprop (Keras defaults: rho 0.9, eps 1e-7), minibatches
 * shuffled each epoch.  The embedding's RMSprop update touches only the
 * rows a batch uses, as TensorFlow's sparse apply does.  The parameters,
 * gradients and RMSprop state are one parameter block (nn/params.h,
 * nc_workshop_declare): zeroed and stepped in one call each; the embedding
 * is a sparse tensor there (updated row by row here) or, with GloVe, frozen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/losses.h"
#include "nn/nn.h"
#include "common/optim.h"
#include "news_classifier/nc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct net_buf {
    float *x, *h, *z, *dz, *dh, *dx, *yf;
};

static void net_buf_free(struct net_buf *b)
{
    free(b->x);
    free(b->h);
    free(b->z);
    free(b->dz);
    free(b->dh);
    free(b->dx);
    free(b->yf);
}

static int net_buf_init(struct net_buf *b, size_t bs, size_t in, size_t units, size_t k)
{
    memset(b, 0, sizeof(*b));
    b->x = malloc(bs * in * sizeof(float));
    b->h = malloc(bs * units * sizeof(float));
    b->z = malloc(bs * k * sizeof(float));
    b->dz = malloc(bs * k * sizeof(float));
    b->dh = malloc(bs * units * sizeof(float));
    b->dx = malloc(bs * in * sizeof(float));
    b->yf = malloc(bs * sizeof(float));
    return b->x && b->h && b->z && b->dz && b->dh && b->dx && b->yf ? 0 : -1;
}

/* Forward n rows of ids (n x L) into logits b->z. */
static void forward(const struct nc_model *m, const uint32_t *ids, size_t n, struct net_buf *b)
{
    size_t in = (size_t)m->max_len * m->emb_dim;
    nn_embedding_forward(m->emb, m->max_words, m->emb_dim, ids, n * m->max_len, b->x);
    nn_dense_forward(b->x, m->W1, m->b1, n, in, m->units, b->h);
    nn_act_forward(NN_ACT_RELU, b->h, b->h, n * m->units);
    nn_dense_forward(b->h, m->W2, m->b2, n, m->units, m->k, b->z);
}

static void evaluate(const struct nc_model *m, const uint32_t *seq, const uint32_t *y, size_t n, size_t bs,
                     struct net_buf *b, double *loss, double *acc)
{
    double l = 0;
    size_t right = 0;
    for (size_t r0 = 0; r0 < n; r0 += bs) {
        size_t cnt = r0 + bs < n ? bs : n - r0;
        forward(m, seq + r0 * m->max_len, cnt, b);
        for (size_t r = 0; r < cnt; r++) {
            b->yf[r] = (float)y[r0 + r];
            const float *z = b->z + r * m->k;
            uint32_t best = 0;
            for (uint32_t c = 1; c < m->k; c++)
                if (z[c] > z[best])
                    best = c;
            right += best == y[r0 + r];
        }
        softmax_xent_batch(b->z, b->yf, NULL, cnt, 1, m->k, NULL, NULL, &l);
    }
    *loss = n ? l / (double)n : 0;
    *acc = n ? (double)right / (double)n : 0;
}

/* Sequences of every text (normalised as the workshop does). */
static optml_status sequences(optml_ctx *ctx, const struct nc_model *m, const struct nc_corpus *c, uint32_t **out)
{
    *out = malloc((c->n ? c->n : 1) * m->max_len * sizeof(uint32_t));
    if (!*out)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory for %zu sequences", c->n);
    for (size_t i = 0; i < c->n; i++)
        if (nc_vocab_sequence(&m->vocab, c->text[i], strlen(c->text[i]), 1, m->max_len,
                              *out + i * m->max_len) != 0)
            return optml_error(ctx, OPTML_E_NOMEM, "out of memory tokenizing");
    return OPTML_OK;
}

/* The embedding's width into m->emb_dim and, with GloVe, its vectors into
 * *E (max_words x emb_dim, malloc()ed; the caller copies them into the
 * parameter block and frees them). */
static optml_status init_embedding(optml_ctx *ctx, const struct nc_config *cfg, const char *const *glove,
                                   size_t n_glove, struct nc_model *m, float **E)
{
    uint32_t dim = cfg->embedding_dim > 0 ? (uint32_t)cfg->embedding_dim : 0;
    *E = NULL;
    if (n_glove == 0) {
        m->emb_dim = dim ? dim : 100;
        optml_log(ctx, OPTML_LOG_INFO, "No GloVe file in the training channel: the %u x %u embedding is learned",
                  m->max_words, m->emb_dim);
        return OPTML_OK;
    }
    struct nc_glove_stats gs = {0};
    uint32_t found = 0;
    optml_status s = nc_glove_load(ctx, glove[0], &m->vocab, m->max_words, &found, E, &gs);
    if (s != OPTML_OK)
        return s;
    if (!*E || found == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "GloVe file %s has no vectors", glove[0]);
    if (dim && dim != found)
        return optml_error(ctx, OPTML_E_CLIENT, "embedding_dim is %u but the GloVe file %s has %u numbers per word",
                           dim, glove[0], found);
    m->emb_dim = found;
    memset(*E, 0, found * sizeof(float)); /* row 0 (padding) is always zero */
    optml_log(ctx, OPTML_LOG_INFO, "GloVe: %llu vectors of %u read, %llu of the %zu kept words found; embedding frozen",
              (unsigned long long)gs.lines, found, (unsigned long long)gs.matched, m->vocab.n_kept);
    return OPTML_OK;
}

/* RMSprop on the embedding rows the batch used: the gradients of each
 * distinct id in ids[0..n) are summed into gbuf (slot[id] numbers them from
 * 1; slot is all zero between calls), then each row is updated once. */
static void update_rows(const struct optim_cfg *oc, struct optim_state *st, struct nc_model *m, const uint32_t *ids,
                        size_t n, const float *dx, float lr, uint32_t *slot, float *gbuf, uint32_t *uniq)
{
    size_t D = m->emb_dim, nu = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        if (id == 0 || id >= m->max_words)
            continue;
        if (!slot[id]) {
            slot[id] = (uint32_t)++nu;
            uniq[nu - 1] = id;
            memset(gbuf + (nu - 1) * D, 0, D * sizeof(float));
        }
        float *g = gbuf + (size_t)(slot[id] - 1) * D;
        for (size_t d = 0; d < D; d++)
            g[d] += dx[i * D + d];
    }
    for (size_t u = 0; u < nu; u++) {
        uint32_t id = uniq[u];
        struct optim_state v = optim_state_view(st, (size_t)id * D, D);
        optim_update(oc, &v, m->emb + (size_t)id * D, gbuf + u * D, D, lr, 1, 0);
        slot[id] = 0;
    }
}

optml_status nc_train_workshop(optml_ctx *ctx, const struct nc_config *cfg, const struct nc_corpus *train,
                               const struct nc_corpus *valid, const char *const *glove_paths, size_t n_glove,
                               struct nc_model *m)
{
    uint64_t rng = (uint64_t)cfg->seed ^ 0x776f726b73686f70ull;
    optml_status s;
    m->max_words = (uint32_t)cfg->max_words;
    m->max_len = (uint32_t)cfg->max_len;
    m->units = (uint32_t)cfg->dense_units;
    m->temperature = 1.0f;
    if (nc_vocab_build(&m->vocab, train->text, train->n, 1, m->max_words) != 0)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory building the word index");
    printf("Found %zu unique tokens.\n", m->vocab.n_unique);
    printf("Shape of data tensor: (%zu, %u)\n", train->n + valid->n, m->max_len);
    printf("Shape of label tensor: (%zu, %u)\n", train->n + valid->n, m->k);
    printf("x_train shape:  (%zu, %u)\n", train->n, m->max_len);
    fflush(stdout);
    float *glove_E = NULL;
    if ((s = init_embedding(ctx, cfg, glove_paths, n_glove, m, &glove_E)) != OPTML_OK) {
        free(glove_E);
        return s;
    }
    int trainable = n_glove == 0;
    size_t in = (size_t)m->max_len * m->emb_dim, K = m->k, U = m->units, L = m->max_len;
    size_t bs = (size_t)cfg->batch_size;
    char err[256];
    int rc = nc_workshop_declare(m, trainable ? NN_PARAM_SPARSE : NN_PARAM_FROZEN, err, sizeof(err));
    if (rc == 0)
        rc = nc_workshop_alloc(m, NN_PARAMS_GRADS | NN_PARAMS_OPTIM, OPTIM_RMSPROP, err, sizeof(err));
    if (rc != 0) {
        free(glove_E);
        return optml_error(ctx, rc == NN_PARAMS_E_NOMEM ? OPTML_E_NOMEM : OPTML_E_INTERNAL,
                           "the workshop network's parameters: %s", err);
    }
    /* the same draws in the same order as ever: embedding, W1, W2 */
    if (glove_E) {
        memcpy(m->emb, glove_E, (size_t)m->max_words * m->emb_dim * sizeof(float));
        free(glove_E);
    } else {
        nn_init_uniform(m->emb, (size_t)m->max_words * m->emb_dim, -0.05f, 0.05f, &rng);
    }
    nn_init_glorot_uniform(m->W1, in, U, &rng);
    nn_init_glorot_uniform(m->W2, U, K, &rng);
    const struct nn_view vW1 = nn_params_view(&m->net, NC_WS_W1), vb1 = nn_params_view(&m->net, NC_WS_B1);
    const struct nn_view vW2 = nn_params_view(&m->net, NC_WS_W2), vb2 = nn_params_view(&m->net, NC_WS_B2);
    uint32_t *seq_tr = NULL, *seq_va = NULL, *order = malloc((train->n ? train->n : 1) * sizeof(uint32_t));
    uint32_t *bids = malloc(bs * L * sizeof(uint32_t));
    uint32_t *slot = NULL, *uniq = NULL;
    float *gbuf = NULL;
    struct net_buf b;
    int bufs = net_buf_init(&b, bs, in, U, K);
    if (trainable) {
        slot = calloc(m->max_words, sizeof(uint32_t));
        uniq = malloc(bs * L * sizeof(uint32_t));
        gbuf = malloc(bs * L * m->emb_dim * sizeof(float));
    }
    if (!order || !bids || bufs != 0 || (trainable && (!slot || !uniq || !gbuf))) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory for the network");
        goto out;
    }
    if ((s = sequences(ctx, m, train, &seq_tr)) != OPTML_OK || (s = sequences(ctx, m, valid, &seq_va)) != OPTML_OK)
        goto out;
    struct optim_cfg oc = {.kind = OPTIM_RMSPROP, .lr = (float)cfg->learning_rate, .beta2 = 0.9f, .eps = 1e-7f};
    for (size_t i = 0; i < train->n; i++)
        order[i] = (uint32_t)i;
    for (int epoch = 0; epoch < cfg->epochs; epoch++) {
        double t0 = now_s(), loss = 0;
        size_t right = 0;
        optml_epoch_begin(ctx, epoch, cfg->epochs);
        rng_shuffle_u32(order, train->n, &rng);
        for (size_t r0 = 0; r0 < train->n; r0 += bs) {
            if (optml_should_stop(ctx)) {
                s = OPTML_STOPPED;
                goto out;
            }
            size_t n = r0 + bs < train->n ? bs : train->n - r0;
            for (size_t r = 0; r < n; r++) {
                memcpy(bids + r * L, seq_tr + (size_t)order[r0 + r] * L, L * sizeof(uint32_t));
                b.yf[r] = (float)train->label[order[r0 + r]];
            }
            forward(m, bids, n, &b);
            for (size_t r = 0; r < n; r++) {
                const float *z = b.z + r * K;
                uint32_t best = 0;
                for (uint32_t c = 1; c < K; c++)
                    if (z[c] > z[best])
                        best = c;
                right += best == (uint32_t)b.yf[r];
            }
            softmax_xent_batch(b.z, b.yf, NULL, n, 1, K, b.dz, NULL, &loss);
            float inv = 1.0f / (float)n;
            for (size_t i = 0; i < n * K; i++)
                b.dz[i] *= inv;
            nn_params_zero_grad(&m->net);
            nn_dense_backward(b.h, m->W2, b.dz, n, U, K, vW2.g, vb2.g, b.dh);
            nn_act_backward(NN_ACT_RELU, b.h, b.dh, b.dh, n * U);
            nn_dense_backward(b.x, m->W1, b.dh, n, in, U, vW1.g, vb1.g, trainable ? b.dx : NULL);
            nn_params_step(&m->net, &oc, oc.lr); /* no weight decay: reg_mult does not matter */
            if (trainable) {
                struct nn_view ve = nn_params_view(&m->net, NC_WS_EMB); /* after the step: its count */
                update_rows(&oc, &ve.opt, m, bids, n * L, b.dx, oc.lr, slot, gbuf, uniq);
            }
            optml_progress(ctx, (double)(r0 + n) / (double)train->n, r0 + n);
        }
        struct nc_epoch_stats es = {.loss = train->n ? loss / (double)train->n : 0,
                                    .acc = train->n ? (double)right / (double)train->n : 0,
                                    .rows = train->n};
        if (valid->n) {
            evaluate(m, seq_va, valid->label, valid->n, bs, &b, &es.val_loss, &es.val_acc);
            es.has_val = 1;
        }
        es.seconds = now_s() - t0;
        nc_report_epoch(ctx, epoch, cfg->epochs, &es);
    }
    s = OPTML_OK;
out:
    net_buf_free(&b);
    free(seq_tr);
    free(seq_va);
    free(order);
    free(bids);
    free(slot);
    free(uniq);
    free(gbuf);
    return s;
}
