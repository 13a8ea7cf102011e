/*
 * test_linear_learner_train.c: `optml train` with the linear-learner module
 * on small synthetic data: ClientErrors that name the file and line,
 * RecordIO-protobuf (dense and sparse) training, Pipe mode (one FIFO per
 * epoch, no cache), the File-mode cache (scratch directory, fallback when it
 * cannot be written), checkpoints and resume, a SIGTERM stop that
 * saves the model, and seed determinism.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/harness.h"
#include "codec/protobuf_record.h"
#include "train_helpers.h"

/* Defined in test_linear_learner.c. */
int ll_missing(void);
struct run_result ll_train_run(const char *base, const char *const *extra);
double ll_value_after(const char *text, const char *key);

static double unit_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* n rows "label,x1..xD" of a linear rule (binary) as CSV text. */
static char *rule_csv(size_t n, size_t D, uint64_t seed)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t i = 0; i < n; i++) {
        double x[16], z = 0.2;
        for (size_t j = 0; j < D; j++) {
            x[j] = unit_rand(&seed) * 4 - 2;
            z += (j % 2 ? -0.7 : 1.0) * x[j];
        }
        fprintf(f, "%d", z > 0);
        for (size_t j = 0; j < D; j++)
            fprintf(f, ",%.4f", x[j]);
        fputc('\n', f);
    }
    fclose(f);
    return out;
}

#define HP_EPOCHS_SEED(e, s)                                                   \
    strf("{\"predictor_type\": \"binary_classifier\", \"mini_batch_size\": \"30\", \"epochs\": \"%d\", " \
         "\"early_stopping_patience\": \"10\", \"seed\": \"%d\"}", (e), (s))

static struct run_result train_ok(const char *base, const char *const *extra)
{
    struct run_result r = ll_train_run(base, extra);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "train failed (%d):\n%s", r.exit_code, r.output);
    return r;
}

/* Train must fail with a ClientError whose text contains every needle. */
static void fails_with_(int line, const char *base, const char *const *needles)
{
    struct run_result r = ll_train_run(base, NULL);
    char *failure = tree_file(base, "output/failure");
    if (r.exit_code != 2 || strncmp(failure, "ClientError: ", 13) != 0)
        test_fail(__FILE__, line, "exit %d, failure '%s'\n%s", r.exit_code, failure, r.output);
    for (size_t i = 0; needles[i]; i++)
        if (!strstr(failure, needles[i]))
            test_fail(__FILE__, line, "failure '%s' lacks '%s'", failure, needles[i]);
    free(r.output);
}
#define FAILS_WITH(base, ...) fails_with_(__LINE__, base, (const char *const[]){__VA_ARGS__, NULL})

