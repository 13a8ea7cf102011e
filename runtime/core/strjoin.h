/*
 * strjoin.h: "a, b, c" from a list of strings, for messages that name what
 * is accepted or installed.
 */
#ifndef OPTML_STRJOIN_H
#define OPTML_STRJOIN_H

#include <stddef.h>

#define RT_JOIN_UNTIL_NULL ((size_t)-1)

/* The first n items (RT_JOIN_UNTIL_NULL: up to a NULL entry) joined with
 * ", ", malloc'd; NULL on allocation failure. */
char *rt_join(const char *const *items, size_t n);

#endif
