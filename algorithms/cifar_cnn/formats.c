/*
 * formats.c: what each file of a File-mode channel holds, recognised from
 * its content (and, for CIFAR-10 binary, which has no magic number, its
 * name and size), never from the channel's ContentType:
 *   TFRecord       the first 12 bytes (after gzip) are a record header whose
 *                  length CRC checks;
 *   IDX            00 00 08 <dims>: an images file (3 or 4 dimensions) named
 *                  <stem>-images-idx3-ubyte[.gz] paired with the labels file
 *                  <stem>-labels-idx1-ubyte[.gz] beside it;
 *   CIFAR-10       a *.bin file whose size is a non-zero multiple of 3,073.
 * Documentation files (.txt .html .md .json .meta) are skipped; anything
 * else, a file that could be two formats, or half an IDX pair is a
 * ClientError that says how to name it.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cifar_cnn/data.h"
#include "codec/idx.h"
#include "codec/pixels.h"

const char *cc_format_name(int format)
{
    switch (format) {
    case CC_FMT_TFRECORD:
        return "TFRecord";
    case CC_FMT_CIFAR:
        return "CIFAR-10 binary";
    case CC_FMT_IDX:
        return "IDX";
    case CC_FMT_PIPE:
        return "TFRecord (Pipe mode)";
    }
    return "?";
}

void cc_plan_free(struct cc_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_src; i++) {
        if (p->src[i].format == CC_FMT_IDX) {
            free((char *)p->src[i].labels_name);
            free((char *)p->src[i].labels_path);
        }
    }
    free(p->src);
    memset(p, 0, sizeof(*p));
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int doc_file(const char *name)
{
    static const char *const DOCS[] = {".txt", ".html", ".htm", ".md", ".json", ".meta", NULL};
    for (size_t i = 0; DOCS[i]; i++)
        if (ends_with(name, DOCS[i]))
            return 1;
    return 0;
}

/* The first (up to) 12 decoded bytes of `path` into head; *n how many. */
static optml_status file_head(optml_ctx *ctx, const char *path, unsigned char head[12], size_t *n)
{
    optml_reader *r = NULL;
    optml_status st = optml_file_open(ctx, path, OPTML_FRAME_FIXED, &r);
    if (st != OPTML_OK)
        return st;
    struct optml_record rec;
    *n = 0;
    if ((st = optml_reader_set_record_size(r, 12)) == OPTML_OK && (st = optml_reader_next(r, &rec)) == OPTML_OK) {
        *n = rec.len;
        memcpy(head, rec.data, rec.len);
    }
    optml_reader_close(r);
    return st == OPTML_END ? OPTML_OK : st;
}

static int idx_magic(const unsigned char *h, size_t n)
{
    return n >= 4 && h[0] == 0 && h[1] == 0 && h[2] == IDX_UBYTE && h[3] >= 1 && h[3] <= 4;
}

/* Index of the listed file called `name`, or `count`. */
static size_t find_name(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return count;
}

/* The labels file of images file `name` among the channel's files: the same
 * folder, <stem>-labels-idx1-ubyte with or without .gz. */
static size_t labels_of(const char *const *names, size_t count, const char *name, char *want, size_t wantsz)
{
    const char *slash = strrchr(name, '/');
    size_t dir = slash ? (size_t)(slash - name) + 1 : 0;
    char base[1024];
    want[0] = 0;
    if (dir >= wantsz || !idx_labels_name(name + dir, base, sizeof(base)))
        return count;
    snprintf(want, wantsz, "%.*s%s", (int)dir, name, base);
    size_t i = find_name(names, count, want);
    if (i < count)
        return i;
    char alt[2048 + 4];
    size_t wl = strnlen(want, 2047);
    if (ends_with(want, ".gz"))
        snprintf(alt, sizeof(alt), "%.*s", (int)(wl - 3), want);
    else
        snprintf(alt, sizeof(alt), "%.*s.gz", (int)wl, want);
    return find_name(names, count, alt);
}

static optml_status add_source(optml_ctx *ctx, struct cc_plan *p, const struct cc_source *s)
{
    struct cc_source *n = realloc(p->src, (p->n_src + 1) * sizeof(*n));
    if (!n)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory planning channel '%s'", p->channel);
    p->src = n;
    p->src[p->n_src++] = *s;
    return OPTML_OK;
}

