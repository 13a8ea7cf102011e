/*
 * json_input.c: the JSON request forms of the linear learner (ALGORITHMS.md
 * C.5) into rows: application/json `{"instances": [...]}` and
 * application/jsonlines (one instance per line), where an instance is
 *   {"features": [1.5, 16.0, ...]}
 *   {"data": {"features": {"values": [...]}}}
 *   {"data": {"features": {"keys": [26, 182], "shape": [2000], "values": [1, 4]}}}
 * (`features` may also be the {"values", "keys", "shape"} object itself).
 * Parsed with jansson; per-request scratch only.
 */
#include "linear_learner/json_input.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scratch {
    float *vals;
    uint32_t *idx;
    size_t cap;
};

static int grow(struct scratch *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < n)
        cap *= 2;
    float *v = realloc(s->vals, cap * sizeof(float));
    if (!v)
        return -1;
    s->vals = v;
    uint32_t *i = realloc(s->idx, cap * sizeof(uint32_t));
    if (!i)
        return -1;
    s->idx = i;
    s->cap = cap;
    return 0;
}

enum { J_OK = 0, J_BAD = -1, J_NOMEM = -2 };

/* Numbers of a JSON array into s->vals. */
static int numbers(json_t *a, struct scratch *s, const char *what, char *err, size_t errsz)
{
    if (!json_is_array(a)) {
        snprintf(err, errsz, "'%s' is not an array of numbers", what);
        return J_BAD;
    }
    size_t n = json_array_size(a);
    if (grow(s, n) != 0)
        return J_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_number(v)) {
            snprintf(err, errsz, "'%s' element %zu is not a number", what, i);
            return J_BAD;
        }
        double d = json_number_value(v);
        float f = (float)d;
        if (!isfinite(f)) {
            snprintf(err, errsz, "'%s' element %zu is out of the float range", what, i);
            return J_BAD;
        }
        s->vals[i] = f;
    }
    return J_OK;
}

/* {"values": [...], "keys": [...], "shape": [...]} or a plain array. */
static int features(json_t *f, size_t D, struct scratch *s, struct ll_row *row, char *err, size_t errsz)
{
    if (json_is_array(f)) {
        int r = numbers(f, s, "features", err, errsz);
        if (r != J_OK)
            return r;
        if (json_array_size(f) != D) {
            snprintf(err, errsz, "has %zu features, the model expects %zu%s", json_array_size(f), D,
                     json_array_size(f) == D + 1 ? LL_LABEL_INCLUDED_HINT : "");
            return J_BAD;
        }
        *row = (struct ll_row){0.0f, D, NULL, s->vals};
        return J_OK;
    }
    if (!json_is_object(f)) {
        snprintf(err, errsz, "'features' is neither an array nor an object with 'values'");
        return J_BAD;
    }
    json_t *values = json_object_get(f, "values"), *keys = json_object_get(f, "keys");
    json_t *shape = json_object_get(f, "shape");
    int r = numbers(values, s, "values", err, errsz);
    if (r != J_OK)
        return r;
    size_t n = json_array_size(values);
    if (shape) {
        if (!json_is_array(shape) || json_array_size(shape) == 0) {
            snprintf(err, errsz, "'shape' is not a non-empty array of integers");
            return J_BAD;
        }
        double prod = 1;
        for (size_t i = 0; i < json_array_size(shape); i++) {
            json_t *d = json_array_get(shape, i);
            if (!json_is_integer(d) || json_integer_value(d) < 0) {
                snprintf(err, errsz, "'shape' element %zu is not a non-negative integer", i);
                return J_BAD;
            }
            prod *= (double)json_integer_value(d);
        }
        if (prod != (double)D) {
            snprintf(err, errsz, "'shape' gives %.0f features, the model expects %zu", prod, D);
            return J_BAD;
        }
    }
    if (!keys || json_is_null(keys)) {
        if (n != D) {
            snprintf(err, errsz, "has %zu features, the model expects %zu%s", n, D,
                     n == D + 1 ? LL_LABEL_INCLUDED_HINT : "");
            return J_BAD;
        }
        *row = (struct ll_row){0.0f, D, NULL, s->vals};
        return J_OK;
    }
    if (!json_is_array(keys) || json_array_size(keys) != n) {
        snprintf(err, errsz, "'keys' is not an array of %zu integers (one per value)", n);
        return J_BAD;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *k = json_array_get(keys, i);
        if (!json_is_integer(k) || json_integer_value(k) < 0 || (uint64_t)json_integer_value(k) >= D) {
            snprintf(err, errsz, "'keys' element %zu is not an integer in [0, %zu)", i, D);
            return J_BAD;
        }
        s->idx[i] = (uint32_t)json_integer_value(k);
    }
    *row = (struct ll_row){0.0f, n, s->idx, s->vals};
    return J_OK;
}

