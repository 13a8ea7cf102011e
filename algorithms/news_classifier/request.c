/*
 * request.c: the headlines of one /invocations body.
 *   application/json       {"input": "headline"} (the workshop's shape) or
 *                          {"input": ["h1", "h2", ...]}, optional
 *                          "verbose": true
 *   application/jsonlines  one {"input": "..."} object or JSON string per line
 *   text/plain             one headline per line (blank lines skipped)
 * Parsing only: predict.c scores and answers.  The runtime negotiated the
 * Content-Type: nc_parse_request switches on its index in nc_request_types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "news_classifier/request.h"

/* The module table's request_types, indexed by enum nc_request_type. */
const char *const nc_request_types[NC_N_IN + 1] = {
    [NC_IN_JSON] = "application/json",
    [NC_IN_JSONLINES] = "application/jsonlines",
    [NC_IN_TEXT] = "text/plain",
    [NC_N_IN] = NULL,
};

void nc_inputs_free(struct nc_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->text[i]);
    free(in->text);
    free(in->len);
    memset(in, 0, sizeof(*in));
}

static int add(struct nc_inputs *in, const char *s, size_t len)
{
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 8;
        char **t = realloc(in->text, cap * sizeof(*t));
        if (!t)
            return -1;
        in->text = t;
        size_t *l = realloc(in->len, cap * sizeof(*l));
        if (!l)
            return -1;
        in->len = l;
        in->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    c[len] = 0;
    in->text[in->n] = c;
    in->len[in->n++] = len;
    return 0;
}

#define SHAPE "expected {\"input\": \"headline\"} or {\"input\": [\"headline\", ...]}"

static optml_status from_value(optml_ctx *ctx, json_t *input, struct nc_inputs *in, const char *where)
{
    if (json_is_string(input))
        return add(in, json_string_value(input), json_string_length(input)) == 0
                   ? OPTML_OK
                   : optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    if (!json_is_array(input) || json_array_size(input) == 0)
        return optml_error(ctx, OPTML_E_CLIENT, "%s\"input\" must be a string or a non-empty list of strings; " SHAPE,
                           where);
    size_t i;
    json_t *v;
    json_array_foreach(input, i, v) {
        if (!json_is_string(v))
            return optml_error(ctx, OPTML_E_CLIENT, "%s\"input\"[%zu] is not a string; " SHAPE, where, i);
        if (add(in, json_string_value(v), json_string_length(v)) != 0)
            return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    }
    in->list = 1;
    return OPTML_OK;
}

static optml_status from_object(optml_ctx *ctx, json_t *root, struct nc_inputs *in, const char *where)
{
    if (json_is_string(root) && where[0]) /* a JSON string per jsonlines line */
        return from_value(ctx, root, in, where);
    if (!json_is_object(root))
        return optml_error(ctx, OPTML_E_CLIENT, "%sthe body is not a JSON object; " SHAPE, where);
    json_t *input = json_object_get(root, "input");
    if (!input)
        return optml_error(ctx, OPTML_E_CLIENT, "%sno \"input\" key; " SHAPE, where);
    json_t *verbose = json_object_get(root, "verbose");
    if (verbose && (json_is_true(verbose) || (json_is_integer(verbose) && json_integer_value(verbose) != 0)))
        in->verbose = 1;
    return from_value(ctx, input, in, where);
}

static optml_status parse_json(optml_ctx *ctx, const struct optml_request *req, struct nc_inputs *in)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)req->body, req->len, 0, &je);
    if (!root)
        return optml_error(ctx, OPTML_E_CLIENT, "malformed JSON at line %d, column %d: %s", je.line, je.column,
                           je.text);
    optml_status s = from_object(ctx, root, in, "");
    json_decref(root);
    return s;
}

static optml_status parse_lines(optml_ctx *ctx, const struct optml_request *req, struct nc_inputs *in, int json)
{
    optml_reader *r;
    optml_status s = optml_memory_open(ctx, req->body, req->len, OPTML_FRAME_LINES, &r);
    if (s != OPTML_OK)
        return s;
    struct optml_record rec;
    uint64_t blank = 0; /* the first blank line since the last headline */
    while ((s = optml_reader_next(r, &rec)) == OPTML_OK) {
        size_t a = 0, e = rec.len;
        while (a < e && (rec.data[a] == ' ' || rec.data[a] == '\t' || rec.data[a] == '\r'))
            a++;
        while (e > a && (rec.data[e - 1] == ' ' || rec.data[e - 1] == '\t' || rec.data[e - 1] == '\r'))
            e--;
        if (a == e) {
            blank = blank ? blank : rec.number;
            continue;
        }
        /* Skipping a blank line would shift every later answer against
         * its line; blank lines at the end shift nothing. */
        if (blank) {
            s = optml_error(ctx, OPTML_E_CLIENT, "line %llu is blank: every line of a %s request is one headline "
                            "and gets one answer in its place (batch transform joins answers to input lines by "
                            "position); remove blank lines", (unsigned long long)blank,
                            json ? "application/jsonlines" : "text/plain");
            break;
        }
        if (!json) {
            if (add(in, (const char *)rec.data + a, e - a) != 0)
                s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        } else {
            json_error_t je;
            char where[64];
            snprintf(where, sizeof(where), "line %llu: ", (unsigned long long)rec.number);
            json_t *v = json_loadb((const char *)rec.data + a, e - a, JSON_DECODE_ANY, &je);
            if (!v)
                s = optml_error(ctx, OPTML_E_CLIENT, "line %llu: malformed JSON: %s", (unsigned long long)rec.number,
                                je.text);
            else {
                int list_before = in->list;
                s = from_object(ctx, v, in, where);
                in->list = list_before;
                json_decref(v);
            }
        }
        if (s != OPTML_OK)
            break;
    }
    optml_reader_close(r);
    if (s == OPTML_END)
        s = OPTML_OK;
    if (s == OPTML_OK && in->n == 0)
        s = optml_error(ctx, OPTML_E_CLIENT, "the body has no headline");
    in->list = in->n > 1 || json;
    return s;
}

optml_status nc_parse_request(optml_ctx *ctx, const struct optml_request *req, struct nc_inputs *in)
{
    memset(in, 0, sizeof(*in));
    optml_status s;
    switch ((enum nc_request_type)req->content_index) {
    case NC_IN_JSON:
        s = parse_json(ctx, req, in);
        break;
    case NC_IN_JSONLINES:
        s = parse_lines(ctx, req, in, 1);
        break;
    case NC_IN_TEXT:
        s = parse_lines(ctx, req, in, 0);
        break;
    default:
        s = optml_error(ctx, OPTML_E_INTERNAL, "request type index %d is not one of news-classifier's",
                        req->content_index);
        break;
    }
    char v[16];
    if (optml_media_param(&req->accept, "verbose", v, sizeof(v)) && strcmp(v, "0") != 0 &&
        strcmp(v, "false") != 0)
        in->verbose = 1;
    if (s != OPTML_OK)
        nc_inputs_free(in);
    return s;
}
