/*
 * dataset.c: an object-detection channel as a stream of samples
 * (dataset.h): the RecordIO / image + JSON choice, pairing images with
 * their JSON by stem, and per sample the parse, decode, checks and resize.
 */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotation.h"
#include "codec/im2rec.h"
#include "codec/image_decode.h"
#include "labels.h"
#include "manifest.h"

/* An image and its JSON: indexes into the channels' file lists. */
struct od_pair {
    size_t img, ann;
};

struct od_dataset {
    optml_ctx *ctx;
    const optml_channel *images, *annotations;
    struct od_dataset_opts o;
    enum od_layout layout;
    const char *const *img_names;
    const char *const *ann_names;
    struct od_pair *pairs;          /* in the image channel's order */
    size_t n_pairs, skipped_img, skipped_ann;
    size_t *recs, n_recs;           /* RecordIO in File mode: the files read */
};

struct od_pass {
    optml_ctx *ctx;
    struct od_dataset *ds;
    optml_reader *rd;               /* RecordIO */
    size_t next;                    /* image + JSON: the next pair; RecordIO in File mode: the next file */
    struct img_u8 img;              /* the current sample's resized pixels */
    struct od_labels labels;        /* RecordIO objects */
    struct od_annotation ann;       /* image + JSON objects */
    char *source;                   /* image + JSON: "<channel>/<path>" */
    int manifest;                   /* RecordIO: the stream is augmented-manifest pairs (-1: not known yet) */
    uint64_t row;                   /* augmented manifest: pairs read from the stream */
    uint8_t *copy;                  /* augmented manifest: the image record, kept while the label is read */
    size_t copy_cap;
};

static int is_image_type(const char *t)
{
    return strcmp(t, "image/jpeg") == 0 || strcmp(t, "image/png") == 0 || strcmp(t, "application/x-image") == 0;
}

/* The stem of a relative path: its last component without the last
 * extension ("a/b.x.jpg" -> "b.x"), as [*start, *start + *len). */
static void stem_of(const char *path, const char **start, size_t *len)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    *start = b;
    *len = dot && dot != b ? (size_t)(dot - b) : strlen(b);
}


static int ends_with(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n > k && strcmp(path + n - k, suffix) == 0;
}

struct stem_ref {
    const char *s;
    size_t len, index;
};

static int stem_cmp(const void *a, const void *b)
{
    const struct stem_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int pair_cmp(const void *a, const void *b)
{
    const struct od_pair *x = a, *y = b;
    return x->img < y->img ? -1 : x->img > y->img;
}

/* Stems of names[0..n) (only .json names when json_only; the others
 * counted in *other), sorted; two equal stems are a ClientError. */
static optml_status stems(optml_ctx *ctx, const char *channel, const char *const *names, size_t n, int json_only,
                          struct stem_ref **out, size_t *count, size_t *other)
{
    struct stem_ref *r = malloc((n ? n : 1) * sizeof(*r));
    if (!r)
        return optml_error(ctx, OPTML_E_INTERNAL, "out of memory listing channel %s", channel);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (json_only && !ends_with(names[i], ".json")) {
            (*other)++;
            continue;
        }
        stem_of(names[i], &r[k].s, &r[k].len);
        r[k++].index = i;
    }
    qsort(r, k, sizeof(*r), stem_cmp);
    for (size_t i = 1; i < k; i++)
        if (r[i].len == r[i - 1].len && memcmp(r[i].s, r[i - 1].s, r[i].len) == 0) {
            optml_status s = optml_error(ctx, OPTML_E_CLIENT,
                                         "channel %s: %s and %s have the same name stem '%.*s': images and their "
                                         "JSON annotations are paired by file name, so each stem must be unique",
                                         channel, names[r[i - 1].index], names[r[i].index], (int)r[i].len, r[i].s);
            free(r);
            return s;
        }
    *out = r;
    *count = k;
    return OPTML_OK;
}

/* RecordIO in File mode: every file but im2rec's .idx and .lst, which may
 * sit beside the .rec. */
