/*
 * test_guides.c: the module guides (algorithms/<dir>/README.md) against the
 * real binary.
 *
 * Metric definitions: each guide's "## Metric definitions" section holds
 * Python lists (`name = [`) of {"Name": "...", "Regex": "..."} lines, pasted
 * by users into Estimator(metric_definitions=...).  Every regex of every
 * list is run, line by line, over the log of a real `optml train` that
 * prints those metrics, twice: as a POSIX extended regex (regcomp) and with
 * Python's `re` (/usr/bin/python3).  Each must match at least one line, the
 * same lines in both, and capture (group 1) a finite number; a regex holds
 * no backslash, so the README, a Python string and a JSON string spell it
 * the same.  Each list is checked against the runs named in the tables below,
 * and a list not named there fails the test (so a new list gets a run).
 *
 * Hyperparameters: the guide's "## Hyperparameters" table has one row per
 * hyperparameter `optml help` prints for the module, each starting
 * "| `name` | type | default | range or values |" exactly as the help
 * gives them (enum values joined with ", ").
 */
#define _GNU_SOURCE
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "train_helpers.h"

#define LL_GUIDE "algorithms/linear_learner/README.md"
#define NC_GUIDE "algorithms/news_classifier/README.md"
#define CC_GUIDE "algorithms/cifar_cnn/README.md"

/* One {"Name", "Regex"} of a guide, and the Python list it is in. */
struct mdef {
    char *list, *name, *regex;
};

/* The part of `text` from the line `heading` (exact) up to the next line
 * starting "## " (malloc'd); fails when the heading is missing. */
static char *section(const char *text, const char *heading, const char *file)
{
    const char *p = text;
    size_t hl = strlen(heading);
    while (p && !(strncmp(p, heading, hl) == 0 && (p[hl] == '\n' || p[hl] == '\0'))) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p)
        test_fail(__FILE__, __LINE__, "%s has no line '%s'", file, heading);
    const char *end = p + hl;
    while ((end = strchr(end, '\n')) != NULL && strncmp(end + 1, "## ", 3) != 0)
        end++;
    return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

/* Group `g` of match m in s (malloc'd). */
static char *group(const char *s, const regmatch_t *m, int g)
{
    return strndup(s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
}

/* The metric definitions of a guide; returns their number. */
static size_t guide_metrics(const char *file, struct mdef *out, size_t cap)
{
    char *text = read_file(file, NULL);
    if (!text)
        test_fail(__FILE__, __LINE__, "cannot read %s", file);
    char *sec = section(text, "## Metric definitions", file);
    regex_t list_rx, def_rx;
    ASSERT(regcomp(&list_rx, "^([a-z_]+) = \\[", REG_EXTENDED) == 0);
    ASSERT(regcomp(&def_rx, "\\{\"Name\": \"([^\"]+)\", \"Regex\": \"([^\"]*)\"\\}", REG_EXTENDED) == 0);
    char *list = NULL;
    size_t n = 0;
    for (char *line = strtok(sec, "\n"); line; line = strtok(NULL, "\n")) {
        regmatch_t m[3];
        if (regexec(&list_rx, line, 2, m, 0) == 0) {
            if (list && (n == 0 || out[n - 1].list != list))
                free(list); /* an empty list */
            list = group(line, m, 1);
        } else if (regexec(&def_rx, line, 3, m, 0) == 0) {
            if (!list)
                test_fail(__FILE__, __LINE__, "%s: a definition outside a `name = [` list: %s", file, line);
            if (n == cap)
                test_fail(__FILE__, __LINE__, "%s: more than %zu metric definitions", file, cap);
            out[n] = (struct mdef){list, group(line, m, 1), group(line, m, 2)};
            if (strchr(out[n].regex, '\\'))
                test_fail(__FILE__, __LINE__, "%s: %s: the regex has a backslash (not the same in Python, "
                          "JSON and POSIX): %s", file, out[n].name, out[n].regex);
            n++;
        }
    }
    if (list && (n == 0 || out[n - 1].list != list))
        free(list);
    regfree(&list_rx);
    regfree(&def_rx);
    free(sec);
    free(text);
    if (n == 0)
        test_fail(__FILE__, __LINE__, "%s: no metric definitions found", file);
    return n;
}

/* Lines of `log` that d's regex (POSIX ERE) matches; fails when a match
 * does not capture a finite number in group 1. */
static int posix_count(const char *log, const struct mdef *d)
{
    regex_t re;
    if (regcomp(&re, d->regex, REG_EXTENDED) != 0)
        test_fail(__FILE__, __LINE__, "%s: not a POSIX extended regex: %s", d->name, d->regex);
    if (re.re_nsub < 1)
        test_fail(__FILE__, __LINE__, "%s: the regex captures nothing: %s", d->name, d->regex);
    int count = 0;
    for (const char *p = log; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, len);
        regmatch_t m[2];
        if (regexec(&re, line, 2, m, 0) == 0) {
            char *num = group(line, m, 1), *end = NULL;
            double v = strtod(num, &end);
            if (!*num || *end || !isfinite(v))
                test_fail(__FILE__, __LINE__, "%s: %s captured '%s' from '%s', not a number", d->name, d->regex,
                          num, line);
            free(num);
            count++;
        }
        free(line);
        p += len + (nl ? 1 : 0);
    }
    regfree(&re);
    return count;
}

