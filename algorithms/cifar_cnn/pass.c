/*
 * pass.c: one pass over a planned channel (data.h), source after source:
 * TFRecord files and Pipe-mode FIFOs record by record, CIFAR-10 binary
 * batches as 3,073-byte records, IDX pairs image by image with their
 * labels in lockstep (two FIXED readers, so gzip works).  Every image must
 * have the channel's shape and every label must be in range; a mistake is
 * a ClientError naming the file (channel) and the byte offset (in a gzip
 * file, of the decompressed bytes).  A pass may keep one share of the
 * examples (every `of`-th from `index`: a host's share of a channel every
 * host holds whole); the others are still read and checked.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar_cnn/data.h"
#include "codec/idx.h"
#include "codec/pixels.h"

struct cc_pass {
    optml_ctx *ctx;
    const struct cc_plan *plan;
    size_t next;                 /* next source to open */
    const struct cc_source *src; /* the open one, or NULL */
    optml_reader *r, *lr;        /* records (images); IDX labels */
    uint64_t idx_left, idx_total;
    size_t idx_image_bytes;
    struct cc_shape idx_shape;   /* the open IDX pair's */
    struct cc_shape shape;
    int64_t max_classes;
    uint8_t *img;
    size_t cap;
    uint32_t shard_of, shard_index; /* keep example k when k % of == index */
    uint64_t seen;
};

__attribute__((format(printf, 5, 6)))
static optml_status bad(struct cc_pass *p, const char *source, uint64_t off, const char *why_loc, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return optml_error(p->ctx, OPTML_E_CLIENT, "%s (%s '%s' of channel '%s', offset %" PRIu64 ")", msg,
                       why_loc ? why_loc : "file", source, p->plan->channel, off);
}

static void close_source(struct cc_pass *p)
{
    optml_reader_close(p->r);
    optml_reader_close(p->lr);
    p->r = p->lr = NULL;
    p->src = NULL;
}

void cc_pass_close(struct cc_pass *p)
{
    if (!p)
        return;
    close_source(p);
    free(p->img);
    free(p);
}

void cc_pass_shard(struct cc_pass *p, uint32_t of, uint32_t index)
{
    p->shard_of = of;
    p->shard_index = index;
}

struct cc_shape cc_pass_shape(const struct cc_pass *p)
{
    return p->shape;
}

optml_status cc_pass_open(optml_ctx *ctx, const struct cc_plan *plan, const struct cc_shape *shape,
                          int64_t max_classes, struct cc_pass **out)
{
    struct cc_pass *p = calloc(1, sizeof(*p));
    if (!p)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory opening channel '%s'", plan->channel);
    p->ctx = ctx;
    p->plan = plan;
    if (shape)
        p->shape = *shape;
    p->max_classes = max_classes > 0 ? max_classes : CC_MAX_CLASSES;
    *out = p;
    return OPTML_OK;
}

static optml_status grow(struct cc_pass *p, size_t bytes)
{
    if (bytes <= p->cap)
        return OPTML_OK;
    uint8_t *n = realloc(p->img, bytes);
    if (!n)
        return optml_error(p->ctx, OPTML_E_NOMEM, "out of memory for a %zu-byte image", bytes);
    p->img = n;
    p->cap = bytes;
    return OPTML_OK;
}

/* An IDX header from `r` (FIXED): 4 bytes, then 4 per dimension. */
static optml_status idx_header(struct cc_pass *p, optml_reader *r, const char *name, struct idx_header *h)
{
    unsigned char buf[4 + 4 * IDX_MAX_DIMS];
    struct optml_record rec;
    char err[256];
    optml_status st = optml_reader_set_record_size(r, 4);
    if (st == OPTML_OK)
        st = optml_reader_next(r, &rec);
    if (st == OPTML_END || (st == OPTML_OK && rec.len < 4))
        return bad(p, name, 0, NULL, "truncated IDX header: the file ends inside its first 4 bytes");
    if (st != OPTML_OK)
        return st;
    memcpy(buf, rec.data, 4);
    unsigned nd = buf[3];
    if (nd < 1 || nd > IDX_MAX_DIMS)
        return bad(p, name, 3, NULL, "IDX header: %u dimensions (1 to %d supported)", nd, IDX_MAX_DIMS);
    if ((st = optml_reader_set_record_size(r, 4 * nd)) != OPTML_OK)
        return st;
    if ((st = optml_reader_next(r, &rec)) != OPTML_OK && st != OPTML_END)
        return st;
    if (st == OPTML_END || rec.len < 4 * nd)
        return bad(p, name, 4, NULL, "truncated IDX header: the file ends inside its %u dimensions", nd);
    memcpy(buf + 4, rec.data, 4 * nd);
    if (idx_parse_header(buf, 4 + 4 * nd, h, err, sizeof(err)) != 0)
        return bad(p, name, 0, NULL, "%s", err);
    if (h->type != IDX_UBYTE)
        return bad(p, name, 2, NULL, "IDX values of type 0x%02X; images and labels must be unsigned bytes (0x08)",
                   (unsigned)h->type);
    return OPTML_OK;
}

