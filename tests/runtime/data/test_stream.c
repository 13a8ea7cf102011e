/*
 * test_stream.c: runtime/data/stream.c: gzip detection and inflation under every
 * framing, concatenated members, zero padding, trailing garbage, gzip that
 * ends early or is corrupt, segments of several files (records never span
 * them), RecordIO-wrapped file descriptors (objects as segments, fragments,
 * gzip inside, truncation), byte counts, and fixed buffer sizes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "support/datagen.h"
#include "support/harness.h"
#include "support/support.h"
#include "data/channel.h"
#include "data/framing.h"
#include "data/stream.h"

/* Read memory in every window / short-read combination; all must give `expect`. */
static void expect_mem(const void *data, size_t len, enum optml_framing fr, const char *expect)
{
    static const size_t windows[] = {0, 16, 29, 4096};
    static const size_t reads[] = {0, 1, 5};
    for (size_t w = 0; w < 4; w++)
        for (size_t m = 0; m < 3; m++) {
            struct optml_ctx ctx;
            optml_reader *r = NULL;
            rt_ctx_init(&ctx);
            ASSERT_EQ_INT(optml_memory_open(&ctx, data, len, fr, &r), OPTML_OK);
            if (windows[w])
                ASSERT_EQ_INT(rt_stream_set_window(rt_reader_stream(r), windows[w]), OPTML_OK);
            rt_stream_set_max_read(rt_reader_stream(r), reads[m]);
            char *s = reader_join(r);
            if (strcmp(s, expect) != 0)
                test_fail(__FILE__, __LINE__, "window %zu, max_read %zu: \"%s\" != \"%s\" (%s)", windows[w],
                          reads[m], s, expect, optml_error_message(&ctx));
            free(s);
            optml_reader_close(r);
        }
}

/* The error message of reading memory to the end; returns the status. */
static optml_status mem_error(const void *data, size_t len, enum optml_framing fr, char *msg, size_t size)
{
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_memory_open(&ctx, data, len, fr, &r), OPTML_OK);
    struct optml_record rec;
    optml_status st;
    while ((st = optml_reader_next(r, &rec)) == OPTML_OK)
        ;
    snprintf(msg, size, "%s", optml_error_message(&ctx));
    optml_reader_close(r);
    return st;
}

TEST(stream_gzip_each_framing)
{
    struct buf g = {0}, plain = {0};
    const char *lines = "alpha\r\nbeta\n\ngamma";
    buf_put_gzip(&g, lines, strlen(lines));
    expect_mem(g.p, g.n, OPTML_FRAME_LINES, "alpha|beta||gamma|END");
    expect_mem(g.p, g.n, OPTML_FRAME_FILE, "alpha\\x0D\\x0Abeta\\x0A\\x0Agamma|END");
    g.n = 0;
    buf_put_recordio(&plain, 0, "one", 3);
    buf_put_recordio(&plain, 1, "two", 3);
    buf_put_recordio(&plain, 3, "2b", 2);
    buf_put_gzip(&g, plain.p, plain.n);
    expect_mem(g.p, g.n, OPTML_FRAME_RECORDIO, "one|two\\x0A#\\xD7\\xCE2b|END");
    g.n = plain.n = 0;
    buf_put_tfrecord(&plain, "t1", 2);
    buf_put_tfrecord(&plain, "", 0);
    buf_put_tfrecord(&plain, "t3", 2);
    buf_put_gzip(&g, plain.p, plain.n);
    expect_mem(g.p, g.n, OPTML_FRAME_TFRECORD, "t1||t3|END");
    free(g.p);
    free(plain.p);
}

TEST(stream_gzip_offsets_are_decompressed)
{
    struct buf g = {0};
    const char *lines = "aaa\nbbbb\ncc\n";
    buf_put_gzip(&g, lines, strlen(lines));
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_memory_open(&ctx, g.p, g.n, OPTML_FRAME_LINES, &r), OPTML_OK);
    struct optml_record rec;
    uint64_t offs[] = {0, 4, 9};
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ_INT(optml_reader_next(r, &rec), OPTML_OK);
        ASSERT_EQ_INT(rec.offset, offs[i]);
        ASSERT_EQ_INT(rec.number, i + 1);
    }
    ASSERT_EQ_INT(optml_reader_next(r, &rec), OPTML_END);
    ASSERT_EQ_INT(optml_reader_bytes(r), g.n); /* compressed bytes */
    ASSERT_NEAR(optml_reader_progress(r), 1.0, 0);
    optml_reader_close(r);
    free(g.p);
}

