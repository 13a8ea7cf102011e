/*
 * test_config.c: the news classifier's hyperparameter table bound into
 * struct nc_config and nc_resolve: the autos per architecture, the feature
 * configuration, and the errors across keys.
 */
#include <stdio.h>
#include <string.h>

#include "support/harness.h"
#include "support/module_ctx.h"
#include "news_classifier/nc.h"

static const struct optml_algorithm NC_ALG = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .name = NC_MODULE_NAME,
    .version = "test",
    .model_format_version = NC_FORMAT_VERSION,
    .hparams = nc_hparams,
    .n_hparams = NC_N_HPARAMS,
    .config_size = sizeof(struct nc_config),
    .resolve = nc_resolve,
};

/* Parse, bind and resolve as `optml train` does: the first failing step's
 * status, its message in err, a copy of the config in *cfg (strings not
 * kept). */
static optml_status config(const char *json, struct nc_config *cfg, char *err, size_t errsz)
{
    struct module_ctx mc;
    optml_status s = module_ctx_init(&mc, &NC_ALG, json, NULL);
    if (s == OPTML_OK) {
        *cfg = *(const struct nc_config *)optml_config(&mc.ctx);
        cfg->label_names = cfg->label_names ? "(set)" : NULL;
    }
    snprintf(err, errsz, "%.250s", optml_error_message(&mc.ctx));
    module_ctx_free(&mc);
    return s;
}

TEST(news_config_defaults_and_autos_per_architecture)
{
    struct nc_config c;
    char err[256];
    ASSERT_EQ_INT(config("{}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.architecture, NC_ARCH_NGRAM);
    ASSERT(c.epochs == 5 && c.batch_size == 8 && c.learning_rate == 1.0 && c.l2 == 1e-5);
    ASSERT_EQ_INT(c.loss, NC_LOSS_HINGE);
    ASSERT_EQ_INT(c.embedding_dim, 0);
    ASSERT_EQ_INT(c.threads, optml_cpu_count());
    ASSERT(c.feat.buckets == 1048576 && c.feat.word_ngrams == 2 && c.feat.char_min == 2 && c.feat.char_max == 5);
    ASSERT(c.seed == 42 && c.validation_split == 0.2 && c.label_names == NULL);
    ASSERT(c.max_words == 10000 && c.max_len == 100 && c.dense_units == 2 && c.min_df == 1);

    ASSERT_EQ_INT(config("{\"architecture\": \"workshop\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.architecture, NC_ARCH_WORKSHOP);
    ASSERT(c.epochs == 2 && c.batch_size == 32 && c.learning_rate == 0.001);
    ASSERT_EQ_INT(c.loss, NC_LOSS_SOFTMAX);
    ASSERT(OPTML_IS_UNSET(c.embedding_dim)); /* GloVe's dimension, else 100: decided with the data */

    ASSERT_EQ_INT(config("{\"embedding_dim\": \"16\", \"threads\": \"3\", \"ngrams\": \"1\", \"char_ngram_min\": \"0\", "
                         "\"char_ngram_max\": \"0\", \"label_names\": \"{\\\"b\\\": \\\"Biz\\\"}\"}",
                         &c, err, sizeof(err)), OPTML_OK);
    ASSERT_EQ_INT(c.loss, NC_LOSS_SOFTMAX); /* an embedding bag trains with softmax */
    ASSERT(c.embedding_dim == 16 && c.threads == 3);
    ASSERT(c.feat.word_ngrams == 1 && c.feat.char_min == 0 && c.feat.char_max == 0);
    ASSERT(c.label_names != NULL);
    ASSERT_EQ_INT(config("{\"loss\": \"softmax\", \"epochs\": \"7\"}", &c, err, sizeof(err)), OPTML_OK);
    ASSERT(c.loss == NC_LOSS_SOFTMAX && c.epochs == 7);
}

TEST(news_config_errors_name_the_keys)
{
    struct nc_config c;
    char err[256];
    static const char *const cases[][2] = {
        {"{\"char_ngram_min\": \"3\", \"char_ngram_max\": \"2\"}", "char_ngram_min (3) and char_ngram_max (2)"},
        {"{\"char_ngram_min\": \"0\"}", "char_ngram_min (0) and char_ngram_max (5)"},
        {"{\"architecture\": \"workshop\", \"loss\": \"hinge\"}", "loss must be softmax or auto"},
        {"{\"embedding_dim\": \"8\", \"loss\": \"hinge\"}", "loss=hinge needs the linear model"},
        {"{\"architecture\": \"workshop\", \"embedding_dim\": \"0\"}", "needs embedding_dim >= 1"},
        {"{\"threads\": \"0\"}", "'threads'"},
        {"{\"architecture\": \"lstm\"}", "'architecture'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        optml_status s = config(cases[i][0], &c, err, sizeof(err));
        if (s != OPTML_E_CLIENT || !strstr(err, cases[i][1]))
            test_fail(__FILE__, __LINE__, "%s: %s '%s'", cases[i][0], optml_status_name(s), err);
    }
}
