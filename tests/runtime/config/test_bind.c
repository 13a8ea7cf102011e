/*
 * test_bind.c: runtime/config/bind.c: hyperparameters bound into a module's
 * config struct (every member type, defaults, given values, auto_value
 * constants, unset members for conditional autos and optional keys, ENUM
 * as index or text, a nested member and a key that is not a C identifier,
 * a required key), the member-type limits, the module's resolve() step and
 * the "Final configuration" text from the resolved struct, the checks of a
 * table's bindings, and rows that do not compile.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/harness.h"
#include "support/module_ctx.h"
#include "support/support.h"

struct cfg {
    int64_t seed;
    int64_t shift;
    int32_t epochs;
    size_t batch;
    double learning_rate;
    float momentum;
    float scale;
    int use_bias;
    int normalize;
    const char *name_prefix;
    const char *layers;
    int optimizer;
    const char *loss;
    int32_t num_classes;
    struct {
        float margin;
    } lp;
    int resolved; /* not bound: set by resolve() */
};

enum { SGD, ADAM, RMSPROP };
static const char *const OPTIMIZERS[] = {[SGD] = "sgd", [ADAM] = "adam", [RMSPROP] = "RMSprop", NULL};
static const char *const LOSSES[] = {"logistic", "hinge", NULL};

static const struct optml_hparam_decl HP[] = {
    OPTML_HP_ROW(struct cfg, seed, I64, "0", OPTML_MIN, 0, 0, "seed"),
    OPTML_HP_ROW(struct cfg, shift, I64, "0", 0, 0, 0, "any integer"),
    OPTML_HP_ROW(struct cfg, epochs, I32, "15", OPTML_MIN | OPTML_MAX, 1, 1000, "passes"),
    OPTML_HP_ROW_NAMED("mini-batch-size", struct cfg, batch, SIZE, "1000", OPTML_MIN, 1, 0, "rows per update"),
    OPTML_HP_ROW(struct cfg, learning_rate, F64, "auto", OPTML_AUTO | OPTML_GT_MIN, 0, 0,
                 "step (auto: 0.02 adam, else 0.01)"),
    OPTML_HP_ROW(struct cfg, momentum, F32, "auto", OPTML_AUTO | OPTML_MIN | OPTML_MAX, 0, 1, "momentum (auto: 0.9)",
                 .auto_value = "0.9"),
    OPTML_HP_ROW(struct cfg, scale, F32, "1", 0, 0, 0, "any number"),
    OPTML_HP_ROW(struct cfg, use_bias, BOOL, "true", 0, 0, 0, "bias"),
    OPTML_HP_ROW(struct cfg, normalize, BOOL, "auto", OPTML_AUTO, 0, 0, "normalise (auto: left to the data)"),
    OPTML_HP_ROW(struct cfg, name_prefix, STRING, "model", 0, 0, 0, "prefix"),
    OPTML_HP_ROW(struct cfg, layers, JSON, NULL, 0, 0, 0, "layer sizes"),
    OPTML_HP_ROW(struct cfg, optimizer, ENUM, "auto", OPTML_AUTO | OPTML_SHAPES, 0, 0, "optimizer (auto: adam)",
                 .choices = OPTIMIZERS, .auto_value = "adam"),
    OPTML_HP_ROW(struct cfg, loss, ENUM_TEXT, "logistic", 0, 0, 0, "loss", .choices = LOSSES),
    OPTML_HP_ROW(struct cfg, num_classes, I32, NULL, OPTML_HP_REQUIRED | OPTML_MIN, 2, 0, "classes"),
    OPTML_HP_ROW_NAMED("margin", struct cfg, lp.margin, F32, "1.0", OPTML_MIN, 0, 0, "margin"),
};

/* A conditional auto and a rule across keys. */
static optml_status resolve(optml_ctx *ctx, void *config)
{
    struct cfg *c = config;
    if (OPTML_IS_UNSET(c->learning_rate))
        c->learning_rate = c->optimizer == ADAM ? 0.02 : 0.01;
    if (c->optimizer == SGD && c->num_classes > 10)
        return optml_error(ctx, OPTML_E_CLIENT, "hyperparameter 'optimizer': sgd needs num_classes <= 10");
    c->resolved = 1;
    return OPTML_OK;
}

