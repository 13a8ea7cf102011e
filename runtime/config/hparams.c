/*
 * hparams.c: hyperparameters.json.  Owns the check of a module's declaration
 * table, reading the user's object (string values, double-encoded SDK
 * values decoded once, unknown keys with the nearest declared name),
 * defaults and required keys, the shape hash of the OPTML_HP_SHAPES_MODEL
 * values, the JSON echo lines and the public optml_hp_* accessors.  Typing
 * one value (booleans, C-locale numbers, ranges, enums, "auto", JSON) is
 * hparam_value.c's; binding the values into a module's config struct is
 * bind.c's.
 */
#define _GNU_SOURCE
#include "config/hparams.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"

#define HP_FILE "hyperparameters.json"
#define KNOWN_FLAGS (OPTML_HP_REQUIRED | OPTML_HP_ALLOW_AUTO | OPTML_HP_SHAPES_MODEL | \
                     OPTML_HP_HAS_MIN | OPTML_HP_HAS_MAX | OPTML_HP_MIN_EXCLUSIVE)
#define RANGE_FLAGS (OPTML_HP_HAS_MIN | OPTML_HP_HAS_MAX | OPTML_HP_MIN_EXCLUSIVE)
#define SHOWN 200 /* characters of a user value quoted in a message */
#define WHY_SIZE 1600 /* "must be <accepted>, got '<value>'<detail>" */

/* Results of rt_hparam_parse_text (hparams.h). */
enum { PV_OK = RT_HP_PARSED, PV_BAD = RT_HP_BAD, PV_NOMEM = RT_HP_NOMEM };

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

static int is_reserved(const char *key)
{
    return key[0] == '_' || strncmp(key, "sagemaker_", 10) == 0;
}

/* When s is a JSON string literal ("\"adam\""), *out = its content
 * (malloc'd); otherwise *out = NULL.  Returns PV_NOMEM on allocation failure. */
static int decode_once(const char *s, char **out)
{
    *out = NULL;
    const char *p = s + strspn(s, " \t\n\r\f\v");
    if (*p != '"')
        return PV_OK;
    json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
    if (j && json_is_string(j)) {
        *out = strdup(json_string_value(j));
        if (!*out) {
            json_decref(j);
            return PV_NOMEM;
        }
    }
    json_decref(j);
    return PV_OK;
}

/* ------------------------------------------------------------------------ */
/* The declaration table                                                    */
/* ------------------------------------------------------------------------ */

static ptrdiff_t find_decl(const struct optml_algorithm *alg, const char *name)
{
    for (size_t i = 0; i < alg->n_hparams; i++)
        if (alg->hparams[i].name && strcmp(alg->hparams[i].name, name) == 0)
            return (ptrdiff_t)i;
    return -1;
}

static optml_status check_range_decl(optml_ctx *ctx, const struct optml_algorithm *alg,
                                     const struct optml_hparam_decl *d)
{
    const char *m = alg->name ? alg->name : "?";
    int numeric = d->type == OPTML_HP_INT || d->type == OPTML_HP_FLOAT;
    if ((d->flags & RANGE_FLAGS) && !numeric)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "range flags on a non-numeric type", m, d->name);
    if ((d->flags & OPTML_HP_MIN_EXCLUSIVE) && !(d->flags & OPTML_HP_HAS_MIN))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "OPTML_HP_MIN_EXCLUSIVE without OPTML_HP_HAS_MIN", m, d->name);
    if (((d->flags & OPTML_HP_HAS_MIN) && isnan(d->min)) ||
        ((d->flags & OPTML_HP_HAS_MAX) && isnan(d->max)))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "NaN bound", m, d->name);
    if ((d->flags & OPTML_HP_HAS_MIN) && (d->flags & OPTML_HP_HAS_MAX) &&
        (d->min > d->max || (d->min == d->max && (d->flags & OPTML_HP_MIN_EXCLUSIVE))))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "empty range", m, d->name);
    return OPTML_OK;
}

static optml_status check_choices_decl(optml_ctx *ctx, const struct optml_algorithm *alg,
                                       const struct optml_hparam_decl *d)
{
    const char *m = alg->name ? alg->name : "?";
    if (d->type != OPTML_HP_ENUM)
        return OPTML_OK;
    if (!d->choices || !d->choices[0])
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "ENUM without choices", m, d->name);
    for (size_t i = 0; d->choices[i]; i++) {
        if (!d->choices[i][0])
            return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                               "empty choice", m, d->name);
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(d->choices[i], d->choices[j]) == 0)
                return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                                   "choice '%s' is listed twice (choices match ignoring case)",
                                   m, d->name, d->choices[i]);
    }
    return OPTML_OK;
}

