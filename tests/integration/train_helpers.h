/*
 * train_helpers.h: run `optml train` with the test module `echo` against a
 * temporary /opt/ml tree, and read what it left behind.
 */
#ifndef OPTML_TEST_TRAIN_HELPERS_H
#define OPTML_TEST_TRAIN_HELPERS_H

#include <sys/types.h>

#include "support/support.h"

/* Run `optml train` for `base` with the echo module; `extra` adds
 * environment entries (NULL-terminated, may be NULL). */
struct run_result train_echo(const char *base, const char *const *extra);
/* Contents of base/rel, or "" when missing (never NULL). */
char *tree_file(const char *base, const char *rel);
/* Whether base/rel exists. */
int tree_has(const char *base, const char *rel);
/* Nonzero when some line of `text` matches the POSIX extended regex. */
int has_line_matching(const char *text, const char *regex);

/* A FIFO input/data/<name> fed with `len` bytes of `data` by a child
 * process once a reader opens it (its pid is returned); with `linger` the
 * writer keeps the FIFO open afterwards (the reader then waits for more). */
pid_t fifo_feed(const char *base, const char *name, const void *data, size_t len, int linger);

/* "OPTML_MODULE_PATH=<absolute build/lib/optml>", for running the real
 * modules (malloc'd). */
char *module_path_env(void);

#endif
