/*
 * protobuf_record.c: the `aialgs.data.Record` message by hand (protobuf_record.h).
 *
 * Decoding walks the wire format with every read bounded by the end of the
 * enclosing message: varints of at most 10 bytes and 64 bits, lengths
 * checked against the bytes left, fields 1..2^29-1, wire types 0, 1, 2 and 5
 * skipped when unknown, groups (3, 4) and types 6, 7 refused.  The Record is
 * scanned once to find the last `features` and `label` map entries whose key
 * is "values"; only those entries' Values are decoded into the tensors.
 * Encoding computes every nested length first, then writes the RecordIO
 * header, the payload and the padding in one pass into the output buffer.
 */
#include "codec/protobuf_record.h"

#include "codec/protowire.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDIO_MAGIC 0xCED7230Au
#define RECORDIO_MAX_LEN ((1u << 29) - 1u)

/* ---------------------------------------------------------------- decode */

static uint32_t rd_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_u64le(const uint8_t *p)
{
    return (uint64_t)rd_u32le(p) | (uint64_t)rd_u32le(p + 4) << 32;
}

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

/* double to float as IEEE rounds it, without relying on the C conversion
 * for values beyond the float range. */
static float f32_from_double(double x)
{
    double a = fabs(x);
    if (a > (double)FLT_MAX && !isinf(x) && !isnan(x)) {
        if (a >= 0x1.ffffffp+127)       /* FLT_MAX + half an ulp: rounds up */
            return x < 0 ? -INFINITY : INFINITY;
        return x < 0 ? -FLT_MAX : FLT_MAX;
    }
    return (float)x;
}

static float f32_from_int32_varint(uint64_t v)
{
    uint32_t u = (uint32_t)v;                    /* proto: low 32 bits */
    int64_t i = u <= 0x7FFFFFFFu ? (int64_t)u : (int64_t)u - 4294967296LL;
    return (float)i;
}

/* Make room for `extra` more elements of `size` bytes in *arr (n used, *cap
 * allocated); `what` names them in messages. */
static int grow(struct pw_dec *d, const uint8_t *at, void **arr, size_t n, size_t *cap, size_t extra,
                size_t size, const char *what)
{
    if (extra > PB_MAX_VALUES - n)
        return pw_fail(d, at, "more than 2^31 %s", what);
    size_t need = n + extra;
    if (need <= *cap)
        return 0;
    size_t nc = *cap * 2;
    if (nc < need)
        nc = need;
    if (nc < 16)
        nc = 16;
    void *grown = realloc(*arr, nc * size);
    if (!grown)
        return pw_fail(d, at, "out of memory for %zu %s", nc, what);
    *arr = grown;
    *cap = nc;
    return 0;
}

static int grow_values(struct pw_dec *d, const uint8_t *at, struct pb_tensor *t, size_t extra)
{
    return grow(d, at, (void **)&t->values, t->n_values, &t->cap_values, extra, sizeof(*t->values),
                "values");
}

static int grow_keys(struct pw_dec *d, const uint8_t *at, struct pb_tensor *t, size_t extra)
{
    return grow(d, at, (void **)&t->keys, t->n_keys, &t->cap_keys, extra, sizeof(*t->keys), "keys");
}

/* The number of varints in a packed field's bytes; the last must end it. */
static int count_varints(struct pw_dec *d, const uint8_t *p, const uint8_t *end, size_t *n)
{
    size_t c = 0;
    for (const uint8_t *q = p; q < end; q++)
        c += !(*q & 0x80u);
    if (p < end && (end[-1] & 0x80u))
        return pw_fail(d, end - 1, "truncated varint at the end of a packed field");
    *n = c;
    return 0;
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case PB_FLOAT32: return "Float32Tensor";
    case PB_FLOAT64: return "Float64Tensor";
    case PB_INT32: return "Int32Tensor";
    default: return "tensor";
    }
}

