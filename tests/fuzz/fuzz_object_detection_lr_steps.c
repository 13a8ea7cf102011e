/*
 * fuzz_object_detection_lr_steps.c: libFuzzer target for the
 * lr_scheduler_step list (algorithms/object_detection/hparams.c,
 * od_parse_lr_steps), from a NUL-terminated heap copy.  A list that parses
 * gives at most max increasing epochs >= 1; a refusal is -1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object_detection/hparams.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    int32_t steps[OD_MAX_LR_STEPS];
    int max = size ? 1 + data[0] % OD_MAX_LR_STEPS : OD_MAX_LR_STEPS;
    int n = od_parse_lr_steps(buf, steps, max);
    if (n < -1 || n > max)
        abort();
    for (int i = 0; i < n; i++)
        if (steps[i] < 1 || (i > 0 && steps[i] <= steps[i - 1]))
            abort();
    free(buf);
    return 0;
}
