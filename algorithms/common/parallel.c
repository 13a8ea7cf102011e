/*
 * parallel.c: parallel_for and blas_set_threads of parallel.h, the threading
 * primitives of the modules (Hogwild-style data parallelism: each share trains on its slice
 * and adds into shared parameters).  Threads are created per call and
 * joined before return; there is no pool and no state between calls.  The
 * thread handles live on the stack up to NN_STACK_THREADS, above that in
 * one malloc (the only allocation here).
 */
#include "common/parallel.h"

#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>

#define NN_STACK_THREADS 64

struct share {
    void (*fn)(void *ctx, int t, int n_threads);
    void *ctx;
    int t, n;
    pthread_t th;
    int started;
};

static void *run_share(void *arg)
{
    struct share *s = arg;
    s->fn(s->ctx, s->t, s->n);
    return NULL;
}

int parallel_for(int n_threads, void (*fn)(void *ctx, int t, int n_threads), void *ctx)
{
    if (n_threads <= 1) {
        fn(ctx, 0, 1);
        return 0;
    }
    struct share local[NN_STACK_THREADS];
    struct share *sh = local;
    int rc = 0;
    if (n_threads > NN_STACK_THREADS && !(sh = malloc((size_t)n_threads * sizeof(*sh)))) {
        /* No room for the handles: every share runs inline. */
        for (int t = 0; t < n_threads; t++)
            fn(ctx, t, n_threads);
        return -1;
    }
    for (int t = 1; t < n_threads; t++) {
        sh[t] = (struct share){ .fn = fn, .ctx = ctx, .t = t, .n = n_threads };
        sh[t].started = pthread_create(&sh[t].th, NULL, run_share, &sh[t]) == 0;
        if (!sh[t].started)
            rc = -1;
    }
    fn(ctx, 0, n_threads);
    for (int t = 1; t < n_threads; t++) {
        if (sh[t].started)
            pthread_join(sh[t].th, NULL);
        else
            fn(ctx, t, n_threads);
    }
    if (sh != local)
        free(sh);
    return rc;
}

void blas_set_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}
