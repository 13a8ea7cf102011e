/*
 * test_hparams.c: the object-detection hyperparameters (algorithms/
 * object_detection/hparams.c) parsed, bound and resolved as `optml train`
 * will: the built-in's defaults (D.1) with optml's CPU default backbone,
 * the notebook's VOC job and the container's hidden keys accepted,
 * lr_scheduler_step parsed, and each refusal naming its key.
 */
#include <stdio.h>
#include <string.h>

#include "od_test_alg.h"
#include "object_detection/hparams.h"
#include "support/harness.h"
#include "support/module_ctx.h"


/* The bound strings belong to the context: the copy keeps the pattern in
 * `pattern` and drops the others. */
static char pattern[128];

static optml_status config(const char *json, struct od_config *cfg, char *err, size_t errsz)
{
    struct module_ctx mc;
    optml_status s = module_ctx_init(&mc, &od_test_alg, json, NULL);
    if (s == OPTML_OK) {
        *cfg = *(const struct od_config *)optml_config(&mc.ctx);
        if (cfg->freeze_layer_pattern) {
            snprintf(pattern, sizeof(pattern), "%s", cfg->freeze_layer_pattern);
            cfg->freeze_layer_pattern = pattern;
        }
        cfg->lr_scheduler_step = cfg->kv_store = NULL;
    }
    snprintf(err, errsz, "%.250s", optml_error_message(&mc.ctx));
    module_ctx_free(&mc);
    return s;
}

#define REQ "\"num_classes\": \"20\", \"num_training_samples\": \"16551\""

TEST(od_hparams_defaults_and_the_voc_notebook_job)
{
    struct od_config c;
    char err[256];
    ASSERT_EQ_INT(config("{" REQ "}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.base_network, OD_NET_MOBILENET_SSDLITE);
    ASSERT(c.width_multiplier == 0.5 && c.use_pretrained_model == 0 && c.epochs == 30 && c.mini_batch_size == 32);
    ASSERT(c.learning_rate == 0.001 && c.lr_scheduler_factor == 0.1 && c.n_lr_steps == 0);
    ASSERT(c.optimizer == OD_OPT_SGD && c.momentum == 0.9 && c.weight_decay == 0.0005);
    ASSERT(c.overlap_threshold == 0.5 && c.nms_threshold == 0.45 && c.nms_topk == 400);
    ASSERT(c.image_shape == 300 && c.label_width == 350 && c.freeze_layer_pattern == NULL);
    ASSERT(c.early_stopping == 0 && c.early_stopping_min_epochs == 10 && c.early_stopping_patience == 5);
    ASSERT(c.early_stopping_tolerance == 0.0 && c.threads == optml_cpu_count());
    /* the notebook's job (minus the backbone and pretrained weights) with
     * the container's hidden keys, and image sizes below SageMaker's 300 */
    ASSERT_EQ_INT(config("{" REQ ", \"mini_batch_size\": \"32\", \"epochs\": \"1\", \"learning_rate\": \"0.001\", "
                         "\"lr_scheduler_step\": \"3,6\", \"lr_scheduler_factor\": \"0.1\", \"optimizer\": \"sgd\", "
                         "\"momentum\": \"0.9\", \"weight_decay\": \"0.0005\", \"overlap_threshold\": \"0.5\", "
                         "\"nms_threshold\": \"0.45\", \"image_shape\": \"64\", \"label_width\": \"350\", "
                         "\"use_pretrained_model\": \"0\", \"nms_topk\": \"400\", \"_kvstore\": \"device\", "
                         "\"_num_kv_servers\": \"auto\", \"_tuning_objective_metric\": \"\", "
                         "\"kv_store\": \"device\", \"freeze_layer_pattern\": \"^(stem|block[1-9])\\\\.\"}",
                         &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.n_lr_steps, 2);
    ASSERT(c.lr_steps[0] == 3 && c.lr_steps[1] == 6 && c.image_shape == 64 && c.epochs == 1);
    ASSERT(c.freeze_layer_pattern != NULL && strcmp(c.freeze_layer_pattern, "^(stem|block[1-9])\\.") == 0);
}

TEST(od_hparams_lr_scheduler_step_list)
{
    int32_t s[4];
    ASSERT_EQ_INT(od_parse_lr_steps("", s, 4), 0);
    ASSERT_EQ_INT(od_parse_lr_steps(" 10 , 20,30 ", s, 4), 3);
    ASSERT(s[0] == 10 && s[1] == 20 && s[2] == 30);
    ASSERT_EQ_INT(od_parse_lr_steps("10,10", s, 4), -1); /* not increasing */
    ASSERT_EQ_INT(od_parse_lr_steps("0", s, 4), -1);
    ASSERT_EQ_INT(od_parse_lr_steps("1,2,3,4,5", s, 4), -1); /* too many */
    ASSERT_EQ_INT(od_parse_lr_steps("10,", s, 4), -1);
    ASSERT_EQ_INT(od_parse_lr_steps("10;20", s, 4), -1);
    ASSERT_EQ_INT(od_parse_lr_steps("-3", s, 4), -1);
}

TEST(od_hparams_refusals_name_the_key)
{
    struct od_config c;
    char err[256];
    ASSERT_EQ_INT(config("{\"num_training_samples\": \"10\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "num_classes");
    ASSERT_EQ_INT(config("{\"num_classes\": \"3\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "num_training_samples");
    ASSERT_EQ_INT(config("{" REQ ", \"image_shape\": \"63\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "image_shape");
    ASSERT_EQ_INT(config("{" REQ ", \"lr_scheduler_step\": \"10,x\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "Invalid parameter value 'lr_scheduler_step'");
    ASSERT_EQ_INT(config("{" REQ ", \"lr_scheduler_factor\": \"1\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "lr_scheduler_factor");
    ASSERT_EQ_INT(config("{" REQ ", \"freeze_layer_pattern\": \"(block\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "freeze_layer_pattern");
    /* use_pretrained_model=1 is refused by the job, which sees whether a
     * model channel is given (test_object_detection.c) */
    ASSERT_EQ_INT(config("{" REQ ", \"use_pretrained_model\": \"1\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(config("{" REQ ", \"base_network\": \"vgg-16\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.base_network, OD_NET_VGG16);
    ASSERT_EQ_INT(config("{" REQ ", \"base_network\": \"resnet-50\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.base_network, OD_NET_RESNET50);
    ASSERT_EQ_INT(config("{" REQ ", \"base_network\": \"vgg-19\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "base_network");
    ASSERT_EQ_INT(config("{" REQ ", \"optimizer\": \"adadelta\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(config("{" REQ ", \"nms_threshold\": \"0\"}", &c, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "nms_threshold");
}
