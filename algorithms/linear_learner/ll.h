/*
 * ll.h: the linear learner's internal vocabulary, shared by its files: the
 * configuration (hparams.c), rows in memory (rows.c), the scaler
 * (scaler.c), the per-split quality metrics (eval.c) and the served model
 * (model.c).  Nothing here is exported from the module: module.c holds the
 * one exported table.
 *
 * Letters: N rows, D features, K outputs per model (num_classes for
 * multiclass, else 1), M models trained side by side, R = M * K.
 */
#ifndef OPTML_LL_H
#define OPTML_LL_H

#include <stddef.h>
#include <stdint.h>

#include "common/losses.h"
#include "common/optim.h"
#include "optml/algorithm.h"

#define LL_MODULE_NAME "linear-learner"
#define LL_FORMAT_VERSION 1u

/* Largest feature_dim accepted (sparse keys are 32-bit in the cache). */
#define LL_MAX_DIM 100000000u
/* A row set is dense (N x D floats) while N * D stays under this many floats. */
#define LL_DENSE_MAX ((size_t)1 << 24)
/* Appended when a request row has one value more than the model's features. */
/* A blank line before a row of a CSV or JSON Lines request (line, type):
 * skipping it would shift every later answer against its input. */
#define LL_BLANK_LINE_MESSAGE                                                                  \
    "line %llu is blank: every line of a %s request is one record and gets one answer in "    \
    "its place (batch transform joins answers to input lines by position); remove blank lines"
#define LL_LABEL_INCLUDED_HINT ": is the label column included? A request holds the features only"

enum ll_predictor { LL_BINARY, LL_MULTICLASS, LL_REGRESSOR };

enum ll_criterion {
    LL_CRIT_ACCURACY,
    LL_CRIT_F_BETA,
    LL_CRIT_PRECISION_AT_RECALL,
    LL_CRIT_RECALL_AT_PRECISION,
    LL_CRIT_LOSS
};

/* ---- hparams.c: the declaration table and the resolved configuration ---- */

/* The table's length: hparams.c checks it at compile time. */
#define LL_N_HPARAMS 45
extern const struct optml_hparam_decl ll_hparams[LL_N_HPARAMS];

enum ll_init { LL_INIT_UNIFORM, LL_INIT_NORMAL };

/* The configuration of a training job: the runtime binds every
 * hyperparameter into the member named after it (hparams.c's table) and
 * ll_resolve() decides the autos that depend on other keys and fills the
 * derived members.  ENUM members hold the index of the choice, which is the
 * value of the matching C enum (predictor_type: enum ll_predictor, loss:
 * enum loss_kind, optimizer: enum optim_kind, init_method: enum ll_init). */
struct ll_config {
    int predictor_type;       /* enum ll_predictor */
    size_t num_classes;       /* unset unless given */
    size_t feature_dim;       /* unset: auto, from the data */
    size_t mini_batch_size;
    int32_t epochs;
    size_t num_models;
    size_t num_calibration_samples;
    int loss;                 /* enum loss_kind */
    struct loss_params lp;    /* loss_insensitivity, quantile, huber_delta, margin */
    int optimizer;            /* enum optim_kind */
    float learning_rate, momentum, beta_1, beta_2;
    float wd, l1;             /* unset: auto, varied across the models */
    float bias_lr_mult, bias_wd_mult;
    int use_bias;
    int use_lr_scheduler;
    int64_t lr_scheduler_step;
    float lr_scheduler_factor, lr_scheduler_minimum_lr;
    int normalize_data, normalize_label;
    int unbias_data;          /* unset: auto, decided by the data (dense or not) */
    int unbias_label;
    size_t num_point_for_scaler;
    int binary_classifier_model_selection_criteria; /* index in the table's choices */
    float target_recall, target_precision, f_beta;
    const char *positive_example_weight_mult;
    int balance_multiclass_weights;
    int32_t accuracy_top_k;
    int32_t early_stopping_patience;
    float early_stopping_tolerance;
    int init_method;          /* enum ll_init */
    float init_scale, init_sigma, init_bias;
    int64_t seed;

