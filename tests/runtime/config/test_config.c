/*
 * test_config.c: runtime/config/config.c: inputdataconfig.json (parse and
 * discovery), resourceconfig.json, checkpointconfig.json and the shared file
 * reader, with the error messages users see.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/harness.h"
#include "support/support.h"
#include "config/config.h"

static optml_status input(struct optml_ctx *ctx, const char *json, struct rt_input_config *c)
{
    rt_ctx_init(ctx);
    return rt_input_config_parse(ctx, json, json ? strlen(json) : 0, c);
}

static optml_status resource(struct optml_ctx *ctx, const char *json, struct rt_resource_config *r)
{
    rt_ctx_init(ctx);
    return rt_resource_config_parse(ctx, json, json ? strlen(json) : 0, r);
}

/* Parsing `json` gave `st`, which must be E_CLIENT with `msg` in the message. */
static void client_error(const char *json, optml_status st, const struct optml_ctx *ctx, const char *msg)
{
    if (st != OPTML_E_CLIENT)
        test_fail(__FILE__, __LINE__, "%s: status %s", json, optml_status_name(st));
    ASSERT_CONTAINS(ctx->errmsg, msg);
}

/* The input config must fail as E_CLIENT with `msg` in the message. */
static void input_fails(const char *json, const char *msg)
{
    struct optml_ctx ctx;
    struct rt_input_config c;
    client_error(json, input(&ctx, json, &c), &ctx, msg);
    ASSERT(c.channels == NULL && c.n == 0);
}

static void resource_fails(const char *json, const char *msg)
{
    struct optml_ctx ctx;
    struct rt_resource_config r;
    client_error(json, resource(&ctx, json, &r), &ctx, msg);
    ASSERT(r.hosts == NULL && r.current_host == NULL && r.network_interface == NULL);
}

/* A parsed channel: `content_type` NULL means none was given. */
static void expect_channel(const struct rt_channel_config *ch, const char *name, const char *content_type,
                           enum optml_input_mode mode, int sharded, int recordio_wrapped, int gzip)
{
    ASSERT_EQ_STR(ch->name, name);
    if (content_type)
        ASSERT_EQ_STR(ch->content_type, content_type);
    else
        ASSERT(ch->content_type == NULL);
    ASSERT_EQ_INT(ch->mode, mode);
    ASSERT_EQ_INT(ch->sharded, sharded);
    ASSERT_EQ_INT(ch->recordio_wrapped, recordio_wrapped);
    ASSERT_EQ_INT(ch->gzip, gzip);
}

TEST(config_input_contract_example)
{
    struct optml_ctx ctx;
    struct rt_input_config c;
    const char *json =
        "{\"validation\": {\"TrainingInputMode\": \"Pipe\", \"S3DistributionType\": \"ShardedByS3Key\","
        "  \"RecordWrapperType\": \"RecordIO\", \"CompressionType\": \"Gzip\"},"
        " \"train\": {\"ContentType\": \"Text/CSV; label_size=1\", \"TrainingInputMode\": \"File\","
        "  \"S3DistributionType\": \"FullyReplicated\", \"RecordWrapperType\": \"None\"}}";
    ASSERT_EQ_INT(input(&ctx, json, &c), OPTML_OK);
    ASSERT_EQ_INT(c.n, 2);
    expect_channel(&c.channels[0], "train", "text/csv", OPTML_MODE_FILE, 0, 0, 0);
    expect_channel(&c.channels[1], "validation", NULL, OPTML_MODE_PIPE, 1, 1, 1);
    rt_input_config_free(&c);
    ASSERT(c.channels == NULL && c.n == 0);
    rt_input_config_free(&c); /* twice is fine */
}

TEST(config_input_defaults_sorting_and_unknown_fields)
{
    struct optml_ctx ctx;
    struct rt_input_config c;
    const char *json = "{\"zeta\": {}, \"aux\": {\"FutureField\": [1, 2], \"ShuffleConfig\": {\"Seed\": 1}},"
                       " \"Beta\": {\"TrainingInputMode\": \"fastfile\", \"ContentType\": null},"
                       " \"mid\": {\"TrainingInputMode\": \"PIPE\", \"ContentType\": \"  \"}}";
    ASSERT_EQ_INT(input(&ctx, json, &c), OPTML_OK);
    ASSERT_EQ_INT(c.n, 4);
    ASSERT_EQ_STR(c.channels[0].name, "Beta");
    ASSERT_EQ_STR(c.channels[1].name, "aux");
    ASSERT_EQ_STR(c.channels[2].name, "mid");
    ASSERT_EQ_STR(c.channels[3].name, "zeta");
    ASSERT_EQ_INT(c.channels[0].mode, OPTML_MODE_FASTFILE);
    ASSERT_EQ_INT(c.channels[1].mode, OPTML_MODE_FILE);
    ASSERT_EQ_INT(c.channels[2].mode, OPTML_MODE_PIPE);
    ASSERT_EQ_INT(c.channels[3].mode, OPTML_MODE_FILE);
    for (size_t i = 0; i < c.n; i++)
        ASSERT(c.channels[i].content_type == NULL);
    rt_input_config_free(&c);
}

