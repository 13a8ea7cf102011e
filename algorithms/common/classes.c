/*
 * classes.c: the classes present in a classifier's training data, and the
 * list of those without rows (classes.h).
 */
#include "common/classes.h"

#include <stdio.h>
#include <string.h>

struct class_presence class_presence(const uint64_t *count, size_t n, char *buf, size_t size)
{
    struct class_presence p = {0, 0, 0};
    size_t at = 0;
    if (size)
        buf[0] = 0;
    for (size_t k = 0; k < n; k++) {
        if (count[k]) {
            p.present++;
            p.last = k;
        } else if (size >= 16 && at < size - 16) {
            at += (size_t)snprintf(buf + at, size - at, "%s%zu", p.missing++ ? ", " : "", k);
        } else if (p.missing++ && size && !strstr(buf, "...")) {
            snprintf(buf + at, size - at, ", ...");
        }
    }
    return p;
}
