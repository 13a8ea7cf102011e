/*
 * imagegen.c: image training data in exact formats for tests (imagegen.h).
 */
#include "support/imagegen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

void imagegen_pixels(uint8_t *out, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        out[i] = (uint8_t)(s >> 24);
    }
}

static void varint(struct buf *b, uint64_t v)
{
    while (v >= 0x80) {
        uint8_t c = (uint8_t)(v | 0x80);
        buf_put(b, &c, 1);
        v >>= 7;
    }
    uint8_t c = (uint8_t)v;
    buf_put(b, &c, 1);
}

/* field f, wire type 2, the bytes of `inner` */
static void lenfield(struct buf *b, unsigned f, const void *inner, size_t n)
{
    varint(b, (uint64_t)f << 3 | 2);
    varint(b, n);
    buf_put(b, inner, n);
}

/* One map entry key -> Feature{kind: list} into features. */
static void entry(struct buf *features, const char *key, unsigned kind, const struct buf *list)
{
    struct buf feature = {0}, e = {0};
    lenfield(&feature, kind, list->p, list->n);
    lenfield(&e, 1, key, strlen(key));
    lenfield(&e, 2, feature.p, feature.n);
    lenfield(features, 1, e.p, e.n);
    free(feature.p);
    free(e.p);
}

static void int_entry(struct buf *features, const char *key, int64_t v)
{
    struct buf packed = {0}, list = {0};
    varint(&packed, (uint64_t)v);
    lenfield(&list, 1, packed.p, packed.n);
    entry(features, key, 3, &list);
    free(packed.p);
    free(list.p);
}

void buf_put_example(struct buf *b, const uint8_t *img, size_t n, int64_t label, const int64_t *hwd)
{
    struct buf features = {0}, list = {0};
    lenfield(&list, 1, img, n);
    entry(&features, "image", 1, &list);
    int_entry(&features, "label", label);
    if (hwd) {
        int_entry(&features, "height", hwd[0]);
        int_entry(&features, "width", hwd[1]);
        int_entry(&features, "depth", hwd[2]);
    }
    lenfield(b, 1, features.p, features.n);
    free(features.p);
    free(list.p);
}

void buf_put_example_record(struct buf *b, const uint8_t *img, size_t n, int64_t label, const int64_t *hwd)
{
    struct buf ex = {0};
    buf_put_example(&ex, img, n, label, hwd);
    buf_put_tfrecord(b, ex.p, ex.n);
    free(ex.p);
}

void buf_put_cifar_record(struct buf *b, uint8_t label, const uint8_t *chw)
{
    buf_put(b, &label, 1);
    buf_put(b, chw, 3072);
}

void buf_put_idx(struct buf *b, unsigned nd, const uint32_t *dims, const uint8_t *values)
{
    uint8_t h[4] = {0, 0, 0x08, (uint8_t)nd};
    buf_put(b, h, 4);
    size_t count = 1;
    for (unsigned i = 0; i < nd; i++) {
        uint8_t d[4] = {(uint8_t)(dims[i] >> 24), (uint8_t)(dims[i] >> 16), (uint8_t)(dims[i] >> 8), (uint8_t)dims[i]};
        buf_put(b, d, 4);
        count *= dims[i];
    }
    buf_put(b, values, count);
}

uint8_t *imagegen_jpeg(const uint8_t *px, unsigned w, unsigned h, int comps, int quality, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long n = 0;
    jpeg_mem_dest(&c, &mem, &n);
    c.image_width = w;
    c.image_height = h;
    c.input_components = comps;
    c.in_color_space = comps == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < h) {
        JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * w * (size_t)comps);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = n;
    return mem;
}