TEST(stream_gzip_concatenated_members_and_zero_padding)
{
    struct buf g = {0};
    buf_put_gzip(&g, "a\nb", 3); /* a line may continue into the next member */
    buf_put_gzip(&g, "c\n", 2);
    buf_put_gzip(&g, "", 0);
    buf_put_gzip(&g, "d\n", 2);
    expect_mem(g.p, g.n, OPTML_FRAME_LINES, "a|bc|d|END");
    static const unsigned char zeros[700] = {0};
    buf_put(&g, zeros, sizeof(zeros));
    expect_mem(g.p, g.n, OPTML_FRAME_LINES, "a|bc|d|END");
    free(g.p);
}

TEST(stream_gzip_trailing_garbage_is_an_error)
{
    char msg[2048];
    struct buf g = {0};
    buf_put_gzip(&g, "x\n", 2);
    size_t member = g.n;
    buf_put(&g, "garbage", 7);
    ASSERT_EQ_INT(mem_error(g.p, g.n, OPTML_FRAME_LINES, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "unexpected bytes after the end of the gzip data");
    char want[64];
    snprintf(want, sizeof(want), "compressed offset %zu", member);
    ASSERT_CONTAINS(msg, want);
    /* Zeros, then anything (even another member) is garbage too. */
    g.n = member;
    buf_put(&g, "\0\0", 2);
    buf_put_gzip(&g, "y\n", 2);
    ASSERT_EQ_INT(mem_error(g.p, g.n, OPTML_FRAME_LINES, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "unexpected bytes after the end of the gzip data");
    /* One stray byte. */
    g.n = member;
    buf_put(&g, "\x1f", 1);
    ASSERT_EQ_INT(mem_error(g.p, g.n, OPTML_FRAME_LINES, msg, sizeof(msg)), OPTML_E_CLIENT);
    free(g.p);
}

TEST(stream_gzip_ends_early)
{
    char msg[2048], want[64];
    struct buf g = {0};
    char text[5000];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = i % 50 == 49 ? '\n' : (char)('a' + (i * 7) % 26);
    buf_put_gzip(&g, text, sizeof(text));
    size_t cuts[] = {g.n - 1, g.n - 8, g.n / 2, 10, 3, 2};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        enum optml_framing fr = i % 2 ? OPTML_FRAME_FILE : OPTML_FRAME_LINES;
        ASSERT_EQ_INT(mem_error(g.p, cuts[i], fr, msg, sizeof(msg)), OPTML_E_CLIENT);
        ASSERT_CONTAINS(msg, "gzip data ends early");
        ASSERT_CONTAINS(msg, "in-memory data");
        snprintf(want, sizeof(want), "compressed offset %zu", cuts[i]);
        ASSERT_CONTAINS(msg, want);
    }
    /* One byte of the magic is plain data. */
    expect_mem("\x1f", 1, OPTML_FRAME_FILE, "\\x1F|END");
    free(g.p);
}

TEST(stream_gzip_corrupt)
{
    char msg[2048];
    struct buf g = {0};
    buf_put_gzip(&g, "hello hello hello\n", 18);
    g.p[12] ^= 0xFF;
    g.p[13] ^= 0xFF;
    optml_status st = mem_error(g.p, g.n, OPTML_FRAME_LINES, msg, sizeof(msg));
    ASSERT_EQ_INT(st, OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "gzip");
    ASSERT_CONTAINS(msg, "compressed offset");
    free(g.p);
}

TEST(stream_gzip_large_many_windows)
{
    struct buf plain = {0}, g = {0};
    char line[64];
    for (int i = 0; i < 50000; i++) {
        int k = snprintf(line, sizeof(line), "%d,%d,%d\n", i, i * 3, i % 7);
        buf_put(&plain, line, (size_t)k);
    }
    buf_put_gzip(&g, plain.p, plain.n);
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_memory_open(&ctx, g.p, g.n, OPTML_FRAME_LINES, &r), OPTML_OK);
    struct optml_record rec;
    int i = 0;
    double last = 0;
    while (optml_reader_next(r, &rec) == OPTML_OK) {
        int k = snprintf(line, sizeof(line), "%d,%d,%d", i, i * 3, i % 7);
        ASSERT_EQ_INT(rec.len, k);
        ASSERT(memcmp(rec.data, line, (size_t)k) == 0);
        ASSERT_EQ_INT(rec.number, i + 1);
        double p = optml_reader_progress(r);
        ASSERT(p >= last && p <= 1.0);
        last = p;
        i++;
    }
    ASSERT_EQ_INT(i, 50000);
    ASSERT_EQ_STR(optml_error_message(&ctx), "");
    ASSERT_NEAR(optml_reader_progress(r), 1.0, 0);
    optml_reader_close(r);
    free(plain.p);
    free(g.p);
}

