/*
 * model_dir.h: the model directory `optml serve` loads from (CONTRACT.md
 * §1.5, §7.7).  Owns the decision whether a directory is unpacked (it holds
 * exactly one non-hidden entry, a regular file named model.tar.gz), where to
 * (in place, or a private copy), and the private copies' lifetime.
 *
 * Private copies live in `$TMPDIR/optml-model-<pid>-XXXXXX` (or /tmp), mode
 * 0700, one per archive, shared by every model loaded from that archive and
 * held with an flock while this process has it.  A copy is reused while its
 * archive is the same file (device and inode) with the same size and
 * modification time (to the nanosecond): loading it again, under another
 * name or after an unload, unpacks nothing.  When its last model is released
 * a copy is kept for reuse, at most RT_MODEL_DIR_KEEP of them (least recently
 * used removed first), unless its archive changed or is gone: then it is
 * removed at once.  rt_model_dir_cleanup removes all at exit, and a server
 * killed before that leaves its copies to the next one's
 * rt_model_dir_remove_stale.  Removal never follows a symlink out of a copy.
 *
 * Two loads of one archive at the same time: the first unpacks, the second
 * waits for it and shares the copy.  Nothing is ever written into the model
 * directory itself unless the caller allows in-place unpacking.
 */
#ifndef OPTML_MODEL_DIR_H
#define OPTML_MODEL_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"

#define RT_MODEL_DIR_KEEP 2 /* unpacked copies no model uses, kept for reuse */

struct rt_unpacked; /* a private copy (opaque) */

struct rt_model_dir {
    char *dir;                /* where to load the model from (malloc'd) */
    struct rt_unpacked *copy; /* the private copy dir is in, or NULL */
};

enum rt_unpack_where {
    RT_UNPACK_PRIVATE,        /* always into a private copy (multi-model mode) */
    RT_UNPACK_IN_PLACE_FIRST, /* into model_dir itself when a file can be created there (single model) */
};

/* Prepare `model_dir` for loading: unpack its lone model.tar.gz (see
 * above), or use it as it is.  On success out->dir is the directory to load
 * from; release `out` with rt_model_dir_release when the model goes.  A
 * missing model_dir is OPTML_E_MODEL "model directory X does not exist";
 * archive errors as rt_model_archive_extract. */
optml_status rt_model_dir_prepare(optml_ctx *ctx, const char *model_dir, uint64_t max_bytes,
                                  enum rt_unpack_where where, struct rt_model_dir *out);
/* Give up a prepared directory (the copy is kept for reuse or removed, as
 * above); *d is emptied.  NULL or empty is fine. */
void rt_model_dir_release(struct rt_model_dir *d);

/* At exit: remove every private copy, in use or not. */
void rt_model_dir_cleanup(void);
/* At start, before any copy is made: remove the copies of servers that are
 * gone from $TMPDIR (or /tmp): directories of this user named exactly
 * optml-model-<pid>-XXXXXX whose pid is not running (or is this process's:
 * a restarted container reuses pids) and whose lock nobody holds.  Returns
 * how many were removed. */
size_t rt_model_dir_remove_stale(void);

#endif
