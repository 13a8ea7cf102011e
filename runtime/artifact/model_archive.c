/*
 * model_archive.c: safe extraction of model.tar.gz (see model_archive.h for
 * the rules); model_dir.c decides where an archive is unpacked.
 *
 * libarchive only reads (gzip filter, tar formats).  Every entry is created
 * here relative to a directory file descriptor: each parent component is
 * opened with O_DIRECTORY | O_NOFOLLOW (so an extracted symlink is never
 * crossed), the leaf with O_CREAT | O_EXCL | O_NOFOLLOW, mkdirat, symlinkat
 * or linkat without AT_SYMLINK_FOLLOW.  An existing file is never opened for
 * writing: a later entry of the same name replaces it (unlink, create).
 */
#define _GNU_SOURCE
#include "artifact/model_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/log.h"
#include "core/paths.h"

#define PATH_LIMIT 4096        /* an entry path or link target, NUL included */
#define MAX_DEPTH 128          /* path components of one entry */
#define TMP_PREFIX ".optml-extract-"

/* A path cut into components ("." and empty ones dropped). */
struct split {
    char buf[PATH_LIMIT];
    const char *comp[MAX_DEPTH];
    size_t n;
    size_t dotdot; /* leading ".." components (link targets only) */
};

enum split_result { SPLIT_OK, SPLIT_ABSOLUTE, SPLIT_DOTDOT, SPLIT_DOTDOT_AFTER_NAME, SPLIT_TOO_LONG, SPLIT_TOO_DEEP };

struct xstate {
    optml_ctx *ctx;
    struct archive *a;
    const char *label;   /* the archive, for messages */
    int rootfd;          /* the temp directory entries are extracted into */
    uint64_t max_bytes;
    uint64_t bytes;
    uint64_t entries;
    const char *entry;   /* the current entry's name, for messages */
    struct split path;   /* the current entry */
    struct split link;   /* its symlink or hard link target */
};

/* ---- messages ---- */

static optml_status refuse(struct xstate *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static optml_status refuse(struct xstate *x, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return optml_error(x->ctx, OPTML_E_MODEL, "model archive %s: entry \"%.300s\": %s", x->label, x->entry, why);
}

/* A failed system call on the current entry: the file system's fault (disk
 * full, permissions) is OPTML_E_IO, anything the archive can cause is
 * OPTML_E_MODEL. */
static optml_status fs_error(struct xstate *x, int err, const char *what)
{
    optml_status code = OPTML_E_MODEL;
    if (err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS || err == EACCES || err == EPERM ||
        err == EMFILE || err == ENFILE)
        code = OPTML_E_IO;
    else if (err == ENOMEM)
        code = OPTML_E_NOMEM;
    return optml_error(x->ctx, code, "model archive %s: entry \"%.300s\": %s: %s", x->label, x->entry, what,
                       strerror(err));
}

static optml_status archive_failed(struct xstate *x)
{
    int err = archive_errno(x->a);
    const char *msg = archive_error_string(x->a);
    optml_status code = err == ENOMEM ? OPTML_E_NOMEM : err == EIO ? OPTML_E_IO : OPTML_E_MODEL;
    if (!msg)
        msg = "unknown error";
    if (x->entry)
        return optml_error(x->ctx, code, "model archive %s is truncated or corrupt (in entry \"%.300s\"): %s",
                           x->label, x->entry, msg);
    if (x->entries)
        return optml_error(x->ctx, code, "model archive %s is truncated or corrupt (after %llu entries): %s",
                           x->label, (unsigned long long)x->entries, msg);
    return optml_error(x->ctx, code, "model archive %s is truncated or corrupt, or not a tar / tar.gz archive: %s",
                       x->label, msg);
}

/* ---- paths ---- */

static enum split_result split_path(struct split *s, const char *str, int leading_dotdot_ok)
{
    size_t len = strlen(str);
    s->n = 0;
    s->dotdot = 0;
    if (str[0] == '/')
        return SPLIT_ABSOLUTE;
    if (len >= sizeof(s->buf))
        return SPLIT_TOO_LONG;
    memcpy(s->buf, str, len + 1);
    char *p = s->buf;
    while (*p) {
        char *start = p;
        while (*p && *p != '/')
            p++;
        if (*p)
            *p++ = '\0';
        if (!*start || strcmp(start, ".") == 0)
            continue;
        if (strcmp(start, "..") == 0) {
            if (!leading_dotdot_ok)
                return SPLIT_DOTDOT;
            if (s->n > 0)
                return SPLIT_DOTDOT_AFTER_NAME;
            s->dotdot++;
            continue;
        }
        if (s->n == MAX_DEPTH)
            return SPLIT_TOO_DEEP;
        s->comp[s->n++] = start;
    }
    return SPLIT_OK;
}

static const char *entry_string(const char *mbs, const char *utf8) { return mbs ? mbs : utf8; }

/* Open the directory that holds the last component of `s`, below rootfd,
 * never following a symlink.  With `create`, missing directories are made
 * (mode 0755).  On success *out is a new descriptor. */
static optml_status open_parent(struct xstate *x, const struct split *s, int create, int *out)
{
    *out = -1;
    int fd = fcntl(x->rootfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return fs_error(x, errno, "cannot duplicate a descriptor");
    for (size_t i = 0; i + 1 < s->n; i++) {
        const char *c = s->comp[i];
        int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, c, 0700) != 0 && errno != EEXIST) {
                int e = errno;
                close(fd);
                return fs_error(x, e, "cannot create a parent directory");
            }
            next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next >= 0 && fchmod(next, 0755) != 0) {
                int e = errno;
                close(next);
                close(fd);
                return fs_error(x, e, "cannot set the mode of a parent directory");
            }
        }
        int e = errno;
        close(fd);
        if (next < 0) {
            if (e == ELOOP || e == ENOTDIR)
                return refuse(x, "path component \"%.300s\" is a symlink or not a directory", c);
            if (e == ENOENT)
                return refuse(x, "path component \"%.300s\" does not exist", c);
            return fs_error(x, e, "cannot open a parent directory");
        }
        fd = next;
    }
    *out = fd;
    return OPTML_OK;
}