static const struct optml_algorithm ALG = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .name = "bound",
    .hparams = HP,
    .n_hparams = OPTML_COUNTOF(HP),
    .config_size = sizeof(struct cfg),
    .resolve = resolve,
};

/* Parse and bind only (no resolve): the struct as the runtime fills it. */
static const struct cfg *bound(struct module_ctx *mc, const char *json)
{
    module_ctx_init(mc, &ALG, NULL, NULL);
    optml_status s = rt_hparams_parse(&mc->ctx, &ALG, json, strlen(json), &mc->hp);
    if (s != OPTML_OK)
        test_fail(__FILE__, __LINE__, "%s: %s", json, optml_error_message(&mc->ctx));
    mc->ctx.hp = &mc->hp;
    return optml_config(&mc->ctx);
}

TEST(bind_defaults_auto_values_and_unset_members)
{
    struct module_ctx mc;
    const struct cfg *c = bound(&mc, "{\"num_classes\": \"3\"}");
    ASSERT(c == mc.hp.config);
    ASSERT_EQ_INT(c->seed, 0);
    ASSERT_EQ_INT(c->epochs, 15);
    ASSERT_EQ_INT(c->batch, 1000);
    ASSERT(c->momentum == 0.9f);               /* auto_value */
    ASSERT_EQ_INT(c->optimizer, ADAM);         /* auto_value of an ENUM: its index */
    ASSERT(OPTML_IS_UNSET(c->learning_rate));  /* auto, left to resolve() */
    ASSERT(isnan(c->learning_rate));
    ASSERT(OPTML_IS_UNSET(c->normalize));
    ASSERT_EQ_INT(c->normalize, OPTML_UNSET_INT);
    ASSERT_EQ_INT(c->use_bias, 1);
    ASSERT_EQ_STR(c->name_prefix, "model");
    ASSERT(c->layers == NULL && OPTML_IS_UNSET(c->layers)); /* optional, not given */
    ASSERT_EQ_STR(c->loss, "logistic");
    ASSERT_EQ_INT(c->num_classes, 3);
    ASSERT(c->lp.margin == 1.0f);
    ASSERT(c->scale == 1.0f);
    ASSERT_EQ_INT(c->resolved, 0); /* not bound: zero */
    /* the API 3 accessors still read the same values */
    ASSERT(optml_hp_is_auto(&mc.ctx, "momentum"));
    ASSERT_EQ_INT(optml_hp_int(&mc.ctx, "mini-batch-size"), 1000);
    module_ctx_free(&mc);
}

TEST(bind_given_values_of_every_type)
{
    struct module_ctx mc;
    const struct cfg *c = bound(&mc, "{\"num_classes\": \"12\", \"seed\": \"9007199254740993\", \"shift\": \"-5\", "
                                     "\"epochs\": \" 7\", \"mini-batch-size\": \"5\", \"learning_rate\": \"1e-3\", "
                                     "\"momentum\": \"0.5\", \"scale\": \"-2.5\", \"use_bias\": \"False\", "
                                     "\"normalize\": \"1\", \"name_prefix\": \"  x \", \"layers\": \"[1, 2]\", "
                                     "\"optimizer\": \"rmsprop\", \"loss\": \"HINGE\", \"margin\": \"0.25\"}");
    ASSERT(c->seed == 9007199254740993LL); /* exact: not through a double */
    ASSERT_EQ_INT(c->shift, -5);
    ASSERT_EQ_INT(c->epochs, 7);
    ASSERT_EQ_INT(c->batch, 5);
    ASSERT(c->learning_rate == 1e-3);
    ASSERT(c->momentum == 0.5f && c->scale == -2.5f && c->lp.margin == 0.25f);
    ASSERT_EQ_INT(c->use_bias, 0);
    ASSERT_EQ_INT(c->normalize, 1);
    ASSERT_EQ_STR(c->name_prefix, "  x ");
    ASSERT_EQ_STR(c->layers, "[1, 2]");
    ASSERT_EQ_INT(c->optimizer, RMSPROP);
    ASSERT_EQ_STR(c->loss, "hinge"); /* the declared spelling */
    ASSERT_EQ_INT(c->num_classes, 12);
    module_ctx_free(&mc);
    /* auto given explicitly is the same as the auto default */
    c = bound(&mc, "{\"num_classes\": \"3\", \"momentum\": \"AUTO\", \"optimizer\": \"auto\"}");
    ASSERT(c->momentum == 0.9f);
    ASSERT_EQ_INT(c->optimizer, ADAM);
    module_ctx_free(&mc);
}

