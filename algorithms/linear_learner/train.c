/*
 * train.c: the training loop.  Resume from a checkpoint when there is one;
 * File mode: read the validation channel once (cached, first rows kept as
 * the selection sample; Pipe mode does this during the first epoch's
 * validation pass, so no FIFO is read for it alone); then per epoch: one
 * pass over train (File mode: parsed and cached in the first pass of this
 * process, read from the cache after; Pipe mode: the next FIFO each time),
 * the scaler fitted from the first num_point_for_scaler rows, minibatch
 * updates of all models (rows go through a shuffle buffer of a few
 * minibatches, permuted by seed and epoch), the epoch's train and
 * validation objectives,
 * per-model best snapshots, early stopping and a checkpoint.  Polls the
 * stop flag between minibatches.  finish.c picks and writes the model.
 *
 * Multi-host jobs: synchronous data parallelism.  Each host reads its own
 * rows (data.c: its share of a FullyReplicated channel, all of a
 * ShardedByS3Key one) and runs this same loop; each minibatch of
 * mini_batch_size rows per host is one step of every host together
 * (step.c adds the gradients up), a host whose pass is over takes part
 * with empty batches until every host's is, and the stop flag travels
 * with each step, so all hosts stop at the same one.  The scaler, the
 * class counts, the epochs' objectives and the held-out losses are sums
 * over all hosts; early stopping is rank 0's decision, sent to all.
 */
#include "common/classes.h"
#include "common/numtext.h"
#include "linear_learner/hosts.h"
#include "linear_learner/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/parallel.h"
#include "common/rng.h"

#define EVAL_ROWS 1024
/* Largest number of values a sample held in memory may take. */
#define SAMPLE_VALUES ((size_t)1 << 26)

/* An error of this thread during a pass: the channels' reader threads stop
 * first, so that only this thread touches the context (ingest.c). */
static optml_status pass_error(struct ll_trainer *t, optml_status code, const char *msg)
{
    if (t->train)
        ll_source_end(t->train, 0);
    if (t->val)
        ll_source_end(t->val, 0);
    return optml_error(t->ctx, code, "%s", msg);
}

/* Sample sizes in rows, capped so a sample stays under SAMPLE_VALUES values. */
static size_t sample_rows(size_t want, size_t D)
{
    size_t cap = SAMPLE_VALUES / (D ? D : 1);
    if (cap < 1)
        cap = 1;
    return want < cap ? want : cap;
}

/* Containers and state once D is known. */
static optml_status ensure_ready(struct ll_trainer *t)
{
    if (t->rows_ready)
        return OPTML_OK;
    if (t->D == 0)
        return pass_error(t, OPTML_E_INTERNAL, "feature dimension unknown");
    if (!t->st_ready) {
        if (ll_state_init(&t->st, t->cfg, t->D) != 0)
            return pass_error(t, OPTML_E_NOMEM, "out of memory for the models' weights");
        t->st_ready = 1;
    }
    t->scal_cap = sample_rows(t->cfg->num_point_for_scaler, t->D);
    t->sel_cap = sample_rows(t->cfg->num_calibration_samples, t->D);
    t->shuf_cap = sample_rows(t->cfg->mini_batch_size * 4 > 2048 ? t->cfg->mini_batch_size * 4 : 2048, t->D);
    t->eval_rows = EVAL_ROWS;
    size_t brows = t->cfg->mini_batch_size > t->eval_rows ? t->cfg->mini_batch_size : t->eval_rows;
    if (ll_rows_init_sized(t->D, &t->batch, t->cfg->mini_batch_size) != 0 ||
        ll_rows_init_sized(t->D, &t->scal, t->scal_cap) != 0 ||
        ll_rows_init_sized(t->D, &t->sel, t->sel_cap) != 0 || ll_rows_init_sized(t->D, &t->shuf, t->shuf_cap) != 0 ||
        !(t->perm = malloc(t->shuf_cap * sizeof(size_t))) || ll_state_scratch(&t->st, t->cfg->mini_batch_size) != 0 ||
        !(t->ep_loss = calloc(t->st.M, sizeof(double))) ||
        !(t->P = malloc(brows * t->st.R * sizeof(float))))
        return pass_error(t, OPTML_E_NOMEM, "out of memory for minibatches");
    t->rows_ready = 1;
    return OPTML_OK;
}

/* Label in training space and row weight. */
static float train_label(const struct ll_trainer *t, float y)
{
    return t->cfg->predictor_type == LL_REGRESSOR ? (y - t->st.sc.y_mean) / t->st.sc.y_std : y;
}

static float row_weight(const struct ll_trainer *t, float y)
{
    if (t->cfg->predictor_type == LL_BINARY)
        return t->st.class_w[y > 0.5f];
    if (t->cfg->predictor_type == LL_MULTICLASS)
        return t->st.mc_w[(size_t)y < t->st.K ? (size_t)y : 0];
    return 1.0f;
}

