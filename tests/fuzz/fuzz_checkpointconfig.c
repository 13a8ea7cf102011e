/*
 * fuzz_checkpointconfig.c: libFuzzer target for rt_checkpoint_config_parse
 * (the input is checkpointconfig.json).
 */
#include <stdlib.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    char *path = NULL;
    optml_status st = rt_checkpoint_config_parse(&ctx, (const char *)data, size, &path);
    if (st != OPTML_OK && (!ctx.errmsg[0] || path))
        abort();
    if (path && !path[0])
        abort();
    free(path);
    return 0;
}
