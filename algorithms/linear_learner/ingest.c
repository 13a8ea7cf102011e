/*
 * ingest.c: a pass over a channel parsed on two threads (ingest.h).
 *
 * A ring of NCHUNK chunks, each going FREE -> FILLING -> FILLED -> PARSING
 * -> READY -> IN_USE -> FREE.  The reader thread fills chunks in sequence
 * (copies of up to chunk_bytes of text, with their file: CSV as runs of
 * whole lines from optml_reader_next_lines, which the parsing thread cuts
 * into lines; protobuf as records) while fewer than AHEAD wait unparsed,
 * and otherwise parses the oldest waiting one.  The consumer (the training thread) takes chunk read_seq once it is
 * READY; while it is not, it parses a waiting chunk itself.  So both cores
 * parse when parsing is the bottleneck, and the consumer trains while the
 * reader thread parses when training is.  Rows leave in file order
 * whatever thread parsed them, and a chunk's rows do not depend on who
 * parsed it: the result is the same as a single-threaded pass.
 *
 * Until the feature dimension is known (no feature_dim, first channel
 * read), the reader thread parses each chunk as soon as it is filled, so
 * the first row in file order sets it.  Dense CSV rows with a known
 * dimension are parsed straight into the chunk's row buffer.
 *
 * Errors: a record that does not parse ends its chunk's rows; the consumer
 * words the message when it takes the chunk, in order, because only then
 * is the line number known (the lines of the file's earlier runs, counted
 * by whichever thread parsed them).  The runtime's reader errors (I/O,
 * Pipe-mode stop) end the chunk being filled with its status, the message
 * being in the context already.  The consumer reports them in order, after
 * the rows before them.  Only the consumer calls optml_error on its own.
 *
 * Memory: NCHUNK chunks of about chunk_bytes of text plus their parsed
 * rows, whatever the size of the channel.
 */
#define _GNU_SOURCE
#include "linear_learner/ingest.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/csv_floats.h"
#include "codec/csv_hint.h"

#define NCHUNK 8
#define AHEAD 4

enum { C_FREE, C_FILLING, C_FILLED, C_PARSING, C_READY, C_IN_USE };

struct chunk {
    int state;
    /* entries: text[off[i], off[i] + len[i]) from file src[i]; a record
     * numbered num[i], or (runs of lines) a run at byte offset num[i] of
     * its file, of lines[i] lines (counted when parsed) */
    unsigned char *text;
    size_t tlen, tcap;
    uint32_t *off, *len, *lines;
    uint64_t *num;
    const char **src;
    size_t nl, lcap;
    optml_status end;         /* after these entries: OK, END or the reader's error */
    /* parsed */
    unsigned char *rows;
    size_t rlen, rcap, nrows;
    optml_status perr;        /* OK, or an entry's error */
    /* the error: in entry err_entry, its record or its line err_line
     * (1-based in the run); the message is made in order by the consumer,
     * which knows the line numbers (or is msg already, when msg_ready) */
    size_t err_entry;
    uint64_t err_line;
    const char *err_what;
    char err_why[320];
    enum csv_mistake err_hint;  /* CSV: the likely mistake (csv_hint.h) */
    int msg_ready;
    char msg[640];
};

struct ll_ingest {
    optml_ctx *ctx;
    optml_reader *reader;
    struct ll_ingest_cfg cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct chunk ch[NCHUNK];
    uint64_t fill_seq, read_seq;
    struct chunk *cur;        /* IN_USE by the consumer */
    int eof, quit, dim_known;
    struct ll_parser pparser, cparser; /* reader thread's, consumer's */
    int runs;                 /* CSV: read runs of lines, not records */
    uint64_t line_base;       /* consumer: lines of the current file before
                                 the next chunk (runs of lines) */
    char **srcs;              /* file names seen (reader thread) */
    size_t nsrcs, srccap;
    const char *last_raw;     /* the reader's pointer for srcs[nsrcs - 1] */
    uint64_t last_num;
    _Atomic uint64_t progress; /* bits of a double */
};

