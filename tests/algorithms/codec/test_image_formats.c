/*
 * test_image_formats.c: the image-data codecs of algorithms/codec/ against
 * bytes built here: tf.train.Example (tf_example.c: ALGORITHMS.md B.6's
 * hand-encoded CIFAR record byte for byte, entries and entry fields in any
 * order, unpacked and packed int64, floats, unknown fields, every
 * truncation), IDX headers and file names (idx.c), .npy headers and
 * values of every supported dtype and both orders (npy.c), and CIFAR
 * binary records and planar-to-interleaved pixels (pixels.c).  Decoders
 * read exact-size heap copies, so ASan sees any read past the end.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/idx.h"
#include "codec/npy.h"
#include "codec/pixels.h"
#include "codec/tf_example.h"
#include "support/harness.h"
#include "support/wire_builder.h"

/* A map entry {key, Feature{kind: list}} */
static void entry(struct wire_buf *features, const char *key, unsigned kind, const struct wire_buf *list, int value_first)
{
    struct wire_buf feat = {{0}, 0}, ent = {{0}, 0};
    wire_ld(&feat, kind, list);
    if (value_first) {
        wire_ld(&ent, 2, &feat);
        wire_ld_str(&ent, 1, key);
    } else {
        wire_ld_str(&ent, 1, key);
        wire_ld(&ent, 2, &feat);
    }
    wire_ld(features, 1, &ent);
}

static uint8_t *heap_copy(const struct wire_buf *b)
{
    uint8_t *p = malloc(b->n ? b->n : 1);
    memcpy(p, b->d, b->n);
    return p;
}

/* The CIFAR record of B.6: image of 3,072 bytes (value i % 251), label 6. */
static void cifar_example(struct wire_buf *ex, int reversed)
{
    struct wire_buf img = {{0}, 0}, lab = {{0}, 0}, features = {{0}, 0};
    uint8_t pix[3072];
    for (int i = 0; i < 3072; i++)
        pix[i] = (uint8_t)(i % 251);
    wire_varint(&img, 1 << 3 | 2);
    wire_varint(&img, sizeof(pix));
    wire_put(&img, pix, sizeof(pix));
    wire_u8(&lab, 0x0A); /* packed */
    wire_u8(&lab, 1);
    wire_u8(&lab, 6);
    if (reversed) {
        entry(&features, "label", 3, &lab, 1);
        entry(&features, "image", 1, &img, 1);
    } else {
        entry(&features, "image", 1, &img, 0);
        entry(&features, "label", 3, &lab, 0);
    }
    ex->n = 0;
    wire_ld(ex, 1, &features);
}

TEST(tf_example_reads_the_cifar_record_of_the_spec)
{
    struct wire_buf ex = {{0}, 0};
    cifar_example(&ex, 0);
    ASSERT_EQ_INT(ex.n, 3110); /* B.6: payload = 3,110 bytes */
    static const uint8_t head[] = {0x0A, 0xA3, 0x18, 0x0A, 0x90, 0x18, 0x0A, 0x05, 'i', 'm', 'a', 'g', 'e',
                                   0x12, 0x86, 0x18, 0x0A, 0x83, 0x18, 0x0A, 0x80, 0x18};
    ASSERT(memcmp(ex.d, head, sizeof(head)) == 0);
    for (int reversed = 0; reversed < 2; reversed++) {
        cifar_example(&ex, reversed);
        uint8_t *p = heap_copy(&ex);
        const char *keys[] = {"image", "label", "absent"};
        struct tfex_feature f[3];
        char err[200];
        ASSERT_EQ_INT(tfex_find(p, ex.n, keys, 3, f, err, sizeof(err)), 0);
        ASSERT(f[0].present && f[0].kind == TFEX_BYTES);
        ASSERT(f[1].present && f[1].kind == TFEX_INT64);
        ASSERT(!f[2].present);
        const uint8_t *img;
        size_t n, count;
        ASSERT_EQ_INT(tfex_bytes(&f[0], 0, &img, &n, &count, err, sizeof(err)), 0);
        ASSERT_EQ_INT(n, 3072);
        ASSERT_EQ_INT(count, 1);
        ASSERT_EQ_INT(img[1000], 1000 % 251);
        int64_t label[4];
        ASSERT_EQ_INT(tfex_int64s(&f[1], label, 4, &count, err, sizeof(err)), 0);
        ASSERT_EQ_INT(count, 1);
        ASSERT_EQ_INT(label[0], 6);
        /* Asking the wrong kind names the feature and both kinds. */
        float fl[1];
        ASSERT_EQ_INT(tfex_floats(&f[1], fl, 1, &count, err, sizeof(err)), -1);
        ASSERT_CONTAINS(err, "features['label']: the feature is an Int64List, expected a FloatList");
        ASSERT_EQ_INT(tfex_int64s(&f[2], label, 4, &count, err, sizeof(err)), -1);
        ASSERT_CONTAINS(err, "missing");
        ASSERT_EQ_INT(tfex_bytes(&f[0], 1, &img, &n, &count, err, sizeof(err)), -1);
        ASSERT_CONTAINS(err, "BytesList value 1 asked, the list holds 1");
        free(p);
    }
}

