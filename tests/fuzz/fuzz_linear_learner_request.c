/*
 * fuzz_linear_learner_request.c: libFuzzer target for the linear learner's
 * /invocations path (algorithms/linear_learner/predict.c, json_input.c,
 * parse.c, csv_floats.c, protobuf_record.c): request body in, response body out,
 * through ll_predict, the function the module table's predict points at.
 *
 * Models are built once, through the module's own payload codec
 * (ll_model_encode -> ll_model_decode -> ll_model_fold, as ll_model_load
 * does): binary logistic, binary hinge, multiclass (K = 3) and regressor,
 * all D = 4 with a non-trivial scaler, plus a binary model with D = 70000
 * (sparse CSV storage, the dense_budget branch).
 *
 * Input: byte 0 selects
 *   bits 0-1  Content-Type: the module's request type of that index
 *             (text/csv, application/json, application/jsonlines,
 *             application/x-recordio-protobuf)
 *   bits 2-3  Accept: the module's response type of that index
 *             (application/json, application/jsonlines,
 *             application/x-recordio-protobuf; 3 wraps to json)
 *   bits 4-6  model (mod 5)
 * and the rest is the body (an exact-size heap copy, so ASan sees any read
 * past its end).
 *
 * Checked: the status is OPTML_OK, or OPTML_E_CLIENT / OPTML_E_TOO_LARGE
 * with a non-empty message.  On OK: a JSON response parses with jansson and
 * has one {"score", "predicted_label"} object of the right shape per
 * prediction, with no nan/inf token; a JSON Lines response has one such
 * object per line; a RecordIO-protobuf response is whole records whose
 * label["score"] has K values.  The three response forms must agree on the
 * number of predictions for the same request.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "linear_learner/ll.h"
#include "codec/protobuf_record.h"
#include "serve/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_MODELS 5


static struct ll_model *models[N_MODELS];

/* A model through the module's codec: encode a hand-built one, decode and
 * fold it as ll_model_load does. */
static struct ll_model *build(enum ll_predictor type, enum loss_kind loss, size_t D, size_t K)
{
    struct ll_model src;
    memset(&src, 0, sizeof(src));
    src.type = type;
    src.loss = loss;
    src.D = D;
    src.K = K;
    src.threshold = type == LL_BINARY ? ll_default_threshold(loss) : 0.0f;
    src.W = malloc(K * D * sizeof(float));
    src.b = malloc(K * sizeof(float));
    if (!src.W || !src.b || ll_scaler_identity(&src.sc, D) != 0)
        abort();
    for (size_t i = 0; i < K * D; i++)
        src.W[i] = (float)((int)(i % 7) - 3) * 0.25f;
    for (size_t k = 0; k < K; k++)
        src.b[k] = 0.1f * (float)k - 0.05f;
    for (size_t j = 0; j < D; j++) {
        src.sc.mean[j] = 0.5f * (float)(j % 3);
        src.sc.inv_std[j] = 1.0f / (1.0f + (float)(j % 4));
    }
    if (type == LL_REGRESSOR) {
        src.sc.y_mean = 3.0f;
        src.sc.y_std = 2.0f;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    if (ll_model_encode(&src, &buf, &len) != 0)
        abort();
    ll_model_free(&src);
    struct ll_model *m = calloc(1, sizeof(*m));
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    if (!m || ll_model_decode(&ctx, buf, len, m) != OPTML_OK || ll_model_fold(m) != 0) {
        fprintf(stderr, "model build failed: %s\n", optml_error_message(&ctx));
        abort();
    }
    free(buf);
    return m;
}

static void init_models(void)
{
    models[0] = build(LL_BINARY, LOSS_LOGISTIC, 4, 1);
    models[1] = build(LL_MULTICLASS, LOSS_SOFTMAX, 4, 3);
    models[2] = build(LL_REGRESSOR, LOSS_SQUARED, 4, 1);
    models[3] = build(LL_BINARY, LOSS_HINGE, 4, 1);
    models[4] = build(LL_BINARY, LOSS_LOGISTIC, 70000, 1);
}

static void fail(const char *what, const struct optml_response *resp)
{
    fprintf(stderr, "fuzz_linear_learner_request: %s\n", what);
    if (resp && resp->body)
        fprintf(stderr, "response (%zu bytes): %.*s\n", resp->len, (int)(resp->len > 2000 ? 2000 : resp->len),
                resp->body);
    abort();
}

/* One prediction object of model m. */
static void check_prediction(const struct ll_model *m, json_t *o, const struct optml_response *resp)
{
    if (!json_is_object(o))
        fail("prediction is not an object", resp);
    json_t *score = json_object_get(o, "score"), *label = json_object_get(o, "predicted_label");
    if (m->type == LL_MULTICLASS) {
        if (!json_is_array(score) || json_array_size(score) != m->K)
            fail("multiclass score is not an array of K values", resp);
        for (size_t k = 0; k < m->K; k++) {
            json_t *v = json_array_get(score, k);
            if (!json_is_number(v) && !json_is_null(v))
                fail("multiclass score element is not a number or null", resp);
        }
    } else if (!json_is_number(score) && !json_is_null(score)) {
        fail("score is not a number or null", resp);
    }
    if (m->type == LL_REGRESSOR) {
        if (label)
            fail("regressor prediction has a predicted_label", resp);
    } else {
        if (!json_is_integer(label))
            fail("predicted_label is not an integer", resp);
        json_int_t l = json_integer_value(label);
        if (l < 0 || (m->type == LL_BINARY ? l > 1 : l >= (json_int_t)m->K))
            fail("predicted_label out of range", resp);
    }
}

/* Number of predictions in an OK response; aborts when it is malformed. */
static size_t check_response(const struct ll_model *m, const char *accept, const struct optml_response *resp)
{
    const char *body = resp->body ? resp->body : "";
    size_t len = resp->len, n = 0;
    if (strcmp(accept, "application/x-recordio-protobuf") == 0) {
        struct optml_ctx ctx;
        rt_ctx_init(&ctx);
        optml_reader *r = NULL;
        if (optml_memory_open(&ctx, body, len, OPTML_FRAME_RECORDIO, &r) != OPTML_OK)
            fail("protobuf response: cannot open", resp);
        struct optml_record rec;
        struct pb_record pb = {0};
        optml_status s;
        char err[256];
        while ((s = optml_reader_next(r, &rec)) == OPTML_OK) {
            if (pb_decode_keys(rec.data, rec.len, &pb, NULL, "score", err, sizeof(err)) != 0) {
                fprintf(stderr, "decode: %s\n", err);
                fail("protobuf response record does not decode", NULL);
            }
            if (!pb.label.present || pb.label.n_values != m->K || pb.label.n_keys)
                fail("protobuf response record: score does not have K values", NULL);
            n++;
        }
        if (s != OPTML_END)
            fail("protobuf response: bad RecordIO framing", NULL);
        optml_reader_close(r);
        pb_record_free(&pb);
        return n;
    }
    if (strcasestr(body, "nan") || strcasestr(body, "inf"))
        fail("nan/inf token in a JSON response", resp);
    if (strlen(body) != len)
        fail("NUL byte in a JSON response", resp);
    json_error_t jerr;
    if (strcmp(accept, "application/jsonlines") == 0) {
        const char *p = body, *end = body + len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                fail("JSON Lines response does not end with a newline", resp);
            json_t *o = json_loadb(p, (size_t)(nl - p), 0, &jerr);
            if (!o) {
                fprintf(stderr, "jansson: %s\n", jerr.text);
                fail("JSON Lines response line does not parse", resp);
            }
            check_prediction(m, o, resp);
            json_decref(o);
            n++;
            p = nl + 1;
        }
        return n;
    }
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root) {
        fprintf(stderr, "jansson: %s\n", jerr.text);
        fail("JSON response does not parse", resp);
    }
    json_t *preds = json_object_get(root, "predictions");
    if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(preds))
        fail("JSON response is not {\"predictions\": [...]}", resp);
    n = json_array_size(preds);
    for (size_t i = 0; i < n; i++)
        check_prediction(m, json_array_get(preds, i), resp);
    json_decref(root);
    return n;
}

