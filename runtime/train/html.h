/*
 * html.h: the small pieces the training report is written with, into a
 * core/textbuf.h buffer (no stdio, no printf): HTML escaping,
 * min/max-preserving downsampling of a curve, and a line chart as inline
 * SVG (no script, no font or anything else from the network).
 */
#ifndef OPTML_HTML_H
#define OPTML_HTML_H

#include <stddef.h>

#include "core/textbuf.h"

/* Write `s` to `out` with & < > " ' escaped and control characters (other
 * than tab and newline) replaced by U+FFFD, so that text from user data can
 * stand in element content and attribute values.  With max_bytes > 0, at
 * most that many bytes of `s` (cut at a UTF-8 character boundary) followed
 * by "…".  NULL writes nothing. */
void rt_html_escape(struct rt_textbuf *out, const char *s, size_t max_bytes);

/* Downsample the curve (x[i], y[i]), i < n, into at most 2 * buckets
 * points: the indexes are cut into `buckets` runs of (nearly) equal length
 * and each run gives its minimum and its maximum, in their order, so
 * spikes survive.  ox / oy may be x / y (in place).  Returns the number of
 * points written; n itself when n <= 2 * buckets (copied). */
size_t rt_downsample_minmax(const double *x, const double *y, size_t n, size_t buckets, double *ox, double *oy);

/* One line of a chart. */
struct rt_chart_line {
    const char *label;   /* the legend (escaped) */
    const char *color;   /* a CSS color literal, e.g. "#1f77b4" */
    const double *x, *y; /* finite values only */
    size_t n;
};

#define RT_CHART_WIDTH 640
#define RT_CHART_HEIGHT 260
/* Points drawn per line at most: two per horizontal pixel pair. */
#define RT_CHART_BUCKETS (RT_CHART_WIDTH / 2)

/* A line chart as an <svg> element with a <title>, axes with a few
 * labelled ticks, a legend and each line as one <polyline> (downsampled to
 * RT_CHART_BUCKETS buckets; a single point is a circle).  Returns -1 when
 * out of memory (what was written stays). */
int rt_svg_chart(struct rt_textbuf *out, const char *title, const char *x_label, const struct rt_chart_line *lines,
                 size_t n_lines);

#endif
