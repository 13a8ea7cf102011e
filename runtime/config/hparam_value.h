/*
 * hparam_value.h: the typed values of a job's hyperparameters (struct
 * rt_hparams, one struct rt_hparam_value per declared row) and the parsing
 * of one value's text (hparam_value.c).  Filled by hparams.c, bound into the
 * module's config struct by bind.c.
 */
#ifndef OPTML_HPARAM_VALUE_H
#define OPTML_HPARAM_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

#include <jansson.h>

struct rt_hparam_value {
    const struct optml_hparam_decl *decl;
    int set;        /* has a value (given or default) */
    int given;      /* came from hyperparameters.json */
    int is_auto;    /* the value is "auto" */
    int64_t i;      /* INT */
    double f;       /* FLOAT (also INT as double) */
    int b;          /* BOOL */
    char *text;     /* the value as text (decoded once if double-encoded) */
    char *auto_text; /* bound rows: the text of the row's auto_value, typed,
                        when the value is auto (what a TEXT member points to) */
};

struct rt_hparams {
    const struct optml_algorithm *alg;
    struct rt_hparam_value *values; /* alg->n_hparams entries, table order */
    json_t *provided;               /* the user's object as read (for the echo) */
    json_t *ignored;                /* `_*` and `sagemaker_*` keys, as read */
    void *config;                   /* alg->config_size bytes (optml_config);
                                       NULL when 0 */
};

/* One value's text for declaration d into v (v->decl == d): RT_HP_PARSED
 * (v->set, v->text and the typed field filled), RT_HP_BAD with "must be ...,
 * got '...'" in why, or RT_HP_NOMEM. */
enum { RT_HP_PARSED = 0, RT_HP_BAD = -1, RT_HP_NOMEM = -2 };
int rt_hparam_parse_text(const struct optml_hparam_decl *d, const char *text,
                         struct rt_hparam_value *v, char *why, size_t whysz);

/* What declaration d accepts, e.g. "an integer in [1, 10] or auto", into buf. */
void rt_hparam_describe(const struct optml_hparam_decl *d, char *buf, size_t size);

#endif
