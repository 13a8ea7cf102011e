/*
 * cc.h: internal interfaces of the cifar-cnn module (ALGORITHMS.md section
 * B: the Keras cifar10_cnn network and the SageMaker TensorFlow CIFAR-10
 * Pipe-mode/Horovod example).  Everything is prefixed cc_; module.c holds
 * only the exported table, hparams.c the hyperparameters, data*.c the
 * training data, request.c the serving requests and responses.
 */
#ifndef OPTML_CIFAR_CNN_CC_H
#define OPTML_CIFAR_CNN_CC_H

#include <stddef.h>
#include <stdint.h>

#include <optml/algorithm.h>

#define CC_MODULE_NAME "cifar-cnn"
#define CC_FORMAT_VERSION 1u
#define CC_MAX_CLASSES 10000      /* labels 0..9999 */
#define CC_MAX_SIDE 4096          /* image height and width */
#define CC_MAX_CHANNELS 4         /* 1 (grey), 3 (RGB), 4 (RGBA) */
#define CC_MAX_IMAGE_BYTES (64u << 20)

/* ------------------------------------------------------ hyperparameters */

enum cc_arch { CC_ARCH_KERAS, CC_ARCH_SAGEMAKER };
enum cc_optimizer { CC_OPT_SGD, CC_OPT_RMSPROP, CC_OPT_ADAM };

struct cc_config {
    int architecture;          /* enum cc_arch */
    int32_t epochs;
    int32_t batch_size;
    double learning_rate;
    int optimizer;             /* enum cc_optimizer */
    double momentum;
    double weight_decay;       /* Keras `decay`: lr / (1 + decay * iterations) */
    int augmentation;
    int32_t num_classes;       /* unset: from the data */
    int32_t shuffle_buffer;    /* images held for shuffling */
    int64_t seed;
    int32_t threads;
    /* Accepted and ignored: what the SageMaker example's script takes. */
    const char *model_dir, *model_output_dir, *tensorboard_dir, *data_config, *fw_params;
};
#define CC_N_HPARAMS 17
extern const struct optml_hparam_decl cc_hparams[CC_N_HPARAMS];
/* The module's resolve(): each architecture's reference defaults for the
 * keys left auto, threads from the machine. */
optml_status cc_resolve(optml_ctx *ctx, void *config);

/* --------------------------------------------------------------- logs */

/* One epoch's figures for the Keras end-of-epoch line (keras_log.c). */
struct cc_epoch_line {
    uint64_t steps;           /* batches in the epoch */
    double seconds;           /* its wall time */
    double loss, accuracy;    /* training, averaged over the epoch */
    int has_val;
    double val_loss, val_accuracy;
};
/* "N/N [====...] - Ts Xms/step - loss: ... - accuracy: ...[ - val_loss: ...
 * - val_accuracy: ...]" into buf (cut to sz - 1); returns its length. */
size_t cc_keras_epoch_line(char *buf, size_t sz, const struct cc_epoch_line *e);

/* Train (train.c). */
optml_status cc_train(optml_ctx *ctx);

#endif
