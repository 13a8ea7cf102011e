/*
 * hparams.c: the linear learner's hyperparameter table (ALGORITHMS.md C.2,
 * plus `seed`), bound into struct ll_config, and ll_resolve: the autos that
 * depend on other keys, the derived members, the cross-key checks the
 * runtime's per-key validation cannot make, and the names used in logs and
 * metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "linear_learner/ll.h"

/* ENUM choices are listed by the value of the C enum they stand for. */
static const char *const PREDICTORS[] = {[LL_BINARY] = "binary_classifier",
                                         [LL_MULTICLASS] = "multiclass_classifier",
                                         [LL_REGRESSOR] = "regressor", NULL};
static const char *const LOSSES[] = {[LOSS_SQUARED] = "squared_loss",
                                     [LOSS_ABSOLUTE] = "absolute_loss",
                                     [LOSS_EPS_SQUARED] = "eps_insensitive_squared_loss",
                                     [LOSS_EPS_ABSOLUTE] = "eps_insensitive_absolute_loss",
                                     [LOSS_QUANTILE] = "quantile_loss",
                                     [LOSS_HUBER] = "huber_loss",
                                     [LOSS_LOGISTIC] = "logistic",
                                     [LOSS_HINGE] = "hinge_loss",
                                     [LOSS_SOFTMAX] = "softmax_loss", NULL};
static const char *const OPTIMIZERS[] = {[OPTIM_SGD] = "sgd", [OPTIM_ADAM] = "adam",
                                         [OPTIM_RMSPROP] = "rmsprop", NULL};
static const char *const INITS[] = {[LL_INIT_UNIFORM] = "uniform", [LL_INIT_NORMAL] = "normal", NULL};
/* binary_classifier_model_selection_criteria, and what each one means. */
static const char *const CRITERIA[] = {"accuracy", "f_beta", "precision_at_target_recall",
                                       "recall_at_target_precision", "loss_function",
                                       "f1", "cross_entropy_loss", NULL};
static const enum ll_criterion CRITERION_OF[] = {LL_CRIT_ACCURACY, LL_CRIT_F_BETA, LL_CRIT_PRECISION_AT_RECALL,
                                                 LL_CRIT_RECALL_AT_PRECISION, LL_CRIT_LOSS,
                                                 LL_CRIT_F_BETA, LL_CRIT_LOSS};
_Static_assert(sizeof(LOSSES) / sizeof(LOSSES[0]) == LOSS_SOFTMAX + 2, "a name per enum loss_kind");
_Static_assert(sizeof(CRITERIA) / sizeof(CRITERIA[0]) == sizeof(CRITERION_OF) / sizeof(CRITERION_OF[0]) + 1,
               "a criterion per choice");

