/*
 * data.c: reading the train / validation / test channels.  The first pass
 * parses records from the runtime's reader (CSV lines or RecordIO-protobuf
 * records) and, for channels read more than once, writes the rows it is
 * asked to keep to a compact binary cache: an unlinked temp file under
 * $TMPDIR (or /tmp), so a crash leaves nothing behind and Pipe mode never
 * needs a second pass over its FIFO.  Later passes read the cache.
 *
 * Cache row: u32 head (bit 31: sparse; low bits: value count), float32
 * label, then dense: D float32 values; sparse: count u32 indices, count
 * float32 values.  Native byte order: the file never leaves the process.
 *
 * Memory does not grow with the channel: one row of scratch at a time.
 */
#define _GNU_SOURCE
#include "linear_learner/data.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPARSE_BIT 0x80000000u

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
    s->type = cfg->type;
    s->K = cfg->K;
    s->use_cache = use_cache;
    const char *ct = optml_channel_content_type(ch);
    enum ll_format fmt = ct && strstr(ct, "protobuf") ? LL_FMT_PROTOBUF : LL_FMT_CSV;
    ll_parser_init(&s->parser, fmt, 1, D);
    *out = s;
    return OPTML_OK;
}

static optml_status open_cache(struct ll_source *s)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/optml-ll-%s-XXXXXX", dir, s->name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return optml_error(s->ctx, OPTML_E_IO, "temp directory path too long: %s", dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return optml_error(s->ctx, OPTML_E_IO, "cannot create the data cache in %s: %s", dir, strerror(errno));
    unlink(path);
    s->cache = fdopen(fd, "w+b");
    if (!s->cache) {
        close(fd);
        return optml_error(s->ctx, OPTML_E_NOMEM, "cannot open the data cache: %s", strerror(errno));
    }
    setvbuf(s->cache, NULL, _IOFBF, 1 << 20);
    return OPTML_OK;
}

optml_status ll_source_begin(struct ll_source *s)
{
    s->rows = 0;
    s->cache_read = 0;
    if (s->cache_complete) {
        s->from_cache = 1;
        if (fflush(s->cache) != 0 || fseeko(s->cache, 0, SEEK_SET) != 0)
            return optml_error(s->ctx, OPTML_E_IO, "cannot rewind the data cache of channel %s: %s", s->name,
                               strerror(errno));
        return OPTML_OK;
    }
    s->from_cache = 0;
    if (s->use_cache) {
        if (s->cache) { /* an earlier pass was cut short: start over */
            fclose(s->cache);
            s->cache = NULL;
        }
        s->cache_rows = s->cache_bytes = 0;
        optml_status st = open_cache(s);
        if (st != OPTML_OK)
            return st;
    }
    enum optml_framing fr = s->parser.fmt == LL_FMT_PROTOBUF ? OPTML_FRAME_RECORDIO : OPTML_FRAME_LINES;
    return optml_channel_open(s->ctx, s->ch, fr, &s->reader);
}

/* Label checks by predictor type. */
static int label_ok(const struct ll_source *s, float y, char *why, size_t whysz)
{
    if (!isfinite(y)) {
        snprintf(why, whysz, "the label is not a finite number");
        return 0;
    }
    if (s->type == LL_BINARY && y != 0.0f && y != 1.0f) {
        snprintf(why, whysz, "label %g is not 0 or 1 (binary_classifier)", (double)y);
        return 0;
    }
    if (s->type == LL_MULTICLASS && (y < 0.0f || y >= (float)s->K || y != floorf(y))) {
        snprintf(why, whysz, "label %g is not an integer in [0, %zu] (multiclass_classifier with num_classes=%zu)",
                 (double)y, s->K - 1, s->K);
        return 0;
    }
    return 1;
}

static optml_status next_from_channel(struct ll_source *s, struct ll_row *row)
{
    struct optml_record rec;
    for (;;) {
        optml_status st = optml_reader_next(s->reader, &rec);
        if (st != OPTML_OK)
            return st;
        int r = ll_parse_record(&s->parser, rec.data, rec.len, row);
        if (r == LL_PARSE_SKIP)
            continue;
        const char *unit = s->parser.fmt == LL_FMT_CSV ? "line" : "record";
        const char *what = s->parser.fmt == LL_FMT_CSV ? "csv" : "recordio-protobuf";
        if (r == LL_PARSE_NOMEM)
            return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory parsing channel %s, file %s, %s %llu",
                               s->name, rec.source, unit, (unsigned long long)rec.number);
        if (r == LL_PARSE_BAD && s->parser.dim_mismatch)
            return optml_error(s->ctx, OPTML_E_CLIENT,
                               "Feature count mismatch in channel %s, file %s, %s %llu: %s", s->name, rec.source,
                               unit, (unsigned long long)rec.number, s->parser.err);
        if (r == LL_PARSE_BAD)
            return optml_error(s->ctx, OPTML_E_CLIENT, "Unable to parse %s data in channel %s, file %s, %s %llu: %s",
                               what, s->name, rec.source, unit, (unsigned long long)rec.number, s->parser.err);
        char why[160];
        if (!label_ok(s, row->label, why, sizeof(why)))
            return optml_error(s->ctx, OPTML_E_CLIENT, "Invalid label in channel %s, file %s, %s %llu: %s",
                               s->name, rec.source, unit, (unsigned long long)rec.number, why);
        s->rows++;
        return OPTML_OK;
    }
}

