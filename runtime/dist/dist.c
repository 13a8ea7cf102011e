/*
 * dist.c: a rank's side of multi-host training: the MPI plugin
 * (optml-mpi.so, dlopen()ed only here, so a single-host job needs no MPI
 * library), and the optml_dist_* functions of the module interface, which
 * are no-ops on one host; a collective that times out (OPTML_DIST_TIMEOUT)
 * names the hosts that stopped answering.
 */
#define _GNU_SOURCE
#include "dist/dist.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/log.h"
#include "core/stop.h"
#include "dist/mpi_ops.h"

static struct {
    int rank, size;
    const struct rt_mpi_ops *ops;
    char host[256];
    char hosts[1024]; /* "a, b, c" for messages */
    const char **sorted; /* rank i's host is sorted[i] */
    char failure[1024];  /* the first collective that failed: later ones fail at once */
} dist = {0, 1, NULL, "", "", NULL, ""};

int rt_dist_is_rank(void)
{
    const char *v = getenv("OPTML_DIST_RANK_CHILD");
    return v && strcmp(v, "1") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **rt_dist_sorted_hosts(const struct rt_resource_config *rc)
{
    const char **h = calloc(rc->n_hosts ? rc->n_hosts : 1, sizeof(*h));
    if (!h)
        return NULL;
    for (size_t i = 0; i < rc->n_hosts; i++)
        h[i] = rc->hosts[i];
    qsort(h, rc->n_hosts, sizeof(*h), cmp_str);
    return h;
}

/* $OPTML_DIST_LIB, else ../lib/optml/dist/optml-mpi.so next to the
 * executable, else the installed one. */
static void plugin_path(char *out, size_t size)
{
    const char *env = getenv("OPTML_DIST_LIB");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        snprintf(out, size, "%s/../lib/optml/dist/optml-mpi.so", dirname(exe));
        if (access(out, R_OK) == 0)
            return;
    }
    snprintf(out, size, "%s/dist/optml-mpi.so", OPTML_LIBDIR);
}

optml_status rt_dist_timeout(optml_ctx *ctx, double *seconds)
{
    const char *v = getenv("OPTML_DIST_TIMEOUT");
    *seconds = RT_DIST_TIMEOUT_DEFAULT;
    if (!v)
        return OPTML_OK;
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < 1 || x > RT_DIST_TIMEOUT_MAX)
        return optml_error(ctx, OPTML_E_CLIENT,
                           "OPTML_DIST_TIMEOUT must be a number of seconds from 1 to %d, not \"%.40s\"",
                           RT_DIST_TIMEOUT_MAX, v);
    *seconds = x;
    return OPTML_OK;
}

optml_status rt_dist_rank_start(optml_ctx *ctx, const struct rt_resource_config *rc)
{
    double timeout = 0;
    optml_status ts = rt_dist_timeout(ctx, &timeout);
    if (ts != OPTML_OK)
        return ts;
    snprintf(dist.host, sizeof(dist.host), "%s", rc->current_host);
    dist.hosts[0] = 0;
    const char **sorted = rt_dist_sorted_hosts(rc);
    if (!sorted)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    for (size_t i = 0; i < rc->n_hosts; i++) {
        size_t used = strlen(dist.hosts);
        snprintf(dist.hosts + used, sizeof(dist.hosts) - used, "%s%s", i ? ", " : "", sorted[i]);
    }
    char path[PATH_MAX + 64];
    plugin_path(path, sizeof(path));
    /* RTLD_GLOBAL: Open MPI's own components resolve against libmpi. */
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h) {
        free(sorted);
        return optml_error(ctx, OPTML_E_INTERNAL, "multi-host training needs the MPI plugin: %s", dlerror());
    }
    const struct rt_mpi_ops *ops = dlsym(h, "optml_mpi_ops");
    if (!ops || ops->abi != RT_MPI_OPS_ABI) {
        free(sorted);
        return optml_error(ctx, OPTML_E_INTERNAL, "%s is not this runtime's MPI plugin", path);
    }
    char err[512] = "";
    int rank = 0, size = 1;
    if (ops->init(&rank, &size, timeout, err, sizeof(err)) != 0) {
        free(sorted);
        return optml_error(ctx, OPTML_E_INTERNAL, "host %s could not join the job: %s", dist.host, err);
    }
    dist.ops = ops;
    dist.rank = rank;
    dist.size = size;
    optml_status s = OPTML_OK;
    if ((size_t)size != rc->n_hosts || strcmp(sorted[rank], rc->current_host) != 0)
        s = optml_error(ctx, OPTML_E_INTERNAL,
                        "host %s is rank %d of %d, but resourceconfig.json lists %zu hosts (%s) "
                        "and rank %d belongs on %s",
                        dist.host, rank, size, rc->n_hosts, dist.hosts, rank,
                        (size_t)rank < rc->n_hosts ? sorted[rank] : "?");
    if (s != OPTML_OK) {
        free(sorted);
        return s;
    }
    dist.sorted = sorted; /* borrowed strings of rc, which lives as long as the job */
    /* The supervisor forwards SIGTERM to this pid. */
    const char *pidfile = getenv("OPTML_DIST_PIDFILE");
    if (pidfile && *pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        }
    }
    rt_log(OPTML_LOG_INFO, "Host %s is rank %d of %d (hosts: %s)", dist.host, rank, size, dist.hosts);
    return OPTML_OK;
}

