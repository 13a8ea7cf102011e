/*
 * fuzz_hyperparameters.c: libFuzzer target for rt_hparams_parse.  The input
 * is hyperparameters.json, checked against a table that covers every type
 * and flag; on success the echo lines, the shape hash and every accessor are
 * exercised too.
 */
#include <stdlib.h>
#include <string.h>

#include "config/hparams.h"

static const char *const CHOICES[] = {"adam", "sgd", "RMSprop", NULL};

static const struct optml_hparam_decl HP[] = {
    {.name = "feature_dim", .type = OPTML_HP_INT,
     .flags = OPTML_HP_REQUIRED | OPTML_HP_SHAPES_MODEL | OPTML_HP_HAS_MIN | OPTML_HP_ALLOW_AUTO,
     .min = 1},
    {.name = "epochs", .type = OPTML_HP_INT, .default_value = "15",
     .flags = OPTML_HP_HAS_MIN | OPTML_HP_HAS_MAX, .min = 1, .max = 1000},
    {.name = "learning_rate", .type = OPTML_HP_FLOAT, .default_value = "0.1",
     .flags = OPTML_HP_HAS_MIN | OPTML_HP_MIN_EXCLUSIVE | OPTML_HP_HAS_MAX, .min = 0, .max = 1},
    {.name = "wd", .type = OPTML_HP_FLOAT, .flags = OPTML_HP_ALLOW_AUTO | OPTML_HP_SHAPES_MODEL},
    {.name = "use_bias", .type = OPTML_HP_BOOL, .default_value = "true",
     .flags = OPTML_HP_SHAPES_MODEL},
    {.name = "optimizer", .type = OPTML_HP_ENUM, .default_value = "adam",
     .flags = OPTML_HP_ALLOW_AUTO | OPTML_HP_SHAPES_MODEL, .choices = CHOICES},
    {.name = "layers", .type = OPTML_HP_JSON, .default_value = "[64, 32]",
     .flags = OPTML_HP_SHAPES_MODEL},
    {.name = "prefix", .type = OPTML_HP_STRING, .flags = OPTML_HP_SHAPES_MODEL},
};

static const struct optml_algorithm ALG = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .name = "fuzz",
    .hparams = HP,
    .n_hparams = OPTML_COUNTOF(HP),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    if (rt_hparams_check_decls(&ctx, &ALG) != OPTML_OK)
        abort(); /* the table above is valid: a failure is a bug */
    struct rt_hparams hp;
    if (rt_hparams_parse(&ctx, &ALG, (const char *)data, size, &hp) != OPTML_OK) {
        if (!ctx.errmsg[0])
            abort(); /* every error must carry a message */
        return 0;
    }
    ctx.alg = &ALG;
    ctx.hp = &hp;
    volatile uint64_t sink = rt_hparams_shape_hash(&hp);
    for (size_t i = 0; i < ALG.n_hparams; i++) {
        const char *n = HP[i].name;
        sink += (uint64_t)optml_hp_is_set(&ctx, n) + (uint64_t)optml_hp_is_auto(&ctx, n) +
                (uint64_t)optml_hp_was_given(&ctx, n) + (uint64_t)optml_hp_int(&ctx, n) +
                (uint64_t)optml_hp_bool(&ctx, n) + (uint64_t)(optml_hp_float(&ctx, n) != 0);
        const char *s = optml_hp_string(&ctx, n);
        sink += s ? strlen(s) : 0;
    }
    char *a = rt_hparams_defaults_json(&ALG);
    char *b = rt_hparams_provided_json(&hp);
    char *c = rt_hparams_final_json(&hp);
    if (!a || !b || !c)
        abort();
    free(a);
    free(b);
    free(c);
    (void)sink;
    rt_hparams_free(&hp);
    return 0;
}
