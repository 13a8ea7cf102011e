/*
 * models.c: the model registry (see models.h).
 */
#define _GNU_SOURCE
#include "serve/models.h"

#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ctx.h"
#include "core/log.h"
#include "artifact/model_archive.h"
#include "artifact/model_dir.h"

void rt_models_init(struct rt_models *m, const struct optml_algorithm *alg, uint64_t budget,
                    enum rt_unpack_where unpack)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->mu, NULL);
    m->alg = alg;
    m->budget = budget;
    m->unpack = unpack;
}

static void entry_free(const struct optml_algorithm *alg, struct rt_model *e)
{
    if (e->model && alg->model_free)
        alg->model_free(e->model);
    free(e->name);
    free(e->url);
    rt_model_dir_release(&e->files);
    free(e);
}

void rt_models_deinit(struct rt_models *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (--m->items[i]->refs == 0)
            entry_free(m->alg, m->items[i]);
    free(m->items);
    pthread_mutex_destroy(&m->mu);
    memset(m, 0, sizeof(*m));
}

static __thread uint64_t walk_total;
static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F && S_ISREG(st->st_mode))
        walk_total += (uint64_t)st->st_size;
    return 0;
}

static uint64_t dir_bytes(const char *dir)
{
    walk_total = 0;
    nftw(dir, add_size, 16, FTW_PHYS);
    return walk_total;
}

static ssize_t find_locked(struct rt_models *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i]->name, name) == 0)
            return (ssize_t)i;
    return -1;
}

