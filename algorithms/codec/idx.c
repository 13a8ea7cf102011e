/*
 * idx.c: IDX headers and names (idx.h).
 */
#include "codec/idx.h"

#include <stdio.h>
#include <string.h>

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static size_t elem_size(int type)
{
    switch (type) {
    case IDX_UBYTE:
    case IDX_SBYTE: return 1;
    case IDX_SHORT: return 2;
    case IDX_INT:
    case IDX_FLOAT: return 4;
    case IDX_DOUBLE: return 8;
    default: return 0;
    }
}

int idx_parse_header(const uint8_t *buf, size_t len, struct idx_header *h, char *err, size_t errsz)
{
    memset(h, 0, sizeof(*h));
    if (!buf || len < 4 || buf[0] != 0 || buf[1] != 0) {
        snprintf(err, errsz, "not an IDX file: it does not start with two zero bytes, a type and a dimension count");
        return -1;
    }
    h->type = buf[2];
    h->elem_size = elem_size(h->type);
    if (!h->elem_size) {
        snprintf(err, errsz, "not an IDX file: unknown value type 0x%02X (expected 0x08, 0x09, 0x0B-0x0E)", buf[2]);
        return -1;
    }
    h->ndims = buf[3];
    if (h->ndims < 1 || h->ndims > IDX_MAX_DIMS) {
        snprintf(err, errsz, "IDX header: %u dimensions (1 to %d supported)", h->ndims, IDX_MAX_DIMS);
        return -1;
    }
    h->header_bytes = 4 + 4 * (size_t)h->ndims;
    if (len < h->header_bytes) {
        snprintf(err, errsz, "truncated IDX header: %zu of %zu bytes", len, h->header_bytes);
        return -1;
    }
    /* Every product stays under 2^63 bytes: each factor is checked before
     * it multiplies. */
    const uint64_t limit = (uint64_t)1 << 62;
    uint64_t values = 1;
    for (unsigned i = 0; i < h->ndims; i++) {
        h->dims[i] = be32(buf + 4 + 4 * i);
        if (h->dims[i] == 0) {
            snprintf(err, errsz, "IDX header: dimension %u is 0", i);
            return -1;
        }
        if (values > limit / h->dims[i] / h->elem_size) {
            snprintf(err, errsz, "IDX header: the dimensions give more than 2^62 bytes");
            return -1;
        }
        values *= h->dims[i];
        if (i > 0)
            h->item_values = values / h->dims[0];
    }
    h->items = h->dims[0];
    if (h->ndims == 1)
        h->item_values = 1;
    return 0;
}

uint64_t idx_file_bytes(const struct idx_header *h)
{
    return (uint64_t)h->header_bytes + h->items * h->item_values * h->elem_size;
}

int idx_labels_name(const char *name, char *out, size_t outsz)
{
    static const char *const forms[][2] = {{"-images-idx3-ubyte", "-labels-idx1-ubyte"},
                                           {"-images.idx3-ubyte", "-labels.idx1-ubyte"}};
    size_t n = strlen(name);
    const char *gz = n > 3 && strcmp(name + n - 3, ".gz") == 0 ? ".gz" : "";
    size_t stem_end = n - strlen(gz);
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        size_t k = strlen(forms[f][0]);
        if (stem_end < k || strncmp(name + stem_end - k, forms[f][0], k) != 0)
            continue;
        int w = snprintf(out, outsz, "%.*s%s%s", (int)(stem_end - k), name, forms[f][1], gz);
        return w >= 0 && (size_t)w < outsz;
    }
    return 0;
}
