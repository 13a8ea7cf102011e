/*
 * datagen.h: test data.  A growable byte buffer with encoders that append
 * little-endian integers, RecordIO records or fragments, TFRecord records and
 * gzip members to it; one-record encoders that return a malloc'd buffer and
 * its length through *out_len; and the reverse for checking what a reader
 * gives back, as one printable string.
 */
#ifndef OPTML_TEST_DATAGEN_H
#define OPTML_TEST_DATAGEN_H

#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"

/* Bytes p[0..n) in a malloc'd block of cap bytes.  Start from {0}, set
 * n = 0 to reuse, free(p) when done.  A put that fails to grow the block
 * fails the test. */
struct buf {
    unsigned char *p;
    size_t n, cap;
};

/* Append d[0..n) (d may be NULL when n is 0). */
void buf_put(struct buf *b, const void *d, size_t n);
void buf_put_le32(struct buf *b, uint32_t v);
void buf_put_le64(struct buf *b, uint64_t v);
/* One RecordIO record or fragment with continuation flag `cflag` (0 whole,
 * 1 first, 2 middle, 3 last; other values are written as given), padded to
 * 4 bytes. */
void buf_put_recordio(struct buf *b, uint32_t cflag, const void *d, uint32_t n);
/* One TFRecord record with correct masked CRC32Cs; `n` goes in the header
 * and n bytes of d are copied. */
void buf_put_tfrecord(struct buf *b, const void *d, uint64_t n);
/* One gzip member holding d[0..n). */
void buf_put_gzip(struct buf *b, const void *d, size_t n);
/* d[0..n) with bytes below 0x20 or from 0x7f up written as \xNN. */
void buf_put_escaped(struct buf *b, const void *d, size_t n);

/* One RecordIO record (cflag 0) holding `payload`, padded to 4 bytes. */
unsigned char *recordio_encode(const void *payload, size_t len, size_t *out_len);
/* One TFRecord record with correct masked CRC32Cs. */
unsigned char *tfrecord_encode(const void *payload, size_t len, size_t *out_len);
/* gzip (one member) of `data`. */
unsigned char *gzip_encode(const void *data, size_t len, size_t *out_len);
/* Append b to a (realloc); returns the new a. */
unsigned char *buf_append(unsigned char *a, size_t *alen, const void *b, size_t blen);

/* Every record of `r` (buf_put_escaped), each followed by '|', then the name
 * of the status that ended the reading: "a|b|END", "a|E_CLIENT".  Malloc'd. */
char *reader_join(optml_reader *r);

#endif