optml_status cc_plan_channel(optml_ctx *ctx, const optml_channel *ch, struct cc_plan *out)
{
    memset(out, 0, sizeof(*out));
    out->ch = ch;
    out->channel = optml_channel_name(ch);
    if (optml_channel_mode(ch) == OPTML_MODE_PIPE)
        return add_source(ctx, out, &(struct cc_source){.format = CC_FMT_PIPE, .name = out->channel});
    const char *const *names = NULL;
    size_t count = 0;
    optml_status st = optml_channel_files(ctx, ch, &names, &count);
    if (st != OPTML_OK)
        return st;
    unsigned char *is_labels = calloc(count ? count : 1, 1), *claimed = calloc(count ? count : 1, 1);
    if (!is_labels || !claimed) {
        free(is_labels);
        free(claimed);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory planning channel '%s'", out->channel);
    }
    const char *chn = out->channel;
    for (size_t i = 0; i < count && st == OPTML_OK; i++) {
        const char *name = names[i], *path = optml_channel_file_path(ch, i);
        struct stat sb;
        uint64_t size = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        unsigned char head[12];
        size_t n = 0;
        if ((st = file_head(ctx, path, head, &n)) != OPTML_OK)
            break;
        int tf = n == 12 && optml_tfrecord_header_valid(head, NULL);
        int bin = cifar_bin_candidate(name, size);
        if (tf && bin) {
            st = optml_error(ctx, OPTML_E_CLIENT,
                             "file '%s' of channel '%s' could be TFRecord or CIFAR-10 binary (its first bytes are a "
                             "TFRecord header and its size, %" PRIu64 " bytes, a multiple of 3,073): name a TFRecord "
                             "file *.tfrecords, and keep *.bin for CIFAR-10 binary batches", name, chn, size);
        } else if (bin) {
            st = add_source(ctx, out, &(struct cc_source){.format = CC_FMT_CIFAR, .name = name, .path = path});
        } else if (tf) {
            st = add_source(ctx, out, &(struct cc_source){.format = CC_FMT_TFRECORD, .name = name, .path = path});
        } else if (idx_magic(head, n) && head[3] == 1) {
            is_labels[i] = 1; /* taken by its images file below */
        } else if (idx_magic(head, n)) {
            char want[2048];
            size_t j = labels_of(names, count, name, want, sizeof(want));
            if (j == count) {
                if (!want[0] || strcmp(want, name) == 0)
                    st = optml_error(ctx, OPTML_E_CLIENT,
                                     "IDX file '%s' of channel '%s': name an images file <stem>-images-idx3-ubyte "
                                     "(or .gz) and put its labels beside it in <stem>-labels-idx1-ubyte", name, chn);
                else
                    st = optml_error(ctx, OPTML_E_CLIENT,
                                     "IDX images file '%s' of channel '%s' has no labels file: expected '%s' (or "
                                     "with .gz) beside it", name, chn, want);
                break;
            }
            claimed[j] = 1;
            char *ln = strdup(names[j]), *lp = strdup(optml_channel_file_path(ch, j));
            if (!ln || !lp) {
                free(ln);
                free(lp);
                st = optml_error(ctx, OPTML_E_NOMEM, "out of memory planning channel '%s'", chn);
                break;
            }
            st = add_source(ctx, out, &(struct cc_source){.format = CC_FMT_IDX, .name = name, .path = path,
                                                          .labels_name = ln, .labels_path = lp});
            if (st != OPTML_OK) {
                free(ln);
                free(lp);
            }
        } else if (ends_with(name, ".bin") || ends_with(name, ".bin.gz")) {
            st = optml_error(ctx, OPTML_E_CLIENT,
                             "file '%s' of channel '%s' is named like a CIFAR-10 binary batch but is %" PRIu64
                             " bytes, not a non-zero multiple of 3,073 (uncompressed records of a label byte and "
                             "3,072 pixels); it is not TFRecord or IDX either", name, chn, size);
        } else if (doc_file(name)) {
            optml_log(ctx, OPTML_LOG_INFO, "channel '%s': skipping '%s' (not image data)", chn, name);
            out->skipped++;
        } else if (size > 0 && size % CIFAR_RECORD == 0) {
            st = optml_error(ctx, OPTML_E_CLIENT,
                             "file '%s' of channel '%s' is not TFRecord or IDX; its size (%" PRIu64 " bytes) is a "
                             "multiple of 3,073: if it holds CIFAR-10 binary records, name it *.bin", name, chn, size);
        } else {
            st = optml_error(ctx, OPTML_E_CLIENT,
                             "file '%s' of channel '%s' is none of the formats cifar-cnn reads: TFRecord of "
                             "tf.train.Example (image, label), CIFAR-10 binary batches (*.bin, 3,073-byte records), "
                             "IDX pairs (<stem>-images-idx3-ubyte with <stem>-labels-idx1-ubyte, gzip or not)",
                             name, chn);
        }
    }
    for (size_t i = 0; i < count && st == OPTML_OK; i++)
        if (is_labels[i] && !claimed[i])
            st = optml_error(ctx, OPTML_E_CLIENT,
                             "IDX labels file '%s' of channel '%s' has no images file: name the pair "
                             "<stem>-images-idx3-ubyte and <stem>-labels-idx1-ubyte (gzip or not)", names[i], chn);
    if (st == OPTML_OK && out->n_src == 0)
        st = optml_error(ctx, OPTML_E_CLIENT, "channel '%s' holds no image data (%zu file%s)", chn, count,
                         count == 1 ? "" : "s");
    free(is_labels);
    free(claimed);
    if (st != OPTML_OK)
        cc_plan_free(out);
    return st;
}
