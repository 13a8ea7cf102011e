/*
 * report_page.c: the training report as one self-contained HTML page
 * (report.h): the outcome; a chart per metric (every split on one chart)
 * and the final metrics; the module's own tables; the data read per
 * channel; timings and throughput; the configuration.  Everything that
 * comes from the job or the user is escaped; nothing is loaded from
 * anywhere (inline CSS and SVG, no script).  Built in one core/textbuf.h
 * buffer without stdio or printf: in this process every printf call takes
 * glibc's slow path (core/numfmt.h), and the page must cost well under 1 %
 * of even a 10 ms job.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
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
static int full(struct rt_textbuf *out)
{
    return out->len > RT_REPORT_BUDGET;
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

static void num(struct rt_textbuf *out, double v)
{
    if (isnan(v))
        RT_TEXTBUF_LIT(out, "NaN");
    else if (isinf(v))
        rt_textbuf_puts(out, v > 0 ? "∞" : "−∞");
    else
        rt_textbuf_g(out, v, 6);
}

static void count(struct rt_textbuf *out, uint64_t v)
{
    rt_textbuf_u64(out, v);
}

static void bytes(struct rt_textbuf *out, uint64_t v)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double x = (double)v;
    int u = 0;
    while (x >= 1024 && u < 4) {
        x /= 1024;
        u++;
    }
    if (u == 0) {
        rt_textbuf_u64(out, v);
        RT_TEXTBUF_LIT(out, " B");
    } else {
        rt_textbuf_fixed(out, x, 1);
        rt_textbuf_putc(out, ' ');
        rt_textbuf_puts(out, unit[u]);
    }
}

static void seconds(struct rt_textbuf *out, double s)
{
    if (!(s >= 0))
        RT_TEXTBUF_LIT(out, "—");
    else if (s < 1) {
        rt_textbuf_fixed(out, s * 1e3, 1);
        RT_TEXTBUF_LIT(out, " ms");
    } else if (s < 120) {
        rt_textbuf_fixed(out, s, 2);
        RT_TEXTBUF_LIT(out, " s");
    } else {
        rt_textbuf_fixed(out, s, 0);
        RT_TEXTBUF_LIT(out, " s (");
        rt_textbuf_fixed(out, s / 60, 1);
        RT_TEXTBUF_LIT(out, " min)");
    }
}

/* <tr><th class="l">name</th><td class="l"> (the caller writes the value) */
static void kv_open(struct rt_textbuf *out, const char *name)
{
    RT_TEXTBUF_LIT(out, "<tr><th class=\"l\">");
    ESC(out, name);
    RT_TEXTBUF_LIT(out, "</th><td class=\"l\">");
}

/* "4.1" */
static void api_version(struct rt_textbuf *out, int major, int minor)
{
    rt_textbuf_i64(out, major);
    rt_textbuf_putc(out, '.');
    rt_textbuf_i64(out, minor);
}

