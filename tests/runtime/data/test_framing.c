/*
 * test_framing.c: runtime/data/framing.c over memory streams: lines (\n, \r\n,
 * empty lines, no final newline, numbers and offsets, long lines, the limit),
 * RecordIO (whole, padding, fragments with the magic re-inserted, wrong
 * magic, huge claimed lengths, truncation), TFRecord (round trip, both CRCs,
 * truncation), whole-segment records, each also with tiny windows and
 * one-byte reads.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/datagen.h"
#include "support/harness.h"
#include "data/channel.h"
#include "core/crc32c.h"
#include "data/framing.h"
#include "core/log.h"
#include "data/stream.h"

/* ---- reading ---- */

struct rd {
    struct optml_ctx ctx;
    optml_reader *r;
};

/* A memory reader; window 0 = default, max_read 0 = unlimited. */
static void rd_open(struct rd *d, const void *data, size_t len, enum optml_framing fr, size_t window,
                    size_t max_read)
{
    rt_ctx_init(&d->ctx);
    ASSERT_EQ_INT(optml_memory_open(&d->ctx, data, len, fr, &d->r), OPTML_OK);
    if (window)
        ASSERT_EQ_INT(rt_stream_set_window(rt_reader_stream(d->r), window), OPTML_OK);
    rt_stream_set_max_read(rt_reader_stream(d->r), max_read);
}

static char *join_mem(const void *data, size_t len, enum optml_framing fr, size_t window, size_t max_read)
{
    struct rd d;
    rd_open(&d, data, len, fr, window, max_read);
    char *s = reader_join(d.r);
    optml_reader_close(d.r);
    return s;
}

/* Every window / short-read combination gives `expect`. */
static void expect_all_ways(const void *data, size_t len, enum optml_framing fr, const char *expect)
{
    static const size_t windows[] = {0, 16, 17, 23, 64, 4096};
    static const size_t reads[] = {0, 1, 3, 7};
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
        for (size_t m = 0; m < sizeof(reads) / sizeof(reads[0]); m++) {
            char *s = join_mem(data, len, fr, windows[w], reads[m]);
            if (strcmp(s, expect) != 0)
                test_fail(__FILE__, __LINE__, "window %zu, max_read %zu: \"%s\" != \"%s\"", windows[w],
                          reads[m], s, expect);
            free(s);
        }
}

/* The first error of reading everything: status and message. */
static optml_status read_error(const void *data, size_t len, enum optml_framing fr, size_t max_record,
                               char *msg, size_t msgsize)
{
    struct rd d;
    rd_open(&d, data, len, fr, 0, 0);
    if (max_record)
        rt_reader_framer(d.r)->max_record = max_record;
    struct optml_record rec;
    optml_status st;
    while ((st = optml_reader_next(d.r, &rec)) == OPTML_OK)
        ;
    snprintf(msg, msgsize, "%s", optml_error_message(&d.ctx));
    /* Errors are sticky. */
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), st);
    optml_reader_close(d.r);
    return st;
}

/* ---- LINES ---- */

TEST(framing_lines_basic)
{
    const char *in = "a\nbb\r\n\n\r\nlast";
    expect_all_ways(in, strlen(in), OPTML_FRAME_LINES, "a|bb|||last|END");
    expect_all_ways("x\n", 2, OPTML_FRAME_LINES, "x|END");
    expect_all_ways("", 0, OPTML_FRAME_LINES, "END");
    expect_all_ways("\n", 1, OPTML_FRAME_LINES, "|END");
    /* A lone '\r' is data; only "\r\n" ends a line with it. */
    expect_all_ways("a\rb\nc\r", 6, OPTML_FRAME_LINES, "a\\x0Db|c\\x0D|END");
}

TEST(framing_lines_numbers_offsets_and_nul)
{
    const char *in = "one\r\n\ntwo\nthree";
    struct rd d;
    rd_open(&d, in, strlen(in), OPTML_FRAME_LINES, 0, 0);
    struct optml_record rec;
    const char *want[] = {"one", "", "two", "three"};
    uint64_t offs[] = {0, 5, 6, 10};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
        ASSERT_EQ_INT(rec.len, strlen(want[i]));
        ASSERT_EQ_STR((const char *)rec.data, want[i]); /* NUL-terminated */
        ASSERT_EQ_INT(rec.number, i + 1);
        ASSERT_EQ_INT(rec.offset, offs[i]);
        ASSERT_EQ_STR(rec.source, "<memory>");
    }
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_END);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_END);
    ASSERT_NEAR(optml_reader_progress(d.r), 1.0, 0);
    ASSERT_EQ_INT(optml_reader_bytes(d.r), strlen(in));
    optml_reader_close(d.r);
}

