/*
 * data.h: reading the news classifier's channels and shaping its label set
 * (data.c).
 */
#ifndef OPTML_NEWS_CLASSIFIER_DATA_H
#define OPTML_NEWS_CLASSIFIER_DATA_H

#include "news_classifier/nc.h"

#define NC_MAX_GLOVE 16

struct nc_paths {
    const char *path[NC_MAX_GLOVE]; /* owned by the runtime (channel file paths) */
    size_t n;
};

/* Append channel `chan`'s corpus rows to c (labels interned into `labels`)
 * and list its GloVe files in `glove` (may be NULL: then they are skipped).
 * A missing channel is OPTML_OK with nothing read. */
optml_status nc_read_channel(optml_ctx *ctx, const char *chan, struct nc_corpus *c, struct nc_labels *labels,
                             struct nc_paths *glove);
/* Renumber the labels: UCI's b t e m in the workshop's order with its names,
 * otherwise sorted by value (names = values); relabel the corpora. */
optml_status nc_labels_canonical(optml_ctx *ctx, struct nc_labels *l, struct nc_corpus *const *corpora, size_t n);
/* Apply the label_names hyperparameter (JSON object value -> name). */
optml_status nc_labels_rename(optml_ctx *ctx, struct nc_labels *l, const char *json);

#endif
