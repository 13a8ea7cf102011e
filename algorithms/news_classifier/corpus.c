/*
 * corpus.c: the training rows and label set, and the streaming reader of
 * the newsCorpora.csv layout (ALGORITHMS.md A.1): TAB-separated, no
 * header (a header row of the column names is skipped and flagged), 8 fields, pandas-style quoting (a field that starts with '"' runs
 * to its closing quote across TABs and newlines; "" inside is a quote).
 * Rows with a missing, extra or empty field are dropped and counted, as the
 * workshop's dropna() does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "news_classifier/nc.h"

#define FIELDS 8
#define F_TITLE 1
#define F_CATEGORY 4

void nc_corpus_free(struct nc_corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->text[i]);
    free(c->text);
    free(c->label);
    memset(c, 0, sizeof(*c));
}

int nc_corpus_take(struct nc_corpus *c, char *text, uint32_t label)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        char **t = realloc(c->text, cap * sizeof(*t));
        if (!t)
            return -1;
        c->text = t;
        uint32_t *l = realloc(c->label, cap * sizeof(*l));
        if (!l)
            return -1;
        c->label = l;
        c->cap = cap;
    }
    c->text[c->n] = text;
    c->label[c->n++] = label;
    return 0;
}

int nc_corpus_add(struct nc_corpus *c, const char *text, size_t len, uint32_t label)
{
    char *s = malloc(len + 1);
    if (!s)
        return -1;
    memcpy(s, text, len);
    s[len] = 0;
    if (nc_corpus_take(c, s, label) != 0) {
        free(s);
        return -1;
    }
    return 0;
}

void nc_labels_free(struct nc_labels *l)
{
    for (size_t i = 0; i < l->k; i++) {
        free(l->code[i]);
        free(l->name[i]);
    }
    free(l->code);
    free(l->name);
    nc_strmap_free(&l->index);
    memset(l, 0, sizeof(*l));
}

int64_t nc_labels_intern(struct nc_labels *l, const char *code, size_t len)
{
    len = strnlen(code, len); /* the key is the stored string (a NUL ends it) */
    uint32_t *v = nc_strmap_get(&l->index, code, len);
    if (v)
        return *v;
    if (l->k >= NC_MAX_CLASSES)
        return -1;
    char **c = realloc(l->code, (l->k + 1) * sizeof(*c));
    if (!c)
        return -1;
    l->code = c;
    char **n = realloc(l->name, (l->k + 1) * sizeof(*n));
    if (!n)
        return -1;
    l->name = n;
    char *s = strndup(code, len), *t = strndup(code, len);
    if (!s || !t || nc_strmap_put(&l->index, code, len, (uint32_t)l->k, NULL) < 0) {
        free(s);
        free(t);
        return -1;
    }
    l->code[l->k] = s;
    l->name[l->k] = t;
    return (int64_t)l->k++;
}

void nc_tsv_init(struct nc_tsv *p, struct nc_corpus *out, struct nc_labels *labels)
{
    memset(p, 0, sizeof(*p));
    p->out = out;
    p->labels = labels;
    p->field_start = 1;
    p->line = 1;
    p->lines_seen = 1;
}

void nc_tsv_free(struct nc_tsv *p)
{
    free(p->row);
    p->row = NULL;
    p->len = p->cap = 0;
}

static int put(struct nc_tsv *p, char c)
{
    if (p->len + 1 >= p->cap) {
        if (p->cap >= NC_MAX_FIELD_SPAN) {
            snprintf(p->err, sizeof(p->err), "line %llu: a row runs past %u bytes (an unclosed quote?)",
                     (unsigned long long)p->line, NC_MAX_FIELD_SPAN);
            return -1;
        }
        size_t cap = p->cap ? p->cap * 2 : 256;
        char *r = realloc(p->row, cap);
        if (!r) {
            snprintf(p->err, sizeof(p->err), "out of memory reading line %llu", (unsigned long long)p->line);
            return -1;
        }
        p->row = r;
        p->cap = cap;
    }
    p->row[p->len++] = c;
    return 0;
}

