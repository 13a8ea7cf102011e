/*
 * train.c: `train` for the news classifier: read the channels, shape the
 * labels, hold out a validation split when there is no validation
 * channel, build the ngram features or hand over to the workshop network,
 * train (resuming from a checkpoint when one matches), then write the
 * model file and model.json, and classify the workshop's test headline.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/parallel.h"
#include "nn/nn.h"
#include "news_classifier/data.h"
#include "news_classifier/nc.h"

#define MODEL_FILE "news-classifier.model"
#define TEST_HEADLINE "What Improved Tech Means for Electric, Self-Driving and Flying Cars"

/* Move a seeded random `split` fraction of `all` into `va` (the rest stays). */
static optml_status hold_out(optml_ctx *ctx, struct nc_corpus *all, struct nc_corpus *va, double split,
                             uint64_t seed)
{
    size_t n = all->n, nv = (size_t)floor((double)n * split);
    if (nv == 0 || nv >= n)
        return OPTML_OK;
    uint32_t *idx = malloc(n * sizeof(*idx));
    char **text = malloc(n * sizeof(*text));
    uint32_t *label = malloc(n * sizeof(*label));
    if (!idx || !text || !label) {
        free(idx);
        free(text);
        free(label);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory splitting the data");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    uint64_t rng = seed ^ 0x73706c6974ull;
    rng_shuffle_u32(idx, n, &rng);
    for (size_t i = 0; i < n; i++) {
        text[i] = all->text[idx[i]];
        label[i] = all->label[idx[i]];
    }
    free(idx);
    optml_status s = OPTML_OK;
    for (size_t i = n - nv; i < n; i++) { /* va takes ownership of the held-out texts */
        if (s == OPTML_OK && nc_corpus_take(va, text[i], label[i]) == 0)
            continue;
        if (s == OPTML_OK)
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory splitting the data");
        free(text[i]);
    }
    free(all->text);
    free(all->label);
    all->text = text;
    all->label = label;
    all->n = n - nv;
    all->cap = n;
    return s;
}

/* One thread's share of the raw features: rows [r0, r1) of a corpus. */
struct feat_share {
    const struct nc_featcfg *fc;
    const struct nc_corpus *c;
    size_t r0, r1;
    uint32_t *df;         /* this share's document counts (B), or NULL */
    struct nc_rows rows;
    size_t *n_word;       /* r1 - r0 */
    int oom;
};

static void feat_worker(void *vctx, int t, int T)
{
    (void)T;
    struct feat_share *f = (struct feat_share *)vctx + t;
    struct nc_sparse sp = {0};
    f->n_word = malloc((f->r1 > f->r0 ? f->r1 - f->r0 : 1) * sizeof(size_t));
    f->oom = !f->n_word;
    for (size_t i = f->r0; i < f->r1 && !f->oom; i++) {
        const char *text = f->c->text[i];
        if (nc_features(f->fc, text, strlen(text), &sp, &f->n_word[i - f->r0]) != 0 || nc_rows_append(&f->rows, &sp) != 0)
            f->oom = 1;
        if (f->df)
            for (size_t j = 0; j < sp.n; j++)
                f->df[sp.id[j]]++;
    }
    nc_sparse_free(&sp);
}

/* Raw features of a corpus: rows of bucket numbers with counts, and where
 * each row's word group ends (n_word[i]), computed on up to `threads`
 * threads in row ranges joined in order (the same rows as one thread).
 * When df is given, the documents containing each bucket are counted into
 * it. */
static optml_status raw_features(optml_ctx *ctx, const struct nc_featcfg *fc, const struct nc_corpus *c, int threads,
                                 uint32_t *df, struct nc_rows *rows, size_t **n_word)
{
    int T = threads < 1 ? 1 : threads > 8 ? 8 : threads;
    if (c->n < 4096)
        T = 1;
    struct feat_share f[8];
    memset(f, 0, sizeof(f));
    optml_status s = OPTML_OK;
    for (int t = 0; t < T; t++) {
        f[t] = (struct feat_share){fc, c, c->n * (size_t)t / (size_t)T, c->n * (size_t)(t + 1) / (size_t)T,
                                   NULL, {0}, NULL, 0};
        if (df)
            f[t].df = t == 0 ? df : calloc(fc->buckets, sizeof(uint32_t));
        if (df && !f[t].df)
            f[t].oom = 1;
    }
    parallel_for(T, feat_worker, f);
    size_t nnz = 0;
    for (int t = 0; t < T; t++) {
        if (f[t].oom)
            s = OPTML_E_NOMEM;
        nnz += f[t].rows.nnz;
    }
    *n_word = malloc((c->n ? c->n : 1) * sizeof(size_t));
    rows->off = malloc((c->n + 1) * sizeof(size_t));
    rows->id = malloc((nnz ? nnz : 1) * sizeof(uint32_t));
    rows->w = malloc((nnz ? nnz : 1) * sizeof(float));
    if (!*n_word || !rows->off || !rows->id || !rows->w)
        s = OPTML_E_NOMEM;
    if (s == OPTML_OK) {
        rows->off[0] = 0;
        for (int t = 0; t < T; t++) {
            const struct nc_rows *p = &f[t].rows;
            memcpy(rows->id + rows->nnz, p->id, p->nnz * sizeof(uint32_t));
            memcpy(rows->w + rows->nnz, p->w, p->nnz * sizeof(float));
            for (size_t r = 0; r < p->n; r++)
                rows->off[rows->n + r + 1] = rows->nnz + p->off[r + 1];
            memcpy(*n_word + f[t].r0, f[t].n_word, p->n * sizeof(size_t));
            rows->n += p->n;
            rows->nnz += p->nnz;
            if (t > 0 && df)
                for (size_t b = 0; b < fc->buckets; b++)
                    df[b] += f[t].df[b];
        }
        rows->cap = rows->nnz;
    }
    for (int t = 0; t < T; t++) {
        nc_rows_free(&f[t].rows);
        free(f[t].n_word);
        if (t > 0)
            free(f[t].df);
    }
    return s == OPTML_OK ? OPTML_OK : optml_error(ctx, OPTML_E_NOMEM, "out of memory computing features");
}

/* Raw rows -> TF-IDF rows over feature ids, in place: bucket b becomes
 * map[b] (n_used when the model has no weight for it).  Such entries count
 * in the norm, then leave the row: their weight is zero. */
static void to_tfidf(struct nc_rows *rows, const size_t *n_word, const uint32_t *map, const float *idf,
                     uint32_t n_used)
{
    size_t out = 0;
    for (size_t r = 0; r < rows->n; r++) {
        size_t a = rows->off[r], e = rows->off[r + 1];
        struct nc_sparse row = {rows->id + a, rows->w + a, e - a, 0};
        for (size_t j = 0; j < row.n; j++)
            row.id[j] = map[row.id[j]];
        nc_tfidf(&row, n_word[r], idf);
        rows->off[r] = out;
        for (size_t j = a; j < e; j++)
            if (rows->id[j] < n_used) {
                rows->id[out] = rows->id[j];
                rows->w[out++] = rows->w[j];
            }
    }
    rows->off[rows->n] = out;
    rows->nnz = out;
}

/* Resume from the newest checkpoint when it has this model's shape. */
static int resume(optml_ctx *ctx, struct nc_model *m)
{
    void *data;
    size_t len;
    uint64_t step;
    if (optml_checkpoint_load(ctx, &step, &data, &len) != OPTML_OK)
        return 0;
    struct nc_model c;
    int ok = nc_model_decode(ctx, data, len, &c) == OPTML_OK && c.arch == m->arch && c.k == m->k &&
             c.dim == m->dim && c.feat.buckets == m->feat.buckets && c.n_used == m->n_used &&
             memcmp(c.used, m->used, (size_t)m->n_used * sizeof(uint32_t)) == 0 &&
             memcmp(c.fid, m->fid, (size_t)m->n_used * sizeof(uint32_t)) == 0;
    for (uint32_t i = 0; ok && i < m->k; i++)
        ok = strcmp(c.label_code[i], m->label_code[i]) == 0;
    free(data);
    if (!ok) {
        optml_log(ctx, OPTML_LOG_WARNING, "the newest checkpoint does not match this data; starting afresh");
        nc_model_free(&c);
        return 0;
    }
    size_t width = m->dim ? m->dim : m->k;
    memcpy(m->E, c.E, (size_t)m->n_used * width * sizeof(float));
    memcpy(m->b, c.b, m->k * sizeof(float));
    if (m->dim)
        memcpy(m->W, c.W, (size_t)m->dim * m->k * sizeof(float));
    nc_model_free(&c);
    optml_log(ctx, OPTML_LOG_INFO, "Resuming from the checkpoint after epoch %llu", (unsigned long long)step);
    return (int)step;
}

struct word_ids {
    const struct nc_model *m;
    struct nc_vocab *v; /* word -> feature id + 1 (GloVe rows are ids) */
    int oom;
};

static int add_word(void *vctx, const char *s, size_t len)
{
    struct word_ids *w = vctx;
    uint32_t b = nc_word_bucket(&w->m->feat, s, len);
    struct nc_sparse one = {&b, NULL, 1, 1};
    nc_compact(w->m->used, w->m->fid, w->m->n_used, &one);
    if (b < w->m->n_used && nc_strmap_put(&w->v->index, s, len, b + 1, NULL) < 0) {
        w->oom = 1;
        return 1;
    }
    return 0;
}

/* The embedding bag with GloVe in the channel: the rows of the training
 * words' unigram features start as their GloVe vectors. */
static optml_status glove_init(optml_ctx *ctx, const struct nc_corpus *tr, const struct nc_paths *glove,
                               struct nc_model *m)
{
    struct nc_vocab v = {0};
    struct word_ids w = {m, &v, 0};
    char *buf = malloc(NC_MAX_TEXT + 1);
    float *G = NULL;
    uint32_t dim = 0;
    struct nc_glove_stats st = {0};
    optml_status s = OPTML_OK;
    if (!buf) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < tr->n && !w.oom; i++) {
        size_t len = strlen(tr->text[i]);
        nc_word_tokens(tr->text[i], len < NC_MAX_TEXT ? len : NC_MAX_TEXT, buf, add_word, &w);
    }
    if (w.oom) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        goto out;
    }
    if ((s = nc_glove_load(ctx, glove->path[0], &v, (size_t)m->n_used + 1, &dim, &G, &st)) != OPTML_OK)
        goto out;
    if (dim != m->dim) {
        s = optml_error(ctx, OPTML_E_CLIENT, "embedding_dim is %u but the GloVe file %s has %u numbers per word",
                        m->dim, glove->path[0], dim);
        goto out;
    }
    for (size_t i = 0; i < v.index.cap; i++) {
        if (!v.index.keys[i])
            continue;
        const float *g = G + (size_t)v.index.vals[i] * dim;
        float nz = 0;
        for (uint32_t d = 0; d < dim; d++)
            nz += g[d] * g[d];
        if (nz > 0)
            memcpy(m->E + (size_t)(v.index.vals[i] - 1) * dim, g, dim * sizeof(float));
    }
    optml_log(ctx, OPTML_LOG_INFO, "GloVe: %llu vectors read, %llu of the %zu training words found: their "
              "embeddings start from GloVe", (unsigned long long)st.lines, (unsigned long long)st.matched, v.index.n);
