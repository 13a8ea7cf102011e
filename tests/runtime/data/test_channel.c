/*
 * test_channel.c: runtime/data/channel.c: channel set-up and accessors, File-mode
 * listing (nested, sorted in byte order, hidden entries, symlinks, loops,
 * non-regular files), reading a File-mode channel (sources, numbering,
 * gzip files, progress to 1.0, errors naming the file), optml_file_open, and
 * Pipe mode with real FIFOs and forked writers: two passes, a FIFO that
 * appears late, RecordIO-wrapped objects, a writer that dies mid-record, and
 * stops while waiting, opening or reading.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/datagen.h"
#include "support/harness.h"
#include "support/support.h"
#include "data/channel.h"
#include "core/log.h"
#include "core/stop.h"

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A job with one channel `name` under a fresh data directory. */
struct fixture {
    struct optml_ctx ctx;
    struct optml_channel ch;
    char *data_dir;
};

static void fx_init(struct fixture *fx, const char *name, enum optml_input_mode mode, int wrapped,
                    const struct optml_channel_decl *decl)
{
    memset(fx, 0, sizeof(*fx));
    rt_ctx_init(&fx->ctx);
    fx->data_dir = tmpdir_new();
    struct rt_channel_config cfg = {.name = (char *)name, .mode = mode, .recordio_wrapped = wrapped};
    ASSERT_EQ_INT(rt_channel_init(&fx->ctx, &fx->ch, &cfg, decl, fx->data_dir), OPTML_OK);
    fx->ctx.channels = &fx->ch;
    fx->ctx.n_channels = 1;
}

static void fx_free(struct fixture *fx)
{
    rt_channel_free(&fx->ch);
    free(fx->data_dir);
}

/* Records as "source:number:offset:data|...|STATUS". */
static char *join(optml_reader *r)
{
    struct buf out = {0};
    struct optml_record rec;
    optml_status st;
    while ((st = optml_reader_next(r, &rec)) == OPTML_OK) {
        char head[300];
        int k = snprintf(head, sizeof(head), "%s:%llu:%llu:", rec.source, (unsigned long long)rec.number,
                         (unsigned long long)rec.offset);
        buf_put(&out, head, (size_t)k);
        buf_put(&out, rec.data, rec.len);
        buf_put(&out, "|", 1);
    }
    const char *name = optml_status_name(st);
    buf_put(&out, name, strlen(name) + 1);
    return (char *)out.p;
}

static char *read_channel(struct fixture *fx, enum optml_framing fr)
{
    optml_reader *r = NULL;
    const optml_channel *ch = optml_channel_get(&fx->ctx, fx->ch.cfg.name);
    ASSERT(ch == &fx->ch);
    optml_status st = optml_channel_open(&fx->ctx, ch, fr, &r);
    if (st != OPTML_OK) {
        ASSERT(r == NULL);
        return strdup(optml_status_name(st));
    }
    char *s = join(r);
    optml_reader_close(r);
    return s;
}

/* Fork a child that writes `data` into the FIFO at `path` (created after
 * `create_delay_ms` when >= 0) and then, if `hang`, sleeps instead of
 * closing. */
static pid_t fifo_writer(const char *path, const void *data, size_t len, long create_delay_ms, int hang)
{
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid > 0)
        return pid;
    signal(SIGPIPE, SIG_IGN);
    if (create_delay_ms >= 0) {
        sleep_ms(create_delay_ms);
        if (mkfifo(path, 0600) != 0)
            _exit(3);
    }
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        _exit(4);
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w <= 0)
            _exit(5);
        p += w;
        len -= (size_t)w;
    }
    if (hang)
        sleep_ms(30000);
    close(fd);
    _exit(0);
}

static int wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A Pipe-mode fixture for channel `name` with the FIFO of pass 0 made;
 * returns the FIFO's path. */
static char *fx_init_pipe(struct fixture *fx, const char *name, int wrapped)
{
    fx_init(fx, name, OPTML_MODE_PIPE, wrapped, NULL);
    char *fifo = rt_channel_fifo_path(&fx->ch, 0);
    ASSERT(mkfifo(fifo, 0600) == 0);
    return fifo;
}

/* While a child writes data[0..len) into `fifo` and exits, the channel's
 * next pass reads as `want`. */
