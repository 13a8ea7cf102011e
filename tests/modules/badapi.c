/*
 * badapi.c: a module built for another module API version, for the test
 * that the runtime refuses it with a clear message.
 */
#include "optml/algorithm.h"

static optml_status never(optml_ctx *ctx)
{
    return optml_error(ctx, OPTML_E_INTERNAL, "must not run");
}

__attribute__((visibility("default"))) const struct optml_algorithm optml_module = {
    .api_version = OPTML_ALGORITHM_API_VERSION + 1000,
    .table_size = sizeof(struct optml_algorithm),
    .name = "badapi",
    .train = never,
};