TEST(tf_example_numbers_packed_unpacked_and_merge_rules)
{
    struct wire_buf lab = {{0}, 0}, fl = {{0}, 0}, features = {{0}, 0}, ex = {{0}, 0}, other = {{0}, 0};
    /* int64: unpacked 300, then packed [-1, 2^40], then unpacked 7 */
    wire_u8(&lab, 0x08);
    wire_varint(&lab, 300);
    struct wire_buf packed = {{0}, 0};
    wire_varint(&packed, UINT64_MAX); /* -1 as a 10-byte varint */
    wire_varint(&packed, (uint64_t)1 << 40);
    wire_ld(&lab, 1, &packed);
    wire_u8(&lab, 0x08);
    wire_varint(&lab, 7);
    /* floats: unpacked 1.5, packed [-2, 0.25] */
    float v[3] = {1.5f, -2.0f, 0.25f};
    wire_u8(&fl, 0x0D);
    wire_put(&fl, &v[0], 4);
    wire_u8(&fl, 0x0A);
    wire_u8(&fl, 8);
    wire_put(&fl, &v[1], 8);
    /* A first "label" entry overridden by the last; an unknown field. */
    struct wire_buf old = {{0}, 0};
    wire_u8(&old, 0x08);
    wire_varint(&old, 99);
    entry(&features, "label", 3, &old, 0);
    entry(&features, "score", 2, &fl, 0);
    entry(&features, "label", 3, &lab, 0);
    wire_varint(&ex, 7 << 3 | 0); /* unknown varint field at the top */
    wire_varint(&ex, 5);
    wire_ld(&ex, 1, &features);
    wire_ld_str(&other, 9, "ignored");
    wire_ld(&ex, 4, &other); /* unknown sub-message */
    uint8_t *p = heap_copy(&ex);
    const char *keys[] = {"label", "score"};
    struct tfex_feature f[2];
    char err[200];
    ASSERT_EQ_INT(tfex_find(p, ex.n, keys, 2, f, err, sizeof(err)), 0);
    int64_t out[8];
    size_t count;
    ASSERT_EQ_INT(tfex_int64s(&f[0], out, 8, &count, err, sizeof(err)), 0);
    ASSERT_EQ_INT(count, 4);
    ASSERT_EQ_INT(out[0], 300);
    ASSERT_EQ_INT(out[1], -1);
    ASSERT_EQ_INT(out[2], (int64_t)1 << 40);
    ASSERT_EQ_INT(out[3], 7);
    /* max smaller than the list: count is the whole list, 2 written. */
    int64_t two[2] = {0, 0};
    ASSERT_EQ_INT(tfex_int64s(&f[0], two, 2, &count, err, sizeof(err)), 0);
    ASSERT_EQ_INT(count, 4);
    ASSERT_EQ_INT(two[1], -1);
    float got[3];
    ASSERT_EQ_INT(tfex_floats(&f[1], got, 3, &count, err, sizeof(err)), 0);
    ASSERT_EQ_INT(count, 3);
    ASSERT(got[0] == 1.5f && got[1] == -2.0f && got[2] == 0.25f);
    free(p);
}

