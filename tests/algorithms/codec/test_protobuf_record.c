/*
 * test_protobuf_record.c: algorithms/codec/protobuf_record.c against records
 * built byte by byte here: the 52-byte example of ALGORITHMS.md C.3, dense
 * and sparse tensors, Float64 and Int32 conversion, map entries and entry
 * fields in reversed order, unknown fields of every wire type, unpacked
 * repeated fields, protobuf merge rules, every malformed case the decoder
 * names, every truncation of valid records (decoded from exact-size heap
 * copies, so ASan sees any read past the end), and the encoder: the exact
 * bytes of a prediction and of an example, RecordIO framing, round trips.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>

#include "support/harness.h"
#include "codec/protobuf_record.h"
#include "support/wire_builder.h"

/* ------------------------------------------------------------ builder */

/* A packed Float32Tensor.values field. */
static void packed_f32(struct wire_buf *b, const float *v, size_t n)
{
    wire_tag(b, 1, 2);
    wire_varint(b, 4 * n);
    for (size_t i = 0; i < n; i++)
        wire_f32(b, v[i]);
}

static void packed_u64(struct wire_buf *b, unsigned field, const uint64_t *v, size_t n)
{
    struct wire_buf t = { .n = 0 };
    for (size_t i = 0; i < n; i++)
        wire_varint(&t, v[i]);
    wire_ld(b, field, &t);
}

/* Record field `map` with one entry key -> Value{member: tensor}. */
static void entry(struct wire_buf *rec, unsigned map, const char *key, unsigned member,
                  const struct wire_buf *tensor, int reversed)
{
    struct wire_buf value = { .n = 0 }, e = { .n = 0 };
    wire_ld(&value, member, tensor);
    if (reversed) {
        wire_ld(&e, 2, &value);
        wire_ld_str(&e, 1, key);
    } else {
        wire_ld_str(&e, 1, key);
        wire_ld(&e, 2, &value);
    }
    wire_ld(rec, map, &e);
}

/* Decode from an exact-size heap copy. */
static int decode(const struct wire_buf *b, struct pb_record *rec, char *err, size_t errsz)
{
    uint8_t *copy = malloc(b->n ? b->n : 1);
    ASSERT(copy);
    memcpy(copy, b->d, b->n);
    int rc = pb_decode(copy, b->n, rec, err, errsz);
    free(copy);
    return rc;
}

static void expect_error(const struct wire_buf *b, const char *msg)
{
    struct pb_record rec = { 0 };
    char err[256];
    if (decode(b, &rec, err, sizeof(err)) != -1)
        test_fail(__FILE__, __LINE__, "accepted; expected \"%s\"", msg);
    if (!strstr(err, msg))
        test_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err, msg);
    pb_record_free(&rec);
}

/* Every prefix of b must be refused cleanly or decoded. */
static void every_truncation(const struct wire_buf *b)
{
    struct pb_record rec = { 0 };
    char err[256];
    for (size_t n = 0; n <= b->n; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        ASSERT(copy);
        memcpy(copy, b->d, n);
        err[0] = 'x';
        int rc = pb_decode(copy, n, &rec, err, sizeof(err));
        ASSERT(rc == 0 || rc == -1);
        if (rc == -1)
            ASSERT(err[0] && strncmp(err, "byte ", 5) == 0);
        free(copy);
    }
    pb_record_free(&rec);
}

