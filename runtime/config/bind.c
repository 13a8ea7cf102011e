/*
 * bind.c: hyperparameters bound into a module's config struct (module API
 * 4).  Owns the check of a table's bindings, filling the struct from the
 * parsed values (auto_value, unset members), the module's resolve() step,
 * the bound members as text for the "Final configuration" line, and the
 * public optml_config().
 */
#define _GNU_SOURCE
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/bind.h"
#include "core/numfmt.h"

#define WHY_SIZE 1600

static const char *bind_name(enum optml_hp_bind b)
{
    switch (b) {
    case OPTML_BIND_NONE: return "none";
    case OPTML_BIND_I64: return "I64";
    case OPTML_BIND_I32: return "I32";
    case OPTML_BIND_SIZE: return "SIZE";
    case OPTML_BIND_F64: return "F64";
    case OPTML_BIND_F32: return "F32";
    case OPTML_BIND_BOOL: return "BOOL";
    case OPTML_BIND_TEXT: return "TEXT";
    case OPTML_BIND_INDEX: return "INDEX";
    }
    return "?";
}

/* Bytes of the member a binding writes; 0 for an unknown binding. */
static size_t bind_width(enum optml_hp_bind b)
{
    switch (b) {
    case OPTML_BIND_I64: return sizeof(int64_t);
    case OPTML_BIND_I32: return sizeof(int32_t);
    case OPTML_BIND_SIZE: return sizeof(size_t);
    case OPTML_BIND_F64: return sizeof(double);
    case OPTML_BIND_F32: return sizeof(float);
    case OPTML_BIND_BOOL: return sizeof(int);
    case OPTML_BIND_TEXT: return sizeof(const char *);
    case OPTML_BIND_INDEX: return sizeof(int);
    case OPTML_BIND_NONE: break;
    }
    return 0;
}

static int bind_holds(enum optml_hp_bind b, enum optml_hp_type t)
{
    switch (b) {
    case OPTML_BIND_I64:
    case OPTML_BIND_I32:
    case OPTML_BIND_SIZE: return t == OPTML_HP_INT;
    case OPTML_BIND_F64:
    case OPTML_BIND_F32: return t == OPTML_HP_FLOAT;
    case OPTML_BIND_BOOL: return t == OPTML_HP_BOOL;
    case OPTML_BIND_TEXT: return t == OPTML_HP_STRING || t == OPTML_HP_ENUM || t == OPTML_HP_JSON;
    case OPTML_BIND_INDEX: return t == OPTML_HP_ENUM;
    case OPTML_BIND_NONE: break;
    }
    return 0;
}

/* Whether the binding of d fits in a config of `size` bytes. */
static int bind_inside(const struct optml_hparam_decl *d, size_t size)
{
    size_t w = bind_width(d->bind);
    return w && d->offset <= size && w <= size - d->offset;
}

static optml_status check_auto_value(optml_ctx *ctx, const char *m, const struct optml_hparam_decl *d)
{
    if (!(d->flags & OPTML_HP_ALLOW_AUTO))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': auto_value "
                           "without OPTML_HP_ALLOW_AUTO", m, d->name);
    struct rt_hparam_value v = {.decl = d};
    char why[WHY_SIZE];
    int r = rt_hparam_parse_text(d, d->auto_value, &v, why, sizeof(why));
    int is_auto = v.is_auto;
    free(v.text);
    if (r == RT_HP_NOMEM)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    if (r == RT_HP_PARSED && is_auto)
        snprintf(why, sizeof(why), "must be a value, not auto");
    if (r != RT_HP_PARSED || is_auto)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': invalid "
                           "auto_value: %s", m, d->name, why);
    return OPTML_OK;
}

