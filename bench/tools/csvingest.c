/*
 * csvingest: timing of the linear learner's CSV ingest, the path training
 * reads its channel through (algorithms/linear_learner/ingest.c), without
 * the training: for bench/linear.sh.
 *
 *   csvingest FILE [REPEAT]
 *
 * Each pass opens FILE with the runtime's file reader (line framing, gzip
 * detected), parses it with ll_ingest (a reader thread cutting 256 KiB
 * chunks, both it and this thread parsing them, rows handed back in file
 * order) into the rows training consumes, label first, and walks every
 * row.  REPEAT passes (default 3); prints the best:
 *   INGEST bytes=.. rows=.. values=.. best_s=.. MB_per_s=.. rows_per_s=.. checksum=..
 * The checksum (sum of the labels) keeps the compiler honest.  Built by
 * bench/linear.sh with the runtime and the module's sources.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/ctx.h"
#include "linear_learner/data.h"
#include "linear_learner/ingest.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One pass: 0, or -1 with a message printed. */
static int pass(const char *path, unsigned long long *rows, unsigned long long *values, double *checksum)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_reader *r = NULL;
    if (optml_file_open(&ctx, path, OPTML_FRAME_LINES, &r) != OPTML_OK) {
        fprintf(stderr, "csvingest: %s\n", ctx.errmsg);
        return -1;
    }
    size_t D = 0;
    struct ll_ingest_cfg cfg = {.channel = "train", .fmt = LL_FMT_CSV, .type = LL_REGRESSOR, .K = 1, .D = &D,
                                .chunk_bytes = LL_FILE_CHUNK};
    struct ll_ingest *g = NULL;
    if (ll_ingest_start(&ctx, r, &cfg, &g) != OPTML_OK) {
        fprintf(stderr, "csvingest: %s\n", ctx.errmsg);
        return -1;
    }
    *rows = *values = 0;
    *checksum = 0;
    int rc = 0;
    for (;;) {
        struct ll_chunk_view v;
        ll_ingest_next(g, &v);
        size_t at = 0;
        for (size_t i = 0; i < v.n; i++) {
            uint32_t head;
            struct ll_row row;
            at += ll_row_at(v.rows + at, &row, &head);
            *checksum += row.label;
            *values += row.nnz + 1;
        }
        *rows += v.n;
        if (v.status != OPTML_OK) {
            if (v.status != OPTML_END) {
                fprintf(stderr, "csvingest: %s\n", v.msg ? v.msg : ctx.errmsg);
                rc = -1;
            }
            break;
        }
    }
    ll_ingest_stop(g);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: csvingest FILE [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 3;
    if (repeat < 1)
        repeat = 1;
    struct stat sb;
    if (stat(argv[1], &sb) != 0) {
        perror(argv[1]);
        return 1;
    }
    double best = 1e30, checksum = 0;
    unsigned long long rows = 0, values = 0;
    for (int i = 0; i < repeat; i++) {
        double t0 = now_s();
        if (pass(argv[1], &rows, &values, &checksum) != 0)
            return 1;
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    printf("INGEST bytes=%lld rows=%llu values=%llu best_s=%.3f MB_per_s=%.1f rows_per_s=%.0f checksum=%.6g repeat=%d\n",
           (long long)sb.st_size, rows, values, best, (double)sb.st_size / best / 1e6, (double)rows / best, checksum,
           repeat);
    return 0;
}