TEST(config_input_empty)
{
    struct optml_ctx ctx;
    struct rt_input_config c;
    ASSERT_EQ_INT(input(&ctx, "{}", &c), OPTML_OK);
    ASSERT_EQ_INT(c.n, 0);
    rt_input_config_free(&c);
    ASSERT_EQ_INT(input(&ctx, " \n", &c), OPTML_OK);
    ASSERT_EQ_INT(c.n, 0);
    ASSERT_EQ_INT(input(&ctx, NULL, &c), OPTML_OK);
    ASSERT_EQ_INT(c.n, 0);
    ASSERT_EQ_STR(ctx.errmsg, "");
}

TEST(config_input_invalid_values)
{
    input_fails("{\"train\": {\"TrainingInputMode\": \"Streaming\"}}",
                "inputdataconfig.json: channel 'train': TrainingInputMode 'Streaming' is not one "
                "of File, FastFile, Pipe");
    input_fails("{\"train\": {\"S3DistributionType\": \"Sharded\"}}",
                "inputdataconfig.json: channel 'train': S3DistributionType 'Sharded' is not one of "
                "FullyReplicated, ShardedByS3Key");
    input_fails("{\"a\": {}, \"test\": {\"RecordWrapperType\": \"TFRecord\"}}",
                "channel 'test': RecordWrapperType 'TFRecord' is not one of None, RecordIO");
    input_fails("{\"train\": {\"CompressionType\": \"Zip\"}}",
                "channel 'train': CompressionType 'Zip' is not one of None, Gzip");
    input_fails("{\"train\": {\"TrainingInputMode\": 1}}",
                "channel 'train': TrainingInputMode must be a string (one of File, FastFile, Pipe), "
                "got a number");
    input_fails("{\"train\": {\"ContentType\": 5}}",
                "channel 'train': ContentType must be a string, got a number");
    input_fails("{\"train\": {\"ContentType\": \"csv\"}}",
                "channel 'train': ContentType 'csv' is not a media type");
    input_fails("{\"train\": \"File\"}",
                "inputdataconfig.json: channel 'train': expected an object, got a string");
    input_fails("{\"../etc\": {}}", "channel name '../etc' cannot be a directory name");
    input_fails("{\"..\": {}}", "channel name '..' cannot be a directory name");
    input_fails("{\"\": {}}", "channel name '' cannot be a directory name");
}

TEST(config_input_malformed_json)
{
    input_fails("{\"train\": {", "inputdataconfig.json: invalid JSON at line 1, column");
    input_fails("{\"train\": {}}\n{", "inputdataconfig.json: invalid JSON at line 2");
    input_fails("[{\"train\": {}}]",
                "inputdataconfig.json: the top level must be a JSON object, got a list");
    input_fails("{\"train\": {}, \"train\": {}}", "duplicate object key");
}

TEST(config_input_discover)
{
    char *dir = tmpdir_new();
    write_file(dir, "train/part-1.csv", "1,2\n", (size_t)-1);
    write_file(dir, "validation/.keep", "", 0);
    write_file(dir, ".hidden/x.csv", "1\n", (size_t)-1);
    write_file(dir, "notes.txt", "not a channel", (size_t)-1);
    char *empty = path_join(dir, "aaa");
    mkdirs(empty);
    char *fifo = path_join(dir, "pipe_0");
    ASSERT_EQ_INT(mkfifo(fifo, 0600), 0);

    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_input_config c;
    ASSERT_EQ_INT(rt_input_config_discover(&ctx, dir, &c), OPTML_OK);
    ASSERT_EQ_INT(c.n, 3);
    ASSERT_EQ_STR(c.channels[0].name, "aaa");
    ASSERT_EQ_STR(c.channels[1].name, "train");
    ASSERT_EQ_STR(c.channels[2].name, "validation");
    for (size_t i = 0; i < c.n; i++) {
        ASSERT(c.channels[i].content_type == NULL);
        ASSERT_EQ_INT(c.channels[i].mode, OPTML_MODE_FILE);
        ASSERT_EQ_INT(c.channels[i].gzip + c.channels[i].sharded + c.channels[i].recordio_wrapped, 0);
    }
    rt_input_config_free(&c);

    char *missing = path_join(dir, "nope");
    ASSERT_EQ_INT(rt_input_config_discover(&ctx, missing, &c), OPTML_OK);
    ASSERT_EQ_INT(c.n, 0);
    ASSERT_EQ_STR(ctx.errmsg, "");
    free(missing);
    free(fifo);
    free(empty);
    free(dir);
}

