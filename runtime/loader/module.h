/*
 * module.h: finding and loading algorithm modules (<name>.so).
 *
 * Search path: $OPTML_MODULE_PATH (colon-separated directories) when set;
 * else ../lib/optml next to the executable (resolved from /proc/self/exe, so
 * `train` and `serve` symlinks work); else the installed location
 * (OPTML_LIBDIR, $PREFIX/lib/optml).  The module is $OPTML_ALGORITHM,
 * matched against the file names (`-` and `_` are the same), or the only
 * module installed.
 */
#ifndef OPTML_MODULE_H
#define OPTML_MODULE_H

#include "optml/algorithm.h"

struct rt_module {
    void *handle;
    const struct optml_algorithm *alg; /* the runtime's copy of the module's
                                          table (see rt_module_accept_table) */
    char *path;
};

struct rt_module_list {
    char **names;   /* file names without .so, sorted */
    char **paths;
    size_t n;
    char *searched; /* the directories searched, for messages */
};

optml_status rt_module_list(optml_ctx *ctx, struct rt_module_list *out);
void rt_module_list_free(struct rt_module_list *l);

/* Choose and load the module for this process (see above).  Errors name
 * the installed modules. */
optml_status rt_module_find(optml_ctx *ctx, struct rt_module *out);
/* Check a module's table against this runtime's API version (major equal,
 * minor not newer, a table size that fits its version) and copy it into a
 * full-size table whose members beyond the module's table_size read as
 * absent (NULL / 0): *copy, malloc'd, or an error naming both versions. */
optml_status rt_module_accept_table(optml_ctx *ctx, const char *path, const struct optml_algorithm *alg,
                                    struct optml_algorithm **copy);
/* dlopen `path`, check its API version and declarations. */
optml_status rt_module_load(optml_ctx *ctx, const char *path, struct rt_module *out);
/* Free the runtime's copy of the table and the path; the library stays
 * loaded (threads it started, such as OpenBLAS's pool, may still run its
 * code until the process exits). */
void rt_module_release(struct rt_module *m);
/* rt_module_release, then dlclose. */
void rt_module_unload(struct rt_module *m);

#endif
