/*
 * parse.h: one CSV line or RecordIO-protobuf Record into a struct ll_row
 * (see parse.c).  Used by training (with labels) and by predict (without).
 */
#ifndef OPTML_LL_PARSE_H
#define OPTML_LL_PARSE_H

#include "linear_learner/ll.h"
#include "codec/protobuf_record.h"

enum ll_format { LL_FMT_CSV, LL_FMT_PROTOBUF };

enum {
    LL_PARSE_OK = 0,
    LL_PARSE_SKIP = 1,    /* a blank CSV line: no row */
    LL_PARSE_BAD = -1,    /* malformed: err says why */
    LL_PARSE_NOMEM = -2
};

struct ll_parser {
    enum ll_format fmt;
    int has_label;
    size_t *D;            /* shared dimension: 0 until the first row sets it */
    float *vals;
    uint32_t *idx;
    size_t cap;
    struct pb_record pb;
    int sparse_seen;      /* a sparse row was parsed */
    int dim_mismatch;     /* the last LL_PARSE_BAD was a feature-count mismatch */
    char err[256];
};

int ll_parser_init(struct ll_parser *p, enum ll_format fmt, int has_label, size_t *D);
void ll_parser_free(struct ll_parser *p);
/* Parse one record.  The row points into the parser (valid until the next
 * call).  Returns an LL_PARSE_* code. */
int ll_parse_record(struct ll_parser *p, const unsigned char *data, size_t len, struct ll_row *row);

#endif
