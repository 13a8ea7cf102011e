/*
 * test_data.c: the cifar-cnn training data (algorithms/cifar_cnn/
 * example.c, pass.c, batch.c) on files written here in the exact formats:
 * tf.train.Example decoding (CIFAR's planar 3,072 bytes, explicit
 * height/width/depth, squares by size), passes over TFRecord, CIFAR-10
 * binary and gzip'd IDX sources, every mistake naming the file and the
 * byte offset, the bounded shuffle buffer, scaling and augmentation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "support/imagegen.h"
#include "support/support.h"
#include "cifar_cnn/data.h"
#include "core/ctx.h"

/* ------------------------------------------------------------ examples */

TEST(cifar_example_cifar_layout_becomes_hwc)
{
    uint8_t chw[3072], *hwc = NULL;
    size_t cap = 0;
    imagegen_pixels(chw, sizeof(chw), 1);
    struct buf ex = {0};
    buf_put_example(&ex, chw, sizeof(chw), 6, NULL);
    struct cc_shape s;
    int64_t label = -1;
    char err[256];
    ASSERT_EQ_INT(cc_decode_example(ex.p, ex.n, &hwc, &cap, &s, &label, err, sizeof(err)), 0);
    ASSERT(s.h == 32 && s.w == 32 && s.c == 3 && label == 6);
    /* pixel (y, x) channel k of HWC is byte k*1024 + y*32 + x of CHW */
    for (int y = 0; y < 32; y += 7)
        for (int x = 0; x < 32; x += 5)
            for (int k = 0; k < 3; k++)
                ASSERT_EQ_INT(hwc[(y * 32 + x) * 3 + k], chw[k * 1024 + y * 32 + x]);
    free(ex.p);
    free(hwc);
}