static int cache_grow(struct ll_source *s, size_t n)
{
    if (n <= s->ccap)
        return 0;
    size_t cap = s->ccap ? s->ccap : 64;
    while (cap < n)
        cap *= 2;
    float *v = realloc(s->cvals, cap * sizeof(float));
    if (!v)
        return -1;
    s->cvals = v;
    uint32_t *i = realloc(s->cidx, cap * sizeof(uint32_t));
    if (!i)
        return -1;
    s->cidx = i;
    s->ccap = cap;
    return 0;
}

static optml_status next_from_cache(struct ll_source *s, struct ll_row *row)
{
    uint32_t head;
    if (s->rows >= s->cache_rows)
        return OPTML_END;
    if (fread(&head, sizeof(head), 1, s->cache) != 1 || fread(&row->label, sizeof(float), 1, s->cache) != 1)
        goto bad;
    size_t n = head & ~SPARSE_BIT;
    if (cache_grow(s, n) != 0)
        return optml_error(s->ctx, OPTML_E_NOMEM, "out of memory reading the data cache");
    if (head & SPARSE_BIT) {
        if (fread(s->cidx, sizeof(uint32_t), n, s->cache) != n)
            goto bad;
        row->idx = s->cidx;
    } else {
        row->idx = NULL;
    }
    if (fread(s->cvals, sizeof(float), n, s->cache) != n)
        goto bad;
    row->nnz = n;
    row->val = s->cvals;
    s->cache_read += 8 + n * ((head & SPARSE_BIT) ? 8 : 4);
    s->rows++;
    return OPTML_OK;
bad:
    return optml_error(s->ctx, OPTML_E_IO, "the data cache of channel %s is truncated at row %llu", s->name,
                       (unsigned long long)s->rows + 1);
}

optml_status ll_source_next(struct ll_source *s, struct ll_row *row)
{
    return s->from_cache ? next_from_cache(s, row) : next_from_channel(s, row);
}

optml_status ll_source_keep(struct ll_source *s, const struct ll_row *row)
{
    if (s->from_cache || !s->cache)
        return OPTML_OK;
    uint32_t head = (uint32_t)row->nnz | (row->idx ? SPARSE_BIT : 0);
    int ok = fwrite(&head, sizeof(head), 1, s->cache) == 1 && fwrite(&row->label, sizeof(float), 1, s->cache) == 1;
    if (ok && row->idx)
        ok = fwrite(row->idx, sizeof(uint32_t), row->nnz, s->cache) == row->nnz;
    if (ok)
        ok = fwrite(row->val, sizeof(float), row->nnz, s->cache) == row->nnz;
    if (!ok)
        return optml_error(s->ctx, OPTML_E_IO, "cannot write the data cache of channel %s (disk full?): %s",
                           s->name, strerror(errno));
    s->cache_rows++;
    s->cache_bytes += 8 + row->nnz * (row->idx ? 8 : 4);
    return OPTML_OK;
}

void ll_source_end(struct ll_source *s, int complete)
{
    if (s->reader) {
        optml_reader_close(s->reader);
        s->reader = NULL;
        if (complete && s->cache)
            s->cache_complete = 1;
    }
}

double ll_source_progress(const struct ll_source *s)
{
    if (s->reader)
        return optml_reader_progress(s->reader);
    if (s->from_cache && s->cache_bytes)
        return (double)s->cache_read / (double)s->cache_bytes;
    return -1;
}

int ll_source_sparse(const struct ll_source *s)
{
    return s->parser.sparse_seen;
}

void ll_source_close(struct ll_source *s)
{
    if (!s)
        return;
    if (s->reader)
        optml_reader_close(s->reader);
    if (s->cache)
        fclose(s->cache);
    ll_parser_free(&s->parser);
    free(s->cvals);
    free(s->cidx);
    free(s);
}
