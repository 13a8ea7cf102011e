/*
 * test_report.c: the training report's pieces (runtime/train/html.c,
 * report.c, report_page.c): HTML escaping, min/max downsampling and its
 * bounds, bounded metric series, the caps on module tables, and the size
 * of the page of a huge job (5,000 epochs of many metrics, a 1,000-class
 * confusion matrix, a 10,000-row table): under 2 MB, rendered quickly.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/ctx.h"
#include "support/harness.h"
#include "support/support.h"
#include "train/html.h"
#include "train/job.h"
#include "train/report.h"

/* rt_html_escape(s, max) writes exactly `want`. */
static void expect_escaped(const char *s, size_t max, const char *want, int line)
{
    struct rt_textbuf f;
    rt_textbuf_init(&f, 0);
    rt_html_escape(&f, s, max);
    size_t n;
    char *buf = rt_textbuf_take(&f, &n);
    ASSERT(buf != NULL);
    int same = strcmp(buf, want) == 0;
    if (!same)
        test_fail(__FILE__, line, "rt_html_escape(\"%s\", %zu) wrote \"%s\", not \"%s\"", s ? s : "(null)", max, buf,
                  want);
    free(buf);
}
#define EXPECT_ESCAPED(s, max, want) expect_escaped((s), (max), (want), __LINE__)

TEST(report_html_escape_covers_markup_quotes_and_control_characters)
{
    EXPECT_ESCAPED("<b>cats & \"dogs\"</b> 'x'", 0, "&lt;b&gt;cats &amp; &quot;dogs&quot;&lt;/b&gt; &#39;x&#39;");
    EXPECT_ESCAPED("a\x01z\tb\n", 0, "a\xEF\xBF\xBDz\tb\n");
    EXPECT_ESCAPED("plain", 0, "plain");
    EXPECT_ESCAPED("", 0, "");
    EXPECT_ESCAPED(NULL, 0, "");
    /* Cut at a character boundary: "é" is two bytes. */
    EXPECT_ESCAPED("abé", 3, "ab\xE2\x80\xA6");
    EXPECT_ESCAPED("abcdef", 3, "abc\xE2\x80\xA6");
    EXPECT_ESCAPED("abc", 3, "abc");
}

/* The chart's numbers as a person reads them: plot coordinates with one
 * decimal (rounded, never "-0.0"), axis labels in %g form, the title
 * escaped. */
TEST(report_chart_coordinates_and_labels)
{
    const double x[] = {0, 0.5, 1}, y[] = {0, 0.333, 1};
    struct rt_chart_line line = {"train", "#1f77b4", x, y, 3};
    struct rt_textbuf f;
    size_t n;
    rt_textbuf_init(&f, 0);
    ASSERT_EQ_INT(rt_svg_chart(&f, "loss <by> epoch", "epoch", &line, 1), 0);
    char *buf = rt_textbuf_take(&f, &n);
    /* 640x260 frame, plot area x 64..624, y 14..216; y ticks every 0.2,
     * x ticks on whole numbers. */
    ASSERT_CONTAINS(buf, "<svg width=\"640\" height=\"260\" viewBox=\"0 0 640 260\"");
    ASSERT_CONTAINS(buf, "<title>loss &lt;by&gt; epoch</title>");
    ASSERT_CONTAINS(buf, "<rect x=\"64\" y=\"14\" width=\"560\" height=\"202\"");
    ASSERT_CONTAINS(buf, "points=\"64.0,216.0 344.0,148.7 624.0,14.0\"");
    ASSERT_CONTAINS(buf, "<line x1=\"64.0\" y1=\"135.2\" x2=\"624.0\" y2=\"135.2\" stroke=\"#eee\"/>"
                         "<text x=\"60.0\" y=\"139.2\" text-anchor=\"end\">0.4</text>");
    ASSERT_CONTAINS(buf, "<text x=\"624.0\" y=\"232.0\" text-anchor=\"middle\">1</text>");
    ASSERT(strstr(buf, "-0.0") == NULL);
    free(buf);
    /* One point is a circle. */
    rt_textbuf_init(&f, 0);
    line.n = 1;
    ASSERT_EQ_INT(rt_svg_chart(&f, "t", "epoch", &line, 1), 0);
    buf = rt_textbuf_take(&f, &n);
    ASSERT_CONTAINS(buf, "<circle cx=\"344.0\" cy=\"115.0\" r=\"3\" fill=\"#1f77b4\"/>");
    free(buf);
}

