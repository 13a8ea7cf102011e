/*
 * test_annotation.c: algorithms/object_detection/annotation.c: the D.2
 * example file to normalised boxes and category names; each mistake refused
 * with the file's name.
 */
#include <string.h>

#include "object_detection/annotation.h"
#include "support/harness.h"

static const char example[] =
    "{\"file\": \"sample_image/sample_image1.jpg\",\n"
    " \"image_size\": [{\"width\": 500, \"height\": 400, \"depth\": 3}],\n"
    " \"annotations\": [{\"class_id\": 0, \"left\": 111, \"top\": 134, \"width\": 61, \"height\": 128},\n"
    "                 {\"class_id\": 1, \"left\": 101, \"top\": 185, \"width\": 42, \"height\": 130}],\n"
    " \"categories\": [{\"class_id\": 0, \"name\": \"dog\"}, {\"class_id\": 1, \"name\": \"cat\"}]}";

TEST(od_annotation_example)
{
    struct od_annotation a;
    char err[300];
    /* not NUL-terminated: the length bounds it */
    ASSERT_EQ_INT(od_annotation_parse(example, strlen(example), "a.json", 2, &a, err, sizeof(err)), 0);
    ASSERT_EQ_STR(a.file, "sample_image/sample_image1.jpg");
    ASSERT_EQ_INT(a.width, 500);
    ASSERT_EQ_INT(a.height, 400);
    ASSERT_EQ_INT(a.depth, 3);
    ASSERT_EQ_INT(a.n_obj, 2);
    ASSERT_EQ_INT(a.obj[0].cls, 0);
    ASSERT_NEAR(a.obj[0].box.xmin, 111.0 / 500, 1e-7);
    ASSERT_NEAR(a.obj[0].box.ymin, 134.0 / 400, 1e-7);
    ASSERT_NEAR(a.obj[0].box.xmax, 172.0 / 500, 1e-7);
    ASSERT_NEAR(a.obj[0].box.ymax, 262.0 / 400, 1e-7);
    ASSERT_EQ_INT(a.obj[1].cls, 1);
    ASSERT_NEAR(a.obj[1].box.ymax, 315.0 / 400, 1e-7);
    ASSERT_EQ_INT(a.n_cat, 2);
    ASSERT_EQ_STR(a.cat[1].name, "cat");
    od_annotation_free(&a);
    /* no categories, no depth, no objects, whole numbers as reals */
    const char *bare = "{\"file\": \"x.png\", \"image_size\": [{\"width\": 10.0, \"height\": 8}], "
                       "\"annotations\": [], \"extra\": 1}";
    ASSERT_EQ_INT(od_annotation_parse(bare, strlen(bare), "b.json", 0, &a, err, sizeof(err)), 0);
    ASSERT_EQ_INT(a.n_obj, 0);
    ASSERT_EQ_INT(a.n_cat, 0);
    ASSERT_EQ_INT(a.width, 10);
    od_annotation_free(&a);
}

static void refused(const char *json, int num_classes, const char *msg)
{
    struct od_annotation a;
    char err[300] = "";
    ASSERT_EQ_INT(od_annotation_parse(json, strlen(json), "train_annotation/img7.json", num_classes, &a, err,
                                      sizeof(err)), -1);
    ASSERT_CONTAINS(err, "train_annotation/img7.json: ");
    ASSERT_CONTAINS(err, msg);
    ASSERT(a.file == NULL && a.obj == NULL && a.cat == NULL);
}

#define HEAD "{\"file\": \"img7.jpg\", \"image_size\": [{\"width\": 500, \"height\": 400, \"depth\": 3}], "

TEST(od_annotation_refused_with_file_name)
{
    refused(HEAD "\"annotations\": [{\"class_id\": 0, \"left\": 480, \"top\": 10, \"width\": 61, \"height\": 20}]}",
            0, "annotation 0 (class 0): box left 480, top 10, width 61, height 20 lies outside the 500x400 image");
    refused(HEAD "\"annotations\": [{\"class_id\": 0, \"left\": -1, \"top\": 10, \"width\": 6, \"height\": 20}]}",
            0, "outside the 500x400 image");
    refused(HEAD "\"annotations\": [{\"class_id\": 0, \"left\": 1, \"top\": 10, \"width\": 6, \"height\": 391}]}",
            0, "outside");
    refused(HEAD "\"annotations\": [{\"class_id\": 0, \"left\": 1, \"top\": 1, \"width\": 0, \"height\": 2}]}", 0,
            "empty box");
    refused(HEAD "\"annotations\": [{\"class_id\": 1.5, \"left\": 1, \"top\": 1, \"width\": 1, \"height\": 2}]}", 0,
            "\"class_id\" must be a whole number");
    refused(HEAD "\"annotations\": [{\"class_id\": 3, \"left\": 1, \"top\": 1, \"width\": 1, \"height\": 2}]}", 3,
            "in [0, 2]");
    refused(HEAD "\"annotations\": [{\"class_id\": 0, \"left\": \"1\", \"top\": 1, \"width\": 1, \"height\": 2}]}",
            0, "must be numbers");
    refused(HEAD "\"annotations\": {}}", 0, "no \"annotations\" array");
    refused(HEAD "\"annotations\": [], \"categories\": [{\"class_id\": 0}]}", 0, "category 0");
    refused("{\"file\": \"a.jpg\", \"image_size\": [{\"width\": 5, \"height\": 4, \"depth\": 1}], "
            "\"annotations\": []}", 0, "only 3-channel");
    refused("{\"file\": \"a.jpg\", \"image_size\": {\"width\": 5, \"height\": 4}, \"annotations\": []}", 0,
            "\"image_size\" must be");
    refused("{\"file\": \"a.jpg\", \"image_size\": [{\"width\": 0, \"height\": 4}], \"annotations\": []}", 0,
            "positive whole");
    refused("{\"image_size\": [{\"width\": 5, \"height\": 4}], \"annotations\": []}", 0, "no \"file\"");
    refused("{\"file\": \"a.jpg\",", 0, "not valid JSON");
    refused("[1]", 0, "not a JSON object");
}
