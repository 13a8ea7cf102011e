/*
 * data.c: reading the train / validation / test channels.  Every pass
 * parses records from the runtime's reader (CSV lines or RecordIO-protobuf
 * records) on two threads (ingest.c), except in File (and FastFile) mode:
 * there the first pass of a channel read more than once also writes each
 * parsed chunk as it is to a compact binary cache, an unlinked temp file in
 * the scratch directory (optml_scratch_dir: $OPTML_SCRATCH_DIR, $TMPDIR or
 * /tmp), so a crash leaves nothing behind, and later passes read the cache
 * a megabyte at a time and hand out rows in place.  Rows the trainer holds
 * out are flagged in the chunk and left out of the file.  When the
 * cache cannot be created or written (a full disk, EFBIG, EIO...), one
 * warning says so, the cache is dropped and later passes parse the files
 * again: same rows, same order.
 *
 * Pipe mode never writes the cache: each pass opens the channel again, that
 * is the next FIFO (<channel>_0, _1, ...), as SageMaker streams it once per
 * pass, and memory stays the ingest ring's whatever the size of the data.
 *
 * Cache row (ingest.h): u32 head (bit 31: sparse; bit 30: held out; low
 * bits: value count), float32 label, then dense: count float32 values;
 * sparse: count u32 indices, count float32 values.  Native byte order: the
 * file never leaves the process.
 *
 * Multi-host jobs: a FullyReplicated channel (every host holds every file)
 * is split by row position, this host's rows being those whose index in
 * the pass is its rank modulo the number of hosts; the others are flagged
 * like held-out rows, so the cache holds this host's rows only.
 *
 * Memory does not grow with the channel: the ingest ring and one read
 * buffer (a megabyte, or one row when a row is larger).
 */
#define _GNU_SOURCE
#include "linear_learner/data.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Pipe mode: smaller chunks, so rows reach training soon when the writer
 * pauses (a chunk is handed on when full or when the stream ends). */
#define PIPE_CHUNK ((size_t)16 << 10)
#define READ_BUF ((size_t)1 << 20)

optml_status ll_source_open(optml_ctx *ctx, const optml_channel *ch, const struct ll_config *cfg, size_t *D,
                            int use_cache, struct ll_source **out)
{
    *out = NULL;
    if (!ch)
        return OPTML_OK;
    struct ll_source *s = calloc(1, sizeof(*s));
    if (!s)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory opening channel %s", optml_channel_name(ch));
    s->ctx = ctx;
    s->ch = ch;
    s->name = optml_channel_name(ch);
    s->pipe = optml_channel_mode(ch) == OPTML_MODE_PIPE;
    s->use_cache = use_cache && !s->pipe;
    s->cache_fd = -1;
    s->share_world = 1;
    if (optml_dist_size(ctx) > 1 && !optml_channel_sharded(ch)) {
        s->share_world = (unsigned)optml_dist_size(ctx);
        s->share_rank = (unsigned)optml_dist_rank(ctx);
    }
    if (s->use_cache) {
        optml_status st = optml_scratch_dir(ctx, &s->scratch);
        if (st != OPTML_OK) {
            free(s);
            return st;
        }
    }
    const char *ct = optml_channel_content_type(ch);
    s->icfg = (struct ll_ingest_cfg){
        .channel = s->name,
        .fmt = ct && strstr(ct, "protobuf") ? LL_FMT_PROTOBUF : LL_FMT_CSV,
        .type = cfg->predictor_type,
        .K = cfg->K,
        .D = D,
        .chunk_bytes = optml_channel_mode(ch) == OPTML_MODE_PIPE ? PIPE_CHUNK : LL_FILE_CHUNK,
    };
    *out = s;
    return OPTML_OK;
}