TEST(report_downsampling_is_bounded_and_keeps_spikes)
{
    size_t n = 100000;
    double *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)i;
        y[i] = sin((double)i / 1000.0);
    }
    y[12345] = 50;   /* a spike up */
    y[67890] = -40;  /* and down */
    double *ox = malloc(n * sizeof(double)), *oy = malloc(n * sizeof(double));
    size_t m = rt_downsample_minmax(x, y, n, 100, ox, oy);
    ASSERT(m <= 200 && m >= 100);
    double top = -INFINITY, bottom = INFINITY;
    for (size_t i = 0; i < m; i++) {
        top = fmax(top, oy[i]);
        bottom = fmin(bottom, oy[i]);
        if (i)
            ASSERT(ox[i] > ox[i - 1]); /* order kept */
    }
    ASSERT(top == 50 && bottom == -40);
    /* In place gives the same points. */
    size_t m2 = rt_downsample_minmax(x, y, n, 100, x, y);
    ASSERT_EQ_INT(m2, m);
    ASSERT(memcmp(x, ox, m * sizeof(double)) == 0 && memcmp(y, oy, m * sizeof(double)) == 0);
    /* Few points are copied as they are. */
    double sx[3] = {0, 1, 2}, sy[3] = {3, 1, 2}, tx[3], ty[3];
    ASSERT_EQ_INT(rt_downsample_minmax(sx, sy, 3, 100, tx, ty), 3);
    ASSERT(ty[0] == 3 && ty[2] == 2);
    free(x);
    free(y);
    free(ox);
    free(oy);
}

TEST(report_series_stay_bounded_over_a_million_points)
{
    struct rt_series s = {0};
    for (int i = 0; i < 1000000; i++)
        ASSERT_EQ_INT(rt_series_add(&s, i, i == 777777 ? 1e6 : (double)(i % 100)), 0);
    ASSERT(s.n <= RT_SERIES_CAP);
    ASSERT_EQ_INT(s.total, 1000000);
    double top = 0;
    for (size_t i = 0; i < s.n; i++)
        top = fmax(top, s.y[i]);
    ASSERT(top == 1e6);
    rt_series_add(&s, 1, NAN);
    ASSERT_EQ_INT(s.non_finite, 1);
    rt_series_free(&s);
}

/* A job with a report and nothing else (no module, no channels). */
struct fake {
    struct rt_job job;
    struct optml_ctx ctx;
};

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    rt_report_init(&f->job.report);
    rt_ctx_init(&f->ctx);
    f->ctx.job = &f->job;
}

static char *render(struct fake *f, size_t *len, double *ms)
{
    struct rt_report_outcome o = {.status = OPTML_OK, .start_wall = 1.7e9, .start_mono = 1, .end_mono = 61};
    char *html = NULL;
    double t0 = rt_now();
    ASSERT_EQ_INT(rt_report_render(&f->job, &o, &html, len), 0);
    if (ms)
        *ms = (rt_now() - t0) * 1e3;
    ASSERT(html && strlen(html) == *len);
    return html;
}

TEST(report_confusion_is_capped_with_precision_and_recall_over_every_class)
{
    struct fake f;
    fake_init(&f);
    size_t k = 60;
    uint64_t *c = calloc(k * k, sizeof(uint64_t));
    for (size_t t = 0; t < k; t++) {
        c[t * k + t] = 100 + t;          /* class t has 100 + t right */
        c[t * k + (t + 1) % k] = 3;      /* and 3 taken for the next */
    }
    optml_report_confusion(&f.ctx, "validation", k, NULL, c);
    struct rt_confusion *m = f.job.report.confusions[0];
    ASSERT(m != NULL);
    ASSERT_EQ_INT(m->shown, RT_REPORT_MAX_CLASSES);
    /* The 50 largest classes (10..59), in the module's order. */
    ASSERT_EQ_INT(m->index[0], 10);
    ASSERT_EQ_STR(m->names[0], "10");
    ASSERT_EQ_INT(m->support[0], 113);
    ASSERT_EQ_INT(m->predicted[0], 113); /* 110 + 3 from class 9, which is not shown */
    size_t len;
    char *html = render(&f, &len, NULL);
    ASSERT_CONTAINS(html, "Showing the 50 classes with the most rows of 60");
    ASSERT_CONTAINS(html, "Confusion matrix (validation)");
    free(html);
    free(c);
    rt_report_free(&f.job.report);
}

