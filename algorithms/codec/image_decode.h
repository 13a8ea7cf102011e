/*
 * image_decode.h: PNG and JPEG bytes (an image/png or image/jpeg request
 * body) to 8-bit pixels, with Debian's libpng (its simplified API) and
 * libjpeg-turbo, and bilinear resizing to a network's input size.  Pixels
 * are interleaved rows, top row first: HWC with C = 1 (gray) or 3 (RGB);
 * alpha is composited away (PNG: onto black, as libpng's simplified API
 * does without a background) and palette, 16-bit and gray+alpha PNGs are
 * converted.  Decoding refuses images over a pixel budget before
 * allocating, and refuses corrupt or truncated data instead of returning
 * the partly grey picture libjpeg would.
 */
#ifndef OPTML_CODEC_IMAGE_DECODE_H
#define OPTML_CODEC_IMAGE_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum img_format { IMG_UNKNOWN = 0, IMG_PNG, IMG_JPEG };

struct img_u8 {
    uint8_t *px;       /* h * w * c bytes (malloc; img_free) */
    size_t w, h, c;
};

/* The format from the first bytes (PNG signature, JPEG SOI marker). */
enum img_format img_sniff(const uint8_t *buf, size_t len);
const char *img_format_name(enum img_format f);

/* Decodes buf[0..len) (PNG or JPEG, by its bytes) into *out with
 * `channels` channels (1: gray, 3: RGB; 0: the image's own, 1 or 3).
 * Images of more than max_pixels pixels are refused.  Returns 0, or -1
 * with a one-line message in err (unknown format, corrupt or truncated
 * data, too large, out of memory) and *out empty. */
int img_decode(const uint8_t *buf, size_t len, size_t max_pixels, size_t channels, struct img_u8 *out, char *err,
               size_t errsz);

/* Bilinear resize (half-pixel centres, as OpenCV's and TF's default
 * resize) of src to w x h with the same channels into *dst (allocated).
 * The same size copies.  Returns 0, or -1 when out of memory. */
int img_resize_bilinear(const struct img_u8 *src, size_t w, size_t h, struct img_u8 *dst);

void img_free(struct img_u8 *img);

#endif
