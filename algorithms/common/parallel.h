/*
 * parallel.h: the threading of the modules: one parallel-for, and the one
 * knob for the threads OpenBLAS starts inside a product.  A module runs its
 * data-parallel shares with parallel_for and sets blas_set_threads(1)
 * around them, so the process never runs more busy threads than cores.
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

/* The number of threads OpenBLAS may use inside one product (process-wide,
 * n >= 1; below 1 counts as 1).  Call blas_set_threads(1) before running
 * data-parallel shares with parallel_for, so that the shares' sgemm calls do
 * not each start more threads than there are cores. */
void blas_set_threads(int n);

#endif
