/*
 * test_hparams.c: runtime/config/hparams.c: the declaration-table check, parsing of
 * hyperparameters.json (types, ranges, defaults, double encoding, reserved
 * keys, errors and their messages), the shape hash, the echo lines and the
 * public optml_hp_* accessors.  The module tables are built here.
 */
#include <math.h>

#include "support/harness.h"
#include "support/support.h"
#include "config/hparams.h"

static const char *const OPTIMIZERS[] = {"adam", "sgd", "RMSprop", NULL};
static const char *const LOSSES[] = {"logistic", "hinge", NULL};

#define MIN_MAX (OPTML_HP_HAS_MIN | OPTML_HP_HAS_MAX)
static const struct optml_hparam_decl HP[] = {
    {.name = "feature_dim", .type = OPTML_HP_INT,
     .flags = OPTML_HP_REQUIRED | OPTML_HP_SHAPES_MODEL | OPTML_HP_HAS_MIN | OPTML_HP_ALLOW_AUTO,
     .min = 1, .help = "input dimension"},
    {.name = "epochs", .type = OPTML_HP_INT, .default_value = "15", .flags = MIN_MAX, .min = 1,
     .max = 1000, .help = "passes"},
    {.name = "learning_rate", .type = OPTML_HP_FLOAT, .default_value = "0.1",
     .flags = MIN_MAX | OPTML_HP_MIN_EXCLUSIVE, .max = 1, .help = "step"},
    {.name = "use_bias", .type = OPTML_HP_BOOL, .default_value = "true", .flags = OPTML_HP_SHAPES_MODEL,
     .help = "bias term"},
    {.name = "optimizer", .type = OPTML_HP_ENUM, .default_value = "adam", .flags = OPTML_HP_ALLOW_AUTO,
     .choices = OPTIMIZERS, .help = "optimizer"},
    {.name = "loss", .type = OPTML_HP_ENUM, .choices = LOSSES, .help = "loss"},
    {.name = "layers", .type = OPTML_HP_JSON, .default_value = "[64, 32]",
     .flags = OPTML_HP_SHAPES_MODEL, .help = "layer sizes"},
    {.name = "name_prefix", .type = OPTML_HP_STRING, .default_value = "model", .help = "prefix"},
    {.name = "wd", .type = OPTML_HP_FLOAT, .flags = OPTML_HP_ALLOW_AUTO | OPTML_HP_HAS_MAX, .max = 10,
     .help = "decay"},
};

static const struct optml_algorithm ALG = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .name = "test-learner",
    .version = "1.0.0",
    .hparams = HP,
    .n_hparams = OPTML_COUNTOF(HP),
};

static optml_status parse(struct optml_ctx *ctx, const char *json, struct rt_hparams *hp)
{
    rt_ctx_init(ctx);
    return rt_hparams_parse(ctx, &ALG, json, json ? strlen(json) : 0, hp);
}

/* Parse must fail with `code`, every needle in the message, *hp zeroed. */
static void parse_fails_(int line, const char *json, optml_status code, const char *const *needles)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    optml_status st = parse(&ctx, json, &hp);
    if (st != code)
        test_fail(__FILE__, line, "%.200s: status %s, message '%s'", json, optml_status_name(st),
                  ctx.errmsg);
    for (size_t i = 0; needles[i]; i++)
        if (!strstr(ctx.errmsg, needles[i]))
            test_fail(__FILE__, line, "message '%s' lacks '%s'", ctx.errmsg, needles[i]);
    if (hp.values || hp.provided || hp.ignored || hp.alg)
        test_fail(__FILE__, line, "output not zeroed after an error");
}
#define FAILS(json, ...) parse_fails_(__LINE__, json, OPTML_E_CLIENT, (const char *const[]){__VA_ARGS__, NULL})

/* One value for one key, with feature_dim given. */
static optml_status parse_one(struct optml_ctx *ctx, const char *key, const char *value,
                              struct rt_hparams *hp)
{
    json_t *o = json_pack("{s:s, s:s}", "feature_dim", "4", key, value);
    char *s = json_dumps(o, 0);
    optml_status st = parse(ctx, s, hp);
    free(s);
    json_decref(o);
    return st;
}

/* Assert that key=value fails with every needle in the message. */
static void one_fails_(int line, const char *key, const char *value, const char *const *needles)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    optml_status st = parse_one(&ctx, key, value, &hp);
    if (st != OPTML_E_CLIENT)
        test_fail(__FILE__, line, "%s='%s': status %s", key, value, optml_status_name(st));
    for (size_t i = 0; needles[i]; i++)
        if (!strstr(ctx.errmsg, needles[i]))
            test_fail(__FILE__, line, "message '%s' lacks '%s'", ctx.errmsg, needles[i]);
}
#define ONE_FAILS(key, value, ...) one_fails_(__LINE__, key, value, (const char *const[]){__VA_ARGS__, NULL})

/* Assert that key=value parses and leaves the value's text `want`. */
static void one_text_(int line, const char *key, const char *value, const char *want)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    optml_status st = parse_one(&ctx, key, value, &hp);
    if (st != OPTML_OK)
        test_fail(__FILE__, line, "%s='%s': status %s, message '%s'", key, value, optml_status_name(st),
                  ctx.errmsg);
    const char *text = rt_hparams_find(&hp, key)->text;
    if (!text || strcmp(text, want) != 0)
        test_fail(__FILE__, line, "%s='%s': text \"%s\" != \"%s\"", key, value, text ? text : "(null)", want);
    rt_hparams_free(&hp);
}
#define ONE_TEXT(key, value, want) one_text_(__LINE__, key, value, want)

