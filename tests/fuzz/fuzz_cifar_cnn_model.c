/*
 * fuzz_cifar_cnn_model.c: libFuzzer target for the byte form of a cifar-cnn
 * network (algorithms/cifar_cnn/net.c: cc_net_peek, then nn_params_load
 * into the network the header describes), what model_load reads from
 * model/cifar-cnn.model after the runtime's header and CRC.  Checked: a
 * header is accepted only with its fields in range; a network is built only
 * for small shapes (the fuzzer's memory), and when its parameters load, one
 * inference forward of a zero image runs on them (ASan checks every read).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/cc.h"
#include "cifar_cnn/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    char err[256] = "";
    int arch;
    struct cc_shape in;
    size_t classes, hdr;
    if (cc_net_peek(copy, size, &arch, &in, &classes, &hdr, err, sizeof(err)) != 0) {
        if (!err[0])
            abort();
        free(copy);
        return 0;
    }
    if (arch < CC_ARCH_KERAS || arch > CC_ARCH_SAGEMAKER || in.h < 1 || in.w < 1 || in.c < 1 ||
        in.c > CC_MAX_CHANNELS || classes < 2 || classes > CC_MAX_CLASSES || hdr > size)
        abort();
    struct cc_net net;
    if ((size_t)in.h * in.w * in.c <= 40 * 40 * 4 && classes <= 64 &&
        cc_net_build(&net, arch, &in, classes, 0, OPTIM_ADAM, err, sizeof(err)) == 0) {
        if (nn_params_load(&net.p, copy + hdr, size - hdr, 0, err, sizeof(err)) == 0) {
            struct cc_work w;
            memset(&w, 0, sizeof(w));
            float *x = calloc((size_t)in.h * in.w * in.c, sizeof(float));
            if (x && cc_work_init(&w, &net, 1, 0, NULL) == 0) {
                volatile float sum = 0;
                const float *z = cc_net_forward(&net, &w, x, 1, 0, NULL);
                for (size_t k = 0; k < classes; k++)
                    sum += z[k];
                (void)sum;
            }
            cc_work_free(&w);
            free(x);
        }
        cc_net_free(&net);
    }
    free(copy);
    return 0;
}
