/*
 * newminor.c: a module built against a minor API version newer than the
 * runtime's, which calls a runtime function that does not exist yet, for
 * the test that the runtime refuses it by its version (not with dlopen's
 * "undefined symbol").
 */
#include "optml/algorithm.h"

optml_status optml_from_a_later_minor_version(optml_ctx *ctx);

static optml_status train(optml_ctx *ctx)
{
    return optml_from_a_later_minor_version(ctx);
}

__attribute__((visibility("default"))) const struct optml_algorithm optml_module = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .api_minor = OPTML_ALGORITHM_API_MINOR + 1,
    .table_size = sizeof(struct optml_algorithm),
    .name = "newminor",
    .train = train,
};
