/*
 * stream.c: segments of bytes from files, a FIFO or memory; gzip inflated on
 * the fly (zlib); Pipe-mode RecordIO unwrapping.  Owns every read() the
 * channel readers do.  See stream.h for the contract.
 *
 * Buffers, all of `window` bytes and allocated on first use: `out` (decoded
 * bytes of the current segment, +1 byte so a reader can NUL-terminate at the
 * end), `in` (compressed input, gzip segments only) and `pb` (FIFO bytes,
 * RecordIO-wrapped pipes only).  Nothing grows with the data.
 */
#define _GNU_SOURCE
#include "data/stream.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/stop.h"

#define FIFO_STALL_LOG_S 10.0 /* a wait line this often while a FIFO gives nothing */
#define RECORDIO_MAGIC 0xCED7230Au
#define RECORDIO_LEN_MASK ((1u << 29) - 1u)

enum src_kind { SRC_FILES, SRC_FD, SRC_MEMORY };

struct rt_stream {
    optml_ctx *ctx;
    enum src_kind kind;
    size_t window;        /* size of out / in / pb */
    size_t max_read;      /* largest single source read; 0 = window */
    int finished;         /* next_segment returned OPTML_END */
    uint64_t raw_bytes;   /* bytes read from the source so far */
    int64_t raw_total;    /* -1 when unknown */

    /* SRC_FILES */
    const char *const *paths;
    const char *const *names;
    size_t n_files, next_file;
    const char *channel;
    int file_fd;

    /* SRC_FD */
    int fd;
    char *fd_name;
    int wrapped;
    int fd_used;          /* unwrapped: the one segment was handed out */

    /* SRC_MEMORY */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    char *mem_name;
    int mem_used;

    /* the current segment */
    int in_seg;
    int src_eof;          /* the segment's raw bytes are exhausted */
    int dec_eof;          /* every decoded byte is in `out` */
    uint64_t seg_raw;     /* raw (compressed) bytes of the segment read */
    uint64_t seg_off;     /* decoded offset of out[out_pos] */
    const char *name;
    char *seg_name;       /* allocated name (wrapped objects) */
    char *where;          /* allocated description for messages */

    unsigned char *out;
    size_t out_pos, out_len;

    /* gzip */
    int gz, gz_done, gz_zeros, z_ready;
    z_stream z;
    unsigned char *in;

    /* FIFO buffer and RecordIO unwrapping */
    unsigned char *pb;
    size_t pb_pos, pb_len;
    int pb_eof;
    uint64_t fifo_off;    /* FIFO bytes consumed from pb */
    uint64_t w_remaining; /* payload bytes left in the current fragment */
    unsigned w_pad;       /* padding after the current fragment */
    unsigned w_magic_left; /* bytes of the re-inserted magic still to emit */
    int w_more;           /* further fragments follow */
    int w_in_obj;         /* inside an object */
    uint64_t w_objects;   /* objects begun */
};

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- construction ------------------------------------------------------ */

static optml_status stream_new(optml_ctx *ctx, enum src_kind kind, struct rt_stream **out)
{
    struct rt_stream *s = calloc(1, sizeof(*s));
    *out = s;
    if (!s)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory opening a record stream");
    s->ctx = ctx;
    s->kind = kind;
    s->window = RT_STREAM_WINDOW;
    s->raw_total = -1;
    s->file_fd = -1;
    s->fd = -1;
    return OPTML_OK;
}

optml_status rt_stream_open_files(optml_ctx *ctx, const char *const *paths,
                                  const char *const *names, const uint64_t *sizes,
                                  size_t n, const char *channel, struct rt_stream **out)
{
    struct rt_stream *s;
    *out = NULL;
    optml_status st = stream_new(ctx, SRC_FILES, &s);
    if (st != OPTML_OK)
        return st;
    s->paths = paths;
    s->names = names;
    s->n_files = n;
    s->channel = channel;
    if (sizes) {
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += sizes[i];
        s->raw_total = total > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)total;
    }
    *out = s;
    return OPTML_OK;
}

optml_status rt_stream_open_fd(optml_ctx *ctx, int fd, const char *name, int recordio_wrapped,
                               struct rt_stream **out)
{
    struct rt_stream *s;
    *out = NULL;
    optml_status st = stream_new(ctx, SRC_FD, &s);
    if (st != OPTML_OK) {
        close(fd);
        return st;
    }
    s->fd = fd;
    s->wrapped = recordio_wrapped != 0;
    s->fd_name = strdup(name ? name : "<fifo>");
    if (!s->fd_name) {
        rt_stream_close(s);
        *out = NULL;
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory opening a record stream");
    }
    *out = s;
    return OPTML_OK;
}

