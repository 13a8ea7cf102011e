/*
 * parse.c: one record (a CSV line or a RecordIO-protobuf Record) into a
 * struct ll_row, for training (label first / label["values"]) and for
 * requests (features only).  Checks the feature count against the
 * dimension, which the first row sets when it is not known yet.  Owns the
 * parser's scratch buffers; the row it returns points into them.
 */
#include "linear_learner/parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/csv_floats.h"

int ll_parser_init(struct ll_parser *p, enum ll_format fmt, int has_label, size_t *D)
{
    memset(p, 0, sizeof(*p));
    p->fmt = fmt;
    p->has_label = has_label;
    p->D = D;
    return 0;
}

void ll_parser_free(struct ll_parser *p)
{
    free(p->vals);
    free(p->idx);
    pb_record_free(&p->pb);
    memset(p, 0, sizeof(*p));
}

static int grow(struct ll_parser *p, size_t n)
{
    if (n <= p->cap)
        return 0;
    size_t cap = p->cap ? p->cap : 64;
    while (cap < n)
        cap *= 2;
    float *v = realloc(p->vals, cap * sizeof(float));
    if (!v)
        return -1;
    p->vals = v;
    uint32_t *i = realloc(p->idx, cap * sizeof(uint32_t));
    if (!i)
        return -1;
    p->idx = i;
    p->cap = cap;
    return 0;
}

/* The dimension check shared by both formats: sets *D from the first row. */
static int check_dim(struct ll_parser *p, uint64_t n)
{
    if (n == 0) {
        snprintf(p->err, sizeof(p->err), "the row has no features");
        return LL_PARSE_BAD;
    }
    if (*p->D == 0) {
        if (n > LL_MAX_DIM) {
            snprintf(p->err, sizeof(p->err), "%llu features is more than the %u supported",
                     (unsigned long long)n, LL_MAX_DIM);
            return LL_PARSE_BAD;
        }
        *p->D = (size_t)n;
    }
    if (n != *p->D && !p->has_label && n == *p->D + 1) {
        /* A request row one value too long: most likely the label. */
        snprintf(p->err, sizeof(p->err), "expected %zu features, got %llu%s", *p->D, (unsigned long long)n,
                 LL_LABEL_INCLUDED_HINT);
        p->dim_mismatch = 1;
        return LL_PARSE_BAD;
    }
    if (n != *p->D) {
        snprintf(p->err, sizeof(p->err), "the row has %llu features, expected %zu (feature_dim)",
                 (unsigned long long)n, *p->D);
        p->dim_mismatch = 1;
        return LL_PARSE_BAD;
    }
    return LL_PARSE_OK;
}

static int parse_csv(struct ll_parser *p, const unsigned char *data, size_t len, struct ll_row *row)
{
    const char *line = (const char *)data;
    char why[160];
    if (grow(p, 64) != 0)
        return LL_PARSE_NOMEM;
    /* Parse into the scratch as it is; a longer row grows it and is parsed
     * again (once: rows of a channel have one length). */
    long got = csv_parse_floats(line, len, p->vals, p->cap, why, sizeof(why));
    if (got > 0 && (size_t)got > p->cap) {
        if (grow(p, (size_t)got) != 0)
            return LL_PARSE_NOMEM;
        got = csv_parse_floats(line, len, p->vals, p->cap, why, sizeof(why));
    }
    if (got == 0)
        return LL_PARSE_SKIP;
    if (got < 0) {
        snprintf(p->err, sizeof(p->err), "%s", why);
        return LL_PARSE_BAD;
    }
    size_t off = p->has_label ? 1 : 0;
    if ((size_t)got <= off) {
        snprintf(p->err, sizeof(p->err), "the row has a label but no features");
        return LL_PARSE_BAD;
    }
    int r = check_dim(p, (uint64_t)got - off);
    if (r != LL_PARSE_OK)
        return r;
    row->label = off ? p->vals[0] : 0.0f;
    row->nnz = (size_t)got - off;
    row->idx = NULL;
    row->val = p->vals + off;
    return LL_PARSE_OK;
}

static int parse_pb(struct ll_parser *p, const unsigned char *data, size_t len, struct ll_row *row)
{
    char why[200];
    if (pb_decode(data, len, &p->pb, why, sizeof(why)) != 0) {
        snprintf(p->err, sizeof(p->err), "%s", why);
        return LL_PARSE_BAD;
    }
    const struct pb_tensor *f = &p->pb.features;
    if (!f->present) {
        snprintf(p->err, sizeof(p->err), "the record has no features[\"values\"] tensor");
        return LL_PARSE_BAD;
    }
    row->label = 0.0f;
    if (p->has_label) {
        const struct pb_tensor *l = &p->pb.label;
        if (!l->present || l->n_values < 1) {
            snprintf(p->err, sizeof(p->err), "the record has no label[\"values\"] value");
            return LL_PARSE_BAD;
        }
        row->label = l->values[0];
        if (!isfinite(row->label)) {
            snprintf(p->err, sizeof(p->err), "the label is not a finite number");
            return LL_PARSE_BAD;
        }
    }
    int r = check_dim(p, pb_tensor_size(f));
    if (r != LL_PARSE_OK)
        return r;
    for (size_t i = 0; i < f->n_values; i++)
        if (!isfinite(f->values[i])) {
            snprintf(p->err, sizeof(p->err), "feature value %zu is not a finite number", i);
            return LL_PARSE_BAD;
        }
    if (!pb_tensor_is_sparse(f)) {
        row->nnz = f->n_values;
        row->idx = NULL;
        row->val = f->values;
        return LL_PARSE_OK;
    }
    p->sparse_seen = 1;
    if (grow(p, f->n_keys) != 0)
        return LL_PARSE_NOMEM;
    for (size_t i = 0; i < f->n_keys; i++)
        p->idx[i] = (uint32_t)f->keys[i]; /* < size == *D <= LL_MAX_DIM (decode checked the shape) */
    row->nnz = f->n_keys;
    row->idx = p->idx;
    row->val = f->values;
    return LL_PARSE_OK;
}

int ll_parse_record(struct ll_parser *p, const unsigned char *data, size_t len, struct ll_row *row)
{
    p->err[0] = 0;
    p->dim_mismatch = 0;
    return p->fmt == LL_FMT_CSV ? parse_csv(p, data, len, row) : parse_pb(p, data, len, row);
}
