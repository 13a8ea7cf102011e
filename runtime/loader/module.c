/*
 * module.c: module discovery (search path, $OPTML_ALGORITHM), dlopen and the
 * API-version check.  See module.h for the rules.
 */
#define _GNU_SOURCE
#include "loader/module.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/hparams.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/strjoin.h"

static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

/* Modules in one directory, appended to `l`. */
static int scan_dir(const char *dir, struct rt_module_list *l)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 4 || strcmp(e->d_name + n - 3, ".so") != 0)
            continue;
        char **names = realloc(l->names, (l->n + 1) * sizeof(char *));
        if (names)
            l->names = names;
        char **paths = realloc(l->paths, (l->n + 1) * sizeof(char *));
        if (paths)
            l->paths = paths;
        if (!names || !paths)
            break;
        l->names[l->n] = strndup(e->d_name, n - 3);
        l->paths[l->n] = rt_path_join(dir, e->d_name);
        if (!l->names[l->n] || !l->paths[l->n]) {
            free(l->names[l->n]);
            free(l->paths[l->n]);
            break;
        }
        l->n++;
        found++;
    }
    closedir(d);
    return found;
}

static void sort_list(struct rt_module_list *l)
{
    /* Insertion sort keeps names and paths paired; lists are short. */
    for (size_t i = 1; i < l->n; i++)
        for (size_t j = i; j > 0 && strcmp(l->names[j - 1], l->names[j]) > 0; j--) {
            char *t = l->names[j];
            l->names[j] = l->names[j - 1];
            l->names[j - 1] = t;
            t = l->paths[j];
            l->paths[j] = l->paths[j - 1];
            l->paths[j - 1] = t;
        }
}

static char *exe_relative_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    char *dir = dirname(exe);
    return rt_path_join(dir, "../lib/optml");
}

optml_status rt_module_list(optml_ctx *ctx, struct rt_module_list *out)
{
    memset(out, 0, sizeof(*out));
    const char *env = getenv("OPTML_MODULE_PATH");
    if (env && *env) {
        out->searched = strdup(env);
        char *copy = strdup(env);
        if (!copy || !out->searched)
            return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
            scan_dir(dir, out);
        free(copy);
    } else {
        char *rel = exe_relative_dir();
        if (rel && scan_dir(rel, out) > 0) {
            out->searched = rel;
        } else {
            scan_dir(OPTML_LIBDIR, out);
            if (asprintf(&out->searched, "%s:%s", rel ? rel : "(unknown)", OPTML_LIBDIR) < 0)
                out->searched = NULL;
            free(rel);
        }
    }
    sort_list(out);
    return OPTML_OK;
}

void rt_module_list_free(struct rt_module_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->names[i]);
        free(l->paths[i]);
    }
    free(l->names);
    free(l->paths);
    free(l->searched);
    memset(l, 0, sizeof(*l));
}

optml_status rt_module_find(optml_ctx *ctx, struct rt_module *out)
{
    memset(out, 0, sizeof(*out));
    struct rt_module_list l;
    optml_status s = rt_module_list(ctx, &l);
    if (s != OPTML_OK)
        goto out;
    const char *want = getenv("OPTML_ALGORITHM");
    char *names = rt_join((const char *const *)l.names, l.n);
    if (l.n == 0) {
        s = optml_error(ctx, OPTML_E_INTERNAL,
                        "no algorithm modules installed (searched %s); set OPTML_MODULE_PATH",
                        l.searched ? l.searched : "?");
    } else if (want && *want) {
        size_t i;
        for (i = 0; i < l.n && !name_eq(l.names[i], want); i++)
            ;
        if (i == l.n)
            s = optml_error(ctx, OPTML_E_CLIENT,
                            "OPTML_ALGORITHM='%s' is not installed; installed modules: %s (in %s)",
                            want, names ? names : "?", l.searched ? l.searched : "?");
        else
            s = rt_module_load(ctx, l.paths[i], out);
    } else if (l.n > 1) {
        s = optml_error(ctx, OPTML_E_CLIENT,
                        "several modules are installed (%s): set OPTML_ALGORITHM to one of them",
                        names ? names : "?");
    } else {
        s = rt_module_load(ctx, l.paths[0], out);
    }
    free(names);
out:
    rt_module_list_free(&l);
    return s;
}

