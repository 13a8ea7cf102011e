/*
 * mpi_ops.c: the MPI plugin, optml-mpi.so: the only code that calls MPI.
 * Errors return (MPI_ERRORS_RETURN) instead of aborting, so the runtime
 * reports them; lengths beyond INT_MAX are done in pieces.
 *
 * Every collective is non-blocking (MPI_Iallreduce, MPI_Ibcast,
 * MPI_Ibarrier) and polled against a deadline: a host that stops (frozen,
 * `docker pause`) does not hang the others forever.  Polling spins (MPI_Test
 * yields the CPU: mpi_yield_when_idle) for the first 10 ms, then sleeps
 * between tests, from 20 us doubling up to 1 ms, so a rank that waits long
 * does not keep a core busy.  On a timeout the rank asks every other rank, on a duplicate
 * of the world communicator, whether it is alive ("ping"); a rank answers
 * while it waits in any collective.  The ranks heard from within a grace
 * period are alive; the others are the silent ones (silent()).
 */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dist/mpi_ops.h"

#define TAG_PING 1
#define TAG_PONG 2
#define SPIN_SECONDS 0.010
#define MAX_GRACE_SECONDS 5.0

static struct {
    int rank, size;
    double timeout;
    MPI_Comm probe; /* the pings, apart from the collectives */
    int *silent;    /* the silent ranks after the last timeout */
    int n_silent;
    int ping_in;    /* receive buffer for pings */
} st;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

static int fail(int rc, const char *what, char *err, size_t errlen)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, text, &len);
    snprintf(err, errlen, "%s failed: %s", what, text);
    return RT_MPI_FAILED;
}

/* Answer every ping that has arrived; `heard`, when given, marks who sent
 * one (that rank is alive). */
static void answer_pings(char *heard)
{
    for (int k = 0; k < st.size; k++) {
        int flag = 0;
        MPI_Status s;
        if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_PING, st.probe, &flag, &s) != MPI_SUCCESS || !flag)
            return;
        int seq = 0;
        if (MPI_Recv(&seq, 1, MPI_INT, s.MPI_SOURCE, TAG_PING, st.probe, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return;
        if (heard)
            heard[s.MPI_SOURCE] = 1;
        MPI_Request r;
        static const int alive = 1;
        if (MPI_Isend(&alive, 1, MPI_INT, s.MPI_SOURCE, TAG_PONG, st.probe, &r) == MPI_SUCCESS)
            MPI_Request_free(&r);
    }
}

/* After a timeout: ping every other rank and listen for a grace period
 * (the timeout, at most 5 s) for answers or pings of their own. */
