/*
 * fuzz_object_detection_tar.c: libFuzzer target for the tar member lookup
 * of the `model` channel's model.tar.gz (algorithms/object_detection/tar.c,
 * od_tar_find).  A member found lies inside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>

#include "object_detection/tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *m = NULL;
    size_t len = 0;
    char err[200];
    int r = od_tar_find(data, size, "object-detection.model", &m, &len, err, sizeof(err));
    if (r < -1 || r > 1)
        abort();
    if (r == 1 && (m < data || m > data + size || len > (size_t)(data + size - m)))
        abort();
    return 0;
}