TEST(ll_train_client_errors_name_file_and_line)
{
    if (ll_missing())
        return;
    char *good = rule_csv(20, 3, 1);
    char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base, "input/data/train/a.csv", good, (size_t)-1);
    write_file(base, "input/data/train/b.csv", "1,0.5,0.5,0.5\n0,0.1,abc,0.3\n", (size_t)-1);
    FAILS_WITH(base, "Unable to parse csv", "file b.csv, line 2", "field 3");

    /* Deep in the second file, several 256 KB chunks in, after blank and
     * CRLF lines: the line number counts every line of that file. */
    char *many = rule_csv(30000, 3, 7);
    size_t ml = strlen(many), cut = 0;
    for (int k = 0; k < 20000; k++)
        cut = (size_t)(strchr(many + cut, '\n') - many) + 1;
    char *b2 = strf("\r\n\n%.*s1,2,3,x4\n%s", (int)cut, many, many + cut);
    base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base, "input/data/train/a.csv", many, ml);
    write_file(base, "input/data/train/b.csv", b2, (size_t)-1);
    FAILS_WITH(base, "Unable to parse csv", "file b.csv, line 20003:", "field 4: 'x4'");
    free(b2);
    free(many);

    base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base, "input/data/train/a.csv", good, (size_t)-1);
    write_file(base, "input/data/validation/v.csv", "1,0.5,0.5,0.5\n0,0.1,0.3\n", (size_t)-1);
    FAILS_WITH(base, "validation", "file v.csv, line 2", "2 features, expected 3");

    base = optml_tree_new("{\"predictor_type\": \"binary_classifier\", \"feature_dim\": \"4\"}");
    write_file(base, "input/data/train/a.csv", good, (size_t)-1);
    FAILS_WITH(base, "file a.csv, line 1", "3 features, expected 4");

    base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base, "input/data/train/a.csv", "1,1,2\n2,1,2\n", (size_t)-1);
    FAILS_WITH(base, "label 2 is not 0 or 1", "line 2");

    base = optml_tree_new("{\"predictor_type\": \"multiclass_classifier\"}");
    write_file(base, "input/data/train/a.csv", good, (size_t)-1);
    FAILS_WITH(base, "num_classes");

    base = optml_tree_new("{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"3\"}");
    write_file(base, "input/data/train/a.csv", "0,1\n2.5,1\n", (size_t)-1);
    FAILS_WITH(base, "label 2.5", "line 2");

    base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base, "input/data/train/a.csv", "\n\n", (size_t)-1);
    FAILS_WITH(base, "no data rows");

    base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base, "input/config/inputdataconfig.json",
               "{\"train\": {\"ContentType\": \"application/x-recordio-protobuf\"}}", (size_t)-1);
    unsigned char junk[] = {0x0a, 0x23, 0xd7, 0xce, 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    write_file(base, "input/data/train/r.pbr", junk, sizeof(junk));
    FAILS_WITH(base, "Unable to parse recordio-protobuf", "file r.pbr, record 1");
    free(good);
}

/* RecordIO-protobuf training data of the rule: dense or sparse rows. */
static void write_pb(const char *base, const char *rel, size_t n, size_t D, int sparse, uint64_t seed)
{
    struct pb_out out = {0};
    for (size_t i = 0; i < n; i++) {
        float x[16];
        uint64_t keys[16];
        float vals[16];
        size_t nnz = 0;
        double z = 0.2;
        for (size_t j = 0; j < D; j++) {
            x[j] = sparse && unit_rand(&seed) < 0.5 ? 0.0f : (float)(unit_rand(&seed) * 4 - 2);
            z += (j % 2 ? -0.7 : 1.0) * x[j];
            if (x[j] != 0.0f) {
                keys[nnz] = j;
                vals[nnz++] = x[j];
            }
        }
        int rc = sparse ? pb_write_sparse_example(&out, keys, vals, nnz, D, z > 0 ? 1.0f : 0.0f)
                        : pb_write_example(&out, x, D, z > 0 ? 1.0f : 0.0f);
        ASSERT(rc == 0);
    }
    write_file(base, rel, out.data, out.len);
    pb_out_free(&out);
}

TEST(ll_train_recordio_protobuf_dense_and_sparse)
{
    if (ll_missing())
        return;
    for (int sparse = 0; sparse < 2; sparse++) {
        char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\", \"mini_batch_size\": \"50\", "
                                    "\"epochs\": \"8\"}");
        write_file(base, "input/config/inputdataconfig.json",
                   "{\"train\": {\"ContentType\": \"application/x-recordio-protobuf\"}, "
                   "\"test\": {\"ContentType\": \"application/x-recordio-protobuf\"}}", (size_t)-1);
        write_pb(base, "input/data/train/part-0", 2000, 8, sparse, 5);
        write_pb(base, "input/data/test/part-0", 500, 8, sparse, 6);
        struct run_result r = train_ok(base, NULL);
        double acc = ll_value_after(r.output, "test binary_classification_accuracy <score>=");
        if (!(acc > 0.95))
            test_fail(__FILE__, __LINE__, "sparse=%d: test accuracy %g\n%s", sparse, acc, r.output);
        ASSERT(tree_has(base, "model/model_algo-1.optml") && tree_has(base, "model/model.json"));
        ASSERT(has_line_matching(r.output, "Test data is not provided") == 0);
        free(r.output);
    }
}

