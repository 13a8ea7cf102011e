/*
 * annotation.h: one image + JSON annotation file (ALGORITHMS.md D.2 (b)):
 *   {"file": "dir/a.jpg", "image_size": [{"width": W, "height": H, "depth": 3}],
 *    "annotations": [{"class_id": 0, "left": x, "top": y, "width": w, "height": h}, ...],
 *    "categories": [{"class_id": 0, "name": "dog"}, ...]}        (categories optional)
 * Boxes are pixels with the origin top-left; they become normalised
 * corners.  Unknown keys are ignored, as the built-in does.
 */
#ifndef OPTML_OD_ANNOTATION_H
#define OPTML_OD_ANNOTATION_H

#include <stddef.h>

#include "box.h"

struct od_category {
    int class_id;
    char *name;
};

struct od_annotation {
    char *file;                     /* the image path, relative to its channel */
    unsigned width, height, depth;
    struct od_object *obj;          /* normalised corners */
    size_t n_obj;
    struct od_category *cat;
    size_t n_cat;
};

/* Parses text[0..len) (need not be NUL-terminated) of the annotation file
 * `name` (used in messages).  num_classes > 0: class ids must be below it.
 * Returns 0, or -1 with a one-line message starting with name in err: not
 * JSON, a missing or mistyped key, an image size that is not positive or a
 * depth other than 3, a class id that is not an integer in range, a box that
 * is empty or lies outside the image (its number, class and pixels named),
 * out of memory. */
int od_annotation_parse(const char *text, size_t len, const char *name, int num_classes, struct od_annotation *out,
                        char *err, size_t errsz);

/* The same; need_file = 0 lets "file" be absent (out->file is then ""):
 * the label attribute of an augmented manifest row, which has no "file". */
int od_annotation_parse_ex(const char *text, size_t len, const char *name, int num_classes, int need_file,
                           struct od_annotation *out, char *err, size_t errsz);

void od_annotation_free(struct od_annotation *a);

#endif