/* Python's count of the lines each regex (one per line of `regexes`)
 * matches in `log`, one number per line of the answer, in order. */
static const char PY_COUNT[] =
    "import re, sys\n"
    "lines = open(sys.argv[1]).read().split('\\n')\n"
    "for rx in open(sys.argv[2]).read().split('\\n')[:-1]:\n"
    "    r, n = re.compile(rx), 0\n"
    "    for line in lines:\n"
    "        m = r.search(line)\n"
    "        if m:\n"
    "            float(m.group(1)); n += 1\n"
    "    print(n)\n";

static char *python_counts(const char *dir, const char *log, const char *regexes)
{
    write_file(dir, "log.txt", log, (size_t)-1);
    write_file(dir, "regexes.txt", regexes, (size_t)-1);
    write_file(dir, "count.py", PY_COUNT, (size_t)-1);
    char *cmd = strf("/usr/bin/python3 %s/count.py %s/log.txt %s/regexes.txt 2>&1", dir, dir, dir);
    int rc;
    char *out = run_capture(cmd, &rc);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "python re failed on the guide's regexes: %s", out);
    free(cmd);
    return out;
}

/* Every definition of `list` against the log of run `what`; returns how
 * many were checked. */
static size_t check_list(const struct mdef *defs, size_t n, const char *list, const char *log, const char *what)
{
    char *regexes = NULL, *posix = NULL;
    size_t rl = 0, pl = 0, checked = 0;
    FILE *rf = open_memstream(&regexes, &rl), *pf = open_memstream(&posix, &pl);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(defs[i].list, list) != 0)
            continue;
        int c = posix_count(log, &defs[i]);
        if (c == 0)
            test_fail(__FILE__, __LINE__, "%s: no line of the %s training log matches %s", defs[i].name, what,
                      defs[i].regex);
        fprintf(rf, "%s\n", defs[i].regex);
        fprintf(pf, "%d\n", c);
        checked++;
    }
    fclose(rf);
    fclose(pf);
    if (!checked)
        test_fail(__FILE__, __LINE__, "the guide has no list '%s'", list);
    char *dir = tmpdir_new();
    char *py = python_counts(dir, log, regexes);
    if (strcmp(py, posix) != 0)
        test_fail(__FILE__, __LINE__, "list %s on the %s log: Python's re matches lines\n%s"
                  "POSIX regcomp\n%s(one count per regex)", list, what, py, posix);
    fprintf(stderr, "%s on the %s log: %zu regexes, same lines in POSIX and Python\n", list, what, checked);
    free(py);
    free(regexes);
    free(posix);
    return checked;
}

/* Every list of the guide appears in `lists` (NULL-terminated). */
static void lists_known(const struct mdef *defs, size_t n, const char *const *lists, const char *file)
{
    for (size_t i = 0; i < n; i++) {
        int known = 0;
        for (size_t k = 0; lists[k]; k++)
            known |= strcmp(defs[i].list, lists[k]) == 0;
        if (!known)
            test_fail(__FILE__, __LINE__, "%s: list '%s' is checked against no training run (add it to %s)",
                      file, defs[i].list, __FILE__);
    }
}

static void free_metrics(struct mdef *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(defs[i].name);
        free(defs[i].regex);
        /* lists are shared by their entries: freed once, at the first. */
        if (i == 0 || defs[i].list != defs[i - 1].list)
            free(defs[i].list);
    }
}

/* `optml train` of `module` on base; the log, after a zero exit. */
static char *train_log(const char *base, const char *module)
{
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), strf("OPTML_ALGORITHM=%s", module),
                         NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 120);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "%s train failed (%d):\n%s", module, r.exit_code, r.output);
    return r.output;
}

static void copy_file(const char *src, const char *base, const char *rel)
{
    size_t len;
    char *data = read_file(src, &len);
    if (!data)
        test_fail(__FILE__, __LINE__, "cannot read %s", src);
    write_file(base, rel, data, len);
    free(data);
}

/* Deterministic numbers in [-1, 1). */
static double uniform(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 52) - 1.0;
}

