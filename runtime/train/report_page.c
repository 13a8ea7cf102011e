/*
 * report_page.c: the training report as one self-contained HTML page
 * (report.h): the outcome; a chart per metric (every split on one chart)
 * and the final metrics; the module's own tables; the data read per
 * channel; timings and throughput; the configuration.  Everything that
 * comes from the job or the user is escaped; nothing is loaded from
 * anywhere (inline CSS and SVG, no script).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/hparams.h"
#include "data/channel.h"
#include "train/html.h"
#include "train/job.h"
#include "train/report.h"

#define ESC(out, s) rt_html_escape((out), (s), RT_REPORT_CELL_CHARS)

/* The page is past its size budget: add no more rows, charts or tables. */
static int full(FILE *out)
{
    long n = ftell(out);
    return n < 0 || n > RT_REPORT_BUDGET;
}

static const char FULL_NOTE[] = "<p class=\"note\">The page stops here to stay small; every metric is in "
                                "metrics.jsonl.</p>\n";

static const char STYLE[] =
    "body{font-family:sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222;line-height:1.4}"
    "h1{font-size:1.6em;margin-bottom:4px}h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}"
    "h3{font-size:1.05em;margin:16px 0 4px}"
    "table{border-collapse:collapse;margin:8px 0 12px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "th{background:#f3f3f3}td.l,th.l{text-align:left}caption{text-align:left;font-weight:bold;padding:4px 0;white-space:nowrap}"
    "td.diag{background:#e3f1e3;font-weight:bold}.note{color:#666;font-size:.9em}"
    ".ok{color:#1a7f37}.stopped{color:#9a6700}.failed{color:#cf222e}nav a{margin-right:12px}"
    "figure{margin:8px 0 16px}figcaption h3{margin:0}";

static const char *split_color(const char *split)
{
    if (strcmp(split, "train") == 0)
        return "#1f77b4";
    if (strcmp(split, "validation") == 0)
        return "#ff7f0e";
    if (strcmp(split, "test") == 0)
        return "#2ca02c";
    return "#9467bd";
}

static void num(FILE *out, double v)
{
    if (isnan(v))
        fputs("NaN", out);
    else if (isinf(v))
        fputs(v > 0 ? "∞" : "−∞", out);
    else {
        char buf[32];
        strfromd(buf, sizeof(buf), "%.6g", v); /* see number() in html.c */
        fputs(buf, out);
    }
}

static void count(FILE *out, uint64_t v)
{
    fprintf(out, "%llu", (unsigned long long)v);
}

static void bytes(FILE *out, uint64_t v)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double x = (double)v;
    int u = 0;
    while (x >= 1024 && u < 4) {
        x /= 1024;
        u++;
    }
    if (u == 0)
        fprintf(out, "%llu B", (unsigned long long)v);
    else
        fprintf(out, "%.1f %s", x, unit[u]);
}

static void seconds(FILE *out, double s)
{
    if (!(s >= 0))
        fputs("—", out);
    else if (s < 1)
        fprintf(out, "%.1f ms", s * 1e3);
    else if (s < 120)
        fprintf(out, "%.2f s", s);
    else
        fprintf(out, "%.0f s (%.1f min)", s, s / 60);
}

/* <tr><th class="l">name</th><td class="l"> (the caller writes the value) */
static void kv_open(FILE *out, const char *name)
{
    fputs("<tr><th class=\"l\">", out);
    ESC(out, name);
    fputs("</th><td class=\"l\">", out);
}

