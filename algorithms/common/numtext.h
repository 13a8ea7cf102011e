/*
 * numtext.h: numbers as text for log lines, printed as the user gave them:
 * the shortest text that reads back as the same float ("0.06", not
 * "0.0599999987"), in the C locale.
 */
#ifndef OPTML_COMMON_NUMTEXT_H
#define OPTML_COMMON_NUMTEXT_H

#include <stddef.h>

/* Room for any float's shortest text. */
#define NUMTEXT_SIZE 32

/* The integer text of a whole x below 1e15, else the shortest "%.{1..9}g" text of x that strtof reads back as x ("nan",
 * "inf", "-inf" for those); returns buf. */
const char *numtext_float(char buf[NUMTEXT_SIZE], float x);

#endif