TEST(framing_lines_longer_than_window)
{
    /* Lines of many lengths around small windows, with both line ends. */
    struct buf in = {0}, expect = {0};
    for (int i = 0; i < 120; i++) {
        int len = (i * 37) % 100;
        for (int k = 0; k < len; k++) {
            char c = (char)('a' + (i + k) % 26);
            buf_put(&in, &c, 1);
            buf_put(&expect, &c, 1);
        }
        buf_put(&in, i % 3 == 0 ? "\r\n" : "\n", i % 3 == 0 ? 2 : 1);
        buf_put(&expect, "|", 1);
    }
    buf_put(&in, "tail", 4);
    buf_put(&expect, "tail|END", 9);
    expect_all_ways(in.p, in.n, OPTML_FRAME_LINES, (char *)expect.p);
    free(in.p);
    free(expect.p);
}

TEST(framing_lines_big_line_default_window)
{
    size_t n = 3 * RT_STREAM_WINDOW + 17;
    char *in = malloc(n + 2);
    memset(in, 'q', n);
    in[n - 1] = '\r';
    in[n] = '\n';
    in[n + 1] = 'z';
    struct rd d;
    rd_open(&d, in, n + 2, OPTML_FRAME_LINES, 0, 0);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
    ASSERT_EQ_INT(rec.len, n - 1);
    ASSERT(rec.data[0] == 'q' && rec.data[n - 2] == 'q' && rec.data[n - 1] == 0);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
    ASSERT_EQ_INT(rec.len, 1);
    ASSERT_EQ_INT(rec.offset, n + 1);
    ASSERT_EQ_INT(rec.number, 2);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_END);
    optml_reader_close(d.r);
    free(in);
}

TEST(framing_lines_over_limit)
{
    char in[600], msg[2048];
    memset(in, 'x', sizeof(in));
    memcpy(in, "ok\n", 3);
    ASSERT_EQ_INT(read_error(in, sizeof(in), OPTML_FRAME_LINES, 500, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "line 2 is longer than the record limit of 500 bytes");
    ASSERT_CONTAINS(msg, "OPTML_MAX_RECORD_MB");
    ASSERT_CONTAINS(msg, "offset 3");
    /* Exactly at the limit is fine. */
    in[503] = '\n';
    ASSERT_EQ_INT(read_error(in, sizeof(in), OPTML_FRAME_LINES, 500, msg, sizeof(msg)), OPTML_END);
}

TEST(framing_max_record_env)
{
    rt_log_set_level(OPTML_LOG_ERROR); /* the warnings for bad values */
    unsetenv("OPTML_MAX_RECORD_MB");
    ASSERT_EQ_INT(rt_max_record_bytes(), 64u << 20);
    setenv("OPTML_MAX_RECORD_MB", "3", 1);
    ASSERT_EQ_INT(rt_max_record_bytes(), 3u << 20);
    const char *bad[] = {"0", "-1", "abc", "2x", "99999999999", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("OPTML_MAX_RECORD_MB", bad[i], 1);
        ASSERT_EQ_INT(rt_max_record_bytes(), 64u << 20);
    }
    unsetenv("OPTML_MAX_RECORD_MB");
}

/* ---- RECORDIO ---- */

/* Runs of lines (optml_reader_next_lines): whole lines up to max bytes, a
 * first line longer than max alone, '\r' kept, the last line without its
 * newline, byte offsets; a line longer than the window alone and whole;
 * not for other framings. */
TEST(framing_line_runs)
{
    static const char text[] = "a\nbb\r\nccc\ndddddddd\neeee";
    struct rd d;
    rd_open(&d, text, strlen(text), OPTML_FRAME_LINES, 0, 0);
    struct optml_lines run;
    static const char *const want[] = {"a\nbb\r\n", "ccc\n", "dddddddd\n", "eeee"};
    static const uint64_t offs[] = {0, 6, 10, 19};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ_INT(optml_reader_next_lines(d.r, 7, &run), OPTML_OK);
        if (run.len != strlen(want[i]) || memcmp(run.data, want[i], run.len) != 0)
            test_fail(__FILE__, __LINE__, "run %d: '%.*s', want '%s'", i, (int)run.len, run.data, want[i]);
        ASSERT_EQ_INT((long long)run.offset, (long long)offs[i]);
        ASSERT_EQ_STR(run.source, "<memory>");
    }
    ASSERT_EQ_INT(optml_reader_next_lines(d.r, 7, &run), OPTML_END);
    optml_reader_close(d.r);

    /* Window of 16 bytes: a 40-byte line comes alone and whole (through
     * the record path: no newline, no '\r'), the lines around it in runs
     * that fit the window; every byte once, in order. */
    static const char wide[] = "x\ny\n0123456789012345678901234567890123456789\r\nz\n";
    rd_open(&d, wide, strlen(wide), OPTML_FRAME_LINES, 16, 0);
    char got[128] = "";
    size_t k = 0;
    while (optml_reader_next_lines(d.r, 1000, &run) == OPTML_OK) {
        ASSERT(run.len > 0 && run.len <= 40);
        k += (size_t)snprintf(got + k, sizeof(got) - k, "[%.*s]", (int)run.len, run.data);
    }
    ASSERT_EQ_STR(got, "[x\ny\n][0123456789012345678901234567890123456789][z\n]");
    optml_reader_close(d.r);

    rd_open(&d, "abc", 3, OPTML_FRAME_RECORDIO, 0, 0);
    ASSERT_EQ_INT(optml_reader_next_lines(d.r, 10, &run), OPTML_E_INTERNAL);
    optml_reader_close(d.r);
}

