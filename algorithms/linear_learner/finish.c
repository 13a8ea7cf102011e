/*
 * finish.c: the end of training (or of a stopped job): pick the best of the
 * parallel models on the selection sample (validation rows, or rows held
 * out of train) by binary_classifier_model_selection_criteria / accuracy /
 * loss, calibrate the binary threshold there, write the model files, and
 * report the final train / validation / test metrics with the chosen model.
 * In a multi-host job every host first gathers every host's selection
 * sample, so all choose on the same rows (rank 0's choice is sent to all
 * all the same); each host scores its own rows for the final metrics,
 * which are added up; only rank 0 writes model/ and reports metrics.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/numtext.h"
#include "linear_learner/eval.h"
#include "linear_learner/hosts.h"
#include "linear_learner/train.h"

static float label_space(const struct ll_state *st, enum ll_predictor type, float y)
{
    return type == LL_REGRESSOR ? (y - st->sc.y_mean) / st->sc.y_std : y;
}

static float weight_of(const struct ll_state *st, enum ll_predictor type, float y)
{
    if (type == LL_BINARY)
        return st->class_w[y > 0.5f];
    if (type == LL_MULTICLASS)
        return st->mc_w[(size_t)y < st->K ? (size_t)y : 0];
    return 1.0f;
}

struct choice {
    size_t model;
    float threshold;
    double value, loss;
};

/* The calibrated threshold, kept only when it beats the default threshold
 * by more than noise.  Accuracy: the rows gained must exceed twice the
 * square root of the rows whose prediction changes (a sign test at about
 * 95 %: moving the threshold to win two rows of a small sample is fitting
 * noise).  Other criteria: by more than one row's worth (1/n). */
static int calibrate(const float *score, const float *y, size_t n, const struct ll_config *c, float dflt,
                     float *thr, double *value)
{
    if (ll_calibrate(score, y, n, c, dflt, thr, value) != 0)
        return -1;
    double at_default = ll_criterion_at(score, y, n, c, dflt), gain = *value - at_default;
    int keep;
    if (c->criterion == LL_CRIT_ACCURACY || c->criterion == LL_CRIT_LOSS) {
        double changed = 0;
        for (size_t i = 0; i < n; i++)
            changed += (score[i] > *thr) != (score[i] > dflt);
        keep = gain * (double)n > 2.0 * sqrt(changed) + 1e-9;
    } else {
        keep = gain > 1.0 / (double)n + 1e-12;
    }
    if (!keep) {
        *thr = dflt;
        *value = at_default;
    }
    return 0;
}

