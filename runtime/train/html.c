/*
 * html.c: HTML escaping, min/max downsampling and the inline SVG line
 * chart of the training report (see html.h).
 */
#include "train/html.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"

/* Bytes that do not pass through as they are: & < > " ' and the control
 * characters but tab and newline. */
static const unsigned char needs_escape[256] = {
    [0 ... 8] = 1, [11 ... 31] = 1, ['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1, ['\''] = 1, [0x7f] = 1,
};

void rt_html_escape(struct rt_textbuf *out, const char *s, size_t max_bytes)
{
    if (!s)
        return;
    size_t len = strlen(s), n = len;
    if (max_bytes > 0 && len > max_bytes) {
        n = max_bytes;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* not inside a character */
            n--;
    }
    size_t run = 0; /* start of the bytes that pass through as they are */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape[c])
            continue;
        rt_textbuf_put(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '&': RT_TEXTBUF_LIT(out, "&amp;"); break;
        case '<': RT_TEXTBUF_LIT(out, "&lt;"); break;
        case '>': RT_TEXTBUF_LIT(out, "&gt;"); break;
        case '"': RT_TEXTBUF_LIT(out, "&quot;"); break;
        case '\'': RT_TEXTBUF_LIT(out, "&#39;"); break;
        default: RT_TEXTBUF_LIT(out, "\xEF\xBF\xBD"); /* U+FFFD */
        }
    }
    rt_textbuf_put(out, s + run, n - run);
    if (n < len)
        RT_TEXTBUF_LIT(out, "\xE2\x80\xA6"); /* … */
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

/* An axis label: "%.6g", and 0 for what is zero but for rounding. */
static void number(struct rt_textbuf *out, double v)
{
    rt_textbuf_g(out, fabs(v) < 1e-12 ? 0 : v, 6);
}

/* v as "%.*f" prints it, but never "-0" or "-0.0": a coordinate, written
 * at p (room for RT_NUMFMT_FAST bytes); the end returned.  Coordinates lie
 * on the chart, so the text is short. */
static char *coord(char *p, double v, int decimals)
{
    int n = rt_format_fixed(p, RT_NUMFMT_FAST, decimals, v);
    if (n < 0)
        n = 0;
    if (n >= RT_NUMFMT_FAST) /* far off the chart: cut */
        n = RT_NUMFMT_FAST - 1;
    if (p[0] == '-') {
        int zero = 1;
        for (int i = 1; i < n && zero; i++)
            zero = p[i] == '0' || p[i] == '.';
        if (zero) { /* rounds to zero */
            memmove(p, p + 1, (size_t)n - 1);
            n--;
        }
    }
    return p + n;
}

static void put_fixed(struct rt_textbuf *out, double v, int decimals)
{
    char buf[RT_NUMFMT_FAST];
    rt_textbuf_put(out, buf, (size_t)(coord(buf, v, decimals) - buf));
}

/* "<NAME" then ATTRS[i]="VALUES[i]" for each value (n <= 4), then TAIL:
 * built in a local buffer and appended at once. */
static void svg_element(struct rt_textbuf *out, const char *name, const char *const *attrs, const double *values,
                        size_t n, int decimals, const char *tail)
{
    char buf[512], *p = buf;
    size_t len = strlen(name), tail_len = strlen(tail);
    if (n > 4 || len > 16 || tail_len > 128)
        return; /* not a call this file makes */
    *p++ = '<';
    memcpy(p, name, len);
    p += len;
    for (size_t i = 0; i < n; i++) {
        *p++ = ' ';
        len = strlen(attrs[i]); /* "height" at most */
        memcpy(p, attrs[i], len);
        p += len;
        *p++ = '=';
        *p++ = '"';
        p = coord(p, values[i], decimals);
        *p++ = '"';
    }
    memcpy(p, tail, tail_len);
    p += tail_len;
    rt_textbuf_put(out, buf, (size_t)(p - buf));
}

static const char *const rect_attrs[] = {"x", "y", "width", "height"};
static const char *const line_attrs[] = {"x1", "y1", "x2", "y2"};
static const char *const text_attrs[] = {"x", "y"};
static const char *const circle_attrs[] = {"cx", "cy"};

