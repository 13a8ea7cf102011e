/*
 * test_linear_learner_dist.c: the linear learner on three "hosts" of the
 * loopback interface (dist_helpers.h) against the same data on one host:
 * FullyReplicated (every host holds every file and takes a share of the
 * rows) and ShardedByS3Key (each host holds a third of the files).  The
 * held-out quality (the test channel's metric, reported by rank 0) must
 * stay within sampling noise of the one-host job's; every host exits 0 and
 * only the first host has model/ and the training report.  SIGTERM to
 * every host: all stop, rank 0 alone keeps a checkpoint, and a restart of
 * every host resumes from it.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "dist_helpers.h"
#include "support/harness.h"
#include "train_helpers.h"

#define FEATURES 8
#define TRAIN_FILES 3

static uint64_t rng_state;

static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Roughly normal (sum of 12 uniforms). */
static double normal(void)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += uniform();
    return s - 6.0;
}

/* `rows` CSV rows, label first: a regressor's label is a linear function of
 * the features (offsets and scales differ per feature, for the scaler)
 * plus noise of standard deviation 0.5; a binary label is 1 when that
 * value, with noise, is above its centre. */
static char *make_rows(int rows, int binary)
{
    static const double w[FEATURES] = {1.5, -2.0, 0.7, 0.0, 3.0, -0.4, 1.1, 0.25};
    static const double scale[FEATURES] = {1, 10, 0.1, 5, 2, 100, 1, 3};
    static const double offset[FEATURES] = {0, 50, -3, 1, 7, 400, 0, -2};
    size_t cap = (size_t)rows * 16 * (FEATURES + 1) + 1, len = 0;
    char *out = malloc(cap);
    for (int i = 0; i < rows; i++) {
        double x[FEATURES], y = 3.0;
        for (int j = 0; j < FEATURES; j++) {
            double u = uniform() * 2 - 1;
            x[j] = u * scale[j] + offset[j];
            y += w[j] * u;
        }
        double label = binary ? (y + 0.8 * normal() > 3.0) : y + 0.5 * normal();
        len += (size_t)snprintf(out + len, cap - len, binary ? "%.0f" : "%.5f", label);
        for (int j = 0; j < FEATURES; j++)
            len += (size_t)snprintf(out + len, cap - len, ",%.6g", x[j]);
        len += (size_t)snprintf(out + len, cap - len, "\n");
    }
    return out;
}

struct data {
    char *train[TRAIN_FILES];
    char *validation, *test;
};

static void make_data(struct data *d, int binary, int with_validation)
{
    rng_state = binary ? 0x5eed : 0xfeed;
    for (int f = 0; f < TRAIN_FILES; f++)
        d->train[f] = make_rows(2000, binary);
    d->validation = with_validation ? make_rows(1000, binary) : NULL;
    d->test = make_rows(2000, binary);
}

static void free_data(struct data *d)
{
    for (int f = 0; f < TRAIN_FILES; f++)
        free(d->train[f]);
    free(d->validation);
    free(d->test);
}

/* One tree's data: every train file, or with `only` >= 0 that one alone
 * (a ShardedByS3Key host's share). */
static void write_data(const char *base, const struct data *d, int only, int sharded)
{
    for (int f = 0; f < TRAIN_FILES; f++)
        if (only < 0 || only == f)
            write_file(base, strf("input/data/train/part-%d.csv", f), d->train[f], (size_t)-1);
    if (d->validation)
        write_file(base, "input/data/validation/v.csv", d->validation, (size_t)-1);
    write_file(base, "input/data/test/t.csv", d->test, (size_t)-1);
#define CHANNEL "{\"ContentType\": \"text/csv\", \"TrainingInputMode\": \"File\", \"S3DistributionType\": \"%s\"}"
    char *train = strf(CHANNEL, sharded ? "ShardedByS3Key" : "FullyReplicated");
    char *full = strf(CHANNEL, "FullyReplicated");
    write_file(base, "input/config/inputdataconfig.json",
               d->validation ? strf("{\"train\": %s, \"validation\": %s, \"test\": %s}", train, full, full)
                             : strf("{\"train\": %s, \"test\": %s}", train, full),
               (size_t)-1);
}

/* The value of `#quality_metric: ..., test <name> <kind>=V` in a log, NAN
 * when absent. */
static double test_metric(const char *log, const char *name)
{
    const char *p = strstr(log, strf(", test %s <", name));
    if (!p)
        return NAN;
    p = strchr(p, '=');
    return p ? strtod(p + 1, NULL) : NAN;
}