/* ---- several files ---- */

TEST(stream_files_records_never_span_files)
{
    char *dir = tmpdir_new();
    struct buf g = {0};
    buf_put_gzip(&g, "g1\ng2", 5);
    write_file(dir, "f1", "a\nb", (size_t)-1);
    write_file(dir, "f2", "", 0);
    write_file(dir, "f3.gz", g.p, g.n);
    write_file(dir, "f4", "c\r\n", (size_t)-1);
    char *paths[4] = {path_join(dir, "f1"), path_join(dir, "f2"), path_join(dir, "f3.gz"), path_join(dir, "f4")};
    const char *names[4] = {"f1", "f2", "f3.gz", "f4"};
    uint64_t sizes[4] = {3, 0, g.n, 3};
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_stream *s = NULL;
    ASSERT_EQ_INT(rt_stream_open_files(&ctx, (const char *const *)paths, names, sizes, 4, "train", &s), OPTML_OK);
    ASSERT_EQ_INT(rt_stream_raw_total(s), 6 + g.n);
    struct rt_framer f;
    ASSERT_EQ_INT(rt_framer_init(&f, &ctx, OPTML_FRAME_LINES), OPTML_OK);
    struct optml_record rec;
    const char *want[][3] = {{"a", "f1", "1"}, {"b", "f1", "2"}, {"g1", "f3.gz", "1"}, {"g2", "f3.gz", "2"}, {"c", "f4", "1"}};
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ_INT(rt_framer_next(&f, s, &rec), OPTML_OK);
        ASSERT_EQ_INT(rec.len, strlen(want[i][0]));
        ASSERT(memcmp(rec.data, want[i][0], rec.len) == 0);
        ASSERT_EQ_STR(rec.source, want[i][1]);
        ASSERT_EQ_INT(rec.number, atoi(want[i][2]));
    }
    ASSERT_EQ_INT(rt_framer_next(&f, s, &rec), OPTML_END);
    ASSERT(rt_stream_finished(s));
    ASSERT_EQ_INT(rt_stream_raw_bytes(s), 6 + g.n);
    rt_framer_free(&f);
    rt_stream_close(s);
    /* A file that vanished: an error naming it and the channel. */
    unlink(paths[1]);
    ASSERT_EQ_INT(rt_stream_open_files(&ctx, (const char *const *)paths, names, NULL, 4, "train", &s), OPTML_OK);
    ASSERT_EQ_INT(rt_stream_raw_total(s), -1);
    ASSERT_EQ_INT(rt_framer_init(&f, &ctx, OPTML_FRAME_FILE), OPTML_OK);
    ASSERT_EQ_INT(rt_framer_next(&f, s, &rec), OPTML_OK);
    ASSERT_EQ_INT(rt_framer_next(&f, s, &rec), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&ctx), "cannot open file 'f2' of channel 'train'");
    rt_framer_free(&f);
    rt_stream_close(s);
    for (int i = 0; i < 4; i++)
        free(paths[i]);
    free(g.p);
    free(dir);
}

/* ---- RecordIO-wrapped descriptors ---- */

/* A descriptor reading `data` (through a temp file: reads like a FIFO's). */
static int fd_of(const char *dir, const char *name, const void *data, size_t len)
{
    write_file(dir, name, data, len);
    char *p = path_join(dir, name);
    int fd = open(p, O_RDONLY);
    ASSERT(fd >= 0);
    free(p);
    return fd;
}

