/*
 * fuzz_line_runs.c: libFuzzer target for runs of lines
 * (optml_reader_next_lines) against the line framing itself.  The first
 * input byte configures both readers as in fuzz_reader.h (window, largest
 * single read); the second sets the runs' size limit (1 + 23 * b bytes).
 * The rest is read once line by line (optml_reader_next) and once in runs,
 * which are cut into lines as a caller would (at '\n', a '\r' before it
 * dropped; a run's last line may lack its '\n'): at OPTML_END both give
 * the same lines, and a run must not be empty.  On an error (a gzip input
 * that is cut or corrupt) both fail and agree on the lines both gave (how
 * many good lines come before a corrupt block is found depends on how much
 * each asked zlib for at a time).
 */
#include "fuzz_reader.h"

#include <stdio.h>

struct lines {
    char **v;
    size_t *len;
    size_t n, cap;
};

static void add(struct lines *l, const char *p, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        l->len = realloc(l->len, l->cap * sizeof(*l->len));
        if (!l->v || !l->len)
            abort();
    }
    l->v[l->n] = malloc(n ? n : 1);
    if (!l->v[l->n])
        abort();
    memcpy(l->v[l->n], p, n);
    l->len[l->n++] = n;
}

static void drop(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->len);
}

static optml_reader *open_reader(struct optml_ctx *ctx, const uint8_t *data, size_t size, uint8_t cfg)
{
    optml_reader *r = NULL;
    rt_ctx_init(ctx);
    if (optml_memory_open(ctx, data, size, OPTML_FRAME_LINES, &r) != OPTML_OK)
        abort();
    if (cfg & 0x0f)
        rt_stream_set_window(rt_reader_stream(r), 16 + 3 * (size_t)(cfg & 0x0f));
    rt_stream_set_max_read(rt_reader_stream(r), cfg >> 4);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t cfg = fuzz_take_config(&data, &size);
    size_t max = 1 + 23 * (size_t)fuzz_take_config(&data, &size);
    struct optml_ctx c1, c2;
    struct lines a = {0}, b = {0};

    optml_reader *r = open_reader(&c1, data, size, cfg);
    struct optml_record rec;
    optml_status s1;
    while ((s1 = optml_reader_next(r, &rec)) == OPTML_OK)
        add(&a, (const char *)rec.data, rec.len);
    optml_reader_close(r);

    r = open_reader(&c2, data, size, cfg);
    struct optml_lines run;
    optml_status s2;
    while ((s2 = optml_reader_next_lines(r, max, &run)) == OPTML_OK) {
        if (run.len == 0 || !run.source)
            abort();
        const char *p = run.data, *end = run.data + run.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            add(&b, p, nl && n && p[n - 1] == '\r' ? n - 1 : n);
            p += n + 1;
        }
    }
    if (optml_reader_next_lines(r, max, &run) != s2)
        abort();
    optml_reader_close(r);

    if ((s1 == OPTML_END) != (s2 == OPTML_END) || (s2 != OPTML_END && s2 != OPTML_E_CLIENT))
        abort();
    if (s2 == OPTML_END && b.n != a.n) {
        fprintf(stderr, "lines: %zu by line, %zu in runs; status %d, %d: %s / %s\n", a.n, b.n, (int)s1, (int)s2,
                optml_error_message(&c1), optml_error_message(&c2));
        abort();
    }
    for (size_t i = 0; i < b.n && i < a.n; i++)
        if (a.len[i] != b.len[i] || memcmp(a.v[i], b.v[i], a.len[i]) != 0) {
            fprintf(stderr, "line %zu differs\n", i + 1);
            abort();
        }
    drop(&a);
    drop(&b);
    return 0;
}
