/*
 * test_serve_errors.c: `optml serve` error answers: routing (404, 405),
 * content negotiation (415, 406, Accept lists with q-values, the default
 * Accept), module failures (500), body limits (413), the prediction
 * deadline (504) and models that fail to load (/ping 500).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "support/harness.h"
#include "serve_helpers.h"
#include "train_helpers.h"

static const char CSV[] = "1,2\n3,4,5\n";

TEST(serve_unknown_path_404_and_wrong_method_405)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    struct http_response *r = serve_get(s, "/nope");
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    r = serve_call(s, "POST", "/invocations/extra", "{}");
    EXPECT_JSON_ERROR(s, r, 404, NULL);
    http_response_free(r);
    r = serve_get(s, "/invocations");
    EXPECT_JSON_ERROR(s, r, 405, "GET /invocations: use POST");
    http_response_free(r);
    r = serve_call(s, "POST", "/ping", "{}");
    EXPECT_JSON_ERROR(s, r, 405, "POST /ping: use GET or HEAD");
    http_response_free(r);
    r = serve_call(s, "PUT", "/invocations", "{}");
    EXPECT_JSON_ERROR(s, r, 405, NULL);
    http_response_free(r);
    r = serve_call(s, "POST", "/execution-parameters", "{}");
    EXPECT_JSON_ERROR(s, r, 405, "use GET");
    http_response_free(r);
    /* Paths are exact; the multi-model API does not exist here. */
    r = serve_get(s, "/ping/");
    EXPECT_JSON_ERROR(s, r, 404, "no such path");
    http_response_free(r);
    r = serve_get(s, "/models");
    EXPECT_JSON_ERROR(s, r, 404, "no such path");
    http_response_free(r);
    r = serve_invoke_at(s, "/models/model/invoke", "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 404, "no such path");
    http_response_free(r);
    r = serve_call(s, "HEAD", "/ping", NULL);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_unsupported_types_415_and_406)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    struct http_response *r = serve_invoke(s, "text/plain", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 415, NULL);
    http_response_free(r);
    r = serve_invoke(s, "image/png", NULL, NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 415, NULL);
    http_response_free(r);
    r = serve_invoke(s, NULL, "application/json", NULL, CSV, strlen(CSV)); /* no Content-Type */
    EXPECT_JSON_ERROR(s, r, 415, NULL);
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "text/csv", NULL, CSV, strlen(CSV));
    const char *msg = EXPECT_JSON_ERROR(s, r, 406, "application/jsonlines");
    SRV_ASSERT_CONTAINS(s, msg, "application/json");
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "image/png, text/html;q=0.9", NULL, CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 406, "application/jsonlines");
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_accept_negotiation_default_wildcards_and_qvalues)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    /* No Accept, or * / *: the module default, application/json. */
    struct http_response *r = serve_invoke(s, "text/csv", NULL, NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/json"));
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_STR(s, serve_pred_bytes(j), "3,5");
    json_decref(j);
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "*/*", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/json"));
    http_response_free(r);
    /* The best supported entry of a q-value list. */
    r = serve_invoke(s, "text/csv", "text/csv;q=0.9, application/jsonlines;q=0.5", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/jsonlines"));
    SRV_ASSERT_EQ_STR(s, r->body, "{\"bytes\": 3}\n{\"bytes\": 5}\n");
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "application/jsonlines;q=0.5, application/json;q=0.8", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/json"));
    http_response_free(r);
    /* q=0 means "not acceptable". */
    r = serve_invoke(s, "text/csv", "application/json;q=0, application/jsonlines", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/jsonlines"));
    http_response_free(r);
    /* application/<any subtype> matches a supported type. */
    r = serve_invoke(s, "text/csv", "application/*", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/json") || serve_type_is(r, "application/jsonlines"));
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_default_invocations_accept_from_environment)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=application/jsonlines", NULL};
    struct served *s = serve_start_ready(base, env);
    struct http_response *r = serve_invoke(s, "text/csv", NULL, NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/jsonlines"));
    SRV_ASSERT_EQ_STR(s, r->body, "{\"bytes\": 3}\n{\"bytes\": 5}\n");
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "*/*", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/jsonlines"));
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_R(s, r, serve_type_is(r, "application/json"));
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_module_failure_is_500_with_its_message)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    struct http_response *r = serve_invoke(s, "text/csv", "application/json", "fail=1", CSV, strlen(CSV));
    EXPECT_JSON_ERROR(s, r, 500, "echo was asked to fail");
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

/* An empty body is a 400 that says so, whatever the type (never a parser's
 * message, never an empty answer); the reason of a 4xx is logged at INFO,
 * the default level, so the endpoint's owner sees why. */
TEST(serve_empty_body_is_400_and_4xx_reasons_logged_at_info)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    const char *types[] = {"text/csv", "application/json", "application/jsonlines",
                           "application/x-recordio-protobuf"};
    for (size_t i = 0; i < 4; i++) {
        struct http_response *r = serve_invoke(s, types[i], NULL, NULL, "", 0);
        const char *msg = EXPECT_JSON_ERROR(s, r, 400, "the request body is empty");
        SRV_ASSERT_CONTAINS(s, msg, types[i]);
        http_response_free(r);
    }
    struct http_response *r = serve_invoke(s, "text/csv", NULL, NULL, "bad\n", 4);
    EXPECT_JSON_ERROR(s, r, 400, "line 1: cannot parse 'bad'");
    http_response_free(r);
    serve_stop(s);
    char *log = serve_log_text(s);
    ASSERT(has_line_matching(log, " INFO [0-9]+\\] HTTP 400: the request body is empty: send one or more "
                                  "records as text/csv$"));
    ASSERT(has_line_matching(log, " INFO [0-9]+\\] HTTP 400: line 1: cannot parse 'bad'$"));
    free(log);
}

/* A JSON body of exactly `len` bytes: "[" spaces "]". */
static char *json_body(size_t len)
{
    char *b = malloc(len);
    if (!b)
        abort();
    memset(b, ' ', len);
    b[0] = '[';
    b[len - 1] = ']';
    return b;
}

TEST_TIMEOUT(serve_body_limit_6_mib_413_and_survives_20_mb, 60)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, NULL);
    const size_t limit = 6291456;
    char *body = json_body(limit + 1);
    struct http_response *r = serve_invoke(s, "application/json", "application/json", NULL, body, limit);
    EXPECT_STATUS(s, r, 200);
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_STR(s, serve_pred_bytes(j), "6291456");
    json_decref(j);
    http_response_free(r);
    free(body);

    body = json_body(limit + 1);
    r = serve_invoke(s, "application/json", "application/json", NULL, body, limit + 1);
    EXPECT_JSON_ERROR(s, r, 413, NULL);
    http_response_free(r);
    free(body);

    size_t big = 20u * 1000 * 1000;
    body = json_body(big);
    r = serve_invoke(s, "application/json", "application/json", NULL, body, big);
    EXPECT_JSON_ERROR(s, r, 413, NULL);
    http_response_free(r);
    free(body);

    SRV_ASSERT(s, serve_running(s));
    r = serve_get(s, "/ping");
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    r = serve_invoke(s, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_max_payload_in_mb_changes_the_limit)
{
    char *base = serve_trained_tree();
    const char *env[] = {"SAGEMAKER_MAX_PAYLOAD_IN_MB=1", NULL};
    struct served *s = serve_start_ready(base, env);
    size_t mib = 1048576;
    char *body = json_body(mib + 1);
    struct http_response *r = serve_invoke(s, "application/json", "application/json", NULL, body, mib);
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    free(body);
    body = json_body(mib + 1);
    r = serve_invoke(s, "application/json", "application/json", NULL, body, mib + 1);
    EXPECT_JSON_ERROR(s, r, 413, NULL);
    http_response_free(r);
    free(body);
    r = serve_get(s, "/ping");
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

/* With a 1 s deadline and one worker: a slow prediction answers 504 and
 * the worker is free again for the next request. */
static void check_deadline(const char *const *env)
{
    char *base = serve_trained_tree();
    struct served *s = serve_start_ready(base, env);
    double t0 = serve_now();
    struct http_response *r = serve_invoke(s, "text/csv", "application/json", "sleep_ms=20000", CSV, strlen(CSV));
    double took = serve_now() - t0;
    EXPECT_JSON_ERROR(s, r, 504, NULL);
    http_response_free(r);
    SRV_ASSERT(s, took >= 0.9);
    SRV_ASSERT(s, took < 8.0);
    t0 = serve_now();
    r = serve_invoke(s, "text/csv", "application/jsonlines", NULL, CSV, strlen(CSV));
    took = serve_now() - t0;
    EXPECT_STATUS(s, r, 200);
    SRV_ASSERT_EQ_STR(s, r->body, "{\"bytes\": 3}\n{\"bytes\": 5}\n");
    http_response_free(r);
    SRV_ASSERT(s, took < 3.0);
    /* The deadline did not count the (quick) request: sleep under it is fine. */
    r = serve_invoke(s, "text/csv", "application/jsonlines", "sleep_ms=200", CSV, strlen(CSV));
    EXPECT_STATUS(s, r, 200);
    http_response_free(r);
    serve_stop(s);
}

TEST(serve_deadline_504_frees_the_worker)
{
    const char *env[] = {"SAGEMAKER_MODEL_SERVER_TIMEOUT=1", "SAGEMAKER_MODEL_SERVER_WORKERS=1", NULL};
    check_deadline(env);
}

TEST(serve_deadline_from_model_server_timeout)
{
    const char *env[] = {"MODEL_SERVER_TIMEOUT=1", "MODEL_SERVER_WORKERS=1", NULL};
    check_deadline(env);
}

/* Poll /ping until it answers something other than 503 (at most 20 s). */
static struct http_response *ping_settled(struct served *s)
{
    double end = serve_now() + 20;
    for (;;) {
        struct http_response *r = serve_get(s, "/ping");
        if ((r->status != 503 && r->status != 0) || serve_now() > end)
            return r;
        SRV_ASSERT(s, serve_running(s));
        http_response_free(r);
        usleep(50000);
    }
}

static void check_failed_ping(struct served *s, const char *substr)
{
    struct http_response *r = ping_settled(s);
    EXPECT_STATUS(s, r, 500);
    json_t *j = EXPECT_JSON(s, r);
    SRV_ASSERT_EQ_STR(s, serve_json_str(j, "status"), "failed");
    const char *err = serve_json_str(j, "error");
    SRV_ASSERT(s, err && err[0]);
    if (substr)
        SRV_ASSERT_CONTAINS(s, err, substr);
    json_decref(j);
    http_response_free(r);
    /* The process keeps running and keeps answering. */
    usleep(500000);
    SRV_ASSERT(s, serve_running(s));
    r = serve_get(s, "/ping");
    EXPECT_STATUS(s, r, 500);
    http_response_free(r);
    /* A prediction cannot succeed without a model. */
    r = serve_invoke(s, "text/csv", "application/json", NULL, CSV, strlen(CSV));
    SRV_ASSERT_R(s, r, r->status >= 400);
    http_response_free(r);
}

TEST(serve_corrupt_model_pings_500_checksum_and_stays_up)
{
    char *base = serve_trained_tree();
    char *path = path_join(base, "model/echo.model");
    size_t n;
    char *data = read_file(path, &n);
    ASSERT(data && n > 0);
    data[n - 1] ^= 0x20; /* damage the payload */
    write_file(base, "model/echo.model", data, n);
    struct served *s = serve_start(base, NULL);
    check_failed_ping(s, "checksum");
    serve_stop(s);
}

TEST(serve_missing_model_pings_500_and_stays_up)
{
    char *base = optml_tree_new(NULL);
    char *model = path_join(base, "model");
    mkdirs(model);
    struct served *s = serve_start(base, NULL);
    check_failed_ping(s, NULL);
    serve_stop(s);
}

/* A model.tar.gz with a `../` entry is refused: /ping says why, nothing is
 * written outside the model directory, and the server stays up. */
TEST(serve_model_tar_gz_with_dotdot_entry_is_refused)
{
    char *base = serve_trained_tree();
    char *cmd = strf("cd '%s' && python3 -c \"import tarfile; t = tarfile.open('model.tar.gz', 'w:gz'); "
                     "t.add('model/echo.model', arcname='echo.model'); "
                     "t.add('model/echo.model', arcname='../escaped.model'); t.close()\" && "
                     "rm -rf model && mkdir model && mv model.tar.gz model/",
                     base);
    ASSERT_EQ_INT(system(cmd), 0);
    free(cmd);
    struct served *s = serve_start(base, NULL);
    check_failed_ping(s, "../escaped.model");
    ASSERT(!tree_has(base, "escaped.model"));
    ASSERT(!tree_has(base, "model/echo.model")); /* all or nothing */
    serve_stop(s);
}
