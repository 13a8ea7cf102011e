/*
 * test_train.c: `optml train` end to end with the echo test module: the
 * /opt/ml layout, configuration echo, metric and log line shapes, channels
 * in every framing, gzip, and the failure file and exit codes for bad input.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/datagen.h"
#include "support/harness.h"
#include "train_helpers.h"

static const char CSV[] = "1,2,3\n4,5,6\n7,8,9\n";

TEST(train_csv_writes_model_metrics_and_no_failure)
{
    char *base = optml_tree_new("{\"epochs\": \"3\"}");
    write_file(base, "input/data/train/part-0.csv", CSV, (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(!tree_has(base, "output/failure"));
    char *model = tree_file(base, "model/model.json");
    ASSERT_CONTAINS(model, "epochs=3 records=9 bytes=45");
    ASSERT(tree_has(base, "model/echo.model"));
    /* SageMaker's built-in log prefix and metric shapes. */
    ASSERT(has_line_matching(r.output, "^\\[[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} INFO [0-9]+\\] "));
    ASSERT(has_line_matching(r.output, "#quality_metric: host=algo-1, epoch=2, train records <score>=3$"));
    ASSERT(has_line_matching(r.output, "#quality_metric: host=algo-1, train total_records <score>=9$"));
    ASSERT(has_line_matching(r.output, "#progress_metric: host=algo-1, completed 100.0 % of epochs"));
    ASSERT(has_line_matching(r.output, "#throughput_metric: host=algo-1, train throughput=[0-9.]+ records/second"));
    ASSERT(has_line_matching(r.output, "Reading default configuration from module echo: \\{.*\"epochs\": ?\"2\""));
    ASSERT(has_line_matching(r.output, "Reading provided configuration from .*hyperparameters.json: \\{\"epochs\": ?\"3\"\\}"));
    ASSERT(has_line_matching(r.output, "Final configuration: \\{.*\"epochs\": ?\"3\""));
    char *metrics = tree_file(base, "output/data/metrics.jsonl");
    ASSERT(has_line_matching(metrics, "^\\{\"time\":[0-9.]+,\"host\":\"algo-1\",\"type\":\"quality\",\"split\":\"train\",\"name\":\"records\",\"kind\":\"score\",\"value\":3,\"epoch\":0,\"batch\":null\\}$"));
    ASSERT(has_line_matching(metrics, "\"type\":\"throughput\",\"epoch\":2,\"records\":3,"));
    ASSERT(has_line_matching(metrics, "\"type\":\"progress\",\"epoch\":2,\"percent_of_epochs\":100\\}"));
}

TEST(train_creates_model_and_output_dirs_and_removes_stale_failure)
{
    char *base = optml_tree_new("{}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "output/failure", "ClientError: old\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(!tree_has(base, "output/failure"));
    ASSERT(tree_has(base, "model/echo.model"));
    ASSERT(tree_has(base, "output/data/metrics.jsonl"));
}

TEST(train_gzip_and_plain_files_give_the_same_records)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    size_t gz_len;
    unsigned char *gz = gzip_encode(CSV, strlen(CSV), &gz_len);
    write_file(base, "input/data/train/b/part.csv.gz", gz, gz_len);
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/data/train/.hidden.csv", "x\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "records=6 bytes=30");
}

TEST(train_recordio_and_tfrecord_channels)
{
    const char *recs[] = {"alpha", "be", "gamma-ray"};
    unsigned char *rio = NULL, *tfr = NULL;
    size_t rio_len = 0, tfr_len = 0;
    for (int i = 0; i < 3; i++) {
        size_t n;
        unsigned char *b = recordio_encode(recs[i], strlen(recs[i]), &n);
        rio = buf_append(rio, &rio_len, b, n);
        free(b);
        b = tfrecord_encode(recs[i], strlen(recs[i]), &n);
        tfr = buf_append(tfr, &tfr_len, b, n);
        free(b);
    }
    const char *types[] = {"application/x-recordio-protobuf", "application/x-tfrecord"};
    unsigned char *data[] = {rio, tfr};
    size_t lens[] = {rio_len, tfr_len};
    for (int k = 0; k < 2; k++) {
        char *base = optml_tree_new("{\"epochs\": \"1\"}");
        char cfg[256];
        snprintf(cfg, sizeof(cfg), "{\"train\": {\"ContentType\": \"%s\", \"TrainingInputMode\": \"File\"}}", types[k]);
        write_file(base, "input/config/inputdataconfig.json", cfg, (size_t)-1);
        write_file(base, "input/data/train/data.bin", data[k], lens[k]);
        struct run_result r = train_echo(base, NULL);
        ASSERT_EQ_INT(r.exit_code, 0);
        ASSERT_CONTAINS(tree_file(base, "model/model.json"), "records=3 bytes=16");
    }
}