static void with_job(struct optml_ctx *ctx, struct rt_hparams *hp)
{
    ctx->alg = &ALG;
    ctx->hp = hp;
}

TEST(hparams_decls_valid)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_hparams_check_decls(&ctx, &ALG), OPTML_OK);
    struct optml_algorithm none = {.api_version = 1, .name = "none"};
    ASSERT_EQ_INT(rt_hparams_check_decls(&ctx, &none), OPTML_OK);
    ASSERT_EQ_STR(ctx.errmsg, "");
}

/* A table (one or two entries) must be refused with `needle` in the message. */
static void bad_decl_(int line, const char *needle, struct optml_hparam_decl d1,
                      struct optml_hparam_decl d2)
{
    struct optml_hparam_decl t[2] = {d1, d2};
    struct optml_algorithm alg = {.api_version = 1, .name = "bad-mod", .hparams = t,
                                  .n_hparams = d2.type == OPTML_HP_INT && !d2.name ? 1 : 2};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_status st = rt_hparams_check_decls(&ctx, &alg);
    if (st != OPTML_E_INTERNAL)
        test_fail(__FILE__, line, "status %s", optml_status_name(st));
    if (!strstr(ctx.errmsg, "module 'bad-mod'") || !strstr(ctx.errmsg, needle))
        test_fail(__FILE__, line, "message '%s' lacks module name or '%s'", ctx.errmsg, needle);
}
#define D(...) ((struct optml_hparam_decl){__VA_ARGS__})
#define BAD_DECL(needle, ...) bad_decl_(__LINE__, needle, D(__VA_ARGS__), D(.name = NULL))
#define BAD_DECL2(needle, a, b) bad_decl_(__LINE__, needle, a, b)

TEST(hparams_decls_invalid)
{
    static const char *const empty[] = {NULL};
    static const char *const dup[] = {"a", "A", NULL};
    static const char *const only_a[] = {"a", NULL};
    BAD_DECL2("'k' is declared twice", D(.name = "k", .type = OPTML_HP_INT),
              D(.name = "k", .type = OPTML_HP_STRING));
    BAD_DECL("'e': ENUM without choices", .name = "e", .type = OPTML_HP_ENUM);
    BAD_DECL("'e': ENUM without choices", .name = "e", .type = OPTML_HP_ENUM, .choices = empty);
    BAD_DECL("'e': choice 'A' is listed twice", .name = "e", .type = OPTML_HP_ENUM, .choices = dup);
    BAD_DECL("'r': required but has a default", .name = "r", .type = OPTML_HP_INT,
             .default_value = "3", .flags = OPTML_HP_REQUIRED);
    BAD_DECL("'n': invalid default: must be an integer >= 1, got '0'", .name = "n",
             .type = OPTML_HP_INT, .default_value = "0", .flags = OPTML_HP_HAS_MIN, .min = 1);
    BAD_DECL("'n': invalid default: must be an integer, got 'ten'", .name = "n",
             .type = OPTML_HP_INT, .default_value = "ten");
    BAD_DECL("'f': invalid default", .name = "f", .type = OPTML_HP_FLOAT, .default_value = "nan");
    BAD_DECL("'b': invalid default", .name = "b", .type = OPTML_HP_BOOL, .default_value = "yes");
    BAD_DECL("'j': invalid default", .name = "j", .type = OPTML_HP_JSON, .default_value = "[1,");
    BAD_DECL("'e': invalid default: must be one of a, got 'b'", .name = "e",
             .type = OPTML_HP_ENUM, .default_value = "b", .choices = only_a);
    BAD_DECL("'a': invalid default", .name = "a", .type = OPTML_HP_INT, .default_value = "auto");
    BAD_DECL("'sagemaker_x': names starting with '_' or 'sagemaker_' are reserved",
             .name = "sagemaker_x", .type = OPTML_HP_INT);
    BAD_DECL("are reserved", .name = "_x", .type = OPTML_HP_INT);
    BAD_DECL("has no name", .name = "", .type = OPTML_HP_INT);
    BAD_DECL2("hyperparameter #1 has no name", D(.name = "ok", .type = OPTML_HP_INT),
              D(.name = NULL, .type = OPTML_HP_STRING));
    BAD_DECL("'x': OPTML_HP_MIN_EXCLUSIVE without OPTML_HP_HAS_MIN", .name = "x",
             .type = OPTML_HP_FLOAT, .flags = OPTML_HP_MIN_EXCLUSIVE);
    BAD_DECL("'x': empty range", .name = "x", .type = OPTML_HP_FLOAT, .flags = MIN_MAX,
             .min = 2, .max = 1);
    BAD_DECL("'x': empty range", .name = "x", .type = OPTML_HP_FLOAT,
             .flags = MIN_MAX | OPTML_HP_MIN_EXCLUSIVE, .min = 1, .max = 1);
    BAD_DECL("'x': NaN bound", .name = "x", .type = OPTML_HP_FLOAT, .flags = OPTML_HP_HAS_MAX,
             .max = NAN);
    BAD_DECL("'s': range flags on a non-numeric type", .name = "s", .type = OPTML_HP_STRING,
             .flags = OPTML_HP_HAS_MIN);
    BAD_DECL("'t': unknown type 42", .name = "t", .type = (enum optml_hp_type)42);
    BAD_DECL("'t': unknown flags 0x100", .name = "t", .type = OPTML_HP_INT, .flags = 0x100);

    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_hparams_check_decls(&ctx, NULL), OPTML_E_INTERNAL);
    rt_ctx_init(&ctx);
    struct optml_algorithm broken = {.api_version = 1, .name = "broken", .n_hparams = 2};
    ASSERT_EQ_INT(rt_hparams_check_decls(&ctx, &broken), OPTML_E_INTERNAL);
    ASSERT_CONTAINS(ctx.errmsg, "module 'broken'");
}

