/*
 * numfmt.h: doubles as text: the shortest form that reads back as the same
 * value (C locale), used by metric lines and JSON responses; "%.*g" and
 * "%.*f" without printf.
 */
#ifndef OPTML_NUMFMT_H
#define OPTML_NUMFMT_H

#include <stddef.h>

/* Bytes that hold any text of rt_format_g and of rt_format_fixed's exact
 * fast path, terminator included. */
#define RT_NUMFMT_FAST 48

/* snprintf(buf, n, "%.*g", precision, v) for precision 0..17 (clamped),
 * returning its length as snprintf does.  Every printf call takes glibc's
 * slow path in a process that has loaded libquadmath (OpenBLAS's
 * libgfortran brings it: it registers printf extensions), and even strfromd
 * costs about a thousand instructions a number: the digits are computed by
 * hand, exactly (128-bit integers: |v| * 10^k rounded half to even, as
 * glibc rounds) for the usual magnitudes (|v| from about 1e-15 to 1e40
 * at 17 digits, wider at fewer); other values go through strfromd. */
int rt_format_g(char *buf, size_t n, int precision, double v);
/* snprintf(buf, n, "%.*f", decimals, v), its length returned: by hand and
 * exactly for |v| < 1e17 (and nearly all of them) and decimals 0..17
 * ("-0.0" for a negative value
 * that rounds to zero, as printf), through snprintf otherwise. */
int rt_format_fixed(char *buf, size_t n, int decimals, double v);
/* The shortest "%.{1..17}g" text of v that reads back as v (strtod), or
 * with as_float as (float)v (strtof): "0.07", "1e-05".  The read-back is
 * computed, not parsed, where one exact operation gives it. */
void rt_format_shortest(char *buf, size_t n, double v, int as_float);
/* snprintf(buf, n, "%lld", v), its length returned, without printf. */
int rt_format_int(char *buf, size_t n, long long v);
/* Shortest "%.{12..17}g" text that round-trips; "nan", "inf", "-inf" for
 * non-finite values. */
void rt_format_double(char *buf, size_t n, double v);
/* The same, but "null" for non-finite values (JSON has no NaN/Infinity). */
void rt_format_json_number(char *buf, size_t n, double v);

#endif
