/*
 * augment.h: SSD's geometric data augmentation (ALGORITHMS.md D.5) on the
 * objects and on the pixels: the random crop sampler, cropping objects to a
 * crop, horizontal flips, and the image side (crop + resize, flip).  The
 * sampler follows the SSD paper and its Caffe implementation: one of seven
 * options drawn uniformly, the whole image, a patch whose IoU with at least
 * one object is at least 0.1, 0.3, 0.5, 0.7 or 0.9, or any patch; a patch
 * has scale s in [min_scale, max_scale] and aspect ratio a in [min_aspect,
 * max_aspect] (clamped to [s^2, 1/s^2] so it fits), width s sqrt(a), height
 * s / sqrt(a), at a uniform position inside the image; a patch must also
 * keep at least one object (its centre inside the patch).  An option with no
 * patch found in max_trials draws gives the whole image.  Photometric
 * distortion is not here yet.
 */
#ifndef OPTML_OD_AUGMENT_H
#define OPTML_OD_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "box.h"
#include "codec/image_decode.h"

struct od_crop_params {
    float min_scale, max_scale;     /* 0.3, 1 (Caffe SSD) */
    float min_aspect, max_aspect;   /* 0.5, 2 */
    unsigned max_trials;            /* 50 */
};

void od_crop_params_default(struct od_crop_params *p);

/* A crop (normalised corners inside [0, 1]) for an image with objects
 * obj[0..n), drawn from *rng as above. */
struct od_box od_crop_sample(uint64_t *rng, const struct od_object *obj, size_t n, const struct od_crop_params *p);

/* The objects of in[0..n) whose centre lies inside crop (half-open:
 * xmin <= cx < xmax, likewise y), clipped to it and expressed in its
 * coordinates, into out (room for n); returns their count.  A crop of zero
 * width or height keeps nothing. */
size_t od_crop_objects(const struct od_object *in, size_t n, const struct od_box *crop, struct od_object *out);

/* Mirrors objects left to right: xmin, xmax = 1 - xmax, 1 - xmin. */
void od_flip_objects(struct od_object *obj, size_t n);

/* The crop's pixels (columns floor(xmin W) .. ceil(xmax W) - 1, at least
 * one pixel, likewise rows) resized bilinearly to w x h into *dst
 * (allocated; img_free).  Returns 0, or -1 when out of memory. */
int od_crop_image(const struct img_u8 *src, const struct od_box *crop, size_t w, size_t h, struct img_u8 *dst);

/* Mirrors an image left to right, in place. */
void od_flip_image(struct img_u8 *img);

#endif
