/*
 * data.c: reading the training and validation channels.  In File mode a
 * channel's files named glove*.txt are GloVe vectors, every other file is a
 * newsCorpora.csv-layout corpus; in Pipe mode the stream is the corpus.
 * Each file is parsed on its own (a row never spans files); gzip works
 * through the runtime's reader.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "news_classifier/data.h"

static int is_glove(const char *rel)
{
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    size_t n = strlen(base);
    if (strncasecmp(base, "glove", 5) != 0)
        return 0;
    return (n > 4 && strcasecmp(base + n - 4, ".txt") == 0) || (n > 7 && strcasecmp(base + n - 7, ".txt.gz") == 0);
}

/* Feed one reader's lines (newline restored) to a fresh TSV parser. */
static optml_status read_stream(optml_ctx *ctx, optml_reader *rd, const char *chan, const char *name,
                                struct nc_corpus *c, struct nc_labels *labels)
{
    struct nc_tsv p;
    nc_tsv_init(&p, c, labels);
    struct optml_record rec;
    optml_status s;
    uint64_t before = c->dropped;
    while ((s = optml_reader_next(rd, &rec)) == OPTML_OK) {
        if (nc_tsv_feed(&p, (const char *)rec.data, rec.len) != 0 || nc_tsv_feed(&p, "\n", 1) != 0) {
            s = OPTML_E_CLIENT;
            break;
        }
        if ((rec.number & 0x3fff) == 0 && optml_should_stop(ctx)) {
            s = OPTML_STOPPED;
            break;
        }
    }
    if (s == OPTML_END)
        s = nc_tsv_finish(&p) == 0 ? OPTML_OK : OPTML_E_CLIENT;
    if (s == OPTML_E_CLIENT && p.err[0])
        s = optml_error(ctx, OPTML_E_CLIENT, "Unable to parse %s file %s: %s", chan, name, p.err);
    uint64_t dropped = c->dropped - before;
    /* A file none of whose rows has the layout is a mistake, not data to
     * drop quietly; commas without TABs name the likely one. */
    if (s == OPTML_OK && p.rows == 0 && dropped > 0)
        s = optml_error(ctx, OPTML_E_CLIENT, "%s file %s has no row with the 8 TAB-separated fields of the "
                        "newsCorpora.csv layout (ID TITLE URL PUBLISHER CATEGORY STORY HOSTNAME TIMESTAMP): "
                        "%llu rows dropped%s", chan, name, (unsigned long long)dropped,
                        p.comma_rows * 2 >= dropped ? "; its rows are comma-separated: the corpus must be "
                                                      "TAB-separated (newsCorpora.csv is, despite its name)"
                                                    : "");
    if (s == OPTML_OK && p.header)
        optml_log(ctx, OPTML_LOG_WARNING, "%s: %s: line 1 is a header row (TITLE, CATEGORY, ...), skipped: the "
                  "newsCorpora.csv layout has none", chan, name);
    if (s == OPTML_OK)
        optml_log(ctx, OPTML_LOG_INFO, "%s: %s: %llu rows, %llu dropped (missing, extra or empty fields)", chan,
                  name, (unsigned long long)p.rows, (unsigned long long)dropped);
    nc_tsv_free(&p);
    return s;
}

static optml_status read_channel(optml_ctx *ctx, const optml_channel *ch, const char *chan, struct nc_corpus *c,
                                 struct nc_labels *labels, struct nc_paths *glove);

optml_status nc_read_channel(optml_ctx *ctx, const char *chan, struct nc_corpus *c, struct nc_labels *labels,
                             struct nc_paths *glove)
{
    const optml_channel *ch = optml_channel_get(ctx, chan);
    if (!ch)
        return OPTML_OK;
    size_t rows0 = c->n;
    uint64_t dropped0 = c->dropped;
    optml_status s = read_channel(ctx, ch, chan, c, labels, glove);
    if (s == OPTML_OK) /* for the training report */
        optml_report_rows(ctx, chan, c->n - rows0, c->dropped - dropped0);
    return s;
}

