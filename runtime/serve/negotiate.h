/*
 * negotiate.h: Content-Type and Accept negotiation against what a module
 * declares (request_types / response_types / default_accept): the one place
 * a request's media types are matched; the module gets the index of the
 * entry chosen.
 */
#ifndef OPTML_NEGOTIATE_H
#define OPTML_NEGOTIATE_H

#include <stddef.h>

#include "optml/algorithm.h"

#define RT_MEDIA_MAX 256

struct rt_media_choice {
    int index;                  /* of `type` in the supported list */
    char type[RT_MEDIA_MAX];    /* lower case, no parameters: supported[index] */
    char params[1024];          /* the parameters given with it ("verbose=1"), q removed */
};

/* Match a Content-Type header against `supported` (NULL-terminated).
 * OPTML_E_UNSUPPORTED_MEDIA with a message listing the supported types when
 * the header is missing, malformed or not supported, after `lead` ("<lead>:
 * ...") when `lead` is not NULL. */
optml_status rt_negotiate_content_type(optml_ctx *ctx, const char *header, const char *const *supported,
                                       const char *lead, struct rt_media_choice *out);

/* Choose the response type for an Accept header: the supported type with the
 * highest q (ties: the order given); `*` / `*` or a missing header means
 * `fallback`, which must be one of `supported` (OPTML_E_INTERNAL otherwise);
 * `type/ *` matches the first supported type of that family.
 * OPTML_E_NOT_ACCEPTABLE with a message listing the supported types when
 * nothing matches. */
optml_status rt_negotiate_accept(optml_ctx *ctx, const char *header, const char *const *supported,
                                 const char *fallback, struct rt_media_choice *out);

#endif
