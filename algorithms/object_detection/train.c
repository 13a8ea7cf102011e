/*
 * train.c: the object-detection training job (ALGORITHMS.md D.1-D.4).  It
 * opens the train (and validation) data through dataset.h, builds the
 * mobilenet-ssdlite network for image_shape and num_classes, starts from
 * the `model` channel's earlier model when given (incremental training) or
 * resumes from the newest checkpoint, then trains epoch by epoch: samples
 * shuffled through a bounded buffer, each augmented (random crop with
 * minimum IoU, flip, photometric distortion: augment.h, distort.h),
 * matched to the default boxes, batches of mini_batch_size through
 * forward, the multibox loss, backward and the optimizer (sgd, adam,
 * rmsprop, adadelta; the lr_scheduler_step schedule; layers matching
 * freeze_layer_pattern not updated).  After each epoch: validation mAP
 * (VOC07 11-point at overlap_threshold) in the built-in's line, a few
 * validation images with predicted and true boxes drawn to output/data/,
 * early stopping, a checkpoint.  A stop (SIGTERM) is honoured between
 * batches: checkpoint, model so far, exit 0.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/rng.h"
#include "object_detection/augment.h"
#include "object_detection/dataset.h"
#include "object_detection/distort.h"
#include "object_detection/match.h"
#include "object_detection/multibox.h"
#include "object_detection/nms.h"
#include "object_detection/job.h"
#include "object_detection/od.h"

#define SHUFFLE_BYTES ((size_t)128 << 20) /* pixels the shuffle buffer may hold */
#define LOG_EVERY 50                      /* batches between train loss lines */
#define CKPT_MAGIC "ODCK"
#define CKPT_HEADER 40

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------ checkpoints */

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static optml_status checkpoint(struct od_job *j, uint64_t epochs)
{
    if (!optml_checkpoint_enabled(j->ctx))
        return OPTML_OK;
    struct nn_buf b = {0};
    char err[256];
    if (!(b.data = calloc(1, CKPT_HEADER)))
        return od_job_nomem(j->ctx);
    b.cap = b.len = CKPT_HEADER;
    memcpy(b.data, CKPT_MAGIC, 4);
    put64(b.data + 8, j->rng);
    put64(b.data + 16, j->iterations);
    uint64_t bm;
    memcpy(&bm, &j->best_map, 8);
    put64(b.data + 24, bm);
    put64(b.data + 32, (uint64_t)(uint32_t)j->best_epoch | (uint64_t)(uint32_t)j->bad_epochs << 32);
    if (nn_params_save(&j->net.params, NN_PARAMS_OPTIM, &b, err, sizeof(err)) != 0) {
        free(b.data);
        return optml_error(j->ctx, OPTML_E_NOMEM, "writing a checkpoint: %s", err);
    }
    optml_status s = optml_checkpoint_save(j->ctx, epochs, b.data, b.len);
    free(b.data);
    return s;
}

static optml_status resume(struct od_job *j, int *epoch)
{
    void *data = NULL;
    size_t len = 0;
    uint64_t step_ = 0;
    optml_status s = optml_checkpoint_load(j->ctx, &step_, &data, &len);
    if (s == OPTML_E_NOT_FOUND)
        return OPTML_OK;
    if (s != OPTML_OK)
        return s;
    const unsigned char *p = data;
    char err[256] = "not an object-detection checkpoint";
    if (len < CKPT_HEADER || memcmp(p, CKPT_MAGIC, 4) != 0 ||
        nn_params_load(&j->net.params, p + CKPT_HEADER, len - CKPT_HEADER, NN_PARAMS_OPTIM, err, sizeof(err)) != 0) {
        optml_log(j->ctx, OPTML_LOG_WARNING, "the newest checkpoint is not used (%s); starting afresh", err);
        free(data);
        return OPTML_OK;
    }
    j->rng = get64(p + 8);
    j->iterations = get64(p + 16);
    uint64_t bm = get64(p + 24), e = get64(p + 32);
    memcpy(&j->best_map, &bm, 8);
    j->best_epoch = (int)(uint32_t)e;
    j->bad_epochs = (int)(uint32_t)(e >> 32);
    free(data);
    *epoch = (int)step_;
    optml_log(j->ctx, OPTML_LOG_INFO, "Resuming from the checkpoint after epoch %" PRIu64, step_);
    return OPTML_OK;
}