/* values (field 1) of a tensor of the given kind, packed or one unpacked. */
static int tensor_values(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, unsigned wire,
                         int kind, struct pb_tensor *t)
{
    const uint8_t *at = *pp;
    const uint8_t *q;
    uint64_t v;
    if (wire == 2) {
        if (pw_len(d, pp, end, 1, &q))
            return -1;
        const uint8_t *p = *pp;
        size_t n = (size_t)(q - p);
        if (kind == PB_FLOAT32 || kind == PB_FLOAT64) {
            size_t w = kind == PB_FLOAT32 ? 4 : 8;
            if (n % w)
                return pw_fail(d, at, "packed %s values: %zu bytes, not a multiple of %zu",
                             kind_name(kind), n, w);
            if (!n) {                            /* empty packed field */
                *pp = q;
                return 0;
            }
            if (grow_values(d, at, t, n / w))
                return -1;
            float *o = t->values + t->n_values;
            if (kind == PB_FLOAT32)
                for (size_t i = 0; i < n / 4; i++)
                    o[i] = f32_from_bits(rd_u32le(p + 4 * i));
            else
                for (size_t i = 0; i < n / 8; i++) {
                    uint64_t b = rd_u64le(p + 8 * i);
                    double x;
                    memcpy(&x, &b, sizeof(x));
                    o[i] = f32_from_double(x);
                }
            t->n_values += n / w;
        } else {
            size_t c = 0;
            if (count_varints(d, p, q, &c) || grow_values(d, at, t, c))
                return -1;
            while (p < q) {
                if (pw_varint(d, &p, q, &v))
                    return -1;
                t->values[t->n_values++] = f32_from_int32_varint(v);
            }
        }
        *pp = q;
        return 0;
    }
    unsigned expect = kind == PB_FLOAT32 ? 5 : kind == PB_FLOAT64 ? 1 : 0;
    if (wire != expect)
        return pw_fail(d, at, "%s values: wire type %u, expected %u or 2", kind_name(kind), wire, expect);
    if (grow_values(d, at, t, 1))
        return -1;
    float f;
    if (wire == 5) {
        if (end - *pp < 4)
            return pw_fail(d, at, "truncated float value");
        f = f32_from_bits(rd_u32le(*pp));
        *pp += 4;
    } else if (wire == 1) {
        if (end - *pp < 8)
            return pw_fail(d, at, "truncated double value");
        uint64_t b = rd_u64le(*pp);
        double x;
        memcpy(&x, &b, sizeof(x));
        f = f32_from_double(x);
        *pp += 8;
    } else {
        if (pw_varint(d, pp, end, &v))
            return -1;
        f = f32_from_int32_varint(v);
    }
    t->values[t->n_values++] = f;
    return 0;
}

/* keys (field 2) or shape (field 3): uint64, packed or one unpacked. */
static int tensor_u64s(struct pw_dec *d, const uint8_t **pp, const uint8_t *end, unsigned wire,
                       uint32_t field, struct pb_tensor *t)
{
    const uint8_t *at = *pp;
    const char *name = field == 2 ? "keys" : "shape";
    const uint8_t *p, *q;
    size_t c = 0;
    uint64_t v;
    if (wire == 0) {
        p = *pp;
        q = end;
        c = 1;
    } else if (wire == 2) {
        if (pw_len(d, pp, end, field, &q))
            return -1;
        p = *pp;
        if (count_varints(d, p, q, &c))
            return -1;
    } else {
        return pw_fail(d, at, "%s: wire type %u, expected 0 or 2", name, wire);
    }
    if (field == 2) {
        if (grow_keys(d, at, t, c))
            return -1;
    } else if (c > PB_MAX_SHAPE - t->n_shape) {
        return pw_fail(d, at, "shape has more than %d dimensions", PB_MAX_SHAPE);
    }
    for (size_t i = 0; i < c; i++) {
        if (pw_varint(d, &p, q, &v))
            return -1;
        if (field == 2)
            t->keys[t->n_keys++] = v;
        else
            t->shape[t->n_shape++] = v;
    }
    *pp = wire == 0 ? p : q;
    return 0;
}