int ll_label_ok(enum ll_predictor type, size_t K, float y, char *why, size_t whysz)
{
    if (!isfinite(y)) {
        snprintf(why, whysz, "the label is not a finite number");
        return 0;
    }
    if (type == LL_BINARY && y != 0.0f && y != 1.0f) {
        snprintf(why, whysz, "label %g is not 0 or 1 (binary_classifier)", (double)y);
        return 0;
    }
    if (type == LL_MULTICLASS && (y < 0.0f || y >= (float)K || y != floorf(y))) {
        snprintf(why, whysz, "label %g is not an integer in [0, %zu] (multiclass_classifier with num_classes=%zu)",
                 (double)y, K - 1, K);
        return 0;
    }
    return 1;
}

static void chunk_free(struct chunk *c)
{
    free(c->text);
    free(c->off);
    free(c->len);
    free(c->lines);
    free(c->num);
    free(c->src);
    free(c->rows);
    memset(c, 0, sizeof(*c));
}

static int grow_bytes(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    unsigned char *p = realloc(*buf, c);
    if (!p)
        return -1;
    *buf = p;
    *cap = c;
    return 0;
}

static int grow_lines(struct chunk *c)
{
    if (c->nl < c->lcap)
        return 0;
    size_t n = c->lcap ? c->lcap * 2 : 1024;
    uint32_t *off = realloc(c->off, n * sizeof(*off));
    if (off)
        c->off = off;
    uint32_t *len = realloc(c->len, n * sizeof(*len));
    if (len)
        c->len = len;
    uint64_t *num = realloc(c->num, n * sizeof(*num));
    if (num)
        c->num = num;
    const char **src = realloc(c->src, n * sizeof(*src));
    if (src)
        c->src = src;
    uint32_t *lines = realloc(c->lines, n * sizeof(*lines));
    if (lines)
        c->lines = lines;
    if (!off || !len || !num || !src || !lines)
        return -1;
    c->lcap = n;
    return 0;
}

/* The reader thread's copy of a file name (names change rarely).  The
 * same pointer with the next record number is the same file: a new file
 * starts again at record 1. */
static const char *source_name(struct ll_ingest *g, const char *name, uint64_t number)
{
    if (!name)
        name = "?";
    int same = g->nsrcs && ((name == g->last_raw && number == g->last_num + 1) ||
                            strcmp(g->srcs[g->nsrcs - 1], name) == 0);
    g->last_raw = name;
    g->last_num = number;
    if (same)
        return g->srcs[g->nsrcs - 1];
    if (g->nsrcs == g->srccap) {
        size_t n = g->srccap ? g->srccap * 2 : 8;
        char **s = realloc(g->srcs, n * sizeof(*s));
        if (!s)
            return NULL;
        g->srcs = s;
        g->srccap = n;
    }
    char *copy = strdup(name);
    if (!copy)
        return NULL;
    g->srcs[g->nsrcs++] = copy;
    return copy;
}

/* One entry of text into c: 0, or -1 (out of memory: the chunk's error). */
static int add_entry(struct ll_ingest *g, struct chunk *c, const void *data, size_t dlen, const char *source,
                     uint64_t number)
{
    const char *src = source_name(g, source, number);
    if (!src || dlen > UINT32_MAX || c->tlen + dlen > UINT32_MAX || grow_lines(c) != 0 ||
        grow_bytes(&c->text, &c->tcap, c->tlen + dlen + 1) != 0) {
        c->perr = OPTML_E_NOMEM;
        c->err_entry = c->nl;
        c->msg_ready = 1;
        snprintf(c->msg, sizeof(c->msg), "out of memory reading channel %s, file %s", g->cfg.channel,
                 source ? source : "?");
        return -1;
    }
    if (dlen)
        memcpy(c->text + c->tlen, data, dlen);
    c->off[c->nl] = (uint32_t)c->tlen;
    c->len[c->nl] = (uint32_t)dlen;
    c->num[c->nl] = number;
    c->src[c->nl] = src;
    c->lines[c->nl] = 0;
    c->nl++;
    c->tlen += dlen;
    return 0;
}