/* Make room for a new leaf `name` in pfd: nothing there, or a non-directory
 * that is removed.  A directory of that name is refused. */
static optml_status clear_leaf(struct xstate *x, int pfd, const char *name)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return OPTML_OK;
        return fs_error(x, errno, "cannot inspect an earlier entry of the same name");
    }
    if (S_ISDIR(st.st_mode))
        return refuse(x, "a directory of the same name was extracted earlier");
    if (unlinkat(pfd, name, 0) != 0)
        return fs_error(x, errno, "cannot replace an earlier entry of the same name");
    return OPTML_OK;
}

/* ---- entries ---- */

static optml_status make_dir(struct xstate *x, struct archive_entry *e)
{
    int pfd = -1, fd = -1;
    optml_status st = open_parent(x, &x->path, 1, &pfd);
    if (st != OPTML_OK)
        return st;
    const char *leaf = x->path.comp[x->path.n - 1];
    if (mkdirat(pfd, leaf, 0700) != 0) {
        struct stat sb;
        if (errno != EEXIST) {
            st = fs_error(x, errno, "cannot create the directory");
            goto out;
        }
        if (fstatat(pfd, leaf, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            st = fs_error(x, errno, "cannot inspect an earlier entry of the same name");
            goto out;
        }
        if (!S_ISDIR(sb.st_mode)) {
            if (unlinkat(pfd, leaf, 0) != 0 || mkdirat(pfd, leaf, 0700) != 0) {
                st = fs_error(x, errno, "cannot replace an earlier entry of the same name");
                goto out;
            }
        }
    }
    fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        st = fs_error(x, errno, "cannot open the directory");
        goto out;
    }
    if (fchmod(fd, (archive_entry_perm(e) & 0755) | 0700) != 0)
        st = fs_error(x, errno, "cannot set the directory's mode");
out:
    if (fd >= 0)
        close(fd);
    close(pfd);
    return st;
}

static int pwrite_all(int fd, const void *data, size_t len, off_t off)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
        off += w;
    }
    return 0;
}

static optml_status too_large(struct xstate *x)
{
    return refuse(x, "the extracted model would exceed the limit of %llu bytes (OPTML_MAX_MODEL_MB)",
                  (unsigned long long)x->max_bytes);
}

