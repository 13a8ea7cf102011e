/*
 * hparams.c: the news classifier's hyperparameter table and its resolution
 * into struct nc_config (`auto` replaced per architecture).  An empty
 * hyperparameters.json gives the best model we have (architecture ngram);
 * architecture=workshop gives the workshop's network and its settings.
 */
#include <string.h>

#include "news_classifier/nc.h"

static const char *const ARCHS[] = {"ngram", "workshop", NULL};
static const char *const LOSSES[] = {"hinge", "softmax", NULL};

#define AUTO OPTML_HP_ALLOW_AUTO
#define MIN OPTML_HP_HAS_MIN
#define MAX OPTML_HP_HAS_MAX
#define GT0 (OPTML_HP_HAS_MIN | OPTML_HP_MIN_EXCLUSIVE)
#define SHAPES OPTML_HP_SHAPES_MODEL

const struct optml_hparam_decl nc_hparams[NC_N_HPARAMS] = {
    {"architecture", OPTML_HP_ENUM, "ngram", SHAPES, 0, 0, ARCHS,
     "ngram (hashed word + character n-grams, TF-IDF, linear or embedding bag) or workshop (the Keras network)"},
    {"epochs", OPTML_HP_INT, "auto", AUTO | MIN | MAX, 1, 100000, NULL, "passes over the data (auto: ngram 5, workshop 2)"},
    {"batch_size", OPTML_HP_INT, "auto", AUTO | MIN | MAX, 1, 65536, NULL, "rows per update (auto: ngram 8, workshop 32)"},
    {"learning_rate", OPTML_HP_FLOAT, "auto", AUTO | GT0 | MAX, 0, 100, NULL,
     "step size (auto: ngram 1.0 decaying linearly, workshop 0.001 RMSprop)"},
    {"l2", OPTML_HP_FLOAT, "auto", AUTO | MIN, 0, 0, NULL, "ngram: L2 regularisation per row (auto: 1e-5)"},
    {"loss", OPTML_HP_ENUM, "auto", AUTO, 0, 0, LOSSES,
     "ngram output: hinge (one-vs-rest squared hinge) or softmax (auto: hinge; probabilities are softmax of the scores)"},
    {"embedding_dim", OPTML_HP_INT, "auto", AUTO | SHAPES | MIN | MAX, 0, 4096, NULL,
     "ngram: 0 = linear on the features, d > 0 = fastText-style bag of d-dim embeddings (auto 0); "
     "workshop: embedding size (auto: GloVe dimension, else 100)"},
    {"max_words", OPTML_HP_INT, "10000", SHAPES | MIN | MAX, 2, 10000000, NULL, "workshop: tokenizer num_words"},
    {"max_len", OPTML_HP_INT, "100", SHAPES | MIN | MAX, 1, 10000, NULL, "workshop: sequence length"},
    {"ngrams", OPTML_HP_INT, "2", SHAPES | MIN | MAX, 1, 5, NULL, "ngram: longest word n-gram"},
    {"char_ngram_min", OPTML_HP_INT, "2", SHAPES | MIN | MAX, 0, 16, NULL, "ngram: shortest character n-gram (0: none)"},
    {"char_ngram_max", OPTML_HP_INT, "5", SHAPES | MIN | MAX, 0, 16, NULL, "ngram: longest character n-gram (0: none)"},
    {"buckets", OPTML_HP_INT, "1048576", SHAPES | MIN | MAX, 1024, 1 << 26, NULL, "ngram: hash buckets for n-grams"},
    {"min_df", OPTML_HP_INT, "1", SHAPES | MIN | MAX, 1, 1000000, NULL,
     "ngram: n-grams in fewer training rows than this get no weight"},
    {"dense_units", OPTML_HP_INT, "2", SHAPES | MIN | MAX, 1, 65536, NULL, "workshop: units of the hidden dense layer"},
    {"seed", OPTML_HP_INT, "42", MIN, 0, 0, NULL, "random seed: same data, seed and threads=1 give the same model"},
    {"validation_split", OPTML_HP_FLOAT, "0.2", MIN | MAX, 0, 0.9, NULL,
     "fraction held out (shuffled with seed) when there is no validation channel"},
    {"label_names", OPTML_HP_JSON, NULL, 0, 0, 0, NULL,
     "JSON object: CATEGORY value -> served name (UCI's b t e m are named by default)"},
    {"threads", OPTML_HP_INT, "auto", AUTO | MIN | MAX, 1, 256, NULL,
     "training threads (auto: the CPUs available; ngram uses them Hogwild-style)"},
};
_Static_assert(sizeof(nc_hparams) / sizeof(nc_hparams[0]) == NC_N_HPARAMS, "NC_N_HPARAMS");