/* Score every model on the selection sample with weights W / b. */
static optml_status select_model(struct ll_trainer *t, const float *W, const float *b, struct choice *out)
{
    struct ll_state *st = &t->st;
    const struct ll_config *c = t->cfg;
    const struct ll_rows *sel = &t->sel;
    size_t n = sel->n, M = st->M, K = st->K, R = st->R;
    float dflt = ll_default_threshold(c->loss);
    double *loss = calloc(M, sizeof(double)), *acc = calloc(M, sizeof(double));
    float *y = malloc(n * sizeof(float)), *w = malloc(n * sizeof(float));
    float *sc = c->predictor_type == LL_BINARY ? malloc(n * M * sizeof(float)) : NULL;
    optml_status s = OPTML_OK;
    if (!loss || !acc || !y || !w || (c->predictor_type == LL_BINARY && !sc)) {
        s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory selecting the model");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = label_space(st, c->predictor_type, sel->y[i]);
        w[i] = weight_of(st, c->predictor_type, sel->y[i]);
    }
    for (size_t i0 = 0; i0 < n; i0 += t->eval_rows) {
        struct ll_rows part = *sel;
        part.n = n - i0 < t->eval_rows ? n - i0 : t->eval_rows;
        part.y = y + i0;
        part.w = w + i0;
        if (sel->sparse)
            part.ptr = sel->ptr + i0;
        else
            part.x = sel->x + i0 * sel->D;
        ll_state_scores(st, W, b, &part, t->P);
        ll_state_loss(st, c, &part, t->P, loss, NULL);
        for (size_t i = 0; i < part.n; i++)
            for (size_t m = 0; m < M; m++) {
                const float *p = t->P + i * R + m * K;
                if (c->predictor_type == LL_BINARY) {
                    sc[m * n + i0 + i] = c->loss == LOSS_LOGISTIC ? sigmoid(p[0]) : p[0];
                } else if (c->predictor_type == LL_MULTICLASS) {
                    size_t best = 0;
                    for (size_t k = 1; k < K; k++)
                        if (p[k] > p[best])
                            best = k;
                    acc[m] += (float)best == part.y[i];
                }
            }
    }
    double wsum = 0;
    for (size_t i = 0; i < n; i++)
        wsum += w[i];
    /* Pick the best criterion value; values within one row's worth of the
     * best (1/n) count as ties, broken by the lower loss: on a small sample
     * one row more or less is noise, the loss is not. */
    double *val = calloc(M, sizeof(double));
    float *thr = malloc(M * sizeof(float));
    if (!val || !thr) {
        free(val);
        free(thr);
        s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory selecting the model");
        goto out;
    }
    double top = -INFINITY;
    for (size_t m = 0; m < M; m++) {
        double l = wsum > 0 ? loss[m] / wsum : NAN, v = -INFINITY;
        thr[m] = dflt;
        loss[m] = l;
        if (!isfinite(l)) {
            val[m] = NAN;
            continue;
        }
        if (c->predictor_type == LL_BINARY) {
            if (calibrate(sc + m * n, sel->y, n, c, dflt, &thr[m], &v) != 0) {
                free(val);
                free(thr);
                s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory calibrating the threshold");
                goto out;
            }
            if (c->criterion == LL_CRIT_LOSS)
                v = -l;
        } else if (c->predictor_type == LL_MULTICLASS) {
            v = acc[m] / (double)n;
        } else {
            v = -l;
        }
        val[m] = v;
        top = v > top ? v : top;
    }
    int by_loss = c->predictor_type == LL_REGRESSOR || (c->predictor_type == LL_BINARY && c->criterion == LL_CRIT_LOSS);
    double slack = by_loss ? 0.0 : 1.0 / (double)n;
    int found = 0;
    for (size_t m = 0; m < M; m++) {
        if (!(val[m] >= top - slack - 1e-12))
            continue;
        if (!found || loss[m] < out->loss) {
            *out = (struct choice){m, thr[m], val[m], loss[m]};
            found = 1;
        }
    }
    free(val);
    free(thr);
    if (!found)
        s = optml_error(t->ctx, OPTML_E_CLIENT, "Training diverged: no model has a finite objective on the "
                        "selection sample; lower learning_rate or normalise the data");
out:
    free(loss);
    free(acc);
    free(y);
    free(w);
    free(sc);
    return s;
}

/* {"optimizer": ..., "learning_rate": ..., ...} of model m (malloc'd). */
static char *hyper_json(const struct ll_trainer *t, size_t m)
{
    const struct ll_config *c = t->cfg;
    const struct optim_cfg *oc = &t->st.oc[m];
    char *s = NULL, lr[NUMTEXT_SIZE], l1[NUMTEXT_SIZE], wd[NUMTEXT_SIZE], f[NUMTEXT_SIZE], mlr[NUMTEXT_SIZE];
    /* Floats as the user gave them: 0.06, not 0.0599999987. */
    if (asprintf(&s, "{\"optimizer\": \"%s\", \"learning_rate\": %s, \"l1\": %s, \"wd\": %s, "
                     "\"lr_scheduler_step\": %ld, \"lr_scheduler_factor\": %s, \"lr_scheduler_minimum_lr\": %s, "
                     "\"mini_batch_size\": %zu, \"model_index\": %zu, \"num_models\": %zu}",
                 ll_optimizer_name(c->optimizer), numtext_float(lr, oc->lr), numtext_float(l1, oc->l1),
                 numtext_float(wd, oc->wd), (long)c->lr_scheduler_step, numtext_float(f, c->lr_scheduler_factor),
                 numtext_float(mlr, c->lr_scheduler_minimum_lr), c->mini_batch_size, m, t->st.M) < 0)
        return NULL;
    return s;
}

