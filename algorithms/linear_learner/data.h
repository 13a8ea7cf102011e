/*
 * data.h: a training channel as a stream of checked rows, read from the
 * channel once and from a local binary cache on every later pass (see
 * data.c).
 */
#ifndef OPTML_LL_DATA_H
#define OPTML_LL_DATA_H

#include <stdio.h>

#include "linear_learner/ll.h"
#include "linear_learner/parse.h"

struct ll_source {
    optml_ctx *ctx;
    const optml_channel *ch;
    const char *name;            /* channel name */
    enum ll_predictor type;
    size_t K;
    struct ll_parser parser;
    int use_cache;               /* keep rows for later passes */
    /* the current pass */
    optml_reader *reader;        /* reading the channel, or NULL */
    int from_cache;
    uint64_t rows;               /* rows returned in this pass */
    uint64_t cache_read;         /* bytes of the cache read in this pass */
    /* the cache */
    FILE *cache;
    int cache_complete;          /* a whole channel pass was cached */
    uint64_t cache_rows, cache_bytes;
    float *cvals;
    uint32_t *cidx;
    size_t ccap;
};

/* Prepare to read channel `ch` (NULL-safe: returns OK with *out = NULL when
 * the channel is absent).  *D is the shared feature dimension (0: set by
 * the first row).  With use_cache, rows passed to ll_source_keep() during
 * the first pass are written to an unlinked temp file under $TMPDIR (or
 * /tmp) and later passes read them from there. */
optml_status ll_source_open(optml_ctx *ctx, const optml_channel *ch, const struct ll_config *cfg, size_t *D,
                            int use_cache, struct ll_source **out);
/* Start a pass (from the channel until a cache is complete). */
optml_status ll_source_begin(struct ll_source *s);
/* Next row: OPTML_OK, OPTML_END, OPTML_STOPPED or an error naming the file
 * and line (record).  Labels are checked against the predictor type. */
optml_status ll_source_next(struct ll_source *s, struct ll_row *row);
/* During a pass from the channel: keep `row` for later passes. */
optml_status ll_source_keep(struct ll_source *s, const struct ll_row *row);
/* End the pass; `complete` when it reached OPTML_END. */
void ll_source_end(struct ll_source *s, int complete);
/* Fraction of the pass done, or -1 when unknown. */
double ll_source_progress(const struct ll_source *s);
/* Whether the data held sparse rows so far. */
int ll_source_sparse(const struct ll_source *s);
void ll_source_close(struct ll_source *s);

#endif
