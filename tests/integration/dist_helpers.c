/*
 * dist_helpers.c: multi-host jobs of 2-3 loopback "hosts" for the tests
 * (see dist_helpers.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dist_helpers.h"
#include "support/harness.h"
#include "train_helpers.h"

char *dist_host_tree(int i, int n, const char *hp)
{
    char *base = optml_tree_new(hp);
    const char *all[] = {"\"127.0.0.3\"", "\"127.0.0.1\"", "\"127.0.0.2\""};
    char *hosts = n == 3 ? strf("%s,%s,%s", all[0], all[1], all[2]) : strf("%s,%s", all[2], all[1]);
    write_file(base, "input/config/resourceconfig.json",
               strf("{\"current_host\":\"127.0.0.%d\",\"hosts\":[%s],\"network_interface_name\":\"lo\"}", i + 1, hosts),
               (size_t)-1);
    return base;
}

void dist_job_trees(struct dist_job *j, int n, const char *hp)
{
    memset(j, 0, sizeof(*j));
    j->n = n;
    for (int i = 0; i < n; i++) {
        j->base[i] = dist_host_tree(i, n, hp);
        j->log[i] = path_join(j->base[i], "job.log");
    }
}

void dist_job_spawn(struct dist_job *j, const char *module_path, const char *module)
{
    /* A port of this job's own: a left-over job cannot answer for it (a
     * test may run several jobs one after the other). */
    static int jobs;
    char *port = strf("OPTML_DIST_PORT=%d", 20000 + (int)((getpid() * 7 + jobs++) % 30000));
    char *alg = strf("OPTML_ALGORITHM=%s", module);
    for (int i = 0; i < j->n; i++) {
        /* Each host its own /tmp, as each container has: Open MPI keeps
         * its session directories under $TMPDIR named by the machine's
         * name, so hosts sharing one /tmp race to create and remove them
         * (orted then fails in orte_session_dir and mpirun exits 213). */
        char *tmp = path_join(j->base[i], "tmp");
        mkdirs(tmp);
        const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", j->base[i]), module_path, alg, port,
                             "OPTML_DIST_WAIT_SECONDS=40", strf("TMPDIR=%s", tmp), j->extra_env, NULL};
        const char *args[] = {"train", NULL};
        j->pid[i] = spawn_optml(args, env, j->log[i]);
    }
}

double dist_job_wait(struct dist_job *j, int timeout_s)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < j->n; i++) {
        int sig = 0;
        j->code[i] = wait_exit(j->pid[i], timeout_s, &sig);
        if (j->code[i] != 0 && getenv("OPTML_TEST_VERBOSE"))
            fprintf(stderr, "host %d:\n%s\n", i + 1, tree_file(j->base[i], "job.log"));
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

int dist_have_mpi(void)
{
    int st = 0;
    char *out = run_capture("command -v mpirun && command -v orted", &st);
    int ok = st == 0 && strstr(out, "orted") && file_exists(strf("%s/lib/optml/dist/optml-mpi.so", build_dir()));
    free(out);
    return ok;
}