/* One pass over a channel with the final model; reports the split. */
static optml_status final_pass(struct ll_trainer *t, struct ll_source *src, const struct ll_model *m,
                               const char *split)
{
    struct ll_state *st = &t->st;
    const struct ll_config *c = t->cfg;
    struct ll_rows part;
    struct ll_eval ev;
    float *L = malloc(t->eval_rows * m->K * sizeof(float));
    int have_part = ll_rows_init_sized(t->D, &part, t->eval_rows) == 0;
    int have_eval = ll_eval_init(&ev, c) == 0;
    optml_status s = OPTML_OK;
    if (!L || !have_part || !have_eval) {
        s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory computing %s metrics", split);
        goto out;
    }
    s = ll_source_begin(src);
    /* Train re-read from its files (no cache): skip the held-out rows. */
    int skip = src == t->train && !ll_source_from_cache(src);
    t->row_index = t->skipped = 0;
    struct ll_row row;
    while (s == OPTML_OK) {
        s = ll_source_next(src, &row);
        if (s == OPTML_OK && skip && ll_trainer_skip_held(t))
            continue;
        if (s == OPTML_OK && ll_rows_add(&part, &row, weight_of(st, c->predictor_type, row.label)) != 0) {
            ll_source_end(src, 0); /* its reader thread first (data.h) */
            s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory computing %s metrics", split);
        }
        if (!(part.n == t->eval_rows || (s == OPTML_END && part.n)))
            continue;
        ll_model_logits(m, &part, L);
        for (size_t i = 0; i < part.n; i++) {
            float *z = L + i * m->K;
            double l = 0;
            if (m->K > 1) {
                softmax_xent_batch(z, &part.y[i], NULL, 1, 1, m->K, NULL, NULL, &l);
            } else {
                float p = c->predictor_type == LL_REGRESSOR ? (z[0] - st->sc.y_mean) / st->sc.y_std : z[0];
                l = loss_value(c->loss, &c->lp, p, label_space(st, c->predictor_type, part.y[i]));
            }
            ev.loss_sum += part.w[i] * l;
            ev.weight_sum += part.w[i];
        }
        ll_model_transform(m, L, part.n);
        if (m->type == LL_REGRESSOR) /* predictions in label units */
            optml_report_residuals(t->ctx, split, L, part.y, part.n);
        for (size_t i = 0; i < part.n; i++)
            if (ll_eval_add(&ev, L + i * m->K, part.y[i]) != 0) {
                ll_source_end(src, 0);
                s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory computing %s metrics", split);
                break;
            }
        ll_rows_clear(&part);
        /* Multi-host: no stop in the middle of the pass (the hosts add
         * their sums up after it); ll_finish asks all hosts between passes. */
        if (t->world < 2 && optml_should_stop(t->ctx) && s == OPTML_OK)
            s = OPTML_STOPPED;
    }
    if (t->world > 1 && s == OPTML_STOPPED)
        s = OPTML_END; /* Pipe mode: a stop while waiting; the other hosts add up what there is */
    ll_source_end(src, s == OPTML_END);
    if (s == OPTML_END)
        s = ll_hosts_merge_eval(t->ctx, &ev);
    if (s == OPTML_OK && t->rank == 0)
        s = ll_eval_report(t->ctx, &ev, split, ll_objective_name(c->predictor_type, c->loss), m->threshold);
    if (s == OPTML_OK && t->rank == 0)
        ll_eval_report_confusion(t->ctx, &ev, split, m->threshold);
out:
    free(L);
    if (have_part)
        ll_rows_free(&part);
    if (have_eval)
        ll_eval_free(&ev);
    return s;
}

