/*
 * media.h: media-type ("Content-Type" / "Accept" value) parsing shared by the
 * configuration readers and the HTTP layer.  Owns rt_media_parse and the
 * public optml_media_param (algorithm.h).
 */
#ifndef OPTML_MEDIA_H
#define OPTML_MEDIA_H

#include <stddef.h>

#include "optml/algorithm.h"

/* Split `header` ("Application/JSON; charset=utf-8") into its media type,
 * lower case and trimmed, copied into `type` ("application/json"), and its
 * parameters: *params (when params is not NULL) points into `header` just past
 * the first ';' with leading spaces and tabs removed, or at the header's
 * terminating NUL when there are none.  Returns 0 on success; -1 when the
 * header is NULL or empty, the type is not `token/token`, or it does not fit
 * in `type_size` bytes (then `type` is "" and *params is ""). */
int rt_media_parse(const char *header, char *type, size_t type_size, const char **params);

#endif
