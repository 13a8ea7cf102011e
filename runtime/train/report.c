/*
 * report.c: what a training job gathers for its report (report.h): metric
 * series bounded by min/max bucketing, epoch timings, and the module's own
 * tables from the optml_report_* functions of algorithm.h (API 4.1); and
 * writing the page at the end of the job.  Every entry point takes the
 * report's lock; none can fail the job.
 */
#define _GNU_SOURCE
#include "train/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/ctx.h"
#include "core/log.h"
#include "core/paths.h"
#include "data/channel.h"
#include "train/html.h"
#include "train/job.h"

/* ---- series ------------------------------------------------------------ */

int rt_series_add(struct rt_series *s, double x, double y)
{
    s->total++;
    if (!isfinite(y) || !isfinite(x)) {
        s->non_finite++;
        return 0;
    }
    if (!s->x) {
        s->x = malloc(RT_SERIES_CAP * sizeof(double));
        s->y = malloc(RT_SERIES_CAP * sizeof(double));
        if (!s->x || !s->y) {
            free(s->x);
            free(s->y);
            s->x = s->y = NULL;
            return -1;
        }
    }
    if (s->n == RT_SERIES_CAP) /* min/max of every bucket survive */
        s->n = rt_downsample_minmax(s->x, s->y, s->n, RT_SERIES_KEEP, s->x, s->y);
    s->x[s->n] = x;
    s->y[s->n++] = y;
    return 0;
}

void rt_series_free(struct rt_series *s)
{
    free(s->split);
    free(s->name);
    free(s->kind);
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof(*s));
}

/* ---- the report -------------------------------------------------------- */

void rt_report_init(struct rt_report *r)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->ready = 1;
}

static void confusion_free(struct rt_confusion *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->names && i < c->shown; i++)
        free(c->names[i]);
    free(c->names);
    free(c->index);
    free(c->cells);
    free(c->support);
    free(c->predicted);
    free(c->split);
    free(c);
}

static void residuals_free(struct rt_residuals *x)
{
    if (!x)
        return;
    free(x->split);
    free(x->sample);
    free(x);
}

static void table_free(struct rt_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->cells && i < (t->n_rows + 1) * t->n_cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->title);
    free(t->note);
    free(t);
}

void rt_report_free(struct rt_report *r)
{
    if (!r->ready)
        return;
    for (size_t i = 0; i < r->n_series; i++)
        rt_series_free(&r->series[i]);
    free(r->series);
    for (size_t i = 0; i < r->n_finals; i++) {
        free(r->finals[i].split);
        free(r->finals[i].name);
        free(r->finals[i].kind);
    }
    free(r->finals);
    for (size_t i = 0; i < r->n_confusions; i++)
        confusion_free(r->confusions[i]);
    for (size_t i = 0; i < r->n_residuals; i++)
        residuals_free(r->residuals[i]);
    for (size_t i = 0; i < r->n_tables; i++)
        table_free(r->tables[i]);
    for (size_t i = 0; i < r->n_facts; i++) {
        free(r->facts[i].name);
        free(r->facts[i].value);
    }
    rt_series_free(&r->epochs.seconds);
    rt_series_free(&r->epochs.throughput);
    pthread_mutex_destroy(&r->lock);
    memset(r, 0, sizeof(*r));
}

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static void oom(const char *what)
{
    rt_log(OPTML_LOG_WARNING, "training report: out of memory keeping %s; it is left out", what);
}