optml_status rt_hparams_check_binding(optml_ctx *ctx, const struct optml_algorithm *alg, size_t i)
{
    const struct optml_hparam_decl *d = &alg->hparams[i];
    const char *m = alg->name ? alg->name : "?";
    if (d->bind == OPTML_BIND_NONE) {
        if (d->auto_value)
            return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                               "auto_value on a row that is not bound", m, d->name);
        return OPTML_OK;
    }
    if (!bind_width(d->bind))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': unknown "
                           "binding %d", m, d->name, (int)d->bind);
    if (!bind_holds(d->bind, d->type))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': a member "
                           "bound as %s cannot hold its type", m, d->name, bind_name(d->bind));
    if (!bind_inside(d, alg->config_size))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': bound at "
                           "offset %zu (%zu bytes), outside config_size %zu", m, d->name,
                           d->offset, bind_width(d->bind), alg->config_size);
    if (d->bind == OPTML_BIND_SIZE && (!(d->flags & OPTML_HP_HAS_MIN) || !(d->min >= 0)))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': a member "
                           "bound as SIZE needs a min >= 0", m, d->name);
    for (size_t j = 0; j < i; j++) {
        const struct optml_hparam_decl *o = &alg->hparams[j];
        if (o->bind == OPTML_BIND_NONE || !bind_width(o->bind))
            continue;
        if (d->offset < o->offset + bind_width(o->bind) && o->offset < d->offset + bind_width(d->bind))
            return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameters '%s' and '%s' "
                               "are bound to overlapping members", m, o->name, d->name);
    }
    return d->auto_value ? check_auto_value(ctx, m, d) : OPTML_OK;
}

static int choice_index(const struct optml_hparam_decl *d, const char *text)
{
    for (int k = 0; text && d->choices && d->choices[k]; k++)
        if (strcmp(d->choices[k], text) == 0)
            return k;
    return OPTML_UNSET_INT; /* not reached: the text is a declared choice */
}

