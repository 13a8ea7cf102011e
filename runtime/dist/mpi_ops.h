/*
 * mpi_ops.h: the table the MPI plugin (optml-mpi.so, built from mpi_ops.c
 * against Debian's Open MPI) exports as `optml_mpi_ops`.  The runtime
 * dlopen()s the plugin only in a rank of a multi-host job (dist.c), so the
 * optml executable never links libmpi.  Every function returns 0, or fills
 * `err` and returns RT_MPI_FAILED, or RT_MPI_TIMEOUT when the collective
 * made no progress for the timeout given to init().
 */
#ifndef OPTML_DIST_MPI_OPS_H
#define OPTML_DIST_MPI_OPS_H

#include <stddef.h>

#define RT_MPI_OPS_ABI 2
#define RT_MPI_FAILED (-1)
#define RT_MPI_TIMEOUT (-2)

struct rt_mpi_ops {
    int abi; /* RT_MPI_OPS_ABI */
    /* timeout: seconds a collective may wait without completing */
    int (*init)(int *rank, int *size, double timeout, char *err, size_t errlen);
    /* type: 0 float, 1 double; op: 0 sum, 1 max (optml_dist_type / _op) */
    int (*allreduce)(void *buf, size_t n, int type, int op, char *err, size_t errlen);
    int (*bcast)(void *buf, size_t bytes, int root, char *err, size_t errlen);
    int (*barrier)(char *err, size_t errlen);
    /* max over ranks of a flag */
    int (*any)(int flag, int *out, char *err, size_t errlen);
    /* After RT_MPI_TIMEOUT: the ranks that did not answer (at most `max`
     * of them in `ranks`); returns how many. */
    int (*silent)(int *ranks, int max);
    void (*finalize)(void);
};

#endif
