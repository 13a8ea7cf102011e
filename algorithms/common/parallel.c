/*
 * parallel.c: parallel_for, the team and blas_set_threads of parallel.h, the
 * threading primitives of the modules (Hogwild-style data parallelism: each share trains on its slice
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

/* ------------------------------------------------------------------ team */

/* A call is posted by bumping `generation`; each helper runs its share once
 * per generation and counts itself done.  One mutex and two condition
 * variables: helpers wait on `go`, the caller on `all_done`. */
struct parallel_team {
    int n;                       /* threads, the caller included */
    pthread_t *threads;          /* n - 1 helpers */
    pthread_mutex_t mu;
    pthread_cond_t go, all_done;
    unsigned long generation;
    int pending, quit;
    void (*fn)(void *ctx, int t, int n_threads);
    void *ctx;
};

struct helper_arg {
    struct parallel_team *team;
    int t;
};

static void *team_helper(void *arg)
{
    struct helper_arg *h = arg;
    struct parallel_team *team = h->team;
    const int t = h->t;
    free(h);
    unsigned long seen = 0;
    pthread_mutex_lock(&team->mu);
    for (;;) {
        while (team->generation == seen && !team->quit)
            pthread_cond_wait(&team->go, &team->mu);
        if (team->quit)
            break;
        seen = team->generation;
        void (*fn)(void *, int, int) = team->fn;
        void *ctx = team->ctx;
        pthread_mutex_unlock(&team->mu);
        fn(ctx, t, team->n);
        pthread_mutex_lock(&team->mu);
        if (--team->pending == 0)
            pthread_cond_signal(&team->all_done);
    }
    pthread_mutex_unlock(&team->mu);
    return NULL;
}

static void team_stop(struct parallel_team *team, int started)
{
    pthread_mutex_lock(&team->mu);
    team->quit = 1;
    pthread_cond_broadcast(&team->go);
    pthread_mutex_unlock(&team->mu);
    for (int i = 0; i < started; i++)
        pthread_join(team->threads[i], NULL);
    pthread_mutex_destroy(&team->mu);
    pthread_cond_destroy(&team->go);
    pthread_cond_destroy(&team->all_done);
    free(team->threads);
    free(team);
}

struct parallel_team *parallel_team_new(int n_threads)
{
    if (n_threads <= 1)
        return NULL;
    struct parallel_team *team = calloc(1, sizeof(*team));
    if (!team)
        return NULL;
    team->threads = calloc((size_t)n_threads - 1, sizeof(pthread_t));
    if (!team->threads) {
        free(team);
        return NULL;
    }
    team->n = n_threads;
    pthread_mutex_init(&team->mu, NULL);
    pthread_cond_init(&team->go, NULL);
    pthread_cond_init(&team->all_done, NULL);
    for (int i = 0; i < n_threads - 1; i++) {
        struct helper_arg *h = malloc(sizeof(*h));
        if (h)
            *h = (struct helper_arg){team, i + 1};
        if (!h || pthread_create(&team->threads[i], NULL, team_helper, h) != 0) {
            free(h);
            team_stop(team, i);
            return NULL;
        }
    }
    return team;
}

int parallel_team_size(const struct parallel_team *team)
{
    return team ? team->n : 1;
}

void parallel_team_for(struct parallel_team *team, void (*fn)(void *ctx, int t, int n_threads), void *ctx)
{
    if (!team) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&team->mu);
    team->fn = fn;
    team->ctx = ctx;
    team->pending = team->n - 1;
    team->generation++;
    pthread_cond_broadcast(&team->go);
    pthread_mutex_unlock(&team->mu);
    fn(ctx, 0, team->n);
    pthread_mutex_lock(&team->mu);
    while (team->pending > 0)
        pthread_cond_wait(&team->all_done, &team->mu);
    pthread_mutex_unlock(&team->mu);
}

void parallel_team_free(struct parallel_team *team)
{
    if (team)
        team_stop(team, team->n - 1);
}

void blas_set_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}
