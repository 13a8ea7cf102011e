/*
 * test_numtext.c: floats printed as given (algorithms/common/numtext.c).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "common/numtext.h"

TEST(numtext_float_prints_the_shortest_round_trip)
{
    char b[NUMTEXT_SIZE];
    ASSERT_EQ_STR(numtext_float(b, 0.06f), "0.06");
    ASSERT_EQ_STR(numtext_float(b, 1e-6f), "1e-06");
    ASSERT_EQ_STR(numtext_float(b, 0.001f), "0.001");
    ASSERT_EQ_STR(numtext_float(b, 0.99f), "0.99");
    ASSERT_EQ_STR(numtext_float(b, 100.0f), "100");
    ASSERT_EQ_STR(numtext_float(b, -2.5f), "-2.5");
    ASSERT_EQ_STR(numtext_float(b, 0.0f), "0");
    ASSERT_EQ_STR(numtext_float(b, 0.1f * 3), "0.3");
    ASSERT_EQ_STR(numtext_float(b, NAN), "nan");
    ASSERT_EQ_STR(numtext_float(b, -INFINITY), "-inf");
    /* every float reads back as itself */
    uint32_t bits = 0x3d75c28fu;
    for (int i = 0; i < 100000; i++, bits = bits * 1664525u + 1013904223u) {
        float x;
        memcpy(&x, &bits, 4);
        if (isfinite(x))
            ASSERT(strtof(numtext_float(b, x), NULL) == x);
    }
}