TEST(hparams_defaults_applied)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    ASSERT_EQ_INT(parse(&ctx, "{\"feature_dim\": \"10\"}", &hp), OPTML_OK);
    with_job(&ctx, &hp);
    ASSERT_EQ_INT(optml_hp_int(&ctx, "feature_dim"), 10);
    ASSERT_NEAR(optml_hp_float(&ctx, "feature_dim"), 10.0, 0);
    ASSERT(optml_hp_was_given(&ctx, "feature_dim"));
    ASSERT_EQ_INT(optml_hp_int(&ctx, "epochs"), 15);
    ASSERT(optml_hp_is_set(&ctx, "epochs"));
    ASSERT(!optml_hp_was_given(&ctx, "epochs"));
    ASSERT_NEAR(optml_hp_float(&ctx, "learning_rate"), 0.1, 0);
    ASSERT_EQ_INT(optml_hp_bool(&ctx, "use_bias"), 1);
    ASSERT_EQ_STR(optml_hp_string(&ctx, "optimizer"), "adam");
    ASSERT(!optml_hp_is_auto(&ctx, "optimizer"));
    ASSERT_EQ_STR(optml_hp_string(&ctx, "layers"), "[64, 32]");
    ASSERT_EQ_STR(optml_hp_string(&ctx, "name_prefix"), "model");
    ASSERT_EQ_STR(optml_hp_string(&ctx, "epochs"), "15");
    ASSERT(!optml_hp_is_set(&ctx, "loss"));
    ASSERT(optml_hp_string(&ctx, "loss") == NULL);
    ASSERT(!optml_hp_is_set(&ctx, "wd"));
    ASSERT_NEAR(optml_hp_float(&ctx, "wd"), 0, 0);
    /* Wrong-type reads and undeclared names are 0 / NULL. */
    ASSERT_EQ_INT(optml_hp_int(&ctx, "learning_rate"), 0);
    ASSERT_EQ_INT(optml_hp_bool(&ctx, "epochs"), 0);
    ASSERT_EQ_INT(optml_hp_int(&ctx, "nope"), 0);
    ASSERT(optml_hp_string(&ctx, "nope") == NULL);
    ASSERT(!optml_hp_is_set(&ctx, "nope"));
    ASSERT(!optml_hp_was_given(&ctx, NULL));
    const struct rt_hparam_value *v = rt_hparams_find(&hp, "epochs");
    ASSERT(v && v->decl == &HP[1] && v->set && !v->given && v->i == 15);
    ASSERT(rt_hparams_find(&hp, "Epochs") == NULL);
    ASSERT(rt_hparams_find(NULL, "epochs") == NULL);
    ASSERT_EQ_INT(json_object_size(hp.ignored), 0);
    rt_hparams_free(&hp);
}

TEST(hparams_accessors_without_job)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_hp_is_set(&ctx, "epochs"), 0);
    ASSERT_EQ_INT(optml_hp_is_auto(&ctx, "epochs"), 0);
    ASSERT_EQ_INT(optml_hp_was_given(&ctx, "epochs"), 0);
    ASSERT_EQ_INT(optml_hp_int(&ctx, "epochs"), 0);
    ASSERT_NEAR(optml_hp_float(&ctx, "epochs"), 0, 0);
    ASSERT_EQ_INT(optml_hp_bool(&ctx, "epochs"), 0);
    ASSERT(optml_hp_string(&ctx, "epochs") == NULL);
    ASSERT_EQ_INT(optml_hp_int(NULL, "epochs"), 0);
    ASSERT(optml_hp_string(NULL, "epochs") == NULL);
    ctx.hp = NULL; /* a job whose hyperparameters are not parsed yet */
    ASSERT_EQ_INT(optml_hp_int(&ctx, "epochs"), 0);
    ASSERT(optml_hp_string(&ctx, "epochs") == NULL);
}

TEST(hparams_no_file_and_blank_file)
{
    static const struct optml_hparam_decl opt[] = {
        {.name = "k", .type = OPTML_HP_INT, .default_value = "3"}};
    struct optml_algorithm alg = {.api_version = 1, .name = "m", .hparams = opt, .n_hparams = 1};
    const char *texts[] = {NULL, "", " \r\n\t"};
    for (size_t i = 0; i < 3; i++) {
        struct optml_ctx ctx;
        rt_ctx_init(&ctx);
        struct rt_hparams hp;
        ASSERT_EQ_INT(rt_hparams_parse(&ctx, &alg, texts[i], texts[i] ? strlen(texts[i]) : 0, &hp),
                      OPTML_OK);
        ASSERT_EQ_INT(rt_hparams_find(&hp, "k")->i, 3);
        char *p = rt_hparams_provided_json(&hp);
        ASSERT_EQ_STR(p, "{}");
        free(p);
        rt_hparams_free(&hp);
    }
    /* No file with a required key is an error naming it. */
    parse_fails_(__LINE__, NULL, OPTML_E_CLIENT,
                 (const char *const[]){"hyperparameters.json: required hyperparameter "
                                       "'feature_dim' is missing (an integer >= 1 or auto)", NULL});
}

