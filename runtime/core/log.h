/*
 * log.h: the runtime's logging.  Every line goes to stderr (one stream, as
 * SageMaker's built-ins do) in one write(), prefixed
 * `[MM/DD/YYYY HH:MM:SS LEVEL <thread>] `.  Lines whose text starts with
 * "#metrics " are written without the prefix, as the built-ins print them.
 */
#ifndef OPTML_LOG_H
#define OPTML_LOG_H

#include <stdarg.h>

#include "optml/algorithm.h"

/* Set the level from SAGEMAKER_CONTAINER_LOG_LEVEL or OPTML_LOG_LEVEL
 * (numbers 10/20/30/40 or names debug/info/warning/error). */
void rt_log_init_from_env(void);
void rt_log_set_level(int level);
int rt_log_level(void);
/* Parse a level name or number; returns -1 when unrecognised. */
int rt_log_parse_level(const char *s);
void rt_logv(enum optml_log_level level, const char *fmt, va_list ap);
void rt_log(enum optml_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write a line exactly as given (plus '\n'), no prefix. */
void rt_log_raw(const char *line);

#endif
