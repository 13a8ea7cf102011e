/*
 * test_manifest.c: the augmented manifest's record pair
 * (algorithms/object_detection/manifest.c) on hand-made records: what a
 * record's first bytes say it is, and a pair to pixels and objects or to a
 * message saying which record is wrong.  Reading pairs from a channel is
 * test_dataset.c's.
 */
#include <string.h>

#include "codec/image_encode.h"
#include "object_detection/manifest.h"
#include "support/harness.h"

TEST(od_manifest_record_kinds)
{
    static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10};
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0};
    static const uint8_t im2rec[24] = {2, 0, 0, 0};
    ASSERT_EQ_INT(od_record_kind(jpeg, sizeof(jpeg)), OD_RECORD_IMAGE);
    ASSERT_EQ_INT(od_record_kind(png, sizeof(png)), OD_RECORD_IMAGE);
    ASSERT_EQ_INT(od_record_kind(png, 7), OD_RECORD_OTHER);
    ASSERT_EQ_INT(od_record_kind((const uint8_t *)" \n{\"a\": 1}", 10), OD_RECORD_JSON);
    ASSERT_EQ_INT(od_record_kind(im2rec, sizeof(im2rec)), OD_RECORD_OTHER);
    ASSERT_EQ_INT(od_record_kind(jpeg, 0), OD_RECORD_OTHER);
}

TEST(od_manifest_pair_to_sample)
{
    uint8_t rgb[8 * 6 * 3];
    for (size_t i = 0; i < sizeof(rgb); i++)
        rgb[i] = (uint8_t)(i * 7);
    struct img_u8 im = {rgb, 8, 6, 3};
    uint8_t *png;
    size_t n;
    char err[512];
    ASSERT_EQ_INT(img_encode_png(&im, &png, &n, err, sizeof(err)), 0);
    const char *js = "{\"image_size\": [{\"width\": 8, \"height\": 6, \"depth\": 3}], \"annotations\": "
                     "[{\"class_id\": 1, \"left\": 2, \"top\": 3, \"width\": 4, \"height\": 3}]}";
    struct img_u8 px;
    struct od_annotation ann;
    size_t w, h;
    ASSERT_EQ_INT(od_manifest_pair(png, n, (const uint8_t *)js, strlen(js), 2, 1000, 8, &px, &ann, &w, &h, err,
                                   sizeof(err)),
                  0);
    ASSERT(w == 8 && h == 6 && px.w == 8 && px.h == 8 && px.c == 3);
    ASSERT_EQ_INT(ann.n_obj, 1);
    ASSERT_EQ_INT(ann.obj[0].cls, 1);
    ASSERT_NEAR(ann.obj[0].box.xmin, 0.25, 1e-6);
    ASSERT_NEAR(ann.obj[0].box.ymin, 0.5, 1e-6);
    ASSERT_NEAR(ann.obj[0].box.xmax, 0.75, 1e-6);
    ASSERT_NEAR(ann.obj[0].box.ymax, 1.0, 1e-6);
    img_free(&px);
    od_annotation_free(&ann);
    /* class 1 with num_classes 1; the order swapped; too many pixels */
    ASSERT(od_manifest_pair(png, n, (const uint8_t *)js, strlen(js), 1, 1000, 8, &px, &ann, &w, &h, err,
                            sizeof(err)) != 0);
    ASSERT_CONTAINS(err, "annotation 0");
    ASSERT(px.px == NULL && ann.obj == NULL);
    ASSERT(od_manifest_pair((const uint8_t *)js, strlen(js), png, n, 2, 1000, 8, &px, &ann, &w, &h, err,
                            sizeof(err)) != 0);
    ASSERT_CONTAINS(err, "AttributeNames must list the image attribute first");
    ASSERT(od_manifest_pair(png, n, (const uint8_t *)js, strlen(js), 2, 40, 8, &px, &ann, &w, &h, err,
                            sizeof(err)) != 0);
    ASSERT_CONTAINS(err, "image: ");
    ASSERT(px.px == NULL && ann.obj == NULL);
    free(png);
}
