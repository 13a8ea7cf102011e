/*
 * hparams.c: the linear learner's hyperparameter table (ALGORITHMS.md C.2,
 * plus `seed`) and its resolution into struct ll_config: `auto` values
 * replaced by their defaults, cross-key checks the runtime's per-key
 * validation cannot make, and the names used in logs and metrics.
 */
#include <stdlib.h>
#include <string.h>

#include "linear_learner/ll.h"

static const char *const PREDICTORS[] = {"binary_classifier", "multiclass_classifier", "regressor", NULL};
static const char *const LOSSES[] = {"logistic", "squared_loss", "absolute_loss", "hinge_loss",
                                     "eps_insensitive_squared_loss", "eps_insensitive_absolute_loss",
                                     "quantile_loss", "huber_loss", "softmax_loss", NULL};
static const char *const OPTIMIZERS[] = {"sgd", "adam", "rmsprop", NULL};
static const char *const CRITERIA[] = {"accuracy", "f_beta", "precision_at_target_recall",
                                       "recall_at_target_precision", "loss_function",
                                       "f1", "cross_entropy_loss", NULL};
static const char *const INITS[] = {"uniform", "normal", NULL};

#define AUTO OPTML_HP_ALLOW_AUTO
#define MIN OPTML_HP_HAS_MIN
#define MAX OPTML_HP_HAS_MAX
#define GT0 (OPTML_HP_HAS_MIN | OPTML_HP_MIN_EXCLUSIVE)
#define SHAPES OPTML_HP_SHAPES_MODEL

