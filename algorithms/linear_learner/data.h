/*
 * data.h: a training channel as a stream of checked rows.  File mode: read
 * from the channel once and from a local binary cache on every later pass
 * (or from the channel again when the cache cannot be written); Pipe mode:
 * from the channel's next FIFO on every pass (see data.c).
 */
#ifndef OPTML_LL_DATA_H
#define OPTML_LL_DATA_H

#include <stdio.h>

#include "linear_learner/ll.h"
#include "linear_learner/ingest.h"
#include "linear_learner/parse.h"

/* Text per parsed chunk when reading files (File and FastFile mode). */
#define LL_FILE_CHUNK ((size_t)256 << 10)

struct ll_source {
    optml_ctx *ctx;
    const optml_channel *ch;
    const char *name;            /* channel name */
    struct ll_ingest_cfg icfg;   /* how the channel is parsed */
    int use_cache;               /* keep rows for later passes (File mode,
                                    until the cache fails) */
    int pipe;                    /* Pipe mode: every pass reads a FIFO */
    unsigned share_world, share_rank; /* multi-host, FullyReplicated: this
                                    host takes the rows whose index in the
                                    channel is share_rank mod share_world */
    const char *scratch;         /* where the cache goes */
    /* the current pass */
    struct ll_ingest *ing;       /* reading the channel, or NULL */
    struct ll_chunk_view cv;     /* its current chunk */
    int have_chunk;
    size_t at;                   /* next row in cv.rows */
    unsigned char *last_head;    /* head of the row last returned from cv */
    int from_cache;
    int sparse_seen;             /* a sparse row was returned */
    uint64_t rows;               /* rows returned in this pass */
    uint64_t read;               /* rows read from the channel in this pass
                                    (all hosts' shares) */
    uint64_t cache_read;         /* bytes of the cache read in this pass */
    /* the cache: an unlinked file, written one chunk at a time */
    int cache_fd;                /* -1: none */
    int cache_complete;          /* a whole channel pass was cached */
    uint64_t cache_bytes;
    unsigned char *rbuf;         /* cache passes: read buffer */
    size_t rcap, rlen, rpos;
};

/* Prepare to read channel `ch` (NULL-safe: returns OK with *out = NULL when
 * the channel is absent).  *D is the shared feature dimension (0: set by
 * the first row).  With use_cache and a File-mode channel, the rows of the
 * first complete pass are written to an unlinked temp file in the scratch
 * directory (optml_scratch_dir; a ClientError when it is inside model/,
 * output/ or checkpoints/), all but those passed to ll_source_hold(), and
 * later passes read them from there; when the cache cannot be created or
 * written, a warning, and later passes read the channel again (the caller
 * then skips held-out rows itself: ll_source_from_cache() is 0).  Pipe mode
 * has no cache: every pass opens the next FIFO.
 * In a multi-host job a FullyReplicated channel is split: this host gets
 * only the rows whose index in the channel is its rank modulo the number
 * of hosts (the others are flagged out of the cache); a ShardedByS3Key
 * channel's rows are all this host's. */
optml_status ll_source_open(optml_ctx *ctx, const optml_channel *ch, const struct ll_config *cfg, size_t *D,
                            int use_cache, struct ll_source **out);
/* Start a pass (from the channel until a cache is complete; the channel is
 * parsed on a second thread, see ingest.h). */
optml_status ll_source_begin(struct ll_source *s);
/* Next row: OPTML_OK, OPTML_END, OPTML_STOPPED or an error naming the file
 * and line (record).  Labels are checked against the predictor type.  The
 * row is valid until the next call. */
optml_status ll_source_next(struct ll_source *s, struct ll_row *row);
/* During a pass from the channel: leave the row last returned out of later
 * passes (a held-out row). */
void ll_source_hold(struct ll_source *s);
/* End the pass (stopping its reader thread); `complete` when it reached
 * OPTML_END.  Call before reporting an error of your own during a pass. */
void ll_source_end(struct ll_source *s, int complete);
/* Whether the current pass reads the cache (held-out rows already gone). */
int ll_source_from_cache(const struct ll_source *s);
/* Fraction of the pass done, or -1 when unknown. */
double ll_source_progress(const struct ll_source *s);
/* Whether the data held sparse rows so far. */
int ll_source_sparse(const struct ll_source *s);
void ll_source_close(struct ll_source *s);

#endif