out:
    free(buf);
    free(G);
    nc_strmap_free(&v.index);
    return s;
}

/* A seen bucket (its index in `used`) and its document frequency. */
struct ranked {
    uint32_t df, index;
};

/* Descending frequency, then bucket order: a deterministic numbering. */
static int by_frequency(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Train the ngram model; *val_acc receives its accuracy on the validation
 * rows (-1 when there are none). */
static optml_status train_ngram(optml_ctx *ctx, const struct nc_config *cfg, const struct nc_corpus *tr,
                                const struct nc_corpus *va, const struct nc_paths *glove, struct nc_model *m,
                                double *val_acc)
{
    struct nc_rows rtr = {0}, rva = {0};
    size_t *nw_tr = NULL, *nw_va = NULL;
    size_t B = cfg->feat.buckets;
    uint32_t *df = calloc(B, sizeof(uint32_t));
    optml_status s;
    m->feat = cfg->feat;
    m->dim = (uint32_t)cfg->embedding_dim;
    if (!df) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory for %zu buckets", B);
        goto out;
    }
    /* Document frequencies on the training rows; the buckets seen become the
     * features, numbered by descending frequency. */
    if ((s = raw_features(ctx, &cfg->feat, tr, cfg->threads, df, &rtr, &nw_tr)) != OPTML_OK ||
        (s = raw_features(ctx, &cfg->feat, va, cfg->threads, NULL, &rva, &nw_va)) != OPTML_OK)
        goto out;
    for (size_t i = 0; i < B; i++)
        m->n_used += df[i] >= (uint32_t)cfg->min_df;
    size_t U = m->n_used, width = m->dim ? m->dim : m->k;
    m->used = malloc((U ? U : 1) * sizeof(uint32_t));
    m->fid = malloc((U ? U : 1) * sizeof(uint32_t));
    struct ranked *rank = malloc((U ? U : 1) * sizeof(*rank));
    m->idf = malloc((U + 1) * sizeof(float));
    m->E = calloc(U * width > 0 ? U * width : 1, sizeof(float));
    m->b = calloc(m->k, sizeof(float));
    m->W = m->dim ? calloc((size_t)m->dim * m->k, sizeof(float)) : NULL;
    if (!m->used || !m->fid || !rank || !m->idf || !m->E || !m->b || (m->dim && !m->W)) {
        free(rank);
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory for %zu x %zu weights", U, width);
        goto out;
    }
    for (size_t i = 0, u = 0; i < B; i++)
        if (df[i] >= (uint32_t)cfg->min_df) {
            m->used[u] = (uint32_t)i;
            rank[u] = (struct ranked){df[i], (uint32_t)u};
            u++;
        }
    qsort(rank, U, sizeof(*rank), by_frequency);
    for (size_t f = 0; f < U; f++) {
        uint32_t u = rank[f].index, d = rank[f].df;
        m->fid[u] = (uint32_t)f;
        m->idf[f] = logf((1.0f + (float)tr->n) / (1.0f + (float)d)) + 1.0f;
    }
    m->idf[U] = logf(1.0f + (float)tr->n) + 1.0f; /* df 0 */
    for (size_t i = 0; i < B; i++) /* df becomes the bucket -> feature id map */
        df[i] = (uint32_t)U;
    for (size_t u = 0; u < U; u++)
        df[m->used[u]] = m->fid[u];
    free(rank);
    to_tfidf(&rtr, nw_tr, df, m->idf, m->n_used);
    to_tfidf(&rva, nw_va, df, m->idf, m->n_used);
    optml_log(ctx, OPTML_LOG_INFO, "Features: %zu training rows, %.1f n-grams per row, %zu distinct in %zu buckets, %s model%s",
              rtr.n, rtr.n ? (double)rtr.nnz / (double)rtr.n : 0.0, U, B,
              m->dim ? "embedding-bag" : "linear", m->loss == NC_LOSS_HINGE ? " (squared hinge)" : " (softmax)");
    if (m->dim) {
        uint64_t rng = (uint64_t)cfg->seed ^ 0x656d62ull;
        nn_init_uniform(m->E, U * m->dim, -1.0f / (float)m->dim, 1.0f / (float)m->dim, &rng);
        if (glove->n && (s = glove_init(ctx, tr, glove, m)) != OPTML_OK)
            goto out;
    } else if (glove->n) {
        optml_log(ctx, OPTML_LOG_INFO,
                  "GloVe file %s is not used: the linear n-gram model has no word embeddings (set embedding_dim to "
                  "the GloVe dimension for an embedding bag initialised from it, or architecture=workshop)",
                  glove->path[0]);
    }
    int first = resume(ctx, m);
    s = nc_bag_fit(ctx, cfg, &rtr, tr->label, &rva, va->label, m, first);
    m->temperature = nc_bag_calibrate(m, rva.n ? &rva : &rtr, rva.n ? va->label : tr->label);
    if (rva.n) {
        double loss;
        nc_bag_evaluate(m, &rva, va->label, cfg->threads, &loss, val_acc);
    }
    optml_log(ctx, OPTML_LOG_INFO, "Probability temperature %.3f (fitted on the %s rows)", m->temperature,
              rva.n ? "validation" : "training");
out:
    free(df);
    free(nw_tr);
    free(nw_va);
    nc_rows_free(&rtr);
    nc_rows_free(&rva);
    return s;
}

