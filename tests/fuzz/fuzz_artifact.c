/*
 * fuzz_artifact.c: libFuzzer target for the checkpoint / model file decoder
 * (header fields, checksums, lengths) and the origin checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "artifact/artifact.h"
#include "core/ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const enum rt_artifact_kind kinds[] = {RT_ARTIFACT_CHECKPOINT, RT_ARTIFACT_MODEL};
    for (int k = 0; k < 2; k++) {
        struct optml_ctx ctx;
        rt_ctx_init(&ctx);
        struct rt_artifact_header h;
        const unsigned char *payload = NULL;
        if (rt_artifact_decode(&ctx, "fuzz", data, size, kinds[k], &h, &payload) == OPTML_OK) {
            rt_artifact_check_origin(&ctx, "fuzz", &h, "echo", 1, 1, 0);
            volatile unsigned char sink = 0;
            for (uint64_t i = 0; i < h.payload_len; i++)
                sink ^= payload[i];
            (void)sink;
        }
    }
    return 0;
}
