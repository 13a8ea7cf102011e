/*
 * job.h: the object-detection training job's state, shared by train.c
 * (data, batches, epochs, checkpoints), optimize.c (optimizer steps,
 * learning-rate schedule, frozen layers) and validate.c (validation mAP,
 * drawn images, early stopping).  Internal to the module.
 */
#ifndef OPTML_OD_JOB_H
#define OPTML_OD_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "common/optim.h"
#include "object_detection/dataset.h"
#include "object_detection/map.h"
#include "object_detection/od.h"

#define OD_N_SHOW 4 /* validation images drawn to output/data */

/* One buffered sample. */
struct slot {
    uint8_t *px;
    struct od_object *obj;
    size_t n_obj, cap_obj;
};

struct od_job {
    optml_ctx *ctx;
    const struct od_config *cfg;
    struct od_model_info mi;
    struct od_dataset *ds[2];
    struct od_net net;
    struct od_anchor *anc;
    size_t A, K, S, B;
    float *x, *loc, *conf, *dloc, *dconf, *lt;
    int *ct;
    struct od_object *tmp_obj;
    size_t cap_tmp;
    struct slot *buf;
    size_t cap_buf;
    unsigned char *frozen;          /* per tensor */
    struct optim_cfg oc;
    uint64_t rng, iterations;
    uint64_t n_train;               /* samples of the last full pass */
    double best_map;
    int best_epoch, bad_epochs;
    float *best_params;
    /* validation */
    float *prob, *rows;
    struct od_box *boxes;
    struct od_eval_det *dets;
    size_t nd, cap_d;
    struct od_eval_gt *gts;
    size_t ng, cap_g;
    uint8_t *show_px[OD_N_SHOW];
    float *show_rows[OD_N_SHOW];
    size_t show_n[OD_N_SHOW];
};

enum { OD_TRAIN, OD_VALID };

static inline optml_status od_job_nomem(optml_ctx *ctx)
{
    return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
}

/* optimize.c */
struct optim_cfg od_optimizer(const struct od_config *c);
float od_epoch_lr(const struct od_config *c, int epoch);
void od_step(struct od_job *j, float lr);
optml_status od_freeze(struct od_job *j);

/* validate.c: the validation channel's mAP (VOC07 at overlap_threshold),
 * the drawn images and the report's per-class AP; early stopping. */
optml_status od_validate(struct od_job *j, int epoch, double *map);
int od_early_stop(struct od_job *j, int epoch, double map);

#endif
