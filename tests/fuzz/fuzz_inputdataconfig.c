/*
 * fuzz_inputdataconfig.c: libFuzzer target for rt_input_config_parse (the
 * input is inputdataconfig.json).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_input_config c;
    if (rt_input_config_parse(&ctx, (const char *)data, size, &c) != OPTML_OK) {
        if (!ctx.errmsg[0] || c.channels || c.n)
            abort();
        return 0;
    }
    for (size_t i = 0; i < c.n; i++) {
        if (i && strcmp(c.channels[i - 1].name, c.channels[i].name) >= 0)
            abort(); /* sorted and unique */
        if (!c.channels[i].name[0] || strchr(c.channels[i].name, '/'))
            abort();
    }
    rt_input_config_free(&c);
    return 0;
}