optml_status rt_stream_open_memory(optml_ctx *ctx, const void *data, size_t len,
                                   const char *name, struct rt_stream **out)
{
    struct rt_stream *s;
    *out = NULL;
    optml_status st = stream_new(ctx, SRC_MEMORY, &s);
    if (st != OPTML_OK)
        return st;
    s->mem = data;
    s->mem_len = data ? len : 0;
    s->raw_total = (int64_t)s->mem_len;
    if (name && !(s->mem_name = strdup(name))) {
        rt_stream_close(s);
        *out = NULL;
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory opening a record stream");
    }
    *out = s;
    return OPTML_OK;
}

static void close_file(struct rt_stream *s)
{
    if (s->file_fd >= 0)
        close(s->file_fd);
    s->file_fd = -1;
}

void rt_stream_close(struct rt_stream *s)
{
    if (!s)
        return;
    close_file(s);
    if (s->fd >= 0)
        close(s->fd);
    if (s->z_ready)
        inflateEnd(&s->z);
    free(s->out);
    free(s->in);
    free(s->pb);
    free(s->fd_name);
    free(s->mem_name);
    free(s->seg_name);
    free(s->where);
    free(s);
}

optml_status rt_stream_set_window(struct rt_stream *s, size_t window)
{
    if (s->out || s->in || s->pb || window < RT_STREAM_WINDOW_MIN || window > (1u << 30))
        return optml_error(s->ctx, OPTML_E_INTERNAL, "stream window size %zu refused", window);
    s->window = window;
    return OPTML_OK;
}

void rt_stream_set_max_read(struct rt_stream *s, size_t max_read) { s->max_read = max_read; }

/* ---- raw reads ----------------------------------------------------------- */

static const char *fd_where(const struct rt_stream *s)
{
    return s->where ? s->where : s->fd_name;
}

/* A FIFO that gave nothing for `waited` seconds (writer paused, or no
 * writer yet): a line every FIFO_STALL_LOG_S, so a stalled job is visible. */
static void stall_log(const struct rt_stream *s, double start, double *next_log)
{
    if (s->kind != SRC_FD)
        return;
    double waited = rt_now() - start;
    if (waited < *next_log)
        return;
    rt_log(OPTML_LOG_INFO, "FIFO '%s': no data for %.0f s after %" PRIu64 " bytes; still waiting for the "
           "writer (SIGTERM stops the job)", s->fd_name, waited, s->raw_bytes);
    *next_log = waited - fmod(waited, FIFO_STALL_LOG_S) + FIFO_STALL_LOG_S;
}

/* One read() of at most `cap` bytes; *got == 0 at EOF.  FIFOs are opened
 * non-blocking and waited on with poll() in 100 ms steps, so a stop request
 * is seen even when the signal went to another thread (OpenBLAS's pool);
 * a FIFO that stays silent is logged every FIFO_STALL_LOG_S (stall_log). */
static optml_status read_fd(struct rt_stream *s, int fd, void *buf, size_t cap, size_t *got)
{
    double start = s->kind == SRC_FD ? rt_now() : 0, next_log = FIFO_STALL_LOG_S;
    if (s->max_read && cap > s->max_read)
        cap = s->max_read;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, 100);
        if (pr <= 0) {
            if (pr < 0 && errno != EINTR)
                return optml_error(s->ctx, OPTML_E_IO, "cannot wait for %s: %s", fd_where(s),
                                   strerror(errno));
            if (rt_stop_requested())
                return OPTML_STOPPED;
            stall_log(s, start, &next_log);
            continue;
        }
        ssize_t r = read(fd, buf, cap);
        if (r >= 0) {
            *got = (size_t)r;
            s->raw_bytes += (uint64_t)r;
            return OPTML_OK;
        }
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            if (rt_stop_requested())
                return OPTML_STOPPED;
            stall_log(s, start, &next_log);
            continue;
        }
        return optml_error(s->ctx, OPTML_E_IO, "cannot read %s: %s", fd_where(s), strerror(errno));
    }
}

static optml_status alloc_buf(struct rt_stream *s, unsigned char **buf, size_t size)
{
    if (*buf)
        return OPTML_OK;
    *buf = malloc(size);
    if (!*buf)
        return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory for a %zu-byte stream buffer", size);
    return OPTML_OK;
}

