/*
 * stream.h: the byte-stream layer under the record readers.  A stream is a
 * sequence of "segments": one file each (File mode), one FIFO pass (Pipe
 * mode), one RecordIO-wrapped object inside a FIFO (Pipe mode with
 * RecordWrapperType=RecordIO), or one memory buffer.  Each segment that
 * starts with the gzip magic bytes 1f 8b is inflated on the fly (several
 * concatenated gzip members are one segment; trailing zero bytes after the
 * last member are ignored, any other trailing bytes are an OPTML_E_CLIENT
 * error).  Memory use is fixed: a window of decoded bytes, a compressed-input
 * buffer and a FIFO buffer, whatever the size of the data.
 *
 * Use: rt_stream_next_segment() until OPTML_END; inside a segment,
 * rt_stream_fill() exposes the unread decoded bytes and rt_stream_consume()
 * drops them.  Errors are recorded with optml_error() on the stream's ctx.
 */
#ifndef OPTML_STREAM_H
#define OPTML_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"

/* Default size of the window of decoded bytes (and of the raw buffers). */
#define RT_STREAM_WINDOW (64u * 1024u)
/* Smallest window rt_stream_set_window() accepts. */
#define RT_STREAM_WINDOW_MIN 16u

struct rt_stream;

/* Files read one after the other, each a segment.  `paths` are opened,
 * `names` are the segments' names (record `source`), `sizes` (may be NULL:
 * total unknown) give the total for progress.  `channel` (may be NULL) only
 * appears in error messages.  All arrays and strings are borrowed and must
 * outlive the stream. */
optml_status rt_stream_open_files(optml_ctx *ctx, const char *const *paths,
                                  const char *const *names, const uint64_t *sizes,
                                  size_t n, const char *channel, struct rt_stream **out);

/* A FIFO (or any file descriptor read to EOF): one segment named `name`, or,
 * when `recordio_wrapped`, one segment per RecordIO record (fragments
 * reassembled, the magic word re-inserted between fragments), named
 * "<name>#<k>" with k counted from 1.  The stream owns `fd` from this call
 * on (it is closed on failure too).  A read interrupted by a signal while
 * rt_stop_requested() returns OPTML_STOPPED. */
optml_status rt_stream_open_fd(optml_ctx *ctx, int fd, const char *name, int recordio_wrapped,
                               struct rt_stream **out);

/* One segment over borrowed memory, named `name` (NULL: "<memory>"). */
optml_status rt_stream_open_memory(optml_ctx *ctx, const void *data, size_t len,
                                   const char *name, struct rt_stream **out);

/* Accepts NULL. */
void rt_stream_close(struct rt_stream *s);

/* For tests and fuzzing, before the first segment: the window size (at least
 * RT_STREAM_WINDOW_MIN), and the largest single read from the source (0: no
 * limit), which simulates short reads from a pipe. */
optml_status rt_stream_set_window(struct rt_stream *s, size_t window);
void rt_stream_set_max_read(struct rt_stream *s, size_t max_read);

/* Leave the current segment (its unread bytes are skipped) and start the
 * next: OPTML_OK, OPTML_END when there is none, OPTML_STOPPED, or an error. */
optml_status rt_stream_next_segment(struct rt_stream *s);

/* Decode until at least min(want, window) unread bytes of the current
 * segment are in the window or the segment ends; *p, *n = the unread bytes
 * (writable: the caller may overwrite bytes it consumes, and the byte just
 * past them, p[*n], exists).  *n < min(want, window) means the segment has
 * no more bytes beyond these; *n == 0 means it is over.  The pointer stays
 * valid until the next fill or next_segment. */
optml_status rt_stream_fill(struct rt_stream *s, size_t want, unsigned char **p, size_t *n);
/* Drop `n` unread bytes (n <= the *n of the last fill). */
void rt_stream_consume(struct rt_stream *s, size_t n);

size_t rt_stream_window(const struct rt_stream *s);
/* Decoded offset, within the current segment, of the next unread byte. */
uint64_t rt_stream_offset(const struct rt_stream *s);
/* The current segment's name (record `source`), and a description for error
 * messages, e.g. "file 'a/b.csv' of channel 'train'". */
const char *rt_stream_name(const struct rt_stream *s);
const char *rt_stream_where(const struct rt_stream *s);
/* Nonzero when the current segment is gzip-compressed. */
int rt_stream_gzip(const struct rt_stream *s);
optml_ctx *rt_stream_ctx(const struct rt_stream *s);

/* Bytes read so far from the underlying files / FIFO / memory (compressed,
 * wrapped), the total when known (-1 otherwise), and whether the stream has
 * returned OPTML_END. */
uint64_t rt_stream_raw_bytes(const struct rt_stream *s);
int64_t rt_stream_raw_total(const struct rt_stream *s);
int rt_stream_finished(const struct rt_stream *s);

#endif