static void expect_piped(struct fixture *fx, const char *fifo, const void *data, size_t len,
                         enum optml_framing fr, const char *want)
{
    pid_t pid = fifo_writer(fifo, data, len, -1, 0);
    char *s = read_channel(fx, fr);
    ASSERT_EQ_STR(s, want);
    ASSERT_EQ_INT(wait_child(pid), 0);
    free(s);
}

/* ---- set-up and accessors ---- */

TEST(channel_init_and_accessors)
{
    static const char *const types[] = {"text/csv", "application/x-recordio-protobuf", NULL};
    static const struct optml_channel_decl decl = {"train", OPTML_CHANNEL_REQUIRED, types};
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_FILE, 0, &decl);
    const optml_channel *ch = optml_channel_get(&fx.ctx, "train");
    ASSERT(ch != NULL);
    ASSERT_EQ_STR(optml_channel_name(ch), "train");
    ASSERT_EQ_INT(optml_channel_mode(ch), OPTML_MODE_FILE);
    ASSERT_EQ_STR(optml_channel_content_type(ch), "text/csv"); /* the declared default */
    char *want = path_join(fx.data_dir, "train");
    ASSERT_EQ_STR(fx.ch.path, want);
    free(want);
    ASSERT(optml_channel_get(&fx.ctx, "validation") == NULL);
    ASSERT(optml_channel_get(&fx.ctx, NULL) == NULL);
    fx.ch.cfg.content_type = strdup("application/x-recordio-protobuf");
    ASSERT_EQ_STR(optml_channel_content_type(ch), "application/x-recordio-protobuf");
    fx.ch.decl = NULL;
    free(fx.ch.cfg.content_type);
    fx.ch.cfg.content_type = NULL;
    ASSERT_EQ_STR(optml_channel_content_type(ch), "application/octet-stream");
    struct optml_ctx bare;
    rt_ctx_init(&bare);
    ASSERT(optml_channel_get(&bare, "train") == NULL);
    fx_free(&fx);
    rt_channel_free(&fx.ch); /* twice: it was zeroed */
    /* The configuration is copied, not borrowed. */
    char name[] = "valid", ctype[] = "text/csv";
    struct rt_channel_config cfg = {.name = name, .content_type = ctype, .mode = OPTML_MODE_PIPE, .recordio_wrapped = 1};
    struct optml_channel c2;
    ASSERT_EQ_INT(rt_channel_init(&bare, &c2, &cfg, NULL, "/data"), OPTML_OK);
    name[0] = 'X';
    ctype[0] = 'X';
    ASSERT_EQ_STR(optml_channel_name(&c2), "valid");
    ASSERT_EQ_STR(optml_channel_content_type(&c2), "text/csv");
    ASSERT_EQ_STR(c2.path, "/data/valid");
    ASSERT_EQ_INT(c2.cfg.recordio_wrapped, 1);
    char *fifo = rt_channel_fifo_path(&c2, 3);
    ASSERT_EQ_STR(fifo, "/data/valid_3");
    free(fifo);
    const char *const *paths = (const char *const *)1;
    size_t n = 99;
    ASSERT_EQ_INT(optml_channel_files(&bare, &c2, &paths, &n), OPTML_OK);
    ASSERT_EQ_INT(n, 0);
    rt_channel_free(&c2);
    /* Names that would leave the data directory. */
    const char *bad[] = {"", ".", "..", "a/b", "../x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rt_channel_config b = {.name = (char *)bad[i]};
        rt_ctx_init(&bare);
        ASSERT_EQ_INT(rt_channel_init(&bare, &c2, &b, NULL, "/data"), OPTML_E_CLIENT);
        ASSERT_CONTAINS(optml_error_message(&bare), "invalid channel name");
        rt_channel_free(&c2);
    }
    struct optml_channel zero;
    memset(&zero, 0, sizeof(zero));
    rt_channel_free(&zero);
    rt_channel_free(NULL);
}

/* ---- File mode ---- */

