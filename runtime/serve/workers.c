/*
 * workers.c: the prediction worker pool with deadlines (see workers.h).
 * One mutex guards the queue, item states and reference counts; a watchdog
 * thread wakes every 20 ms to time out overdue items.
 */
#define _GNU_SOURCE
#include "serve/workers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

struct rt_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rt_work *head, *tail;   /* queued items */
    struct rt_work **running;      /* items being run, one slot per thread ever started */
    size_t n_running_slots;
    int target;                    /* threads the pool should have */
    int alive;                     /* threads that will take new items */
    int busy;                      /* queued + running */
    int stopping;
    pthread_t watchdog;
};

void rt_work_ref(struct rt_pool *p, struct rt_work *w)
{
    pthread_mutex_lock(&p->mu);
    w->refs++;
    pthread_mutex_unlock(&p->mu);
}

void rt_work_unref(struct rt_pool *p, struct rt_work *w)
{
    pthread_mutex_lock(&p->mu);
    int destroy = --w->refs == 0;
    pthread_mutex_unlock(&p->mu);
    if (destroy)
        w->destroy(w);
}

enum rt_work_state rt_work_state(struct rt_pool *p, struct rt_work *w)
{
    pthread_mutex_lock(&p->mu);
    enum rt_work_state s = w->state;
    pthread_mutex_unlock(&p->mu);
    return s;
}

int rt_pool_busy(struct rt_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int b = p->busy;
    pthread_mutex_unlock(&p->mu);
    return b;
}

struct worker_arg {
    struct rt_pool *pool;
    size_t slot;
};

static int start_thread(struct rt_pool *p);

/* Take the next item, run it, report it; exit when the pool shrinks or
 * stops.  A worker whose item timed out stopped counting towards the pool
 * (the watchdog started a replacement); it rejoins only if the pool is short. */
static void *worker_main(void *arg)
{
    struct worker_arg wa = *(struct worker_arg *)arg;
    free(arg);
    struct rt_pool *p = wa.pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->head)
            break; /* stopping and nothing left */
        struct rt_work *w = p->head;
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        w->state = RT_WORK_RUNNING;
        p->running[wa.slot] = w;
        pthread_mutex_unlock(&p->mu);

        w->run(w);

        pthread_mutex_lock(&p->mu);
        p->running[wa.slot] = NULL;
        p->busy--;
        int report = w->state == RT_WORK_RUNNING;
        if (report)
            w->state = RT_WORK_DONE;
        pthread_mutex_unlock(&p->mu);
        if (report)
            w->finished(w);
        rt_work_unref(p, w);
        pthread_mutex_lock(&p->mu);
        if (!report) {
            if (p->alive >= p->target || p->stopping) {
                pthread_cond_broadcast(&p->cv);
                pthread_mutex_unlock(&p->mu);
                return NULL; /* retire: the replacement does our job */
            }
            p->alive++;
        }
    }
    p->alive--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Called with the mutex held. */
static int start_thread(struct rt_pool *p)
{
    struct rt_work **grown = realloc(p->running, (p->n_running_slots + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    p->running = grown;
    struct worker_arg *wa = malloc(sizeof(*wa));
    if (!wa)
        return -1;
    wa->pool = p;
    wa->slot = p->n_running_slots;
    p->running[p->n_running_slots++] = NULL;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, worker_main, wa);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(wa);
        p->n_running_slots--;
        return -1;
    }
    p->alive++;
    return 0;
}

/* Time out overdue items; returns them in a list to report outside the lock. */
static struct rt_work *collect_overdue(struct rt_pool *p, double now)
{
    struct rt_work *out = NULL;
    /* Queued items. */
    for (struct rt_work **pp = &p->head; *pp;) {
        struct rt_work *w = *pp;
        if (w->deadline > 0 && now > w->deadline) {
            *pp = w->next;
            w->state = RT_WORK_TIMED_OUT;
            p->busy--;
            w->next = out; /* the pool's reference moves to the list */
            out = w;
        } else {
            pp = &w->next;
        }
    }
    p->tail = NULL;
    for (struct rt_work *w = p->head; w; w = w->next)
        p->tail = w;
    /* Running items: cancel, report, and replace the worker. */
    for (size_t i = 0; i < p->n_running_slots; i++) {
        struct rt_work *w = p->running[i];
        if (!w || w->state != RT_WORK_RUNNING || w->deadline <= 0 || now <= w->deadline)
            continue;
        w->state = RT_WORK_TIMED_OUT;
        __atomic_store_n(&w->ctx.cancelled, 1, __ATOMIC_RELAXED);
        w->refs++; /* for the report list; the worker keeps its own */
        w->next = out;
        out = w;
        p->alive--; /* the stuck worker no longer counts */
        if (!p->stopping && start_thread(p) != 0)
            rt_log(OPTML_LOG_ERROR, "cannot start a replacement worker thread");
    }
    return out;
}

static void *watchdog_main(void *arg)
{
    struct rt_pool *p = arg;
    for (;;) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&p->mu);
        if (p->stopping) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        struct rt_work *overdue = collect_overdue(p, rt_now());
        pthread_mutex_unlock(&p->mu);
        while (overdue) {
            struct rt_work *w = overdue;
            overdue = w->next;
            w->next = NULL;
            w->finished(w);
            rt_work_unref(p, w);
        }
    }
}

struct rt_pool *rt_pool_new(int n)
{
    struct rt_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->target = n > 0 ? n : 1;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->target; i++)
        if (start_thread(p) != 0) {
            pthread_mutex_unlock(&p->mu);
            rt_pool_free(p);
            return NULL;
        }
    pthread_mutex_unlock(&p->mu);
    if (pthread_create(&p->watchdog, NULL, watchdog_main, p) != 0) {
        rt_pool_free(p);
        return NULL;
    }
    return p;
}

void rt_pool_submit(struct rt_pool *p, struct rt_work *w)
{
    pthread_mutex_lock(&p->mu);
    w->state = RT_WORK_QUEUED;
    w->refs++;
    w->next = NULL;
    if (p->tail)
        p->tail->next = w;
    else
        p->head = w;
    p->tail = w;
    p->busy++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void rt_pool_free(struct rt_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    /* Wait for the threads that still count; stuck ones are not waited for. */
    double give_up = rt_now() + 5.0;
    while (p->alive > 0 && rt_now() < give_up) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    int clean = p->alive == 0 && p->busy == 0;
    pthread_mutex_unlock(&p->mu);
    if (p->watchdog)
        pthread_join(p->watchdog, NULL);
    if (clean) {
        free(p->running);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
    }
    /* Otherwise a thread may still touch the pool: leave it (process exit). */
}
