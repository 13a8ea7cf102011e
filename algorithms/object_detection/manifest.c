/*
 * manifest.c: an augmented manifest's image + label record pair as a
 * sample (manifest.h), and the image decoding every layout shares.
 */
#include "manifest.h"

#include <stdio.h>
#include <string.h>

enum od_record_kind od_record_kind(const uint8_t *d, size_t len)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
        return OD_RECORD_IMAGE;
    if (len >= 8 && memcmp(d, png, 8) == 0)
        return OD_RECORD_IMAGE;
    size_t i = 0;
    while (i < len && i < 64 && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
        i++;
    return i < len && d[i] == '{' ? OD_RECORD_JSON : OD_RECORD_OTHER;
}

int od_decode_rgb(const uint8_t *bytes, size_t len, size_t max_pixels, size_t side, struct img_u8 *img, size_t *w,
                  size_t *h, char *err, size_t errsz)
{
    struct img_u8 full;
    memset(img, 0, sizeof(*img));
    if (img_decode(bytes, len, max_pixels, 0, &full, err, errsz) != 0)
        return -1;
    *w = full.w;
    *h = full.h;
    if (full.c != 3) {
        snprintf(err, errsz, "a %zu-channel (grayscale) %zu x %zu image: only 3-channel (RGB) images are supported",
                 full.c, full.w, full.h);
        img_free(&full);
        return -1;
    }
    int rc = img_resize_bilinear(&full, side, side, img);
    img_free(&full);
    if (rc != 0)
        snprintf(err, errsz, "out of memory resizing the image");
    return rc;
}

static const char *kind_name(enum od_record_kind k)
{
    return k == OD_RECORD_IMAGE ? "an image" : k == OD_RECORD_JSON ? "JSON" : "neither an image nor JSON";
}

int od_manifest_pair(const uint8_t *img, size_t img_len, const uint8_t *json, size_t json_len, int num_classes,
                     size_t max_pixels, size_t side, struct img_u8 *px, struct od_annotation *ann, size_t *w,
                     size_t *h, char *err, size_t errsz)
{
    memset(px, 0, sizeof(*px));
    memset(ann, 0, sizeof(*ann));
    enum od_record_kind ki = od_record_kind(img, img_len), kj = od_record_kind(json, json_len);
    if (ki != OD_RECORD_IMAGE || kj != OD_RECORD_JSON) {
        if (ki == OD_RECORD_JSON && kj == OD_RECORD_IMAGE)
            snprintf(err, errsz, "the label JSON comes before the image: AttributeNames must list the image "
                     "attribute first, e.g. [\"source-ref\", \"bounding-box\"]");
        else if (ki != OD_RECORD_IMAGE)
            snprintf(err, errsz, "the image record (the row's first attribute, e.g. source-ref) is %s, not JPEG or "
                     "PNG bytes", kind_name(ki));
        else
            snprintf(err, errsz, "the label record (the row's second attribute, e.g. bounding-box) is %s, not a "
                     "JSON object", kind_name(kj));
        return -1;
    }
    char sub[400];
    if (od_annotation_parse_ex((const char *)json, json_len, "label JSON", num_classes, 0, ann, sub, sizeof(sub)) != 0) {
        snprintf(err, errsz, "%s", sub);
        return -1;
    }
    if (od_decode_rgb(img, img_len, max_pixels, side, px, w, h, sub, sizeof(sub)) != 0) {
        snprintf(err, errsz, "image: %s", sub);
        od_annotation_free(ann);
        return -1;
    }
    if (*w != ann->width || *h != ann->height) {
        snprintf(err, errsz, "the image is %zu x %zu pixels but the label JSON gives image_size %u x %u: the boxes "
                 "are pixels of that size", *w, *h, ann->width, ann->height);
        od_annotation_free(ann);
        img_free(px);
        return -1;
    }
    return 0;
}
