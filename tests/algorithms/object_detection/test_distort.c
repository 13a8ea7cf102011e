/*
 * test_distort.c: algorithms/object_detection/distort.c: brightness and
 * contrast with clamping, saturation (0: gray, 1: unchanged), hue rotation
 * (red by 120 degrees is green, a full turn is the identity, gray stays),
 * and the random chain: deterministic per seed, changing colour images,
 * never a gray one's hue or saturation.
 */
#include <stdlib.h>
#include <string.h>

#include "object_detection/distort.h"
#include "support/harness.h"

TEST(od_distort_brightness_contrast)
{
    uint8_t px[6] = {0, 5, 100, 200, 250, 255};
    struct img_u8 img = {px, 2, 1, 3};
    od_adjust_brightness(&img, 10.0f);
    const uint8_t b[6] = {10, 15, 110, 210, 255, 255};
    ASSERT(memcmp(px, b, 6) == 0);
    od_adjust_brightness(&img, -20.0f);
    const uint8_t b2[6] = {0, 0, 90, 190, 235, 235};
    ASSERT(memcmp(px, b2, 6) == 0);
    od_adjust_contrast(&img, 1.5f);
    const uint8_t c[6] = {0, 0, 135, 255, 255, 255};
    ASSERT(memcmp(px, c, 6) == 0);
}

TEST(od_distort_saturation_hue)
{
    uint8_t px[9] = {255, 0, 0, 10, 200, 60, 90, 90, 90};
    struct img_u8 img = {px, 3, 1, 3};
    uint8_t keep[9];
    memcpy(keep, px, 9);
    od_adjust_saturation(&img, 1.0f);
    ASSERT(memcmp(px, keep, 9) == 0);
    od_adjust_saturation(&img, 0.0f);
    /* BT.601 gray of (255, 0, 0) is 76.2; of (10, 200, 60) 127.23 */
    for (int k = 0; k < 3; k++) {
        ASSERT_EQ_INT(px[k], 76);
        ASSERT_EQ_INT(px[3 + k], 127);
        ASSERT_EQ_INT(px[6 + k], 90);
    }
    memcpy(px, keep, 9);
    od_adjust_hue(&img, 120.0f);
    ASSERT(px[0] == 0 && px[1] == 255 && px[2] == 0);         /* red -> green */
    ASSERT(px[6] == 90 && px[7] == 90 && px[8] == 90);        /* gray stays */
    od_adjust_hue(&img, 240.0f);                              /* the rest of the turn */
    for (int i = 0; i < 9; i++)
        ASSERT(abs((int)px[i] - (int)keep[i]) <= 1);
    od_adjust_hue(&img, -120.0f);
    ASSERT(px[0] == 0 && px[1] == 0 && px[2] == 255);         /* red -> blue */
}

TEST(od_distort_chain)
{
    enum { W = 16, H = 8 };
    uint8_t a[W * H * 3], b[W * H * 3], orig[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        orig[i] = (uint8_t)(i * 7 + 40);
    int changed = 0;
    uint64_t s1 = 3, s2 = 3;
    for (int round = 0; round < 20; round++) {
        memcpy(a, orig, sizeof(a));
        memcpy(b, orig, sizeof(b));
        struct img_u8 ia = {a, W, H, 3}, ib = {b, W, H, 3};
        od_distort(&ia, &s1);
        od_distort(&ib, &s2);
        ASSERT(memcmp(a, b, sizeof(a)) == 0);
        changed += memcmp(a, orig, sizeof(a)) != 0;
    }
    ASSERT(changed >= 15);
    /* a gray image stays gray (brightness and contrast move all channels alike) */
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < W * H * 3; i++)
            a[i] = (uint8_t)(60 + i / 3);
        struct img_u8 ia = {a, W, H, 3};
        od_distort(&ia, &s1);
        for (int i = 0; i < W * H; i++)
            ASSERT(a[3 * i] == a[3 * i + 1] && a[3 * i + 1] == a[3 * i + 2]);
    }
}
