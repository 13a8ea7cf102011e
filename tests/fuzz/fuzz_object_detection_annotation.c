/*
 * fuzz_object_detection_annotation.c: libFuzzer target for the image + JSON
 * annotation file (algorithms/object_detection/annotation.c), from an
 * exact-size heap copy (not NUL-terminated).  A file that parses must give
 * a positive 3-channel image size, a file name, classes in range and
 * non-empty normalised boxes inside [0, 1]; a refusal must start with the
 * file's name and leave nothing allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "object_detection/annotation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    int num_classes = size ? (data[size - 1] & 1 ? 0 : 1 + (data[size - 1] >> 4)) : 0;
    struct od_annotation a;
    char err[512];
    err[0] = 0;
    if (od_annotation_parse(buf, size, "fuzz.json", num_classes, &a, err, sizeof(err)) == 0) {
        if (!a.file || !a.file[0] || a.width == 0 || a.height == 0 || a.depth != 3 || (a.n_obj && !a.obj))
            abort();
        for (size_t i = 0; i < a.n_obj; i++) {
            const struct od_object *o = &a.obj[i];
            if (o->cls < 0 || (num_classes && o->cls >= num_classes) || !(o->box.xmin >= 0.0f) ||
                !(o->box.xmin < o->box.xmax) || !(o->box.xmax <= 1.0f) || !(o->box.ymin >= 0.0f) ||
                !(o->box.ymin < o->box.ymax) || !(o->box.ymax <= 1.0f))
                abort();
        }
        for (size_t i = 0; i < a.n_cat; i++)
            if (!a.cat[i].name || a.cat[i].class_id < 0)
                abort();
        od_annotation_free(&a);
    } else if (strncmp(err, "fuzz.json: ", 11) != 0 || a.file || a.obj || a.cat) {
        abort();
    }
    free(buf);
    return 0;
}
