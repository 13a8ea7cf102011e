/*
 * fuzz_resourceconfig.c: libFuzzer target for rt_resource_config_parse (the
 * input is resourceconfig.json).
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_resource_config r;
    if (rt_resource_config_parse(&ctx, (const char *)data, size, &r) != OPTML_OK) {
        if (!ctx.errmsg[0] || r.hosts || r.current_host)
            abort();
        return 0;
    }
    int found = 0;
    if (!r.current_host || !r.network_interface || r.n_hosts == 0)
        abort();
    for (size_t i = 0; i < r.n_hosts; i++)
        found |= strcmp(r.hosts[i], r.current_host) == 0;
    if (!found)
        abort(); /* current_host is always one of hosts */
    rt_resource_config_free(&r);
    return 0;
}