static void find_silent(void)
{
    st.n_silent = 0;
    char *heard = calloc((size_t)st.size, 1);
    int *pong = calloc((size_t)st.size, sizeof(int));
    MPI_Request *rq = calloc((size_t)st.size, sizeof(MPI_Request));
    if (!heard || !pong || !rq || !st.silent)
        goto out;
    static const int ping = 1;
    for (int r = 0; r < st.size; r++) {
        rq[r] = MPI_REQUEST_NULL;
        if (r == st.rank)
            continue;
        MPI_Request s;
        if (MPI_Isend(&ping, 1, MPI_INT, r, TAG_PING, st.probe, &s) == MPI_SUCCESS)
            MPI_Request_free(&s);
        MPI_Irecv(&pong[r], 1, MPI_INT, r, TAG_PONG, st.probe, &rq[r]);
    }
    heard[st.rank] = 1;
    double grace = st.timeout < MAX_GRACE_SECONDS ? st.timeout : MAX_GRACE_SECONDS;
    double end = now() + grace;
    for (;;) {
        answer_pings(heard);
        int all = 1;
        for (int r = 0; r < st.size; r++) {
            if (rq[r] != MPI_REQUEST_NULL) {
                int done = 0;
                if (MPI_Test(&rq[r], &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && done)
                    heard[r] = 1;
            }
            all &= heard[r];
        }
        if (all || now() > end)
            break;
        nap(1000000L);
    }
    /* The unanswered receives are left posted: the job ends now. */
    for (int r = 0; r < st.size; r++)
        if (!heard[r])
            st.silent[st.n_silent++] = r;
out:
    free(heard);
    free(pong);
    free(rq);
}

/* Wait for a request, answering pings, until done or the timeout. */
static int wait_for(MPI_Request *req, const char *what, char *err, size_t errlen)
{
    double t0 = now(), deadline = t0 + st.timeout;
    long sleep_ns = 20000;
    for (;;) {
        int done = 0;
        int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return fail(rc, what, err, errlen);
        if (done)
            return 0;
        double t = now();
        if (t - t0 <= SPIN_SECONDS)
            continue; /* the common case: done within the spin */
        answer_pings(NULL);
        if (t > deadline) {
            find_silent();
            snprintf(err, errlen, "%s made no progress for %g s (OPTML_DIST_TIMEOUT)", what, st.timeout);
            return RT_MPI_TIMEOUT;
        }
        nap(sleep_ns);
        if (sleep_ns < 1000000L)
            sleep_ns *= 2;
    }
}

static int ops_init(int *rank, int *size, double timeout, char *err, size_t errlen)
{
    int rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Init", err, errlen);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    st.rank = *rank;
    st.size = *size;
    st.timeout = timeout;
    st.silent = calloc((size_t)*size, sizeof(int));
    rc = MPI_Comm_dup(MPI_COMM_WORLD, &st.probe);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Comm_dup", err, errlen);
    MPI_Comm_set_errhandler(st.probe, MPI_ERRORS_RETURN);
    return 0;
}

static int ops_allreduce(void *buf, size_t n, int type, int op, char *err, size_t errlen)
{
    MPI_Datatype t = type ? MPI_DOUBLE : MPI_FLOAT;
    size_t elem = type ? sizeof(double) : sizeof(float);
    char *p = buf;
    while (n > 0) {
        int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;
        MPI_Request req;
        int rc = MPI_Iallreduce(MPI_IN_PLACE, p, chunk, t, op ? MPI_MAX : MPI_SUM, MPI_COMM_WORLD, &req);
        if (rc != MPI_SUCCESS)
            return fail(rc, "allreduce", err, errlen);
        if ((rc = wait_for(&req, "allreduce", err, errlen)) != 0)
            return rc;
        p += (size_t)chunk * elem;
        n -= (size_t)chunk;
    }
    return 0;
}

static int ops_bcast(void *buf, size_t bytes, int root, char *err, size_t errlen)
{
    char *p = buf;
    while (bytes > 0) {
        int chunk = bytes > (size_t)INT_MAX ? INT_MAX : (int)bytes;
        MPI_Request req;
        int rc = MPI_Ibcast(p, chunk, MPI_BYTE, root, MPI_COMM_WORLD, &req);
        if (rc != MPI_SUCCESS)
            return fail(rc, "broadcast", err, errlen);
        if ((rc = wait_for(&req, "broadcast", err, errlen)) != 0)
            return rc;
        p += chunk;
        bytes -= (size_t)chunk;
    }
    return 0;
}

static int ops_barrier(char *err, size_t errlen)
{
    MPI_Request req;
    int rc = MPI_Ibarrier(MPI_COMM_WORLD, &req);
    if (rc != MPI_SUCCESS)
        return fail(rc, "barrier", err, errlen);
    return wait_for(&req, "barrier", err, errlen);
}

static int ops_any(int flag, int *out, char *err, size_t errlen)
{
    MPI_Request req;
    int rc = MPI_Iallreduce(&flag, out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    if (rc != MPI_SUCCESS)
        return fail(rc, "stop agreement", err, errlen);
    return wait_for(&req, "stop agreement", err, errlen);
}

static int ops_silent(int *ranks, int max)
{
    int n = st.n_silent < max ? st.n_silent : max;
    for (int i = 0; i < n; i++)
        ranks[i] = st.silent[i];
    return n;
}

static void ops_finalize(void)
{
    MPI_Comm_free(&st.probe);
    free(st.silent);
    st.silent = NULL;
    MPI_Finalize();
}

__attribute__((visibility("default"))) const struct rt_mpi_ops optml_mpi_ops = {
    .abi = RT_MPI_OPS_ABI,
    .init = ops_init,
    .allreduce = ops_allreduce,
    .bcast = ops_bcast,
    .barrier = ops_barrier,
    .any = ops_any,
    .silent = ops_silent,
    .finalize = ops_finalize,
};