static int int_or(optml_ctx *ctx, const char *name, int dflt)
{
    return optml_hp_is_auto(ctx, name) ? dflt : (int)optml_hp_int(ctx, name);
}

optml_status nc_config_load(optml_ctx *ctx, struct nc_config *c)
{
    memset(c, 0, sizeof(*c));
    int workshop = strcmp(optml_hp_string(ctx, "architecture"), "workshop") == 0;
    c->arch = workshop ? NC_ARCH_WORKSHOP : NC_ARCH_NGRAM;
    c->epochs = int_or(ctx, "epochs", workshop ? 2 : 5);
    c->batch_size = int_or(ctx, "batch_size", workshop ? 32 : 8);
    c->learning_rate = optml_hp_is_auto(ctx, "learning_rate") ? (workshop ? 0.001 : 1.0)
                                                               : optml_hp_float(ctx, "learning_rate");
    c->l2 = optml_hp_is_auto(ctx, "l2") ? 1e-5 : optml_hp_float(ctx, "l2");
    c->loss = workshop ? NC_LOSS_SOFTMAX
              : (optml_hp_is_auto(ctx, "loss") || strcmp(optml_hp_string(ctx, "loss"), "hinge") == 0)
                  ? NC_LOSS_HINGE
                  : NC_LOSS_SOFTMAX;
    c->embedding_dim = int_or(ctx, "embedding_dim", workshop ? -1 : 0); /* -1: GloVe's or 100 */
    c->max_words = (int)optml_hp_int(ctx, "max_words");
    c->max_len = (int)optml_hp_int(ctx, "max_len");
    c->feat.buckets = (uint32_t)optml_hp_int(ctx, "buckets");
    c->feat.word_ngrams = (uint32_t)optml_hp_int(ctx, "ngrams");
    c->feat.char_min = (uint32_t)optml_hp_int(ctx, "char_ngram_min");
    c->feat.char_max = (uint32_t)optml_hp_int(ctx, "char_ngram_max");
    c->dense_units = (int)optml_hp_int(ctx, "dense_units");
    c->min_df = (uint32_t)optml_hp_int(ctx, "min_df");
    c->seed = (uint64_t)optml_hp_int(ctx, "seed");
    c->validation_split = optml_hp_float(ctx, "validation_split");
    c->threads = int_or(ctx, "threads", optml_cpu_count());
    c->label_names = optml_hp_is_set(ctx, "label_names") ? optml_hp_string(ctx, "label_names") : NULL;
    if ((c->feat.char_min == 0) != (c->feat.char_max == 0) || c->feat.char_min > c->feat.char_max)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "char_ngram_min (%u) and char_ngram_max (%u) must both be 0, or 1 <= min <= max",
                           c->feat.char_min, c->feat.char_max);
    if (workshop && !optml_hp_is_auto(ctx, "loss") && strcmp(optml_hp_string(ctx, "loss"), "softmax") != 0)
        return optml_error(ctx, OPTML_E_CLIENT, "architecture=workshop has a softmax output: loss must be softmax or auto");
    if (!workshop && c->embedding_dim > 0) {
        if (!optml_hp_is_auto(ctx, "loss") && c->loss == NC_LOSS_HINGE)
            return optml_error(ctx, OPTML_E_CLIENT,
                               "loss=hinge needs the linear model (embedding_dim 0); an embedding bag trains with softmax");
        c->loss = NC_LOSS_SOFTMAX;
    }
    if (workshop && c->embedding_dim == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "architecture=workshop needs embedding_dim >= 1");
    return OPTML_OK;
}
