/*
 * npy.h: NumPy's .npy format (what the SageMaker SDK's NumpySerializer sends
 * as application/x-npy): the magic "\x93NUMPY", a version (1.0, 2.0, 3.0),
 * a header length, a Python-literal dict {'descr': '<f4', 'fortran_order':
 * False, 'shape': (2, 32, 32, 3), }, then the raw values.  Parsed by hand,
 * strictly: the three keys, a simple dtype (bool, signed and unsigned
 * integers of 1-8 bytes, float 16/32/64, either byte order), no object
 * arrays, no structured dtypes.  Values are converted to float.
 */
#ifndef OPTML_CODEC_NPY_H
#define OPTML_CODEC_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8

struct npy_array {
    char kind;           /* 'b' bool, 'i' signed, 'u' unsigned, 'f' float */
    size_t elem_size;    /* 1, 2, 4 or 8 */
    int big_endian;      /* '>' in descr (1-byte types: 0) */
    int fortran_order;   /* column-major values */
    unsigned ndims;      /* 0 (a scalar) .. NPY_MAX_DIMS */
    uint64_t shape[NPY_MAX_DIMS];
    uint64_t count;      /* product of shape (1 for a scalar) */
    const uint8_t *data; /* the values, in place in the buffer */
    char descr[16];      /* as written, e.g. "<f4" */
};

/* Parses buf[0..len) as one .npy file: fills *a (data points into buf).
 * The data must be exactly count * elem_size bytes.  Returns 0, or -1 with
 * a message in err naming what is wrong (magic, version, header syntax,
 * unsupported dtype, shape, size). */
int npy_parse(const uint8_t *buf, size_t len, struct npy_array *a, char *err, size_t errsz);

/* The values as float in C (row-major) order: out[0..count).  Fortran-order
 * arrays are transposed on the way.  float16 is widened exactly; integers
 * beyond 2^24 round. */
void npy_to_float(const struct npy_array *a, float *out);

#endif
