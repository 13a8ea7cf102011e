/*
 * csvparse: parse-only timing of the linear learner's CSV number parser
 * (algorithms/codec/csv_floats.c), for bench/linear.sh.
 *
 *   csvparse FILE [REPEAT [portable]]
 *
 * Reads FILE whole into memory first (not timed), then splits it into lines
 * and parses every line with csv_parse_floats() into a float buffer,
 * REPEAT times (default 3), and prints the best pass (with "portable":
 * csv_parse_portable, the path CPUs without AVX-512 take):
 *   PARSE bytes=.. rows=.. fields=.. best_s=.. MB_per_s=.. rows_per_s=.. checksum=..
 * The checksum (sum of the labels) keeps the compiler honest.
 * Build: cc -O3 -fno-math-errno -Ialgorithms bench/tools/csvparse.c \
 *          algorithms/codec/csv_floats.c algorithms/codec/csv_floats_wide.c -o csvparse
 */
#define _GNU_SOURCE
#include "codec/csv_floats.h"
#include "codec/csv_floats_wide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: csvparse FILE [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 3;
    int portable = argc > 3 && strcmp(argv[3], "portable") == 0;
    long (*parse)(const char *, size_t, float *, size_t, char *, size_t) =
        portable ? csv_parse_portable : csv_parse_floats;
    if (repeat < 1)
        repeat = 1;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    enum { CAP = 4096 };
    static float out[CAP];
    char err[128];
    double best = 1e30, checksum = 0;
    long rows = 0, fields = 0;
    for (int r = 0; r < repeat; r++) {
        rows = 0;
        fields = 0;
        checksum = 0;
        double t0 = now_s();
        const char *p = buf, *end = buf + size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            long n = parse(p, len, out, CAP, err, sizeof err);
            if (n < 0) {
                fprintf(stderr, "row %ld: %s\n", rows + 1, err);
                return 1;
            }
            if (n > 0) {
                rows++;
                fields += n;
                checksum += out[0];
            }
            p += len + 1;
        }
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    printf("PARSE bytes=%ld rows=%ld fields=%ld best_s=%.3f MB_per_s=%.1f rows_per_s=%.0f checksum=%.6g repeat=%d path=%s\n",
           size, rows, fields, best, (double)size / best / 1e6, (double)rows / best, checksum, repeat,
           portable ? "portable" : csv_wide_available() ? "avx512" : "portable");
    free(buf);
    return 0;
}