TEST(hparams_double_encoded)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    const char *json = "{\"feature_dim\": \"\\\"10\\\"\", \"optimizer\": \"\\\"sgd\\\"\","
                       " \"name_prefix\": \"\\\"abc\\\"\", \"use_bias\": \"\\\"false\\\"\","
                       " \"learning_rate\": \"0.001\", \"layers\": \"[1, 2]\", \"loss\": \" \\\"hinge\\\"\"}";
    ASSERT_EQ_INT(parse(&ctx, json, &hp), OPTML_OK);
    ASSERT_EQ_INT(rt_hparams_find(&hp, "feature_dim")->i, 10);
    ASSERT_EQ_STR(rt_hparams_find(&hp, "optimizer")->text, "sgd");
    ASSERT_EQ_STR(rt_hparams_find(&hp, "name_prefix")->text, "abc");
    ASSERT_EQ_INT(rt_hparams_find(&hp, "use_bias")->b, 0);
    ASSERT_EQ_STR(rt_hparams_find(&hp, "layers")->text, "[1, 2]");
    ASSERT_EQ_STR(rt_hparams_find(&hp, "loss")->text, "hinge");
    rt_hparams_free(&hp);

    /* Decoded once only: a triple-quoted string keeps one level of quotes. */
    ONE_TEXT("name_prefix", "\"\\\"x\\\"\"", "\"x\"");
    /* Not a complete string literal: kept verbatim. */
    ONE_TEXT("name_prefix", "\"abc", "\"abc");
    ONE_TEXT("name_prefix", "\"a\" \"b\"", "\"a\" \"b\"");
    /* JSON type: a JSON-encoded JSON document is decoded ... */
    ONE_TEXT("layers", "\"[3, 4]\"", "[3, 4]");
    /* ... but a JSON string value that is not JSON once decoded stays as given. */
    ONE_TEXT("layers", "\"abc\"", "\"abc\"");
    /* A double-encoded bad value is reported as decoded. */
    ONE_FAILS("epochs", "\"0\"", "'epochs' must be an integer in [1, 1000], got '0'");
}

TEST(hparams_bool_spellings)
{
    const char *yes[] = {"true", "True", "TRUE", "1", " true ", "\"True\""};
    const char *no[] = {"false", "False", "FALSE", "0", "\"false\""};
    struct optml_ctx ctx;
    struct rt_hparams hp;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        ASSERT_EQ_INT(parse_one(&ctx, "use_bias", yes[i], &hp), OPTML_OK);
        ASSERT_EQ_INT(rt_hparams_find(&hp, "use_bias")->b, 1);
        rt_hparams_free(&hp);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        ASSERT_EQ_INT(parse_one(&ctx, "use_bias", no[i], &hp), OPTML_OK);
        ASSERT_EQ_INT(rt_hparams_find(&hp, "use_bias")->b, 0);
        ASSERT(rt_hparams_find(&hp, "use_bias")->given);
        rt_hparams_free(&hp);
    }
    const char *bad[] = {"yes", "tRUE", "2", "", "on", "t", "auto"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ONE_FAILS("use_bias", bad[i], "hyperparameters.json: 'use_bias' must be a boolean "
                  "(true, True, TRUE, 1, false, False, FALSE, 0), got '");
    ONE_FAILS("use_bias", "yes", "got 'yes'");
}

TEST(hparams_int_parsing)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    const struct { const char *text; long long value; } ok[] = {
        {"5", 5}, {"  5", 5}, {"5 ", 5}, {"+7", 7}, {"1000", 1000}, {"0001", 1}, {"\"12\"", 12}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ASSERT_EQ_INT(parse_one(&ctx, "epochs", ok[i].text, &hp), OPTML_OK);
        ASSERT_EQ_INT(rt_hparams_find(&hp, "epochs")->i, ok[i].value);
        ASSERT_NEAR(rt_hparams_find(&hp, "epochs")->f, (double)ok[i].value, 0);
        rt_hparams_free(&hp);
    }
    ONE_FAILS("epochs", "5x", "hyperparameters.json: 'epochs' must be an integer in [1, 1000], got '5x'");
    ONE_FAILS("epochs", "", "'epochs' must be an integer in [1, 1000], got ''");
    ONE_FAILS("epochs", "5.0", "got '5.0'");
    ONE_FAILS("epochs", "1e3", "got '1e3'");
    ONE_FAILS("epochs", "0x10", "got '0x10'");
    ONE_FAILS("epochs", "- 5", "got '- 5'");
    ONE_FAILS("epochs", "0", "'epochs' must be an integer in [1, 1000], got '0'");
    ONE_FAILS("epochs", "1001", "got '1001'");
    ONE_FAILS("epochs", "-5", "got '-5'");
    ONE_FAILS("epochs", "auto", "'epochs' must be an integer in [1, 1000], got 'auto'");
    ONE_FAILS("epochs", "99999999999999999999", "(out of the 64-bit integer range)");
    /* INT64 extremes parse (then fail the declared range, not the conversion). */
    ONE_FAILS("epochs", "9223372036854775807", "got '9223372036854775807'");
    ONE_FAILS("feature_dim", "-9223372036854775808", "'feature_dim' must be an integer >= 1 or auto");
    /* Long values are shortened in the message. */
    char longv[400];
    memset(longv, '7', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = 0;
    ONE_FAILS("epochs", longv, "...'");
}

