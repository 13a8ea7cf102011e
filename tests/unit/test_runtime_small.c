/*
 * test_runtime_small.c: the status table, log levels, the response buffer,
 * the CPU count and the metric line formats.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "train/job.h"
#include "core/log.h"
#include "serve/response.h"
#include "support/support.h"

TEST(status_table_maps_codes)
{
    ASSERT_EQ_STR(optml_status_name(OPTML_E_CLIENT), "E_CLIENT");
    ASSERT_EQ_INT(optml_status_http(OPTML_E_UNSUPPORTED_MEDIA), 415);
    ASSERT_EQ_INT(optml_status_http(OPTML_E_NOT_ACCEPTABLE), 406);
    ASSERT_EQ_INT(optml_status_http(OPTML_E_TOO_LARGE), 413);
    ASSERT_EQ_INT(optml_status_kind(OPTML_E_CLIENT), 'C');
    ASSERT_EQ_INT(optml_status_kind(OPTML_E_INTERNAL), 'A');
    ASSERT_EQ_INT(optml_status_kind(OPTML_OK), '-');
    ASSERT_EQ_STR(optml_status_name((optml_status)999), "UNKNOWN");
    ASSERT_EQ_INT(optml_status_http((optml_status)-1), 500);
}

TEST(log_levels_parse_names_and_numbers)
{
    ASSERT_EQ_INT(rt_log_parse_level("DEBUG"), 10);
    ASSERT_EQ_INT(rt_log_parse_level("warning"), 30);
    ASSERT_EQ_INT(rt_log_parse_level("20"), 20);
    ASSERT_EQ_INT(rt_log_parse_level("loud"), -1);
    ASSERT_EQ_INT(rt_log_parse_level(""), -1);
}

TEST(first_error_message_wins_and_is_one_line)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_error(&ctx, OPTML_E_CLIENT, "first\nline %d", 1), OPTML_E_CLIENT);
    ASSERT_EQ_INT(optml_error(&ctx, OPTML_E_IO, "second"), OPTML_E_IO);
    ASSERT_EQ_STR(optml_error_message(&ctx), "first line 1");
    ASSERT_EQ_INT(ctx.errcode, OPTML_E_CLIENT);
}

TEST(response_buffer_grows_and_respects_limit)
{
    struct optml_response r;
    rt_response_init(&r);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ_INT(optml_response_printf(&r, "%d,", i), OPTML_OK);
    ASSERT(r.len > 3000);
    ASSERT(strncmp(r.body, "0,1,2,", 6) == 0);
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    ASSERT_EQ_INT(optml_response_printf(&r, "%s", big), OPTML_OK);
    optml_response_set_type(&r, "application/jsonlines");
    ASSERT_EQ_STR(r.content_type, "application/jsonlines");
    rt_response_deinit(&r);
    rt_response_init(&r);
    r.limit = 10;
    ASSERT_EQ_INT(optml_response_append(&r, "0123456789", 10), OPTML_OK);
    ASSERT_EQ_INT(optml_response_append(&r, "x", 1), OPTML_E_TOO_LARGE);
    rt_response_deinit(&r);
}

TEST(cpu_count_is_within_the_machine)
{
    int n = optml_cpu_count();
    ASSERT(n >= 1);
    ASSERT(n <= sysconf(_SC_NPROCESSORS_ONLN));
}

TEST(metric_lines_use_builtin_shapes_and_jsonl_copy)
{
    char *dir = tmpdir_new();
    char *path = path_join(dir, "metrics.jsonl");
    struct rt_job job;
    memset(&job, 0, sizeof(job));
    char host[] = "algo-3";
    job.resource.current_host = host;
    job.metrics = fopen(path, "w");
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ctx.job = &job;
    optml_metric(&ctx, &(struct optml_metric){"validation", "multiclass_accuracy", "score", 0.9469825155104343, -1, -1});
    optml_metric(&ctx, &(struct optml_metric){"train", "loss", "loss", 14.23, 0, 0});
    optml_metric(&ctx, &(struct optml_metric){"train", "mse_objective", "loss", 1.0 / 0.0, 1, -1});
    fclose(job.metrics);
    char *text = read_file(path, NULL);
    ASSERT_CONTAINS(text, "\"host\":\"algo-3\",\"type\":\"quality\",\"split\":\"validation\",\"name\":\"multiclass_accuracy\",\"kind\":\"score\",\"value\":0.9469825155104343,\"epoch\":null,\"batch\":null}");
    ASSERT_CONTAINS(text, "\"value\":14.23,\"epoch\":0,\"batch\":0}");
    ASSERT_CONTAINS(text, "\"value\":null,\"epoch\":1");
}

TEST(response_numbers_are_valid_json_and_round_trip)
{
    struct optml_response r;
    rt_response_init(&r);
    double values[] = {0.1, -2.5e-300, 1.0 / 3.0, 0.0 / 0.0, 1.0 / 0.0, -1.0 / 0.0, 42};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        ASSERT_EQ_INT(optml_response_number(&r, values[i]), OPTML_OK);
        ASSERT_EQ_INT(optml_response_append(&r, ",", 1), OPTML_OK);
    }
    ASSERT_EQ_STR(r.body, "0.1,-2.5e-300,0.3333333333333333,null,null,null,42,");
    rt_response_deinit(&r);
}
