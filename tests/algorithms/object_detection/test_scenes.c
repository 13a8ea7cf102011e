/*
 * test_scenes.c: the Fashion-MNIST scenes of tests/fixtures/od_scenes.c
 * read back through the detection parsers: each scene as an im2rec payload
 * (codec/im2rec.c, labels.c: the same objects, the PNG decoding to the same
 * pixels) and as an annotation JSON (annotation.c: the same boxes), and the
 * boxes hold every pixel an item drew.
 */
#include <stdlib.h>
#include <string.h>

#include "codec/im2rec.h"
#include "codec/image_decode.h"
#include "fixtures/od_scenes.h"
#include "object_detection/annotation.h"
#include "object_detection/labels.h"
#include "support/harness.h"

TEST(od_scenes_read_back_as_im2rec_and_json)
{
    struct od_fixture_items items;
    if (od_fixture_items_load(OD_FIXTURE_FMNIST, "t10k", 200, &items) != 0)
        test_fail(__FILE__, __LINE__, "dataset-fashion-mnist is not installed (bash .ci/deps.sh)");
    uint64_t rng = 16;
    size_t total = 0;
    for (int k = 0; k < 12; k++) {
        struct od_fixture_scene s;
        ASSERT_EQ_INT(od_fixture_scene(&rng, &items, 96, 4, &s), 0);
        ASSERT(s.n >= 1 && s.n <= 4);
        total += s.n;
        size_t len;
        uint8_t *rec = od_fixture_im2rec(&s, (uint64_t)k, &len);
        ASSERT(rec != NULL);
        struct im2rec_record r;
        struct od_labels l;
        char err[300];
        ASSERT_EQ_INT(im2rec_parse(rec, len, &r, err, sizeof(err)), 0);
        ASSERT_EQ_INT(r.id, k);
        ASSERT_EQ_INT(od_labels_decode(&r, 350, 10, &l, err, sizeof(err)), 0);
        ASSERT_EQ_INT(l.n, s.n);
        struct img_u8 img;
        ASSERT_EQ_INT(img_decode(r.image, r.image_len, 1u << 20, 3, &img, err, sizeof(err)), 0);
        ASSERT(img.w == 96 && img.h == 96 && memcmp(img.px, s.img.px, 96 * 96 * 3) == 0);
        char *json = od_fixture_json(&s, "scene.png");
        struct od_annotation a;
        ASSERT_EQ_INT(od_annotation_parse(json, strlen(json), "scene.json", 10, &a, err, sizeof(err)), 0);
        ASSERT_EQ_INT(a.n_obj, s.n);
        for (size_t i = 0; i < s.n; i++) {
            ASSERT_EQ_INT(l.obj[i].cls, s.obj[i].cls);
            ASSERT_EQ_INT(a.obj[i].cls, s.obj[i].cls);
            ASSERT(memcmp(&l.obj[i].box, &s.obj[i].box, sizeof(struct od_box)) == 0);
            ASSERT_NEAR(a.obj[i].box.xmin, s.obj[i].box.xmin, 1e-6);
            ASSERT_NEAR(a.obj[i].box.ymax, s.obj[i].box.ymax, 1e-6);
        }
        /* a pixel brighter than the background (0 .. 79) was drawn by an
         * item: it lies in some box, and every box holds such pixels */
        size_t inside[OD_FIXTURE_MAX_OBJECTS] = {0};
        for (long y = 0; y < 96; y++)
            for (long x = 0; x < 96; x++) {
                const uint8_t *p = img.px + ((size_t)y * 96 + (size_t)x) * 3;
                if (p[0] <= 79 && p[1] <= 79 && p[2] <= 79)
                    continue;
                int in = 0;
                for (size_t i = 0; i < s.n; i++) {
                    const long *pb = s.px_box[i];
                    if (x >= pb[0] && x < pb[0] + pb[2] && y >= pb[1] && y < pb[1] + pb[3])
                        in = 1, inside[i]++;
                }
                ASSERT(in);
            }
        for (size_t i = 0; i < s.n; i++)
            ASSERT(inside[i] > 0);
        od_annotation_free(&a);
        free(json);
        img_free(&img);
        od_labels_free(&l);
        free(rec);
        od_fixture_scene_free(&s);
    }
    ASSERT(total >= 12 && total <= 48);
    od_fixture_items_free(&items);
}
