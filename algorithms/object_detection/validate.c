/*
 * validate.c: the object-detection job's validation after each epoch: the
 * validation channel through the network in batches, detections by
 * detect.c, VOC07 11-point mAP (and area-under-curve AP for the report's
 * per-class table) at overlap_threshold, the first OD_N_SHOW images drawn
 * with their true and predicted boxes to output/data/validation_<k>.png,
 * and early stopping on the mAP.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/image_encode.h"
#include "object_detection/draw.h"
#include "object_detection/job.h"
#include "object_detection/nms.h"

#define SHOW_MIN_SCORE 0.3f

static int push_det(struct od_job *j, const struct od_eval_det *d)
{
    if (j->nd == j->cap_d) {
        size_t cap = j->cap_d ? 2 * j->cap_d : 1024;
        struct od_eval_det *n = realloc(j->dets, cap * sizeof(*n));
        if (!n)
            return -1;
        j->dets = n, j->cap_d = cap;
    }
    j->dets[j->nd++] = *d;
    return 0;
}

static int push_gt(struct od_job *j, const struct od_eval_gt *g)
{
    if (j->ng == j->cap_g) {
        size_t cap = j->cap_g ? 2 * j->cap_g : 1024;
        struct od_eval_gt *n = realloc(j->gts, cap * sizeof(*n));
        if (!n)
            return -1;
        j->gts = n, j->cap_g = cap;
    }
    j->gts[j->ng++] = *g;
    return 0;
}

/* The detections of the nb images of the batch that starts at image i0. */
static optml_status detect_batch(struct od_job *j, size_t nb, size_t i0)
{
    /* batch norm (resnet-50) from its moving statistics, as served */
    od_net_set_training(&j->net, 0);
    od_net_forward(&j->net, j->x, nb, j->loc, j->conf);
    od_net_set_training(&j->net, 1);
    for (size_t i = 0; i < nb; i++) {
        size_t n = od_detect(&j->net, j->anc, j->loc, j->conf, i, (float)j->cfg->nms_threshold,
                             (size_t)j->cfg->nms_topk, j->prob, j->boxes, j->rows);
        for (size_t r = 0; r < n; r++) {
            const float *w = j->rows + r * OD_DET_COLS;
            struct od_eval_det d = {i0 + i, (int)w[0], w[1], {w[2], w[3], w[4], w[5]}};
            if (push_det(j, &d) != 0)
                return od_job_nomem(j->ctx);
        }
        size_t img = i0 + i;
        if (img < OD_N_SHOW) {
            size_t shown = 0;
            float *rows = j->show_rows[img];
            size_t truth = j->show_n[img]; /* the true boxes are already there */
            for (size_t r = 0; r < n && truth + shown < (size_t)j->cfg->nms_topk + 64; r++)
                if (j->rows[r * OD_DET_COLS + 1] >= SHOW_MIN_SCORE)
                    memcpy(rows + (truth + shown++) * OD_DET_COLS, j->rows + r * OD_DET_COLS,
                           OD_DET_COLS * sizeof(float));
            j->show_n[img] += shown;
        }
    }
    return OPTML_OK;
}

/* output/data/validation_<k>.png: image k with its true boxes (tags
 * without a score) and the detections of score >= SHOW_MIN_SCORE. */
static void show(struct od_job *j, size_t n_img)
{
    const char *model = optml_model_dir(j->ctx);
    char *out = NULL;
    const char *slash = strrchr(model, '/');
    if (!slash || asprintf(&out, "%.*s/output/data", (int)(slash - model), model) < 0)
        return;
    for (size_t k = 0; k < n_img && k < OD_N_SHOW; k++) {
        struct img_u8 im = {j->show_px[k], j->S, j->S, 3};
        od_draw_detections(&im, j->show_rows[k], j->show_n[k], NULL, 0, -1.0f);
        uint8_t *png = NULL;
        size_t len = 0;
        char err[128], *path = NULL;
        if (img_encode_png(&im, &png, &len, err, sizeof(err)) == 0 &&
            asprintf(&path, "%s/validation_%zu.png", out, k) > 0)
            optml_file_write_atomic(j->ctx, path, png, len);
        free(png);
        free(path);
    }
    free(out);
}

