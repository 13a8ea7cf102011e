/*
 * atomic_file.c: temp file + fsync + rename (+ directory fsync), the same
 * without the fsyncs for outputs a power cut may lose, and
 * optml_file_write_atomic for modules.
 */
#define _GNU_SOURCE
#include "core/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/numfmt.h"
#include "core/paths.h"

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static void fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* "<dir>/.<name>.tmp.<pid>" for path "<dir>/<name>" ("./.<name>..." for a
 * bare name), malloc'd; built by hand, not with asprintf: a printf call is
 * slow in this process (core/numfmt.h) and the training report's cost is
 * counted. */
static char *temp_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t dir_len = slash ? (size_t)(slash - path) : 1, name_len = strlen(name);
    char pid[24];
    int pid_len = rt_format_int(pid, sizeof(pid), (long long)getpid());
    char *tmp = malloc(dir_len + 2 + name_len + 5 + (size_t)pid_len + 1);
    if (!tmp)
        return NULL;
    char *p = tmp;
    if (slash && dir_len == 0) /* "/name": the root directory */
        *p++ = '/';
    else {
        memcpy(p, slash ? path : ".", dir_len);
        p += dir_len;
        *p++ = '/';
    }
    *p++ = '.';
    memcpy(p, name, name_len);
    p += name_len;
    memcpy(p, ".tmp.", 5);
    p += 5;
    memcpy(p, pid, (size_t)pid_len + 1);
    return tmp;
}

static optml_status write_replace(optml_ctx *ctx, const char *path, const struct rt_chunk *chunks,
                                  size_t n_chunks, int sync)
{
    char *tmp = temp_name(path);
    if (!tmp)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory writing %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        optml_status s = optml_error(ctx, OPTML_E_IO, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return s;
    }
    for (size_t i = 0; i < n_chunks; i++) {
        if (chunks[i].len && write_all(fd, chunks[i].data, chunks[i].len) != 0)
            goto fail;
    }
    if (sync && fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    if (sync)
        fsync_dir_of(path);
    free(tmp);
    return OPTML_OK;
fail:;
    int err = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return optml_error(ctx, OPTML_E_IO, "cannot write %s: %s", path, strerror(err));
}

optml_status rt_write_atomic(optml_ctx *ctx, const char *path, const struct rt_chunk *chunks,
                             size_t n_chunks)
{
    return write_replace(ctx, path, chunks, n_chunks, 1);
}

optml_status rt_write_replace(optml_ctx *ctx, const char *path, const struct rt_chunk *chunks,
                              size_t n_chunks)
{
    return write_replace(ctx, path, chunks, n_chunks, 0);
}

optml_status optml_file_write_atomic(optml_ctx *ctx, const char *path, const void *data, size_t len)
{
    if (!path || !*path)
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_file_write_atomic: empty path");
    char *full = NULL;
    if (path[0] == '/') {
        full = strdup(path);
    } else {
        const char *dir = optml_model_dir(ctx);
        if (!dir)
            return optml_error(ctx, OPTML_E_INTERNAL, "optml_file_write_atomic: no model directory");
        if (ctx->rank != 0) /* several hosts: model/ is rank 0's */
            return OPTML_OK;
        full = rt_path_join(dir, path);
    }
    if (!full)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    struct rt_chunk c = {data, len};
    optml_status s = rt_write_atomic(ctx, full, &c, 1);
    free(full);
    return s;
}

const char *optml_model_dir(const optml_ctx *ctx)
{
    return ctx && ctx->paths ? ctx->paths->model_dir : NULL;
}

/* ".<name>.tmp.<digits>", the temp name write_replace gives a file. */
static int is_stale_temp(const char *name)
{
    if (name[0] != '.')
        return 0;
    const char *t = strstr(name + 1, ".tmp.");
    const char *last = NULL;
    while (t) { /* the last ".tmp." (a name may contain one) */
        last = t;
        t = strstr(t + 1, ".tmp.");
    }
    if (!last || last == name + 1)
        return 0;
    const char *d = last + 5;
    if (!*d)
        return 0;
    for (; *d; d++)
        if (*d < '0' || *d > '9')
            return 0;
    return 1;
}

size_t rt_remove_stale_temps(const char *dir)
{
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d)
        return 0;
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_stale_temp(e->d_name))
            continue;
        char *p = rt_path_join(dir, e->d_name);
        struct stat st;
        if (p && lstat(p, &st) == 0 && S_ISREG(st.st_mode) && unlink(p) == 0)
            removed++;
        free(p);
    }
    closedir(d);
    return removed;
}
