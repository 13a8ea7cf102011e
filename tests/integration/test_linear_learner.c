/*
 * test_linear_learner.c: the linear-learner module end to end on real data.
 * `optml train` on scikit-learn's breast-cancer (binary) and diabetes
 * (regression) sets, split with a fixed seed by /usr/bin/python3, compared
 * with scikit-learn's LogisticRegression / LinearRegression fitted on the
 * same split in the same run; the metric lines checked against the
 * CloudWatch regexes of ALGORITHMS.md C.6; then `optml serve` on the
 * trained model with every request and response type.
 *
 * Needs build/lib/optml/linear-learner.so; when it is not built the tests
 * say so on stderr and pass without checking anything.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "codec/protobuf_record.h"
#include "serve_helpers.h"
#include "train_helpers.h"

/* Shared with the other test_linear_learner*.c files (declared there). */
int ll_missing(void);
struct run_result ll_train_run(const char *base, const char *const *extra);
char *ll_python(const char *dir, const char *script, const char *args);
double ll_value_after(const char *text, const char *key);

/* The module must be built (`make test` builds it): a missing one fails the
 * test rather than skipping it. */
int ll_missing(void)
{
    char *so = strf("%s/lib/optml/linear-learner.so", build_dir());
    if (!file_exists(so))
        test_fail(__FILE__, __LINE__, "%s is not built", so);
    free(so);
    return 0;
}

/* `optml train` with the linear-learner module. */
struct run_result ll_train_run(const char *base, const char *const *extra)
{
    const char *env[32] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), "OPTML_ALGORITHM=linear-learner"};
    size_t n = 3;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 60);
    if (r.exit_code != 0 && getenv("OPTML_TEST_VERBOSE"))
        fprintf(stderr, "%s\n", r.output);
    return r;
}

/* Run a python script (text) with args; returns its stdout (never NULL). */
char *ll_python(const char *dir, const char *script, const char *args)
{
    write_file(dir, "script.py", script, (size_t)-1);
    char *cmd = strf("/usr/bin/python3 %s/script.py %s 2>&1", dir, args);
    int rc;
    char *out = run_capture(cmd, &rc);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "python failed (%d): %s", rc, out);
    free(cmd);
    return out;
}

/* The number after `key` in text (e.g. "sk_accuracy="), or NAN. */
double ll_value_after(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

/* Every line matching `re` captures (group 1) a finite number; at least one
 * line matches.  Returns the number of matching lines. */
static int numeric_matches(const char *text, const char *re)
{
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE) != 0)
        test_fail(__FILE__, __LINE__, "bad regex %s", re);
    int count = 0;
    regmatch_t m[2];
    const char *p = text;
    while (regexec(&rx, p, 2, m, 0) == 0) {
        char num[64] = {0};
        size_t len = (size_t)(m[1].rm_eo - m[1].rm_so);
        memcpy(num, p + m[1].rm_so, len < sizeof(num) - 1 ? len : sizeof(num) - 1);
        char *end = NULL;
        double v = strtod(num, &end);
        if (!end || *end || !isfinite(v))
            test_fail(__FILE__, __LINE__, "regex %s captured '%s', not a number", re, num);
        count++;
        p += m[0].rm_eo;
    }
    regfree(&rx);
    if (!count)
        test_fail(__FILE__, __LINE__, "no line matches %s", re);
    return count;
}

/* The linear-learner:1 metric definitions (ALGORITHMS.md C.6), \S as [^ ]. */
#define HOST "#quality_metric: host=[^ ]+, "
static void check_common_regexes(const char *out)
{
    numeric_matches(out, "#progress_metric: host=[^ ]+, completed ([^ ]+) %");
    numeric_matches(out, "#throughput_metric: host=[^ ]+, train throughput=([^ ]+) records/second");
    numeric_matches(out, HOST "epoch=[^ ]+, train [^ ]+_objective <loss>=([^ ]+)");
    numeric_matches(out, HOST "train [^ ]+_objective <loss>=([^ ]+)");
    numeric_matches(out, HOST "epoch=[^ ]+, validation [^ ]+_objective <loss>=([^ ]+)");
    numeric_matches(out, HOST "validation [^ ]+_objective <loss>=([^ ]+)");
    numeric_matches(out, HOST "test [^ ]+_objective <loss>=([^ ]+)");
}