/* A CSV channel of `rows` rows, 4 features: multiclass (3 classes, the
 * argmax of three linear scores) or regression (a linear target plus noise). */
static void synth_channel(const char *base, const char *channel, int multiclass, int rows, unsigned long long seed)
{
    static const double W[3][4] = {{2, -1, 0.5, 0}, {-1, 2, 0, 0.5}, {0, 0, -2, 1}};
    char *csv = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&csv, &len);
    for (int i = 0; i < rows; i++) {
        double x[4], y = 0;
        for (int j = 0; j < 4; j++)
            x[j] = 3 * uniform(&seed);
        if (multiclass) {
            double best = -INFINITY;
            for (int k = 0; k < 3; k++) {
                double s = 0;
                for (int j = 0; j < 4; j++)
                    s += W[k][j] * x[j];
                if (s > best) {
                    best = s;
                    y = k;
                }
            }
        } else {
            y = 10 + 3 * x[0] - 2 * x[1] + x[2] + 0.1 * uniform(&seed);
        }
        fprintf(f, "%g,%.6f,%.6f,%.6f,%.6f\n", y, x[0], x[1], x[2], x[3]);
    }
    fclose(f);
    char *rel = strf("input/data/%s/%s.csv", channel, channel);
    write_file(base, rel, csv, len);
    free(rel);
    free(csv);
}

/* The hyperparameter table of `file` against `optml help` for `module`. */
static void check_hparams(const char *file, const char *module)
{
    const char *env[] = {module_path_env(), strf("OPTML_ALGORITHM=%s", module), NULL};
    const char *args[] = {"help", NULL};
    struct run_result r = run_optml(args, env, 30);
    ASSERT_EQ_INT(r.exit_code, 0);
    char *text = read_file(file, NULL);
    ASSERT(text != NULL);
    char *sec = section(text, "## Hyperparameters", file);
    regex_t rx;
    ASSERT(regcomp(&rx, "^    ([a-z0-9_-]+) +([a-z]+) +(required|default +([^ ]+))"
                        "( +(range ([[(][^])]*[])])|\\{([^}]*)\\}))?", REG_EXTENDED) == 0);
    const char *h = strstr(r.output, "\n  hyperparameters:\n");
    ASSERT(h != NULL);
    size_t help_rows = 0;
    char *help = strdup(h + 1);
    for (char *line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "    ", 4) != 0) {
            if (help_rows)
                break;
            continue;
        }
        regmatch_t m[9];
        if (regexec(&rx, line, 9, m, 0) != 0)
            test_fail(__FILE__, __LINE__, "cannot read the help line '%s'", line);
        char *name = group(line, m, 1), *type = group(line, m, 2);
        char *dflt = m[4].rm_so >= 0 ? group(line, m, 4) : strdup("required");
        char *values = m[7].rm_so >= 0 ? group(line, m, 7) : strdup("");
        if (m[8].rm_so >= 0) { /* {a,b,c} -> "a, b, c" */
            char *e = group(line, m, 8), *j = NULL;
            size_t jl = 0;
            FILE *f = open_memstream(&j, &jl);
            for (const char *q = e; *q; q++) {
                if (*q == ',')
                    fputs(", ", f);
                else
                    fputc(*q, f);
            }
            fclose(f);
            free(values);
            free(e);
            values = j;
        }
        char *row = strf("| `%s` | %s | %s | %s |", name, type, dflt, values);
        char *found = strstr(sec, row);
        if (!found || (found != sec && found[-1] != '\n'))
            test_fail(__FILE__, __LINE__, "%s: no hyperparameter row starting '%s' (from `optml help`)", file, row);
        help_rows++;
        free(name);
        free(type);
        free(dflt);
        free(values);
        free(row);
    }
    free(help);
    size_t readme_rows = 0;
    for (const char *p = sec; (p = strstr(p, "\n| `")) != NULL; p++)
        readme_rows++;
    if (readme_rows != help_rows)
        test_fail(__FILE__, __LINE__, "%s: %zu hyperparameter rows, `optml help` prints %zu", file, readme_rows,
                  help_rows);
    fprintf(stderr, "%s: %zu hyperparameter rows match `optml help`\n", file, help_rows);
    regfree(&rx);
    free(sec);
    free(text);
}