int rt_svg_chart(struct rt_textbuf *out, const char *title, const char *x_label, const struct rt_chart_line *lines,
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
    RT_TEXTBUF_LIT(out, "<svg width=\"");
    put_fixed(out, W, 0);
    RT_TEXTBUF_LIT(out, "\" height=\"");
    put_fixed(out, H, 0);
    RT_TEXTBUF_LIT(out, "\" viewBox=\"0 0 ");
    put_fixed(out, W, 0);
    rt_textbuf_putc(out, ' ');
    put_fixed(out, H, 0);
    RT_TEXTBUF_LIT(out, "\" role=\"img\" font-family=\"sans-serif\" font-size=\"11\"><title>");
    rt_html_escape(out, title, 0);
    RT_TEXTBUF_LIT(out, "</title>");
    const double frame[4] = {L, T, pw, ph};
    svg_element(out, "rect", rect_attrs, frame, 4, 0, " fill=\"#fff\" stroke=\"#ccc\"/>");
    for (double v = y0; v <= y1 + ystep * 1e-6; v += ystep) {
        double py = PY(v);
        const double grid[4] = {L, py, L + pw, py}, at[2] = {L - 4, py + 4};
        svg_element(out, "line", line_attrs, grid, 4, 1, " stroke=\"#eee\"/>");
        svg_element(out, "text", text_attrs, at, 2, 1, " text-anchor=\"end\">");
        number(out, v);
        RT_TEXTBUF_LIT(out, "</text>");
    }
    double xstep = nice_step(x1 - x0, 6);
    if (xstep < 1 && floor(x0) == x0 && floor(x1) == x1)
        xstep = 1; /* epochs are whole numbers */
    for (double v = ceil(x0 / xstep) * xstep; v <= x1 + xstep * 1e-6; v += xstep) {
        double px = PX(v);
        const double tick[4] = {px, T + ph, px, T + ph + 4}, at[2] = {px, T + ph + 16};
        svg_element(out, "line", line_attrs, tick, 4, 1, " stroke=\"#999\"/>");
        svg_element(out, "text", text_attrs, at, 2, 1, " text-anchor=\"middle\">");
        number(out, v);
        RT_TEXTBUF_LIT(out, "</text>");
    }
    const double label_at[2] = {L + pw / 2, H - 6};
    svg_element(out, "text", text_attrs, label_at, 2, 1, " text-anchor=\"middle\">");
    rt_html_escape(out, x_label, 0);
    RT_TEXTBUF_LIT(out, "</text>");
    double *bx = malloc(2 * RT_CHART_BUCKETS * sizeof(double)), *by = malloc(2 * RT_CHART_BUCKETS * sizeof(double));
    int rc = bx && by ? 0 : -1;
    double legend_x = L + 8;
    for (size_t l = 0; l < n_lines && rc == 0; l++) {
        const struct rt_chart_line *ln = &lines[l];
        /* At most two points per bucket of the input (min and max). */
        size_t m = rt_downsample_minmax(ln->x, ln->y, ln->n, RT_CHART_BUCKETS, bx, by);
        if (m == 1) {
            const double at[2] = {PX(bx[0]), PY(by[0])};
            svg_element(out, "circle", circle_attrs, at, 2, 1, " r=\"3\" fill=\"");
            rt_textbuf_puts(out, ln->color);
            RT_TEXTBUF_LIT(out, "\"/>");
        } else if (m > 1) {
            RT_TEXTBUF_LIT(out, "<polyline fill=\"none\" stroke=\"");
            rt_textbuf_puts(out, ln->color);
            RT_TEXTBUF_LIT(out, "\" stroke-width=\"1.5\" points=\"");
            char buf[4096], *p = buf; /* points appended a few hundred at a time */
            for (size_t i = 0; i < m; i++) {
                if (p - buf > (ptrdiff_t)(sizeof(buf) - 2 * RT_NUMFMT_FAST - 2)) {
                    rt_textbuf_put(out, buf, (size_t)(p - buf));
                    p = buf;
                }
                if (i)
                    *p++ = ' ';
                p = coord(p, PX(bx[i]), 1);
                *p++ = ',';
                p = coord(p, PY(by[i]), 1);
            }
            rt_textbuf_put(out, buf, (size_t)(p - buf));
            RT_TEXTBUF_LIT(out, "\"/>");
        }
        const double box[2] = {legend_x, T + 6}, at[2] = {legend_x + 14, T + 15};
        svg_element(out, "rect", rect_attrs, box, 2, 1, " width=\"10\" height=\"10\" fill=\"");
        rt_textbuf_puts(out, ln->color);
        RT_TEXTBUF_LIT(out, "\"/>");
        svg_element(out, "text", text_attrs, at, 2, 1, ">");
        rt_html_escape(out, ln->label, 40);
        RT_TEXTBUF_LIT(out, "</text>");
        legend_x += 30 + 7 * (double)(ln->label ? (strlen(ln->label) < 40 ? strlen(ln->label) : 40) : 0);
    }
#undef PX
#undef PY
    RT_TEXTBUF_LIT(out, "</svg>");
    free(bx);
    free(by);
    return rc;
}