TEST(channel_list_sorted_hidden_skipped)
{
    rt_log_set_level(OPTML_LOG_ERROR); /* the skipped loop and dangling link */
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_FILE, 0, NULL);
    char *dir = fx.ch.path;
    write_file(dir, "b.csv", "bb", (size_t)-1);
    write_file(dir, "a/z.csv", "z", (size_t)-1);
    write_file(dir, "a.txt", "", 0);
    write_file(dir, "A.csv", "AAAA", (size_t)-1);
    write_file(dir, "a-b.csv", "ab", (size_t)-1);
    write_file(dir, "a/.hidden", "h", (size_t)-1);
    write_file(dir, ".hidden_dir/x.csv", "x", (size_t)-1);
    write_file(dir, "a/.git/config", "g", (size_t)-1);
    write_file(dir, "a/b/c/deep.csv", "deep", (size_t)-1);
    char *p = path_join(dir, "empty");
    mkdirs(p);
    free(p);
    p = path_join(dir, "link.csv");
    ASSERT(symlink("b.csv", p) == 0);
    free(p);
    p = path_join(dir, "dangling.csv");
    ASSERT(symlink("nowhere", p) == 0);
    free(p);
    p = path_join(dir, "a/b/loop");
    ASSERT(symlink("..", p) == 0);
    free(p);
    p = path_join(dir, "fifo");
    ASSERT(mkfifo(p, 0600) == 0);
    free(p);

    const char *const *files = NULL;
    size_t n = 0;
    ASSERT_EQ_INT(optml_channel_files(&fx.ctx, &fx.ch, &files, &n), OPTML_OK);
    const char *want[] = {"A.csv", "a-b.csv", "a.txt", "a/b/c/deep.csv", "a/z.csv", "b.csv", "link.csv"};
    uint64_t sizes[] = {4, 2, 0, 4, 1, 2, 2};
    ASSERT_EQ_INT(n, 7);
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ_STR(files[i], want[i]);
        char *abs = path_join(dir, want[i]);
        ASSERT_EQ_STR(optml_channel_file_path(&fx.ch, i), abs);
        free(abs);
        ASSERT_EQ_INT(fx.ch.sizes[i], sizes[i]);
    }
    ASSERT(optml_channel_file_path(&fx.ch, 7) == NULL);
    ASSERT_EQ_INT(fx.ch.total_bytes, 15);
    ASSERT_EQ_INT(fx.ch.listed, 1);
    /* Listing again is a no-op. */
    ASSERT_EQ_INT(rt_channel_list(&fx.ctx, &fx.ch), OPTML_OK);
    ASSERT_EQ_INT(fx.ch.n_files, 7);
    fx_free(&fx);
}

TEST(channel_missing_directory)
{
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_FILE, 0, NULL);
    const char *const *files = NULL;
    size_t n = 5;
    ASSERT_EQ_INT(optml_channel_files(&fx.ctx, &fx.ch, &files, &n), OPTML_E_CLIENT);
    ASSERT_EQ_INT(n, 0);
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), "channel 'train'");
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), "does not exist");
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), fx.ch.path);
    optml_reader *r = (optml_reader *)1;
    ASSERT_EQ_INT(optml_channel_open(&fx.ctx, &fx.ch, OPTML_FRAME_LINES, &r), OPTML_E_CLIENT);
    ASSERT(r == NULL);
    /* A file where the directory should be. */
    write_file(fx.data_dir, "train", "oops", (size_t)-1);
    rt_ctx_clear_error(&fx.ctx);
    ASSERT_EQ_INT(rt_channel_list(&fx.ctx, &fx.ch), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), "is not a directory");
    fx_free(&fx);
}

TEST(channel_file_mode_reads_all_files_in_order)
{
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_FILE, 0, NULL);
    struct buf g = {0};
    buf_put_gzip(&g, "3,c\n4,d", 7);
    write_file(fx.ch.path, "part-1.csv", "1,a\n2,b\n", (size_t)-1);
    write_file(fx.ch.path, "part-2.csv.gz", g.p, g.n);
    write_file(fx.ch.path, "sub/part-3.csv", "\r\n5,e\r\n", (size_t)-1);
    write_file(fx.ch.path, "sub/.part-4.csv", "hidden\n", (size_t)-1);
    const char *expect = "part-1.csv:1:0:1,a|part-1.csv:2:4:2,b|part-2.csv.gz:1:0:3,c|part-2.csv.gz:2:4:4,d|"
                         "sub/part-3.csv:1:0:|sub/part-3.csv:2:2:5,e|END";
    for (int pass = 0; pass < 2; pass++) {
        char *s = read_channel(&fx, OPTML_FRAME_LINES);
        ASSERT_EQ_STR(s, expect);
        free(s);
    }
    /* Progress: grows, reaches exactly 1.0, and counts on-disk bytes. */
    optml_reader *r = NULL;
    ASSERT_EQ_INT(optml_channel_open(&fx.ctx, &fx.ch, OPTML_FRAME_FILE, &r), OPTML_OK);
    ASSERT_NEAR(optml_reader_progress(r), 0.0, 0);
    struct optml_record rec;
    double last = 0;
    int count = 0;
    while (optml_reader_next(r, &rec) == OPTML_OK) {
        double p = optml_reader_progress(r);
        ASSERT(p > last && p <= 1.0);
        last = p;
        count++;
    }
    ASSERT_EQ_INT(count, 3);
    ASSERT_NEAR(optml_reader_progress(r), 1.0, 0);
    ASSERT_EQ_INT(optml_reader_bytes(r), fx.ch.total_bytes);
    ASSERT_EQ_INT(fx.ch.total_bytes, 8 + g.n + 7);
    optml_reader_close(r);
    free(g.p);
    fx_free(&fx);
}