TEST(hparams_float_parsing)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    const struct { const char *text; double value; } ok[] = {
        {"1e-3", 1e-3}, {"0.5", 0.5}, {" 0.25 ", 0.25}, {"1", 1}, {".5", 0.5}, {"5.", 5},
        {"1E-2", 0.01}, {"+0.75", 0.75}, {"1e-400", 0}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        const char *key = ok[i].value > 1 ? "wd" : "learning_rate";
        optml_status st = parse_one(&ctx, key, ok[i].text, &hp);
        if (ok[i].value == 0) { /* underflow to 0 is refused by the exclusive minimum */
            ASSERT_EQ_INT(st, OPTML_E_CLIENT);
            continue;
        }
        ASSERT_EQ_INT(st, OPTML_OK);
        ASSERT_NEAR(rt_hparams_find(&hp, key)->f, ok[i].value, 0);
        rt_hparams_free(&hp);
    }
    ONE_FAILS("learning_rate", "0", "hyperparameters.json: 'learning_rate' must be a number in (0, 1], got '0'");
    ONE_FAILS("learning_rate", "-0.1", "got '-0.1'");
    ONE_FAILS("learning_rate", "1.0000001", "in (0, 1], got '1.0000001'");
    ONE_FAILS("learning_rate", "nan", "got 'nan'");
    ONE_FAILS("learning_rate", "NaN", "got 'NaN'");
    ONE_FAILS("learning_rate", "inf", "got 'inf'");
    ONE_FAILS("learning_rate", "-Infinity", "got '-Infinity'");
    ONE_FAILS("wd", "1e999", "(out of the double range)");
    ONE_FAILS("learning_rate", "0x1p-2", "got '0x1p-2'");
    ONE_FAILS("learning_rate", "", "got ''");
    ONE_FAILS("learning_rate", "1e", "got '1e'");
    ONE_FAILS("learning_rate", "0.1.2", "got '0.1.2'");
    ONE_FAILS("learning_rate", "0,5", "got '0,5'");
    ONE_FAILS("learning_rate", "e", "got 'e'");
    ONE_FAILS("wd", "10.5", "'wd' must be a number <= 10 or auto, got '10.5'");
    ASSERT_EQ_INT(parse_one(&ctx, "learning_rate", "1", &hp), OPTML_OK); /* inclusive max */
    rt_hparams_free(&hp);
}

TEST(hparams_enum_and_auto)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    ONE_TEXT("optimizer", "SGD", "sgd");
    ONE_TEXT("optimizer", "rmsprop", "RMSprop");
    ASSERT_EQ_INT(parse_one(&ctx, "optimizer", "Auto", &hp), OPTML_OK);
    with_job(&ctx, &hp);
    ASSERT(optml_hp_is_auto(&ctx, "optimizer"));
    ASSERT_EQ_STR(optml_hp_string(&ctx, "optimizer"), "auto");
    rt_hparams_free(&hp);
    ONE_FAILS("optimizer", "adamw",
              "hyperparameters.json: 'optimizer' must be one of auto, adam, sgd, RMSprop, got 'adamw'");
    ONE_FAILS("loss", "auto", "'loss' must be one of logistic, hinge, got 'auto'");
    ONE_FAILS("loss", "", "'loss' must be one of logistic, hinge, got ''");

    const char *j = "{\"feature_dim\": \"auto\", \"wd\": \"AUTO\"}";
    ASSERT_EQ_INT(parse(&ctx, j, &hp), OPTML_OK);
    with_job(&ctx, &hp);
    ASSERT(optml_hp_is_auto(&ctx, "feature_dim"));
    ASSERT(optml_hp_is_set(&ctx, "feature_dim"));
    ASSERT(optml_hp_was_given(&ctx, "feature_dim"));
    ASSERT_EQ_INT(optml_hp_int(&ctx, "feature_dim"), 0);
    ASSERT(optml_hp_is_auto(&ctx, "wd"));
    ASSERT_NEAR(optml_hp_float(&ctx, "wd"), 0, 0);
    ASSERT_EQ_STR(optml_hp_string(&ctx, "wd"), "auto");
    ASSERT(!optml_hp_is_auto(&ctx, "epochs"));
    rt_hparams_free(&hp);
    ONE_FAILS("feature_dim", "automatic", "'feature_dim' must be an integer >= 1 or auto, got 'automatic'");
}

TEST(hparams_strings_verbatim)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    ONE_TEXT("name_prefix", "  spaced out  ", "  spaced out  ");
    ONE_TEXT("name_prefix", "", "");
    ASSERT_EQ_INT(parse_one(&ctx, "name_prefix", "auto", &hp), OPTML_OK); /* no ALLOW_AUTO */
    ASSERT(!rt_hparams_find(&hp, "name_prefix")->is_auto);
    rt_hparams_free(&hp);
    ONE_TEXT("name_prefix", "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
}

