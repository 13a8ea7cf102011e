/*
 * dist.h: multi-host training.  A job over more than one host runs as one
 * supervisor per host (the process SageMaker started, launch.c) and one
 * rank per host under Open MPI's mpirun (dist.c: the optml_dist_* functions
 * of the module interface, through the MPI plugin loaded only there).
 */
#ifndef OPTML_DIST_H
#define OPTML_DIST_H

#include "config/config.h"
#include "core/paths.h"
#include "optml/algorithm.h"

/* Nonzero in a process mpirun started as a rank (OPTML_DIST_RANK_CHILD=1). */
int rt_dist_is_rank(void);

#define RT_DIST_TIMEOUT_DEFAULT 300 /* seconds */
#define RT_DIST_TIMEOUT_MAX 86400

/* OPTML_DIST_TIMEOUT: the seconds a collective may make no progress before
 * the job fails naming the host that stopped answering (default 300, from
 * 1 to 86400); anything else is a ClientError. */
optml_status rt_dist_timeout(optml_ctx *ctx, double *seconds);

/* In a rank: load the MPI plugin, join the job, check that this rank sits
 * on current_host (rank i on the i-th host in sorted order) and record the
 * rank's pid for the supervisor.  Errors are AlgorithmErrors. */
optml_status rt_dist_rank_start(optml_ctx *ctx, const struct rt_resource_config *rc);
/* In a rank: the bytes at buf become rank 0's (a broadcast from rank 0;
 * the context's share_from_leader, which checkpoint loads use). */
optml_status rt_dist_share_from_leader(optml_ctx *ctx, void *buf, size_t bytes);
/* In a rank: nonzero once a collective failed or timed out (the error is
 * in the context); the job then fails whatever train() returns, since
 * optml_dist_should_stop() answers 1 after such a failure and the module
 * ends as on a stop. */
int rt_dist_failed(void);
/* In a rank, after train(): leave the job cleanly when `s` is a success or
 * a stop.  After a failure the rank exits without it, which makes mpirun
 * end every other rank at once. */
void rt_dist_rank_end(optml_status s);

/* The supervisor (launch.c): leader or follower by sorted host order.
 * Returns the process exit code (0 success or stop, 1 AlgorithmError, 2
 * ClientError) after writing output/failure when the job failed. */
int rt_dist_supervise(optml_ctx *ctx, const struct rt_resource_config *rc, const struct rt_paths *paths);

/* `optml dist-launch HOST ARGS...`: mpirun's remote-shell agent (agent.c);
 * returns the exit code. */
int rt_dist_agent_main(int argc, char **argv);

/* Hosts sorted by strcmp, the order ranks are numbered in (malloc'd array
 * of borrowed strings). */
const char **rt_dist_sorted_hosts(const struct rt_resource_config *rc);

#endif