optml_status ll_finish(struct ll_trainer *t, int final)
{
    struct ll_state *st = &t->st;
    const struct ll_config *c = t->cfg;
    int have_best = 0;
    for (size_t m = 0; m < st->M; m++)
        have_best |= isfinite(st->best_loss[m]);
    const float *W = have_best ? st->bestW : st->W, *b = have_best ? st->bestb : st->b;
    struct choice ch = {0, ll_default_threshold(c->loss), 0, INFINITY};
    optml_status s = OPTML_OK;
    struct ll_model m;
    memset(&m, 0, sizeof(m));
    char *hj = NULL;
    if (t->world > 1 && !t->sel_gathered) {
        if ((s = ll_hosts_gather_rows(t->ctx, &t->sel, t->sel_cap)) != OPTML_OK)
            return s;
        t->sel_gathered = 1;
    }
    if (t->sel.n > 0) {
        if ((s = select_model(t, W, b, &ch)) != OPTML_OK)
            return s;
        if (t->world > 1 && (s = optml_dist_broadcast(t->ctx, &ch, sizeof(ch), 0)) != OPTML_OK)
            return s;
        char thr[96] = "";
        if (c->predictor_type == LL_BINARY)
            snprintf(thr, sizeof(thr), ch.threshold != ll_default_threshold(c->loss)
                                           ? ", decision threshold calibrated to %.6g"
                                           : ", decision threshold kept at the default %.6g",
                     (double)ch.threshold);
        LL_LOG0(t, OPTML_LOG_INFO, "Selected model %zu of %zu on %zu %s rows (criterion value %.6g%s)",
                ch.model, st->M, t->sel.n, t->val ? "validation" : "held-out", ch.value, thr);
    } else {
        for (size_t i = 0; i < st->M; i++)
            if (isfinite(st->best_loss[i]) && st->best_loss[i] < ch.loss) {
                ch.model = i;
                ch.loss = st->best_loss[i];
            }
    }
    m.type = c->predictor_type;
    m.loss = c->loss;
    m.D = st->D;
    m.K = st->K;
    m.threshold = c->predictor_type == LL_BINARY ? ch.threshold : 0.0f;
    m.W = malloc(st->K * st->D * sizeof(float));
    m.b = malloc(st->K * sizeof(float));
    if (!m.W || !m.b || ll_scaler_identity(&m.sc, st->D) != 0) {
        s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory building the model");
        goto out;
    }
    memcpy(m.W, W + ch.model * st->K * st->D, st->K * st->D * sizeof(float));
    memcpy(m.b, b + ch.model * st->K, st->K * sizeof(float));
    memcpy(m.sc.mean, st->sc.mean, st->D * sizeof(float));
    memcpy(m.sc.inv_std, st->sc.inv_std, st->D * sizeof(float));
    m.sc.y_mean = st->sc.y_mean;
    m.sc.y_std = st->sc.y_std;
    if (ll_model_fold(&m) != 0 || !(hj = hyper_json(t, ch.model))) {
        s = optml_error(t->ctx, OPTML_E_NOMEM, "out of memory building the model");
        goto out;
    }
    LL_LOG0(t, OPTML_LOG_INFO, "Best model found for hyperparameters: %s", hj);
    if (c->predictor_type == LL_BINARY) {
        LL_LOG0(t, OPTML_LOG_INFO, "Decision threshold: %.6g", (double)m.threshold);
        float dflt = ll_default_threshold(c->loss);
        if (t->sel.n == 0)
            optml_report_fact(t->ctx, "Decision threshold", "%.6g (the default: no rows to calibrate on)",
                              (double)m.threshold);
        else if (m.threshold != dflt)
            optml_report_fact(t->ctx, "Decision threshold", "%.6g (calibrated on %zu %s rows; the default is %.6g)",
                              (double)m.threshold, t->sel.n, t->val ? "validation" : "held-out", (double)dflt);
        else
            optml_report_fact(t->ctx, "Decision threshold", "%.6g (the default: calibration on %zu %s rows did "
                              "not beat it by more than noise)", (double)m.threshold, t->sel.n,
                              t->val ? "validation" : "held-out");
    }
    if (c->predictor_type == LL_MULTICLASS)
        optml_report_fact(t->ctx, "Predictor", "%s, %zu features, %zu classes", ll_predictor_name(c->predictor_type),
                          st->D, st->K);
    else
        optml_report_fact(t->ctx, "Predictor", "%s, %zu features", ll_predictor_name(c->predictor_type), st->D);
    if (t->sel.n > 0)
        optml_report_fact(t->ctx, "Model selection", "model %zu of %zu parallel models, chosen on %zu %s rows",
                          ch.model, st->M, t->sel.n, t->val ? "validation" : "held-out");
    optml_report_fact(t->ctx, "Hyperparameters of the chosen model", "%s", hj);
    if (t->rank == 0 && (s = ll_model_save(t->ctx, &m, hj)) != OPTML_OK)
        goto out;
    if (!final)
        goto out;
    if (t->rank == 0)
        optml_log(t->ctx, OPTML_LOG_INFO, "Saved the model to %s", optml_model_dir(t->ctx));
    /* Pipe mode: train metrics of the final model would need one more
     * FIFO; the epochs' train objectives are reported already. */
    if (t->train->pipe)
        LL_LOG0(t, OPTML_LOG_INFO, "Pipe mode: no final train metrics (they would need one more pass over "
                "the train channel)");
    else if ((s = final_pass(t, t->train, &m, "train")) != OPTML_OK)
        goto out;
    if (t->world > 1 && optml_dist_should_stop(t->ctx))
        goto out; /* the model is saved: the remaining metrics can go */
    if (t->val && (s = final_pass(t, t->val, &m, "validation")) != OPTML_OK)
        goto out;
    if (t->world > 1 && optml_dist_should_stop(t->ctx))
        goto out;
    if (t->test)
        s = final_pass(t, t->test, &m, "test");
    else
        LL_LOG0(t, OPTML_LOG_INFO, "Test data is not provided.");
    if (s == OPTML_STOPPED)
        s = OPTML_OK; /* the model is saved: skipping the remaining metrics is fine */
out:
    free(hj);
    ll_model_free(&m);
    return s;
}
