/*
 * framing.h: record readers on top of a stream (stream.h): text lines,
 * MXNet/dmlc RecordIO, TFRecord, whole segments and fixed-size records.  A record never spans
 * two segments.  Every length read from the data is checked against the
 * record limit before anything is allocated, and the record buffer grows
 * only as bytes arrive, so a truncated file that claims a huge record fails
 * at its end without a huge allocation.  Errors are OPTML_E_CLIENT with the
 * file (or FIFO) and the offset, recorded with optml_error().
 */
#ifndef OPTML_FRAMING_H
#define OPTML_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"
#include "data/stream.h"

/* Default record limit, in MiB; $OPTML_MAX_RECORD_MB overrides it. */
#define RT_MAX_RECORD_MB_DEFAULT 64u

/* The record limit in bytes: $OPTML_MAX_RECORD_MB MiB (a whole number from 1
 * to 1048576; anything else logs a warning and uses the default). */
size_t rt_max_record_bytes(void);

struct rt_framer {
    optml_ctx *ctx;
    enum optml_framing framing;
    size_t max_record;    /* bytes; may be lowered by tests after init */
    unsigned char *buf;   /* record buffer, at most max_record + 1 bytes */
    size_t cap;
    uint64_t number;      /* records returned from the current segment */
    int in_segment;
    int file_done;        /* FILE: the current segment's record was returned */
    size_t fixed_size;    /* FIXED: bytes per record (>= 1) */
    optml_status failed;  /* first error or stop; returned again afterwards */
};

/* OPTML_E_INTERNAL for an unknown framing. */
optml_status rt_framer_init(struct rt_framer *f, optml_ctx *ctx, enum optml_framing framing);
/* Accepts a zeroed framer. */
void rt_framer_free(struct rt_framer *f);

/* The next record of `s` (segments are advanced as needed): OPTML_OK, END,
 * STOPPED or an error; after an error or a stop, the same status again.
 * rec->data stays valid until the next call; for LINES and FILE it is also
 * NUL-terminated (data[len] == 0), which the binary framings do not promise. */
optml_status rt_framer_next(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec);

/* FIXED framing: the size of the records from now on (1..max_record);
 * OPTML_E_INTERNAL otherwise. */
optml_status rt_framer_set_fixed(struct rt_framer *f, size_t size);

/* LINES framing: the next run of whole lines of `s`, about max bytes at
 * most (optml_reader_next_lines). */
optml_status rt_framer_next_lines(struct rt_framer *f, struct rt_stream *s, size_t max, struct optml_lines *out);

#endif