/* The "Final configuration" line is logged after ll_resolve: autos show
 * what they became (constants of the table and those that depend on other
 * keys), and those decided by the data later still read "auto". */
TEST(ll_train_final_configuration_shows_resolved_autos)
{
    if (ll_missing())
        return;
    char *csv = rule_csv(200, 3, 11);
    char *base = optml_tree_new("{\"predictor_type\": \"regressor\", \"epochs\": \"1\", \"optimizer\": \"sgd\", "
                                "\"learning_rate\": \"auto\", \"use_bias\": \"False\", \"huber_delta\": \"2.50\"}");
    write_file(base, "input/data/train/t.csv", csv, (size_t)-1);
    struct run_result r = train_ok(base, NULL);
    static const char *const shown[] = {
        "\"beta_2\":\"0.999\"", "\"feature_dim\":\"auto\"", "\"huber_delta\":\"2.5\"",
        "\"learning_rate\":\"0.01\"", "\"loss\":\"squared_loss\"", "\"momentum\":\"0.9\"",
        "\"normalize_label\":\"true\"", "\"num_models\":\"8\"", "\"optimizer\":\"sgd\"",
        "\"unbias_data\":\"auto\"", "\"unbias_label\":\"false\"", "\"use_bias\":\"false\"",
        "\"wd\":\"auto\"",
    };
    const char *line = strstr(r.output, "Final configuration: {");
    ASSERT(line != NULL);
    char *end = strchr(line, '\n');
    ASSERT(end != NULL);
    *end = 0;
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
        if (!strstr(line, shown[i]))
            test_fail(__FILE__, __LINE__, "%s lacks %s", line, shown[i]);
    ASSERT(!strstr(line, "num_classes")); /* not set at all */
    free(r.output);
    free(csv);
}

/* Pipe mode streams: each epoch reads its own FIFO (train_0, train_1,
 * train_2; validation_0..2 for the epochs and validation_3 for the final
 * metrics), nothing more is opened (the job would wait for it), and no
 * cache is written (a scratch directory that cannot exist draws no
 * warning). */
TEST(ll_train_pipe_mode_reads_one_fifo_per_epoch_and_no_cache)
{
    if (ll_missing())
        return;
    char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\", \"mini_batch_size\": \"20\", "
                                "\"epochs\": \"3\", \"early_stopping_patience\": \"10\"}");
    write_file(base, "input/config/inputdataconfig.json",
               "{\"train\": {\"ContentType\": \"text/csv\", \"TrainingInputMode\": \"Pipe\"}, "
               "\"validation\": {\"ContentType\": \"text/csv\", \"TrainingInputMode\": \"Pipe\"}}", (size_t)-1);
    char *csv = rule_csv(400, 4, 9), *val = rule_csv(100, 4, 10);
    pid_t w[7];
    for (int e = 0; e < 3; e++)
        w[e] = fifo_feed(base, strf("train_%d", e), csv, strlen(csv), 0);
    for (int e = 0; e < 4; e++)
        w[3 + e] = fifo_feed(base, strf("validation_%d", e), val, strlen(val), 0);
    char *nowhere = path_join(base, "no/such/dir");
    const char *env[] = {strf("OPTML_SCRATCH_DIR=%s", nowhere), strf("TMPDIR=%s", nowhere), NULL};
    struct run_result r = train_ok(base, env);
    for (int i = 0; i < 7; i++) /* every writer was read to its end */
        ASSERT_EQ_INT(wait_exit(w[i], 5, NULL), 0);
    for (int e = 1; e <= 3; e++)
        ASSERT(has_line_matching(r.output, strf("Epoch %d/3: 400 records", e)));
    ASSERT(has_line_matching(r.output, "Validation channel: 100 rows"));
    ASSERT(has_line_matching(r.output, "epoch=2, validation binary_classification_cross_entropy_objective"));
    ASSERT(ll_value_after(r.output, "validation binary_classification_accuracy <score>=") > 0.9);
    ASSERT(!strstr(r.output, "data cache"));
    ASSERT(!file_exists(nowhere));
    free(csv);
    free(val);
    free(r.output);
}

