/*
 * hparams.c: the object-detection hyperparameter table (hparams.h): the
 * names, defaults and ranges of SageMaker's built-in (ALGORITHMS.md D.1),
 * with optml's differences: base_network defaults to mobilenet-ssdlite
 * (README.md, "Backbone"), width_multiplier, threads and seed are added,
 * image_shape goes down to 64 (the built-in's minimum is 300),
 * use_pretrained_model defaults to 0 as the built-in container's own
 * defaults have it.  The hidden keys (_kvstore, _num_kv_servers,
 * _tuning_objective_metric) start with `_` and are accepted by the runtime.
 */
#include "hparams.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>

static const char *const NETWORKS[] = {[OD_NET_MOBILENET_SSDLITE] = "mobilenet-ssdlite", [OD_NET_VGG16] = "vgg-16",
                                       [OD_NET_RESNET50] = "resnet-50", NULL};
static const char *const OPTIMIZERS[] = {[OD_OPT_SGD] = "sgd", [OD_OPT_ADAM] = "adam", [OD_OPT_RMSPROP] = "rmsprop",
                                         [OD_OPT_ADADELTA] = "adadelta", NULL};

#define T struct od_config
const struct optml_hparam_decl od_hparams[OD_N_HPARAMS] = {
    OPTML_HP_ROW(T, num_classes, I32, NULL, OPTML_HP_REQUIRED | OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1, 10000,
                 "object classes (without the background)"),
    OPTML_HP_ROW(T, num_training_samples, I64, NULL, OPTML_HP_REQUIRED | OPTML_MIN, 1, 0,
                 "training images; must match the data"),
    OPTML_HP_ROW(T, base_network, ENUM, "mobilenet-ssdlite", OPTML_SHAPES, 0, 0,
                 "mobilenet-ssdlite (the CPU default), vgg-16 or resnet-50 (SageMaker's; slow on CPUs)",
                 .choices = NETWORKS),
    OPTML_HP_ROW(T, width_multiplier, F64, "0.5", OPTML_SHAPES | OPTML_GT_MIN | OPTML_MAX, 0, 1,
                 "mobilenet-ssdlite: channels x this (1, 0.5, 0.25)"),
    OPTML_HP_ROW(T, use_pretrained_model, I32, "0", OPTML_MIN | OPTML_MAX, 0, 1,
                 "1: start from pretrained weights (none ship; give an earlier model as the model channel)"),
    OPTML_HP_ROW(T, epochs, I32, "30", OPTML_MIN | OPTML_MAX, 1, 100000, "passes over the training data"),
    OPTML_HP_ROW(T, mini_batch_size, I32, "32", OPTML_MIN | OPTML_MAX, 1, 65536, "images per update"),
    OPTML_HP_ROW(T, learning_rate, F64, "0.001", OPTML_GT_MIN | OPTML_MAX, 0, 1, "initial step size"),
    OPTML_HP_ROW(T, lr_scheduler_step, STRING, "", 0, 0, 0,
                 "epochs at which the learning rate is multiplied by lr_scheduler_factor, e.g. 10,20"),
    OPTML_HP_ROW(T, lr_scheduler_factor, F64, "0.1", OPTML_GT_MIN | OPTML_MAX, 0, 1,
                 "learning-rate factor at each lr_scheduler_step epoch (below 1)"),
    OPTML_HP_ROW(T, optimizer, ENUM, "sgd", 0, 0, 0, "sgd, adam, rmsprop or adadelta", .choices = OPTIMIZERS),
    OPTML_HP_ROW(T, momentum, F64, "0.9", OPTML_MIN | OPTML_MAX, 0, 1, "sgd: momentum"),
    OPTML_HP_ROW(T, weight_decay, F64, "0.0005", OPTML_MIN | OPTML_MAX, 0, 1, "L2 strength (sgd, rmsprop)"),
    OPTML_HP_ROW(T, overlap_threshold, F64, "0.5", OPTML_GT_MIN | OPTML_MAX, 0, 1,
                 "IoU a detection needs to count in validation mAP"),
    OPTML_HP_ROW(T, nms_threshold, F64, "0.45", OPTML_GT_MIN | OPTML_MAX, 0, 1,
                 "IoU above which non-maximum suppression drops the weaker box"),
    OPTML_HP_ROW(T, nms_topk, I32, "400", OPTML_MIN | OPTML_MAX, 1, 100000, "candidates entering NMS per image"),
    OPTML_HP_ROW(T, image_shape, I32, "300", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 64, 4096,
                 "side of the square the images are resized to (SageMaker: 300 and up)"),
    OPTML_HP_ROW(T, label_width, I32, "350", OPTML_MIN | OPTML_MAX, 7, 1000000,
                 "RecordIO: label values an image may carry (header + 5 per object)"),
    OPTML_HP_ROW(T, freeze_layer_pattern, STRING, NULL, 0, 0, 0,
                 "regular expression over layer names; matching layers are not trained"),
    OPTML_HP_ROW(T, early_stopping, BOOL, "false", 0, 0, 0, "stop when validation mAP stops improving"),
    OPTML_HP_ROW(T, early_stopping_min_epochs, I32, "10", OPTML_MIN, 1, 0, "epochs before early stopping may stop"),
    OPTML_HP_ROW(T, early_stopping_patience, I32, "5", OPTML_MIN, 1, 0,
                 "epochs without improvement before stopping"),
    OPTML_HP_ROW(T, early_stopping_tolerance, F64, "0.0", OPTML_MIN | OPTML_MAX, 0, 1,
                 "relative mAP improvement that counts"),
    OPTML_HP_ROW(T, kv_store, STRING, "device", 0, 0, 0,
                 "accepted (SageMaker's MXNet setting); training runs on one host"),
    OPTML_HP_ROW(T, threads, I32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 1, 256,
                 "training threads (auto: the CPUs available)"),
    OPTML_HP_ROW(T, seed, I64, "42", OPTML_MIN, 0, 0, "random seed (initialisation, shuffling, augmentation)"),
};
#undef T
_Static_assert(sizeof(od_hparams) / sizeof(od_hparams[0]) == OD_N_HPARAMS, "OD_N_HPARAMS");

