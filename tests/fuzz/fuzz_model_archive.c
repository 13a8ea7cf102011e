/*
 * fuzz_model_archive.c: libFuzzer target for model.tar.gz extraction
 * (runtime/artifact/model_archive.c).  Each input is extracted with
 * rt_model_archive_extract_memory() into a fresh mkdtemp directory with a
 * 1 MiB limit, then the directory is removed.  Checked: the status is OK or
 * an error with a message; a failure leaves the directory empty (no partial
 * files, no temp directory); nothing in the tree is a device, FIFO or socket,
 * no symlink is absolute, and the tree holds at most 1 MiB of file data.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/log.h"
#include "artifact/model_archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT (1u << 20)

static uint64_t tree_bytes;

static int check_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_SL) {
        char target[4096];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0 || target[0] == '/')
            abort();
    } else if (S_ISREG(sb->st_mode) || S_ISDIR(sb->st_mode)) {
        if (sb->st_mode & 07022)
            abort(); /* setuid / setgid / sticky, or group / other write */
        if (S_ISREG(sb->st_mode)) /* each hard link's share of its file */
            tree_bytes += (uint64_t)sb->st_size / (sb->st_nlink ? sb->st_nlink : 1);
    } else {
        abort(); /* device, FIFO or socket */
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        rt_log_set_level(OPTML_LOG_ERROR);
        quiet = 1;
    }
    const char *t = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/optml-fuzz-archive-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir))
        abort();
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    optml_status st = rt_model_archive_extract_memory(&ctx, data, size, dir, LIMIT);
    if (st == OPTML_OK) {
        if (ctx.errmsg[0])
            abort();
        tree_bytes = 0;
        if (nftw(dir, check_entry, 16, FTW_PHYS) != 0 || tree_bytes > LIMIT)
            abort();
    } else {
        if (st != OPTML_E_MODEL && st != OPTML_E_IO && st != OPTML_E_NOMEM)
            abort();
        if (!ctx.errmsg[0])
            abort();
        if (!is_empty(dir))
            abort(); /* a failure leaves nothing behind */
    }
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