/* One Float32Tensor / Float64Tensor / Int32Tensor message, appended to t. */
static int decode_tensor(struct pw_dec *d, const uint8_t *p, const uint8_t *end, int kind, struct pb_tensor *t)
{
    while (p < end) {
        uint32_t field;
        unsigned wire;
        if (pw_tag(d, &p, end, &field, &wire))
            return -1;
        int rc;
        if (field == 1)
            rc = tensor_values(d, &p, end, wire, kind, t);
        else if (field == 2 || field == 3)
            rc = tensor_u64s(d, &p, end, wire, field, t);
        else
            rc = pw_skip(d, &p, end, field, wire);
        if (rc)
            return -1;
    }
    return 0;
}

static void tensor_clear(struct pb_tensor *t)
{
    t->n_values = t->n_keys = t->n_shape = 0;
}

/* One Value message (the oneof), merged into t. */
static int decode_value(struct pw_dec *d, const uint8_t *p, const uint8_t *end, struct pb_tensor *t)
{
    while (p < end) {
        const uint8_t *at = p;
        uint32_t field;
        unsigned wire;
        if (pw_tag(d, &p, end, &field, &wire))
            return -1;
        if (field == 2 || field == 3 || field == 7 || field == 9) {
            const uint8_t *q;
            if (wire != 2)
                return pw_fail(d, at, "Value field %u: wire type %u, expected 2", field, wire);
            if (pw_len(d, &p, end, field, &q))
                return -1;
            if (t->kind != (int)field) {         /* another oneof member: replace */
                tensor_clear(t);
                t->kind = (int)field;
            }
            if (field != 9 && decode_tensor(d, p, q, (int)field, t))
                return -1;
            p = q;
        } else if (pw_skip(d, &p, end, field, wire)) {
            return -1;
        }
    }
    return 0;
}

static int shape_product(const struct pb_tensor *t, uint64_t *out)
{
    uint64_t n = 1;
    for (size_t i = 0; i < t->n_shape; i++) {
        if (t->shape[i] && n > UINT64_MAX / t->shape[i])
            return -1;
        n *= t->shape[i];
    }
    *out = n;
    return 0;
}

/* The checks on a complete tensor (keys vs values vs shape). */
static int check_tensor(struct pw_dec *d, const uint8_t *at, const struct pb_tensor *t)
{
    uint64_t size = 0;
    if (t->n_shape && shape_product(t, &size))
        return pw_fail(d, at, "shape overflows 64 bits");
    if (!t->n_keys)
        return 0;
    if (t->n_keys != t->n_values)
        return pw_fail(d, at, "sparse tensor with %zu keys but %zu values", t->n_keys, t->n_values);
    if (!t->n_shape)
        return pw_fail(d, at, "sparse tensor (keys) without a shape");
    for (size_t i = 0; i < t->n_keys; i++)
        if (t->keys[i] >= size)
            return pw_fail(d, at, "key %llu outside the shape (%llu elements)",
                         (unsigned long long)t->keys[i], (unsigned long long)size);
    return 0;
}

/* Scan a map entry: bounds and wire types, and whether its key is `want`
 * (the last key field wins, as protobuf merges). */
