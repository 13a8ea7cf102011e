/*
 * hparams.c: the cifar-cnn hyperparameter table, bound into struct
 * cc_config, and cc_resolve.  Names are the SageMaker example's
 * (cifar10_keras_main.py: dashes), plus architecture, augmentation,
 * num_classes, shuffle_buffer, seed, threads.  `auto` stands for the
 * chosen architecture's reference value (ALGORITHMS.md B.1 for
 * keras-cifar10, B.3 for sagemaker-cifar10).  The keys the example's
 * script requires or the SDK injects (model_dir, model_output_dir,
 * tensorboard-dir, data-config, fw-params) are accepted and ignored; the
 * runtime itself accepts every sagemaker_* key.
 */
#include "cifar_cnn/cc.h"

static const char *const ARCHS[] = {[CC_ARCH_KERAS] = "keras-cifar10", [CC_ARCH_SAGEMAKER] = "sagemaker-cifar10",
                                    NULL};
static const char *const OPTIMIZERS[] = {[CC_OPT_SGD] = "sgd", [CC_OPT_RMSPROP] = "rmsprop",
                                         [CC_OPT_ADAM] = "adam", NULL};

#define IGNORED "accepted and ignored (the SageMaker example's script takes it)"

const struct optml_hparam_decl cc_hparams[CC_N_HPARAMS] = {
    OPTML_HP_ROW(struct cc_config, architecture, ENUM, "keras-cifar10", OPTML_SHAPES, 0, 0,
                 "keras-cifar10 (the Keras cifar10_cnn network) or sagemaker-cifar10 (the SageMaker example's, "
                 "with batch norm)", .choices = ARCHS),
    OPTML_HP_ROW(struct cc_config, epochs, I32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 1, 100000,
                 "passes over the training data (auto: keras-cifar10 100, sagemaker-cifar10 10)"),
    OPTML_HP_ROW_NAMED("batch-size", struct cc_config, batch_size, I32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX,
                       1, 65536, "images per update (auto: keras-cifar10 32, sagemaker-cifar10 128)"),
    OPTML_HP_ROW_NAMED("learning-rate", struct cc_config, learning_rate, F64, "auto",
                       OPTML_AUTO | OPTML_GT_MIN | OPTML_MAX, 0, 100,
                       "initial step size (auto: keras-cifar10 0.0001, sagemaker-cifar10 0.001)"),
    OPTML_HP_ROW(struct cc_config, optimizer, ENUM, "auto", OPTML_AUTO, 0, 0,
                 "sgd, rmsprop or adam (auto: keras-cifar10 rmsprop, sagemaker-cifar10 adam)", .choices = OPTIMIZERS),
    OPTML_HP_ROW(struct cc_config, momentum, F64, "0.9", OPTML_MIN | OPTML_MAX, 0, 1,
                 "sgd: momentum"),
    OPTML_HP_ROW_NAMED("weight-decay", struct cc_config, weight_decay, F64, "auto", OPTML_AUTO | OPTML_MIN, 0, 0,
                       "Keras learning-rate time decay, lr / (1 + decay * updates), not L2 (auto: keras-cifar10 "
                       "1e-6, sagemaker-cifar10 2e-4)"),
    OPTML_HP_ROW(struct cc_config, augmentation, BOOL, "true", 0, 0, 0,
                 "random shifts (keras-cifar10) or pad-and-crop (sagemaker-cifar10) and horizontal flips of the "
                 "training images"),
    OPTML_HP_ROW(struct cc_config, num_classes, I32, "auto", OPTML_AUTO | OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 2,
                 CC_MAX_CLASSES, "classes (auto: the largest training label + 1)"),
    OPTML_HP_ROW(struct cc_config, shuffle_buffer, I32, "10000", OPTML_MIN | OPTML_MAX, 1, 1000000,
                 "training images held for shuffling (memory: this many images)"),
    OPTML_HP_ROW(struct cc_config, seed, I64, "42", OPTML_MIN, 0, 0,
                 "random seed (initialisation, shuffling, augmentation, dropout)"),
    OPTML_HP_ROW(struct cc_config, threads, I32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 1, 256,
                 "training threads (auto: the CPUs available)"),
    OPTML_HP_ROW(struct cc_config, model_dir, STRING, NULL, 0, 0, 0, IGNORED),
    OPTML_HP_ROW(struct cc_config, model_output_dir, STRING, NULL, 0, 0, 0, IGNORED),
    OPTML_HP_ROW_NAMED("tensorboard-dir", struct cc_config, tensorboard_dir, STRING, NULL, 0, 0, 0, IGNORED),
    OPTML_HP_ROW_NAMED("data-config", struct cc_config, data_config, STRING, NULL, 0, 0, 0, IGNORED),
    OPTML_HP_ROW_NAMED("fw-params", struct cc_config, fw_params, STRING, NULL, 0, 0, 0, IGNORED),
};
_Static_assert(sizeof(cc_hparams) / sizeof(cc_hparams[0]) == CC_N_HPARAMS, "CC_N_HPARAMS");

optml_status cc_resolve(optml_ctx *ctx, void *config)
{
    (void)ctx;
    struct cc_config *c = config;
    int keras = c->architecture == CC_ARCH_KERAS;
    if (OPTML_IS_UNSET(c->epochs))
        c->epochs = keras ? 100 : 10;
    if (OPTML_IS_UNSET(c->batch_size))
        c->batch_size = keras ? 32 : 128;
    if (OPTML_IS_UNSET(c->learning_rate))
        c->learning_rate = keras ? 1e-4 : 1e-3;
    if (OPTML_IS_UNSET(c->optimizer))
        c->optimizer = keras ? CC_OPT_RMSPROP : CC_OPT_ADAM;
    if (OPTML_IS_UNSET(c->weight_decay))
        c->weight_decay = keras ? 1e-6 : 2e-4;
    if (OPTML_IS_UNSET(c->threads))
        c->threads = optml_cpu_count();
    return OPTML_OK;
}