TEST(config_resource_missing_or_empty)
{
    const char *texts[] = {NULL, "", "   \n\t\r\n"};
    for (size_t i = 0; i < 3; i++) {
        struct optml_ctx ctx;
        struct rt_resource_config r;
        ASSERT_EQ_INT(resource(&ctx, texts[i], &r), OPTML_OK);
        ASSERT_EQ_STR(r.current_host, "algo-1");
        ASSERT_EQ_INT(r.n_hosts, 1);
        ASSERT_EQ_STR(r.hosts[0], "algo-1");
        ASSERT_EQ_STR(r.network_interface, "eth0");
        rt_resource_config_free(&r);
        ASSERT(r.hosts == NULL && r.n_hosts == 0);
        rt_resource_config_free(&r);
    }
}

TEST(config_resource_valid)
{
    struct optml_ctx ctx;
    struct rt_resource_config r;
    const char *json = "{\"current_host\": \"algo-2\", \"hosts\": [\"algo-1\", \"algo-2\", \"algo-3\"],"
                       " \"network_interface_name\": \"eth1\", \"current_instance_type\": \"ml.m5.xlarge\","
                       " \"instance_groups\": [{\"instance_group_name\": \"g\"}]}";
    ASSERT_EQ_INT(resource(&ctx, json, &r), OPTML_OK);
    ASSERT_EQ_STR(r.current_host, "algo-2");
    ASSERT_EQ_INT(r.n_hosts, 3);
    ASSERT_EQ_STR(r.hosts[0], "algo-1");
    ASSERT_EQ_STR(r.hosts[2], "algo-3");
    ASSERT_EQ_STR(r.network_interface, "eth1");
    rt_resource_config_free(&r);

    ASSERT_EQ_INT(resource(&ctx, "{\"current_host\": \"algo-1-tfbx9\"}", &r), OPTML_OK);
    ASSERT_EQ_STR(r.current_host, "algo-1-tfbx9");
    ASSERT_EQ_INT(r.n_hosts, 1);
    ASSERT_EQ_STR(r.hosts[0], "algo-1-tfbx9");
    ASSERT_EQ_STR(r.network_interface, "eth0");
    rt_resource_config_free(&r);

    ASSERT_EQ_INT(resource(&ctx, "{\"hosts\": [\"sagemaker-local\"]}", &r), OPTML_OK);
    ASSERT_EQ_STR(r.current_host, "sagemaker-local");
    rt_resource_config_free(&r);

    ASSERT_EQ_INT(resource(&ctx, "{}", &r), OPTML_OK);
    ASSERT_EQ_STR(r.current_host, "algo-1");
    ASSERT_EQ_STR(r.hosts[0], "algo-1");
    rt_resource_config_free(&r);
}

TEST(config_resource_wrong_types)
{
    resource_fails("{\"hosts\": \"algo-1\"}",
                   "resourceconfig.json: 'hosts' must be a list of strings, got a string");
    resource_fails("{\"hosts\": [\"algo-1\", 2]}",
                   "resourceconfig.json: 'hosts' must be a list of non-empty strings, but element 1 "
                   "is a number");
    resource_fails("{\"hosts\": [\"\"]}", "element 0 is an empty string");
    resource_fails("{\"hosts\": []}", "resourceconfig.json: 'hosts' is an empty list");
    resource_fails("{\"hosts\": [\"algo-1\", \"algo-1\"]}", "host 'algo-1' is listed twice");
    resource_fails("{\"current_host\": 5}",
                   "resourceconfig.json: 'current_host' must be a string, got a number");
    resource_fails("{\"current_host\": \"\"}", "'current_host' must not be empty");
    resource_fails("{\"network_interface_name\": [\"eth0\"]}",
                   "'network_interface_name' must be a string, got a list");
    resource_fails("{\"current_host\": \"algo-9\", \"hosts\": [\"algo-1\", \"algo-2\"]}",
                   "resourceconfig.json: current_host 'algo-9' is not one of hosts: algo-1, algo-2");
    resource_fails("[\"algo-1\"]", "resourceconfig.json: the top level must be a JSON object");
    resource_fails("{\"current_host\": \"algo-1\"", "resourceconfig.json: invalid JSON at line 1");
}

