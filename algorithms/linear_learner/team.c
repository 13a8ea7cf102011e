/*
 * team.c: a helper thread that runs one posted function at a time (team.h).
 * A handoff is a mutex and a condition variable each way; the helper
 * sleeps between jobs, so an idle team costs no CPU.
 */
#include "linear_learner/team.h"

#include <string.h>

static void *helper_main(void *arg)
{
    struct ll_team *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->posted && !t->quit)
            pthread_cond_wait(&t->cv, &t->mu);
        if (t->quit)
            break;
        t->posted = 0;
        pthread_mutex_unlock(&t->mu);
        t->fn(t->arg);
        pthread_mutex_lock(&t->mu);
        t->done = 1;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int ll_team_start(struct ll_team *t)
{
    if (t->running)
        return 0;
    memset(t, 0, sizeof(*t));
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (pthread_create(&t->thread, NULL, helper_main, t) != 0) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        return -1;
    }
    t->running = 1;
    return 0;
}

void ll_team_run2(struct ll_team *t, void (*a)(void *), void *pa, void (*b)(void *), void *pb)
{
    if (!t || !t->running) {
        a(pa);
        b(pb);
        return;
    }
    pthread_mutex_lock(&t->mu);
    t->fn = b;
    t->arg = pb;
    t->done = 0;
    t->posted = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    a(pa);
    pthread_mutex_lock(&t->mu);
    while (!t->done)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
}

void ll_team_stop(struct ll_team *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->mu);
    t->quit = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    t->running = 0;
}
