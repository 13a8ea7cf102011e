/*
 * test_ingest.c: the linear learner's two-thread channel parsing
 * (algorithms/linear_learner/ingest.c) against a plain sequential parse:
 * the same rows in the same order with the same bits, whatever the chunk
 * size (one record per chunk up to everything in one), the dimension set
 * by the first row, blank lines skipped, and an error in a later chunk
 * reported after exactly the rows before it, naming its line.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "linear_learner/ingest.h"
#include "linear_learner/parse.h"

/* n CSV lines of label + 5 features in varied spellings, a blank line
 * every 97; line `bad` (1-based, 0: none) replaced by `bad_text`. */
static char *csv_text(size_t n, size_t bad, const char *bad_text)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    uint64_t s = 42;
    for (size_t i = 1; i <= n; i++) {
        if (i == bad) {
            fprintf(f, "%s\n", bad_text);
            continue;
        }
        if (i % 97 == 0) {
            fputs("  \r\n", f);
            continue;
        }
        fprintf(f, "%zu", i % 3);
        for (int j = 0; j < 5; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double x = (double)(s >> 11) / 9007199254740992.0 * 20 - 10;
            switch ((i + (size_t)j) % 5) {
            case 0: fprintf(f, ",%.7f", x); break;
            case 1: fprintf(f, ", %.3e ", x); break;
            case 2: fprintf(f, ",%.0f", x); break;
            case 3: fprintf(f, ",%.12g", x); break;
            default: fprintf(f, ",%.2f", x); break;
            }
        }
        fputc('\n', f);
    }
    fclose(f);
    return out;
}

struct collected {
    float *v;       /* label, then the features, per row */
    size_t n, cap;  /* floats */
    size_t rows;
    optml_status status;
    char msg[700];
};

static void add(struct collected *c, float x)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->v = realloc(c->v, c->cap * sizeof(float));
    }
    c->v[c->n++] = x;
}

/* Every row through ll_ingest with chunks of chunk_bytes. */
static struct collected by_ingest(const char *text, size_t chunk_bytes, size_t *D, enum ll_predictor type)
{
    struct collected c = {0};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_reader *r = NULL;
    if (optml_memory_open(&ctx, text, strlen(text), OPTML_FRAME_LINES, &r) != OPTML_OK)
        test_fail(__FILE__, __LINE__, "memory reader: %s", ctx.errmsg);
    struct ll_ingest_cfg cfg = {.channel = "train", .fmt = LL_FMT_CSV, .type = type, .K = 3, .D = D,
                                .chunk_bytes = chunk_bytes};
    struct ll_ingest *g = NULL;
    if (ll_ingest_start(&ctx, r, &cfg, &g) != OPTML_OK)
        test_fail(__FILE__, __LINE__, "ll_ingest_start: %s", ctx.errmsg);
    for (;;) {
        struct ll_chunk_view v;
        ll_ingest_next(g, &v);
        size_t at = 0;
        for (size_t i = 0; i < v.n; i++) {
            uint32_t head;
            struct ll_row row;
            at += ll_row_at(v.rows + at, &row, &head);
            if (row.idx)
                test_fail(__FILE__, __LINE__, "a CSV row came out sparse");
            add(&c, row.label);
            for (size_t j = 0; j < row.nnz; j++)
                add(&c, row.val[j]);
            c.rows++;
        }
        if (at != v.len)
            test_fail(__FILE__, __LINE__, "chunk of %zu bytes, rows end at %zu", v.len, at);
        if (v.status != OPTML_OK) {
            c.status = v.status;
            snprintf(c.msg, sizeof(c.msg), "%s", v.msg ? v.msg : "");
            break;
        }
    }
    ll_ingest_stop(g);
    return c;
}

/* The same with ll_parse_record, one line after another. */
static struct collected by_hand(const char *text)
{
    struct collected c = {0};
    size_t D = 0;
    struct ll_parser p;
    ll_parser_init(&p, LL_FMT_CSV, 1, &D);
    const char *s = text;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        struct ll_row row;
        int rc = ll_parse_record(&p, (const unsigned char *)s, len, &row);
        if (rc == LL_PARSE_OK) {
            add(&c, row.label);
            for (size_t j = 0; j < row.nnz; j++)
                add(&c, row.val[j]);
            c.rows++;
        } else if (rc != LL_PARSE_SKIP) {
            c.status = OPTML_E_CLIENT;
            break;
        }
        s += len + (nl ? 1 : 0);
    }
    ll_parser_free(&p);
    return c;
}

TEST(ll_ingest_rows_match_a_sequential_parse_at_any_chunk_size)
{
    char *text = csv_text(5000, 0, NULL);
    struct collected want = by_hand(text);
    ASSERT_EQ_INT((int)want.rows, 5000 - 5000 / 97);
    const size_t sizes[] = {1, 100, 4096, 1 << 20};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t D = 0;
        struct collected got = by_ingest(text, sizes[i], &D, LL_REGRESSOR);
        ASSERT_EQ_INT(got.status, OPTML_END);
        ASSERT_EQ_INT((int)D, 5);
        ASSERT_EQ_INT((int)got.rows, (int)want.rows);
        ASSERT(got.n == want.n && memcmp(got.v, want.v, want.n * sizeof(float)) == 0);
        free(got.v);
    }
    free(want.v);
    free(text);
}

TEST(ll_ingest_error_in_a_later_chunk_comes_after_the_rows_before_it)
{
    static const struct {
        const char *line, *needle;
        enum ll_predictor type;
    } cases[] = {
        {"1,2,3,x,5,6", "Unable to parse csv data in channel train, file", LL_REGRESSOR},
        {"1,2,3,4,5", "Feature count mismatch in channel train", LL_REGRESSOR},
        {"7,1,2,3,4,5", "Invalid label in channel train", LL_MULTICLASS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = csv_text(4000, 3001, cases[i].line);
        size_t D = 5;
        struct collected got = by_ingest(text, 512, &D, cases[i].type);
        ASSERT_EQ_INT(got.status, OPTML_E_CLIENT);
        ASSERT_EQ_INT((int)got.rows, 3000 - 3000 / 97);
        ASSERT_CONTAINS(got.msg, cases[i].needle);
        ASSERT_CONTAINS(got.msg, "line 3001:");
        free(got.v);
        free(text);
    }
}

TEST(ll_ingest_stops_midway)
{
    char *text = csv_text(20000, 0, NULL);
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_reader *r = NULL;
    ASSERT_EQ_INT(optml_memory_open(&ctx, text, strlen(text), OPTML_FRAME_LINES, &r), OPTML_OK);
    size_t D = 0;
    struct ll_ingest_cfg cfg = {.channel = "train", .fmt = LL_FMT_CSV, .type = LL_REGRESSOR, .K = 1, .D = &D,
                                .chunk_bytes = 256};
    struct ll_ingest *g = NULL;
    ASSERT_EQ_INT(ll_ingest_start(&ctx, r, &cfg, &g), OPTML_OK);
    struct ll_chunk_view v;
    ll_ingest_next(g, &v);
    ASSERT(v.n > 0 && v.status == OPTML_OK);
    ll_ingest_stop(g); /* the reader thread is mid-stream: it must end and free everything */
    free(text);
}
