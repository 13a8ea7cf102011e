/*
 * test_predict.c: the linear learner's serving side in process: row sets
 * (dense and CSR products against a naive reference), the scaler folding,
 * the model payload round trip and its damage checks, model.json, the
 * files written through the runtime and read back by model_load, and
 * predict() for every request and response type and its errors.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures/ll_alg.h"
#include "support/harness.h"
#include "core/ctx.h"
#include "linear_learner/ll.h"
#include "codec/protobuf_record.h"
#include "serve/response.h"
#include "support/module_ctx.h"
#include "support/support.h"

#define LL_ALG fixture_ll_alg

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xffff) / 32768.0f - 1.0f;
}

/* n rows of D features, about half zero, both as dense and CSR sets. */
static void random_rows(struct ll_rows *dense, struct ll_rows *csr, size_t n, size_t D, uint64_t seed)
{
    ASSERT(ll_rows_init(dense, D, 0, n) == 0 && ll_rows_init(csr, D, 1, n) == 0);
    float *x = malloc(D * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < D; j++)
            x[j] = frand(&seed) > 0 ? frand(&seed) : 0.0f;
        struct ll_row r = {(float)i, D, NULL, x};
        ASSERT(ll_rows_add(dense, &r, 1.0f) == 0 && ll_rows_add(csr, &r, 1.0f) == 0);
    }
    free(x);
}

TEST(ll_rows_dense_and_sparse_products_agree)
{
    size_t n = 37, D = 19, R = 5;
    struct ll_rows d, c;
    random_rows(&d, &c, n, D, 7);
    ASSERT(c.nnz < n * D);
    uint64_t seed = 3;
    float W[5 * 19], b[5], dP[37 * 5];
    for (size_t i = 0; i < R * D; i++)
        W[i] = frand(&seed);
    for (size_t i = 0; i < R; i++)
        b[i] = frand(&seed);
    for (size_t i = 0; i < n * R; i++)
        dP[i] = frand(&seed);
    float out_d[37 * 5], out_c[37 * 5], G_d[5 * 19], G_c[5 * 19];
    ll_rows_scores(&d, W, b, R, out_d);
    ll_rows_scores(&c, W, b, R, out_c);
    ll_rows_grad(&d, dP, R, G_d);
    ll_rows_grad(&c, dP, R, G_c);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < R; k++) {
            double ref = b[k];
            for (size_t j = 0; j < D; j++)
                ref += (double)d.x[i * D + j] * W[k * D + j];
            ASSERT_NEAR(out_d[i * R + k], ref, 1e-4);
            ASSERT_NEAR(out_c[i * R + k], ref, 1e-4);
        }
    for (size_t k = 0; k < R; k++)
        for (size_t j = 0; j < D; j++) {
            double ref = 0;
            for (size_t i = 0; i < n; i++)
                ref += (double)dP[i * R + k] * d.x[i * D + j];
            ASSERT_NEAR(G_d[k * D + j], ref, 1e-4);
            ASSERT_NEAR(G_c[k * D + j], ref, 1e-4);
        }
    /* A sparse row added to a dense set is scattered (duplicates add). */
    uint32_t idx[] = {3, 0, 3};
    float val[] = {1.5f, -2.0f, 0.5f};
    struct ll_row sp = {1.0f, 3, idx, val};
    ASSERT(ll_rows_add(&d, &sp, 2.0f) == 0);
    struct ll_row got;
    ll_rows_get(&d, n, &got);
    ASSERT(got.idx == NULL && got.nnz == D);
    ASSERT_NEAR(got.val[0], -2.0, 0);
    ASSERT_NEAR(got.val[3], 2.0, 0);
    ASSERT_NEAR(got.val[1], 0.0, 0);
    ASSERT_NEAR(d.w[n], 2.0, 0);
    ll_rows_free(&d);
    ll_rows_free(&c);
}

