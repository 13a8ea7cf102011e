/*
 * test_report.c: output/data/report.html end to end through `optml train`:
 * the test module's tables (API 4.1) escaped, the data it read, a failed
 * job's report, a report that cannot be written (a warning, exit 0), and
 * the linear learner's tables on real data (binary, multiclass, regressor)
 * against its own metrics and model.  Rendering in a browser:
 * tests/report/render.sh.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optml/algorithm.h"
#include "support/harness.h"
#include "train_helpers.h"

/* From test_linear_learner.c. */
int ll_missing(void);
struct run_result ll_train_run(const char *base, const char *const *extra);
char *ll_python(const char *dir, const char *script, const char *args);

static char *report_of(const char *base)
{
    char *html = tree_file(base, "output/data/report.html");
    if (!*html)
        test_fail(__FILE__, __LINE__, "no output/data/report.html in %s", base);
    return html;
}

/* Nothing that would load from anywhere. */
static void self_contained(const char *html)
{
    ASSERT(strstr(html, "<script") == NULL);
    ASSERT(strstr(html, "src=") == NULL);
    ASSERT(strstr(html, "href=\"http") == NULL && strstr(html, "url(") == NULL && strstr(html, "@import") == NULL);
}

TEST(report_has_the_module_tables_escaped_and_the_data_read)
{
    char *base = optml_tree_new("{\"epochs\": \"2\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n3\n", (size_t)-1);
    write_file(base, "input/data/validation/v.csv", "4\n5\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "Training report: ");
    char *html = report_of(base);
    self_contained(html);
    ASSERT_CONTAINS(html, "<h1>Training report: echo 1.0.0</h1>");
    ASSERT_CONTAINS(html, "<b>Completed</b>");
    /* echo.c built against this header: its version */
    ASSERT_CONTAINS(html, strf("(module API %d.%d)", OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR));
    ASSERT_CONTAINS(html, "<h3>records by epoch</h3>");
    ASSERT_CONTAINS(html, "<polyline"); /* two epochs: a line */
    /* User text escaped wherever it goes. */
    ASSERT_CONTAINS(html, "<th>&lt;b&gt;cats &amp; dogs&lt;/b&gt;</th><th>&quot;quoted&quot; &#39;x&#39;</th>");
    ASSERT(strstr(html, "<b>cats") == NULL);
    ASSERT_CONTAINS(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
    ASSERT_CONTAINS(html, "<caption>Echo&#39;s own table</caption>");
    ASSERT_CONTAINS(html, "a note from echo");
    /* Confusion: 7 1 / 2 5, recall 7/8, precision 7/9. */
    ASSERT_CONTAINS(html, "<td class=\"diag\">7</td><td>1</td><td>8</td><td>87.50%</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">Precision</th><td>77.78%</td><td>83.33%</td>");
    ASSERT_CONTAINS(html, "Accuracy 80.00% (12 of 15 rows)");
    /* Residuals 0 1 -1 0. */
    ASSERT_CONTAINS(html, "<th class=\"l\">MAE</th><td class=\"l\">0.5</td>");
    ASSERT_CONTAINS(html, "<th class=\"l\">Records seen</th><td class=\"l\">6 in 2 epochs</td>");
    /* Data: the runtime counted passes, bytes and records; echo its rows. */
    ASSERT_CONTAINS(html, "<tr><td class=\"l\">train</td><td class=\"l\">File</td><td class=\"l\">text/csv</td><td>1</td>"
                          "<td>6 B</td><td>2</td><td>12 B</td><td>6</td><td>3</td><td>0</td></tr>");
    ASSERT_CONTAINS(html, "<tr><td class=\"l\">validation</td><td class=\"l\">File</td><td class=\"l\">text/csv</td>"
                          "<td>1</td><td>4 B</td><td>2</td><td>8 B</td><td>4</td><td>—</td><td>—</td></tr>");
    /* Configuration: given, then the defaults. */
    ASSERT_CONTAINS(html, "Hyperparameters from hyperparameters.json (1)</caption>");
    ASSERT_CONTAINS(html, "<tr><td class=\"l\">epochs</td><td class=\"l\">2</td></tr>");
    ASSERT_CONTAINS(html, "<h3>Throughput by epoch</h3>");
}

TEST(report_of_a_failed_job_names_the_failure)
{
    char *base = optml_tree_new("{\"epochs\": \"2\", \"fail\": \"client\"}");
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *html = report_of(base);
    ASSERT_CONTAINS(html, "<b>Failed</b>");
    ASSERT_CONTAINS(html, "ClientError: echo was asked to fail (client)");
    /* Before the configuration was read: a report all the same. */
    base = optml_tree_new("{\"epochs\": \"zero\"}");
    r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    html = report_of(base);
    ASSERT_CONTAINS(html, "ClientError: ");
    ASSERT_CONTAINS(html, "No channel was read.");
}

/* A report that cannot be written costs a warning, not the job. */
TEST(report_that_cannot_be_written_is_a_warning)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    /* A directory (not empty) where the file goes: the rename fails. */
    write_file(base, "output/data/report.html/keep", "x", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(!tree_has(base, "output/failure"));
    ASSERT(has_line_matching(r.output, "WARNING .*could not write the training report"));
    ASSERT(tree_has(base, "model/echo.model"));
}

/* ---- the linear learner on real data ---------------------------------- */

/* The k x k counts of the confusion matrix captioned for `split`. */
static void confusion_cells(const char *html, const char *split, size_t k, double *cells)
{
    const char *p = strstr(html, strf("<caption>Confusion matrix (%s)", split));
    if (!p)
        test_fail(__FILE__, __LINE__, "no confusion matrix for %s", split);
    p = strstr(p, "</tr>"); /* past the header row */
    for (size_t i = 0; i < k; i++) {
        p = strstr(p, "<tr><th class=\"l\">");
        ASSERT(p != NULL);
        p = strstr(p, "</th>");
        for (size_t j = 0; j < k; j++) {
            p = strstr(p, "<td");
            p = strchr(p, '>') + 1;
            cells[i * k + j] = strtod(p, NULL);
        }
    }
}

/* The final value of split/name in metrics.jsonl (epoch null), or NAN. */
static double final_metric(const char *base, const char *split, const char *name)
{
    char *text = tree_file(base, "output/data/metrics.jsonl");
    double v = NAN;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *j = json_loads(line, 0, NULL);
        if (j && json_is_null(json_object_get(j, "epoch")) &&
            strcmp(json_string_value(json_object_get(j, "split")) ?: "", split) == 0 &&
            strcmp(json_string_value(json_object_get(j, "name")) ?: "", name) == 0)
            v = json_number_value(json_object_get(j, "value"));
        json_decref(j);
    }
    return v;
}

/* The number that follows `key` in the page, after `after` (may be NULL). */
static double page_number(const char *html, const char *after, const char *key)
{
    const char *p = after ? strstr(html, after) : html;
    p = p ? strstr(p, key) : NULL;
    if (!p)
        test_fail(__FILE__, __LINE__, "the report has no \"%s\"", key);
    return strtod(p + strlen(key), NULL);
}

static const char SPLITS[] =
    "import sys, os, numpy as np\n"
    "from sklearn import datasets\n"
    "from sklearn.model_selection import train_test_split\n"
    "base, name = sys.argv[1], sys.argv[2]\n"
    "X, y = getattr(datasets, 'load_' + name)(return_X_y=True)\n"
    "strat = y if name != 'diabetes' else None\n"
    "Xtr, Xr, ytr, yr = train_test_split(X, y, test_size=0.5, random_state=7, stratify=strat)\n"
    "Xva, Xte, yva, yte = train_test_split(Xr, yr, test_size=0.6, random_state=7, "
    "stratify=yr if strat is not None else None)\n"
    "def w(rel, X, y):\n"
    "    p = os.path.join(base, rel); os.makedirs(os.path.dirname(p), exist_ok=True)\n"
    "    np.savetxt(p, np.column_stack([y, X]), delimiter=',', fmt='%.10g')\n"
    "w('input/data/train/part-0.csv', Xtr, ytr); w('input/data/validation/val.csv', Xva, yva)\n"
    "w('input/data/test/test.csv', Xte, yte)\n"
    "print('test_rows=%d' % len(yte))\n";

static char *ll_job(const char *dataset, const char *hyperparameters)
{
    char *base = optml_tree_new(hyperparameters);
    free(ll_python(base, SPLITS, strf("%s %s", base, dataset)));
    struct run_result r = ll_train_run(base, NULL);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "train failed (%d):\n%s", r.exit_code, r.output);
    free(r.output);
    return base;
}

TEST_TIMEOUT(report_of_the_linear_learner_binary_matches_its_metrics_and_threshold, 60)
{
    if (ll_missing())
        return;
    char *base = ll_job("breast_cancer", "{\"predictor_type\": \"binary_classifier\", \"epochs\": \"10\", "
                                         "\"binary_classifier_model_selection_criteria\": \"f_beta\"}");
    char *html = report_of(base);
    self_contained(html);
    ASSERT_CONTAINS(html, "<h3>binary_classification_cross_entropy_objective by epoch</h3>");
    double c[4];
    confusion_cells(html, "test", 2, c); /* [true][predicted] */
    double tn = c[0], fp = c[1], fn = c[2], tp = c[3];
    ASSERT_NEAR(tp / (tp + fp), final_metric(base, "test", "precision"), 1e-9);
    ASSERT_NEAR(tp / (tp + fn), final_metric(base, "test", "recall"), 1e-9);
    ASSERT_NEAR((tp + tn) / (tp + tn + fp + fn), final_metric(base, "test", "binary_classification_accuracy"), 1e-9);
    json_t *model = json_loads(tree_file(base, "model/model.json"), 0, NULL);
    ASSERT(model != NULL);
    double threshold = json_number_value(json_object_get(model, "threshold"));
    ASSERT_NEAR(page_number(html, NULL, "<th class=\"l\">Decision threshold</th><td class=\"l\">"), threshold,
                1e-5 * fmax(1, fabs(threshold)));
    json_decref(model);
    ASSERT_CONTAINS(html, "<caption>Confusion matrix (validation)");
    ASSERT_CONTAINS(html, "<caption>Confusion matrix (train)");
}

TEST_TIMEOUT(report_of_the_linear_learner_multiclass_and_regressor, 60)
{
    if (ll_missing())
        return;
    char *base = ll_job("wine", "{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"3\", "
                                "\"epochs\": \"10\"}");
    char *html = report_of(base);
    ASSERT_CONTAINS(html, "<h3>multiclass_cross_entropy_objective by epoch</h3>");
    double c[9], right = 0, all = 0;
    confusion_cells(html, "test", 3, c);
    for (int i = 0; i < 9; i++) {
        all += c[i];
        right += i % 4 == 0 ? c[i] : 0;
    }
    ASSERT_NEAR(right / all, final_metric(base, "test", "multiclass_accuracy"), 1e-9);
    ASSERT_CONTAINS(html, "<th class=\"l\">Predictor</th><td class=\"l\">multiclass_classifier, 13 features, 3 classes</td>");

    base = ll_job("diabetes", "{\"predictor_type\": \"regressor\", \"epochs\": \"10\"}");
    html = report_of(base);
    ASSERT_CONTAINS(html, "<caption>Residuals (test): predicted minus actual</caption>");
    double rmse = final_metric(base, "test", "rmse");
    ASSERT_NEAR(page_number(html, "Residuals (test)", "<th class=\"l\">RMSE</th><td class=\"l\">"), rmse, 1e-4 * rmse);
    ASSERT(strstr(html, "Confusion matrix") == NULL);
}