/* Copy records (or runs of lines) into c until it holds chunk_bytes of
 * text: OPTML_OK (more to come), or the status that ended the stream. */
static optml_status fill(struct ll_ingest *g, struct chunk *c)
{
    c->tlen = c->nl = 0;
    c->rlen = c->nrows = 0;
    c->perr = OPTML_OK;
    c->msg_ready = 0;
    c->msg[0] = 0;
    while (c->tlen < g->cfg.chunk_bytes) {
        optml_status st;
        int bad;
        if (g->runs) {
            struct optml_lines run;
            if ((st = optml_reader_next_lines(g->reader, g->cfg.chunk_bytes - c->tlen, &run)) != OPTML_OK)
                return st;
            bad = add_entry(g, c, run.data, run.len, run.source, run.offset);
        } else {
            struct optml_record rec;
            if ((st = optml_reader_next(g->reader, &rec)) != OPTML_OK)
                return st;
            bad = add_entry(g, c, rec.data, rec.len, rec.source, rec.number);
        }
        if (bad)
            return OPTML_END; /* perr stops the consumer before */
    }
    return OPTML_OK;
}

/* Entry i of c failed (at its line `line`, 1-based, for a run of lines):
 * kept for format_error, which the consumer calls in order. */
static void record_error(struct chunk *c, size_t i, uint64_t line, optml_status st, const char *what,
                         const char *why, enum csv_mistake hint)
{
    c->perr = st;
    c->err_hint = hint;
    c->err_entry = i;
    c->err_line = line;
    c->err_what = what;
    snprintf(c->err_why, sizeof(c->err_why), "%s", why);
}

/* The message of c's error, as data.c words it; `base` = lines of the
 * entry's file before it (runs of lines). */
static void format_error(struct ll_ingest *g, struct chunk *c, uint64_t base)
{
    int csv = g->cfg.fmt == LL_FMT_CSV;
    const char *unit = csv ? "line" : "record", *src = c->src[c->err_entry], *what = c->err_what,
               *why = c->err_why;
    unsigned long long n = (unsigned long long)(g->runs ? base + c->err_line : c->num[c->err_entry]);
    char msg[sizeof(c->msg)];
    if (c->perr == OPTML_E_NOMEM)
        snprintf(msg, sizeof(msg), "out of memory parsing channel %s, file %s, %s %llu", g->cfg.channel, src,
                 unit, n);
    else if (!strcmp(what, "dim"))
        snprintf(msg, sizeof(msg), "Feature count mismatch in channel %s, file %s, %s %llu: %s", g->cfg.channel,
                 src, unit, n, why);
    else if (!strcmp(what, "label"))
        snprintf(msg, sizeof(msg), "Invalid label in channel %s, file %s, %s %llu: %s", g->cfg.channel, src, unit,
                 n, why);
    else {
        /* The fix, when the cause is guessable: a header is line 1 only. */
        enum csv_mistake m = csv && (c->err_hint != CSV_HEADER || n == 1) ? c->err_hint : CSV_NO_GUESS;
        snprintf(msg, sizeof(msg), "Unable to parse %s data in channel %s, file %s, %s %llu: %s%s%s%s",
                 csv ? "csv" : "recordio-protobuf", g->cfg.channel, src, unit, n, why, m ? "; " : "",
                 csv_mistake_hint(m),
                 m == CSV_JSON ? " (linear-learner trains on text/csv or application/x-recordio-protobuf)" : "");
    }
    memcpy(c->msg, msg, sizeof(msg));
}

enum { REC_OK, REC_SKIP, REC_FAIL };

/* One record (a CSV line without its newline, or a protobuf record) onto
 * c's rows: REC_OK, REC_SKIP (blank), or REC_FAIL with *st, *what and why. */