TEST(ll_scaler_fold_equals_standardising_the_rows)
{
    size_t n = 50, D = 4;
    struct ll_rows d, c;
    random_rows(&d, &c, n, D, 11);
    for (size_t i = 0; i < n; i++) /* a constant feature and a shifted one */
        d.x[i * D + 2] = 5.0f, d.x[i * D + 1] += 100.0f;
    struct ll_config cfg = {.predictor_type = LL_REGRESSOR, .normalize_data = 1, .unbias_data = OPTML_UNSET_INT,
                            .use_bias = 1, .normalize_label = 1, .unbias_label = 1};
    struct ll_scaler sc;
    ASSERT(ll_scaler_fit(&sc, &d, &cfg, 0) == 0);
    ASSERT_NEAR(sc.inv_std[2], 1.0, 0);      /* zero spread: left alone */
    ASSERT_NEAR(sc.mean[1], 100.0, 0.5);
    ASSERT(sc.y_std > 0 && fabsf(sc.y_mean - (float)(n - 1) / 2) < 1e-3);
    float W[2 * 4] = {0.5f, -1.0f, 2.0f, 0.25f, 1.0f, 1.0f, -1.0f, 3.0f}, b[2] = {0.1f, -0.2f};
    float We[8], be[2], out[50 * 2];
    ll_scaler_fold(&sc, W, b, 2, We, be);
    ll_rows_scores(&d, We, be, 2, out);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 2; k++) {
            double ref = b[k];
            for (size_t j = 0; j < D; j++)
                ref += (double)W[k * D + j] * (d.x[i * D + j] - sc.mean[j]) * sc.inv_std[j];
            ASSERT_NEAR(out[i * 2 + k], ref, 1e-3);
        }
    /* Sparse data: unbias_data=auto does not centre. */
    struct ll_scaler sp;
    ASSERT(ll_scaler_fit(&sp, &d, &cfg, 1) == 0);
    ASSERT_NEAR(sp.mean[1], 0.0, 0);
    ll_scaler_free(&sp);
    /* The same rows held as CSR (absent entries are zeros) give the same
     * statistics as the dense copy. */
    struct ll_rows d2, c2;
    random_rows(&d2, &c2, n, D, 11);
    struct ll_scaler sd, ss;
    cfg.unbias_data = 1;
    ASSERT(ll_scaler_fit(&sd, &d2, &cfg, 0) == 0 && ll_scaler_fit(&ss, &c2, &cfg, 1) == 0);
    for (size_t j = 0; j < D; j++) {
        ASSERT_NEAR(sd.mean[j], ss.mean[j], 1e-6);
        ASSERT_NEAR(sd.inv_std[j], ss.inv_std[j], 1e-5);
    }
    ll_scaler_free(&sd);
    ll_scaler_free(&ss);
    ll_rows_free(&d2);
    ll_rows_free(&c2);
    ll_scaler_free(&sc);
    ll_rows_free(&d);
    ll_rows_free(&c);
}

/* A model of `type` over D = 3 features with simple weights. */
static struct ll_model *test_model(enum ll_predictor type)
{
    struct ll_model *m = calloc(1, sizeof(*m));
    m->type = type;
    m->loss = type == LL_BINARY ? LOSS_LOGISTIC : type == LL_MULTICLASS ? LOSS_SOFTMAX : LOSS_SQUARED;
    m->D = 3;
    m->K = type == LL_MULTICLASS ? 4 : 1;
    m->threshold = type == LL_BINARY ? 0.5f : 0.0f;
    m->W = calloc(m->K * m->D, sizeof(float));
    m->b = calloc(m->K, sizeof(float));
    ASSERT(ll_scaler_identity(&m->sc, m->D) == 0);
    for (size_t k = 0; k < m->K; k++)
        for (size_t j = 0; j < m->D; j++)
            m->W[k * m->D + j] = (float)(k + 1) * (j == k % 3 ? 1.0f : -0.5f);
    m->b[0] = 0.25f;
    if (type == LL_REGRESSOR) {
        m->sc.y_mean = 10.0f;
        m->sc.y_std = 2.0f;
    }
    m->sc.mean[1] = 1.0f;
    m->sc.inv_std[2] = 0.5f;
    ASSERT(ll_model_fold(m) == 0);
    return m;
}