static void header_section(struct rt_textbuf *out, const struct rt_job *job, const struct rt_report_outcome *o)
{
    const struct optml_algorithm *alg = job->alg;
    RT_TEXTBUF_LIT(out, "<h1>Training report");
    if (alg) {
        RT_TEXTBUF_LIT(out, ": ");
        ESC(out, alg->name);
        if (alg->version) {
            rt_textbuf_putc(out, ' ');
            ESC(out, alg->version);
        }
    }
    RT_TEXTBUF_LIT(out, "</h1>\n");
    double total = o->end_mono - o->start_mono;
    if (o->failure) {
        RT_TEXTBUF_LIT(out, "<p class=\"failed\"><b>Failed</b> after ");
        seconds(out, total);
        RT_TEXTBUF_LIT(out, ": ");
        ESC(out, o->failure);
        RT_TEXTBUF_LIT(out, "</p>\n");
    } else if (o->stopped) {
        RT_TEXTBUF_LIT(out, "<p class=\"stopped\"><b>Stopped on request</b> (SIGTERM) after ");
        seconds(out, total);
        RT_TEXTBUF_LIT(out, ": the model and checkpoint so far were saved.</p>\n");
    } else {
        RT_TEXTBUF_LIT(out, "<p class=\"ok\"><b>Completed</b> in ");
        seconds(out, total);
        RT_TEXTBUF_LIT(out, ".</p>\n");
    }
    RT_TEXTBUF_LIT(out, "<table>");
    time_t t = (time_t)o->start_wall;
    struct tm tm;
    kv_open(out, "Started");
    if (o->start_wall > 0 && gmtime_r(&t, &tm) && tm.tm_year >= -1900 && tm.tm_year <= 9999 - 1900) {
        /* "%Y-%m-%d %H:%M:%S UTC", without strftime's code */
        const int parts[6] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
        static const char sep[6] = {'-', '-', ' ', ':', ':', ' '};
        for (int i = 0; i < 6; i++) {
            if (i > 0 && parts[i] < 10)
                rt_textbuf_putc(out, '0');
            rt_textbuf_u64(out, (uint64_t)parts[i]);
            rt_textbuf_putc(out, sep[i]);
        }
        RT_TEXTBUF_LIT(out, "UTC");
    } else {
        RT_TEXTBUF_LIT(out, "—");
    }
    RT_TEXTBUF_LIT(out, "</td></tr>");
    kv_open(out, "Host");
    ESC(out, job->resource.current_host ? job->resource.current_host : "algo-1");
    RT_TEXTBUF_LIT(out, "</td></tr>");
    if (alg) {
        kv_open(out, "Module");
        ESC(out, alg->name);
        rt_textbuf_putc(out, ' ');
        ESC(out, alg->version ? alg->version : "");
        RT_TEXTBUF_LIT(out, " (module API ");
        api_version(out, alg->api_version, alg->api_minor);
        RT_TEXTBUF_LIT(out, ")</td></tr>");
    }
    kv_open(out, "Runtime");
    rt_textbuf_puts(out, "optml " OPTML_VERSION ", module API ");
    api_version(out, OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR);
    RT_TEXTBUF_LIT(out, "</td></tr>");
    kv_open(out, "Base directory");
    ESC(out, job->paths.base);
    RT_TEXTBUF_LIT(out, "</td></tr></table>\n");
    RT_TEXTBUF_LIT(out, "<nav><a href=\"#metrics\">Metrics</a><a href=\"#model\">Model</a><a href=\"#data\">Data</a>"
                        "<a href=\"#timings\">Timings</a><a href=\"#configuration\">Configuration</a></nav>\n");
}

static void configuration_section(struct rt_textbuf *out, const struct rt_job *job)
{
    RT_TEXTBUF_LIT(out, "<h2 id=\"configuration\">Configuration</h2>\n");
    const struct rt_hparams *hp = &job->hp;
    if (!job->alg || !hp->values) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">No configuration: the job ended before its hyperparameters were "
                            "read.</p>\n");
        return;
    }
    /* Given values first; defaults (the long part) folded. */
    for (int given = 1; given >= 0; given--) {
        size_t n = 0;
        for (size_t i = 0; i < job->alg->n_hparams; i++)
            n += !hp->values[i].given == !given;
        if (given)
            RT_TEXTBUF_LIT(out, "<table><caption>Hyperparameters from hyperparameters.json (");
        else
            RT_TEXTBUF_LIT(out, "<details><summary>Every other hyperparameter: defaults (");
        rt_textbuf_u64(out, n);
        if (given)
            RT_TEXTBUF_LIT(out, ")</caption>");
        else
            RT_TEXTBUF_LIT(out, ")</summary><table>");
        RT_TEXTBUF_LIT(out, "<tr><th class=\"l\">Hyperparameter</th><th class=\"l\">Value used</th></tr>\n");
        for (size_t i = 0; i < job->alg->n_hparams; i++) {
            const struct rt_hparam_value *v = &hp->values[i];
            if (!v->given != !given)
                continue;
            char buf[64];
            const char *text = v->set ? v->text : NULL;
            if (hp->config && v->decl->bind != OPTML_BIND_NONE)
                text = rt_hparams_bound_text(hp, i, buf, sizeof(buf));
            RT_TEXTBUF_LIT(out, "<tr><td class=\"l\">");
            ESC(out, v->decl->name);
            RT_TEXTBUF_LIT(out, "</td><td class=\"l\">");
            if (text)
                ESC(out, text);
            else
                RT_TEXTBUF_LIT(out, "(not set)");
            RT_TEXTBUF_LIT(out, "</td></tr>\n");
        }
        rt_textbuf_puts(out, given ? "</table>\n" : "</table></details>\n");
    }
    RT_TEXTBUF_LIT(out, "<p class=\"note\">Values as used: after the module resolved automatic ones.</p>\n");
}