/* ------------------------------------------------------------------ setup */

/* The model channel's earlier model, when given: same network, classes,
 * image_shape and width, else a ClientError naming what differs. */
static optml_status incremental(struct od_job *j, const optml_channel *ch)
{
    void *data = NULL;
    size_t len = 0;
    optml_status s = od_model_channel_read(j->ctx, ch, &data, &len);
    if (s != OPTML_OK)
        return s == OPTML_E_MODEL ? optml_error(j->ctx, OPTML_E_CLIENT, "model channel: %s",
                                                optml_error_message(j->ctx)) : s;
    struct od_model_info mi;
    char err[256];
    if (od_model_peek(data, len, &mi, err, sizeof(err)) != 0)
        s = optml_error(j->ctx, OPTML_E_CLIENT, "model channel: %s", err);
    else if (mi.base_network != j->mi.base_network || mi.num_classes != j->mi.num_classes)
        s = optml_error(j->ctx, OPTML_E_CLIENT, "model channel: the earlier model has base_network %s and "
                        "num_classes %u; this job has %s and %u (incremental training needs the same)",
                        od_backbone_name((enum od_backbone)mi.base_network), mi.num_classes,
                        od_backbone_name((enum od_backbone)j->mi.base_network), j->mi.num_classes);
    else if (mi.image_shape != j->mi.image_shape || mi.width != j->mi.width)
        s = optml_error(j->ctx, OPTML_E_CLIENT, "model channel: the earlier model has image_shape %u and "
                        "width_multiplier %g; this job has %u and %g (incremental training needs the same)",
                        mi.image_shape, (double)mi.width, j->mi.image_shape, (double)j->mi.width);
    else if (nn_params_load(&j->net.params, (unsigned char *)data + OD_MODEL_HEADER, len - OD_MODEL_HEADER, 0, err,
                            sizeof(err)) != 0)
        s = optml_error(j->ctx, OPTML_E_CLIENT, "model channel: %s", err);
    free(data);
    if (s == OPTML_OK)
        optml_log(j->ctx, OPTML_LOG_INFO, "Starting from the model channel's model (incremental training)");
    return s;
}

static optml_status open_data(struct od_job *j, int which, const char *name, const char *ann)
{
    const optml_channel *ch = optml_channel_get(j->ctx, name);
    if (!ch)
        return OPTML_OK;
    struct od_dataset_opts o = {.image_shape = j->S, .num_classes = j->cfg->num_classes,
                                .label_width = (size_t)j->cfg->label_width};
    return od_dataset_open(j->ctx, ch, optml_channel_get(j->ctx, ann), &o, &j->ds[which]);
}

