/*
 * bag.c: training of the ngram architecture on TF-IDF feature rows.
 *   linear (embedding_dim 0): one weight table per class (K tables of
 *     `buckets` x 1, class-major), scores z_c = s_c * bag(E_c) + b_c, L2
 *     through the scale s_c (Bottou's trick: O(1) decay per step).  With the
 *     one-vs-rest squared hinge loss the classes are independent problems,
 *     trained on the threads side by side: the result does not depend on
 *     the thread count.  Softmax couples the classes and runs on one thread.
 *   bag (embedding_dim d > 0): fastText's model, an embedding bag of d
 *     dimensions then a dense layer to the K outputs, on one thread.
 * Minibatch SGD with a learning rate decaying linearly to zero, rows
 * shuffled each epoch from the seed.  The layers are the shared ones
 * (algorithms/common/nn.h, losses.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/losses.h"
#include "common/nn.h"
#include "news_classifier/nc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------ the loss */

/* One-vs-rest squared hinge for class c over n rows: loss_sum +=
 * sum max(0, 1 - s z)^2, dz = d/dz (s = +1 for the row's class). */
static void hinge_class(const float *z, const uint32_t *y, size_t n, uint32_t c, float *dz, double *loss_sum)
{
    for (size_t r = 0; r < n; r++) {
        float s = y[r] == c ? 1.0f : -1.0f;
        float m = 1.0f - s * z[r];
        if (m > 0) {
            *loss_sum += (double)m * m;
            dz[r] = -2.0f * s * m;
        } else {
            dz[r] = 0;
        }
    }
}

/* ------------------------------------------------- scoring (all archs) */

void nc_bag_scores(const struct nc_model *m, const uint32_t *id, const float *w, size_t nnz, float *z,
                   float *h)
{
    size_t off[2] = {0, nnz};
    uint32_t K = m->k;
    if (m->dim == 0) {
        for (uint32_t c = 0; c < K; c++) {
            nn_embedding_bag_forward(m->E + (size_t)c * m->n_used, m->n_used, 1, id, w, off, 1, &z[c]);
            z[c] += m->b[c];
        }
    } else {
        nn_embedding_bag_forward(m->E, m->n_used, m->dim, id, w, off, 1, h);
        nn_dense_forward(h, m->W, m->b, 1, m->dim, K, z);
    }
}

/* ---------------------------------------------------------- training */

struct bag_job {
    const struct nc_config *cfg;
    const struct nc_rows *tr; /* the rows, shuffled for this epoch */
    const uint32_t *ytr;
    struct nc_model *m;
    const uint32_t *order;   /* this epoch's row order: tr's row i is row order[i] of the data */
    long step0, total_steps; /* for the learning-rate schedule */
    double *loss_by_class;   /* K */
    float *scores;           /* n x K: each row's scores when it was trained on (running accuracy) */
    float *scale;            /* K (linear) */
    int stop;
};

static float lr_at(const struct bag_job *j, long step)
{
    double f = 1.0 - (double)step / (double)(j->total_steps > 0 ? j->total_steps : 1);
    return (float)(j->cfg->learning_rate * (f > 0 ? f : 0));
}

/* Rows [b0, b1) of this epoch's shuffled rows as a CSR batch: views into
 * the shuffled arrays, with offsets made relative to the batch. */
struct batch {
    const uint32_t *id;
    const float *w;
    size_t *off;
    const uint32_t *y;
    size_t n, nnz;
};

static void batch_view(struct batch *b, const struct bag_job *j, size_t b0, size_t b1)
{
    size_t base = j->tr->off[b0];
    b->id = j->tr->id + base;
    b->w = j->tr->w + base;
    b->y = j->ytr + b0;
    b->n = b1 - b0;
    for (size_t r = 0; r <= b->n; r++)
        b->off[r] = j->tr->off[b0 + r] - base;
    b->nnz = b->off[b->n];
}

/* Fold a class's scale into its weights when it gets small. */
static void fold_scale(float *E, size_t n, float *s)
{
    if (*s > 1e-4f)
        return;
    for (size_t i = 0; i < n; i++)
        E[i] *= *s;
    *s = 1.0f;
}