static optml_status plan_recordio(optml_ctx *ctx, struct od_dataset *ds)
{
    const char *name = optml_channel_name(ds->images);
    size_t n = 0;
    optml_status s = optml_channel_files(ctx, ds->images, &ds->img_names, &n);
    if (s != OPTML_OK)
        return s;
    if (!(ds->recs = malloc((n ? n : 1) * sizeof(*ds->recs))))
        return optml_error(ctx, OPTML_E_INTERNAL, "out of memory listing channel %s", name);
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ends_with(ds->img_names[i], ".idx") || ends_with(ds->img_names[i], ".lst")) {
            if (!first)
                first = ds->img_names[i];
            ds->skipped_img++;
            continue;
        }
        ds->recs[ds->n_recs++] = i;
    }
    if (ds->skipped_img)
        optml_log(ctx, OPTML_LOG_WARNING, "channel %s: %zu im2rec index or list file(s) not read (first: %s)", name,
                  ds->skipped_img, first);
    if (ds->n_recs == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "channel %s has no RecordIO file (%zu files, none but .idx and .lst)",
                           name, n);
    return OPTML_OK;
}

static optml_status pair_channels(optml_ctx *ctx, struct od_dataset *ds)
{
    const char *ic = optml_channel_name(ds->images), *ac = optml_channel_name(ds->annotations);
    size_t ni = 0, na = 0;
    optml_status s = optml_channel_files(ctx, ds->images, &ds->img_names, &ni);
    if (s == OPTML_OK)
        s = optml_channel_files(ctx, ds->annotations, &ds->ann_names, &na);
    if (s != OPTML_OK)
        return s;
    struct stem_ref *si = NULL, *sa = NULL;
    size_t ki = 0, ka = 0, other = 0;
    s = stems(ctx, ic, ds->img_names, ni, 0, &si, &ki, &other);
    if (s == OPTML_OK)
        s = stems(ctx, ac, ds->ann_names, na, 1, &sa, &ka, &other);
    if (s == OPTML_OK && !(ds->pairs = malloc((ki < ka ? ki : ka) * sizeof(*ds->pairs) + 1)))
        s = optml_error(ctx, OPTML_E_INTERNAL, "out of memory pairing channels %s and %s", ic, ac);
    const char *first_img = NULL, *first_ann = NULL;
    size_t i = 0, j = 0;
    while (s == OPTML_OK && (i < ki || j < ka)) {
        int c;
        if (i == ki)
            c = 1;
        else if (j == ka)
            c = -1;
        else {
            struct stem_ref x = si[i], y = sa[j];
            x.index = y.index = 0;
            c = stem_cmp(&x, &y);
        }
        if (c == 0) {
            ds->pairs[ds->n_pairs++] = (struct od_pair){si[i].index, sa[j].index};
            i++, j++;
        } else if (c < 0) {
            if (!first_img)
                first_img = ds->img_names[si[i].index];
            ds->skipped_img++, i++;
        } else {
            if (!first_ann)
                first_ann = ds->ann_names[sa[j].index];
            ds->skipped_ann++, j++;
        }
    }
    free(si);
    free(sa);
    if (s != OPTML_OK)
        return s;
    ds->skipped_ann += other;
    qsort(ds->pairs, ds->n_pairs, sizeof(*ds->pairs), pair_cmp);
    if (ds->skipped_img)
        optml_log(ctx, OPTML_LOG_WARNING,
                  "channel %s: %zu image(s) without a JSON of the same name in %s skipped (first: %s)", ic,
                  ds->skipped_img, ac, first_img);
    if (ds->skipped_ann)
        optml_log(ctx, OPTML_LOG_WARNING,
                  "channel %s: %zu file(s) that are not the JSON of an image in %s skipped (first: %s)", ac,
                  ds->skipped_ann, ic, first_ann ? first_ann : "a file not named *.json");
    if (ds->n_pairs == 0)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "channel %s: no image has its annotation in channel %s (%zu images, %zu files there): "
                           "each image x.jpg or x.png needs a JSON x.json",
                           ic, ac, ni, na);
    return OPTML_OK;
}

