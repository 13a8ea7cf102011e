/*
 * channel.c: channels and record readers.  Owns rt_channel_init / free /
 * list (File-mode listing), Pipe-mode FIFO waiting, and the public channel
 * and reader API of optml/algorithm.h ("Channels and record streams").
 * Bytes come from stream.c, records from framing.c.
 */
#define _GNU_SOURCE
#include "data/channel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/stop.h"

#define FIFO_POLL_NS 100000000L  /* 100 ms between looks for the next FIFO */
#define FIFO_LOG_EVERY_S 10.0    /* a log line this often while waiting */

struct optml_reader {
    optml_ctx *ctx;
    struct rt_stream *stream;
    struct rt_framer framer;
    char *path;          /* optml_file_open: owned copy of the path */
    uint64_t size;       /* optml_file_open: its size */
    struct optml_channel *ch; /* optml_channel_open: the channel, whose
                                 counters the reader adds to when closed */
    uint64_t records;    /* returned by optml_reader_next */
};

/* ---- set-up and freeing ------------------------------------------------ */

static optml_status nomem(optml_ctx *ctx)
{
    return optml_error(ctx, OPTML_E_NOMEM, "out of memory setting up a channel");
}

static int bad_channel_name(const char *name)
{
    return !name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

optml_status rt_channel_init(optml_ctx *ctx, struct optml_channel *ch,
                             const struct rt_channel_config *cfg,
                             const struct optml_channel_decl *decl, const char *data_dir)
{
    memset(ch, 0, sizeof(*ch));
    if (!cfg || !data_dir)
        return optml_error(ctx, OPTML_E_INTERNAL, "rt_channel_init: missing configuration");
    if (bad_channel_name(cfg->name))
        return optml_error(ctx, OPTML_E_CLIENT, "invalid channel name '%s' in inputdataconfig.json",
                           cfg->name ? cfg->name : "");
    ch->cfg = *cfg;
    ch->cfg.name = strdup(cfg->name);
    ch->cfg.content_type = cfg->content_type ? strdup(cfg->content_type) : NULL;
    ch->decl = decl;
    if (asprintf(&ch->path, "%s/%s", data_dir, cfg->name) < 0)
        ch->path = NULL;
    if (!ch->cfg.name || (cfg->content_type && !ch->cfg.content_type) || !ch->path)
        return nomem(ctx);
    return OPTML_OK;
}

static void free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void rt_channel_free(struct optml_channel *ch)
{
    if (!ch)
        return;
    free(ch->cfg.name);
    free(ch->cfg.content_type);
    free(ch->path);
    free_strings(ch->files, ch->n_files);
    free_strings(ch->abs_files, ch->n_files);
    free(ch->sizes);
    memset(ch, 0, sizeof(*ch));
}

char *rt_channel_fifo_path(const struct optml_channel *ch, unsigned pass)
{
    char *p = NULL;
    if (!ch->path || asprintf(&p, "%s_%u", ch->path, pass) < 0)
        return NULL;
    return p;
}

/* ---- File-mode listing ------------------------------------------------- */

struct entry {
    char *rel;
    uint64_t size;
};

struct listing {
    optml_ctx *ctx;
    const char *channel;
    struct entry *v;
    size_t n, cap;
};

/* A directory on the current path from the channel root (cycle check). */
struct visit {
    dev_t dev;
    ino_t ino;
    const struct visit *parent;
};

static optml_status listing_add(struct listing *l, char *rel, uint64_t size)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct entry *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            free(rel);
            return nomem(l->ctx);
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct entry){rel, size};
    return OPTML_OK;
}

static int on_path(const struct visit *v, const struct stat *st)
{
    for (; v; v = v->parent)
        if (v->dev == st->st_dev && v->ino == st->st_ino)
            return 1;
    return 0;
}

static optml_status walk(struct listing *l, const char *abs_dir, const char *rel_dir,
                         const struct visit *parent);

/* One directory entry: recurse into directories, keep regular files. */
static optml_status walk_entry(struct listing *l, const char *abs_dir, const char *rel_dir,
                               const char *name, const struct visit *parent)
{
    char *abs = NULL, *rel = NULL;
    optml_status st = OPTML_OK;
    struct stat sb;
    if (asprintf(&abs, "%s/%s", abs_dir, name) < 0) {
        abs = NULL;
        return nomem(l->ctx);
    }
    if ((rel_dir ? asprintf(&rel, "%s/%s", rel_dir, name) : asprintf(&rel, "%s", name)) < 0) {
        rel = NULL;
        st = nomem(l->ctx);
        goto out;
    }
    if (stat(abs, &sb) != 0) {
        rt_log(OPTML_LOG_WARNING, "channel '%s': skipping '%s': %s", l->channel, rel, strerror(errno));
    } else if (S_ISDIR(sb.st_mode)) {
        if (on_path(parent, &sb)) {
            rt_log(OPTML_LOG_WARNING, "channel '%s': skipping '%s': a symbolic link loop", l->channel, rel);
        } else {
            struct visit v = {sb.st_dev, sb.st_ino, parent};
            st = walk(l, abs, rel, &v);
        }
    } else if (S_ISREG(sb.st_mode)) {
        st = listing_add(l, rel, (uint64_t)sb.st_size);
        rel = NULL;
    }
out:
    free(abs);
    free(rel);
    return st;
}

