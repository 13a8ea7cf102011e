/*
 * test_corpus.c: the news classifier's training data
 * (algorithms/news_classifier/corpus.c, data.c): the streaming reader of
 * the newsCorpora.csv layout (8 TAB-separated fields, pandas-style quoting,
 * dropped rows counted, CRLF, blank lines, any chunking, the errors), label
 * interning, the canonical UCI order and names, and label_names.
 */
#include <stdint.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "news_classifier/data.h"
#include "news_classifier/nc.h"

struct parsed {
    struct nc_corpus c;
    struct nc_labels l;
    struct nc_tsv p;
    int rc;
};

/* Parse `len` bytes fed in chunks of `chunk` (0: one chunk), then finish. */
static void parse_chunked(struct parsed *r, const char *data, size_t len, size_t chunk)
{
    memset(r, 0, sizeof(*r));
    nc_tsv_init(&r->p, &r->c, &r->l);
    r->rc = 0;
    size_t step = chunk ? chunk : (len ? len : 1);
    for (size_t off = 0; off < len && r->rc == 0; off += step)
        r->rc = nc_tsv_feed(&r->p, data + off, len - off < step ? len - off : step);
    if (r->rc == 0)
        r->rc = nc_tsv_finish(&r->p);
}

static void parse(struct parsed *r, const char *data)
{
    parse_chunked(r, data, strlen(data), 0);
}

static void parsed_free(struct parsed *r)
{
    nc_tsv_free(&r->p);
    nc_corpus_free(&r->c);
    nc_labels_free(&r->l);
}

#define ROW(title, cat) "1\t" title "\thttp://x/1\tReuters\t" cat "\tdXyZ\twww.x.com\t1394470370698\n"

TEST(news_tsv_eight_fields_title_and_category)
{
    struct parsed r;
    parse(&r, "7\tFed official says weak data\thttp://u\tLos Angeles Times\tb\tddU\twww.latimes.com\t1394470370698\n"
              ROW("Apple unveils iPhone", "t"));
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.c.n, 2);
    ASSERT_EQ_INT(r.p.rows, 2);
    ASSERT_EQ_INT(r.c.dropped, 0);
    ASSERT_EQ_STR(r.c.text[0], "Fed official says weak data");
    ASSERT_EQ_STR(r.c.text[1], "Apple unveils iPhone");
    ASSERT_EQ_INT(r.l.k, 2);
    ASSERT_EQ_STR(r.l.code[r.c.label[0]], "b");
    ASSERT_EQ_STR(r.l.code[r.c.label[1]], "t");
    /* names start as the codes */
    ASSERT_EQ_STR(r.l.name[0], "b");
    parsed_free(&r);
}

TEST(news_tsv_drops_rows_with_missing_extra_or_empty_fields)
{
    struct parsed r;
    parse(&r, ROW("kept one", "b")
              "1\tseven\tu\tp\tb\ts\th\n"                 /* 7 fields */
              "1\tnine\tu\tp\tb\ts\th\t1\textra\n"        /* 9 fields */
              "1\tempty publisher\tu\t\tb\ts\th\t1\n"     /* empty field */
              "1\t\tu\tp\tb\ts\th\t1\n"                   /* empty TITLE */
              "1\tno ts\tu\tp\tb\ts\th\t\n"               /* empty last field */
              "one field only\n"
              ROW("kept two", "e"));
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.c.n, 2);
    ASSERT_EQ_INT(r.c.dropped, 6);
    ASSERT_EQ_STR(r.c.text[0], "kept one");
    ASSERT_EQ_STR(r.c.text[1], "kept two");
    /* a dropped row does not intern its label */
    ASSERT_EQ_INT(r.l.k, 2);
    parsed_free(&r);
}

