/*
 * fuzz_object_detection_manifest.c: libFuzzer target for one augmented
 * manifest row (algorithms/object_detection/manifest.c): the image record
 * and the label JSON record, from exact-size heap copies.  Input layout:
 * byte 0 picks num_classes (0: unchecked), bytes 1-2 (little endian) the
 * image record's length (cut to what is there), then the image record,
 * then the label record.  A pair that parses must give side x side RGB
 * pixels, the image size its JSON says, classes in range and non-empty
 * boxes inside [0, 1]; a refusal must say why and leave nothing behind.
 * Images above 2^16 pixels are refused before decoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object_detection/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    int num_classes = data[0] & 1 ? 0 : 1 + (data[0] >> 1);
    size_t n1 = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3, size -= 3;
    if (n1 > size)
        n1 = size;
    size_t n2 = size - n1;
    uint8_t *img = malloc(n1 ? n1 : 1), *json = malloc(n2 ? n2 : 1);
    if (!img || !json) {
        free(img), free(json);
        return 0;
    }
    memcpy(img, data, n1);
    memcpy(json, data + n1, n2);
    enum od_record_kind k = od_record_kind(img, n1);
    if (k != OD_RECORD_IMAGE && k != OD_RECORD_JSON && k != OD_RECORD_OTHER)
        abort();
    enum { SIDE = 16 };
    struct img_u8 px;
    struct od_annotation ann;
    size_t w = 0, h = 0;
    char err[512];
    err[0] = 0;
    if (od_manifest_pair(img, n1, json, n2, num_classes, 1u << 16, SIDE, &px, &ann, &w, &h, err, sizeof(err)) == 0) {
        if (k != OD_RECORD_IMAGE || od_record_kind(json, n2) != OD_RECORD_JSON)
            abort();
        if (!px.px || px.w != SIDE || px.h != SIDE || px.c != 3 || w != ann.width || h != ann.height)
            abort();
        for (size_t i = 0; i < ann.n_obj; i++) {
            const struct od_object *o = &ann.obj[i];
            if (o->cls < 0 || (num_classes && o->cls >= num_classes) || !(o->box.xmin >= 0.0f) ||
                !(o->box.xmin < o->box.xmax) || !(o->box.xmax <= 1.0f) || !(o->box.ymin >= 0.0f) ||
                !(o->box.ymin < o->box.ymax) || !(o->box.ymax <= 1.0f))
                abort();
        }
        img_free(&px);
        od_annotation_free(&ann);
    } else if (!err[0] || px.px || ann.obj || ann.n_obj) {
        abort();
    }
    free(img), free(json);
    return 0;
}
