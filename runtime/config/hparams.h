/*
 * hparams.h: hyperparameters.json against a module's declaration table:
 * validation of the table itself, parsing and typing of the user's values,
 * defaults, the shape hash stored in checkpoints and model files, and the
 * JSON echo lines printed at the start of a job (hparams.c, with the public
 * optml_hp_* accessors); the values bound into the module's config struct
 * and its resolve() step (bind.c, with the public optml_config).
 */
#ifndef OPTML_HPARAMS_H
#define OPTML_HPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

#include <jansson.h>

struct rt_hparam_value {
    const struct optml_hparam_decl *decl;
    int set;        /* has a value (given or default) */
    int given;      /* came from hyperparameters.json */
    int is_auto;    /* the value is "auto" */
    int64_t i;      /* INT */
    double f;       /* FLOAT (also INT as double) */
    int b;          /* BOOL */
    char *text;     /* the value as text (decoded once if double-encoded) */
    char *auto_text; /* bound rows: the text of the row's auto_value, typed,
                        when the value is auto (what a TEXT member points to) */
};

struct rt_hparams {
    const struct optml_algorithm *alg;
    struct rt_hparam_value *values; /* alg->n_hparams entries, table order */
    json_t *provided;               /* the user's object as read (for the echo) */
    json_t *ignored;                /* `_*` and `sagemaker_*` keys, as read */
    void *config;                   /* alg->config_size bytes (optml_config);
                                       NULL when 0 */
};

/* Check the module's own table: names present, unique and not reserved,
 * known types and flags, sane ranges, ENUM choices present and distinct
 * (ignoring case), REQUIRED without a default, defaults that parse and are in
 * range.  A problem is OPTML_E_INTERNAL naming the module and the key. */
optml_status rt_hparams_check_decls(optml_ctx *ctx, const struct optml_algorithm *alg);

/* Parse hyperparameters.json (`len` bytes of `text`; NULL or whitespace only
 * means {}) against alg's table into *out (zeroed first), then bind the
 * values (rt_hparams_bind).  Every value must be a JSON string; a value that
 * is itself a JSON string literal ("\"adam\"") is decoded once.  Unknown
 * keys, wrong types, out-of-range values (for a bound row: also out of its
 * member's type), missing required keys and malformed JSON are
 * OPTML_E_CLIENT with a message naming the key and what is accepted.  Keys
 * starting with '_' or 'sagemaker_' are kept in out->ignored.  On error *out
 * is left zeroed. */
optml_status rt_hparams_parse(optml_ctx *ctx, const struct optml_algorithm *alg,
                              const char *text, size_t len, struct rt_hparams *out);

/* One value's text for declaration d into v (v->decl == d): RT_HP_PARSED
 * (v->set, v->text and the typed field filled), RT_HP_BAD with "must be ...,
 * got '...'" in why, or RT_HP_NOMEM. */
enum { RT_HP_PARSED = 0, RT_HP_BAD = -1, RT_HP_NOMEM = -2 };
int rt_hparam_parse_text(const struct optml_hparam_decl *d, const char *text,
                         struct rt_hparam_value *v, char *why, size_t whysz);

/* Free what rt_hparams_parse filled; accepts a zeroed struct; zeroes it. */
void rt_hparams_free(struct rt_hparams *hp);

/* The value of declared hyperparameter `name`, or NULL (hp or name NULL, or
 * not declared). */
const struct rt_hparam_value *rt_hparams_find(const struct rt_hparams *hp, const char *name);

/* FNV-1a 64 over "<module name>\n" then "name=value\n" for every
 * OPTML_HP_SHAPES_MODEL entry in table order.  Values are canonical: INT
 * "%lld", FLOAT "%.17g", BOOL "0"/"1", "auto", JSON re-encoded compact with
 * sorted keys, other strings verbatim, unset "-".  Equal configurations give
 * equal hashes whatever spelling the user chose ("5" vs " 5", "1e-3" vs
 * "0.001"). */
uint64_t rt_hparams_shape_hash(const struct rt_hparams *hp);

/* Compact one-line JSON objects with sorted keys and string values, for the
 * start-of-job echo lines; malloc'd, NULL on allocation failure.
 *  defaults: every declared default ("name": "default");
 *  provided: the user's object as read (ignored keys included);
 *  final:    every declared hyperparameter that has a value, as used: a
 *            bound one from hp->config (rt_hparams_bound_text, so after
 *            resolve() what auto became), the others as parsed. */
char *rt_hparams_defaults_json(const struct optml_algorithm *alg);
char *rt_hparams_provided_json(const struct rt_hparams *hp);
char *rt_hparams_final_json(const struct rt_hparams *hp);

/* ---- bind.c ---- */

/* The binding of row i of alg's table (called by rt_hparams_check_decls):
 * a known kind that holds the row's type, inside config_size, not
 * overlapping another bound row, SIZE rows with a min >= 0, auto_value only
 * on bound rows that allow auto and valid for the row.  OPTML_E_INTERNAL
 * naming the module and the key. */
optml_status rt_hparams_check_binding(optml_ctx *ctx, const struct optml_algorithm *alg, size_t i);

/* Allocate hp->config (alg->config_size bytes, zeroed) and write every bound
 * row's value into its member: the typed value, the row's auto_value when
 * the value is auto, or the unset value of the member's type (algorithm.h).
 * Called by rt_hparams_parse; OPTML_E_NOMEM, or OPTML_E_INTERNAL for a
 * binding rt_hparams_check_binding would refuse. */
optml_status rt_hparams_bind(optml_ctx *ctx, struct rt_hparams *hp);

/* The module's resolve(ctx, hp->config) when it has one (OPTML_OK when
 * not).  Call with ctx->hp == hp, before train(). */
optml_status rt_hparams_resolve(optml_ctx *ctx, struct rt_hparams *hp);

/* The "Final configuration" text of bound row i, from hp->config: the
 * member's value (INT decimal, FLOAT the shortest text that reads back as
 * the member, BOOL "true"/"false", ENUM the choice), "auto" when the member
 * is unset and the value was auto, NULL when it is unset otherwise.  Points
 * into buf, the table or the config. */
const char *rt_hparams_bound_text(const struct rt_hparams *hp, size_t i, char *buf, size_t size);

#endif
