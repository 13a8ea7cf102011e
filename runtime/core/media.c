/*
 * media.c: media-type parsing.  rt_media_parse splits a Content-Type or
 * Accept element into its lower-case `type/subtype` and its raw parameter
 * text; optml_media_param (public, algorithm.h) looks one parameter up.
 * Pure string code: no allocation, no locale.
 */
#include "core/media.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 token characters. */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

static unsigned char to_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static const char *skip_ows(const char *p)
{
    while (is_ows((unsigned char)*p))
        p++;
    return p;
}

/* Check that [s, e) is token "/" token. */
static int valid_type(const char *s, const char *e)
{
    const char *slash = NULL;
    for (const char *p = s; p < e; p++) {
        if (*p == '/') {
            if (slash)
                return 0;
            slash = p;
        } else if (!is_tchar((unsigned char)*p)) {
            return 0;
        }
    }
    return slash && slash > s && slash + 1 < e;
}

int rt_media_parse(const char *header, char *type, size_t type_size, const char **params)
{
    if (type && type_size)
        type[0] = 0;
    if (params)
        *params = "";
    if (!header || !type || !type_size)
        return -1;
    const char *s = skip_ows(header);
    const char *semi = strchr(s, ';');
    const char *e = semi ? semi : s + strlen(s);
    while (e > s && is_ows((unsigned char)e[-1]))
        e--;
    size_t n = (size_t)(e - s);
    if (n == 0 || n >= type_size || !valid_type(s, e))
        return -1;
    for (size_t i = 0; i < n; i++)
        type[i] = (char)to_lower((unsigned char)s[i]);
    type[n] = 0;
    if (params)
        *params = semi ? skip_ows(semi + 1) : s + strlen(s);
    return 0;
}

/* Append c to buf (truncating, always NUL-terminated when bufsize > 0). */
static void put_char(char *buf, size_t bufsize, size_t *n, char c)
{
    if (buf && *n + 1 < bufsize) {
        buf[(*n)++] = c;
        buf[*n] = 0;
    }
}

/* Read one parameter value at p (quoted-string or token), copying it into
 * buf when `copy`.  Returns the position after the value. */
static const char *read_value(const char *p, int copy, char *buf, size_t bufsize)
{
    size_t n = 0;
    if (copy && buf && bufsize)
        buf[0] = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (copy)
                put_char(buf, bufsize, &n, *p);
        }
        return *p == '"' ? p + 1 : p;
    }
    const char *s = p;
    while (*p && *p != ';')
        p++;
    const char *e = p;
    while (e > s && is_ows((unsigned char)e[-1]))
        e--;
    for (const char *q = s; copy && q < e; q++)
        put_char(buf, bufsize, &n, *q);
    return p;
}

int optml_media_param(const struct optml_media *m, const char *name, char *buf, size_t bufsize)
{
    if (buf && bufsize)
        buf[0] = 0;
    if (!m || !m->params || !name || !*name)
        return 0;
    size_t name_len = strlen(name);
    const char *p = m->params;
    while (*p) {
        p = skip_ows(p);
        if (*p == ';') {
            p++;
            continue;
        }
        const char *ns = p;
        while (is_tchar((unsigned char)*p))
            p++;
        size_t nl = (size_t)(p - ns);
        p = skip_ows(p);
        if (*p != '=') {             /* not name=value: skip this element */
            while (*p && *p != ';')
                p++;
            continue;
        }
        p = skip_ows(p + 1);
        int match = nl == name_len && strncasecmp(ns, name, nl) == 0;
        p = read_value(p, match, buf, bufsize);
        if (match)
            return 1;
        while (*p && *p != ';')      /* junk after a quoted value */
            p++;
    }
    return 0;
}
