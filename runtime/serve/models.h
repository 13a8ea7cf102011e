/*
 * models.h: loaded models, shared read-only by prediction workers.  An entry
 * is reference-counted: the registry holds one reference while the model is
 * listed, each prediction holds one while it runs; model_free runs when the
 * last goes, so unloading never pulls a model from under a request.  The
 * registry serves both modes: one model named "model" loaded at start-up, or
 * the multi-model API's models, within a memory budget.  A model's unpacked
 * copy of model.tar.gz (model_dir.h) is released with the model: on unload,
 * and when a failed load is replaced.
 */
#ifndef OPTML_MODELS_H
#define OPTML_MODELS_H

#include <pthread.h>
#include <stdint.h>

#include "artifact/model_dir.h"
#include "optml/algorithm.h"

enum rt_model_state { RT_MODEL_LOADING, RT_MODEL_READY, RT_MODEL_FAILED };

struct rt_model {
    char *name;
    char *url;              /* the directory given */
    struct rt_model_dir files; /* where the files are (maybe an unpacked model.tar.gz) */
    void *model;            /* from the module's model_load */
    uint64_t bytes;         /* size of the model's files: the memory estimate */
    enum rt_model_state state;
    char error[2048];       /* why loading failed */
    int refs;
};

struct rt_models {
    pthread_mutex_t mu;
    const struct optml_algorithm *alg;
    struct rt_model **items;
    size_t n;
    uint64_t budget;        /* bytes; 0 = unlimited */
    uint64_t used;
    enum rt_unpack_where unpack; /* where a lone model.tar.gz is unpacked */
};

void rt_models_init(struct rt_models *m, const struct optml_algorithm *alg, uint64_t budget,
                    enum rt_unpack_where unpack);
/* Free every model no request holds; the unpacked copies are the caller's
 * (rt_model_dir_cleanup at exit). */
void rt_models_deinit(struct rt_models *m);

/* Register `name` -> `url` in state LOADING and return it referenced.
 * OPTML_E_CONFLICT if the name is taken (409), OPTML_E_NOT_FOUND if url is not
 * a directory, OPTML_E_NOMEM (507) when its files do not fit the budget. */
optml_status rt_models_add(struct rt_models *m, optml_ctx *ctx, const char *name, const char *url,
                           struct rt_model **out);
/* Register `name` as FAILED with `error` (a model that cannot even be
 * registered, so that /ping can say why). */
void rt_models_add_failed(struct rt_models *m, const char *name, const char *url, const char *error);
/* Load a registered model (slow: unpacks and calls model_load).  On failure
 * the entry is FAILED with the reason in ->error. */
optml_status rt_models_load(struct rt_models *m, optml_ctx *ctx, struct rt_model *e);
/* Take a reference on `name` (NULL when absent). */
struct rt_model *rt_models_get(struct rt_models *m, const char *name);
void rt_models_release(struct rt_models *m, struct rt_model *e);
/* Remove from the list (the model is freed with its last reference).
 * OPTML_E_NOT_FOUND when absent. */
optml_status rt_models_remove(struct rt_models *m, const char *name);
/* JSON list {"models": [{"modelName", "modelUrl"}, ...]} (malloc'd). */
char *rt_models_list_json(struct rt_models *m);

/* The default multi-model budget: $OPTML_MME_MEMORY_MB, else 70 % of the
 * container's memory limit (cgroup) or of the machine's memory. */
uint64_t rt_models_default_budget(void);

#endif