TEST(channel_file_mode_errors_name_the_file)
{
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_FILE, 0, NULL);
    struct buf b = {0};
    buf_put_recordio(&b, 0, "good", 4);
    buf_put(&b, "not recordio", 12);
    write_file(fx.ch.path, "a.rec", b.p, 12);
    write_file(fx.ch.path, "sub/bad.rec", b.p, b.n);
    char *s = read_channel(&fx, OPTML_FRAME_RECORDIO);
    ASSERT_EQ_STR(s, "a.rec:1:0:good|sub/bad.rec:1:0:good|E_CLIENT");
    free(s);
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), "does not start with the RecordIO magic number 0xCED7230A");
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), "file 'sub/bad.rec' of channel 'train', offset 12");
    /* Gzip that ends early names the file and the compressed offset. */
    struct buf g = {0};
    buf_put_gzip(&g, "line one\nline two\n", 18);
    char want[128];
    snprintf(want, sizeof(want), "file 'x.gz' of channel 'valid', compressed offset %zu", g.n - 5);
    struct fixture fv;
    fx_init(&fv, "valid", OPTML_MODE_FILE, 0, NULL);
    write_file(fv.ch.path, "x.gz", g.p, g.n - 5);
    s = read_channel(&fv, OPTML_FRAME_LINES);
    ASSERT_CONTAINS(s, "E_CLIENT");
    ASSERT_CONTAINS(optml_error_message(&fv.ctx), "gzip data ends early");
    ASSERT_CONTAINS(optml_error_message(&fv.ctx), want);
    free(s);
    free(b.p);
    free(g.p);
    fx_free(&fx);
    fx_free(&fv);
}

TEST(channel_empty_directory)
{
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_FASTFILE, 0, NULL);
    char *p = fx.ch.path;
    mkdirs(p);
    optml_reader *r = NULL;
    ASSERT_EQ_INT(optml_channel_open(&fx.ctx, &fx.ch, OPTML_FRAME_LINES, &r), OPTML_OK);
    struct optml_record rec;
    ASSERT_EQ_INT(optml_reader_next(r, &rec), OPTML_END);
    ASSERT_NEAR(optml_reader_progress(r), 1.0, 0);
    optml_reader_close(r);
    fx_free(&fx);
}

TEST(channel_file_open)
{
    char *dir = tmpdir_new();
    write_file(dir, "one.csv", "x\ny\n", (size_t)-1);
    char *path = path_join(dir, "one.csv");
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_reader *r = NULL;
    ASSERT_EQ_INT(optml_file_open(&ctx, path, OPTML_FRAME_LINES, &r), OPTML_OK);
    char *s = join(r);
    char want[512];
    snprintf(want, sizeof(want), "%s:1:0:x|%s:2:2:y|END", path, path);
    ASSERT_EQ_STR(s, want);
    ASSERT_NEAR(optml_reader_progress(r), 1.0, 0);
    ASSERT_EQ_INT(optml_reader_bytes(r), 4);
    free(s);
    optml_reader_close(r);
    ASSERT_EQ_INT(optml_file_open(&ctx, dir, OPTML_FRAME_LINES, &r), OPTML_E_CLIENT);
    ASSERT_CONTAINS(optml_error_message(&ctx), "is a directory");
    rt_ctx_clear_error(&ctx);
    char *missing = path_join(dir, "missing.csv");
    ASSERT_EQ_INT(optml_file_open(&ctx, missing, OPTML_FRAME_LINES, &r), OPTML_E_CLIENT);
    ASSERT(r == NULL);
    ASSERT_CONTAINS(optml_error_message(&ctx), "missing.csv");
    free(missing);
    free(path);
    free(dir);
}

