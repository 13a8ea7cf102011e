/*
 * test_lifecycle.c: stopping on SIGTERM, checkpoints and resume, refusing
 * mismatched checkpoints, and Pipe mode (FIFOs per epoch, a writer that
 * dies mid-record) through the real binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/datagen.h"
#include "support/harness.h"
#include "train_helpers.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t spawn_train(const char *base, const char *log_path)
{
    char *b = NULL, *m = NULL;
    if (asprintf(&b, "SAGEMAKER_BASE_DIR=%s", base) < 0 ||
        asprintf(&m, "OPTML_MODULE_PATH=%s/tests/modules", build_dir()) < 0)
        abort();
    const char *env[] = {b, m, "OPTML_ALGORITHM=echo", NULL};
    const char *args[] = {"train", NULL};
    return spawn_optml(args, env, log_path);
}

/* Wait until base/rel exists (at most `secs`). */
static int wait_for(const char *base, const char *rel, double secs)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        if (tree_has(base, rel))
            return 1;
        usleep(20000);
    }
    return 0;
}

TEST_TIMEOUT(sigterm_checkpoints_and_exits_zero_then_resumes, 90)
{
    char *base = optml_tree_new("{\"epochs\": \"4\", \"sleep_ms\": \"100\"}");
    char *ck = path_join(base, "checkpoints");
    mkdirs(ck);
    write_file(base, "input/data/train/a.csv", "1\n2\n3\n4\n5\n", (size_t)-1);
    char *log = path_join(base, "train.log");
    pid_t pid = spawn_train(base, log);
    /* Epoch 1 ends after ~0.5 s and writes checkpoint step 1. */
    ASSERT(wait_for(base, "checkpoints/echo-000000000001.ckpt", 20));
    usleep(150000);
    double t0 = now_s();
    kill(pid, SIGTERM);
    int code = wait_exit(pid, 15, NULL);
    double took = now_s() - t0;
    ASSERT_EQ_INT(code, 0);
    ASSERT(took < 10.0);
    ASSERT(!tree_has(base, "output/failure"));
    ASSERT(tree_has(base, "model/echo.model")); /* the model so far */
    char *out = read_file(log, NULL);
    ASSERT_CONTAINS(out, "Training stopped on request");
    /* The report says so, with the epoch done before the stop. */
    char *html = tree_file(base, "output/data/report.html");
    ASSERT_CONTAINS(html, "<b>Stopped on request</b>");
    ASSERT_CONTAINS(html, "<h3>records by epoch</h3>");

    /* A new run resumes from the checkpoint and finishes the 4 epochs. */
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "Resuming from checkpoint");
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "epochs=4 records=20");
    /* Only the newest three checkpoints are kept. */
    ASSERT(tree_has(base, "checkpoints/echo-000000000004.ckpt"));
    ASSERT(tree_has(base, "checkpoints/echo-000000000002.ckpt"));
    ASSERT(!tree_has(base, "checkpoints/echo-000000000001.ckpt"));
}

TEST(checkpoint_from_other_hyperparameters_is_refused)
{
    char *base = optml_tree_new("{\"epochs\": \"1\", \"feature_dim\": \"10\"}");
    char *ck = path_join(base, "checkpoints");
    mkdirs(ck);
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    ASSERT_EQ_INT(train_echo(base, NULL).exit_code, 0);
    /* Different model-shaping value: refused. */
    write_file(base, "input/config/hyperparameters.json", "{\"epochs\": \"2\", \"feature_dim\": \"11\"}", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_CONTAINS(tree_file(base, "output/failure"), "different model-shaping hyperparameters");
    /* A value that does not shape the model (epochs) resumes fine. */
    write_file(base, "input/config/hyperparameters.json", "{\"epochs\": \"2\", \"feature_dim\": \"10\"}", (size_t)-1);
    r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "epochs=2 records=2");
}

TEST(corrupt_newest_checkpoint_falls_back_to_older)
{
    char *base = optml_tree_new("{\"epochs\": \"2\"}");
    char *ck = path_join(base, "checkpoints");
    mkdirs(ck);
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    ASSERT_EQ_INT(train_echo(base, NULL).exit_code, 0);
    char *path = path_join(base, "checkpoints/echo-000000000002.ckpt");
    size_t n;
    char *data = read_file(path, &n);
    data[n - 1] ^= 1; /* damage the payload */
    write_file(base, "checkpoints/echo-000000000002.ckpt", data, n);
    write_file(base, "input/config/hyperparameters.json", "{\"epochs\": \"3\"}", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "Skipping checkpoint");
    ASSERT_CONTAINS(r.output, "step 1");
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "epochs=3 records=3");
}

TEST(checkpointconfig_local_path_is_used_as_given)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    char *elsewhere = tmpdir_new();
    char *ckdir = path_join(elsewhere, "ck/nested");
    char cfg[512];
    snprintf(cfg, sizeof(cfg), "{\"LocalPath\": \"%s\", \"S3Uri\": \"s3://bucket/x\"}", ckdir);
    write_file(base, "input/config/checkpointconfig.json", cfg, (size_t)-1);
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    ASSERT_EQ_INT(train_echo(base, NULL).exit_code, 0);
    ASSERT(tree_has(ckdir, "echo-000000000001.ckpt"));
}


