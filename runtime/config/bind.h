/*
 * bind.h: the hyperparameter values bound into a module's config struct
 * (the row's offsetof and kind), its resolve() step, the bound values as
 * text for the "Final configuration" line (bind.c, with the public
 * optml_config).
 */
#ifndef OPTML_BIND_H
#define OPTML_BIND_H

#include "config/hparam_value.h"

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