/* Refill the FIFO buffer (it is empty). */
static optml_status pipe_fill(struct rt_stream *s)
{
    optml_status st = alloc_buf(s, &s->pb, s->window);
    if (st != OPTML_OK)
        return st;
    s->pb_pos = s->pb_len = 0;
    if (s->pb_eof)
        return OPTML_OK;
    size_t got = 0;
    st = read_fd(s, s->fd, s->pb, s->window, &got);
    if (st != OPTML_OK)
        return st;
    s->pb_len = got;
    if (got == 0)
        s->pb_eof = 1;
    return OPTML_OK;
}

/* Take up to n bytes from the FIFO (dst NULL: discard); *got < n only at EOF. */
static optml_status pipe_read(struct rt_stream *s, unsigned char *dst, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        if (s->pb_pos == s->pb_len) {
            if (s->pb_eof)
                break;
            optml_status st = pipe_fill(s);
            if (st != OPTML_OK)
                return st;
            continue;
        }
        size_t k = s->pb_len - s->pb_pos;
        if (k > n - *got)
            k = n - *got;
        if (dst)
            memcpy(dst + *got, s->pb + s->pb_pos, k);
        s->pb_pos += k;
        s->fifo_off += k;
        *got += k;
    }
    return OPTML_OK;
}

/* ---- RecordIO unwrapping (Pipe mode, RecordWrapperType=RecordIO) -------- */

static optml_status fifo_error(struct rt_stream *s, uint64_t off, const char *what)
{
    return optml_error(s->ctx, OPTML_E_CLIENT, "%s (FIFO '%s', offset %" PRIu64 ")", what,
                       s->fd_name, off);
}

/* Read the header of an object (first) or of its next fragment.  *eof is set
 * when the FIFO ends cleanly where an object could start. */
static optml_status wrap_header(struct rt_stream *s, int first, int *eof)
{
    unsigned char h[8];
    size_t got = 0;
    uint64_t off = s->fifo_off;
    optml_status st = pipe_read(s, h, sizeof(h), &got);
    if (st != OPTML_OK)
        return st;
    if (got == 0 && first) {
        *eof = 1;
        return OPTML_OK;
    }
    if (got < sizeof(h))
        return fifo_error(s, off, first ? "truncated record: the stream ends inside a RecordIO header"
                                        : "truncated record: the stream ends inside a fragmented "
                                          "RecordIO-wrapped object");
    if (le32(h) != RECORDIO_MAGIC) {
        char msg[200];
        snprintf(msg, sizeof(msg), "RecordIO-wrapped data does not start with the RecordIO magic "
                 "number 0xCED7230A (found 0x%08" PRIX32 ")", le32(h));
        return fifo_error(s, off, msg);
    }
    uint32_t lrec = le32(h + 4), cflag = lrec >> 29;
    if (first ? cflag > 1 : (cflag != 2 && cflag != 3)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "invalid RecordIO continuation flag %" PRIu32 " %s", cflag,
                 first ? "at the start of a record" : "inside a fragmented record");
        return fifo_error(s, off, msg);
    }
    s->w_remaining = lrec & RECORDIO_LEN_MASK;
    s->w_pad = (unsigned)((4u - (lrec & 3u)) & 3u);
    s->w_more = cflag == 1 || cflag == 2;
    s->w_magic_left = first ? 0 : 4;
    return OPTML_OK;
}

/* Payload bytes of the current object; *got == 0 when the object is over.
 * Never blocks on the FIFO once it has some bytes to return. */