static optml_status setup(struct od_job *j)
{
    optml_ctx *ctx = j->ctx;
    const struct od_config *c = j->cfg;
    const optml_channel *model_ch = optml_channel_get(ctx, "model");
    if (c->use_pretrained_model == 1 && !model_ch)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "use_pretrained_model=1: no pretrained weights ship with optml. Train from scratch "
                           "(use_pretrained_model=0), or continue from an earlier optml object-detection model of "
                           "the same base_network and num_classes given as the 'model' channel (its model.tar.gz)");
    j->S = (size_t)c->image_shape;
    j->B = (size_t)c->mini_batch_size;
    j->mi = (struct od_model_info){(uint32_t)c->base_network, (uint32_t)c->num_classes, (uint32_t)c->image_shape,
                                   (float)c->width_multiplier, (float)c->nms_threshold, (uint32_t)c->nms_topk};
    optml_status s = open_data(j, OD_TRAIN, "train", "train_annotation");
    if (s == OPTML_OK)
        s = open_data(j, OD_VALID, "validation", "validation_annotation");
    if (s != OPTML_OK)
        return s;
    if (!j->ds[OD_VALID])
        optml_log(ctx, OPTML_LOG_WARNING, "no validation channel: no validation mAP is computed");
    char err[256];
    struct od_net_cfg nc = od_info_net_cfg(&j->mi, j->B, (uint64_t)c->seed + 1);
    if (od_net_create(&j->net, &nc, 1, err, sizeof(err)) != 0)
        return optml_error(ctx, OPTML_E_CLIENT, "network %s for image_shape %zu: %s", od_backbone_name(nc.backbone), j->S, err);
    if (c->threads > 1 && od_net_set_threads(&j->net, c->threads, err, sizeof(err)) != 0)
        optml_log(ctx, OPTML_LOG_WARNING, "training on one thread: %s", err);
    j->A = j->net.A;
    j->K = j->net.K;
    size_t A = j->A, K = j->K, B = j->B, in = j->S * j->S * 3;
    j->anc = malloc(A * sizeof(*j->anc));
    j->x = malloc(B * in * sizeof(float));
    j->loc = malloc(B * A * 4 * sizeof(float));
    j->dloc = malloc(B * A * 4 * sizeof(float));
    j->lt = malloc(B * A * 4 * sizeof(float));
    j->conf = malloc(B * A * K * sizeof(float));
    j->dconf = malloc(B * A * K * sizeof(float));
    j->ct = malloc(B * A * sizeof(int));
    j->prob = malloc(A * K * sizeof(float));
    j->boxes = malloc(A * sizeof(*j->boxes));
    j->rows = malloc((size_t)c->nms_topk * OD_DET_COLS * sizeof(float));
    if (!j->anc || !j->x || !j->loc || !j->dloc || !j->lt || !j->conf || !j->dconf || !j->ct || !j->prob ||
        !j->boxes || !j->rows)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory for the network at mini_batch_size %zu", B);
    od_net_anchors(&j->net, j->anc);
    size_t per = in;
    j->cap_buf = SHUFFLE_BYTES / per;
    if ((int64_t)j->cap_buf > c->num_training_samples)
        j->cap_buf = (size_t)c->num_training_samples;
    if (j->cap_buf < B)
        j->cap_buf = B;
    if (!(j->buf = calloc(j->cap_buf, sizeof(*j->buf))))
        return od_job_nomem(ctx);
    j->oc = od_optimizer(c);
    j->rng = rng_mix64((uint64_t)c->seed ^ 0x6f626a6563742d64ull);
    size_t n_param = 0;
    for (size_t i = 0; i < j->net.params.n_tensors; i++)
        n_param += j->net.params.t[i].n;
    optml_log(ctx, OPTML_LOG_INFO, "Network %s width %g: %zu parameters, %u feature maps, %zu default boxes, "
              "%.2f GMACs an image at %zux%zu", od_backbone_name(nc.backbone), c->width_multiplier, n_param, j->net.n_maps, A,
              od_net_flops(&j->net) * 1e-9, j->S, j->S);
    if ((s = od_freeze(j)) != OPTML_OK)
        return s;
    if (model_ch && (s = incremental(j, model_ch)) != OPTML_OK)
        return s;
    if (c->early_stopping && !(j->best_params = malloc(j->net.params.n_param * sizeof(float))))
        return od_job_nomem(ctx);
    j->best_map = -1;
    return OPTML_OK;
}

static void teardown(struct od_job *j)
{
    for (int i = 0; i < 2; i++)
        od_dataset_close(j->ds[i]);
    od_net_free(&j->net);
    for (size_t i = 0; i < j->cap_buf && j->buf; i++) {
        free(j->buf[i].px);
        free(j->buf[i].obj);
    }
    for (int i = 0; i < OD_N_SHOW; i++) {
        free(j->show_px[i]);
        free(j->show_rows[i]);
    }
    free(j->buf), free(j->anc), free(j->x), free(j->loc), free(j->dloc), free(j->lt), free(j->conf);
    free(j->dconf), free(j->ct), free(j->prob), free(j->boxes), free(j->rows), free(j->frozen);
    free(j->best_params), free(j->dets), free(j->gts), free(j->tmp_obj);
}

/* --------------------------------------------------------------- training */

static int slot_fill(struct slot *sl, const struct od_sample *s)
{
    size_t px = s->side * s->side * 3;
    if (!sl->px && !(sl->px = malloc(px)))
        return -1;
    memcpy(sl->px, s->px, px);
    if (s->n_obj > sl->cap_obj) {
        struct od_object *o = realloc(sl->obj, s->n_obj * sizeof(*o));
        if (!o)
            return -1;
        sl->obj = o;
        sl->cap_obj = s->n_obj;
    }
    if (s->n_obj)
        memcpy(sl->obj, s->obj, s->n_obj * sizeof(*sl->obj));
    sl->n_obj = s->n_obj;
    return 0;
}

/* Slot sl augmented into batch row i: crop, flip, distortion, pixels to
 * [-1, 1], objects matched to the default boxes. */
