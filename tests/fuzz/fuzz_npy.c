/*
 * fuzz_npy.c: libFuzzer target for the .npy parser (algorithms/codec/npy.c),
 * what application/x-npy requests go through.  The input is one file, from
 * an exact-size heap copy.  A file that parses must have its data inside
 * the input and exactly count * elem_size bytes long; its values are then
 * converted to float (every read stays inside, ASan checks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct npy_array a;
    char err[256];
    if (npy_parse(buf, size, &a, err, sizeof(err)) == 0) {
        if (a.data < buf || a.data + a.count * a.elem_size != buf + size)
            abort();
        if (a.count <= (1u << 20)) {
            float *out = malloc((a.count ? a.count : 1) * sizeof(float));
            if (out) {
                npy_to_float(&a, out);
                free(out);
            }
        }
    } else if (!err[0]) {
        abort();
    }
    free(buf);
    return 0;
}
