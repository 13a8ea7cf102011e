/*
 * fuzz_cifar_cnn_request.c: libFuzzer target for the cifar-cnn request
 * parser (algorithms/cifar_cnn/request.c): cc_parse_request, then the
 * answer writer on what it parsed.
 *
 * Input: byte 0 selects
 *   bits 0-2  Content-Type: the module's request type of that index,
 *             modulo their count (application/json, application/jsonlines,
 *             text/csv, application/x-npy, image/png, image/jpeg)
 *   bit 3     the model's shape: 2x3x1 (else 2x2x3)
 *   bit 4     Accept: application/jsonlines (else application/json)
 * and the rest is the body (an exact-size heap copy).
 *
 * Checked: the status is OPTML_OK, or a client status (400, or 413 for
 * too many images) with a message and nothing allocated; on OK there is at
 * least one image, every value is finite, and the answer for them (two
 * classes each) is JSON of one row per image, or one line per image.
 */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/request.h"
#include "core/ctx.h"
#include "serve/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    int type = (sel & 7) % CC_N_IN;
    const struct cc_shape shape = (sel & 8) ? (struct cc_shape){2, 3, 1} : (struct cc_shape){2, 2, 3};
    int accept = (sel & 16) ? CC_OUT_JSONLINES : CC_OUT_JSON;
    size_t len = size - 1;
    unsigned char *body = malloc(len ? len : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, len);
    const struct optml_request req = {.body = body, .len = len, .content_index = type, .accept_index = accept,
                                      .content_type = {cc_request_types[type], ""},
                                      .accept = {cc_response_types[accept], ""}};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct cc_inputs in;
    optml_status s = cc_parse_request(&ctx, &req, &shape, &in);
    if (s != OPTML_OK) {
        if ((s != OPTML_E_CLIENT && s != OPTML_E_TOO_LARGE) || !optml_error_message(&ctx)[0] || in.x || in.n) {
            fprintf(stderr, "parse: status %s: %s\n", optml_status_name(s), optml_error_message(&ctx));
            abort();
        }
        free(body);
        return 0;
    }
    size_t per = (size_t)shape.h * shape.w * shape.c;
    if (in.n == 0 || !in.x)
        abort();
    for (size_t i = 0; i < in.n * per; i++)
        if (!isfinite(in.x[i]))
            abort();
    float *probs = malloc(in.n * 2 * sizeof(float));
    if (!probs)
        abort();
    for (size_t i = 0; i < in.n; i++) {
        probs[2 * i] = 0.25f;
        probs[2 * i + 1] = 0.75f;
    }
    struct optml_response resp;
    rt_response_init(&resp);
    if (cc_write_predictions(&resp, accept, in.columnar, probs, in.n, 2) != OPTML_OK)
        abort();
    json_error_t je;
    if (accept == CC_OUT_JSON) {
        json_t *o = json_loadb(resp.body, resp.len, 0, &je);
        json_t *rows = o ? json_object_get(o, in.columnar ? "outputs" : "predictions") : NULL;
        if (!json_is_array(rows) || json_array_size(rows) != in.n)
            abort();
        json_decref(o);
    } else {
        size_t lines = 0;
        for (size_t i = 0; i < resp.len; i++)
            lines += resp.body[i] == '\n';
        if (lines != in.n)
            abort();
    }
    rt_response_deinit(&resp);
    free(probs);
    cc_inputs_free(&in);
    free(body);
    return 0;
}
