/*
 * eval.h: quality metrics per split, binary threshold calibration and the
 * choice of the best of the parallel models (see eval.c).
 */
#ifndef OPTML_LL_EVAL_H
#define OPTML_LL_EVAL_H

#include "linear_learner/ll.h"

/* Binary classification at one threshold. */
struct ll_binary_metrics {
    double accuracy, precision, recall, f_beta, auc;
};

/* Area under the ROC curve of scores against 0/1 labels (ties count half);
 * 0.5 when one class is absent.  Allocates a sort index: -1 on OOM. */
int ll_auc(const float *score, const float *y, size_t n, double *auc);
/* Accuracy, precision, recall and F-beta of `score > threshold` (unweighted). */
void ll_binary_at(const float *score, const float *y, size_t n, float threshold, float beta,
                  struct ll_binary_metrics *out);
/* The threshold that maximises the criterion on (score, y); among equally
 * good thresholds the one nearest `dflt`.  *value receives the criterion
 * (higher is better; LL_CRIT_LOSS calibrates for accuracy).  -1 on OOM. */
int ll_calibrate(const float *score, const float *y, size_t n, const struct ll_config *cfg, float dflt,
                 float *threshold, double *value);

/* The criterion of `score > threshold` (higher is better; accuracy for
 * LL_CRIT_LOSS). */
double ll_criterion_at(const float *score, const float *y, size_t n, const struct ll_config *cfg, float threshold);

/* Accumulates one split's metrics from final outputs: binary the score
 * (probability or margin), multiclass K probabilities, regression the
 * prediction in label units. */
struct ll_eval {
    enum ll_predictor type;
    size_t K;
    int top_k;
    float beta;
    double rows;
    double loss_sum, weight_sum;   /* the training objective, filled by the caller */
    float *scores, *labels;        /* binary: every row (for AUC) */
    size_t n, cap;
    double correct, topk, dcg;     /* multiclass */
    double *tp, *fp, *fn;          /* multiclass: K each */
    uint64_t *confusion;           /* multiclass: K x K (true x predicted), NULL
                                      above LL_CONFUSION_MAX_K classes */
    double sq, abs;                /* regression */
};

int ll_eval_init(struct ll_eval *e, const struct ll_config *cfg);
void ll_eval_free(struct ll_eval *e);
/* One row: out has K values (1 for binary and regression).  -1 on OOM. */
int ll_eval_add(struct ll_eval *e, const float *out, float y);
/* Print the split's metrics (optml_metric; for validation also
 * `#validation_score` log lines).  `objective` is the objective's metric
 * name; binary metrics use `threshold`. */
optml_status ll_eval_report(optml_ctx *ctx, struct ll_eval *e, const char *split, const char *objective,
                            float threshold);

/* Classes up to which a multiclass split keeps its confusion matrix. */
#define LL_CONFUSION_MAX_K 1000
/* The split's confusion matrix (classifiers) for the training report:
 * binary at `threshold`, multiclass by the largest probability. */
void ll_eval_report_confusion(optml_ctx *ctx, const struct ll_eval *e, const char *split, float threshold);

#endif
