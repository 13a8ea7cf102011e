/*
 * im2rec.h: the payload of one MXNet image record, as im2rec.py and
 * mxnet.recordio.pack write it inside the RecordIO framing (ALGORITHMS.md
 * C.4, D.2): a 24-byte little-endian header (flag uint32, label float32, id
 * uint64, id2 uint64); when flag > 0, flag float32 labels follow (the label
 * array; `label` is then unused); the rest is the encoded image (JPEG or
 * PNG, not checked here).
 */
#ifndef OPTML_CODEC_IM2REC_H
#define OPTML_CODEC_IM2REC_H

#include <stddef.h>
#include <stdint.h>

#define IM2REC_HEADER_BYTES 24

struct im2rec_record {
    uint32_t flag;                  /* number of labels in the array (0: scalar label) */
    float label;                    /* the scalar label */
    uint64_t id, id2;
    const uint8_t *labels;          /* flag little-endian float32 values, unaligned */
    size_t n_labels;                /* = flag */
    const uint8_t *image;           /* the image bytes, inside the payload */
    size_t image_len;
};

/* Splits buf[0..len) into header, label array and image.  Returns 0, or -1
 * with a one-line message in err when the payload is shorter than its
 * header or than the label array the header announces. */
int im2rec_parse(const uint8_t *buf, size_t len, struct im2rec_record *out, char *err, size_t errsz);

/* Label i (< n_labels) of a parsed record. */
float im2rec_label(const struct im2rec_record *r, size_t i);

#endif
