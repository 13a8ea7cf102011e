/*
 * test_image_encode.c: algorithms/codec/image_encode.c: RGB and gray pixels
 * to PNG and back through image_decode.c, bit for bit; what cannot be
 * encoded is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/image_decode.h"
#include "codec/image_encode.h"
#include "support/harness.h"

static void round_trip(size_t w, size_t h, size_t c)
{
    struct img_u8 img = {malloc(w * h * c), w, h, c};
    for (size_t i = 0; i < w * h * c; i++)
        img.px[i] = (uint8_t)(i * 37 + i / 7);
    uint8_t *png;
    size_t len;
    char err[200];
    ASSERT_EQ_INT(img_encode_png(&img, &png, &len, err, sizeof(err)), 0);
    ASSERT(len > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    struct img_u8 back;
    ASSERT_EQ_INT(img_decode(png, len, 1u << 20, 0, &back, err, sizeof(err)), 0);
    ASSERT_EQ_INT(back.w, w);
    ASSERT_EQ_INT(back.h, h);
    ASSERT_EQ_INT(back.c, c);
    ASSERT(memcmp(back.px, img.px, w * h * c) == 0);
    img_free(&back);
    img_free(&img);
    free(png);
}

TEST(image_encode_png_round_trip)
{
    round_trip(17, 9, 3);
    round_trip(1, 1, 3);
    round_trip(6, 11, 1);
}

TEST(image_encode_png_refused)
{
    uint8_t px[16] = {0};
    struct img_u8 four = {px, 2, 2, 4}, empty = {px, 0, 3, 3};
    uint8_t *png = (uint8_t *)1;
    size_t len = 5;
    char err[200];
    ASSERT_EQ_INT(img_encode_png(&four, &png, &len, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "4 channels");
    ASSERT(png == NULL && len == 0);
    ASSERT_EQ_INT(img_encode_png(&empty, &png, &len, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "0x3 image");
}