/* argv: "seed:tree" pairs; each tree gets a stratified 50/15/35 split. */
static const char BREAST_CANCER[] =
    "import sys, os, numpy as np\n"
    "from sklearn.datasets import load_breast_cancer\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.preprocessing import StandardScaler\n"
    "from sklearn.pipeline import make_pipeline\n"
    "X, y = load_breast_cancer(return_X_y=True)\n"
    "for arg in sys.argv[1:]:\n"
    "    seed, base = arg.split(':', 1); seed = int(seed)\n"
    "    Xtr, Xr, ytr, yr = train_test_split(X, y, test_size=0.5, random_state=seed, stratify=y)\n"
    "    Xva, Xte, yva, yte = train_test_split(Xr, yr, test_size=0.7, random_state=seed, stratify=yr)\n"
    "    def w(rel, X, y, label=True):\n"
    "        p = os.path.join(base, rel); os.makedirs(os.path.dirname(p), exist_ok=True)\n"
    "        np.savetxt(p, np.column_stack([y, X]) if label else X, delimiter=',', fmt='%.10g')\n"
    "    w('input/data/train/part-0.csv', Xtr, ytr); w('input/data/validation/val.csv', Xva, yva)\n"
    "    w('input/data/test/test.csv', Xte, yte); w('features.csv', Xte, yte, False); w('labels.csv', yte, yte, False)\n"
    "    m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=10000)).fit(Xtr, ytr)\n"
    "    print('sk_accuracy_%d=%.6f wd_%d=%.6g' % (seed, m.score(Xte, yte), seed, 1.0 / len(ytr)))\n";

static const char DIABETES[] =
    "import sys, os, numpy as np\n"
    "from sklearn.datasets import load_diabetes\n"
    "from sklearn.model_selection import train_test_split\n"
    "from sklearn.linear_model import LinearRegression\n"
    "base, seed = sys.argv[1], int(sys.argv[2])\n"
    "X, y = load_diabetes(return_X_y=True)\n"
    "Xtr, Xr, ytr, yr = train_test_split(X, y, test_size=0.5, random_state=seed)\n"
    "Xva, Xte, yva, yte = train_test_split(Xr, yr, test_size=0.7, random_state=seed)\n"
    "def w(rel, X, y):\n"
    "    p = os.path.join(base, rel); os.makedirs(os.path.dirname(p), exist_ok=True)\n"
    "    np.savetxt(p, np.column_stack([y, X]), delimiter=',', fmt='%.10g')\n"
    "w('input/data/train/part-0.csv', Xtr, ytr); w('input/data/validation/val.csv', Xva, yva)\n"
    "w('input/data/test/test.csv', Xte, yte)\n"
    "m = LinearRegression().fit(Xtr, ytr)\n"
    "print('sk_rmse=%.6f' % np.sqrt(np.mean((m.predict(Xte) - yte) ** 2)))\n";

/* Serve `base` with the linear-learner module. */
static struct served *ll_serve(const char *base)
{
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=linear-learner", NULL};
    return serve_start_ready(base, extra);
}

/* Number of elements of j["predictions"] each with a score in [0, 1] and a
 * 0/1 predicted_label; -1 when the shape is wrong. */