const struct optml_hparam_decl ll_hparams[] = {
    {"predictor_type", OPTML_HP_ENUM, NULL, OPTML_HP_REQUIRED | SHAPES, 0, 0, PREDICTORS,
     "binary_classifier, multiclass_classifier or regressor"},
    {"num_classes", OPTML_HP_INT, NULL, SHAPES | MIN | MAX, 1, 1000000, NULL,
     "number of classes (multiclass_classifier: required, >= 3)"},
    {"feature_dim", OPTML_HP_INT, "auto", AUTO | SHAPES | MIN | MAX, 1, LL_MAX_DIM, NULL,
     "number of features (auto: from the data)"},
    {"mini_batch_size", OPTML_HP_INT, "1000", MIN | MAX, 1, 1000000, NULL, "rows per update"},
    {"epochs", OPTML_HP_INT, "15", MIN | MAX, 1, 1000000, NULL, "passes over the training data"},
    {"num_models", OPTML_HP_INT, "auto", AUTO | MIN | MAX, 1, 256, NULL,
     "models trained in parallel with varied settings (auto: 8)"},
    {"num_calibration_samples", OPTML_HP_INT, "auto", AUTO | MIN, 1, 0, NULL,
     "rows used for threshold calibration and model selection (auto: 10000)"},
    {"loss", OPTML_HP_ENUM, "auto", AUTO, 0, 0, LOSSES,
     "loss (auto: logistic, softmax_loss or squared_loss by predictor_type)"},
    {"optimizer", OPTML_HP_ENUM, "auto", AUTO, 0, 0, OPTIMIZERS, "optimizer (auto: adam)"},
    {"learning_rate", OPTML_HP_FLOAT, "auto", AUTO | GT0, 0, 0, NULL,
     "step size (auto: 0.02 adam, 0.01 sgd and rmsprop)"},
    {"momentum", OPTML_HP_FLOAT, "auto", AUTO | MIN | MAX, 0, 0.999999, NULL, "sgd momentum (auto: 0.9)"},
    {"beta_1", OPTML_HP_FLOAT, "auto", AUTO | MIN | MAX, 0, 0.999999, NULL, "adam beta 1 (auto: 0.9)"},
    {"beta_2", OPTML_HP_FLOAT, "auto", AUTO | MIN | MAX, 0, 0.999999, NULL,
     "adam beta 2 / rmsprop decay (auto: 0.999 adam, 0.9 rmsprop)"},
    {"wd", OPTML_HP_FLOAT, "auto", AUTO | MIN, 0, 0, NULL, "L2 regularisation (auto: 0, varied across models)"},
    {"l1", OPTML_HP_FLOAT, "auto", AUTO | MIN, 0, 0, NULL, "L1 regularisation (auto: 0, varied across models)"},
    {"bias_lr_mult", OPTML_HP_FLOAT, "auto", AUTO | GT0, 0, 0, NULL, "bias learning-rate multiplier (auto: 1)"},
    {"bias_wd_mult", OPTML_HP_FLOAT, "auto", AUTO | MIN, 0, 0, NULL,
     "bias regularisation multiplier (auto: 0, no bias regularisation)"},
    {"use_bias", OPTML_HP_BOOL, "true", 0, 0, 0, NULL, "learn an intercept"},
    {"use_lr_scheduler", OPTML_HP_BOOL, "true", 0, 0, 0, NULL, "decay the learning rate in steps"},
    {"lr_scheduler_step", OPTML_HP_INT, "auto", AUTO | MIN, 1, 0, NULL, "updates between decays (auto: 100)"},
    {"lr_scheduler_factor", OPTML_HP_FLOAT, "auto", AUTO | GT0 | MAX, 0, 1, NULL, "decay factor (auto: 0.99)"},
    {"lr_scheduler_minimum_lr", OPTML_HP_FLOAT, "auto", AUTO | GT0, 0, 0, NULL,
     "learning-rate floor (auto: 1e-5)"},
    {"normalize_data", OPTML_HP_BOOL, "true", AUTO, 0, 0, NULL, "standardise the features"},
    {"normalize_label", OPTML_HP_BOOL, "auto", AUTO, 0, 0, NULL,
     "standardise the label (auto: true for regressor, never for classifiers)"},
    {"unbias_data", OPTML_HP_BOOL, "auto", AUTO, 0, 0, NULL,
     "centre the features (auto: when normalising dense data with a bias)"},
    {"unbias_label", OPTML_HP_BOOL, "auto", AUTO, 0, 0, NULL, "centre the label (auto: regressor with use_bias)"},
    {"num_point_for_scaler", OPTML_HP_INT, "10000", MIN, 1, 0, NULL, "rows used to compute the scaler"},
    {"binary_classifier_model_selection_criteria", OPTML_HP_ENUM, "accuracy", 0, 0, 0, CRITERIA,
     "how the best binary model and its threshold are chosen"},
    {"target_recall", OPTML_HP_FLOAT, "0.8", MIN | MAX, 0, 1, NULL, "for precision_at_target_recall"},
    {"target_precision", OPTML_HP_FLOAT, "0.8", MIN | MAX, 0, 1, NULL, "for recall_at_target_precision"},
    {"positive_example_weight_mult", OPTML_HP_STRING, "1.0", 0, 0, 0, NULL,
     "weight of positive rows: a number > 0, balanced or auto (1)"},
    {"balance_multiclass_weights", OPTML_HP_BOOL, "false", 0, 0, 0, NULL, "weight classes by inverse frequency"},
    {"accuracy_top_k", OPTML_HP_INT, "3", MIN | MAX, 1, 1000000, NULL, "k of multiclass_top_k_accuracy"},
    {"f_beta", OPTML_HP_FLOAT, "1.0", GT0, 0, 0, NULL, "beta of the F score"},
    {"early_stopping_patience", OPTML_HP_INT, "3", MIN, 1, 0, NULL,
     "epochs without improvement before stopping"},
    {"early_stopping_tolerance", OPTML_HP_FLOAT, "0.001", GT0, 0, 0, NULL,
     "relative improvement of the validation objective that counts"},
    {"huber_delta", OPTML_HP_FLOAT, "1.0", MIN, 0, 0, NULL, "huber_loss delta"},
    {"quantile", OPTML_HP_FLOAT, "0.5", GT0 | MAX, 0, 0.999999, NULL, "quantile_loss quantile"},
    {"loss_insensitivity", OPTML_HP_FLOAT, "0.01", GT0, 0, 0, NULL, "epsilon of the eps-insensitive losses"},
    {"margin", OPTML_HP_FLOAT, "1.0", MIN, 0, 0, NULL, "hinge_loss margin"},
    {"init_method", OPTML_HP_ENUM, "uniform", 0, 0, 0, INITS, "weight initialisation"},
    {"init_scale", OPTML_HP_FLOAT, "0.07", GT0, 0, 0, NULL, "uniform init range +-init_scale"},
    {"init_sigma", OPTML_HP_FLOAT, "0.01", GT0, 0, 0, NULL, "normal init standard deviation"},
    {"init_bias", OPTML_HP_FLOAT, "0", 0, 0, 0, NULL, "initial bias"},
    {"seed", OPTML_HP_INT, "0", MIN, 0, 0, NULL,
     "random seed (optml extension): same data and seed give the same model"},
};
_Static_assert(sizeof(ll_hparams) / sizeof(ll_hparams[0]) == LL_N_HPARAMS, "LL_N_HPARAMS");

