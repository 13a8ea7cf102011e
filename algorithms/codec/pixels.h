/*
 * pixels.h: fixed-layout 8-bit image records and pixel layouts: the
 * CIFAR-10 binary release (ALGORITHMS.md B.5: 3,073-byte records, a label
 * byte then 1,024 red, 1,024 green, 1,024 blue, each plane row-major) and
 * the conversion of planar (CHW) pixels, as CIFAR and the SageMaker
 * example's TFRecords store them, to interleaved (HWC), the layout the
 * networks use.
 */
#ifndef OPTML_CODEC_PIXELS_H
#define OPTML_CODEC_PIXELS_H

#include <stddef.h>
#include <stdint.h>

#define CIFAR_SIDE 32
#define CIFAR_CHANNELS 3
#define CIFAR_PIXELS (CIFAR_SIDE * CIFAR_SIDE * CIFAR_CHANNELS) /* 3,072 */
#define CIFAR_RECORD (1 + CIFAR_PIXELS)                          /* 3,073 */

/* 1 when a file named `name` of `size` bytes can be a CIFAR-10 binary batch:
 * the name ends in ".bin" and the size is a non-zero multiple of 3,073
 * (the format has no magic number; the caller refuses anything else). */
int cifar_bin_candidate(const char *name, uint64_t size);

/* One 3,073-byte record: *label = its first byte, hwc[0..3072) = its pixels
 * interleaved (32 x 32 x 3). */
void cifar_record_split(const uint8_t *rec, uint8_t *label, uint8_t *hwc);

/* chw (C planes of H x W, row-major) -> hwc (H x W pixels of C values). */
void pixels_chw_to_hwc(const uint8_t *chw, size_t H, size_t W, size_t C, uint8_t *hwc);

#endif