/* ---- Pipe mode ---- */

TEST(channel_pipe_two_passes)
{
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_PIPE, 0, NULL);
    char *f0 = rt_channel_fifo_path(&fx.ch, 0), *f1 = rt_channel_fifo_path(&fx.ch, 1);
    ASSERT(mkfifo(f0, 0600) == 0 && mkfifo(f1, 0600) == 0);
    pid_t w0 = fifo_writer(f0, "p0 a\np0 b\n", 10, -1, 0);
    pid_t w1 = fifo_writer(f1, "p1 a\r\np1 b", 10, -1, 0);
    const char *const *files = NULL;
    size_t n = 7;
    ASSERT_EQ_INT(optml_channel_files(&fx.ctx, &fx.ch, &files, &n), OPTML_OK);
    ASSERT_EQ_INT(n, 0);
    optml_reader *r = NULL;
    ASSERT_EQ_INT(optml_channel_open(&fx.ctx, &fx.ch, OPTML_FRAME_LINES, &r), OPTML_OK);
    ASSERT_NEAR(optml_reader_progress(r), -1.0, 0);
    char *s = join(r);
    ASSERT_EQ_STR(s, "train_0:1:0:p0 a|train_0:2:5:p0 b|END");
    ASSERT_EQ_INT(optml_reader_bytes(r), 10);
    ASSERT_NEAR(optml_reader_progress(r), -1.0, 0);
    free(s);
    optml_reader_close(r);
    ASSERT_EQ_INT(fx.ch.next_pass, 1);
    s = read_channel(&fx, OPTML_FRAME_LINES);
    ASSERT_EQ_STR(s, "train_1:1:0:p1 a|train_1:2:6:p1 b|END");
    free(s);
    ASSERT_EQ_INT(fx.ch.next_pass, 2);
    ASSERT_EQ_INT(wait_child(w0), 0);
    ASSERT_EQ_INT(wait_child(w1), 0);
    free(f0);
    free(f1);
    fx_free(&fx);
}

TEST(channel_pipe_fifo_appears_late_gzip)
{
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_PIPE, 0, NULL);
    char *f0 = rt_channel_fifo_path(&fx.ch, 0);
    struct buf g = {0};
    buf_put_gzip(&g, "late\n", 5);
    buf_put_gzip(&g, "member two\n", 11);
    double t0 = now_s();
    pid_t w = fifo_writer(f0, g.p, g.n, 400, 0);
    char *s = read_channel(&fx, OPTML_FRAME_LINES);
    ASSERT_EQ_STR(s, "train_0:1:0:late|train_0:2:5:member two|END");
    ASSERT(now_s() - t0 >= 0.35);
    ASSERT_EQ_INT(wait_child(w), 0);
    free(s);
    free(g.p);
    free(f0);
    fx_free(&fx);
}

TEST(channel_pipe_recordio_wrapped_lines)
{
    struct fixture fx;
    char *f0 = fx_init_pipe(&fx, "train", 1);
    struct buf w = {0}, g = {0};
    buf_put_recordio(&w, 0, "a,1\nb,2\n", 8);
    buf_put_recordio(&w, 0, "c,3", 3);
    buf_put_gzip(&g, "d,4\n", 4);
    buf_put_recordio(&w, 0, g.p, (uint32_t)g.n);
    expect_piped(&fx, f0, w.p, w.n, OPTML_FRAME_LINES,
                 "train_0#1:1:0:a,1|train_0#1:2:4:b,2|train_0#2:1:0:c,3|train_0#3:1:0:d,4|END");
    free(w.p);
    free(g.p);
    free(f0);
    fx_free(&fx);
}

