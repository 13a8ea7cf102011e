/*
 * stop.c: SIGTERM/SIGINT set a flag that modules poll through
 * optml_should_stop(); as PID 1, SIGCHLD reaps any child or orphan; SIGPIPE
 * and SIGXFSZ are ignored (the failing write reports the error).
 */
#define _GNU_SOURCE
#include "core/stop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/ctx.h"

static volatile sig_atomic_t stop_flag;

/* Atomic accesses (lock-free, so async-signal-safe): modules read the flag
 * from their own threads too (the linear learner's reader thread). */
static void on_stop(int sig)
{
    (void)sig;
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

static void on_child(int sig)
{
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

void rt_stop_install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: blocking FIFO calls see EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* As PID 1 (in a container) we inherit orphans: reap them.  Elsewhere
     * leave SIGCHLD alone so a module's own waitpid() keeps working. */
    if (getpid() == 1) {
        sa.sa_handler = on_child;
        sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
        sigaction(SIGCHLD, &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    /* Past a file-size limit (RLIMIT_FSIZE) a write fails with EFBIG, which
     * is reported, instead of killing the process without a word. */
    signal(SIGXFSZ, SIG_IGN);
}

int rt_stop_requested(void) { return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED) != 0; }
void rt_stop_set(int value) { __atomic_store_n(&stop_flag, value ? 1 : 0, __ATOMIC_RELAXED); }

/* Training: the process-wide flag.  Serving: the request's own deadline;
 * SIGTERM does not cancel requests in flight, the server drains them. */
int optml_should_stop(const optml_ctx *ctx)
{
    if (ctx && !ctx->job)
        return __atomic_load_n(&ctx->cancelled, __ATOMIC_RELAXED) != 0;
    return rt_stop_requested();
}
