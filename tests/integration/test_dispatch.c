/*
 * test_dispatch.c: how the binary picks its command and its module:
 * argv[0] symlinks, `version` and `help`, $OPTML_ALGORITHM, $OPTML_MODULE_PATH,
 * modules next to the executable, and refusing a module built for another
 * API version.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optml/algorithm.h>

#include "serve_helpers.h"
#include "support/harness.h"
#include "train_helpers.h"

static char *abs_build_path(const char *rel)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        abort();
    char *p = strf("%s/%s/%s", cwd, build_dir(), rel);
    return p;
}

static char *test_modules_env(void)
{
    char *e = strf("OPTML_MODULE_PATH=%s/tests/modules", build_dir());
    return e;
}

TEST(version_lists_modules_and_api)
{
    const char *env[] = {test_modules_env(), NULL};
    const char *args[] = {"version", NULL};
    struct run_result r = run_optml(args, env, 20);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, strf("module API version %d", OPTML_ALGORITHM_API_VERSION));
    ASSERT_CONTAINS(r.output, "echo");
    ASSERT_CONTAINS(r.output, "badapi");
    ASSERT_CONTAINS(r.output, strf("built for optml module API version %d.0", OPTML_ALGORITHM_API_VERSION + 1000));
}

TEST(help_shows_the_modules_hyperparameters)
{
    const char *env[] = {test_modules_env(), "OPTML_ALGORITHM=echo", NULL};
    const char *args[] = {"help", NULL};
    struct run_result r = run_optml(args, env, 20);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(has_line_matching(r.output, "^ +epochs +int +default  2 +range \\[1, 1000\\]"));
    ASSERT(has_line_matching(r.output, "^ +train +required text/csv"));
}

TEST(unknown_command_exits_2_with_usage)
{
    const char *args[] = {"frobnicate", NULL};
    struct run_result r = run_optml(args, NULL, 20);
    ASSERT_EQ_INT(r.exit_code, 2);
    ASSERT_CONTAINS(r.output, "unknown command 'frobnicate'");
    ASSERT_CONTAINS(r.output, "usage: optml train | serve | version | help");
}

TEST(unknown_algorithm_lists_installed_modules)
{
    char *base = optml_tree_new("{}");
    char *b = strf("SAGEMAKER_BASE_DIR=%s", base);
    const char *env[] = {b, test_modules_env(), "OPTML_ALGORITHM=linear-learner", NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 20);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *failure = tree_file(base, "output/failure");
    ASSERT_CONTAINS(failure, "OPTML_ALGORITHM='linear-learner' is not installed");
    ASSERT_CONTAINS(failure, "badapi, echo, newminor");
}

TEST(module_for_another_api_version_is_refused)
{
    char *base = optml_tree_new("{}");
    char *b = strf("SAGEMAKER_BASE_DIR=%s", base);
    const char *env[] = {b, test_modules_env(), "OPTML_ALGORITHM=badapi", NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 20);
    ASSERT_EQ_INT(r.exit_code, 1);
    char *failure = tree_file(base, "output/failure");
    ASSERT_CONTAINS(failure, "AlgorithmError: module ");
    ASSERT_CONTAINS(failure, strf("API version %d.0, but this runtime implements version %d.%d",
                                  OPTML_ALGORITHM_API_VERSION + 1000, OPTML_ALGORITHM_API_VERSION,
                                  OPTML_ALGORITHM_API_MINOR));
}

/* A module of the same major version but a newer minor one is refused by
 * its version, before its missing runtime function could make dlopen fail. */