TEST(news_tsv_quoted_title_spans_tab_newline_and_doubled_quote)
{
    struct parsed r;
    parse(&r, "1\t\"He said \"\"hi\"\"\tthere\nnow\"\turl\tpub\tm\ts\th\t1\n" ROW("after", "m"));
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.c.n, 2);
    ASSERT_EQ_INT(r.c.dropped, 0);
    ASSERT_EQ_STR(r.c.text[0], "He said \"hi\"\tthere\nnow");
    ASSERT_EQ_STR(r.l.code[r.c.label[0]], "m");
    ASSERT_EQ_STR(r.c.text[1], "after");
    /* a quote not at the start of a field is an ordinary byte */
    parsed_free(&r);
    parse(&r, ROW("5\" screen", "t"));
    ASSERT_EQ_INT(r.c.n, 1);
    ASSERT_EQ_STR(r.c.text[0], "5\" screen");
    parsed_free(&r);
    /* text after the closing quote belongs to the same field (pandas) */
    parse(&r, "1\t\"quoted\" tail\tu\tp\tb\ts\th\t1\n");
    ASSERT_EQ_INT(r.c.n, 1);
    ASSERT_EQ_STR(r.c.text[0], "quoted tail");
    parsed_free(&r);
    /* a quoted empty field is empty: the row is dropped */
    parse(&r, "1\t\"\"\tu\tp\tb\ts\th\t1\n");
    ASSERT_EQ_INT(r.c.n, 0);
    ASSERT_EQ_INT(r.c.dropped, 1);
    parsed_free(&r);
}

TEST(news_tsv_crlf_and_blank_lines)
{
    struct parsed r;
    parse(&r, "\n\r\n"
              "1\tcrlf row\tu\tp\tb\ts\th\t1\r\n"
              "\n\n"
              "1\tcr only last field\tu\tp\te\ts\th\t\r\n" /* last field empty once \r goes */
              "\r\n"
              "1\tno final newline\tu\tp\tt\ts\th\t1");
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.c.n, 2);
    ASSERT_EQ_INT(r.c.dropped, 1); /* blank lines are not dropped rows */
    ASSERT_EQ_STR(r.c.text[0], "crlf row");
    ASSERT_EQ_STR(r.c.text[1], "no final newline");
    ASSERT_EQ_STR(r.l.code[r.c.label[1]], "t");
    /* a CR inside a quoted TITLE is kept */
    parsed_free(&r);
    parse(&r, "1\t\"a\r\nb\"\tu\tp\tb\ts\th\t1\r\n");
    ASSERT_EQ_INT(r.c.n, 1);
    ASSERT_EQ_STR(r.c.text[0], "a\r\nb");
    parsed_free(&r);
}

static const char CHUNK_INPUT[] =
    "\r\n" ROW("plain", "b")
    "2\t\"q \"\"x\"\"\ty\r\nz\"\tu\tp\tt\ts\th\t1\r\n"
    "3\t\"\"\"lead\"\tu\tp\te\ts\th\t1\n"
    "4\ttoo\tfew\n"
    "5\t\"trail\"\"\"\tu\tp\tm\ts\th\t1\n"
    "\n" ROW("last", "b");

TEST(news_tsv_any_chunking_gives_the_same_rows)
{
    struct parsed whole;
    parse(&whole, CHUNK_INPUT);
    ASSERT_EQ_INT(whole.rc, 0);
    ASSERT_EQ_INT(whole.c.n, 5);
    ASSERT_EQ_INT(whole.c.dropped, 1);
    ASSERT_EQ_STR(whole.c.text[1], "q \"x\"\ty\r\nz");
    ASSERT_EQ_STR(whole.c.text[2], "\"lead");
    ASSERT_EQ_STR(whole.c.text[3], "trail\"");
    for (size_t chunk = 1; chunk <= 7; chunk++) {
        struct parsed r;
        parse_chunked(&r, CHUNK_INPUT, strlen(CHUNK_INPUT), chunk);
        ASSERT_EQ_INT(r.rc, 0);
        ASSERT_EQ_INT(r.c.n, whole.c.n);
        ASSERT_EQ_INT(r.c.dropped, whole.c.dropped);
        ASSERT_EQ_INT(r.l.k, whole.l.k);
        for (size_t i = 0; i < r.c.n; i++) {
            ASSERT_EQ_STR(r.c.text[i], whole.c.text[i]);
            ASSERT_EQ_INT(r.c.label[i], whole.c.label[i]);
        }
        parsed_free(&r);
    }
    parsed_free(&whole);
}

