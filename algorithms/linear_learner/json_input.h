/*
 * json_input.h: JSON and JSON Lines request bodies into rows (see
 * json_input.c).  Errors are OPTML_E_CLIENT naming the instance or line.
 */
#ifndef OPTML_LL_JSON_INPUT_H
#define OPTML_LL_JSON_INPUT_H

#include "linear_learner/ll.h"

/* application/json: {"instances": [...]} (or a bare array of instances, or
 * one instance object).  Rows of D features are appended to out. */
optml_status ll_json_rows(optml_ctx *ctx, const unsigned char *body, size_t len, size_t D, struct ll_rows *out);
/* application/jsonlines: one instance per line; blank lines skipped. */
optml_status ll_jsonlines_rows(optml_ctx *ctx, const unsigned char *body, size_t len, size_t D, struct ll_rows *out);

#endif
