/*
 * tf_example.h: TensorFlow's `tf.train.Example` message (ALGORITHMS.md
 * B.6), decoded by hand: no protobuf library.  An Example is a map from
 * feature names to a BytesList, FloatList or Int64List; decoding finds the
 * features a reader asks for by name and hands out their values in place
 * (bytes values point into the payload; numbers are decoded into caller
 * arrays).  Protobuf semantics: map entries in any order, the key and value
 * of an entry in any order, the last entry for a key wins, unknown fields
 * skipped, packed and unpacked numbers both accepted.
 * The TFRecord framing around an Example (lengths, CRCs) is the runtime's
 * (runtime/data/framing.c); this sees one payload.
 */
#ifndef OPTML_CODEC_TF_EXAMPLE_H
#define OPTML_CODEC_TF_EXAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* The Feature oneof member, by its field number. */
enum tfex_kind { TFEX_NONE = 0, TFEX_BYTES = 1, TFEX_FLOAT = 2, TFEX_INT64 = 3 };

/* One feature found in an Example: the list message of its kind, in place
 * in the payload.  present == 0 when the Example has no such key. */
struct tfex_feature {
    int present;
    int kind;                       /* enum tfex_kind; TFEX_NONE: a Feature with no list */
    const uint8_t *list, *list_end; /* the BytesList / FloatList / Int64List bytes */
    const uint8_t *base;            /* the payload, for offsets in messages */
    const char *key;                /* the name asked for (messages name it) */
};

/* Finds features keys[0..n) in the serialized Example buf[0..len) into
 * out[0..n).  Returns 0, or -1 with "byte N: ..." in err (N from the start
 * of the payload): a truncated or malformed message, a field of the wrong
 * wire type.  Keys are compared byte for byte.  A Feature whose list is
 * split over several occurrences keeps the last one (encoders write one).
 * Never reads past buf + len; allocates nothing. */
int tfex_find(const uint8_t *buf, size_t len, const char *const *keys, size_t n, struct tfex_feature *out,
              char *err, size_t errsz);

/* The values of a BytesList feature: *count of them; the first (or, with
 * index i, the i-th) as a pointer into the payload and its length.  Returns
 * 0, or -1 with a message (not a BytesList, index past the end, malformed). */
int tfex_bytes(const struct tfex_feature *f, size_t i, const uint8_t **val, size_t *val_len, size_t *count,
               char *err, size_t errsz);

/* The values of an Int64List (packed or not, or both mixed) into
 * out[0..max): *count is how many the list holds (possibly more than max;
 * only the first max are written).  Returns 0, or -1 with a message. */
int tfex_int64s(const struct tfex_feature *f, int64_t *out, size_t max, size_t *count, char *err, size_t errsz);

/* The values of a FloatList (packed or not) into out[0..max), as
 * tfex_int64s. */
int tfex_floats(const struct tfex_feature *f, float *out, size_t max, size_t *count, char *err, size_t errsz);

#endif
