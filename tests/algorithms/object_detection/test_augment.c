/*
 * test_augment.c: algorithms/object_detection/augment.c: flipping objects
 * and pixels, cropping objects (the centre rule, clipping, the crop's
 * coordinates) and pixels, and the crop sampler's guarantees (inside the
 * image, scale and aspect bounds, an object kept, the same seed the same
 * crops).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "object_detection/augment.h"
#include "support/harness.h"

TEST(od_augment_flip_objects_and_pixels)
{
    struct od_object o[1] = {{3, {0.1f, 0.2f, 0.4f, 0.5f}}};
    od_flip_objects(o, 1);
    ASSERT_NEAR(o[0].box.xmin, 0.6, 1e-6);
    ASSERT_NEAR(o[0].box.xmax, 0.9, 1e-6);
    ASSERT(o[0].box.ymin == 0.2f);
    ASSERT_EQ_INT(o[0].cls, 3);
    /* 3 x 2 RGB: columns reversed in each row */
    uint8_t px[18];
    for (int i = 0; i < 18; i++)
        px[i] = (uint8_t)i;
    struct img_u8 img = {px, 3, 2, 3};
    od_flip_image(&img);
    const uint8_t want[18] = {6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11};
    ASSERT(memcmp(px, want, 18) == 0);
    od_flip_image(&img);
    for (int i = 0; i < 18; i++)
        ASSERT_EQ_INT(px[i], i);
}

TEST(od_augment_crop_objects)
{
    const struct od_box crop = {0.2f, 0.2f, 0.7f, 0.7f};
    const struct od_object in[4] = {{0, {0.1f, 0.1f, 0.5f, 0.5f}},     /* centre in, clipped */
                                    {1, {0.6f, 0.6f, 0.9f, 0.9f}},     /* centre out */
                                    {2, {0.3f, 0.4f, 0.5f, 0.6f}},     /* inside */
                                    {3, {0.6f, 0.3f, 0.8f, 0.4f}}};    /* centre on the right edge: out */
    struct od_object out[4];
    ASSERT_EQ_INT(od_crop_objects(in, 4, &crop, out), 2);
    ASSERT_EQ_INT(out[0].cls, 0);
    ASSERT_NEAR(out[0].box.xmin, 0.0, 1e-6);
    ASSERT_NEAR(out[0].box.ymin, 0.0, 1e-6);
    ASSERT_NEAR(out[0].box.xmax, 0.6, 1e-6);
    ASSERT_NEAR(out[0].box.ymax, 0.6, 1e-6);
    ASSERT_EQ_INT(out[1].cls, 2);
    ASSERT_NEAR(out[1].box.xmin, 0.2, 1e-6);
    ASSERT_NEAR(out[1].box.ymin, 0.4, 1e-6);
    ASSERT_NEAR(out[1].box.xmax, 0.6, 1e-6);
    ASSERT_NEAR(out[1].box.ymax, 0.8, 1e-6);
    /* the whole image keeps everything as it is */
    const struct od_box whole = {0, 0, 1, 1}, flat = {0.2f, 0.2f, 0.2f, 0.7f};
    ASSERT_EQ_INT(od_crop_objects(in, 4, &whole, out), 4);
    ASSERT_NEAR(out[3].box.xmax, 0.8, 1e-6);
    ASSERT_EQ_INT(od_crop_objects(in, 4, &flat, out), 0);
}

TEST(od_augment_crop_image)
{
    /* 4 x 4 gray, pixel (x, y) = 10 y + x; the centre quarter is rows and
     * columns 1 .. 2, copied as is at its own size */
    uint8_t px[16];
    for (int i = 0; i < 16; i++)
        px[i] = (uint8_t)(10 * (i / 4) + i % 4);
    struct img_u8 img = {px, 4, 4, 1}, out;
    const struct od_box crop = {0.25f, 0.25f, 0.75f, 0.75f};
    ASSERT_EQ_INT(od_crop_image(&img, &crop, 2, 2, &out), 0);
    ASSERT_EQ_INT(out.w, 2);
    ASSERT_EQ_INT(out.px[0], 11);
    ASSERT_EQ_INT(out.px[1], 12);
    ASSERT_EQ_INT(out.px[2], 21);
    ASSERT_EQ_INT(out.px[3], 22);
    img_free(&out);
    /* a sliver still takes one pixel; the result has the size asked for */
    const struct od_box sliver = {0.9f, 0.0f, 0.9f, 1.0f};
    ASSERT_EQ_INT(od_crop_image(&img, &sliver, 3, 5, &out), 0);
    ASSERT_EQ_INT(out.w, 3);
    ASSERT_EQ_INT(out.h, 5);
    ASSERT_EQ_INT(out.px[0], 3);
    img_free(&out);
}

TEST(od_augment_crop_sampler)
{
    const struct od_object obj[2] = {{0, {0.1f, 0.1f, 0.3f, 0.4f}}, {1, {0.5f, 0.5f, 0.9f, 0.8f}}};
    struct od_crop_params p;
    od_crop_params_default(&p);
    uint64_t rng = 7, again = 7;
    int whole = 0;
    enum { DRAWS = 2000 };
    for (int i = 0; i < DRAWS; i++) {
        struct od_box c = od_crop_sample(&rng, obj, 2, &p), d = od_crop_sample(&again, obj, 2, &p);
        ASSERT(memcmp(&c, &d, sizeof(c)) == 0);
        ASSERT(c.xmin >= 0 && c.ymin >= 0 && c.xmax <= 1 && c.ymax <= 1);
        float w = c.xmax - c.xmin, h = c.ymax - c.ymin;
        if (w == 1 && h == 1) {
            whole++;
            continue;
        }
        /* scale^2 = w h in [0.09, 1], aspect w / h in [0.5, 2] */
        ASSERT(w * h >= 0.09f - 1e-5f && w / h >= 0.5f - 1e-4f && w / h <= 2.0f + 1e-4f);
        struct od_object kept[2];
        ASSERT(od_crop_objects(obj, 2, &c, kept) >= 1);
    }
    /* the whole-image option is one in seven, plus the options that found
     * nothing in 50 draws (most of IoU 0.7 and 0.9 with objects this small:
     * 948 of 2,000 with this seed) */
    ASSERT(whole > DRAWS / 8 && whole < DRAWS * 6 / 10);
    /* no objects: the whole image or any patch */
    int patches = 0;
    for (int i = 0; i < 700; i++) {
        struct od_box c = od_crop_sample(&rng, NULL, 0, &p);
        patches += !(c.xmin == 0 && c.ymin == 0 && c.xmax == 1 && c.ymax == 1);
    }
    ASSERT(patches > 50 && patches < 200);
}