static optml_status walk(struct listing *l, const char *abs_dir, const char *rel_dir,
                         const struct visit *parent)
{
    optml_status st = OPTML_OK;
    DIR *d = opendir(abs_dir);
    if (!d)
        return optml_error(l->ctx, errno == EACCES ? OPTML_E_CLIENT : OPTML_E_IO,
                           "channel '%s': cannot read directory '%s': %s", l->channel, abs_dir,
                           strerror(errno));
    struct dirent *de;
    while (st == OPTML_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue; /* hidden, and "." / ".." */
        st = walk_entry(l, abs_dir, rel_dir, de->d_name, parent);
    }
    closedir(d);
    return st;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

/* Move the sorted listing into the channel. */
static optml_status listing_store(struct listing *l, struct optml_channel *ch)
{
    size_t n = l->n, alloc_n = n ? n : 1;
    char **files = calloc(alloc_n, sizeof(*files));
    char **abs_files = calloc(alloc_n, sizeof(*abs_files));
    uint64_t *sizes = calloc(alloc_n, sizeof(*sizes));
    uint64_t total = 0;
    if (!files || !abs_files || !sizes)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (asprintf(&abs_files[i], "%s/%s", ch->path, l->v[i].rel) < 0) {
            abs_files[i] = NULL;
            goto fail;
        }
        files[i] = l->v[i].rel;
        l->v[i].rel = NULL;
        sizes[i] = l->v[i].size;
        total += sizes[i];
    }
    ch->files = files;
    ch->abs_files = abs_files;
    ch->sizes = sizes;
    ch->n_files = n;
    ch->total_bytes = total;
    ch->listed = 1;
    return OPTML_OK;
fail:
    for (size_t i = 0; i < n; i++) {
        if (files && files[i]) { /* hand the names back so the caller frees them */
            l->v[i].rel = files[i];
        }
        if (abs_files)
            free(abs_files[i]);
    }
    free(files);
    free(abs_files);
    free(sizes);
    return nomem(l->ctx);
}

optml_status rt_channel_list(optml_ctx *ctx, struct optml_channel *ch)
{
    struct listing l = {ctx, ch->cfg.name ? ch->cfg.name : "", NULL, 0, 0};
    struct stat sb;
    optml_status st = OPTML_OK;
    if (ch->listed)
        return OPTML_OK;
    if (ch->cfg.mode == OPTML_MODE_PIPE) {
        ch->listed = 1;
        return OPTML_OK;
    }
    if (!ch->path)
        return optml_error(ctx, OPTML_E_INTERNAL, "channel '%s' is not initialised", l.channel);
    if (stat(ch->path, &sb) != 0)
        return optml_error(ctx, OPTML_E_CLIENT, "channel '%s': the data directory '%s' does not exist "
                           "(%s)", l.channel, ch->path, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return optml_error(ctx, OPTML_E_CLIENT, "channel '%s': '%s' is not a directory", l.channel, ch->path);
    struct visit root = {sb.st_dev, sb.st_ino, NULL};
    st = walk(&l, ch->path, NULL, &root);
    if (st != OPTML_OK)
        goto out;
    if (l.n > 1)
        qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
    st = listing_store(&l, ch);
    if (st == OPTML_OK)
        rt_log(OPTML_LOG_DEBUG, "channel '%s': %zu files, %llu bytes", l.channel, ch->n_files,
               (unsigned long long)ch->total_bytes);
out:
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].rel);
    free(l.v);
    return st;
}

/* ---- channel accessors ----------------------------------------------------- */

const optml_channel *optml_channel_get(optml_ctx *ctx, const char *name)
{
    if (!ctx || !name)
        return NULL;
    for (size_t i = 0; i < ctx->n_channels; i++) {
        const struct optml_channel *ch = &ctx->channels[i];
        if (ch->cfg.name && strcmp(ch->cfg.name, name) == 0)
            return ch;
    }
    return NULL;
}

const char *optml_channel_name(const optml_channel *ch)
{
    return ch && ch->cfg.name ? ch->cfg.name : "";
}

const char *optml_channel_content_type(const optml_channel *ch)
{
    if (ch && ch->cfg.content_type && ch->cfg.content_type[0])
        return ch->cfg.content_type;
    if (ch && ch->decl && ch->decl->content_types && ch->decl->content_types[0])
        return ch->decl->content_types[0];
    return "application/octet-stream";
}

