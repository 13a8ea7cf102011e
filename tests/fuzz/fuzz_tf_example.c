/*
 * fuzz_tf_example.c: libFuzzer target for the tf.train.Example decoder
 * (algorithms/codec/tf_example.c).  The input is one Example payload, from
 * an exact-size heap copy so ASan sees any read past its end.  The
 * features "image", "label" and "score" are looked up; a failure must leave
 * a "byte N: ..." message; every found feature is read as its own kind (each
 * value in place must lie inside the payload) and as the other kinds (which
 * must fail with a message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/tf_example.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    const char *keys[] = {"image", "label", "score"};
    struct tfex_feature f[3];
    char err[256];
    if (tfex_find(buf, size, keys, 3, f, err, sizeof(err)) != 0) {
        if (strncmp(err, "byte ", 5) != 0)
            abort();
        free(buf);
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        if (!f[i].present)
            continue;
        const uint8_t *v;
        size_t n, count;
        int64_t ints[4];
        float floats[4];
        int ok_bytes = tfex_bytes(&f[i], 0, &v, &n, &count, err, sizeof(err)) == 0;
        if (ok_bytes && (f[i].kind != TFEX_BYTES || v < buf || v + n > buf + size))
            abort();
        int ok_int = tfex_int64s(&f[i], ints, 4, &count, err, sizeof(err)) == 0;
        if (ok_int && f[i].kind != TFEX_INT64)
            abort();
        int ok_float = tfex_floats(&f[i], floats, 4, &count, err, sizeof(err)) == 0;
        if (ok_float && f[i].kind != TFEX_FLOAT)
            abort();
        if (ok_bytes + ok_int + ok_float > 1)
            abort();
    }
    free(buf);
    return 0;
}