/* Stop this host's reader threads (before an error of the context). */
static void end_sources(struct ll_trainer *t)
{
    if (t->train)
        ll_source_end(t->train, 0);
    if (t->val)
        ll_source_end(t->val, 0);
}

/* Multi-host: one step of every host with this host's batch (maybe
 * empty).  `have`: this host still has rows in the pass; *more (may be
 * NULL) gets how many hosts have.  `stop_here` adds a stop of this host to
 * optml_should_stop.  OPTML_STOPPED on every host at once when any asked. */
static optml_status step_hosts(struct ll_trainer *t, int have, double *more, int stop_here)
{
    int local = stop_here || optml_should_stop(t->ctx);
    double flags[2] = {have, local};
    optml_status s = ll_state_step_hosts(&t->st, t->cfg, &t->batch, t->ep_loss, &t->ep_wsum, t->ctx, flags);
    ll_rows_clear(&t->batch);
    if (s != OPTML_OK) {
        end_sources(t);
        return s;
    }
    if (more)
        *more = flags[0];
    if (flags[1] > 0) {
        if (!local)
            optml_log(t->ctx, OPTML_LOG_INFO, "Another host asked to stop: stopping with it");
        t->stop_agreed = 1;
        return OPTML_STOPPED;
    }
    return OPTML_OK;
}

/* Multi-host, at the end of this host's pass: its last (partial) batch,
 * then empty steps until no host has rows left in the pass. */
static optml_status drain(struct ll_trainer *t, int stop_here)
{
    double more = 1;
    int have = t->batch.n > 0;
    while (more > 0) {
        optml_status s = step_hosts(t, have, &more, stop_here);
        if (s != OPTML_OK)
            return s;
        have = 0;
    }
    return OPTML_OK;
}

static optml_status run_batch(struct ll_trainer *t)
{
    if (t->world > 1)
        return t->batch.n ? step_hosts(t, 1, NULL, 0) : OPTML_OK;
    if (t->batch.n == 0)
        return OPTML_OK;
    ll_state_step(&t->st, t->cfg, &t->batch, t->ep_loss, &t->ep_wsum);
    ll_rows_clear(&t->batch);
    return optml_should_stop(t->ctx) ? OPTML_STOPPED : OPTML_OK;
}

static optml_status to_batch(struct ll_trainer *t, const struct ll_row *row)
{
    struct ll_row r = *row;
    r.label = train_label(t, row->label);
    if (ll_rows_add(&t->batch, &r, row_weight(t, row->label)) != 0)
        return pass_error(t, OPTML_E_NOMEM, "out of memory filling a minibatch");
    t->ep_rows++;
    return t->batch.n >= t->cfg->mini_batch_size ? run_batch(t) : OPTML_OK;
}

/* Fit the scaler and class weights from the buffered rows, then train on them. */
/* Multi-host, before the scaler: every host learns the feature dimension
 * (a host without rows from the others; a host whose rows have another is
 * a ClientError there) and whether the data is sparse. */
static optml_status agree_shape(struct ll_trainer *t, int *sparse)
{
    double agree[2] = {(double)t->D, *sparse};
    optml_status s = optml_dist_allreduce(t->ctx, agree, 2, OPTML_DIST_DOUBLE, OPTML_DIST_MAX);
    if (s != OPTML_OK) {
        end_sources(t);
        return s;
    }
    size_t D = (size_t)agree[0];
    *sparse = agree[1] > 0;
    if (t->D == 0)
        t->D = D;
    if (t->D != D) {
        char msg[200];
        snprintf(msg, sizeof(msg), "The train channel's rows have %zu features on host %s and %zu on another host",
                 t->D, optml_host_name(t->ctx), D);
        return pass_error(t, OPTML_E_CLIENT, msg);
    }
    return D ? ensure_ready(t) : OPTML_OK; /* 0: no rows anywhere, said next */
}

