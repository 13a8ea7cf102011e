/*
 * parallel.h: the threading of the modules: one parallel-for shape
 * (fn(ctx, t, n_threads) for t in [0, n_threads)), run either on threads
 * started for the call (parallel_for) or on a team of helper threads kept
 * between calls (parallel_team_for, for work done per batch), and the one
 * knob for the threads OpenBLAS starts inside a product.  A module runs its
 * data-parallel shares with these and sets blas_set_threads(1) around them,
 * so the process never runs more busy threads than cores.
 */
#ifndef OPTML_COMMON_PARALLEL_H
#define OPTML_COMMON_PARALLEL_H

/* Run fn(ctx, t, n_threads) for t in [0, n_threads) on n_threads threads
 * (the calling thread runs t = 0) and wait for all.  n_threads <= 1 runs
 * fn(ctx, 0, 1) inline.  Returns 0, or -1 when a thread cannot be started
 * (then the missing shares are run inline on the calling thread, so the
 * work is still done).  Threads are created and joined per call (no pool);
 * above 64 threads their handles take one malloc.  Shares normally run
 * concurrently, so fn must be thread-safe on ctx (typically each share takes
 * its own slice of the data, scratch and rng state), but fn must not wait
 * for another share: after a failed thread start they run one by one. */
int parallel_for(int n_threads, void (*fn)(void *ctx, int t, int n_threads), void *ctx);

/* A team: n_threads - 1 helper threads that sleep between calls (an idle
 * team costs no CPU), plus the calling thread.  parallel_team_new returns
 * NULL when n_threads <= 1 or a thread cannot be started; every function
 * accepts a NULL team and then runs the work inline on the caller. */
struct parallel_team;
struct parallel_team *parallel_team_new(int n_threads);
/* Threads of the team, the caller included (1 for NULL). */
int parallel_team_size(const struct parallel_team *team);
/* fn(ctx, t, n) for t in [0, n), n = parallel_team_size(team): t = 0 on the
 * caller, the others on the helpers; returns when all are done.  Not
 * reentrant: one call at a time per team, from one thread. */
void parallel_team_for(struct parallel_team *team, void (*fn)(void *ctx, int t, int n_threads), void *ctx);
/* Stop and join the helpers; NULL-safe. */
void parallel_team_free(struct parallel_team *team);

/* The number of threads OpenBLAS may use inside one product (process-wide,
 * n >= 1; below 1 counts as 1).  Call blas_set_threads(1) before running
 * data-parallel shares with parallel_for, so that the shares' sgemm calls do
 * not each start more threads than there are cores. */
void blas_set_threads(int n);

#endif