/* Index of `type` in a module's NULL-terminated list, or -1. */
static int type_index(const char *const *types, const char *type)
{
    for (int i = 0; types[i]; i++)
        if (strcmp(types[i], type) == 0)
            return i;
    return -1;
}

/* The served types: every enum value names a distinct type, in order. */
TEST(ll_media_type_lists_follow_the_enums)
{
    ASSERT_EQ_STR(ll_request_types[LL_IN_CSV], "text/csv");
    ASSERT_EQ_STR(ll_request_types[LL_IN_PROTOBUF], "application/x-recordio-protobuf");
    ASSERT_EQ_STR(ll_response_types[LL_OUT_JSONLINES], "application/jsonlines");
    for (int i = 0; i < LL_N_IN; i++) {
        ASSERT(ll_request_types[i] != NULL);
        ASSERT_EQ_INT(type_index(ll_request_types, ll_request_types[i]), i);
    }
    ASSERT(ll_request_types[LL_N_IN] == NULL);
    for (int i = 0; i < LL_N_OUT; i++) {
        ASSERT(ll_response_types[i] != NULL);
        ASSERT_EQ_INT(type_index(ll_response_types, ll_response_types[i]), i);
    }
    ASSERT(ll_response_types[LL_N_OUT] == NULL);
}

/* Run predict; returns the status, the body in *body (malloc'd). */
static optml_status predict(const struct ll_model *m, const char *ctype, const char *accept, const void *body,
                            size_t len, char **out, size_t *out_len, char *err, size_t errsz)
{
    struct module_ctx mc; /* a serving context: no hyperparameters */
    module_ctx_init(&mc, &LL_ALG, NULL, NULL);
    struct optml_response resp;
    rt_response_init(&resp);
    struct optml_request req = {.body = body, .len = len,
                                .content_index = type_index(ll_request_types, ctype),
                                .accept_index = type_index(ll_response_types, accept),
                                .content_type = {ctype, ""}, .accept = {accept, ""}};
    optml_status s = ll_predict(&mc.ctx, m, &req, &resp);
    *out = malloc(resp.len + 1);
    memcpy(*out, resp.body ? resp.body : "", resp.len);
    (*out)[resp.len] = 0;
    if (out_len)
        *out_len = resp.len;
    if (err)
        snprintf(err, errsz, "%.250s", optml_error_message(&mc.ctx));
    rt_response_deinit(&resp);
    module_ctx_free(&mc);
    return s;
}

/* The score and label predict gives for one CSV row. */
static json_t *predict_json(const struct ll_model *m, const char *ctype, const char *body)
{
    char *out;
    char err[256];
    optml_status s = predict(m, ctype, "application/json", body, strlen(body), &out, NULL, err, sizeof(err));
    if (s != OPTML_OK)
        test_fail(__FILE__, __LINE__, "predict failed: %s", err);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        test_fail(__FILE__, __LINE__, "not JSON: %s", out);
    free(out);
    return j;
}

static double raw_score(const struct ll_model *m, const float *x, size_t k)
{
    double z = m->b[k];
    for (size_t j = 0; j < m->D; j++)
        z += (double)m->W[k * m->D + j] * (x[j] - m->sc.mean[j]) * m->sc.inv_std[j];
    return z;
}

