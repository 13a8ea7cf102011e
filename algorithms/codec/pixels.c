/*
 * pixels.c: CIFAR binary records and planar-to-interleaved pixels
 * (pixels.h).
 */
#include "codec/pixels.h"

#include <string.h>

int cifar_bin_candidate(const char *name, uint64_t size)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".bin") == 0 && size > 0 && size % CIFAR_RECORD == 0;
}

void cifar_record_split(const uint8_t *rec, uint8_t *label, uint8_t *hwc)
{
    *label = rec[0];
    pixels_chw_to_hwc(rec + 1, CIFAR_SIDE, CIFAR_SIDE, CIFAR_CHANNELS, hwc);
}

void pixels_chw_to_hwc(const uint8_t *chw, size_t H, size_t W, size_t C, uint8_t *hwc)
{
    size_t plane = H * W;
    for (size_t c = 0; c < C; c++) {
        const uint8_t *src = chw + c * plane;
        uint8_t *dst = hwc + c;
        for (size_t i = 0; i < plane; i++)
            dst[i * C] = src[i];
    }
}