int od_parse_lr_steps(const char *s, int32_t *steps, int max)
{
    int n = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    if (!*p)
        return 0;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        char *end;
        long v = strtol(p, &end, 10);
        if (v < 1 || v > 1000000 || n >= max || (n > 0 && v <= steps[n - 1]))
            return -1;
        steps[n++] = (int32_t)v;
        p = end;
        while (*p == ' ')
            p++;
        if (!*p)
            return n;
        if (*p++ != ',')
            return -1;
    }
}

optml_status od_resolve(optml_ctx *ctx, void *config)
{
    struct od_config *c = config;
    int n = od_parse_lr_steps(c->lr_scheduler_step ? c->lr_scheduler_step : "", c->lr_steps, OD_MAX_LR_STEPS);
    if (n < 0)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "Invalid parameter value 'lr_scheduler_step': '%.80s' (expected a comma-separated list "
                           "of increasing epochs, e.g. 10,20; at most %d)",
                           c->lr_scheduler_step, OD_MAX_LR_STEPS);
    c->n_lr_steps = n;
    if (!(c->lr_scheduler_factor < 1.0))
        return optml_error(ctx, OPTML_E_CLIENT, "Invalid parameter value 'lr_scheduler_factor': must be below 1");
    if (c->freeze_layer_pattern) {
        regex_t re;
        if (regcomp(&re, c->freeze_layer_pattern, REG_EXTENDED | REG_NOSUB) != 0)
            return optml_error(ctx, OPTML_E_CLIENT,
                               "Invalid parameter value 'freeze_layer_pattern': '%.80s' is not a regular expression",
                               c->freeze_layer_pattern);
        regfree(&re);
    }
    if (OPTML_IS_UNSET(c->threads))
        c->threads = optml_cpu_count();
    return OPTML_OK;
}