static optml_status fit_scaler(struct ll_trainer *t)
{
    const struct ll_config *c = t->cfg;
    int sparse = ll_source_sparse(t->train);
    optml_status s;
    if (t->world > 1 && (s = agree_shape(t, &sparse)) != OPTML_OK)
        return s;
    /* Rows, positives and rows per class of the sample (of every host's). */
    double *count = calloc(2 + c->K, sizeof(double));
    if (!count)
        return pass_error(t, OPTML_E_NOMEM, "out of memory");
    count[0] = (double)t->scal.n;
    for (size_t i = 0; i < t->scal.n; i++) {
        count[1] += t->scal.y[i] > 0.5f;
        if (c->predictor_type == LL_MULTICLASS)
            count[2 + (size_t)t->scal.y[i]]++;
    }
    if ((s = hosts_sum(t->ctx, count, 2 + c->K)) != OPTML_OK) {
        free(count);
        end_sources(t);
        return s;
    }
    double n = count[0], pos = count[1];
    if (n == 0) {
        free(count);
        return pass_error(t, OPTML_E_CLIENT, t->holdout ? "The train channel has no rows to train on (after holding "
                                                          "out a validation sample)"
                                                        : "The train channel has no rows to train on");
    }
    struct ll_scaler sc;
    int rc = ll_scaler_fit_hosts(&sc, &t->scal, c, sparse, t->world > 1 ? t->ctx : NULL);
    if (rc != 0) {
        free(count);
        if (rc == -2) {
            end_sources(t);
            return OPTML_E_INTERNAL; /* the context holds the collective's error */
        }
        return pass_error(t, OPTML_E_NOMEM, "out of memory fitting the scaler");
    }
    ll_scaler_free(&t->st.sc);
    t->st.sc = sc;
    if (c->predictor_type == LL_BINARY) {
        t->st.class_w[1] = c->pos_weight;
        if (c->pos_weight_balanced && pos > 0 && pos < n)
            t->st.class_w[1] = (float)((n - pos) / pos);
    } else if (c->predictor_type == LL_MULTICLASS && c->balance_multiclass_weights) {
        for (size_t k = 0; k < t->st.K; k++)
            t->st.mc_w[k] = count[2 + k] > 0 ? (float)(n / ((double)t->st.K * count[2 + k])) : 1.0f;
    }
    free(count);
    t->st.have_scaler = 1;
    int unbias = OPTML_IS_UNSET(c->unbias_data) ? c->normalize_data && c->use_bias && !sparse : c->unbias_data;
    int regressor = c->predictor_type == LL_REGRESSOR;
    LL_LOG0(t, OPTML_LOG_INFO, "Scaler fitted on %.0f rows%s: normalize_data=%s, unbias_data=%s%s%s",
            n, t->world > 1 ? " (of every host)" : "", c->normalize_data ? "true" : "false", unbias ? "true" : "false",
            regressor ? ", label mean/std " : "",
            regressor ? (c->normalize_label || c->unbias_label ? "fitted" : "not used") : "");
    char w[NUMTEXT_SIZE];
    if (c->predictor_type == LL_BINARY && (c->pos_weight_balanced || c->pos_weight != 1.0f))
        LL_LOG0(t, OPTML_LOG_INFO, "Positive example weight: %s", numtext_float(w, t->st.class_w[1]));
    struct ll_row row;
    s = OPTML_OK;
    for (size_t i = 0; i < t->scal.n && s == OPTML_OK; i++) {
        ll_rows_get(&t->scal, i, &row);
        s = to_batch(t, &row);
    }
    ll_rows_free(&t->scal);
    return s;
}

/* A row for training: into the scaler sample until it is fitted, then
 * into the minibatch. */
static optml_status consume(struct ll_trainer *t, const struct ll_row *row)
{
    if (!t->st.have_scaler) {
        if (ll_rows_add(&t->scal, row, 1.0f) != 0)
            return pass_error(t, OPTML_E_NOMEM, "out of memory buffering the scaler sample");
        return t->scal.n >= t->scal_cap ? fit_scaler(t) : OPTML_OK;
    }
    return to_batch(t, row);
}

/* Hand the shuffle buffer on in a random order (Fisher-Yates). */
static optml_status flush_shuffled(struct ll_trainer *t)
{
    size_t n = t->shuf.n;
    for (size_t i = 0; i < n; i++)
        t->perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(&t->shuf_rng) % i), tmp = t->perm[i - 1];
        t->perm[i - 1] = t->perm[j];
        t->perm[j] = tmp;
    }
    optml_status s = OPTML_OK;
    struct ll_row row;
    for (size_t i = 0; i < n && s == OPTML_OK; i++) {
        ll_rows_get(&t->shuf, t->perm[i], &row);
        s = consume(t, &row);
    }
    ll_rows_clear(&t->shuf);
    return s;
}

static optml_status feed(struct ll_trainer *t, const struct ll_row *row, int first_pass)
{
    optml_status s = ensure_ready(t);
    if (s != OPTML_OK)
        return s;
    if (first_pass) {
        int out = ll_trainer_held_out(t);
        t->row_index++;
        if (out) {
            ll_source_hold(t->train);
            return ll_rows_add(&t->sel, row, 1.0f) == 0 ? OPTML_OK
                                                        : pass_error(t, OPTML_E_NOMEM, "out of memory holding out rows");
        }
    } else if (!ll_source_from_cache(t->train) && ll_trainer_skip_held(t)) {
        return OPTML_OK; /* re-read (Pipe mode, no cache): held out in the first pass */
    }
    if (ll_rows_add(&t->shuf, row, 1.0f) != 0)
        return pass_error(t, OPTML_E_NOMEM, "out of memory in the shuffle buffer");
    return t->shuf.n >= t->shuf_cap ? flush_shuffled(t) : OPTML_OK;
}

