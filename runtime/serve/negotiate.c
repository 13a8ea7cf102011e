/*
 * negotiate.c: Content-Type / Accept matching for /invocations (see
 * negotiate.h): the chosen type's index in the module's list, its text and
 * its parameters.  Headers are untrusted: everything is bounded and copied.
 */
#define _GNU_SOURCE
#include "serve/negotiate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ctx.h"
#include "core/media.h"
#include "core/strjoin.h"

static int supported_index(const char *const *supported, const char *type)
{
    for (int i = 0; supported && type && supported[i]; i++)
        if (strcmp(supported[i], type) == 0)
            return i;
    return -1;
}

optml_status rt_negotiate_content_type(optml_ctx *ctx, const char *header, const char *const *supported,
                                       const char *lead, struct rt_media_choice *out)
{
    out->index = -1;
    const char *params = NULL;
    char what[512];
    if (!header || !*header)
        snprintf(what, sizeof(what), "the request has no Content-Type");
    else if (rt_media_parse(header, out->type, sizeof(out->type), &params) != 0)
        snprintf(what, sizeof(what), "malformed Content-Type '%.200s'", header);
    else if ((out->index = supported_index(supported, out->type)) < 0)
        snprintf(what, sizeof(what), "Content-Type '%s' is not supported", out->type);
    else {
        snprintf(out->params, sizeof(out->params), "%s", params ? params : "");
        return OPTML_OK;
    }
    char *list = rt_join(supported, RT_JOIN_UNTIL_NULL);
    optml_status s = optml_error(ctx, OPTML_E_UNSUPPORTED_MEDIA, "%.200s%s%s; this model accepts %s",
                                 lead ? lead : "", lead ? ": " : "", what, list ? list : "?");
    free(list);
    return s;
}

/* Remove a "q=..." parameter from `params` (in place) and return its value. */
static double take_q(char *params)
{
    double q = 1.0;
    char *p = params;
    while (*p) {
        char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *s = p;
        while (*s == ' ' || *s == '\t')
            s++;
        if ((s[0] == 'q' || s[0] == 'Q') && s[1] == '=') {
            q = strtod(s + 2, NULL);
            if (!(q >= 0 && q <= 1))
                q = 0;
            memmove(p, end ? end + 1 : p + len, strlen(end ? end + 1 : p + len) + 1);
            continue;
        }
        p = end ? end + 1 : p + len;
    }
    /* Trim spaces and stray separators left behind. */
    size_t n = strlen(params);
    while (n && (params[n - 1] == ' ' || params[n - 1] == ';' || params[n - 1] == '\t'))
        params[--n] = 0;
    size_t lead = strspn(params, " \t;");
    memmove(params, params + lead, strlen(params + lead) + 1);
    return q;
}

/* The supported type `range` selects, or -1. */
static int match_range(const char *range, const char *const *supported, const char *fallback)
{
    if (strcmp(range, "*/*") == 0)
        return supported_index(supported, fallback);
    size_t n = strlen(range);
    if (n > 2 && strcmp(range + n - 2, "/*") == 0) {
        for (int i = 0; supported && supported[i]; i++)
            if (strncmp(supported[i], range, n - 1) == 0)
                return i;
        return -1;
    }
    return supported_index(supported, range);
}

optml_status rt_negotiate_accept(optml_ctx *ctx, const char *header, const char *const *supported,
                                 const char *fallback, struct rt_media_choice *out)
{
    out->index = -1;
    out->params[0] = 0;
    if (!header || !*header || strspn(header, " \t") == strlen(header)) {
        if ((out->index = supported_index(supported, fallback)) < 0)
            return optml_error(ctx, OPTML_E_INTERNAL, "the default Accept '%s' is not a type this model returns",
                               fallback ? fallback : "(none)");
        snprintf(out->type, sizeof(out->type), "%s", supported[out->index]);
        return OPTML_OK;
    }
    char *copy = strndup(header, 4096);
    if (!copy)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    double best_q = 0;
    int found = 0;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char type[RT_MEDIA_MAX];
        const char *params = NULL;
        if (rt_media_parse(item, type, sizeof(type), &params) != 0)
            continue;
        char p[1024];
        snprintf(p, sizeof(p), "%s", params ? params : "");
        double q = take_q(p);
        if (q <= 0 || (found && q <= best_q))
            continue;
        int i = match_range(type, supported, fallback);
        if (i < 0)
            continue;
        found = 1;
        best_q = q;
        out->index = i;
        snprintf(out->type, sizeof(out->type), "%s", supported[i]);
        snprintf(out->params, sizeof(out->params), "%s", p);
    }
    free(copy);
    if (found)
        return OPTML_OK;
    char *list = rt_join(supported, RT_JOIN_UNTIL_NULL);
    optml_status s = optml_error(ctx, OPTML_E_NOT_ACCEPTABLE,
                                 "Accept '%.200s' matches no type this model returns; it returns %s",
                                 header, list ? list : "?");
    free(list);
    return s;
}