TEST_TIMEOUT(guide_linear_learner_metric_definitions_match_a_training_log, 120)
{
    struct mdef defs[128];
    size_t n = guide_metrics(LL_GUIDE, defs, 128);
    static const char *const lists[] = {"common", "binary", "multiclass", "regressor", NULL};
    lists_known(defs, n, lists, LL_GUIDE);
    size_t checked = 0;

    /* binary: the shipped sample, its validation file also as `test`. */
    const char *sample = "local_test/linear-learner/test_dir";
    char *base = optml_tree_new(NULL);
    copy_file(strf("%s/input/config/hyperparameters.json", sample), base, "input/config/hyperparameters.json");
    copy_file(strf("%s/input/data/train/breast_cancer_train.csv", sample), base, "input/data/train/train.csv");
    copy_file(strf("%s/input/data/validation/breast_cancer_validation.csv", sample), base,
              "input/data/validation/validation.csv");
    copy_file(strf("%s/input/data/validation/breast_cancer_validation.csv", sample), base, "input/data/test/test.csv");
    char *log = train_log(base, "linear-learner");
    checked += check_list(defs, n, "common", log, "binary_classifier");
    checked += check_list(defs, n, "binary", log, "binary_classifier");

    /* multiclass and regressor on synthetic data. */
    for (int mc = 1; mc >= 0; mc--) {
        base = optml_tree_new(mc ? "{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"3\", "
                                   "\"mini_batch_size\": \"20\", \"epochs\": \"5\"}"
                                 : "{\"predictor_type\": \"regressor\", \"mini_batch_size\": \"20\", \"epochs\": \"5\"}");
        synth_channel(base, "train", mc, 300, 1);
        synth_channel(base, "validation", mc, 100, 2);
        synth_channel(base, "test", mc, 100, 3);
        log = train_log(base, "linear-learner");
        const char *what = mc ? "multiclass_classifier" : "regressor";
        checked += check_list(defs, n, "common", log, what);
        checked += check_list(defs, n, mc ? "multiclass" : "regressor", log, what);
    }
    fprintf(stderr, "%s: %zu metric definitions, %zu checks against 3 training logs\n", LL_GUIDE, n, checked);
    free_metrics(defs, n);
}

TEST_TIMEOUT(guide_news_classifier_metric_definitions_match_a_training_log, 120)
{
    struct mdef defs[64];
    size_t n = guide_metrics(NC_GUIDE, defs, 64);
    static const char *const lists[] = {"metric_definitions", "keras_metric_definitions", NULL};
    lists_known(defs, n, lists, NC_GUIDE);
    /* Both architectures, on the shipped corpus. */
    for (int workshop = 0; workshop <= 1; workshop++) {
        char *base = optml_tree_new(workshop ? "{\"architecture\": \"workshop\"}" : "{}");
        const char *sample = "local_test/news-classifier/test_dir/input/data";
        copy_file(strf("%s/training/newsCorpora.csv", sample), base, "input/data/training/newsCorpora.csv");
        copy_file(strf("%s/validation/newsCorpora.csv", sample), base, "input/data/validation/newsCorpora.csv");
        char *log = train_log(base, "news-classifier");
        const char *what = workshop ? "architecture=workshop" : "architecture=ngram";
        check_list(defs, n, "metric_definitions", log, what);
        check_list(defs, n, "keras_metric_definitions", log, what);
    }
    free_metrics(defs, n);
}

TEST_TIMEOUT(guide_cifar_cnn_metric_definitions_match_a_training_log, 180)
{
    struct mdef defs[64];
    size_t n = guide_metrics(CC_GUIDE, defs, 64);
    static const char *const lists[] = {"metric_definitions", "keras_metric_definitions", NULL};
    lists_known(defs, n, lists, CC_GUIDE);
    /* The shipped Fashion-MNIST sample, its eval images also as validation. */
    char *base = optml_tree_new("{\"epochs\": \"2\", \"augmentation\": \"false\", \"threads\": \"1\"}");
    const char *sample = "local_test/cifar-cnn/test_dir/input/data";
    static const char *const files[][2] = {
        {"train", "train-images-idx3-ubyte.gz"}, {"train", "train-labels-idx1-ubyte.gz"},
        {"eval", "t10k-images-idx3-ubyte.gz"},   {"eval", "t10k-labels-idx1-ubyte.gz"},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        copy_file(strf("%s/%s/%s", sample, files[i][0], files[i][1]), base,
                  strf("input/data/%s/%s", files[i][0], files[i][1]));
        if (strcmp(files[i][0], "eval") == 0)
            copy_file(strf("%s/%s/%s", sample, files[i][0], files[i][1]), base,
                      strf("input/data/validation/%s", files[i][1]));
    }
    char *log = train_log(base, "cifar-cnn");
    check_list(defs, n, "metric_definitions", log, "train/validation/eval");
    check_list(defs, n, "keras_metric_definitions", log, "train/validation/eval");
    free_metrics(defs, n);
}

TEST(guide_hyperparameter_tables_match_optml_help)
{
    check_hparams(LL_GUIDE, "linear-learner");
    check_hparams(NC_GUIDE, "news-classifier");
    check_hparams(CC_GUIDE, "cifar-cnn");
}
