/*
 * dataset.h: one object-detection channel read as training samples
 * (ALGORITHMS.md D.2): each a decoded RGB image resized to image_shape x
 * image_shape and its objects (class ids, normalised corners), one at a
 * time, so memory does not grow with the data set.  Two layouts, chosen by
 * the channel's content type:
 *   - application/x-recordio: MXNet RecordIO framing (the runtime's reader,
 *     File mode and Pipe mode alike), each payload an im2rec record
 *     (codec/im2rec.h, labels.h) with JPEG or PNG bytes; in File mode every
 *     file of the channel but im2rec's .idx and .lst files.  A stream (a
 *     file, or the pass's FIFO) whose first record is JPEG or PNG bytes (or
 *     JSON) is an augmented manifest instead (manifest.h): records in
 *     pairs, the image then its label JSON;
 *   - image/jpeg, image/png, application/x-image (File mode): the channel's
 *     images paired by file stem (`a/x.jpg` <-> `x.json`) with the JSON
 *     files of its annotation channel (`train` <-> `train_annotation`,
 *     annotation.h).  A file without its partner is skipped and counted, as
 *     the built-in skips items it cannot use, with one warning per channel.
 * Every mistake in the data is a ClientError naming the file or record.
 */
#ifndef OPTML_OD_DATASET_H
#define OPTML_OD_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include <optml/algorithm.h>

#include "box.h"

/* Images of more pixels than this are refused before decoding. */
#define OD_DATASET_MAX_PIXELS ((size_t)50000000)

struct od_dataset_opts {
    size_t image_shape;     /* side of the square the images are resized to (>= 1) */
    int num_classes;        /* > 0: class ids must be below it */
    size_t label_width;     /* RecordIO: the label_width hyperparameter (0: no limit) */
    size_t max_pixels;      /* 0: OD_DATASET_MAX_PIXELS */
};

enum od_layout { OD_LAYOUT_RECORDIO, OD_LAYOUT_IMAGE_JSON };

/* One sample; everything is valid until the next od_pass_next or
 * od_pass_close on the same pass. */
struct od_sample {
    const uint8_t *px;              /* side * side * 3 bytes, RGB, rows top first */
    size_t side;                    /* = image_shape */
    size_t width, height;           /* the image as stored, before resizing */
    const struct od_object *obj;    /* normalised corners, classes from 0 */
    size_t n_obj;
    const char *source;             /* RecordIO: the file (or FIFO) name in its channel;
                                       image + JSON: "<channel>/<image path>" */
    uint64_t number;                /* RecordIO: 1-based record number in `source` (a manifest: the image
                                       record's); image + JSON: 1-based pair number */
    uint64_t id;                    /* RecordIO: the im2rec record id (a manifest: the 1-based row);
                                       image + JSON: 0 */
};

struct od_dataset;

/* Plans reading `images` (its content type says the layout).  Image +
 * JSON: `annotations` is its annotation channel (NULL: a ClientError saying
 * it is needed); both are listed and paired now, unpaired files counted and
 * warned about once.  RecordIO: `annotations` must be NULL.  Returns
 * OPTML_OK, or an error (ClientError for a content type that is neither,
 * image + JSON in Pipe mode, two images or two JSON files of one stem, no
 * pair at all). */
optml_status od_dataset_open(optml_ctx *ctx, const optml_channel *images, const optml_channel *annotations,
                             const struct od_dataset_opts *o, struct od_dataset **out);
enum od_layout od_dataset_layout(const struct od_dataset *ds);
/* Image + JSON: images without a JSON and JSON files without an image
 * (or files in the annotation channel that are not .json), skipped. */
size_t od_dataset_skipped_images(const struct od_dataset *ds);
size_t od_dataset_skipped_annotations(const struct od_dataset *ds);
/* Image + JSON: the pairs a pass reads (RecordIO: 0, unknown). */
size_t od_dataset_pairs(const struct od_dataset *ds);
void od_dataset_close(struct od_dataset *ds);

/* A pass over the data set (Pipe mode: the channel's next FIFO). */
struct od_pass;
optml_status od_pass_open(optml_ctx *ctx, struct od_dataset *ds, struct od_pass **out);
/* OPTML_OK and *s filled, OPTML_END after the last sample, OPTML_STOPPED,
 * or an error recorded in ctx: a truncated or corrupt record (the reader's
 * message), an im2rec payload or label array that does not parse, an image
 * that does not decode or is not 3-channel, a JSON that does not parse or
 * whose image size is not the image's, a box outside the image. */
optml_status od_pass_next(struct od_pass *p, struct od_sample *s);
void od_pass_close(struct od_pass *p);

#endif
