/*
 * request.h: the headlines of one request (request.c), and the media types
 * the module serves: enums in the order of the module table's request_types
 * / response_types, which are built from them with designated initializers
 * (nc_request_types in request.c, nc_response_types in predict.c).
 */
#ifndef OPTML_NEWS_CLASSIFIER_REQUEST_H
#define OPTML_NEWS_CLASSIFIER_REQUEST_H

#include <stddef.h>

#include <optml/algorithm.h>

enum nc_request_type { NC_IN_JSON, NC_IN_JSONLINES, NC_IN_TEXT, NC_N_IN };
enum nc_response_type { NC_OUT_JSON, NC_OUT_JSONLINES, NC_N_OUT };
extern const char *const nc_request_types[NC_N_IN + 1];
extern const char *const nc_response_types[NC_N_OUT + 1];

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
