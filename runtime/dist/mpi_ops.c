/*
 * mpi_ops.c: the MPI plugin, optml-mpi.so: the only code that calls MPI.
 * Errors return (MPI_ERRORS_RETURN) instead of aborting, so the runtime
 * reports them; lengths beyond INT_MAX are done in pieces.
 */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>

#include "dist/mpi_ops.h"

static int fail(int rc, const char *what, char *err, size_t errlen)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, text, &len);
    snprintf(err, errlen, "%s failed: %s", what, text);
    return -1;
}

static int ops_init(int *rank, int *size, char *err, size_t errlen)
{
    int rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Init", err, errlen);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return 0;
}

static int ops_allreduce(void *buf, size_t n, int type, int op, char *err, size_t errlen)
{
    MPI_Datatype t = type ? MPI_DOUBLE : MPI_FLOAT;
    size_t elem = type ? sizeof(double) : sizeof(float);
    char *p = buf;
    while (n > 0) {
        int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;
        int rc = MPI_Allreduce(MPI_IN_PLACE, p, chunk, t, op ? MPI_MAX : MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return fail(rc, "allreduce", err, errlen);
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
        int rc = MPI_Bcast(p, chunk, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return fail(rc, "broadcast", err, errlen);
        p += chunk;
        bytes -= (size_t)chunk;
    }
    return 0;
}

static int ops_barrier(char *err, size_t errlen)
{
    int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : fail(rc, "barrier", err, errlen);
}

static int ops_any(int flag, int *out, char *err, size_t errlen)
{
    int rc = MPI_Allreduce(&flag, out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : fail(rc, "stop agreement", err, errlen);
}

static void ops_finalize(void) { MPI_Finalize(); }

__attribute__((visibility("default"))) const struct rt_mpi_ops optml_mpi_ops = {
    .abi = RT_MPI_OPS_ABI,
    .init = ops_init,
    .allreduce = ops_allreduce,
    .bcast = ops_bcast,
    .barrier = ops_barrier,
    .any = ops_any,
    .finalize = ops_finalize,
};
