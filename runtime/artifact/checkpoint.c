/*
 * checkpoint.c: the checkpoint half of the module API.  Files are
 * `<checkpoint dir>/<module>-<step, 12 digits>.ckpt` in the artifact format
 * (artifact.h), written atomically; after each save only the newest
 * job->keep_checkpoints of this module are kept.  Loading takes the newest
 * file that decodes cleanly (a corrupt one is skipped with a warning) and
 * refuses one written by another module, format version or set of
 * model-shaping hyperparameters.  On several hosts only rank 0 saves, and
 * a load is rank 0's checkpoint shared with every rank (the others have
 * none).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifact/artifact.h"
#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/file_read.h"
#include "core/ctx.h"
#include "core/log.h"
#include "core/paths.h"

#define CHECKPOINT_MAX ((size_t)1 << 34) /* 16 GiB */

struct ckpt_file {
    char *name;
    unsigned long long step;
};

int optml_checkpoint_enabled(const optml_ctx *ctx)
{
    return ctx && ctx->paths && ctx->paths->checkpoint_dir != NULL;
}

/* Parse "<anything>-<digits>.ckpt"; returns 1 with *step set.  Digits
 * beyond 2^64 - 1 are not a name this runtime wrote: 0 (such a file is
 * neither loaded nor taken as the newest after wrapping around). */
static int parse_name(const char *name, unsigned long long *step)
{
    size_t n = strlen(name);
    if (name[0] == '.' || n < 6 || strcmp(name + n - 5, ".ckpt") != 0)
        return 0;
    const char *dash = NULL;
    for (const char *p = name; p < name + n - 5; p++)
        if (*p == '-')
            dash = p;
    if (!dash || dash + 1 == name + n - 5)
        return 0;
    unsigned long long v = 0;
    for (const char *p = dash + 1; p < name + n - 5; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        unsigned d = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *step = v;
    return 1;
}

static int cmp_newest_first(const void *a, const void *b)
{
    const struct ckpt_file *x = a, *y = b;
    if (x->step != y->step)
        return x->step < y->step ? 1 : -1;
    return strcmp(y->name, x->name);
}

/* All *.ckpt files of the directory (any module), newest step first. */
static optml_status list_checkpoints(optml_ctx *ctx, const char *dir, struct ckpt_file **out,
                                     size_t *count)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return OPTML_OK;
        return optml_error(ctx, OPTML_E_IO, "cannot read checkpoint directory %s: %s", dir,
                           strerror(errno));
    }
    size_t cap = 0;
    struct ckpt_file *files = NULL;
    struct dirent *e;
    optml_status s = OPTML_OK;
    while ((e = readdir(d)) != NULL) {
        unsigned long long step;
        if (!parse_name(e->d_name, &step))
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            struct ckpt_file *grown = realloc(files, cap * sizeof(*files));
            if (!grown) {
                s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
                break;
            }
            files = grown;
        }
        files[*count].name = strdup(e->d_name);
        files[*count].step = step;
        if (!files[*count].name) {
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
            break;
        }
        (*count)++;
    }
    closedir(d);
    if (*count)
        qsort(files, *count, sizeof(*files), cmp_newest_first);
    *out = files;
    return s;
}

static void free_list(struct ckpt_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(files[i].name);
    free(files);
}

static int has_module_prefix(const char *name, const char *module)
{
    size_t m = strlen(module);
    return strncmp(name, module, m) == 0 && name[m] == '-';
}

static void prune(optml_ctx *ctx, const char *dir, const char *module, int keep)
{
    struct ckpt_file *files = NULL;
    size_t n = 0;
    struct optml_ctx scratch;
    rt_ctx_init(&scratch);
    if (list_checkpoints(&scratch, dir, &files, &n) != OPTML_OK) {
        free_list(files, n);
        return;
    }
    int kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!has_module_prefix(files[i].name, module))
            continue;
        if (kept++ < keep)
            continue;
        char *path = rt_path_join(dir, files[i].name);
        if (path && unlink(path) == 0)
            optml_log(ctx, OPTML_LOG_DEBUG, "removed old checkpoint %s", path);
        free(path);
    }
    free_list(files, n);
}

optml_status optml_checkpoint_save(optml_ctx *ctx, uint64_t step, const void *data, size_t len)
{
    if (!optml_checkpoint_enabled(ctx) || ctx->rank != 0)
        return OPTML_OK;
    struct rt_artifact_header h = {
        .kind = RT_ARTIFACT_CHECKPOINT,
        .api_version = OPTML_ALGORITHM_API_VERSION,
        .format_version = ctx->alg->model_format_version,
        .hp_hash = ctx->hp_hash,
        .step = step,
        .payload_len = len,
        .payload_crc = rt_crc32c(data, len),
    };
    snprintf(h.module, sizeof(h.module), "%s", ctx->alg->name);
    unsigned char hdr[RT_ARTIFACT_HEADER_SIZE];
    rt_artifact_encode(&h, hdr);
    char *path = NULL;
    if (asprintf(&path, "%s/%s-%012llu.ckpt", ctx->paths->checkpoint_dir, ctx->alg->name,
                 (unsigned long long)step) < 0)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    struct rt_chunk chunks[2] = {{hdr, sizeof(hdr)}, {data, len}};
    optml_status s = rt_write_atomic(ctx, path, chunks, 2);
    if (s == OPTML_OK) {
        optml_log(ctx, OPTML_LOG_INFO, "Saved checkpoint %s (step %llu, %zu bytes)", path,
                  (unsigned long long)step, len);
        prune(ctx, ctx->paths->checkpoint_dir, ctx->alg->name,
              ctx->keep_checkpoints > 0 ? ctx->keep_checkpoints : 3);
    }
    free(path);
    return s;
}