static int streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static float fl_or(optml_ctx *ctx, const char *name, float dflt)
{
    return optml_hp_is_auto(ctx, name) ? dflt : (float)optml_hp_float(ctx, name);
}

/* A boolean that may be auto: -1 for auto. */
static int tri(optml_ctx *ctx, const char *name)
{
    return optml_hp_is_auto(ctx, name) ? -1 : optml_hp_bool(ctx, name) != 0;
}

static optml_status pick_loss(optml_ctx *ctx, struct ll_config *c)
{
    static const struct {
        const char *name;
        enum loss_kind kind;
        unsigned types; /* bit per predictor */
    } table[] = {
        {"logistic", LOSS_LOGISTIC, 1u << LL_BINARY},
        {"hinge_loss", LOSS_HINGE, 1u << LL_BINARY},
        {"softmax_loss", LOSS_SOFTMAX, 1u << LL_MULTICLASS},
        {"squared_loss", LOSS_SQUARED, 1u << LL_REGRESSOR},
        {"absolute_loss", LOSS_ABSOLUTE, 1u << LL_REGRESSOR},
        {"eps_insensitive_squared_loss", LOSS_EPS_SQUARED, 1u << LL_REGRESSOR},
        {"eps_insensitive_absolute_loss", LOSS_EPS_ABSOLUTE, 1u << LL_REGRESSOR},
        {"quantile_loss", LOSS_QUANTILE, 1u << LL_REGRESSOR},
        {"huber_loss", LOSS_HUBER, 1u << LL_REGRESSOR},
    };
    if (optml_hp_is_auto(ctx, "loss")) {
        c->loss = c->type == LL_BINARY ? LOSS_LOGISTIC : c->type == LL_MULTICLASS ? LOSS_SOFTMAX : LOSS_SQUARED;
        return OPTML_OK;
    }
    const char *name = optml_hp_string(ctx, "loss");
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (!streq(name, table[i].name))
            continue;
        if (!(table[i].types & (1u << c->type)))
            break;
        c->loss = table[i].kind;
        return OPTML_OK;
    }
    static const char *const allowed[] = {
        [LL_BINARY] = "auto, logistic, hinge_loss",
        [LL_MULTICLASS] = "auto, softmax_loss",
        [LL_REGRESSOR] = "auto, squared_loss, absolute_loss, eps_insensitive_squared_loss, "
                         "eps_insensitive_absolute_loss, quantile_loss, huber_loss",
    };
    return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'loss': '%s' cannot be used with predictor_type %s; "
                       "use one of %s", name ? name : "", ll_predictor_name(c->type), allowed[c->type]);
}

