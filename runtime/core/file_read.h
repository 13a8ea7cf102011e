/*
 * file_read.h: reading a whole regular file into memory, bounded: the one
 * reader behind the config files, model files and checkpoints.
 */
#ifndef OPTML_FILE_READ_H
#define OPTML_FILE_READ_H

#include <stddef.h>

#include "optml/algorithm.h"

/* Read `path` (at most max_len bytes) into a malloc'd, NUL-terminated buffer.
 * `name` is how messages call the file (NULL: the path).  OPTML_E_NOT_FOUND
 * when it does not exist (no message recorded); OPTML_E_CLIENT when it is
 * not a regular file (a FIFO never blocks the open) or is over the limit;
 * OPTML_E_IO / OPTML_E_NOMEM otherwise. */
optml_status rt_read_whole_file(optml_ctx *ctx, const char *path, const char *name, size_t max_len,
                                char **data, size_t *len);

#endif
