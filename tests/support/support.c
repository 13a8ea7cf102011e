/*
 * support.c: file-system and process helpers for the tests (see support.h).
 */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

char *tmpdir_new(void)
{
    const char *t = getenv("TMPDIR");
    char *tmpl = NULL;
    if (asprintf(&tmpl, "%s/optml-test-XXXXXX", t && *t ? t : "/tmp") < 0)
        abort();
    if (!mkdtemp(tmpl))
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
    return tmpl;
}

char *path_join(const char *dir, const char *rel)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, rel) < 0)
        abort();
    return p;
}

void mkdirs(const char *path)
{
    char *p = strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    }
    mkdir(p, 0777);
    free(p);
}

void write_file(const char *dir, const char *rel, const void *data, size_t len)
{
    char *path = path_join(dir, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    mkdirs(path);
    *slash = '/';
    if (len == (size_t)-1)
        len = strlen(data);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        test_fail(__FILE__, __LINE__, "cannot write %s: %s", path, strerror(errno));
    free(path);
}

char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *optml_tree_new(const char *hyperparameters)
{
    char *base = tmpdir_new();
    char *p = path_join(base, "input/data");
    mkdirs(p);
    free(p);
    p = path_join(base, "input/config");
    mkdirs(p);
    free(p);
    if (hyperparameters)
        write_file(base, "input/config/hyperparameters.json", hyperparameters, (size_t)-1);
    return base;
}

char *strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

const char *build_dir(void)
{
    const char *b = getenv("OPTML_BUILD");
    return b && *b ? b : "build";
}

static void exec_optml(const char *const *args, const char *const *env)
{
    char *exe = NULL;
    if (asprintf(&exe, "%s/bin/optml", build_dir()) < 0)
        _exit(127);
    for (size_t i = 0; env && env[i]; i++)
        putenv((char *)env[i]);
    const char *argv[64] = {exe};
    size_t n = 1;
    for (size_t i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    execv(exe, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", exe, strerror(errno));
    _exit(127);
}

pid_t spawn_optml(const char *const *args, const char *const *env, const char *log_path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        exec_optml(args, env);
    }
    return pid;
}

int wait_exit(pid_t pid, int timeout_s, int *signal_out)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    if (signal_out)
        *signal_out = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct run_result run_optml(const char *const *args, const char *const *env, int timeout_s)
{
    char log_path[] = "/tmp/optml-run-XXXXXX";
    int fd = mkstemp(log_path);
    if (fd < 0)
        test_fail(__FILE__, __LINE__, "mkstemp: %s", strerror(errno));
    close(fd);
    struct run_result rr = {0};
    pid_t pid = spawn_optml(args, env, log_path);
    rr.exit_code = wait_exit(pid, timeout_s, &rr.signal);
    rr.output = read_file(log_path, NULL);
    unlink(log_path);
    if (!rr.output)
        rr.output = strdup("");
    return rr;
}

char *run_capture(const char *cmd, int *status)
{
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    FILE *p = popen(cmd, "r");
    if (p && mem) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
            fwrite(buf, 1, n, mem);
    }
    int rc = p ? pclose(p) : -1;
    if (mem)
        fclose(mem);
    if (status)
        *status = rc;
    return out ? out : strdup("");
}
