/*
 * paths.h: every path of the /opt/ml contract, rooted at /opt/ml or at
 * $SAGEMAKER_BASE_DIR when set, and the directory set-up training needs.
 */
#ifndef OPTML_PATHS_H
#define OPTML_PATHS_H

#include "core/ctx.h"

struct rt_paths {
    char *base;          /* /opt/ml or $SAGEMAKER_BASE_DIR */
    char *config_dir;    /* base/input/config */
    char *data_dir;      /* base/input/data */
    char *model_dir;     /* base/model */
    char *output_dir;    /* base/output */
    char *output_data_dir; /* base/output/data */
    char *failure_file;  /* base/output/failure */
    char *checkpoint_dir; /* LocalPath or base/checkpoints; NULL when disabled */
};

/* Fill `p` from the base directory; OPTML_E_NOMEM on allocation failure. */
optml_status rt_paths_init(optml_ctx *ctx, struct rt_paths *p);
/* Create model/, output/, output/data/ when missing and remove a stale
 * output/failure.  OPTML_E_IO naming the directory on failure, except for
 * output/data/ (only optional files go there): a WARNING, and OPTML_OK. */
optml_status rt_paths_prepare_training(optml_ctx *ctx, const struct rt_paths *p);
void rt_paths_free(struct rt_paths *p);

/* mkdir -p; returns 0 or -1 with errno set. */
int rt_mkdirs(const char *path, unsigned mode);
/* malloc'd "a/b"; NULL on allocation failure. */
char *rt_path_join(const char *a, const char *b);

#endif
