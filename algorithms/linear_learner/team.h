/*
 * team.h: one helper thread for running two independent pieces of work at
 * once (see team.c): the training step runs its two groups of models on
 * the two cores with it.
 */
#ifndef OPTML_LL_TEAM_H
#define OPTML_LL_TEAM_H

#include <pthread.h>

struct ll_team {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*fn)(void *);
    void *arg;
    int posted, done, quit, running;
};

/* Start the helper thread.  0, or -1 when it cannot be started (then
 * ll_team_run2 runs both on the caller). */
int ll_team_start(struct ll_team *t);
/* a(pa) on the caller and b(pb) on the helper, returning when both are
 * done; both on the caller, one after the other, without a helper. */
void ll_team_run2(struct ll_team *t, void (*a)(void *), void *pa, void (*b)(void *), void *pb);
/* Stop and join the helper (no-op when not started). */
void ll_team_stop(struct ll_team *t);

#endif