/* Records of a wrapped fd, as "source:number:data|...|STATUS". */
static char *wrapped_join(int fd, enum optml_framing fr, size_t window, size_t max_read, struct optml_ctx *ctx)
{
    struct rt_stream *s = NULL;
    rt_ctx_init(ctx);
    ASSERT_EQ_INT(rt_stream_open_fd(ctx, fd, "train_0", 1, &s), OPTML_OK);
    if (window)
        ASSERT_EQ_INT(rt_stream_set_window(s, window), OPTML_OK);
    rt_stream_set_max_read(s, max_read);
    ASSERT_EQ_INT(rt_stream_raw_total(s), -1);
    struct rt_framer f;
    ASSERT_EQ_INT(rt_framer_init(&f, ctx, fr), OPTML_OK);
    struct buf out = {0};
    struct optml_record rec;
    optml_status st;
    while ((st = rt_framer_next(&f, s, &rec)) == OPTML_OK) {
        char head[64];
        int k = snprintf(head, sizeof(head), "%s:%llu:", rec.source, (unsigned long long)rec.number);
        buf_put(&out, head, (size_t)k);
        buf_put_escaped(&out, rec.data, rec.len);
        buf_put(&out, "|", 1);
    }
    const char *name = optml_status_name(st);
    buf_put(&out, name, strlen(name) + 1);
    rt_framer_free(&f);
    rt_stream_close(s);
    return (char *)out.p;
}

/* Reading len bytes of wrapped `data` with `fr` must give `want`, and the
 * error message must hold every one of the NULL-terminated `needles`. */
static void wrapped_fails(const char *dir, const void *data, size_t len, enum optml_framing fr,
                          const char *want, const char *const *needles)
{
    struct optml_ctx ctx;
    char *s = wrapped_join(fd_of(dir, "w", data, len), fr, 0, 0, &ctx);
    ASSERT_EQ_STR(s, want);
    for (size_t i = 0; needles[i]; i++)
        ASSERT_CONTAINS(optml_error_message(&ctx), needles[i]);
    free(s);
}
#define WRAPPED_FAILS(dir, data, len, fr, want, ...) \
    wrapped_fails(dir, data, len, fr, want, (const char *const[]){__VA_ARGS__, NULL})

TEST(stream_wrapped_objects_are_segments)
{
    char *dir = tmpdir_new();
    struct buf w = {0}, g = {0};
    buf_put_recordio(&w, 0, "x\ny\n", 4);
    buf_put_recordio(&w, 0, "z", 1);
    buf_put_recordio(&w, 0, "", 0);
    buf_put_recordio(&w, 1, "p1", 2); /* fragments: the magic (0A 23 D7 CE) comes back between them */
    buf_put_recordio(&w, 3, "p2\n", 3);
    buf_put_gzip(&g, "gz1\ngz2\n", 8);
    buf_put_recordio(&w, 0, g.p, (uint32_t)g.n);
    const char *expect =
        "train_0#1:1:x|train_0#1:2:y|train_0#2:1:z|train_0#4:1:p1|train_0#4:2:#\\xD7\\xCEp2|"
        "train_0#5:1:gz1|train_0#5:2:gz2|END";
    size_t windows[] = {0, 16, 21};
    size_t reads[] = {0, 1, 6};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            struct optml_ctx ctx;
            char *s = wrapped_join(fd_of(dir, "w", w.p, w.n), OPTML_FRAME_LINES, windows[i], reads[j], &ctx);
            if (strcmp(s, expect) != 0)
                test_fail(__FILE__, __LINE__, "window %zu read %zu: %s (%s)", windows[i], reads[j], s,
                          optml_error_message(&ctx));
            free(s);
        }
    /* FILE framing: one record per object, even an empty one. */
    struct optml_ctx ctx;
    char *s = wrapped_join(fd_of(dir, "w", w.p, w.n), OPTML_FRAME_FILE, 0, 0, &ctx);
    ASSERT_EQ_STR(s, "train_0#1:1:x\\x0Ay\\x0A|train_0#2:1:z|train_0#3:1:|train_0#4:1:p1\\x0A#\\xD7\\xCEp2\\x0A|"
                     "train_0#5:1:gz1\\x0Agz2\\x0A|END");
    free(s);
    /* Framing that reads only part of an object: the rest is skipped. */
    struct buf r2 = {0}, inner = {0};
    buf_put_recordio(&inner, 0, "in1", 3);
    buf_put_recordio(&inner, 0, "in2", 3);
    buf_put_recordio(&r2, 0, inner.p, (uint32_t)inner.n);
    buf_put_recordio(&r2, 0, inner.p, (uint32_t)inner.n);
    s = wrapped_join(fd_of(dir, "w", r2.p, r2.n), OPTML_FRAME_RECORDIO, 0, 1, &ctx);
    ASSERT_EQ_STR(s, "train_0#1:1:in1|train_0#1:2:in2|train_0#2:1:in1|train_0#2:2:in2|END");
    free(s);
    free(w.p);
    free(g.p);
    free(r2.p);
    free(inner.p);
    free(dir);
}

