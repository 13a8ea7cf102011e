/*
 * fuzz_object_detection_model.c: libFuzzer target for the object-detection
 * model payload (algorithms/object_detection/model.c: the ODMD header,
 * od_model_peek, then the parameter block loaded into the network the
 * header describes, as model_load does).  Networks are kept small (image
 * side and classes bounded) so that an iteration stays fast.
 */
#include <stdint.h>
#include <stdlib.h>

#include "object_detection/od.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct od_model_info mi;
    char err[256];
    if (od_model_peek(data, size, &mi, err, sizeof(err)) != 0)
        return 0;
    if (mi.image_shape > 128 || mi.num_classes > 20 || mi.width < 0.1f)
        return 0;
    struct od_net net;
    struct od_net_cfg nc = od_info_net_cfg(&mi, 1, 1);
    if (od_net_create(&net, &nc, 0, err, sizeof(err)) != 0)
        return 0;
    nn_params_load(&net.params, data + OD_MODEL_HEADER, size - OD_MODEL_HEADER, 0, err, sizeof(err));
    od_net_free(&net);
    return 0;
}