const struct optml_hparam_decl ll_hparams[] = {
    OPTML_HP_ROW(struct ll_config, predictor_type, ENUM, NULL, OPTML_HP_REQUIRED | OPTML_SHAPES, 0, 0,
                 "binary_classifier, multiclass_classifier or regressor", .choices = PREDICTORS),
    OPTML_HP_ROW(struct ll_config, num_classes, SIZE, NULL, OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1, 1000000,
                 "number of classes (multiclass_classifier: required, >= 3)"),
    OPTML_HP_ROW(struct ll_config, feature_dim, SIZE, "auto", OPTML_AUTO | OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1,
                 LL_MAX_DIM, "number of features (auto: from the data)"),
    OPTML_HP_ROW(struct ll_config, mini_batch_size, SIZE, "1000", OPTML_MIN | OPTML_MAX, 1, 1000000,
                 "rows per update"),
    OPTML_HP_ROW(struct ll_config, epochs, I32, "15", OPTML_MIN | OPTML_MAX, 1, 1000000,
                 "passes over the training data"),
    OPTML_HP_ROW(struct ll_config, num_models, SIZE, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 1, 256,
                 "models trained in parallel with varied settings (auto: 8)", .auto_value = "8"),
    OPTML_HP_ROW(struct ll_config, num_calibration_samples, SIZE, "auto", OPTML_AUTO | OPTML_MIN, 1, 0,
                 "rows used for threshold calibration and model selection (auto: 10000)", .auto_value = "10000"),
    OPTML_HP_ROW(struct ll_config, loss, ENUM, "auto", OPTML_AUTO, 0, 0,
                 "loss (auto: logistic, softmax_loss or squared_loss by predictor_type)", .choices = LOSSES),
    OPTML_HP_ROW(struct ll_config, optimizer, ENUM, "auto", OPTML_AUTO, 0, 0, "optimizer (auto: adam)",
                 .choices = OPTIMIZERS, .auto_value = "adam"),
    OPTML_HP_ROW(struct ll_config, learning_rate, F32, "auto", OPTML_AUTO | OPTML_GT_MIN, 0, 0,
                 "step size (auto: 0.02 adam, 0.01 sgd and rmsprop)"),
    OPTML_HP_ROW(struct ll_config, momentum, F32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 0, 0.999999,
                 "sgd momentum (auto: 0.9)", .auto_value = "0.9"),
    OPTML_HP_ROW(struct ll_config, beta_1, F32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 0, 0.999999,
                 "adam beta 1 (auto: 0.9)", .auto_value = "0.9"),
    OPTML_HP_ROW(struct ll_config, beta_2, F32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 0, 0.999999,
                 "adam beta 2 / rmsprop decay (auto: 0.999 adam, 0.9 rmsprop)"),
    OPTML_HP_ROW(struct ll_config, wd, F32, "auto", OPTML_AUTO | OPTML_MIN, 0, 0,
                 "L2 regularisation (auto: 0, varied across models)"),
    OPTML_HP_ROW(struct ll_config, l1, F32, "auto", OPTML_AUTO | OPTML_MIN, 0, 0,
                 "L1 regularisation (auto: 0, varied across models)"),
    OPTML_HP_ROW(struct ll_config, bias_lr_mult, F32, "auto", OPTML_AUTO | OPTML_GT_MIN, 0, 0,
                 "bias learning-rate multiplier (auto: 1)", .auto_value = "1"),
    OPTML_HP_ROW(struct ll_config, bias_wd_mult, F32, "auto", OPTML_AUTO | OPTML_MIN, 0, 0,
                 "bias regularisation multiplier (auto: 0, no bias regularisation)", .auto_value = "0"),
    OPTML_HP_ROW(struct ll_config, use_bias, BOOL, "true", 0, 0, 0, "learn an intercept"),
    OPTML_HP_ROW(struct ll_config, use_lr_scheduler, BOOL, "true", 0, 0, 0, "decay the learning rate in steps"),
    OPTML_HP_ROW(struct ll_config, lr_scheduler_step, I64, "auto", OPTML_AUTO | OPTML_MIN, 1, 0,
                 "updates between decays (auto: 100)", .auto_value = "100"),
    OPTML_HP_ROW(struct ll_config, lr_scheduler_factor, F32, "auto", OPTML_AUTO | OPTML_GT_MIN | OPTML_MAX, 0, 1,
                 "decay factor (auto: 0.99)", .auto_value = "0.99"),
    OPTML_HP_ROW(struct ll_config, lr_scheduler_minimum_lr, F32, "auto", OPTML_AUTO | OPTML_GT_MIN, 0, 0,
                 "learning-rate floor (auto: 1e-5)", .auto_value = "1e-5"),
    OPTML_HP_ROW(struct ll_config, normalize_data, BOOL, "true", OPTML_AUTO, 0, 0, "standardise the features",
                 .auto_value = "true"),
    OPTML_HP_ROW(struct ll_config, normalize_label, BOOL, "auto", OPTML_AUTO, 0, 0,
                 "standardise the label (auto: true for regressor, never for classifiers)"),
    OPTML_HP_ROW(struct ll_config, unbias_data, BOOL, "auto", OPTML_AUTO, 0, 0,
                 "centre the features (auto: when normalising dense data with a bias)"),
    OPTML_HP_ROW(struct ll_config, unbias_label, BOOL, "auto", OPTML_AUTO, 0, 0,
                 "centre the label (auto: regressor with use_bias)"),
    OPTML_HP_ROW(struct ll_config, num_point_for_scaler, SIZE, "10000", OPTML_MIN, 1, 0,
                 "rows used to compute the scaler"),
    OPTML_HP_ROW(struct ll_config, binary_classifier_model_selection_criteria, ENUM, "accuracy", 0, 0, 0,
                 "how the best binary model and its threshold are chosen", .choices = CRITERIA),
    OPTML_HP_ROW(struct ll_config, target_recall, F32, "0.8", OPTML_MIN | OPTML_MAX, 0, 1,
                 "for precision_at_target_recall"),
    OPTML_HP_ROW(struct ll_config, target_precision, F32, "0.8", OPTML_MIN | OPTML_MAX, 0, 1,
                 "for recall_at_target_precision"),
    OPTML_HP_ROW(struct ll_config, positive_example_weight_mult, STRING, "1.0", 0, 0, 0,
                 "weight of positive rows: a number > 0, balanced or auto (1)"),
    OPTML_HP_ROW(struct ll_config, balance_multiclass_weights, BOOL, "false", 0, 0, 0,
                 "weight classes by inverse frequency"),
    OPTML_HP_ROW(struct ll_config, accuracy_top_k, I32, "3", OPTML_MIN | OPTML_MAX, 1, 1000000,
                 "k of multiclass_top_k_accuracy"),
    OPTML_HP_ROW(struct ll_config, f_beta, F32, "1.0", OPTML_GT_MIN, 0, 0, "beta of the F score"),
    OPTML_HP_ROW(struct ll_config, early_stopping_patience, I32, "3", OPTML_MIN, 1, 0,
                 "epochs without improvement before stopping"),
    OPTML_HP_ROW(struct ll_config, early_stopping_tolerance, F32, "0.001", OPTML_GT_MIN, 0, 0,
                 "relative improvement of the validation objective that counts"),
    OPTML_HP_ROW_NAMED("huber_delta", struct ll_config, lp.huber_delta, F32, "1.0", OPTML_MIN, 0, 0,
                       "huber_loss delta"),
    OPTML_HP_ROW_NAMED("quantile", struct ll_config, lp.quantile, F32, "0.5", OPTML_GT_MIN | OPTML_MAX, 0, 0.999999,
                       "quantile_loss quantile"),
    OPTML_HP_ROW_NAMED("loss_insensitivity", struct ll_config, lp.eps, F32, "0.01", OPTML_GT_MIN, 0, 0,
                       "epsilon of the eps-insensitive losses"),
    OPTML_HP_ROW_NAMED("margin", struct ll_config, lp.margin, F32, "1.0", OPTML_MIN, 0, 0, "hinge_loss margin"),
    OPTML_HP_ROW(struct ll_config, init_method, ENUM, "uniform", 0, 0, 0, "weight initialisation", .choices = INITS),
    OPTML_HP_ROW(struct ll_config, init_scale, F32, "0.07", OPTML_GT_MIN, 0, 0, "uniform init range +-init_scale"),
    OPTML_HP_ROW(struct ll_config, init_sigma, F32, "0.01", OPTML_GT_MIN, 0, 0, "normal init standard deviation"),
    OPTML_HP_ROW(struct ll_config, init_bias, F32, "0", 0, 0, 0, "initial bias"),
    OPTML_HP_ROW(struct ll_config, seed, I64, "0", OPTML_MIN, 0, 0,
                 "random seed (optml extension): same data and seed give the same model"),
};
_Static_assert(sizeof(ll_hparams) / sizeof(ll_hparams[0]) == LL_N_HPARAMS, "LL_N_HPARAMS");