/* Train on one host (n = 1) or three; returns the test metric reported by
 * the first host after checking every host's outcome. */
static double train_hosts(const struct data *d, int n, int sharded, const char *hp, const char *metric)
{
    if (n == 1) {
        char *base = optml_tree_new(hp);
        write_data(base, d, -1, 0);
        const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), "OPTML_ALGORITHM=linear-learner",
                             NULL};
        const char *args[] = {"train", NULL};
        struct run_result r = run_optml(args, env, 120);
        if (r.exit_code != 0)
            fprintf(stderr, "%s\n", r.output);
        ASSERT_EQ_INT(r.exit_code, 0);
        ASSERT(tree_has(base, "model/model_algo-1.optml"));
        return test_metric(r.output, metric);
    }
    struct dist_job j;
    dist_job_trees(&j, n, hp);
    for (int i = 0; i < n; i++)
        write_data(j.base[i], d, sharded ? i : -1, sharded);
    dist_job_spawn(&j, module_path_env(), "linear-learner");
    dist_job_wait(&j, 150);
    for (int i = 0; i < n; i++) {
        if (j.code[i] != 0)
            fprintf(stderr, "host %d:\n%s\n", i + 1, tree_file(j.base[i], "job.log"));
        ASSERT_EQ_INT(j.code[i], 0);
        ASSERT(!tree_has(j.base[i], "output/failure"));
        ASSERT_EQ_INT(tree_has(j.base[i], "model/model_algo-1.optml"), i == 0);
        ASSERT_EQ_INT(tree_has(j.base[i], "model/model.json"), i == 0);
        ASSERT_EQ_INT(tree_has(j.base[i], "output/data/report.html"), i == 0);
    }
    char *log = tree_file(j.base[0], "job.log");
    /* The final metrics are reported once, by rank 0, over every host's rows. */
    ASSERT_CONTAINS(log, strf("#quality_metric: host=127.0.0.1, test %s <", metric));
    ASSERT(!strstr(log, strf("host=127.0.0.2, test %s", metric)));
    /* The scaler's statistics are those of every host's rows (all the
     * train rows but those held out, when they are). */
    ASSERT(has_line_matching(log, d->validation ? "Scaler fitted on 6000 rows \\(of every host\\)"
                                                : "Scaler fitted on 5[0-9]{3} rows \\(of every host\\)"));
    return test_metric(log, metric);
}

TEST_TIMEOUT(ll_dist_regressor_three_hosts_replicated_and_sharded_match_one_host, 400)
{
    ASSERT(dist_have_mpi()); /* .ci/deps.sh installs openmpi-bin libopenmpi-dev */
    struct data d;
    make_data(&d, 0, 1);
    const char *hp = "{\"predictor_type\": \"regressor\", \"feature_dim\": \"8\", \"mini_batch_size\": \"100\", "
                     "\"epochs\": \"6\", \"num_models\": \"4\", \"num_point_for_scaler\": \"10000\"}";
    double one = train_hosts(&d, 1, 0, hp, "mse");
    double replicated = train_hosts(&d, 3, 0, hp, "mse");
    double sharded = train_hosts(&d, 3, 1, hp, "mse");
    fprintf(stderr, "test mse: 1 host %.5f, 3 hosts FullyReplicated %.5f, 3 hosts ShardedByS3Key %.5f\n", one,
            replicated, sharded);
    /* The noise's variance is 0.25: a fitted model is near it. */
    ASSERT(one > 0.2 && one < 0.3);
    ASSERT(fabs(replicated - one) < 0.05 * one);
    ASSERT(fabs(sharded - one) < 0.05 * one);
    free_data(&d);
}

TEST_TIMEOUT(ll_dist_binary_held_out_sample_three_hosts_match_one_host, 300)
{
    ASSERT(dist_have_mpi()); /* .ci/deps.sh installs openmpi-bin libopenmpi-dev */
    struct data d;
    make_data(&d, 1, 0); /* no validation channel: rows held out of train */
    const char *hp = "{\"predictor_type\": \"binary_classifier\", \"mini_batch_size\": \"100\", "
                     "\"epochs\": \"5\", \"num_models\": \"4\"}";
    double one = train_hosts(&d, 1, 0, hp, "binary_classification_accuracy");
    double replicated = train_hosts(&d, 3, 0, hp, "binary_classification_accuracy");
    fprintf(stderr, "test accuracy: 1 host %.4f, 3 hosts FullyReplicated %.4f\n", one, replicated);
    ASSERT(one > 0.8);
    ASSERT(fabs(replicated - one) < 0.02);
    free_data(&d);
}

