/*
 * test_artifact.c: the versioned artifact header (checkpoints and model
 * files), atomic writes, and the model-file API.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact/artifact.h"
#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "support/harness.h"
#include "core/ctx.h"
#include "core/paths.h"
#include "support/support.h"

static unsigned char *make_artifact(const char *module, uint32_t fmt, uint64_t hash, const char *payload,
                                    size_t *len)
{
    struct rt_artifact_header h = {.kind = RT_ARTIFACT_MODEL, .api_version = 1, .format_version = fmt,
                                   .hp_hash = hash, .payload_len = strlen(payload)};
    snprintf(h.module, sizeof(h.module), "%s", module);
    h.payload_crc = rt_crc32c(payload, strlen(payload));
    unsigned char *b = malloc(RT_ARTIFACT_HEADER_SIZE + strlen(payload));
    rt_artifact_encode(&h, b);
    memcpy(b + RT_ARTIFACT_HEADER_SIZE, payload, strlen(payload));
    *len = RT_ARTIFACT_HEADER_SIZE + strlen(payload);
    return b;
}

TEST(artifact_round_trip)
{
    size_t len;
    unsigned char *b = make_artifact("linear-learner", 3, 0x1234, "weights", &len);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_artifact_header h;
    const unsigned char *payload;
    ASSERT_EQ_INT(rt_artifact_decode(&ctx, "m", b, len, RT_ARTIFACT_MODEL, &h, &payload), OPTML_OK);
    ASSERT_EQ_STR(h.module, "linear-learner");
    ASSERT_EQ_INT(h.format_version, 3);
    ASSERT_EQ_INT(h.hp_hash, 0x1234);
    ASSERT_EQ_INT(h.payload_len, 7);
    ASSERT(memcmp(payload, "weights", 7) == 0);
    ASSERT_EQ_INT(rt_artifact_check_origin(&ctx, "m", &h, "linear-learner", 3, 1, 0x1234), OPTML_OK);
    free(b);
}

TEST(artifact_rejects_every_kind_of_damage)
{
    size_t len;
    unsigned char *b = make_artifact("echo", 1, 7, "payload-bytes", &len);
    struct optml_ctx ctx;
    struct rt_artifact_header h;
    const unsigned char *payload;
    /* Wrong kind (a model file read as a checkpoint). */
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_decode(&ctx, "f", b, len, RT_ARTIFACT_CHECKPOINT, &h, &payload), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "bad magic");
    /* Truncated header and truncated payload. */
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_decode(&ctx, "f", b, 50, RT_ARTIFACT_MODEL, &h, &payload), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "truncated");
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_decode(&ctx, "f", b, len - 1, RT_ARTIFACT_MODEL, &h, &payload), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "truncated");
    /* A flipped bit in the header and in the payload. */
    b[20] ^= 1;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_decode(&ctx, "f", b, len, RT_ARTIFACT_MODEL, &h, &payload), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "header checksum");
    b[20] ^= 1;
    b[len - 1] ^= 1;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_decode(&ctx, "f", b, len, RT_ARTIFACT_MODEL, &h, &payload), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "payload checksum");
    b[len - 1] ^= 1;
    /* Origin checks name what differs. */
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_decode(&ctx, "f", b, len, RT_ARTIFACT_MODEL, &h, &payload), OPTML_OK);
    ASSERT_EQ_INT(rt_artifact_check_origin(&ctx, "f", &h, "cifar-cnn", 1, 0, 0), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "written by module 'echo'; this image runs 'cifar-cnn'");
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_check_origin(&ctx, "f", &h, "echo", 2, 0, 0), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "format version 1; this module reads version 2");
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(rt_artifact_check_origin(&ctx, "f", &h, "echo", 1, 1, 8), OPTML_E_CLIENT);
    ASSERT_CONTAINS(ctx.errmsg, "different model-shaping hyperparameters");
    free(b);
}

TEST(atomic_write_replaces_whole_file_and_leaves_no_temp)
{
    char *dir = tmpdir_new();
    char *path = path_join(dir, "model.bin");
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_chunk c1[2] = {{"old-", 4}, {"content", 7}};
    ASSERT_EQ_INT(rt_write_atomic(&ctx, path, c1, 2), OPTML_OK);
    ASSERT_EQ_STR(read_file(path, NULL), "old-content");
    struct rt_chunk c2 = {"new", 3};
    ASSERT_EQ_INT(rt_write_atomic(&ctx, path, &c2, 1), OPTML_OK);
    ASSERT_EQ_STR(read_file(path, NULL), "new");
    char *cmd = strf("test $(ls -A %s | wc -l) -eq 1", dir);
    ASSERT_EQ_INT(system(cmd), 0);
    /* A directory that does not exist: a clear I/O error naming the path. */
    char *bad = path_join(dir, "missing/dir/file");
    ASSERT_EQ_INT(rt_write_atomic(&ctx, bad, &c2, 1), OPTML_E_IO);
    ASSERT_CONTAINS(ctx.errmsg, "missing/dir");
}

static const struct optml_algorithm test_alg = {.api_version = OPTML_ALGORITHM_API_VERSION,
                                                .name = "echo", .model_format_version = 5};

TEST(model_write_then_read_checks_module_and_version)
{
    char *base = tmpdir_new();
    struct rt_paths paths = {.model_dir = base};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ctx.paths = &paths;
    ctx.hp_hash = 99;
    ctx.alg = &test_alg;
    ASSERT_EQ_INT(optml_model_write(&ctx, "m.bin", "abc", 3), OPTML_OK);
    void *data;
    size_t len;
    ASSERT_EQ_INT(optml_model_read(&ctx, base, "m.bin", &data, &len), OPTML_OK);
    ASSERT_EQ_INT(len, 3);
    ASSERT(memcmp(data, "abc", 3) == 0);
    free(data);
    /* Another module cannot load it. */
    struct optml_algorithm other = test_alg;
    other.name = "news-classifier";
    ctx.alg = &other;
    ASSERT_EQ_INT(optml_model_read(&ctx, base, "m.bin", &data, &len), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "written by module 'echo'");
    /* A missing file and a path-like name are clear errors. */
    rt_ctx_init(&ctx);
    ctx.alg = &test_alg;
    ASSERT_EQ_INT(optml_model_read(&ctx, base, "absent.bin", &data, &len), OPTML_E_MODEL);
    ASSERT_CONTAINS(ctx.errmsg, "does not exist");
    rt_ctx_init(&ctx);
    ctx.paths = &paths;
    ctx.alg = &test_alg;
    ASSERT_EQ_INT(optml_model_write(&ctx, "../escape", "x", 1), OPTML_E_INTERNAL);
}