static int entry_has_key(struct pw_dec *d, const uint8_t *p, const uint8_t *end, const char *want, int *match)
{
    const uint8_t *key = (const uint8_t *)"";
    size_t klen = 0;
    while (p < end) {
        const uint8_t *at = p;
        uint32_t field;
        unsigned wire;
        if (pw_tag(d, &p, end, &field, &wire))
            return -1;
        if (field == 1 || field == 2) {
            const uint8_t *q;
            if (wire != 2)
                return pw_fail(d, at, "map entry field %u (%s): wire type %u, expected 2",
                             field, field == 1 ? "key" : "value", wire);
            if (pw_len(d, &p, end, field, &q))
                return -1;
            if (field == 1) {
                key = p;
                klen = (size_t)(q - p);
            }
            p = q;
        } else if (pw_skip(d, &p, end, field, wire)) {
            return -1;
        }
    }
    *match = klen == strlen(want) && memcmp(key, want, klen) == 0;
    return 0;
}

/* Decode an entry (already scanned) with the wanted key into t. */
static int decode_entry(struct pw_dec *d, const uint8_t *p, const uint8_t *end, struct pb_tensor *t)
{
    const uint8_t *start = p;
    tensor_clear(t);
    t->present = 1;
    t->kind = PB_NONE;
    while (p < end) {
        uint32_t field;
        unsigned wire;
        if (pw_tag(d, &p, end, &field, &wire))
            return -1;
        if (field == 2) {                          /* wire 2, checked */
            const uint8_t *q;
            if (pw_len(d, &p, end, field, &q) || decode_value(d, p, q, t))
                return -1;
            p = q;
        } else if (pw_skip(d, &p, end, field, wire)) {
            return -1;
        }
    }
    return check_tensor(d, start, t);
}

static void tensor_reset(struct pb_tensor *t)
{
    tensor_clear(t);
    t->present = 0;
    t->kind = PB_NONE;
}

int pb_decode(const uint8_t *buf, size_t len, struct pb_record *rec, char *err, size_t errsz)
{
    return pb_decode_keys(buf, len, rec, "values", "values", err, errsz);
}

int pb_decode_keys(const uint8_t *buf, size_t len, struct pb_record *rec,
                      const char *features_key, const char *label_key, char *err, size_t errsz)
{
    if (err && errsz)
        err[0] = 0;
    tensor_reset(&rec->features);
    tensor_reset(&rec->label);
    if (!len)
        return 0;
    if (!buf) {
        if (err && errsz)
            snprintf(err, errsz, "no data");
        return -1;
    }
    struct pw_dec d = { buf, NULL, NULL, err, errsz };
    const char *keys[2] = { features_key, label_key };
    const uint8_t *p = buf, *end = buf + len;
    const uint8_t *ent[2] = { NULL, NULL }, *ent_end[2] = { NULL, NULL };
    while (p < end) {
        const uint8_t *at = p;
        uint32_t field;
        unsigned wire;
        if (pw_tag(&d, &p, end, &field, &wire))
            return -1;
        if (field == 1 || field == 2) {
            const uint8_t *q;
            int match = 0;
            if (wire != 2)
                return pw_fail(&d, at, "Record field %u (%s): wire type %u, expected 2",
                             field, field == 1 ? "features" : "label", wire);
            if (pw_len(&d, &p, end, field, &q) ||
                (keys[field - 1] && entry_has_key(&d, p, q, keys[field - 1], &match)))
                return -1;
            if (match) {
                ent[field - 1] = p;
                ent_end[field - 1] = q;
            }
            p = q;
        } else if (pw_skip(&d, &p, end, field, wire)) {
            return -1;
        }
    }
    struct pb_tensor *dst[2] = { &rec->features, &rec->label };
    static const char *const names[2] = { "features", "label" };
    for (int i = 0; i < 2; i++) {
        if (!ent[i])
            continue;
        d.what = names[i];
        d.key = keys[i];
        if (decode_entry(&d, ent[i], ent_end[i], dst[i]))
            return -1;
    }
    return 0;
}

static void tensor_free(struct pb_tensor *t)
{
    free(t->values);
    free(t->keys);
    memset(t, 0, sizeof(*t));
}

void pb_record_free(struct pb_record *rec)
{
    if (!rec)
        return;
    tensor_free(&rec->features);
    tensor_free(&rec->label);
}