/* Which classes the train channel has rows of.  train_pass counts the
 * rows of each class on its first pass; this checks the counts once, after
 * that pass.  Counts, not a set of labels seen: when the data is split
 * across hosts, each host's counts are summed (an all-reduce of this
 * array) before the check, which then judges the whole data set exactly
 * as it does on one host. */
static optml_status check_classes(struct ll_trainer *t)
{
    char missing[200];
    struct class_presence c = class_presence(t->class_rows, t->n_classes, missing, sizeof(missing));
    t->classes_checked = 1;
    const char *type = ll_predictor_name(t->cfg->predictor_type);
    if (c.present < 2)
        return optml_error(t->ctx, OPTML_E_CLIENT, "The train channel has rows of one class only (every label is "
                           "%zu): a %s needs rows of at least two classes%s", c.last, type,
                           t->cfg->predictor_type == LL_BINARY ? ", 0 and 1" : "");
    if (c.present < t->n_classes)
        optml_log(t->ctx, OPTML_LOG_WARNING, "num_classes is %zu but the train channel has no rows of class%s %s: "
                  "the model will not learn to predict %s%s", t->n_classes, c.missing > 1 ? "es" : "", missing,
                  c.missing > 1 ? "them" : "it",
                  t->class_rows[0] ? "" : " (labels are 0-based: 0 to num_classes - 1)");
    return OPTML_OK;
}

/* Multi-host: the end of this host's pass (`s` how its rows ended): its
 * buffered rows, the scaler when this host's sample did not fill, empty
 * steps until every host's pass is over, then the class check on the
 * counts of every host.  A stop seen by this host's reader (not yet agreed)
 * goes to the others with the next step. */
static optml_status end_pass_hosts(struct ll_trainer *t, optml_status s, int count)
{
    if (s == OPTML_STOPPED && t->stop_agreed)
        return s;
    int stop_here = s == OPTML_STOPPED;
    if (s != OPTML_END && !stop_here)
        return s;
    if (t->rows_ready && (s = flush_shuffled(t)) != OPTML_OK)
        return s;
    if (!t->st.have_scaler && (s = fit_scaler(t)) != OPTML_OK)
        return s;
    if ((s = drain(t, stop_here)) != OPTML_OK)
        return s;
    if (count) {
        double *c = malloc(t->n_classes * sizeof(double));
        if (!c)
            return optml_error(t->ctx, OPTML_E_NOMEM, "out of memory counting classes");
        for (size_t k = 0; k < t->n_classes; k++)
            c[k] = (double)t->class_rows[k];
        if ((s = hosts_sum(t->ctx, c, t->n_classes)) == OPTML_OK)
            for (size_t k = 0; k < t->n_classes; k++)
                t->class_rows[k] = (uint64_t)c[k];
        free(c);
        if (s != OPTML_OK || (s = check_classes(t)) != OPTML_OK)
            return s;
    }
    return OPTML_OK;
}

static optml_status train_pass(struct ll_trainer *t, int epoch)
{
    int first = t->train_passes++ == 0; /* of this process */
    /* Parsing passes keep the second core for the reader thread (ingest.c);
     * passes over the cache give it to the second group of models, when
     * the products are large enough for two groups (step.c).  OpenBLAS
     * stays on one thread (ll_train): its idle workers spin, which on a
     * busy machine costs more than small products gain. */
    if (t->st_ready)
        ll_state_threads(&t->st, !t->train->cache_complete ? 1 : optml_cpu_count());
    optml_status s = ll_source_begin(t->train);
    if (s != OPTML_OK)
        return s;
    t->row_index = 0;
    t->skipped = 0;
    t->shuf_rng = rng_mix64((uint64_t)t->cfg->seed ^ rng_mix64((uint64_t)epoch + 0x5d0ffULL));
    t->ep_rows = 0;
    t->ep_wsum = 0;
    if (t->ep_loss)
        memset(t->ep_loss, 0, t->cfg->num_models * sizeof(double));
    struct ll_row row;
    uint64_t n = 0;
    int count = first && !t->classes_checked && t->cfg->predictor_type != LL_REGRESSOR;
    if (count && !t->class_rows) {
        t->n_classes = t->cfg->predictor_type == LL_BINARY ? 2 : t->cfg->num_classes;
        if (!(t->class_rows = calloc(t->n_classes, sizeof(uint64_t))))
            return optml_error(t->ctx, OPTML_E_NOMEM, "out of memory counting classes");
    }
    while ((s = ll_source_next(t->train, &row)) == OPTML_OK) {
        if (count) /* ingest checked the label: an integer in [0, n_classes) */
            t->class_rows[(size_t)row.label]++;
        if ((s = feed(t, &row, first)) != OPTML_OK)
            break;
        if (++n % 512 == 0)
            optml_progress(t->ctx, ll_source_progress(t->train), n);
    }
    ll_source_end(t->train, s == OPTML_END);
    if (t->world > 1)
        return end_pass_hosts(t, s, count);
    if (s != OPTML_END)
        return s;
    if (!t->rows_ready)
        return optml_error(t->ctx, OPTML_E_CLIENT, "The train channel has no data rows");
    if (count && (s = check_classes(t)) != OPTML_OK)
        return s;
    if ((s = flush_shuffled(t)) != OPTML_OK)
        return s;
    if (!t->st.have_scaler && (s = fit_scaler(t)) != OPTML_OK)
        return s;
    return run_batch(t);
}