/* The checkpoint files of a tree (names in checkpoints/, joined), "" when
 * none. */
static char *checkpoints(const char *base)
{
    int st = 0;
    char *out = run_capture(strf("ls %s/checkpoints 2>/dev/null", base), &st);
    return out ? out : strf("%s", "");
}

TEST_TIMEOUT(ll_dist_sigterm_to_every_host_saves_rank_0_checkpoint_and_a_restart_resumes, 300)
{
    ASSERT(dist_have_mpi()); /* .ci/deps.sh installs openmpi-bin libopenmpi-dev */
    struct data d;
    make_data(&d, 0, 1);
    /* Epochs without end (small batches, no early stopping): the job runs
     * until it is stopped. */
    const char *hp = "{\"predictor_type\": \"regressor\", \"feature_dim\": \"8\", \"mini_batch_size\": \"10\", "
                     "\"epochs\": \"1000000\", \"num_models\": \"4\", \"early_stopping_patience\": \"1000000\"}";
    struct dist_job j;
    dist_job_trees(&j, 3, hp);
    for (int i = 0; i < 3; i++) {
        write_data(j.base[i], &d, -1, 0);
        mkdirs(path_join(j.base[i], "checkpoints"));
    }
    dist_job_spawn(&j, module_path_env(), "linear-learner");
    /* Until rank 0 reported epoch 3 (bounded: 60 s). */
    for (int t = 0; t < 600 && !strstr(tree_file(j.base[0], "job.log"), "epoch=2, train"); t++)
        usleep(100 * 1000);
    ASSERT_CONTAINS(tree_file(j.base[0], "job.log"), "epoch=2, train");
    for (int i = 0; i < 3; i++)
        kill(j.pid[i], SIGTERM);
    double secs = dist_job_wait(&j, 60);
    ASSERT(secs < 30); /* generous: the target is 10 s */
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ_INT(j.code[i], 0);
        ASSERT(!tree_has(j.base[i], "output/failure"));
        ASSERT_EQ_INT(tree_has(j.base[i], "model/model_algo-1.optml"), i == 0);
        char *ck = checkpoints(j.base[i]);
        if (i == 0)
            ASSERT_CONTAINS(ck, "linear-learner-");
        else
            ASSERT_EQ_STR(ck, ""); /* rank 0's checkpoint only */
        free(ck);
    }
    ASSERT_CONTAINS(tree_file(j.base[0], "job.log"), "Stop requested during epoch");
    /* The restart, two epochs more: every host resumes from rank 0's. */
    char *ck = checkpoints(j.base[0]);
    char *num = ck, *next;
    while ((next = strstr(num, "linear-learner-")) != NULL) /* the newest, listed last */
        num = next + strlen("linear-learner-");
    long done = strtol(num, NULL, 10);
    if (done < 2)
        test_fail(__FILE__, __LINE__, "checkpoints: %s", ck);
    free(ck);
    for (int i = 0; i < 3; i++) {
        write_file(j.base[i], "input/config/hyperparameters.json",
                   strf("{\"predictor_type\": \"regressor\", \"feature_dim\": \"8\", \"mini_batch_size\": \"10\", "
                        "\"epochs\": \"%ld\", \"num_models\": \"4\", \"early_stopping_patience\": \"1000000\"}",
                        done + 2),
                   (size_t)-1);
        j.log[i] = path_join(j.base[i], "job2.log");
    }
    dist_job_spawn(&j, module_path_env(), "linear-learner");
    dist_job_wait(&j, 120);
    char *log = tree_file(j.base[0], "job2.log");
    for (int i = 0; i < 3; i++) {
        if (j.code[i] != 0)
            fprintf(stderr, "host %d:\n%s\n", i + 1, tree_file(j.base[i], "job2.log"));
        ASSERT_EQ_INT(j.code[i], 0);
    }
    /* Every rank's output reaches the leader's log: three resumptions. */
    char *want = strf("Resuming from the checkpoint after epoch %ld", done);
    int resumed = 0;
    for (const char *p = log; (p = strstr(p, want)) != NULL; p++)
        resumed++;
    if (resumed != 3)
        test_fail(__FILE__, __LINE__, "%d resumptions, not 3:\n%s", resumed, log);
    ASSERT_CONTAINS(log, strf("epoch=%ld, train", done + 1));
    ASSERT(!strstr(log, strf("epoch=%ld, train", done - 1)));
    ASSERT(tree_has(j.base[0], "model/model_algo-1.optml"));
    free_data(&d);
}