int pb_tensor_is_sparse(const struct pb_tensor *t)
{
    return t->n_keys > 0 || (t->n_values == 0 && t->n_shape > 0);
}

uint64_t pb_tensor_size(const struct pb_tensor *t)
{
    if (!pb_tensor_is_sparse(t))
        return t->n_values;
    uint64_t n;
    return shape_product(t, &n) ? UINT64_MAX : n;
}

int pb_tensor_densify(const struct pb_tensor *t, float *out, size_t dim, char *err, size_t errsz)
{
    if (!t->present) {
        if (err && errsz)
            snprintf(err, errsz, "missing");
        return -1;
    }
    if (!pb_tensor_is_sparse(t)) {
        if (t->n_values != dim) {
            if (err && errsz)
                snprintf(err, errsz, "has %zu values, expected %zu", t->n_values, dim);
            return -1;
        }
        if (dim)
            memcpy(out, t->values, dim * sizeof(*out));
        return 0;
    }
    uint64_t size = pb_tensor_size(t);
    if (size != (uint64_t)dim) {
        if (err && errsz)
            snprintf(err, errsz, "is sparse with shape of %llu elements, expected %zu",
                     (unsigned long long)size, dim);
        return -1;
    }
    if (dim)
        memset(out, 0, dim * sizeof(*out));
    for (size_t i = 0; i < t->n_keys; i++) {
        if (t->keys[i] >= dim) {                  /* checked by decode; be safe */
            if (err && errsz)
                snprintf(err, errsz, "key %llu outside %zu", (unsigned long long)t->keys[i], dim);
            return -1;
        }
        out[t->keys[i]] += t->values[i];
    }
    return 0;
}

/* ---------------------------------------------------------------- encode */

/* A Float32Tensor to write (each part omitted when empty, as protobuf does
 * for an empty packed repeated field). */
struct f32t {
    const float *v;
    size_t nv;
    const uint64_t *k;
    size_t nk;
    const uint64_t *s;
    size_t ns;
};

struct entry {
    unsigned map;        /* Record field: 1 features, 2 label */
    const char *key;
    struct f32t t;
};

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80u) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A length-delimited field with a one-byte tag. */
static size_t ld_len(size_t body)
{
    return 1 + varint_len(body) + body;
}

static size_t packed_u64_len(const uint64_t *a, size_t n)
{
    size_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += varint_len(a[i]);
    return s;
}

static size_t tensor_body(const struct f32t *t)
{
    size_t n = 0;
    if (t->nv)
        n += ld_len(4 * t->nv);
    if (t->nk)
        n += ld_len(packed_u64_len(t->k, t->nk));
    if (t->ns)
        n += ld_len(packed_u64_len(t->s, t->ns));
    return n;
}

static size_t entry_body(const struct entry *e)
{
    return ld_len(strlen(e->key)) + ld_len(ld_len(tensor_body(&e->t)));
}

static uint8_t *put_varint(uint8_t *w, uint64_t v)
{
    while (v >= 0x80u) {
        *w++ = (uint8_t)(v | 0x80u);
        v >>= 7;
    }
    *w++ = (uint8_t)v;
    return w;
}

static uint8_t *put_u32le(uint8_t *w, uint32_t v)
{
    w[0] = (uint8_t)v;
    w[1] = (uint8_t)(v >> 8);
    w[2] = (uint8_t)(v >> 16);
    w[3] = (uint8_t)(v >> 24);
    return w + 4;
}