/* Linear model, squared hinge: thread t trains classes t, t + T, ... */
static void train_linear_hinge(void *vj, int t, int T)
{
    struct bag_job *j = vj;
    const size_t B = j->m->n_used, bs = (size_t)j->cfg->batch_size, n = j->tr->n;
    struct batch b = {0};
    b.off = malloc((bs + 1) * sizeof(size_t));
    float *z = malloc(bs * sizeof(float)), *dz = malloc(bs * sizeof(float)), *G = NULL;
    size_t gcap = 0;
    if (!b.off || !z || !dz)
        goto oom;
    for (uint32_t c = (uint32_t)t; c < j->m->k; c += (uint32_t)T) {
        float *E = j->m->E + (size_t)c * B, *bias = &j->m->b[c], *s = &j->scale[c];
        long step = j->step0;
        for (size_t b0 = 0; b0 < n; b0 += bs, step++) {
            size_t b1 = b0 + bs < n ? b0 + bs : n;
            batch_view(&b, j, b0, b1);
            nn_embedding_bag_forward(E, B, 1, b.id, b.w, b.off, b.n, z);
            for (size_t r = 0; r < b.n; r++)
                z[r] = z[r] * *s + *bias;
            hinge_class(z, b.y, b.n, c, dz, &j->loss_by_class[c]);
            for (size_t r = 0; r < b.n; r++)
                j->scores[(size_t)j->order[b0 + r] * j->m->k + c] = z[r];
            float lr = lr_at(j, step), gb = 0;
            if (b.nnz > gcap) {
                gcap = b.nnz * 2;
                float *g = realloc(G, gcap * sizeof(float));
                if (!g)
                    goto oom;
                G = g;
            }
            /* G[k] = w_k dz_r / n_batch, for the rows' entries k */
            for (size_t r = 0; r < b.n; r++) {
                gb += dz[r];
                for (size_t k = b.off[r]; k < b.off[r + 1]; k++)
                    G[k] = b.w[k] * dz[r] / (float)b.n;
            }
            *s *= 1.0f - lr * (float)j->cfg->l2;
            fold_scale(E, B, s);
            nn_sgd_rows(E, B, 1, b.id, G, b.nnz, lr / *s);
            *bias -= lr * gb / (float)b.n;
        }
    }
    goto done;
oom:
    j->stop = -1;
done:
    free(b.off);
    free(z);
    free(dz);
    free(G);
}

/* Linear model with softmax, or the embedding bag: one thread, all classes. */
static void train_coupled(struct bag_job *j)
{
    struct nc_model *m = j->m;
    const size_t B = m->n_used, bs = (size_t)j->cfg->batch_size, n = j->tr->n, K = m->k;
    const size_t D = m->dim;
    struct batch b = {0};
    b.off = malloc((bs + 1) * sizeof(size_t));
    float *z = malloc(bs * K * sizeof(float)), *dz = malloc(bs * K * sizeof(float));
    float *yf = malloc(bs * sizeof(float)), *col = malloc(bs * sizeof(float));
    float *h = D ? malloc(bs * D * sizeof(float)) : NULL, *dh = D ? malloc(bs * D * sizeof(float)) : NULL;
    float *dW = D ? malloc(D * K * sizeof(float)) : NULL, *db = malloc(K * sizeof(float)), *G = NULL;
    size_t gcap = 0;
    if (!b.off || !z || !dz || !yf || !col || !db || (D && (!h || !dh || !dW)))
        goto oom;
    long step = j->step0;
    for (size_t b0 = 0; b0 < n; b0 += bs, step++) {
        size_t b1 = b0 + bs < n ? b0 + bs : n;
        batch_view(&b, j, b0, b1);
        size_t width = D ? D : 1;
        if (b.nnz * width > gcap) {
            gcap = b.nnz * width * 2;
            float *g = realloc(G, gcap * sizeof(float));
            if (!g)
                goto oom;
            G = g;
        }
        float lr = lr_at(j, step);
        if (D == 0) {
            for (size_t c = 0; c < K; c++) {
                nn_embedding_bag_forward(m->E + c * B, B, 1, b.id, b.w, b.off, b.n, col);
                for (size_t r = 0; r < b.n; r++)
                    z[r * K + c] = col[r] * j->scale[0] + m->b[c];
            }
        } else {
            nn_embedding_bag_forward(m->E, B, D, b.id, b.w, b.off, b.n, h);
            nn_dense_forward(h, m->W, m->b, b.n, D, K, z);
        }
        for (size_t r = 0; r < b.n; r++)
            yf[r] = (float)b.y[r];
        softmax_xent_batch(z, yf, NULL, b.n, 1, K, dz, NULL, &j->loss_by_class[0]);
        for (size_t r = 0; r < b.n; r++)
            memcpy(j->scores + (size_t)j->order[b0 + r] * K, z + r * K, K * sizeof(float));
        float inv_n = 1.0f / (float)b.n;
        memset(db, 0, K * sizeof(float));
        if (D == 0) {
            j->scale[0] *= 1.0f - lr * (float)j->cfg->l2;
            if (j->scale[0] <= 1e-4f) {
                for (size_t c = 0; c < K; c++) {
                    float s = j->scale[0];
                    fold_scale(m->E + c * B, B, &s);
                }
                j->scale[0] = 1.0f;
            }
            for (size_t c = 0; c < K; c++) {
                for (size_t r = 0; r < b.n; r++) {
                    db[c] += dz[r * K + c];
                    for (size_t k = b.off[r]; k < b.off[r + 1]; k++)
                        G[k] = b.w[k] * dz[r * K + c] * inv_n;
                }
                nn_sgd_rows(m->E + c * B, B, 1, b.id, G, b.nnz, lr / j->scale[0]);
            }
        } else {
            memset(dW, 0, D * K * sizeof(float));
            nn_dense_backward(h, m->W, dz, b.n, D, K, dW, db, dh);
            for (size_t r = 0; r < b.n; r++)
                for (size_t k = b.off[r]; k < b.off[r + 1]; k++)
                    for (size_t d = 0; d < D; d++)
                        G[k * D + d] = b.w[k] * dh[r * D + d] * inv_n;
            nn_sgd_rows(m->E, B, D, b.id, G, b.nnz, lr);
            for (size_t i = 0; i < D * K; i++)
                m->W[i] -= lr * dW[i] * inv_n;
        }
        for (size_t c = 0; c < K; c++)
            m->b[c] -= lr * db[c] * inv_n;
    }
    goto done;
oom:
    j->stop = -1;
done:
    free(b.off);
    free(z);
    free(dz);
    free(yf);
    free(col);
    free(h);
    free(dh);
    free(dW);
    free(db);
    free(G);
}