/* loss auto by predictor_type; a given loss must suit it. */
static optml_status pick_loss(optml_ctx *ctx, struct ll_config *c)
{
    static const unsigned types[] = {/* a bit per predictor_type the loss suits */
                                     [LOSS_LOGISTIC] = 1u << LL_BINARY,
                                     [LOSS_HINGE] = 1u << LL_BINARY,
                                     [LOSS_SOFTMAX] = 1u << LL_MULTICLASS,
                                     [LOSS_SQUARED] = 1u << LL_REGRESSOR,
                                     [LOSS_ABSOLUTE] = 1u << LL_REGRESSOR,
                                     [LOSS_EPS_SQUARED] = 1u << LL_REGRESSOR,
                                     [LOSS_EPS_ABSOLUTE] = 1u << LL_REGRESSOR,
                                     [LOSS_QUANTILE] = 1u << LL_REGRESSOR,
                                     [LOSS_HUBER] = 1u << LL_REGRESSOR};
    if (OPTML_IS_UNSET(c->loss)) {
        c->loss = c->predictor_type == LL_BINARY ? LOSS_LOGISTIC
                  : c->predictor_type == LL_MULTICLASS ? LOSS_SOFTMAX : LOSS_SQUARED;
        return OPTML_OK;
    }
    if (types[c->loss] & (1u << c->predictor_type))
        return OPTML_OK;
    static const char *const allowed[] = {
        [LL_BINARY] = "auto, logistic, hinge_loss",
        [LL_MULTICLASS] = "auto, softmax_loss",
        [LL_REGRESSOR] = "auto, squared_loss, absolute_loss, eps_insensitive_squared_loss, "
                         "eps_insensitive_absolute_loss, quantile_loss, huber_loss",
    };
    return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'loss': '%s' cannot be used with predictor_type %s; "
                       "use one of %s", LOSSES[c->loss], ll_predictor_name(c->predictor_type),
                       allowed[c->predictor_type]);
}

