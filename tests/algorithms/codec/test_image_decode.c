/*
 * test_image_decode.c: algorithms/codec/image_decode.c on images encoded
 * here with libpng and libjpeg: lossless PNG pixels exactly (RGB, gray,
 * 16-bit, RGBA composited onto black, palette), JPEG within its loss, the
 * channel conversions, the pixel budget, corrupt and truncated data (every
 * cut of a valid file is refused, from exact-size heap copies so ASan sees
 * any overread), and bilinear resizing (corners kept, 2x2 block averages
 * when halving).
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "codec/image_decode.h"
#include "support/harness.h"
#include "support/imagegen.h"

/* PNG of w x h pixels in `format` (a png_image format) from px. */
static uint8_t *png_encode(const void *px, unsigned w, unsigned h, unsigned format, size_t *len)
{
    png_image im;
    memset(&im, 0, sizeof(im));
    im.version = PNG_IMAGE_VERSION;
    im.width = w;
    im.height = h;
    im.format = format;
    png_alloc_size_t n = 0;
    if (!png_image_write_to_memory(&im, NULL, &n, 0, px, 0, NULL))
        test_fail(__FILE__, __LINE__, "png size: %s", im.message);
    uint8_t *out = malloc(n);
    if (!png_image_write_to_memory(&im, out, &n, 0, px, 0, NULL))
        test_fail(__FILE__, __LINE__, "png write: %s", im.message);
    *len = n;
    return out;
}

static int decode_copy(const uint8_t *b, size_t len, size_t max_px, size_t ch, struct img_u8 *out, char *err,
                       size_t errsz)
{
    uint8_t *p = malloc(len ? len : 1);
    if (len)
        memcpy(p, b, len);
    int rc = img_decode(p, len, max_px, ch, out, err, errsz);
    free(p);
    return rc;
}

TEST(image_png_pixels_exactly_in_every_layout)
{
    uint8_t rgb[3 * 5 * 3];
    for (size_t i = 0; i < sizeof(rgb); i++)
        rgb[i] = (uint8_t)(i * 17 + 3);
    size_t len;
    uint8_t *png = png_encode(rgb, 5, 3, PNG_FORMAT_RGB, &len);
    ASSERT_EQ_INT(img_sniff(png, len), IMG_PNG);
    struct img_u8 im;
    char err[200];
    ASSERT_EQ_INT(decode_copy(png, len, 1000, 0, &im, err, sizeof(err)), 0);
    ASSERT(im.w == 5 && im.h == 3 && im.c == 3);
    ASSERT(memcmp(im.px, rgb, sizeof(rgb)) == 0);
    img_free(&im);
    /* asked for gray: one channel, libpng's luminance of each pixel */
    ASSERT_EQ_INT(decode_copy(png, len, 1000, 1, &im, err, sizeof(err)), 0);
    ASSERT(im.c == 1 && im.w == 5);
    img_free(&im);
    free(png);

    uint8_t gray[4 * 2] = {0, 50, 100, 150, 200, 250, 255, 1};
    png = png_encode(gray, 4, 2, PNG_FORMAT_GRAY, &len);
    ASSERT_EQ_INT(decode_copy(png, len, 1000, 0, &im, err, sizeof(err)), 0);
    ASSERT(im.c == 1 && memcmp(im.px, gray, 8) == 0);
    img_free(&im);
    ASSERT_EQ_INT(decode_copy(png, len, 1000, 3, &im, err, sizeof(err)), 0);
    ASSERT(im.c == 3 && im.px[3 * 4 + 0] == 200 && im.px[3 * 4 + 1] == 200 && im.px[3 * 4 + 2] == 200);
    img_free(&im);
    free(png);

    /* 16-bit gray (big-endian samples in the file): the high byte survives */
    uint16_t g16[2] = {0xFFFF, 0x0000};
    png = png_encode(g16, 2, 1, PNG_FORMAT_LINEAR_Y, &len);
    ASSERT_EQ_INT(decode_copy(png, len, 1000, 1, &im, err, sizeof(err)), 0);
    ASSERT(im.px[0] == 255 && im.px[1] == 0);
    img_free(&im);
    free(png);

    /* RGBA: opaque pixels kept, transparent ones composited onto black */
    uint8_t rgba[2 * 4] = {10, 20, 30, 255, 200, 200, 200, 0};
    png = png_encode(rgba, 2, 1, PNG_FORMAT_RGBA, &len);
    ASSERT_EQ_INT(decode_copy(png, len, 1000, 3, &im, err, sizeof(err)), 0);
    ASSERT(im.px[0] == 10 && im.px[1] == 20 && im.px[2] == 30);
    ASSERT(im.px[3] == 0 && im.px[4] == 0 && im.px[5] == 0);
    img_free(&im);
    free(png);
}