/* Read the validation channel once: cache it and keep its first rows. */
static optml_status load_validation(struct ll_trainer *t)
{
    optml_status s = ll_source_begin(t->val);
    if (s != OPTML_OK)
        return s;
    struct ll_row row;
    uint64_t n = 0;
    while ((s = ll_source_next(t->val, &row)) == OPTML_OK) {
        if ((s = ensure_ready(t)) != OPTML_OK)
            break;
        if (t->sel.n < t->sel_cap && ll_rows_add(&t->sel, &row, 1.0f) != 0) {
            s = pass_error(t, OPTML_E_NOMEM, "out of memory keeping validation rows");
            break;
        }
        n++;
    }
    ll_source_end(t->val, s == OPTML_END);
    if (s != OPTML_END)
        return s;
    LL_LOG0(t, OPTML_LOG_INFO, "Validation channel: %llu rows%s (%zu kept for model selection and calibration)",
            (unsigned long long)n, t->world > 1 ? " on this host" : "", t->sel.n);
    t->val_loaded = 1;
    return OPTML_OK;
}

/* Per-model objective on a row set whose labels are raw. */
static void sample_loss(struct ll_trainer *t, const struct ll_rows *rows, double *loss, double *sq, double *wsum)
{
    struct ll_rows view = *rows;
    float *y = malloc((rows->n ? rows->n : 1) * sizeof(float)), *w = malloc((rows->n ? rows->n : 1) * sizeof(float));
    if (!y || !w) {
        free(y);
        free(w);
        for (size_t m = 0; m < t->st.M; m++)
            loss[m] = NAN;
        return;
    }
    for (size_t i = 0; i < rows->n; i++) {
        y[i] = train_label(t, rows->y[i]);
        w[i] = row_weight(t, rows->y[i]);
        *wsum += w[i];
    }
    view.y = y;
    view.w = w;
    for (size_t i0 = 0; i0 < rows->n; i0 += t->eval_rows) {
        /* Score in slices so P stays eval_rows x R. */
        struct ll_rows part = view;
        size_t cnt = rows->n - i0 < t->eval_rows ? rows->n - i0 : t->eval_rows;
        part.n = cnt;
        part.y = y + i0;
        part.w = w + i0;
        if (rows->sparse)
            part.ptr = rows->ptr + i0;
        else
            part.x = rows->x + i0 * rows->D;
        ll_state_scores(&t->st, t->st.W, t->st.b, &part, t->P);
        ll_state_loss(&t->st, t->cfg, &part, t->P, loss, sq);
    }
    free(y);
    free(w);
}

/* Per-model objective over the whole validation channel (its cache, or
 * in Pipe mode its next FIFO).  Pipe mode's first pass also keeps the
 * selection sample, as load_validation does in File mode. */
static optml_status validation_loss(struct ll_trainer *t, double *loss, double *sq, double *wsum)
{
    int keep = !t->val_loaded;
    struct ll_rows part;
    if (ll_rows_init_sized(t->D, &part, t->eval_rows) != 0)
        return optml_error(t->ctx, OPTML_E_NOMEM, "out of memory");
    optml_status s = ll_source_begin(t->val);
    struct ll_row row;
    while (s == OPTML_OK) {
        s = ll_source_next(t->val, &row);
        if (s == OPTML_OK) {
            struct ll_row r = row;
            r.label = train_label(t, row.label);
            float w = row_weight(t, row.label);
            if (ll_rows_add(&part, &r, w) != 0) {
                s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory");
                break;
            }
            *wsum += w;
            if (keep && t->sel.n < t->sel_cap && ll_rows_add(&t->sel, &row, 1.0f) != 0) {
                ll_source_end(t->val, 0);
                s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory keeping validation rows");
                break;
            }
        }
        if (part.n == t->eval_rows || (s == OPTML_END && part.n)) {
            ll_state_scores(&t->st, t->st.W, t->st.b, &part, t->P);
            ll_state_loss(&t->st, t->cfg, &part, t->P, loss, sq);
            ll_rows_clear(&part);
        }
    }
    ll_source_end(t->val, s == OPTML_END);
    ll_rows_free(&part);
    if (s == OPTML_END && keep) {
        t->val_loaded = 1;
        LL_LOG0(t, OPTML_LOG_INFO, "Validation channel: %llu rows%s (%zu kept for model selection and "
                "calibration)", (unsigned long long)t->val->rows, t->world > 1 ? " on this host" : "", t->sel.n);
    }
    return s == OPTML_END ? OPTML_OK : s;
}

