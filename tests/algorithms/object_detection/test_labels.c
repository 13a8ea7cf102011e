/*
 * test_labels.c: algorithms/object_detection/labels.c: im2rec packed
 * detection labels to objects (extra header, wider objects, -1 padding),
 * and each inconsistency refused with the message users know.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object_detection/labels.h"
#include "support/harness.h"

/* A parsed record over `labels` (kept in `buf`). */
static struct im2rec_record rec(uint8_t *buf, const float *labels, uint32_t n)
{
    uint64_t id = 17, zero = 0;
    float l0 = 0;
    memcpy(buf, &n, 4);
    memcpy(buf + 4, &l0, 4);
    memcpy(buf + 8, &id, 8);
    memcpy(buf + 16, &zero, 8);
    memcpy(buf + 24, labels, 4 * n);
    struct im2rec_record r;
    char err[200];
    ASSERT_EQ_INT(im2rec_parse(buf, 24 + 4 * (size_t)n, &r, err, sizeof(err)), 0);
    return r;
}

TEST(od_labels_decode_objects)
{
    uint8_t buf[512];
    const float two[12] = {2, 5, 1, 0.1f, 0.2f, 0.5f, 0.6f, 0, 0.3f, 0.3f, 0.9f, 1.0f};
    struct im2rec_record r = rec(buf, two, 12);
    struct od_labels l;
    char err[300];
    ASSERT_EQ_INT(od_labels_decode(&r, 350, 2, &l, err, sizeof(err)), 0);
    ASSERT_EQ_INT(l.n, 2);
    ASSERT_EQ_INT(l.obj[0].cls, 1);
    ASSERT_NEAR(l.obj[0].box.xmin, 0.1, 1e-7);
    ASSERT_NEAR(l.obj[0].box.ymax, 0.6, 1e-7);
    ASSERT_EQ_INT(l.obj[1].cls, 0);
    ASSERT_NEAR(l.obj[1].box.ymax, 1.0, 0);
    od_labels_free(&l);
    /* header width 4 (two extra values), objects of 6 (a difficult flag) */
    const float wide[10] = {4, 6, 99, 98, 2, 0.0f, 0.0f, 0.25f, 0.5f, 1};
    r = rec(buf, wide, 10);
    ASSERT_EQ_INT(od_labels_decode(&r, 0, 0, &l, err, sizeof(err)), 0);
    ASSERT_EQ_INT(l.n, 1);
    ASSERT_EQ_INT(l.obj[0].cls, 2);
    ASSERT_NEAR(l.obj[0].box.xmax, 0.25, 0);
    od_labels_free(&l);
    /* -1 padding skipped; no objects at all is an image of background */
    const float pad[12] = {2, 5, 0, 0.1f, 0.1f, 0.2f, 0.2f, -1, -1, -1, -1, -1};
    r = rec(buf, pad, 12);
    ASSERT_EQ_INT(od_labels_decode(&r, 0, 0, &l, err, sizeof(err)), 0);
    ASSERT_EQ_INT(l.n, 1);
    od_labels_free(&l);
    const float none[2] = {2, 5};
    r = rec(buf, none, 2);
    ASSERT_EQ_INT(od_labels_decode(&r, 0, 0, &l, err, sizeof(err)), 0);
    ASSERT_EQ_INT(l.n, 0);
    od_labels_free(&l);
    /* corners a hair outside [0, 1] are clipped */
    const float hair[7] = {2, 5, 0, -0.0005f, 0, 1.0005f, 1};
    r = rec(buf, hair, 7);
    ASSERT_EQ_INT(od_labels_decode(&r, 0, 0, &l, err, sizeof(err)), 0);
    ASSERT_NEAR(l.obj[0].box.xmin, 0.0, 0);
    ASSERT_NEAR(l.obj[0].box.xmax, 1.0, 0);
    od_labels_free(&l);
}

static void refused(const float *labels, uint32_t n, size_t label_width, int num_classes, const char *msg)
{
    uint8_t buf[512];
    struct im2rec_record r = rec(buf, labels, n);
    struct od_labels l;
    char err[300] = "";
    ASSERT_EQ_INT(od_labels_decode(&r, label_width, num_classes, &l, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, msg);
    ASSERT_CONTAINS(err, "record id 17");
    ASSERT(l.obj == NULL && l.n == 0);
}

TEST(od_labels_refused_with_messages)
{
    const float two[12] = {2, 5, 1, 0.1f, 0.2f, 0.5f, 0.6f, 0, 0.3f, 0.3f, 0.9f, 1.0f};
    refused(two, 0, 0, 0, "no label array");
    refused(two, 11, 0, 0, "Not enough label packed in img_list or rec file.");
    refused(two, 1, 0, 0, "Not enough label packed");
    refused(two, 12, 10, 0, "Invalid parameter value 'label_width' (10): record id 17 packs 12 labels");
    refused(two, 12, 0, 1, "object 0: class 1 is not an integer in [0, 1)");
    const float bad_a[7] = {1.5f, 5, 0, 0.1f, 0.1f, 0.2f, 0.2f};
    refused(bad_a, 7, 0, 0, "header width 1.5");
    const float big_a[7] = {9, 5, 0, 0.1f, 0.1f, 0.2f, 0.2f};
    refused(big_a, 7, 0, 0, "Not enough label packed");
    const float small_b[7] = {2, 4, 0, 0.1f, 0.1f, 0.2f};
    refused(small_b, 6, 0, 0, "object width 4");
    const float out[7] = {2, 5, 0, 0.1f, 0.1f, 1.2f, 0.2f};
    refused(out, 7, 0, 0, "outside the image");
    const float pixels[7] = {2, 5, 0, 10, 20, 110, 220};
    refused(pixels, 7, 0, 0, "fractions of its width and height");
    const float empty[7] = {2, 5, 0, 0.3f, 0.1f, 0.3f, 0.2f};
    refused(empty, 7, 0, 0, "empty box");
    const float nan_cls[7] = {2, 5, 0.5f, 0.1f, 0.1f, 0.2f, 0.2f};
    refused(nan_cls, 7, 0, 0, "class 0.5");
}
