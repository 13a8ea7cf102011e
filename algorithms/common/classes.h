/*
 * classes.h: which classes a classifier's training data holds, from its
 * per-class counts (taken while the data is read; counts from several
 * hosts are summed first), for the modules' one-class error and
 * missing-class warning.
 */
#ifndef OPTML_COMMON_CLASSES_H
#define OPTML_COMMON_CLASSES_H

#include <stddef.h>
#include <stdint.h>

struct class_presence {
    size_t present; /* classes with at least one row */
    size_t last;    /* the largest class with rows (0 when none) */
    size_t missing; /* classes without rows */
};

/* Classes 0 .. n-1 of count[] (rows of each): what is present, and the
 * classes without rows as "3, 4" into buf (", ..." when they do not all
 * fit). */
struct class_presence class_presence(const uint64_t *count, size_t n, char *buf, size_t size);

#endif