static optml_status wrap_read(struct rt_stream *s, unsigned char *buf, size_t cap, size_t *got)
{
    static const unsigned char magic[4] = {0x0A, 0x23, 0xD7, 0xCE};
    size_t n = 0;
    optml_status st = OPTML_OK;
    while (n < cap && s->w_in_obj) {
        int buffered = s->pb_pos < s->pb_len;
        if (s->w_magic_left) {
            buf[n++] = magic[4 - s->w_magic_left--];
        } else if (s->w_remaining) {
            if (!buffered) {
                if (n > 0)
                    break;
                if ((st = pipe_fill(s)) != OPTML_OK)
                    return st;
                if (s->pb_len == 0) {
                    char msg[200];
                    snprintf(msg, sizeof(msg), "truncated record: the stream ends inside "
                             "RecordIO-wrapped object %" PRIu64 " (%" PRIu64 " payload bytes missing)",
                             s->w_objects, s->w_remaining);
                    return fifo_error(s, s->fifo_off, msg);
                }
                continue;
            }
            size_t k = s->pb_len - s->pb_pos;
            if (k > cap - n)
                k = cap - n;
            if (k > s->w_remaining)
                k = (size_t)s->w_remaining;
            memcpy(buf + n, s->pb + s->pb_pos, k);
            s->pb_pos += k;
            s->fifo_off += k;
            s->w_remaining -= k;
            n += k;
        } else if (n > 0 && !buffered) {
            break; /* padding or next header would block: return what we have */
        } else if (s->w_pad) {
            size_t skipped = 0;
            if ((st = pipe_read(s, NULL, s->w_pad, &skipped)) != OPTML_OK)
                return st;
            /* EOF inside the padding of an object's last fragment is accepted. */
            s->w_pad = 0;
        } else if (s->w_more) {
            if ((st = wrap_header(s, 0, NULL)) != OPTML_OK)
                return st;
        } else {
            s->w_in_obj = 0;
        }
    }
    *got = n;
    return OPTML_OK;
}

/* ---- the current segment's raw bytes ------------------------------------ */

static optml_status src_read(struct rt_stream *s, unsigned char *buf, size_t cap, size_t *got)
{
    optml_status st = OPTML_OK;
    *got = 0;
    if (s->src_eof)
        return OPTML_OK;
    switch (s->kind) {
    case SRC_FILES:
        st = read_fd(s, s->file_fd, buf, cap, got);
        break;
    case SRC_FD:
        st = s->wrapped ? wrap_read(s, buf, cap, got) : read_fd(s, s->fd, buf, cap, got);
        break;
    case SRC_MEMORY: {
        size_t k = s->mem_len - s->mem_pos;
        if (k > cap)
            k = cap;
        if (s->max_read && k > s->max_read)
            k = s->max_read;
        if (k)
            memcpy(buf, s->mem + s->mem_pos, k);
        s->mem_pos += k;
        s->raw_bytes += k;
        *got = k;
        break;
    }
    }
    if (st != OPTML_OK)
        return st;
    s->seg_raw += *got;
    if (*got == 0)
        s->src_eof = 1;
    return OPTML_OK;
}

/* ---- gzip ----------------------------------------------------------------- */

static uint64_t gz_offset(const struct rt_stream *s)
{
    return s->seg_raw - s->z.avail_in;
}

static optml_status gz_error(struct rt_stream *s, const char *what)
{
    return optml_error(s->ctx, OPTML_E_CLIENT, "%s (%s, compressed offset %" PRIu64 ")", what,
                       s->where, gz_offset(s));
}

/* Move the unread compressed bytes to the front of `in` and read more. */
static optml_status in_refill(struct rt_stream *s)
{
    if (s->z.avail_in && s->z.next_in != s->in)
        memmove(s->in, s->z.next_in, s->z.avail_in);
    s->z.next_in = s->in;
    size_t got = 0;
    optml_status st = src_read(s, s->in + s->z.avail_in, s->window - s->z.avail_in, &got);
    s->z.avail_in += (uInt)got;
    return st;
}

/* A gzip member ended.  Another may follow; zero bytes up to the end are
 * ignored (tape padding, as gzip(1) does); anything else is an error. */
static optml_status gz_member_end(struct rt_stream *s)
{
    optml_status st;
    for (;;) {
        while (s->z.avail_in < 2 && !s->src_eof)
            if ((st = in_refill(s)) != OPTML_OK)
                return st;
        if (s->z.avail_in == 0) {
            s->gz_done = 1;
            return OPTML_OK;
        }
        if (!s->gz_zeros && s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b) {
            inflateReset(&s->z);
            return OPTML_OK;
        }
        while (s->z.avail_in > 0 && s->z.next_in[0] == 0) {
            s->z.next_in++;
            s->z.avail_in--;
            s->gz_zeros = 1;
        }
        if (s->z.avail_in > 0)
            return gz_error(s, "unexpected bytes after the end of the gzip data");
        if (s->src_eof) {
            s->gz_done = 1;
            return OPTML_OK;
        }
    }
}

