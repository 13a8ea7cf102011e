/*
 * labels.c: im2rec packed detection labels to normalised objects, every
 * inconsistency refused with the record id (labels.h).
 */
#include "labels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_count(float v, float lo)
{
    return isfinite(v) && v >= lo && v <= 1e7f && v == floorf(v);
}

int od_labels_decode(const struct im2rec_record *r, size_t label_width, int num_classes, struct od_labels *out,
                     char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    unsigned long long id = (unsigned long long)r->id;
    size_t n = r->n_labels;
    if (n == 0) {
        snprintf(err, errsz, "record id %llu has no label array (header flag 0): pack detection labels with "
                 "im2rec.py --pack-label", id);
        return -1;
    }
    if (label_width > 0 && n > label_width) {
        snprintf(err, errsz, "Invalid parameter value 'label_width' (%zu): record id %llu packs %zu labels; "
                 "set label_width to at least %zu", label_width, id, n, n);
        return -1;
    }
    float A = im2rec_label(r, 0), B = n > 1 ? im2rec_label(r, 1) : 0.0f;
    if (n < 2 || !is_count(A, 2.0f) || !is_count(B, 5.0f) || (size_t)A > n || (n - (size_t)A) % (size_t)B != 0) {
        snprintf(err, errsz, "Not enough label packed in img_list or rec file. (record id %llu: %zu labels, "
                 "header width %g, object width %g; expected [2, 5, class, xmin, ymin, xmax, ymax, ...])",
                 id, n, n > 0 ? (double)A : 0.0, (double)B);
        return -1;
    }
    size_t a = (size_t)A, b = (size_t)B, count = (n - a) / b;
    out->obj = malloc((count ? count : 1) * sizeof(*out->obj));
    if (!out->obj) {
        snprintf(err, errsz, "record id %llu: out of memory for %zu objects", id, count);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        size_t at = a + i * b;
        float v[5];
        for (int k = 0; k < 5; k++)
            v[k] = im2rec_label(r, at + (size_t)k);
        if (v[0] == -1.0f)
            continue;
        if (!is_count(v[0], 0.0f) || (num_classes > 0 && v[0] >= (float)num_classes)) {
            snprintf(err, errsz, "record id %llu object %zu: class %g is not an integer in [0, %d)", id, i,
                     (double)v[0], num_classes > 0 ? num_classes : 10000000);
            od_labels_free(out);
            return -1;
        }
        int ok = 1;
        for (int k = 1; k < 5; k++)
            ok &= isfinite(v[k]) && v[k] >= -OD_LABEL_SLACK && v[k] <= 1.0f + OD_LABEL_SLACK;
        if (!ok) {
            snprintf(err, errsz, "record id %llu object %zu: box (%g, %g, %g, %g) is outside the image (corners "
                     "are fractions of its width and height, in [0, 1])", id, i, (double)v[1], (double)v[2],
                     (double)v[3], (double)v[4]);
            od_labels_free(out);
            return -1;
        }
        struct od_box bx = od_clip((struct od_box){v[1], v[2], v[3], v[4]});
        if (!(bx.xmax > bx.xmin && bx.ymax > bx.ymin)) {
            snprintf(err, errsz, "record id %llu object %zu: empty box (xmin %g, ymin %g, xmax %g, ymax %g; "
                     "need xmin < xmax and ymin < ymax)", id, i, (double)v[1], (double)v[2], (double)v[3],
                     (double)v[4]);
            od_labels_free(out);
            return -1;
        }
        out->obj[out->n].cls = (int)v[0];
        out->obj[out->n].box = bx;
        out->n++;
    }
    return 0;
}

void od_labels_free(struct od_labels *l)
{
    free(l->obj);
    l->obj = NULL;
    l->n = 0;
}