TEST(framing_recordio_whole_records_and_padding)
{
    struct buf b = {0};
    buf_put_recordio(&b, 0, "hello", 5);
    buf_put_recordio(&b, 0, "", 0);
    buf_put_recordio(&b, 0, "abcd", 4);
    buf_put_recordio(&b, 0, "xyz", 3);
    expect_all_ways(b.p, b.n, OPTML_FRAME_RECORDIO, "hello||abcd|xyz|END");
    struct rd d;
    rd_open(&d, b.p, b.n, OPTML_FRAME_RECORDIO, 0, 0);
    struct optml_record rec;
    uint64_t offs[] = {0, 16, 24, 36};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
        ASSERT_EQ_INT(rec.offset, offs[i]);
        ASSERT_EQ_INT(rec.number, i + 1);
    }
    optml_reader_close(d.r);
    /* The SDK's reader accepts a last record without its padding; so do we. */
    expect_all_ways(b.p, b.n - 1, OPTML_FRAME_RECORDIO, "hello||abcd|xyz|END");
    free(b.p);
}

TEST(framing_recordio_fragments_reinsert_magic)
{
    struct buf b = {0};
    buf_put_recordio(&b, 1, "AAAA", 4);
    buf_put_recordio(&b, 2, "BBBBBB", 6);
    buf_put_recordio(&b, 2, "", 0);
    buf_put_recordio(&b, 3, "C", 1);
    buf_put_recordio(&b, 0, "next", 4);
    buf_put_recordio(&b, 1, "first", 5);
    buf_put_recordio(&b, 3, "last", 4);
    expect_all_ways(b.p, b.n, OPTML_FRAME_RECORDIO,
                    "AAAA\\x0A#\\xD7\\xCEBBBBBB\\x0A#\\xD7\\xCE\\x0A#\\xD7\\xCEC|next|"
                    "first\\x0A#\\xD7\\xCElast|END");
    struct rd d;
    rd_open(&d, b.p, b.n, OPTML_FRAME_RECORDIO, 0, 0);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
    ASSERT_EQ_INT(rec.len, 4 + 4 + 6 + 4 + 0 + 4 + 1);
    ASSERT_EQ_INT(rec.offset, 0);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
    ASSERT_EQ_INT(rec.number, 2);
    ASSERT_EQ_INT(rec.offset, 12 + 16 + 8 + 12);
    optml_reader_close(d.r);
    free(b.p);
}

TEST(framing_recordio_wrong_magic)
{
    struct buf b = {0};
    char msg[2048];
    buf_put_recordio(&b, 0, "good", 4);
    buf_put(&b, "PAR1junkjunk", 12);
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "does not start with the RecordIO magic number 0xCED7230A");
    ASSERT_CONTAINS(msg, "found 0x31524150");
    ASSERT_CONTAINS(msg, "in-memory data, offset 12");
    free(b.p);
}

TEST(framing_recordio_huge_length_no_big_allocation)
{
    char msg[2048];
    struct buf b = {0};
    buf_put_le32(&b, 0xCED7230Au);
    buf_put_le32(&b, 0x1FFFFFFFu);
    buf_put(&b, "only a few bytes", 16);
    /* Over the default limit of 64 MiB: refused before reading. */
    unsetenv("OPTML_MAX_RECORD_MB");
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "RecordIO record of 536870911 bytes is larger than the record limit of 67108864 bytes");
    ASSERT_CONTAINS(msg, "offset 0");
    /* Under a raised limit: truncated at the end, and the buffer stayed small. */
    setenv("OPTML_MAX_RECORD_MB", "1024", 1);
    struct rd d;
    rd_open(&d, b.p, b.n, OPTML_FRAME_RECORDIO, 0, 0);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&d.ctx), "truncated record");
    ASSERT_CONTAINS(optml_error_message(&d.ctx), "16 of 536870911 bytes present");
    ASSERT(rt_reader_framer(d.r)->cap <= 4096);
    optml_reader_close(d.r);
    unsetenv("OPTML_MAX_RECORD_MB");
    free(b.p);
}