/* File mode, when the cache cannot be written (here a file size limit the
 * job inherits: a real EFBIG on the cache's writes): one warning, the job
 * goes on re-reading the files, and the model is the one a cached run
 * makes. */
TEST(ll_train_cache_write_failure_falls_back_to_rereading)
{
    if (ll_missing())
        return;
    char *csv = rule_csv(30000, 10, 5); /* a 1.4 MB cache */
    char *a = optml_tree_new(HP_EPOCHS_SEED(3, 11)), *b = optml_tree_new(HP_EPOCHS_SEED(3, 11));
    write_file(a, "input/data/train/t.csv", csv, (size_t)-1);
    write_file(b, "input/data/train/t.csv", csv, (size_t)-1);
    struct run_result ra = train_ok(a, NULL);
    ASSERT(!strstr(ra.output, "data cache"));
    struct rlimit lim = {1 << 20, 1 << 20}; /* past 1 MB, writes fail */
    signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
    struct run_result rb = train_ok(b, NULL);
    const char *warn = strstr(rb.output, "WARNING");
    if (!warn || !strstr(warn, "channel train: cannot write the data cache in the scratch directory") ||
        !strstr(warn, "falling back to re-reading the files each epoch"))
        test_fail(__FILE__, __LINE__, "no fallback warning:\n%s", rb.output);
    ASSERT(!strstr(strstr(warn, "falling back") + 1, "falling back")); /* said once */
    ASSERT(has_line_matching(rb.output, "Epoch 3/3: [0-9]+ records"));
    size_t la, lb;
    char *ma = read_file(path_join(a, "model/model_algo-1.optml"), &la);
    char *mb = read_file(path_join(b, "model/model_algo-1.optml"), &lb);
    ASSERT(ma && mb && la == lb && memcmp(ma, mb, la) == 0);
    /* The same train metrics too (held-out rows skipped on the re-read). */
    ASSERT(ll_value_after(ra.output, "train binary_classification_accuracy <score>=") ==
           ll_value_after(rb.output, "train binary_classification_accuracy <score>="));
    free(ma);
    free(mb);
    free(csv);
}

/* The scratch directory is never inside what SageMaker uploads. */
TEST(ll_train_scratch_dir_inside_model_is_a_client_error)
{
    if (ll_missing())
        return;
    char *base = optml_tree_new(HP_EPOCHS_SEED(2, 1));
    char *csv = rule_csv(100, 3, 2);
    write_file(base, "input/data/train/t.csv", csv, (size_t)-1);
    const char *env[] = {strf("OPTML_SCRATCH_DIR=%s/model/tmp", base), NULL};
    struct run_result r = ll_train_run(base, env);
    char *failure = tree_file(base, "output/failure");
    if (r.exit_code != 2 || strncmp(failure, "ClientError: ", 13) != 0 || !strstr(failure, "OPTML_SCRATCH_DIR") ||
        !strstr(failure, "inside model/"))
        test_fail(__FILE__, __LINE__, "exit %d, failure '%s'\n%s", r.exit_code, failure, r.output);
    free(r.output);
    free(csv);
}

/* OPTML_SCRATCH_DIR wins over TMPDIR: the cache goes there (one that cannot
 * be created is named in the warning, and the job still trains). */
TEST(ll_train_scratch_dir_setting_is_honoured)
{
    if (ll_missing())
        return;
    char *base = optml_tree_new(HP_EPOCHS_SEED(2, 1));
    char *csv = rule_csv(200, 3, 2);
    write_file(base, "input/data/train/t.csv", csv, (size_t)-1);
    char *tmp = tmpdir_new(), *missing = path_join(tmp, "missing");
    const char *env[] = {strf("OPTML_SCRATCH_DIR=%s", missing), strf("TMPDIR=%s", tmp), NULL};
    struct run_result r = train_ok(base, env);
    ASSERT(has_line_matching(r.output, strf("WARNING .*channel train: cannot create the data cache in the scratch "
                                            "directory %s \\(No such file or directory\\); falling back", missing)));
    ASSERT(has_line_matching(r.output, "Epoch 2/2: [0-9]+ records"));
    free(r.output);
    free(csv);
}

