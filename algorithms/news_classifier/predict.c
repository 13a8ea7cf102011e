/*
 * predict.c: serving.  model_load reads the model file once; predict scores
 * every headline of a request and answers the workshop's shape,
 * {"result": "<label name>"} (a list for several headlines), or one
 * {"result": ...} object per line for application/jsonlines; verbose adds
 * "probabilities" {name: p}.  The runtime negotiated the Accept type:
 * predict switches on its index in nc_response_types (defined here).  The
 * model is read-only: requests run concurrently, each with its own scratch.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "news_classifier/nc.h"
#include "news_classifier/request.h"

#define MODEL_FILE "news-classifier.model"

/* The module table's response_types, indexed by enum nc_response_type. */
const char *const nc_response_types[NC_N_OUT + 1] = {
    [NC_OUT_JSON] = "application/json",
    [NC_OUT_JSONLINES] = "application/jsonlines",
    [NC_N_OUT] = NULL,
};

optml_status nc_model_load(optml_ctx *ctx, const char *model_dir, void **out)
{
    void *data;
    size_t len;
    optml_status s = optml_model_read(ctx, model_dir, MODEL_FILE, &data, &len);
    if (s != OPTML_OK)
        return s;
    struct nc_model *m = calloc(1, sizeof(*m));
    if (!m) {
        free(data);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory loading the model");
    }
    s = nc_model_decode(ctx, data, len, m);
    free(data);
    if (s != OPTML_OK) {
        free(m);
        return s;
    }
    optml_log(ctx, OPTML_LOG_INFO, "news-classifier model: %s architecture, %u classes",
              m->arch == NC_ARCH_NGRAM ? "ngram" : "workshop", m->k);
    *out = m;
    return OPTML_OK;
}

void nc_model_release(void *model)
{
    if (!model)
        return;
    nc_model_free(model);
    free(model);
}

static json_t *probabilities(const struct nc_model *m, const float *p)
{
    json_t *o = json_object();
    for (uint32_t c = 0; o && c < m->k; c++)
        json_object_set_new(o, m->label_name[c], json_real(p[c]));
    return o;
}

static optml_status emit(optml_ctx *ctx, optml_response *resp, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (!text)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory writing the response");
    optml_status s = optml_response_append(resp, text, strlen(text));
    free(text);
    return s;
}

optml_status nc_predict(optml_ctx *ctx, const void *model, const struct optml_request *req, optml_response *resp)
{
    const struct nc_model *m = model;
    int lines;
    switch ((enum nc_response_type)req->accept_index) {
    case NC_OUT_JSON: lines = 0; break;
    case NC_OUT_JSONLINES: lines = 1; break;
    default:
        return optml_error(ctx, OPTML_E_INTERNAL, "response type index %d is not one of news-classifier's",
                           req->accept_index);
    }
    struct nc_inputs in;
    optml_status s = nc_parse_request(ctx, req, &in);
    if (s != OPTML_OK)
        return s;
    struct nc_scratch sc = {0};
    float *p = malloc(m->k * sizeof(float));
    json_t *results = json_array(), *probs = json_array();
    if (!p || !results || !probs) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < in.n; i++) {
        if ((i & 63) == 63 && optml_should_stop(ctx)) {
            s = optml_error(ctx, OPTML_E_TIMEOUT, "prediction cancelled");
            goto out;
        }
        if (nc_model_probs(m, in.text[i], in.len[i], &sc, p) != 0) {
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory scoring");
            goto out;
        }
        uint32_t best = 0;
        for (uint32_t c = 1; c < m->k; c++)
            best = p[c] > p[best] ? c : best;
        json_array_append_new(results, json_string(m->label_name[best]));
        if (in.verbose)
            json_array_append_new(probs, probabilities(m, p));
    }
    if (lines) {
        for (size_t i = 0; i < in.n && s == OPTML_OK; i++) {
            json_t *o = json_pack("{s:O}", "result", json_array_get(results, i));
            if (o && in.verbose)
                json_object_set(o, "probabilities", json_array_get(probs, i));
            if ((s = emit(ctx, resp, o)) == OPTML_OK)
                s = optml_response_append(resp, "\n", 1);
        }
        goto out;
    }
    json_t *o = in.list ? json_pack("{s:O}", "result", results)
                        : json_pack("{s:O}", "result", json_array_get(results, 0));
    if (o && in.verbose)
        json_object_set(o, "probabilities", in.list ? probs : json_array_get(probs, 0));
    s = emit(ctx, resp, o);
out:
    json_decref(results);
    json_decref(probs);
    free(p);
    nc_scratch_free(&sc);
    nc_inputs_free(&in);
    return s;
}