static void write_pipe_config(const char *base, const char *content_type, int wrapped)
{
    char cfg[256];
    snprintf(cfg, sizeof(cfg),
             "{\"train\": {\"ContentType\": \"%s\", \"TrainingInputMode\": \"Pipe\", \"RecordWrapperType\": \"%s\"}}",
             content_type, wrapped ? "RecordIO" : "None");
    write_file(base, "input/config/inputdataconfig.json", cfg, (size_t)-1);
}

TEST(pipe_mode_reads_one_fifo_per_epoch)
{
    char *base = optml_tree_new("{\"epochs\": \"2\"}");
    write_pipe_config(base, "text/csv", 0);
    pid_t w0 = fifo_feed(base, "train_0", "a\nb\nc\n", 6, 0);
    pid_t w1 = fifo_feed(base, "train_1", "a\nb\nc\n", 6, 0);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "pipe input mode");
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "epochs=2 records=6");
    ASSERT_EQ_INT(wait_exit(w0, 5, NULL), 0);
    ASSERT_EQ_INT(wait_exit(w1, 5, NULL), 0);
}

TEST(pipe_mode_unwraps_recordio_wrapped_objects)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_pipe_config(base, "text/csv", 1);
    /* Two S3 objects, each wrapped in one RecordIO record; the first has no
     * final newline, so a line must not run into the next object. */
    size_t n1, n2, total = 0;
    unsigned char *o1 = recordio_encode("1,2\n3,4", 7, &n1);
    unsigned char *o2 = recordio_encode("5,6\n", 4, &n2);
    unsigned char *all = buf_append(NULL, &total, o1, n1);
    all = buf_append(all, &total, o2, n2);
    pid_t w = fifo_feed(base, "train_0", all, total, 0);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "records=3 bytes=9");
    wait_exit(w, 5, NULL);
}

TEST(pipe_writer_dying_mid_record_is_a_client_error)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_pipe_config(base, "application/x-recordio-protobuf", 0);
    size_t n;
    unsigned char *rec = recordio_encode("0123456789abcdef", 16, &n);
    pid_t w = fifo_feed(base, "train_0", rec, n - 6, 0); /* dies mid-payload */
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *failure = tree_file(base, "output/failure");
    ASSERT_CONTAINS(failure, "ClientError: ");
    ASSERT_CONTAINS(failure, "truncated");
    ASSERT_CONTAINS(failure, "train_0");
    wait_exit(w, 5, NULL);
}

TEST(sigterm_while_waiting_for_a_fifo_exits_zero)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_pipe_config(base, "text/csv", 0);
    char *log = path_join(base, "train.log");
    pid_t pid = spawn_train(base, log);
    usleep(500000); /* now polling for train_0, which never comes */
    kill(pid, SIGTERM);
    ASSERT_EQ_INT(wait_exit(pid, 10, NULL), 0);
    ASSERT(!tree_has(base, "output/failure"));
}

/* A writer that stops mid-stream without closing: a wait line at least
 * every 10 s while nothing comes, and SIGTERM during the wait still ends
 * the job cleanly (exit 0). */
TEST_TIMEOUT(pipe_stalled_mid_stream_logs_a_wait_line_and_sigterm_stops, 40)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_pipe_config(base, "text/csv", 0);
    pid_t w = fifo_feed(base, "train_0", "a\nb\n", 4, 1); /* then pauses, FIFO open */
    char *log = path_join(base, "train.log");
    pid_t pid = spawn_train(base, log);
    char *text = NULL;
    int seen = 0;
    for (int i = 0; i < 250 && !seen; i++) { /* up to 25 s */
        usleep(100000);
        free(text);
        text = read_file(log, NULL);
        seen = text && has_line_matching(text, "FIFO 'train_0': no data for 1[0-9] s after 4 bytes; still waiting");
    }
    if (!seen)
        test_fail(__FILE__, __LINE__, "no wait line after 25 s:\n%s", text ? text : "");
    kill(pid, SIGTERM);
    ASSERT_EQ_INT(wait_exit(pid, 10, NULL), 0);
    ASSERT(!tree_has(base, "output/failure"));
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    free(text);
}

TEST(progress_lines_appear_during_long_epochs)
{
    char *base = optml_tree_new("{\"epochs\": \"2\", \"sleep_ms\": \"150\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n3\n4\n5\n6\n7\n8\n", (size_t)-1);
    const char *env[] = {"OPTML_PROGRESS_SECONDS=0.5", NULL};
    struct run_result r = train_echo(base, env);
    ASSERT_EQ_INT(r.exit_code, 0);
    /* Percent of the epoch (file size known), rate, elapsed and ETA. */
    ASSERT(has_line_matching(r.output, "INFO [0-9]+\\] Epoch [12]/2: [0-9.]+% of epoch, [0-9]+ records, "
                                       "[0-9.]+ records/s, elapsed 00:00:0[0-9], ETA 00:00:0[0-9]$"));
    /* Each epoch line carries the job's elapsed time and ETA (the epochs
     * left at this epoch's pace: 8 x 150 ms). */
    ASSERT(has_line_matching(r.output, "Epoch 1/2: 8 records in 1\\.[0-9]+ s, elapsed 00:00:0[0-9], ETA 00:00:01$"));
    ASSERT(has_line_matching(r.output, "Epoch 2/2: 8 records in [0-9.]+ s, elapsed 00:00:0[0-9], ETA 00:00:00$"));
}

