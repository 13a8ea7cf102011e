/*
 * fuzz_linear_learner_protobuf.c: libFuzzer target for the linear learner's
 * RecordIO-protobuf Record codec (algorithms/codec/protobuf_record.c).
 * The input is one Record payload (from an exact-size heap copy, so ASan
 * sees any read past its end).  It is decoded; a failure must leave a
 * "byte N: ..." message.  On success, decoded features are written back
 * (dense: as an example; sparse with a 1-D shape: as a sparse example; and
 * as the scores of a prediction record), the RecordIO framing is checked,
 * and decoding the payload again must give the same tensors bit for bit.
 * A sparse tensor is also densified when its size is small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/protobuf_record.h"

static const uint8_t *unframe(const struct pb_out *o, size_t *len)
{
    if (o->len < 8)
        abort();
    const uint8_t *p = o->data;
    uint32_t magic = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t lrec = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    if (magic != 0xCED7230Au || (lrec >> 29) != 0 || o->len != 8 + ((lrec + 3u) & ~3u))
        abort();
    for (size_t i = 8 + lrec; i < o->len; i++)
        if (p[i])
            abort();
    *len = lrec;
    return p + 8;
}

static void same_floats(const float *a, const float *b, size_t n)
{
    if (n && memcmp(a, b, n * sizeof(float)) != 0)
        abort();
}

/* Decode the single record in o with the given label key. */
static void redecode(const struct pb_out *o, const char *fkey, const char *lkey, struct pb_record *back)
{
    size_t len;
    const uint8_t *p = unframe(o, &len);
    char err[256];
    if (pb_decode_keys(p, len, back, fkey, lkey, err, sizeof(err)) != 0) {
        fprintf(stderr, "re-decode failed: %s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct pb_record rec = { 0 }, back = { 0 };
    struct pb_out out = { 0 };
    char err[256];
    if (pb_decode(buf, size, &rec, err, sizeof(err)) != 0) {
        if (strncmp(err, "byte ", 5) != 0)
            abort();
        goto done;
    }
    const struct pb_tensor *f = &rec.features, *l = &rec.label;
    float label = l->present && l->n_values ? l->values[0] : 0.0f;
    if (f->present && !pb_tensor_is_sparse(f)) {
        if (pb_write_example(&out, f->values, f->n_values, label) == 0) {
            redecode(&out, "values", "values", &back);
            if (!back.features.present || back.features.n_values != f->n_values ||
                back.features.n_keys || back.label.n_values != 1)
                abort();
            same_floats(back.features.values, f->values, f->n_values);
            same_floats(back.label.values, &label, 1);
        }
    } else if (f->present && f->n_shape == 1) {
        if (pb_write_sparse_example(&out, f->keys, f->values, f->n_keys, f->shape[0], label) == 0) {
            redecode(&out, "values", "values", &back);
            if (back.features.n_keys != f->n_keys || back.features.n_values != f->n_values ||
                back.features.n_shape != 1 || back.features.shape[0] != f->shape[0] ||
                (f->n_keys && memcmp(back.features.keys, f->keys, f->n_keys * sizeof(uint64_t))))
                abort();
            same_floats(back.features.values, f->values, f->n_values);
        }
    }
    if (f->present && pb_tensor_is_sparse(f) && pb_tensor_size(f) <= 4096) {
        size_t dim = (size_t)pb_tensor_size(f);
        float *dense = malloc((dim ? dim : 1) * sizeof(float));
        if (dense) {
            if (pb_tensor_densify(f, dense, dim, err, sizeof(err)) != 0)
                abort();
            free(dense);
        }
    }
    if (f->present) {
        out.len = 0;
        if (pb_write_prediction(&out, f->values, f->n_values, l->present ? &label : NULL) == 0) {
            redecode(&out, NULL, "score", &back);
            if (back.features.present || back.label.n_values != f->n_values)
                abort();
            same_floats(back.label.values, f->values, f->n_values);
        }
    }
done:
    pb_out_free(&out);
    pb_record_free(&back);
    pb_record_free(&rec);
    free(buf);
    return 0;
}