static optml_status pick_weights(optml_ctx *ctx, struct ll_config *c)
{
    const char *t = c->positive_example_weight_mult;
    c->pos_weight = 1.0f;
    c->pos_weight_balanced = 0;
    if (!t || strcmp(t, "auto") == 0)
        return OPTML_OK;
    if (strcmp(t, "balanced") == 0) {
        c->pos_weight_balanced = 1;
        return OPTML_OK;
    }
    char *end = NULL;
    double v = strtod(t, &end);
    if (end == t || *end || !(v > 0) || v > 1e30)
        return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'positive_example_weight_mult' must be "
                           "a number > 0, balanced or auto, got '%.60s'", t);
    c->pos_weight = (float)v;
    return OPTML_OK;
}

optml_status ll_resolve(optml_ctx *ctx, void *config)
{
    struct ll_config *c = config;
    c->K = 1;
    if (c->predictor_type == LL_MULTICLASS) {
        if (OPTML_IS_UNSET(c->num_classes))
            return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'num_classes' is required when "
                               "predictor_type is multiclass_classifier (an integer >= 3)");
        if (c->num_classes < 3)
            return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'num_classes' must be >= 3 for "
                               "multiclass_classifier, got %zu (use binary_classifier for 2 classes)",
                               c->num_classes);
        c->K = c->num_classes;
    }
    optml_status s = pick_loss(ctx, c);
    if (s != OPTML_OK)
        return s;
    if (c->loss == LOSS_HUBER && !(c->lp.huber_delta > 0))
        return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'huber_delta' must be > 0 for huber_loss");
    if (OPTML_IS_UNSET(c->learning_rate))
        c->learning_rate = c->optimizer == OPTIM_ADAM ? 0.02f : 0.01f;
    if (OPTML_IS_UNSET(c->beta_2))
        c->beta_2 = c->optimizer == OPTIM_RMSPROP ? 0.9f : 0.999f;
    c->eps = 1e-8f;
    c->wd_auto = OPTML_IS_UNSET(c->wd);
    c->l1_auto = OPTML_IS_UNSET(c->l1);
    if (OPTML_IS_UNSET(c->normalize_label))
        c->normalize_label = c->predictor_type == LL_REGRESSOR;
    if (OPTML_IS_UNSET(c->unbias_label))
        c->unbias_label = c->predictor_type == LL_REGRESSOR && c->use_bias;
    c->criterion = CRITERION_OF[c->binary_classifier_model_selection_criteria];
    return pick_weights(ctx, c);
}

const char *ll_predictor_name(enum ll_predictor t)
{
    return t == LL_BINARY ? "binary_classifier" : t == LL_MULTICLASS ? "multiclass_classifier" : "regressor";
}

const char *ll_loss_name(enum loss_kind k)
{
    switch (k) {
    case LOSS_SQUARED: return "squared_loss";
    case LOSS_ABSOLUTE: return "absolute_loss";
    case LOSS_EPS_SQUARED: return "eps_insensitive_squared_loss";
    case LOSS_EPS_ABSOLUTE: return "eps_insensitive_absolute_loss";
    case LOSS_QUANTILE: return "quantile_loss";
    case LOSS_HUBER: return "huber_loss";
    case LOSS_LOGISTIC: return "logistic";
    case LOSS_HINGE: return "hinge_loss";
    case LOSS_SOFTMAX: return "softmax_loss";
    }
    return "unknown";
}

const char *ll_optimizer_name(enum optim_kind k)
{
    return k == OPTIM_SGD ? "sgd" : k == OPTIM_RMSPROP ? "rmsprop" : "adam";
}

const char *ll_objective_name(enum ll_predictor t, enum loss_kind k)
{
    if (t == LL_BINARY)
        return k == LOSS_HINGE ? "binary_classification_hinge_loss_objective"
                               : "binary_classification_cross_entropy_objective";
    if (t == LL_MULTICLASS)
        return "multiclass_cross_entropy_objective";
    switch (k) {
    case LOSS_ABSOLUTE: return "absolute_loss_objective";
    case LOSS_EPS_SQUARED: return "eps_insensitive_squared_loss_objective";
    case LOSS_EPS_ABSOLUTE: return "eps_insensitive_absolute_loss_objective";
    case LOSS_QUANTILE: return "quantile_loss_objective";
    case LOSS_HUBER: return "huber_loss_objective";
    default: return "mse_objective";
    }
}
