/*
 * runner.c: runs every registered test (or those whose name contains one of
 * the command-line arguments), each in a forked child with its own timeout,
 * and exits nonzero when any failed.  The last line is "N passed, N failed".
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct test_entry {
    const char *name, *file;
    test_fn fn;
    int timeout_s;
};

static struct test_entry tests[1024];
static size_t n_tests;

void test_register(const char *name, const char *file, test_fn fn, int timeout_s)
{
    if (n_tests == sizeof(tests) / sizeof(tests[0])) {
        fprintf(stderr, "too many tests: raise the registry size in runner.c\n");
        exit(2);
    }
    tests[n_tests++] = (struct test_entry){name, file, fn, timeout_s};
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

static int cmp_tests(const void *a, const void *b)
{
    const struct test_entry *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

static int selected(const struct test_entry *t, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(t->name, argv[i]) || strstr(t->file, argv[i]))
            return 1;
    return 0;
}

/* Run one test in a child; returns 1 when it passed. */
static int run_one(const struct test_entry *t, double *seconds)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 0;
    }
    if (pid == 0) {
        setpgid(0, 0);
        alarm((unsigned)t->timeout_s);
        t->fn();
        /* exit(), not _exit(): under ASan, LeakSanitizer checks at exit. */
        exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL); /* anything the test left running */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 1;
    if (WIFSIGNALED(status))
        fprintf(stderr, "    killed by signal %d%s\n", WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
    return 0;
}

int main(int argc, char **argv)
{
    qsort(tests, n_tests, sizeof(tests[0]), cmp_tests);
    size_t passed = 0, failed = 0;
    for (size_t i = 0; i < n_tests; i++) {
        if (!selected(&tests[i], argc, argv))
            continue;
        double secs = 0;
        int ok = run_one(&tests[i], &secs);
        printf("%s %s (%.2fs)\n", ok ? "PASS" : "FAIL", tests[i].name, secs);
        fflush(stdout);
        if (ok)
            passed++;
        else
            failed++;
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