TEST(cifar_example_shapes_from_features_or_size)
{
    uint8_t px[784 * 3], *hwc = NULL;
    size_t cap = 0;
    imagegen_pixels(px, sizeof(px), 2);
    struct cc_shape s;
    int64_t label;
    char err[256];
    struct buf ex = {0};
    /* 28x28 grey by size */
    buf_put_example(&ex, px, 784, 3, NULL);
    ASSERT_EQ_INT(cc_decode_example(ex.p, ex.n, &hwc, &cap, &s, &label, err, sizeof(err)), 0);
    ASSERT(s.h == 28 && s.w == 28 && s.c == 1 && label == 3 && memcmp(hwc, px, 784) == 0);
    /* height/width/depth: taken as HWC, not converted */
    ex.n = 0;
    buf_put_example(&ex, px, 14 * 28 * 3, 1, (const int64_t[]){14, 28, 3});
    ASSERT_EQ_INT(cc_decode_example(ex.p, ex.n, &hwc, &cap, &s, &label, err, sizeof(err)), 0);
    ASSERT(s.h == 14 && s.w == 28 && s.c == 3 && memcmp(hwc, px, 14 * 28 * 3) == 0);
    /* a square of 3 planar channels by size: 2x2x3 */
    ex.n = 0;
    const uint8_t planar[12] = {1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24};
    buf_put_example(&ex, planar, 12, 0, NULL);
    ASSERT_EQ_INT(cc_decode_example(ex.p, ex.n, &hwc, &cap, &s, &label, err, sizeof(err)), 0);
    ASSERT(s.h == 2 && s.w == 2 && s.c == 3 && hwc[0] == 1 && hwc[1] == 11 && hwc[2] == 21 && hwc[11] == 24);
    /* neither square nor declared */
    ex.n = 0;
    buf_put_example(&ex, px, 10, 0, NULL);
    ASSERT_EQ_INT(cc_decode_example(ex.p, ex.n, &hwc, &cap, &s, &label, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "image of 10 bytes is not a square");
    ASSERT_CONTAINS(err, "'height', 'width' and 'depth'");
    /* declared shape that does not match the bytes */
    ex.n = 0;
    buf_put_example(&ex, px, 100, 0, (const int64_t[]){10, 10, 3});
    ASSERT_EQ_INT(cc_decode_example(ex.p, ex.n, &hwc, &cap, &s, &label, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "image of 100 bytes, but height x width x depth = 10x10x3 = 300 bytes");
    free(ex.p);
    free(hwc);
}

TEST(cifar_example_missing_or_mistyped_features)
{
    uint8_t *hwc = NULL;
    size_t cap = 0;
    struct cc_shape s;
    int64_t label;
    char err[256];
    /* an Example whose features are "picture" and "label" */
    struct buf ex = {0};
    static const uint8_t no_image[] = {0x0A, 0x0E, 0x0A, 0x0C, 0x0A, 0x05, 'l', 'a', 'b', 'e', 'l',
                                       0x12, 0x03, 0x1A, 0x01, 0x00};
    (void)ex;
    ASSERT_EQ_INT(cc_decode_example(no_image, sizeof(no_image), &hwc, &cap, &s, &label, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "no 'image' feature");
    static const uint8_t garbage[] = {0xFF, 0xFF, 0xFF};
    ASSERT_EQ_INT(cc_decode_example(garbage, sizeof(garbage), &hwc, &cap, &s, &label, err, sizeof(err)), -1);
    ASSERT(err[0] != 0);
    free(hwc);
}

/* -------------------------------------------------------------- passes */

struct files {
    char *dir;
    struct cc_source src[4];
    struct cc_plan plan;
};

static void add_file(struct files *f, int format, const char *name, const struct buf *b)
{
    write_file(f->dir, name, b->p, b->n);
    f->src[f->plan.n_src++] = (struct cc_source){.format = format, .name = name, .path = path_join(f->dir, name)};
}

static void plan_init(struct files *f)
{
    memset(f, 0, sizeof(*f));
    f->dir = tmpdir_new();
    f->plan.channel = "train";
    f->plan.src = f->src;
}

/* Every example of the plan: count, labels in order into labels[]; the
 * status at the end, its message in err. */
static optml_status read_all(const struct cc_plan *plan, int64_t max_classes, int64_t *labels, size_t *n,
                             struct cc_shape *shape, char *err, size_t errsz)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct cc_pass *p = NULL;
    ASSERT_EQ_INT(cc_pass_open(&ctx, plan, NULL, max_classes, &p), OPTML_OK);
    struct cc_example ex;
    optml_status st;
    *n = 0;
    while ((st = cc_pass_next(p, &ex)) == OPTML_OK)
        labels[(*n)++] = ex.label;
    *shape = cc_pass_shape(p);
    cc_pass_close(p);
    snprintf(err, errsz, "%s", optml_error_message(&ctx));
    return st;
}

TEST(cifar_pass_reads_tfrecord_cifar_binary_and_idx_gzip)
{
    struct files f;
    plan_init(&f);
    uint8_t px[3072];
    struct buf tf = {0}, bin = {0}, img = {0}, lab = {0}, gz = {0};
    for (int i = 0; i < 3; i++) {
        imagegen_pixels(px, sizeof(px), (uint32_t)i);
        buf_put_example_record(&tf, px, sizeof(px), i, NULL);
        buf_put_cifar_record(&bin, (uint8_t)(9 - i), px);
    }
    add_file(&f, CC_FMT_TFRECORD, "train.tfrecords", &tf);
    add_file(&f, CC_FMT_CIFAR, "data_batch_1.bin", &bin);
    int64_t labels[16];
    size_t n;
    struct cc_shape s;
    char err[512];
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_END);
    ASSERT_EQ_INT((int)n, 6);
    ASSERT(labels[0] == 0 && labels[2] == 2 && labels[3] == 9 && labels[5] == 7);
    ASSERT(s.h == 32 && s.w == 32 && s.c == 3);

    /* IDX (gzip'd images, plain labels), 3x2x2 grey images */
    struct files g;
    plan_init(&g);
    uint8_t values[12];
    imagegen_pixels(values, sizeof(values), 5);
    buf_put_idx(&img, 3, (const uint32_t[]){3, 2, 2}, values);
    buf_put_gzip(&gz, img.p, img.n);
    buf_put_idx(&lab, 1, (const uint32_t[]){3}, (const uint8_t[]){4, 0, 2});
    write_file(g.dir, "t-labels-idx1-ubyte", lab.p, lab.n);
    write_file(g.dir, "t-images-idx3-ubyte.gz", gz.p, gz.n);
    g.src[0] = (struct cc_source){.format = CC_FMT_IDX, .name = "t-images-idx3-ubyte.gz",
                                  .path = path_join(g.dir, "t-images-idx3-ubyte.gz"),
                                  .labels_name = "t-labels-idx1-ubyte",
                                  .labels_path = path_join(g.dir, "t-labels-idx1-ubyte")};
    g.plan.n_src = 1;
    ASSERT_EQ_INT(read_all(&g.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_END);
    ASSERT_EQ_INT((int)n, 3);
    ASSERT(labels[0] == 4 && labels[1] == 0 && labels[2] == 2);
    ASSERT(s.h == 2 && s.w == 2 && s.c == 1);

    /* the same IDX pair after the CIFAR sources: another shape, refused */
    f.src[f.plan.n_src++] = g.src[0];
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "image of 2x2x1 (IDX); the channel's images are 32x32x3");
    ASSERT_CONTAINS(err, "'t-images-idx3-ubyte.gz' of channel 'train', offset 16");
    free(tf.p), free(bin.p), free(img.p), free(lab.p), free(gz.p);
}

TEST(cifar_pass_mistakes_name_file_and_offset)
{
    uint8_t px[3072];
    imagegen_pixels(px, sizeof(px), 9);
    int64_t labels[16];
    size_t n;
    struct cc_shape s;
    char err[512];

    /* a corrupted byte in the second TFRecord record's payload */
    struct files f;
    plan_init(&f);
    struct buf tf = {0};
    buf_put_example_record(&tf, px, sizeof(px), 1, NULL);
    size_t second = tf.n;
    buf_put_example_record(&tf, px, sizeof(px), 2, NULL);
    tf.p[second + 12 + 100] ^= 0x40;
    add_file(&f, CC_FMT_TFRECORD, "train.tfrecords", &tf);
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_EQ_INT((int)n, 1);
    ASSERT_CONTAINS(err, "TFRecord payload CRC mismatch");
    ASSERT_CONTAINS(err, strf("offset %zu", second));

    /* a CIFAR label byte of 200 in the third record */
    plan_init(&f);
    struct buf bin = {0};
    for (int i = 0; i < 3; i++)
        buf_put_cifar_record(&bin, i == 2 ? 200 : 1, px);
    add_file(&f, CC_FMT_CIFAR, "data_batch_2.bin", &bin);
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "CIFAR-10 label byte 200: labels are 0-9 (file 'data_batch_2.bin' of channel 'train', "
                         "offset 6146");

    /* a label past num_classes in a TFRecord */
    plan_init(&f);
    tf.n = 0;
    buf_put_example_record(&tf, px, sizeof(px), 3, NULL);
    buf_put_example_record(&tf, px, sizeof(px), 12, NULL);
    add_file(&f, CC_FMT_TFRECORD, "t.tfrecords", &tf);
    ASSERT_EQ_INT(read_all(&f.plan, 10, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "label 12 is out of range: labels are 0 to 9");
    ASSERT_CONTAINS(err, "offset 3126)"); /* B.6: a CIFAR record is 3,126 bytes on disk */

    /* an image of the wrong size among 3,072-byte ones */
    plan_init(&f);
    tf.n = 0;
    buf_put_example_record(&tf, px, sizeof(px), 3, NULL);
    buf_put_example_record(&tf, px, 3000, 3, NULL);
    add_file(&f, CC_FMT_TFRECORD, "t.tfrecords", &tf);
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "record 2: image of 3000 bytes is not a square");
    ASSERT_CONTAINS(err, "offset 3126");

    /* a truncated CIFAR file */
    plan_init(&f);
    bin.n = 3073 + 100;
    add_file(&f, CC_FMT_CIFAR, "short.bin", &bin);
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "truncated CIFAR-10 record: 100 of 3,073 bytes (file 'short.bin' of channel 'train', "
                         "offset 3073");
    free(tf.p);
    free(bin.p);
}