TEST(framing_recordio_truncation)
{
    char msg[2048];
    struct buf b = {0};
    buf_put_recordio(&b, 0, "0123456789", 10);
    ASSERT_EQ_INT(read_error(b.p, 5, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "truncated record: the data ends inside a RecordIO header (5 of 8 bytes)");
    ASSERT_EQ_INT(read_error(b.p, 12, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "truncated record: the data ends inside a RecordIO payload (4 of 10 bytes present)");
    ASSERT_CONTAINS(msg, "offset 0");
    /* A fragmented record without its last fragment. */
    struct buf f = {0};
    buf_put_recordio(&f, 1, "part", 4);
    ASSERT_EQ_INT(read_error(f.p, f.n, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "without its last fragment");
    free(b.p);
    free(f.p);
}

TEST(framing_recordio_bad_flags_and_fragment_limit)
{
    char msg[2048];
    struct buf b = {0};
    buf_put_recordio(&b, 2, "mid", 3);
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "continuation flag 2 but no first fragment");
    b.n = 0;
    buf_put_recordio(&b, 5, "x", 1);
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "continuation flag 5");
    b.n = 0;
    buf_put_recordio(&b, 1, "a", 1);
    buf_put_recordio(&b, 0, "b", 1);
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_RECORDIO, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "continuation flag 0 inside a fragmented record");
    ASSERT_CONTAINS(msg, "offset 12");
    /* Fragments whose sum passes the limit. */
    char big[300];
    memset(big, 'b', sizeof(big));
    b.n = 0;
    buf_put_recordio(&b, 1, big, 300);
    buf_put_recordio(&b, 3, big, 300);
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_RECORDIO, 500, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "fragmented RecordIO record of 604 bytes is larger than the record limit of 500");
    free(b.p);
}

TEST(framing_recordio_large_record_copy_path)
{
    size_t n = 2 * RT_STREAM_WINDOW + 3;
    unsigned char *payload = malloc(n);
    for (size_t i = 0; i < n; i++)
        payload[i] = (unsigned char)(i * 7);
    struct buf b = {0};
    buf_put_recordio(&b, 0, payload, (uint32_t)n);
    buf_put_recordio(&b, 0, "end", 3);
    struct rd d;
    rd_open(&d, b.p, b.n, OPTML_FRAME_RECORDIO, 0, 5000);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
    ASSERT_EQ_INT(rec.len, n);
    ASSERT(memcmp(rec.data, payload, n) == 0);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
    ASSERT_EQ_INT(rec.len, 3);
    ASSERT_EQ_INT(rec.offset, 8 + n + 1);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_END);
    optml_reader_close(d.r);
    free(payload);
    free(b.p);
}

/* ---- TFRECORD ---- */

TEST(framing_tfrecord_round_trip)
{
    struct buf b = {0};
    buf_put_tfrecord(&b, "", 0);
    buf_put_tfrecord(&b, "x", 1);
    buf_put_tfrecord(&b, "hello world", 11);
    expect_all_ways(b.p, b.n, OPTML_FRAME_TFRECORD, "|x|hello world|END");
    size_t n = RT_STREAM_WINDOW + 100;
    unsigned char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i ^ (i >> 8));
    buf_put_tfrecord(&b, big, n);
    buf_put_tfrecord(&b, "after", 5);
    struct rd d;
    rd_open(&d, b.p, b.n, OPTML_FRAME_TFRECORD, 0, 0);
    struct optml_record rec;
    uint64_t offs[] = {0, 16, 33, 60, 60 + 16 + n};
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
        ASSERT_EQ_INT(rec.offset, offs[i]);
        ASSERT_EQ_INT(rec.number, i + 1);
        if (i == 3)
            ASSERT(rec.len == n && memcmp(rec.data, big, n) == 0);
    }
    ASSERT_EQ_INT(rec.len, 5);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_END);
    optml_reader_close(d.r);
    free(big);
    free(b.p);
}

