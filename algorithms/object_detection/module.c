/*
 * module.c: the object-detection exported module table (SageMaker's
 * built-in object detection, ALGORITHMS.md section D) and nothing else:
 * hparams.c declares and resolves the hyperparameters, train.c trains,
 * model.c saves and loads the model, request.c serves it.
 */
#include "object_detection/od.h"

/* D.2: RecordIO, or images (+ their JSON annotation channels). */
static const char *const DATA_TYPES[] = {"application/x-recordio", "image/jpeg", "image/png", "application/x-image",
                                         NULL};
static const char *const ANNOTATION_TYPES[] = {"application/json", "application/x-image", "image/jpeg", "image/png",
                                               "application/x-recordio", NULL};
static const char *const MODEL_TYPES[] = {"application/x-sagemaker-model", "application/x-gzip",
                                          "application/gzip", "application/octet-stream", NULL};
static const struct optml_channel_decl CHANNELS[] = {
    {"train", OPTML_CHANNEL_REQUIRED, DATA_TYPES},
    {"validation", 0, DATA_TYPES},
    {"train_annotation", 0, ANNOTATION_TYPES},
    {"validation_annotation", 0, ANNOTATION_TYPES},
    {"model", 0, MODEL_TYPES},
};

const char *const od_request_types[OD_N_IN + 1] = {[OD_IN_JPEG] = "image/jpeg", [OD_IN_PNG] = "image/png",
                                                   [OD_IN_XIMAGE] = "application/x-image", NULL};
const char *const od_response_types[OD_N_OUT + 1] = {[OD_OUT_JSON] = "application/json",
                                                     [OD_OUT_PNG] = "image/png", NULL};

OPTML_MODULE(.name = OD_MODULE_NAME, .version = "0.1.0", .model_format_version = OD_FORMAT_VERSION,
             .description = "SSD object detector (mobilenet-ssdlite on CPUs), drop-in for SageMaker's built-in "
                            "object-detection",
             .hparams = od_hparams, .n_hparams = OD_N_HPARAMS, .config_size = sizeof(struct od_config),
             .resolve = od_resolve, .channels = CHANNELS, .n_channels = OPTML_COUNTOF(CHANNELS),
             .request_types = od_request_types, .response_types = od_response_types,
             .default_accept = "application/json", .train = od_train, .model_load = od_model_load,
             .predict = od_predict, .model_free = od_model_free);
