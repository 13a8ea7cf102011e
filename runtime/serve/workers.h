/*
 * workers.h: the prediction worker pool.  A fixed number of threads run
 * work items from a FIFO queue.  Each item may carry a deadline: a watchdog
 * marks an item that passes it as timed out, sets its context's cancel flag
 * (which the module sees through optml_should_stop) and reports it finished
 * at once; if a worker was running it, a replacement thread is started so
 * the pool keeps its size, and the late worker retires when the module
 * returns.  Items are reference-counted: the pool holds one reference while
 * the item is queued or running, the submitter holds its own.
 */
#ifndef OPTML_WORKERS_H
#define OPTML_WORKERS_H

#include <stdint.h>

#include "core/ctx.h"

struct rt_work;
typedef void (*rt_work_fn)(struct rt_work *w);

enum rt_work_state { RT_WORK_QUEUED, RT_WORK_RUNNING, RT_WORK_DONE, RT_WORK_TIMED_OUT };

struct rt_work {
    rt_work_fn run;               /* does the work, in a worker thread */
    void (*finished)(struct rt_work *w); /* called once: after run() or on timeout;
                                            from a worker or the watchdog thread */
    void (*destroy)(struct rt_work *w);  /* frees the item when the last ref goes */
    double deadline;              /* monotonic seconds; 0 = none */
    struct optml_ctx ctx;         /* the request context given to the module */
    /* owned by the pool: */
    enum rt_work_state state;
    int refs;
    struct rt_work *next;
};

struct rt_pool;

/* Start `n` worker threads.  NULL on failure. */
struct rt_pool *rt_pool_new(int n);
/* Queue an item (takes a pool reference). */
void rt_pool_submit(struct rt_pool *p, struct rt_work *w);
/* Items queued or running right now. */
int rt_pool_busy(struct rt_pool *p);
/* Stop the threads once the queue is empty; workers stuck in a module past
 * their deadline are left detached. */
void rt_pool_free(struct rt_pool *p);

/* Reference counting of an item (thread-safe). */
void rt_work_ref(struct rt_pool *p, struct rt_work *w);
void rt_work_unref(struct rt_pool *p, struct rt_work *w);
enum rt_work_state rt_work_state(struct rt_pool *p, struct rt_work *w);

#endif
