/*
 * request.h: the headlines of one request (request.c).
 */
#ifndef OPTML_NEWS_CLASSIFIER_REQUEST_H
#define OPTML_NEWS_CLASSIFIER_REQUEST_H

#include <stddef.h>

#include <optml/algorithm.h>

struct nc_inputs {
    char **text;
    size_t *len;
    size_t n, cap;
    int list;     /* answer with a list (input was a list, several lines, or jsonlines) */
    int verbose;  /* add per-class probabilities */
};

optml_status nc_parse_request(optml_ctx *ctx, const struct optml_request *req, struct nc_inputs *in);
void nc_inputs_free(struct nc_inputs *in);

#endif