TEST(bind_resolve_decides_the_rest_and_checks_across_keys)
{
    struct module_ctx mc;
    ASSERT_EQ_INT(module_ctx_init(&mc, &ALG, "{\"num_classes\": \"3\"}", NULL), OPTML_OK);
    const struct cfg *c = optml_config(&mc.ctx);
    ASSERT(c->learning_rate == 0.02 && c->resolved);
    module_ctx_free(&mc);
    ASSERT_EQ_INT(module_ctx_init(&mc, &ALG, "{\"num_classes\": \"3\", \"optimizer\": \"sgd\"}", NULL), OPTML_OK);
    c = optml_config(&mc.ctx);
    ASSERT(c->learning_rate == 0.01);
    module_ctx_free(&mc);
    ASSERT_EQ_INT(module_ctx_init(&mc, &ALG, "{\"num_classes\": \"11\", \"optimizer\": \"sgd\"}", NULL),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&mc.ctx), "'optimizer': sgd needs num_classes <= 10");
    module_ctx_free(&mc);
    /* a required key */
    ASSERT_EQ_INT(module_ctx_init(&mc, &ALG, "{}", NULL), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&mc.ctx), "required hyperparameter 'num_classes' is missing");
    module_ctx_free(&mc);
    /* no job: no config */
    ASSERT_EQ_INT(module_ctx_init(&mc, &ALG, NULL, NULL), OPTML_OK);
    ASSERT(optml_config(&mc.ctx) == NULL);
    ASSERT(optml_config(NULL) == NULL);
    module_ctx_free(&mc);
}

TEST(bind_final_configuration_shows_resolved_values)
{
    struct module_ctx mc;
    ASSERT_EQ_INT(module_ctx_init(&mc, &ALG, "{\"num_classes\": \"3\", \"learning_rate\": \"auto\", \"scale\": \"0.1\", "
                                             "\"use_bias\": \"True\", \"seed\": \"007\"}", NULL), OPTML_OK);
    char *f = rt_hparams_final_json(&mc.hp);
    /* learning_rate and optimizer show what auto became, normalize is
     * still unset (auto), layers is not set at all; floats in their
     * shortest form (0.1 as a float is not 0.1 as a double) */
    ASSERT_EQ_STR(f, "{\"epochs\":\"15\",\"learning_rate\":\"0.02\",\"loss\":\"logistic\",\"margin\":\"1\","
                     "\"mini-batch-size\":\"1000\",\"momentum\":\"0.9\",\"name_prefix\":\"model\","
                     "\"normalize\":\"auto\",\"num_classes\":\"3\",\"optimizer\":\"adam\",\"scale\":\"0.1\","
                     "\"seed\":\"7\",\"shift\":\"0\",\"use_bias\":\"true\"}");
    free(f);
    module_ctx_free(&mc);
    /* The shape hash is of the values as given ("auto"), not of what
     * resolve() made of them: checkpoints stay compatible across versions
     * that resolve differently. */
    struct module_ctx a, b;
    ASSERT_EQ_INT(module_ctx_init(&a, &ALG, "{\"num_classes\": \"3\"}", NULL), OPTML_OK);
    ASSERT_EQ_INT(module_ctx_init(&b, &ALG, "{\"num_classes\": \"3\", \"optimizer\": \"Auto\"}", NULL), OPTML_OK);
    ASSERT(a.ctx.hp_hash == b.ctx.hp_hash);
    module_ctx_free(&b);
    ASSERT_EQ_INT(module_ctx_init(&b, &ALG, "{\"num_classes\": \"3\", \"optimizer\": \"adam\"}", NULL), OPTML_OK);
    ASSERT(a.ctx.hp_hash != b.ctx.hp_hash);
    module_ctx_free(&b);
    module_ctx_free(&a);
}

/* {key: value}, with num_classes (required) given when key is another. */
static char *with_key(const char *key, const char *value)
{
    if (strcmp(key, "num_classes") == 0)
        return strf("{\"%s\": \"%s\"}", key, value);
    return strf("{\"num_classes\": \"3\", \"%s\": \"%s\"}", key, value);
}

