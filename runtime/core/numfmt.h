/*
 * numfmt.h: doubles as text: the shortest form that reads back as the same
 * value (C locale), used by metric lines and JSON responses.
 */
#ifndef OPTML_NUMFMT_H
#define OPTML_NUMFMT_H

#include <stddef.h>

/* Shortest "%.{12..17}g" text that round-trips; "nan", "inf", "-inf" for
 * non-finite values. */
void rt_format_double(char *buf, size_t n, double v);
/* The same, but "null" for non-finite values (JSON has no NaN/Infinity). */
void rt_format_json_number(char *buf, size_t n, double v);

#endif