static optml_status augment_into(struct od_job *j, const struct slot *sl, size_t i)
{
    if (sl->n_obj > j->cap_tmp) {
        struct od_object *o = realloc(j->tmp_obj, sl->n_obj * sizeof(*o));
        if (!o)
            return od_job_nomem(j->ctx);
        j->tmp_obj = o;
        j->cap_tmp = sl->n_obj;
    }
    struct od_crop_params cp;
    od_crop_params_default(&cp);
    struct img_u8 src = {sl->px, j->S, j->S, 3}, dst;
    struct od_box crop = od_crop_sample(&j->rng, sl->obj, sl->n_obj, &cp);
    size_t n = od_crop_objects(sl->obj, sl->n_obj, &crop, j->tmp_obj);
    if (od_crop_image(&src, &crop, j->S, j->S, &dst) != 0)
        return od_job_nomem(j->ctx);
    if (rng_uniform(&j->rng) < 0.5f) {
        od_flip_image(&dst);
        od_flip_objects(j->tmp_obj, n);
    }
    od_distort(&dst, &j->rng);
    size_t in = j->S * j->S * 3;
    float *x = j->x + i * in;
    for (size_t p = 0; p < in; p++)
        x[p] = dst.px[p] * (1.0f / 127.5f) - 1.0f;
    img_free(&dst);
    od_match(j->anc, j->A, j->tmp_obj, n, 0.5f, j->ct + i * j->A, j->lt + i * j->A * 4, NULL);
    return OPTML_OK;
}

static void loss_metrics(optml_ctx *ctx, int epoch, int batch, double l1, double ce)
{
    struct optml_metric m = {"train", "smooth_l1", "loss", l1, epoch, batch};
    optml_metric(ctx, &m);
    m.name = "cross_entropy", m.value = ce;
    optml_metric(ctx, &m);
}

static optml_status epoch_run(struct od_job *j, int epoch)
{
    struct od_pass *p = NULL;
    optml_status s = od_pass_open(j->ctx, j->ds[OD_TRAIN], &p);
    size_t filled = 0, nb = 0;
    uint64_t n = 0;
    int batch = 0, ended = 0;
    double l1 = 0, ce = 0, l1_run = 0, ce_run = 0;
    int run = 0;
    float lr = od_epoch_lr(j->cfg, epoch);
    struct od_sample smp;
    /* fill the buffer */
    while (s == OPTML_OK && filled < j->cap_buf) {
        if ((s = od_pass_next(p, &smp)) == OPTML_END) {
            ended = 1;
            s = OPTML_OK;
            break;
        }
        if (s == OPTML_OK && slot_fill(&j->buf[filled++], &smp) != 0)
            s = od_job_nomem(j->ctx);
    }
    while (s == OPTML_OK && filled > 0) {
        if (optml_should_stop(j->ctx)) {
            s = OPTML_STOPPED;
            break;
        }
        size_t k = (size_t)rng_below(&j->rng, filled);
        if ((s = augment_into(j, &j->buf[k], nb)) != OPTML_OK)
            break;
        nb++;
        n++;
        /* replace the slot by the next sample, or by the last slot */
        if (!ended && (s = od_pass_next(p, &smp)) == OPTML_OK) {
            if (slot_fill(&j->buf[k], &smp) != 0)
                s = od_job_nomem(j->ctx);
        } else if (s == OPTML_END || ended) {
            ended = 1;
            s = OPTML_OK;
            struct slot t = j->buf[k];
            j->buf[k] = j->buf[filled - 1];
            j->buf[filled - 1] = t;
            filled--;
        }
        if (s != OPTML_OK)
            break;
        if (nb < j->B && filled > 0)
            continue;
        od_net_forward(&j->net, j->x, nb, j->loc, j->conf);
        struct od_loss L;
        if (od_multibox_loss(j->loc, j->conf, j->lt, j->ct, nb, j->A, j->K, 3.0f, &L, j->dloc, j->dconf) != 0) {
            s = od_job_nomem(j->ctx);
            break;
        }
        if (!isfinite(L.loc) || !isfinite(L.conf)) {
            s = optml_error(j->ctx, OPTML_E_CLIENT, "the training loss diverged (not a number) in epoch %d batch "
                            "%d: lower learning_rate (%g)", epoch, batch, (double)lr);
            break;
        }
        nn_params_zero_grad(&j->net.params);
        od_net_backward(&j->net, j->dloc, j->dconf, NULL);
        od_step(j, lr);
        j->iterations++;
        l1 += L.loc, ce += L.conf, l1_run += L.loc, ce_run += L.conf, run++;
        batch++;
        nb = 0;
        if (batch % LOG_EVERY == 0) {
            loss_metrics(j->ctx, epoch, batch, l1_run / run, ce_run / run);
            l1_run = ce_run = 0;
            run = 0;
        }
        uint64_t total = (uint64_t)j->cfg->num_training_samples;
        optml_progress(j->ctx, total ? fmin(1.0, (double)n / (double)total) : -1, n);
    }
    od_pass_close(p);
    if (s == OPTML_OK && run > 0)
        loss_metrics(j->ctx, epoch, batch, l1_run / run, ce_run / run);
    if (s == OPTML_OK && n == 0)
        s = optml_error(j->ctx, OPTML_E_CLIENT, "the train channel holds no images");
    if (s == OPTML_OK) {
        if (epoch == 0 || j->n_train == 0) {
            optml_report_rows(j->ctx, "train", n, 0);
            if ((int64_t)n != j->cfg->num_training_samples)
                optml_log(j->ctx, OPTML_LOG_WARNING, "num_training_samples is %" PRId64 " but the train channel "
                          "holds %" PRIu64 " images", j->cfg->num_training_samples, n);
        }
        j->n_train = n;
        optml_log(j->ctx, OPTML_LOG_INFO, "Epoch[%d] Train-smooth_l1=%f, cross_entropy=%f (%d batches, lr %g)",
                  epoch, batch ? l1 / batch : 0, batch ? ce / batch : 0, batch, (double)lr);
    }
    return s;
}

