/*
 * request.c: serving (ALGORITHMS.md D.3).  A request body is one image
 * (image/jpeg, image/png, application/x-image: JPEG or PNG by its bytes,
 * decoded within the dataset's pixel budget, so a huge header is refused
 * before anything is allocated), resized to the model's image_shape and
 * run through an inference network from the model's pool; the detections
 * (NMS at the model's nms_threshold, at most nms_topk, scores from 0.01)
 * are answered as
 *   application/json               {"prediction": [[class_id, score, xmin, ymin, xmax, ymax], ...]}
 *                                  normalised corners, every number a float
 *   application/json;annotation=1  {"image_size": [{"width", "height", "depth"}],
 *                                   "annotations": [{"class_id", "score", "left", "top", "width", "height"}]}
 *                                  in the image's pixels
 *   image/png                      the image with the detections of score >= min_score (an Accept
 *                                  parameter, default 0.5) drawn (draw.h)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/image_encode.h"
#include "object_detection/dataset.h"
#include "object_detection/draw.h"
#include "object_detection/nms.h"
#include "object_detection/od.h"

#define DRAW_MIN_SCORE 0.5f

static optml_status write_prediction(optml_response *resp, const float *rows, size_t n)
{
    optml_status s = optml_response_printf(resp, "{\"prediction\": [");
    for (size_t r = 0; r < n && s == OPTML_OK; r++) {
        const float *w = rows + r * OD_DET_COLS;
        s = optml_response_printf(resp, "%s[%.1f, %.6g, %.6g, %.6g, %.6g, %.6g]", r ? ", " : "", (double)w[0],
                                  (double)w[1], (double)w[2], (double)w[3], (double)w[4], (double)w[5]);
    }
    return s == OPTML_OK ? optml_response_printf(resp, "]}") : s;
}

static optml_status write_annotations(optml_response *resp, const float *rows, size_t n, size_t W, size_t H)
{
    optml_status s = optml_response_printf(
        resp, "{\"image_size\": [{\"width\": %zu, \"height\": %zu, \"depth\": 3}], \"annotations\": [", W, H);
    for (size_t r = 0; r < n && s == OPTML_OK; r++) {
        const float *w = rows + r * OD_DET_COLS;
        long x0 = lroundf(w[2] * (float)W), y0 = lroundf(w[3] * (float)H);
        long x1 = lroundf(w[4] * (float)W), y1 = lroundf(w[5] * (float)H);
        s = optml_response_printf(resp,
                                  "%s{\"class_id\": %d, \"score\": %.6g, \"left\": %ld, \"top\": %ld, \"width\": %ld, "
                                  "\"height\": %ld}",
                                  r ? ", " : "", (int)w[0], (double)w[1], x0, y0, x1 - x0, y1 - y0);
    }
    return s == OPTML_OK ? optml_response_printf(resp, "]}") : s;
}

static optml_status write_png(optml_ctx *ctx, const struct optml_request *req, optml_response *resp,
                              struct img_u8 *im, const float *rows, size_t n)
{
    float min_score = DRAW_MIN_SCORE;
    char buf[32];
    if (optml_media_param(&req->accept, "min_score", buf, sizeof(buf))) {
        char *end;
        double v = strtod(buf, &end);
        if (end == buf || *end || !(v >= 0 && v <= 1))
            return optml_error(ctx, OPTML_E_CLIENT, "Accept: image/png;min_score=%s: expected a number in [0, 1]",
                               buf);
        min_score = (float)v;
    }
    od_draw_detections(im, rows, n, NULL, 0, min_score);
    uint8_t *png = NULL;
    size_t len = 0;
    char err[200];
    if (img_encode_png(im, &png, &len, err, sizeof(err)) != 0)
        return optml_error(ctx, OPTML_E_INTERNAL, "encoding the answer's PNG: %s", err);
    optml_status s = optml_response_append(resp, png, len);
    free(png);
    return s;
}

optml_status od_predict(optml_ctx *ctx, const void *model, const struct optml_request *req, optml_response *resp)
{
    struct od_served *sv = (struct od_served *)model;
    if (req->len == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "the request body is empty: send one image's JPEG or PNG bytes");
    struct img_u8 im = {0}, rs = {0};
    char err[256];
    if (img_decode(req->body, req->len, OD_DATASET_MAX_PIXELS, 3, &im, err, sizeof(err)) != 0)
        return optml_error(ctx, OPTML_E_CLIENT, "the request body is not an image this model reads: %s", err);
    size_t S = sv->mi.image_shape, A = sv->proto.A, K = sv->proto.K, in = S * S * 3;
    float *x = NULL, *loc = NULL, *conf = NULL, *prob = NULL, *rows = NULL;
    struct od_box *boxes = NULL;
    struct od_net *net = NULL;
    optml_status s = OPTML_OK;
    if (img_resize_bilinear(&im, S, S, &rs) != 0 || !(x = malloc(in * sizeof(float))) ||
        !(loc = malloc(A * 4 * sizeof(float))) || !(conf = malloc(A * K * sizeof(float))) ||
        !(prob = malloc(A * K * sizeof(float))) || !(boxes = malloc(A * sizeof(*boxes))) ||
        !(rows = malloc((size_t)sv->mi.nms_topk * OD_DET_COLS * sizeof(float))) ||
        !(net = od_served_take(sv, err, sizeof(err))))
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory for one image");
    size_t n = 0;
    if (s == OPTML_OK) {
        for (size_t p = 0; p < in; p++)
            x[p] = rs.px[p] * (1.0f / 127.5f) - 1.0f;
        od_net_forward(net, x, 1, loc, conf);
        n = od_detect(net, sv->anchors, loc, conf, 0, sv->mi.nms_threshold, sv->mi.nms_topk, prob, boxes, rows);
        od_served_give(sv, net);
        char ann[8];
        if (req->accept_index == OD_OUT_PNG)
            s = write_png(ctx, req, resp, &im, rows, n);
        else if (optml_media_param(&req->accept, "annotation", ann, sizeof(ann)) && strcmp(ann, "1") == 0)
            s = write_annotations(resp, rows, n, im.w, im.h);
        else
            s = write_prediction(resp, rows, n);
    }
    img_free(&im);
    img_free(&rs);
    free(x), free(loc), free(conf), free(prob), free(boxes), free(rows);
    return s;
}