TEST(ll_train_checkpoints_resume_and_seed_determinism)
{
    if (ll_missing())
        return;
    char *csv = rule_csv(300, 5, 3);
    char *a = optml_tree_new(HP_EPOCHS_SEED(4, 7)), *b = optml_tree_new(HP_EPOCHS_SEED(4, 7));
    write_file(a, "input/data/train/t.csv", csv, (size_t)-1);
    write_file(b, "input/data/train/t.csv", csv, (size_t)-1);
    free(train_ok(a, NULL).output);
    free(train_ok(b, NULL).output);
    size_t la, lb;
    char *ma = read_file(path_join(a, "model/model_algo-1.optml"), &la);
    char *mb = read_file(path_join(b, "model/model_algo-1.optml"), &lb);
    ASSERT(ma && mb && la == lb && memcmp(ma, mb, la) == 0);

    /* Two epochs with checkpoints, then resume to four: the same model as
     * four epochs in one go. */
    char *c = optml_tree_new(HP_EPOCHS_SEED(2, 7));
    write_file(c, "input/data/train/t.csv", csv, (size_t)-1);
    mkdirs(path_join(c, "checkpoints"));
    free(train_ok(c, NULL).output);
    ASSERT(tree_has(c, "checkpoints/linear-learner-000000000002.ckpt"));
    write_file(c, "input/config/hyperparameters.json", HP_EPOCHS_SEED(4, 7), (size_t)-1);
    struct run_result r = train_ok(c, NULL);
    ASSERT(has_line_matching(r.output, "Resuming from the checkpoint after epoch 2"));
    ASSERT(!has_line_matching(r.output, "epoch=1, train"));
    ASSERT(has_line_matching(r.output, "epoch=3, train"));
    size_t lc;
    char *mc = read_file(path_join(c, "model/model_algo-1.optml"), &lc);
    ASSERT(mc && lc == la && memcmp(mc, ma, la) == 0);
    /* A checkpoint of another shape is refused. */
    write_file(c, "input/config/hyperparameters.json",
               "{\"predictor_type\": \"binary_classifier\", \"feature_dim\": \"5\", \"epochs\": \"6\"}", (size_t)-1);
    r = ll_train_run(c, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    free(r.output);
    free(ma);
    free(mb);
    free(mc);
    free(csv);
}

TEST_TIMEOUT(ll_train_sigterm_saves_checkpoint_and_model, 40)
{
    if (ll_missing())
        return;
    char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\", \"mini_batch_size\": \"10\", "
                                "\"num_point_for_scaler\": \"20\", \"epochs\": \"3\"}");
    write_file(base, "input/config/inputdataconfig.json",
               "{\"train\": {\"ContentType\": \"text/csv\", \"TrainingInputMode\": \"Pipe\"}}", (size_t)-1);
    mkdirs(path_join(base, "checkpoints"));
    /* More rows than the shuffle buffer holds (2048), then the writer
     * waits: training blocks on the pipe with the scaler fitted. */
    char *csv = rule_csv(3000, 3, 4);
    pid_t w = fifo_feed(base, "train_0", csv, strlen(csv), 1);
    char *log = path_join(base, "train.log");
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), "OPTML_ALGORITHM=linear-learner",
                         NULL};
    const char *args[] = {"train", NULL};
    pid_t pid = spawn_optml(args, env, log);
    /* Wait for the rows to be consumed (the log shows the scaler). */
    for (int i = 0; i < 200; i++) {
        char *t = read_file(log, NULL);
        int ready = t && strstr(t, "Scaler fitted");
        free(t);
        if (ready)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGTERM);
    int sig = 0;
    int code = wait_exit(pid, 20, &sig);
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    char *text = read_file(log, NULL);
    if (code != 0)
        test_fail(__FILE__, __LINE__, "exit %d (signal %d)\n%s", code, sig, text ? text : "");
    ASSERT_CONTAINS(text, "Stop requested during epoch 1/"); /* human lines count epochs from 1 */
    if (!(tree_has(base, "model/model_algo-1.optml") && tree_has(base, "model/model.json")))
        test_fail(__FILE__, __LINE__, "no model after the stop:\n%s", text);
    ASSERT(tree_has(base, "checkpoints/linear-learner-000000000000.ckpt"));
    ASSERT(!tree_has(base, "output/failure"));
    free(text);
    free(csv);
}