optml_status rt_models_add(struct rt_models *m, optml_ctx *ctx, const char *name, const char *url,
                           struct rt_model **out)
{
    *out = NULL;
    struct stat st;
    if (stat(url, &st) != 0 || !S_ISDIR(st.st_mode))
        return optml_error(ctx, OPTML_E_NOT_FOUND, "model directory '%s' does not exist", url);
    uint64_t bytes = dir_bytes(url);
    struct rt_model *e = calloc(1, sizeof(*e));
    if (!e || !(e->name = strdup(name)) || !(e->url = strdup(url))) {
        if (e)
            entry_free(m->alg, e);
        return optml_error(ctx, OPTML_E_NOMEM, "out of memory");
    }
    e->bytes = bytes;
    e->state = RT_MODEL_LOADING;
    e->refs = 2; /* the registry's and the caller's */
    optml_status s = OPTML_OK;
    pthread_mutex_lock(&m->mu);
    if (find_locked(m, name) >= 0) {
        s = optml_error(ctx, OPTML_E_CONFLICT, "model '%s' is already loaded", name);
    } else if (m->budget && m->used + bytes > m->budget) {
        s = optml_error(ctx, OPTML_E_NOMEM,
                        "model '%s' needs %llu bytes; %llu of the %llu-byte budget are in use "
                        "(OPTML_MME_MEMORY_MB): unload a model first",
                        name, (unsigned long long)bytes, (unsigned long long)m->used,
                        (unsigned long long)m->budget);
    } else {
        struct rt_model **grown = realloc(m->items, (m->n + 1) * sizeof(*grown));
        if (!grown) {
            s = optml_error(ctx, OPTML_E_NOMEM, "out of memory");
        } else {
            m->items = grown;
            m->items[m->n++] = e;
            m->used += bytes;
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (s != OPTML_OK) {
        entry_free(m->alg, e);
        return s;
    }
    *out = e;
    return OPTML_OK;
}

void rt_models_add_failed(struct rt_models *m, const char *name, const char *url, const char *error)
{
    struct rt_model *e = calloc(1, sizeof(*e));
    if (!e || !(e->name = strdup(name)) || !(e->url = strdup(url))) {
        if (e)
            entry_free(m->alg, e);
        return;
    }
    snprintf(e->error, sizeof(e->error), "%s", error);
    e->state = RT_MODEL_FAILED;
    e->refs = 1;
    pthread_mutex_lock(&m->mu);
    struct rt_model **grown = realloc(m->items, (m->n + 1) * sizeof(*grown));
    if (grown) {
        m->items = grown;
        m->items[m->n++] = e;
    }
    pthread_mutex_unlock(&m->mu);
    if (!grown)
        entry_free(m->alg, e);
}

optml_status rt_models_load(struct rt_models *m, optml_ctx *ctx, struct rt_model *e)
{
    double t0 = rt_now();
    struct rt_model_dir files = {0};
    void *model = NULL;
    optml_status s = rt_model_dir_prepare(ctx, e->url, rt_model_archive_default_limit(), m->unpack, &files);
    if (s == OPTML_OK && !m->alg->model_load)
        s = optml_error(ctx, OPTML_E_INTERNAL, "module %s cannot serve: it has no model_load",
                        m->alg->name);
    if (s == OPTML_OK)
        s = m->alg->model_load(ctx, files.dir, &model);
    if (s == OPTML_OK && !model)
        s = optml_error(ctx, OPTML_E_INTERNAL, "module %s returned no model", m->alg->name);
    double secs = rt_now() - t0;
    if (s == OPTML_OK)
        rt_log(OPTML_LOG_INFO, "Model '%s' loaded from %s in %.3f s", e->name, files.dir, secs);
    else
        rt_model_dir_release(&files); /* a failed load keeps no copy */
    pthread_mutex_lock(&m->mu);
    e->files = files;
    if (s == OPTML_OK) {
        e->model = model;
        e->state = RT_MODEL_READY;
    } else {
        snprintf(e->error, sizeof(e->error), "%s",
                 ctx->errmsg[0] ? ctx->errmsg : optml_status_text(s));
        e->state = RT_MODEL_FAILED;
    }
    pthread_mutex_unlock(&m->mu);
    if (s != OPTML_OK)
        rt_log(OPTML_LOG_ERROR, "Model '%s' failed to load from %s: %s", e->name, e->url, e->error);
    return s;
}

struct rt_model *rt_models_get(struct rt_models *m, const char *name)
{
    pthread_mutex_lock(&m->mu);
    ssize_t i = find_locked(m, name);
    struct rt_model *e = i >= 0 ? m->items[i] : NULL;
    if (e)
        e->refs++;
    pthread_mutex_unlock(&m->mu);
    return e;
}

void rt_models_release(struct rt_models *m, struct rt_model *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&m->mu);
    int last = --e->refs == 0;
    pthread_mutex_unlock(&m->mu);
    if (last)
        entry_free(m->alg, e);
}

optml_status rt_models_remove(struct rt_models *m, const char *name)
{
    pthread_mutex_lock(&m->mu);
    ssize_t i = find_locked(m, name);
    struct rt_model *e = NULL;
    if (i >= 0) {
        e = m->items[i];
        memmove(&m->items[i], &m->items[i + 1], (m->n - (size_t)i - 1) * sizeof(*m->items));
        m->n--;
        m->used -= e->bytes;
    }
    pthread_mutex_unlock(&m->mu);
    if (!e)
        return OPTML_E_NOT_FOUND;
    rt_models_release(m, e);
    return OPTML_OK;
}

char *rt_models_list_json(struct rt_models *m)
{
    json_t *list = json_array();
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n; i++)
        json_array_append_new(list, json_pack("{s:s, s:s}", "modelName", m->items[i]->name, "modelUrl",
                                              m->items[i]->url));
    pthread_mutex_unlock(&m->mu);
    json_t *doc = json_pack("{s:o}", "models", list);
    char *text = doc ? json_dumps(doc, JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    return text;
}

static uint64_t read_u64_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[64] = "";
    uint64_t v = 0;
    if (fgets(buf, sizeof(buf), f) && strncmp(buf, "max", 3) != 0)
        v = strtoull(buf, NULL, 10);
    fclose(f);
    return v;
}

uint64_t rt_models_default_budget(void)
{
    const char *env = getenv("OPTML_MME_MEMORY_MB");
    if (env && *env) {
        char *end = NULL;
        unsigned long long mb = strtoull(env, &end, 10);
        if (end && *end == 0 && mb > 0)
            return (uint64_t)mb << 20;
        rt_log(OPTML_LOG_WARNING, "OPTML_MME_MEMORY_MB='%s' is not a positive number: ignored", env);
    }
    uint64_t limit = read_u64_file("/sys/fs/cgroup/memory.max");
    if (!limit || limit > (1ULL << 50))
        limit = read_u64_file("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    if (!limit || limit > (1ULL << 50)) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
        limit = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    }
    return limit / 10 * 7;
}
