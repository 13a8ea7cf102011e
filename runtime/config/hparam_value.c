/*
 * hparam_value.c: one hyperparameter value, from the user's text to its
 * typed form: trimming, C-locale integers and numbers against the declared
 * range, booleans, enum choices, "auto", JSON text; and the words that say
 * what a declaration accepts ("an integer in [1, 10] or auto").  Used by
 * hparams.c (the file, defaults, the declaration check) and bind.c (autos
 * bound into a module's struct); it calls neither.
 */
#define _GNU_SOURCE
#include "config/hparam_value.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SHOWN 200 /* characters of a user value quoted in a message */

/* Results of rt_hparam_parse_text (hparam_value.h). */
enum { PV_OK = RT_HP_PARSED, PV_BAD = RT_HP_BAD, PV_NOMEM = RT_HP_NOMEM };

/* ------------------------------------------------------------------------ */
/* Text helpers                                                             */
/* ------------------------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* malloc'd copy of s without leading and trailing white space. */
static char *strdup_trimmed(const char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        n--;
    return strndup(s, n);
}

/* The shortest text that reads back as x ("0.001", "1000", "1e-300"). */
static void fmt_num(double x, char *buf, size_t size)
{
    if (x == floor(x) && fabs(x) < 1e15) {
        snprintf(buf, size, "%.0f", x);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

/* " in [1, 10]", " >= 1", " > 0", " <= 5" or "" for a numeric declaration. */
static void describe_range(const struct optml_hparam_decl *d, char *buf, size_t size)
{
    char lo[40], hi[40];
    int has_min = (d->flags & OPTML_HP_HAS_MIN) != 0, has_max = (d->flags & OPTML_HP_HAS_MAX) != 0;
    int excl = (d->flags & OPTML_HP_MIN_EXCLUSIVE) != 0;
    fmt_num(d->min, lo, sizeof(lo));
    fmt_num(d->max, hi, sizeof(hi));
    if (has_min && has_max)
        snprintf(buf, size, " in %c%s, %s]", excl ? '(' : '[', lo, hi);
    else if (has_min)
        snprintf(buf, size, " %s %s", excl ? ">" : ">=", lo);
    else if (has_max)
        snprintf(buf, size, " <= %s", hi);
    else
        buf[0] = 0;
}

/* What a declaration accepts, e.g. "an integer in [1, 10] or auto". */
void rt_hparam_describe(const struct optml_hparam_decl *d, char *buf, size_t size)
{
    char range[100];
    const char *autos = (d->flags & OPTML_HP_ALLOW_AUTO) ? " or auto" : "";
    describe_range(d, range, sizeof(range));
    switch (d->type) {
    case OPTML_HP_INT:
        snprintf(buf, size, "an integer%s%s", range, autos);
        break;
    case OPTML_HP_FLOAT:
        snprintf(buf, size, "a number%s%s", range, autos);
        break;
    case OPTML_HP_BOOL:
        snprintf(buf, size, "a boolean (true, True, TRUE, 1, false, False, FALSE, 0)%s", autos);
        break;
    case OPTML_HP_ENUM: {
        size_t n = (size_t)snprintf(buf, size, "one of %s", autos[0] ? "auto" : "");
        for (size_t i = 0; d->choices && d->choices[i] && n < size; i++)
            n += (size_t)snprintf(buf + n, size - n, "%s%s",
                                  (i || autos[0]) ? ", " : "", d->choices[i]);
        break;
    }
    case OPTML_HP_JSON:
        snprintf(buf, size, "valid JSON text%s", autos);
        break;
    default:
        snprintf(buf, size, "a string%s", autos);
        break;
    }
}

/* "must be <describe>, got '<text>'<detail>" into why. */
static int bad_value(const struct optml_hparam_decl *d, const char *text, const char *detail,
                     char *why, size_t whysz)
{
    char accepted[1024];
    rt_hparam_describe(d, accepted, sizeof(accepted));
    snprintf(why, whysz, "must be %s, got '%.*s%s'%s", accepted, SHOWN, text,
             strlen(text) > SHOWN ? "..." : "", detail ? detail : "");
    return PV_BAD;
}

/* ------------------------------------------------------------------------ */
/* Typed parsing of one value                                               */
/* ------------------------------------------------------------------------ */

static int in_range(const struct optml_hparam_decl *d, double x)
{
    if (d->flags & OPTML_HP_HAS_MIN) {
        if ((d->flags & OPTML_HP_MIN_EXCLUSIVE) ? !(x > d->min) : !(x >= d->min))
            return 0;
    }
    if ((d->flags & OPTML_HP_HAS_MAX) && !(x <= d->max))
        return 0;
    return 1;
}

/* [+-]?[0-9]+ */
static int looks_int(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Digits, sign, '.', exponent only: rejects nan, inf, hex floats, "1_0". */
static int looks_float(const char *s)
{
    int digits = 0;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digits = 1;
        else if (!strchr("+-.eE", *s))
            return 0;
    }
    return digits;
}

static int parse_int(const struct optml_hparam_decl *d, const char *t,
                     struct rt_hparam_value *v, char *why, size_t whysz)
{
    if (!looks_int(t))
        return bad_value(d, t, NULL, why, whysz);
    errno = 0;
    char *end = NULL;
    long long x = strtoll(t, &end, 10);
    if (errno == ERANGE || !end || *end)
        return bad_value(d, t, " (out of the 64-bit integer range)", why, whysz);
    if (!in_range(d, (double)x))
        return bad_value(d, t, NULL, why, whysz);
    /* A bound member holds the value; its type's minimum means unset. */
    if (d->bind == OPTML_BIND_I32 && (x > INT32_MAX || x <= INT32_MIN))
        return bad_value(d, t, " (out of the 32-bit integer range)", why, whysz);
    if (d->bind == OPTML_BIND_I64 && x == INT64_MIN)
        return bad_value(d, t, " (out of the 64-bit integer range)", why, whysz);
    if (d->bind == OPTML_BIND_SIZE && (x < 0 || (uint64_t)x >= (uint64_t)SIZE_MAX))
        return bad_value(d, t, " (out of the size range)", why, whysz);
    v->i = x;
    v->f = (double)x;
    return PV_OK;
}

static int parse_float(const struct optml_hparam_decl *d, const char *t,
                       struct rt_hparam_value *v, char *why, size_t whysz)
{
    if (!looks_float(t))
        return bad_value(d, t, NULL, why, whysz);
    errno = 0;
    char *end = NULL;
    double x = strtod(t, &end);
    if (!end || end == t || *end)
        return bad_value(d, t, NULL, why, whysz);
    if (!isfinite(x))
        return bad_value(d, t, " (out of the double range)", why, whysz);
    if (!in_range(d, x))
        return bad_value(d, t, NULL, why, whysz);
    if (d->bind == OPTML_BIND_F32 && fabs(x) > FLT_MAX)
        return bad_value(d, t, " (out of the float range)", why, whysz);
    v->f = x;
    return PV_OK;
}

static int parse_bool(const struct optml_hparam_decl *d, const char *t,
                      struct rt_hparam_value *v, char *why, size_t whysz)
{
    static const char *const yes[] = {"true", "True", "TRUE", "1"};
    static const char *const no[] = {"false", "False", "FALSE", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(t, yes[i]) == 0) {
            v->b = 1;
            return PV_OK;
        }
        if (strcmp(t, no[i]) == 0) {
            v->b = 0;
            return PV_OK;
        }
    }
    return bad_value(d, t, NULL, why, whysz);
}

/* The declared spelling of an ENUM value (exact match first, then any case). */
static const char *match_choice(const struct optml_hparam_decl *d, const char *t)
{
    for (size_t i = 0; d->choices && d->choices[i]; i++)
        if (strcmp(t, d->choices[i]) == 0)
            return d->choices[i];
    for (size_t i = 0; d->choices && d->choices[i]; i++)
        if (strcasecmp(t, d->choices[i]) == 0)
            return d->choices[i];
    return NULL;
}

static int parse_json_text(const struct optml_hparam_decl *d, const char *t,
                           char *why, size_t whysz)
{
    json_error_t err;
    json_t *j = json_loads(t, JSON_DECODE_ANY, &err);
    if (j) {
        json_decref(j);
        return PV_OK;
    }
    char detail[240];
    snprintf(detail, sizeof(detail), " (line %d, column %d: %s)", err.line, err.column, err.text);
    return bad_value(d, t, detail, why, whysz);
}

/* Set v->text to a copy of s (or of s trimmed). */
static int set_text(struct rt_hparam_value *v, const char *s, int trim)
{
    free(v->text);
    v->text = trim ? strdup_trimmed(s) : strdup(s);
    return v->text ? PV_OK : PV_NOMEM;
}

/* Parse `text` (already decoded) for declaration d into v: PV_OK, PV_BAD with
 * "must be ..., got '...'" in why, or PV_NOMEM.  v->set is set on success. */
int rt_hparam_parse_text(const struct optml_hparam_decl *d, const char *text,
                         struct rt_hparam_value *v, char *why, size_t whysz)
{
    int trimmed = d->type != OPTML_HP_STRING && d->type != OPTML_HP_JSON;
    char *t = strdup_trimmed(text);
    if (!t)
        return PV_NOMEM;
    int r;
    v->is_auto = 0;
    if ((d->flags & OPTML_HP_ALLOW_AUTO) && strcasecmp(t, "auto") == 0) {
        v->is_auto = 1;
        r = set_text(v, "auto", 0);
        goto out;
    }
    switch (d->type) {
    case OPTML_HP_INT: r = parse_int(d, t, v, why, whysz); break;
    case OPTML_HP_FLOAT: r = parse_float(d, t, v, why, whysz); break;
    case OPTML_HP_BOOL: r = parse_bool(d, t, v, why, whysz); break;
    case OPTML_HP_JSON: r = parse_json_text(d, text, why, whysz); break;
    case OPTML_HP_ENUM: {
        const char *c = match_choice(d, t);
        r = c ? set_text(v, c, 0) : bad_value(d, text, NULL, why, whysz);
        goto out;
    }
    default: r = PV_OK; break;
    }
    if (r == PV_OK)
        r = set_text(v, trimmed ? t : text, 0);
out:
    free(t);
    if (r == PV_OK)
        v->set = 1;
    return r;
}
