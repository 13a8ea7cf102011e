/*
 * eval.c: the quality side of the linear learner: metrics per split
 * (binary accuracy / precision / recall / F-beta / ROC AUC, multiclass
 * accuracy / top-k / macro P-R-F / DCG, regression MSE / RMSE / absolute
 * loss), their metric and `#validation_score` lines, and threshold
 * calibration for binary classifiers.  Owns the accumulators' arrays.
 */
#include "linear_learner/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorting scores ---- */

struct scored {
    float s, y;
};

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;
    return x < y ? 1 : x > y ? -1 : 0;
}

static struct scored *sorted_desc(const float *score, const float *y, size_t n)
{
    struct scored *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = (struct scored){score[i], y[i]};
    qsort(v, n, sizeof(*v), by_score_desc);
    return v;
}

int ll_auc(const float *score, const float *y, size_t n, double *auc)
{
    *auc = 0.5;
    struct scored *v = sorted_desc(score, y, n);
    if (!v)
        return -1;
    /* Groups of equal score from the top: a negative is outranked by every
     * positive of earlier groups and ties with half of its own group's. */
    double pos = 0, neg = 0, pairs = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double gp = 0, gn = 0;
        while (j < n && v[j].s == v[i].s) {
            if (v[j].y > 0.5f)
                gp++;
            else
                gn++;
            j++;
        }
        pairs += gn * pos + 0.5 * gn * gp; /* negatives here are below every earlier positive */
        pos += gp;
        neg += gn;
        i = j;
    }
    free(v);
    if (pos > 0 && neg > 0)
        *auc = pairs / (pos * neg);
    return 0;
}

static double safe_div(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

static double fbeta(double p, double r, double beta)
{
    double b2 = beta * beta;
    return p + r > 0 ? (1 + b2) * p * r / (b2 * p + r) : 0.0;
}

void ll_binary_at(const float *score, const float *y, size_t n, float threshold, float beta,
                  struct ll_binary_metrics *out)
{
    double tp = 0, fp = 0, tn = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        int pred = score[i] > threshold, pos = y[i] > 0.5f;
        tp += pred && pos;
        fp += pred && !pos;
        tn += !pred && !pos;
        fn += !pred && pos;
    }
    out->accuracy = safe_div(tp + tn, (double)n);
    out->precision = safe_div(tp, tp + fp);
    out->recall = safe_div(tp, tp + fn);
    out->f_beta = fbeta(out->precision, out->recall, beta);
    out->auc = 0.5;
}

/* The criterion for tp/fp among `n` rows with `P` positives; higher is better. */
static double criterion(const struct ll_config *c, double tp, double fp, double P, double n)
{
    double fn = P - tp, tn = n - P - fp;
    double prec = safe_div(tp, tp + fp), rec = safe_div(tp, P);
    switch (c->criterion) {
    case LL_CRIT_F_BETA:
        return fbeta(prec, rec, c->f_beta);
    case LL_CRIT_PRECISION_AT_RECALL:
        return rec >= c->target_recall ? prec : rec - 1.0;
    case LL_CRIT_RECALL_AT_PRECISION:
        return prec >= c->target_precision ? rec : prec - 1.0;
    default:
        return safe_div(tp + tn, n);
    }
    (void)fn;
}

double ll_criterion_at(const float *score, const float *y, size_t n, const struct ll_config *cfg, float threshold)
{
    double tp = 0, fp = 0, P = 0;
    for (size_t i = 0; i < n; i++) {
        int pos = y[i] > 0.5f;
        P += pos;
        if (score[i] > threshold) {
            tp += pos;
            fp += !pos;
        }
    }
    return criterion(cfg, tp, fp, P, (double)n);
}

