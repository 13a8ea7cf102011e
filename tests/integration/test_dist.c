/*
 * test_dist.c: multi-host training on this machine, without Docker: two or
 * three "hosts" whose names are IP literals on the loopback interface
 * (127.0.0.1, 127.0.0.2, 127.0.0.3; resourceconfig.json's
 * network_interface_name "lo"), each an `optml train` with its own /opt/ml
 * tree, run with the test module `allreduce`.  Also what a single-host job
 * does without MPI, and the refusal of a module that cannot run on more
 * than one host.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/harness.h"
#include "dist_helpers.h"
#include "train_helpers.h"

/* Start every host's `optml train` with a test module. */
static void job_start(struct dist_job *j, int n, const char *hp, const char *module)
{
    dist_job_trees(j, n, hp);
    dist_job_spawn(j, strf("OPTML_MODULE_PATH=%s/tests/modules", build_dir()), module);
}

TEST(dist_optml_does_not_link_libmpi)
{
    int st = 0;
    char *needed = run_capture(strf("readelf -d %s/bin/optml 2>&1", build_dir()), &st);
    ASSERT_EQ_INT(st, 0);
    ASSERT_CONTAINS(needed, "NEEDED");
    ASSERT(!strstr(needed, "libmpi"));
    ASSERT(!strstr(needed, "open-rte") && !strstr(needed, "open-pal"));
    free(needed);
}

TEST(dist_single_host_runs_without_the_mpi_plugin)
{
    char *base = optml_tree_new("{\"steps\": \"2\", \"length\": \"10\"}");
    char *mods = strf("%s/tests/modules", build_dir());
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), strf("OPTML_MODULE_PATH=%s", mods),
                         "OPTML_ALGORITHM=allreduce", "OPTML_DIST_LIB=/nonexistent/optml-mpi.so", NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 60);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(tree_file(base, "output/data/allreduce-0.txt"),
                    "rank 0 size 1 host algo-1 steps 2 sum_bad 0 max_bad 0 bcast_bad 0 stopped 0");
    ASSERT(tree_has(base, "model/model.bin"));
}

TEST(dist_module_without_multi_host_is_a_client_error)
{
    char *base = dist_host_tree(0, 2, "{}");
    write_file(base, "input/data/train/a.csv", "1,2\n", (size_t)-1);
    struct run_result r = train_echo(base, NULL);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *failure = tree_file(base, "output/failure");
    ASSERT_CONTAINS(failure, "ClientError: ");
    ASSERT_CONTAINS(failure, "module echo does not support multi-host training");
}

TEST_TIMEOUT(dist_three_hosts_allreduce_and_only_rank_0_writes_the_model, 120)
{
    ASSERT(dist_have_mpi()); /* .ci/deps.sh installs openmpi-bin libopenmpi-dev */
    struct dist_job j;
    job_start(&j, 3, "{\"steps\": \"4\", \"length\": \"100000\"}", "allreduce");
    dist_job_wait(&j, 90);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ_INT(j.code[i], 0);
        ASSERT(!tree_has(j.base[i], "output/failure"));
        char *want = strf("rank %d size 3 host 127.0.0.%d steps 4 sum_bad 0 max_bad 0 bcast_bad 0 stopped 0", i, i + 1);
        ASSERT_CONTAINS(tree_file(j.base[i], strf("output/data/allreduce-%d.txt", i)), want);
        ASSERT_EQ_INT(tree_has(j.base[i], "model/model.bin"), i == 0);
    }
    ASSERT_CONTAINS(tree_file(j.base[0], "job.log"), "--mca btl tcp,self");
    ASSERT_CONTAINS(tree_file(j.base[1], "job.log"), "Started orted for the job led by 127.0.0.1");
}

TEST_TIMEOUT(dist_a_rank_that_dies_fails_every_host_naming_it, 120)
{
    ASSERT(dist_have_mpi()); /* .ci/deps.sh installs openmpi-bin libopenmpi-dev */
    struct dist_job j;
    job_start(&j, 3, "{\"steps\": \"1000\", \"sleep_ms\": \"50\", \"die_rank\": \"1\"}", "allreduce");
    double secs = dist_job_wait(&j, 90);
    ASSERT(secs < 60); /* generous: the target is 30 s from the death */
    for (int i = 0; i < 3; i++) {
        ASSERT(j.code[i] != 0);
        char *failure = tree_file(j.base[i], "output/failure");
        ASSERT_CONTAINS(failure, "AlgorithmError: host 127.0.0.2 failed");
        ASSERT(!tree_has(j.base[i], "model/model.bin"));
    }
}

TEST_TIMEOUT(dist_a_rank_client_error_keeps_its_message_others_name_the_host, 120)
{
    ASSERT(dist_have_mpi()); /* .ci/deps.sh installs openmpi-bin libopenmpi-dev */
    struct dist_job j;
    job_start(&j, 2, "{\"steps\": \"1000\", \"sleep_ms\": \"50\", \"fail_rank\": \"1\"}", "allreduce");
    dist_job_wait(&j, 90);
    ASSERT_EQ_INT(j.code[1], 2);
    ASSERT_CONTAINS(tree_file(j.base[1], "output/failure"), "ClientError: rank 1 fails on purpose");
    ASSERT_EQ_INT(j.code[0], 1);
    ASSERT_CONTAINS(tree_file(j.base[0], "output/failure"), "AlgorithmError: host 127.0.0.2 failed");
}

TEST_TIMEOUT(dist_sigterm_to_every_host_stops_all_at_one_step_and_exits_0, 120)
{
    ASSERT(dist_have_mpi()); /* .ci/deps.sh installs openmpi-bin libopenmpi-dev */
    struct dist_job j;
    job_start(&j, 3, "{\"steps\": \"100000\", \"sleep_ms\": \"20\"}", "allreduce");
    /* Until every rank has done a step (bounded: 60 s). */
    for (int t = 0; t < 600 && !strstr(tree_file(j.base[0], "job.log"), "rank 2: step 1 done"); t++)
        usleep(100 * 1000);
    for (int i = 0; i < 3; i++)
        kill(j.pid[i], SIGTERM);
    dist_job_wait(&j, 60);
    char *first = NULL;
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ_INT(j.code[i], 0);
        ASSERT(!tree_has(j.base[i], "output/failure"));
        char *res = tree_file(j.base[i], strf("output/data/allreduce-%d.txt", i));
        ASSERT_CONTAINS(res, "stopped 1");
        char *steps = strstr(res, " steps ");
        ASSERT(steps != NULL);
        *strchr(steps + 7, ' ') = 0;
        if (!first)
            first = steps;
        ASSERT_EQ_STR(steps, first); /* every rank stopped after the same step */
    }
    ASSERT(tree_has(j.base[0], "model/model.bin"));
}