static double min_finite(const double *v, size_t n)
{
    double best = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] < best)
            best = v[i];
    return best;
}

/* Multi-host: the epoch's train objective sums, and the validation (or
 * held-out) sums of end_epoch, added up across hosts. */
static optml_status sum_train(struct ll_trainer *t)
{
    size_t M = t->st.M;
    double *v = malloc((M + 2) * sizeof(double));
    if (!v)
        return optml_error(t->ctx, OPTML_E_NOMEM, "out of memory");
    memcpy(v, t->ep_loss, M * sizeof(double));
    v[M] = t->ep_wsum;
    v[M + 1] = (double)t->ep_rows;
    optml_status s = hosts_sum(t->ctx, v, M + 2);
    if (s == OPTML_OK) {
        memcpy(t->ep_loss, v, M * sizeof(double));
        t->ep_wsum = v[M];
        t->ep_rows = (uint64_t)v[M + 1];
    }
    free(v);
    return s;
}

/* `stop_here`: this host's validation pass was stopped (Pipe mode): every
 * host then returns OPTML_STOPPED. */
static optml_status sum_losses(struct ll_trainer *t, double *val, double *sq, double *vw, double *rows,
                               int stop_here)
{
    size_t M = t->st.M;
    double *v = malloc((2 * M + 3) * sizeof(double));
    if (!v)
        return optml_error(t->ctx, OPTML_E_NOMEM, "out of memory");
    memcpy(v, val, M * sizeof(double));
    memcpy(v + M, sq, M * sizeof(double));
    v[2 * M] = *vw;
    v[2 * M + 1] = *rows;
    v[2 * M + 2] = stop_here;
    optml_status s = hosts_sum(t->ctx, v, 2 * M + 3);
    if (s == OPTML_OK) {
        memcpy(val, v, M * sizeof(double));
        memcpy(sq, v + M, M * sizeof(double));
        *vw = v[2 * M];
        *rows = v[2 * M + 1];
        if (v[2 * M + 2] > 0)
            s = OPTML_STOPPED;
    }
    free(v);
    return s;
}

/* After an epoch: objectives, snapshots, early stopping.  *stop set when
 * patience ran out.
 *
 * Snapshots: model m's weights are kept when its validation objective is
 * the best so far, or within one standard error of that best: then the
 * newer, more trained weights are as good as the sample can tell, and on a
 * small validation set an early epoch often wins the loss by noise alone. */
