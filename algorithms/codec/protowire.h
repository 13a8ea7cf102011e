/*
 * protowire.h: the protobuf wire format read by hand, shared by the
 * decoders of protobuf messages (RecordIO-protobuf records, tf.train.Example):
 * varints of at most 10 bytes and 64 bits, tags with field numbers
 * 1..2^32-1, length prefixes checked against the bytes left, and skipping of
 * unknown fields (wire types 0, 1, 2, 5; groups and types 6, 7 refused).
 * Every read is bounded by `end`, the end of the enclosing message; a
 * failure writes "byte N: [what['key']: ]message" into the reader's err
 * buffer (N counted from base) and returns -1.  No allocation, no state
 * beyond the struct.
 */
#ifndef OPTML_CODEC_PROTOWIRE_H
#define OPTML_CODEC_PROTOWIRE_H

#include <stddef.h>
#include <stdint.h>

struct pw_dec {
    const uint8_t *base; /* byte offsets in messages count from here */
    const char *what;    /* optional context: "features" ... */
    const char *key;     /* ... and its key, printed as what['key'] */
    char *err;           /* message buffer (may be NULL) */
    size_t errsz;
};

/* Writes the message for a failure at `at` (printf-style). */
__attribute__((format(printf, 3, 4)))
void pw_msg(struct pw_dec *d, const uint8_t *at, const char *fmt, ...);
/* pw_msg, then evaluates to -1 (a visible constant, so compilers see that
 * out-parameters are set whenever a call returns 0). */
#define pw_fail(...) (pw_msg(__VA_ARGS__), -1)

/* Each reads at *pp (bounded by end), advances *pp past what it read and
 * returns 0, or returns -1 with the message set (*pp is then unspecified). */
int pw_varint(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint64_t *out);
int pw_tag(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint32_t *field, unsigned *wire);
/* A length prefix of field `field`: *sub_end = the end of its bytes. */
int pw_len(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint32_t field, const uint8_t **sub_end);
/* Skips the value of a field of wire type `wire` whose tag was just read. */
int pw_skip(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, uint32_t field, unsigned wire);

#endif