static void data_section(struct rt_textbuf *out, const struct rt_job *job)
{
    RT_TEXTBUF_LIT(out, "<h2 id=\"data\">Data</h2>\n");
    if (job->n_channels == 0) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">No channel was read.</p>\n");
        return;
    }
    RT_TEXTBUF_LIT(out, "<table><caption>Channels</caption><tr><th class=\"l\">Channel</th><th class=\"l\">Mode</th>"
                        "<th class=\"l\">Content type</th><th>Files</th><th>Size</th><th>Passes</th><th>Bytes read</th>"
                        "<th>Records read</th><th>Rows</th><th>Bad rows</th></tr>\n");
    for (size_t i = 0; i < job->n_channels; i++) {
        const struct optml_channel *ch = &job->channels[i];
        int pipe = ch->cfg.mode == OPTML_MODE_PIPE;
        RT_TEXTBUF_LIT(out, "<tr><td class=\"l\">");
        ESC(out, ch->cfg.name);
        RT_TEXTBUF_LIT(out, "</td><td class=\"l\">");
        rt_textbuf_puts(out, pipe ? "Pipe" : ch->cfg.mode == OPTML_MODE_FASTFILE ? "FastFile" : "File");
        if (ch->cfg.recordio_wrapped)
            RT_TEXTBUF_LIT(out, ", RecordIO-wrapped");
        if (ch->cfg.gzip)
            RT_TEXTBUF_LIT(out, ", gzip");
        RT_TEXTBUF_LIT(out, "</td><td class=\"l\">");
        ESC(out, optml_channel_content_type(ch));
        RT_TEXTBUF_LIT(out, "</td><td>");
        if (pipe)
            RT_TEXTBUF_LIT(out, "—");
        else
            rt_textbuf_u64(out, ch->n_files);
        RT_TEXTBUF_LIT(out, "</td><td>");
        if (pipe)
            RT_TEXTBUF_LIT(out, "—");
        else
            bytes(out, ch->total_bytes);
        RT_TEXTBUF_LIT(out, "</td><td>");
        if (ch->passes)
            count(out, ch->passes);
        else
            RT_TEXTBUF_LIT(out, "—"); /* read file by file (optml_file_open) */
        RT_TEXTBUF_LIT(out, "</td><td>");
        bytes(out, ch->bytes_read);
        RT_TEXTBUF_LIT(out, "</td><td>");
        if (ch->records_read)
            count(out, ch->records_read);
        else
            RT_TEXTBUF_LIT(out, "—");
        RT_TEXTBUF_LIT(out, "</td><td>");
        if (ch->rows_reported)
            count(out, ch->rows);
        else
            RT_TEXTBUF_LIT(out, "—");
        RT_TEXTBUF_LIT(out, "</td><td>");
        if (ch->rows_reported)
            count(out, ch->bad_rows);
        else
            RT_TEXTBUF_LIT(out, "—");
        RT_TEXTBUF_LIT(out, "</td></tr>\n");
    }
    RT_TEXTBUF_LIT(out, "</table>\n<p class=\"note\">Passes: channel passes opened (— when the module read it file "
                        "by file). Bytes read: as stored (compressed when gzip), over every pass. Records read: "
                        "records the runtime framed for the module (— when the module cut lines itself). Rows and bad "
                        "rows: one pass, as the module counted them (— when it did not say).</p>\n");
}