static int parse_record(struct ll_ingest *g, struct ll_parser *p, struct chunk *c, const unsigned char *rec,
                        size_t rlen, optml_status *st, const char **what, char *why, size_t whysz)
{
    size_t D = *g->cfg.D;
    uint32_t head;
    float label, last = NAN; /* the row's last value (CSV), for a hint */
    size_t bytes;
    *st = OPTML_E_CLIENT;
    *what = "parse";
    if (g->cfg.fmt == LL_FMT_CSV && D) {
        /* Straight into the buffer: the label, then the D features. */
        size_t need = 8 + 4 * (D + 1);
        if (grow_bytes(&c->rows, &c->rcap, c->rlen + need) != 0) {
            *st = OPTML_E_NOMEM;
            return REC_FAIL;
        }
        float *dst = (float *)(void *)(c->rows + c->rlen + 4);
        long got = csv_parse_floats((const char *)rec, rlen, dst, D + 1, why, whysz);
        if (got == 0)
            return REC_SKIP;
        if (got < 0)
            return REC_FAIL;
        if (got == 1) {
            snprintf(why, whysz, "the row has a label but no features");
            return REC_FAIL;
        }
        if ((size_t)got - 1 != D) {
            snprintf(why, whysz, "the row has %llu features, expected %zu (feature_dim)",
                     (unsigned long long)got - 1, D);
            *what = "dim";
            return REC_FAIL;
        }
        label = dst[0];
        last = dst[D];
        head = (uint32_t)D;
        bytes = 8 + 4 * D;
    } else {
        struct ll_row row;
        int r = ll_parse_record(p, rec, rlen, &row);
        if (r == LL_PARSE_SKIP)
            return REC_SKIP;
        if (r == LL_PARSE_NOMEM) {
            *st = OPTML_E_NOMEM;
            return REC_FAIL;
        }
        if (r != LL_PARSE_OK) {
            *what = p->dim_mismatch ? "dim" : "parse";
            snprintf(why, whysz, "%s", p->err);
            return REC_FAIL;
        }
        bytes = 8 + row.nnz * (row.idx ? 8 : 4);
        if (row.nnz > LL_ROW_COUNT || grow_bytes(&c->rows, &c->rcap, c->rlen + bytes) != 0) {
            *st = OPTML_E_NOMEM;
            return REC_FAIL;
        }
        unsigned char *at = c->rows + c->rlen + 8;
        if (row.idx) {
            memcpy(at, row.idx, row.nnz * 4);
            at += row.nnz * 4;
        }
        if (row.nnz)
            memcpy(at, row.val, row.nnz * 4);
        label = row.label;
        if (g->cfg.fmt == LL_FMT_CSV && !row.idx)
            last = row.val[row.nnz - 1];
        memcpy(c->rows + c->rlen + 4, &label, 4);
        head = (uint32_t)row.nnz | (row.idx ? LL_ROW_SPARSE : 0);
    }
    if (!ll_label_ok(g->cfg.type, g->cfg.K, label, why, whysz)) {
        *what = "label";
        /* A classifier's label that is not one, while the last value is:
         * the label column is most likely last (pandas, scikit-learn). */
        char unused[8];
        if (g->cfg.type != LL_REGRESSOR && !isnan(last) && ll_label_ok(g->cfg.type, g->cfg.K, last, unused, 0)) {
            size_t n = strlen(why);
            snprintf(why + n, whysz - n, "; the last value, %g, would be a valid label: is the label in the last "
                     "column? linear-learner reads it from the first", (double)last);
        }
        return REC_FAIL;
    }
    memcpy(c->rows + c->rlen, &head, 4);
    c->rlen += bytes;
    c->nrows++;
    return REC_OK;
}

/* The likely mistake behind a CSV line that did not parse (a header is
 * kept only for line 1, which format_error knows). */
static enum csv_mistake guess(const struct ll_ingest *g, const char *what, const unsigned char *line, size_t len)
{
    if (g->cfg.fmt != LL_FMT_CSV || strcmp(what, "parse") != 0)
        return CSV_NO_GUESS;
    return csv_guess_mistake((const char *)line, len, 1);
}