optml_status od_train(optml_ctx *ctx)
{
    struct od_job j;
    memset(&j, 0, sizeof(j));
    j.ctx = ctx;
    j.cfg = optml_config(ctx);
    const struct od_config *c = j.cfg;
    optml_status s = setup(&j);
    int epoch = 0, stopped_early = 0;
    if (s == OPTML_OK)
        s = resume(&j, &epoch);
    for (; s == OPTML_OK && epoch < c->epochs; epoch++) {
        optml_epoch_begin(ctx, epoch, c->epochs);
        double t0 = now_s();
        if ((s = epoch_run(&j, epoch)) != OPTML_OK)
            break;
        double secs = now_s() - t0;
        optml_epoch_end(ctx, epoch, j.n_train);
        optml_log(ctx, OPTML_LOG_INFO, "Epoch[%d] Time cost=%.3f", epoch, secs);
        if (j.ds[OD_VALID]) {
            double map = 0;
            if ((s = od_validate(&j, epoch, &map)) != OPTML_OK)
                break;
            /* the built-in's line (D.4: the value in parentheses), then the
             * runtime's metric record (metrics.jsonl, the report's curve) */
            optml_log(ctx, OPTML_LOG_INFO, "#quality_metric: host=%s, epoch=%d, validation mAP <score>=(%.6g)",
                      optml_host_name(ctx), epoch, map);
            struct optml_metric m = {"validation", "mAP", "score", map, epoch, -1};
            optml_metric(ctx, &m);
            stopped_early = od_early_stop(&j, epoch, map);
        }
        if ((s = checkpoint(&j, (uint64_t)epoch + 1)) != OPTML_OK || stopped_early)
            break;
    }
    if (s == OPTML_STOPPED) {
        optml_log(ctx, OPTML_LOG_INFO, "Stopping in epoch %d: checkpoint and model of the updates so far", epoch);
        optml_status cs = checkpoint(&j, (uint64_t)epoch);
        if (cs == OPTML_OK)
            cs = od_model_save(ctx, &j.mi, &j.net);
        teardown(&j);
        return cs == OPTML_OK ? OPTML_STOPPED : cs;
    }
    if (s == OPTML_OK && stopped_early && j.best_params)
        memcpy(j.net.params.param, j.best_params, j.net.params.n_param * sizeof(float));
    if (s == OPTML_OK && (s = od_model_save(ctx, &j.mi, &j.net)) == OPTML_OK)
        optml_log(ctx, OPTML_LOG_INFO, "Model saved in %s (%s, hyperparams.json)", optml_model_dir(ctx),
                  OD_MODEL_FILE);
    teardown(&j);
    return s;
}