TEST(tf_example_every_truncation_and_bad_wire_type_is_an_error)
{
    struct wire_buf ex = {{0}, 0};
    cifar_example(&ex, 0);
    const char *keys[] = {"image", "label"};
    struct tfex_feature f[2];
    char err[200];
    size_t failures = 0;
    for (size_t cut = 1; cut < ex.n; cut++) {
        struct wire_buf b = ex;
        b.n = cut;
        uint8_t *p = heap_copy(&b);
        err[0] = 0;
        if (tfex_find(p, cut, keys, 2, f, err, sizeof(err)) != 0) {
            ASSERT(strncmp(err, "byte ", 5) == 0);
            failures++;
        }
        free(p);
    }
    ASSERT_EQ_INT(failures, ex.n - 1); /* the outer length always runs past a cut */
    /* features as a varint */
    static const uint8_t bad[] = {0x08, 0x01};
    uint8_t *p = malloc(sizeof(bad));
    memcpy(p, bad, sizeof(bad));
    ASSERT_EQ_INT(tfex_find(p, sizeof(bad), keys, 2, f, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "byte 0: Example field 1 (features): wire type 0, expected 2");
    free(p);
    /* empty payload: nothing present */
    ASSERT_EQ_INT(tfex_find(NULL, 0, keys, 2, f, err, sizeof(err)), 0);
    ASSERT(!f[0].present && !f[1].present);
}

/* ---------------------------------------------------------------- IDX */

static size_t idx_head(uint8_t *b, int type, unsigned nd, const uint32_t *dims)
{
    b[0] = b[1] = 0;
    b[2] = (uint8_t)type;
    b[3] = (uint8_t)nd;
    for (unsigned i = 0; i < nd; i++) {
        b[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        b[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        b[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        b[7 + 4 * i] = (uint8_t)dims[i];
    }
    return 4 + 4 * nd;
}

TEST(idx_headers_and_names)
{
    uint8_t b[64];
    char err[200];
    struct idx_header h;
    size_t n = idx_head(b, IDX_UBYTE, 3, (uint32_t[]){60000, 28, 28});
    ASSERT_EQ_INT(idx_parse_header(b, n, &h, err, sizeof(err)), 0);
    ASSERT_EQ_INT(h.items, 60000);
    ASSERT_EQ_INT(h.item_values, 784);
    ASSERT_EQ_INT(h.header_bytes, 16);
    ASSERT_EQ_INT(idx_file_bytes(&h), 16 + 60000ull * 784);
    n = idx_head(b, IDX_UBYTE, 1, (uint32_t[]){10000});
    ASSERT_EQ_INT(idx_parse_header(b, n, &h, err, sizeof(err)), 0);
    ASSERT_EQ_INT(h.item_values, 1);
    ASSERT_EQ_INT(idx_file_bytes(&h), 8 + 10000);
    n = idx_head(b, IDX_FLOAT, 2, (uint32_t[]){3, 5});
    ASSERT_EQ_INT(idx_parse_header(b, n, &h, err, sizeof(err)), 0);
    ASSERT_EQ_INT(h.elem_size, 4);
    /* refusals */
    ASSERT_EQ_INT(idx_parse_header(b, 3, &h, err, sizeof(err)), -1);
    n = idx_head(b, 0x07, 1, (uint32_t[]){1});
    ASSERT_EQ_INT(idx_parse_header(b, n, &h, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "unknown value type 0x07");
    n = idx_head(b, IDX_UBYTE, 3, (uint32_t[]){10, 0, 28});
    ASSERT_EQ_INT(idx_parse_header(b, n, &h, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "dimension 1 is 0");
    n = idx_head(b, IDX_DOUBLE, 4, (uint32_t[]){0xFFFFFFFF, 0xFFFFFFFF, 2, 2});
    ASSERT_EQ_INT(idx_parse_header(b, n, &h, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "2^62");
    n = idx_head(b, IDX_UBYTE, 3, (uint32_t[]){1, 2, 3});
    ASSERT_EQ_INT(idx_parse_header(b, n - 1, &h, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "truncated IDX header: 15 of 16 bytes");
    b[0] = 1;
    ASSERT_EQ_INT(idx_parse_header(b, n, &h, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "not an IDX file");
    char out[64];
    ASSERT(idx_labels_name("train-images-idx3-ubyte", out, sizeof(out)));
    ASSERT_EQ_STR(out, "train-labels-idx1-ubyte");
    ASSERT(idx_labels_name("t10k-images-idx3-ubyte.gz", out, sizeof(out)));
    ASSERT_EQ_STR(out, "t10k-labels-idx1-ubyte.gz");
    ASSERT(idx_labels_name("x-images.idx3-ubyte", out, sizeof(out)));
    ASSERT_EQ_STR(out, "x-labels.idx1-ubyte");
    ASSERT(!idx_labels_name("train-labels-idx1-ubyte", out, sizeof(out)));
    ASSERT(!idx_labels_name("images", out, sizeof(out)));
    ASSERT(!idx_labels_name("train-images-idx3-ubyte", out, 10)); /* does not fit */
}

/* ---------------------------------------------------------------- npy */

/* A .npy v1.0 of `header` (padded with spaces and '\n' to 128 bytes in
 * all, as numpy aligns it) and `data`. */
static size_t npy_file(uint8_t *out, const char *header, const void *data, size_t n)
{
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    size_t h = 118;
    if (strlen(header) >= h)
        test_fail(__FILE__, __LINE__, "header too long for the test's file");
    out[8] = (uint8_t)h;
    out[9] = 0;
    memset(out + 10, ' ', h);
    memcpy(out + 10, header, strlen(header));
    out[10 + h - 1] = '\n';
    memcpy(out + 10 + h, data, n);
    return 10 + h + n;
}

static int npy_of(uint8_t *file, size_t len, struct npy_array *a, char *err, size_t errsz)
{
    uint8_t *p = malloc(len ? len : 1);
    if (len)
        memcpy(p, file, len);
    int rc = npy_parse(p, len, a, err, errsz);
    if (rc == 0) { /* keep the data valid for the caller: file is the same bytes */
        a->data = file + (a->data - p);
    }
    free(p);
    return rc;
}

TEST(npy_headers_dtypes_and_orders)
{
    uint8_t f[512];
    char err[200];
    struct npy_array a;
    float out[8];
    float f32[6] = {0, 1, 2.5f, -3, 255, 1e-3f};
    size_t n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f32, sizeof(f32));
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    ASSERT_EQ_INT(a.ndims, 2);
    ASSERT_EQ_INT(a.count, 6);
    npy_to_float(&a, out);
    ASSERT(memcmp(out, f32, sizeof(f32)) == 0);
    /* Fortran order: the same matrix stored column by column. */
    float colmajor[6] = {0, -3, 1, 255, 2.5f, 1e-3f};
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", colmajor, sizeof(colmajor));
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    npy_to_float(&a, out);
    ASSERT(memcmp(out, f32, sizeof(f32)) == 0);
    /* uint8 images, keys in another order, 1-D shape with its comma. */
    uint8_t u[4] = {0, 7, 128, 255};
    n = npy_file(f, "{'shape': (4,), 'fortran_order': False, 'descr': '|u1'}", u, 4);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    npy_to_float(&a, out);
    ASSERT(out[0] == 0 && out[1] == 7 && out[2] == 128 && out[3] == 255);
    /* big-endian int16, float64, float16, bool, int64 */
    uint8_t be16[4] = {0xFF, 0xFE, 0x01, 0x00}; /* -2, 256 */
    n = npy_file(f, "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", be16, 4);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    npy_to_float(&a, out);
    ASSERT(out[0] == -2 && out[1] == 256);
    double f64[2] = {0.5, -1e10};
    n = npy_file(f, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", f64, sizeof(f64));
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    npy_to_float(&a, out);
    ASSERT(out[0] == 0.5f && out[1] == -1e10f);
    uint16_t h16[4] = {0x3C00, 0xC000, 0x0001, 0x7C00}; /* 1, -2, 2^-24, inf */
    n = npy_file(f, "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", h16, sizeof(h16));
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    npy_to_float(&a, out);
    ASSERT(out[0] == 1 && out[1] == -2 && out[2] == ldexpf(1, -24) && isinf(out[3]));
    int64_t i64[2] = {-5, (int64_t)1 << 40};
    n = npy_file(f, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", i64, sizeof(i64));
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    npy_to_float(&a, out);
    ASSERT(out[0] == -5 && out[1] == ldexpf(1, 40));
    uint8_t bools[2] = {0, 1};
    n = npy_file(f, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", bools, 2);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    npy_to_float(&a, out);
    ASSERT(out[0] == 0 && out[1] == 1);
    /* a scalar */
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f32 + 2, 4);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), 0);
    ASSERT_EQ_INT(a.ndims, 0);
    ASSERT_EQ_INT(a.count, 1);
}

TEST(npy_refusals_name_the_problem)
{
    uint8_t f[512];
    char err[200];
    struct npy_array a;
    float d[4] = {0};
    size_t n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", d, sizeof(d));
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "16 bytes for shape of 6 values of 4 bytes (24 expected)");
    n = npy_file(f, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", d, 8);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "dtype '|O' is not supported");
    n = npy_file(f, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", d, 8);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), -1);
    n = npy_file(f, "{'descr': '<f4', 'shape': (1,), }", d, 4);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "missing 'fortran_order'");
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (1), }", d, 4);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "'shape' is not a tuple");
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", d, 4);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "not a dict");
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", d, 4);
    ASSERT_EQ_INT(npy_of(f, n, &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "unexpected key 'x'");
    uint8_t zip[16] = "PK\x03\x04 not npy";
    ASSERT_EQ_INT(npy_of(zip, sizeof(zip), &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "not a .npy file");
    /* every truncation of a valid file fails */
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", d, sizeof(d));
    for (size_t cut = 0; cut < n; cut++)
        ASSERT_EQ_INT(npy_of(f, cut, &a, err, sizeof(err)), -1);
    /* version 2.0: 4-byte header length */
    uint8_t v2[512];
    memcpy(v2, "\x93NUMPY\x02\x00", 8);
    const char *hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
    size_t hl = strlen(hdr);
    v2[8] = (uint8_t)hl;
    v2[9] = v2[10] = v2[11] = 0;
    memcpy(v2 + 12, hdr, hl);
    memcpy(v2 + 12 + hl, d, 4);
    ASSERT_EQ_INT(npy_of(v2, 12 + hl + 4, &a, err, sizeof(err)), 0);
    v2[6] = 4;
    ASSERT_EQ_INT(npy_of(v2, 12 + hl + 4, &a, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "version 4.0 is not supported");
}

/* ------------------------------------------------------------- pixels */

TEST(cifar_records_and_planar_pixels)
{
    ASSERT(cifar_bin_candidate("data_batch_1.bin", 30730000));
    ASSERT(cifar_bin_candidate("x.bin", 3073));
    ASSERT(!cifar_bin_candidate("x.bin", 3074));
    ASSERT(!cifar_bin_candidate("x.bin", 0));
    ASSERT(!cifar_bin_candidate("data_batch_1", 30730000));
    ASSERT(!cifar_bin_candidate("batches.meta.txt", 3073));
    uint8_t rec[CIFAR_RECORD], hwc[CIFAR_PIXELS], label;
    rec[0] = 9;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 1024; i++)
            rec[1 + c * 1024 + i] = (uint8_t)(c * 80 + i % 64);
    cifar_record_split(rec, &label, hwc);
    ASSERT_EQ_INT(label, 9);
    /* pixel (row 2, column 5) = index 69: R, G, B */
    ASSERT_EQ_INT(hwc[69 * 3 + 0], 0 * 80 + 69 % 64);
    ASSERT_EQ_INT(hwc[69 * 3 + 1], 1 * 80 + 69 % 64);
    ASSERT_EQ_INT(hwc[69 * 3 + 2], 2 * 80 + 69 % 64);
    uint8_t chw[2 * 2 * 3] = {1, 2, 3, 4, 10, 20, 30, 40, 100, 101, 102, 103}, out[12];
    pixels_chw_to_hwc(chw, 2, 2, 3, out);
    static const uint8_t want[12] = {1, 10, 100, 2, 20, 101, 3, 30, 102, 4, 40, 103};
    ASSERT(memcmp(out, want, 12) == 0);
}
