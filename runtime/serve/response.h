/*
 * response.h: struct optml_response, the body and headers a module's
 * predict() produces.  `limit` (0 = none) caps the body size.
 */
#ifndef OPTML_RESPONSE_H
#define OPTML_RESPONSE_H

#include "optml/algorithm.h"

struct optml_response {
    char *body;             /* NUL-terminated for convenience; len excludes it */
    size_t len, cap, limit;
    char *content_type;     /* set by the module, or NULL: the negotiated type */
    char *custom_attributes;
};

void rt_response_init(struct optml_response *r);
void rt_response_deinit(struct optml_response *r);

#endif
