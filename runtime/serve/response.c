/*
 * response.c: the response body a module builds in predict(): a growable
 * buffer plus the Content-Type and custom attributes it may override.
 */
#define _GNU_SOURCE
#include "serve/response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"

void rt_response_init(struct optml_response *r)
{
    memset(r, 0, sizeof(*r));
}

void rt_response_deinit(struct optml_response *r)
{
    free(r->body);
    free(r->content_type);
    free(r->custom_attributes);
    memset(r, 0, sizeof(*r));
}

static int reserve(struct optml_response *r, size_t extra)
{
    if (r->limit && (r->len > r->limit || extra > r->limit - r->len))
        return -1;
    if (r->len + extra + 1 <= r->cap)
        return 0;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + extra + 1)
        cap *= 2;
    char *grown = realloc(r->body, cap);
    if (!grown)
        return -1;
    r->body = grown;
    r->cap = cap;
    return 0;
}

optml_status optml_response_append(optml_response *r, const void *data, size_t len)
{
    if (reserve(r, len) != 0)
        return r->limit && (r->len > r->limit || len > r->limit - r->len) ? OPTML_E_TOO_LARGE
                                                                          : OPTML_E_NOMEM;
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = 0;
    return OPTML_OK;
}

optml_status optml_response_printf(optml_response *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return OPTML_E_INTERNAL;
    if ((size_t)n < sizeof(small))
        return optml_response_append(r, small, (size_t)n);
    if (reserve(r, (size_t)n) != 0)
        return r->limit ? OPTML_E_TOO_LARGE : OPTML_E_NOMEM;
    va_start(ap, fmt);
    vsnprintf(r->body + r->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r->len += (size_t)n;
    return OPTML_OK;
}

optml_status optml_response_number(optml_response *r, double v)
{
    char buf[40];
    rt_format_json_number(buf, sizeof(buf), v);
    return optml_response_append(r, buf, strlen(buf));
}

static void replace(char **slot, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    free(*slot);
    *slot = copy;
}

void optml_response_set_type(optml_response *r, const char *content_type)
{
    replace(&r->content_type, content_type);
}

void optml_response_set_custom_attributes(optml_response *r, const char *value)
{
    replace(&r->custom_attributes, value);
}
