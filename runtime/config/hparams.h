/*
 * hparams.h: hyperparameters.json against a module's declaration table:
 * validation of the table itself, parsing and typing of the user's values,
 * defaults, the shape hash stored in checkpoints and model files, and the
 * JSON echo lines printed at the start of a job (hparams.c, with the public
 * optml_hp_* accessors).  The typed values and one value's parsing are
 * hparam_value.h's; their binding into the module's config struct, bind.h's
 * (both included here).
 */
#ifndef OPTML_HPARAMS_H
#define OPTML_HPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "config/bind.h"
#include "config/hparam_value.h"
#include "core/ctx.h"

#include <jansson.h>

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

#endif