static long binary_predictions(json_t *j, const char *labels_csv, double *accuracy)
{
    json_t *p = json_object_get(j, "predictions");
    if (!json_is_array(p))
        return -1;
    const char *lab = labels_csv;
    double right = 0;
    for (size_t i = 0; i < json_array_size(p); i++) {
        json_t *e = json_array_get(p, i);
        json_t *sc = json_object_get(e, "score"), *pl = json_object_get(e, "predicted_label");
        if (!json_is_number(sc) || !json_is_number(pl) || json_object_size(e) != 2)
            return -1;
        double s = json_number_value(sc), l = json_number_value(pl);
        if (s < 0 || s > 1 || (l != 0 && l != 1))
            return -1;
        if (lab) {
            char *end;
            double y = strtod(lab, &end);
            right += y == l;
            lab = *end ? end + 1 : end;
        }
    }
    if (accuracy)
        *accuracy = json_array_size(p) ? right / (double)json_array_size(p) : 0;
    return (long)json_array_size(p);
}

TEST_TIMEOUT(ll_breast_cancer_matches_sklearn_and_serves, 60)
{
    if (ll_missing())
        return;
    /* Three splits: one split's 200 test rows make a point of accuracy two
     * rows, so the comparison is on the mean. */
    char *bases[3];
    for (int k = 0; k < 3; k++)
        bases[k] = optml_tree_new(NULL);
    char *sk = ll_python(bases[0], BREAST_CANCER,
                         strf("1:%s 2:%s 3:%s", bases[0], bases[1], bases[2]));
    double ours = 0, theirs = 0;
    struct run_result r = {0};
    for (int k = 0; k < 3; k++) {
        double sk_acc = ll_value_after(sk, strf("sk_accuracy_%d=", k + 1)), wd = ll_value_after(sk, strf("wd_%d=", k + 1));
        ASSERT(sk_acc > 0.9 && wd > 0);
        /* The same L2 penalty as LogisticRegression(C=1): wd = 1 / n_train. */
        write_file(bases[k], "input/config/hyperparameters.json",
                   strf("{\"predictor_type\": \"binary_classifier\", \"mini_batch_size\": \"32\", \"epochs\": \"40\", "
                        "\"early_stopping_patience\": \"40\", \"num_models\": \"1\", \"wd\": \"%g\"}", wd),
                   (size_t)-1);
        free(r.output);
        r = ll_train_run(bases[k], NULL);
        if (r.exit_code != 0)
            test_fail(__FILE__, __LINE__, "train failed (%d):\n%s", r.exit_code, r.output);
        double acc = ll_value_after(r.output, "test binary_classification_accuracy <score>=");
        fprintf(stderr, "breast cancer split %d held-out accuracy: optml %.4f, scikit-learn %.4f\n", k + 1, acc, sk_acc);
        ours += acc / 3;
        theirs += sk_acc / 3;
    }
    free(sk);
    fprintf(stderr, "breast cancer mean held-out accuracy: optml %.4f, scikit-learn %.4f\n", ours, theirs);
    ASSERT(ours >= theirs - 0.01);
    /* The last split's log: metric lines and the model. */
    char *base = bases[2];
    double acc = ll_value_after(r.output, "test binary_classification_accuracy <score>=");
    check_common_regexes(r.output);
    for (int i = 0; i < 3; i++) {
        const char *split = i == 0 ? "train" : i == 1 ? "validation" : "test";
        numeric_matches(r.output, strf(HOST "%s binary_f_[^ ]+ <score>=([^ ]+)", split));
        numeric_matches(r.output, strf(HOST "%s binary_classification_accuracy <score>=([^ ]+)", split));
        numeric_matches(r.output, strf(HOST "%s precision <score>=([^ ]+)", split));
        numeric_matches(r.output, strf(HOST "%s recall <score>=([^ ]+)", split));
    }
    numeric_matches(r.output, HOST "test roc_auc_score <score>=([^ ]+)");
    ASSERT(has_line_matching(r.output, "train binary_classification_cross_entropy_objective <loss>="));
    ASSERT(has_line_matching(r.output, "validation binary_f_1.000 <score>="));
    ASSERT(has_line_matching(r.output, "#validation_score \\(algo-1\\) : \\('binary_classification_accuracy', [0-9.e-]+\\)"));
    ASSERT(has_line_matching(r.output, "Best model found for hyperparameters: \\{\"optimizer\": \"adam\", "
                                       "\"learning_rate\": [0-9.e-]+, \"l1\": [0-9.e-]+, \"wd\": [0-9.e-]+, "
                                       "\"lr_scheduler_step\": [0-9]+, \"lr_scheduler_factor\": [0-9.e-]+, "
                                       "\"lr_scheduler_minimum_lr\": [0-9.e-]+"));
    free(r.output);
    char *mj = tree_file(base, "model/model.json");
    json_error_t je;
    json_t *model = json_loads(mj, 0, &je);
    ASSERT(model != NULL);
    ASSERT_EQ_STR(json_string_value(json_object_get(model, "predictor_type")), "binary_classifier");
    ASSERT_EQ_INT(json_array_size(json_object_get(model, "coefficients")), 30);
    ASSERT(json_is_number(json_object_get(model, "bias")) && json_is_number(json_object_get(model, "threshold")));
    json_decref(model);

    /* Serve the model: every test row as CSV; the served accuracy is the
     * accuracy training reported. */
    struct served *s = ll_serve(base);
    /* The module's OpenBLAS (loaded RTLD_LOCAL with the module) is held to
     * one thread per worker: the workers are the parallelism. */
    char *slog = serve_log_text(s);
    SRV_ASSERT_CONTAINS(s, slog, "OpenBLAS: one thread in each worker");
    free(slog);
    char *features = tree_file(base, "features.csv"), *labels = tree_file(base, "labels.csv");
    struct http_response *h = serve_invoke(s, "text/csv", NULL, NULL, features, strlen(features));
    EXPECT_STATUS(s, h, 200);
    json_t *j = EXPECT_JSON(s, h);
    double served_acc = 0;
    long n = binary_predictions(j, labels, &served_acc);
    SRV_ASSERT(s, n > 100);
    SRV_ASSERT(s, fabs(served_acc - acc) < 1e-9);
    json_decref(j);

    /* One row in each request form. */
    char *row = strndup(features, strcspn(features, "\n"));
    const char *bodies[][2] = {
        {"application/json", strf("{\"instances\": [{\"features\": [%s]}, {\"data\": {\"features\": {\"values\": [%s]}}}]}", row, row)},
        {"application/json", "{\"instances\": [{\"data\": {\"features\": {\"keys\": [0, 7], \"shape\": [30], \"values\": [12.5, 0.05]}}}]}"},
        {"application/jsonlines", strf("{\"features\": [%s]}\n{\"data\": {\"features\": {\"values\": [%s]}}}\n", row, row)},
    };
    for (size_t i = 0; i < 3; i++) {
        h = serve_invoke(s, bodies[i][0], NULL, NULL, bodies[i][1], strlen(bodies[i][1]));
        EXPECT_STATUS(s, h, 200);
        j = EXPECT_JSON(s, h);
        SRV_ASSERT(s, binary_predictions(j, NULL, NULL) == (i == 1 ? 1 : 2));
        json_decref(j);
    }
    /* JSON Lines out: one object per line. */
    h = serve_invoke(s, "text/csv", "application/jsonlines", NULL, row, strlen(row));
    EXPECT_STATUS(s, h, 200);
    SRV_ASSERT(s, has_line_matching(h->body, "^\\{\"score\": [0-9.e-]+, \"predicted_label\": [01]\\}$"));
    SRV_ASSERT_EQ_STR(s, http_header_get(h, "Content-Type"), "application/jsonlines");
    /* RecordIO-protobuf in and out: one record per row. */
    float x[30];
    char *p = row;
    for (int k = 0; k < 30; k++)
        x[k] = strtof(p, &p), p += *p == ',';
    struct pb_out pb = {0};
    ASSERT(pb_write_example(&pb, x, 30, 0.0f) == 0 && pb_write_example(&pb, x, 30, 0.0f) == 0);
    h = serve_invoke(s, "application/x-recordio-protobuf", "application/x-recordio-protobuf", NULL, pb.data, pb.len);
    EXPECT_STATUS(s, h, 200);
    SRV_ASSERT(s, h->body_len > 16 && memcmp(h->body, "\x0a\x23\xd7\xce", 4) == 0);
    SRV_ASSERT(s, memmem(h->body, h->body_len, "predicted_label", 15) && memmem(h->body, h->body_len, "score", 5));
    /* Errors: CSV out is 406, a bad row is 400 naming its line, a short row 400. */
    h = serve_invoke(s, "text/csv", "text/csv", NULL, row, strlen(row));
    EXPECT_JSON_ERROR(s, h, 406, "application/json");
    char *bad = strf("%s\n%s,oops\n", row, row);
    h = serve_invoke(s, "text/csv", NULL, NULL, bad, strlen(bad));
    EXPECT_JSON_ERROR(s, h, 400, "line 2");
    h = serve_invoke(s, "text/csv", NULL, NULL, "1,2,3", 5);
    EXPECT_JSON_ERROR(s, h, 400, "expected 30");
    h = serve_invoke(s, "application/json", NULL, NULL, "{\"instances\": [{\"features\": [1, 2]}]}", 37);
    EXPECT_JSON_ERROR(s, h, 400, "instance 0");
    serve_stop(s);
    pb_out_free(&pb);
    free(row);
}

