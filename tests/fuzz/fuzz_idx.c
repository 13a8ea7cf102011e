/*
 * fuzz_idx.c: libFuzzer target for IDX headers (algorithms/codec/idx.c).
 * The input is the start of a file, from an exact-size heap copy.  A header
 * that parses must be self-consistent (dimensions non-zero, sizes that add
 * up without overflow); the input is also tried as a file name for the
 * images-to-labels name mapping, whose result must fit and differ.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct idx_header h;
    char err[256];
    if (idx_parse_header(buf, size, &h, err, sizeof(err)) == 0) {
        if (h.ndims < 1 || h.ndims > IDX_MAX_DIMS || h.header_bytes != 4 + 4 * (size_t)h.ndims ||
            h.header_bytes > size || h.items != h.dims[0] || h.item_values == 0)
            abort();
        uint64_t values = 1;
        for (unsigned i = 0; i < h.ndims; i++)
            values *= h.dims[i];
        if (values != h.items * h.item_values || idx_file_bytes(&h) < h.header_bytes ||
            idx_file_bytes(&h) > ((uint64_t)1 << 62) + h.header_bytes)
            abort();
    } else if (!err[0]) {
        abort();
    }
    char *name = malloc(size + 1), out[64];
    if (name) {
        memcpy(name, data, size);
        name[size] = 0;
        if (idx_labels_name(name, out, sizeof(out)) && (strlen(out) >= sizeof(out) || strcmp(out, name) == 0))
            abort();
        free(name);
    }
    free(buf);
    return 0;
}