TEST(hparams_json_type)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    const char *ok[] = {"{\"a\": [1, 2]}", "3", "null", " [ ] ", "\"s\""};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ASSERT_EQ_INT(parse_one(&ctx, "layers", ok[i], &hp), OPTML_OK);
        rt_hparams_free(&hp);
    }
    ONE_FAILS("layers", "[1, 2", "hyperparameters.json: 'layers' must be valid JSON text, got '[1, 2' (line 1, column");
    ONE_FAILS("layers", "", "'layers' must be valid JSON text, got ''");
    ONE_FAILS("layers", "{a: 1}", "got '{a: 1}'");
}

TEST(hparams_required_missing)
{
    FAILS("{}", "hyperparameters.json: required hyperparameter 'feature_dim' is missing "
                "(an integer >= 1 or auto)");
    FAILS("{\"epochs\": \"3\"}", "'feature_dim' is missing");
    static const struct optml_hparam_decl two[] = {
        {.name = "num_classes", .type = OPTML_HP_INT, .flags = OPTML_HP_REQUIRED},
        {.name = "opt", .type = OPTML_HP_STRING, .default_value = "x"},
        {.name = "mini_batch_size", .type = OPTML_HP_INT, .flags = OPTML_HP_REQUIRED},
    };
    struct optml_algorithm alg = {.api_version = 1, .name = "m", .hparams = two, .n_hparams = 3};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_hparams hp;
    ASSERT_EQ_INT(rt_hparams_parse(&ctx, &alg, "{}", 2, &hp), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "hyperparameters.json: required hyperparameters are missing: "
                                "num_classes, mini_batch_size");
}

TEST(hparams_unknown_key)
{
    FAILS("{\"feature_dim\": \"3\", \"epoch\": \"3\"}",
          "hyperparameters.json: unknown hyperparameter 'epoch' (did you mean 'epochs'?); test-learner accepts feature_dim, "
          "epochs, learning_rate, use_bias, optimizer, loss, layers, name_prefix, wd");
    FAILS("{\"feature_dim\": \"3\", \"Learning-Rate\": \"0.1\"}",
          "unknown hyperparameter 'Learning-Rate' (did you mean 'learning_rate'?)");
    FAILS("{\"feature_dim\": \"3\", \"epoch\": 3}", "unknown hyperparameter 'epoch'");
    static const struct optml_algorithm empty = {.api_version = 1, .name = "bare"};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_hparams hp;
    const char *j = "{\"x\": \"1\"}";
    ASSERT_EQ_INT(rt_hparams_parse(&ctx, &empty, j, strlen(j), &hp), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "unknown hyperparameter 'x'; bare accepts no hyperparameters");
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_hparams_parse(&ctx, &empty, "{}", 2, &hp), OPTML_OK);
    rt_hparams_free(&hp);
}

/* A misspelled key names the declared one within a small edit distance
 * (insert, delete, substitute, swap two neighbours; case and '-' free). */
