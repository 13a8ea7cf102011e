/*
 * datagen.h: encoders for test data: RecordIO and TFRecord framing, gzip.
 * Each returns a malloc'd buffer and its length through *len.
 */
#ifndef OPTML_TEST_DATAGEN_H
#define OPTML_TEST_DATAGEN_H

#include <stddef.h>
#include <stdint.h>

/* One RecordIO record (cflag 0) holding `payload`, padded to 4 bytes. */
unsigned char *recordio_encode(const void *payload, size_t len, size_t *out_len);
/* One TFRecord record with correct masked CRC32Cs. */
unsigned char *tfrecord_encode(const void *payload, size_t len, size_t *out_len);
/* gzip (one member) of `data`. */
unsigned char *gzip_encode(const void *data, size_t len, size_t *out_len);
/* Append b to a (realloc); returns the new a. */
unsigned char *buf_append(unsigned char *a, size_t *alen, const void *b, size_t blen);

#endif
