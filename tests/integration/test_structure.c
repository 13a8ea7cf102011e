/*
 * test_structure.c: the shape of the code, read from what the build made
 * (`nm` on build/obj and build/lib/optml):
 *  - no call cycles: among the source files of runtime/ and algorithms/
 *    (file A calls a function file B defines, and B, maybe through others,
 *    calls back into A), nor among their folders (runtime/config calls
 *    runtime/data, which calls back into runtime/config).  A cycle makes
 *    two files one unit that can only be read, tested and moved together.
 *  - a module carries only the shared archives it calls: linear-learner.so
 *    defines nothing of algorithms/nn/ (it links no layers it never calls).
 * The objects are those of the sources in the tree now (a stale object of
 * a removed file is not read); runtime/dist/mpi_*.c is a plugin built only
 * where Open MPI is installed, read when it was built.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"
#include "support/support.h"

/* The call graph of the objects `objdir`/<source>.o of the sources
 * `sources` (a shell glob of .c files, relative to the repository), between
 * files or, with `folders`, between folders: one "caller callee" line per
 * unit that calls a function or uses an object another unit defines, read
 * with one `nm -A -g` and sorted by tsort, which names a loop ("input
 * contains a loop") on stderr.  Returns the pipeline's output; *objects:
 * how many objects were read, *rc its exit status. */
static char *call_graph_sorted(const char *objdir, const char *sources, int folders, int *objects, int *rc)
{
    char *script = strf(
        "set -u -o pipefail; objs=; n=0\n"
        "for c in %s; do o=%s/${c%%.c}.o\n"
        "  if [ ! -f \"$o\" ]; then case $c in runtime/dist/mpi_*) continue ;; esac; echo \"missing $o\"; exit 3; fi\n"
        "  objs=\"$objs $o\"; n=$((n + 1))\n"
        "done\n"
        "echo \"objects $n\"\n"
        "nm -A -g $objs | awk -v folders=%d -v prefix='%s/' '\n"
        "  function unit(f) { sub(/:.*/, \"\", f); f = substr(f, length(prefix) + 1); sub(/[.]o$/, \".c\", f);\n"
        "                     if (folders) sub(/[/][^/]*$/, \"\", f); return f }\n"
        "  NF == 3 && $2 == \"U\" { use[++n] = $3; user[n] = unit($1); next }\n"
        "  NF == 3 { def[$3] = unit($1) }\n"
        "  END { for (i = 1; i <= n; i++) if ((use[i] in def) && def[use[i]] != user[i]) print user[i], def[use[i]] }' |\n"
        "  sort -u | tsort >/dev/null\n",
        sources, objdir, folders, objdir);
    char *dir = tmpdir_new();
    write_file(dir, "graph.sh", script, strlen(script));
    char *cmd = strf("bash %s/graph.sh 2>&1", dir);
    char *out = run_capture(cmd, rc);
    const char *o = strstr(out, "objects ");
    *objects = o ? atoi(o + 8) : 0;
    free(cmd);
    free(script);
    free(dir);
    return out;
}

TEST(no_call_cycles_between_source_files_or_folders)
{
    static const char *const sets[] = {"runtime/main.c runtime/*/*.c", "algorithms/*/*.c"};
    char *objdir = strf("%s/obj", build_dir());
    for (size_t i = 0; i < 2; i++) {
        for (int folders = 0; folders <= 1; folders++) {
            int objects = 0, rc = 0;
            char *out = call_graph_sorted(objdir, sets[i], folders, &objects, &rc);
            if (rc != 0 || strstr(out, "loop"))
                test_fail(__FILE__, __LINE__, "the %s of %s call each other in a cycle (or nm failed, wait status %d):\n%s",
                          folders ? "folders" : "files", sets[i], rc, out);
            ASSERT(objects >= 20); /* the sources were found and read */
            free(out);
        }
    }
    free(objdir);
}

/* The check itself finds a cycle: two files that call each other, and two
 * folders whose files call each other, in a tree of objects built here. */