static optml_status open_idx(struct cc_pass *p, const struct cc_source *s)
{
    struct idx_header hi, hl;
    optml_status st;
    if ((st = optml_file_open(p->ctx, s->path, OPTML_FRAME_FIXED, &p->r)) != OPTML_OK ||
        (st = optml_file_open(p->ctx, s->labels_path, OPTML_FRAME_FIXED, &p->lr)) != OPTML_OK)
        return st;
    if ((st = idx_header(p, p->r, s->name, &hi)) != OPTML_OK || (st = idx_header(p, p->lr, s->labels_name, &hl)) != OPTML_OK)
        return st;
    if (hi.ndims != 3 && hi.ndims != 4)
        return bad(p, s->name, 3, NULL, "IDX images file with %u dimensions: expected 3 (count, rows, columns) "
                   "or 4 (count, rows, columns, channels)", hi.ndims);
    if (hl.ndims != 1)
        return bad(p, s->labels_name, 3, NULL, "IDX labels file with %u dimensions: expected 1 (count)", hl.ndims);
    if (hi.items != hl.items)
        return bad(p, s->labels_name, 4, NULL, "IDX count mismatch: %" PRIu64 " labels for the %" PRIu64
                   " images of '%s'", (uint64_t)hl.items, (uint64_t)hi.items, s->name);
    uint32_t h = hi.dims[1], w = hi.dims[2], c = hi.ndims == 4 ? hi.dims[3] : 1;
    if (h > CC_MAX_SIDE || w > CC_MAX_SIDE || c > CC_MAX_CHANNELS)
        return bad(p, s->name, 8, NULL, "IDX images of %" PRIu32 "x%" PRIu32 "x%" PRIu32 ": at most %dx%dx%d",
                   h, w, c, CC_MAX_SIDE, CC_MAX_SIDE, CC_MAX_CHANNELS);
    if (h == 0 || w == 0 || c == 0)
        return bad(p, s->name, 4, NULL, "IDX images of %" PRIu32 "x%" PRIu32 "x%" PRIu32 ": a dimension is zero",
                   h, w, c);
    p->idx_shape = (struct cc_shape){h, w, c};
    p->idx_image_bytes = (size_t)h * w * c;
    p->idx_left = p->idx_total = hi.items;
    if ((st = optml_reader_set_record_size(p->r, p->idx_image_bytes)) != OPTML_OK ||
        (st = optml_reader_set_record_size(p->lr, 1)) != OPTML_OK || (st = grow(p, p->idx_image_bytes)) != OPTML_OK)
        return st;
    return OPTML_OK;
}

static optml_status open_source(struct cc_pass *p, const struct cc_source *s)
{
    optml_status st;
    p->src = s;
    switch (s->format) {
    case CC_FMT_PIPE:
        return optml_channel_open(p->ctx, p->plan->ch, OPTML_FRAME_TFRECORD, &p->r);
    case CC_FMT_TFRECORD:
        return optml_file_open(p->ctx, s->path, OPTML_FRAME_TFRECORD, &p->r);
    case CC_FMT_CIFAR:
        if ((st = optml_file_open(p->ctx, s->path, OPTML_FRAME_FIXED, &p->r)) != OPTML_OK)
            return st;
        if ((st = grow(p, CIFAR_PIXELS)) != OPTML_OK)
            return st;
        return optml_reader_set_record_size(p->r, CIFAR_RECORD);
    case CC_FMT_IDX:
        return open_idx(p, s);
    }
    return optml_error(p->ctx, OPTML_E_INTERNAL, "unknown source format %d", s->format);
}

