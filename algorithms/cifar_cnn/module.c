/*
 * module.c: the cifar-cnn exported module table (the Keras cifar10_cnn
 * network and the SageMaker TensorFlow CIFAR-10 example: ALGORITHMS.md
 * section B) and nothing else: hparams.c declares and resolves the
 * hyperparameters, train.c trains, model.c saves, loads and serves the
 * model, request.c parses requests and writes answers.
 */
#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"
#include "cifar_cnn/request.h"

/* Formats are recognised from the content (formats.c); any of these
 * ContentTypes is accepted for any of them. */
static const char *const TRAIN_TYPES[] = {"application/x-tfrecord", "application/octet-stream",
                                          "application/x-image", "application/x-idx", NULL};
static const struct optml_channel_decl CHANNELS[] = {
    {"train", OPTML_CHANNEL_REQUIRED, TRAIN_TYPES},
    {"validation", 0, TRAIN_TYPES},
    {"eval", 0, TRAIN_TYPES},
};

OPTML_MODULE(.name = CC_MODULE_NAME, .version = "0.1.0", .model_format_version = CC_FORMAT_VERSION,
             .description = "image classifier (the Keras CIFAR-10 CNN, or the SageMaker TensorFlow CIFAR-10 "
                            "example's network), drop-in for that example's container",
             .hparams = cc_hparams, .n_hparams = CC_N_HPARAMS, .config_size = sizeof(struct cc_config),
             .resolve = cc_resolve, .channels = CHANNELS, .n_channels = OPTML_COUNTOF(CHANNELS),
             .request_types = cc_request_types, .response_types = cc_response_types,
             .default_accept = "application/json", .train = cc_train, .model_load = cc_model_load,
             .predict = cc_predict, .model_free = cc_model_free, .multi_host = 1);
