/*
 * fuzz_object_detection_record.c: libFuzzer target for an im2rec image
 * record payload (algorithms/codec/im2rec.c) and its packed detection labels
 * (algorithms/object_detection/labels.c), from an exact-size heap copy.  A
 * payload that parses must split exactly into header, labels and image
 * inside the input; decoded objects must have a class in range and a
 * non-empty box inside [0, 1]; a refusal must say why.  The first input
 * byte also picks label_width and num_classes, so their checks run too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/im2rec.h"
#include "object_detection/labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct im2rec_record r;
    char err[512];
    err[0] = 0;
    if (im2rec_parse(buf, size, &r, err, sizeof(err)) != 0) {
        if (!err[0])
            abort();
        free(buf);
        return 0;
    }
    if (r.n_labels != r.flag || r.labels != buf + IM2REC_HEADER_BYTES ||
        r.image != r.labels + 4 * r.n_labels || IM2REC_HEADER_BYTES + 4 * r.n_labels + r.image_len != size)
        abort();
    size_t label_width = size ? (data[0] & 1 ? 0 : (size_t)(data[0] >> 1)) : 0;
    int num_classes = size ? (data[0] & 2 ? 0 : 1 + (data[0] >> 4)) : 0;
    struct od_labels l;
    err[0] = 0;
    if (od_labels_decode(&r, label_width, num_classes, &l, err, sizeof(err)) == 0) {
        if (l.n > r.n_labels / 5 + 1 || (label_width && r.n_labels > label_width))
            abort();
        for (size_t i = 0; i < l.n; i++) {
            const struct od_object *o = &l.obj[i];
            if (o->cls < 0 || (num_classes && o->cls >= num_classes) || !(o->box.xmin >= 0.0f) ||
                !(o->box.xmin < o->box.xmax) || !(o->box.xmax <= 1.0f) || !(o->box.ymin >= 0.0f) ||
                !(o->box.ymin < o->box.ymax) || !(o->box.ymax <= 1.0f))
                abort();
        }
        od_labels_free(&l);
    } else if (!err[0] || l.obj || l.n) {
        abort();
    }
    free(buf);
    return 0;
}