static int chart_of(struct rt_textbuf *out, const struct rt_report *r, size_t first, char *drawn)
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
    size_t name_len = strlen(s0->name), by_len = strlen(by);
    char *title = malloc(name_len + 4 + by_len + 1); /* "<name> by <by>" */
    if (!title)
        return -1;
    memcpy(title, s0->name, name_len);
    memcpy(title + name_len, " by ", 4);
    memcpy(title + name_len + 4, by, by_len + 1);
    RT_TEXTBUF_LIT(out, "<figure><figcaption><h3>");
    ESC(out, title);
    RT_TEXTBUF_LIT(out, "</h3><span class=\"note\">");
    ESC(out, s0->kind);
    if (strcmp(s0->kind, "loss") == 0)
        RT_TEXTBUF_LIT(out, ": lower is better");
    else if (strcmp(s0->kind, "score") == 0)
        RT_TEXTBUF_LIT(out, ": higher is better");
    if (kept + non_finite < total) {
        RT_TEXTBUF_LIT(out, "; ");
        rt_textbuf_u64(out, total);
        RT_TEXTBUF_LIT(out, " points, drawn from ");
        rt_textbuf_u64(out, kept);
        RT_TEXTBUF_LIT(out, " kept by min/max bucketing (spikes kept)");
    }
    if (non_finite) {
        RT_TEXTBUF_LIT(out, "; ");
        rt_textbuf_u64(out, non_finite);
        RT_TEXTBUF_LIT(out, " NaN or infinite values not drawn");
    }
    RT_TEXTBUF_LIT(out, "</span></figcaption>\n");
    int rc = rt_svg_chart(out, title, by, lines, n);
    RT_TEXTBUF_LIT(out, "</figure>\n");
    free(title);
    return rc;
}

static int metrics_section(struct rt_textbuf *out, const struct rt_report *r)
{
    RT_TEXTBUF_LIT(out, "<h2 id=\"metrics\">Metrics</h2>\n");
    if (r->n_series == 0 && r->n_finals == 0) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">The module reported no metric.</p>\n");
        return 0;
    }
    char drawn[RT_REPORT_MAX_SERIES] = {0};
    for (size_t i = 0; i < r->n_series; i++) {
        if (drawn[i])
            continue;
        if (full(out)) {
            rt_textbuf_put(out, FULL_NOTE, sizeof(FULL_NOTE) - 1);
            break;
        }
        if (chart_of(out, r, i, drawn) != 0)
            return -1;
    }
    if (r->series_dropped) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">");
        rt_textbuf_u64(out, r->series_dropped);
        RT_TEXTBUF_LIT(out, " points of metrics beyond the first ");
        rt_textbuf_u64(out, RT_REPORT_MAX_SERIES);
        RT_TEXTBUF_LIT(out, " series are not drawn (see metrics.jsonl).</p>\n");
    }
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
    RT_TEXTBUF_LIT(out, "<table><caption>Final metrics (the model as saved)</caption><tr><th class=\"l\">Metric</th>");
    for (size_t j = 0; j < n_splits; j++) {
        RT_TEXTBUF_LIT(out, "<th>");
        ESC(out, splits[j]);
        RT_TEXTBUF_LIT(out, "</th>");
    }
    RT_TEXTBUF_LIT(out, "</tr>\n");
    char *done = calloc(r->n_finals, 1);
    if (!done)
        return -1;
    for (size_t i = 0; i < r->n_finals; i++) {
        if (done[i])
            continue;
        RT_TEXTBUF_LIT(out, "<tr><td class=\"l\">");
        ESC(out, r->finals[i].name);
        RT_TEXTBUF_LIT(out, "</td>");
        for (size_t j = 0; j < n_splits; j++) {
            RT_TEXTBUF_LIT(out, "<td>");
            for (size_t k = i; k < r->n_finals; k++)
                if (strcmp(r->finals[k].name, r->finals[i].name) == 0 && strcmp(r->finals[k].split, splits[j]) == 0) {
                    num(out, r->finals[k].value);
                    done[k] = 1;
                    break;
                }
            RT_TEXTBUF_LIT(out, "</td>");
        }
        RT_TEXTBUF_LIT(out, "</tr>\n");
    }
    free(done);
    RT_TEXTBUF_LIT(out, "</table>\n");
    if (r->finals_dropped) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">");
        rt_textbuf_u64(out, r->finals_dropped);
        RT_TEXTBUF_LIT(out, " more final metrics are in metrics.jsonl only.</p>\n");
    }
    return 0;
}

