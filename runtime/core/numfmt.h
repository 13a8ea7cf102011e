/*
 * numfmt.h: doubles as text: the shortest form that reads back as the same
 * value (C locale), used by metric lines and JSON responses.
 */
#ifndef OPTML_NUMFMT_H
#define OPTML_NUMFMT_H

#include <stddef.h>

/* snprintf(buf, n, "%.*g", precision, v) for precision 0..17, through
 * strfromd: every printf call takes glibc's slow path in a process that has
 * loaded libquadmath (OpenBLAS's libgfortran brings it: it registers printf
 * extensions); strfromd formats directly, about a quarter faster. */
void rt_format_g(char *buf, size_t n, int precision, double v);
/* Shortest "%.{12..17}g" text that round-trips; "nan", "inf", "-inf" for
 * non-finite values. */
void rt_format_double(char *buf, size_t n, double v);
/* The same, but "null" for non-finite values (JSON has no NaN/Infinity). */
void rt_format_json_number(char *buf, size_t n, double v);

#endif