static optml_status pick_weights(optml_ctx *ctx, struct ll_config *c)
{
    const char *t = optml_hp_string(ctx, "positive_example_weight_mult");
    c->pos_weight = 1.0f;
    c->pos_weight_balanced = 0;
    if (!t || streq(t, "auto"))
        return OPTML_OK;
    if (streq(t, "balanced")) {
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

optml_status ll_config_load(optml_ctx *ctx, struct ll_config *c)
{
    memset(c, 0, sizeof(*c));
    const char *pt = optml_hp_string(ctx, "predictor_type");
    c->type = streq(pt, "multiclass_classifier") ? LL_MULTICLASS : streq(pt, "regressor") ? LL_REGRESSOR : LL_BINARY;
    c->K = 1;
    if (c->type == LL_MULTICLASS) {
        if (!optml_hp_is_set(ctx, "num_classes"))
            return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'num_classes' is required when "
                               "predictor_type is multiclass_classifier (an integer >= 3)");
        int64_t k = optml_hp_int(ctx, "num_classes");
        if (k < 3)
            return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'num_classes' must be >= 3 for "
                               "multiclass_classifier, got %lld (use binary_classifier for 2 classes)",
                               (long long)k);
        c->K = (size_t)k;
    }
    c->feature_dim = optml_hp_is_auto(ctx, "feature_dim") ? 0 : (size_t)optml_hp_int(ctx, "feature_dim");
    c->batch = (size_t)optml_hp_int(ctx, "mini_batch_size");
    c->epochs = (int)optml_hp_int(ctx, "epochs");
    c->num_models = optml_hp_is_auto(ctx, "num_models") ? 8 : (size_t)optml_hp_int(ctx, "num_models");
    c->calib_rows = optml_hp_is_auto(ctx, "num_calibration_samples")
                        ? 10000 : (size_t)optml_hp_int(ctx, "num_calibration_samples");
    optml_status s = pick_loss(ctx, c);
    if (s != OPTML_OK)
        return s;
    c->lp.eps = (float)optml_hp_float(ctx, "loss_insensitivity");
    c->lp.quantile = (float)optml_hp_float(ctx, "quantile");
    c->lp.huber_delta = (float)optml_hp_float(ctx, "huber_delta");
    c->lp.margin = (float)optml_hp_float(ctx, "margin");
    if (c->loss == LOSS_HUBER && !(c->lp.huber_delta > 0))
        return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'huber_delta' must be > 0 for huber_loss");

    const char *opt = optml_hp_is_auto(ctx, "optimizer") ? "adam" : optml_hp_string(ctx, "optimizer");
    c->optimizer = streq(opt, "sgd") ? OPTIM_SGD : streq(opt, "rmsprop") ? OPTIM_RMSPROP : OPTIM_ADAM;
    c->lr = fl_or(ctx, "learning_rate", c->optimizer == OPTIM_ADAM ? 0.02f : 0.01f);
    c->momentum = fl_or(ctx, "momentum", 0.9f);
    c->beta1 = fl_or(ctx, "beta_1", 0.9f);
    c->beta2 = fl_or(ctx, "beta_2", c->optimizer == OPTIM_RMSPROP ? 0.9f : 0.999f);
    c->eps = 1e-8f;
    c->wd_auto = optml_hp_is_auto(ctx, "wd");
    c->l1_auto = optml_hp_is_auto(ctx, "l1");
    c->wd = fl_or(ctx, "wd", 0.0f);
    c->l1 = fl_or(ctx, "l1", 0.0f);
    c->bias_lr_mult = fl_or(ctx, "bias_lr_mult", 1.0f);
    c->bias_wd_mult = fl_or(ctx, "bias_wd_mult", 0.0f);
    c->use_bias = optml_hp_bool(ctx, "use_bias");
    c->use_lr_scheduler = optml_hp_bool(ctx, "use_lr_scheduler");
    c->lr_step = optml_hp_is_auto(ctx, "lr_scheduler_step") ? 100 : (long)optml_hp_int(ctx, "lr_scheduler_step");
    c->lr_factor = fl_or(ctx, "lr_scheduler_factor", 0.99f);
    c->lr_min = fl_or(ctx, "lr_scheduler_minimum_lr", 1e-5f);

    int nd = tri(ctx, "normalize_data");
    c->normalize_data = nd != 0;
    int nl = tri(ctx, "normalize_label");
    c->normalize_label = c->type == LL_REGRESSOR && nl != 0;
    c->unbias_data = tri(ctx, "unbias_data");
    int ul = tri(ctx, "unbias_label");
    c->unbias_label = c->type == LL_REGRESSOR && (ul < 0 ? c->use_bias : ul);
    c->scaler_rows = (size_t)optml_hp_int(ctx, "num_point_for_scaler");

    const char *crit = optml_hp_string(ctx, "binary_classifier_model_selection_criteria");
    c->criterion = streq(crit, "f_beta") || streq(crit, "f1")                   ? LL_CRIT_F_BETA
                   : streq(crit, "precision_at_target_recall")                   ? LL_CRIT_PRECISION_AT_RECALL
                   : streq(crit, "recall_at_target_precision")                   ? LL_CRIT_RECALL_AT_PRECISION
                   : streq(crit, "loss_function") || streq(crit, "cross_entropy_loss") ? LL_CRIT_LOSS
                                                                                 : LL_CRIT_ACCURACY;
    c->target_recall = (float)optml_hp_float(ctx, "target_recall");
    c->target_precision = (float)optml_hp_float(ctx, "target_precision");
    c->f_beta = (float)optml_hp_float(ctx, "f_beta");
    if ((s = pick_weights(ctx, c)) != OPTML_OK)
        return s;
    c->balance_multiclass = optml_hp_bool(ctx, "balance_multiclass_weights");
    c->top_k = (int)optml_hp_int(ctx, "accuracy_top_k");
    c->patience = (int)optml_hp_int(ctx, "early_stopping_patience");
    c->tolerance = (float)optml_hp_float(ctx, "early_stopping_tolerance");
    c->init_normal = streq(optml_hp_string(ctx, "init_method"), "normal");
    c->init_scale = (float)optml_hp_float(ctx, "init_scale");
    c->init_sigma = (float)optml_hp_float(ctx, "init_sigma");
    c->init_bias = (float)optml_hp_float(ctx, "init_bias");
    c->seed = (uint64_t)optml_hp_int(ctx, "seed");
    return OPTML_OK;
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
