/*
 * atomic_file.h: write a file so that a kill at any moment leaves either the
 * old file or the complete new one: temp name in the same directory, write,
 * fsync, rename, fsync the directory.
 */
#ifndef OPTML_ATOMIC_FILE_H
#define OPTML_ATOMIC_FILE_H

#include <stddef.h>

#include "optml/algorithm.h"

struct rt_chunk {
    const void *data;
    size_t len;
};

/* Write the concatenation of `chunks` to `path` atomically (mode 0644, less
 * the umask).  OPTML_E_IO naming the path on failure; the temp file is
 * removed. */
optml_status rt_write_atomic(optml_ctx *ctx, const char *path, const struct rt_chunk *chunks,
                             size_t n_chunks);

/* Remove the temp files rt_write_atomic and rt_write_replace leave behind
 * when the process is killed between create and rename (".<name>.tmp.<pid>")
 * from `dir` (not recursive); a missing dir is fine.  Call it before this
 * process writes there: any such file then belongs to an earlier run (in a
 * container the earlier run was PID 1 too, so the pid proves nothing).
 * Returns how many were removed. */
size_t rt_remove_stale_temps(const char *dir);

/* The same without the two fsyncs (about 1 ms on this machine's disk): a
 * reader, and a restart after the process was killed, still see the old
 * file or the whole new one, but a power cut may lose the new one.  For
 * outputs that are cheap to lose and written at the end of every job (the
 * training report), never for models or checkpoints. */
optml_status rt_write_replace(optml_ctx *ctx, const char *path, const struct rt_chunk *chunks,
                              size_t n_chunks);

#endif
