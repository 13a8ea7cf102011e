/*
 * strjoin.c: see strjoin.h.
 */
#include "core/strjoin.h"

#include <stdlib.h>
#include <string.h>

char *rt_join(const char *const *items, size_t n)
{
    size_t len = 1, count = 0;
    for (; items && count < n && items[count]; count++)
        len += strlen(items[count]) + 2;
    char *s = malloc(len);
    if (!s)
        return NULL;
    char *p = s;
    for (size_t i = 0; i < count; i++) {
        if (i) {
            memcpy(p, ", ", 2);
            p += 2;
        }
        size_t l = strlen(items[i]);
        memcpy(p, items[i], l);
        p += l;
    }
    *p = 0;
    return s;
}