static int instance(json_t *inst, size_t D, struct scratch *s, struct ll_row *row, char *err, size_t errsz)
{
    if (!json_is_object(inst)) {
        snprintf(err, errsz, "is not an object with 'features' or 'data'");
        return J_BAD;
    }
    json_t *f = json_object_get(inst, "features");
    if (!f) {
        json_t *data = json_object_get(inst, "data");
        f = json_is_object(data) ? json_object_get(data, "features") : NULL;
    }
    if (!f) {
        snprintf(err, errsz, "has neither 'features' nor 'data.features'");
        return J_BAD;
    }
    return features(f, D, s, row, err, errsz);
}

static optml_status add(optml_ctx *ctx, struct ll_rows *out, const struct ll_row *row)
{
    return ll_rows_add(out, row, 1.0f) == 0 ? OPTML_OK : optml_error(ctx, OPTML_E_NOMEM, "out of memory");
}

optml_status ll_json_rows(optml_ctx *ctx, const unsigned char *body, size_t len, size_t D, struct ll_rows *out)
{
    json_error_t je;
    struct scratch s = {0};
    char err[200];
    optml_status st = OPTML_OK;
    json_t *root = json_loadb((const char *)body, len, 0, &je);
    if (!root)
        return optml_error(ctx, OPTML_E_CLIENT, "malformed JSON at line %d, column %d: %s", je.line, je.column,
                           je.text);
    json_t *list = json_is_array(root) ? root : json_object_get(root, "instances");
    if (!list && json_is_object(root) && (json_object_get(root, "features") || json_object_get(root, "data"))) {
        struct ll_row row;
        int r = instance(root, D, &s, &row, err, sizeof(err));
        st = r == J_NOMEM ? optml_error(ctx, OPTML_E_NOMEM, "out of memory")
             : r != J_OK ? optml_error(ctx, OPTML_E_CLIENT, "the instance %s", err) : add(ctx, out, &row);
        goto out;
    }
    if (!json_is_array(list)) {
        st = optml_error(ctx, OPTML_E_CLIENT, "the JSON body needs an \"instances\" array, e.g. "
                         "{\"instances\": [{\"features\": [1.5, 16.0]}]}");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(list) && st == OPTML_OK; i++) {
        struct ll_row row;
        int r = instance(json_array_get(list, i), D, &s, &row, err, sizeof(err));
        if (r == J_NOMEM)
            st = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        else if (r != J_OK)
            st = optml_error(ctx, OPTML_E_CLIENT, "instance %zu %s", i, err);
        else
            st = add(ctx, out, &row);
        if (st == OPTML_OK && i % 1024 == 1023 && optml_should_stop(ctx))
            st = optml_error(ctx, OPTML_E_TIMEOUT, "prediction cancelled");
    }
out:
    json_decref(root);
    free(s.vals);
    free(s.idx);
    return st;
}

optml_status ll_jsonlines_rows(optml_ctx *ctx, const unsigned char *body, size_t len, size_t D, struct ll_rows *out)
{
    optml_reader *r = NULL;
    struct scratch s = {0};
    char err[200];
    optml_status st = optml_memory_open(ctx, body, len, OPTML_FRAME_LINES, &r);
    if (st != OPTML_OK)
        return st;
    struct optml_record rec;
    uint64_t blank = 0; /* the first blank line since the last instance */
    while ((st = optml_reader_next(r, &rec)) == OPTML_OK) {
        size_t k = 0;
        while (k < rec.len && (rec.data[k] == ' ' || rec.data[k] == '\t' || rec.data[k] == '\r'))
            k++;
        if (k == rec.len) {
            blank = blank ? blank : rec.number;
            continue;
        }
        if (blank) { /* blank lines at the end shift nothing */
            st = optml_error(ctx, OPTML_E_CLIENT, LL_BLANK_LINE_MESSAGE, (unsigned long long)blank,
                             "application/jsonlines");
            break;
        }
        json_error_t je;
        json_t *inst = json_loadb((const char *)rec.data, rec.len, 0, &je);
        if (!inst) {
            st = optml_error(ctx, OPTML_E_CLIENT, "line %llu: malformed JSON at column %d: %s",
                             (unsigned long long)rec.number, je.column, je.text);
            break;
        }
        struct ll_row row;
        int rr = instance(inst, D, &s, &row, err, sizeof(err));
        if (rr == J_NOMEM)
            st = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        else if (rr != J_OK)
            st = optml_error(ctx, OPTML_E_CLIENT, "line %llu: the instance %s", (unsigned long long)rec.number, err);
        else
            st = add(ctx, out, &row);
        json_decref(inst);
        if (st != OPTML_OK)
            break;
        if (rec.number % 1024 == 0 && optml_should_stop(ctx)) {
            st = optml_error(ctx, OPTML_E_TIMEOUT, "prediction cancelled");
            break;
        }
    }
    optml_reader_close(r);
    free(s.vals);
    free(s.idx);
    if (st == OPTML_END && !out->n && blank)
        return optml_error(ctx, OPTML_E_CLIENT, "the request has no instances: every line is blank");
    return st == OPTML_END ? OPTML_OK : st;
}