optml_status od_dataset_open(optml_ctx *ctx, const optml_channel *images, const optml_channel *annotations,
                             const struct od_dataset_opts *o, struct od_dataset **out)
{
    *out = NULL;
    if (!images || o->image_shape == 0)
        return optml_error(ctx, OPTML_E_INTERNAL, "od_dataset_open: no channel or image_shape 0");
    struct od_dataset *ds = calloc(1, sizeof(*ds));
    if (!ds)
        return optml_error(ctx, OPTML_E_INTERNAL, "out of memory");
    ds->ctx = ctx;
    ds->images = images;
    ds->annotations = annotations;
    ds->o = *o;
    if (!ds->o.max_pixels)
        ds->o.max_pixels = OD_DATASET_MAX_PIXELS;
    const char *name = optml_channel_name(images);
    const char *type = optml_channel_content_type(images);
    optml_status s = OPTML_OK;
    if (type && strcmp(type, "application/x-recordio") == 0) {
        ds->layout = OD_LAYOUT_RECORDIO;
        if (annotations)
            s = optml_error(ctx, OPTML_E_CLIENT,
                            "channel %s is application/x-recordio: its labels are in the records, so channel %s "
                            "is not used; give the images as image/jpeg or image/png to pair them with it",
                            name, optml_channel_name(annotations));
        else if (optml_channel_mode(images) != OPTML_MODE_PIPE)
            s = plan_recordio(ctx, ds);
    } else if (type && is_image_type(type)) {
        ds->layout = OD_LAYOUT_IMAGE_JSON;
        if (optml_channel_mode(images) == OPTML_MODE_PIPE)
            s = optml_error(ctx, OPTML_E_CLIENT,
                            "channel %s: images with JSON annotations are read in File mode only; in Pipe mode "
                            "give application/x-recordio (im2rec records, or an augmented manifest with "
                            "RecordWrapperType RecordIO)",
                            name);
        else if (!annotations)
            s = optml_error(ctx, OPTML_E_CLIENT,
                            "channel %s is %s: it needs the channel %s_annotation with one JSON per image "
                            "(x.jpg <-> x.json)",
                            name, type, name);
        else if (optml_channel_mode(annotations) == OPTML_MODE_PIPE)
            s = optml_error(ctx, OPTML_E_CLIENT, "channel %s: JSON annotations are read in File mode only",
                            optml_channel_name(annotations));
        else
            s = pair_channels(ctx, ds);
    } else {
        s = optml_error(ctx, OPTML_E_CLIENT,
                        "channel %s: content type '%s' is not one object detection reads: "
                        "application/x-recordio, or image/jpeg, image/png, application/x-image with JSON "
                        "annotations",
                        name, type ? type : "");
    }
    if (s != OPTML_OK) {
        od_dataset_close(ds);
        return s;
    }
    *out = ds;
    return OPTML_OK;
}

enum od_layout od_dataset_layout(const struct od_dataset *ds)
{
    return ds->layout;
}

size_t od_dataset_skipped_images(const struct od_dataset *ds)
{
    return ds->skipped_img;
}

size_t od_dataset_skipped_annotations(const struct od_dataset *ds)
{
    return ds->skipped_ann;
}

size_t od_dataset_pairs(const struct od_dataset *ds)
{
    return ds->n_pairs;
}

void od_dataset_close(struct od_dataset *ds)
{
    if (!ds)
        return;
    free(ds->pairs);
    free(ds->recs);
    free(ds);
}

/* ------------------------------------------------------------------ pass */

optml_status od_pass_open(optml_ctx *ctx, struct od_dataset *ds, struct od_pass **out)
{
    *out = NULL;
    struct od_pass *p = calloc(1, sizeof(*p));
    if (!p)
        return optml_error(ctx, OPTML_E_INTERNAL, "out of memory");
    p->ctx = ctx;
    p->ds = ds;
    p->manifest = -1;
    if (ds->layout == OD_LAYOUT_RECORDIO && optml_channel_mode(ds->images) == OPTML_MODE_PIPE) {
        optml_status s = optml_channel_open(ctx, ds->images, OPTML_FRAME_RECORDIO, &p->rd);
        if (s != OPTML_OK) {
            free(p);
            return s;
        }
    }
    *out = p;
    return OPTML_OK;
}

/* Frees what the previous sample held. */
static void sample_reset(struct od_pass *p)
{
    img_free(&p->img);
    od_labels_free(&p->labels);
    od_annotation_free(&p->ann);
    free(p->source);
    p->source = NULL;
}

