/*
 * image_encode.h: 8-bit pixels (struct img_u8 of image_decode.h: HWC rows,
 * top row first, 1 or 3 channels) to PNG bytes with Debian's libpng (its
 * simplified API), for responses and files that show an image back.
 */
#ifndef OPTML_CODEC_IMAGE_ENCODE_H
#define OPTML_CODEC_IMAGE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "codec/image_decode.h"

/* Encodes img as a PNG into *out (malloc; the caller frees) of *len bytes.
 * Returns 0, or -1 with a one-line message in err (a channel count other
 * than 1 or 3, an empty or oversized image, out of memory, libpng's
 * error). */
int img_encode_png(const struct img_u8 *img, uint8_t **out, size_t *len, char *err, size_t errsz);

#endif