/* The payload of the RecordIO record at *off in o (checks the framing). */
static const uint8_t *unframe(const struct pb_out *o, size_t *off, size_t *len)
{
    ASSERT(*off + 8 <= o->len);
    const uint8_t *p = o->data + *off;
    uint32_t magic = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t lrec = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    ASSERT_EQ_INT(magic, 0xCED7230Au);
    ASSERT_EQ_INT(lrec >> 29, 0);
    *len = lrec;
    size_t padded = (lrec + 3u) & ~3u;
    ASSERT(*off + 8 + padded <= o->len);
    for (size_t i = lrec; i < padded; i++)
        ASSERT_EQ_INT(p[8 + i], 0);
    *off += 8 + padded;
    return p + 8;
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* The C.3 example, byte by byte: features [1.5, 16, 14, 23], label 1.0. */
static void build_c3_example(struct wire_buf *b)
{
    static const uint8_t head[] = { 0x0A, 0x1E, 0x0A, 0x06, 'v', 'a', 'l', 'u', 'e', 's',
                                    0x12, 0x14, 0x12, 0x12, 0x0A, 0x10 };
    static const uint8_t lab[] = { 0x12, 0x12, 0x0A, 0x06, 'v', 'a', 'l', 'u', 'e', 's',
                                   0x12, 0x08, 0x12, 0x06, 0x0A, 0x04 };
    b->n = 0;
    wire_put(b, head, sizeof(head));
    wire_f32(b, 1.5f);
    wire_f32(b, 16.0f);
    wire_f32(b, 14.0f);
    wire_f32(b, 23.0f);
    wire_put(b, lab, sizeof(lab));
    wire_f32(b, 1.0f);
}

/* ------------------------------------------------------------ decode */

TEST(pb_c3_example)
{
    struct wire_buf b;
    build_c3_example(&b);
    ASSERT_EQ_INT(b.n, 52);
    static const uint8_t le_1_5[] = { 0x00, 0x00, 0xC0, 0x3F };
    ASSERT(memcmp(b.d + 16, le_1_5, 4) == 0);
    struct pb_record rec = { 0 };
    char err[256];
    ASSERT_EQ_INT(decode(&b, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_STR(err, "");
    ASSERT(rec.features.present && rec.label.present);
    ASSERT_EQ_INT(rec.features.kind, PB_FLOAT32);
    ASSERT_EQ_INT(rec.features.n_values, 4);
    ASSERT_EQ_INT(rec.features.n_keys, 0);
    ASSERT_EQ_INT(rec.features.n_shape, 0);
    ASSERT(!pb_tensor_is_sparse(&rec.features));
    ASSERT_EQ_INT(pb_tensor_size(&rec.features), 4);
    ASSERT(rec.features.values[0] == 1.5f && rec.features.values[1] == 16.0f &&
           rec.features.values[2] == 14.0f && rec.features.values[3] == 23.0f);
    ASSERT_EQ_INT(rec.label.n_values, 1);
    ASSERT(rec.label.values[0] == 1.0f);
    float dense[4];
    ASSERT_EQ_INT(pb_tensor_densify(&rec.features, dense, 4, err, sizeof(err)), 0);
    ASSERT(dense[3] == 23.0f);
    ASSERT_EQ_INT(pb_tensor_densify(&rec.features, dense, 3, err, sizeof(err)), -1);
    ASSERT_EQ_STR(err, "has 4 values, expected 3");

    /* The encoder writes exactly these bytes. */
    struct pb_out out = { 0 };
    float feats[4] = { 1.5f, 16.0f, 14.0f, 23.0f };
    ASSERT_EQ_INT(pb_write_example(&out, feats, 4, 1.0f), 0);
    ASSERT_EQ_INT(out.len, 8 + 52);
    size_t off = 0, len;
    const uint8_t *payload = unframe(&out, &off, &len);
    ASSERT_EQ_INT(len, 52);
    ASSERT(memcmp(payload, b.d, 52) == 0);
    pb_out_free(&out);

    /* Neither missing map is an error. */
    struct wire_buf only = { .n = 0 };
    wire_put(&only, b.d, 32);
    ASSERT_EQ_INT(decode(&only, &rec, err, sizeof(err)), 0);
    ASSERT(rec.features.present && !rec.label.present);
    only.n = 0;
    ASSERT_EQ_INT(decode(&only, &rec, err, sizeof(err)), 0);
    ASSERT(!rec.features.present && !rec.label.present);
    ASSERT_EQ_INT(pb_tensor_densify(&rec.features, dense, 4, err, sizeof(err)), -1);
    ASSERT_EQ_INT(pb_decode(NULL, 0, &rec, err, sizeof(err)), 0);
    pb_record_free(&rec);
    every_truncation(&b);
}

TEST(pb_sparse_record)
{
    struct wire_buf rec_b = { .n = 0 }, t = { .n = 0 }, l = { .n = 0 };
    float vals[3] = { 1, 1, 4 };
    uint64_t keys[3] = { 26, 182, 232 }, shape[1] = { 2000 };
    packed_f32(&t, vals, 3);
    packed_u64(&t, 2, keys, 3);
    packed_u64(&t, 3, shape, 1);
    entry(&rec_b, 1, "values", 2, &t, 0);
    float y = 0;
    packed_f32(&l, &y, 1);
    entry(&rec_b, 2, "values", 2, &l, 0);

    struct pb_record rec = { 0 };
    char err[256];
    ASSERT_EQ_INT(decode(&rec_b, &rec, err, sizeof(err)), 0);
    ASSERT(pb_tensor_is_sparse(&rec.features));
    ASSERT_EQ_INT(rec.features.n_keys, 3);
    ASSERT_EQ_INT(rec.features.keys[1], 182);
    ASSERT_EQ_INT(rec.features.n_shape, 1);
    ASSERT_EQ_INT(rec.features.shape[0], 2000);
    ASSERT_EQ_INT(pb_tensor_size(&rec.features), 2000);
    static float dense[2000];
    ASSERT_EQ_INT(pb_tensor_densify(&rec.features, dense, 2000, err, sizeof(err)), 0);
    ASSERT(dense[26] == 1 && dense[182] == 1 && dense[232] == 4 && dense[0] == 0 && dense[1999] == 0);
    ASSERT_EQ_INT(pb_tensor_densify(&rec.features, dense, 1999, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "2000 elements");
    every_truncation(&rec_b);

    /* The sparse writer gives the same bytes. */
    struct pb_out out = { 0 };
    ASSERT_EQ_INT(pb_write_sparse_example(&out, keys, vals, 3, 2000, 0.0f), 0);
    size_t off = 0, len;
    const uint8_t *payload = unframe(&out, &off, &len);
    ASSERT_EQ_INT(len, rec_b.n);
    ASSERT(memcmp(payload, rec_b.d, len) == 0);
    ASSERT_EQ_INT(off, out.len);
    pb_out_free(&out);

    /* A 2-D shape [R, C]: keys are row-major positions; a repeated key adds. */
    struct wire_buf r2 = { .n = 0 }, t2 = { .n = 0 };
    float v2[3] = { 2, 3, 5 };
    uint64_t k2[3] = { 7, 0, 7 }, s2[2] = { 2, 4 };
    packed_f32(&t2, v2, 3);
    packed_u64(&t2, 2, k2, 3);
    packed_u64(&t2, 3, s2, 2);
    entry(&r2, 1, "values", 2, &t2, 0);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(pb_tensor_size(&rec.features), 8);
    float d8[8];
    ASSERT_EQ_INT(pb_tensor_densify(&rec.features, d8, 8, err, sizeof(err)), 0);
    ASSERT(d8[7] == 7 && d8[0] == 3 && d8[1] == 0);

    /* A sparse row with no stored value: only the shape. */
    struct wire_buf r3 = { .n = 0 }, t3 = { .n = 0 };
    packed_u64(&t3, 3, shape, 1);
    entry(&r3, 1, "values", 2, &t3, 0);
    ASSERT_EQ_INT(decode(&r3, &rec, err, sizeof(err)), 0);
    ASSERT(pb_tensor_is_sparse(&rec.features));
    ASSERT_EQ_INT(pb_tensor_densify(&rec.features, dense, 2000, err, sizeof(err)), 0);
    ASSERT(dense[26] == 0);
    pb_record_free(&rec);
}

TEST(pb_float64_and_int32)
{
    struct wire_buf r = { .n = 0 }, t = { .n = 0 }, l = { .n = 0 };
    /* Float64 features, packed. */
    wire_tag(&t, 1, 2);
    wire_varint(&t, 8 * 5);
    wire_f64(&t, 0.1);
    wire_f64(&t, -2.5);
    wire_f64(&t, 1e300);
    wire_f64(&t, -1e-300);
    wire_f64(&t, 0x1.ffffffp+127);             /* FLT_MAX + half an ulp: to inf */
    entry(&r, 1, "values", 3, &t, 0);
    /* Int32 label, packed, with a negative value (10-byte varint). */
    wire_tag(&l, 1, 2);
    struct wire_buf vs = { .n = 0 };
    wire_varint(&vs, (uint64_t)(int64_t)-3);
    wire_varint(&vs, 2147483647);
    wire_varint(&vs, 0);
    wire_varint(&l, vs.n);
    wire_put(&l, vs.d, vs.n);
    ASSERT_EQ_INT(vs.n, 10 + 5 + 1);
    entry(&r, 2, "values", 7, &l, 0);

    struct pb_record rec = { 0 };
    char err[256];
    ASSERT_EQ_INT(decode(&r, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.kind, PB_FLOAT64);
    ASSERT_EQ_INT(rec.features.n_values, 5);
    ASSERT(rec.features.values[0] == 0.1f);
    ASSERT(rec.features.values[1] == -2.5f);
    ASSERT(isinf(rec.features.values[2]) && rec.features.values[2] > 0);
    ASSERT(rec.features.values[3] == 0 && signbit(rec.features.values[3]));
    ASSERT(isinf(rec.features.values[4]));
    ASSERT_EQ_INT(rec.label.kind, PB_INT32);
    ASSERT_EQ_INT(rec.label.n_values, 3);
    ASSERT(rec.label.values[0] == -3.0f);
    ASSERT(rec.label.values[1] == 2147483647.0f);
    ASSERT(rec.label.values[2] == 0.0f);
    every_truncation(&r);

    /* Unpacked: doubles as wire type 1, int32 as wire type 0, one
     * int32 written as a 5-byte varint of a negative number (-1). */
    struct wire_buf r2 = { .n = 0 }, t2 = { .n = 0 }, l2 = { .n = 0 };
    wire_tag(&t2, 1, 1);
    wire_f64(&t2, 4.0);
    wire_tag(&t2, 1, 1);
    wire_f64(&t2, 1.7976931348623157e308);
    wire_tag(&t2, 1, 1);
    wire_f64(&t2, 3.4028235e38);               /* just above FLT_MAX: rounds to it */
    entry(&r2, 1, "values", 3, &t2, 0);
    wire_tag(&l2, 1, 0);
    wire_varint(&l2, 0xFFFFFFFFu);
    wire_tag(&l2, 1, 0);
    wire_varint(&l2, 7);
    entry(&r2, 2, "values", 7, &l2, 0);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 3);
    ASSERT(rec.features.values[0] == 4.0f && isinf(rec.features.values[1]));
    ASSERT(rec.features.values[2] == FLT_MAX);
    ASSERT_EQ_INT(rec.label.n_values, 2);
    ASSERT(rec.label.values[0] == -1.0f && rec.label.values[1] == 7.0f);
    every_truncation(&r2);
    pb_record_free(&rec);
}

TEST(pb_reversed_order_and_unknown_fields)
{
    struct wire_buf r = { .n = 0 }, t = { .n = 0 }, l = { .n = 0 };
    float f[2] = { 3.25f, -1.0f }, y = 2.0f;
    /* Unknown tensor fields of each wire type around the values. */
    wire_tag(&t, 4, 0);
    wire_varint(&t, 123456789);
    wire_tag(&t, 5, 5);
    wire_f32(&t, 9.0f);
    packed_f32(&t, f, 2);
    wire_tag(&t, 6, 1);
    wire_f64(&t, 9.0);
    wire_ld_str(&t, 2000, "junk");
    packed_f32(&l, &y, 1);
    /* Record: uid, label entry (reversed) first, an unknown varint and
     * fixed fields, a features entry for another key, then features. */
    wire_ld_str(&r, 3, "uid-1");
    entry(&r, 2, "values", 2, &l, 1);
    wire_tag(&r, 99, 0);
    wire_varint(&r, UINT64_MAX);
    wire_tag(&r, 100, 1);
    wire_f64(&r, 1.0);
    wire_tag(&r, 101, 5);
    wire_f32(&r, 1.0f);
    wire_tag(&r, 536870911, 2);                /* the largest field number */
    wire_varint(&r, 0);
    entry(&r, 1, "other", 2, &l, 0);
    entry(&r, 1, "values", 2, &t, 1);
    wire_ld_str(&r, 4, "{\"k\": 1}");
    wire_ld_str(&r, 5, "{}");

    struct pb_record rec = { 0 };
    char err[256];
    ASSERT_EQ_INT(decode(&r, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 2);
    ASSERT(rec.features.values[0] == 3.25f && rec.features.values[1] == -1.0f);
    ASSERT_EQ_INT(rec.label.n_values, 1);
    ASSERT(rec.label.values[0] == 2.0f);
    every_truncation(&r);

    /* Map entry with fields interleaved with unknown ones, key last, and an
     * unknown Value member (field 4) and a Bytes value of another key. */
    struct wire_buf r2 = { .n = 0 }, e = { .n = 0 }, v = { .n = 0 }, bytes = { .n = 0 };
    wire_tag(&v, 4, 0);
    wire_varint(&v, 1);
    wire_ld(&v, 2, &t);
    wire_tag(&e, 3, 5);
    wire_f32(&e, 0);
    wire_ld(&e, 2, &v);
    wire_ld_str(&e, 1, "values");
    wire_ld(&r2, 1, &e);
    wire_ld_str(&bytes, 1, "\x89PNG");
    wire_ld_str(&bytes, 2, "image/png");
    entry(&r2, 1, "image", 9, &bytes, 0);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 2);
    ASSERT(!rec.label.present);
    every_truncation(&r2);
    pb_record_free(&rec);
}

TEST(pb_unpacked_repeated_fields)
{
    struct wire_buf r = { .n = 0 }, t = { .n = 0 };
    for (int i = 0; i < 40; i++) {     /* grows past the first allocation */
        wire_tag(&t, 1, 5);
        wire_f32(&t, (float)i * 0.5f);
        wire_tag(&t, 2, 0);
        wire_varint(&t, (uint64_t)i * 1000);
    }
    wire_tag(&t, 3, 0);
    wire_varint(&t, 40000);
    entry(&r, 1, "values", 2, &t, 0);
    struct pb_record rec = { 0 };
    char err[256];
    ASSERT_EQ_INT(decode(&r, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 40);
    ASSERT_EQ_INT(rec.features.n_keys, 40);
    ASSERT(rec.features.values[39] == 19.5f);
    ASSERT_EQ_INT(rec.features.keys[39], 39000);
    ASSERT_EQ_INT(rec.features.shape[0], 40000);

    /* Empty packed fields (the first before any allocation). */
    struct wire_buf r0 = { .n = 0 }, t0 = { .n = 0 };
    wire_tag(&t0, 1, 2);
    wire_varint(&t0, 0);
    wire_tag(&t0, 2, 2);
    wire_varint(&t0, 0);
    entry(&r0, 1, "values", 2, &t0, 0);
    struct pb_record fresh = { 0 };
    ASSERT_EQ_INT(decode(&r0, &fresh, err, sizeof(err)), 0);
    ASSERT(fresh.features.present && fresh.features.n_values == 0 && fresh.features.n_keys == 0);
    pb_record_free(&fresh);

    /* Mixed: packed then unpacked values append. */
    struct wire_buf r2 = { .n = 0 }, t2 = { .n = 0 };
    float two[2] = { 1, 2 };
    packed_f32(&t2, two, 2);
    wire_tag(&t2, 1, 5);
    wire_f32(&t2, 3);
    packed_f32(&t2, two, 1);
    entry(&r2, 1, "values", 2, &t2, 0);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 4);
    ASSERT(rec.features.values[2] == 3 && rec.features.values[3] == 1);
    pb_record_free(&rec);
}

TEST(pb_merge_rules)
{
    struct pb_record rec = { 0 };
    char err[256];
    float a[2] = { 1, 2 }, b[1] = { 9 };
    struct wire_buf ta = { .n = 0 }, tb = { .n = 0 }, t64 = { .n = 0 };
    packed_f32(&ta, a, 2);
    packed_f32(&tb, b, 1);
    wire_tag(&t64, 1, 1);
    wire_f64(&t64, 5.0);

    /* The last entry for a key wins. */
    struct wire_buf r = { .n = 0 };
    entry(&r, 1, "values", 2, &ta, 0);
    entry(&r, 1, "values", 2, &tb, 0);
    ASSERT_EQ_INT(decode(&r, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 1);
    ASSERT(rec.features.values[0] == 9);

    /* Within one Value: the same member twice merges; another member
     * replaces; a Bytes member replaces with no values. */
    struct wire_buf v = { .n = 0 }, e = { .n = 0 }, r2 = { .n = 0 };
    wire_ld(&v, 2, &ta);
    wire_ld(&v, 2, &tb);
    wire_ld_str(&e, 1, "values");
    wire_ld(&e, 2, &v);
    wire_ld(&r2, 1, &e);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 3);
    ASSERT(rec.features.values[2] == 9);

    wire_ld(&v, 3, &t64);
    e.n = r2.n = 0;
    wire_ld_str(&e, 1, "values");
    wire_ld(&e, 2, &v);
    wire_ld(&r2, 1, &e);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.kind, PB_FLOAT64);
    ASSERT_EQ_INT(rec.features.n_values, 1);
    ASSERT(rec.features.values[0] == 5);

    struct wire_buf by = { .n = 0 };
    wire_ld_str(&by, 1, "x");
    wire_ld(&v, 9, &by);
    e.n = r2.n = 0;
    wire_ld_str(&e, 1, "values");
    wire_ld(&e, 2, &v);
    wire_ld(&r2, 1, &e);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.kind, PB_BYTES);
    ASSERT_EQ_INT(rec.features.n_values, 0);
    ASSERT(rec.features.present);

    /* Two Value fields in one entry merge as well; an entry without a
     * value is present with no tensor; the last key field wins. */
    struct wire_buf v1 = { .n = 0 }, v2 = { .n = 0 };
    wire_ld(&v1, 2, &ta);
    wire_ld(&v2, 2, &tb);
    e.n = r2.n = 0;
    wire_ld_str(&e, 1, "other");
    wire_ld(&e, 2, &v1);
    wire_ld_str(&e, 1, "values");
    wire_ld(&e, 2, &v2);
    wire_ld(&r2, 1, &e);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 3);
    e.n = r2.n = 0;
    wire_ld_str(&e, 1, "values");
    wire_ld(&r2, 2, &e);
    ASSERT_EQ_INT(decode(&r2, &rec, err, sizeof(err)), 0);
    ASSERT(rec.label.present && rec.label.kind == PB_NONE && rec.label.n_values == 0);

    /* Arrays are reused: a big record, then a small one. */
    struct wire_buf big = { .n = 0 }, tbig = { .n = 0 };
    float many[500];
    for (int i = 0; i < 500; i++)
        many[i] = (float)i;
    packed_f32(&tbig, many, 500);
    entry(&big, 1, "values", 2, &tbig, 0);
    ASSERT_EQ_INT(decode(&big, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 500);
    ASSERT_EQ_INT(decode(&r, &rec, err, sizeof(err)), 0);
    ASSERT_EQ_INT(rec.features.n_values, 1);
    ASSERT(!rec.label.present);
    pb_record_free(&rec);
    pb_record_free(&rec);                /* idempotent */
}

TEST(pb_malformed)
{
    struct wire_buf r = { .n = 0 }, t = { .n = 0 };
    float one = 1;

    wire_u8(&r, 0x0A);
    expect_error(&r, "byte 1: truncated varint");
    r.n = 0;
    wire_u8(&r, 0x0A);
    wire_u8(&r, 0x05);
    wire_u8(&r, 0x00);
    expect_error(&r, "byte 1: field 1: length 5 past the end (1 bytes left)");
    r.n = 0;
    wire_tag(&r, 1, 0);
    wire_varint(&r, 1);
    expect_error(&r, "byte 0: Record field 1 (features): wire type 0, expected 2");
    r.n = 0;
    for (int i = 0; i < 10; i++)
        wire_u8(&r, 0xFF);
    wire_u8(&r, 0x01);
    expect_error(&r, "byte 0: varint longer than 10 bytes or over 64 bits");
    r.n = 0;
    wire_tag(&r, 50, 0);
    for (int i = 0; i < 9; i++)
        wire_u8(&r, 0x80);
    wire_u8(&r, 0x02);                            /* bit 64 */
    expect_error(&r, "over 64 bits");
    r.n = 0;
    wire_u8(&r, 0x00);                            /* field 0 */
    expect_error(&r, "invalid field number 0");
    r.n = 0;
    wire_varint(&r, (uint64_t)1 << 35);
    expect_error(&r, "invalid field number");
    r.n = 0;
    wire_tag(&r, 7, 3);
    expect_error(&r, "field 7: groups (wire type 3) are not supported");
    r.n = 0;
    wire_tag(&r, 7, 4);
    expect_error(&r, "groups (wire type 4)");
    r.n = 0;
    wire_tag(&r, 7, 6);
    expect_error(&r, "field 7: invalid wire type 6");
    r.n = 0;
    wire_tag(&r, 7, 1);
    wire_f32(&r, 0);
    expect_error(&r, "field 7: truncated 8-byte value");

    /* Inside the tensor. */
    r.n = t.n = 0;
    wire_tag(&t, 1, 2);
    wire_varint(&t, 6);
    wire_f32(&t, 1);
    wire_u8(&t, 0);
    wire_u8(&t, 0);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "features['values']: packed Float32Tensor values: 6 bytes, not a multiple of 4");
    r.n = t.n = 0;
    wire_tag(&t, 1, 0);
    wire_varint(&t, 1);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "Float32Tensor values: wire type 0, expected 5 or 2");
    r.n = t.n = 0;
    wire_tag(&t, 1, 5);
    wire_f32(&t, 1);
    wire_tag(&t, 2, 5);
    wire_f32(&t, 1);
    entry(&r, 2, "values", 2, &t, 0);
    expect_error(&r, "label['values']: keys: wire type 5, expected 0 or 2");
    /* Sparse keys without values, key outside the shape, no shape. */
    uint64_t keys[2] = { 1, 5 }, shape[1] = { 5 }, big[5] = { 1, 2, 3, 4, 5 };
    r.n = t.n = 0;
    packed_u64(&t, 2, keys, 2);
    packed_u64(&t, 3, shape, 1);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "sparse tensor with 2 keys but 0 values");
    r.n = t.n = 0;
    float two[2] = { 1, 2 };
    packed_f32(&t, two, 2);
    packed_u64(&t, 2, keys, 2);
    packed_u64(&t, 3, shape, 1);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "key 5 outside the shape (5 elements)");
    r.n = t.n = 0;
    packed_f32(&t, two, 2);
    packed_u64(&t, 2, keys, 2);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "sparse tensor (keys) without a shape");
    r.n = t.n = 0;
    packed_u64(&t, 3, big, 5);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "shape has more than 4 dimensions");
    r.n = t.n = 0;
    uint64_t huge[2] = { UINT64_MAX / 2, 3 };
    packed_u64(&t, 3, huge, 2);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "shape overflows 64 bits");
    /* A truncated varint at the end of packed keys. */
    r.n = t.n = 0;
    packed_f32(&t, &one, 1);
    wire_tag(&t, 2, 2);
    wire_varint(&t, 2);
    wire_u8(&t, 0x01);
    wire_u8(&t, 0x81);
    entry(&r, 1, "values", 2, &t, 0);
    expect_error(&r, "truncated varint at the end of a packed field");
    /* Wrong wire type for the map entry's key and for a Value member. */
    struct wire_buf e = { .n = 0 }, v = { .n = 0 };
    r.n = 0;
    wire_tag(&e, 1, 0);
    wire_varint(&e, 3);
    wire_ld(&r, 1, &e);
    expect_error(&r, "map entry field 1 (key): wire type 0, expected 2");
    r.n = e.n = 0;
    wire_tag(&v, 2, 5);
    wire_f32(&v, 1);
    wire_ld_str(&e, 1, "values");
    wire_ld(&e, 2, &v);
    wire_ld(&r, 2, &e);
    expect_error(&r, "label['values']: Value field 2: wire type 5, expected 2");
    /* A nested length past the end of its message (but not of the input). */
    r.n = e.n = v.n = 0;
    wire_u8(&v, 0x12);
    wire_u8(&v, 0x05);
    wire_u8(&v, 0x0A);
    wire_ld_str(&e, 1, "values");
    wire_ld(&e, 2, &v);
    wire_ld(&r, 1, &e);
    wire_tag(&r, 9, 2);
    wire_varint(&r, 4);
    wire_f32(&r, 0);
    expect_error(&r, "length 5 past the end (1 bytes left)");
    char err[4];
    struct pb_record rec = { 0 };
    ASSERT_EQ_INT(decode(&r, &rec, err, sizeof(err)), -1);
    ASSERT_EQ_STR(err, "byt");
    ASSERT_EQ_INT(decode(&r, &rec, NULL, 0), -1);
    pb_record_free(&rec);
}

