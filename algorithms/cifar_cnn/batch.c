/*
 * batch.c: shuffled, augmented float batches from a pass (data.h).  The
 * shuffle buffer holds `capacity` images (tf.data's shuffle: fill it, then
 * hand out a random one and put the next image read in its place; at the
 * end of the pass the rest come out in random order), so memory is bounded
 * by the buffer, never by the data set.  Augmentation (cc_augment) follows
 * the architecture's reference: Keras ImageDataGenerator shifts of 10 %
 * with fill_mode nearest and horizontal flips (B.1), or the SageMaker
 * example's pad to +8, random crop and flip (B.3).
 */
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/data.h"
#include "common/rng.h"

struct cc_batcher {
    optml_ctx *ctx;
    struct cc_pass *pass;
    struct cc_batch_opts o;
    uint64_t rng;
    size_t image_bytes;        /* 0 until the first image */
    struct cc_shape shape;
    uint8_t *slots;            /* capacity * image_bytes */
    int32_t *labels;
    size_t n;                  /* images in the buffer */
    int ended;                 /* the pass is read to its end */
};

void cc_batcher_close(struct cc_batcher *b)
{
    if (!b)
        return;
    free(b->slots);
    free(b->labels);
    free(b);
}

optml_status cc_batcher_open(optml_ctx *ctx, struct cc_pass *pass, const struct cc_batch_opts *o,
                             struct cc_batcher **out)
{
    struct cc_batcher *b = calloc(1, sizeof(*b));
    if (!b)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory for the shuffle buffer");
    b->ctx = ctx;
    b->pass = pass;
    b->o = *o;
    if (b->o.capacity < 1 || !b->o.shuffle)
        b->o.capacity = 1;
    b->rng = rng_mix64(o->seed ^ 0x5bd1e9955bd1e995ull);
    *out = b;
    return OPTML_OK;
}

/* Reads the next example into slot i; 1 when there was one, 0 at the end,
 * -1 with *st set on an error. */
static int read_into(struct cc_batcher *b, size_t i, optml_status *st)
{
    struct cc_example ex;
    *st = cc_pass_next(b->pass, &ex);
    if (*st == OPTML_END) {
        b->ended = 1;
        *st = OPTML_OK;
        return 0;
    }
    if (*st != OPTML_OK)
        return -1;
    if (!b->image_bytes) {
        b->shape = cc_pass_shape(b->pass);
        b->image_bytes = (size_t)b->shape.h * b->shape.w * b->shape.c;
        b->slots = malloc(b->o.capacity * b->image_bytes);
        b->labels = malloc(b->o.capacity * sizeof(int32_t));
        if (!b->slots || !b->labels) {
            *st = optml_error(b->ctx, OPTML_E_NOMEM, "out of memory for a shuffle buffer of %zu images of %zu bytes",
                              b->o.capacity, b->image_bytes);
            return -1;
        }
    }
    memcpy(b->slots + i * b->image_bytes, ex.hwc, b->image_bytes);
    b->labels[i] = (int32_t)ex.label;
    return 1;
}

static void emit(struct cc_batcher *b, size_t i, float *x, int32_t *y)
{
    const uint8_t *img = b->slots + i * b->image_bytes;
    float scale = b->o.arch == CC_ARCH_KERAS ? 1.0f / 255.0f : 1.0f;
    if (b->o.augment) {
        cc_augment(img, &b->shape, b->o.arch, &b->rng, scale, x);
    } else {
        for (size_t k = 0; k < b->image_bytes; k++)
            x[k] = (float)img[k] * scale;
    }
    *y = b->labels[i];
}

optml_status cc_batcher_next(struct cc_batcher *b, size_t n, float *x, int32_t *y, size_t *got)
{
    optml_status st = OPTML_OK;
    *got = 0;
    while (!b->ended && b->n < b->o.capacity) { /* fill */
        int r = read_into(b, b->n, &st);
        if (r < 0)
            return st;
        b->n += (size_t)r;
    }
    while (*got < n && b->n > 0) {
        size_t i = b->o.shuffle ? (size_t)rng_below(&b->rng, b->n) : 0;
        emit(b, i, x + *got * b->image_bytes, y + *got);
        ++*got;
        int r = b->ended ? 0 : read_into(b, i, &st);
        if (r < 0)
            return st;
        if (r == 0) { /* the pass is over: the last slot takes this one's place */
            b->n--;
            if (i != b->n) {
                memcpy(b->slots + i * b->image_bytes, b->slots + b->n * b->image_bytes, b->image_bytes);
                b->labels[i] = b->labels[b->n];
            }
        }
    }
    return OPTML_OK;
}

/* Bilinear sample of channel k at (fy, fx), coordinates clamped to the
 * image (Keras fill_mode "nearest" repeats the edge). */
static float sample(const uint8_t *img, const struct cc_shape *s, float fy, float fx, uint32_t k)
{
    float maxy = (float)(s->h - 1), maxx = (float)(s->w - 1);
    fy = fy < 0 ? 0 : fy > maxy ? maxy : fy;
    fx = fx < 0 ? 0 : fx > maxx ? maxx : fx;
    uint32_t y0 = (uint32_t)fy, x0 = (uint32_t)fx;
    uint32_t y1 = y0 + 1 < s->h ? y0 + 1 : y0, x1 = x0 + 1 < s->w ? x0 + 1 : x0;
    float dy = fy - (float)y0, dx = fx - (float)x0;
    size_t C = s->c, W = s->w;
    float a = img[((size_t)y0 * W + x0) * C + k], b = img[((size_t)y0 * W + x1) * C + k];
    float c = img[((size_t)y1 * W + x0) * C + k], d = img[((size_t)y1 * W + x1) * C + k];
    return (a * (1 - dx) + b * dx) * (1 - dy) + (c * (1 - dx) + d * dx) * dy;
}

void cc_augment(const uint8_t *hwc, const struct cc_shape *s, int arch, uint64_t *rng, float scale, float *out)
{
    size_t H = s->h, W = s->w, C = s->c;
    int flip = rng_next(rng) >> 63;
    if (arch == CC_ARCH_KERAS) {
        /* ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1) */
        float ty = (float)((rng_uniform_double(rng) * 2 - 1) * 0.1 * (double)H);
        float tx = (float)((rng_uniform_double(rng) * 2 - 1) * 0.1 * (double)W);
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++) {
                size_t sx = flip ? W - 1 - x : x;
                float *o = out + (y * W + x) * C;
                for (size_t k = 0; k < C; k++)
                    o[k] = sample(hwc, s, (float)y + ty, (float)sx + tx, (uint32_t)k) * scale;
            }
        return;
    }
    /* resize_image_with_crop_or_pad(H + 8, W + 8), random_crop(H, W), flip */
    long oy = (long)rng_below(rng, 9) - 4, ox = (long)rng_below(rng, 9) - 4;
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            long sy = (long)y + oy, sx = (long)(flip ? W - 1 - x : x) + ox;
            float *o = out + (y * W + x) * C;
            if (sy < 0 || sx < 0 || sy >= (long)H || sx >= (long)W) {
                memset(o, 0, C * sizeof(float));
                continue;
            }
            const uint8_t *i = hwc + ((size_t)sy * W + (size_t)sx) * C;
            for (size_t k = 0; k < C; k++)
                o[k] = (float)i[k] * scale;
        }
}
