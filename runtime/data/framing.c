/*
 * framing.c: cuts the segments of a stream into records: LINES, RECORDIO
 * (magic, cflag + 29-bit length, fragments reassembled with the magic word
 * re-inserted between them, padding to 4), TFRECORD (length, masked CRC32C of
 * the length, payload, masked CRC32C of the payload), FILE (one record per
 * segment) and FIXED (records of a size the caller sets, the last of a
 * segment possibly shorter).  Records that lie wholly in the stream's window are returned in
 * place; longer ones are copied into a buffer that grows as bytes arrive, up
 * to the record limit.
 *
 * Leniency: a segment that ends inside the zero padding after the last
 * RecordIO record is accepted (the SageMaker SDK's reader does the same);
 * padding bytes are skipped without being checked.
 */
#define _GNU_SOURCE
#include "data/framing.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crc32c.h"
#include "core/log.h"

#define RECORDIO_MAGIC 0xCED7230Au
#define RECORDIO_LEN_MASK ((1u << 29) - 1u)
#define MAX_RECORD_MB_LIMIT (1u << 20)

size_t rt_max_record_bytes(void)
{
    const char *e = getenv("OPTML_MAX_RECORD_MB");
    unsigned long long mb = RT_MAX_RECORD_MB_DEFAULT;
    if (e && *e) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = isdigit((unsigned char)e[0]) ? strtoull(e, &end, 10) : 0;
        if (errno == 0 && end && *end == 0 && v >= 1 && v <= MAX_RECORD_MB_LIMIT)
            mb = v;
        else
            rt_log(OPTML_LOG_WARNING, "ignoring OPTML_MAX_RECORD_MB='%s': expected a whole number of "
                   "MiB from 1 to %u; using %u", e, MAX_RECORD_MB_LIMIT, RT_MAX_RECORD_MB_DEFAULT);
    }
    return (size_t)mb << 20;
}

optml_status rt_framer_init(struct rt_framer *f, optml_ctx *ctx, enum optml_framing framing)
{
    memset(f, 0, sizeof(*f));
    f->ctx = ctx;
    f->framing = framing;
    if ((unsigned)framing > (unsigned)OPTML_FRAME_FIXED)
        return optml_error(ctx, OPTML_E_INTERNAL, "unknown record framing %d", (int)framing);
    f->max_record = rt_max_record_bytes();
    f->fixed_size = 1;
    return OPTML_OK;
}

optml_status rt_framer_set_fixed(struct rt_framer *f, size_t size)
{
    if (f->framing != OPTML_FRAME_FIXED)
        return optml_error(f->ctx, OPTML_E_INTERNAL, "optml_reader_set_record_size: the reader is not FIXED-framed");
    if (size == 0 || size > f->max_record)
        return optml_error(f->ctx, OPTML_E_INTERNAL, "optml_reader_set_record_size: %zu bytes is outside 1..%zu",
                           size, f->max_record);
    f->fixed_size = size;
    return OPTML_OK;
}