/* key=value must fail naming the key and `detail`. */
static void refused_(int line, const char *key, const char *value, const char *detail)
{
    char *json = with_key(key, value);
    struct module_ctx mc;
    optml_status s = module_ctx_init(&mc, &ALG, json, NULL);
    if (s != OPTML_E_CLIENT || !strstr(optml_error_message(&mc.ctx), detail) ||
        !strstr(optml_error_message(&mc.ctx), key))
        test_fail(__FILE__, line, "%s=%s: %s '%s'", key, value, optml_status_name(s), optml_error_message(&mc.ctx));
    module_ctx_free(&mc);
}
#define REFUSED(key, value, detail) refused_(__LINE__, key, value, detail)

static void accepted_(int line, const char *key, const char *value)
{
    char *json = with_key(key, value);
    struct module_ctx mc;
    if (module_ctx_init(&mc, &ALG, json, NULL) != OPTML_OK)
        test_fail(__FILE__, line, "%s=%s: %s", key, value, optml_error_message(&mc.ctx));
    module_ctx_free(&mc);
}
#define ACCEPTED(key, value) accepted_(__LINE__, key, value)

TEST(bind_values_must_fit_the_member)
{
    REFUSED("num_classes", "2147483648", "(out of the 32-bit integer range)");
    ACCEPTED("num_classes", "2147483647");
    REFUSED("shift", "-9223372036854775808", "(out of the 64-bit integer range)"); /* the unset value */
    ACCEPTED("shift", "-9223372036854775807");
    REFUSED("scale", "1e39", "(out of the float range)");
    ACCEPTED("scale", "-3e38");
    REFUSED("mini-batch-size", "0", "'mini-batch-size' must be an integer >= 1");
}

static optml_status check_one(const struct optml_hparam_decl *d, size_t config_size, char *msg, size_t size)
{
    struct optml_algorithm alg = {.api_version = OPTML_ALGORITHM_API_VERSION, .name = "m", .hparams = d,
                                  .n_hparams = 1, .config_size = config_size};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_status s = rt_hparams_check_decls(&ctx, &alg);
    snprintf(msg, size, "%.500s", ctx.errmsg);
    return s;
}

#define BAD_BINDING(size, needle, ...)                                                                   \
    do {                                                                                                 \
        const struct optml_hparam_decl d_ = {__VA_ARGS__};                                               \
        char m_[512];                                                                                    \
        if (check_one(&d_, size, m_, sizeof(m_)) != OPTML_E_INTERNAL || !strstr(m_, needle))           \
            test_fail(__FILE__, __LINE__, "expected '%s', got '%s'", needle, m_);                        \
    } while (0)