static void header_section(FILE *out, const struct rt_job *job, const struct rt_report_outcome *o)
{
    const struct optml_algorithm *alg = job->alg;
    fputs("<h1>Training report", out);
    if (alg) {
        fputs(": ", out);
        ESC(out, alg->name);
        if (alg->version) {
            fputc(' ', out);
            ESC(out, alg->version);
        }
    }
    fputs("</h1>\n", out);
    double total = o->end_mono - o->start_mono;
    if (o->failure) {
        fputs("<p class=\"failed\"><b>Failed</b> after ", out);
        seconds(out, total);
        fputs(": ", out);
        ESC(out, o->failure);
        fputs("</p>\n", out);
    } else if (o->stopped) {
        fputs("<p class=\"stopped\"><b>Stopped on request</b> (SIGTERM) after ", out);
        seconds(out, total);
        fputs(": the model and checkpoint so far were saved.</p>\n", out);
    } else {
        fputs("<p class=\"ok\"><b>Completed</b> in ", out);
        seconds(out, total);
        fputs(".</p>\n", out);
    }
    fputs("<table>", out);
    char when[64] = "—";
    time_t t = (time_t)o->start_wall;
    struct tm tm;
    if (o->start_wall > 0 && gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    kv_open(out, "Started");
    fputs(when, out);
    fputs("</td></tr>", out);
    kv_open(out, "Host");
    ESC(out, job->resource.current_host ? job->resource.current_host : "algo-1");
    fputs("</td></tr>", out);
    if (alg) {
        kv_open(out, "Module");
        ESC(out, alg->name);
        fputc(' ', out);
        ESC(out, alg->version ? alg->version : "");
        fprintf(out, " (module API %d.%d)</td></tr>", alg->api_version, alg->api_minor);
    }
    kv_open(out, "Runtime");
    fputs("optml " OPTML_VERSION ", module API ", out);
    fprintf(out, "%d.%d</td></tr>", OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR);
    kv_open(out, "Base directory");
    ESC(out, job->paths.base);
    fputs("</td></tr></table>\n", out);
    fputs("<nav><a href=\"#metrics\">Metrics</a><a href=\"#model\">Model</a><a href=\"#data\">Data</a>"
          "<a href=\"#timings\">Timings</a><a href=\"#configuration\">Configuration</a></nav>\n",
          out);
}

static void configuration_section(FILE *out, const struct rt_job *job)
{
    fputs("<h2 id=\"configuration\">Configuration</h2>\n", out);
    const struct rt_hparams *hp = &job->hp;
    if (!job->alg || !hp->values) {
        fputs("<p class=\"note\">No configuration: the job ended before its hyperparameters were read.</p>\n", out);
        return;
    }
    /* Given values first; defaults (the long part) folded. */
    for (int given = 1; given >= 0; given--) {
        size_t n = 0;
        for (size_t i = 0; i < job->alg->n_hparams; i++)
            n += !hp->values[i].given == !given;
        if (given)
            fprintf(out, "<table><caption>Hyperparameters from hyperparameters.json (%zu)</caption>", n);
        else
            fprintf(out, "<details><summary>Every other hyperparameter: defaults (%zu)</summary><table>", n);
        fputs("<tr><th class=\"l\">Hyperparameter</th><th class=\"l\">Value used</th></tr>\n", out);
        for (size_t i = 0; i < job->alg->n_hparams; i++) {
            const struct rt_hparam_value *v = &hp->values[i];
            if (!v->given != !given)
                continue;
            char buf[64];
            const char *text = v->set ? v->text : NULL;
            if (hp->config && v->decl->bind != OPTML_BIND_NONE)
                text = rt_hparams_bound_text(hp, i, buf, sizeof(buf));
            fputs("<tr><td class=\"l\">", out);
            ESC(out, v->decl->name);
            fputs("</td><td class=\"l\">", out);
            if (text)
                ESC(out, text);
            else
                fputs("(not set)", out);
            fputs("</td></tr>\n", out);
        }
        fputs(given ? "</table>\n" : "</table></details>\n", out);
    }
    fputs("<p class=\"note\">Values as used: after the module resolved automatic ones.</p>\n", out);
}

static void data_section(FILE *out, const struct rt_job *job)
{
    fputs("<h2 id=\"data\">Data</h2>\n", out);
    if (job->n_channels == 0) {
        fputs("<p class=\"note\">No channel was read.</p>\n", out);
        return;
    }
    fputs("<table><caption>Channels</caption><tr><th class=\"l\">Channel</th><th class=\"l\">Mode</th>"
          "<th class=\"l\">Content type</th><th>Files</th><th>Size</th><th>Passes</th><th>Bytes read</th>"
          "<th>Records read</th><th>Rows</th><th>Bad rows</th></tr>\n",
          out);
    for (size_t i = 0; i < job->n_channels; i++) {
        const struct optml_channel *ch = &job->channels[i];
        int pipe = ch->cfg.mode == OPTML_MODE_PIPE;
        fputs("<tr><td class=\"l\">", out);
        ESC(out, ch->cfg.name);
        fprintf(out, "</td><td class=\"l\">%s%s%s</td><td class=\"l\">",
                pipe ? "Pipe" : ch->cfg.mode == OPTML_MODE_FASTFILE ? "FastFile" : "File",
                ch->cfg.recordio_wrapped ? ", RecordIO-wrapped" : "", ch->cfg.gzip ? ", gzip" : "");
        ESC(out, optml_channel_content_type(ch));
        fputs("</td><td>", out);
        if (pipe)
            fputs("—", out);
        else
            fprintf(out, "%zu", ch->n_files);
        fputs("</td><td>", out);
        if (pipe)
            fputs("—", out);
        else
            bytes(out, ch->total_bytes);
        fputs("</td><td>", out);
        if (ch->passes)
            count(out, ch->passes);
        else
            fputs("—", out); /* read file by file (optml_file_open) */
        fputs("</td><td>", out);
        bytes(out, ch->bytes_read);
        fputs("</td><td>", out);
        if (ch->records_read)
            count(out, ch->records_read);
        else
            fputs("—", out);
        fputs("</td><td>", out);
        if (ch->rows_reported)
            count(out, ch->rows);
        else
            fputs("—", out);
        fputs("</td><td>", out);
        if (ch->rows_reported)
            count(out, ch->bad_rows);
        else
            fputs("—", out);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n<p class=\"note\">Passes: channel passes opened (— when the module read it file by file). "
          "Bytes read: as stored (compressed when gzip), over every pass. Records read: "
          "records the runtime framed for the module (— when the module cut lines itself). Rows and bad rows: one "
          "pass, as the module counted them (— when it did not say).</p>\n",
          out);
}

static int chart_of(FILE *out, const struct rt_report *r, size_t first, char *drawn)
{
    const struct rt_series *s0 = &r->series[first];
    struct rt_chart_line lines[RT_REPORT_MAX_SERIES];
    size_t n = 0;
    uint64_t total = 0, kept = 0, non_finite = 0;
    for (size_t i = first; i < r->n_series; i++) {
        const struct rt_series *s = &r->series[i];
        if (drawn[i] || strcmp(s->name, s0->name) != 0 || s->by_step != s0->by_step)
            continue;
        drawn[i] = 1;
        lines[n++] = (struct rt_chart_line){s->split, split_color(s->split), s->x, s->y, s->n};
        total += s->total;
        kept += s->n;
        non_finite += s->non_finite;
    }
    const char *by = s0->by_step ? "step" : "epoch";
    char *title = NULL;
    if (asprintf(&title, "%s by %s", s0->name, by) < 0)
        return -1;
    fputs("<figure><figcaption><h3>", out);
    ESC(out, title);
    fputs("</h3><span class=\"note\">", out);
    ESC(out, s0->kind);
    fputs(strcmp(s0->kind, "loss") == 0 ? ": lower is better" : strcmp(s0->kind, "score") == 0 ? ": higher is better" : "",
          out);
    if (kept + non_finite < total)
        fprintf(out, "; %llu points, drawn from %llu kept by min/max bucketing (spikes kept)",
                (unsigned long long)total, (unsigned long long)kept);
    if (non_finite)
        fprintf(out, "; %llu NaN or infinite values not drawn", (unsigned long long)non_finite);
    fputs("</span></figcaption>\n", out);
    int rc = rt_svg_chart(out, title, by, lines, n);
    fputs("</figure>\n", out);
    free(title);
    return rc;
}

static int metrics_section(FILE *out, const struct rt_report *r)
{
    fputs("<h2 id=\"metrics\">Metrics</h2>\n", out);
    if (r->n_series == 0 && r->n_finals == 0) {
        fputs("<p class=\"note\">The module reported no metric.</p>\n", out);
        return 0;
    }
    char drawn[RT_REPORT_MAX_SERIES] = {0};
    for (size_t i = 0; i < r->n_series; i++) {
        if (drawn[i])
            continue;
        if (full(out)) {
            fputs(FULL_NOTE, out);
            break;
        }
        if (chart_of(out, r, i, drawn) != 0)
            return -1;
    }
    if (r->series_dropped)
        fprintf(out, "<p class=\"note\">%llu points of metrics beyond the first %d series are not drawn (see "
                     "metrics.jsonl).</p>\n",
                (unsigned long long)r->series_dropped, RT_REPORT_MAX_SERIES);
    if (r->n_finals == 0)
        return 0;
    /* Final metrics: one row per name, one column per split. */
    const char *splits[8];
    size_t n_splits = 0;
    for (size_t i = 0; i < r->n_finals; i++) {
        size_t j;
        for (j = 0; j < n_splits && strcmp(splits[j], r->finals[i].split) != 0; j++)
            ;
        if (j == n_splits && n_splits < 8)
            splits[n_splits++] = r->finals[i].split;
    }
    fputs("<table><caption>Final metrics (the model as saved)</caption><tr><th class=\"l\">Metric</th>", out);
    for (size_t j = 0; j < n_splits; j++) {
        fputs("<th>", out);
        ESC(out, splits[j]);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    char *done = calloc(r->n_finals, 1);
    if (!done)
        return -1;
    for (size_t i = 0; i < r->n_finals; i++) {
        if (done[i])
            continue;
        fputs("<tr><td class=\"l\">", out);
        ESC(out, r->finals[i].name);
        fputs("</td>", out);
        for (size_t j = 0; j < n_splits; j++) {
            fputs("<td>", out);
            for (size_t k = i; k < r->n_finals; k++)
                if (strcmp(r->finals[k].name, r->finals[i].name) == 0 && strcmp(r->finals[k].split, splits[j]) == 0) {
                    num(out, r->finals[k].value);
                    done[k] = 1;
                    break;
                }
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    free(done);
    fputs("</table>\n", out);
    if (r->finals_dropped)
        fprintf(out, "<p class=\"note\">%llu more final metrics are in metrics.jsonl only.</p>\n",
                (unsigned long long)r->finals_dropped);
    return 0;
}

static int timings_section(FILE *out, const struct rt_job *job, const struct rt_report *r,
                           const struct rt_report_outcome *o)
{
    const struct rt_epoch_time *e = &r->epochs;
    fputs("<h2 id=\"timings\">Timings</h2>\n<table>", out);
    double total = o->end_mono - o->start_mono;
    kv_open(out, "Total");
    seconds(out, total);
    fputs("</td></tr>", out);
    if (e->epochs) {
        double setup = e->first_begin > 0 ? e->first_begin - o->start_mono : -1;
        kv_open(out, "Before the first epoch (set-up, reading)");
        seconds(out, setup);
        fputs("</td></tr>", out);
        kv_open(out, "Epochs");
        count(out, e->epochs);
        fputs("</td></tr>", out);
        kv_open(out, "Time in epochs");
        seconds(out, e->seconds_sum);
        fputs(" (mean ", out);
        seconds(out, e->seconds_sum / (double)e->epochs);
        fputs(" per epoch)</td></tr>", out);
        kv_open(out, "Records (all epochs)");
        count(out, job->progress.records_total);
        fputs("</td></tr>", out);
        kv_open(out, "Throughput");
        if (e->seconds_sum > 0)
            fprintf(out, "%.1f records/s", (double)job->progress.records_total / e->seconds_sum);
        else
            fputs("—", out);
        fputs("</td></tr>", out);
    }
    fputs("</table>\n", out);
    if (e->epochs == 0) {
        fputs("<p class=\"note\">The module reported no epoch.</p>\n", out);
        return 0;
    }
    struct rt_chart_line tp = {"records/s", "#1f77b4", e->throughput.x, e->throughput.y, e->throughput.n};
    fputs("<figure><figcaption><h3>Throughput by epoch</h3><span class=\"note\">records per second</span>"
          "</figcaption>\n",
          out);
    int rc = rt_svg_chart(out, "Throughput by epoch", "epoch", &tp, 1);
    fputs("</figure>\n", out);
    struct rt_chart_line secs = {"seconds", "#8c564b", e->seconds.x, e->seconds.y, e->seconds.n};
    fputs("<figure><figcaption><h3>Epoch time</h3><span class=\"note\">seconds per epoch</span></figcaption>\n", out);
    if (rc == 0)
        rc = rt_svg_chart(out, "Epoch time", "epoch", &secs, 1);
    fputs("</figure>\n", out);
    return rc;
}

static void pct(FILE *out, uint64_t a, uint64_t b)
{
    if (b == 0)
        fputs("—", out);
    else
        fprintf(out, "%.2f%%", 100.0 * (double)a / (double)b);
}

static void confusion_table(FILE *out, const struct rt_confusion *c)
{
    size_t k = c->shown;
    fputs("<table class=\"confusion\"><caption>Confusion matrix (", out);
    ESC(out, c->split);
    fputs("): rows are the true class, columns the predicted class</caption>\n<tr><th class=\"l\">true \\ predicted</th>",
          out);
    for (size_t j = 0; j < k; j++) {
        fputs("<th>", out);
        ESC(out, c->names[j]);
        fputs("</th>", out);
    }
    fputs("<th>Rows</th><th>Recall</th></tr>\n", out);
    for (size_t i = 0; i < k; i++) {
        if (full(out)) {
            fputs("</table>\n", out);
            fputs(FULL_NOTE, out);
            return;
        }
        fputs("<tr><th class=\"l\">", out);
        ESC(out, c->names[i]);
        fputs("</th>", out);
        for (size_t j = 0; j < k; j++) {
            fputs(i == j ? "<td class=\"diag\">" : "<td>", out);
            count(out, c->cells[i * k + j]);
            fputs("</td>", out);
        }
        fputs("<td>", out);
        count(out, c->support[i]);
        fputs("</td><td>", out);
        pct(out, c->cells[i * k + i], c->support[i]);
        fputs("</td></tr>\n", out);
    }
    fputs("<tr><th class=\"l\">Precision</th>", out);
    for (size_t j = 0; j < k; j++) {
        fputs("<td>", out);
        pct(out, c->cells[j * k + j], c->predicted[j]);
        fputs("</td>", out);
    }
    fputs("<td></td><td></td></tr>\n</table>\n<p class=\"note\">Accuracy ", out);
    pct(out, c->correct, c->total);
    fputs(" (", out);
    count(out, c->correct);
    fputs(" of ", out);
    count(out, c->total);
    fputs(" rows).", out);
    if (c->shown < c->k)
        fprintf(out, " Showing the %zu classes with the most rows of %zu; precision and recall count every class.",
                c->shown, c->k);
    fputs("</p>\n", out);
}

/* A float's bits as an unsigned key that sorts as the floats do (no NaN):
 * negative numbers have every bit flipped, the others only the sign. */
static uint32_t sort_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

/* Sorts a[0..n) (n < 2^32, no NaN) by an LSD radix sort on sort_key, 11 +
 * 11 + 10 bits; tmp holds n floats.  No comparisons, so no mispredicted
 * branches: a quickselect per quantile cost ten times as much. */
static void radix_sort_floats(float *a, float *tmp, size_t n)
{
    static const int shift[3] = {0, 11, 22};
    uint32_t count[3][2048] = {{0}};
    for (size_t i = 0; i < n; i++) {
        uint32_t k = sort_key(a[i]);
        count[0][k & 2047]++;
        count[1][(k >> 11) & 2047]++;
        count[2][k >> 22]++;
    }
    float *src = a, *dst = tmp;
    for (int p = 0; p < 3; p++) {
        uint32_t sum = 0;
        for (size_t d = 0; d < 2048; d++) {
            uint32_t c = count[p][d];
            count[p][d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[p][(sort_key(src[i]) >> shift[p]) & 2047]++] = src[i];
        float *t = src;
        src = dst;
        dst = t;
    }
    memcpy(a, src, n * sizeof(float)); /* three passes end in tmp */
}

/* The q-quantile of the sorted s[0..n), linear between the two nearest
 * ranks, as numpy's default. */
static double quantile_of_sorted(const float *s, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos, hi = lo + 1 < n ? lo + 1 : lo;
    return (double)s[lo] + ((double)s[hi] - (double)s[lo]) * (pos - (double)lo);
}

static int residuals_table(FILE *out, const struct rt_residuals *x)
{
    fputs("<table><caption>Residuals (", out);
    ESC(out, x->split);
    fputs("): predicted minus actual</caption>\n", out);
    double n = (double)x->n;
    kv_open(out, "Rows");
    count(out, x->n);
    fputs("</td></tr>", out);
    if (x->n) {
        kv_open(out, "Mean");
        num(out, x->mean);
        fputs("</td></tr>", out);
        kv_open(out, "Standard deviation");
        num(out, x->n > 1 ? sqrt(x->m2 / (n - 1)) : 0);
        fputs("</td></tr>", out);
        kv_open(out, "MAE");
        num(out, x->abs_sum / n);
        fputs("</td></tr>", out);
        kv_open(out, "RMSE");
        num(out, sqrt(x->sq_sum / n));
        fputs("</td></tr>", out);
        float *s = malloc(2 * x->n_sample * sizeof(float));
        if (!s)
            return -1;
        memcpy(s, x->sample, x->n_sample * sizeof(float));
        radix_sort_floats(s, s + x->n_sample, x->n_sample);
        static const double q[] = {0.05, 0.25, 0.5, 0.75, 0.95};
        static const char *const qname[] = {"5th percentile", "25th percentile", "Median", "75th percentile",
                                            "95th percentile"};
        kv_open(out, "Minimum");
        num(out, x->min);
        fputs("</td></tr>", out);
        for (int i = 0; i < 5; i++) {
            kv_open(out, qname[i]);
            num(out, quantile_of_sorted(s, x->n_sample, q[i]));
            fputs("</td></tr>", out);
        }
        free(s);
        kv_open(out, "Maximum");
        num(out, x->max);
        fputs("</td></tr>", out);
    }
    fputs("</table>\n", out);
    if (x->n > x->n_sample)
        fprintf(out, "<p class=\"note\">Quantiles from a uniform sample of %zu residuals; the other figures count "
                     "every row.</p>\n",
                x->n_sample);
    if (x->non_finite)
        fprintf(out, "<p class=\"note\">%llu rows with a NaN or infinite residual are not counted.</p>\n",
                (unsigned long long)x->non_finite);
    return 0;
}

static void generic_table(FILE *out, const struct rt_table *t)
{
    fputs("<table><caption>", out);
    ESC(out, t->title);
    fputs("</caption>\n", out);
    size_t shown = 0;
    for (size_t i = 0; i <= t->n_rows; i++) {
        if (full(out))
            break;
        fputs("<tr>", out);
        for (size_t j = 0; j < t->n_cols; j++) {
            fputs(i == 0 ? "<th class=\"l\">" : "<td class=\"l\">", out);
            ESC(out, t->cells[i * t->n_cols + j]);
            fputs(i == 0 ? "</th>" : "</td>", out);
        }
        fputs("</tr>\n", out);
        shown += i > 0;
    }
    fputs("</table>\n", out);
    if (t->note) {
        fputs("<p class=\"note\">", out);
        ESC(out, t->note);
        fputs("</p>\n", out);
    }
    if (shown < t->rows_total || t->n_cols < t->cols_total)
        fprintf(out, "<p class=\"note\">Showing %zu of %zu rows and %zu of %zu columns.</p>\n", shown,
                t->rows_total, t->n_cols, t->cols_total);
}

static int model_section(FILE *out, const struct rt_job *job, const struct rt_report *r)
{
    fputs("<h2 id=\"model\">Model</h2>\n", out);
    if (job->alg && job->alg->api_minor < 1) {
        fprintf(out, "<p class=\"note\">This module was built against module API %d.%d: it adds no tables of its "
                     "own (modules add them from API 4.1 on).</p>\n",
                job->alg->api_version, job->alg->api_minor);
        return 0;
    }
    if (!r->n_facts && !r->n_confusions && !r->n_residuals && !r->n_tables) {
        fputs("<p class=\"note\">The module added no tables.</p>\n", out);
        return 0;
    }
    if (r->n_facts) {
        fputs("<table class=\"facts\">", out);
        for (size_t i = 0; i < r->n_facts; i++) {
            kv_open(out, r->facts[i].name);
            rt_html_escape(out, r->facts[i].value, 4 * RT_REPORT_CELL_CHARS);
            fputs("</td></tr>", out);
        }
        fputs("</table>\n", out);
    }
    size_t items = r->n_confusions + r->n_residuals + r->n_tables;
    for (size_t i = 0; i < items; i++) {
        if (full(out)) {
            fputs(FULL_NOTE, out);
            break;
        }
        if (i < r->n_confusions)
            confusion_table(out, r->confusions[i]);
        else if (i < r->n_confusions + r->n_residuals && residuals_table(out, r->residuals[i - r->n_confusions]) != 0)
            return -1;
        else if (i >= r->n_confusions + r->n_residuals)
            generic_table(out, r->tables[i - r->n_confusions - r->n_residuals]);
    }
    if (r->items_dropped)
        fprintf(out, "<p class=\"note\">%llu more tables or facts were reported than the page keeps.</p>\n",
                (unsigned long long)r->items_dropped);
    return 0;
}

int rt_report_render(const struct rt_job *job, const struct rt_report_outcome *o, char **html, size_t *len)
{
    *html = NULL;
    *len = 0;
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out)
        return -1;
    __fsetlocking(out, FSETLOCKING_BYCALLER); /* one thread writes the page */
    struct rt_report *r = (struct rt_report *)&job->report;
    int locked = r->ready && pthread_mutex_lock(&r->lock) == 0;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Training report",
          out);
    if (job->alg) {
        fputs(": ", out);
        ESC(out, job->alg->name);
    }
    fprintf(out, "</title><style>%s</style></head><body>\n", STYLE);
    /* What a person looks for first (the curves, the model's tables),
     * then what explains it (data, timings, configuration). */
    header_section(out, job, o);
    int rc = metrics_section(out, r);
    if (rc == 0)
        rc = model_section(out, job, r);
    data_section(out, job);
    if (rc == 0)
        rc = timings_section(out, job, r, o);
    configuration_section(out, job);
    fputs("<footer class=\"note\"><p>Written by optml " OPTML_VERSION " at the end of the job. Every metric is also "
          "in metrics.jsonl next to this file.</p></footer>\n</body></html>\n",
          out);
    if (locked)
        pthread_mutex_unlock(&r->lock);
    if (fclose(out) != 0 || rc != 0 || !buf) {
        free(buf);
        return -1;
    }
    *html = buf;
    *len = n;
    return 0;
}
