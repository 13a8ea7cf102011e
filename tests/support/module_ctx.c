/*
 * module_ctx.c: a module's context in process for unit tests (see
 * module_ctx.h): the runtime's own parse, bind and resolve steps, in the
 * train driver's order.
 */
#define _GNU_SOURCE
#include "support/module_ctx.h"

#include <stdlib.h>
#include <string.h>

#include "support/harness.h"

optml_status module_ctx_init(struct module_ctx *mc, const struct optml_algorithm *alg,
                             const char *hyperparameters, const char *model_dir)
{
    memset(mc, 0, sizeof(*mc));
    rt_ctx_init(&mc->ctx);
    mc->ctx.alg = alg;
    mc->ctx.paths = &mc->paths;
    if (model_dir && !(mc->paths.model_dir = strdup(model_dir)))
        test_fail(__FILE__, __LINE__, "out of memory");
    if (!hyperparameters)
        return OPTML_OK;
    optml_status s = rt_hparams_check_decls(&mc->ctx, alg);
    if (s == OPTML_OK)
        s = rt_hparams_parse(&mc->ctx, alg, hyperparameters, strlen(hyperparameters), &mc->hp);
    if (s != OPTML_OK)
        return s;
    mc->ctx.hp = &mc->hp;
    mc->ctx.hp_hash = rt_hparams_shape_hash(&mc->hp);
    return rt_hparams_resolve(&mc->ctx, &mc->hp);
}

void module_ctx_free(struct module_ctx *mc)
{
    rt_hparams_free(&mc->hp);
    rt_paths_free(&mc->paths);
    mc->ctx.hp = NULL;
    mc->ctx.paths = NULL;
}