static optml_status check_default_decl(optml_ctx *ctx, const struct optml_algorithm *alg,
                                       const struct optml_hparam_decl *d)
{
    const char *m = alg->name ? alg->name : "?";
    if (!d->default_value)
        return OPTML_OK;
    if (d->flags & OPTML_HP_REQUIRED)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "required but has a default", m, d->name);
    struct rt_hparam_value v = {.decl = d};
    char why[WHY_SIZE];
    int r = rt_hparam_parse_text(d, d->default_value, &v, why, sizeof(why));
    free(v.text);
    if (r == PV_NOMEM)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    if (r != PV_OK)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "invalid default: %s", m, d->name, why);
    return OPTML_OK;
}

static optml_status check_decl(optml_ctx *ctx, const struct optml_algorithm *alg, size_t i)
{
    const struct optml_hparam_decl *d = &alg->hparams[i];
    const char *m = alg->name ? alg->name : "?";
    if (!d->name || !d->name[0])
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter #%zu has no name",
                           m, i);
    if (is_reserved(d->name))
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': names "
                           "starting with '_' or 'sagemaker_' are reserved", m, d->name);
    if (find_decl(alg, d->name) != (ptrdiff_t)i)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s' is "
                           "declared twice", m, d->name);
    if ((unsigned)d->type > (unsigned)OPTML_HP_JSON)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "unknown type %d", m, d->name, (int)d->type);
    if (d->flags & ~KNOWN_FLAGS)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                           "unknown flags 0x%x", m, d->name, d->flags & ~KNOWN_FLAGS);
    optml_status st;
    if ((st = check_range_decl(ctx, alg, d)) != OPTML_OK ||
        (st = check_choices_decl(ctx, alg, d)) != OPTML_OK ||
        (st = check_default_decl(ctx, alg, d)) != OPTML_OK)
        return st;
    return rt_hparams_check_binding(ctx, alg, i);
}

optml_status rt_hparams_check_decls(optml_ctx *ctx, const struct optml_algorithm *alg)
{
    if (!alg)
        return optml_error(ctx, OPTML_E_INTERNAL, "no module to check");
    if (alg->n_hparams && !alg->hparams)
        return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': n_hparams is %zu but hparams "
                           "is NULL", alg->name ? alg->name : "?", alg->n_hparams);
    for (size_t i = 0; i < alg->n_hparams; i++) {
        optml_status st = check_decl(ctx, alg, i);
        if (st != OPTML_OK)
            return st;
    }
    return OPTML_OK;
}

/* ------------------------------------------------------------------------ */
/* hyperparameters.json                                                     */
/* ------------------------------------------------------------------------ */