/* bytes -> 3-channel pixels resized into p->img; err names nothing (the
 * caller prefixes the file or record). */
static int decode_resize(struct od_pass *p, const uint8_t *bytes, size_t len, size_t *w, size_t *h, char *err,
                         size_t errsz)
{
    return od_decode_rgb(bytes, len, p->ds->o.max_pixels, p->ds->o.image_shape, &p->img, w, h, err, errsz);
}

/* The augmented manifest's pair whose image record is *rec (manifest.h):
 * the label record is the stream's next. */
static optml_status next_manifest_pair(struct od_pass *p, struct optml_record *rec, struct od_sample *out)
{
    const struct od_dataset *ds = p->ds;
    const char *source = rec->source;
    uint64_t number = rec->number, row = ++p->row;
    if (rec->len > p->copy_cap) {
        uint8_t *c = realloc(p->copy, rec->len);
        if (!c)
            return optml_error(p->ctx, OPTML_E_INTERNAL, "out of memory reading %s record %llu", source,
                               (unsigned long long)number);
        p->copy = c, p->copy_cap = rec->len;
    }
    size_t img_len = rec->len;
    if (img_len)
        memcpy(p->copy, rec->data, img_len);
    struct optml_record lab;
    optml_status s = optml_reader_next(p->rd, &lab);
    if (s == OPTML_END)
        return optml_error(p->ctx, OPTML_E_CLIENT,
                           "%s record %llu (augmented manifest row %llu): the stream ends after the image, without "
                           "its label record: each row gives two records, the image then its label JSON",
                           source, (unsigned long long)number, (unsigned long long)row);
    if (s != OPTML_OK)
        return s;
    char err[512];
    size_t w, h;
    if (od_manifest_pair(p->copy, img_len, lab.data, lab.len, ds->o.num_classes, ds->o.max_pixels,
                         ds->o.image_shape, &p->img, &p->ann, &w, &h, err, sizeof(err)) != 0)
        return optml_error(p->ctx, OPTML_E_CLIENT, "%s records %llu and %llu (augmented manifest row %llu): %s", source,
                           (unsigned long long)number, (unsigned long long)lab.number, (unsigned long long)row, err);
    *out = (struct od_sample){.px = p->img.px, .side = ds->o.image_shape, .width = w, .height = h,
                              .obj = p->ann.obj, .n_obj = p->ann.n_obj, .source = source,
                              .number = number, .id = row};
    return OPTML_OK;
}

static optml_status next_record(struct od_pass *p, struct od_sample *out)
{
    struct optml_record rec;
    optml_status s;
    const struct od_dataset *ds = p->ds;
    for (;;) {   /* File mode: file after file */
        if (!p->rd) {
            if (p->next >= ds->n_recs)
                return OPTML_END;
            const char *path = optml_channel_file_path(ds->images, ds->recs[p->next++]);
            if ((s = optml_file_open(p->ctx, path, OPTML_FRAME_RECORDIO, &p->rd)) != OPTML_OK)
                return s;
            p->manifest = -1, p->row = 0;
        }
        s = optml_reader_next(p->rd, &rec);
        if (s != OPTML_END || optml_channel_mode(ds->images) == OPTML_MODE_PIPE)
            break;
        optml_reader_close(p->rd);
        p->rd = NULL;
    }
    if (s != OPTML_OK)
        return s;
    if (optml_channel_mode(ds->images) != OPTML_MODE_PIPE)
        rec.source = ds->img_names[ds->recs[p->next - 1]];
    if (p->manifest < 0) /* a stream's first record says what it holds */
        p->manifest = od_record_kind(rec.data, rec.len) != OD_RECORD_OTHER;
    if (p->manifest)
        return next_manifest_pair(p, &rec, out);
    char err[512];
    struct im2rec_record r;
    if (im2rec_parse(rec.data, rec.len, &r, err, sizeof(err)) != 0 ||
        od_labels_decode(&r, p->ds->o.label_width, p->ds->o.num_classes, &p->labels, err, sizeof(err)) != 0)
        return optml_error(p->ctx, OPTML_E_CLIENT, "%s record %llu: %s", rec.source,
                           (unsigned long long)rec.number, err);
    size_t w, h;
    if (decode_resize(p, r.image, r.image_len, &w, &h, err, sizeof(err)) != 0)
        return optml_error(p->ctx, OPTML_E_CLIENT, "%s record %llu (id %llu): image: %s", rec.source,
                           (unsigned long long)rec.number, (unsigned long long)r.id, err);
    *out = (struct od_sample){.px = p->img.px, .side = p->ds->o.image_shape, .width = w, .height = h,
                              .obj = p->labels.obj, .n_obj = p->labels.n, .source = rec.source,
                              .number = rec.number, .id = r.id};
    return OPTML_OK;
}

