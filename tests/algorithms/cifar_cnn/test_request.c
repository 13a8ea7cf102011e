/*
 * test_request.c: cifar-cnn serving requests and answers
 * (algorithms/cifar_cnn/request.c): every content type (JSON in TF
 * Serving's row and columnar formats, a bare list, one bare instance,
 * {"image": ...} instances, JSON Lines, CSV, .npy) and every refusal (a
 * wrong shape, a value that is not a number, a non-numeric dtype, bytes
 * that do not decode), each a 400 naming what was expected; the answer in
 * JSON and JSON Lines.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "support/support.h"
#include "cifar_cnn/request.h"
#include "core/ctx.h"
#include "serve/response.h"

static const struct cc_shape RGB = {2, 2, 3}, GREY = {2, 3, 1};

/* Parse `body` (exact-size heap copy) as content type `type`; the status,
 * the message in err. */
static optml_status parse(int type, const void *body, size_t len, const struct cc_shape *s, struct cc_inputs *in,
                          char *err, size_t errsz)
{
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, body, len);
    struct optml_request req = {.body = copy, .len = len, .content_index = type, .accept_index = CC_OUT_JSON,
                                .content_type = {cc_request_types[type], ""}, .accept = {"application/json", ""}};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_status st = cc_parse_request(&ctx, &req, s, in);
    snprintf(err, errsz, "%s", optml_error_message(&ctx));
    free(copy);
    return st;
}

static optml_status parse_s(int type, const char *body, const struct cc_shape *s, struct cc_inputs *in, char *err,
                            size_t errsz)
{
    return parse(type, body, strlen(body), s, in, err, errsz);
}

/* A 2x2x3 image with values base + 0..11, as JSON. */
static char *rgb_json(int base)
{
    return strf("[[[%d,%d,%d],[%d,%d,%d]],[[%d,%d,%d],[%d,%d,%d]]]", base, base + 1, base + 2, base + 3, base + 4,
                base + 5, base + 6, base + 7, base + 8, base + 9, base + 10, base + 11);
}

static void expect_rgb(const struct cc_inputs *in, size_t i, int base)
{
    for (int k = 0; k < 12; k++)
        ASSERT_NEAR(in->x[i * 12 + (size_t)k], (float)(base + k), 0);
}

TEST(cifar_request_json_row_columnar_and_bare)
{
    struct cc_inputs in;
    char err[512];
    char *a = rgb_json(0), *b = rgb_json(100);
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, strf("{\"instances\": [%s, %s]}", a, b), &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 2 && !in.columnar);
    expect_rgb(&in, 0, 0);
    expect_rgb(&in, 1, 100);
    cc_inputs_free(&in);
    /* {"image": ...} instances and a signature name */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, strf("{\"signature_name\": \"serving_default\", \"instances\": [{\"image\": %s}]}",
                                           b), &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1);
    expect_rgb(&in, 0, 100);
    cc_inputs_free(&in);
    /* a bare list of instances (the SDK's serializer), and one bare instance */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, strf("[%s]", a), &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1);
    expect_rgb(&in, 0, 0);
    cc_inputs_free(&in);
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, b, &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1);
    expect_rgb(&in, 0, 100);
    cc_inputs_free(&in);
    /* columnar */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, strf("{\"inputs\": [%s, %s]}", b, a), &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 2 && in.columnar);
    expect_rgb(&in, 0, 100);
    cc_inputs_free(&in);
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, strf("{\"inputs\": {\"image\": [%s]}}", a), &RGB, &in, err, sizeof(err)),
                  OPTML_OK);
    ASSERT(in.n == 1 && in.columnar);
    cc_inputs_free(&in);
    /* one channel: H x W, or H x W x 1; a bare list of H x W images */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": [[[1,2,3],[4,5,6]], [[[1],[2],[3]],[[4],[5],[6.5]]]]}", &GREY,
                          &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 2 && in.x[5] == 6 && in.x[11] == 6.5f);
    cc_inputs_free(&in);
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "[[[1,2,3],[4,5,6]], [[1,2,3],[4,5,7]]]", &GREY, &in, err, sizeof(err)),
                  OPTML_OK);
    ASSERT(in.n == 2 && in.x[11] == 7);
    cc_inputs_free(&in);
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "[[[1],[2],[3]],[[4],[5],[6]]]", &GREY, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1 && in.x[5] == 6);
    cc_inputs_free(&in);
}