static optml_status make_file(struct xstate *x, struct archive_entry *e)
{
    int pfd = -1, fd = -1;
    int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (size < 0)
        return refuse(x, "negative size in the header");
    uint64_t room = x->max_bytes - x->bytes; /* bytes <= max_bytes always */
    if ((uint64_t)size > room)
        return too_large(x);
    optml_status st = open_parent(x, &x->path, 1, &pfd);
    if (st != OPTML_OK)
        return st;
    const char *leaf = x->path.comp[x->path.n - 1];
    fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        if ((st = clear_leaf(x, pfd, leaf)) != OPTML_OK)
            goto out;
        fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0) {
        st = fs_error(x, errno, "cannot create the file");
        goto out;
    }
    /* Count what is really written (a sparse map or a lying header can put
     * data past the size the header gave), by the logical end of the file. */
    uint64_t end = 0;
    for (;;) {
        const void *buf;
        size_t len;
        la_int64_t off;
        int r = archive_read_data_block(x->a, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            st = archive_failed(x);
            goto out;
        }
        if (off < 0) {
            st = refuse(x, "negative data offset");
            goto out;
        }
        if ((uint64_t)off > room || len > room - (uint64_t)off) {
            st = too_large(x);
            goto out;
        }
        if (len && pwrite_all(fd, buf, len, (off_t)off) != 0) {
            st = fs_error(x, errno, "cannot write the file");
            goto out;
        }
        if ((uint64_t)off + len > end)
            end = (uint64_t)off + len;
    }
    if ((uint64_t)size > end) { /* a trailing hole of a sparse file */
        if (ftruncate(fd, (off_t)size) != 0) {
            st = fs_error(x, errno, "cannot extend the file");
            goto out;
        }
        end = (uint64_t)size;
    }
    x->bytes += end;
    if (fchmod(fd, (archive_entry_perm(e) & 0755) | 0400) != 0) {
        st = fs_error(x, errno, "cannot set the file's mode");
        goto out;
    }
    int c = close(fd);
    fd = -1;
    if (c != 0)
        st = fs_error(x, errno, "cannot write the file");
out:
    if (fd >= 0)
        close(fd);
    close(pfd);
    return st;
}

static optml_status make_symlink(struct xstate *x, struct archive_entry *e)
{
    const char *target = entry_string(archive_entry_symlink(e), archive_entry_symlink_utf8(e));
    if (!target || !*target)
        return refuse(x, "symlink with an empty or unreadable target refused");
    switch (split_path(&x->link, target, 1)) {
    case SPLIT_OK:
        break;
    case SPLIT_ABSOLUTE:
        return refuse(x, "symlink to the absolute path \"%.300s\" refused", target);
    case SPLIT_DOTDOT_AFTER_NAME:
        return refuse(x, "symlink target \"%.300s\" has \"..\" after a name: refused", target);
    default:
        return refuse(x, "symlink target \"%.300s\" is too long or too deep: refused", target);
    }
    /* The link's directory is a real directory x->path.n - 1 levels below the
     * root; leading ".." climb from there, the rest only descends. */
    if (x->link.dotdot > x->path.n - 1)
        return refuse(x, "symlink to \"%.300s\" escapes the destination directory: refused", target);
    int pfd = -1;
    optml_status st = open_parent(x, &x->path, 1, &pfd);
    if (st != OPTML_OK)
        return st;
    const char *leaf = x->path.comp[x->path.n - 1];
    if (symlinkat(target, pfd, leaf) != 0) {
        if (errno != EEXIST) {
            st = fs_error(x, errno, "cannot create the symlink");
            goto out;
        }
        if ((st = clear_leaf(x, pfd, leaf)) != OPTML_OK)
            goto out;
        if (symlinkat(target, pfd, leaf) != 0)
            st = fs_error(x, errno, "cannot create the symlink");
    }
out:
    close(pfd);
    return st;
}

/* Hard links are allowed only to a regular file extracted earlier from the
 * same archive (the temp directory holds nothing else). */
