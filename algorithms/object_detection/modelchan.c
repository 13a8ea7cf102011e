/*
 * modelchan.c: the `model` channel of incremental training (ALGORITHMS.md
 * D.2 (d)): an earlier optml object-detection model, as the model.tar.gz
 * SageMaker hands over (gzip read by the runtime, the member found by
 * tar.c) or as the unpacked files.  The model file is read back through
 * the runtime (optml_model_read: module name, format version, length and
 * CRC checked), from a scratch directory when it came out of an archive.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "object_detection/od.h"
#include "object_detection/tar.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *base_of(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static optml_status from_archive(optml_ctx *ctx, const char *path, const char *shown, void **data, size_t *len)
{
    optml_reader *r = NULL;
    optml_status s = optml_file_open(ctx, path, OPTML_FRAME_FILE, &r);
    struct optml_record rec;
    if (s == OPTML_OK && (s = optml_reader_next(r, &rec)) == OPTML_END)
        s = optml_error(ctx, OPTML_E_CLIENT, "model channel: %s is empty", shown);
    const uint8_t *member = NULL;
    size_t mlen = 0;
    char err[200];
    int found = 0;
    if (s == OPTML_OK) {
        found = od_tar_find(rec.data, rec.len, OD_MODEL_FILE, &member, &mlen, err, sizeof(err));
        if (found < 0)
            s = optml_error(ctx, OPTML_E_CLIENT, "model channel: %s: %s", shown, err);
        else if (found == 0)
            s = optml_error(ctx, OPTML_E_CLIENT, "model channel: %s holds no %s (not an optml object-detection "
                            "model.tar.gz)", shown, OD_MODEL_FILE);
    }
    const char *scratch = NULL;
    char *dir = NULL, *file = NULL;
    if (s == OPTML_OK)
        s = optml_scratch_dir(ctx, &scratch);
    if (s == OPTML_OK && (asprintf(&dir, "%s/od-model-%ld", scratch, (long)getpid()) < 0 ||
                          asprintf(&file, "%s/od-model-%ld/%s", scratch, (long)getpid(), OD_MODEL_FILE) < 0))
        s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    if (s == OPTML_OK) {
        FILE *f = NULL;
        if ((mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0) || !(f = fopen(file, "wb")) ||
            fwrite(member, 1, mlen, f) != mlen || fclose(f) != 0) {
            if (f)
                fclose(f);
            s = optml_error(ctx, OPTML_E_IO, "cannot unpack the model channel's %s into %s", OD_MODEL_FILE, dir);
        }
    }
    if (r)
        optml_reader_close(r);
    if (s == OPTML_OK)
        s = optml_model_read(ctx, dir, OD_MODEL_FILE, data, len);
    if (file)
        unlink(file);
    if (dir)
        rmdir(dir);
    free(file);
    free(dir);
    return s;
}

optml_status od_model_channel_read(optml_ctx *ctx, const optml_channel *ch, void **data, size_t *len)
{
    const char *const *paths;
    size_t n;
    optml_status s = optml_channel_files(ctx, ch, &paths, &n);
    if (s != OPTML_OK)
        return s;
    if (optml_channel_mode(ch) == OPTML_MODE_PIPE)
        return optml_error(ctx, OPTML_E_CLIENT, "the model channel must be in File mode");
    for (size_t i = 0; i < n; i++)
        if (strcmp(base_of(paths[i]), OD_MODEL_FILE) == 0) {
            char *dir = strdup(optml_channel_file_path(ch, i));
            if (!dir)
                return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
            *strrchr(dir, '/') = 0;
            s = optml_model_read(ctx, dir, OD_MODEL_FILE, data, len);
            free(dir);
            return s;
        }
    for (size_t i = 0; i < n; i++)
        if (ends_with(paths[i], ".tar.gz") || ends_with(paths[i], ".tgz") || ends_with(paths[i], ".tar"))
            return from_archive(ctx, optml_channel_file_path(ch, i), paths[i], data, len);
    return optml_error(ctx, OPTML_E_CLIENT, "the model channel holds neither a model.tar.gz nor %s",
                       OD_MODEL_FILE);
}