/* Fold the scales into the weights (linear), so the model holds plain
 * weights between epochs (for evaluation, checkpoints and the file). */
static void fold_all(struct nc_model *m, float *scale, int per_class)
{
    if (m->dim)
        return;
    size_t B = m->n_used;
    for (uint32_t c = 0; c < m->k; c++) {
        float *s = &scale[per_class ? c : 0];
        for (size_t i = 0; i < B; i++)
            m->E[(size_t)c * B + i] *= *s;
    }
    for (uint32_t c = 0; c < m->k; c++)
        scale[c] = 1.0f;
}

/* Mean loss and accuracy of the model on rows (loss as trained). */
void nc_bag_evaluate(const struct nc_model *m, const struct nc_rows *rows, const uint32_t *y, double *loss,
                     double *acc)
{
    float z[NC_MAX_CLASSES], dz[NC_MAX_CLASSES], *h = m->dim ? malloc(m->dim * sizeof(float)) : NULL;
    double l = 0;
    size_t right = 0;
    for (size_t r = 0; r < rows->n; r++) {
        size_t a = rows->off[r];
        nc_bag_scores(m, rows->id + a, rows->w + a, rows->off[r + 1] - a, z, h);
        uint32_t best = 0;
        for (uint32_t c = 1; c < m->k; c++)
            if (z[c] > z[best])
                best = c;
        right += best == y[r];
        if (m->loss == NC_LOSS_HINGE) {
            for (uint32_t c = 0; c < m->k; c++)
                hinge_class(&z[c], &y[r], 1, c, &dz[c], &l);
        } else {
            float yf = (float)y[r];
            softmax_xent_batch(z, &yf, NULL, 1, 1, m->k, NULL, NULL, &l);
        }
    }
    free(h);
    *loss = rows->n ? l / (double)rows->n : 0;
    *acc = rows->n ? (double)right / (double)rows->n : 0;
}