TEST(report_residual_statistics)
{
    struct fake f;
    fake_init(&f);
    float p[] = {1, 2, 3, 4, 5}, a[] = {1, 1, 4, 4, 3};
    optml_report_residuals(&f.ctx, "test", p, a, 3);
    optml_report_residuals(&f.ctx, "test", p + 3, a + 3, 2); /* residuals 0 1 -1 0 2 */
    struct rt_residuals *x = f.job.report.residuals[0];
    ASSERT_EQ_INT(x->n, 5);
    ASSERT_NEAR(x->mean, 0.4, 1e-12);
    ASSERT_NEAR(x->abs_sum / 5, 0.8, 1e-12);
    ASSERT_NEAR(sqrt(x->sq_sum / 5), sqrt(6.0 / 5), 1e-12);
    size_t len;
    char *html = render(&f, &len, NULL);
    ASSERT_CONTAINS(html, "Residuals (test)");
    ASSERT_CONTAINS(html, "<th class=\"l\">Median</th><td class=\"l\">0</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">RMSE</th><td class=\"l\">1.09545</td>");
    /* Between ranks, linearly (numpy's default): sorted -1 0 0 1 2. */
    ASSERT_CONTAINS(html, "<th class=\"l\">5th percentile</th><td class=\"l\">-0.8</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">25th percentile</th><td class=\"l\">0</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">75th percentile</th><td class=\"l\">1</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">95th percentile</th><td class=\"l\">1.8</td>");
    free(html);
    rt_report_free(&f.job.report);

    /* 16,000 distinct residuals in a scrambled order (all in the sample):
     * the quantiles of 0..15,999. */
    fake_init(&f);
    size_t n = 16000;
    float *pp = malloc(n * sizeof(float)), *aa = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++)
        pp[i] = (float)((i * 7919) % n);
    optml_report_residuals(&f.ctx, "validation", pp, aa, n);
    html = render(&f, &len, NULL);
    ASSERT_CONTAINS(html, "<th class=\"l\">Median</th><td class=\"l\">7999.5</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">5th percentile</th><td class=\"l\">799.95</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">Maximum</th><td class=\"l\">15999</td>");
    free(html);
    free(pp);
    free(aa);
    rt_report_free(&f.job.report);
}

