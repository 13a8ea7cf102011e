/*
 * bag.c: training of the ngram architecture on TF-IDF feature rows.
 *   linear (embedding_dim 0): a (features x k) weight table, scores
 *     z = s * bag(E) + b, L2 through the scale s (Bottou's trick: the decay
 *     of every step is O(1)).  The classes are trained in groups, each group
 *     a contiguous (features x k_g) table of its own: with the one-vs-rest
 *     squared hinge loss the classes are independent problems, so the groups
 *     train on the threads side by side, each streaming the rows once, and
 *     the result does not depend on the thread count (each class's sums run
 *     in the same order in any group).  Softmax couples the classes: one
 *     group, one thread.
 *   bag (embedding_dim d > 0): fastText's model, an embedding bag of d
 *     dimensions then a dense layer to the k outputs, on one thread.
 * Minibatch SGD with a learning rate decaying linearly to zero, rows
 * shuffled each epoch from the seed.  The layers are the shared ones
 * (algorithms/nn/nn.h, losses.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/losses.h"
#include "common/parallel.h"
#include "nn/nn.h"
#include "news_classifier/nc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One-vs-rest squared hinge for n rows of kg scores (classes c0..c0+kg):
 * loss_sum += sum max(0, 1 - s z)^2 with s = +1 for the row's class, -1
 * otherwise; dz (may be NULL) = d/dz. */
static void hinge_rows(const float *z, const uint32_t *y, size_t n, uint32_t c0, uint32_t kg, float *dz,
                       double *loss_sum)
{
    for (size_t r = 0; r < n; r++)
        for (uint32_t c = 0; c < kg; c++) {
            float s = y[r] == c0 + c ? 1.0f : -1.0f;
            float m = 1.0f - s * z[r * kg + c];
            if (m > 0)
                *loss_sum += (double)m * m;
            if (dz)
                dz[r * kg + c] = m > 0 ? -2.0f * s * m : 0.0f;
        }
}

/* ---------------------------------------------------------- training */

/* A group of classes [c0, c0 + kg) of the linear model. */
struct group {
    uint32_t c0, kg;
    float *E;      /* features x kg */
    float *b;      /* kg */
    float s;       /* the weights are s * E */
    double loss;
};

