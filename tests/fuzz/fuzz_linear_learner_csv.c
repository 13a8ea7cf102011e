/*
 * fuzz_linear_learner_csv.c: libFuzzer target for the linear learner's CSV
 * row parser (algorithms/codec/csv_floats.c).  The input is one line
 * (from an exact-size heap copy, so ASan sees any read past its end),
 * parsed with a cap of 3 and of 1024: both calls must agree on the result,
 * the message and the stored values; a success must give as many fields as
 * csv_count_fields(); a failure a "field N: ..." message.  Every
 * accepted field must read as strtof() (C locale) reads its text.  The
 * portable path (csv_parse_portable) must give the same count, message
 * and bits as the one csv_parse_floats picks (the AVX-512 path, on a
 * CPU that has it).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/csv_floats.h"
#include "codec/csv_floats_wide.h"

#define BIG_CAP 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    static float big[BIG_CAP];
    float small[3];
    char err1[128], err2[128];
    long n1 = csv_parse_floats(line, size, small, 3, err1, sizeof(err1));
    long n2 = csv_parse_floats(line, size, big, BIG_CAP, err2, sizeof(err2));
    if (n1 != n2 || strcmp(err1, err2) != 0)
        abort();
    static float port[BIG_CAP];
    char err3[128];
    long n3 = csv_parse_portable(line, size, port, BIG_CAP, err3, sizeof(err3));
    if (n3 != n2 || strcmp(err3, err2) != 0) {
        fprintf(stderr, "portable %ld '%s', chosen path %ld '%s'\n", n3, err3, n2, err2);
        abort();
    }
    for (long i = 0; i < n2 && i < BIG_CAP; i++)
        if (memcmp(&port[i], &big[i], sizeof(float)) != 0)
            abort();
    size_t fields = csv_count_fields(line, size);
    if (n1 < 0) {
        if (strncmp(err1, "field ", 6) != 0)
            abort();
    } else {
        if ((size_t)n1 != fields || err1[0])
            abort();
        for (long i = 0; i < n1 && i < 3; i++)
            if (memcmp(&small[i], &big[i], sizeof(float)) != 0)
                abort();
        for (long i = 0; i < n1 && i < BIG_CAP; i++)
            if (!isfinite(big[i]))
                abort();
        /* The oracle: strtof on each field without blanks (and the
         * line's trailing '\r'). */
        char *text = malloc(size + 1);
        if (text) {
            size_t end = size, pos = 0;
            if (end && line[end - 1] == '\r')
                end--;
            for (long i = 0; i < n1 && i < BIG_CAP; i++) {
                const char *c = memchr(line + pos, ',', end - pos);
                size_t fe = c ? (size_t)(c - line) : end, a = pos, b = fe;
                while (a < b && (line[a] == ' ' || line[a] == '\t'))
                    a++;
                while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
                    b--;
                memcpy(text, line + a, b - a);
                text[b - a] = 0;
                char *stop;
                float want = strtof(text, &stop);
                if (*stop || memcmp(&want, &big[i], sizeof(float)) != 0) {
                    fprintf(stderr, "field %ld '%s': got %a, strtof %a\n", i + 1, text,
                            (double)big[i], (double)want);
                    abort();
                }
                pos = fe + 1;
            }
            free(text);
        }
    }
    free(line);
    return 0;
}