/* Epochs far shorter than the progress interval: no progress line, but
 * every epoch line has the job's ETA. */
TEST(epoch_lines_carry_the_job_eta_when_epochs_are_short)
{
    char *base = optml_tree_new("{\"epochs\": \"3\", \"sleep_ms\": \"100\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n3\n4\n5\n6\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(!has_line_matching(r.output, "% of epoch, "));
    ASSERT(has_line_matching(r.output, "Epoch 1/3: 6 records in 0\\.[0-9]+ s, elapsed 00:00:0[01], ETA 00:00:01$"));
    ASSERT(has_line_matching(r.output, "Epoch 3/3: 6 records in 0\\.[0-9]+ s, elapsed 00:00:0[0-9], ETA 00:00:00$"));
}

/* A checkpoint whose name's step does not fit in 64 bits is not one of
 * ours: it is neither taken as the newest (its step would wrap around to a
 * large value) nor loaded; the real newest one is. */
TEST(checkpoint_name_beyond_64_bits_is_not_the_newest)
{
    char *base = optml_tree_new("{\"epochs\": \"2\"}");
    mkdirs(path_join(base, "checkpoints"));
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    ASSERT_EQ_INT(train_echo(base, NULL).exit_code, 0);
    size_t n;
    char *one = read_file(path_join(base, "checkpoints/echo-000000000001.ckpt"), &n);
    ASSERT(one != NULL);
    /* 2^64 + 1: wraps to step 1 in 64 bits; 99999999999999999999 wraps to
     * 7766279631452241919, which would sort first. */
    write_file(base, "checkpoints/echo-18446744073709551617.ckpt", one, n);
    write_file(base, "checkpoints/echo-99999999999999999999.ckpt", one, n);
    write_file(base, "input/config/hyperparameters.json", "{\"epochs\": \"3\"}", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "Resuming from checkpoint");
    ASSERT_CONTAINS(r.output, "echo-000000000002.ckpt (step 2)");
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "epochs=3 records=3");
}

/* A run killed between writing a temp file and renaming it leaves
 * ".<name>.tmp.<pid>" behind; the next run removes them from model/,
 * checkpoints/ and output/data/ before it writes, whatever their pid (in a
 * container every run is PID 1), and leaves other dot files alone. */
TEST(temp_files_of_a_killed_run_are_removed_at_start)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    mkdirs(path_join(base, "checkpoints"));
    mkdirs(path_join(base, "model"));
    write_file(base, "input/data/train/a.csv", "1\n", (size_t)-1);
    write_file(base, "model/.echo.model.tmp.1", "half", (size_t)-1);
    write_file(base, "model/.model.json.tmp.4242", "half", (size_t)-1);
    write_file(base, "checkpoints/.echo-000000000007.ckpt.tmp.1", "half", (size_t)-1);
    write_file(base, "model/.keep", "mine", (size_t)-1);
    write_file(base, "model/.notes.tmp.txt", "mine", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(!tree_has(base, "model/.echo.model.tmp.1"));
    ASSERT(!tree_has(base, "model/.model.json.tmp.4242"));
    ASSERT(!tree_has(base, "checkpoints/.echo-000000000007.ckpt.tmp.1"));
    ASSERT(tree_has(base, "model/.keep"));
    ASSERT(tree_has(base, "model/.notes.tmp.txt"));
    ASSERT_CONTAINS(r.output, "Removed 2 temporary files left in");
    ASSERT_CONTAINS(r.output, "Removed 1 temporary file left in");
    ASSERT(tree_has(base, "model/echo.model"));
}

/* output/ full: metrics.jsonl cannot be written (here it is /dev/full).
 * Training still succeeds (the metric lines are in the log, where
 * SageMaker's regexes read them), and the failure is said once. */
TEST(metrics_file_on_a_full_disk_is_a_warning_said_once)
{
    char *base = optml_tree_new("{\"epochs\": \"3\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n", (size_t)-1);
    mkdirs(path_join(base, "output/data"));
    ASSERT_EQ_INT(symlink("/dev/full", path_join(base, "output/data/metrics.jsonl")), 0);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 0);
    const char *w = strstr(r.output, "metrics.jsonl: No space left on device; metrics from here on are only logged");
    ASSERT(w != NULL);
    ASSERT(strstr(w + 1, "metrics.jsonl: No space left on device") == NULL);
    ASSERT_CONTAINS(r.output, "#quality_metric: host=algo-1");
    ASSERT(tree_has(base, "model/echo.model"));
}
