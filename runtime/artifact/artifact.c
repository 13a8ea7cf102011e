/*
 * artifact.c: encode/decode the versioned artifact header (see artifact.h),
 * and the model-file half of the module API (optml_model_write/_read).
 */
#define _GNU_SOURCE
#include "artifact/artifact.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/file_read.h"
#include "core/ctx.h"
#include "core/paths.h"

static const char MAGIC_CKPT[8] = {'O', 'P', 'T', 'M', 'L', 'C', 'K', 'P'};
static const char MAGIC_MODEL[8] = {'O', 'P', 'T', 'M', 'L', 'M', 'D', 'L'};

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void rt_artifact_encode(const struct rt_artifact_header *h, unsigned char *out)
{
    memset(out, 0, RT_ARTIFACT_HEADER_SIZE);
    memcpy(out, h->kind == RT_ARTIFACT_CHECKPOINT ? MAGIC_CKPT : MAGIC_MODEL, 8);
    put32(out + 8, 1);
    put32(out + 12, h->api_version);
    size_t n = strnlen(h->module, RT_ARTIFACT_NAME_MAX);
    memcpy(out + 16, h->module, n);
    put32(out + 80, h->format_version);
    put64(out + 88, h->hp_hash);
    put64(out + 96, h->step);
    put64(out + 104, h->payload_len);
    put32(out + 112, h->payload_crc);
    put32(out + 116, rt_crc32c(out, 116));
}

optml_status rt_artifact_decode(optml_ctx *ctx, const char *what, const void *buf, size_t len,
                                enum rt_artifact_kind kind, struct rt_artifact_header *h,
                                const unsigned char **payload)
{
    const unsigned char *p = buf;
    const char *kind_name = kind == RT_ARTIFACT_CHECKPOINT ? "checkpoint" : "model file";
    memset(h, 0, sizeof(*h));
    if (len < RT_ARTIFACT_HEADER_SIZE)
        return optml_error(ctx, OPTML_E_MODEL, "%s %s is truncated: %zu bytes, header needs %d",
                           kind_name, what, len, RT_ARTIFACT_HEADER_SIZE);
    if (memcmp(p, kind == RT_ARTIFACT_CHECKPOINT ? MAGIC_CKPT : MAGIC_MODEL, 8) != 0)
        return optml_error(ctx, OPTML_E_MODEL, "%s is not an optml %s (bad magic number)", what,
                           kind_name);
    h->kind = kind;
    h->header_version = get32(p + 8);
    if (h->header_version != 1)
        return optml_error(ctx, OPTML_E_MODEL,
                           "%s has header version %u; this runtime reads version 1", what,
                           h->header_version);
    if (get32(p + 116) != rt_crc32c(p, 116))
        return optml_error(ctx, OPTML_E_MODEL, "%s %s is corrupt: header checksum mismatch",
                           kind_name, what);
    h->api_version = get32(p + 12);
    memcpy(h->module, p + 16, RT_ARTIFACT_NAME_MAX);
    h->module[RT_ARTIFACT_NAME_MAX] = 0;
    h->format_version = get32(p + 80);
    h->hp_hash = get64(p + 88);
    h->step = get64(p + 96);
    h->payload_len = get64(p + 104);
    h->payload_crc = get32(p + 112);
    if (h->payload_len != len - RT_ARTIFACT_HEADER_SIZE)
        return optml_error(ctx, OPTML_E_MODEL,
                           "%s %s is truncated or padded: header says %llu payload bytes, file has %zu",
                           kind_name, what, (unsigned long long)h->payload_len,
                           len - RT_ARTIFACT_HEADER_SIZE);
    if (rt_crc32c(p + RT_ARTIFACT_HEADER_SIZE, (size_t)h->payload_len) != h->payload_crc)
        return optml_error(ctx, OPTML_E_MODEL, "%s %s is corrupt: payload checksum mismatch",
                           kind_name, what);
    *payload = p + RT_ARTIFACT_HEADER_SIZE;
    return OPTML_OK;
}