enum optml_input_mode optml_channel_mode(const optml_channel *ch)
{
    return ch ? ch->cfg.mode : OPTML_MODE_FILE;
}

int optml_channel_sharded(const optml_channel *ch)
{
    return ch ? ch->cfg.sharded : 0;
}

optml_status optml_channel_files(optml_ctx *ctx, const optml_channel *ch,
                                 const char *const **paths, size_t *count)
{
    if (paths)
        *paths = NULL;
    if (count)
        *count = 0;
    if (!ch || !paths || !count)
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_channel_files: NULL argument");
    optml_status st = rt_channel_list(ctx, (struct optml_channel *)ch);
    if (st != OPTML_OK)
        return st;
    *paths = (const char *const *)ch->files;
    *count = ch->n_files;
    return OPTML_OK;
}

const char *optml_channel_file_path(const optml_channel *ch, size_t index)
{
    if (!ch || !ch->listed || index >= ch->n_files)
        return NULL;
    return ch->abs_files[index];
}

/* ---- readers ------------------------------------------------------------------ */

static optml_status reader_new(optml_ctx *ctx, enum optml_framing framing, optml_reader **out)
{
    optml_reader *r = calloc(1, sizeof(*r));
    *out = r;
    if (!r)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory opening a reader");
    r->ctx = ctx;
    optml_status st = rt_framer_init(&r->framer, ctx, framing);
    if (st != OPTML_OK) {
        optml_reader_close(r);
        *out = NULL;
    }
    return st;
}

/* Open the stream or close the reader on failure. */
static optml_status reader_finish(optml_reader **out, optml_status st)
{
    if (st != OPTML_OK) {
        optml_reader_close(*out);
        *out = NULL;
    }
    return st;
}

/* Wait for the FIFO to appear (polling), then open it read-only. */
static optml_status fifo_open(optml_ctx *ctx, const char *channel, const char *path, int *fd)
{
    double start = rt_now(), next_log = FIFO_LOG_EVERY_S;
    struct stat sb;
    *fd = -1;
    rt_log(OPTML_LOG_DEBUG, "channel '%s': waiting for %s", channel, path);
    for (;;) {
        if (rt_stop_requested())
            return OPTML_STOPPED;
        if (stat(path, &sb) == 0)
            break;
        if (errno != ENOENT)
            return optml_error(ctx, OPTML_E_IO, "channel '%s': cannot look for the FIFO '%s': %s",
                               channel, path, strerror(errno));
        double waited = rt_now() - start;
        if (waited >= next_log) {
            rt_log(OPTML_LOG_INFO, "channel '%s': still waiting for the FIFO %s (%.0f s)", channel,
                   path, waited);
            next_log += FIFO_LOG_EVERY_S;
        }
        struct timespec ts = {0, FIFO_POLL_NS};
        nanosleep(&ts, NULL);
    }
    /* Non-blocking: the open never waits for a writer; reads poll (stream.c)
     * until the writer connects and sends data or closes. */
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd >= 0)
        return OPTML_OK;
    return optml_error(ctx, errno == EACCES ? OPTML_E_CLIENT : OPTML_E_IO,
                       "channel '%s': cannot open the FIFO '%s': %s", channel, path, strerror(errno));
}

static optml_status open_pipe(optml_ctx *ctx, struct optml_channel *ch, optml_reader *r)
{
    int fd = -1;
    char *path = rt_channel_fifo_path(ch, ch->next_pass);
    if (!path)
        return nomem(ctx);
    optml_status st = fifo_open(ctx, ch->cfg.name, path, &fd);
    if (st == OPTML_OK) {
        ch->next_pass++;
        const char *slash = strrchr(path, '/');
        st = rt_stream_open_fd(ctx, fd, slash ? slash + 1 : path, ch->cfg.recordio_wrapped, &r->stream);
    }
    free(path);
    return st;
}

/* A pass that opened counts; its reader adds its bytes and records to the
 * channel when closed. */
static optml_status counted(struct optml_channel *ch, optml_status st, optml_reader *r)
{
    if (st == OPTML_OK && r) {
        r->ch = ch;
        __atomic_add_fetch(&ch->passes, 1, __ATOMIC_RELAXED);
    }
    return st;
}

