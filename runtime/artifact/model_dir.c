/*
 * model_dir.c: preparing a model directory for serving, and the private
 * unpacked copies (see model_dir.h for the rules).
 *
 * The copies are one process-wide list under one mutex.  An entry is
 * UNPACKING while one thread extracts into it (others loading the same
 * archive wait on the condition variable), then READY.  Directories are made
 * and removed outside the mutex; an entry leaves the list before its
 * directory is removed, so nobody can be handed a copy being removed.
 */
#define _GNU_SOURCE
#include "artifact/model_dir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact/model_archive.h"
#include "core/ctx.h"
#include "core/log.h"
#include "core/paths.h"

#define COPY_PREFIX "optml-model-"

/* What makes two archives the same for reuse. */
struct archive_key {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct rt_unpacked {
    struct rt_unpacked *next;
    char *archive;          /* the archive's path, for messages and the "changed?" check */
    struct archive_key key;
    char *dir;              /* the copy */
    int lockfd;             /* flock held on dir while this process has it */
    int refs;               /* models using it */
    int ready;              /* unpacked (0: a thread is unpacking into it) */
    int gone;               /* removed at exit while still referenced */
    unsigned long long used; /* last use, for least-recently-used removal */
};

static pthread_mutex_t copies_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t copies_cv = PTHREAD_COND_INITIALIZER;
static struct rt_unpacked *copies;
static unsigned long long copies_clock;

static const char *tmp_base(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

static void key_of(const struct stat *st, struct archive_key *k)
{
    memset(k, 0, sizeof(*k));
    k->dev = st->st_dev;
    k->ino = st->st_ino;
    k->size = st->st_size;
    k->mtime = st->st_mtim;
}

static int key_equal(const struct archive_key *a, const struct archive_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* The archive at path is no longer the one the copy was made from. */
static int archive_changed(const struct rt_unpacked *u)
{
    struct stat st;
    struct archive_key k;
    if (stat(u->archive, &st) != 0 || !S_ISREG(st.st_mode))
        return 1;
    key_of(&st, &k);
    return !key_equal(&k, &u->key);
}

/* rm -rf of dir (an absolute path), never through a symlink inside it. */
static void remove_dir_path(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    char *parent = slash ? strndup(dir, (size_t)(slash - dir)) : NULL;
    int pfd = parent ? open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (pfd >= 0) {
        rt_remove_tree_at(pfd, slash + 1);
        close(pfd);
    }
    free(parent);
}

/* Remove the copy's directory and free the entry (`why`: for the log). */
static void copy_destroy(struct rt_unpacked *u, const char *why)
{
    if (u->dir && !u->gone) {
        remove_dir_path(u->dir);
        if (why)
            rt_log(OPTML_LOG_INFO, "removed the unpacked copy %s of %s (%s)", u->dir, u->archive, why);
    }
    if (u->lockfd >= 0)
        close(u->lockfd);
    free(u->archive);
    free(u->dir);
    free(u);
}

static void unlink_locked(struct rt_unpacked *u)
{
    for (struct rt_unpacked **p = &copies; *p; p = &(*p)->next)
        if (*p == u) {
            *p = u->next;
            break;
        }
    u->next = NULL;
}

/* Unused ready copies beyond RT_MODEL_DIR_KEEP, least recently used first,
 * move from the list to *doomed. */
static void trim_locked(struct rt_unpacked **doomed)
{
    for (;;) {
        size_t idle = 0;
        struct rt_unpacked *oldest = NULL;
        for (struct rt_unpacked *u = copies; u; u = u->next)
            if (u->ready && u->refs == 0) {
                idle++;
                if (!oldest || u->used < oldest->used)
                    oldest = u;
            }
        if (idle <= RT_MODEL_DIR_KEEP)
            return;
        unlink_locked(oldest);
        oldest->next = *doomed;
        *doomed = oldest;
    }
}

static void destroy_list(struct rt_unpacked *doomed, const char *why)
{
    while (doomed) {
        struct rt_unpacked *next = doomed->next;
        copy_destroy(doomed, why);
        doomed = next;
    }
}

/* Make the copy's directory, locked, and unpack into it. */
static optml_status unpack_copy(optml_ctx *ctx, struct rt_unpacked *u, int archive_fd, uint64_t max_bytes)
{
    if (asprintf(&u->dir, "%s/" COPY_PREFIX "%ld-XXXXXX", tmp_base(), (long)getpid()) < 0) {
        u->dir = NULL;
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory unpacking %s", u->archive);
    }
    if (!mkdtemp(u->dir)) {
        int e = errno;
        optml_status st = optml_error(ctx, OPTML_E_IO,
                                      "cannot make a directory to unpack model archive %s into (%s): %s",
                                      u->archive, u->dir, strerror(e));
        free(u->dir);
        u->dir = NULL;
        return st;
    }
    u->lockfd = open(u->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (u->lockfd < 0 || flock(u->lockfd, LOCK_EX | LOCK_NB) != 0)
        return optml_error(ctx, OPTML_E_IO, "cannot lock %s: %s", u->dir, strerror(errno));
    struct rt_model_archive_stats stats;
    optml_status st = rt_model_archive_extract_fd(ctx, archive_fd, u->archive, u->dir, max_bytes, &stats);
    if (st == OPTML_OK)
        rt_log(OPTML_LOG_INFO, "unpacked model archive %s: %llu bytes in %llu entries into %s", u->archive,
               (unsigned long long)stats.bytes, (unsigned long long)stats.entries, u->dir);
    return st;
}

/* The private copy of `archive` (a regular file): shared when one of the
 * same archive exists, else made. */
static optml_status prepare_private(optml_ctx *ctx, const char *archive, uint64_t max_bytes,
                                    struct rt_model_dir *out)
{
    int fd = open(archive, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        optml_status s = optml_error(ctx, errno == ENOENT ? OPTML_E_MODEL : OPTML_E_IO,
                                     "cannot open model archive %s: %s", archive, strerror(errno));
        if (fd >= 0)
            close(fd);
        return s;
    }
    struct archive_key key;
    key_of(&st, &key);
    struct rt_unpacked *doomed = NULL, *u;

    pthread_mutex_lock(&copies_mu);
    for (;;) {
        for (u = copies; u; u = u->next)
            if (!u->gone && key_equal(&u->key, &key))
                break;
        if (!u || u->ready)
            break;
        pthread_cond_wait(&copies_cv, &copies_mu); /* another load is unpacking it */
    }
    if (u) {
        u->refs++;
        u->used = ++copies_clock;
        pthread_mutex_unlock(&copies_mu);
        close(fd);
        rt_log(OPTML_LOG_INFO, "reusing the unpacked copy %s of %s (the archive is unchanged)", u->dir, archive);
        if (!(out->dir = strdup(u->dir))) {
            rt_model_dir_release(&(struct rt_model_dir){.copy = u});
            return optml_error(ctx, OPTML_E_NOMEM, "out of memory preparing %s", archive);
        }
        out->copy = u;
        return OPTML_OK;
    }
    /* Unused copies of an earlier version of this archive go now. */
    for (struct rt_unpacked **p = &copies; *p;) {
        u = *p;
        if (u->ready && u->refs == 0 && strcmp(u->archive, archive) == 0) {
            *p = u->next;
            u->next = doomed;
            doomed = u;
        } else {
            p = &u->next;
        }
    }
    u = calloc(1, sizeof(*u));
    if (u && !(u->archive = strdup(archive))) {
        free(u);
        u = NULL;
    }
    if (u) {
        u->key = key;
        u->lockfd = -1;
        u->refs = 1;
        u->used = ++copies_clock;
        u->next = copies;
        copies = u;
    }
    pthread_mutex_unlock(&copies_mu);
    destroy_list(doomed, "its archive changed");
    if (!u) {
        close(fd);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory preparing %s", archive);
    }

    optml_status s = unpack_copy(ctx, u, fd, max_bytes);
    close(fd);
    pthread_mutex_lock(&copies_mu);
    if (s == OPTML_OK && !u->gone) {
        u->ready = 1;
    } else {
        unlink_locked(u);
        if (s == OPTML_OK) /* removed at exit meanwhile */
            s = optml_error(ctx, OPTML_E_IO, "the server is stopping");
    }
    pthread_cond_broadcast(&copies_cv);
    pthread_mutex_unlock(&copies_mu);
    if (s != OPTML_OK) {
        u->gone = 0; /* whatever was made goes, even when the exit's clean-up came first */
        copy_destroy(u, NULL);
        return s;
    }
    if (!(out->dir = strdup(u->dir))) {
        rt_model_dir_release(&(struct rt_model_dir){.copy = u});
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory preparing %s", archive);
    }
    out->copy = u;
    return OPTML_OK;
}

void rt_model_dir_release(struct rt_model_dir *d)
{
    if (!d)
        return;
    struct rt_unpacked *u = d->copy, *doomed = NULL;
    free(d->dir);
    d->dir = NULL;
    d->copy = NULL;
    if (!u)
        return;
    const char *why = "no model uses it and it is the least recently used";
    pthread_mutex_lock(&copies_mu);
    if (--u->refs == 0) {
        if (u->gone) {
            unlink_locked(u);
            u->next = doomed;
            doomed = u;
            why = NULL;
        } else if (archive_changed(u)) {
            unlink_locked(u);
            u->next = doomed;
            doomed = u;
            why = "its archive changed or is gone";
        } else {
            trim_locked(&doomed);
        }
    }
    pthread_mutex_unlock(&copies_mu);
    destroy_list(doomed, why);
}

void rt_model_dir_cleanup(void)
{
    struct rt_unpacked *doomed = NULL;
    char **busy = NULL;
    size_t n_busy = 0;
    pthread_mutex_lock(&copies_mu);
    for (struct rt_unpacked **p = &copies; *p;) {
        struct rt_unpacked *u = *p;
        if (u->ready && u->refs == 0) {
            *p = u->next;
            u->next = doomed;
            doomed = u;
            continue;
        }
        /* Still in use (a request stuck past the drain) or being unpacked:
         * the directory goes, the entry stays for whoever holds it. */
        if (!u->gone && u->dir) {
            char **grown = realloc(busy, (n_busy + 1) * sizeof(*busy));
            if (grown && (grown[n_busy] = strdup(u->dir)) != NULL)
                n_busy++;
            if (grown)
                busy = grown;
        }
        u->gone = 1;
        p = &u->next;
    }
    pthread_mutex_unlock(&copies_mu);
    destroy_list(doomed, NULL);
    for (size_t i = 0; i < n_busy; i++) {
        remove_dir_path(busy[i]);
        free(busy[i]);
    }
    free(busy);
}

/* "optml-model-<digits>-XXXXXX" (mkdtemp's letters and digits): *pid set. */
static int stale_name(const char *name, long *pid)
{
    size_t plen = strlen(COPY_PREFIX);
    if (strncmp(name, COPY_PREFIX, plen) != 0)
        return 0;
    const char *p = name + plen, *digits = p;
    long v = 0;
    while (isdigit((unsigned char)*p) && p - digits < 10)
        v = v * 10 + (*p++ - '0');
    if (p == digits || *p != '-' || v <= 0 || v > INT_MAX)
        return 0;
    p++;
    for (int i = 0; i < 6; i++)
        if (!isalnum((unsigned char)p[i]))
            return 0;
    if (p[6] != '\0')
        return 0;
    *pid = v;
    return 1;
}

size_t rt_model_dir_remove_stale(void)
{
    const char *base = tmp_base();
    int bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (bfd < 0)
        return 0;
    int lfd = fcntl(bfd, F_DUPFD_CLOEXEC, 0);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    if (!d) {
        if (lfd >= 0)
            close(lfd);
        close(bfd);
        return 0;
    }
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid;
        struct stat st;
        if (!stale_name(de->d_name, &pid))
            continue;
        if (fstatat(bfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != geteuid())
            continue;
        if (pid != (long)getpid() && !(kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            continue; /* its server is running */
        int fd = openat(bfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) { /* nobody holds it */
            rt_remove_tree_at(bfd, de->d_name);
            rt_log(OPTML_LOG_INFO, "Removed the unpacked model copy %s/%s left by a server that is gone", base,
                   de->d_name);
            removed++;
        }
        close(fd);
    }
    closedir(d);
    close(bfd);
    return removed;
}

/* A file can really be created in dir (access() says yes to root even on a
 * read-only bind mount or for a directory it may not write). */
static int dir_writable(const char *dir)
{
    if (access(dir, W_OK) != 0)
        return 0;
    char *probe = NULL;
    if (asprintf(&probe, "%s/.optml-write-test-XXXXXX", dir) < 0)
        return 0;
    int fd = mkstemp(probe);
    if (fd >= 0) {
        close(fd);
        unlink(probe);
    }
    free(probe);
    return fd >= 0;
}

/* Whether model_dir holds exactly one non-hidden entry, a regular file
 * named model.tar.gz: then *archive is its path (malloc'd). */
static optml_status find_lone_archive(optml_ctx *ctx, const char *model_dir, char **archive)
{
    size_t visible = 0;
    int has_archive = 0;
    struct stat sb;
    *archive = NULL;
    if (stat(model_dir, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return optml_error(ctx, OPTML_E_MODEL, "model directory %s does not exist", model_dir);
        return optml_error(ctx, OPTML_E_IO, "cannot access model directory %s: %s", model_dir, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode))
        return optml_error(ctx, OPTML_E_MODEL, "model directory %s is not a directory", model_dir);
    DIR *d = opendir(model_dir);
    if (!d)
        return optml_error(ctx, OPTML_E_IO, "cannot list model directory %s: %s", model_dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        visible++;
        if (strcmp(de->d_name, RT_MODEL_ARCHIVE_NAME) == 0)
            has_archive = 1;
    }
    closedir(d);
    if (!has_archive)
        return OPTML_OK;
    char *path = rt_path_join(model_dir, RT_MODEL_ARCHIVE_NAME);
    if (!path)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory preparing model directory %s", model_dir);
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        free(path);
        return OPTML_OK;
    }
    if (visible != 1) {
        rt_log(OPTML_LOG_INFO, "model directory %s holds %s and other files: not unpacking it", model_dir,
               RT_MODEL_ARCHIVE_NAME);
        free(path);
        return OPTML_OK;
    }
    *archive = path;
    return OPTML_OK;
}

optml_status rt_model_dir_prepare(optml_ctx *ctx, const char *model_dir, uint64_t max_bytes,
                                  enum rt_unpack_where where, struct rt_model_dir *out)
{
    char *archive = NULL;
    out->dir = NULL;
    out->copy = NULL;
    optml_status st = find_lone_archive(ctx, model_dir, &archive);
    if (st != OPTML_OK)
        return st;
    if (!archive) {
        if (!(out->dir = strdup(model_dir)))
            return optml_error(ctx, OPTML_E_NOMEM, "out of memory preparing model directory %s", model_dir);
        return OPTML_OK;
    }
    if (where == RT_UNPACK_IN_PLACE_FIRST && dir_writable(model_dir)) {
        struct rt_model_archive_stats stats;
        st = rt_model_archive_extract_stats(ctx, archive, model_dir, max_bytes, &stats);
        if (st == OPTML_OK) {
            rt_log(OPTML_LOG_INFO, "unpacked model archive %s: %llu bytes in %llu entries into %s", archive,
                   (unsigned long long)stats.bytes, (unsigned long long)stats.entries, model_dir);
            if (!(out->dir = strdup(model_dir)))
                st = optml_error(ctx, OPTML_E_NOMEM, "out of memory preparing model directory %s", model_dir);
        }
    } else {
        if (where == RT_UNPACK_IN_PLACE_FIRST)
            rt_log(OPTML_LOG_INFO, "model directory %s is read-only: unpacking %s into a private copy under %s",
                   model_dir, RT_MODEL_ARCHIVE_NAME, tmp_base());
        st = prepare_private(ctx, archive, max_bytes, out);
    }
    free(archive);
    return st;
}