TEST(ll_predict_binary_every_request_type)
{
    struct ll_model *m = test_model(LL_BINARY);
    float x1[3] = {1.0f, 2.0f, 3.0f}, x2[3] = {-4.0f, 0.5f, 0.0f};
    double p1 = 1 / (1 + exp(-raw_score(m, x1, 0))), p2 = 1 / (1 + exp(-raw_score(m, x2, 0)));
    const char *bodies[][2] = {
        {"text/csv", "1,2,3\n-4,0.5,0\n"},
        {"application/json", "{\"instances\": [{\"features\": [1, 2, 3]}, {\"data\": {\"features\": {\"values\": [-4, 0.5, 0]}}}]}"},
        {"application/json", "{\"instances\": [{\"data\": {\"features\": {\"keys\": [0, 1, 2], \"shape\": [3], \"values\": [1, 2, 3]}}}, "
                             "{\"features\": {\"keys\": [1, 0], \"values\": [0.5, -4]}}]}"},
        {"application/jsonlines", "{\"features\": [1, 2, 3]}\n{\"data\": {\"features\": {\"values\": [-4, 0.5, 0]}}}\n"},
        {"application/json", "[{\"features\": [1, 2, 3]}, {\"features\": [-4, 0.5, 0]}]"},
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        json_t *j = predict_json(m, bodies[i][0], bodies[i][1]);
        json_t *p = json_object_get(j, "predictions");
        ASSERT_EQ_INT(json_array_size(p), 2);
        ASSERT_NEAR(json_number_value(json_object_get(json_array_get(p, 0), "score")), p1, 1e-6);
        ASSERT_NEAR(json_number_value(json_object_get(json_array_get(p, 1), "score")), p2, 1e-6);
        ASSERT_EQ_INT(json_integer_value(json_object_get(json_array_get(p, 0), "predicted_label")), p1 > 0.5);
        ASSERT_EQ_INT(json_integer_value(json_object_get(json_array_get(p, 1), "predicted_label")), p2 > 0.5);
        json_decref(j);
    }
    /* RecordIO-protobuf in (dense and sparse), every response type out. */
    struct pb_out pb = {0};
    uint64_t keys[] = {0, 1};
    float vals[] = {-4.0f, 0.5f};
    ASSERT(pb_write_example(&pb, x1, 3, 0.0f) == 0);
    ASSERT(pb_write_sparse_example(&pb, keys, vals, 2, 3, 0.0f) == 0);
    char *out;
    size_t out_len;
    ASSERT_EQ_INT(predict(m, "application/x-recordio-protobuf", "application/jsonlines", pb.data, pb.len, &out,
                          NULL, NULL, 0), OPTML_OK);
    ASSERT(strstr(out, "\"predicted_label\": ") && strchr(out, '\n') != strrchr(out, '\n'));
    free(out);
    ASSERT_EQ_INT(predict(m, "text/csv", "application/x-recordio-protobuf", "1,2,3\n-4,0.5,0", 14, &out,
                          &out_len, NULL, 0), OPTML_OK);
    struct pb_out want = {0};
    float s1 = (float)p1, s2 = (float)p2, l1 = p1 > 0.5, l2 = p2 > 0.5;
    ASSERT(pb_write_prediction(&want, &s1, 1, &l1) == 0 && pb_write_prediction(&want, &s2, 1, &l2) == 0);
    ASSERT_EQ_INT(out_len, want.len);
    free(out);
    pb_out_free(&want);
    pb_out_free(&pb);
    ll_model_release(m);
}

TEST(ll_predict_multiclass_and_regressor_shapes)
{
    struct ll_model *m = test_model(LL_MULTICLASS);
    json_t *j = predict_json(m, "text/csv", "1,2,3\n");
    json_t *e = json_array_get(json_object_get(j, "predictions"), 0);
    json_t *score = json_object_get(e, "score");
    ASSERT_EQ_INT(json_array_size(score), 4);
    float x[3] = {1, 2, 3};
    double z[4], mx = -1e30, sum = 0;
    size_t arg = 0;
    for (size_t k = 0; k < 4; k++) {
        z[k] = raw_score(m, x, k);
        if (z[k] > mx)
            mx = z[k], arg = k;
    }
    for (size_t k = 0; k < 4; k++)
        sum += exp(z[k] - mx);
    for (size_t k = 0; k < 4; k++)
        ASSERT_NEAR(json_number_value(json_array_get(score, k)), exp(z[k] - mx) / sum, 1e-6);
    ASSERT_EQ_INT(json_integer_value(json_object_get(e, "predicted_label")), arg);
    json_decref(j);
    ll_model_release(m);

    m = test_model(LL_REGRESSOR);
    j = predict_json(m, "text/csv", "1,2,3\n");
    e = json_array_get(json_object_get(j, "predictions"), 0);
    ASSERT_EQ_INT(json_object_size(e), 1);
    ASSERT_NEAR(json_number_value(json_object_get(e, "score")), raw_score(m, x, 0) * 2.0 + 10.0, 1e-4);
    json_decref(j);
    char *out;
    ASSERT_EQ_INT(predict(m, "text/csv", "application/jsonlines", "1,2,3\n1,2,3\n", 12, &out, NULL, NULL, 0), OPTML_OK);
    ASSERT(strncmp(out, "{\"score\": ", 10) == 0 && !strstr(out, "predicted_label"));
    free(out);
    /* An empty body: no predictions. */
    ASSERT_EQ_INT(predict(m, "text/csv", "application/json", "", 0, &out, NULL, NULL, 0), OPTML_OK);
    ASSERT_EQ_STR(out, "{\"predictions\": []}");
    free(out);
    ll_model_release(m);
}