optml_status od_validate(struct od_job *j, int epoch, double *map)
{
    struct od_pass *p = NULL;
    optml_status s = od_pass_open(j->ctx, j->ds[OD_VALID], &p);
    j->nd = j->ng = 0;
    size_t nb = 0, img = 0, in = j->S * j->S * 3, show_cap = (size_t)j->cfg->nms_topk + 64;
    struct od_sample smp;
    while (s == OPTML_OK && (s = od_pass_next(p, &smp)) == OPTML_OK) {
        if (optml_should_stop(j->ctx)) {
            s = OPTML_STOPPED;
            break;
        }
        float *x = j->x + nb * in;
        for (size_t q = 0; q < in; q++)
            x[q] = smp.px[q] * (1.0f / 127.5f) - 1.0f;
        for (size_t o = 0; o < smp.n_obj; o++) {
            struct od_eval_gt g = {img, smp.obj[o].cls, smp.obj[o].box};
            if (push_gt(j, &g) != 0)
                s = od_job_nomem(j->ctx);
        }
        if (img < OD_N_SHOW) {
            if ((!j->show_px[img] && !(j->show_px[img] = malloc(in))) ||
                (!j->show_rows[img] && !(j->show_rows[img] = malloc(show_cap * OD_DET_COLS * sizeof(float))))) {
                s = od_job_nomem(j->ctx);
                break;
            }
            memcpy(j->show_px[img], smp.px, in);
            j->show_n[img] = 0;
            for (size_t o = 0; o < smp.n_obj && o < 64; o++) {
                const struct od_object *ob = &smp.obj[o];
                float row[OD_DET_COLS] = {(float)ob->cls, -1.0f, ob->box.xmin, ob->box.ymin, ob->box.xmax,
                                          ob->box.ymax};
                memcpy(j->show_rows[img] + j->show_n[img]++ * OD_DET_COLS, row, sizeof(row));
            }
        }
        nb++;
        img++;
        if (nb == j->B) {
            if ((s = detect_batch(j, nb, img - nb)) != OPTML_OK)
                break;
            nb = 0;
        }
    }
    od_pass_close(p);
    if (s == OPTML_END) {
        s = OPTML_OK;
        if (nb)
            s = detect_batch(j, nb, img - nb);
    }
    if (s != OPTML_OK)
        return s;
    if (img == 0)
        return optml_error(j->ctx, OPTML_E_CLIENT, "the validation channel holds no images");
    if (epoch == 0)
        optml_report_rows(j->ctx, "validation", img, 0);
    int C = j->cfg->num_classes;
    float *ap = malloc((size_t)C * 2 * sizeof(float));
    double map_area;
    if (!ap || od_map(j->dets, j->nd, j->gts, j->ng, C, (float)j->cfg->overlap_threshold, OD_AP_VOC07, ap, map) != 0 ||
        od_map(j->dets, j->nd, j->gts, j->ng, C, (float)j->cfg->overlap_threshold, OD_AP_AREA, ap + C, &map_area) != 0) {
        free(ap);
        return od_job_nomem(j->ctx);
    }
    show(j, img);
    /* per-class AP for the report (replaced each epoch: the last one stays) */
    size_t rows = 0;
    char **cells = calloc((size_t)C * 4, sizeof(char *));
    if (cells) {
        for (int c = 0; c < C && c < 200; c++) {
            if (ap[c] < 0)
                continue;
            size_t n_gt = 0;
            for (size_t g = 0; g < j->ng; g++)
                n_gt += j->gts[g].cls == c;
            if (asprintf(&cells[rows * 4], "%d", c) < 0 || asprintf(&cells[rows * 4 + 1], "%zu", n_gt) < 0 ||
                asprintf(&cells[rows * 4 + 2], "%.4f", (double)ap[c]) < 0 ||
                asprintf(&cells[rows * 4 + 3], "%.4f", (double)ap[C + c]) < 0)
                break;
            rows++;
        }
        static const char *const header[4] = {"class", "objects", "AP (VOC07 11-point)", "AP (area)"};
        char title[64];
        snprintf(title, sizeof(title), "Validation AP per class (epoch %d)", epoch);
        optml_report_table(j->ctx, "Validation AP per class", 4, header, rows, (const char *const *)cells, title);
        for (size_t i = 0; i < (size_t)C * 4; i++)
            free(cells[i]);
        free(cells);
    }
    free(ap);
    return OPTML_OK;
}

/* Early stopping (D.1): after early_stopping_min_epochs, stop when
 * early_stopping_patience epochs in a row did not improve the best mAP by
 * more than early_stopping_tolerance (relative).  Keeps the best
 * parameters.  Returns 1 to stop. */
int od_early_stop(struct od_job *j, int epoch, double map)
{
    const struct od_config *c = j->cfg;
    int better = j->best_map < 0 || (j->best_map > 0 ? (map - j->best_map) / j->best_map > c->early_stopping_tolerance
                                                      : map > j->best_map);
    if (better) {
        j->best_map = map;
        j->best_epoch = epoch;
        j->bad_epochs = 0;
        if (j->best_params)
            memcpy(j->best_params, j->net.params.param, j->net.params.n_param * sizeof(float));
    } else
        j->bad_epochs++;
    if (!c->early_stopping || epoch + 1 < c->early_stopping_min_epochs || j->bad_epochs < c->early_stopping_patience)
        return 0;
    optml_log(j->ctx, OPTML_LOG_INFO, "Early stopping after epoch %d: validation mAP has not improved for %d epochs; "
              "the model of epoch %d (mAP %.4f) is kept", epoch, j->bad_epochs, j->best_epoch, j->best_map);
    return 1;
}