/* ------------------------------------------------------------ encode */

TEST(pb_prediction_bytes)
{
    struct pb_out out = { 0 };
    float score = 0.4f, label = 0.0f;
    ASSERT_EQ_INT(pb_write_prediction(&out, &score, 1, &label), 0);
    struct wire_buf want = { .n = 0 };
    static const uint8_t s1[] = { 0x12, 0x11, 0x0A, 0x05, 's', 'c', 'o', 'r', 'e',
                                  0x12, 0x08, 0x12, 0x06, 0x0A, 0x04 };
    wire_put(&want, s1, sizeof(s1));
    wire_f32(&want, 0.4f);
    static const uint8_t s2[] = { 0x12, 0x1B, 0x0A, 0x0F };
    wire_put(&want, s2, sizeof(s2));
    wire_put(&want, "predicted_label", 15);
    static const uint8_t s3[] = { 0x12, 0x08, 0x12, 0x06, 0x0A, 0x04 };
    wire_put(&want, s3, sizeof(s3));
    wire_f32(&want, 0.0f);
    ASSERT_EQ_INT(want.n, 48);
    ASSERT_EQ_INT(out.len, 8 + 48);
    static const uint8_t header[] = { 0x0A, 0x23, 0xD7, 0xCE, 48, 0, 0, 0 };
    ASSERT(memcmp(out.data, header, 8) == 0);
    ASSERT(memcmp(out.data + 8, want.d, 48) == 0);

    /* Regression: score only; an empty score is an empty tensor (12 00). */
    ASSERT_EQ_INT(pb_write_prediction(&out, &score, 1, NULL), 0);
    ASSERT_EQ_INT(pb_write_prediction(&out, NULL, 0, NULL), 0);
    size_t off = 56, len;
    const uint8_t *p = unframe(&out, &off, &len);
    ASSERT_EQ_INT(len, 19);
    ASSERT(memcmp(p, want.d, 19) == 0);
    p = unframe(&out, &off, &len);
    static const uint8_t empty[] = { 0x12, 0x0B, 0x0A, 0x05, 's', 'c', 'o', 'r', 'e', 0x12, 0x02, 0x12, 0x00 };
    ASSERT_EQ_INT(len, sizeof(empty));
    ASSERT(memcmp(p, empty, len) == 0);
    ASSERT_EQ_INT(off, out.len);
    ASSERT_EQ_INT(out.len % 4, 0);
    pb_out_free(&out);
    pb_out_free(&out);
}