TEST(stream_wrapped_errors)
{
    char *dir = tmpdir_new();
    struct buf w = {0};
    buf_put_recordio(&w, 0, "ok\n", 3);
    buf_put(&w, "JUNKJUNK", 8);
    WRAPPED_FAILS(dir, w.p, w.n, OPTML_FRAME_LINES, "train_0#1:1:ok|E_CLIENT",
                  "does not start with the RecordIO magic number 0xCED7230A", "FIFO 'train_0', offset 12");
    /* The writer stopped in the middle of an object. */
    w.n = 0;
    buf_put_recordio(&w, 0, "0123456789\n", 11);
    WRAPPED_FAILS(dir, w.p, 14, OPTML_FRAME_LINES, "E_CLIENT", "truncated record", "5 payload bytes missing",
                  "FIFO 'train_0', offset 14");
    WRAPPED_FAILS(dir, w.p, 6, OPTML_FRAME_LINES, "E_CLIENT",
                  "truncated record: the stream ends inside a RecordIO header");
    /* A first fragment and then the end. */
    w.n = 0;
    buf_put_recordio(&w, 1, "abc", 3);
    WRAPPED_FAILS(dir, w.p, w.n, OPTML_FRAME_FILE, "E_CLIENT", "truncated record");
    /* A continuation flag where an object starts. */
    w.n = 0;
    buf_put_recordio(&w, 3, "abc", 3);
    WRAPPED_FAILS(dir, w.p, w.n, OPTML_FRAME_FILE, "E_CLIENT", "invalid RecordIO continuation flag 3");
    /* Gzip inside an object that ends early names the object. */
    struct optml_ctx ctx;
    struct buf g = {0};
    buf_put_gzip(&g, "hello\n", 6);
    w.n = 0;
    buf_put_recordio(&w, 0, g.p, (uint32_t)g.n - 4);
    char *s = wrapped_join(fd_of(dir, "w", w.p, w.n), OPTML_FRAME_LINES, 0, 0, &ctx);
    ASSERT_CONTAINS(s, "E_CLIENT");
    ASSERT_CONTAINS(optml_error_message(&ctx), "gzip data ends early");
    ASSERT_CONTAINS(optml_error_message(&ctx), "object 1 of FIFO 'train_0'");
    free(s);
    free(g.p);
    free(w.p);
    free(dir);
}

TEST(stream_window_api)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_stream *s = NULL;
    ASSERT_EQ_INT(rt_stream_open_memory(&ctx, "abcdef", 6, "body", &s), OPTML_OK);
    ASSERT_EQ_INT(rt_stream_set_window(s, 8), OPTML_E_INTERNAL); /* below the minimum */
    ASSERT_EQ_INT(rt_stream_set_window(s, 16), OPTML_OK);
    ASSERT_EQ_INT(rt_stream_next_segment(s), OPTML_OK);
    ASSERT_EQ_STR(rt_stream_name(s), "body");
    ASSERT_EQ_STR(rt_stream_where(s), "body");
    ASSERT_EQ_INT(rt_stream_set_window(s, 32), OPTML_E_INTERNAL); /* too late */
    unsigned char *p;
    size_t n;
    ASSERT_EQ_INT(rt_stream_fill(s, 2, &p, &n), OPTML_OK);
    ASSERT(n >= 2 && memcmp(p, "ab", 2) == 0);
    rt_stream_consume(s, 2);
    ASSERT_EQ_INT(rt_stream_offset(s), 2);
    ASSERT_EQ_INT(rt_stream_fill(s, 100, &p, &n), OPTML_OK);
    ASSERT_EQ_INT(n, 4);
    ASSERT(memcmp(p, "cdef", 4) == 0);
    rt_stream_consume(s, 4);
    ASSERT_EQ_INT(rt_stream_fill(s, 1, &p, &n), OPTML_OK);
    ASSERT_EQ_INT(n, 0);
    ASSERT_EQ_INT(rt_stream_next_segment(s), OPTML_END);
    ASSERT_EQ_INT(rt_stream_next_segment(s), OPTML_END);
    ASSERT(rt_stream_finished(s));
    rt_stream_close(s);
    rt_stream_close(NULL);
}