TEST(cifar_pass_idx_counts_and_truncation)
{
    struct files f;
    plan_init(&f);
    uint8_t values[4 * 9];
    imagegen_pixels(values, sizeof(values), 3);
    struct buf img = {0}, lab = {0};
    buf_put_idx(&img, 3, (const uint32_t[]){4, 3, 3}, values);
    buf_put_idx(&lab, 1, (const uint32_t[]){3}, (const uint8_t[]){1, 2, 3});
    write_file(f.dir, "a-images-idx3-ubyte", img.p, img.n);
    write_file(f.dir, "a-labels-idx1-ubyte", lab.p, lab.n);
    f.src[0] = (struct cc_source){.format = CC_FMT_IDX, .name = "a-images-idx3-ubyte",
                                  .path = path_join(f.dir, "a-images-idx3-ubyte"),
                                  .labels_name = "a-labels-idx1-ubyte",
                                  .labels_path = path_join(f.dir, "a-labels-idx1-ubyte")};
    f.plan.n_src = 1;
    int64_t labels[16];
    size_t n;
    struct cc_shape s;
    char err[512];
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "IDX count mismatch: 3 labels for the 4 images of 'a-images-idx3-ubyte' (file "
                         "'a-labels-idx1-ubyte' of channel 'train', offset 4");

    /* the images file cut inside its third image */
    lab.n = 0;
    buf_put_idx(&lab, 1, (const uint32_t[]){4}, (const uint8_t[]){1, 2, 3, 4});
    write_file(f.dir, "a-labels-idx1-ubyte", lab.p, lab.n);
    write_file(f.dir, "a-images-idx3-ubyte", img.p, 16 + 9 * 2 + 4);
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_EQ_INT((int)n, 2);
    ASSERT_CONTAINS(err, "truncated IDX images file: it ends inside image 3 of the 4 its header declares (file "
                         "'a-images-idx3-ubyte' of channel 'train', offset 34");

    /* a byte more than declared */
    struct buf more = {0};
    buf_put(&more, img.p, img.n);
    buf_put(&more, "x", 1);
    write_file(f.dir, "a-images-idx3-ubyte", more.p, more.n);
    ASSERT_EQ_INT(read_all(&f.plan, 0, labels, &n, &s, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "data after the 4 images the IDX header declares");
    ASSERT_CONTAINS(err, "offset 52");
    free(img.p), free(lab.p), free(more.p);
}

