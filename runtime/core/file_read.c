/*
 * file_read.c: see file_read.h.
 */
#define _GNU_SOURCE
#include "core/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

optml_status rt_read_whole_file(optml_ctx *ctx, const char *path, const char *name, size_t max_len,
                                char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (!name)
        name = path;
    /* O_NONBLOCK: a FIFO planted under the name must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return OPTML_E_NOT_FOUND;
        return optml_error(ctx, OPTML_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    optml_status s = OPTML_OK;
    char *buf = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        s = optml_error(ctx, OPTML_E_IO, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        s = optml_error(ctx, OPTML_E_CLIENT, "%s is not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > max_len) {
        s = optml_error(ctx, OPTML_E_CLIENT, "%s is larger than %zu MiB", name, max_len >> 20);
        goto out;
    }
    size_t n = (size_t)st.st_size, got = 0;
    buf = malloc(n + 1);
    if (!buf) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory reading %s (%zu bytes)", name, n);
        goto out;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0) {
            s = optml_error(ctx, OPTML_E_IO, "cannot read %s: %s", name, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got != n) {
        s = optml_error(ctx, OPTML_E_IO, "%s changed while it was read", name);
        goto out;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return s;
}