TEST(channel_pipe_writer_dies_mid_record)
{
    /* RecordIO-wrapped: the object is cut short. */
    struct fixture fx;
    char *f0 = fx_init_pipe(&fx, "train", 1);
    struct buf w = {0};
    char payload[100];
    memset(payload, 'p', sizeof(payload));
    buf_put_recordio(&w, 0, "whole\n", 6);
    buf_put_recordio(&w, 0, payload, sizeof(payload));
    expect_piped(&fx, f0, w.p, 16 + 8 + 10, OPTML_FRAME_LINES, "train_0#1:1:0:whole|E_CLIENT");
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), "truncated record");
    ASSERT_CONTAINS(optml_error_message(&fx.ctx), "FIFO 'train_0', offset 34");
    /* Unwrapped, RecordIO framing: the record is cut short. */
    struct fixture fy;
    char *v0 = fx_init_pipe(&fy, "valid", 0);
    expect_piped(&fy, v0, w.p, 16 + 8 + 10, OPTML_FRAME_RECORDIO, "valid_0:1:0:whole\n|E_CLIENT");
    ASSERT_CONTAINS(optml_error_message(&fy.ctx), "truncated record");
    ASSERT_CONTAINS(optml_error_message(&fy.ctx), "10 of 100 bytes present");
    ASSERT_CONTAINS(optml_error_message(&fy.ctx), "FIFO 'valid_0', offset 16");
    free(w.p);
    free(f0);
    free(v0);
    fx_free(&fx);
    fx_free(&fy);
}

static void *set_stop_later(void *arg)
{
    (void)arg;
    sleep_ms(300);
    rt_stop_set(1);
    return NULL;
}

TEST(channel_pipe_stop_while_waiting_for_fifo)
{
    struct fixture fx;
    fx_init(&fx, "train", OPTML_MODE_PIPE, 0, NULL);
    rt_stop_set(0);
    pthread_t t;
    ASSERT(pthread_create(&t, NULL, set_stop_later, NULL) == 0);
    double t0 = now_s();
    optml_reader *r = (optml_reader *)1;
    ASSERT_EQ_INT(optml_channel_open(&fx.ctx, &fx.ch, OPTML_FRAME_LINES, &r), OPTML_STOPPED);
    double waited = now_s() - t0;
    ASSERT(waited >= 0.25 && waited < 5.0);
    ASSERT(r == NULL);
    ASSERT_EQ_INT(fx.ch.next_pass, 0);
    ASSERT_EQ_STR(optml_error_message(&fx.ctx), ""); /* a stop is not an error */
    pthread_join(t, NULL);
    rt_stop_set(0);
    fx_free(&fx);
}

/* SIGTERM delivered to this helper thread, not to the reader's thread, as
 * happens when a module's worker threads (OpenBLAS) exist. */
static void *sigterm_later(void *arg)
{
    (void)arg;
    sleep_ms(300);
    pthread_kill(pthread_self(), SIGTERM);
    return NULL;
}

TEST(channel_pipe_sigterm_in_another_thread_stops_a_blocked_reader)
{
    rt_stop_install_handlers();
    rt_stop_set(0);
    struct fixture fx;
    char *f0 = fx_init_pipe(&fx, "train", 0);
    pthread_t t;
    /* No writer ever comes: the open returns, the first read waits. */
    optml_reader *r = NULL;
    ASSERT_EQ_INT(optml_channel_open(&fx.ctx, &fx.ch, OPTML_FRAME_LINES, &r), OPTML_OK);
    ASSERT(pthread_create(&t, NULL, sigterm_later, NULL) == 0);
    struct optml_record rec;
    double t0 = now_s();
    ASSERT_EQ_INT(optml_reader_next(r, &rec), OPTML_STOPPED);
    ASSERT(now_s() - t0 < 5.0);
    pthread_join(t, NULL);
    optml_reader_close(r);
    rt_stop_set(0);
    /* The writer sent half a line and hangs. */
    fx.ch.next_pass = 0;
    pid_t pid = fifo_writer(f0, "half a li", 9, -1, 1);
    ASSERT_EQ_INT(optml_channel_open(&fx.ctx, &fx.ch, OPTML_FRAME_LINES, &r), OPTML_OK);
    ASSERT(pthread_create(&t, NULL, sigterm_later, NULL) == 0);
    ASSERT_EQ_INT(optml_reader_next(r, &rec), OPTML_STOPPED);
    ASSERT_EQ_INT(optml_reader_next(r, &rec), OPTML_STOPPED);
    pthread_join(t, NULL);
    optml_reader_close(r);
    kill(pid, SIGKILL);
    rt_stop_set(0);
    free(f0);
    fx_free(&fx);
}
