/*
 * data.h: the training data of cifar-cnn.  A channel is planned once
 * (formats.c: each File-mode file's format recognised from its content and
 * name; a Pipe-mode channel is one TFRecord stream per pass), then read
 * pass by pass as examples (pass.c: decoded 8-bit HWC images and labels,
 * every mistake a ClientError naming the file and byte offset), shuffled
 * through a bounded buffer and turned into float batches with the
 * architecture's augmentation (batch.c).
 */
#ifndef OPTML_CIFAR_CNN_DATA_H
#define OPTML_CIFAR_CNN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include <optml/algorithm.h>

#include "cifar_cnn/cc.h"

enum cc_format {
    CC_FMT_TFRECORD,  /* tf.train.Example records: image (bytes), label (int64) */
    CC_FMT_CIFAR,     /* CIFAR-10 binary batch: 3,073-byte records */
    CC_FMT_IDX,       /* an IDX images file with its labels file */
    CC_FMT_PIPE       /* a Pipe-mode channel: TFRecord, one FIFO per pass */
};
const char *cc_format_name(int format);

/* One source of a pass: a file (or an IDX pair), or the channel's FIFO. */
struct cc_source {
    int format;               /* enum cc_format */
    const char *name;         /* relative to the channel (owned by the runtime) */
    const char *path;         /* absolute (NULL for Pipe) */
    const char *labels_name;  /* IDX: the labels file */
    const char *labels_path;
};

struct cc_plan {
    const optml_channel *ch;
    const char *channel;      /* its name */
    struct cc_source *src;
    size_t n_src;
    size_t skipped;           /* documentation files skipped (.txt, .html, ...) */
};

/* Plans `ch`: File mode lists its files and recognises each (TFRecord by
 * its first record header, IDX by its magic and name, CIFAR-10 binary by
 * a *.bin name and a size that is a multiple of 3,073); anything else,
 * ambiguous or unpaired is a ClientError saying what is accepted and how to
 * name it.  Pipe mode: one CC_FMT_PIPE source. */
optml_status cc_plan_channel(optml_ctx *ctx, const optml_channel *ch, struct cc_plan *out);
void cc_plan_free(struct cc_plan *p);

/* The shape of a channel's images: all of its images have the same. */
struct cc_shape {
    uint32_t h, w, c;
};

/* One example: `hwc` (h * w * c bytes, interleaved) and its label; valid
 * until the next cc_pass_next or cc_pass_close. */
struct cc_example {
    const uint8_t *hwc;
    int64_t label;
    const char *source;       /* file or FIFO */
    uint64_t offset;          /* of the record in it */
};

/* A pass over a plan's sources, in order. */
struct cc_pass;
/* `shape`: the shape every image must have (all zero: the first image's,
 * then kept); `max_classes`: labels must be below it. */
optml_status cc_pass_open(optml_ctx *ctx, const struct cc_plan *plan, const struct cc_shape *shape,
                          int64_t max_classes, struct cc_pass **out);
/* OPTML_OK and *ex filled, OPTML_END, OPTML_STOPPED or an error. */
optml_status cc_pass_next(struct cc_pass *p, struct cc_example *ex);
/* Keep only examples k with k % of == index (of > 1): one host's share. */
void cc_pass_shard(struct cc_pass *p, uint32_t of, uint32_t index);
/* The shape found (or given); zeros before the first example. */
struct cc_shape cc_pass_shape(const struct cc_pass *p);
void cc_pass_close(struct cc_pass *p);

/* TFRecord payload (a tf.train.Example) to an image and label: `image`
 * bytes and `label` int64; with int64 features `height`, `width`, `depth`
 * the bytes are HWC of that shape; without them 3,072 bytes are CIFAR's
 * planar 32x32x3 (the SageMaker example's writer) and other sizes a square
 * of 3 channels (planar) or 1 channel.  *hwc (malloc'd, *cap bytes, grown
 * as needed) receives the image, *shape its shape.  Returns 0, or -1 with a
 * message (the buffer stays the caller's to free). */
int cc_decode_example(const uint8_t *payload, size_t len, uint8_t **hwc, size_t *cap, struct cc_shape *shape,
                      int64_t *label, char *err, size_t errsz);

/* --------------------------------------------------------------- batches */

/* Shuffled, augmented float batches from a pass: a buffer of `capacity`
 * images is filled, then each image handed out is replaced by the next one
 * read (tf.data's shuffle); memory is capacity images whatever the data. */
struct cc_batcher;
struct cc_batch_opts {
    size_t capacity;          /* shuffle buffer, images (>= 1) */
    int shuffle;              /* 0: in order (evaluation) */
    int augment;              /* enum: 0 none, else the architecture's */
    int arch;                 /* enum cc_arch: augmentation and scaling */
    uint64_t seed;            /* this pass's stream */
};
optml_status cc_batcher_open(optml_ctx *ctx, struct cc_pass *pass, const struct cc_batch_opts *o,
                             struct cc_batcher **out);
/* Up to n images into x (n * h * w * c floats, HWC; scaled by 1/255 for
 * keras-cifar10, raw 0-255 for sagemaker-cifar10, as the references do)
 * and their labels into y; *got < n only at the end of the pass (0: over).
 * Errors as cc_pass_next. */
optml_status cc_batcher_next(struct cc_batcher *b, size_t n, float *x, int32_t *y, size_t *got);
void cc_batcher_close(struct cc_batcher *b);

/* The augmentation of one image (exposed for tests): keras-cifar10 shifts
 * by up to 10 % of the width and height (bilinear, edges repeated: Keras's
 * fill_mode nearest) and flips half the images left to right;
 * sagemaker-cifar10 pads 4 zero pixels on every side, crops the original
 * size at a random place and flips half.  `scale` multiplies the values. */
void cc_augment(const uint8_t *hwc, const struct cc_shape *s, int arch, uint64_t *rng, float scale, float *out);

#endif
