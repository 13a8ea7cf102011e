/*
 * test_draw.c: algorithms/object_detection/draw.c: box outlines at the
 * expected pixels, the font's glyphs, labelled detections in the class
 * colour with the score filter; checked on the pixels a PNG round trip
 * (codec/image_encode.c, image_decode.c) gives back.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/image_decode.h"
#include "codec/image_encode.h"
#include "object_detection/draw.h"
#include "support/harness.h"

static struct img_u8 black(size_t w, size_t h)
{
    struct img_u8 img = {calloc(w * h * 3, 1), w, h, 3};
    return img;
}

/* img through PNG bytes and back. */
static struct img_u8 via_png(const struct img_u8 *img)
{
    uint8_t *png;
    size_t len;
    char err[200];
    ASSERT_EQ_INT(img_encode_png(img, &png, &len, err, sizeof(err)), 0);
    struct img_u8 back;
    ASSERT_EQ_INT(img_decode(png, len, 1u << 22, 3, &back, err, sizeof(err)), 0);
    free(png);
    return back;
}

static int is(const struct img_u8 *img, size_t x, size_t y, const uint8_t rgb[3])
{
    const uint8_t *p = img->px + (y * img->w + x) * 3;
    return p[0] == rgb[0] && p[1] == rgb[1] && p[2] == rgb[2];
}

static const uint8_t RED[3] = {255, 0, 0}, ZERO[3] = {0, 0, 0}, WHITE[3] = {255, 255, 255};

TEST(od_draw_box_pixels)
{
    struct img_u8 img = black(40, 30);
    struct od_box b = {0.25f, 0.2f, 0.75f, 0.8f};
    long x0, y0, x1, y1;
    /* columns 10 .. 29, rows 6 .. 23 */
    ASSERT(od_box_pixels(&b, 40, 30, &x0, &y0, &x1, &y1));
    ASSERT_EQ_INT(x0, 10);
    ASSERT_EQ_INT(x1, 29);
    ASSERT_EQ_INT(y0, 6);
    ASSERT_EQ_INT(y1, 23);
    od_draw_box(&img, &b, RED, 1);
    struct img_u8 back = via_png(&img);
    ASSERT(is(&back, 10, 15, RED) && is(&back, 29, 15, RED) && is(&back, 20, 6, RED) && is(&back, 20, 23, RED));
    ASSERT(is(&back, 10, 6, RED) && is(&back, 29, 23, RED));
    ASSERT(is(&back, 20, 15, ZERO) && is(&back, 11, 15, ZERO) && is(&back, 9, 15, ZERO) && is(&back, 30, 15, ZERO));
    ASSERT(is(&back, 20, 5, ZERO) && is(&back, 20, 24, ZERO));
    size_t red = 0;
    for (size_t i = 0; i < 40 * 30; i++)
        red += is(&back, i % 40, i / 40, RED);
    ASSERT_EQ_INT(red, 2 * 20 + 2 * 16);     /* the outline and nothing else */
    img_free(&back);
    /* two pixels thick; a box past the edge is clipped; an empty one draws nothing */
    memset(img.px, 0, 40 * 30 * 3);
    struct od_box out = {0.5f, -0.5f, 1.5f, 0.5f}, none = {0.3f, 0.3f, 0.3f, 0.6f};
    od_draw_box(&img, &out, RED, 2);
    od_draw_box(&img, &none, RED, 2);
    ASSERT(is(&img, 20, 0, RED) && is(&img, 20, 1, RED) && is(&img, 39, 10, RED) && is(&img, 38, 10, RED));
    ASSERT(is(&img, 37, 10, ZERO) && is(&img, 12, 10, ZERO));
    img_free(&img);
}

TEST(od_draw_text_glyphs)
{
    struct img_u8 img = black(20, 10);
    /* "0" then "1" at scale 1: rows 111/101/101/101/111 and 010/110/010/010/111 */
    ASSERT_EQ_INT(od_draw_text(&img, 1, 1, "01", WHITE, NULL, 1), 7);
    struct img_u8 back = via_png(&img);
    const char *want[5] = {"111 010", "101 110", "101 010", "101 010", "111 111"};
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 7; c++)
            ASSERT_EQ_INT(is(&back, (size_t)(1 + c), (size_t)(1 + r), WHITE), want[r][c] == '1');
    img_free(&back);
    /* lower case is drawn as upper case; a background fills one pixel around */
    memset(img.px, 0, 20 * 10 * 3);
    od_draw_text(&img, 2, 2, "a", WHITE, RED, 1);
    ASSERT(is(&img, 3, 2, WHITE) && is(&img, 2, 2, RED) && is(&img, 1, 1, RED) && is(&img, 5, 7, RED));
    ASSERT(is(&img, 0, 0, ZERO) && is(&img, 6, 2, ZERO));
    /* text running off the image is clipped */
    od_draw_text(&img, 15, 8, "WWWWW", WHITE, RED, 2);
    img_free(&img);
}

TEST(od_draw_detections_labelled)
{
    struct img_u8 img = black(100, 80);
    const char *names[2] = {"dog", "cat"};
    const float rows[12] = {1, 0.9f, 0.2f, 0.5f, 0.6f, 0.9f,       /* drawn */
                            0, 0.1f, 0.0f, 0.0f, 0.1f, 0.1f};      /* under min_score */
    od_draw_detections(&img, rows, 2, names, 2, 0.5f);
    struct img_u8 back = via_png(&img);
    uint8_t cat[3], dog[3];
    od_class_color(1, cat);
    od_class_color(0, dog);
    ASSERT(cat[0] != dog[0] || cat[1] != dog[1] || cat[2] != dog[2]);
    /* the box: columns 20 .. 59, rows 40 .. 71 */
    ASSERT(is(&back, 20, 60, cat) && is(&back, 59, 60, cat) && is(&back, 40, 71, cat));
    ASSERT(is(&back, 40, 60, ZERO));
    /* the tag above the box: "CAT 0.90" on the class colour, text in black or white */
    size_t tag = 0, text = 0;
    for (size_t y = 30; y < 40; y++)
        for (size_t x = 20; x < 55; x++) {
            tag += is(&back, x, y, cat);
            text += is(&back, x, y, WHITE) || is(&back, x, y, ZERO);
        }
    ASSERT(tag > 100 && text > 30);
    /* the low-scored dog row drew nothing in the top-left corner */
    for (size_t y = 0; y < 8; y++)
        for (size_t x = 0; x < 10; x++)
            ASSERT(is(&back, x, y, ZERO));
    img_free(&back);
    img_free(&img);
}