/* Where the cause is guessable the ClientError names the fix, after the
 * file, line and field. */
TEST(ll_train_client_errors_name_the_fix)
{
    if (ll_missing())
        return;
    char *good = rule_csv(20, 3, 1);
    struct { const char *data, *needles[4]; } cases[] = {
        {"label,x1,x2,x3\n", {"file a.csv, line 1: field 1: 'label' is not a number; "
                              "the first row looks like a header; remove it", NULL}},
        {"1;0.5;0.25;2\n", {"line 1: field 1: '1;0.5;0.25;2' is not a number; "
                            "the values are separated by ';', not commas; write them comma-separated", NULL}},
        {"1\t0.5\t0.25\t2\n", {"the values are separated by TABs, not commas", NULL}},
        {"{\"label\": 1, \"features\": [1, 2, 3]}\n", {"the line looks like JSON, not CSV (linear-learner trains on "
                                                      "text/csv or application/x-recordio-protobuf)", NULL}},
        /* the label in the last column: the first value is no label, the last is */
        {"0.5,0.25,2,1\n", {"Invalid label in channel train, file a.csv, line 1: label 0.5 is not 0 or 1 "
                            "(binary_classifier); the last value, 1, would be a valid label: is the label in "
                            "the last column? linear-learner reads it from the first", NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
        write_file(base, "input/data/train/a.csv", strf("%s%s", cases[i].data, good), (size_t)-1);
        fails_with_(__LINE__, base, cases[i].needles);
    }
    /* The label hint also once the dimension is known (rows parsed
     * straight into the chunk's buffer): line 21, after 20 good rows. */
    char *base0 = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base0, "input/data/train/a.csv", strf("%s0.5,0.25,2,0\n", good), (size_t)-1);
    FAILS_WITH(base0, "file a.csv, line 21: label 0.5 is not 0 or 1 (binary_classifier); the last value, 0, would "
                      "be a valid label: is the label in the last column?");
    /* A name-like row after line 1 is not called a header. */
    char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\"}");
    write_file(base, "input/data/train/a.csv", strf("%slabel,x1,x2,x3\n", good), (size_t)-1);
    struct run_result r = ll_train_run(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT(!strstr(tree_file(base, "output/failure"), "header"));
    ASSERT_CONTAINS(tree_file(base, "output/failure"), "line 21: field 1: 'label' is not a number");
    free(good);
}

/* Classes present in the train channel: one class is a ClientError (the
 * model could only ever answer it); num_classes above the classes present
 * trains, with a warning naming the missing classes. */
TEST(ll_train_checks_the_classes_present)
{
    if (ll_missing())
        return;
    char *one = NULL, *three = NULL, *shifted = NULL;
    size_t l1 = 0, l3 = 0, ls = 0;
    FILE *f1 = open_memstream(&one, &l1), *f3 = open_memstream(&three, &l3), *fs = open_memstream(&shifted, &ls);
    for (int i = 0; i < 90; i++) {
        double a = (i * 37 % 101) / 50.0 - 1, b = (i * 53 % 97) / 48.0 - 1;
        fprintf(f1, "0,%.3f,%.3f\n", a, b);
        fprintf(f3, "%d,%.3f,%.3f\n", i % 3, a + i % 3, b);
        fprintf(fs, "%d,%.3f,%.3f\n", 1 + i % 3, a + i % 3, b);
    }
    fclose(f1);
    fclose(f3);
    fclose(fs);
    char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\", \"epochs\": \"2\"}");
    write_file(base, "input/data/train/a.csv", one, l1);
    FAILS_WITH(base, "The train channel has rows of one class only (every label is 0): a binary_classifier "
                     "needs rows of at least two classes, 0 and 1");
    base = optml_tree_new("{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"4\", \"epochs\": \"2\"}");
    write_file(base, "input/data/train/a.csv", one, l1);
    FAILS_WITH(base, "rows of one class only (every label is 0): a multiclass_classifier needs rows of at least "
                     "two classes");
    /* Split over two files, the classes still count over the whole channel. */
    base = optml_tree_new("{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"5\", \"epochs\": \"2\"}");
    write_file(base, "input/data/train/b.csv", strchr(three + l3 / 2, '\n') + 1, (size_t)-1);
    write_file(base, "input/data/train/a.csv", three, (size_t)(strchr(three + l3 / 2, '\n') + 1 - three));
    struct run_result r = train_ok(base, NULL);
    ASSERT(has_line_matching(r.output, " WARNING [0-9]+\\] num_classes is 5 but the train channel has no rows of "
                                       "classes 3, 4: the model will not learn to predict them$"));
    free(r.output);
    base = optml_tree_new("{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"4\", \"epochs\": \"2\"}");
    write_file(base, "input/data/train/a.csv", shifted, ls);
    r = train_ok(base, NULL);
    ASSERT(has_line_matching(r.output, "no rows of class 0: the model will not learn to predict it \\(labels are "
                                       "0-based: 0 to num_classes - 1\\)$"));
    free(r.output);
    /* Every class present: no warning. */
    base = optml_tree_new("{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"3\", \"epochs\": \"2\"}");
    write_file(base, "input/data/train/a.csv", three, l3);
    r = train_ok(base, NULL);
    ASSERT(!has_line_matching(r.output, "no rows of class"));
    free(r.output);
    free(one);
    free(three);
    free(shifted);
}