int ll_calibrate(const float *score, const float *y, size_t n, const struct ll_config *cfg, float dflt,
                 float *threshold, double *value)
{
    *threshold = dflt;
    *value = 0;
    if (n == 0)
        return 0;
    struct scored *v = sorted_desc(score, y, n);
    if (!v)
        return -1;
    double P = 0;
    for (size_t i = 0; i < n; i++)
        P += v[i].y > 0.5f;
    /* Cut after each group of equal scores: rows above predicted positive.
     * The cut's thresholds form [lo, hi): lo = the next lower score. */
    double tp = 0, fp = 0;
    double best = criterion(cfg, 0, 0, P, (double)n), best_dist;
    float best_thr = v[0].s;
    best_dist = dflt >= v[0].s ? 0.0 : (double)v[0].s - dflt;
    if (dflt >= v[0].s)
        best_thr = dflt;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].s == v[i].s) {
            tp += v[j].y > 0.5f;
            fp += v[j].y <= 0.5f;
            j++;
        }
        float hi = v[i].s;
        float lo = j < n ? v[j].s : v[n - 1].s - fmaxf(1.0f, fabsf(v[n - 1].s));
        double val = criterion(cfg, tp, fp, P, (double)n);
        float thr;
        double dist;
        if (dflt >= lo && dflt < hi) {
            thr = dflt;
            dist = 0;
        } else {
            thr = lo + (hi - lo) * 0.5f;
            if (!(thr >= lo && thr < hi))
                thr = lo;
            dist = fabs((double)thr - dflt);
        }
        if (val > best + 1e-12 || (fabs(val - best) <= 1e-12 && dist < best_dist)) {
            best = val;
            best_thr = thr;
            best_dist = dist;
        }
        i = j;
    }
    free(v);
    *threshold = best_thr;
    *value = best;
    return 0;
}

/* ---- accumulators ---- */

int ll_eval_init(struct ll_eval *e, const struct ll_config *cfg)
{
    memset(e, 0, sizeof(*e));
    e->type = cfg->predictor_type;
    e->K = cfg->K;
    e->top_k = cfg->accuracy_top_k;
    e->beta = cfg->f_beta;
    if (e->type == LL_MULTICLASS) {
        e->tp = calloc(e->K, sizeof(double));
        e->fp = calloc(e->K, sizeof(double));
        e->fn = calloc(e->K, sizeof(double));
        if (e->K <= LL_CONFUSION_MAX_K)
            e->confusion = calloc(e->K * e->K, sizeof(uint64_t));
        if (!e->tp || !e->fp || !e->fn || (e->K <= LL_CONFUSION_MAX_K && !e->confusion)) {
            ll_eval_free(e);
            return -1;
        }
    }
    return 0;
}

void ll_eval_free(struct ll_eval *e)
{
    free(e->scores);
    free(e->labels);
    free(e->tp);
    free(e->fp);
    free(e->fn);
    free(e->confusion);
    memset(e, 0, sizeof(*e));
}

int ll_eval_add(struct ll_eval *e, const float *out, float y)
{
    e->rows++;
    if (e->type == LL_BINARY) {
        if (e->n == e->cap) {
            size_t cap = e->cap ? e->cap * 2 : 1024;
            float *s = realloc(e->scores, cap * sizeof(float));
            if (!s)
                return -1;
            e->scores = s;
            float *l = realloc(e->labels, cap * sizeof(float));
            if (!l)
                return -1;
            e->labels = l;
            e->cap = cap;
        }
        e->scores[e->n] = out[0];
        e->labels[e->n++] = y;
    } else if (e->type == LL_MULTICLASS) {
        size_t yi = (size_t)y < e->K ? (size_t)y : 0, pred = 0, above = 0;
        for (size_t k = 0; k < e->K; k++) {
            if (out[k] > out[pred])
                pred = k;
            if (out[k] > out[yi])
                above++;
        }
        e->correct += pred == yi;
        e->topk += above < (size_t)e->top_k;
        e->dcg += 1.0 / log2(2.0 + (double)above);
        if (e->confusion)
            e->confusion[yi * e->K + pred]++;
        if (pred == yi) {
            e->tp[yi]++;
        } else {
            e->fp[pred]++;
            e->fn[yi]++;
        }
    } else {
        double d = (double)out[0] - y;
        e->sq += d * d;
        e->abs += fabs(d);
    }
    return 0;
}