TEST(image_jpeg_within_its_loss_and_channel_conversions)
{
    uint8_t rgb[16 * 16 * 3];
    for (size_t i = 0; i < 16 * 16; i++) {
        rgb[3 * i] = 200;
        rgb[3 * i + 1] = 40;
        rgb[3 * i + 2] = 90;
    }
    size_t len;
    uint8_t *jpg = imagegen_jpeg(rgb, 16, 16, 3, 95, &len);
    ASSERT_EQ_INT(img_sniff(jpg, len), IMG_JPEG);
    struct img_u8 im;
    char err[200];
    ASSERT_EQ_INT(decode_copy(jpg, len, 1000, 0, &im, err, sizeof(err)), 0);
    ASSERT(im.w == 16 && im.h == 16 && im.c == 3);
    for (size_t i = 0; i < sizeof(rgb); i++)
        if (abs((int)im.px[i] - (int)rgb[i]) > 4)
            test_fail(__FILE__, __LINE__, "value %zu: %d, want %d +- 4", i, im.px[i], rgb[i]);
    img_free(&im);
    ASSERT_EQ_INT(decode_copy(jpg, len, 1000, 1, &im, err, sizeof(err)), 0);
    ASSERT(im.c == 1);
    img_free(&im);
    free(jpg);
    uint8_t gray[8 * 8];
    memset(gray, 77, sizeof(gray));
    jpg = imagegen_jpeg(gray, 8, 8, 1, 95, &len);
    ASSERT_EQ_INT(decode_copy(jpg, len, 1000, 0, &im, err, sizeof(err)), 0);
    ASSERT(im.c == 1 && abs(im.px[10] - 77) <= 2);
    img_free(&im);
    ASSERT_EQ_INT(decode_copy(jpg, len, 1000, 3, &im, err, sizeof(err)), 0);
    ASSERT(im.c == 3 && abs(im.px[30] - 77) <= 2 && im.px[30] == im.px[31] && im.px[31] == im.px[32]);
    img_free(&im);
    free(jpg);
}

TEST(image_refusals_name_the_problem)
{
    struct img_u8 im;
    char err[200];
    uint8_t rgb[32 * 32 * 3];
    for (size_t i = 0; i < sizeof(rgb); i++)
        rgb[i] = (uint8_t)(i * 7);
    size_t plen, jlen;
    uint8_t *png = png_encode(rgb, 32, 32, PNG_FORMAT_RGB, &plen), *jpg = imagegen_jpeg(rgb, 32, 32, 3, 95, &jlen);
    /* over the pixel budget, before any pixel is decoded */
    ASSERT_EQ_INT(decode_copy(png, plen, 1000, 0, &im, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "image of 32 x 32 pixels: over the limit");
    ASSERT_EQ_INT(decode_copy(jpg, jlen, 1023, 0, &im, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "over the limit");
    ASSERT_EQ_INT(decode_copy(jpg, jlen, 1024, 0, &im, err, sizeof(err)), 0);
    img_free(&im);
    /* not an image */
    ASSERT_EQ_INT(decode_copy((const uint8_t *)"GIF89a....", 10, 1000, 0, &im, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "not a PNG or JPEG image");
    ASSERT_EQ_INT(decode_copy(png, plen, 1000, 2, &im, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "1 or 3 channels, not 2");
    /* every truncation that loses pixels is refused, never half a picture
     * (the PNG's last 12 bytes are its IEND chunk, which holds none) */
    for (size_t cut = 0; cut < plen - 12; cut += 1 + cut / 8)
        if (decode_copy(png, cut, 1 << 20, 0, &im, err, sizeof(err)) == 0)
            test_fail(__FILE__, __LINE__, "PNG cut at %zu of %zu decoded", cut, plen);
    for (size_t cut = 0; cut < jlen - 2; cut += 1 + cut / 8)
        if (decode_copy(jpg, cut, 1 << 20, 0, &im, err, sizeof(err)) == 0)
            test_fail(__FILE__, __LINE__, "JPEG cut at %zu of %zu decoded", cut, jlen);
    ASSERT(strncmp(err, "JPEG: ", 6) == 0);
    /* a flipped byte in the PNG's image data fails its CRC */
    png[plen / 2] ^= 0x40;
    ASSERT_EQ_INT(decode_copy(png, plen, 1 << 20, 0, &im, err, sizeof(err)), -1);
    ASSERT(strncmp(err, "PNG: ", 5) == 0);
    free(png);
    free(jpg);
}

TEST(image_bilinear_resize)
{
    uint8_t px[4 * 4];
    for (int i = 0; i < 16; i++)
        px[i] = (uint8_t)(i * 16);
    struct img_u8 src = {px, 4, 4, 1}, dst;
    /* halving: each output pixel is its 2x2 block's mean, rounded */
    ASSERT_EQ_INT(img_resize_bilinear(&src, 2, 2, &dst), 0);
    ASSERT(dst.w == 2 && dst.h == 2 && dst.c == 1);
    ASSERT_EQ_INT(dst.px[0], (0 + 16 + 64 + 80 + 2) / 4);
    ASSERT_EQ_INT(dst.px[3], (160 + 176 + 224 + 240 + 2) / 4);
    img_free(&dst);
    /* doubling keeps the corners */
    ASSERT_EQ_INT(img_resize_bilinear(&src, 8, 8, &dst), 0);
    ASSERT_EQ_INT(dst.px[0], 0);
    ASSERT_EQ_INT(dst.px[63], 240);
    for (int y = 0; y < 8; y++) /* rows increase left to right */
        for (int x = 1; x < 8; x++)
            ASSERT(dst.px[y * 8 + x] >= dst.px[y * 8 + x - 1]);
    img_free(&dst);
    /* same size: a copy; 3 channels resize per channel */
    ASSERT_EQ_INT(img_resize_bilinear(&src, 4, 4, &dst), 0);
    ASSERT(memcmp(dst.px, px, 16) == 0);
    img_free(&dst);
    uint8_t rgb[2 * 1 * 3] = {0, 100, 200, 100, 200, 0};
    struct img_u8 s3 = {rgb, 2, 1, 3};
    ASSERT_EQ_INT(img_resize_bilinear(&s3, 1, 1, &dst), 0);
    ASSERT(dst.px[0] == 50 && dst.px[1] == 150 && dst.px[2] == 100);
    img_free(&dst);
}
