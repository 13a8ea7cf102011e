/*
 * predict.c: one /invocations request.  The body (text/csv,
 * application/json, application/jsonlines or application/x-recordio-protobuf)
 * becomes one row set, scored with one matrix product against the folded
 * weights, and answered as application/json, application/jsonlines or
 * application/x-recordio-protobuf in the shapes of ALGORITHMS.md C.5.
 * The types are the module table's lists, defined here from ll.h's enums;
 * the runtime negotiated them, so predict switches on their indexes.
 * Runs concurrently on a read-only model: everything else is per request.
 */
#include <stdlib.h>
#include <string.h>

#include "linear_learner/json_input.h"
#include "linear_learner/ll.h"
#include "linear_learner/parse.h"
#include "codec/csv_hint.h"
#include "codec/protobuf_record.h"

/* The module table's request_types / response_types, indexed by the enums
 * in ll.h. */
const char *const ll_request_types[LL_N_IN + 1] = {
    [LL_IN_CSV] = "text/csv",
    [LL_IN_JSON] = "application/json",
    [LL_IN_JSONLINES] = "application/jsonlines",
    [LL_IN_PROTOBUF] = "application/x-recordio-protobuf",
    [LL_N_IN] = NULL,
};
/* text/csv responses are not supported, as with the built-in (examples #821). */
const char *const ll_response_types[LL_N_OUT + 1] = {
    [LL_OUT_JSON] = "application/json",
    [LL_OUT_JSONLINES] = "application/jsonlines",
    [LL_OUT_PROTOBUF] = "application/x-recordio-protobuf",
    [LL_N_OUT] = NULL,
};

/* Rows of a CSV or RecordIO-protobuf body. */
static optml_status framed_rows(optml_ctx *ctx, const struct ll_model *m, const struct optml_request *req,
                                enum ll_format fmt, struct ll_rows *out)
{
    size_t D = m->D;
    struct ll_parser p;
    ll_parser_init(&p, fmt, 0, &D);
    optml_reader *r = NULL;
    optml_status s = optml_memory_open(ctx, req->body, req->len,
                                       fmt == LL_FMT_CSV ? OPTML_FRAME_LINES : OPTML_FRAME_RECORDIO, &r);
    if (s != OPTML_OK)
        goto out;
    struct optml_record rec;
    const char *unit = fmt == LL_FMT_CSV ? "line" : "record";
    uint64_t blank = 0; /* the first blank line since the last row */
    while ((s = optml_reader_next(r, &rec)) == OPTML_OK) {
        struct ll_row row;
        int pr = ll_parse_record(&p, rec.data, rec.len, &row);
        if (pr == LL_PARSE_SKIP) {
            blank = blank ? blank : rec.number;
            continue;
        }
        if (blank) { /* blank lines at the end shift nothing: only those before a row count */
            s = optml_error(ctx, OPTML_E_CLIENT, LL_BLANK_LINE_MESSAGE, (unsigned long long)blank, "text/csv");
            break;
        }
        if (pr == LL_PARSE_NOMEM || (pr == LL_PARSE_OK && ll_rows_add(out, &row, 1.0f) != 0)) {
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory reading the request");
            break;
        }
        if (pr != LL_PARSE_OK) {
            enum csv_mistake mk = fmt == LL_FMT_CSV && !p.dim_mismatch
                                     ? csv_guess_mistake((const char *)rec.data, rec.len, rec.number == 1)
                                     : CSV_NO_GUESS;
            s = optml_error(ctx, OPTML_E_CLIENT, "%s %llu: %s%s%s", unit, (unsigned long long)rec.number, p.err,
                            mk ? "; " : "",
                            mk == CSV_JSON ? "the body looks like JSON: send it with Content-Type application/json "
                                            "(or application/jsonlines, one instance a line)"
                                          : csv_mistake_hint(mk));
            break;
        }
        if (rec.number % 1024 == 0 && optml_should_stop(ctx)) {
            s = optml_error(ctx, OPTML_E_TIMEOUT, "prediction cancelled");
            break;
        }
    }
    if (s == OPTML_END)
        s = out->n || !blank ? OPTML_OK
                             : optml_error(ctx, OPTML_E_CLIENT, "the request has no rows: every line is blank");
out:
    if (r)
        optml_reader_close(r);
    ll_parser_free(&p);
    return s;
}

/* One prediction as a JSON object. */
static optml_status json_object(optml_response *resp, const struct ll_model *m, const float *score)
{
    optml_status s = optml_response_printf(resp, "{\"score\": ");
    if (m->type == LL_MULTICLASS) {
        s = s == OPTML_OK ? optml_response_printf(resp, "[") : s;
        for (size_t k = 0; k < m->K && s == OPTML_OK; k++) {
            if (k)
                s = optml_response_printf(resp, ", ");
            if (s == OPTML_OK)
                s = optml_response_number(resp, score[k]);
        }
        s = s == OPTML_OK ? optml_response_printf(resp, "]") : s;
    } else if (s == OPTML_OK) {
        s = optml_response_number(resp, score[0]);
    }
    if (s == OPTML_OK && m->type != LL_REGRESSOR)
        s = optml_response_printf(resp, ", \"predicted_label\": %d", (int)ll_model_label(m, score));
    return s == OPTML_OK ? optml_response_printf(resp, "}") : s;
}