static int timings_section(struct rt_textbuf *out, const struct rt_job *job, const struct rt_report *r,
                           const struct rt_report_outcome *o)
{
    const struct rt_epoch_time *e = &r->epochs;
    RT_TEXTBUF_LIT(out, "<h2 id=\"timings\">Timings</h2>\n<table>");
    double total = o->end_mono - o->start_mono;
    kv_open(out, "Total");
    seconds(out, total);
    RT_TEXTBUF_LIT(out, "</td></tr>");
    if (e->epochs) {
        double setup = e->first_begin > 0 ? e->first_begin - o->start_mono : -1;
        kv_open(out, "Before the first epoch (set-up, reading)");
        seconds(out, setup);
        RT_TEXTBUF_LIT(out, "</td></tr>");
        kv_open(out, "Epochs");
        count(out, e->epochs);
        RT_TEXTBUF_LIT(out, "</td></tr>");
        kv_open(out, "Time in epochs");
        seconds(out, e->seconds_sum);
        RT_TEXTBUF_LIT(out, " (mean ");
        seconds(out, e->seconds_sum / (double)e->epochs);
        RT_TEXTBUF_LIT(out, " per epoch)</td></tr>");
        kv_open(out, "Records (all epochs)");
        count(out, job->progress.records_total);
        RT_TEXTBUF_LIT(out, "</td></tr>");
        kv_open(out, "Throughput");
        if (e->seconds_sum > 0) {
            rt_textbuf_fixed(out, (double)job->progress.records_total / e->seconds_sum, 1);
            RT_TEXTBUF_LIT(out, " records/s");
        } else
            RT_TEXTBUF_LIT(out, "—");
        RT_TEXTBUF_LIT(out, "</td></tr>");
    }
    RT_TEXTBUF_LIT(out, "</table>\n");
    if (e->epochs == 0) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">The module reported no epoch.</p>\n");
        return 0;
    }
    struct rt_chart_line tp = {"records/s", "#1f77b4", e->throughput.x, e->throughput.y, e->throughput.n};
    RT_TEXTBUF_LIT(out, "<figure><figcaption><h3>Throughput by epoch</h3><span class=\"note\">records per second</span>"
                        "</figcaption>\n");
    int rc = rt_svg_chart(out, "Throughput by epoch", "epoch", &tp, 1);
    RT_TEXTBUF_LIT(out, "</figure>\n");
    struct rt_chart_line secs = {"seconds", "#8c564b", e->seconds.x, e->seconds.y, e->seconds.n};
    RT_TEXTBUF_LIT(out, "<figure><figcaption><h3>Epoch time</h3><span class=\"note\">seconds per "
                        "epoch</span></figcaption>\n");
    if (rc == 0)
        rc = rt_svg_chart(out, "Epoch time", "epoch", &secs, 1);
    RT_TEXTBUF_LIT(out, "</figure>\n");
    return rc;
}

static void pct(struct rt_textbuf *out, uint64_t a, uint64_t b)
{
    if (b == 0)
        RT_TEXTBUF_LIT(out, "—");
    else {
        rt_textbuf_fixed(out, 100.0 * (double)a / (double)b, 2);
        rt_textbuf_putc(out, '%');
    }
}

