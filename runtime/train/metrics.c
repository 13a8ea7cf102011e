/*
 * metrics.c: progress lines, epoch lines and metric lines in the shapes
 * SageMaker's built-in algorithms print, plus their machine-readable copy in
 * output/data/metrics.jsonl (one JSON object per line, see README).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/ctx.h"
#include "train/job.h"
#include "core/log.h"
#include "core/numfmt.h"

/* Seconds between progress lines: 10, or $OPTML_PROGRESS_SECONDS. */
static double progress_interval(void)
{
    static double cached = -1;
    if (cached < 0) {
        const char *e = getenv("OPTML_PROGRESS_SECONDS");
        double v = e ? strtod(e, NULL) : 0;
        cached = v > 0 ? v : 10.0;
    }
    return cached;
}

const char *optml_host_name(const optml_ctx *ctx)
{
    if (ctx && ctx->job && ctx->job->resource.current_host)
        return ctx->job->resource.current_host;
    return "algo-1";
}

/* Append one object to metrics.jsonl; `fields` is the inside of the object
 * after the common "time" and "host" members. */
static void jsonl(optml_ctx *ctx, const char *type, const char *fields)
{
    if (!ctx || !ctx->job || !ctx->job->metrics || __atomic_load_n(&ctx->job->metrics_failed, __ATOMIC_RELAXED))
        return;
    json_t *host = json_string(optml_host_name(ctx));
    char *host_text = host ? json_dumps(host, JSON_ENCODE_ANY) : NULL;
    int bad = fprintf(ctx->job->metrics, "{\"time\":%.3f,\"host\":%s,\"type\":\"%s\",%s}\n", rt_wall_now(),
                      host_text ? host_text : "\"algo-1\"", type, fields) < 0;
    bad |= fflush(ctx->job->metrics) != 0 || ferror(ctx->job->metrics);
    int err = errno;
    free(host_text);
    json_decref(host);
    /* A full or failing output/ is said once; the metric lines go on in the
     * log, which is where SageMaker's metric regexes read them. */
    if (bad && !__atomic_exchange_n(&ctx->job->metrics_failed, 1, __ATOMIC_RELAXED))
        rt_log(OPTML_LOG_WARNING, "cannot write %s/metrics.jsonl: %s; metrics from here on are only logged",
               ctx->job->paths.output_data_dir ? ctx->job->paths.output_data_dir : "output/data", strerror(err));
}

static char *json_str(const char *s)
{
    json_t *j = json_string(s ? s : "");
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return t;
}