/* Run with a hyperparameters.json and expect a ClientError containing `want`. */
static void expect_client_error(const char *hp, const char *want)
{
    char *base = optml_tree_new(hp);
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *failure = tree_file(base, "output/failure");
    ASSERT(strncmp(failure, "ClientError: ", 13) == 0);
    ASSERT_CONTAINS(failure, want);
    ASSERT(strchr(failure, '\n') == failure + strlen(failure) - 1); /* one line */
    ASSERT(!tree_has(base, "model/echo.model"));                   /* no data was read */
}

TEST(train_rejects_bad_hyperparameters_before_reading_data)
{
    expect_client_error("{\"epochz\": \"3\"}", "epochz");
    expect_client_error("{\"epochs\": \"three\"}", "epochs");
    expect_client_error("{\"epochs\": \"0\"}", "epochs");
    expect_client_error("{\"epochs\": 3}", "string");
    expect_client_error("{\"framing\": \"xml\"}", "lines");
    expect_client_error("{\"learning_rate\": \"nan\"}", "learning_rate");
    expect_client_error("{\"epochs\": \"3\"", "hyperparameters.json");
    expect_client_error("[\"epochs\"]", "hyperparameters.json");
}

TEST(train_rejects_deeply_nested_hyperparameters)
{
    size_t n = 100000;
    char *deep = malloc(n + 3);
    deep[0] = '{';
    memset(deep + 1, '[', n);
    deep[n + 1] = 0;
    expect_client_error(deep, "hyperparameters.json");
    free(deep);
}

