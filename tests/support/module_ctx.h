/*
 * module_ctx.h: a module's context in process, built the way `optml train`
 * builds it, for module unit tests: the module table's hyperparameters
 * parsed from JSON text, bound into the module's config struct and resolved
 * by its resolve() hook, the shape hash, and the job's model directory.
 */
#ifndef OPTML_TEST_MODULE_CTX_H
#define OPTML_TEST_MODULE_CTX_H

#include "config/hparams.h"
#include "core/ctx.h"
#include "core/paths.h"

struct module_ctx {
    struct optml_ctx ctx;   /* what the module's functions take */
    struct rt_hparams hp;   /* parsed, bound and resolved (ctx.hp) */
    struct rt_paths paths;  /* model_dir when given (ctx.paths) */
};

/* Build *mc for module `alg`.  `hyperparameters`: hyperparameters.json text,
 * parsed, bound and resolved as the train driver does (optml_config then
 * gives the module's config); NULL: none, like a serving context.
 * `model_dir` (may be NULL): where optml_model_write and optml_model_dir
 * point.  Returns the first failing step's status, its message in
 * optml_error_message(&mc->ctx); call module_ctx_free whatever it returns. */
optml_status module_ctx_init(struct module_ctx *mc, const struct optml_algorithm *alg,
                             const char *hyperparameters, const char *model_dir);
void module_ctx_free(struct module_ctx *mc);

#endif
