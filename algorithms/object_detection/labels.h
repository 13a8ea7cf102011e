/*
 * labels.h: a packed detection label array (im2rec.py --pack-label,
 * ALGORITHMS.md D.2) to objects: [A, B, extra header (A - 2 values), then
 * per object B values: class, xmin, ymin, xmax, ymax (, more when B > 5,
 * ignored)], corners as fractions of the image.  An object of class -1 is
 * padding (MXNet pads label arrays with -1) and is skipped.
 */
#ifndef OPTML_OD_LABELS_H
#define OPTML_OD_LABELS_H

#include <stddef.h>

#include "box.h"
#include "codec/im2rec.h"

/* Corners may stray this far outside [0, 1] (rounding in .lst files) and
 * are then clipped; further is refused. */
#define OD_LABEL_SLACK 1e-3f

struct od_labels {
    struct od_object *obj;          /* malloc; od_labels_free */
    size_t n;
};

/* The objects of record r.  label_width > 0: the label_width hyperparameter,
 * refused when the record packs more labels; num_classes > 0: class ids must
 * be below it.  Returns 0, or -1 with a one-line message naming the record
 * id in err: no label array, `Not enough label packed in img_list or rec
 * file.` for a header or object count that does not fit, `Invalid parameter
 * value 'label_width'` when it is too small, a class or corner out of range,
 * an empty box, out of memory. */
int od_labels_decode(const struct im2rec_record *r, size_t label_width, int num_classes, struct od_labels *out,
                     char *err, size_t errsz);

void od_labels_free(struct od_labels *l);

#endif
