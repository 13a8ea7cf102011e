/*
 * dist_helpers.h: multi-host training jobs on this machine, without
 * Docker: two or three "hosts" named 127.0.0.1, 127.0.0.2, 127.0.0.3 on
 * the loopback interface (resourceconfig.json's network_interface_name
 * "lo"), each an `optml train` with its own /opt/ml tree and its own
 * TMPDIR (as each container has its own /tmp: Open MPI's session
 * directories under a shared one race).
 */
#ifndef OPTML_TEST_DIST_HELPERS_H
#define OPTML_TEST_DIST_HELPERS_H

#include <sys/types.h>

#define MAX_TEST_HOSTS 3

struct dist_job {
    int n;
    char *base[MAX_TEST_HOSTS];
    char *log[MAX_TEST_HOSTS];
    pid_t pid[MAX_TEST_HOSTS];
    int code[MAX_TEST_HOSTS];
    const char *extra_env; /* one more NAME=value for every host, or NULL */
};

/* A tree for host i of n (127.0.0.<i+1>), its resourceconfig.json listing
 * the n hosts (out of order: the runtime sorts them). */
char *dist_host_tree(int i, int n, const char *hp);

/* The trees of n hosts, each with hyperparameters `hp`; the caller may add
 * data before dist_job_spawn. */
void dist_job_trees(struct dist_job *j, int n, const char *hp);
/* Start every host's `optml train` with module `module`, found under
 * `module_path` (an OPTML_MODULE_PATH=... entry). */
void dist_job_spawn(struct dist_job *j, const char *module_path, const char *module);
/* Wait for every host; returns the seconds the slowest took.  With
 * OPTML_TEST_VERBOSE set, the log of a host that failed is printed. */
double dist_job_wait(struct dist_job *j, int timeout_s);

/* Whether mpirun, orted and the MPI plugin are there. */
int dist_have_mpi(void);

#endif