void rt_report_metric(struct rt_report *r, const struct optml_metric *m)
{
    if (!r || !r->ready || !m || !m->split || !m->name)
        return;
    const char *kind = m->kind && *m->kind ? m->kind : "score";
    pthread_mutex_lock(&r->lock);
    if (m->epoch < 0) { /* a final value: the last one wins */
        size_t i;
        for (i = 0; i < r->n_finals && !(same(r->finals[i].split, m->split) && same(r->finals[i].name, m->name)); i++)
            ;
        if (i == r->n_finals) {
            if (i == RT_REPORT_MAX_FINAL) {
                r->finals_dropped++;
                goto out;
            }
            if (!r->finals && !(r->finals = calloc(RT_REPORT_MAX_FINAL, sizeof(*r->finals)))) {
                oom("a final metric");
                goto out;
            }
            struct rt_final_metric *f = &r->finals[i];
            f->split = strdup(m->split);
            f->name = strdup(m->name);
            f->kind = strdup(kind);
            if (!f->split || !f->name || !f->kind) {
                free(f->split);
                free(f->name);
                free(f->kind);
                memset(f, 0, sizeof(*f));
                oom("a final metric");
                goto out;
            }
            r->n_finals++;
        }
        r->finals[i].value = m->value;
        goto out;
    }
    size_t i;
    for (i = 0; i < r->n_series && !(same(r->series[i].split, m->split) && same(r->series[i].name, m->name)); i++)
        ;
    if (i == r->n_series) {
        if (i == RT_REPORT_MAX_SERIES) {
            r->series_dropped++;
            goto out;
        }
        if (!r->series && !(r->series = calloc(RT_REPORT_MAX_SERIES, sizeof(*r->series)))) {
            oom("a metric curve");
            goto out;
        }
        struct rt_series *s = &r->series[i];
        s->split = strdup(m->split);
        s->name = strdup(m->name);
        s->kind = strdup(kind);
        if (!s->split || !s->name || !s->kind) {
            rt_series_free(s);
            oom("a metric curve");
            goto out;
        }
        s->by_step = m->batch >= 0;
        r->n_series++;
    }
    struct rt_series *s = &r->series[i];
    double x = s->by_step ? (double)s->total : (double)m->epoch;
    if (rt_series_add(s, x, m->value) != 0)
        oom("a metric point");
out:
    pthread_mutex_unlock(&r->lock);
}

void rt_report_epoch(struct rt_report *r, int epoch, uint64_t records, double seconds, double began)
{
    if (!r || !r->ready)
        return;
    pthread_mutex_lock(&r->lock);
    struct rt_epoch_time *e = &r->epochs;
    if (e->first_begin == 0 || (began > 0 && began < e->first_begin))
        e->first_begin = began;
    e->epochs++;
    e->seconds_sum += seconds;
    if (rt_series_add(&e->seconds, epoch, seconds) != 0 ||
        rt_series_add(&e->throughput, epoch, seconds > 0 ? (double)records / seconds : NAN) != 0)
        oom("an epoch's timing");
    pthread_mutex_unlock(&r->lock);
}

/* ---- the module's tables (algorithm.h, API 4.1) ------------------------ */

static struct rt_report *report_of(optml_ctx *ctx)
{
    return ctx && ctx->job && ctx->job->report.ready ? &ctx->job->report : NULL;
}

void optml_report_rows(optml_ctx *ctx, const char *channel, uint64_t rows, uint64_t bad_rows)
{
    struct rt_report *r = report_of(ctx);
    if (!r || !channel)
        return;
    pthread_mutex_lock(&r->lock);
    size_t i;
    for (i = 0; i < ctx->n_channels && strcmp(optml_channel_name(&ctx->channels[i]), channel) != 0; i++)
        ;
    if (i < ctx->n_channels) {
        ctx->channels[i].rows = rows;
        ctx->channels[i].bad_rows = bad_rows;
        ctx->channels[i].rows_reported = 1;
    } else {
        rt_log(OPTML_LOG_WARNING, "training report: rows reported for '%s', which is not a channel of the job",
               channel);
    }
    pthread_mutex_unlock(&r->lock);
}

/* Index of the entry for `split` in items[0..n), or n. */
#define FIND_SPLIT(items, n, want)                                                                            \
    ({                                                                                                        \
        size_t j_;                                                                                            \
        for (j_ = 0; j_ < (n) && !same((items)[j_]->split, (want)); j_++)                                     \
            ;                                                                                                 \
        j_;                                                                                                   \
    })

struct by_support {
    uint64_t support;
    size_t index;
};