/* The cache cannot be had: say so once, and read the files on every pass. */
static void drop_cache(struct ll_source *s, const char *what, int err)
{
    optml_log(s->ctx, OPTML_LOG_WARNING, "channel %s: cannot %s the data cache in the scratch directory %s (%s); "
              "falling back to re-reading the files each epoch", s->name, what, s->scratch, strerror(err));
    if (s->cache_fd >= 0)
        close(s->cache_fd); /* unlinked: its space is freed now */
    s->cache_fd = -1;
    s->use_cache = 0;
}

static void open_cache(struct ll_source *s)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/optml-ll-%s-XXXXXX", s->scratch, s->name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        drop_cache(s, "create", ENAMETOOLONG);
        return;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        drop_cache(s, "create", errno);
        return;
    }
    unlink(path);
    s->cache_fd = fd;
    s->cache_bytes = 0;
}

optml_status ll_source_begin(struct ll_source *s)
{
    s->rows = 0;
    s->read = 0;
    s->cache_read = 0;
    s->rlen = s->rpos = 0;
    s->have_chunk = 0;
    s->at = 0;
    s->last_head = NULL;
    if (s->cache_complete) {
        s->from_cache = 1;
        return OPTML_OK;
    }
    s->from_cache = 0;
    if (s->use_cache) {
        if (s->cache_fd >= 0) { /* an earlier pass was cut short: start over */
            close(s->cache_fd);
            s->cache_fd = -1;
        }
        open_cache(s);
    }
    enum optml_framing fr = s->icfg.fmt == LL_FMT_PROTOBUF ? OPTML_FRAME_RECORDIO : OPTML_FRAME_LINES;
    optml_reader *reader = NULL;
    optml_status st = optml_channel_open(s->ctx, s->ch, fr, &reader);
    if (st != OPTML_OK)
        return st;
    return ll_ingest_start(s->ctx, reader, &s->icfg, &s->ing);
}