/* The next example of the open source: OPTML_OK, OPTML_END (source done) or an error. */
static optml_status source_next(struct cc_pass *p, struct cc_example *ex, struct cc_shape *shape)
{
    const struct cc_source *s = p->src;
    struct optml_record rec;
    optml_status st;
    char err[512];
    switch (s->format) {
    case CC_FMT_PIPE:
    case CC_FMT_TFRECORD:
        if ((st = optml_reader_next(p->r, &rec)) != OPTML_OK)
            return st;
        ex->source = s->format == CC_FMT_PIPE ? rec.source : s->name;
        ex->offset = rec.offset;
        if (cc_decode_example(rec.data, rec.len, &p->img, &p->cap, shape, &ex->label, err, sizeof(err)) != 0)
            return bad(p, ex->source, rec.offset, s->format == CC_FMT_PIPE ? "FIFO" : NULL, "record %" PRIu64 ": %s",
                       rec.number, err);
        return OPTML_OK;
    case CC_FMT_CIFAR:
        if ((st = optml_reader_next(p->r, &rec)) != OPTML_OK)
            return st;
        ex->source = s->name;
        ex->offset = rec.offset;
        if (rec.len < CIFAR_RECORD)
            return bad(p, s->name, rec.offset, NULL, "truncated CIFAR-10 record: %zu of 3,073 bytes", rec.len);
        uint8_t label;
        cifar_record_split(rec.data, &label, p->img);
        if (label > 9)
            return bad(p, s->name, rec.offset, NULL, "CIFAR-10 label byte %u: labels are 0-9", (unsigned)label);
        ex->label = label;
        *shape = (struct cc_shape){CIFAR_SIDE, CIFAR_SIDE, CIFAR_CHANNELS};
        return OPTML_OK;
    case CC_FMT_IDX: {
        if (p->idx_left == 0) {
            if ((st = optml_reader_next(p->r, &rec)) == OPTML_OK)
                return bad(p, s->name, rec.offset, NULL, "data after the %" PRIu64 " images the IDX header declares",
                           p->idx_total);
            if (st != OPTML_END)
                return st;
            if ((st = optml_reader_next(p->lr, &rec)) == OPTML_OK)
                return bad(p, s->labels_name, rec.offset, NULL, "data after the %" PRIu64
                           " labels the IDX header declares", p->idx_total);
            return st;
        }
        uint64_t item = p->idx_total - p->idx_left;
        if ((st = optml_reader_next(p->r, &rec)) != OPTML_OK && st != OPTML_END)
            return st;
        if (st == OPTML_END || rec.len < p->idx_image_bytes)
            return bad(p, s->name, st == OPTML_END ? 0 : rec.offset, NULL, "truncated IDX images file: it ends "
                       "inside image %" PRIu64 " of the %" PRIu64 " its header declares", item + 1, p->idx_total);
        memcpy(p->img, rec.data, p->idx_image_bytes);
        ex->source = s->name;
        ex->offset = rec.offset;
        if ((st = optml_reader_next(p->lr, &rec)) != OPTML_OK && st != OPTML_END)
            return st;
        if (st == OPTML_END)
            return bad(p, s->labels_name, 0, NULL, "truncated IDX labels file: it ends before label %" PRIu64
                       " of the %" PRIu64 " its header declares", item + 1, p->idx_total);
        ex->label = rec.data[0];
        p->idx_left--;
        *shape = p->idx_shape;
        return OPTML_OK;
    }
    }
    return optml_error(p->ctx, OPTML_E_INTERNAL, "unknown source format %d", s->format);
}

optml_status cc_pass_next(struct cc_pass *p, struct cc_example *ex)
{
    memset(ex, 0, sizeof(*ex));
    for (;;) {
        optml_status st;
        if (!p->src) {
            if (p->next >= p->plan->n_src)
                return OPTML_END;
            const struct cc_source *s = &p->plan->src[p->next++];
            if ((st = open_source(p, s)) != OPTML_OK)
                return st;
        }
        struct cc_shape shape = {0, 0, 0};
        st = source_next(p, ex, &shape);
        if (st == OPTML_END) {
            close_source(p);
            continue;
        }
        if (st != OPTML_OK)
            return st;
        const char *loc = p->src->format == CC_FMT_PIPE ? "FIFO" : NULL;
        if (!p->shape.h) {
            p->shape = shape;
        } else if (shape.h != p->shape.h || shape.w != p->shape.w || shape.c != p->shape.c) {
            return bad(p, ex->source, ex->offset, loc, "image of %" PRIu32 "x%" PRIu32 "x%" PRIu32 " (%s); the "
                       "channel's images are %" PRIu32 "x%" PRIu32 "x%" PRIu32 " (height x width x channels)",
                       shape.h, shape.w, shape.c, cc_format_name(p->src->format), p->shape.h, p->shape.w, p->shape.c);
        }
        if (ex->label < 0 || ex->label >= p->max_classes)
            return bad(p, ex->source, ex->offset, loc, "label %" PRId64 " is out of range: labels are 0 to %" PRId64
                       "%s", ex->label, p->max_classes - 1,
                       p->max_classes == CC_MAX_CLASSES ? "" : " (num_classes, or the training labels' largest + 1)");
        if (p->shard_of > 1 && p->seen++ % p->shard_of != p->shard_index)
            continue;
        ex->hwc = p->img;
        return OPTML_OK;
    }
}