TEST_TIMEOUT(ll_diabetes_regression_matches_sklearn, 60)
{
    if (ll_missing())
        return;
    char *base = optml_tree_new("{\"predictor_type\": \"regressor\", \"mini_batch_size\": \"32\", \"epochs\": \"40\"}");
    char *sk = ll_python(base, DIABETES, strf("%s 1", base));
    double sk_rmse = ll_value_after(sk, "sk_rmse=");
    free(sk);
    ASSERT(sk_rmse > 10);
    struct run_result r = ll_train_run(base, NULL);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "train failed (%d):\n%s", r.exit_code, r.output);
    double rmse = ll_value_after(r.output, "test rmse <loss>=");
    fprintf(stderr, "diabetes held-out RMSE: optml %.3f, scikit-learn %.3f\n", rmse, sk_rmse);
    ASSERT(rmse <= sk_rmse * 1.05);
    check_common_regexes(r.output);
    for (int i = 0; i < 3; i++) {
        const char *split = i == 0 ? "train" : i == 1 ? "validation" : "test";
        numeric_matches(r.output, strf(HOST "%s mse <loss>=([^ ]+)", split));
        numeric_matches(r.output, strf(HOST "%s absolute_loss <loss>=([^ ]+)", split));
    }
    ASSERT(has_line_matching(r.output, "epoch=0, train mse_objective <loss>="));
    ASSERT(has_line_matching(r.output, "validation rmse <loss>="));

    struct served *s = ll_serve(base);
    const char *row = "0.038,0.05,0.06,0.02,-0.04,-0.03,-0.04,-0.002,0.02,-0.017\n";
    struct http_response *h = serve_invoke(s, "text/csv", "application/jsonlines", NULL, row, strlen(row));
    EXPECT_STATUS(s, h, 200);
    SRV_ASSERT(s, has_line_matching(h->body, "^\\{\"score\": [0-9.e-]+\\}$"));
    h = serve_invoke(s, "text/csv", NULL, NULL, row, strlen(row));
    json_t *j = EXPECT_JSON(s, h);
    json_t *e = json_array_get(json_object_get(j, "predictions"), 0);
    SRV_ASSERT(s, json_object_size(e) == 1 && json_is_number(json_object_get(e, "score")));
    json_decref(j);
    serve_stop(s);
}
