/*
 * report.h: the training report, output/data/report.html.  What a job
 * gathers for it (struct rt_report in the job: metric curves bounded by
 * min/max bucketing, epoch timings, and the module's tables from the
 * optml_report_* functions of algorithm.h) in report.c; the page itself,
 * one self-contained HTML file with inline SVG, in report_page.c; escaping,
 * downsampling and the SVG chart in html.c (html.h).
 *
 * Bounds: every series keeps at most RT_SERIES_CAP points, every table and
 * matrix is capped, and the page stops adding rows, charts and tables past
 * RT_REPORT_BUDGET bytes, so it stays under 2 MB whatever the job (a cut
 * says so on the page).
 */
#ifndef OPTML_REPORT_H
#define OPTML_REPORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "optml/algorithm.h"

struct rt_job;

#define RT_SERIES_CAP 4096      /* points a series keeps before compacting */
#define RT_SERIES_KEEP 1024     /* buckets a compaction leaves (<= 2 points each) */
#define RT_REPORT_MAX_SERIES 48 /* metric series (split x name) with curves */
#define RT_REPORT_MAX_FINAL 256 /* final metrics (epoch < 0) */
#define RT_REPORT_MAX_CLASSES 50 /* confusion matrix rows and columns shown */
#define RT_REPORT_MAX_ITEMS 16  /* confusion matrices, residual sets, tables */
#define RT_REPORT_MAX_FACTS 64
#define RT_REPORT_TABLE_ROWS 100
#define RT_REPORT_TABLE_COLS 16
#define RT_REPORT_CELL_CHARS 200 /* text shown of one cell or value */
#define RT_RESIDUAL_SAMPLE 16384 /* residuals kept for the quantiles */
/* Past this size the page adds no more rows, charts or tables (a note says
 * so), whatever the caps above let through: the page stays under 2 MB. */
#define RT_REPORT_BUDGET (1536 * 1024)

/* One metric over time: x is the epoch (or the point's number when the
 * module reports batches), y the value; min/max-bucketed past the cap. */
struct rt_series {
    char *split, *name, *kind;
    int by_step;          /* x counts points (batch metrics), not epochs */
    double *x, *y;
    size_t n;
    uint64_t total;       /* points received */
    uint64_t non_finite;  /* NaN / infinite values, not drawn */
};

/* Add a point; compacts to RT_SERIES_KEEP buckets when full.  -1 on OOM. */
int rt_series_add(struct rt_series *s, double x, double y);
void rt_series_free(struct rt_series *s);

struct rt_final_metric {
    char *split, *name, *kind;
    double value;
};

struct rt_confusion {
    char *split;
    size_t k;              /* classes in the module's matrix */
    size_t shown;          /* rows / columns kept (the largest classes) */
    size_t *index;         /* shown: the class number of each kept class */
    char **names;          /* shown */
    uint64_t *cells;       /* shown x shown */
    uint64_t *support;     /* shown: rows of the true class (all columns) */
    uint64_t *predicted;   /* shown: rows predicted as the class (all rows) */
    uint64_t total, correct;
};

struct rt_residuals {
    char *split;
    uint64_t n, non_finite;
    double mean, m2;       /* Welford */
    double abs_sum, sq_sum, min, max;
    float *sample;         /* reservoir of RT_RESIDUAL_SAMPLE */
    size_t n_sample;
    uint64_t rng;
};

struct rt_fact {
    char *name, *value;
};

struct rt_table {
    char *title, *note;
    size_t n_cols, n_rows;  /* kept */
    size_t cols_total, rows_total;
    char **cells;           /* (n_rows + 1) x n_cols: the header first */
};

struct rt_epoch_time {
    struct rt_series seconds, throughput;
    uint64_t epochs;
    double seconds_sum, first_begin; /* first_begin: monotonic, 0 unknown */
};

struct rt_report {
    pthread_mutex_t lock;
    int ready;                /* rt_report_init ran */
    struct rt_series *series;
    size_t n_series;
    uint64_t series_dropped;  /* points of series beyond the cap */
    struct rt_final_metric *finals;
    size_t n_finals;
    uint64_t finals_dropped;
    struct rt_confusion *confusions[RT_REPORT_MAX_ITEMS];
    size_t n_confusions;
    struct rt_residuals *residuals[RT_REPORT_MAX_ITEMS];
    size_t n_residuals;
    struct rt_fact facts[RT_REPORT_MAX_FACTS];
    size_t n_facts;
    struct rt_table *tables[RT_REPORT_MAX_ITEMS];
    size_t n_tables;
    uint64_t items_dropped;   /* matrices, residual sets, tables, facts beyond their caps */
    struct rt_epoch_time epochs;
};

void rt_report_init(struct rt_report *r);
void rt_report_free(struct rt_report *r);

/* Called by optml_metric and optml_epoch_end (metrics.c). */
void rt_report_metric(struct rt_report *r, const struct optml_metric *m);
void rt_report_epoch(struct rt_report *r, int epoch, uint64_t records, double seconds, double began);

/* How the job ended, for the page's first lines. */
struct rt_report_outcome {
    optml_status status;
    const char *failure;      /* "ClientError: ..." or NULL */
    int stopped;              /* SIGTERM / SIGINT */
    double start_wall;        /* Unix time the job started */
    double start_mono;        /* rt_now() then */
    double end_mono;
};

/* The page for `job` (any part may be missing: no module, no channels),
 * malloc'd in *html.  -1 when out of memory. */
int rt_report_render(const struct rt_job *job, const struct rt_report_outcome *o, char **html, size_t *len);

/* Render and write <output/data>/report.html atomically.  Never fails the
 * job: a failure is one warning line.  Logs the path, size and time. */
void rt_report_write(struct rt_job *job, const struct rt_report_outcome *o);

#endif