void rt_framer_free(struct rt_framer *f)
{
    if (!f)
        return;
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* OPTML_E_CLIENT "<what> (<where>, offset <off>)". */
__attribute__((format(printf, 4, 5)))
static optml_status frame_error(struct rt_framer *f, struct rt_stream *s, uint64_t off,
                                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return optml_error(f->ctx, OPTML_E_CLIENT, "%s (%s, offset %" PRIu64 "%s)", msg,
                       rt_stream_where(s), off, rt_stream_gzip(s) ? " after decompression" : "");
}

static optml_status too_large(struct rt_framer *f, struct rt_stream *s, uint64_t off,
                              const char *what, uint64_t len)
{
    return frame_error(f, s, off, "%s of %" PRIu64 " bytes is larger than the record limit of %zu bytes "
                       "(%zu MiB; set OPTML_MAX_RECORD_MB to raise it)", what, len, f->max_record,
                       f->max_record >> 20);
}

/* Room for `need` bytes in the record buffer (need <= max_record + 1). */
static optml_status ensure_cap(struct rt_framer *f, size_t need)
{
    if (need <= f->cap)
        return OPTML_OK;
    size_t limit = f->max_record + 1, cap = f->cap ? f->cap : 256;
    while (cap < need && cap < limit)
        cap = cap > limit / 2 ? limit : cap * 2;
    if (cap < need)
        cap = need;
    unsigned char *b = realloc(f->buf, cap);
    if (!b)
        return optml_error(f->ctx, OPTML_E_NOMEM, "out of memory for a %zu-byte record", need);
    f->buf = b;
    f->cap = cap;
    return OPTML_OK;
}

static optml_status append(struct rt_framer *f, size_t at, const void *src, size_t n)
{
    optml_status st = ensure_cap(f, at + n + 1);
    if (st == OPTML_OK && n)
        memcpy(f->buf + at, src, n);
    return st;
}

/* Up to n (small) bytes; *got < n only at the end of the segment. */
static optml_status read_exact(struct rt_stream *s, unsigned char *dst, size_t n, size_t *got)
{
    unsigned char *p;
    size_t avail = 0;
    optml_status st = rt_stream_fill(s, n, &p, &avail);
    if (st != OPTML_OK)
        return st;
    *got = avail < n ? avail : n;
    memcpy(dst, p, *got);
    rt_stream_consume(s, *got);
    return OPTML_OK;
}

/* Skip up to n padding bytes; the segment may end inside them. */
static optml_status skip_pad(struct rt_stream *s, size_t n)
{
    unsigned char *p;
    size_t avail = 0;
    if (n == 0)
        return OPTML_OK;
    optml_status st = rt_stream_fill(s, n, &p, &avail);
    if (st == OPTML_OK)
        rt_stream_consume(s, avail < n ? avail : n);
    return st;
}

/* Copy `len` payload bytes into buf[at..]; the segment ending first is a
 * truncated record starting at `off`. */
static optml_status read_payload(struct rt_framer *f, struct rt_stream *s, size_t at, uint64_t len,
                                 uint64_t off, const char *kind)
{
    uint64_t done = 0;
    while (done < len) {
        unsigned char *p;
        size_t avail = 0;
        optml_status st = rt_stream_fill(s, 1, &p, &avail);
        if (st != OPTML_OK)
            return st;
        if (avail == 0)
            return frame_error(f, s, off, "truncated record: the data ends inside a %s payload "
                               "(%" PRIu64 " of %" PRIu64 " bytes present)", kind, done, len);
        if (avail > len - done)
            avail = (size_t)(len - done);
        if ((st = append(f, at + (size_t)done, p, avail)) != OPTML_OK)
            return st;
        rt_stream_consume(s, avail);
        done += avail;
    }
    return OPTML_OK;
}

/* ---- LINES ------------------------------------------------------------------ */

/* Deliver the line p[0..len) (+ acc bytes already in buf), then drop `take`
 * bytes from the window. */
static void line_done(struct rt_framer *f, struct rt_stream *s, unsigned char *p, size_t len,
                      size_t acc, int newline, size_t take, struct optml_record *rec)
{
    if (acc == 0) {
        if (newline && len > 0 && p[len - 1] == '\r')
            len--;
        p[len] = 0; /* the '\r' or '\n', or the spare byte after the window */
        rec->data = p;
        rec->len = len;
    } else {
        size_t total = acc + len;
        if (newline && total > 0 && f->buf[total - 1] == '\r')
            total--;
        f->buf[total] = 0;
        rec->data = f->buf;
        rec->len = total;
    }
    rt_stream_consume(s, take);
}

static optml_status next_line(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec)
{
    uint64_t off = rt_stream_offset(s);
    size_t acc = 0, scanned = 0, window = rt_stream_window(s);
    for (;;) {
        unsigned char *p;
        size_t n = 0;
        optml_status st = rt_stream_fill(s, scanned + 1, &p, &n);
        if (st != OPTML_OK)
            return st;
        if (n == 0 && acc == 0)
            return OPTML_END;
        unsigned char *nl = n > scanned ? memchr(p + scanned, '\n', n - scanned) : NULL;
        if (!nl && n > scanned && n < window) {
            scanned = n; /* no newline yet: read more */
            continue;
        }
        size_t len = nl ? (size_t)(nl - p) : n;
        if ((uint64_t)acc + len > f->max_record)
            return frame_error(f, s, off, "line %" PRIu64 " is longer than the record limit of %zu bytes "
                               "(%zu MiB; set OPTML_MAX_RECORD_MB to raise it)", f->number + 1,
                               f->max_record, f->max_record >> 20);
        if (!nl && n == window) {
            /* A full window without a newline: keep it and read on. */
            if ((st = append(f, acc, p, n)) != OPTML_OK)
                return st;
            acc += n;
            rt_stream_consume(s, n);
            scanned = 0;
            continue;
        }
        if (acc > 0 && (st = append(f, acc, p, len)) != OPTML_OK)
            return st;
        line_done(f, s, p, len, acc, nl != NULL, nl ? len + 1 : n, rec);
        return OPTML_OK;
    }
}

/* ---- RECORDIO --------------------------------------------------------------- */

static optml_status recordio_header(struct rt_framer *f, struct rt_stream *s, int first,
                                    uint32_t *cflag, uint32_t *len, int *end)
{
    unsigned char h[8];
    size_t got = 0;
    uint64_t off = rt_stream_offset(s);
    optml_status st = read_exact(s, h, sizeof(h), &got);
    if (st != OPTML_OK)
        return st;
    if (got == 0 && first) {
        *end = 1;
        return OPTML_OK;
    }
    if (got < sizeof(h))
        return frame_error(f, s, off, first ? "truncated record: the data ends inside a RecordIO header "
                                              "(%zu of 8 bytes)"
                                            : "truncated record: a fragmented RecordIO record ends "
                                              "without its last fragment (%zu of 8 header bytes)", got);
    if (le32(h) != RECORDIO_MAGIC)
        return frame_error(f, s, off, "record does not start with the RecordIO magic number 0xCED7230A "
                           "(found 0x%08" PRIX32 "); is the data really RecordIO?", le32(h));
    uint32_t lrec = le32(h + 4);
    *cflag = lrec >> 29;
    *len = lrec & RECORDIO_LEN_MASK;
    if (first && *cflag > 1)
        return frame_error(f, s, off, "RecordIO record with continuation flag %" PRIu32 " %s", *cflag,
                           *cflag <= 3 ? "but no first fragment" : "(valid flags are 0 to 3)");
    if (!first && *cflag != 2 && *cflag != 3)
        return frame_error(f, s, off, "RecordIO continuation flag %" PRIu32 " inside a fragmented "
                           "record (expected 2 or 3)", *cflag);
    return OPTML_OK;
}

static size_t pad4(uint32_t len) { return (4u - (len & 3u)) & 3u; }

/* A whole record (cflag 0) of `len` bytes. */
static optml_status recordio_whole(struct rt_framer *f, struct rt_stream *s, uint32_t len,
                                   uint64_t off, struct optml_record *rec)
{
    size_t pad = pad4(len);
    optml_status st;
    if ((size_t)len + pad <= rt_stream_window(s)) {
        unsigned char *p;
        size_t n = 0;
        if ((st = rt_stream_fill(s, len + pad, &p, &n)) != OPTML_OK)
            return st;
        if (n < len)
            return frame_error(f, s, off, "truncated record: the data ends inside a RecordIO payload "
                               "(%zu of %" PRIu32 " bytes present)", n, len);
        rec->data = p;
        rec->len = len;
        rt_stream_consume(s, n < len + pad ? n : len + pad);
        return OPTML_OK;
    }
    if ((st = read_payload(f, s, 0, len, off, "RecordIO")) != OPTML_OK)
        return st;
    f->buf[len] = 0;
    rec->data = f->buf;
    rec->len = len;
    return skip_pad(s, pad);
}

/* A record in fragments: first (cflag 1), middles (2), last (3); the magic
 * word dmlc's writer dropped at each split is put back. */
static optml_status recordio_fragments(struct rt_framer *f, struct rt_stream *s, uint32_t len,
                                       uint64_t off, struct optml_record *rec)
{
    static const unsigned char magic[4] = {0x0A, 0x23, 0xD7, 0xCE};
    uint64_t acc = 0;
    uint32_t cflag = 1;
    optml_status st;
    for (;;) {
        if ((st = read_payload(f, s, (size_t)acc, len, off, "RecordIO")) != OPTML_OK)
            return st;
        acc += len;
        if ((st = skip_pad(s, pad4(len))) != OPTML_OK)
            return st;
        if (cflag == 3)
            break;
        int end = 0;
        if ((st = recordio_header(f, s, 0, &cflag, &len, &end)) != OPTML_OK)
            return st;
        if (acc + 4 + len > f->max_record)
            return too_large(f, s, off, "fragmented RecordIO record", acc + 4 + len);
        if ((st = append(f, (size_t)acc, magic, 4)) != OPTML_OK)
            return st;
        acc += 4;
    }
    if ((st = ensure_cap(f, (size_t)acc + 1)) != OPTML_OK)
        return st;
    f->buf[acc] = 0;
    rec->data = f->buf;
    rec->len = (size_t)acc;
    return OPTML_OK;
}

static optml_status next_recordio(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec)
{
    uint64_t off = rt_stream_offset(s);
    uint32_t cflag = 0, len = 0;
    int end = 0;
    optml_status st = recordio_header(f, s, 1, &cflag, &len, &end);
    if (st != OPTML_OK)
        return st;
    if (end)
        return OPTML_END;
    if (len > f->max_record)
        return too_large(f, s, off, cflag ? "RecordIO fragment" : "RecordIO record", len);
    return cflag == 0 ? recordio_whole(f, s, len, off, rec) : recordio_fragments(f, s, len, off, rec);
}

/* ---- TFRECORD --------------------------------------------------------------- */

int optml_tfrecord_header_valid(const unsigned char header[12], uint64_t *len)
{
    if (!header)
        return 0;
    if (len)
        *len = le64(header);
    return le32(header + 8) == rt_crc32c_mask(rt_crc32c(header, 8));
}

static optml_status tfrecord_check(struct rt_framer *f, struct rt_stream *s, uint64_t off,
                                   const unsigned char *data, size_t len, const unsigned char *crc)
{
    uint32_t stored = le32(crc), computed = rt_crc32c_mask(rt_crc32c(data, len));
    if (stored != computed)
        return frame_error(f, s, off, "TFRecord payload CRC mismatch (stored 0x%08" PRIX32 ", computed "
                           "0x%08" PRIX32 "): the record is corrupt", stored, computed);
    return OPTML_OK;
}

static optml_status next_tfrecord(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec)
{
    unsigned char h[12], *p;
    size_t got = 0, n = 0;
    uint64_t off = rt_stream_offset(s);
    optml_status st = read_exact(s, h, sizeof(h), &got);
    if (st != OPTML_OK)
        return st;
    if (got == 0)
        return OPTML_END;
    if (got < sizeof(h))
        return frame_error(f, s, off, "truncated record: the data ends inside a TFRecord header "
                           "(%zu of 12 bytes)", got);
    uint64_t len = le64(h);
    uint32_t stored = le32(h + 8), computed = rt_crc32c_mask(rt_crc32c(h, 8));
    if (stored != computed)
        return frame_error(f, s, off, "TFRecord length CRC mismatch (stored 0x%08" PRIX32 ", computed "
                           "0x%08" PRIX32 "): the data is corrupt or not TFRecord", stored, computed);
    if (len > f->max_record)
        return too_large(f, s, off, "TFRecord record", len);
    if (len + 4 <= rt_stream_window(s)) {
        if ((st = rt_stream_fill(s, (size_t)len + 4, &p, &n)) != OPTML_OK)
            return st;
        if (n < len + 4)
            return frame_error(f, s, off, "truncated record: the data ends inside a TFRecord %s "
                               "(%zu of %" PRIu64 " bytes present)", n < len ? "payload" : "payload CRC",
                               n, len + 4);
        if ((st = tfrecord_check(f, s, off, p, (size_t)len, p + len)) != OPTML_OK)
            return st;
        rec->data = p;
        rec->len = (size_t)len;
        rt_stream_consume(s, (size_t)len + 4);
        return OPTML_OK;
    }
    if ((st = read_payload(f, s, 0, len, off, "TFRecord")) != OPTML_OK)
        return st;
    unsigned char crc[4];
    if ((st = read_exact(s, crc, sizeof(crc), &got)) != OPTML_OK)
        return st;
    if (got < sizeof(crc))
        return frame_error(f, s, off, "truncated record: the data ends inside a TFRecord payload CRC "
                           "(%zu of 4 bytes)", got);
    if ((st = tfrecord_check(f, s, off, f->buf, (size_t)len, crc)) != OPTML_OK)
        return st;
    f->buf[len] = 0;
    rec->data = f->buf;
    rec->len = (size_t)len;
    return OPTML_OK;
}

/* ---- FILE ------------------------------------------------------------------- */

static optml_status next_file(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec)
{
    size_t acc = 0, window = rt_stream_window(s);
    if (f->file_done)
        return OPTML_END;
    f->file_done = 1;
    for (;;) {
        unsigned char *p;
        size_t n = 0;
        optml_status st = rt_stream_fill(s, window, &p, &n);
        if (st != OPTML_OK)
            return st;
        if (acc == 0 && n < window) { /* the whole segment is in the window */
            if (n > f->max_record)
                return too_large(f, s, 0, "file", n);
            p[n] = 0;
            rec->data = p;
            rec->len = n;
            rt_stream_consume(s, n);
            return OPTML_OK;
        }
        if (n == 0)
            break;
        if ((uint64_t)acc + n > f->max_record)
            return too_large(f, s, 0, "file (at least)", (uint64_t)acc + n);
        if ((st = append(f, acc, p, n)) != OPTML_OK)
            return st;
        acc += n;
        rt_stream_consume(s, n);
    }
    f->buf[acc] = 0;
    rec->data = f->buf;
    rec->len = acc;
    return OPTML_OK;
}

/* ---- FIXED ------------------------------------------------------------------ */

/* The next fixed_size bytes of the segment, in place when they fit in the
 * window; fewer only at the segment's end (none: OPTML_END). */
static optml_status next_fixed(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec)
{
    size_t want = f->fixed_size, window = rt_stream_window(s), acc = 0;
    unsigned char *p;
    size_t n = 0;
    optml_status st;
    if (want <= window) {
        if ((st = rt_stream_fill(s, want, &p, &n)) != OPTML_OK)
            return st;
        if (n == 0)
            return OPTML_END;
        rec->data = p;
        rec->len = n < want ? n : want;
        rt_stream_consume(s, rec->len);
        return OPTML_OK;
    }
    while (acc < want) {
        size_t ask = want - acc < window ? want - acc : window;
        if ((st = rt_stream_fill(s, ask, &p, &n)) != OPTML_OK)
            return st;
        if (n == 0)
            break;
        if (n > ask)
            n = ask;
        if ((st = append(f, acc, p, n)) != OPTML_OK)
            return st;
        acc += n;
        rt_stream_consume(s, n);
    }
    if (acc == 0)
        return OPTML_END;
    rec->data = f->buf;
    rec->len = acc;
    return OPTML_OK;
}

/* ---- dispatch --------------------------------------------------------------- */

static optml_status next_in_segment(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec)
{
    switch (f->framing) {
    case OPTML_FRAME_LINES:
        return next_line(f, s, rec);
    case OPTML_FRAME_RECORDIO:
        return next_recordio(f, s, rec);
    case OPTML_FRAME_TFRECORD:
        return next_tfrecord(f, s, rec);
    case OPTML_FRAME_FILE:
        return next_file(f, s, rec);
    case OPTML_FRAME_FIXED:
        return next_fixed(f, s, rec);
    }
    return optml_error(f->ctx, OPTML_E_INTERNAL, "unknown record framing %d", (int)f->framing);
}

/* The next segment when none is open: OPTML_OK, OPTML_END, or an error
 * (kept: returned again by every later call). */
static optml_status enter_segment(struct rt_framer *f, struct rt_stream *s)
{
    if (f->in_segment)
        return OPTML_OK;
    optml_status st = rt_stream_next_segment(s);
    if (st == OPTML_END)
        return OPTML_END;
    if (st != OPTML_OK)
        return f->failed = st;
    f->in_segment = 1;
    f->number = 0;
    f->file_done = 0;
    return OPTML_OK;
}

optml_status rt_framer_next(struct rt_framer *f, struct rt_stream *s, struct optml_record *rec)
{
    if (f->failed != OPTML_OK)
        return f->failed;
    for (;;) {
        optml_status st = enter_segment(f, s);
        if (st != OPTML_OK)
            return st;
        uint64_t off = rt_stream_offset(s);
        st = next_in_segment(f, s, rec);
        if (st == OPTML_OK) {
            rec->source = rt_stream_name(s);
            rec->number = ++f->number;
            rec->offset = off;
            return OPTML_OK;
        }
        if (st != OPTML_END)
            return f->failed = st;
        f->in_segment = 0;
    }
}

/* ---- runs of lines ------------------------------------------------------------ */

/* The whole lines at the front of the window, up to max bytes, or the
 * first line alone when it is longer.  Like next_line, it waits only for
 * the bytes that finish the first line (a pipe's writer may pause), and
 * confirms a segment's end by asking for one byte more (a gzip member's
 * trailer is checked then) before giving out a last line without a
 * newline.  A line longer than the window comes alone through next_line,
 * which reads it up to the record limit. */
static optml_status lines_in_segment(struct rt_framer *f, struct rt_stream *s, size_t max, struct optml_lines *out)
{
    size_t window = rt_stream_window(s), want = max < window ? max : window, scanned = 0, n = 0, len;
    unsigned char *p;
    for (;;) {
        optml_status st = rt_stream_fill(s, scanned + 1, &p, &n);
        if (st != OPTML_OK)
            return st;
        if (n == 0)
            return OPTML_END;
        if (n <= scanned) { /* the segment's last line, without a newline */
            len = n;
            break;
        }
        size_t lim = n < want ? n : want, from = scanned > lim ? scanned : lim;
        const unsigned char *nl = lim > scanned ? memrchr(p + scanned, '\n', lim - scanned) : NULL;
        if (!nl && n > from)
            nl = memchr(p + from, '\n', n - from); /* a first line longer than max */
        if (nl) {
            len = (size_t)(nl - p) + 1;
            break;
        }
        if (n == window) {
            struct optml_record rec;
            if ((st = next_line(f, s, &rec)) != OPTML_OK)
                return st;
            out->data = (const char *)rec.data;
            out->len = rec.len;
            return OPTML_OK;
        }
        scanned = n;
    }
    out->data = (const char *)p;
    out->len = len;
    rt_stream_consume(s, len);
    return OPTML_OK;
}

optml_status rt_framer_next_lines(struct rt_framer *f, struct rt_stream *s, size_t max, struct optml_lines *out)
{
    memset(out, 0, sizeof(*out));
    if (f->framing != OPTML_FRAME_LINES)
        return optml_error(f->ctx, OPTML_E_INTERNAL, "optml_reader_next_lines: the reader is not line-framed");
    if (f->failed != OPTML_OK)
        return f->failed;
    if (max == 0)
        max = 1;
    for (;;) {
        optml_status st = enter_segment(f, s);
        if (st != OPTML_OK)
            return st;
        uint64_t off = rt_stream_offset(s);
        st = lines_in_segment(f, s, max, out);
        if (st == OPTML_OK) {
            out->source = rt_stream_name(s);
            out->offset = off;
            return OPTML_OK;
        }
        if (st != OPTML_END)
            return f->failed = st;
        f->in_segment = 0;
    }
}