/* Write v's value (unset when `unset`) into the member at dst. */
static void write_member(unsigned char *dst, const struct optml_hparam_decl *d,
                         const struct rt_hparam_value *v, int unset)
{
    switch (d->bind) {
    case OPTML_BIND_I64: {
        int64_t x = unset ? OPTML_UNSET_I64 : v->i;
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_I32: {
        int32_t x = unset ? OPTML_UNSET_INT : (int32_t)v->i;
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_SIZE: {
        size_t x = unset ? OPTML_UNSET_SIZE : (size_t)v->i;
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_F64: {
        double x = unset ? (double)NAN : v->f;
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_F32: {
        float x = unset ? NAN : (float)v->f;
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_BOOL: {
        int x = unset ? OPTML_UNSET_INT : v->b;
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_TEXT: {
        const char *x = unset ? NULL : v->text;
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_INDEX: {
        int x = unset ? OPTML_UNSET_INT : choice_index(d, v->text);
        memcpy(dst, &x, sizeof(x));
        break;
    }
    case OPTML_BIND_NONE:
        break;
    }
}

/* Bind row i: its value, its auto_value, or unset. */
static optml_status bind_row(optml_ctx *ctx, struct rt_hparams *hp, size_t i)
{
    const struct optml_algorithm *alg = hp->alg;
    struct rt_hparam_value *v = &hp->values[i];
    const struct optml_hparam_decl *d = v->decl;
    if (!bind_width(d->bind) || !bind_holds(d->bind, d->type) || !bind_inside(d, alg->config_size))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': invalid "
                           "binding (the table was not checked)", alg->name ? alg->name : "?",
                           d->name);
    unsigned char *dst = (unsigned char *)hp->config + d->offset;
    if (!v->set || !v->is_auto) {
        write_member(dst, d, v, !v->set);
        return OPTML_OK;
    }
    if (!d->auto_value) {
        write_member(dst, d, v, 1);
        return OPTML_OK;
    }
    struct rt_hparam_value a = {.decl = d};
    char why[WHY_SIZE];
    int r = rt_hparam_parse_text(d, d->auto_value, &a, why, sizeof(why));
    if (r == RT_HP_NOMEM) {
        free(a.text);
        return optml_error(ctx, OPTML_E_NOMEM, "hyperparameters: out of memory");
    }
    if (r != RT_HP_PARSED || a.is_auto) {
        free(a.text);
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': invalid "
                           "auto_value (the table was not checked)", alg->name ? alg->name : "?",
                           d->name);
    }
    free(v->auto_text);
    v->auto_text = a.text; /* a TEXT member points to it */
    write_member(dst, d, &a, 0);
    return OPTML_OK;
}

optml_status rt_hparams_bind(optml_ctx *ctx, struct rt_hparams *hp)
{
    free(hp->config);
    hp->config = NULL;
    const struct optml_algorithm *alg = hp->alg;
    if (!alg || !alg->config_size)
        return OPTML_OK;
    if (!(hp->config = calloc(1, alg->config_size)))
        return optml_error(ctx, OPTML_E_NOMEM, "hyperparameters: out of memory");
    for (size_t i = 0; i < alg->n_hparams; i++) {
        if (alg->hparams[i].bind == OPTML_BIND_NONE)
            continue;
        optml_status st = bind_row(ctx, hp, i);
        if (st != OPTML_OK)
            return st;
    }
    return OPTML_OK;
}

optml_status rt_hparams_resolve(optml_ctx *ctx, struct rt_hparams *hp)
{
    if (!hp || !hp->alg || !hp->alg->resolve)
        return OPTML_OK;
    return hp->alg->resolve(ctx, hp->config);
}

/* The shortest text that reads back as x, as a double or (as_float) as a
 * float: "0.07", "1000", "1e-05". */
static void shortest(double x, int as_float, char *buf, size_t size)
{
    if (x == floor(x) && fabs(x) < 1e15) {
        rt_format_g(buf, size, 17, x); /* whole: every digit, no exponent */
        return;
    }
    rt_format_shortest(buf, size, x, as_float);
}

const char *rt_hparams_bound_text(const struct rt_hparams *hp, size_t i, char *buf, size_t size)
{
    const struct rt_hparam_value *v = &hp->values[i];
    const struct optml_hparam_decl *d = v->decl;
    if (!hp->config || !bind_inside(d, hp->alg->config_size))
        return v->set ? v->text : NULL;
    const unsigned char *src = (const unsigned char *)hp->config + d->offset;
    const char *auto_or_null = v->set && v->is_auto ? "auto" : NULL;
    switch (d->bind) {
    case OPTML_BIND_I64: {
        int64_t x;
        memcpy(&x, src, sizeof(x));
        if (x == OPTML_UNSET_I64)
            return auto_or_null;
        rt_format_int(buf, size, (long long)x);
        return buf;
    }
    case OPTML_BIND_I32: {
        int32_t x;
        memcpy(&x, src, sizeof(x));
        if (x == OPTML_UNSET_INT)
            return auto_or_null;
        rt_format_int(buf, size, x);
        return buf;
    }
    case OPTML_BIND_SIZE: {
        size_t x;
        memcpy(&x, src, sizeof(x));
        if (x == OPTML_UNSET_SIZE)
            return auto_or_null;
        if (x <= (size_t)LLONG_MAX)
            rt_format_int(buf, size, (long long)x);
        else
            snprintf(buf, size, "%zu", x);
        return buf;
    }
    case OPTML_BIND_F64: {
        double x;
        memcpy(&x, src, sizeof(x));
        if (isnan(x))
            return auto_or_null;
        shortest(x, 0, buf, size);
        return buf;
    }
    case OPTML_BIND_F32: {
        float x;
        memcpy(&x, src, sizeof(x));
        if (isnan(x))
            return auto_or_null;
        shortest((double)x, 1, buf, size);
        return buf;
    }
    case OPTML_BIND_BOOL: {
        int x;
        memcpy(&x, src, sizeof(x));
        return x == OPTML_UNSET_INT ? auto_or_null : x ? "true" : "false";
    }
    case OPTML_BIND_TEXT: {
        const char *x;
        memcpy(&x, src, sizeof(x));
        return x ? x : auto_or_null;
    }
    case OPTML_BIND_INDEX: {
        int x;
        memcpy(&x, src, sizeof(x));
        if (x == OPTML_UNSET_INT)
            return auto_or_null;
        size_t n = 0;
        while (d->choices && d->choices[n])
            n++;
        if (x >= 0 && (size_t)x < n)
            return d->choices[x];
        rt_format_int(buf, size, x); /* the module's resolve() wrote a bad index */
        return buf;
    }
    case OPTML_BIND_NONE:
        break;
    }
    return v->set ? v->text : NULL;
}

const void *optml_config(const optml_ctx *ctx)
{
    return ctx && ctx->hp ? ctx->hp->config : NULL;
}