/* A job far longer than any real one still gives a small page. */
TEST_TIMEOUT(report_of_a_huge_job_stays_under_2_mb, 120)
{
    struct fake f;
    fake_init(&f);
    static const char *const splits[] = {"train", "validation", "test"};
    char name[64];
    int epochs = 5000, metrics = 8;
    for (int e = 0; e < epochs; e++) {
        for (int m = 0; m < metrics; m++)
            for (int s = 0; s < 3; s++) {
                snprintf(name, sizeof(name), "metric_%d", m);
                rt_report_metric(&f.job.report, &(struct optml_metric){splits[s], name, m % 2 ? "score" : "loss",
                                                                        1.0 / (e + 1) + 0.01 * s + (e == 4321 ? 5 : 0), e, -1});
            }
        rt_report_epoch(&f.job.report, e, 1000, 0.5 + (e % 7) * 0.01, 10.0 + e);
    }
    /* Batch metrics: a million points in one series. */
    for (int b = 0; b < 1000000; b++)
        rt_report_metric(&f.job.report, &(struct optml_metric){"train", "batch_loss", "loss", 1.0 / (b + 1), b / 1000, b});
    for (int m = 0; m < 300; m++) { /* beyond the final-metric cap */
        snprintf(name, sizeof(name), "final_%d", m);
        rt_report_metric(&f.job.report, &(struct optml_metric){"test", name, "score", m, -1, -1});
    }
    size_t k = 1000;
    uint64_t *c = calloc(k * k, sizeof(uint64_t));
    char **names = calloc(k, sizeof(char *));
    for (size_t t = 0; t < k; t++) {
        c[t * k + t] = 10 + t % 50;
        c[t * k + (t * 7) % k] += 2;
        names[t] = strf("<class \"%zu\" with a long name that goes on and on and on & on>", t);
    }
    for (int s = 0; s < 3; s++)
        optml_report_confusion(&f.ctx, splits[s], k, (const char *const *)names, c);
    size_t rows = 10000, cols = 30;
    const char **cells = calloc(rows * cols, sizeof(char *)), **header = calloc(cols, sizeof(char *));
    for (size_t i = 0; i < rows * cols; i++)
        cells[i] = "a cell of some length, repeated many many times <&>";
    for (size_t j = 0; j < cols; j++)
        header[j] = "column";
    for (int t = 0; t < 20; t++) /* beyond the cap of tables */
        optml_report_table(&f.ctx, strf("table %d", t), cols, header, rows, cells, "note");
    for (int t = 0; t < 100; t++)
        optml_report_fact(&f.ctx, strf("fact %d", t), "%s", "value");
    float p[1000], a[1000];
    for (int i = 0; i < 1000; i++) {
        p[i] = (float)i;
        a[i] = (float)(i % 17);
    }
    for (int i = 0; i < 200; i++) /* 200,000 residuals: quantiles from a sample */
        optml_report_residuals(&f.ctx, "test", p, a, 1000);
    ASSERT_EQ_INT(f.job.report.residuals[0]->n, 200000);
    ASSERT_EQ_INT(f.job.report.residuals[0]->n_sample, RT_RESIDUAL_SAMPLE);
    for (size_t i = 0; i < f.job.report.n_series; i++)
        ASSERT(f.job.report.series[i].n <= RT_SERIES_CAP);
    size_t len;
    double ms;
    char *html = render(&f, &len, &ms);
    fprintf(stderr, "huge job: %d epochs x %d metrics x 3 splits, 1e6 batch points, 3 confusion matrices of %zu "
                    "classes, 20 tables of %zu rows: report of %zu bytes rendered in %.1f ms\n",
            epochs, metrics, k, rows, len, ms);
    ASSERT(len < 2u * 1024 * 1024);
    ASSERT_CONTAINS(html, "metric_0 by epoch");
    ASSERT_CONTAINS(html, "batch_loss by step");
    ASSERT_CONTAINS(html, "drawn from");
    ASSERT_CONTAINS(html, "of 10000 rows and 16 of 30 columns");
    ASSERT_CONTAINS(html, "The page stops here to stay small");
    ASSERT_CONTAINS(html, "Showing the 50 classes with the most rows of 1000");
    ASSERT_CONTAINS(html, "more final metrics are in metrics.jsonl only");
    ASSERT_CONTAINS(html, "more tables or facts were reported than the page keeps");
    ASSERT_CONTAINS(html, "&lt;class &quot;");
    ASSERT(strstr(html, "<class") == NULL);
    ASSERT(strstr(html, "<script") == NULL && strstr(html, "src=") == NULL);
    /* The spike of epoch 4321 survives the bucketing of 5,000 epochs. */
    int spike = 0;
    for (size_t i = 0; i < f.job.report.n_series; i++)
        for (size_t j = 0; j < f.job.report.series[i].n; j++)
            spike |= f.job.report.series[i].x[j] == 4321 && f.job.report.series[i].y[j] > 5;
    ASSERT(spike);
    free(html);
    free(c);
    free(cells);
    free(header);
    free(names);
    rt_report_free(&f.job.report);
}

TEST(report_functions_do_nothing_outside_training)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx); /* no job: serving, or a test */
    uint64_t c[4] = {1, 2, 3, 4};
    optml_report_confusion(&ctx, "test", 2, NULL, c);
    optml_report_rows(&ctx, "train", 1, 0);
    optml_report_fact(&ctx, "x", "%d", 1);
    optml_report_table(&ctx, "t", 1, NULL, 0, NULL, NULL);
    optml_report_residuals(&ctx, "test", NULL, NULL, 0);
    optml_report_confusion(NULL, "test", 2, NULL, c);
    ASSERT_EQ_STR(ctx.errmsg, "");
}
