/*
 * request.h: the images of one /invocations body (request.c) and the
 * answer (cc_write_predictions), and the media types the module serves:
 * enums in the order of the module table's request_types / response_types,
 * which are built from them with designated initializers.
 */
#ifndef OPTML_CIFAR_CNN_REQUEST_H
#define OPTML_CIFAR_CNN_REQUEST_H

#include <stddef.h>

#include <optml/algorithm.h>

#include "cifar_cnn/data.h"

enum cc_request_type { CC_IN_JSON, CC_IN_JSONLINES, CC_IN_CSV, CC_IN_NPY, CC_IN_PNG, CC_IN_JPEG, CC_N_IN };
enum cc_response_type { CC_OUT_JSON, CC_OUT_JSONLINES, CC_N_OUT };
extern const char *const cc_request_types[CC_N_IN + 1];
extern const char *const cc_response_types[CC_N_OUT + 1];

/* Requests larger than this many images are refused (a 413). */
#define CC_MAX_INSTANCES 65536
/* PNG and JPEG bodies of more pixels than this are refused (a 413) before
 * they are decoded: 4096 x 4096. */
#define CC_MAX_DECODE_PIXELS ((size_t)1 << 24)

struct cc_inputs {
    float *x;      /* n images of the model's shape, HWC, values as sent */
    size_t n;
    int columnar;  /* {"inputs": ...}: answer {"outputs": ...} */
    int pixels;    /* a decoded PNG / JPEG: values are 0-255 pixels, to be
                      scaled as the training images were */
};

/* The images of `req`, each of shape `s` (the model's input; PNG and JPEG
 * are decoded to s->c channels, 1 or 3, and resized bilinearly to s->h x
 * s->w): a 400 naming
 * what was expected for a wrong shape, a value that is not a number, a
 * dtype that is not numeric, or bytes that do not decode; *in is empty
 * then. */
optml_status cc_parse_request(optml_ctx *ctx, const struct optml_request *req, const struct cc_shape *s,
                              struct cc_inputs *in);
void cc_inputs_free(struct cc_inputs *in);
/* application/json's common bodies, {"instances": [img, ...]} and a bare
 * list of images, each an H x W x C nested list of numbers, read without a
 * JSON tree (json_fast.c): 0 with *in filled, or -1 (nothing kept) for any
 * other body, which cc_parse_request then reads with jansson. */
int cc_json_fast(const char *body, size_t len, const struct cc_shape *s, struct cc_inputs *in);

/* The answer for n rows of k class probabilities: application/json
 * {"predictions": [[p0, ..., pk-1], ...]} ({"outputs": ...} when the request
 * was columnar), application/jsonlines one [p0, ..., pk-1] per line. */
optml_status cc_write_predictions(optml_response *resp, int accept_index, int columnar, const float *probs, size_t n,
                                  size_t k);

#endif