TEST(pb_round_trips)
{
    struct pb_out out = { 0 };
    struct pb_record rec = { 0 };
    char err[256];
    /* Multiclass predictions of several sizes (every padding). */
    for (size_t k = 1; k <= 40; k++) {
        float score[40], label = (float)(k % 3);
        for (size_t i = 0; i < k; i++)
            score[i] = 1.0f / (float)(i + 2);
        score[0] = -0.0f;
        out.len = 0;
        ASSERT_EQ_INT(pb_write_prediction(&out, score, k, &label), 0);
        size_t off = 0, len;
        const uint8_t *p = unframe(&out, &off, &len);
        ASSERT_EQ_INT(off, out.len);
        ASSERT_EQ_INT(pb_decode_keys(p, len, &rec, NULL, "score", err, sizeof(err)), 0);
        ASSERT(!rec.features.present);
        ASSERT_EQ_INT(rec.label.n_values, k);
        for (size_t i = 0; i < k; i++)
            ASSERT_EQ_INT(bits(rec.label.values[i]), bits(score[i]));
        ASSERT_EQ_INT(pb_decode_keys(p, len, &rec, NULL, "predicted_label", err, sizeof(err)), 0);
        ASSERT_EQ_INT(rec.label.n_values, 1);
        ASSERT(rec.label.values[0] == label);
        ASSERT_EQ_INT(pb_decode(p, len, &rec, err, sizeof(err)), 0);
        ASSERT(!rec.features.present && !rec.label.present);
    }
    /* Examples, several in one buffer, including NaN and infinities, and a
     * feature vector long enough for 2- and 3-byte lengths. */
    static float feats[5000];
    out.len = 0;
    size_t dims[4] = { 0, 3, 31, 5000 };
    for (int j = 0; j < 4; j++) {
        for (size_t i = 0; i < dims[j]; i++)
            feats[i] = (float)i * 0.25f - 7.0f;
        if (dims[j] > 3) {
            feats[1] = NAN;
            feats[2] = -INFINITY;
        }
        ASSERT_EQ_INT(pb_write_example(&out, feats, dims[j], (float)j), 0);
    }
    size_t off = 0, len;
    for (int j = 0; j < 4; j++) {
        const uint8_t *p = unframe(&out, &off, &len);
        ASSERT_EQ_INT(pb_decode(p, len, &rec, err, sizeof(err)), 0);
        ASSERT(rec.features.present && rec.label.present);
        ASSERT_EQ_INT(rec.features.n_values, dims[j]);
        for (size_t i = 0; i < dims[j]; i++) {
            float w = (float)i * 0.25f - 7.0f;
            if (dims[j] > 3 && i == 1)
                w = NAN;
            if (dims[j] > 3 && i == 2)
                w = -INFINITY;
            ASSERT_EQ_INT(bits(rec.features.values[i]), bits(w));
        }
        ASSERT_EQ_INT(rec.label.n_values, 1);
        ASSERT(rec.label.values[0] == (float)j);
    }
    ASSERT_EQ_INT(off, out.len);
    pb_out_free(&out);
    pb_record_free(&rec);
}
