/*
 * distort.h: SSD's photometric distortion (ALGORITHMS.md D.5) on RGB
 * pixels (struct img_u8, 3 channels), as the Caffe SSD's distort
 * parameters do it: brightness (add a delta), contrast (scale the values),
 * saturation (blend with the gray image, BT.601 weights) and hue (rotate in
 * HSV), each result rounded and clamped to [0, 255].  od_distort draws the
 * whole chain; the single adjustments are for it and for tests.
 */
#ifndef OPTML_OD_DISTORT_H
#define OPTML_OD_DISTORT_H

#include <stdint.h>

#include "codec/image_decode.h"

void od_adjust_brightness(struct img_u8 *img, float delta);
void od_adjust_contrast(struct img_u8 *img, float factor);
/* factor 0: gray; 1: unchanged. */
void od_adjust_saturation(struct img_u8 *img, float factor);
/* Rotates each pixel's hue by `degrees` (gray pixels are unchanged). */
void od_adjust_hue(struct img_u8 *img, float degrees);

/* With probability 1/2 each: brightness delta uniform in [-32, 32]; then in
 * one of two orders (1/2 each) contrast factor in [0.5, 1.5], saturation
 * factor in [0.5, 1.5], hue in [-18, 18] degrees (contrast first or last).
 * Only 3-channel images are changed. */
void od_distort(struct img_u8 *img, uint64_t *rng);

#endif
