/*
 * test_config.c: the cifar-cnn hyperparameters (algorithms/cifar_cnn/
 * hparams.c) parsed, bound and resolved as `optml train` does: each
 * architecture's reference defaults for the autos, values the user gives
 * kept, the SageMaker example's own keys accepted, bad values refused.
 */
#include <stdio.h>
#include <string.h>

#include "support/harness.h"
#include "support/module_ctx.h"
#include "cifar_cnn/cc.h"

static const struct optml_algorithm CC_ALG = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .api_minor = OPTML_ALGORITHM_API_MINOR,
    .table_size = sizeof(struct optml_algorithm),
    .name = CC_MODULE_NAME,
    .version = "test",
    .model_format_version = CC_FORMAT_VERSION,
    .hparams = cc_hparams,
    .n_hparams = CC_N_HPARAMS,
    .config_size = sizeof(struct cc_config),
    .resolve = cc_resolve,
};

static optml_status config(const char *json, struct cc_config *cfg, char *err, size_t errsz)
{
    struct module_ctx mc;
    optml_status s = module_ctx_init(&mc, &CC_ALG, json, NULL);
    if (s == OPTML_OK)
        *cfg = *(const struct cc_config *)optml_config(&mc.ctx);
    snprintf(err, errsz, "%.250s", optml_error_message(&mc.ctx));
    module_ctx_free(&mc);
    return s;
}

TEST(cifar_config_reference_defaults_per_architecture)
{
    struct cc_config c;
    char err[256];
    ASSERT_EQ_INT(config("{}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.architecture, CC_ARCH_KERAS); /* B.1: RMSprop 1e-4, decay 1e-6, batch 32, 100 epochs */
    ASSERT_EQ_INT(c.optimizer, CC_OPT_RMSPROP);
    ASSERT(c.learning_rate == 1e-4 && c.weight_decay == 1e-6 && c.batch_size == 32 && c.epochs == 100);
    ASSERT(c.augmentation == 1 && c.momentum == 0.9 && c.seed == 42 && c.shuffle_buffer == 10000);
    ASSERT(OPTML_IS_UNSET(c.num_classes));
    ASSERT_EQ_INT(c.threads, optml_cpu_count());

    ASSERT_EQ_INT(config("{\"architecture\": \"sagemaker-cifar10\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.optimizer, CC_OPT_ADAM); /* B.3: Adam 1e-3, batch 128, weight-decay 2e-4, 10 epochs */
    ASSERT(c.learning_rate == 1e-3 && c.weight_decay == 2e-4 && c.batch_size == 128 && c.epochs == 10);

    /* what the user sets stays, whatever the architecture */
    ASSERT_EQ_INT(config("{\"architecture\": \"sagemaker-cifar10\", \"optimizer\": \"sgd\", \"learning-rate\": "
                         "\"0.05\", \"batch-size\": \"64\", \"epochs\": \"1\", \"weight-decay\": \"0\", \"momentum\": "
                         "\"0.5\", \"augmentation\": \"false\", \"num_classes\": \"100\", \"threads\": \"1\"}",
                         &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.optimizer, CC_OPT_SGD);
    ASSERT(c.learning_rate == 0.05 && c.batch_size == 64 && c.epochs == 1 && c.weight_decay == 0);
    ASSERT(c.momentum == 0.5 && c.augmentation == 0 && c.num_classes == 100 && c.threads == 1);
}

TEST(cifar_config_accepts_the_sagemaker_examples_keys)
{
    struct cc_config c;
    char err[256];
    /* what the SDK passes to cifar10_keras_main.py in the notebook */
    ASSERT_EQ_INT(config("{\"epochs\": \"1\", \"batch-size\": \"64\", \"model_dir\": \"s3://b/job/model\", "
                         "\"model_output_dir\": \"/opt/ml/model\", \"tensorboard-dir\": \"s3://b/tb\", "
                         "\"data-config\": \"{\\\"train\\\": {\\\"TrainingInputMode\\\": \\\"Pipe\\\"}}\", "
                         "\"fw-params\": \"{}\", \"sagemaker_program\": \"cifar10_keras_main.py\", "
                         "\"sagemaker_submit_directory\": \"s3://b/src.tar.gz\", \"sagemaker_region\": \"us-west-2\", "
                         "\"sagemaker_mpi_enabled\": \"true\", \"sagemaker_container_log_level\": \"20\"}",
                         &c, err, sizeof(err)), OPTML_OK);
    ASSERT(c.epochs == 1 && c.batch_size == 64);
    ASSERT(c.model_dir != NULL && c.tensorboard_dir != NULL && c.fw_params != NULL); /* kept, unused */
}

TEST(cifar_config_refusals_name_the_key)
{
    struct cc_config c;
    char err[256];
    ASSERT_EQ_INT(config("{\"optimizer\": \"adagrad\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "optimizer");
    ASSERT_EQ_INT(config("{\"batch-size\": \"0\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "batch-size");
    ASSERT_EQ_INT(config("{\"learning_rate\": \"0.1\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "learning-rate"); /* the nearest declared name */
    ASSERT_EQ_INT(config("{\"architecture\": \"resnet\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "architecture");
    ASSERT_EQ_INT(config("{\"num_classes\": \"1\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "num_classes");
}