TEST(news_tsv_unclosed_quote_is_an_error_naming_the_line)
{
    struct parsed r;
    /* row 1 spans lines 1-2, line 3 is blank, the bad row starts on line 4 */
    parse(&r, "1\t\"two\nlines\"\tu\tp\tb\ts\th\t1\n\n4\t\"never closed\tu\tp\tb\ts\th\t1\nmore\n");
    ASSERT_EQ_INT(r.rc, -1);
    ASSERT_CONTAINS(r.p.err, "line 4");
    ASSERT_CONTAINS(r.p.err, "not closed");
    ASSERT_EQ_INT(r.c.n, 1);
    parsed_free(&r);
    /* a quote closed by the very last byte is fine */
    parse(&r, "1\t\"t\"\tu\tp\tb\ts\th\t\"1\"");
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.c.n, 1);
    parsed_free(&r);
}

TEST(news_tsv_row_over_one_mib_is_an_error)
{
    size_t n = NC_MAX_FIELD_SPAN + 100;
    char *big = malloc(n + 64);
    size_t o = (size_t)sprintf(big, ROW("ok", "b") "2\t\"");
    memset(big + o, 'a', n - o);
    struct parsed r;
    parse_chunked(&r, big, n, 4096);
    ASSERT_EQ_INT(r.rc, -1);
    ASSERT_CONTAINS(r.p.err, "line 2");
    ASSERT_CONTAINS(r.p.err, "runs past");
    parsed_free(&r);
    /* unquoted too */
    memset(big, 'b', n);
    parse_chunked(&r, big, n, 0);
    ASSERT_EQ_INT(r.rc, -1);
    ASSERT_CONTAINS(r.p.err, "line 1");
    parsed_free(&r);
    /* a long but legal TITLE (300 KiB) is kept, cut to NC_MAX_TEXT bytes */
    size_t t = 300 * 1024;
    char *row = malloc(t + 64);
    memcpy(row, "1\t", 2);
    memset(row + 2, 'x', t);
    strcpy(row + 2 + t, "\tu\tp\tb\ts\th\t1\n");
    parse(&r, row);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.c.n, 1);
    ASSERT_EQ_INT(strlen(r.c.text[0]), NC_MAX_TEXT);
    parsed_free(&r);
    free(row);
    free(big);
}

TEST(news_labels_interned_in_order_of_appearance)
{
    struct parsed r;
    parse(&r, ROW("a", "e") ROW("b", "business") ROW("c", "e") ROW("d", "t") ROW("e", "business"));
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.l.k, 3);
    ASSERT_EQ_STR(r.l.code[0], "e");
    ASSERT_EQ_STR(r.l.code[1], "business");
    ASSERT_EQ_STR(r.l.code[2], "t");
    uint32_t want[] = {0, 1, 0, 2, 1};
    for (int i = 0; i < 5; i++)
        ASSERT_EQ_INT(r.c.label[i], want[i]);
    ASSERT_EQ_INT(nc_labels_intern(&r.l, "t", 1), 2);
    ASSERT_EQ_INT(nc_labels_intern(&r.l, "new", 3), 3);
    parsed_free(&r);
}

TEST(news_labels_at_most_max_classes)
{
    struct nc_labels l = {0};
    char s[16];
    for (int i = 0; i < NC_MAX_CLASSES; i++) {
        int n = snprintf(s, sizeof(s), "c%d", i);
        ASSERT_EQ_INT(nc_labels_intern(&l, s, (size_t)n), i);
    }
    ASSERT_EQ_INT(nc_labels_intern(&l, "one more", 8), -1);
    ASSERT_EQ_INT(nc_labels_intern(&l, "c7", 2), 7);
    nc_labels_free(&l);
}

/* ------------------------------------------------------------- labels */

static optml_ctx *ctx_new(void)
{
    optml_ctx *c = calloc(1, sizeof(*c));
    rt_ctx_init(c);
    return c;
}