static optml_status respond_protobuf(optml_ctx *ctx, const struct ll_model *m, const float *scores, size_t n,
                                     optml_response *resp)
{
    optml_status s = OPTML_OK;
    struct pb_out out = {0};
    for (size_t i = 0; i < n && s == OPTML_OK; i++) {
        const float *sc = scores + i * m->K;
        float label = ll_model_label(m, sc);
        if (pb_write_prediction(&out, sc, m->K, m->type == LL_REGRESSOR ? NULL : &label) != 0)
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory encoding the response");
    }
    if (s == OPTML_OK && out.len)
        s = optml_response_append(resp, out.data, out.len);
    pb_out_free(&out);
    return s;
}

/* {"predictions": [...]} (application/json), or one object a line. */
static optml_status respond_json(const struct ll_model *m, int lines, const float *scores, size_t n,
                                 optml_response *resp)
{
    optml_status s = OPTML_OK;
    if (!lines)
        s = optml_response_printf(resp, "{\"predictions\": [");
    for (size_t i = 0; i < n && s == OPTML_OK; i++) {
        if (!lines && i)
            s = optml_response_printf(resp, ", ");
        if (s == OPTML_OK)
            s = json_object(resp, m, scores + i * m->K);
        if (s == OPTML_OK && lines)
            s = optml_response_printf(resp, "\n");
    }
    if (s == OPTML_OK && !lines)
        s = optml_response_printf(resp, "]}");
    return s;
}

/* Largest dense copy of a request's rows, in floats: a few times the body,
 * so a body of short sparse instances cannot expand into gigabytes. */
static size_t dense_budget(size_t body_len)
{
    return 4 * body_len + ((size_t)1 << 20);
}

optml_status ll_predict(optml_ctx *ctx, const void *model, const struct optml_request *req, optml_response *resp)
{
    const struct ll_model *m = model;
    struct ll_rows rows, dense;
    float *scores = NULL;
    int csv = req->content_index == LL_IN_CSV;
    memset(&dense, 0, sizeof(dense));
    /* CSV rows are dense text (at least 2 bytes a value): stored dense.
     * JSON and protobuf may be sparse: stored as CSR, densified below for
     * one matrix product when that stays small. */
    if (ll_rows_init(&rows, m->D, !csv || m->D > 65536, 0) != 0)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    optml_status s;
    switch ((enum ll_request_type)req->content_index) {
    case LL_IN_CSV:
        s = framed_rows(ctx, m, req, LL_FMT_CSV, &rows);
        break;
    case LL_IN_PROTOBUF:
        s = framed_rows(ctx, m, req, LL_FMT_PROTOBUF, &rows);
        break;
    case LL_IN_JSONLINES:
        s = ll_jsonlines_rows(ctx, req->body, req->len, m->D, &rows);
        break;
    case LL_IN_JSON:
        s = ll_json_rows(ctx, req->body, req->len, m->D, &rows);
        break;
    default:
        s = optml_error(ctx, OPTML_E_INTERNAL, "request type index %d is not one of linear-learner's",
                        req->content_index);
        break;
    }
    if (s != OPTML_OK)
        goto out;
    const struct ll_rows *X = &rows;
    if (rows.sparse && rows.n && m->D <= dense_budget(req->len) / rows.n) {
        if (ll_rows_init(&dense, m->D, 0, rows.n) != 0) {
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
            goto out;
        }
        struct ll_row r;
        for (size_t i = 0; i < rows.n; i++) {
            ll_rows_get(&rows, i, &r);
            if (ll_rows_add(&dense, &r, 1.0f) != 0) {
                s = optml_error(ctx, OPTML_E_NOMEM, "out of memory scoring %zu rows", rows.n);
                goto out;
            }
        }
        X = &dense;
    }
    if (X->n && !(scores = malloc(X->n * m->K * sizeof(float)))) {
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory scoring %zu rows", X->n);
        goto out;
    }
    if (X->n) {
        ll_model_logits(m, X, scores);
        ll_model_transform(m, scores, X->n);
    }
    switch ((enum ll_response_type)req->accept_index) {
    case LL_OUT_JSON:
        s = respond_json(m, 0, scores, X->n, resp);
        break;
    case LL_OUT_JSONLINES:
        s = respond_json(m, 1, scores, X->n, resp);
        break;
    case LL_OUT_PROTOBUF:
        s = respond_protobuf(ctx, m, scores, X->n, resp);
        break;
    default:
        s = optml_error(ctx, OPTML_E_INTERNAL, "response type index %d is not one of linear-learner's",
                        req->accept_index);
        break;
    }
out:
    free(scores);
    ll_rows_free(&rows);
    ll_rows_free(&dense);
    return s;
}