/* The whole file `index` of `ch` into *data (valid until the reader
 * closes). */
static optml_status read_whole(optml_ctx *ctx, const optml_channel *ch, size_t index, optml_reader **rd,
                               struct optml_record *rec)
{
    optml_status s = optml_file_open(ctx, optml_channel_file_path(ch, index), OPTML_FRAME_FILE, rd);
    if (s != OPTML_OK)
        return s;
    s = optml_reader_next(*rd, rec);
    if (s == OPTML_END) {
        rec->data = (const unsigned char *)"";
        rec->len = 0;
        s = OPTML_OK;
    }
    return s;
}

static optml_status next_pair(struct od_pass *p, struct od_sample *out)
{
    struct od_dataset *ds = p->ds;
    if (p->next >= ds->n_pairs)
        return OPTML_END;
    if (optml_should_stop(p->ctx))
        return OPTML_STOPPED;
    const struct od_pair *pr = &ds->pairs[p->next++];
    const char *ic = optml_channel_name(ds->images), *ac = optml_channel_name(ds->annotations);
    const char *iname = ds->img_names[pr->img], *aname = ds->ann_names[pr->ann];
    size_t sl = strlen(ic) + strlen(iname) + 2, al = strlen(ac) + strlen(aname) + 2;
    char *jname = malloc(al);
    p->source = malloc(sl);
    if (!jname || !p->source) {
        free(jname);
        return optml_error(p->ctx, OPTML_E_INTERNAL, "out of memory");
    }
    snprintf(p->source, sl, "%s/%s", ic, iname);
    snprintf(jname, al, "%s/%s", ac, aname);

    char err[512];
    optml_reader *rd = NULL;
    struct optml_record rec;
    optml_status s = read_whole(p->ctx, ds->annotations, pr->ann, &rd, &rec);
    if (s == OPTML_OK && od_annotation_parse((const char *)rec.data, rec.len, jname, ds->o.num_classes, &p->ann, err,
                                             sizeof(err)) != 0)
        s = optml_error(p->ctx, OPTML_E_CLIENT, "%s", err);
    optml_reader_close(rd);
    rd = NULL;
    size_t w = 0, h = 0;
    if (s == OPTML_OK) {
        s = read_whole(p->ctx, ds->images, pr->img, &rd, &rec);
        if (s == OPTML_OK && decode_resize(p, rec.data, rec.len, &w, &h, err, sizeof(err)) != 0)
            s = optml_error(p->ctx, OPTML_E_CLIENT, "%s: %s", p->source, err);
        optml_reader_close(rd);
    }
    if (s == OPTML_OK && (w != p->ann.width || h != p->ann.height))
        s = optml_error(p->ctx, OPTML_E_CLIENT,
                        "%s is %zu x %zu pixels but %s gives image_size %u x %u: the boxes are pixels of that size",
                        p->source, w, h, jname, p->ann.width, p->ann.height);
    free(jname);
    if (s != OPTML_OK)
        return s;
    *out = (struct od_sample){.px = p->img.px, .side = ds->o.image_shape, .width = w, .height = h,
                              .obj = p->ann.obj, .n_obj = p->ann.n_obj, .source = p->source,
                              .number = p->next, .id = 0};
    return OPTML_OK;
}

optml_status od_pass_next(struct od_pass *p, struct od_sample *s)
{
    sample_reset(p);
    return p->ds->layout == OD_LAYOUT_RECORDIO ? next_record(p, s) : next_pair(p, s);
}

void od_pass_close(struct od_pass *p)
{
    if (!p)
        return;
    sample_reset(p);
    optml_reader_close(p->rd);
    free(p->copy);
    free(p);
}