static void confusion_table(struct rt_textbuf *out, const struct rt_confusion *c)
{
    size_t k = c->shown;
    RT_TEXTBUF_LIT(out, "<table class=\"confusion\"><caption>Confusion matrix (");
    ESC(out, c->split);
    RT_TEXTBUF_LIT(out, "): rows are the true class, columns the predicted class</caption>\n<tr><th class=\"l\">true "
                        "\\ predicted</th>");
    for (size_t j = 0; j < k; j++) {
        RT_TEXTBUF_LIT(out, "<th>");
        ESC(out, c->names[j]);
        RT_TEXTBUF_LIT(out, "</th>");
    }
    RT_TEXTBUF_LIT(out, "<th>Rows</th><th>Recall</th></tr>\n");
    for (size_t i = 0; i < k; i++) {
        if (full(out)) {
            RT_TEXTBUF_LIT(out, "</table>\n");
            rt_textbuf_put(out, FULL_NOTE, sizeof(FULL_NOTE) - 1);
            return;
        }
        RT_TEXTBUF_LIT(out, "<tr><th class=\"l\">");
        ESC(out, c->names[i]);
        RT_TEXTBUF_LIT(out, "</th>");
        for (size_t j = 0; j < k; j++) {
            rt_textbuf_puts(out, i == j ? "<td class=\"diag\">" : "<td>");
            count(out, c->cells[i * k + j]);
            RT_TEXTBUF_LIT(out, "</td>");
        }
        RT_TEXTBUF_LIT(out, "<td>");
        count(out, c->support[i]);
        RT_TEXTBUF_LIT(out, "</td><td>");
        pct(out, c->cells[i * k + i], c->support[i]);
        RT_TEXTBUF_LIT(out, "</td></tr>\n");
    }
    RT_TEXTBUF_LIT(out, "<tr><th class=\"l\">Precision</th>");
    for (size_t j = 0; j < k; j++) {
        RT_TEXTBUF_LIT(out, "<td>");
        pct(out, c->cells[j * k + j], c->predicted[j]);
        RT_TEXTBUF_LIT(out, "</td>");
    }
    RT_TEXTBUF_LIT(out, "<td></td><td></td></tr>\n</table>\n<p class=\"note\">Accuracy ");
    pct(out, c->correct, c->total);
    RT_TEXTBUF_LIT(out, " (");
    count(out, c->correct);
    RT_TEXTBUF_LIT(out, " of ");
    count(out, c->total);
    RT_TEXTBUF_LIT(out, " rows).");
    if (c->shown < c->k) {
        RT_TEXTBUF_LIT(out, " Showing the ");
        rt_textbuf_u64(out, c->shown);
        RT_TEXTBUF_LIT(out, " classes with the most rows of ");
        rt_textbuf_u64(out, c->k);
        RT_TEXTBUF_LIT(out, "; precision and recall count every class.");
    }
    RT_TEXTBUF_LIT(out, "</p>\n");
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

static int residuals_table(struct rt_textbuf *out, const struct rt_residuals *x)
{
    RT_TEXTBUF_LIT(out, "<table><caption>Residuals (");
    ESC(out, x->split);
    RT_TEXTBUF_LIT(out, "): predicted minus actual</caption>\n");
    double n = (double)x->n;
    kv_open(out, "Rows");
    count(out, x->n);
    RT_TEXTBUF_LIT(out, "</td></tr>");
    if (x->n) {
        kv_open(out, "Mean");
        num(out, x->mean);
        RT_TEXTBUF_LIT(out, "</td></tr>");
        kv_open(out, "Standard deviation");
        num(out, x->n > 1 ? sqrt(x->m2 / (n - 1)) : 0);
        RT_TEXTBUF_LIT(out, "</td></tr>");
        kv_open(out, "MAE");
        num(out, x->abs_sum / n);
        RT_TEXTBUF_LIT(out, "</td></tr>");
        kv_open(out, "RMSE");
        num(out, sqrt(x->sq_sum / n));
        RT_TEXTBUF_LIT(out, "</td></tr>");
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
        RT_TEXTBUF_LIT(out, "</td></tr>");
        for (int i = 0; i < 5; i++) {
            kv_open(out, qname[i]);
            num(out, quantile_of_sorted(s, x->n_sample, q[i]));
            RT_TEXTBUF_LIT(out, "</td></tr>");
        }
        free(s);
        kv_open(out, "Maximum");
        num(out, x->max);
        RT_TEXTBUF_LIT(out, "</td></tr>");
    }
    RT_TEXTBUF_LIT(out, "</table>\n");
    if (x->n > x->n_sample) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">Quantiles from a uniform sample of ");
        rt_textbuf_u64(out, x->n_sample);
        RT_TEXTBUF_LIT(out, " residuals; the other figures count every row.</p>\n");
    }
    if (x->non_finite) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">");
        rt_textbuf_u64(out, x->non_finite);
        RT_TEXTBUF_LIT(out, " rows with a NaN or infinite residual are not counted.</p>\n");
    }
    return 0;
}

static void generic_table(struct rt_textbuf *out, const struct rt_table *t)
{
    RT_TEXTBUF_LIT(out, "<table><caption>");
    ESC(out, t->title);
    RT_TEXTBUF_LIT(out, "</caption>\n");
    size_t shown = 0;
    for (size_t i = 0; i <= t->n_rows; i++) {
        if (full(out))
            break;
        RT_TEXTBUF_LIT(out, "<tr>");
        for (size_t j = 0; j < t->n_cols; j++) {
            rt_textbuf_puts(out, i == 0 ? "<th class=\"l\">" : "<td class=\"l\">");
            ESC(out, t->cells[i * t->n_cols + j]);
            rt_textbuf_puts(out, i == 0 ? "</th>" : "</td>");
        }
        RT_TEXTBUF_LIT(out, "</tr>\n");
        shown += i > 0;
    }
    RT_TEXTBUF_LIT(out, "</table>\n");
    if (t->note) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">");
        ESC(out, t->note);
        RT_TEXTBUF_LIT(out, "</p>\n");
    }
    if (shown < t->rows_total || t->n_cols < t->cols_total) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">Showing ");
        rt_textbuf_u64(out, shown);
        RT_TEXTBUF_LIT(out, " of ");
        rt_textbuf_u64(out, t->rows_total);
        RT_TEXTBUF_LIT(out, " rows and ");
        rt_textbuf_u64(out, t->n_cols);
        RT_TEXTBUF_LIT(out, " of ");
        rt_textbuf_u64(out, t->cols_total);
        RT_TEXTBUF_LIT(out, " columns.</p>\n");
    }
}