/* Lower case with '-' as '_', for "did you mean". */
static char loose(char c)
{
    return c == '-' ? '_' : (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
}

#define NEAR_MAX 64 /* longer names are not compared */

/* Edit distance between a and b after loose(): insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1 (Damerau-Levenshtein,
 * optimal string alignment); -1 when either is longer than NEAR_MAX. */
static int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > NEAR_MAX || m > NEAR_MAX)
        return -1;
    int d[NEAR_MAX + 1][NEAR_MAX + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = loose(a[i - 1]) != loose(b[j - 1]);
            int best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && loose(a[i - 1]) == loose(b[j - 2]) && loose(a[i - 2]) == loose(b[j - 1]) &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

/* The declared name the user most likely meant: the same up to case and
 * '-' / '_', else the nearest within 2 edits and a third of the longer
 * name (so "wd" never suggests "l1"); NULL when none is that near. */
static const char *nearest_name(const struct optml_algorithm *alg, const char *key)
{
    const char *best = NULL;
    int best_d = 0;
    for (size_t i = 0; i < alg->n_hparams; i++) {
        const char *name = alg->hparams[i].name;
        int d = edit_distance(key, name);
        if (d < 0)
            continue;
        size_t longer = strlen(key) > strlen(name) ? strlen(key) : strlen(name);
        int limit = (int)(longer / 3) < 2 ? (int)(longer / 3) : 2;
        if (d == 0 || (d <= limit && (!best || d < best_d))) {
            best = name;
            best_d = d;
            if (d == 0)
                break;
        }
    }
    return best;
}

static optml_status unknown_key(optml_ctx *ctx, const struct optml_algorithm *alg,
                                const char *key)
{
    char list[1200] = "", hint[300] = "";
    size_t n = 0;
    for (size_t i = 0; i < alg->n_hparams && n < sizeof(list); i++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
                              alg->hparams[i].name);
    const char *near = nearest_name(alg, key);
    if (near)
        snprintf(hint, sizeof(hint), " (did you mean '%s'?)", near);
    return optml_error(ctx, OPTML_E_CLIENT,
                       HP_FILE ": unknown hyperparameter '%.*s'%s; %s accepts %s", SHOWN, key,
                       hint, alg->name ? alg->name : "the module",
                       alg->n_hparams ? list : "no hyperparameters");
}

static optml_status not_a_string(optml_ctx *ctx, const char *key, const json_t *val)
{
    optml_status st;
    char *dump = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
    json_t *s = dump ? json_string(dump) : NULL;
    char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    if (!quoted)
        st = optml_error(ctx, OPTML_E_CLIENT, HP_FILE ": '%s' is %s, but SageMaker passes "
                         "every hyperparameter value as a string", key, rt_json_kind(val));
    else
        st = optml_error(ctx, OPTML_E_CLIENT, HP_FILE ": '%s' is %s (%.*s%s), but SageMaker "
                         "passes every hyperparameter value as a string: write \"%s\": %.*s%s",
                         key, rt_json_kind(val), SHOWN, dump, strlen(dump) > SHOWN ? "..." : "",
                         key, SHOWN, quoted, strlen(quoted) > SHOWN ? "...\"" : "");
    free(quoted);
    json_decref(s);
    free(dump);
    return st;
}

/* Parse the user's text for one key: decode once, then type it. */
static optml_status apply_text(optml_ctx *ctx, const char *key, const char *raw,
                               struct rt_hparam_value *v)
{
    char *decoded = NULL;
    char why[WHY_SIZE];
    if (decode_once(raw, &decoded) != PV_OK)
        return optml_error(ctx, OPTML_E_NOMEM, HP_FILE ": out of memory");
    int r = rt_hparam_parse_text(v->decl, decoded ? decoded : raw, v, why, sizeof(why));
    /* JSON: a string literal that is not JSON once decoded is kept as is. */
    if (r == PV_BAD && decoded && v->decl->type == OPTML_HP_JSON)
        r = rt_hparam_parse_text(v->decl, raw, v, why, sizeof(why));
    free(decoded);
    if (r == PV_NOMEM)
        return optml_error(ctx, OPTML_E_NOMEM, HP_FILE ": out of memory");
    if (r != PV_OK)
        return optml_error(ctx, OPTML_E_CLIENT, HP_FILE ": '%s' %s", key, why);
    v->given = 1;
    return OPTML_OK;
}

static optml_status apply_given(optml_ctx *ctx, struct rt_hparams *hp, const char *key,
                                json_t *val)
{
    if (is_reserved(key)) {
        if (json_object_set(hp->ignored, key, val) != 0)
            return optml_error(ctx, OPTML_E_NOMEM, HP_FILE ": out of memory");
        return OPTML_OK;
    }
    ptrdiff_t i = find_decl(hp->alg, key);
    if (i < 0)
        return unknown_key(ctx, hp->alg, key);
    if (!json_is_string(val))
        return not_a_string(ctx, key, val);
    return apply_text(ctx, key, json_string_value(val), &hp->values[i]);
}

/* Defaults for what was not given; then every REQUIRED key must be set. */
static optml_status apply_defaults(optml_ctx *ctx, struct rt_hparams *hp)
{
    const struct optml_algorithm *alg = hp->alg;
    char missing[1200] = "", why[WHY_SIZE];
    size_t n = 0, count = 0;
    const struct optml_hparam_decl *first = NULL;
    for (size_t i = 0; i < alg->n_hparams; i++) {
        struct rt_hparam_value *v = &hp->values[i];
        const struct optml_hparam_decl *d = v->decl;
        if (v->set)
            continue;
        if (d->default_value) {
            int r = rt_hparam_parse_text(d, d->default_value, v, why, sizeof(why));
            if (r == PV_NOMEM)
                return optml_error(ctx, OPTML_E_NOMEM, HP_FILE ": out of memory");
            if (r != PV_OK)
                return optml_error(ctx, OPTML_E_INTERNAL, "module '%s': hyperparameter '%s': "
                                   "invalid default: %s", alg->name ? alg->name : "?",
                                   d->name, why);
        } else if (d->flags & OPTML_HP_REQUIRED) {
            if (!first)
                first = d;
            count++;
            if (n < sizeof(missing))
                n += (size_t)snprintf(missing + n, sizeof(missing) - n, "%s%s",
                                      n ? ", " : "", d->name);
        }
    }
    if (count == 1) {
        char accepted[1024];
        rt_hparam_describe(first, accepted, sizeof(accepted));
        return optml_error(ctx, OPTML_E_CLIENT, HP_FILE ": required hyperparameter '%s' is "
                           "missing (%s)", first->name, accepted);
    }
    if (count > 1)
        return optml_error(ctx, OPTML_E_CLIENT, HP_FILE ": required hyperparameters are "
                           "missing: %s", missing);
    return OPTML_OK;
}

static optml_status hparams_init(optml_ctx *ctx, const struct optml_algorithm *alg,
                                 struct rt_hparams *out)
{
    out->alg = alg;
    out->values = calloc(alg->n_hparams ? alg->n_hparams : 1, sizeof(*out->values));
    out->ignored = json_object();
    if (!out->values || !out->ignored)
        return optml_error(ctx, OPTML_E_NOMEM, HP_FILE ": out of memory");
    for (size_t i = 0; i < alg->n_hparams; i++)
        out->values[i].decl = &alg->hparams[i];
    return OPTML_OK;
}

optml_status rt_hparams_parse(optml_ctx *ctx, const struct optml_algorithm *alg,
                              const char *text, size_t len, struct rt_hparams *out)
{
    memset(out, 0, sizeof(*out));
    if (!alg || (alg->n_hparams && !alg->hparams))
        return optml_error(ctx, OPTML_E_INTERNAL, "hyperparameters: no declaration table");
    optml_status st = hparams_init(ctx, alg, out);
    if (st != OPTML_OK)
        goto out;
    int blank = 1;
    for (size_t i = 0; text && i < len && blank; i++)
        blank = text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n';
    if (blank) {
        if (!(out->provided = json_object())) {
            st = optml_error(ctx, OPTML_E_NOMEM, HP_FILE ": out of memory");
            goto out;
        }
    } else if ((st = rt_config_load_object(ctx, HP_FILE, text, len, &out->provided)) != OPTML_OK) {
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(out->provided, key, val) {
        if ((st = apply_given(ctx, out, key, val)) != OPTML_OK)
            goto out;
    }
    if ((st = apply_defaults(ctx, out)) == OPTML_OK)
        st = rt_hparams_bind(ctx, out);
out:
    if (st != OPTML_OK)
        rt_hparams_free(out);
    return st;
}

void rt_hparams_free(struct rt_hparams *hp)
{
    if (!hp)
        return;
    if (hp->values && hp->alg)
        for (size_t i = 0; i < hp->alg->n_hparams; i++) {
            free(hp->values[i].text);
            free(hp->values[i].auto_text);
        }
    free(hp->values);
    free(hp->config);
    json_decref(hp->provided);
    json_decref(hp->ignored);
    memset(hp, 0, sizeof(*hp));
}

const struct rt_hparam_value *rt_hparams_find(const struct rt_hparams *hp, const char *name)
{
    if (!hp || !hp->alg || !hp->values || !name)
        return NULL;
    ptrdiff_t i = find_decl(hp->alg, name);
    return i < 0 ? NULL : &hp->values[i];
}

/* ------------------------------------------------------------------------ */
/* Shape hash and echo lines                                                */
/* ------------------------------------------------------------------------ */

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Canonical text of v; returns buf, or a malloc'd string in *owned. */
static const char *canonical(const struct rt_hparam_value *v, char *buf, size_t size,
                             char **owned)
{
    *owned = NULL;
    if (!v->set)
        return "-";
    if (v->is_auto)
        return "auto";
    switch (v->decl->type) {
    case OPTML_HP_INT: snprintf(buf, size, "%lld", (long long)v->i); return buf;
    case OPTML_HP_FLOAT: snprintf(buf, size, "%.17g", v->f); return buf;
    case OPTML_HP_BOOL: return v->b ? "1" : "0";
    case OPTML_HP_JSON: {
        json_t *j = json_loads(v->text, JSON_DECODE_ANY, NULL);
        *owned = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
        return *owned ? *owned : v->text;
    }
    default: return v->text ? v->text : "";
    }
}

uint64_t rt_hparams_shape_hash(const struct rt_hparams *hp)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    if (!hp || !hp->alg || !hp->values)
        return h;
    h = fnv1a(h, hp->alg->name ? hp->alg->name : "");
    h = fnv1a(h, "\n");
    for (size_t i = 0; i < hp->alg->n_hparams; i++) {
        const struct rt_hparam_value *v = &hp->values[i];
        if (!(v->decl->flags & OPTML_HP_SHAPES_MODEL))
            continue;
        char buf[64], *owned;
        const char *text = canonical(v, buf, sizeof(buf), &owned);
        h = fnv1a(h, v->decl->name);
        h = fnv1a(h, "=");
        h = fnv1a(h, text);
        h = fnv1a(h, "\n");
        free(owned);
    }
    return h;
}

static char *dump_sorted(json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    return s;
}

/* obj[key] = "value"; returns -1 on failure (obj is then freed). */
static int put_string(json_t **obj, const char *key, const char *value)
{
    if (*obj && json_object_set_new(*obj, key, json_string(value)) == 0)
        return 0;
    json_decref(*obj);
    *obj = NULL;
    return -1;
}

char *rt_hparams_defaults_json(const struct optml_algorithm *alg)
{
    json_t *obj = json_object();
    for (size_t i = 0; alg && alg->hparams && i < alg->n_hparams; i++) {
        const struct optml_hparam_decl *d = &alg->hparams[i];
        if (d->name && d->default_value && put_string(&obj, d->name, d->default_value) != 0)
            return NULL;
    }
    return dump_sorted(obj);
}

char *rt_hparams_provided_json(const struct rt_hparams *hp)
{
    if (hp && hp->provided)
        return json_dumps(hp->provided, JSON_COMPACT | JSON_SORT_KEYS);
    return strdup("{}");
}

char *rt_hparams_final_json(const struct rt_hparams *hp)
{
    json_t *obj = json_object();
    for (size_t i = 0; hp && hp->alg && hp->values && i < hp->alg->n_hparams; i++) {
        const struct rt_hparam_value *v = &hp->values[i];
        char buf[64];
        const char *text = v->set ? v->text : NULL;
        if (hp->config && v->decl->bind != OPTML_BIND_NONE)
            text = rt_hparams_bound_text(hp, i, buf, sizeof(buf));
        if (text && put_string(&obj, v->decl->name, text) != 0)
            return NULL;
    }
    return dump_sorted(obj);
}

/* ------------------------------------------------------------------------ */
/* Public accessors (algorithm.h)                                           */
/* ------------------------------------------------------------------------ */

static const struct rt_hparam_value *ctx_value(const optml_ctx *ctx, const char *name)
{
    if (!ctx || !ctx->hp)
        return NULL;
    return rt_hparams_find(ctx->hp, name);
}

int optml_hp_is_set(const optml_ctx *ctx, const char *name)
{
    const struct rt_hparam_value *v = ctx_value(ctx, name);
    return v && v->set;
}

int optml_hp_is_auto(const optml_ctx *ctx, const char *name)
{
    const struct rt_hparam_value *v = ctx_value(ctx, name);
    return v && v->set && v->is_auto;
}

int optml_hp_was_given(const optml_ctx *ctx, const char *name)
{
    const struct rt_hparam_value *v = ctx_value(ctx, name);
    return v && v->given;
}

int64_t optml_hp_int(const optml_ctx *ctx, const char *name)
{
    const struct rt_hparam_value *v = ctx_value(ctx, name);
    return (v && v->set && !v->is_auto && v->decl->type == OPTML_HP_INT) ? v->i : 0;
}

double optml_hp_float(const optml_ctx *ctx, const char *name)
{
    const struct rt_hparam_value *v = ctx_value(ctx, name);
    if (!v || !v->set || v->is_auto)
        return 0;
    return (v->decl->type == OPTML_HP_FLOAT || v->decl->type == OPTML_HP_INT) ? v->f : 0;
}

int optml_hp_bool(const optml_ctx *ctx, const char *name)
{
    const struct rt_hparam_value *v = ctx_value(ctx, name);
    return (v && v->set && !v->is_auto && v->decl->type == OPTML_HP_BOOL) ? v->b : 0;
}

const char *optml_hp_string(const optml_ctx *ctx, const char *name)
{
    const struct rt_hparam_value *v = ctx_value(ctx, name);
    return (v && v->set) ? v->text : NULL;
}