/* Write len bytes at p to the cache; 0, or -1 after dropping it. */
static int cache_write(struct ll_source *s, const unsigned char *p, size_t len)
{
    size_t left = len;
    while (left) {
        ssize_t w = write(s->cache_fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            drop_cache(s, "write", w < 0 ? errno : ENOSPC);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    s->cache_bytes += len;
    return 0;
}

/* The finished chunk's rows to the cache, but the held ones (held out, or
 * another host's): runs of kept rows, one write each (the whole chunk in
 * one when nothing is held).  A write that fails drops the cache. */
static void cache_chunk(struct ll_source *s)
{
    if (s->cache_fd < 0)
        return;
    const unsigned char *p = s->cv.rows, *run = p, *end = p + s->cv.len;
    struct ll_row row;
    while (p < end) {
        uint32_t head;
        size_t n = ll_row_at(p, &row, &head);
        if (head & LL_ROW_HELD) {
            if (p > run && cache_write(s, run, (size_t)(p - run)) != 0)
                return;
            run = p + n;
        }
        p += n;
    }
    if (end > run)
        cache_write(s, run, (size_t)(end - run));
}

static optml_status next_from_channel(struct ll_source *s, struct ll_row *row)
{
    for (;;) {
        if (s->have_chunk && s->at < s->cv.len) {
            uint32_t head;
            s->last_head = s->cv.rows + s->at;
            s->at += ll_row_at(s->last_head, row, &head);
            s->sparse_seen |= (head & LL_ROW_SPARSE) != 0;
            if (s->share_world > 1 && s->read++ % s->share_world != s->share_rank) {
                ll_source_hold(s); /* another host's row: out of the cache too */
                continue;
            }
            s->rows++;
            return OPTML_OK;
        }
        if (s->have_chunk) {
            cache_chunk(s);
            s->cv.len = s->at = 0; /* written once */
            if (s->cv.status != OPTML_OK) {
                optml_status st = s->cv.status;
                if (s->cv.msg) {
                    /* The reader thread stops first: then only this thread
                     * touches the context. */
                    char msg[640];
                    snprintf(msg, sizeof(msg), "%s", s->cv.msg);
                    ll_source_end(s, 0);
                    return optml_error(s->ctx, st, "%s", msg);
                }
                return st;
            }
        }
        ll_ingest_next(s->ing, &s->cv);
        s->have_chunk = 1;
        s->at = 0;
        s->last_head = NULL;
    }
}

static optml_status truncated(struct ll_source *s)
{
    return optml_error(s->ctx, OPTML_E_IO, "the data cache of channel %s is truncated at row %llu", s->name,
                       (unsigned long long)s->rows + 1);
}

static optml_status next_from_cache(struct ll_source *s, struct ll_row *row)
{
    for (;;) {
        size_t have = s->rlen - s->rpos, need = 8;
        if (have >= 8) {
            uint32_t head;
            memcpy(&head, s->rbuf + s->rpos, 4);
            size_t n = head & LL_ROW_COUNT;
            need = 8 + n * ((head & LL_ROW_SPARSE) ? 8 : 4);
            if (have >= need) {
                ll_row_at(s->rbuf + s->rpos, row, &head);
                s->rpos += need;
                if (head & LL_ROW_HELD)
                    continue;
                s->sparse_seen |= (head & LL_ROW_SPARSE) != 0;
                s->rows++;
                return OPTML_OK;
            }
        }
        if (s->cache_read >= s->cache_bytes)
            return have ? truncated(s) : OPTML_END;
        /* Keep the partial row, read on. */
        if (have && s->rpos)
            memmove(s->rbuf, s->rbuf + s->rpos, have);
        s->rlen = have;
        s->rpos = 0;
        size_t cap = need > READ_BUF ? need : READ_BUF;
        if (cap > s->rcap) {
            unsigned char *b = realloc(s->rbuf, cap);
            if (!b)
                return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory reading the data cache");
            s->rbuf = b;
            s->rcap = cap;
        }
        size_t want = s->rcap - s->rlen;
        if (want > s->cache_bytes - s->cache_read)
            want = (size_t)(s->cache_bytes - s->cache_read);
        ssize_t r = pread(s->cache_fd, s->rbuf + s->rlen, want, (off_t)s->cache_read);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return optml_error(s->ctx, OPTML_E_IO, "cannot read the data cache of channel %s: %s", s->name,
                               strerror(errno));
        if (r == 0)
            return truncated(s);
        s->rlen += (size_t)r;
        s->cache_read += (uint64_t)r;
    }
}

optml_status ll_source_next(struct ll_source *s, struct ll_row *row)
{
    return s->from_cache ? next_from_cache(s, row) : next_from_channel(s, row);
}

void ll_source_hold(struct ll_source *s)
{
    if (s->from_cache || !s->last_head)
        return;
    uint32_t head;
    memcpy(&head, s->last_head, 4);
    head |= LL_ROW_HELD;
    memcpy(s->last_head, &head, 4);
}

void ll_source_end(struct ll_source *s, int complete)
{
    if (s->ing) {
        ll_ingest_stop(s->ing);
        s->ing = NULL;
        s->have_chunk = 0;
        if (complete && s->cache_fd >= 0)
            s->cache_complete = 1;
        if (complete) /* a whole pass from the channel: its rows for the report (bad rows are errors) */
            optml_report_rows(s->ctx, s->name, s->rows, 0);
    }
}

double ll_source_progress(const struct ll_source *s)
{
    if (s->ing)
        return ll_ingest_progress(s->ing);
    if (s->from_cache && s->cache_bytes)
        return (double)(s->cache_read - (s->rlen - s->rpos)) / (double)s->cache_bytes;
    return -1;
}

int ll_source_sparse(const struct ll_source *s)
{
    return s->sparse_seen;
}

void ll_source_close(struct ll_source *s)
{
    if (!s)
        return;
    ll_ingest_stop(s->ing);
    if (s->cache_fd >= 0)
        close(s->cache_fd);
    free(s->rbuf);
    free(s);
}

int ll_source_from_cache(const struct ll_source *s)
{
    return s->from_cache;
}