TEST(news_labels_canonical_uci_order_and_names)
{
    static const char *const orders[][4] = {
        {"m", "e", "b", "t"}, {"b", "t", "e", "m"}, {"t", "m", "b", "e"}};
    static const char *const names[] = {"Business", "Science & Technology", "Entertainment", "Health & Medicine"};
    static const char *const codes[] = {"b", "t", "e", "m"};
    for (int o = 0; o < 3; o++) {
        struct parsed r, v;
        char buf[1024];
        snprintf(buf, sizeof(buf), ROW("w", "%s") ROW("x", "%s") ROW("y", "%s") ROW("z", "%s") ROW("w2", "%s"),
                 orders[o][0], orders[o][1], orders[o][2], orders[o][3], orders[o][0]);
        parse(&r, buf);
        /* a validation corpus interned into the same labels */
        memset(&v, 0, sizeof(v));
        nc_tsv_init(&v.p, &v.c, &r.l);
        snprintf(buf, sizeof(buf), ROW("v", "%s"), orders[o][3]);
        ASSERT(nc_tsv_feed(&v.p, buf, strlen(buf)) == 0 && nc_tsv_finish(&v.p) == 0);
        ASSERT_EQ_INT(r.l.k, 4);
        optml_ctx *ctx = ctx_new();
        struct nc_corpus *cs[] = {&r.c, &v.c};
        ASSERT_EQ_INT(nc_labels_canonical(ctx, &r.l, cs, 2), OPTML_OK);
        for (int i = 0; i < 4; i++) {
            ASSERT_EQ_STR(r.l.code[i], codes[i]);
            ASSERT_EQ_STR(r.l.name[i], names[i]);
            ASSERT_EQ_INT(*nc_strmap_get(&r.l.index, codes[i], 1), i);
        }
        /* every row's label now names its original code */
        const char *texts[] = {"w", "x", "y", "z", "w2"};
        for (int i = 0; i < 5; i++) {
            ASSERT_EQ_STR(r.c.text[i], texts[i]);
            ASSERT_EQ_STR(r.l.code[r.c.label[i]], orders[o][i % 4]);
        }
        ASSERT_EQ_STR(r.l.code[v.c.label[0]], orders[o][3]);
        free(ctx);
        nc_tsv_free(&v.p);
        nc_corpus_free(&v.c);
        parsed_free(&r);
    }
}

TEST(news_labels_canonical_other_sets_sorted_by_value)
{
    struct parsed r;
    /* b t e plus a fifth: not the UCI set, so sorted, names = values */
    parse(&r, ROW("1", "t") ROW("2", "zeta") ROW("3", "b") ROW("4", "e") ROW("5", "Alpha"));
    optml_ctx *ctx = ctx_new();
    struct nc_corpus *cs[] = {&r.c};
    ASSERT_EQ_INT(nc_labels_canonical(ctx, &r.l, cs, 1), OPTML_OK);
    const char *want[] = {"Alpha", "b", "e", "t", "zeta"};
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ_STR(r.l.code[i], want[i]);
        ASSERT_EQ_STR(r.l.name[i], want[i]);
        ASSERT_EQ_INT(*nc_strmap_get(&r.l.index, want[i], strlen(want[i])), i);
    }
    ASSERT_EQ_STR(r.l.code[r.c.label[0]], "t");
    ASSERT_EQ_STR(r.l.code[r.c.label[1]], "zeta");
    ASSERT_EQ_STR(r.l.code[r.c.label[4]], "Alpha");
    parsed_free(&r);
    /* four labels, not b t e m: sorted as well */
    parse(&r, ROW("1", "t") ROW("2", "x") ROW("3", "b") ROW("4", "e"));
    cs[0] = &r.c;
    ASSERT_EQ_INT(nc_labels_canonical(ctx, &r.l, cs, 1), OPTML_OK);
    ASSERT_EQ_STR(r.l.code[0], "b");
    ASSERT_EQ_STR(r.l.name[0], "b");
    ASSERT_EQ_STR(r.l.code[3], "x");
    parsed_free(&r);
    free(ctx);
}