optml_status optml_channel_open(optml_ctx *ctx, const optml_channel *cch,
                                enum optml_framing framing, optml_reader **out)
{
    struct optml_channel *ch = (struct optml_channel *)cch; /* next_pass, listing */
    if (out)
        *out = NULL;
    if (!ch || !out)
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_channel_open: NULL argument");
    optml_status st = reader_new(ctx, framing, out);
    if (st != OPTML_OK)
        return st;
    if (ch->cfg.mode == OPTML_MODE_PIPE) {
        st = reader_finish(out, open_pipe(ctx, ch, *out));
        return counted(ch, st, *out);
    }
    st = rt_channel_list(ctx, ch);
    if (st == OPTML_OK)
        st = rt_stream_open_files(ctx, (const char *const *)ch->abs_files, (const char *const *)ch->files,
                                  ch->sizes, ch->n_files, ch->cfg.name, &(*out)->stream);
    return counted(ch, reader_finish(out, st), *out);
}

optml_status optml_file_open(optml_ctx *ctx, const char *path, enum optml_framing framing,
                             optml_reader **out)
{
    struct stat sb;
    if (out)
        *out = NULL;
    if (!path || !out)
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_file_open: NULL argument");
    if (stat(path, &sb) != 0)
        return optml_error(ctx, OPTML_E_CLIENT, "cannot open file '%s': %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return optml_error(ctx, OPTML_E_CLIENT, "cannot open file '%s': it is a directory", path);
    optml_status st = reader_new(ctx, framing, out);
    if (st != OPTML_OK)
        return st;
    optml_reader *r = *out;
    r->size = (uint64_t)sb.st_size;
    if (!(r->path = strdup(path)))
        return reader_finish(out, nomem(ctx));
    st = rt_stream_open_files(ctx, (const char *const *)&r->path, (const char *const *)&r->path,
                              S_ISREG(sb.st_mode) ? &r->size : NULL, 1, NULL, &r->stream);
    /* A file of a File-mode channel of the job counts as read from it (not
     * as a pass: a module reading file by file decides what a pass is). */
    for (size_t i = 0; st == OPTML_OK && ctx && i < ctx->n_channels; i++) {
        struct optml_channel *ch = &ctx->channels[i];
        size_t n = ch->path ? strlen(ch->path) : 0;
        if (n && strncmp(path, ch->path, n) == 0 && path[n] == '/') {
            r->ch = ch;
            break;
        }
    }
    return reader_finish(out, st);
}

optml_status optml_memory_open(optml_ctx *ctx, const void *data, size_t len,
                               enum optml_framing framing, optml_reader **out)
{
    if (out)
        *out = NULL;
    if (!out || (!data && len))
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_memory_open: NULL argument");
    optml_status st = reader_new(ctx, framing, out);
    if (st != OPTML_OK)
        return st;
    return reader_finish(out, rt_stream_open_memory(ctx, data, len, NULL, &(*out)->stream));
}

optml_status optml_reader_next(optml_reader *r, struct optml_record *rec)
{
    if (!r || !rec)
        return optml_error(r ? r->ctx : NULL, OPTML_E_INTERNAL, "optml_reader_next: NULL argument");
    memset(rec, 0, sizeof(*rec));
    optml_status st = rt_framer_next(&r->framer, r->stream, rec);
    r->records += st == OPTML_OK;
    return st;
}

optml_status optml_reader_set_record_size(optml_reader *r, size_t size)
{
    if (!r)
        return optml_error(NULL, OPTML_E_INTERNAL, "optml_reader_set_record_size: NULL reader");
    return rt_framer_set_fixed(&r->framer, size);
}

optml_status optml_reader_next_lines(optml_reader *r, size_t max, struct optml_lines *out)
{
    if (!r || !out)
        return optml_error(r ? r->ctx : NULL, OPTML_E_INTERNAL, "optml_reader_next_lines: NULL argument");
    return rt_framer_next_lines(&r->framer, r->stream, max, out);
}

double optml_reader_progress(const optml_reader *r)
{
    if (!r || !r->stream)
        return -1.0;
    int64_t total = rt_stream_raw_total(r->stream);
    if (total < 0)
        return -1.0;
    if (rt_stream_finished(r->stream))
        return 1.0;
    if (total == 0)
        return 0.0;
    double f = (double)rt_stream_raw_bytes(r->stream) / (double)total;
    return f > 1.0 ? 1.0 : f;
}

uint64_t optml_reader_bytes(const optml_reader *r)
{
    return r && r->stream ? rt_stream_raw_bytes(r->stream) : 0;
}

void optml_reader_close(optml_reader *r)
{
    if (!r)
        return;
    if (r->ch) {
        __atomic_add_fetch(&r->ch->bytes_read, optml_reader_bytes(r), __ATOMIC_RELAXED);
        __atomic_add_fetch(&r->ch->records_read, r->records, __ATOMIC_RELAXED);
    }
    rt_stream_close(r->stream);
    rt_framer_free(&r->framer);
    free(r->path);
    free(r);
}

struct rt_stream *rt_reader_stream(optml_reader *r) { return r ? r->stream : NULL; }
struct rt_framer *rt_reader_framer(optml_reader *r) { return r ? &r->framer : NULL; }