static optml_status make_hardlink(struct xstate *x, const char *target)
{
    int tfd = -1, pfd = -1;
    switch (split_path(&x->link, target, 0)) {
    case SPLIT_OK:
        break;
    case SPLIT_ABSOLUTE:
    case SPLIT_DOTDOT:
        return refuse(x, "hard link to \"%.300s\", outside the archive, refused", target);
    default:
        return refuse(x, "hard link target \"%.300s\" is too long or too deep: refused", target);
    }
    if (x->link.n == 0)
        return refuse(x, "hard link to the destination directory refused");
    optml_status st = open_parent(x, &x->link, 0, &tfd);
    if (st != OPTML_OK)
        return st;
    const char *tleaf = x->link.comp[x->link.n - 1];
    struct stat ts, ds;
    if (fstatat(tfd, tleaf, &ts, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(ts.st_mode)) {
        st = refuse(x, "hard link to \"%.300s\", which is not a regular file extracted earlier, refused", target);
        goto out;
    }
    if ((st = open_parent(x, &x->path, 1, &pfd)) != OPTML_OK)
        goto out;
    const char *leaf = x->path.comp[x->path.n - 1];
    if (fstatat(pfd, leaf, &ds, AT_SYMLINK_NOFOLLOW) == 0 && ds.st_dev == ts.st_dev && ds.st_ino == ts.st_ino)
        goto out; /* already that file */
    if ((st = clear_leaf(x, pfd, leaf)) != OPTML_OK)
        goto out;
    if (linkat(tfd, tleaf, pfd, leaf, 0) != 0)
        st = fs_error(x, errno, "cannot create the hard link");
out:
    if (pfd >= 0)
        close(pfd);
    close(tfd);
    return st;
}

static optml_status extract_entry(struct xstate *x, struct archive_entry *e)
{
    const char *name = entry_string(archive_entry_pathname(e), archive_entry_pathname_utf8(e));
    if (!name)
        return optml_error(x->ctx, OPTML_E_MODEL, "model archive %s: entry number %llu has an unreadable name",
                           x->label, (unsigned long long)x->entries);
    x->entry = name;
    switch (split_path(&x->path, name, 0)) {
    case SPLIT_OK:
        break;
    case SPLIT_ABSOLUTE:
        return refuse(x, "absolute path refused");
    case SPLIT_DOTDOT:
    case SPLIT_DOTDOT_AFTER_NAME:
        return refuse(x, "\"..\" path component refused");
    case SPLIT_TOO_LONG:
        return refuse(x, "path longer than %d bytes refused", PATH_LIMIT - 1);
    case SPLIT_TOO_DEEP:
        return refuse(x, "path deeper than %d components refused", MAX_DEPTH);
    }
    const char *hard = entry_string(archive_entry_hardlink(e), archive_entry_hardlink_utf8(e));
    mode_t type = archive_entry_filetype(e);
    if (x->path.n == 0) { /* "./": the destination itself */
        if (!hard && type == AE_IFDIR)
            return OPTML_OK;
        return refuse(x, "names the destination directory but is not a directory");
    }
    if (hard)
        return make_hardlink(x, hard);
    switch (type) {
    case AE_IFDIR:
        return make_dir(x, e);
    case AE_IFREG:
        return make_file(x, e);
    case AE_IFLNK:
        return make_symlink(x, e);
    case AE_IFCHR:
        return refuse(x, "character device refused");
    case AE_IFBLK:
        return refuse(x, "block device refused");
    case AE_IFIFO:
        return refuse(x, "FIFO refused");
    case AE_IFSOCK:
        return refuse(x, "socket refused");
    default:
        return refuse(x, "entry of unknown type 0%o refused", (unsigned)type);
    }
}

/* ---- the temp directory ---- */

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The names in directory fd (not "." or ".."); NULL with *n = 0 when empty;
 * -1 on failure (errno set).  fd stays open. */
static int list_dir(int fd, char ***names_out, size_t *n_out)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    *names_out = NULL;
    *n_out = 0;
    int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        errno = e;
        return -1;
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof(*nn));
            if (!nn)
                goto nomem;
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name)))
            goto nomem;
        n++;
        errno = 0;
    }
    if (errno != 0) {
        int e = errno;
        closedir(d);
        free_names(names, n);
        errno = e;
        return -1;
    }
    closedir(d);
    *names_out = names;
    *n_out = n;
    return 0;
nomem:
    closedir(d);
    free_names(names, n);
    errno = ENOMEM;
    return -1;
}

/* rm -rf of dirfd/name without following symlinks; at most one descriptor
 * open per call at a time (names are read first), so depth costs no fds. */