TEST(config_checkpoint)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    char *path = (char *)"junk";
    ASSERT_EQ_INT(rt_checkpoint_config_parse(&ctx, NULL, 0, &path), OPTML_OK);
    ASSERT(path == NULL);
    const char *j = "{\"S3Uri\": \"s3://bucket/ckpt\", \"LocalPath\": \"/opt/ml/checkpoints/\"}";
    ASSERT_EQ_INT(rt_checkpoint_config_parse(&ctx, j, strlen(j), &path), OPTML_OK);
    ASSERT_EQ_STR(path, "/opt/ml/checkpoints/");
    free(path);
    j = "{\"LocalPath\": \"relative/dir\"}";
    ASSERT_EQ_INT(rt_checkpoint_config_parse(&ctx, j, strlen(j), &path), OPTML_OK);
    ASSERT_EQ_STR(path, "relative/dir"); /* used as given */
    free(path);
    const char *absent[] = {"{}", "{\"S3Uri\": \"s3://b/c\"}", "{\"LocalPath\": null}",
                            "{\"LocalPath\": \"\"}", " \n"};
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        path = (char *)"junk";
        ASSERT_EQ_INT(rt_checkpoint_config_parse(&ctx, absent[i], strlen(absent[i]), &path), OPTML_OK);
        ASSERT(path == NULL);
    }
    ASSERT_EQ_STR(ctx.errmsg, "");

    j = "{\"LocalPath\": 3}";
    ASSERT_EQ_INT(rt_checkpoint_config_parse(&ctx, j, strlen(j), &path), OPTML_E_CLIENT);
    ASSERT(path == NULL);
    ASSERT_CONTAINS(ctx.errmsg, "checkpointconfig.json: 'LocalPath' must be a string, got a number");
    rt_ctx_init(&ctx);
    j = "{\"LocalPath\": ";
    ASSERT_EQ_INT(rt_checkpoint_config_parse(&ctx, j, strlen(j), &path), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "checkpointconfig.json: invalid JSON at line 1, column");
}

TEST(config_read_file)
{
    char *dir = tmpdir_new();
    write_file(dir, "resourceConfig.json", "{\"current_host\": \"algo-1\"}", (size_t)-1);
    write_file(dir, "hyperparameters.json", "{}", (size_t)-1);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    char *text = NULL;
    size_t len = 0;

    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "resourceconfig.json", 0, &text, &len),
                  OPTML_E_NOT_FOUND);
    ASSERT(text == NULL);
    ASSERT_EQ_STR(ctx.errmsg, "");
    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "resourceconfig.json", 1, &text, &len), OPTML_OK);
    ASSERT_EQ_STR(text, "{\"current_host\": \"algo-1\"}");
    ASSERT_EQ_INT(len, strlen(text));
    free(text);

    /* An exact match wins over another spelling. */
    write_file(dir, "resourceconfig.json", "{}", (size_t)-1);
    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "resourceconfig.json", 1, &text, &len), OPTML_OK);
    ASSERT_EQ_STR(text, "{}");
    free(text);

    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "hyperparameters.json", 0, &text, &len), OPTML_OK);
    ASSERT_EQ_INT(len, 2);
    ASSERT_EQ_INT(text[2], 0);
    free(text);

    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "checkpointconfig.json", 1, &text, &len),
                  OPTML_E_NOT_FOUND);
    char *nodir = path_join(dir, "missing");
    ASSERT_EQ_INT(rt_config_read_file(&ctx, nodir, "x.json", 1, &text, &len), OPTML_E_NOT_FOUND);
    ASSERT_EQ_INT(rt_config_read_file(&ctx, nodir, "x.json", 0, &text, &len), OPTML_E_NOT_FOUND);
    ASSERT_EQ_STR(ctx.errmsg, "");
    free(nodir);

    write_file(dir, "empty.json", "", 0);
    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "empty.json", 0, &text, &len), OPTML_OK);
    ASSERT_EQ_INT(len, 0);
    ASSERT_EQ_STR(text, "");
    free(text);
    free(dir);
}

/* What rt_config_load_file handed its parser. */
struct seen {
    int calls;
    int was_null;
    char text[64];
    size_t len;
    optml_status answer;
};

static optml_status remember(optml_ctx *ctx, const char *text, size_t len, void *arg)
{
    struct seen *s = arg;
    s->calls++;
    s->was_null = text == NULL;
    snprintf(s->text, sizeof(s->text), "%s", text ? text : "");
    s->len = len;
    return s->answer == OPTML_OK ? OPTML_OK : optml_error(ctx, s->answer, "parser said no");
}

