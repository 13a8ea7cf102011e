/*
 * test_serve_batch_mme.c: `optml serve` for batch transform
 * (GET /execution-parameters and its variables), model.tar.gz unpacking,
 * and multi-model mode (POST/GET/DELETE /models, invoke, 409, 404, 422 for a
 * model that cannot be loaded, 507).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"
#include "serve_helpers.h"
#include "train_helpers.h"

int optml_cpu_count(void);

static const char CSV[] = "1,2\n3,4,5\n";

static void check_execution_parameters(const char *const *env, long long transforms,
                                       const char *strategy, long long payload)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, env);
    struct http_response *r = serve_get(s, "/execution-parameters");
    EXPECT_STATUS(s, r, 200);
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_INT(s, serve_json_int(j, "MaxConcurrentTransforms"), transforms);
    SRV_ASSERT_EQ_STR(s, serve_json_str(j, "BatchStrategy"), strategy);
    SRV_ASSERT_EQ_INT(s, serve_json_int(j, "MaxPayloadInMB"), payload);
    json_decref(j);
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_execution_parameters_defaults)
{
    check_execution_parameters(NULL, optml_cpu_count(), "MultiRecord", 6);
}

TEST(serve_execution_parameters_follow_workers_and_batch_variables)
{
    const char *w[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=3", NULL};
    check_execution_parameters(w, 3, "MultiRecord", 6);
    const char *b[] = {"SAGEMAKER_MODEL_SERVER_WORKERS=2", "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS=5",
                       "SAGEMAKER_MAX_PAYLOAD_IN_MB=20", "SAGEMAKER_BATCH_STRATEGY=SINGLE_RECORD",
                       "SAGEMAKER_BATCH=true", NULL};
    check_execution_parameters(b, 5, "SingleRecord", 20);
}

/* Replace model/ by model/model.tar.gz made with `tar czf ... <what>`. */
static void pack_model(const char *base, const char *what)
{
    char *tmp = tmpdir_new();
    char *cmd = strf("tar czf '%s/model.tar.gz' -C '%s/model' %s && rm -rf '%s/model' && mkdir '%s/model' && "
                     "mv '%s/model.tar.gz' '%s/model/'",
                     tmp, base, what, base, base, tmp, base);
    int rc = system(cmd);
    free(cmd);
    ASSERT_EQ_INT(rc, 0);
    ASSERT(tree_has(base, "model/model.tar.gz"));
    ASSERT(!tree_has(base, "model/echo.model"));
}