optml_status rt_artifact_check_origin(optml_ctx *ctx, const char *what,
                                      const struct rt_artifact_header *h, const char *module,
                                      uint32_t format_version, int check_hash, uint64_t hp_hash)
{
    if (strcmp(h->module, module) != 0)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "%s was written by module '%s'; this image runs '%s'", what, h->module,
                           module);
    if (h->format_version != format_version)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "%s has %s format version %u; this module reads version %u", what,
                           module, h->format_version, format_version);
    if (check_hash && h->hp_hash != hp_hash)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "%s was written with different model-shaping hyperparameters "
                           "(hash %016llx, this job %016llx); remove it or use another checkpoint "
                           "directory",
                           what, (unsigned long long)h->hp_hash, (unsigned long long)hp_hash);
    return OPTML_OK;
}

/* ---- model files (module API) ---- */

#define MODEL_FILE_MAX ((size_t)1 << 34) /* 16 GiB */

static optml_status check_filename(optml_ctx *ctx, const char *filename)
{
    if (!filename || !*filename || strchr(filename, '/') || strcmp(filename, ".") == 0 ||
        strcmp(filename, "..") == 0)
        return optml_error(ctx, OPTML_E_INTERNAL, "invalid model file name '%s'",
                           filename ? filename : "(null)");
    return OPTML_OK;
}

optml_status optml_model_write(optml_ctx *ctx, const char *filename, const void *data, size_t len)
{
    optml_status s = check_filename(ctx, filename);
    if (s != OPTML_OK)
        return s;
    if (!ctx || !ctx->paths || !ctx->alg)
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_model_write called outside training");
    if (ctx->rank != 0) /* several hosts: model/ is rank 0's */
        return OPTML_OK;
    struct rt_artifact_header h = {
        .kind = RT_ARTIFACT_MODEL,
        .api_version = OPTML_ALGORITHM_API_VERSION,
        .format_version = ctx->alg->model_format_version,
        .hp_hash = ctx->hp_hash,
        .payload_len = len,
        .payload_crc = rt_crc32c(data, len),
    };
    snprintf(h.module, sizeof(h.module), "%s", ctx->alg->name);
    unsigned char hdr[RT_ARTIFACT_HEADER_SIZE];
    rt_artifact_encode(&h, hdr);
    char *path = rt_path_join(ctx->paths->model_dir, filename);
    if (!path)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    struct rt_chunk chunks[2] = {{hdr, sizeof(hdr)}, {data, len}};
    s = rt_write_atomic(ctx, path, chunks, 2);
    free(path);
    return s;
}

optml_status optml_model_read(optml_ctx *ctx, const char *model_dir, const char *filename,
                              void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    optml_status s = check_filename(ctx, filename);
    if (s != OPTML_OK)
        return s;
    if (!ctx || !ctx->alg)
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_model_read needs a module context");
    char *path = rt_path_join(model_dir, filename);
    if (!path)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    char *buf = NULL;
    size_t n = 0;
    s = rt_read_whole_file(ctx, path, NULL, MODEL_FILE_MAX, &buf, &n);
    if (s == OPTML_E_NOT_FOUND)
        s = optml_error(ctx, OPTML_E_MODEL, "model file %s does not exist", path);
    struct rt_artifact_header h;
    const unsigned char *payload = NULL;
    if (s == OPTML_OK)
        s = rt_artifact_decode(ctx, path, buf, n, RT_ARTIFACT_MODEL, &h, &payload);
    if (s == OPTML_OK) {
        s = rt_artifact_check_origin(ctx, path, &h, ctx->alg->name, ctx->alg->model_format_version,
                                     0, 0);
        if (s != OPTML_OK)
            s = OPTML_E_MODEL;
    }
    if (s == OPTML_OK) {
        /* Hand back the payload alone, moved to the front of the buffer. */
        size_t plen = (size_t)h.payload_len;
        memmove(buf, payload, plen);
        void *shrunk = realloc(buf, plen ? plen : 1);
        *data = shrunk ? shrunk : buf;
        *len = plen;
        buf = NULL;
    }
    free(buf);
    free(path);
    return s;
}