void rt_remove_tree_at(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlinkat(dirfd, name, 0);
        return;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        char **names;
        size_t n;
        if (list_dir(fd, &names, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                rt_remove_tree_at(fd, names[i]);
            free_names(names, n);
        }
        close(fd);
    }
    unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Rename every top-level entry of the temp directory into dest.  An
 * existing name is refused before anything moves; a failure part-way moves
 * what was moved back. */
static optml_status move_into_place(struct xstate *x, int destfd, const char *dest_dir)
{
    char **names = NULL;
    size_t n = 0, moved = 0;
    optml_status st = OPTML_OK;
    if (list_dir(x->rootfd, &names, &n) != 0)
        return optml_error(x->ctx, errno == ENOMEM ? OPTML_E_NOMEM : OPTML_E_IO,
                           "model archive %s: cannot list the extracted files: %s", x->label, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (fstatat(destfd, names[i], &sb, AT_SYMLINK_NOFOLLOW) == 0) {
            st = optml_error(x->ctx, OPTML_E_MODEL,
                             "model archive %s: entry \"%.300s\" already exists in %s; nothing was replaced",
                             x->label, names[i], dest_dir);
            goto out;
        }
        if (errno != ENOENT) {
            st = optml_error(x->ctx, OPTML_E_IO, "model archive %s: cannot inspect %s/%s: %s", x->label,
                             dest_dir, names[i], strerror(errno));
            goto out;
        }
    }
    for (moved = 0; moved < n; moved++) {
        const char *nm = names[moved];
        int r = renameat2(x->rootfd, nm, destfd, nm, RENAME_NOREPLACE);
        if (r != 0 && (errno == EINVAL || errno == ENOSYS)) /* file system without NOREPLACE: checked above */
            r = renameat(x->rootfd, nm, destfd, nm);
        if (r != 0) {
            int e = errno;
            st = optml_error(x->ctx, e == EEXIST ? OPTML_E_MODEL : OPTML_E_IO,
                             "model archive %s: cannot move \"%.300s\" into %s: %s", x->label, nm, dest_dir,
                             strerror(e));
            while (moved-- > 0)
                renameat(destfd, names[moved], x->rootfd, names[moved]);
            goto out;
        }
    }
out:
    free_names(names, n);
    return st;
}

/* ---- the extraction ---- */

static optml_status extract(optml_ctx *ctx, struct archive *a, const char *label, const char *dest_dir,
                            uint64_t max_bytes, struct rt_model_archive_stats *stats)
{
    struct xstate *x = NULL;
    char *tmpname = NULL;
    int destfd = -1;
    optml_status st = OPTML_OK;
    if (stats)
        stats->bytes = stats->entries = 0;
    x = calloc(1, sizeof(*x));
    if (!x)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory extracting model archive %s", label);
    x->ctx = ctx;
    x->a = a;
    x->label = label;
    x->rootfd = -1;
    x->max_bytes = max_bytes;

    destfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (destfd < 0) {
        st = optml_error(ctx, errno == ENOENT || errno == ENOTDIR ? OPTML_E_MODEL : OPTML_E_IO,
                         "cannot open the directory %s to extract model archive %s into: %s", dest_dir, label,
                         strerror(errno));
        goto out;
    }
    char *tmpl = NULL;
    if (asprintf(&tmpl, "%s/" TMP_PREFIX "XXXXXX", dest_dir) < 0) {
        st = optml_error(ctx, OPTML_E_NOMEM, "out of memory extracting model archive %s", label);
        goto out;
    }
    if (!mkdtemp(tmpl)) {
        st = optml_error(ctx, OPTML_E_IO, "cannot create a temporary directory in %s for model archive %s: %s",
                         dest_dir, label, strerror(errno));
        free(tmpl);
        goto out;
    }
    tmpname = strdup(strrchr(tmpl, '/') + 1);
    if (!tmpname) {
        rmdir(tmpl);
        free(tmpl);
        st = optml_error(ctx, OPTML_E_NOMEM, "out of memory extracting model archive %s", label);
        goto out;
    }
    free(tmpl);
    x->rootfd = openat(destfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (x->rootfd < 0) {
        st = optml_error(ctx, OPTML_E_IO, "cannot open %s/%s: %s", dest_dir, tmpname, strerror(errno));
        goto out;
    }

    for (;;) {
        struct archive_entry *e;
        x->entry = NULL;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            st = archive_failed(x);
            goto out;
        }
        if (x->entries == 0) { /* only tar, plain or gzip, is enabled; say so if that ever changes */
            for (int i = 0; i < archive_filter_count(a); i++) {
                int f = archive_filter_code(a, i);
                if (f != ARCHIVE_FILTER_NONE && f != ARCHIVE_FILTER_GZIP) {
                    st = optml_error(ctx, OPTML_E_MODEL, "model archive %s: compression %s is not supported",
                                     label, archive_filter_name(a, i));
                    goto out;
                }
            }
            if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR) {
                st = optml_error(ctx, OPTML_E_MODEL, "model archive %s: format %s is not supported (tar only)",
                                 label, archive_format_name(a));
                goto out;
            }
        }
        if (++x->entries > RT_MODEL_ARCHIVE_MAX_ENTRIES) {
            const char *nm = entry_string(archive_entry_pathname(e), archive_entry_pathname_utf8(e));
            x->entry = nm ? nm : "?";
            st = refuse(x, "the archive has more than %u entries: refused", RT_MODEL_ARCHIVE_MAX_ENTRIES);
            goto out;
        }
        if ((st = extract_entry(x, e)) != OPTML_OK)
            goto out;
    }
    x->entry = NULL;
    st = move_into_place(x, destfd, dest_dir);
    if (st == OPTML_OK && stats) {
        stats->bytes = x->bytes;
        stats->entries = x->entries;
    }
out:
    if (x->rootfd >= 0)
        close(x->rootfd);
    if (tmpname)
        rt_remove_tree_at(destfd, tmpname);
    if (destfd >= 0)
        close(destfd);
    free(tmpname);
    free(x);
    return st;
}