TEST(hparams_unknown_key_suggests_nearest_name)
{
    FAILS("{\"feature_dim\": \"3\", \"learnig_rate\": \"0.1\"}",
          "unknown hyperparameter 'learnig_rate' (did you mean 'learning_rate'?); test-learner accepts");
    FAILS("{\"feature_dim\": \"3\", \"Lerning-Rate\": \"0.1\"}", "(did you mean 'learning_rate'?)");
    FAILS("{\"feature_dim\": \"3\", \"use_bais\": \"true\"}", "(did you mean 'use_bias'?)");
    FAILS("{\"feature_dim\": \"3\", \"optimiser\": \"adam\"}", "(did you mean 'optimizer'?)");
    FAILS("{\"featuredim\": \"3\"}", "(did you mean 'feature_dim'?)");
    static const struct optml_hparam_decl ll[] = {
        {.name = "mini_batch_size", .type = OPTML_HP_INT, .default_value = "1000"},
        {.name = "wd", .type = OPTML_HP_FLOAT, .default_value = "0"},
        {.name = "l1", .type = OPTML_HP_FLOAT, .default_value = "0"},
        {.name = "num_models", .type = OPTML_HP_INT, .default_value = "8"},
        {.name = "num_classes", .type = OPTML_HP_INT, .default_value = "2"},
    };
    struct optml_algorithm alg = {.api_version = 1, .name = "ll", .hparams = ll, .n_hparams = 5};
    static const char *const cases[][2] = {
        {"mini_bach_size", "mini_batch_size"}, {"minibatch_size", "mini_batch_size"},
        {"mini_batch_sizes", "mini_batch_size"}, {"Mini-Batch-Size", "mini_batch_size"},
        {"num_class", "num_classes"}, {"num_model", "num_models"},
        /* too far, or too short to guess: no suggestion */
        {"wx", NULL}, {"l2", NULL}, {"batch_size", NULL}, {"epochs", NULL}, {"num_layers", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct optml_ctx ctx;
        rt_ctx_init(&ctx);
        struct rt_hparams hp;
        char *j = strf("{\"%s\": \"1\"}", cases[i][0]);
        ASSERT_EQ_INT(rt_hparams_parse(&ctx, &alg, j, strlen(j), &hp), OPTML_E_CLIENT);
        char *want = strf("unknown hyperparameter '%s'%s%s%s; ll accepts", cases[i][0],
                          cases[i][1] ? " (did you mean '" : "", cases[i][1] ? cases[i][1] : "",
                          cases[i][1] ? "'?)" : "");
        ASSERT_CONTAINS(ctx.errmsg, want);
        free(want);
        free(j);
    }
}

TEST(hparams_reserved_keys_ignored)
{
    struct optml_ctx ctx;
    struct rt_hparams hp;
    const char *j = "{\"feature_dim\": \"3\", \"_tuning_objective_metric\": \"validation:loss\","
                    " \"sagemaker_region\": \"\\\"us-east-1\\\"\", \"sagemaker_mpi_enabled\": true,"
                    " \"sagemaker_program\": \"\\\"train.py\\\"\"}";
    ASSERT_EQ_INT(parse(&ctx, j, &hp), OPTML_OK);
    ASSERT_EQ_INT(json_object_size(hp.ignored), 4);
    ASSERT_EQ_STR(json_string_value(json_object_get(hp.ignored, "sagemaker_region")), "\"us-east-1\"");
    ASSERT(json_is_true(json_object_get(hp.ignored, "sagemaker_mpi_enabled")));
    ASSERT_EQ_STR(json_string_value(json_object_get(hp.ignored, "_tuning_objective_metric")),
                  "validation:loss");
    ASSERT(rt_hparams_find(&hp, "sagemaker_region") == NULL);
    rt_hparams_free(&hp);
    /* "sagemaker" without the underscore is an ordinary (unknown) key. */
    FAILS("{\"feature_dim\": \"3\", \"sagemakerx\": \"1\"}", "unknown hyperparameter 'sagemakerx'");
}

TEST(hparams_non_string_values)
{
    FAILS("{\"feature_dim\": \"3\", \"epochs\": 10}",
          "hyperparameters.json: 'epochs' is a number (10), but SageMaker passes every "
          "hyperparameter value as a string: write \"epochs\": \"10\"");
    FAILS("{\"feature_dim\": \"3\", \"use_bias\": true}",
          "'use_bias' is a boolean (true)", "write \"use_bias\": \"true\"");
    FAILS("{\"feature_dim\": \"3\", \"learning_rate\": 0.5}", "write \"learning_rate\": \"0.5\"");
    FAILS("{\"feature_dim\": \"3\", \"layers\": [1, 2]}",
          "'layers' is a list ([1,2])", "write \"layers\": \"[1,2]\"");
    FAILS("{\"feature_dim\": \"3\", \"layers\": {\"a\": \"b\"}}",
          "'layers' is an object", "write \"layers\": \"{\\\"a\\\":\\\"b\\\"}\"");
    FAILS("{\"feature_dim\": null}", "'feature_dim' is null", "as a string");
}

TEST(hparams_malformed_json)
{
    FAILS("{\"feature_dim\": \"3\",", "hyperparameters.json: invalid JSON at line 1, column");
    FAILS("{\"feature_dim\": \"3\"", "hyperparameters.json: invalid JSON at line 1, column 19");
    FAILS("{\n\"feature_dim\": 3x}", "hyperparameters.json: invalid JSON at line 2");
    FAILS("{,}", "invalid JSON");
    FAILS("{\"feature_dim\": \"3\"} trailing", "invalid JSON");
    FAILS("{'feature_dim': '3'}", "invalid JSON");
    FAILS("[]", "hyperparameters.json: the top level must be a JSON object, got a list");
    FAILS("[{\"feature_dim\": \"3\"}]", "the top level must be a JSON object, got a list");
    FAILS("\"feature_dim\"", "the top level must be a JSON object, got a string");
    FAILS("42", "the top level must be a JSON object, got a number");
    FAILS("null", "got null");
    FAILS("{\"feature_dim\": \"3\", \"feature_dim\": \"4\"}", "duplicate object key");
    FAILS("{\"feature_dim\": \"\\u0000\"}", "invalid JSON");
    FAILS("{\"feature_dim\": \"\xff\"}", "invalid JSON");

    size_t n = 100000;
    char *deep = malloc(n + 1);
    memset(deep, '[', n);
    deep[n] = 0;
    FAILS(deep, "hyperparameters.json: invalid JSON at line 1, column", "maximum parsing depth");
    free(deep);
    /* Deep nesting inside a JSON-typed value is refused too, with a message. */
    char *nested = malloc(5000 + 1);
    memset(nested, '[', 5000);
    nested[5000] = 0;
    ONE_FAILS("layers", nested, "'layers' must be valid JSON text", "maximum parsing depth");
    free(nested);
}

TEST(hparams_shape_hash)
{
    struct optml_ctx ctx;
    struct rt_hparams a, b;
    ASSERT_EQ_INT(parse(&ctx, "{\"feature_dim\": \"5\"}", &a), OPTML_OK);
    uint64_t base = rt_hparams_shape_hash(&a);
    rt_hparams_free(&a);
    ASSERT(base != rt_hparams_shape_hash(NULL));

    /* Same shaping values, other spellings or other non-shaping values: equal. */
    const char *same[] = {
        "{\"feature_dim\": \" 5\"}",
        "{\"feature_dim\": \"\\\"5\\\"\", \"epochs\": \"99\", \"learning_rate\": \"0.5\"}",
        "{\"feature_dim\": \"+5\", \"use_bias\": \"True\", \"layers\": \"[64,32]\"}",
        "{\"feature_dim\": \"5\", \"use_bias\": \"1\", \"layers\": \" [ 64 , 32 ] \", \"optimizer\": \"sgd\"}",
        "{\"feature_dim\": \"5\", \"sagemaker_job_name\": \"\\\"j\\\"\", \"name_prefix\": \"zz\"}",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        ASSERT_EQ_INT(parse(&ctx, same[i], &b), OPTML_OK);
        if (rt_hparams_shape_hash(&b) != base)
            test_fail(__FILE__, __LINE__, "hash changed for %s", same[i]);
        rt_hparams_free(&b);
    }
    /* A different shaping value: different hash. */
    const char *other[] = {
        "{\"feature_dim\": \"6\"}",
        "{\"feature_dim\": \"auto\"}",
        "{\"feature_dim\": \"5\", \"use_bias\": \"false\"}",
        "{\"feature_dim\": \"5\", \"layers\": \"[64, 33]\"}",
        "{\"feature_dim\": \"5\", \"layers\": \"[32, 64]\"}",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        ASSERT_EQ_INT(parse(&ctx, other[i], &b), OPTML_OK);
        if (rt_hparams_shape_hash(&b) == base)
            test_fail(__FILE__, __LINE__, "hash unchanged for %s", other[i]);
        rt_hparams_free(&b);
    }

    /* The documented byte string: FNV-1a 64 of "m\nk=5\nf=0.5\ns=-\n". */
    static const struct optml_hparam_decl t[] = {
        {.name = "k", .type = OPTML_HP_INT, .default_value = "5", .flags = OPTML_HP_SHAPES_MODEL},
        {.name = "x", .type = OPTML_HP_INT, .default_value = "7"},
        {.name = "f", .type = OPTML_HP_FLOAT, .default_value = "0.5", .flags = OPTML_HP_SHAPES_MODEL},
        {.name = "s", .type = OPTML_HP_STRING, .flags = OPTML_HP_SHAPES_MODEL},
    };
    struct optml_algorithm alg = {.api_version = 1, .name = "m", .hparams = t, .n_hparams = 4};
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_hparams_parse(&ctx, &alg, "{}", 2, &a), OPTML_OK);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = "m\nk=5\nf=0.5\ns=-\n"; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    ASSERT(rt_hparams_shape_hash(&a) == h);
    rt_hparams_free(&a);

    /* The module name is part of the hash. */
    alg.name = "n";
    ASSERT_EQ_INT(rt_hparams_parse(&ctx, &alg, "{}", 2, &a), OPTML_OK);
    ASSERT(rt_hparams_shape_hash(&a) != h);
    rt_hparams_free(&a);
}