/* Log lines print float hyperparameters as given (0.06, not 0.0599999987)
 * and number epochs from 1 in human lines, while the built-in's epoch=
 * fields stay 0-based for its CloudWatch regexes. */
TEST(ll_train_logs_floats_as_given_and_epochs_from_one)
{
    if (ll_missing())
        return;
    char *csv = rule_csv(300, 3, 5);
    char *base = optml_tree_new("{\"predictor_type\": \"binary_classifier\", \"epochs\": \"2\", \"num_models\": \"1\", "
                                "\"learning_rate\": \"0.06\", \"wd\": \"0.003\", \"lr_scheduler_factor\": \"0.97\"}");
    write_file(base, "input/data/train/a.csv", csv, (size_t)-1);
    const char *env[] = {"OPTML_LOG_LEVEL=debug", NULL};
    struct run_result r = train_ok(base, env);
    ASSERT(has_line_matching(r.output, "Final configuration: .*\"learning_rate\":\"0.06\""));
    ASSERT(has_line_matching(r.output, "Best model found for hyperparameters: \\{\"optimizer\": \"adam\", "
                                       "\"learning_rate\": 0.06, \"l1\": 0, \"wd\": 0.003, \"lr_scheduler_step\": "
                                       "[0-9]+, \"lr_scheduler_factor\": 0.97, "));
    ASSERT(has_line_matching(r.output, "model 0: learning_rate=0.06 wd=0.003 l1=0$"));
    ASSERT(!has_line_matching(r.output, "0\\.0599999"));
    ASSERT(has_line_matching(r.output, "Epoch 1/2: held-out sample \\([0-9]+ rows\\) "));
    ASSERT(has_line_matching(r.output, "Epoch 2/2: held-out sample"));
    ASSERT(!has_line_matching(r.output, "Epoch 0"));
    ASSERT(has_line_matching(r.output, "#quality_metric: host=algo-1, epoch=0, train "));
    ASSERT(has_line_matching(r.output, "#quality_metric: host=algo-1, epoch=1, train "));
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "0.06");
    free(r.output);
    free(csv);
}
