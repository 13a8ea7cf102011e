/*
 * fuzz_cifar_cnn_example.c: libFuzzer target for cifar-cnn's
 * tf.train.Example decoding (algorithms/cifar_cnn/example.c): the whole
 * input is one TFRecord payload.  Checked: 0 with a shape of 1..4096 x
 * 1..4096 x 1..4 whose bytes fit the buffer (every byte read, so ASan
 * checks them) and a label, or -1 with a message; the buffer the decoder
 * grows is the caller's either way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1), *hwc = NULL;
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    size_t cap = 0;
    struct cc_shape s = {0, 0, 0};
    int64_t label = 0;
    char err[512] = "";
    int rc = cc_decode_example(copy, size, &hwc, &cap, &s, &label, err, sizeof(err));
    if (rc == 0) {
        if (s.h < 1 || s.h > CC_MAX_SIDE || s.w < 1 || s.w > CC_MAX_SIDE || s.c < 1 || s.c > CC_MAX_CHANNELS)
            abort();
        size_t n = (size_t)s.h * s.w * s.c;
        if (n > cap || !hwc)
            abort();
        volatile unsigned sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += hwc[i];
        (void)sum;
    } else if (rc != -1 || !err[0]) {
        abort();
    }
    free(hwc);
    free(copy);
    return 0;
}