static optml_status end_epoch(struct ll_trainer *t, int e, int *stop)
{
    struct ll_state *st = &t->st;
    const char *obj = ll_objective_name(t->cfg->predictor_type, t->cfg->loss);
    size_t M = st->M;
    double *train = malloc(M * sizeof(double)), *val = calloc(M, sizeof(double)), *sq = calloc(M, sizeof(double));
    optml_status s = OPTML_OK;
    if (!train || !val || !sq) {
        s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t m = 0; m < M; m++)
        train[m] = t->ep_wsum > 0 ? t->ep_loss[m] / t->ep_wsum : NAN;
    if (t->rank == 0)
        optml_metric(t->ctx, &(struct optml_metric){"train", obj, "loss", min_finite(train, M), e, -1});
    double vw = 0, rows = 0;
    const char *source = "train";
    int stop_here = 0;
    if (t->val) {
        s = validation_loss(t, val, sq, &vw);
        if (s == OPTML_STOPPED && t->world > 1) { /* told to the others by sum_losses */
            stop_here = 1;
            s = OPTML_OK;
        }
        if (s != OPTML_OK)
            goto out;
        source = "validation";
        rows = (double)t->val->rows;
    } else if (t->sel.n || (t->world > 1 && t->holdout)) {
        sample_loss(t, &t->sel, val, sq, &vw);
        source = "held-out";
        rows = (double)t->sel.n;
    }
    if (t->world > 1 && (s = sum_losses(t, val, sq, &vw, &rows, stop_here)) != OPTML_OK)
        goto out;
    for (size_t m = 0; m < M; m++) {
        double mean = vw > 0 ? val[m] / vw : train[m];
        /* Standard error of the mean weighted row loss. */
        double ms = vw > 0 && rows > 1 ? sq[m] / rows - (val[m] / rows) * (val[m] / rows) : 0.0;
        double se = ms > 0 && vw > 0 ? sqrt(ms / rows) * rows / vw : 0.0;
        val[m] = mean;
        sq[m] = se;
    }
    double best = min_finite(val, M);
    if (t->val && t->rank == 0)
        optml_metric(t->ctx, &(struct optml_metric){"validation", obj, "loss", best, e, -1});
    else if (!t->val && rows > 0 && t->rank == 0)
        optml_log(t->ctx, OPTML_LOG_INFO, "Epoch %d/%d: held-out sample (%.0f rows) %s = %.9g", e + 1,
                  (int)t->cfg->epochs, rows, obj, best);
    for (size_t m = 0; m < M; m++) {
        if (!isfinite(val[m]) || !(val[m] <= st->best_loss[m] + sq[m]))
            continue;
        if (val[m] < st->best_loss[m])
            st->best_loss[m] = val[m];
        st->best_epoch[m] = e;
        memcpy(st->bestW + m * st->K * st->D, st->W + m * st->K * st->D, st->K * st->D * sizeof(float));
        memcpy(st->bestb + m * st->K, st->b + m * st->K, st->K * sizeof(float));
    }
    if (!isfinite(best)) {
        s = optml_error(t->ctx, OPTML_E_CLIENT, "Training diverged: every model's %s objective is not finite "
                        "after epoch %d; lower learning_rate or normalise the data", source, e + 1);
        goto out;
    }
    if (best < st->best_obj &&
        (!isfinite(st->best_obj) || st->best_obj - best > t->cfg->early_stopping_tolerance * st->best_obj))
        st->bad_epochs = 0;
    else
        st->bad_epochs++;
    if (best < st->best_obj)
        st->best_obj = best;
    int patience_out = st->bad_epochs >= t->cfg->early_stopping_patience && e + 1 < t->cfg->epochs;
    /* Every host computed the same sums; rank 0's verdict binds all. */
    if (t->world > 1 && (s = optml_dist_broadcast(t->ctx, &patience_out, sizeof(patience_out), 0)) != OPTML_OK)
        goto out;
    if (patience_out) {
        char tol[NUMTEXT_SIZE];
        LL_LOG0(t, OPTML_LOG_INFO, "Early stopping after epoch %d: the %s objective improved by less than "
                "%s (relative) for %d epoch%s", e + 1, source, numtext_float(tol, t->cfg->early_stopping_tolerance),
                st->bad_epochs, st->bad_epochs > 1 ? "s" : "");
        *stop = 1;
    }
out:
    free(train);
    free(val);
    free(sq);
    return s;
}

static optml_status save_checkpoint(struct ll_trainer *t)
{
    if (!t->st_ready || t->rank != 0 || !optml_checkpoint_enabled(t->ctx))
        return OPTML_OK; /* multi-host: rank 0's (the runtime saves nothing elsewhere) */
    unsigned char *buf = NULL;
    size_t len = 0;
    if (ll_state_encode(&t->st, &buf, &len) != 0)
        return optml_error(t->ctx, OPTML_E_NOMEM, "out of memory encoding a checkpoint");
    optml_status s = optml_checkpoint_save(t->ctx, (uint64_t)t->st.epoch, buf, len);
    free(buf);
    return s;
}

static optml_status resume(struct ll_trainer *t)
{
    void *data = NULL;
    size_t len = 0, M, K, D;
    uint64_t step = 0;
    /* On many hosts a collective: every host gets rank 0's checkpoint. */
    optml_status s = optml_checkpoint_load(t->ctx, &step, &data, &len);
    if (s == OPTML_E_NOT_FOUND)
        return OPTML_OK;
    if (s != OPTML_OK)
        return s;
    if ((s = ll_state_peek(t->ctx, data, len, &M, &K, &D)) != OPTML_OK)
        goto out;
    if (!OPTML_IS_UNSET(t->cfg->feature_dim) && t->cfg->feature_dim != D) {
        s = optml_error(t->ctx, OPTML_E_CLIENT, "the checkpoint was trained on %zu features, feature_dim is %zu", D,
                        t->cfg->feature_dim);
        goto out;
    }
    t->D = D;
    if (ll_state_init(&t->st, t->cfg, D) != 0) {
        s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory restoring the checkpoint");
        goto out;
    }
    t->st_ready = 1;
    if ((s = ll_state_decode(t->ctx, &t->st, data, len)) != OPTML_OK)
        goto out;
    optml_log(t->ctx, OPTML_LOG_INFO, "Resuming from the checkpoint after epoch %d (%ld updates)%s", t->st.epoch,
              t->st.step, t->world > 1 ? ", rank 0's" : "");
out:
    free(data);
    return s;
}

static void log_models(struct ll_trainer *t)
{
    const struct ll_config *c = t->cfg;
    LL_LOG0(t, OPTML_LOG_INFO, "Training %zu model%s in parallel: %s, loss %s, optimizer %s, "
            "mini_batch_size %zu, %d epochs", c->num_models, c->num_models > 1 ? "s" : "",
            ll_predictor_name(c->predictor_type), ll_loss_name(c->loss), ll_optimizer_name(c->optimizer),
            c->mini_batch_size, (int)c->epochs);
    for (size_t m = 0; m < c->num_models; m++) {
        float lr, wd, l1;
        ll_model_settings(c, m, &lr, &wd, &l1);
        char a[NUMTEXT_SIZE], b[NUMTEXT_SIZE], d[NUMTEXT_SIZE];
        optml_log(t->ctx, OPTML_LOG_DEBUG, "model %zu: learning_rate=%s wd=%s l1=%s", m, numtext_float(a, lr),
                  numtext_float(b, wd), numtext_float(d, l1));
    }
}