struct bag_job {
    const struct nc_config *cfg;
    const struct nc_rows *tr; /* the rows, shuffled for this epoch */
    const uint32_t *ytr;
    struct nc_model *m;
    const uint32_t *order;    /* tr's row i is row order[i] of the data */
    long step0, total_steps;  /* for the learning-rate schedule */
    float *scores;            /* n x k: each row's scores when it was trained on (running accuracy) */
    struct group *groups;
    int n_groups;
    double loss;              /* embedding bag */
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

/* Room for n floats in *buf. */
static int reserve(float **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    float *p = realloc(*buf, n * 2 * sizeof(float));
    if (!p)
        return -1;
    *buf = p;
    *cap = n * 2;
    return 0;
}

/* One epoch of one group of the linear model. */
static int train_group(struct bag_job *j, struct group *g)
{
    const size_t U = j->m->n_used, bs = (size_t)j->cfg->batch_size, n = j->tr->n, kg = g->kg, K = j->m->k;
    const float l2 = (float)j->cfg->l2;
    struct batch b = {0};
    b.off = malloc((bs + 1) * sizeof(size_t));
    float *z = malloc(bs * kg * sizeof(float)), *dz = malloc(bs * kg * sizeof(float));
    float *db = malloc(kg * sizeof(float)), *yf = malloc(bs * sizeof(float)), *G = NULL;
    size_t gcap = 0;
    int rc = -1;
    if (!b.off || !z || !dz || !db || !yf)
        goto out;
    long step = j->step0;
    for (size_t b0 = 0; b0 < n; b0 += bs, step++) {
        size_t b1 = b0 + bs < n ? b0 + bs : n;
        batch_view(&b, j, b0, b1);
        nn_embedding_bag_forward(g->E, U, kg, b.id, b.w, b.off, b.n, z);
        for (size_t r = 0; r < b.n; r++)
            for (size_t c = 0; c < kg; c++)
                z[r * kg + c] = z[r * kg + c] * g->s + g->b[c];
        if (j->m->loss == NC_LOSS_HINGE) {
            hinge_rows(z, b.y, b.n, g->c0, g->kg, dz, &g->loss);
        } else {
            for (size_t r = 0; r < b.n; r++)
                yf[r] = (float)b.y[r];
            softmax_xent_batch(z, yf, NULL, b.n, 1, kg, dz, NULL, &g->loss);
        }
        for (size_t r = 0; r < b.n; r++)
            memcpy(j->scores + (size_t)j->order[b0 + r] * K + g->c0, z + r * kg, kg * sizeof(float));
        if (reserve(&G, &gcap, b.nnz * kg) != 0)
            goto out;
        /* G (nnz x kg): row k of the batch's entries is w_k dz_r / n */
        float lr = lr_at(j, step), inv_n = 1.0f / (float)b.n;
        memset(db, 0, kg * sizeof(float));
        for (size_t r = 0; r < b.n; r++) {
            const float *d = dz + r * kg;
            for (size_t c = 0; c < kg; c++)
                db[c] += d[c];
            for (size_t k = b.off[r]; k < b.off[r + 1]; k++) {
                float a = b.w[k] * inv_n;
                for (size_t c = 0; c < kg; c++)
                    G[k * kg + c] = a * d[c];
            }
        }
        g->s *= 1.0f - lr * l2;
        if (g->s < 1e-4f) { /* fold the scale into the weights before it underflows */
            for (size_t i = 0; i < U * kg; i++)
                g->E[i] *= g->s;
            g->s = 1.0f;
        }
        nn_sgd_rows(g->E, U, kg, b.id, G, b.nnz, lr / g->s);
        for (size_t c = 0; c < kg; c++)
            g->b[c] -= lr * db[c] * inv_n;
    }
    rc = 0;
out:
    free(b.off);
    free(z);
    free(dz);
    free(db);
    free(yf);
    free(G);
    return rc;
}

static void train_groups(void *vj, int t, int T)
{
    struct bag_job *j = vj;
    for (int g = t; g < j->n_groups; g += T)
        if (train_group(j, &j->groups[g]) != 0)
            j->stop = -1;
}

/* The embedding bag: one thread, all classes. */
static void train_bag(struct bag_job *j)
{
    struct nc_model *m = j->m;
    const size_t U = m->n_used, bs = (size_t)j->cfg->batch_size, n = j->tr->n, K = m->k, D = m->dim;
    struct batch b = {0};
    b.off = malloc((bs + 1) * sizeof(size_t));
    float *z = malloc(bs * K * sizeof(float)), *dz = malloc(bs * K * sizeof(float));
    float *yf = malloc(bs * sizeof(float)), *h = malloc(bs * D * sizeof(float)), *dh = malloc(bs * D * sizeof(float));
    float *dW = malloc(D * K * sizeof(float)), *db = malloc(K * sizeof(float)), *G = NULL;
    size_t gcap = 0;
    if (!b.off || !z || !dz || !yf || !h || !dh || !dW || !db)
        goto oom;
    long step = j->step0;
    for (size_t b0 = 0; b0 < n; b0 += bs, step++) {
        size_t b1 = b0 + bs < n ? b0 + bs : n;
        batch_view(&b, j, b0, b1);
        if (reserve(&G, &gcap, b.nnz * D) != 0)
            goto oom;
        float lr = lr_at(j, step), inv_n = 1.0f / (float)b.n;
        nn_embedding_bag_forward(m->E, U, D, b.id, b.w, b.off, b.n, h);
        nn_dense_forward(h, m->W, m->b, b.n, D, K, z);
        for (size_t r = 0; r < b.n; r++)
            yf[r] = (float)b.y[r];
        softmax_xent_batch(z, yf, NULL, b.n, 1, K, dz, NULL, &j->loss);
        for (size_t r = 0; r < b.n; r++)
            memcpy(j->scores + (size_t)j->order[b0 + r] * K, z + r * K, K * sizeof(float));
        memset(dW, 0, D * K * sizeof(float));
        memset(db, 0, K * sizeof(float));
        nn_dense_backward(h, m->W, dz, b.n, D, K, dW, db, dh);
        for (size_t r = 0; r < b.n; r++)
            for (size_t k = b.off[r]; k < b.off[r + 1]; k++)
                for (size_t d = 0; d < D; d++)
                    G[k * D + d] = b.w[k] * dh[r * D + d] * inv_n;
        nn_sgd_rows(m->E, U, D, b.id, G, b.nnz, lr);
        for (size_t i = 0; i < D * K; i++)
            m->W[i] -= lr * dW[i] * inv_n;
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
    free(h);
    free(dh);
    free(dW);
    free(db);
    free(G);
}

/* Split the model's (features x k) table into the groups' tables, or
 * gather them back with the scales folded in (to_model). */
static void groups_sync(struct nc_model *m, struct group *g, int n_groups, int to_model)
{
    size_t U = m->n_used, K = m->k;
    for (int i = 0; i < n_groups; i++) {
        size_t kg = g[i].kg, c0 = g[i].c0;
        for (size_t u = 0; u < U; u++) {
            float *row = m->E + u * K + c0, *grow = g[i].E + u * kg;
            for (size_t c = 0; c < kg; c++) {
                if (to_model)
                    row[c] = grow[c] * g[i].s;
                else
                    grow[c] = row[c];
            }
        }
        if (to_model) {
            memcpy(m->b + c0, g[i].b, kg * sizeof(float));
            for (size_t q = 0; q < U * kg; q++)
                g[i].E[q] *= g[i].s;
            g[i].s = 1.0f;
        } else {
            memcpy(g[i].b, m->b + c0, kg * sizeof(float));
            g[i].s = 1.0f;
        }
    }
}

static void groups_free(struct group *g, int n)
{
    for (int i = 0; g && i < n; i++) {
        free(g[i].E);
        free(g[i].b);
    }
    free(g);
}

/* The linear model's class groups: as many as threads (at most k) for the
 * hinge loss, one for softmax. */
static struct group *groups_new(const struct nc_model *m, int threads, int *n_out)
{
    int n = m->loss == NC_LOSS_HINGE ? (threads < (int)m->k ? threads : (int)m->k) : 1;
    if (n < 1)
        n = 1;
    struct group *g = calloc((size_t)n, sizeof(*g));
    if (!g)
        return NULL;
    for (int i = 0; i < n; i++) {
        g[i].c0 = (uint32_t)((uint64_t)m->k * (uint64_t)i / (uint64_t)n);
        g[i].kg = (uint32_t)((uint64_t)m->k * (uint64_t)(i + 1) / (uint64_t)n) - g[i].c0;
        size_t cells = (size_t)m->n_used * g[i].kg;
        g[i].E = malloc((cells > 0 ? cells : 1) * sizeof(float));
        g[i].b = malloc(g[i].kg * sizeof(float));
        if (!g[i].E || !g[i].b) {
            groups_free(g, n);
            return NULL;
        }
    }
    *n_out = n;
    return g;
}

/* Evaluation of rows [r0, r1) into loss / right. */
struct eval_share {
    const struct nc_model *m;
    const struct nc_rows *rows;
    const uint32_t *y;
    double loss[16];
    size_t right[16];
    int oom;
};

static void eval_rows(void *vctx, int t, int T)
{
    struct eval_share *e = vctx;
    const struct nc_model *m = e->m;
    size_t n = e->rows->n, r0 = n * (size_t)t / (size_t)T, r1 = n * (size_t)(t + 1) / (size_t)T;
    float z[NC_MAX_CLASSES], *h = m->dim ? malloc(m->dim * sizeof(float)) : NULL;
    if (m->dim && !h) {
        e->oom = 1;
        return;
    }
    double l = 0;
    size_t right = 0;
    for (size_t r = r0; r < r1; r++) {
        size_t a = e->rows->off[r];
        nc_bag_scores(m, e->rows->id + a, e->rows->w + a, e->rows->off[r + 1] - a, z, h);
        uint32_t best = 0;
        for (uint32_t c = 1; c < m->k; c++)
            if (z[c] > z[best])
                best = c;
        right += best == e->y[r];
        if (m->loss == NC_LOSS_HINGE) {
            hinge_rows(z, &e->y[r], 1, 0, m->k, NULL, &l);
        } else {
            float yf = (float)e->y[r];
            softmax_xent_batch(z, &yf, NULL, 1, 1, m->k, NULL, NULL, &l);
        }
    }
    free(h);
    e->loss[t] = l;
    e->right[t] = right;
}

/* Mean loss and accuracy of the model on rows (loss as trained), on up to
 * `threads` threads. */
void nc_bag_evaluate(const struct nc_model *m, const struct nc_rows *rows, const uint32_t *y, int threads,
                     double *loss, double *acc)
{
    struct eval_share e = {.m = m, .rows = rows, .y = y};
    int T = threads < 1 ? 1 : threads > 16 ? 16 : threads;
    if ((size_t)T > rows->n / 64 + 1)
        T = (int)(rows->n / 64 + 1); /* small sets: not worth a thread */
    parallel_for(T, eval_rows, &e);
    double l = 0;
    size_t right = 0;
    for (int t = 0; t < T; t++) {
        l += e.loss[t];
        right += e.right[t];
    }
    *loss = rows->n && !e.oom ? l / (double)rows->n : 0;
    *acc = rows->n && !e.oom ? (double)right / (double)rows->n : 0;
}

/* This epoch's rows in a new order: sh (preallocated like tr) and ysh. */
static void shuffle_rows(const struct nc_rows *tr, const uint32_t *ytr, const uint32_t *order, struct nc_rows *sh,
                         uint32_t *ysh)
{
    sh->off[0] = 0;
    for (size_t i = 0; i < tr->n; i++) {
        size_t a = tr->off[order[i]], len = tr->off[order[i] + 1] - a;
        memcpy(sh->id + sh->off[i], tr->id + a, len * sizeof(uint32_t));
        memcpy(sh->w + sh->off[i], tr->w + a, len * sizeof(float));
        sh->off[i + 1] = sh->off[i] + len;
        ysh[i] = ytr[order[i]];
    }
}

static double running_accuracy(const float *scores, const uint32_t *y, size_t n, uint32_t k)
{
    size_t right = 0;
    for (size_t row = 0; row < n; row++) {
        const float *zr = scores + row * k;
        uint32_t best = 0;
        for (uint32_t c = 1; c < k; c++)
            best = zr[c] > zr[best] ? c : best;
        right += best == y[row];
    }
    return n ? (double)right / (double)n : 0;
}

optml_status nc_bag_fit(optml_ctx *ctx, const struct nc_config *cfg, const struct nc_rows *tr,
                        const uint32_t *ytr, const struct nc_rows *va, const uint32_t *yva, struct nc_model *m,
                        int first_epoch)
{
    uint64_t rng = (uint64_t)cfg->seed ^ 0x6e65777321ull;
    int n_groups = 0;
    struct group *groups = m->dim ? NULL : groups_new(m, cfg->threads, &n_groups);
    uint32_t *order = malloc((tr->n ? tr->n : 1) * sizeof(*order));
    float *scores = malloc((tr->n ? tr->n : 1) * m->k * sizeof(float));
    struct nc_rows sh = {.n = tr->n, .off = malloc((tr->n + 1) * sizeof(size_t)),
                         .id = malloc((tr->nnz ? tr->nnz : 1) * sizeof(uint32_t)),
                         .w = malloc((tr->nnz ? tr->nnz : 1) * sizeof(float)), .nnz = tr->nnz, .cap = tr->nnz};
    uint32_t *ysh = malloc((tr->n ? tr->n : 1) * sizeof(uint32_t));
    optml_status st = OPTML_OK;
    if ((!m->dim && !groups) || !order || !scores || !sh.off || !sh.id || !sh.w || !ysh) {
        st = optml_error(ctx, OPTML_E_NOMEM, "out of memory for training");
        goto out;
    }
    if (groups)
        groups_sync(m, groups, n_groups, 0);
    long steps_per_epoch = (long)((tr->n + (size_t)cfg->batch_size - 1) / (size_t)cfg->batch_size);
    for (int e = 0; e < first_epoch; e++) /* keep the shuffles of a resumed run identical */
        for (size_t i = 0; i < tr->n; i++)
            rng_next(&rng);
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
        rng_shuffle_u32(order, tr->n, &r);
        for (size_t i = 0; i < tr->n; i++)
            rng_next(&rng);
        shuffle_rows(tr, ytr, order, &sh, ysh);
        struct bag_job j = {cfg, &sh, ysh, m, order, epoch * steps_per_epoch, steps_per_epoch * cfg->epochs,
                            scores, groups, n_groups, 0, 0};
        struct nc_epoch_stats es = {0};
        if (groups) {
            for (int g = 0; g < n_groups; g++)
                groups[g].loss = 0;
            parallel_for(cfg->threads < n_groups ? cfg->threads : n_groups, train_groups, &j);
            groups_sync(m, groups, n_groups, 1);
            for (int g = 0; g < n_groups; g++)
                es.loss += groups[g].loss;
        } else {
            train_bag(&j);
            es.loss = j.loss;
        }
        if (j.stop) {
            st = optml_error(ctx, OPTML_E_NOMEM, "out of memory in training");
            break;
        }
        es.loss /= tr->n ? (double)tr->n : 1;
        es.acc = running_accuracy(scores, ytr, tr->n, m->k);
        if (va && va->n) {
            nc_bag_evaluate(m, va, yva, cfg->threads, &es.val_loss, &es.val_acc);
            es.has_val = 1;
        }
        es.seconds = now_s() - t0;
        es.rows = tr->n;
        nc_report_epoch(ctx, epoch, cfg->epochs, &es);
        if ((st = nc_checkpoint_save(ctx, m, epoch + 1)) != OPTML_OK)
            break;
    }
out:
    groups_free(groups, n_groups);
    free(order);
    free(scores);
    free(ysh);
    nc_rows_free(&sh);
    return st;
}

/* At most this many rows fit the temperature (one parameter: a few
 * thousand rows pin it down; every grid point costs n x k exponentials). */
#define CALIBRATION_ROWS 4000

float nc_bag_calibrate(const struct nc_model *m, const struct nc_rows *all, const uint32_t *y)
{
    if (!all || all->n == 0)
        return 1.0f;
    struct nc_rows head = *all;
    head.n = all->n < CALIBRATION_ROWS ? all->n : CALIBRATION_ROWS;
    const struct nc_rows *rows = &head;
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
