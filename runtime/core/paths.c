/*
 * paths.c: the /opt/ml tree (or $SAGEMAKER_BASE_DIR) and mkdir -p.
 */
#define _GNU_SOURCE
#include "core/paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

char *rt_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t sep = la > 0 && a[la - 1] == '/' ? 0 : 1;
    char *p = malloc(la + sep + lb + 1); /* not asprintf: printf is slow here (core/numfmt.h) */
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + sep, b, lb + 1);
    return p;
}

int rt_mkdirs(const char *path, unsigned mode)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                rc = -1;
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    free(p);
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) != 0)
            return -1;
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
    }
    return rc;
}

optml_status rt_paths_init(optml_ctx *ctx, struct rt_paths *p)
{
    memset(p, 0, sizeof(*p));
    const char *base = getenv("SAGEMAKER_BASE_DIR");
    if (!base || !*base)
        base = "/opt/ml";
    size_t n = strlen(base);
    while (n > 1 && base[n - 1] == '/')
        n--;
    p->base = strndup(base, n);
    if (!p->base)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    p->config_dir = rt_path_join(p->base, "input/config");
    p->data_dir = rt_path_join(p->base, "input/data");
    p->model_dir = rt_path_join(p->base, "model");
    p->output_dir = rt_path_join(p->base, "output");
    p->output_data_dir = rt_path_join(p->base, "output/data");
    p->failure_file = rt_path_join(p->base, "output/failure");
    if (!p->config_dir || !p->data_dir || !p->model_dir || !p->output_dir ||
        !p->output_data_dir || !p->failure_file) {
        rt_paths_free(p);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    }
    return OPTML_OK;
}

optml_status rt_paths_prepare_training(optml_ctx *ctx, const struct rt_paths *p)
{
    const char *dirs[] = {p->model_dir, p->output_dir};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (rt_mkdirs(dirs[i], 0777) != 0)
            return optml_error(ctx, OPTML_E_IO, "cannot create directory %s: %s", dirs[i],
                               strerror(errno));
    /* output/data holds only optional files (metrics.jsonl, report.html). */
    if (rt_mkdirs(p->output_data_dir, 0777) != 0)
        rt_log(OPTML_LOG_WARNING, "cannot create directory %s: %s; metrics.jsonl and report.html will not be written",
               p->output_data_dir, strerror(errno));
    if (unlink(p->failure_file) != 0 && errno != ENOENT)
        return optml_error(ctx, OPTML_E_IO, "cannot remove stale %s: %s", p->failure_file,
                           strerror(errno));
    return OPTML_OK;
}

void rt_paths_free(struct rt_paths *p)
{
    free(p->base);
    free(p->config_dir);
    free(p->data_dir);
    free(p->model_dir);
    free(p->output_dir);
    free(p->output_data_dir);
    free(p->failure_file);
    free(p->checkpoint_dir);
    memset(p, 0, sizeof(*p));
}
