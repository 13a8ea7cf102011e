/*
 * image_encode.c: pixels to PNG bytes through libpng's simplified write API
 * (image_encode.h).
 */
#include "codec/image_encode.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int img_encode_png(const struct img_u8 *img, uint8_t **out, size_t *len, char *err, size_t errsz)
{
    *out = NULL;
    *len = 0;
    if (img->c != 1 && img->c != 3) {
        snprintf(err, errsz, "PNG encoding: %zu channels (1 or 3)", img->c);
        return -1;
    }
    if (img->w == 0 || img->h == 0 || img->w > 0x7fffffff / img->c || img->h > 0x7fffffff) {
        snprintf(err, errsz, "PNG encoding: a %zux%zu image", img->w, img->h);
        return -1;
    }
    png_image im;
    memset(&im, 0, sizeof(im));
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)img->w;
    im.height = (png_uint_32)img->h;
    im.format = img->c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    png_alloc_size_t n = 0;
    if (!png_image_write_to_memory(&im, NULL, &n, 0, img->px, 0, NULL)) {
        snprintf(err, errsz, "PNG encoding: %s", im.message);
        png_image_free(&im);
        return -1;
    }
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        snprintf(err, errsz, "PNG encoding: out of memory for %zu bytes", (size_t)n);
        png_image_free(&im);
        return -1;
    }
    if (!png_image_write_to_memory(&im, buf, &n, 0, img->px, 0, NULL)) {
        snprintf(err, errsz, "PNG encoding: %s", im.message);
        png_image_free(&im);
        free(buf);
        return -1;
    }
    png_image_free(&im);
    *out = buf;
    *len = n;
    return 0;
}