static optml_status reader_new(optml_ctx *ctx, const char *label, struct archive **out)
{
    struct archive *a = archive_read_new();
    *out = NULL;
    if (!a)
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory opening model archive %s", label);
    int r = archive_read_support_filter_gzip(a);
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN) /* WARN: through an external gzip */
        r = archive_read_support_format_tar(a);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        optml_status st = optml_error(ctx, OPTML_E_INTERNAL, "libarchive cannot read tar.gz (model archive %s): %s",
                                      label, archive_error_string(a));
        archive_read_free(a);
        return st;
    }
    *out = a;
    return OPTML_OK;
}

optml_status rt_model_archive_extract_fd(optml_ctx *ctx, int fd, const char *label, const char *dest_dir,
                                         uint64_t max_bytes, struct rt_model_archive_stats *stats)
{
    struct archive *a = NULL;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        return optml_error(ctx, OPTML_E_MODEL, "model archive %s is not a regular file", label);
    optml_status st = reader_new(ctx, label, &a);
    if (st != OPTML_OK)
        return st;
    if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
        struct xstate x = {.ctx = ctx, .a = a, .label = label};
        st = archive_failed(&x);
    } else {
        st = extract(ctx, a, label, dest_dir, max_bytes, stats);
    }
    archive_read_free(a);
    return st;
}

optml_status rt_model_archive_extract_stats(optml_ctx *ctx, const char *archive_path, const char *dest_dir,
                                            uint64_t max_bytes, struct rt_model_archive_stats *stats)
{
    int fd = open(archive_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return optml_error(ctx, errno == ENOENT || errno == ENOTDIR ? OPTML_E_MODEL : OPTML_E_IO,
                           "cannot open model archive %s: %s", archive_path, strerror(errno));
    optml_status st = rt_model_archive_extract_fd(ctx, fd, archive_path, dest_dir, max_bytes, stats);
    close(fd);
    return st;
}

optml_status rt_model_archive_extract(optml_ctx *ctx, const char *archive_path, const char *dest_dir,
                                      uint64_t max_bytes)
{
    return rt_model_archive_extract_stats(ctx, archive_path, dest_dir, max_bytes, NULL);
}

optml_status rt_model_archive_extract_memory(optml_ctx *ctx, const void *data, size_t len, const char *dest_dir,
                                             uint64_t max_bytes)
{
    static const char label[] = "<memory>";
    struct archive *a;
    optml_status st = reader_new(ctx, label, &a);
    if (st != OPTML_OK)
        return st;
    /* libarchive takes a non-const pointer but only reads it. */
    if (archive_read_open_memory(a, (void *)(uintptr_t)data, len) != ARCHIVE_OK) {
        struct xstate x = {.ctx = ctx, .a = a, .label = label};
        st = archive_failed(&x);
    } else {
        st = extract(ctx, a, label, dest_dir, max_bytes, NULL);
    }
    archive_read_free(a);
    return st;
}

/* ---- the model directory ---- */

uint64_t rt_model_archive_default_limit(void)
{
    const uint64_t dflt = 16ull << 30;
    const char *s = getenv("OPTML_MAX_MODEL_MB");
    if (!s || !*s)
        return dflt;
    char *end = NULL;
    errno = 0;
    unsigned long long v = isdigit((unsigned char)s[0]) ? strtoull(s, &end, 10) : 0;
    if (errno != 0 || !end || *end != '\0' || v == 0 || v > (UINT64_MAX >> 20)) {
        rt_log(OPTML_LOG_WARNING, "OPTML_MAX_MODEL_MB=%.64s is not a positive integer: using %llu", s,
               (unsigned long long)(dflt >> 20));
        return dflt;
    }
    return (uint64_t)v << 20;
}
