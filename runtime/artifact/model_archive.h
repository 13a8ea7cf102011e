/*
 * model_archive.h: unpacking `model.tar.gz` for `optml serve` (CONTRACT.md
 * §1.5, §7.7).  Owns safe tar extraction (libarchive reads; every file is
 * created by this code with openat and O_NOFOLLOW, never through a path that
 * could cross a symlink); model_dir.h decides whether a model directory is
 * unpacked and where.
 *
 * What an archive may hold: directories, regular files, symlinks whose target
 * stays inside the destination, and hard links to regular files extracted
 * earlier from the same archive.  Refused with OPTML_E_MODEL naming the
 * entry: absolute paths, `..` components, escaping or absolute symlinks, a
 * symlink target with `..` after a name (`a/../b`: its meaning depends on
 * whether `a` is a link), paths through an extracted symlink, device files,
 * FIFOs, sockets, more than RT_MODEL_ARCHIVE_MAX_ENTRIES entries, and more
 * than `max_bytes` of file data (the header size is checked before writing
 * and the bytes actually written are counted too).  A truncated or corrupt
 * archive is OPTML_E_MODEL naming the archive.
 *
 * Modes: files get the archive's permission bits & 0755, plus owner read;
 * directories & 0755 plus owner rwx (so the tree can always be removed).  No
 * setuid/setgid/sticky bit, owner, group or timestamp is restored.
 *
 * All or nothing: entries are extracted into a fresh `dest_dir/.optml-extract-
 * XXXXXX` and its top-level entries are renamed into dest_dir only when the
 * whole archive was read without error; on any failure the temp directory is
 * removed and dest_dir is left as it was.  A top-level name that already
 * exists in dest_dir is refused (nothing of the user's is replaced).
 */
#ifndef OPTML_MODEL_ARCHIVE_H
#define OPTML_MODEL_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"

#define RT_MODEL_ARCHIVE_NAME "model.tar.gz"
#define RT_MODEL_ARCHIVE_MAX_ENTRIES 100000u

/* What an extraction did (for the log). */
struct rt_model_archive_stats {
    uint64_t bytes;   /* file bytes written (logical sizes) */
    uint64_t entries; /* archive entries read, the root "./" included */
};

/* Extract the tar archive at `archive_path` (gzip-compressed or plain) into
 * the existing directory `dest_dir`.  OPTML_E_MODEL for anything wrong with
 * the archive, OPTML_E_IO for the file system (disk full, permissions),
 * OPTML_E_NOMEM. */
optml_status rt_model_archive_extract(optml_ctx *ctx, const char *archive_path, const char *dest_dir,
                                      uint64_t max_bytes);
/* The same, with statistics (stats may be NULL). */
optml_status rt_model_archive_extract_stats(optml_ctx *ctx, const char *archive_path, const char *dest_dir,
                                            uint64_t max_bytes, struct rt_model_archive_stats *stats);
/* The same from the open regular file `fd` (read from its current offset,
 * left open), named `label` in messages. */
optml_status rt_model_archive_extract_fd(optml_ctx *ctx, int fd, const char *label, const char *dest_dir,
                                         uint64_t max_bytes, struct rt_model_archive_stats *stats);
/* The same from memory (the fuzzer's entry point); messages call the archive
 * "<memory>". */
optml_status rt_model_archive_extract_memory(optml_ctx *ctx, const void *data, size_t len, const char *dest_dir,
                                             uint64_t max_bytes);

/* rm -rf of dirfd/name that never follows a symlink (a symlink inside is
 * removed, not what it points to); errors are ignored, what could not be
 * removed stays. */
void rt_remove_tree_at(int dirfd, const char *name);

/* $OPTML_MAX_MODEL_MB MiB when set to a positive integer, else 16 GiB. */
uint64_t rt_model_archive_default_limit(void);

#endif
