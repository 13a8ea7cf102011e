/*
 * test_numfmt.c: runtime/core/numfmt.c, the text of numbers in JSON responses
 * and metric lines: the shortest "%.{12..17}g" that reads back as the
 * value, checked against the plain search over every precision on random
 * doubles of every kind (any bits, floats widened, integers, decimals,
 * subnormals), and the non-finite forms; "%.*g", "%.*f", "%lld" and the
 * shortest "%.{1..17}g" (the hand-written, printf-free paths) against
 * printf and strtod / strtof on values of every magnitude, ties and
 * neighbours of powers of ten included.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "support/harness.h"
#include "core/numfmt.h"

/* The definition: the least precision from 12 to 17 that round-trips. */
static void by_search(char *buf, size_t n, double v)
{
    for (int prec = 12; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

TEST(numfmt_shortest_round_trip_text)
{
    uint64_t s = 12345;
    char want[64], got[64];
    long checked = 0;
    for (long i = 0; i < 200000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = s >> 1;
        double v;
        switch (i % 7) {
        case 0: memcpy(&v, &s, sizeof(v)); break;
        case 1: {
            uint32_t u = (uint32_t)(s >> 32);
            float f;
            memcpy(&f, &u, sizeof(f));
            v = f;
            break;
        }
        case 2: v = (double)(int64_t)(r % 2000000001) - 1e9; break;
        case 3: v = (double)(r % 100000) * pow(10.0, (double)((int)(r >> 40) % 40 - 20)); break;
        case 4: v = (double)(r % 1000000) / 1000.0 - 500.0; break;
        case 5: v = (double)(r % 100000) * DBL_MIN * 1e-5; break; /* subnormal */
        default: v = (float)((double)(r % 10000000) / 9973.0 - 300.0); break;
        }
        if (!isfinite(v))
            continue;
        by_search(want, sizeof(want), v);
        rt_format_double(got, sizeof(got), v);
        if (strcmp(want, got) != 0)
            test_fail(__FILE__, __LINE__, "%a: '%s', want '%s'", v, got, want);
        checked++;
    }
    ASSERT(checked > 150000);
    rt_format_double(got, sizeof(got), 1e13);
    ASSERT_EQ_STR(got, "1e+13");
    rt_format_double(got, sizeof(got), (double)-0.12908798f);
    ASSERT_EQ_STR(got, "-0.12908798456192017");
    rt_format_double(got, sizeof(got), 0.0);
    ASSERT_EQ_STR(got, "0");
    rt_format_double(got, sizeof(got), NAN);
    ASSERT_EQ_STR(got, "nan");
    rt_format_json_number(got, sizeof(got), -INFINITY);
    ASSERT_EQ_STR(got, "null");
}

/* rt_format_g is "%.*g" for every precision it takes, clamped outside. */
TEST(numfmt_format_g_is_printf_g)
{
    uint64_t s = 777;
    char want[64], got[64];
    for (long i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v;
        memcpy(&v, &s, sizeof(v));
        if (i % 3 == 0)
            v = (double)(int64_t)(s >> 20) / 1024.0;
        int p = (int)(i % 18);
        snprintf(want, sizeof(want), "%.*g", p, v);
        rt_format_g(got, sizeof(got), p, v);
        if (strcmp(want, got) != 0)
            test_fail(__FILE__, __LINE__, "%a at precision %d: '%s', want '%s'", v, p, got, want);
    }
    rt_format_g(got, sizeof(got), 40, 0.1);
    ASSERT_EQ_STR(got, "0.10000000000000001");
    rt_format_g(got, sizeof(got), -3, 2.5);
    ASSERT_EQ_STR(got, "2");
}

/* A value of every kind the hand-written paths meet: chart coordinates,
 * decimals, exact binary fractions (ties: 0.25 at one decimal), neighbours
 * of powers of ten, any magnitude, any bits. */
static double sample(uint64_t *s, long i)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t r = *s >> 11;
    double v;
    switch (i % 7) {
    case 0:
        memcpy(&v, s, sizeof(v));
        break;
    case 1:
        v = ldexp((double)(r & ((1ULL << 53) - 1)), (int)((*s >> 3) % 140) - 110);
        break;
    case 2:
        v = (double)(int64_t)(r % 2000001 - 1000000) / pow(10, (int)(*s % 12));
        break;
    case 3:
        v = (double)(int64_t)(r % 100001 - 50000) / (double)(1 << (*s % 20)); /* ties */
        break;
    case 4: {
        v = pow(10, (int)(*s % 60) - 30);
        for (int k = (int)(r % 9); k > 0; k--)
            v = nextafter(v, (r >> 8) & 1 ? INFINITY : 0);
        break;
    }
    case 5:
        v = (double)(int64_t)(r % 64001) / 100.0; /* plot coordinates */
        break;
    default:
        v = (double)(float)((double)(int64_t)(r % 200001 - 100000) / pow(10, (int)(*s % 9)));
    }
    return (*s >> 62) & 1 ? -v : v;
}

/* rt_format_g and rt_format_fixed write what printf writes, and return its
 * length; rt_format_int is "%lld". */
TEST(numfmt_g_fixed_and_int_are_printf_on_every_magnitude)
{
    uint64_t s = 4242;
    char want[400], got[400];
    for (long i = 0; i < 60000; i++) {
        double v = sample(&s, i);
        int p = (int)((s >> 40) % 18), d = (int)((s >> 45) % 18);
        snprintf(want, sizeof(want), "%.*g", p, v);
        int n = rt_format_g(got, sizeof(got), p, v);
        if (strcmp(want, got) != 0 || n != (int)strlen(want))
            test_fail(__FILE__, __LINE__, "%a at %%.%dg: '%s' (%d), want '%s'", v, p, got, n, want);
        snprintf(want, sizeof(want), "%.*f", d, v);
        n = rt_format_fixed(got, sizeof(got), d, v);
        if (strcmp(want, got) != 0 || n != (int)strlen(want))
            test_fail(__FILE__, __LINE__, "%a at %%.%df: '%s' (%d), want '%s'", v, p, got, n, want);
        long long k = (long long)(s ^ (s >> 7)) >> (s % 60);
        snprintf(want, sizeof(want), "%lld", k);
        n = rt_format_int(got, sizeof(got), k);
        ASSERT_EQ_STR(got, want);
        ASSERT_EQ_INT(n, strlen(want));
    }
    /* Ties round to even, as printf rounds the exact binary value. */
    rt_format_fixed(got, sizeof(got), 1, 0.25);
    ASSERT_EQ_STR(got, "0.2");
    rt_format_fixed(got, sizeof(got), 0, 2.5);
    ASSERT_EQ_STR(got, "2");
    rt_format_fixed(got, sizeof(got), 1, -0.01);
    ASSERT_EQ_STR(got, "-0.0");
    rt_format_g(got, sizeof(got), 6, 9.9999996);
    ASSERT_EQ_STR(got, "10");
    rt_format_fixed(got, sizeof(got), 2, 1e300); /* past the fast path: printf's text */
    ASSERT(strlen(got) == 304 && strncmp(got, "1000000000000000052504760255204420248704", 40) == 0);
    /* Cut like snprintf, the full length returned. */
    ASSERT_EQ_INT(rt_format_fixed(got, 4, 3, 3.14159), 5);
    ASSERT_EQ_STR(got, "3.1");
    ASSERT_EQ_INT(rt_format_g(got, 3, 6, 3.14159), 7);
    ASSERT_EQ_STR(got, "3.");
    ASSERT_EQ_INT(rt_format_int(got, 3, -12345), 6);
    ASSERT_EQ_STR(got, "-1");
}

/* rt_format_shortest is the least "%.{1..17}g" that strtod (strtof with
 * as_float) reads back as the value. */
TEST(numfmt_shortest_is_the_least_precision_that_reads_back)
{
    uint64_t s = 99;
    char want[64], got[64];
    for (long i = 0; i < 30000; i++) {
        double v = sample(&s, i);
        if (!isfinite(v))
            continue;
        for (int as_float = 0; as_float < 2; as_float++) {
            double x = as_float ? (double)(float)v : v;
            if (!isfinite(x))
                continue;
            for (int p = 1; p <= 17; p++) {
                snprintf(want, sizeof(want), "%.*g", p, x);
                if (as_float ? strtof(want, NULL) == (float)x : strtod(want, NULL) == x)
                    break;
            }
            rt_format_shortest(got, sizeof(got), x, as_float);
            if (strcmp(want, got) != 0)
                test_fail(__FILE__, __LINE__, "%a (as_float %d): '%s', want '%s'", x, as_float, got, want);
        }
    }
    rt_format_shortest(got, sizeof(got), 0.1f, 1);
    ASSERT_EQ_STR(got, "0.1");
    rt_format_shortest(got, sizeof(got), 0.1f, 0);
    ASSERT_EQ_STR(got, "0.10000000149011612");
    rt_format_shortest(got, sizeof(got), 1e-5, 0);
    ASSERT_EQ_STR(got, "1e-05");
}