static int support_desc(const void *a, const void *b)
{
    const struct by_support *x = a, *y = b;
    if (x->support != y->support)
        return x->support < y->support ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int index_asc(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static struct rt_confusion *confusion_new(const char *split, size_t k, const char *const *classes,
                                          const uint64_t *counts)
{
    struct rt_confusion *c = calloc(1, sizeof(*c));
    struct by_support *order = calloc(k, sizeof(*order));
    uint64_t *support = calloc(k, sizeof(uint64_t)), *predicted = calloc(k, sizeof(uint64_t));
    if (!c || !order || !support || !predicted)
        goto fail;
    c->k = k;
    c->shown = k < RT_REPORT_MAX_CLASSES ? k : RT_REPORT_MAX_CLASSES;
    for (size_t t = 0; t < k; t++)
        for (size_t p = 0; p < k; p++) {
            uint64_t v = counts[t * k + p];
            support[t] += v;
            predicted[p] += v;
            c->total += v;
            if (t == p)
                c->correct += v;
        }
    for (size_t t = 0; t < k; t++)
        order[t] = (struct by_support){support[t], t};
    qsort(order, k, sizeof(*order), support_desc);
    c->split = strdup(split);
    c->index = calloc(c->shown ? c->shown : 1, sizeof(size_t));
    c->names = calloc(c->shown ? c->shown : 1, sizeof(char *));
    c->cells = calloc(c->shown * c->shown, sizeof(uint64_t));
    c->support = calloc(c->shown ? c->shown : 1, sizeof(uint64_t));
    c->predicted = calloc(c->shown ? c->shown : 1, sizeof(uint64_t));
    if (!c->split || !c->index || !c->names || !c->cells || !c->support || !c->predicted)
        goto fail;
    for (size_t i = 0; i < c->shown; i++)
        c->index[i] = order[i].index;
    qsort(c->index, c->shown, sizeof(size_t), index_asc); /* the module's order */
    for (size_t i = 0; i < c->shown; i++) {
        size_t t = c->index[i];
        c->support[i] = support[t];
        c->predicted[i] = predicted[t];
        for (size_t j = 0; j < c->shown; j++)
            c->cells[i * c->shown + j] = counts[t * k + c->index[j]];
        if (classes && classes[t])
            c->names[i] = strdup(classes[t]);
        else if (asprintf(&c->names[i], "%zu", t) < 0)
            c->names[i] = NULL;
        if (!c->names[i])
            goto fail;
    }
    free(order);
    free(support);
    free(predicted);
    return c;
fail:
    free(order);
    free(support);
    free(predicted);
    confusion_free(c);
    return NULL;
}

void optml_report_confusion(optml_ctx *ctx, const char *split, size_t k, const char *const *classes,
                            const uint64_t *counts)
{
    struct rt_report *r = report_of(ctx);
    if (!r)
        return;
    if (!split || !counts || k == 0) {
        rt_log(OPTML_LOG_WARNING, "training report: optml_report_confusion without a split or counts: ignored");
        return;
    }
    struct rt_confusion *c = confusion_new(split, k, classes, counts); /* outside the lock: k*k reads */
    if (!c) {
        oom("a confusion matrix");
        return;
    }
    pthread_mutex_lock(&r->lock);
    size_t j = FIND_SPLIT(r->confusions, r->n_confusions, split);
    if (j < r->n_confusions) {
        confusion_free(r->confusions[j]);
        r->confusions[j] = c;
    } else if (r->n_confusions < RT_REPORT_MAX_ITEMS) {
        r->confusions[r->n_confusions++] = c;
    } else {
        r->items_dropped++;
        confusion_free(c);
    }
    pthread_mutex_unlock(&r->lock);
}

void optml_report_residuals(optml_ctx *ctx, const char *split, const float *predicted, const float *actual,
                            size_t n)
{
    struct rt_report *r = report_of(ctx);
    if (!r)
        return;
    if (!split || (n && (!predicted || !actual))) {
        rt_log(OPTML_LOG_WARNING, "training report: optml_report_residuals without a split or values: ignored");
        return;
    }
    pthread_mutex_lock(&r->lock);
    size_t j = FIND_SPLIT(r->residuals, r->n_residuals, split);
    struct rt_residuals *x = j < r->n_residuals ? r->residuals[j] : NULL;
    if (!x) {
        if (r->n_residuals == RT_REPORT_MAX_ITEMS) {
            r->items_dropped++;
            goto out;
        }
        x = calloc(1, sizeof(*x));
        if (x && (!(x->split = strdup(split)) || !(x->sample = malloc(RT_RESIDUAL_SAMPLE * sizeof(float))))) {
            residuals_free(x);
            x = NULL;
        }
        if (!x) {
            oom("residuals");
            goto out;
        }
        x->min = INFINITY;
        x->max = -INFINITY;
        x->rng = 0x9e3779b97f4a7c15ull;
        r->residuals[r->n_residuals++] = x;
    }
    for (size_t i = 0; i < n; i++) {
        double d = (double)predicted[i] - (double)actual[i];
        if (!isfinite(d)) {
            x->non_finite++;
            continue;
        }
        x->n++;
        double delta = d - x->mean;
        x->mean += delta / (double)x->n;
        x->m2 += delta * (d - x->mean);
        x->abs_sum += fabs(d);
        x->sq_sum += d * d;
        x->min = fmin(x->min, d);
        x->max = fmax(x->max, d);
        /* Reservoir sampling (algorithm R) with a fixed seed. */
        if (x->n_sample < RT_RESIDUAL_SAMPLE) {
            x->sample[x->n_sample++] = (float)d;
        } else {
            x->rng = x->rng * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t at = (x->rng >> 11) % x->n;
            if (at < RT_RESIDUAL_SAMPLE)
                x->sample[at] = (float)d;
        }
    }
out:
    pthread_mutex_unlock(&r->lock);
}

static char *capped_dup(const char *s)
{
    return strndup(s ? s : "", 4 * RT_REPORT_CELL_CHARS);
}

void optml_report_fact(optml_ctx *ctx, const char *name, const char *fmt, ...)
{
    struct rt_report *r = report_of(ctx);
    if (!r || !name || !fmt)
        return;
    char *value = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0) {
        oom("a fact");
        return;
    }
    pthread_mutex_lock(&r->lock);
    size_t i;
    for (i = 0; i < r->n_facts && !same(r->facts[i].name, name); i++)
        ;
    if (i < r->n_facts) {
        free(r->facts[i].value);
        r->facts[i].value = value;
        value = NULL;
    } else if (i < RT_REPORT_MAX_FACTS) {
        if ((r->facts[i].name = capped_dup(name)) != NULL) {
            r->facts[i].value = value;
            value = NULL;
            r->n_facts++;
        } else {
            oom("a fact");
        }
    } else {
        r->items_dropped++;
    }
    pthread_mutex_unlock(&r->lock);
    free(value);
}

void optml_report_table(optml_ctx *ctx, const char *title, size_t n_cols, const char *const *header,
                        size_t n_rows, const char *const *cells, const char *note)
{
    struct rt_report *r = report_of(ctx);
    if (!r)
        return;
    if (!title || n_cols == 0 || (n_rows && !cells)) {
        rt_log(OPTML_LOG_WARNING, "training report: optml_report_table without a title, columns or cells: ignored");
        return;
    }
    struct rt_table *t = calloc(1, sizeof(*t));
    if (!t) {
        oom("a table");
        return;
    }
    t->cols_total = n_cols;
    t->rows_total = n_rows;
    t->n_cols = n_cols < RT_REPORT_TABLE_COLS ? n_cols : RT_REPORT_TABLE_COLS;
    t->n_rows = n_rows < RT_REPORT_TABLE_ROWS ? n_rows : RT_REPORT_TABLE_ROWS;
    t->title = capped_dup(title);
    t->note = note ? capped_dup(note) : NULL;
    t->cells = calloc((t->n_rows + 1) * t->n_cols, sizeof(char *));
    int ok = t->title && (!note || t->note) && t->cells;
    for (size_t i = 0; ok && i <= t->n_rows; i++)
        for (size_t j = 0; ok && j < t->n_cols; j++) {
            const char *v = i == 0 ? (header ? header[j] : NULL) : cells[(i - 1) * n_cols + j];
            ok = (t->cells[i * t->n_cols + j] = capped_dup(v)) != NULL;
        }
    if (!ok) {
        table_free(t);
        oom("a table");
        return;
    }
    pthread_mutex_lock(&r->lock);
    size_t i;
    for (i = 0; i < r->n_tables && !same(r->tables[i]->title, t->title); i++)
        ;
    if (i < r->n_tables) {
        table_free(r->tables[i]);
        r->tables[i] = t;
    } else if (r->n_tables < RT_REPORT_MAX_ITEMS) {
        r->tables[r->n_tables++] = t;
    } else {
        r->items_dropped++;
        table_free(t);
    }
    pthread_mutex_unlock(&r->lock);
}

/* ---- writing ----------------------------------------------------------- */

void rt_report_write(struct rt_job *job, const struct rt_report_outcome *o)
{
    if (!job || !job->paths.output_data_dir)
        return;
    double t0 = rt_now();
    char *path = rt_path_join(job->paths.output_data_dir, "report.html");
    char *html = NULL;
    size_t len = 0;
    if (!path || rt_report_render(job, o, &html, &len) != 0) {
        rt_log(OPTML_LOG_WARNING, "could not write the training report: out of memory");
        free(path);
        free(html);
        return;
    }
    struct optml_ctx scratch; /* the job's error message stays the job's */
    rt_ctx_init(&scratch);
    struct rt_chunk c = {html, len};
    if (rt_write_replace(&scratch, path, &c, 1) != OPTML_OK)
        rt_log(OPTML_LOG_WARNING, "could not write the training report: %s", scratch.errmsg);
    else
        rt_log(OPTML_LOG_INFO, "Training report: %s (%zu bytes, written in %.2f ms)", path, len,
               (rt_now() - t0) * 1e3);
    free(html);
    free(path);
}
