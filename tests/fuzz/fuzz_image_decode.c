/*
 * fuzz_image_decode.c: libFuzzer target for PNG / JPEG decoding
 * (algorithms/codec/image_decode.c), what image/png and image/jpeg requests
 * go through.  The input is one body, from an exact-size heap copy; it is
 * decoded to its own channels, to gray and to RGB under a 1-megapixel
 * budget.  A decoded image must have the size and channels asked for, and
 * is then resized to 32 x 32 (every read and write stays inside; ASan
 * checks).  A refusal must leave a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/image_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    static const size_t want[3] = {0, 1, 3};
    for (int i = 0; i < 3; i++) {
        struct img_u8 im, small;
        char err[256] = "";
        if (img_decode(buf, size, (size_t)1 << 20, want[i], &im, err, sizeof(err)) != 0) {
            if (!err[0] || im.px)
                abort();
            continue;
        }
        if (!im.px || !im.w || !im.h || (want[i] && im.c != want[i]) || (im.c != 1 && im.c != 3) ||
            im.w * im.h > ((size_t)1 << 20))
            abort();
        if (img_resize_bilinear(&im, 32, 32, &small) == 0) {
            if (small.w != 32 || small.h != 32 || small.c != im.c)
                abort();
            img_free(&small);
        }
        img_free(&im);
    }
    free(buf);
    return 0;
}
