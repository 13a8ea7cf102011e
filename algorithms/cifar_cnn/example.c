/*
 * example.c: one TFRecord payload, a tf.train.Example, to an 8-bit HWC
 * image and its label (cc_decode_example; data.h says which layouts).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/data.h"
#include "codec/pixels.h"
#include "codec/tf_example.h"

/* An optional int64 feature: 0 absent, 1 read into *v, -1 malformed. */
static int opt_int(const struct tfex_feature *f, int64_t *v, char *err, size_t errsz)
{
    if (!f->present)
        return 0;
    size_t n = 0;
    if (tfex_int64s(f, v, 1, &n, err, errsz) != 0)
        return -1;
    if (n != 1) {
        snprintf(err, errsz, "feature '%s' holds %zu values, expected one int64", f->key, n);
        return -1;
    }
    return 1;
}

static uint32_t isqrt(size_t n)
{
    size_t r = 0;
    while ((r + 1) * (r + 1) <= n && r < CC_MAX_SIDE + 1)
        r++;
    return (uint32_t)r;
}

int cc_decode_example(const uint8_t *payload, size_t len, uint8_t **hwc, size_t *cap, struct cc_shape *shape,
                      int64_t *label, char *err, size_t errsz)
{
    static const char *const KEYS[] = {"image", "label", "height", "width", "depth"};
    struct tfex_feature f[5];
    if (tfex_find(payload, len, KEYS, 5, f, err, errsz) != 0)
        return -1;
    if (!f[0].present || !f[1].present) {
        snprintf(err, errsz, "the tf.train.Example has no '%s' feature (expected 'image': raw uint8 bytes and "
                 "'label': int64)", f[0].present ? "label" : "image");
        return -1;
    }
    const uint8_t *img = NULL;
    size_t bytes = 0, count = 0;
    if (f[0].kind != TFEX_BYTES) {
        snprintf(err, errsz, "feature 'image' is not a bytes_list (expected the raw uint8 pixels)");
        return -1;
    }
    if (tfex_bytes(&f[0], 0, &img, &bytes, &count, err, errsz) != 0)
        return -1;
    if (count != 1) {
        snprintf(err, errsz, "feature 'image' holds %zu values, expected one byte string", count);
        return -1;
    }
    if (f[1].kind != TFEX_INT64) {
        snprintf(err, errsz, "feature 'label' is not an int64_list");
        return -1;
    }
    if (opt_int(&f[1], label, err, errsz) != 1)
        return -1;
    int64_t h = 0, w = 0, d = 0;
    int hh = opt_int(&f[2], &h, err, errsz), ww = opt_int(&f[3], &w, err, errsz), dd = opt_int(&f[4], &d, err, errsz);
    if (hh < 0 || ww < 0 || dd < 0)
        return -1;
    int planar = 0;
    if (hh || ww || dd) {
        if (!hh || !ww) {
            snprintf(err, errsz, "the Example gives %s but not %s", hh ? "height" : "width", hh ? "width" : "height");
            return -1;
        }
        if (!dd)
            d = 1;
        if (h < 1 || h > CC_MAX_SIDE || w < 1 || w > CC_MAX_SIDE || d < 1 || d > CC_MAX_CHANNELS) {
            snprintf(err, errsz, "image shape %" PRId64 "x%" PRId64 "x%" PRId64 " is outside 1..%d x 1..%d x 1..%d",
                     h, w, d, CC_MAX_SIDE, CC_MAX_SIDE, CC_MAX_CHANNELS);
            return -1;
        }
        if ((uint64_t)h * (uint64_t)w * (uint64_t)d != bytes) {
            snprintf(err, errsz, "image of %zu bytes, but height x width x depth = %" PRId64 "x%" PRId64 "x%" PRId64
                     " = %" PRId64 " bytes", bytes, h, w, d, h * w * d);
            return -1;
        }
    } else if (bytes == CIFAR_PIXELS) {
        h = w = CIFAR_SIDE, d = CIFAR_CHANNELS, planar = 1;
    } else {
        uint32_t s3 = isqrt(bytes / 3), s1 = isqrt(bytes);
        if (bytes % 3 == 0 && (size_t)s3 * s3 * 3 == bytes && s3 >= 1 && s3 <= CC_MAX_SIDE)
            h = w = s3, d = 3, planar = 1;
        else if ((size_t)s1 * s1 == bytes && s1 >= 1 && s1 <= CC_MAX_SIDE)
            h = w = s1, d = 1;
        else {
            snprintf(err, errsz, "image of %zu bytes is not a square of 3 or 1 channels; add int64 features "
                     "'height', 'width' and 'depth' (the bytes then in height x width x depth order)", bytes);
            return -1;
        }
    }
    if (bytes > *cap) {
        uint8_t *nb = realloc(*hwc, bytes);
        if (!nb) {
            snprintf(err, errsz, "out of memory for a %zu-byte image", bytes);
            return -1;
        }
        *hwc = nb;
        *cap = bytes;
    }
    if (planar)
        pixels_chw_to_hwc(img, (size_t)h, (size_t)w, (size_t)d, *hwc);
    else
        memcpy(*hwc, img, bytes);
    *shape = (struct cc_shape){(uint32_t)h, (uint32_t)w, (uint32_t)d};
    return 0;
}