/* One predict call; returns the status, the number of predictions in *n. */
static optml_status run(const struct ll_model *m, int type, int accept, const unsigned char *body, size_t len,
                        size_t *n)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ctx.alg = NULL;
    struct optml_response resp;
    rt_response_init(&resp);
    const struct optml_request req = {
        .body = body,
        .len = len,
        .content_index = type,
        .accept_index = accept,
        .content_type = {ll_request_types[type], ""},
        .accept = {ll_response_types[accept], ""},
        .custom_attributes = NULL,
    };
    optml_status s = ll_predict(&ctx, m, &req, &resp);
    *n = 0;
    if (s == OPTML_OK) {
        if (optml_error_message(&ctx)[0])
            fail("OPTML_OK with an error message recorded", &resp);
        *n = check_response(m, ll_response_types[accept], &resp);
    } else if (s == OPTML_E_CLIENT || s == OPTML_E_TOO_LARGE) {
        const char *msg = optml_error_message(&ctx);
        if (!msg[0])
            fail("client error without a message", &resp);
    } else {
        fprintf(stderr, "status %s (%s): %s\n", optml_status_name(s), optml_status_text(s),
                optml_error_message(&ctx));
        fail("unexpected status", &resp);
    }
    rt_response_deinit(&resp);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!models[0])
        init_models();
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    int type = (sel & 3) % LL_N_IN;
    int accept = ((sel >> 2) & 3) % LL_N_OUT;
    const struct ll_model *m = models[((sel >> 4) & 7) % N_MODELS];
    size_t len = size - 1;
    unsigned char *body = malloc(len ? len : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, len);

    size_t n;
    optml_status s = run(m, type, accept, body, len, &n);
    /* The other response forms of the same request: same outcome, same
     * number of predictions (predict is deterministic on a fixed model). */
    if (s == OPTML_OK) {
        for (int a = 0; a < LL_N_OUT; a++) {
            if (a == accept)
                continue;
            size_t n2;
            optml_status s2 = run(m, type, a, body, len, &n2);
            if (s2 != OPTML_OK || n2 != n) {
                fprintf(stderr, "%s: %zu predictions; %s: status %s, %zu predictions\n",
                        ll_response_types[accept], n, ll_response_types[a], optml_status_name(s2), n2);
                fail("response forms disagree", NULL);
            }
        }
    }
    free(body);
    return 0;
}
