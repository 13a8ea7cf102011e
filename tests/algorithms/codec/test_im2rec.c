/*
 * test_im2rec.c: algorithms/codec/im2rec.c: an MXNet image record payload
 * split into header, label array and image bytes; short and truncated
 * payloads refused (from exact-size heap copies, so ASan sees overreads).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/im2rec.h"
#include "support/harness.h"

static size_t put_payload(uint8_t *b, uint32_t flag, float label, uint64_t id, const float *labels, size_t nl,
                          const char *img)
{
    size_t n = 0;
    memcpy(b + n, &flag, 4), n += 4;          /* the test machine is little-endian, as the format */
    memcpy(b + n, &label, 4), n += 4;
    memcpy(b + n, &id, 8), n += 8;
    uint64_t id2 = 0;
    memcpy(b + n, &id2, 8), n += 8;
    if (nl)
        memcpy(b + n, labels, 4 * nl);
    n += 4 * nl;
    memcpy(b + n, img, strlen(img)), n += strlen(img);
    return n;
}

TEST(im2rec_payload_split)
{
    const float labels[7] = {2, 5, 1, 0.1f, 0.2f, 0.5f, 0.6f};
    uint8_t b[128];
    size_t n = put_payload(b, 7, 0.0f, 4242, labels, 7, "\xff\xd8JPEG");
    uint8_t *heap = malloc(n);
    memcpy(heap, b, n);
    struct im2rec_record r;
    char err[200];
    ASSERT_EQ_INT(im2rec_parse(heap, n, &r, err, sizeof(err)), 0);
    ASSERT_EQ_INT(r.flag, 7);
    ASSERT_EQ_INT(r.n_labels, 7);
    ASSERT_EQ_INT(r.id, 4242);
    ASSERT_EQ_INT(r.id2, 0);
    for (size_t i = 0; i < 7; i++)
        ASSERT_NEAR(im2rec_label(&r, i), labels[i], 0);
    ASSERT_EQ_INT(r.image_len, 6);
    ASSERT(r.image == heap + 24 + 28);
    ASSERT(memcmp(r.image, "\xff\xd8JPEG", 6) == 0);
    free(heap);
    /* flag 0: a scalar label, everything after the header is the image */
    n = put_payload(b, 0, 3.0f, 1, NULL, 0, "PNGDATA");
    ASSERT_EQ_INT(im2rec_parse(b, n, &r, err, sizeof(err)), 0);
    ASSERT_NEAR(r.label, 3.0, 0);
    ASSERT_EQ_INT(r.n_labels, 0);
    ASSERT_EQ_INT(r.image_len, 7);
}

TEST(im2rec_short_and_truncated_refused)
{
    const float labels[7] = {2, 5, 1, 0.1f, 0.2f, 0.5f, 0.6f};
    uint8_t b[128];
    size_t n = put_payload(b, 7, 0.0f, 9, labels, 7, "");
    struct im2rec_record r;
    char err[200];
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *heap = malloc(cut ? cut : 1);
        memcpy(heap, b, cut);
        err[0] = 0;
        ASSERT_EQ_INT(im2rec_parse(heap, cut, &r, err, sizeof(err)), -1);
        ASSERT(err[0]);
        free(heap);
    }
    ASSERT_EQ_INT(im2rec_parse(b, 10, &r, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "shorter than its 24-byte header");
    ASSERT_EQ_INT(im2rec_parse(b, n - 1, &r, err, sizeof(err)), -1);
    ASSERT_CONTAINS(err, "record id 9 announces 7 labels");
    /* a huge flag does not overflow the size check */
    n = put_payload(b, 0xffffffffu, 0.0f, 9, labels, 7, "");
    ASSERT_EQ_INT(im2rec_parse(b, n, &r, err, sizeof(err)), -1);
}