static uint8_t *put_tensor(uint8_t *w, const struct f32t *t)
{
    if (t->nv) {
        *w++ = 0x0A;                             /* values, packed */
        w = put_varint(w, 4 * t->nv);
        for (size_t i = 0; i < t->nv; i++) {
            uint32_t u;
            memcpy(&u, &t->v[i], sizeof(u));
            w = put_u32le(w, u);
        }
    }
    if (t->nk) {
        *w++ = 0x12;                             /* keys, packed */
        w = put_varint(w, packed_u64_len(t->k, t->nk));
        for (size_t i = 0; i < t->nk; i++)
            w = put_varint(w, t->k[i]);
    }
    if (t->ns) {
        *w++ = 0x1A;                             /* shape, packed */
        w = put_varint(w, packed_u64_len(t->s, t->ns));
        for (size_t i = 0; i < t->ns; i++)
            w = put_varint(w, t->s[i]);
    }
    return w;
}

/* Append one framed Record made of the given map entries. */
static int write_record(struct pb_out *out, const struct entry *e, size_t n)
{
    size_t payload = 0;
    for (size_t i = 0; i < n; i++) {
        /* Keep every length computation far from overflow. */
        if (e[i].t.nv > RECORDIO_MAX_LEN / 4 || e[i].t.nk > RECORDIO_MAX_LEN || e[i].t.ns > RECORDIO_MAX_LEN)
            return -1;
        payload += ld_len(entry_body(&e[i]));
        if (payload > RECORDIO_MAX_LEN)
            return -1;
    }
    size_t pad = (4 - payload % 4) % 4;
    size_t total = 8 + payload + pad;
    if (out->len > SIZE_MAX - total)
        return -1;
    if (out->len + total > out->cap) {
        size_t nc = out->cap * 2;
        if (nc < out->len + total)
            nc = out->len + total;
        if (nc < 256)
            nc = 256;
        uint8_t *nd = realloc(out->data, nc);
        if (!nd)
            return -1;
        out->data = nd;
        out->cap = nc;
    }
    uint8_t *w = out->data + out->len;
    w = put_u32le(w, RECORDIO_MAGIC);
    w = put_u32le(w, (uint32_t)payload);         /* cflag 0: a whole record */
    for (size_t i = 0; i < n; i++) {
        size_t klen = strlen(e[i].key);
        size_t tb = tensor_body(&e[i].t);
        *w++ = (uint8_t)(e[i].map << 3 | 2);
        w = put_varint(w, entry_body(&e[i]));
        *w++ = 0x0A;                             /* entry key */
        w = put_varint(w, klen);
        memcpy(w, e[i].key, klen);
        w += klen;
        *w++ = 0x12;                             /* entry value: a Value */
        w = put_varint(w, ld_len(tb));
        *w++ = 0x12;                             /* Value.float32_tensor */
        w = put_varint(w, tb);
        w = put_tensor(w, &e[i].t);
    }
    memset(w, 0, pad);
    out->len += total;
    return 0;
}

int pb_write_prediction(struct pb_out *out, const float *score, size_t n_score,
                           const float *predicted_label)
{
    struct entry e[2] = {
        { 2, "score", { score, n_score, NULL, 0, NULL, 0 } },
        { 2, "predicted_label", { predicted_label, 1, NULL, 0, NULL, 0 } },
    };
    return write_record(out, e, predicted_label ? 2 : 1);
}

int pb_write_example(struct pb_out *out, const float *features, size_t dim, float label)
{
    struct entry e[2] = {
        { 1, "values", { features, dim, NULL, 0, NULL, 0 } },
        { 2, "values", { &label, 1, NULL, 0, NULL, 0 } },
    };
    return write_record(out, e, 2);
}

int pb_write_sparse_example(struct pb_out *out, const uint64_t *keys, const float *values,
                               size_t nnz, uint64_t dim, float label)
{
    struct entry e[2] = {
        { 1, "values", { values, nnz, keys, nnz, &dim, 1 } },
        { 2, "values", { &label, 1, NULL, 0, NULL, 0 } },
    };
    return write_record(out, e, 2);
}

void pb_out_free(struct pb_out *out)
{
    if (!out)
        return;
    free(out->data);
    memset(out, 0, sizeof(*out));
}
