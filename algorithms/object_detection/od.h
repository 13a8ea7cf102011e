/*
 * od.h: what the object-detection module's files share (module.c's table,
 * the training job's files, model.c, detect.c, request.c, modelchan.c):
 * the module's name, its model file and payload header, the served model,
 * and the functions of the module table.
 */
#ifndef OPTML_OD_OD_H
#define OPTML_OD_OD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <optml/algorithm.h>

#include "hparams.h"
#include "net.h"
#include "nn/params.h"

#define OD_MODULE_NAME "object-detection"
#define OD_MODEL_FILE "object-detection.model"
#define OD_FORMAT_VERSION 1u
#define OD_MODEL_MAGIC "ODMD"
#define OD_MODEL_HEADER 32
#define OD_SCORE_THRESHOLD 0.01f /* detections below are never reported (the SSD paper's) */

/* What a model file says about its network (the payload's header). */
struct od_model_info {
    uint32_t base_network;      /* enum od_base_network */
    uint32_t num_classes;
    uint32_t image_shape;
    float width;
    float nms_threshold;
    uint32_t nms_topk;
};

/* The net configuration of a model (max_batch images). */
struct od_net_cfg od_info_net_cfg(const struct od_model_info *mi, size_t max_batch, uint64_t seed);

/* Payload: the 32-byte header then the parameter block (nn_params_save). */
int od_model_serialise(const struct od_model_info *mi, const struct od_net *net, struct nn_buf *out, char *err,
                       size_t errsz);
/* Reads the header of a payload: 0, or -1 with a message in err. */
int od_model_peek(const void *data, size_t len, struct od_model_info *mi, char *err, size_t errsz);

/* Writes model/object-detection.model and model/hyperparams.json. */
optml_status od_model_save(optml_ctx *ctx, const struct od_model_info *mi, const struct od_net *net);

/* Reads the model file of `dir` (or the one inside a model.tar.gz of the
 * `model` channel, modelchan.c) into a payload (malloc). */
optml_status od_model_channel_read(optml_ctx *ctx, const optml_channel *ch, void **data, size_t *len);

/* Detection rows (nms.h, at most topk) of image i of the last forward's
 * loc/conf; prob (A * K) and boxes (A) are scratch.  Returns the count. */
size_t od_detect(const struct od_net *net, const struct od_anchor *anchors, const float *loc, const float *conf,
                 size_t i, float nms_threshold, size_t topk, float *prob, struct od_box *boxes, float *rows);

/* The served model: a prototype net and a pool of inference nets. */
#define OD_POOL_KEEP 8
struct od_served {
    struct od_model_info mi;
    struct od_net proto;
    struct od_anchor *anchors;
    pthread_mutex_t mu;
    struct od_net *idle[OD_POOL_KEEP];
    size_t n_idle;
};
struct od_net *od_served_take(struct od_served *sv, char *err, size_t errsz);
void od_served_give(struct od_served *sv, struct od_net *net);

/* The module table's functions. */
optml_status od_train(optml_ctx *ctx);
optml_status od_model_load(optml_ctx *ctx, const char *model_dir, void **model);
void od_model_free(void *model);
optml_status od_predict(optml_ctx *ctx, const void *model, const struct optml_request *req, optml_response *resp);

enum od_request_type { OD_IN_JPEG, OD_IN_PNG, OD_IN_XIMAGE, OD_N_IN };
enum od_response_type { OD_OUT_JSON, OD_OUT_PNG, OD_N_OUT };
extern const char *const od_request_types[OD_N_IN + 1];
extern const char *const od_response_types[OD_N_OUT + 1];

#endif
