/*
 * fuzz_hyperparameters.c: libFuzzer target for rt_hparams_parse and the
 * binding (runtime/config/bind.c).  The input is hyperparameters.json,
 * checked against a table that covers every type, flag and binding kind
 * (and one row left unbound); on success every bound member must agree
 * with the by-name accessors (or be unset exactly when the value is auto
 * without an auto_value, or not set), and the echo lines, the shape hash,
 * a resolve step and the final line are exercised too.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/hparams.h"

static const char *const CHOICES[] = {"adam", "sgd", "RMSprop", NULL};
static const char *const LOSSES[] = {"logistic", "hinge", NULL};

struct fz {
    size_t feature_dim;
    int32_t epochs;
    double learning_rate;
    float wd, momentum;
    int use_bias;
    int optimizer;
    const char *loss;
    const char *layers;
    const char *prefix;
    int64_t seed;
};

static const struct optml_hparam_decl HP[] = {
    OPTML_HP_ROW(struct fz, feature_dim, SIZE, NULL,
                 OPTML_HP_REQUIRED | OPTML_SHAPES | OPTML_MIN | OPTML_AUTO, 1, 0, "dimension"),
    OPTML_HP_ROW(struct fz, epochs, I32, "15", OPTML_MIN | OPTML_MAX, 1, 1000, "passes"),
    OPTML_HP_ROW(struct fz, learning_rate, F64, "0.1", OPTML_GT_MIN | OPTML_MAX, 0, 1, "step"),
    OPTML_HP_ROW(struct fz, wd, F32, NULL, OPTML_AUTO | OPTML_SHAPES, 0, 0, "decay"),
    OPTML_HP_ROW(struct fz, momentum, F32, "auto", OPTML_AUTO, 0, 0, "momentum", .auto_value = "0.9"),
    OPTML_HP_ROW(struct fz, use_bias, BOOL, "true", OPTML_SHAPES, 0, 0, "bias"),
    OPTML_HP_ROW(struct fz, optimizer, ENUM, "adam", OPTML_AUTO | OPTML_SHAPES, 0, 0, "optimizer",
                 .choices = CHOICES, .auto_value = "sgd"),
    OPTML_HP_ROW(struct fz, loss, ENUM_TEXT, "auto", OPTML_AUTO, 0, 0, "loss", .choices = LOSSES),
    OPTML_HP_ROW(struct fz, layers, JSON, "[64, 32]", OPTML_SHAPES, 0, 0, "layers"),
    OPTML_HP_ROW(struct fz, prefix, STRING, NULL, OPTML_SHAPES, 0, 0, "prefix"),
    OPTML_HP_ROW(struct fz, seed, I64, "0", 0, 0, 0, "seed"),
    {.name = "name", .type = OPTML_HP_STRING, .default_value = "x"}, /* not bound */
};

static optml_status resolve(optml_ctx *ctx, void *config)
{
    struct fz *c = config;
    if (OPTML_IS_UNSET(c->feature_dim))
        c->feature_dim = 1;
    if (OPTML_IS_UNSET(c->loss))
        c->loss = "logistic";
    (void)ctx;
    return OPTML_OK;
}

static const struct optml_algorithm ALG = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .name = "fuzz",
    .hparams = HP,
    .n_hparams = OPTML_COUNTOF(HP),
    .config_size = sizeof(struct fz),
    .resolve = resolve,
};

/* A member without a value: the key is not set, or auto without auto_value. */
static int no_value(const optml_ctx *ctx, const char *name, int has_auto_value)
{
    return !optml_hp_is_set(ctx, name) || (optml_hp_is_auto(ctx, name) && !has_auto_value);
}

static void check_bound(const optml_ctx *ctx, const struct fz *c)
{
    if (no_value(ctx, "feature_dim", 0) != OPTML_IS_UNSET(c->feature_dim) ||
        (!OPTML_IS_UNSET(c->feature_dim) && (int64_t)c->feature_dim != optml_hp_int(ctx, "feature_dim")))
        abort();
    if (c->epochs != optml_hp_int(ctx, "epochs") || c->learning_rate != optml_hp_float(ctx, "learning_rate"))
        abort();
    if (no_value(ctx, "wd", 0) != OPTML_IS_UNSET(c->wd) ||
        (!OPTML_IS_UNSET(c->wd) && c->wd != (float)optml_hp_float(ctx, "wd")))
        abort();
    if (optml_hp_is_auto(ctx, "momentum") ? c->momentum != 0.9f : c->momentum != (float)optml_hp_float(ctx, "momentum"))
        abort();
    if (c->use_bias != optml_hp_bool(ctx, "use_bias"))
        abort();
    const char *opt = optml_hp_is_auto(ctx, "optimizer") ? "sgd" : optml_hp_string(ctx, "optimizer");
    if (c->optimizer < 0 || c->optimizer > 2 || strcmp(CHOICES[c->optimizer], opt) != 0)
        abort();
    if (no_value(ctx, "loss", 0) ? c->loss != NULL : c->loss != optml_hp_string(ctx, "loss"))
        abort();
    if (c->layers != optml_hp_string(ctx, "layers") || c->prefix != optml_hp_string(ctx, "prefix"))
        abort();
    if (c->seed != optml_hp_int(ctx, "seed"))
        abort();
}

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
    const struct fz *c = optml_config(&ctx);
    if (!c)
        abort();
    check_bound(&ctx, c);
    volatile uint64_t sink = rt_hparams_shape_hash(&hp);
    for (size_t i = 0; i < ALG.n_hparams; i++) {
        const char *n = HP[i].name;
        sink += (uint64_t)optml_hp_is_set(&ctx, n) + (uint64_t)optml_hp_is_auto(&ctx, n) +
                (uint64_t)optml_hp_was_given(&ctx, n) + (uint64_t)optml_hp_int(&ctx, n) +
                (uint64_t)optml_hp_bool(&ctx, n) + (uint64_t)(optml_hp_float(&ctx, n) != 0);
        const char *s = optml_hp_string(&ctx, n);
        sink += s ? strlen(s) : 0;
    }
    if (rt_hparams_resolve(&ctx, &hp) != OPTML_OK || OPTML_IS_UNSET(c->feature_dim) || !c->loss)
        abort();
    char *a = rt_hparams_defaults_json(&ALG);
    char *b = rt_hparams_provided_json(&hp);
    char *f = rt_hparams_final_json(&hp);
    if (!a || !b || !f || !strstr(f, "\"loss\":"))
        abort();
    free(a);
    free(b);
    free(f);
    (void)sink;
    rt_hparams_free(&hp);
    return 0;
}
