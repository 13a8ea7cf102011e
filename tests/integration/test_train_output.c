/*
 * test_train_output.c: `optml train` when output/ cannot be written: real
 * write failures (a file-size limit makes writes past N bytes fail with
 * EFBIG, which root cannot override; output/data that is a file).  The
 * optional outputs (metrics.jsonl, report.html) cost one WARNING each,
 * naming the file and the error, and the job goes on; the failure file
 * that cannot be written is said on stderr with the reason.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "support/harness.h"
#include "train_helpers.h"

/* `optml train` with the echo module on `base` under `ulimit -f blocks`
 * (512-byte blocks); stdout and stderr together, the exit code in *code. */
static char *train_limited(const char *base, int blocks, int *code)
{
    int status = 0;
    char *cmd = strf("ulimit -f %d && SAGEMAKER_BASE_DIR='%s' OPTML_MODULE_PATH='%s/tests/modules' "
                     "OPTML_ALGORITHM=echo exec '%s/bin/optml' train 2>&1",
                     blocks, base, build_dir(), build_dir());
    char *out = run_capture(cmd, &status);
    free(cmd);
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (!WIFEXITED(status))
        fprintf(stderr, "    killed by signal %d:\n%s\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0, out);
    return out;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Writes past 1 KiB fail: metrics.jsonl (7 KB over 20 epochs) and
 * report.html (over 10 KB) cannot be written, the model (under 200 bytes)
 * can.  Exit 0, one WARNING per file with the error, the model complete,
 * no failure file, no temp file left. */
TEST(train_output_past_a_file_size_limit_is_a_warning_per_file_and_the_model_is_written)
{
    char *base = optml_tree_new("{\"epochs\": \"20\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n", (size_t)-1);
    int code = 0;
    char *out = train_limited(base, 2, &code);
    ASSERT_EQ_INT(code, 0);
    ASSERT_EQ_INT(count(out, " WARNING "), 2);
    ASSERT_EQ_INT(count(out, "metrics.jsonl: File too large; metrics from here on are only logged"), 1);
    ASSERT(has_line_matching(out, "WARNING .*could not write the training report: cannot write "
                                  ".*/output/data/report.html: File too large"));
    ASSERT_CONTAINS(out, "Training complete");
    ASSERT_CONTAINS(out, "#quality_metric: host=algo-1"); /* the metric lines go on in the log */
    ASSERT(tree_has(base, "model/echo.model"));
    ASSERT(!tree_has(base, "output/failure"));
    ASSERT(!tree_has(base, "output/data/report.html"));
    int st = 0;
    char *ls = run_capture(strf("ls -A '%s/output/data'", base), &st);
    ASSERT_EQ_STR(ls, "metrics.jsonl\n"); /* its first kilobyte; no temp file */
    free(ls);
    free(out);

    /* The same job without the limit: the model is the same bytes. */
    char *limited = tree_file(base, "model/echo.model");
    char *base2 = optml_tree_new("{\"epochs\": \"20\"}");
    write_file(base2, "input/data/train/a.csv", "1\n2\n", (size_t)-1);
    struct run_result r = train_echo(base2, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_EQ_INT(count(r.output, " WARNING "), 0);
    char *unlimited = tree_file(base2, "model/echo.model");
    ASSERT_EQ_STR(limited, unlimited);
    free(limited);
    free(unlimited);
    free(r.output);
}

/* No file may grow at all: the model cannot be written, which fails the
 * job (the model is the product), and neither can the failure file, so
 * stderr carries both the failure line and why the file is missing. */
TEST(train_model_past_a_file_size_limit_fails_the_job_and_says_so_on_stderr)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n", (size_t)-1);
    int code = 0;
    char *out = train_limited(base, 0, &code);
    ASSERT_EQ_INT(code, 1);
    ASSERT(has_line_matching(out, "ERROR .*AlgorithmError: .*echo.model.*: File too large"));
    ASSERT(has_line_matching(out, "ERROR .*could not write the failure file: cannot write "
                                  ".*/output/failure: File too large"));
    ASSERT(!tree_has(base, "output/failure"));
    ASSERT(!tree_has(base, "model/echo.model"));
    free(out);
}

/* The failure file itself cannot be written (no file may grow at all):
 * exit 2 all the same, and stderr has the failure line and why the file is
 * missing. */
TEST(train_failure_file_that_cannot_be_written_goes_to_stderr_with_the_reason)
{
    char *base = optml_tree_new("{\"epochs\": \"zero\"}");
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    int code = 0;
    char *out = train_limited(base, 0, &code);
    ASSERT_EQ_INT(code, 2);
    ASSERT(has_line_matching(out, "ERROR .*ClientError: .*epochs"));
    ASSERT(has_line_matching(out, "ERROR .*could not write the failure file: cannot write "
                                  ".*/output/failure: File too large"));
    ASSERT(!tree_has(base, "output/failure"));
    free(out);
}

/* output/data cannot be created (a file has its name): one WARNING naming
 * it; no metrics.jsonl, no report; the job and its model are fine. */
TEST(train_output_data_that_cannot_be_created_is_one_warning)
{
    char *base = optml_tree_new("{\"epochs\": \"2\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n", (size_t)-1);
    write_file(base, "output/data", "not a directory", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_EQ_INT(count(r.output, " WARNING "), 1);
    ASSERT(has_line_matching(r.output, "WARNING .*cannot create directory .*/output/data: .*; metrics.jsonl "
                                       "and report.html will not be written"));
    ASSERT(tree_has(base, "model/echo.model"));
    ASSERT(!tree_has(base, "output/failure"));
    free(r.output);
}