/* Parse c's entries into its row buffer (stopping at the first bad
 * record); runs of lines are cut into lines here, on the parsing thread,
 * and their lines counted. */
static void parse_chunk(struct ll_ingest *g, struct ll_parser *p, struct chunk *c)
{
    char why[320];
    optml_status st;
    const char *what;
    c->rlen = c->nrows = 0;
    for (size_t i = 0; i < c->nl; i++) {
        const unsigned char *text = c->text + c->off[i];
        size_t tlen = c->len[i];
        if (!g->runs) {
            if (parse_record(g, p, c, text, tlen, &st, &what, why, sizeof(why)) == REC_FAIL) {
                record_error(c, i, 0, st, what, why, guess(g, what, text, tlen));
                return;
            }
            continue;
        }
        const unsigned char *q = text, *end = text + tlen;
        uint32_t k = 0;
        while (q < end) {
            const unsigned char *nl = memchr(q, '\n', (size_t)(end - q));
            size_t ll = nl ? (size_t)(nl - q) : (size_t)(end - q);
            k++;
            size_t rl = ll && q[ll - 1] == '\r' ? ll - 1 : ll;
            if (parse_record(g, p, c, q, rl, &st, &what, why, sizeof(why)) == REC_FAIL) {
                record_error(c, i, k, st, what, why, guess(g, what, q, rl));
                return;
            }
            q += ll + 1;
        }
        c->lines[i] = k;
    }
}

static void set_progress(struct ll_ingest *g)
{
    double p = optml_reader_progress(g->reader);
    uint64_t bits;
    memcpy(&bits, &p, sizeof(bits));
    atomic_store_explicit(&g->progress, bits, memory_order_relaxed);
}

double ll_ingest_progress(const struct ll_ingest *g)
{
    uint64_t bits = atomic_load_explicit(&g->progress, memory_order_relaxed);
    double p;
    memcpy(&p, &bits, sizeof(p));
    return p;
}

/* The oldest chunk waiting to be parsed (mutex held), or NULL. */
static struct chunk *oldest_filled(struct ll_ingest *g)
{
    for (uint64_t s = g->read_seq; s < g->fill_seq; s++)
        if (g->ch[s % NCHUNK].state == C_FILLED)
            return &g->ch[s % NCHUNK];
    return NULL;
}

static size_t count_filled(struct ll_ingest *g)
{
    size_t n = 0;
    for (uint64_t s = g->read_seq; s < g->fill_seq; s++)
        n += g->ch[s % NCHUNK].state == C_FILLED;
    return n;
}

/* Parse c (claimed by this thread) outside the lock. */
static void parse_claimed(struct ll_ingest *g, struct ll_parser *p, struct chunk *c)
{
    c->state = C_PARSING;
    pthread_mutex_unlock(&g->mu);
    parse_chunk(g, p, c);
    pthread_mutex_lock(&g->mu);
    c->state = C_READY;
    pthread_cond_broadcast(&g->cv);
}

