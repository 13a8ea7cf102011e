/*
 * support.h: helpers for tests that touch the file system or run the optml
 * binary: temp directories, whole-file read/write, a fake /opt/ml tree, and
 * running a program with extra environment and captured output.
 */
#ifndef OPTML_TEST_SUPPORT_H
#define OPTML_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* A fresh directory under $TMPDIR (or /tmp); removed by the runner's child
 * exit is not guaranteed, so tests live in /tmp/optml-test-*. */
char *tmpdir_new(void);
/* mkdir -p of dir/rel; returns the joined path (malloc). */
char *path_join(const char *dir, const char *rel);
void mkdirs(const char *path);
/* Write `len` bytes (or strlen when len == (size_t)-1) to dir/rel, creating
 * parent directories. */
void write_file(const char *dir, const char *rel, const void *data, size_t len);
/* Whole file, NUL-terminated, or NULL when it does not exist. */
char *read_file(const char *path, size_t *len);
int file_exists(const char *path);

/* The base of a fake /opt/ml with input/config and input/data created and
 * hyperparameters.json holding `hyperparameters` (NULL: none written). */
char *optml_tree_new(const char *hyperparameters);

/* printf into a new string that the test may keep (never freed). */
char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run `cmd` through the shell; its stdout (and stderr, when cmd says
 * 2>&1) as a new string (never NULL), its pclose() status in *status. */
char *run_capture(const char *cmd, int *status);

/* The build directory (OPTML_BUILD, default "build"). */
const char *build_dir(void);

struct run_result {
    int exit_code;      /* -1 when killed by a signal */
    int signal;
    char *output;       /* stdout and stderr together */
};

/* Run build/bin/optml with `args` (NULL-terminated, argv[1]...) and the
 * environment of the test plus `env` ("NAME=value", NULL-terminated, may be
 * NULL).  Waits at most `timeout_s`. */
struct run_result run_optml(const char *const *args, const char *const *env, int timeout_s);
/* Same, but started in the background; returns the pid, output goes to
 * `log_path`. */
pid_t spawn_optml(const char *const *args, const char *const *env, const char *log_path);
/* Wait for pid, at most timeout_s; returns like run_result.exit_code. */
int wait_exit(pid_t pid, int timeout_s, int *signal_out);

#endif