static void check_packed(const char *what)
{
    char *base = serve_trained_tree();
    pack_model(base, what);
    struct served *s = serve_start_ready(base, NULL);
    struct http_response *r = serve_invoke(s, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT_CONTAINS(s, serve_json_str(j, "model"), "epochs=1 records=3 bytes=15");
    SRV_ASSERT_EQ_STR(s, serve_pred_bytes(j), "3,5");
    json_decref(j);
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_model_tar_gz_is_unpacked_and_served)
{
    check_packed(".");                       /* entries "./echo.model" ... */
    check_packed("echo.model model.json");   /* entries "echo.model" ... (what the SDK makes) */
}

/* A copy of base/model at base/models/<name>/model; returns that path. */
static char *mme_model_dir(const char *base, const char *name)
{
    char *parent = strf("%s/models/%s", base, name);
    mkdirs(parent);
    char *dir = strf("%s/model", parent);
    char *cmd = strf("cp -r '%s/model' '%s'", base, dir);
    ASSERT_EQ_INT(system(cmd), 0);
    free(cmd);
    free(parent);
    return dir;
}

static struct http_response *load_model(struct served *s, const char *name, const char *url)
{
    char *body = strf("{\"model_name\": \"%s\", \"url\": \"%s\"}", name, url);
    struct http_response *r = serve_call(s, "POST", "/models", body);
    free(body);
    return r;
}

TEST(serve_mme_load_list_invoke_unload)
{
    char *base = serve_trained_tree();
    char *dir_a = mme_model_dir(base, "a");
    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", NULL};
    struct served *s = serve_start_ready(base, env); /* /ping 200 with no model loaded */

    struct http_response *r = serve_get(s, "/models");
    EXPECT_STATUS(s, r, 200);
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT(s, json_is_array(json_object_get(j, "models")));
    SRV_ASSERT_EQ_INT(s, json_array_size(json_object_get(j, "models")), 0);
    json_decref(j);
    http_response_free(r);

    r = load_model(s, "a", dir_a);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = load_model(s, "a", dir_a);
    EXPECT_JSON_ERROR(s, r, 409, "model 'a' is already loaded");
    http_response_free(r);
    r = load_model(s, "ghost", "/nonexistent/optml-test/models/ghost/model");
    SRV_ASSERT_R(s, r, r->status == 404 || r->status == 400);
    EXPECT_JSON_ERROR(s, r, r->status, NULL);
    http_response_free(r);

    r = serve_get(s, "/models");
    EXPECT_STATUS(s, r, 200);
    j = EXPECT_JSON(s, r);
    json_t *models = json_object_get(j, "models");
    SRV_ASSERT(s, json_is_array(models));
    SRV_ASSERT_EQ_INT(s, json_array_size(models), 1);
    SRV_ASSERT_EQ_STR(s, serve_json_str(json_array_get(models, 0), "modelName"), "a");
    SRV_ASSERT_EQ_STR(s, serve_json_str(json_array_get(models, 0), "modelUrl"), dir_a);
    SRV_ASSERT(s, json_object_get(j, "nextPageToken") == NULL); /* last page */
    json_decref(j);
    http_response_free(r);

    r = serve_get(s, "/models/a");
    EXPECT_STATUS(s, r, 200);
    j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_STR(s, serve_json_str(j, "modelName"), "a");
    SRV_ASSERT_EQ_STR(s, serve_json_str(j, "modelUrl"), dir_a);
    json_decref(j);
    http_response_free(r);
    r = serve_get(s, "/models/ghost");
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);

    /* Invoke: the same prediction as /invocations. */
    r = serve_invoke_at(s, "/models/a/invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    j = EXPECT_JSON(s, r);
    SRV_ASSERT_CONTAINS(s, serve_json_str(j, "model"), "epochs=1 records=3 bytes=15");
    SRV_ASSERT_EQ_STR(s, serve_pred_bytes(j), "3,5");
    json_decref(j);
    http_response_free(r);
    const char *h[] = {"Content-Type: text/csv", "Accept: application/jsonlines",
                       "X-Amzn-SageMaker-Target-Model: dir/model-a.tar.gz",
                       "X-Amzn-SageMaker-Custom-Attributes: echo=1", NULL};
    r = http_request(s->port, "POST", "/models/a/invoke", h, CSV, strlen(CSV), 10000);
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_EQ_STR(s, r->body, "{\"bytes\": 3}\n{\"bytes\": 5}\n");
    SRV_ASSERT_EQ_STR(s, http_header_get(r, "X-Amzn-SageMaker-Custom-Attributes"), "echo=1");
    http_response_free(r);
    r = serve_invoke_at(s, "/models/a/invoke", "text/plain", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 415, NULL);
    http_response_free(r);
    r = serve_invoke_at(s, "/models/ghost/invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);

    /* Unload: 200, then it is gone. */
    r = serve_call(s, "DELETE", "/models/a", NULL);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = serve_call(s, "DELETE", "/models/a", NULL);
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    r = serve_get(s, "/models/a");
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    r = serve_invoke_at(s, "/models/a/invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    r = serve_get(s, "/models");
    EXPECT_STATUS(s, r, 200);
    j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_INT(s, json_array_size(json_object_get(j, "models")), 0);
    json_decref(j);
    http_response_free(r);

    /* And it can be loaded again. */
    r = load_model(s, "a", dir_a);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = serve_invoke_at(s, "/models/a/invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = serve_get(s, "/ping");
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_mme_model_over_memory_limit_is_507)
{
    char *base = serve_trained_tree();
    char *dir_small = mme_model_dir(base, "small");
    char *dir_big = mme_model_dir(base, "big");
    size_t n = 2 * 1024 * 1024;
    char *blob = calloc(1, n);
    ASSERT(blob != NULL);
    write_file(dir_big, "weights.bin", blob, n);
    free(blob);
    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", "OPTML_MME_MEMORY_MB=1", NULL};
    struct served *s = serve_start_ready(base, env);
    struct http_response *r = load_model(s, "big", dir_big);
    EXPECT_JSON_ERROR(s, r, 507, NULL);
    http_response_free(r);
    r = serve_get(s, "/models/big");
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    /* A model that fits still loads. */
    r = load_model(s, "small", dir_small);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = serve_invoke_at(s, "/models/small/invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = serve_get(s, "/ping");
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

/* POST /models with a model that cannot be loaded: 422 naming what is wrong;
 * the name stays free; the server stays healthy. */
static void check_unloadable(struct served *s, const char *name, const char *dir, const char *why)
{
    struct http_response *r = load_model(s, name, dir);
    EXPECT_JSON_ERROR(s, r, 422, why);
    http_response_free(r);
    r = serve_get(s, strf("/models/%s", name));
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    r = serve_invoke_at(s, strf("/models/%s/invoke", name), "text/csv", "application/json", NULL, CSV,
                        strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    r = serve_get(s, "/ping");
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
}

TEST(serve_mme_model_that_cannot_load_is_422)
{
    char *base = serve_trained_tree();
    /* A damaged model file. */
    char *corrupt = mme_model_dir(base, "corrupt");
    char *path = path_join(corrupt, "echo.model");
    size_t n;
    char *data = read_file(path, &n);
    ASSERT(data && n > 0);
    data[n - 1] ^= 0x20;
    write_file(corrupt, "echo.model", data, n);
    free(data);
    /* No model file at all. */
    char *empty = strf("%s/models/empty/model", base);
    mkdirs(empty);
    /* A model.tar.gz that is not an archive. */
    char *badtar = strf("%s/models/badtar/model", base);
    mkdirs(badtar);
    write_file(badtar, "model.tar.gz", "this is not gzip", (size_t)-1);
    char *good = mme_model_dir(base, "good");

    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", NULL};
    struct served *s = serve_start_ready(base, env);
    check_unloadable(s, "corrupt", corrupt, "checksum");
    check_unloadable(s, "empty", empty, "does not exist");
    check_unloadable(s, "badtar", badtar, "model archive");
    /* A failed name can be loaded again from a good model. */
    struct http_response *r = load_model(s, "corrupt", good);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = serve_invoke_at(s, "/models/corrupt/invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
    free(path);
}

/* The multi-model routes: methods, the trailing slash of /models, paths
 * that are not a route, and /invocations pointing at the API. */
TEST(serve_mme_routes_methods_and_paths)
{
    char *base = serve_trained_tree();
    char *dir_a = mme_model_dir(base, "a");
    const char *env[] = {"SAGEMAKER_MULTI_MODEL=true", NULL};
    struct served *s = serve_start_ready(base, env);
    struct http_response *r = load_model(s, "a", dir_a);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);

    r = serve_get(s, "/models/");
    EXPECT_STATUS(s, r, 200);
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_INT(s, json_array_size(json_object_get(j, "models")), 1);
    json_decref(j);
    http_response_free(r);
    r = serve_call(s, "DELETE", "/models", NULL);
    EXPECT_JSON_ERROR(s, r, 405, "DELETE /models: use GET or POST");
    http_response_free(r);
    r = serve_call(s, "POST", "/models/a", "{}");
    EXPECT_JSON_ERROR(s, r, 405, "POST /models/<name>: use GET or DELETE");
    http_response_free(r);
    r = serve_get(s, "/models/a/invoke");
    EXPECT_JSON_ERROR(s, r, 405, "GET /models/<name>/invoke: use POST");
    http_response_free(r);
    r = serve_invoke_at(s, "/models//invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 404, "no such path");
    http_response_free(r);
    r = serve_invoke_at(s, "/models/a/predict", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 404, "no such path");
    http_response_free(r);
    r = serve_get(s, "/models/a/invoke/more");
    EXPECT_JSON_ERROR(s, r, 404, "no such path");
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 404, "POST /models/<name>/invoke");
    http_response_free(r);
    r = serve_get(s, "/execution-parameters");
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}