static void emit(optml_ctx *ctx, const char *split, const char *name, const char *kind, double v)
{
    optml_metric(ctx, &(struct optml_metric){split, name, kind, v, -1, -1});
    if (strcmp(split, "validation") == 0)
        optml_log(ctx, OPTML_LOG_INFO, "#validation_score (%s) : ('%s', %.17g)", optml_host_name(ctx), name,
                  v);
}

optml_status ll_eval_report(optml_ctx *ctx, struct ll_eval *e, const char *split, const char *objective,
                            float threshold)
{
    if (e->rows == 0)
        return OPTML_OK;
    char name[64];
    if (objective && e->weight_sum > 0)
        emit(ctx, split, objective, "loss", e->loss_sum / e->weight_sum);
    if (e->type == LL_BINARY) {
        struct ll_binary_metrics m;
        ll_binary_at(e->scores, e->labels, e->n, threshold, e->beta, &m);
        if (ll_auc(e->scores, e->labels, e->n, &m.auc) != 0)
            return optml_error(ctx, OPTML_E_NOMEM, "out of memory computing roc_auc_score");
        emit(ctx, split, "binary_classification_accuracy", "score", m.accuracy);
        snprintf(name, sizeof(name), "binary_f_%.3f", (double)e->beta);
        emit(ctx, split, name, "score", m.f_beta);
        emit(ctx, split, "precision", "score", m.precision);
        emit(ctx, split, "recall", "score", m.recall);
        emit(ctx, split, "roc_auc_score", "score", m.auc);
    } else if (e->type == LL_MULTICLASS) {
        double mp = 0, mr = 0, mf = 0, classes = 0;
        for (size_t k = 0; k < e->K; k++) {
            if (e->tp[k] + e->fp[k] + e->fn[k] == 0)
                continue;
            double p = safe_div(e->tp[k], e->tp[k] + e->fp[k]), r = safe_div(e->tp[k], e->tp[k] + e->fn[k]);
            mp += p;
            mr += r;
            mf += fbeta(p, r, e->beta);
            classes++;
        }
        emit(ctx, split, "multiclass_accuracy", "score", e->correct / e->rows);
        snprintf(name, sizeof(name), "multiclass_top_k_accuracy_%d", e->top_k);
        emit(ctx, split, name, "score", e->topk / e->rows);
        snprintf(name, sizeof(name), "macro_f_%.3f", (double)e->beta);
        emit(ctx, split, name, "score", safe_div(mf, classes));
        emit(ctx, split, "macro_precision", "score", safe_div(mp, classes));
        emit(ctx, split, "macro_recall", "score", safe_div(mr, classes));
        emit(ctx, split, "dcg", "score", e->dcg / e->rows);
    } else {
        double mse = e->sq / e->rows;
        emit(ctx, split, "mse", "loss", mse);
        emit(ctx, split, "rmse", "loss", sqrt(mse));
        emit(ctx, split, "absolute_loss", "loss", e->abs / e->rows);
    }
    return OPTML_OK;
}

void ll_eval_report_confusion(optml_ctx *ctx, const struct ll_eval *e, const char *split, float threshold)
{
    if (e->rows == 0)
        return;
    if (e->type == LL_BINARY) {
        uint64_t c[4] = {0}; /* [true][predicted] */
        for (size_t i = 0; i < e->n; i++)
            c[(e->labels[i] > 0.5f) * 2 + (e->scores[i] > threshold)]++;
        static const char *const names[] = {"0", "1"};
        optml_report_confusion(ctx, split, 2, names, c);
    } else if (e->type == LL_MULTICLASS && e->confusion) {
        optml_report_confusion(ctx, split, e->K, NULL, e->confusion);
    }
}
