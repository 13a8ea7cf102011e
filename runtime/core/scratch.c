/*
 * scratch.c: the scratch directory where modules keep temporary data
 * (optml_scratch_dir): $OPTML_SCRATCH_DIR, else $TMPDIR, else /tmp, and
 * never inside the directories SageMaker uploads (model/, output/, the
 * checkpoint directory).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/paths.h"

/* `path` made absolute with symbolic links resolved as far as it exists
 * (the part that does not exist yet is appended as written); malloc'd or
 * NULL. */
static char *resolve(const char *path)
{
    char *abs = NULL;
    if (path[0] == '/') {
        abs = strdup(path);
    } else {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof(cwd)))
            abs = rt_path_join(cwd, path);
    }
    if (!abs)
        return NULL;
    size_t n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        abs[--n] = 0;
    /* The longest existing prefix, resolved, then the rest. */
    for (char *cut = abs + n; cut > abs; cut--) {
        if (*cut != '/' && *cut != 0)
            continue;
        char saved = *cut;
        *cut = 0;
        char *real = realpath(cut == abs ? "/" : abs, NULL);
        *cut = saved;
        if (!real)
            continue;
        char *out = NULL;
        if (asprintf(&out, "%s%s", strcmp(real, "/") == 0 ? "" : real, cut) < 0)
            out = NULL;
        free(real);
        free(abs);
        return out;
    }
    return abs;
}

/* Whether `a` is `b` or below it (both resolved). */
static int inside(const char *a, const char *b)
{
    size_t n = strlen(b);
    return strncmp(a, b, n) == 0 && (a[n] == 0 || a[n] == '/' || (n == 1 && b[0] == '/'));
}

optml_status optml_scratch_dir(optml_ctx *ctx, const char **dir)
{
    const char *var = "OPTML_SCRATCH_DIR", *d = getenv(var);
    if (!d || !*d) {
        var = "TMPDIR";
        d = getenv(var);
    }
    if (!d || !*d) {
        var = NULL;
        d = "/tmp";
    }
    *dir = d;
    const struct rt_paths *p = ctx ? ctx->paths : NULL;
    if (!p)
        return OPTML_OK;
    const char *uploaded[][2] = {{p->model_dir, "model/"}, {p->output_dir, "output/"},
                                 {p->checkpoint_dir, "the checkpoint directory"}};
    char *real = resolve(d);
    if (!real)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory resolving the scratch directory");
    optml_status st = OPTML_OK;
    for (size_t i = 0; i < sizeof(uploaded) / sizeof(uploaded[0]) && st == OPTML_OK; i++) {
        if (!uploaded[i][0])
            continue;
        char *up = resolve(uploaded[i][0]);
        if (up && inside(real, up))
            st = optml_error(ctx, OPTML_E_CLIENT, "the scratch directory %s (%s%s) is inside %s (%s), which "
                             "SageMaker uploads: set OPTML_SCRATCH_DIR to a directory outside model/, output/ "
                             "and the checkpoint directory", d, var ? "from " : "the default", var ? var : "",
                             uploaded[i][1], uploaded[i][0]);
        free(up);
    }
    free(real);
    return st;
}