/* ------------------------------------------------------------- batches */

/* A plan of one TFRecord file of n 2x2x3 images whose label is their index
 * and whose every byte is the index too. */
static void small_images(struct files *f, int n)
{
    plan_init(f);
    struct buf tf = {0};
    for (int i = 0; i < n; i++) {
        uint8_t px[12];
        memset(px, i, sizeof(px));
        buf_put_example_record(&tf, px, sizeof(px), i, (const int64_t[]){2, 2, 3});
    }
    add_file(f, CC_FMT_TFRECORD, "s.tfrecords", &tf);
    free(tf.p);
}

/* The labels of one pass through a batcher, batches of 3. */
static void one_pass(const struct cc_plan *plan, struct cc_batch_opts *o, int32_t *labels, size_t *n, float *first)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct cc_pass *p = NULL;
    struct cc_batcher *b = NULL;
    ASSERT_EQ_INT(cc_pass_open(&ctx, plan, NULL, 0, &p), OPTML_OK);
    ASSERT_EQ_INT(cc_batcher_open(&ctx, p, o, &b), OPTML_OK);
    float x[3 * 12];
    int32_t y[3];
    size_t got;
    *n = 0;
    for (int guard = 0; guard < 100; guard++) {
        ASSERT_EQ_INT(cc_batcher_next(b, 3, x, y, &got), OPTML_OK);
        if (got == 0)
            break;
        if (*n == 0 && first)
            memcpy(first, x, 12 * sizeof(float));
        memcpy(labels + *n, y, got * sizeof(int32_t));
        *n += got;
    }
    cc_batcher_close(b);
    cc_pass_close(p);
}