/* The smallest table a 4.x module can have: everything up to the last
 * member of 4.0.  (A minor version appends after it.) */
#define TABLE_SIZE_4_0 (offsetof(struct optml_algorithm, unsupported_media_message) + sizeof(const char *))

optml_status rt_module_accept_table(optml_ctx *ctx, const char *path, const struct optml_algorithm *alg,
                                    struct optml_algorithm **copy)
{
    *copy = NULL;
    if (alg->api_version != OPTML_ALGORITHM_API_VERSION)
        return optml_error(ctx, OPTML_E_INTERNAL,
                           "module %s was built for optml module API version %d.%d, but this runtime "
                           "implements version %d.%d: rebuild the module against this runtime's "
                           "optml/algorithm.h",
                           path, alg->api_version, alg->api_minor, OPTML_ALGORITHM_API_VERSION,
                           OPTML_ALGORITHM_API_MINOR);
    if (alg->api_minor > OPTML_ALGORITHM_API_MINOR || alg->api_minor < 0)
        return optml_error(ctx, OPTML_E_INTERNAL,
                           "module %s was built for optml module API version %d.%d, newer than this "
                           "runtime's %d.%d: use an optml runtime of version %d.%d or later",
                           path, alg->api_version, alg->api_minor, OPTML_ALGORITHM_API_VERSION,
                           OPTML_ALGORITHM_API_MINOR, alg->api_version, alg->api_minor);
    if (alg->table_size < TABLE_SIZE_4_0 ||
        (alg->api_minor == OPTML_ALGORITHM_API_MINOR && alg->table_size != sizeof(*alg)) ||
        alg->table_size > sizeof(*alg))
        return optml_error(ctx, OPTML_E_INTERNAL,
                           "module %s declares a table of %zu bytes for API version %d.%d (expected "
                           "%zu to %zu): it was not built with OPTML_MODULE()",
                           path, alg->table_size, alg->api_version, alg->api_minor, (size_t)TABLE_SIZE_4_0,
                           sizeof(*alg));
    /* The members the module's version has; later ones read as absent. */
    struct optml_algorithm *c = calloc(1, sizeof(*c));
    if (!c)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    memcpy(c, alg, alg->table_size);
    *copy = c;
    return OPTML_OK;
}

optml_status rt_module_load(optml_ctx *ctx, const char *path, struct rt_module *out)
{
    memset(out, 0, sizeof(*out));
    /* Lazily first: a module built for a newer minor version may call
     * functions this runtime lacks, and its version says so more clearly
     * than dlopen's "undefined symbol". */
    void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (!h)
        return optml_error(ctx, OPTML_E_INTERNAL, "cannot load module %s: %s", path, dlerror());
    const struct optml_algorithm *alg = dlsym(h, "optml_module");
    if (!alg) {
        dlclose(h);
        return optml_error(ctx, OPTML_E_INTERNAL,
                           "%s is not an optml module: it does not export 'optml_module'", path);
    }
    struct optml_algorithm *copy = NULL;
    optml_status s = rt_module_accept_table(ctx, path, alg, &copy);
    if (s != OPTML_OK) {
        dlclose(h);
        return s;
    }
    /* Now every symbol it uses must resolve (glibc binds a lazily loaded
     * object's functions when it is opened again with RTLD_NOW). */
    void *now = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (!now) {
        optml_error(ctx, OPTML_E_INTERNAL, "cannot load module %s: %s", path, dlerror());
        free(copy);
        dlclose(h);
        return OPTML_E_INTERNAL;
    }
    dlclose(now); /* the reference count it added */
    if (!copy->name || !*copy->name || !copy->train) {
        free(copy);
        dlclose(h);
        return optml_error(ctx, OPTML_E_INTERNAL, "module %s declares no name or no train function",
                           path);
    }
    s = rt_hparams_check_decls(ctx, copy);
    if (s != OPTML_OK) {
        free(copy);
        dlclose(h);
        return s;
    }
    out->handle = h;
    out->alg = copy;
    out->path = strdup(path);
    return OPTML_OK;
}

void rt_module_release(struct rt_module *m)
{
    free((void *)m->alg);
    free(m->path);
    memset(m, 0, sizeof(*m));
}

void rt_module_unload(struct rt_module *m)
{
    void *h = m->handle;
    rt_module_release(m);
    if (h)
        dlclose(h);
}