/* FIXED framing (API 4.3): records of the size set, which may change between
 * records; the last of a source is shorter when the data ends inside it;
 * the same through gzip and in every window / short-read combination. */
static char *fixed_join(const void *data, size_t len, size_t window, size_t max_read, const size_t *sizes,
                        size_t n_sizes)
{
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_memory_open(&ctx, data, len, OPTML_FRAME_FIXED, &r), OPTML_OK);
    if (window)
        ASSERT_EQ_INT(rt_stream_set_window(rt_reader_stream(r), window), OPTML_OK);
    rt_stream_set_max_read(rt_reader_stream(r), max_read);
    struct buf out = {0};
    struct optml_record rec;
    optml_status st;
    for (size_t i = 0;; i++) {
        if (i < n_sizes)
            ASSERT_EQ_INT(optml_reader_set_record_size(r, sizes[i]), OPTML_OK);
        if ((st = optml_reader_next(r, &rec)) != OPTML_OK)
            break;
        char head[64];
        snprintf(head, sizeof(head), "%s@%llu:", i ? "|" : "", (unsigned long long)rec.offset);
        buf_put(&out, head, strlen(head));
        buf_put(&out, rec.data, rec.len);
    }
    ASSERT_EQ_INT(st, OPTML_END);
    buf_put(&out, "", 1);
    optml_reader_close(r);
    return (char *)out.p;
}

TEST(stream_fixed_records_plain_and_gzip)
{
    const char *data = "HDR!abcdefghijklmnopqrstuvwxyz0123456789-";
    static const size_t sizes[] = {4, 20};
    const char *expect = "@0:HDR!|@4:abcdefghijklmnopqrst|@24:uvwxyz0123456789-";
    struct buf g = {0};
    buf_put_gzip(&g, data, strlen(data));
    static const size_t windows[] = {0, 16, 4096};
    static const size_t reads[] = {0, 1, 5};
    for (size_t w = 0; w < 3; w++)
        for (size_t m = 0; m < 3; m++) {
            char *s = fixed_join(data, strlen(data), windows[w], reads[m], sizes, 2);
            ASSERT_EQ_STR(s, expect);
            free(s);
            s = fixed_join(g.p, g.n, windows[w], reads[m], sizes, 2);
            ASSERT_EQ_STR(s, expect);
            free(s);
        }
    /* default size 1 */
    char *s = fixed_join("xyz", 3, 0, 0, NULL, 0);
    ASSERT_EQ_STR(s, "@0:x|@1:y|@2:z");
    free(s);
    free(g.p);
}

TEST(stream_fixed_record_size_checked)
{
    struct optml_ctx ctx;
    optml_reader *r = NULL;
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_memory_open(&ctx, "ab", 2, OPTML_FRAME_FIXED, &r), OPTML_OK);
    ASSERT_EQ_INT(optml_reader_set_record_size(r, 0), OPTML_E_INTERNAL);
    ASSERT_EQ_INT(optml_reader_set_record_size(r, rt_max_record_bytes() + 1), OPTML_E_INTERNAL);
    optml_reader_close(r);
    rt_ctx_init(&ctx);
    ASSERT_EQ_INT(optml_memory_open(&ctx, "ab", 2, OPTML_FRAME_LINES, &r), OPTML_OK);
    ASSERT_EQ_INT(optml_reader_set_record_size(r, 4), OPTML_E_INTERNAL);
    ASSERT_CONTAINS(optml_error_message(&ctx), "not FIXED-framed");
    optml_reader_close(r);
}

TEST(stream_tfrecord_header_recognised)
{
    struct buf b = {0};
    buf_put_tfrecord(&b, "hello", 5);
    uint64_t len = 0;
    ASSERT(optml_tfrecord_header_valid(b.p, &len));
    ASSERT_EQ_INT((int)len, 5);
    b.p[0] ^= 1; /* the length no longer matches its CRC */
    ASSERT(!optml_tfrecord_header_valid(b.p, NULL));
    free(b.p);
}