TEST(news_labels_rename_from_json)
{
    struct parsed r;
    parse(&r, ROW("1", "pos") ROW("2", "neg"));
    optml_ctx *ctx = ctx_new();
    ASSERT_EQ_INT(nc_labels_rename(ctx, &r.l, NULL), OPTML_OK);
    ASSERT_EQ_INT(nc_labels_rename(ctx, &r.l, "{\"neg\": \"Negative\"}"), OPTML_OK);
    ASSERT_EQ_STR(r.l.name[1], "Negative");
    ASSERT_EQ_STR(r.l.name[0], "pos");
    ASSERT_EQ_STR(r.l.code[1], "neg");

    ASSERT_EQ_INT(nc_labels_rename(ctx, &r.l, "{\"neutral\": \"N\"}"), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(ctx), "'neutral'");
    rt_ctx_clear_error(ctx);
    ASSERT_EQ_INT(nc_labels_rename(ctx, &r.l, "{\"pos\": 1}"), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(ctx), "non-empty string");
    rt_ctx_clear_error(ctx);
    ASSERT_EQ_INT(nc_labels_rename(ctx, &r.l, "{\"pos\": \"\"}"), OPTML_E_CLIENT);
    rt_ctx_clear_error(ctx);
    ASSERT_EQ_INT(nc_labels_rename(ctx, &r.l, "[\"pos\"]"), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(ctx), "JSON object");
    rt_ctx_clear_error(ctx);
    ASSERT_EQ_INT(nc_labels_rename(ctx, &r.l, "{not json"), OPTML_E_CLIENT);
    rt_ctx_clear_error(ctx);
    ASSERT_EQ_STR(r.l.name[0], "pos");
    free(ctx);
    parsed_free(&r);
}

static void check_nul_category(const char *data, size_t len, size_t rows)
{
    struct parsed r;
    parse_chunked(&r, data, len, 0);
    ASSERT_EQ_INT(r.rc, 0);
    ASSERT_EQ_INT(r.c.n, rows);
    optml_ctx *ctx = ctx_new();
    struct nc_corpus *cs[] = {&r.c};
    ASSERT_EQ_INT(nc_labels_canonical(ctx, &r.l, cs, 1), OPTML_OK);
    for (size_t i = 0; i < r.l.k; i++)
        ASSERT_EQ_INT(*nc_strmap_get(&r.l.index, r.l.code[i], strlen(r.l.code[i])), i);
    for (size_t i = 0; i < r.c.n; i++)
        ASSERT(r.c.label[i] < r.l.k);
    /* the code is the bytes before the NUL: row 0 reads as "b" */
    ASSERT_EQ_STR(r.l.code[r.c.label[0]], "b");
    free(ctx);
    parsed_free(&r);
}

TEST(news_labels_canonical_survives_a_nul_byte_in_category)
{
    /* A NUL inside CATEGORY (a binary or damaged file).  Before the fix the
     * label was stored as "b" but indexed as "b\0z": with t e m also present
     * nc_labels_canonical dereferenced a NULL lookup (SIGSEGV); with a plain
     * "b" as well, two ids carried the code "b" and the index went stale. */
    static const char uci[] = "1\tx\tu\tp\tb\0z\ts\th\t1\n" ROW("y", "t") ROW("z", "e") ROW("w", "m");
    check_nul_category(uci, sizeof(uci) - 1, 4);
    static const char two[] = "1\tx\tu\tp\tb\0z\ts\th\t1\n" ROW("y", "t") ROW("v", "b");
    check_nul_category(two, sizeof(two) - 1, 3);
}

TEST(news_labels_canonical_refuses_non_utf8_category)
{
    /* Latin-1 "café" as a CATEGORY: its name could not be answered in JSON
     * (every prediction of it failed with "out of memory writing the
     * response"), so training refuses it up front. */
    struct parsed r;
    parse(&r, ROW("1", "b") ROW("2", "caf\xe9"));
    ASSERT_EQ_INT(r.l.k, 2);
    optml_ctx *ctx = ctx_new();
    struct nc_corpus *cs[] = {&r.c};
    ASSERT_EQ_INT(nc_labels_canonical(ctx, &r.l, cs, 1), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(ctx), "CATEGORY value number 2");
    ASSERT_CONTAINS(optml_error_message(ctx), "UTF-8");
    free(ctx);
    parsed_free(&r);
    /* UTF-8 is fine */
    parse(&r, ROW("1", "b") ROW("2", "caf\xc3\xa9"));
    ctx = ctx_new();
    cs[0] = &r.c;
    ASSERT_EQ_INT(nc_labels_canonical(ctx, &r.l, cs, 1), OPTML_OK);
    ASSERT_EQ_STR(r.l.name[1], "caf\xc3\xa9");
    free(ctx);
    parsed_free(&r);
}
