/*
 * manifest.h: the records of an augmented manifest (ALGORITHMS.md D.2 (c)):
 * SageMaker's Pipe mode delivers each JSON Lines row of an
 * AugmentedManifestFile channel with AttributeNames ["source-ref",
 * "<label>"] as two RecordIO records, the image's bytes (JPEG or PNG) and
 * then the label attribute's JSON:
 *   {"image_size": [{"width": W, "height": H, "depth": 3}],
 *    "annotations": [{"class_id": 0, "left": x, "top": y, "width": w, "height": h}, ...]}
 * (annotation.h's layout without "file"; other keys ignored).  This file
 * turns one such pair into a sample's pixels and objects; dataset.c reads
 * the pairs from the channel.  Pure functions, no I/O.
 */
#ifndef OPTML_OD_MANIFEST_H
#define OPTML_OD_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "annotation.h"
#include "codec/image_decode.h"

/* What a record's first bytes say it is. */
enum od_record_kind {
    OD_RECORD_IMAGE,    /* JPEG (FF D8 FF) or PNG signature: a manifest's image */
    OD_RECORD_JSON,     /* '{' after blanks: a manifest's label attribute */
    OD_RECORD_OTHER     /* anything else (an im2rec record starts with its 24-byte header) */
};
enum od_record_kind od_record_kind(const uint8_t *data, size_t len);

/* bytes -> 3-channel pixels resized to side x side into *img (img_free);
 * *w, *h the image as stored.  0, or -1 with a message in err (naming
 * nothing: the caller prefixes the file or record): does not decode, more
 * than max_pixels, not 3-channel. */
int od_decode_rgb(const uint8_t *bytes, size_t len, size_t max_pixels, size_t side, struct img_u8 *img, size_t *w,
                  size_t *h, char *err, size_t errsz);

/* One row: image record img[0..img_len), label record json[0..json_len).
 * Decodes the image (as od_decode_rgb) and parses the JSON
 * (od_annotation_parse_ex without "file", class ids below num_classes when
 * > 0), and checks that the image is the size the JSON's image_size says.
 * Returns 0, or -1 with a one-line message in err saying which of the two
 * records is wrong (and, for records in the wrong order, that AttributeNames
 * must list the image attribute first); *img and *ann are then empty. */
int od_manifest_pair(const uint8_t *img, size_t img_len, const uint8_t *json, size_t json_len, int num_classes,
                     size_t max_pixels, size_t side, struct img_u8 *px, struct od_annotation *ann, size_t *w,
                     size_t *h, char *err, size_t errsz);

#endif