TEST(config_load_file_hands_the_text_or_null_to_the_parser)
{
    char *dir = tmpdir_new();
    write_file(dir, "resourceConfig.json", "{\"current_host\": \"algo-2\"}", (size_t)-1);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);

    struct seen s = {0};
    ASSERT_EQ_INT(rt_config_load_file(&ctx, dir, "resourceconfig.json", 1, remember, &s), OPTML_OK);
    ASSERT_EQ_INT(s.calls, 1);
    ASSERT(!s.was_null);
    ASSERT_EQ_STR(s.text, "{\"current_host\": \"algo-2\"}");
    ASSERT_EQ_INT(s.len, strlen(s.text));

    /* Case-sensitive: missing, so the parser sees NULL. */
    memset(&s, 0, sizeof(s));
    ASSERT_EQ_INT(rt_config_load_file(&ctx, dir, "resourceconfig.json", 0, remember, &s), OPTML_OK);
    ASSERT_EQ_INT(s.calls, 1);
    ASSERT(s.was_null);
    ASSERT_EQ_INT(s.len, 0);
    ASSERT_EQ_STR(ctx.errmsg, "");

    /* The parser's status comes back. */
    memset(&s, 0, sizeof(s));
    s.answer = OPTML_E_CLIENT;
    ASSERT_EQ_INT(rt_config_load_file(&ctx, dir, "resourceconfig.json", 1, remember, &s), OPTML_E_CLIENT);
    ASSERT_EQ_STR(ctx.errmsg, "parser said no");

    /* A read error is returned without calling the parser. */
    rt_ctx_init(&ctx);
    char *sub = path_join(dir, "hyperparameters.json");
    mkdirs(sub);
    memset(&s, 0, sizeof(s));
    ASSERT(rt_config_load_file(&ctx, dir, "hyperparameters.json", 0, remember, &s) != OPTML_OK);
    ASSERT_EQ_INT(s.calls, 0);
    ASSERT(ctx.errmsg[0] != 0);
    free(sub);
    free(dir);
}

TEST(config_read_file_refuses_big_and_special)
{
    char *dir = tmpdir_new();
    struct optml_ctx ctx;
    char *text = NULL;
    size_t len;

    char *big = path_join(dir, "inputdataconfig.json");
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ_INT(ftruncate(fd, (off_t)RT_CONFIG_MAX_BYTES + 1), 0);
    close(fd);
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "inputdataconfig.json", 0, &text, &len),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "inputdataconfig.json is larger than 16 MiB");
    ASSERT(text == NULL);

    /* Exactly the limit is fine. */
    fd = open(big, O_WRONLY | O_TRUNC);
    ASSERT_EQ_INT(ftruncate(fd, (off_t)RT_CONFIG_MAX_BYTES), 0);
    close(fd);
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "inputdataconfig.json", 0, &text, &len), OPTML_OK);
    ASSERT_EQ_INT(len, RT_CONFIG_MAX_BYTES);
    free(text);

    char *sub = path_join(dir, "hyperparameters.json");
    mkdirs(sub);
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "hyperparameters.json", 0, &text, &len),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "hyperparameters.json is not a regular file");

    char *fifo = path_join(dir, "resourceconfig.json");
    ASSERT_EQ_INT(mkfifo(fifo, 0600), 0);
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_config_read_file(&ctx, dir, "resourceconfig.json", 1, &text, &len),
                  OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "is not a regular file");
    free(fifo);
    free(sub);
    free(big);
    free(dir);
}

TEST(config_load_object_bom_and_kinds)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    json_t *obj = NULL;
    const char *bom = "\xEF\xBB\xBF{\"a\": \"1\"}";
    ASSERT_EQ_INT(rt_config_load_object(&ctx, "x.json", bom, strlen(bom), &obj), OPTML_OK);
    ASSERT_EQ_STR(json_string_value(json_object_get(obj, "a")), "1");
    json_decref(obj);
    ASSERT_EQ_INT(rt_config_load_object(&ctx, "x.json", "\"s\"", 3, &obj), OPTML_E_CLIENT);
    ASSERT(obj == NULL);
    ASSERT_CONTAINS(ctx.errmsg, "x.json: the top level must be a JSON object, got a string");
    const char nul[] = "{}\0{}";
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_config_load_object(&ctx, "x.json", nul, sizeof(nul) - 1, &obj), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "x.json: invalid JSON at line 1");
}