    /* Derived by ll_resolve. */
    size_t K;                 /* outputs per model: num_classes or 1 */
    float eps;                /* Adam / RMSprop epsilon */
    int wd_auto, l1_auto;     /* wd / l1 vary around a default level */
    enum ll_criterion criterion;
    float pos_weight;         /* positive_example_weight_mult as a number */
    int pos_weight_balanced;
};

/* The module's resolve() hook: the autos that depend on other keys (loss by
 * predictor_type, learning_rate and beta_2 by optimizer, normalize_label and
 * unbias_label), the derived members, and the checks the runtime cannot
 * make from the table alone (num_classes for multiclass, loss vs
 * predictor_type, huber_delta, positive_example_weight_mult): ClientErrors
 * naming the key. */
optml_status ll_resolve(optml_ctx *ctx, void *config);

/* Names for logs, metrics and model.json. */
const char *ll_predictor_name(enum ll_predictor t);
const char *ll_loss_name(enum loss_kind k);
const char *ll_optimizer_name(enum optim_kind k);
/* The metric name of the training objective, e.g.
 * "binary_classification_cross_entropy_objective". */
const char *ll_objective_name(enum ll_predictor t, enum loss_kind k);

/* ---- rows.c: rows in memory ---- */

/* One row as parsed: dense when idx is NULL (nnz == D values), else sparse
 * (nnz index/value pairs, indices < D, any order, no duplicates needed). */
struct ll_row {
    float label;
    size_t nnz;
    const uint32_t *idx;
    const float *val;
};

/* A set of rows: dense (n x D, row-major) or CSR.  Grows as rows are added. */
struct ll_rows {
    size_t D;
    size_t n, cap;
    int sparse;
    float *x;          /* dense: cap x D */
    size_t *ptr;       /* CSR: n + 1 offsets into idx/val */
    uint32_t *idx;
    float *val;
    size_t nnz, nnz_cap;
    float *y;          /* labels (cap) */
    float *w;          /* row weights (cap) */
};

/* Empty set of D-feature rows; `sparse` picks CSR storage.  Returns 0, -1 OOM. */
int ll_rows_init(struct ll_rows *r, size_t D, int sparse, size_t cap_hint);
/* ll_rows_init for sets of about `rows` rows: dense unless rows x D
 * values would exceed LL_DENSE_MAX. */
int ll_rows_init_sized(size_t D, struct ll_rows *r, size_t rows);
void ll_rows_free(struct ll_rows *r);
void ll_rows_clear(struct ll_rows *r);
/* Append a row (indices already checked < D) with weight w.  0 or -1 (OOM). */
int ll_rows_add(struct ll_rows *r, const struct ll_row *row, float w);
/* View of row i (pointers into r). */
void ll_rows_get(const struct ll_rows *r, size_t i, struct ll_row *out);
/* out (n x R) = X W^T + b for W (R x D) row-major and b (R) (NULL: 0).
 * Dense sets use one cblas_sgemm. */
void ll_rows_scores(const struct ll_rows *r, const float *W, const float *b, size_t R, float *out);
/* G (R x D) = dP^T X for dP (n x R): overwritten. */
void ll_rows_grad(const struct ll_rows *r, const float *dP, size_t R, float *G);

/* ---- scaler.c: feature and label standardisation ---- */

struct ll_scaler {
    size_t D;
    float *mean;       /* D: subtracted (0 when not unbiasing) */
    float *inv_std;    /* D: multiplied (1 when not normalising) */
    float y_mean, y_std; /* labels: y' = (y - y_mean) / y_std */
};

/* Statistics of the rows of `sample` under cfg's normalize/unbias flags
 * (`sparse_data`: the data came in sparse, for unbias_data=auto). */
int ll_scaler_fit(struct ll_scaler *s, const struct ll_rows *sample, const struct ll_config *cfg,
                  int sparse_data);
