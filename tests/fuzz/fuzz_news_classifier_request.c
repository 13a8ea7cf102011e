/*
 * fuzz_news_classifier_request.c: libFuzzer target for the news
 * classifier's /invocations path (algorithms/news_classifier/request.c,
 * predict.c): nc_parse_request on its own, then nc_predict, the function the
 * module table's predict points at, on a small model of each architecture
 * (hand-built, through the payload codec as model_load does).
 *
 * Input: byte 0 selects
 *   bits 0-1  Content-Type: the module's request type of that index
 *             (application/json, application/jsonlines, text/plain;
 *             3 wraps to json)
 *   bit 2     Accept parameter verbose=1
 *   bit 3     Accept: application/jsonlines (else application/json)
 *   bit 4     model: workshop (else ngram)
 * and the rest is the body (an exact-size heap copy).
 *
 * Checked: the status is OPTML_OK or OPTML_E_CLIENT with a message; on OK
 * there is at least one headline, each with its length, and nc_predict
 * succeeds too, answering JSON: {"result": label or [labels]} with one label
 * per headline (one object per line for JSON Lines), plus
 * "probabilities" when verbose; on a parse error nc_predict fails the same
 * way.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "fixtures/news_labels.h"
#include "news_classifier/nc.h"
#include "news_classifier/request.h"
#include "serve/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nc_model *models[2];

static float *fill(size_t n, uint64_t *s)
{
    float *f = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        f[i] = (float)((*s >> 40) & 0xffff) / 32768.0f - 1.0f;
    }
    return f;
}

static struct nc_model *through_codec(struct nc_model *src)
{
    unsigned char *buf;
    size_t len;
    if (nc_model_encode(src, &buf, &len) != 0)
        abort();
    nc_model_free(src);
    struct nc_model *m = calloc(1, sizeof(*m));
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    if (!m || nc_model_decode(&ctx, buf, len, m) != OPTML_OK) {
        fprintf(stderr, "model build failed: %s\n", optml_error_message(&ctx));
        abort();
    }
    free(buf);
    return m;
}

static void init_models(void)
{
    uint64_t seed = 1;
    struct nc_model a;
    memset(&a, 0, sizeof(a));
    a.arch = NC_ARCH_NGRAM;
    fixture_news_labels(&a, 4);
    a.feat = (struct nc_featcfg){1024, 2, 2, 4};
    a.temperature = 1.0f;
    a.n_used = 512;
    a.used = malloc(512 * sizeof(uint32_t));
    for (uint32_t i = 0; i < 512; i++)
        a.used[i] = 2 * i;
    a.idf = fill(513, &seed);
    for (size_t i = 0; i < 513; i++)
        a.idf[i] = 1.5f + a.idf[i];
    a.E = fill(512 * 4, &seed);
    a.b = fill(4, &seed);
    models[0] = through_codec(&a);

    struct nc_model w;
    memset(&w, 0, sizeof(w));
    w.arch = NC_ARCH_WORKSHOP;
    fixture_news_labels(&w, 4);
    w.temperature = 1.0f;
    w.max_words = 16;
    w.max_len = 8;
    w.emb_dim = 3;
    w.units = 4;
    char *texts[] = {"the cat sat on the mat", "stocks fall as oil rises", "new phone unveiled"};
    if (nc_vocab_build(&w.vocab, texts, 3, 0, w.max_words) != 0)
        abort();
    /* the network's parameter block, then random weights in it */
    if (nc_workshop_declare(&w, 0, NULL, 0) != 0 || nc_workshop_alloc(&w, 0, OPTIM_SGD, NULL, 0) != 0)
        abort();
    float *parts[] = {w.emb, w.W1, w.b1, w.W2, w.b2};
    size_t sizes[] = {(size_t)w.max_words * w.emb_dim, (size_t)w.max_len * w.emb_dim * w.units, w.units,
                      (size_t)w.units * w.k, w.k};
    for (size_t i = 0; i < 5; i++) {
        float *r = fill(sizes[i], &seed);
        memcpy(parts[i], r, sizes[i] * sizeof(float));
        free(r);
    }
    models[1] = through_codec(&w);
}

/* One answer object: "result" a label name (or a list of n), "probabilities"
 * present iff verbose. */
static void check_object(json_t *o, size_t n, int list, int verbose)
{
    if (!json_is_object(o))
        abort();
    json_t *r = json_object_get(o, "result"), *p = json_object_get(o, "probabilities");
    if (list) {
        if (!json_is_array(r) || json_array_size(r) != n)
            abort();
    } else if (!json_is_string(r)) {
        abort();
    }
    if (verbose != (p != NULL))
        abort();
    if (p && (list ? !json_is_array(p) || json_array_size(p) != n : !json_is_object(p)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!models[0])
        init_models();
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    int type = (sel & 3) % NC_N_IN;
    const char *aparams = (sel & 4) ? "verbose=1" : "";
    int accept = (sel & 8) ? NC_OUT_JSONLINES : NC_OUT_JSON;
    const struct nc_model *m = models[(sel >> 4) & 1];
    size_t len = size - 1;
    unsigned char *body = malloc(len ? len : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, len);
    const struct optml_request req = {
        .body = body, .len = len, .content_index = type, .accept_index = accept,
        .content_type = {nc_request_types[type], ""}, .accept = {nc_response_types[accept], aparams}};

    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct nc_inputs in;
    optml_status s = nc_parse_request(&ctx, &req, &in);
    if (s == OPTML_OK) {
        if (in.n == 0)
            abort();
        for (size_t i = 0; i < in.n; i++)
            if (!in.text[i] || in.text[i][in.len[i]] != 0)
                abort();
    } else if (s != OPTML_E_CLIENT || !optml_error_message(&ctx)[0] || in.n || in.text) {
        fprintf(stderr, "parse: status %s: %s\n", optml_status_name(s), optml_error_message(&ctx));
        abort();
    }

    struct optml_ctx pctx;
    rt_ctx_init(&pctx);
    struct optml_response resp;
    rt_response_init(&resp);
    optml_status ps = nc_predict(&pctx, m, &req, &resp);
    if (ps != s) {
        fprintf(stderr, "parse %s, predict %s: %s\n", optml_status_name(s), optml_status_name(ps),
                optml_error_message(&pctx));
        abort();
    }
    if (ps == OPTML_OK) {
        const char *b = resp.body ? resp.body : "";
        json_error_t je;
        if (sel & 8) {
            size_t lines = 0;
            const char *p = b, *end = b + resp.len;
            while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                if (!nl)
                    abort();
                json_t *o = json_loadb(p, (size_t)(nl - p), 0, &je);
                if (!o)
                    abort();
                check_object(o, 1, 0, in.verbose);
                json_decref(o);
                lines++;
                p = nl + 1;
            }
            if (lines != in.n)
                abort();
        } else {
            json_t *o = json_loadb(b, resp.len, 0, &je);
            if (!o)
                abort();
            check_object(o, in.n, in.list, in.verbose);
            json_decref(o);
        }
    }
    rt_response_deinit(&resp);
    if (s == OPTML_OK)
        nc_inputs_free(&in);
    free(body);
    return 0;
}