static optml_status write_model(optml_ctx *ctx, const struct nc_model *m,
                                double val_acc, size_t n_train, size_t n_val)
{
    unsigned char *buf;
    size_t len;
    if (nc_model_encode(m, &buf, &len) != 0)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory encoding the model");
    optml_status s = optml_model_write(ctx, MODEL_FILE, buf, len);
    free(buf);
    if (s != OPTML_OK)
        return s;
    json_t *labels = json_array();
    for (uint32_t i = 0; i < m->k; i++)
        json_array_append_new(labels, json_pack("{s:s, s:s}", "value", m->label_code[i], "name", m->label_name[i]));
    json_t *j = json_pack("{s:s, s:i, s:s, s:o, s:i, s:i, s:f}", "module", NC_MODULE_NAME, "format_version",
                          (int)NC_FORMAT_VERSION, "architecture", m->arch == NC_ARCH_NGRAM ? "ngram" : "workshop",
                          "labels", labels, "training_rows", (json_int_t)n_train, "validation_rows",
                          (json_int_t)n_val, "temperature", (double)m->temperature);
    if (j && n_val)
        json_object_set_new(j, "validation_accuracy", json_real(val_acc));
    if (j && m->arch == NC_ARCH_NGRAM)
        json_object_set_new(j, "ngram", json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s}", "buckets", (json_int_t)m->feat.buckets, "features", (json_int_t)m->n_used,
                                                  "word_ngrams", (json_int_t)m->feat.word_ngrams, "char_ngram_min",
                                                  (json_int_t)m->feat.char_min, "char_ngram_max",
                                                  (json_int_t)m->feat.char_max, "embedding_dim", (json_int_t)m->dim,
                                                  "loss", m->loss == NC_LOSS_HINGE ? "hinge" : "softmax"));
    else if (j)
        json_object_set_new(j, "workshop", json_pack("{s:i, s:i, s:i, s:i, s:i}", "max_words", (json_int_t)m->max_words,
                                                     "max_len", (json_int_t)m->max_len, "embedding_dim",
                                                     (json_int_t)m->emb_dim, "dense_units", (json_int_t)m->units,
                                                     "vocabulary", (json_int_t)m->vocab.n_kept));
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!text)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory writing model.json");
    s = optml_file_write_atomic(ctx, "model.json", text, strlen(text));
    free(text);
    return s;
}