/* ll_scaler_fit over the samples of every host of a multi-host job (a
 * collective: every host calls it, with its own sample, maybe empty; the
 * same sparse_data on all).  0, -1 OOM, -2 the collective failed (the
 * context holds the error).  With ctx NULL or on one host, ll_scaler_fit. */
int ll_scaler_fit_hosts(struct ll_scaler *s, const struct ll_rows *sample, const struct ll_config *cfg,
                        int sparse_data, optml_ctx *ctx);
int ll_scaler_identity(struct ll_scaler *s, size_t D);
void ll_scaler_free(struct ll_scaler *s);
/* Weights on raw features equivalent to W (R x D) on standardised ones:
 * Weff = W * inv_std (per column) and beff = b - Weff . mean. */
void ll_scaler_fold(const struct ll_scaler *s, const float *W, const float *b, size_t R, float *Weff,
                    float *beff);

/* ---- model.c: the served model ---- */

struct ll_model {
    enum ll_predictor type;
    enum loss_kind loss;
    size_t D, K;
    float threshold;       /* binary: score > threshold is label 1 */
    float *W, *b;          /* trained (standardised) space: K x D, K */
    struct ll_scaler sc;
    float *Wf, *bf;        /* raw-feature space, label scale folded in: K x D, K */
};

/* Serialise (format version 1) into a malloc'd buffer. */
int ll_model_encode(const struct ll_model *m, unsigned char **out, size_t *len);
/* Parse a payload; OPTML_E_MODEL with a message when it is not a valid one. */
optml_status ll_model_decode(optml_ctx *ctx, const unsigned char *buf, size_t len, struct ll_model *m);
/* Compute Wf / bf from W, b and the scalers.  0 or -1 (OOM). */
int ll_model_fold(struct ll_model *m);
/* Raw outputs (n x K) of rows: X Wf^T + bf (logits, margins, or a
 * regressor's predictions in label units).  Needs ll_model_fold. */
void ll_model_logits(const struct ll_model *m, const struct ll_rows *rows, float *out);
/* Logits into scores in place: sigmoid (logistic), softmax (multiclass),
 * unchanged otherwise. */
void ll_model_transform(const struct ll_model *m, float *out, size_t n);
/* predicted_label of one row of scores (binary: score > threshold). */
float ll_model_label(const struct ll_model *m, const float *score);
/* Default decision threshold of a binary loss: 0.5 (logistic) or 0 (hinge). */
float ll_default_threshold(enum loss_kind loss);
void ll_model_free(struct ll_model *m);
/* model.json text (malloc'd). */
char *ll_model_json(const struct ll_model *m, const char *hyper_json);
/* Write model/<LL_MODEL_FILE> and model/model.json. */
optml_status ll_model_save(optml_ctx *ctx, const struct ll_model *m, const char *hyper_json);
optml_status ll_model_load(optml_ctx *ctx, const char *model_dir, void **out);
void ll_model_release(void *model);

#define LL_MODEL_FILE "model_algo-1.optml"

/* ---- predict.c ---- */

/* The media types predict serves, in the order of the module table's
 * request_types / response_types (ll_request_types / ll_response_types,
 * built from these with designated initializers): the runtime hands predict
 * the index of the negotiated entry of each. */
enum ll_request_type { LL_IN_CSV, LL_IN_JSON, LL_IN_JSONLINES, LL_IN_PROTOBUF, LL_N_IN };
enum ll_response_type { LL_OUT_JSON, LL_OUT_JSONLINES, LL_OUT_PROTOBUF, LL_N_OUT };
extern const char *const ll_request_types[LL_N_IN + 1];
extern const char *const ll_response_types[LL_N_OUT + 1];

optml_status ll_predict(optml_ctx *ctx, const void *model, const struct optml_request *req,
                        optml_response *resp);

/* ---- train.c ---- */

optml_status ll_train(optml_ctx *ctx);

#endif