TEST(call_cycle_check_finds_a_cycle)
{
    char *dir = tmpdir_new();
    write_file(dir, "src/x/a.c", "int b(int);\nint a(int x) { return x ? b(x - 1) : 0; }\n", (size_t)-1);
    write_file(dir, "src/x/b.c", "int c(int);\nint b(int x) { return x ? c(x - 1) : 1; }\n", (size_t)-1);
    write_file(dir, "src/y/c.c", "int a(int);\nint c(int x) { return x ? a(x - 1) : 1; }\n", (size_t)-1);
    int rc = 0;
    char *out = run_capture(strf("mkdir -p %s/obj/src/x %s/obj/src/y && cd %s/src && for f in x/a x/b y/c; do "
                                 "cc -c $f.c -o ../obj/src/$f.o || exit 1; done 2>&1", dir, dir, dir), &rc);
    ASSERT_EQ_INT(rc, 0);
    free(out);
    char *objdir = strf("%s/obj", dir);
    char *cwd = get_current_dir_name();
    ASSERT_EQ_INT(chdir(dir), 0);
    for (int folders = 0; folders <= 1; folders++) {
        int objects = 0;
        out = call_graph_sorted(objdir, "src/*/*.c", folders, &objects, &rc);
        ASSERT_EQ_INT(objects, 3);
        ASSERT_CONTAINS(out, "loop");
        free(out);
    }
    /* without c's call back into x/, no cycle either way */
    write_file(dir, "src/y/c.c", "int c(int x) { return x; }\n", (size_t)-1);
    out = run_capture(strf("cd %s/src && cc -c y/c.c -o ../obj/src/y/c.o 2>&1", dir), &rc);
    ASSERT_EQ_INT(rc, 0);
    free(out);
    for (int folders = 0; folders <= 1; folders++) {
        int objects = 0;
        out = call_graph_sorted(objdir, "src/*/*.c", folders, &objects, &rc);
        ASSERT_EQ_INT(rc, 0);
        ASSERT(strstr(out, "loop") == NULL);
        free(out);
    }
    ASSERT_EQ_INT(chdir(cwd), 0);
    free(cwd);
    free(objdir);
}

/* Every function and object algorithms/nn/ defines (liboptml_nn.a) is
 * absent from linear-learner.so: the archive is linked only by modules
 * that call it, and a module that does not gets none of it. */
TEST(linear_learner_carries_no_layers_of_algorithms_nn)
{
    int rc = 0;
    char *cmd = strf("nm -g --defined-only %s/lib/liboptml_nn.a | awk 'NF == 3 { print $3 }' | sort -u", build_dir());
    char *nn = run_capture(cmd, &rc);
    ASSERT_EQ_INT(rc, 0);
    size_t nn_symbols = 0;
    for (const char *p = nn; (p = strchr(p, '\n')) != NULL; p++)
        nn_symbols++;
    ASSERT(nn_symbols >= 10); /* the archive was read */
    free(cmd);
    cmd = strf("nm %s/lib/optml/linear-learner.so | awk 'NF == 3 { print $3 }' | sort -u", build_dir());
    char *ll = run_capture(cmd, &rc);
    ASSERT_EQ_INT(rc, 0);
    ASSERT(strstr(ll, "optml_module") != NULL); /* its symbols were read (not stripped) */
    char *nn_copy = strdup(nn);
    for (char *s = strtok(nn_copy, "\n"); s; s = strtok(NULL, "\n")) {
        char *needle = strf("\n%s\n", s);
        char *hay = strf("\n%s", ll);
        if (strstr(hay, needle))
            test_fail(__FILE__, __LINE__, "linear-learner.so defines %s of algorithms/nn/ (liboptml_nn.a)", s);
        free(needle);
        free(hay);
    }
    /* and the other way round: a module that uses nn/ has it */
    free(cmd);
    cmd = strf("nm %s/lib/optml/news-classifier.so | awk 'NF == 3 { print $3 }' | sort -u", build_dir());
    char *nc = run_capture(cmd, &rc);
    ASSERT_EQ_INT(rc, 0);
    size_t shared = 0;
    free(nn_copy);
    nn_copy = strdup(nn);
    char *hay = strf("\n%s", nc);
    for (char *s = strtok(nn_copy, "\n"); s; s = strtok(NULL, "\n")) {
        char *needle = strf("\n%s\n", s);
        shared += strstr(hay, needle) != NULL;
        free(needle);
    }
    ASSERT(shared > 0);
    free(hay);
    free(nn_copy);
    free(cmd);
    free(nn);
    free(ll);
    free(nc);
}
