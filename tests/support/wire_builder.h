/*
 * wire_builder.h: protobuf messages built byte by byte for the codec tests
 * (RecordIO-protobuf records, tf.train.Example): a fixed buffer, raw bytes,
 * varints, tags, little-endian floats, and length-delimited fields.  A
 * buffer overflow fails the test.
 */
#ifndef OPTML_TEST_WIRE_BUILDER_H
#define OPTML_TEST_WIRE_BUILDER_H

#include <stddef.h>
#include <stdint.h>

struct wire_buf {
    uint8_t d[8192];
    size_t n;
};

void wire_put(struct wire_buf *b, const void *p, size_t n);
void wire_u8(struct wire_buf *b, unsigned v);
void wire_varint(struct wire_buf *b, uint64_t v);
void wire_tag(struct wire_buf *b, unsigned field, unsigned wire);
void wire_f32(struct wire_buf *b, float f);
void wire_f64(struct wire_buf *b, double x);
/* field `field` (wire type 2) holding sub's bytes */
void wire_ld(struct wire_buf *b, unsigned field, const struct wire_buf *sub);
/* field `field` (wire type 2) holding the string s */
void wire_ld_str(struct wire_buf *b, unsigned field, const char *s);

#endif
