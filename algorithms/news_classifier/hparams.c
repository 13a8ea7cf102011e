/*
 * hparams.c: the news classifier's hyperparameter table, bound into struct
 * nc_config, and nc_resolve: `auto` decided per architecture and the checks
 * across keys.  An empty hyperparameters.json gives the best model we have
 * (architecture ngram); architecture=workshop gives the workshop's network
 * and its settings.
 */
#include "news_classifier/nc.h"

/* ENUM choices are listed by the value of the C enum they stand for. */
static const char *const ARCHS[] = {[NC_ARCH_NGRAM] = "ngram", [NC_ARCH_WORKSHOP] = "workshop", NULL};
static const char *const LOSSES[] = {[NC_LOSS_SOFTMAX] = "softmax", [NC_LOSS_HINGE] = "hinge", NULL};

const struct optml_hparam_decl nc_hparams[NC_N_HPARAMS] = {
    OPTML_HP_ROW(struct nc_config, architecture, ENUM, "ngram", OPTML_SHAPES, 0, 0,
                 "ngram (hashed word + character n-grams, TF-IDF, linear or embedding bag) or workshop (the Keras "
                 "network)", .choices = ARCHS),
    OPTML_HP_ROW(struct nc_config, epochs, I32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 1, 100000,
                 "passes over the data (auto: ngram 5, workshop 2)"),
    OPTML_HP_ROW(struct nc_config, batch_size, I32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 1, 65536,
                 "rows per update (auto: ngram 8, workshop 32)"),
    OPTML_HP_ROW(struct nc_config, learning_rate, F64, "auto", OPTML_AUTO | OPTML_GT_MIN | OPTML_MAX, 0, 100,
                 "step size (auto: ngram 1.0 decaying linearly, workshop 0.001 RMSprop)"),
    OPTML_HP_ROW(struct nc_config, l2, F64, "auto", OPTML_AUTO | OPTML_MIN, 0, 0,
                 "ngram: L2 regularisation per row (auto: 1e-5)", .auto_value = "1e-5"),
    OPTML_HP_ROW(struct nc_config, loss, ENUM, "auto", OPTML_AUTO, 0, 0,
                 "ngram output: hinge (one-vs-rest squared hinge) or softmax (auto: hinge; probabilities are "
                 "softmax of the scores)", .choices = LOSSES),
    OPTML_HP_ROW(struct nc_config, embedding_dim, I32, "auto", OPTML_AUTO | OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 0,
                 4096, "ngram: 0 = linear on the features, d > 0 = fastText-style bag of d-dim embeddings (auto 0); "
                 "workshop: embedding size (auto: GloVe dimension, else 100)"),
    OPTML_HP_ROW(struct nc_config, max_words, I32, "10000", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 2, 10000000,
                 "workshop: tokenizer num_words"),
    OPTML_HP_ROW(struct nc_config, max_len, I32, "100", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1, 10000,
                 "workshop: sequence length"),
    OPTML_HP_ROW(struct nc_config, ngrams, I32, "2", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1, 5,
                 "ngram: longest word n-gram"),
    OPTML_HP_ROW(struct nc_config, char_ngram_min, I32, "2", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 0, 16,
                 "ngram: shortest character n-gram (0: none)"),
    OPTML_HP_ROW(struct nc_config, char_ngram_max, I32, "5", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 0, 16,
                 "ngram: longest character n-gram (0: none)"),
    OPTML_HP_ROW(struct nc_config, buckets, I32, "1048576", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1024, 1 << 26,
                 "ngram: hash buckets for n-grams"),
    OPTML_HP_ROW(struct nc_config, min_df, I32, "1", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1, 1000000,
                 "ngram: n-grams in fewer training rows than this get no weight"),
    OPTML_HP_ROW(struct nc_config, dense_units, I32, "2", OPTML_SHAPES | OPTML_MIN | OPTML_MAX, 1, 65536,
                 "workshop: units of the hidden dense layer"),
    OPTML_HP_ROW(struct nc_config, seed, I64, "42", OPTML_MIN, 0, 0,
                 "random seed (shuffles, split, initialisation): the same data and seed give the same model, whatever threads"),
    OPTML_HP_ROW(struct nc_config, validation_split, F64, "0.2", OPTML_MIN | OPTML_MAX, 0, 0.9,
                 "fraction held out (shuffled with seed) when there is no validation channel"),
    OPTML_HP_ROW(struct nc_config, label_names, JSON, NULL, 0, 0, 0,
                 "JSON object: CATEGORY value -> served name (UCI's b t e m are named by default)"),
    OPTML_HP_ROW(struct nc_config, threads, I32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 1, 256,
                 "training threads (auto: the CPUs available): the linear hinge model trains its class groups side by side; the features are computed on up to 8"),
};
_Static_assert(sizeof(nc_hparams) / sizeof(nc_hparams[0]) == NC_N_HPARAMS, "NC_N_HPARAMS");

optml_status nc_resolve(optml_ctx *ctx, void *config)
{
    struct nc_config *c = config;
    int workshop = c->architecture == NC_ARCH_WORKSHOP;
    if (OPTML_IS_UNSET(c->epochs))
        c->epochs = workshop ? 2 : 5;
    if (OPTML_IS_UNSET(c->batch_size))
        c->batch_size = workshop ? 32 : 8;
    if (OPTML_IS_UNSET(c->learning_rate))
        c->learning_rate = workshop ? 0.001 : 1.0;
    if (OPTML_IS_UNSET(c->embedding_dim) && !workshop)
        c->embedding_dim = 0; /* workshop: left to the data (GloVe's dimension, else 100) */
    if (OPTML_IS_UNSET(c->threads))
        c->threads = optml_cpu_count();
    if ((c->char_ngram_min == 0) != (c->char_ngram_max == 0) || c->char_ngram_min > c->char_ngram_max)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "char_ngram_min (%d) and char_ngram_max (%d) must both be 0, or 1 <= min <= max",
                           (int)c->char_ngram_min, (int)c->char_ngram_max);
    if (workshop && !OPTML_IS_UNSET(c->loss) && c->loss != NC_LOSS_SOFTMAX)
        return optml_error(ctx, OPTML_E_CLIENT, "architecture=workshop has a softmax output: loss must be softmax or auto");
    if (!workshop && c->embedding_dim > 0 && c->loss == NC_LOSS_HINGE)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "loss=hinge needs the linear model (embedding_dim 0); an embedding bag trains with softmax");
    if (workshop && c->embedding_dim == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "architecture=workshop needs embedding_dim >= 1");
    if (OPTML_IS_UNSET(c->loss))
        c->loss = workshop || c->embedding_dim > 0 ? NC_LOSS_SOFTMAX : NC_LOSS_HINGE;
    c->feat = (struct nc_featcfg){.buckets = (uint32_t)c->buckets,
                                  .word_ngrams = (uint32_t)c->ngrams,
                                  .char_min = (uint32_t)c->char_ngram_min,
                                  .char_max = (uint32_t)c->char_ngram_max};
    return OPTML_OK;
}