TEST(train_accepts_sdk_encodings_and_ignores_reserved_keys)
{
    char *base = optml_tree_new("{\"epochs\": \"1\", \"framing\": \"\\\"lines\\\"\", \"verbose\": \"True\","
                                " \"sagemaker_region\": \"\\\"us-east-1\\\"\", \"_tuning_objective_metric\": \"x\","
                                " \"label_names\": \"{\\\"a\\\": 1}\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "record a.csv:3 (5 bytes)"); /* verbose=True took effect */
}

TEST(train_missing_required_channel_is_a_client_error)
{
    char *base = optml_tree_new("{}");
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_CONTAINS(tree_file(base, "output/failure"), "ClientError: required channel 'train' is missing");
}

TEST(train_empty_required_channel_is_a_client_error)
{
    char *base = optml_tree_new("{}");
    char *dir = path_join(base, "input/data/train");
    mkdirs(dir);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_CONTAINS(tree_file(base, "output/failure"), "required channel 'train' is empty");
}

TEST(train_unknown_channel_and_content_type_are_client_errors)
{
    char *base = optml_tree_new("{}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/data/extra/a.csv", CSV, (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_CONTAINS(tree_file(base, "output/failure"), "unknown channel 'extra'");

    base = optml_tree_new("{}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/config/inputdataconfig.json",
               "{\"train\": {\"ContentType\": \"image/png\"}}", (size_t)-1);
    r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *f = tree_file(base, "output/failure");
    ASSERT_CONTAINS(f, "image/png");
    ASSERT_CONTAINS(f, "text/csv");
}

TEST(train_bad_inputdataconfig_is_a_client_error)
{
    char *base = optml_tree_new("{}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/config/inputdataconfig.json",
               "{\"train\": {\"TrainingInputMode\": \"Streaming\"}}", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_CONTAINS(tree_file(base, "output/failure"), "Streaming");
}

static void expect_data_error(const char *content_type, const void *data, size_t len, const char *want)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    char cfg[256];
    snprintf(cfg, sizeof(cfg), "{\"train\": {\"ContentType\": \"%s\"}}", content_type);
    write_file(base, "input/config/inputdataconfig.json", cfg, (size_t)-1);
    write_file(base, "input/data/train/data.bin", data, len);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *failure = tree_file(base, "output/failure");
    ASSERT(strncmp(failure, "ClientError: ", 13) == 0);
    ASSERT_CONTAINS(failure, "data.bin");
    ASSERT_CONTAINS(failure, want);
}

TEST(train_corrupt_data_gives_client_errors_naming_the_file)
{
    size_t n;
    /* gzip that ends early */
    unsigned char *gz = gzip_encode(CSV, strlen(CSV), &n);
    expect_data_error("text/csv", gz, n - 9, "gzip");
    /* RecordIO with a wrong magic */
    unsigned char bad_magic[12] = {0x0b, 0x23, 0xd7, 0xce, 4, 0, 0, 0, 'a', 'b', 'c', 'd'};
    expect_data_error("application/x-recordio-protobuf", bad_magic, sizeof(bad_magic), "magic");
    /* RecordIO claiming a huge length */
    unsigned char huge[12] = {0x0a, 0x23, 0xd7, 0xce, 0xff, 0xff, 0xff, 0x1f, 'a', 'b', 'c', 'd'};
    expect_data_error("application/x-recordio-protobuf", huge, sizeof(huge), "offset 0");
    /* TFRecord with a damaged payload */
    unsigned char *tf = tfrecord_encode("payload", 7, &n);
    tf[13] ^= 0x40;
    expect_data_error("application/x-tfrecord", tf, n, "CRC");
    /* TFRecord cut short */
    tf[13] ^= 0x40;
    expect_data_error("application/x-tfrecord", tf, n - 3, "truncated");
}

TEST(train_multi_host_with_a_module_without_it_is_refused_and_resourceconfig_case_is_ignored)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/config/resourceConfig.json",
               "{\"current_host\": \"algo-1\", \"hosts\": [\"algo-1\", \"algo-2\"]}", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_CONTAINS(tree_file(base, "output/failure"),
                    "ClientError: resourceconfig.json lists 2 hosts, but module echo does not support multi-host training");

    base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/config/resourceConfig.json",
               "{\"current_host\": \"algo-7\", \"hosts\": [\"algo-7\"]}", (size_t)-1);
    r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(has_line_matching(r.output, "#quality_metric: host=algo-7, epoch=0, train records <score>=3$"));
}

TEST(train_module_failures_map_to_client_and_algorithm_errors)
{
    char *base = optml_tree_new("{\"epochs\": \"2\", \"fail\": \"client\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_EQ_STR(tree_file(base, "output/failure"), "ClientError: echo was asked to fail (client)\n");

    base = optml_tree_new("{\"epochs\": \"2\", \"fail\": \"algorithm\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 1);
    ASSERT_EQ_STR(tree_file(base, "output/failure"), "AlgorithmError: echo was asked to fail (algorithm)\n");
}

TEST(train_log_level_from_environment)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    const char *env[] = {"OPTML_LOG_LEVEL=warning", NULL};
    struct run_result r = train_echo(base, env);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(strstr(r.output, "#quality_metric") == NULL);

    base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    const char *env2[] = {"SAGEMAKER_CONTAINER_LOG_LEVEL=40", NULL};
    r = train_echo(base, env2);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(strstr(r.output, "INFO") == NULL);
}

TEST(train_without_inputdataconfig_discovers_channels)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/data/validation/v.csv", "1\n2\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(has_line_matching(r.output, "#quality_metric: host=algo-1, epoch=0, validation records <score>=2$"));
}

/* A directory under input/data that inputdataconfig.json does not name
 * (a misspelled channel) is not read: a warning says so, naming it and the
 * channels that are read.  Without inputdataconfig.json every directory is
 * a channel, so there is nothing to warn about. */
TEST(train_warns_about_a_directory_that_is_not_a_channel)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/config/inputdataconfig.json", "{\"train\": {\"ContentType\": \"text/csv\"}}", (size_t)-1);
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    write_file(base, "input/data/validaton/v.csv", CSV, (size_t)-1);
    write_file(base, "input/data/.cache/x", "x", 1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(has_line_matching(r.output, " WARNING [0-9]+\\] .*/input/data/validaton is not a channel of "
                                       "inputdataconfig.json \\(its channels: train\\): its files are not read; "
                                       "add the channel to inputdataconfig.json or rename the directory$"));
    ASSERT(!has_line_matching(r.output, "\\.cache is not a channel"));
    ASSERT(!has_line_matching(r.output, "/train is not a channel"));
    free(r.output);
    base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", CSV, (size_t)-1);
    r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(!has_line_matching(r.output, "is not a channel"));
}