static optml_status load_local(optml_ctx *ctx, uint64_t *step, void **data, size_t *len);

/* Several hosts: rank 0 loads, then its outcome, step and payload are
 * shared with every rank; a rank other than 0 never reads its own
 * directory. */
static optml_status load_shared(optml_ctx *ctx, uint64_t *step, void **data, size_t *len)
{
    optml_status s = OPTML_OK;
    if (ctx->rank == 0)
        s = load_local(ctx, step, data, len);
    uint64_t head[3] = {(uint64_t)s, *step, (uint64_t)*len};
    optml_status r = ctx->share_from_leader(ctx, head, sizeof(head));
    if (r == OPTML_OK && ctx->rank != 0) {
        s = (optml_status)head[0];
        if (s == OPTML_OK && head[2] > CHECKPOINT_MAX)
            s = optml_error(ctx, OPTML_E_INTERNAL, "checkpoint from rank 0 claims %llu bytes",
                            (unsigned long long)head[2]);
        else if (s == OPTML_OK && !(*data = malloc(head[2] ? (size_t)head[2] : 1)))
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory for rank 0's checkpoint of %llu bytes",
                            (unsigned long long)head[2]);
        else if (s != OPTML_OK && s != OPTML_E_NOT_FOUND)
            optml_error(ctx, s, "rank 0 could not load its checkpoint (its log says why)");
        if (s == OPTML_OK) {
            *step = head[1];
            *len = (size_t)head[2];
        }
    }
    /* The payload, when rank 0 has one.  A rank that could not make room
     * for it fails here without taking part: its exit ends the job. */
    if (r == OPTML_OK && s == OPTML_OK) {
        r = ctx->share_from_leader(ctx, *data, (size_t)head[2]);
        if (r == OPTML_OK && ctx->rank != 0)
            optml_log(ctx, OPTML_LOG_INFO, "Resuming from rank 0's checkpoint (step %llu, %zu bytes)",
                      (unsigned long long)*step, *len);
    }
    if (r != OPTML_OK || s != OPTML_OK) {
        free(*data);
        *data = NULL;
        *len = 0;
        *step = 0;
    }
    return r != OPTML_OK ? r : s;
}

optml_status optml_checkpoint_load(optml_ctx *ctx, uint64_t *step, void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    *step = 0;
    if (ctx && ctx->share_from_leader)
        return load_shared(ctx, step, data, len);
    return load_local(ctx, step, data, len);
}

static optml_status load_local(optml_ctx *ctx, uint64_t *step, void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    *step = 0;
    if (!optml_checkpoint_enabled(ctx))
        return OPTML_E_NOT_FOUND;
    const char *dir = ctx->paths->checkpoint_dir;
    struct ckpt_file *files = NULL;
    size_t n = 0;
    optml_status s = list_checkpoints(ctx, dir, &files, &n);
    if (s != OPTML_OK)
        goto out;
    s = OPTML_E_NOT_FOUND;
    for (size_t i = 0; i < n; i++) {
        char *path = rt_path_join(dir, files[i].name);
        char *buf = NULL;
        size_t blen = 0;
        struct optml_ctx scratch;
        rt_ctx_init(&scratch);
        if (!path) {
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
            break;
        }
        optml_status r = rt_read_whole_file(&scratch, path, NULL, CHECKPOINT_MAX, &buf, &blen);
        struct rt_artifact_header h;
        const unsigned char *payload = NULL;
        if (r == OPTML_OK)
            r = rt_artifact_decode(&scratch, path, buf, blen, RT_ARTIFACT_CHECKPOINT, &h, &payload);
        if (r != OPTML_OK) {
            /* A crash cannot leave a half-written file (rename is atomic), so
             * this one was damaged some other way: fall back to an older one. */
            optml_log(ctx, OPTML_LOG_WARNING, "Skipping checkpoint: %s", scratch.errmsg);
            free(buf);
            free(path);
            continue;
        }
        s = rt_artifact_check_origin(ctx, path, &h, ctx->alg->name, ctx->alg->model_format_version,
                                     1, ctx->hp_hash);
        if (s == OPTML_OK) {
            size_t plen = (size_t)h.payload_len;
            memmove(buf, payload, plen);
            void *shrunk = realloc(buf, plen ? plen : 1);
            *data = shrunk ? shrunk : buf;
            *len = plen;
            *step = h.step;
            buf = NULL;
            optml_log(ctx, OPTML_LOG_INFO, "Resuming from checkpoint %s (step %llu)", path,
                      (unsigned long long)h.step);
        }
        free(buf);
        free(path);
        break;
    }
out:
    free_list(files, n);
    return s;
}