static int end_field(struct nc_tsv *p)
{
    if (p->fields < FIELDS) {
        p->off[p->fields] = p->field_begin;
        p->flen[p->fields] = p->len - p->field_begin;
    }
    p->fields++;
    if (put(p, 0) != 0)
        return -1;
    p->field_begin = p->len;
    p->field_start = 1;
    return 0;
}

/* Whether the row holds the layout's column names (pandas' to_csv writes
 * them): TITLE and CATEGORY named so, in any case. */
static int is_header(const struct nc_tsv *p)
{
    return p->flen[F_TITLE] == 5 && strncasecmp(p->row + p->off[F_TITLE], "TITLE", 5) == 0 &&
           p->flen[F_CATEGORY] == 8 && strncasecmp(p->row + p->off[F_CATEGORY], "CATEGORY", 8) == 0;
}

static int end_row(struct nc_tsv *p)
{
    if (end_field(p) != 0)
        return -1;
    int blank = p->fields == 1 && p->flen[0] == 0;
    if (!blank) {
        int ok = p->fields == FIELDS;
        for (size_t f = 0; ok && f < FIELDS; f++)
            ok = p->flen[f] > 0;
        if (!ok) {
            p->out->dropped++;
            if (p->fields == 1 && memchr(p->row, ',', p->flen[0]))
                p->comma_rows++; /* a comma-separated corpus */
        } else if (p->line == 1 && is_header(p)) {
            p->header = 1; /* the column names: not a row of class "CATEGORY" */
        } else {
            int64_t id = nc_labels_intern(p->labels, p->row + p->off[F_CATEGORY], p->flen[F_CATEGORY]);
            size_t tl = p->flen[F_TITLE] < NC_MAX_TEXT ? p->flen[F_TITLE] : NC_MAX_TEXT;
            if (id < 0) {
                snprintf(p->err, sizeof(p->err), "line %llu: more than %d distinct CATEGORY values (or out of memory)",
                         (unsigned long long)p->line, NC_MAX_CLASSES);
                return -1;
            }
            if (nc_corpus_add(p->out, p->row + p->off[F_TITLE], tl, (uint32_t)id) != 0) {
                snprintf(p->err, sizeof(p->err), "out of memory at line %llu", (unsigned long long)p->line);
                return -1;
            }
            p->rows++;
        }
    }
    p->len = 0;
    p->fields = 0;
    p->field_begin = 0;
    p->field_start = 1;
    p->line = p->lines_seen;
    return 0;
}

int nc_tsv_feed(struct nc_tsv *p, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '\n')
            p->lines_seen++;
        if (p->in_quote) {
            if (p->quote_pending) {
                p->quote_pending = 0;
                if (c == '"') {
                    if (put(p, '"') != 0)
                        return -1;
                    continue;
                }
                p->in_quote = 0; /* closed: this byte is ordinary */
            } else if (c == '"') {
                p->quote_pending = 1;
                continue;
            } else {
                if (put(p, c) != 0)
                    return -1;
                continue;
            }
        } else if (p->field_start && c == '"') {
            p->field_start = 0;
            p->in_quote = 1;
            continue;
        }
        p->field_start = 0;
        if (c == '\t') {
            if (end_field(p) != 0)
                return -1;
        } else if (c == '\n') {
            if (p->len > p->field_begin && p->row[p->len - 1] == '\r')
                p->len--;
            if (end_row(p) != 0)
                return -1;
        } else if (put(p, c) != 0) {
            return -1;
        }
    }
    return 0;
}

int nc_tsv_finish(struct nc_tsv *p)
{
    if (p->in_quote && !p->quote_pending) {
        snprintf(p->err, sizeof(p->err), "line %llu: a quoted field is not closed before the end of the file",
                 (unsigned long long)p->line);
        return -1;
    }
    p->in_quote = p->quote_pending = 0;
    if (p->len > 0 || p->fields > 0)
        return end_row(p);
    return 0;
}
