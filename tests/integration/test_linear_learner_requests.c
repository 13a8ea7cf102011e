/*
 * test_linear_learner_requests.c: `optml serve` with the linear-learner
 * module on a small model: request errors that name the fix (a header row,
 * ';' separators, JSON sent as text/csv, the label column included), empty
 * and blank bodies, and blank lines, which would shift every later answer
 * against its input and are a 400 naming the line.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "serve_helpers.h"
#include "train_helpers.h"

int ll_missing(void);
struct run_result ll_train_run(const char *base, const char *const *extra);

/* A binary model on 3 features: label = x1 > x2. */
static struct served *small_model(void)
{
    char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\", \"epochs\": \"3\"}");
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    for (int i = 0; i < 200; i++) {
        double a = (i * 37 % 101) / 50.0 - 1, b = (i * 53 % 97) / 48.0 - 1;
        fprintf(f, "%d,%.3f,%.3f,0.5\n", a > b, a, b);
    }
    fclose(f);
    write_file(base, "input/data/train/a.csv", csv, len);
    free(csv);
    struct run_result r = ll_train_run(base, NULL);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "train failed (%d):\n%s", r.exit_code, r.output);
    free(r.output);
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=linear-learner", NULL};
    return serve_start_ready(base, extra);
}

static void expect_400(struct served *s, const char *type, const char *body, const char *message)
{
    struct http_response *r = serve_invoke(s, type, NULL, NULL, body, strlen(body));
    EXPECT_JSON_ERROR(s, r, 400, message);
    http_response_free(r);
}

TEST_TIMEOUT(ll_request_errors_name_the_fix, 60)
{
    if (ll_missing())
        return;
    struct served *s = small_model();
    expect_400(s, "text/csv", "x1,x2,x3\n1,2,3\n",
               "line 1: field 1: 'x1' is not a number; the first row looks like a header; remove it");
    expect_400(s, "text/csv", "1;2;3\n", "line 1: field 1: '1;2;3' is not a number; the values are separated by "
                                          "';', not commas; write them comma-separated");
    expect_400(s, "text/csv", "1\t2\t3\n", "the values are separated by TABs, not commas");
    expect_400(s, "text/csv", "{\"instances\": [{\"features\": [1, 2, 3]}]}",
               "the body looks like JSON: send it with Content-Type application/json");
    expect_400(s, "text/csv", "1,2,3\n1,0.5,0.25,2\n",
               "line 2: expected 3 features, got 4: is the label column included? A request holds the features only");
    expect_400(s, "application/json", "{\"instances\": [{\"features\": [1, 0.5, 0.25, 2]}]}",
               "instance 0 has 4 features, the model expects 3: is the label column included?");
    expect_400(s, "application/jsonlines", "{\"features\": [1, 0.5, 0.25, 2]}\n",
               "is the label column included?");
    /* A name-like row after line 1 is not called a header; 5 values are
     * not "the label included". */
    struct http_response *r = serve_invoke(s, "text/csv", NULL, NULL, "1,2,3\nx1,x2,x3\n", 15);
    const char *msg = EXPECT_JSON_ERROR(s, r, 400, "line 2: field 1: 'x1' is not a number");
    SRV_ASSERT(s, !strstr(msg, "header"));
    http_response_free(r);
    r = serve_invoke(s, "text/csv", NULL, NULL, "1,2,3,4,5\n", 10);
    msg = EXPECT_JSON_ERROR(s, r, 400, "the row has 5 features, expected 3");
    SRV_ASSERT(s, !strstr(msg, "label"));
    http_response_free(r);
    serve_stop(s);
}

/* Empty and blank bodies are a 400 that says so.  A blank line before a row
 * is a 400 naming it: skipping it would answer N-1 rows for N lines and
 * batch transform would join every later answer to the wrong input line.
 * Blank lines after the last row shift nothing and are accepted, so the
 * answers line up one to one with the rows. */
TEST_TIMEOUT(ll_request_blank_lines_and_empty_bodies, 60)
{
    if (ll_missing())
        return;
    struct served *s = small_model();
    expect_400(s, "text/csv", "", "the request body is empty: send one or more records as text/csv");
    expect_400(s, "application/json", "", "the request body is empty: send one or more records as application/json");
    expect_400(s, "text/csv", "\n\r\n \n", "the request has no rows: every line is blank");
    expect_400(s, "application/jsonlines", "\n\n", "the request has no instances: every line is blank");
    expect_400(s, "text/csv", "1,2,3\n\n4,5,6\n",
               "line 2 is blank: every line of a text/csv request is one record and gets one answer in its place");
    expect_400(s, "text/csv", "\n1,2,3\n", "line 1 is blank");
    expect_400(s, "application/jsonlines", "{\"features\": [1, 2, 3]}\n \n{\"features\": [4, 5, 6]}\n",
               "line 2 is blank: every line of a application/jsonlines request is one record");
    /* Rows then trailing blank lines: one answer per row, in order. */
    const char *body = "1,0,0.5\n0,1,0.5\n1,0,0.5\n\n\n";
    struct http_response *r = serve_invoke(s, "text/csv", "application/jsonlines", NULL, body, strlen(body));
    EXPECT_STATUS(s, r, 200);
    int lines = 0, labels[3] = {-1, -1, -1};
    for (const char *p = r->body; p && (p = strstr(p, "\"predicted_label\": ")); p++)
        if (lines < 3)
            labels[lines++] = atoi(p + 19);
    SRV_ASSERT_EQ_INT(s, lines, 3);
    SRV_ASSERT(s, labels[0] == 1 && labels[1] == 0 && labels[2] == 1);
    http_response_free(r);
    serve_stop(s);
}
