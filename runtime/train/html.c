/*
 * html.c: HTML escaping, min/max downsampling and the inline SVG line
 * chart of the training report (see html.h).
 */
#include "train/html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rt_html_escape(FILE *out, const char *s, size_t max_bytes)
{
    if (!s)
        return;
    size_t len = strlen(s), n = len;
    if (max_bytes > 0 && len > max_bytes) {
        n = max_bytes;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* not inside a character */
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                fputs("\xEF\xBF\xBD", out); /* U+FFFD */
            else
                fputc(c, out);
        }
    }
    if (n < len)
        fputs("\xE2\x80\xA6", out); /* … */
}

size_t rt_downsample_minmax(const double *x, const double *y, size_t n, size_t buckets, double *ox, double *oy)
{
    if (buckets == 0)
        buckets = 1;
    if (n <= 2 * buckets) {
        if (ox != x)
            memmove(ox, x, n * sizeof(double));
        if (oy != y)
            memmove(oy, y, n * sizeof(double));
        return n;
    }
    size_t out = 0;
    for (size_t b = 0; b < buckets; b++) {
        size_t lo = b * n / buckets, hi = (b + 1) * n / buckets;
        if (hi <= lo)
            continue;
        size_t imin = lo, imax = lo;
        for (size_t i = lo + 1; i < hi; i++) {
            if (y[i] < y[imin])
                imin = i;
            if (y[i] > y[imax])
                imax = i;
        }
        /* Read before writing: out <= 2 * b <= lo for b >= 1, so in place
         * never overwrites a point not yet read. */
        size_t first = imin < imax ? imin : imax, second = imin < imax ? imax : imin;
        double fx = x[first], fy = y[first], sx = x[second], sy = y[second];
        ox[out] = fx;
        oy[out++] = fy;
        if (second != first) {
            ox[out] = sx;
            oy[out++] = sy;
        }
    }
    return out;
}

/* A "nice" tick step for a range split into about `ticks` parts. */
static double nice_step(double range, int ticks)
{
    double raw = range / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void number(FILE *out, double v)
{
    if (fabs(v) < 1e-12)
        v = 0;
    fprintf(out, "%.6g", v);
}

int rt_svg_chart(FILE *out, const char *title, const char *x_label, const struct rt_chart_line *lines,
                 size_t n_lines)
{
    const double W = RT_CHART_WIDTH, H = RT_CHART_HEIGHT, L = 64, R = 16, T = 14, B = 44;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t l = 0; l < n_lines; l++)
        for (size_t i = 0; i < lines[l].n; i++) {
            double x = lines[l].x[i], y = lines[l].y[i];
            if (!isfinite(x) || !isfinite(y))
                continue;
            x0 = fmin(x0, x);
            x1 = fmax(x1, x);
            y0 = fmin(y0, y);
            y1 = fmax(y1, y);
        }
    if (!(x0 <= x1)) { /* nothing finite */
        x0 = 0;
        x1 = 1;
        y0 = 0;
        y1 = 1;
    }
    if (x1 - x0 < 1e-12) {
        x0 -= 0.5;
        x1 += 0.5;
    }
    if (y1 - y0 < 1e-12 * fmax(1.0, fabs(y0))) {
        double pad = fabs(y0) > 0 ? fabs(y0) * 0.05 : 0.5;
        y0 -= pad;
        y1 += pad;
    }
    double ystep = nice_step(y1 - y0, 4);
    y0 = floor(y0 / ystep) * ystep;
    y1 = ceil(y1 / ystep) * ystep;
    double pw = W - L - R, ph = H - T - B;
#define PX(v) (L + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (T + (y1 - (v)) / (y1 - y0) * ph)
    fprintf(out, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                 "role=\"img\" font-family=\"sans-serif\" font-size=\"11\"><title>", W, H, W, H);
    rt_html_escape(out, title, 0);
    fprintf(out, "</title><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\" stroke=\"#ccc\"/>",
            L, T, pw, ph);
    for (double v = y0; v <= y1 + ystep * 1e-6; v += ystep) {
        double py = PY(v);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", L, py, L + pw, py, L - 4, py + 4);
        number(out, v);
        fputs("</text>", out);
    }
    double xstep = nice_step(x1 - x0, 6);
    if (xstep < 1 && floor(x0) == x0 && floor(x1) == x1)
        xstep = 1; /* epochs are whole numbers */
    for (double v = ceil(x0 / xstep) * xstep; v <= x1 + xstep * 1e-6; v += xstep) {
        double px = PX(v);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", px, T + ph, px, T + ph + 4, px, T + ph + 16);
        number(out, v);
        fputs("</text>", out);
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", L + pw / 2, H - 6);
    rt_html_escape(out, x_label, 0);
    fputs("</text>", out);
    double *bx = malloc(2 * RT_CHART_BUCKETS * sizeof(double)), *by = malloc(2 * RT_CHART_BUCKETS * sizeof(double));
    int rc = bx && by ? 0 : -1;
    double legend_x = L + 8;
    for (size_t l = 0; l < n_lines && rc == 0; l++) {
        const struct rt_chart_line *ln = &lines[l];
        /* At most two points per bucket of the input (min and max). */
        size_t m = rt_downsample_minmax(ln->x, ln->y, ln->n, RT_CHART_BUCKETS, bx, by);
        if (m == 1) {
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", PX(bx[0]), PY(by[0]), ln->color);
        } else if (m > 1) {
            fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", ln->color);
            for (size_t i = 0; i < m; i++)
                fprintf(out, "%s%.1f,%.1f", i ? " " : "", PX(bx[i]), PY(by[i]));
            fputs("\"/>", out);
        }
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\">", legend_x, T + 6, ln->color, legend_x + 14, T + 15);
        rt_html_escape(out, ln->label, 40);
        fputs("</text>", out);
        legend_x += 30 + 7 * (double)(ln->label ? (strlen(ln->label) < 40 ? strlen(ln->label) : 40) : 0);
    }
#undef PX
#undef PY
    fputs("</svg>", out);
    free(bx);
    free(by);
    return rc;
}