TEST(cifar_batches_shuffle_within_a_bounded_buffer)
{
    struct files f;
    small_images(&f, 20);
    int32_t a[32], b[32], c[32];
    size_t na, nb, nc;
    struct cc_batch_opts o = {.capacity = 4, .shuffle = 1, .augment = 0, .arch = CC_ARCH_KERAS, .seed = 7};
    float first[12];
    one_pass(&f.plan, &o, a, &na, first);
    one_pass(&f.plan, &o, b, &nb, NULL);
    o.seed = 8;
    one_pass(&f.plan, &o, c, &nc, NULL);
    ASSERT(na == 20 && nb == 20 && nc == 20);
    int seen[20] = {0}, moved = 0;
    for (size_t i = 0; i < 20; i++) {
        seen[a[i]]++;
        moved += a[i] != (int32_t)i;
        /* a buffer of 4: an image comes out at most... never before 3 places earlier than read */
        ASSERT(a[i] <= (int32_t)i + 3);
    }
    for (int i = 0; i < 20; i++)
        ASSERT_EQ_INT(seen[i], 1);
    ASSERT(moved > 0);
    ASSERT(memcmp(a, b, sizeof(int32_t) * 20) == 0); /* same seed, same order */
    ASSERT(memcmp(a, c, sizeof(int32_t) * 20) != 0); /* another seed, another order */
    /* keras-cifar10 scales by 1/255 */
    ASSERT_NEAR(first[0], (float)a[0] / 255.0f, 1e-6);

    o = (struct cc_batch_opts){.capacity = 4, .shuffle = 0, .augment = 0, .arch = CC_ARCH_SAGEMAKER, .seed = 7};
    one_pass(&f.plan, &o, a, &na, first);
    ASSERT_EQ_INT((int)na, 20);
    for (int i = 0; i < 20; i++)
        ASSERT_EQ_INT(a[i], i); /* in order */
    ASSERT_NEAR(first[0], 0.0f, 0); /* sagemaker-cifar10: raw values */
}

TEST(cifar_augmentation_pad_crop_flip_and_shift)
{
    /* a 4x4 grey image: value = 10 * row + column + 1 */
    uint8_t img[16];
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            img[y * 4 + x] = (uint8_t)(10 * y + x + 1);
    struct cc_shape s = {4, 4, 1};
    float out[16], again[16];
    int zeros_seen = 0, flipped_seen = 0, plain_seen = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        uint64_t r = seed, r2 = seed;
        cc_augment(img, &s, CC_ARCH_SAGEMAKER, &r, 1.0f, out);
        cc_augment(img, &s, CC_ARCH_SAGEMAKER, &r2, 1.0f, again);
        ASSERT(memcmp(out, again, sizeof(out)) == 0); /* seeded */
        /* every output pixel is 0 (padding) or an input pixel; rows stay rows:
         * along a row the columns step by +1 or -1 (flipped) */
        for (int i = 0; i < 16; i++) {
            int v = (int)out[i];
            ASSERT(v == 0 || (v >= 1 && v <= 34 && v % 10 >= 1 && v % 10 <= 4));
            zeros_seen += v == 0;
        }
        for (int y = 0; y < 4; y++)
            for (int x = 0; x + 1 < 4; x++) {
                float a = out[y * 4 + x], b = out[y * 4 + x + 1];
                if (a != 0 && b != 0) {
                    ASSERT(b - a == 1 || b - a == -1);
                    flipped_seen += b - a == -1;
                    plain_seen += b - a == 1;
                }
            }
    }
    ASSERT(zeros_seen > 0 && flipped_seen > 0 && plain_seen > 0);

    /* keras: shifts of at most 10 % (0.4 pixel here) with edges repeated,
     * values within the image's range, scaled */
    for (uint64_t seed = 1; seed <= 50; seed++) {
        uint64_t r = seed;
        cc_augment(img, &s, CC_ARCH_KERAS, &r, 0.5f, out);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                float v = out[y * 4 + x] / 0.5f;
                ASSERT(v >= 1.0f - 1e-4f && v <= 34.0f + 1e-4f);
                /* the row is within 0.4 of y: value's tens digit near y */
                ASSERT(fabsf(v / 10.0f - (float)y) <= 0.4f + 0.4f);
            }
    }
}