TEST(module_for_a_newer_minor_version_is_refused_by_version)
{
    char *base = optml_tree_new("{}");
    char *b = strf("SAGEMAKER_BASE_DIR=%s", base);
    const char *env[] = {b, test_modules_env(), "OPTML_ALGORITHM=newminor", NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 20);
    ASSERT_EQ_INT(r.exit_code, 1);
    char *failure = tree_file(base, "output/failure");
    ASSERT_CONTAINS(failure, strf("built for optml module API version %d.%d, newer than this runtime's %d.%d",
                                  OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR + 1,
                                  OPTML_ALGORITHM_API_VERSION, OPTML_ALGORITHM_API_MINOR));
    ASSERT(strstr(failure, "undefined symbol") == NULL);
}

/* An install tree: bin/optml (a copy), bin/train -> optml, lib/optml/echo.so.
 * Without OPTML_MODULE_PATH or OPTML_ALGORITHM the `train` name trains with
 * the only module next to the executable. */
TEST(train_symlink_finds_the_only_module_next_to_the_executable)
{
    char *root = tmpdir_new();
    char *cmd = strf("mkdir -p %s/bin %s/lib/optml && cp %s %s/bin/optml && ln -s optml %s/bin/train && cp %s %s/lib/optml/",
                 root, root, abs_build_path("bin/optml"), root, root, abs_build_path("tests/modules/echo.so"), root);
    ASSERT_EQ_INT(system(cmd), 0);
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    write_file(base, "input/data/train/a.csv", "1\n2\n", (size_t)-1);
    pid_t pid = fork();
    if (pid == 0) {
        char *exe = path_join(root, "bin/train");
        setenv("SAGEMAKER_BASE_DIR", base, 1);
        unsetenv("OPTML_MODULE_PATH");
        unsetenv("OPTML_ALGORITHM");
        int fd = open("/dev/null", 1);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(exe, "train", (char *)NULL);
        _exit(127);
    }
    ASSERT_EQ_INT(wait_exit(pid, 30, NULL), 0);
    ASSERT_CONTAINS(tree_file(base, "model/model.json"), "records=2");
}

/* A module built against the frozen API 4.0 header (echo.c, built a second
 * time with tests/modules/api-4.0/) trains and serves in this runtime,
 * whatever minor version the runtime has reached. */
TEST(module_built_against_api_4_0_trains_and_serves)
{
    char *base = serve_trained_tree();
    char *mods = strf("OPTML_MODULE_PATH=%s/tests/modules/api-4.0", build_dir());
    const char *extra[] = {mods, NULL};
    struct run_result r = train_echo(base, extra);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "api-4.0/echo.so");
    ASSERT(tree_has(base, "model/echo.model"));
    /* Its report: everything the runtime knows, no tables of the module's
     * own (those came with API 4.1; echo.c built against 4.1 adds some). */
    char *html = tree_file(base, "output/data/report.html");
    ASSERT_CONTAINS(html, "echo 1.0.0 (module API 4.0)");
    ASSERT_CONTAINS(html, "<h3>records by epoch</h3>");
    ASSERT_CONTAINS(html, "This module was built against module API 4.0: it adds no tables of its own");
    ASSERT(strstr(html, "Confusion matrix") == NULL && strstr(html, "Echo&#39;s own table") == NULL);
    struct served *s = serve_start_ready(base, extra);
    struct http_response *resp = serve_invoke(s, "text/csv", "application/json", NULL, "1,2\n", 4);
    expect_status_(s, resp, 200, __FILE__, __LINE__);
    ASSERT_CONTAINS(serve_log_text(s), "api-4.0/echo.so, module API 4.0)");
    serve_stop(s);
}

/* The minimal module of algorithms/README.md ("Writing a module") compiles
 * with the command the README gives and trains: the guide stays true. */