static optml_status gz_produce(struct rt_stream *s, unsigned char *buf, size_t cap, size_t *got)
{
    optml_status st;
    *got = 0;
    while (!s->gz_done) {
        if (s->z.avail_in == 0 && !s->src_eof && (st = in_refill(s)) != OPTML_OK)
            return st;
        s->z.next_out = buf;
        s->z.avail_out = (uInt)cap;
        int zr = inflate(&s->z, Z_NO_FLUSH);
        size_t produced = cap - s->z.avail_out;
        if (zr == Z_STREAM_END) {
            if ((st = gz_member_end(s)) != OPTML_OK)
                return st;
        } else if (zr == Z_MEM_ERROR) {
            return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory inflating %s", s->where);
        } else if (zr == Z_OK || zr == Z_BUF_ERROR) {
            if (produced == 0 && s->z.avail_in == 0 && s->src_eof)
                return gz_error(s, "gzip data ends early: the compressed stream is truncated");
            if (produced == 0 && s->z.avail_in > 0 && zr == Z_BUF_ERROR)
                return gz_error(s, "corrupt gzip data");
        } else {
            char msg[200];
            snprintf(msg, sizeof(msg), "corrupt gzip data: %s", s->z.msg ? s->z.msg : "inflate failed");
            return gz_error(s, msg);
        }
        if (produced > 0) {
            *got = produced;
            return OPTML_OK;
        }
    }
    return OPTML_OK;
}

/* Switch the segment to gzip: the first `n` bytes are in out[0..n). */
static optml_status gz_begin(struct rt_stream *s, size_t n)
{
    optml_status st = alloc_buf(s, &s->in, s->window);
    if (st != OPTML_OK)
        return st;
    if (!s->z_ready) {
        memset(&s->z, 0, sizeof(s->z));
        if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
            return optml_error(s->ctx, OPTML_E_NOMEM, "cannot initialise zlib");
        s->z_ready = 1;
    } else {
        inflateReset(&s->z);
    }
    memcpy(s->in, s->out, n);
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)n;
    s->gz = 1;
    s->out_len = 0;
    return OPTML_OK;
}

/* Decoded bytes of the current segment; *got == 0 at its end. */
static optml_status produce(struct rt_stream *s, unsigned char *buf, size_t cap, size_t *got)
{
    optml_status st = s->gz ? gz_produce(s, buf, cap, got) : src_read(s, buf, cap, got);
    if (st == OPTML_OK && *got == 0)
        s->dec_eof = 1;
    return st;
}

/* ---- segments -------------------------------------------------------------- */

static void end_segment(struct rt_stream *s)
{
    close_file(s);
    free(s->seg_name);
    free(s->where);
    s->seg_name = s->where = NULL;
    s->in_seg = 0;
}

/* Skip the rest of a wrapped object the reader did not consume. */
static optml_status drain_object(struct rt_stream *s)
{
    while (s->w_in_obj) {
        size_t got = 0;
        optml_status st = wrap_read(s, s->out, s->window, &got);
        if (st != OPTML_OK)
            return st;
    }
    return OPTML_OK;
}

static optml_status open_next_file(struct rt_stream *s)
{
    const char *path = s->paths[s->next_file];
    s->name = s->names ? s->names[s->next_file] : path;
    s->next_file++;
    int r = s->channel ? asprintf(&s->where, "file '%s' of channel '%s'", s->name, s->channel)
                       : asprintf(&s->where, "file '%s'", s->name);
    if (r < 0) {
        s->where = NULL;
        return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory");
    }
    s->file_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->file_fd < 0) {
        int e = errno;
        return optml_error(s->ctx, e == ENOENT || e == EACCES || e == EISDIR ? OPTML_E_CLIENT : OPTML_E_IO,
                           "cannot open %s: %s", s->where, strerror(e));
    }
    return OPTML_OK;
}

/* Start the next wrapped object: OPTML_END at a clean end of the FIFO. */
static optml_status open_next_object(struct rt_stream *s)
{
    int eof = 0;
    uint64_t off = s->fifo_off;
    optml_status st = wrap_header(s, 1, &eof);
    if (st != OPTML_OK)
        return st;
    if (eof)
        return OPTML_END;
    s->w_in_obj = 1;
    s->w_objects++;
    if (asprintf(&s->seg_name, "%s#%" PRIu64, s->fd_name, s->w_objects) < 0)
        s->seg_name = NULL;
    if (asprintf(&s->where, "object %" PRIu64 " of FIFO '%s' (RecordIO-wrapped, header at FIFO offset %" PRIu64 ")",
                 s->w_objects, s->fd_name, off) < 0)
        s->where = NULL;
    if (!s->seg_name || !s->where)
        return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory");
    s->name = s->seg_name;
    return OPTML_OK;
}