/* The trained model on a corpus through the serving path: its confusion
 * matrix (k x k, true x predicted) goes to the training report; returns
 * the accuracy, or -1 when out of memory. */
static double confusion(optml_ctx *ctx, const struct nc_model *m, const struct nc_corpus *c, const char *split)
{
    struct nc_scratch sc = {0};
    float p[NC_MAX_CLASSES];
    uint64_t *counts = calloc((size_t)m->k * m->k, sizeof(uint64_t));
    if (!counts)
        return -1;
    size_t right = 0, n = 0;
    for (; n < c->n; n++) {
        if (nc_model_probs(m, c->text[n], strlen(c->text[n]), &sc, p) != 0)
            break;
        uint32_t best = 0;
        for (uint32_t k = 1; k < m->k; k++)
            if (p[k] > p[best])
                best = k;
        right += best == c->label[n];
        counts[(size_t)c->label[n] * m->k + best]++;
    }
    nc_scratch_free(&sc);
    if (n == c->n)
        optml_report_confusion(ctx, split, m->k, (const char *const *)m->label_name, counts);
    free(counts);
    return c->n ? (double)right / (double)c->n : 0;
}

/* The training rows must hold at least two classes.  Rows per class are
 * counted, then checked at this one point after reading: with the data
 * split across hosts each host's counts are summed (an all-reduce of the
 * array) before the check, which then judges the whole data set as on one
 * host.  Classes seen only in the validation channel do not count. */
