/*
 * od_test_alg.c: the object-detection table of od_test_alg.h.
 */
#include "od_test_alg.h"

#include "object_detection/hparams.h"

const struct optml_algorithm od_test_alg = {
    .api_version = OPTML_ALGORITHM_API_VERSION,
    .api_minor = OPTML_ALGORITHM_API_MINOR,
    .table_size = sizeof(struct optml_algorithm),
    .name = "object-detection",
    .version = "test",
    .model_format_version = 1,
    .hparams = od_hparams,
    .n_hparams = OD_N_HPARAMS,
    .config_size = sizeof(struct od_config),
    .resolve = od_resolve,
};
