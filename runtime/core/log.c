/*
 * log.c: leveled log lines in SageMaker's built-in format, the error message
 * kept in a context (optml_error), and the context helpers.
 */
#define _GNU_SOURCE
#include "core/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/ctx.h"

static int log_level = OPTML_LOG_INFO;

void rt_log_set_level(int level) { log_level = level; }
int rt_log_level(void) { return log_level; }

int rt_log_parse_level(const char *s)
{
    if (!s || !*s)
        return -1;
    static const struct { const char *name; int level; } names[] = {
        {"debug", 10}, {"info", 20}, {"warning", 30}, {"warn", 30}, {"error", 40}, {"critical", 50},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i].name) == 0)
            return names[i].level;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end != s && *end == 0 && v >= 0 && v <= 100)
        return (int)v;
    return -1;
}

void rt_log_init_from_env(void)
{
    const char *vars[] = {"OPTML_LOG_LEVEL", "SAGEMAKER_CONTAINER_LOG_LEVEL"};
    for (size_t i = 0; i < 2; i++) {
        int l = rt_log_parse_level(getenv(vars[i]));
        if (l >= 0) {
            log_level = l;
            return;
        }
    }
}

static const char *level_name(int level)
{
    if (level >= 40)
        return "ERROR";
    if (level >= 30)
        return "WARNING";
    if (level >= 20)
        return "INFO";
    return "DEBUG";
}

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, buf, len);
        if (w <= 0)
            return;
        buf += w;
        len -= (size_t)w;
    }
}

void rt_log_raw(const char *line)
{
    size_t n = strlen(line);
    char *buf = malloc(n + 1);
    if (!buf)
        return;
    memcpy(buf, line, n);
    buf[n] = '\n';
    write_all(buf, n + 1);
    free(buf);
}

void rt_logv(enum optml_log_level level, const char *fmt, va_list ap)
{
    if ((int)level < log_level)
        return;
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        return;
    if (strncmp(msg, "#metrics ", 9) == 0) {
        rt_log_raw(msg);
        free(msg);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char *line = NULL;
    int n = asprintf(&line, "[%02d/%02d/%04d %02d:%02d:%02d %s %lu] %s\n", tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, level_name(level),
                     (unsigned long)pthread_self(), msg);
    if (n > 0)
        write_all(line, (size_t)n);
    free(line);
    free(msg);
}

void rt_log(enum optml_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rt_logv(level, fmt, ap);
    va_end(ap);
}

void optml_log(optml_ctx *ctx, enum optml_log_level level, const char *fmt, ...)
{
    (void)ctx;
    va_list ap;
    va_start(ap, fmt);
    rt_logv(level, fmt, ap);
    va_end(ap);
}

void rt_ctx_init(struct optml_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

void rt_ctx_clear_error(struct optml_ctx *ctx)
{
    ctx->errcode = OPTML_OK;
    ctx->errmsg[0] = 0;
}

optml_status optml_error(optml_ctx *ctx, optml_status code, const char *fmt, ...)
{
    if (!ctx || ctx->errmsg[0])
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
    va_end(ap);
    /* One line: the failure file and JSON bodies carry it verbatim. */
    for (char *p = ctx->errmsg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    ctx->errcode = code;
    return code;
}

const char *optml_error_message(const optml_ctx *ctx)
{
    return ctx ? ctx->errmsg : "";
}