static void trainer_free(struct ll_trainer *t)
{
    ll_source_close(t->train);
    ll_source_close(t->val);
    ll_source_close(t->test);
    ll_rows_free(&t->batch);
    ll_rows_free(&t->scal);
    ll_rows_free(&t->sel);
    ll_rows_free(&t->shuf);
    free(t->perm);
    if (t->st_ready)
        ll_state_free(&t->st);
    free(t->ep_loss);
    free(t->P);
    free(t->class_rows);
}

optml_status ll_train(optml_ctx *ctx)
{
    struct ll_trainer t;
    memset(&t, 0, sizeof(t));
    t.ctx = ctx;
    t.rank = optml_dist_rank(ctx);
    t.world = optml_dist_size(ctx);
    if (!(t.cfg = optml_config(ctx)))
        return optml_error(ctx, OPTML_E_INTERNAL, "linear-learner: no configuration (hyperparameters not bound)");
    optml_status s;
    t.D = OPTML_IS_UNSET(t.cfg->feature_dim) ? 0 : t.cfg->feature_dim;
    log_models(&t);
    if ((s = resume(&t)) != OPTML_OK)
        goto out;
    const optml_channel *val = optml_channel_get(ctx, "validation");
    if ((s = ll_source_open(ctx, optml_channel_get(ctx, "train"), t.cfg, &t.D, 1, &t.train)) != OPTML_OK ||
        (s = ll_source_open(ctx, val, t.cfg, &t.D, 1, &t.val)) != OPTML_OK ||
        (s = ll_source_open(ctx, optml_channel_get(ctx, "test"), t.cfg, &t.D, 0, &t.test)) != OPTML_OK)
        goto out;
    if (!t.train) {
        s = optml_error(ctx, OPTML_E_CLIENT, "the train channel is required");
        goto out;
    }
    t.holdout = !t.val;
    blas_set_threads(1); /* threads are ours: ingest.c, team.c */
    /* Pipe mode: the first epoch's validation pass keeps the sample. */
    if (t.val && !t.val->pipe && (s = load_validation(&t)) != OPTML_OK)
        goto out;
    if (t.train->pipe)
        LL_LOG0(&t, OPTML_LOG_INFO, "Pipe mode: channel train is read once per epoch, a FIFO each (train_0, "
                "train_1, ...)");
    if (t.val && t.val->pipe)
        LL_LOG0(&t, OPTML_LOG_INFO, "Pipe mode: channel validation is read once per epoch and once more for the "
                "final metrics, a FIFO each (validation_0, validation_1, ...)");
    int stop = 0;
    for (int e = t.st_ready ? t.st.epoch : 0; e < t.cfg->epochs && !stop; e++) {
        int epoch_ended = 0; /* multi-host: end_epoch done with the pass */
        optml_epoch_begin(ctx, e, t.cfg->epochs);
        s = train_pass(&t, e);
        if (s == OPTML_OK && t.world > 1 && (s = sum_train(&t)) == OPTML_OK) {
            optml_epoch_end(ctx, e, t.ep_rows);
            /* A stop during the validation pass, agreed by every host. */
            s = end_epoch(&t, e, &stop);
            epoch_ended = s == OPTML_OK;
        }
        if (s == OPTML_STOPPED) {
            optml_log(ctx, OPTML_LOG_INFO, "Stop requested during epoch %d/%d: saving the checkpoint and the best "
                      "model so far", e + 1, (int)t.cfg->epochs);
            optml_status w = save_checkpoint(&t);
            if (w == OPTML_OK && t.st_ready && t.st.have_scaler)
                w = ll_finish(&t, 0);
            s = w == OPTML_OK ? OPTML_STOPPED : w;
            goto out;
        }
        if (s != OPTML_OK)
            goto out;
        if (!epoch_ended) {
            optml_epoch_end(ctx, e, t.ep_rows);
            if ((s = end_epoch(&t, e, &stop)) != OPTML_OK)
                goto out;
        }
        t.st.epoch = e + 1;
        if ((s = save_checkpoint(&t)) != OPTML_OK)
            goto out;
    }
    if (!t.st_ready) {
        s = optml_error(ctx, OPTML_E_CLIENT, "The train channel has no data rows");
        goto out;
    }
    ll_state_threads(&t.st, 1);
    s = ll_finish(&t, 1);
out:
    trainer_free(&t);
    return s;
}
