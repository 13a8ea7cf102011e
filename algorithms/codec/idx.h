/*
 * idx.h: the IDX format of MNIST and Fashion-MNIST (big-endian header: two
 * zero bytes, a type byte, a dimension count, then one u32 per dimension;
 * then the values, big-endian, row-major), and how an images file names its
 * labels file.  Header parsing and size checks only; reading the values is
 * the caller's (they follow the header, elem_size bytes each).
 */
#ifndef OPTML_CODEC_IDX_H
#define OPTML_CODEC_IDX_H

#include <stddef.h>
#include <stdint.h>

#define IDX_MAX_DIMS 8

enum idx_type {
    IDX_UBYTE = 0x08,
    IDX_SBYTE = 0x09,
    IDX_SHORT = 0x0B,
    IDX_INT = 0x0C,
    IDX_FLOAT = 0x0D,
    IDX_DOUBLE = 0x0E
};

struct idx_header {
    int type;            /* enum idx_type */
    size_t elem_size;    /* bytes per value: 1, 2, 4 or 8 */
    unsigned ndims;      /* 1..IDX_MAX_DIMS */
    uint32_t dims[IDX_MAX_DIMS];
    size_t header_bytes; /* 4 + 4 * ndims: where the values start */
    uint64_t items;      /* dims[0] (images or labels) */
    uint64_t item_values;/* product of dims[1..]: values per item (1 for labels) */
};

/* Parses the header at buf[0..len) (len may be the whole file or just its
 * start: at least 4 + 4 * ndims bytes are needed).  Returns 0, or -1 with a
 * message in err (not IDX: magic, unknown type, 0 or more than 8
 * dimensions, a zero dimension, sizes past 2^63 bytes). */
int idx_parse_header(const uint8_t *buf, size_t len, struct idx_header *h, char *err, size_t errsz);

/* The file's size in bytes when complete: header_bytes + items *
 * item_values * elem_size (parse guarantees it fits in 63 bits). */
uint64_t idx_file_bytes(const struct idx_header *h);

/* For an images file name ("train-images-idx3-ubyte", "t10k-images.idx3-ubyte",
 * either with ".gz"), the labels file name of the same stem
 * ("train-labels-idx1-ubyte", ...), written into out[outsz].  Returns 1 when
 * `name` is an images file name (and the result fits), 0 otherwise. */
int idx_labels_name(const char *name, char *out, size_t outsz);

#endif
