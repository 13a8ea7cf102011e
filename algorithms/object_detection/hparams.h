/*
 * hparams.h: the object-detection hyperparameters (ALGORITHMS.md D.1),
 * bound into struct od_config, and od_resolve, which checks what the table
 * cannot (the lr_scheduler_step list, freeze_layer_pattern as a regular
 * expression, the backbones and options not available) and fills the
 * autos.  module.c declares them.
 */
#ifndef OPTML_OD_HPARAMS_H
#define OPTML_OD_HPARAMS_H

#include <stdint.h>

#include "optml/algorithm.h"

#define OD_MAX_LR_STEPS 32

enum od_base_network { OD_NET_MOBILENET_SSDLITE, OD_NET_VGG16, OD_NET_RESNET50 };
enum od_optimizer { OD_OPT_SGD, OD_OPT_ADAM, OD_OPT_RMSPROP, OD_OPT_ADADELTA };

struct od_config {
    int32_t num_classes;
    int64_t num_training_samples;
    int base_network;               /* enum od_base_network */
    double width_multiplier;        /* mobilenet-ssdlite's width */
    int32_t use_pretrained_model;
    int32_t epochs;
    int32_t mini_batch_size;
    double learning_rate;
    const char *lr_scheduler_step;  /* as given; parsed into lr_steps */
    double lr_scheduler_factor;
    int optimizer;                  /* enum od_optimizer */
    double momentum, weight_decay;
    double overlap_threshold, nms_threshold;
    int32_t nms_topk;
    int32_t image_shape;
    int32_t label_width;
    const char *freeze_layer_pattern;
    int early_stopping;
    int32_t early_stopping_min_epochs, early_stopping_patience;
    double early_stopping_tolerance;
    const char *kv_store;
    int32_t threads;
    int64_t seed;
    /* set by od_resolve */
    int32_t n_lr_steps;
    int32_t lr_steps[OD_MAX_LR_STEPS]; /* epochs, increasing */
};

#define OD_N_HPARAMS 26
extern const struct optml_hparam_decl od_hparams[OD_N_HPARAMS];

/* The module's resolve(): OPTML_E_CLIENT with a one-line message for
 * lr_scheduler_step that is not a comma list of increasing epochs from 1
 * (at most OD_MAX_LR_STEPS), lr_scheduler_factor not below 1, a
 * freeze_layer_pattern that is not a POSIX extended regular expression.
 * threads auto:
 * the CPUs available.  (use_pretrained_model=1 without a `model` channel
 * is refused by train.c, which sees the channels.) */
optml_status od_resolve(optml_ctx *ctx, void *config);

/* Parses "10,20" (spaces allowed around numbers; "" is no step) into at
 * most max increasing epochs >= 1; returns their count, or -1. */
int od_parse_lr_steps(const char *s, int32_t *steps, int max);

#endif