TEST(bind_table_checks)
{
    char msg[512];
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_hparams_check_decls(&ctx, &ALG), OPTML_OK);
    const struct optml_hparam_decl good = OPTML_HP_ROW(struct cfg, epochs, I32, "2", 0, 0, 0, "x");
    ASSERT_EQ_INT(check_one(&good, sizeof(struct cfg), msg, sizeof(msg)), OPTML_OK);
    BAD_BINDING(sizeof(struct cfg), "'x': a member bound as F64 cannot hold its type", .name = "x", .type = OPTML_HP_INT,
                .bind = OPTML_BIND_F64);
    BAD_BINDING(sizeof(struct cfg), "'x': a member bound as INDEX cannot hold its type", .name = "x",
                .type = OPTML_HP_STRING, .bind = OPTML_BIND_INDEX);
    BAD_BINDING(sizeof(struct cfg), "'x': unknown binding 99", .name = "x", .type = OPTML_HP_INT,
                .bind = (enum optml_hp_bind)99);
    BAD_BINDING(0, "'x': bound at offset 0 (4 bytes), outside config_size 0", .name = "x", .type = OPTML_HP_INT,
                .bind = OPTML_BIND_I32);
    BAD_BINDING(8, "outside config_size 8", .name = "x", .type = OPTML_HP_INT, .bind = OPTML_BIND_I64,
                .offset = 4);
    BAD_BINDING(64, "'x': a member bound as SIZE needs a min >= 0", .name = "x", .type = OPTML_HP_INT,
                .bind = OPTML_BIND_SIZE);
    BAD_BINDING(64, "'x': auto_value without OPTML_HP_ALLOW_AUTO", .name = "x", .type = OPTML_HP_INT,
                .bind = OPTML_BIND_I32, .auto_value = "3");
    BAD_BINDING(64, "'x': invalid auto_value: must be an integer", .name = "x", .type = OPTML_HP_INT,
                .flags = OPTML_AUTO, .bind = OPTML_BIND_I32, .auto_value = "three");
    BAD_BINDING(64, "'x': invalid auto_value: must be a value, not auto", .name = "x", .type = OPTML_HP_INT,
                .flags = OPTML_AUTO, .bind = OPTML_BIND_I32, .auto_value = "auto");
    BAD_BINDING(64, "'x': invalid auto_value", .name = "x", .type = OPTML_HP_ENUM, .choices = LOSSES,
                .flags = OPTML_AUTO, .bind = OPTML_BIND_INDEX, .auto_value = "squared");
    BAD_BINDING(64, "'x': auto_value on a row that is not bound", .name = "x", .type = OPTML_HP_INT,
                .flags = OPTML_AUTO, .auto_value = "3");
    BAD_BINDING(64, "'x': invalid default: must be an integer", .name = "x", .type = OPTML_HP_INT,
                .default_value = "4294967296", .bind = OPTML_BIND_I32);
    /* two keys into one member */
    const struct optml_hparam_decl twice[] = {
        OPTML_HP_ROW(struct cfg, epochs, I32, "2", 0, 0, 0, "x"),
        OPTML_HP_ROW_NAMED("passes", struct cfg, epochs, I32, "2", 0, 0, 0, "x"),
    };
    struct optml_algorithm alg = {.api_version = OPTML_ALGORITHM_API_VERSION, .name = "m", .hparams = twice,
                                  .n_hparams = 2, .config_size = sizeof(struct cfg)};
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_hparams_check_decls(&ctx, &alg), OPTML_E_INTERNAL);
    ASSERT_CONTAINS(ctx.errmsg, "'epochs' and 'passes' are bound to overlapping members");
    /* an unchecked table is refused at bind time rather than written out of bounds */
    alg.hparams = &HP[0];
    alg.n_hparams = 1;
    alg.config_size = 4;
    rt_ctx_init(&ctx);
    struct rt_hparams hp;
    ASSERT_EQ_INT(rt_hparams_parse(&ctx, &alg, "{}", 2, &hp), OPTML_E_INTERNAL);
    ASSERT_CONTAINS(ctx.errmsg, "the table was not checked");
}

/* A row that names a member T does not have, or one of another type, is a
 * compile error: compile small files with the compiler that built us. */
static int compiles(const char *dir, const char *row)
{
    const char *src = strf("#include <optml/algorithm.h>\n"
                           "struct c { int32_t epochs; double rate; };\n"
                           "const struct optml_hparam_decl t[] = { %s };\n", row);
    write_file(dir, "row.c", src, (size_t)-1);
    const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    char *cmd = strf("%s -std=gnu11 -fsyntax-only -Iruntime/include %s/row.c >/dev/null 2>&1", cc, dir);
    int rc = system(cmd);
    return rc == 0;
}

TEST(bind_rows_with_a_wrong_member_do_not_compile)
{
    char *dir = tmpdir_new();
    ASSERT(compiles(dir, "OPTML_HP_ROW(struct c, epochs, I32, \"2\", 0, 0, 0, \"x\")"));
    ASSERT(compiles(dir, "OPTML_HP_ROW_NAMED(\"learning-rate\", struct c, rate, F64, \"2\", 0, 0, 0, \"x\")"));
    ASSERT(!compiles(dir, "OPTML_HP_ROW(struct c, epoch, I32, \"2\", 0, 0, 0, \"x\")"));   /* misspelt */
    ASSERT(!compiles(dir, "OPTML_HP_ROW(struct c, epochs, I64, \"2\", 0, 0, 0, \"x\")"));  /* int32_t, not I64 */
    ASSERT(!compiles(dir, "OPTML_HP_ROW(struct c, rate, F32, \"2\", 0, 0, 0, \"x\")"));    /* double, not F32 */
    ASSERT(!compiles(dir, "OPTML_HP_ROW(struct c, epochs, INT, \"2\", 0, 0, 0, \"x\")"));  /* no such kind */
}
