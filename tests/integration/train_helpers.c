/*
 * train_helpers.c: see train_helpers.h.
 */
#define _GNU_SOURCE
#include "train_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/harness.h"

static char *env_entry(const char *name, const char *value)
{
    char *e = strf("%s=%s", name, value);
    return e;
}

struct run_result train_echo(const char *base, const char *const *extra)
{
    char *mods = strf("%s/tests/modules", build_dir());
    char *base_env = env_entry("SAGEMAKER_BASE_DIR", base);
    char *mods_env = env_entry("OPTML_MODULE_PATH", mods);
    free(mods);
    const char *env[32] = {base_env, mods_env, "OPTML_ALGORITHM=echo"};
    size_t n = 3;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 60);
    free(base_env);
    free(mods_env);
    if (r.exit_code != 0 && getenv("OPTML_TEST_VERBOSE"))
        fprintf(stderr, "%s\n", r.output);
    return r;
}

char *tree_file(const char *base, const char *rel)
{
    char *p = path_join(base, rel);
    char *t = read_file(p, NULL);
    free(p);
    return t ? t : strdup("");
}

int tree_has(const char *base, const char *rel)
{
    char *p = path_join(base, rel);
    int r = file_exists(p);
    free(p);
    return r;
}

int has_line_matching(const char *text, const char *regex)
{
    regex_t re;
    if (regcomp(&re, regex, REG_EXTENDED | REG_NEWLINE) != 0)
        test_fail(__FILE__, __LINE__, "bad regex %s", regex);
    int found = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return found;
}

/* See train_helpers.h. */
pid_t fifo_feed(const char *base, const char *name, const void *data, size_t len, int linger)
{
    char *rel = strf("input/data/%s", name);
    char *path = path_join(base, rel);
    if (mkfifo(path, 0644) != 0)
        test_fail(__FILE__, __LINE__, "mkfifo %s: %s", path, strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        int fd = open(path, O_WRONLY);
        if (fd < 0)
            _exit(1);
        const char *p = data;
        while (len > 0) {
            ssize_t w = write(fd, p, len);
            if (w <= 0)
                break;
            p += w;
            len -= (size_t)w;
        }
        if (linger)
            sleep(30);
        _exit(0);
    }
    free(path);
    free(rel);
    return pid;
}

char *module_path_env(void)
{
    char *dir = strf("%s/lib/optml", build_dir());
    char *abs = realpath(dir, NULL);
    char *e = strf("OPTML_MODULE_PATH=%s", abs ? abs : dir);
    free(abs);
    free(dir);
    return e;
}