static optml_status read_channel(optml_ctx *ctx, const optml_channel *ch, const char *chan, struct nc_corpus *c,
                                 struct nc_labels *labels, struct nc_paths *glove)
{
    optml_reader *rd;
    optml_status s;
    if (optml_channel_mode(ch) == OPTML_MODE_PIPE) {
        if ((s = optml_channel_open(ctx, ch, OPTML_FRAME_LINES, &rd)) != OPTML_OK)
            return s;
        s = read_stream(ctx, rd, chan, "(pipe)", c, labels);
        optml_reader_close(rd);
        return s;
    }
    const char *const *paths;
    size_t n;
    if ((s = optml_channel_files(ctx, ch, &paths, &n)) != OPTML_OK)
        return s;
    size_t corpora = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_glove(paths[i])) {
            if (glove && glove->n < NC_MAX_GLOVE)
                glove->path[glove->n++] = optml_channel_file_path(ch, i);
            continue;
        }
        if ((s = optml_file_open(ctx, optml_channel_file_path(ch, i), OPTML_FRAME_LINES, &rd)) != OPTML_OK)
            return s;
        s = read_stream(ctx, rd, chan, paths[i], c, labels);
        optml_reader_close(rd);
        if (s != OPTML_OK)
            return s;
        corpora++;
    }
    if (corpora == 0)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "channel '%s' has no corpus file (newsCorpora.csv layout: 8 TAB-separated fields)", chan);
    return OPTML_OK;
}

/* UCI's four categories, in the workshop's id order, with its names. */
static const char *const UCI_CODE[] = {"b", "t", "e", "m"};
static const char *const UCI_NAME[] = {"Business", "Science & Technology", "Entertainment", "Health & Medicine"};

static int is_uci(const struct nc_labels *l)
{
    if (l->k != 4)
        return 0;
    for (int i = 0; i < 4; i++)
        if (!nc_strmap_get(&l->index, UCI_CODE[i], 1))
            return 0;
    return 1;
}

optml_status nc_labels_canonical(optml_ctx *ctx, struct nc_labels *l, struct nc_corpus *const *corpora, size_t n)
{
    uint32_t order[NC_MAX_CLASSES], newid[NC_MAX_CLASSES];
    for (uint32_t i = 0; i < l->k; i++) { /* names are served as JSON strings */
        json_t *j = json_string(l->code[i]);
        if (!j)
            return optml_error(ctx, OPTML_E_CLIENT,
                               "CATEGORY value number %u (in order of appearance) is not valid UTF-8 text", i + 1);
        json_decref(j);
    }
    int uci = is_uci(l);
    if (uci) {
        for (uint32_t i = 0; i < 4; i++)
            order[i] = *nc_strmap_get(&l->index, UCI_CODE[i], 1);
    } else {
        for (uint32_t i = 0; i < l->k; i++) { /* insertion sort by code (k is small) */
            uint32_t j = i;
            while (j > 0 && strcmp(l->code[order[j - 1]], l->code[i]) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
    }
    char **code = malloc(l->k * sizeof(char *)), **name = malloc(l->k * sizeof(char *));
    if (!code || !name) {
        free(code);
        free(name);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < l->k; i++) {
        newid[order[i]] = i;
        code[i] = l->code[order[i]];
        name[i] = l->name[order[i]];
        if (uci) {
            char *nm = strdup(UCI_NAME[i]);
            if (nm) {
                free(name[i]);
                name[i] = nm;
            }
        }
        *nc_strmap_get(&l->index, code[i], strlen(code[i])) = i;
    }
    free(l->code);
    free(l->name);
    l->code = code;
    l->name = name;
    for (size_t c = 0; c < n; c++)
        for (size_t r = 0; r < corpora[c]->n; r++)
            corpora[c]->label[r] = newid[corpora[c]->label[r]];
    return OPTML_OK;
}

optml_status nc_labels_rename(optml_ctx *ctx, struct nc_labels *l, const char *json)
{
    if (!json)
        return OPTML_OK;
    json_error_t err;
    json_t *o = json_loads(json, 0, &err);
    optml_status s = OPTML_OK;
    if (!o || !json_is_object(o)) {
        s = optml_error(ctx, OPTML_E_CLIENT, "label_names must be a JSON object of CATEGORY value -> name");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        const uint32_t *id = nc_strmap_get(&l->index, key, strlen(key));
        if (!id) {
            s = optml_error(ctx, OPTML_E_CLIENT, "label_names names '%.100s', which is not a CATEGORY value in the data",
                            key);
            goto out;
        }
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4096 ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            s = optml_error(ctx, OPTML_E_CLIENT, "label_names['%.100s'] must be a non-empty string", key);
            goto out;
        }
        char *nm = strdup(json_string_value(v));
        if (!nm) {
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
            goto out;
        }
        free(l->name[*id]);
        l->name[*id] = nm;
    }
out:
    json_decref(o);
    return s;
}
