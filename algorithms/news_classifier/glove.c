/*
 * glove.c: GloVe text vectors ("word f1 ... fD" per line, single spaces)
 * into the rows of an embedding matrix for the words a vocabulary keeps.
 * The dimension is taken from the first line; only lines of kept words are
 * parsed as numbers, so a 400,000-line file costs one pass of memchr.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "news_classifier/nc.h"

static size_t count_fields(const char *s, size_t n)
{
    size_t f = 0, i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i < n)
            f++;
        while (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
    }
    return f;
}

/* Parse dim floats from s[0..n) into out; 0 or -1 when malformed. */
static int parse_floats(const char *s, size_t n, uint32_t dim, float *out)
{
    char tmp[64];
    size_t i = 0;
    for (uint32_t d = 0; d < dim; d++) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t a = i;
        while (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i == a || i - a >= sizeof(tmp))
            return -1;
        memcpy(tmp, s + a, i - a);
        tmp[i - a] = 0;
        char *end;
        errno = 0;
        float v = strtof(tmp, &end);
        if (*end || errno == ERANGE || !isfinite(v))
            return -1;
        out[d] = v;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i == n ? 0 : -1;
}

optml_status nc_glove_read(optml_ctx *ctx, optml_reader *rd, const char *name, const struct nc_vocab *v,
                           size_t n_rows, uint32_t *dim, float **E, struct nc_glove_stats *st)
{
    struct optml_record rec;
    optml_status s;
    while ((s = optml_reader_next(rd, &rec)) == OPTML_OK) {
        const char *line = (const char *)rec.data;
        size_t n = rec.len;
        st->lines++;
        if (n == 0)
            continue;
        if (*dim == 0) {
            size_t f = count_fields(line, n);
            if (f < 2 || f - 1 > 4096)
                return optml_error(ctx, OPTML_E_CLIENT,
                                   "Unable to parse GloVe file %s, line %llu: expected a word and 1 to 4096 numbers",
                                   name, (unsigned long long)rec.number);
            *dim = (uint32_t)(f - 1);
        }
        if (!*E && !(*E = calloc(n_rows * *dim, sizeof(float))))
            return optml_error(ctx, OPTML_E_NOMEM, "out of memory for a %zu x %u embedding", n_rows, *dim);
        const char *sp = memchr(line, ' ', n);
        if (!sp)
            continue; /* a word without numbers is not a vector: skip */
        const uint32_t *id = nc_strmap_get(&v->index, line, (size_t)(sp - line));
        if (!id || *id >= n_rows)
            continue;
        if (parse_floats(sp + 1, n - (size_t)(sp + 1 - line), *dim, *E + (size_t)*id * *dim) != 0)
            return optml_error(ctx, OPTML_E_CLIENT,
                               "Unable to parse GloVe file %s, line %llu: expected the word and %u numbers", name,
                               (unsigned long long)rec.number, *dim);
        st->matched++;
        if ((st->lines & 0xffff) == 0 && optml_should_stop(ctx))
            return OPTML_STOPPED;
    }
    return s == OPTML_END ? OPTML_OK : s;
}

optml_status nc_glove_load(optml_ctx *ctx, const char *path, const struct nc_vocab *v, size_t n_rows,
                           uint32_t *dim, float **E, struct nc_glove_stats *st)
{
    optml_reader *rd;
    optml_status s = optml_file_open(ctx, path, OPTML_FRAME_LINES, &rd);
    if (s != OPTML_OK)
        return s;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    s = nc_glove_read(ctx, rd, base, v, n_rows, dim, E, st);
    optml_reader_close(rd);
    return s;
}