TEST(cifar_request_json_refusals_say_what_was_expected)
{
    struct cc_inputs in;
    char err[512];
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"data\": [1]}", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "unknown key 'data'");
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"signature_name\": \"x\"}", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "Missing 'inputs' or 'instances' key"); /* TF Serving's words */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": [], \"inputs\": []}", &RGB, &in, err, sizeof(err)),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "both 'inputs' and 'instances'");
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": []}", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "\"instances\" is an empty list: expected images, each a 2x2x3 nested list");
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": 5}", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "\"instances\" must be a list of images");
    /* wrong shapes */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": [[[[1,2,3],[4,5,6]]]]}", &RGB, &in, err, sizeof(err)),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "\"instances\" instance 0: expected a 2x2x3 nested list of numbers (height x width x "
                         "channels); got a list of 1");
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "[[[1,2,3],[4,5,6]],[[1,2,3]]]", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "row 1: expected a list of 2 pixels");
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "[[[1,2,3],[4,5,6,7]],[[1,2,3],[4,5,6]]]", &RGB, &in, err, sizeof(err)),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "pixel [0][1]: expected a list of 3 channel values");
    /* not numbers */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "[[[1,2,3],[4,\"5\",6]],[[1,2,3],[4,5,6]]]", &RGB, &in, err, sizeof(err)),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "value [0][1][1] is not a finite number");
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": [{\"img\": 1}]}", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "an object instance must be {\"image\": <a 2x2x3 nested list");
    /* not JSON */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": [", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the body is not JSON");
    ASSERT_EQ_INT(parse(CC_IN_JSON, "", 0, &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the body is empty");
    /* more images than the body can hold is refused before allocating */
    ASSERT_EQ_INT(parse_s(CC_IN_JSON, "{\"instances\": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                          "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}", &(struct cc_shape){64, 64, 3}, &in,
                          err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "cannot be in a body of");
    ASSERT(in.x == NULL && in.n == 0);
}

TEST(cifar_request_jsonlines_and_csv)
{
    struct cc_inputs in;
    char err[512];
    char *a = rgb_json(0), *b = rgb_json(50);
    ASSERT_EQ_INT(parse_s(CC_IN_JSONLINES, strf("%s\n{\"image\": %s}\r\n", a, b), &RGB, &in, err, sizeof(err)),
                  OPTML_OK);
    ASSERT(in.n == 2);
    expect_rgb(&in, 0, 0);
    expect_rgb(&in, 1, 50);
    cc_inputs_free(&in);
    ASSERT_EQ_INT(parse_s(CC_IN_JSONLINES, strf("%s\n\n%s\n", a, b), &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 2 is empty");
    ASSERT_EQ_INT(parse_s(CC_IN_JSONLINES, strf("%s\n[1,2,3]\n", a), &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 2: expected a 2x2x3 nested list of numbers (height x width x channels); got a list of 3");
    ASSERT_EQ_INT(parse_s(CC_IN_JSONLINES, "this is not JSON, it is text\n", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 1 is not JSON");

    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0,1,2,3,4,5,6,7,8,9,10,11\n100, 101,102,103,104,105,106,107,108,109,110,1.11e2",
                          &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 2);
    expect_rgb(&in, 0, 0);
    expect_rgb(&in, 1, 100);
    cc_inputs_free(&in);
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0,1,2,3,4,5,6,7,8,9,10\n", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 1 has 11 values; expected 12 (one 2x2x3 image flattened in height, width, channel "
                         "order)");
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0,1,2,3,4,5,6,7,8,9,10,11,12\n", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 1 has 13 values");
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0,1,2,3,4,5,6,7,8,9,10,11\n0,1,x,3,4,5,6,7,8,9,10,11\n", &RGB, &in, err,
                          sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 2, value 3: 'x' is not a number");
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0,1,2,3,4,5,6,7,8,9,10,nan\n", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "value 12: 'nan' is not a number");
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0,1,2,3,4,5,6,7,8,9,10,,\n", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "value 12: '' is not a number");
}

/* CSV mistakes whose cause is guessable name the fix (codec/csv_hint.h): a
 * header row, ';' or TAB separators, JSON sent as text/csv, the label
 * column included. */
TEST(cifar_request_csv_errors_name_the_fix)
{
    struct cc_inputs in;
    char err[512];
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "r0,g0,b0,r1,g1,b1,r2,g2,b2,r3,g3,b3\n0,1,2,3,4,5,6,7,8,9,10,11\n", &RGB, &in,
                          err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 1, value 1: 'r0' is not a number; the first row looks like a header; remove it");
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0;1;2;3;4;5;6;7;8;9;10;11\n", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the values are separated by ';', not commas; write them comma-separated");
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\n", &RGB, &in, err, sizeof(err)),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the values are separated by TABs, not commas");
    char *img = rgb_json(0), *json = strf("{\"instances\": [%s]}", img);
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, json, &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the body looks like JSON: send it with Content-Type application/json");
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "7,0,1,2,3,4,5,6,7,8,9,10,11\n", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 1 has 13 values; expected 12 (one 2x2x3 image flattened in height, width, channel "
                         "order): is the label column included? A request holds the pixels only");
    /* a name-like row after line 1 is not called a header */
    ASSERT_EQ_INT(parse_s(CC_IN_CSV, "0,1,2,3,4,5,6,7,8,9,10,11\nr0,g0,b0,r1,g1,b1,r2,g2,b2,r3,g3,b3\n", &RGB, &in,
                          err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "line 2, value 1: 'r0' is not a number");
    ASSERT(strstr(err, "header") == NULL);
    free(img);
    free(json);
}

/* A .npy v1.0 file of `header` (padded to 128 bytes as numpy aligns it) and data. */
static size_t npy_file(uint8_t *out, const char *header, const void *data, size_t n)
{
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = 118;
    out[9] = 0;
    memset(out + 10, ' ', 118);
    memcpy(out + 10, header, strlen(header));
    out[127] = '\n';
    memcpy(out + 128, data, n);
    return 128 + n;
}

TEST(cifar_request_npy_shapes_and_dtypes)
{
    struct cc_inputs in;
    char err[512];
    uint8_t f[1024];
    float v[24];
    for (int i = 0; i < 24; i++)
        v[i] = (float)i;
    size_t n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2, 3), }", v, sizeof(v));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 2);
    expect_rgb(&in, 0, 0);
    expect_rgb(&in, 1, 12);
    cc_inputs_free(&in);
    /* uint8 (H, W, C): one image */
    uint8_t u[12];
    for (int i = 0; i < 12; i++)
        u[i] = (uint8_t)(200 + i);
    n = npy_file(f, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }", u, sizeof(u));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1);
    expect_rgb(&in, 0, 200);
    cc_inputs_free(&in);
    /* (N, H*W*C) flattened rows */
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 12), }", v, sizeof(v));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &RGB, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 2);
    cc_inputs_free(&in);
    /* one channel: (N, H, W) */
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2, 3), }", v, sizeof(v));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &GREY, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 4 && in.x[23] == 23);
    cc_inputs_free(&in);
    /* wrong shape */
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", v, sizeof(v));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "array of shape (2, 3, 4): expected (N, 2, 2, 3), (2, 2, 3) or (N, 12)");
    /* a dtype that is not numbers */
    uint8_t bools[12] = {0};
    n = npy_file(f, "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2, 3), }", bools, sizeof(bools));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "array of dtype |b1: expected numbers");
    n = npy_file(f, "{'descr': '<U1', 'fortran_order': False, 'shape': (2, 2, 3), }", v, 48);
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the body is not a .npy array");
    /* NaN is not a pixel value */
    v[5] = NAN;
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2, 3), }", v, sizeof(v));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n, &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "array value 5 is not a finite number");
    /* bytes that are not .npy, and a file cut short */
    ASSERT_EQ_INT(parse_s(CC_IN_NPY, "[[1,2,3]]", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the body is not a .npy array");
    n = npy_file(f, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2, 3), }", v, sizeof(v));
    ASSERT_EQ_INT(parse(CC_IN_NPY, f, n - 1, &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the body is not a .npy array");
    ASSERT(in.x == NULL);
}

TEST(cifar_answers_json_columnar_and_jsonlines)
{
    const float p[6] = {0.25f, 0.75f, 1, 0, 0.5f, 0.5f};
    struct optml_response r;
    rt_response_init(&r);
    ASSERT_EQ_INT(cc_write_predictions(&r, CC_OUT_JSON, 0, p, 3, 2), OPTML_OK);
    ASSERT_EQ_STR(r.body, "{\"predictions\": [[0.25, 0.75], [1, 0], [0.5, 0.5]]}");
    rt_response_deinit(&r);
    rt_response_init(&r);
    ASSERT_EQ_INT(cc_write_predictions(&r, CC_OUT_JSON, 1, p, 1, 2), OPTML_OK);
    ASSERT_EQ_STR(r.body, "{\"outputs\": [[0.25, 0.75]]}");
    rt_response_deinit(&r);
    rt_response_init(&r);
    ASSERT_EQ_INT(cc_write_predictions(&r, CC_OUT_JSONLINES, 0, p, 2, 3), OPTML_OK);
    ASSERT_EQ_STR(r.body, "[0.25, 0.75, 1]\n[0, 0.5, 0.5]\n");
    rt_response_deinit(&r);
}

#define IMAGE_SEEDS "tests/fuzz/seeds/fuzz_image_decode/"

/* A PNG or JPEG from the image decoder's seeds (8 x 6 pixels). */
static uint8_t *seed_image(const char *name, size_t *len)
{
    uint8_t *b = (uint8_t *)read_file(strf(IMAGE_SEEDS "%s", name), len);
    ASSERT(b != NULL);
    return b;
}

TEST(cifar_request_png_and_jpeg_decoded_and_resized)
{
    struct cc_inputs in;
    char err[512];
    size_t len;
    uint8_t *png = seed_image("rgb.png", &len);
    /* the model's own size: exact pixels; to 32x32: resized */
    ASSERT_EQ_INT(parse(CC_IN_PNG, png, len, &(struct cc_shape){6, 8, 3}, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1 && in.pixels == 1);
    float first = in.x[0];
    for (size_t i = 0; i < 6 * 8 * 3; i++)
        ASSERT(in.x[i] >= 0 && in.x[i] <= 255 && in.x[i] == floorf(in.x[i]));
    cc_inputs_free(&in);
    ASSERT_EQ_INT(parse(CC_IN_PNG, png, len, &(struct cc_shape){32, 32, 3}, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1 && in.pixels == 1);
    ASSERT_NEAR(in.x[0], first, 0.5f); /* the corner keeps its colour */
    cc_inputs_free(&in);
    /* to one channel for a grey model */
    ASSERT_EQ_INT(parse(CC_IN_PNG, png, len, &(struct cc_shape){28, 28, 1}, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1);
    cc_inputs_free(&in);
    free(png);
    uint8_t *jpg = seed_image("rgb.jpg", &len);
    ASSERT_EQ_INT(parse(CC_IN_JPEG, jpg, len, &(struct cc_shape){32, 32, 3}, &in, err, sizeof(err)), OPTML_OK);
    ASSERT(in.n == 1 && in.pixels == 1);
    cc_inputs_free(&in);
    /* cut short: refused, never half an image */
    ASSERT_EQ_INT(parse(CC_IN_JPEG, jpg, len / 2, &(struct cc_shape){32, 32, 3}, &in, err, sizeof(err)),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the JPEG image cannot be decoded");
    ASSERT(in.x == NULL);
    free(jpg);
    /* not an image at all */
    ASSERT_EQ_INT(parse_s(CC_IN_PNG, "{\"instances\": []}", &RGB, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "the body is not a PNG image");
    /* a model of 4 channels cannot take PNG or JPEG */
    png = seed_image("rgba.png", &len);
    ASSERT_EQ_INT(parse(CC_IN_PNG, png, len, &(struct cc_shape){6, 8, 4}, &in, err, sizeof(err)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "this model takes 4-channel images");
    free(png);
}