/* Open the source of the next segment: OPTML_END when there is none. */
static optml_status open_source(struct rt_stream *s)
{
    const char *label;
    switch (s->kind) {
    case SRC_FILES:
        if (s->next_file >= s->n_files)
            return OPTML_END;
        return open_next_file(s);
    case SRC_FD:
        if (s->wrapped)
            return open_next_object(s);
        if (s->fd_used)
            return OPTML_END;
        s->fd_used = 1;
        s->name = s->fd_name;
        if (asprintf(&s->where, "FIFO '%s'", s->fd_name) < 0)
            s->where = NULL;
        break;
    case SRC_MEMORY:
        if (s->mem_used)
            return OPTML_END;
        s->mem_used = 1;
        s->name = s->mem_name ? s->mem_name : "<memory>";
        label = s->mem_name ? s->mem_name : "in-memory data";
        s->where = strdup(label);
        break;
    }
    if (!s->where)
        return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory");
    return OPTML_OK;
}

/* Reset the window and detect gzip from the first two bytes. */
static optml_status begin_segment(struct rt_stream *s)
{
    optml_status st = alloc_buf(s, &s->out, s->window + 1);
    if (st != OPTML_OK)
        return st;
    s->out_pos = s->out_len = 0;
    s->seg_off = s->seg_raw = 0;
    s->src_eof = s->dec_eof = 0;
    s->gz = s->gz_done = s->gz_zeros = 0;
    s->in_seg = 1;
    while (s->out_len < 2 && !s->src_eof) {
        size_t got = 0;
        if ((st = src_read(s, s->out + s->out_len, s->window - s->out_len, &got)) != OPTML_OK)
            return st;
        s->out_len += got;
    }
    if (s->out_len >= 2 && s->out[0] == 0x1f && s->out[1] == 0x8b)
        return gz_begin(s, s->out_len);
    s->dec_eof = s->src_eof;
    return OPTML_OK;
}

optml_status rt_stream_next_segment(struct rt_stream *s)
{
    optml_status st;
    if (s->finished)
        return OPTML_END;
    if (s->in_seg) {
        if (s->kind == SRC_FD && s->wrapped && (st = drain_object(s)) != OPTML_OK)
            return st;
        end_segment(s);
    }
    st = open_source(s);
    if (st == OPTML_END) {
        s->finished = 1;
        s->name = NULL;
        return OPTML_END;
    }
    if (st != OPTML_OK)
        return st;
    return begin_segment(s);
}

/* ---- the window ----------------------------------------------------------- */

optml_status rt_stream_fill(struct rt_stream *s, size_t want, unsigned char **p, size_t *n)
{
    if (!s->in_seg || !s->out) {
        *p = s->out;
        *n = 0;
        return OPTML_OK;
    }
    if (want > s->window)
        want = s->window;
    while (s->out_len - s->out_pos < want && !s->dec_eof) {
        if (s->out_pos > 0) {
            memmove(s->out, s->out + s->out_pos, s->out_len - s->out_pos);
            s->out_len -= s->out_pos;
            s->out_pos = 0;
        }
        size_t got = 0;
        optml_status st = produce(s, s->out + s->out_len, s->window - s->out_len, &got);
        if (st != OPTML_OK)
            return st;
        s->out_len += got;
    }
    *p = s->out + s->out_pos;
    *n = s->out_len - s->out_pos;
    return OPTML_OK;
}

void rt_stream_consume(struct rt_stream *s, size_t n)
{
    if (n > s->out_len - s->out_pos)
        n = s->out_len - s->out_pos;
    s->out_pos += n;
    s->seg_off += n;
}

size_t rt_stream_window(const struct rt_stream *s) { return s->window; }
uint64_t rt_stream_offset(const struct rt_stream *s) { return s->seg_off; }
const char *rt_stream_name(const struct rt_stream *s) { return s->name ? s->name : ""; }
const char *rt_stream_where(const struct rt_stream *s) { return s->where ? s->where : "stream"; }
int rt_stream_gzip(const struct rt_stream *s) { return s->gz; }
optml_ctx *rt_stream_ctx(const struct rt_stream *s) { return s->ctx; }
uint64_t rt_stream_raw_bytes(const struct rt_stream *s) { return s->raw_bytes; }
int64_t rt_stream_raw_total(const struct rt_stream *s) { return s->raw_total; }
int rt_stream_finished(const struct rt_stream *s) { return s->finished; }
