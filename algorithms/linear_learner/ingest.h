/*
 * ingest.h: one pass over a channel's records, parsed on two threads (see
 * ingest.c).  A reader thread cuts the channel into chunks of a few hundred
 * kilobytes (runs of CSV lines, or records); chunks are parsed by whichever
 * thread is free (the reader
 * thread, or the consumer while it waits), and the consumer takes them back
 * strictly in order, so rows arrive in file order whatever the threading.
 *
 * A parsed chunk holds its rows in the data cache's row format (data.c):
 *   u32 head (bit 31: sparse, bit 30: not kept for later passes, low 30
 *   bits: value count), f32 label, then dense: count f32 values;
 *   sparse: count u32 indices, count f32 values.
 */
#ifndef OPTML_LL_INGEST_H
#define OPTML_LL_INGEST_H

#include <string.h>

#include "linear_learner/ll.h"
#include "linear_learner/parse.h"

#define LL_ROW_SPARSE 0x80000000u
#define LL_ROW_HELD 0x40000000u
#define LL_ROW_COUNT 0x3FFFFFFFu

/* The row at p (a head in a chunk, the cache or its read buffer; 4-byte
 * aligned) as a view into p, its head in *head; returns its size in bytes. */
static inline size_t ll_row_at(const unsigned char *p, struct ll_row *row, uint32_t *head)
{
    memcpy(head, p, 4);
    memcpy(&row->label, p + 4, 4);
    size_t n = *head & LL_ROW_COUNT;
    row->nnz = n;
    if (*head & LL_ROW_SPARSE) {
        row->idx = (const uint32_t *)(const void *)(p + 8);
        row->val = (const float *)(const void *)(p + 8 + 4 * n);
        return 8 + 8 * n;
    }
    row->idx = NULL;
    row->val = (const float *)(const void *)(p + 8);
    return 8 + 4 * n;
}

struct ll_ingest;

/* A parsed chunk, in order.  rows[0, len) holds n rows.  After them, the
 * pass either goes on (status OPTML_OK), ends (OPTML_END), or fails: then
 * status is the error and, for a record that did not parse or whose label
 * is refused, `msg` is the whole message (the runtime's own errors are
 * already in the context). */
struct ll_chunk_view {
    unsigned char *rows;
    size_t len, n;
    optml_status status;
    const char *msg;
};

struct ll_ingest_cfg {
    const char *channel;     /* for messages */
    enum ll_format fmt;
    enum ll_predictor type;  /* label checks */
    size_t K;
    size_t *D;               /* shared dimension: 0 until the first row */
    size_t chunk_bytes;      /* text per chunk */
};

/* Start the reader thread on `reader` (owned from now on, closed by
 * ll_ingest_stop).  OPTML_OK or an error (the reader is then closed). */
optml_status ll_ingest_start(optml_ctx *ctx, optml_reader *reader, const struct ll_ingest_cfg *cfg,
                             struct ll_ingest **out);
/* The next chunk in order (the previous one is given back first).  Blocks
 * until it is parsed, parsing other chunks meanwhile. */
void ll_ingest_next(struct ll_ingest *g, struct ll_chunk_view *v);
/* Fraction of the channel read so far, or -1 when unknown. */
double ll_ingest_progress(const struct ll_ingest *g);
/* Stop the reader thread, join it, close the reader, free everything.
 * NULL-safe. */
void ll_ingest_stop(struct ll_ingest *g);

/* Label checks by predictor type: 1 when fine, else 0 and why. */
int ll_label_ok(enum ll_predictor type, size_t K, float y, char *why, size_t whysz);

#endif
