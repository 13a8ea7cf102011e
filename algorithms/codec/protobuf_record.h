/*
 * protobuf_record.h: SageMaker's RecordIO-protobuf `aialgs.data.Record` (proto2,
 * ALGORITHMS.md C.3), decoded and encoded by hand: no protobuf library.
 * Decoding reads `features["values"]` and `label["values"]` (Float32,
 * Float64 and Int32 tensors, converted to float; dense or sparse with keys
 * and shape), skipping unknown fields of every wire type.  Encoding writes
 * prediction records (label map "score" and "predicted_label") and training
 * examples, byte for byte what a standard protobuf encoder writes, each in
 * MXNet/dmlc RecordIO framing (C.4).
 */
#ifndef OPTML_CODEC_PROTOBUF_RECORD_H
#define OPTML_CODEC_PROTOBUF_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* Which member of the Value oneof the tensor came from (its field number). */
enum pb_kind {
    PB_NONE = 0,     /* the map entry had no value */
    PB_FLOAT32 = 2,
    PB_FLOAT64 = 3,  /* converted to float (out of range: +-inf) */
    PB_INT32 = 7,    /* converted to float */
    PB_BYTES = 9     /* not a tensor: no values */
};

#define PB_MAX_SHAPE 4
#define PB_MAX_VALUES (1ull << 31)

/* A decoded tensor; arrays are owned by the struct and reused across calls
 * (grown as needed).  Dense: n_keys == 0, values has n_values entries.
 * Sparse: keys[i] is the position of values[i] in the tensor flattened in
 * row-major order (for shape [R, C]: row = key / C, column = key % C),
 * n_keys == n_values, n_shape >= 1 and every key < the product of the shape.
 * A sparse tensor with no stored value has n_keys == n_values == 0 and a
 * shape.  Values are not checked: they may be NaN or infinite. */
struct pb_tensor {
    float *values;
    size_t n_values, cap_values;
    uint64_t *keys;
    size_t n_keys, cap_keys;
    uint64_t shape[PB_MAX_SHAPE];
    size_t n_shape;
    int present;        /* the map had this key */
    int kind;           /* enum pb_kind */
};

struct pb_record {
    struct pb_tensor features; /* features["values"] (or the key asked for) */
    struct pb_tensor label;    /* label["values"] (or the key asked for) */
};

/* Decode one Record payload (the RecordIO framing already removed) into rec
 * (zeroed before the first call).  Returns 0, or -1 with a message naming
 * the byte offset in err (truncated varint, varint over 10 bytes or 64 bits,
 * length past the end, wrong wire type for a known field, groups, sparse
 * keys without values or shape, a key outside the shape, more than 4 shape
 * dimensions, more than 2^31 values, ...).  Never reads past buf + len;
 * allocations are bounded by a small multiple of len.  Sets present = 0 for
 * a missing tensor.  Protobuf semantics: map entries in any order, the key
 * and value of an entry in any order, the last entry for a key wins, a
 * repeated Value field or tensor field within one entry merges (repeated
 * fields append), the last oneof member set wins, packed and unpacked
 * encodings both accepted.  Entries for other keys are only bounds-checked.
 * err may be NULL. */
int pb_decode(const uint8_t *buf, size_t len, struct pb_record *rec, char *err, size_t errsz);
/* The same reading features[features_key] and label[label_key] instead of
 * "values" (a NULL key: that map is only bounds-checked, its tensor absent);
 * e.g. label "score" or "predicted_label" of a prediction record. */
int pb_decode_keys(const uint8_t *buf, size_t len, struct pb_record *rec,
                      const char *features_key, const char *label_key, char *err, size_t errsz);
void pb_record_free(struct pb_record *rec);

/* Sparse (n_keys > 0, or no values but a shape)? */
int pb_tensor_is_sparse(const struct pb_tensor *t);
/* The number of elements: n_values when dense, the product of the shape
 * when sparse (decode checked it fits in uint64). */
uint64_t pb_tensor_size(const struct pb_tensor *t);
/* Write the tensor as dim dense floats into out: a dense tensor must have
 * exactly dim values; a sparse one must have size dim, absent positions are
 * 0 and a key given twice adds (as scipy does).  Returns 0, or -1 with a
 * message ("has 3 values, expected 4"). */
int pb_tensor_densify(const struct pb_tensor *t, float *out, size_t dim, char *err, size_t errsz);

/* A growable output buffer. */
struct pb_out {
    uint8_t *data;
    size_t len, cap;
};

/* Append one RecordIO-framed Record (magic, length, payload, padding) with
 * an empty features map and label["score"] = score[0..n_score) and, when
 * predicted_label is not NULL, label["predicted_label"] = [*predicted_label],
 * all Float32 tensors.  Returns 0, or -1 on OOM (or a payload over the
 * RecordIO limit of 2^29 - 1 bytes); out is unchanged on failure. */
int pb_write_prediction(struct pb_out *out, const float *score, size_t n_score,
                           const float *predicted_label);

/* Append one RecordIO-framed training Record: dense features and a label
 * (for tests, benchmarks and fixtures).  Returns 0 or -1 on OOM. */
int pb_write_example(struct pb_out *out, const float *features, size_t dim, float label);
/* The same with sparse features: values[i] at position keys[i], shape [dim]. */
int pb_write_sparse_example(struct pb_out *out, const uint64_t *keys, const float *values,
                               size_t nnz, uint64_t dim, float label);
void pb_out_free(struct pb_out *out);

#endif
