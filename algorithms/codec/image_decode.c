/*
 * image_decode.c: PNG (libpng's simplified API) and JPEG (libjpeg-turbo,
 * errors caught with setjmp, warnings treated as errors) decoding and
 * bilinear resizing (image_decode.h).
 */
#include "codec/image_decode.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

enum img_format img_sniff(const uint8_t *buf, size_t len)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (buf && len >= 8 && memcmp(buf, png_sig, 8) == 0)
        return IMG_PNG;
    if (buf && len >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF)
        return IMG_JPEG;
    return IMG_UNKNOWN;
}

const char *img_format_name(enum img_format f)
{
    return f == IMG_PNG ? "PNG" : f == IMG_JPEG ? "JPEG" : "unknown";
}

void img_free(struct img_u8 *img)
{
    if (!img)
        return;
    free(img->px);
    memset(img, 0, sizeof(*img));
}

static int too_large(size_t w, size_t h, size_t max_pixels, char *err, size_t errsz)
{
    if (w == 0 || h == 0 || w > max_pixels || h > max_pixels / w) {
        snprintf(err, errsz, "image of %zu x %zu pixels: %s", w, h,
                 w == 0 || h == 0 ? "empty" : "over the limit of this server");
        return 1;
    }
    return 0;
}

static int decode_png(const uint8_t *buf, size_t len, size_t max_pixels, size_t channels, struct img_u8 *out,
                      char *err, size_t errsz)
{
    png_image im;
    memset(&im, 0, sizeof(im));
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&im, buf, len)) {
        snprintf(err, errsz, "PNG: %s", im.message);
        return -1;
    }
    if (too_large(im.width, im.height, max_pixels, err, errsz)) {
        png_image_free(&im);
        return -1;
    }
    if (channels == 0)
        channels = (im.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
    im.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    size_t bytes = (size_t)im.width * im.height * channels;
    out->px = malloc(bytes);
    if (!out->px) {
        png_image_free(&im);
        snprintf(err, errsz, "out of memory decoding a %u x %u PNG", im.width, im.height);
        return -1;
    }
    png_color black = {0, 0, 0}; /* alpha is composited onto it */
    if (!png_image_finish_read(&im, &black, out->px, 0, NULL)) {
        snprintf(err, errsz, "PNG: %s", im.message);
        img_free(out);
        png_image_free(&im);
        return -1;
    }
    out->w = im.width;
    out->h = im.height;
    out->c = channels;
    return 0;
}

struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr cinfo)
{
    struct jpeg_err *e = (struct jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

/* A warning (corrupt data, premature end) would leave grey or garbled
 * pixels: stop with it as the error. */
static void jpeg_warn(j_common_ptr cinfo, int level)
{
    if (level < 0)
        jpeg_fail(cinfo);
}

static int decode_jpeg(const uint8_t *buf, size_t len, size_t max_pixels, size_t want, struct img_u8 *out,
                       char *err, size_t errsz)
{
    struct jpeg_decompress_struct cinfo;
    struct jpeg_err jerr;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&jerr.mgr);
    jerr.mgr.error_exit = jpeg_fail;
    jerr.mgr.emit_message = jpeg_warn;
    /* volatile: read after a longjmp */
    uint8_t *volatile px = NULL;
    volatile size_t channels = want;
    if (setjmp(jerr.jump)) {
        snprintf(err, errsz, "JPEG: %s", jerr.msg);
        jpeg_destroy_decompress(&cinfo);
        free(px);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (too_large(cinfo.image_width, cinfo.image_height, max_pixels, err, errsz)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if (channels == 0)
        channels = cinfo.num_components == 1 ? 1 : 3;
    cinfo.out_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(&cinfo);
    size_t row = (size_t)cinfo.output_width * channels;
    px = malloc(row * cinfo.output_height);
    if (!px) {
        snprintf(err, errsz, "out of memory decoding a %u x %u JPEG", cinfo.output_width, cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW r = px + row * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_decompress(&cinfo);
    out->px = px;
    out->w = cinfo.output_width;
    out->h = cinfo.output_height;
    out->c = channels;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int img_decode(const uint8_t *buf, size_t len, size_t max_pixels, size_t channels, struct img_u8 *out, char *err,
               size_t errsz)
{
    memset(out, 0, sizeof(*out));
    if (channels != 0 && channels != 1 && channels != 3) {
        snprintf(err, errsz, "images decode to 1 or 3 channels, not %zu", channels);
        return -1;
    }
    switch (img_sniff(buf, len)) {
    case IMG_PNG: return decode_png(buf, len, max_pixels, channels, out, err, errsz);
    case IMG_JPEG: return decode_jpeg(buf, len, max_pixels, channels, out, err, errsz);
    default:
        snprintf(err, errsz, "not a PNG or JPEG image (the body starts with neither signature)");
        return -1;
    }
}

int img_resize_bilinear(const struct img_u8 *src, size_t w, size_t h, struct img_u8 *dst)
{
    memset(dst, 0, sizeof(*dst));
    size_t c = src->c;
    size_t bytes = w * h * c;
    dst->px = malloc(bytes ? bytes : 1);
    if (!dst->px)
        return -1;
    dst->w = w;
    dst->h = h;
    dst->c = c;
    if (w == src->w && h == src->h) {
        memcpy(dst->px, src->px, w * h * c);
        return 0;
    }
    double sx = (double)src->w / (double)w, sy = (double)src->h / (double)h;
    for (size_t y = 0; y < h; y++) {
        double fy = ((double)y + 0.5) * sy - 0.5;
        if (fy < 0)
            fy = 0;
        size_t y0 = (size_t)fy, y1 = y0 + 1 < src->h ? y0 + 1 : y0;
        double ay = fy - (double)y0;
        for (size_t x = 0; x < w; x++) {
            double fx = ((double)x + 0.5) * sx - 0.5;
            if (fx < 0)
                fx = 0;
            size_t x0 = (size_t)fx, x1 = x0 + 1 < src->w ? x0 + 1 : x0;
            double ax = fx - (double)x0;
            const uint8_t *p00 = src->px + (y0 * src->w + x0) * c, *p01 = src->px + (y0 * src->w + x1) * c;
            const uint8_t *p10 = src->px + (y1 * src->w + x0) * c, *p11 = src->px + (y1 * src->w + x1) * c;
            uint8_t *o = dst->px + (y * w + x) * c;
            for (size_t k = 0; k < c; k++) {
                double top = p00[k] + (p01[k] - p00[k]) * ax, bottom = p10[k] + (p11[k] - p10[k]) * ax;
                double v = top + (bottom - top) * ay + 0.5;
                o[k] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
    return 0;
}
