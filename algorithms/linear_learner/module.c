/*
 * module.c: the linear learner's exported module table (SageMaker's built-in
 * `linear-learner`: ALGORITHMS.md section C) and nothing else: the
 * hyperparameters are declared and resolved in hparams.c, training is
 * train.c, serving model.c and predict.c (which also holds the served
 * media types).  Multi-host training: train.c, step.c, hosts.c.
 */
#include "linear_learner/ll.h"

static const char *const TRAIN_TYPES[] = {"text/csv", "application/x-recordio-protobuf", NULL};
static const struct optml_channel_decl CHANNELS[] = {
    {"train", OPTML_CHANNEL_REQUIRED, TRAIN_TYPES},
    {"validation", 0, TRAIN_TYPES},
    {"test", 0, TRAIN_TYPES},
};

OPTML_MODULE(.name = LL_MODULE_NAME, .version = "1.0.0", .model_format_version = LL_FORMAT_VERSION,
             .description = "linear models (binary, multiclass, regression) trained with minibatch SGD/Adam, "
                            "SageMaker linear-learner compatible",
             .hparams = ll_hparams, .n_hparams = LL_N_HPARAMS, .config_size = sizeof(struct ll_config),
             .resolve = ll_resolve,
             .channels = CHANNELS, .n_channels = OPTML_COUNTOF(CHANNELS),
             .request_types = ll_request_types, .response_types = ll_response_types,
             .default_accept = "application/json",
             .train = ll_train, .model_load = ll_model_load, .predict = ll_predict,
             .model_free = ll_model_release, .multi_host = 1);