static void hms(char *buf, size_t n, double secs)
{
    if (!(secs >= 0) || secs > 360000.0 * 24) {
        snprintf(buf, n, "--:--:--");
        return;
    }
    long s = (long)(secs + 0.5);
    snprintf(buf, n, "%02ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
}

void optml_epoch_begin(optml_ctx *ctx, int epoch, int epochs)
{
    if (!ctx || !ctx->job)
        return;
    struct rt_progress *p = &ctx->job->progress;
    double t = rt_now();
    if (p->job_start == 0)
        p->job_start = t;
    p->epoch = epoch;
    p->epochs = epochs;
    p->epoch_start = t;
    p->last_print = t;
}

void optml_progress(optml_ctx *ctx, double fraction, uint64_t records)
{
    if (!ctx || !ctx->job)
        return;
    struct rt_progress *p = &ctx->job->progress;
    double t = rt_now();
    if (p->epoch_start == 0)
        optml_epoch_begin(ctx, 0, 0);
    if (t - p->last_print < progress_interval())
        return;
    p->last_print = t;
    double in_epoch = t - p->epoch_start;
    double rate = in_epoch > 0 ? (double)records / in_epoch : 0;
    char elapsed[32], eta[32], pct[48] = "";
    hms(elapsed, sizeof(elapsed), t - p->job_start);
    double remaining = -1;
    if (fraction > 0 && fraction <= 1) {
        double epoch_total = in_epoch / fraction;
        remaining = epoch_total - in_epoch;
        if (p->epochs > 0)
            remaining += epoch_total * (double)(p->epochs - p->epoch - 1);
        snprintf(pct, sizeof(pct), "%.1f%% of epoch, ", 100.0 * fraction);
    }
    hms(eta, sizeof(eta), remaining);
    char epoch_text[48];
    if (p->epochs > 0)
        snprintf(epoch_text, sizeof(epoch_text), "Epoch %d/%d", p->epoch + 1, p->epochs);
    else
        snprintf(epoch_text, sizeof(epoch_text), "Epoch %d", p->epoch + 1);
    optml_log(ctx, OPTML_LOG_INFO, "%s: %s%llu records, %.1f records/s, elapsed %s, ETA %s",
              epoch_text, pct, (unsigned long long)records, rate, elapsed, eta);
}

void optml_epoch_end(optml_ctx *ctx, int epoch, uint64_t records)
{
    if (!ctx || !ctx->job)
        return;
    struct rt_progress *p = &ctx->job->progress;
    double t = rt_now();
    if (p->epoch_start == 0)
        optml_epoch_begin(ctx, epoch, 0);
    double secs = t - p->epoch_start;
    double rate = secs > 0 ? (double)records / secs : 0;
    p->records_total += records;
    const char *host = optml_host_name(ctx);
    /* The whole job's ETA on every epoch line, so that jobs whose epochs
     * are shorter than the progress interval get one too: the epochs left
     * at this epoch's pace (the first pass often parses and caches the
     * data; the epochs after it are alike). */
    char elapsed[32], eta[32];
    hms(elapsed, sizeof(elapsed), t - p->job_start);
    if (p->epochs > 0) {
        hms(eta, sizeof(eta), secs * (double)(p->epochs > epoch + 1 ? p->epochs - epoch - 1 : 0));
        optml_log(ctx, OPTML_LOG_INFO, "Epoch %d/%d: %llu records in %.3f s, elapsed %s, ETA %s", epoch + 1,
                  p->epochs, (unsigned long long)records, secs, elapsed, eta);
    } else {
        optml_log(ctx, OPTML_LOG_INFO, "Epoch %d: %llu records in %.3f s, elapsed %s", epoch + 1,
                  (unsigned long long)records, secs, elapsed);
    }
    char buf[512], num[64];
    if (p->epochs > 0) {
        double pct = 100.0 * (double)(epoch + 1) / (double)p->epochs;
        optml_log(ctx, OPTML_LOG_INFO, "#progress_metric: host=%s, completed %.1f %% of epochs", host,
                  pct);
        rt_format_json_number(num, sizeof(num), pct);
        snprintf(buf, sizeof(buf), "\"epoch\":%d,\"percent_of_epochs\":%s", epoch, num);
        jsonl(ctx, "progress", buf);
    }
    optml_log(ctx, OPTML_LOG_INFO, "#throughput_metric: host=%s, train throughput=%.1f records/second",
              host, rate);
    rt_format_json_number(num, sizeof(num), rate);
    snprintf(buf, sizeof(buf), "\"epoch\":%d,\"records\":%llu,\"seconds\":%.6f,\"records_per_second\":%s",
             epoch, (unsigned long long)records, secs, num);
    jsonl(ctx, "throughput", buf);
    rt_report_epoch(&ctx->job->report, epoch, records, secs, p->epoch_start);
    p->epoch_start = t;
    p->last_print = t;
}

void optml_metric(optml_ctx *ctx, const struct optml_metric *m)
{
    if (!m || !m->split || !m->name)
        return;
    const char *kind = m->kind && *m->kind ? m->kind : "score";
    char value[64], where[64] = "";
    rt_format_double(value, sizeof(value), m->value);
    size_t off = 0;
    if (m->epoch >= 0)
        off += (size_t)snprintf(where + off, sizeof(where) - off, "epoch=%d, ", m->epoch);
    if (m->batch >= 0)
        snprintf(where + off, sizeof(where) - off, "batch=%d, ", m->batch);
    optml_log(ctx, OPTML_LOG_INFO, "#quality_metric: host=%s, %s%s %s <%s>=%s", optml_host_name(ctx), where,
              m->split, m->name, kind, value);
    if (ctx && ctx->job)
        rt_report_metric(&ctx->job->report, m);
    char *split = json_str(m->split), *name = json_str(m->name), *k = json_str(kind);
    char num[64], epoch[24], batch[24];
    rt_format_json_number(num, sizeof(num), m->value);
    snprintf(epoch, sizeof(epoch), m->epoch >= 0 ? "%d" : "null", m->epoch);
    snprintf(batch, sizeof(batch), m->batch >= 0 ? "%d" : "null", m->batch);
    char *fields = NULL;
    if (split && name && k &&
        asprintf(&fields, "\"split\":%s,\"name\":%s,\"kind\":%s,\"value\":%s,\"epoch\":%s,\"batch\":%s",
                 split, name, k, num, epoch, batch) > 0)
        jsonl(ctx, "quality", fields);
    free(fields);
    free(split);
    free(name);
    free(k);
}
