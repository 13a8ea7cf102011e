/*
 * numfmt.c: see numfmt.h.
 */
#define _GNU_SOURCE /* strfromd */
#include "core/numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void rt_format_g(char *buf, size_t n, int precision, double v)
{
    static const char *const fmt[] = {"%.0g", "%.1g", "%.2g", "%.3g", "%.4g", "%.5g",
                                      "%.6g", "%.7g", "%.8g", "%.9g", "%.10g", "%.11g",
                                      "%.12g", "%.13g", "%.14g", "%.15g", "%.16g", "%.17g"};
    if (precision < 0)
        precision = 0;
    if (precision > 17)
        precision = 17;
    strfromd(buf, n, fmt[precision], v);
}

/* Significant digits of a "%g" text: its mantissa's digits without the
 * leading and trailing zeros (0 for zero). */
static int significant_digits(const char *t)
{
    int first = -1, last = -1, k = 0;
    for (; *t && *t != 'e' && *t != 'E'; t++) {
        if (*t < '0' || *t > '9')
            continue;
        if (*t != '0') {
            if (first < 0)
                first = k;
            last = k;
        }
        k++;
    }
    return first < 0 ? 0 : last - first + 1;
}

void rt_format_double(char *buf, size_t n, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
        return;
    }
    /* The text is "%.{p}g" for the least p in 12..17 that reads back as v.
     * When p <= 15, "%.15g" is that text's digits padded with zeros (v is
     * within half a unit of the 15th digit of them), so it reads back too:
     * one try tells p, from the digits it holds (at least 12), and saves the
     * tries at 12, 13 and 14 that the values of float models (16 or 17
     * digits) always failed.  (For a normal v: a subnormal has fewer bits.) */
    if (v != 0 && fabs(v) < DBL_MIN) { /* subnormal: fewer bits, the argument fails */
        for (int prec = 12; prec <= 17; prec++) {
            rt_format_g(buf, n, prec, v);
            if (strtod(buf, NULL) == v)
                return;
        }
        return;
    }
    rt_format_g(buf, n, 15, v);
    if (strtod(buf, NULL) == v) {
        int p = significant_digits(buf);
        if (p < 12)
            p = 12;
        if (p != 15)
            rt_format_g(buf, n, p, v);
        return;
    }
    rt_format_g(buf, n, 16, v);
    if (strtod(buf, NULL) == v)
        return;
    rt_format_g(buf, n, 17, v);
}

void rt_format_json_number(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        snprintf(buf, n, "null");
    else
        rt_format_double(buf, n, v);
}