void rt_dist_rank_end(optml_status s)
{
    if (dist.ops && (s == OPTML_OK || s == OPTML_STOPPED || s == OPTML_END))
        dist.ops->finalize();
    free(dist.sorted);
    dist.sorted = NULL;
}

int optml_dist_rank(const optml_ctx *ctx) { return dist.rank; }

optml_status rt_dist_share_from_leader(optml_ctx *ctx, void *buf, size_t bytes)
{
    return optml_dist_broadcast(ctx, buf, bytes, 0);
}
int optml_dist_size(const optml_ctx *ctx) { return dist.size; }

/* A collective timed out: the hosts that did not answer.  The first is
 * logged as "Host X stopped answering: ..." (launch.c reads that line in
 * mpirun's output to name the host) and the error says which. */
static optml_status timed_out(optml_ctx *ctx, const char *err)
{
    int silent[64];
    int n = dist.ops->silent(silent, 64);
    char names[1024] = "";
    for (int i = 0; i < n; i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
                 silent[i] >= 0 && silent[i] < dist.size && dist.sorted ? dist.sorted[silent[i]] : "?");
    }
    if (n == 0) {
        rt_log(OPTML_LOG_ERROR, "%s; every host answered a ping (the collective is stuck elsewhere)", err);
        return optml_error(ctx, OPTML_E_INTERNAL, "on host %s (rank %d of %d; hosts %s): %s", dist.host,
                           dist.rank, dist.size, dist.hosts, err);
    }
    const char *first = silent[0] >= 0 && silent[0] < dist.size && dist.sorted ? dist.sorted[silent[0]] : "?";
    if (n > 1)
        rt_log(OPTML_LOG_ERROR, "Host %s stopped answering: %s (silent: %s; seen from %s)", first, err, names,
               dist.host);
    else
        rt_log(OPTML_LOG_ERROR, "Host %s stopped answering: %s (seen from %s)", first, err, dist.host);
    /* Give mpirun the time to pass that line on before this rank's exit
     * ends the job. */
    fflush(stderr);
    usleep(300 * 1000);
    return optml_error(ctx, OPTML_E_INTERNAL, "host%s %s stopped answering: %s (seen from %s)", n > 1 ? "s" : "",
                       names, err, dist.host);
}

static optml_status failed(optml_ctx *ctx, int rc, const char *err)
{
    if (dist.failure[0])
        return optml_error(ctx, OPTML_E_INTERNAL, "%s", dist.failure);
    optml_status s = rc == RT_MPI_TIMEOUT
                         ? timed_out(ctx, err)
                         : optml_error(ctx, OPTML_E_INTERNAL, "on host %s (rank %d of %d; hosts %s): %s", dist.host,
                                       dist.rank, dist.size, dist.hosts, err);
    snprintf(dist.failure, sizeof(dist.failure), "%.1000s", ctx->errmsg);
    return s;
}

int rt_dist_failed(void) { return dist.failure[0] != 0; }

optml_status optml_dist_allreduce(optml_ctx *ctx, void *buf, size_t n, enum optml_dist_type type,
                                  enum optml_dist_op op)
{
    if ((type != OPTML_DIST_FLOAT && type != OPTML_DIST_DOUBLE) || (op != OPTML_DIST_SUM && op != OPTML_DIST_MAX) ||
        (n && !buf))
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_dist_allreduce: bad arguments");
    if (!dist.ops || n == 0)
        return OPTML_OK;
    if (dist.failure[0])
        return failed(ctx, RT_MPI_FAILED, "");
    char err[512];
    int rc = dist.ops->allreduce(buf, n, type == OPTML_DIST_DOUBLE, op == OPTML_DIST_MAX, err, sizeof(err));
    if (rc != 0)
        return failed(ctx, rc, err);
    return OPTML_OK;
}

optml_status optml_dist_broadcast(optml_ctx *ctx, void *buf, size_t bytes, int root)
{
    if (root < 0 || root >= dist.size || (bytes && !buf))
        return optml_error(ctx, OPTML_E_INTERNAL, "optml_dist_broadcast: root %d of %d ranks", root, dist.size);
    if (!dist.ops || bytes == 0)
        return OPTML_OK;
    if (dist.failure[0])
        return failed(ctx, RT_MPI_FAILED, "");
    char err[512];
    int rc = dist.ops->bcast(buf, bytes, root, err, sizeof(err));
    if (rc != 0)
        return failed(ctx, rc, err);
    return OPTML_OK;
}

optml_status optml_dist_barrier(optml_ctx *ctx)
{
    if (!dist.ops)
        return OPTML_OK;
    if (dist.failure[0])
        return failed(ctx, RT_MPI_FAILED, "");
    char err[512];
    int rc = dist.ops->barrier(err, sizeof(err));
    if (rc != 0)
        return failed(ctx, rc, err);
    return OPTML_OK;
}

int optml_dist_should_stop(optml_ctx *ctx)
{
    int local = optml_should_stop(ctx);
    if (!dist.ops)
        return local;
    if (dist.failure[0])
        return 1;
    int any = 0;
    char err[512];
    int rc = dist.ops->any(local, &any, err, sizeof(err));
    if (rc != 0) {
        failed(ctx, rc, err);
        return 1; /* the module stops; the error recorded above fails the job (rt_dist_failed) */
    }
    if (any && !local)
        rt_log(OPTML_LOG_INFO, "Another host asked to stop: stopping with it");
    return any;
}
