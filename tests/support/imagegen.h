/*
 * imagegen.h: image training data in the exact on-disk formats, for tests:
 * tf.train.Example records as generate_cifar10_tfrecords.py writes them
 * (image bytes, label int64; optional height/width/depth), CIFAR-10 binary
 * records and IDX images / labels files (ALGORITHMS.md B.2, B.5, B.6), and
 * JPEG bytes of given pixels.
 */
#ifndef OPTML_TEST_IMAGEGEN_H
#define OPTML_TEST_IMAGEGEN_H

#include <stddef.h>
#include <stdint.h>

#include "support/datagen.h"

/* n deterministic pixel bytes from `seed`. */
void imagegen_pixels(uint8_t *out, size_t n, uint32_t seed);
/* One serialized tf.train.Example: `image` = img[0..n), `label`; when hwd is
 * not NULL also int64 features height, width, depth = hwd[0..2]. */
void buf_put_example(struct buf *b, const uint8_t *img, size_t n, int64_t label, const int64_t *hwd);
/* The same wrapped as one TFRecord record. */
void buf_put_example_record(struct buf *b, const uint8_t *img, size_t n, int64_t label, const int64_t *hwd);
/* One CIFAR-10 binary record: the label byte then the 3,072 planar pixels. */
void buf_put_cifar_record(struct buf *b, uint8_t label, const uint8_t *chw);
/* An IDX ubyte file: header with dims[0..nd), then the values. */
void buf_put_idx(struct buf *b, unsigned nd, const uint32_t *dims, const uint8_t *values);
/* w x h interleaved pixels of `comps` (1 gray, 3 RGB) channels as JPEG bytes
 * at `quality` (libjpeg-turbo; malloc'd, *len set). */
uint8_t *imagegen_jpeg(const uint8_t *px, unsigned w, unsigned h, int comps, int quality, size_t *len);

#endif
