/*
 * test_module_exports.c: every built module (build/lib/optml/<module>.so)
 * exports exactly one dynamic symbol, `optml_module`, as algorithm.h
 * promises: no helper, no target_clones resolver, nothing a second module
 * loaded into the same process could collide with.  Read with `nm -D`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "support/support.h"

/* The defined dynamic symbols of `so`, one per line, into buf. */
static int defined_exports(const char *so, char *buf, size_t cap, int *count)
{
    char *cmd = strf("nm -D --defined-only '%s' 2>&1", so);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    size_t used = 0;
    *count = 0;
    buf[0] = 0;
    while (fgets(line, sizeof(line), p)) {
        char addr[64], type[8], name[400];
        if (sscanf(line, "%63s %7s %399s", addr, type, name) != 3)
            continue;
        used += (size_t)snprintf(buf + used, used < cap ? cap - used : 0, "%s ", name);
        (*count)++;
    }
    return pclose(p) == 0 ? 0 : -1;
}

TEST(modules_export_only_optml_module)
{
    char *dir = strf("%s/lib/optml", build_dir());
    DIR *d = opendir(dir);
    ASSERT(d != NULL);
    int modules = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".so") != 0)
            continue;
        char names[4096];
        int count = 0;
        char *so = strf("%s/%s", dir, e->d_name);
        ASSERT_EQ_INT(defined_exports(so, names, sizeof(names), &count), 0);
        if (count != 1 || strcmp(names, "optml_module ") != 0)
            fprintf(stderr, "%s exports: %s\n", e->d_name, names);
        ASSERT_EQ_INT(count, 1);
        ASSERT_EQ_STR(names, "optml_module ");
        modules++;
    }
    closedir(d);
    ASSERT(modules >= 2); /* linear-learner and news-classifier at least */
}
