/*
 * annotation.c: the per-image JSON annotation file to normalised objects,
 * with its image size and optional category names (annotation.h).
 */
#include "annotation.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sides and pixel coordinates above this are refused (no image is larger). */
#define OD_MAX_SIDE 1000000.0

/* A JSON number (integer or real) into *v; 0 when it is not one. */
static int num(json_t *j, double *v)
{
    if (!json_is_number(j))
        return 0;
    *v = json_number_value(j);
    return isfinite(*v);
}

/* A whole number in [lo, hi]. */
static int whole(json_t *j, double lo, double hi, long *v)
{
    double d;
    if (!num(j, &d) || d != floor(d) || d < lo || d > hi)
        return 0;
    *v = (long)d;
    return 1;
}

int od_annotation_parse_ex(const char *text, size_t len, const char *name, int num_classes, int need_file,
                           struct od_annotation *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errsz, "%s: not valid JSON: %s (line %d)", name, je.text, je.line);
        return -1;
    }
    int rc = -1;
    double maxc = num_classes > 0 ? num_classes - 1 : 1e7;
    if (!json_is_object(root)) {
        snprintf(err, errsz, "%s: not a JSON object", name);
        goto done;
    }
    json_t *file = json_object_get(root, "file");
    if ((need_file || file) && (!json_is_string(file) || json_string_length(file) == 0)) {
        snprintf(err, errsz, "%s: no \"file\" string (the image's path relative to the channel)", name);
        goto done;
    }
    json_t *sizes = json_object_get(root, "image_size");
    json_t *size0 = json_is_array(sizes) ? json_array_get(sizes, 0) : NULL;
    long w, h, depth = 3;
    if (!json_is_object(size0) || !whole(json_object_get(size0, "width"), 1, OD_MAX_SIDE, &w) ||
        !whole(json_object_get(size0, "height"), 1, OD_MAX_SIDE, &h)) {
        snprintf(err, errsz, "%s: \"image_size\" must be [{\"width\": W, \"height\": H, \"depth\": 3}] with "
                 "positive whole W and H", name);
        goto done;
    }
    json_t *jd = json_object_get(size0, "depth");
    if (jd && (!whole(jd, 0, 1e6, &depth) || depth != 3)) {
        snprintf(err, errsz, "%s: image depth %s: only 3-channel (RGB) images are supported", name,
                 json_is_number(jd) ? "is not 3" : "is not a number");
        goto done;
    }
    json_t *anns = json_object_get(root, "annotations");
    if (!json_is_array(anns)) {
        snprintf(err, errsz, "%s: no \"annotations\" array", name);
        goto done;
    }
    size_t n = json_array_size(anns);
    out->obj = malloc((n ? n : 1) * sizeof(*out->obj));
    out->file = strdup(file ? json_string_value(file) : "");
    if (!out->obj || !out->file) {
        snprintf(err, errsz, "%s: out of memory", name);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_array_get(anns, i);
        long cls;
        double l, t, bw, bh;
        if (!json_is_object(a) || !whole(json_object_get(a, "class_id"), 0, maxc, &cls)) {
            snprintf(err, errsz, "%s: annotation %zu: \"class_id\" must be a whole number in [0, %.0f]", name, i,
                     maxc);
            goto done;
        }
        if (!num(json_object_get(a, "left"), &l) || !num(json_object_get(a, "top"), &t) ||
            !num(json_object_get(a, "width"), &bw) || !num(json_object_get(a, "height"), &bh)) {
            snprintf(err, errsz, "%s: annotation %zu (class %ld): \"left\", \"top\", \"width\" and \"height\" "
                     "must be numbers (pixels)", name, i, cls);
            goto done;
        }
        if (!(bw > 0 && bh > 0)) {
            snprintf(err, errsz, "%s: annotation %zu (class %ld): empty box (width %g, height %g pixels)", name, i,
                     cls, bw, bh);
            goto done;
        }
        if (l < 0 || t < 0 || l + bw > (double)w || t + bh > (double)h) {
            snprintf(err, errsz, "%s: annotation %zu (class %ld): box left %g, top %g, width %g, height %g lies "
                     "outside the %ldx%ld image", name, i, cls, l, t, bw, bh, w, h);
            goto done;
        }
        struct od_box b = {(float)(l / w), (float)(t / h), (float)((l + bw) / w), (float)((t + bh) / h)};
        if (!(b.xmax > b.xmin && b.ymax > b.ymin)) {
            snprintf(err, errsz, "%s: annotation %zu (class %ld): empty box (width %g, height %g pixels)", name, i,
                     cls, bw, bh);
            goto done;
        }
        out->obj[i].cls = (int)cls;
        out->obj[i].box = b;
        out->n_obj = i + 1;
    }
    json_t *cats = json_object_get(root, "categories");
    if (cats && !json_is_array(cats)) {
        snprintf(err, errsz, "%s: \"categories\" must be an array of {\"class_id\", \"name\"}", name);
        goto done;
    }
    size_t nc = json_array_size(cats);
    out->cat = calloc(nc ? nc : 1, sizeof(*out->cat));
    if (!out->cat) {
        snprintf(err, errsz, "%s: out of memory", name);
        goto done;
    }
    for (size_t i = 0; i < nc; i++) {
        json_t *c = json_array_get(cats, i), *cn = json_object_get(c, "name");
        long id;
        if (!json_is_object(c) || !whole(json_object_get(c, "class_id"), 0, maxc, &id) || !json_is_string(cn)) {
            snprintf(err, errsz, "%s: category %zu: needs a \"class_id\" whole number in [0, %.0f] and a "
                     "\"name\" string", name, i, maxc);
            goto done;
        }
        out->cat[i].class_id = (int)id;
        out->cat[i].name = strdup(json_string_value(cn));
        if (!out->cat[i].name) {
            snprintf(err, errsz, "%s: out of memory", name);
            goto done;
        }
        out->n_cat = i + 1;
    }
    out->width = (unsigned)w;
    out->height = (unsigned)h;
    out->depth = (unsigned)depth;
    rc = 0;
done:
    json_decref(root);
    if (rc != 0)
        od_annotation_free(out);
    return rc;
}

int od_annotation_parse(const char *text, size_t len, const char *name, int num_classes, struct od_annotation *out,
                        char *err, size_t errsz)
{
    return od_annotation_parse_ex(text, len, name, num_classes, 1, out, err, errsz);
}

void od_annotation_free(struct od_annotation *a)
{
    free(a->file);
    free(a->obj);
    for (size_t i = 0; i < a->n_cat; i++)
        free(a->cat[i].name);
    free(a->cat);
    memset(a, 0, sizeof(*a));
}
