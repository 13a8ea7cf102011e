/*
 * channel.h: the runtime's side of channels (struct optml_channel in job.h):
 * set-up from the input configuration, File-mode listing, freeing.  The
 * public channel and reader functions of optml/algorithm.h live in
 * channel.c too; they sit on stream.h (bytes) and framing.h (records).
 */
#ifndef OPTML_CHANNEL_H
#define OPTML_CHANNEL_H

#include "data/framing.h"
#include "core/ctx.h"
#include "data/stream.h"

#include "config/config.h"

/* A channel of the job (public type, opaque to modules). */
struct optml_channel {
    struct rt_channel_config cfg;            /* owned copy */
    const struct optml_channel_decl *decl;   /* the module's declaration */
    char *path;          /* <base>/input/data/<name>: directory (File) or FIFO
                            prefix (Pipe: path + "_" + pass) */
    int listed;          /* files below are filled */
    char **files;        /* relative paths, sorted */
    char **abs_files;    /* absolute paths */
    uint64_t *sizes;     /* on-disk sizes */
    size_t n_files;
    uint64_t total_bytes;
    unsigned next_pass;  /* Pipe mode: the next FIFO number */
    /* What was read, for the training report (updated atomically: a module
     * may read on several threads). */
    uint64_t passes;       /* optml_channel_open calls that succeeded */
    uint64_t bytes_read;   /* optml_reader_bytes of every closed reader */
    uint64_t records_read; /* records optml_reader_next returned */
    uint64_t rows, bad_rows; /* as the module reported them (optml_report_rows) */
    int rows_reported;
};

/* Fill `ch` for the configured channel `cfg` (copied) declared by the module
 * as `decl` (borrowed; may be NULL): ch->path = <data_dir>/<name>.  A name
 * that is empty, ".", ".." or contains '/' is OPTML_E_CLIENT.  On failure
 * `ch` is left freeable. */
optml_status rt_channel_init(optml_ctx *ctx, struct optml_channel *ch,
                             const struct rt_channel_config *cfg,
                             const struct optml_channel_decl *decl, const char *data_dir);

/* Free what rt_channel_init and rt_channel_list allocated and zero `ch`.
 * Accepts a zeroed or half-initialised channel. */
void rt_channel_free(struct optml_channel *ch);

/* File / FastFile mode: list the regular files under ch->path recursively
 * (symlinks followed, cycles skipped), skipping any path with a component
 * that starts with '.', sorted by relative path in byte order; fills files,
 * abs_files, sizes, n_files, total_bytes and sets listed.  A missing channel
 * directory is OPTML_E_CLIENT.  Pipe mode: no files.  Does nothing when the
 * channel is listed already. */
optml_status rt_channel_list(optml_ctx *ctx, struct optml_channel *ch);

/* The FIFO of Pipe-mode pass `pass`: "<ch->path>_<pass>" (malloc; NULL when
 * out of memory). */
char *rt_channel_fifo_path(const struct optml_channel *ch, unsigned pass);

/* For tests and fuzzing: the stream and framer under a reader (to shrink the
 * window, simulate short reads or lower the record limit before the first
 * record). */
struct rt_stream *rt_reader_stream(optml_reader *r);
struct rt_framer *rt_reader_framer(optml_reader *r);

#endif