static void *reader_main(void *arg)
{
    struct ll_ingest *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->quit) {
        struct chunk *f = !g->eof && g->fill_seq - g->read_seq < NCHUNK ? &g->ch[g->fill_seq % NCHUNK] : NULL;
        if (f && (!g->dim_known || count_filled(g) < AHEAD)) {
            int parse_now = !g->dim_known;
            f->state = C_FILLING;
            pthread_mutex_unlock(&g->mu);
            optml_status st = fill(g, f);
            if (parse_now && f->perr == OPTML_OK)
                parse_chunk(g, &g->pparser, f);
            set_progress(g);
            pthread_mutex_lock(&g->mu);
            f->end = st;
            if (st != OPTML_OK || f->perr != OPTML_OK)
                g->eof = 1;
            f->state = parse_now || f->perr != OPTML_OK ? C_READY : C_FILLED;
            if (*g->cfg.D)
                g->dim_known = 1;
            g->fill_seq++;
            pthread_cond_broadcast(&g->cv);
            continue;
        }
        struct chunk *c = oldest_filled(g);
        if (c) {
            parse_claimed(g, &g->pparser, c);
            continue;
        }
        if (g->eof)
            break;
        pthread_cond_wait(&g->cv, &g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

optml_status ll_ingest_start(optml_ctx *ctx, optml_reader *reader, const struct ll_ingest_cfg *cfg,
                             struct ll_ingest **out)
{
    *out = NULL;
    struct ll_ingest *g = calloc(1, sizeof(*g));
    if (!g) {
        optml_reader_close(reader);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory reading channel %s", cfg->channel);
    }
    g->ctx = ctx;
    g->reader = reader;
    g->cfg = *cfg;
    g->dim_known = *cfg->D != 0;
    g->runs = cfg->fmt == LL_FMT_CSV;
    ll_parser_init(&g->pparser, cfg->fmt, 1, cfg->D);
    ll_parser_init(&g->cparser, cfg->fmt, 1, cfg->D);
    double p0 = 0;
    uint64_t bits;
    memcpy(&bits, &p0, sizeof(bits));
    atomic_init(&g->progress, bits);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    int rc = pthread_create(&g->thread, NULL, reader_main, g);
    if (rc != 0) {
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv);
        ll_parser_free(&g->pparser);
        ll_parser_free(&g->cparser);
        optml_reader_close(reader);
        free(g);
        return optml_error(ctx, OPTML_E_INTERNAL, "cannot start a reader thread for channel %s: %s", cfg->channel,
                           strerror(rc));
    }
    *out = g;
    return OPTML_OK;
}

/* The consumer, taking c in order: the lines before each of its runs in
 * their file (a file's first run is at offset 0), and the message of its
 * error, which needs them. */
static void number_lines(struct ll_ingest *g, struct chunk *c)
{
    size_t upto = c->perr != OPTML_OK ? c->err_entry : c->nl;
    uint64_t base = g->line_base;
    for (size_t i = 0; i < c->nl && i <= upto; i++) {
        if (g->runs && c->num[i] == 0)
            base = 0;
        if (i == upto)
            break;
        base += c->lines[i];
    }
    if (c->perr != OPTML_OK && !c->msg_ready) {
        format_error(g, c, base);
        c->msg_ready = 1;
    }
    g->line_base = base;
}

void ll_ingest_next(struct ll_ingest *g, struct ll_chunk_view *v)
{
    memset(v, 0, sizeof(*v));
    pthread_mutex_lock(&g->mu);
    if (g->cur) {
        g->cur->state = C_FREE;
        g->cur = NULL;
        g->read_seq++;
        pthread_cond_broadcast(&g->cv);
    }
    for (;;) {
        if (g->read_seq < g->fill_seq && g->ch[g->read_seq % NCHUNK].state == C_READY) {
            struct chunk *c = &g->ch[g->read_seq % NCHUNK];
            c->state = C_IN_USE;
            g->cur = c;
            number_lines(g, c);
            v->rows = c->rows;
            v->len = c->rlen;
            v->n = c->nrows;
            v->status = c->perr != OPTML_OK ? c->perr : c->end;
            v->msg = c->perr != OPTML_OK ? c->msg : NULL;
            break;
        }
        if (g->read_seq >= g->fill_seq && g->eof) {   /* called past the end */
            v->status = OPTML_END;
            break;
        }
        struct chunk *c = g->dim_known ? oldest_filled(g) : NULL;
        if (c)
            parse_claimed(g, &g->cparser, c);
        else
            pthread_cond_wait(&g->cv, &g->mu);
    }
    pthread_mutex_unlock(&g->mu);
}

void ll_ingest_stop(struct ll_ingest *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->quit = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    optml_reader_close(g->reader);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    for (size_t i = 0; i < NCHUNK; i++)
        chunk_free(&g->ch[i]);
    ll_parser_free(&g->pparser);
    ll_parser_free(&g->cparser);
    for (size_t i = 0; i < g->nsrcs; i++)
        free(g->srcs[i]);
    free(g->srcs);
    free(g);
}