TEST(hparams_echo_json)
{
    char *d = rt_hparams_defaults_json(&ALG);
    ASSERT_EQ_STR(d, "{\"epochs\":\"15\",\"layers\":\"[64, 32]\",\"learning_rate\":\"0.1\","
                     "\"name_prefix\":\"model\",\"optimizer\":\"adam\",\"use_bias\":\"true\"}");
    free(d);

    struct optml_ctx ctx;
    struct rt_hparams hp;
    const char *j = "{\"sagemaker_region\": \"\\\"us-east-1\\\"\", \"feature_dim\": \"\\\"8\\\"\","
                    " \"optimizer\": \"SGD\", \"epochs\": \" 3\"}";
    ASSERT_EQ_INT(parse(&ctx, j, &hp), OPTML_OK);
    char *p = rt_hparams_provided_json(&hp);
    ASSERT_EQ_STR(p, "{\"epochs\":\" 3\",\"feature_dim\":\"\\\"8\\\"\",\"optimizer\":\"SGD\","
                     "\"sagemaker_region\":\"\\\"us-east-1\\\"\"}");
    free(p);
    char *f = rt_hparams_final_json(&hp);
    ASSERT_EQ_STR(f, "{\"epochs\":\"3\",\"feature_dim\":\"8\",\"layers\":\"[64, 32]\","
                     "\"learning_rate\":\"0.1\",\"name_prefix\":\"model\",\"optimizer\":\"sgd\","
                     "\"use_bias\":\"true\"}");
    ASSERT(!strchr(f, '\n'));
    free(f);
    rt_hparams_free(&hp);

    struct rt_hparams zero;
    memset(&zero, 0, sizeof(zero));
    p = rt_hparams_provided_json(&zero);
    ASSERT_EQ_STR(p, "{}");
    free(p);
    f = rt_hparams_final_json(&zero);
    ASSERT_EQ_STR(f, "{}");
    free(f);
    d = rt_hparams_defaults_json(NULL);
    ASSERT_EQ_STR(d, "{}");
    free(d);
}

TEST(hparams_free_zeroed_and_twice)
{
    struct rt_hparams hp;
    memset(&hp, 0, sizeof(hp));
    rt_hparams_free(&hp);
    rt_hparams_free(NULL);
    struct optml_ctx ctx;
    ASSERT_EQ_INT(parse(&ctx, "{\"feature_dim\": \"1\"}", &hp), OPTML_OK);
    rt_hparams_free(&hp);
    ASSERT(hp.values == NULL && hp.provided == NULL && hp.ignored == NULL && hp.alg == NULL);
    rt_hparams_free(&hp);
}

TEST(hparams_first_error_wins)
{
    /* Errors are reported in document order; the first recorded message stays. */
    FAILS("{\"epochs\": \"0\", \"bogus\": \"1\"}", "'epochs' must be an integer");
    FAILS("{\"bogus\": \"1\", \"epochs\": \"0\"}", "unknown hyperparameter 'bogus'");
}
