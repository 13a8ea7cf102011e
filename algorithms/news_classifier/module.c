/*
 * module.c: the news classifier's exported module table (the Keras
 * news-headline workshop container: ALGORITHMS.md section A) and nothing
 * else: hparams.c declares and resolves the hyperparameters, train.c trains,
 * predict.c serves (request.h names the served media types).
 */
#include "news_classifier/nc.h"
#include "news_classifier/request.h"

static const char *const TRAIN_TYPES[] = {"text/csv", "text/tab-separated-values", "text/plain",
                                          "application/octet-stream", NULL};
static const struct optml_channel_decl CHANNELS[] = {
    {"training", OPTML_CHANNEL_REQUIRED, TRAIN_TYPES},
    {"validation", 0, TRAIN_TYPES},
};

OPTML_MODULE(.name = NC_MODULE_NAME, .version = "1.0.0", .model_format_version = NC_FORMAT_VERSION,
             .description = "news-headline classifier (hashed n-gram TF-IDF linear model, or the Keras workshop "
                            "network), drop-in for the SageMaker Keras text-classification workshop container",
             .hparams = nc_hparams, .n_hparams = NC_N_HPARAMS, .config_size = sizeof(struct nc_config),
             .resolve = nc_resolve,
             .channels = CHANNELS, .n_channels = OPTML_COUNTOF(CHANNELS),
             .request_types = nc_request_types, .response_types = nc_response_types,
             .default_accept = "application/json",
             .unsupported_media_message = "This predictor only supports JSON format",
             .train = nc_train, .model_load = nc_model_load, .predict = nc_predict,
             .model_free = nc_model_release);