optml_status nc_bag_fit(optml_ctx *ctx, const struct nc_config *cfg, const struct nc_rows *tr,
                        const uint32_t *ytr, const struct nc_rows *va, const uint32_t *yva, struct nc_model *m,
                        int first_epoch)
{
    uint64_t rng = cfg->seed ^ 0x6e65777321ull;
    uint32_t *order = malloc((tr->n ? tr->n : 1) * sizeof(*order));
    double *loss = calloc(m->k, sizeof(double));
    float *scale = malloc(m->k * sizeof(float));
    float *scores = malloc((tr->n ? tr->n : 1) * m->k * sizeof(float));
    struct nc_rows sh = {.n = tr->n, .off = malloc((tr->n + 1) * sizeof(size_t)),
                         .id = malloc((tr->nnz ? tr->nnz : 1) * sizeof(uint32_t)),
                         .w = malloc((tr->nnz ? tr->nnz : 1) * sizeof(float)), .nnz = tr->nnz, .cap = tr->nnz};
    uint32_t *ysh = malloc((tr->n ? tr->n : 1) * sizeof(uint32_t));
    optml_status st = OPTML_OK;
    if (!order || !loss || !scale || !scores || !sh.off || !sh.id || !sh.w || !ysh) {
        st = optml_error(ctx, OPTML_E_NOMEM, "out of memory for the training order");
        goto out;
    }
    for (uint32_t c = 0; c < m->k; c++)
        scale[c] = 1.0f;
    long steps_per_epoch = (long)((tr->n + (size_t)cfg->batch_size - 1) / (size_t)cfg->batch_size);
    int parallel = m->dim == 0 && m->loss == NC_LOSS_HINGE;
    int threads = parallel ? (cfg->threads < (int)m->k ? cfg->threads : (int)m->k) : 1;
    for (int e = 0; e < first_epoch; e++) /* keep the shuffles of a resumed run identical */
        for (size_t i = 0; i < tr->n; i++)
            nn_rng_next(&rng);
    for (int epoch = first_epoch; epoch < cfg->epochs; epoch++) {
        if (optml_should_stop(ctx)) {
            st = OPTML_STOPPED;
            break;
        }
        double t0 = now_s();
        optml_epoch_begin(ctx, epoch, cfg->epochs);
        for (size_t i = 0; i < tr->n; i++)
            order[i] = (uint32_t)i;
        uint64_t r = rng;
        nn_shuffle_u32(order, tr->n, &r);
        for (size_t i = 0; i < tr->n; i++)
            nn_rng_next(&rng);
        sh.off[0] = 0;
        for (size_t i = 0; i < tr->n; i++) {
            size_t a = tr->off[order[i]], len = tr->off[order[i] + 1] - a;
            memcpy(sh.id + sh.off[i], tr->id + a, len * sizeof(uint32_t));
            memcpy(sh.w + sh.off[i], tr->w + a, len * sizeof(float));
            sh.off[i + 1] = sh.off[i] + len;
            ysh[i] = ytr[order[i]];
        }
        memset(loss, 0, m->k * sizeof(double));
        struct bag_job j = {cfg, &sh, ysh, m, order, epoch * steps_per_epoch,
                            steps_per_epoch * cfg->epochs, loss, scores, scale, 0};
        if (parallel)
            nn_parallel_for(threads, train_linear_hinge, &j);
        else
            train_coupled(&j);
        fold_all(m, scale, parallel);
        if (j.stop) {
            st = optml_error(ctx, OPTML_E_NOMEM, "out of memory in training");
            break;
        }
        struct nc_epoch_stats es = {0};
        for (uint32_t c = 0; c < m->k; c++)
            es.loss += loss[c];
        es.loss /= tr->n ? (double)tr->n : 1;
        size_t right = 0;
        for (size_t row = 0; row < tr->n; row++) {
            const float *zr = scores + row * m->k;
            uint32_t best = 0;
            for (uint32_t c = 1; c < m->k; c++)
                best = zr[c] > zr[best] ? c : best;
            right += best == ytr[row];
        }
        es.acc = tr->n ? (double)right / (double)tr->n : 0;
        if (va && va->n) {
            nc_bag_evaluate(m, va, yva, &es.val_loss, &es.val_acc);
            es.has_val = 1;
        }
        es.seconds = now_s() - t0;
        es.rows = tr->n;
        nc_report_epoch(ctx, epoch, cfg->epochs, &es);
        if ((st = nc_checkpoint_save(ctx, m, epoch + 1)) != OPTML_OK)
            break;
    }
out:
    free(order);
    free(loss);
    free(scale);
    free(scores);
    free(ysh);
    nc_rows_free(&sh);
    return st;
}

float nc_bag_calibrate(const struct nc_model *m, const struct nc_rows *rows, const uint32_t *y)
{
    if (!rows || rows->n == 0)
        return 1.0f;
    float *z = malloc(rows->n * m->k * sizeof(float)), *h = m->dim ? malloc(m->dim * sizeof(float)) : NULL;
    float *p = malloc(m->k * sizeof(float));
    float best_t = 1.0f;
    if (!z || !p || (m->dim && !h))
        goto out;
    for (size_t r = 0; r < rows->n; r++) {
        size_t a = rows->off[r];
        nc_bag_scores(m, rows->id + a, rows->w + a, rows->off[r + 1] - a, z + r * m->k, h);
    }
    /* log-spaced grid 0.25 .. 64, then refine around the best */
    double best = INFINITY;
    for (int pass = 0; pass < 2; pass++) {
        float lo = pass ? best_t / 1.4142f : 0.25f, ratio = pass ? 1.0442f : 1.4142f;
        int steps = pass ? 16 : 17;
        for (int i = 0; i < steps; i++) {
            float t = lo * powf(ratio, (float)i);
            double nll = 0;
            for (size_t r = 0; r < rows->n; r++) {
                float *zr = z + r * m->k, mx = zr[0];
                for (uint32_t c = 1; c < m->k; c++)
                    mx = zr[c] > mx ? zr[c] : mx;
                double sum = 0;
                for (uint32_t c = 0; c < m->k; c++)
                    sum += exp((double)t * (zr[c] - mx));
                nll += log(sum) - (double)t * (zr[y[r]] - mx);
            }
            if (nll < best) {
                best = nll;
                best_t = t;
            }
        }
    }
out:
    free(z);
    free(h);
    free(p);
    return best_t;
}