static int model_section(struct rt_textbuf *out, const struct rt_job *job, const struct rt_report *r)
{
    RT_TEXTBUF_LIT(out, "<h2 id=\"model\">Model</h2>\n");
    if (job->alg && job->alg->api_minor < 1) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">This module was built against module API ");
        api_version(out, job->alg->api_version, job->alg->api_minor);
        RT_TEXTBUF_LIT(out, ": it adds no tables of its own (modules add them from API 4.1 on).</p>\n");
        return 0;
    }
    if (!r->n_facts && !r->n_confusions && !r->n_residuals && !r->n_tables) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">The module added no tables.</p>\n");
        return 0;
    }
    if (r->n_facts) {
        RT_TEXTBUF_LIT(out, "<table class=\"facts\">");
        for (size_t i = 0; i < r->n_facts; i++) {
            kv_open(out, r->facts[i].name);
            rt_html_escape(out, r->facts[i].value, 4 * RT_REPORT_CELL_CHARS);
            RT_TEXTBUF_LIT(out, "</td></tr>");
        }
        RT_TEXTBUF_LIT(out, "</table>\n");
    }
    size_t items = r->n_confusions + r->n_residuals + r->n_tables;
    for (size_t i = 0; i < items; i++) {
        if (full(out)) {
            rt_textbuf_put(out, FULL_NOTE, sizeof(FULL_NOTE) - 1);
            break;
        }
        if (i < r->n_confusions)
            confusion_table(out, r->confusions[i]);
        else if (i < r->n_confusions + r->n_residuals && residuals_table(out, r->residuals[i - r->n_confusions]) != 0)
            return -1;
        else if (i >= r->n_confusions + r->n_residuals)
            generic_table(out, r->tables[i - r->n_confusions - r->n_residuals]);
    }
    if (r->items_dropped) {
        RT_TEXTBUF_LIT(out, "<p class=\"note\">");
        rt_textbuf_u64(out, r->items_dropped);
        RT_TEXTBUF_LIT(out, " more tables or facts were reported than the page keeps.</p>\n");
    }
    return 0;
}

int rt_report_render(const struct rt_job *job, const struct rt_report_outcome *o, char **html, size_t *len)
{
    *html = NULL;
    *len = 0;
    /* One buffer of our own, no stdio: a small job's page (about 16 KB)
     * fits the first allocation; a big one doubles it a few times. */
    struct rt_textbuf page;
    rt_textbuf_init(&page, 32 * 1024);
    struct rt_textbuf *out = &page;
    struct rt_report *r = (struct rt_report *)&job->report;
    int locked = r->ready && pthread_mutex_lock(&r->lock) == 0;
    RT_TEXTBUF_LIT(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                        "content=\"width=device-width, initial-scale=1\"><title>Training report");
    if (job->alg) {
        RT_TEXTBUF_LIT(out, ": ");
        ESC(out, job->alg->name);
    }
    RT_TEXTBUF_LIT(out, "</title><style>");
    rt_textbuf_put(out, STYLE, sizeof(STYLE) - 1);
    RT_TEXTBUF_LIT(out, "</style></head><body>\n");
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
    RT_TEXTBUF_LIT(out, "<footer class=\"note\"><p>Written by optml " OPTML_VERSION " at the end of the job. "
                        "Every metric is also in metrics.jsonl next to this file.</p></footer>\n</body></html>\n");
    if (locked)
        pthread_mutex_unlock(&r->lock);
    if (rc != 0) {
        rt_textbuf_free(&page);
        return -1;
    }
    *html = rt_textbuf_take(&page, len);
    return *html ? 0 : -1;
}