static optml_status check_classes(optml_ctx *ctx, const struct nc_corpus *tr, const struct nc_labels *labels)
{
    uint64_t rows[NC_MAX_CLASSES] = {0};
    for (size_t i = 0; i < tr->n; i++)
        rows[tr->label[i]]++;
    size_t present = 0, last = 0;
    for (size_t k = 0; k < labels->k; k++)
        if (rows[k]) {
            present++;
            last = k;
        }
    if (present < 2)
        return optml_error(ctx, OPTML_E_CLIENT, "the training rows have only one CATEGORY value ('%s'): a "
                           "classifier needs rows of at least two classes", labels->code[last]);
    return OPTML_OK;
}

optml_status nc_train(optml_ctx *ctx)
{
    const struct nc_config *cfg = optml_config(ctx);
    struct nc_corpus tr = {0}, va = {0};
    struct nc_labels labels = {0};
    struct nc_paths glove = {0};
    struct nc_model m = {0};
    optml_status s;
    if (!cfg)
        return optml_error(ctx, OPTML_E_INTERNAL, "news-classifier: no configuration (hyperparameters not bound)");
    printf("Starting the training.\n");
    fflush(stdout);
    if ((s = nc_read_channel(ctx, "training", &tr, &labels, &glove)) != OPTML_OK ||
        (s = nc_read_channel(ctx, "validation", &va, &labels, NULL)) != OPTML_OK)
        goto out;
    if (tr.n == 0) {
        s = optml_error(ctx, OPTML_E_CLIENT, "the training channel has no usable rows (%llu dropped for missing fields)",
                        (unsigned long long)tr.dropped);
        goto out;
    }
    if ((s = check_classes(ctx, &tr, &labels)) != OPTML_OK)
        goto out;
    struct nc_corpus *corpora[] = {&tr, &va};
    if ((s = nc_labels_canonical(ctx, &labels, corpora, 2)) != OPTML_OK ||
        (s = nc_labels_rename(ctx, &labels, cfg->label_names)) != OPTML_OK)
        goto out;
    for (size_t i = 0; i < tr.n && i < 5; i++)
        printf("%zu  %.70s  %s\n", i, tr.text[i], labels.code[tr.label[i]]);
    fflush(stdout);
    if (!optml_channel_get(ctx, "validation") &&
        (s = hold_out(ctx, &tr, &va, cfg->validation_split, (uint64_t)cfg->seed)) != OPTML_OK)
        goto out;
    optml_log(ctx, OPTML_LOG_INFO, "%zu training rows, %zu validation rows, %zu classes; %llu rows dropped", tr.n, va.n,
              labels.k, (unsigned long long)(tr.dropped + va.dropped));
    /* The model takes over the label strings. */
    m.arch = (enum nc_arch)cfg->architecture;
    m.loss = (enum nc_loss)cfg->loss;
    m.k = (uint32_t)labels.k;
    m.label_code = labels.code;
    m.label_name = labels.name;
    m.temperature = 1.0f;
    labels.code = labels.name = NULL;
    labels.k = 0;
    double val_acc = -1;
    if (cfg->architecture == NC_ARCH_NGRAM)
        s = train_ngram(ctx, cfg, &tr, &va, &glove, &m, &val_acc);
    else
        s = nc_train_workshop(ctx, cfg, &tr, &va, glove.path, glove.n, &m);
    if (s != OPTML_OK && s != OPTML_STOPPED)
        goto out;
    optml_status stopped = s;
    if (va.n) { /* through the serving path */
        double acc = confusion(ctx, &m, &va, "validation");
        if (val_acc < 0 && acc >= 0) /* the workshop network */
            val_acc = acc;
    }
    optml_report_fact(ctx, "Architecture", "%s (%s)", m.arch == NC_ARCH_NGRAM ? "ngram" : "workshop",
                      m.arch == NC_ARCH_NGRAM ? (m.dim ? "embedding bag over hashed word and character n-grams"
                                                        : "linear model over TF-IDF word and character n-grams")
                                              : "the workshop's Keras network: embedding, flatten, dense");
    optml_report_fact(ctx, "Classes", "%u", m.k);
    optml_report_fact(ctx, "Rows", "%zu training, %zu validation%s", tr.n, va.n,
                      optml_channel_get(ctx, "validation") ? "" : " (held out of the training channel)");
    if (va.n) {
        struct optml_metric mt = {"validation", "accuracy", "score", val_acc, -1, -1};
        optml_metric(ctx, &mt);
    }
    if ((s = write_model(ctx, &m, val_acc, tr.n, va.n)) != OPTML_OK)
        goto out;
    struct nc_scratch sc = {0};
    float p[NC_MAX_CLASSES];
    if (nc_model_probs(&m, TEST_HEADLINE, strlen(TEST_HEADLINE), &sc, p) == 0) {
        uint32_t best = 0;
        for (uint32_t k = 1; k < m.k; k++)
            best = p[k] > p[best] ? k : best;
        printf("Test headline: %s\nPredicted category: %s\n", TEST_HEADLINE, m.label_code[best]);
        fflush(stdout);
    }
    nc_scratch_free(&sc);
    s = stopped;
out:
    nc_model_free(&m);
    nc_labels_free(&labels);
    nc_corpus_free(&tr);
    nc_corpus_free(&va);
    return s;
}