TEST_TIMEOUT(readme_minimal_module_builds_and_trains, 60)
{
    char *readme = read_file("algorithms/README.md", NULL);
    ASSERT(readme != NULL);
    char *start = strstr(readme, "A minimal module (API 4):");
    ASSERT(start != NULL);
    char *code = strstr(start, "```c\n");
    ASSERT(code != NULL);
    code += 5;
    char *end = strstr(code, "```");
    ASSERT(end != NULL);
    char *dir = tmpdir_new();
    write_file(dir, "my_algo.c", code, (size_t)(end - code));
    char *cmd = strf("cc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC -Iruntime/include "
                     "-o %s/my-algo.so %s/my_algo.c", dir, dir);
    ASSERT_EQ_INT(system(cmd), 0);
    char *base = optml_tree_new("{\"epochs\": \"2\", \"optimizer\": \"sgd\"}");
    write_file(base, "input/data/train/a.csv", "1,2\n3,4\n", (size_t)-1);
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), strf("OPTML_MODULE_PATH=%s", dir), NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 30);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "Final configuration: {\"epochs\":\"2\",\"learning-rate\":\"0.01\",\"optimizer\":\"sgd\"}");
    ASSERT(tree_has(base, "model/model.bin"));
}

/* Runs EXE with argv[0] NAME and the given arguments (NULL-terminated),
 * SAGEMAKER_BASE_DIR=BASE and the test modules; output into a string. */
static struct run_result run_as(const char *exe, const char *name, const char *base, const char *const *args,
                                int timeout_s)
{
    char *log_path = strf("%s/run.log", tmpdir_new());
    pid_t pid = fork();
    if (pid == 0) {
        const char *argv[8] = {name};
        for (int i = 0; args[i] && i < 6; i++)
            argv[i + 1] = args[i];
        setenv("SAGEMAKER_BASE_DIR", base, 1);
        setenv("OPTML_MODULE_PATH", strf("%s/tests/modules", build_dir()), 1);
        setenv("OPTML_ALGORITHM", "echo", 1);
        setenv("SAGEMAKER_BIND_TO_PORT", strf("%d", http_free_port()), 1);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(exe, (char *const *)argv);
        _exit(127);
    }
    struct run_result r = {0};
    r.exit_code = wait_exit(pid, timeout_s, &r.signal);
    r.output = read_file(log_path, NULL);
    if (!r.output)
        r.output = strdup("");
    return r;
}

/* `--help` / `-h` after train or serve, through `optml CMD` and through
 * the symlinks: the command's usage, exit 0, and no job or server started
 * (nothing written under the tree, the process gone at once). */
static void expect_command_help(const char *exe, const char *name, const char *const *args, const char *cmd)
{
    char *base = optml_tree_new("{}");
    write_file(base, "input/data/train/a.csv", "1\n2\n", (size_t)-1);
    struct run_result r = run_as(exe, name, base, args, 5);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "%s %s exited %d, printing:\n%s", name, args[0], r.exit_code, r.output);
    ASSERT_CONTAINS(r.output, strf("usage: optml %s", cmd));
    ASSERT(!tree_has(base, "output/failure"));
    ASSERT(!tree_has(base, "model/echo.model"));
    ASSERT(strstr(r.output, "serving with module") == NULL);
}

TEST(optml_train_help_prints_usage_without_training)
{
    const char *args[] = {"train", "--help", NULL};
    expect_command_help(abs_build_path("bin/optml"), "optml", args, "train");
}

TEST(optml_serve_help_prints_usage_without_serving)
{
    const char *args[] = {"serve", "--help", NULL};
    expect_command_help(abs_build_path("bin/optml"), "optml", args, "serve");
    const char *args_h[] = {"serve", "-h", NULL};
    expect_command_help(abs_build_path("bin/optml"), "optml", args_h, "serve");
}

TEST(train_and_serve_symlinks_take_help)
{
    const char *help[] = {"--help", NULL}, *h[] = {"-h", NULL};
    expect_command_help(abs_build_path("bin/train"), "train", help, "train");
    expect_command_help(abs_build_path("bin/train"), "train", h, "train");
    expect_command_help(abs_build_path("bin/serve"), "serve", help, "serve");
    expect_command_help(abs_build_path("bin/serve"), "serve", h, "serve");
}