TEST(framing_tfrecord_bad_crcs)
{
    char msg[2048];
    struct buf b = {0};
    buf_put_tfrecord(&b, "first", 5);
    size_t second = b.n;
    buf_put_tfrecord(&b, "payload", 7);
    /* Length CRC: flip a bit of the second record's length CRC. */
    b.p[second + 8] ^= 1;
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "TFRecord length CRC mismatch");
    ASSERT_CONTAINS(msg, "offset 21");
    b.p[second + 8] ^= 1;
    /* Payload byte. */
    b.p[second + 13] ^= 0x40;
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "TFRecord payload CRC mismatch");
    ASSERT_CONTAINS(msg, "offset 21");
    b.p[second + 13] ^= 0x40;
    /* Payload CRC byte. */
    b.p[b.n - 1] ^= 0x80;
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "payload CRC mismatch");
    b.p[b.n - 1] ^= 0x80;
    ASSERT_EQ_INT(read_error(b.p, b.n, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_END);
    free(b.p);
}

TEST(framing_tfrecord_truncated_and_too_large)
{
    char msg[2048];
    struct buf b = {0};
    buf_put_tfrecord(&b, "0123456789", 10);
    ASSERT_EQ_INT(read_error(b.p, 7, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "truncated record: the data ends inside a TFRecord header (7 of 12 bytes)");
    ASSERT_EQ_INT(read_error(b.p, 15, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "truncated record: the data ends inside a TFRecord payload");
    ASSERT_EQ_INT(read_error(b.p, b.n - 2, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "TFRecord payload CRC");
    ASSERT_CONTAINS(msg, "offset 0");
    /* A valid header claiming far more than is there. */
    struct buf h = {0};
    buf_put_le64(&h, (uint64_t)1 << 40);
    buf_put_le32(&h, rt_crc32c_mask(rt_crc32c(h.p, 8)));
    buf_put(&h, "tiny", 4);
    ASSERT_EQ_INT(read_error(h.p, h.n, OPTML_FRAME_TFRECORD, 0, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "TFRecord record of 1099511627776 bytes is larger than the record limit");
    h.n = 0;
    buf_put_le64(&h, 100000);
    buf_put_le32(&h, rt_crc32c_mask(rt_crc32c(h.p, 8)));
    buf_put(&h, "tiny", 4);
    struct rd d;
    rd_open(&d, h.p, h.n, OPTML_FRAME_TFRECORD, 0, 0);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&d.ctx), "4 of 100000 bytes present");
    ASSERT(rt_reader_framer(d.r)->cap <= 4096);
    optml_reader_close(d.r);
    free(b.p);
    free(h.p);
}

/* ---- FILE ---- */

TEST(framing_file_whole_segment)
{
    expect_all_ways("abc\ndef", 7, OPTML_FRAME_FILE, "abc\\x0Adef|END");
    expect_all_ways("", 0, OPTML_FRAME_FILE, "|END");
    size_t n = 3 * RT_STREAM_WINDOW;
    char *big = malloc(n);
    memset(big, 'z', n);
    struct rd d;
    rd_open(&d, big, n, OPTML_FRAME_FILE, 0, 1000);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_OK);
    ASSERT(rec.len == n && rec.data[0] == 'z' && rec.data[n - 1] == 'z' && rec.data[n] == 0);
    ASSERT_EQ_INT(rec.number, 1);
    ASSERT_EQ_INT(optml_reader_next(d.r, &rec), OPTML_END);
    optml_reader_close(d.r);
    char msg[2048];
    ASSERT_EQ_INT(read_error(big, n, OPTML_FRAME_FILE, 1000, msg, sizeof(msg)), OPTML_E_CLIENT);
    ASSERT_CONTAINS(msg, "larger than the record limit of 1000 bytes");
    free(big);
}

TEST(framing_bad_framing_and_null_arguments)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_reader *r = (optml_reader *)1;
    ASSERT_EQ_INT(optml_memory_open(&ctx, "x", 1, (enum optml_framing)42, &r), OPTML_E_INTERNAL);
    ASSERT(r == NULL);
    ASSERT_EQ_INT(optml_memory_open(&ctx, NULL, 3, OPTML_FRAME_LINES, &r), OPTML_E_INTERNAL);
    ASSERT_EQ_INT(optml_memory_open(&ctx, NULL, 0, OPTML_FRAME_LINES, &r), OPTML_OK);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(r, &rec), OPTML_END);
    ASSERT_EQ_INT(optml_reader_next(r, NULL), OPTML_E_INTERNAL);
    optml_reader_close(r);
    optml_reader_close(NULL);
    ASSERT_NEAR(optml_reader_progress(NULL), -1.0, 0);
}