static void expect_client_error(const struct ll_model *m, const char *ctype, const char *body, const char *needle)
{
    char *out, err[300];
    size_t len = strlen(body);
    optml_status s = predict(m, ctype, "application/json", body, len, &out, NULL, err, sizeof(err));
    free(out);
    if (s != OPTML_E_CLIENT || !strstr(err, needle))
        test_fail(__FILE__, __LINE__, "%s %.60s: status %s, '%s' lacks '%s'", ctype, body,
                  optml_status_name(s), err, needle);
}

TEST(ll_predict_errors_name_the_line_or_instance)
{
    struct ll_model *m = test_model(LL_BINARY);
    expect_client_error(m, "text/csv", "1,2,3\n1,2\n", "line 2");
    expect_client_error(m, "text/csv", "1,2,3\n1,x,3\n", "line 2: field 2");
    expect_client_error(m, "application/json", "{\"instances\": [{\"features\": [1, 2]}]}", "instance 0");
    expect_client_error(m, "application/json", "{\"instances\": [{\"feature\": [1, 2, 3]}]}", "features");
    expect_client_error(m, "application/json", "{\"instances\": [{\"features\": [1, \"a\", 3]}]}", "element 1");
    const char *sparse = "{\"instances\": [{\"data\": {\"features\": {\"keys\": [5], \"values\": [1]}}}]}";
    expect_client_error(m, "application/json", sparse, "keys");
    const char *shape = "{\"instances\": [{\"data\": {\"features\": {\"keys\": [1], \"shape\": [7], \"values\": [1]}}}]}";
    expect_client_error(m, "application/json", shape, "shape");
    expect_client_error(m, "application/json", "{\"instances\": [", "malformed JSON");
    expect_client_error(m, "application/json", "{\"rows\": []}", "instances");
    expect_client_error(m, "application/jsonlines", "{\"features\": [1, 2, 3]}\n{oops\n", "line 2");
    unsigned char junk[] = {0x0a, 0x23, 0xd7, 0xce, 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    char *out, err[300];
    optml_status s = predict(m, "application/x-recordio-protobuf", "application/json", junk, sizeof(junk), &out,
                             NULL, err, sizeof(err));
    free(out);
    ASSERT_EQ_INT(s, OPTML_E_CLIENT);
    ASSERT_CONTAINS(err, "record 1");
    ll_model_release(m);
}

TEST(ll_model_payload_round_trip_and_damage)
{
    struct ll_model *m = test_model(LL_MULTICLASS);
    unsigned char *buf;
    size_t len;
    ASSERT(ll_model_encode(m, &buf, &len) == 0);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct ll_model back;
    ASSERT_EQ_INT(ll_model_decode(&ctx, buf, len, &back), OPTML_OK);
    ASSERT_EQ_INT(back.K, 4);
    ASSERT_EQ_INT(back.D, 3);
    ASSERT(memcmp(back.W, m->W, 12 * sizeof(float)) == 0 && memcmp(back.sc.inv_std, m->sc.inv_std, 12) == 0);
    ll_model_free(&back);
    ASSERT_EQ_INT(ll_model_decode(&ctx, buf, len - 4, &back), OPTML_E_MODEL);
    buf[0] ^= 1;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(ll_model_decode(&ctx, buf, len, &back), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "not a linear-learner model");
    free(buf);
    char *js = ll_model_json(m, "{\"optimizer\": \"adam\"}");
    json_error_t je;
    json_t *j = json_loads(js, 0, &je);
    ASSERT(j != NULL);
    ASSERT_EQ_INT(json_array_size(json_object_get(j, "coefficients")), 4);
    ASSERT_EQ_STR(json_string_value(json_object_get(json_object_get(j, "hyperparameters"), "optimizer")), "adam");
    /* model.json's coefficients on raw features reproduce the scores. */
    json_t *c0 = json_array_get(json_object_get(j, "coefficients"), 0);
    float x[3] = {1, 2, 3};
    double z = json_number_value(json_array_get(json_object_get(j, "bias"), 0));
    for (size_t k = 0; k < 3; k++)
        z += json_number_value(json_array_get(c0, k)) * x[k];
    ASSERT_NEAR(z, raw_score(m, x, 0), 1e-5);
    json_decref(j);
    free(js);
    ll_model_release(m);
}

TEST(ll_model_files_written_and_loaded_through_the_runtime)
{
    char *dir = tmpdir_new();
    struct module_ctx job;
    ASSERT_EQ_INT(module_ctx_init(&job, &LL_ALG, "{\"predictor_type\": \"regressor\"}", dir), OPTML_OK);
    struct ll_model *m = test_model(LL_REGRESSOR);
    ASSERT_EQ_INT(ll_model_save(&job.ctx, m, NULL), OPTML_OK);
    char *mj = path_join(dir, "model.json");
    ASSERT(file_exists(mj));
    free(mj);
    void *loaded = NULL;
    struct module_ctx serve;
    module_ctx_init(&serve, &LL_ALG, NULL, NULL);
    ASSERT_EQ_INT(ll_model_load(&serve.ctx, dir, &loaded), OPTML_OK);
    const struct ll_model *l = loaded;
    ASSERT(memcmp(l->Wf, m->Wf, 3 * sizeof(float)) == 0 && l->bf[0] == m->bf[0]);
    ll_model_release(loaded);
    ll_model_release(m);
    ASSERT_EQ_INT(ll_model_load(&serve.ctx, "/nonexistent-dir", &loaded), OPTML_E_MODEL);
    module_ctx_free(&serve);
    module_ctx_free(&job);
}

/* Found by fuzz_linear_learner_request: a request whose rows are all sparse
 * and empty used to crash the worker (a NULL index array read as a dense
 * row).  An empty sparse row is an all-zero row: the bias alone decides. */
TEST(ll_predict_all_empty_sparse_rows_score_the_bias)
{
    struct ll_model *m = test_model(LL_BINARY);
    json_t *j = predict_json(m, "application/json", "{\"features\": {\"values\": [], \"keys\": [], \"shape\": [3]}}");
    json_t *pred = json_array_get(json_object_get(j, "predictions"), 0);
    ASSERT(pred != NULL);
    float zero[3] = {0, 0, 0};
    ASSERT_NEAR(json_number_value(json_object_get(pred, "score")), 1.0 / (1.0 + exp(-raw_score(m, zero, 0))), 1e-5);
    json_decref(j);
    json_t *j2 = predict_json(m, "application/jsonlines", "{\"data\": {\"features\": {\"values\": [], \"keys\": []}}}\n");
    ASSERT(j2 != NULL);
    json_decref(j2);
    ll_model_release(m);
}

/* Logits that overflow float must still give probabilities, not nulls. */
TEST(ll_predict_multiclass_overflowing_logits_give_probabilities)
{
    struct ll_model *m = test_model(LL_MULTICLASS);
    json_t *j = predict_json(m, "text/csv", "-3.4e38,-3.4e38,3.4e38\n");
    json_t *score = json_object_get(json_array_get(json_object_get(j, "predictions"), 0), "score");
    ASSERT_EQ_INT(json_array_size(score), 4);
    double sum = 0;
    for (size_t k = 0; k < 4; k++) {
        ASSERT(json_is_number(json_array_get(score, k)));
        sum += json_number_value(json_array_get(score, k));
    }
    ASSERT_NEAR(sum, 1.0, 1e-5);
    json_decref(j);
    ll_model_release(m);
}
