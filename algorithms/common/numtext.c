/*
 * numtext.c: the shortest round-trip text of a float (numtext.h).
 */
#include "common/numtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *numtext_float(char buf[NUMTEXT_SIZE], float x)
{
    if (!isfinite(x)) {
        snprintf(buf, NUMTEXT_SIZE, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
        return buf;
    }
    if (x == floorf(x) && fabsf(x) < 1e15f) { /* "100", not "1e+02" */
        snprintf(buf, NUMTEXT_SIZE, "%.0f", (double)x);
        return buf;
    }
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, NUMTEXT_SIZE, "%.*g", p, (double)x);
        if (strtof(buf, NULL) == x)
            break;
    }
    return buf;
}
